"""The reference interpreter: small hand-written rules with exact firings.

Every IR construct and the null / three-valued edge cases are covered by a
rule written in the language, run on a tiny batch built column by column (no
defaults: an unwritten column is null).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from ruledsl import ir
from ruledsl.execute import scalar
from ruledsl.execute.interpret import (
    Data,
    InterpretError,
    Row,
    RuleEvaluator,
    interpret,
    param_value,
    rule_firings,
)
from ruledsl.rulebook import Rulebook, load_text
from ruledsl.schema.arrow import arrow_schema
from ruledsl.schema.contract import TABLES
from ruledsl.types import BOOL, INT, STR, RowType

HEAD = "类别 药品类 结果类型 可疑 环节 事后"


def D(text: str) -> dt.date:
    """A date; ``03-01`` is in 2025."""
    return dt.date.fromisoformat(text if len(text) > 5 else f"2025-{text}")


def T(text: str) -> dt.datetime:
    """A timestamp; ``03-01 09:00`` is in 2025."""
    if len(text.split(" ")[0]) == 5:
        text = f"2025-{text}"
    return dt.datetime.fromisoformat(text if text.count(":") == 2 else f"{text}:00")


def book(body: str, level: str = "明细", rule_id: str = "T-1", name: str = "测试") -> Rulebook:
    """A rulebook with one rule: the common header plus ``body``."""
    return load_text(f'规则 {rule_id} "{name}" {{ {HEAD} 层级 {level}\n{body}\n}}')


def batch(**rows: list[dict[str, Any]]) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    """Claims and kb from rows; every unwritten column is null."""
    claims: dict[str, pa.Table] = {}
    kb: dict[str, pa.Table] = {}
    for name, items in rows.items():
        spec = TABLES[name]
        table = pa.Table.from_pylist(items, schema=arrow_schema(spec))
        (claims if spec.kind == "claims" else kb)[name] = table
    return claims, kb


def fire(body: str, level: str = "明细", params: dict[str, Any] | None = None,
         **rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run a one-rule book; the firings without the header columns."""
    claims, kb = batch(**rows)
    out = interpret(book(body, level), claims, kb, params=params)
    header = ("rule_id", "rule_name", "category", "result_type", "level")
    return [{k: v for k, v in r.items() if k not in header} for r in out.to_pylist()]


def sns(firings: list[dict[str, Any]]) -> list[str]:
    return [f["feedetl_sn"] for f in firings]


def fee(sn: str, **kw: Any) -> dict[str, Any]:
    return {"feedetl_sn": sn, "vali_flag": "1", **kw}


def msgs(firings: list[dict[str, Any]]) -> list[str]:
    return [f["message"] for f in firings]


# ============================================================ row rules, outputs
def test_row_rule_default_outputs_amount_message_lines() -> None:
    out = fire(
        '对每条 明细 x 满足 x.收费行 当 x.金额 > 50 违规金额 x.金额 * 0.5 提示 "{x.feedetl_sn}超{x.金额}"',
        fee=[fee("F2", mdtrt_id="V1", psn_no="P1", cnt=1.0, det_item_fee_sumamt=80.0),
             fee("F1", mdtrt_id="V9", psn_no="P1", cnt=1.0, det_item_fee_sumamt=60.005),
             fee("F3", mdtrt_id="V1", psn_no="P1", cnt=-1.0, det_item_fee_sumamt=-80.0),
             fee("F4", mdtrt_id="V1", psn_no="P1", cnt=1.0, det_item_fee_sumamt=50.0)],
        visit=[{"mdtrt_id": "V1", "psn_no": "P1", "fixmedins_code": "H1"}],
    )
    assert out == [
        {"feedetl_sn": "F1", "mdtrt_id": "V9", "setl_id": None, "psn_no": "P1",
         "fixmedins_code": None, "dr_codg": None, "item_code": None, "period_start": None,
         "period_end": None, "vola_amt": 30.0, "message": "F1超60.01", "lines": ["F1"]},
        {"feedetl_sn": "F2", "mdtrt_id": "V1", "setl_id": None, "psn_no": "P1",
         "fixmedins_code": "H1", "dr_codg": None, "item_code": None, "period_start": None,
         "period_end": None, "vola_amt": 40.0, "message": "F2超80.00", "lines": ["F2"]},
    ]


def test_visit_and_settlement_levels_default_outputs() -> None:
    out = fire('对每条 就诊 v 当 v.住院 违规金额 v.基金支付合计', level="就诊",
               visit=[{"mdtrt_id": "V1", "psn_no": "P1", "fixmedins_code": "H1", "med_type": "21"},
                      {"mdtrt_id": "V2", "psn_no": "P1", "fixmedins_code": "H1", "med_type": "11"},
                      {"mdtrt_id": "V3", "psn_no": "P2", "fixmedins_code": "H2", "med_type": "22"}],
               settlement=[{"setl_id": "S1", "mdtrt_id": "V1", "fund_pay_sumamt": 10.0},
                           {"setl_id": "S2", "mdtrt_id": "V1", "fund_pay_sumamt": 5.5},
                           {"setl_id": "S3", "mdtrt_id": "V1", "fund_pay_sumamt": 99.0,
                            "vali_flag": "0"}])
    assert [(f["mdtrt_id"], f["psn_no"], f["fixmedins_code"], f["vola_amt"], f["lines"])
            for f in out] == [("V1", "P1", "H1", 15.5, []), ("V3", "P2", "H2", 0.0, [])]
    out = fire('对每条 结算 s 当 s.医疗费总额 >= 100', level="结算",
               settlement=[{"setl_id": "S1", "mdtrt_id": "V1", "psn_no": "P1",
                            "fixmedins_code": "H1", "medfee_sumamt": 100.0},
                           {"setl_id": "S2", "mdtrt_id": "V2", "medfee_sumamt": 99.99}])
    assert [(f["setl_id"], f["mdtrt_id"], f["psn_no"], f["fixmedins_code"], f["vola_amt"],
             f["message"]) for f in out] == [("S1", "V1", "P1", "H1", 0.0, "测试")]


def test_amount_rounding_negative_zero_and_null() -> None:
    out = fire('对每条 明细 x 当 真 违规金额 x.金额',
               fee=[fee("F1", det_item_fee_sumamt=-0.004), fee("F2", det_item_fee_sumamt=None),
                    fee("F3", det_item_fee_sumamt=2.675), fee("F4", det_item_fee_sumamt=-1.005)])
    assert [(f["feedetl_sn"], f["vola_amt"]) for f in out] == [
        ("F1", 0.0), ("F2", None), ("F3", 2.68), ("F4", -1.01)]
    import math
    assert math.copysign(1.0, out[0]["vola_amt"]) == 1.0


