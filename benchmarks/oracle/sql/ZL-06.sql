-- ZL-06 医疗服务项目周期超频次: per (fee.psn_no, item) with period_days >= 1 and period_max >= 0,
-- every fee_date with a charge line of the item is an anchor d; W = Σcnt of the person's valid
-- service lines of the item dated in [d - period_days + 1, d] (RANGE window over daily sums),
-- C / A = Σcnt / Σamt of those dated d.  Fires when r4(W) > r4(period_max) and r4(C) > 0.
-- Only service lines (list_type '201' with a service row) count; refunds are included (§0.10.10).
-- Reading: a null psn_no forms its own partition (SQL GROUP BY); lines with a null fee_date lie in
-- no window.  Orphan lines take part (§0.10.1).
WITH sl AS (
    SELECT l.feedetl_sn, l.psn_no, l.med_list_codg, l.fee_date, l.cnt, l.det_item_fee_sumamt,
           l.is_charge, sv.item_name, sv.period_days, sv.period_max
    FROM f AS l
    JOIN service AS sv ON sv.med_list_codg = l.med_list_codg
    WHERE l.list_type = '201'
      AND sv.period_days IS NOT NULL AND sv.period_days >= 1
      AND sv.period_max IS NOT NULL AND sv.period_max >= 0
      AND l.fee_date IS NOT NULL
),
daily AS (
    SELECT psn_no, med_list_codg, fee_date,
           any_value(item_name) AS item_name, any_value(period_days) AS period_days,
           any_value(period_max) AS period_max,
           sum(cnt) AS c, sum(det_item_fee_sumamt) AS a, bool_or(is_charge) AS has_charge
    FROM sl GROUP BY psn_no, med_list_codg, fee_date
),
win AS (
    SELECT daily.*,
           sum(c) OVER (PARTITION BY psn_no, med_list_codg ORDER BY fee_date
                        RANGE BETWEEN (period_days - 1) PRECEDING AND CURRENT ROW) AS w
    FROM daily
),
fires AS (
    SELECT * FROM win
    WHERE has_charge AND r4(w) > r4(period_max) AND r4(c) > 0
)
SELECT 'ZL-06' AS rule_id, '医疗服务项目周期超频次' AS rule_name, '诊疗项目类' AS category,
       'suspicious' AS result_type, 'person' AS level,
       NULL AS feedetl_sn, NULL AS mdtrt_id, NULL AS setl_id, x.psn_no, NULL AS fixmedins_code,
       NULL AS dr_codg, x.med_list_codg AS item_code,
       CAST(x.fee_date - (x.period_days - 1) AS DATE) AS period_start, x.fee_date AS period_end,
       x.a * least(x.w - x.period_max, x.c) / x.c AS vola_amt,
       concat(x.item_name, '（', x.med_list_codg, '）', fmt_date(x.fee_date - (x.period_days - 1)),
              '至', fmt_date(x.fee_date), '合计', fmt_num(x.w), '，超过', fmt_int(x.period_days),
              '日内限定数量', fmt_num(x.period_max)) AS message,
       (SELECT list(sl.feedetl_sn) FROM sl
         WHERE sl.psn_no IS NOT DISTINCT FROM x.psn_no AND sl.med_list_codg = x.med_list_codg
           AND sl.fee_date BETWEEN x.fee_date - (x.period_days - 1) AND x.fee_date) AS lines
FROM fires AS x
