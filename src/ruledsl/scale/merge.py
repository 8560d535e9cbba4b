"""Merging the violations of a scaled run's jobs, in memory or from spilled runs.

Every job returns its firings sorted (:func:`~ruledsl.execute.output.concat_and_sort`).
The merged output is the table one ``plan.run`` over the whole batch gives: per rule,
one firing per key (:func:`~ruledsl.execute.output.dedup_order`), in output order.

With a spill folder (``ruledsl run`` over buckets), each job's firings are
de-duplicated and written as they arrive (:func:`spill_result`): one Parquet
file per job, each rule's firings in row groups of their own, so that reading a
rule reads only its row groups.  A rule is then merged one of two ways:

* small (under :data:`EXTERNAL_FROM_ROWS` firings and :data:`EXTERNAL_FROM_BYTES`):
  read whole, de-duplicated and sorted in memory;
* big: an **external merge**.  A key is fired in one bucket only (the partitioning
  keeps each key's rows together), so after each job's own de-duplication the
  keys are unique and the output order is the sort of the key columns alone.  The
  key columns are read and sorted; the output is then produced in pieces of about a
  row group (:data:`~ruledsl.execute.output.ROW_GROUP_ROWS` rows,
  :data:`~ruledsl.execute.output.ROW_GROUP_BYTES` bytes): a piece takes a contiguous
  stretch of each job's sorted run (their order agrees with the output's), read
  from its row groups.  Memory: the key columns plus one piece, not the rule's
  firings.  Should two jobs ever fire the same key, the rule is merged in memory
  instead, so the result is always the in-memory one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import numpy as np
import pyarrow as pa

from ..execute import output as violations_output
from ..execute.compiled import CompiledRulebook, RuleSummary
from ..execute.output import (
    OUTPUT_SORT_KEYS,
    VIOLATION_COLUMNS,
    VIOLATION_SCHEMA,
    concat_and_sort,
    dedup_order,
    empty_violations,
    key_order,
    split_by_rule,
)

if TYPE_CHECKING:
    from .threads import Job, JobResult

EXTERNAL_FROM_ROWS = 1 << 20
"""A spilled rule with at least this many firings is merged externally …"""
EXTERNAL_FROM_BYTES = 1 << 28
"""… and so is one with at least this many bytes of firings
(:func:`~ruledsl.execute.output.row_bytes`: long ``lines`` lists)."""


READ_AT_ONCE_UP_TO_BYTES = 1 << 26
"""When all the spilled firings of a run hold fewer bytes than this
(:func:`~ruledsl.execute.output.row_bytes`), each spilled file is read once, whole, rather
than once per rule: at 1M fee lines with 6 buckets per partitioning (24 jobs, 46 rules) the
output read spilled files 229 times, 0.37 of the 0.63 s it took; read once each, 0.32 s
(both under cProfile)."""


@attrs.frozen
class SpilledRun:
    """Where a job's firings were spilled: the file and, per rule, its row groups."""

    path: str
    row_groups: dict[str, tuple[int, ...]]
    """``rule_id`` → the row groups holding that rule's firings (sorted, one per key)."""
    rows: dict[str, int]
    """``rule_id`` → its number of firings in this job."""
    nbytes: dict[str, int]
    """``rule_id`` → the bytes of those firings (:func:`~ruledsl.execute.output.row_bytes`)."""
    group_rows: int
    """Rows per row group (a rule's last one may hold fewer)."""

    def read(self, rule_id: str, columns: list[str] | None = None) -> pa.Table:
        """The job's firings of ``rule_id`` (``columns`` only, if given)."""
        import pyarrow.parquet as pq

        file = pq.ParquetFile(self.path)
        return file.read_row_groups(list(self.row_groups[rule_id]), columns=columns)

    def read_by_rule(self) -> dict[str, pa.Table]:
        """All the job's firings, read at once, by rule."""
        import pyarrow.parquet as pq

        table = pq.read_table(self.path)
        return {part.column("rule_id")[0].as_py(): part for part in split_by_rule(table)}

    def read_rows(self, rule_id: str, low: int, high: int) -> pa.Table:
        """The job's firings ``low`` … ``high`` (inclusive) of ``rule_id``: only the row
        groups that hold them are read."""
        import pyarrow.parquet as pq

        first, last = low // self.group_rows, high // self.group_rows
        groups = self.row_groups[rule_id][first:last + 1]
        table = pq.ParquetFile(self.path).read_row_groups(list(groups))
        start = low - first * self.group_rows
        # a copy of the rows wanted (a slice would keep the whole row groups alive)
        return table.take(pa.array(np.arange(start, start + high - low + 1)))


