"""The ``ruledsl`` command line.

Exit codes: 0 success; 1 the input has problems (rule diagnostics, data
errors, failing examples, ``fmt --check`` changes, ``diff --fail-if`` hit);
2 usage errors (unknown option, rule id or parameter); 3 an internal error
(a bug: please report it; set ``RULEDSL_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import DiagnosticError, RuleDslError, UsageError
from .syntax.vocab import VALUES, stage_name

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse exits 2 on usage errors, as we want
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: 用法错误 / usage error: {message}\n")


def _color(stream: Any) -> bool:
    return hasattr(stream, "isatty") and stream.isatty() and "NO_COLOR" not in os.environ


def _print_diagnostics(diags: Sequence[Any], fmt: str, lang: str) -> None:
    from .diagnostics.render import render_all

    stream = sys.stdout if fmt == "json" else sys.stderr
    print(render_all(sorted(diags, key=lambda d: d.sort_key()), fmt, lang,
                     color=_color(stream) and fmt == "rich"), file=stream)


# ------------------------------------------------------------------ commands --


def cmd_check(args: argparse.Namespace) -> int:
    """``ruledsl check PATH…``: diagnostics for rule files or rulebook folders."""
    from .rulebook import check_paths

    missing = [p for p in args.paths if not (Path(p).is_file() or Path(p).is_dir())]
    if missing:  # a device or a pipe (/dev/null) is no rule file either: a usage error, as for fmt
        raise UsageError(f"找不到 / not found: {', '.join(missing)}")
    diags = check_paths(args.paths)
    if diags:
        _print_diagnostics(diags, args.format, args.lang)
        return EXIT_PROBLEMS
    if args.format == "json":
        print("[]")
    elif not args.quiet:
        print("检查通过 / no problems found" if args.lang == "zh" else "no problems found")
    return EXIT_OK


def cmd_fmt(args: argparse.Namespace) -> int:
    """``ruledsl fmt [--lang zh|en] [--check] PATH…``."""
    from .fmt import format_paths

    changed = format_paths(args.paths, args.lang, args.check)
    for path in changed:
        print(f"{'would reformat' if args.check else 'reformatted'} {path}")
    return EXIT_PROBLEMS if (args.check and changed) else EXIT_OK


def _parse_params(book: Any, items: Sequence[str]) -> dict[str, Any]:
    from .check.checker import PARAM_TYPES
    from .types import SetType

    out: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep:
            raise UsageError(f"--param 应写作 NAME=VALUE / expected NAME=VALUE: {item!r}")
        infos = [p for p in book.params.values() if name in (p.name, p.local)]
        if not infos:
            raise UsageError(f"未知参数 / unknown parameter: {name}")
        dtype = infos[0].dtype
        try:
            out[name] = _convert(text, dtype, PARAM_TYPES, SetType)
        except ValueError as exc:
            raise UsageError(f"参数 {name} 的值无效 / bad value for {name}: {text!r} ({exc})") from None
    return out


def _convert(text: str, dtype: Any, types: dict[str, Any], set_type: Any) -> Any:
    import datetime as dt

    if isinstance(dtype, set_type):
        return tuple(_convert(t.strip(), dtype.item, types, set_type) for t in text.split(",") if t.strip())
    name = getattr(dtype, "name", "")
    if name == "int":
        return int(text)
    if name in ("float", "money"):
        return float(text)
    if name == "date":
        return dt.date.fromisoformat(text)
    if name == "bool":
        if text.lower() not in ("true", "false", "1", "0", "是", "否"):
            raise ValueError("expected true/false")
        return text.lower() in ("true", "1", "是")
    return text


class Progress:
    """Progress on stderr for runs longer than a couple of seconds.

    On a terminal, one bar redrawn in place; otherwise (a log file, a batch job)
    a line every :attr:`LOG_EVERY` seconds and one at the end, so that an
    operator reading the log sees where a long run is.
    """

    LOG_EVERY = 10.0

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.start = time.perf_counter()
        self.shown = False
        self.logged = self.start

    def __call__(self, rule_id: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        elapsed = now - self.start
        if elapsed < 2 and not self.shown:
            return
        if not self.tty:
            if self.shown and done < total and now - self.logged < self.LOG_EVERY:
                return
            self.logged = now
        self.shown = True
        if self.tty:
            bar = "#" * int(20 * done / max(total, 1))
            end = "\n" if done >= total else ""
            print(f"\r[{bar:<20}] {done}/{total} {rule_id:<8} {elapsed:6.1f}s", end=end,
                  file=sys.stderr, flush=True)
        else:
            print(f"ruledsl: {done}/{total} {rule_id} {elapsed:.1f}s", file=sys.stderr,
                  flush=True)


def _existing(*paths: str | None) -> None:
    missing = [p for p in paths if p is not None and not Path(p).exists()]
    if missing:
        raise UsageError(f"找不到 / not found: {', '.join(missing)}")


def _output_file(path: str | None) -> None:
    """Check an output file argument before any work: not a folder; its folder is created
    (a run is not lost for want of a folder)."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"输出应为文件，而 {path} 是文件夹 / {path} is a folder, not a file")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"无法创建输出文件夹 / cannot create the output folder "
                         f"{target.parent}: {exc.strerror}") from None


