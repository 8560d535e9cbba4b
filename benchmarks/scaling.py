#!/usr/bin/env python
"""Cost per million fee lines of the compiled 46-rule plan at 1M, 3M and 10M (issue 5, part 2).

    python benchmarks/scaling.py [--lines 1M,3M,10M] [--threads 1] [--buckets 0] [--data DIR]

Each size runs in a fresh subprocess (``throughput.py``'s ``plan`` worker: load the Parquet
batch, then time ``compile().run_with_summary`` on the in-memory tables, which runs a batch
of 8M claim rows or more bucket by bucket on its one thread (``SPLIT_FROM_ROWS`` in
``ruledsl.execute.compiled``; ``--one-batch`` keeps it whole); with ``--buckets B``,
the plan over N x B person/institution/doctor buckets on ``--threads N`` worker threads, as
``throughput.py`` measures it with N > 1; one thread too). Reported: wall
seconds and CPU seconds of the run, both per million lines, peak RSS, the machine's load. The
target is a cost per million lines flat within 1.3x from the smallest to the largest size.
Results: ``benchmarks/results/scaling.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

THROUGHPUT = Path(__file__).resolve().parent / "throughput.py"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", default="1M,3M,10M")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--buckets", type=int, default=0,
                    help="run over N x this many buckets on N threads (0: the plan's own run)")
    ap.add_argument("--one-batch", action="store_true",
                    help="with --buckets 0: never split the batch (run_with_summary(split=False))")
    ap.add_argument("--data", type=Path, default=C.DEFAULT_DATA)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=3600)
    args = ap.parse_args(argv)
    meta = C.machine()
    rows, runs = [], []
    for text in args.lines.split(","):
        lines = C.parse_size(text)
        folder = C.dataset(C.persons_for(lines), args.data, args.seed)
        fee = C.dataset_rows(folder)["fee"]
        out = Path(args.data) / "out" / folder.name / f"scaling-plan-{args.threads}.parquet"
        spec: dict[str, object] = {"kind": "plan", "folder": str(folder), "out": str(out)}
        if args.buckets:
            spec.update(workers=args.threads, buckets=args.buckets * args.threads)
        elif args.one_batch:
            spec.update(one_batch=True)
        r = C.run_worker(THROUGHPUT, spec, args.threads, args.timeout)
        r.update(size=text, fee_lines=fee)
        r.pop("per_rule_s", None) if "error" in r else None
        runs.append(r)
        if "error" in r:
            print(f"  {text}: {r['error'][:300]}", flush=True)
            rows.append([text, fee, "failed", "", "", "", r.get("maxrss_mb"), r["loadavg_before"]])
            continue
        m = fee / 1e6
        r["s_per_m"] = round(r["seconds"] / m, 2)
        r["cpu_s_per_m"] = round(r["measured_cpu_s"] / m, 2)
        print(f"  {text}: {r['seconds']} s ({r['s_per_m']} s/M lines), rss {r['maxrss_mb']} MiB",
              flush=True)
        rows.append([text, fee, r["seconds"], r["s_per_m"], r["measured_cpu_s"], r["cpu_s_per_m"],
                     r["maxrss_mb"], r["loadavg_before"]])
    ok = [r for r in runs if "error" not in r]
    derived: dict[str, object] = {"sizes_compared": [r["size"] for r in ok],
                                  "sizes_failed": [r["size"] for r in runs if "error" in r]}
    if len(ok) >= 2:
        derived["wall_ratio_largest_vs_smallest"] = round(ok[-1]["s_per_m"] / ok[0]["s_per_m"], 2)
        derived["cpu_ratio_largest_vs_smallest"] = round(ok[-1]["cpu_s_per_m"] / ok[0]["cpu_s_per_m"], 2)
        derived["flat_within_1_3x_cpu"] = derived["cpu_ratio_largest_vs_smallest"] <= 1.3
        derived["flat_within_1_3x_wall"] = derived["wall_ratio_largest_vs_smallest"] <= 1.3
    # the target is 1M -> 10M: it is met only if every size ran and the ratio holds
    derived["target_met"] = (len(ok) == len(runs) and len(ok) >= 2
                             and bool(derived.get("flat_within_1_3x_cpu")))
    payload = {"machine": meta, "threads": args.threads, "buckets": args.buckets,
               "one_batch": args.one_batch, "split": [bool(r.get("split")) for r in runs],
               "runs": runs, "derived": derived,
               "loadavg_end": C.load_avg(),
               "command": "python benchmarks/scaling.py " + " ".join(argv or sys.argv[1:])}
    path = C.write_json("scaling.json", payload)
    how = (f"{args.threads} thread(s) over {args.threads} x {args.buckets} buckets"
           if args.buckets else f"one batch, {args.threads} thread(s)" if args.one_batch
           else f"the plan's own run (a batch of 8M claim rows or more split), {args.threads} thread(s)")
    print(f"\n== scaling, compiled 46-rule plan in memory, {how}, {meta['date']}")
    print(C.table(rows, ["size", "fee lines", "wall s", "wall s / M lines", "CPU s",
                         "CPU s / M lines", "peak RSS MiB", "load avg before"]))
    print("derived:", json.dumps(derived))
    print(f"results: {path}")
    return 0 if len(ok) == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
