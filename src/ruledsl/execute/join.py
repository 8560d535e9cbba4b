"""Decorrelating aggregates: joins on keys, sorted ranges, pairs, reductions.

An aggregate ``f(… 对于 T y 满足 C)`` evaluated for every row of a frame is a
join of the frame with ``T`` on ``C`` followed by a grouped reduction.  The
conjuncts of ``C`` are sorted into:

* **inner** conjuncts (about ``y`` only): a candidate filter, computed once per
  batch over the whole table and shared by every rule (or, for a few outer rows,
  only over the rows keyed like them: see :func:`inner_index`);
* **outer** conjuncts (not about ``y``): rows of the frame that can match at all;
* **keys** ``g(y) = h(outer)``: hash-join keys (factorised to integer codes);
* one **range** on an inner expression ``g(y) < h(outer)`` (several bounds on the
  same expression, including ``y 早于 L`` on the table's natural order): a
  ``searchsorted`` slice of the candidates sorted by (key, g);
* the **residual**: evaluated on the (outer, inner) pairs.

Fast paths need no pairs: ``count``/``exists``/``sum`` from the slices, and any
aggregate with keys only is reduced once per key and gathered.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from .. import ir
from ..errors import ExecutionError
from ..schema import SCHEMA
from ..types import BOOL, STR, RowType
from .frames import Frame
from .reduce import longest_runs, reduce
from .shared import IdentityMemo
from .vec import (
    ListVec,
    Vec,
    dictionary_map,
    distinct,
    expand_ranges,
    factorize,
    lexsort,
    search_sorted,
    sort_packed,
    unpack,
)
from .vector import MAX_PAIRS, Evaluator, canonical, conjuncts

RANK = "$rank"
"""Marker of a range on the natural order (from ``早于``/``晚于``)."""


@attrs.define
class Analysis:
    """How one aggregate's condition splits."""

    inner: list[ir.Expr]
    outer: list[ir.Expr]
    keys: list[tuple[ir.Expr, ir.Expr]]
    null_safe: list[bool]
    """Per key: whether null matches null (``等同``) rather than nothing (``=``)."""
    range_expr: ir.Expr | str | None
    bounds: list[tuple[str, ir.Expr]]
    """``(op, outer expr)`` meaning ``range_expr op outer``."""
    residual: list[ir.Expr]


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def analyse(var: str, conds: list[ir.Expr]) -> Analysis:
    """Split conjuncts into inner filters, outer filters, keys, one range, and a residual."""
    out = Analysis([], [], [], [], None, [], [])
    ranges: list[tuple[ir.Expr | str, str, ir.Expr, ir.Expr]] = []
    for cond in conds:
        free = ir.free_vars(cond)
        if free <= {var} and not ir.uses_group(cond):
            out.inner.append(cond)
            continue
        if var not in free:
            out.outer.append(cond)
            continue
        split = _sides(var, cond)
        if split is not None:
            inner, op, outer = split
            if op in ("=", "same"):
                out.keys.append((inner, outer))
                out.null_safe.append(op == "same")
                continue
            if op in _FLIP and (inner == RANK or _rangeable(inner)):
                ranges.append((inner, op, outer, cond))
                continue
        out.residual.append(cond)
    if ranges:
        chosen = ranges[0][0]
        for inner, op, outer, cond in ranges:
            if inner == chosen:
                out.bounds.append((op, outer))
            else:
                out.residual.append(cond)
        out.range_expr = chosen
    return out


_ANALYSED = IdentityMemo()


def analysed(var: str, conds: list[ir.Expr]) -> Analysis:
    """:func:`analyse`, once per list of condition nodes (read the result, never change
    it): a small batch runs every rule's joins again on every call, and their analysis
    does not depend on the data."""
    return _ANALYSED.get(var, conds, lambda: analyse(var, conds))


def _rangeable(expr: ir.Expr | str) -> bool:
    return isinstance(expr, ir.Expr) and (expr.dtype.is_numeric or expr.dtype.name in (
        "date", "ts", "month", "duration") if hasattr(expr.dtype, "name") else False)


def _sides(var: str, cond: ir.Expr) -> tuple[ir.Expr | str, str, ir.Expr] | None:
    """``(inner, op, outer)`` when ``cond`` compares an inner-only with an outer-only side."""
    if isinstance(cond, ir.Call) and cond.func == "not" and isinstance(cond.args[0], ir.Before):
        inner = _sides(var, cond.args[0])  # not (a before b): the range with the bound included
        if inner is None:
            return None
        return inner[0], {"<": ">=", ">": "<="}[inner[1]], inner[2]
    if isinstance(cond, ir.Before):
        left, right = cond.left, cond.right
        if left == ir.Var(var, dtype=left.dtype) and var not in ir.free_vars(right):
            return RANK, "<", right
        if right == ir.Var(var, dtype=right.dtype) and var not in ir.free_vars(left):
            return RANK, ">", left
        return None
    if not (isinstance(cond, ir.Call) and cond.func in ("=", "same", "<", "<=", ">", ">=")):
        return None
    a, b = cond.args
    fa, fb = ir.free_vars(a), ir.free_vars(b)
    if ir.uses_group(a) or ir.uses_group(b):
        if fa <= {var} and not ir.uses_group(a) and var not in fb:
            return a, cond.func, b
        if fb <= {var} and not ir.uses_group(b) and var not in fa:
            return b, _FLIP.get(cond.func, cond.func), a
        return None
    if fa <= {var} and var in fa and var not in fb:
        return a, cond.func, b
    if fb <= {var} and var in fb and var not in fa:
        return b, _FLIP.get(cond.func, cond.func), a
    return None


