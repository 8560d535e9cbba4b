"""Rule examples (``示例``): completing their tables, running them, reporting.

An example lists only the rows and columns that matter; rules-46 §0.9 says
"everything else is valid and consistent".  :func:`complete_example` turns an
example into a full claim batch and knowledge base by these rules (they are
part of the language reference):

**Fee lines** (``明细``), for each column not written:
``feedetl_sn`` ``F-<n>`` (n = position among the example's fee rows),
``mdtrt_id`` ``V1``, ``psn_no`` the visit's person,
``fee_ocur_time`` 2025-03-01 09:00:00, ``medins_list_codg`` = ``med_list_codg``,
``list_type`` ``201``, ``med_chrgitm_type`` ``14``, ``cnt`` 1,
``pric`` = ``det_item_fee_sumamt / cnt`` when the amount is written (null when
``cnt`` is 0 or null), else 0.0, and ``det_item_fee_sumamt`` = ``cnt × pric``,
``dscg_tkdrug_flag`` ``0``, ``vali_flag`` ``1``, ``setl_id`` the id of the
visit's first settlement row; ``bilg_dr_codg``, ``prd_days``, ``rxno`` null.

**Visits** (``就诊``): every visit named by a fee, settlement, diagnosis or
operation row that has no row gets one.  Defaults: ``psn_no`` the first
``psn_no`` written on one of its fee rows (else on one of its settlement
rows, else ``P1``); ``fixmedins_code`` the first one written on one of its
settlement rows, else ``H1``; ``med_type`` ``11``; ``begntime`` the earliest
fee time of its lines (else ``endtime`` when written, else 2025-03-01
08:00:00); ``endtime`` the latest of its fee times and ``begntime``;
``dise_codg``, ``dscg_way``, ``days_rinp_flag_31``, ``atddr_no`` null.

**Settlements** (``结算``): every visit with no settlement row gets one valid
settlement.  Defaults (also for written rows): ``setl_id`` ``S-<mdtrt_id>``,
``mdtrt_id`` ``V1``, ``psn_no`` and ``fixmedins_code`` the visit's,
``setl_time`` the visit's ``endtime``, ``medfee_sumamt`` Σ the amounts of
the visit's fee lines (those with ``vali_flag`` other than ``0``),
``hifp_pay`` = ``fund_pay_sumamt`` = ``acct_pay`` = ``psn_cash_pay`` = 0.0,
``vali_flag`` ``1``.

**Diagnoses**: ``mdtrt_id`` ``V1``, ``diag_srt_no`` the row's position among
the example's diagnoses of that visit (1, 2, …), ``maindiag_flag`` ``1`` when
``diag_srt_no`` is 1 else ``0``, ``diag_code`` null.  **Operations**:
``mdtrt_id`` ``V1``, ``oprn_oprt_date`` the visit's ``begntime``.

**Persons** (``参保人``): every ``psn_no`` of a visit, fee or settlement without
a row gets one.  Defaults: ``gend`` ``9``, ``brdy`` 1980-01-01, ``insutype``
``310``, ``insu_admdvs`` ``640104``, ``insu_begn_date`` 2000-01-01,
``insu_end_date`` and ``die_date`` null.

**Institutions** (``机构``): every ``fixmedins_code`` of a visit or settlement
without a row gets one.  Defaults: ``fixmedins_name`` the code,
``fixmedins_type`` ``1``, ``hosp_lv`` ``01`` (rank 3), ``admdvs`` ``640104``
(city 6401).  Every institution without an ``institution_agreement`` row gets
one (1900-01-01 … 2099-12-31, ``agre_stas`` ``1``); written agreement rows
take the same defaults.  (So an example cannot show an institution with no
agreement at all: write an agreement that does not cover the date instead.)

**Other knowledge-base tables** hold exactly the rows written; an unwritten
column is null, or false for a ``bool`` column.

:func:`run_examples` runs each example of each rule through an engine (the
reference interpreter by default; ``"vector"`` the compiled plan; ``"both"``
both, which must then also agree with each other) with the parameter values the
rule declares (a regional overlay's overrides do not apply to the base rule's
examples), overridden by the example's parameters
(``参数(…)``, qualified as ``<rule id>.<name>``) over the rulebook's values,
keeps the firings of that rule only, and compares them with ``预期``: as many
firings as expected, each expected firing matching a distinct actual one on
the columns it lists (``vola_amt`` at 0.01, ``lines`` as sorted lists).

Example:
    >>> from ruledsl.rulebook import load_text
    >>> book = load_text('''规则 R-1 "数量过多" { 类别 药品类 结果类型 可疑 环节 事后 层级 明细
    ...     对每条 明细 x 当 x.数量 > 2 违规金额 x.金额
    ...     示例 触发 { 明细(feedetl_sn="F1", cnt=3, 金额=30) 预期(feedetl_sn="F1", vola_amt=30) }
    ...     示例 未触发 { 明细(feedetl_sn="F1", cnt=2) 预期 无 } }''')
    >>> [(r.example, r.passed) for r in run_examples(book)]
    [('触发', True), ('未触发', True)]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import pyarrow as pa

from ..check.model import CheckedRule, ExampleCase
from ..diagnostics.render import display_width
from ..execute.interpret import interpret
from ..execute.scalar import r2
from ..rulebook import Rulebook
from ..schema.arrow import arrow_schema
from ..schema.contract import CLAIMS_TABLES, KB_TABLES, OUTPUT_COLUMNS
from ..types import BOOL

__all__ = [
    "ENGINES",
    "Engine",
    "EngineRun",
    "ExampleResult",
    "complete_example",
    "firing_matches",
    "run_example",
    "run_examples",
]

Engine = Callable[
    [dict[str, pa.Table], dict[str, pa.Table], Rulebook, list[str], dict[str, Any]], pa.Table
]
"""``(claims, kb, rulebook, rule_ids, params) → violations table``."""

FEE_TIME = dt.datetime(2025, 3, 1, 9, 0, 0)
VISIT_TIME = dt.datetime(2025, 3, 1, 8, 0, 0)
AGREEMENT = (dt.date(1900, 1, 1), dt.date(2099, 12, 31))

_PERSON_DEFAULTS: dict[str, Any] = {
    "gend": "9", "brdy": dt.date(1980, 1, 1), "insutype": "310", "insu_admdvs": "640104",
    "insu_begn_date": dt.date(2000, 1, 1), "insu_end_date": None, "die_date": None,
}
_INSTITUTION_DEFAULTS: dict[str, Any] = {
    "fixmedins_type": "1", "hosp_lv": "01", "admdvs": "640104",
}


# ------------------------------------------------------------------ complete --
def _fee_money(fee: dict[str, Any]) -> None:
    cnt = fee["cnt"]
    if "det_item_fee_sumamt" in fee:
        if "pric" not in fee:
            amt = fee["det_item_fee_sumamt"]
            fee["pric"] = amt / cnt if (amt is not None and cnt) else None
        return
    fee.setdefault("pric", 0.0)
    pric = fee["pric"]
    fee["det_item_fee_sumamt"] = cnt * pric if (cnt is not None and pric is not None) else None


def _first(rows: Sequence[dict[str, Any]], column: str) -> Any:
    return next((r[column] for r in rows if r.get(column) is not None), None)


def complete_example(case: ExampleCase) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    """The full claim batch and knowledge base of an example (defaults: module docstring).

    Returns:
        ``(claims, kb)``: every contract table of each kind as an Arrow table
        with the contract schema (empty when the example has no rows for it).
    """
    rows = {t.name: [dict(r) for r in case.rows.get(t.name, ())] for t in CLAIMS_TABLES + KB_TABLES}
    fees, visits, settlements = rows["fee"], rows["visit"], rows["settlement"]

    # rows that name a visit
    for i, fee in enumerate(fees, 1):
        fee.setdefault("feedetl_sn", f"F-{i}")
        fee.setdefault("mdtrt_id", "V1")
        fee.setdefault("fee_ocur_time", FEE_TIME)
        fee.setdefault("medins_list_codg", fee.get("med_list_codg"))
        fee.setdefault("list_type", "201")
        fee.setdefault("med_chrgitm_type", "14")
        fee.setdefault("cnt", 1.0)
        _fee_money(fee)
        fee.setdefault("dscg_tkdrug_flag", "0")
        fee.setdefault("vali_flag", "1")
    for row in settlements + rows["diagnosis"] + rows["operation"]:
        row.setdefault("mdtrt_id", "V1")

    # visits: the written ones, then every visit named without a row
    written_fees = {id(f): f for f in fees}
    known = {v.get("mdtrt_id") for v in visits}
    for row in fees + settlements + rows["diagnosis"] + rows["operation"]:
        if row["mdtrt_id"] is not None and row["mdtrt_id"] not in known:
            known.add(row["mdtrt_id"])
            visits.append({"mdtrt_id": row["mdtrt_id"]})
    by_visit: dict[Any, dict[str, Any]] = {}
    for visit in visits:
        vid = visit.get("mdtrt_id")
        own_fees = [f for f in written_fees.values() if f["mdtrt_id"] == vid]
        own_setl = [s for s in settlements if s["mdtrt_id"] == vid]
        visit.setdefault("psn_no", _first(own_fees, "psn_no") or _first(own_setl, "psn_no") or "P1")
        visit.setdefault("fixmedins_code", _first(own_setl, "fixmedins_code") or "H1")
        visit.setdefault("med_type", "11")
        times = [f["fee_ocur_time"] for f in own_fees if f["fee_ocur_time"] is not None]
        if "begntime" not in visit:
            end = visit.get("endtime")
            visit["begntime"] = min(times) if times else (end if end is not None else VISIT_TIME)
        if "endtime" not in visit:
            begin = visit["begntime"]
            visit["endtime"] = max(times + ([begin] if begin is not None else []), default=None)
        by_visit.setdefault(vid, visit)

    def visit_of(row: dict[str, Any]) -> dict[str, Any]:
        return by_visit.get(row["mdtrt_id"], {})

    for fee in fees:
        fee.setdefault("psn_no", visit_of(fee).get("psn_no"))

    # settlements: written ones completed, one for every visit without any
    have_settlement = {s["mdtrt_id"] for s in settlements}
    for visit in visits:
        if visit.get("mdtrt_id") not in have_settlement:
            have_settlement.add(visit.get("mdtrt_id"))
            settlements.append({"mdtrt_id": visit.get("mdtrt_id")})
    for setl in settlements:
        visit = visit_of(setl)
        setl.setdefault("setl_id", f"S-{setl['mdtrt_id']}")
        setl.setdefault("psn_no", visit.get("psn_no"))
        setl.setdefault("fixmedins_code", visit.get("fixmedins_code"))
        setl.setdefault("setl_time", visit.get("endtime"))
        amounts = [
            f["det_item_fee_sumamt"] for f in fees
            if f["mdtrt_id"] == setl["mdtrt_id"] and f["vali_flag"] != "0"
            and f["det_item_fee_sumamt"] is not None
        ]
        setl.setdefault("medfee_sumamt", float(sum(amounts)))
        for column in ("hifp_pay", "fund_pay_sumamt", "acct_pay", "psn_cash_pay"):
            setl.setdefault(column, 0.0)
        setl.setdefault("vali_flag", "1")
    for fee in fees:
        if "setl_id" not in fee:
            fee["setl_id"] = next(
                (s["setl_id"] for s in settlements if s["mdtrt_id"] == fee["mdtrt_id"]), None
            )

    # diagnoses and operations
    position: dict[Any, int] = {}
    for diag in rows["diagnosis"]:
        position[diag["mdtrt_id"]] = position.get(diag["mdtrt_id"], 0) + 1
        diag.setdefault("diag_srt_no", position[diag["mdtrt_id"]])
        diag.setdefault("maindiag_flag", "1" if diag["diag_srt_no"] == 1 else "0")
    for op in rows["operation"]:
        op.setdefault("oprn_oprt_date", visit_of(op).get("begntime"))

    # persons
    persons = rows["person"]
    known = {p.get("psn_no") for p in persons}
    for row in visits + fees + settlements:
        if row["psn_no"] is not None and row["psn_no"] not in known:
            known.add(row["psn_no"])
            persons.append({"psn_no": row["psn_no"]})
    for person in persons:
        for column, value in _PERSON_DEFAULTS.items():
            person.setdefault(column, value)

    # institutions and their agreements
    institutions = rows["institution"]
    known = {i.get("fixmedins_code") for i in institutions}
    for row in visits + settlements:
        code = row["fixmedins_code"]
        if code is not None and code not in known:
            known.add(code)
            institutions.append({"fixmedins_code": code})
    for inst in institutions:
        inst.setdefault("fixmedins_name", inst.get("fixmedins_code"))
        for column, value in _INSTITUTION_DEFAULTS.items():
            inst.setdefault(column, value)
    agreements = rows["institution_agreement"]
    covered = {a.get("fixmedins_code") for a in agreements}
    for inst in institutions:
        if inst.get("fixmedins_code") not in covered:
            covered.add(inst.get("fixmedins_code"))
            agreements.append({"fixmedins_code": inst.get("fixmedins_code")})
    for agreement in agreements:
        agreement.setdefault("begndate", AGREEMENT[0])
        agreement.setdefault("enddate", AGREEMENT[1])
        agreement.setdefault("agre_stas", "1")

    def build(table: Any) -> pa.Table:
        table_rows = rows[table.name]
        for row in table_rows:
            for column in table.columns:
                row.setdefault(column.name, False if column.dtype == BOOL else None)
        return pa.Table.from_pylist(table_rows, schema=arrow_schema(table))

    claims = {t.name: build(t) for t in CLAIMS_TABLES}
    kb = {t.name: build(t) for t in KB_TABLES}
    return claims, kb


# ------------------------------------------------------------------- compare --
def firing_matches(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> bool:
    """Whether an actual firing has every value an expected one lists.

    ``vola_amt`` is compared at 0.01 (both rounded with r2); ``lines`` as
    sorted lists; every other column exactly.

    Example:
        >>> firing_matches({"vola_amt": 0.1 + 0.2, "lines": ("F2", "F1")},
        ...                {"vola_amt": 0.3, "lines": ["F1", "F2"], "message": "m"})
        True
    """
    for column, want in expected.items():
        got = actual.get(column)
        if column == "vola_amt":
            if (want is None) != (got is None):
                return False
            if want is not None and abs(r2(want) - r2(got)) > 0.001:  # type: ignore[operator]
                return False
        elif column == "lines":
            if sorted(want or ()) != sorted(got or ()):
                return False
        elif want != got:
            return False
    return True


def _match(expected: Sequence[Mapping[str, Any]], actual: Sequence[Mapping[str, Any]]
           ) -> dict[int, int]:
    """A maximum matching expected index → actual index (augmenting paths)."""
    owner: dict[int, int] = {}

    def assign(e: int, seen: set[int]) -> bool:
        for a in range(len(actual)):
            if a in seen or not firing_matches(expected[e], actual[a]):
                continue
            seen.add(a)
            if a not in owner or assign(owner[a], seen):
                owner[a] = e
                return True
        return False

    for e in range(len(expected)):
        assign(e, set())
    return {e: a for a, e in owner.items()}


# -------------------------------------------------------------------- report --
_WORDS = {
    "zh": {"expected": "预期", "actual": "实际", "passed": "通过", "failed": "未通过",
           "error": "运行出错", "none": "（无）", "example": "示例", "ok": "✓", "bad": "✗",
           "disagree": "两种执行结果不一致"},
    "en": {"expected": "expected", "actual": "actual", "passed": "passed", "failed": "FAILED",
           "error": "error", "none": "(none)", "example": "example", "ok": "✓", "bad": "✗",
           "disagree": "the two engines disagree"},
}
_LABELS = {c.name: c.label for c in OUTPUT_COLUMNS}


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def _show(column: str, value: Any, lang: str = "zh") -> str:
    if value is None:
        return "null" if lang == "en" else "空"
    if column == "vola_amt":
        return f"{float(value) + 0.0:.2f}"
    if column == "lines":
        return "[" + ", ".join(sorted(value)) + "]"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@attrs.frozen
class EngineRun:
    """What one engine produced for one example."""

    engine: str
    passed: bool
    actual: tuple[dict[str, Any], ...]
    """The rule's actual firings (every violations column)."""
    error: str | None = None
    """The engine's error, when it failed to run."""


