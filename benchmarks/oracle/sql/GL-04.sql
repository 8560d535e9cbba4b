-- GL-04 死亡后或参保期外就医: every visit V, d = adm_date, person row of V.psn_no.  Reasons in
-- order: (a) die_date not null and d > die_date; (b) d < insu_begn_date; (c) insu_end_date not
-- null and d > insu_end_date.  Message uses the first reason that holds.
WITH c AS (
    SELECT vv.*, p.die_date, p.insu_begn_date, p.insu_end_date,
           CASE WHEN p.die_date IS NOT NULL AND vv.adm_date > p.die_date
                    THEN concat('晚于死亡日期', fmt_date(p.die_date))
                WHEN vv.adm_date < p.insu_begn_date
                    THEN concat('早于参保开始日期', fmt_date(p.insu_begn_date))
                WHEN p.insu_end_date IS NOT NULL AND vv.adm_date > p.insu_end_date
                    THEN concat('晚于参保终止日期', fmt_date(p.insu_end_date)) END AS reason
    FROM v AS vv
    LEFT JOIN person AS p ON p.psn_no = vv.psn_no
)
SELECT 'GL-04' AS rule_id, '死亡后或参保期外就医' AS rule_name, '医保管理类' AS category,
       'definite' AS result_type, 'visit' AS level,
       NULL AS feedetl_sn, mdtrt_id, NULL AS setl_id, psn_no, fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       visit_fund AS vola_amt,
       concat('就诊日期', fmt_date(adm_date), reason) AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM c
WHERE reason IS NOT NULL
