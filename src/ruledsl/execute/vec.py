"""Columns with nulls: the values the vectorised engine computes with.

A :class:`Vec` is a numpy array of values with an optional validity mask.
Encodings: numbers as ``float64``/``int64``; booleans as ``bool``; dates as
days since 1970-01-01 and timestamps as seconds (``int64``); months as months
since 1970-01; rows as ``int64`` row indexes (``-1`` is a null row); strings
as ``int64`` codes into a sorted, duplicate-free ``pyarrow`` string
dictionary, so that comparing codes compares strings by code point.  Lists
(:class:`ListVec`) are offsets into a flat :class:`Vec`.

Example:
    >>> a = Vec.from_strings(pa.array(["b", None, "a"]))
    >>> a.dictionary.to_pylist(), a.values.tolist(), a.valid_mask().tolist()
    (['a', 'b'], [1, -1, 0], [True, False, True])
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..data.load import IdKeys, sortable_keys, strictly_increasing
from ..data.packing import key_offsets, key_spans, pack_keys, values_at
from ..types import BOOL, STR, DataType, ListType
from .shared import IdentityMemo


@attrs.define(slots=True)
class Vec:
    """A column of ``len(values)`` values; ``valid`` is None when none is null."""

    values: np.ndarray
    valid: np.ndarray | None
    dtype: DataType
    dictionary: pa.Array | None = None
    """For strings: the sorted distinct values the codes point into."""

    def __len__(self) -> int:
        return len(self.values)

    def valid_mask(self) -> np.ndarray:
        """The validity mask (read it, never write it: it may be :attr:`valid` itself, or,
        when no value is null, one shared read-only view of ``True``)."""
        if self.valid is None:
            return all_true(len(self.values))
        return self.valid

    def take(self, index: np.ndarray) -> Vec:
        """Gather rows; a negative index gives null (whatever value lies under it)."""
        if len(index) and (low := index.min()) < 0:
            if len(self.values) == 0:
                values = np.zeros(len(index), dtype=self.values.dtype)
                return Vec(values, np.zeros(len(index), dtype=bool), self.dtype, self.dictionary)
            valid = index >= 0
            # -1 (as every look-up that finds nothing gives) reads the last row, under a null:
            # no clipped copy of the index (3.3M rows: 26 MB)
            safe = index if low >= -len(self.values) else np.maximum(index, 0)
            if self.valid is not None:
                valid &= self.valid[safe]
            return Vec(self.values[safe], valid, self.dtype, self.dictionary)
        valid = None if self.valid is None else self.valid[index]
        return Vec(self.values[index], valid, self.dtype, self.dictionary)

    def true_mask(self) -> np.ndarray:
        """Where the value is TRUE (valid and true)."""
        values = self.values.astype(bool, copy=False)
        return values if self.valid is None else values & self.valid

    def false_mask(self) -> np.ndarray:
        """Where the value is FALSE (valid and false)."""
        return self.valid_mask() & ~self.values.astype(bool, copy=False)

    @staticmethod
    def from_strings(array: pa.Array | pa.ChunkedArray) -> Vec:
        """Encode strings against their own sorted dictionary."""
        return encode_shared([array])[0]

    @staticmethod
    def constant(value: Any, dtype: DataType, n: int) -> Vec:
        """``n`` copies of one value (``None`` is null): one value seen ``n`` times (a
        read-only view, never written), not ``n`` values written out."""
        if value is None:
            return Vec(_repeated(0, np.int64, n), _repeated(False, bool, n), dtype,
                       _NO_STRINGS if dtype == STR else None)
        if dtype == STR:
            return Vec(_repeated(0, np.int64, n), None, dtype, _one_string(str(value)))
        if dtype == BOOL or isinstance(value, bool | np.bool_):
            return Vec(_repeated(bool(value), bool, n), None, dtype)
        if isinstance(value, int | np.integer):
            return Vec(_repeated(value, np.int64, n), None, dtype)
        return Vec(_repeated(value, np.float64, n), None, dtype)

    def strings(self) -> pa.Array:
        """The string values as an Arrow array (nulls kept)."""
        assert self.dictionary is not None
        codes = pa.array(self.values, mask=~self.valid_mask() if self.valid is not None else None,
                         type=pa.int64())
        return self.dictionary.take(codes)


def _repeated(value: Any, dtype: Any, n: int) -> np.ndarray:
    """``n`` copies of ``value`` as a read-only view of one element (stride 0); kept by
    value, type and length (a visit's 46 rules ask for the same few constants over the
    same few frame lengths a thousand times: ``np.broadcast_to`` costs ~5 µs a call)."""
    key = (value, dtype, n, math.copysign(1.0, value) if isinstance(value, float) else 0)
    hit = _REPEATED.get(key)  # (the sign tells -0.0 from 0.0, which are equal keys)
    if hit is None:
        if len(_REPEATED) >= _KEPT_CONSTANTS:
            _REPEATED.clear()
        hit = _REPEATED[key] = np.broadcast_to(np.array(value, dtype=dtype), (n,))
    return hit


def _one_string(value: str) -> pa.Array:
    """The dictionary of a constant string: one Arrow array per string, kept."""
    hit = _ONE_STRING.get(value)
    if hit is None:
        if len(_ONE_STRING) >= _KEPT_CONSTANTS:
            _ONE_STRING.clear()
        hit = _ONE_STRING[value] = pa.array([value], pa.string())
    return hit


_KEPT_CONSTANTS = 1 << 12
_REPEATED: dict[tuple[Any, Any, int, float], np.ndarray] = {}
_ONE_STRING: dict[str, pa.Array] = {}
_NO_STRINGS = pa.array([], pa.string())


_ALL_TRUE: dict[int, np.ndarray] = {}


def all_true(n: int) -> np.ndarray:
    """``n`` times ``True``, read-only (one view per length, kept: a visit asks for a few
    hundred validity masks of columns with no null, a big batch for masks of millions)."""
    mask = _ALL_TRUE.get(n)
    if mask is None:
        if len(_ALL_TRUE) >= 1 << 12:
            _ALL_TRUE.clear()
        mask = _ALL_TRUE[n] = _repeated(True, bool, n)
    return mask


@attrs.define(slots=True)
class ListVec:
    """A column of lists: ``offsets`` (length n + 1) into the flat ``items``."""

    offsets: np.ndarray
    items: Vec
    dtype: DataType = ListType(STR)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def take(self, index: np.ndarray) -> ListVec:
        """Gather lists (a negative index gives an empty list)."""
        starts = np.where(index >= 0, self.offsets[:-1][np.maximum(index, 0)], 0)
        ends = np.where(index >= 0, self.offsets[1:][np.maximum(index, 0)], 0)
        lengths = ends - starts
        offsets = np.zeros(len(index) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = expand_ranges(starts, lengths)
        return ListVec(offsets, self.items.take(flat), self.dtype)


_PACK_FROM = 1 << 11


def lexsort(keys: Sequence[np.ndarray], first_distinct: bool = False) -> np.ndarray:
    """``np.lexsort(keys)`` (the last key is the primary one; stable).

    Integer and boolean keys are packed into one ``int64`` per row when their spans fit
    in 63 bits, and sorted as one array: several times faster than ``np.lexsort``, and
    the same order. With the row position in the low bits too (when it fits) every
    packed value is distinct and ``np.sort`` does it all; ``first_distinct`` (the first
    key has no repeated value, a rank) lets that key take the position's place.
    Otherwise the packed values are arg-sorted, stably only if two are equal.

    Example:
        >>> lexsort([np.array([3, 1, 2]), np.array([1, 0, 1])]).tolist()
        [1, 2, 0]
    """
    return lexsort_distinct(keys, first_distinct)[0]


def lexsort_distinct(keys: Sequence[np.ndarray], first_distinct: bool = False
                     ) -> tuple[np.ndarray, bool | None]:
    """:func:`lexsort`, and whether no two rows have the same keys when the sort finds it
    out at no cost (None when it does not): a table ordered by columns ending with its key
    (fee lines by time, then line id) then has no tie to look for.

    Example:
        >>> big = np.arange(3000)[::-1] << 50  # wide keys: sorted with no row position in them
        >>> [lexsort_distinct([k])[1] for k in (big, big >> 51 << 51, big[:9])]
        [True, False, None]
    """
    n = len(keys[0]) if len(keys) else 0
    if n < max(_PACK_FROM, 2):
        return (np.lexsort(keys) if len(keys) else np.arange(n, dtype=np.int64)), None
    spans = key_spans(keys)
    if spans is None:
        return np.lexsort(keys), None
    width = sum(bits for _, bits in spans)
    position = 0 if first_distinct else (n - 1).bit_length()
    if width + position > 63:
        packed = pack_keys(keys, spans, 0, np.zeros(n, dtype=np.int64))
        if non_decreasing(packed):
            return np.arange(n, dtype=np.int64), None
        order = np.argsort(packed)
        ordered = packed[order]
        if (ordered[1:] == ordered[:-1]).any():  # ties: keep them in row order
            return np.argsort(packed, kind="stable"), False
        return order, True
    packed = pack_keys(keys, spans, position, np.zeros(n, dtype=np.int64) if first_distinct
                       else np.arange(n, dtype=np.int64))
    if non_decreasing(packed):  # (rows often arrive in order: 34 of 99 big sorts at 3M)
        return np.arange(n, dtype=np.int64), None
    packed.sort()
    if not first_distinct:
        return packed & ((1 << position) - 1), None
    low, bits = spans[0]
    row_of = np.empty(1 << bits, dtype=np.int64)
    row_of[key_offsets(keys[0], low)] = np.arange(n)
    return row_of[packed & ((1 << bits) - 1)], True


def sort_packed(keys: Sequence[np.ndarray]) -> tuple[np.ndarray, list[tuple[int, int]]] | None:
    """The rows' integer keys packed into one ``int64`` each (the first key in the lowest
    bits, so the last is the primary one, as in :func:`lexsort`) and sorted, with each
    key's ``(low, bits)`` for :func:`unpack`; None when they do not fit in 63 bits.
    With a distinct first key (a rank) the packed values are distinct, and the sorted
    keys are read back without gathering anything by an order.

    Example:
        >>> packed, spans = sort_packed([np.array([0, 1, 2]), np.array([5, 3, 5])])
        >>> unpack(packed, spans, 0).tolist(), unpack(packed, spans, 1).tolist()
        ([1, 0, 2], [3, 5, 5])
    """
    spans = key_spans(keys)
    if spans is None:
        return None
    packed = pack_keys(keys, spans, 0, np.zeros(len(keys[0]), dtype=np.int64))
    if not non_decreasing(packed):
        packed.sort()
    return packed, spans


def unpack(packed: np.ndarray, spans: list[tuple[int, int]], i: int,
           dtype: np.dtype | type = np.int64) -> np.ndarray:
    """Key ``i`` of :func:`sort_packed`'s values (as ``dtype``)."""
    shift = sum(bits for _, bits in spans[:i])
    low, bits = spans[i]
    offsets = packed >> shift
    if i < len(spans) - 1:
        offsets &= (1 << bits) - 1
    return values_at(offsets, low, np.dtype(dtype))


