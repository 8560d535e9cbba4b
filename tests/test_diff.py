"""``ruledsl diff``: firings added, removed and changed by a rule change, and ``--fail-if``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ruledsl.cli import main
from ruledsl.diff import RuleDiff, diff_tables, failed_conditions, parse_condition, render
from ruledsl.execute.output import VIOLATION_SCHEMA
from ruledsl.rulebook import load_rulebook

REPO = Path(__file__).resolve().parent.parent
NINGXIA = REPO / "rulebooks" / "ningxia"


def violations(*rows: dict[str, Any]) -> Any:
    """A violations table of ``rows`` (unset columns null)."""
    import pyarrow as pa

    full = [{name: row.get(name) for name in VIOLATION_SCHEMA.names} for row in rows]
    return pa.Table.from_pylist(full, schema=VIOLATION_SCHEMA)


def firing(rule_id: str, key: str, amount: float, message: str = "m") -> dict[str, Any]:
    return {"rule_id": rule_id, "rule_name": f"规则{rule_id}", "feedetl_sn": key,
            "vola_amt": amount, "message": message, "lines": [key]}


@pytest.fixture(scope="module")
def overlay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A regional overlay of Ningxia that lowers GL-02's threshold and switches off GL-01."""
    folder = tmp_path_factory.mktemp("overlay") / "city"
    folder.mkdir()
    (folder / "rulebook.rules").write_text(
        f'规则库 city "市级"\n继承 "{NINGXIA.as_posix()}"\n'
        "覆盖 参数 GL-02.max_visits = 8\n停用 规则 GL-01\n", encoding="utf-8")
    return folder


# ===================================================================== matching
def test_added_removed_and_changed_are_matched_by_key() -> None:
    old = violations(firing("A", "F1", 10.0), firing("A", "F2", 5.0), firing("B", "F3", 1.0))
    new = violations(firing("A", "F1", 10.0), firing("A", "F4", 7.5), firing("B", "F3", 2.0, "n"))
    a, b = diff_tables(old, new)
    assert (a.rule_id, a.old_firings, a.new_firings, a.old_amount, a.new_amount) == \
        ("A", 2, 2, 15.0, 17.5)
    assert [r["feedetl_sn"] for r in a.added] == ["F4"]
    assert [r["feedetl_sn"] for r in a.removed] == ["F2"]
    assert not a.changed
    assert [(o["vola_amt"], n["vola_amt"], n["message"]) for o, n in b.changed] == [(1.0, 2.0, "n")]
    assert a.metric("added_amount") == 7.5 and a.metric("removed_amount") == 5.0


def test_firings_sharing_a_key_are_all_counted() -> None:
    old = violations(firing("A", "F1", 1.0))
    new = violations(firing("A", "F1", 1.0), firing("A", "F1", 2.0))
    (a,) = diff_tables(old, new)
    assert (a.old_firings, a.new_firings, len(a.added), len(a.removed)) == (1, 2, 1, 0)
    assert a.added[0]["vola_amt"] == 2.0


def test_the_same_table_has_no_change() -> None:
    table = violations(firing("A", "F1", 1.0), firing("B", "F2", 2.0))
    assert all(d.unchanged for d in diff_tables(table, table))


# ===================================================================== --fail-if
@pytest.mark.parametrize(("text", "parsed"), [
    ("added>0", (None, "added", ">", 0.0)),
    ("GL-02:removed_amount>=100.5", ("GL-02", "removed_amount", ">=", 100.5)),
    (" changed = 3 ", (None, "changed", "==", 3.0)),
])
def test_conditions_parse(text: str, parsed: tuple[Any, ...]) -> None:
    assert parse_condition(text) == parsed


@pytest.mark.parametrize("text", ["added", "gained>1", "added>>1", "added>x", "A:B:added>1"])
def test_bad_conditions_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="METRIC"):
        parse_condition(text)


def test_conditions_hold_on_totals_or_on_one_rule() -> None:
    diffs = [RuleDiff("A", "a", added=[firing("A", "F1", 3.0)]), RuleDiff("B", "b")]
    assert failed_conditions(diffs, ["added>0"]) == ["added>0 (= 1)"]
    assert failed_conditions(diffs, ["B:added>0", "added>1", "removed>0"]) == []
    # amounts of rules with nothing added or removed are 0.0, and compare with any number
    assert failed_conditions(diffs, ["removed_amount>100000", "B:added_amount<1"]) == \
        ["B:added_amount<1 (= 0)"]


# ===================================================================== command line
def test_a_lowered_threshold_is_reported_and_fails_the_job(
        overlay: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["diff", str(NINGXIA), str(overlay), "--fail-if", "added>0",
                 "--fail-if", "GL-01:removed>0", "--fail-if", "removed_amount>1000000"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "* GL-02 单人高频次就诊: 2 → " in out and "超过8次" in out
    assert "* GL-01 单次结报大金额: 2 → 0 条（新增 0，消失 2" in out
    assert "= ZL-01 " in out  # unchanged rules are listed too
    assert "--fail-if added>0" in err and "--fail-if GL-01:removed>0 (= 2)" in err
    assert "removed_amount" not in err


def test_json_and_markdown_reports(overlay: Path, tmp_path: Path) -> None:
    report = tmp_path / "out" / "diff.json"
    assert main(["diff", str(NINGXIA), str(overlay), "--format", "json", "-o", str(report),
                 "--rules", "GL-01", "GL-02", "ZL-01"]) == 0
    rows = {r["rule_id"]: r for r in json.loads(report.read_text(encoding="utf-8"))}
    assert sorted(rows) == ["GL-01", "GL-02", "ZL-01"]
    assert rows["GL-01"]["removed"] == 2 and rows["GL-01"]["new_firings"] == 0
    assert rows["GL-02"]["added"] > 0 and rows["GL-02"]["samples"]["added"]
    assert rows["ZL-01"]["added"] == rows["ZL-01"]["removed"] == 0
    book = load_rulebook(NINGXIA)
    markdown = render(diff_tables(book.compile(rules=["ZL-01"]).run(*_demo()),
                                  book.compile(rules=["ZL-02"]).run(*_demo())), "markdown")
    assert markdown.startswith("### 规则变更影响（2 条规则的触发结果有变化）")
    assert "| ZL-01 | 医疗服务项目限性别 | 2 | 0 | 0 | 2 |" in markdown
    assert "<details><summary>ZL-02 示例</summary>" in markdown


def test_a_bad_condition_is_a_usage_error_before_the_run(
        overlay: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(NINGXIA), str(overlay), "--fail-if", "more>1"]) == 2
    assert "METRIC" in capsys.readouterr().err


def _demo() -> tuple[Path, Path]:
    from ruledsl.demo import embedded_demo_path

    return embedded_demo_path() / "claims", embedded_demo_path() / "kb"
