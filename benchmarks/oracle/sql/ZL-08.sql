-- ZL-08 手术项目未按规定折价: surgery lines = charge service lines with is_surgery TRUE, grouped by
-- (mdtrt_id, fee_date), groups of >= min_surgeries lines.  Main line M = highest r2(pric) (a null
-- pric last), ties -> smallest feedetl_sn, chosen before and independently of the caps
-- (§0.10.12).  A non-main line L fires when cap = cap(rank of the visit's institution, L's service)
-- is not null and r2(L.pric) > r2(secondary_ratio * cap).  Orphan lines never fire (no rank).
WITH sg AS (
    SELECT l.*, sv.item_name, sv.price_cap_1, sv.price_cap_2, sv.price_cap_3,
           count(*) OVER (PARTITION BY l.mdtrt_id, l.fee_date) AS n_surg,
           row_number() OVER (PARTITION BY l.mdtrt_id, l.fee_date
                              ORDER BY r2(l.pric) DESC NULLS LAST, l.feedetl_sn ASC) AS rk
    FROM f AS l
    JOIN service AS sv ON sv.med_list_codg = l.med_list_codg
    WHERE l.is_charge AND l.list_type = '201' AND sv.is_surgery IS TRUE
),
mains AS (
    SELECT mdtrt_id, fee_date, feedetl_sn AS main_sn, med_list_codg AS main_code
    FROM sg WHERE rk = 1
),
c AS (
    SELECT sg.*, m.main_sn, m.main_code,
           CASE WHEN i.hosp_rank IN (0, 1) THEN sg.price_cap_1
                WHEN i.hosp_rank = 2 THEN sg.price_cap_2
                WHEN i.hosp_rank = 3 THEN sg.price_cap_3 END AS cap
    FROM sg
    JOIN mains AS m ON m.mdtrt_id IS NOT DISTINCT FROM sg.mdtrt_id
                   AND m.fee_date IS NOT DISTINCT FROM sg.fee_date
    JOIN inst AS i ON i.fixmedins_code = sg.inst
    WHERE sg.n_surg >= {{min_surgeries}} AND sg.rk > 1
)
SELECT 'ZL-08' AS rule_id, '手术项目未按规定折价' AS rule_name, '诊疗项目类' AS category,
       'definite' AS result_type, 'fee' AS level,
       feedetl_sn, mdtrt_id, NULL AS setl_id, psn_no, inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       (pric - {{secondary_ratio}} * cap) * cnt AS vola_amt,
       concat('同日多项手术，', item_name, '（', med_list_codg, '）单价', fmt_money(pric),
              '元，未按', fmt_num({{secondary_ratio}}), '折价（主手术', main_code, '）') AS message,
       [feedetl_sn, main_sn] AS lines
FROM c
WHERE cap IS NOT NULL AND r2(pric) > r2({{secondary_ratio}} * cap)