def test_lines_distinct_sorted_nulls_dropped() -> None:
    out = fire('对每条 明细 x 当 x.feedetl_sn = "F2" 明细行 收集(y.feedetl_sn 对于 明细 y)',
               fee=[fee("F2"), fee("F10"), fee(None), fee("F2"), fee("Fa"), fee("F1")])
    assert out[0]["lines"] == ["F1", "F10", "F2", "Fa"]
    assert len(out) == 1  # the two F2 rows share one key


def test_one_firing_per_key_keeps_smallest_message() -> None:
    out = fire('对每条 明细 x 当 真 违规金额 x.金额 提示 "{x.med_list_codg}" 输出 人员编号 = x.psn_no',
               level="参保人",
               fee=[fee("F1", psn_no="P1", med_list_codg="B", det_item_fee_sumamt=1.0),
                    fee("F2", psn_no="P1", med_list_codg="A", det_item_fee_sumamt=9.0),
                    fee("F3", psn_no="P1", med_list_codg="A", det_item_fee_sumamt=3.0),
                    fee("F4", psn_no="P2", med_list_codg="C", det_item_fee_sumamt=4.0)])
    assert [(f["psn_no"], f["feedetl_sn"], f["message"], f["vola_amt"], f["lines"])
            for f in out] == [("P1", None, "A", 3.0, ["F3"]), ("P2", None, "C", 4.0, ["F4"])]


def test_hygiene_applies_before_rules() -> None:
    out = fire('对每条 明细 x 当 真',
               fee=[fee("F1", setl_id="S1"), fee("F2", setl_id="S2"), fee("F3", vali_flag="0"),
                    fee("F4", vali_flag=None), fee("F5", vali_flag="x", setl_id=None)],
               settlement=[{"setl_id": "S1", "vali_flag": "1"}, {"setl_id": "S2", "vali_flag": "0"}])
    assert sns(out) == ["F1", "F4", "F5"]


def test_output_sorted_by_rule_then_keys_nulls_first() -> None:
    text = f'''
    规则 B-2 "乙" {{ {HEAD} 层级 明细 对每条 明细 x 当 真 }}
    规则 A-1 "甲" {{ {HEAD} 层级 参保人 对每条 明细 x 当 真 输出 人员编号 = x.psn_no }}
    '''
    claims, kb = batch(fee=[fee("F2", psn_no="P1"), fee("F1", psn_no=None), fee("é", psn_no="P2"),
                            fee("Z", psn_no="P1")])
    out = interpret(load_text(text), claims, kb)
    assert [(r["rule_id"], r["feedetl_sn"], r["psn_no"]) for r in out.to_pylist()] == [
        ("A-1", None, None), ("A-1", None, "P1"), ("A-1", None, "P2"),
        ("B-2", "F1", None), ("B-2", "F2", "P1"), ("B-2", "Z", "P1"), ("B-2", "é", "P2")]


# ===================================================== three-valued logic, nulls
TV = {"T": 3.0, "F": 1.0, "N": None}
COMBOS = [a + b for a in "TFN" for b in "TFN"]


def _tv_rows() -> list[dict[str, Any]]:
    return [fee(c, cnt=TV[c[0]], pric=TV[c[1]]) for c in COMBOS]


@pytest.mark.parametrize("cond, expected", [
    ("(x.数量 > 2) 且 (x.单价 > 2)", ["TT"]),
    ("(x.数量 > 2) 或 (x.单价 > 2)", ["FT", "NT", "TF", "TN", "TT"]),
    ("非 ((x.数量 > 2) 且 (x.单价 > 2))", ["FF", "FN", "FT", "NF", "TF"]),
    ("非 ((x.数量 > 2) 或 (x.单价 > 2))", ["FF"]),
    ("非 (x.数量 > 2)", ["FF", "FN", "FT"]),
    ("x.数量 为空", ["NF", "NN", "NT"]),
    ("x.数量 不为空 且 x.单价 为空", ["FN", "TN"]),
    ("取非空(x.数量, x.单价, 0) = 0", ["NN"]),
    ("(x.数量 + x.单价) 为空", ["FN", "NF", "NN", "NT", "TN"]),
    ("x.数量 = x.单价", ["FF", "TT"]),
    ("x.数量 != x.单价", ["FT", "TF"]),
    ("若 x.数量 > 2 则 真 否则 x.单价 > 2", ["FT", "NT", "TF", "TN", "TT"]),
])
def test_three_valued_logic(cond: str, expected: list[str]) -> None:
    assert sns(fire(f"对每条 明细 x 当 {cond}", fee=_tv_rows())) == expected


def test_where_and_when_fire_only_on_true() -> None:
    out = fire('对每条 明细 x 满足 x.数量 > 0 当 x.单价 > 0',
               fee=[fee("F1", cnt=1.0, pric=1.0), fee("F2", cnt=None, pric=1.0),
                    fee("F3", cnt=1.0, pric=None), fee("F4", cnt=-1.0, pric=1.0)])
    assert sns(out) == ["F1"]


# ======================================================== arithmetic and types
def test_division_is_float_and_null_on_zero() -> None:
    rows = [fee("F1", cnt=2.0, det_item_fee_sumamt=3.0), fee("F2", cnt=0.0, det_item_fee_sumamt=3.0),
            fee("F3", cnt=4.0, det_item_fee_sumamt=0.0)]
    assert sns(fire("对每条 明细 x 当 x.金额 / x.数量 = 1.5", fee=rows)) == ["F1"]
    assert sns(fire("对每条 明细 x 当 (x.金额 / x.数量) 为空", fee=rows)) == ["F2"]
    assert sns(fire("对每条 明细 x 当 3 / 2 = 1.5 且 x.数量 / 4 = 1", fee=rows)) == ["F3"]
    assert msgs(fire('对每条 明细 x 当 x.feedetl_sn = "F1" 提示 "{7 / 2}|{-x.数量}|{绝对值(-x.数量)}"',
                     fee=rows)) == ["3.5|-2|2"]


