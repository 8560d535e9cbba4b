#!/usr/bin/env python
"""Where the compiled plan spends its time and memory (for the README's "what limits it").

    python benchmarks/profile_plan.py [--lines 1M] [--rules YP-06 ...] [--top 25]
    python benchmarks/profile_plan.py --visit      # one single-visit call, repeated

Runs the compiled plan once under cProfile on the in-memory tables and prints the functions
with the most own time and most cumulative time, the time by module, and the resident set
after each rule (read through ``run_with_summary``'s progress callback: the growth a rule
leaves behind is what the batch keeps cached). For a sampling profile of the same run use
``py-spy record -o plan.svg -- python benchmarks/profile_plan.py --no-cprofile``; for the
time of each line of chosen functions (line_profiler, instead of cProfile), e.g.
``--line-profile ruledsl.execute.compiled.group_frame ruledsl.execute.vec.lexsort``.
Results: ``benchmarks/results/profile-<size>.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def by_module(stats: pstats.Stats) -> list[tuple[str, float]]:
    acc: dict[str, float] = defaultdict(float)
    for (file, _line, _fn), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "/ruledsl/" in file:
            key = "ruledsl/" + file.split("/ruledsl/", 1)[1]
        elif "site-packages/" in file:
            key = file.split("site-packages/", 1)[1].split("/")[0]
        elif file.startswith("~"):
            key = "builtins / C extensions"
        else:
            key = Path(file).name
        acc[key] += tt
    return sorted(acc.items(), key=lambda kv: -kv[1])


def line_profiler_of(names: list[str]) -> Any:
    """A ``line_profiler.LineProfiler`` over the functions named ``module.function`` (or
    ``module.Class.method``); a name that is not a function is an error naming it."""
    import pkgutil

    from line_profiler import LineProfiler

    profiler = LineProfiler()
    for name in names:
        try:
            target = pkgutil.resolve_name(name)
        except (ImportError, AttributeError, ValueError):
            target = None
        if not callable(target):
            raise SystemExit(f"--line-profile: {name} is not a function")
        profiler.add_function(target)
    return profiler


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", default="1M")
    ap.add_argument("--data", type=Path, default=C.DEFAULT_DATA)
    ap.add_argument("--rules", nargs="+")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--visit", action="store_true", help="profile 50 single-visit calls instead")
    ap.add_argument("--no-cprofile", action="store_true", help="run without cProfile (for py-spy)")
    ap.add_argument("--line-profile", nargs="+", metavar="MODULE.FUNCTION", default=[],
                    help="time each line of these functions with line_profiler (instead of "
                    "cProfile), e.g. ruledsl.execute.compiled.group_frame")
    ap.add_argument("--dump", metavar="FILE", help="also write the raw cProfile stats (for pstats "
                    "print_callers)")
    args = ap.parse_args(argv)
    # the process set up as `ruledsl run` sets it up, before numpy or pyarrow is imported:
    # without it, fresh pages for big arrays (kernel time) weigh on lines that make them
    from ruledsl.execute.memory import arrow_on_c_heap, keep_freed_memory

    keep_freed_memory(one_arena=True)
    arrow_on_c_heap()
    import pyarrow as pa

    import ruledsl
    from ruledsl.data.load import load_tables

    folder = C.dataset(C.persons_for(C.parse_size(args.lines)), args.data)
    claims = load_tables(folder / "claims", "claims")
    kb = load_tables(folder / "kb", "kb")
    book = ruledsl.load_rulebook(C.RULEBOOK)
    compiled = book.compile(rules=args.rules)
    after_load = rss_mb()
    per_rule: list[dict[str, object]] = []
    state = {"rss": rss_mb(), "rule": None, "t": time.perf_counter()}

    def progress(rule_id: str, _i: int, _n: int) -> None:
        now, t = rss_mb(), time.perf_counter()
        if state["rule"] is not None:
            per_rule.append({"rule": state["rule"], "seconds": round(t - state["t"], 3),  # type: ignore[operator]
                             "rss_growth_mb": round(now - state["rss"]), "rss_after_mb": round(now)})  # type: ignore[operator]
        state.update(rss=now, rule=rule_id, t=t)

    if args.visit:
        import latency as L

        visits = L.pick_visits(claims, 50)
        schemas = {n: t.schema for n, t in claims.items()}

        def work() -> None:
            for v in visits:
                compiled.run({n: pa.Table.from_pylist(r, schema=schemas[n])
                              for n, r in v["rows"].items()}, kb)
        for v in visits:  # warm, as the latency benchmark is (expression forms, caches)
            compiled.run({n: pa.Table.from_pylist(r, schema=schemas[n])
                          for n, r in v["rows"].items()}, kb)
    else:
        def work() -> None:
            compiled.run_with_summary(claims, kb, progress=progress)

    lines = line_profiler_of(args.line_profile) if args.line_profile else None
    prof = cProfile.Profile()
    before = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    if lines is not None:
        lines.runcall(work)
    elif args.no_cprofile:
        work()
    else:
        prof.enable()
        work()
        prof.disable()
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_SELF)
    # user vs system CPU: system time is the kernel mapping and zeroing fresh pages for
    # big arrays (numpy's allocations over glibc's mmap threshold are mapped per array)
    usage = {"user_s": round(after.ru_utime - before.ru_utime, 2),
             "system_s": round(after.ru_stime - before.ru_stime, 2),
             "minor_faults": after.ru_minflt - before.ru_minflt}
    out: dict[str, object] = {"size": args.lines, "visit_mode": args.visit, "wall_s": round(wall, 2),
                              "rss_after_load_mb": round(after_load), "machine": C.machine(),
                              **usage}
    if lines is not None:
        buf = io.StringIO()
        lines.print_stats(stream=buf, output_unit=1e-3, stripzeros=True)
        print(buf.getvalue())
        out["line_profile"] = buf.getvalue()
    elif not args.no_cprofile:
        stats = pstats.Stats(prof)
        if args.dump:
            stats.dump_stats(args.dump)
        for key in ("tottime", "cumulative"):
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats(key).print_stats(args.top)
            text = buf.getvalue()
            print(f"\n== top {args.top} by {key}\n" + text[text.find("   ncalls"):])
            out[f"top_{key}"] = text[text.find("   ncalls"):]
        mods = by_module(stats)[:15]
        print("== own time by module\n" + C.table([[m, round(s, 2)] for m, s in mods], ["module", "s"]))
        out["by_module"] = [[m, round(s, 3)] for m, s in mods]
    if per_rule:
        top = sorted(per_rule, key=lambda r: -r["rss_growth_mb"])[:12]  # type: ignore[operator]
        print("\n== resident set kept after each rule (largest growth)\n" + C.table(
            [[r["rule"], r["seconds"], r["rss_growth_mb"], r["rss_after_mb"]] for r in top],
            ["rule", "s", "RSS growth MiB", "RSS after MiB"]))
        out["per_rule"] = per_rule
    out["peak_rss_mb"] = round(C.vm_hwm_mb())
    print(f"\nCPU user {usage['user_s']} s, system {usage['system_s']} s, "
          f"{usage['minor_faults']} minor page faults")
    under = "line_profiler" if lines is not None else "cProfile" if not args.no_cprofile else "none"
    print(f"\nwall {wall:.2f} s (profiler: {under}); RSS after load "
          f"{after_load:.0f} MiB, peak {out['peak_rss_mb']} MiB")
    path = C.write_json(f"profile-{args.lines}{'-visit' if args.visit else ''}.json", out)
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