def non_decreasing(values: np.ndarray) -> bool:
    """Whether each value is at least the one before it."""
    return bool(np.all(values[1:] >= values[:-1]))


_SORT_QUERIES_FROM = 1 << 16


def search_sorted(haystack: np.ndarray, needles: np.ndarray, side: str = "left") -> np.ndarray:
    """``np.searchsorted`` that sorts many needles first: binary searches in needle order
    walk the haystack in order (cache friendly), ~10x faster for millions of random needles.

    Example:
        >>> search_sorted(np.array([1, 3, 5]), np.array([4, 0, 5]), "right").tolist()
        [2, 0, 3]
    """
    if len(needles) < _SORT_QUERIES_FROM or len(haystack) < _SORT_QUERIES_FROM \
            or non_decreasing(needles):
        return np.searchsorted(haystack, needles, side)  # type: ignore[call-overload]
    order = lexsort([needles])
    out = np.empty(len(needles), dtype=np.int64)
    out[order] = np.searchsorted(haystack, needles[order], side)  # type: ignore[call-overload]
    return out


def expand_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenate ``range(s, s + l)`` for each pair, vectorised.

    Example:
        >>> expand_ranges(np.array([5, 0]), np.array([2, 3])).tolist()
        [5, 6, 0, 1, 2]
    """
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    nonzero = lengths > 0
    base = np.repeat(starts[nonzero] - offsets[nonzero], lengths[nonzero])
    return base + np.arange(total, dtype=np.int64)


_DENSE_SPAN = 1 << 16


def dense_span(values: np.ndarray, most: int | None = None) -> tuple[int, int] | None:
    """``(low, span)`` of integer ``values`` when their span is at most ``most`` slots
    (default: when a table of them is cheaper than sorting them, a span of at most about
    twice their number), else None."""
    if values.dtype.kind not in "iu" or len(values) == 0:
        return None
    low, high = int(values.min()), int(values.max())
    span = high - low + 1
    return (low, span) if span <= (_dense_limit(len(values)) if most is None else most) \
        else None


def _dense_limit(n: int) -> int:
    """The widest span a presence table of ``n`` values is cheaper than sorting them in."""
    return max(2 * n, _DENSE_SPAN)


def distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)``; for integers in a small span, by a presence table (O(n),
    no sort), else by one ``np.sort`` (numpy 2's hashing ``np.unique`` took 2.6 s for
    3M mostly distinct integers, against 0.02 s sorted).

    Example:
        >>> distinct(np.array([7, 3, 7, 5])).tolist()
        [3, 5, 7]
        >>> distinct(np.array([np.nan, 1.0, np.nan])).tolist()
        [1.0, nan]
    """
    dense = dense_span(values)
    if dense is None:
        ordered = np.sort(values)
        keep = np.ones(len(ordered), dtype=bool)
        np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
        if ordered.dtype.kind in "fc" and len(ordered) and np.isnan(ordered[-1]):
            nan = np.isnan(ordered)
            keep[nan] = False
            keep[np.argmax(nan)] = True  # NaNs (sorted last) count as one value
        return ordered[keep]
    low, span = dense
    present = np.zeros(span, dtype=bool)
    present[key_offsets(values, low)] = True
    return values_at(np.flatnonzero(present), low, values.dtype)


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)``: the sorted distinct values and the
    position of each value among them; for integers in a small span, without a sort.

    Example:
        >>> uniq, inverse = factorize(np.array([7, 3, 7, 5]))
        >>> uniq.tolist(), inverse.tolist()
        ([3, 5, 7], [2, 0, 2, 1])
    """
    found = factorize_integers(values)
    if found is not None:
        return found
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.reshape(-1).astype(np.int64, copy=False)


def factorize_integers(values: np.ndarray, dtype: type[np.signedinteger] = np.int64,
                       in_place: bool = False, packed: bool = True
                       ) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`factorize` of integers in a small span (a presence table; positions as
    ``dtype``) or that fit in one ``int64`` with their positions (one ``np.sort``; not
    with ``packed`` False); None for others (``np.unique`` with its inverse took 3.6 s for
    17M shuffled 60-bit visit keys, an arg-sort ~1 s). ``in_place``: ``values`` (unsigned
    or ``int64``) may be overwritten with their offsets (fresh memory is slow to get)."""
    dense = dense_span(values)
    if dense is None:
        return _factorize_packed(values) if packed else None
    low, span = dense
    if in_place and (values.dtype.kind == "u" or values.dtype == np.int64):
        values -= values.dtype.type(low)
        offset = values.view(np.int64)
    else:
        offset = key_offsets(values, low)
    present = np.zeros(span, dtype=bool)
    present[offset] = True
    position = np.cumsum(present, dtype=dtype)
    position -= 1
    return values_at(np.flatnonzero(present), low, values.dtype), position[offset]


