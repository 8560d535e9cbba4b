-- GL-10 重点药品耗材费用异常增长: watch lines = valid drug lines (list_type 101/102 with a drug row,
-- drug.watch TRUE) and valid material lines (301 with a material row, material.watch TRUE) whose
-- institution is not null.  x(I, m) = Σamt by institution and calendar month.  B0 = the earliest
-- fee_date of all valid fee lines (§0.10.6).  Candidate (I, m): some watch line of I in m (refunds
-- count) and start(m - n_months) >= B0.  mean = Σ_{k=1..n} x(I, m-k) / n; active = months with
-- r2(x) > 0.  Fires when active >= min_active_months, r2(x) > r2(growth_factor * mean) and
-- r2(x - mean) >= min_increase.
WITH wl AS (
    SELECT l.feedetl_sn, l.inst, l.det_item_fee_sumamt AS amt,
           CAST(date_trunc('month', l.fee_date) AS DATE) AS m
    FROM f AS l
    LEFT JOIN drug AS dr ON l.list_type IN ('101', '102') AND dr.med_list_codg = l.med_list_codg
    LEFT JOIN material AS mt ON l.list_type = '301' AND mt.med_list_codg = l.med_list_codg
    WHERE l.inst IS NOT NULL AND l.fee_date IS NOT NULL
      AND ((l.list_type IN ('101', '102') AND dr.watch IS TRUE)
           OR (l.list_type = '301' AND mt.watch IS TRUE))
),
monthly AS (
    SELECT inst, m, sum(amt) AS x, list(feedetl_sn) AS lines FROM wl GROUP BY inst, m
),
b0 AS (
    SELECT min(fee_date) AS b0 FROM f
),
cand AS (
    SELECT mo.*
    FROM monthly AS mo, b0
    WHERE CAST(mo.m - to_months({{n_months}}) AS DATE) >= b0.b0
),
base AS (
    SELECT c.inst, c.m,
           coalesce(sum(p.x), 0) / {{n_months}} AS mean,
           count(CASE WHEN r2(p.x) > 0 THEN 1 END) AS active
    FROM cand AS c
    LEFT JOIN monthly AS p
      ON p.inst = c.inst
     AND p.m >= CAST(c.m - to_months({{n_months}}) AS DATE)
     AND p.m < c.m
    GROUP BY c.inst, c.m
)
SELECT 'GL-10' AS rule_id, '重点药品耗材费用异常增长' AS rule_name, '医保管理类' AS category,
       'suspicious' AS result_type, 'institution' AS level,
       NULL AS feedetl_sn, NULL AS mdtrt_id, NULL AS setl_id, NULL AS psn_no, c.inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, c.m AS period_start, last_day(c.m) AS period_end,
       c.x - b.mean AS vola_amt,
       concat(c.inst, fmt_date(c.m), '至', fmt_date(last_day(c.m)), '重点药品耗材费用',
              fmt_money(c.x), '元，前', fmt_int({{n_months}}), '个月月均', fmt_money(b.mean), '元') AS message,
       c.lines
FROM cand AS c
JOIN base AS b ON b.inst = c.inst AND b.m = c.m
WHERE b.active >= {{min_active_months}}
  AND r2(c.x) > r2({{growth_factor}} * b.mean)
  AND r2(c.x - b.mean) >= {{min_increase}}
