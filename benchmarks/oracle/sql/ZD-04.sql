-- ZD-04 诊疗项目限指征: charge service line whose service.indication_set S is not null and not
-- missing fires when no diagnosis row with diagnosis.mdtrt_id = fee.mdtrt_id has a code ∈ S.
SELECT 'ZD-04' AS rule_id, '诊疗项目限指征' AS rule_name, '临床诊断类' AS category,
       'suspicious' AS result_type, 'fee' AS level,
       l.feedetl_sn, l.mdtrt_id, NULL AS setl_id, l.psn_no, l.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       l.det_item_fee_sumamt AS vola_amt,
       concat(sv.item_name, '（', l.med_list_codg, '）限指征', sv.indication_set,
              '，本次就诊无相应诊断') AS message,
       [l.feedetl_sn] AS lines
FROM f AS l
JOIN service AS sv ON sv.med_list_codg = l.med_list_codg
WHERE l.is_charge AND l.list_type = '201'
  AND sv.indication_set IN (SELECT set_id FROM cs_ids)
  AND NOT EXISTS (SELECT 1 FROM dx AS d
                  WHERE d.mdtrt_id = l.mdtrt_id AND cs_member(d.code_n, sv.indication_set))