def _spill_file(folder: os.PathLike[str] | str, job: Job) -> Path:
    return Path(folder) / f"p{job.phase}-{job.scheme}-u{job.unit}-b{job.bucket}.parquet"


def spill_result(folder: os.PathLike[str] | str, result: JobResult) -> JobResult:
    """Write a job's violations to ``folder`` (de-duplicated, each rule in row groups of its
    own); the result without them, pointing at the file."""
    import pyarrow.parquet as pq

    table = result.table.select(list(VIOLATION_COLUMNS)).cast(VIOLATION_SCHEMA)
    if table.num_rows:
        table = table.take(dedup_order(table))
    path = _spill_file(folder, result.job)
    groups: dict[str, tuple[int, ...]] = {}
    rows: dict[str, int] = {}
    nbytes: dict[str, int] = {}
    written, step = 0, violations_output.ROW_GROUP_ROWS
    with pq.ParquetWriter(path, VIOLATION_SCHEMA) as writer:
        for part in split_by_rule(table):
            rule_id = part.column("rule_id")[0].as_py()
            count = 0
            for start in range(0, part.num_rows, step):
                piece = part.slice(start, step)
                writer.write_table(piece, row_group_size=piece.num_rows)
                count += 1
            groups[rule_id] = tuple(range(written, written + count))
            rows[rule_id] = part.num_rows
            nbytes[rule_id] = int(violations_output.row_bytes(part).sum())
            written += count
    return attrs.evolve(result, table=empty_violations(),
                        spilled=SpilledRun(str(path), groups, rows, nbytes, step))


class MergedViolations:
    """The violations of all jobs of a run, rule by rule, sorted and de-duplicated.

    A job's result is counted once, even if it was delivered twice (a rerun Dask task).
    Results spilled by :func:`spill_result` are read back one rule at a time (see the
    module docstring), so the output of a run need not fit in memory.
    """

    def __init__(self, compiled: CompiledRulebook, results: Iterable[JobResult]) -> None:
        self.compiled = compiled
        done = sorted(results, key=lambda r: (r.job.phase, r.job.scheme, r.job.unit,
                                              r.job.bucket))
        seen: set[tuple[int, str, int, int]] = set()
        self.results: list[JobResult] = []
        for r in done:
            ident = (r.job.phase, r.job.scheme, r.job.unit, r.job.bucket)
            if ident not in seen:
                seen.add(ident)
                self.results.append(r)
        self._counts: dict[str, tuple[int, float]] = {}

    def parts(self) -> Iterator[pa.Table]:
        """Each rule's violations (rules in output order), sorted and de-duplicated, in
        pieces of at most :data:`~ruledsl.execute.output.ROW_GROUP_ROWS` rows."""
        rule_ids = sorted({s.rule_id for r in self.results for s in r.summary})
        spilled = [r.spilled for r in self.results if r.spilled is not None]
        at_once = {run.path: run.read_by_rule() for run in spilled} \
            if sum(sum(run.nbytes.values()) for run in spilled) < READ_AT_ONCE_UP_TO_BYTES \
            else None
        held = [r.table for r in self.results if r.spilled is None]
        pieces = {}
        if any(t.num_rows for t in held):
            merged = concat_and_sort(held)
            pieces = {part.column("rule_id")[0].as_py(): part for part in split_by_rule(merged)}
        for rule_id in rule_ids:
            runs = [r.spilled for r in self.results
                    if r.spilled is not None and rule_id in r.spilled.rows]
            rows = sum(run.rows[rule_id] for run in runs)
            size = sum(run.nbytes[rule_id] for run in runs)
            step = _piece_rows(rows, size)
            if rule_id not in pieces and (rows >= EXTERNAL_FROM_ROWS
                                          or size >= EXTERNAL_FROM_BYTES):
                merged_parts = _external_merge(rule_id, runs, step)
                if merged_parts is not None:
                    yield from self._counted(rule_id, merged_parts)
                    continue
            parts = [run.read(rule_id) if at_once is None else at_once[run.path][rule_id]
                     for run in runs]
            if rule_id in pieces:
                parts.append(pieces.pop(rule_id))
            if not parts:
                continue
            table = pa.concat_tables([p.select(list(VIOLATION_COLUMNS)).cast(VIOLATION_SCHEMA)
                                      for p in parts])
            if table.num_rows == 0:
                continue
            order = dedup_order(table)
            # a rule's firings in pieces of about a row group: a copy of one piece at a time
            yield from self._counted(rule_id, (table.take(order.slice(start, step)).combine_chunks()
                                               for start in range(0, len(order), step)))

    def _counted(self, rule_id: str, parts: Iterable[pa.Table]) -> Iterator[pa.Table]:
        """Pass ``parts`` on, counting the rule's firings and amount (summed in output
        order, as ``plan.run``'s summary does)."""
        firings, amounts = 0, []
        for part in parts:
            firings += part.num_rows
            amounts.append(part.column("vola_amt").to_numpy(zero_copy_only=False))
            yield part
        total = np.nansum(np.concatenate(amounts).astype(float)) if amounts else 0.0
        self._counts[rule_id] = (firings, round(float(total), 2))

    def table(self) -> pa.Table:
        """All the violations as one sorted table (in memory)."""
        return concat_and_sort(list(self.parts()))

    def summary(self) -> list[RuleSummary]:
        """Per-rule summary (after :meth:`parts` has been read)."""
        out = []
        summaries = [s for r in self.results for s in r.summary]
        for rule in self.compiled.rules:
            mine = [s for s in summaries if s.rule_id == rule.id]
            firings, amount = self._counts.get(rule.id, (0, 0.0))
            bad = [s for s in mine if not s.evaluable]
            out.append(RuleSummary(rule.id, 0 if bad else firings, 0.0 if bad else amount,
                                   not bad, bad[0].reason if bad else None,
                                   sum(s.seconds for s in mine)))
        return out


