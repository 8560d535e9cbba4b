"""``ruledsl test --coverage``: which conditions of a rule were ever decisive."""

from __future__ import annotations

from pathlib import Path

import pytest

from ruledsl.cli import main
from ruledsl.rulebook import load_text
from ruledsl.testing.coverage import render, rule_coverage

NINGXIA = Path(__file__).resolve().parent.parent / "rulebooks" / "ningxia"

RULE = '''规则 R-1 "x" {{ 类别 药品类 结果类型 可疑 环节 事后 层级 明细
  对每条 明细 L 满足 L.收费行 当 L.数量 > 2 且 L.单价 >= 10
  示例 a {{ 明细(feedetl_sn="F1", cnt=3, pric=10) 预期(feedetl_sn="F1") }}
  {extra} }}'''


def clauses(book_text: str) -> dict[str, tuple[int, int]]:
    book = load_text(book_text)
    return {c.text: (c.fired, c.decisive) for c in rule_coverage(book, book.rules[0]).clauses}


def test_a_clause_is_decisive_only_where_it_alone_kept_the_rule_from_firing() -> None:
    assert clauses(RULE.format(extra="")) == {
        "r4(fee.cnt) > 0": (1, 0), "L.数量 > 2": (1, 0), "L.单价 >= 10": (1, 0)}
    near_misses = '示例 b { 明细(feedetl_sn="F1", cnt=2, pric=10) 预期 无 }' \
                  '示例 c { 明细(feedetl_sn="F1", cnt=2, pric=9) 预期 无 }'
    assert clauses(RULE.format(extra=near_misses)) == {
        "r4(fee.cnt) > 0": (1, 0), "L.数量 > 2": (1, 1), "L.单价 >= 10": (1, 0)}


def test_never_decisive_clauses_are_listed() -> None:
    book = load_text(RULE.format(extra='示例 b { 明细(feedetl_sn="F1", cnt=3, pric=9) 预期 无 }'))
    report = [rule_coverage(book, book.rules[0])]
    assert [c.text for c in report[0].never_decisive] == ["r4(fee.cnt) > 0", "L.数量 > 2"]
    assert render(report).splitlines()[-3:] == [
        "从未单独起决定作用的条件: 2", "  R-1: r4(fee.cnt) > 0", "  R-1: L.数量 > 2"]
    assert "alone decisive 1" in render(report, "en")


def test_the_command_reports_coverage_over_examples_and_demo_data(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(NINGXIA), "--rules", "LJ-01", "--coverage", "-q"]) == 0
    out = capsys.readouterr().out
    gap_line = next(line for line in out.splitlines() if "间隔天数 <= 参数.max_gap_days" in line)
    assert not gap_line.lstrip().startswith("✗") and "单独决定不触发 0" not in gap_line
    assert "从未单独起决定作用的条件:" in out