def cmd_run(args: argparse.Namespace) -> int:
    """``ruledsl run RULEBOOK [--claims DIR --kb DIR] [-o OUT] …``."""
    from .execute.memory import arrow_on_c_heap, keep_freed_memory

    # the heap first, before numpy or pyarrow is imported (their imports start threads):
    # big arrays from it, freed blocks reused, and one arena for every thread (the job
    # threads', Arrow's), so that a block one thread frees is reused by another
    keep_freed_memory(one_arena=True)
    from .execute.output import write_violations
    from .rulebook import load_rulebook

    _existing(args.rulebook, args.claims, args.kb)
    _output_file(args.output)
    _output_file(args.summary)
    claims, kb = args.claims, args.kb
    if (claims is None) != (kb is None):
        raise UsageError("--claims 与 --kb 需同时给出 / give both --claims and --kb")
    if claims is None:
        from .demo import embedded_demo_path

        demo = embedded_demo_path()
        claims, kb = demo / "claims", demo / "kb"
        if not args.quiet:
            print(f"使用内置演示数据 / using the embedded demo data: {demo}", file=sys.stderr)
    if args.workers is None:
        args.workers, buckets = auto_scale(args, claims)
        if buckets is not None:
            args.buckets = buckets
            if not args.quiet:
                print(f"ruledsl: 单线程逐桶运行，每种分区 {buckets} 桶（--workers 1 则整批运行）/ "
                      f"one worker thread over {buckets} buckets per partitioning "
                      "(--workers 1 runs one batch)", file=sys.stderr)
        elif args.workers > 1 and not args.quiet:
            print(f"ruledsl: 按 CPU 数使用 {args.workers} 个线程（--workers 1 则整批运行）/ "
                  f"{args.workers} worker threads, one per CPU (--workers 1 runs one batch)",
                  file=sys.stderr)
    _check_scale_options(args)
    scaled = _scaled_run_wanted(args, claims)
    arrow_on_c_heap()  # Arrow's buffers from the same heap
    prefetched = _prefetch_claims(args, claims) if scaled else None
    book = load_rulebook(args.rulebook)
    params = _parse_params(book, args.param)
    try:
        compiled = book.compile(rules=args.rules or None, params=params, stage=args.stage)
    except KeyError as exc:
        raise UsageError(f"未知规则 / unknown rule: {exc.args[0]}") from None
    start = time.perf_counter()
    if scaled:
        # bucket by bucket: each job's violations go to a spill folder beside the output,
        # and the output is written rule by rule, so it need not fit in memory
        spill_root = Path(args.output).resolve().parent if args.output else None
        with tempfile.TemporaryDirectory(prefix=".ruledsl-spill-", dir=spill_root) as spill:
            merged = _run_scaled(args, compiled, claims, kb, spill, prefetched)
            violations = _write_parts(merged.parts(), args.output, args.format)
            summary = merged.summary()
    else:
        table, summary = compiled.run_with_summary(Path(claims), Path(kb),
                                                   progress=Progress(not args.quiet))
        if args.output:
            write_violations(table, Path(args.output), args.format)
        violations = table.num_rows
    seconds = time.perf_counter() - start
    if not args.quiet:
        _print_summary(summary, book, violations, seconds, args.output, args.lang)
    if args.summary:
        Path(args.summary).write_text(json.dumps({
            "rulebook": book.name, "violations": violations, "seconds": round(seconds, 3),
            "rules": [dict(rule_id=s.rule_id, firings=s.firings, amount=s.amount,
                           evaluable=s.evaluable, reason=s.reason, seconds=round(s.seconds, 4))
                      for s in summary]}, ensure_ascii=False, indent=2), encoding="utf-8")
    return EXIT_OK


