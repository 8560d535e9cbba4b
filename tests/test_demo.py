"""The demo-data generator: determinism, consistency, contract types, size, rule coverage."""

from __future__ import annotations

import csv
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from ruledsl.cli import main as cli_main
from ruledsl.demo import build, embedded_demo_path, generate, write_demo
from ruledsl.demo.__main__ import main as demo_main
from ruledsl.demo.generate import CLAIMS, KB, DemoData
from ruledsl.demo.scenarios import RULES
from ruledsl.diagnostics.render import display_width
from ruledsl.schema.arrow import arrow_schema
from ruledsl.schema.contract import TABLES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return build(200, seed=7)


def _r2(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) * 100 + 0.5 + 1e-6) / 100


def _col(t: pa.Table, name: str) -> np.ndarray:
    return t.column(name).to_numpy(zero_copy_only=False)


# --------------------------------------------------------------------------- contract
def test_every_contract_table_with_contract_types(demo: DemoData) -> None:
    assert set(demo.claims) == set(CLAIMS) == {n for n, t in TABLES.items() if t.kind == "claims"}
    assert set(demo.kb) == set(KB) == {n for n, t in TABLES.items() if t.kind == "kb"}
    for name, table in {**demo.claims, **demo.kb}.items():
        assert table.schema.equals(arrow_schema(TABLES[name])), name
        assert table.num_rows > 0, name


def test_non_nullable_columns_have_no_nulls(demo: DemoData) -> None:
    for name, table in {**demo.claims, **demo.kb}.items():
        for col in TABLES[name].columns:
            if not col.nullable and not (name == "diagnosis" and col.name == "diag_code"):
                assert table.column(col.name).null_count == 0, (name, col.name)


def test_some_nulls_in_nullable_columns(demo: DemoData) -> None:
    fee, visit = demo.claims["fee"], demo.claims["visit"]
    for col in ("setl_id", "bilg_dr_codg", "prd_days", "rxno"):
        assert 0 < fee.column(col).null_count < fee.num_rows, col
    for col in ("dise_codg", "dscg_way", "atddr_no"):
        assert 0 < visit.column(col).null_count < visit.num_rows, col


# --------------------------------------------------------------------------- determinism
def test_same_seed_same_tables(demo: DemoData) -> None:
    again = build(200, seed=7)
    for name in CLAIMS:
        assert again.claims[name].equals(demo.claims[name]), name
    for name in KB:
        assert again.kb[name].equals(demo.kb[name]), name


def test_other_seed_other_tables(demo: DemoData) -> None:
    other, _ = generate(200, seed=8)
    assert not other["fee"].equals(demo.claims["fee"])


def test_parquet_bytes_identical(tmp_path: Path) -> None:
    write_demo(tmp_path / "a", 80, seed=3)
    write_demo(tmp_path / "b", 80, seed=3)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.parquet"))
    assert len(files) == len(CLAIMS) + len(KB)
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


# --------------------------------------------------------------------------- consistency
def test_keys_unique_and_sorted(demo: DemoData) -> None:
    for name, table in {**demo.claims, **demo.kb}.items():
        key = TABLES[name].key
        if not key:
            continue
        rows = list(zip(*(table.column(k).to_pylist() for k in key), strict=True))
        assert len(set(rows)) == len(rows), f"{name}: duplicate key"
        assert rows == sorted(rows), f"{name}: not sorted by {key}"


def test_fee_lines_agree_with_visits_and_settlements(demo: DemoData) -> None:
    fee, visit, setl = demo.claims["fee"], demo.claims["visit"], demo.claims["settlement"]
    v_psn = dict(zip(visit.column("mdtrt_id").to_pylist(), visit.column("psn_no").to_pylist(),
                     strict=True))
    f_v, f_p = fee.column("mdtrt_id").to_pylist(), fee.column("psn_no").to_pylist()
    assert all(v_psn[v] == p for v, p in zip(f_v, f_p, strict=True))
    s_visit = dict(zip(setl.column("setl_id").to_pylist(), setl.column("mdtrt_id").to_pylist(),
                       strict=True))
    for v, s in zip(f_v, fee.column("setl_id").to_pylist(), strict=True):
        assert s is None or s_visit[s] == v
    s_psn = setl.column("psn_no").to_pylist()
    assert all(v_psn[v] == p for v, p in zip(s_visit.values(), s_psn, strict=True))
    persons = set(demo.claims["person"].column("psn_no").to_pylist())
    assert set(v_psn.values()) <= persons
    visits = set(v_psn)
    assert set(demo.claims["diagnosis"].column("mdtrt_id").to_pylist()) <= visits


def test_amounts_are_cnt_times_price(demo: DemoData) -> None:
    fee = demo.claims["fee"]
    cnt, pric, amt = _col(fee, "cnt"), _col(fee, "pric"), _col(fee, "det_item_fee_sumamt")
    assert np.array_equal(amt, _r2(cnt * pric))
    assert (cnt < 0).any() and (amt < 0).any(), "refund lines"
    assert (pric >= 0).all()


