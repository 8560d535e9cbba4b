-- YP-01 药品限性别使用: charge drug line (list_type 101/102 with a drug row) with
-- drug.sex_limit in {'1','2'} fires when person.gend in {'1','2'} and differs.  Orphans fire.
SELECT 'YP-01' AS rule_id, '药品限性别使用' AS rule_name, '药品类' AS category,
       'definite' AS result_type, 'fee' AS level,
       l.feedetl_sn, l.mdtrt_id, NULL AS setl_id, l.psn_no, l.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       l.det_item_fee_sumamt AS vola_amt,
       concat(dr.drug_name, '（', l.med_list_codg, '）限', sex_zh(dr.sex_limit),
              '性使用，参保人性别为', sex_zh(p.gend)) AS message,
       [l.feedetl_sn] AS lines
FROM f AS l
JOIN drug AS dr ON dr.med_list_codg = l.med_list_codg
LEFT JOIN person AS p ON p.psn_no = l.psn_no
WHERE l.is_charge AND l.list_type IN ('101', '102')
  AND dr.sex_limit IN ('1', '2')
  AND p.gend IN ('1', '2')
  AND p.gend <> dr.sex_limit