@attrs.frozen
class ExampleResult:
    """The outcome of one example of one rule, for one or two engines."""

    rule_id: str
    rule_name: str
    example: str | None
    """The example's name (``示例 名 …``)."""
    title: str | None
    expected: tuple[dict[str, Any], ...]
    runs: tuple[EngineRun, ...]
    agree: bool = True
    """With two engines: whether their firings are identical (every column)."""
    text: str = ""
    """:meth:`render` in the language :func:`run_examples` was asked for."""

    @property
    def passed(self) -> bool:
        """Every engine matched the expectation (and the engines agree)."""
        return self.agree and all(run.passed for run in self.runs)

    @property
    def ok(self) -> bool:
        """Same as :attr:`passed`."""
        return self.passed

    @property
    def actual(self) -> tuple[dict[str, Any], ...]:
        """The first engine's firings."""
        return self.runs[0].actual if self.runs else ()

    @property
    def error(self) -> str | None:
        """The first engine error, if any."""
        return next((run.error for run in self.runs if run.error is not None), None)

    def columns(self, actual: Sequence[Mapping[str, Any]]) -> list[str]:
        """The columns shown: those the expected firings list, else the set key columns."""
        shown = list(dict.fromkeys(c for firing in self.expected for c in firing))
        if shown:
            return shown
        used = [c for c in _KEYS if any(f.get(c) is not None for f in actual)]
        return used + ["vola_amt", "message"]

    def render(self, lang: str = "zh") -> str:
        """A report: one line when passed, else expected and actual side by side."""
        words = _WORDS["en" if lang == "en" else "zh"]
        name = " ".join(x for x in (words["example"], self.example,
                                    f"“{self.title}”" if self.title else None) if x)
        status = words["passed"] if self.passed else words["failed"]
        head = f"{self.rule_id} {self.rule_name} · {name}: {status}"
        if self.passed:
            return head
        out = [head]
        many = len(self.runs) > 1
        for run in self.runs:
            if run.passed:
                continue
            tag = f" [{run.engine}]" if many else ""
            if run.error is not None:
                out.append(f"  {words['error']}{tag}: {run.error}")
                continue
            left = (words["expected"], self.expected)
            right = (words["actual"] + tag, run.actual)
            out.extend(_side_by_side(left, right, self.columns(run.actual), lang,
                                     expected_side=True))
        if not self.agree and all(run.error is None for run in self.runs):
            a, b = self.runs[0], self.runs[1]
            out.append(f"  {words['disagree']}:")
            columns = _differing_columns(a.actual, b.actual)
            out.extend(_side_by_side((a.engine, a.actual), (b.engine, b.actual), columns, lang,
                                     expected_side=False))
        return "\n".join(out)


