"""Vectorised background claims: persons, visits, diagnoses, settlements and fee lines.

Everything here is numpy over whole columns; no Python loop runs per person, visit or line
(loops run over catalogue groups only).  The background is *mostly clean*: restricted items are
only drawn where their restriction holds, visits of a person never overlap and are at least five
days apart (sixteen after a stay), every visit has a valid diagnosis, prices are at or below the
caps.  A little realistic noise remains (refills slightly early, repeated imaging, short stays with
many examinations, …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa

from . import catalog as C
from .ids import (
    EPOCH,
    age_at,
    date_array,
    f64_array,
    fixed_strings,
    fmt,
    id_array,
    take_strings,
    ts_array,
)
from .kb import Catalog, Institutions, r2v

# visit kinds
K_O, K_E, K_C, K_P, K_I, K_M, K_D = range(7)
KIND_LETTER = "oecpimd"
DAY = 86400


def epoch_day(d: date) -> int:
    """Days since 1970-01-01."""
    return int((np.datetime64(d, "D") - EPOCH).astype(np.int64))


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For per-row counts: (row index repeated, position within the row)."""
    counts = np.asarray(counts, np.int64)
    rep = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    j = np.arange(len(rep)) - np.repeat(starts, counts)
    return rep, j


def group_cumsum_excl(values: np.ndarray, group_start: np.ndarray) -> np.ndarray:
    """Exclusive cumulative sum within consecutive groups (``group_start`` marks firsts)."""
    cs = np.cumsum(values) - values
    first_idx = np.maximum.accumulate(np.where(group_start, np.arange(len(values)), 0))
    return cs - cs[first_idx]


