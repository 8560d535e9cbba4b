-- Oracle prelude: macros and the derived tables every rule reads.
-- Input: typed views person, visit, diagnosis, operation, settlement, fee, institution,
-- institution_agreement, equipment_licence, practitioner, opsp_reg, drug, service, material,
-- item_pair, package, code_set, pathway, device_rule, opsp_scope, icd10 (created by run.py with
-- the data-contract types).  Everything below follows rules-46.md §0.

-- §0.5 rounding: half away from zero with a 1e-6 guard; sign(0) = 0.
CREATE OR REPLACE MACRO r2(x) AS
    sign(CAST(x AS DOUBLE)) * floor(abs(CAST(x AS DOUBLE)) * 100 + 0.5 + 1e-6) / 100;
CREATE OR REPLACE MACRO r4(x) AS
    sign(CAST(x AS DOUBLE)) * floor(abs(CAST(x AS DOUBLE)) * 10000 + 0.5 + 1e-6) / 10000;
-- vola_amt: r2, with -0 written as 0.
CREATE OR REPLACE MACRO amt_out(x) AS
    CASE WHEN r2(x) = 0 THEN CAST(0 AS DOUBLE) ELSE r2(x) END;

-- §0.7.5 / §0.10.16 message formatting (null -> NULL, which concat() prints as '').
CREATE OR REPLACE MACRO fmt_money(x) AS printf('%.2f', amt_out(x));
CREATE OR REPLACE MACRO fmt_num(x) AS
    rtrim(rtrim(printf('%.4f', CASE WHEN r4(x) = 0 THEN CAST(0 AS DOUBLE) ELSE r4(x) END), '0'), '.');
CREATE OR REPLACE MACRO fmt_int(x) AS CAST(CAST(x AS BIGINT) AS VARCHAR);
CREATE OR REPLACE MACRO fmt_date(x) AS strftime(CAST(x AS DATE), '%Y-%m-%d');
CREATE OR REPLACE MACRO fmt_ts(x) AS strftime(CAST(x AS TIMESTAMP), '%Y-%m-%d %H:%M:%S');
CREATE OR REPLACE MACRO sex_zh(x) AS CASE x WHEN '1' THEN '男' WHEN '2' THEN '女' ELSE x END;

-- §0.3.1 code normalisation: upper-case, every U+0020 removed.
CREATE OR REPLACE MACRO norm_code(x) AS replace(upper(x), ' ', '');

-- §0.4.5 age in years at date x (29 Feb birthday completed on 1 Mar); null brdy -> null.
CREATE OR REPLACE MACRO age_at(brdy, x) AS
    year(x) - year(brdy)
    - CASE WHEN month(x) * 100 + day(x) < month(brdy) * 100 + day(brdy) THEN 1 ELSE 0 END;
CREATE OR REPLACE MACRO age_days_at(brdy, x) AS (x - brdy);

-- x ∈ set (a VARCHAR[] parameter) with SQL three-valued logic: null x -> null.
CREATE OR REPLACE MACRO in_list(x, s) AS CASE WHEN x IS NULL THEN NULL ELSE list_contains(s, x) END;

-- ---------------------------------------------------------------- hygiene (contract §2)
-- valid settlements
CREATE OR REPLACE TEMP TABLE s AS
SELECT st.*, CAST(st.setl_time AS DATE) AS setl_date
FROM settlement st
WHERE st.vali_flag IS DISTINCT FROM '0';

-- visits with derived attributes (§0.2.3, §0.1.4, §0.1.5)
CREATE OR REPLACE TEMP TABLE v AS
WITH money AS (
    SELECT mdtrt_id,
           sum(medfee_sumamt)   AS medfee_raw,
           sum(hifp_pay)        AS hifp_raw,
           sum(fund_pay_sumamt) AS fund_raw,
           count(*)             AS n_setl
    FROM s
    WHERE mdtrt_id IS NOT NULL
    GROUP BY mdtrt_id
)
SELECT vi.*,
       CAST(vi.begntime AS DATE) AS adm_date,
       CAST(vi.endtime AS DATE)  AS dscg_date,
       CASE WHEN vi.med_type IN ('21', '22', '24', '52') THEN 'inpatient'
            WHEN vi.med_type IN ('11', '13', '14', '51') THEN 'outpatient'
            WHEN vi.med_type = '41' THEN 'pharmacy' END AS kind,
       CASE WHEN vi.med_type IN ('21', '22', '24', '52')
                 AND vi.begntime IS NOT NULL AND vi.endtime IS NOT NULL
            THEN greatest(1, CAST(vi.endtime AS DATE) - CAST(vi.begntime AS DATE)) END AS los_days,
       coalesce(m.n_setl, 0) > 0 AS settled,
       -- Σ of a column over the settlements; a null column value makes the sum skip it (SQL sum).
       coalesce(m.medfee_raw, 0) AS visit_medfee,
       coalesce(m.hifp_raw, 0)   AS visit_hifp,
       coalesce(m.fund_raw, 0)   AS visit_fund
