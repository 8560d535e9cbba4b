"""Which rules can run on a part of the batch: the partition key of each rule.

A **partitioning scheme** splits the claim tables into buckets so that rows
sharing a key value always land in the same bucket.  The keys are *link
namespaces* (:data:`NAMESPACES`): ``psn_no`` (person, visit, settlement, fee),
``mdtrt_id`` (visit, settlement, fee, diagnosis, operation), ``setl_id``,
``fixmedins_code`` (visit, settlement) and ``dr_codg`` (``fee.bilg_dr_codg``,
``visit.atddr_no``).  A scheme links some namespaces; for a *null-linked*
namespace all rows whose value is null are linked to each other too (the
null-safe ``等同`` and group keys treat null as one value).  The buckets are
the connected components of that linking (:mod:`ruledsl.scale.buckets`), so a
bucket never depends on row order and inconsistent data (a fee line whose
``psn_no`` differs from its visit's) merges persons instead of separating
rows that a rule compares.  Claim tables without a linked column are
*replicated*: every bucket sees all their rows, as it sees the knowledge base.

:data:`SCHEMES`:

* ``person``: ``psn_no`` and ``mdtrt_id`` null-linked, ``setl_id``;
* ``institution``: ``fixmedins_code``, ``mdtrt_id``, ``setl_id``
  (``person`` replicated);
* ``doctor``: ``dr_codg`` (``person``, ``settlement``, ``diagnosis``,
  ``operation`` replicated).

**The proof.**  :func:`analyse` accepts a rule for a scheme only when its
firings for the rows of one bucket depend on that bucket's rows alone:

1. The scope binds at least one variable to a partitioned claim table, and
   the scope condition links all such variables to each other (below), so a
   candidate tuple lies in one bucket.  Variables over the knowledge base,
   replicated tables and generated ranges are free.
2. Every comprehension over a partitioned claim table with variable ``y``
   has a *link conjunct* in its condition: ``A = B`` where ``A`` is
   ``y.K`` (or ``y.r.K`` where ``y.r`` is a look-up that reaches ``y``
   through links, such as ``y.就诊``) and ``B`` is the column ``K'`` of the
   same namespace of any claim row not depending on ``y``; every such row is
   in the bucket (induction), so a ``y`` that matches shares a linked value
   with a row of the bucket and is in the bucket.  ``A 等同 B`` also matches
   two nulls, so it counts only with a null-linked namespace and both sides
   columns of bound row variables (a failed look-up would give null too).
3. A group rule has a group key ``r.K`` of a linked namespace, ``r`` reaching
   a scope variable, whose nulls cannot form a group across buckets: the
   scope condition requires ``r.K 不为空``, or ``r`` is the variable itself
   and the namespace is null-linked.
4. A **closed** comprehension (one that reads no variable: ``最小(y.费用日期
   对于 明细 y)``, the batch's first day) is batch-wide.  When it is ``min``,
   ``max``, ``count`` or ``exists`` and its body is person-local, it is a
   *global*: computed per person bucket, combined exactly, and handed to the
   rule as a parameter (:func:`with_globals`).

Anything else, e.g. a comparison with every visit of the batch, a link through
a constant, or a null-safe match on a look-up, is not proven and the rule runs
on the whole batch (key ``none``).  :func:`partition_key` tries ``person``,
then ``institution``, then ``doctor``.

Example:
    >>> from ruledsl.rulebook import load_text
    >>> book = load_text('''
    ... 规则 R-1 "同人多次" {
    ...     类别 医保管理类 结果类型 可疑 环节 事后 层级 就诊
    ...     对每条 就诊 V
    ...     当 计数(就诊 W 满足 W.人员编号 = V.人员编号) > 3 }
    ... 规则 R-2 "全批" {
    ...     类别 医保管理类 结果类型 可疑 环节 事后 层级 就诊
    ...     对每条 就诊 V
    ...     当 计数(就诊 W 满足 W.入院日期 = V.入院日期) > 3 }''')
    >>> [partition_key(r) for r in book.rules]
    ['person', 'none']
    >>> print(analyse(book.rules[1], PERSON).reason)
    a comprehension over visit (W) is not linked to the bucket: no condition W.K = r.K on a linked key
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from .. import ir
from ..check.model import CheckedRule
from ..schema import SCHEMA
from ..types import BOOL, RowType

__all__ = [
    "CLAIMS",
    "COMBINABLE",
    "DOCTOR",
    "INSTITUTION",
    "KEYS",
    "NAMESPACES",
    "PERSON",
    "SCHEMES",
    "Analysis",
    "PartitionPlan",
    "Scheme",
    "analyse",
    "linked_by_any",
    "partition_key",
    "plan_partitions",
    "with_globals",
]

CLAIMS: tuple[str, ...] = tuple(n for n, t in SCHEMA.tables.items() if t.kind == "claims")
"""The claim tables."""

NAMESPACES: dict[str, dict[str, str]] = {
    "psn_no": {"person": "psn_no", "visit": "psn_no", "settlement": "psn_no", "fee": "psn_no"},
    "mdtrt_id": {"visit": "mdtrt_id", "settlement": "mdtrt_id", "fee": "mdtrt_id",
                 "diagnosis": "mdtrt_id", "operation": "mdtrt_id"},
    "setl_id": {"settlement": "setl_id", "fee": "setl_id"},
    "fixmedins_code": {"visit": "fixmedins_code", "settlement": "fixmedins_code"},
    "dr_codg": {"fee": "bilg_dr_codg", "visit": "atddr_no"},
}
"""Link namespace → claim table → the column holding that key."""

_NS_OF: dict[tuple[str, str], str] = {
    (table, column): ns for ns, cols in NAMESPACES.items() for table, column in cols.items()
}

COMBINABLE = ("min", "max", "count", "exists")
"""Closed aggregates whose per-bucket results combine exactly into the batch's."""

