"""Golden diagnostics: one broken rule file per error code, expected rendering beside it.

Each ``tests/data/errors/<CODE>.rules`` must produce diagnostics whose short
rendering (Chinese and English) equals ``<CODE>.out``; run with
``UPDATE_GOLDEN=1`` to rewrite the expected files after a deliberate change.
A further case of a code is named ``<CODE>-<what>.rules`` (e.g. a misspelt
keyword, ``E0002-keyword-typo.rules``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ruledsl.diagnostics.codes import CODES
from ruledsl.diagnostics.render import render_all
from ruledsl.rulebook import check_paths

DATA = Path(__file__).parent / "data" / "errors"
CASES = sorted(DATA.glob("*.rules"))
ROOT = Path(__file__).parent.parent


def _render(path: Path) -> str:
    diags = sorted(check_paths([path]), key=lambda d: d.sort_key())
    return render_all(diags, "short", "zh") + "\n--- en ---\n" + render_all(diags, "short", "en") + "\n"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    rel = path.relative_to(ROOT)
    actual = _render(rel)
    expected_path = path.with_suffix(".out")
    if os.environ.get("UPDATE_GOLDEN") or not expected_path.exists():
        expected_path.write_text(actual, encoding="utf-8")
    assert actual == expected_path.read_text(encoding="utf-8")
    assert f"[{_code(path)}]" in actual.split("--- en ---")[0], "the file must show its own code"


def _code(path: Path) -> str:
    return path.stem.split("-")[0]


def test_every_source_code_has_a_golden_file() -> None:
    """Every rule-text code (E…) except internal ones has a broken file."""
    rule_codes = {c for c in CODES if c.startswith("E")}
    assert rule_codes - {_code(p) for p in CASES} <= {"E0005"}


def test_cli_exit_codes(tmp_path: Path) -> None:
    """check exits 1 with diagnostics, 2 on usage errors, 0 when clean; never a traceback."""
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ruledsl", *args], capture_output=True,
                              text=True, cwd=ROOT)

    bad = run("check", "--format", "short", str(DATA / "E0202.rules"))
    assert bad.returncode == 1 and "E0202" in bad.stderr and "Traceback" not in bad.stderr
    junk = tmp_path / "junk.rules"
    junk.write_bytes(bytes(range(256)) * 40)
    out = run("check", str(junk))
    assert out.returncode == 1 and "E0005" in out.stderr and "Traceback" not in out.stderr
    assert run("check", str(tmp_path / "missing.rules")).returncode == 2
    if Path("/dev/null").exists():  # a device is no rule file: a usage error, as for fmt
        assert run("check", "/dev/null").returncode == 2
    assert run("nonsense").returncode == 2
    good = tmp_path / "ok.rules"
    good.write_text('规则 R-1 "x" { 类别 药品类 结果类型 可疑 环节 事后 层级 明细\n'
                    "  对每条 明细 x 当 x.数量 > 1 }", encoding="utf-8")
    assert run("check", str(good)).returncode == 0
