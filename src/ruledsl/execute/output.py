"""The violations table (data-contract §4): building, de-duplicating, sorting, writing.

Both executions produce their firings through :func:`build_violations` (one
rule's firings, with the rule's header literals filled in), keep one firing
per key with :func:`dedup_by_key`, and combine rules with
:func:`concat_and_sort`, so the output is the same table whichever engine ran.

Conventions:

* ``vola_amt`` is rounded with r2 (idempotent) and −0 written as 0 by
  :func:`build_violations`, whichever engine computed it.
* The schema is :data:`VIOLATION_SCHEMA`: the contract's column order and
  types (strings, ``period_*`` ``date32``, ``vola_amt`` ``float64``, ``lines``
  ``list<string>``).  ``vola_amt`` is nullable: a rule's amount is null where
  the data has a null in it (the loader accepts nulls everywhere).
* **One firing per key** (§0.7.1): the key is (``rule_id``, ``feedetl_sn``,
  ``mdtrt_id``, ``setl_id``, ``psn_no``, ``fixmedins_code``, ``dr_codg``,
  ``item_code``, ``period_start``, ``period_end``), null equal to null; of
  several firings with one key the one that sorts first by (``message``,
  ``vola_amt``, ``lines``) is kept (nulls first; lists compared item by item).
* **Order**: by the key columns in that order, ascending, nulls first, strings
  by code point (Arrow's binary order = UTF-8 byte order); remaining ties by
  (``message``, ``vola_amt``, ``lines``), so the order is total.
* **Files** are byte-identical for equal tables: Parquet with fixed zstd
  compression and no time-dependent metadata; CSV (UTF-8, ``\\n`` line ends,
  header row, dates ``YYYY-MM-DD``, ``vola_amt`` with two decimals, ``lines``
  as a JSON array, null = empty field); JSON Lines (one object per firing in
  column order, ``lines`` an array, dates ``YYYY-MM-DD``).

Example:
    >>> from ruledsl.rulebook import load_text
    >>> rule = load_text('''规则 R-1 "示例" { 类别 药品类 结果类型 可疑 环节 事后 层级 明细
    ...     对每条 明细 x 当 x.数量 > 1 }''').rules[0]
    >>> t = build_violations(rule, {"feedetl_sn": ["F2", "F1"], "vola_amt": [1.0, 2.0],
    ...                             "message": ["m", "m"], "lines": [["F2"], ["F1"]]})
    >>> concat_and_sort([t]).column("feedetl_sn").to_pylist()
    ['F1', 'F2']
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..check.model import CheckedRule
from ..schema.arrow import output_schema
from ..schema.contract import OUTPUT_SORT_KEYS
from .scalar import r2

__all__ = [
    "FORMATS",
    "KEY_COLUMNS",
    "VIOLATION_COLUMNS",
    "VIOLATION_SCHEMA",
    "build_violations",
    "concat_and_sort",
    "dedup_by_key",
    "empty_violations",
    "write_violations",
]


def _schema() -> pa.Schema:
    base = output_schema()
    return pa.schema(
        [f.with_nullable(True) if f.name == "vola_amt" else f for f in base]
    )


VIOLATION_SCHEMA: pa.Schema = _schema()
"""The Arrow schema of the violations table (contract §4)."""

VIOLATION_COLUMNS: tuple[str, ...] = tuple(VIOLATION_SCHEMA.names)
"""The violations columns, in output order."""

KEY_COLUMNS: tuple[str, ...] = tuple(k for k in OUTPUT_SORT_KEYS if k != "rule_id")
"""The key columns a firing may set (§0.7.1), in sort order."""

HEADER_COLUMNS = ("rule_id", "rule_name", "category", "result_type", "level")
"""Columns filled from the rule's header."""

FORMATS = ("parquet", "csv", "jsonl")
"""Formats :func:`write_violations` writes."""

_TIE_BREAK = ("message", "vola_amt")


def empty_violations() -> pa.Table:
    """A violations table with no rows (one shared immutable table)."""
    return _EMPTY


_EMPTY = VIOLATION_SCHEMA.empty_table()


