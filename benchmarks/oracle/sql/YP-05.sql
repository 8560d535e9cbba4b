-- YP-05 药品限工伤/生育保险: charge drug line with insutype_only in {'work_injury','maternity'}
-- whose visit exists.  work_injury always fires; maternity fires unless
-- (person.insutype ∈ maternity_insutypes OR visit.med_type ∈ maternity_med_types) is TRUE
-- (a missing person row or null insutype does not allow the drug).
SELECT 'YP-05' AS rule_id, '药品限工伤/生育保险' AS rule_name, '药品类' AS category,
       'definite' AS result_type, 'fee' AS level,
       l.feedetl_sn, l.mdtrt_id, NULL AS setl_id, l.psn_no, l.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       l.det_item_fee_sumamt AS vola_amt,
       concat(dr.drug_name, '（', l.med_list_codg, '）限',
              CASE dr.insutype_only WHEN 'work_injury' THEN '工伤保险' ELSE '生育保险' END,
              '支付') AS message,
       [l.feedetl_sn] AS lines
FROM f AS l
JOIN drug AS dr ON dr.med_list_codg = l.med_list_codg
LEFT JOIN person AS p ON p.psn_no = l.psn_no
WHERE l.is_charge AND l.list_type IN ('101', '102') AND l.has_visit
  AND (dr.insutype_only = 'work_injury'
       OR (dr.insutype_only = 'maternity'
           AND (in_list(p.insutype, {{maternity_insutypes}})
                OR in_list(l.v_med_type, {{maternity_med_types}})) IS NOT TRUE))
