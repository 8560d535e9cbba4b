"""Seeded demo claim batches in which every one of the 46 rules fires.

:func:`generate` returns the claim tables and the knowledge-base tables of
``data-contract.md`` as Arrow tables typed by :mod:`ruledsl.schema.contract`;
:func:`write_demo` writes them as ``<out>/claims/*.parquet`` and ``<out>/kb/*.parquet``
(or CSV).  The data is a vectorised realistic background (:mod:`ruledsl.demo.background`)
plus, for every rule, a handful of injected cases that fire and near-misses that do not
(:mod:`ruledsl.demo.scenarios`).  The same arguments always give the same tables, and the
same Parquet bytes.

Example:
    >>> claims, kb = generate(persons=50, seed=1)
    >>> sorted(claims) == ['diagnosis', 'fee', 'operation', 'person', 'settlement', 'visit']
    True
    >>> kb["icd10"].num_rows > 200
    True
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from ..schema.arrow import arrow_schema
from ..schema.contract import TABLES
from . import catalog as C
from .background import generate_background
from .kb import Catalog, Institutions, build_catalog, build_institutions, year_rows
from .scenarios import Expect, Scenarios, inject, month_start

__all__ = ["DemoData", "build", "generate", "scenarios_per_rule", "write_demo", "write_tables"]

CLAIMS = ("person", "visit", "diagnosis", "operation", "settlement", "fee")
KB = ("institution", "institution_agreement", "equipment_licence", "practitioner", "opsp_reg",
      "drug", "service", "material", "item_pair", "package", "code_set", "pathway",
      "device_rule", "opsp_scope", "icd10")


@dataclass
class DemoData:
    """A generated batch: claim tables, knowledge base and the scenario manifest."""

    claims: dict[str, pa.Table]
    kb: dict[str, pa.Table]
    manifest: list[Expect] = field(default_factory=list)
    seconds: float = 0.0


def scenarios_per_rule(persons: int) -> int:
    """Firing (and near-miss) scenarios injected per rule: ``max(2, persons // 2000)``."""
    return max(2, persons // 2000)


def _typed(name: str, table: pa.Table) -> pa.Table:
    """``table`` with exactly the contract's columns and types."""
    schema = arrow_schema(TABLES[name])
    cols = []
    for f in schema:
        if f.name in table.column_names:
            cols.append(table.column(f.name).cast(f.type))
        else:
            cols.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(cols, schema=schema)


def _sorted(name: str, table: pa.Table) -> pa.Table:
    """Rows sorted by the table's key (or all columns for keyless tables)."""
    key = TABLES[name].key or tuple(table.column_names)
    idx = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in key])
    return table.take(idx)


def _is_sorted(table: pa.Table, col: str) -> bool:
    a = table.column(col).combine_chunks()
    if len(a) < 2:
        return True
    return bool(pc.all(pc.less_equal(a.slice(0, len(a) - 1), a.slice(1))).as_py())


