"""The tables of ``data-contract.md``, declared as data.

Every claim table (§2) and knowledge-base table (§3) is one :class:`Table` in
:data:`TABLES`, in contract order; every column carries its national interface
name (used verbatim in files), a short Chinese label (usable in rules instead
of the name) and its type.  Money columns are :data:`~ruledsl.types.MONEY`,
other ``f64`` columns :data:`~ruledsl.types.FLOAT`.  :data:`OUTPUT_COLUMNS` is
the violations table of §4 and :data:`OUTPUT_SORT_KEYS` its sort order.

Derived fields (``fee_date``, ``los_days`` …) are not declared here: they are
rule-language expressions added by the language layer.

Example:
    >>> TABLES["fee"].column("数量").name
    'cnt'
    >>> find_table("费用明细").name, find_table("定点医药机构").name
    ('fee', 'institution')
    >>> [t.name for t in TABLES.values() if t.optional]
    ['operation', 'practitioner', 'opsp_reg']
"""

from __future__ import annotations

from ..types import BOOL, DATE, FLOAT, INT, MONEY, STR, TIMESTAMP, DataType, ListType
from .model import Column, Table

__all__ = [
    "CLAIMS_TABLES",
    "KB_TABLES",
    "OUTPUT_COLUMNS",
    "OUTPUT_SORT_KEYS",
    "TABLES",
    "find_table",
    "tables_of_kind",
]


def _c(name: str, label: str, dtype: DataType, nullable: bool = False, doc: str = "") -> Column:
    return Column(name, label, dtype, nullable, doc)


def _n(name: str, label: str, dtype: DataType, doc: str = "") -> Column:
    """A column the contract marks ``null``."""
    return Column(name, label, dtype, True, doc)


# Columns that recur with the same meaning get the same label in every table.
_PSN_NO = _c("psn_no", "人员编号", STR)
_MDTRT_ID = _c("mdtrt_id", "就诊ID", STR)
_FIXMEDINS = _c("fixmedins_code", "机构编码", STR, doc="定点医药机构编号")
_MED_LIST = _c("med_list_codg", "医疗目录编码", STR, doc="national catalogue code")
_NULL_COVERS_NOTHING = "inclusive; a null date covers nothing"

# -- §2 claim batch ----------------------------------------------------------

_PERSON = Table(
    "person",
    "参保人",
    "claims",
    (
        _PSN_NO,
        _c("gend", "性别", STR, doc="1 男, 2 女, 0 未知, 9 未说明"),
        _c("brdy", "出生日期", DATE),
        _c("insutype", "险种类型", STR, doc="310 职工, 390 城乡居民, 510 生育 …"),
        _c("insu_admdvs", "参保地医保区划", STR, doc="6 digits"),
        _c("insu_begn_date", "参保开始日期", DATE, doc="参保(待遇)开始日期"),
        _n("insu_end_date", "参保终止日期", DATE, doc="null = still insured"),
        _n("die_date", "死亡日期", DATE, doc="from the civil registry; null = alive"),
    ),
    key=("psn_no",),
)

_VISIT = Table(
    "visit",
    "就诊",
    "claims",
    (
        _MDTRT_ID,
        _PSN_NO,
        _FIXMEDINS,
        _c("med_type", "医疗类别", STR, doc="11 普通门诊, 21 普通住院, 41 定点药店购药 …"),
        _c("begntime", "入院时间", TIMESTAMP, doc="开始(入院)时间"),
        _c("endtime", "出院时间", TIMESTAMP, doc="结束(出院)时间"),
        _n("dise_codg", "病种编码", STR, doc="门慢特病种 code of 门诊慢特病 visits"),
        _n("dscg_way", "离院方式", STR, doc="1 医嘱离院 … 5 死亡, 9 其他"),
        _n("days_rinp_flag_31", "再住院计划标志", STR, doc="出院31天内再住院计划标志; 1 = planned"),
        _n("atddr_no", "主诊医师编码", STR),
    ),
    key=("mdtrt_id",),
    order=("begntime", "mdtrt_id"),
)

_DIAGNOSIS = Table(
    "diagnosis",
    "诊断",
    "claims",
    (
        _MDTRT_ID,
        _c("diag_srt_no", "诊断排序号", INT, doc="1 = first"),
        _c("diag_code", "诊断代码", STR, doc="ICD-10 医保版"),
        _c("maindiag_flag", "主诊断标志", STR, doc="1 主诊断, 0 其他诊断"),
    ),
    key=("mdtrt_id", "diag_srt_no"),
    order=("diag_srt_no", "diag_code"),
)

