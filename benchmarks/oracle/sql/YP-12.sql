-- YP-12 医药机构目录对照不一致（疑似串换）: charge lines with medins_list_codg and med_list_codg not
-- null whose institution I is not null, grouped by (I, medins_list_codg, calendar month of
-- fee_date); fires when >= min_codes distinct med_list_codg.  Main mapping = the code with the
-- most charge lines, ties -> smallest code.  Amount = Σamt of the group's lines of other codes.
-- Reading: grouping is SQL GROUP BY, so lines with a null fee_date form one group per
-- (I, medins_list_codg) with a null month (period_start / period_end null), as in ZL-05 / GL-09;
-- §0.10.2 exempts only LJ-01 and LJ-06.
WITH cl AS (
    SELECT l.feedetl_sn, l.inst, l.medins_list_codg, l.med_list_codg, l.det_item_fee_sumamt AS amt,
           CAST(date_trunc('month', l.fee_date) AS DATE) AS m
    FROM f AS l
    WHERE l.is_charge AND l.inst IS NOT NULL AND l.medins_list_codg IS NOT NULL
      AND l.med_list_codg IS NOT NULL
),
per_code AS (
    SELECT inst, medins_list_codg, m, med_list_codg, count(*) AS n_lines, sum(amt) AS a,
           row_number() OVER (PARTITION BY inst, medins_list_codg, m
                              ORDER BY count(*) DESC, med_list_codg ASC) AS rk
    FROM cl GROUP BY inst, medins_list_codg, m, med_list_codg
),
g AS (
    SELECT inst, medins_list_codg, m, count(*) AS n_codes,
           max(CASE WHEN rk = 1 THEN med_list_codg END) AS main_code,
           coalesce(sum(CASE WHEN rk > 1 THEN a END), 0) AS other_amt
    FROM per_code GROUP BY inst, medins_list_codg, m
),
lines AS (
    SELECT inst, medins_list_codg, m, list(feedetl_sn) AS lines
    FROM cl GROUP BY inst, medins_list_codg, m
)
SELECT 'YP-12' AS rule_id, '医药机构目录对照不一致（疑似串换）' AS rule_name, '药品类' AS category,
       'suspicious' AS result_type, 'institution' AS level,
       NULL AS feedetl_sn, NULL AS mdtrt_id, NULL AS setl_id, NULL AS psn_no, g.inst AS fixmedins_code,
       NULL AS dr_codg, g.medins_list_codg AS item_code, g.m AS period_start,
       last_day(g.m) AS period_end,
       g.other_amt AS vola_amt,
       concat(g.inst, '院内编码', g.medins_list_codg, '在', fmt_date(g.m), '至', fmt_date(last_day(g.m)),
              '对照', fmt_int(g.n_codes), '个国家编码（主要对照', g.main_code, '）') AS message,
       ls.lines
FROM g
JOIN lines AS ls ON ls.inst = g.inst AND ls.medins_list_codg = g.medins_list_codg
                 AND ls.m IS NOT DISTINCT FROM g.m
WHERE g.n_codes >= {{min_codes}}