def _piece_rows(rows: int, size: int) -> int:
    """Rows per piece of a rule's merged output: about a row group's rows and bytes."""
    step = violations_output.ROW_GROUP_ROWS
    if size > 0 and rows > 0:
        step = min(step, max(1, int(violations_output.ROW_GROUP_BYTES * rows / size)))
    return step


def _external_merge(rule_id: str, runs: list[SpilledRun], step: int
                    ) -> Iterator[pa.Table] | None:
    """The firings of a big spilled rule in output order, piece by piece (see the module
    docstring); None when a key was fired by two jobs (merge in memory instead)."""
    keys = [run.read(rule_id, list(OUTPUT_SORT_KEYS)) for run in runs]
    sizes = np.array([k.num_rows for k in keys], dtype=np.int64)
    table = pa.concat_tables(keys)
    del keys
    order, unique = key_order(table)
    del table
    if not unique:
        return None
    position = np.asarray(order, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    run_of = np.searchsorted(starts, position, side="right") - 1
    row_of = position - starts[run_of]
    return _pieces(rule_id, runs, run_of, row_of, step)


def _pieces(rule_id: str, runs: list[SpilledRun], run_of: np.ndarray, row_of: np.ndarray,
            step: int) -> Iterator[pa.Table]:
    for start in range(0, len(run_of), step):
        which, rows = run_of[start:start + step], row_of[start:start + step]
        count = np.bincount(which, minlength=len(runs))
        low = np.full(len(runs), np.iinfo(np.int64).max)
        high = np.full(len(runs), -1)
        np.minimum.at(low, which, rows)
        np.maximum.at(high, which, rows)
        present = np.flatnonzero(count)
        # a job's run is sorted like the output: its rows in a piece are contiguous
        assert bool(np.all(high[present] - low[present] + 1 == count[present]))
        stretches, offsets, taken = [], np.zeros(len(runs), dtype=np.int64), 0
        for j in present:
            stretches.append(runs[j].read_rows(rule_id, int(low[j]), int(high[j])))
            offsets[j] = taken - low[j]
            taken += int(count[j])
        combined = pa.concat_tables(stretches).combine_chunks()
        del stretches
        yield combined.take(pa.array(rows + offsets[which]))