def _write_parts(parts: Any, output: str | None, fmt: str) -> int:
    """Write violations given rule by rule (or only count them without ``-o``)."""
    from .execute.output import ViolationsWriter

    if output is None:
        return sum(part.num_rows for part in parts)
    with ViolationsWriter(Path(output), fmt) as writer:
        for part in parts:
            writer.write(part)
    return writer.rows


STAGE_WORDS = tuple(w for en, zh in VALUES["stage"].items() for w in (*zh, en))
"""The stages ``--stage`` takes, in Chinese and English (事前, pre, 事中 …)."""
AUTO_WORKERS_FROM_BYTES = 16 << 20
"""Claim files at least this big run on every CPU when ``--workers`` is not given: on the
2-core benchmark machine, 2 threads took 4.5 s against 5.1 s for one batch at 1M fee lines
(21 MB of Parquet) and 26.5 s against 47-51 s at 10M, but 1.9 s against 1.6 s at 100k
(2.7 MB)."""
MAX_AUTO_WORKERS = 8


ONE_WORKER_BUCKETS = 4
"""Buckets per partitioning of a big claims folder run on one CPU: at 10M fee lines, one
thread over 4 buckets took 36.5-36.7 s and peaked at 4.0-4.1 GiB, against 40.7-42.7 s and
6.9-7.0 GiB for one batch (2 buckets: 42.1 s, 5.4 GiB)."""


def auto_scale(args: argparse.Namespace, claims: Any) -> tuple[int, int | None]:
    """``run``'s workers, and buckets when they are not the default, when ``--workers`` is not
    given: one batch, unless the claims are a folder of at least
    :data:`AUTO_WORKERS_FROM_BYTES` and no other scale option was given; then one worker per
    CPU this process may use (at most :data:`MAX_AUTO_WORKERS`), or, on one CPU, one worker
    over :data:`ONE_WORKER_BUCKETS` buckets per partitioning."""
    from .scale.buckets import is_dataset

    if (args.engine is not None or args.buckets is not None or args.max_memory is not None
            or args.scheduler is not None or is_dataset(claims) or not Path(claims).is_dir()):
        return 1, None
    size = sum(f.stat().st_size for f in Path(claims).iterdir() if f.is_file())
    if size < AUTO_WORKERS_FROM_BYTES:
        return 1, None
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = min(cpus, MAX_AUTO_WORKERS)
    return workers, None if workers > 1 else ONE_WORKER_BUCKETS


def _scaled_run_wanted(args: argparse.Namespace, claims: Any) -> bool:
    """Whether ``run`` goes through :mod:`ruledsl.scale` (workers, engine, dataset, buckets)."""
    from .scale.buckets import is_dataset

    return (args.workers != 1 or args.engine not in (None, "local") or args.buckets is not None
            or args.max_memory is not None or args.scheduler is not None or is_dataset(claims))