# --------------------------------------------------------------------- build --
def _length(columns: Mapping[str, Any]) -> int:
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"firing columns have different lengths: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def _date_array(values: Any, n: int) -> pa.Array:
    """Dates given as ``date`` objects, ``int`` days or an Arrow array."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        if pa.types.is_integer(values.type):
            return values.cast(pa.int32()).cast(pa.date32())
        return values.cast(pa.date32())
    items = list(values)
    if all(v is None or isinstance(v, dt.date) for v in items):
        return pa.array(items, pa.date32())
    return pa.array(items, pa.int32()).cast(pa.date32())


def _amounts(values: Any) -> pa.Array:
    """``vola_amt`` as float64, rounded with r2 (idempotent), with −0 written as 0."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        arr = values.cast(pa.float64())
        x = arr.to_numpy(zero_copy_only=False)
        rounded = np.sign(x) * np.floor(np.abs(x) * 100 + 0.5 + 1e-6) / 100 + 0.0
        return pa.array(rounded, pa.float64(), mask=arr.is_null().to_numpy(zero_copy_only=False))
    return pa.array([None if v is None else r2(float(v)) + 0.0 for v in values], pa.float64())


def _lines(values: Any) -> pa.Array:
    """``lines`` as list<string>; Python lists are made distinct and sorted by code point.

    Arrow arrays are taken as they are (the engine sorted them).
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        arr = values.cast(pa.list_(pa.string()))
        if arr.null_count:
            arr = pc.if_else(pc.is_null(arr), pa.scalar([], pa.list_(pa.string())), arr)
        return arr
    out = []
    for lines in values:
        if lines is None:
            out.append([])
        elif isinstance(lines, str):
            out.append([lines])
        else:
            out.append(sorted({s for s in lines if s is not None}))
    return pa.array(out, pa.list_(pa.string()))


def build_violations(rule: CheckedRule, columns: Mapping[str, Sequence[Any] | pa.Array]) -> pa.Table:
    """One rule's firings as a violations table.

    Args:
        rule: The rule; ``rule_id``, ``rule_name``, ``category``,
            ``result_type`` and ``level`` come from its header.
        columns: Column name → values (Python lists or Arrow arrays), all of
            one length: any of the key columns (absent ones are null),
            ``vola_amt`` (rounded here with r2, −0 as 0), ``message``,
            ``lines``.  ``period_*`` may be
            ``date`` objects or days since 1970-01-01; a Python ``lines`` item
            may be a list (made distinct and sorted), a string or ``None``.

    Returns:
        A table with :data:`VIOLATION_SCHEMA`, in the order given (not
        de-duplicated, not sorted).
    """
    unknown = set(columns) - set(VIOLATION_COLUMNS)
    if unknown:
        raise ValueError(f"unknown violations columns: {sorted(unknown)}")
    n = _length(columns)
    header = {
        "rule_id": rule.id,
        "rule_name": rule.name,
        "category": rule.category,
        "result_type": rule.result_type,
        "level": rule.level,
    }
    arrays: list[pa.Array] = []
    for field in VIOLATION_SCHEMA:
        name = field.name
        if name in header:
            arrays.append(pa.array([header[name]] * n, field.type))
            continue
        values = columns.get(name)
        if name == "vola_amt":
            arrays.append(_amounts(values if values is not None else [0.0] * n))
        elif name == "message":
            values = values if values is not None else [rule.name] * n
            arrays.append(_as_array(values, field.type).fill_null(""))
        elif name == "lines":
            arrays.append(_lines(values if values is not None else [[]] * n))
        elif values is None:
            arrays.append(pa.nulls(n, field.type))
        elif field.type == pa.date32():
            arrays.append(_date_array(values, n))
        else:
            arrays.append(_as_array(values, field.type))
    return pa.Table.from_arrays(arrays, schema=VIOLATION_SCHEMA)


def _as_array(values: Any, dtype: pa.DataType) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values.cast(dtype)
    return pa.array(list(values), dtype)


# ---------------------------------------------------------------- sort/dedup --
def _lines_key(lines: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A string per ``lines`` list whose code-point order is the lists' item-by-item order.

    Each item is prefixed with U+0001 and the items concatenated, so a list
    sorts before its extensions and ``["a", "b"]`` before ``["ab"]``.
    """
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    lines = lines.cast(pa.list_(pa.string()))
    if len(lines) == 0:
        return pa.array([], pa.string())
    if lines.null_count:
        lines = pc.if_else(pc.is_null(lines), pa.scalar([], lines.type), lines)
    flat = pc.list_flatten(lines)
    prefixed = pc.binary_join_element_wise(pa.scalar("\x01"), flat.fill_null(""), "")
    offsets = pc.subtract(lines.offsets, lines.offsets[0])
    rebuilt = pa.ListArray.from_arrays(offsets, prefixed)
    return pc.binary_join(rebuilt, "")


