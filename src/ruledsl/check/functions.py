"""Builtin functions and operators: signatures as a table, typing as small rules.

Each scalar builtin maps to ``(min_args, max_args, result)`` where ``result``
computes the result type from the argument types or returns an error text.

Example:
    >>> from ruledsl.types import DATE, INT
    >>> result_type("age", (DATE, DATE)), result_type("age", (INT, DATE))
    (Scalar(name='int'), '周岁() 的参数应为日期')
"""

from __future__ import annotations

from collections.abc import Callable

from ..syntax.vocab import spell_function
from ..types import (
    BOOL,
    DATE,
    DURATION,
    FLOAT,
    INT,
    MONEY,
    MONTH,
    NULL,
    STR,
    TIMESTAMP,
    UNKNOWN,
    DataType,
    ListType,
    unify,
)

TypeRule = Callable[[tuple[DataType, ...]], "DataType | str"]


def _is(t: DataType, *allowed: DataType) -> bool:
    return t in (NULL, UNKNOWN) or t in allowed


def _numeric(t: DataType) -> bool:
    return t in (NULL, UNKNOWN) or t.is_numeric


def _same_numeric(name: str) -> TypeRule:
    def rule(args: tuple[DataType, ...]) -> DataType | str:
        if not _numeric(args[0]) and args[0] != DURATION:
            return f"{spell_function(name, 'zh')}() 的参数应为数值"
        return FLOAT if args[0] == INT and name in ("r2", "r4") else args[0]

    return rule


def _unified(name: str) -> TypeRule:
    def rule(args: tuple[DataType, ...]) -> DataType | str:
        out: DataType | None = args[0]
        for t in args[1:]:
            out = unify(out, t) if out is not None else None
        return out if out is not None else f"{spell_function(name, 'zh')}() 的参数类型不一致"

    return rule


def _fixed(name: str, params: tuple[tuple[DataType, ...], ...], result: DataType) -> TypeRule:
    def rule(args: tuple[DataType, ...]) -> DataType | str:
        for arg, allowed in zip(args, params, strict=False):
            if not _is(arg, *allowed):
                kinds = "或".join(a.label for a in allowed)
                return f"{spell_function(name, 'zh')}() 的参数应为{kinds}"
        return result

    return rule


SCALAR_FUNCTIONS: dict[str, tuple[int, int, TypeRule]] = {
    "r2": (1, 1, _same_numeric("r2")),
    "r4": (1, 1, _same_numeric("r4")),
    "abs": (1, 1, _same_numeric("abs")),
    "least": (2, 8, _unified("least")),
    "greatest": (2, 8, _unified("greatest")),
    "coalesce": (2, 8, _unified("coalesce")),
    "age": (2, 2, _fixed("age", ((DATE,), (DATE,)), INT)),
    "age_days": (2, 2, _fixed("age_days", ((DATE,), (DATE,)), INT)),
    "date": (1, 1, _fixed("date", ((TIMESTAMP, DATE),), DATE)),
    "month": (1, 1, _fixed("month", ((DATE, TIMESTAMP),), MONTH)),
    "month_start": (1, 1, _fixed("month_start", ((MONTH,),), DATE)),
    "month_end": (1, 1, _fixed("month_end", ((MONTH,),), DATE)),
    "icd3": (1, 1, _fixed("icd3", ((STR,),), STR)),
    "normalize_code": (1, 1, _fixed("normalize_code", ((STR,),), STR)),
    "left": (2, 2, _fixed("left", ((STR,), (INT,)), STR)),
    "length": (1, 1, _fixed("length", ((STR,),), INT)),
    "upper": (1, 1, _fixed("upper", ((STR,),), STR)),
}

GENERATORS: dict[str, DataType] = {"dates": DATE, "range": INT}
"""Generators usable as the source of a binding: ``日期序列(a, b) d``."""


def result_type(name: str, args: tuple[DataType, ...]) -> DataType | str:
    """The result type of builtin ``name`` on ``args``, or a Chinese error text."""
    return SCALAR_FUNCTIONS[name][2](args)


def arithmetic_type(op: str, left: DataType, right: DataType) -> DataType | None:
    """The type of ``left op right`` for ``+ - * /``, or ``None`` when undefined.

    Example:
        >>> arithmetic_type("-", DATE, DATE), arithmetic_type("*", MONEY, FLOAT)
        (Scalar(name='int'), Scalar(name='money'))
    """
    if UNKNOWN in (left, right):
        return UNKNOWN
    if op == "+" and isinstance(left, ListType) and isinstance(right, ListType):
        return unify(left, right)
    num_l, num_r = left.is_numeric, right.is_numeric
    if num_l and num_r:
        if op == "/":
            if left == MONEY and right != MONEY:
                return MONEY
            return FLOAT
        return unify(left, right)
    table: dict[tuple[str, DataType, DataType], DataType] = {
        ("+", DATE, INT): DATE, ("+", INT, DATE): DATE, ("-", DATE, INT): DATE,
        ("-", DATE, DATE): INT,
        ("+", TIMESTAMP, DURATION): TIMESTAMP, ("+", DURATION, TIMESTAMP): TIMESTAMP,
        ("-", TIMESTAMP, DURATION): TIMESTAMP, ("-", TIMESTAMP, TIMESTAMP): DURATION,
        ("+", DURATION, DURATION): DURATION, ("-", DURATION, DURATION): DURATION,
        ("/", DURATION, DURATION): FLOAT, ("/", DURATION, INT): DURATION,
        ("/", DURATION, FLOAT): DURATION,
        ("*", DURATION, INT): DURATION, ("*", DURATION, FLOAT): DURATION,
        ("*", INT, DURATION): DURATION, ("*", FLOAT, DURATION): DURATION,
        ("+", MONTH, INT): MONTH, ("-", MONTH, INT): MONTH, ("-", MONTH, MONTH): INT,
    }
    for (o, a, b), out in table.items():
        if o == op and _is(left, a) and _is(right, b):
            return out
    return None


def comparable(left: DataType, right: DataType) -> bool:
    """Whether ``left`` and ``right`` can be compared with ``< <= > >= = !=``."""
    if UNKNOWN in (left, right) or NULL in (left, right):
        return True
    if left.is_numeric and right.is_numeric:
        return True
    return left == right


AGGREGATE_RESULT = {
    "count": INT, "count_distinct": INT, "longest_run": INT, "exists": BOOL, "any": BOOL,
    "all": BOOL,
}
"""Aggregates whose result type does not depend on their value."""

VALUE_REQUIRED = {"sum", "min", "max", "avg", "count_distinct", "any", "all", "collect", "mode"}
VALUE_FORBIDDEN = {"count", "exists", "longest_run"}