_OPERATION = Table(
    "operation",
    "手术操作",
    "claims",
    (
        _MDTRT_ID,
        _c("oprn_oprt_code", "手术操作代码", STR, doc="ICD-9-CM-3 医保版"),
        _c("oprn_oprt_date", "手术操作日期", TIMESTAMP),
    ),
    key=("mdtrt_id", "oprn_oprt_code"),
    optional=True,
)

_SETTLEMENT = Table(
    "settlement",
    "结算",
    "claims",
    (
        _c("setl_id", "结算ID", STR),
        _MDTRT_ID,
        _PSN_NO,
        _FIXMEDINS,
        _c("setl_time", "结算时间", TIMESTAMP),
        _c("medfee_sumamt", "医疗费总额", MONEY),
        _c("hifp_pay", "统筹基金支出", MONEY, doc="基本医疗保险统筹基金支出"),
        _c("fund_pay_sumamt", "基金支付总额", MONEY),
        _c("acct_pay", "个人账户支出", MONEY),
        _c("psn_cash_pay", "个人现金支出", MONEY),
        _c("vali_flag", "有效标志", STR, doc="1 valid, 0 cancelled (冲销)"),
    ),
    key=("setl_id",),
    order=("setl_time", "setl_id"),
)

_FEE = Table(
    "fee",
    "明细",
    "claims",
    (
        _c("feedetl_sn", "明细流水号", STR, doc="费用明细流水号"),
        _MDTRT_ID,
        _n("setl_id", "结算ID", STR, doc="null before settlement"),
        _PSN_NO,
        _c("fee_ocur_time", "费用发生时间", TIMESTAMP),
        _MED_LIST,
        _c("medins_list_codg", "医药机构目录编码", STR, doc="the hospital's own code"),
        _c(
            "list_type", "目录类别", STR, doc="101 西药中成药, 102 中药饮片, 201 服务项目, 301 耗材"
        ),
        _c("med_chrgitm_type", "医疗收费项目类别", STR, doc="01 床位费 … 14 其他费"),
        _c("cnt", "数量", FLOAT, doc="negative on a refund line"),
        _c("pric", "单价", MONEY),
        _c("det_item_fee_sumamt", "明细项目费用总额", MONEY, doc="= cnt × pric, as billed"),
        _n("bilg_dr_codg", "开单医生编码", STR),
        _n("prd_days", "周期天数", FLOAT, doc="days of supply of a drug line"),
        _c("dscg_tkdrug_flag", "出院带药标志", STR, doc="1 yes, 0 no"),
        _n("rxno", "处方号", STR),
        _c("vali_flag", "有效标志", STR, doc="1 valid, 0 cancelled"),
    ),
    key=("feedetl_sn",),
    order=("fee_ocur_time", "feedetl_sn"),
    aliases=("费用明细",),
)

# -- §3 knowledge base -------------------------------------------------------

_INSTITUTION = Table(
    "institution",
    "机构",
    "kb",
    (
        _FIXMEDINS,
        _c("fixmedins_name", "机构名称", STR),
        _c("fixmedins_type", "机构类型", STR, doc="1 定点医疗机构, 2 定点零售药店"),
        _c("hosp_lv", "医院等级", STR, doc="01–04 三级, 05–07 二级, 08–10 一级, 11 无等级"),
        _c("admdvs", "所在医保区划", STR, doc="6 digits; the first 4 are the city"),
    ),
    key=("fixmedins_code",),
    aliases=("定点医药机构",),
)

_AGREEMENT = Table(
    "institution_agreement",
    "定点协议",
    "kb",
    (
        _FIXMEDINS,
        _c("begndate", "开始日期", DATE),
        _c("enddate", "结束日期", DATE, doc=_NULL_COVERS_NOTHING),
        _c("agre_stas", "协议状态", STR, doc="1 正常, 2 暂停, 3 解除"),
    ),
    doc="Rows identified by (fixmedins_code, begndate); uniqueness is not enforced.",
)

_LICENCE = Table(
    "equipment_licence",
    "设备许可",
    "kb",
    (
        _FIXMEDINS,
        _c("equipment_class", "设备类别", STR, doc="e.g. PET-CT, MRI-3T"),
        _c("begndate", "开始日期", DATE),
        _c("enddate", "结束日期", DATE, doc=_NULL_COVERS_NOTHING),
    ),
    aliases=("大型医用设备配置许可",),
)

_PRACTITIONER = Table(
    "practitioner",
    "医保医师",
    "kb",
    (
        _c("dr_codg", "医师编码", STR),
        _c("dr_name", "医师姓名", STR),
        _c("pract_stas", "医师状态", STR, doc="1 正常, 2 暂停"),
        _c("stas_begndate", "状态开始日期", DATE),
        _n("stas_enddate", "状态结束日期", DATE),
    ),
    key=("dr_codg",),
    optional=True,
)

