"""Splitting a claim batch into buckets, in memory and as a partitioned Parquet dataset.

A scheme (:mod:`ruledsl.scale.partition`) links key values: every non-null
value of a linked namespace is a *node* (its 64-bit FNV-1a hash, salted by the
namespace), and so is "null" of a null-linked namespace.  Each row joins the
nodes of its linked columns; the buckets are the connected components of
that graph (union-find, vectorised with numpy), and a component goes to
bucket ``mix(smallest node hash) mod K``.  So the split of linked rows depends
only on the data, never on row order or chunking; rows sharing a linked key value
are in one bucket whatever the data's consistency; and with consistent data a person
bucket holds exactly its persons' rows.  A row with no linked value at all is
on its own (it relates to no other row) and is spread by its position.  Rows keep their
relative order inside a bucket (stable), which keeps row-index tie-breaks of
natural orders as in the whole batch.

Hygiene (cancelled settlements and fee lines, contract §2) is applied to the
whole batch *before* splitting: the doctor partitioning does not keep a fee
line with its settlement.

The dataset written by :func:`write_dataset` (``ruledsl partition``)::

    DATASET/_ruledsl_dataset.json              manifest: buckets, schemes, row and byte counts
    DATASET/<table>/bucket=<k>/part-0.parquet  the person partitioning (every claim table)
    DATASET/by=institution/<table>/bucket=<k>/part-0.parquet   optional further partitionings
    DATASET/by=doctor/<table>/bucket=<k>/part-0.parquet

Empty buckets have no file.  Tables are streamed from Parquet in row groups
(three passes: key values, links, write), so memory is bounded by the number of
distinct keys (persons, visits, settlements), not by the number of fee lines.
Key columns are read as the loader reads ``str`` columns; the other values are
written as they are and validated when a bucket is read (the messages name the
bucket file).  CSV tables are loaded whole (convert big CSV files to Parquet
first).

Example:
    >>> import pyarrow as pa
    >>> from ruledsl.data.build import make_table
    >>> from ruledsl.scale.partition import PERSON
    >>> claims = {"visit": make_table("visit", {"mdtrt_id": ["V1", "V2", "V3"],
    ...                                         "psn_no": ["P1", "P2", "P1"]}),
    ...           "fee": make_table("fee", {"feedetl_sn": ["F1", "F2"], "mdtrt_id": ["V3", "V2"],
    ...                                     "psn_no": ["P1", "P2"]})}
    >>> a = assign(claims, PERSON, 8)
    >>> bool(a["visit"][0] == a["visit"][2] == a["fee"][0]), bool(a["visit"][1] == a["fee"][1])
    (True, True)
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..data.load import load_tables, strictly_increasing, table_file, validate_table
from ..diagnostics.model import Diagnostic
from ..errors import DataError, RuleDslError
from ..execute.vec import distinct, lexsort, memory_key, non_decreasing, search_sorted
from ..schema import SCHEMA
from ..schema.arrow import arrow_schema
from .partition import CLAIMS, PERSON, SCHEMES, Scheme, linked_by_any

__all__ = [
    "MANIFEST",
    "Buckets",
    "Dataset",
    "assign",
    "hash_distinct",
    "is_dataset",
    "write_dataset",
]

MANIFEST = "_ruledsl_dataset.json"
"""The manifest file of a partitioned dataset."""
FORMAT = "ruledsl-partitioned/1"

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = np.uint64(0x100000001B3)
_MASK64 = (1 << 64) - 1


# ------------------------------------------------------------------ hashing --
def _fnv_bytes(data: bytes, h: int = _FNV_OFFSET) -> int:
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & _MASK64
    return h


def _salt(namespace: str) -> int:
    return _fnv_bytes(namespace.encode() + b"\x00")


def null_node(namespace: str) -> np.uint64:
    """The node of "null" in a null-linked namespace."""
    return np.uint64(_fnv_bytes(b"\x00null\x00" + namespace.encode()))


def _fnv_array(strings: pa.Array, seed: int) -> np.ndarray:
    """FNV-1a (64 bit) of each string of a null-free ``string`` array, from ``seed``."""
    n = len(strings)
    out = np.full(n, seed, dtype=np.uint64)
    if n == 0:
        return out
    bufs = strings.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[strings.offset:strings.offset + n + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(1, np.uint8)
    starts = offsets[:-1].astype(np.int64)
    lens = np.diff(offsets)
    width = int(lens[0])
    if width and bool((lens == width).all()):
        # ids of one length (visit, settlement, person ids): the bytes as an n × width
        # matrix, hashed a column at a time with no gather (2M visit ids: 0.29 -> 0.07 s)
        first = int(offsets[0])
        matrix = data[first:first + n * width].reshape(n, width)
        for j in range(width):
            out ^= matrix[:, j]
            out *= _FNV_PRIME
        return out
    rows = np.arange(n)
    j = 0
    while rows.size:
        rows = rows[lens[rows] > j]
        if not rows.size:
            break
        out[rows] = (out[rows] ^ data[starts[rows] + j].astype(np.uint64)) * _FNV_PRIME
        j += 1
    return out


def mix64(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the bits before taking a bucket modulo."""
    h = h.astype(np.uint64, copy=True)
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


@attrs.frozen
class HashedColumn:
    """A key column hashed through its distinct values (``dictionary_encode``): each distinct
    value is hashed once, and each row points at its value."""

    distinct: np.ndarray
    """The salted hash of each distinct value."""
    codes: np.ndarray
    """Each row's index into :attr:`distinct` (0 where null; an integer type, read only)."""
    valid: np.ndarray
    """Whether each row has a value."""
    unique: bool = False
    """Whether :attr:`distinct` hashes distinct values (``dictionary_encode``'s, or a given
    dictionary sorted without repeats, as the run's encoding makes them), so that its
    hashes are nodes as they are (see :meth:`Linker.number`)."""


