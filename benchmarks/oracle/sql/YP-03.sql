-- YP-03 药品限医疗机构级别: charge drug line with drug.min_hosp_rank not null whose institution has
-- a hosp_rank r (institution row exists; orphan lines never fire) fires when r < min_hosp_rank.
SELECT 'YP-03' AS rule_id, '药品限医疗机构级别' AS rule_name, '药品类' AS category,
       'definite' AS result_type, 'fee' AS level,
       l.feedetl_sn, l.mdtrt_id, NULL AS setl_id, l.psn_no, l.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       l.det_item_fee_sumamt AS vola_amt,
       concat(dr.drug_name, '（', l.med_list_codg, '）限', fmt_int(dr.min_hosp_rank),
              '级及以上医疗机构使用，本机构级别为', fmt_int(i.hosp_rank)) AS message,
       [l.feedetl_sn] AS lines
FROM f AS l
JOIN drug AS dr ON dr.med_list_codg = l.med_list_codg
JOIN inst AS i ON i.fixmedins_code = l.inst
WHERE l.is_charge AND l.list_type IN ('101', '102')
  AND dr.min_hosp_rank IS NOT NULL
  AND i.hosp_rank < dr.min_hosp_rank
