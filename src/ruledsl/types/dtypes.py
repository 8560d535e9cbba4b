"""The type hierarchy of rule expressions.

Scalar types mirror the data contract (``str``, ``date``, ``ts``, ``f64``,
``i32``, ``bool``) with two refinements the language needs: :data:`MONEY` is an
``f64`` that messages print with two decimals, and :data:`DURATION` is a length
of time in seconds (``ts - ts``, ``3 小时``).  :data:`MONTH` is a calendar month
(``月份(d)``), counted in months since 1970-01.  Composite types are
:class:`RowType` (a reference to one row of a table: navigation and ``首条``),
:class:`ListType` (``收集``, the ``lines`` output) and :class:`SetType` (set
parameters such as ``{"13"}``).

Example:
    >>> MONEY.is_numeric and FLOAT.is_numeric and not STR.is_numeric
    True
    >>> unify(INT, FLOAT), unify(MONEY, FLOAT)
    (Scalar(name='float'), Scalar(name='money'))
"""

from __future__ import annotations

import attrs


@attrs.frozen
class DataType:
    """Base of every type."""

    @property
    def is_numeric(self) -> bool:
        """Whether arithmetic applies (int, float, money)."""
        return False

    @property
    def label(self) -> str:
        """A short Chinese name for messages."""
        return str(self)


_LABELS = {
    "str": "文本",
    "int": "整数",
    "float": "小数",
    "money": "金额",
    "bool": "真假值",
    "date": "日期",
    "ts": "时间",
    "duration": "时长",
    "month": "月份",
    "null": "空值",
    "unknown": "未知类型",
}


@attrs.frozen
class Scalar(DataType):
    """A scalar type, named as in the data contract."""

    name: str

    @property
    def is_numeric(self) -> bool:
        return self.name in ("int", "float", "money", "null")

    @property
    def label(self) -> str:
        return _LABELS.get(self.name, self.name)

    def __str__(self) -> str:
        return self.name


@attrs.frozen
class RowType(DataType):
    """A reference to one row of ``table`` (null when there is none)."""

    table: str

    @property
    def label(self) -> str:
        return f"{self.table} 记录"

    def __str__(self) -> str:
        return f"row<{self.table}>"


@attrs.frozen
class ListType(DataType):
    """An ordered list of values, e.g. the ``lines`` of a firing."""

    item: DataType

    @property
    def label(self) -> str:
        return f"{self.item.label}列表"

    def __str__(self) -> str:
        return f"list<{self.item}>"


@attrs.frozen
class SetType(DataType):
    """A set of literal values, e.g. a ``set<str>`` parameter."""

    item: DataType

    @property
    def label(self) -> str:
        return f"{self.item.label}集合"

    def __str__(self) -> str:
        return f"set<{self.item}>"


STR = Scalar("str")
INT = Scalar("int")
FLOAT = Scalar("float")
MONEY = Scalar("money")
BOOL = Scalar("bool")
DATE = Scalar("date")
TIMESTAMP = Scalar("ts")
DURATION = Scalar("duration")
MONTH = Scalar("month")
NULL = Scalar("null")
"""The type of the literal ``空``/``null``: it unifies with every type."""
UNKNOWN = Scalar("unknown")
"""The type of an expression that already produced a diagnostic."""

_NUMERIC_RANK = {"int": 0, "float": 1, "money": 2}


def unify(a: DataType, b: DataType) -> DataType | None:
    """The common type of two operands, or ``None`` when there is none.

    ``int`` widens to ``float``; ``money`` absorbs both (a money amount stays
    money when mixed with plain numbers); ``null`` and ``unknown`` unify with
    anything.
    """
    if a == b:
        return a
    if a in (NULL, UNKNOWN):
        return b
    if b in (NULL, UNKNOWN):
        return a
    if isinstance(a, Scalar) and isinstance(b, Scalar):
        if a.name in _NUMERIC_RANK and b.name in _NUMERIC_RANK:
            return a if _NUMERIC_RANK[a.name] >= _NUMERIC_RANK[b.name] else b
    if isinstance(a, ListType) and isinstance(b, ListType):
        item = unify(a.item, b.item)
        return ListType(item) if item is not None else None
    if isinstance(a, SetType) and isinstance(b, SetType):
        item = unify(a.item, b.item)
        return SetType(item) if item is not None else None
    return None


def default_format(dtype: DataType) -> str:
    """How a message placeholder of this type is printed (rules-46 §0.7.5).

    Example:
        >>> default_format(MONEY), default_format(FLOAT), default_format(ListType(DATE))
        ('money', 'number', 'list')
    """
    if isinstance(dtype, ListType | SetType):
        return "list"
    return {"money": "money", "float": "number", "int": "int", "date": "date", "ts": "ts",
            "bool": "bool", "month": "month", "duration": "number"}.get(getattr(dtype, "name", ""), "str")
