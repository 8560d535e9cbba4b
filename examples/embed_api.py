"""Embedding ruledsl in a Python service: a batch audit and a check at prescribing time.

Run from a checkout (after ``pip install .``)::

    python examples/embed_api.py

It shows the three things a developer does with the public API:

1. load and check a rulebook, and show a policy officer's mistake as diagnostics;
2. compile the rulebook once and audit a claim batch (the embedded demo batch);
3. check one visit before the prescription is issued (事前提醒), with the knowledge base
   loaded once and only the rules of the 事前 stage compiled.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import ruledsl
from ruledsl.data.load import load_tables
from ruledsl.demo import embedded_demo_path

RULEBOOK = Path(__file__).resolve().parent.parent / "rulebooks" / "ningxia"

# A rule with three mistakes: a misspelt field, a number compared with a text, and a
# parameter that was never declared.
BROKEN_RULE = """\
规则 X-01 "住院明细金额过大" {
    类别 医保管理类
    结果类型 可疑
    环节 事后
    层级 明细
    对每条 明细 L 满足 L.收费行 且 L.数量 > "2"
    当 L.金钱 > 参数.max_amount
    违规金额 L.金额
    提示 "明细{L.明细流水号}金额过大"
}
"""


def show_diagnostics() -> None:
    """Every problem of a rule at once, with its code, line and column."""
    try:
        ruledsl.check(BROKEN_RULE)
    except ruledsl.CheckError as error:
        print(f"-- {len(error.diagnostics)} problem(s) in the broken rule:")
        print(error)


def batch_audit(plan: ruledsl.CompiledRulebook) -> None:
    """Run the whole rulebook over a claim batch (folders of Parquet/CSV, or Arrow tables)."""
    demo = embedded_demo_path()
    violations = plan.run(demo / "claims", demo / "kb")
    per_rule = Counter(violations.column("rule_id").to_pylist())
    amount = sum(violations.column("vola_amt").to_pylist())
    print(f"-- batch audit: {violations.num_rows} violations of {len(per_rule)} rules, "
          f"{amount:.2f} yuan in total")
    for rule_id, count in sorted(per_rule.items())[:5]:
        print(f"   {rule_id}: {count}")


def prescription_check(book: ruledsl.Rulebook) -> None:
    """事前提醒: check the lines of one visit while the doctor is prescribing."""
    plan = ruledsl.compile(book, stage="事前")             # the rules whose 环节 lists 事前
    kb = load_tables(embedded_demo_path() / "kb", "kb")      # load once, reuse for every call
    drug = kb["drug"].filter(kb["drug"].column("sex_limit").is_valid()).slice(0, 1)
    code, limit = drug.column("med_list_codg")[0].as_py(), drug.column("sex_limit")[0].as_py()
    other_sex = "2" if limit == "1" else "1"
    claims = {
        "person": ruledsl.make_table("person", {"psn_no": ["P1"], "gend": [other_sex]}),
        "visit": ruledsl.make_table("visit", {"mdtrt_id": ["V1"], "psn_no": ["P1"],
                                              "med_type": ["11"]}),
        "fee": ruledsl.make_table("fee", {
            "feedetl_sn": ["F1"], "mdtrt_id": ["V1"], "psn_no": ["P1"], "list_type": ["101"],
            "med_list_codg": [code], "cnt": [1.0], "pric": [30.0], "det_item_fee_sumamt": [30.0]}),
    }
    violations = plan.run(claims, kb)
    print(f"-- prescription check ({len(plan.rules)} rules of the 事前 stage):")
    for row in violations.select(["rule_id", "rule_name", "message"]).to_pylist():
        print(f"   {row['rule_id']} {row['rule_name']}: {row['message']}")


def main() -> None:
    show_diagnostics()
    book = ruledsl.load_rulebook(RULEBOOK)      # parses and checks every file
    batch_audit(book.compile())
    prescription_check(book)


if __name__ == "__main__":
    main()
