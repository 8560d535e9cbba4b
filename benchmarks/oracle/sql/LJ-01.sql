-- LJ-01 分解住院: per (psn_no, fixmedins_code), both not null (§0.10.2), the settled inpatient
-- visits in visit order (begntime, mdtrt_id); V1 = the immediately preceding one of V2.  V2 fires
-- when 0 <= V2.adm_date - V1.dscg_date <= max_gap_days, both have a main diagnosis with equal
-- icd3, V1.days_rinp_flag_31 is not '1', and V2's main diagnosis ∉ planned_set (a missing set
-- holds nothing).  Amount visit_hifp(V2).
WITH st AS (
    SELECT vv.*, m.icd3 AS main_icd3, m.code_n AS main_code_n, (m.mdtrt_id IS NOT NULL) AS has_main
    FROM v AS vv
    LEFT JOIN main_dx AS m ON m.mdtrt_id = vv.mdtrt_id
    WHERE vv.settled AND vv.kind = 'inpatient'
      AND vv.psn_no IS NOT NULL AND vv.fixmedins_code IS NOT NULL
),
w AS (
    SELECT st.*,
           lag(mdtrt_id) OVER o AS p_id,
           lag(dscg_date) OVER o AS p_dscg,
           lag(has_main) OVER o AS p_has_main,
           lag(main_icd3) OVER o AS p_icd3,
           lag(days_rinp_flag_31) OVER o AS p_flag
    FROM st
    WINDOW o AS (PARTITION BY psn_no, fixmedins_code ORDER BY begntime ASC NULLS LAST, mdtrt_id ASC)
)
SELECT 'LJ-01' AS rule_id, '分解住院' AS rule_name, '临床路径类' AS category,
       'suspicious' AS result_type, 'visit' AS level,
       NULL AS feedetl_sn, mdtrt_id, NULL AS setl_id, psn_no, fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       visit_hifp AS vola_amt,
       concat('出院（', p_id, '，', fmt_date(p_dscg), '）后', fmt_int(adm_date - p_dscg),
              '天再次入院，主诊断同属', main_icd3) AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM w
WHERE p_id IS NOT NULL
  AND adm_date - p_dscg BETWEEN 0 AND {{max_gap_days}}
  AND has_main AND p_has_main AND main_icd3 = p_icd3
  AND p_flag IS DISTINCT FROM '1'
  AND NOT cs_member(main_code_n, {{planned_set}})