def _kb_tables(cat: Catalog, inst: Institutions, x: Scenarios, start: date, end: date,
               rng: np.random.Generator) -> dict[str, pa.Table]:
    """The knowledge-base tables."""
    out: dict[str, pa.Table] = {}
    out["institution"] = pa.table({
        "fixmedins_code": inst.code, "fixmedins_name": inst.name, "fixmedins_type": inst.type,
        "hosp_lv": inst.hosp_lv, "admdvs": inst.admdvs})
    ag: dict[str, list[object]] = {"fixmedins_code": [], "begndate": [], "enddate": [],
                                   "agre_stas": []}
    years = year_rows(start, end)
    for i, code in enumerate(inst.code):
        if i in x.agreements:
            rows = x.agreements[i]
        elif rng.random() < 0.04:  # a past suspension in the year before the batch
            y = years[0][0].year
            rows = [(date(y, 1, 1), date(y, 5, 31), "1"), (date(y, 6, 1), date(y, 6, 30), "2"),
                    (date(y, 7, 1), date(y, 12, 31), "1")] + [(a, b, "1") for a, b in years[1:]]
        else:
            rows = [(a, b, "1") for a, b in years]
        for b, e, s in rows:
            ag["fixmedins_code"].append(code)
            ag["begndate"].append(b)
            ag["enddate"].append(e)
            ag["agre_stas"].append(s)
    out["institution_agreement"] = pa.table(ag)
    lic: dict[str, list[object]] = {"fixmedins_code": [], "equipment_class": [],
                                    "begndate": [], "enddate": []}
    for i, code in enumerate(inst.code):
        rows = x.licences.get(i) or [
            (e, date(start.year - 2 - (i * 7 + k) % 8, 1 + (i + k) % 12, 1),
             date(end.year + 5, 12, 31)) for k, e in enumerate(inst.licences[i])]
        for e, b, en in rows:
            lic["fixmedins_code"].append(code)
            lic["equipment_class"].append(e)
            lic["begndate"].append(b)
            lic["enddate"].append(en)
    out["equipment_licence"] = pa.table(lic)
    bg = x.bg
    docs = list(zip(bg.doctors, bg.doctor_name, bg.doctor_inst, strict=True)) + x.doctors
    n_docs = len(docs)
    stas = rng.random(n_docs) < 0.01
    beg = [date(start.year - 15, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 5000, n_docs)]
    out["practitioner"] = pa.table({
        "dr_codg": [d[0] for d in docs], "dr_name": [d[1] for d in docs],
        "pract_stas": ["2" if s else "1" for s in stas],
        "stas_begndate": [start - timedelta(days=400) if s else b
                          for s, b in zip(stas, beg, strict=True)],
        "stas_enddate": [start - timedelta(days=300) if s else None for s in stas]})
    regs = bg.opsp_reg + x.opsp_reg
    epoch = date(1970, 1, 1)
    out["opsp_reg"] = pa.table({
        "psn_no": [r[0] for r in regs], "dise_codg": [r[1] for r in regs],
        "begndate": [epoch + timedelta(days=r[2]) for r in regs],
        "enddate": pa.nulls(len(regs), pa.date32())})
    drug: dict[str, list[object]] = {k: [] for k in (
        "med_list_codg", "drug_name", "generic_id", "route", "sex_limit", "child_only",
        "min_hosp_rank", "med_type_scope", "insutype_only", "course_max_days", "line_role",
        "line_group", "indication_set", "herb_rule", "watch")}
    for g, items in zip(cat.generics, cat.gen_items, strict=True):
        for it in items:
            row = [cat.code[it], g.name, f"G-{g.key.upper()}", g.route, g.sex_limit,
                   g.child_only, g.min_rank, g.scope, g.insu_only, g.course, g.role, g.group,
                   g.indication, g.herb_rule, g.watch]
            for k, val in zip(drug, row, strict=True):
                drug[k].append(val)
    out["drug"] = pa.table(drug)
    svc: dict[str, list[object]] = {k: [] for k in (
        "med_list_codg", "item_name", "sex_limit", "min_age", "max_age", "max_per_day",
        "period_days", "period_max", "per_day_group", "price_cap_1", "price_cap_2",
        "price_cap_3", "indication_set", "equipment_class", "exam_group", "is_surgery",
        "course_max_days")}
    for s in C.SERVICES:
        it = cat.svc[s.key]
        caps = cat.price[it, 1:4].tolist() if s.capped else [None, None, None]
        row = [cat.code[it], s.name, s.sex_limit, s.min_age, s.max_age, s.max_per_day,
               s.period_days, s.period_max, s.per_day_group, *caps, s.indication, s.equipment,
               s.exam_group, s.surgery, s.course]
        for k, val in zip(svc, row, strict=True):
            svc[k].append(val)
    out["service"] = pa.table(svc)
    out["material"] = pa.table({
        "med_list_codg": [cat.code[cat.mat[m.key]] for m in C.MATERIALS],
        "material_name": [m.name for m in C.MATERIALS],
        "device_class": [m.device_class for m in C.MATERIALS],
        "watch": [m.watch for m in C.MATERIALS]})
    out["item_pair"] = pa.table({
        "code_a": [cat.code[cat.svc[a]] for a, _, _ in C.ITEM_PAIRS],
        "code_b": [cat.code[cat.svc[b]] for _, b, _ in C.ITEM_PAIRS],
        "period": [p for _, _, p in C.ITEM_PAIRS]})
    pk = [(cat.code[cat.svc[p]], cat.code[cat.svc[c]], price)
          for p, (comps, price) in C.PACKAGES.items() for c in comps]
    out["package"] = pa.table({"package_code": [r[0] for r in pk],
                               "component_code": [r[1] for r in pk],
                               "package_price": [r[2] for r in pk]})
    out["code_set"] = pa.table({"set_id": [r[0] for r in C.CODE_SETS],
                                "code_from": [r[1] for r in C.CODE_SETS],
                                "code_to": [r[2] for r in C.CODE_SETS]})
    path: dict[str, tuple[float, float]] = {}
    for d in C.DISEASES:
        if d.std_los:
            old = path.get(d.code[:3], (0.0, 0.0))
            path[d.code[:3]] = (max(old[0], d.std_los), max(old[1], d.std_cost))
    out["pathway"] = pa.table({"icd3": list(path), "std_los_days": [v[0] for v in path.values()],
                               "std_cost": [v[1] for v in path.values()]})
    out["device_rule"] = pa.table({"device_class": list(C.DEVICE_RULES),
                                   "required_set": list(C.DEVICE_RULES.values())})
    scope = [(k, f"G-{g.upper()}") for k, (_, _, gs) in C.OPSP.items() for g in gs]
    out["opsp_scope"] = pa.table({"dise_codg": [r[0] for r in scope],
                                  "generic_id": [r[1] for r in scope]})
    out["icd10"] = pa.table({"icd3": list(C.ICD10), "title": list(C.ICD10.values())})
    return {name: _sorted(name, _typed(name, t)) for name, t in out.items()}