def _sort_indices(table: pa.Table, keys: Sequence[str], tie_break: bool = True) -> pa.Array:
    """Stable ascending sort by ``keys`` then (with ``tie_break``) the tie-breaks, nulls
    first."""
    if tie_break:
        work = table.select(list(dict.fromkeys([*keys, *_TIE_BREAK])))
        work = work.append_column("__lines", _lines_key(table.column("lines")))
    else:
        work = table.select(list(keys))
    try:  # pyarrow >= 25: null placement per key
        order3 = [(name, "ascending", "at_start") for name in work.column_names]
        return pc.sort_indices(work, sort_keys=order3)
    except (TypeError, ValueError, pa.ArrowInvalid):  # older pyarrow
        order2 = [(name, "ascending") for name in work.column_names]
        return pc.sort_indices(work, sort_keys=order2, null_placement="at_start")


def _same_as_previous(column: pa.Array) -> pa.Array:
    """For rows 1…n−1: whether the value equals the previous row's (null equals null)."""
    current, previous = column.slice(1), column.slice(0, len(column) - 1)
    equal = pc.fill_null(pc.equal(current, previous), False)
    both_null = pc.and_(pc.is_null(current), pc.is_null(previous))
    return pc.or_(equal, both_null)


def dedup_by_key(table: pa.Table) -> pa.Table:
    """Keep one firing per (rule, key): the first by (message, vola_amt, lines).

    Returns the kept rows sorted as :func:`concat_and_sort` sorts them.

    Example:
        >>> from ruledsl.rulebook import load_text
        >>> rule = load_text('''规则 R-1 "示例" { 类别 药品类 结果类型 可疑 环节 事后 层级 明细
        ...     对每条 明细 x 当 x.数量 > 1 }''').rules[0]
        >>> t = build_violations(rule, {"feedetl_sn": ["F1", "F1"], "vola_amt": [2.0, 1.0],
        ...                             "message": ["b", "a"], "lines": [[], []]})
        >>> dedup_by_key(t).column("message").to_pylist()
        ['a']
    """
    if table.num_rows == 0:
        return table
    return table.take(dedup_order(table))


def dedup_order(table: pa.Table) -> pa.Array:
    """The row indexes :func:`dedup_by_key` keeps, in output order; only the key columns
    are copied (in sorted order), never the whole table."""
    order = _sort_indices(table, OUTPUT_SORT_KEYS)
    if table.num_rows <= 1:
        return order
    keep = pa.concat_arrays([pa.array([True]), pc.invert(_same_key_as_previous(table, order))])
    return order.filter(keep)


def key_order(table: pa.Table) -> tuple[pa.Array, bool]:
    """The output order of firings whose (rule, key) may repeat only within runs already
    de-duplicated: the sort by (rule, key) alone, and whether every (rule, key) is unique
    (when it is, this is :func:`dedup_order`'s order: ties need no tie-break)."""
    order = _sort_indices(table, OUTPUT_SORT_KEYS, tie_break=False)
    if table.num_rows <= 1:
        return order, True
    return order, not pc.any(_same_key_as_previous(table, order)).as_py()


def _same_key_as_previous(table: pa.Table, order: pa.Array) -> pa.Array:
    same = None
    for name in OUTPUT_SORT_KEYS:
        eq = _same_as_previous(table.column(name).take(order).combine_chunks())
        same = eq if same is None else pc.and_(same, eq)
    assert same is not None
    return same


