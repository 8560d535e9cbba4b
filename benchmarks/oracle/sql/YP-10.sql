-- YP-10 住院口服药超量: charge drug line of an inpatient visit with drug.route 'oral' and prd_days
-- not null; limit = discharge_limit when dscg_tkdrug_flag = '1', else los_days; fires when
-- r4(prd_days) > limit.
WITH c AS (
    SELECT l.*, dr.drug_name,
           (l.dscg_tkdrug_flag IS NOT DISTINCT FROM '1') AS is_dscg,
           CASE WHEN l.dscg_tkdrug_flag IS NOT DISTINCT FROM '1' THEN {{discharge_limit}}
                ELSE CAST(l.v_los_days AS DOUBLE) END AS lim
    FROM f AS l
    JOIN drug AS dr ON dr.med_list_codg = l.med_list_codg
    WHERE l.is_charge AND l.list_type IN ('101', '102')
      AND l.v_kind = 'inpatient' AND dr.route = 'oral' AND l.prd_days IS NOT NULL
)
SELECT 'YP-10' AS rule_id, '住院口服药超量' AS rule_name, '药品类' AS category,
       'suspicious' AS result_type, 'fee' AS level,
       feedetl_sn, mdtrt_id, NULL AS setl_id, psn_no, inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       det_item_fee_sumamt * (prd_days - lim) / prd_days AS vola_amt,
       concat(drug_name, '（口服）', CASE WHEN is_dscg THEN '出院带药' ELSE '住院期间' END,
              '开药', fmt_num(prd_days), '天，超过', fmt_num(lim), '天') AS message,
       [feedetl_sn] AS lines
FROM c
WHERE r4(prd_days) > lim
