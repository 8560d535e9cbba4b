"""Mapping between ruledsl data types and Arrow types.

Each contract type has one canonical Arrow type (:func:`to_arrow_type`); loaded
tables use exactly these.  :func:`from_arrow_type` maps back, accepting the
whole family (any integer width is ``int``, any timestamp unit is ``ts``).
``money`` and ``float`` share ``float64``, so ``money`` maps back to ``float``.

Example:
    >>> to_arrow_type(TIMESTAMP), from_arrow_type(pa.timestamp("ms"))
    (TimestampType(timestamp[s]), Scalar(name='ts'))
    >>> from ruledsl.schema.contract import TABLES
    >>> arrow_schema(TABLES["diagnosis"]).types
    [DataType(string), DataType(int32), DataType(string), DataType(string)]
"""

from __future__ import annotations

import pyarrow as pa

from ..types import (
    BOOL,
    DATE,
    FLOAT,
    INT,
    MONEY,
    NULL,
    STR,
    TIMESTAMP,
    DataType,
    ListType,
)
from .contract import OUTPUT_COLUMNS
from .model import Table

__all__ = ["arrow_schema", "from_arrow_type", "output_schema", "to_arrow_type"]

_TO_ARROW: dict[DataType, pa.DataType] = {
    STR: pa.string(),
    INT: pa.int32(),
    FLOAT: pa.float64(),
    MONEY: pa.float64(),
    BOOL: pa.bool_(),
    DATE: pa.date32(),
    TIMESTAMP: pa.timestamp("s"),
    NULL: pa.null(),
}


def to_arrow_type(dtype: DataType) -> pa.DataType:
    """The canonical Arrow type of a contract type.

    Raises:
        TypeError: For types with no storage (``duration``, ``row<…>``, sets …).

    Example:
        >>> to_arrow_type(MONEY), to_arrow_type(ListType(STR))
        (DataType(double), ListType(list<item: string>))
    """
    if isinstance(dtype, ListType):
        return pa.list_(to_arrow_type(dtype.item))
    try:
        return _TO_ARROW[dtype]
    except KeyError:
        raise TypeError(f"type {dtype} has no Arrow representation") from None


def from_arrow_type(arrow_type: pa.DataType) -> DataType:
    """The contract type of an Arrow type (``float64`` gives ``float``, never ``money``).

    Raises:
        TypeError: For Arrow types outside the contract (e.g. zoned timestamps).

    Example:
        >>> from_arrow_type(pa.large_string()), from_arrow_type(pa.int64())
        (Scalar(name='str'), Scalar(name='int'))
    """
    t = arrow_type
    if pa.types.is_dictionary(t):
        return from_arrow_type(t.value_type)
    if pa.types.is_string(t) or pa.types.is_large_string(t) or str(t) == "string_view":
        return STR
    if pa.types.is_integer(t):
        return INT
    if pa.types.is_floating(t):
        return FLOAT
    if pa.types.is_boolean(t):
        return BOOL
    if pa.types.is_date(t):
        return DATE
    if pa.types.is_timestamp(t) and t.tz is None:
        return TIMESTAMP
    if pa.types.is_null(t):
        return NULL
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return ListType(from_arrow_type(t.value_type))
    raise TypeError(f"Arrow type {t} has no ruledsl type")


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of a loaded contract table: its columns, in contract order.

    Example:
        >>> from ruledsl.schema.contract import TABLES
        >>> arrow_schema(TABLES["pathway"]).field("std_cost").type
        DataType(double)
    """
    return pa.schema(
        [pa.field(c.name, to_arrow_type(c.dtype), nullable=True) for c in table.columns]
    )


def output_schema() -> pa.Schema:
    """The Arrow schema of the violations table (contract §4).

    Example:
        >>> output_schema().field("lines").type
        ListType(list<item: string>)
    """
    return pa.schema(
        [pa.field(c.name, to_arrow_type(c.dtype), nullable=c.nullable) for c in OUTPUT_COLUMNS]
    )