KEYS = ("person", "institution", "doctor", "none")
"""Partition keys, in the order :func:`partition_key` tries them."""


@attrs.frozen
class Scheme:
    """A partitioning: which link namespaces keep rows together.

    Attributes:
        name: ``person``, ``institution`` or ``doctor``.
        links: Namespace → whether its nulls are linked to each other.
    """

    name: str
    links: Mapping[str, bool]

    @property
    def partitioned(self) -> tuple[str, ...]:
        """Claim tables split into buckets (they have a linked column)."""
        return tuple(t for t in CLAIMS if self.columns(t))

    @property
    def replicated(self) -> tuple[str, ...]:
        """Claim tables every bucket sees whole."""
        return tuple(t for t in CLAIMS if not self.columns(t))

    def columns(self, table: str) -> list[tuple[str, str, bool]]:
        """``(column, namespace, null_linked)`` of the linked columns of ``table``."""
        return [(NAMESPACES[ns][table], ns, nulls) for ns, nulls in self.links.items()
                if table in NAMESPACES[ns]]

    def namespace(self, table: str, column: str) -> str | None:
        """The linked namespace of ``table.column`` in this scheme, if any."""
        ns = _NS_OF.get((table, column))
        return ns if ns is not None and ns in self.links else None


PERSON = Scheme("person", {"psn_no": True, "mdtrt_id": True, "setl_id": False})
INSTITUTION = Scheme("institution", {"fixmedins_code": False, "mdtrt_id": False,
                                     "setl_id": False})
DOCTOR = Scheme("doctor", {"dr_codg": False})
SCHEMES: dict[str, Scheme] = {s.name: s for s in (PERSON, INSTITUTION, DOCTOR)}
"""The schemes by name."""


def linked_by_any(table: str) -> set[str]:
    """The columns of ``table`` some partitioning links (what a split of it reads)."""
    return {c for s in SCHEMES.values() for c, _, _ in s.columns(table)}


