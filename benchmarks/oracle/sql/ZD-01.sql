-- ZD-01 诊断与性别不符: visit V whose person has gend in {'1','2'}; a diagnosis row of V conflicts
-- when (gend '1' and code ∈ female_set) or (gend '2' and code ∈ male_set) (code_set membership on
-- normalised codes; a missing set holds nothing).  Amount visit_fund(V) if V's main diagnosis
-- conflicts, else 0.  dx = first conflicting row by (diag_srt_no, normalised code) with a null
-- diag_srt_no last and a null code first (as §0.10.13).
WITH c AS (
    SELECT vv.mdtrt_id, vv.psn_no, vv.fixmedins_code, vv.visit_fund, p.gend,
           CASE p.gend WHEN '1' THEN {{female_set}} WHEN '2' THEN {{male_set}} END AS sid
    FROM v AS vv
    JOIN person AS p ON p.psn_no = vv.psn_no
    WHERE p.gend IN ('1', '2')
),
conf AS (
    SELECT c.mdtrt_id, d.diag_code,
           row_number() OVER (PARTITION BY c.mdtrt_id
                              ORDER BY d.diag_srt_no ASC NULLS LAST, d.code_n ASC NULLS FIRST) AS rn
    FROM c
    JOIN dx AS d ON d.mdtrt_id = c.mdtrt_id
    WHERE cs_member(d.code_n, c.sid)
)
SELECT 'ZD-01' AS rule_id, '诊断与性别不符' AS rule_name, '临床诊断类' AS category,
       'definite' AS result_type, 'visit' AS level,
       NULL AS feedetl_sn, c.mdtrt_id, NULL AS setl_id, c.psn_no, c.fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       CASE WHEN EXISTS (SELECT 1 FROM main_dx AS m
                         WHERE m.mdtrt_id = c.mdtrt_id AND cs_member(m.code_n, c.sid))
            THEN c.visit_fund ELSE 0 END AS vola_amt,
       concat('诊断', x.diag_code, '与参保人性别（', sex_zh(c.gend), '）不符') AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM conf AS x
JOIN c ON c.mdtrt_id = x.mdtrt_id
WHERE x.rn = 1