def _check_scale_options(args: argparse.Namespace) -> None:
    """Usage errors of ``run``'s scale options, before anything is loaded."""
    from .scale.threads import parse_size

    if args.workers < 1:
        raise UsageError("--workers 至少为 1 / --workers must be at least 1")
    if args.buckets is not None and args.buckets < 1:
        raise UsageError("--buckets 至少为 1 / --buckets must be at least 1")
    engine = args.engine or ("local" if args.workers == 1 else "threads")
    if args.scheduler and engine != "dask":
        raise UsageError("--scheduler 仅用于 --engine dask / --scheduler needs --engine dask")
    if engine == "dask":
        from .scale.dask_engine import dask_available

        if not dask_available():
            raise UsageError('--engine dask 需要安装 dask / needs dask: '
                             'pip install "dask[distributed]"')
    if args.max_memory is not None:
        try:
            parse_size(args.max_memory)
        except ValueError as exc:
            raise UsageError(f"--max-memory: {exc}") from None


def _prefetch_claims(args: argparse.Namespace, claims: Any) -> Any:
    """A claims folder's tables, read while the rulebook is loaded, for a run on threads
    (:class:`~ruledsl.scale.threads.ClaimsPrefetch`); None for a dataset or Dask."""
    from .scale.buckets import is_dataset
    from .scale.threads import ClaimsPrefetch

    if args.engine == "dask" or is_dataset(claims) or not Path(claims).is_dir():
        return None
    return ClaimsPrefetch(claims, threads=args.workers)


def _run_scaled(args: argparse.Namespace, compiled: Any, claims: Any, kb: Any,
                spill: str, prefetched: Any = None) -> Any:
    """``run --workers N --engine local|threads|dask [--scheduler ADDR] [--max-memory SIZE]``."""
    from .scale.threads import parse_size, run_scaled_parts

    engine = args.engine or ("local" if args.workers == 1 else "threads")

    def note(line: str) -> None:
        if not args.quiet:
            print(f"ruledsl: {line}", file=sys.stderr)

    limit = parse_size(args.max_memory) if args.max_memory is not None else None

    def advice(line: str) -> None:  # advice is printed even with --quiet
        print(f"ruledsl: {line}", file=sys.stderr)

    return run_scaled_parts(compiled, Path(claims), Path(kb), engine=engine,
                            workers=args.workers, buckets=args.buckets,
                            scheduler=args.scheduler, progress=Progress(not args.quiet),
                            notes=advice if limit is not None else note, max_memory=limit,
                            spill=spill, phases=note, prefetched=prefetched)


def cmd_partition(args: argparse.Namespace) -> int:
    """``ruledsl partition --claims DIR --out DATASET [--by person,…] [--buckets K]``.

    With ``--rulebook PATH --explain``: print each rule's partition key instead.
    """
    from .scale.partition import SCHEMES, plan_partitions

    book = None
    if args.rulebook:
        from .rulebook import load_rulebook

        _existing(args.rulebook)
        book = load_rulebook(args.rulebook)
    if args.explain:
        if book is None:
            raise UsageError("--explain 需要 --rulebook / --explain needs --rulebook")
        print(plan_partitions(book.enabled_rules).render(args.lang))
        return EXIT_OK
    if args.claims is None or args.out is None:
        raise UsageError("需要 --claims 与 --out / give --claims and --out")
    _existing(args.claims)
    by = [s.strip() for s in args.by.split(",") if s.strip()]
    if "auto" in by:
        if book is None:
            raise UsageError("--by auto 需要 --rulebook / --by auto needs --rulebook")
        keys = {a.key for a in plan_partitions(book.enabled_rules).rules}
        by = ["person", *[s for s in SCHEMES if s in keys and s != "person"]]
    unknown = [s for s in by if s not in SCHEMES]
    if unknown:
        raise UsageError(f"未知分区 / unknown partitioning: {', '.join(unknown)} "
                         f"(choose from {', '.join(SCHEMES)}, auto)")
    if args.buckets < 1:
        raise UsageError("--buckets 至少为 1 / --buckets must be at least 1")
    from .scale.buckets import write_dataset

    def say(line: str) -> None:
        if not args.quiet:
            print(f"ruledsl partition: {line}", file=sys.stderr)

    manifest = write_dataset(args.claims, args.out, by, args.buckets, progress=say)
    if not args.quiet:
        fee = manifest["schemes"]["person"]["tables"].get("fee", {"rows": [0]})["rows"]
        print(f"已写入 {args.out}：{', '.join(manifest['schemes'])} 分区，每种 {args.buckets} 桶；"
              f"明细 {sum(fee)} 行，最大桶 {max(fee)} 行（{manifest['seconds']:.1f} 秒）"
              if args.lang == "zh" else
              f"wrote {args.out}: {', '.join(manifest['schemes'])} partitioning(s), "
              f"{args.buckets} buckets each; {sum(fee)} fee lines, largest bucket {max(fee)} "
              f"({manifest['seconds']:.1f}s)")
    return EXIT_OK


