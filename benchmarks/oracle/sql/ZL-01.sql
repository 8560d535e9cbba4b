-- ZL-01 医疗服务项目限性别: charge service line whose service.sex_limit differs from the person's
-- gend (both in {'1','2'}).  Uses the fee line, its person and the catalogue only, so an orphan
-- line (no visit row) still fires with fixmedins_code null (§0.10.1).
SELECT 'ZL-01' AS rule_id, '医疗服务项目限性别' AS rule_name, '诊疗项目类' AS category,
       'definite' AS result_type, 'fee' AS level,
       l.feedetl_sn, l.mdtrt_id, NULL AS setl_id, l.psn_no, l.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       l.det_item_fee_sumamt AS vola_amt,
       concat(sv.item_name, '（', l.med_list_codg, '）限', sex_zh(sv.sex_limit),
              '性使用，参保人性别为', sex_zh(p.gend)) AS message,
       [l.feedetl_sn] AS lines
FROM f AS l
JOIN service AS sv ON sv.med_list_codg = l.med_list_codg
LEFT JOIN person AS p ON p.psn_no = l.psn_no
WHERE l.is_charge AND l.list_type = '201'
  AND sv.sex_limit IN ('1', '2')
  AND p.gend IN ('1', '2')
  AND p.gend <> sv.sex_limit
