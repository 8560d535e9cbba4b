"""Scale: partition keys, bucketing, and runs identical to one single-threaded run.

* the partition analysis of the ningxia rulebook, and rules it must refuse;
* soundness of the analysis: for any generated rule, running it bucket by
  bucket (whatever its key) gives exactly the whole-batch firings;
* the whole ningxia rulebook: any bucket count, worker count and engine
  (local, threads, Dask ``LocalCluster`` with two workers) gives the
  single-threaded output; so does a run over a partitioned Parquet dataset;
* bucketing does not depend on row order, and keeps linked rows together;
* a bad bucket file is reported with its bucket; a job result delivered twice
  is counted once; the CLI writes byte-identical files.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, note, reject, settings
from hypothesis import strategies as st

from ruledsl.cli import main
from ruledsl.data.load import apply_hygiene
from ruledsl.demo import generate
from ruledsl.errors import RuleDslError
from ruledsl.execute.batch import encode_string_columns
from ruledsl.execute.output import concat_and_sort
from ruledsl.rulebook import Rulebook, load_rulebook, load_text
from ruledsl.scale import merge
from ruledsl.scale.buckets import (
    Dataset,
    Linker,
    _layout,
    _one_array_per_namespace,
    _pairs_by_owner,
    _seldom_repeated,
    _sorted_distinct_pairs,
    assign,
    bucket_file,
    table_keys,
    write_dataset,
)
from ruledsl.scale.merge import MergedViolations, spill_result
from ruledsl.scale.partition import (
    DOCTOR,
    INSTITUTION,
    PERSON,
    analyse,
    analyse_rule,
    partition_key,
    plan_partitions,
)
from ruledsl.scale.threads import WHOLE, BucketError, Job, MemorySource, ScaledRun, run_scaled
from ruledsl.testing.data import claim_batches, python_source
from ruledsl.testing.rules import well_typed_rules

NINGXIA = Path(__file__).resolve().parents[1] / "rulebooks" / "ningxia"
Tables = dict[str, pa.Table]

fast = settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=4)
MIXED = ["GL-02", "YP-06", "ZL-08", "GL-08", "GL-09", "GL-10", "YP-12", "LJ-06", "ZD-01"]
"""Rules of every partition key (person with null-safe matches, institution with a
batch-wide value, doctor): the CLI tests run these to stay fast."""


@pytest.fixture(scope="module")
def ningxia() -> Rulebook:
    try:
        return load_rulebook(NINGXIA)
    except RuleDslError as exc:  # pragma: no cover - another session is editing it
        pytest.skip(f"rulebooks/ningxia does not load: {str(exc).splitlines()[0]}")


def write_folder(folder: Path, tables: Mapping[str, pa.Table]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        pq.write_table(table, folder / f"{name}.parquet")
    return folder


def assert_same(expected: pa.Table, actual: pa.Table, what: str,
                claims: Mapping[str, pa.Table] | None = None) -> None:
    if not actual.equals(expected):
        want, got = expected.to_pylist(), actual.to_pylist()
        diff = [f"  only single-threaded: {r}" for r in want if r not in got][:5]
        diff += [f"  only {what}: {r}" for r in got if r not in want][:5]
        raise AssertionError(f"{what} differs from the single-threaded run\n" + "\n".join(diff)
                             + ("\n" + python_source(claims, "claims") if claims else ""))


# ---------------------------------------------------------------- analysis --
def test_ningxia_partition_keys(ningxia: Rulebook) -> None:
    plan = plan_partitions(ningxia.enabled_rules)
    keys = plan.by_key()
    assert sorted(keys.get("institution", [])) == ["GL-08", "GL-10", "LJ-06", "YP-12"]
    assert keys.get("doctor") == ["GL-09"]
    assert "none" not in keys
    assert len(keys["person"]) == len(ningxia.enabled_rules) - 5
    # 本批首日: a batch-wide minimum, computed per person bucket and combined
    assert [g.func for g in plan.get("GL-10").globals] == ["min"]
    # the null-safe person match (等同) needs the null-linked person key
    assert partition_key(ningxia.rule("YP-06")) == "person"
    assert not analyse(ningxia.rule("YP-06"), INSTITUTION).ok


RULE = '''规则 {id} "r" {{
    类别 医保管理类 结果类型 可疑 环节 事后 层级 {level}
    {body}
}}'''


def rule_of(body: str, level: str = "就诊") -> Any:
    return load_text(RULE.format(id="R-1", level=level, body=body)).rules[0]


@pytest.mark.parametrize("body, key", [
    ("对每条 就诊 V 当 计数(就诊 W 满足 W.人员编号 = V.人员编号) > 3", "person"),
    ("对每条 就诊 V 当 计数(就诊 W 满足 W.人员编号 等同 V.人员编号) > 3", "person"),
    # not linked: another key, a constant
    ("对每条 就诊 V 当 计数(就诊 W 满足 W.入院日期 = V.入院日期) > 3", "none"),
    ('对每条 就诊 V 当 计数(就诊 W 满足 W.人员编号 = "P1" 且 W.入院日期 = V.入院日期) > 3',
     "none"),
    # a batch-wide count or minimum combines exactly; a batch-wide average does not
    ("对每条 就诊 V 当 计数(就诊 W) > 3", "person"),
    ('对每条 就诊 V 当 计数(就诊 W 满足 W.人员编号 = "P1") > 3', "person"),
    ("对每条 就诊 V 当 V.入院日期 = 最小(W.入院日期 对于 就诊 W 满足 W.入院日期 > 2025-01-01)",
     "person"),
    ("对每条 明细 L 当 L.金额 > 平均(y.金额 对于 明细 y)", "none"),
    # the institution's visits
    ("对每条 就诊 V 当 计数(就诊 W 满足 W.机构编码 = V.机构编码) > 3", "institution"),
])
def test_partition_key_of_rules(body: str, key: str) -> None:
    assert partition_key(rule_of(body, "明细" if "明细 L" in body else "就诊")) == key


def test_null_safe_match_through_a_look_up_is_refused() -> None:
    # y.就诊 is null for a line whose visit is missing: 等同 would then match every
    # line with a null person, in any bucket
    rule = rule_of("对每条 明细 L 当 计数(明细 y 满足 y.就诊.人员编号 等同 L.人员编号) > 3",
                   level="明细")
    assert not analyse(rule, PERSON).ok
    rule = rule_of("对每条 明细 L 当 计数(明细 y 满足 y.就诊.人员编号 = L.人员编号) > 3",
                   level="明细")
    assert analyse(rule, PERSON).ok


def test_group_keys_must_keep_groups_in_a_bucket() -> None:
    by_item = "对每组 明细 x 按 x.医疗目录编码 记为 项目 当 计数() > 3 输出 项目编码 = 项目"
    assert partition_key(rule_of(by_item, level="机构")) == "none"
    out = "当 计数() > 3 输出 医师编码 = 医师"
    by_doctor = f"对每组 明细 x 按 x.开单医生编码 记为 医师 {out}"
    assert not analyse(rule_of(by_doctor, level="医师"), DOCTOR).ok  # nulls form one group
    by_doctor_not_null = f"对每组 明细 x 满足 x.开单医生编码 不为空 按 x.开单医生编码 记为 医师 {out}"
    assert partition_key(rule_of(by_doctor_not_null, level="医师")) == "doctor"


@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=50)
@given(text=well_typed_rules(), batch=claim_batches(), k=st.integers(2, 5))
def test_analysis_is_sound_on_generated_rules(text: str, batch: tuple[Tables, Tables],
                                              k: int) -> None:
    """Bucket by bucket (per the rule's proven key) gives the whole-batch firings."""
    claims, kb = batch
    book = load_text(text)
    note(f"{text}\nkey: {analyse_rule(book.rules[0])}")
    plan = book.compile()
    try:
        expected = plan.run(claims, kb)
    except RuleDslError:
        reject()
    except Exception:  # an engine failure on this rule is not what this test is about
        reject()
    actual, _ = run_scaled(plan, claims, kb, engine="local", buckets=k)
    assert_same(expected, actual, f"{k} buckets", claims)


GLOBALS = """
规则 R-1 "首日明细" {
    类别 药品类 结果类型 可疑 环节 事后 层级 明细
    对每条 明细 L 满足 L.费用日期 = 最小(y.费用日期 对于 明细 y)
        且 计数(就诊 v 满足 v.住院) >= 1 且 存在(结算 s 满足 s.医疗费总额 > 100)
    当 L.医疗目录编码 <= 最大(y.医疗目录编码 对于 明细 y)
}
"""


@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=25)
@given(batch=claim_batches(), k=st.integers(2, 6))
def test_batch_wide_values_combine_exactly(batch: tuple[Tables, Tables], k: int) -> None:
    book = load_text(GLOBALS)
    analysis = analyse_rule(book.rules[0])
    assert analysis.key == "person"
    assert sorted(g.func for g in analysis.globals) == ["count", "exists", "max", "min"]
    claims, kb = batch
    plan = book.compile()
    actual, _ = run_scaled(plan, claims, kb, engine="threads", workers=2, buckets=k)
    assert_same(plan.run(claims, kb), actual, f"{k} buckets with batch-wide values", claims)


