"""Row-at-a-time peers: GoRules ZEN on the line-level rules, and a person sample of a batch.

ZEN (``zen-engine``) evaluates a JSON decision model (JDM) one context at a time. Rules that
look at a single fee line and its catalogue rows can be written in it; the joins a line needs
(person, visit, institution, service / drug catalogue) and the completed-years age are done
beforehand in Python (vectorised, with Polars) and handed to ZEN as one dict per line. The model
(``benchmarks/zen/line_rules.json``) is a decision table choosing the price cap by hospital
rank, followed by an expression node with one condition and one amount per rule.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

LINE_RULES = ["ZL-01", "ZL-02", "ZL-04", "YP-01", "YP-02", "YP-03", "YP-04", "YP-05", "YP-09",
              "YP-10", "LJ-05"]
MODEL_PATH = Path(__file__).resolve().parent / "zen" / "line_rules.json"
if str(MODEL_PATH.parents[2]) not in sys.path:  # the repository root, for ``benchmarks.oracle``
    sys.path.insert(0, str(MODEL_PATH.parents[2]))


# --------------------------------------------------------------------------- sample
def person_sample(claims: dict[str, pa.Table], lines: int) -> dict[str, pa.Table]:
    """Every k-th person (in ``psn_no`` order, k chosen so that their fee lines add up to
    about ``lines``), with all their visits, settlements, diagnoses and operations. A stride
    rather than a prefix, so that the sample has background and scenario persons alike."""
    import math

    import numpy as np

    fee = claims["fee"]
    counts = fee.group_by("psn_no").aggregate([("psn_no", "count")]).sort_by("psn_no")
    counts = counts.filter(pc.is_valid(counts["psn_no"]))
    k = max(1, math.ceil(fee.num_rows / lines))
    keep = counts["psn_no"].filter(pa.array(np.arange(counts.num_rows) % k == 0))
    out: dict[str, pa.Table] = {}
    for name in ("person", "visit", "settlement", "fee"):
        t = claims[name]
        out[name] = t.filter(pc.is_in(t["psn_no"], value_set=keep.combine_chunks()))
    visits = out["visit"]["mdtrt_id"].combine_chunks()
    for name in ("diagnosis", "operation"):
        if name in claims:
            t = claims[name]
            out[name] = t.filter(pc.is_in(t["mdtrt_id"], value_set=visits))
    return out


# --------------------------------------------------------------------------- the ZEN model
def _r(x: str, digits: int) -> str:
    """§0.5 rounding (half away from zero, 1e-6 guard) as a ZEN expression."""
    s = 10**digits
    return (f"({x} >= 0 ? floor({x} * {s} + 0.5 + 0.000001) / {s}"
            f" : 0 - floor((0 - {x}) * {s} + 0.5 + 0.000001) / {s})")


def build_model(params: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The JDM graph for :data:`LINE_RULES` with the given parameter values."""
    def p(rule: str, name: str) -> Any:
        v = params[rule][name]
        return "[" + ", ".join(f"'{x}'" for x in sorted(v)) + "]" if isinstance(v, (set, frozenset, list, tuple)) else v

    svc = "is_charge == true and list_type == '201' and svc == true"
    drug = "is_charge == true and list_type in ['101', '102'] and drug == true"
    lim9 = (f"(v_med_type == '13' ? {p('YP-09', 'limit_emergency')} : "
            f"(v_med_type == '14' ? {p('YP-09', 'limit_chronic')} : {p('YP-09', 'limit_general')}))")
    lim10 = f"(dscg_flag == '1' ? {p('YP-10', 'discharge_limit')} : v_los_days)"
    cond = {
        "ZL-01": f"{svc} and svc_sex_limit in ['1', '2'] and gend in ['1', '2'] and gend != svc_sex_limit",
        "ZL-02": f"{svc} and age != null and ((svc_min_age != null and age < svc_min_age)"
                 " or (svc_max_age != null and age > svc_max_age))",
        "ZL-04": f"{svc} and has_inst == true and cap != null and pric != null"
                 f" and {_r('pric', 2)} > {_r('cap', 2)} + {p('ZL-04', 'price_tol')}",
        "YP-01": f"{drug} and drug_sex_limit in ['1', '2'] and gend in ['1', '2'] and gend != drug_sex_limit",
        "YP-02": f"{drug} and child_only == true and age != null and age >= {p('YP-02', 'adult_age')}",
        "YP-03": f"{drug} and has_inst == true and min_hosp_rank != null and hosp_rank < min_hosp_rank",
        "YP-04": f"{drug} and v_kind != null and ((med_type_scope == 'inpatient'"
                 " and v_kind in ['outpatient', 'pharmacy']) or (med_type_scope == 'outpatient'"
                 " and v_kind == 'inpatient'))",
        "YP-05": f"{drug} and has_visit == true and (insutype_only == 'work_injury' or"
                 f" (insutype_only == 'maternity' and not (insutype in {p('YP-05', 'maternity_insutypes')}"
                 f" or v_med_type in {p('YP-05', 'maternity_med_types')})))",
        "YP-09": f"{drug} and v_kind in ['outpatient', 'pharmacy'] and prd_days != null"
                 f" and {_r('prd_days', 4)} > {lim9}",
        "YP-10": f"{drug} and v_kind == 'inpatient' and route == 'oral' and prd_days != null"
                 f" and {lim10} != null and {_r('prd_days', 4)} > {lim10}",
        "LJ-05": "is_charge == true and v_kind == 'inpatient' and fee_ts != null and"
                 " ((v_begn != null and fee_ts < v_begn) or (v_end != null and"
                 f" fee_ts > v_end + {int(p('LJ-05', 'post_hours')) * 3600} and dscg_flag != '1'))",
    }
    amount = {r: "amt" for r in LINE_RULES}
    amount["ZL-04"] = "(pric - cap) * cnt"
    amount["YP-09"] = f"amt * (prd_days - {lim9}) / prd_days"
    amount["YP-10"] = f"amt * (prd_days - {lim10}) / prd_days"
    exprs = []
    for i, rid in enumerate(LINE_RULES):
        key = rid.replace("-", "").lower()
        exprs.append({"id": f"c{i}", "key": key, "value": cond[rid]})
        exprs.append({"id": f"a{i}", "key": key + "_amt", "value": f"({cond[rid]}) ? {amount[rid]} : null"})
    pos = {"x": 0, "y": 0}
    return {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "fee line", "position": pos},
            {"id": "cap", "type": "decisionTableNode", "name": "applicable price cap (§0.2.5)",
             "position": pos,
             "content": {"hitPolicy": "first", "passThrough": True, "inputField": None,
                         "outputPath": None, "executionMode": "single",
                         "inputs": [{"id": "rank", "name": "hosp_rank", "field": "hosp_rank"}],
                         "outputs": [{"id": "cap", "name": "cap", "field": "cap"}],
                         "rules": [{"_id": "r1", "rank": "0, 1", "cap": "svc_cap_1"},
                                   {"_id": "r2", "rank": "2", "cap": "svc_cap_2"},
                                   {"_id": "r3", "rank": "3", "cap": "svc_cap_3"},
                                   {"_id": "r4", "rank": "", "cap": "null"}]}},
            {"id": "rules", "type": "expressionNode", "name": "line-level rules", "position": pos,
             "content": {"passThrough": False, "inputField": None, "outputPath": None,
                         "executionMode": "single", "expressions": exprs}},
            {"id": "out", "type": "outputNode", "name": "firings", "position": pos},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "cap", "type": "edge"},
            {"id": "e2", "sourceId": "cap", "targetId": "rules", "type": "edge"},
            {"id": "e3", "sourceId": "rules", "targetId": "out", "type": "edge"},
        ],
    }