@attrs.frozen
class Analysis:
    """Whether a rule runs per bucket of one scheme.

    Attributes:
        rule_id: The rule.
        key: The scheme name, or ``none``.
        globals: Closed aggregates to compute over the whole batch first.
        reason: Why the (last tried) scheme was refused; ``None`` when accepted.
    """

    rule_id: str
    key: str
    globals: tuple[ir.Agg, ...] = ()
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the rule runs per bucket."""
        return self.key != "none"


class _Refused(Exception):
    """The rule is not proven partitionable; the message says why."""


def _table_of(expr: ir.Expr) -> str | None:
    return expr.dtype.table if isinstance(expr.dtype, RowType) else None


def _name(expr: ir.Expr) -> str:
    if isinstance(expr, ir.Var):
        return expr.name.split("#")[0]
    if isinstance(expr, ir.Col):
        return f"{_name(expr.row)}.{expr.column}"
    if isinstance(expr, ir.Agg):
        return f"{expr.func}({expr.var.split('#')[0]} in {getattr(expr.source, 'table', '…')})"
    return type(expr).__name__


class _Prover:
    """Checks one rule against one scheme (see the module docstring)."""

    def __init__(self, scheme: Scheme) -> None:
        self.scheme = scheme
        self.globals: list[ir.Agg] = []

    # -- helpers -------------------------------------------------------------
    def partitioned(self, table: str | None) -> bool:
        return table is not None and table in self.scheme.partitioned

    def col_ns(self, expr: ir.Expr) -> tuple[str, ir.Expr] | None:
        """``(namespace, row)`` when ``expr`` is a linked key column of a partitioned row."""
        if not isinstance(expr, ir.Col):
            return None
        table = _table_of(expr.row)
        if not self.partitioned(table):
            return None
        ns = self.scheme.namespace(table, expr.column)  # type: ignore[arg-type]
        return (ns, expr.row) if ns is not None else None

    def is_row_var(self, expr: ir.Expr) -> bool:
        return isinstance(expr, ir.Var) and self.partitioned(_table_of(expr))

    def reaches(self, row: ir.Expr, var: str, depth: int = 0) -> bool:
        """Whether the row ``row`` (when not null) is in the same component as ``var``'s row."""
        if isinstance(row, ir.Var):
            return row.name == var and self.partitioned(_table_of(row))
        if depth > 4 or not isinstance(row, ir.Agg) or row.func not in ("first", "last") \
                or row.value is not None or not isinstance(row.source, ir.TableSource) \
                or not self.partitioned(row.source.table):
            return False
        for cond in ir.conjuncts(row.where):
            for mine, other, func in _sides(cond):
                hit = self.col_ns(mine)
                there = self.col_ns(other)
                if hit is None or there is None or hit[0] != there[0]:
                    continue
                if not (isinstance(hit[1], ir.Var) and hit[1].name == row.var):
                    continue
                if func == "=" and self.reaches(there[1], var, depth + 1):
                    return True
                if func == "same" and self.scheme.links[hit[0]] \
                        and isinstance(there[1], ir.Var) and there[1].name == var:
                    return True
        return False

    def linked_to(self, cond: ir.Expr, var: str) -> bool:
        """Whether ``cond`` pins the rows of ``var`` to rows of the current bucket."""
        for mine, other, func in _sides(cond):
            hit, there = self.col_ns(mine), self.col_ns(other)
            if hit is None or there is None or hit[0] != there[0]:
                continue
            if var in ir.free_vars(there[1]) or not self.reaches(hit[1], var):
                continue
            if func == "=":
                return True
            if self.scheme.links[hit[0]] and isinstance(hit[1], ir.Var) \
                    and self.is_row_var(there[1]):
                return True
        return False

    # -- the checks ----------------------------------------------------------
    def check_rule(self, rule: CheckedRule) -> None:
        scope_vars = [v for v, src in rule.bindings
                      if isinstance(src, ir.TableSource) and self.partitioned(src.table)]
        if not scope_vars:
            raise _Refused(f"the scope has no {self.scheme.name}-partitioned claim table")
        self.check_connected(scope_vars, ir.conjuncts(rule.where))
        if rule.group_keys is not None:
            self.check_group(rule, scope_vars)
        for _, src in rule.bindings:
            if isinstance(src, ir.RangeSource):
                self.check_expr(src.low)
                self.check_expr(src.high)
        for expr in rule.expressions():
            self.check_expr(expr)

    def check_connected(self, scope_vars: list[str], conds: list[ir.Expr]) -> None:
        group = {v: v for v in scope_vars}

        def root(v: str) -> str:
            while group[v] != v:
                v = group[v]
            return v

        for cond in conds:
            for mine, other, func in _sides(cond):
                hit, there = self.col_ns(mine), self.col_ns(other)
                if hit is None or there is None or hit[0] != there[0]:
                    continue
                if func == "same" and not (self.scheme.links[hit[0]] and self.is_row_var(hit[1])
                                           and self.is_row_var(there[1])):
                    continue
                for a in scope_vars:
                    for b in scope_vars:
                        if a != b and self.reaches(hit[1], a) and self.reaches(there[1], b):
                            group[root(a)] = root(b)
        roots = {root(v) for v in scope_vars}
        if len(roots) > 1:
            names = ", ".join(v.split("#")[0] for v in scope_vars)
            raise _Refused(f"the scope's claim rows ({names}) are not linked to each other "
                           "by a key")

    def check_group(self, rule: CheckedRule, scope_vars: list[str]) -> None:
        conds = ir.conjuncts(rule.where)
        for key in rule.group_keys or ():
            hit = self.col_ns(key)
            if hit is None:
                continue
            ns, row = hit
            if not any(self.reaches(row, v) for v in scope_vars):
                continue
            not_null = ir.Call("is_not_null", (key,), dtype=BOOL) in conds
            if not_null or (isinstance(row, ir.Var) and self.scheme.links[ns]):
                return
        raise _Refused("no group key is a linked key whose groups stay in one bucket "
                       f"(linked here: {', '.join(self.scheme.links)})")

    def check_expr(self, expr: ir.Expr) -> None:
        if isinstance(expr, ir.Agg):
            self.check_agg(expr)
            return
        for child in ir.children(expr):
            self.check_expr(child)

    def check_agg(self, agg: ir.Agg) -> None:
        inner = [e for e in (agg.where, agg.value) if e is not None] + [k for k, _ in agg.order]
        if isinstance(agg.source, ir.RangeSource):
            for e in (agg.source.low, agg.source.high, *inner):
                self.check_expr(e)
            return
        table = agg.source.table
        if self.partitioned(table):
            if not ir.free_vars(agg) and not any(ir.uses_group(e) for e in inner):
                self.check_global(agg)
                return
            if not any(self.linked_to(c, agg.var) for c in ir.conjuncts(agg.where)):
                raise _Refused(
                    f"a comprehension over {table} ({agg.var.split('#')[0]}) is not linked to "
                    f"the bucket: no condition {agg.var.split('#')[0]}.K = r.K on a linked key")
        for e in inner:
            self.check_expr(e)

    def check_global(self, agg: ir.Agg) -> None:
        if agg.func not in COMBINABLE:
            raise _Refused(f"the batch-wide {agg.func} over {getattr(agg.source, 'table', '')} "
                           "does not combine exactly across buckets")
        sub = _Prover(PERSON)
        try:
            for e in (agg.where, agg.value, *(k for k, _ in agg.order)):
                if e is not None:
                    sub.check_expr(e)
        except _Refused as exc:
            raise _Refused(f"the batch-wide {agg.func} over {getattr(agg.source, 'table', '')}: "
                           f"{exc}") from None
        if sub.globals:
            raise _Refused("a batch-wide aggregate inside a batch-wide aggregate")
        if agg not in self.globals:
            self.globals.append(agg)


