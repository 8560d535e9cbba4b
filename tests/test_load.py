"""Loading claim and knowledge-base tables: contract schema, types, validation, hygiene."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ruledsl.data import (
    MAX_PROBLEMS,
    HygieneReport,
    apply_hygiene,
    load_tables,
    missing_tables,
    normalize_table,
)
from ruledsl.data.load import strictly_increasing
from ruledsl.errors import DataError
from ruledsl.schema.arrow import arrow_schema, from_arrow_type, output_schema, to_arrow_type
from ruledsl.schema.contract import OUTPUT_COLUMNS, OUTPUT_SORT_KEYS, TABLES, find_table
from ruledsl.types import BOOL, DATE, FLOAT, INT, MONEY, STR, TIMESTAMP, ListType

FEE_HEADER = [c.name for c in TABLES["fee"].columns]


def fee_row(sn: str, **over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "feedetl_sn": sn,
        "mdtrt_id": "V1",
        "setl_id": "S1",
        "psn_no": "P1",
        "fee_ocur_time": "2025-03-01 08:30:00",
        "med_list_codg": "X1",
        "medins_list_codg": "H1",
        "list_type": "101",
        "med_chrgitm_type": "09",
        "cnt": "2",
        "pric": "1.25",
        "det_item_fee_sumamt": "2.5",
        "bilg_dr_codg": "D1",
        "prd_days": "",
        "dscg_tkdrug_flag": "0",
        "rxno": "",
        "vali_flag": "1",
    }
    row.update(over)
    return row


def write_csv(
    path: Path,
    rows: list[dict[str, object]],
    header: list[str] | None = None,
    encoding: str = "utf-8",
) -> Path:
    header = header or FEE_HEADER
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def load_error(folder: Path, kind: str = "claims", only: set[str] | None = None) -> DataError:
    with pytest.raises(DataError) as info:
        load_tables(folder, kind, only=only or {"fee"})
    return info.value


def messages(err: DataError, lang: str = "en") -> list[str]:
    return [d.message(lang) for d in err.diagnostics]


def only_diag(err: DataError, code: str):
    found = [d for d in err.diagnostics if d.code == code]
    assert len(found) == 1, messages(err)
    return found[0]


# -- the contract schema ------------------------------------------------------


def test_contract_tables_in_order() -> None:
    claims = [t.name for t in TABLES.values() if t.kind == "claims"]
    kb = [t.name for t in TABLES.values() if t.kind == "kb"]
    assert claims == ["person", "visit", "diagnosis", "operation", "settlement", "fee"]
    assert kb[:3] == ["institution", "institution_agreement", "equipment_licence"]
    assert kb[-1] == "icd10" and len(kb) == 15
    assert {t.name for t in TABLES.values() if t.optional} == {
        "operation",
        "practitioner",
        "opsp_reg",
    }


def test_contract_labels_unique_and_distinct_from_names() -> None:
    national = {c.name for t in TABLES.values() for c in t.columns}
    for t in TABLES.values():
        labels = [c.label for c in t.columns]
        assert len(set(labels)) == len(labels), t.name
        assert not national.intersection(labels), t.name
        assert len({c.name for c in t.columns}) == len(t.columns)
        assert set(t.key) <= {c.name for c in t.columns}
        assert set(t.order) <= {c.name for c in t.columns}
        assert t.derived == ()


def test_contract_types_keys_and_orders() -> None:
    fee = TABLES["fee"]
    assert fee.column("数量").name == "cnt" and fee.column("cnt").dtype == FLOAT
    assert fee.column("单价").dtype == MONEY
    assert fee.column("det_item_fee_sumamt").label == "明细项目费用总额"
    assert fee.column("fee_ocur_time").dtype == TIMESTAMP
    assert fee.column("setl_id").nullable and not fee.column("feedetl_sn").nullable
    assert fee.order == ("fee_ocur_time", "feedetl_sn")
    assert TABLES["visit"].order == ("begntime", "mdtrt_id")
    assert TABLES["settlement"].order == ("setl_time", "setl_id")
    assert TABLES["diagnosis"].order == ("diag_srt_no", "diag_code")
    assert TABLES["diagnosis"].key == ("mdtrt_id", "diag_srt_no")
    assert TABLES["diagnosis"].column("diag_srt_no").dtype == INT
    assert TABLES["person"].column("brdy").dtype == DATE
    assert TABLES["drug"].column("child_only").dtype == BOOL
    money = {(t.name, c.name) for t in TABLES.values() for c in t.columns if c.dtype == MONEY}
    assert ("service", "price_cap_3") in money and ("pathway", "std_cost") in money
    assert ("pathway", "std_los_days") not in money
    assert len(money) == 12


def test_find_table() -> None:
    assert find_table("fee") is TABLES["fee"]
    assert find_table("明细") is TABLES["fee"] and find_table("费用明细") is TABLES["fee"]
    assert find_table("定点医药机构") is TABLES["institution"]
    assert find_table("有效诊断编码") is TABLES["icd10"]
    assert find_table("nope") is None


def test_output_columns() -> None:
    names = [c.name for c in OUTPUT_COLUMNS]
    assert names[0] == "rule_id" and names[-1] == "lines"
    assert set(OUTPUT_SORT_KEYS) <= set(names)
    labels = {c.name: c.label for c in OUTPUT_COLUMNS}
    assert labels["vola_amt"] == "违规金额" and labels["lines"] == "明细行"
    schema = output_schema()
    assert schema.field("lines").type == pa.list_(pa.string())
    assert schema.field("period_start").type == pa.date32()
    assert schema.field("vola_amt").type == pa.float64()


# -- Arrow type mapping --------------------------------------------------------


@pytest.mark.parametrize("dtype", [STR, INT, FLOAT, BOOL, DATE, TIMESTAMP, ListType(STR)])
def test_arrow_round_trip(dtype) -> None:
    assert from_arrow_type(to_arrow_type(dtype)) == dtype


def test_arrow_types() -> None:
    assert to_arrow_type(MONEY) == pa.float64() and from_arrow_type(pa.float64()) == FLOAT
    assert to_arrow_type(TIMESTAMP) == pa.timestamp("s")
    assert from_arrow_type(pa.timestamp("ms")) == TIMESTAMP
    assert from_arrow_type(pa.date64()) == DATE
    assert from_arrow_type(pa.dictionary(pa.int32(), pa.string())) == STR
    with pytest.raises(TypeError):
        from_arrow_type(pa.timestamp("s", tz="UTC"))
    for t in TABLES.values():
        schema = arrow_schema(t)
        assert schema.names == [c.name for c in t.columns]
        assert [from_arrow_type(f.type) for f in schema] == [
            FLOAT if c.dtype == MONEY else c.dtype for c in t.columns
        ]


# -- round trips ---------------------------------------------------------------


def typed_fee() -> pa.Table:
    return pa.table(
        {
            "feedetl_sn": ["F1", "F2"],
            "mdtrt_id": ["V1", "V1"],
            "setl_id": ["S1", None],
            "psn_no": ["P1", "P1"],
            "fee_ocur_time": [dt.datetime(2025, 3, 1, 8, 30), dt.datetime(2025, 3, 2)],
            "med_list_codg": ["X1", "X2"],
            "medins_list_codg": ["H1", "H2"],
            "list_type": ["101", "201"],
            "med_chrgitm_type": ["09", "05"],
            "cnt": [2.0, -1.0],
            "pric": [1.25, 30.0],
            "det_item_fee_sumamt": [2.5, -30.0],
            "bilg_dr_codg": ["D1", None],
            "prd_days": [None, 7.0],
            "dscg_tkdrug_flag": ["0", "1"],
            "rxno": [None, "R1"],
            "vali_flag": ["1", "1"],
        },
        schema=arrow_schema(TABLES["fee"]),
    )


def test_parquet_round_trip(tmp_path: Path) -> None:
    expected = typed_fee()
    pq.write_table(expected, tmp_path / "fee.parquet")
    got = load_tables(tmp_path, "claims", only={"fee"})
    assert list(got) == ["fee"]
    assert got["fee"].schema == arrow_schema(TABLES["fee"])
    assert got["fee"].equals(expected)


def test_strings_the_file_holds_as_dictionaries_are_read_as_dictionaries(tmp_path: Path) -> None:
    """``strings_as_dictionary``: the code columns the writer dictionary-encoded stay the
    file's dictionaries; columns written plain and the key are read as strings; every
    value is the one read without it."""
    expected = pa.concat_tables([typed_fee()] * 400)
    expected = expected.set_column(0, "feedetl_sn", pa.array(
        [f"F{i:05d}" for i in range(expected.num_rows)]))
    pq.write_table(expected, tmp_path / "fee.parquet", row_group_size=300,
                   use_dictionary=["feedetl_sn", "med_list_codg", "vali_flag", "rxno"])
    got = load_tables(tmp_path, "claims", only={"fee"}, strings_as_dictionary=True)["fee"]
    types = {f.name: f.type for f in got.schema}
    assert pa.types.is_dictionary(types["med_list_codg"]) and pa.types.is_dictionary(
        types["vali_flag"]) and pa.types.is_dictionary(types["rxno"])
    assert types["feedetl_sn"] == pa.string()  # (the key: checked for duplicates as text)
    assert types["mdtrt_id"] == pa.string()  # (written plain)
    decoded = pa.Table.from_arrays(
        [c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for c in got.columns],
        schema=arrow_schema(TABLES["fee"]))
    assert decoded.equals(load_tables(tmp_path, "claims", only={"fee"})["fee"])
    assert decoded.equals(expected)


def test_csv_round_trip_matches_parquet(tmp_path: Path) -> None:
    rows = [
        fee_row("F1"),
        fee_row(
            "F2",
            setl_id="",
            fee_ocur_time="2025-03-02",
            list_type="201",
            med_chrgitm_type="05",
            med_list_codg="X2",
            medins_list_codg="H2",
            cnt="-1",
            pric="30",
            det_item_fee_sumamt="-30.0",
            bilg_dr_codg="",
            prd_days="7",
            dscg_tkdrug_flag="1",
            rxno="R1",
        ),
    ]
    write_csv(tmp_path / "fee.csv", rows)
    got = load_tables(tmp_path, "claims", only={"fee"})["fee"]
    assert got.equals(typed_fee())


def test_load_all_tables_of_a_kind_and_optional_absent(tmp_path: Path) -> None:
    for t in TABLES.values():
        if t.kind == "claims" and not t.optional:
            pq.write_table(arrow_schema(t).empty_table(), tmp_path / f"{t.name}.parquet")
    got = load_tables(tmp_path, "claims")
    assert list(got) == ["person", "visit", "diagnosis", "settlement", "fee"]
    assert missing_tables(tmp_path, "claims") == ("operation",)


def test_missing_required_table(tmp_path: Path) -> None:
    (tmp_path / "Fee.csv").write_text("x\n")
    err = load_error(tmp_path)
    d = only_diag(err, "D0001")
    assert "fee" in d.message("en") and str(tmp_path) in d.message("en")
    assert str(tmp_path) in d.message("zh")
    assert d.help is not None and "Fee.csv" in d.help.en


def test_missing_folder(tmp_path: Path) -> None:
    err = load_error(tmp_path / "nope")
    assert "nope" in only_diag(err, "D0001").message("en")


def test_both_csv_and_parquet(tmp_path: Path) -> None:
    pq.write_table(typed_fee(), tmp_path / "fee.parquet")
    write_csv(tmp_path / "fee.csv", [fee_row("F1")])
    msg = only_diag(load_error(tmp_path), "D0006").message("en")
    assert "fee.parquet" in msg and "fee.csv" in msg


def test_extra_columns_dropped(tmp_path: Path) -> None:
    header = ["comment", *FEE_HEADER]
    write_csv(tmp_path / "fee.csv", [fee_row("F1", comment="x")], header)
    got = load_tables(tmp_path, "claims", only={"fee"})["fee"]
    assert got.column_names == FEE_HEADER


def test_normalize_in_memory() -> None:
    raw = pa.table({"icd3": ["A00", None, None], "title": ["霍乱", "x", "y"], "extra": [1, 2, 3]})
    out = normalize_table("icd10", raw)
    assert out.column_names == ["icd3", "title"] and out.num_rows == 3  # null keys are no dups
    with pytest.raises(DataError) as info:
        normalize_table("pathway", pa.table({"icd3": ["I63"], "std_los_days": ["x"]}), source="mem")
    msgs = messages(info.value)
    assert any('mem: missing column "std_cost"' in m for m in msgs)
    assert any('mem row 1, column "std_los_days"' in m and '"x"' in m for m in msgs)


def test_a_table_typed_as_the_contract_is_kept_as_it_is_but_its_key_still_checked() -> None:
    from ruledsl.data.build import make_table

    fee = make_table("fee", {"feedetl_sn": ["F1", "F2"], "cnt": [1.0, 2.0]})
    assert fee.schema.equals(arrow_schema(find_table("fee")))
    assert normalize_table("fee", fee) is fee  # nothing to convert
    twice = make_table("fee", {"feedetl_sn": ["F1", "F1"], "cnt": [1.0, 2.0]})
    with pytest.raises(DataError) as info:
        normalize_table("fee", twice, source="mem")
    assert any('duplicate key feedetl_sn = "F1" in rows 1 and 2' in m
               for m in messages(info.value)), messages(info.value)


@pytest.mark.parametrize("threads", [1, 2])
def test_in_memory_claims_validated_on_threads_keep_their_order_and_the_first_error(
        monkeypatch: pytest.MonkeyPatch, threads: int) -> None:
    """A big batch's tables are validated a table per thread, the biggest first: the tables
    come back in the order given, and of two bad tables the first given is the one named."""
    from ruledsl.data.build import make_table
    from ruledsl.execute import compiled

    monkeypatch.setattr(compiled, "VALIDATE_APART_FROM_ROWS", 0)
    fee = make_table("fee", {"feedetl_sn": ["F1", "F2", "F3"], "cnt": [1.0, 2.0, 3.0]})
    visit = make_table("visit", {"mdtrt_id": ["V1"]})
    got = compiled.read_tables({"visit": visit, "fee": fee}, "claims", threads=threads)
    assert list(got) == ["visit", "fee"] and got["fee"] is fee
    twice = make_table("visit", {"mdtrt_id": ["V1", "V1"]})
    bad_fee = make_table("fee", {"feedetl_sn": ["F1", "F1"], "cnt": [1.0, 2.0]})
    for first, then in (("visit", "fee"), ("fee", "visit")):
        tables = {"visit": twice, "fee": bad_fee}
        with pytest.raises(DataError) as info:
            compiled.read_tables({first: tables[first], then: tables[then]}, "claims",
                                 threads=threads)
        key = {"visit": 'mdtrt_id = "V1"', "fee": 'feedetl_sn = "F1"'}
        assert any(key[first] in m for m in messages(info.value))
        assert not any(key[then] in m for m in messages(info.value))


@pytest.mark.parametrize("chunks", [[[1.0, None, float("inf")]], [[1.0], [None, float("-inf")]]])
def test_a_float64_column_with_an_infinity_beside_nulls_is_refused(chunks: list) -> None:
    cost = pa.chunked_array([pa.array(c, pa.float64()) for c in chunks])
    ok = pa.table({"icd3": ["A", "B", "C"], "std_los_days": [1.0, None, 2.0],
                   "std_cost": pa.chunked_array([pa.array([1.0, None, 3.0])])})
    assert normalize_table("pathway", ok).column("std_cost").null_count == 1
    with pytest.raises(DataError) as info:
        normalize_table("pathway", ok.set_column(2, "std_cost", cost), source="mem")
    assert any('mem row 3, column "std_cost"' in m and "finite" in m
               for m in messages(info.value, "en")), messages(info.value, "en")


# -- type coercion -------------------------------------------------------------


def test_ms_timestamps_and_date64(tmp_path: Path) -> None:
    t = typed_fee()
    ms = t.set_column(4, "fee_ocur_time", t["fee_ocur_time"].cast(pa.timestamp("ms")))
    pq.write_table(ms, tmp_path / "fee.parquet")
    assert load_tables(tmp_path, "claims", only={"fee"})["fee"].equals(t)

    person = pa.table(
        {
            "psn_no": ["P1"],
            "gend": ["1"],
            "brdy": pa.array([dt.date(1950, 2, 28)], pa.date64()),
            "insutype": [310],  # a code stored as an integer
            "insu_admdvs": ["640100"],
            "insu_begn_date": pa.array([dt.datetime(2020, 1, 1)], pa.timestamp("us")),
            "insu_end_date": pa.array([None], pa.date32()),
            "die_date": pa.array([None], pa.null()),
        }
    )
    pq.write_table(person, tmp_path / "person.parquet")
    got = load_tables(tmp_path, "claims", only={"person"})["person"]
    assert got.schema == arrow_schema(TABLES["person"])
    assert got.to_pylist()[0] == {
        "psn_no": "P1",
        "gend": "1",
        "brdy": dt.date(1950, 2, 28),
        "insutype": "310",
        "insu_admdvs": "640100",
        "insu_begn_date": dt.date(2020, 1, 1),
        "insu_end_date": None,
        "die_date": None,
    }


def test_fractional_seconds_rejected(tmp_path: Path) -> None:
    t = typed_fee()
    ms = pa.array(
        [dt.datetime(2025, 3, 1, 8, 30), dt.datetime(2025, 3, 1, 8, 30, 0, 500000)],
        pa.timestamp("ms"),
    )
    pq.write_table(t.set_column(4, "fee_ocur_time", ms), tmp_path / "fee.parquet")
    msg = only_diag(load_error(tmp_path), "D0003").message("en")
    assert "fee.parquet row 2" in msg and '"fee_ocur_time"' in msg and "fractional" in msg


def test_timezone_rejected(tmp_path: Path) -> None:
    t = typed_fee()
    tz = t["fee_ocur_time"].cast(pa.timestamp("s", tz="Asia/Shanghai"))
    pq.write_table(t.set_column(4, "fee_ocur_time", tz), tmp_path / "fee.parquet")
    msg = only_diag(load_error(tmp_path), "D0003").message("en")
    assert "fee.parquet" in msg and '"fee_ocur_time"' in msg and "time zone" in msg


def test_date_with_time_part_rejected(tmp_path: Path) -> None:
    brdy = pa.array([dt.datetime(1950, 1, 1), dt.datetime(1950, 1, 1, 12)], pa.timestamp("ms"))
    person = pa.table(
        {
            "psn_no": ["P1", "P2"],
            "gend": ["1", "2"],
            "brdy": brdy,
            "insutype": ["310"] * 2,
            "insu_admdvs": ["640100"] * 2,
            "insu_begn_date": ["2020-01-01"] * 2,
            "insu_end_date": [None, None],
            "die_date": [None, None],
        }
    )
    pq.write_table(person, tmp_path / "person.parquet")
    msg = only_diag(load_error(tmp_path, only={"person"}), "D0003").message("en")
    assert "person.parquet row 2" in msg and '"brdy"' in msg and "time of day" in msg


def test_text_timestamp_forms(tmp_path: Path) -> None:
    rows = [
        fee_row("F1", fee_ocur_time="2025-03-01 08:30:00"),
        fee_row("F2", fee_ocur_time="2025-03-01T08:30:00"),
        fee_row("F3", fee_ocur_time=" 2025-03-01 "),
        fee_row("F4", fee_ocur_time="2025-03-01 08:30:00.000"),
        fee_row("F5", fee_ocur_time=""),
    ]
    write_csv(tmp_path / "fee.csv", rows)
    got = load_tables(tmp_path, "claims", only={"fee"})["fee"]["fee_ocur_time"].to_pylist()
    t = dt.datetime(2025, 3, 1, 8, 30)
    assert got == [t, t, dt.datetime(2025, 3, 1), t, None]


def test_unparsable_dates_and_times(tmp_path: Path) -> None:
    rows = [
        fee_row("F1"),
        fee_row("F2", fee_ocur_time="2025-02-30 10:00:00"),
        fee_row("F3", fee_ocur_time="2025/03/01 10:00:00"),
        fee_row("F4", fee_ocur_time="2025-03-01 10:00:00.5"),
        fee_row("F5", fee_ocur_time="2025-03-01 24:00:00"),
    ]
    write_csv(tmp_path / "fee.csv", rows)
    msgs = messages(load_error(tmp_path))
    assert len(msgs) == 4
    assert (
        'fee.csv row 2 (line 3), column "fee_ocur_time": cannot parse "2025-02-30 10:00:00"'
        in msgs[0]
    )
    assert "row 3 (line 4)" in msgs[1] and '"2025/03/01 10:00:00"' in msgs[1]
    assert "row 4 (line 5)" in msgs[2] and "fractional seconds" in msgs[2]
    assert "row 5 (line 6)" in msgs[3]


def test_unparsable_date(tmp_path: Path) -> None:
    header = [c.name for c in TABLES["person"].columns]
    rows = [
        {"psn_no": "P1", "brdy": "1950-01-01", "insu_begn_date": "2020-01-01 00:00:00"},
        {"psn_no": "P2", "brdy": "1950-13-01", "insu_begn_date": "2020-01-01"},
        {"psn_no": "P3", "brdy": "01/02/1950", "insu_begn_date": "2020-01-01 08:00:00"},
    ]
    write_csv(tmp_path / "person.csv", rows, header)
    err = load_error(tmp_path, only={"person"})
    en, zh = messages(err), messages(err, "zh")
    assert len(en) == 3
    assert en[0] == (
        'person.csv row 2 (line 3), column "brdy": cannot parse "1950-13-01" as date '
        "(expected YYYY-MM-DD)"
    )
    assert zh[0].startswith('person.csv 第 2 行（文件第 3 行），列 "brdy"：无法解析为日期')
    assert "row 3 (line 4)" in en[1] and '"brdy"' in en[1] and '"01/02/1950"' in en[1]
    assert "row 3 (line 4)" in en[2] and '"insu_begn_date"' in en[2] and "time of day" in en[2]


def test_wrong_type_with_row_number(tmp_path: Path) -> None:
    write_csv(tmp_path / "fee.csv", [fee_row("F1"), fee_row("F2", cnt="abc")])
    err = load_error(tmp_path)
    d = only_diag(err, "D0003")
    assert d.message("en") == 'fee.csv row 2 (line 3), column "cnt": cannot parse "abc" as f64'
    assert d.message("zh") == 'fee.csv 第 2 行（文件第 3 行），列 "cnt"：无法解析为小数："abc"'
    assert "abc" in str(err)


def test_wrong_type_in_parquet(tmp_path: Path) -> None:
    t = typed_fee()
    t = t.set_column(9, "cnt", pa.array(["1.5", "x1"]))
    t = t.set_column(10, "pric", pa.array([True, False]))
    pq.write_table(t, tmp_path / "fee.parquet")
    msgs = messages(load_error(tmp_path))
    assert any('fee.parquet row 2, column "cnt": cannot parse "x1" as f64' == m for m in msgs)
    assert any('fee.parquet, column "pric"' in m and "bool" in m for m in msgs)


def test_numbers_ints_and_bools(tmp_path: Path) -> None:
    header = [c.name for c in TABLES["drug"].columns]
    base = {"med_list_codg": "X", "drug_name": "阿莫西林", "generic_id": "G", "route": "oral"}
    rows = [
        {**base, "med_list_codg": "X1", "child_only": "是", "min_hosp_rank": "2.0", "watch": "0"},
        {**base, "med_list_codg": "X2", "child_only": "TRUE", "min_hosp_rank": "+3", "watch": "否"},
        {**base, "med_list_codg": "X3", "child_only": "", "min_hosp_rank": "", "watch": "false"},
    ]
    write_csv(tmp_path / "drug.csv", rows, header)
    got = load_tables(tmp_path, "kb", only={"drug"})["drug"]
    assert got["child_only"].to_pylist() == [True, True, None]
    assert got["min_hosp_rank"].to_pylist() == [2, 3, None]
    assert got["watch"].to_pylist() == [False, False, False]

    rows += [
        {**base, "med_list_codg": "X4", "child_only": "maybe", "min_hosp_rank": "1.5"},
        {**base, "med_list_codg": "X5", "min_hosp_rank": "9999999999", "watch": "2"},
    ]
    write_csv(tmp_path / "drug.csv", rows, header)
    msgs = messages(load_error(tmp_path, "kb", {"drug"}))
    assert msgs == [
        'drug.csv row 4 (line 5), column "child_only": cannot parse "maybe" as bool '
        "(expected 1/0, true/false, 是/否)",
        'drug.csv row 4 (line 5), column "min_hosp_rank": cannot parse "1.5" as i32',
        'drug.csv row 5 (line 6), column "min_hosp_rank": "9999999999" is out of range for i32',
        'drug.csv row 5 (line 6), column "watch": cannot parse "2" as bool '
        "(expected 1/0, true/false, 是/否)",
    ]


def test_parquet_numeric_conversions(tmp_path: Path) -> None:
    pathway = pa.table(
        {
            "icd3": pa.array([63, 18]),  # codes stored as integers
            "std_los_days": pa.array([5, 7], pa.int16()),
            "std_cost": pa.array([decimal.Decimal("1234.50"), None], pa.decimal128(10, 2)),
        }
    )
    pq.write_table(pathway, tmp_path / "pathway.parquet")
    got = load_tables(tmp_path, "kb", only={"pathway"})["pathway"]
    assert got.to_pylist() == [
        {"icd3": "63", "std_los_days": 5.0, "std_cost": 1234.5},
        {"icd3": "18", "std_los_days": 7.0, "std_cost": None},
    ]
    pathway = pathway.set_column(2, "std_cost", pa.array([float("nan"), 1.0]))
    pq.write_table(pathway, tmp_path / "pathway.parquet")
    msg = only_diag(load_error(tmp_path, "kb", {"pathway"}), "D0003").message("en")
    assert "pathway.parquet row 1" in msg and '"std_cost"' in msg and "finite" in msg


# -- CSV specifics ---------------------------------------------------------------


def test_bom_csv(tmp_path: Path) -> None:
    write_csv(tmp_path / "fee.csv", [fee_row("F1")], encoding="utf-8-sig")
    assert (tmp_path / "fee.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    got = load_tables(tmp_path, "claims", only={"fee"})["fee"]
    assert got["feedetl_sn"].to_pylist() == ["F1"]


def test_gbk_csv(tmp_path: Path) -> None:
    header = [c.name for c in TABLES["institution"].columns]
    rows = [{"fixmedins_code": "H1", "fixmedins_name": "宁夏医科大学总医院", "hosp_lv": "01"}]
    write_csv(tmp_path / "institution.csv", rows, header, encoding="gbk")
    got = load_tables(tmp_path, "kb", only={"institution"})["institution"]
    assert got["fixmedins_name"].to_pylist() == ["宁夏医科大学总医院"]
    assert got["fixmedins_type"].to_pylist() == [None]


def test_gbk_csv_error_names_row(tmp_path: Path) -> None:
    header = [c.name for c in TABLES["pathway"].columns]
    rows = [{"icd3": "I63", "std_los_days": "十天", "std_cost": "1"}]
    write_csv(tmp_path / "pathway.csv", rows, header, encoding="gbk")
    msg = only_diag(load_error(tmp_path, "kb", {"pathway"}), "D0003").message("en")
    assert msg == 'pathway.csv row 1 (line 2), column "std_los_days": cannot parse "十天" as f64'


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "fee.csv").write_bytes(b"")
    d = only_diag(load_error(tmp_path), "D0005")
    assert "fee.csv" in d.message("en") and "empty" in d.message("en")
    assert "fee.csv" in d.message("zh")


def test_header_only_file(tmp_path: Path) -> None:
    write_csv(tmp_path / "fee.csv", [])
    got = load_tables(tmp_path, "claims", only={"fee"})["fee"]
    assert got.num_rows == 0 and got.schema == arrow_schema(TABLES["fee"])


def test_missing_column_did_you_mean(tmp_path: Path) -> None:
    header = ["CNT" if h == "cnt" else "单价" if h == "pric" else h for h in FEE_HEADER]
    header = [h for h in header if h != "rxno"]
    write_csv(tmp_path / "fee.csv", [fee_row("F1", CNT="1")], header)
    err = load_error(tmp_path)
    by_col = {d.message("en"): d for d in err.diagnostics if d.code == "D0002"}
    assert set(by_col) == {
        'fee.csv: missing column "cnt"',
        'fee.csv: missing column "pric"',
        'fee.csv: missing column "rxno"',
    }
    assert by_col['fee.csv: missing column "cnt"'].help.en == 'did you mean "CNT"?'
    assert "单价" in by_col['fee.csv: missing column "pric"'].help.zh
    assert by_col['fee.csv: missing column "rxno"'].help is None
    assert all("fee.csv" in d.message("zh") for d in err.diagnostics)


def test_quoted_fields_with_commas_and_newlines(tmp_path: Path) -> None:
    rows = [fee_row("F1", rxno="a,b\nc"), fee_row("F2", cnt="x")]
    write_csv(tmp_path / "fee.csv", rows)
    msg = only_diag(load_error(tmp_path), "D0003").message("en")
    assert msg.startswith('fee.csv row 2 (line 4), column "cnt"')  # the quoted newline
    write_csv(tmp_path / "fee.csv", rows[:1])
    got = load_tables(tmp_path, "claims", only={"fee"})["fee"]
    assert got["rxno"].to_pylist() == ["a,b\nc"]


def test_wrong_number_of_fields(tmp_path: Path) -> None:
    write_csv(tmp_path / "fee.csv", [fee_row("F1"), fee_row("F2")])
    with open(tmp_path / "fee.csv", "a", encoding="utf-8") as f:
        f.write("F3,V1\n")
    msg = only_diag(load_error(tmp_path), "D0003").message("en")
    assert msg == "fee.csv line 4: expected 17 fields, found 2"


def test_crlf_and_blank_lines(tmp_path: Path) -> None:
    write_csv(tmp_path / "fee.csv", [fee_row("F1"), fee_row("F2", cnt="x")])
    text = (tmp_path / "fee.csv").read_bytes().decode()
    assert "\r\n" in text  # csv.writer's default line end
    msg = only_diag(load_error(tmp_path), "D0003").message("en")
    assert msg.startswith('fee.csv row 2 (line 3), column "cnt"')
    lines = text.split("\r\n")
    (tmp_path / "fee.csv").write_text("\n\n".join(lines), encoding="utf-8")  # blank lines
    msg = only_diag(load_error(tmp_path), "D0003").message("en")
    assert msg.startswith('fee.csv row 2 (line 5), column "cnt"')


def test_corrupt_parquet(tmp_path: Path) -> None:
    (tmp_path / "fee.parquet").write_bytes(b"PAR1 this is not parquet")
    msg = only_diag(load_error(tmp_path), "D0006").message("en")
    assert msg.startswith("fee.parquet: cannot read the file")


def test_undecodable_csv(tmp_path: Path) -> None:
    write_csv(tmp_path / "fee.csv", [fee_row("F1")])
    with open(tmp_path / "fee.csv", "ab") as f:
        f.write(b"\xff\xff\xff\n")
    msg = only_diag(load_error(tmp_path), "D0006").message("en")
    assert "fee.csv" in msg and "line 3" in msg


def test_all_problems_reported_and_capped(tmp_path: Path) -> None:
    rows = [fee_row(f"F{i}", cnt="bad", pric="bad") for i in range(40)]
    write_csv(tmp_path / "fee.csv", rows)
    msgs = messages(load_error(tmp_path))
    assert len(msgs) == MAX_PROBLEMS + 1
    assert msgs[0].startswith('fee.csv row 1 (line 2), column "cnt"')
    assert msgs[1].startswith('fee.csv row 1 (line 2), column "pric"')
    assert msgs[-1] == "fee.csv: ... and 30 more"


def test_problems_in_several_files_reported_together(tmp_path: Path) -> None:
    write_csv(tmp_path / "fee.csv", [fee_row("F1", cnt="x")])
    (tmp_path / "settlement.csv").write_bytes(b"")
    err = load_error(tmp_path, only={"fee", "settlement", "visit"})
    assert {d.code for d in err.diagnostics} == {"D0001", "D0003", "D0005"}


def test_files_read_at_once_give_the_same_tables_and_problems_in_the_same_order(
        tmp_path: Path) -> None:
    """``threads=2`` reads the biggest file first, beside the others: the same tables, and
    every problem of every file in contract order, as one file after another."""
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir(), bad.mkdir()
    for t in TABLES.values():
        if t.kind == "claims" and t.name != "fee":
            pq.write_table(arrow_schema(t).empty_table(), good / f"{t.name}.parquet")
    pq.write_table(typed_fee(), good / "fee.parquet")
    pq.write_table(arrow_schema(TABLES["person"]).empty_table(), bad / "person.parquet")
    write_csv(bad / "fee.csv", [fee_row("F1", cnt="x"), fee_row("F1")])
    (bad / "settlement.csv").write_bytes(b"")
    (bad / "diagnosis.parquet").write_bytes(b"not parquet")
    one = load_tables(good, "claims")
    two = load_tables(good, "claims", threads=2)
    assert list(two) == list(one) and all(two[n].equals(one[n]) for n in one)
    with pytest.raises(DataError) as first:
        load_tables(bad, "claims")
    with pytest.raises(DataError) as second:
        load_tables(bad, "claims", threads=2)
    assert messages(second.value) == messages(first.value)
    assert {d.code for d in second.value.diagnostics} == {"D0001", "D0003", "D0004", "D0005",
                                                          "D0006"}


# -- keys --------------------------------------------------------------------------


def test_duplicate_key(tmp_path: Path) -> None:
    rows = [fee_row("F1"), fee_row("F2"), fee_row("F1"), fee_row(""), fee_row("")]
    write_csv(tmp_path / "fee.csv", rows)
    d = only_diag(load_error(tmp_path), "D0004")  # the empty (null) keys are not duplicates
    assert d.message("en") == (
        'fee.csv: duplicate key feedetl_sn = "F1" in rows 1 (line 2) and 3 (line 4)'
    )
    assert "第 1 行（文件第 2 行）与第 3 行（文件第 4 行）" in d.message("zh")


def test_duplicate_key_among_shuffled_ids_of_one_length(tmp_path: Path, monkeypatch: Any) -> None:
    """Ids of one length in no order are checked as integers (sortable_keys): a duplicate is
    still found and named, and distinct ids pass."""
    import ruledsl.data.load as load

    monkeypatch.setattr(load, "SORTABLE_KEYS_FROM", 0)
    ids = [f"FY{i:08d}" for i in (5, 3, 9, 1, 3, 7)]
    write_csv(tmp_path / "fee.csv", [fee_row(i) for i in ids])
    d = only_diag(load_error(tmp_path), "D0004")
    assert 'duplicate key feedetl_sn = "FY00000003" in rows 2 (line 3) and 5 (line 6)' \
        in d.message("en")
    write_csv(tmp_path / "fee.csv", [fee_row(i) for i in ids if i != "FY00000003"] +
              [fee_row("FY00000003")])
    assert load_tables(tmp_path, "claims", only={"fee"})["fee"].num_rows == 5


@pytest.mark.parametrize("as_integers", [False, True])
def test_duplicate_composite_key(tmp_path: Path, monkeypatch: Any, as_integers: bool) -> None:
    if as_integers:  # (ids of one length: the keys are packed into integers and sorted)
        import ruledsl.data.load as load

        monkeypatch.setattr(load, "SORTABLE_KEYS_FROM", 0)
    diag = pa.table(
        {
            "mdtrt_id": ["V1", "V1", "V2", "V1", "V1"],
            "diag_srt_no": pa.array([1, 2, 1, 2, 2], pa.int64()),
            "diag_code": ["I63.900", "E11.900", "A08.000", "I10.x00", "J18.900"],
            "maindiag_flag": ["1", "0", "1", "0", "0"],
        }
    )
    pq.write_table(diag, tmp_path / "diagnosis.parquet")
    d = only_diag(load_error(tmp_path, only={"diagnosis"}), "D0004")
    assert d.message("en") == (
        'diagnosis.parquet: duplicate key (mdtrt_id, diag_srt_no) = ("V1", 2) in rows 2 and 4'
        " (3 rows in all)"
    )
    pq.write_table(diag.slice(0, 3), tmp_path / "diagnosis.parquet")
    assert load_tables(tmp_path, "claims", only={"diagnosis"})["diagnosis"].num_rows == 3


@given(st.lists(st.tuples(st.sampled_from([None, "V00000001", "V00000002", "V00000010"]),
                          st.one_of(st.none(), st.integers(-3, 3))), min_size=1, max_size=30))
def test_composite_keys_pack_equal_exactly_where_the_keys_are_equal(
        rows: list[tuple[str | None, int | None]]) -> None:
    import ruledsl.data.load as load

    cols = [pa.chunked_array([pa.array([r[0] for r in rows], pa.string())]),
            pa.chunked_array([pa.array([r[1] for r in rows], pa.int32())])]
    saved, load.SORTABLE_KEYS_FROM = load.SORTABLE_KEYS_FROM, 0
    try:
        packed = load._packed_keys(cols)
    finally:
        load.SORTABLE_KEYS_FROM = saved
    kept = [r for r in rows if None not in r]  # (a key with a null is no duplicate)
    if all(r[0] is None for r in rows):
        return  # (no id: not integers)
    assert packed is not None and len(packed) == len(kept)
    assert all((packed[i] == packed[j]) == (kept[i] == kept[j])
               for i in range(len(kept)) for j in range(len(kept)))


# -- hygiene -----------------------------------------------------------------------


def test_hygiene(tmp_path: Path) -> None:
    settle_header = [c.name for c in TABLES["settlement"].columns]
    settles = [
        {"setl_id": "S1", "vali_flag": "1"},
        {"setl_id": "S2", "vali_flag": "0"},
        {"setl_id": "S3", "vali_flag": ""},
    ]
    write_csv(tmp_path / "settlement.csv", settles, settle_header)
    fees = [
        fee_row("F1", setl_id="S1"),
        fee_row("F2", setl_id="S2"),  # settlement cancelled
        fee_row("F3", setl_id="S1", vali_flag="0"),  # line cancelled
        fee_row("F4", setl_id="S2", vali_flag="0"),  # both
        fee_row("F5", setl_id="S3", vali_flag=""),  # null flag: kept
        fee_row("F6", setl_id="", vali_flag="9"),  # other flag: kept
    ]
    write_csv(tmp_path / "fee.csv", fees)
    tables = load_tables(tmp_path, "claims", only={"fee", "settlement"})
    out, report = apply_hygiene(tables)
    assert out["fee"]["feedetl_sn"].to_pylist() == ["F1", "F5", "F6"]
    assert out["settlement"]["setl_id"].to_pylist() == ["S1", "S3"]
    assert report == HygieneReport(
        fee_cancelled=2, settlement_cancelled=1, fee_of_cancelled_settlement=1
    )
    assert report.total == 4
    assert tables["fee"].num_rows == 6  # the input is not modified
    with ThreadPoolExecutor(2) as pool:  # columns filtered side by side: the same tables
        side_by_side, again = apply_hygiene(tables, pool.map)
    assert again == report and all(side_by_side[t].equals(out[t]) for t in out)


@given(st.lists(st.one_of(st.none(), st.sampled_from(["S1", "S2", "S3", "S4"])), max_size=12),
       st.lists(st.sampled_from(["S1", "S2", "S3", "S9"]), max_size=3), st.integers(0, 12))
def test_hygiene_reads_an_encoded_settlement_id_like_its_text(
        ids: list[str | None], cancelled: list[str], cut: int) -> None:
    """A run that encoded its strings first hands hygiene dictionary columns (looked up
    through the dictionary): the same rows are dropped as from plain text, whatever the
    nulls, the chunks (each with its own dictionary) and the values never cancelled."""
    settle_ids = sorted(set(cancelled) | {"S1", "S2", "S3", "S4"})
    settle = pa.table({"setl_id": settle_ids,
                       "vali_flag": ["0" if i in cancelled else "1" for i in settle_ids]})
    plain = pa.table({"setl_id": pa.chunked_array([ids[:cut], ids[cut:]], pa.string()),
                      "vali_flag": pa.array(["1"] * len(ids), pa.string())})
    encoded = plain.set_column(0, "setl_id", pa.chunked_array(
        [c.dictionary_encode() for c in plain["setl_id"].chunks]))
    want, report = apply_hygiene({"settlement": settle, "fee": plain})
    got, again = apply_hygiene({"settlement": settle, "fee": encoded})
    assert again == report
    assert got["fee"]["setl_id"].cast(pa.string()).to_pylist() == \
        want["fee"]["setl_id"].to_pylist()
    assert report.fee_of_cancelled_settlement == sum(i in cancelled for i in ids)


def test_hygiene_without_settlements() -> None:
    fee = normalize_table("fee", typed_fee())
    out, report = apply_hygiene({"fee": fee})
    assert out["fee"] is fee and report.total == 0


@given(st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
                          st.one_of(st.none(), st.integers(0, 3))), max_size=8),
       st.booleans(), st.booleans())
def test_strictly_increasing_compares_rows_column_by_column(
        rows: list[tuple[str | None, int | None]], one_column: bool, long: bool) -> None:
    if long:  # past the few rows compared in Python: Arrow compares them
        rows = [(f"0{i:03d}", 0) for i in range(64)] + rows
    first = pa.array([r[0] for r in rows], pa.string())
    second = pa.array([r[1] for r in rows], pa.int64())
    columns = [first] if one_column else [first, second]
    keys = [r[:1] if one_column else r for r in rows]
    want = all(None not in k for k in keys) and all(
        a < b for a, b in zip(keys, keys[1:], strict=False))
    assert strictly_increasing(*columns) == want
