"""Malformed input never gives a traceback: mutated rulebooks and broken data files.

Rule text: copies of the real Ningxia rules with one mistake each (a misspelt
field, a wrong type, an unclosed block, an unknown parameter, a reversed code
range, random deletions) must give exit 1 and a ``file:line:col`` location.
Data: ``ruledsl run`` over a missing column, a wrong type, a bad date, empty
tables, a 0-byte file and a GBK CSV with a BOM gives a precise error or a
correct result, never a traceback.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruledsl.diagnostics.render import render_all
from ruledsl.rulebook import check_paths

ROOT = Path(__file__).parent.parent
BOOK = ROOT / "rulebooks" / "ningxia"
LOCATION = re.compile(r"\.rules:\d+:\d+: (错误|error)")


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ruledsl", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def _mutated_book(tmp_path: Path, file: str, old: str, new: str, count: int = 1) -> Path:
    book = tmp_path / "book"
    shutil.copytree(BOOK, book)
    path = book / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return book


MUTATIONS = [
    ("misspelt field", "药品类.rules", "L.费用日期", "L.费用日其"),
    ("wrong type", "诊疗项目类.rules", '"201"', "201"),
    ("unclosed block", "临床路径类.rules", "\n}\n", "\n\n", 1),
    ("unknown parameter", "医保管理类.rules", "参数.max_visits", "参数.max_visit"),
    ("unknown table", "临床诊断类.rules", "诊断 d", "诊段 d"),
    ("unknown function", "药品类.rules", "周岁(", "周年("),
    ("keyword typo", "临床诊断类.rules", "且", "并"),
]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_a_mutated_rulebook_gives_exit_1_and_a_location(tmp_path: Path, mutation: tuple) -> None:
    _, file, old, new, *count = mutation
    book = _mutated_book(tmp_path, file, old, new, *count)
    out = _cli("check", "--format", "short", str(book))
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert LOCATION.search(out.stderr), out.stderr


def test_a_reversed_code_range_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "r.rules"
    path.write_text('规则 R-1 "r" { 类别 临床诊断类 结果类型 可疑 环节 事后 层级 就诊\n'
                    '  对每条 就诊 v 当 v.主诊断.diag_code 在编码范围 "O9A" 至 "O00" }', encoding="utf-8")
    out = _cli("check", "--format", "short", str(path))
    assert out.returncode == 1 and "E0305" in out.stderr and LOCATION.search(out.stderr)


TEXT = (BOOK / "药品类.rules").read_text(encoding="utf-8")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(TEXT) - 1), st.integers(1, 12),
                          st.sampled_from(["", "}", "{", "(", '"', "且", "x", "\n", "当", "1"])),
                min_size=1, max_size=3))
def test_randomly_damaged_rules_give_located_diagnostics(edits: list[tuple[int, int, str]]) -> None:
    text = TEXT
    for start, length, insert in edits:
        start = min(start, len(text))
        text = text[:start] + insert + text[start + length:]
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "damaged.rules"
        path.write_text(text, encoding="utf-8")
        diags = check_paths([path])  # never raises
    for d in diags:
        assert d.span is not None and d.span.line >= 1, d


def test_a_syntax_error_is_found_before_the_rest_of_a_big_file_is_read(tmp_path: Path) -> None:
    """The parser reads tokens as it goes: 10 MB of junk after an early mistake costs nothing,
    and the early mistake (not a bad character at the end) is the one reported."""
    path = tmp_path / "big.rules"
    path.write_text("规则库 3\n" + "x " * 5_000_000 + "@", encoding="utf-8")
    (diag,) = check_paths([path])
    assert (diag.code, diag.span.line, diag.span.column) == ("E0002", 1, 5)


def test_a_huge_word_is_quoted_short_and_its_line_shown_in_part(tmp_path: Path) -> None:
    path = tmp_path / "long.rules"
    path.write_text("规则 R-1 \"x\" { " + "字" * 1_000_000 + " }", encoding="utf-8")
    diags = check_paths([path])
    assert [d.code for d in diags] == ["E0002"]
    assert len(diags[0].message("zh")) < 300 and "字…" in diags[0].message("zh")
    assert len(render_all(diags, "rich", "en")) < 2000


def test_a_rule_file_half_in_gbk_points_at_the_first_gbk_line(tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(BOOK, book)
    path = book / "药品类.rules"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_bytes("".join(lines[:20]).encode("utf-8") + "".join(lines[20:]).encode("gbk"))
    out = _cli("check", "--format", "short", str(book))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert re.search(r"药品类\.rules:21:\d+: 错误: .*\[E0005\]\n  帮助: .*GBK", out.stderr), out.stderr


def test_a_nul_byte_is_located(tmp_path: Path) -> None:
    path = tmp_path / "nul.rules"
    path.write_bytes('规则 R-1 "x" {\n  当 1 > 0\n  提示 "a\x00b"\n}\n'.encode())
    (diag,) = check_paths([path])
    assert (diag.code, diag.span.line, diag.span.column) == ("E0005", 3, 8)


def test_fmt_locates_undecodable_bytes_as_check_does(tmp_path: Path) -> None:
    path = tmp_path / "bad.rules"
    path.write_bytes('规则 R-1 "x" {\n 类别 药品类 '.encode() + b"\xff\xfe\n}\n")
    out = _cli("fmt", "--check", str(path))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "bad.rules:2:9" in out.stderr and "[E0005]" in out.stderr


def test_a_folder_without_rule_files_is_an_error_not_an_empty_rulebook(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no rules here", encoding="utf-8")
    for command in ("check", "run", "test"):
        out = _cli(command, str(tmp_path))
        assert out.returncode == 1 and "Traceback" not in out.stderr
        assert "中没有规则文件（*.rules）" in out.stderr and "[E0005]" in out.stderr
    assert "no rule files (*.rules) in the folder" in _cli("--lang", "en", "check",
                                                          str(tmp_path)).stderr


# ------------------------------------------------------------------ data --

def _demo(tmp_path: Path) -> Path:
    from ruledsl.demo import embedded_demo_path

    data = tmp_path / "data"
    shutil.copytree(embedded_demo_path(), data)
    return data


def _run(data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return _cli("run", str(BOOK), "--claims", str(data / "claims"), "--kb", str(data / "kb"),
                "-q", *extra)


def _to_csv(data: Path, table: str) -> Path:
    import pyarrow.parquet as pq

    src = data / "claims" / f"{table}.parquet"
    out = data / "claims" / f"{table}.csv"
    pacsv.write_csv(pq.read_table(src), out)
    src.unlink()
    return out


def test_data_problems_are_precise_and_never_a_traceback(tmp_path: Path) -> None:
    data = _demo(tmp_path)
    fee = _to_csv(data, "fee")
    lines = fee.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    date_col = header.index('"fee_ocur_time"') if '"fee_ocur_time"' in header else header.index("fee_ocur_time")
    cells = lines[3].split(",")
    cells[date_col] = '"2025-02-30 09:00:00"'
    lines[3] = ",".join(cells)
    fee.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = _run(data)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "fee.csv" in out.stderr and "fee_ocur_time" in out.stderr and "3" in out.stderr


def test_a_missing_column_and_a_zero_byte_file(tmp_path: Path) -> None:
    data = _demo(tmp_path)
    person = _to_csv(data, "person")
    text = person.read_text(encoding="utf-8").splitlines()
    person.write_text("\n".join(",".join(r.split(",")[1:]) for r in text) + "\n", encoding="utf-8")
    (data / "claims" / "diagnosis.parquet").unlink()
    (data / "claims" / "diagnosis.csv").write_bytes(b"")
    out = _run(data)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "psn_no" in out.stderr and "diagnosis.csv" in out.stderr


def test_empty_tables_and_a_gbk_csv_with_bom_run_correctly(tmp_path: Path) -> None:
    data = _demo(tmp_path)
    reference = _run(data, "-o", str(tmp_path / "a.parquet"))
    assert reference.returncode == 0, reference.stderr
    drug = data / "kb" / "drug.parquet"
    import pyarrow.parquet as pq

    table = pq.read_table(drug)
    pacsv.write_csv(table, data / "kb" / "drug.tmp")
    text = (data / "kb" / "drug.tmp").read_text(encoding="utf-8")
    (data / "kb" / "drug.tmp").unlink()
    drug.unlink()
    (data / "kb" / "drug.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("gb18030"))
    again = _run(data, "-o", str(tmp_path / "b.parquet"))
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    # empty claims: a header-only fee table gives a (smaller) correct result, not an error
    fee = pq.read_table(data / "claims" / "fee.parquet").slice(0, 0)
    pq.write_table(fee, data / "claims" / "fee.parquet")
    empty = _run(data, "-o", str(tmp_path / "c.parquet"))
    assert empty.returncode == 0, empty.stderr


def test_an_output_in_a_new_folder_is_written_and_a_folder_as_output_is_refused(
        tmp_path: Path) -> None:
    data = _demo(tmp_path)
    out = _run(data, "-o", str(tmp_path / "new" / "v.parquet"), "--workers", "2",
               "--summary", str(tmp_path / "other" / "s.json"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "new" / "v.parquet").stat().st_size > 0
    assert (tmp_path / "other" / "s.json").stat().st_size > 0
    refused = _run(data, "-o", str(tmp_path))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert str(tmp_path) in refused.stderr
