"""Idiomatic lazy-Polars versions of the most expensive rule shapes of the Ningxia rulebook.

Translated from the rule text (``rules-46.md``) with the DuckDB oracle's readings
(``benchmarks/oracle/sql``) where the spec leaves a choice. Each rule returns the key columns
of its firings and ``vola_amt`` (data contract §4); messages and ``lines`` are not built (the
firings are a few dozen rows, so formatting them would not change the timing). The benchmark
checks these firings against ruledsl's for the same rules.

Shapes covered (the rules ruledsl spends most time on, see ``throughput.py``):

* per-(person, generic) sequences with lag / running sums / episodes: YP-06, YP-11
* grouping with ranking inside groups: YP-12; distinct counts per group: GL-09
* per-day quantity sums: ZL-05
* diagnosis × code-set range membership with a per-visit first row: ZD-01, ZD-02
* rolling time windows per institution: GL-08
* self-join within a visit through a pair catalogue: ZL-03
* self-join within a person on a ±60 min band: GL-03
* catalogue + institution lookups with a tiered cap: ZL-04
"""

from __future__ import annotations

from typing import Any

import polars as pl

RULES = ["YP-06", "YP-11", "YP-12", "GL-09", "ZL-05", "ZD-01", "ZD-02", "GL-08", "ZL-03",
         "GL-03", "ZL-04"]

KEYS = ["rule_id", "feedetl_sn", "mdtrt_id", "setl_id", "psn_no", "fixmedins_code", "dr_codg",
        "item_code", "period_start", "period_end"]

# parameter defaults (the rulebook's; same as benchmarks/oracle/run.py PARAM_DEFAULTS)
P = {
    "YP-06.episode_gap_days": 90.0,
    "YP-11.refill_ratio": 0.7,
    "YP-12.min_codes": 2,
    "GL-09.max_patients": 100,
    "ZD-01.female_set": "sex_female_only",
    "ZD-01.male_set": "sex_male_only",
    "GL-08.window_min": 10,
    "GL-08.min_settlements": 8,
    "GL-03.max_gap_min": 60,
    "GL-03.city_len": 4,
    "ZL-04.price_tol": 0.005,
}


def _params() -> dict[str, Any]:
    from benchmarks.oracle.run import PARAM_DEFAULTS

    out = dict(P)
    for rid in RULES:
        for name, (_t, value) in PARAM_DEFAULTS.get(rid, {}).items():
            out[f"{rid}.{name}"] = value
    return out


def rnd(x: pl.Expr, digits: int) -> pl.Expr:
    """§0.5 rounding: half away from zero with a 1e-6 guard."""
    scale = 10.0**digits
    x = x.cast(pl.Float64)
    return x.sign() * (x.abs() * scale + 0.5 + 1e-6).floor() / scale


def r4(x: pl.Expr) -> pl.Expr:
    return rnd(x, 4)


def r2(x: pl.Expr) -> pl.Expr:
    return rnd(x, 2)


