"""Shared helpers of the benchmark scripts: datasets, worker subprocesses, machine facts.

Not part of the test suite. Every measured configuration runs in a fresh Python
subprocess (``python <script> --worker '<json spec>'``) so that its peak RSS is its own; the
parent reads the child's ``ru_maxrss`` with ``os.wait4`` (per child, not the cumulative
``RUSAGE_CHILDREN`` maximum), and the child also reports its own ``VmHWM``.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
RESULTS = BENCH / "results"
RULEBOOK = ROOT / "rulebooks" / "ningxia"
DEFAULT_DATA = Path("/tmp/ruledsl-bench")
LINES_PER_PERSON = 50
MAX_RSS_MB = float(os.environ.get("BENCH_MAX_RSS_GB", "16")) * 1024
"""A measured subprocess whose resident set passes this is killed (env BENCH_MAX_RSS_GB)."""  # the demo generator gives ~50.9 fee lines per background person

if str(ROOT) not in sys.path:  # so that ``benchmarks.oracle`` imports from a script run
    sys.path.insert(0, str(ROOT))
ENGINE = ROOT / "src"
"""The engine measured: this checkout's own ``src`` (first on the path of every benchmark
process), not whichever checkout ``pip install -e`` points at: a worktree of an older commit
measures that commit."""
if ENGINE.is_dir() and str(ENGINE) not in sys.path:
    sys.path.insert(0, str(ENGINE))


# --------------------------------------------------------------------------- sizes and data
def parse_size(text: str) -> int:
    """``1M`` -> 1_000_000, ``100k`` -> 100_000, ``3000000`` -> 3_000_000."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*([kKmM]?)\s*", text)
    if not m:
        raise ValueError(f"bad size {text!r}")
    mult = {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


def label(lines: int) -> str:
    return f"{lines / 1e6:g}M" if lines >= 1_000_000 else f"{lines / 1e3:g}k"


def persons_for(lines: int) -> int:
    return max(1, round(lines / LINES_PER_PERSON))


def dataset(persons: int, data: Path = DEFAULT_DATA, seed: int = 0) -> Path:
    """The demo batch of ``persons`` background persons as Parquet under ``data``; generated
    (in a subprocess, so that the generator's memory is returned) when not cached."""
    folder = Path(data) / f"p{persons}-s{seed}"
    marker = folder / "done.json"
    if marker.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    print(f"[data] generating {persons} persons (seed {seed}) into {folder} ...", flush=True)
    code = (
        "import json, sys, time\n"
        "from ruledsl.demo import write_demo\n"
        f"t = time.perf_counter(); d = write_demo({str(folder)!r}, {persons}, seed={seed})\n"
        "rows = {k: v.num_rows for k, v in d.claims.items()}\n"
        f"open({str(marker)!r}, 'w').write(json.dumps({{'persons': {persons}, 'seed': {seed},"
        " 'rows': rows, 'seconds': time.perf_counter() - t}))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    return folder


def shuffled(folder: Path, seed: int) -> Path:
    """A copy of the demo batch ``folder`` with the rows of every claim table in a random
    order (``seed``): extracts need not come sorted by visit or id; the knowledge base is
    shared. Kept beside it as ``<folder>-shuffled<seed>``; made when missing."""
    out = folder.with_name(f"{folder.name}-shuffled{seed}")
    marker = out / "done.json"
    if marker.exists():
        return out
    import numpy as np
    import pyarrow.parquet as pq

    print(f"[data] shuffling the claims of {folder} into {out} ...", flush=True)
    (out / "claims").mkdir(parents=True, exist_ok=True)
    if not (out / "kb").exists():
        (out / "kb").symlink_to((folder / "kb").resolve())
    rng = np.random.default_rng(seed)
    for path in sorted((folder / "claims").glob("*.parquet")):
        table = pq.read_table(path)
        pq.write_table(table.take(rng.permutation(table.num_rows)), out / "claims" / path.name)
    marker.write_text((folder / "done.json").read_text())
    return out


def dataset_rows(folder: Path) -> dict[str, int]:
    return json.loads((folder / "done.json").read_text())["rows"]


# --------------------------------------------------------------------------- machine facts
def load_avg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:  # pragma: no cover
        return "?"


def machine() -> dict[str, Any]:
    import numpy
    import pyarrow

    versions: dict[str, str] = {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pyarrow": pyarrow.__version__,
    }
    for mod in ("duckdb", "polars", "zen"):
        try:
            from importlib.metadata import version

            versions[mod] = version({"zen": "zen-engine"}.get(mod, mod))
        except Exception:  # noqa: BLE001 - not installed
            versions[mod] = "not installed"
    try:
        from importlib.metadata import version

        versions["ruledsl"] = version("ruledsl")
    except Exception:  # noqa: BLE001
        versions["ruledsl"] = "?"
    from importlib.util import find_spec  # (where it imports from, without importing it)

    spec = find_spec("ruledsl")
    versions["ruledsl_from"] = str(Path(spec.origin).resolve().parents[1]) \
        if spec is not None and spec.origin else "?"
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src",
                            "rulebooks"], capture_output=True, text=True).stdout.strip()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "mem_gib": round(mem_kb / 2**20, 1),
        "platform": platform.platform(),
        "versions": versions,
        "commit": commit + ("+local changes in src/ or rulebooks/" if dirty else ""),
        "loadavg_start": load_avg(),
    }


