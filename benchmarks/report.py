#!/usr/bin/env python
"""Markdown tables of results in ``benchmarks/results/`` (for the README).

    python benchmarks/report.py > /tmp/figures.md          # the unsuffixed (latest) files
    python benchmarks/report.py results/throughput-10M-e5085b4-2threads.json results/latency.json

Each file is rendered by the script that wrote it, told by its name (``throughput-…``,
``scaling…``, ``latency…``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def md(rows: list[list[Any]], header: list[str]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join("" if c is None else str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def cell(r: dict[str, Any] | None, key: str = "seconds") -> str:
    if r is None:
        return "not run"
    if "error" in r:
        e = r["error"]
        err = ("killed (RSS > 16 GiB guard)" if e.startswith("killed: RSS") else
               "killed by the kernel's OOM killer" if "OOM killer" in e else
               "timed out" if e.startswith("timed out") else e.split(":")[0][:60])
        prog = [ln for ln in r["error"].splitlines() if ln.startswith("[progress]")]
        where = f" at rule {prog[-1].split()[1]} ({prog[-1].split()[2]})" if prog else ""
        return f"**{err}**{where}"
    v = r.get(key)
    return "—" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)


def throughput(path: Path) -> str:
    d = json.loads(path.read_text(encoding="utf-8"))
    runs = d["runs"]
    ths = sorted({int(k.split("/")[-1][:-1]) for k in runs})
    rows = []
    for what, name in (("load_tables (claims + KB)", "load"),
                       ("ruledsl compiled plan, 46 rules, in memory", "plan"),
                       ("`ruledsl run` CLI end to end (Parquet → Parquet)", "cli"),
                       ("DuckDB, oracle SQL, 46 rules, same in-memory tables", "duckdb"),
                       ("ruledsl compiled plan, the 11 Polars rules only", "ruledsl-polars-rules"),
                       ("Polars lazy, the same 11 rules", "polars")):
        row = [what]
        for th in ths:
            r = runs.get(f"{name}/{th}t")
            cpu = None if r is None else r.get("measured_cpu_s", r.get("cpu_s"))
            row += [cell(r), "" if cpu is None else cpu, "" if r is None else r.get("maxrss_mb"),
                    "" if r is None else r.get("loadavg_before", "").split(" ")[0]]
        rows.append(row)
    header = ["measurement"] + sum(([f"{t} thr wall s", f"{t} thr CPU s", f"{t} thr peak RSS MiB",
                                     f"{t} thr load"] for t in ths), [])
    shuffled = d.get("shuffled") is not None or "shuf" in d.get("command", "")
    lines = [f"### {d['size']}: {d['fee_lines']:,} fee lines{', rows shuffled' if shuffled else ''}"
             f" ({d['machine']['date']}, "
             f"load {d['machine']['loadavg_start']} → {d['loadavg_end']}, engine "
             f"{d['machine']['commit']})", "", md(rows, header), ""]
    load = runs.get(f"load/{ths[-1]}t") or runs.get(f"load/{ths[0]}t")
    if load and "arrow_bytes" in load:
        lines.append(f"In-memory Arrow size of the loaded tables: {load['arrow_bytes'] / 2**30:.3f} GiB "
                     f"({load['arrow_bytes']:,} bytes).")
    ns = runs.get(f"nosharing/{ths[0]}t")
    pl = runs.get(f"plan/{ths[0]}t")
    if ns:
        lines.append(f"No sharing ({ths[0]} thread): the 46 rules compiled and run one by one, a "
                     f"fresh batch each: {cell(ns)} s wall / {ns.get('measured_cpu_s')} CPU s, peak "
                     f"RSS {ns.get('maxrss_mb')} MiB; whole rulebook {cell(pl)} s wall / "
                     f"{pl.get('measured_cpu_s') if pl else ''} CPU s.")
    rw = runs.get(f"rowwise/{ths[0]}t")
    if rw and "error" not in rw:
        k = d["fee_lines"] / rw["sample_fee_lines"]
        rr = [["ruledsl compiled, same 11 rules", rw["ruledsl_s"], round(rw["ruledsl_s"] * k, 1)],
              ["reference interpreter", rw["interpreter_s"], round(rw["interpreter_s"] * k, 1)],
              ["ZEN `decision.evaluate` per line", rw["zen_s"], round(rw["zen_s"] * k, 1)],
              ["ZEN per line + the Python pre-join", round(rw["zen_s"] + rw["zen_prejoin_s"], 2),
               round((rw["zen_s"] + rw["zen_prejoin_s"]) * k, 1)],
              ["ZEN `evaluate_batch`", rw["zen_batch_s"], round(rw["zen_batch_s"] * k, 1)]]
        lines += ["", f"Row-at-a-time, the 11 line-level rules, on a {rw['sample_fee_lines']:,}-line "
                  f"person sample ({rw['firings']} firings, all engines agree: interpreter "
                  f"{rw['interpreter_agrees']}, ZEN {rw['zen_agrees']}), **extrapolated** linearly "
                  f"×{k:.1f}:", "",
                  md(rr, ["engine", "sample s (measured)",
                          f"{d['size']} s (EXTRAPOLATED, not measured)"])]
    if d.get("checks"):
        lines += ["", "Checks: " + "; ".join(f"{k}: {v}" for k, v in d["checks"].items()) + "."]
    if d.get("derived"):
        lines += ["", "Derived: `" + json.dumps(d["derived"]) + "`"]
    return "\n".join(lines)


def scaling(path: Path) -> str:
    d = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for r in d["runs"]:
        rows.append([r["size"], f"{r['fee_lines']:,}", cell(r), r.get("s_per_m", ""),
                     r.get("measured_cpu_s", ""), r.get("cpu_s_per_m", ""), r.get("maxrss_mb"),
                     r.get("loadavg_before", "").split(" ")[0]])
    split = any(d.get("split", ()))  # (a big batch run as `run` runs it: in buckets)
    how = (f"{d['threads']} threads over {d['threads']} × {d['buckets']} buckets"
           if d.get("buckets") else f"{d['threads']} thread, as `run` runs it (split from 8M "
           "claim rows)" if split else f"one batch, {d['threads']} thread")
    return "\n".join([f"### Scaling ({d['machine']['date']}, {how}, engine "
                      f"{d['machine']['commit']})", "",
                      md(rows, ["size", "fee lines", "wall s", "wall s / M lines", "CPU s",
                                "CPU s / M lines", "peak RSS MiB", "load"]), "",
                      "Derived: `" + json.dumps(d["derived"]) + "`"])


def latency(path: Path) -> str:
    d = json.loads(path.read_text(encoding="utf-8"))
    names = {"ruledsl_46_total": "ruledsl, all 46 rules (build batch + run)",
             "ruledsl_46_build": "… of which building the small Arrow batch",
             "ruledsl_46_run": "… of which the compiled plan",
             "ruledsl_line_total": "ruledsl, the 11 line-level rules",
             "zen_line_evaluate": "ZEN, the 11 line-level rules, `evaluate` per line",
             "zen_line_evaluate_batch": "ZEN, the same, `evaluate_batch`",
             "ruledsl_46_total_cpu": "ruledsl, all 46 rules: **CPU** ms of the thread",
             "ruledsl_line_total_cpu": "ruledsl, the 11 line-level rules: **CPU** ms of the thread",
             "zen_line_evaluate_cpu": "ZEN `evaluate` per line: **CPU** ms of the thread",
             "zen_line_evaluate_batch_cpu": "ZEN `evaluate_batch`: **CPU** ms of all its threads",
             "ruledsl_pre_total": "ruledsl, the rules marked 事前 (`compile(stage=\"事前\")`, "
                                  "what a 事前 service runs; build + run)"}
    rows = [[names.get(k, k), s["median_ms"], s["p90_ms"], s["p99_ms"], s["max_ms"]]
            for k, s in d["stats"].items()]
    return "\n".join([
        f"### Single-visit latency ({d['machine']['date']}, engine {d['machine']['commit']}, "
        f"load {d['machine']['loadavg_start']} → {d['loadavg_end']})", "",
        f"{d['visits']} visits of the {Path(d['dataset']).name} batch (median {d['visit_lines_median']} lines; history "
        f"median {d['history_lines_median']} lines in {d['history_visits_median']} visits, max "
        f"{d['history_lines_max']}), {d['calls']} timed calls after {d['warmup']} warm-up calls, "
        f"{d['threads']} thread.", "",
        md(rows, ["what", "median ms", "p90 ms", "p99 ms", "max ms"]), *where_it_goes(d)])


def where_it_goes(d: dict[str, Any]) -> list[str]:
    """The latency file's ``analysis`` (written since 81d1857), when it has one."""
    a = d.get("analysis")
    if not a:
        return []
    rules = a["per_rule"]
    shown = [[r["rule"], r["median_ms"], r["fired_pct"]] for r in rules[:8]]
    shown.append([f"… the cheapest, {rules[-1]['rule']}", rules[-1]["median_ms"],
                  rules[-1]["fired_pct"]])
    return ["", f"Where the time goes (one more pass over the visits): the 46 rules over the "
            f"visits' tables with every row removed, median **{a['empty_tables']['median_ms']} "
            f"ms**; the per-rule medians sum to {a['sum_of_rule_medians_ms']} ms.", "",
            md(shown, ["rule", "median ms per visit", "% of visits it fired on"])]


RENDERERS = {"throughput": throughput, "scaling": scaling, "latency": latency}


def render(path: Path) -> str:
    """One results file as Markdown, by the script that wrote it (told by its name)."""
    kind = path.name.split("-")[0].split(".")[0]
    if kind not in RENDERERS:
        raise SystemExit(f"{path}: not a throughput, scaling or latency results file")
    return RENDERERS[kind](path)


def main(argv: list[str] | None = None) -> int:
    paths = [Path(a) for a in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        paths = [RESULTS / name for name in ("throughput-1M.json", "throughput-10M.json",
                                             "scaling.json", "latency.json")
                 if (RESULTS / name).exists()]
    print("\n\n".join(render(p) for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
