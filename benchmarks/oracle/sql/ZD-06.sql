-- ZD-06 无诊断或无效诊断编码: visit V with at least one valid fee line (fee.mdtrt_id = V).
-- Reasons in order: (a) V has no diagnosis row; (b) some diagnosis row is invalid: diag_code null,
-- normalised code shorter than 3 characters, or icd3 equal to no normalised icd10.icd3.
-- dx = first invalid row by (diag_srt_no nulls last, normalised code nulls first) (§0.10.13).
WITH cand AS (
    SELECT vv.* FROM v AS vv
    WHERE EXISTS (SELECT 1 FROM f WHERE f.mdtrt_id = vv.mdtrt_id)
),
valid3 AS (
    SELECT DISTINCT norm_code(icd3) AS icd3 FROM icd10 WHERE icd3 IS NOT NULL
),
invalid AS (
    SELECT d.mdtrt_id, d.diag_code,
           row_number() OVER (PARTITION BY d.mdtrt_id
                              ORDER BY d.diag_srt_no ASC NULLS LAST, d.code_n ASC NULLS FIRST) AS rn
    FROM dx AS d
    WHERE d.diag_code IS NULL
       OR length(d.code_n) < 3
       OR d.icd3 NOT IN (SELECT icd3 FROM valid3)
),
has_dx AS (
    SELECT DISTINCT mdtrt_id FROM dx
)
SELECT 'ZD-06' AS rule_id, '无诊断或无效诊断编码' AS rule_name, '临床诊断类' AS category,
       'definite' AS result_type, 'visit' AS level,
       NULL AS feedetl_sn, c.mdtrt_id, NULL AS setl_id, c.psn_no, c.fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       0 AS vola_amt,
       CASE WHEN h.mdtrt_id IS NULL THEN '本次就诊有费用但无诊断'
            ELSE concat('诊断编码', i.diag_code, '无效') END AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM cand AS c
LEFT JOIN has_dx AS h ON h.mdtrt_id = c.mdtrt_id
LEFT JOIN (SELECT * FROM invalid WHERE rn = 1) AS i ON i.mdtrt_id = c.mdtrt_id
WHERE h.mdtrt_id IS NULL OR i.mdtrt_id IS NOT NULL
