"""The reference interpreter: what a rule means, evaluated record by record.

This module is the definition of the language's semantics; the vectorised
engine must produce the same violations table.  It favours being obviously
right over being fast and is meant for small data (rule examples, property
tests).  Scalar builtins and message formatting live in
:mod:`ruledsl.execute.scalar`; building, de-duplicating and sorting the output
in :mod:`ruledsl.execute.output`.

**Data.**  Hygiene (:func:`~ruledsl.data.load.apply_hygiene`) is applied to
the claims first; then every table becomes a list of Python rows.  A table
that is not given is empty.  Values: ``str``, ``int``, ``float`` (money too),
``bool``; dates are ``int`` days since 1970-01-01, timestamps ``int`` seconds
(naive local time), months ``int`` months since 1970-01, durations seconds; a
row is a :class:`Row` ``(table, index)``; lists are tuples; null is ``None``.
Parameters come by qualified name (``ZL-04.price_tol``); ``date`` values become
days, ``datetime`` values seconds, sets and lists tuples.

**Expressions** (:mod:`ruledsl.ir`):

* Three-valued logic: ``and``/``or``/``not`` are Kleene's; a comparison, an
  arithmetic operator or a builtin with a null operand is null, except
  ``coalesce`` (first non-null), ``is_null``/``is_not_null``, ``InList`` and
  ``Case``.  A condition holds only where it is TRUE.
* ``+ - *`` on numbers, ``/`` always float division and null when the divisor
  is 0.  Dates ± int days, date − date (days), ts ± duration, ts − ts
  (seconds), month ± int and month − month are the same integer arithmetic.
* ``=``/``!=`` on rows compare the identity ``(table, index)``.
* ``InList``: TRUE when the operand equals an item; otherwise null when the
  operand or an item is null (also for an empty list), else FALSE; the
  negation is NOT of that.  A null list (a null parameter) gives null.
* ``Before``: null when either row is null; otherwise whether ``left``'s
  order tuple sorts strictly before ``right``'s (lexicographic, strings by
  code point, a null order value after every value: the natural order).
* ``same`` (``等同``): TRUE when both operands are null or both are equal;
  never null.
* ``InCodeSet``: null when the code or the set id is null; TRUE when some
  ``code_set`` row of the set holds the code (contract §3, after normalising
  code, ``code_from`` and ``code_to``); FALSE otherwise, also when the set has
  no rows.  A row with a null ``code_from`` or ``code_to`` holds nothing (it
  is an EXISTS: a null match is no match).  ``InCodeRange`` tests one range
  and is null when any of its three operands is null.
* ``Case``: the first branch whose condition is TRUE, else the ``else`` value.
* ``Col``: null when the row is null.
* Builtins: see :mod:`~ruledsl.execute.scalar`.  ``least``/``greatest`` are
  null when any argument is null.  ``left(s, n)`` is Python's ``s[:n]``, i.e.
  SQL's ``left``: a negative ``n`` drops ``|n|`` characters from the end.
  ``date(d)`` of a date is ``d``; ``month(ts)`` is ``month(date(ts))``.

**Aggregates** (``Agg`` over a source, ``GroupAgg`` over the members of the
current group).  A ``TableSource`` yields every row of the table (claims after
hygiene) in the table's *natural order*: its schema ``order`` columns (else its
key, else all its columns) ascending, nulls last, then the row index.  A
``RangeSource`` yields ``low, low+1, …, high`` (nothing when a bound
is null or ``high < low``).  Items where ``where`` is TRUE are kept (all when
there is no ``where``).  Then:

* ``count``: the number kept; ``exists``: whether any is kept.
* ``sum``: the sum of the non-null values (0 when there are none; an ``int``
  sum stays ``int``, a ``float``/``money`` one is ``float``); ``avg``: the
  mean of the non-null values; ``min``/``max``: of the non-null values
  (``avg``/``min``/``max`` are null when there are none).
* ``count_distinct``: the number of distinct non-null values.
* ``any``: some value is TRUE; ``all``: every kept value is TRUE (a null or
  FALSE value fails it; TRUE when nothing is kept).
* ``first``/``last``/``collect``: the kept items sorted by the ``order`` keys
  (ascending unless ``descending``, nulls last in both directions), ties in
  natural order (for generated values: by value); ``first`` is the value of
  the first item, ``last`` of the last one (the item itself without a value;
  null when nothing is kept); ``collect`` is the tuple of all values (nulls
  kept).
* ``mode``: the most frequent non-null value, ties to the smallest; null when
  there is none.
* ``longest_run``: the longest run of consecutive items, in source order,
  whose ``where`` is TRUE (a range: consecutive values; a table: consecutive
  rows of all its rows in natural order; a group: consecutive members).

``GroupAgg`` binds each member's variables in turn; it has no ``order``, so
``first``/``last``/``collect`` follow the member order, and ``first`` without
a value gives the member's first variable.

**Rules.**  A *row rule* iterates the cross product of its bindings (each in
natural order, a later binding may depend on an earlier one) and fires for
each combination where ``where`` and ``when`` are TRUE.  A *group rule*
collects the *members* (combinations where ``where`` is TRUE, in that order),
groups them by the tuple of ``group_keys`` values (SQL GROUP BY: null equals
null; a rule that wants null keys to form no group says ``… 不为空`` in its
``where``), and fires for each group where ``when`` is TRUE.  Outside any
``GroupAgg`` a member variable denotes the group's first member.

Each firing records the output key columns, ``vola_amt = r2(amount)`` (−0 as
0, null when the amount is null), the ``message`` and ``lines`` (distinct
non-null strings sorted by code point).  A rule fires at most once per key:
of several firings with one key the one that sorts first by (``message``,
``vola_amt``, ``lines``) is kept (:func:`~ruledsl.execute.output.dedup_by_key`).

**Which rules.**  ``rules=None`` runs a rulebook's enabled rules (every rule of
a plain list); rules named in ``rules`` run even when disabled.  A rule's
effective dates need nothing here: the checker adds them to ``when``.

Example:
    >>> from ruledsl.rulebook import load_text
    >>> import pyarrow as pa
    >>> book = load_text('''规则 R-1 "数量过多" { 类别 药品类 结果类型 可疑 环节 事后 层级 明细
    ...     对每条 明细 x 当 x.数量 > 2 违规金额 x.金额 提示 "数量{x.数量}" }''')
    >>> fee = pa.table({"feedetl_sn": ["F1", "F2"], "cnt": [3.0, 1.0],
    ...                 "det_item_fee_sumamt": [30.0, 10.0], "vali_flag": ["1", "1"]})
    >>> out = interpret(book, {"fee": fee}, {})
    >>> out.select(["rule_id", "feedetl_sn", "vola_amt", "message", "lines"]).to_pylist()
    [{'rule_id': 'R-1', 'feedetl_sn': 'F1', 'vola_amt': 30.0, 'message': '数量3', 'lines': ['F1']}]
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import attrs
import pyarrow as pa

from .. import ir
from ..check.model import CheckedRule
from ..data.load import apply_hygiene
from ..rulebook import Rulebook
from ..schema import SCHEMA
from ..types import (
    BOOL,
    DATE,
    DURATION,
    FLOAT,
    INT,
    MONEY,
    MONTH,
    TIMESTAMP,
    DataType,
    ListType,
    SetType,
)
from . import scalar
from .output import KEY_COLUMNS, build_violations, concat_and_sort, dedup_by_key

__all__ = [
    "Data",
    "Firing",
    "InterpretError",
    "Row",
    "RuleEvaluator",
    "interpret",
    "param_value",
    "rule_firings",
    "run_rule",
]

Env = dict[str, Any]
"""Variable name → value."""


class Row(NamedTuple):
    """A reference to one row: ``(table, index)`` into :attr:`Data.rows`."""

    table: str
    index: int


class InterpretError(RuntimeError):
    """A rule could not be evaluated (names the rule; the cause is chained)."""


# ---------------------------------------------------------------------- data --
def _column_values(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """One Arrow column as Python values: dates → days, timestamps → seconds."""
    t = column.type
    if pa.types.is_date(t):
        return column.cast(pa.date32()).cast(pa.int32()).to_pylist()
    if pa.types.is_timestamp(t):
        return column.cast(pa.timestamp("s")).cast(pa.int64()).to_pylist()
    return column.to_pylist()


def table_rows(name: str, table: pa.Table | None) -> list[dict[str, Any]]:
    """The rows of contract table ``name`` as dicts (every contract column present)."""
    columns = [c.name for c in SCHEMA.tables[name].columns]
    if table is None:
        return []
    n = table.num_rows
    values = {
        c: _column_values(table.column(c)) if c in table.column_names else [None] * n
        for c in columns
    }
    return [{c: values[c][i] for c in columns} for i in range(n)]


def _compare_keys(a: Sequence[Any], b: Sequence[Any], descending: Sequence[bool]) -> int:
    """Compare two sort-key tuples: nulls last in both directions."""
    for x, y, desc in zip(a, b, descending):
        if x is None and y is None:
            continue
        if x is None:
            return 1
        if y is None:
            return -1
        if x == y:
            continue
        less = x < y
        if desc:
            return 1 if less else -1
        return -1 if less else 1
    return 0


class Data:
    """A claim batch and knowledge base as Python rows, with natural orders."""

    def __init__(self, tables: Mapping[str, pa.Table]) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {
            name: table_rows(name, tables.get(name)) for name in SCHEMA.tables
        }
        self.natural: dict[str, list[int]] = {
            name: self._natural_order(name) for name in SCHEMA.tables
        }
        self._indexes: dict[tuple[str, str], dict[Any, list[Row]]] = {}
        self.code_sets: dict[str, list[tuple[str, str]]] = {}
        for row in self.rows["code_set"]:
            low = scalar.normalize_code(row["code_from"])
            high = scalar.normalize_code(row["code_to"])
            if row["set_id"] is not None and low is not None and high is not None:
                self.code_sets.setdefault(row["set_id"], []).append((low, high))

    @classmethod
    def from_batch(cls, claims: Mapping[str, pa.Table], kb: Mapping[str, pa.Table]) -> Data:
        """The data the rules see: hygiene applied to ``claims``, then ``kb`` added."""
        clean, _ = apply_hygiene(claims)
        return cls({**kb, **clean})

    def _natural_order(self, name: str) -> list[int]:
        order = SCHEMA.tables[name].natural_order
        rows = self.rows[name]

        def key(i: int) -> tuple[Any, ...]:
            return tuple(rows[i][c] for c in order)

        def compare(i: int, j: int) -> int:
            return _compare_keys(key(i), key(j), [False] * len(order)) or (i > j) - (i < j)

        return sorted(range(len(rows)), key=functools.cmp_to_key(compare))

    def row_refs(self, table: str) -> list[Row]:
        """Every row of ``table``, in natural order."""
        return [Row(table, i) for i in self.natural[table]]

    def rows_with(self, table: str, column: str, value: Any) -> list[Row]:
        """The rows of ``table`` whose ``column`` equals ``value`` (non-null), in natural order."""
        key = (table, column)
        index = self._indexes.get(key)
        if index is None:
            index = {}
            for row in self.row_refs(table):
                cell = self.value(row, column)
                if cell is not None:
                    index.setdefault(cell, []).append(row)
            self._indexes[key] = index
        return index.get(value, [])

    def value(self, row: Row, column: str) -> Any:
        """``row.column``."""
        return self.rows[row.table][row.index][column]


def param_value(value: Any) -> Any:
    """A parameter value as the interpreter represents it (dates → days, sets → tuples).

    Example:
        >>> param_value(dt.date(1970, 1, 3)), param_value(frozenset({"13"}))
        (2, ('13',))
    """
    if isinstance(value, dt.datetime):
        return scalar.ts_from_datetime(value)
    if isinstance(value, dt.date):
        return scalar.days_from_date(value)
    if isinstance(value, frozenset | set):
        return tuple(sorted(param_value(v) for v in value))
    if isinstance(value, tuple | list):
        return tuple(param_value(v) for v in value)
    return value


# ---------------------------------------------------------------- evaluation --
@attrs.frozen
class Group:
    """The current group of a group rule: its number and its members' bindings."""

    number: int
    members: tuple[Env, ...]


