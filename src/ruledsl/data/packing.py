"""Integer keys packed into one ``int64`` per row: the low-level step shared by the
validation of composite keys (:mod:`ruledsl.data.load`) and the engine's sorts and
factorisations (:mod:`ruledsl.execute.vec`). Each key is taken as its offset from its
lowest value, in as many bits as its span needs; keys that fit in 63 bits together are
compared, sorted and counted as single integers.

Example:
    >>> keys = [np.array([0, 1, 2]), np.array([5, 3, 5])]
    >>> spans = key_spans(keys)
    >>> spans
    [(0, 2), (3, 2)]
    >>> pack_keys(keys, spans, 0, np.zeros(3, dtype=np.int64)).tolist()
    [8, 1, 10]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def key_spans(keys: Sequence[np.ndarray]) -> list[tuple[int, int]] | None:
    """Each key's ``(lowest value, bits of its span)``; None unless every key is integral
    and together they fit in 63 bits."""
    spans = []
    for key in keys:
        if key.dtype.kind not in "iub":
            return None
        low, high = (0, 1) if key.dtype.kind == "b" or not len(key) \
            else (int(key.min()), int(key.max()))
        spans.append((low, (high - low).bit_length()))
    return spans if sum(bits for _, bits in spans) <= 63 else None


def pack_keys(keys: Sequence[np.ndarray], spans: list[tuple[int, int]], shift: int,
              packed: np.ndarray) -> np.ndarray:
    """ORs each key's offset into ``packed`` (returned), the first key from bit ``shift``
    up, each next one above it; equal rows get equal values, and their order is that of
    the keys, the last key the primary one."""
    for key, (low, bits) in zip(keys, spans, strict=True):
        offsets = key_offsets(key, low)
        if shift:
            offsets = np.left_shift(offsets, shift, out=None if offsets is key else offsets)
        packed |= offsets
        shift += bits
    return packed


def key_offsets(values: np.ndarray, low: int) -> np.ndarray:
    """``values - low`` as int64 (unsigned values may pass 2**63, their offsets do not);
    ``values`` itself when they are int64 from 0 (read it, never write it)."""
    if values.dtype.kind == "b":
        return values.astype(np.int64)
    if values.dtype.kind == "u":
        return (values - values.dtype.type(low)).astype(np.int64)
    if values.dtype == np.int64:
        return values - low if low else values
    offsets = values.astype(np.int64)
    offsets -= low
    return offsets


def values_at(offsets: np.ndarray, low: int, dtype: np.dtype) -> np.ndarray:
    """The inverse of :func:`key_offsets` (may reuse ``offsets``' memory)."""
    if dtype.kind == "u":
        return offsets.astype(dtype) + dtype.type(low)
    if low:
        offsets = offsets + low if offsets.dtype != np.int64 else np.add(offsets, low, out=offsets)
    return offsets.astype(dtype, copy=False)