def test_date_and_time_arithmetic() -> None:
    rows = [fee("F1", fee_ocur_time=T("03-01 09:00"), prd_days=2.0),
            fee("F2", fee_ocur_time=T("03-03 12:00")), fee("F3", fee_ocur_time=None)]
    body = ('对每条 明细 x 当 x.费用日期 + 2 天 = 2025-03-03 或 x.费用日期 - 2025-03-01 = 2 '
            '提示 "{x.费用日期 - 1 天}|{x.费用日期 - 2025-02-01}|{x.费用发生时间 + 90 分钟}"')
    out = fire(body, fee=rows)
    assert [(f["feedetl_sn"], f["message"]) for f in out] == [
        ("F1", "2025-02-28|28|2025-03-01 10:30:00"), ("F2", "2025-03-02|30|2025-03-03 13:30:00")]
    body = ('对每条 明细 x 当 首条(y.费用发生时间 对于 明细 y 满足 y.feedetl_sn = "F2") - x.费用发生时间 '
            '> 2 天 + 2 小时 提示 "{首条(y.费用发生时间 对于 明细 y 满足 y.feedetl_sn = “F2”) - x.费用发生时间}"')
    out = fire(body, fee=rows)
    assert [(f["feedetl_sn"], f["message"]) for f in out] == [("F1", str(2 * 86400 + 3 * 3600))]


def test_between_is_inclusive_and_null_safe() -> None:
    rows = [fee(s, cnt=c) for s, c in (("A", 0.99), ("B", 1.0), ("C", 2.0), ("D", 3.0),
                                       ("E", 3.01), ("N", None))]
    assert sns(fire("对每条 明细 x 当 x.数量 介于 1 与 3", fee=rows)) == ["B", "C", "D"]
    assert sns(fire("对每条 明细 x 当 非 (x.数量 介于 1 与 3)", fee=rows)) == ["A", "E"]


def test_row_equality_is_identity() -> None:
    rows = [fee("F1", mdtrt_id="V1"), fee("F2", mdtrt_id="V2"), fee("F3", mdtrt_id="V9")]
    visits = [{"mdtrt_id": "V1"}, {"mdtrt_id": "V2"}]
    body = '对每条 明细 x 当 x.就诊 = 首条(就诊 v 满足 v.mdtrt_id = "V1")'
    assert sns(fire(body, fee=rows, visit=visits)) == ["F1"]
    body = '对每条 明细 x 当 x.就诊 != 首条(就诊 v 满足 v.mdtrt_id = "V1")'
    assert sns(fire(body, fee=rows, visit=visits)) == ["F2"]  # F3's visit is null


# ============================================================== lists and sets
def test_in_list_sql_semantics() -> None:
    rows = [fee("A", list_type="101"), fee("B", list_type="201"), fee("N", list_type=None)]
    assert sns(fire('对每条 明细 x 当 x.list_type 在 ["101", "102"]', fee=rows)) == ["A"]
    assert sns(fire('对每条 明细 x 当 x.list_type 不在 ["101", "102"]', fee=rows)) == ["B"]
    # a null item: found → TRUE, not found → null
    assert sns(fire('对每条 明细 x 当 x.list_type 在 ["101", 空]', fee=rows)) == ["A"]
    assert sns(fire('对每条 明细 x 当 x.list_type 不在 ["101", 空]', fee=rows)) == []
    # items are expressions
    assert sns(fire('对每条 明细 x 当 x.list_type 在 [x.med_list_codg, "201"]',
                    fee=rows + [fee("C", list_type="X", med_list_codg="X")])) == ["B", "C"]


def test_set_and_date_parameters() -> None:
    body = ('参数 类型: 集合<文本> = ["13"] 参数 起: 日期 = 2025-03-02 '
            '对每条 明细 x 当 x.med_chrgitm_type 在 参数.类型 且 x.费用日期 >= 参数.起 '
            '提示 "{参数.起}"')
    rows = [fee("F1", med_chrgitm_type="13", fee_ocur_time=T("03-02 00:00")),
            fee("F2", med_chrgitm_type="13", fee_ocur_time=T("03-01 23:59")),
            fee("F3", med_chrgitm_type="14", fee_ocur_time=T("03-05 00:00"))]
    assert [(f["feedetl_sn"], f["message"]) for f in fire(body, fee=rows)] == [("F1", "2025-03-02")]
    out = fire(body, params={"T-1.类型": ("13", "14"), "T-1.起": D("03-01")}, fee=rows)
    assert [(f["feedetl_sn"], f["message"]) for f in out] == [
        ("F1", "2025-03-01"), ("F2", "2025-03-01"), ("F3", "2025-03-01")]
    out = fire(body, params={"起": D("03-03")}, fee=rows)  # a bare name sets it too
    assert sns(out) == []


def test_param_value_conversion() -> None:
    assert param_value(D("1970-01-11")) == 10
    assert param_value(dt.datetime(1970, 1, 1, 0, 1)) == 60
    assert param_value(("a", D("1970-01-02"))) == ("a", 1)
    assert param_value(3.5) == 3.5


# ======================================================================= codes
CODE_SETS = [{"set_id": "preg", "code_from": "o00", "code_to": "O9 A"},
             {"set_id": "preg", "code_from": "Z33", "code_to": "Z33"},
             {"set_id": "e112", "code_from": "E11.2", "code_to": "E11.2"},
             {"set_id": "bad", "code_from": None, "code_to": "Z99"}]


@pytest.mark.parametrize("code, sets", [
    ("O80.001", {"preg"}), ("o 9a.1", {"preg"}), ("O9B", set()), ("Z33", {"preg"}),
    ("Z33.x00", {"preg"}), ("Z34", set()), ("E11.21", {"e112"}), ("E11.3", set()),
    ("E11", set()), ("N00", set()),
])
def test_in_code_set(code: str, sets: set[str]) -> None:
    for set_id in ("preg", "e112", "bad", "missing"):
        body = f'对每条 明细 x 当 x.med_list_codg 在编码集 "{set_id}"'
        want = ["F1"] if set_id in sets else []
        assert sns(fire(body, fee=[fee("F1", med_list_codg=code)], code_set=CODE_SETS)) == want


def test_in_code_set_null_and_missing_set() -> None:
    rows = [fee("F1", med_list_codg=None), fee("F2", med_list_codg="A00")]
    body = '对每条 明细 x 当 非 (x.med_list_codg 在编码集 "missing")'
    assert sns(fire(body, fee=rows, code_set=CODE_SETS)) == ["F2"]  # null code → null
    body = '对每条 明细 x 当 非 (x.med_list_codg 在编码集 x.rxno)'
    assert sns(fire(body, fee=rows, code_set=CODE_SETS)) == []  # null set id → null
    body = '对每条 明细 x 当 x.med_list_codg 在编码集 "preg"'
    assert sns(fire(body, fee=rows)) == []  # no code_set table at all