@attrs.frozen
class Firing:
    """One firing of one rule, before de-duplication."""

    outputs: dict[str, Any]
    """Key column → value (``period_*`` as days)."""
    vola_amt: float | None
    message: str
    lines: tuple[str, ...]


_ITEM_FORMATS: dict[DataType, str] = {
    MONEY: "money", FLOAT: "number", INT: "int", DATE: "date", TIMESTAMP: "ts", BOOL: "bool",
    MONTH: "month", DURATION: "int",
}


def _item_format(dtype: DataType) -> str:
    if isinstance(dtype, ListType | SetType):
        return _ITEM_FORMATS.get(dtype.item, "str")
    return "str"


_UNBOUND = object()


class RuleEvaluator:
    """Evaluates the expressions of one rule against one batch.

    Aggregates are memoised per rule: the value of an ``Agg`` depends only on
    the node, the values of its free variables (and, when it contains a
    ``GroupAgg``, on the current group), so equal nodes with equal free
    variable values share one result.  A table scan whose ``where`` requires
    ``var.column = expr`` visits only the rows with that value (a hash index).
    """

    def __init__(self, rule: CheckedRule, data: Data, params: Mapping[str, Any]) -> None:
        self.rule = rule
        self.data = data
        self.params = params
        self.member_vars = frozenset(var for var, _ in rule.bindings)
        self._canon: dict[ir.Expr, int] = {}
        self._info: dict[int, tuple[int, tuple[str, ...], bool]] = {}
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._lookups: dict[int, tuple[str, ir.Expr] | None] = {}

    # ------------------------------------------------------------ firings --
    def firings(self) -> list[Firing]:
        """Every firing of the rule (one per combination or group; not de-duplicated)."""
        rule = self.rule
        combos = self._combinations(rule.bindings, {})
        if rule.group_keys is None:
            out = []
            for env in combos:
                if self._holds(rule.where, env, None) and self.eval(rule.when, env, None) is True:
                    out.append(self._firing(env, None))
            return out
        groups: dict[tuple[Any, ...], list[Env]] = {}
        for env in combos:
            if self._holds(rule.where, env, None):
                key = tuple(self.eval(k, env, None) for k in rule.group_keys)
                groups.setdefault(key, []).append(env)
        out = []
        for number, members in enumerate(groups.values()):
            group = Group(number, tuple(members))
            env = dict(members[0])
            if self.eval(rule.when, env, group) is True:
                out.append(self._firing(env, group))
        return out

    def _combinations(self, bindings: Sequence[tuple[str, ir.Source]], env: Env) -> Iterator[Env]:
        """The cross product of the bindings, each source in natural order."""
        if not bindings:
            yield env
            return
        (var, source), rest = bindings[0], bindings[1:]
        for item in self._source_items(source, env, None):
            yield from self._combinations(rest, {**env, var: item})

    def _holds(self, cond: ir.Expr | None, env: Env, group: Group | None) -> bool:
        return cond is None or self.eval(cond, env, group) is True

    def _firing(self, env: Env, group: Group | None) -> Firing:
        rule = self.rule
        outputs = {col: self.eval(expr, env, group) for col, expr in rule.outputs}
        amount = self.eval(rule.amount, env, group)
        vola = None if amount is None else scalar.r2(amount)
        message = self.eval(rule.message, env, group)
        if not isinstance(message, str):
            message = scalar.format_value(message, "str")
        lines = self.eval(rule.lines, env, group)
        if lines is None:
            lines = ()
        elif isinstance(lines, str):
            lines = (lines,)
        distinct = tuple(sorted({s for s in lines if s is not None}))
        return Firing(outputs, None if vola is None else vola + 0.0, message, distinct)

    # -------------------------------------------------------- expressions --
    def eval(self, node: ir.Expr, env: Env, group: Group | None = None) -> Any:
        """The value of ``node`` with variables ``env`` in group context ``group``."""
        if isinstance(node, ir.Const):
            return param_value(node.value) if isinstance(node.value, dt.date) else node.value
        if isinstance(node, ir.Param):
            if node.name not in self.params:
                raise KeyError(f"no value for parameter {node.name!r}")
            return self.params[node.name]
        if isinstance(node, ir.Var):
            return env[node.name]
        if isinstance(node, ir.Col):
            row = self.eval(node.row, env, group)
            return None if row is None else self.data.value(row, node.column)
        if isinstance(node, ir.Call):
            return self._call(node, env, group)
        if isinstance(node, ir.InList):
            return self._in_list(node, env, group)
        if isinstance(node, ir.Before):
            return self._before(node, env, group)
        if isinstance(node, ir.InCodeSet):
            code = self.eval(node.operand, env, group)
            set_id = self.eval(node.set_id, env, group)
            if code is None or set_id is None:
                return None
            return any(
                scalar.in_code_range(code, low, high)
                for low, high in self.data.code_sets.get(set_id, ())
            )
        if isinstance(node, ir.InCodeRange):
            return scalar.in_code_range(
                self.eval(node.operand, env, group),
                self.eval(node.low, env, group),
                self.eval(node.high, env, group),
            )
        if isinstance(node, ir.Case):
            for cond, value in node.whens:
                if self.eval(cond, env, group) is True:
                    return self.eval(value, env, group)
            return self.eval(node.else_, env, group)
        if isinstance(node, ir.ListOf):
            return tuple(self.eval(item, env, group) for item in node.items)
        if isinstance(node, ir.Template):
            return self._template(node, env, group)
        if isinstance(node, ir.Agg):
            return self._agg(node, env, group)
        if isinstance(node, ir.GroupAgg):
            return self._group_agg(node, env, group)
        raise TypeError(f"cannot evaluate {type(node).__name__}")

    def _call(self, node: ir.Call, env: Env, group: Group | None) -> Any:
        func = node.func
        if func == "and":
            left = self.eval(node.args[0], env, group)
            if left is False:
                return False
            right = self.eval(node.args[1], env, group)
            if right is False:
                return False
            return True if (left is True and right is True) else None
        if func == "or":
            left = self.eval(node.args[0], env, group)
            if left is True:
                return True
            right = self.eval(node.args[1], env, group)
            if right is True:
                return True
            return False if (left is False and right is False) else None
        args = [self.eval(a, env, group) for a in node.args]
        if func == "same":
            return args[0] == args[1] if None not in args else args[0] is None and args[1] is None
        if func == "coalesce":
            return next((a for a in args if a is not None), None)
        if func == "is_null":
            return args[0] is None
        if func == "is_not_null":
            return args[0] is not None
        if any(a is None for a in args):
            return None
        value = _apply(func, args, node.args)
        if node.dtype in (TIMESTAMP, DATE, MONTH) and isinstance(value, float):
            return math.floor(value)  # whole seconds / days / months: a fraction goes down
        return value

    def _in_list(self, node: ir.InList, env: Env, group: Group | None) -> bool | None:
        operand = self.eval(node.operand, env, group)
        items = self.eval(node.items, env, group)
        if items is None:
            return None
        values = list(items)
        if operand is not None and any(v is not None and v == operand for v in values):
            found: bool | None = True
        elif operand is None or any(v is None for v in values):
            found = None
        else:
            found = False
        if node.negated:
            return None if found is None else not found
        return found

    def _before(self, node: ir.Before, env: Env, group: Group | None) -> bool | None:
        left = self.eval(node.left, env, group)
        right = self.eval(node.right, env, group)
        if left is None or right is None:
            return None
        a = tuple(self.data.value(left, c) for c in node.order)
        b = tuple(self.data.value(right, c) for c in node.order)
        return _compare_keys(a, b, (False,) * len(a)) < 0

    def _template(self, node: ir.Template, env: Env, group: Group | None) -> str:
        out = []
        for part in node.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            expr, fmt = part
            value = self.eval(expr, env, group)
            out.append(scalar.format_value(value, fmt, _item_format(expr.dtype)))
        return "".join(out)

    # --------------------------------------------------------- aggregates --
    def _node_info(self, node: ir.Expr) -> tuple[int, tuple[str, ...], bool]:
        info = self._info.get(id(node))
        if info is None:
            canon = self._canon.setdefault(node, len(self._canon))
            free = ir.free_vars(node)
            if isinstance(node, ir.GroupAgg):
                free -= self.member_vars
            info = (canon, tuple(sorted(free)), ir.uses_group(node))
            self._info[id(node)] = info
        return info

    def _cache_key(self, kind: str, node: ir.Expr, env: Env, group: Group | None
                   ) -> tuple[Any, ...]:
        canon, free, grouped = self._node_info(node)
        bound = tuple(env.get(v, _UNBOUND) for v in free)
        return (kind, canon, bound, group.number if (grouped and group is not None) else None)

    def _source_items(self, source: ir.Source, env: Env, group: Group | None) -> list[Any]:
        if isinstance(source, ir.TableSource):
            return list(self.data.row_refs(source.table))
        low = self.eval(source.low, env, group)
        high = self.eval(source.high, env, group)
        if low is None or high is None or high < low:
            return []
        return list(range(int(low), int(high) + 1))

    def _agg(self, node: ir.Agg, env: Env, group: Group | None) -> Any:
        key = self._cache_key("agg", node, env, group)
        if key in self._cache:
            return self._cache[key]
        lookup = self._lookup(node)
        if lookup is None:
            items = self._source_items(node.source, env, group)
        else:
            # Only rows with ``column = value`` can make ``where`` TRUE (see _lookup).
            column, expr = lookup
            value = self.eval(expr, env, group)
            table = node.source.table  # type: ignore[union-attr]
            items = [] if value is None else self.data.rows_with(table, column, value)
        envs = [{**env, node.var: item} for item in items]
        result = self._reduce(node.func, envs, node.where, node.value, node.order,
                              lambda e: e[node.var], node.dtype, group)
        self._cache[key] = result
        return result

    def _lookup(self, node: ir.Agg) -> tuple[str, ir.Expr] | None:
        """An equality ``var.column = expr`` among the top-level conjuncts of ``where``.

        Kleene ``and`` is TRUE only when every conjunct is TRUE, and ``=`` is
        TRUE only between equal non-null values, so the rows that can be kept
        are exactly among those whose ``column`` equals ``expr`` (which does
        not read ``var``).  Used to narrow a table scan; never for
        ``longest_run``, which looks at every row.
        """
        if id(node) in self._lookups:
            return self._lookups[id(node)]
        found = None
        if (isinstance(node.source, ir.TableSource) and node.where is not None
                and node.func != "longest_run"):
            for conj in _conjuncts(node.where):
                if not (isinstance(conj, ir.Call) and conj.func == "="):
                    continue
                for mine, other in (conj.args, conj.args[::-1]):
                    if (isinstance(mine, ir.Col) and isinstance(mine.row, ir.Var)
                            and mine.row.name == node.var
                            and node.var not in ir.free_vars(other)):
                        found = (mine.column, other)
                        break
                if found:
                    break
        self._lookups[id(node)] = found
        return found

    def _group_agg(self, node: ir.GroupAgg, env: Env, group: Group | None) -> Any:
        if group is None:
            raise InterpretError("a group aggregate outside a group rule")
        key = self._cache_key("group", node, env, group)
        if key in self._cache:
            return self._cache[key]
        envs = [{**env, **member} for member in group.members]
        first_var = self.rule.bindings[0][0]
        result = self._reduce(node.func, envs, node.where, node.value, (),
                              lambda e: e[first_var], node.dtype, group)
        self._cache[key] = result
        return result

    def _reduce(self, func: str, envs: list[Env], where: ir.Expr | None, value: ir.Expr | None,
                order: tuple[tuple[ir.Expr, bool], ...], itself: Callable[[Env], Any],
                dtype: DataType, group: Group | None) -> Any:
        """Aggregate ``func`` over the items ``envs`` (in source order)."""
        flags = [self._holds(where, e, group) for e in envs]
        if func == "longest_run":
            best = run = 0
            for flag in flags:
                run = run + 1 if flag else 0
                best = max(best, run)
            return best
        kept = [e for e, flag in zip(envs, flags) if flag]
        if func == "count":
            return len(kept)
        if func == "exists":
            return bool(kept)

        def value_of(e: Env) -> Any:
            return itself(e) if value is None else self.eval(value, e, group)

        if func in ("first", "last", "collect"):
            if order:
                kept = self._sorted(kept, order, group)
            if func == "collect":
                return tuple(value_of(e) for e in kept)
            if not kept:
                return None
            return value_of(kept[0] if func == "first" else kept[-1])
        values = [value_of(e) for e in kept]
        present = [v for v in values if v is not None]
        if func == "any":
            return any(v is True for v in values)
        if func == "all":
            return all(v is True for v in values)
        if func == "count_distinct":
            return len(set(present))
        if func == "sum":
            total = sum(present, 0)
            return float(total) if dtype in (FLOAT, MONEY) else total
        if not present:
            return None
        if func == "avg":
            return sum(present, 0) / len(present)
        if func == "min":
            return min(present)
        if func == "max":
            return max(present)
        if func == "mode":
            counts = Counter(present)
            best = max(counts.values())
            return min(v for v, c in counts.items() if c == best)
        raise InterpretError(f"unknown aggregate {func!r}")

    def _sorted(self, envs: list[Env], order: tuple[tuple[ir.Expr, bool], ...],
                group: Group | None) -> list[Env]:
        """Stable sort by the order keys (nulls last in both directions)."""
        descending = [desc for _, desc in order]
        keyed = [(tuple(self.eval(k, e, group) for k, _ in order), e) for e in envs]
        keyed.sort(key=functools.cmp_to_key(lambda a, b: _compare_keys(a[0], b[0], descending)))
        return [e for _, e in keyed]


