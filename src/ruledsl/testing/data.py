"""Hypothesis strategies for claim batches and knowledge bases (data contract §2–§3).

:func:`claim_batches` draws ``(claims, kb)``: two dicts of Arrow tables typed
exactly as :func:`ruledsl.schema.arrow.arrow_schema` (built with
:func:`ruledsl.data.build.make_table`), valid for the loader (unique keys) and
built *constructively*: every value is drawn from a small pool chosen so that
joins hit, with no rejection filtering, so hypothesis shrinks a failing batch
to few rows with simple values (the first entry of each pool is the plainest).

What a batch contains, by construction:

* **keys**: ``psn_no`` ``P1…``, ``mdtrt_id`` ``V1…``, ``setl_id`` ``S1…``,
  ``feedetl_sn`` ``F1…`` (``F10`` sorts before ``F2``), unique per table;
  diagnoses unique per ``(mdtrt_id, diag_srt_no)``, operations per
  ``(mdtrt_id, oprn_oprt_code)``, knowledge-base keys unique;
* **small code pools** shared with :mod:`ruledsl.testing.rules` (drugs, services,
  materials, institutions, doctors, diagnoses, code sets with ranges such as
  ``("O00", "O99")`` and ``("E11.2", "E11.2")``, item pairs including a code
  paired with itself, packages, pathways, agreements, licences, ``opsp_scope``,
  ``icd10``), plus codes that are in no catalogue (``UNK01``, ``H9``, ``X99``);
* **CJK text** in names (药品名称, 项目名称, 机构名称 …);
* **boundary values**: visits on the first day, on month ends and on the last
  day of the window, same-day visits, times ``00:00:00`` and ``23:59:59``,
  29 February birthdays, birthdays whose anniversary falls inside the window,
  newborns, prices that round half away (``3.335``), lower-case diagnosis codes
  with spaces;
* **nulls** (share ``null_share``) in the nullable columns and in columns the
  contract declares non-null but the loader accepts as null
  (:data:`NULLED_COLUMNS`: ``fee_ocur_time``, ``setl_time``, ``brdy``, ``gend``,
  ``med_type``, ``med_list_codg`` …);
* **refund lines** (share ``refund_share``): negative ``cnt`` and amount,
  repeating an earlier line's item;
* **cancellations** (share ``cancelled_share``): settlements and fee lines with
  ``vali_flag = '0'`` (and, rarely, a null or unknown flag, which is kept);
* **orphans** (share ``orphan_share``): fee lines and settlements whose visit
  row is missing, visits whose person row is missing; and visits without a
  settlement, fee lines without ``setl_id``.

Every fee line's ``psn_no`` is its visit's (or null), so a batch splits into
independent persons (:func:`person_of_rows`).  ``id_prefix`` makes the ids of
two batches disjoint (``"X"`` gives ``XP1``, ``XV1`` …).

Example:
    >>> from hypothesis import Phase, find, settings
    >>> first = settings(max_examples=1000, phases=[Phase.generate], derandomize=True, database=None)
    >>> claims, kb = find(claim_batches(), lambda b: b[0]["fee"].num_rows >= 3, settings=first)
    >>> from ruledsl.schema.arrow import arrow_schema
    >>> claims["fee"].schema == arrow_schema(SCHEMA.tables["fee"])
    True
    >>> sorted(kb) == sorted(KB_TABLE_NAMES)
    True

A thorough local run registers the hypothesis profile ``thorough`` (thousands
of examples, no deadline); because ``tests/conftest.py`` loads the profile named
by ``HYPOTHESIS_PROFILE`` before any test module is imported, load this module
as a plugin first::

    HYPOTHESIS_PROFILE=thorough python -m pytest -p ruledsl.testing.data \\
        tests/test_differential.py tests/test_metamorphic.py

(``RULEDSL_THOROUGH_EXAMPLES`` sets its example count, default 2000.)
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import pyarrow as pa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ..data.build import make_table
from ..schema import SCHEMA

__all__ = [
    "CLAIM_TABLE_NAMES",
    "CODE_SETS",
    "DIAG_CODES",
    "DOCTORS",
    "DRUGS",
    "INSTITUTIONS",
    "KB_TABLE_NAMES",
    "MATERIALS",
    "NULLED_COLUMNS",
    "SERVICES",
    "START",
    "claim_batches",
    "column_values",
    "knowledge_bases",
    "person_of_rows",
    "python_source",
]

T = TypeVar("T")

START = dt.date(2025, 1, 1)
"""Default first day of the claims window."""

CLAIM_TABLE_NAMES = ("person", "visit", "diagnosis", "operation", "settlement", "fee")
KB_TABLE_NAMES = tuple(name for name, t in SCHEMA.tables.items() if t.kind == "kb")

# ------------------------------------------------------------------ pools --
INSTITUTIONS = (
    ("H1", "宁夏医科大学总医院"),
    ("H2", "银川市第一人民医院"),
    ("H3", "中卫市中医院"),
)
"""Institutions with a knowledge-base row ``(code, name)``; visits also use ``H9`` (none)."""
UNKNOWN_INSTITUTION = "H9"
DOCTORS = (("D1", "张伟"), ("D2", "李娜"), ("D3", "王芳"))
"""Practitioners ``(dr_codg, dr_name)``; fee lines also use ``D9`` (not registered)."""

DRUGS = (
    ("XA01", "阿莫西林胶囊", "G1", "101"),
    ("XA02", "阿莫西林片", "G1", "101"),
    ("XB01", "头孢曲松钠注射剂", "G2", "101"),
    ("XC01", "二甲双胍片", "G3", "101"),
    ("ZY01", "当归", "G4", "102"),
    ("ZY02", "黄芪", "G5", "102"),
)
"""Drugs ``(med_list_codg, drug_name, generic_id, list_type)``; two codes share ``G1``."""
SERVICES = (
    ("S001", "阴道镜检查"),
    ("S002", "床位费"),
    ("S003", "CT-头颅平扫"),
    ("S004", "一级护理"),
    ("S005", "康复训练"),
    ("S006", "静脉输液"),
)
"""Service items ``(med_list_codg, item_name)``."""
MATERIALS = (
    ("C01", "冠脉支架", "冠脉支架"),
    ("C02", "一次性输液器", None),
    ("C03", "人工髋关节", "关节假体"),
)
"""Materials ``(med_list_codg, material_name, device_class)``."""
UNKNOWN_CODES = ("UNK01",)
"""Item codes billed but in no catalogue."""

CODE_SETS = (
    ("diab", "E11.2", "E11.2"),
    ("diab", "E10", "E14"),
    ("sex_female_only", "O00", "O99"),
    ("sex_female_only", "N70", "N98"),
    ("sex_male_only", "N40", "N51"),
    ("age_newborn", "P00", "P96"),
    ("age_maternity", "O00", "O9A"),
    ("planned_readmission", "Z51", "Z51"),
    ("symptom_codes", "R00", "R99"),
    ("stent", "I20", "I25"),
)
"""Code-set rows ``(set_id, code_from, code_to)``; each is present with probability 0.85."""
SET_IDS = tuple(dict.fromkeys(s for s, _, _ in CODE_SETS)) + ("no_such_set",)
DIAG_CODES = (
    "E11.200", "E11.900", "O80.000", "I63.900", "I21.000", "A08.000", "Z51.100",
    "R50.900", "P07.300", "N40.x00", "O9A.100", "e11.2 01", "X99.000",
)
"""Diagnosis codes (lower case and a space included; ``X99`` is not a valid category)."""
ICD10 = (
    ("E11", "2型糖尿病"), ("O80", "单胎顺产"), ("I63", "脑梗死"), ("I21", "急性心肌梗死"),
    ("A08", "病毒性肠道感染"), ("Z51", "其他医疗照顾"), ("R50", "发热"), ("P07", "早产儿"),
    ("N40", "前列腺增生"),
)
PATHWAYS = (("I63", 14.0, 12000.0), ("E11", 10.0, 6000.0), ("O80", 4.0, 3000.0))
ITEM_PAIRS = (
    ("S001", "S001", "day"),
    ("S002", "S004", "visit"),
    ("S003", "S006", "day"),
    ("XA01", "XA02", "day"),
)
"""Item pairs ``(code_a, code_b, period)``, one code paired with itself."""
PACKAGES = (
    ("PK01", "S003", 150.0), ("PK01", "S006", 150.0),
    ("PK02", "S002", 60.0), ("PK02", "S004", 60.0),
)
DISEASES = ("M00100", "M00200")
"""门慢特病种 codes (``visit.dise_codg``, ``opsp_reg``, ``opsp_scope``)."""
OPSP_SCOPE = (("M00100", "G3"), ("M00200", "G1"))
DEVICE_RULES = (("冠脉支架", "stent"), ("关节假体", "no_such_set"))
EQUIPMENT = ("CT", "MRI-3T")
OPERATIONS = ("36.0700", "88.3800")

MED_TYPES = ("11", "21", "13", "14", "22", "24", "41", "51", "52", "99")
INPATIENT = frozenset(("21", "22", "24", "52"))
TIMES = (dt.time(9, 0), dt.time(0, 0), dt.time(23, 59, 59), dt.time(14, 30), dt.time(9, 0, 1))
PRICES = (12.5, 80.0, 0.01, 3.335, 120.35, 45.0, 0.5)
COUNTS = (1.0, 2.0, 3.0, 0.5, 10.0, 1.5)

_STR_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("person", "gend"): ("1", "2", "0", "9"),
    ("person", "insutype"): ("310", "390", "510"),
    ("person", "insu_admdvs"): ("640104", "640502"),
    ("visit", "med_type"): MED_TYPES,
    ("visit", "dise_codg"): DISEASES,
    ("visit", "dscg_way"): ("1", "2", "5", "9"),
    ("visit", "days_rinp_flag_31"): ("1", "0"),
    ("diagnosis", "diag_code"): DIAG_CODES,
    ("diagnosis", "maindiag_flag"): ("1", "0"),
    ("operation", "oprn_oprt_code"): OPERATIONS,
    ("settlement", "vali_flag"): ("1", "0"),
    ("fee", "list_type"): ("101", "102", "201", "301"),
    ("fee", "med_chrgitm_type"): ("09", "10", "11", "01", "03", "05", "07", "08", "14"),
    ("fee", "dscg_tkdrug_flag"): ("0", "1"),
    ("fee", "rxno"): ("RX1", "RX2"),
    ("fee", "vali_flag"): ("1", "0"),
    ("institution", "fixmedins_name"): tuple(name for _, name in INSTITUTIONS),
    ("institution", "fixmedins_type"): ("1", "2"),
    ("institution", "hosp_lv"): ("01", "04", "05", "07", "08", "10", "11"),
    ("institution", "admdvs"): ("640104", "640502"),
    ("institution_agreement", "agre_stas"): ("1", "2", "3"),
    ("equipment_licence", "equipment_class"): EQUIPMENT,
    ("practitioner", "dr_name"): tuple(name for _, name in DOCTORS),
    ("practitioner", "pract_stas"): ("1", "2"),
    ("drug", "drug_name"): tuple(d[1] for d in DRUGS),
    ("drug", "generic_id"): tuple(dict.fromkeys(d[2] for d in DRUGS)),
    ("drug", "route"): ("oral", "injection", "external", "other"),
    ("drug", "sex_limit"): ("1", "2"),
    ("drug", "med_type_scope"): ("inpatient", "outpatient"),
    ("drug", "insutype_only"): ("work_injury", "maternity"),
    ("drug", "line_role"): ("first", "second"),
    ("drug", "line_group"): ("LG1", "LG2"),
    ("drug", "herb_rule"): ("never", "not_single"),
    ("service", "item_name"): tuple(s[1] for s in SERVICES),
    ("service", "sex_limit"): ("1", "2"),
    ("service", "per_day_group"): ("bed", "nursing", "consult"),
    ("service", "equipment_class"): EQUIPMENT,
    ("service", "exam_group"): ("CT-头颅", "MRI-腰椎"),
    ("material", "material_name"): tuple(m[1] for m in MATERIALS),
    ("material", "device_class"): ("冠脉支架", "关节假体"),
    ("item_pair", "period"): ("day", "visit"),
    ("code_set", "code_from"): tuple(dict.fromkeys(c[1] for c in CODE_SETS)),
    ("code_set", "code_to"): tuple(dict.fromkeys(c[2] for c in CODE_SETS)),
    ("pathway", "icd3"): tuple(p[0] for p in PATHWAYS),
    ("icd10", "icd3"): tuple(c for c, _ in ICD10),
    ("icd10", "title"): tuple(t for _, t in ICD10),
    ("device_rule", "device_class"): tuple(d for d, _ in DEVICE_RULES),
}
_DOMAIN_VALUES: dict[str, tuple[str, ...]] = {
    "psn_no": ("P1", "P2", "P3"),
    "mdtrt_id": ("V1", "V2", "V3"),
    "setl_id": ("S1", "S2"),
    "feedetl_sn": ("F1", "F2", "F10"),
    "fixmedins_code": (*(c for c, _ in INSTITUTIONS), UNKNOWN_INSTITUTION),
    "med_list_codg": (*(d[0] for d in DRUGS), *(s[0] for s in SERVICES),
                      *(m[0] for m in MATERIALS), *UNKNOWN_CODES),
    "dr_codg": (*(d for d, _ in DOCTORS), "D9"),
    "set_id": SET_IDS,
    "dise_codg": DISEASES,
    "generic_id": tuple(dict.fromkeys(d[2] for d in DRUGS)),
}
_COLUMN_DOMAIN = {
    "medins_list_codg": "med_list_codg", "code_a": "med_list_codg", "code_b": "med_list_codg",
    "component_code": "med_list_codg", "bilg_dr_codg": "dr_codg", "atddr_no": "dr_codg",
    "indication_set": "set_id", "required_set": "set_id",
}


def column_values(table: str, column: str) -> tuple[str, ...]:
    """Text values that occur in ``table.column`` of generated data (for literals in rules).

    Example:
        >>> column_values("visit", "med_type")[:3], column_values("fee", "psn_no")
        (('11', '21', '13'), ('P1', 'P2', 'P3'))
        >>> column_values("package", "package_code")
        ('PK01', 'PK02')
    """
    if (table, column) in _STR_VALUES:
        return _STR_VALUES[(table, column)]
    if column == "package_code":
        return tuple(dict.fromkeys(p[0] for p in PACKAGES))
    return _DOMAIN_VALUES.get(_COLUMN_DOMAIN.get(column, column), ("1", "A"))


NULLED_COLUMNS: dict[str, tuple[str, ...]] = {
    "person": ("gend", "brdy", "insutype", "insu_end_date", "die_date"),
    "visit": ("psn_no", "fixmedins_code", "med_type", "begntime", "endtime", "dise_codg",
              "dscg_way", "days_rinp_flag_31", "atddr_no"),
    "diagnosis": ("diag_code", "maindiag_flag"),
    "operation": ("oprn_oprt_date",),
    "settlement": ("psn_no", "setl_time", "medfee_sumamt", "hifp_pay", "fund_pay_sumamt",
                   "vali_flag"),
    "fee": ("setl_id", "psn_no", "fee_ocur_time", "med_list_codg", "cnt", "pric",
            "det_item_fee_sumamt", "bilg_dr_codg", "prd_days", "dscg_tkdrug_flag", "rxno",
            "vali_flag"),
    "institution": ("hosp_lv", "fixmedins_type"),
    "institution_agreement": ("enddate", "agre_stas"),
    "equipment_licence": ("enddate",),
    "practitioner": ("stas_enddate",),
    "opsp_reg": ("enddate",),
    "code_set": ("code_to",),
    "drug": ("generic_id",),
    "service": ("item_name",),
}
"""Columns that receive nulls at rate ``null_share`` (contract-nullable ones and
non-null ones the loader accepts as null).  Keys and foreign ids that navigation
depends on (``feedetl_sn``, ``mdtrt_id`` …) are never null."""


# ---------------------------------------------------------------- drawing --
@functools.cache
def _bits_strategy(n_bits: int) -> st.SearchStrategy[int]:
    # fixed-size binary: uniform bits (wide st.integers are drawn mostly small), shrinks to 0
    size = (n_bits + 7) // 8
    return st.binary(min_size=size, max_size=size).map(lambda raw: int.from_bytes(raw, "little"))


class _Bits:
    """Choices read from one drawn integer, low bits first.

    Hypothesis draws cost tens of microseconds each, so a whole row (or a
    visit with its lines) is one draw of a wide integer and every choice
    takes a few of its bits.  A zero field is the plain choice (the first
    pool entry, ``False``, not null), so shrinking the integer towards zero
    simplifies the row; when the bits run out every further choice is plain.
    """

    def __init__(self, value: int, null_share: float) -> None:
        self.value = value
        self.null_share = null_share

    def take(self, n_bits: int) -> int:
        out = self.value & ((1 << n_bits) - 1)
        self.value >>= n_bits
        return out

    def int(self, low: int, high: int) -> int:
        span = high - low + 1
        return low if span <= 1 else low + self.take((span - 1).bit_length()) % span

    def pick(self, pool: Sequence[T]) -> T:
        return pool[self.int(0, len(pool) - 1)]

    def chance(self, p: float) -> bool:
        """True with probability ``p`` (in 1/128 steps); the zero field is False."""
        return p > 0 and self.take(7) >= 128 - max(1, round(p * 128))

    def null(self, table: str, column: str, value: Any) -> Any:
        """``value``, or null at rate ``null_share`` when the column may be null."""
        if column in NULLED_COLUMNS.get(table, ()) and self.chance(self.null_share):
            return None
        return value


def _draw_bits(draw: Callable[[st.SearchStrategy[Any]], Any], n_bits: int,
               null_share: float) -> _Bits:
    return _Bits(draw(_bits_strategy(n_bits)), null_share)


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    columns = [c.name for c in SCHEMA.tables[name].columns]
    return make_table(name, {c: [r.get(c) for r in rows] for c in columns})


def _shift(day: dt.date, years: int) -> dt.date:
    """``day`` moved by whole years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _boundary_offsets(start: dt.date, days: int) -> list[int]:
    """Day offsets of the first day, month starts and ends, and the last day of the window."""
    out = [0]
    for k in range(1, days):
        day = start + dt.timedelta(days=k)
        if day.day == 1:
            out += [k - 1, k]
    out.append(days - 1)
    return list(dict.fromkeys(o for o in out if 0 <= o < days))


