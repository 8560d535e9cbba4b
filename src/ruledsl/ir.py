"""The typed, resolved rule IR: what the checker produces and both executions read.

The syntax tree (:mod:`ruledsl.ast.nodes`) says what was written; this IR says
what it means.  Every name is resolved (a Chinese label becomes the national
column name, a derived field is expanded into its definition, a ``定义`` is
inlined), every node carries its :class:`~ruledsl.types.DataType`, and the
surface sugar is gone (``若…则…否则`` is a :class:`Case`, ``x 分钟`` is seconds).

The reference interpreter (:mod:`ruledsl.execute.interpret`) evaluates these
nodes record by record; the compiler (:mod:`ruledsl.execute.vector`) evaluates
them over whole columns.  ``origin`` points back at the rule text and is not
part of a node's identity, so equal sub-expressions of different rules compare
equal (and are computed once by the vectorised plan).

Example:
    >>> from ruledsl.types import INT, BOOL
    >>> one = Const(1, dtype=INT)
    >>> Call(">", (one, Const(0, dtype=INT)), dtype=BOOL) == Call(">", (one, Const(0, dtype=INT)), dtype=BOOL)
    True
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import attrs

from .source import Span
from .types import DataType

T = TypeVar("T")


@attrs.frozen(cache_hash=True)
class Expr:
    """Base of IR expressions."""

    dtype: DataType = attrs.field(kw_only=True)
    origin: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen(cache_hash=True)
class Const(Expr):
    """A constant (``None`` is null); lists of constants are tuples."""

    value: Any


@attrs.frozen(cache_hash=True)
class Param(Expr):
    """A parameter, by qualified name (``GL-02.max_visits`` or a rulebook-level name)."""

    name: str


@attrs.frozen(cache_hash=True)
class Var(Expr):
    """A bound variable: a row of a table (``RowType``) or a generated value."""

    name: str


@attrs.frozen(cache_hash=True)
class Col(Expr):
    """A physical column of the row ``row`` (null when the row is null)."""

    row: Expr
    column: str


@attrs.frozen(cache_hash=True)
class Call(Expr):
    """A scalar builtin (``r2``, ``age``, ``icd3`` …) or an operator.

    Operators are calls too: ``+ - * /`` (arithmetic on numbers, dates,
    timestamps and durations), ``neg``, ``= != < <= > >=``, ``same`` (equal, or both
    null; never null), ``and``, ``or``,
    ``not``, ``is_null``, ``is_not_null``.
    """

    func: str
    args: tuple[Expr, ...]


@attrs.frozen(cache_hash=True)
class InList(Expr):
    """``operand`` is one of the values of ``items`` (a list or set expression)."""

    operand: Expr
    items: Expr
    negated: bool = False


@attrs.frozen(cache_hash=True)
class Before(Expr):
    """``left`` is earlier than ``right`` in the natural ``order`` of ``table``."""

    left: Expr
    right: Expr
    table: str
    order: tuple[str, ...]


@attrs.frozen(cache_hash=True)
class InCodeSet(Expr):
    """``operand`` is in the ``code_set`` set named ``set_id``."""

    operand: Expr
    set_id: Expr


@attrs.frozen(cache_hash=True)
class InCodeRange(Expr):
    """``operand`` is in the code range ``[low, high]`` (code_set semantics)."""

    operand: Expr
    low: Expr
    high: Expr


@attrs.frozen(cache_hash=True)
class Case(Expr):
    """``CASE WHEN c THEN v … ELSE e END``: the first TRUE condition wins."""

    whens: tuple[tuple[Expr, Expr], ...]
    else_: Expr


@attrs.frozen(cache_hash=True)
class ListOf(Expr):
    """A list built from expressions."""

    items: tuple[Expr, ...]


@attrs.frozen(cache_hash=True)
class Template(Expr):
    """A message template: literal text and formatted placeholders.

    Each placeholder is ``(expr, fmt)`` with ``fmt`` one of ``str``, ``int``,
    ``number`` (r4, trailing zeros cut), ``money`` (two decimals), ``date``,
    ``ts``, ``bool``, ``sex``, ``list``.
    """

    parts: tuple[str | tuple[Expr, str], ...]


@attrs.frozen(cache_hash=True)
class TableSource:
    """Rows of a table."""

    table: str


@attrs.frozen(cache_hash=True)
class RangeSource:
    """Generated values ``low … high`` (both included): ``dates`` or ``range``."""

    kind: str
    low: Expr
    high: Expr


Source = TableSource | RangeSource


@attrs.frozen(cache_hash=True)
class Agg(Expr):
    """An aggregate over the rows ``var`` of ``source`` where ``where`` is TRUE.

    ``func`` is one of ``count``, ``sum``, ``min``, ``max``, ``avg``,
    ``count_distinct``, ``exists``, ``any``, ``all``, ``first``, ``last``,
    ``collect``, ``mode``, ``longest_run``.  ``first``/``last`` without a
    value give the row itself.  ``order`` keys are ``(expr, descending)``;
    nulls sort last; ties fall back to the source's natural order.
    """

    func: str
    var: str
    source: Source
    where: Expr | None
    value: Expr | None
    order: tuple[tuple[Expr, bool], ...] = ()


@attrs.frozen(cache_hash=True)
class GroupAgg(Expr):
    """An aggregate over the members of the current group (group rules only)."""

    func: str
    where: Expr | None
    value: Expr | None


AGGREGATES = (
    "count", "sum", "min", "max", "avg", "count_distinct", "exists", "any", "all",
    "first", "last", "collect", "mode", "longest_run",
)


def children(node: Expr) -> Iterator[Expr]:
    """The direct sub-expressions of ``node``, in field order."""
    for field in attrs.fields(type(node)):
        if field.name in ("dtype", "origin"):
            continue
        yield from _exprs(getattr(node, field.name))


def _exprs(value: Any) -> Iterator[Expr]:
    if isinstance(value, Expr):
        yield value
    elif isinstance(value, RangeSource):
        yield value.low
        yield value.high
    elif isinstance(value, tuple):
        for item in value:
            yield from _exprs(item)


def conjuncts(expr: Expr | None) -> list[Expr]:
    """The ``and``-ed parts of a condition."""
    if expr is None:
        return []
    if isinstance(expr, Call) and expr.func == "and":
        return conjuncts(expr.args[0]) + conjuncts(expr.args[1])
    return [expr]


def columns_read(exprs: Iterable[Expr]) -> dict[str, frozenset[str]]:
    """Table → the physical columns ``exprs`` name; a table an aggregate ranges over is
    listed even when no column of it is named (``计数(明细 y)``).

    Example:
        >>> from ruledsl.types import RowType, INT
        >>> x = Var("x", dtype=RowType("fee"))
        >>> columns_read([Col(x, "cnt", dtype=INT)])
        {'fee': frozenset({'cnt'})}
    """
    out: dict[str, set[str]] = {}
    for expr in exprs:
        for sub in walk(expr):
            if isinstance(sub, Col) and hasattr(sub.row.dtype, "table"):
                out.setdefault(sub.row.dtype.table, set()).add(sub.column)
            elif isinstance(sub, Agg) and isinstance(sub.source, TableSource):
                out.setdefault(sub.source.table, set())
    return {t: frozenset(c) for t, c in out.items()}


def walk(node: Expr) -> Iterator[Expr]:
    """``node`` and all its sub-expressions, depth first."""
    yield node
    for child in children(node):
        yield from walk(child)


def memo_by_identity(fn: Callable[[Expr], T]) -> Callable[[Expr], T]:
    """Memoise a function of one node by the node's identity (up to ``1 << 16`` nodes, then
    start again). Unlike :func:`functools.lru_cache`, a look-up never compares expression
    trees: a node equal to a cached one but not it (the same rule compiled again, by a
    service that reloads its rulebook) would be compared with it node by node on every
    call. An entry keeps its node alive, so that no other node takes its id."""
    memo: dict[int, tuple[Expr, T]] = {}

    @functools.wraps(fn)
    def memoised(node: Expr) -> T:
        hit = memo.get(id(node))
        if hit is not None:
            return hit[1]
        if len(memo) >= 1 << 16:
            memo.clear()
        value = fn(node)
        memo[id(node)] = (node, value)
        return value

    return memoised


@memo_by_identity
def free_vars(node: Expr) -> frozenset[str]:
    """The variables ``node`` reads that it does not bind itself.

    Example:
        >>> from ruledsl.types import RowType, INT
        >>> x = Var("x", dtype=RowType("fee"))
        >>> sorted(free_vars(Col(x, "cnt", dtype=INT)))
        ['x']
    """
    if isinstance(node, Var):
        return frozenset((node.name,))
    if isinstance(node, Agg):
        inner = frozenset().union(
            *(free_vars(e) for e in (node.where, node.value) if e is not None),
            *(free_vars(k) for k, _ in node.order),
        )
        outer = frozenset()
        if isinstance(node.source, RangeSource):
            outer = free_vars(node.source.low) | free_vars(node.source.high)
        return (inner - {node.var}) | outer
    out: frozenset[str] = frozenset()
    for child in children(node):
        out |= free_vars(child)
    return out


@memo_by_identity
def uses_group(node: Expr) -> bool:
    """Whether ``node`` contains a :class:`GroupAgg` (outside nested ``Agg`` sources)."""
    return any(isinstance(sub, GroupAgg) for sub in walk(node))


def substitute(node: Expr, name: str, replacement: Expr) -> Expr:
    """Replace the free variable ``name`` by ``replacement`` (bound names are respected)."""
    if isinstance(node, Var):
        return replacement if node.name == name else node
    if isinstance(node, Agg) and node.var == name:
        source = node.source
        if isinstance(source, RangeSource):
            source = attrs.evolve(
                source,
                low=substitute(source.low, name, replacement),
                high=substitute(source.high, name, replacement),
            )
        return attrs.evolve(node, source=source)
    return rebuild(node, lambda sub: substitute(sub, name, replacement))


def intern(node: Expr, forms: dict[Expr, Expr]) -> Expr:
    """``node`` with each sub-expression replaced by the equal one already in ``forms``
    (added when new): equal sub-trees become one object, so that caches keyed by
    expressions find them by identity instead of comparing trees node by node.

    Example:
        >>> from ruledsl.types import RowType, INT
        >>> forms: dict[Expr, Expr] = {}
        >>> a = Col(Var("x", dtype=RowType("fee")), "cnt", dtype=INT)
        >>> b = Col(Var("x", dtype=RowType("fee")), "cnt", dtype=INT)
        >>> intern(a, forms) is intern(b, forms) is a
        True
    """
    hit = forms.get(node)
    if hit is not None:  # (its sub-expressions are interned already)
        return hit
    node = rebuild(node, lambda sub: intern(sub, forms))
    return forms.setdefault(node, node)


def rebuild(node: Expr, fn: Callable[[Expr], Expr]) -> Expr:
    """``node`` with ``fn`` applied to each direct sub-expression (in ranges and tuples
    too); ``node`` itself when ``fn`` changes none."""
    changes: dict[str, Any] = {}
    for field in attrs.fields(type(node)):
        if field.name in ("dtype", "origin"):
            continue
        value = getattr(node, field.name)
        new = _map_value(value, fn)
        if new is not value:
            changes[field.name] = new
    return attrs.evolve(node, **changes) if changes else node


def _map_value(value: Any, fn: Callable[[Expr], Expr]) -> Any:
    if isinstance(value, Expr):
        return fn(value)
    if isinstance(value, RangeSource):
        low, high = fn(value.low), fn(value.high)
        return value if (low is value.low and high is value.high) else RangeSource(value.kind, low, high)
    if isinstance(value, tuple):
        items = tuple(_map_value(v, fn) for v in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value
