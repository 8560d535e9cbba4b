-- ZL-09 分解收费: for visit V, day d and package P (comp(P) = its distinct component codes,
-- pp = min package_price): B = distinct codes of V's charge lines dated d in comp(P);
-- T = Σamt of V's valid lines dated d in comp(P) (refunds included, §0.10.8).  Fires when
-- |B| >= min_components, no charge line of V dated d has code P, and r2(T) > r2(pp).
-- Visit level: V must exist (orphan lines never fire); lines = the component lines summed in T.
WITH pkg AS (
    SELECT package_code, min(package_price) AS pp FROM package
    WHERE package_code IS NOT NULL GROUP BY package_code
),
comp AS (
    SELECT DISTINCT package_code, component_code FROM package
    WHERE package_code IS NOT NULL AND component_code IS NOT NULL
),
g AS (
    SELECT l.mdtrt_id, l.fee_date, c.package_code,
           count(DISTINCT CASE WHEN l.is_charge THEN l.med_list_codg END) AS n,
           sum(l.det_item_fee_sumamt) AS t,
           list(l.feedetl_sn) AS lines
    FROM f AS l
    JOIN comp AS c ON c.component_code = l.med_list_codg
    WHERE l.has_visit AND l.fee_date IS NOT NULL
    GROUP BY l.mdtrt_id, l.fee_date, c.package_code
)
SELECT 'ZL-09' AS rule_id, '分解收费' AS rule_name, '诊疗项目类' AS category,
       'suspicious' AS result_type, 'visit' AS level,
       NULL AS feedetl_sn, vv.mdtrt_id, NULL AS setl_id, vv.psn_no, vv.fixmedins_code,
       NULL AS dr_codg, g.package_code AS item_code, g.fee_date AS period_start,
       g.fee_date AS period_end,
       g.t - pkg.pp AS vola_amt,
       concat(fmt_date(g.fee_date), '分项收取组合项目', g.package_code, '的', fmt_int(g.n),
              '个组成项目，合计', fmt_money(g.t), '元，超过组合项目价格', fmt_money(pkg.pp), '元') AS message,
       g.lines
FROM g
JOIN pkg ON pkg.package_code = g.package_code
JOIN v AS vv ON vv.mdtrt_id = g.mdtrt_id
WHERE g.n >= {{min_components}}
  AND r2(g.t) > r2(pkg.pp)
  AND NOT EXISTS (SELECT 1 FROM f AS pl
                  WHERE pl.is_charge AND pl.mdtrt_id = g.mdtrt_id AND pl.fee_date = g.fee_date
                    AND pl.med_list_codg = g.package_code)
