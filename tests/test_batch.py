"""Arrow columns to engine vectors (:mod:`ruledsl.execute.batch`)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from ruledsl.execute.batch import to_vec
from ruledsl.types import BOOL, DATE, FLOAT, INT, MONEY, TIMESTAMP

_EPOCH = dt.datetime(1970, 1, 1)
_KINDS = {  # engine type: (Arrow type, values, the engine's number for a value)
    DATE: (pa.date32(), st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
           lambda d: (d - _EPOCH.date()).days),
    TIMESTAMP: (pa.timestamp("s"), st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)),
                lambda t: int((t.replace(microsecond=0) - _EPOCH).total_seconds())),
    INT: (pa.int64(), st.integers(-(2**62), 2**62), int),
    FLOAT: (pa.float64(), st.floats(allow_nan=False), float),
    MONEY: (pa.float64(), st.floats(-1e9, 1e9), float),
    BOOL: (pa.bool_(), st.booleans(), bool),
}


@st.composite
def _columns(draw: st.DrawFn) -> tuple[object, pa.ChunkedArray | pa.Array, list[object]]:
    dtype = draw(st.sampled_from(list(_KINDS)))
    arrow_type, values, number = _KINDS[dtype]
    rows = draw(st.lists(st.one_of(st.none(), values), max_size=30))
    if dtype == TIMESTAMP:
        rows = [None if r is None else r.replace(microsecond=0) for r in rows]
    if draw(st.booleans()):  # nulls over values (Arrow leaves what lies under a null)
        under = draw(st.lists(values, min_size=len(rows), max_size=len(rows)))
        if dtype == TIMESTAMP:
            under = [u.replace(microsecond=0) for u in under]
        full = pa.array([u if r is None else r for r, u in zip(rows, under, strict=True)],
                        arrow_type)
        valid = pa.array([r is not None for r in rows], pa.bool_())
        array = pa.Array.from_buffers(arrow_type, len(rows), [valid.buffers()[1],
                                                               full.buffers()[1]])
    else:
        array = pa.array(rows, arrow_type)
    cut = draw(st.integers(0, len(rows)))  # a slice: its values start at an offset
    start = draw(st.integers(0, cut))
    column = draw(st.sampled_from(["array", "slice", "chunks"]))
    if column == "slice":
        return dtype, array.slice(start, cut - start), [None if r is None else number(r)
                                                         for r in rows[start:cut]]
    if column == "chunks":
        array = pa.chunked_array([array.slice(0, cut), array.slice(cut)], arrow_type)
    return dtype, array, [None if r is None else number(r) for r in rows]


@given(_columns())
def test_a_column_becomes_its_numbers_with_nulls_masked(
        case: tuple[object, pa.ChunkedArray | pa.Array, list[object]]) -> None:
    dtype, column, want = case
    vec = to_vec(column, dtype)
    valid = vec.valid_mask().tolist()
    assert [v if ok else None for v, ok in zip(vec.values.tolist(), valid, strict=True)] == want
    fill = False if dtype == BOOL else 0
    assert all(v == fill for v, ok in zip(vec.values.tolist(), valid, strict=True) if not ok)
