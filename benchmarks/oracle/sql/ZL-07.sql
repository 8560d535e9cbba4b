-- ZL-07 计日项目超住院天数: per inpatient visit V and per_day_group g, S = Σcnt / A = Σamt of V's
-- valid service lines of the group (refunds net out); fires when r4(S) > los_days + los_tol.
-- Visit level (psn_no / fixmedins_code of the visit row); orphan lines never fire.
WITH g AS (
    SELECT vv.mdtrt_id, vv.psn_no, vv.fixmedins_code, vv.los_days, sv.per_day_group AS grp,
           sum(l.cnt) AS s, sum(l.det_item_fee_sumamt) AS a, list(l.feedetl_sn) AS lines
    FROM v AS vv
    JOIN f AS l ON l.mdtrt_id = vv.mdtrt_id
    JOIN service AS sv ON sv.med_list_codg = l.med_list_codg
    WHERE vv.kind = 'inpatient' AND l.list_type = '201' AND sv.per_day_group IS NOT NULL
    GROUP BY vv.mdtrt_id, vv.psn_no, vv.fixmedins_code, vv.los_days, sv.per_day_group
)
SELECT 'ZL-07' AS rule_id, '计日项目超住院天数' AS rule_name, '诊疗项目类' AS category,
       'definite' AS result_type, 'visit' AS level,
       NULL AS feedetl_sn, mdtrt_id, NULL AS setl_id, psn_no, fixmedins_code,
       NULL AS dr_codg, grp AS item_code, NULL AS period_start, NULL AS period_end,
       a * (s - los_days - {{los_tol}}) / s AS vola_amt,
       concat('计日项目组', grp, '计费', fmt_num(s), '，超过住院天数', fmt_int(los_days),
              '（允许', fmt_int(los_days), '+', fmt_int({{los_tol}}), '）') AS message,
       lines
FROM g
WHERE r4(s) > los_days + {{los_tol}}
