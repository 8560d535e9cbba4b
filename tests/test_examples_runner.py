"""The example runner: completing example tables, comparing firings, reporting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from ruledsl.check.model import ExampleCase
from ruledsl.execute.output import empty_violations
from ruledsl.rulebook import Rulebook, load_text
from ruledsl.schema.arrow import arrow_schema
from ruledsl.schema.contract import CLAIMS_TABLES, KB_TABLES, TABLES
from ruledsl.testing import examples
from ruledsl.testing.examples import (
    ENGINES,
    complete_example,
    firing_matches,
    run_example,
    run_examples,
)

HEAD = "类别 药品类 结果类型 明确违规 环节 事前, 事中, 事后"


def case(**rows: list[dict[str, Any]]) -> ExampleCase:
    return ExampleCase(None, None, {k: tuple(v) for k, v in rows.items()}, {}, ())


def rows_of(tables: dict[str, pa.Table], name: str) -> list[dict[str, Any]]:
    return tables[name].to_pylist()


T = dt.datetime
D = dt.date


# ================================================================= completion
def test_complete_example_defaults() -> None:
    claims, kb = complete_example(case(
        fee=[{"feedetl_sn": "F1", "psn_no": "P7", "mdtrt_id": "V1", "det_item_fee_sumamt": 80.0,
              "cnt": 2.0, "fee_ocur_time": T(2025, 3, 1, 15, 0)},
             {"feedetl_sn": "F2", "mdtrt_id": "V1", "med_list_codg": "S1", "pric": 5.0},
             {"feedetl_sn": "F3", "mdtrt_id": "V2"}],
        service=[{"med_list_codg": "S1", "sex_limit": "2"}],
    ))
    assert set(claims) == {t.name for t in CLAIMS_TABLES}
    assert set(kb) == {t.name for t in KB_TABLES}
    for name, table in {**claims, **kb}.items():
        assert table.schema == arrow_schema(TABLES[name])
    fees = rows_of(claims, "fee")
    assert fees[0] == {
        "feedetl_sn": "F1", "mdtrt_id": "V1", "setl_id": "S-V1", "psn_no": "P7",
        "fee_ocur_time": T(2025, 3, 1, 15, 0), "med_list_codg": None, "medins_list_codg": None,
        "list_type": "201", "med_chrgitm_type": "14", "cnt": 2.0, "pric": 40.0,
        "det_item_fee_sumamt": 80.0, "bilg_dr_codg": None, "prd_days": None,
        "dscg_tkdrug_flag": "0", "rxno": None, "vali_flag": "1",
    }
    assert (fees[1]["psn_no"], fees[1]["cnt"], fees[1]["pric"], fees[1]["det_item_fee_sumamt"],
            fees[1]["medins_list_codg"], fees[1]["fee_ocur_time"]) == (
        "P7", 1.0, 5.0, 5.0, "S1", T(2025, 3, 1, 9, 0))
    assert (fees[2]["psn_no"], fees[2]["pric"], fees[2]["det_item_fee_sumamt"],
            fees[2]["setl_id"]) == ("P1", 0.0, 0.0, "S-V2")
    assert rows_of(claims, "visit") == [
        {"mdtrt_id": "V1", "psn_no": "P7", "fixmedins_code": "H1", "med_type": "11",
         "begntime": T(2025, 3, 1, 9, 0), "endtime": T(2025, 3, 1, 15, 0), "dise_codg": None,
         "dscg_way": None, "days_rinp_flag_31": None, "atddr_no": None},
        {"mdtrt_id": "V2", "psn_no": "P1", "fixmedins_code": "H1", "med_type": "11",
         "begntime": T(2025, 3, 1, 9, 0), "endtime": T(2025, 3, 1, 9, 0), "dise_codg": None,
         "dscg_way": None, "days_rinp_flag_31": None, "atddr_no": None},
    ]
    assert rows_of(claims, "settlement") == [
        {"setl_id": "S-V1", "mdtrt_id": "V1", "psn_no": "P7", "fixmedins_code": "H1",
         "setl_time": T(2025, 3, 1, 15, 0), "medfee_sumamt": 85.0, "hifp_pay": 0.0,
         "fund_pay_sumamt": 0.0, "acct_pay": 0.0, "psn_cash_pay": 0.0, "vali_flag": "1"},
        {"setl_id": "S-V2", "mdtrt_id": "V2", "psn_no": "P1", "fixmedins_code": "H1",
         "setl_time": T(2025, 3, 1, 9, 0), "medfee_sumamt": 0.0, "hifp_pay": 0.0,
         "fund_pay_sumamt": 0.0, "acct_pay": 0.0, "psn_cash_pay": 0.0, "vali_flag": "1"},
    ]
    assert rows_of(claims, "person") == [
        {"psn_no": p, "gend": "9", "brdy": D(1980, 1, 1), "insutype": "310",
         "insu_admdvs": "640104", "insu_begn_date": D(2000, 1, 1), "insu_end_date": None,
         "die_date": None} for p in ("P7", "P1")]
    assert rows_of(kb, "institution") == [
        {"fixmedins_code": "H1", "fixmedins_name": "H1", "fixmedins_type": "1", "hosp_lv": "01",
         "admdvs": "640104"}]
    assert rows_of(kb, "institution_agreement") == [
        {"fixmedins_code": "H1", "begndate": D(1900, 1, 1), "enddate": D(2099, 12, 31),
         "agre_stas": "1"}]
    service = rows_of(kb, "service")[0]
    assert service["sex_limit"] == "2" and service["is_surgery"] is False
    assert service["item_name"] is None and service["max_age"] is None
    assert claims["diagnosis"].num_rows == 0 and kb["drug"].num_rows == 0


def test_complete_example_written_rows_keep_their_values() -> None:
    claims, kb = complete_example(case(
        visit=[{"mdtrt_id": "V1", "psn_no": "P2", "fixmedins_code": "H2", "med_type": "21",
                "begntime": T(2025, 3, 1, 8, 0), "endtime": T(2025, 3, 5, 10, 0)}],
        fee=[{"feedetl_sn": "F1", "cnt": None, "det_item_fee_sumamt": 10.0},
             {"feedetl_sn": "F2", "cnt": 0.0, "det_item_fee_sumamt": 10.0, "vali_flag": "0"},
             {"feedetl_sn": "F3", "setl_id": None}],
        person=[{"psn_no": "P2", "gend": "1"}],
        institution=[{"fixmedins_code": "H2", "hosp_lv": "05"}],
        institution_agreement=[{"fixmedins_code": "H2", "enddate": D(2025, 2, 28)}],
        diagnosis=[{"diag_code": "A00"}, {"diag_code": "B00"}, {"mdtrt_id": "V2"}],
    ))
    fees = rows_of(claims, "fee")
    assert [(f["psn_no"], f["pric"], f["setl_id"]) for f in fees] == [
        ("P2", None, "S-V1"), ("P2", None, "S-V1"), ("P2", 0.0, None)]
    visits = rows_of(claims, "visit")
    assert [(v["mdtrt_id"], v["psn_no"], v["begntime"]) for v in visits] == [
        ("V1", "P2", T(2025, 3, 1, 8, 0)), ("V2", "P1", T(2025, 3, 1, 8, 0))]
    setl = rows_of(claims, "settlement")
    assert [(s["setl_id"], s["fixmedins_code"], s["setl_time"], s["medfee_sumamt"])
            for s in setl] == [("S-V1", "H2", T(2025, 3, 5, 10, 0), 10.0),
                               ("S-V2", "H1", T(2025, 3, 1, 8, 0), 0.0)]
    assert [(d["mdtrt_id"], d["diag_srt_no"], d["maindiag_flag"])
            for d in rows_of(claims, "diagnosis")] == [("V1", 1, "1"), ("V1", 2, "0"),
                                                      ("V2", 1, "1")]
    assert rows_of(claims, "person")[0]["gend"] == "1"
    assert rows_of(claims, "person")[0]["brdy"] == D(1980, 1, 1)
    assert [(i["fixmedins_code"], i["hosp_lv"]) for i in rows_of(kb, "institution")] == [
        ("H2", "05"), ("H1", "01")]
    assert [(a["fixmedins_code"], a["begndate"], a["enddate"])
            for a in rows_of(kb, "institution_agreement")] == [
        ("H2", D(1900, 1, 1), D(2025, 2, 28)), ("H1", D(1900, 1, 1), D(2099, 12, 31))]


def test_complete_example_cancelled_settlement_is_the_visits_settlement() -> None:
    claims, _ = complete_example(case(
        settlement=[{"setl_id": "S1", "vali_flag": "0", "fixmedins_code": "H3"}],
        fee=[{"feedetl_sn": "F1"}],
    ))
    assert [s["setl_id"] for s in rows_of(claims, "settlement")] == ["S1"]
    assert rows_of(claims, "fee")[0]["setl_id"] == "S1"
    assert rows_of(claims, "visit")[0]["fixmedins_code"] == "H3"


# ============================================================== comparisons
def test_firing_matches() -> None:
    actual = {"feedetl_sn": "F1", "vola_amt": 80.0, "lines": ["F1", "F2"],
              "period_start": D(2025, 3, 1), "message": "m", "psn_no": None}
    assert firing_matches({"feedetl_sn": "F1"}, actual)
    assert firing_matches({"vola_amt": 80.004, "lines": ("F2", "F1")}, actual)
    assert not firing_matches({"vola_amt": 80.01}, actual)
    assert not firing_matches({"vola_amt": None}, actual)
    assert firing_matches({"psn_no": None, "period_start": D(2025, 3, 1)}, actual)
    assert not firing_matches({"lines": ("F1",)}, actual)
    assert not firing_matches({"message": "x"}, actual)


RULES = f'''
规则 R-1 "数量过多" {{
    {HEAD} 层级 明细
    参数 上限: 小数 = 2
    对每条 明细 x 满足 x.收费行
    当 x.数量 > 参数.上限
    违规金额 x.金额
    提示 "数量{{x.数量}}超过{{参数.上限}}"
    示例 触发 "超过上限" {{
        明细(feedetl_sn="F1", cnt=3, 金额=30)
        明细(feedetl_sn="F2", cnt=1, 金额=10)
        预期(feedetl_sn="F1", vola_amt=30.00)
    }}
    示例 改上限 "参数覆盖" {{
        明细(feedetl_sn="F1", cnt=3, 金额=30)
        明细(feedetl_sn="F2", cnt=1, 金额=10)
        参数(上限=0.5)
        预期(feedetl_sn="F2")
        预期(feedetl_sn="F1", vola_amt=30)
    }}
    示例 未触发 "等于上限" {{
        明细(feedetl_sn="F1", cnt=2)
        预期 无
    }}
    示例 错误 "预期写错" {{
        明细(feedetl_sn="F1", cnt=3, 金额=30)
        明细(feedetl_sn="F2", cnt=5, 金额=50)
        预期(feedetl_sn="F1", vola_amt=31)
        预期(feedetl_sn="F3")
    }}
    示例 多余 "预期无却触发" {{
        明细(feedetl_sn="F1", cnt=3, 金额=30)
        预期 无
    }}
}}
规则 R-2 "其他规则" {{
    {HEAD} 层级 明细 启用 否
    对每条 明细 x 当 真
    示例 {{ 明细(feedetl_sn="F1") 预期(feedetl_sn="F1", vola_amt=0) }}
}}
'''


@pytest.fixture(scope="module")
def book() -> Rulebook:
    return load_text(RULES)


def test_run_examples_outcomes(book: Rulebook) -> None:
    results = run_examples(book)
    assert [(r.rule_id, r.example, r.passed, r.ok) for r in results] == [
        ("R-1", "触发", True, True), ("R-1", "改上限", True, True), ("R-1", "未触发", True, True),
        ("R-1", "错误", False, False), ("R-1", "多余", False, False), ("R-2", None, True, True)]
    assert [f["feedetl_sn"] for f in results[1].actual] == ["F1", "F2"]
    assert results[1].actual[0]["message"] == "数量3超过0.5"
    assert results[0].text == "R-1 数量过多 · 示例 触发 “超过上限”: 通过"
    assert [r.rule_id for r in run_examples(book, rule_ids=["R-2"])] == ["R-2"]


def test_failure_rendering_zh(book: Rulebook) -> None:
    result = run_examples(book, rule_ids=["R-1"])[3]
    assert result.text == result.render("zh")
    assert result.text.splitlines() == [
        "R-1 数量过多 · 示例 错误 “预期写错”: 未通过",
        "    预期 (2)                      │ 实际 (2)",
        "    ──────────────────────────────┼─────────",
        "  ✗ 明细流水号=F1  违规金额=31.00 │",
        "  ✗ 明细流水号=F3                 │",
        "  ✗                               │ 明细流水号=F1  违规金额=30.00",
        "  ✗                               │ 明细流水号=F2  违规金额=50.00",
    ]


def test_failure_rendering_en_and_expect_none(book: Rulebook) -> None:
    result = run_examples(book, rule_ids=["R-1"], lang="en")[4]
    assert result.text.splitlines() == [
        "R-1 数量过多 · example 多余 “预期无却触发”: FAILED",
        "    expected (0) │ actual (1)",
        "    ─────────────┼───────────",
        "  ✗ (none)       │ feedetl_sn=F1  mdtrt_id=V1  psn_no=P1  fixmedins_code=H1  "
        "vola_amt=30.00  message=数量3超过2",
    ]
    unnamed = run_examples(book, rule_ids=["R-2"], lang="en")[0]
    assert unnamed.text == "R-2 其他规则 · example: passed"


def test_custom_engine_and_errors(book: Rulebook) -> None:
    seen: list[tuple[list[str], dict[str, Any]]] = []

    def nothing(claims: dict[str, pa.Table], kb: dict[str, pa.Table], rulebook: Rulebook,
                rule_ids: list[str], params: dict[str, Any]) -> pa.Table:
        seen.append((rule_ids, params))
        assert claims["fee"].num_rows >= 1 and "service" in kb
        return empty_violations()

    results = run_examples(book, engine=nothing, rule_ids=["R-1"])
    assert [r.passed for r in results] == [False, False, True, False, True]
    assert seen[1] == (["R-1"], {"R-1.上限": 0.5})
    assert results[0].runs[0].engine == "nothing"

    def broken(*args: Any) -> pa.Table:
        raise RuntimeError("boom")

    result = run_examples(book, engine=broken, rule_ids=["R-2"])[0]
    assert not result.passed and result.error == "RuntimeError: boom"
    assert result.text.splitlines()[1] == "  运行出错: RuntimeError: boom"
    with pytest.raises(ValueError, match="engine"):
        run_examples(book, engine="nope")


def test_only_the_rules_own_firings_count(book: Rulebook) -> None:
    def both_rules(claims: dict[str, pa.Table], kb: dict[str, pa.Table], rulebook: Rulebook,
                   rule_ids: list[str], params: dict[str, Any]) -> pa.Table:
        from ruledsl.execute.interpret import interpret

        return interpret(rulebook, claims, kb, params=params, rules=["R-1", "R-2"])

    assert [r.passed for r in run_examples(book, engine=both_rules)] == [
        True, True, True, False, False, True]


def test_two_engines_must_agree(book: Rulebook, monkeypatch: pytest.MonkeyPatch) -> None:
    def reworded(claims: dict[str, pa.Table], kb: dict[str, pa.Table], rulebook: Rulebook,
                 rule_ids: list[str], params: dict[str, Any]) -> pa.Table:
        from ruledsl.execute.interpret import interpret

        table = interpret(rulebook, claims, kb, params=params, rules=rule_ids)
        message = pa.array(["另一种提示"] * table.num_rows, pa.string())
        return table.set_column(table.schema.get_field_index("message"), "message", message)

    interpret_engine = ENGINES["interpret"][0]
    monkeypatch.setitem(ENGINES, "both", (interpret_engine, ("reworded", reworded)))
    result = run_example(book, book.rule("R-1"), book.rule("R-1").examples[0], engine="both")
    assert [run.passed for run in result.runs] == [True, True]
    assert not result.agree and not result.passed
    lines = result.text.splitlines()
    assert lines[1] == "  两种执行结果不一致:"
    assert "提示=数量3超过2" in lines[4] and "提示=另一种提示" in lines[4]
    none = run_example(book, book.rule("R-1"), book.rule("R-1").examples[2], engine="both")
    assert none.passed and none.agree


def test_vector_engine_plugs_in(book: Rulebook) -> None:
    results = run_examples(book, engine="both", rule_ids=["R-1"])
    assert [r.passed for r in results] == [True, True, True, False, False]
    assert all(r.agree for r in results)


def test_module_docstring_example_runs() -> None:
    import doctest

    assert doctest.testmod(examples).failed == 0
