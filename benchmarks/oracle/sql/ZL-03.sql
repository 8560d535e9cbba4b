-- ZL-03 医疗服务项目重复收费: charge line B is hit by item_pair p (code_b = B's code, period day or
-- visit) when another charge line A of the same mdtrt_id has code p.code_a (and, for 'day', the
-- same fee_date).  Fires once per B; lines = B + every partner A of every hitting row (§0.10.11);
-- message names the hit with the smallest (code_a, period).
-- The rule uses only fee lines (the visit is found by mdtrt_id), so orphan lines fire too (§0.10.1).
WITH charge AS (
    SELECT * FROM f WHERE is_charge
),
hits AS (
    SELECT b.feedetl_sn AS b_sn, p.code_a, p.period, a.feedetl_sn AS a_sn
    FROM charge AS b
    JOIN item_pair AS p ON p.code_b = b.med_list_codg AND p.period IN ('day', 'visit')
    JOIN charge AS a
      ON a.mdtrt_id = b.mdtrt_id
     AND a.med_list_codg = p.code_a
     AND a.feedetl_sn <> b.feedetl_sn
     AND (p.period = 'visit' OR a.fee_date = b.fee_date)
),
per_b AS (
    SELECT b_sn,
           min(struct_pack(code_a := code_a, period := period)) AS first_hit,
           list(DISTINCT a_sn) AS partners
    FROM hits GROUP BY b_sn
)
SELECT 'ZL-03' AS rule_id, '医疗服务项目重复收费' AS rule_name, '诊疗项目类' AS category,
       'definite' AS result_type, 'fee' AS level,
       b.feedetl_sn, b.mdtrt_id, NULL AS setl_id, b.psn_no, b.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       b.det_item_fee_sumamt AS vola_amt,
       concat('项目', b.med_list_codg, '与同一',
              CASE h.first_hit.period WHEN 'day' THEN '日' ELSE '次就诊' END,
              '内已收费项目', h.first_hit.code_a, '重复收费') AS message,
       list_append(h.partners, b.feedetl_sn) AS lines
FROM per_b AS h
JOIN charge AS b ON b.feedetl_sn = h.b_sn
