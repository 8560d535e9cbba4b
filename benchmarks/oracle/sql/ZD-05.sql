-- ZD-05 高值耗材与诊断不符: charge material line (list_type 301 with a material row) whose
-- material.device_class has a device_rule row with a required_set S that is not missing fires when
-- no diagnosis row with diagnosis.mdtrt_id = fee.mdtrt_id has a code ∈ S.
-- Reading: device_rule is keyed by device_class; should several rows exist, the line fires once,
-- when some non-missing required_set finds no diagnosis (message names the smallest such set).
WITH hits AS (
    SELECT l.feedetl_sn, dr.required_set
    FROM f AS l
    JOIN material AS mt ON mt.med_list_codg = l.med_list_codg
    JOIN device_rule AS dr ON dr.device_class = mt.device_class
    WHERE l.is_charge AND l.list_type = '301'
      AND dr.required_set IN (SELECT set_id FROM cs_ids)
      AND NOT EXISTS (SELECT 1 FROM dx AS d
                      WHERE d.mdtrt_id = l.mdtrt_id AND cs_member(d.code_n, dr.required_set))
),
per_line AS (
    SELECT feedetl_sn, min(required_set) AS required_set FROM hits GROUP BY feedetl_sn
)
SELECT 'ZD-05' AS rule_id, '高值耗材与诊断不符' AS rule_name, '临床诊断类' AS category,
       'suspicious' AS result_type, 'fee' AS level,
       l.feedetl_sn, l.mdtrt_id, NULL AS setl_id, l.psn_no, l.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       l.det_item_fee_sumamt AS vola_amt,
       concat(mt.material_name, '（', mt.device_class, '）须有', h.required_set,
              '范围内诊断，本次就诊无') AS message,
       [l.feedetl_sn] AS lines
FROM per_line AS h
JOIN f AS l ON l.feedetl_sn = h.feedetl_sn
JOIN material AS mt ON mt.med_list_codg = l.med_list_codg
