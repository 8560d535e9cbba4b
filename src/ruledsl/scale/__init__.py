"""Scale: the same compiled plan per bucket, on threads, out of core and on Dask.

* :mod:`~ruledsl.scale.partition`: which rules can run per person, institution
  or doctor bucket (a proof over the rule IR), and which need the whole batch;
* :mod:`~ruledsl.scale.buckets`: splitting a batch into buckets (connected
  components of the linked keys, hashed) in memory, and the hive-partitioned
  Parquet dataset written by ``ruledsl partition``;
* :mod:`~ruledsl.scale.threads`: the runner: buckets as tasks on a thread pool,
  batch-wide values first;
* :mod:`~ruledsl.scale.merge`: the jobs' outputs merged deterministically, in memory
  or from spilled runs (an external merge for big rules);
* :mod:`~ruledsl.scale.dask_engine`: the same tasks on Dask distributed.

Whatever the engine, bucket count or worker count, the violations table is
identical to ``book.compile().run(claims, kb)``.
"""

from __future__ import annotations

from .partition import PartitionPlan as PartitionPlan
from .partition import analyse_rule as analyse_rule
from .partition import partition_key as partition_key
from .partition import plan_partitions as plan_partitions

__all__ = ["PartitionPlan", "analyse_rule", "partition_key", "plan_partitions"]