def test_settlement_money_adds_up(demo: DemoData) -> None:
    s = demo.claims["settlement"]
    total = _col(s, "fund_pay_sumamt") + _col(s, "acct_pay") + _col(s, "psn_cash_pay")
    assert np.allclose(total, _col(s, "medfee_sumamt"), atol=0.011)
    assert (_col(s, "hifp_pay") <= _col(s, "fund_pay_sumamt") + 1e-9).all()
    assert "0" in set(s.column("vali_flag").to_pylist()), "some cancelled settlements"


def test_visit_times(demo: DemoData) -> None:
    v = demo.claims["visit"]
    b = v.column("begntime").cast(pa.int64()).to_numpy()
    e = v.column("endtime").cast(pa.int64()).to_numpy()
    assert (b <= e).all()
    inpatient = np.isin(_col(v, "med_type"), ["21", "22", "24", "52"])
    same_day = (b // 86400) == (e // 86400)
    assert same_day[~inpatient].all()
    assert not same_day[inpatient].all()


def test_catalogue_codes_look_national(demo: DemoData) -> None:
    drug = demo.kb["drug"].column("med_list_codg").to_pylist()
    assert any(c.startswith("XA") for c in drug) and any(c.startswith("T") for c in drug)
    assert all(len(c) == 15 and c.isdigit() for c in demo.kb["service"]["med_list_codg"].to_pylist())
    assert all(c.startswith("C") for c in demo.kb["material"]["med_list_codg"].to_pylist())
    inst = demo.kb["institution"]
    assert {c[:4] for c in inst["admdvs"].to_pylist()} >= {"6401", "6402", "6403", "6404", "6405"}
    assert "2" in inst["fixmedins_type"].to_pylist()
    assert len(demo.kb["drug"]) + len(demo.kb["service"]) + len(demo.kb["material"]) > 300
    assert demo.kb["icd10"].num_rows > 200
    fee_codes = set(demo.claims["fee"]["med_list_codg"].to_pylist())
    kb_codes = set(drug) | set(demo.kb["service"]["med_list_codg"].to_pylist()) | set(
        demo.kb["material"]["med_list_codg"].to_pylist())
    assert fee_codes <= kb_codes


def test_diagnoses_are_valid_icd10_in_background(demo: DemoData) -> None:
    icd3 = set(demo.kb["icd10"]["icd3"].to_pylist())
    codes = demo.claims["diagnosis"]["diag_code"].to_pylist()
    valid = [c for c in codes if c.replace(" ", "").upper()[:3] in icd3]
    assert len(valid) / len(codes) > 0.99  # the rest are ZD-06 scenarios


# --------------------------------------------------------------------------- size, speed
def test_size_and_speed() -> None:
    t0 = time.process_time()
    data = build(200, seed=0)
    assert time.process_time() - t0 < 10
    fee = data.claims["fee"].num_rows
    assert 200 * 35 < fee < 200 * 50 + 15000  # background ≈ 50 lines a person, plus scenarios
    assert data.claims["person"].num_rows > 200


def test_lines_per_person_knob() -> None:
    few, _ = generate(300, seed=1, lines_per_person=20)
    many, _ = generate(300, seed=1, lines_per_person=80)
    assert few["fee"].num_rows < many["fee"].num_rows


# --------------------------------------------------------------------------- files
def test_csv_output(tmp_path: Path) -> None:
    write_demo(tmp_path, 40, seed=2, csv=True)
    assert not list(tmp_path.rglob("*.parquet"))
    with open(tmp_path / "claims" / "fee.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [c.name for c in TABLES["fee"].columns]
    ts = rows[0]["fee_ocur_time"]
    assert len(ts) == 19 and ts[10] == " " and ts[4] == "-"
    assert any(r["prd_days"] == "" for r in rows)
    with open(tmp_path / "kb" / "service.csv", encoding="utf-8", newline="") as fh:
        svc = list(csv.DictReader(fh))
    assert {r["is_surgery"] for r in svc} == {"0", "1"}
    with open(tmp_path / "claims" / "person.csv", encoding="utf-8", newline="") as fh:
        brdy = next(csv.DictReader(fh))["brdy"]
    assert date.fromisoformat(brdy)


def test_module_entry_point(tmp_path: Path) -> None:
    assert demo_main(["--persons", "30", "--out", str(tmp_path), "--seed", "4"]) == 0
    assert {p.stem for p in (tmp_path / "claims").iterdir()} == set(CLAIMS)
    assert {p.stem for p in (tmp_path / "kb").iterdir()} == set(KB)


def test_embedded_demo_is_current_and_small() -> None:
    root = embedded_demo_path()
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert size < 2_000_000
    claims, kb = generate(300, seed=0)
    for folder, tables in (("claims", claims), ("kb", kb)):
        for name, table in tables.items():
            stored = pq.read_table(root / folder / f"{name}.parquet").cast(table.schema)
            assert stored.equals(table), f"{folder}/{name}: regenerate with python -m ruledsl.demo"


@pytest.mark.parametrize(("lang", "total"), [("zh", "共 116 条违规，已写入"),
                                             ("en", "116 violations, written to")])
def test_run_on_the_embedded_demo_prints_an_aligned_summary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str, total: str) -> None:
    book = Path(__file__).resolve().parent.parent / "rulebooks" / "ningxia"
    assert cli_main(["--lang", lang, "run", str(book), "-o", str(tmp_path / "v.parquet")]) == 0
    head, *rules, last = capsys.readouterr().out.splitlines()
    assert len(rules) == 46 and last.startswith(total)
    # Chinese names take two columns each: every row ends in the same terminal column
    assert {display_width(line) for line in [head, *rules]} == {display_width(head)}


@pytest.mark.parametrize(("stage", "word", "count"), [("pre", "事前", 21), ("during", "during", 30),
                                                   ("post", "事后", 46)])
def test_a_stage_runs_the_rules_marked_for_it(tmp_path: Path, stage: str, word: str,
                                               count: int) -> None:
    """``stage=``/``--stage`` keeps the rules marked for that stage (rules-46.md: 21 rules
    at every stage, 9 more 事中 and 事后, 16 more 事后 only) and runs them as ``rules=``
    those would."""
    from ruledsl import load_rulebook

    book = load_rulebook(ROOT / "rulebooks" / "ningxia")
    marked = [r.id for r in book.enabled_rules if stage in r.stages]
    compiled = book.compile(stage=word)
    assert len(marked) == count and [r.id for r in compiled.rules] == marked
    claims, kb = embedded_demo_path() / "claims", embedded_demo_path() / "kb"
    table = compiled.run(claims, kb)
    assert table.equals(book.compile(rules=marked).run(claims, kb))
    out = tmp_path / "v.parquet"
    assert cli_main(["-q", "run", str(ROOT / "rulebooks" / "ningxia"), "--stage", word,
                     "-o", str(out)]) == 0
    assert pq.read_table(out).equals(table)
    assert set(table.column("rule_id").to_pylist()) <= set(marked)


def test_a_stage_with_rules_keeps_both_and_an_unknown_stage_is_named(
        capsys: pytest.CaptureFixture[str]) -> None:
    from ruledsl import load_rulebook

    book = load_rulebook(ROOT / "rulebooks" / "ningxia")
    # ZL-05 (a person's day, over the history) is 事后 only; ZL-01 (one line) is at every stage
    assert [r.id for r in book.compile(rules=["ZL-05", "ZL-01"], stage="事前").rules] == ["ZL-01"]
    with pytest.raises(ValueError, match="unknown stage 'later'.*事前/pre"):
        book.compile(stage="later")
    assert cli_main(["rules", str(ROOT / "rulebooks" / "ningxia"), "--stage", "事中"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 30 and all("事中" in line for line in listed)


# --------------------------------------------------------------------------- rule coverage
def test_a_scenario_generator_for_every_rule() -> None:
    assert len(RULES) == 46


def _matches(rows: dict[str, list[dict[str, object]]], e: object) -> int:
    rr = rows.get(e.rule_id, [])  # type: ignore[attr-defined]
    if e.dr_codg:  # type: ignore[attr-defined]
        return sum(r["dr_codg"] == e.dr_codg for r in rr)  # type: ignore[attr-defined]
    if e.item_code:  # type: ignore[attr-defined]
        return sum(r["fixmedins_code"] == e.fixmedins_code  # type: ignore[attr-defined]
                   and r["item_code"] == e.item_code for r in rr)  # type: ignore[attr-defined]
    if e.fixmedins_code:  # type: ignore[attr-defined]
        return sum(r["fixmedins_code"] == e.fixmedins_code for r in rr)  # type: ignore[attr-defined]
    persons = set(e.psn_no)  # type: ignore[attr-defined]
    return sum(r["psn_no"] in persons for r in rr)


@pytest.mark.parametrize("persons,seed", [(300, 0), (2000, 5)])
def test_every_rule_fires_and_near_misses_do_not(persons: int, seed: int) -> None:
    pytest.importorskip("duckdb")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    oracle = pytest.importorskip("benchmarks.oracle.run")
    data = build(persons, seed=seed)
    out = oracle.run_oracle(data.claims, data.kb)
    rows: dict[str, list[dict[str, object]]] = {}
    for r in out.select(["rule_id", "psn_no", "fixmedins_code", "dr_codg", "item_code"]) \
            .to_pylist():
        rows.setdefault(r["rule_id"], []).append(r)
    fired = set(pc.unique(out.column("rule_id")).to_pylist())
    assert fired == set(oracle.RULE_IDS)
    wrong = [(e.rule_id, e.expect, e.psn_no[:2]) for e in data.manifest
             if (_matches(rows, e) > 0) != (e.expect == "fire")]
    assert not wrong
    assert {e.rule_id for e in data.manifest if e.expect == "near"} == set(oracle.RULE_IDS)