def _print_summary(summary: Sequence[Any], book: Any, total: int, seconds: float,
                   output: str | None, lang: str = "zh") -> None:
    from .diagnostics.render import display_width

    def pad(text: str, width: int, right: bool = False) -> str:  # in terminal columns
        fill = " " * max(width - display_width(text), 0)
        return fill + text if right else text + fill

    names = {r.id: r.name for r in book.rules}
    name_width = min(max((display_width(n) for n in names.values()), default=4), 40)
    zh = lang == "zh"
    rule, name, firings, amount, time = (("规则", "名称", "触发", "违规金额", "耗时(s)") if zh else
                                         ("rule", "name", "firings", "amount", "time(s)"))
    print(f"{pad(rule, 8)} {pad(name, name_width)} {pad(firings, 7, True)} "
          f"{pad(amount, 14, True)} {pad(time, 8, True)}")
    for s in summary:
        state = (f"{s.firings:>7} {s.amount:>14.2f}" if s.evaluable else
                 f"{'不可评估：' if zh else 'not evaluable: '}{s.reason}")
        print(f"{pad(s.rule_id, 8)} {pad(names.get(s.rule_id, ''), name_width)} {state} "
              f"{s.seconds:>8.3f}")
    if zh:
        print(f"共 {total} 条违规{f'，已写入 {output}' if output else ''}（{seconds:.2f} 秒）")
    else:
        print(f"{total} violations{f', written to {output}' if output else ''} ({seconds:.2f}s)")


def cmd_test(args: argparse.Namespace) -> int:
    """``ruledsl test RULEBOOK``: run every rule's examples."""
    from .rulebook import load_rulebook
    from .testing.examples import run_examples

    _existing(args.rulebook)
    book = load_rulebook(args.rulebook)
    results = run_examples(book, rule_ids=args.rules or None, engine=args.engine)
    failed = [r for r in results if not r.ok]
    for result in results:
        if not args.quiet or not result.ok:
            print(result.render(args.lang))
    if args.coverage:
        from .data.load import load_tables
        from .demo import embedded_demo_path
        from .testing.coverage import render, rule_coverage

        demo = embedded_demo_path()
        batches = [(load_tables(demo / "claims", "claims"), load_tables(demo / "kb", "kb"))]
        rules = [r for r in book.enabled_rules if not args.rules or r.id in args.rules]
        print(render([rule_coverage(book, r, batches) for r in rules], args.lang))
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return EXIT_PROBLEMS if failed else EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    """``ruledsl explain RULEBOOK [--rule ID]``: the plan, with what rules share."""
    from .plan.explain import explain
    from .rulebook import load_rulebook

    _existing(args.rulebook)
    book = load_rulebook(args.rulebook)
    if args.rule and args.rule not in {r.id for r in book.rules}:
        raise UsageError(f"未知规则 / unknown rule: {args.rule}")
    print(explain(book, args.rule))
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    """``ruledsl rules RULEBOOK [--format text|json]``: the rules and their metadata."""
    from .rulebook import load_rulebook

    _existing(args.rulebook)
    book = load_rulebook(args.rulebook)
    stage = stage_name(args.stage) if args.stage else None
    rows = [rule_metadata(r, book) for r in book.rules if stage is None or stage in r.stages]
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    from .syntax.vocab import spell_value

    for row in rows:
        state = "" if row["enabled"] else ("  [停用]" if args.lang == "zh" else "  [disabled]")
        result = spell_value("result", row["result_type"], args.lang)
        level = spell_value("level", row["level"], args.lang)
        stages = "/".join(spell_value("stage", s, args.lang) for s in row["stages"])
        print(f"{row['id']:<7} {row['name']}  {row['category']} · {result} · {level} · {stages}{state}")
    return EXIT_OK


