-- YP-06 药品超限定支付疗程: limit(g) = min non-null course_max_days over drug rows of generic g.
-- Per (fee.psn_no, g): charge drug lines of g in line order (fee_ocur_time, feedetl_sn);
-- days(L) = prd_days if r4(prd_days) > 0 else 0.  The first line opens an episode; line i opens a
-- new one when r4(fee_date_i - fee_date_{i-1} - days(L_{i-1})) > episode_gap_days.
-- cum_i = running Σ days in the episode; L_i fires when r4(cum_i) > limit.
-- Readings: a null psn_no forms its own sequence (SQL partition); a null fee_ocur_time sorts last
-- and a null gap opens no episode.  Orphan lines take part and fire (§0.10.1).
WITH lim AS (
    SELECT generic_id, min(course_max_days) AS lim
    FROM drug
    WHERE generic_id IS NOT NULL AND course_max_days IS NOT NULL
    GROUP BY generic_id
),
seq AS (
    SELECT l.feedetl_sn, l.mdtrt_id, l.psn_no, l.inst, l.fee_ocur_time, l.fee_date,
           l.med_list_codg, l.det_item_fee_sumamt AS amt, dr.drug_name, dr.generic_id, lim.lim,
           CASE WHEN r4(l.prd_days) > 0 THEN l.prd_days ELSE 0 END AS days
    FROM f AS l
    JOIN drug AS dr ON dr.med_list_codg = l.med_list_codg
    JOIN lim ON lim.generic_id = dr.generic_id
    WHERE l.is_charge AND l.list_type IN ('101', '102')
),
w1 AS (
    SELECT seq.*,
           row_number() OVER w AS rn,
           lag(fee_date) OVER w AS prev_date,
           lag(days) OVER w AS prev_days
    FROM seq
    WINDOW w AS (PARTITION BY psn_no, generic_id ORDER BY fee_ocur_time ASC NULLS LAST, feedetl_sn ASC)
),
w2 AS (
    SELECT w1.*,
           sum(CASE WHEN rn = 1 THEN 1
                    WHEN r4(fee_date - prev_date - prev_days) > {{episode_gap_days}} THEN 1
                    ELSE 0 END)
               OVER (PARTITION BY psn_no, generic_id
                     ORDER BY fee_ocur_time ASC NULLS LAST, feedetl_sn ASC
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS episode
    FROM w1
),
w3 AS (
    SELECT w2.*,
           sum(days) OVER (PARTITION BY psn_no, generic_id, episode
                           ORDER BY fee_ocur_time ASC NULLS LAST, feedetl_sn ASC
                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
    FROM w2
)
SELECT 'YP-06' AS rule_id, '药品超限定支付疗程' AS rule_name, '药品类' AS category,
       'definite' AS result_type, 'fee' AS level,
       feedetl_sn, mdtrt_id, NULL AS setl_id, psn_no, inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       CASE WHEN days > 0 THEN amt * least(days, cum - lim) / days ELSE amt END AS vola_amt,
       concat(drug_name, '（', med_list_codg, '）本疗程累计', fmt_num(cum), '天，超过限定支付疗程',
              fmt_int(lim), '天') AS message,
       [feedetl_sn] AS lines
FROM w3
WHERE r4(cum) > lim
