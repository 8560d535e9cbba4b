-- ZD-03 药品限适应症: charge drug line (list_type 101/102 with a drug row) whose
-- drug.indication_set S is not null and not missing fires when no diagnosis row with
-- diagnosis.mdtrt_id = fee.mdtrt_id has a code ∈ S (orphan lines and visits without diagnoses fire).
SELECT 'ZD-03' AS rule_id, '药品限适应症' AS rule_name, '临床诊断类' AS category,
       'suspicious' AS result_type, 'fee' AS level,
       l.feedetl_sn, l.mdtrt_id, NULL AS setl_id, l.psn_no, l.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       l.det_item_fee_sumamt AS vola_amt,
       concat(dr.drug_name, '（', l.med_list_codg, '）限适应症', dr.indication_set,
              '，本次就诊无相应诊断') AS message,
       [l.feedetl_sn] AS lines
FROM f AS l
JOIN drug AS dr ON dr.med_list_codg = l.med_list_codg
WHERE l.is_charge AND l.list_type IN ('101', '102')
  AND dr.indication_set IN (SELECT set_id FROM cs_ids)
  AND NOT EXISTS (SELECT 1 FROM dx AS d
                  WHERE d.mdtrt_id = l.mdtrt_id AND cs_member(d.code_n, dr.indication_set))