@attrs.define
class Match:
    """The candidates of one aggregate, sorted, and each outer row's slice of them."""

    rows: np.ndarray
    """Candidate inner rows in sorted order (by key, then range value, then natural order)."""
    codes: np.ndarray
    """Dense key code (0 … n_codes-1) of each sorted candidate."""
    outer_codes: np.ndarray
    """Dense key code of each outer row (-1: matches nothing)."""
    n_codes: int
    starts: np.ndarray
    """First sorted position of each dense code (and ``len(rows)`` at the end)."""
    bounds: tuple[np.ndarray, np.ndarray] | None = None
    """Each outer row's slice ``[lo, hi)`` of ``rows``: set when a range narrows the key
    blocks, else worked out from ``starts`` on first use (:meth:`slices`)."""

    def slices(self) -> tuple[np.ndarray, np.ndarray]:
        """``(lo, hi)``: each outer row's slice of ``rows`` (empty when it matches nothing)."""
        if self.bounds is None:
            # one more entry, read by the code -1 of an outer row that matches nothing
            lo = np.append(self.starts[:-1], 0)[self.outer_codes]
            hi = np.append(self.starts[1:], 0)[self.outer_codes]
            self.bounds = (lo, hi)
        return self.bounds


@attrs.define
class KeySpace:
    """How outer values of one key are mapped into the inner side's integer codes."""

    kind: str
    """``str`` (codes of ``dictionary``), ``int`` (``value - low``) or ``float`` (rank in ``values``)."""
    size: int
    low: int = 0
    dictionary: Any = None
    values: np.ndarray | None = None
    null_code: int | None = None
    """The code of null for a null-safe key (``等同``), else None (null matches nothing)."""


@attrs.define
class InnerIndex:
    """The inner side of a join, built once per batch and shared by every rule that needs it."""

    rows: np.ndarray
    codes: np.ndarray
    """Dense key code of each sorted candidate."""
    n_codes: int
    spaces: list[KeySpace]
    radix: list[tuple[int, np.ndarray | None]]
    """Per key, the size it multiplies by and, after compression, the sorted composite values."""
    uniq_codes_raw: np.ndarray
    """Sorted distinct raw composite codes (position = dense code)."""
    range_uniq: np.ndarray | None = None
    range_dense: bool = False
    """``range_uniq`` is every integer from its first to its last (positions by offset)."""
    range_composite: np.ndarray | None = None
    starts: np.ndarray | None = None
    """First sorted position of each dense code (and ``len(rows)`` at the end)."""
    direct: np.ndarray | None = None
    """raw composite → dense code (-1 when absent), when the raw space is small; built by
    :meth:`finish`, it ends with one more -1, read by every code past it."""
    sorted_position: np.ndarray | None = None
    """Table row → its position in ``rows`` (-1: not a candidate); built on first use."""

    def finish(self, first: np.ndarray) -> None:
        """Precompute O(1) look-ups: block starts (``first``: whether each sorted candidate
        begins its key's block), and a direct table for small key spaces."""
        self.starts = np.append(np.flatnonzero(first), len(self.codes)).astype(np.int64)
        raw = self.uniq_codes_raw
        # 4 entries a row, or up to 16 (at most 2M entries): a bucket's key codes are
        # spread over the whole batch's dictionary when its strings were encoded once for
        # the run; a tiny batch (one visit) never pays for a large table
        limit = max(4 * len(self.rows), 1 << 16, min(16 * len(self.rows), 1 << 21))
        if len(raw) and raw[-1] < limit:
            direct = np.full(int(raw[-1]) + 2, -1, dtype=np.int64)
            direct[raw] = np.arange(len(raw))
            self.direct = direct

    def positions(self, table_rows: int) -> np.ndarray:
        """Each table row's position among the sorted candidates (-1: not a candidate)."""
        if self.sorted_position is None:
            position = np.full(table_rows, -1, dtype=np.int64)
            position[self.rows] = np.arange(len(self.rows))
            self.sorted_position = position
        return self.sorted_position


def _inner_eval(ev: Evaluator, expr: ir.Expr, var: str, table: str) -> Any:
    """Evaluate an expression about one inner row over the whole table (cached)."""
    return ev.ev(canonical(expr, var), ev.table_frame(table, "$row"))


def _rows_of(vec: Vec, rows: np.ndarray) -> Vec:
    """``vec.take(rows)`` for distinct increasing ``rows``: ``vec`` itself when they are all
    of its rows (read it, never write it)."""
    return vec if len(rows) == len(vec) else vec.take(rows)


def _space(vec: Vec, null_safe: bool = False) -> tuple[KeySpace, np.ndarray, np.ndarray]:
    """A key space for inner values and their codes (-1 where null, or a code of its own
    after every value when ``null_safe``)."""
    space, codes, valid = _value_space(vec)
    if null_safe:
        space = attrs.evolve(space, size=space.size + 1, null_code=space.size)
        return space, np.where(valid, codes, space.size - 1), np.ones(len(vec), dtype=bool)
    return space, codes, valid


