"""Running a compiled rulebook bucket by bucket: jobs, phases, merging.

:func:`run_scaled` is the one entry point for every engine:

1. Each rule's partition key comes from :func:`~ruledsl.scale.partition.plan_partitions`.
   Rules of one key form a *group*; a group whose partitioning the data
   lacks (a dataset written ``--by person`` only) and the ``none`` rules run
   as one job on the whole batch.
2. **Phase 1**: one job per non-empty bucket of each group (person buckets
   also compute the partial values of the batch-wide aggregates, see
   :func:`~ruledsl.scale.partition.with_globals`), plus the whole-batch job.
3. The partials are combined (``min``/``max``/``count``/``exists`` are
   exact); **phase 2** runs the rules that need them, as parameters.
4. The firings of all jobs are merged, de-duplicated per rule and key and sorted
   (:mod:`~ruledsl.scale.merge`): the same table as one ``plan.run`` over the whole
   batch, whatever the order the jobs finished in.

A job runs the ordinary compiled plan (``CompiledRulebook.run_with_summary``)
over its bucket's tables and the whole knowledge base.  Engines differ only in
where jobs run: ``local`` (this thread, one after another), ``threads``
(:class:`concurrent.futures.ThreadPoolExecutor`; numpy and Arrow release the
GIL in their kernels) and ``dask`` (:mod:`ruledsl.scale.dask_engine`).

Example:
    >>> from ruledsl.demo import generate
    >>> from ruledsl.rulebook import load_text
    >>> book = load_text('''
    ... 规则 R-1 "同人多次就诊" {
    ...     类别 医保管理类 结果类型 可疑 环节 事后 层级 就诊
    ...     对每条 就诊 V
    ...     当 计数(就诊 W 满足 W.人员编号 = V.人员编号) >= 15
    ...     输出 就诊ID = V.就诊ID, 人员编号 = V.人员编号 }''')
    >>> claims, kb = generate(persons=30, seed=3)
    >>> plan = book.compile()
    >>> table, summary = run_scaled(plan, claims, kb, engine="threads", workers=2, buckets=3)
    >>> table.equals(plan.run(claims, kb)), table.num_rows > 0
    (True, True)
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

import attrs
import numpy as np
import pyarrow as pa

from .. import ir
from ..check.model import ParamInfo
from ..data.load import hygiene_keeps, load_tables, missing_tables
from ..errors import ExecutionError, RuleDslError
from ..execute.batch import (
    columns_to_load,
    encode_string_columns,
    merge_columns,
    narrow_columns,
)
from ..execute.compiled import CompiledRulebook, RuleSummary, read_tables, tables_needed
from ..execute.memory import freeze_long_lived, release_freed_memory, thaw_long_lived
from ..execute.output import empty_violations
from ..schema import SCHEMA
from ..schema.contract import tables_of_kind
from .buckets import (
    GROUPED_BY_VISIT,
    Buckets,
    Dataset,
    TableKeys,
    is_dataset,
    kept_rows,
    linked_columns,
    table_keys,
    visit_order,
)
from .merge import MergedViolations, SpilledRun, spill_result
from .partition import (
    KEYS,
    PERSON,
    SCHEMES,
    PartitionPlan,
    global_name,
    linked_by_any,
    plan_partitions,
    with_globals,
)

__all__ = [
    "ENGINES",
    "BucketError",
    "ClaimsPrefetch",
    "Job",
    "JobResult",
    "MergedViolations",
    "ScaledRun",
    "run_scaled",
    "run_scaled_parts",
]

ENGINES = ("local", "threads", "dask")
WHOLE = "whole"
"""The group name of rules run once on the whole batch."""

Progress = Callable[[str, int, int], None]
T = TypeVar("T")


class BucketError(ExecutionError):
    """A job failed; the message names its bucket and partitioning.

    Attributes:
        scheme: ``person``, ``institution``, ``doctor`` or ``whole``.
        bucket: The bucket number (-1 for the whole batch).
    """

    def __init__(self, message: str, *, scheme: str, bucket: int) -> None:
        super().__init__(message)
        self.scheme, self.bucket = scheme, bucket

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_bucket_error, (self.message, self.scheme, self.bucket))


def _rebuild_bucket_error(message: str, scheme: str, bucket: int) -> BucketError:
    return BucketError(message, scheme=scheme, bucket=bucket)


@attrs.frozen
class Job:
    """One unit of work: some rules over one bucket (or the whole batch)."""

    phase: int
    scheme: str
    bucket: int
    rules: tuple[str, ...]
    tables: tuple[str, ...]
    """The claim tables the job reads."""
    partials: tuple[tuple[str, ir.Agg], ...] = ()
    """Batch-wide aggregates whose value over this bucket the job also returns."""
    unit: int = 0
    """Which of the scheme's rule sets (institution and doctor rules run one by one)."""
    columns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """``(table, columns)``: the columns of each claim table the job reads (no others are
    loaded: an institution bucket of a big hospital is millions of lines)."""

    @property
    def key(self) -> tuple[str, int, int]:
        """``(scheme, phase, unit)``: which sub-plan runs the job."""
        return (self.scheme, self.phase, self.unit)

    def label(self, lang: str = "en") -> str:
        """``bucket 3 of the person partitioning`` or ``the whole batch``."""
        rules = "" if self.scheme in ("person", WHOLE) else f" ({', '.join(self.rules)})"
        if self.scheme == WHOLE:
            return "整批数据" if lang == "zh" else "the whole batch"
        if lang == "zh":
            return f"{self.scheme} 分区的第 {self.bucket} 桶{rules}"
        return f"bucket {self.bucket} of the {self.scheme} partitioning{rules}"