def test_in_code_range() -> None:
    rows = [fee(c, med_list_codg=c) for c in ("O00", "O9A.9", "O9B", "o 12", "N99")]
    rows.append(fee("null", med_list_codg=None))
    assert sns(fire('对每条 明细 x 当 x.med_list_codg 在编码范围 "O00" 至 "O9A"', fee=rows)) == [
        "O00", "O9A.9", "o 12"]
    assert sns(fire('对每条 明细 x 当 非 (x.med_list_codg 在编码范围 "O00" 至 "O9A")', fee=rows)) == [
        "N99", "O9B"]
    body = '参数 lo: 文本 = "O00" 对每条 明细 x 当 非 (x.med_list_codg 在编码范围 参数.lo 至 "O9A")'
    assert sns(fire(body, fee=rows)) == ["N99", "O9B"]
    assert sns(fire(body, params={"T-1.lo": None}, fee=rows)) == []  # a null bound


def test_code_functions() -> None:
    body = ('对每条 明细 x 当 真 提示 "{icd3(x.med_list_codg)}|{规范编码(x.med_list_codg)}|'
            '{左取(x.med_list_codg, 2)}|{左取(x.med_list_codg, -2)}|{长度(x.med_list_codg)}|'
            '{大写(x.med_list_codg)}"')
    out = fire(body, fee=[fee("F1", med_list_codg=" i63. 9"), fee("F2", med_list_codg=None)])
    assert msgs(out) == ["I63|I63.9| i| i63.|7| I63. 9", "|||||"]


# ============================================================= before / after
def test_before_uses_natural_order_with_tie_break_and_nulls() -> None:
    rows = [fee("F2", fee_ocur_time=T("03-01 09:00")), fee("F1", fee_ocur_time=T("03-01 09:00")),
            fee("F0", fee_ocur_time=T("03-01 10:00")), fee("FN", fee_ocur_time=None)]
    ref = '首条(明细 y 满足 y.feedetl_sn = "F2")'
    assert sns(fire(f"对每条 明细 x 当 x 早于 {ref}", fee=rows)) == ["F1"]
    # a null order value sorts after every value (the natural order is total)
    assert sns(fire(f"对每条 明细 x 当 x 晚于 {ref}", fee=rows)) == ["F0", "FN"]
    assert sns(fire(f"对每条 明细 x 当 非 (x 早于 {ref})", fee=rows)) == ["F0", "F2", "FN"]
    # a null row
    assert sns(fire('对每条 明细 x 当 非 (x 早于 首条(明细 y 满足 y.feedetl_sn = "none"))',
                    fee=rows)) == []


def test_same_is_null_safe_equality() -> None:
    rows = [fee("A", psn_no=None), fee("B", psn_no=None), fee("C", psn_no="P1")]
    out = fire("对每条 明细 x 当 计数(明细 y 满足 y.psn_no 等同 x.psn_no) = 2", fee=rows)
    assert sns(out) == ["A", "B"]
    out = fire("对每条 明细 x 当 计数(明细 y 满足 y.psn_no = x.psn_no) = 1", fee=rows)
    assert sns(out) == ["C"]


def test_before_on_visits() -> None:
    visits = [{"mdtrt_id": "V1", "begntime": T("03-01 08:00")},
              {"mdtrt_id": "V2", "begntime": T("03-02 08:00")}]
    out = fire('对每条 就诊 v 当 存在(就诊 w 满足 w 早于 v)', level="就诊", visit=visits)
    assert [f["mdtrt_id"] for f in out] == ["V2"]


# ================================================================ case, if
def test_case_first_true_branch_else() -> None:
    body = ('对每条 明细 x 当 真 提示 "{情形 当 x.数量 > 2 则 “大” 当 x.数量 > 0 则 “正” '
            '否则 “其他” 结束}"')
    out = fire(body, fee=[fee("A", cnt=3.0), fee("B", cnt=1.0), fee("C", cnt=None), fee("D", cnt=0.0)])
    assert msgs(out) == ["大", "正", "其他", "其他"]
    body = '对每条 明细 x 当 (若 x.数量 > 2 则 空 否则 x.数量) 为空'
    assert sns(fire(body, fee=[fee("A", cnt=3.0), fee("B", cnt=1.0), fee("C", cnt=None)])) == ["A", "C"]


# ================================================================= builtins
def test_rounding_builtins() -> None:
    body = '对每条 明细 x 当 r2(x.单价) > 100 且 r4(x.数量) > 0 提示 "{r2(x.单价)|数值}|{r4(x.数量)|数值}"'
    rows = [fee("A", pric=100.005, cnt=0.00005), fee("B", pric=100.004999, cnt=1.0),
            fee("C", pric=100.0049999999, cnt=0.00004)]
    assert [(f["feedetl_sn"], f["message"]) for f in fire(body, fee=rows)] == [("A", "100.01|0.0001")]


def test_least_greatest_coalesce() -> None:
    body = ('对每条 明细 x 当 真 提示 "{较小值(x.数量, x.单价)}|{较大值(x.数量, x.单价, 2)}|'
            '{取非空(x.数量, x.单价)}"')
    out = fire(body, fee=[fee("A", cnt=3.0, pric=1.5), fee("B", cnt=None, pric=1.5)])
    assert msgs(out) == ["1.50|3.00|3.00", "||1.50"]  # float with money unifies to money


def test_age_and_age_days() -> None:
    persons = [{"psn_no": "P1", "brdy": D("2016-02-29")}, {"psn_no": "P2", "brdy": None}]
    rows = [fee("A", psn_no="P1", fee_ocur_time=T("03-01 00:00")),
            fee("B", psn_no="P1", fee_ocur_time=T("02-28 23:59")),
            fee("C", psn_no="P2", fee_ocur_time=T("02-28 23:59")),
            fee("D", psn_no="P9", fee_ocur_time=T("02-28 23:59"))]
    body = ('对每条 明细 x 当 真 提示 "{周岁(x.参保人.出生日期, x.费用日期)}|'
            '{日龄(x.参保人.出生日期, x.费用日期)}"')
    assert msgs(fire(body, fee=rows, person=persons)) == ["9|3288", "8|3287", "|", "|"]


def test_month_functions() -> None:
    rows = [fee("A", fee_ocur_time=T("2024-02-15 10:00")), fee("B", fee_ocur_time=T("2025-12-31 23:59"))]
    body = ('对每条 明细 x 当 真 提示 "{月份(x.费用发生时间)}|{月份(x.费用日期) - 1}|{月初(月份(x.费用日期))}|'
            '{月末(月份(x.费用日期))}|{月末(月份(x.费用日期) + 1)}|{月份(x.费用日期) - 月份(2024-01-31)}"')
    assert msgs(fire(body, fee=rows)) == [
        "2024-02|2024-01|2024-02-01|2024-02-29|2024-03-31|1",
        "2025-12|2025-11|2025-12-01|2025-12-31|2026-01-31|23"]