def _value_space(vec: Vec) -> tuple[KeySpace, np.ndarray, np.ndarray]:
    valid = vec.valid_mask()
    if isinstance(vec.dtype, RowType):
        valid = valid & (vec.values >= 0)
    if vec.dictionary is not None:
        return KeySpace("str", max(len(vec.dictionary), 1), dictionary=vec.dictionary), \
            np.where(valid, vec.values, -1), valid
    values = vec.values
    if values.dtype.kind in "iub":
        v = values.astype(np.int64, copy=False)
        present = v[valid]
        low = int(present.min()) if len(present) else 0
        high = int(present.max()) if len(present) else 0
        if high - low < 1 << 40:
            return KeySpace("int", high - low + 1, low=low), np.where(valid, v - low, -1), valid
    uniq = distinct(values[valid].astype(np.float64, copy=False))
    codes = search_sorted(uniq, values.astype(np.float64, copy=False))
    return KeySpace("float", max(len(uniq), 1), values=uniq), np.where(valid, codes, -1), valid


def _outer_codes(space: KeySpace, vec: Vec) -> np.ndarray:
    """Codes of outer values in an inner key space (-1: no inner row can match)."""
    codes = _outer_value_codes(space, vec)
    if space.null_code is not None:
        return np.where(vec.valid_mask(), codes, space.null_code)
    return codes


def _outer_value_codes(space: KeySpace, vec: Vec) -> np.ndarray:
    valid = vec.valid_mask()
    if isinstance(vec.dtype, RowType):
        valid = valid & (vec.values >= 0)
    if space.kind == "str":
        if vec.dictionary is None or len(vec.dictionary) == 0:
            return np.full(len(vec), -1, dtype=np.int64)
        if vec.dictionary is space.dictionary:  # encoded alike (one run's domain)
            return vec.values if vec.valid is None and not isinstance(vec.dtype, RowType) \
                else np.where(valid, vec.values, -1)
        mapping = dictionary_map(vec.dictionary, space.dictionary)
        codes = mapping[np.where(valid, vec.values, 0)]
        return np.where(valid, codes, -1)
    if space.kind == "int" and vec.values.dtype.kind in "iub":
        codes = vec.values.astype(np.int64, copy=False) - space.low
        return np.where(valid & (codes >= 0) & (codes < space.size), codes, -1)
    assert space.values is not None or space.kind == "int"
    values = vec.values.astype(np.float64, copy=False)
    if space.kind == "int":
        codes = np.round(values).astype(np.int64) - space.low
        ok = valid & (codes >= 0) & (codes < space.size) & (codes + space.low == values)
        return np.where(ok, codes, -1)
    pos = search_sorted(space.values, values)
    found = valid & (pos < len(space.values))
    found &= space.values[np.minimum(pos, len(space.values) - 1)] == values if len(space.values) else False
    return np.where(found, pos, -1)


_COMPRESS_AT = 1 << 40


RESTRICT_FROM = 8
RESTRICT_ROWS = 1 << 14
"""A join whose outer rows are fewer than ``1 / RESTRICT_FROM`` of its table's rows (of at
least ``RESTRICT_ROWS``: a small table's index is cheap, and shared by every rule), and
whose index over the whole table is not built yet, indexes only the rows keyed like them."""


def inner_index(ev: Evaluator, var: str, table: str, plan: Analysis,
                outer: tuple[Frame, np.ndarray] | None = None) -> InnerIndex:
    """Build (or fetch) the sorted inner side of a join.

    ``outer``: the frame and its rows that will look the index up. When they are few
    (:data:`RESTRICT_FROM`), the index holds only the table rows whose every key value
    one of them has, and the inner conditions are evaluated for those rows alone (a
    semi-join: a rule whose conditions leave a few rows of a big table does not pay
    for the whole table). Such an index serves only them and is not shared."""
    key = (table, tuple(canonical(c, var) for c in plan.inner),
           tuple(canonical(i, var) for i, _ in plan.keys), tuple(plan.null_safe),
           plan.range_expr if plan.range_expr in (None, RANK) else canonical(plan.range_expr, var))
    hit = ev.shared.get(("join", key))
    if hit is not None:
        return hit
    data = ev.batch.table(table)
    restricted = outer is not None and bool(plan.keys) and data.n >= RESTRICT_ROWS \
        and len(outer[1]) * RESTRICT_FROM < data.n
    kept = None if restricted else _kept_index(ev, key)
    if kept is not None:
        ev.shared.put(("join", key), kept)
        return kept
    if restricted:
        assert outer is not None
        cand = _rows_keyed_like(ev, var, table, plan, *outer)
        for cond in plan.inner:
            if ev.decided(cand):
                break
            cand = cand[_rows_eval(ev, cond, var, table, cand).true_mask()]
    elif plan.inner:
        mask = np.ones(data.n, dtype=bool)
        for cond in plan.inner:
            if ev.decided(mask):
                break
            mask &= _inner_eval(ev, cond, var, table).true_mask()
        cand = np.flatnonzero(mask)
    else:
        cand = np.arange(data.n)
    index = _build_index(ev, var, table, plan, cand)
    if not restricted:
        ev.shared.put(("join", key), index)
        if _knowledge_base_only(key) and table in ev.batch.kb.tables:
            ev.batch.kb.indexes[key] = index
    return index