# ------------------------------------------------------- knowledge bases --
@st.composite
def knowledge_bases(
    draw: Callable[[st.SearchStrategy[Any]], Any],
    null_share: float = 0.1,
    start: dt.date = START,
    persons: Sequence[str] = ("P1", "P2", "P3"),
) -> dict[str, pa.Table]:
    """A knowledge base: every table of contract §3, over the module's code pools.

    Args:
        null_share: Share of nulls in the columns of :data:`NULLED_COLUMNS`.
        start: First day of the claims window (agreements and licences start
            and end around it).
        persons: ``psn_no`` values that may have ``opsp_reg`` rows.
    """

    def bits(n_bits: int = 512) -> _Bits:
        return _draw_bits(draw, n_bits, null_share)

    dates = (dt.date(2024, 1, 1), start + dt.timedelta(days=10), start + dt.timedelta(days=31),
             dt.date(2099, 12, 31))

    def opt(b: _Bits, pool: Sequence[Any], p_none: float = 0.5) -> Any:
        return None if b.chance(p_none) else b.pick(pool)

    b = bits()
    institution = [
        {"fixmedins_code": code, "fixmedins_name": name,
         "fixmedins_type": b.null("institution", "fixmedins_type", b.pick(("1", "2"))),
         "hosp_lv": b.null("institution", "hosp_lv",
                           b.pick(_STR_VALUES[("institution", "hosp_lv")])),
         "admdvs": b.pick(("640104", "640502"))}
        for code, name in INSTITUTIONS
    ]
    b = bits()
    agreement = []
    for code, _ in INSTITUTIONS:
        for k in range(b.pick((1, 0, 2, 1))):
            agreement.append({
                "fixmedins_code": code,
                "begndate": b.pick(dates[:2]) if k == 0 else dates[1] + dt.timedelta(days=1),
                "enddate": b.null("institution_agreement", "enddate", b.pick(dates[:1:-1])),
                "agre_stas": b.null("institution_agreement", "agre_stas", b.pick(("1", "2", "3"))),
            })
    b = bits()
    licence = [
        {"fixmedins_code": b.pick(INSTITUTIONS)[0], "equipment_class": b.pick(EQUIPMENT),
         "begndate": b.pick(dates[:2]),
         "enddate": b.null("equipment_licence", "enddate", b.pick(dates[:1:-1]))}
        for _ in range(b.int(0, 3))
    ]
    b = bits()
    practitioner = [
        {"dr_codg": code, "dr_name": name, "pract_stas": b.pick(("1", "2")),
         "stas_begndate": b.pick(dates[:2]),
         "stas_enddate": b.null("practitioner", "stas_enddate", b.pick(dates[:1:-1]))}
        for code, name in DOCTORS
    ]
    b = bits()
    opsp_reg = [
        {"psn_no": b.pick(persons), "dise_codg": b.pick(DISEASES), "begndate": b.pick(dates[:2]),
         "enddate": b.null("opsp_reg", "enddate", b.pick(dates[:1:-1]))}
        for _ in range(b.int(0, 2))
    ]
    b = bits(1024)
    drug = []
    for code, name, generic, list_type in DRUGS:
        if b.chance(0.1):
            continue
        drug.append({
            "med_list_codg": code, "drug_name": name,
            "generic_id": b.null("drug", "generic_id", generic),
            "route": b.pick(("oral", "injection", "external", "other")),
            "sex_limit": opt(b, ("1", "2"), 0.7), "child_only": b.chance(0.3),
            "min_hosp_rank": opt(b, (1, 2, 3)),
            "med_type_scope": opt(b, ("inpatient", "outpatient")),
            "insutype_only": opt(b, ("work_injury", "maternity"), 0.7),
            "course_max_days": opt(b, (3, 7)), "line_role": opt(b, ("first", "second")),
            "line_group": opt(b, ("LG1", "LG2")), "indication_set": opt(b, SET_IDS),
            "herb_rule": opt(b, ("never", "not_single")) if list_type == "102" else None,
            "watch": b.chance(0.3),
        })
    b = bits(1024)
    service = []
    for code, name in SERVICES:
        if b.chance(0.1):
            continue
        service.append({
            "med_list_codg": code, "item_name": b.null("service", "item_name", name),
            "sex_limit": opt(b, ("1", "2"), 0.6), "min_age": opt(b, (0, 18, 60), 0.6),
            "max_age": opt(b, (14, 65, 120), 0.6), "max_per_day": opt(b, (1.0, 2.0, 0.5)),
            "period_days": opt(b, (7, 30)), "period_max": opt(b, (1.0, 3.0)),
            "per_day_group": opt(b, ("bed", "nursing", "consult")),
            "price_cap_1": opt(b, (50.0, 80.0, 3.33)), "price_cap_2": opt(b, (60.0, 100.0)),
            "price_cap_3": opt(b, (80.0, 120.0)), "indication_set": opt(b, SET_IDS),
            "equipment_class": opt(b, EQUIPMENT), "exam_group": opt(b, ("CT-头颅", "MRI-腰椎")),
            "is_surgery": b.chance(0.3), "course_max_days": opt(b, (5, 14)),
        })
    b = bits()
    material = [
        {"med_list_codg": code, "material_name": name, "device_class": device,
         "watch": b.chance(0.3)}
        for code, name, device in MATERIALS
        if not b.chance(0.1)
    ]

    def some(table: str, rows: Sequence[tuple[Any, ...]]) -> pa.Table:
        b = bits()
        names = [c.name for c in SCHEMA.tables[table].columns]
        kept = [dict(zip(names, row, strict=True)) for row in rows if not b.chance(0.15)]
        for row in kept:
            for column in names:
                row[column] = b.null(table, column, row[column])
        return _table(table, kept)

    return {
        "institution": _table("institution", institution),
        "institution_agreement": _table("institution_agreement", agreement),
        "equipment_licence": _table("equipment_licence", licence),
        "practitioner": _table("practitioner", practitioner),
        "opsp_reg": _table("opsp_reg", opsp_reg),
        "drug": _table("drug", drug),
        "service": _table("service", service),
        "material": _table("material", material),
        "item_pair": some("item_pair", ITEM_PAIRS),
        "package": some("package", PACKAGES),
        "code_set": some("code_set", CODE_SETS),
        "pathway": some("pathway", PATHWAYS),
        "device_rule": some("device_rule", DEVICE_RULES),
        "opsp_scope": some("opsp_scope", OPSP_SCOPE),
        "icd10": some("icd10", ICD10),
    }


