"""Synthetic claim batch + knowledge base for timing the oracle at scale (not a test fixture).

    python -m benchmarks.oracle.synth --fee-lines 1000000 --claims /tmp/c --kb /tmp/k

The data are random but shaped like the contract (about 20 fee lines a visit, 10 % inpatient
stays, catalogues with every restriction column populated for a share of the codes), so that
every rule does real work.  Deterministic for a given --seed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def _codes(prefix: str, n: int) -> np.ndarray:
    return np.array([f"{prefix}{i:06d}" for i in range(n)], dtype=object)


def _pick(rng, arr, n, p_null=0.0):
    out = arr[rng.integers(0, len(arr), n)].astype(object)
    if p_null:
        out[rng.random(n) < p_null] = None
    return out


def generate(fee_lines: int, seed: int = 7) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    rng = np.random.default_rng(seed)
    n_visit = max(10, fee_lines // 20)
    n_person = max(5, n_visit // 8)
    n_inst = 200
    start = np.datetime64("2024-01-01T00:00:00")

    # ---------------------------------------------------------------- knowledge base
    inst_codes = _codes("H", n_inst)
    inst_type = np.where(np.arange(n_inst) % 5 == 0, "2", "1").astype(object)
    hosp_lv = _pick(rng, np.array([f"{i:02d}" for i in range(1, 12)], dtype=object), n_inst, 0.05)
    admdvs = _pick(
        rng, np.array(["640104", "640105", "640181", "640502", "640302"], dtype=object), n_inst
    )
    institution = pa.table(
        {
            "fixmedins_code": inst_codes,
            "fixmedins_name": inst_codes,
            "fixmedins_type": inst_type,
            "hosp_lv": hosp_lv,
            "admdvs": admdvs,
        }
    )
    agr_end = np.where(
        rng.random(n_inst) < 0.1, np.datetime64("2024-09-30"), np.datetime64("2030-12-31")
    ).astype("datetime64[D]")
    institution_agreement = pa.table(
        {
            "fixmedins_code": inst_codes,
            "begndate": pa.array(np.full(n_inst, np.datetime64("2020-01-01", "D"))),
            "enddate": pa.array(agr_end),
            "agre_stas": np.where(rng.random(n_inst) < 0.03, "2", "1").astype(object),
        }
    )

    icd3 = np.array([f"{chr(65 + i // 100)}{i % 100:02d}" for i in range(1500)], dtype=object)
    icd10 = pa.table({"icd3": icd3[:1400], "title": icd3[:1400]})
    sets = {
        "sex_female_only": ("O00", "O99"),
        "sex_male_only": ("N40", "N51"),
        "age_newborn": ("P00", "P96"),
        "age_maternity": ("O00", "O99"),
        "planned_readmission": ("Z51", "Z51"),
    }
    cs_rows = [(k, a, b) for k, (a, b) in sets.items()]
    for j in range(100):
        a = icd3[rng.integers(0, 1400)]
        cs_rows.append((f"IND{j:03d}", a, a))
        cs_rows.append((f"IND{j:03d}", icd3[rng.integers(0, 1400)], icd3[rng.integers(0, 1400)]))
    code_set = pa.table(
        {
            "set_id": [r[0] for r in cs_rows],
            "code_from": [r[1] for r in cs_rows],
            "code_to": [r[2] for r in cs_rows],
        }
    )

    n_srv, n_drug, n_mat = 1500, 2000, 300
    srv = _codes("S", n_srv)
    r = rng.random((12, n_srv))
    service = pa.table(
        {
            "med_list_codg": srv,
            "item_name": srv,
            "sex_limit": np.where(r[0] < 0.03, np.where(r[1] < 0.5, "1", "2"), None).astype(object),
            "min_age": pa.array(np.where(r[1] < 0.02, 18, None), type=pa.int32()),
            "max_age": pa.array(np.where(r[2] < 0.02, 14, None), type=pa.int32()),
            "max_per_day": np.where(r[3] < 0.2, rng.integers(1, 4, n_srv).astype(float), None),
            "period_days": pa.array(np.where(r[4] < 0.1, 7, None), type=pa.int32()),
            "period_max": np.where(r[4] < 0.1, 3.0, None),
            "per_day_group": np.where(
                r[5] < 0.05, np.where(r[6] < 0.5, "bed", "nursing"), None
            ).astype(object),
            "price_cap_1": np.where(r[7] < 0.5, 40.0, None),
            "price_cap_2": np.where(r[7] < 0.5, 50.0, None),
            "price_cap_3": np.where(r[7] < 0.5, 60.0, None),
            "indication_set": np.where(
                r[8] < 0.05, [f"IND{i % 100:03d}" for i in range(n_srv)], None
            ).astype(object),
            "equipment_class": np.where(r[9] < 0.02, "MRI-3T", None).astype(object),
            "exam_group": np.where(r[10] < 0.1, [f"EX{i % 40}" for i in range(n_srv)], None).astype(
                object
            ),
            "is_surgery": r[11] < 0.05,
            "course_max_days": pa.array([None] * n_srv, type=pa.int32()),
        }
    )
    drg = _codes("X", n_drug)
    r = rng.random((14, n_drug))
    drug = pa.table(
        {
            "med_list_codg": drg,
            "drug_name": drg,
            "generic_id": [f"G{i // 3:05d}" for i in range(n_drug)],
            "route": np.where(r[0] < 0.6, "oral", "injection").astype(object),
            "sex_limit": np.where(r[1] < 0.02, "1", None).astype(object),
            "child_only": r[2] < 0.02,
            "min_hosp_rank": pa.array(np.where(r[3] < 0.05, 2, None), type=pa.int32()),
            "med_type_scope": np.where(r[4] < 0.03, "inpatient", None).astype(object),
            "insutype_only": np.where(r[5] < 0.01, "maternity", None).astype(object),
            "course_max_days": pa.array(np.where(r[6] < 0.1, np.where(r[13] < 0.5, 10, 30), None),
                                    type=pa.int32()),
            "line_role": np.where(
                r[7] < 0.05, np.where(r[8] < 0.5, "first", "second"), None
            ).astype(object),
            "line_group": [f"LG{i % 20}" for i in range(n_drug)],
            "indication_set": np.where(
                r[9] < 0.05, [f"IND{i % 100:03d}" for i in range(n_drug)], None
            ).astype(object),
            "herb_rule": np.where(
                r[10] < 0.05, np.where(r[11] < 0.5, "never", "not_single"), None
            ).astype(object),
            "watch": r[12] < 0.05,
        }
    )
    mat = _codes("M", n_mat)
    material = pa.table(
        {
            "med_list_codg": mat,
            "material_name": mat,
            "device_class": np.where(rng.random(n_mat) < 0.1, "冠脉支架", None).astype(object),
            "watch": rng.random(n_mat) < 0.1,
        }
    )
    device_rule = pa.table({"device_class": ["冠脉支架"], "required_set": ["IND001"]})
    item_pair = pa.table(
        {
            "code_a": srv[:50],
            "code_b": srv[50:100],
            "period": np.where(np.arange(50) % 2 == 0, "day", "visit").astype(object),
        }
    )
    pk_rows = [(f"PK{j}", srv[200 + 3 * j + k], 50.0) for j in range(30) for k in range(3)]
    package = pa.table(
        {
            "package_code": [r[0] for r in pk_rows],
            "component_code": [r[1] for r in pk_rows],
            "package_price": [r[2] for r in pk_rows],
        }
    )
    pathway = pa.table(
        {
            "icd3": icd3[:300],
            "std_los_days": rng.integers(3, 12, 300).astype(float),
            "std_cost": np.full(300, 5000.0),
        }
    )
    opsp_scope = pa.table(
        {"dise_codg": ["M03900"] * 20, "generic_id": [f"G{i:05d}" for i in range(20)]}
    )
    equipment_licence = pa.table(
        {
            "fixmedins_code": inst_codes[:100],
            "equipment_class": ["MRI-3T"] * 100,
            "begndate": pa.array(np.full(100, np.datetime64("2020-01-01", "D"))),
            "enddate": pa.array(np.full(100, np.datetime64("2030-01-01", "D"))),
        }
    )
    kb = dict(
        institution=institution,
        institution_agreement=institution_agreement,
        equipment_licence=equipment_licence,
        drug=drug,
        service=service,
        material=material,
        item_pair=item_pair,
        package=package,
        code_set=code_set,
        pathway=pathway,
        device_rule=device_rule,
        opsp_scope=opsp_scope,
        icd10=icd10,
    )

    # ---------------------------------------------------------------- claims
    psn = _codes("P", n_person)
    brdy = np.datetime64("1930-01-01") + rng.integers(0, 95 * 365, n_person).astype(
        "timedelta64[D]"
    )
    person = pa.table(
        {
            "psn_no": psn,
            "gend": _pick(rng, np.array(["1", "2", "1", "2", "9"], dtype=object), n_person),
            "brdy": pa.array(brdy.astype("datetime64[D]")),
            "insutype": _pick(rng, np.array(["310", "390", "510"], dtype=object), n_person),
            "insu_admdvs": np.full(n_person, "640104", dtype=object),
            "insu_begn_date": pa.array(np.full(n_person, np.datetime64("2000-01-01", "D"))),
            "insu_end_date": pa.array(
                np.where(
                    rng.random(n_person) < 0.01,
                    np.datetime64("2024-06-30", "D"),
                    np.datetime64("NaT", "D"),
                )
            ),
            "die_date": pa.array(
                np.where(
                    rng.random(n_person) < 0.01,
                    np.datetime64("2024-08-31", "D"),
                    np.datetime64("NaT", "D"),
                )
            ),
        }
    )

    vid = _codes("V", n_visit)
    v_psn = psn[rng.integers(0, n_person, n_visit)]
    v_inst_idx = rng.integers(0, n_inst, n_visit)
    v_inst = inst_codes[v_inst_idx]
    is_pharm = inst_type[v_inst_idx] == "2"
    inpat = (~is_pharm) & (rng.random(n_visit) < 0.12)
    med_type = np.where(
        is_pharm,
        "41",
        np.where(
            inpat,
            _pick(rng, np.array(["21", "21", "22", "24", "52"], dtype=object), n_visit),
            _pick(rng, np.array(["11", "11", "11", "13", "14", "51"], dtype=object), n_visit),
        ),
    ).astype(object)
    begn = start + rng.integers(0, 365 * 86400, n_visit).astype("timedelta64[s]")
    # bursts at pharmacies (GL-08): a share of each pharmacy's visits within a few minutes of one day
    burst = is_pharm & (rng.random(n_visit) < 0.2)
    burst_at = start + (v_inst_idx * 86400 + 36000 + rng.integers(0, 900, n_visit)).astype("timedelta64[s]")
    begn = np.where(burst, burst_at, begn)
    los = np.where(inpat, rng.integers(1, 16, n_visit), 0)
    end_off = np.where(burst, rng.integers(0, 60, n_visit), rng.integers(600, 7200, n_visit))
    end = begn + (los * 86400 + end_off).astype("timedelta64[s]")
    visit = pa.table(
        {
            "mdtrt_id": vid,
            "psn_no": v_psn,
            "fixmedins_code": v_inst,
            "med_type": med_type,
            "begntime": pa.array(begn),
            "endtime": pa.array(end),
            "dise_codg": np.where(med_type == "14", "M03900", None).astype(object),
            "dscg_way": np.where(
                inpat, _pick(rng, np.array(["1", "1", "2", "4", "5"], dtype=object), n_visit), None
            ).astype(object),
            "days_rinp_flag_31": np.where(rng.random(n_visit) < 0.1, "1", "0").astype(object),
            "atddr_no": _codes("D", 2000)[rng.integers(0, 2000, n_visit)],
        }
    )

    nd = 2 * n_visit
    d_v = np.repeat(vid, 2)
    codes = icd3[rng.integers(0, 1500, nd)]
    diagnosis = pa.table(
        {
            "mdtrt_id": d_v,
            "diag_srt_no": pa.array(np.tile([1, 2], n_visit), type=pa.int32()),
            "diag_code": [f"{c}.{rng.integers(0, 999):03d}" for c in codes],
            "maindiag_flag": np.tile(["1", "0"], n_visit).astype(object),
        }
    )

    sid = _codes("S", n_visit)
    medfee = np.round(rng.gamma(2.0, 400.0, n_visit) * np.where(inpat, 20, 1), 2)
    settlement = pa.table(
        {
            "setl_id": sid,
            "mdtrt_id": vid,
            "psn_no": v_psn,
            "fixmedins_code": v_inst,
            "setl_time": pa.array(end),
            "medfee_sumamt": medfee,
            "hifp_pay": np.round(medfee * 0.6, 2),
            "fund_pay_sumamt": np.round(medfee * 0.65, 2),
            "acct_pay": np.round(medfee * 0.1, 2),
            "psn_cash_pay": np.round(medfee * 0.25, 2),
            "vali_flag": np.where(rng.random(n_visit) < 0.02, "0", "1").astype(object),
        }
    )

    n = fee_lines
    fv = rng.integers(0, n_visit, n)
    kind = rng.random(n)
    lt = np.where(
        kind < 0.45, "201", np.where(kind < 0.8, "101", np.where(kind < 0.88, "102", "301"))
    ).astype(object)
    code = np.where(
        lt == "201",
        srv[rng.integers(0, n_srv, n)],
        np.where(lt == "301", mat[rng.integers(0, n_mat, n)], drg[rng.integers(0, n_drug, n)]),
    )
    span = ((end - begn).astype("timedelta64[s]").astype(np.int64))[fv]
    t = begn[fv] + (rng.random(n) * (span + 3600 * 30) - 3600).astype(np.int64).astype(
        "timedelta64[s]"
    )
    cnt = np.where(rng.random(n) < 0.03, -1.0, rng.integers(1, 4, n).astype(float))
    pric = np.round(rng.gamma(2.0, 25.0, n), 2)
    fee = pa.table(
        {
            "feedetl_sn": _codes("F", n),
            "mdtrt_id": vid[fv],
            "setl_id": sid[fv],
            "psn_no": v_psn[fv],
            "fee_ocur_time": pa.array(t),
            "med_list_codg": code,
            "medins_list_codg": np.where(
                rng.random(n) < 0.02,
                "HX" + code.astype(str)[::-1].astype(object)[0:1][0],
                "H" + code.astype(str),
            ).astype(object),
            "list_type": lt,
            "med_chrgitm_type": _pick(
                rng, np.array([f"{i:02d}" for i in range(1, 15)], dtype=object), n
            ),
            "cnt": cnt,
            "pric": pric,
            "det_item_fee_sumamt": np.round(cnt * pric, 2),
            "bilg_dr_codg": _codes("D", 2000)[rng.integers(0, 2000, n)],
            "prd_days": np.where(lt == "101", rng.integers(1, 15, n).astype(float), np.nan),
            "dscg_tkdrug_flag": np.where(rng.random(n) < 0.05, "1", "0").astype(object),
            "rxno": np.where(
                lt == "102", np.char.add("R", (fv % 1000).astype(str)).astype(object), None
            ),
            "vali_flag": np.where(rng.random(n) < 0.01, "0", "1").astype(object),
        }
    )
    fee = fee.set_column(
        fee.schema.get_field_index("prd_days"),
        "prd_days",
        pa.array(fee.column("prd_days").to_numpy(zero_copy_only=False), from_pandas=True),
    )
    claims = dict(person=person, visit=visit, diagnosis=diagnosis, settlement=settlement, fee=fee)
    return claims, kb


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fee-lines", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--claims", required=True)
    ap.add_argument("--kb", required=True)
    a = ap.parse_args(argv)
    claims, kb = generate(a.fee_lines, a.seed)
    for folder, tables in ((a.claims, claims), (a.kb, kb)):
        Path(folder).mkdir(parents=True, exist_ok=True)
        for name, tbl in tables.items():
            pq.write_table(tbl, Path(folder) / f"{name}.parquet")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
