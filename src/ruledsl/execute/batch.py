"""A claim batch prepared once for every rule: typed columns, natural orders, caches.

Tables arrive as Arrow tables typed per the data contract (see
:mod:`ruledsl.data.load`); hygiene is applied once here.  Columns are
converted to :class:`~ruledsl.execute.vec.Vec` lazily, the first time a rule
reads them, and kept; so is each table's natural order.  Results of
expressions about one row of a table (derived fields such as ``fee.service``
or ``visit.los_days``) are shared by every rule through the evaluator's
:class:`~ruledsl.execute.shared.SharedStore`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ..data.load import HYGIENE_COLUMNS, apply_hygiene
from ..errors import ExecutionError
from ..schema import SCHEMA
from ..schema.arrow import arrow_schema
from ..types import BOOL, DATE, FLOAT, INT, MONEY, STR, TIMESTAMP
from .scalar import normalize_code
from .vec import (
    SortedStrings,
    Vec,
    dictionary_columns,
    encode_beside,
    encode_in_domain,
    encode_shared,
    lexsort_distinct,
)

_EPOCH_DAY = np.datetime64("1970-01-01", "D")


class TableData:
    """One table of the batch, with lazily converted columns."""

    def __init__(self, name: str, table: pa.Table, batch: Batch | None = None) -> None:
        self.batch = batch
        self.name = name
        self.arrow = table
        self.n = table.num_rows
        self.schema = SCHEMA.tables[name]
        self._columns: dict[str, Vec] = {}
        self._order: tuple[np.ndarray, np.ndarray] | None = None
        self._dense: np.ndarray | None = None
        self._sorter: np.ndarray | None = None
        self._distinct: bool | None = None
        """Whether no two rows share their order columns (None: not known)."""

    @functools.cached_property
    def column_names(self) -> frozenset[str]:
        """The columns the table holds (a set, made once: Arrow builds its list of names on
        every call; most of a batch's tables are never read)."""
        return frozenset(self.arrow.column_names)

    def column(self, name: str) -> Vec:
        """The column ``name`` as a :class:`Vec`."""
        vec = self._columns.get(name)
        if vec is None:
            if name not in self.column_names:
                raise ExecutionError(f"column {self.name}.{name} was not loaded "
                                     "(the run's column set is wrong)")
            dtype = self.schema.column(name).dtype  # type: ignore[union-attr]
            if dtype == STR and self.batch is not None:
                vec = self.batch.strings(self.name, name)
            elif self.batch is not None and self.name in self.batch.kb.tables:
                vec = self.batch.kb.column(self.name, name, dtype)
            else:
                vec = to_vec(self.arrow.column(name), dtype)
            self._columns[name] = vec
        return vec

    def dense_order(self) -> tuple[np.ndarray, np.ndarray]:
        """``(dense, complete)``: rows with equal order columns share a dense rank."""
        rank, complete = self.order()
        if self._dense is None and self._distinct:  # (no tie: each row its own rank)
            self._dense = rank
        if self._dense is None:
            sorter = self.natural_sorter()
            same = np.zeros(self.n, dtype=bool)
            for name in self.schema.natural_order:
                vec = self.column(name)
                v, ok = vec.values[sorter], vec.valid_mask()[sorter]
                eq = np.zeros(self.n, dtype=bool)
                eq[1:] = (v[1:] == v[:-1]) & (ok[1:] == ok[:-1])
                same = eq if name == self.schema.natural_order[0] else same & eq
            step = (~same).astype(np.int64)
            if self.n:
                step[0] = 0
            dense_sorted = np.cumsum(step)
            dense = np.empty(self.n, dtype=np.int64)
            dense[sorter] = dense_sorted
            self._dense = dense
        return self._dense, complete

    def order_has_ties(self) -> bool:
        """Whether two rows share a natural-order rank (never when the order ends with a
        key column without duplicates, as in a loaded batch)."""
        dense, _ = self.dense_order()  # (the last row in natural order has the highest rank)
        return bool(self.n) and int(dense[self.natural_sorter()[-1]]) + 1 < self.n

    def natural_sorter(self) -> np.ndarray:
        """The row indexes in natural order (the inverse of :meth:`order`'s rank)."""
        if self._sorter is None:
            self.order()
        assert self._sorter is not None
        return self._sorter

    def order(self) -> tuple[np.ndarray, np.ndarray]:
        """``(rank, complete)``: each row's position in the natural order (nulls last,
        then row index) and whether all its order columns are non-null. A column with no
        null is sorted by its values alone (a 1.7M-line bucket of fee lines: 53 against
        73 ms, with the row indexes in natural order kept for :meth:`natural_sorter`)."""
        if self._order is None:
            keys: list[np.ndarray] = []  # (ties stay in row order: the sort is stable)
            complete = np.ones(self.n, dtype=bool)
            for name in reversed(self.schema.natural_order):
                vec = self.column(name)
                if vec.valid is None or vec.valid.all():
                    keys.append(vec.values)
                    continue
                valid = vec.valid
                complete &= valid
                keys.append(np.where(valid, vec.values, 0))
                keys.append(~valid)
            sorter, self._distinct = lexsort_distinct(keys) if keys else (np.arange(self.n), None)
            rank = np.empty(self.n, dtype=np.int64)
            rank[sorter] = np.arange(self.n)
            self._order, self._sorter = (rank, complete), sorter
        return self._order


def merge_columns(used: Iterable[Mapping[str, Iterable[str]]]) -> dict[str, set[str]]:
    """Table → every column named for it in ``used`` (e.g. each rule's
    :meth:`~ruledsl.check.model.CheckedRule.columns`)."""
    read: dict[str, set[str]] = {}
    for columns in used:
        for table, names in columns.items():
            read.setdefault(table, set()).update(names)
    return read


def columns_to_load(read: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """The columns of each table a run needs, in contract order: those the rules read
    (:meth:`~ruledsl.check.model.CheckedRule.columns`), plus the key and natural-order
    columns (the engine orders rows by them) and the hygiene columns.

    Example:
        >>> columns_to_load({"fee": {"cnt"}})["fee"]
        ('feedetl_sn', 'setl_id', 'fee_ocur_time', 'cnt', 'vali_flag')
    """
    out = {}
    for name, columns in read.items():
        spec = SCHEMA.tables[name]
        wanted = {*columns, *spec.key, *spec.natural_order, *HYGIENE_COLUMNS.get(name, ())}
        out[name] = tuple(c.name for c in spec.columns if c.name in wanted)
    return out


def narrow_columns(tables: Mapping[str, pa.Table], read: Mapping[str, Iterable[str]]
                   ) -> dict[str, pa.Table]:
    """Each table of ``read`` with only the columns ``read`` names and those hygiene reads,
    in their order (no copy); the other tables as they are. Columns no rule reads are then
    never encoded.

    Example:
        >>> t = pa.table({"feedetl_sn": ["F1"], "rxno": ["R1"], "vali_flag": ["1"]})
        >>> narrow_columns({"fee": t}, {"fee": ["feedetl_sn"]})["fee"].column_names
        ['feedetl_sn', 'vali_flag']
    """
    out = dict(tables)
    for name, columns in read.items():
        if name in tables:
            keep = {*columns, *HYGIENE_COLUMNS.get(name, ())}
            out[name] = tables[name].select([c for c in tables[name].column_names if c in keep])
    return out


def to_vec(column: pa.ChunkedArray | pa.Array, dtype: Any) -> Vec:
    """Convert one Arrow column of a contract type to a :class:`Vec`."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if dtype == STR:
        return Vec.from_strings(column)
    valid = np.asarray(column.is_valid()) if column.null_count else None
    if dtype == DATE:
        values = _numbers(column, pa.date32(), 0, valid).astype(np.int64)
    elif dtype == TIMESTAMP:
        values = _numbers(column, pa.timestamp("s"), 0, valid)
    elif dtype in (FLOAT, MONEY):
        values = _numbers(column, pa.float64(), 0.0, valid)
    elif dtype == INT:
        values = _numbers(column, pa.int64(), 0, valid)
    elif dtype == BOOL:
        values = _numbers(column, pa.bool_(), False, valid)
    else:  # pragma: no cover - the contract has no other types
        raise TypeError(dtype)
    return Vec(values, valid, dtype)


def _numbers(column: pa.Array, to: pa.DataType, fill: Any, valid: np.ndarray | None
             ) -> np.ndarray:
    """``column`` cast to ``to``, as numpy: its values buffer read as it is (a date's days,
    a timestamp's seconds), ``fill`` where ``valid`` is False. No Arrow call for what is
    already so: a small batch converts some forty columns per run (the first conversions
    of a visit's 86 columns, 200 visits in a loop, alternating with Arrow's cast and
    ``fill_null``: 1.31-1.41 against 1.42-1.56 ms per visit)."""
    if column.type != to:
        column = column.cast(to)
    layout = _BUFFER_LAYOUT.get(to)
    if layout is None:  # (booleans: one bit each)
        return np.asarray(column.fill_null(fill) if column.null_count else column)
    values = np.frombuffer(column.buffers()[1], dtype=layout, count=len(column),
                           offset=column.offset * layout.itemsize)
    return np.where(valid, values, fill) if valid is not None else values


_BUFFER_LAYOUT = {pa.date32(): np.dtype(np.int32), pa.timestamp("s"): np.dtype(np.int64),
                  pa.float64(): np.dtype(np.float64), pa.int64(): np.dtype(np.int64)}
"""The numpy type a fixed-width Arrow type's values buffer holds."""


BESIDE_CLAIM_ROWS_UP_TO = 4096
BESIDE_KB_UP_TO = 1 << 20
"""A batch with at most ``BESIDE_CLAIM_ROWS_UP_TO`` claim values of a string column name
found in the knowledge base (a visit) encodes them beside the base's own kept encoding
(:func:`~ruledsl.execute.vec.encode_beside`: Python over the visit's distinct values), when
the base has at most ``BESIDE_KB_UP_TO`` distinct values of it (a Python list of them is
kept)."""


class KnowledgeBase:
    """Knowledge-base tables, validated, with their non-string columns converted once.
    One is kept per compiled rulebook and reused while the same tables are passed (a
    事前 service checks each visit against one knowledge base).

    Example:
        >>> from ruledsl.types import INT
        >>> kb = KnowledgeBase({"drug": pa.table({"min_hosp_rank": [2, None]})})
        >>> kb.column("drug", "min_hosp_rank", INT).valid_mask().tolist()
        [True, False]
    """

    def __init__(self, tables: Mapping[str, pa.Table]) -> None:
        self.tables = dict(tables)
        self._columns: dict[tuple[str, str], Vec] = {}
        self._strings: dict[tuple[str, str], tuple[pa.Array, Vec]] = {}
        self._alone: dict[tuple[str, tuple[str, ...]], dict[str, Vec]] = {}
        self._sorted: dict[tuple[str, tuple[str, ...]], SortedStrings] = {}
        self.indexes: dict[Any, Any] = {}
        """Join indexes over its tables that read nothing else (see
        :func:`~ruledsl.execute.join.inner_index`), kept for the next batch."""
        self._code_ranges: dict[str, tuple[tuple[str, str], ...]] | None = None

    def strings(self, table: str, column: str, domain: pa.Array) -> Vec:
        """A string column of ``table`` encoded in ``domain`` (kept for the last domain)."""
        key = (table, column)
        hit = self._strings.get(key)
        if hit is None or hit[0] is not domain:
            hit = self._strings[key] = (domain, encode_in_domain(self.tables[table].column(column),
                                                                 domain))
        return hit[1]

    def code_ranges(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """Each code set's (low, high) bounds, normalised (contract §3); rows with a null
        set, low or high are left out. Worked out once."""
        if self._code_ranges is None:
            ranges: dict[str, list[tuple[str, str]]] = {}
            table = self.tables.get("code_set")
            rows = table.select(["set_id", "code_from", "code_to"]).to_pylist() \
                if table is not None else []
            for row in rows:
                low, high = normalize_code(row["code_from"]), normalize_code(row["code_to"])
                if row["set_id"] is not None and low is not None and high is not None:
                    ranges.setdefault(row["set_id"], []).append((low, high))
            self._code_ranges = {name: tuple(bounds) for name, bounds in ranges.items()}
        return self._code_ranges

    def strings_alone(self, column: str, tables: tuple[str, ...]) -> dict[str, Vec]:
        """The string columns called ``column`` of the knowledge-base ``tables``, encoded
        against the sorted dictionary of their own values (once: a batch whose claims hold
        no value of that name, as for most knowledge-base columns in a 事前 call, reuses it)."""
        key = (column, tables)
        hit = self._alone.get(key)
        if hit is None:
            vecs = encode_shared([self.tables[n].column(column) for n in tables],
                                 is_key_of_all(column, tables))
            for vec in vecs:
                _read_only(vec)
            hit = self._alone[key] = dict(zip(tables, vecs, strict=True))
        return hit

    def alone_dictionary(self, column: str, tables: tuple[str, ...]) -> pa.Array:
        """The sorted dictionary the columns of :meth:`strings_alone` share."""
        return next(iter(self.strings_alone(column, tables).values())).dictionary

    def sorted_strings(self, column: str, tables: tuple[str, ...]) -> SortedStrings:
        """:meth:`alone_dictionary`, also as Python strings (once)."""
        key = (column, tables)
        hit = self._sorted.get(key)
        if hit is None:
            hit = self._sorted[key] = SortedStrings.of(self.alone_dictionary(column, tables))
        return hit

    def column(self, table: str, column: str, dtype: Any) -> Vec:
        """A non-string column of ``table`` as a :class:`Vec` (read-only, shared)."""
        key = (table, column)
        hit = self._columns.get(key)
        if hit is None:
            hit = self._columns[key] = _read_only(to_vec(self.tables[table].column(column), dtype))
        return hit


def _read_only(vec: Vec) -> Vec:
    """``vec``, its arrays made read-only (it is shared by every later batch)."""
    for array in (vec.values, vec.valid):
        if array is not None:
            array.flags.writeable = False
    return vec


@functools.cache
def tables_with_string_column(column: str) -> tuple[str, ...]:
    """The contract tables with a string column called ``column`` (worked out once per name)."""
    return tuple(name for name, spec in SCHEMA.tables.items()
                 if (c := spec.column(column)) is not None and c.dtype == STR)


def is_key_of_all(column: str, tables: Iterable[str]) -> bool:
    """Whether ``column`` is the whole key of each of ``tables`` (its values are distinct:
    they are encoded by sorting rather than hashing)."""
    names = list(tables)
    return bool(names) and all(SCHEMA.tables[n].key == (column,) for n in names)


def encode_string_columns(
    claims: Mapping[str, pa.Table], kb: Mapping[str, pa.Table],
    map_: Callable[[Callable[[str], Any], Sequence[str]], Iterable[Any]] = map,
) -> tuple[dict[str, pa.Table], dict[str, pa.Array]]:
    """Every string column of ``claims`` as a dictionary column over one sorted dictionary
    per column name, holding the values of that name in the claims and the knowledge base
    (:func:`~ruledsl.execute.vec.dictionary_columns`); also the dictionaries by name (the
    ``domains`` of :class:`Batch`). Dropping the cancelled rows, or cutting the tables into
    buckets, then copies integers instead of strings. ``map_`` may run the names on a pool.
    """
    def holding(tables: Mapping[str, pa.Table], column: str) -> list[str]:
        return [n for n in tables_with_string_column(column)
                if n in tables and column in tables[n].column_names]

    names = {c for t in claims.values() for c in t.column_names}
    holders = {c: held for c in sorted(names) if (held := holding(claims, c))}

    def encode(column: str) -> tuple[str, pa.Array, list[pa.Array]]:
        in_kb = holding(kb, column)
        arrays = [claims[n].column(column) for n in holders[column]]
        arrays += [kb[n].column(column) for n in in_kb]
        domain, encoded = dictionary_columns(
            arrays, is_key_of_all(column, [*holders[column], *in_kb]))
        return column, domain, encoded[:len(holders[column])]

    def plain_values(column: str) -> int:  # (a dictionary column hashes its dictionary only)
        return sum(len(claims[n].column(column)) for n in holders[column]
                   if not pa.types.is_dictionary(claims[n].schema.field(column).type))

    domains: dict[str, pa.Array] = {}
    tables = dict(claims)
    # the costliest first, so that a pool's threads end together (10M fee lines, 2 threads,
    # MemorySource.encode_strings with hygiene: 2.84-2.91 s against 3.36-4.33 s in name
    # order, where the visit ids and settlement ids were among the last)
    by_cost = sorted(holders, key=lambda column: (-plain_values(column), column))
    for column, domain, encoded in map_(encode, by_cost):
        domains[column] = domain
        for name, array in zip(holders[column], encoded, strict=True):
            table = tables[name]
            tables[name] = table.set_column(table.column_names.index(column), column, array)
    return tables, domains


class Batch:
    """Claims and knowledge base, hygiene applied, ready for the vectorised engine."""

    def __init__(self, claims: dict[str, pa.Table],
                 kb: Mapping[str, pa.Table] | KnowledgeBase,
                 domains: Mapping[str, pa.Array] | None = None) -> None:
        self.kb = kb if isinstance(kb, KnowledgeBase) else KnowledgeBase(kb)
        self.domains = dict(domains or {})
        """Column name → a sorted dictionary holding every value of the string columns of
        that name (claims and knowledge base), given when the claims were encoded once
        for a whole run (:func:`~ruledsl.execute.vec.dictionary_columns`)."""
        tables, self.hygiene = apply_hygiene(dict(claims))
        tables.update(self.kb.tables)
        self._strings: dict[str, dict[str, Vec]] = {}
        self.tables: dict[str, TableData] = {}
        for name in SCHEMA.tables:
            table = tables.get(name)
            if table is None:
                table = arrow_schema(SCHEMA.tables[name]).empty_table()
            self.tables[name] = TableData(name, table, self)
        self.present = frozenset(n for n in SCHEMA.tables if n in tables)
        self.rows_read = sum(t.n for t in self.tables.values())

    def table(self, name: str) -> TableData:
        """The table ``name``."""
        return self.tables[name]

    def strings(self, table: str, column: str) -> Vec:
        """The string column ``table.column``, encoded against the sorted dictionary shared
        by every string column called ``column``.

        ``fee.psn_no``, ``visit.psn_no`` and ``person.psn_no`` are encoded against
        one dictionary, so joining or comparing them compares integer codes. All the
        columns of one name are encoded together, the first time one of them is read.
        """
        encoded = self._strings.get(column)
        if encoded is None:
            names = [name for name in tables_with_string_column(column)
                     if column in self.tables[name].column_names]
            domain = self.domains.get(column)
            in_kb = tuple(n for n in names if n in self.kb.tables)
            claim_rows = sum(self.tables[n].n for n in names if n not in self.kb.tables)
            if domain is None and in_kb and not claim_rows:
                # no claim value of this name: the knowledge base's own encoding
                alone = self.kb.strings_alone(column, in_kb)
                dictionary = self.kb.alone_dictionary(column, in_kb)
                vecs = [alone[n] if n in alone else
                        Vec(np.zeros(0, dtype=np.int64), None, STR, dictionary) for n in names]
            elif domain is None and in_kb and claim_rows <= BESIDE_CLAIM_ROWS_UP_TO \
                    and len(self.kb.alone_dictionary(column, in_kb)) <= BESIDE_KB_UP_TO:
                # (a visit's few values placed in the knowledge base's kept encoding: a 事前
                # call hashed the 3,525 persons of opsp_reg again for its one person)
                claim_names = [n for n in names if n not in self.kb.tables]
                alone = self.kb.strings_alone(column, in_kb)
                kb_vecs, claim_vecs = encode_beside(
                    self.kb.sorted_strings(column, in_kb), [alone[n] for n in in_kb],
                    [self.tables[n].arrow.column(column) for n in claim_names])
                by_name = dict(zip([*in_kb, *claim_names], [*kb_vecs, *claim_vecs], strict=True))
                vecs = [by_name[n] for n in names]
            elif domain is None:
                vecs = encode_shared([self.tables[n].arrow.column(column)
                                      for n in names], is_key_of_all(column, names))
            else:
                vecs = [self.kb.strings(n, column, domain) if n in self.kb.tables else
                        encode_in_domain(self.tables[n].arrow.column(column), domain)
                        for n in names]
            encoded = self._strings[column] = dict(zip(names, vecs, strict=True))
        return encoded[table]
