"""pytest plugin: every rule of a rulebook gets its tests without writing any.

Installed with ruledsl (entry point ``pytest11``).  pytest collects every
``rulebook.rules`` it walks into: a rulebook repository needs one line of
configuration, its rulebook folders in ``testpaths``::

    [tool.pytest.ini_options]
    testpaths = ["rulebooks"]

For each enabled rule the plugin makes these test items:

* ``RULE::examples`` — the rule's ``示例`` blocks, on the reference interpreter
  and on the vectorised plan (both must give the expected firings);
* ``RULE::differential`` — generated claim batches (:mod:`ruledsl.testing.data`)
  and batches nudged around the rule's examples (:mod:`ruledsl.testing.directed`):
  the vectorised plan must fire exactly as the interpreter;
* ``RULE::metamorphic`` — shuffling every table's rows never changes the output
  bytes; for rules that only look at one person's records, adding unrelated
  persons never changes the original persons' firings;
* ``RULE::property[递减 参数]`` — each ``性质`` the rule declares: with the
  parameter raised, a ``递减`` (decreasing) rule never fires more, an
  ``递增`` (increasing) rule never fires less.

A failure prints the shrunk counterexample as an example block ready to paste
into the rule (its ``预期`` are the interpreter's firings, the definition).
``ruledsl_max_examples`` (ini, default 20) bounds the generated examples per item.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from .. import ir
from ..check.model import CheckedRule
from ..errors import CheckError
from ..rulebook import ENTRY_FILE, Rulebook, load_rulebook

_PERSON_KEYS = {"psn_no", "mdtrt_id", "setl_id", "feedetl_sn"}
_CLAIMS = {"fee", "visit", "settlement", "diagnosis", "operation", "person"}


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the plugin's ini options."""
    parser.addini("ruledsl_max_examples", "generated examples per rule test item", default="20")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect a rulebook folder through its entry file."""
    if file_path.name == ENTRY_FILE:
        return RulebookFile.from_parent(parent, path=file_path)
    return None


class RulebookFile(pytest.File):
    """A rulebook: one group of items per rule."""

    def collect(self) -> Iterator[pytest.Item]:
        try:
            book = load_rulebook(self.path.parent)
        except CheckError as exc:
            yield RuleItem.from_parent(self, name="check", book=None, rule=None, kind="check",
                                       error=str(exc))
            return
        for rule in book.enabled_rules:
            yield RuleItem.from_parent(self, name=f"{rule.id}::examples", book=book, rule=rule,
                                       kind="examples")
            yield RuleItem.from_parent(self, name=f"{rule.id}::differential", book=book,
                                       rule=rule, kind="differential")
            yield RuleItem.from_parent(self, name=f"{rule.id}::metamorphic", book=book,
                                       rule=rule, kind="metamorphic")
            for kind, param in rule.properties:
                yield RuleItem.from_parent(self, name=f"{rule.id}::property[{kind} {param}]",
                                           book=book, rule=rule, kind="property",
                                           prop=(kind, param))


class RuleTestFailure(Exception):
    """A rule test failed; the message is the report."""


class RuleItem(pytest.Item):
    """One generated test of one rule."""

    def __init__(self, *, book: Rulebook | None, rule: CheckedRule | None, kind: str,
                 error: str | None = None, prop: tuple[str, str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.book, self.rule, self.kind, self.error, self.prop = book, rule, kind, error, prop

    def runtest(self) -> None:
        if self.kind == "check":
            raise RuleTestFailure(self.error or "the rulebook does not check")
        assert self.book is not None and self.rule is not None
        getattr(self, f"_run_{self.kind}")(self.book, self.rule)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RuleTestFailure | AssertionError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"rulebook {self.path.parent.name}: {self.name}"

    # ------------------------------------------------------------ the tests --
    def _settings(self) -> Any:
        from hypothesis import HealthCheck, settings

        limit = int(self.config.getini("ruledsl_max_examples"))
        return settings(max_examples=min(settings().max_examples, limit), deadline=None,
                        suppress_health_check=list(HealthCheck))

    def _batches(self, rule: CheckedRule) -> Any:
        from hypothesis import strategies as st

        from .data import claim_batches
        from .directed import rule_directed_batches

        generated = claim_batches()
        return st.one_of(rule_directed_batches(rule), generated) if rule.examples else generated

    def _run_examples(self, book: Rulebook, rule: CheckedRule) -> None:
        from .examples import run_examples

        results = run_examples(book, engine="both", rule_ids=[rule.id])
        failed = [r for r in results if not r.ok]
        if failed:
            raise RuleTestFailure("\n\n".join(r.render("zh") for r in failed))

    def _run_differential(self, book: Rulebook, rule: CheckedRule) -> None:
        from hypothesis import given

        @self._settings()
        @given(self._batches(rule))
        def check(batch: tuple[dict[str, pa.Table], dict[str, pa.Table]]) -> None:
            claims, kb = batch
            expected, actual = run_both(book, rule, claims, kb)
            if not expected.equals(actual):
                raise AssertionError(counterexample(rule, claims, kb, expected, actual))

        check()

    def _run_metamorphic(self, book: Rulebook, rule: CheckedRule) -> None:
        from hypothesis import given

        from .data import claim_batches

        local = person_local(rule)

        @self._settings()
        @given(self._batches(rule), claim_batches(id_prefix="X"))
        def check(batch: tuple[dict[str, pa.Table], dict[str, pa.Table]],
                  other: tuple[dict[str, pa.Table], dict[str, pa.Table]]) -> None:
            claims, kb = batch
            plan = book.compile(rules=[rule.id])
            base = plan.run(claims, kb)
            shuffled = plan.run(shuffle(claims), shuffle(kb))
            if not base.equals(shuffled):
                raise AssertionError(f"{rule.id}: shuffling the input rows changed the output\n"
                                     + counterexample(rule, claims, kb, base, shuffled))
            if local:
                both = plan.run(union(claims, other[0]), kb)
                mine = both.filter(pa.array([not _theirs(r) for r in both.to_pylist()], pa.bool_()))
                if not base.equals(mine.select(base.column_names)):
                    raise AssertionError(
                        f"{rule.id}: adding unrelated persons changed the firings\n"
                        + counterexample(rule, claims, kb, base, mine))

        check()

    def _run_property(self, book: Rulebook, rule: CheckedRule) -> None:
        from hypothesis import given

        assert self.prop is not None
        kind, param = self.prop
        base_value = book.params[param].default

        @self._settings()
        @given(self._batches(rule))
        def check(batch: tuple[dict[str, pa.Table], dict[str, pa.Table]]) -> None:
            claims, kb = batch
            low = _keys(book.compile(rules=[rule.id]).run(claims, kb))
            high = _keys(book.compile(rules=[rule.id], params={param: raised(base_value)})
                         .run(claims, kb))
            bad = high - low if kind == "decreasing" else low - high
            if bad:
                raise AssertionError(
                    f"{rule.id}: 性质 {'递减' if kind == 'decreasing' else '递增'}({param}) 不成立："
                    f"参数由 {base_value} 调到 {raised(base_value)} 后{'新增' if kind == 'decreasing' else '减少'}"
                    f"了 {len(bad)} 条触发\n" + counterexample(rule, claims, kb, None, None))

        check()


def run_both(book: Rulebook, rule: CheckedRule, claims: Mapping[str, pa.Table],
             kb: Mapping[str, pa.Table]) -> tuple[pa.Table, pa.Table]:
    """The rule's firings by the reference interpreter and by the vectorised plan."""
    from ..execute.interpret import interpret

    expected = interpret(book, dict(claims), dict(kb), rules=[rule.id])
    actual = book.compile(rules=[rule.id]).run(dict(claims), dict(kb))
    return expected, actual


