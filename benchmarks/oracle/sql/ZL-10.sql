-- ZL-10 未经许可使用大型医用设备: charge service line with service.equipment_class not null whose
-- institution I (the visit's) is not null fires when no equipment_licence row of I and that class
-- has begndate <= fee_date <= enddate (a null date covers nothing; a null fee_date is covered by
-- nothing, so it fires).
SELECT 'ZL-10' AS rule_id, '未经许可使用大型医用设备' AS rule_name, '诊疗项目类' AS category,
       'definite' AS result_type, 'fee' AS level,
       l.feedetl_sn, l.mdtrt_id, NULL AS setl_id, l.psn_no, l.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       l.det_item_fee_sumamt AS vola_amt,
       concat(sv.item_name, '需', sv.equipment_class, '配置许可，', l.inst, '在',
              fmt_date(l.fee_date), '无有效许可') AS message,
       [l.feedetl_sn] AS lines
FROM f AS l
JOIN service AS sv ON sv.med_list_codg = l.med_list_codg
WHERE l.is_charge AND l.list_type = '201'
  AND sv.equipment_class IS NOT NULL AND l.inst IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM equipment_licence AS el
                  WHERE el.fixmedins_code = l.inst
                    AND el.equipment_class = sv.equipment_class
                    AND el.begndate <= l.fee_date AND l.fee_date <= el.enddate)
