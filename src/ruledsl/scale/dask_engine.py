"""The jobs of :mod:`ruledsl.scale.threads` on Dask distributed (``--engine dask``).

* The client connects to ``scheduler`` (``tcp://host:8786``), or starts a
  :class:`distributed.LocalCluster` with ``workers`` single-threaded worker
  processes when no address is given.
* The compiled sub-plans and the knowledge base are **scattered once**
  (``broadcast=True``): every worker holds one copy, and each task refers to
  it by future.  A ``CompiledRulebook`` pickles (its rules are frozen attrs
  objects), so nothing is recompiled on the workers.
* **Buckets are tasks.**  Over a dataset written by ``ruledsl partition`` a
  task reads its own bucket files (the workers must see the dataset path: a
  shared file system or object store mount); over an in-memory batch the
  client cuts each bucket and sends it inside its task (not scattered, so the
  scheduler can rerun the task if the worker that held it dies).
* Jobs are prioritised biggest first, as on the thread pool.
* Results are merged as for threads: sorted by (phase, partitioning, bucket),
  one result per bucket, so a task that Dask ran twice (a worker was lost
  after finishing it) is not counted twice; the output is then de-duplicated
  and sorted as one run would.
* Each worker is prepared once, by a worker plugin (so is a worker that
  replaces a lost one): big arrays come from the C heap
  (:func:`~ruledsl.execute.memory.keep_freed_memory`; a Dask nanny starts its
  workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which turns every big numpy
  temporary into a fresh ``mmap`` and its page faults: each job took 1.5× as
  long at 10M lines), and the objects the worker holds by then (Dask's own,
  the sub-plans, the knowledge base) are frozen out of the garbage collector's
  scans (:func:`gc.freeze`), which each job's end would otherwise repeat over
  every object of the worker.  A finished job still hands its memory back, as
  with threads.
* A worker that dies mid-task is handled by the scheduler, which reruns the
  task elsewhere (up to ``distributed.scheduler.allowed-failures`` times).
  A task that raises is not retried: the error is raised again here as a
  :class:`~ruledsl.scale.threads.BucketError` naming the bucket.

Running on an existing cluster (Kubernetes with the Dask operator or Helm
chart, YARN with ``dask-yarn``, or ``dask scheduler`` / ``dask worker`` by
hand) only needs ruledsl installed in the worker image and the dataset on
storage every worker mounts; see ``docs/scale.rst``.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from ..errors import RuleDslError
from ..execute.memory import freeze_long_lived, keep_freed_memory, thaw_long_lived
from .threads import (
    BucketError,
    DatasetSource,
    Job,
    JobResult,
    ScaledRun,
    Source,
    execute_job,
    phases_in_turn,
)

try:
    from distributed import WorkerPlugin as _WorkerPlugin
except ImportError:  # without dask this module is imported but not used (see dask_available)
    _WorkerPlugin = object  # type: ignore[misc,assignment]

__all__ = ["DaskExecutor", "dask_available"]

_WORKER_SOURCES: dict[str, DatasetSource] = {}
_WORKER_LOCK = threading.Lock()


def dask_available() -> bool:
    """Whether ``dask.distributed`` can be imported."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def _worker_source(path: str) -> DatasetSource:
    """One :class:`DatasetSource` per worker process and dataset (replicated tables cached)."""
    with _WORKER_LOCK:
        source = _WORKER_SOURCES.get(path)
        if source is None:
            source = _WORKER_SOURCES[path] = DatasetSource(path)
        return source


class _PrepareWorker(_WorkerPlugin):
    """Worker plugin: heap for big arrays, long-lived objects frozen (module docstring)."""

    name = "ruledsl-prepare-worker"

    frozen = False

    def setup(self, worker: Any) -> None:
        keep_freed_memory()
        self.frozen = freeze_long_lived()

    def teardown(self, worker: Any) -> None:
        thaw_long_lived(self.frozen)


def _run_dataset_job(plans: Mapping[tuple[str, int, int], Any], kb: Mapping[str, pa.Table],
                     path: str, job: Job, values: Mapping[str, Any],
                     params: Mapping[str, Any]) -> JobResult:
    try:
        claims = _worker_source(path).load(job)
    except RuleDslError as exc:
        raise BucketError(f"{job.label()}: {exc}", scheme=job.scheme, bucket=job.bucket) from exc
    except Exception as exc:  # noqa: BLE001 - e.g. the worker does not see the path
        raise BucketError(f"{job.label()}: {type(exc).__name__}: {exc}",
                          scheme=job.scheme, bucket=job.bucket) from exc
    return execute_job(plans[job.key], kb, job, claims, values, params)