def _conjuncts(cond: ir.Expr) -> Iterator[ir.Expr]:
    """The operands of a chain of ``and``."""
    if isinstance(cond, ir.Call) and cond.func == "and":
        for arg in cond.args:
            yield from _conjuncts(arg)
    else:
        yield cond


def _apply(func: str, args: list[Any], nodes: Sequence[ir.Expr]) -> Any:
    """A strict builtin or operator on non-null arguments."""
    if func == "=":
        return args[0] == args[1]
    if func == "!=":
        return args[0] != args[1]
    if func == "<":
        return args[0] < args[1]
    if func == "<=":
        return args[0] <= args[1]
    if func == ">":
        return args[0] > args[1]
    if func == ">=":
        return args[0] >= args[1]
    if func == "not":
        return not args[0]
    if func == "neg":
        return -args[0]
    if func == "+":
        return args[0] + args[1]
    if func == "-":
        return args[0] - args[1]
    if func == "*":
        return args[0] * args[1]
    if func == "/":
        return None if args[1] == 0 else args[0] / args[1]
    if func == "r2":
        return scalar.r2(args[0])
    if func == "r4":
        return scalar.r4(args[0])
    if func == "abs":
        return abs(args[0])
    if func == "least":
        return min(args)
    if func == "greatest":
        return max(args)
    if func == "age":
        return scalar.age(args[0], args[1])
    if func == "age_days":
        return scalar.age_days(args[0], args[1])
    if func == "date":
        return args[0] if nodes[0].dtype == DATE else scalar.date_of_ts(args[0])
    if func == "month":
        day = scalar.date_of_ts(args[0]) if nodes[0].dtype == TIMESTAMP else args[0]
        return scalar.month_of_days(day)
    if func == "month_start":
        return scalar.month_start(args[0])
    if func == "month_end":
        return scalar.month_end(args[0])
    if func == "icd3":
        return scalar.icd3(args[0])
    if func == "normalize_code":
        return scalar.normalize_code(args[0])
    if func == "left":
        return args[0][: int(args[1])]
    if func == "length":
        return len(args[0])
    if func == "upper":
        return args[0].upper()
    raise InterpretError(f"unknown function {func!r}")


