"""Both executions on small rules: regressions found by cross-checking, each kept as a test."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ruledsl.data.build import make_table
from ruledsl.execute import vec
from ruledsl.execute.batch import Batch
from ruledsl.execute.interpret import interpret
from ruledsl.rulebook import load_text

HEAD = '类别 药品类 结果类型 可疑 环节 事后 层级 明细'


def both(body: str, **tables: dict) -> list[dict]:
    """Run one rule on both engines; assert they agree; return the firings."""
    book = load_text(f'规则 R-1 "r" {{ {HEAD}\n{body}\n}}')
    claims = {name: make_table(name, cols) for name, cols in tables.items()}
    vector = book.compile().run(claims, {})
    reference = interpret(book, claims, {})
    assert vector.equals(reference), (vector.to_pylist(), reference.to_pylist())
    return vector.to_pylist()


T = [dt.datetime(2025, 1, 1, 9), dt.datetime(2025, 1, 2, 9), None]
FEE = {"feedetl_sn": ["F1", "F2", "F3"], "psn_no": ["P1", "P1", "P1"], "fee_ocur_time": T,
       "cnt": [1.0, 6.0, 1.0], "det_item_fee_sumamt": [1.5, 6.0, 1.0]}


def test_a_previous_row_that_does_not_exist_is_null() -> None:
    out = both("对每条 明细 L 令 P = 末条(明细 p 满足 p.人员编号 = L.人员编号 且 p 早于 L)\n当 P 为空",
               fee=FEE)
    assert [f["feedetl_sn"] for f in out] == ["F1"]


def test_a_null_time_sorts_last_in_the_natural_order() -> None:
    out = both("对每条 明细 L 当 计数(明细 p 满足 p.人员编号 = L.人员编号 且 p 早于 L) = 2", fee=FEE)
    assert [f["feedetl_sn"] for f in out] == ["F3"]


def test_a_definition_parameter_is_shadowed_by_an_inner_binding() -> None:
    body = ("定义 有大量(d) = 存在(明细 y 满足 y.费用日期 = d 且 y.数量 > 5)\n"
            "定义 无大量(y) = 非 有大量(y.费用日期)\n对每条 明细 L 当 无大量(L)")
    assert [f["feedetl_sn"] for f in both(body, fee=FEE)] == ["F1", "F3"]


@pytest.mark.parametrize("amount", ["若 L.数量 > 5 则 L.金额 否则 0", "情形 当 L.数量 > 5 则 L.金额 否则 空 结束"])
def test_case_keeps_money(amount: str) -> None:
    fee = {**FEE, "det_item_fee_sumamt": [1.5, 6.25, 1.0]}
    out = both(f"对每条 明细 L 当 L.数量 > 5 违规金额 {amount}", fee=fee)
    assert [f["vola_amt"] for f in out] == [6.25]


def test_text_case_with_null_else_compares() -> None:
    visit = {"mdtrt_id": ["V1", "V2"], "med_type": ["21", "99"]}
    book_body = '对每条 明细 L 当 L.就诊.就诊类型 = "inpatient"'
    fee = {"feedetl_sn": ["F1", "F2"], "mdtrt_id": ["V1", "V2"], "cnt": [1.0, 1.0]}
    assert [f["feedetl_sn"] for f in both(book_body, fee=fee, visit=visit)] == ["F1"]


def test_empty_lines_and_null_safe_equality() -> None:
    fee = {"feedetl_sn": ["F1", "F2", "F3"], "psn_no": [None, None, "P1"], "cnt": [1.0] * 3}
    out = both("对每条 明细 L 当 计数(明细 y 满足 y.人员编号 等同 L.人员编号) = 2 明细行 []", fee=fee)
    assert [(f["feedetl_sn"], f["lines"]) for f in out] == [("F1", []), ("F2", [])]


def test_list_placeholders_format_their_items() -> None:
    body = '对每条 明细 L 满足 L.明细流水号 = "F1"\n当 真 提示 "{收集(y.费用日期 对于 明细 y 满足 y.费用日期 不为空)}"'
    assert both(body, fee=FEE)[0]["message"] == "2025-01-01,2025-01-02"


def test_a_knowledge_base_is_kept_while_its_tables_are_the_same_objects() -> None:
    """The compiled rulebook keeps the prepared knowledge base between runs, and drops it as
    soon as other tables are passed: a changed catalogue changes the result."""
    book = load_text(f'规则 R-1 "r" {{ {HEAD}\n对每条 明细 L 当 L.药品.min_hosp_rank >= 2\n'
                     '提示 "{L.药品.drug_name}"\n}')
    plan = book.compile()
    claims = {"fee": make_table("fee", {"feedetl_sn": ["F1", "F2"], "med_list_codg": ["D1", "D2"],
                                        "list_type": ["101", "101"], "cnt": [1.0, 1.0]})}

    def drug(ranks: list[int], names: list[str]) -> dict:
        return {"drug": make_table("drug", {"med_list_codg": ["D1", "D2"], "drug_name": names,
                                            "min_hosp_rank": ranks})}

    first = drug([2, 1], ["甲", "乙"])
    fired = [(f["feedetl_sn"], f["message"]) for f in plan.run(claims, first).to_pylist()]
    assert fired == [("F1", "甲")]
    assert plan.run(claims, first).equals(plan.run(claims, dict(first)))
    assert plan._kb is not None and plan._kb[0]["drug"] is first["drug"]
    changed = drug([1, 3], ["甲", "丙"])
    fired = [(f["feedetl_sn"], f["message"]) for f in plan.run(claims, changed).to_pylist()]
    assert fired == [("F2", "丙")]
    assert plan.run(claims, changed).equals(interpret(book, claims, changed))


def test_a_kept_knowledge_base_gives_the_same_code_sets_and_names_call_after_call() -> None:
    """The code sets' bounds (grouped by set once) and the catalogue's string columns that no
    claim holds (encoded once) are reused between runs: each run still agrees with the
    interpreter, whatever codes the next claims bring."""
    book = load_text(f'规则 R-1 "r" {{ {HEAD}\n'
                     '对每条 明细 L 当 L.med_list_codg 在编码集 L.药品.drug_name\n'
                     '提示 "{L.药品.drug_name}"\n}')
    plan = book.compile()
    kb = {"drug": make_table("drug", {"med_list_codg": ["D1", "D2", "D3", "E5"],
                                      "drug_name": ["S1", "S2", None, "S1"]}),
          "code_set": make_table("code_set", {
              "set_id": ["S1", "S1", "S2", "S2", "S3"],
              "code_from": ["D0", "X", "d 2", "A", "A"],
              "code_to": ["D1", "Y", "D2", None, "Z"]})}

    def claims(codes: list[str]) -> dict:
        return {"fee": make_table("fee", {"feedetl_sn": [f"F{i}" for i in range(len(codes))],
                                          "med_list_codg": codes, "list_type": ["101"] * len(codes),
                                          "cnt": [1.0] * len(codes)})}

    runs = [["D1", "D2", "D3", "D9"], ["E5", "D2", "d1"], [], ["D1", "D2", "D3", "D9"]]
    fired = []
    for codes in runs:
        out = plan.run(claims(codes), kb)
        assert out.equals(interpret(book, claims(codes), kb)), codes
        fired.append([(f["feedetl_sn"], f["message"]) for f in out.to_pylist()])
    assert fired == [[("F0", "S1"), ("F1", "S2")], [("F1", "S2")], [], fired[0]]


@pytest.mark.parametrize("in_python_up_to", [0, 1 << 20])
def test_code_sets_checked_by_arrow_or_in_python_agree_with_the_interpreter(
        monkeypatch, in_python_up_to: int) -> None:
    """A code set is checked with Arrow calls per bound, or in Python code by code when its
    codes and bounds are few (a visit's): both as the interpreter, on lower case, spaces,
    prefixes, bounds of different lengths, non-ASCII codes and nulls."""
    from ruledsl.execute import vector

    monkeypatch.setattr(vector, "CODE_CHECKS_IN_PYTHON_UP_TO", in_python_up_to)
    book = load_text(f'规则 R-1 "r" {{ {HEAD}\n'
                     '对每条 明细 L 当 L.med_list_codg 在编码集 L.rxno\n}')
    kb = {"code_set": make_table("code_set", {
        "set_id": ["S1", "S1", "S2", "S2", "S3", "S3"],
        "code_from": ["o00", "Z33", "E11.2", "中", "A", None],
        "code_to": ["O9 A", "Z33", "E11.2", "中药Z", "B", "Z"]})}
    codes = ["O80.001", "o 9a.1", "O9B", "Z33.x00", "Z34", "E11.21", "E11", "中药一", "中",
             "丙", None, "a", "B9", "C"]
    sets = ["S1", "S2", "S3", None]
    n = len(codes) * len(sets)  # (every code beside every set)
    fee = make_table("fee", {
        "feedetl_sn": [f"F{i:03d}" for i in range(n)],
        "med_list_codg": [c for c in codes for _ in sets],
        "rxno": [s for _ in codes for s in sets],
        "list_type": ["101"] * n, "cnt": [1.0] * n})
    out = book.compile().run({"fee": fee}, kb)
    fired = [(codes[i // len(sets)], sets[i % len(sets)])
             for i in (int(sn[1:]) for sn in out.column("feedetl_sn").to_pylist())]
    assert fired == [("O80.001", "S1"), ("o 9a.1", "S1"), ("Z33.x00", "S1"), ("E11.21", "S2"),
                     ("中", "S2"), ("a", "S3"), ("B9", "S3")]  # (中药一 > 中药Z: 一 is after Z)
    assert out.equals(interpret(book, {"fee": fee}, kb))


def test_a_join_for_few_rows_on_integers_too_far_apart_for_a_bitmap(monkeypatch) -> None:
    """The semi-join for few rows (forced here: it starts at 16k rows) finds the rows keyed
    like the outer ones by search when the key's span is too wide for a bitmap."""
    from ruledsl.execute import join

    monkeypatch.setattr(join, "RESTRICT_FROM", 1)
    monkeypatch.setattr(join, "RESTRICT_ROWS", 0)
    visit = {"mdtrt_id": ["V1", "V22", "V333"], "psn_no": ["P1", "P1", "P1"]}
    diagnosis = {"mdtrt_id": ["V1", "V1", "V22", "V22", "V333"],  # more rows than visits
                 "diag_srt_no": [1_000_000_000, 1, 5, 1_500_000_000, 7],
                 "diag_code": ["A00", "B00", "C00", "D00", "E00"]}
    book = load_text('规则 R-1 "r" { 类别 临床诊断类 结果类型 可疑 环节 事后 层级 就诊\n'
                     '对每条 就诊 V 当 存在(诊断 d 满足 d.diag_srt_no = 长度(V.就诊ID) * 500000000)\n}')
    claims = {"visit": make_table("visit", visit), "diagnosis": make_table("diagnosis", diagnosis)}
    out = book.compile().run(claims, {})
    assert out.equals(interpret(book, claims, {}))
    assert [f["mdtrt_id"] for f in out.to_pylist()] == ["V1", "V22"]


@pytest.mark.parametrize("prune", [True, False])
def test_a_conjunction_decided_for_every_row_skips_the_rest(prune: bool) -> None:
    """``L.数量 > 100`` is false on every line: the count's join index is never built (the
    dry run that learns each shared result's users turns this off and builds it)."""
    from ruledsl.execute.compiled import run_rule
    from ruledsl.execute.vector import Evaluator

    body = "对每条 明细 L 当 L.数量 > 100 且 计数(明细 y 满足 y.人员编号 = L.人员编号) > 0"
    assert both(body, fee=FEE) == []
    book = load_text(f'规则 R-1 "r" {{ {HEAD}\n{body}\n}}')
    ev = Evaluator(Batch({"fee": make_table("fee", FEE)}, {}), dict(book.param_values()))
    ev.prune = prune
    assert run_rule(ev, book.rules[0]).num_rows == 0
    keyed_joins = [key for key in ev.shared if key[0] == "join" and key[1][2]]  # (by 人员编号)
    assert len(keyed_joins) == (0 if prune else 1)


def test_a_kept_knowledge_base_keeps_its_own_join_indexes_for_every_batch() -> None:
    """An index over the knowledge base alone (the catalogue keyed by code, with a condition
    on the catalogue) is kept for the next claims, also when they bring a code the catalogue
    lacks (the codes are then encoded otherwise, and looked up in it through the strings);
    a condition on a parameter is never kept. Every run agrees with the interpreter."""
    book = load_text(f'规则 R-1 "r" {{ {HEAD}\n参数 k: 整数 = 2 "rank"\n'
                     '对每条 明细 L 当 存在(药品 d 满足 d.med_list_codg = L.med_list_codg '
                     '且 d.min_hosp_rank >= 2) 且 存在(药品 e 满足 e.med_list_codg = '
                     'L.med_list_codg 且 e.min_hosp_rank >= 参数.k)\n}')
    plan = book.compile()
    kb = {"drug": make_table("drug", {"med_list_codg": ["D1", "D2", "D3"],
                                      "min_hosp_rank": [2, 3, 1]})}

    def claims(codes: list[str]) -> dict:
        return {"fee": make_table("fee", {"feedetl_sn": [f"F{i}" for i in range(len(codes))],
                                          "med_list_codg": codes, "list_type": ["101"] * len(codes),
                                          "cnt": [1.0] * len(codes)})}

    first = None
    runs = [(["D1", "D2"], 2), (["D1", "D2"], 3), (["D2", "D3"], 3), (["D0", "D2"], 3),
            (["D1", "D0", "D9"], 2), (["D1"], 2)]
    fired = []
    for codes, k in runs:  # (k = 3 after k = 2 on D1, rank 2: a kept 参数.k index would fire)
        out = plan.run(claims(codes), kb, params={"k": k})
        assert out.equals(interpret(book, claims(codes), kb, params={"k": k})), (codes, k)
        fired.append([f["feedetl_sn"] for f in out.to_pylist()])
        assert plan._kb is not None
        kept = list(plan._kb[1].indexes.values())
        assert len(kept) == 1  # the rank >= 2 index; never the one on 参数.k
        first = first or kept[0]
        assert kept[0] is first  # one index, whatever codes the claims bring
    assert fired == [["F0", "F1"], ["F1"], ["F0"], ["F1"], ["F0"], ["F0"]]


def test_a_rulebook_compiled_again_finds_its_expressions_without_comparing_trees(
        monkeypatch) -> None:
    """The engine's memos of expressions (free variables, canonical forms) find the nodes of
    a rulebook compiled again (a service reloading its rules) by identity: equal to the first
    compile's nodes, they are compared with them only when first seen (to share the first's
    canonical forms), never again call after call (one visit took 17% longer when they
    were). Both plans give the interpreter's result."""
    from ruledsl import ir

    text = (f'规则 R-1 "r" {{ {HEAD}\n对每条 明细 L 当 计数(明细 p 满足 p.人员编号 = L.人员编号 '
            '且 p 早于 L) >= 1 且 L.cnt * 2 > 3\n}')
    claims = {"fee": make_table("fee", FEE)}
    expected = interpret(load_text(text), claims, {})
    assert load_text(text).compile().run(claims, {}).equals(expected)
    compared = []
    for node_type in (ir.Col, ir.Call, ir.Agg, ir.Var):
        original = node_type.__eq__

        def counting(self, other, original=original):  # type: ignore[no-untyped-def]
            compared.append(type(self).__name__)
            return original(self, other)
        monkeypatch.setattr(node_type, "__eq__", counting)
    second = load_text(text).compile()
    assert second.run(claims, {}).equals(expected)  # (its first call)
    compared.clear()
    assert second.run(claims, {}).equals(expected)
    assert compared == []


@pytest.mark.parametrize("which", ["首条", "末条"])
@given(st.lists(st.tuples(st.sampled_from(["P1", "P2", None]), st.sampled_from(T)),
                min_size=1, max_size=8))
def test_the_first_or_last_row_of_a_key_is_read_off_its_block(
        which: str, lines: list[tuple[str | None, dt.datetime | None]]) -> None:
    """``首条``/``末条`` of a key's rows (several per key, none for a null key) is the row
    that begins or ends its block of the natural order, as the interpreter finds it."""
    fee = {"feedetl_sn": [f"F{i}" for i in range(len(lines))],
           "psn_no": [p for p, _ in lines], "fee_ocur_time": [t for _, t in lines]}
    out = both(f"对每条 明细 L 令 P = {which}(明细 p 满足 p.人员编号 = L.人员编号)\n"
               "当 P.明细流水号 = L.明细流水号", fee=fee)
    assert len(out) == len({p for p, _ in lines if p is not None})


@pytest.mark.parametrize("packed", [False, True])
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 3)),
                          st.one_of(st.none(), st.sampled_from(["F1", "F2", "F3"]))),
                max_size=30))