FROM visit vi
LEFT JOIN money m ON m.mdtrt_id = vi.mdtrt_id;

-- valid fee lines (hygiene) with fee_date, charge flag (§0.1.2) and the visit's attributes (§0.2.1)
CREATE OR REPLACE TEMP TABLE f AS
SELECT fe.*,
       CAST(fe.fee_ocur_time AS DATE) AS fee_date,
       coalesce(r4(fe.cnt) > 0, false) AS is_charge,
       (vv.mdtrt_id IS NOT NULL) AS has_visit,
       vv.fixmedins_code AS inst,
       vv.psn_no    AS v_psn_no,
       vv.med_type  AS v_med_type,
       vv.kind      AS v_kind,
       vv.begntime  AS v_begntime,
       vv.endtime   AS v_endtime,
       vv.adm_date  AS v_adm_date,
       vv.dscg_date AS v_dscg_date,
       vv.los_days  AS v_los_days,
       vv.dise_codg AS v_dise_codg
FROM fee fe
LEFT JOIN v vv ON vv.mdtrt_id = fe.mdtrt_id
WHERE fe.vali_flag IS DISTINCT FROM '0'
  AND NOT EXISTS (SELECT 1 FROM settlement cx
                  WHERE cx.vali_flag = '0' AND cx.setl_id = fe.setl_id);

-- institutions with hosp_rank (§0.2.4, §0.10.14)
CREATE OR REPLACE TEMP TABLE inst AS
SELECT i.*,
       CASE WHEN i.hosp_lv IN ('01', '02', '03', '04') THEN 3
            WHEN i.hosp_lv IN ('05', '06', '07') THEN 2
            WHEN i.hosp_lv IN ('08', '09', '10') THEN 1
            ELSE 0 END AS hosp_rank
FROM institution i;

-- diagnoses, normalised (§0.3.1)
CREATE OR REPLACE TEMP TABLE dx AS
SELECT d.*,
       norm_code(d.diag_code) AS code_n,
       left(norm_code(d.diag_code), 3) AS icd3,
       coalesce(d.maindiag_flag = '1', false) AS is_main
FROM diagnosis d;

-- a visit's main diagnosis (§0.3.2): the maindiag_flag = '1' row with the lowest diag_srt_no
-- (ties by normalised code, a null code first; a null diag_srt_no last, as §0.10.13).
CREATE OR REPLACE TEMP TABLE main_dx AS
SELECT mdtrt_id, diag_srt_no, diag_code, code_n, icd3
FROM (
    SELECT dx.*, row_number() OVER (PARTITION BY mdtrt_id
                                    ORDER BY diag_srt_no ASC NULLS LAST, code_n ASC NULLS FIRST) AS rn
    FROM dx WHERE is_main
) WHERE rn = 1;

-- code sets, normalised (§0.3.1, contract §3)
CREATE OR REPLACE TEMP TABLE cs AS
SELECT set_id, norm_code(code_from) AS code_from_n, norm_code(code_to) AS code_to_n
FROM code_set;

-- membership "code c (normalised) ∈ set sid" (contract §3): some row with
-- code_from <= c[:len(code_from)] and c[:len(code_to)] <= code_to.
CREATE OR REPLACE MACRO cs_member(c, sid) AS EXISTS (
    SELECT 1 FROM cs
    WHERE cs.set_id = sid
      AND cs.code_from_n <= left(c, length(cs.code_from_n))
      AND left(c, length(cs.code_to_n)) <= cs.code_to_n);

-- set ids that exist (a set_id with no row is "missing", §0.3.3)
CREATE OR REPLACE TEMP TABLE cs_ids AS SELECT DISTINCT set_id FROM code_set WHERE set_id IS NOT NULL;