# ---------------------------------------------------------------- claims --
def _items() -> list[tuple[str, str, str]]:
    """Billable items ``(med_list_codg, list_type, med_chrgitm_type)``."""
    out = [(code, "201", "05") for code, _ in SERVICES]
    out += [(code, lt, "09" if lt == "101" else "10") for code, _, _, lt in DRUGS]
    out += [(code, "301", "08") for code, _, _ in MATERIALS]
    out += [(code, "201", "14") for code in UNKNOWN_CODES]
    return out


_ITEMS = _items()
PERSONS = st.integers(1, 6)
"""Default number of persons of a batch."""
VISITS_PER_PERSON = st.integers(0, 3)
"""Default number of visits of a person."""
LINES_PER_VISIT = st.integers(0, 5)
"""Default number of fee lines of a visit."""
_VISIT_BITS = 512
_LINE_BITS = 160


class _Batch:
    """The rows of one claim batch while it is being drawn."""

    def __init__(self, id_prefix: str, start: dt.date, days: int, shares: dict[str, float]
                 ) -> None:
        self.prefix = id_prefix
        self.start = start
        self.days = days
        self.shares = shares
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in CLAIM_TABLE_NAMES}
        self.counters = {"V": 0, "S": 0, "F": 0}
        self.offsets = _boundary_offsets(start, days)
        self.births = (
            dt.date(1980, 1, 1), dt.date(2000, 2, 29), dt.date(2016, 2, 29),
            start - dt.timedelta(days=10), _shift(start + dt.timedelta(days=15), -18),
            _shift(start + dt.timedelta(days=days - 1), -60),
            _shift(start + dt.timedelta(days=30), -6),
        )

    def new_id(self, kind: str) -> str:
        self.counters[kind] += 1
        return f"{self.prefix}{kind}{self.counters[kind]}"

    def person(self, b: _Bits, psn: str) -> None:
        if b.chance(self.shares["orphan"]):
            return
        start = self.start
        self.rows["person"].append({
            "psn_no": psn,
            "gend": b.null("person", "gend", b.pick(("1", "2", "0", "9"))),
            "brdy": b.null("person", "brdy", b.pick(self.births)),
            "insutype": b.null("person", "insutype", b.pick(("310", "390", "510"))),
            "insu_admdvs": b.pick(("640104", "640502")),
            "insu_begn_date": b.pick((dt.date(2000, 1, 1), start + dt.timedelta(days=10))),
            "insu_end_date": start + dt.timedelta(days=30) if b.chance(0.2) else None,
            "die_date": start + dt.timedelta(days=20) if b.chance(0.1) else None,
        })

    def visit(self, b: _Bits, psn: str, previous: dt.datetime | None, lines: Sequence[_Bits]
              ) -> dt.datetime:
        start, shares = self.start, self.shares
        mdtrt_id = self.new_id("V")
        if previous is not None and b.chance(0.2):
            day, time = previous.date(), b.pick((previous.time(), *TIMES))
        else:
            offset = b.pick(self.offsets) if b.chance(0.3) else b.int(0, self.days - 1)
            day, time = start + dt.timedelta(days=offset), b.pick(TIMES)
        begin = dt.datetime.combine(day, time)
        med_type = b.pick(MED_TYPES)
        stay = b.int(0, 7) if med_type in INPATIENT else 0
        end = max(begin, dt.datetime.combine(day + dt.timedelta(days=stay),
                                             b.pick((dt.time(23, 59, 59), *TIMES))))
        institution = b.null("visit", "fixmedins_code",
                             b.pick((*(c for c, _ in INSTITUTIONS), UNKNOWN_INSTITUTION)))
        visit = {
            "mdtrt_id": mdtrt_id,
            "psn_no": b.null("visit", "psn_no", psn),
            "fixmedins_code": institution,
            "med_type": b.null("visit", "med_type", med_type),
            "begntime": b.null("visit", "begntime", begin),
            "endtime": b.null("visit", "endtime", end),
            "dise_codg": b.pick(DISEASES) if med_type == "14" and not b.chance(0.2) else None,
            "dscg_way": b.null("visit", "dscg_way", b.pick(("1", "2", "5", "9"))),
            "days_rinp_flag_31": b.null("visit", "days_rinp_flag_31", b.pick(("0", "1"))),
            "atddr_no": b.null("visit", "atddr_no", b.pick(DOCTORS)[0]),
        }
        if not b.chance(shares["orphan"]):
            self.rows["visit"].append(visit)
        for k in range(b.pick((1, 0, 2, 3))):
            self.rows["diagnosis"].append({
                "mdtrt_id": mdtrt_id, "diag_srt_no": k + 1,
                "diag_code": b.null("diagnosis", "diag_code", b.pick(DIAG_CODES)),
                "maindiag_flag": b.null("diagnosis", "maindiag_flag",
                                        "1" if (k == 0) != b.chance(0.1) else "0"),
            })
        if b.chance(0.2):
            for code in OPERATIONS[: b.int(1, 2)]:
                self.rows["operation"].append({
                    "mdtrt_id": mdtrt_id, "oprn_oprt_code": code,
                    "oprn_oprt_date": b.null("operation", "oprn_oprt_date", begin)})
        settlements = [self.settlement(b, mdtrt_id, psn, institution, end)
                       for _ in range(b.pick((1, 0, 2, 1)))]
        charges: list[dict[str, Any]] = []
        for line_bits in lines:
            self.line(line_bits, mdtrt_id, psn, day, stay, settlements, charges)
        return begin

    def settlement(self, b: _Bits, mdtrt_id: str, psn: str, institution: str | None,
                   end: dt.datetime) -> str:
        setl_id = self.new_id("S")
        total = b.pick((100.0, 0.0, 2500.5, 33.33))
        flag = "0" if b.chance(self.shares["cancelled"]) else b.pick(("1", "1", "1", "9"))
        self.rows["settlement"].append({
            "setl_id": setl_id, "mdtrt_id": mdtrt_id,
            "psn_no": b.null("settlement", "psn_no", psn),
            "fixmedins_code": institution,
            "setl_time": b.null("settlement", "setl_time",
                                end + dt.timedelta(minutes=b.pick((0, 1, 59)))),
            "medfee_sumamt": b.null("settlement", "medfee_sumamt", total),
            "hifp_pay": b.null("settlement", "hifp_pay", round(total * 0.6, 2)),
            "fund_pay_sumamt": b.null("settlement", "fund_pay_sumamt", round(total * 0.7, 2)),
            "acct_pay": b.pick((0.0, 10.0)),
            "psn_cash_pay": round(total * 0.3, 2),
            "vali_flag": b.null("settlement", "vali_flag", flag),
        })
        return setl_id

    def line(self, b: _Bits, mdtrt_id: str, psn: str, day: dt.date, stay: int,
             settlements: list[str], charges: list[dict[str, Any]]) -> None:
        moment = dt.datetime.combine(day + dt.timedelta(days=b.int(0, stay)), b.pick(TIMES))
        refund_of = b.pick(charges) if charges and b.chance(self.shares["refund"]) else None
        if refund_of is not None:
            code, list_type, chrg = (refund_of["med_list_codg"], refund_of["list_type"],
                                     refund_of["med_chrgitm_type"])
            price = refund_of["pric"]
            count = -refund_of["cnt"] if b.chance(0.7) else -1.0
            moment = max(moment, refund_of["fee_ocur_time"] or moment)
        else:
            code, list_type, chrg = b.pick(_ITEMS)
            price, count = b.pick(PRICES), b.pick(COUNTS)
        amount = round(count * price, 2) if price is not None else None
        if amount is not None and b.chance(0.05):
            amount = round(amount + 0.01, 2)  # billed amount differs from cnt × pric
        fee = {
            "feedetl_sn": self.new_id("F"), "mdtrt_id": mdtrt_id,
            "setl_id": b.null("fee", "setl_id", b.pick(settlements) if settlements else None),
            "psn_no": b.null("fee", "psn_no", psn),
            "fee_ocur_time": b.null("fee", "fee_ocur_time", moment),
            "med_list_codg": b.null("fee", "med_list_codg", code),
            "medins_list_codg": code, "list_type": list_type, "med_chrgitm_type": chrg,
            "cnt": b.null("fee", "cnt", count), "pric": b.null("fee", "pric", price),
            "det_item_fee_sumamt": b.null("fee", "det_item_fee_sumamt", amount),
            "bilg_dr_codg": b.null("fee", "bilg_dr_codg", b.pick((*(c for c, _ in DOCTORS), "D9"))),
            "prd_days": b.null("fee", "prd_days", b.pick((7.0, 30.0, 3.0))),
            "dscg_tkdrug_flag": b.null("fee", "dscg_tkdrug_flag", b.pick(("0", "1"))),
            "rxno": b.null("fee", "rxno", b.pick(("RX1", "RX2"))),
            "vali_flag": b.null("fee", "vali_flag",
                                "0" if b.chance(self.shares["cancelled"]) else "1"),
        }
        self.rows["fee"].append(fee)
        if refund_of is None and fee["cnt"] is not None:
            charges.append(fee)

    def tables(self) -> dict[str, pa.Table]:
        return {name: _table(name, rows) for name, rows in self.rows.items()}


