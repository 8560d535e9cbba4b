#!/usr/bin/env python
"""What fresh memory costs on this machine (for reading the other benchmarks' system time).

    python benchmarks/memory_touch.py [--gib 2] [--steps 5]

In a fresh process, allocates ``--steps`` numpy arrays of ``--gib`` GiB one after another and
writes every page of each (kept alive: every step touches pages this process never touched),
then frees the last one and touches the same size again (pages the process's heap or the
kernel hands back at once). Reports the wall and system seconds and the minor page faults of
each step. On a virtual machine whose host backs guest memory on first touch (a balloon with
free page reporting hands freed pages back to the host), pages the guest has not touched
lately cost far more than re-touched ones; each measured run's "CPU s" includes that cost
for every GiB it touches. Not part of the test suite. Results: ``benchmarks/results/memory_touch.json``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402


def touch(n_bytes: int) -> tuple[Any, dict[str, float]]:
    """A new array of ``n_bytes`` with every page written, and what writing them cost."""
    import numpy as np

    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    array = np.empty(n_bytes, dtype=np.uint8)
    array[::4096] = 1
    after = resource.getrusage(resource.RUSAGE_SELF)
    return array, {"wall_s": round(time.perf_counter() - start, 3),
                   "sys_s": round(after.ru_stime - before.ru_stime, 3),
                   "minor_faults": after.ru_minflt - before.ru_minflt}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gib", type=float, default=2.0, help="GiB per step")
    ap.add_argument("--steps", type=int, default=5, help="fresh steps (all kept alive)")
    args = ap.parse_args(argv)
    size = int(args.gib * (1 << 30))
    kept, steps = [], []
    for i in range(args.steps):
        array, cost = touch(size)
        kept.append(array)
        steps.append({"step": f"fresh {i + 1}", **cost})
    del kept[-1]
    _, cost = touch(size)
    steps.append({"step": "after freeing one", **cost})
    print(f"{'step':<18} | {'wall s':>7} | {'sys s':>7} | {'s per GiB':>9} | minor faults")
    for s in steps:
        print(f"{s['step']:<18} | {s['wall_s']:7.2f} | {s['sys_s']:7.2f} | "
              f"{s['wall_s'] / args.gib:9.2f} | {s['minor_faults']}")
    path = C.write_json("memory_touch.json", {"machine": C.machine(), "gib": args.gib,
                                              "steps": steps})
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