def hash_distinct(values: pa.Array | pa.ChunkedArray, namespace: str,
                  dictionary_hashes: dict[Any, tuple[pa.Array, np.ndarray, bool]] | None = None,
                  ) -> HashedColumn:
    """A key column's :class:`HashedColumn`, salted by ``namespace``.

    A dictionary column (string values) is hashed through its dictionary as it is (values
    absent from the column only add nodes no row links to); ``dictionary_hashes`` shares
    those hashes between columns over one dictionary.

    Example:
        >>> h = hash_distinct(pa.array(["A", None, "A"]), "psn_no")
        >>> len(h.distinct), h.codes.tolist(), h.valid.tolist()
        (1, [0, 0, 0], [True, False, True])
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if not pa.types.is_dictionary(values.type) and values.type != pa.string():
        values = values.cast(pa.string())
    if len(values) == 0:
        return HashedColumn(np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, bool))
    given = pa.types.is_dictionary(values.type)
    encoded = values if given else pc.dictionary_encode(values)
    indices = encoded.indices
    # (the indices as they are, int32: widening 17M visit ids' codes cost more than using them)
    valid = np.asarray(indices.is_valid()) if indices.null_count \
        else np.ones(len(indices), dtype=bool)
    codes = np.asarray(indices.fill_null(0) if indices.null_count else indices)
    dictionary = encoded.dictionary
    if dictionary.type != pa.string():
        dictionary = dictionary.cast(pa.string())
    if dictionary_hashes is None:
        return HashedColumn(_fnv_array(dictionary, _salt(namespace)), codes, valid,
                            not given or strictly_increasing(dictionary))
    # the entry keeps the dictionary alive, so its buffer address cannot be reused
    key = (namespace, memory_key(dictionary))
    hit = dictionary_hashes.get(key)
    if hit is None:
        hit = dictionary_hashes[key] = (dictionary, _fnv_array(dictionary, _salt(namespace)),
                                        not given or strictly_increasing(dictionary))
    return HashedColumn(hit[1], codes, valid, hit[2])


# ------------------------------------------------------------- components --
class Linker:
    """Union-find over the key values (nodes) of one scheme, fed chunk by chunk.

    Use: :meth:`add_nodes` for every chunk, :meth:`freeze`, :meth:`link` for
    every chunk (node numbers from :meth:`ids`), then :meth:`finish` and :attr:`node_bucket`.
    """

    def __init__(self, remember: bool = False) -> None:
        self.remember = remember
        """Remember each array of hashes (for a batch in memory; not chunk by chunk)."""
        self._pending: list[np.ndarray] = []
        self._pending_size = 0
        self.nodes = np.zeros(0, np.uint64)
        self.parent: np.ndarray | None = None
        self.node_bucket: np.ndarray | None = None
        self._seen: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
        """id → (hash array, its node numbers once looked up): tables whose key column
        shares one dictionary share one array of distinct hashes (kept, so its id stays its
        own)."""
        self._null_ids: dict[str, int] = {}
        """Namespace → the node number of its null, when numbered by :meth:`number`."""
        self._starts: dict[int, tuple[np.ndarray, int]] = {}
        """id → (hash array, the node number of its first hash), when :meth:`number`
        numbered it as a range."""

    def add_nodes(self, hashes: np.ndarray) -> None:
        """Remember these node hashes."""
        if not len(hashes) or id(hashes) in self._seen:
            return
        if self.remember:
            self._seen[id(hashes)] = (hashes, None)
        u = distinct(hashes)
        self._pending.append(u)
        self._pending_size += len(u)
        if self._pending_size > max(4_000_000, len(self.nodes)):
            self._merge()

    def _merge(self) -> None:
        if self._pending:
            self.nodes = distinct(np.concatenate([self.nodes, *self._pending]))
            self._pending, self._pending_size = [], 0

    def freeze(self) -> None:
        """No more nodes: number them."""
        self._merge()
        self.parent = np.arange(len(self.nodes), dtype=np.int64)

    def number(self, namespaces: Mapping[str, tuple[np.ndarray, bool]]) -> None:
        """Instead of :meth:`add_nodes` and :meth:`freeze` (with ``remember``): the nodes
        are each namespace's one array of hashes of distinct values (and its null node when
        it is linked and present), numbered as they stand, one array after another, with
        no sort and no look-up. Only when no two arrays hold one value: a namespace's
        columns all hash one dictionary (:func:`_one_array_per_namespace`)."""
        assert self.remember and not len(self.nodes) and not self._pending
        arrays, total = [], 0
        for namespace, (hashes, null) in namespaces.items():
            self._starts[id(hashes)] = (hashes, total)
            arrays.append(hashes)
            total += len(hashes)
            if null:
                self._null_ids[namespace] = total
                arrays.append(np.array([null_node(namespace)], np.uint64))
                total += 1
        self.nodes = np.concatenate(arrays) if arrays else np.zeros(0, np.uint64)
        self.parent = np.arange(total, dtype=np.int64)

    def null_id(self, namespace: str) -> int:
        """The node number of ``namespace``'s null."""
        hit = self._null_ids.get(namespace)
        if hit is not None:
            return hit
        return int(self.ids(np.array([null_node(namespace)], np.uint64))[0])

    def ids(self, hashes: np.ndarray) -> np.ndarray:
        """The node numbers of node hashes (all must have been added); looked up once per
        array of hashes."""
        start = self._start(hashes)
        if start is not None:
            return np.arange(start, start + len(hashes))
        seen = self._seen.get(id(hashes))
        if seen is not None and seen[0] is hashes and seen[1] is not None:
            return seen[1]
        ids = search_sorted(self.nodes, hashes)
        assert len(ids) == 0 or (ids.max() < len(self.nodes)
                                 and bool((self.nodes[ids] == hashes).all()))
        if seen is not None and seen[0] is hashes:
            self._seen[id(hashes)] = (hashes, ids)
        return ids

    def node_numbers(self, hashes: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """The node numbers of ``hashes[codes]`` (a :class:`HashedColumn`'s distinct hashes
        and codes; 0 when there is no hash): each code plus where the hashes start when
        :meth:`number` numbered them as a range (10M fee lines in no order, the three
        partitionings: 0.17 against 0.49 s to look each code up, line_profiler), else
        looked up."""
        if not len(hashes):
            return np.zeros(len(codes), np.int64)
        start = self._start(hashes)
        if start is None:
            return self.ids(hashes)[codes]
        numbers = codes.astype(np.int64)
        numbers += start
        return numbers

    def _start(self, hashes: np.ndarray) -> int | None:
        """The node number of the first of ``hashes`` when :meth:`number` numbered them."""
        hit = self._starts.get(id(hashes))
        return hit[1] if hit is not None and hit[0] is hashes else None

    def _find(self, ids: np.ndarray) -> np.ndarray:
        parent = self.parent
        assert parent is not None
        r = parent[ids]
        while True:
            rr = parent[r]
            if np.array_equal(rr, r):
                return r
            r = rr

    def _compress(self) -> None:
        parent = self.parent
        assert parent is not None
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                return
            parent[:] = grand

    def link(self, a: np.ndarray, b: np.ndarray) -> None:
        """Join the components of node numbers ``a[i]`` and ``b[i]``."""
        if not len(a):
            return
        assert self.parent is not None
        ia, ib = _distinct_pairs(a, b, len(self.nodes))
        while True:
            ra, rb = self._find(ia), self._find(ib)
            differ = ra != rb
            if not differ.any():
                return
            if not differ.all():  # (on the first round, usually none is joined yet)
                ia, ib, ra, rb = ia[differ], ib[differ], ra[differ], rb[differ]
            np.minimum.at(self.parent, np.maximum(ra, rb), np.minimum(ra, rb))
            self._compress()

    def finish(self, k: int) -> None:
        """Give each component its bucket: ``mix(smallest node hash) mod k``."""
        assert self.parent is not None
        self._compress()
        roots = self.parent
        rep = np.full(len(self.nodes), np.iinfo(np.uint64).max, dtype=np.uint64)
        np.minimum.at(rep, roots, self.nodes)
        self.node_bucket = (mix64(rep[roots]) % np.uint64(k)).astype(np.int32)
        self.parent = None


def _changes(*columns: np.ndarray) -> np.ndarray:
    """Whether each row differs from the one before in any of ``columns`` (the first row
    does)."""
    new = np.zeros(len(columns[0]), bool)
    new[:1] = True
    for column in columns:
        new[1:] |= column[1:] != column[:-1]
    return new


def _distinct_pairs(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs of node numbers below ``n``, or the pairs as they are when a
    sample shows them seldom repeated (:func:`_seldom_repeated`: the union-find takes
    repeats too; 2M distinct pairs, warm: linked in 0.09 s as they are, 0.15 s sorted
    first). Many pairs over few nodes go through :func:`_pairs_by_owner`, others are
    sorted (:func:`_sorted_distinct_pairs`)."""
    if _seldom_repeated(a, b, n):
        return a, b
    if 0 < n <= OWNER_TABLE_PER_PAIR * len(a):
        return _pairs_by_owner(a, b, n)
    return _sorted_distinct_pairs(a, b, n)


OWNER_TABLE_PER_PAIR = 4
"""Pairs are found distinct through a table of one entry per node
(:func:`_pairs_by_owner`) when the nodes are at most this many per pair."""


def _pairs_by_owner(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs, when ``b`` mostly determines ``a`` (a fee line's visit, its
    person): each ``b`` node keeps one ``a`` (its *owner*, written for every pair), and
    only the pairs whose ``a`` is not their ``b``'s owner are sorted out as well. Two
    passes over the pairs and none is sorted (10M fee lines in no order, the three
    partitionings: 0.44 against 1.2 s sorted, line_profiler)."""
    owner = np.full(n, -1, np.int64)
    owner[b] = a
    odd = owner[b] != a
    owned = np.flatnonzero(owner >= 0)
    if not odd.any():
        return owner[owned], owned
    more_a, more_b = _sorted_distinct_pairs(a[odd], b[odd], n)
    return np.concatenate([owner[owned], more_a]), np.concatenate([owned, more_b])


def _sorted_distinct_pairs(a: np.ndarray, b: np.ndarray, n: int
                           ) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs of node numbers below ``n``, sorted (one integer sort when they
    fit). A run of equal pairs (the lines of one visit, stored together) is cut to one
    first."""
    new = _changes(a, b)
    if not new.all():
        a, b = a[new], b[new]
    if n and n < 1 << 31:
        pairs = distinct(a * n + b)
        return pairs // n, pairs % n
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    keep = np.ones(len(a), bool)
    keep[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[keep], b[keep]


RUNS_SAMPLE = 1 << 12
"""Rows whose runs tell whether a table's rows come in runs at all (:meth:`TableKeys.runs`)."""
REPEATS_SAMPLE = 1 << 16
"""Pairs sampled (evenly spaced) to tell whether sorting out their repeats pays."""


def _seldom_repeated(a: np.ndarray, b: np.ndarray, n: int) -> bool:
    """Whether under 1% of an evenly spaced sample of the pairs (node numbers below ``n``)
    repeat another of the sample; small arrays are sorted anyway. (10M fee lines in no
    order, ~5 per visit: 1.7% of the sample repeat, and linking them sorted first took 0.39
    against 1.29 s; 2M distinct pairs: none repeats.)"""
    if len(a) <= 4 * REPEATS_SAMPLE or not 0 < n < 1 << 31:
        return False
    at = np.linspace(0, len(a) - 1, REPEATS_SAMPLE).astype(np.int64)
    return len(distinct(a[at] * n + b[at])) > 0.99 * REPEATS_SAMPLE


class TableKeys:
    """The hashed key columns of one table (or chunk), computed once for every scheme;
    schemes split side by side on threads share them (a column is hashed by one thread)."""

    def __init__(self, name: str, table: pa.Table,
                 dictionary_hashes: dict[Any, tuple[pa.Array, np.ndarray, bool]] | None = None) -> None:
        self.name, self.table = name, table
        self.dictionary_hashes = dictionary_hashes if dictionary_hashes is not None else {}
        """Hashes of dictionaries, shared by the tables split together."""
        self._cache: dict[tuple[str, str], HashedColumn] = {}
        self._runs_of: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        self._lock = threading.Lock()
        self._locks: dict[tuple[str, str], threading.Lock] = {}

    def hashed(self, column: str, namespace: str) -> HashedColumn:
        """``column`` hashed in ``namespace``."""
        key = (column, namespace)
        hit = self._cache.get(key)
        if hit is None:
            with self._lock:
                lock = self._locks.setdefault(key, threading.Lock())
            with lock:
                hit = self._cache.get(key)
                if hit is None:
                    hit = self._cache[key] = hash_distinct(
                        key_strings(self.table.column(column)), namespace,
                        self.dictionary_hashes)
        return hit

    def node_hashes(self, scheme: Scheme) -> Iterator[np.ndarray]:
        """The node hashes of each linked column: its distinct values (and the null node
        when its nulls are linked and it has one)."""
        for column, ns, nulls in scheme.columns(self.name):
            hashed = self.hashed(column, ns)
            yield hashed.distinct
            if nulls and not hashed.valid.all():
                yield np.array([null_node(ns)], np.uint64)

    def runs(self, scheme: Scheme) -> tuple[np.ndarray, np.ndarray] | None:
        """``(first row, length)`` of each run of consecutive rows alike in every column
        ``scheme`` links (the lines of one visit are usually stored together), or None
        when runs would not save work. Rows alike link alike and fall in one bucket."""
        if scheme.name not in self._runs_of:
            self._runs_of[scheme.name] = self._runs(scheme)
        return self._runs_of[scheme.name]

    def _runs(self, scheme: Scheme) -> tuple[np.ndarray, np.ndarray] | None:
        n = self.table.num_rows
        columns = [self.hashed(c, ns) for c, ns, _ in scheme.columns(self.name)]
        if n < 2 or not columns:
            return None
        arrays = [array for hashed in columns for array in (hashed.codes, hashed.valid)]
        head = _changes(*(array[:RUNS_SAMPLE] for array in arrays))
        if np.count_nonzero(head) > len(head) // 2:  # (rows in no order)
            return None
        starts = np.flatnonzero(_changes(*arrays))
        if len(starts) > n // 2:
            return None
        return starts, np.diff(np.append(starts, n))

    def node_ids(self, linker: Linker, scheme: Scheme
                 ) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray, np.ndarray]:
        """Per linked column ``(node numbers, present)``; each row's first node; whether it
        has one; per run of alike rows (:meth:`runs`) when there are runs. Only the
        distinct values are looked up in the linker's nodes."""
        cols = []
        runs = self.runs(scheme)
        n = self.table.num_rows if runs is None else len(runs[0])
        first = np.zeros(n, np.int64)
        has = np.zeros(n, bool)
        for column, ns, nulls in scheme.columns(self.name):
            hashed = self.hashed(column, ns)
            valid, codes = hashed.valid, hashed.codes
            if runs is not None:
                valid, codes = valid[runs[0]], codes[runs[0]]
            ids = linker.node_numbers(hashed.distinct, codes)
            if nulls:
                if not valid.all():
                    null_id = linker.null_id(ns)
                    ids = np.where(valid, ids, null_id)
                valid = np.ones(n, bool)
            cols.append((ids, valid))
            np.copyto(first, ids, where=valid & ~has)
            has |= valid
        return cols, first, has


def key_strings(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A key column as text, converted as the loader converts ``str`` columns.

    Strings as they are; integers and integral floats as decimal text.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    t = column.type
    if pa.types.is_dictionary(t) and pa.types.is_string(t.value_type):
        return column  # hashed through its dictionary (see hash_distinct)
    if pa.types.is_dictionary(t):
        column, t = column.cast(t.value_type), t.value_type
    if pa.types.is_string(t):
        return column
    if pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t) \
            or str(t) in ("string_view", "binary_view") or pa.types.is_integer(t) \
            or pa.types.is_null(t):
        return column.cast(pa.string())
    if pa.types.is_floating(t):
        return column.cast(pa.int64(), safe=False).cast(pa.string())
    raise DataError([Diagnostic.error(
        "D0003", None, zh=f"键列类型 {t} 无法读取为文本", en=f"a key column of type {t} is not text")])


def _lone_bucket(rows: np.ndarray, k: int) -> np.ndarray:
    """Buckets of rows with no linked value: spread by row position (such a row shares
    nothing with any other, so any bucket will do; hashing their keys cost more than the
    rest of a doctor split)."""
    return (mix64(rows.astype(np.uint64)) % np.uint64(k)).astype(np.int32)


def _one_array_per_namespace(keys: Mapping[str, TableKeys], scheme: Scheme
                             ) -> dict[str, tuple[np.ndarray, bool]] | None:
    """Per namespace, its one array of node hashes and whether its null is a node, when
    every linked column of the namespace is hashed through one dictionary of distinct
    values (a batch whose strings were encoded once for the run); else None.

    The nodes are then those arrays as they stand (:meth:`Linker.number`), not sorted
    together and looked up in one another (10M lines: the person split 1.2 against 2.2 s)."""
    out: dict[str, tuple[np.ndarray, bool]] = {}
    for one in keys.values():
        for column, ns, nulls in scheme.columns(one.name):
            hashed = one.hashed(column, ns)
            hashes, null = out.get(ns, (_NO_HASHES, False))
            if len(hashed.distinct):  # (an empty or all-null column adds no value node)
                if not hashed.unique or (hashes is not _NO_HASHES and hashes is not hashed.distinct):
                    return None
                hashes = hashed.distinct
            out[ns] = (hashes, null or (nulls and not bool(hashed.valid.all())))
    return out


_NO_HASHES = np.zeros(0, np.uint64)


def _feed_nodes(linker: Linker, keys: TableKeys, scheme: Scheme) -> None:
    for hashes in keys.node_hashes(scheme):
        linker.add_nodes(hashes)


def _feed_links(linker: Linker, keys: TableKeys, scheme: Scheme
                ) -> tuple[np.ndarray, np.ndarray]:
    """Link each row's nodes; return each row's first node and whether it has one (for
    :func:`_buckets_of`, which would otherwise look every row's nodes up again)."""
    cols, first, has = keys.node_ids(linker, scheme)
    for ids, present in cols:
        m = present & has & (ids != first)
        if m.any():
            linker.link(first[m], ids[m])
    return first, has


def _buckets_of(linker: Linker, keys: TableKeys, scheme: Scheme, k: int,
                found: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Each row's bucket; ``found``: each row's first node and whether it has one, as
    :func:`_feed_links` returned them (else looked up again)."""
    first, has = found if found is not None else keys.node_ids(linker, scheme)[1:]
    assert linker.node_bucket is not None
    # (a row with no node has first node 0: its bucket is set below)
    out = linker.node_bucket[first] if len(linker.node_bucket) else np.zeros(len(first), np.int32)
    runs = keys.runs(scheme)
    if runs is not None:
        out, has = np.repeat(out, runs[1]), np.repeat(has, runs[1])
    lone = np.flatnonzero(~has)
    if len(lone):
        out[lone] = _lone_bucket(lone, k)
    return out


def table_keys(claims: Mapping[str, pa.Table]) -> dict[str, TableKeys]:
    """Key hashes of every table of ``claims``, to share between schemes (computed lazily)."""
    shared: dict[Any, tuple[pa.Array, np.ndarray, bool]] = {}
    return {name: TableKeys(name, table, shared) for name, table in claims.items()}


def assign(claims: Mapping[str, pa.Table], scheme: Scheme, k: int,
           shared: Mapping[str, TableKeys] | None = None) -> dict[str, np.ndarray]:
    """The bucket (``0 … k-1``) of every row of the partitioned tables of ``claims``;
    ``shared``: key hashes shared with other schemes (see :func:`table_keys`)."""
    linker = Linker(remember=True)
    shared = shared if shared is not None else table_keys(
        {n: claims[n] for n in scheme.partitioned if n in claims})
    keys = {n: shared[n] for n in scheme.partitioned if n in claims}
    namespaces = _one_array_per_namespace(keys, scheme)
    if namespaces is not None:
        linker.number(namespaces)
    else:
        for one in keys.values():
            _feed_nodes(linker, one, scheme)
        linker.freeze()
    firsts = {name: _feed_links(linker, one, scheme) for name, one in keys.items()}
    linker.finish(k)
    return {name: _buckets_of(linker, one, scheme, k, firsts[name])
            for name, one in keys.items()}


class Buckets:
    """An in-memory claim batch split by one scheme; buckets are cut on demand.

    Args:
        claims: Normalised claim tables, hygiene applied, or before hygiene with ``kept``.
        scheme: The partitioning.
        k: Number of buckets.
        shared: Key hashes shared with the other partitionings (:func:`table_keys`, of
            ``linked`` when given).
        kept: Per table, the rows of ``claims`` hygiene keeps (increasing; tables it
            leaves whole are absent): the other rows are in no bucket, so that hygiene
            copies no column (:func:`kept_rows`).
        linked: The tables the split reads (default ``claims``): with ``kept``, the
            linked columns at the kept rows (:func:`linked_columns`).
        by_visit: Table name → :func:`visit_order` of it, worked out already (it is the
            same for every partitioning); default: worked out here.
    """

    def __init__(self, claims: Mapping[str, pa.Table], scheme: Scheme, k: int,
                 shared: Mapping[str, TableKeys] | None = None,
                 kept: Mapping[str, np.ndarray] | None = None,
                 linked: Mapping[str, pa.Table] | None = None,
                 by_visit: Callable[[str], np.ndarray | None] | None = None) -> None:
        self.claims = dict(claims)
        self.scheme = scheme
        self.k = k
        self.kept = dict(kept or {})
        self._layout: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        source = linked if linked is not None else claims
        for name, bucket in assign(source, scheme, k, shared).items():
            rows_by_visit = by_visit(name) if by_visit is not None \
                else visit_order(self.claims, source, name)
            order, offsets = _layout(bucket, k, rows_by_visit)
            rows = self.kept.get(name)
            self._layout[name] = (order if rows is None else rows[order], offsets)

    def rows(self, k: int, tables: Iterable[str]) -> int:
        """Rows of bucket ``k`` in the partitioned tables among ``tables``."""
        return sum(int(o[k + 1] - o[k]) for n, (_, o) in self._layout.items() if n in tables)

    def bucket(self, k: int, tables: Iterable[str],
               columns: Mapping[str, Sequence[str]] | None = None) -> dict[str, pa.Table]:
        """Bucket ``k``: its rows of the partitioned tables, the replicated tables whole
        (only ``columns[table]`` when given)."""
        out = {}
        for name in tables:
            if name not in self.claims:
                continue
            table = self.claims[name]
            if columns is not None and name in columns:
                table = table.select(list(columns[name]))
            layout = self._layout.get(name)
            if layout is None:
                out[name] = kept_rows(table, self.kept.get(name))
            else:
                order, offsets = layout
                idx = order[offsets[k]:offsets[k + 1]]
                out[name] = table.take(pa.array(idx, pa.int64()))
        return out


def _layout(bucket: np.ndarray, k: int, by_visit: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """The rows ordered by bucket (in row order within one) and where each bucket starts:
    a radix sort of the bucket numbers (10M rows, 4 buckets: 0.07 s, against 0.1 s and an
    int64 copy packed for :func:`~ruledsl.execute.vec.lexsort`). With ``by_visit`` (the
    rows in visit order, :func:`visit_order`), a bucket's rows are in that order: the rows
    of one visit together. The visit order is the same for every partitioning, so it is
    sorted once and each partitioning only sorts it by bucket, stably (10M shuffled fee
    lines: 0.73 s once, then 0.52 s per partitioning, against 1.35 s per partitioning for
    a sort by bucket and visit)."""
    small = bucket.astype(np.uint16) if k <= 1 << 16 else bucket
    if by_visit is not None:
        order = by_visit[np.argsort(small[by_visit], kind="stable")]
    else:
        order = np.argsort(small, kind="stable")
    offsets = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(np.bincount(small, minlength=k), out=offsets[1:])
    return order, offsets


GROUPED_BY_VISIT = ("fee", "visit", "settlement")
"""Tables whose rows a bucket orders by visit when they come in no order
(:func:`_visit_codes`): their natural orders end with their keys, so that a rule never sees
their row order. Every look-up of a line's visit then reads neighbouring rows: 10M fee
lines shuffled, the 11 rules Polars is compared on, 2 threads over 6 buckets: the rules took
13.6-14.0 s (summed over the jobs) against 20.2 s, as with lines in visit order (13.3-14.6
s); wall 16.7-17.1 against 18.5 s."""


def visit_order(claims: Mapping[str, pa.Table], linked: Mapping[str, pa.Table], name: str
                ) -> np.ndarray | None:
    """The rows of ``linked`` table ``name`` ordered by visit (then by row), when they may be
    put in visit order (:func:`_visit_codes`) and are not in it already; else None."""
    visits = _visit_codes(claims, linked, name)
    if visits is None or non_decreasing(visits):
        return None
    return lexsort([visits])


def _visit_codes(claims: Mapping[str, pa.Table], linked: Mapping[str, pa.Table], name: str
                 ) -> np.ndarray | None:
    """The visit codes (``mdtrt_id`` dictionary indices, null -1) of the rows of ``linked``
    table ``name``, when its rows may be put in visit order (:data:`GROUPED_BY_VISIT`, its key
    has no null in ``claims``, its visit ids are dictionary encoded); else None."""
    table, spec = linked.get(name), SCHEMA.tables[name]
    if name not in GROUPED_BY_VISIT or table is None or "mdtrt_id" not in table.column_names:
        return None
    whole = claims.get(name)
    if whole is None or any(c not in whole.column_names or whole.column(c).null_count
                            for c in spec.key):
        return None
    column = table.column("mdtrt_id")
    if not pa.types.is_dictionary(column.type) or \
            len({memory_key(c.dictionary) for c in column.chunks}) > 1:
        return None  # (codes of different dictionaries do not compare)
    chunks = [c.indices for c in column.chunks]
    indices = pa.chunked_array(chunks, chunks[0].type if chunks else pa.int32()) \
        .combine_chunks()
    codes = np.asarray(indices.fill_null(-1) if indices.null_count else indices)
    return codes.astype(np.int64, copy=False)


def kept_rows(table: pa.Table, rows: np.ndarray | None) -> pa.Table:
    """``table`` at ``rows`` (increasing), or whole when ``rows`` is None."""
    return table if rows is None else table.take(pa.array(rows, pa.int64()))


def linked_columns(claims: Mapping[str, pa.Table], kept: Mapping[str, np.ndarray],
                   map_: Callable[..., Iterable[Any]] = map) -> dict[str, pa.Table]:
    """What a split of ``claims`` reads, at the rows hygiene keeps (``kept``): the
    columns any partitioning links of a table with dropped rows (integer codes once
    the strings are encoded), the other tables as they are. ``map_`` may take the
    columns on a pool."""
    out = dict(claims)
    names = [name for name in kept if name in claims]
    linked = {name: [c for c in claims[name].column_names if c in linked_by_any(name)]
              for name in names}
    cut = [(name, column) for name in names for column in linked[name]]

    def take(item: tuple[str, str]) -> pa.ChunkedArray:
        name, column = item
        return claims[name].column(column).take(pa.array(kept[name], pa.int64()))

    taken = dict(zip(cut, map_(take, cut), strict=True))
    for name in names:
        schema = claims[name].select(linked[name]).schema
        out[name] = pa.Table.from_arrays([taken[name, c] for c in linked[name]], schema=schema) \
            if linked[name] else kept_rows(claims[name].select([]), kept[name])
    return out


# ----------------------------------------------------------------- dataset --
def is_dataset(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a dataset written by ``ruledsl partition``."""
    return (Path(path) / MANIFEST).is_file()


def _scheme_dir(root: Path, scheme: str) -> Path:
    return root if scheme == "person" else root / f"by={scheme}"


def bucket_file(root: Path, scheme: str, table: str, k: int) -> Path:
    """The file of bucket ``k`` of ``table`` in the ``scheme`` partitioning."""
    return _scheme_dir(root, scheme) / table / f"bucket={k}" / "part-0.parquet"


class Dataset:
    """A partitioned dataset opened for reading (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.manifest: dict[str, Any] = json.loads((self.path / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise RuleDslError(f"{self.path}: not a readable ruledsl dataset ({exc})") from None
        if self.manifest.get("format") != FORMAT:
            raise RuleDslError(f"{self.path}: unknown dataset format "
                               f"{self.manifest.get('format')!r} (expected {FORMAT})")
        self.k: int = int(self.manifest["buckets"])
        self.tables: tuple[str, ...] = tuple(self.manifest["tables"])
        self.schemes: tuple[str, ...] = tuple(self.manifest["schemes"])
        self._keys_checked: set[tuple[str, int, int]] = set()
        """Bucket files (path, mtime, size) whose key was found unique: an institution
        bucket is read once per institution rule, its key checked once."""
        self._lock = threading.Lock()

    def rows(self, scheme: str, k: int, tables: Iterable[str]) -> int:
        """Rows of bucket ``k`` of the partitioned tables among ``tables``."""
        info = self.manifest["schemes"][scheme]["tables"]
        return sum(int(info[t]["rows"][k]) for t in tables if t in info)

    def nbytes(self, scheme: str, k: int, tables: Iterable[str]) -> int:
        """Arrow bytes of bucket ``k`` of the partitioned tables among ``tables``."""
        info = self.manifest["schemes"][scheme]["tables"]
        return sum(int(info[t]["bytes"][k]) for t in tables if t in info)

    def whole_nbytes(self, tables: Iterable[str]) -> int:
        """Arrow bytes of whole tables."""
        info = self.manifest["schemes"]["person"]["tables"]
        return sum(sum(int(b) for b in info[t]["bytes"]) for t in tables if t in info)

    def _read(self, scheme: str, table: str, k: int,
              columns: Sequence[str] | None = None) -> pa.Table:
        """One bucket file, validated; only ``columns`` (all when ``None``)."""
        spec = SCHEMA.tables[table]
        if columns is not None:
            spec = attrs.evolve(spec, columns=tuple(c for c in spec.columns if c.name in columns))
        path = bucket_file(self.path, scheme, table, k)
        if not path.exists():
            return arrow_schema(spec).empty_table()
        try:
            stat = path.stat()
            raw = pq.read_table(path, columns=None if columns is None else [
                c for c in columns if c in pq.read_schema(path).names])
        except (OSError, pa.ArrowException) as exc:
            raise DataError([Diagnostic.error(
                "D0006", None, zh=f"无法读取 {path}：{exc}",
                en=f"cannot read {path}: {exc}")]) from None
        seen = (str(path), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            check_key = seen not in self._keys_checked
        out = validate_table(spec, raw, source=str(path), check_key=check_key)
        if check_key:  # and found unique: validate_table raises otherwise
            with self._lock:
                self._keys_checked.add(seen)
        return out

    def bucket(self, scheme: str, k: int, tables: Iterable[str],
               replicated: Mapping[str, pa.Table] | None = None,
               columns: Mapping[str, Sequence[str]] | None = None) -> dict[str, pa.Table]:
        """Bucket ``k``: the partitioned tables' rows; ``replicated`` tables passed through;
        of each table only ``columns[table]`` when given."""
        parts = self.manifest["schemes"][scheme]["tables"]
        out = {}
        for table in tables:
            if table not in self.tables:
                continue
            cols = None if columns is None else columns.get(table)
            if table in parts:
                out[table] = self._read(scheme, table, k, cols)
            elif replicated is not None and table in replicated:
                out[table] = replicated[table] if cols is None else \
                    replicated[table].select(list(cols))
            else:
                out[table] = self.whole([table], columns)[table]
        return out

    def whole(self, tables: Iterable[str],
              columns: Mapping[str, Sequence[str]] | None = None) -> dict[str, pa.Table]:
        """Whole tables, read from every bucket of the person partitioning."""
        out = {}
        for table in tables:
            if table in self.tables:
                cols = None if columns is None else columns.get(table)
                parts = [self._read("person", table, k, cols) for k in range(self.k)]
                out[table] = pa.concat_tables(parts).combine_chunks()
        return out


def _chunks(folder: Path, name: str, rows: int, columns: Sequence[str] | None = None
            ) -> Iterator[pa.Table]:
    """Chunks of one table: Parquet streamed by row groups (raw types, contract columns
    only, validated when a bucket is read); CSV loaded whole by the loader."""
    path = table_file(folder, name)
    if path is None:
        return
    if path.suffix == ".csv":
        table = load_tables(folder, "claims", only={name})[name]
        if columns is not None:
            table = table.select(list(columns))
        for start in range(0, max(table.num_rows, 1), rows):
            yield table.slice(start, rows)
        return
    try:
        reader = pq.ParquetFile(path)
        names = reader.schema_arrow.names
        wanted = [c.name for c in SCHEMA.tables[name].columns
                  if c.name in names and (columns is None or c.name in columns)]
        missing = [c for c in (columns or ()) if c not in names]
        if missing:
            raise DataError([Diagnostic.error(
                "D0002", None, zh=f"{path} 缺少列 {', '.join(missing)}",
                en=f"{path} has no column {', '.join(missing)}")])
        n = 0
        for batch in reader.iter_batches(batch_size=rows, columns=wanted):
            n += batch.num_rows
            yield pa.Table.from_batches([batch])
        if n == 0:
            yield reader.schema_arrow.empty_table().select(wanted)
    except (OSError, pa.ArrowException) as exc:
        raise DataError([Diagnostic.error("D0006", None, zh=f"无法读取 {path}：{exc}",
                                          en=f"cannot read {path}: {exc}")]) from None


class _Hygiene:
    """Cancelled settlement ids, collected before the other tables are read."""

    def __init__(self) -> None:
        self.cancelled: pa.Array = pa.array([], pa.string())
        self.counts = {"fee_cancelled": 0, "settlement_cancelled": 0,
                       "fee_of_cancelled_settlement": 0}

    def keep(self, name: str, table: pa.Table, count: bool = False) -> np.ndarray | None:
        """The rows of a chunk hygiene keeps (``None``: all)."""
        if name not in ("fee", "settlement") or table.num_rows == 0:
            return None
        flag = pc.fill_null(pc.equal(key_strings(table["vali_flag"]), "0"), False)
        own = np.asarray(flag.to_numpy(zero_copy_only=False), bool)
        drop = own.copy()
        if name == "settlement":
            if count:
                ids = pc.drop_null(pc.filter(key_strings(table["setl_id"]), flag))
                self.cancelled = pa.concat_arrays([self.cancelled, ids])
                self.counts["settlement_cancelled"] += int(own.sum())
        elif len(self.cancelled):
            via = pc.fill_null(pc.is_in(key_strings(table["setl_id"]),
                                        value_set=self.cancelled), False)
            via_np = np.asarray(via.to_numpy(zero_copy_only=False), bool)
            drop |= via_np
            if count:
                self.counts["fee_of_cancelled_settlement"] += int((via_np & ~own).sum())
        if count and name == "fee":
            self.counts["fee_cancelled"] += int(own.sum())
        return None if not drop.any() else ~drop


def write_dataset(claims: str | os.PathLike[str], out: str | os.PathLike[str],
                  schemes: Sequence[str] = ("person",), buckets: int = 16,
                  chunk_rows: int = 1 << 20,
                  progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Write the claim tables of folder ``claims`` as a partitioned dataset at ``out``.

    Args:
        claims: A claims folder (data contract §1).
        out: The dataset folder (created; must not hold another dataset's files).
        schemes: ``person`` (always written) and optionally ``institution``, ``doctor``.
        buckets: Buckets per scheme.
        chunk_rows: Rows read per step from a Parquet table.
        progress: Called with a line of text after each step.

    Returns:
        The manifest (also written to ``out/_ruledsl_dataset.json``).
    """
    folder, root = Path(claims), Path(out)
    if buckets < 1:
        raise ValueError("buckets must be >= 1")
    names = ["person", *[s for s in schemes if s != "person"]]
    unknown = [s for s in names if s not in SCHEMES]
    if unknown:
        raise ValueError(f"unknown partitioning {', '.join(unknown)}; "
                         f"choose from {', '.join(SCHEMES)}")
    chosen = [SCHEMES[s] for s in names]
    present = [t for t in CLAIMS if table_file(folder, t) is not None]
    missing = [t for t in CLAIMS if t not in present and not SCHEMA.tables[t].optional]
    if missing:
        raise DataError([Diagnostic.error(
            "D0001", None, zh=f"{folder} 中缺少数据表 {t}（{t}.parquet 或 {t}.csv）",
            en=f"{folder} has no table {t} ({t}.parquet or {t}.csv)") for t in missing])
    if (root / MANIFEST).exists():
        (root / MANIFEST).unlink()
    for scheme in names:  # stale buckets of an earlier run would be read as data
        for table in CLAIMS:
            stale = _scheme_dir(root, scheme) / table
            if stale.is_dir():
                for f in stale.glob("bucket=*/part-0.parquet"):
                    f.unlink()
    for t in present:  # a missing column is reported now, not when a bucket is read
        path = table_file(folder, t)
        if path is not None and path.suffix == ".parquet":
            try:
                names_in = set(pq.read_schema(path).names)
            except (OSError, pa.ArrowException) as exc:
                raise DataError([Diagnostic.error("D0006", None, zh=f"无法读取 {path}：{exc}",
                                                  en=f"cannot read {path}: {exc}")]) from None
            lost = [c.name for c in SCHEMA.tables[t].columns if c.name not in names_in]
            if lost:
                raise DataError([Diagnostic.error(
                    "D0002", None, zh=f"{path} 缺少列 {', '.join(lost)}",
                    en=f"{path} has no column {', '.join(lost)}")])
    started = time.perf_counter()
    say = progress or (lambda _line: None)
    # settlement first: its cancelled ids decide which fee lines exist
    order = sorted(present, key=lambda t: (t != "settlement", CLAIMS.index(t)))
    hygiene = _Hygiene()
    linkers = {s.name: Linker() for s in chosen}

    def key_columns(name: str) -> list[str]:
        cols = {c for s in chosen if name in s.partitioned for c, _, _ in s.columns(name)}
        cols.add(SCHEMA.tables[name].key[0])
        if name in ("fee", "settlement"):
            cols |= {"vali_flag", "setl_id"}
        return [c.name for c in SCHEMA.tables[name].columns if c.name in cols]

    def chunks(name: str, columns: list[str] | None, count: bool = False) -> Iterator[TableKeys]:
        for chunk in _chunks(folder, name, chunk_rows, columns):
            keep = hygiene.keep(name, chunk, count)
            yield TableKeys(name, chunk if keep is None else chunk.filter(pa.array(keep)))

    for name in order:  # pass 1: nodes (and the cancelled settlements)
        for keys in chunks(name, key_columns(name), count=True):
            for s in chosen:
                if name in s.partitioned:
                    _feed_nodes(linkers[s.name], keys, s)
        say(f"keys of {name} read ({time.perf_counter() - started:.1f}s)")
    for linker in linkers.values():
        linker.freeze()
    for name in order:  # pass 2: links
        if not any(name in s.partitioned and len(s.columns(name)) > 1 for s in chosen):
            continue
        for keys in chunks(name, key_columns(name)):
            for s in chosen:
                if name in s.partitioned:
                    _feed_links(linkers[s.name], keys, s)
        say(f"links of {name} read ({time.perf_counter() - started:.1f}s)")
    for linker in linkers.values():
        linker.finish(buckets)
    stats: dict[str, dict[str, dict[str, list[int]]]] = {
        s.name: {t: {"rows": [0] * buckets, "bytes": [0] * buckets}
                 for t in present if t in s.partitioned} for s in chosen}
    for name in order:  # pass 3: write
        writers: dict[tuple[str, int], pq.ParquetWriter] = {}
        try:
            for keys in chunks(name, None):
                chunk = keys.table.replace_schema_metadata(None)
                for s in chosen:
                    if name not in s.partitioned:
                        continue
                    bucket = _buckets_of(linkers[s.name], keys, s, buckets)
                    idx, bounds = _layout(bucket, buckets)
                    ordered = chunk.take(pa.array(idx, pa.int64()))
                    for k in np.flatnonzero(np.diff(bounds)):
                        part = ordered.slice(bounds[k], bounds[k + 1] - bounds[k])
                        key = (s.name, int(k))
                        w = writers.get(key)
                        if w is None:
                            path = bucket_file(root, s.name, name, int(k))
                            path.parent.mkdir(parents=True, exist_ok=True)
                            w = writers[key] = pq.ParquetWriter(path, part.schema,
                                                                compression="zstd")
                        w.write_table(part)
                        stats[s.name][name]["rows"][k] += part.num_rows
                        stats[s.name][name]["bytes"][k] += part.nbytes
        finally:
            for w in writers.values():
                w.close()
        say(f"{name} written ({time.perf_counter() - started:.1f}s)")
    manifest = {
        "format": FORMAT,
        "buckets": buckets,
        "tables": present,
        "hygiene": {"applied": True, **hygiene.counts},
        "schemes": {s.name: {"links": dict(s.links), "tables": stats[s.name]} for s in chosen},
        "source": str(folder),
        "seconds": round(time.perf_counter() - started, 3),
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
    return manifest


__all__ += ["PERSON", "bucket_file", "kept_rows", "linked_columns"]
