"""Building contract tables in memory, for the Python API and tests.

Example:
    >>> t = make_table("fee", {"feedetl_sn": ["F1"], "cnt": [2.0]})
    >>> t.schema.field("fee_ocur_time").type, t.column("rxno").to_pylist()
    (TimestampType(timestamp[s]), [None])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from ..schema import SCHEMA
from ..schema.arrow import arrow_schema


def make_table(name: str, columns: Mapping[str, Sequence[Any] | pa.Array]) -> pa.Table:
    """A table of the data contract from column values; absent columns are all null.

    Raises:
        KeyError: ``name`` is not a contract table, or a column is not one of its columns.
    """
    table = SCHEMA.table(name)
    if table is None:
        raise KeyError(name)
    schema = arrow_schema(table)
    unknown = set(columns) - set(schema.names)
    if unknown:
        raise KeyError(", ".join(sorted(unknown)))
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of {name} have different lengths: {sorted(lengths)}")
    n = lengths.pop() if lengths else 0
    arrays = [
        pa.array(columns[f.name], f.type) if f.name in columns and not isinstance(
            columns[f.name], pa.Array) else
        columns[f.name].cast(f.type) if f.name in columns else pa.nulls(n, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)
