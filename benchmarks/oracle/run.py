"""Independent DuckDB-SQL oracle for the 46 audit rules of ``rules-46.md``.

The rules are hand-written SQL, one file per rule under ``sql/`` (plus ``sql/_prelude.sql``,
which applies the contract's hygiene once and defines the shared macros and derived tables).
Rule parameters are ``{{name}}`` placeholders rendered from :data:`PARAM_DEFAULTS` (a run may
override them).

Usage::

    python -m benchmarks.oracle.run --claims DIR --kb DIR -o OUT.parquet [--rules ZL-01 ...]
        [--threads N] [--param ZL-04.price_tol=0.01 ...]

or, from Python, :func:`run_oracle`.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

SQL_DIR = Path(__file__).resolve().parent / "sql"

# --------------------------------------------------------------------------- data contract
# (column, contract type) per table, data-contract.md §2-§3.
CLAIM_TABLES: dict[str, list[tuple[str, str]]] = {
    "person": [
        ("psn_no", "str"),
        ("gend", "str"),
        ("brdy", "date"),
        ("insutype", "str"),
        ("insu_admdvs", "str"),
        ("insu_begn_date", "date"),
        ("insu_end_date", "date"),
        ("die_date", "date"),
    ],
    "visit": [
        ("mdtrt_id", "str"),
        ("psn_no", "str"),
        ("fixmedins_code", "str"),
        ("med_type", "str"),
        ("begntime", "ts"),
        ("endtime", "ts"),
        ("dise_codg", "str"),
        ("dscg_way", "str"),
        ("days_rinp_flag_31", "str"),
        ("atddr_no", "str"),
    ],
    "diagnosis": [
        ("mdtrt_id", "str"),
        ("diag_srt_no", "i32"),
        ("diag_code", "str"),
        ("maindiag_flag", "str"),
    ],
    "operation": [("mdtrt_id", "str"), ("oprn_oprt_code", "str"), ("oprn_oprt_date", "ts")],
    "settlement": [
        ("setl_id", "str"),
        ("mdtrt_id", "str"),
        ("psn_no", "str"),
        ("fixmedins_code", "str"),
        ("setl_time", "ts"),
        ("medfee_sumamt", "f64"),
        ("hifp_pay", "f64"),
        ("fund_pay_sumamt", "f64"),
        ("acct_pay", "f64"),
        ("psn_cash_pay", "f64"),
        ("vali_flag", "str"),
    ],
    "fee": [
        ("feedetl_sn", "str"),
        ("mdtrt_id", "str"),
        ("setl_id", "str"),
        ("psn_no", "str"),
        ("fee_ocur_time", "ts"),
        ("med_list_codg", "str"),
        ("medins_list_codg", "str"),
        ("list_type", "str"),
        ("med_chrgitm_type", "str"),
        ("cnt", "f64"),
        ("pric", "f64"),
        ("det_item_fee_sumamt", "f64"),
        ("bilg_dr_codg", "str"),
        ("prd_days", "f64"),
        ("dscg_tkdrug_flag", "str"),
        ("rxno", "str"),
        ("vali_flag", "str"),
    ],
}
KB_TABLES: dict[str, list[tuple[str, str]]] = {
    "institution": [
        ("fixmedins_code", "str"),
        ("fixmedins_name", "str"),
        ("fixmedins_type", "str"),
        ("hosp_lv", "str"),
        ("admdvs", "str"),
    ],
    "institution_agreement": [
        ("fixmedins_code", "str"),
        ("begndate", "date"),
        ("enddate", "date"),
        ("agre_stas", "str"),
    ],
    "equipment_licence": [
        ("fixmedins_code", "str"),
        ("equipment_class", "str"),
        ("begndate", "date"),
        ("enddate", "date"),
    ],
    "practitioner": [
        ("dr_codg", "str"),
        ("dr_name", "str"),
        ("pract_stas", "str"),
        ("stas_begndate", "date"),
        ("stas_enddate", "date"),
    ],
    "opsp_reg": [
        ("psn_no", "str"),
        ("dise_codg", "str"),
        ("begndate", "date"),
        ("enddate", "date"),
    ],
    "drug": [
        ("med_list_codg", "str"),
        ("drug_name", "str"),
        ("generic_id", "str"),
        ("route", "str"),
        ("sex_limit", "str"),
        ("child_only", "bool"),
        ("min_hosp_rank", "i32"),
        ("med_type_scope", "str"),
        ("insutype_only", "str"),
        ("course_max_days", "i32"),
        ("line_role", "str"),
        ("line_group", "str"),
        ("indication_set", "str"),
        ("herb_rule", "str"),
        ("watch", "bool"),
    ],
    "service": [
        ("med_list_codg", "str"),
        ("item_name", "str"),
        ("sex_limit", "str"),
        ("min_age", "i32"),
        ("max_age", "i32"),
        ("max_per_day", "f64"),
        ("period_days", "i32"),
        ("period_max", "f64"),
        ("per_day_group", "str"),
        ("price_cap_1", "f64"),
        ("price_cap_2", "f64"),
        ("price_cap_3", "f64"),
        ("indication_set", "str"),
        ("equipment_class", "str"),
        ("exam_group", "str"),
        ("is_surgery", "bool"),
        ("course_max_days", "i32"),
    ],
    "material": [
        ("med_list_codg", "str"),
        ("material_name", "str"),
        ("device_class", "str"),
        ("watch", "bool"),
    ],
    "item_pair": [("code_a", "str"), ("code_b", "str"), ("period", "str")],
    "package": [("package_code", "str"), ("component_code", "str"), ("package_price", "f64")],
    "code_set": [("set_id", "str"), ("code_from", "str"), ("code_to", "str")],
    "pathway": [("icd3", "str"), ("std_los_days", "f64"), ("std_cost", "f64")],
    "device_rule": [("device_class", "str"), ("required_set", "str")],
    "opsp_scope": [("dise_codg", "str"), ("generic_id", "str")],
    "icd10": [("icd3", "str"), ("title", "str")],
}
OPTIONAL_TABLES = {"operation", "practitioner", "opsp_reg"}
SQL_TYPES = {
    "str": "VARCHAR",
    "date": "DATE",
    "ts": "TIMESTAMP",
    "f64": "DOUBLE",
    "i32": "INTEGER",
    "bool": "BOOLEAN",
}

# Hygiene and the fee line -> visit navigation read these for every rule; other tables a rule
# does not need may be absent (they are then empty).
PRELUDE_TABLES = {"fee", "settlement", "visit"}

RULE_IDS = [
    "ZL-01",
    "ZL-02",
    "ZL-03",
    "ZL-04",
    "ZL-05",
    "ZL-06",
    "ZL-07",
    "ZL-08",
    "ZL-09",
    "ZL-10",
    "GL-01",
    "GL-02",
    "GL-03",
    "GL-04",
    "GL-05",
    "GL-06",
    "GL-07",
    "GL-08",
    "GL-09",
    "GL-10",
    "ZD-01",
    "ZD-02",
    "ZD-03",
    "ZD-04",
    "ZD-05",
    "ZD-06",
    "ZD-07",
    "YP-01",
    "YP-02",
    "YP-03",
    "YP-04",
    "YP-05",
    "YP-06",
    "YP-07",
    "YP-08",
    "YP-09",
    "YP-10",
    "YP-11",
    "YP-12",
    "LJ-01",
    "LJ-02",
    "LJ-03",
    "LJ-04",
    "LJ-05",
    "LJ-06",
    "LJ-07",
]

# "tables used" of each rule (rules-46.md), for the missing-table error.
RULE_TABLES: dict[str, list[str]] = {
    "ZL-01": ["fee", "person", "visit", "service"],
    "ZL-02": ["fee", "person", "visit", "service"],
    "ZL-03": ["fee", "visit", "item_pair"],
    "ZL-04": ["fee", "visit", "institution", "service"],
    "ZL-05": ["fee", "service"],
    "ZL-06": ["fee", "service"],
    "ZL-07": ["fee", "visit", "service"],
    "ZL-08": ["fee", "visit", "institution", "service"],
    "ZL-09": ["fee", "visit", "package"],
    "ZL-10": ["fee", "visit", "service", "equipment_licence"],
    "GL-01": ["settlement", "visit"],
    "GL-02": ["visit", "settlement"],
    "GL-03": ["settlement", "institution"],
    "GL-04": ["visit", "person", "settlement"],
    "GL-05": ["visit", "settlement"],
    "GL-06": ["visit", "settlement"],
    "GL-07": ["settlement", "institution_agreement"],
    "GL-08": ["settlement", "institution"],
    "GL-09": ["fee"],
    "GL-10": ["fee", "visit", "drug", "material"],
    "ZD-01": ["visit", "person", "diagnosis", "settlement", "code_set"],
    "ZD-02": ["visit", "person", "diagnosis", "settlement", "code_set"],
    "ZD-03": ["fee", "visit", "diagnosis", "drug", "code_set"],
    "ZD-04": ["fee", "visit", "diagnosis", "service", "code_set"],
    "ZD-05": ["fee", "visit", "diagnosis", "material", "device_rule", "code_set"],
    "ZD-06": ["visit", "fee", "diagnosis", "icd10"],
    "ZD-07": ["fee", "visit", "drug", "opsp_scope"],
    "YP-01": ["fee", "person", "visit", "drug"],
    "YP-02": ["fee", "person", "visit", "drug"],
    "YP-03": ["fee", "visit", "institution", "drug"],
    "YP-04": ["fee", "visit", "drug"],
    "YP-05": ["fee", "person", "visit", "drug"],
    "YP-06": ["fee", "visit", "drug"],
    "YP-07": ["fee", "visit", "drug"],
    "YP-08": ["fee", "visit", "drug"],
    "YP-09": ["fee", "visit", "drug"],
    "YP-10": ["fee", "visit", "drug"],
    "YP-11": ["fee", "visit", "drug"],
    "YP-12": ["fee", "visit"],
    "LJ-01": ["visit", "diagnosis", "settlement", "code_set"],
    "LJ-02": ["visit", "fee"],
    "LJ-03": ["visit", "diagnosis", "settlement", "pathway"],
    "LJ-04": ["visit", "fee", "settlement"],
    "LJ-05": ["fee", "visit"],
    "LJ-06": ["visit", "person", "diagnosis", "settlement"],
    "LJ-07": ["fee", "visit", "service"],
}

# --------------------------------------------------------------------------- parameters
# Spec defaults per rule: name -> (type, default).  Types: int, f64, str, set (of str).
PARAM_DEFAULTS: dict[str, dict[str, tuple[str, Any]]] = {
    "ZL-04": {"price_tol": ("f64", 0.005)},
    "ZL-07": {"los_tol": ("int", 1)},
    "ZL-08": {"min_surgeries": ("int", 2), "secondary_ratio": ("f64", 0.5)},
    "ZL-09": {"min_components": ("int", 2)},
    "GL-01": {
        "outpatient_min": ("f64", 5000.0),
        "pharmacy_min": ("f64", 2000.0),
        "inpatient_min": ("f64", 100000.0),
    },
    "GL-02": {"window_days": ("int", 30), "max_visits": ("int", 10)},
    "GL-03": {"max_gap_min": ("int", 60), "city_len": ("int", 4)},
    "GL-05": {"excluded_med_types": ("set", frozenset({"13"}))},
    "GL-06": {"min_overlap_days": ("int", 1)},
    "GL-08": {"window_min": ("int", 10), "min_settlements": ("int", 8)},
    "GL-09": {"max_patients": ("int", 100)},
    "GL-10": {
        "n_months": ("int", 6),
        "growth_factor": ("f64", 2.0),
        "min_active_months": ("int", 3),
        "min_increase": ("f64", 50000.0),
    },
    "ZD-01": {"female_set": ("str", "sex_female_only"), "male_set": ("str", "sex_male_only")},
    "ZD-02": {
        "newborn_set": ("str", "age_newborn"),
        "newborn_max_days": ("int", 28),
        "maternity_set": ("str", "age_maternity"),
        "maternity_min_age": ("int", 12),
        "maternity_max_age": ("int", 55),
    },
    "ZD-07": {"opsp_med_types": ("set", frozenset({"14"}))},
    "YP-02": {"adult_age": ("int", 18)},
    "YP-05": {
        "maternity_insutypes": ("set", frozenset({"510"})),
        "maternity_med_types": ("set", frozenset({"51", "52"})),
    },
    "YP-06": {"episode_gap_days": ("f64", 90.0)},
    "YP-07": {"lookback_days": ("int", 90)},
    "YP-08": {"single_max": ("int", 1)},
    "YP-09": {
        "limit_general": ("f64", 7.0),
        "limit_emergency": ("f64", 3.0),
        "limit_chronic": ("f64", 28.0),
    },
    "YP-10": {"discharge_limit": ("f64", 7.0)},
    "YP-11": {"refill_ratio": ("f64", 0.7)},
    "YP-12": {"min_codes": ("int", 2)},
    "LJ-01": {"max_gap_days": ("int", 15), "planned_set": ("str", "planned_readmission")},
    "LJ-02": {
        "min_los": ("int", 5),
        "idle_types": ("set", frozenset({"01", "02", "07", "12"})),
        "min_idle_run": ("int", 3),
    },
    "LJ-03": {"los_factor": ("f64", 1.5)},
    "LJ-04": {
        "max_los": ("int", 3),
        "exam_types": ("set", frozenset({"03", "04"})),
        "surgery_type": ("str", "06"),
        "exam_share": ("f64", 0.6),
        "excluded_dscg_ways": ("set", frozenset({"2", "5"})),
    },
    "LJ-05": {"post_hours": ("int", 24)},
    "LJ-06": {"min_age": ("int", 60), "min_persons": ("int", 5)},
    "LJ-07": {"repeat_days": ("int", 30)},
}

OUTPUT_SCHEMA = pa.schema(
    [
        ("rule_id", pa.string()),
        ("rule_name", pa.string()),
        ("category", pa.string()),
        ("result_type", pa.string()),
        ("level", pa.string()),
        ("feedetl_sn", pa.string()),
        ("mdtrt_id", pa.string()),
        ("setl_id", pa.string()),
        ("psn_no", pa.string()),
        ("fixmedins_code", pa.string()),
        ("dr_codg", pa.string()),
        ("item_code", pa.string()),
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
        ("vola_amt", pa.float64()),
        ("message", pa.string()),
        ("lines", pa.list_(pa.string())),
    ]
)
SORT_KEYS = [
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
]


def _query_arrow(con: Any, sql: str) -> pa.Table:
    """Arrow table of a query (``to_arrow_table`` in duckdb 2, ``arrow`` before)."""
    rel = con.sql(sql)
    fn = getattr(rel, "to_arrow_table", None)
    return fn() if fn is not None else rel.arrow()


def _sql_str(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def render_param(ptype: str, value: Any) -> str:
    """A parameter value as a DuckDB literal of the parameter's type."""
    if ptype == "int":
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"integer parameter given {value!r}")
        return str(int(value))
    if ptype == "f64":
        return f"CAST({float(value)!r} AS DOUBLE)"
    if ptype == "str":
        return _sql_str(value)
    if ptype == "set":
        if isinstance(value, str):
            value = [value]
        items = sorted({str(x) for x in value})
        return "CAST([" + ", ".join(_sql_str(x) for x in items) + "] AS VARCHAR[])"
    raise ValueError(f"unknown parameter type {ptype}")