def age_at(brdy: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Completed years at ``day`` (§0.4.5)."""
    before = (day.dt.month().cast(pl.Int32) * 100 + day.dt.day().cast(pl.Int32)) < (
        brdy.dt.month().cast(pl.Int32) * 100 + brdy.dt.day().cast(pl.Int32))
    return day.dt.year().cast(pl.Int32) - brdy.dt.year().cast(pl.Int32) - before.cast(pl.Int32)


def to_polars(claims: dict[str, Any], kb: dict[str, Any]) -> dict[str, pl.LazyFrame]:
    """Arrow tables -> lazy frames (zero-copy where Arrow allows)."""
    return {name: pl.from_arrow(t).lazy() for name, t in {**claims, **kb}.items()}  # type: ignore[union-attr]


class Prelude:
    """The hygiene and derived tables every rule reads (contract §2, rules-46 §0)."""

    def __init__(self, t: dict[str, pl.LazyFrame]) -> None:
        self.t = t
        settlement, visit, fee = t["settlement"], t["visit"], t["fee"]
        self.s = settlement.filter(pl.col("vali_flag").ne_missing("0"))
        money = (self.s.filter(pl.col("mdtrt_id").is_not_null()).group_by("mdtrt_id")
                 .agg(visit_fund=pl.col("fund_pay_sumamt").sum()))
        med = pl.col("med_type")
        kind = (pl.when(med.is_in(["21", "22", "24", "52"])).then(pl.lit("inpatient"))
                .when(med.is_in(["11", "13", "14", "51"])).then(pl.lit("outpatient"))
                .when(med == "41").then(pl.lit("pharmacy")))
        adm, dscg = pl.col("begntime").dt.date(), pl.col("endtime").dt.date()
        self.v = (visit.join(money, on="mdtrt_id", how="left")
                  .with_columns(visit_fund=pl.col("visit_fund").fill_null(0.0), kind=kind,
                                adm_date=adm, dscg_date=dscg,
                                los_days=pl.when(med.is_in(["21", "22", "24", "52"]))
                                .then(pl.max_horizontal(pl.lit(1), (dscg - adm).dt.total_days()))))
        cancelled = settlement.filter(pl.col("vali_flag") == "0").select("setl_id")
        vcols = self.v.select("mdtrt_id", inst="fixmedins_code", v_kind="kind",
                              v_med_type="med_type", v_los_days="los_days",
                              v_begntime="begntime", v_endtime="endtime", has_visit=pl.lit(True))
        self.f = (fee.filter(pl.col("vali_flag").ne_missing("0"))
                  .join(cancelled, on="setl_id", how="anti")
                  .with_columns(fee_date=pl.col("fee_ocur_time").dt.date(),
                                is_charge=(r4(pl.col("cnt")) > 0).fill_null(False))
                  .join(vcols, on="mdtrt_id", how="left")
                  .with_columns(has_visit=pl.col("has_visit").fill_null(False)))
        lv = pl.col("hosp_lv")
        self.inst = t["institution"].with_columns(
            hosp_rank=pl.when(lv.is_in(["01", "02", "03", "04"])).then(3)
            .when(lv.is_in(["05", "06", "07"])).then(2)
            .when(lv.is_in(["08", "09", "10"])).then(1).otherwise(0))
        code_n = pl.col("diag_code").str.to_uppercase().str.replace_all(" ", "", literal=True)
        self.dx = t["diagnosis"].with_columns(
            code_n=code_n, is_main=(pl.col("maindiag_flag") == "1").fill_null(False))
        self.main_dx = (self.dx.filter("is_main")
                        .sort(["diag_srt_no", "code_n"], nulls_last=[True, False])
                        .group_by("mdtrt_id", maintain_order=True).first())
        norm = lambda c: pl.col(c).str.to_uppercase().str.replace_all(" ", "", literal=True)  # noqa: E731
        self.cs = t["code_set"].select("set_id", code_from_n=norm("code_from"),
                                       code_to_n=norm("code_to"))

    def members(self, set_id: str) -> pl.LazyFrame:
        """Normalised diagnosis codes (of ``dx``) that are in code set ``set_id``."""
        codes = self.dx.select("code_n").unique().drop_nulls()
        cs = self.cs.filter(pl.col("set_id") == set_id)
        c = pl.col("code_n")
        return (codes.join(cs, how="cross")
                .filter(pl.col("code_from_n") <= c.str.slice(0, pl.col("code_from_n").str.len_chars()),
                        c.str.slice(0, pl.col("code_to_n").str.len_chars()) <= pl.col("code_to_n"))
                .select("code_n").unique())


def _out(lf: pl.LazyFrame, rule_id: str, amount: pl.Expr, **cols: pl.Expr | str) -> pl.LazyFrame:
    exprs: list[pl.Expr] = [pl.lit(rule_id).alias("rule_id")]
    for k in KEYS[1:]:
        v = cols.get(k)
        dtype = pl.Date if k.startswith("period") else pl.String
        e = pl.lit(None, dtype) if v is None else (pl.col(v) if isinstance(v, str) else v)
        exprs.append(e.cast(dtype).alias(k))
    amt = r2(amount).round(2)  # the nearest double to the rounded cents
    exprs.append(pl.when(amt == 0).then(0.0).otherwise(amt).alias("vola_amt"))
    return lf.select(exprs)


def _line(lf: pl.LazyFrame, rule_id: str, amount: pl.Expr) -> pl.LazyFrame:
    return _out(lf, rule_id, amount, feedetl_sn="feedetl_sn", mdtrt_id="mdtrt_id",
                psn_no="psn_no", fixmedins_code="inst")


def yp06(p: Prelude, prm: dict[str, Any]) -> pl.LazyFrame:
    drug = p.t["drug"]
    lim = (drug.filter(pl.col("generic_id").is_not_null(), pl.col("course_max_days").is_not_null())
           .group_by("generic_id").agg(lim=pl.col("course_max_days").min()))
    part = ["psn_no", "generic_id"]
    seq = (p.f.filter("is_charge", pl.col("list_type").is_in(["101", "102"]))
           .join(drug.select("med_list_codg", "generic_id"), on="med_list_codg")
           .join(lim, on="generic_id")
           .with_columns(days=pl.when(r4(pl.col("prd_days")) > 0).then(pl.col("prd_days"))
                         .otherwise(0.0))
           .sort(part + ["fee_ocur_time", "feedetl_sn"], nulls_last=True))
    gap = (pl.col("fee_date") - pl.col("fee_date").shift(1)).dt.total_days().over(part) \
        - pl.col("days").shift(1).over(part)
    new = (pl.int_range(pl.len()).over(part) == 0) | (r4(gap) > prm["YP-06.episode_gap_days"]).fill_null(False)
    seq = seq.with_columns(episode=new.cast(pl.Int32).cum_sum().over(part))
    seq = seq.with_columns(cum=pl.col("days").cum_sum().over(part + ["episode"]))
    fired = seq.filter(r4(pl.col("cum")) > pl.col("lim"))
    d = pl.col("days")
    amount = pl.when(d > 0).then(
        pl.col("det_item_fee_sumamt") * pl.min_horizontal(d, pl.col("cum") - pl.col("lim")) / d
    ).otherwise(pl.col("det_item_fee_sumamt"))
    return _line(fired, "YP-06", amount)


def yp11(p: Prelude, prm: dict[str, Any]) -> pl.LazyFrame:
    part = ["psn_no", "generic_id"]
    seq = (p.f.filter("is_charge", pl.col("list_type").is_in(["101", "102"]),
                      pl.col("v_kind").is_in(["outpatient", "pharmacy"]))
           .join(p.t["drug"].select("med_list_codg", "generic_id"), on="med_list_codg")
           .filter(pl.col("generic_id").is_not_null())
           .sort(part + ["fee_ocur_time", "feedetl_sn"], nulls_last=True)
           .with_columns(p_sn=pl.col("feedetl_sn").shift(1).over(part),
                         p_date=pl.col("fee_date").shift(1).over(part),
                         p_days=pl.col("prd_days").shift(1).over(part)))
    fired = seq.filter(pl.col("p_sn").is_not_null(), r4(pl.col("p_days")) > 0,
                       r4((pl.col("fee_date") - pl.col("p_date")).dt.total_days())
                       < r4(prm["YP-11.refill_ratio"] * pl.col("p_days")))
    return _line(fired, "YP-11", pl.col("det_item_fee_sumamt"))


def yp12(p: Prelude, prm: dict[str, Any]) -> pl.LazyFrame:
    g = ["inst", "medins_list_codg", "m"]
    cl = (p.f.filter("is_charge", pl.col("inst").is_not_null(),
                     pl.col("medins_list_codg").is_not_null(), pl.col("med_list_codg").is_not_null())
          .with_columns(m=pl.col("fee_date").dt.month_start()))
    per_code = (cl.group_by(g + ["med_list_codg"])
                .agg(n=pl.len(), a=pl.col("det_item_fee_sumamt").sum())
                .sort(["n", "med_list_codg"], descending=[True, False]))
    grp = (per_code.group_by(g).agg(n_codes=pl.len(), other=pl.col("a").slice(1).sum())
           .filter(pl.col("n_codes") >= prm["YP-12.min_codes"]))
    return _out(grp, "YP-12", pl.col("other"), fixmedins_code="inst",
                item_code="medins_list_codg", period_start="m",
                period_end=pl.col("m").dt.month_end())


def gl09(p: Prelude, prm: dict[str, Any]) -> pl.LazyFrame:
    g = (p.f.filter("is_charge", pl.col("bilg_dr_codg").is_not_null())
         .group_by("bilg_dr_codg", "fee_date").agg(n=pl.col("psn_no").drop_nulls().n_unique())
         .filter(pl.col("n") > prm["GL-09.max_patients"]))
    return _out(g, "GL-09", pl.lit(0.0), dr_codg="bilg_dr_codg", period_start="fee_date",
                period_end="fee_date")


def zl05(p: Prelude, prm: dict[str, Any]) -> pl.LazyFrame:
    sv = p.t["service"].filter(pl.col("max_per_day") >= 0).select(
        "med_list_codg", "max_per_day")
    g = (p.f.filter(pl.col("list_type") == "201").join(sv, on="med_list_codg")
         .group_by("psn_no", "med_list_codg", "fee_date")
         .agg(q=pl.col("cnt").sum(), a=pl.col("det_item_fee_sumamt").sum(),
              mx=pl.col("max_per_day").first())
         .filter(r4(pl.col("q")) > r4(pl.col("mx"))))
    return _out(g, "ZL-05", pl.col("a") * (pl.col("q") - pl.col("mx")) / pl.col("q"),
                psn_no="psn_no", item_code="med_list_codg", period_start="fee_date",
                period_end="fee_date")


def _visit_dx_rule(p: Prelude, rule_id: str, c: pl.LazyFrame, conflict: pl.Expr,
                   joins: list[pl.LazyFrame]) -> pl.LazyFrame:
    """Visits with a diagnosis for which ``conflict`` holds; the amount is the visit's fund
    payment when the main diagnosis conflicts, else 0."""
    rows = c.join(p.dx.select("mdtrt_id", "code_n"), on="mdtrt_id")
    main = c.join(p.main_dx.select("mdtrt_id", "code_n"), on="mdtrt_id")
    for j in joins:
        rows = rows.join(j, on="code_n", how="left")
        main = main.join(j, on="code_n", how="left")
    fired = rows.filter(conflict).select("mdtrt_id").unique()
    main_fired = main.filter(conflict).select("mdtrt_id").unique().with_columns(main=pl.lit(True))
    out = (c.join(fired, on="mdtrt_id", how="semi").join(main_fired, on="mdtrt_id", how="left"))
    return _out(out, rule_id, pl.when(pl.col("main")).then(pl.col("visit_fund")).otherwise(0.0),
                mdtrt_id="mdtrt_id", psn_no="psn_no", fixmedins_code="fixmedins_code")


def zd01(p: Prelude, prm: dict[str, Any]) -> pl.LazyFrame:
    c = (p.v.join(p.t["person"].select("psn_no", "gend"), on="psn_no")
         .filter(pl.col("gend").is_in(["1", "2"]))
         .select("mdtrt_id", "psn_no", "fixmedins_code", "visit_fund", "gend"))
    fem = p.members(prm["ZD-01.female_set"]).with_columns(in_f=pl.lit(True))
    male = p.members(prm["ZD-01.male_set"]).with_columns(in_m=pl.lit(True))
    conflict = pl.when(pl.col("gend") == "1").then(pl.col("in_f")).otherwise(pl.col("in_m")) \
        .fill_null(False)
    return _visit_dx_rule(p, "ZD-01", c, conflict, [fem, male])


def zd02(p: Prelude, prm: dict[str, Any]) -> pl.LazyFrame:
    person = p.t["person"].select("psn_no", "brdy")
    c = (p.v.join(person, on="psn_no", how="left")
         .with_columns(a=age_at(pl.col("brdy"), pl.col("adm_date")),
                       ad=(pl.col("adm_date") - pl.col("brdy")).dt.total_days())
         .select("mdtrt_id", "psn_no", "fixmedins_code", "visit_fund", "a", "ad"))
    nb = p.members(prm["ZD-02.newborn_set"]).with_columns(in_nb=pl.lit(True))
    mat = p.members(prm["ZD-02.maternity_set"]).with_columns(in_mat=pl.lit(True))
    a = pl.col("a")
    conflict = ((pl.col("in_nb").fill_null(False) & (pl.col("ad") > prm["ZD-02.newborn_max_days"]))
                .fill_null(False)
                | (pl.col("in_mat").fill_null(False)
                   & ((a < prm["ZD-02.maternity_min_age"]) | (a > prm["ZD-02.maternity_max_age"])))
                .fill_null(False))
    return _visit_dx_rule(p, "ZD-02", c, conflict, [nb, mat])


def gl08(p: Prelude, prm: dict[str, Any]) -> pl.LazyFrame:
    pharm = p.inst.filter(pl.col("fixmedins_type") == "2").select("fixmedins_code")
    s = (p.s.join(pharm, on="fixmedins_code").filter(pl.col("setl_time").is_not_null())
         .sort("fixmedins_code", "setl_time")
         .with_columns(n=pl.len().rolling(index_column="setl_time",
                                          period=f"{prm['GL-08.window_min']}m",
                                          closed="both").over("fixmedins_code")))
    fired = s.filter(pl.col("n") >= prm["GL-08.min_settlements"])
    return _out(fired, "GL-08", pl.col("fund_pay_sumamt"), mdtrt_id="mdtrt_id",
                setl_id="setl_id", psn_no="psn_no", fixmedins_code="fixmedins_code")


def zl03(p: Prelude, prm: dict[str, Any]) -> pl.LazyFrame:
    charge = p.f.filter("is_charge")
    pairs = p.t["item_pair"].filter(pl.col("period").is_in(["day", "visit"]))
    b = charge.select("feedetl_sn", "mdtrt_id", "psn_no", "inst", "med_list_codg", "fee_date",
                      "det_item_fee_sumamt")
    a = charge.select(a_sn="feedetl_sn", mdtrt_id="mdtrt_id", code_a="med_list_codg",
                      a_date="fee_date")
    hits = (b.join(pairs, left_on="med_list_codg", right_on="code_b")
            .join(a, on=["mdtrt_id", "code_a"])
            .filter(pl.col("a_sn") != pl.col("feedetl_sn"),
                    (pl.col("period") == "visit") | (pl.col("a_date") == pl.col("fee_date")))
            .unique("feedetl_sn"))
    return _line(hits, "ZL-03", pl.col("det_item_fee_sumamt"))


def gl03(p: Prelude, prm: dict[str, Any]) -> pl.LazyFrame:
    gap = prm["GL-03.max_gap_min"] * 60
    sc = (p.s.join(p.inst.select("fixmedins_code", "admdvs"), on="fixmedins_code")
          .filter(pl.col("admdvs").is_not_null(), pl.col("setl_time").is_not_null(),
                  pl.col("psn_no").is_not_null())
          .select("setl_id", "mdtrt_id", "psn_no", "fixmedins_code", "setl_time",
                  "fund_pay_sumamt", city=pl.col("admdvs").str.slice(0, prm["GL-03.city_len"])))
    other = sc.select("psn_no", s2="setl_id", t2="setl_time", city2="city")
    pairs = (sc.join(other, on="psn_no")
             .filter(pl.col("s2") != pl.col("setl_id"), pl.col("city2") != pl.col("city"),
                     (pl.col("t2") - pl.col("setl_time")).dt.total_seconds().abs() < gap)
             .unique("setl_id"))
    return _out(pairs, "GL-03", pl.col("fund_pay_sumamt"), mdtrt_id="mdtrt_id",
                setl_id="setl_id", psn_no="psn_no", fixmedins_code="fixmedins_code")


def zl04(p: Prelude, prm: dict[str, Any]) -> pl.LazyFrame:
    rank = pl.col("hosp_rank")
    cap = (pl.when(rank.is_in([0, 1])).then(pl.col("price_cap_1"))
           .when(rank == 2).then(pl.col("price_cap_2"))
           .when(rank == 3).then(pl.col("price_cap_3")))
    c = (p.f.filter("is_charge", pl.col("list_type") == "201")
         .join(p.t["service"].select("med_list_codg", "price_cap_1", "price_cap_2", "price_cap_3"),
               on="med_list_codg")
         .join(p.inst.select(inst="fixmedins_code", hosp_rank="hosp_rank"), on="inst")
         .with_columns(cap=cap)
         .filter(pl.col("cap").is_not_null(),
                 r2(pl.col("pric")) > r2(pl.col("cap")) + prm["ZL-04.price_tol"]))
    return _line(c, "ZL-04", (pl.col("pric") - pl.col("cap")) * pl.col("cnt"))


BUILDERS = {"YP-06": yp06, "YP-11": yp11, "YP-12": yp12, "GL-09": gl09, "ZL-05": zl05,
            "ZD-01": zd01, "ZD-02": zd02, "GL-08": gl08, "ZL-03": zl03, "GL-03": gl03,
            "ZL-04": zl04}


def plans(frames: dict[str, pl.LazyFrame], rules: list[str] | None = None) -> dict[str, pl.LazyFrame]:
    prm = _params()
    p = Prelude(frames)
    return {rid: BUILDERS[rid](p, prm) for rid in (rules or RULES)}


def run(frames: dict[str, pl.LazyFrame], rules: list[str] | None = None) -> pl.DataFrame:
    """All rules in one ``collect_all`` (Polars may share common sub-plans), concatenated."""
    lazy = plans(frames, rules)
    out = pl.collect_all(list(lazy.values()))
    return pl.concat(out, how="vertical_relaxed")