@attrs.frozen
class JobResult:
    """What one job returns."""

    job: Job
    table: pa.Table
    summary: tuple[RuleSummary, ...]
    partials: dict[str, Any]
    seconds: float
    spilled: SpilledRun | None = None
    """Where the firings went when they were spilled (``table`` is then empty)."""


def _kept_by_hygiene(tables: Mapping[str, pa.Table]
                     ) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The rows hygiene keeps of each table it drops rows from (increasing), and its
    report (:func:`~ruledsl.data.load.hygiene_keeps`)."""
    keep, report = hygiene_keeps(tables)
    kept = {name: np.flatnonzero(np.asarray(mask.combine_chunks() if isinstance(
        mask, pa.ChunkedArray) else mask, dtype=bool)) for name, mask in keep.items()}
    return kept, attrs.asdict(report)


# ----------------------------------------------------------------- sources --
class MemorySource:
    """A claim batch held in memory, split on demand.

    Args:
        claims: Normalised claim tables.
        k: Buckets per partitioning.
    """

    kind = "memory"

    def __init__(self, claims: Mapping[str, pa.Table], k: int) -> None:
        self._tables: dict[str, pa.Table] = dict(claims)
        """The claim tables as given (their strings encoded once :meth:`encode_strings` has
        run); hygiene never copies them: buckets leave the cancelled rows out."""
        self._kept: dict[str, np.ndarray] | None = None
        """Per table with cancelled rows, the rows hygiene keeps (once worked out)."""
        self._linked: dict[str, pa.Table] = {}
        """What the splits read: the linked columns at the kept rows."""
        self.hygiene: dict[str, int] = {}
        self.k = k
        self.schemes = tuple(SCHEMES)
        self._split: dict[str, Buckets] = {}
        self._locks = {name: threading.Lock() for name in self.schemes}
        """One per partitioning: two threads can split by two partitionings at once."""
        self._hygiene_lock = threading.Lock()
        self._by_visit: dict[str, Future[np.ndarray | None]] = {}
        """Per table, its rows in visit order (:func:`~ruledsl.scale.buckets.visit_order`),
        being worked out on the pool by :meth:`split` for every partitioning."""
        self.domains: dict[str, pa.Array] | None = None
        """Column name → sorted dictionary, once :meth:`encode_strings` has run."""

    def _hygiene_kept(self, worked_out: tuple[dict[str, np.ndarray], dict[str, int]] | None
                      = None, map_: Callable[..., Iterable[Any]] = map) -> dict[str, np.ndarray]:
        """The rows hygiene keeps (contract §2), worked out once (or ``worked_out`` already,
        by :func:`_kept_by_hygiene`); no table is copied."""
        with self._hygiene_lock:
            if self._kept is None:
                kept, self.hygiene = worked_out or _kept_by_hygiene(self._tables)
                self._linked = linked_columns(self._tables, kept, map_)
                self._kept = kept
            return self._kept

    def encode_strings(self, kb: Mapping[str, pa.Table],
                       map_: Callable[[Callable[[str], Any], Sequence[str]], Iterable[Any]] = map,
                       read: Mapping[str, Iterable[str]] | None = None) -> None:
        """Encode every string column once, before the batch is split
        (:func:`~ruledsl.execute.batch.encode_string_columns`; ``map_`` may run the column
        names on a pool): buckets are then cut without copying strings, key columns are
        hashed through the dictionary, and each job reads the codes instead of encoding its
        bucket's strings again. For jobs in this process only: a bucket sent to another
        process would carry the whole dictionary.

        ``read``: the columns the jobs read (:meth:`ScaledRun.claim_columns`); the others
        (but those the splits link) are left out first, never encoded (10M lines, the 11
        rules Polars is compared on: ``rxno`` alone took 0.9 s to encode)."""
        if self.domains is not None:
            return
        if read is not None:  # (and the columns the splits link)
            self._tables = narrow_columns(self._tables, {
                name: {*read.get(name, ()), *linked_by_any(name)} for name in self._tables})
        # hygiene reads the strings as they are, beside the encoding (the same rows kept)
        with ThreadPoolExecutor(1, thread_name_prefix="ruledsl-hygiene") as aside:
            worked_out = aside.submit(_kept_by_hygiene, self._tables)
            self._tables, self.domains = encode_string_columns(self._tables, kb, map_)
            kept = worked_out.result()
        with self._hygiene_lock:  # (splits made before read the strings: made again)
            self._kept, self._split, self._by_visit = None, {}, {}
        self._hygiene_kept(kept, map_)  # now

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(self._tables)

    def buckets(self, scheme: str, shared: Mapping[str, TableKeys] | None = None) -> Buckets:
        """The batch split by ``scheme`` (computed once, on first use); ``shared``: key
        hashes shared with the other partitionings split at the same time."""
        kept = self._hygiene_kept()
        with self._locks[scheme]:
            split = self._split.get(scheme)
            if split is None:
                split = self._split[scheme] = Buckets(self._tables, SCHEMES[scheme], self.k,
                                                      shared, kept, self._linked,
                                                      self._rows_by_visit)
            return split

    def _rows_by_visit(self, name: str) -> np.ndarray | None:
        """Table ``name``'s rows in visit order: :meth:`split`'s, or worked out here."""
        future = self._by_visit.get(name)
        return future.result() if future is not None else \
            visit_order(self._tables, self._linked, name)

    def split(self, schemes: Sequence[str], pool: ThreadPoolExecutor) -> None:
        """Split by ``schemes`` side by side on ``pool``, hashing each key column once
        (persons and institutions both link visits and settlements), and putting the rows of
        the tables grouped by visit in visit order once, on the pool before the splits (a
        split waits for a table's order only when it lays that table out: never for a task
        queued behind it)."""
        self._hygiene_kept()
        shared = table_keys(self._linked)
        self._by_visit = {name: pool.submit(visit_order, self._tables, self._linked, name)
                          for name in GROUPED_BY_VISIT if name in self._linked}
        list(pool.map(lambda scheme: self.buckets(scheme, shared), schemes))

    def rows(self, scheme: str, k: int, tables: Iterable[str]) -> int:
        return self.buckets(scheme).rows(k, tables)

    def nbytes(self, scheme: str, k: int, tables: Iterable[str]) -> int:
        split = self.buckets(scheme)
        total = 0
        for name in tables:
            if name in self._tables and name in SCHEMES[scheme].partitioned:
                n = self._tables[name].num_rows
                total += self._tables[name].nbytes * split.rows(k, [name]) // max(n, 1)
        return total

    def whole_nbytes(self, tables: Iterable[str]) -> int:
        return sum(self._tables[t].nbytes for t in tables if t in self._tables)

    def load(self, job: Job) -> dict[str, pa.Table]:
        columns = dict(job.columns)
        if job.scheme == WHOLE:
            kept = self._hygiene_kept()
            return {t: kept_rows(self._tables[t].select(list(columns[t])), kept.get(t))
                    for t in job.tables if t in self._tables}
        return self.buckets(job.scheme).bucket(job.bucket, job.tables, columns)


class DatasetSource:
    """A dataset written by ``ruledsl partition``, read bucket by bucket."""

    kind = "dataset"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.dataset = Dataset(path)
        self.k = self.dataset.k
        self.schemes = self.dataset.schemes
        self.tables = self.dataset.tables
        self._replicated: dict[str, pa.Table] = {}
        self._lock = threading.Lock()

    def rows(self, scheme: str, k: int, tables: Iterable[str]) -> int:
        return self.dataset.rows(scheme, k, tables)

    def nbytes(self, scheme: str, k: int, tables: Iterable[str]) -> int:
        return self.dataset.nbytes(scheme, k, tables)

    def whole_nbytes(self, tables: Iterable[str]) -> int:
        return self.dataset.whole_nbytes(tables)

    def replicated(self, tables: Iterable[str]) -> dict[str, pa.Table]:
        with self._lock:
            for t in tables:
                if t not in self._replicated and t in self.tables:
                    self._replicated.update(self.dataset.whole([t]))
            return {t: self._replicated[t] for t in tables if t in self._replicated}

    def load(self, job: Job) -> dict[str, pa.Table]:
        columns = dict(job.columns)
        if job.scheme == WHOLE:
            return self.dataset.whole(job.tables, columns)
        scheme = SCHEMES[job.scheme]
        reps = self.replicated([t for t in job.tables if t in scheme.replicated])
        return self.dataset.bucket(job.scheme, job.bucket, job.tables, reps, columns)


Source = MemorySource | DatasetSource


class ClaimsPrefetch:
    """A claims folder read on a background thread while the rulebook is loaded (``ruledsl
    run`` over a folder, on threads): every contract table the folder holds, code columns as
    the files' dictionaries (see :func:`open_source`). :meth:`tables` gives what
    :func:`~ruledsl.execute.compiled.read_tables` would, or None when the read failed or
    missed a table the rules need: the folder is then read again, whose messages name the
    rules. 10M fee lines: loading the rulebook took 0.7-1.0 s before the read began."""

    def __init__(self, folder: str | os.PathLike[str], threads: int = 1) -> None:
        self.folder = folder
        self.threads = threads
        """Files read at once (see :func:`~ruledsl.data.load.load_tables`)."""
        self._tables: dict[str, pa.Table] | None = None
        self._done = threading.Event()
        # (a daemon: a rulebook with errors ends the program without waiting for the read)
        threading.Thread(target=self._read, name="ruledsl-prefetch", daemon=True).start()

    def _read(self) -> None:
        try:
            held = {t.name for t in tables_of_kind("claims")} \
                - set(missing_tables(self.folder, "claims"))
            self._tables = load_tables(self.folder, "claims", only=held,
                                       strings_as_dictionary=True, threads=self.threads)
        except Exception:  # noqa: BLE001 - read again by open_source, which reports it
            self._tables = None
        finally:
            self._done.set()

    def tables(self, rules: Sequence[Any]) -> dict[str, pa.Table] | None:
        """The tables ``rules`` read, once the read is done (None: read the folder again);
        handed over once (not kept here: the run frees them as it encodes them)."""
        self._done.wait()
        got, self._tables = self._tables, None
        needed = tables_needed(rules, "claims") if rules else {
            t.name: [] for t in tables_of_kind("claims")}  # (all of them: as read after)
        if got is None or any(t not in got and not SCHEMA.tables[t].optional for t in needed):
            return None
        return {t: table for t, table in got.items() if t in needed}


def open_source(claims: Any, rules: Sequence[Any], buckets: int | None, workers: int,
                encoded_here: bool = False, prefetched: ClaimsPrefetch | None = None
                ) -> Source:
    """A dataset path (its own buckets), a claims folder or in-memory tables, ready to be
    split into ``buckets`` (default: :func:`default_buckets`). ``encoded_here``: the batch's
    strings will be encoded in this process (:meth:`MemorySource.encode_strings`), so the
    code columns a folder's Parquet files hold dictionary-encoded are read as the files'
    dictionaries (:func:`~ruledsl.data.load.load_tables`). 10M fee lines, 2 threads, three
    alternating pairs on the 2-core machine of session 14: read, encoded and split in
    7.9-8.4 s against 10.5-10.9 s (2.12 against 2.65 GiB of Arrow read, peak RSS 3.5
    against 3.9-4.1 GiB by then); ``ruledsl run`` 30.7, 30.7, 31.9 s against 35.2, 31.3,
    32.5 s. ``prefetched``: the folder, already being read (:class:`ClaimsPrefetch`, which
    reads as ``encoded_here`` does)."""
    if isinstance(claims, str | os.PathLike) and is_dataset(claims):
        return DatasetSource(claims)
    tables = prefetched.tables(rules) if prefetched is not None and encoded_here else None
    if tables is None:
        tables = read_tables(claims, "claims", rules, strings_as_dictionary=encoded_here,
                             threads=workers)
    k = buckets if buckets is not None else default_buckets(
        workers, sum(t.num_rows for t in tables.values()))
    return MemorySource(tables, k)


BIG_BATCH_ROWS = 3_000_000
"""An in-memory batch of at least this many claim rows (all its tables) is split into
:data:`BIG_BATCH_BUCKETS_PER_WORKER` buckets per worker, a smaller one into 2: smaller
buckets need less memory at once. ``ruledsl run --workers 2`` (alternating runs, the 2-core
benchmark machine of session 13): 10M fee lines (17.2M rows, 2.65 GiB of Arrow with strings
as strings) with 6 buckets 31.8-32.3 s, peak RSS 4.05-4.22 GiB, against 32.9-34.7 s and
4.53-4.64 GiB with 4 (and 32.9-33.5 s with 8); 3M (5.2M rows, 0.8 GiB) 11.7-11.9 s and
1.32-1.33 GiB against 11.9-12.9 s and 2.03-2.09 GiB; but 1M (1.7M rows, 0.27 GiB) 6.4-7.0 s
against 5.9-6.2 s. (Counted in Arrow bytes until strings were read as dictionaries, which
made the same batches smaller.)"""
BIG_BATCH_BUCKETS_PER_WORKER = 3


def default_buckets(workers: int, claim_rows: int) -> int:
    """Buckets per partitioning of an in-memory batch of ``claim_rows`` (rows of all its
    claim tables) run on ``workers`` threads or processes (see :data:`BIG_BATCH_ROWS`)."""
    per_worker = BIG_BATCH_BUCKETS_PER_WORKER if claim_rows >= BIG_BATCH_ROWS else 2
    return max(1, per_worker * workers)


# --------------------------------------------------------------- planning --
class ScaledRun:
    """The jobs of one run of a compiled rulebook over a source (see the module docstring).

    Args:
        compiled: The compiled rulebook (its rules and parameters are used as they are).
        source: Where the claims come from.
        analysis: The partition plan (default: computed from ``compiled.rules``).
    """

    def __init__(self, compiled: CompiledRulebook, source: Source,
                 analysis: PartitionPlan | None = None) -> None:
        self.compiled = compiled
        self.source = source
        self.analysis = analysis or plan_partitions(compiled.rules)
        self.notes: list[str] = []
        by_id = {r.id: r for r in compiled.rules}
        groups: dict[tuple[str, int], list[Any]] = {}
        self.partials: list[tuple[str, str, ir.Agg]] = []  # (name, func, agg)
        for a in self.analysis.rules:
            rule = by_id[a.rule_id]
            key = a.key
            if key != "none" and key not in source.schemes:
                key = WHOLE
                self.notes.append(
                    f"{a.rule_id}: the data has no {a.key} partitioning; it runs on the whole "
                    f"batch (write it with `ruledsl partition --by person,{a.key}`)")
            elif key == "none":
                key = WHOLE
            if key != WHOLE and a.globals:
                names = [global_name(rule.id, i) for i in range(len(a.globals))]
                self.partials += [(n, g.func, g) for n, g in zip(names, a.globals)]
                groups.setdefault((key, 2), []).append(with_globals(rule, a.globals))
            else:
                groups.setdefault((key, 1), []).append(rule)
        if self.partials and "person" not in source.schemes:  # pragma: no cover - always written
            raise RuleDslError("batch-wide values need the person partitioning")
        if self.partials and ("person", 1) not in groups:
            groups[("person", 1)] = []
        # Person buckets run all their rules at once (they share one bucket's columns and
        # look-ups); institution and doctor buckets are skewed (a big hospital), so read
        # from a dataset each of their rules is a job of its own and loads only the tables
        # it reads. A batch in memory is held whole anyway: there they run all at once too,
        # sharing the bucket's string encodings and orders.
        # Sub-plans are compiled by the public API from a rulebook in which the rules
        # with batch-wide values are rewritten and those values are declared parameters.
        rewritten = {r.id: r for (_, phase), rules in groups.items() if phase == 2
                     for r in rules}
        params = dict(compiled.rulebook.params)
        for name, _, agg in self.partials:
            params[name] = ParamInfo(name, name, agg.dtype, None, "batch-wide value (scale)")
        book = attrs.evolve(compiled.rulebook, params=params, rules=tuple(
            rewritten.get(r.id, r) for r in compiled.rulebook.rules))
        self.params = dict(compiled.params)
        self.plans: dict[tuple[str, int, int], CompiledRulebook | None] = {}
        for (scheme, phase), rules in groups.items():
            together = scheme in ("person", WHOLE) or source.kind == "memory"
            units = [rules] if together else [[r] for r in rules]
            for i, unit in enumerate(units):
                self.plans[(scheme, phase, i)] = book.compile(
                    rules=[r.id for r in unit], params=self.params) if unit else None
        self.groups = groups

    def jobs(self, phase: int) -> list[Job]:
        """The jobs of one phase, in a fixed order."""
        out = []
        order = {name: i for i, name in enumerate((*KEYS, WHOLE))}
        for (scheme, p, unit), plan in sorted(self.plans.items(),
                                              key=lambda kv: (order[kv[0][0]], kv[0][2])):
            if p != phase:
                continue
            partials = tuple((n, g) for n, _, g in self.partials) \
                if (scheme, p, unit) == ("person", 1, 0) else ()
            rules = plan.rules if plan is not None else ()
            columns = tuple(self._claim_columns(rules, [g for _, g in partials]).items())
            tables_t = tuple(t for t, _ in columns)
            ids = tuple(r.id for r in rules)
            if scheme == WHOLE:
                out.append(Job(phase, WHOLE, -1, ids, tables_t, (), unit, columns))
                continue
            parted = [t for t in tables_t if t in SCHEMES[scheme].partitioned]
            nonempty = [k for k in range(self.source.k) if self.source.rows(scheme, k, parted)]
            for k in nonempty or [0]:
                out.append(Job(phase, scheme, k, ids, tables_t, partials, unit, columns))
        return out

    def _claim_columns(self, rules: Iterable[Any], partials: Iterable[ir.Agg]
                       ) -> dict[str, tuple[str, ...]]:
        """The claim tables and columns that ``rules`` and batch-wide ``partials`` read, as
        loaded (:func:`~ruledsl.execute.batch.columns_to_load`; no settlement "for
        hygiene": hygiene is applied to the whole batch before it is split)."""
        read = merge_columns([*(r.columns() for r in rules), *(ir.columns_read([g]) for g in partials)])
        return columns_to_load({t: read[t] for t in SCHEMA.tables if t in read
                                and t in self.source.tables and SCHEMA.tables[t].kind == "claims"})

    def claim_columns(self) -> dict[str, tuple[str, ...]]:
        """The claim columns some job of the run reads."""
        rules = [r for plan in self.plans.values() if plan is not None for r in plan.rules]
        return self._claim_columns(rules, [g for _, _, g in self.partials])

    def estimates(self, jobs: Sequence[Job]) -> list[tuple[Job, int]]:
        """Arrow bytes of claims each job holds (its bucket plus replicated tables)."""
        out = []
        for job in jobs:
            if job.scheme == WHOLE:
                out.append((job, self.source.whole_nbytes(job.tables)))
                continue
            scheme = SCHEMES[job.scheme]
            rep = [t for t in job.tables if t in scheme.replicated]
            out.append((job, self.source.nbytes(job.scheme, job.bucket, job.tables)
                        + self.source.whole_nbytes(rep)))
        return out

    def biggest_first(self, jobs: Sequence[Job]) -> list[tuple[Job, int]]:
        """``(job, bytes)`` from :meth:`estimates`, biggest first (ties in ``jobs`` order):
        the order jobs are started in, so that no big job is left to run alone at the end."""
        return sorted(self.estimates(jobs), key=lambda pair: -pair[1])

    def combine(self, partials: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        """The batch-wide values from the person jobs' partials (:attr:`JobResult.partials`)."""
        parts: dict[str, list[Any]] = {n: [] for n, _, _ in self.partials}
        for one in partials:
            for name, value in one.items():
                parts[name].append(value)
        out = {}
        for name, func, _ in self.partials:
            values = [v for v in parts[name] if v is not None]
            if func == "min":
                out[name] = min(values) if values else None
            elif func == "max":
                out[name] = max(values) if values else None
            elif func == "count":
                out[name] = int(sum(values))
            else:  # exists
                out[name] = bool(any(values))
        return out

    def merge(self, results: Iterable[JobResult]) -> tuple[pa.Table, list[RuleSummary]]:
        """The violations table and per-rule summary of all jobs."""
        merged = MergedViolations(self.compiled, results)
        return merged.table(), merged.summary()


# -------------------------------------------------------------- executing --
def engine_value_to_python(vec: Any) -> Any:
    """The single value of a one-row engine column as a parameter value."""
    if not bool(vec.valid_mask()[0]):
        return None
    if vec.dictionary is not None:
        return vec.strings()[0].as_py()
    value = vec.values[0]
    return value.item() if hasattr(value, "item") else value


def compute_partials(claims: Mapping[str, pa.Table], kb: Mapping[str, pa.Table],
                     params: Mapping[str, Any], aggs: Sequence[tuple[str, ir.Agg]],
                     domains: Mapping[str, pa.Array] | None = None) -> dict[str, Any]:
    """The closed aggregates ``aggs`` over one bucket (engine units, strings as ``str``)."""
    from ..execute.batch import Batch
    from ..execute.frames import Frame
    from ..execute.vector import Evaluator

    batch = Batch(dict(claims), dict(kb), domains)
    ev = Evaluator(batch, dict(params))
    return {name: engine_value_to_python(ev.ev(agg, Frame(1, {}))) for name, agg in aggs}


def execute_job(plan: CompiledRulebook | None, kb: Mapping[str, pa.Table], job: Job,
                claims: Mapping[str, pa.Table], values: Mapping[str, Any],
                params: Mapping[str, Any] | None = None,
                domains: Mapping[str, pa.Array] | None = None,
                release_memory: bool = True) -> JobResult:
    """Run one job (in whatever thread or process the engine chose).

    ``plan`` is ``None`` for a job that only computes batch-wide partials
    (with ``params``); ``values`` are the batch-wide values of phase 2; ``domains``: the
    dictionaries of the claims' dictionary-encoded string columns
    (:meth:`MemorySource.encode_strings`); ``release_memory``: hand the job's freed
    memory back to the system when it ends (see :func:`_forget_bucket_caches`).
    """
    start = time.perf_counter()
    try:
        if plan is not None:
            table, summary = plan.run_with_summary(dict(claims), dict(kb),
                                                   params=dict(values) or None, validated=True,
                                                   domains=domains)
            params = plan.params
        else:
            table, summary = empty_violations(), []
        partials = compute_partials(claims, kb, params or {}, job.partials, domains) \
            if job.partials else {}
    except BucketError:
        raise
    except RuleDslError as exc:
        raise BucketError(f"{job.label()}: {exc}", scheme=job.scheme, bucket=job.bucket) from exc
    except Exception as exc:  # noqa: BLE001 - name the bucket, keep the cause
        raise BucketError(f"{job.label()}: {type(exc).__name__}: {exc}",
                          scheme=job.scheme, bucket=job.bucket) from exc
    finally:
        _forget_bucket_caches(release_memory)
    return JobResult(job, table, tuple(summary), partials, time.perf_counter() - start)


def _forget_bucket_caches(release_memory: bool = True) -> None:
    """Free a finished bucket's memory now rather than at some later GC.

    The engine's frames refer to each other in cycles (a group frame and its
    members), so a finished job's batch is freed only by the cyclic garbage
    collector; and the engine's module-level string-dictionary caches are
    keyed by one batch's dictionaries, never hit again by another bucket, but
    keep them alive (up to hundreds of entries).  Over a long out-of-core run
    both hold gigabytes.  Clearing a cache is always safe.  With
    ``release_memory`` the memory freed is then handed back to the system (Arrow's
    pool and, on glibc, ``malloc_trim``), so that the next job of an out-of-core run,
    maybe a big hospital's, starts from a small footprint. A batch held in memory is
    not released: the process holds the batch anyway, and the next job reuses the
    freed blocks, where handing them back made it fault every page in again (10M lines,
    2 threads: 25.8-27.5 s against 28.6-30.5 s, system time 4.4-6.5 against 9.7-13.6 s).
    """
    from ..execute import vec

    vec.forget_dictionary_caches()
    gc.collect()
    if release_memory:
        pa.default_memory_pool().release_unused()
        release_freed_memory()


class LocalExecutor:
    """Jobs one after another in this thread (``--engine local``)."""

    def __init__(self, source: Source, kb: Mapping[str, pa.Table]) -> None:
        self.source, self.kb = source, kb

    def start(self, run: ScaledRun) -> None:
        if isinstance(self.source, MemorySource):
            self.source.encode_strings(self.kb, read=run.claim_columns())

    def map(self, run: ScaledRun, jobs: Sequence[Job], values: Mapping[str, Any]
            ) -> Iterator[JobResult]:
        for job in jobs:
            yield _load_and_run(self.source, run.plans[job.key], self.kb, job, values,
                                run.params)

    def map_phases(self, run: ScaledRun, first: Sequence[Job], second: Sequence[Job]
                   ) -> Iterator[JobResult]:
        """The jobs of phase 1, then those of phase 2 (see :func:`phases_in_turn`)."""
        return phases_in_turn(self, run, first, second)

    def close(self) -> None:
        pass


def phases_in_turn(executor: Any, run: ScaledRun, first: Sequence[Job], second: Sequence[Job]
                   ) -> Iterator[JobResult]:
    """``executor.map`` over the jobs of phase 1, then over those of phase 2 with the
    batch-wide values that phase 1's person jobs computed (:meth:`ScaledRun.combine`)."""
    partials = []
    for r in executor.map(run, first, {}):
        partials.append(r.partials)
        yield r
    if second:
        yield from executor.map(run, second, run.combine(partials))


def _load_and_run(source: Source, plan: CompiledRulebook | None, kb: Mapping[str, pa.Table],
                  job: Job, values: Mapping[str, Any], params: Mapping[str, Any]) -> JobResult:
    try:
        claims = source.load(job)
    except RuleDslError as exc:
        raise BucketError(f"{job.label()}: {exc}", scheme=job.scheme, bucket=job.bucket) from exc
    except Exception as exc:  # noqa: BLE001
        raise BucketError(f"{job.label()}: {type(exc).__name__}: {exc}",
                          scheme=job.scheme, bucket=job.bucket) from exc
    # (a batch held in memory: the next job reuses the freed memory, see _forget_bucket_caches)
    return execute_job(plan, kb, job, claims, values, params, getattr(source, "domains", None),
                       release_memory=source.kind != "memory")


class ThreadExecutor(LocalExecutor):
    """Jobs on a thread pool of ``workers`` threads (``--engine threads``).

    A job loads its bucket when it starts, so at most ``workers`` buckets are
    held at a time.  Jobs start biggest first; with a ``budget`` (bytes of
    claims, from ``--max-memory``) a job starts only while the jobs running
    and it fit in the budget (one job always runs), so two big buckets (two
    big hospitals) do not run side by side.
    """

    def __init__(self, source: Source, kb: Mapping[str, pa.Table], workers: int,
                 budget: float | None = None) -> None:
        super().__init__(source, kb)
        self.workers = max(1, workers)
        self.budget = budget
        self.pool = ThreadPoolExecutor(max_workers=self.workers,
                                       thread_name_prefix="ruledsl-bucket")

    def start(self, run: ScaledRun) -> None:
        """Encode an in-memory batch's strings, then split it by its partitionings side by
        side: persons first (the biggest split), then the others, those sharing fewer key
        columns with it first, so that the rest reuse the key hashes it made (10M lines,
        the 11 rules Polars is compared on, 2 threads: doctors then institutions beside
        persons, 1.26-1.39 s in seven runs; institutions then doctors, 1.47-1.51 s in three;
        the order had followed a set's)."""
        if isinstance(self.source, MemorySource):
            self.source.encode_strings(self.kb, self.pool.map, run.claim_columns())
            used = sorted({scheme for scheme, _, _ in run.plans if scheme != WHOLE},
                          key=lambda name: (name != PERSON.name,
                                            len(set(SCHEMES[name].links) & set(PERSON.links)),
                                            name))
            self.source.split(used, self.pool)

    def map(self, run: ScaledRun, jobs: Sequence[Job], values: Mapping[str, Any]
            ) -> Iterator[JobResult]:
        """The jobs on the pool, biggest first, each with ``values``."""
        return self._schedule(run, jobs, (), values)

    def map_phases(self, run: ScaledRun, first: Sequence[Job], second: Sequence[Job]
                   ) -> Iterator[JobResult]:
        """The jobs of both phases on the pool: a job of phase 2 may start as soon as every
        job of phase 1 that computes a batch-wide partial (the person jobs, which run first:
        they are the biggest) has ended, beside the rest of phase 1, instead of after all of
        it (10M fee lines: GL-10's 6 jobs waited for the last doctor job while the other
        thread had nothing to do)."""
        return self._schedule(run, first, second, {})

    def _schedule(self, run: ScaledRun, jobs: Sequence[Job], later: Sequence[Job],
                  values: Mapping[str, Any]) -> Iterator[JobResult]:
        size = dict(run.biggest_first(jobs))
        given = {job: values for job in size}
        pending = _apart_first(list(size), self.workers)
        owed = sum(1 for job in jobs if job.partials)  # (partials not yet computed)
        partials: list[Mapping[str, Any]] = []
        running: dict[Future[JobResult], int] = {}
        try:
            while pending or running or later:
                if later and not owed:  # phase 2: its values are known now
                    after = run.combine(partials)
                    for job, nbytes in run.biggest_first(later):
                        size[job], given[job] = nbytes, after
                    pending = sorted([*pending, *later], key=lambda j: -size[j])
                    later = ()
                while pending and len(running) < self.workers:
                    used = sum(running.values())
                    pick = next((j for j in pending if not running or self.budget is None
                                 or used + size[j] <= self.budget), None)
                    if pick is None:
                        break
                    pending.remove(pick)
                    fut = self.pool.submit(_load_and_run, self.source, run.plans[pick.key],
                                           self.kb, pick, given[pick], run.params)
                    running[fut] = size[pick]
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for f in done:
                    running.pop(f)
                    result = f.result()
                    if result.job.partials:
                        owed -= 1
                        partials.append(result.partials)
                    yield result
        finally:
            for f in running:
                f.cancel()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _apart_first(jobs: list[Job], workers: int) -> list[Job]:
    """``jobs`` (biggest first) with the first ``workers`` of different partitionings where
    there are such, then the rest in their order: jobs of one partitioning are alike, and
    two person buckets started together reach their peak memory together (10M fee lines:
    started 0.13 s apart, the run peaked at 5.1 GiB, with 7.4 s of system time; 0.4-0.6 s
    apart, at 3.9-4.4 GiB). Started first beside an institution bucket, the person buckets
    run ~3 s apart: 5 alternating runs, system time 3.95-5.18 s against 4.78-6.05 s, peak
    3.72-4.14 against 3.91-4.33 GiB, wall time no different (28.1-30.4 s)."""
    first: list[Job] = []
    for job in jobs:
        if len(first) == workers:
            break
        if all(job.scheme != other.scheme for other in first):
            first.append(job)
    return [*first, *(job for job in jobs if job not in first)]


def run_scaled(compiled: CompiledRulebook, claims: Any, kb: Any, *, engine: str = "threads",
               workers: int = 2, buckets: int | None = None, scheduler: str | None = None,
               progress: Progress | None = None, notes: Callable[[str], None] | None = None,
               max_memory: int | None = None) -> tuple[pa.Table, list[RuleSummary]]:
    """Run ``compiled`` over ``claims`` bucket by bucket; same result as ``compiled.run``.

    The arguments are those of :func:`run_scaled_parts`, which returns the violations
    rule by rule instead (for outputs bigger than memory).
    """
    merged = run_scaled_parts(compiled, claims, kb, engine=engine, workers=workers,
                              buckets=buckets, scheduler=scheduler, progress=progress,
                              notes=notes, max_memory=max_memory)
    return merged.table(), merged.summary()


def run_scaled_parts(compiled: CompiledRulebook, claims: Any, kb: Any, *,
                     engine: str = "threads", workers: int = 2, buckets: int | None = None,
                     scheduler: str | None = None, progress: Progress | None = None,
                     notes: Callable[[str], None] | None = None, max_memory: int | None = None,
                     spill: os.PathLike[str] | str | None = None,
                     phases: Callable[[str], None] | None = None,
                     prefetched: ClaimsPrefetch | None = None) -> MergedViolations:
    """Run ``compiled`` over ``claims`` bucket by bucket; the violations rule by rule.

    Args:
        compiled: A compiled rulebook.
        claims: A claims folder, in-memory tables, or a dataset written by
            ``ruledsl partition`` (its buckets are used as they are).
        kb: The knowledge-base folder or tables.
        engine: ``local``, ``threads`` or ``dask``.
        workers: Threads (``threads``) or Dask workers of a local cluster.
        buckets: Buckets of an in-memory batch (default :func:`default_buckets`: 2 per
            worker, 3 for a batch of at least :data:`BIG_BATCH_ROWS`).
        scheduler: ``dask``: the scheduler address (default: a ``LocalCluster``).
        progress: Called as ``progress(label, done, total)`` after each job.
        notes: Called with informational lines (rules that run on the whole batch …).
        max_memory: Bytes; when the estimated need is higher, advice goes to ``notes``.
        spill: A folder where each job's violations are written as it finishes, instead
            of being kept in memory.
        phases: Called with a line when a step before the jobs (reading the claims,
            encoding and splitting them) took at least :data:`PHASE_NOTE_FROM_S` seconds,
            so that an operator sees where a long run is before its first job ends.
        prefetched: ``claims`` (a folder), already being read (:class:`ClaimsPrefetch`).

    Returns:
        The merged violations: :meth:`MergedViolations.parts`, then
        :meth:`MergedViolations.summary`.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")

    def timed(zh: str, en: str, step: Callable[[], T]) -> T:
        start = time.perf_counter()
        value = step()
        seconds = time.perf_counter() - start
        if phases is not None and seconds >= PHASE_NOTE_FROM_S:
            phases(f"{zh}（{seconds:.1f} 秒）/ {en} ({seconds:.1f} s)")
        return value

    source = timed("已读取理赔数据", "claims read",
                   lambda: open_source(claims, compiled.rules, buckets, workers,
                                       encoded_here=engine != "dask", prefetched=prefetched))
    k = source.k
    kb_tables = read_tables(kb, "kb", compiled.rules)
    run = ScaledRun(compiled, source)
    if engine == "dask":
        from .dask_engine import DaskExecutor

        executor: LocalExecutor | Any = DaskExecutor(source, kb_tables, workers, scheduler)
    elif engine == "threads":
        budget = None
        if max_memory is not None:
            resident = source.whole_nbytes(source.tables) if source.kind == "memory" else 0
            budget = max(0.0, (max_memory - BASE_BYTES - resident) / ENGINE_FACTOR)
        executor = ThreadExecutor(source, kb_tables, workers, budget)
    else:
        executor = LocalExecutor(source, kb_tables)
    # before any job starts: the plans, knowledge base and libraries are left out of the
    # garbage collection that frees each finished job (see ``_forget_bucket_caches``)
    frozen = freeze_long_lived()
    try:
        # threads: encodes and splits an in-memory batch, which the advice needs too
        splits = engine == "threads" and source.kind == "memory"
        timed("已编码并拆分为分桶" if splits else "分桶任务已就绪",
              f"encoded and split into {k} buckets per partitioning" if splits
              else "ready to run the jobs", lambda: executor.start(run))
        lines = list(run.notes)
        if max_memory is not None:
            lines += memory_advice(run, workers, max_memory)
        for line in lines:
            if notes is not None:
                notes(line)
        first = run.jobs(1)
        second = run.jobs(2)
        total = len(first) + len(second)
        results: list[JobResult] = []

        def keep(r: JobResult) -> None:
            results.append(spill_result(spill, r) if spill is not None else r)
            if progress is not None:
                progress(r.job.label(), len(results), total)

        for r in executor.map_phases(run, first, second):
            keep(r)
    finally:
        executor.close()
        thaw_long_lived(frozen)
    return MergedViolations(compiled, results)


PHASE_NOTE_FROM_S = 1.0
"""Steps before the jobs that take at least this long are reported (``phases``)."""
ENGINE_FACTOR = 9.0
"""Peak memory of a job ÷ the Arrow bytes of its claims (measured, see ``benchmarks/scale.py``)."""
BASE_BYTES = 400 << 20
"""Interpreter, libraries, compiled plan and knowledge base."""


def parse_size(text: str) -> int:
    """Bytes from ``4G``, ``4GiB``, ``512M``, ``1.5g`` or a plain number of bytes.

    Example:
        >>> parse_size("4G"), parse_size("512MiB"), parse_size("1000")
        (4294967296, 536870912, 1000)
    """
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    factor = scale.get(t[-1:], 1)
    number = t[:-1] if t[-1:] in scale else t
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"not a size: {text!r} (write e.g. 4G or 512M)") from None
    if value <= 0:
        raise ValueError(f"not a positive size: {text!r}")
    return int(value * factor)


def _gib(n: float) -> str:
    return f"{n / (1 << 30):.2f} GiB"


def memory_advice(run: ScaledRun, workers: int, limit: int) -> list[str]:
    """Advice when the run is estimated to need more than ``limit`` bytes.

    The estimate of a job is ``ENGINE_FACTOR`` × the Arrow bytes of the claims
    it holds; ``workers`` jobs run at once; an in-memory batch also stays
    resident as a whole.
    """
    jobs = run.jobs(1) + run.jobs(2)
    est = sorted(run.estimates(jobs), key=lambda x: -x[1])
    if not est:
        return []
    resident = 0
    if run.source.kind == "memory":
        resident = run.source.whole_nbytes(run.source.tables)
    concurrent = sum(b for _, b in est[:max(1, workers)])
    need = BASE_BYTES + resident + ENGINE_FACTOR * concurrent
    if need <= limit:
        return []
    job, biggest = est[0]
    out = [f"estimated peak memory {_gib(need)} > --max-memory {_gib(limit)} "
           f"({workers} worker(s); largest job: {job.label()}, {_gib(biggest)} of claims, "
           f"about {_gib(ENGINE_FACTOR * biggest)} to run)"]
    if resident and resident > limit / 4:
        out.append(f"the whole batch stays in memory ({_gib(resident)}): write it as a dataset "
                   "with `ruledsl partition` and run over that, so memory is bounded by buckets")
    if limit <= BASE_BYTES + resident:
        out.append(f"--max-memory is below what the run needs before any bucket "
                   f"(about {_gib(BASE_BYTES + resident)})")
        return out
    budget = (limit - BASE_BYTES - resident) / max(1, workers) / ENGINE_FACTOR
    if job.scheme == WHOLE:
        ids = ", ".join(job.rules)
        out.append(f"rules {ids} run on the whole batch; partition the data by what they need "
                   "(`ruledsl partition --by auto --rulebook …`) or run them on a smaller batch")
    elif biggest > budget:
        factor = biggest / budget
        k = int(np.ceil(run.source.k * factor))
        out.append(f"re-partition with --buckets {k} or more (buckets now: {run.source.k})"
                   + (", or use fewer workers" if workers > 1 else ""))
    elif workers > 1:
        out.append(f"use fewer workers (--workers {max(1, int(workers / (need / limit)))})")
    return out
