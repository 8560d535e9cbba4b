-- LJ-06 聚集性住院: members = settled inpatient visits with a main diagnosis whose person's age at
-- adm_date >= min_age; groups (fixmedins_code, adm_date, icd3 of the main diagnosis), a null key
-- forming no group (§0.10.2); a group with >= min_persons distinct psn_no fires for every member.
WITH mem AS (
    SELECT vv.*, m.icd3
    FROM v AS vv
    JOIN main_dx AS m ON m.mdtrt_id = vv.mdtrt_id
    JOIN person AS p ON p.psn_no = vv.psn_no
    WHERE vv.settled AND vv.kind = 'inpatient'
      AND age_at(p.brdy, vv.adm_date) >= {{min_age}}
      AND vv.fixmedins_code IS NOT NULL AND vv.adm_date IS NOT NULL AND m.icd3 IS NOT NULL
),
grp AS (
    SELECT fixmedins_code, adm_date, icd3, count(DISTINCT psn_no) AS n
    FROM mem GROUP BY fixmedins_code, adm_date, icd3
)
SELECT 'LJ-06' AS rule_id, '聚集性住院' AS rule_name, '临床路径类' AS category,
       'suspicious' AS result_type, 'visit' AS level,
       NULL AS feedetl_sn, x.mdtrt_id, NULL AS setl_id, x.psn_no, x.fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       x.visit_hifp AS vola_amt,
       concat(x.fixmedins_code, '于', fmt_date(x.adm_date), '收治', fmt_int(g.n), '名',
              fmt_int({{min_age}}), '岁及以上主诊断同属', x.icd3, '的住院患者') AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM mem AS x
JOIN grp AS g ON g.fixmedins_code = x.fixmedins_code AND g.adm_date = x.adm_date AND g.icd3 = x.icd3
WHERE g.n >= {{min_persons}}