def _kept_index(ev: Evaluator, key: tuple[Any, ...]) -> InnerIndex | None:
    """The index of a knowledge-base table kept from an earlier batch (a 事前 service's
    earlier call): kept only when its conditions and keys read the knowledge base alone and
    no parameter (:func:`_knowledge_base_only`), so that it holds the same rows and keys for
    every batch over the same tables. Its string keys stay coded in the dictionaries they
    had when it was built: a batch whose codes are encoded otherwise (a visit with codes the
    base lacks) is looked up through the strings (:func:`_outer_codes`), as any outer side
    encoded apart is."""
    return ev.batch.kb.indexes.get(key) if ev.prune else None


_KB_ONLY: dict[tuple[Any, ...], bool] = {}


def _knowledge_base_only(key: tuple[Any, ...]) -> bool:
    """Whether an index (by its key in the shared store) reads only knowledge-base tables
    and no parameter, so that it holds for every batch over the same knowledge base."""
    hit = _KB_ONLY.get(key)
    if hit is None:
        exprs = [*key[1], *key[2], *([key[4]] if isinstance(key[4], ir.Expr) else [])]
        hit = all(SCHEMA.tables[t].kind == "kb" for t in ir.columns_read(exprs)) and not any(
            isinstance(sub, ir.Param) for e in exprs for sub in ir.walk(e))
        if len(_KB_ONLY) >= 1 << 16:
            _KB_ONLY.clear()
        _KB_ONLY[key] = hit
    return hit


def _rows_keyed_like(ev: Evaluator, var: str, table: str, plan: Analysis, frame: Frame,
                     need: np.ndarray) -> np.ndarray:
    """The rows of ``table`` whose every key value one of the frame's rows ``need`` has:
    all the rows any of them can match, and a few more (each key is checked alone)."""
    keep: np.ndarray | None = None
    for (inner_expr, outer_expr), null_safe in zip(plan.keys, plan.null_safe, strict=True):
        space, codes, _ = _table_space(ev, inner_expr, var, table, null_safe)
        wanted = _outer_codes(space, _rows_of(ev.ev(outer_expr, frame), need))
        wanted = wanted[wanted >= 0]
        if space.size <= 4 * len(codes) + (1 << 16):
            # one more entry, False, read by the code -1 of a row with no key value
            present = np.zeros(space.size + 1, dtype=bool)
            present[wanted] = True
            hit = present[codes]
        else:
            hit = np.isin(codes, wanted)  # (-1 is never wanted)
        if keep is None:
            keep = hit
        else:
            keep &= hit
    return np.flatnonzero(keep) if keep is not None else np.arange(ev.batch.table(table).n)


def _table_space(ev: Evaluator, inner_expr: ir.Expr, var: str, table: str, null_safe: bool
                 ) -> tuple[KeySpace, np.ndarray, np.ndarray]:
    """:func:`_space` of a key over the whole table, kept in the shared store for the rest of
    the rule (GL-10 looks up each of six earlier months per institution: six joins restricted
    on the same keys worked it out six times); the dry run never restricts a join, so no
    later rule is planned to use it: a batch that frees shared results frees it with the
    rule, a smaller one (which keeps them all) keeps it for the run."""
    key = ("space", table, canonical(inner_expr, var), null_safe)
    hit = ev.shared.get(key)
    if hit is None:
        hit = _space(_inner_eval(ev, inner_expr, var, table), null_safe)
        ev.shared.put(key, hit)
    return hit


def _rows_eval(ev: Evaluator, expr: ir.Expr, var: str, table: str, rows: np.ndarray) -> Any:
    """An expression about one row ``var`` of ``table``, for its ``rows``: taken from the
    whole table's value when the table is small, that value is computed already or
    ``rows`` are many of its rows (:meth:`~ruledsl.execute.vector.Evaluator.lifted`), else
    evaluated for them alone."""
    if ev.batch.table(table).n < RESTRICT_ROWS:
        return _inner_eval(ev, expr, var, table).take(rows)
    frame = Frame(len(rows), {"$row": Vec(rows, None, RowType(table))})
    return ev.ev(canonical(expr, var), frame)


