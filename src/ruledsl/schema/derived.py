"""Derived fields and navigation, written in the rule language.

Each entry is ``(name, Chinese label, expression, doc)``; the expression names
its own row by the table's national name (``fee.cnt``).  They are checked like
rule text when the schema is built, and the vectorised plan computes each one
once per batch, whichever rules use it.  The definitions follow
``rules-46.md`` §0.1–§0.4 (charge lines, line classes, visit kinds, settled
visits, visit money, main diagnosis, ``hosp_rank``).
"""

from __future__ import annotations

from .model import Derived

_INPATIENT = '["21", "22", "24", "52"]'
_OUTPATIENT = '["11", "13", "14", "51"]'

DERIVED: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "fee": (
        ("fee_date", "费用日期", "date(fee.fee_ocur_time)", "date of fee_ocur_time"),
        ("amt", "金额", "fee.det_item_fee_sumamt", "明细项目费用总额 (the line's amount)"),
        ("is_charge", "收费行", "r4(fee.cnt) > 0", "a charge line: r4(cnt) > 0 (§0.1.2)"),
        ("visit", "就诊", "first(visit v where v.mdtrt_id = fee.mdtrt_id)", "the line's visit"),
        ("person", "参保人", "first(person p where p.psn_no = fee.psn_no)", "the line's person"),
        ("service", "服务", 'first(service s where s.med_list_codg = fee.med_list_codg '
         'and fee.list_type = "201")', "the service row of a service line (§0.2.2)"),
        ("drug", "药品", 'first(drug d where d.med_list_codg = fee.med_list_codg '
         'and fee.list_type in ["101", "102"])', "the drug row of a drug line"),
        ("material", "耗材", 'first(material m where m.med_list_codg = fee.med_list_codg '
         'and fee.list_type = "301")', "the material row of a material line"),
        ("fixmedins_code", "机构编码", "fee.visit.fixmedins_code",
         "the line's institution (null when the visit row is missing)"),
        ("institution", "机构", "fee.visit.institution", "the line's institution row"),
        ("is_discharge_drug", "出院带药", 'coalesce(fee.dscg_tkdrug_flag = "1", false)',
         "dscg_tkdrug_flag is '1' (null is false)"),
    ),
    "visit": (
        ("adm_date", "入院日期", "date(visit.begntime)", "date of begntime"),
        ("dscg_date", "出院日期", "date(visit.endtime)", "date of endtime"),
        ("is_inpatient", "住院", f"visit.med_type in {_INPATIENT}", "inpatient visit"),
        ("is_outpatient", "门诊", f"visit.med_type in {_OUTPATIENT}", "outpatient visit"),
        ("is_pharmacy", "药店购药", 'visit.med_type = "41"', "pharmacy visit"),
        ("kind", "就诊类型",
         f'case when visit.med_type in {_INPATIENT} then "inpatient" '
         f'when visit.med_type in {_OUTPATIENT} then "outpatient" '
         'when visit.med_type = "41" then "pharmacy" else null end',
         "inpatient / outpatient / pharmacy, null for other med_type"),
        ("los_days", "住院天数",
         "if visit.is_inpatient then greatest(1, visit.dscg_date - visit.adm_date) else null",
         "length of stay of an inpatient visit: max(1, dscg_date − adm_date)"),
        ("person", "参保人", "first(person p where p.psn_no = visit.psn_no)", "the visit's person"),
        ("institution", "机构",
         "first(institution i where i.fixmedins_code = visit.fixmedins_code)",
         "the visit's institution row"),
        ("is_settled", "已结算", "exists(settlement s where s.mdtrt_id = visit.mdtrt_id)",
         "has at least one valid settlement (§0.1.4)"),
        ("medfee", "医疗费总额合计",
         "sum(s.medfee_sumamt for settlement s where s.mdtrt_id = visit.mdtrt_id)",
         "visit_medfee: Σ medfee_sumamt of valid settlements"),
        ("hifp", "统筹支付合计",
         "sum(s.hifp_pay for settlement s where s.mdtrt_id = visit.mdtrt_id)",
         "visit_hifp: Σ hifp_pay of valid settlements"),
        ("fund", "基金支付合计",
         "sum(s.fund_pay_sumamt for settlement s where s.mdtrt_id = visit.mdtrt_id)",
         "visit_fund: Σ fund_pay_sumamt of valid settlements"),
        ("main_diag", "主诊断",
         'first(diagnosis d where d.mdtrt_id = visit.mdtrt_id and d.maindiag_flag = "1" '
         "order by d.diag_srt_no, d.diag_code is not null, normalize_code(d.diag_code))",
         "the main diagnosis row (lowest diag_srt_no among maindiag_flag '1'; rows tied on it "
         "are ordered as rules-46 §0.10.13 orders diagnoses: a null code first, then the "
         "normalised code)"),
        ("is_planned_readmission", "再住院计划", 'coalesce(visit.days_rinp_flag_31 = "1", false)',
         "days_rinp_flag_31 is '1' (null is false)"),
    ),
    "diagnosis": (
        ("code", "规范诊断编码", "normalize_code(diagnosis.diag_code)",
         "diag_code upper-case with spaces removed"),
        ("icd3", "诊断类目", "icd3(diagnosis.diag_code)", "first 3 characters of the normalised code"),
        ("is_main", "是主诊断", 'coalesce(diagnosis.maindiag_flag = "1", false)',
         "maindiag_flag is '1'"),
    ),
    "settlement": (
        ("setl_date", "结算日期", "date(settlement.setl_time)", "date of setl_time"),
        ("visit", "就诊", "first(visit v where v.mdtrt_id = settlement.mdtrt_id)",
         "the settlement's visit"),
        ("person", "参保人", "first(person p where p.psn_no = settlement.psn_no)",
         "the settlement's person"),
        ("institution", "机构",
         "first(institution i where i.fixmedins_code = settlement.fixmedins_code)",
         "the settlement's institution row"),
    ),
    "institution": (
        ("hosp_rank", "医院级别",
         'case when institution.hosp_lv in ["01", "02", "03", "04"] then 3 '
         'when institution.hosp_lv in ["05", "06", "07"] then 2 '
         'when institution.hosp_lv in ["08", "09", "10"] then 1 else 0 end',
         "3 / 2 / 1 for 三级 / 二级 / 一级, 0 otherwise (§0.2.4)"),
    ),
}
"""Derived fields by table."""

DEFAULT_OUTPUTS: dict[str, dict[str, str]] = {
    "fee": {"feedetl_sn": "fee.feedetl_sn", "mdtrt_id": "fee.mdtrt_id",
            "psn_no": "fee.psn_no", "fixmedins_code": "fee.fixmedins_code"},
    "visit": {"mdtrt_id": "visit.mdtrt_id", "psn_no": "visit.psn_no",
              "fixmedins_code": "visit.fixmedins_code"},
    "settlement": {"setl_id": "settlement.setl_id", "mdtrt_id": "settlement.mdtrt_id",
                   "psn_no": "settlement.psn_no", "fixmedins_code": "settlement.fixmedins_code"},
}
"""Key columns a firing sets by default when a rule's scope is one row of these tables
(§0.7.2); a rule's ``输出`` clause adds to or replaces them."""


def derived_fields(table: str) -> tuple[Derived, ...]:
    """The derived fields of ``table`` as schema records."""
    return tuple(Derived(name, label, expr, doc) for name, label, expr, doc in DERIVED.get(table, ()))