def rule_params(
    rule_id: str, overrides: dict[str, Any] | None = None
) -> dict[str, tuple[str, Any]]:
    params = dict(PARAM_DEFAULTS.get(rule_id, {}))
    for name, value in (overrides or {}).items():
        if name not in params:
            raise KeyError(f"{rule_id} has no parameter {name!r}")
        params[name] = (params[name][0], value)
    return params


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def render_rule_sql(rule_id: str, overrides: dict[str, Any] | None = None) -> str:
    """The rule's SQL with its parameters substituted."""
    text = (SQL_DIR / f"{rule_id}.sql").read_text(encoding="utf-8")
    params = rule_params(rule_id, overrides)

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in params:
            raise KeyError(f"{rule_id}.sql uses unknown parameter {name!r}")
        return render_param(*params[name])

    return _PLACEHOLDER.sub(sub, text).strip().rstrip(";")


# --------------------------------------------------------------------------- loading
def _typed_view_sql(name: str, cols: list[tuple[str, str]], present: set[str] | None) -> str:
    parts = []
    for col, ctype in cols:
        sql_type = SQL_TYPES[ctype]
        if present is None or col not in present:
            parts.append(f"CAST(NULL AS {sql_type}) AS {col}")
        elif ctype == "bool":
            # bool: true/false, 1/0 (CSV); anything else -> null
            parts.append(
                f"CASE lower(trim(CAST({col} AS VARCHAR))) WHEN 'true' THEN true WHEN '1' THEN true"
                f" WHEN 'false' THEN false WHEN '0' THEN false END AS {col}"
            )
        elif ctype == "ts":
            # whole seconds (contract §1): any unit -> TIMESTAMP, sub-second part dropped
            parts.append(f"date_trunc('second', CAST({col} AS TIMESTAMP)) AS {col}")
        else:
            parts.append(f"CAST({col} AS {sql_type}) AS {col}")
    src = f"raw_{name}" if present is not None else "(SELECT 1 WHERE false)"
    return f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {', '.join(parts)} FROM {src}"


