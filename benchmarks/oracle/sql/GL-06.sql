-- GL-06 重叠住院: per person, settled inpatient visits; B fires when some A earlier in visit order
-- (begntime, mdtrt_id) has overlap(A, B) = min(dscg_date) - max(adm_date) >= min_overlap_days.
-- other = the first such A in visit order.
-- Reading: "the person's visits" is a grouping, so a null visit.psn_no groups with other null
-- psn_no visits (IS NOT DISTINCT FROM), as SQL GROUP BY would (§0.10.2 exempts only LJ-01/06).
WITH st AS (
    SELECT * FROM v
    WHERE settled AND kind = 'inpatient'
      AND adm_date IS NOT NULL AND dscg_date IS NOT NULL AND begntime IS NOT NULL
),
pairs AS (
    SELECT b.mdtrt_id AS b_id, a.mdtrt_id AS a_id, a.adm_date AS a_adm, a.dscg_date AS a_dscg,
           least(a.dscg_date, b.dscg_date) - greatest(a.adm_date, b.adm_date) AS overlap,
           row_number() OVER (PARTITION BY b.mdtrt_id ORDER BY a.begntime, a.mdtrt_id) AS rn
    FROM st AS b
    JOIN st AS a
      ON a.psn_no IS NOT DISTINCT FROM b.psn_no
     AND (a.begntime < b.begntime OR (a.begntime = b.begntime AND a.mdtrt_id < b.mdtrt_id))
     AND least(a.dscg_date, b.dscg_date) - greatest(a.adm_date, b.adm_date) >= {{min_overlap_days}}
)
SELECT 'GL-06' AS rule_id, '重叠住院' AS rule_name, '医保管理类' AS category,
       'suspicious' AS result_type, 'visit' AS level,
       NULL AS feedetl_sn, b.mdtrt_id, NULL AS setl_id, b.psn_no, b.fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       b.visit_fund AS vola_amt,
       concat('住院', fmt_date(b.adm_date), '至', fmt_date(b.dscg_date), '与住院', p.a_id, '（',
              fmt_date(p.a_adm), '至', fmt_date(p.a_dscg), '）重叠', fmt_int(p.overlap), '天') AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM pairs AS p
JOIN st AS b ON b.mdtrt_id = p.b_id
WHERE p.rn = 1
