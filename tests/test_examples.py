"""The examples under ``examples/`` keep working: the embedding script and the city rulebook."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from ruledsl.cli import main
from ruledsl.rulebook import load_rulebook
from ruledsl.testing.examples import run_examples

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_embedding_script_runs(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "embed_api.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "-- 3 problem(s) in the broken rule:" in out
    assert "<string>:7:7: 错误: 表 “明细” 没有字段 “金钱” [E0202]" in out
    assert "-- batch audit: 116 violations of 46 rules" in out
    assert "YP-01 药品限性别使用:" in out.split("-- prescription check")[1]


def test_city_rulebook_checks_and_its_examples_pass() -> None:
    book = load_rulebook(EXAMPLES / "city_rules")
    assert len(book.enabled_rules) == 47
    results = run_examples(book, rule_ids=["YC-01", "GL-02"], engine="both")
    assert len(results) == 7 and all(r.ok for r in results)
    assert main(["fmt", "--check", "--lang", "en", str(EXAMPLES / "city_rules")]) == 0