_KEYS = ("feedetl_sn", "mdtrt_id", "setl_id", "psn_no", "fixmedins_code", "dr_codg", "item_code",
         "period_start", "period_end")


def _differing_columns(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]) -> list[str]:
    keys = [c for c in _KEYS if any(f.get(c) is not None for f in (*a, *b))]
    rest = ["vola_amt", "message", "lines"]
    pairs = list(zip(a, b))
    differ = [c for c in rest if len(a) != len(b) or any(x.get(c) != y.get(c) for x, y in pairs)]
    return keys + (differ or rest)


def _side_by_side(left: tuple[str, Sequence[Mapping[str, Any]]],
                  right: tuple[str, Sequence[Mapping[str, Any]]],
                  columns: list[str], lang: str, expected_side: bool) -> list[str]:
    """Two lists of firings side by side; matched pairs first, marked ✓, the rest ✗."""
    words = _WORDS["en" if lang == "en" else "zh"]

    def label(column: str) -> str:
        return column if lang == "en" else _LABELS.get(column, column)

    def cell(firing: Mapping[str, Any] | None, listed_only: bool = False) -> str:
        if firing is None:
            return ""
        shown = [c for c in columns if c in firing or not listed_only]
        return "  ".join(f"{label(c)}={_show(c, firing.get(c), lang)}" for c in shown)

    (left_name, lefts), (right_name, rights) = left, right
    rows: list[tuple[str, str, str]] = []
    if expected_side:  # expected vs actual: matched pairs, then what is left on each side
        matching = _match(lefts, rights)
        for i, firing in enumerate(lefts):
            j = matching.get(i)
            rows.append((words["ok"] if j is not None else words["bad"], cell(firing, True),
                         cell(rights[j]) if j is not None else ""))
        used = set(matching.values())
        rows += [(words["bad"], "", cell(f)) for j, f in enumerate(rights) if j not in used]
    else:  # two engines: both sorted alike, so row i faces row i
        for i in range(max(len(lefts), len(rights))):
            a = lefts[i] if i < len(lefts) else None
            b = rights[i] if i < len(rights) else None
            same = a is not None and b is not None and all(a.get(c) == b.get(c) for c in columns)
            rows.append((words["ok"] if same else words["bad"], cell(a), cell(b)))
    if not rows:
        rows = [(" ", words["none"], words["none"])]
    left_head = f"{left_name} ({len(lefts)})"
    right_head = f"{right_name} ({len(rights)})"
    width = max(display_width(left_head), display_width(words["none"]),
                *(display_width(r[1]) for r in rows))
    out = [f"    {_pad(left_head, width)} │ {right_head}",
           f"    {'─' * width}─┼─{'─' * max(display_width(right_head), 8)}"]
    for mark, a, b in rows:
        a = a or (words["none"] if not lefts else "")
        b = b or (words["none"] if not rights else "")
        out.append(f"  {mark} {_pad(a, width)} │ {b}".rstrip())
    return out