_OPSP_REG = Table(
    "opsp_reg",
    "门慢特病备案",
    "kb",
    (
        _PSN_NO,
        _c("dise_codg", "病种编码", STR),
        _c("begndate", "开始日期", DATE),
        _n("enddate", "结束日期", DATE),
    ),
    optional=True,
)

_DRUG = Table(
    "drug",
    "药品",
    "kb",
    (
        _MED_LIST,
        _c("drug_name", "通用名", STR),
        _c("generic_id", "通用名编号", STR, doc="one id per generic (通用名+剂型)"),
        _c("route", "给药途径", STR, doc="oral, injection, external, other"),
        _n("sex_limit", "限性别", STR, doc="1 限男性, 2 限女性"),
        _c("child_only", "限儿童", BOOL, doc="儿童专用 / 限儿童"),
        _n("min_hosp_rank", "限医疗机构级别", INT, doc="限 N 级及以上医疗机构 (1, 2, 3)"),
        _n("med_type_scope", "限就医方式", STR, doc="inpatient or outpatient"),
        _n("insutype_only", "限险种", STR, doc="work_injury or maternity"),
        _n("course_max_days", "限支付疗程天数", INT),
        _n("line_role", "用药线别", STR, doc="first or second (二线用药)"),
        _n("line_group", "线别分组", STR),
        _n("indication_set", "限适应症", STR, doc="a code_set.set_id"),
        _n("herb_rule", "饮片支付规则", STR, doc="never, not_single"),
        _c("watch", "重点监控", BOOL, doc="重点监控品种"),
    ),
    key=("med_list_codg",),
    aliases=("药品目录",),
)

_SERVICE = Table(
    "service",
    "服务项目",
    "kb",
    (
        _MED_LIST,
        _c("item_name", "项目名称", STR),
        _n("sex_limit", "限性别", STR, doc="1 限男性, 2 限女性"),
        _n("min_age", "限年龄下限", INT, doc="years, inclusive"),
        _n("max_age", "限年龄上限", INT, doc="years, inclusive"),
        _n("max_per_day", "单日限定数量", FLOAT),
        _n("period_days", "周期天数", INT, doc="rolling window"),
        _n("period_max", "周期内限定数量", FLOAT),
        _n("per_day_group", "计日项目组", STR, doc="bed, nursing, consult …"),
        _n("price_cap_1", "一级最高限价", MONEY),
        _n("price_cap_2", "二级最高限价", MONEY),
        _n("price_cap_3", "三级最高限价", MONEY),
        _n("indication_set", "限指征", STR, doc="a code_set.set_id"),
        _n("equipment_class", "设备类别", STR),
        _n("exam_group", "检查部位与方式", STR, doc="e.g. CT-头颅"),
        _c("is_surgery", "手术项目", BOOL),
        _n("course_max_days", "限支付疗程天数", INT, doc="康复类"),
    ),
    key=("med_list_codg",),
    aliases=("医疗服务项目",),
)

_MATERIAL = Table(
    "material",
    "耗材",
    "kb",
    (
        _MED_LIST,
        _c("material_name", "耗材名称", STR),
        _n("device_class", "耗材类别", STR, doc="e.g. 冠脉支架"),
        _c("watch", "重点监控", BOOL),
    ),
    key=("med_list_codg",),
    aliases=("医用耗材",),
)

_ITEM_PAIR = Table(
    "item_pair",
    "重复收费项目对",
    "kb",
    (
        _c("code_a", "项目编码A", STR),
        _c("code_b", "项目编码B", STR),
        _c("period", "限定周期", STR, doc="day or visit"),
    ),
)

_PACKAGE = Table(
    "package",
    "组合项目",
    "kb",
    (
        _c("package_code", "组合项目编码", STR),
        _c("component_code", "组成项目编码", STR),
        _c("package_price", "组合项目价格", MONEY),
    ),
    doc="Rows identified by (package_code, component_code); uniqueness is not enforced.",
)

_CODE_SET = Table(
    "code_set",
    "编码集",
    "kb",
    (
        _c("set_id", "编码集编号", STR),
        _c("code_from", "起始编码", STR),
        _c("code_to", "终止编码", STR),
    ),
    aliases=("诊断编码集合",),
)

_PATHWAY = Table(
    "pathway",
    "临床路径",
    "kb",
    (
        _c("icd3", "疾病类目", STR),
        _c("std_los_days", "标准住院天数", FLOAT),
        _c("std_cost", "标准费用", MONEY),
    ),
    key=("icd3",),
    aliases=("临床路径标准",),
)

