-- YP-02 药品限儿童使用: charge drug line with drug.child_only TRUE fires when the person's age at
-- fee_date >= adult_age (null brdy never fires).  Orphans fire.
SELECT 'YP-02' AS rule_id, '药品限儿童使用' AS rule_name, '药品类' AS category,
       'definite' AS result_type, 'fee' AS level,
       l.feedetl_sn, l.mdtrt_id, NULL AS setl_id, l.psn_no, l.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       l.det_item_fee_sumamt AS vola_amt,
       concat(dr.drug_name, '（', l.med_list_codg, '）限儿童使用，参保人费用发生时', fmt_int(l.a), '岁') AS message,
       [l.feedetl_sn] AS lines
FROM (SELECT f.*, age_at(p.brdy, f.fee_date) AS a
      FROM f LEFT JOIN person AS p ON p.psn_no = f.psn_no) AS l
JOIN drug AS dr ON dr.med_list_codg = l.med_list_codg
WHERE l.is_charge AND l.list_type IN ('101', '102')
  AND dr.child_only IS TRUE
  AND l.a >= {{adult_age}}