# ----------------------------------------------------------------------- run --
def _interpret_engine(claims: dict[str, pa.Table], kb: dict[str, pa.Table], rulebook: Rulebook,
                      rule_ids: list[str], params: dict[str, Any]) -> pa.Table:
    return interpret(rulebook, claims, kb, params=params, rules=rule_ids)


def _vector_engine(claims: dict[str, pa.Table], kb: dict[str, pa.Table], rulebook: Rulebook,
                   rule_ids: list[str], params: dict[str, Any]) -> pa.Table:
    result: pa.Table = rulebook.compile(rules=rule_ids, params=params).run(claims, kb)
    return result


ENGINES: dict[str, tuple[tuple[str, Engine], ...]] = {
    "interpret": (("interpret", _interpret_engine),),
    "vector": (("vector", _vector_engine),),
    "both": (("interpret", _interpret_engine), ("vector", _vector_engine)),
}
"""Engine names :func:`run_examples` accepts."""


def _engines(engine: str | Engine) -> tuple[tuple[str, Engine], ...]:
    if callable(engine):
        return ((getattr(engine, "__name__", "engine"), engine),)
    if engine in ENGINES:
        return ENGINES[engine]
    raise ValueError(f"unknown engine {engine!r}: choose {', '.join(ENGINES)} or pass a callable")