_DEVICE_RULE = Table(
    "device_rule",
    "耗材使用条件",
    "kb",
    (
        _c("device_class", "耗材类别", STR),
        _c("required_set", "所需诊断编码集", STR, doc="a code_set.set_id"),
    ),
    key=("device_class",),
    aliases=("高值耗材使用条件",),
)

_OPSP_SCOPE = Table(
    "opsp_scope",
    "门慢特病用药范围",
    "kb",
    (
        _c("dise_codg", "病种编码", STR),
        _c("generic_id", "通用名编号", STR),
    ),
)

_ICD10 = Table(
    "icd10",
    "有效诊断编码",
    "kb",
    (
        _c("icd3", "疾病类目", STR),
        _c("title", "类目名称", STR),
    ),
    key=("icd3",),
)

CLAIMS_TABLES: tuple[Table, ...] = (_PERSON, _VISIT, _DIAGNOSIS, _OPERATION, _SETTLEMENT, _FEE)
"""The claim-batch tables (contract §2), in contract order."""

KB_TABLES: tuple[Table, ...] = (
    _INSTITUTION,
    _AGREEMENT,
    _LICENCE,
    _PRACTITIONER,
    _OPSP_REG,
    _DRUG,
    _SERVICE,
    _MATERIAL,
    _ITEM_PAIR,
    _PACKAGE,
    _CODE_SET,
    _PATHWAY,
    _DEVICE_RULE,
    _OPSP_SCOPE,
    _ICD10,
)
"""The knowledge-base tables (contract §3), in contract order."""

TABLES: dict[str, Table] = {t.name: t for t in CLAIMS_TABLES + KB_TABLES}
"""Every table of the contract by national name, claims first, in contract order."""

_BY_ANY_NAME: dict[str, Table] = {}
for _t in TABLES.values():
    for _alias in (_t.name, _t.label, *_t.aliases):
        if _BY_ANY_NAME.setdefault(_alias, _t) is not _t:
            raise AssertionError(f"table name {_alias!r} is ambiguous")


def find_table(name: str) -> Table | None:
    """The contract table called ``name`` (national name, Chinese label or alias).

    Example:
        >>> find_table("明细").name, find_table("fee").label, find_table("nope")
        ('fee', '明细', None)
    """
    return _BY_ANY_NAME.get(name)


def tables_of_kind(kind: str) -> tuple[Table, ...]:
    """The tables of one ``kind`` (``claims`` or ``kb``), in contract order.

    Example:
        >>> [t.name for t in tables_of_kind("claims")][:3]
        ['person', 'visit', 'diagnosis']
    """
    if kind == "claims":
        return CLAIMS_TABLES
    if kind == "kb":
        return KB_TABLES
    raise ValueError(f"unknown table kind {kind!r} (expected 'claims' or 'kb')")


# -- §4 violations -----------------------------------------------------------

OUTPUT_COLUMNS: tuple[Column, ...] = (
    _c("rule_id", "规则编号", STR, doc="e.g. YP-02"),
    _c("rule_name", "规则名称", STR),
    _c(
        "category",
        "规则类别",
        STR,
        doc="诊疗项目类 / 医保管理类 / 临床诊断类 / 药品类 / 临床路径类",
    ),
    _c("result_type", "结果类型", STR, doc="definite (明确违规) or suspicious (可疑)"),
    _c("level", "违规层级", STR, doc="fee, visit, settlement, person, institution, doctor"),
    _n("feedetl_sn", "明细流水号", STR),
    _n("mdtrt_id", "就诊ID", STR),
    _n("setl_id", "结算ID", STR),
    _n("psn_no", "人员编号", STR),
    _n("fixmedins_code", "机构编码", STR),
    _n("dr_codg", "医师编码", STR),
    _n("item_code", "项目编码", STR),
    _n("period_start", "开始日期", DATE),
    _n("period_end", "结束日期", DATE, doc="inclusive"),
    _c("vola_amt", "违规金额", MONEY, doc="rounded to 0.01"),
    _c("message", "提示", STR),
    _c("lines", "明细行", ListType(STR), doc="the fee lines involved, sorted; may be empty"),
)
"""The columns of the violations table (contract §4), in output order."""

OUTPUT_SORT_KEYS: tuple[str, ...] = (
    "rule_id",
    "feedetl_sn",
    "mdtrt_id",
    "setl_id",
    "psn_no",
    "fixmedins_code",
    "dr_codg",
    "item_code",
    "period_start",
    "period_end",
)
"""The violations sort order: ascending, nulls first, strings by code point."""