def test_date_of_date_is_identity() -> None:
    out = fire('对每条 明细 x 当 日期(x.费用日期) = 2025-03-01', fee=[fee("A", fee_ocur_time=T("03-01 23:59"))])
    assert sns(out) == ["A"]


# =============================================================== aggregates
AGG_ROWS = [
    fee("F1", psn_no="P1", med_list_codg="A", cnt=2.0, fee_ocur_time=T("03-02 09:00")),
    fee("F2", psn_no="P1", med_list_codg="B", cnt=None, fee_ocur_time=T("03-01 09:00")),
    fee("F3", psn_no="P1", med_list_codg="B", cnt=3.0, fee_ocur_time=None),
    fee("F4", psn_no="P1", med_list_codg="A", cnt=-1.0, fee_ocur_time=T("03-02 09:00")),
    fee("F5", psn_no="P2", med_list_codg="C", cnt=1.0, fee_ocur_time=T("03-05 09:00")),
]


def agg_message(expr: str, rows: list[dict[str, Any]] | None = None) -> str:
    """The value of ``expr`` (over ``明细 y`` of person P1) formatted in the message of F1."""
    body = f'对每条 明细 x 当 x.feedetl_sn = "F1" 提示 "{{{expr}}}"'
    out = fire(body, fee=rows if rows is not None else AGG_ROWS)
    assert len(out) == 1
    return out[0]["message"]


SAME = 'y.psn_no = x.psn_no'


@pytest.mark.parametrize("expr, text", [
    (f"计数(明细 y 满足 {SAME})", "4"),
    ("计数(明细 y 满足 y.psn_no = “P9”)", "0"),
    (f"计数(明细 y 满足 {SAME} 且 y.数量 > 0)", "2"),
    (f"求和(y.数量 对于 明细 y 满足 {SAME})", "4"),
    ("求和(y.数量 对于 明细 y 满足 y.psn_no = “P9”)", "0"),
    (f"求和(y.数量 对于 明细 y 满足 {SAME} 且 y.数量 为空)", "0"),
    (f"最小(y.数量 对于 明细 y 满足 {SAME})", "-1"),
    (f"最大(y.数量 对于 明细 y 满足 {SAME})", "3"),
    ("最大(y.数量 对于 明细 y 满足 y.psn_no = “P9”)", ""),
    (f"平均(y.数量 对于 明细 y 满足 {SAME})", "1.3333"),
    ("平均(y.数量 对于 明细 y 满足 y.数量 为空)", ""),
    (f"去重计数(y.med_list_codg 对于 明细 y 满足 {SAME})", "2"),
    (f"去重计数(y.数量 对于 明细 y 满足 {SAME})", "3"),
    (f"存在(明细 y 满足 {SAME} 且 y.数量 < 0)", "是"),
    (f"存在(明细 y 满足 {SAME} 且 y.数量 < -1)", "否"),
    (f"不存在(明细 y 满足 {SAME} 且 y.数量 < -1)", "是"),
    (f"任一(y.数量 > 2 对于 明细 y 满足 {SAME})", "是"),
    (f"任一(y.数量 > 3 对于 明细 y 满足 {SAME})", "否"),
    (f"全部(y.数量 > -2 对于 明细 y 满足 {SAME})", "否"),  # F2's null fails
    (f"全部(y.数量 > -2 对于 明细 y 满足 {SAME} 且 y.数量 不为空)", "是"),
    ("全部(y.数量 > 100 对于 明细 y 满足 y.psn_no = “P9”)", "是"),
    (f"众数(y.med_list_codg 对于 明细 y 满足 {SAME})", "A"),
    ("众数(y.med_list_codg 对于 明细 y 满足 y.psn_no = “P9”)", ""),
    (f"收集(y.feedetl_sn 对于 明细 y 满足 {SAME})", "F2,F1,F4,F3"),
    (f"收集(y.数量 对于 明细 y 满足 {SAME})", ",2,-1,3"),
    (f"收集(y.feedetl_sn 对于 明细 y 满足 {SAME} 排序 y.数量)", "F4,F1,F3,F2"),
    (f"收集(y.feedetl_sn 对于 明细 y 满足 {SAME} 排序 y.数量 降序)", "F3,F1,F4,F2"),
    (f"收集(y.feedetl_sn 对于 明细 y 满足 {SAME} 排序 y.med_list_codg 降序)", "F2,F3,F1,F4"),
    (f"收集(y.feedetl_sn 对于 明细 y 满足 {SAME} 排序 y.med_list_codg 降序, y.feedetl_sn 降序)",
     "F3,F2,F4,F1"),
    (f"首条(y.feedetl_sn 对于 明细 y 满足 {SAME})", "F2"),
    (f"末条(y.feedetl_sn 对于 明细 y 满足 {SAME})", "F3"),
    (f"首条(y.feedetl_sn 对于 明细 y 满足 {SAME} 排序 y.数量 降序)", "F3"),
    (f"末条(y.feedetl_sn 对于 明细 y 满足 {SAME} 排序 y.数量 降序)", "F2"),
    (f"末条(y.feedetl_sn 对于 明细 y 满足 {SAME} 排序 y.数量)", "F2"),
    (f"首条(明细 y 满足 {SAME} 排序 y.数量).feedetl_sn", "F4"),
    ("首条(y.feedetl_sn 对于 明细 y 满足 y.psn_no = “P9”)", ""),
    (f"最长连续(明细 y 满足 {SAME})", "3"),  # F5 (P2) sits between F4 and F3 (null time)
    ("最长连续(明细 y 满足 y.med_list_codg = “A”)", "2"),
])
def test_aggregates(expr: str, text: str) -> None:
    assert agg_message(expr) == text


def test_sum_types() -> None:
    body = ('对每条 明细 x 当 x.feedetl_sn = "F1" 提示 "{求和(y.数量 对于 明细 y 满足 假)}|'
            '{求和(1 对于 明细 y)}|{求和(y.金额 对于 明细 y)}"')
    out = fire(body, fee=[fee("F1", det_item_fee_sumamt=1.25), fee("F2", det_item_fee_sumamt=2.0)])
    assert msgs(out) == ["0|2|3.25"]
    rule = book(body).rules[0]
    data = Data.from_batch(*batch(fee=[fee("F1")]))
    ev = RuleEvaluator(rule, data, {})
    agg_int = ir.Agg("sum", "y", ir.TableSource("fee"), None, ir.Const(1, dtype=INT), dtype=INT)
    assert ev.eval(agg_int, {}) == 1 and isinstance(ev.eval(agg_int, {}), int)