def group_codes(keys: Iterable[tuple[np.ndarray, np.ndarray | None]], n: int) -> np.ndarray:
    """Each of ``n`` rows' group over several keys (each ``(values, valid)``, ``valid``
    None when none is null), the groups numbered in key order; a null is a key value of its
    own, before every other.

    The combined code is kept within a table's span (:func:`factorize` without a sort) by
    numbering the groups of the keys so far first when the next key would widen it past
    that (3M lines, three keys: 0.14 s to sort the combined codes).

    Example:
        >>> group_codes([(np.array([5, 5, 1]), None), (np.array([2, 3, 2]), None)], 3).tolist()
        [1, 2, 0]
    """
    code = np.zeros(n, dtype=np.int64)
    size = 1  # codes are below it
    table = _dense_limit(n)
    for values, valid in keys:
        if valid is not None:
            values = np.where(valid, values, 0)
        if values.dtype.kind not in "iu":
            values = values.astype(np.float64, copy=False)
        _, part = factorize(values)
        if valid is not None:
            part += 1
            part[~valid] = 0
        width = int(part.max(initial=0)) + 1
        if size > 1 and size * width > table:
            _, code = factorize(code)
            size = int(code.max(initial=-1)) + 1
        code = part if size == 1 else code * width + part
        size *= width
    return factorize(code)[1]


