-- YP-08 中药饮片不予支付: charge drug line L with list_type '102' and herb_rule in
-- {'never','not_single'}.  Reasons in order: (a) never; (b) not_single and L's prescription group
-- holds <= single_max distinct med_list_codg among its charge lines with list_type '102' (drug row
-- or not, §0.10.5).  Group: same mdtrt_id and rxno when L.rxno is not null; else same mdtrt_id and
-- fee_date among lines with a null rxno (grouping as SQL GROUP BY).
WITH herb AS (
    SELECT * FROM f WHERE is_charge AND list_type = '102'
),
by_rx AS (
    SELECT mdtrt_id, rxno, count(DISTINCT med_list_codg) AS n
    FROM herb WHERE rxno IS NOT NULL GROUP BY mdtrt_id, rxno
),
by_day AS (
    SELECT mdtrt_id, fee_date, count(DISTINCT med_list_codg) AS n
    FROM herb WHERE rxno IS NULL GROUP BY mdtrt_id, fee_date
),
c AS (
    SELECT l.*, dr.drug_name, dr.herb_rule,
           CASE WHEN l.rxno IS NOT NULL THEN rx.n ELSE dy.n END AS n_herbs
    FROM herb AS l
    JOIN drug AS dr ON dr.med_list_codg = l.med_list_codg
    LEFT JOIN by_rx AS rx ON l.rxno IS NOT NULL
                         AND rx.mdtrt_id IS NOT DISTINCT FROM l.mdtrt_id AND rx.rxno = l.rxno
    LEFT JOIN by_day AS dy ON l.rxno IS NULL
                          AND dy.mdtrt_id IS NOT DISTINCT FROM l.mdtrt_id
                          AND dy.fee_date IS NOT DISTINCT FROM l.fee_date
    WHERE dr.herb_rule IN ('never', 'not_single')
)
SELECT 'YP-08' AS rule_id, '中药饮片不予支付' AS rule_name, '药品类' AS category,
       'definite' AS result_type, 'fee' AS level,
       feedetl_sn, mdtrt_id, NULL AS setl_id, psn_no, inst AS fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       det_item_fee_sumamt AS vola_amt,
       concat('中药饮片', drug_name,
              CASE WHEN herb_rule = 'never' THEN '单复方均不予支付' ELSE '单方使用不予支付' END) AS message,
       [feedetl_sn] AS lines
FROM c
WHERE herb_rule = 'never' OR (herb_rule = 'not_single' AND n_herbs <= {{single_max}})