@st.composite
def claim_batches(
    draw: Callable[[st.SearchStrategy[Any]], Any],
    persons: st.SearchStrategy[int] = PERSONS,
    visits_per_person: st.SearchStrategy[int] = VISITS_PER_PERSON,
    lines_per_visit: st.SearchStrategy[int] = LINES_PER_VISIT,
    null_share: float = 0.1,
    refund_share: float = 0.1,
    cancelled_share: float = 0.05,
    orphan_share: float = 0.05,
    start: dt.date = START,
    days: int = 60,
    kb: st.SearchStrategy[dict[str, pa.Table]] | Mapping[str, pa.Table] | None = None,
    id_prefix: str = "",
) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    """A claim batch and a knowledge base ``(claims, kb)``.

    Args:
        persons: Number of persons (default 1–6).
        visits_per_person: Visits of each person (default 0–3).
        lines_per_visit: Fee lines of each visit (default 0–5).
        null_share: Share of nulls in the columns of :data:`NULLED_COLUMNS`.
        refund_share: Share of fee lines that refund an earlier line of their visit.
        cancelled_share: Share of settlements and fee lines with ``vali_flag = '0'``.
        orphan_share: Share of visit and person rows left out although other
            rows refer to them.
        start: First day of the window in which visits begin.
        days: Length of the window.
        kb: The knowledge base: a strategy, fixed tables, or ``None`` for
            :func:`knowledge_bases` with the same ``null_share``.
        id_prefix: Prefix of every generated id (``psn_no``, ``mdtrt_id``,
            ``setl_id``, ``feedetl_sn``).

    Returns:
        ``(claims, kb)``: the six claim tables and the fifteen knowledge-base tables.
    """
    psn_ids = [f"{id_prefix}P{i + 1}" for i in range(draw(persons))]
    if kb is None:
        kb_tables = draw(knowledge_bases(null_share=null_share, start=start, persons=psn_ids))
    elif isinstance(kb, st.SearchStrategy):
        kb_tables = draw(kb)
    else:
        kb_tables = dict(kb)
    shares = {"refund": refund_share, "cancelled": cancelled_share, "orphan": orphan_share}
    batch = _Batch(id_prefix, start, days, shares)
    for psn in psn_ids:
        batch.person(_draw_bits(draw, 64, null_share), psn)
        previous = None
        for _ in range(draw(visits_per_person)):
            n_lines = draw(lines_per_visit)
            b = _draw_bits(draw, _VISIT_BITS, null_share)
            lines = [_draw_bits(draw, _LINE_BITS, null_share) for _ in range(n_lines)]
            previous = batch.visit(b, psn, previous, lines)
    return batch.tables(), kb_tables


