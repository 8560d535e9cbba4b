"""The violations table: building, one firing per key, sorting, byte-identical files."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruledsl.check.model import CheckedRule
from ruledsl.execute import output
from ruledsl.execute.output import (
    KEY_COLUMNS,
    VIOLATION_COLUMNS,
    VIOLATION_SCHEMA,
    ViolationsWriter,
    build_violations,
    concat_and_sort,
    dedup_by_key,
    empty_violations,
    split_by_rule,
    write_violations,
)
from ruledsl.rulebook import load_text

HEAD = "类别 药品类 结果类型 可疑 环节 事后"


def rule(rule_id: str = "R-1", level: str = "明细", name: str = "规则名") -> CheckedRule:
    return load_text(f'规则 {rule_id} "{name}" {{ {HEAD} 层级 {level} 对每条 明细 x 当 真 }}').rules[0]


def firings(rule_id: str, rows: list[dict]) -> pa.Table:
    columns: dict[str, list] = {}
    names = sorted({k for r in rows for k in r})
    for name in names:
        columns[name] = [r.get(name) for r in rows]
    return build_violations(rule(rule_id), columns)


# ===================================================================== build
def test_build_fills_header_and_nulls() -> None:
    t = build_violations(rule("ZL-01", name="医疗服务项目限性别"), {
        "feedetl_sn": ["F1"], "period_start": [20148], "period_end": [dt.date(2025, 3, 2)],
        "vola_amt": [-0.0], "message": ["m"], "lines": [["F2", "F1", None, "F2"]],
    })
    assert t.schema == VIOLATION_SCHEMA
    assert t.to_pylist() == [{
        "rule_id": "ZL-01", "rule_name": "医疗服务项目限性别", "category": "药品类",
        "result_type": "suspicious", "level": "fee", "feedetl_sn": "F1", "mdtrt_id": None,
        "setl_id": None, "psn_no": None, "fixmedins_code": None, "dr_codg": None,
        "item_code": None, "period_start": dt.date(2025, 3, 1), "period_end": dt.date(2025, 3, 2),
        "vola_amt": 0.0, "message": "m", "lines": ["F1", "F2"],
    }]
    assert math.copysign(1.0, t.column("vola_amt")[0].as_py()) == 1.0


def test_build_accepts_arrow_arrays_and_defaults() -> None:
    t = build_violations(rule(), {
        "psn_no": pa.array(["P1", None]),
        "period_start": pa.array([0, None], pa.int32()),
        "vola_amt": pa.array([1.005, None]),
        "lines": pa.array([["F1"], None], pa.list_(pa.string())),
    })
    rows = t.to_pylist()
    assert [r["psn_no"] for r in rows] == ["P1", None]
    assert [r["period_start"] for r in rows] == [dt.date(1970, 1, 1), None]
    assert [r["vola_amt"] for r in rows] == [1.01, None]
    assert [r["message"] for r in rows] == ["规则名", "规则名"]
    assert [r["lines"] for r in rows] == [["F1"], []]


def test_build_rejects_bad_columns() -> None:
    with pytest.raises(ValueError, match="unknown"):
        build_violations(rule(), {"nope": [1]})
    with pytest.raises(ValueError, match="lengths"):
        build_violations(rule(), {"feedetl_sn": ["F1"], "message": ["a", "b"]})
    assert build_violations(rule(), {}).num_rows == 0
    assert VIOLATION_COLUMNS[:5] == ("rule_id", "rule_name", "category", "result_type", "level")
    assert KEY_COLUMNS == ("feedetl_sn", "mdtrt_id", "setl_id", "psn_no", "fixmedins_code",
                           "dr_codg", "item_code", "period_start", "period_end")


# ===================================================================== dedup
def test_dedup_keeps_first_by_message_amount_lines() -> None:
    t = firings("R-1", [
        {"psn_no": "P1", "message": "b", "vola_amt": 1.0, "lines": []},
        {"psn_no": "P1", "message": "a", "vola_amt": 5.0, "lines": ["F9"]},
        {"psn_no": "P1", "message": "a", "vola_amt": 5.0, "lines": ["F1", "F2"]},
        {"psn_no": "P1", "message": "a", "vola_amt": 2.0, "lines": ["F3"]},
        {"psn_no": None, "message": "z", "vola_amt": 1.0, "lines": []},
        {"psn_no": None, "message": "z", "vola_amt": None, "lines": ["F1"]},
        {"psn_no": "P2", "message": "x", "vola_amt": 1.0, "lines": ["F1", "F2"]},
        {"psn_no": "P2", "message": "x", "vola_amt": 1.0, "lines": ["F1"]},
        {"psn_no": "P2", "message": "x", "vola_amt": 1.0, "lines": ["F1", "F10"]},
    ])
    out = dedup_by_key(t)
    assert [(r["psn_no"], r["message"], r["vola_amt"], r["lines"]) for r in out.to_pylist()] == [
        (None, "z", None, ["F1"]), ("P1", "a", 2.0, ["F3"]), ("P2", "x", 1.0, ["F1"])]


def test_dedup_uses_every_key_column() -> None:
    rows = []
    for key in KEY_COLUMNS:
        value = dt.date(2025, 3, 1) if key.startswith("period") else "K"
        rows.append({key: value, "message": "m", "vola_amt": 0.0, "lines": []})
    rows.append({"message": "m", "vola_amt": 0.0, "lines": []})
    rows.append({"message": "n", "vola_amt": 0.0, "lines": []})
    assert dedup_by_key(firings("R-1", rows)).num_rows == len(KEY_COLUMNS) + 1


def test_dedup_lines_item_by_item() -> None:
    t = firings("R-1", [{"message": "m", "vola_amt": 0.0, "lines": ["ab"]},
                        {"message": "m", "vola_amt": 0.0, "lines": ["a", "b"]}])
    assert dedup_by_key(t).column("lines").to_pylist() == [["a", "b"]]
    t = firings("R-1", [{"message": "m", "vola_amt": 0.0, "lines": ["a"]},
                        {"message": "m", "vola_amt": 0.0, "lines": ["a", "b"]}])
    assert dedup_by_key(t).column("lines").to_pylist() == [["a"]]


# ====================================================================== sort
def test_sort_nulls_first_code_point_order() -> None:
    a = firings("R-2", [{"feedetl_sn": s, "message": "m", "vola_amt": 0.0, "lines": []}
                        for s in ["中", "a", None, "Z", "é", "F10", "F2", "𠀀", "ｆ"]])
    b = firings("R-1", [{"feedetl_sn": "z", "message": "m", "vola_amt": 0.0, "lines": []}])
    out = concat_and_sort([a, b])
    assert [(r["rule_id"], r["feedetl_sn"]) for r in out.to_pylist()] == [
        ("R-1", "z"), ("R-2", None), ("R-2", "F10"), ("R-2", "F2"), ("R-2", "Z"), ("R-2", "a"),
        ("R-2", "é"), ("R-2", "中"), ("R-2", "ｆ"), ("R-2", "𠀀")]


def test_sort_key_priority_and_dates() -> None:
    d = dt.date
    rows = [
        {"mdtrt_id": "V1", "psn_no": "P2", "message": "m", "vola_amt": 0.0, "lines": []},
        {"mdtrt_id": "V1", "psn_no": "P1", "message": "m", "vola_amt": 0.0, "lines": []},
        {"mdtrt_id": None, "psn_no": "P9", "message": "m", "vola_amt": 0.0, "lines": []},
        {"psn_no": "P1", "period_start": d(2025, 3, 2), "message": "m", "vola_amt": 0, "lines": []},
        {"psn_no": "P1", "period_start": d(2024, 12, 31), "message": "m", "vola_amt": 0,
         "lines": []},
        {"psn_no": "P1", "period_start": None, "message": "m", "vola_amt": 0, "lines": []},
        {"feedetl_sn": "F1", "psn_no": "P0", "message": "m", "vola_amt": 0.0, "lines": []},
    ]
    out = concat_and_sort([firings("R-1", rows)])
    assert [(r["feedetl_sn"], r["mdtrt_id"], r["psn_no"], r["period_start"])
            for r in out.to_pylist()] == [
        (None, None, "P1", None), (None, None, "P1", d(2024, 12, 31)),
        (None, None, "P1", d(2025, 3, 2)), (None, None, "P9", None), (None, "V1", "P1", None),
        (None, "V1", "P2", None), ("F1", None, "P0", None)]


def test_sort_is_independent_of_input_order() -> None:
    rows = [{"psn_no": f"P{i % 7}", "item_code": f"I{i % 3}", "message": f"m{i % 2}",
             "vola_amt": float(i % 5), "lines": [f"F{i % 4}"]} for i in range(60)]
    reference = concat_and_sort([firings("R-1", rows)])
    for seed in range(5):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        half = len(shuffled) // 2
        out = concat_and_sort([firings("R-1", shuffled[:half]), firings("R-1", shuffled[half:])])
        assert out.equals(reference)


def test_concat_empty() -> None:
    assert concat_and_sort([]).schema == VIOLATION_SCHEMA
    assert concat_and_sort([empty_violations(), empty_violations()]).num_rows == 0


# ===================================================================== write
def sample() -> pa.Table:
    d = dt.date
    rows = [
        {"feedetl_sn": "F1", "mdtrt_id": "V1", "psn_no": "P1", "vola_amt": 80.0,
         "message": '彩超限女性使用，"引号", 逗号', "lines": ["F1", "F2"]},
        {"psn_no": "P2", "item_code": "A", "period_start": d(2025, 3, 1),
         "period_end": d(2025, 3, 7), "vola_amt": 0.1 + 0.2, "message": "多行\n文本",
         "lines": []},
        {"psn_no": "P3", "vola_amt": None, "message": "", "lines": ["中"]},
    ]
    return concat_and_sort([firings("ZL-01", rows)])


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_writes_are_byte_identical(tmp_path: Path, fmt: str) -> None:
    write_violations(sample(), tmp_path / "a", fmt)
    write_violations(sample(), tmp_path / "b", fmt)
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


def test_parquet_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "v.parquet"
    write_violations(sample(), path)
    back = pq.read_table(path)
    assert back.schema.equals(VIOLATION_SCHEMA)
    assert back.equals(sample())
    meta = pq.ParquetFile(path).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert meta.num_row_groups == 1


def test_parquet_empty(tmp_path: Path) -> None:
    write_violations(empty_violations(), tmp_path / "e.parquet")
    assert pq.read_table(tmp_path / "e.parquet").num_rows == 0


def test_csv_format(tmp_path: Path) -> None:
    write_violations(sample(), tmp_path / "v.csv", "csv")
    text = (tmp_path / "v.csv").read_bytes().decode("utf-8")
    head = "rule_id,rule_name,category,result_type,level,feedetl_sn,mdtrt_id,setl_id,psn_no," \
           "fixmedins_code,dr_codg,item_code,period_start,period_end,vola_amt,message,lines\n"
    assert text == (
        head
        + "ZL-01,规则名,药品类,suspicious,fee,,,,P2,,,A,2025-03-01,2025-03-07,0.30,\"多行\n文本\",[]\n"
        + "ZL-01,规则名,药品类,suspicious,fee,,,,P3,,,,,,,,\"[\"\"中\"\"]\"\n"
        + "ZL-01,规则名,药品类,suspicious,fee,F1,V1,,P1,,,,,,80.00,"
          "\"彩超限女性使用，\"\"引号\"\", 逗号\",\"[\"\"F1\"\", \"\"F2\"\"]\"\n"
    )
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert json.loads(rows[2]["lines"]) == ["F1", "F2"]
    assert rows[0]["message"] == "多行\n文本"


def test_jsonl_format(tmp_path: Path) -> None:
    write_violations(sample(), tmp_path / "v.jsonl", "jsonl")
    lines = (tmp_path / "v.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 3
    first = json.loads(lines[0])
    assert list(first) == list(VIOLATION_COLUMNS)
    assert first["period_start"] == "2025-03-01" and first["vola_amt"] == 0.3
    assert first["lines"] == [] and first["message"] == "多行\n文本"
    assert json.loads(lines[1])["vola_amt"] is None
    assert json.loads(lines[2])["lines"] == ["F1", "F2"]
    assert "中" in lines[1] and '"lines":["中"]' in lines[1]


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format"):
        write_violations(sample(), tmp_path / "v.xlsx", "xlsx")


# ============================================================= row groups
@given(sizes=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 5)), min_size=1, max_size=40),
       cuts=st.lists(st.integers(1, 40), max_size=6))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_rule_written_in_any_pieces_gives_the_same_file(
        sizes: list[tuple[int, int]], cuts: list[int], tmp_path: Path, monkeypatch: Any) -> None:
    """Row groups are cut by rows and by bytes of firings; where the parts were cut does
    not matter."""
    monkeypatch.setattr(output, "ROW_GROUP_ROWS", 7)
    monkeypatch.setattr(output, "ROW_GROUP_BYTES", 300)
    rows = [{"feedetl_sn": f"F{i:03}", "vola_amt": 1.0, "message": "消息" * m,
             "lines": [f"L{i}-{j}" for j in range(n)]} for i, (m, n) in enumerate(sizes)]
    table = concat_and_sort([firings("R-1", rows), firings("R-2", rows[:3])])
    write_violations(table, tmp_path / "whole.parquet")
    bounds = sorted({0, *(c for c in cuts if c < table.num_rows), table.num_rows})
    with ViolationsWriter(tmp_path / "pieces.parquet") as writer:
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            for part in split_by_rule(table.slice(lo, hi - lo)):
                writer.write(part)
    whole = (tmp_path / "whole.parquet").read_bytes()
    assert (tmp_path / "pieces.parquet").read_bytes() == whole
    meta = pq.ParquetFile(tmp_path / "whole.parquet").metadata
    groups = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sum(groups) == table.num_rows and max(groups) <= 7
    weights = output.row_bytes(table).tolist()
    ends = [sum(groups[:i + 1]) for i in range(len(groups))]
    for start, end in zip([0, *ends[:-1]], ends):  # a row group: one block of bytes at most
        assert sum(weights[start:end]) <= 300 + max(weights[start:end])
