-- YP-09 门诊超量开药: charge drug line of an outpatient or pharmacy visit with prd_days not null;
-- limit = limit_emergency (13), limit_chronic (14), else limit_general; fires when
-- r4(prd_days) > limit.
WITH c AS (
    SELECT l.*, dr.drug_name,
           CASE WHEN l.v_med_type = '13' THEN {{limit_emergency}}
                WHEN l.v_med_type = '14' THEN {{limit_chronic}}
                ELSE {{limit_general}} END AS lim
    FROM f AS l
    JOIN drug AS dr ON dr.med_list_codg = l.med_list_codg
    WHERE l.is_charge AND l.list_type IN ('101', '102')
      AND l.v_kind IN ('outpatient', 'pharmacy') AND l.prd_days IS NOT NULL
)
SELECT 'YP-09' AS rule_id, '门诊超量开药' AS rule_name, '药品类' AS category,
       'definite' AS result_type, 'fee' AS level,
       feedetl_sn, mdtrt_id, NULL AS setl_id, psn_no, inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       det_item_fee_sumamt * (prd_days - lim) / prd_days AS vola_amt,
       concat('门诊处方', drug_name, '开药', fmt_num(prd_days), '天，超过', fmt_num(lim), '天') AS message,
       [feedetl_sn] AS lines
FROM c
WHERE r4(prd_days) > lim
