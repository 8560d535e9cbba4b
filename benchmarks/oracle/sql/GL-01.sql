-- GL-01 单次结报大金额: valid settlement whose visit exists and has a kind; fires when
-- r2(medfee_sumamt) >= the kind's threshold.
WITH c AS (
    SELECT st.*, vv.kind,
           CASE vv.kind WHEN 'outpatient' THEN {{outpatient_min}}
                        WHEN 'pharmacy' THEN {{pharmacy_min}}
                        WHEN 'inpatient' THEN {{inpatient_min}} END AS threshold
    FROM s AS st
    JOIN v AS vv ON vv.mdtrt_id = st.mdtrt_id
    WHERE vv.kind IS NOT NULL
)
SELECT 'GL-01' AS rule_id, '单次结报大金额' AS rule_name, '医保管理类' AS category,
       'suspicious' AS result_type, 'settlement' AS level,
       NULL AS feedetl_sn, mdtrt_id, setl_id, psn_no, fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       fund_pay_sumamt AS vola_amt,
       concat('单次结算医疗费总额', fmt_money(medfee_sumamt), '元，达到',
              CASE kind WHEN 'outpatient' THEN '门诊' WHEN 'pharmacy' THEN '药店购药' ELSE '住院' END,
              '大额标准', fmt_money(threshold), '元') AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM c
WHERE r2(medfee_sumamt) >= threshold
