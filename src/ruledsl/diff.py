"""``ruledsl diff``: what a rule change does to the firings on a sample of claims.

Both rulebooks run on the same batch; firings are matched by rule and key
columns.  Per rule: firings added, removed and changed (same key, different
amount, message or lines), with the amounts involved and a few samples.
Renders as text, JSON or Markdown (for a merge-request comment), and
``--fail-if`` turns a threshold into a failing exit code for CI.

Example:
    >>> parse_condition("added>0"), parse_condition("GL-02:removed_amount>=100.5")
    ((None, 'added', '>', 0.0), ('GL-02', 'removed_amount', '>=', 100.5))
"""

from __future__ import annotations

import json
import operator
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import pyarrow as pa

from .execute.output import KEY_COLUMNS

METRICS = ("added", "removed", "changed", "added_amount", "removed_amount", "old_firings",
           "new_firings", "old_amount", "new_amount")
"""What ``--fail-if`` can test, per rule or in total."""


@attrs.define
class RuleDiff:
    """The change of one rule's firings."""

    rule_id: str
    rule_name: str
    old_firings: int = 0
    new_firings: int = 0
    old_amount: float = 0.0
    new_amount: float = 0.0
    added: list[dict[str, Any]] = attrs.field(factory=list)
    removed: list[dict[str, Any]] = attrs.field(factory=list)
    changed: list[tuple[dict[str, Any], dict[str, Any]]] = attrs.field(factory=list)

    def metric(self, name: str) -> float:
        """The value of one metric of :data:`METRICS`."""
        if name in ("added", "removed", "changed"):
            return float(len(getattr(self, name)))
        if name in ("added_amount", "removed_amount"):
            rows = self.added if name == "added_amount" else self.removed
            return round(sum((r["vola_amt"] or 0.0 for r in rows), 0.0), 2)
        return float(getattr(self, name))

    @property
    def unchanged(self) -> bool:
        """Whether the rule's firings are identical."""
        return not (self.added or self.removed or self.changed)


def _key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c] for c in ("rule_id", *KEY_COLUMNS))


def diff_tables(old: pa.Table, new: pa.Table) -> list[RuleDiff]:
    """Per-rule differences between two violations tables.

    Firings are matched by rule and key columns; firings that share a key are paired in
    output order, so every row of either table is counted and none is lost.
    """
    result: dict[str, RuleDiff] = {}
    by_key: dict[tuple[Any, ...], tuple[list[dict[str, Any]], list[dict[str, Any]]]] = \
        defaultdict(lambda: ([], []))
    for side, table in (("old", old), ("new", new)):
        for row in table.to_pylist():
            entry = result.setdefault(row["rule_id"], RuleDiff(row["rule_id"], row["rule_name"]))
            setattr(entry, f"{side}_firings", getattr(entry, f"{side}_firings") + 1)
            setattr(entry, f"{side}_amount",
                    round(getattr(entry, f"{side}_amount") + (row["vola_amt"] or 0.0), 2))
            by_key[_key(row)][side == "new"].append(row)
    for olds, news in by_key.values():
        entry = result[(olds or news)[0]["rule_id"]]
        entry.changed += [(o, n) for o, n in zip(olds, news)
                          if any(o[c] != n[c] for c in ("vola_amt", "message", "lines"))]
        entry.removed += olds[len(news):]
        entry.added += news[len(olds):]
    return [result[k] for k in sorted(result)]


def diff_rulebooks(old_book: Any, new_book: Any, claims: Any, kb: Any,
                   rules: Iterable[str] | None = None) -> list[RuleDiff]:
    """Run both rulebooks on one batch and compare their firings rule by rule."""
    wanted = set(rules) if rules else None

    def run(book: Any) -> pa.Table:
        ids = [r.id for r in book.enabled_rules if wanted is None or r.id in wanted]
        return book.compile(rules=ids).run(claims, kb)

    diffs = diff_tables(run(old_book), run(new_book))
    known = {d.rule_id for d in diffs}
    for book in (new_book, old_book):  # rules that fire in neither run are listed too
        for rule in book.enabled_rules:
            if rule.id not in known and (wanted is None or rule.id in wanted):
                diffs.append(RuleDiff(rule.id, rule.name))
                known.add(rule.id)
    return sorted(diffs, key=lambda d: d.rule_id)


