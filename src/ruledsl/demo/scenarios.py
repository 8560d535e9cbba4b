"""Injected scenarios: for each of the 46 rules, cases that fire and near-misses that do not.

Each scenario uses its own new persons (and, where a rule aggregates over an institution or a
doctor, its own institution or doctor), so the background cannot push a near-miss over its
boundary.  The cases follow the examples of ``rules-46.md``; every near-miss sits on the other
side of one boundary of its rule.  :class:`Scenarios` records a manifest (rule, expected outcome,
the keys involved) that the tests compare with an independent evaluation of the rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa

from . import catalog as C
from .background import Background
from .ids import fmt
from .kb import HOSP_RANK, Catalog, Institutions, r2

EPOCH_DT = datetime(1970, 1, 1)


def _sec(t: datetime) -> int:
    return int((t - EPOCH_DT).total_seconds())


def _day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def add_years(d: date, years: int) -> date:
    """``d`` shifted by whole years (29 February becomes 28 February)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def month_start(d: date, k: int = 0) -> date:
    """First day of the month ``k`` months after the month of ``d``."""
    m = d.month - 1 + k
    return date(d.year + m // 12, m % 12 + 1, 1)


@dataclass
class Visit:
    """A scenario visit under construction."""

    num: int
    psn: str
    inst: int
    med_type: str
    begin: datetime
    end: datetime
    doctor: str | None
    setl: int | None
    setl_time: datetime | None
    amounts: list[tuple[float, bool]] = field(default_factory=list)

    @property
    def mdtrt_id(self) -> str:
        return fmt("mdtrt_id", self.num)

    @property
    def setl_id(self) -> str | None:
        return None if self.setl is None else fmt("setl_id", self.setl)

    @property
    def inpatient(self) -> bool:
        return self.med_type in ("21", "22", "24", "52")


@dataclass
class Expect:
    """One manifest entry: what a scenario must (``fire``) or must not (``near``) produce."""

    rule_id: str
    expect: str
    psn_no: list[str] = field(default_factory=list)
    fixmedins_code: str | None = None
    dr_codg: str | None = None
    item_code: str | None = None


class Scenarios:
    """Builds the scenario rows, continuing the background's ids."""

    def __init__(self, cat: Catalog, inst: Institutions, bg: Background,
                 rng: np.random.Generator, start: date, end: date):
        self.cat, self.inst, self.bg, self.rng = cat, inst, bg, rng
        self.start, self.end = start, end
        self.n_days = (end - start).days + 1
        self.next_psn = bg.n_persons
        self.next_visit = bg.n_visits
        self.next_setl = bg.n_setl
        self.next_line = bg.n_lines
        self.next_rx = bg.n_rx
        self.persons: list[dict[str, object]] = []
        self.visits: list[Visit] = []
        self.visit_rows: list[dict[str, object]] = []
        self.diags: list[tuple[int, int, str, str]] = []
        self.lines: list[dict[str, object]] = []
        self.opsp_reg: list[tuple[str, str, int]] = []
        self.manifest: list[Expect] = []
        self.doctors: list[tuple[str, str, int]] = []  # scenario doctors (code, name, inst)
        self.agreements: dict[int, list[tuple[date, date | None, str]]] = {}
        self.licences: dict[int, list[tuple[str, date, date]]] = {}
        self._cur: Expect | None = None
        self._doc_seq: dict[str, int] = {}
        self._setup_institutions()

    # ------------------------------------------------------------------ institutions
    def _new_doctor(self, inst: int) -> str:
        adm = self.inst.admdvs[inst]
        self._doc_seq[adm] = self._doc_seq.get(adm, 0) + 1
        code = f"D{adm}{90000 + self._doc_seq[adm]:05d}"
        sn = C.SURNAMES[int(self.rng.integers(len(C.SURNAMES)))]
        gv = C.GIVEN[int(self.rng.integers(len(C.GIVEN)))] + C.GIVEN[
            int(self.rng.integers(len(C.GIVEN)))]
        self.doctors.append((code, sn + gv, inst))
        return code

    def _dedicated(self, name: str, admdvs: str, hosp_lv: str, kind: str = "1",
                   licences: tuple[str, ...] = ("CT",)) -> int:
        i = self.inst.add(name, admdvs, hosp_lv, kind=kind, licences=licences, background=False)
        self._inst_docs[i] = [] if kind == "2" else [self._new_doctor(i) for _ in range(3)]
        return i

    def _setup_institutions(self) -> None:
        self._inst_docs: dict[int, list[str]] = {
            i: [self.bg.doctors[d] for d in ds] for i, ds in self.bg.inst_doctors.items()}
        s, e = self.start, self.end
        months = (e.year - s.year) * 12 + e.month - s.month + 1
        self.g7_end = month_start(s, max(1, months - 1)) - timedelta(days=1)
        self.susp = (month_start(s, min(2, months - 1)),
                     month_start(s, min(3, months)) - timedelta(days=1))
        self.h_g07a = self._dedicated("银川市兴庆区康宁医院", "640104", "07")
        self.agreements[self.h_g07a] = [(date(s.year - 1, 1, 1), self.g7_end, "1")]
        self.h_g07b = self._dedicated("石嘴山市惠农区仁和医院", "640205", "06")
        self.agreements[self.h_g07b] = [
            (date(s.year - 1, 1, 1), self.susp[0] - timedelta(days=1), "1"),
            (self.susp[0], self.susp[1], "2"),
            (self.susp[1] + timedelta(days=1), date(e.year + 1, 12, 31), "1")]
        self.h_g07c = self._dedicated("中卫市沙坡头区安泰诊所", "640502", "11")
        self.agreements[self.h_g07c] = []
        self.z10_end = min(s + timedelta(days=58), e - timedelta(days=20))
        self.h_z10 = self._dedicated("宁夏肿瘤医院", "640106", "03",
                                     licences=("CT", "MRI", "PET-CT"))
        far = date(e.year + 4, 12, 31)
        self.licences[self.h_z10] = [("CT", date(s.year - 5, 1, 1), far),
                                     ("MRI", date(s.year - 5, 1, 1), far),
                                     ("PET-CT", date(s.year - 1, 1, 1), self.z10_end)]
        self.ph_g08 = self._dedicated("宁夏惠民大药房康乐路店", "640106", "11", kind="2",
                                      licences=())
        self.h_lj06 = self._dedicated("吴忠市利通区康复医院", "640302", "05")

    def hosp(self, ranks: tuple[int, ...] = (3,), city: str | None = "6401",
             not_city: str | None = None, licence: str | None = None,
             lv: str | None = None, kind: str = "1", exclude_licence: str | None = None) -> int:
        """A background institution matching the filters, chosen by the scenario rng."""
        cand = self.inst.find(kind=kind, ranks=ranks, city=city, not_city=not_city,
                              licence=licence)
        if lv is not None:
            cand = [i for i in cand if self.inst.hosp_lv[i] == lv]
        if exclude_licence is not None:
            cand = [i for i in cand if exclude_licence not in self.inst.licences[i]]
        if not cand:
            cand = self.inst.find(kind=kind, ranks=ranks, licence=licence)
            if exclude_licence is not None:
                cand = [i for i in cand if exclude_licence not in self.inst.licences[i]]
        return cand[int(self.rng.integers(len(cand)))]

    def rank(self, inst: int) -> int:
        return HOSP_RANK.get(self.inst.hosp_lv[inst], 0)

    # ------------------------------------------------------------------ dates
    def day(self, lo: int = 0, hi: int = 0) -> date:
        """A random date with at least ``lo`` days before it and ``hi`` after it in the period."""
        top = max(lo, self.n_days - 1 - hi)
        return self.start + timedelta(days=int(self.rng.integers(lo, top + 1)))

    @staticmethod
    def at(d: date, h: int, m: int = 0, s: int = 0) -> datetime:
        return datetime(d.year, d.month, d.day) + timedelta(hours=h, minutes=m, seconds=s)

    # ------------------------------------------------------------------ rows
    def person(self, gend: str = "1", age: int = 45, brdy: date | None = None,
               insutype: str = "310", admdvs: str = "640104", begn: date | None = None,
               end: date | None = None, die: date | None = None) -> str:
        """A new person; returns psn_no (added to the current scenario's manifest)."""
        if brdy is None:
            brdy = add_years(self.start, -age) - timedelta(days=int(self.rng.integers(30, 300)))
        if begn is None:
            begn = max(brdy, date(self.start.year - 10, 1, 1))
        psn = fmt("psn_no", self.next_psn)
        self.next_psn += 1
        self.persons.append({"psn_no": psn, "gend": gend, "brdy": brdy, "insutype": insutype,
                             "insu_admdvs": admdvs, "insu_begn_date": begn,
                             "insu_end_date": end, "die_date": die})
        if self._cur is not None:
            self._cur.psn_no.append(psn)
        return psn

    def visit(self, psn: str, inst: int, med_type: str, begin: datetime, end: datetime,
              diags: tuple[str, ...] | list[str] = ("J06.900",), dise: str | None = None,
              dscg_way: str | None = None, rinp: str | None = None,
              doctor: str | None = "auto", settle: bool = True,
              setl_time: datetime | None = None) -> Visit:
        """A new visit with its diagnoses (first = main); settled unless ``settle`` is False."""
        if doctor == "auto":
            docs = self._inst_docs.get(inst, [])
            doctor = docs[int(self.rng.integers(len(docs)))] if docs else None
        setl = None
        if settle:
            setl = self.next_setl
            self.next_setl += 1
        v = Visit(self.next_visit, psn, inst, med_type, begin, end, doctor, setl, setl_time)
        self.next_visit += 1
        inpatient = med_type in ("21", "22", "24", "52")
        if inpatient and dscg_way is None:
            dscg_way = "1"
        if inpatient and rinp is None:
            rinp = "0"
        self.visits.append(v)
        self.visit_rows.append({
            "mdtrt_id": v.mdtrt_id, "psn_no": psn, "fixmedins_code": self.inst.code[inst],
            "med_type": med_type, "begntime": begin, "endtime": end, "dise_codg": dise,
            "dscg_way": dscg_way, "days_rinp_flag_31": rinp, "atddr_no": doctor})
        for k, code in enumerate(diags):
            self.diags.append((v.num, k + 1, code, "1" if k == 0 else "0"))
        return v

    def line(self, v: Visit, key: str, t: datetime, cnt: float = 1.0, pric: float | None = None,
             prd: float | None = None, dscg: bool = False, rx: str | None = "auto",
             medins: str | None = None, vali: str = "1", item: int | None = None,
             doctor: str | None = "visit") -> str:
        """A fee line of catalogue item ``key`` (a drug key takes the institution's code)."""
        cat = self.cat
        if item is None:
            item = cat.drug_item(cat.gen[key], v.inst) if key in cat.gen else cat.item(key)
        if pric is None:
            pric = float(cat.price[item, self.rank(v.inst)])
        kind = cat.kind[item]
        if medins is None:
            medins = "YFH"[kind] + f"H{v.inst * 100000 + item:09d}"
        if rx == "auto":
            if kind == 0:
                rx = fmt("rxno", self.next_rx)
                self.next_rx += 1
            else:
                rx = None
        amt = r2(cnt * pric)
        sn = fmt("feedetl_sn", self.next_line)
        self.next_line += 1
        self.lines.append({
            "feedetl_sn": sn, "mdtrt_id": v.mdtrt_id, "setl_id": v.setl_id, "psn_no": v.psn,
            "fee_ocur_time": t, "med_list_codg": cat.code[item], "medins_list_codg": medins,
            "list_type": ("101", "102", "201", "301")[cat.list_type[item]],
            "med_chrgitm_type": cat.chrg[item], "cnt": float(cnt), "pric": float(pric),
            "det_item_fee_sumamt": amt, "bilg_dr_codg": v.doctor if doctor == "visit" else doctor,
            "prd_days": prd, "dscg_tkdrug_flag": "1" if dscg else "0", "rxno": rx,
            "vali_flag": vali})
        v.amounts.append((amt, vali != "0"))
        return sn

    def new_rx(self) -> str:
        rx = fmt("rxno", self.next_rx)
        self.next_rx += 1
        return rx

    # ------------------------------------------------------------------ visit templates
    def out(self, psn: str, inst: int, d: date, hour: int = 9, med_type: str = "11",
            diags: tuple[str, ...] | list[str] = ("J06.900",), dise: str | None = None,
            consult: bool = True, minute: int | None = None, **kw: object) -> Visit:
        """An outpatient (or pharmacy, ``med_type='41'``) visit of 40 minutes."""
        if minute is None:
            minute = int(self.rng.integers(0, 50))
        begin = self.at(d, hour, minute)
        v = self.visit(psn, inst, med_type, begin, begin + timedelta(minutes=40), diags=diags,
                       dise=dise, doctor=None if med_type == "41" else "auto",
                       **kw)  # type: ignore[arg-type]
        if consult and med_type != "41":
            key = "general_fee" if self.rank(inst) <= 1 else (
                "consult_er" if med_type == "13" else
                "consult_opsp" if med_type == "14" else "consult_out")
            self.line(v, key, begin + timedelta(minutes=3))
        return v

    def stay(self, psn: str, inst: int, adm: date, los: int,
             diags: tuple[str, ...] | list[str] = ("J18.900",), med_type: str = "21",
             hour: int = 8, dscg_hour: int = 10, daily: bool = True,
             **kw: object) -> Visit:
        """An inpatient stay of ``los`` days with daily bed, nursing, consult and a drug line."""
        begin = self.at(adm, hour)
        end = self.at(adm + timedelta(days=los), dscg_hour)
        v = self.visit(psn, inst, med_type, begin, end, diags=diags, **kw)  # type: ignore[arg-type]
        if daily:
            for k in range(los):
                t = begin + timedelta(minutes=20) if k == 0 else self.at(adm + timedelta(days=k), 8)
                self.line(v, "bed", t)
                self.line(v, "nursing2", t + timedelta(minutes=1))
                self.line(v, "consult_ip", t + timedelta(minutes=10))
                self.line(v, "saline", t + timedelta(hours=1), cnt=2.0)
        return v

    # ------------------------------------------------------------------ manifest
    def scenario(self, rule_id: str, fire: bool, **keys: str) -> None:
        """Start a scenario; persons created next belong to it."""
        self._cur = Expect(rule_id, "fire" if fire else "near", **keys)
        self.manifest.append(self._cur)

    # ------------------------------------------------------------------ output
    def tables(self) -> dict[str, pa.Table]:
        """The scenario rows as Arrow tables (column order of the contract)."""
        setl_rows = []
        for v in self.visits:
            if v.setl is None:
                continue
            medfee = r2(sum(a for a, ok in v.amounts if ok))
            hifp = r2(medfee * 0.6)
            t = v.setl_time or (v.end + timedelta(minutes=30) if v.inpatient else v.end)
            setl_rows.append({
                "setl_id": v.setl_id, "mdtrt_id": v.mdtrt_id, "psn_no": v.psn,
                "fixmedins_code": self.inst.code[v.inst], "setl_time": t,
                "medfee_sumamt": medfee, "hifp_pay": hifp, "fund_pay_sumamt": hifp,
                "acct_pay": 0.0, "psn_cash_pay": r2(medfee - hifp), "vali_flag": "1"})
        diag_rows = [{"mdtrt_id": fmt("mdtrt_id", n), "diag_srt_no": s, "diag_code": c,
                      "maindiag_flag": f} for n, s, c, f in self.diags]
        return {
            "person": pa.Table.from_pylist(self.persons),
            "visit": pa.Table.from_pylist(self.visit_rows),
            "diagnosis": pa.Table.from_pylist(diag_rows),
            "settlement": pa.Table.from_pylist(setl_rows),
            "fee": pa.Table.from_pylist(self.lines),
        }


# =========================================================================== the scenarios
RULES: dict[str, Callable[[Scenarios, int, bool], None]] = {}


def rule(rule_id: str) -> Callable[[Callable[[Scenarios, int, bool], None]],
                                   Callable[[Scenarios, int, bool], None]]:
    def deco(fn: Callable[[Scenarios, int, bool], None]) -> Callable[[Scenarios, int, bool],
                                                                        None]:
        RULES[rule_id] = fn
        return fn
    return deco


def _h(x: Scenarios, **kw: object) -> int:
    return x.hosp(**kw)  # type: ignore[arg-type]


@rule("ZL-01")
def zl01(x: Scenarios, i: int, fire: bool) -> None:
    key = ["psa", "us_gyn", "tct", "hcg"][i % 4]
    limit = x.cat.services[key].sex_limit
    gend = ("2" if limit == "1" else "1") if fire else ("9" if i % 2 == 0 else "0")
    p = x.person(gend=gend, age=40)
    v = x.out(p, _h(x), x.day(), diags=("Z00.000",))
    x.line(v, key, v.begin + timedelta(minutes=15))


@rule("ZL-02")
def zl02(x: Scenarios, i: int, fire: bool) -> None:
    d = x.day(2, 2)
    if d.month == 2 and d.day == 29:
        d -= timedelta(days=1)
    if i % 2 == 0:  # max_age 14: 15 today fires, 14 (birthday tomorrow) does not
        brdy = add_years(d, -15) if fire else add_years(d + timedelta(days=1), -15)
        p = x.person(gend="1", brdy=brdy)
        v = x.out(p, _h(x, ranks=(2, 3)), d, diags=("J06.900",))
        x.line(v, "tuina_child", v.begin + timedelta(minutes=20))
    else:  # min_age 60: 59 (birthday tomorrow) fires, 60 today does not
        brdy = add_years(d + timedelta(days=1), -60) if fire else add_years(d, -60)
        p = x.person(gend="2", brdy=brdy)
        v = x.out(p, _h(x), d, diags=("I10.X00",))
        x.line(v, "elderly_assess", v.begin + timedelta(minutes=20))


@rule("ZL-03")
def zl03(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=50)
    h = _h(x)
    variant = i % 3
    if variant == 0:  # (iv, iv_push, day)
        d = x.day(0, 4)
        v = x.stay(p, h, d, 3, diags=("J18.900",))
        x.line(v, "iv", x.at(d + timedelta(days=1), 9))
        x.line(v, "iv_push", x.at(d + timedelta(days=1), 15) if fire
               else x.at(d + timedelta(days=2), 8))
    elif variant == 1:  # (anesthesia_general, anesthesia_local, visit)
        d = x.day(0, 12)
        v = x.stay(p, h, d, 4, diags=("S82.200",), med_type="22")
        x.line(v, "anesthesia_general", x.at(d, 14))
        if fire:
            x.line(v, "anesthesia_local", x.at(d + timedelta(days=2), 10))
        else:
            v2 = x.out(p, h, d + timedelta(days=10), diags=("S82.200",))
            x.line(v2, "anesthesia_local", v2.begin + timedelta(minutes=10))
    else:  # (holter, holter, day): twice the same day fires, two days does not
        d = x.day(0, 4)
        v = x.stay(p, h, d, 3, diags=("R55.X00",))
        x.line(v, "holter", x.at(d + timedelta(days=1), 9))
        x.line(v, "holter", x.at(d + timedelta(days=1), 16) if fire
               else x.at(d + timedelta(days=2), 9))


@rule("ZL-04")
def zl04(x: Scenarios, i: int, fire: bool) -> None:
    rk = [3, 2, 1, 0][i % 4]
    h = _h(x, ranks=(rk,), city=None)
    key = ["crp", "cbc", "urine", "dressing"][i % 4]
    cap = float(x.cat.price[x.cat.item(key), rk])
    p = x.person(age=35)
    v = x.out(p, h, x.day(), diags=("J06.900",))
    x.line(v, key, v.begin + timedelta(minutes=10), cnt=2.0,
           pric=round(cap + 0.01, 2) if fire else cap)


@rule("ZL-05")
def zl05(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=55)
    d = x.day()
    h1 = _h(x, ranks=(3,))
    h2 = _h(x, ranks=(1,), city="6401")
    v1 = x.out(p, h1, d, hour=9, diags=("M54.500",))
    x.line(v1, "im", v1.begin + timedelta(minutes=10), cnt=2.0)
    v2 = x.out(p, h2, d, hour=15, diags=("M54.500",))
    x.line(v2, "im", v2.begin + timedelta(minutes=10), cnt=1.0)
    if not fire:
        x.line(v2, "im", v2.begin + timedelta(minutes=25), cnt=-1.0)


@rule("ZL-06")
def zl06(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=62)
    h = _h(x, ranks=(3,))
    d = x.day(0, 8)
    for k in (0, 2, 4, 6 if fire else 7):
        v = x.out(p, h, d + timedelta(days=k), diags=("N18.900",))
        x.line(v, "dialysis", v.begin + timedelta(minutes=10))


@rule("ZL-07")
def zl07(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=60)
    d = x.day(0, 6)
    v = x.stay(p, _h(x), d, 4, diags=("J18.900",))
    key = "bed" if i % 2 == 0 else "nursing2"
    x.line(v, key, x.at(d + timedelta(days=4), 8), cnt=2.0 if fire else 1.0)


@rule("ZL-08")
def zl08(x: Scenarios, i: int, fire: bool) -> None:
    rk = 3 if i % 2 == 0 else 2
    h = _h(x, ranks=(rk,))
    p = x.person(age=50)
    d = x.day(0, 6)
    v = x.stay(p, h, d, 4, diags=("K80.200",))
    t = x.at(d + timedelta(days=1), 10)
    x.line(v, "lap_chole", t)
    half = r2(0.5 * float(x.cat.price[x.cat.item("adhesiolysis"), rk]))
    x.line(v, "adhesiolysis", t + timedelta(minutes=50), pric=half + 100 if fire else half)


@rule("ZL-09")
def zl09(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=48)
    h = _h(x, ranks=(3,))
    if i % 2 == 0:
        comps = ["alt", "ast", "tbil"] if fire else ["alt", "ast", "alb"]
        dx = "K76.000"
    else:
        comps = ["tc", "tg", "hdl", "ldl"] if fire else ["tc", "tg", "hdl"]
        dx = "E78.500"
    v = x.out(p, h, x.day(), diags=(dx,))
    for k, c in enumerate(comps):
        x.line(v, c, v.begin + timedelta(minutes=10 + k))


@rule("ZL-10")
def zl10(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=66)
    if i % 2 == 0:  # the licence of H_Z10 ends on z10_end
        lo = (x.z10_end - x.start).days
        if fire:
            d = x.start + timedelta(days=int(x.rng.integers(lo + 1, x.n_days - 6)))
        else:
            d = x.z10_end if i < 4 else x.start + timedelta(days=int(x.rng.integers(0, lo + 1)))
        v = x.stay(p, x.h_z10, d, 5, diags=("C34.900",))
        x.line(v, "petct", x.at(d, 14))
    else:  # MRI at a hospital without (fires) or with (near-miss) an MRI licence
        h = (_h(x, ranks=(2,), city=None, exclude_licence="MRI") if fire
             else _h(x, ranks=(3,), licence="MRI"))
        v = x.out(p, h, x.day(), diags=("R51.X00",))
        x.line(v, "mri_head", v.begin + timedelta(minutes=30))


@rule("GL-01")
def gl01(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=58)
    variant = i % 3
    if variant == 0:
        target = 5000.00 if fire else 4999.99
        v = x.out(p, _h(x), x.day(), diags=("J45.900",))
        x.line(v, "symbicort", v.begin + timedelta(minutes=10),
               pric=round(target - sum(a for a, _ in v.amounts), 2), prd=7.0)
    elif variant == 1:
        target = 2000.00 if fire else 1999.99
        v = x.out(p, _h(x, kind="2", ranks=(0,)), x.day(), med_type="41", diags=("J45.900",))
        x.line(v, "symbicort", v.begin + timedelta(minutes=2), pric=target, prd=7.0)
    else:
        target = 100000.00 if fire else 99999.99
        d = x.day(0, 12)
        v = x.stay(p, _h(x, ranks=(3,)), d, 10, diags=("K74.600",))
        rest = round(target - sum(a for a, _ in v.amounts), 2)
        price = float(x.cat.price[x.cat.drug_item(x.cat.gen["albumin"], v.inst), 3])
        per_day = int(rest // price // 10)
        for k in range(10):
            x.line(v, "albumin", x.at(d + timedelta(days=k), 11), cnt=float(per_day))
        rest = round(target - sum(a for a, _ in v.amounts), 2)
        x.line(v, "ppc", x.at(d + timedelta(days=9), 15), pric=rest)


@rule("GL-02")
def gl02(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=70)
    d = x.day(0, 31)
    otc = ["paracetamol", "loratadine", "huoxiang", "banlangen", "ganmao", "smectite",
           "hydrotalcite", "cetirizine", "licorice", "shuanghuanglian", "ibuprofen"]
    ph = _h(x, kind="2", ranks=(0,))
    for k in range(10):
        v = x.out(p, ph, d + timedelta(days=k), hour=10, med_type="41", diags=("J06.900",))
        x.line(v, otc[k], v.begin + timedelta(minutes=2), prd=1.0)
    v = x.out(p, ph, d + timedelta(days=29 if fire else 30), hour=10, med_type="41",
              diags=("J06.900",))
    x.line(v, otc[10], v.begin + timedelta(minutes=2), prd=1.0)


@rule("GL-03")
def gl03(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=44)
    d = x.day()
    h1 = _h(x, ranks=(3, 2), city="6401")
    if fire or i % 2 == 0:  # a pharmacy (or, failing one, a hospital) in another city
        far = x.inst.find(kind="2", ranks=(0,), not_city="6401") or x.inst.find(
            ranks=(1, 2, 3), not_city="6401")
        h2 = far[int(x.rng.integers(len(far)))]
        gap = 3599 if fire else 3600
    else:  # same city, close in time
        h2 = _h(x, kind="2", ranks=(0,), city="6401")
        gap = 1800
    t1 = x.at(d, 10)
    v1 = x.out(p, h1, d, hour=9, minute=10, diags=("K29.700",), setl_time=t1)
    x.line(v1, "omeprazole", v1.begin + timedelta(minutes=5), prd=7.0)
    v2 = x.out(p, h2, d, hour=10, minute=20, med_type="41" if x.inst.type[h2] == "2" else "11",
               diags=("K29.700",),
               setl_time=t1 + timedelta(seconds=gap))
    x.line(v2, "hydrotalcite", v2.begin + timedelta(minutes=5), prd=7.0)


@rule("GL-04")
def gl04(x: Scenarios, i: int, fire: bool) -> None:
    d = x.day(2, 2)
    variant = i % 3
    if variant == 0:  # after death
        p = x.person(age=80, die=d)
        v = x.out(p, _h(x), d + timedelta(days=1) if fire else d, hour=8 if fire else 23,
                  minute=0, diags=("I10.X00",))
    elif variant == 1:  # before the insured period
        p = x.person(age=30, begn=d)
        v = x.out(p, _h(x), d - timedelta(days=1) if fire else d, diags=("J06.900",))
    else:  # after the insured period
        p = x.person(age=40, end=d)
        v = x.out(p, _h(x), d + timedelta(days=1) if fire else d, diags=("J06.900",))
    x.line(v, "ibuprofen", v.begin + timedelta(minutes=10), prd=3.0)


@rule("GL-05")
def gl05(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=67)
    d = x.day(0, 11)
    h1 = _h(x, ranks=(3,))
    x.stay(p, h1, d, 9, diags=("J18.900",))
    variant = 0 if fire else 1 + i % 3
    if variant == 0:
        v = x.out(p, _h(x, kind="2", ranks=(0,)), d + timedelta(days=1), hour=18,
                  med_type="41", diags=("I10.X00",))
        x.line(v, "amlodipine", v.begin + timedelta(minutes=2), prd=7.0)
    elif variant == 1:  # on the discharge date
        v = x.out(p, _h(x, kind="2", ranks=(0,)), d + timedelta(days=9), hour=18,
                  med_type="41", diags=("I10.X00",))
        x.line(v, "amlodipine", v.begin + timedelta(minutes=2), prd=7.0)
    elif variant == 2:  # emergency visit
        v = x.out(p, _h(x, ranks=(2,)), d + timedelta(days=2), hour=20, med_type="13",
                  diags=("R50.900",))
        x.line(v, "paracetamol", v.begin + timedelta(minutes=10), prd=2.0)
    else:  # outpatient at the same hospital
        v = x.out(p, h1, d + timedelta(days=2), hour=14, diags=("R50.900",))
        x.line(v, "paracetamol", v.begin + timedelta(minutes=10), prd=3.0)


@rule("GL-06")
def gl06(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=72)
    d = x.day(0, 17)
    h1 = _h(x, ranks=(3,))
    h2 = _h(x, ranks=(2,), city=None)
    x.stay(p, h1, d, 9, diags=("J18.900",))
    x.stay(p, h2, d + timedelta(days=8 if fire else 9), 6, diags=("I10.X00",), hour=14)


@rule("GL-07")
def gl07(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=52)
    variant = i % 3
    if variant == 0:  # agreement of H_G07A ends on g7_end
        if fire:
            top = max(1, (x.end - x.g7_end).days)
            d = x.g7_end + timedelta(days=1 + int(x.rng.integers(0, top)) if i >= 3 else 1)
            v = x.out(p, x.h_g07a, d - timedelta(days=1), hour=23, minute=10,
                      diags=("J06.900",), setl_time=x.at(d, 0))
        else:
            d = x.g7_end if i < 3 else x.g7_end - timedelta(days=int(x.rng.integers(0, 20)))
            v = x.out(p, x.h_g07a, d, hour=23, minute=10, diags=("J06.900",),
                      setl_time=x.at(d, 23, 59, 59))
    elif variant == 1:  # suspended during susp
        s0, s1 = x.susp
        if fire:
            d = s0 + timedelta(days=int(x.rng.integers(0, (s1 - s0).days + 1)))
            v = x.out(p, x.h_g07b, d, diags=("J06.900",))
        else:
            d = s0 - timedelta(days=1)
            v = x.out(p, x.h_g07b, d, hour=23, minute=10, diags=("J06.900",),
                      setl_time=x.at(d, 23, 59, 59))
    else:  # no agreement at all (fires) / an ordinary hospital (near-miss)
        h = x.h_g07c if fire else _h(x, ranks=(0,), city=None)
        v = x.out(p, h, x.day(), diags=("J06.900",))
    x.line(v, "paracetamol", v.begin + timedelta(minutes=10), prd=3.0)


@rule("GL-08")
def gl08(x: Scenarios, i: int, fire: bool) -> None:
    step = 3 * (2 * i + (0 if fire else 1))
    nd = max(1, x.n_days - 1)
    d = x.start + timedelta(days=step % nd)
    t0 = x.at(d, 8 + 2 * (step // nd % 6))
    times = [t0 + timedelta(minutes=k) for k in range(7)]
    times.append(t0 + timedelta(minutes=10, seconds=0 if fire else 1))
    otc = ["paracetamol", "loratadine", "huoxiang", "banlangen", "ganmao", "smectite",
           "hydrotalcite", "cetirizine"]
    for k, t in enumerate(times):
        p = x.person(age=30 + 5 * k)
        b = t - timedelta(minutes=3)
        v = x.visit(p, x.ph_g08, "41", b, t, diags=("J06.900",), doctor=None, setl_time=t)
        x.line(v, otc[k], b + timedelta(minutes=1), prd=3.0)


@rule("GL-09")
def gl09(x: Scenarios, i: int, fire: bool) -> None:
    idx = 2 * i + (0 if fire else 1)
    spp = (x.n_days - 1) // 7 + 1
    pool, slot = divmod(idx, spp)
    pools = x.__dict__.setdefault("_gl09_pools", {})
    if pool not in pools:
        saved, x._cur = x._cur, None
        pools[pool] = [x.person(gend="12"[k % 2], age=20 + k % 50) for k in range(101)]
        x._cur = saved
    h = x.__dict__.setdefault("_gl09_h", _h(x, ranks=(3,)))
    dr = x._new_doctor(h)
    assert x._cur is not None
    x._cur.dr_codg = dr
    d = x.start + timedelta(days=slot * 7)
    members = pools[pool][: 101 if fire else 100]
    x._cur.psn_no.extend(members)
    for k, p in enumerate(members):
        begin = x.at(d, 8) + timedelta(minutes=5 * k)
        v = x.visit(p, h, "11", begin, begin + timedelta(minutes=20), diags=("J06.900",),
                    doctor=dr)
        x.line(v, "consult_out", begin + timedelta(minutes=2))


@rule("GL-10")
def gl10(x: Scenarios, i: int, fire: bool) -> None:
    m0 = x.start if x.start.day == 1 else month_start(x.start, 1)
    if month_start(m0, 7) - timedelta(days=1) > x.end:
        return
    adm = list(C.DISTRICTS)[i % len(C.DISTRICTS)]
    city, dist = C.DISTRICTS[adm]
    h = x._dedicated(f"{city}{dist}仁济{'康复' if fire else '中西医结合'}医院（{i + 1}）", adm,
                     "02", licences=("CT",))
    assert x._cur is not None
    x._cur.fixmedins_code = x.inst.code[h]
    f = 1.0 + 0.1 * (i % 3)
    amounts = [10000 * f, 0, 20000 * f, 0, 30000 * f, 0,
               70000 * f if fire else 10000 * f + 49999.99]
    price = float(x.cat.price[x.cat.drug_item(x.cat.gen["cerebroprotein"], h), 3])
    for m, amount in enumerate(amounts):
        amount = round(amount, 2)
        n_stays = int(np.ceil(amount / 10000))
        for s in range(n_stays):  # several patients a month, each about 10000 yuan
            part = round(amount - 10000 * (n_stays - 1), 2) if s == n_stays - 1 else 10000.0
            d = month_start(m0, m) + timedelta(days=0 if m == s == 0 else 2 + 3 * s)
            p = x.person(age=45 + int(x.rng.integers(0, 35)))
            v = x.stay(p, h, d, 3, diags=("I63.900",))
            units = int(part // price)
            for k in range(3):
                cnt = units // 3 + (units % 3 if k == 2 else 0)
                x.line(v, "cerebroprotein", x.at(d + timedelta(days=k), 9), cnt=float(cnt))
            rest = round(part - units * price, 2)
            if rest > 0:
                x.line(v, "cerebroprotein", x.at(d + timedelta(days=2), 16), pric=rest)


@rule("ZD-01")
def zd01(x: Scenarios, i: int, fire: bool) -> None:
    variant = i % 3
    if variant == 0:
        gend, diags = "1", ("N76.000",)
    elif variant == 1:
        gend, diags = "2", ("N40.X00",)
    else:
        gend, diags = "1", ("R10.400", "N92.000")
    if not fire:
        gend = "0" if i % 2 else "9"
    p = x.person(gend=gend, age=45)
    v = x.out(p, _h(x), x.day(), diags=diags)
    x.line(v, "ibuprofen", v.begin + timedelta(minutes=10), prd=5.0)


@rule("ZD-02")
def zd02(x: Scenarios, i: int, fire: bool) -> None:
    variant = i % 3
    if variant == 0:  # newborn diagnosis at 29 (fires) / 28 (near) days of age
        v_day = x.day(2, 2)
        brdy = v_day - timedelta(days=29 if fire else 28)
        p = x.person(gend="1", brdy=brdy, insutype="390", begn=brdy)
        v = x.out(p, _h(x, ranks=(3, 2)), v_day, hour=8 if fire else 23, minute=0,
                  diags=("P59.900",))
    else:  # maternity diagnosis at 11 / 56 (fires) or 12 / 55 (near)
        v_day = x.day(2, 2)
        if v_day.month == 2 and v_day.day == 29:
            v_day -= timedelta(days=1)
        if variant == 1:
            brdy = add_years(v_day + timedelta(days=1), -12) if fire else add_years(v_day, -12)
        else:
            brdy = add_years(v_day, -56) if fire else add_years(v_day + timedelta(days=1), -56)
        p = x.person(gend="2", brdy=brdy, insutype="390", begn=brdy)
        v = x.out(p, _h(x, ranks=(3, 2)), v_day, diags=("O21.000",))
    x.line(v, "cbc", v.begin + timedelta(minutes=10))


@rule("ZD-03")
def zd03(x: Scenarios, i: int, fire: bool) -> None:
    key, ok_dx = [("clopidogrel", "I25.100"), ("glargine", "E11.900"),
                  ("aspart", "E14.900")][i % 3]
    p = x.person(age=63)
    diags = ("I10.X00",) if fire else ("I10.X00", ok_dx)
    v = x.out(p, _h(x), x.day(), diags=diags)
    x.line(v, key, v.begin + timedelta(minutes=10), prd=7.0)


@rule("ZD-04")
def zd04(x: Scenarios, i: int, fire: bool) -> None:
    key, bad, good = [("hba1c", "J06.900", "E14.900"), ("bnp", "I10.X00", "I50.900"),
                      ("tni", "K29.700", "R07.400")][i % 3]
    p = x.person(age=61)
    v = x.out(p, _h(x), x.day(), diags=(bad if fire else good,))
    x.line(v, key, v.begin + timedelta(minutes=10))


@rule("ZD-05")
def zd05(x: Scenarios, i: int, fire: bool) -> None:
    surg, mat, bad, good = [("pci", "stent", "I50.900", "I25.100"),
                            ("cataract", "iol", "H40.900", "H25.900"),
                            ("thr", "hip_joint", "M54.500", "S72.000")][i % 3]
    p = x.person(age=70)
    d = x.day(0, 6)
    v = x.stay(p, _h(x, ranks=(3,)), d, 4, diags=(bad if fire else good,))
    t = x.at(d + timedelta(days=1), 10)
    x.line(v, surg, t)
    x.line(v, mat, t + timedelta(minutes=30))


@rule("ZD-06")
def zd06(x: Scenarios, i: int, fire: bool) -> None:
    variant = i % 3
    p = x.person(age=39)
    h = _h(x)
    d = x.day()
    if fire:
        diags: tuple[str, ...] = [("U99.900",), (), ("I1",)][variant]
        v = x.out(p, h, d, diags=diags)
    elif variant == 0:
        v = x.out(p, h, d, diags=("I10.X00",))
    elif variant == 1:  # no diagnosis, but its only fee line is cancelled and it is unsettled
        v = x.out(p, h, d, diags=(), consult=False, settle=False)
        x.line(v, "consult_out", v.begin + timedelta(minutes=5), vali="0")
        return
    else:  # lower case and spaces normalise to a valid code
        v = x.out(p, h, d, diags=(" i10.x00",))
    x.line(v, "paracetamol", v.begin + timedelta(minutes=10), prd=3.0)


@rule("ZD-07")
def zd07(x: Scenarios, i: int, fire: bool) -> None:
    keys = list(C.OPSP)
    dise = keys[i % len(keys)]
    _, code, scope = C.OPSP[dise]
    other = next(g for d2 in keys if d2 != dise for g in C.OPSP[d2][2] if g not in scope)
    p = x.person(age=66)
    d = x.day()
    x.opsp_reg.append((p, dise, _day(d) - 400))
    v = x.out(p, _h(x, ranks=(3, 2)), d, med_type="14", dise=dise, diags=(code,))
    x.line(v, other if fire else scope[0], v.begin + timedelta(minutes=10), prd=28.0)


@rule("YP-01")
def yp01(x: Scenarios, i: int, fire: bool) -> None:
    key, limit = [("bicalutamide", "1"), ("dydrogesterone", "2")][i % 2]
    gend = ("2" if limit == "1" else "1") if fire else "9"
    p = x.person(gend=gend, age=58)
    v = x.out(p, _h(x, ranks=(3,)), x.day(), diags=("R10.400",))
    x.line(v, key, v.begin + timedelta(minutes=10), prd=7.0)


@rule("YP-02")
def yp02(x: Scenarios, i: int, fire: bool) -> None:
    d = x.day(2, 2)
    if d.month == 2 and d.day == 29:
        d -= timedelta(days=1)
    brdy = add_years(d, -18) if fire else add_years(d + timedelta(days=1), -18)
    p = x.person(gend="12"[i % 2], brdy=brdy, insutype="390")
    v = x.out(p, _h(x), d, diags=("J06.900",))
    x.line(v, ["ped_cold", "ped_feire"][i % 2], v.begin + timedelta(minutes=10), prd=3.0)


@rule("YP-03")
def yp03(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(gend="1", age=70)
    if i % 2 == 0:
        h = _h(x, ranks=(1,), lv="08", city=None) if fire else _h(x, ranks=(2,), lv="07",
                                                                 city=None)
        v = x.out(p, h, x.day(), diags=("C61.X00",))
    else:
        h = _h(x, kind="2", ranks=(0,)) if fire else _h(x, ranks=(2,), city=None)
        v = x.out(p, h, x.day(), med_type="41" if fire else "11", diags=("C61.X00",))
    x.line(v, "bicalutamide", v.begin + timedelta(minutes=10), prd=7.0)


@rule("YP-04")
def yp04(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=54)
    d = x.day(0, 5)
    if i % 2 == 0:  # inpatient-only drug bought at a pharmacy
        if fire:
            v = x.out(p, _h(x, kind="2", ranks=(0,)), d, med_type="41", diags=("K25.900",))
            x.line(v, "pantoprazole_inj", v.begin + timedelta(minutes=3), prd=3.0)
        else:
            v = x.stay(p, _h(x, ranks=(3,)), d, 3, diags=("K25.900",))
            x.line(v, "pantoprazole_inj", x.at(d + timedelta(days=1), 10))
    else:  # outpatient-only drug in a stay
        if fire:
            v = x.stay(p, _h(x, ranks=(3,)), d, 3, diags=("J20.900",))
            x.line(v, "licorice", x.at(d + timedelta(days=1), 10), prd=1.0)
        else:
            v = x.out(p, _h(x), d, diags=("J20.900",))
            x.line(v, "licorice", v.begin + timedelta(minutes=10), prd=5.0)


@rule("YP-05")
def yp05(x: Scenarios, i: int, fire: bool) -> None:
    d = x.day()
    if fire and i % 2 == 1:  # work-injury only: always fires
        p = x.person(gend="1", age=45)
        v = x.out(p, _h(x), d, diags=("M17.900",))
        x.line(v, "glucosamine", v.begin + timedelta(minutes=10), prd=7.0)
        return
    insutype = "510" if (not fire and i % 2 == 1) else "310"
    med_type = "51" if (not fire and i % 2 == 0) else "11"
    p = x.person(gend="2", age=31, insutype=insutype)
    v = x.out(p, _h(x, ranks=(3,)), d, med_type=med_type, diags=("O72.000",))
    x.line(v, "carboprost", v.begin + timedelta(minutes=10))


@rule("YP-06")
def yp06(x: Scenarios, i: int, fire: bool) -> None:
    if x.n_days < 120:
        return
    p = x.person(age=52)
    h = _h(x)
    d = x.day(0, 110)
    for k in (0, 7, 104 if fire else 105):
        v = x.out(p, h, d + timedelta(days=k), diags=("I83.900",))
        x.line(v, "escin", v.begin + timedelta(minutes=10), cnt=2.0, prd=7.0)


@rule("YP-07")
def yp07(x: Scenarios, i: int, fire: bool) -> None:
    if x.n_days < 100:
        return
    p = x.person(age=47)
    h = _h(x)
    d = x.day(95, 0)
    if not (fire and i % 3 == 2):
        v = x.out(p, h, d - timedelta(days=91 if fire else 90), diags=("J20.900",))
        x.line(v, "amoxicillin", v.begin + timedelta(minutes=10), prd=5.0)
    v = x.out(p, h, d, diags=("J20.900",))
    x.line(v, ["levofloxacin", "moxifloxacin"][i % 2], v.begin + timedelta(minutes=10), prd=5.0)


@rule("YP-08")
def yp08(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=56)
    v = x.out(p, _h(x, ranks=(3, 2)), x.day(), diags=("G47.000",))
    t = v.begin + timedelta(minutes=15)
    variant = i % 3
    if variant == 0:  # not_single herb alone in its prescription
        rx = x.new_rx()
        x.line(v, "ejiao", t, cnt=63.0, prd=7.0, rx=rx)
        if not fire:
            x.line(v, "huangqi", t, cnt=105.0, prd=7.0, rx=rx)
    elif variant == 1:  # never payable (fires) / a compound of payable herbs (near)
        rx = x.new_rx()
        x.line(v, "chongcao" if fire else "dangshen", t, cnt=7.0, prd=7.0, rx=rx)
        x.line(v, "huangqi", t, cnt=105.0, prd=7.0, rx=rx)
        x.line(v, "danggui", t, cnt=70.0, prd=7.0, rx=rx)
    else:  # null rxno: the group is the visit-day's null-rx 102 lines
        x.line(v, "sanqi", t, cnt=21.0, prd=7.0, rx=None)
        if not fire:
            x.line(v, "fuling", t, cnt=105.0, prd=7.0, rx=None)


@rule("YP-09")
def yp09(x: Scenarios, i: int, fire: bool) -> None:
    variant = i % 4
    p = x.person(age=60)
    d = x.day()
    if variant == 0:
        v = x.out(p, _h(x), d, diags=("K29.700",))
        key, prd = "omeprazole", 8.0 if fire else 7.0
    elif variant == 1:
        v = x.out(p, _h(x), d, med_type="13", hour=21, diags=("R50.900",))
        key, prd = "ibuprofen", 4.0 if fire else 3.0
    elif variant == 2:
        x.opsp_reg.append((p, "M03900", _day(d) - 300))
        v = x.out(p, _h(x), d, med_type="14", dise="M03900", diags=("I10.X00",))
        key, prd = "amlodipine", 29.0 if fire else 28.0
    else:
        v = x.out(p, _h(x, kind="2", ranks=(0,)), d, med_type="41", diags=("K29.700",))
        key, prd = "hydrotalcite", 8.0 if fire else 7.0
    x.line(v, key, v.begin + timedelta(minutes=10), cnt=2.0, prd=prd)


@rule("YP-10")
def yp10(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=64)
    d = x.day(0, 7)
    v = x.stay(p, _h(x, ranks=(3, 2)), d, 5, diags=("I10.X00",))
    if i % 2 == 0:  # during the stay: limit = los 5
        x.line(v, "amlodipine", x.at(d + timedelta(days=1), 9), prd=6.0 if fire else 5.0)
    else:  # discharge drug: limit 7
        x.line(v, "amlodipine", x.at(d + timedelta(days=5), 9), prd=8.0 if fire else 7.0,
               dscg=True)


@rule("YP-11")
def yp11(x: Scenarios, i: int, fire: bool) -> None:
    variant = i % 3
    p = x.person(age=57)
    d = x.day(0, 25)
    if variant == 0:
        h = _h(x)
        key, prd, gap, mt, dx = "omeprazole", 7.0, 4 if fire else 5, "11", "K29.700"
    elif variant == 1:
        h = _h(x, kind="2", ranks=(0,))
        key, prd, gap, mt, dx = "loratadine", 5.0, 3 if fire else 4, "41", "L30.900"
    else:
        h = _h(x, ranks=(3, 2))
        key, prd, gap, mt, dx = "metformin", 28.0, 19 if fire else 20, "14", "E11.900"
        x.opsp_reg.append((p, "M01600", _day(d) - 200))
    for k in (0, gap):
        v = x.out(p, h, d + timedelta(days=k), med_type=mt, diags=(dx,),
                  dise="M01600" if mt == "14" else None)
        x.line(v, key, v.begin + timedelta(minutes=10), prd=prd)


@rule("YP-12")
def yp12(x: Scenarios, i: int, fire: bool) -> None:
    months = (x.end.year - x.start.year) * 12 + x.end.month - x.start.month + 1
    if months < 2:
        return
    m = int(x.rng.integers(0, months - 1))
    ms = month_start(x.start, m)
    h = _h(x, ranks=(3,))
    code = f"YH{h * 100000 + 90000 + len(x.manifest):09d}"
    assert x._cur is not None
    x._cur.fixmedins_code = x.inst.code[h]
    x._cur.item_code = code
    x1 = x.cat.drug_item(x.cat.gen["atorvastatin"], h)
    x2 = x.cat.drug_item(x.cat.gen["rosuvastatin"], h)
    days = [max(ms, x.start) + timedelta(days=k) for k in (2, 6, 10)]
    lines = [(days[0], x1), (days[1], x1), (days[2], x1),
             (days[2] + timedelta(days=4) if fire else month_start(ms, 1), x2)]
    for d, it in lines:
        p = x.person(age=59)
        v = x.out(p, h, d, diags=("E78.500",))
        x.line(v, "", v.begin + timedelta(minutes=10), item=it, medins=code, prd=7.0)


@rule("LJ-01")
def lj01(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=69)
    h = _h(x, ranks=(3, 2))
    d = x.day(0, 32)
    variant = 0 if fire else 1 + i % 3
    dx1, dx2, flag, gap = "I63.900", "I63.800", "0", 15
    if variant == 1:
        gap = 16
    elif variant == 2:
        flag, gap = "1", 10
    elif variant == 3:
        dx1, dx2, gap = "Z51.100", "Z51.100", 10
    los1 = 4 if dx1.startswith("Z51") else 9
    x.stay(p, h, d, los1, diags=(dx1,), rinp=flag)
    x.stay(p, h, d + timedelta(days=los1 + gap), 4, diags=(dx2,))


@rule("LJ-02")
def lj02(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=75)
    d = x.day(0, 8)
    v = x.stay(p, _h(x), d, 5, diags=("I63.900",), daily=False)
    for k in range(5):
        t = x.at(d + timedelta(days=k), 8 if k else 9)
        x.line(v, "bed", t)
        x.line(v, "nursing2", t + timedelta(minutes=1))
        if k == 0:
            x.line(v, "cbc", t + timedelta(minutes=30))
        if k in (0, 4) or (k == 2 and not fire):
            x.line(v, "saline", t + timedelta(hours=1), cnt=2.0)


@rule("LJ-03")
def lj03(x: Scenarios, i: int, fire: bool) -> None:
    code, std = [("I63.900", 14), ("J18.900", 10), ("K80.200", 6)][i % 3]
    limit = int(1.5 * std)
    los = limit + 1 if fire else limit
    p = x.person(age=66)
    d = x.day(0, los + 2)
    x.stay(p, _h(x, ranks=(3, 2)), d, los, diags=(code,))


@rule("LJ-04")
def lj04(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=43)
    h = _h(x, ranks=(3,), licence="CT")
    d = x.day(0, 5)
    near_way = not fire and i % 2 == 1
    v = x.stay(p, h, d, 3, diags=("J18.900",), daily=False, dscg_way="2" if near_way else "1")
    for k in range(3):
        t = x.at(d + timedelta(days=k), 9)
        x.line(v, "bed", t)
        x.line(v, "nursing2", t + timedelta(minutes=1))
        x.line(v, "consult_ip", t + timedelta(minutes=5))
    t = x.at(d, 10)
    for k, key in enumerate(["ct_chest", "cbc", "crp", "liver_pkg", "renal", "electrolyte"]):
        x.line(v, key, t + timedelta(minutes=k))
    exam = sum(a for a, _ in v.amounts[9:])
    target = 600.00 if (fire or near_way) else 599.99
    x.line(v, "special_lab", t + timedelta(minutes=10), pric=round(target - exam, 2))
    rest = round(1000.00 - sum(a for a, _ in v.amounts), 2)
    x.line(v, "ceftriaxone", x.at(d + timedelta(days=1), 11), pric=rest)


@rule("LJ-05")
def lj05(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=51)
    d = x.day(0, 7)
    v = x.visit(p, _h(x), "21", x.at(d, 10), x.at(d + timedelta(days=4), 10),
                diags=("J18.900",))
    for k in range(4):
        t = x.at(d + timedelta(days=k), 11 if k == 0 else 8)
        x.line(v, "bed", t)
        x.line(v, "ceftriaxone", t + timedelta(hours=1))
    after = x.at(d + timedelta(days=5), 10)
    if fire:
        x.line(v, "ceftriaxone", after + timedelta(seconds=1))
        x.line(v, "cbc", x.at(d, 9, 59, 59))
    elif i % 2 == 0:
        x.line(v, "ceftriaxone", after)
    else:
        x.line(v, "cefuroxime", after + timedelta(hours=2), dscg=True, prd=5.0)


@rule("LJ-06")
def lj06(x: Scenarios, i: int, fire: bool) -> None:
    idx = 2 * i + (0 if fire else 1)
    nd = max(1, x.n_days - 10)
    d = x.start + timedelta(days=idx % nd)
    codes = [["J18.900", "J18.000", "J18.100", "J18.900", "J18.800"],
             ["I63.900", "I63.800", "I63.500", "I63.900", "I63.400"],
             ["J44.100", "J44.000", "J44.100", "J44.900", "J44.800"],
             ["I50.900", "I50.000", "I50.100", "I50.900", "I50.000"]][idx // nd % 4]
    for k in range(5):
        if k == 4 and not fire:  # 59 on the admission day, 60 the next day
            p = x.person(brdy=add_years(d + timedelta(days=1), -60))
        else:
            p = x.person(age=62 + 4 * k)
        x.stay(p, x.h_lj06, d, 5 + k % 3, diags=(codes[k],), hour=8 + 2 * k)


@rule("LJ-07")
def lj07(x: Scenarios, i: int, fire: bool) -> None:
    p = x.person(age=46)
    key, lic = [("ct_head", "CT"), ("us_abd", None)][i % 2]
    h1 = _h(x, ranks=(3,), licence=lic)
    h2 = _h(x, ranks=(3, 2), licence=lic)
    d = x.day(0, 32)
    v1 = x.out(p, h1, d, hour=9, minute=0, diags=("R51.X00",))
    x.line(v1, key, x.at(d, 9, 10))
    d2 = d + timedelta(days=30 if fire else 31)
    v2 = x.out(p, h2, d2, hour=10, minute=0, diags=("R51.X00",))
    x.line(v2, key, x.at(d2, 10, 10))


def inject(x: Scenarios, per_rule: int) -> None:
    """Inject ``per_rule`` firing and ``per_rule`` near-miss scenarios for every rule."""
    for rule_id, fn in RULES.items():
        for i in range(per_rule):
            for fire in (True, False):
                x.scenario(rule_id, fire)
                n_before = len(x.manifest)
                fn(x, i, fire)
                if not x.manifest[n_before - 1].psn_no and rule_id != "GL-09":
                    x.manifest.pop(n_before - 1)  # skipped (period too short)
        x._cur = None
