"""Running a rulebook with the vectorised engine: the public ``compile().run()`` API.

Example:
    >>> from ruledsl.rulebook import load_text
    >>> book = load_text('''
    ... 规则 R-1 "数量过大" {
    ...     类别 药品类  结果类型 可疑  环节 事后  层级 明细
    ...     对每条 明细 x
    ...     当 x.数量 > 5
    ...     违规金额 x.金额
    ... }''')
    >>> from ruledsl.data.build import make_table
    >>> fee = make_table("fee", {"feedetl_sn": ["F1", "F2"], "cnt": [6.0, 1.0],
    ...                          "det_item_fee_sumamt": [60.0, 1.0]})
    >>> out = book.compile().run({"fee": fee}, {})
    >>> out.column("feedetl_sn").to_pylist(), out.column("vola_amt").to_pylist()
    (['F1'], [60.0])
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa

from .. import ir
from ..check.model import CheckedRule
from ..data.load import load_tables, missing_tables, normalize_table
from ..diagnostics.model import Diagnostic
from ..errors import DataError
from ..schema import SCHEMA
from ..syntax.vocab import stage_name
from ..types import DATE, RowType
from .batch import (
    Batch,
    KnowledgeBase,
    columns_to_load,
    encode_string_columns,
    merge_columns,
    narrow_columns,
)
from .frames import Frame, GroupContext
from .reduce import collect_distinct_strings
from .shared import IdentityMemo, SharedStore, plan_lifetimes
from .vec import ListVec, Vec, group_codes
from .vector import Evaluator, conjuncts, round_half_away

Tables = Mapping[str, pa.Table] | str | Path


@attrs.frozen
class RuleSummary:
    """What one rule did in a run."""

    rule_id: str
    firings: int
    amount: float
    evaluable: bool
    reason: str | None
    seconds: float


def read_tables(source: Tables, kind: str, rules: Sequence[CheckedRule] = (),
                strings_as_dictionary: bool = False, threads: int = 1) -> dict[str, pa.Table]:
    """Claims or knowledge-base tables from a folder or from in-memory Arrow tables.

    From a folder, only the tables ``rules`` read are loaded (all when no rules
    are given); a required one that is missing is an error naming the rules
    that need it. ``strings_as_dictionary``, ``threads``: see
    :func:`~ruledsl.data.load.load_tables`.
    """
    if not isinstance(source, str | Path):
        return _validated(source, threads)
    folder = Path(source)
    if not rules:
        return load_tables(folder, kind, strings_as_dictionary=strings_as_dictionary,
                           threads=threads)
    needers = tables_needed(rules, kind)
    missing = [t for t in missing_tables(folder, kind)
               if t in needers and not SCHEMA.tables[t].optional]
    if missing:
        raise DataError([Diagnostic.error(
            "D0001", None,
            zh=f"{folder} 中缺少数据表 {t}（{t}.parquet 或 {t}.csv），规则 {', '.join(needers[t])} 需要它",
            en=f"{folder} has no table {t} ({t}.parquet or {t}.csv), needed by rules "
               f"{', '.join(needers[t])}") for t in missing])
    return load_tables(folder, kind, only=set(needers), strings_as_dictionary=strings_as_dictionary,
                       threads=threads)


VALIDATE_APART_FROM_ROWS = 1_000_000
"""In-memory claims of at least this many rows (all tables) are validated a table per
thread, the biggest first (10M fee lines: 0.26 s on one thread, of which fee 0.16 s)."""


def _validated(tables: Mapping[str, Any], threads: int) -> dict[str, pa.Table]:
    """:func:`~ruledsl.data.load.normalize_table` of each in-memory table, on ``threads``
    threads for a big batch; the first table (in the given order) that fails raises."""
    if threads < 2 or sum(t.num_rows for t in tables.values()) < VALIDATE_APART_FROM_ROWS:
        return {name: normalize_table(name, table) for name, table in tables.items()}
    with ThreadPoolExecutor(threads, thread_name_prefix="ruledsl-validate") as pool:
        futures = {name: pool.submit(normalize_table, name, tables[name])
                   for name in sorted(tables, key=lambda n: -tables[n].num_rows)}
        return {name: futures[name].result() for name in tables}


def tables_needed(rules: Sequence[CheckedRule], kind: str) -> dict[str, list[str]]:
    """The tables of ``kind`` that ``rules`` read (with settlement wherever fee lines are
    read: hygiene drops the lines of cancelled settlements), each with the rules reading it."""
    needers: dict[str, list[str]] = {}
    for rule in rules:
        for table in rule.tables() | ({"settlement"} if "fee" in rule.tables() else set()):
            if SCHEMA.tables[table].kind == kind:
                needers.setdefault(table, []).append(rule.id)
    return needers


FREE_SHARED_FROM_ROWS = 100_000
"""Batches of at least this many rows (all tables) free shared results early."""
ENCODE_FIRST_FROM_ROWS = 100_000
"""Claims of at least this many rows have their strings encoded before hygiene (a small
batch encodes each column when a rule first reads it, and reuses the knowledge base's own
encodings)."""
SPLIT_FROM_ROWS = 8_000_000
"""In-memory claims of at least this many rows (all tables) run as buckets of about
:data:`SPLIT_BUCKET_ROWS` rows, one after another on the calling thread
(:func:`~ruledsl.scale.threads.run_scaled`, engine ``local``): a bucket's columns and
indexes stay closer to the CPU caches than a whole batch's. One thread, 46 rules,
10M fee lines (17.2M claim rows): 4 buckets 37.1-38.0 s and 5.5 GiB peak against
43.9-46.1 s and 8.1-8.2 GiB as one batch; 3M fee lines (5.2M rows): 10.6 s in 3 buckets
against 10.0-11.8 s, so smaller batches stay whole."""
SPLIT_BUCKET_ROWS = 4_500_000
"""About how many claim rows each bucket of a split run holds (see :data:`SPLIT_FROM_ROWS`)."""


class CompiledRulebook:
    """The enabled rules of a rulebook, ready to run over claim batches.

    Args:
        rulebook: A loaded rulebook.
        rules: Only these rule ids (enabled or not); default: the enabled rules.
        params: Parameter values over the rulebook's defaults.
        stage: Only the rules whose ``环节`` lists this stage (``事前``/``pre``,
            ``事中``/``during``, ``事后``/``post``): what a service at that stage runs
            (a 事前 check at prescription runs the rules marked 事前).
    """

    def __init__(self, rulebook: Any, rules: list[str] | None = None,
                 params: Mapping[str, Any] | None = None, stage: str | None = None) -> None:
        self.rulebook = rulebook
        selected = rulebook.enabled_rules
        if rules:
            wanted = set(rules)
            unknown = wanted - {r.id for r in rulebook.rules}
            if unknown:
                raise KeyError(", ".join(sorted(unknown)))
            selected = tuple(r for r in rulebook.rules if r.id in wanted)
        self.stage = stage_name(stage) if stage is not None else None
        """The stage whose rules were kept (canonical name), or None for every stage."""
        if self.stage is not None:
            selected = tuple(r for r in selected if self.stage in r.stages)
        self.rules: tuple[CheckedRule, ...] = selected
        self.params = rulebook.param_values(params)
        self._lifetimes: dict[Any, int] | None = None
        self._kb: tuple[dict[str, pa.Table], KnowledgeBase] | None = None
        """The in-memory knowledge-base tables of the last run, and their prepared form."""
        self._planned = False
        self._columns_read: dict[str, tuple[str, ...]] | None = None

    def lifetimes(self) -> dict[Any, int] | None:
        """Each shared result's last user (index into :attr:`rules`), from a dry run of the
        rules over an empty batch (see :mod:`ruledsl.execute.shared`); computed once.
        ``None`` if the dry run fails: a run then keeps every shared result."""
        if not self._planned:
            self._planned = True
            empty = Evaluator(Batch({}, {}), dict(self.params))
            empty.prune = False

            def dry_run(i: int, store: SharedStore) -> None:
                empty.shared = store
                run_rule(empty, self.rules[i], whole=True)

            try:
                self._lifetimes = plan_lifetimes(len(self.rules), dry_run)
            except Exception:  # noqa: BLE001 - the real run reports a real error
                self._lifetimes = None
        return self._lifetimes

    def columns_read(self) -> dict[str, tuple[str, ...]]:
        """The claim and knowledge-base columns the rules read, as a run loads them
        (:func:`~ruledsl.execute.batch.columns_to_load`); worked out once."""
        if self._columns_read is None:
            self._columns_read = columns_to_load(merge_columns(r.columns() for r in self.rules))
        return self._columns_read

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (to a worker process) without the kept knowledge base."""
        return dict(self.__dict__, _kb=None)

    def _knowledge_base(self, kb: Tables, validated: bool = False) -> KnowledgeBase:
        """The knowledge base of a run: the one kept from the last run when ``kb`` holds
        the same in-memory tables (a folder is read again every run)."""
        kept = self._kb
        if isinstance(kb, str | Path):
            return KnowledgeBase(read_tables(kb, "kb", self.rules))
        if kept is not None and kept[0].keys() == kb.keys() and all(
                kb[name] is table for name, table in kept[0].items()):
            return kept[1]
        prepared = KnowledgeBase(dict(kb) if validated else read_tables(kb, "kb", self.rules))
        self._kb = (dict(kb), prepared)
        return prepared

    @staticmethod
    def splits(claims: Tables, params: Mapping[str, Any] | None = None,
               validated: bool = False) -> bool:
        """Whether :meth:`run_with_summary` runs ``claims`` bucket by bucket (its ``split``)."""
        return not validated and params is None and not isinstance(claims, str | Path) \
            and sum(t.num_rows for t in claims.values()) >= SPLIT_FROM_ROWS

    def run(self, claims: Tables, kb: Tables, params: Mapping[str, Any] | None = None,
            progress: Callable[[str, int, int], None] | None = None) -> pa.Table:
        """Run every rule; return the violations table (data contract §4), sorted."""
        table, _ = self.run_with_summary(claims, kb, params, progress)
        return table

    def run_with_summary(self, claims: Tables, kb: Tables,
                         params: Mapping[str, Any] | None = None,
                         progress: Callable[[str, int, int], None] | None = None,
                         validated: bool = False,
                         domains: Mapping[str, pa.Array] | None = None,
                         split: bool = True,
                         ) -> tuple[pa.Table, list[RuleSummary]]:
        """Run every rule; return the violations and a per-rule summary.

        ``validated``: ``claims`` and ``kb`` are in-memory tables validated already; the
        claims may hold only the columns the rules read (the buckets of :mod:`ruledsl.scale`),
        and their string columns may be dictionary columns over ``domains`` (column name →
        sorted dictionary of all the values of that name, claims and knowledge base; see
        :func:`~ruledsl.execute.vec.dictionary_columns`).

        ``split``: in-memory claims of at least :data:`SPLIT_FROM_ROWS` rows, run with the
        plan's own parameters (``params`` None), are run bucket by bucket on this thread;
        the result is the same, and ``progress`` is then called after each bucket with its
        label. ``split=False`` runs them as one batch.
        """
        from .output import concat_and_sort

        if split and self.splits(claims, params, validated):
            from ..scale.threads import run_scaled

            rows = sum(t.num_rows for t in claims.values())  # type: ignore[union-attr]
            return run_scaled(self, claims, kb, engine="local", workers=1,
                              buckets=-(-rows // SPLIT_BUCKET_ROWS), progress=progress)
        if validated and not isinstance(claims, str | Path) and not isinstance(kb, str | Path):
            batch = Batch(dict(claims), self._knowledge_base(kb, validated=True), domains)
        else:
            tables = narrow_columns(read_tables(claims, "claims", self.rules),
                                    self.columns_read())
            base = self._knowledge_base(kb)
            domains = None
            if sum(t.num_rows for t in tables.values()) >= ENCODE_FIRST_FROM_ROWS:
                # strings encoded before the cancelled rows are dropped: dropping them then
                # copies integers, not strings (10M lines: 5.6 s, mostly fresh pages)
                tables, domains = encode_string_columns(tables, base.tables)
            batch = Batch(tables, base, domains)
        # a run's parameters apply over the plan's own (compile-time) values, never reset them
        values = self.rulebook.param_values(params, base=self.params)
        # a big batch frees each shared result after its last rule; a small one keeps them
        lifetimes = self.lifetimes() if batch.rows_read >= FREE_SHARED_FROM_ROWS else None
        evaluator = Evaluator(batch, values, SharedStore(lifetimes))
        tables, summary = [], []
        for i, rule in enumerate(self.rules):
            if progress is not None:
                progress(rule.id, i, len(self.rules))
            start = time.perf_counter()
            missing = sorted(t for t in rule.tables() if t not in batch.present
                             and SCHEMA.tables[t].optional)
            if missing:
                evaluator.shared.end_rule()
                summary.append(RuleSummary(rule.id, 0, 0.0, False,
                                           f"missing optional table(s): {', '.join(missing)}",
                                           time.perf_counter() - start))
                continue
            result = run_rule(evaluator, rule)
            evaluator.shared.end_rule()
            tables.append(result)
            amount = float(np.nansum(result.column("vola_amt").to_numpy(zero_copy_only=False))) \
                if result.num_rows else 0.0
            summary.append(RuleSummary(rule.id, result.num_rows, round(amount, 2), True, None,
                                       time.perf_counter() - start))
        if progress is not None:
            progress("", len(self.rules), len(self.rules))
        return concat_and_sort(tables), summary


def scope_frame(ev: Evaluator, rule: CheckedRule, whole: bool = True) -> Frame:
    """The frame of a rule's candidate rows (for a group rule: its members).

    Unless ``whole``, stops binding variables as soon as no candidate is left."""
    from .join import analysed, expand_range, inner_index, match, pairs

    frame = Frame(1, {})
    steps, remaining = _binding_steps(rule)
    for var, source, usable in steps:
        if frame.n == 0 and not whole:
            return frame
        if isinstance(source, ir.RangeSource):
            fake = ir.Agg("collect", var, source, None, None, dtype=source.low.dtype)
            frame = expand_range(ev, fake, frame)
            frame = _filter(ev, frame, usable)
        else:
            plan = analysed(var, usable)
            if frame.n == 1 and not frame.bindings and not (
                    plan.keys or plan.outer or plan.residual or plan.range_expr is not None):
                # the first binding: its candidate rows in natural order, as one block
                rows = inner_index(ev, var, source.table, plan).rows
                frame = Frame(len(rows), {var: Vec(rows, None, RowType(source.table))}, frame,
                              np.zeros(len(rows), dtype=np.int64))
                continue
            frame = pairs(ev, frame, var, source.table, plan, match(ev, frame, var, source.table, plan))
    return _filter(ev, frame, remaining)


_STEPS = IdentityMemo()


def _binding_steps(rule: CheckedRule) -> tuple[list[tuple[str, Any, list[ir.Expr]]], list[ir.Expr]]:
    """Each binding of ``rule`` with the conditions usable once it is bound (those whose
    variables are all bound by then), and the conditions left for the end; once per rule
    (read them, never change them)."""
    return _STEPS.get(None, [rule], lambda: _work_out_steps(rule))


def _work_out_steps(rule: CheckedRule) -> tuple[list[tuple[str, Any, list[ir.Expr]]], list[ir.Expr]]:
    remaining = conjuncts(rule.where)
    bound: set[str] = set()
    steps = []
    for var, source in rule.bindings:
        bound.add(var)
        usable = [c for c in remaining if ir.free_vars(c) <= bound]
        remaining = [c for c in remaining if not any(c is u for u in usable)]
        steps.append((var, source, usable))
    return steps, remaining


def _filter(ev: Evaluator, frame: Frame, conds: list[ir.Expr]) -> Frame:
    if not conds:
        return frame
    keep = np.ones(frame.n, dtype=bool)
    for cond in conds:
        if ev.decided(keep):
            break
        keep &= ev.ev(cond, frame).true_mask()
    return frame.subset(np.flatnonzero(keep))


def group_frame(ev: Evaluator, members: Frame, rule: CheckedRule) -> Frame:
    """One row per group of ``members``; member variables bound to each group's first member."""
    assert rule.group_keys is not None
    keys = []
    for key in rule.group_keys:
        vec = ev.ev(key, members)
        keys.append((vec.values, vec.valid_mask() if vec.valid is not None else None))
    code = group_codes(keys, members.n)  # the groups numbered in key order
    n_groups = int(code.max()) + 1 if members.n else 0
    variables = tuple(var for var, _ in rule.bindings)
    representative = first_members(code, n_groups, ev.member_rank(members, variables))
    bindings = {var: members.lookup(var).take(representative) for var, _ in rule.bindings}
    frame = Frame(n_groups, bindings, None, None, GroupContext(members, code, n_groups, variables))
    members.member_of = (frame, code)
    return frame


def first_members(code: np.ndarray, n_groups: int, rank: np.ndarray) -> np.ndarray:
    """The member of each group (``code``, numbered ``0 … n_groups - 1``, each with a
    member) that comes first by ``rank`` (a permutation of the members' positions), groups
    in code order: the least rank of each group, read back to its member, with no sort
    (3M lines, the 46 rules' 14 group frames: a sort by group and rank took 0.23 s).

    Example:
        >>> first_members(np.array([1, 0, 1, 0]), 2, np.array([3, 2, 0, 1])).tolist()
        [3, 2]
    """
    least = np.full(n_groups, len(rank), dtype=np.int64)
    np.minimum.at(least, code, rank)
    member_at = np.empty(len(rank), dtype=np.int64)
    member_at[rank] = np.arange(len(rank))
    return member_at[least]


def run_rule(ev: Evaluator, rule: CheckedRule, whole: bool = False) -> pa.Table:
    """The firings of one rule, as a violations table (not yet sorted across rules).

    When nothing fires, the output expressions are not evaluated (most rules fire on few
    visits of a small batch), unless ``whole`` (the dry run that learns which shared
    results each rule uses).
    """
    from .output import build_violations, dedup_by_key, empty_violations

    frame = scope_frame(ev, rule, whole)
    if frame.n == 0 and not whole:
        return empty_violations()
    if rule.group_keys is not None:
        frame = group_frame(ev, frame, rule)
    fired = frame.select(np.flatnonzero(ev.ev(rule.when, frame).true_mask()))
    if fired.n == 0 and not whole:
        return empty_violations()
    columns: dict[str, Any] = {}
    for column, expr in rule.outputs:
        columns[column] = to_arrow(ev.ev(expr, fired))
    amount = ev.ev(rule.amount, fired)
    values = round_half_away(amount.values, 100)
    columns["vola_amt"] = pa.array(values, pa.float64(),
                                   mask=~amount.valid_mask() if amount.valid is not None else None)
    columns["message"] = ev.ev(rule.message, fired).strings().fill_null("")
    columns["lines"] = lines_array(ev.ev(rule.lines, fired))
    return dedup_by_key(build_violations(rule, columns))


def to_arrow(vec: Vec) -> pa.Array:
    """A key column as Arrow (strings, or dates for periods)."""
    mask = ~vec.valid_mask() if vec.valid is not None else None
    if vec.dictionary is not None:
        return vec.strings()
    if vec.dtype == DATE:
        return pa.array(vec.values.astype(np.int32), pa.int32(), mask=mask).cast(pa.date32())
    if isinstance(vec.dtype, RowType):  # pragma: no cover - the checker requires text or dates
        raise TypeError("a row is not an output value")
    return pa.array(vec.values, mask=mask).cast(pa.string())


def lines_array(lists: ListVec) -> pa.Array:
    """Distinct fee-line ids per firing, sorted by code point, as ``list<string>``."""
    offsets, items = collect_distinct_strings(lists)
    strings = items.strings() if items.dictionary is not None else pa.array([], pa.string())
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), strings)
