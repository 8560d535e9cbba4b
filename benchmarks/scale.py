#!/usr/bin/env python
"""Scale benchmarks (issue 7): threads vs one worker, Dask vs threads, out of core. Not a test.

    python benchmarks/scale.py generate --lines 100M --out /tmp/ruledsl-scale/100m
    python benchmarks/scale.py workers  --claims DIR --kb DIR [--buckets 8]
    python benchmarks/scale.py dask     --claims DIR --kb DIR [--buckets 8]
    python benchmarks/scale.py ooc      --claims DIR --kb DIR --buckets 200 [--workers 2]
    python benchmarks/scale.py fault    --claims DIR --kb DIR

* ``generate``: a demo batch of N fee lines written as one Parquet file per table (contract
  §1), built 1M lines at a time (``ruledsl.demo.build`` with one seed per chunk, ids made
  disjoint by the chunk number, the knowledge base of chunk 0), so any size fits in memory.
* ``workers``: the compiled plan over an in-memory batch split in ``--buckets`` person /
  institution / doctor buckets, 1 worker then 2 (``--engine threads``); wall and CPU seconds.
* ``dask``: the same buckets on a Dask ``LocalCluster`` (2 single-threaded worker processes;
  and 2 threads in one process) vs the thread pool, over a partitioned dataset so that each
  worker reads its own buckets; the cluster's start-up is timed apart (``cluster_startup_s``)
  and the overhead is reported without and with it.
* ``ooc``: ``ruledsl partition`` then ``ruledsl run`` over the dataset, each in a subprocess
  whose peak RSS (the whole process tree, sampled) is reported.
* ``fault``: a Dask run where one worker process is killed mid-run; the output must equal the
  single-threaded one.

Every measurement runs in a fresh subprocess; results are printed as JSON lines and appended
to ``benchmarks/results/scale.jsonl`` with the machine's load average (other sessions share
this 2-core machine: wall times under load are not CPU times).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import source_state  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RULEBOOK = ROOT / "rulebooks" / "ningxia"
RESULTS = Path(os.environ.get("RULEDSL_SCALE_RESULTS", "/tmp/ruledsl-scale/results.jsonl"))
ID_COLUMNS = ("psn_no", "mdtrt_id", "setl_id", "feedetl_sn", "rxno")


def parse_lines(text: str) -> int:
    mult = {"K": 1_000, "M": 1_000_000}.get(text[-1:].upper(), 1)
    return int(float(text[:-1] if mult > 1 else text) * mult)


# ------------------------------------------------------------------ generate --
def generate(lines: int, out: Path, chunk_persons: int = 20_000) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from ruledsl.demo.generate import build, write_tables

    out.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    rows: dict[str, int] = {}
    start = time.perf_counter()
    chunk = 0
    while rows.get("fee", 0) < lines:
        data = build(chunk_persons, seed=chunk)
        if chunk == 0:
            write_tables(out / "kb", data.kb)
        for name, table in data.claims.items():
            cols = []
            for field, col in zip(table.schema, table.columns):
                if field.name in ID_COLUMNS:  # "64" + 18 digits etc.: digits 2..5 carry the chunk
                    col = pc.utf8_replace_slice(col, start=2, stop=6,
                                                replacement=f"{chunk:04d}")
                cols.append(col)
            table = pa.Table.from_arrays(cols, schema=table.schema)
            if name not in writers:
                (out / "claims").mkdir(parents=True, exist_ok=True)
                writers[name] = pq.ParquetWriter(out / "claims" / f"{name}.parquet",
                                                 table.schema, compression="zstd")
            writers[name].write_table(table, row_group_size=1 << 20)
            rows[name] = rows.get(name, 0) + table.num_rows
        chunk += 1
        print(f"chunk {chunk}: {rows['fee']} fee lines ({time.perf_counter() - start:.0f}s)",
              file=sys.stderr, flush=True)
    for w in writers.values():
        w.close()
    info = {"lines": rows["fee"], "rows": rows, "chunks": chunk,
            "seconds": round(time.perf_counter() - start, 1)}
    (out / "done.json").write_text(json.dumps(info))
    return info


# ---------------------------------------------------------------- measuring --
def measure(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd``; wall seconds, CPU seconds and the peak RSS of its whole process tree."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not stop.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree))
            except psutil.Error:
                pass
            stop.wait(0.2)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    stop.set()
    t.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, Any] = {"returncode": proc.returncode,
                              "wall_s": round(time.perf_counter() - start, 2),
                              "peak_rss_tree_mib": round(peak[0] / 2**20)}
    try:
        result.update(json.loads(out.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        result["stdout"] = out[-2000:]
    if proc.returncode:
        result["stderr"] = err[-3000:]
    del usage
    return result


def record(kind: str, result: dict[str, Any]) -> None:
    row = {"bench": kind, "load1": round(os.getloadavg()[0], 2),
           "time": time.strftime("%Y-%m-%d %H:%M:%S"), "engine": source_state(), **result}
    print(json.dumps(row, ensure_ascii=False), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")


# --------------------------------------------------------- worker processes --
def worker(spec: dict[str, Any]) -> None:
    """One measured configuration (runs in its own process; prints one JSON line)."""
    import ruledsl
    from ruledsl.execute.compiled import read_tables
    from ruledsl.scale.threads import run_scaled

    book = ruledsl.load_rulebook(RULEBOOK)
    plan = book.compile(rules=spec.get("rules"))
    claims: Any = spec["claims"]
    kb = read_tables(spec["kb"], "kb", plan.rules)
    t0 = time.perf_counter()
    if spec.get("in_memory"):
        claims = read_tables(claims, "claims", plan.rules)
    load_s = time.perf_counter() - t0
    startup_s, cluster = None, None
    if spec["engine"] == "dask" and not spec.get("scheduler"):
        # the LocalCluster run_scaled would start, started here so that it is timed apart
        from distributed import LocalCluster

        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=spec["workers"], threads_per_worker=1,
                               processes=os.environ.get("RULEDSL_DASK_PROCESSES", "1") != "0",
                               dashboard_address=None)
        spec["scheduler"] = cluster.scheduler_address
        startup_s = round(time.perf_counter() - t0, 2)
    cpu0, t0 = time.process_time(), time.perf_counter()
    if spec["engine"] == "plain":
        table = plan.run(claims, kb)
    else:
        table, _ = run_scaled(plan, claims, kb, engine=spec["engine"], workers=spec["workers"],
                              buckets=spec.get("buckets"), scheduler=spec.get("scheduler"))
    wall = time.perf_counter() - t0
    out = {"load_s": round(load_s, 2), "run_s": round(wall, 2),
           "run_cpu_s": round(time.process_time() - cpu0, 2), "violations": table.num_rows,
           "maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    if startup_s is not None:
        out["cluster_startup_s"] = startup_s
        cluster.close()
    if spec.get("save"):
        from ruledsl.execute.output import write_violations

        write_violations(table, spec["save"])
    print(json.dumps(out))


def spawn(spec: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    return measure([sys.executable, __file__, "--worker", json.dumps(spec)], env)


def bench_workers(args: argparse.Namespace) -> None:
    from ruledsl.scale.buckets import is_dataset

    base = {"claims": args.claims, "kb": args.kb, "in_memory": not is_dataset(args.claims),
            "buckets": args.buckets}
    one = spawn({**base, "engine": "threads", "workers": 1})
    record("workers=1", {**base, **one})
    two = spawn({**base, "engine": "threads", "workers": 2})
    record("workers=2", {**base, **two})
    if one.get("run_s") and two.get("run_s"):
        record("speedup", {"speedup_wall": round(one["run_s"] / two["run_s"], 3),
                           "cpu_1": one.get("run_cpu_s"), "cpu_2": two.get("run_cpu_s")})


def bench_dask(args: argparse.Namespace) -> None:
    from ruledsl.scale.buckets import is_dataset

    data = args.claims
    if not is_dataset(data):
        data = str(Path(args.work) / "dataset-dask")
        if not is_dataset(data):
            part = measure([sys.executable, "-m", "ruledsl", "-q", "partition", "--claims",
                            args.claims, "--out", data, "--by", "person,institution,doctor",
                            "--buckets", str(args.buckets)])
            record("partition", part)
    base = {"claims": data, "kb": args.kb}
    threads = spawn({**base, "engine": "threads", "workers": 2})
    record("threads-2 over dataset", {**base, **threads})
    procs = spawn({**base, "engine": "dask", "workers": 2})
    record("dask LocalCluster 2 processes", {**base, **procs})
    inproc = spawn({**base, "engine": "dask", "workers": 2},
                   env={"RULEDSL_DASK_PROCESSES": "0"})
    record("dask LocalCluster 2 threads (processes=False)", {**base, **inproc})
    for name, r in (("processes", procs), ("threads", inproc)):
        if threads.get("run_s") and r.get("run_s"):
            with_startup = r["run_s"] + r.get("cluster_startup_s", 0)
            record(f"dask overhead ({name})",
                   {"overhead": round(r["run_s"] / threads["run_s"] - 1, 3),
                    "overhead_with_cluster_startup": round(with_startup / threads["run_s"] - 1,
                                                           3)})


def bench_ooc(args: argparse.Namespace) -> None:
    data = str(Path(args.work) / f"dataset-{args.buckets}")
    if args.skip_partition:
        return _ooc_run(args, data)
    part = measure([sys.executable, "-m", "ruledsl", "-q", "partition", "--claims", args.claims,
                    "--out", data, "--by", "auto", "--rulebook", str(RULEBOOK),
                    "--buckets", str(args.buckets)])
    record("ooc partition", {"claims": args.claims, "buckets": args.buckets, **part})
    _ooc_run(args, data)


def _ooc_run(args: argparse.Namespace, data: str) -> None:
    manifest = json.loads((Path(data) / "_ruledsl_dataset.json").read_text())
    fee = manifest["schemes"]["person"]["tables"]["fee"]["rows"]
    sizes = {s: max(max(t["rows"]) for t in d["tables"].values())
             for s, d in manifest["schemes"].items()}
    run = measure([sys.executable, "-m", "ruledsl", "-q", "run", str(RULEBOOK), "--claims", data,
                   "--kb", args.kb, "--workers", str(args.workers),
                   "--max-memory", args.max_memory, "--summary",
                   str(Path(args.work) / "ooc-summary.json"), "-o",
                   str(Path(args.work) / "ooc-violations.parquet")])
    summary = json.loads((Path(args.work) / "ooc-summary.json").read_text()) \
        if run["returncode"] == 0 else {}
    record("ooc run", {"dataset": data, "fee_lines": sum(fee), "largest_bucket_rows": sizes,
                       "workers": args.workers, "violations": summary.get("violations"), **run})


def bench_fault(args: argparse.Namespace) -> None:
    """Kill one Dask worker process while the run is going; compare with one worker."""
    import pyarrow.parquet as pq

    ref_path = Path(args.work) / "fault-ref.parquet"
    spawn({"claims": args.claims, "kb": args.kb, "engine": "threads", "workers": 1,
           "buckets": args.buckets, "save": str(ref_path)})
    from distributed import Client, LocalCluster

    import ruledsl
    from ruledsl.scale.threads import run_scaled

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    killed: list[int] = []

    def killer() -> None:
        time.sleep(args.kill_after)
        pids = client.run(os.getpid)
        pid = sorted(pids.values())[0]
        os.kill(pid, 9)
        killed.append(pid)

    threading.Thread(target=killer, daemon=True).start()
    plan = ruledsl.load_rulebook(RULEBOOK).compile()
    t0 = time.perf_counter()
    table, _ = run_scaled(plan, args.claims, args.kb, engine="dask",
                          scheduler=cluster.scheduler_address, buckets=args.buckets)
    wall = time.perf_counter() - t0
    same = table.equals(pq.read_table(ref_path))
    client.close()
    cluster.close()
    record("fault", {"killed_worker_pid": killed, "identical_to_one_worker": same,
                     "run_s": round(wall, 2), "violations": table.num_rows})


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 2 and sys.argv[1] == "--worker":
        worker(json.loads(sys.argv[2]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--lines", default="10M")
    g.add_argument("--out", required=True)
    for name in ("workers", "dask", "ooc", "fault"):
        p = sub.add_parser(name)
        p.add_argument("--claims", required=True)
        p.add_argument("--kb", required=True)
        p.add_argument("--buckets", type=int, default=8)
        p.add_argument("--workers", type=int, default=2)
        p.add_argument("--work", default="/tmp/ruledsl-scale/work")
        p.add_argument("--kill-after", type=float, default=20.0)
        p.add_argument("--max-memory", default="4G")
        p.add_argument("--skip-partition", action="store_true")
    args = ap.parse_args(argv)
    if args.cmd == "generate":
        record("generate", generate(parse_lines(args.lines), Path(args.out)))
        return 0
    Path(args.work).mkdir(parents=True, exist_ok=True)
    {"workers": bench_workers, "dask": bench_dask, "ooc": bench_ooc, "fault": bench_fault}[
        args.cmd](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