# -------------------------------------------------------------- utilities --
def person_of_rows(claims: Mapping[str, pa.Table]) -> dict[str, list[str | None]]:
    """The person each claim row belongs to (``None``: nobody), table by table.

    A visit's person is its ``psn_no`` or, when that is null or the visit row
    is missing, the first non-null ``psn_no`` of the visit's fee lines and
    settlements.  Visits, fee lines, settlements, diagnoses and operations
    belong to their visit's person (a row of a visit without one: to its own
    ``psn_no``); a person row to itself.  Splitting a batch by these owners
    keeps every visit with its lines, settlements and diagnoses.

    Example:
        >>> from ruledsl.data.build import make_table
        >>> person_of_rows({"visit": make_table("visit", {"mdtrt_id": ["V1"]}),
        ...                 "fee": make_table("fee", {"mdtrt_id": ["V1"], "psn_no": ["P1"]})})
        {'visit': ['P1'], 'fee': ['P1']}
    """
    visit_owner: dict[str, str | None] = {}
    visits = claims.get("visit")
    if visits is not None:
        for mdtrt_id, psn in zip(visits["mdtrt_id"].to_pylist(), visits["psn_no"].to_pylist(),
                                 strict=True):
            visit_owner[mdtrt_id] = psn
    for name in ("fee", "settlement"):
        table = claims.get(name)
        if table is None:
            continue
        for mdtrt_id, psn in zip(table["mdtrt_id"].to_pylist(), table["psn_no"].to_pylist(),
                                 strict=True):
            if visit_owner.get(mdtrt_id) is None and psn is not None:
                visit_owner[mdtrt_id] = psn
    out: dict[str, list[str | None]] = {}
    for name, table in claims.items():
        if name == "person":
            out[name] = table["psn_no"].to_pylist()
        else:
            own = (table["psn_no"].to_pylist() if "psn_no" in table.column_names
                   else [None] * table.num_rows)
            out[name] = [visit_owner.get(v, p) for v, p in
                         zip(table["mdtrt_id"].to_pylist(), own, strict=True)]
    return out