class Pools:
    """Per-disease pools as padded 2-D arrays."""

    def __init__(self, lists: list[list[int]]):
        n = len(lists)
        width = max(1, max((len(x) for x in lists), default=1))
        self.arr = np.zeros((n, width), np.int64)
        self.len = np.array([len(x) for x in lists], np.int64)
        for i, x in enumerate(lists):
            self.arr[i, : len(x)] = x

    def pick(self, rng: np.random.Generator, dis: np.ndarray,
             want: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distinct pool entries per row: returns (row index per pick, entry)."""
        ln = self.len[dis]
        k = np.minimum(want, ln)
        rep, j = expand(k)
        start = (rng.random(len(dis)) * np.maximum(ln, 1)).astype(np.int64)
        col = (start[rep] + j) % np.maximum(ln[rep], 1)
        return rep, self.arr[dis[rep], col]


@dataclass
class Lines:
    """Accumulates fee-line blocks (numeric form)."""

    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, **cols: np.ndarray) -> None:
        n = len(cols["v"])
        defaults = {"prd": np.full(n, np.nan), "dscg": np.zeros(n, bool),
                    "rx": np.full(n, -1, np.int32), "pric": np.full(n, np.nan)}
        for k, v in defaults.items():
            cols.setdefault(k, v)
        small = {"v": np.int32, "item": np.int32, "rx": np.int32}
        for k, v in cols.items():
            arr = np.asarray(v)
            if k in small:
                arr = arr.astype(small[k])
            self.parts.setdefault(k, []).append(arr)

    def concat(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.parts.items()}


@dataclass
class Background:
    """Background claims as Arrow tables plus what scenarios need to continue the ids."""

    tables: dict[str, pa.Table]
    n_persons: int
    n_visits: int
    n_setl: int
    n_lines: int
    n_rx: int
    doctors: list[str]
    doctor_name: list[str]
    doctor_inst: list[int]
    inst_doctors: dict[int, list[int]]
    opsp_reg: list[tuple[str, str, int]]


def _choose_by_group(rng: np.random.Generator, keys: np.ndarray,
                     table: dict[int, tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """For each row, a random element of ``table[key]`` = (candidates, weights)."""
    out = np.full(len(keys), -1, np.int64)
    for key in np.unique(keys):
        if key not in table:
            continue
        cand, w = table[int(key)]
        rows = np.nonzero(keys == key)[0]
        out[rows] = rng.choice(cand, size=len(rows), p=w / w.sum())
    return out


def generate_background(cat: Catalog, inst: Institutions, persons: int,
                        rng: np.random.Generator, start: date, end: date,
                        lines_per_person: float) -> Background:
    """Background claims of ``persons`` persons over ``start`` .. ``end``.

    ``lines_per_person`` is the approximate number of fee lines per person over the whole
    period, whatever its length.
    """
    s0 = epoch_day(start)
    n_days = (end - start).days + 1
    e_day = s0 + n_days - 1
    scale = lines_per_person / 50.0 * 1.3  # calibrated: about lines_per_person lines each
    n = persons

    # ------------------------------------------------------------------ persons
    u = rng.random(n)
    gend = np.where(u < 0.003, 3, np.where(u < 0.005, 2, np.where(u < 0.5, 0, 1)))  # 1,2,0,9
    grp = rng.random(n)
    age_y = np.where(grp < 0.14, rng.uniform(0, 13.5, n),
                     np.where(grp < 0.18, rng.uniform(14, 18, n),
                              np.where(grp < 0.70, rng.uniform(18, 60, n),
                                       rng.uniform(60, 92, n))))
    brdy = (s0 - age_y * 365.25 - rng.uniform(1, 30, n)).astype(np.int64)
    age_s = age_at(brdy, np.full(n, s0))
    age_e = age_at(brdy, np.full(n, e_day))
    agrp = np.where(age_e < 14, 0, np.where(age_s >= 60, 2, 1))  # c, a, e
    sexg = np.where(gend == 0, 0, np.where(gend == 1, 1, 2))  # M, F, U
    districts = list(C.DISTRICTS)
    dw = np.array([C.DISTRICT_WEIGHT[d] for d in districts], float)
    home = rng.choice(len(districts), size=n, p=dw / dw.sum())
    home_city = np.array([int(d[:4]) for d in districts])[home]
    insutype = np.where(agrp == 0, 1, np.where(rng.random(n) < 0.45, 0, 1))  # 310 / 390
    insutype = np.where((rng.random(n) < 0.01) & (agrp == 1), 2, insutype)  # 510
    begn = np.maximum(brdy, s0 - rng.integers(60, 9000, n))

    # ------------------------------------------------------------------ events per person
    lam_i = np.array([0.08, 0.12, 0.36])[agrp] * scale
    n_o = rng.poisson(3.4 * scale, n)
    n_e = rng.poisson(0.3 * scale, n)
    n_p = rng.poisson(3.0 * scale, n)
    n_i = np.minimum(rng.poisson(lam_i), 3)
    chronic = np.where((agrp >= 1) & (rng.random(n) < np.where(agrp == 2, 0.40, 0.10)),
                       rng.choice(len(C.OPSP), size=n, p=[0.38, 0.27, 0.17, 0.10, 0.08]), -1)
    n_c = np.where(chronic >= 0, rng.binomial(max(1, round(6 * scale)), 0.8, n), 0)
    preg = (sexg == 1) & (age_s >= 20) & (age_s <= 40) & (rng.random(n) < 0.06)
    n_m = np.where(preg, 2 + rng.poisson(1.0, n), 0)
    n_d = np.where(preg & (rng.random(n) < 0.5), 1, 0)
    counts = np.stack([n_o, n_e, n_c, n_p, n_i, n_m, n_d], axis=1)
    ev_p, ev_j = expand(counts.sum(axis=1))
    # kind of each event: position j within the person's block -> kind via cumulative counts
    cum = np.cumsum(counts, axis=1)
    ev_k = (ev_j[:, None] >= cum[ev_p]).sum(axis=1)

    # ------------------------------------------------------------------ diseases
    dis = C.DISEASES
    table: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for k, letter in enumerate(KIND_LETTER):
        if letter == "c":
            continue
        for sg, sx in enumerate("MFU"):
            for ag, al in enumerate("cae"):
                cand = [i for i, d in enumerate(dis) if letter in d.kinds and al in d.ages
                        and (d.sex is None or d.sex == sx)
                        and (letter != "p" or d.ph)]
                if cand:
                    table[k * 100 + sg * 10 + ag] = (
                        np.array(cand), np.array([dis[i].weight for i in cand], float))
    ev_dis = _choose_by_group(rng, ev_k * 100 + sexg[ev_p] * 10 + agrp[ev_p], table)
    keep = (ev_dis >= 0) | (ev_k == K_C)
    ev_p, ev_k, ev_dis = ev_p[keep], ev_k[keep], ev_dis[keep]
    std_los = np.array([d.std_los for d in dis])
    path_std: dict[str, float] = {}
    for d in dis:
        if d.std_los:
            path_std[d.code[:3]] = max(path_std.get(d.code[:3], 0), d.std_los)
    cap_los = np.array([np.floor(1.45 * path_std.get(d.code[:3], 1)) for d in dis])
    ip = (ev_k == K_I) | (ev_k == K_D)
    ev_los = np.where(ip, np.clip(np.rint(std_los[ev_dis] * rng.uniform(0.55, 1.3, len(ev_k))),
                                  1, cap_los[ev_dis]), 0).astype(np.int64)

    # ------------------------------------------------------------------ timeline
    order = np.lexsort((rng.random(len(ev_p)), ev_p))
    ev_p, ev_k, ev_dis, ev_los = ev_p[order], ev_k[order], ev_dis[order], ev_los[order]
    ip = (ev_k == K_I) | (ev_k == K_D)
    mg = np.where(ip, 16, 5)
    need = ev_los + mg
    first = np.ones(len(ev_p), bool)
    first[1:] = ev_p[1:] != ev_p[:-1]
    cum_need = group_cumsum_excl(need, first)
    keep = cum_need + ev_los + 1 <= n_days
    ev_p, ev_k, ev_dis, ev_los, need = ev_p[keep], ev_k[keep], ev_dis[keep], ev_los[keep], \
        need[keep]
    ip = (ev_k == K_I) | (ev_k == K_D)
    ne = len(ev_p)
    first = np.ones(ne, bool)
    first[1:] = ev_p[1:] != ev_p[:-1]
    tot_need = np.bincount(ev_p, weights=need, minlength=n)
    slack = np.maximum(n_days - tot_need, 0)
    w_ev = rng.exponential(size=ne)
    w_lead = rng.exponential(size=n)
    w_tot = w_lead + np.bincount(ev_p, weights=w_ev, minlength=n)
    extra = np.floor(slack[ev_p] * w_ev / w_tot[ev_p]).astype(np.int64)
    lead = np.floor(slack * w_lead / np.maximum(w_tot, 1e-9)).astype(np.int64)
    start_off = lead[ev_p] + group_cumsum_excl(need + extra, first)
    adm = s0 + start_off

    # ------------------------------------------------------------------ institutions
    rank = inst.rank
    n_inst = len(inst.code)
    city = np.array([int(a[:4]) for a in inst.admdvs])
    itype = np.array(inst.type)
    bg = np.array(inst.background)
    cities = sorted(set(city.tolist()))
    city_ix = {c: i for i, c in enumerate(cities)}
    pcity = np.array([city_ix[c] for c in home_city])
    other_city = rng.random(ne) < 0.06
    vcity = np.where(other_city, rng.integers(0, len(cities), ne), pcity[ev_p])
    # rank class wanted per event
    r = rng.random(ne)
    heavy = np.array([bool(d.surg) or d.std_cost >= 20000 for d in dis])[np.maximum(ev_dis, 0)]
    want_rank = np.select(
        [ev_k == K_P,
         ip & heavy,
         ip,
         (ev_k == K_M) | (ev_k == K_C)],
        [np.full(ne, 0),
         np.where(r < 0.6, 3, 2),
         np.where(r < 0.45, 3, np.where(r < 0.85, 2, 1)),
         np.where(r < 0.4, 3, np.where(r < 0.8, 2, 1))],
        np.where(r < 0.33, 3, np.where(r < 0.62, 2, np.where(r < 0.95, 1, 0))))
    want_type = np.where(ev_k == K_P, 2, 1)
    inst_table: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for ci, c in enumerate(cities):
        for ty in (1, 2):
            for rk in range(4):
                cand = np.nonzero(bg & (city == c) & (itype == str(ty))
                                  & ((rank == rk) | (ty == 2)))[0]
                if len(cand) == 0:
                    cand = np.nonzero(bg & (itype == str(ty)) & ((rank == rk) | (ty == 2)))[0]
                if len(cand) == 0:
                    cand = np.nonzero(bg & (itype == str(ty)))[0]
                inst_table[(ci * 10 + ty) * 10 + rk] = (cand, np.ones(len(cand)))
    ev_inst = _choose_by_group(rng, (vcity * 10 + want_type) * 10 + want_rank, inst_table)
    # chronic visits: one fixed hospital per person (the first chronic visit's choice)
    is_c = ev_k == K_C
    if is_c.any():
        pc = ev_p[is_c]
        firstc = np.ones(len(pc), bool)
        firstc[1:] = pc[1:] != pc[:-1]
        fi = np.maximum.accumulate(np.where(firstc, np.arange(len(pc)), 0))
        ev_inst[is_c] = ev_inst[is_c][fi]
    ev_rank = rank[ev_inst]

    # ------------------------------------------------------------------ times
    tod = np.select(
        [ev_k == K_E, ev_k == K_P, ip, ev_k == K_C],
        [rng.integers(0, 22 * 3600, ne), rng.integers(8 * 3600, 21 * 3600, ne),
         rng.integers(8 * 3600, 20 * 3600, ne), rng.integers(8 * 3600, 12 * 3600, ne)],
        rng.integers(8 * 3600, 17 * 3600 + 1800, ne))
    begin = adm * DAY + tod
    dscg_day = adm + ev_los
    end_ip = dscg_day * DAY + rng.integers(9 * 3600, 12 * 3600, ne)

    # ------------------------------------------------------------------ doctors
    pdays = np.bincount(ev_inst, weights=np.where(ip, ev_los + 1, 1), minlength=n_inst)
    n_doc = np.maximum(2, np.ceil(pdays / n_days / 18)).astype(np.int64)
    n_doc[itype == "2"] = 0
    doc_start = np.cumsum(n_doc) - n_doc
    ev_doc = np.where(ev_k == K_P, -1,
                      doc_start[ev_inst] + (rng.random(ne) * np.maximum(n_doc[ev_inst], 1))
                      .astype(np.int64))
    doctors: list[str] = []
    doctor_name: list[str] = []
    doctor_inst: list[int] = []
    inst_doctors: dict[int, list[int]] = {}
    seq: dict[str, int] = {}
    nm_rng = np.random.default_rng(int(rng.integers(2**31)))
    for i in range(n_inst):
        for _ in range(int(n_doc[i])):
            adm_code = inst.admdvs[i]
            seq[adm_code] = seq.get(adm_code, 0) + 1
            inst_doctors.setdefault(i, []).append(len(doctors))
            doctors.append(f"D{adm_code}{seq[adm_code]:05d}")
            doctor_inst.append(i)
            sn = C.SURNAMES[int(nm_rng.integers(len(C.SURNAMES)))]
            gv = "".join(C.GIVEN[int(x)] for x in nm_rng.integers(len(C.GIVEN),
                                                                  size=int(nm_rng.integers(1, 3))))
            doctor_name.append(sn + gv)

    # ------------------------------------------------------------------ visit order and ids
    vorder = np.lexsort((ev_p, begin))
    ev_p, ev_k, ev_dis, ev_los, ev_inst, ev_rank, ev_doc = (
        a[vorder] for a in (ev_p, ev_k, ev_dis, ev_los, ev_inst, ev_rank, ev_doc))
    begin, adm, dscg_day, end_ip = begin[vorder], adm[vorder], dscg_day[vorder], end_ip[vorder]
    ip = (ev_k == K_I) | (ev_k == K_D)
    chronic_v = chronic[ev_p]

    # ------------------------------------------------------------------ fee lines
    L = Lines()
    vid = np.arange(ne)
    day_end = adm * DAY + DAY - 1

    def u(lo: float, hi: float, size: int) -> np.ndarray:
        return rng.integers(int(lo), int(hi), size)

    # pools
    def gidx(keys: list[str]) -> list[int]:
        return [cat.gen[k] for k in keys]

    def sidx(keys: list[str]) -> list[int]:
        return [cat.item(k) for k in keys]

    P_out = Pools([gidx(d.out) for d in dis])
    P_ph = Pools([gidx(d.ph) for d in dis])
    P_lab = Pools([sidx(d.labs) for d in dis])
    P_img = Pools([sidx(d.imgs) for d in dis])
    P_trt = Pools([sidx(d.trts) for d in dis])
    P_ip = Pools([gidx(d.ip) for d in dis])
    P_iplab = Pools([sidx(d.ip_labs) for d in dis])
    P_surg = Pools([sidx(d.surg) for d in dis])
    P_sec = Pools([sidx(d.sec_surg) for d in dis])
    P_dis = Pools([gidx(d.dis) for d in dis])
    opsp_keys = list(C.OPSP)
    P_scope = Pools([gidx(C.OPSP[k][2]) for k in opsp_keys])
    P_olab = Pools([sidx(C.OPSP_LABS[k]) for k in opsp_keys])
    tcm = np.array([d.tcm for d in dis])
    herb_pool = np.array(gidx(C.HERB_POOL))

    def drug_items(gen: np.ndarray, inst_i: np.ndarray) -> np.ndarray:
        return cat.var_items[gen, inst_i % cat.n_var[gen]]

    outp = np.isin(ev_k, [K_O, K_E, K_M, K_C])
    ov = vid[outp]
    dis_o = np.maximum(ev_dis[ov], 0)
    # consult / general fee
    kk = ev_k[ov]
    rk = ev_rank[ov]
    consult = np.select([rk <= 1, kk == K_E, kk == K_C],
                        [cat.item("general_fee"), cat.item("consult_er"),
                         cat.item("consult_opsp")],
                        np.where((rk == 3) & (rng.random(len(ov)) < 0.2),
                                 cat.item("consult_expert"), cat.item("consult_out")))
    L.add(v=ov, item=consult, t=begin[ov] + u(60, 600, len(ov)), cnt=np.ones(len(ov)))
    reg = ov[(rk >= 2) & (kk == K_O) & (rng.random(len(ov)) < 0.3)]
    L.add(v=reg, item=np.full(len(reg), cat.item("reg")), t=begin[reg] + 30,
          cnt=np.ones(len(reg)))
    # drugs (O, E) from disease pools, (C) from the chronic scope
    oe = ov[(kk == K_O) | (kk == K_E)]
    rep, gen = P_out.pick(rng, np.maximum(ev_dis[oe], 0), 1 + rng.binomial(3, 0.45, len(oe)))
    v = oe[rep]
    prd = np.where(ev_k[v] == K_E, rng.choice([1.0, 2.0, 3.0], len(v)),
                   rng.choice([3.0, 5.0, 7.0], len(v), p=[0.3, 0.3, 0.4]))
    L.add(v=v, item=drug_items(gen, ev_inst[v]), t=begin[v] + u(600, 3000, len(v)),
          cnt=1.0 + rng.binomial(2, 0.3, len(v)), prd=prd, rx=v * 4 + 1)
    cv = ov[kk == K_C]
    rep, gen = P_scope.pick(rng, chronic_v[cv], 1 + rng.binomial(2, 0.5, len(cv)))
    v = cv[rep]
    L.add(v=v, item=drug_items(gen, ev_inst[v]), t=begin[v] + u(600, 2400, len(v)),
          cnt=1.0 + rng.binomial(2, 0.5, len(v)),
          prd=np.where(rng.random(len(v)) < 0.85, 28.0, 14.0), rx=v * 4 + 1)
    cl = cv[rng.random(len(cv)) < 0.25]
    rep, it = P_olab.pick(rng, chronic_v[cl], np.ones(len(cl), np.int64))
    L.add(v=cl[rep], item=it, t=begin[cl[rep]] + u(300, 1800, len(rep)), cnt=np.ones(len(rep)))
    # labs, imaging, treatment
    om = ov[kk != K_C]
    is_m = ev_k[om] == K_M
    rep, it = P_lab.pick(rng, dis_o[kk != K_C],
                         np.where(is_m, rng.binomial(3, 0.6, len(om)),
                                  rng.binomial(3, 0.35, len(om))))
    L.add(v=om[rep], item=it, t=begin[om[rep]] + u(300, 2400, len(rep)), cnt=np.ones(len(rep)))
    rep, it = P_img.pick(rng, dis_o[kk != K_C],
                         (rng.random(len(om)) < np.where(is_m, 0.6, 0.18)).astype(np.int64))
    L.add(v=om[rep], item=it, t=begin[om[rep]] + u(900, 3600, len(rep)), cnt=np.ones(len(rep)))
    rep, it = P_trt.pick(rng, dis_o[kk != K_C],
                         (rng.random(len(om)) < 0.25).astype(np.int64))
    L.add(v=om[rep], item=it, t=begin[om[rep]] + u(900, 3600, len(rep)), cnt=np.ones(len(rep)))
    # herbal prescriptions (compound, 6-10 herbs)
    hv = om[(ev_k[om] == K_O) & (rng.random(len(om)) < tcm[dis_o[kk != K_C]])]
    nh = rng.integers(6, 11, len(hv))
    rep, j = expand(nh)
    st = rng.integers(0, len(herb_pool), len(hv))
    gen = herb_pool[(st[rep] + j) % len(herb_pool)]
    v = hv[rep]
    L.add(v=v, item=cat.var_items[gen, 0], t=begin[v] + u(1200, 3000, len(v)),
          cnt=7.0 * rng.integers(6, 21, len(v)), prd=np.full(len(v), 7.0), rx=v * 4 + 2)
    # pharmacy
    pv = vid[ev_k == K_P]
    rep, gen = P_ph.pick(rng, np.maximum(ev_dis[pv], 0), 1 + rng.binomial(2, 0.45, len(pv)))
    v = pv[rep]
    has_rx = rng.random(ne) < 0.3
    L.add(v=v, item=drug_items(gen, ev_inst[v]), t=begin[v] + u(30, 240, len(v)),
          cnt=1.0 + rng.binomial(1, 0.3, len(v)),
          prd=rng.choice([3.0, 5.0, 7.0], len(v)), rx=np.where(has_rx[v], v * 4 + 1, -1))

    # inpatient
    iv = vid[ip]
    dis_i = ev_dis[iv]
    los_i = ev_los[iv]

    def day_time(v: np.ndarray, k: np.ndarray, lo: float, hi: float) -> np.ndarray:
        t = (adm[v] + k) * DAY + u(lo, hi, len(v))
        return np.where(k == 0, np.minimum(np.maximum(t, begin[v] + 300),
                                           day_end[v] - 60), t)

    rep, k = expand(los_i)
    v = iv[rep]
    bed = np.where(rng.random(ne) < 0.2, cat.item("bed2"), cat.item("bed"))
    severe = std_los[np.maximum(ev_dis, 0)] >= 10
    nurse = np.where(severe, cat.item("nursing1"), cat.item("nursing2"))
    t0 = day_time(v, k, 7 * 3600, 9 * 3600)
    ones = np.ones(len(v))
    L.add(v=v, item=bed[v], t=t0, cnt=ones)
    L.add(v=v, item=nurse[v], t=t0 + 60, cnt=ones)
    L.add(v=v, item=np.full(len(v), cat.item("consult_ip")), t=t0 + 600, cnt=ones)
    # daily drugs
    rep, gen = P_ip.pick(rng, dis_i, 2 + rng.binomial(2, 0.5, len(iv)))
    dv = iv[rep]
    item = drug_items(gen, ev_inst[dv])
    course = cat.course_a[item]
    ndays = np.where(course > 0, np.minimum(ev_los[dv], course), ev_los[dv])
    rep2, k = expand(ndays)
    v = dv[rep2]
    it = item[rep2]
    oral = cat.oral_a[it]
    L.add(v=v, item=it, t=day_time(v, k, 8 * 3600, 12 * 3600),
          cnt=1.0 + rng.binomial(1, 0.4, len(v)), prd=np.where(oral, 1.0, np.nan),
          rx=v * 4 + 1)
    # infusion: one IV line and one infusion set per day with injections
    inj = ~cat.oral_a[item] & (cat.generic_a[item] >= 0)
    has_inj = np.zeros(ne, bool)
    has_inj[dv[inj]] = True
    rep, k = expand(np.where(has_inj[iv], los_i, 0))
    v = iv[rep]
    t = day_time(v, k, 8 * 3600, 10 * 3600)
    L.add(v=v, item=np.full(len(v), cat.item("iv")), t=t, cnt=np.ones(len(v)))
    L.add(v=v, item=np.full(len(v), cat.item("infusion_set")), t=t + 30, cnt=np.ones(len(v)))
    # treatments
    for d_i, d in enumerate(dis):
        if not d.ip_trts:
            continue
        sel = iv[(dis_i == d_i)]
        for key in d.ip_trts:
            s = sel[rng.random(len(sel)) < 0.7]
            it = cat.item(key)
            if key == "delivery":
                L.add(v=s, item=np.full(len(s), it), t=day_time(s, np.zeros(len(s), np.int64),
                                                                10 * 3600, 20 * 3600),
                      cnt=np.ones(len(s)))
                continue
            first_day = 1 if key == "rehab_pt" else 0
            nd = np.clip(np.minimum(ev_los[s], 7 if key == "rehab_pt" else 6) - first_day, 0,
                         None)
            rep, k = expand(nd)
            vv = s[rep]
            k = k + first_day
            if key in ("o2", "ecg_monitor"):
                cnt = rng.integers(4, 25, len(vv)).astype(float)
            elif key == "neb":
                cnt = 1.0 + rng.binomial(1, 0.5, len(vv))
            else:
                cnt = np.ones(len(vv))
            L.add(v=vv, item=np.full(len(vv), it), t=day_time(vv, k, 9 * 3600, 16 * 3600),
                  cnt=cnt)
    # labs (admission and, for longer stays, before discharge), imaging
    rep, it = P_iplab.pick(rng, dis_i, 3 + rng.binomial(3, 0.5, len(iv)))
    v = iv[rep]
    L.add(v=v, item=it, t=day_time(v, np.zeros(len(v), np.int64), 9 * 3600, 11 * 3600),
          cnt=np.ones(len(v)))
    late = iv[los_i >= 5]
    rep, it = P_iplab.pick(rng, ev_dis[late], np.full(len(late), 2))
    v = late[rep]
    L.add(v=v, item=it, t=day_time(v, ev_los[v] - 1, 7 * 3600, 8 * 3600), cnt=np.ones(len(v)))
    rep, it = P_img.pick(rng, dis_i, rng.binomial(2, 0.5, len(iv)))
    v = iv[rep]
    L.add(v=v, item=it, t=day_time(v, np.minimum(1, ev_los[v] - 1), 13 * 3600, 17 * 3600),
          cnt=np.ones(len(v)))
    # surgery with materials and anaesthesia
    sv = iv[P_surg.len[dis_i] > 0]
    sday = np.minimum(1, ev_los[sv] - 1)
    st = day_time(sv, sday, 9 * 3600, 13 * 3600)
    rep, it = P_surg.pick(rng, ev_dis[sv], np.ones(len(sv), np.int64))
    L.add(v=sv[rep], item=it, t=st[rep], cnt=np.ones(len(rep)))
    an = rng.random(len(sv)) < 0.8
    L.add(v=sv[an], item=np.full(int(an.sum()), cat.item("anesthesia_general")),
          t=st[an] - 600, cnt=np.ones(int(an.sum())))
    sec = (rng.random(len(sv)) < 0.3) & (P_sec.len[ev_dis[sv]] > 0)
    rep, it = P_sec.pick(rng, ev_dis[sv[sec]], np.ones(int(sec.sum()), np.int64))
    vv = sv[sec][rep]
    L.add(v=vv, item=it, t=st[sec][rep] + 1800, cnt=np.ones(len(vv)),
          pric=r2v(0.5 * cat.price[it, ev_rank[vv]]))
    for d_i, d in enumerate(dis):
        if not d.mats:
            continue
        s_ix = np.nonzero(ev_dis[sv] == d_i)[0]
        for key in d.mats:
            it = cat.item(key)
            cnt = {"stent": rng.integers(1, 3, len(s_ix)).astype(float),
                   "gauze": np.full(len(s_ix), 5.0), "suture": np.full(len(s_ix), 2.0),
                   "syringe": np.full(len(s_ix), 4.0)}.get(key, np.ones(len(s_ix)))
            L.add(v=sv[s_ix], item=np.full(len(s_ix), it), t=st[s_ix] + 900, cnt=cnt)
    # discharge drugs
    dd = iv[(rng.random(len(iv)) < 0.55) & (P_dis.len[dis_i] > 0)]
    rep, gen = P_dis.pick(rng, ev_dis[dd], 1 + rng.binomial(1, 0.4, len(dd)))
    v = dd[rep]
    L.add(v=v, item=drug_items(gen, ev_inst[v]), t=end_ip[v] - u(900, 3600, len(v)),
          cnt=1.0 + rng.binomial(1, 0.3, len(v)), prd=rng.choice([3.0, 5.0, 7.0], len(v)),
          dscg=np.ones(len(v), bool), rx=v * 4 + 3)

    F = L.concat()
    # drop what the institution may not bill: unlicensed equipment, drugs above its rank
    lic = np.zeros((n_inst, 8), bool)
    for i, ls in enumerate(inst.licences):
        for e in ls:
            lic[i, ["CT", "MRI", "DSA", "PET-CT", "LINAC"].index(e)] = True
    fi = ev_inst[F["v"]]
    eq = cat.equipment_a[F["item"]]
    ok = (eq < 0) | lic[fi, np.maximum(eq, 0)]
    ok &= cat.min_rank_a[F["item"]] <= ev_rank[F["v"]]
    F = {k: a[ok] for k, a in F.items()}
    nl = len(F["v"])

    # outpatient and pharmacy lines stay on the visit's day
    non_ip = ~ip
    F["t"] = np.where(non_ip[F["v"]], np.minimum(F["t"], day_end[F["v"]] - 600), F["t"])

    # refill spacing (YP-11): cap a supply so that the next same-generic line is not early
    gen_l = cat.generic_a[F["item"]]
    seq_m = (gen_l >= 0) & non_ip[F["v"]]
    ix = np.nonzero(seq_m)[0]
    pp = ev_p[F["v"][ix]]
    o = np.lexsort((F["t"][ix], gen_l[ix], pp))
    ix = ix[o]
    same = np.zeros(len(ix), bool)
    same[:-1] = (pp[o][1:] == pp[o][:-1]) & (gen_l[ix][1:] == gen_l[ix][:-1])
    gap = np.zeros(len(ix))
    gap[:-1] = (F["t"][ix][1:] // DAY - F["t"][ix][:-1] // DAY)
    cap = np.floor(gap / 0.7 + 1e-9)
    apply_cap = same & (rng.random(len(ix)) < 0.97)
    prd_ix = F["prd"][ix]
    new = np.where(apply_cap, np.minimum(prd_ix, cap), prd_ix)
    new = np.where(apply_cap & (new < 1), np.nan, new)
    F["prd"][ix] = new

    # prices and amounts
    price = np.where(np.isnan(F["pric"]), cat.price[F["item"], ev_rank[F["v"]]], F["pric"])
    F["pric"] = price
    F["amt"] = r2v(F["cnt"] * price)
    F["copy"] = np.zeros(nl, bool)
    F["vali"] = np.ones(nl, bool)

    # refunds (about 1 % of charge lines, not per-day items)
    per_day = np.isin(F["item"], [cat.item(k) for k in ("bed", "bed2", "nursing1", "nursing2",
                                                          "consult_ip")])
    rf = np.nonzero((rng.random(nl) < 0.01) & ~per_day)[0]
    r_cnt = np.where((F["cnt"][rf] > 1) & (rng.random(len(rf)) < 0.5), -1.0, -F["cnt"][rf])
    r_t = np.minimum(F["t"][rf] + u(300, 7200, len(rf)),
                     np.where(ip[F["v"][rf]], end_ip[F["v"][rf]], day_end[F["v"][rf]] - 60))
    refund = {
        "v": F["v"][rf], "item": F["item"][rf], "t": r_t, "cnt": r_cnt,
        "prd": np.full(len(rf), np.nan), "dscg": np.zeros(len(rf), bool), "rx": F["rx"][rf],
        "pric": F["pric"][rf], "amt": r2v(r_cnt * F["pric"][rf]),
        "copy": np.zeros(len(rf), bool), "vali": np.ones(len(rf), bool),
    }
    F = {k: np.concatenate([F[k], refund[k]]) for k in F}
    nl = len(F["v"])

    # settled and cancelled visits; a cancelled settlement keeps a copy of the visit's lines
    settled = rng.random(ne) >= 0.004
    cancelled = settled & (rng.random(ne) < 0.01)
    cl = np.nonzero(cancelled[F["v"]])[0]
    copy = {k: a[cl].copy() for k, a in F.items()}
    copy["copy"][:] = True
    copy["vali"] = rng.random(len(cl)) < 0.3  # some copies still say valid: hygiene drops them
    F = {k: np.concatenate([F[k], copy[k]]) for k in F}
    nl = len(F["v"])
    void = (rng.random(nl) < 0.003) & ~F["copy"]  # a few single lines voided
    F["vali"] &= ~void

    # order lines by visit, then time (one int64 key; stable, so ties keep block order)
    rel_t = F["t"] - (s0 - 1) * DAY
    if len(rel_t) and (rel_t.min() < 0 or rel_t.max() >= 1 << 30):  # pragma: no cover
        raise ValueError("fee times outside the period")
    o = np.argsort(F["v"].astype(np.int64) * (1 << 30) + rel_t, kind="stable")
    F = {k: a[o] for k, a in F.items()}

    # outpatient and pharmacy visits end after their last line
    last = np.ones(nl, bool)
    last[:-1] = F["v"][1:] != F["v"][:-1]
    last_t = begin.copy()
    last_t[F["v"][last]] = np.maximum(F["t"][last], begin[F["v"][last]])
    end_out = np.minimum(last_t + u(120, 900, ne), day_end)
    endtime = np.where(ip, end_ip, end_out)

    # settlement money, from the visit's valid lines
    ok_amt = np.where(F["vali"] & ~F["copy"], F["amt"], 0.0)
    medfee = r2v(np.bincount(F["v"], weights=ok_amt, minlength=ne))
    ded = np.array([300.0, 300.0, 600.0, 900.0])[ev_rank]
    ratio = np.array([0.88, 0.88, 0.82, 0.75])[ev_rank]
    hifp = np.select(
        [ip & (ev_k == K_D), ip, ev_k == K_M, ev_k == K_C, ev_k == K_P],
        [medfee * 0.9, np.maximum(medfee - ded, 0) * ratio, medfee * 0.9, medfee * 0.65,
         np.where(rng.random(ne) < 0.5, medfee * 0.5, 0.0)],
        medfee * 0.5)
    hifp = r2v(hifp)
    fund = np.minimum(medfee, r2v(hifp * (1 + np.where(ip, rng.uniform(0, 0.08, ne), 0))))
    rest = medfee - fund
    emp = insutype[ev_p] == 0
    acct = r2v(np.where(emp, rest * rng.uniform(0, 1, ne), 0.0))
    cash = r2v(medfee - fund - acct)
    setl_time = np.where(ip, endtime + u(600, 7200, ne), endtime)

    # ------------------------------------------------------------------ person end/death
    last_v = np.full(n, -1, np.int64)
    np.maximum.at(last_v, ev_p, vid)
    has_v = last_v >= 0
    lv = np.maximum(last_v, 0)
    last_day = np.where(ip[lv], dscg_day[lv], adm[lv])
    dies = has_v & (agrp == 2) & (rng.random(n) < 0.006)
    die_same = dies & ip[lv] & (rng.random(n) < 0.5)
    die_date = np.where(die_same, last_day, last_day + rng.integers(0, 20, n))
    leaves = has_v & ~dies & (rng.random(n) < 0.005)
    end_date = last_day + rng.integers(0, 30, n)
    dscg_way = np.where(ip, rng.choice(np.array(["1", "2", "4", "9"]), ne,
                                       p=[0.9, 0.03, 0.04, 0.03]), "")
    dscg_way = np.where(ip & die_same[ev_p] & (vid == lv[ev_p]), "5", dscg_way)

    # ------------------------------------------------------------------ diagnoses
    codes = [d.code for d in dis]
    opsp_codes = [C.OPSP[k][1] for k in opsp_keys]
    all_codes = codes + opsp_codes + C.COMORBID
    main_code = np.where(ev_k == K_C, len(codes) + np.maximum(chronic_v, 0), ev_dis)
    n_sec = np.where(agrp[ev_p] == 0, 0,
                     np.where(ip, rng.binomial(3, 0.4, ne), np.where(ev_k == K_P, 0,
                                                                     rng.binomial(2, 0.3, ne))))
    rep, j = expand(n_sec)
    base = len(codes) + len(opsp_codes)
    sst = rng.integers(0, len(C.COMORBID), ne)
    sec_code = base + (sst[rep] + j) % len(C.COMORBID)
    sec_is_main = np.array(all_codes)[sec_code] == np.array(all_codes)[main_code[rep]]
    rep, sec_code, j = rep[~sec_is_main], sec_code[~sec_is_main], j[~sec_is_main]
    dx_v = np.concatenate([vid, rep])
    dx_code = np.concatenate([main_code, sec_code])
    dx_main = np.concatenate([np.ones(ne, bool), np.zeros(len(rep), bool)])
    o = np.lexsort((~dx_main, np.concatenate([np.zeros(ne), j + 1]), dx_v))
    dx_v, dx_code, dx_main = dx_v[o], dx_code[o], dx_main[o]
    first = np.ones(len(dx_v), bool)
    first[1:] = dx_v[1:] != dx_v[:-1]
    dx_srt = group_cumsum_excl(np.ones(len(dx_v), np.int64), first) + 1

    # ------------------------------------------------------------------ fee table
    setl_valid = 2 * F["v"] + 1
    setl_c = 2 * F["v"]
    has_setl = settled[F["v"]]
    setl_num = np.where(F["copy"], setl_c, setl_valid)

    med_code = take_strings(cat.code, F["item"])
    kind_letter = np.frombuffer(b"YFH", np.uint8)[cat.kind_a[F["item"]]]
    pre = np.stack([kind_letter, np.full(nl, ord("H"), np.uint8)], axis=1)
    medins = fixed_strings(pre, ev_inst[F["v"]] * 100000 + F["item"], 9)
    dr = ev_doc[F["v"]]
    dr_valid = (dr >= 0) & (rng.random(nl) >= 0.02)
    psn_l = ev_p[F["v"]]
    fee = {
        "feedetl_sn": id_array("feedetl_sn", np.arange(nl)),
        "mdtrt_id": id_array("mdtrt_id", F["v"]),
        "setl_id": id_array("setl_id", setl_num, has_setl),
        "psn_no": id_array("psn_no", psn_l),
        "fee_ocur_time": ts_array(F["t"]),
        "med_list_codg": med_code,
        "medins_list_codg": medins,
        "list_type": take_strings(["101", "102", "201", "301"], cat.lt_a[F["item"]]),
        "med_chrgitm_type": take_strings(cat.chrg_values, cat.chrg_a[F["item"]]),
        "cnt": pa.array(F["cnt"], pa.float64()),
        "pric": pa.array(F["pric"], pa.float64()),
        "det_item_fee_sumamt": pa.array(F["amt"], pa.float64()),
        "bilg_dr_codg": take_strings(doctors or [""], np.maximum(dr, 0), dr_valid),
        "prd_days": f64_array(F["prd"]),
        "dscg_tkdrug_flag": take_strings(["0", "1"], F["dscg"].astype(np.int64)),
        "rxno": id_array("rxno", np.maximum(F["rx"], 0), F["rx"] >= 0),
        "vali_flag": take_strings(["0", "1"], F["vali"].astype(np.int64)),
    }

    # settlements table: cancelled (2v) then valid (2v+1), by id
    sv_ = np.concatenate([vid[cancelled], vid[settled]])
    s_num = np.concatenate([2 * vid[cancelled], 2 * vid[settled] + 1])
    s_vali = np.concatenate([np.zeros(int(cancelled.sum()), bool), np.ones(int(settled.sum()),
                                                                          bool)])
    s_time = np.concatenate([setl_time[cancelled] - u(120, 3000, int(cancelled.sum())),
                             setl_time[settled]])
    o = np.argsort(s_num, kind="stable")
    sv_, s_num, s_vali, s_time = sv_[o], s_num[o], s_vali[o], s_time[o]
    inst_code = inst.code
    settlement = {
        "setl_id": id_array("setl_id", s_num),
        "mdtrt_id": id_array("mdtrt_id", sv_),
        "psn_no": id_array("psn_no", ev_p[sv_]),
        "fixmedins_code": take_strings(inst_code, ev_inst[sv_]),
        "setl_time": ts_array(s_time),
        "medfee_sumamt": pa.array(medfee[sv_]),
        "hifp_pay": pa.array(hifp[sv_]),
        "fund_pay_sumamt": pa.array(fund[sv_]),
        "acct_pay": pa.array(acct[sv_]),
        "psn_cash_pay": pa.array(cash[sv_]),
        "vali_flag": take_strings(["0", "1"], s_vali.astype(np.int64)),
    }

    med_type_of = np.array(["11", "13", "14", "41", "21", "51", "52"])
    med_ip = np.array([d.med_ip for d in dis])[np.maximum(ev_dis, 0)]
    er = np.array([d.er_admit for d in dis])[np.maximum(ev_dis, 0)]
    med_type = np.where(ev_k == K_I, np.where((med_ip == "21") & (rng.random(ne) < er), "24",
                                              med_ip), med_type_of[ev_k])
    planned = np.array([d.code.startswith("Z51") for d in dis])[np.maximum(ev_dis, 0)] & ip
    rinp = np.where(planned, "1", "0")
    atd_valid = (ev_doc >= 0) & (rng.random(ne) >= 0.03)
    visit = {
        "mdtrt_id": id_array("mdtrt_id", vid),
        "psn_no": id_array("psn_no", ev_p),
        "fixmedins_code": take_strings(inst_code, ev_inst),
        "med_type": pa.array(med_type, pa.string()),
        "begntime": ts_array(begin),
        "endtime": ts_array(endtime),
        "dise_codg": take_strings(opsp_keys, np.maximum(chronic_v, 0), ev_k == K_C),
        "dscg_way": take_strings(["1", "2", "4", "9", "5", ""], _idx(dscg_way), ip),
        "days_rinp_flag_31": take_strings(["0", "1"], (rinp == "1").astype(np.int64),
                                          ip & (rng.random(ne) >= 0.02)),
        "atddr_no": take_strings(doctors or [""], np.maximum(ev_doc, 0), atd_valid),
    }
    diagnosis = {
        "mdtrt_id": id_array("mdtrt_id", dx_v),
        "diag_srt_no": pa.array(dx_srt.astype(np.int32), pa.int32()),
        "diag_code": take_strings(all_codes, dx_code),
        "maindiag_flag": take_strings(["0", "1"], dx_main.astype(np.int64)),
    }
    person = {
        "psn_no": id_array("psn_no", np.arange(n)),
        "gend": take_strings(["1", "2", "0", "9"], gend),
        "brdy": date_array(brdy),
        "insutype": take_strings(["310", "390", "510"], insutype),
        "insu_admdvs": take_strings(districts, home),
        "insu_begn_date": date_array(begn),
        "insu_end_date": date_array(end_date, leaves),
        "die_date": date_array(die_date, dies),
    }
    # operations: one row per (visit, surgery code) of valid surgery charge lines
    surg_items = {cat.svc[s.key]: s.oprn for s in C.SERVICES if s.surgery}
    sm = np.isin(F["item"], list(surg_items)) & ~F["copy"] & (F["cnt"] > 0)
    so_v, so_item, so_t = F["v"][sm], F["item"][sm], F["t"][sm]
    key = so_v * 100000 + so_item
    _, first_ix = np.unique(key, return_index=True)
    so_v, so_item, so_t = so_v[first_ix], so_item[first_ix], so_t[first_ix]
    oprn_codes = sorted(set(surg_items.values()))
    code_of = np.full(len(cat.code), -1, np.int64)
    for it, c in surg_items.items():
        code_of[it] = oprn_codes.index(c)
    oc = code_of[so_item]
    o = np.lexsort((oc, so_v))
    operation = {
        "mdtrt_id": id_array("mdtrt_id", so_v[o]),
        "oprn_oprt_code": take_strings(oprn_codes, oc[o]),
        "oprn_oprt_date": ts_array(so_t[o]),
    }
    opsp_reg = []
    cp = np.nonzero(chronic >= 0)[0]
    reg_begin = s0 - rng.integers(30, 2000, len(cp))
    for p, c, b in zip(cp.tolist(), chronic[cp].tolist(), reg_begin.tolist(), strict=True):
        opsp_reg.append((fmt("psn_no", p), opsp_keys[c], int(b)))

    tables = {
        "person": pa.table(person),
        "visit": pa.table(visit),
        "diagnosis": pa.table(diagnosis),
        "operation": pa.table(operation),
        "settlement": pa.table(settlement),
        "fee": pa.table(fee),
    }
    return Background(tables=tables, n_persons=n, n_visits=ne, n_setl=2 * ne, n_lines=nl,
                      n_rx=4 * ne, doctors=doctors, doctor_name=doctor_name,
                      doctor_inst=doctor_inst, inst_doctors=inst_doctors, opsp_reg=opsp_reg)


def _idx(values: np.ndarray) -> np.ndarray:
    """Index of each dscg_way code in ``["1", "2", "4", "9", "5", ""]``."""
    lookup = {"1": 0, "2": 1, "4": 2, "9": 3, "5": 4, "": 5}
    uniq, inv = np.unique(values, return_inverse=True)
    return np.array([lookup[str(x)] for x in uniq], np.int64)[inv]