def test_a_tables_natural_order_puts_nulls_last_and_keeps_ties_in_row_order(
        packed: bool, lines: list[tuple[int | None, str | None]]) -> None:
    """Fee lines in natural order (time, then line id; a null after every value; ties in
    row order), whether a column has nulls (sorted by null flag and value) or none (by its
    values alone), by numpy's lexsort or by packed keys; the row indexes in that order are
    the inverse of the ranks."""
    start = dt.datetime(2024, 3, 1)
    fee = make_table("fee", {
        "fee_ocur_time": [None if h is None else start + dt.timedelta(hours=h) for h, _ in lines],
        "feedetl_sn": [sn for _, sn in lines]})
    kept = vec._PACK_FROM
    vec._PACK_FROM = 2 if packed else kept
    try:
        table = Batch({"fee": fee}, {}).table("fee")
        rank, complete = table.order()
        sorter = table.natural_sorter()
    finally:
        vec._PACK_FROM = kept
    want = sorted(range(len(lines)), key=lambda i: (
        lines[i][0] is None, lines[i][0] or 0, lines[i][1] is None, lines[i][1] or "", i))
    assert sorter.tolist() == want
    assert [int(r) for r in rank[want]] == list(range(len(lines)))
    assert complete.tolist() == [h is not None and sn is not None for h, sn in lines]
