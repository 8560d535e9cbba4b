"""Loading claim batches and knowledge bases into Arrow tables.

:func:`load_tables` reads ``<name>.parquet`` or ``<name>.csv`` for every table
of one kind (``claims`` or ``kb``) from a folder and returns tables with exactly
the contract's columns and types (:func:`~ruledsl.schema.arrow.arrow_schema`).
:func:`normalize_table` applies the same validation to an in-memory Arrow table.

Validation never drops a row and never coerces silently: a value that does not
fit its column is a ``D0003`` diagnostic naming the file, the 1-based data row
(and, for CSV, the physical line), the column and the value.  Every problem of
a file is reported at once (the first 50, then ``... and N more``), and all
files are checked before one :class:`~ruledsl.errors.DataError` is raised.
What *is* accepted:

* ``str``: strings; integer columns (codes stored as numbers) and integral
  floats are converted to their decimal text.
* ``date``: ``date32``/``date64``; timestamps whose time part is 00:00:00;
  text ``YYYY-MM-DD`` (or ``YYYY-MM-DD 00:00:00``).
* ``ts``: timestamps of any unit holding whole seconds, without a time zone;
  dates (midnight); text ``YYYY-MM-DD HH:MM:SS``, ``YYYY-MM-DDTHH:MM:SS`` or
  ``YYYY-MM-DD`` (midnight); a fraction of zeros (``.000``) is allowed.
* ``f64``: any number type, decimal numeric text (``-1.5``, ``2e3``); the value
  must be finite.  ``i32``: integers in range, integral floats and text.
* ``bool``: booleans, 1/0, and text ``1``/``0``, ``true``/``false`` (any case),
  ``是``/``否``.

In text, surrounding whitespace is ignored and an empty field is null for
every type except ``str`` (where only the CSV empty field is null).  Nulls are
accepted in every column, keys included; rows whose key is null are not
checked for duplicates.  Columns outside the contract are left out.

The happy path is vectorised (``pyarrow.compute``): bad values are found with
masks (``input is not null and parsed is null``), and only the few bad rows are
visited in Python to build the messages.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..diagnostics import Diagnostic
from ..errors import DataError
from ..schema.arrow import arrow_schema, to_arrow_type
from ..schema.contract import find_table, tables_of_kind
from ..schema.model import Column, Table
from ..types import BOOL, DATE, FLOAT, INT, MONEY, STR, TIMESTAMP, DataType
from .packing import key_spans, pack_keys

__all__ = [
    "MAX_PROBLEMS",
    "HygieneReport",
    "apply_hygiene",
    "hygiene_keeps",
    "load_tables",
    "missing_tables",
    "normalize_table",
    "table_file",
]

MAX_PROBLEMS = 50
"""At most this many problems are reported per file; the rest are counted."""

_FORMATS = ("parquet", "csv")
_CHUNK = 16 << 20
_I32_MIN, _I32_MAX = -(2**31), 2**31 - 1

_EN_TYPE = {
    STR: "str",
    INT: "i32",
    FLOAT: "f64",
    MONEY: "f64",
    BOOL: "bool",
    DATE: "date",
    TIMESTAMP: "ts",
}
_EXPECTED = {
    DATE: "YYYY-MM-DD",
    TIMESTAMP: "YYYY-MM-DD HH:MM:SS",
    BOOL: "1/0, true/false, 是/否",
}

# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def table_file(folder: str | os.PathLike[str], name: str) -> Path | None:
    """The file holding table ``name`` in ``folder`` (``.parquet`` first), or ``None``.

    Example:
        >>> table_file("/nonexistent", "fee") is None
        True
    """
    for ext in _FORMATS:
        path = Path(folder) / f"{name}.{ext}"
        if path.is_file():
            return path
    return None


def missing_tables(folder: str | os.PathLike[str], kind: str) -> tuple[str, ...]:
    """Names of the tables of ``kind`` with neither a ``.parquet`` nor a ``.csv`` file.

    Optional tables are included; check ``TABLES[name].optional``.

    Example:
        >>> missing_tables("/nonexistent", "claims")[:2]
        ('person', 'visit')
    """
    return tuple(t.name for t in tables_of_kind(kind) if table_file(folder, t.name) is None)


def load_tables(
    folder: str | os.PathLike[str],
    kind: str,
    *,
    only: set[str] | None = None,
    strings_as_dictionary: bool = False,
    threads: int = 1,
) -> dict[str, pa.Table]:
    """Read and validate the tables of one kind from ``folder``.

    Args:
        folder: The claims or knowledge-base folder.
        kind: ``claims`` or ``kb``.
        only: Load only these tables (national names or Chinese labels); the
            caller passes the tables its rules need.  ``None`` loads all.
        strings_as_dictionary: Read the string columns that a Parquet file holds
            dictionary-encoded throughout (codes and flags, not ids: see
            :data:`DICTIONARY_BYTES_PER_VALUE`), other than the key, as
            ``dictionary<int32, string>`` columns, the file's own dictionaries: no
            string is copied out of the file, and encoding the column later hashes only
            the dictionaries' values.  For a caller that encodes every string column
            next (:func:`~ruledsl.execute.batch.encode_string_columns`, as ``ruledsl
            run`` on worker threads does).
        threads: Files read at once, the biggest first (Arrow reads each on its own
            threads too): while the fee file is read, the smaller ones are read and
            validated beside it. ``ruledsl run --workers 2`` reads with 2: 10M fee lines,
            2.6-2.8 s against 3.0-3.8 s one file after another (4 alternating pairs on
            the 2-core machine of session 15).

    Returns:
        Table name → Arrow table with the contract's schema, in contract order
        (string columns read as dictionaries typed so; their values are the same).
        A missing optional table is absent from the result.

    Raises:
        DataError: With every problem of every file: a missing required table
            (``D0001``), a missing column (``D0002``), a bad value (``D0003``),
            a duplicate key (``D0004``), an empty (``D0005``) or unreadable
            (``D0006``) file.
    """
    wanted = _select(kind, only)
    folder = Path(folder)
    diagnostics: list[Diagnostic] = []
    result: dict[str, pa.Table] = {}
    if not folder.is_dir():
        required = [t.name for t in wanted if not t.optional]
        if required:
            names = ", ".join(required)
            raise DataError(
                [
                    Diagnostic.error(
                        "D0001",
                        None,
                        zh=f'数据目录 "{folder}" 不存在，无法读取数据表 {names}',
                        en=f'data folder "{folder}" does not exist (needed for tables {names})',
                    )
                ]
            )
        return result
    files: dict[str, Path] = {}
    found: dict[str, Diagnostic] = {}  # (a table whose file is missing or given twice)
    for table in wanted:
        paths = [folder / f"{table.name}.{ext}" for ext in _FORMATS]
        present = [p for p in paths if p.is_file()]
        if not present:
            if not table.optional:
                found[table.name] = _missing_table(folder, table)
        elif len(present) > 1:
            found[table.name] = Diagnostic.error(
                "D0006",
                None,
                zh=f'数据表 "{table.name}" 同时存在 {paths[0].name} 和 {paths[1].name}（目录 '
                f'"{folder}"），无法确定读取哪一个',
                en=f'table "{table.name}" is given twice in "{folder}": both '
                f"{paths[0].name} and {paths[1].name} exist",
                help_zh="请删除或重命名其中一个文件",
                help_en="remove or rename one of the two files",
            )
        else:
            files[table.name] = present[0]
    loaded = _load_files([t for t in wanted if t.name in files], files, strings_as_dictionary,
                         threads)
    for table in wanted:  # (every problem in contract order, however the files were read)
        if table.name in found:
            diagnostics.append(found[table.name])
        elif table.name in loaded:
            got, diags = loaded[table.name]
            diagnostics.extend(diags)
            if got is not None and not diags:
                result[table.name] = got
    if diagnostics:
        raise DataError(diagnostics)
    return result


def normalize_table(
    name: str,
    table: pa.Table | pa.RecordBatch,
    *,
    source: str | None = None,
) -> pa.Table:
    """Validate an in-memory Arrow table as contract table ``name``.

    The same checks and conversions as :func:`load_tables`; messages name
    ``source`` (default: the table name) instead of a file.

    Example:
        >>> t = pa.table({"icd3": ["A00"], "title": ["霍乱"], "extra": [1]})
        >>> normalize_table("icd10", t).column_names
        ['icd3', 'title']
    """
    spec = find_table(name)
    if spec is None:
        raise ValueError(f"unknown table {name!r}")
    return validate_table(spec, table, source=source)


def validate_table(spec: Table, table: pa.Table | pa.RecordBatch, *,
                   source: str | None = None, check_key: bool = True) -> pa.Table:
    """:func:`normalize_table` against a table spec, e.g. the contract table narrowed to
    the columns a run reads (``attrs.evolve(spec, columns=…)``). ``check_key=False``
    skips the duplicate-key check (for a file whose key was checked when it was first
    read)."""
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    src = _Source(source or spec.name)
    out, diags = _validate(spec, table, table.column_names, src, check_key=check_key)
    if diags:
        raise DataError(diags)
    assert out is not None
    return out


@attrs.frozen
class HygieneReport:
    """How many rows :func:`apply_hygiene` dropped."""

    fee_cancelled: int = 0
    """Fee lines with ``vali_flag = '0'``."""
    settlement_cancelled: int = 0
    """Settlements with ``vali_flag = '0'``."""
    fee_of_cancelled_settlement: int = 0
    """Other fee lines whose ``setl_id`` names a cancelled settlement."""

    @property
    def total(self) -> int:
        """All dropped rows."""
        return self.fee_cancelled + self.settlement_cancelled + self.fee_of_cancelled_settlement


HYGIENE_COLUMNS: dict[str, tuple[str, ...]] = {
    "fee": ("vali_flag", "setl_id"),
    "settlement": ("vali_flag", "setl_id"),
}
"""The columns :func:`apply_hygiene` reads, by table."""


def apply_hygiene(
    tables: Mapping[str, pa.Table],
    map_: Callable[..., Iterable[Any]] = map,
) -> tuple[dict[str, pa.Table], HygieneReport]:
    """Drop cancelled records (contract §2, rules §0.1): the rows no rule sees.

    Drops fee lines and settlements with ``vali_flag = '0'`` and fee lines whose
    ``setl_id`` names a settlement with ``vali_flag = '0'``.  A null or any
    other ``vali_flag`` is kept.  Other tables are passed through. ``map_`` (a
    thread pool's ``map``) filters the columns of a table side by side.

    Returns:
        The new tables and a :class:`HygieneReport` of what was dropped.

    Example:
        >>> s = pa.table({"setl_id": ["S1", "S2"], "vali_flag": ["0", "1"]})
        >>> f = pa.table({"setl_id": ["S1", "S2", None], "vali_flag": ["1", "0", None]})
        >>> out, report = apply_hygiene({"settlement": s, "fee": f})
        >>> out["fee"].num_rows, out["settlement"].num_rows, report.total
        (1, 1, 3)
    """
    keep, report = hygiene_keeps(tables)
    out = dict(tables)
    for name, mask in keep.items():
        out[name] = _filter(tables[name], mask, map_)
    return out, report


def hygiene_keeps(tables: Mapping[str, pa.Table]
                  ) -> tuple[dict[str, pa.ChunkedArray], HygieneReport]:
    """What :func:`apply_hygiene` keeps, without copying a table: a mask of the rows kept
    for each table it drops rows from (tables it leaves whole are absent)."""
    keep: dict[str, pa.ChunkedArray] = {}
    n_settle = n_fee = n_via = 0
    cancelled_ids: pa.Array | None = None
    settle = tables.get("settlement")
    if settle is not None:
        cancelled = _is_zero_flag(settle["vali_flag"])
        n_settle = _count_true(cancelled)
        if n_settle:
            cancelled_ids = pc.drop_null(pc.filter(settle["setl_id"], cancelled)).combine_chunks()
            if pa.types.is_dictionary(cancelled_ids.type):  # encoded once for a scaled run
                cancelled_ids = cancelled_ids.dictionary_decode()
            keep["settlement"] = pc.invert(cancelled)
    fee = tables.get("fee")
    if fee is not None:
        own = _is_zero_flag(fee["vali_flag"])
        drop = own
        n_fee = _count_true(own)
        if cancelled_ids is not None and len(cancelled_ids):
            via = _holds_one_of(fee["setl_id"], cancelled_ids)
            n_via = _count_true(pc.and_(via, pc.invert(own)))
            drop = pc.or_(own, via)
        if n_fee or n_via:
            keep["fee"] = pc.invert(drop)
    return keep, HygieneReport(n_fee, n_settle, n_via)


def _filter(table: pa.Table, keep: pa.ChunkedArray | pa.Array,
            map_: Callable[..., Iterable[Any]]) -> pa.Table:
    """``table.filter(keep)``, column by column through ``map_``."""
    if map_ is map:
        return table.filter(keep)
    columns = list(map_(lambda column: pc.filter(column, keep), table.columns))
    return pa.Table.from_arrays(columns, schema=table.schema)


def _holds_one_of(column: pa.ChunkedArray, values: pa.Array) -> pa.ChunkedArray:
    """Whether each value of ``column`` is one of ``values`` (null: False). A dictionary
    column (encoded once for a run) is looked up through its dictionary, one probe per
    distinct value rather than per row: 10M fee lines, 0.58 s against 0.04 s."""
    if not pa.types.is_dictionary(column.type):
        return pc.fill_null(pc.is_in(column, value_set=values), False)
    found: dict[int, tuple[pa.Array, np.ndarray]] = {}
    chunks = []
    for chunk in column.chunks:
        hit = found.get(id(chunk.dictionary))
        if hit is None or hit[0] is not chunk.dictionary:
            member = pc.is_in(chunk.dictionary, value_set=values).fill_null(False)
            hit = found[id(chunk.dictionary)] = (chunk.dictionary, np.append(
                np.asarray(member, dtype=bool), False))  # (the last: a null index)
        indices = chunk.indices
        codes = np.asarray(indices.fill_null(-1) if indices.null_count else indices)
        chunks.append(pa.array(hit[1][codes]))
    return pa.chunked_array(chunks, pa.bool_())


def _is_zero_flag(flag: pa.ChunkedArray) -> pa.ChunkedArray:
    """Whether each flag is ``"0"`` (null: False); through its dictionary when it has one
    (three flags over 10M rows: 0.05 s, against 0.2 s for ``equal``, which decodes them).

    Example:
        >>> plain = pa.chunked_array([["0", "1", None]])
        >>> _is_zero_flag(plain).to_pylist(), _is_zero_flag(
        ...     pa.chunked_array([plain.combine_chunks().dictionary_encode()])).to_pylist()
        ([True, False, False], [True, False, False])
    """
    return _holds_one_of(flag, _ZERO)


_ZERO = pa.array(["0"])


def _count_true(mask: pa.ChunkedArray | pa.Array) -> int:
    return int(pc.sum(mask).as_py() or 0)


def _select(kind: str, only: Iterable[str] | None) -> tuple[Table, ...]:
    tables = tables_of_kind(kind)
    if only is None:
        return tables
    names = set()
    for name in only:
        spec = find_table(name)
        if spec is None or spec.kind != kind:
            raise ValueError(f"{name!r} is not a {kind} table of the data contract")
        names.add(spec.name)
    return tuple(t for t in tables if t.name in names)


def _missing_table(folder: Path, table: Table) -> Diagnostic:
    stems = [f"{table.name}.{ext}" for ext in _FORMATS]
    try:
        files = sorted(p.name for p in folder.iterdir())
    except OSError:
        files = []
    close = [m for s in stems for m in difflib.get_close_matches(s, files, n=1, cutoff=0.8)]
    close += [f for f in files if f.lower() in stems and f not in close]
    help_zh = help_en = None
    if close:
        help_zh = f'是否指 "{close[0]}"？文件名应为 {stems[0]} 或 {stems[1]}'
        help_en = f'did you mean "{close[0]}"? the file must be named {stems[0]} or {stems[1]}'
    return Diagnostic.error(
        "D0001",
        None,
        zh=f'缺少数据表 "{table.name}"（{table.label}）：目录 "{folder}" 中没有 {stems[0]} 或 '
        f"{stems[1]}",
        en=f'missing table "{table.name}": neither {stems[0]} nor {stems[1]} is in "{folder}"',
        help_zh=help_zh,
        help_en=help_en,
    )


# ---------------------------------------------------------------------------
# Where a problem is: files, rows and lines
# ---------------------------------------------------------------------------


class _Source:
    """A data source as messages name it, with CSV row → line mapping."""

    def __init__(self, name: str, line_of: Callable[[int], int | None] | None = None) -> None:
        self.name = name
        self._line_of = line_of

    def where(self, row: int) -> tuple[str, str]:
        """(zh, en) location of 0-based data row ``row``."""
        line = self._line_of(row) if self._line_of else None
        if line is None:
            return f"{self.name} 第 {row + 1} 行", f"{self.name} row {row + 1}"
        return (
            f"{self.name} 第 {row + 1} 行（文件第 {line} 行）",
            f"{self.name} row {row + 1} (line {line})",
        )

    def rows(self, rows: Iterable[int]) -> tuple[str, str]:
        """(zh, en) list of rows, e.g. ``rows 3 and 7``."""
        zh, en = [], []
        for row in rows:
            line = self._line_of(row) if self._line_of else None
            zh.append(f"第 {row + 1} 行" + (f"（文件第 {line} 行）" if line else ""))
            en.append(f"{row + 1}" + (f" (line {line})" if line else ""))
        return "与".join(zh), "rows " + " and ".join(en)


class _CsvLines:
    """Maps 0-based CSV data rows to 1-based physical lines.

    When the file has exactly one line per row plus the header, line = row + 2;
    otherwise (blank lines, newlines inside quoted fields, ``\\r`` line ends)
    the file is re-read with :mod:`csv` once, on the error path only.
    """

    def __init__(self, path: Path, encoding: str, n_lines: int, n_rows: int) -> None:
        self._path = path
        self._encoding = encoding
        self._simple = n_lines == n_rows + 1
        self._starts: list[int] | None = None

    def __call__(self, row: int) -> int | None:
        if self._simple:
            return row + 2
        if self._starts is None:
            try:
                self._starts = self._scan()
            except (csv.Error, OSError, UnicodeError):  # e.g. a field over csv's size limit
                self._starts = []
        return self._starts[row + 1] if row + 1 < len(self._starts) else None

    def _scan(self) -> list[int]:
        starts = []
        with open(self._path, encoding=self._encoding, newline="") as f:
            reader = csv.reader(f)
            last = 0
            for record in reader:
                if record:  # pyarrow skips empty lines
                    starts.append(last + 1)
                last = reader.line_num
        return starts


# ---------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------


@attrs.frozen
class _Problem:
    """One diagnostic with its place in the file's report order."""

    order: tuple[int, int, int]
    diagnostic: Diagnostic


@attrs.frozen
class _Bad:
    """Rows of one column whose values fail one check."""

    column: str
    rows: np.ndarray
    """0-based, ascending."""
    raw: pa.ChunkedArray
    """The column as read, to quote the bad values."""
    zh: str
    """Reason; ``{v}`` is replaced by the quoted value."""
    en: str


class _ColumnError(Exception):
    """A whole column has a type the contract type cannot be read from."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def _quote(value: object) -> str:
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:40] + "…"
        return json.dumps(text, ensure_ascii=False)
    return str(value)


def _bad_values(bad: _Bad, rows: np.ndarray) -> list[str]:
    taken = bad.raw.take(pa.array(rows, pa.int64()))
    if pa.types.is_dictionary(taken.type):
        taken = taken.cast(taken.type.value_type)
    if pa.types.is_string(taken.type) or pa.types.is_large_string(taken.type):
        return [_quote(v) for v in taken.to_pylist()]
    try:
        return [str(v) for v in taken.cast(pa.string()).to_pylist()]
    except pa.ArrowException:
        return [_quote(str(v)) for v in taken.to_pylist()]


def _finish(
    src: _Source,
    problems: list[_Problem],
    bads: list[_Bad],
    columns: Mapping[str, int],
    hidden: int = 0,
) -> list[Diagnostic]:
    """Sort, cap and render a file's problems (``hidden``: further ones, only counted)."""
    total = len(problems) + sum(len(b.rows) for b in bads) + hidden
    items = list(problems)
    for bad in bads:
        first = bad.rows[:MAX_PROBLEMS]
        values = _bad_values(bad, first)
        col_i = columns.get(bad.column, 0)
        for row, value in zip(first.tolist(), values):
            where_zh, where_en = src.where(row)
            diag = Diagnostic.error(
                "D0003",
                None,
                zh=f'{where_zh}，列 "{bad.column}"：' + bad.zh.replace("{v}", value),
                en=f'{where_en}, column "{bad.column}": ' + bad.en.replace("{v}", value),
            )
            items.append(_Problem((1, row, col_i), diag))
    items.sort(key=lambda p: p.order)
    out = [p.diagnostic for p in items[:MAX_PROBLEMS]]
    if total > MAX_PROBLEMS:
        rest = total - MAX_PROBLEMS
        code = items[MAX_PROBLEMS].diagnostic.code if len(items) > MAX_PROBLEMS else "D0004"
        out.append(
            Diagnostic.error(
                code,
                None,
                zh=f"{src.name}：… 另有 {rest} 个问题未列出",
                en=f"{src.name}: ... and {rest} more",
            )
        )
    return out


# ---------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------


def _load_files(tables: list[Table], files: Mapping[str, Path], strings_as_dictionary: bool,
                threads: int) -> dict[str, tuple[pa.Table | None, list[Diagnostic]]]:
    """Each table's file read and validated, ``threads`` files at once, the biggest first."""
    def load(table: Table) -> tuple[pa.Table | None, list[Diagnostic]]:
        return _load_file(table, files[table.name], strings_as_dictionary)

    if threads <= 1 or len(tables) <= 1:
        return {table.name: load(table) for table in tables}
    biggest_first = sorted(tables, key=lambda t: -_file_size(files[t.name]))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ruledsl-read") as pool:
        return dict(zip([t.name for t in biggest_first], pool.map(load, biggest_first),
                        strict=True))


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # (reported by _load_file)


def _load_file(table: Table, path: Path, strings_as_dictionary: bool = False
               ) -> tuple[pa.Table | None, list[Diagnostic]]:
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, [_unreadable(path, str(exc))]
    if size == 0:
        return None, [_empty(path)]
    if path.suffix == ".csv":
        return _load_csv(table, path)
    return _load_parquet(table, path, strings_as_dictionary)


def _empty(path: Path) -> Diagnostic:
    return Diagnostic.error(
        "D0005",
        None,
        zh=f"{path.name}：文件为空（没有表头行）",
        en=f"{path.name}: file is empty (no header row)",
        help_zh=f'文件位于 "{path}"；至少需要一行表头',
        help_en=f'the file is "{path}"; it needs at least a header row',
    )


def _unreadable(path: Path, why: str) -> Diagnostic:
    return Diagnostic.error(
        "D0006",
        None,
        zh=f"{path.name}：无法读取文件：{why}",
        en=f"{path.name}: cannot read the file: {why}",
        help_zh=f'文件位于 "{path}"',
        help_en=f'the file is "{path}"',
    )


def _load_parquet(table: Table, path: Path, strings_as_dictionary: bool = False
                  ) -> tuple[pa.Table | None, list[Diagnostic]]:
    try:
        pf = pq.ParquetFile(path)
        names = pf.schema_arrow.names
        wanted = [c.name for c in table.columns if c.name in names]
        as_dictionary = [name for name in _dictionary_encoded(pf.metadata) if name in wanted
                         and (c := table.column(name)) is not None and c.dtype == STR
                         and name not in table.key] if strings_as_dictionary else []
        if as_dictionary:
            pf = pq.ParquetFile(path, read_dictionary=as_dictionary)
    except (pa.ArrowException, OSError) as exc:
        return None, [_unreadable(path, f"not a valid Parquet file ({exc})")]
    src = _Source(path.name)
    try:
        raw = pf.read(columns=wanted) if wanted else pa.table({})
    except (pa.ArrowException, OSError) as exc:
        return None, [_unreadable(path, f"corrupt Parquet data ({exc})")]
    return _validate(table, raw, names, src, keep_dictionaries=bool(as_dictionary))


DICTIONARY_BYTES_PER_VALUE = 4
"""A Parquet string column of at most this many uncompressed bytes per value is taken to be
dictionary-encoded in the file throughout (a value written plain takes its 4-byte length and
its bytes; an index into a dictionary, a few bits)."""


def _dictionary_encoded(metadata: pq.FileMetaData) -> list[str]:
    """The top-level columns of a Parquet file that its writer dictionary-encoded throughout
    (:data:`DICTIONARY_BYTES_PER_VALUE`): codes such as item codes and flags, not ids."""
    size: dict[str, int] = {}
    values: dict[str, int] = {}
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        for j in range(group.num_columns):
            column = group.column(j)
            name = column.path_in_schema
            if not column.has_dictionary_page:
                size[name] = 1 << 62  # (one plain chunk: not throughout)
            size[name] = size.get(name, 0) + column.total_uncompressed_size
            values[name] = values.get(name, 0) + column.num_values
    return [name for name, n in values.items()
            if n and size[name] <= DICTIONARY_BYTES_PER_VALUE * n and "." not in name]


def _scan_bytes(path: Path) -> tuple[str | None, bool, int, int | None]:
    """One pass over a CSV file: (encoding, has quotes, line count, bad line).

    The encoding is ``utf-8`` when the bytes are valid UTF-8, else ``gb18030``
    when they decode as that, else ``None`` with the first undecodable line.
    """
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    has_quote = False
    newlines = 0
    last = b""
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            if utf8_ok:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
            has_quote = has_quote or b'"' in chunk
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    n_lines = newlines + (0 if last == b"\n" else 1)
    if utf8_ok:
        return "utf-8", has_quote, n_lines, None
    gb = codecs.getincrementaldecoder("gb18030")()
    seen = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            try:
                gb.decode(chunk)
            except UnicodeDecodeError as exc:
                return None, has_quote, n_lines, seen + chunk[: exc.start].count(b"\n") + 1
            seen += chunk.count(b"\n")
        try:
            gb.decode(b"", final=True)
        except UnicodeDecodeError:
            return None, has_quote, n_lines, seen + 1
    return "gb18030", has_quote, n_lines, None


def _gbk_after_bom(path: Path) -> bool:
    """Whether the file is a UTF-8 byte-order mark followed by GB18030 text."""
    data = path.read_bytes()
    if not data.startswith(codecs.BOM_UTF8):
        return False
    try:
        data[3:].decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def _csv_header(path: Path, encoding: str) -> list[str] | None:
    with open(path, encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as f:
        for record in csv.reader(f):
            if record:
                return record
    return None


def _load_csv(table: Table, path: Path) -> tuple[pa.Table | None, list[Diagnostic]]:
    encoding, has_quote, n_lines, bad_line = _scan_bytes(path)
    if encoding is None and _gbk_after_bom(path):
        # a UTF-8 byte-order mark in front of GBK/GB18030 text (some exporters write both):
        # read a UTF-8 copy, report under the original file's name
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / path.name
            copy.write_bytes(path.read_bytes()[3:].decode("gb18030").encode("utf-8"))
            return _load_csv(table, copy)
    if encoding is None:
        return None, [_unreadable(path, f"line {bad_line} is neither UTF-8 nor GB18030 text")]
    try:
        header = _csv_header(path, encoding)
    except (csv.Error, OSError) as exc:
        return None, [_unreadable(path, str(exc))]
    if header is None:
        return None, [_empty(path)]
    wanted = [c.name for c in table.columns if c.name in header]
    invalid: list[tuple[int | None, int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append((row.number, row.expected_columns, row.actual_columns))
        return "skip"

    def read(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                use_threads=threads, encoding="utf8" if encoding == "utf-8" else encoding
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=has_quote, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                include_columns=wanted,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )

    try:
        raw = read(True) if wanted else pa.table({})
        if any(number is None for number, _, _ in invalid):
            invalid.clear()
            raw = read(False)  # only a single-threaded read numbers invalid rows
    except (pa.ArrowException, OSError, UnicodeError) as exc:
        return None, [_unreadable(path, f"not a valid CSV file ({exc})")]
    encoding_py = "utf-8-sig" if encoding == "utf-8" else encoding
    src = _Source(path.name, _CsvLines(path, encoding_py, n_lines, raw.num_rows))
    if invalid:
        return None, _field_count_errors(src, invalid, table, header)
    return _validate(table, raw, header, src)


def _field_count_errors(
    src: _Source,
    invalid: list[tuple[int | None, int, int]],
    table: Table,
    header: list[str],
) -> list[Diagnostic]:
    problems = _missing_columns(table, header, src)
    for number, expected, actual in invalid:
        line = number or 0
        problems.append(
            _Problem(
                (1, line, 0),
                Diagnostic.error(
                    "D0003",
                    None,
                    zh=f"{src.name} 文件第 {line} 行：应有 {expected} 个字段，实际有 {actual} 个",
                    en=f"{src.name} line {line}: expected {expected} fields, found {actual}",
                    help_zh="含逗号或换行的字段必须用英文双引号括起来",
                    help_en="fields containing commas or newlines must be enclosed in double quotes",
                ),
            )
        )
    return _finish(src, problems, [], {})


# ---------------------------------------------------------------------------
# Validation shared by files and in-memory tables
# ---------------------------------------------------------------------------


def _missing_columns(table: Table, names: list[str], src: _Source) -> list[_Problem]:
    problems = []
    lowered = {n.lower(): n for n in names}
    for i, col in enumerate(table.columns):
        count = names.count(col.name)
        if count == 1:
            continue
        if count > 1:
            problems.append(
                _Problem(
                    (0, i, 0),
                    Diagnostic.error(
                        "D0006",
                        None,
                        zh=f'{src.name}：列 "{col.name}" 出现了 {count} 次',
                        en=f'{src.name}: column "{col.name}" appears {count} times',
                    ),
                )
            )
            continue
        help_zh = help_en = None
        if col.label in names:
            help_zh = f'文件中的列 "{col.label}" 应命名为国家接口名 "{col.name}"'
            help_en = f'rename column "{col.label}" to its national name "{col.name}"'
        else:
            close = difflib.get_close_matches(col.name.lower(), list(lowered), n=1, cutoff=0.6)
            if close:
                help_zh = f'是否指 "{lowered[close[0]]}"？'
                help_en = f'did you mean "{lowered[close[0]]}"?'
        problems.append(
            _Problem(
                (0, i, 0),
                Diagnostic.error(
                    "D0002",
                    None,
                    zh=f'{src.name}：缺少列 "{col.name}"（{col.label}）',
                    en=f'{src.name}: missing column "{col.name}"',
                    help_zh=help_zh,
                    help_en=help_en,
                ),
            )
        )
    return problems


def _validate(
    table: Table, raw: pa.Table, names: list[str], src: _Source, *, check_key: bool = True,
    keep_dictionaries: bool = False,
) -> tuple[pa.Table | None, list[Diagnostic]]:
    """Check columns, convert types and check the key of one table. ``keep_dictionaries``:
    string columns given as dictionaries of strings (outside the key) stay so."""
    schema = arrow_schema(table)
    if raw.schema.equals(schema) and all(
            _all_finite(raw.column(c.name)) for c in table.columns if c.dtype in (FLOAT, MONEY)):
        # typed as the contract already (a service's tables, built per call): nothing to
        # convert; only the key is left to check
        if not (check_key and table.key):
            return raw, []
        dups, hidden = _duplicate_keys(table, {c: raw.column(c) for c in table.key}, src)
        if not (dups or hidden):
            return raw, []
    problems = _missing_columns(table, names, src)
    bads: list[_Bad] = []
    arrays: dict[str, pa.ChunkedArray] = {}
    failed: set[str] = set()
    index = {c.name: i for i, c in enumerate(table.columns)}
    for col in table.columns:
        if names.count(col.name) != 1:
            failed.add(col.name)
            continue
        data = raw.column(col.name)
        try:
            converted, col_bads = (data, []) if keep_dictionaries and col.name not in table.key \
                and _dictionary_of_strings(data.type) and col.dtype == STR \
                else _convert(data, col)
        except _ColumnError as err:
            failed.add(col.name)
            problems.append(
                _Problem(
                    (0, index[col.name], 1),
                    Diagnostic.error(
                        "D0003",
                        None,
                        zh=f'{src.name}，列 "{col.name}"：{err.zh}',
                        en=f'{src.name}, column "{col.name}": {err.en}',
                    ),
                )
            )
            continue
        if col_bads:
            failed.add(col.name)
            bads.extend(col_bads)
        arrays[col.name] = converted
    hidden = 0
    if check_key and table.key and not failed.intersection(table.key):
        dups, hidden = _duplicate_keys(table, arrays, src)
        problems.extend(dups)
    if problems or bads or hidden:
        return None, _finish(src, problems, bads, index, hidden)
    return pa.Table.from_arrays([arrays[f.name] for f in schema], schema=pa.schema(
        [f.with_type(arrays[f.name].type) if _dictionary_of_strings(arrays[f.name].type) else f
         for f in schema])), []


def _dictionary_of_strings(t: pa.DataType) -> bool:
    return pa.types.is_dictionary(t) and t.value_type == pa.string()


SORTABLE_KEYS_FROM = 1 << 16
"""Shorter string columns are not worth turning into integers (:func:`sortable_keys`)."""


class IdKeys(NamedTuple):
    """Strings of one byte length as integers (:func:`sortable_keys`)."""

    keys: np.ndarray
    """Each non-null string's varying last bytes, big-endian in an ``uint64``: the strings'
    order."""
    valid: np.ndarray | None
    """Which rows of the column are not null (the rows of :attr:`keys`); None: all."""
    prefix: bytes
    """The bytes every string starts with, before its last 8 (its key)."""
    width: int
    """Every string's byte length."""

    def strings(self, keys: np.ndarray) -> pa.Array:
        """The strings whose keys are ``keys``.

        Example:
            >>> ids = sortable_keys(pa.array(["FY%06d" % i for i in range(70000)]))
            >>> ids.strings(ids.keys[[2, 69999]]).to_pylist()
            ['FY000002', 'FY069999']
        """
        start = len(self.prefix)
        data = np.empty((len(keys), self.width), dtype=np.uint8)
        data[:, :start] = np.frombuffer(self.prefix, dtype=np.uint8)
        tails = keys.astype(">u8").view(np.uint8).reshape(len(keys), 8)
        data[:, start:] = tails[:, :self.width - start]
        offsets = np.arange(len(keys) + 1, dtype=np.int32) * np.int32(self.width)
        return pa.StringArray.from_buffers(len(keys), pa.py_buffer(offsets),
                                           pa.py_buffer(data.reshape(-1)))

    def narrowed(self) -> NarrowKeys:
        """:attr:`keys` narrowed to the bits that vary (:class:`NarrowKeys`)."""
        return NarrowKeys.of(self.keys)


_MASK64 = (1 << 64) - 1
_NIBBLES = 0x0F0F0F0F0F0F0F0F
_COMPACT = ((4, 0x00FF00FF00FF00FF), (8, 0x0000FFFF0000FFFF), (16, 0x00000000FFFFFFFF))
"""Shifts (right) and masks that pack 8 nibbles (one per byte) into the low 32 bits, in
order; :data:`_SPREAD` undoes them."""
_SPREAD = ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF), (4, _NIBBLES))
"""Shifts (left) and masks that spread 32 bits back to one nibble per byte."""
_DECIMAL = ((8, 0x00FF00FF00FF00FF, 10), (16, 0x0000FFFF0000FFFF, 100),
            (32, 0x00000000FFFFFFFF, 10_000))
"""Shifts, masks and scales that read 8 decimal digits (one per byte, the first the most
significant) as their number: pairs of digits, then of pairs, then of those."""

_FOUR_DIGITS = sum((np.arange(10_000, dtype=np.uint64) // np.uint64(10 ** k) % np.uint64(10))
                   << np.uint64(8 * k) for k in range(4))
"""The digits of each number below 10,000, one per byte, the last in the lowest."""


class NarrowKeys(NamedTuple):
    """Integer keys (:attr:`IdKeys.keys`) in fewer bits, with the same order and equality,
    when only the low nibble of each byte varies between keys (ids numbered in decimal):
    the number their varying digits spell, when those are all digits (``V00001234`` →
    1234: consecutive ids are consecutive integers, encoded through a presence table),
    else the 8 low nibbles packed into 32 bits (they sort packed with their row
    positions: :func:`~ruledsl.execute.vec.factorize_integers`); otherwise the keys as
    they are. :meth:`widen` gives the keys back.

    Example:
        >>> keys = sortable_keys(pa.array(["V%017d" % i for i in (90, 7, 1234) * 22000]))
        >>> narrow = keys.narrowed()
        >>> narrow.values[:3].tolist(), narrow.kind
        ([90, 7, 1234], 'decimal')
        >>> bool((narrow.widen(narrow.values) == keys.keys).all())
        True
    """

    values: np.ndarray
    """The narrowed keys (``uint64``; under 2**32 unless :attr:`kind` is ``as is``)."""
    fixed: int
    """The bits left out (those of every key)."""
    kind: str
    """``decimal``, ``nibbles`` or ``as is``."""

    @classmethod
    def of(cls, keys: np.ndarray) -> NarrowKeys:
        if not len(keys):
            return cls(keys, 0, "as is")
        # (bits set in some key and clear in another: two passes, no copy)
        varying = int(np.bitwise_or.reduce(keys)) & ~int(np.bitwise_and.reduce(keys))
        if varying & ~_NIBBLES:
            return cls(keys, 0, "as is")
        # the low nibbles of the bytes that vary; the rest is the same in every key
        kept = _NIBBLES & sum(0xFF << at for at in range(0, 64, 8) if varying >> at & 0xFF)
        fixed = int(keys[0]) & ~kept & _MASK64
        values = keys & np.uint64(kept)
        scratch = np.empty_like(values)  # (in place: fresh memory is slow to get)
        np.add(values, np.uint64(0x0606060606060606), out=scratch)  # (a nibble over 9 carries)
        scratch &= np.uint64(0x1010101010101010)
        if not scratch.any():
            for shift, mask, scale in _DECIMAL:
                np.right_shift(values, np.uint64(shift), out=scratch)
                scratch &= np.uint64(mask)
                scratch *= np.uint64(scale)
                values &= np.uint64(mask)
                values += scratch
            return cls(values, fixed, "decimal")
        for shift, mask in _COMPACT:
            np.right_shift(values, np.uint64(shift), out=scratch)
            values |= scratch
            values &= np.uint64(mask)
        return cls(values, fixed, "nibbles")

    def widen(self, values: np.ndarray) -> np.ndarray:
        """The keys of narrowed ``values``."""
        if self.kind == "as is":
            return values
        keys = np.zeros(len(values), dtype=np.uint64)
        if self.kind == "decimal":  # (4 digits at a time, from a table)
            high, low = np.divmod(values.astype(np.uint64), np.uint64(10_000))
            np.left_shift(_FOUR_DIGITS[high], np.uint64(32), out=keys)
            keys |= _FOUR_DIGITS[low]
        else:
            keys[:] = values
            for shift, mask in _SPREAD:
                keys |= keys << np.uint64(shift)
                keys &= np.uint64(mask)
        keys |= np.uint64(self.fixed)
        return keys


def sortable_keys(column: pa.Array | pa.ChunkedArray) -> IdKeys | None:
    """The strings of ``column`` as unsigned integers in the same order, equal where the
    strings are equal, when the non-null ones all have one byte length (a null none), they
    differ only in their last 8 bytes (national ids: a prefix, then digits) and there are
    at least :data:`SORTABLE_KEYS_FROM` rows; else None. Integers sort many times faster
    than strings: 10M shuffled fee-line ids (18 bytes) in 0.8 s to build and 0.13 s to
    sort, against 6.1 s for Arrow to sort the strings and 4.7 s to hash them.

    Example:
        >>> ids = sortable_keys(pa.array(["ID-%06d" % i for i in range(70000)][::-1] + [None]))
        >>> bool((ids.keys[1:] < ids.keys[:-1]).all()), ids.prefix, ids.width, len(ids.keys)
        (True, b'I', 9, 70000)
    """
    chunks = [c for c in (column.chunks if isinstance(column, pa.ChunkedArray) else [column])
              if len(c)]
    n = sum(len(c) for c in chunks)
    if not n or n < SORTABLE_KEYS_FROM or any(c.type != pa.string() for c in chunks):
        return None
    has_null = any(c.null_count for c in chunks)
    parts, valids, width = [], [], -1  # (parts: each chunk's data buffer, offset, rows)
    for chunk in chunks:
        offsets = np.frombuffer(chunk.buffers()[1], np.int32, len(chunk) + 1, chunk.offset * 4)
        lengths = np.diff(offsets)
        if has_null:
            valid = np.asarray(chunk.is_valid()) if chunk.null_count \
                else np.ones(len(chunk), dtype=bool)
            if lengths[~valid].any():  # (a null over bytes: the valid ones are not packed)
                return None
            lengths = lengths[valid]
            valids.append(valid)
        if not len(lengths):
            continue
        width = int(lengths[0]) if width < 0 else width
        if width == 0 or not (lengths == width).all():
            return None
        parts.append((chunk.buffers()[2], int(offsets[0]), len(lengths)))
    if not parts:
        return None
    buffer, offset, _ = parts[0]
    first = np.frombuffer(buffer, np.uint8, width, offset)
    start = max(width - 8, 0)  # (the last 8 bytes are the key; all before must be alike)
    keys = []
    for buffer, offset, rows in parts:
        if width < 8:
            padded = np.zeros((rows, 8), dtype=np.uint8)
            padded[:, :width] = np.frombuffer(buffer, np.uint8, rows * width, offset) \
                .reshape(rows, width)
            keys.append(padded.view(">u8").ravel().astype(np.uint64))
            continue
        if start < 8:  # (a short prefix: compared byte by byte)
            alike = bool((np.frombuffer(buffer, np.uint8, rows * width, offset)
                          .reshape(rows, width)[:, :start] == first[:start]).all())
        else:  # (8 bytes at a time, the last word overlapping the one before)
            alike = all((_row_words(buffer, offset, rows, width, at)
                         == first[at:at + 8].view(">u8")[0]).all()
                        for at in sorted({*range(0, start - 7, 8), start - 8}))
        if not alike:
            return None
        keys.append(_row_words(buffer, offset, rows, width, start).astype(np.uint64))
    # (big-endian: integer order is byte order, which is code-point order for UTF-8)
    keys = keys[0] if len(keys) == 1 else np.concatenate(keys)
    return IdKeys(keys, np.concatenate(valids) if has_null else None, first[:start].tobytes(),
                  width)


def _row_words(buffer: Any, offset: int, rows: int, width: int, at: int) -> np.ndarray:
    """The 8 bytes at ``at`` of each of ``rows`` rows of ``width`` bytes (from ``offset`` in
    ``buffer``), as big-endian integers: a strided view, no copy."""
    return np.ndarray((rows,), dtype=">u8", buffer=buffer, offset=offset + at, strides=(width,))


INCREASING_SAMPLE = 1 << 12
""":func:`strictly_increasing` looks at this many first rows before all of them."""


def strictly_increasing(*columns: pa.Array | pa.ChunkedArray) -> bool:
    """Whether the rows have no null and each is greater than the one before, comparing
    ``columns`` in turn (sorted and distinct), checked in one pass; e.g. sequential fee-line
    ids, or diagnoses in (visit, rank) order, as extracts often have them.

    Example:
        >>> strictly_increasing(pa.array(["a", "b"])), strictly_increasing(pa.array(["b", "b"]))
        (True, False)
        >>> strictly_increasing(pa.array(["a", "a", "b"]), pa.array([1, 2, 1]))
        True
    """
    n = len(columns[0])
    if any(column.null_count for column in columns):
        return False
    if n < 2:
        return True
    if n <= 64:  # a visit's tables: Python compares a few rows faster than Arrow calls do
        rows = list(zip(*(column.to_pylist() for column in columns), strict=True))
        return all(a < b for a, b in zip(rows, rows[1:]))  # (tuples: column by column)
    if n > INCREASING_SAMPLE and not strictly_increasing(
            *(column.slice(0, INCREASING_SAMPLE) for column in columns)):
        return False  # (rows in no order: told by their first rows, not a pass over all)
    increasing = tied = None  # over each pair of consecutive rows
    for column in columns:
        before, after = column.slice(0, n - 1), column.slice(1)
        less, equal = pc.less(before, after), pc.equal(before, after)
        if increasing is None:
            increasing, tied = less, equal
        else:
            increasing = pc.or_(increasing, pc.and_(tied, less))
            tied = pc.and_(tied, equal)
    return bool(pc.all(increasing).as_py())


def _packed_keys(cols: list[pa.ChunkedArray]) -> np.ndarray | None:
    """Each row's values of several key columns packed into one ``int64``, equal where the
    values are (rows with a null left out), when each column holds integers or ids
    (:func:`sortable_keys`, narrowed) and their spans fit in 63 bits together
    (:mod:`~ruledsl.data.packing`); else None.
    Diagnoses in no order (visit id, rank) are then sorted as integers: 2.7M of them
    (10M fee lines shuffled) validated in 0.10 s, against 0.43-1.64 s grouped by Arrow."""
    n = len(cols[0])
    fields, valid = [], np.ones(n, dtype=bool)  # (each column's values, 0 where null)
    for col in cols:
        if pa.types.is_integer(col.type):
            if col.null_count:
                valid &= np.asarray(col.is_valid())
                col = col.fill_null(0)
            fields.append(np.asarray(col).astype(np.int64))
            continue
        ids = sortable_keys(col)
        if ids is None:
            return None
        values = ids.narrowed().values
        if ids.valid is not None:
            valid &= ids.valid
            at_rows = np.zeros(n, dtype=np.uint64)
            at_rows[ids.valid] = values
            values = at_rows
        fields.append(values)
    fields = [values[valid] for values in fields]
    spans = key_spans(fields)
    if spans is None:
        return None
    return pack_keys(fields, spans, 0, np.zeros(int(valid.sum()), dtype=np.int64))


def _duplicate_keys(
    table: Table, arrays: Mapping[str, pa.ChunkedArray], src: _Source
) -> tuple[list[_Problem], int]:
    """Duplicate keys: the first :data:`MAX_PROBLEMS` by row, and how many more."""
    keys = list(table.key)
    cols = [arrays[k] for k in keys]
    n = len(cols[0])
    if n < 2:
        return [], 0
    if strictly_increasing(*cols):  # sequential ids: one comparison pass, no hashing
        return [], 0
    if len(keys) == 1:
        col = cols[0]
        ids = sortable_keys(col)
        if ids is not None:  # (ids in no order: sorted as integers, neighbours compared)
            ordered = np.sort(ids.keys)
            if not (ordered[1:] == ordered[:-1]).any():
                return [], 0
        else:
            # unique() hashes much faster than count_distinct() on 10M distinct strings
            distinct = len(pc.unique(col)) - (1 if col.null_count else 0)
            if distinct == n - col.null_count:
                return [], 0
    else:
        packed = _packed_keys(cols)
        if packed is not None:  # (sorted as integers, neighbours compared)
            packed.sort()
            if not (packed[1:] == packed[:-1]).any():
                return [], 0
    valid = pc.is_valid(cols[0])
    for c in cols[1:]:
        valid = pc.and_(valid, pc.is_valid(c))
    keyed = pa.table(cols + [pa.array(np.arange(n, dtype=np.int64))], names=keys + ["__row"])
    keyed = keyed.filter(valid)
    m = keyed.num_rows
    if m < 2 or len(keys) > 1 and keyed.group_by(keys).aggregate([]).num_rows == m:
        return [], 0
    # Error path: sort by key (stable, so each run keeps row order) and find runs.
    order = pc.sort_indices(keyed, sort_keys=[(k, "ascending") for k in keys])
    keyed = keyed.take(order).combine_chunks()
    same = np.ones(m - 1, dtype=bool)
    for k in keys:
        col = keyed.column(k)
        same &= pc.equal(col.slice(1), col.slice(0, m - 1)).to_numpy(zero_copy_only=False)
    rows = keyed.column("__row").to_numpy()
    starts = np.flatnonzero(same & np.concatenate(([True], ~same[:-1])))
    starts = starts[np.argsort(rows[starts], kind="stable")]
    problems = []
    for start in starts[:MAX_PROBLEMS].tolist():
        run_end = start + 1 + int(np.argmin(np.append(same[start:], False)))
        count = run_end - start
        first, second = int(rows[start]), int(rows[start + 1])
        values = [keyed.column(k)[start].as_py() for k in keys]
        shown = ", ".join(_quote(v) for v in values)
        if len(keys) == 1:
            key_text = f"{keys[0]} = {shown}"
        else:
            key_text = f"({', '.join(keys)}) = ({shown})"
        where_zh, where_en = src.rows([first, second])
        more_zh = f"（共 {count} 行）" if count > 2 else ""
        more_en = f" ({count} rows in all)" if count > 2 else ""
        problems.append(
            _Problem(
                (2, first, 0),
                Diagnostic.error(
                    "D0004",
                    None,
                    zh=f"{src.name}：主键重复 {key_text}：{where_zh}{more_zh}",
                    en=f"{src.name}: duplicate key {key_text} in {where_en}{more_en}",
                ),
            )
        )
    return problems, max(0, len(starts) - MAX_PROBLEMS)


# ---------------------------------------------------------------------------
# Type conversion
# ---------------------------------------------------------------------------

_FLOAT_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_INT_RE = r"^[+-]?\d{1,18}(\.0*)?$"
_TS_RE = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}:\d{2}(\.\d+)?)?$"
_FRACTION_RE = r"\.\d*[1-9]\d*$"
_TRUE = pa.array(["1", "true", "是"])
_FALSE = pa.array(["0", "false", "否"])


def _convert(raw: pa.ChunkedArray, col: Column) -> tuple[pa.ChunkedArray, list[_Bad]]:
    """Convert one column to its contract type, listing the values that do not fit."""
    data = raw
    t = data.type
    if pa.types.is_dictionary(t):
        data = data.cast(t.value_type)
        t = data.type
    if pa.types.is_large_string(t) or str(t) == "string_view":
        data = data.cast(pa.string())
    elif pa.types.is_binary(t) or pa.types.is_large_binary(t) or str(t) == "binary_view":
        try:
            data = data.cast(pa.string())
        except pa.ArrowInvalid:
            raise _ColumnError(
                f"二进制列 ({t}) 不是有效的 UTF-8 文本", f"binary column ({t}) is not valid UTF-8"
            ) from None
    if pa.types.is_null(data.type):
        return pa.chunked_array([pa.nulls(len(data), to_arrow_type(col.dtype))]), []
    conv = _CONVERTERS.get(col.dtype)
    if conv is None:
        raise TypeError(f"column {col.name} has no loadable type ({col.dtype})")
    return conv(_Ctx(col, raw), data)


@attrs.frozen
class _Ctx:
    col: Column
    raw: pa.ChunkedArray

    def bad(self, mask: pa.ChunkedArray | pa.Array, zh: str, en: str) -> list[_Bad]:
        """The rows where ``mask`` is true (none → ``[]``)."""
        if not _count_true(mask):
            return []
        rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
        return [_Bad(self.col.name, rows, self.raw, zh, en)]

    def unparsable(self, mask: pa.ChunkedArray | pa.Array) -> list[_Bad]:
        dt = self.col.dtype
        exp = _EXPECTED.get(dt)
        zh = f"无法解析为{dt.label}：{{v}}" + (f"（应为 {exp}）" if exp else "")
        en = f"cannot parse {{v}} as {_EN_TYPE[dt]}" + (f" (expected {exp})" if exp else "")
        return self.bad(mask, zh, en)

    def wrong_type(self, data: pa.ChunkedArray) -> _ColumnError:
        dt = self.col.dtype
        return _ColumnError(
            f"{data.type} 类型的列无法读取为{dt.label}（{_EN_TYPE[dt]}）",
            f"a column of type {data.type} cannot be read as {_EN_TYPE[dt]}",
        )


def _lost(before: pa.ChunkedArray, after: pa.ChunkedArray) -> pa.ChunkedArray:
    """Input not null and output null: the values that failed to parse."""
    return pc.and_(pc.is_valid(before), pc.is_null(after))


def _text(data: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trimmed text, with empty strings as null."""
    s = pc.utf8_trim_whitespace(data)
    return pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)


def _where(mask: pa.ChunkedArray, data: pa.ChunkedArray) -> pa.ChunkedArray:
    """``data`` where ``mask`` is true, else null."""
    return pc.if_else(mask, data, pa.scalar(None, data.type))


def _to_str(ctx: _Ctx, data: pa.ChunkedArray) -> tuple[pa.ChunkedArray, list[_Bad]]:
    t = data.type
    if pa.types.is_string(t):
        return data, []
    if pa.types.is_integer(t) or (pa.types.is_decimal(t) and t.scale == 0):
        return data.cast(pa.string()), []
    if pa.types.is_floating(t):
        f = data.cast(pa.float64(), safe=False)
        ok = pc.and_(pc.is_finite(f), pc.equal(pc.floor(f), f))
        bad = pc.and_(pc.is_valid(f), pc.invert(ok))
        ints = _where(ok, f).cast(pa.int64(), safe=False)
        out = ints.cast(pa.string())
        return out, ctx.bad(bad, "编码不是整数：{v}", "code {v} is not a whole number")
    raise ctx.wrong_type(data)


def _to_float(ctx: _Ctx, data: pa.ChunkedArray) -> tuple[pa.ChunkedArray, list[_Bad]]:
    t = data.type
    bads: list[_Bad] = []
    if pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t):
        out = data if t == pa.float64() else data.cast(pa.float64(), safe=False)
        if not pa.types.is_floating(t) or _all_finite(out):
            return out, bads  # (a small batch, as one visit's, validates with fewer Arrow calls)
    elif pa.types.is_string(t):
        text = _text(data)
        try:
            out = text.cast(pa.float64())
        except pa.ArrowInvalid:
            ok = pc.match_substring_regex(text, _FLOAT_RE)
            out = _cast_each(_where(ok, text), pa.float64())
            bads += ctx.unparsable(_lost(text, out))
    else:
        raise ctx.wrong_type(data)
    nonfinite = pc.and_(pc.is_valid(out), pc.invert(pc.is_finite(out)))
    bads += ctx.bad(nonfinite, "不是有限数值：{v}", "{v} is not a finite number")
    return out, bads


def _all_finite(values: pa.ChunkedArray) -> bool:
    """Whether every non-null value of a ``float64`` column is finite."""
    return all(bool(np.isfinite(np.asarray(c.fill_null(0.0) if c.null_count else c)).all())
               for c in values.chunks)


def _cast_each(data: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    """Cast ``data``; on failure, cast value by value (error path), failures → null."""
    try:
        return data.cast(target)
    except pa.ArrowInvalid:
        values = []
        for v in data.to_pylist():
            try:
                values.append(pa.scalar(v, pa.string()).cast(target).as_py() if v else None)
            except pa.ArrowInvalid:
                values.append(None)
        return pa.chunked_array([pa.array(values, target)])


def _to_int(ctx: _Ctx, data: pa.ChunkedArray) -> tuple[pa.ChunkedArray, list[_Bad]]:
    t = data.type
    bads: list[_Bad] = []
    if pa.types.is_integer(t):
        wide = data
    elif pa.types.is_floating(t) or pa.types.is_decimal(t):
        f = data.cast(pa.float64(), safe=False)
        ok = pc.and_(pc.is_finite(f), pc.equal(pc.floor(f), f))
        ok = pc.and_(ok, pc.less(pc.abs(f), 2.0**62))
        bads += ctx.bad(
            pc.and_(pc.is_valid(f), pc.invert(ok)), "不是整数：{v}", "{v} is not an integer"
        )
        wide = _where(ok, f).cast(pa.int64(), safe=False)
    elif pa.types.is_string(t):
        text = _text(data)
        ok = pc.match_substring_regex(text, _INT_RE)
        digits = pc.replace_substring_regex(_where(ok, text), r"^\+|\.0*$", "")
        wide = digits.cast(pa.int64())
        bads += ctx.unparsable(_lost(text, wide))
    else:
        raise ctx.wrong_type(data)
    if t != pa.int32():
        wide = wide.cast(pa.int64())
        in_range = pc.and_(pc.greater_equal(wide, _I32_MIN), pc.less_equal(wide, _I32_MAX))
        out_of_range = pc.invert(pc.fill_null(in_range, True))
        bads += ctx.bad(out_of_range, "超出 i32 整数范围：{v}", "{v} is out of range for i32")
        wide = _where(pc.fill_null(in_range, False), wide).cast(pa.int32())
    return wide, bads


def _to_bool(ctx: _Ctx, data: pa.ChunkedArray) -> tuple[pa.ChunkedArray, list[_Bad]]:
    t = data.type
    if pa.types.is_boolean(t):
        return data, []
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        num = data.cast(pa.float64(), safe=False)
        is_true, is_false = pc.equal(num, 1.0), pc.equal(num, 0.0)
    elif pa.types.is_string(t):
        text = pc.utf8_lower(_text(data))
        is_true, is_false = pc.is_in(text, value_set=_TRUE), pc.is_in(text, value_set=_FALSE)
        num = text
    else:
        raise ctx.wrong_type(data)
    ok = pc.or_(is_true, is_false)
    out = _where(ok, is_true)
    return out, ctx.unparsable(_lost(num, out))


def _ts_from_text(ctx: _Ctx, data: pa.ChunkedArray) -> tuple[pa.ChunkedArray, list[_Bad]]:
    """Parse text as ``ts`` (second precision); also the first step for ``date``."""
    text = _text(data)
    shaped = pc.match_substring_regex(text, _TS_RE)
    fraction = pc.and_(shaped, pc.match_substring_regex(text, _FRACTION_RE))
    ok = pc.and_(shaped, pc.invert(fraction))
    cleaned = pc.replace_substring_regex(_where(ok, text), r"\.0+$", "")
    try:
        out = cleaned.cast(pa.timestamp("s"))
    except pa.ArrowInvalid:
        out = _ts_lenient(cleaned)
    bads = ctx.bad(fraction, "时间含有不足一秒的部分：{v}", "timestamp {v} has fractional seconds")
    return out, bads + ctx.unparsable(pc.and_(_lost(text, out), pc.invert(fraction)))


def _ts_lenient(cleaned: pa.ChunkedArray) -> pa.ChunkedArray:
    """Error path: parse each well-shaped value, nulling calendar-invalid ones."""
    norm = pc.replace_substring_regex(cleaned, r"^(\d{4}-\d{2}-\d{2})T", r"\1 ")
    short = pc.equal(pc.utf8_length(norm), 10)
    norm = pc.if_else(short, pc.binary_join_element_wise(norm, " 00:00:00", ""), norm)
    parsed = pc.strptime(norm, "%Y-%m-%d %H:%M:%S", "s", error_is_null=True)
    same = pc.fill_null(pc.equal(parsed.cast(pa.string()), norm), False)
    return _where(same, parsed)


def _to_ts(ctx: _Ctx, data: pa.ChunkedArray) -> tuple[pa.ChunkedArray, list[_Bad]]:
    t = data.type
    if pa.types.is_timestamp(t):
        if t.tz is not None:
            raise _ColumnError(
                f"时间带有时区 ({t.tz})；数据约定要求不带时区的本地时间",
                f"timestamps have a time zone ({t.tz}); the contract needs local time "
                "without a zone",
            )
        try:
            return data.cast(pa.timestamp("s")), []
        except pa.ArrowInvalid:
            secs = data.cast(pa.timestamp("s"), safe=False)
            frac = pc.not_equal(secs.cast(t), data)
            bads = ctx.bad(
                frac, "时间含有不足一秒的部分：{v}", "timestamp {v} has fractional seconds"
            )
            return secs, bads
    if pa.types.is_date(t):
        days, bads = _to_date(ctx, data)
        return days.cast(pa.timestamp("s")), bads
    if pa.types.is_string(t):
        return _ts_from_text(ctx, data)
    raise ctx.wrong_type(data)


def _to_date(ctx: _Ctx, data: pa.ChunkedArray) -> tuple[pa.ChunkedArray, list[_Bad]]:
    t = data.type
    bads: list[_Bad] = []
    if pa.types.is_date32(t):
        return data, []
    if pa.types.is_date64(t) or pa.types.is_timestamp(t):
        if pa.types.is_timestamp(t) and t.tz is not None:
            raise _ColumnError(
                f"时间带有时区 ({t.tz})；日期列应为 date 类型",
                f"timestamps have a time zone ({t.tz}); a date column needs dates",
            )
        stamps = data
    elif pa.types.is_string(t):
        stamps, bads = _ts_from_text(ctx, data)
    else:
        raise ctx.wrong_type(data)
    days = stamps.cast(pa.date32(), safe=False)
    timed = pc.fill_null(pc.not_equal(days.cast(stamps.type), stamps), False)
    bads += ctx.bad(timed, "日期含有时间部分：{v}（应为 00:00:00）", "date {v} has a time of day")
    return days, bads


_Converter = Callable[[_Ctx, pa.ChunkedArray], tuple[pa.ChunkedArray, list[_Bad]]]
_CONVERTERS: dict[DataType, _Converter] = {
    STR: _to_str,
    INT: _to_int,
    FLOAT: _to_float,
    MONEY: _to_float,
    BOOL: _to_bool,
    DATE: _to_date,
    TIMESTAMP: _to_ts,
}
