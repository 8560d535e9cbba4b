-- GL-05 住院期间院外门诊或药店结算: V2 (settled pharmacy visit, or settled outpatient visit with
-- med_type not in excluded_med_types) fires when some settled inpatient stay V1 has
-- V1.psn_no = V2.psn_no, V1.fixmedins_code <> V2.fixmedins_code (nulls never match) and
-- V1.adm_date < V2.adm_date < V1.dscg_date.  stay = first qualifying V1 in visit order.
WITH stays AS (
    SELECT * FROM v WHERE settled AND kind = 'inpatient'
),
cand AS (
    SELECT * FROM v
    WHERE settled
      AND (kind = 'pharmacy'
           OR (kind = 'outpatient' AND NOT in_list(med_type, {{excluded_med_types}})))
),
hits AS (
    SELECT c.mdtrt_id, st.mdtrt_id AS stay_id, st.adm_date AS stay_adm, st.dscg_date AS stay_dscg,
           row_number() OVER (PARTITION BY c.mdtrt_id
                              ORDER BY st.begntime ASC NULLS LAST, st.mdtrt_id ASC) AS rn
    FROM cand AS c
    JOIN stays AS st
      ON st.psn_no = c.psn_no
     AND st.fixmedins_code <> c.fixmedins_code
     AND st.adm_date < c.adm_date AND c.adm_date < st.dscg_date
)
SELECT 'GL-05' AS rule_id, '住院期间院外门诊或药店结算' AS rule_name, '医保管理类' AS category,
       'suspicious' AS result_type, 'visit' AS level,
       NULL AS feedetl_sn, c.mdtrt_id, NULL AS setl_id, c.psn_no, c.fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       c.visit_fund AS vola_amt,
       concat('住院期间（', h.stay_id, '，', fmt_date(h.stay_adm), '至', fmt_date(h.stay_dscg),
              '）在其他机构', c.fixmedins_code, '门诊或购药结算') AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM hits AS h
JOIN cand AS c ON c.mdtrt_id = h.mdtrt_id
WHERE h.rn = 1