def _run_engine(name: str, run: Engine, rulebook: Rulebook, rule: CheckedRule,
                case: ExampleCase, expected: tuple[dict[str, Any], ...]) -> EngineRun:
    try:
        claims, kb = complete_example(case)
        # An example shows the rule at the values it declares (a regional overlay's
        # overrides do not apply), unless the example sets parameters itself.
        declared = {p.name: p.default for p in rule.params}
        params = rulebook.param_values(
            {**declared, **{f"{rule.id}.{k}": v for k, v in case.params.items()}})
        table = run(claims, kb, rulebook, [rule.id], params)
        actual = tuple(r for r in table.to_pylist() if r["rule_id"] == rule.id)
    except Exception as exc:  # an engine failure is a failed example, not a crash
        return EngineRun(name, False, (), f"{type(exc).__name__}: {exc}")
    matching = _match(expected, actual)
    passed = len(actual) == len(expected) and len(matching) == len(expected)
    return EngineRun(name, passed, actual)


def run_example(rulebook: Rulebook, rule: CheckedRule, case: ExampleCase,
                engine: str | Engine = "interpret", lang: str = "zh") -> ExampleResult:
    """Run one example of ``rule`` and compare its firings with the expected ones."""
    expected = tuple(dict(f) for f in case.expect)
    runs = tuple(_run_engine(name, run, rulebook, rule, case, expected)
                 for name, run in _engines(engine))
    agree = len(runs) < 2 or all(r.actual == runs[0].actual for r in runs[1:])
    result = ExampleResult(rule.id, rule.name, case.name, case.title, expected, runs, agree)
    return attrs.evolve(result, text=result.render(lang))


def run_examples(rulebook: Rulebook, engine: str | Engine = "interpret",
                 rule_ids: Sequence[str] | None = None, lang: str = "zh") -> list[ExampleResult]:
    """Run the examples of the rulebook's rules (all rules, or ``rule_ids``).

    Args:
        rulebook: The checked rulebook.
        engine: ``"interpret"`` (the reference interpreter), ``"vector"`` (the
            compiled plan), ``"both"`` (each must match the expectation and
            the two must produce identical firings), or a callable
            ``(claims, kb, rulebook, rule_ids, params) → violations table``.
        rule_ids: The rules whose examples run (default: every rule, disabled
            ones included).
        lang: The language of each result's :attr:`ExampleResult.text`.

    Returns:
        One result per example, in rule and example order.
    """
    rules = rulebook.rules if rule_ids is None else [rulebook.rule(r) for r in rule_ids]
    return [
        run_example(rulebook, rule, case, engine, lang)
        for rule in rules
        for case in rule.examples
    ]
