-- LJ-02 挂床住院: inpatient visits with los_days >= min_los; dates examined adm_date ..
-- dscg_date - 1.  A date is idle when every charge line of V dated d has med_chrgitm_type not null
-- and in idle_types (no charge line -> idle; refunds do not decide).  Fires when the longest run of
-- consecutive idle dates >= min_idle_run.  Amount / lines: V's valid lines (refunds included)
-- dated on idle examined dates (§0.10.7).
WITH cand AS (
    SELECT * FROM v
    WHERE kind = 'inpatient' AND los_days >= {{min_los}}
),
dates AS (
    SELECT c.mdtrt_id, CAST(d.d AS DATE) AS d
    FROM cand AS c,
         unnest(range(CAST(c.adm_date AS TIMESTAMP), CAST(c.dscg_date AS TIMESTAMP), INTERVAL 1 DAY)) AS d(d)
),
busy AS (
    SELECT DISTINCT l.mdtrt_id, l.fee_date AS d
    FROM f AS l
    JOIN cand AS c ON c.mdtrt_id = l.mdtrt_id
    WHERE l.is_charge AND in_list(l.med_chrgitm_type, {{idle_types}}) IS NOT TRUE
),
idle AS (
    SELECT dt.mdtrt_id, dt.d,
           dt.d - CAST(row_number() OVER (PARTITION BY dt.mdtrt_id ORDER BY dt.d) AS INTEGER) AS grp
    FROM dates AS dt
    WHERE NOT EXISTS (SELECT 1 FROM busy AS b WHERE b.mdtrt_id = dt.mdtrt_id AND b.d = dt.d)
),
runs AS (
    SELECT mdtrt_id, max(n) AS run
    FROM (SELECT mdtrt_id, grp, count(*) AS n FROM idle GROUP BY mdtrt_id, grp)
    GROUP BY mdtrt_id
),
idle_lines AS (
    SELECT l.mdtrt_id, sum(l.det_item_fee_sumamt) AS a, list(l.feedetl_sn) AS lines
    FROM f AS l
    JOIN idle AS i ON i.mdtrt_id = l.mdtrt_id AND i.d = l.fee_date
    GROUP BY l.mdtrt_id
)
SELECT 'LJ-02' AS rule_id, '挂床住院' AS rule_name, '临床路径类' AS category,
       'suspicious' AS result_type, 'visit' AS level,
       NULL AS feedetl_sn, c.mdtrt_id, NULL AS setl_id, c.psn_no, c.fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       coalesce(il.a, 0) AS vola_amt,
       concat('住院期间最长连续', fmt_int(r.run), '天仅有床位、诊察、护理等费用') AS message,
       coalesce(il.lines, CAST([] AS VARCHAR[])) AS lines
FROM runs AS r
JOIN cand AS c ON c.mdtrt_id = r.mdtrt_id
LEFT JOIN idle_lines AS il ON il.mdtrt_id = r.mdtrt_id
WHERE r.run >= {{min_idle_run}}
