-- ZL-02 医疗服务项目限年龄: charge service line whose person's age at fee_date is outside
-- [service.min_age, service.max_age] (a null bound is not checked; null brdy never fires).
-- Orphan lines fire (§0.10.1).
SELECT 'ZL-02' AS rule_id, '医疗服务项目限年龄' AS rule_name, '诊疗项目类' AS category,
       'definite' AS result_type, 'fee' AS level,
       l.feedetl_sn, l.mdtrt_id, NULL AS setl_id, l.psn_no, l.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       l.det_item_fee_sumamt AS vola_amt,
       concat(sv.item_name, '（', l.med_list_codg, '）限定年龄[', fmt_int(sv.min_age), ',',
              fmt_int(sv.max_age), ']岁，参保人费用发生时', fmt_int(l.a), '岁') AS message,
       [l.feedetl_sn] AS lines
FROM (SELECT f.*, age_at(p.brdy, f.fee_date) AS a
      FROM f LEFT JOIN person AS p ON p.psn_no = f.psn_no) AS l
JOIN service AS sv ON sv.med_list_codg = l.med_list_codg
WHERE l.is_charge AND l.list_type = '201'
  AND (sv.min_age IS NOT NULL OR sv.max_age IS NOT NULL)
  AND ((sv.min_age IS NOT NULL AND l.a < sv.min_age)
       OR (sv.max_age IS NOT NULL AND l.a > sv.max_age))