def concat_and_sort(tables: Iterable[pa.Table]) -> pa.Table:
    """Combine violations tables and sort them (contract §4).

    Sorted by (``rule_id``, ``feedetl_sn``, ``mdtrt_id``, ``setl_id``,
    ``psn_no``, ``fixmedins_code``, ``dr_codg``, ``item_code``,
    ``period_start``, ``period_end``), ascending, nulls first, strings by code
    point; then by (``message``, ``vola_amt``, ``lines``).
    """
    parts = [t.select(list(VIOLATION_COLUMNS)).cast(VIOLATION_SCHEMA) for t in tables
             if t.num_rows]
    if not parts:
        return empty_violations()
    combined = pa.concat_tables(parts).combine_chunks()
    if combined.num_rows == 0:
        return combined
    return combined.take(_sort_indices(combined, OUTPUT_SORT_KEYS)).combine_chunks()


# --------------------------------------------------------------------- write --
def _text_rows(table: pa.Table) -> Iterable[dict[str, Any]]:
    """The rows as dicts, one record batch at a time."""
    for batch in table.to_batches(max_chunksize=65536):
        yield from batch.to_pylist()


def _csv_cell(name: str, value: Any) -> str:
    if name == "lines":
        return json.dumps(list(value or []), ensure_ascii=False)
    if value is None:
        return ""
    if name == "vola_amt":
        return f"{float(value) + 0.0:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _json_cell(name: str, value: Any) -> Any:
    if name == "lines":
        return list(value or [])
    if isinstance(value, dt.date):
        return value.isoformat()
    if name == "vola_amt" and value is not None:
        return float(value) + 0.0
    return value


def write_violations(table: pa.Table, path: str | os.PathLike[str], fmt: str = "parquet") -> None:
    """Write a violations table; equal tables give byte-identical files.

    Args:
        table: A violations table (:data:`VIOLATION_SCHEMA`), already sorted.
        path: The output file.
        fmt: ``parquet`` (zstd level 3, no dictionary encoding, row groups per rule),
            ``csv`` (``lines`` as a JSON array text) or ``jsonl``.
    """
    with ViolationsWriter(path, fmt) as writer:
        for part in split_by_rule(table):
            writer.write(part)


def split_by_rule(table: pa.Table) -> Iterator[pa.Table]:
    """The runs of equal ``rule_id`` of a sorted violations table, in order."""
    if table.num_rows == 0:
        return
    ids = table.column("rule_id").combine_chunks()
    change = np.flatnonzero(np.asarray(pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1))))
    bounds = [0, *(change + 1).tolist(), table.num_rows]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        yield table.slice(lo, hi - lo)


ROW_GROUP_ROWS = 1 << 20
"""Most rows in a row group of a violations file."""

ROW_GROUP_BYTES = 1 << 26
"""About the most bytes of firings (:func:`row_bytes`) in a row group: a rule whose
firings carry long ``lines`` lists is cut into smaller row groups, so that neither the
writer nor a merge of spilled runs holds more than this at once."""


def row_bytes(table: pa.Table) -> np.ndarray:
    """The size of each firing, by content: the UTF-8 bytes of its ``message`` and of
    its ``lines``, plus a fixed 64 for the other columns (what the row-group cut counts;
    it depends on the values only, never on how the table is laid out in memory)."""
    message = table.column("message").combine_chunks()
    lines = table.column("lines").combine_chunks().cast(pa.list_(pa.string()))
    if lines.null_count:
        lines = pc.if_else(pc.is_null(lines), pa.scalar([], lines.type), lines)
    item = np.asarray(pc.binary_length(pc.list_flatten(lines)).fill_null(0), dtype=np.int64)
    before = np.concatenate([[0], np.cumsum(item)])
    offsets = np.asarray(lines.offsets, dtype=np.int64) - int(lines.offsets[0].as_py())
    per_row = before[offsets[1:]] - before[offsets[:-1]]
    text = np.asarray(pc.binary_length(message).fill_null(0), dtype=np.int64)
    return 64 + text + per_row