def test_mode_ties_to_smallest_value() -> None:
    rows = [fee("F1", med_list_codg="B"), fee("F2", med_list_codg="A"), fee("F3", med_list_codg="B"),
            fee("F4", med_list_codg="A"), fee("F5", med_list_codg=None), fee("F6", med_list_codg=None),
            fee("F7", med_list_codg=None)]
    assert agg_message("众数(y.med_list_codg 对于 明细 y)", rows) == "A"


def test_first_ties_follow_natural_order_not_input_order() -> None:
    rows = [fee("F3", fee_ocur_time=T("03-01 09:00"), cnt=1.0),
            fee("F1", fee_ocur_time=T("03-01 09:00"), cnt=1.0),
            fee("F2", fee_ocur_time=T("03-01 08:00"), cnt=1.0)]
    assert agg_message("首条(y.feedetl_sn 对于 明细 y 排序 y.数量)", rows) == "F2"
    assert agg_message("末条(y.feedetl_sn 对于 明细 y 排序 y.数量)", rows) == "F3"
    assert agg_message("收集(y.feedetl_sn 对于 明细 y)", rows) == "F2,F1,F3"


def test_tables_without_order_use_their_key() -> None:
    """A table without order columns is ordered by its key (P1 before P2), not by input rows."""
    out = fire('对每条 明细 x 当 真 提示 "{首条(p.gend 对于 参保人 p)}{末条(p.gend 对于 参保人 p)}"',
               fee=[fee("F1")], person=[{"psn_no": "P2", "gend": "2"}, {"psn_no": "P1", "gend": "1"}])
    assert msgs(out) == ["12"]


def test_range_source_and_longest_run() -> None:
    rows = [fee("F1", fee_ocur_time=T("03-01 09:00")), fee("F2", fee_ocur_time=T("03-02 09:00")),
            fee("F3", fee_ocur_time=T("03-04 09:00")), fee("F4", fee_ocur_time=T("03-05 09:00")),
            fee("F5", fee_ocur_time=T("03-06 09:00"))]
    days = "日期序列(2025-03-01, 2025-03-07) d"
    has = "存在(明细 y 满足 y.费用日期 = d)"
    assert agg_message(f"最长连续({days} 满足 {has})", rows) == "3"
    assert agg_message(f"最长连续({days} 满足 非 {has})", rows) == "1"
    assert agg_message(f"计数({days})", rows) == "7"
    assert agg_message(f"收集(d 对于 {days} 满足 非 {has})", rows) == "2025-03-03,2025-03-07"
    assert agg_message(f"末条({days} 满足 {has})", rows) == "2025-03-06"
    assert agg_message("计数(日期序列(2025-03-02, 2025-03-01) d)", rows) == "0"
    assert agg_message("计数(日期序列(x.费用日期, x.参保人.出生日期) d)", rows) == "0"  # null bound
    assert agg_message("求和(i 对于 序列(1, 4) i)", rows) == "10"
    assert agg_message("首条(i 对于 序列(1, 4) i 排序 i 降序)", rows) == "4"


def test_navigation_missing_row_is_null() -> None:
    rows = [fee("F1", med_list_codg="S1", list_type="201"), fee("F2", med_list_codg="S2", list_type="201"),
            fee("F3", med_list_codg="S1", list_type="301")]
    out = fire('对每条 明细 x 当 x.服务 为空 提示 "{x.服务.项目名称}"', fee=rows,
               service=[{"med_list_codg": "S1", "item_name": "项"}])
    assert [(f["feedetl_sn"], f["message"]) for f in out] == [("F2", ""), ("F3", "")]


def test_nested_aggregates_see_outer_variables() -> None:
    rows = [fee("F1", psn_no="P1", cnt=1.0), fee("F2", psn_no="P1", cnt=5.0),
            fee("F3", psn_no="P2", cnt=2.0), fee("F4", psn_no="P2", cnt=2.0)]
    body = ('对每条 明细 x 当 x.数量 = 最大(y.数量 对于 明细 y 满足 y.psn_no = x.psn_no) 且 '
            '计数(明细 y 满足 y.psn_no = x.psn_no 且 y.数量 = 最大(z.数量 对于 明细 z 满足 z.psn_no = y.psn_no)) = 1')
    assert sns(fire(body, fee=rows)) == ["F2"]


# ============================================================== group rules
GROUP_ROWS = [
    fee("F1", psn_no="P1", med_list_codg="A", cnt=2.0, det_item_fee_sumamt=20.0,
        fee_ocur_time=T("03-01 10:00")),
    fee("F2", psn_no="P1", med_list_codg="A", cnt=2.0, det_item_fee_sumamt=20.0,
        fee_ocur_time=T("03-01 09:00")),
    fee("F3", psn_no="P1", med_list_codg="A", cnt=-1.0, det_item_fee_sumamt=-10.0,
        fee_ocur_time=T("03-01 11:00")),
    fee("F4", psn_no="P1", med_list_codg="A", cnt=5.0, det_item_fee_sumamt=50.0,
        fee_ocur_time=T("03-02 09:00")),
    fee("F5", psn_no=None, med_list_codg="A", cnt=9.0, det_item_fee_sumamt=90.0,
        fee_ocur_time=T("03-01 09:00")),
    fee("F6", psn_no=None, med_list_codg="A", cnt=9.0, det_item_fee_sumamt=90.0,
        fee_ocur_time=T("03-01 09:30")),
    fee("F7", psn_no="P2", med_list_codg="B", cnt=1.0, det_item_fee_sumamt=1.0,
        fee_ocur_time=T("03-01 09:00")),
]
GROUP_BODY = '''
对每组 明细 x 满足 x.med_list_codg = "A" 按 x.psn_no 记为 人员, x.med_list_codg, x.费用日期 记为 费用日
令 Q = 求和(x.数量)
当 Q > 2
违规金额 求和(x.金额) * (Q - 2) / Q
提示 "{人员}|{费用日}|{Q}|{计数()}|{计数(满足 x.收费行)}|{首条(x.feedetl_sn)}|{x.金额}"
输出 人员编号 = 人员, 项目编码 = x.med_list_codg, 开始日期 = 费用日, 结束日期 = 费用日
'''