def rule_metadata(rule: Any, book: Any) -> dict[str, Any]:
    """A rule's metadata as plain data."""
    return {
        "id": rule.id, "name": rule.name, "category": rule.category,
        "result_type": rule.result_type, "level": rule.level, "stages": list(rule.stages),
        "severity": rule.severity, "enabled": rule.enabled and rule.id not in book.disabled,
        "effective": [str(d) if d else None for d in rule.effective],
        "source": rule.source_text, "description": rule.description,
        "params": [{"name": p.local, "type": str(p.dtype),
                    "default": book.params[p.name].default, "doc": p.doc} for p in rule.params],
        "examples": len(rule.examples),
    }


def cmd_diff(args: argparse.Namespace) -> int:
    """``ruledsl diff OLD NEW --claims DIR --kb DIR``: what a rule change does to the firings."""
    from .diff import diff_rulebooks, failed_conditions, parse_condition, render
    from .rulebook import load_rulebook

    for condition in args.fail_if:
        try:
            parse_condition(condition)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    _output_file(args.output)
    old, new = load_rulebook(args.old), load_rulebook(args.new)
    claims, kb = args.claims, args.kb
    if claims is None or kb is None:
        from .demo import embedded_demo_path

        claims, kb = embedded_demo_path() / "claims", embedded_demo_path() / "kb"
    diffs = diff_rulebooks(old, new, Path(claims), Path(kb), args.rules)
    text = render(diffs, args.format, args.samples)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    hits = failed_conditions(diffs, args.fail_if)
    for hit in hits:
        print(f"ruledsl diff: --fail-if {hit}", file=sys.stderr)
    return EXIT_PROBLEMS if hits else EXIT_OK


def cmd_demo_data(args: argparse.Namespace) -> int:
    """``ruledsl demo-data --persons N --out DIR``."""
    from .demo.generate import write_demo

    write_demo(Path(args.out), args.persons, seed=args.seed, csv=args.csv)
    if not args.quiet:
        print(f"演示数据已写入 {args.out}")
    return EXIT_OK


