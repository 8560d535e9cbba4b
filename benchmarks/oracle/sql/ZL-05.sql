-- ZL-05 医疗服务项目超单日限定数量: valid service lines (refunds net out) with max_per_day >= 0,
-- grouped by (fee.psn_no, med_list_codg, fee_date) over every visit and institution; fires when
-- r4(Σcnt) > r4(max_per_day).  Person level: fixmedins_code / mdtrt_id stay null.
-- Reading: grouping follows SQL GROUP BY (a null psn_no or fee_date forms its own group); §0.10.2
-- names only LJ-01 and LJ-06 as exceptions.  Orphan lines take part (§0.10.1).
WITH g AS (
    SELECT l.psn_no, l.med_list_codg, l.fee_date,
           any_value(sv.item_name) AS item_name, any_value(sv.max_per_day) AS max_per_day,
           sum(l.cnt) AS q, sum(l.det_item_fee_sumamt) AS a,
           list(l.feedetl_sn) AS lines
    FROM f AS l
    JOIN service AS sv ON sv.med_list_codg = l.med_list_codg
    WHERE l.list_type = '201' AND sv.max_per_day IS NOT NULL AND sv.max_per_day >= 0
    GROUP BY l.psn_no, l.med_list_codg, l.fee_date
)
SELECT 'ZL-05' AS rule_id, '医疗服务项目超单日限定数量' AS rule_name, '诊疗项目类' AS category,
       'definite' AS result_type, 'person' AS level,
       NULL AS feedetl_sn, NULL AS mdtrt_id, NULL AS setl_id, psn_no, NULL AS fixmedins_code,
       NULL AS dr_codg, med_list_codg AS item_code, fee_date AS period_start, fee_date AS period_end,
       a * (q - max_per_day) / q AS vola_amt,
       concat(item_name, '（', med_list_codg, '）', fmt_date(fee_date), '合计', fmt_num(q),
              '，超过单日限定数量', fmt_num(max_per_day)) AS message,
       lines
FROM g
WHERE r4(q) > r4(max_per_day)