def test_group_rule() -> None:
    out = fire(GROUP_BODY, level="参保人", fee=GROUP_ROWS)
    assert out == [
        {"feedetl_sn": None, "mdtrt_id": None, "setl_id": None, "psn_no": None, "fixmedins_code": None,
         "dr_codg": None, "item_code": "A", "period_start": D("03-01"), "period_end": D("03-01"),
         "vola_amt": 160.0, "message": "|2025-03-01|18|2|2|F5|90.00",
         "lines": ["F5", "F6"]},
        {"feedetl_sn": None, "mdtrt_id": None, "setl_id": None, "psn_no": "P1", "fixmedins_code": None,
         "dr_codg": None, "item_code": "A", "period_start": D("03-01"), "period_end": D("03-01"),
         "vola_amt": 10.0, "message": "P1|2025-03-01|3|3|2|F2|20.00",
         "lines": ["F1", "F2", "F3"]},
        {"feedetl_sn": None, "mdtrt_id": None, "setl_id": None, "psn_no": "P1", "fixmedins_code": None,
         "dr_codg": None, "item_code": "A", "period_start": D("03-02"), "period_end": D("03-02"),
         "vola_amt": 30.0, "message": "P1|2025-03-02|5|1|1|F4|50.00",
         "lines": ["F4"]},
    ]


def test_group_rule_null_keys_can_be_excluded_in_where() -> None:
    body = GROUP_BODY.replace('满足 x.med_list_codg = "A"', '满足 x.med_list_codg = "A" 且 x.psn_no 不为空')
    assert [f["psn_no"] for f in fire(body, level="参保人", fee=GROUP_ROWS)] == ["P1", "P1"]


def test_group_aggregates_first_last_collect_in_member_order() -> None:
    body = ('对每组 明细 x 按 x.psn_no 记为 人员 当 计数() > 1 '
            '提示 "{首条(x.feedetl_sn)}|{末条(x.feedetl_sn)}|{收集(x.feedetl_sn)}|'
            '{最长连续(满足 x.数量 > 0)}|{去重计数(x.med_list_codg)}|{众数(x.med_list_codg)}|'
            '{全部(x.数量 > 0)}|{任一(x.数量 < 0)}|{最小(x.数量)}|{最大(x.金额)}|{平均(x.数量)}" '
            '输出 人员编号 = 人员')
    out = fire(body, level="参保人", fee=GROUP_ROWS)
    assert msgs(out) == ["F5|F6|F5,F6|2|1|A|是|否|9|90.00|9",
                         "F2|F4|F2,F1,F3,F4|2|1|A|否|是|-1|50.00|2"]


def test_group_rule_two_bindings_and_group_agg_inside_agg() -> None:
    body = '''
    对每组 明细 x, 就诊 v 满足 x.mdtrt_id = v.mdtrt_id 按 v.fixmedins_code 记为 机构
    当 计数() >= 2 且 存在(明细 y 满足 y.数量 = 最大(x.数量))
    违规金额 求和(x.金额 满足 v.med_type = "21")
    提示 "{机构}|{v.入院日期}|{收集(x.feedetl_sn)}|{去重计数(v.mdtrt_id)}"
    输出 机构编码 = 机构
    '''
    visits = [{"mdtrt_id": "V2", "fixmedins_code": "H1", "med_type": "21",
               "begntime": T("03-02 08:00")},
              {"mdtrt_id": "V1", "fixmedins_code": "H1", "med_type": "11",
               "begntime": T("03-01 08:00")},
              {"mdtrt_id": "V3", "fixmedins_code": "H2", "med_type": "21",
               "begntime": T("03-01 08:00")}]
    rows = [fee("F1", mdtrt_id="V2", cnt=1.0, det_item_fee_sumamt=5.0, fee_ocur_time=T("03-02 09:00")),
            fee("F2", mdtrt_id="V1", cnt=3.0, det_item_fee_sumamt=7.0, fee_ocur_time=T("03-01 09:00")),
            fee("F3", mdtrt_id="V3", cnt=1.0, det_item_fee_sumamt=1.0, fee_ocur_time=T("03-01 09:00")),
            fee("F4", mdtrt_id="V9", cnt=1.0, fee_ocur_time=T("03-01 09:00"))]
    out = fire(body, level="机构", fee=rows, visit=visits)
    # members in (fee order, visit order): (F2, V1), (F1, V2)
    assert [(f["fixmedins_code"], f["vola_amt"], f["message"], f["lines"]) for f in out] == [
        ("H1", 5.0, "H1|2025-03-01|F2,F1|2", ["F1", "F2"])]


def test_group_when_false_and_null_do_not_fire() -> None:
    body = ('对每组 明细 x 按 x.psn_no 记为 人员 当 最大(x.数量) > 100 或 求和(x.单价) > 1 '
            '输出 人员编号 = 人员')
    rows = [fee("F1", psn_no="P1", cnt=1.0, pric=None), fee("F2", psn_no="P2", cnt=1.0, pric=2.0)]
    assert [f["psn_no"] for f in fire(body, level="参保人", fee=rows)] == ["P2"]


# ========================================================== message formats
def test_template_formats() -> None:
    persons = [{"psn_no": "P1", "gend": "2", "brdy": D("2000-01-01")}]
    body = ('对每条 明细 x 当 真 提示 "{x.金额}|{x.数量}|{x.prd_days}|{x.金额|数值}|{x.数量|金额}|'
            '{x.参保人.性别|性别}|{x.med_list_codg|性别}|{x.收费行}|{x.费用日期}|{x.费用发生时间}|'
            '{月份(x.费用日期)}|{计数(明细 y)}|{x.rxno}|{[x.feedetl_sn, x.rxno, “z”]}|'
            '{收集(y.费用日期 对于 明细 y)}"')
    rows = [fee("F1", psn_no="P1", det_item_fee_sumamt=-0.001, cnt=1.50000, prd_days=None,
                med_list_codg="1", fee_ocur_time=T("03-01 09:05:07")),
            fee("F2", psn_no="P9", det_item_fee_sumamt=1234.5, cnt=-0.00001, prd_days=7.0,
                med_list_codg="X", fee_ocur_time=T("2024-12-31 00:00"))]
    assert msgs(fire(body, fee=rows, person=persons)) == [
        "0.00|1.5||-0.001|1.50|女|男|是|2025-03-01|2025-03-01 09:05:07|2025-03|2|"
        "|F1,,z|2024-12-31,2025-03-01",
        "1234.50|0|7|1234.5|0.00||X|否|2024-12-31|2024-12-31 00:00:00|2024-12|2|"
        "|F2,,z|2024-12-31,2025-03-01",
    ]


