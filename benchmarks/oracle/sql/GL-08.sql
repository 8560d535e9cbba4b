-- GL-08 集中批量刷卡: at institutions with fixmedins_type = '2', N(S) = valid settlements of the same
-- institution with S.setl_time - window_min min <= setl_time <= S.setl_time (RANGE window: peers
-- with S's exact time included); fires when N >= min_settlements.
WITH c AS (
    SELECT st.*,
           count(*) OVER (PARTITION BY st.fixmedins_code ORDER BY st.setl_time
                          RANGE BETWEEN to_seconds({{window_min}} * 60) PRECEDING AND CURRENT ROW) AS n
    FROM s AS st
    JOIN inst AS i ON i.fixmedins_code = st.fixmedins_code
    WHERE i.fixmedins_type = '2' AND st.setl_time IS NOT NULL
)
SELECT 'GL-08' AS rule_id, '集中批量刷卡' AS rule_name, '医保管理类' AS category,
       'suspicious' AS result_type, 'settlement' AS level,
       NULL AS feedetl_sn, mdtrt_id, setl_id, psn_no, fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       fund_pay_sumamt AS vola_amt,
       concat('药店', fixmedins_code, '在', fmt_ts(setl_time), '前', fmt_int({{window_min}}),
              '分钟内结算', fmt_int(n), '笔') AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM c
WHERE n >= {{min_settlements}}
