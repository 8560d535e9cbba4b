-- YP-11 同一药品重复开药: per (fee.psn_no, drug.generic_id not null), the charge drug lines of
-- outpatient and pharmacy visits in line order; line i with previous line p fires when
-- r4(p.prd_days) > 0 and r4(i.fee_date - p.fee_date) < r4(refill_ratio * p.prd_days).
-- Readings: "not null" is read as applying to generic_id; a null psn_no forms its own sequence
-- (SQL partition); a null fee_ocur_time sorts last.
WITH seq AS (
    SELECT l.feedetl_sn, l.mdtrt_id, l.psn_no, l.inst, l.fee_ocur_time, l.fee_date, l.prd_days,
           l.det_item_fee_sumamt AS amt, dr.drug_name, dr.generic_id
    FROM f AS l
    JOIN drug AS dr ON dr.med_list_codg = l.med_list_codg
    WHERE l.is_charge AND l.list_type IN ('101', '102')
      AND l.v_kind IN ('outpatient', 'pharmacy') AND dr.generic_id IS NOT NULL
),
w AS (
    SELECT seq.*,
           lag(feedetl_sn) OVER o AS p_sn,
           lag(fee_date) OVER o AS p_date,
           lag(prd_days) OVER o AS p_days
    FROM seq
    WINDOW o AS (PARTITION BY psn_no, generic_id ORDER BY fee_ocur_time ASC NULLS LAST, feedetl_sn ASC)
)
SELECT 'YP-11' AS rule_id, '同一药品重复开药' AS rule_name, '药品类' AS category,
       'suspicious' AS result_type, 'fee' AS level,
       feedetl_sn, mdtrt_id, NULL AS setl_id, psn_no, inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       amt AS vola_amt,
       concat(drug_name, '（', generic_id, '）距上次开药（', fmt_date(p_date), '，', fmt_num(p_days),
              '天量）仅', fmt_int(fee_date - p_date), '天') AS message,
       [feedetl_sn, p_sn] AS lines
FROM w
WHERE p_sn IS NOT NULL
  AND r4(p_days) > 0
  AND r4(fee_date - p_date) < r4({{refill_ratio}} * p_days)