def test_message_without_template_is_rule_name() -> None:
    assert msgs(fire("对每条 明细 x 当 真", fee=[fee("F1")])) == ["测试"]


# ================================================================= plumbing
def test_rule_selection_disabled_and_named() -> None:
    text = f'''
    规则 A-1 "甲" {{ {HEAD} 层级 明细 启用 否 对每条 明细 x 当 真 }}
    规则 B-1 "乙" {{ {HEAD} 层级 明细 对每条 明细 x 当 真 }}
    '''
    claims, kb = batch(fee=[fee("F1")])
    rb = load_text(text)
    assert interpret(rb, claims, kb).column("rule_id").to_pylist() == ["B-1"]
    assert interpret(rb, claims, kb, rules=["A-1"]).column("rule_id").to_pylist() == ["A-1"]
    assert interpret(list(rb.rules), claims, kb).column("rule_id").to_pylist() == ["A-1", "B-1"]


def test_empty_batch_and_schema() -> None:
    from ruledsl.execute.output import VIOLATION_SCHEMA

    out = interpret(book("对每条 明细 x 当 真"), {}, {})
    assert out.num_rows == 0 and out.schema == VIOLATION_SCHEMA


def test_timestamps_in_any_unit_and_dates() -> None:
    fee_t = pa.table({"feedetl_sn": ["F1"], "vali_flag": ["1"],
                      "fee_ocur_time": pa.array([dt.datetime(2025, 3, 1, 9)], pa.timestamp("ms"))})
    out = interpret(book('对每条 明细 x 当 x.费用发生时间 = 2025-03-01 09:00:00'), {"fee": fee_t}, {})
    assert out.column("feedetl_sn").to_pylist() == ["F1"]


def test_errors_name_the_rule() -> None:
    rb = book('参数 n: 整数 = 1 对每条 明细 x 当 x.数量 > 参数.n')
    data = Data.from_batch(*batch(fee=[fee("F1", cnt=2.0)]))
    with pytest.raises(InterpretError, match="T-1"):
        rule_firings(rb.rules[0], data, {})
    assert len(rule_firings(rb.rules[0], data, {"T-1.n": 1})) == 1


def test_evaluator_direct() -> None:
    rule = book("对每条 明细 x 当 真").rules[0]
    data = Data.from_batch(*batch(fee=[fee("F1", cnt=2.0), fee("F0", cnt=None)]))
    ev = RuleEvaluator(rule, data, {})
    x = ir.Var("x", dtype=RowType("fee"))
    assert data.row_refs("fee") == [Row("fee", 1), Row("fee", 0)]  # null time then sn
    assert ev.eval(ir.Col(ir.Const(None, dtype=STR), "cnt", dtype=STR), {}) is None
    cond = ir.InList(ir.Const(None, dtype=STR), ir.ListOf((), dtype=STR), dtype=BOOL)
    assert ev.eval(cond, {}) is None  # the brief's reading: a null operand is null
    assert ev.eval(ir.Call("=", (x, x), dtype=BOOL), {"x": Row("fee", 0)}) is True
    assert scalar.r2(ev.eval(ir.Call("/", (ir.Const(1, dtype=INT), ir.Const(3, dtype=INT)),
                                     dtype=INT), {})) == 0.33


def test_index_lookup_equals_full_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hash pre-filter for ``y.col = expr`` changes nothing (nulls, floats, order)."""
    body = ('对每条 明细 x 当 真 提示 "{计数(明细 y 满足 y.psn_no = x.psn_no 且 y.数量 > 0)}|'
            '{收集(y.feedetl_sn 对于 明细 y 满足 x.数量 = y.数量 排序 y.金额 降序)}|'
            '{首条(y.feedetl_sn 对于 明细 y 满足 y.psn_no = x.psn_no 且 y.rxno = 空)}|'
            '{x.参保人.性别}|{最长连续(明细 y 满足 y.psn_no = x.psn_no)}"')
    rows = [fee("F1", psn_no="P1", cnt=1.0, det_item_fee_sumamt=2.0),
            fee("F2", psn_no="P1", cnt=1, det_item_fee_sumamt=3.0),
            fee("F3", psn_no=None, cnt=None, det_item_fee_sumamt=1.0),
            fee("F4", psn_no="P2", cnt=2.0, det_item_fee_sumamt=None),
            fee("F5", psn_no="P1", cnt=-1.0, det_item_fee_sumamt=2.0)]
    persons = [{"psn_no": "P1", "gend": "1"}, {"psn_no": "P1", "gend": "2"}, {"psn_no": None}]
    fast = fire(body, fee=rows, person=persons)
    monkeypatch.setattr(RuleEvaluator, "_lookup", lambda self, node: None)
    assert fire(body, fee=rows, person=persons) == fast
    assert msgs(fast)[0] == "2|F2,F1||1|2"


def test_main_diagnosis_ties_are_ordered_as_rules_46_orders_diagnoses() -> None:
    # several 主诊断 rows tied on diag_srt_no (null): a null code first, then the normalised code
    # (rules-46 §0.10.13), whatever order the rows come in; the vectorised plan agrees
    body = '对每个 就诊 V 当 真 提示 "{V.主诊断.规范诊断编码}"'
    visits = [{"mdtrt_id": v} for v in ("V1", "V2", "V3")]
    diagnoses = [
        {"mdtrt_id": "V1", "diag_code": "J18.900", "maindiag_flag": "1"},
        {"mdtrt_id": "V1", "diag_code": "i63.900", "maindiag_flag": "1"},
        {"mdtrt_id": "V2", "diag_code": "J18.900", "maindiag_flag": "1"},
        {"mdtrt_id": "V2", "diag_code": None, "maindiag_flag": "1"},
        {"mdtrt_id": "V3", "diag_code": "A00", "maindiag_flag": "1", "diag_srt_no": 2},
        {"mdtrt_id": "V3", "diag_code": "Z99", "maindiag_flag": "1", "diag_srt_no": 1},
    ]
    for rows in (diagnoses, diagnoses[::-1]):
        claims, kb = batch(visit=visits, diagnosis=rows)
        for out in (interpret(book(body, "就诊"), claims, kb),
                    book(body, "就诊").compile().run(claims, kb)):
            assert [(r["mdtrt_id"], r["message"]) for r in out.to_pylist()] == [
                ("V1", "I63.900"), ("V2", ""), ("V3", "Z99")]
