"""Identifier formats and fast Arrow string builders for the demo data.

All identifiers are a fixed prefix plus a fixed number of digits, so string order equals
numeric order and tables written in id order are sorted by key.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

#: (prefix, digits) of each identifier kind.
FORMATS: dict[str, tuple[str, int]] = {
    "psn_no": ("64", 18),  # 人员编号
    "mdtrt_id": ("JZ", 16),  # 就诊ID
    "setl_id": ("JS", 16),  # 结算ID
    "feedetl_sn": ("FY", 16),  # 费用明细流水号
    "rxno": ("CF", 14),  # 处方号
}

EPOCH = np.datetime64("1970-01-01", "D")
_FOUR = np.frombuffer("".join(f"{i:04d}" for i in range(10000)).encode(), np.uint8).reshape(
    10000, 4)


def fmt(kind: str, n: int) -> str:
    """One identifier, e.g. ``fmt("psn_no", 12)``."""
    prefix, width = FORMATS[kind]
    return f"{prefix}{n:0{width}d}"


def fixed_strings(prefix: np.ndarray | str, nums: np.ndarray, width: int,
                  valid: np.ndarray | None = None) -> pa.StringArray:
    """``prefix + zero-padded nums`` as an Arrow string array, built without Python loops.

    Args:
        prefix: one ASCII prefix, or an (n, k) uint8 array of per-row prefixes.
        nums: non-negative integers.
        width: number of digits.
        valid: optional mask; False rows are null.
    """
    nums = np.asarray(nums, dtype=np.int64)
    n = len(nums)
    if isinstance(prefix, str):
        pre = np.frombuffer(prefix.encode("ascii"), np.uint8)
        pre2 = np.broadcast_to(pre, (n, len(pre)))
    else:
        pre2 = prefix
    k = pre2.shape[1]
    buf = np.empty((n, k + width), np.uint8)
    buf[:, :k] = pre2
    buf[:, k:] = 48
    x = nums.copy()
    j = k + width
    while j > k and n and x.max() > 0:  # four digits at a time, stop when only zeros remain
        q, r = np.divmod(x, 10000)
        four = _FOUR[r]
        take = min(4, j - k)
        buf[:, j - take:j] = four[:, 4 - take:]
        x = q
        j -= take
    offsets = (np.arange(n + 1, dtype=np.int64) * (k + width))
    if offsets[-1] < 2**31:
        offsets32 = offsets.astype(np.int32)
        bitmap = None
        null_count = 0
        if valid is not None and not valid.all():
            bitmap = pa.py_buffer(np.packbits(valid.astype(np.uint8), bitorder="little"))
            null_count = int((~valid).sum())
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets32), pa.py_buffer(buf),
                                           bitmap, null_count)
    raise ValueError("string column too large")  # pragma: no cover


def id_array(kind: str, nums: np.ndarray, valid: np.ndarray | None = None) -> pa.StringArray:
    """Identifiers of one kind for integer ids."""
    prefix, width = FORMATS[kind]
    return fixed_strings(prefix, nums, width, valid)


def take_strings(values: list[str | None], idx: np.ndarray,
                 valid: np.ndarray | None = None) -> pa.Array:
    """``values[idx]`` as an Arrow string array (null where ``valid`` is False)."""
    idx = np.asarray(idx)
    mask = None if valid is None or valid.all() else ~np.asarray(valid, bool)
    itype = pa.int32() if len(values) < 2**31 else pa.int64()
    indices = pa.array(idx.astype(np.int32 if itype == pa.int32() else np.int64), itype,
                       mask=mask)
    dictionary = pa.array(values, pa.string())
    return pa.DictionaryArray.from_arrays(indices, dictionary).dictionary_decode()


def ts_array(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds as ``timestamp[s]``."""
    return pa.array(np.asarray(seconds, np.int64), pa.timestamp("s"))


def date_array(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Epoch days as ``date32`` (null where ``valid`` is False)."""
    days = np.asarray(days, np.int32)
    mask = None if valid is None else ~np.asarray(valid, bool)
    return pa.array(days, pa.date32(), mask=mask)


def f64_array(x: np.ndarray) -> pa.Array:
    """Floats with NaN as null."""
    x = np.asarray(x, np.float64)
    return pa.array(x, pa.float64(), mask=np.isnan(x))


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of epoch days."""
    d = EPOCH + np.asarray(days, np.int64)
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m_start = d.astype("datetime64[M]")
    m = m_start.astype(np.int64) % 12 + 1
    dd = (d - m_start.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, dd


def age_at(brdy: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Age in completed years at epoch day ``x`` (rules-46.md §0.4.5)."""
    yb, mb, db = ymd(brdy)
    yx, mx, dx = ymd(x)
    return yx - yb - ((mx * 100 + dx) < (mb * 100 + db)).astype(np.int64)
