"""Vectorised message formatting: one placeholder format over a whole column.

Formats follow rules-46 §0.7.5: ``money`` r2 with two decimals, ``number`` r4
with trailing zeros cut, ``int``, ``date``, ``ts``, ``month``, ``bool``
(是/否), ``sex`` (1 → 男, 2 → 女, else the code), ``str``, ``list`` (items
joined by ``,``); null prints as the empty string.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..types import RowType, default_format
from .vec import ListVec, Vec


def _round(x: np.ndarray, scale: int) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) * scale + 0.5 + 1e-6) / scale + 0.0


def _with_nulls(text: np.ndarray | pa.Array, valid: np.ndarray) -> pa.Array:
    arr = pa.array(text, pa.string()) if not isinstance(text, pa.Array) else text
    if valid.all():
        return arr
    return pc.if_else(pa.array(valid), arr, pa.scalar("", pa.string()))


def format_vec(vec: Vec | ListVec, fmt: str) -> pa.Array:
    """Format every value of ``vec`` as text."""
    if isinstance(vec, ListVec):
        items = format_vec(vec.items, default_format(vec.items.dtype) if fmt == "list" else fmt)
        lists = pa.ListArray.from_arrays(pa.array(vec.offsets, pa.int32()), items)
        return pc.binary_join(lists, ",")
    valid = vec.valid_mask()
    n = len(vec)
    if n == 0:
        return pa.array([], pa.string())
    values = vec.values
    if isinstance(vec.dtype, RowType):
        return pa.array([""] * n, pa.string())
    if fmt == "money":
        text = np.char.mod("%.2f", _round(values.astype(np.float64), 100))
        return _with_nulls(text, valid)
    if fmt == "number":
        text = np.char.mod("%.4f", _round(values.astype(np.float64), 10000))
        text = np.char.rstrip(np.char.rstrip(text, "0"), ".")
        text = np.where(text == "-0", "0", text)
        return _with_nulls(text, valid)
    if fmt == "int":
        return _with_nulls(np.round(values).astype(np.int64).astype(str), valid)
    if fmt == "date":
        return _with_nulls(np.datetime_as_string(values.astype("datetime64[D]")), valid)
    if fmt == "ts":
        text = np.char.replace(np.datetime_as_string(values.astype("datetime64[s]")), "T", " ")
        return _with_nulls(text, valid)
    if fmt == "month":
        return _with_nulls(np.datetime_as_string(values.astype("datetime64[M]")), valid)
    if fmt == "bool":
        return _with_nulls(np.where(values.astype(bool), "是", "否"), valid)
    if vec.dictionary is not None:
        strings = vec.strings()
        if fmt == "sex":
            strings = pc.if_else(pc.equal(strings, "1"), "男",
                                 pc.if_else(pc.equal(strings, "2"), "女", strings))
        return strings.fill_null("")
    if fmt == "sex" or fmt == "str":
        return _with_nulls(values.astype(str), valid)
    return _with_nulls(values.astype(str), valid)