# --------------------------------------------------------------- bucketing --
def test_buckets_do_not_depend_on_row_order_and_keep_keys_together() -> None:
    claims, _ = generate(persons=60, seed=4)
    first = assign(claims, PERSON, 7)
    rng = random.Random(1)
    shuffled = {}
    for name, table in claims.items():
        order = list(range(table.num_rows))
        rng.shuffle(order)
        shuffled[name] = table.take(pa.array(order, pa.int64()))
    second = assign(shuffled, PERSON, 7)
    for name in first:
        key = claims[name].column(claims[name].column_names[0]).to_pylist()
        key2 = shuffled[name].column(claims[name].column_names[0]).to_pylist()
        if name in ("diagnosis", "operation"):  # keyed by (mdtrt_id, …): compare sets
            assert sorted(zip(key, first[name].tolist())) == sorted(zip(key2, second[name].tolist()))
        else:
            assert dict(zip(key, first[name].tolist())) == dict(zip(key2, second[name].tolist()))
    person_bucket: dict[str, int] = {}
    for name in ("visit", "settlement", "fee"):
        for psn, b in zip(claims[name]["psn_no"].to_pylist(), first[name].tolist()):
            assert person_bucket.setdefault(psn, b) == b, f"{name} of {psn} split"
    assert len(set(first["fee"].tolist())) > 1


@settings(fast, max_examples=6)
@given(batch=claim_batches(persons=st.integers(1, 6), cancelled_share=0.3), k=st.integers(1, 4),
       encoded=st.sampled_from(["no", "in turn", "on a pool"]))
def test_buckets_hold_every_kept_row_once_and_no_cancelled_one(
        batch: tuple[Tables, Tables], k: int, encoded: str) -> None:
    """Hygiene copies no table in a run over a batch in memory: the buckets leave the
    cancelled rows out. Every bucket of every partitioning, and the whole batch, hold
    exactly the rows hygiene keeps: the split ones once over the buckets, the replicated
    ones (a doctor bucket's settlements) in every bucket. Encoding the strings works
    hygiene out beside it, on the strings, and cuts the split's columns on its pool."""
    claims, kb = batch
    kept, report = apply_hygiene(claims)
    source = MemorySource(claims, k)
    if encoded == "in turn":
        source.encode_strings(kb)
    elif encoded == "on a pool":
        with ThreadPoolExecutor(2) as pool:
            source.encode_strings(kb, pool.map)

    def rows(table: pa.Table) -> list[tuple[Any, ...]]:
        decoded = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
                   for c in table.columns]
        return sorted(map(tuple, zip(*(c.to_pylist() for c in decoded), strict=True)),
                      key=repr)

    whole = Job(0, WHOLE, 0, (), tuple(claims), columns=tuple(
        (t, tuple(claims[t].column_names)) for t in claims))
    loaded = source.load(whole)
    for scheme in (PERSON, INSTITUTION, DOCTOR):
        buckets = [source.load(attrs.evolve(whole, scheme=scheme.name, bucket=b))
                   for b in range(k)]
        for name, table in kept.items():
            assert rows(loaded[name]) == rows(table), name
            if name in scheme.partitioned:
                together = pa.concat_tables([b[name] for b in buckets])
                assert rows(together) == rows(table), (scheme.name, name)
            else:
                assert all(rows(b[name]) == rows(table) for b in buckets), (scheme.name, name)
    assert source.hygiene == attrs.asdict(report)


