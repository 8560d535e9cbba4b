-- GL-03 同一时段异地结算: a partner of valid settlement S1 is a valid settlement S2 (different
-- setl_id) with S2.psn_no = S1.psn_no (equality: a null psn_no has no partner), both cities
-- (left(admdvs, city_len)) not null and different, and |Δ setl_time| < max_gap_min * 60 s.
-- Both settlements of a pair fire.  Message partner = smallest |Δ|, then smallest setl_id.
WITH sc AS (
    SELECT st.*, left(i.admdvs, {{city_len}}) AS city
    FROM s AS st
    JOIN inst AS i ON i.fixmedins_code = st.fixmedins_code
    WHERE i.admdvs IS NOT NULL AND st.setl_time IS NOT NULL AND st.psn_no IS NOT NULL
),
pairs AS (
    SELECT a.setl_id AS s1, b.setl_id AS s2, b.setl_time AS p_time, b.fixmedins_code AS p_inst,
           abs(epoch(b.setl_time) - epoch(a.setl_time)) AS gap_s
    FROM sc AS a
    JOIN sc AS b
      ON b.psn_no = a.psn_no
     AND b.setl_id <> a.setl_id
     AND b.city <> a.city
     AND b.setl_time > a.setl_time - to_seconds({{max_gap_min}} * 60)
     AND b.setl_time < a.setl_time + to_seconds({{max_gap_min}} * 60)
),
best AS (
    SELECT *, row_number() OVER (PARTITION BY s1 ORDER BY gap_s, s2) AS rn
    FROM pairs
    WHERE gap_s < {{max_gap_min}} * 60
)
SELECT 'GL-03' AS rule_id, '同一时段异地结算' AS rule_name, '医保管理类' AS category,
       'suspicious' AS result_type, 'settlement' AS level,
       NULL AS feedetl_sn, a.mdtrt_id, a.setl_id, a.psn_no, a.fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       a.fund_pay_sumamt AS vola_amt,
       concat(fmt_ts(a.setl_time), '在', a.fixmedins_code, '结算，与', fmt_ts(p.p_time),
              '在异地机构', p.p_inst, '的结算', p.s2, '间隔不足', fmt_int({{max_gap_min}}),
              '分钟') AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM best AS p
JOIN sc AS a ON a.setl_id = p.s1
WHERE p.rn = 1
