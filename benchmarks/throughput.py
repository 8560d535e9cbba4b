#!/usr/bin/env python
"""Batch throughput of the 46-rule Ningxia rulebook beside DuckDB, Polars, no-sharing and
row-at-a-time peers (issue 5, part 1).

    python benchmarks/throughput.py --lines 1M,10M [--threads 1,2] [--data /tmp/ruledsl-bench]

For each size: generate (or reuse) the demo batch as Parquet under ``--data``; then, each in a
fresh subprocess (so that peak RSS is its own) and with 1 and 2 threads:

* ``load``      ``ruledsl.data.load.load_tables`` of claims and KB (+ in-memory Arrow size)
* ``plan``      the compiled 46-rule plan on the loaded tables (compile timed apart); with N > 1
                threads, the same plan over person/institution/doctor buckets on N worker
                threads (``ruledsl.scale.threads.run_scaled``): ruledsl's own kernels are
                single-threaded, so this is how it uses a second core. The buckets are the
                library's default for the batch's size and N
                (``ruledsl.scale.threads.default_buckets``), as ``ruledsl run --workers N``
                chooses them, unless ``--buckets B`` asks for N x B
* ``cli``       ``ruledsl run rulebooks/ningxia --claims --kb -o out.parquet`` end to end (with
                ``--workers N``, and ``--buckets N x B`` when ``--buckets B`` is given, for N > 1
                threads), ``--repeat`` times
* ``duckdb``    the oracle's hand-written SQL (``benchmarks/oracle``) on the same loaded tables
* ``polars``    lazy Polars for the most expensive rule shapes (``polars_rules.py``) and, beside
                it, ruledsl compiled for those same rules only
* ``nosharing`` each rule compiled and run on its own (a fresh batch per rule)
* ``rowwise``   the reference interpreter and GoRules ZEN on the line-level rules, on a ~100k-line
                person sample, extrapolated linearly to the full size (labelled as such)

The run refuses to report (exit 3) when ruledsl's violations differ from DuckDB's (or from the
CLI's, or from the no-sharing run's), and exit 4 when Polars' or ZEN's firings differ from
ruledsl's for the rules they implement. Results: ``benchmarks/results/throughput-<size>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

SCRIPT = Path(__file__).resolve()
ROWWISE_SAMPLE = 100_000


# =========================================================================== worker side
def _load(folder: Path) -> tuple[dict, dict, float, int]:
    from ruledsl.data.load import load_tables

    t = time.perf_counter()
    claims = load_tables(folder / "claims", "claims")
    kb = load_tables(folder / "kb", "kb")
    seconds = time.perf_counter() - t
    nbytes = sum(t.nbytes for t in claims.values()) + sum(t.nbytes for t in kb.values())
    return claims, kb, seconds, nbytes


def _write(table: Any, path: str) -> None:
    import pyarrow.parquet as pq

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def _repeat(res: dict[str, Any], spec: dict[str, Any], fn: Any) -> Any:
    """Run ``fn`` ``spec['repeat']`` times; ``seconds`` is the fastest wall time (the machine is
    shared), ``measured_cpu_s`` the CPU time (all threads) of that run; all runs are kept."""
    walls, cpus, value = [], [], None
    for _ in range(max(1, int(spec.get("repeat", 1)))):
        c, t = time.process_time(), time.perf_counter()
        value = fn()
        walls.append(round(time.perf_counter() - t, 3))
        cpus.append(round(time.process_time() - c, 3))
    best = min(range(len(walls)), key=walls.__getitem__)
    res.update(seconds=walls[best], measured_cpu_s=cpus[best], all_wall_s=walls, all_cpu_s=cpus)
    return value


def _threads_now() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return -1


def worker(spec: dict[str, Any]) -> None:
    kind, folder = spec["kind"], Path(spec["folder"])
    heap = None
    if kind in ("plan", "plan_subset"):
        # the process set up as `ruledsl run` sets it up, before numpy or pyarrow is
        # imported (their imports start threads): big arrays from the C heap, freed blocks
        # kept, one arena for every thread, Arrow's buffers from the same heap
        from ruledsl.execute.memory import arrow_on_c_heap, keep_freed_memory

        heap = keep_freed_memory(one_arena=True)
        arrow_on_c_heap()
    C.apply_threads_in_worker(spec["threads"])
    cpu0 = time.process_time()
    claims, kb, load_s, nbytes = _load(folder)
    res: dict[str, Any] = {"kind": kind, "load_s": round(load_s, 3), "arrow_bytes": nbytes,
                           "fee_lines": claims["fee"].num_rows,
                           "load_cpu_s": round(time.process_time() - cpu0, 3)}
    cpu0 = time.process_time()
    if kind == "load":
        res["seconds"] = round(load_s, 3)
        res["rows"] = {k: v.num_rows for k, v in claims.items()}
    elif kind in ("plan", "plan_subset"):
        import ruledsl

        t = time.perf_counter()
        book = ruledsl.load_rulebook(C.RULEBOOK)
        compiled = book.compile(rules=spec.get("rules"))
        res["compile_s"] = round(time.perf_counter() - t, 3)
        res["keep_freed_memory"] = heap
        def progress(rule_id: str, done: int, total: int) -> None:  # shows where a kill struck
            print(f"[progress] {done}/{total} {rule_id} rss={C.rss_now_mb():.0f}MiB",
                  file=sys.stderr, flush=True)

        if spec.get("workers"):  # the plan on person/institution/doctor buckets, N threads
            from ruledsl.scale.threads import default_buckets, run_scaled

            res["workers"], res["buckets"] = spec["workers"], spec["buckets"] or default_buckets(
                spec["workers"], sum(t.num_rows for t in claims.values()))
            table, summary = _repeat(res, spec, lambda: run_scaled(
                compiled, claims, kb, engine="threads", workers=spec["workers"],
                buckets=spec["buckets"]))
        else:  # the plan's own run: one batch, or buckets on this thread when it is big
            table, summary = _repeat(res, spec, lambda: compiled.run_with_summary(
                claims, kb, progress=progress, split=not spec.get("one_batch")))
            res["split"] = compiled.splits(claims) and not spec.get("one_batch")
        res["violations"] = table.num_rows
        res["per_rule_s"] = {s.rule_id: round(s.seconds, 4) for s in summary}
        _write(table, spec["out"])
    elif kind == "duckdb":
        from benchmarks.oracle.run import run_oracle

        timings: dict[str, float] = {}
        table = _repeat(res, spec, lambda: run_oracle(claims, kb, threads=spec["threads"],
                                                      timings=timings))
        res["violations"] = table.num_rows
        res["per_rule_s"] = {k: round(v, 4) for k, v in timings.items()}
        _write(table, spec["out"])
    elif kind == "polars":
        import polars_rules as PR

        t = time.perf_counter()
        frames = PR.to_polars(claims, kb)
        res["convert_s"] = round(time.perf_counter() - t, 3)
        out = _repeat(res, spec, lambda: PR.run(frames))
        res["violations"] = out.height
        res["rules"] = PR.RULES
        _write(out.to_arrow(), spec["out"])
    elif kind == "nosharing":
        import ruledsl
        from ruledsl.execute.output import concat_and_sort

        book = ruledsl.load_rulebook(C.RULEBOOK)
        per_rule: dict[str, float] = {}
        tables = []
        t0 = time.perf_counter()
        for rule in book.enabled_rules:
            t = time.perf_counter()
            tables.append(book.compile(rules=[rule.id]).run(claims, kb))
            per_rule[rule.id] = round(time.perf_counter() - t, 4)
        res["seconds"] = round(time.perf_counter() - t0, 3)
        res["per_rule_s"] = per_rule
        table = concat_and_sort(tables)
        res["violations"] = table.num_rows
        _write(table, spec["out"])
    elif kind == "rowwise":
        res.update(_rowwise(claims, kb, spec))
    else:  # pragma: no cover
        raise ValueError(kind)
    # CPU seconds (all threads) of the measured part; for "load", of the loading
    if kind == "load":
        res["measured_cpu_s"] = res["load_cpu_s"]
    res.setdefault("measured_cpu_s", round(time.process_time() - cpu0, 3))
    res["threads_in_process"] = _threads_now()
    C.emit(res)


def _rowwise(claims: dict, kb: dict, spec: dict[str, Any]) -> dict[str, Any]:
    import rowwise as RW

    import ruledsl
    from ruledsl.execute.interpret import interpret

    sample = RW.person_sample(claims, spec["sample"])
    del claims
    out: dict[str, Any] = {"sample_fee_lines": sample["fee"].num_rows, "rules": RW.LINE_RULES}
    book = ruledsl.load_rulebook(C.RULEBOOK)
    compiled = book.compile(rules=RW.LINE_RULES)
    t = time.perf_counter()
    ours = compiled.run(sample, kb)
    out["ruledsl_s"] = round(time.perf_counter() - t, 4)
    ref = RW.firings_of(ours)
    out["firings"] = len(ref)

    t = time.perf_counter()
    interp = interpret(book, sample, kb, rules=RW.LINE_RULES)
    out["interpreter_s"] = round(time.perf_counter() - t, 3)
    out["interpreter_agrees"] = RW.firings_of(interp) == ref

    t = time.perf_counter()
    contexts = RW.prejoin(sample, kb)
    out["zen_prejoin_s"] = round(time.perf_counter() - t, 3)
    out["zen_contexts"] = len(contexts)
    dec = RW.decision()
    t = time.perf_counter()
    results = [dec.evaluate(c)["result"] for c in contexts]
    out["zen_s"] = round(time.perf_counter() - t, 3)
    out["zen_agrees"] = RW.firings(contexts, results) == ref

    import zen  # ZEN's own batch API (Rust loop over the contexts), for reference

    engine = zen.ZenEngine({"loader": {"type": "static",
                                       "content": {"line_rules": RW.build_model(RW.default_params())}}})
    t = time.perf_counter()
    batch = engine.evaluate_batch([{"key": "line_rules", "context": c} for c in contexts])
    out["zen_batch_s"] = round(time.perf_counter() - t, 3)
    out["zen_batch_agrees"] = RW.firings(contexts, [b["data"]["result"] for b in batch]) == ref
    return out


# =========================================================================== parent side
def _norm(table: Any) -> Any:
    from benchmarks.oracle.run import OUTPUT_SCHEMA

    table = table.select(OUTPUT_SCHEMA.names).cast(OUTPUT_SCHEMA)
    keys = [(n, "ascending") for n in OUTPUT_SCHEMA.names if n != "lines"]
    return table.sort_by(keys).combine_chunks()


def same_violations(a_path: str, b_path: str) -> tuple[bool, str]:
    import pyarrow.parquet as pq

    a, b = _norm(pq.read_table(a_path)), _norm(pq.read_table(b_path))
    if a.equals(b):
        return True, f"identical ({a.num_rows} violations)"
    ra, rb = a.to_pylist(), b.to_pylist()
    only_a = [r for r in ra if r not in rb][:3]
    only_b = [r for r in rb if r not in ra][:3]
    return False, (f"{a.num_rows} vs {b.num_rows} rows; only in {Path(a_path).name}: {only_a}; "
                   f"only in {Path(b_path).name}: {only_b}")


def same_firings(polars_path: str, plan_path: str, rules: list[str]) -> tuple[bool, str]:
    import polars as pl
    import polars_rules as PR

    a = pl.read_parquet(polars_path).select(PR.KEYS + ["vola_amt"])
    b = (pl.read_parquet(plan_path).filter(pl.col("rule_id").is_in(rules))
         .select(PR.KEYS + ["vola_amt"]))
    a, b = a.sort(a.columns, nulls_last=False), b.sort(b.columns, nulls_last=False)
    if a.equals(b):
        return True, f"identical firings ({a.height}) for {len(rules)} rules"
    return False, f"Polars {a.height} vs ruledsl {b.height} firings; first rows {a.head(3).rows()} / {b.head(3).rows()}"


def run_size(lines_label: str, persons: int, args: argparse.Namespace) -> dict[str, Any]:
    folder = C.dataset(persons, args.data, args.seed)
    if args.shuffled is not None:
        folder = C.shuffled(folder, args.shuffled)
    rows = C.dataset_rows(folder)
    outdir = Path(args.data) / "out" / folder.name
    parts = set(args.only.split(",")) if args.only else {
        "load", "plan", "cli", "duckdb", "polars", "nosharing", "rowwise"}
    base = {"folder": str(folder)}
    res: dict[str, Any] = {"size": lines_label, "persons": persons, "rows": rows,
                           "fee_lines": rows["fee"], "folder": str(folder),
                           "shuffled": args.shuffled, "runs": {}, "checks": {}}

    def record(name: str, r: dict[str, Any]) -> None:
        res["runs"][name] = r
        msg = r.get("error") or f"{r.get('seconds', r.get('wall_s'))} s"
        print(f"  {name:<24} {msg}  rss {r.get('maxrss_mb')} MiB  load {r.get('loadavg_before')}",
              flush=True)

    def work(kind: str, threads: int, **extra: Any) -> dict[str, Any]:
        return C.run_worker(SCRIPT, dict(base, kind=kind, repeat=args.repeat, **extra), threads,
                            args.timeout)

    def bucketed(threads: int) -> dict[str, int | None]:  # one thread: one batch
        if threads == 1:
            return {}
        return {"workers": threads, "buckets": args.buckets * threads if args.buckets else None}

    print(f"[{lines_label}] {rows['fee']} fee lines, {folder}", flush=True)
    for th in args.threads:
        if "load" in parts:
            record(f"load/{th}t", work("load", th))
        if "plan" in parts:  # N > 1 threads: the plan over buckets on N worker threads
            record(f"plan/{th}t", work("plan", th, out=str(outdir / f"plan-{th}.parquet"),
                                       **bucketed(th)))
        if "duckdb" in parts:
            record(f"duckdb/{th}t", work("duckdb", th, out=str(outdir / f"duckdb-{th}.parquet")))
        if "cli" in parts:
            out = outdir / f"cli-{th}.parquet"
            out.parent.mkdir(parents=True, exist_ok=True)
            argv = [sys.executable, "-m", "ruledsl", "-q", "run", str(C.RULEBOOK), "--claims",
                    str(folder / "claims"), "--kb", str(folder / "kb"), "-o", str(out)]
            if th > 1:
                argv += ["--workers", str(th)]
                if args.buckets:
                    argv += ["--buckets", str(args.buckets * th)]
            before = C.load_avg()
            # --repeat fresh processes, as the others' runs: the fastest is reported
            children = [C.run_child(argv, C.thread_env(th), args.timeout)
                        for _ in range(max(1, args.repeat))]
            child = min(children, key=lambda c: (c["rc"] != 0, c["wall_s"]))
            r = {"wall_s": round(child["wall_s"], 3), "seconds": round(child["wall_s"], 3),
                 "rc": child["rc"], "maxrss_mb": round(child["maxrss_mb"], 1),
                 "cpu_s": round(child["cpu_s"], 2), "sys_s": round(child["sys_s"], 2),
                 "all_wall_s": [round(c["wall_s"], 3) for c in children],
                 "all_sys_s": [round(c["sys_s"], 2) for c in children],
                 "threads": th, "loadavg_before": before,
                 "loadavg_after": C.load_avg(), "out": str(out)}
            if child["rss_limit_hit_mb"]:
                r["error"] = f"killed: RSS over the {C.MAX_RSS_MB / 1024:.0f} GiB limit"
            elif child["rc"] != 0:
                r["error"] = f"exit {child['rc']}: {child['stderr'][-2000:]}"
            record(f"cli/{th}t", r)
        if "polars" in parts:
            import polars_rules as PR

            record(f"polars/{th}t", work("polars", th, out=str(outdir / f"polars-{th}.parquet")))
            record(f"ruledsl-polars-rules/{th}t",
                   work("plan_subset", th, rules=PR.RULES, **bucketed(th),
                        out=str(outdir / f"plan-subset-{th}.parquet")))
    th0 = args.threads[0]
    if "nosharing" in parts:
        record(f"nosharing/{th0}t", work("nosharing", th0, out=str(outdir / "nosharing.parquet")))
    if "rowwise" in parts:
        record(f"rowwise/{th0}t", work("rowwise", th0, sample=args.sample))

    # ---------------------------------------------------------------- checks
    refuse: list[str] = []
    peers: list[str] = []
    runs = res["runs"]
    for th in args.threads:
        subset = runs.get(f"ruledsl-polars-rules/{th}t")
        if f"polars/{th}t" in runs and "error" not in runs[f"polars/{th}t"] \
                and subset is not None and "error" not in subset:
            import polars_rules as PR

            ok, why = same_firings(str(outdir / f"polars-{th}.parquet"),
                                   str(outdir / f"plan-subset-{th}.parquet"), PR.RULES)
            res["checks"][f"polars/{th}t firings == ruledsl-polars-rules/{th}t"] = why
            if not ok:
                peers.append(f"Polars firings differ: {why}")
        plan = runs.get(f"plan/{th}t")
        if plan is not None and "error" in plan:
            res["checks"][f"plan/{th}t"] = "ruledsl did not complete; nothing to compare"
        if plan is None or "error" in plan:
            continue
        pp = str(outdir / f"plan-{th}.parquet")
        for name, path in ((f"duckdb/{th}t", f"duckdb-{th}.parquet"),
                           (f"cli/{th}t", f"cli-{th}.parquet")):
            if name in runs and "error" not in runs[name]:
                ok, why = same_violations(pp, str(outdir / path))
                res["checks"][f"plan/{th}t == {name}"] = why
                if not ok:
                    refuse.append(f"ruledsl plan/{th}t and {name} differ: {why}")
        if th == th0 and f"nosharing/{th0}t" in runs and "error" not in runs[f"nosharing/{th0}t"]:
            ok, why = same_violations(pp, str(outdir / "nosharing.parquet"))
            res["checks"][f"plan/{th}t == nosharing"] = why
            if not ok:
                refuse.append(f"whole-rulebook and rule-by-rule runs differ: {why}")
    rw = runs.get(f"rowwise/{th0}t")
    if rw and "error" not in rw:
        for k in ("interpreter_agrees", "zen_agrees", "zen_batch_agrees"):
            res["checks"][f"rowwise {k}"] = rw[k]
            if not rw[k]:
                peers.append(f"row-at-a-time {k} is false")
    res["refused"] = refuse
    res["peer_mismatches"] = peers
    return res


def summarise(res: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    runs, n = res["runs"], res["fee_lines"]
    rows: list[list[Any]] = []

    def sec(name: str, key: str = "seconds") -> float | None:
        r = runs.get(name)
        return None if r is None or "error" in r else r.get(key)

    ths = sorted({int(k.split("/")[-1][:-1]) for k in runs})
    for what, name, key in (
        ("load_tables (claims+KB)", "load", "seconds"),
        ("ruledsl compiled plan, 46 rules (in memory)", "plan", "seconds"),
        ("ruledsl run CLI end to end (Parquet in, Parquet out)", "cli", "seconds"),
        ("DuckDB oracle SQL, 46 rules (in memory)", "duckdb", "seconds"),
        ("ruledsl compiled plan, the Polars rules only", "ruledsl-polars-rules", "seconds"),
        ("Polars lazy, same rules", "polars", "seconds"),
    ):
        cells = []
        for th in ths:
            r = runs.get(f"{name}/{th}t")
            s = sec(f"{name}/{th}t", key)
            if r is not None and "error" in r:
                cells += ["FAILED: " + r["error"].split(":")[0], r.get("maxrss_mb"), r.get("cpu_s")]
                continue
            cells += [C.fmt_s(s), "" if r is None else r.get("maxrss_mb"),
                      "" if r is None else r.get("measured_cpu_s", r.get("cpu_s"))]
        rows.append([what] + cells)
    header = ["measurement"] + sum(([f"{t}t s", f"{t}t peak RSS MiB", f"{t}t CPU s"] for t in ths), [])
    text = C.table(rows, header)

    derived: dict[str, Any] = {}
    th_hi = max(ths) if ths else None
    for th in ths:  # peer time / ruledsl time: > 1 means ruledsl is faster
        for peer, ours in (("duckdb", "plan"), ("polars", "ruledsl-polars-rules")):
            for key, tag in (("seconds", "wall"), ("measured_cpu_s", "cpu")):
                a, b = sec(f"{peer}/{th}t", key), sec(f"{ours}/{th}t", key)
                if a and b:
                    derived[f"{peer}_over_ruledsl_{th}t_{tag}"] = round(a / b, 2)
    plan2 = sec(f"plan/{th_hi}t")
    ns, plan1 = sec(f"nosharing/{ths[0]}t") if ths else None, sec(f"plan/{ths[0]}t") if ths else None
    if ns and plan1:
        derived["nosharing_over_whole"] = round(ns / plan1, 2)
        ns_cpu, plan1_cpu = sec(f"nosharing/{ths[0]}t", "measured_cpu_s"), sec(f"plan/{ths[0]}t", "measured_cpu_s")
        if ns_cpu and plan1_cpu:
            derived["nosharing_over_whole_cpu"] = round(ns_cpu / plan1_cpu, 2)
    cli = runs.get(f"cli/{th_hi}t")
    load = runs.get(f"load/{th_hi}t")
    if cli and load and "error" not in cli:
        derived["cli_s"] = cli["seconds"]
        derived["arrow_gib"] = round(load["arrow_bytes"] / 2**30, 3)
        derived["cli_rss_over_arrow"] = round(cli["maxrss_mb"] * 2**20 / load["arrow_bytes"], 2)
    if plan2:
        derived["plan_s_per_m_lines"] = round(plan2 / (n / 1e6), 2)
    rw = runs.get(f"rowwise/{ths[0]}t") if ths else None
    extra = ""
    if rw and "error" not in rw:
        k = n / rw["sample_fee_lines"]
        ex = {f"{m}_extrapolated_s": round(rw[f"{m}_s"] * k, 1)
              for m in ("interpreter", "zen", "zen_batch", "ruledsl")}
        ex["zen_with_prejoin_extrapolated_s"] = round((rw["zen_s"] + rw["zen_prejoin_s"]) * k, 1)
        derived.update(ex)
        extra = (f"\nrow-at-a-time, {len(rw['rules'])} line-level rules, measured on a "
                 f"{rw['sample_fee_lines']}-line person sample and EXTRAPOLATED linearly "
                 f"(x{k:.1f}) to {n} lines:\n" + C.table([
                     ["ruledsl compiled (same rules)", rw["ruledsl_s"], ex["ruledsl_extrapolated_s"]],
                     ["reference interpreter", rw["interpreter_s"], ex["interpreter_extrapolated_s"]],
                     ["ZEN decision.evaluate per line", rw["zen_s"], ex["zen_extrapolated_s"]],
                     ["ZEN evaluate + Python pre-join", round(rw["zen_s"] + rw["zen_prejoin_s"], 3),
                      ex["zen_with_prejoin_extrapolated_s"]],
                     ["ZEN evaluate_batch", rw["zen_batch_s"], ex["zen_batch_extrapolated_s"]],
                 ], ["engine", "sample s (measured)", f"{C.label(n)} s (extrapolated)"]))
    ns_r = runs.get(f"nosharing/{ths[0]}t") if ths else None
    if ns_r and "error" not in ns_r:
        extra += (f"\nno sharing ({ths[0]} thread): 46 rules compiled and run one by one "
                  f"{ns_r['seconds']} s vs whole rulebook {plan1} s")
    return text + extra, derived


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", default="1M", help="comma-separated sizes, e.g. 1M,10M")
    ap.add_argument("--persons", help="comma-separated persons counts (instead of --lines)")
    ap.add_argument("--data", type=Path, default=C.DEFAULT_DATA, help="dataset cache folder")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shuffled", type=int, metavar="SEED",
                    help="the batch with the rows of its claim tables shuffled (this seed)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--only", help="comma-separated parts: load,plan,cli,duckdb,polars,nosharing,rowwise")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of plan/duckdb/polars per worker, and of the CLI; the fastest "
                         "is reported")
    ap.add_argument("--buckets", type=int,
                    help="with N > 1 threads, ruledsl runs N workers over N x this many buckets "
                         "(default: the library's default for the batch's size)")
    ap.add_argument("--sample", type=int, default=ROWWISE_SAMPLE, help="row-at-a-time sample lines")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per measured subprocess")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--tag", default="", help="suffix of the results file name")
    ap.add_argument("--report", type=Path, help="print the tables of a results JSON and exit")
    args = ap.parse_args(argv)
    if args.report:
        res = json.loads(args.report.read_text(encoding="utf-8"))
        text, derived = summarise(res)
        print(f"== throughput, {res['size']} ({res['fee_lines']} fee lines), "
              f"{res['machine']['date']}, load avg {res['machine']['loadavg_start']} -> "
              f"{res['loadavg_end']}\n{text}\nderived: {json.dumps(derived)}")
        return 0
    if args.worker:
        worker(json.loads(args.worker))
        return 0
    args.threads = [int(x) for x in args.threads.split(",")]
    sizes = ([(C.label(int(p) * C.LINES_PER_PERSON), int(p)) for p in args.persons.split(",")]
             if args.persons else
             [(x.strip(), C.persons_for(C.parse_size(x))) for x in args.lines.split(",")])
    meta = C.machine()
    status = 0
    for lines_label, persons in sizes:
        res = run_size(lines_label, persons, args)
        res["machine"] = meta
        res["loadavg_end"] = C.load_avg()
        res["command"] = " ".join([Path(sys.executable).name, "benchmarks/throughput.py"] + (argv or sys.argv[1:]))
        if res["refused"]:
            res["report"] = None
            path = C.write_json(f"throughput-{lines_label}{args.tag}.refused.json", res)
            print("\nREFUSING TO REPORT: " + "; ".join(res["refused"]) + f"\n(details: {path})")
            return 3
        text, derived = summarise(res)
        res["derived"] = derived
        path = C.write_json(f"throughput-{lines_label}{args.tag}.json", res)
        print(f"\n== throughput, {lines_label} ({res['fee_lines']} fee lines), "
              f"{meta['date']}, load avg {meta['loadavg_start']} -> {res['loadavg_end']}")
        print(text)
        print("derived:", json.dumps(derived))
        print("checks:", json.dumps(res["checks"], ensure_ascii=False, indent=1))
        if res["peer_mismatches"]:
            print("PEER MISMATCH (their figures are not comparable): " + "; ".join(res["peer_mismatches"]))
            status = 4
        print(f"results: {path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