def _run_memory_job(plans: Mapping[tuple[str, int, int], Any], kb: Mapping[str, pa.Table],
                    claims: Mapping[str, pa.Table], job: Job, values: Mapping[str, Any],
                    params: Mapping[str, Any]) -> JobResult:
    return execute_job(plans[job.key], kb, job, claims, values, params)


class DaskExecutor:
    """Runs jobs as Dask tasks (see the module docstring).

    Args:
        source: The claims (a dataset is read by the workers themselves).
        kb: The normalised knowledge base.
        workers: Worker processes of the ``LocalCluster`` (no ``scheduler``).
        scheduler: Address of a running scheduler.
        processes: ``LocalCluster`` workers as processes (default) or threads.
    """

    def __init__(self, source: Source, kb: Mapping[str, pa.Table], workers: int = 2,
                 scheduler: str | None = None, processes: bool | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - the CLI checks first
            raise RuleDslError('--engine dask needs dask: pip install "dask[distributed]"') \
                from None
        self.source, self.kb = source, kb
        self.cluster = None
        if scheduler:
            self.client = Client(scheduler)
        else:
            if processes is None:
                processes = os.environ.get("RULEDSL_DASK_PROCESSES", "1") != "0"
            # silence_logs: a worker that outlives the scheduler at shutdown logs a
            # heartbeat error; the run's own errors are raised, not logged
            self.cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                                        processes=processes, dashboard_address=None,
                                        silence_logs=logging.CRITICAL)
            self.client = Client(self.cluster)
        self.plans: Any = None
        self.kb_future: Any = None

    def start(self, run: ScaledRun) -> None:
        """Ship the sub-plans and the knowledge base to every worker, once."""
        # a list of one object: scattering a dict would make one future per key, named by it
        self.plans = self.client.scatter([run.plans], broadcast=True, hash=False)[0]
        self.kb_future = self.client.scatter([dict(self.kb)], broadcast=True, hash=False)[0]
        self.client.register_plugin(_PrepareWorker())  # after the scatter: freezes them too

    def map(self, run: ScaledRun, jobs: Sequence[Job], values: Mapping[str, Any]
            ) -> Iterator[JobResult]:
        from distributed import as_completed

        futures = {}
        order = run.biggest_first(jobs)
        for rank, (job, _) in enumerate(order):
            key = f"ruledsl-p{job.phase}-{job.scheme}{job.unit}-{job.bucket}-{id(self):x}"
            # Dask runs higher priorities first: biggest jobs first, as the thread pool does
            options = {"key": key, "pure": False, "priority": len(order) - rank}
            if isinstance(self.source, DatasetSource):
                fut = self.client.submit(_run_dataset_job, self.plans, self.kb_future,
                                         str(self.source.dataset.path), job, dict(values),
                                         run.params, **options)
            else:
                # the bucket goes inside the task, not scattered: if its worker dies, the
                # scheduler still has it to rerun the task elsewhere
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    fut = self.client.submit(_run_memory_job, self.plans, self.kb_future,
                                             self.source.load(job), job, dict(values),
                                             run.params, **options)
            futures[fut] = job
        try:
            for fut in as_completed(list(futures)):
                job = futures[fut]
                try:
                    yield fut.result()
                except BucketError:
                    raise
                except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker
                    raise BucketError(f"{job.label()}: {type(exc).__name__}: {exc}",
                                      scheme=job.scheme, bucket=job.bucket) from exc
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def map_phases(self, run: ScaledRun, first: Sequence[Job], second: Sequence[Job]
                   ) -> Iterator[JobResult]:
        """The jobs of phase 1, then those of phase 2 (see :func:`~ruledsl.scale.threads.phases_in_turn`)."""
        return phases_in_turn(self, run, first, second)

    def close(self) -> None:
        """Close the client (and the local cluster, if this executor started it)."""
        if self.cluster is not None:
            self.client.retire_workers(close_workers=True)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()



