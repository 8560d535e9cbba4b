-- YP-04 药品限就医方式: charge drug line with med_type_scope in {'inpatient','outpatient'} whose
-- visit has a kind; a pharmacy visit counts as outpatient.  Fires when scope 'inpatient' and the
-- visit is outpatient/pharmacy, or scope 'outpatient' and the visit is inpatient.
SELECT 'YP-04' AS rule_id, '药品限就医方式' AS rule_name, '药品类' AS category,
       'definite' AS result_type, 'fee' AS level,
       l.feedetl_sn, l.mdtrt_id, NULL AS setl_id, l.psn_no, l.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       l.det_item_fee_sumamt AS vola_amt,
       concat(dr.drug_name, '（', l.med_list_codg, '）限',
              CASE dr.med_type_scope WHEN 'inpatient' THEN '住院' ELSE '门诊' END,
              '使用，本次就诊医疗类别为', l.v_med_type) AS message,
       [l.feedetl_sn] AS lines
FROM f AS l
JOIN drug AS dr ON dr.med_list_codg = l.med_list_codg
WHERE l.is_charge AND l.list_type IN ('101', '102')
  AND l.v_kind IS NOT NULL
  AND ((dr.med_type_scope = 'inpatient' AND l.v_kind IN ('outpatient', 'pharmacy'))
       OR (dr.med_type_scope = 'outpatient' AND l.v_kind = 'inpatient'))