def row_group_starts(weights: np.ndarray, first_row: int = 0, bytes_before: int = 0,
                     last_weight: int = 0) -> np.ndarray:
    """Where row groups start among rows ``first_row …`` of a rule (positions relative to
    the first of them): at every :data:`ROW_GROUP_ROWS`-th row of the rule, and at each
    row before which the rule's running byte count (:func:`row_bytes`) passed a multiple
    of :data:`ROW_GROUP_BYTES`. ``bytes_before`` and ``last_weight``: the bytes of the
    rule's earlier rows and of the last of them. A function of the rule's rows alone, so
    a rule written in any pieces is cut at the same rows.

    Example:
        >>> row_group_starts(np.array([40, 40, 40])).tolist()
        [0]
    """
    index = first_row + np.arange(len(weights))
    before = bytes_before + np.concatenate([[0], np.cumsum(weights)[:-1]])
    previous = np.concatenate([[bytes_before - last_weight], before[:-1]])
    crossed = before // ROW_GROUP_BYTES != previous // ROW_GROUP_BYTES
    return np.flatnonzero((index % ROW_GROUP_ROWS == 0) | crossed)


class ViolationsWriter:
    """Writes a violations file rule by rule, so that a run's output need not fit in memory.

    Parts are written in the order given (each a rule's sorted firings or a piece of
    them, rules in ``rule_id`` order); the file is the same bytes however the firings
    were cut into parts: row groups start at each rule and at :func:`row_group_starts`,
    and the rows of a row group not yet complete wait for the next part.
    """

    def __init__(self, path: str | os.PathLike[str], fmt: str = "parquet") -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
        self.path, self.fmt, self.rows = Path(path), fmt, 0
        self._parquet: pq.ParquetWriter | None = None
        self._text: Any = None
        self._rule: str | None = None
        self._rule_rows = 0
        self._rule_bytes = 0
        self._last_weight = 0
        self._pending: list[pa.Table] = []
        if fmt == "parquet":
            self._parquet = pq.ParquetWriter(
                self.path, VIOLATION_SCHEMA, compression="zstd", compression_level=3,
                use_dictionary=False, write_statistics=True, version="2.6", store_schema=True)
        else:
            self._text = self.path.open("wb")
            if fmt == "csv":
                self._text.write(_csv_text([list(VIOLATION_COLUMNS)]))

    def write(self, part: pa.Table) -> None:
        """Append one part: sorted firings of one rule, after those written before."""
        part = part.select(list(VIOLATION_COLUMNS)).cast(VIOLATION_SCHEMA).combine_chunks()
        self.rows += part.num_rows
        if part.num_rows == 0:
            return
        if self._parquet is not None:
            self._write_row_groups(part.replace_schema_metadata(None))
        elif self.fmt == "csv":
            self._text.write(_csv_text(
                [[_csv_cell(name, row[name]) for name in VIOLATION_COLUMNS]
                 for row in _text_rows(part)]))
        else:
            lines = [json.dumps({name: _json_cell(name, row[name]) for name in VIOLATION_COLUMNS},
                                ensure_ascii=False, separators=(",", ":")) + "\n"
                     for row in _text_rows(part)]
            self._text.write("".join(lines).encode("utf-8"))

    def _write_row_groups(self, part: pa.Table) -> None:
        rule = part.column("rule_id")[0].as_py()
        if rule != self._rule:
            self._flush()
            self._rule, self._rule_rows, self._rule_bytes, self._last_weight = rule, 0, 0, 0
        weights = row_bytes(part)
        starts = row_group_starts(weights, self._rule_rows, self._rule_bytes, self._last_weight)
        self._rule_rows += part.num_rows
        self._rule_bytes += int(weights.sum())
        self._last_weight = int(weights[-1])
        bounds = [*starts.tolist(), part.num_rows]
        if bounds[0] != 0:  # the first rows complete the row group begun by earlier parts
            self._pending.append(part.slice(0, bounds[0]))
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            self._flush()
            self._pending.append(part.slice(lo, hi - lo))

    def _flush(self) -> None:
        """Write the rows waiting for their row group to complete, as one row group."""
        if self._pending and self._parquet is not None:
            group = pa.concat_tables(self._pending).combine_chunks()
            self._parquet.write_table(group, row_group_size=group.num_rows)
        self._pending = []

    def close(self) -> None:
        """Finish the file."""
        if self._parquet is not None:
            self._flush()
            self._parquet.close()
            self._parquet = None
        if self._text is not None:
            self._text.close()
            self._text = None

    def __enter__(self) -> ViolationsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _csv_text(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")