def _needed_tables(rules: list[str]) -> set[str]:
    need = set(PRELUDE_TABLES)
    for r in rules:
        need.update(RULE_TABLES[r])
    return need


def run_oracle(
    claims: dict[str, pa.Table],
    kb: dict[str, pa.Table],
    rules: list[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    threads: int | None = None,
    timings: dict[str, float] | None = None,
) -> pa.Table:
    """Evaluate the rules over in-memory Arrow tables; return the violations table (§4)."""
    import duckdb

    rules = list(RULE_IDS if rules is None else rules)
    unknown = [r for r in rules if r not in RULE_IDS]
    if unknown:
        raise ValueError(f"unknown rule ids: {unknown}")
    params = params or {}
    tables = {**claims, **kb}
    needed = _needed_tables(rules)
    missing = sorted(t for t in needed if t not in tables and t not in OPTIONAL_TABLES)
    if missing:
        msgs = []
        for t in missing:
            users = [r for r in rules if t in RULE_TABLES[r]] or ["(all rules: hygiene)"]
            msgs.append(f"table {t!r} is missing; needed by {', '.join(users)}")
        raise FileNotFoundError("; ".join(msgs))

    con = duckdb.connect(":memory:")
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.execute("SET preserve_insertion_order = false")
        try:  # tz-aware timestamps are read as UTC wall time, whatever the machine's zone
            con.execute("SET TimeZone = 'UTC'")
        except Exception:  # pragma: no cover - duckdb built without ICU
            pass
        for name, cols in {**CLAIM_TABLES, **KB_TABLES}.items():
            if name in tables and tables[name] is not None:
                tbl = tables[name]
                con.register(f"raw_{name}", tbl)
                present = set(tbl.column_names)
            else:
                present = None
            con.execute(_typed_view_sql(name, cols, present))
        t0 = time.perf_counter()
        con.execute((SQL_DIR / "_prelude.sql").read_text(encoding="utf-8"))
        if timings is not None:
            timings["_prelude"] = time.perf_counter() - t0
        parts = []
        for rid in rules:
            sql = render_rule_sql(rid, params.get(rid))
            t0 = time.perf_counter()
            res = _query_arrow(
                con,
                f"""
                SELECT CAST(rule_id AS VARCHAR) AS rule_id, CAST(rule_name AS VARCHAR) AS rule_name,
                       CAST(category AS VARCHAR) AS category,
                       CAST(result_type AS VARCHAR) AS result_type, CAST(level AS VARCHAR) AS level,
                       CAST(feedetl_sn AS VARCHAR) AS feedetl_sn, CAST(mdtrt_id AS VARCHAR) AS mdtrt_id,
                       CAST(setl_id AS VARCHAR) AS setl_id, CAST(psn_no AS VARCHAR) AS psn_no,
                       CAST(fixmedins_code AS VARCHAR) AS fixmedins_code,
                       CAST(dr_codg AS VARCHAR) AS dr_codg, CAST(item_code AS VARCHAR) AS item_code,
                       CAST(period_start AS DATE) AS period_start, CAST(period_end AS DATE) AS period_end,
                       amt_out(vola_amt) AS vola_amt,
                       coalesce(CAST(message AS VARCHAR), '') AS message,
                       list_sort(list_distinct(coalesce(CAST(lines AS VARCHAR[]), CAST([] AS VARCHAR[])))) AS lines
                FROM ({sql}) AS q""",
            )
            if timings is not None:
                timings[rid] = time.perf_counter() - t0
            parts.append(res.cast(OUTPUT_SCHEMA))
        allv = pa.concat_tables(parts) if parts else OUTPUT_SCHEMA.empty_table()
        con.register("allv", allv)
        order = ", ".join(f"{k} ASC NULLS FIRST" for k in SORT_KEYS)
        out = _query_arrow(con, f"SELECT * FROM allv ORDER BY {order}")
        return out.cast(OUTPUT_SCHEMA).combine_chunks()
    finally:
        con.close()


def read_folder(folder: str | Path, names: list[str]) -> dict[str, pa.Table]:
    """Read ``<name>.parquet`` or ``<name>.csv`` for each table present in the folder."""
    import pyarrow.parquet as pq

    folder = Path(folder)
    out: dict[str, pa.Table] = {}
    for name in names:
        pqf, csvf = folder / f"{name}.parquet", folder / f"{name}.csv"
        if pqf.exists():
            out[name] = pq.read_table(pqf)
        elif csvf.exists():
            import duckdb

            con = duckdb.connect(":memory:")
            try:
                out[name] = _query_arrow(
                    con,
                    f"SELECT * FROM read_csv({_sql_str(str(csvf))}, header = true, "
                    "all_varchar = true, encoding = 'utf-8')",
                )
            finally:
                con.close()
    return out


def _parse_param(spec: str) -> tuple[str, str, Any]:
    key, _, raw = spec.partition("=")
    rid, _, name = key.partition(".")
    ptype = PARAM_DEFAULTS[rid][name][0]
    value: Any
    if ptype == "int":
        value = int(raw)
    elif ptype == "f64":
        value = float(raw)
    elif ptype == "set":
        value = frozenset(x for x in raw.split(",") if x)
    else:
        value = raw
    return rid, name, value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.oracle.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--claims", required=True, help="claims folder")
    ap.add_argument("--kb", required=True, help="knowledge-base folder")
    ap.add_argument("-o", "--output", required=True, help="output .parquet (or .csv)")
    ap.add_argument("--rules", nargs="*", default=None, help="rule ids (default: all 46)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument(
        "--param",
        action="append",
        default=[],
        help="override a parameter: RULE.name=value (sets comma-separated)",
    )
    ap.add_argument("--timings", action="store_true", help="print per-rule seconds to stderr")
    args = ap.parse_args(argv)

    params: dict[str, dict[str, Any]] = {}
    for spec in args.param:
        rid, name, value = _parse_param(spec)
        params.setdefault(rid, {})[name] = value
    claims = read_folder(args.claims, list(CLAIM_TABLES))
    kb = read_folder(args.kb, list(KB_TABLES))
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    out = run_oracle(
        claims, kb, rules=args.rules, params=params, threads=args.threads, timings=timings
    )
    total = time.perf_counter() - t0
    dest = Path(args.output)
    if dest.suffix.lower() == ".csv":
        import json

        import pyarrow.csv as pcsv

        lines = [json.dumps(x, ensure_ascii=False) for x in out.column("lines").to_pylist()]
        out = out.set_column(out.schema.get_field_index("lines"), "lines", pa.array(lines))
        pcsv.write_csv(out, dest)
    else:
        import pyarrow.parquet as pq

        pq.write_table(out, dest)
    if args.timings:
        for k, sec in timings.items():
            print(f"{k}\t{sec:.3f}s", file=sys.stderr)
    print(f"{out.num_rows} violations in {total:.2f}s -> {dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
