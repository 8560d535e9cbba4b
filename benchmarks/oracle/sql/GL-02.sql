-- GL-02 单人高频次就诊: counted visits = settled outpatient or pharmacy visits; for each, N = the
-- counted visits of the same person with adm_date in [d - window_days + 1, d] (RANGE window, so
-- all visits of one day share N); fires when N > max_visits.
-- Reading: visit.psn_no null forms its own partition (SQL grouping, §0.10.2 exceptions only for
-- LJ-01/LJ-06); a visit with a null adm_date is not counted.
WITH cv AS (
    SELECT vv.*,
           count(*) OVER (PARTITION BY psn_no ORDER BY adm_date
                          RANGE BETWEEN ({{window_days}} - 1) PRECEDING AND CURRENT ROW) AS n
    FROM v AS vv
    WHERE vv.settled AND vv.kind IN ('outpatient', 'pharmacy') AND vv.adm_date IS NOT NULL
)
SELECT 'GL-02' AS rule_id, '单人高频次就诊' AS rule_name, '医保管理类' AS category,
       'suspicious' AS result_type, 'visit' AS level,
       NULL AS feedetl_sn, mdtrt_id, NULL AS setl_id, psn_no, fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       visit_fund AS vola_amt,
       concat('参保人', psn_no, '在', fmt_date(adm_date - ({{window_days}} - 1)), '至',
              fmt_date(adm_date), '门诊及购药就诊', fmt_int(n), '次，超过', fmt_int({{max_visits}}),
              '次') AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM cv
WHERE n > {{max_visits}}
