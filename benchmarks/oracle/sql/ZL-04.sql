-- ZL-04 超标准收费: charge service line at an institution with a hosp_rank r (institution row
-- exists; orphan lines have no institution and never fire); cap = cap(r, service);
-- fires when r2(pric) > r2(cap) + price_tol.
WITH c AS (
    SELECT l.*, sv.item_name,
           CASE WHEN i.hosp_rank IN (0, 1) THEN sv.price_cap_1
                WHEN i.hosp_rank = 2 THEN sv.price_cap_2
                WHEN i.hosp_rank = 3 THEN sv.price_cap_3 END AS cap
    FROM f AS l
    JOIN service AS sv ON sv.med_list_codg = l.med_list_codg
    JOIN inst AS i ON i.fixmedins_code = l.inst
    WHERE l.is_charge AND l.list_type = '201'
)
SELECT 'ZL-04' AS rule_id, '超标准收费' AS rule_name, '诊疗项目类' AS category,
       'definite' AS result_type, 'fee' AS level,
       feedetl_sn, mdtrt_id, NULL AS setl_id, psn_no, inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       (pric - cap) * cnt AS vola_amt,
       concat(item_name, '（', med_list_codg, '）单价', fmt_money(pric),
              '元，超过本机构适用最高限价', fmt_money(cap), '元') AS message,
       [feedetl_sn] AS lines
FROM c
WHERE cap IS NOT NULL AND r2(pric) > r2(cap) + {{price_tol}}