@settings(fast, max_examples=12)
@given(batch=claim_batches(persons=st.integers(1, 8)), k=st.integers(1, 6))
def test_a_batch_encoded_once_splits_as_its_strings_do(batch: tuple[Tables, Tables],
                                                      k: int) -> None:
    """Strings encoded once for the run give each namespace one dictionary of distinct
    values, whose hashes are numbered as they stand (no sort of the nodes): the buckets
    are those of the same batch as plain strings, nulls and inconsistent links included."""
    claims, kb = batch
    encoded, _ = encode_string_columns(claims, kb)
    for scheme in (PERSON, INSTITUTION, DOCTOR):
        keys = table_keys(encoded)
        numbered = _one_array_per_namespace(
            {n: keys[n] for n in scheme.partitioned if n in encoded}, scheme)
        # (the doctor's namespace has two columns, two dictionaries: sorted as before,
        # unless one of them holds no value)
        assert numbered is not None or scheme is DOCTOR, scheme.name
        plain, once = assign(claims, scheme, k), assign(encoded, scheme, k, keys)
        assert plain.keys() == once.keys()
        for name in plain:
            assert plain[name].tolist() == once[name].tolist(), (scheme.name, name)


@pytest.mark.parametrize("lines_per_visit", [1, 5])
def test_linking_with_or_without_sorting_out_repeated_pairs_joins_alike(
        lines_per_visit: int) -> None:
    """Pairs that a sample shows seldom repeated are linked as they are; many repeats (fee
    lines in no order) are sorted out first: either way the same components."""
    rng = np.random.default_rng(lines_per_visit)
    persons, visits = 3_000, 300_000
    person_of_visit = rng.integers(0, persons, visits)
    visit = rng.permutation(np.repeat(np.arange(visits), lines_per_visit))
    a, b = person_of_visit[visit], persons + visit
    n = persons + visits
    assert _seldom_repeated(a, b, n) == (lines_per_visit == 1)

    def components(link_as_they_are: bool | None, owners: bool = True) -> np.ndarray:
        linker = Linker()
        linker.nodes, linker.parent = np.zeros(n, np.uint64), np.arange(n, dtype=np.int64)
        with pytest.MonkeyPatch.context() as mp:
            if link_as_they_are is not None:
                mp.setattr("ruledsl.scale.buckets._seldom_repeated",
                           lambda *_: link_as_they_are)
            if not owners:
                mp.setattr("ruledsl.scale.buckets.OWNER_TABLE_PER_PAIR", 0)
            linker.link(a, b)
        linker._compress()
        return linker.parent.copy()

    chosen = components(None)
    assert np.array_equal(chosen, components(False))
    assert np.array_equal(chosen, components(False, owners=False))
    assert np.array_equal(chosen, components(True))
    assert np.array_equal(chosen[persons:], person_of_visit)  # each visit joined its person
    # a visit linked to a second person joins the two persons
    a, b = np.append(a, (person_of_visit[0] + 1) % persons), np.append(b, persons)
    chosen = components(False)
    assert np.array_equal(chosen, components(False, owners=False))
    assert chosen[person_of_visit[0]] == chosen[(person_of_visit[0] + 1) % persons]


@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=60))
def test_distinct_pairs_by_owner_or_by_sorting_are_the_distinct_pairs(
        pairs: list[tuple[int, int]]) -> None:
    a = np.array([p for p, _ in pairs], np.int64)
    b = np.array([q for _, q in pairs], np.int64)
    want = sorted(set(pairs))
    for found in (_pairs_by_owner(a, b, 10), _sorted_distinct_pairs(a, b, 10)):
        assert sorted(zip(found[0].tolist(), found[1].tolist(), strict=True)) == want


@given(st.integers(1, 300).flatmap(lambda k: st.tuples(st.just(k), st.lists(
    st.integers(0, k - 1), max_size=400))))
def test_bucket_layout_keeps_row_order_within_a_bucket(case: tuple[int, list[int]]) -> None:
    k, buckets = case
    bucket = np.array(buckets, dtype=np.int32)
    order, offsets = _layout(bucket, k)
    assert order.tolist() == np.lexsort([bucket]).tolist()  # stable: row order kept
    assert offsets.tolist() == np.searchsorted(bucket[order], np.arange(k + 1)).tolist()


@given(st.integers(1, 9).flatmap(lambda k: st.tuples(st.just(k), st.lists(
    st.tuples(st.integers(0, k - 1), st.integers(0, 30)), max_size=300))))
def test_bucket_layout_by_visit_is_by_bucket_then_visit_then_row(
        case: tuple[int, list[tuple[int, int]]]) -> None:
    """The visit order, sorted once for every partitioning, then stably by bucket: the
    rows by (bucket, visit, row), as one sort by bucket and visit gives them."""
    k, rows = case
    bucket = np.array([b for b, _ in rows], dtype=np.int64)
    visits = np.array([v for _, v in rows], dtype=np.int64)
    order, offsets = _layout(bucket, k, np.lexsort([visits]))
    assert order.tolist() == np.lexsort([visits, bucket]).tolist()
    assert offsets.tolist() == np.searchsorted(np.sort(bucket), np.arange(k + 1)).tolist()


@pytest.mark.parametrize("in_visit_order", [False, True])
def test_bucket_layout_is_stable_on_many_rows(in_visit_order: bool) -> None:
    """Thousands of rows over a few buckets: an unstable sort (numpy's default) reorders
    the rows of a bucket here, where the small examples above it sorts by insertion."""
    rng = np.random.default_rng(7)
    bucket = rng.integers(0, 6, 20_000)
    visits = rng.integers(0, 3_000, 20_000)
    by_visit = np.lexsort([visits]) if in_visit_order else None
    order, offsets = _layout(bucket, 6, by_visit)
    want = np.lexsort([visits, bucket]) if in_visit_order else np.lexsort([bucket])
    assert order.tolist() == want.tolist()
    assert offsets.tolist() == np.searchsorted(np.sort(bucket), np.arange(7)).tolist()


# --------------------------------------------------------------- the runs --
@fast
@given(batch=claim_batches(persons=st.integers(1, 6)), k=st.integers(1, 5),
       workers=st.integers(1, 3), engine=st.sampled_from(["local", "threads"]))
def test_ningxia_any_buckets_workers_engine(ningxia: Rulebook, batch: tuple[Tables, Tables],
                                            k: int, workers: int, engine: str) -> None:
    claims, kb = batch
    plan = ningxia.compile()
    expected = plan.run(claims, kb)
    actual, summary = run_scaled(plan, claims, kb, engine=engine, workers=workers, buckets=k)
    assert_same(expected, actual, f"{engine}, {workers} workers, {k} buckets", claims)
    assert [s.rule_id for s in summary] == [r.id for r in plan.rules]


