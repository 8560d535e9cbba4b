-- LJ-07 短期重复检查: charge service line L with service.exam_group not null fires when the same
-- person (fee.psn_no equality: a null psn_no never matches) has an earlier charge service line E
-- (line order) of the same exam_group with E.fee_date >= L.fee_date - repeat_days.  Since fee_date
-- follows fee_ocur_time, the latest earlier line (LAG in line order) is both the best candidate and
-- E*.  prev_inst = E*'s institution.  Orphan lines take part (§0.10.1).
WITH ex AS (
    SELECT l.feedetl_sn, l.mdtrt_id, l.psn_no, l.inst, l.fee_ocur_time, l.fee_date,
           l.det_item_fee_sumamt AS amt, sv.item_name, sv.exam_group
    FROM f AS l
    JOIN service AS sv ON sv.med_list_codg = l.med_list_codg
    WHERE l.is_charge AND l.list_type = '201' AND sv.exam_group IS NOT NULL
      AND l.psn_no IS NOT NULL
),
w AS (
    SELECT ex.*,
           lag(feedetl_sn) OVER o AS p_sn,
           lag(fee_ocur_time) OVER o AS p_time,
           lag(fee_date) OVER o AS p_date,
           lag(inst) OVER o AS p_inst
    FROM ex
    WINDOW o AS (PARTITION BY psn_no, exam_group ORDER BY fee_ocur_time ASC NULLS LAST, feedetl_sn ASC)
)
SELECT 'LJ-07' AS rule_id, '短期重复检查' AS rule_name, '临床路径类' AS category,
       'suspicious' AS result_type, 'fee' AS level,
       feedetl_sn, mdtrt_id, NULL AS setl_id, psn_no, inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       amt AS vola_amt,
       concat(item_name, '（', exam_group, '）距上次同类检查（', fmt_ts(p_time), '，', p_inst, '）不足',
              fmt_int({{repeat_days}}), '天') AS message,
       [feedetl_sn, p_sn] AS lines
FROM w
WHERE p_sn IS NOT NULL AND p_time IS NOT NULL AND fee_ocur_time IS NOT NULL
  AND p_date >= fee_date - {{repeat_days}}
