"""Mutation tests of the Ningxia rulebook (issue 6, benchmarks/mutation_study.md).

Each case makes one plausible wrong edit to one rule: a ``<`` or ``>`` that gains an ``=``
(or loses one), a threshold typo, a dropped condition, a wrong code or code set, or a reversed
tie-breaker.
The mutant must still pass ``ruledsl check``, and the rule's own ``示例`` blocks must catch it:
at least one example fails on the mutant. The same examples pass on the unmutated rulebook.
If an edit to a rule's text goes uncaught, this file fails, and the rule needs an example at
that boundary.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import attrs
import pytest

from ruledsl.errors import CheckError
from ruledsl.rulebook import load_rulebook
from ruledsl.testing.examples import run_examples

NINGXIA = Path(__file__).resolve().parents[1] / "rulebooks" / "ningxia"


@attrs.frozen
class Mutation:
    id: str
    rule: str
    kind: str
    file: str
    old: str
    new: str


MUTATIONS = [
    Mutation("m01", "ZL-02", "< -> <=", "诊疗项目类.rules",
             "且 年龄 < L.服务.限年龄下限)",
             "且 年龄 <= L.服务.限年龄下限)"),
    # The earlier study's m02 (`>` -> `>=` in ZL-04's price comparison) is an equivalent mutant:
    # r2(单价) is whole cents and r2(限价) + 0.005 is always half a cent off, so they are never
    # equal. This typo in the tolerance is a real change.
    Mutation("m02", "ZL-04", "threshold typo", "诊疗项目类.rules",
             "参数 price_tol: 金额 = 0.005",
             "参数 price_tol: 金额 = 0.05"),
    Mutation("m03", "YP-05", "dropped condition", "药品类.rules",
             'L.药品.insutype_only 在 ["work_injury", "maternity"]\n        且 L.就诊 不为空\n',
             'L.药品.insutype_only 在 ["work_injury", "maternity"]\n'),
    Mutation("m04", "YP-09", "threshold typo", "药品类.rules",
             "参数 limit_chronic: 小数 = 28",
             "参数 limit_chronic: 小数 = 280"),
    Mutation("m05", "GL-02", "> -> >=", "医保管理类.rules",
             "当 N > 参数.max_visits",
             "当 N >= 参数.max_visits"),
    Mutation("m06", "GL-03", "order key (tie-breaker reversed)", "医保管理类.rules",
             "排序 绝对值(T.结算时间 - S.结算时间), T.结算ID)",
             "排序 绝对值(T.结算时间 - S.结算时间), T.结算ID 降序)"),
    Mutation("m07", "ZD-07", "wrong code set", "临床诊断类.rules",
             '参数 opsp_med_types: 集合<文本> = ["14"]',
             '参数 opsp_med_types: 集合<文本> = ["41"]'),
    Mutation("m08", "ZD-01", "wrong code set", "临床诊断类.rules",
             '参数 female_set: 文本 = "sex_female_only"',
             '参数 female_set: 文本 = "sex_male_only"'),
    Mutation("m09", "LJ-01", "dropped condition", "临床路径类.rules",
             "当 间隔天数 >= 0\n        且 间隔天数 <= 参数.max_gap_days",
             "当 间隔天数 <= 参数.max_gap_days"),
    Mutation("m10", "LJ-07", ">= -> >", "临床路径类.rules",
             "且 E.费用日期 >= L.费用日期 - 参数.repeat_days",
             "且 E.费用日期 > L.费用日期 - 参数.repeat_days"),
]


def test_ten_rules_two_per_category() -> None:
    rules = [m.rule for m in MUTATIONS]
    assert len(set(rules)) == 10
    for prefix in ("ZL", "GL", "ZD", "YP", "LJ"):
        assert sum(r.startswith(prefix + "-") for r in rules) == 2


def test_unmutated_examples_pass() -> None:
    book = load_rulebook(NINGXIA)
    results = run_examples(book, engine="both", rule_ids=[m.rule for m in MUTATIONS])
    assert {r.rule_id for r in results} == {m.rule for m in MUTATIONS}
    failed = [r.text for r in results if not r.ok]
    assert not failed, "\n".join(failed)


def mutate(tmp_path: Path, m: Mutation) -> Path:
    book = tmp_path / "ningxia"
    shutil.copytree(NINGXIA, book)
    path = book / m.file
    text = path.read_text(encoding="utf-8")
    assert text.count(m.old) == 1, f"{m.id}: the text to replace must occur exactly once"
    path.write_text(text.replace(m.old, m.new), encoding="utf-8")
    return book


@pytest.mark.parametrize("m", MUTATIONS, ids=[f"{m.id}-{m.rule}" for m in MUTATIONS])
def test_mutant_is_caught_by_the_examples(tmp_path: Path, m: Mutation) -> None:
    book_path = mutate(tmp_path, m)
    try:
        # load_rulebook raises on any diagnostic, exactly when ``ruledsl check`` reports one.
        book = load_rulebook(book_path)
    except CheckError as exc:
        pytest.fail(f"{m.id}: the mutant must still pass ruledsl check: {exc}")
    results = run_examples(book, engine="both", rule_ids=[m.rule])
    assert results, f"{m.rule} has no examples"
    failed = [r for r in results if not r.ok]
    assert failed, f"{m.id} ({m.rule}, {m.kind}) survives: every example passes on the mutant"
    # The report names the rule and the example, and shows expected and actual firings side by side.
    for r in failed:
        assert r.text.startswith(f"{m.rule} {r.rule_name} · 示例")
        assert "预期" in r.text and "实际" in r.text