def _sides(cond: ir.Expr) -> Iterator[tuple[ir.Expr, ir.Expr, str]]:
    """``(a, b, func)`` and ``(b, a, func)`` for an equality ``a = b`` or ``a 等同 b``."""
    if isinstance(cond, ir.Call) and cond.func in ("=", "same") and len(cond.args) == 2:
        a, b = cond.args
        yield a, b, cond.func
        yield b, a, cond.func


# ----------------------------------------------------------------- public --
def analyse(rule: CheckedRule, scheme: Scheme) -> Analysis:
    """Whether ``rule`` runs per bucket of ``scheme``, and what it needs.

    Returns:
        An :class:`Analysis` with ``key == scheme.name`` when proven, else
        ``key == "none"`` and the reason.
    """
    prover = _Prover(scheme)
    try:
        prover.check_rule(rule)
    except _Refused as exc:
        return Analysis(rule.id, "none", (), str(exc))
    return Analysis(rule.id, scheme.name, tuple(prover.globals), None)


def analyse_rule(rule: CheckedRule, schemes: Sequence[Scheme] = (PERSON, INSTITUTION, DOCTOR),
                 ) -> Analysis:
    """The first scheme of ``schemes`` that ``rule`` is proven for (else ``none``).

    The reason of a ``none`` analysis is the person scheme's.
    """
    first: Analysis | None = None
    for scheme in schemes:
        result = analyse(rule, scheme)
        if result.ok:
            return result
        first = first or result
    assert first is not None
    return first