def _build_index(ev: Evaluator, var: str, table: str, plan: Analysis, cand: np.ndarray
                 ) -> InnerIndex:
    """The index of the candidate rows ``cand`` (increasing) of ``table``."""
    data = ev.batch.table(table)
    if not plan.keys and plan.range_expr is None:
        return _one_block_index(data, cand)
    ok = np.ones(len(cand), dtype=bool)
    composite: np.ndarray | None = None
    spaces: list[KeySpace] = []
    radix: list[tuple[int, np.ndarray | None]] = []
    size = 1
    for (inner_expr, _), null_safe in zip(plan.keys, plan.null_safe, strict=True):
        space, codes, valid = _space(_rows_of(_inner_eval(ev, inner_expr, var, table), cand),
                                     null_safe)
        ok &= valid
        spaces.append(space)
        composite = _with_key(composite, space.size, codes)
        size *= space.size
        compressed = None
        if size > _COMPRESS_AT:
            compressed = distinct(composite[ok])
            composite = search_sorted(compressed, composite)
            size = max(len(compressed), 1)
        radix.append((space.size, compressed))
    range_values = None
    if plan.range_expr == RANK:
        dense, _ = data.dense_order()
        range_values = dense[cand]
    elif plan.range_expr is not None:
        range_vec = _rows_of(_inner_eval(ev, plan.range_expr, var, table), cand)  # type: ignore[arg-type]
        ok &= range_vec.valid_mask()
        range_values = range_vec.values
    if composite is None:  # (a range alone)
        composite = np.zeros(len(cand), dtype=np.int64)
    keep = np.flatnonzero(ok)
    # (the natural order sorts a natural-order range too: dense ranks follow it)
    by_rank = range_values is None or plan.range_expr == RANK
    rows, raw, sorted_range = _sort_by_key_range_rank(
        data, cand[keep], composite[keep], None if by_rank else range_values[keep])
    boundary = np.ones(len(raw), dtype=bool)
    boundary[1:] = raw[1:] != raw[:-1]
    dense_codes = np.cumsum(boundary) - 1
    index = InnerIndex(rows, dense_codes.astype(np.int64), int(boundary.sum()), spaces, radix,
                       raw[boundary])
    if range_values is not None:
        values = data.dense_order()[0][rows] if sorted_range is None else sorted_range
        low = int(values.min()) if len(values) and values.dtype.kind in "iu" else 0
        span = int(values.max()) - low + 1 if len(values) and values.dtype.kind in "iu" else 0
        if values.dtype.kind in "iu" and span <= 4 * max(len(values), 1 << 16):
            # small integer span (dates, ranks): positions by offset, no sort needed
            uniq = np.arange(low, low + span, dtype=np.int64)
            positions = values.astype(np.int64) - low
            index.range_dense = True
        else:
            uniq, positions = factorize(values)
        index.range_uniq = uniq
        index.range_composite = dense_codes * (len(uniq) + 1) + positions
    index.finish(boundary)
    return index


def _with_key(composite: np.ndarray | None, size: int, codes: np.ndarray) -> np.ndarray:
    """``composite * size + codes`` (a null's code -1 counts as 0): the radix number of the
    keys so far and this one; the codes alone for the first key (``composite`` None)."""
    combined = np.maximum(codes, 0).astype(np.int64, copy=False)
    if composite is not None:
        combined += composite * size
    return combined


def _one_block_index(data: Any, cand: np.ndarray) -> InnerIndex:
    """The index of candidates with no key and no range (a rule's scope): one block, in
    natural order."""
    rows = _in_natural_order(data, cand)
    n_codes = int(len(rows) > 0)
    index = InnerIndex(rows, np.zeros(len(rows), dtype=np.int64), n_codes, [], [],
                       np.zeros(n_codes, dtype=np.int64))
    index.starts = np.array([0, len(rows)] if n_codes else [0], dtype=np.int64)
    index.direct = np.zeros(n_codes, dtype=np.int64) if n_codes else None
    return index


IN_ORDER_FROM = 8
"""An index whose candidates all share one key and that has no range is read off the
table's natural order when they are at least ``1 / IN_ORDER_FROM`` of its rows (fewer
are sorted)."""