# ----------------------------------------------------------------------- run --
def rule_firings(rule: CheckedRule, data: Data, params: Mapping[str, Any]) -> list[Firing]:
    """Every firing of ``rule`` (not de-duplicated); ``params`` already converted."""
    try:
        return RuleEvaluator(rule, data, params).firings()
    except InterpretError:
        raise
    except Exception as exc:
        raise InterpretError(f"rule {rule.id}: {type(exc).__name__}: {exc}") from exc


def run_rule(rule: CheckedRule, data: Data, params: Mapping[str, Any]) -> pa.Table:
    """One rule's violations: its firings, one per key, sorted."""
    firings = rule_firings(rule, data, params)
    columns: dict[str, list[Any]] = {
        col: [f.outputs.get(col) for f in firings] for col in KEY_COLUMNS
    }
    columns["vola_amt"] = [f.vola_amt for f in firings]
    columns["message"] = [f.message for f in firings]
    columns["lines"] = [list(f.lines) for f in firings]
    return dedup_by_key(build_violations(rule, columns))


def _select_rules(
    rulebook_or_rules: Rulebook | Iterable[CheckedRule],
    params: Mapping[str, Any] | None,
    rule_ids: Sequence[str] | None,
) -> tuple[list[CheckedRule], dict[str, Any]]:
    if isinstance(rulebook_or_rules, Rulebook):
        book = rulebook_or_rules
        values = book.param_values(params)
        if rule_ids is None:
            return list(book.enabled_rules), values
        return [book.rule(r) for r in rule_ids], values
    every = list(rulebook_or_rules)
    values = {p.name: p.default for rule in every for p in rule.params}
    for key, value in (params or {}).items():
        targets = [key] if key in values else [
            p.name for rule in every for p in rule.params if p.local == key
        ]
        for name in targets or [key]:
            values[name] = value
    if rule_ids is None:
        return every, values
    by_id = {rule.id: rule for rule in every}
    return [by_id[r] for r in rule_ids], values


def interpret(
    rulebook_or_rules: Rulebook | Iterable[CheckedRule],
    claims: Mapping[str, pa.Table],
    kb: Mapping[str, pa.Table],
    params: Mapping[str, Any] | None = None,
    rules: Sequence[str] | None = None,
) -> pa.Table:
    """Run rules with the reference semantics; return the sorted violations table.

    Args:
        rulebook_or_rules: A :class:`~ruledsl.rulebook.Rulebook` or checked rules.
        claims: Claim tables (normalised Arrow tables; hygiene is applied here).
        kb: Knowledge-base tables.  A missing table of either kind is empty.
        params: Parameter values by qualified name (or a bare name: every
            parameter of that name); the rest keep their defaults.
        rules: Rule ids to run (default: the enabled rules).

    Returns:
        The violations table of data-contract §4, one row per (rule, key), sorted.
    """
    selected, values = _select_rules(rulebook_or_rules, params, rules)
    converted = {name: param_value(value) for name, value in values.items()}
    data = Data.from_batch(claims, kb)
    return concat_and_sort(run_rule(rule, data, converted) for rule in selected)