# -------------------------------------------------------------------- parser --


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = _Parser(prog="ruledsl", description="医保智能监控规则语言 / medical-insurance audit rules")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh", help="message language")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only what scripts need")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS)
        p.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS)

    p = sub.add_parser("check", help="check rule files or rulebooks")
    common(p)
    p.add_argument("paths", nargs="+")
    p.add_argument("--format", choices=["short", "rich", "json"], default="rich")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("fmt", help="format rule files canonically")
    common(p)
    p.add_argument("paths", nargs="+")
    p.add_argument("--check", action="store_true", help="report files that would change")
    p.set_defaults(func=cmd_fmt)

    p = sub.add_parser("run", help="run a rulebook over a claim batch")
    common(p)
    p.add_argument("rulebook")
    p.add_argument("--claims", help="claims folder (default: the embedded demo)")
    p.add_argument("--kb", help="knowledge-base folder (default: the embedded demo)")
    p.add_argument("-o", "--output", help="violations file to write")
    p.add_argument("--format", choices=["parquet", "csv", "jsonl"], default="parquet")
    p.add_argument("--rules", nargs="+", metavar="ID", help="run only these rules")
    p.add_argument("--stage", choices=STAGE_WORDS, metavar="STAGE",
                   help="run only the rules whose 环节 lists this stage: 事前 (pre), 事中 "
                        "(during) or 事后 (post)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--summary", metavar="JSON", help="write the per-rule summary as JSON")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="run buckets of the batch on N workers (threads or Dask workers); "
                        "default: one per CPU for claims of 16 MiB or more (on one CPU, "
                        "buckets on 1), else 1 (one batch)")
    p.add_argument("--engine", choices=["local", "threads", "dask"], default=None,
                   help="where buckets run (default: local for 1 worker, else threads)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address (default: a local cluster)")
    p.add_argument("--buckets", type=int, default=None, metavar="K",
                   help="buckets an in-memory batch is split into (default: 2 x workers, "
                        "3 x workers from 3M claim rows in memory)")
    p.add_argument("--max-memory", metavar="SIZE",
                   help="advise when a bucket is estimated to need more than SIZE (e.g. 4G)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("partition", help="write a claims folder as a bucketed Parquet dataset")
    common(p)
    p.add_argument("--claims", help="claims folder to partition")
    p.add_argument("--out", metavar="DATASET", help="dataset folder to write")
    p.add_argument("--by", default="person", metavar="KEYS",
                   help="person[,institution][,doctor], or auto (what --rulebook needs)")
    p.add_argument("--buckets", type=int, default=16, metavar="K")
    p.add_argument("--rulebook", help="rulebook for --by auto and --explain")
    p.add_argument("--explain", action="store_true",
                   help="print each rule's partition key (with --rulebook) and exit")
    p.set_defaults(func=cmd_partition)

    p = sub.add_parser("test", help="run the rulebook's examples")
    common(p)
    p.add_argument("rulebook")
    p.add_argument("--rules", nargs="+", metavar="ID")
    p.add_argument("--engine", choices=["both", "vector", "interpret"], default="both")
    p.add_argument("--coverage", action="store_true",
                   help="report which conditions were ever decisive (examples + the demo data)")
    p.set_defaults(func=cmd_test)

    p = sub.add_parser("explain", help="print the compiled plan")
    common(p)
    p.add_argument("rulebook")
    p.add_argument("--rule", metavar="ID")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("rules", help="list the rules and their metadata")
    common(p)
    p.add_argument("rulebook")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--stage", choices=STAGE_WORDS, metavar="STAGE",
                   help="list only the rules whose 环节 lists this stage (事前, 事中, 事后)")
    p.set_defaults(func=cmd_rules)

    p = sub.add_parser("diff", help="compare the firings of two rulebooks on one batch")
    common(p)
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--claims", help="claims folder (default: the embedded demo)")
    p.add_argument("--kb", help="knowledge-base folder (default: the embedded demo)")
    p.add_argument("--rules", nargs="+", metavar="ID")
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    p.add_argument("--samples", type=int, default=3, help="samples shown per change kind")
    p.add_argument("-o", "--output", help="write the report to a file")
    p.add_argument("--fail-if", action="append", default=[], metavar="[RULE:]METRIC>N",
                   help="exit 1 when a condition holds, e.g. removed>0 or YP-06:added_amount>1000")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("demo-data", help="generate a demo claim batch and knowledge base")
    common(p)
    p.add_argument("--persons", type=int, default=2000)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--csv", action="store_true")
    p.set_defaults(func=cmd_demo_data)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"ruledsl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DiagnosticError as exc:
        _print_diagnostics(exc.diagnostics, getattr(args, "format", "rich")
                           if getattr(args, "format", "rich") in ("short", "rich", "json") else "rich",
                           args.lang)
        return EXIT_PROBLEMS
    except RuleDslError as exc:
        print(f"ruledsl: {'错误' if args.lang == 'zh' else 'error'}: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's flush
        except OSError:
            pass
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - never show a traceback to a user
        if os.environ.get("RULEDSL_DEBUG"):
            raise
        print(f"ruledsl: 内部错误 / internal error: {type(exc).__name__}: {exc}\n"
              "  请报告此问题；设置 RULEDSL_DEBUG=1 可显示调用栈 / please report it; "
              "RULEDSL_DEBUG=1 shows the traceback", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