def _sort_by_key_range_rank(data: Any, rows: np.ndarray, key: np.ndarray,
                            range_values: np.ndarray | None
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``rows`` (table rows), their ``key`` and ``range_values`` ordered by (key, range
    value, natural order). One sort of the three packed into one integer when they fit
    (the natural-order rank is distinct): the sorted rows are then read off the ranks
    and the keys off the packed values, with no gather by an order."""
    if range_values is None and len(rows) * IN_ORDER_FROM >= data.n and not key.any():
        return _in_natural_order(data, rows), key, None
    rank, _ = data.order()
    keys = [rank[rows], key] if range_values is None else [rank[rows], range_values, key]
    packed = sort_packed(keys) if len(rows) > 1 else None
    if packed is None:
        order = lexsort(keys, first_distinct=True)
        return rows[order], key[order], None if range_values is None else range_values[order]
    values, spans = packed
    sorted_rows = data.natural_sorter()[unpack(values, spans, 0)]
    sorted_range = None if range_values is None else unpack(values, spans, 1, range_values.dtype)
    return sorted_rows, unpack(values, spans, len(keys) - 1, key.dtype), sorted_range


def _in_natural_order(data: Any, rows: np.ndarray) -> np.ndarray:
    """``rows`` (distinct table rows) in the table's natural order. Many of them (a rule's
    scope): the natural order's rows that are among them, read off in one pass with no
    sort (3M lines: 32 scopes over fee took 1.16 s to sort); a few: their ranks sorted."""
    sorter = data.natural_sorter()
    if len(rows) * IN_ORDER_FROM >= data.n:
        if len(rows) == data.n:
            return sorter
        member = np.zeros(data.n, dtype=bool)
        member[rows] = True
        return sorter[member[sorter]]
    rank, _ = data.order()
    return sorter[np.sort(rank[rows])]


def match(ev: Evaluator, frame: Frame, var: str, table: str, plan: Analysis) -> Match:
    """Candidates and per-outer-row slices for ``plan``."""
    outer_ok = np.ones(frame.n, dtype=bool)
    for cond in plan.outer:
        outer_ok &= ev.ev(cond, frame).true_mask()
    need = np.flatnonzero(outer_ok)
    if ev.decided(need):  # no outer row can match: no index to build
        empty = np.zeros(0, dtype=np.int64)
        return Match(empty, empty, np.full(frame.n, -1, dtype=np.int64), 0, np.zeros(1, np.int64))
    index = inner_index(ev, var, table, plan, (frame, need))
    assert index.starts is not None
    own = _self_join_rows(frame, var, table, plan)
    if len(need) == frame.n and own is None:  # every row looked up: no scatter
        out_codes = _key_codes(ev, frame, plan, index, need)
    else:
        out_codes = np.full(frame.n, -1, dtype=np.int64)
        if own is not None and len(need):
            # the outer rows are rows of the inner table keyed alike: a candidate row's key
            # code is known from its sorted position; only the others are looked up
            at = index.positions(ev.batch.table(table).n)[own[need]]
            known = at >= 0
            out_codes[need[known]] = index.codes[at[known]]
            need = need[~known]
        if len(need):
            out_codes[need] = _key_codes(ev, frame, plan, index, need)
    m = Match(index.rows, index.codes, out_codes, index.n_codes, index.starts)
    if index.range_composite is not None:
        # only rows with a matching key are looked at (in a self-join over a whole table,
        # often a fraction of it)
        live = np.flatnonzero(out_codes >= 0)
        lo = np.zeros(frame.n, dtype=np.int64)
        hi = np.zeros(frame.n, dtype=np.int64)
        lo[live], hi[live] = _range_slices(ev, frame, plan, index, live, out_codes[live])
        m.bounds = (lo, hi)
    return m


def _self_join_rows(frame: Frame, var: str, table: str, plan: Analysis) -> np.ndarray | None:
    """The outer rows, when every key compares the same expression of an outer row of
    ``table`` with the inner one (``同序列(p, y)``); else None."""
    if not plan.keys:
        return None
    outer_var = None
    for inner_expr, outer_expr in plan.keys:
        free = ir.free_vars(outer_expr)
        if len(free) != 1 or (outer_var is not None and free != {outer_var}):
            return None
        (outer_var,) = free
        if canonical(outer_expr, outer_var) is not canonical(inner_expr, var):
            return None
    assert outer_var is not None
    try:
        rows = frame.lookup(outer_var)
    except KeyError:
        return None
    if not (isinstance(rows, Vec) and rows.dtype == RowType(table)) or rows.valid is not None:
        return None
    return rows.values


def _key_codes(ev: Evaluator, frame: Frame, plan: Analysis, index: InnerIndex,
               need: np.ndarray) -> np.ndarray:
    """Dense key codes of the frame's rows ``need`` (-1: no candidate has their key)."""
    if len(plan.keys) == 1 and index.direct is not None and index.radix[0][1] is None:
        # one key (a visit's id): its code read in the direct table, whose last entry -1 is
        # read by a code past the table or a null's -1
        codes = _outer_codes(index.spaces[0], _rows_of(ev.ev(plan.keys[0][1], frame), need))
        return index.direct[np.minimum(codes, len(index.direct) - 1)]
    ok = np.ones(len(need), dtype=bool)
    composite: np.ndarray | None = None
    for (_, outer_expr), space, (size, compressed) in zip(plan.keys, index.spaces, index.radix,
                                                          strict=True):
        codes = _outer_codes(space, _rows_of(ev.ev(outer_expr, frame), need))
        ok &= codes >= 0
        composite = _with_key(composite, size, codes)
        if compressed is not None:
            pos = search_sorted(compressed, composite)
            found = pos < len(compressed)
            found &= compressed[np.minimum(pos, max(len(compressed) - 1, 0))] == composite \
                if len(compressed) else False
            ok &= found
            composite = pos
    if composite is None:  # (no key: one block)
        composite = np.zeros(len(need), dtype=np.int64)
    if index.direct is not None:
        inside = ok & (composite < len(index.direct))
        dense = index.direct[np.where(inside, composite, 0)]
        return np.where(inside, dense, -1)
    uniq = index.uniq_codes_raw
    pos = search_sorted(uniq, composite)
    hit = ok & (pos < len(uniq))
    if len(uniq):
        hit &= uniq[np.minimum(pos, len(uniq) - 1)] == composite
    else:
        hit &= False
    return np.where(hit, pos, -1)


