"""Knowledge base of the demo data: catalogue arrays, institutions and the KB tables.

:class:`Catalog` turns the static lists of :mod:`ruledsl.demo.catalog` into national-looking
codes and numpy lookup arrays (one row per catalogue *item*: a drug code, a service or a
material).  :class:`Institutions` holds the hospitals, clinics and pharmacies (scaled with the
number of persons) and is extended by the scenario injector with a few dedicated institutions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from . import catalog as C

LIST_TYPES = ("101", "102", "201", "301")
EQUIPMENT = ("CT", "MRI", "DSA", "PET-CT", "LINAC")
_ROUTE_LETTER = {"oral": "A", "injection": "B", "external": "C", "other": "D"}


def r2(x: float) -> float:
    """Round half away from zero to 0.01 (rules-46.md §0.5, with the 1e-6 guard)."""
    s = -1.0 if x < 0 else 1.0
    return s * float(np.floor(abs(x) * 100 + 0.5 + 1e-6)) / 100


def r2v(x: np.ndarray) -> np.ndarray:
    """Vectorised :func:`r2`."""
    return np.sign(x) * np.floor(np.abs(x) * 100 + 0.5 + 1e-6) / 100


@dataclass
class Catalog:
    """Catalogue items (drug codes, services, materials) as parallel arrays.

    Attributes:
        code: national code (``med_list_codg``) of each item.
        name: display name.
        kind: 0 drug, 1 service, 2 material.
        list_type: index into :data:`LIST_TYPES`.
        chrg: ``med_chrgitm_type``.
        price: (n, 4) price billed at an institution of rank 0..3.
        generic: generic index of a drug item, else -1.
        oral: drug route is oral.
        min_rank: drug ``min_hosp_rank`` (0 = none).
        equipment: index into :data:`EQUIPMENT` or -1.
        course: drug ``course_max_days`` (0 = none).
    """

    code: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    list_type: list[int] = field(default_factory=list)
    chrg: list[str] = field(default_factory=list)
    price_rows: list[tuple[float, float, float, float]] = field(default_factory=list)
    generic: list[int] = field(default_factory=list)
    oral: list[bool] = field(default_factory=list)
    min_rank: list[int] = field(default_factory=list)
    equipment: list[int] = field(default_factory=list)
    course: list[int] = field(default_factory=list)
    svc: dict[str, int] = field(default_factory=dict)
    mat: dict[str, int] = field(default_factory=dict)
    gen: dict[str, int] = field(default_factory=dict)
    gen_items: list[list[int]] = field(default_factory=list)
    generics: list[C.Generic] = field(default_factory=list)
    services: dict[str, C.Service] = field(default_factory=dict)

    # numpy views, filled by :meth:`freeze`
    price: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    var_items: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.int64))
    n_var: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def _add(self, code: str, name: str, kind: int, lt: int, chrg: str,
             prices: tuple[float, float, float, float], generic: int = -1, oral: bool = False,
             min_rank: int = 0, equipment: int = -1, course: int = 0) -> int:
        self.code.append(code)
        self.name.append(name)
        self.kind.append(kind)
        self.list_type.append(lt)
        self.chrg.append(chrg)
        self.price_rows.append(prices)
        self.generic.append(generic)
        self.oral.append(oral)
        self.min_rank.append(min_rank)
        self.equipment.append(equipment)
        self.course.append(course)
        return len(self.code) - 1

    def freeze(self) -> None:
        """Build the numpy arrays used by the vectorised generator."""
        self.price = np.array(self.price_rows, dtype=np.float64)
        self.kind_a = np.array(self.kind, np.int8)
        self.lt_a = np.array(self.list_type, np.int8)
        self.generic_a = np.array(self.generic, np.int64)
        self.oral_a = np.array(self.oral, bool)
        self.min_rank_a = np.array(self.min_rank, np.int8)
        self.equipment_a = np.array(self.equipment, np.int8)
        self.course_a = np.array(self.course, np.int32)
        n = len(self.gen_items)
        self.var_items = np.zeros((n, 3), np.int64)
        self.n_var = np.zeros(n, np.int64)
        for g, items in enumerate(self.gen_items):
            self.n_var[g] = len(items)
            for j in range(3):
                self.var_items[g, j] = items[j % len(items)]
        chrg_codes = sorted(set(self.chrg))
        self.chrg_values = chrg_codes
        self.chrg_a = np.array([chrg_codes.index(c) for c in self.chrg], np.int8)

    def item(self, key: str, variant: int = 0) -> int:
        """Item index of a service/material key or of a drug generic key (its variant)."""
        if key in self.svc:
            return self.svc[key]
        if key in self.mat:
            return self.mat[key]
        items = self.gen_items[self.gen[key]]
        return items[variant % len(items)]

    def drug_item(self, generic: int, inst: int) -> int:
        """The code of a generic an institution stocks (one manufacturer per institution)."""
        return int(self.var_items[generic, inst % self.n_var[generic]])


def build_catalog() -> Catalog:
    """Codes and price arrays of every drug, service and material."""
    cat = Catalog()
    for gi, g in enumerate(C.GENERICS):
        cat.gen[g.key] = gi
        cat.generics.append(g)
        items = []
        for v in range(g.variants):
            mfr = (gi * 7919 + v * 104729 + 1237) % 100000
            if g.kind == "west":
                code = f"X{g.atc}{_ROUTE_LETTER[g.route]}{gi:03d}A{v + 1:03d}0101{mfr:05d}"
                lt, chrg = 0, "09"
            elif g.kind == "tcm":
                code = f"Z{g.atc[1:]}AAL{gi:04d}{v + 1:03d}0101{mfr:05d}"
                lt, chrg = 0, "11"
            else:
                code = f"T00{gi:04d}{(gi * 397) % 1000:03d}"
                lt, chrg = 1, "10"
            price = round(g.price * (1 + 0.08 * v), 2)
            items.append(cat._add(code, g.name, 0, lt, chrg, (price,) * 4, generic=gi,
                                  oral=g.route == "oral", min_rank=g.min_rank or 0,
                                  course=g.course or 0))
        cat.gen_items.append(items)
    seq: dict[str, int] = {}
    for s in C.SERVICES:
        seq[s.cat] = seq.get(s.cat, 0) + 1
        code = f"00{s.cat}{seq[s.cat]:05d}0000"
        p3 = s.price
        if s.flat or not s.capped:
            prices = (p3, p3, p3, p3)
        else:
            p1, p2 = r2(0.8 * p3), r2(0.9 * p3)
            prices = (p1, p1, p2, p3)
        eq = EQUIPMENT.index(s.equipment) if s.equipment else -1
        cat.svc[s.key] = cat._add(code, s.name, 1, 2, s.chrg, prices, equipment=eq)
        cat.services[s.key] = s
    for mi, m in enumerate(C.MATERIALS):
        mfr = (mi * 3571 + 911) % 1000000
        code = f"C{m.cls}{1 + mi % 3:02d}{1 + mi % 5:02d}{mi + 1:03d}{(mi * 37) % 10000:04d}{mfr:06d}"
        cat.mat[m.key] = cat._add(code, m.name, 2, 3, "08", (m.price,) * 4)
    cat.freeze()
    return cat


# --------------------------------------------------------------------------- institutions
HOSP_RANK = {"01": 3, "02": 3, "03": 3, "04": 3, "05": 2, "06": 2, "07": 2, "08": 1,
             "09": 1, "10": 1, "11": 0}


@dataclass
class Institutions:
    """Hospitals, clinics and pharmacies (定点医药机构) as parallel lists."""

    code: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    hosp_lv: list[str] = field(default_factory=list)
    admdvs: list[str] = field(default_factory=list)
    licences: list[tuple[str, ...]] = field(default_factory=list)
    background: list[bool] = field(default_factory=list)
    _seq: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, admdvs: str, hosp_lv: str, kind: str = "1",
            licences: tuple[str, ...] = (), background: bool = True) -> int:
        """Append an institution; returns its index."""
        letter = "H" if kind == "1" else "P"
        self._seq[letter + admdvs] = self._seq.get(letter + admdvs, 0) + 1
        self.code.append(f"{letter}{admdvs}{self._seq[letter + admdvs]:05d}")
        self.name.append(name)
        self.type.append(kind)
        self.hosp_lv.append(hosp_lv)
        self.admdvs.append(admdvs)
        self.licences.append(licences)
        self.background.append(background)
        return len(self.code) - 1

    @property
    def rank(self) -> np.ndarray:
        """hosp_rank of every institution."""
        return np.array([HOSP_RANK.get(lv, 0) for lv in self.hosp_lv], np.int8)

    def find(self, *, kind: str = "1", ranks: tuple[int, ...] = (0, 1, 2, 3),
             city: str | None = None, not_city: str | None = None,
             licence: str | None = None) -> list[int]:
        """Background institutions matching the filters."""
        memo_key = (kind, ranks, city, not_city, licence, len(self.code))
        memo = self.__dict__.setdefault("_memo", {})
        if memo_key in memo:
            return list(memo[memo_key])
        out = []
        for i in range(len(self.code)):
            if not self.background[i] or self.type[i] != kind:
                continue
            if HOSP_RANK.get(self.hosp_lv[i], 0) not in ranks:
                continue
            if city is not None and not self.admdvs[i].startswith(city):
                continue
            if not_city is not None and self.admdvs[i].startswith(not_city):
                continue
            if licence is not None and licence not in self.licences[i]:
                continue
            out.append(i)
        memo[memo_key] = out
        return list(out)


def build_institutions(persons: int, rng: np.random.Generator) -> Institutions:
    """Named hospitals plus primary-care centres, clinics and pharmacies scaled to ``persons``."""
    inst = Institutions()
    for name, adm, lv, lic in C.HOSPITALS:
        inst.add(name, adm, lv, licences=lic)
    districts = list(C.DISTRICTS)
    w = np.array([C.DISTRICT_WEIGHT[d] for d in districts], float)
    w /= w.sum()
    n_primary = int(np.clip(persons // 900, 8, 400))
    n_clinic = int(np.clip(persons // 5000, 2, 60))
    n_pharm = int(np.clip(persons // 700, 6, 500))
    used: set[str] = set()

    def unique(name: str) -> str:
        base, k = name, 1
        while name in used:
            k += 1
            name = f"{base}（第{k}分部）" if not base.endswith("店") else f"{base[:-1]}第{k}分店"
        used.add(name)
        return name

    for adm in rng.choice(districts, size=n_primary, p=w):
        city, dist = C.DISTRICTS[adm]
        place = C.PLACES[adm][int(rng.integers(len(C.PLACES[adm])))]
        suffix = "卫生院" if place.endswith(("镇", "乡")) else "社区卫生服务中心"
        lv = str(rng.choice(["08", "08", "09", "10"]))
        inst.add(unique(f"{city}{dist}{place}{suffix}"), str(adm), lv)
    for adm in rng.choice(districts, size=n_clinic, p=w):
        city, dist = C.DISTRICTS[adm]
        nm = C.PRIVATE_CLINICS[int(rng.integers(len(C.PRIVATE_CLINICS)))]
        inst.add(unique(f"{city}{dist}{nm}"), str(adm), "11")
    for adm in rng.choice(districts, size=n_pharm, p=w):
        chain = C.PHARMACY_CHAINS[int(rng.integers(len(C.PHARMACY_CHAINS)))]
        place = C.PLACES[adm][int(rng.integers(len(C.PLACES[adm])))]
        inst.add(unique(f"宁夏{chain}{place}店"), str(adm), "11", kind="2")
    return inst


def year_rows(start: date, end: date) -> list[tuple[date, date]]:
    """Calendar-year agreement periods covering the year before ``start`` up to ``end``."""
    return [(date(y, 1, 1), date(y, 12, 31)) for y in range(start.year - 1, end.year + 2)]