def counterexample(rule: CheckedRule, claims: Mapping[str, pa.Table], kb: Mapping[str, pa.Table],
                   expected: pa.Table | None, actual: pa.Table | None) -> str:
    """A failure report: the two outputs and a ready-to-paste example block."""
    from .render import example_block

    parts = [f"规则 {rule.id} 的反例（可直接粘贴到规则中）："]
    if expected is not None and actual is not None:
        parts.append(f"解释器（定义）：{expected.to_pylist()}\n向量化计划：{actual.to_pylist()}")
    parts.append(example_block("反例", claims, kb, expected))
    return "\n".join(parts)


def person_local(rule: CheckedRule) -> bool:
    """Whether the rule only ever compares a person's records with the same person's.

    True when the rule is a row rule over a claims table, or a group rule whose
    keys include a person/visit/settlement id, and every aggregate over a
    claims table is keyed on one of those ids.
    """
    if rule.group_keys is not None and not any(
        isinstance(k, ir.Col) and k.column in _PERSON_KEYS for k in rule.group_keys
    ):
        return False
    for expr in rule.expressions():
        for sub in ir.walk(expr):
            if isinstance(sub, ir.Agg) and isinstance(sub.source, ir.TableSource) \
                    and sub.source.table in _CLAIMS and not _keyed_on_person(sub):
                return False
    return True


def _keyed_on_person(agg: ir.Agg) -> bool:
    from ..execute.vector import conjuncts

    for cond in conjuncts(agg.where):
        if isinstance(cond, ir.Call) and cond.func == "=":
            for side in cond.args:
                if isinstance(side, ir.Col) and side.column in _PERSON_KEYS \
                        and side.row == ir.Var(agg.var, dtype=side.row.dtype):
                    return True
    return False


def shuffle(tables: Mapping[str, pa.Table], seed: int = 7) -> dict[str, pa.Table]:
    """Every table with its rows in another order."""
    out = {}
    for name, table in tables.items():
        order = list(range(table.num_rows))
        random.Random(seed).shuffle(order)
        out[name] = table.take(pa.array(order, pa.int64())) if order else table
    return out


def union(a: Mapping[str, pa.Table], b: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    """Two batches with disjoint ids as one."""
    return {name: pa.concat_tables([a[name], b[name]]) if name in b else a[name] for name in a}


def _theirs(firing: Mapping[str, Any]) -> bool:
    """Whether a firing concerns the added batch (its ids start with ``X``)."""
    ids = [firing.get(c) for c in ("psn_no", "mdtrt_id", "setl_id", "feedetl_sn")]
    ids += firing.get("lines") or []
    return any(str(i or "").startswith("X") for i in ids)


def raised(value: Any) -> Any:
    """A parameter value a step above ``value``."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value + max(1, abs(value) // 2)
    if isinstance(value, float):
        return value * 1.5 + 1.0
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=30)
    return value


def _keys(table: pa.Table) -> set[tuple[Any, ...]]:
    from ..execute.output import KEY_COLUMNS

    return {tuple(r[c] for c in ("rule_id", *KEY_COLUMNS)) for r in table.to_pylist()}
