"""The pytest plugin: generated tests for every rule of a rulebook."""

from __future__ import annotations

import pytest

from ruledsl.rulebook import load_text
from ruledsl.testing.plugin import person_local, raised
from ruledsl.testing.render import example_block

pytest_plugins = ["pytester"]

RULE = """
规则 R-1 "数量过多" {
    类别 药品类  结果类型 可疑  环节 事后  层级 明细
    参数 上限: 小数 = 2 "允许的数量"
    对每条 明细 x 满足 x.收费行
    当 x.数量 > 参数.上限
    违规金额 x.金额
    性质 递减(参数.上限)
    示例 触发 { 明细(feedetl_sn="F1", cnt=3, 金额=30) 预期(feedetl_sn="F1", vola_amt=30) }
    示例 未触发 { 明细(feedetl_sn="F1", cnt=2) 预期 无 }
}
"""


def _plugin() -> list[str]:
    """``-p`` the plugin unless it is installed (entry point ``pytest11``), which loads it."""
    from importlib.metadata import entry_points

    installed = any(ep.name == "ruledsl" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "ruledsl.testing.plugin"]


def _book(pytester: pytest.Pytester, rule: str) -> None:
    pytester.makeini("[pytest]\ntestpaths = book\nruledsl_max_examples = 5\n")
    book = pytester.mkdir("book")
    (book / "rulebook.rules").write_text(rule, encoding="utf-8")


def test_every_rule_gets_its_items(pytester: pytest.Pytester) -> None:
    _book(pytester, RULE)
    result = pytester.runpytest(*_plugin(), "-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*R-1::examples PASSED*", "*R-1::differential PASSED*",
                                 "*R-1::metamorphic PASSED*", "*R-1::property*PASSED*"])


def test_a_wrong_example_fails_with_a_side_by_side_report(pytester: pytest.Pytester) -> None:
    _book(pytester, RULE.replace("vola_amt=30", "vola_amt=31"))
    result = pytester.runpytest(*_plugin())
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*R-1*触发*"])


def test_a_false_property_is_caught_with_a_pasteable_counterexample(
        pytester: pytest.Pytester) -> None:
    _book(pytester, RULE.replace("性质 递减", "性质 递增"))
    result = pytester.runpytest(*_plugin())
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*性质 递增*不成立*", "*示例 反例*"])


def test_a_rulebook_that_does_not_check_is_one_failure(pytester: pytest.Pytester) -> None:
    _book(pytester, RULE.replace("x.数量 > 参数.上限", "x.数目 > 参数.上限"))
    result = pytester.runpytest(*_plugin())
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*E0202*"])


def test_person_local_rules() -> None:
    book = load_text(RULE + """
规则 R-2 "同机构" {
    类别 药品类  结果类型 可疑  环节 事后  层级 明细
    对每条 明细 x
    当 计数(明细 y 满足 y.机构编码 = x.机构编码) > 5
}""")
    assert person_local(book.rule("R-1")) and not person_local(book.rule("R-2"))


def test_raised_and_example_block() -> None:
    assert raised(2) == 3 and raised(2.0) == 4.0
    from ruledsl.data.build import make_table

    text = example_block("反例", {"fee": make_table("fee", {"feedetl_sn": ['F"1']})}, {}, None)
    assert 'feedetl_sn="F\\"1"' in text and "预期 无" in text
