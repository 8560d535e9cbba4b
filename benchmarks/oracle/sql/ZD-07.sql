-- ZD-07 门诊慢特病超病种范围: charge drug line whose visit has med_type ∈ opsp_med_types and
-- dise_codg not null, whose drug.generic_id is not null, and whose dise_codg has at least one
-- opsp_scope row, fires when no opsp_scope row pairs that dise_codg with the drug's generic_id.
SELECT 'ZD-07' AS rule_id, '门诊慢特病超病种范围' AS rule_name, '临床诊断类' AS category,
       'definite' AS result_type, 'fee' AS level,
       l.feedetl_sn, l.mdtrt_id, NULL AS setl_id, l.psn_no, l.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       l.det_item_fee_sumamt AS vola_amt,
       concat('门诊慢特病', l.v_dise_codg, '用药范围不含', dr.drug_name, '（', dr.generic_id, '）') AS message,
       [l.feedetl_sn] AS lines
FROM f AS l
JOIN drug AS dr ON dr.med_list_codg = l.med_list_codg
WHERE l.is_charge AND l.list_type IN ('101', '102') AND l.has_visit
  AND in_list(l.v_med_type, {{opsp_med_types}})
  AND l.v_dise_codg IS NOT NULL AND dr.generic_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM opsp_scope AS o WHERE o.dise_codg = l.v_dise_codg)
  AND NOT EXISTS (SELECT 1 FROM opsp_scope AS o
                  WHERE o.dise_codg = l.v_dise_codg AND o.generic_id = dr.generic_id)