def build(persons: int, seed: int = 0, start: date = date(2025, 1, 1), months: int = 7,
          lines_per_person: float = 50.0, per_rule: int | None = None) -> DemoData:
    """Generate a batch and its scenario manifest.

    Args:
        persons: background persons (scenario persons come on top).
        seed: the random seed; equal arguments give identical tables.
        start: first day of the period.
        months: length of the period in calendar months (GL-10 needs 7 from a 1st).
        lines_per_person: approximate background fee lines per person over the period.
        per_rule: scenarios per rule and outcome (default :func:`scenarios_per_rule`).
    """
    if persons < 0 or months < 1:
        raise ValueError("persons must be >= 0 and months >= 1")
    t0 = time.perf_counter()
    end = month_start(start, months) - timedelta(days=1)
    cat = build_catalog()
    inst = build_institutions(persons, np.random.default_rng([seed, 2]))
    bg = generate_background(cat, inst, persons, np.random.default_rng(seed), start, end,
                             lines_per_person)
    x = Scenarios(cat, inst, bg, np.random.default_rng([seed, 1]), start, end)
    inject(x, scenarios_per_rule(persons) if per_rule is None else per_rule)
    scn = x.tables()
    claims: dict[str, pa.Table] = {}
    for name in CLAIMS:
        parts = [_typed(name, bg.tables.pop(name))]
        if name in scn and scn[name].num_rows:
            parts.append(_typed(name, scn[name]))
        table = pa.concat_tables(parts)  # background ids precede scenario ids: still sorted
        if name == "operation":
            table = _sorted(name, table)
        claims[name] = table
    kb = _kb_tables(cat, inst, x, start, end, np.random.default_rng([seed, 3]))
    return DemoData(claims, kb, x.manifest, time.perf_counter() - t0)


def generate(persons: int, seed: int = 0, start: date = date(2025, 1, 1), months: int = 7,
             lines_per_person: float = 50.0) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    """Claim tables and knowledge-base tables of a seeded demo batch.

    Args:
        persons: number of background persons (about ``lines_per_person`` fee lines each).
        seed: random seed.
        start: first day of the period.
        months: calendar months covered.
        lines_per_person: approximate fee lines per background person.

    Returns:
        ``(claims, kb)``: dicts of table name -> Arrow table typed by the data contract.
    """
    data = build(persons, seed, start, months, lines_per_person)
    return data.claims, data.kb


def _csv_ready(table: pa.Table) -> pa.Table:
    """Bools as 1/0 (dates and timestamps already print as the contract asks)."""
    cols = []
    for f, col in zip(table.schema, table.columns, strict=True):
        if pa.types.is_boolean(f.type):
            col = pc.if_else(col, pa.scalar("1"), pa.scalar("0"))
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)


def write_tables(folder: Path, tables: dict[str, pa.Table], csv: bool = False) -> None:
    """Write each table as ``<folder>/<name>.parquet`` (or ``.csv``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        for ext in ("parquet", "csv"):
            stale = folder / f"{name}.{ext}"
            if stale.exists():
                stale.unlink()
        if csv:
            pcsv.write_csv(_csv_ready(table), folder / f"{name}.csv",
                           pcsv.WriteOptions(quoting_style="needed"))
        else:
            pq.write_table(table, folder / f"{name}.parquet", compression="zstd")


def write_demo(out_dir: str | Path, persons: int, seed: int = 0, csv: bool = False,
               start: date = date(2025, 1, 1), months: int = 7,
               lines_per_person: float = 50.0) -> DemoData:
    """Generate a batch and write ``<out>/claims/*`` and ``<out>/kb/*``.

    Returns:
        The generated :class:`DemoData` (tables and scenario manifest).
    """
    data = build(persons, seed, start, months, lines_per_person)
    out = Path(out_dir)
    write_tables(out / "claims", data.claims, csv)
    write_tables(out / "kb", data.kb, csv)
    return data
