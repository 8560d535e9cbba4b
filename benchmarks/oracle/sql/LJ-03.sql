-- LJ-03 住院天数超临床路径标准: inpatient visit with a main diagnosis whose icd3 (of the normalised
-- code) equals a pathway.icd3 as stored (§0.10.4) with std_los_days not null and > 0; fires when
-- los_days > r4(los_factor * std_los_days).  Amount (los - factor*std) / los * visit_medfee(V).
SELECT 'LJ-03' AS rule_id, '住院天数超临床路径标准' AS rule_name, '临床路径类' AS category,
       'suspicious' AS result_type, 'visit' AS level,
       NULL AS feedetl_sn, vv.mdtrt_id, NULL AS setl_id, vv.psn_no, vv.fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       (vv.los_days - {{los_factor}} * pw.std_los_days) / vv.los_days * vv.visit_medfee AS vola_amt,
       concat('住院', fmt_int(vv.los_days), '天，超过', m.icd3, '临床路径标准住院日',
              fmt_num(pw.std_los_days), '天的', fmt_num({{los_factor}}), '倍') AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM v AS vv
JOIN main_dx AS m ON m.mdtrt_id = vv.mdtrt_id
JOIN pathway AS pw ON pw.icd3 = m.icd3
WHERE vv.kind = 'inpatient'
  AND pw.std_los_days IS NOT NULL AND pw.std_los_days > 0
  AND vv.los_days > r4({{los_factor}} * pw.std_los_days)