def _factorize_packed(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`factorize` of integers by one ``np.sort`` of (value, position) packed into
    one ``int64`` (3M values over a wide span: 0.46 s with ``np.unique`` against 0.09 s);
    None when they do not fit in 63 bits."""
    spans = key_spans([values]) if values.dtype.kind in "iu" else None
    position = (len(values) - 1).bit_length()
    if spans is None or spans[0][1] + position > 63:
        return None
    low = spans[0][0]
    packed = pack_keys([values], spans, position, np.arange(len(values), dtype=np.int64))
    packed.sort()
    offsets = packed >> position
    first = np.ones(len(packed), dtype=bool)
    np.not_equal(offsets[1:], offsets[:-1], out=first[1:])
    inverse = np.empty(len(packed), dtype=np.int64)
    inverse[packed & ((1 << position) - 1)] = np.cumsum(first) - 1
    return values_at(offsets[first], low, values.dtype), inverse


def sorted_unique(array: pa.Array) -> pa.Array:
    """The distinct non-null strings of ``array``, sorted by code point."""
    unique = pc.unique(array.drop_null() if array.null_count else array)
    if len(unique) == 0:
        return pa.array([], pa.string())
    return unique.take(pc.sort_indices(unique))


def encode_shared(arrays: Sequence[pa.Array | pa.ChunkedArray], mostly_distinct: bool = False
                  ) -> list[Vec]:
    """String arrays encoded against one sorted dictionary of all their values.

    One hash pass over all the values (``dictionary_encode``, over their chunks as they
    are: no copy of the strings), then only the distinct values are sorted: several
    times faster than finding the sorted distinct values of each array and then looking
    every value up in their union. ``mostly_distinct`` (a table's key): the values are
    sorted instead, with no hashing (either way gives the same codes).

    Example:
        >>> a, b = encode_shared([pa.array(["b", None]), pa.array(["a", "b"])])
        >>> a.dictionary.to_pylist(), a.values.tolist(), a.valid_mask().tolist(), b.values.tolist()
        (['a', 'b'], [1, -1], [True, False], [0, 1])
    """
    if not arrays:
        return []
    dictionary, codes = shared_codes(arrays, mostly_distinct)
    valid: np.ndarray | None = codes >= 0
    if valid.all():
        valid = None
    out, start = [], 0
    for array in arrays:
        end = start + len(array)
        out.append(Vec(codes[start:end], None if valid is None or valid[start:end].all()
                       else valid[start:end], STR, dictionary))
        start = end
    return out


def shared_codes(arrays: Sequence[pa.Array | pa.ChunkedArray], mostly_distinct: bool = False,
                 dtype: type[np.signedinteger] = np.int64) -> tuple[pa.Array, np.ndarray]:
    """:func:`encode_shared`'s sorted dictionary and the codes of all the arrays' values,
    one after the other (-1 for null), as ``dtype``: ``int32`` for Arrow's dictionary
    arrays, which then take them without a conversion: at 10M fee lines, encoding every
    column the 46 rules read (2 threads) took 2.19-2.48 s (CPU 4.0-4.5 s) against
    2.35-2.69 s (CPU 4.3-4.9 s) making ``int64`` codes and converting them (4 runs each)."""
    if sum(len(a) for a in arrays) <= ENCODE_IN_PYTHON_UP_TO:
        return _encode_in_python(arrays, dtype)
    if mostly_distinct:
        flat = [_flat_strings(a) for a in arrays]
        return _encode_by_sorting(flat[0] if len(flat) == 1 else pa.concat_arrays(flat), dtype)
    chunks = [c for a in arrays for c in _chunks(a)]
    if any(pa.types.is_dictionary(c.type) for c in chunks):
        return _encode_dictionary_chunks(chunks, dtype)
    return _encode_runs_by_hashing([c for chunk in chunks for c in _string_chunks(chunk)],
                                   dtype)


ENCODE_IN_PYTHON_UP_TO = 256
"""Up to this many values (a visit's) are encoded in Python: fewer calls than Arrow's."""


def _encode_in_python(arrays: Sequence[pa.Array | pa.ChunkedArray],
                      dtype: type[np.signedinteger] = np.int64) -> tuple[pa.Array, np.ndarray]:
    """:func:`_encode_by_hashing` for a few values (Python orders strings by code point,
    as Arrow orders UTF-8 bytes)."""
    values = [v for a in arrays for c in _string_chunks(a) for v in c.to_pylist()]
    distinct = sorted({v for v in values if v is not None})
    code = {v: i for i, v in enumerate(distinct)}
    return pa.array(distinct, pa.string()), \
        np.array([-1 if v is None else code[v] for v in values], dtype=dtype)


def _chunks(column: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return column.chunks if isinstance(column, pa.ChunkedArray) else [column]


def _string_chunks(column: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return [c if c.type == pa.string() else c.cast(pa.string()) for c in _chunks(column)]


def _encode_dictionary_chunks(chunks: Sequence[pa.Array], dtype: type[np.signedinteger] = np.int64
                              ) -> tuple[pa.Array, np.ndarray]:
    """:func:`_encode_by_hashing` of chunks some of which are dictionary arrays (string
    columns read from Parquet as dictionaries, see :func:`~ruledsl.data.load.load_tables`):
    one hash pass over their dictionaries and the plain chunks, then each dictionary
    chunk's codes are its dictionary's codes at its indices (a row group of ~1M fee lines
    holds ~300 distinct item codes)."""
    dictionaries: dict[tuple[Any, ...], tuple[int, pa.Array]] = {}
    hashed: list[pa.Array] = []  # the distinct dictionaries, then the plain chunks
    for chunk in chunks:
        if pa.types.is_dictionary(chunk.type):
            key = memory_key(chunk.dictionary)
            if key not in dictionaries:
                dictionaries[key] = (len(hashed), chunk.dictionary)
                hashed.append(_string_chunks(chunk.dictionary)[0])
    plain_from = len(hashed)
    hashed += [c for chunk in chunks if not pa.types.is_dictionary(chunk.type)
               for c in _string_chunks(chunk)]
    dictionary, hashed_codes = _encode_by_hashing(pa.chunked_array(hashed, pa.string()), dtype)
    starts = np.concatenate([[0], np.cumsum([len(h) for h in hashed])])
    plain = iter(range(plain_from, len(hashed)))
    codes = []
    for chunk in chunks:
        if pa.types.is_dictionary(chunk.type):
            at = dictionaries[memory_key(chunk.dictionary)][0]
            # (a null index reads code -1, the last entry: none of the dictionary's)
            of_entries = np.append(hashed_codes[starts[at]:starts[at + 1]],
                                   np.array([-1], dtype=hashed_codes.dtype))
            indices = chunk.indices.fill_null(-1) if chunk.indices.null_count else chunk.indices
            codes.append(of_entries[np.asarray(indices)])
        else:
            at = next(plain)
            codes.append(hashed_codes[starts[at]:starts[at + 1]])
    return dictionary, np.concatenate(codes) if codes else np.zeros(0, dtype=dtype)


def _flat_strings(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    chunks = _string_chunks(column)
    return chunks[0] if len(chunks) == 1 else pa.concat_arrays(chunks) if chunks \
        else pa.array([], pa.string())


RUNS_FROM = 4
"""A chunk of strings whose runs of equal neighbours are fewer than ``1 / RUNS_FROM`` of its
rows is encoded through its runs: one hash per run, then each run's code repeated. Fee
lines come grouped by visit, settlement and person: at 10M lines, hashing the fee table's
visit ids took 1.49 s, comparing neighbours and hashing its 2.06M runs' ids 0.33 s (one
thread); the key tables' own ids have no runs and are hashed as before, so a whole run's
encoding of every string column (``ruledsl run --workers 2``, 2 threads) took 3.96-4.81 s
against 4.40-5.77 s, in five alternating pairs on the 2-core machine of session 14.
Short codes with longer runs cost less hashed value by value (session 20, 10M fee lines,
three alternating runs each): ``list_type`` (runs 47% of rows) 0.21 against 0.36-0.50 s,
the ordering doctor (29%) 0.25-0.33 against 0.33 s; the ids (20-22%) keep their runs
(person ids 0.40-0.41 against 0.55 s)."""
RUNS_SAMPLE = 1 << 16
"""Rows of a chunk whose runs are counted first, to skip a chunk with no runs cheaply."""
RUNS_FROM_ROWS = 1 << 12
"""Shorter chunks are hashed value by value."""


def _encode_runs_by_hashing(chunks: Sequence[pa.Array], dtype: type[np.signedinteger] = np.int64
                           ) -> tuple[pa.Array, np.ndarray]:
    """:func:`_encode_by_hashing` of ``chunks`` (strings), hashing each run of equal
    neighbours once where they are few (:data:`RUNS_FROM`): the same dictionary and codes."""
    starts = [_run_starts(chunk) for chunk in chunks]
    if all(s is None for s in starts):
        values = pa.chunked_array(chunks, pa.string())
        ids = sortable_keys(values) if _mostly_distinct(chunks[0]) else None
        if ids is not None:
            return _encode_ids_by_hashing(ids, dtype)
        return _encode_by_hashing(values, dtype)
    heads = [chunk if s is None else chunk.take(pa.array(s)) for chunk, s in zip(chunks, starts)]
    head_values = pa.chunked_array(heads, pa.string())
    ids = sortable_keys(head_values)
    dense = _factorize_ids(ids, dtype, dense_only=True) if ids is not None else None
    dictionary, head_codes = dense if dense is not None else _encode_by_hashing(head_values, dtype)
    codes, at = [], 0
    for chunk, s, head in zip(chunks, starts, heads, strict=True):
        part, at = head_codes[at:at + len(head)], at + len(head)
        codes.append(part if s is None else np.repeat(part, np.diff(np.append(s, len(chunk)))))
    return dictionary, np.concatenate(codes) if codes else np.zeros(0, dtype=dtype)


DISTINCT_FROM = 4
"""Strings whose first :data:`RUNS_SAMPLE` values hold at least ``1 / DISTINCT_FROM``
distinct ones are hashed as integers when they can be (:func:`_encode_ids_by_hashing`):
a few codes repeated hash faster as strings (10M shuffled ``list_type`` values, 4 codes:
0.17 s as strings, 0.60 s as integers)."""


def _mostly_distinct(chunk: pa.Array) -> bool:
    """Whether the first :data:`RUNS_SAMPLE` values of ``chunk`` are mostly distinct
    (:data:`DISTINCT_FROM`)."""
    sample = chunk.slice(0, RUNS_SAMPLE)
    return pc.count_distinct(sample).as_py() * DISTINCT_FROM >= len(sample)


def _encode_ids_by_hashing(ids: IdKeys, dtype: type[np.signedinteger] = np.int64
                           ) -> tuple[pa.Array, np.ndarray]:
    """:func:`_encode_by_hashing` of strings given as integers (:func:`sortable_keys`; ids
    with no runs, as in a table in no order): the integers are hashed and their distinct
    values sorted as numbers. 17M shuffled visit ids (18 bytes, 2M distinct): 0.9 s to
    make the integers, 0.9 s to hash them, 0.1 s to sort, against 2.5 s to hash the ids
    as fixed-size binary and 0.7 s to sort 2M of them. Ids that spell dense numbers skip
    the hash (:func:`_factorize_ids`)."""
    dense = _factorize_ids(ids, dtype, dense_only=True)
    if dense is not None:
        return dense
    encoded = pc.dictionary_encode(pa.array(ids.keys, pa.uint64()))
    distinct = np.asarray(encoded.dictionary)
    order = np.argsort(distinct)
    rank = np.empty(len(order), dtype=dtype)
    rank[order] = np.arange(len(order), dtype=dtype)
    return ids.strings(distinct[order]), _with_nulls(rank[np.asarray(encoded.indices)], ids.valid)


def _factorize_ids(ids: IdKeys, dtype: type[np.signedinteger], dense_only: bool = False
                   ) -> tuple[pa.Array, np.ndarray] | None:
    """The sorted distinct strings and each row's code (-1 for null) by
    :func:`factorize_integers` of the keys narrowed (:meth:`IdKeys.narrowed`: ids
    numbered in decimal become the numbers they spell), with no hash and no arg-sort;
    None when they do not fit, or with ``dense_only`` when their numbers are not dense
    enough for a presence table (:func:`dense_span`; a packed sort of ids that repeat
    took as long as hashing them: 17M visit ids, 2M distinct).

    10M shuffled fee-line ids, the dictionary's strings included, fresh processes:
    0.80-0.85 s warm (0.85-1.62 s the first time) against 1.10-1.14 s (1.17-1.35 s)
    arg-sorted. The string columns the 46 rules read at 10M fee lines in order, one
    thread: 4.1-4.7 s against 5.7 s hashed (visit ids 0.64 against 1.16 s, settlement
    ids 0.44 against 0.87 s)."""
    narrow = ids.narrowed()
    # (the narrowed keys are this call's own, but for keys kept as they are)
    factorized = factorize_integers(narrow.values, dtype, in_place=narrow.kind != "as is",
                                    packed=not dense_only)
    if factorized is None:
        return None
    uniq, codes = factorized
    return ids.strings(narrow.widen(uniq)), _with_nulls(codes.astype(dtype, copy=False),
                                                        ids.valid)


def _with_nulls(codes: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    """``codes`` of the valid rows, with -1 at the others."""
    if valid is None:
        return codes
    out = np.full(len(valid), -1, dtype=codes.dtype)
    out[valid] = codes
    return out


def _run_starts(chunk: pa.Array) -> np.ndarray | None:
    """Where each run of equal neighbours of ``chunk`` starts (a null starts its own), or
    None when the runs are not fewer than ``1 / RUNS_FROM`` of its rows (judged on its
    first :data:`RUNS_SAMPLE` rows first)."""
    if len(chunk) < RUNS_FROM_ROWS:
        return None
    sample = _run_heads(chunk.slice(0, RUNS_SAMPLE))
    if np.count_nonzero(sample) * RUNS_FROM >= len(sample):
        return None
    starts = np.flatnonzero(sample if len(sample) == len(chunk) else _run_heads(chunk))
    return starts if len(starts) * RUNS_FROM < len(chunk) else None


def _run_heads(chunk: pa.Array) -> np.ndarray:
    """Whether each row starts a run of equal neighbours (the first row, a null, a value
    unlike the one before)."""
    n = len(chunk)
    heads = np.ones(n, dtype=bool)
    if n > 1:
        same = pc.equal(chunk.slice(1), chunk.slice(0, n - 1))
        np.logical_not(np.asarray(same.fill_null(False) if same.null_count else same),
                       out=heads[1:])
    return heads


def _encode_by_hashing(values: pa.ChunkedArray, dtype: type[np.signedinteger] = np.int64
                       ) -> tuple[pa.Array, np.ndarray]:
    """Sorted distinct values and each value's code in them (-1 for null), as ``dtype``.
    Strings all of one byte length are hashed as fixed-size binary (:func:`fixed_width`)."""
    fixed = fixed_width(values)
    encoded = pc.dictionary_encode(values if fixed is None else fixed)
    parts = [chunk for chunk in encoded.chunks if len(chunk)]
    dictionary = parts[0].dictionary if parts else pa.array([], pa.string())
    if any(not same_array(part.dictionary, dictionary) for part in parts[1:]):
        # (Arrow gives every chunk the one dictionary; should it not, encode one array)
        return _encode_by_hashing(pa.chunked_array([values.combine_chunks()]), dtype)
    if fixed is not None:
        dictionary = as_strings(dictionary)
    raw = np.concatenate([np.asarray(p.indices.fill_null(-1) if p.indices.null_count
                                     else p.indices) for p in parts]).astype(dtype, copy=False) \
        if parts else np.zeros(0, dtype=dtype)
    if strictly_increasing(dictionary):
        # values first seen in order (a sorted key column read first, as visit ids in
        # the visit table): the codes are already ranks, no sort and no gather
        codes = raw
    elif len(dictionary):
        order = np.asarray(pc.sort_indices(dictionary))
        rank = np.empty(len(order) + 1, dtype=dtype)
        rank[order] = np.arange(len(order))
        rank[-1] = -1  # null (index -1)
        codes = rank[raw]
        dictionary = dictionary.take(pa.array(order))
    else:
        codes = np.full(len(raw), -1, dtype=dtype)
    return dictionary, codes


def fixed_width(values: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """``values`` (strings) as fixed-size binary over the same bytes when none is null and
    all have one byte length (national ids and codes often have), else None. Arrow hashes
    those faster: at 10M fee lines, the visit ids (18 bytes) 0.48 against 0.86-1.19 s, the
    person ids (20 bytes) 0.32 against 0.41 s, a 3-byte code 0.08 against 0.12 s."""
    width, chunks = -1, []
    for chunk in values.chunks:
        n = len(chunk)
        if not n:
            continue
        if chunk.null_count or chunk.type != pa.string():
            return None
        offsets = np.frombuffer(chunk.buffers()[1], np.int32, n + 1, chunk.offset * 4)
        lengths = np.diff(offsets)
        width = int(lengths[0]) if width < 0 else width
        if width == 0 or not (lengths == width).all():
            return None
        chunks.append(pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(width), n, [None, chunk.buffers()[2].slice(int(offsets[0]), width * n)]))
    return pa.chunked_array(chunks, pa.binary(width)) if chunks else None


def as_strings(array: pa.Array) -> pa.Array:
    """A fixed-size binary array of UTF-8 values (no null) as strings over the same bytes."""
    width = array.type.byte_width
    data = array.buffers()[1].slice(array.offset * width, width * len(array))
    offsets = np.arange(len(array) + 1, dtype=np.int32) * np.int32(width)
    return pa.StringArray.from_buffers(len(array), pa.py_buffer(offsets), data)


def _encode_by_sorting(values: pa.Array, dtype: type[np.signedinteger] = np.int64
                       ) -> tuple[pa.Array, np.ndarray]:
    """:func:`_encode_by_hashing` by one sort of all the values (for mostly distinct ones)."""
    if strictly_increasing(values):
        return values, np.arange(len(values), dtype=dtype)
    ids = sortable_keys(values)
    factorized = _factorize_ids(ids, dtype) if ids is not None else None
    if factorized is not None:
        return factorized
    if ids is not None:  # (ids in no order: sorted as integers)
        order = np.argsort(ids.keys)
        ordered_keys = ids.keys[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = ordered_keys[1:] != ordered_keys[:-1]
        rank = np.empty(len(order), dtype=dtype)
        rank[order] = np.cumsum(first, dtype=dtype) - 1
        return ids.strings(ordered_keys[first]), _with_nulls(rank, ids.valid)
    order = np.asarray(pc.array_sort_indices(values, null_placement="at_end"))
    order = order[:len(values) - values.null_count]
    ordered = values.take(pa.array(order))
    first = np.ones(len(ordered), dtype=bool)
    if len(ordered) > 1:
        first[1:] = np.asarray(pc.not_equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1)))
    codes = np.full(len(values), -1, dtype=dtype)
    codes[order] = np.cumsum(first, dtype=dtype) - 1
    return (ordered if first.all() else ordered.filter(pa.array(first))), codes


def encode_in_domain(column: pa.Array | pa.ChunkedArray, domain: pa.Array) -> Vec:
    """A string column's codes in ``domain``, a sorted dictionary holding all its values.

    A dictionary column whose dictionary is ``domain`` itself (the same buffers, see
    :func:`dictionary_columns`) gives its indices without reading a string; any other
    column is looked up. A value missing from ``domain`` is an error, never a null.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if len(column) == 0:  # (a look-up would hash the whole domain: 2M visit ids at 10M lines)
        return Vec(np.zeros(0, dtype=np.int64), None, STR, domain)
    if pa.types.is_dictionary(column.type) and same_array(column.dictionary, domain):
        indices = column.indices
        if indices.null_count:
            values = np.asarray(indices.fill_null(-1)).astype(np.int64)
            return Vec(values, np.asarray(indices.is_valid()), STR, domain)
        return Vec(np.asarray(indices).astype(np.int64), None, STR, domain)
    array = column.cast(pa.string()) if column.type != pa.string() else column
    vec = encode_strings(array, domain)
    if vec.valid is not None and int((~vec.valid).sum()) != array.null_count:
        raise ValueError("a string value is missing from its column's domain")
    return vec


def memory_key(a: pa.Array) -> tuple[Any, ...]:
    """What identifies the memory an array views: its type, length, offset and buffer
    addresses (hashable; valid while the array is alive, so keep it beside the key)."""
    return (str(a.type), len(a), a.offset,
            tuple(0 if b is None else b.address for b in a.buffers()))


def same_array(a: pa.Array, b: pa.Array) -> bool:
    """Whether two arrays are views of the same memory (same buffers, offset and length)."""
    return memory_key(a) == memory_key(b)


def dictionary_columns(arrays: Sequence[pa.Array | pa.ChunkedArray], mostly_distinct: bool = False,
                       ) -> tuple[pa.Array, list[pa.DictionaryArray]]:
    """String arrays as dictionary arrays over one sorted dictionary of all their values
    (returned too): cutting them copies no string, and :func:`encode_in_domain` reads
    their codes back without looking anything up.

    Example:
        >>> domain, (a, b) = dictionary_columns([pa.array(["b", None]), pa.array(["a"])])
        >>> domain.to_pylist(), a.indices.to_pylist(), same_array(b.dictionary, domain)
        (['a', 'b'], [1, None], True)
    """
    domain, codes = shared_codes(arrays, mostly_distinct, np.int32)
    out, start = [], 0
    for array in arrays:
        part, start = codes[start:start + len(array)], start + len(array)
        null = part < 0
        out.append(pa.DictionaryArray.from_arrays(
            pa.array(part, pa.int32(), mask=null if null.any() else None), domain))
    return domain, out


def encode_strings(array: pa.Array, dictionary: pa.Array) -> Vec:
    """Codes of ``array`` in ``dictionary`` (a value not in it becomes null)."""
    codes = pc.index_in(array, value_set=dictionary)
    valid = None
    if codes.null_count:
        valid = np.asarray(codes.is_valid())
        values = np.asarray(codes.fill_null(-1)).astype(np.int64)
    else:
        values = np.asarray(codes).astype(np.int64)
    return Vec(values, valid, STR, dictionary)


_UNIFIED = IdentityMemo(limit=768)
"""Code maps between two dictionaries, by the dictionaries' identity."""


def unify_dictionaries(a: pa.Array, b: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """A common sorted dictionary and the code maps of ``a`` and ``b`` into it."""
    if a is b:
        ident = np.arange(len(a), dtype=np.int64)
        return a, ident, ident
    return _UNIFIED.get("unify", [a, b], lambda: _unify(a, b))


def _unify(a: pa.Array, b: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    merged = sorted_unique(pa.concat_arrays([a, b]))
    map_a = np.asarray(pc.index_in(a, value_set=merged)).astype(np.int64)
    map_b = np.asarray(pc.index_in(b, value_set=merged)).astype(np.int64)
    return merged, map_a, map_b


def dictionary_map(source: pa.Array, target: pa.Array) -> np.ndarray:
    """Position of each ``source`` string in ``target`` (-1 when absent), cached."""
    if source is target:
        return np.arange(len(source), dtype=np.int64)
    return _UNIFIED.get("map", [source, target], lambda: np.asarray(
        pc.index_in(source, value_set=target).fill_null(-1)).astype(np.int64))


def forget_dictionary_caches() -> None:
    """Forget what was worked out from a batch's dictionaries (a finished bucket's, which
    no other bucket has): always safe."""
    _UNIFIED.clear()
    _AS_LIST.clear()


def constant_code(dictionary: pa.Array, value: str) -> tuple[int, bool]:
    """Where a constant string sits in a sorted dictionary: (insertion point, present)."""
    return search_dictionary(dictionary, value)


@attrs.frozen(eq=False)
class SortedStrings:
    """A sorted dictionary, also as Python strings: a few other values are placed in it
    without hashing it again (a visit's codes beside a knowledge base's, on every call)."""

    array: pa.Array
    values: list[str]
    code: dict[str, int]

    @classmethod
    def of(cls, array: pa.Array) -> SortedStrings:
        """The sorted, distinct ``array`` (a dictionary)."""
        values = array.to_pylist()
        return cls(array, values, {v: i for i, v in enumerate(values)})


def encode_beside(known: SortedStrings, known_vecs: Sequence[Vec],
                  arrays: Sequence[pa.Array | pa.ChunkedArray]) -> tuple[list[Vec], list[Vec]]:
    """``arrays`` and the columns ``known_vecs`` (encoded against ``known``) over one sorted
    dictionary of all their values: the codes :func:`encode_shared` gives them all, with
    only ``arrays`` hashed. Returns the known columns (recoded when ``arrays`` hold values
    ``known`` has not) and the arrays, encoded.

    Example:
        >>> kb = encode_shared([pa.array(["b", "d"])])
        >>> (k,), (a,) = encode_beside(SortedStrings.of(kb[0].dictionary), kb,
        ...                            [pa.array(["d", "c", None])])
        >>> k.dictionary.to_pylist(), k.values.tolist(), a.values.tolist()
        (['b', 'c', 'd'], [0, 2], [2, 1, -1])
    """
    fresh = encode_shared(arrays)
    own = fresh[0].dictionary.to_pylist() if fresh else []
    missing = sorted(v for v in own if v not in known.code)
    merged, known_map = known.array, None
    at: list[int] = []
    if missing:
        at = [bisect.bisect_left(known.values, v) for v in missing]  # (nondecreasing)
        pieces, before = [], 0
        for position, value in zip(at, missing, strict=True):
            pieces += [known.array.slice(before, position - before), pa.array([value], pa.string())]
            before = position
        merged = pa.concat_arrays([*pieces, known.array.slice(before)])
        old = np.arange(len(known.values), dtype=np.int64)
        known_map = old + np.searchsorted(np.array(at, dtype=np.int64), old, side="right")
    new_code = {value: position + j for j, (position, value) in enumerate(zip(at, missing))}
    own_map = np.array([new_code[v] if v in new_code else
                        known.code[v] if known_map is None else int(known_map[known.code[v]])
                        for v in own], dtype=np.int64)

    return [v if known_map is None else recode(v, merged, known_map) for v in known_vecs], \
        [recode(v, merged, own_map) for v in fresh]


def recode(vec: Vec, dictionary: pa.Array, mapping: np.ndarray) -> Vec:
    """Re-express string codes through ``mapping`` into ``dictionary`` (a null's code stays -1,
    as :func:`encode_shared` gives it)."""
    if len(mapping) == 0:
        return Vec(np.full(len(vec), -1, dtype=np.int64), np.zeros(len(vec), dtype=bool), STR,
                   dictionary)
    values = np.where(vec.values < 0, -1, mapping[np.maximum(vec.values, 0)])
    return Vec(values, vec.valid, STR, dictionary)


def unify_strings(a: Vec, b: Vec) -> tuple[Vec, Vec]:
    """Two string columns over one dictionary."""
    if a.dictionary is b.dictionary:
        return a, b
    assert a.dictionary is not None and b.dictionary is not None
    merged, map_a, map_b = unify_dictionaries(a.dictionary, b.dictionary)
    return recode(a, merged, map_a), recode(b, merged, map_b)


def search_dictionary(dictionary: pa.Array, value: str) -> tuple[int, bool]:
    """Insertion point of ``value`` in a sorted dictionary, and whether it is present."""
    if len(dictionary) <= AS_LIST_UP_TO:
        values = _as_list(dictionary)
        pos = bisect.bisect_left(values, value)
        return pos, pos < len(values) and values[pos] == value
    pos = bisect.bisect_left(range(len(dictionary)), value, key=lambda i: dictionary[i].as_py())
    present = pos < len(dictionary) and dictionary[pos].as_py() == value
    return pos, present


AS_LIST_UP_TO = 4096
"""A dictionary of at most this many strings is searched as a Python list (one conversion
per dictionary, then ``bisect`` in C) rather than value by value through Arrow scalars."""
_AS_LIST = IdentityMemo(limit=1024)


def _as_list(dictionary: pa.Array) -> list[str]:
    return _AS_LIST.get("as_list", [dictionary], dictionary.to_pylist)


def map_dictionary(vec: Vec, values: pa.Array, dtype: DataType) -> Vec:
    """Apply a per-dictionary-value result ``values`` (aligned with ``vec.dictionary``) to ``vec``.

    ``values`` is computed once per distinct string (e.g. ``icd3`` of each
    code); strings results are re-encoded against their own sorted dictionary.
    """
    if len(values) == 0:
        return Vec.constant(None, dtype, len(vec))
    codes = np.where(vec.values < 0, 0, vec.values)
    valid = vec.valid_mask()
    if dtype == STR:
        inner = Vec.from_strings(values)
        out = inner.take(codes)
        out.valid = valid & out.valid_mask()
        return out
    arr_valid = np.asarray(values.is_valid())
    arr = np.asarray(values.fill_null(False if pa.types.is_boolean(values.type) else 0))
    return Vec(arr[codes], valid & arr_valid[codes], dtype)