def partition_key(rule: CheckedRule) -> str:
    """``person``, ``institution``, ``doctor`` or ``none`` (run on the whole batch)."""
    return analyse_rule(rule).key


@attrs.frozen
class PartitionPlan:
    """The analysis of every rule of a compiled rulebook, in its order."""

    rules: tuple[Analysis, ...]

    def by_key(self) -> dict[str, list[str]]:
        """Partition key → rule ids (keys with no rule left out)."""
        out: dict[str, list[str]] = {}
        for a in self.rules:
            out.setdefault(a.key, []).append(a.rule_id)
        return out

    def get(self, rule_id: str) -> Analysis:
        """The analysis of one rule."""
        for a in self.rules:
            if a.rule_id == rule_id:
                return a
        raise KeyError(rule_id)

    def render(self, lang: str = "en") -> str:
        """One line per rule: its key, globals and (for ``none``) the reason."""
        lines = []
        for a in self.rules:
            extra = f"  [{len(a.globals)} batch-wide value(s) computed first]" if a.globals else ""
            why = f"  ({a.reason})" if a.key == "none" and a.reason else ""
            lines.append(f"{a.rule_id:<8} {a.key:<12}{extra}{why}")
        counts = {k: len(v) for k, v in self.by_key().items()}
        summary = ", ".join(f"{k} {counts[k]}" for k in KEYS if k in counts)
        lines.append(("分区：" if lang == "zh" else "partition keys: ") + summary)
        return "\n".join(lines)


def plan_partitions(rules: Iterable[CheckedRule]) -> PartitionPlan:
    """Analyse every rule (see :func:`analyse_rule`)."""
    return PartitionPlan(tuple(analyse_rule(r) for r in rules))


# ------------------------------------------------------------ rewriting --
def global_name(rule_id: str, index: int) -> str:
    """The parameter name a rule's ``index``-th batch-wide value is passed as."""
    return f"$scale.{rule_id}.{index}"


def with_globals(rule: CheckedRule, aggs: Sequence[ir.Agg]) -> CheckedRule:
    """``rule`` with each closed aggregate of ``aggs`` replaced by a parameter.

    The parameters are named by :func:`global_name`; their values are the
    aggregates over the whole batch.
    """
    if not aggs:
        return rule
    mapping: dict[ir.Expr, ir.Expr] = {
        agg: ir.Param(global_name(rule.id, i), dtype=agg.dtype) for i, agg in enumerate(aggs)}

    def sub(value: Any) -> Any:
        if isinstance(value, ir.Expr):
            hit = mapping.get(value)
            if hit is not None:
                return hit
            changes = {}
            for field in attrs.fields(type(value)):
                if field.name in ("dtype", "origin"):
                    continue
                old = getattr(value, field.name)
                new = sub(old)
                if new is not old:
                    changes[field.name] = new
            return attrs.evolve(value, **changes) if changes else value
        if isinstance(value, ir.RangeSource):
            low, high = sub(value.low), sub(value.high)
            return value if (low is value.low and high is value.high) else \
                ir.RangeSource(value.kind, low, high)
        if isinstance(value, tuple):
            items = tuple(sub(v) for v in value)
            return value if all(a is b for a, b in zip(items, value)) else items
        return value

    changes = {}
    for field in ("bindings", "where", "group_keys", "when", "amount", "message", "outputs",
                  "lines"):
        old = getattr(rule, field)
        new = sub(old)
        if new is not old:
            changes[field] = new
    return attrs.evolve(rule, **changes)
