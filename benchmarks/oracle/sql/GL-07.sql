-- GL-07 非定点或协议暂停期间结算: valid settlement S fires when no institution_agreement row has
-- fixmedins_code = S.fixmedins_code, agre_stas = '1' and begndate <= setl_date <= enddate
-- (a null date covers nothing; a null setl_time fires, §0.10.15).
SELECT 'GL-07' AS rule_id, '非定点或协议暂停期间结算' AS rule_name, '医保管理类' AS category,
       'definite' AS result_type, 'settlement' AS level,
       NULL AS feedetl_sn, st.mdtrt_id, st.setl_id, st.psn_no, st.fixmedins_code,
       NULL AS dr_codg, NULL AS item_code, NULL AS period_start, NULL AS period_end,
       st.fund_pay_sumamt AS vola_amt,
       concat(st.fixmedins_code, '在结算日期', fmt_date(st.setl_date), '无正常状态的定点协议') AS message,
       CAST([] AS VARCHAR[]) AS lines
FROM s AS st
WHERE NOT EXISTS (SELECT 1 FROM institution_agreement AS ag
                  WHERE ag.fixmedins_code = st.fixmedins_code AND ag.agre_stas = '1'
                    AND ag.begndate <= st.setl_date AND st.setl_date <= ag.enddate)