def rss_now_mb() -> float:
    """This process's current resident set (VmRSS), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover


def vm_hwm_mb() -> float:
    """This process's peak resident set (VmHWM), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover


# --------------------------------------------------------------------------- threads
def thread_env(threads: int) -> dict[str, str]:
    """Environment limiting every thread pool we know of to ``threads``: OpenMP/BLAS (numpy),
    Arrow's CPU pool (Arrow reads ``OMP_NUM_THREADS``), Polars, Rayon (zen-engine)."""
    env = dict(os.environ)
    n = str(threads)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMEXPR_NUM_THREADS", "POLARS_MAX_THREADS", "RAYON_NUM_THREADS"):
        env[var] = n
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ENGINE), str(ROOT), env.get("PYTHONPATH"))
                                        if p)
    return env


def apply_threads_in_worker(threads: int) -> None:
    import pyarrow as pa

    pa.set_cpu_count(threads)
    pa.set_io_thread_count(max(1, threads))


# --------------------------------------------------------------------------- subprocesses
def _first_to_die() -> None:
    """In the child: if memory runs out, the kernel kills this measurement first, not
    another engineer's process."""
    try:
        Path("/proc/self/oom_score_adj").write_text("1000")
    except OSError:  # pragma: no cover
        pass


def run_child(argv: list[str], env: dict[str, str], timeout: float,
              cwd: Path = ROOT) -> dict[str, Any]:
    """Run ``argv``; return wall seconds, exit code, output and the child's own peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_first_to_die)
    out_chunks: list[str] = []
    err_chunks: list[str] = []
    t_out = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()))  # type: ignore[union-attr]
    t_err = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()))  # type: ignore[union-attr]
    t_out.start()
    t_err.start()
    fired: list[bool] = []
    timer = threading.Timer(timeout, lambda: (fired.append(True), proc.kill()))
    timer.start()
    over: list[float] = []
    done = threading.Event()

    def watch() -> None:  # the machine is shared: never let one measurement exhaust its memory
        status_file = Path(f"/proc/{proc.pid}/status")
        while not done.wait(0.25):
            try:
                for line in status_file.read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss_mb = int(line.split()[1]) / 1024
                        if rss_mb > MAX_RSS_MB:
                            over.append(rss_mb)
                            proc.kill()
                            return
            except (OSError, ValueError):
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
        done.set()
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    t_out.join()
    t_err.join()
    return {
        "wall_s": wall,
        "rc": proc.returncode,
        "timed_out": bool(fired),
        "sigkill_from_outside": proc.returncode == -9 and not fired and not over,
        "rss_limit_hit_mb": over[0] if over else None,
        "maxrss_mb": usage.ru_maxrss / 1024,  # Linux: KiB
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "sys_s": usage.ru_stime,
        "stdout": "".join(out_chunks),
        "stderr": "".join(err_chunks),
    }


def run_worker(script: Path, spec: dict[str, Any], threads: int, timeout: float) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; return its JSON result plus RSS facts."""
    spec = dict(spec, threads=threads)
    load_before = load_avg()
    child = run_child([sys.executable, str(script), "--worker", json.dumps(spec)],
                      thread_env(threads), timeout)
    result: dict[str, Any] = {}
    for line in child["stdout"].splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
    if child["rc"] != 0 or not result:
        tail = "\n".join(child["stderr"].splitlines()[-15:])
        why = ("timed out" if child["timed_out"] else
               f"killed: RSS over the {MAX_RSS_MB / 1024:.0f} GiB limit" if child["rss_limit_hit_mb"]
               else "killed by SIGKILL from outside (the kernel's OOM killer: the shared machine "
               "ran out of memory)" if child["sigkill_from_outside"]
               else f"exit {child['rc']}")
        result = dict(result, error=f"{why}: {tail}")
    result.update(threads=threads, maxrss_mb=round(child["maxrss_mb"], 1),
                  cpu_s=round(child["cpu_s"], 2),
                  process_wall_s=round(child["wall_s"], 2), loadavg_before=load_before,
                  loadavg_after=load_avg())
    return result


def source_state() -> str:
    """HEAD and whether src/ has uncommitted changes (the checkout is shared, and the engine
    a worker imported is the working tree at its start)."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
                           capture_output=True, text=True).stdout.strip()
    return commit + (" +uncommitted src changes" if dirty else "")


def emit(result: dict[str, Any]) -> None:
    result["vmhwm_mb"] = round(vm_hwm_mb(), 1)
    result.setdefault("source", SOURCE_AT_START)
    print("RESULT " + json.dumps(result, default=str), flush=True)


# --------------------------------------------------------------------------- output
def write_json(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")
    return path


def table(rows: list[list[Any]], header: list[str]) -> str:
    cells = [[str(c) for c in header]] + [[("" if c is None else str(c)) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt_s(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


SOURCE_AT_START = source_state()
