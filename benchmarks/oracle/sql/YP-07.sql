-- YP-07 药品限二线使用: charge drug line L with line_role 'second' and line_group not null fires
-- when the same person (fee.psn_no equality: a null psn_no never matches, so such a line fires) has
-- no charge drug line F with line_role 'first', the same line_group and
-- F.fee_date in [L.fee_date - lookback_days, L.fee_date] (same day counts, even if later).
WITH dl AS (
    SELECT l.*, dr.drug_name, dr.line_role, dr.line_group
    FROM f AS l
    JOIN drug AS dr ON dr.med_list_codg = l.med_list_codg
    WHERE l.is_charge AND l.list_type IN ('101', '102')
)
SELECT 'YP-07' AS rule_id, '药品限二线使用' AS rule_name, '药品类' AS category,
       'suspicious' AS result_type, 'fee' AS level,
       l.feedetl_sn, l.mdtrt_id, NULL AS setl_id, l.psn_no, l.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       l.det_item_fee_sumamt AS vola_amt,
       concat(l.drug_name, '（', l.med_list_codg, '）限二线用药，',
              fmt_date(l.fee_date - {{lookback_days}}), '至', fmt_date(l.fee_date),
              '无同组一线药品使用记录') AS message,
       [l.feedetl_sn] AS lines
FROM dl AS l
WHERE l.line_role = 'second' AND l.line_group IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM dl AS x
                  WHERE x.line_role = 'first'
                    AND x.psn_no = l.psn_no
                    AND x.line_group = l.line_group
                    AND x.fee_date >= l.fee_date - {{lookback_days}}
                    AND x.fee_date <= l.fee_date)