def default_params() -> dict[str, dict[str, Any]]:
    from benchmarks.oracle.run import PARAM_DEFAULTS

    return {r: {k: v for k, (_t, v) in PARAM_DEFAULTS.get(r, {}).items()} for r in LINE_RULES}


def write_model() -> Path:
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    MODEL_PATH.write_text(json.dumps(build_model(default_params()), indent=2, ensure_ascii=False)
                          + "\n", encoding="utf-8")
    return MODEL_PATH


def decision() -> Any:
    import zen

    return zen.ZenEngine().create_decision(json.dumps(build_model(default_params())))


# --------------------------------------------------------------------------- pre-join
def prejoin(claims: dict[str, pa.Table], kb: dict[str, pa.Table]) -> list[dict[str, Any]]:
    """One context dict per valid fee line: the line, its person, visit, institution and
    catalogue rows, the age at the fee date (hygiene as §0 / contract §2)."""
    import polars as pl
    from benchmarks import polars_rules as PR

    fr = PR.to_polars(claims, kb)
    p = PR.Prelude(fr)
    person = fr["person"].select("psn_no", "gend", "insutype", "brdy")
    svc = fr["service"].select("med_list_codg", svc=pl.lit(True), svc_sex_limit="sex_limit",
                               svc_min_age="min_age", svc_max_age="max_age",
                               svc_cap_1="price_cap_1", svc_cap_2="price_cap_2",
                               svc_cap_3="price_cap_3")
    drug = fr["drug"].select("med_list_codg", drug=pl.lit(True), drug_sex_limit="sex_limit",
                             child_only="child_only", min_hosp_rank="min_hosp_rank",
                             med_type_scope="med_type_scope", insutype_only="insutype_only",
                             route="route")
    inst = p.inst.select(inst="fixmedins_code", hosp_rank="hosp_rank", has_inst=pl.lit(True))
    epoch = lambda c: pl.col(c).dt.epoch("s")  # noqa: E731
    lf = (p.f.join(person, on="psn_no", how="left")
          .join(svc, on="med_list_codg", how="left")
          .join(drug, on="med_list_codg", how="left")
          .join(inst, on="inst", how="left")
          .select("feedetl_sn", "is_charge", "list_type", "gend", "insutype",
                  age=PR.age_at(pl.col("brdy"), pl.col("fee_date")),
                  svc="svc", svc_sex_limit="svc_sex_limit", svc_min_age="svc_min_age",
                  svc_max_age="svc_max_age", svc_cap_1="svc_cap_1", svc_cap_2="svc_cap_2",
                  svc_cap_3="svc_cap_3", drug="drug", drug_sex_limit="drug_sex_limit",
                  child_only="child_only", min_hosp_rank="min_hosp_rank",
                  med_type_scope="med_type_scope", insutype_only="insutype_only", route="route",
                  hosp_rank="hosp_rank", has_inst="has_inst", has_visit="has_visit",
                  v_kind="v_kind", v_med_type="v_med_type", v_los_days="v_los_days",
                  pric="pric", cnt="cnt", amt="det_item_fee_sumamt", prd_days="prd_days",
                  dscg_flag="dscg_tkdrug_flag", fee_ts=epoch("fee_ocur_time"),
                  v_begn=epoch("v_begntime"), v_end=epoch("v_endtime")))
    rows = lf.collect().to_dicts()
    # absent beats null for ZEN (a null field is simply not there)
    return [{k: v for k, v in r.items() if v is not None} for r in rows]


def r2(x: float) -> float:
    import math

    y = math.floor(abs(x) * 100 + 0.5 + 1e-6) / 100
    y = round(-y if x < 0 else y, 2)
    return 0.0 if y == 0 else y


def firings(contexts: list[dict[str, Any]], results: list[dict[str, Any]]) -> list[tuple[str, str, float]]:
    out = []
    for ctx, res in zip(contexts, results):
        for rid in LINE_RULES:
            key = rid.replace("-", "").lower()
            if res.get(key) is True:
                amt = res.get(key + "_amt")
                out.append((rid, ctx.get("feedetl_sn"), None if amt is None else r2(float(amt))))
    return sorted(out, key=lambda t: (t[0], t[1] or "", t[2] or 0.0))


def firings_of(table: pa.Table) -> list[tuple[str, str, float]]:
    rows = zip(table["rule_id"].to_pylist(), table["feedetl_sn"].to_pylist(),
               table["vola_amt"].to_pylist())
    return sorted(((r, s, a) for r, s, a in rows), key=lambda t: (t[0], t[1] or "", t[2] or 0.0))


if __name__ == "__main__":  # write the model file
    print(write_model())
