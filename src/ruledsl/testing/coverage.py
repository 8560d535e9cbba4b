"""``ruledsl test --coverage``: which conditions of each rule were ever decisive.

A rule fires where every conjunct of its condition (``满足`` and ``当``) is TRUE.
Over a set of claim batches — the rule's own examples and generated data — a
conjunct is **decisive** for a row when it is the only conjunct that is not
TRUE there: had it held, the rule would have fired.  A conjunct that is never
decisive is a clause no data has tested the boundary of: a typo in it (a
``>`` for a ``>=``, a wrong threshold) would go unnoticed.  Rows that fire
count for every conjunct ("fired").

Example:
    >>> from ruledsl.rulebook import load_text
    >>> book = load_text('''规则 R-1 "x" { 类别 药品类 结果类型 可疑 环节 事后 层级 明细
    ...   对每条 明细 L 满足 L.收费行 当 L.数量 > 2
    ...   示例 a { 明细(feedetl_sn="F1", cnt=3) 预期(feedetl_sn="F1") }
    ...   示例 b { 明细(feedetl_sn="F1", cnt=2) 预期 无 } }''')
    >>> [(c.text, c.fired, c.decisive) for c in rule_coverage(book, book.rules[0]).clauses]
    [('r4(fee.cnt) > 0', 1, 0), ('L.数量 > 2', 1, 1)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import numpy as np
import pyarrow as pa

from .. import ir
from ..check.model import CheckedRule
from ..execute.batch import Batch
from ..execute.compiled import group_frame, scope_frame
from ..execute.frames import Frame
from ..execute.vector import Evaluator, conjuncts
from ..plan.explain import text
from .examples import complete_example

Tables = tuple[Mapping[str, pa.Table], Mapping[str, pa.Table]]


@attrs.define
class ClauseCoverage:
    """How often one conjunct held where the rule fired, and how often it alone decided."""

    text: str
    level: str
    """``row`` (a ``满足``/``当`` conjunct about one record) or ``group`` (a group's ``当``)."""
    fired: int = 0
    decisive: int = 0


@attrs.define
class RuleCoverage:
    """The coverage of one rule's conjuncts."""

    rule_id: str
    clauses: list[ClauseCoverage]

    @property
    def never_decisive(self) -> list[ClauseCoverage]:
        """Conjuncts whose boundary no data tested."""
        return [c for c in self.clauses if c.decisive == 0]


def clause_text(expr: ir.Expr) -> str:
    """The rule text a condition was written as (its IR rendering when unknown)."""
    span = expr.origin
    if span is not None and span.source is not None and span.end > span.start:
        return " ".join(span.source.text[span.start : span.end].split())
    return text(expr)


def _count(ev: Evaluator, frame: Frame, conds: list[ir.Expr], out: list[ClauseCoverage]) -> None:
    if not conds or frame.n == 0:
        return
    truth = np.stack([ev.ev(c, frame).true_mask() for c in conds])
    held = truth.sum(axis=0)
    fired = held == len(conds)
    alone = held == len(conds) - 1
    for i, clause in enumerate(out):
        clause.fired += int(fired.sum())
        clause.decisive += int((alone & ~truth[i]).sum())


def rule_coverage(book: Any, rule: CheckedRule, batches: Iterable[Tables] = (),
                  params: Mapping[str, Any] | None = None) -> RuleCoverage:
    """Coverage of ``rule`` over its examples and the given ``batches``."""
    row_conds = conjuncts(rule.where) + ([] if rule.is_group else conjuncts(rule.when))
    group_conds = conjuncts(rule.when) if rule.is_group else []
    row_cov = [ClauseCoverage(clause_text(c), "row") for c in row_conds]
    group_cov = [ClauseCoverage(clause_text(c), "group") for c in group_conds]
    values = book.param_values(params)
    sources: list[Tables] = [complete_example(case) for case in rule.examples] + list(batches)
    bare = attrs.evolve(rule, where=None)
    for claims, kb in sources:
        ev = Evaluator(Batch(dict(claims), dict(kb)), dict(values))
        frame = scope_frame(ev, bare)  # every candidate record, before 满足
        _count(ev, frame, row_conds, row_cov)
        if rule.is_group:
            members = scope_frame(ev, rule)
            _count(ev, group_frame(ev, members, rule), group_conds, group_cov)
    return RuleCoverage(rule.id, row_cov + group_cov)


def render(report: list[RuleCoverage], lang: str = "zh") -> str:
    """A per-rule table and the list of clauses never decisive."""
    lines = []
    for cov in report:
        lines.append(cov.rule_id)
        for c in cov.clauses:
            mark = "  " if c.decisive else "✗ "
            lines.append(f"  {mark}{c.text}  [{c.level}] "
                         + (f"触发 {c.fired}，单独决定不触发 {c.decisive}" if lang == "zh" else
                            f"fired {c.fired}, alone decisive {c.decisive}"))
    never = [(r.rule_id, c.text) for r in report for c in r.never_decisive]
    head = "从未单独起决定作用的条件" if lang == "zh" else "conditions never decisive on their own"
    lines.append(f"{head}: {len(never)}")
    lines += [f"  {rid}: {t}" for rid, t in never]
    return "\n".join(lines)