_CONDITION = re.compile(r"^\s*(?:([^:\s]+):)?\s*([a-z_]+)\s*(>=|<=|>|<|==|=)\s*(-?[0-9.]+)\s*$")


def parse_condition(text: str) -> tuple[str | None, str, str, float]:
    """Parse ``[RULE:]METRIC OP NUMBER`` (e.g. ``removed>0``, ``YP-06:added_amount>=1000``)."""
    found = _CONDITION.match(text)
    if not found or found.group(2) not in METRICS:
        raise ValueError(f"expected [RULE:]METRIC>N with METRIC one of {', '.join(METRICS)}: {text!r}")
    rule, metric, op, number = found.groups()
    return rule, metric, "==" if op == "=" else op, float(number)


def failed_conditions(diffs: list[RuleDiff], conditions: Iterable[str]) -> list[str]:
    """The ``--fail-if`` conditions that hold (each with the value that made it hold)."""
    ops = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
           "==": operator.eq}
    hits = []
    for text in conditions:
        rule, metric, op, number = parse_condition(text)
        scope = [d for d in diffs if rule is None or d.rule_id == rule]
        value = round(sum((d.metric(metric) for d in scope), 0.0), 2)
        if ops[op](value, number):
            hits.append(f"{text} (= {value:g})")
    return hits


def _sample(row: Mapping[str, Any]) -> str:
    keys = ", ".join(f"{c}={row[c]}" for c in KEY_COLUMNS if row.get(c) is not None)
    return f"{keys}; 金额 {row['vola_amt']:.2f}; {row['message']}"


def render(diffs: list[RuleDiff], fmt: str = "text", samples: int = 3) -> str:
    """Render a diff as ``text``, ``json`` or ``markdown``."""
    if fmt == "json":
        return json.dumps([{
            "rule_id": d.rule_id, "rule_name": d.rule_name,
            **{m: d.metric(m) for m in METRICS},
            "samples": {"added": d.added[:samples], "removed": d.removed[:samples],
                        "changed": [{"old": o, "new": n} for o, n in d.changed[:samples]]},
        } for d in diffs], ensure_ascii=False, indent=2, default=str)
    changed = [d for d in diffs if not d.unchanged]
    if fmt == "markdown":
        lines = [f"### 规则变更影响（{len(changed)} 条规则的触发结果有变化）", "",
                 "| 规则 | 名称 | 原触发 | 新触发 | 新增 | 消失 | 变化 | 新增金额 | 消失金额 |",
                 "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for d in diffs:
            lines.append(f"| {d.rule_id} | {d.rule_name} | {d.old_firings} | {d.new_firings} | "
                         f"{len(d.added)} | {len(d.removed)} | {len(d.changed)} | "
                         f"{d.metric('added_amount'):.2f} | {d.metric('removed_amount'):.2f} |")
        for d in changed:
            lines += ["", f"<details><summary>{d.rule_id} 示例</summary>", ""]
            lines += [f"- 新增：{_sample(r)}" for r in d.added[:samples]]
            lines += [f"- 消失：{_sample(r)}" for r in d.removed[:samples]]
            lines += [f"- 变化：{_sample(o)} → 金额 {n['vola_amt']:.2f}; {n['message']}"
                      for o, n in d.changed[:samples]]
            lines += ["", "</details>"]
        return "\n".join(lines)
    lines = []
    for d in diffs:
        mark = "=" if d.unchanged else "*"
        lines.append(f"{mark} {d.rule_id} {d.rule_name}: {d.old_firings} → {d.new_firings} 条"
                     f"（新增 {len(d.added)}，消失 {len(d.removed)}，变化 {len(d.changed)}；"
                     f"金额 {d.old_amount:.2f} → {d.new_amount:.2f}）")
        lines += [f"    + {_sample(r)}" for r in d.added[:samples]]
        lines += [f"    - {_sample(r)}" for r in d.removed[:samples]]
        lines += [f"    ~ {_sample(o)} → 金额 {n['vola_amt']:.2f}; {n['message']}"
                  for o, n in d.changed[:samples]]
    return "\n".join(lines)