def _literal(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return f"dt.datetime({value.year}, {value.month}, {value.day}, {value.hour}, " \
               f"{value.minute}, {value.second})"
    if isinstance(value, dt.date):
        return f"dt.date({value.year}, {value.month}, {value.day})"
    return repr(value)


def python_source(tables: Mapping[str, pa.Table], name: str = "tables") -> str:
    """Python source that rebuilds ``tables`` with :func:`~ruledsl.data.build.make_table`.

    Columns that are entirely null are left out (``make_table`` fills them).

    Example:
        >>> print(python_source({"icd10": make_table("icd10", {"icd3": ["A00"], "title": ["霍乱"]})}))
        tables = {
            "icd10": make_table("icd10", {
                "icd3": ['A00'],
                "title": ['霍乱'],
            }),
        }
    """
    lines = [f"{name} = {{"]
    for table_name, table in tables.items():
        lines.append(f'    "{table_name}": make_table("{table_name}", {{')
        for column in table.column_names:
            values = table[column].to_pylist()
            if all(v is None for v in values):
                continue
            lines.append(f'        "{column}": [{", ".join(_literal(v) for v in values)}],')
        lines.append("    }),")
    lines.append("}")
    return "\n".join(lines)


def _register_profiles() -> None:
    settings.register_profile(
        "thorough",
        max_examples=int(os.environ.get("RULEDSL_THOROUGH_EXAMPLES", "2000")),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


_register_profiles()

