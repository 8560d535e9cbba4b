-- LJ-05 费用发生时间超出住院期间: charge line of an inpatient visit.  Reasons in order:
-- (a) fee_ocur_time < begntime; (b) fee_ocur_time > endtime + post_hours h and dscg_tkdrug_flag
-- is not '1'.
WITH c AS (
    SELECT l.*,
           CASE WHEN l.fee_ocur_time < l.v_begntime THEN '早于入院时间'
                WHEN l.fee_ocur_time > l.v_endtime + to_hours({{post_hours}})
                     AND l.dscg_tkdrug_flag IS DISTINCT FROM '1'
                    THEN concat('晚于出院时间', fmt_int({{post_hours}}), '小时以上') END AS reason
    FROM f AS l
    WHERE l.is_charge AND l.v_kind = 'inpatient'
)
SELECT 'LJ-05' AS rule_id, '费用发生时间超出住院期间' AS rule_name, '临床路径类' AS category,
       'definite' AS result_type, 'fee' AS level,
       feedetl_sn, mdtrt_id, NULL AS setl_id, psn_no, inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       det_item_fee_sumamt AS vola_amt,
       concat('费用发生时间', fmt_ts(fee_ocur_time), reason, '（住院期间', fmt_ts(v_begntime), '至',
              fmt_ts(v_endtime), '）') AS message,
       [feedetl_sn] AS lines
FROM c
WHERE reason IS NOT NULL
