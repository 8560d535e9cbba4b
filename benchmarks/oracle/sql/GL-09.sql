-- GL-09 医师单日接诊量异常: charge lines with bilg_dr_codg not null (any visit, orphans included),
-- grouped by (bilg_dr_codg, fee_date); N = distinct fee.psn_no (a null psn_no is no person);
-- fires when N > max_patients.  Doctor level: only dr_codg and the day are set.
WITH g AS (
    SELECT bilg_dr_codg, fee_date, count(DISTINCT psn_no) AS n, list(feedetl_sn) AS lines
    FROM f
    WHERE is_charge AND bilg_dr_codg IS NOT NULL
    GROUP BY bilg_dr_codg, fee_date
)
SELECT 'GL-09' AS rule_id, '医师单日接诊量异常' AS rule_name, '医保管理类' AS category,
       'suspicious' AS result_type, 'doctor' AS level,
       NULL AS feedetl_sn, NULL AS mdtrt_id, NULL AS setl_id, NULL AS psn_no, NULL AS fixmedins_code,
       bilg_dr_codg AS dr_codg, NULL AS item_code, fee_date AS period_start, fee_date AS period_end,
       0 AS vola_amt,
       concat('医师', bilg_dr_codg, '在', fmt_date(fee_date), '开单服务参保人', fmt_int(n), '人，超过',
              fmt_int({{max_patients}}), '人') AS message,
       lines
FROM g
WHERE n > {{max_patients}}
