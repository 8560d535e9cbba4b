-- LJ-04 低指征住院: inpatient V with los_days <= max_los, no charge line with
-- med_chrgitm_type = surgery_type, dscg_way not null and ∉ excluded_dscg_ways.  total / exam =
-- Σamt of V's valid lines / of those with med_chrgitm_type ∈ exam_types.  Fires when
-- r2(total) > 0 and r2(exam) >= r2(exam_share * total).  Amount visit_hifp(V).
WITH sums AS (
    SELECT mdtrt_id,
           sum(det_item_fee_sumamt) AS total,
           coalesce(sum(CASE WHEN in_list(med_chrgitm_type, {{exam_types}}) THEN det_item_fee_sumamt END), 0) AS exam,
           bool_or(is_charge AND med_chrgitm_type = {{surgery_type}}) AS has_surgery
    FROM f GROUP BY mdtrt_id
)
SELECT 'LJ-04' AS rule_id, '低指征住院' AS rule_name, '临床路径类' AS category,
       'suspicious' AS result_type, 'visit' AS level,
       NULL AS feedetl_sn, vv.mdtrt_id, NULL AS setl_id, vv.psn_no, vv.fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       vv.visit_hifp AS vola_amt,
       concat('住院', fmt_int(vv.los_days), '天，无手术，检查化验费', fmt_money(sm.exam), '元占费用总额',
              fmt_money(sm.total), '元的比例达到', fmt_num({{exam_share}})) AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM v AS vv
JOIN sums AS sm ON sm.mdtrt_id = vv.mdtrt_id
WHERE vv.kind = 'inpatient' AND vv.los_days <= {{max_los}}
  AND sm.has_surgery IS NOT TRUE
  AND vv.dscg_way IS NOT NULL AND NOT in_list(vv.dscg_way, {{excluded_dscg_ways}})
  AND r2(sm.total) > 0
  AND r2(sm.exam) >= r2({{exam_share}} * sm.total)