@settings(fast, max_examples=3)
@given(batch=claim_batches(persons=st.integers(1, 6), null_share=0.0), k=st.integers(1, 4))
def test_ningxia_over_a_dataset(ningxia: Rulebook, tmp_path_factory: Any,
                                batch: tuple[Tables, Tables], k: int) -> None:
    claims, kb = batch
    root = tmp_path_factory.mktemp("ds")
    folder = write_folder(root / "claims", claims)
    write_dataset(folder, root / "dataset", ("person", "institution", "doctor"), k,
                  chunk_rows=7)
    plan = ningxia.compile()
    expected = plan.run(folder, kb)
    actual, _ = run_scaled(plan, root / "dataset", kb, engine="threads", workers=2)
    assert_same(expected, actual, f"a dataset of {k} buckets", claims)


def test_ningxia_demo_batch_threads_and_dataset(ningxia: Rulebook, tmp_path: Path) -> None:
    """A realistic batch where every rule fires, split for real (many persons)."""
    claims, kb = generate(persons=40, seed=11)
    plan = ningxia.compile()
    expected = plan.run(claims, kb)
    assert expected.num_rows > 40
    threads, _ = run_scaled(plan, claims, kb, engine="threads", workers=2, buckets=3)
    assert_same(expected, threads, "threads")
    folder = write_folder(tmp_path / "claims", claims)
    write_dataset(folder, tmp_path / "ds", ("person",), 3, chunk_rows=1000)
    notes: list[str] = []
    over, _ = run_scaled(plan, tmp_path / "ds", kb, engine="local", notes=notes.append)
    assert_same(expected, over, "a person-only dataset")
    assert any("GL-09" in n and "whole batch" in n for n in notes)


def test_shuffled_lines_are_grouped_by_visit_in_their_buckets(ningxia: Rulebook) -> None:
    """Fee lines, visits and settlements in no order come out of a bucket in visit order
    (every look-up by visit reads neighbouring rows), and the run is still the one batch's;
    a table whose key has a null keeps its row order."""
    from ruledsl.execute.vec import dictionary_columns
    from ruledsl.scale.buckets import Buckets
    from ruledsl.scale.partition import SCHEMES

    claims, kb = generate(persons=40, seed=11)
    rng = np.random.default_rng(3)
    mixed = {n: t.take(pa.array(rng.permutation(t.num_rows))) for n, t in claims.items()}
    plan = ningxia.compile()
    assert_same(plan.run(claims, kb), plan.run(mixed, kb), "shuffled, one batch")
    threads, _ = run_scaled(plan, mixed, kb, engine="threads", workers=2, buckets=3)
    assert_same(plan.run(claims, kb), threads, "shuffled, in buckets")
    # the split of encoded tables: each bucket's rows by visit code
    names = [n for n in ("fee", "visit", "settlement") if n in mixed]
    _, encoded = dictionary_columns([mixed[n].column("mdtrt_id") for n in names], False)
    coded = {n: mixed[n].set_column(mixed[n].column_names.index("mdtrt_id"), "mdtrt_id", e)
             for n, e in zip(names, encoded, strict=True)}
    # alone, and split side by side on a pool sharing each table's visit order
    source = MemorySource(coded, 3)
    with ThreadPoolExecutor(2) as pool:
        source.split(["person", "institution", "doctor"], pool)
    for split in (Buckets(coded, SCHEMES["person"], 3), *(source.buckets(scheme) for scheme in
                                                          ("person", "institution", "doctor"))):
        for k in range(3):  # (a table the partitioning does not split comes whole)
            cut = [n for n in names if n in split.scheme.partitioned]
            for name, table in split.bucket(k, cut).items():
                codes = table.column("mdtrt_id").combine_chunks().indices \
                    .to_numpy(zero_copy_only=False)
                assert (np.diff(codes) >= 0).all(), (split.scheme.name, name)
    fee = coded["fee"]
    with_null = dict(coded, fee=fee.set_column(fee.column_names.index("feedetl_sn"), "feedetl_sn",
                                               pa.array([None] + fee.column("feedetl_sn")
                                                        .to_pylist()[1:], pa.string())))
    rows = Buckets(with_null, SCHEMES["person"], 3)._layout["fee"][0]
    ones = Buckets(with_null, SCHEMES["person"], 1)._layout["fee"][0]
    assert ones.tolist() == list(range(fee.num_rows)) and len(rows) == fee.num_rows


