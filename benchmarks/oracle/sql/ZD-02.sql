-- ZD-02 诊断与年龄不符: a = age, ad = age in days at adm_date (null brdy never fires).  A diagnosis
-- row conflicts when (code ∈ newborn_set and ad > newborn_max_days) or (code ∈ maternity_set and
-- (a < maternity_min_age or a > maternity_max_age)).  Amount visit_fund(V) if the main diagnosis
-- conflicts, else 0; dx = first conflicting row by (diag_srt_no nulls last, normalised code).
WITH c AS (
    SELECT vv.mdtrt_id, vv.psn_no, vv.fixmedins_code, vv.visit_fund,
           age_at(p.brdy, vv.adm_date) AS a, age_days_at(p.brdy, vv.adm_date) AS ad
    FROM v AS vv
    LEFT JOIN person AS p ON p.psn_no = vv.psn_no
),
rows_ AS (
    SELECT c.*, d.diag_code, d.diag_srt_no, d.code_n, d.is_main,
           (   (cs_member(d.code_n, {{newborn_set}}) AND c.ad > {{newborn_max_days}})
            OR (cs_member(d.code_n, {{maternity_set}})
                AND (c.a < {{maternity_min_age}} OR c.a > {{maternity_max_age}}))) AS conflicts
    FROM c
    JOIN dx AS d ON d.mdtrt_id = c.mdtrt_id
),
conf AS (
    SELECT *, row_number() OVER (PARTITION BY mdtrt_id
                                 ORDER BY diag_srt_no ASC NULLS LAST, code_n ASC NULLS FIRST) AS rn
    FROM rows_ WHERE conflicts
),
main_conf AS (
    SELECT m.mdtrt_id
    FROM main_dx AS m
    JOIN c ON c.mdtrt_id = m.mdtrt_id
    WHERE (cs_member(m.code_n, {{newborn_set}}) AND c.ad > {{newborn_max_days}})
       OR (cs_member(m.code_n, {{maternity_set}})
           AND (c.a < {{maternity_min_age}} OR c.a > {{maternity_max_age}}))
)
SELECT 'ZD-02' AS rule_id, '诊断与年龄不符' AS rule_name, '临床诊断类' AS category,
       'definite' AS result_type, 'visit' AS level,
       NULL AS feedetl_sn, x.mdtrt_id, NULL AS setl_id, x.psn_no, x.fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       CASE WHEN x.mdtrt_id IN (SELECT mdtrt_id FROM main_conf) THEN x.visit_fund ELSE 0 END AS vola_amt,
       concat('诊断', x.diag_code, '与参保人就诊时年龄（', fmt_int(x.a), '岁，', fmt_int(x.ad),
              '天）不符') AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM conf AS x
WHERE x.rn = 1