def _range_slices(ev: Evaluator, frame: Frame, plan: Analysis, index: InnerIndex,
                  live: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The slices of the sorted candidates for the frame's rows ``live`` (whose keys have
    the dense ``codes``): each key's block, narrowed by every bound of the range.

    A bound that is itself a candidate row of the same key (``p 早于 y`` with ``y`` a
    candidate: a self-join over a table's rows) is read off its sorted position; any
    other bound is searched for.
    """
    assert index.starts is not None
    lo = index.starts[codes]
    hi = index.starts[codes + 1]
    usable = np.ones(len(live), dtype=bool)
    for op, outer in plan.bounds:
        vec = ev.ev(outer, frame)
        values = vec.values[live]
        usable &= vec.valid_mask()[live]
        right = op in (">", "<=")  # the bound itself is inside a lower/outside an upper one
        position = np.zeros(len(live), dtype=np.int64)
        if plan.range_expr == RANK:
            usable &= values >= 0
            need = np.flatnonzero(usable)
            position[need] = _rank_bound_positions(ev, index, _row_table(outer), values[need],
                                                   codes[need], right)
        else:
            need = np.flatnonzero(usable)
            position[need] = _search_bound(index, codes[need], values[need], right)
        if op in (">", ">="):
            lo = np.maximum(lo, position)
        else:
            hi = np.minimum(hi, position)
    return lo, np.where(usable & (hi > lo), hi, lo)


def _rank_bound_positions(ev: Evaluator, index: InnerIndex, table: str, rows: np.ndarray,
                          codes: np.ndarray, right: bool) -> np.ndarray:
    """Sorted positions of natural-order bounds that are ``rows`` of ``table``, within the
    blocks of the dense key ``codes``."""
    data = ev.batch.table(table)
    at = index.positions(data.n)[rows]
    composite = index.range_composite
    assert composite is not None
    # a candidate of the same key with no tie in the natural order: its own position
    direct = at >= 0
    direct[direct] = index.codes[at[direct]] == codes[direct]
    if data.order_has_ties():
        neighbour = at + (1 if right else -1)
        inside = direct & (neighbour >= 0) & (neighbour < len(composite))
        direct[inside] = composite[neighbour[inside]] != composite[at[inside]]
    position = at + (1 if right else 0)
    rest = np.flatnonzero(~direct)
    if len(rest):
        dense, _ = data.dense_order()
        position[rest] = _search_bound(index, codes[rest], dense[rows[rest]], right)
    return position


def _search_bound(index: InnerIndex, codes: np.ndarray, bound: np.ndarray, right: bool
                  ) -> np.ndarray:
    """The first sorted position, within each key's block, whose range value is not below
    ``bound`` (not above it when ``right``): a search of the (key, value) composite."""
    uniq, composite = index.range_uniq, index.range_composite
    assert uniq is not None and composite is not None
    side = "right" if right else "left"
    if index.range_dense and bound.dtype.kind in "iu" and len(uniq):
        # uniq is low, low + 1, …: a value's position is its offset
        offset = bound.astype(np.int64) - int(uniq[0]) + (1 if right else 0)
        pos = np.clip(offset, 0, len(uniq))
    else:
        pos = search_sorted(uniq, bound, side)
    return search_sorted(composite, codes * (len(uniq) + 1) + pos, "left")


def _row_table(expr: ir.Expr) -> str:
    assert isinstance(expr.dtype, RowType)
    return expr.dtype.table


def pairs(ev: Evaluator, frame: Frame, var: str, table: str, plan: Analysis, m: Match) -> Frame:
    """The (outer, inner) pairs of a match, with the residual applied."""
    lo, hi = m.slices()
    lengths = hi - lo
    total = int(lengths.sum())
    if total > MAX_PAIRS:
        raise ExecutionError(
            f"a join of {total} pairs over table {table!r} is too large; "
            "narrow the condition with an equality or a date window"
        )
    parent = np.repeat(np.arange(frame.n), lengths)
    rows = m.rows[expand_ranges(lo, lengths)]
    child = Frame(total, {var: Vec(rows, None, RowType(table))}, frame, parent)
    if plan.residual:
        keep = np.ones(total, dtype=bool)
        for cond in plan.residual:
            if ev.decided(keep):
                break
            keep &= ev.ev(cond, child).true_mask()
            if not keep.all():
                child = child.subset(np.flatnonzero(keep))
                keep = np.ones(child.n, dtype=bool)
    return child


def expand_range(ev: Evaluator, agg: ir.Agg, frame: Frame) -> Frame:
    """A child frame with one row per generated value (``日期序列``/``序列``)."""
    assert isinstance(agg.source, ir.RangeSource)
    low, high = ev.ev(agg.source.low, frame), ev.ev(agg.source.high, frame)
    ok = low.valid_mask() & high.valid_mask() & (high.values >= low.values)
    lengths = np.where(ok, high.values - low.values + 1, 0).astype(np.int64)
    if int(lengths.sum()) > MAX_PAIRS:
        raise ExecutionError("a generated range is too long")
    parent = np.repeat(np.arange(frame.n), lengths)
    starts = np.where(ok, low.values, 0).astype(np.int64)
    values = expand_ranges(starts, lengths)
    dtype = agg.source.low.dtype
    return Frame(len(values), {agg.var: Vec(values, None, dtype)}, frame, parent)


def evaluate_aggregate(ev: Evaluator, agg: ir.Agg, frame: Frame) -> Vec | ListVec:
    """The value of an :class:`~ruledsl.ir.Agg` for every row of ``frame``."""
    if isinstance(agg.source, ir.RangeSource):
        return _generated(ev, agg, frame)
    table = agg.source.table
    plan = analysed(agg.var, conjuncts(agg.where))
    m = match(ev, frame, agg.var, table, plan)
    inner_only = all(
        ir.free_vars(e) <= {agg.var} and not ir.uses_group(e)
        for e in [agg.value, *(k for k, _ in agg.order)] if e is not None
    )
    if not plan.residual and inner_only:
        fast = _fast(ev, agg, frame, table, plan, m)
        if fast is not None:
            return fast
    child = pairs(ev, frame, agg.var, table, plan, m)
    return _reduce_pairs(ev, agg, child, frame.n, table)


def _fast(ev: Evaluator, agg: ir.Agg, frame: Frame, table: str, plan: Analysis, m: Match
          ) -> Vec | ListVec | None:
    if agg.func in ("count", "exists"):
        lo, hi = m.slices()
        if agg.func == "count":
            return Vec((hi - lo).astype(np.int64), None, agg.dtype)
        return Vec(hi > lo, None, BOOL)
    if plan.range_expr is None and agg.func in ("first", "last") and agg.value is None \
            and not agg.order:
        # a key's candidates are sorted in natural order: its first row begins its block,
        # its last ends it (a visit by its id: the one row of its key)
        ends = m.starts[:-1] if agg.func == "first" else m.starts[1:] - 1
        rows = np.append(m.rows[ends], -1)[m.outer_codes]  # (code -1: no row)
        return Vec(rows, rows >= 0, RowType(table))
    if plan.range_expr is None:
        # keys only: one reduction per key, gathered for each outer row
        data = ev.batch.table(table)
        value = None
        if agg.value is not None:
            value = _rows_eval(ev, agg.value, agg.var, table, m.rows)
        elif agg.func in ("first", "last"):
            value = Vec(m.rows, None, RowType(table))
        order = [(_rows_eval(ev, k, agg.var, table, m.rows), d) for k, d in agg.order]
        rank, _ = data.order()
        per_key = reduce(agg.func, m.codes, m.n_codes + 1, value, order, rank[m.rows], agg.dtype)
        return per_key.take(np.where(m.outer_codes >= 0, m.outer_codes, m.n_codes))
    if agg.func == "sum" and agg.value is not None:
        value = _rows_eval(ev, agg.value, agg.var, table, m.rows)
        v = np.where(value.valid_mask(), value.values, 0).astype(np.float64)
        prefix = np.concatenate([[0.0], np.cumsum(v)])
        lo, hi = m.slices()
        sums = prefix[hi] - prefix[lo]
        if agg.dtype.name == "int":  # type: ignore[attr-defined]
            return Vec(np.round(sums).astype(np.int64), None, agg.dtype)
        return Vec(sums, None, agg.dtype)
    if plan.range_expr == RANK and agg.func in ("first", "last") and not agg.order:
        lo, hi = m.slices()
        pick = np.where(hi > lo, lo if agg.func == "first" else hi - 1, -1)
        rows = np.where(pick >= 0, m.rows[np.maximum(pick, 0)] if len(m.rows) else -1, -1)
        row_vec = Vec(rows, rows >= 0, RowType(table))
        if agg.value is None:
            return row_vec
        value = ev.ev(agg.value, Frame(frame.n, {agg.var: row_vec}, frame, np.arange(frame.n)))
        # an empty range is null even when the value does not read the row (a constant)
        return value.take(np.where(rows >= 0, np.arange(frame.n), -1))
    return None


def _reduce_pairs(ev: Evaluator, agg: ir.Agg, child: Frame, n: int, table: str) -> Vec | ListVec:
    group = child.parent_idx if child.parent_idx is not None else np.zeros(child.n, np.int64)
    value = ev.ev(agg.value, child) if agg.value is not None else None
    if value is None and agg.func in ("first", "last"):
        value = child.lookup(agg.var)
    order = [(ev.ev(k, child), d) for k, d in agg.order]
    tie = None
    if agg.func in ("first", "last", "collect"):
        rows = child.lookup(agg.var)
        rank, _ = ev.batch.table(table).order()
        tie = rank[rows.values] if len(rows) else np.zeros(0, np.int64)
    return reduce(agg.func, group, n, value, order, tie, agg.dtype)


def _generated(ev: Evaluator, agg: ir.Agg, frame: Frame) -> Vec | ListVec:
    child = expand_range(ev, agg, frame)
    group = child.parent_idx if child.parent_idx is not None else np.zeros(0, np.int64)
    if agg.func == "longest_run":
        flags = ev.ev(agg.where, child).true_mask() if agg.where is not None else \
            np.ones(child.n, dtype=bool)
        return longest_runs(group, frame.n, flags)
    if agg.where is not None:
        keep = np.flatnonzero(ev.ev(agg.where, child).true_mask())
        child = child.subset(keep)
        group = group[keep]
    value = ev.ev(agg.value, child) if agg.value is not None else None
    if value is None and agg.func in ("first", "last"):
        value = child.lookup(agg.var)
    order = [(ev.ev(k, child), d) for k, d in agg.order]
    tie = child.lookup(agg.var).values if agg.func in ("first", "last", "collect") else None
    return reduce(agg.func, group, frame.n, value, order, tie, agg.dtype)


__all__ = ["Analysis", "Match", "analyse", "evaluate_aggregate", "match", "pairs", "STR"]