def test_a_big_in_memory_batch_runs_bucket_by_bucket(ningxia: Rulebook, monkeypatch: Any) -> None:
    """``run`` splits in-memory claims of at least ``SPLIT_FROM_ROWS`` rows into buckets of
    about ``SPLIT_BUCKET_ROWS`` (same violations and summary as one batch); not with a run's
    own parameters, not with ``split=False``."""
    import ruledsl.execute.compiled as compiled_module

    claims, kb = generate(persons=40, seed=11)
    plan = ningxia.compile()
    labels: list[str] = []
    whole, whole_summary = plan.run_with_summary(claims, kb, progress=lambda r, i, n: labels.append(r))
    assert labels[:3] == [r.id for r in plan.rules[:3]]  # one batch: progress by rule
    rows = sum(t.num_rows for t in claims.values())
    monkeypatch.setattr(compiled_module, "SPLIT_FROM_ROWS", rows)
    monkeypatch.setattr(compiled_module, "SPLIT_BUCKET_ROWS", rows // 3)
    labels.clear()
    split, split_summary = plan.run_with_summary(claims, kb, progress=lambda r, i, n: labels.append(r))
    assert_same(whole, split, "a batch split on one thread")
    assert [(s.rule_id, s.firings, s.amount) for s in split_summary] == \
        [(s.rule_id, s.firings, s.amount) for s in whole_summary]
    assert any("person" in label for label in labels)  # progress by bucket: it was split
    labels.clear()
    plan.run_with_summary(claims, kb, progress=lambda r, i, n: labels.append(r), split=False)
    assert labels[:3] == [r.id for r in plan.rules[:3]]
    labels.clear()
    plan.run_with_summary(claims, kb, params={}, progress=lambda r, i, n: labels.append(r))
    assert labels[:3] == [r.id for r in plan.rules[:3]]




@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@settings(fast, max_examples=4)
@given(batch=claim_batches(persons=st.integers(1, 8)), k=st.integers(1, 5))
def test_ningxia_on_dask(ningxia: Rulebook, dask_cluster: str, batch: tuple[Tables, Tables],
                         k: int) -> None:
    claims, kb = batch
    plan = ningxia.compile()
    expected = plan.run(claims, kb)
    actual, _ = run_scaled(plan, claims, kb, engine="dask", scheduler=dask_cluster, buckets=k)
    assert_same(expected, actual, f"Dask, {k} buckets", claims)


def test_dask_reads_a_dataset_and_names_a_failing_bucket(ningxia: Rulebook, dask_cluster: str,
                                                         tmp_path: Path) -> None:
    claims, kb = generate(persons=20, seed=2)
    folder = write_folder(tmp_path / "claims", claims)
    write_dataset(folder, tmp_path / "ds", ("person", "institution", "doctor"), 3)
    plan = ningxia.compile(rules=MIXED)
    actual, _ = run_scaled(plan, tmp_path / "ds", kb, engine="dask", scheduler=dask_cluster)
    assert_same(plan.run(claims, kb), actual, "Dask over a dataset")
    bucket_file(tmp_path / "ds", "person", "fee", 1).write_bytes(b"not parquet")
    with pytest.raises(BucketError, match="bucket 1 of the person partitioning") as info:
        run_scaled(plan, tmp_path / "ds", kb, engine="dask", scheduler=dask_cluster)
    assert info.value.bucket == 1 and "bucket=1" in str(info.value)


# ------------------------------------------------------------ robustness --
def test_bad_bucket_file_names_the_bucket(ningxia: Rulebook, tmp_path: Path) -> None:
    claims, kb = generate(persons=30, seed=5)
    folder = write_folder(tmp_path / "claims", claims)
    write_dataset(folder, tmp_path / "ds", ("person",), 3)
    bucket_file(tmp_path / "ds", "person", "visit", 2).write_bytes(b"garbage")
    with pytest.raises(BucketError, match="bucket 2 of the person partitioning"):
        run_scaled(ningxia.compile(rules=["GL-02"]), tmp_path / "ds", kb, engine="threads")


def test_a_bucket_key_is_checked_once_per_file_version(tmp_path: Path) -> None:
    from ruledsl.errors import DataError

    claims, _ = generate(persons=30, seed=5)
    folder = write_folder(tmp_path / "claims", claims)
    write_dataset(folder, tmp_path / "ds", ("person",), 2)
    ds = Dataset(tmp_path / "ds")
    assert ds.bucket("person", 1, ["fee"])["fee"].num_rows > 0
    assert ds.bucket("person", 1, ["fee"])["fee"].num_rows > 0  # second read: key not re-checked
    path = bucket_file(tmp_path / "ds", "person", "fee", 1)
    table = pq.read_table(path)
    pq.write_table(pa.concat_tables([table, table.slice(0, 1)]), path)  # a duplicate fee line
    with pytest.raises(DataError, match="feedetl_sn"):
        ds.bucket("person", 1, ["fee"])
    with pytest.raises(DataError, match="feedetl_sn"):  # a failed check is not remembered
        ds.bucket("person", 1, ["fee"])


def test_scaled_runs_freeze_and_thaw_only_their_own(ningxia: Rulebook) -> None:
    import gc

    from ruledsl.execute.memory import freeze_long_lived, thaw_long_lived

    if gc.get_freeze_count():
        pytest.skip("this process already froze objects")
    claims, kb = generate(persons=8, seed=4)
    run_scaled(ningxia.compile(rules=MIXED), claims, kb, engine="threads", buckets=2)
    assert gc.get_freeze_count() == 0  # thawed after the run
    assert freeze_long_lived() and gc.get_freeze_count() > 0
    thaw_long_lived(True)
    assert gc.get_freeze_count() == 0
    gc.freeze()  # the program's own freeze (a pre-forking server)
    try:
        count = gc.get_freeze_count()
        run_scaled(ningxia.compile(rules=MIXED), claims, kb, engine="threads", buckets=2)
        # neither thawed nor added to (frozen objects may die meanwhile)
        assert 0 < gc.get_freeze_count() <= count
    finally:
        gc.unfreeze()


def _fresh_python(code: str) -> str:
    """What a fresh interpreter prints running ``code`` (stripped)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout.strip()


def test_the_cli_sets_the_heap_up_before_numpy_and_pyarrow_start_threads() -> None:
    """``ruledsl run`` asks for one arena first thing; it holds only if no library has
    started a thread yet, so importing the CLI (and the package) loads neither library."""
    loaded = _fresh_python("import sys, ruledsl, ruledsl.cli, ruledsl.execute.memory\n"
                           "print(sorted({'numpy', 'pyarrow'} & set(sys.modules)))")
    assert loaded == "[]"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_one_arena_is_reported_as_not_held_once_other_threads_run() -> None:
    from ruledsl.execute import memory

    if not memory._libc():
        pytest.skip("not glibc")
    ask = "from ruledsl.execute.memory import keep_freed_memory as k\n"
    assert _fresh_python(ask + "print(k(one_arena=True))") == "True"
    started = "import threading, time\n" \
              "threading.Thread(target=time.sleep, args=(2,), daemon=True).start()\n"
    assert _fresh_python(ask + started + "print(k(one_arena=True))") == "False"
    assert _fresh_python(ask + started + "print(k())") == "True"  # thresholds alone: held


def test_the_package_exports_load_on_first_use() -> None:
    import ruledsl
    import ruledsl.check.checker  # the subpackage of the same name does not rebind it
    from ruledsl import check
    from ruledsl.rulebook import load_text

    assert check is load_text and ruledsl.check is load_text
    assert ruledsl.CompiledRulebook.__name__ == "CompiledRulebook"
    assert {"CompiledRulebook", "check", "make_table", "parse"} <= set(dir(ruledsl))
    with pytest.raises(AttributeError, match="no_such_name"):
        ruledsl.no_such_name  # noqa: B018


def test_jobs_release_memory_only_out_of_core(ningxia: Rulebook, tmp_path: Path,
                                             monkeypatch: Any) -> None:
    """A batch held in memory keeps its jobs' freed memory for the next job; an
    out-of-core run hands it back after every job."""
    import ruledsl.scale.threads as threads_module

    released: list[int] = []
    monkeypatch.setattr(threads_module, "release_freed_memory", lambda: released.append(1))
    claims, kb = generate(persons=8, seed=4)
    plan = ningxia.compile(rules=MIXED)
    run_scaled(plan, claims, kb, engine="threads", workers=2, buckets=2)
    assert released == []
    folder = write_folder(tmp_path / "claims", claims)
    write_dataset(folder, tmp_path / "ds", ("person", "institution", "doctor"), 2)
    run_scaled(plan, tmp_path / "ds", kb, engine="local")
    assert len(released) >= 2


def _mixed_job_results(ningxia: Rulebook) -> tuple[Any, ScaledRun, list[Any]]:
    """The MIXED rules' plan, its scaled run over 3 buckets, and its phase-1 job results."""
    from ruledsl.execute.compiled import read_tables
    from ruledsl.scale.threads import LocalExecutor

    claims, kb = generate(persons=20, seed=6)
    plan = ningxia.compile(rules=MIXED)
    run = ScaledRun(plan, MemorySource(claims, 3))
    results = list(LocalExecutor(run.source, read_tables(kb, "kb", plan.rules))
                   .map(run, run.jobs(1), {}))
    return plan, run, results


def test_a_result_delivered_twice_is_counted_once(ningxia: Rulebook, tmp_path: Path,
                                                  monkeypatch: Any) -> None:
    plan, run, results = _mixed_job_results(ningxia)
    once, _ = run.merge(results)
    twice, summary = run.merge(results + results[:2])
    assert once.equals(twice)
    fired = {s.rule_id: s.firings for s in summary}
    assert sum(fired.values()) == once.num_rows
    for external_from, at_once in ((0, 1 << 26), (1 << 20, 1 << 26), (1 << 20, 0)):
        # every rule merged externally / in memory, the files read whole / rule by rule
        monkeypatch.setattr(merge, "EXTERNAL_FROM_ROWS", external_from)
        monkeypatch.setattr(merge, "READ_AT_ONCE_UP_TO_BYTES", at_once)
        spill = tmp_path / f"spill-{external_from}-{at_once}"
        spill.mkdir()
        spilled = MergedViolations(plan, [spill_result(spill, r) for r in results + results[:2]])
        assert concat_and_sort(list(spilled.parts())).equals(once)
        assert spilled.summary() == summary


def test_external_merge_falls_back_when_two_jobs_fire_one_key(
        ningxia: Rulebook, tmp_path: Path, monkeypatch: Any) -> None:
    """Never with a sound partitioning; but if two jobs fired one key, the merge keeps one
    firing as the in-memory merge does."""
    plan, run, results = _mixed_job_results(ningxia)
    once, _ = run.merge(results)
    copy = attrs.evolve(results[0], job=attrs.evolve(results[0].job, bucket=99))
    assert results[0].table.num_rows
    monkeypatch.setattr(merge, "EXTERNAL_FROM_ROWS", 0)
    spilled = MergedViolations(plan, [spill_result(tmp_path, r) for r in [*results, copy]])
    assert concat_and_sort(list(spilled.parts())).equals(once)


def test_dataset_manifest_counts_rows(tmp_path: Path) -> None:
    claims, _ = generate(persons=30, seed=7)
    folder = write_folder(tmp_path / "claims", claims)
    write_dataset(folder, tmp_path / "ds", ("person", "doctor"), 4, chunk_rows=500)
    ds = Dataset(tmp_path / "ds")
    assert ds.schemes == ("person", "doctor")
    whole = ds.whole(["visit"])["visit"]
    assert whole.num_rows == claims["visit"].num_rows
    assert sum(ds.rows("person", k, ["visit"]) for k in range(4)) == whole.num_rows
    assert not (tmp_path / "ds" / "by=doctor" / "diagnosis").exists()


# --------------------------------------------------------------------- CLI --
def _cli_run_twice(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """Write a demo batch, run ``MIXED`` rules with one worker and with two
    (``one.parquet``, ``two.parquet``); the claims and KB folders and the run arguments."""
    claims, kb = generate(persons=10, seed=8)
    folder = write_folder(tmp_path / "claims", claims)
    kb_dir = write_folder(tmp_path / "kb", kb)
    base = ["-q", "run", str(NINGXIA), "--claims", str(folder), "--kb", str(kb_dir),
            "--rules", *MIXED]
    assert main([*base, "-o", str(tmp_path / "one.parquet")]) == 0
    assert main([*base, "--workers", "2", "-o", str(tmp_path / "two.parquet")]) == 0
    return folder, kb_dir, base


def test_cli_workers_partition_and_dataset_give_identical_files(tmp_path: Path,
                                                                capsys: Any) -> None:
    folder, kb_dir, base = _cli_run_twice(tmp_path)
    assert main(["-q", "partition", "--claims", str(folder), "--out", str(tmp_path / "ds"),
                 "--by", "auto", "--rulebook", str(NINGXIA), "--buckets", "3"]) == 0
    assert main(["-q", "run", str(NINGXIA), "--claims", str(tmp_path / "ds"), "--kb",
                 str(kb_dir), "--rules", *MIXED, "--workers", "2", "--max-memory", "64G",
                 "-o", str(tmp_path / "ds.parquet")]) == 0
    one = (tmp_path / "one.parquet").read_bytes()
    assert (tmp_path / "two.parquet").read_bytes() == one
    assert (tmp_path / "ds.parquet").read_bytes() == one
    assert pq.read_table(tmp_path / "one.parquet").num_rows > 0
    for fmt in ("csv", "jsonl"):  # the spilled, rule-by-rule writer gives the same text
        assert main([*base, "--format", fmt, "-o", str(tmp_path / f"one.{fmt}")]) == 0
        assert main([*base, "--workers", "2", "--format", fmt,
                     "-o", str(tmp_path / f"two.{fmt}")]) == 0
        assert (tmp_path / f"one.{fmt}").read_bytes() == (tmp_path / f"two.{fmt}").read_bytes()
    assert not list(tmp_path.glob(".ruledsl-spill-*")), "the spill folder is removed"
    assert sorted(Dataset(tmp_path / "ds").schemes) == ["doctor", "institution", "person"]
    assert main(["--lang", "en", "partition", "--rulebook", str(NINGXIA), "--explain"]) == 0
    assert "partition keys: person 41, institution 4, doctor 1" in capsys.readouterr().out


@pytest.mark.parametrize("workers", ["1", "2"])
def test_run_parameters_reach_every_job(tmp_path: Path, workers: str) -> None:
    """``--param`` holds in the jobs of a scaled run too, also for GL-10's second pass over
    batch-wide values (which once reset every parameter to its default)."""
    from ruledsl.demo import embedded_demo_path

    demo = embedded_demo_path()
    base = ["-q", "run", str(NINGXIA), "--claims", str(demo / "claims"), "--kb",
            str(demo / "kb"), "--rules", "GL-10", "GL-02", "--workers", workers]
    assert main([*base, "-o", str(tmp_path / "default.parquet")]) == 0
    assert main([*base, "--param", "GL-10.min_increase=1e9", "--param", "GL-02.max_visits=1",
                 "-o", str(tmp_path / "changed.parquet")]) == 0
    default = pq.read_table(tmp_path / "default.parquet").column("rule_id").to_pylist()
    changed = pq.read_table(tmp_path / "changed.parquet").column("rule_id").to_pylist()
    assert default.count("GL-10") > 0 and changed.count("GL-10") == 0
    assert changed.count("GL-02") > default.count("GL-02")


def test_a_runs_parameters_apply_over_the_plans_own() -> None:
    from ruledsl.demo import embedded_demo_path

    claims, kb = embedded_demo_path() / "claims", embedded_demo_path() / "kb"
    book = load_rulebook(NINGXIA)
    plan = book.compile(rules=["GL-02"], params={"GL-02.max_visits": 1})
    fewer = book.compile(rules=["GL-02"]).run(claims, kb)
    more = plan.run(claims, kb)
    assert more.num_rows > fewer.num_rows
    assert plan.run(claims, kb, params={"GL-02.window_days": 30}).equals(more)


def test_cli_runs_big_claims_on_every_cpu_unless_told(tmp_path: Path, capsys: Any,
                                                      monkeypatch: Any) -> None:
    import os

    import ruledsl.cli as cli

    folder, kb_dir, base = _cli_run_twice(tmp_path)
    unquiet = base[1:]  # (base starts with -q)
    capsys.readouterr()
    assert main([*unquiet, "-o", str(tmp_path / "small.parquet")]) == 0
    assert "worker threads" not in capsys.readouterr().err  # small claims: one batch
    monkeypatch.setattr(cli, "AUTO_WORKERS_FROM_BYTES", 0)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert main([*unquiet, "-o", str(tmp_path / "auto.parquet")]) == 0
    assert "3 worker threads" in capsys.readouterr().err
    assert (tmp_path / "auto.parquet").read_bytes() == (tmp_path / "one.parquet").read_bytes()
    assert main([*unquiet, "--workers", "1", "-o", str(tmp_path / "told.parquet")]) == 0
    assert main([*unquiet, "--buckets", "2", "-o", str(tmp_path / "k.parquet")]) == 0
    err = capsys.readouterr().err
    assert "worker threads" not in err and "one worker thread" not in err
    # one CPU: big claims run bucket by bucket on one thread (less memory than one batch)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert main([*unquiet, "-o", str(tmp_path / "one-cpu.parquet")]) == 0
    assert f"one worker thread over {cli.ONE_WORKER_BUCKETS} buckets" in capsys.readouterr().err
    assert (tmp_path / "one-cpu.parquet").read_bytes() == (tmp_path / "one.parquet").read_bytes()


def test_cli_reports_the_steps_before_the_jobs(tmp_path: Path, capsys: Any,
                                              monkeypatch: Any) -> None:
    import ruledsl.scale.threads as threads_module

    monkeypatch.setattr(threads_module, "PHASE_NOTE_FROM_S", 0.0)  # (real runs: >= 1 s)
    folder, kb_dir, base = _cli_run_twice(tmp_path)
    capsys.readouterr()
    assert main([*base[1:], "--workers", "2", "-o", str(tmp_path / "p.parquet")]) == 0
    err = capsys.readouterr().err
    assert "claims read" in err and "encoded and split into 4 buckets per partitioning" in err
    assert main([*base, "--workers", "2", "-o", str(tmp_path / "q.parquet")]) == 0
    assert "claims read" not in capsys.readouterr().err  # -q: quiet
    # a big batch gets 3 buckets per worker by default, the same output
    monkeypatch.setattr(threads_module, "BIG_BATCH_ROWS", 1)
    assert main([*base[1:], "--workers", "2", "-o", str(tmp_path / "big.parquet")]) == 0
    assert "encoded and split into 6 buckets per partitioning" in capsys.readouterr().err
    assert (tmp_path / "big.parquet").read_bytes() == (tmp_path / "p.parquet").read_bytes()


def test_default_buckets_grow_with_the_batch() -> None:
    from ruledsl.scale.threads import BIG_BATCH_ROWS, default_buckets

    assert default_buckets(2, BIG_BATCH_ROWS - 1) == 4
    assert default_buckets(2, BIG_BATCH_ROWS) == 6
    assert default_buckets(1, 0) == 2 and default_buckets(0, 0) == 1


def test_big_rules_are_written_in_row_groups_alike(tmp_path: Path, monkeypatch: Any) -> None:
    """A rule's firings cut into row groups give the same file from one run and from
    spilled buckets (read back and written a row group at a time)."""
    from ruledsl.execute import output

    monkeypatch.setattr(output, "ROW_GROUP_ROWS", 2)
    monkeypatch.setattr(output, "ROW_GROUP_BYTES", 600)  # firings with long lines: smaller
    monkeypatch.setattr(merge, "EXTERNAL_FROM_ROWS", 5)  # big rules merged externally
    monkeypatch.setattr(merge, "EXTERNAL_FROM_BYTES", 3000)
    _cli_run_twice(tmp_path)
    one = pq.ParquetFile(tmp_path / "one.parquet")
    assert one.metadata.num_row_groups > len(set(one.read().column("rule_id").to_pylist()))
    assert (tmp_path / "two.parquet").read_bytes() == (tmp_path / "one.parquet").read_bytes()


def test_cli_max_memory_advice_and_usage_errors(tmp_path: Path, capsys: Any) -> None:
    claims, kb = generate(persons=10, seed=9)
    folder = write_folder(tmp_path / "claims", claims)
    kb_dir = write_folder(tmp_path / "kb", kb)
    base = ["-q", "run", str(NINGXIA), "--claims", str(folder), "--kb", str(kb_dir),
            "--rules", "GL-02", "GL-09"]
    assert main([*base, "--workers", "2", "--max-memory", "1M"]) == 0
    assert "--max-memory" in capsys.readouterr().err
    assert main([*base, "--workers", "0"]) == 2
    assert main([*base, "--scheduler", "tcp://x:1"]) == 2
    assert main([*base, "--max-memory", "lots"]) == 2
    assert main(["partition", "--claims", str(folder), "--out", str(tmp_path / "d"),
                 "--by", "county"]) == 2


def test_progress_lines_in_a_log(capsys: Any, monkeypatch: Any) -> None:
    """Not on a terminal (a batch job's log), progress is a line every few seconds."""
    from ruledsl import cli

    clock = iter([100.0, 101.0, 103.0, 104.0, 114.0, 115.0])
    monkeypatch.setattr(cli.time, "perf_counter", lambda: next(clock))
    progress = cli.Progress(True)  # start at 100 s
    for done, rule in enumerate(["ZL-01", "ZL-02", "ZL-03", "ZL-04", "ZL-05"], 1):
        progress(rule, done, 5)
    lines = capsys.readouterr().err.splitlines()
    # 101 s: too early; 103 s: first line; 104 s: within 10 s of it; 114 s; 115 s: the last
    assert lines == ["ruledsl: 2/5 ZL-02 3.0s", "ruledsl: 4/5 ZL-04 14.0s",
                     "ruledsl: 5/5 ZL-05 15.0s"]


@given(st.lists(st.text(min_size=0, max_size=6), max_size=20), st.booleans())
def test_key_hashes_are_fnv1a_of_the_utf8_bytes(words: list[str], one_length: bool) -> None:
    """The hashes that choose buckets (so a person's bucket never depends on the batch) are
    FNV-1a of each string's bytes, whether the strings share one length (hashed as a byte
    matrix) or not."""
    from ruledsl.scale.buckets import _fnv_array, _fnv_bytes

    if one_length:
        words = [w.encode()[:3].ljust(3, b"-").decode("utf-8", "replace")[:3] for w in words]
        words = [w if len(w.encode()) == 3 else "abc" for w in words]
    array = pa.array(words, pa.string())
    for offset in (0, 1):  # also a slice of a longer array
        part = array.slice(offset)
        assert _fnv_array(part, 7).tolist() == [_fnv_bytes(w.encode(), 7) for w in words[offset:]]


def test_claims_read_while_the_rulebook_loads_are_the_claims_read_after(
        ningxia: Rulebook, tmp_path: Path, capsys: Any) -> None:
    """``ruledsl run`` on threads reads a claims folder while it loads the rulebook: the
    same tables as reading it after; a table the rules need missing or unreadable, the
    folder is read again, whose message names the rules."""
    from ruledsl.execute.compiled import read_tables
    from ruledsl.scale.threads import ClaimsPrefetch

    claims, kb = generate(persons=10, seed=3)
    folder = write_folder(tmp_path / "claims", claims)
    kb_dir = write_folder(tmp_path / "kb", kb)
    plan = ningxia.compile(rules=["GL-02", "YP-06"])
    early = ClaimsPrefetch(folder).tables(plan.rules)
    late = read_tables(folder, "claims", plan.rules, strings_as_dictionary=True)
    assert early is not None and early.keys() == late.keys()
    assert all(early[t].equals(late[t]) for t in late)
    (folder / "fee.parquet").rename(tmp_path / "fee.parquet")
    assert ClaimsPrefetch(folder).tables(plan.rules) is None
    base = ["run", str(NINGXIA), "--claims", str(folder), "--kb", str(kb_dir),
            "--rules", "GL-02", "YP-06", "--workers", "2"]
    assert main(base) != 0
    err = capsys.readouterr().err
    assert "D0001" in err and "fee" in err and "YP-06" in err  # (the rule that needs it)
    (tmp_path / "fee.parquet").rename(folder / "fee.parquet")
    (folder / "operation.parquet").write_bytes(b"not parquet")  # (not read by these rules)
    assert ClaimsPrefetch(folder).tables(plan.rules) is None
    assert main([*base, "-q", "-o", str(tmp_path / "out.parquet")]) == 0


def test_a_phase_two_job_starts_once_the_partials_are_in_beside_the_rest_of_phase_one(
        monkeypatch: Any) -> None:
    """On threads, a job of phase 2 waits only for the phase-1 jobs that compute batch-wide
    partials, with the values combined from them; here it must start while a phase-1 job
    without partials is still running (which waits for it), on the other thread."""
    import threading
    from types import SimpleNamespace

    from ruledsl.execute.output import empty_violations
    from ruledsl.scale import threads

    person = threads.Job(1, "person", 0, ("R-1",), ("fee",), (("n", None),))  # type: ignore[arg-type]
    doctor = threads.Job(1, "doctor", 0, ("R-2",), ("fee",))
    later = threads.Job(2, "institution", 0, ("R-3",), ("fee",))
    started, given = threading.Event(), {}  # (given: the values each job was run with)

    def fake(source: Any, plan: Any, kb: Any, job: Any, values: Any, params: Any) -> Any:
        given[job] = dict(values)
        if job is later:
            started.set()
        if job is doctor:
            assert started.wait(10), "the phase-2 job waited for the whole of phase 1"
        return threads.JobResult(job, empty_violations(), (), {"n": 3} if job is person else {},
                                 0.0)

    monkeypatch.setattr(threads, "_load_and_run", fake)
    sizes = {person: 3, doctor: 2, later: 1}
    run = SimpleNamespace(
        biggest_first=lambda jobs: sorted(((j, sizes[j]) for j in jobs), key=lambda p: -p[1]),
        combine=lambda parts: {"n": sum(p["n"] for p in parts)}, partials=[("n", "count", None)],
        plans={j.key: None for j in sizes}, params={})
    executor = threads.ThreadExecutor(None, {}, workers=2)  # type: ignore[arg-type]
    try:
        done = [r.job for r in executor.map_phases(run, [person, doctor], [later])]  # type: ignore[arg-type]
    finally:
        executor.close()
    assert sorted(done, key=sizes.get) == [later, doctor, person]
    assert given == {person: {}, doctor: {}, later: {"n": 3}}


def test_the_first_jobs_started_are_of_different_partitionings() -> None:
    """With 2 threads, the biggest job and the biggest of another partitioning start first
    (two person buckets started together peak in memory together); the rest keep their
    biggest-first order; one partitioning alone keeps its order."""
    from ruledsl.scale.threads import _apart_first

    jobs = [Job(1, s, b, (), ()) for s, b in
            [("institution", 4), ("institution", 5), ("person", 4), ("person", 3), ("doctor", 2)]]
    got = [(j.scheme, j.bucket) for j in _apart_first(jobs, 2)]
    assert got == [("institution", 4), ("person", 4), ("institution", 5), ("person", 3),
                   ("doctor", 2)]
    assert _apart_first(jobs, 3)[:3] == [jobs[0], jobs[2], jobs[4]]
    persons = [j for j in jobs if j.scheme == "person"]
    assert _apart_first(persons, 2) == persons
