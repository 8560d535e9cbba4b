"""The engine's array helpers agree with the numpy functions they stand in for."""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ruledsl.execute import vec

# small spans take the presence-table path, wide ones one sort of (value, position) packed
# in an int64, the widest numpy's sort
_INTS = st.one_of(
    arrays(np.int64, st.integers(0, 300), elements=st.integers(-50, 50)),
    arrays(np.int64, st.integers(0, 300), elements=st.integers(-(2**62), 2**62)),
    arrays(np.int64, st.integers(0, 300), elements=st.integers(-(2**40), 2**40)),
    arrays(np.uint64, st.integers(0, 50), elements=st.integers(2**63, 2**63 + 2**40)),
    arrays(np.uint8, st.integers(0, 50)),
    arrays(np.int32, st.integers(0, 50), elements=st.integers(0, 200_000)),
    arrays(np.uint64, st.integers(0, 50), elements=st.integers(2**64 - 100, 2**64 - 1)),
    arrays(np.int8, st.integers(0, 50)),
)


@given(_INTS)
def test_factorize_is_numpy_unique(values: np.ndarray) -> None:
    uniq, inverse = vec.factorize(values)
    want_uniq, want_inverse = np.unique(values, return_inverse=True)
    assert uniq.dtype == values.dtype
    assert uniq.tolist() == want_uniq.tolist()
    assert inverse.tolist() == want_inverse.reshape(-1).tolist()
    assert vec.distinct(values).tolist() == want_uniq.tolist()


@given(arrays(np.float64, st.integers(0, 100),
              elements=st.one_of(st.just(np.nan), st.floats(-5, 5, allow_nan=False),
                                 st.sampled_from([0.0, -0.0, 1.5]))))
def test_distinct_floats_is_numpy_unique(values: np.ndarray) -> None:
    got, want = vec.distinct(values), np.unique(values)
    assert got.dtype == want.dtype and np.array_equal(got, want, equal_nan=True)


_GROUP_KEY = st.tuples(st.sampled_from([np.int64, np.int32, np.uint8, np.float64]),
                       st.integers(1, 400), st.booleans())


@given(st.integers(0, 150), st.lists(_GROUP_KEY, min_size=1, max_size=4), st.randoms())
def test_group_codes_number_the_key_tuples_in_order_with_null_first(
        n: int, specs: list[tuple[Any, int, bool]], rnd: Any) -> None:
    # many distinct values over several keys pass the table's span: the keys so far are
    # numbered first (a wrong step there merges or reorders groups)
    keys, rows = [], [[] for _ in range(n)]
    for dtype, distinct_values, nullable in specs:
        values = np.array([rnd.randrange(distinct_values) for _ in range(n)]).astype(dtype)
        valid = np.array([rnd.random() > 0.2 for _ in range(n)], dtype=bool) if nullable else None
        keys.append((values, valid))
        for i in range(n):
            rows[i].append((1, values[i].item()) if valid is None or valid[i] else (0, 0))
    order = sorted(set(map(tuple, rows)))
    want = [order.index(tuple(r)) for r in rows]
    assert vec.group_codes(keys, n).tolist() == want


def test_factorize_floats_fall_back_to_sorting() -> None:
    uniq, inverse = vec.factorize(np.array([2.5, -1.0, 2.5]))
    assert uniq.tolist() == [-1.0, 2.5] and inverse.tolist() == [1, 0, 1]


@given(arrays(np.int64, st.integers(0, 200), elements=st.integers(-1000, 1000)),
       arrays(np.int64, st.integers(0, 200), elements=st.integers(-1100, 1100)),
       st.sampled_from(["left", "right"]))
def test_search_sorted_is_numpy_searchsorted(haystack: np.ndarray, needles: np.ndarray,
                                             side: str) -> None:
    haystack = np.sort(haystack)
    old = vec._SORT_QUERIES_FROM
    try:
        vec._SORT_QUERIES_FROM = 0  # take the sorted-needles path even for small inputs
        got = vec.search_sorted(haystack, needles, side)
    finally:
        vec._SORT_QUERIES_FROM = old
    assert got.tolist() == np.searchsorted(haystack, needles, side).tolist()  # type: ignore[call-overload]


_SORT_KEY = st.one_of(
    st.builds(lambda n, lo, hi: (n, lo, hi), st.just(0), st.integers(-3, 0), st.integers(0, 3)),
    st.builds(lambda n, lo, hi: (n, lo, hi), st.just(0), st.integers(-(2**40), 0),
              st.integers(0, 2**40)),
    st.builds(lambda n, lo, hi: (n, lo, hi), st.just(0), st.just(-(2**62)), st.just(2**62)),
    st.just((1, 0, 1)),  # a boolean key
    st.just((2, 0, 2**58)),  # two far-apart values: packed with no room for the position
    st.just((3, 0, 1000)),  # unsigned values past 2**63 (hashes) in a small span
)


@given(st.integers(0, 120), st.lists(_SORT_KEY, min_size=1, max_size=4), st.booleans(),
       st.booleans(), st.randoms(use_true_random=False))
def test_lexsort_is_numpy_lexsort(n: int, specs: list[tuple[int, int, int]],
                                  distinct_first: bool, presorted: bool, random: Any) -> None:
    rng = np.random.default_rng(random.getrandbits(32))
    keys = [rng.integers(0, 2, n).astype(bool) if kind == 1
            else rng.integers(0, 2, n) * hi if kind == 2
            else rng.integers(0, hi, n).astype(np.uint64) + np.uint64(2**63) if kind == 3
            else rng.integers(lo, hi, n, endpoint=True) for kind, lo, hi in specs]
    if distinct_first:
        keys[0] = rng.permutation(n) * random.choice([1, 3]) - random.choice([0, 5])
    if presorted:  # rows already in order (the shortcut), ties and all
        order = np.lexsort(keys)
        keys = [key[order] for key in keys]
    old = vec._PACK_FROM
    try:
        vec._PACK_FROM = 0  # take the packed path even for small inputs
        got, distinct = vec.lexsort_distinct(keys, first_distinct=distinct_first)
    finally:
        vec._PACK_FROM = old
    assert got.tolist() == np.lexsort(keys).tolist()
    # whether no two rows have the same keys, when the sort says
    assert distinct in (None, len({tuple(int(k[i]) for k in keys) for i in range(n)}) == n)


@given(st.integers(0, 120), st.lists(_SORT_KEY, min_size=1, max_size=3), st.booleans(),
       st.randoms(use_true_random=False))
def test_sort_packed_reads_back_the_keys_in_lexsort_order(
        n: int, specs: list[tuple[int, int, int]], presorted: bool, random: Any) -> None:
    rng = np.random.default_rng(random.getrandbits(32))
    keys = [rng.permutation(n) * random.choice([1, 3]) - random.choice([0, 5])]  # a rank
    keys += [rng.integers(lo, hi, n, endpoint=True) for _, lo, hi in specs if lo > -(2**39)]
    if presorted:
        keys = [key[np.lexsort(keys)] for key in keys]
    packed = vec.sort_packed(keys)
    if sum(int(k.max() - k.min()).bit_length() if n else 0 for k in keys) > 63:
        assert packed is None
        return
    assert packed is not None
    values, spans = packed
    order = np.lexsort(keys)
    for i, key in enumerate(keys):
        back = vec.unpack(values, spans, i, key.dtype)
        assert back.dtype == key.dtype and back.tolist() == key[order].tolist()


def test_heap_tuning_is_accepted_on_glibc() -> None:
    import platform

    from ruledsl.execute import memory

    accepted = memory.keep_freed_memory()
    memory.release_freed_memory()
    assert accepted == (platform.libc_ver()[0] == "glibc")


@given(st.lists(st.text(max_size=4), max_size=30), st.text(max_size=4))
def test_search_dictionary_is_bisect(words: list[str], value: str) -> None:
    ordered = sorted(set(words))
    kept = vec.AS_LIST_UP_TO
    for as_list in (kept, 0):  # as a Python list, and value by value through Arrow
        vec.AS_LIST_UP_TO = as_list
        try:
            pos, present = vec.search_dictionary(pa.array(ordered, pa.string()), value)
        finally:
            vec.AS_LIST_UP_TO = kept
        assert pos == bisect.bisect_left(ordered, value)
        assert present == (value in ordered)


_TEXTS = st.lists(st.lists(st.one_of(st.none(), st.text(max_size=3)), max_size=20),
                  min_size=1, max_size=4)


@contextlib.contextmanager
def runs_judged_from(rows: int) -> Iterator[None]:
    """Chunks of at least ``rows`` rows are judged for runs of equal neighbours, and are
    encoded through them whenever two neighbours are equal."""
    kept = vec.RUNS_FROM_ROWS, vec.RUNS_FROM
    vec.RUNS_FROM_ROWS, vec.RUNS_FROM = rows, 1
    try:
        yield
    finally:
        vec.RUNS_FROM_ROWS, vec.RUNS_FROM = kept


@contextlib.contextmanager
def encoding_in_python(allowed: bool) -> Iterator[None]:
    """Few values are encoded in Python; with ``allowed`` off, Arrow encodes them too."""
    kept = vec.ENCODE_IN_PYTHON_UP_TO
    vec.ENCODE_IN_PYTHON_UP_TO = kept if allowed else 0
    try:
        yield
    finally:
        vec.ENCODE_IN_PYTHON_UP_TO = kept


@given(_TEXTS, st.integers(1, 3), st.booleans())
def test_shared_and_domain_encodings_agree_with_encoding_each_against_the_union(
        columns: list[list[str | None]], pieces: int, in_python: bool) -> None:
    with encoding_in_python(in_python):
        check_shared_and_domain_encodings(columns, pieces)


def check_shared_and_domain_encodings(columns: list[list[str | None]], pieces: int) -> None:
    # a column of a loaded table comes in chunks (and is encoded chunk by chunk)
    arrays = [pa.chunked_array([c[i::pieces] for i in range(pieces)], pa.string())
              for c in columns]
    union = vec.sorted_unique(pa.concat_arrays([a.combine_chunks() for a in arrays]))
    expected = [vec.encode_strings(a.combine_chunks(), union) for a in arrays]
    domain, dictionaries = vec.dictionary_columns(arrays)
    assert domain.equals(union)
    by_sorting = vec.encode_shared(arrays, mostly_distinct=True)
    assert by_sorting[0].dictionary.equals(union)
    for want, shared, sorted_, encoded in zip(expected, vec.encode_shared(arrays), by_sorting,
                                              dictionaries, strict=True):
        assert vec.same_array(encoded.dictionary, domain)  # so its codes are read back
        read = vec.encode_in_domain(encoded, domain)
        for got in (shared, sorted_, read):
            assert got.valid_mask().tolist() == want.valid_mask().tolist()
            assert got.values[want.valid_mask()].tolist() == want.values[want.valid_mask()].tolist()


@given(_TEXTS, st.integers(1, 3), st.booleans(), st.booleans())
def test_dictionary_columns_hold_their_strings_whichever_way_they_are_encoded(
        columns: list[list[str | None]], pieces: int, in_python: bool, sort: bool) -> None:
    """Their ``int32`` codes (made as such, see :func:`vec.shared_codes`) read back as the
    strings, through runs of neighbours, hashing, sorting or chunks read as dictionaries."""
    plain = [pa.chunked_array([c[i::pieces] for i in range(pieces)], pa.string())
             for c in columns]
    runs = [pa.chunked_array([[v for v in c for _ in range(3)]], pa.string()) for c in columns]
    read = [c.dictionary_encode() if k % 2 else c for k, c in enumerate(plain)]
    with runs_judged_from(2), encoding_in_python(in_python):
        for arrays in (plain, runs, read):
            domain, encoded = vec.dictionary_columns(arrays, mostly_distinct=sort)
            for array, got in zip(arrays, encoded, strict=True):
                assert got.indices.type == pa.int32() and vec.same_array(got.dictionary, domain)
                assert got.cast(pa.string()).to_pylist() == array.cast(pa.string()).to_pylist()


def test_a_value_outside_its_domain_is_an_error_not_a_null() -> None:
    import pytest

    domain = pa.array(["a", "b"])
    assert vec.encode_in_domain(pa.array(["b", None]), domain).values.tolist()[0] == 1
    with pytest.raises(ValueError, match="domain"):
        vec.encode_in_domain(pa.array(["c"]), domain)
    other = pa.DictionaryArray.from_arrays(pa.array([0], pa.int32()), pa.array(["b", "a"]))
    assert vec.encode_in_domain(other, domain).values.tolist() == [1]  # looked up, not read


@given(st.lists(st.text(max_size=3), max_size=30))
def test_encoding_by_sorting_agrees_on_sorted_and_unsorted_keys(values: list[str]) -> None:
    # the last two take the no-sort paths (values first seen in order, repeated or not)
    for items in (values, sorted(set(values)), [*sorted(values), None]):
        array = pa.array(items, pa.string())
        with encoding_in_python(True):
            (in_python,) = vec.encode_shared([array])
        with encoding_in_python(False):
            (hashed,), (by_sorting,) = vec.encode_shared([array]), vec.encode_shared([array], True)
        for other in (by_sorting, in_python):
            assert other.dictionary.equals(hashed.dictionary)
            assert other.values.tolist() == hashed.values.tolist()
            assert other.valid_mask().tolist() == hashed.valid_mask().tolist()


# ids of one byte length: a fixed prefix, then digits, letters or a two-byte character
_IDS = st.tuples(st.sampled_from(["", "FY00", "人员", "6400000000000000"]), st.integers(1, 9)).flatmap(
    lambda pw: st.lists(st.text("09Aé", min_size=pw[1], max_size=pw[1])
                        .filter(lambda t, w=pw[1]: len(t.encode()) == w)
                        .map(lambda t, p=pw[0]: p + t), max_size=40))


@given(_IDS)
@example(["FY0090", "FY0009", "FY0090"])  # (only digits vary: read as a number)
@example(["6400000000000000" + t for t in ("0990", "9000", "0009")])
@example(["ID:0", "ID00", "ID:9", "ID?0"])  # (low nibbles over 9 vary: packed as nibbles)
def test_ids_as_integers_sort_and_compare_as_their_strings(ids: list[str]) -> None:
    import ruledsl.data.load as load

    saved, load.SORTABLE_KEYS_FROM = load.SORTABLE_KEYS_FROM, 0
    try:
        found = load.sortable_keys(pa.array(ids, pa.string()))
        with_null = load.sortable_keys(pa.array([None, *ids], pa.string()))
        if ids:  # ...with another length they are not integers
            assert load.sortable_keys(pa.array([*ids, "x" * 40], pa.string())) is None
    finally:
        load.SORTABLE_KEYS_FROM = saved
    if found is not None:  # a null has no key, the others the same ones
        assert with_null is not None and with_null.keys.tolist() == found.keys.tolist()
        assert with_null.valid.tolist() == [False] + [True] * len(ids)
    if found is None:  # no id, or more than 8 varying bytes
        assert not ids or len(ids[0].encode()) > 8
        return
    keys = found.keys
    assert found.strings(keys).to_pylist() == ids  # (the strings back from their keys)
    by_bytes = sorted(range(len(ids)), key=lambda i: (ids[i].encode(), i))
    assert sorted(range(len(ids)), key=lambda i: (int(keys[i]), i)) == by_bytes
    assert [ids[i] for i in by_bytes] == sorted(ids)  # (byte order is code-point order)
    assert all((keys[i] == keys[j]) == (ids[i] == ids[j])
               for i in range(len(ids)) for j in range(len(ids)))
    narrow = found.narrowed()  # fewer bits, the same order and equality, and back
    assert sorted(range(len(ids)), key=lambda i: (int(narrow.values[i]), i)) == by_bytes
    assert all((narrow.values[i] == narrow.values[j]) == (ids[i] == ids[j])
               for i in range(len(ids)) for j in range(len(ids)))
    assert narrow.widen(narrow.values).tolist() == keys.tolist()
    if narrow.kind != "as is":
        assert int(narrow.values.max(initial=0)) < 1 << 32
    tails = [i.encode()[-8:].ljust(8, b"\0") for i in ids]
    varying = [at for at in range(8) if len({t[at] for t in tails}) > 1]
    if varying and all(chr(t[at]) in "09" for t in tails for at in varying):
        assert narrow.kind == "decimal"  # (only digits vary: the number they spell)
        assert narrow.values.tolist() == [
            int("".join(chr(t[at]) if at in varying else "0" for at in range(8))) for t in tails]


@given(_IDS, st.integers(1, 3), st.lists(st.integers(0, 40), max_size=3))
def test_ids_with_no_runs_hash_as_integers_to_the_same_codes(ids: list[str], pieces: int,
                                                              nulls: list[int]) -> None:
    """Ids in no order (no run of equal neighbours) of one byte length, and nulls, are
    hashed as the integers of their varying bytes: the same dictionary and codes as hashing
    the strings."""
    import ruledsl.data.load as load

    values: list[str | None] = list(ids)
    for at in nulls:
        values.insert(min(at, len(values)), None)
    array = pa.array(values, pa.string())
    ids = values  # type: ignore[assignment]
    cut = [len(ids) * i // pieces for i in range(pieces + 1)]
    chunks = [array.slice(a, b - a) for a, b in zip(cut, cut[1:])]
    want = vec._encode_by_hashing(pa.chunked_array(chunks, pa.string()))
    saved = load.SORTABLE_KEYS_FROM, vec.RUNS_FROM_ROWS
    load.SORTABLE_KEYS_FROM, vec.RUNS_FROM_ROWS = 0, 1 << 62  # (every chunk: no runs)
    try:
        got = vec._encode_runs_by_hashing(chunks)
    finally:
        load.SORTABLE_KEYS_FROM, vec.RUNS_FROM_ROWS = saved
    assert got[0].equals(want[0]) and got[1].tolist() == want[1].tolist()


@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 40)), st.integers(1, 3)),
                min_size=1, max_size=30))
def test_runs_of_decimal_ids_encode_through_their_numbers_to_the_same_codes(
        runs: list[tuple[int | None, int]]) -> None:
    """Runs of ids numbered in decimal: their heads are encoded as the numbers they spell
    (a presence table): the same dictionary and codes as hashing the strings."""
    import ruledsl.data.load as load

    values = [None if n is None else f"JZ{n:016d}" for n, times in runs for _ in range(times)]
    array = pa.array(values, pa.string())
    want = vec._encode_by_hashing(pa.chunked_array([array], pa.string()))
    saved = load.SORTABLE_KEYS_FROM
    load.SORTABLE_KEYS_FROM = 0
    try:
        with runs_judged_from(1):
            got = vec._encode_runs_by_hashing([array])
    finally:
        load.SORTABLE_KEYS_FROM = saved
    assert got[0].equals(want[0]) and got[1].tolist() == want[1].tolist()


@given(_IDS, st.randoms(), st.integers(0, 2))
def test_shuffled_ids_encode_by_sorting_as_integers_to_the_same_codes(
        ids: list[str], rnd: Any, nulls: int) -> None:
    import ruledsl.data.load as load

    values: list[str | None] = [*ids, *[None] * nulls]
    rnd.shuffle(values)
    array = pa.array(values, pa.string())
    with encoding_in_python(False):  # (a few values are otherwise encoded in Python)
        (as_strings,) = vec.encode_shared([array], mostly_distinct=True)
        saved, load.SORTABLE_KEYS_FROM = load.SORTABLE_KEYS_FROM, 0
        try:
            (as_integers,) = vec.encode_shared([array], mostly_distinct=True)
            with pytest.MonkeyPatch.context() as mp:  # (the arg-sort, not a packed sort)
                mp.setattr(vec, "factorize_integers", lambda *_, **__: None)
                (arg_sorted,) = vec.encode_shared([array], mostly_distinct=True)
        finally:
            load.SORTABLE_KEYS_FROM = saved
    for got in (as_integers, arg_sorted):
        assert got.dictionary.equals(as_strings.dictionary)
        assert got.values.tolist() == as_strings.values.tolist()


@given(_TEXTS, _TEXTS)
def test_encoding_beside_a_kept_dictionary_is_encoding_everything_together(
        known: list[list[str | None]], more: list[list[str | None]]) -> None:
    known_arrays = [pa.array(c, pa.string()) for c in known]
    more_arrays = [pa.array(c, pa.string()) for c in more]
    known_vecs = vec.encode_shared(known_arrays)
    sorted_known = vec.SortedStrings.of(known_vecs[0].dictionary)
    moved, added = vec.encode_beside(sorted_known, known_vecs, more_arrays)
    together = vec.encode_shared(known_arrays + more_arrays)
    for got, want in zip(moved + added, together, strict=True):
        assert got.dictionary.equals(want.dictionary)
        assert got.values.tolist() == want.values.tolist()
        assert got.valid_mask().tolist() == want.valid_mask().tolist()


@given(st.lists(st.text(max_size=3), max_size=12), st.lists(st.text(max_size=3), max_size=12))
def test_dictionary_maps_are_kept_until_forgotten(a_values: list[str], b_values: list[str]) -> None:
    vec.forget_dictionary_caches()  # (entries of earlier tests could fill the memo mid-way)
    a = vec.sorted_unique(pa.array(a_values, pa.string()))
    b = vec.sorted_unique(pa.array(b_values, pa.string()))
    merged, map_a, map_b = vec.unify_dictionaries(a, b)
    assert merged.to_pylist() == sorted(set(a_values) | set(b_values))
    assert [merged[i].as_py() for i in map_a] == a.to_pylist()
    assert [merged[i].as_py() for i in map_b] == b.to_pylist()
    to_b = vec.dictionary_map(a, b)
    assert to_b.tolist() == [b.to_pylist().index(v) if v in b_values else -1
                             for v in a.to_pylist()]
    assert vec.unify_dictionaries(a, b)[1] is map_a and vec.dictionary_map(a, b) is to_b
    vec.forget_dictionary_caches()
    again = vec.dictionary_map(a, b)
    assert again is not to_b and again.tolist() == to_b.tolist()


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "é", "", None]), st.integers(1, 6)),
                max_size=40), st.integers(1, 3))
def test_encoding_through_runs_agrees_with_hashing_every_value(
        runs: list[tuple[str | None, int]], pieces: int) -> None:
    """Runs of equal neighbours (fee lines grouped by visit) hashed once each give the
    same dictionary and codes as hashing every value (nulls, empty strings, chunks)."""
    values = [v for v, n in runs for _ in range(n)]
    array = pa.array(values, pa.string())
    cut = [len(values) * i // pieces for i in range(pieces + 1)]
    chunks = [array.slice(a, b - a) for a, b in zip(cut, cut[1:])]
    want = vec._encode_by_hashing(pa.chunked_array(chunks, pa.string()))
    with runs_judged_from(2):
        got = vec._encode_runs_by_hashing(chunks)
    assert got[0].equals(want[0]) and got[1].tolist() == want[1].tolist()
    heads = vec._run_heads(array)
    assert heads.tolist() == [i == 0 or values[i] is None or values[i] != values[i - 1]
                              for i in range(len(values))]


@given(st.one_of(st.lists(st.sampled_from(["ab", "é", "ba", "aa", "zz"]), max_size=40),
                 st.lists(st.sampled_from(["ab", "é", "zz", "", "abc", None]), max_size=40)),
       st.integers(0, 3), st.integers(1, 3))
def test_strings_of_one_byte_length_hash_as_fixed_size_binary_to_the_same_codes(
        values: list[str | None], drop: int, pieces: int) -> None:
    """Values all of one byte length ("é" is two bytes, as "ab") are hashed as fixed-size
    binary over the same bytes (sliced and chunked arrays too): the same sorted dictionary,
    as strings, and codes as hashing the strings; any null, empty string or other length
    keeps the strings."""
    array = pa.array(values, pa.string()).slice(drop)  # (a slice: an offset into its bytes)
    cut = [len(array) * i // pieces for i in range(pieces + 1)]
    column = pa.chunked_array([array.slice(a, b - a) for a, b in zip(cut, cut[1:])], pa.string())
    lengths = {len(v.encode()) for v in array.to_pylist() if v is not None}
    fixed = vec.fixed_width(column)
    assert (fixed is not None) == (len(array) > 0 and array.null_count == 0
                                   and len(lengths) == 1 and lengths != {0})
    got = vec._encode_by_hashing(column)
    kept = vec.fixed_width
    vec.fixed_width = lambda values: None
    try:
        want = vec._encode_by_hashing(column)
    finally:
        vec.fixed_width = kept
    assert got[0].type == pa.string() and got[0].equals(want[0])
    assert got[1].tolist() == want[1].tolist()
    if fixed is not None:
        assert vec.as_strings(fixed.combine_chunks()).to_pylist() == array.to_pylist()


@given(_TEXTS, st.integers(1, 3), st.booleans())
def test_dictionary_columns_encode_as_their_strings(
        columns: list[list[str | None]], pieces: int, extra_value: bool) -> None:
    """Columns read from Parquet as dictionaries (a dictionary per chunk, maybe holding a
    value no row has), beside columns read as strings, encode to the same codes in one
    shared dictionary as the strings do."""
    plain = [pa.chunked_array([c[i::pieces] for i in range(pieces)], pa.string())
             for c in columns]

    def as_dictionaries(column: pa.ChunkedArray) -> pa.ChunkedArray:
        chunks = []
        for chunk in column.chunks:
            encoded = pa.chunked_array([chunk], pa.string()).dictionary_encode().chunk(0) \
                if len(chunk) else pa.DictionaryArray.from_arrays(pa.array([], pa.int32()),
                                                                  pa.array([], pa.string()))
            dictionary = pa.concat_arrays([encoded.dictionary, pa.array(["zz"])]) \
                if extra_value else encoded.dictionary
            chunks.append(pa.DictionaryArray.from_arrays(encoded.indices, dictionary))
        return pa.chunked_array(chunks, pa.dictionary(pa.int32(), pa.string()))

    as_read = [as_dictionaries(c) if k % 2 == 0 else c for k, c in enumerate(plain)]
    with encoding_in_python(False):
        want, got = vec.encode_shared(plain), vec.encode_shared(as_read)
    assert vec.same_array(got[0].dictionary, got[-1].dictionary)
    for w, g in zip(want, got, strict=True):
        assert g.valid_mask().tolist() == w.valid_mask().tolist()
        assert g.strings().to_pylist() == w.strings().to_pylist()


@given(arrays(np.float64, st.integers(0, 60),
              elements=st.one_of(st.floats(-1e6, 1e6), st.sampled_from(
                  [0.0, -0.0, -0.004, 0.005, -0.005, -0.00004, 2.345, -2.345, np.nan]))),
       st.sampled_from([2, 4]))
def test_vectorised_rounding_is_the_reference_interpreters_with_its_zero(
        values: np.ndarray, digits: int) -> None:
    from ruledsl.execute.scalar import round_half_away as scalar
    from ruledsl.execute.vector import round_half_away

    got = round_half_away(values, 10**digits)
    for x, y in zip(values.tolist(), got.tolist(), strict=True):
        if np.isnan(x):
            assert np.isnan(y)
            continue
        want = scalar(x, digits)
        assert y == want and np.signbit(y) == np.signbit(want), (x, y, want)


@given(st.integers(0, 2**32 - 1), st.integers(-40_000, 40_000), st.integers(1, 12_000))
def test_calendar_conversions_looked_up_by_table_are_numpys(seed: int, low: int, span: int
                                                           ) -> None:
    from ruledsl.execute import vector as V

    values = np.random.default_rng(seed).integers(low, low + span, 6_000)
    for convert in (V._month_of_day, V._first_day_of_month, V._last_day_of_month):
        assert V.by_table(values, convert).tolist() == convert(values).tolist()
    assert [a.tolist() for a in V.ymd(values)] == [a.tolist() for a in V._ymd(values)]


@given(st.integers(0, 2**32 - 1), st.integers(1, 300), st.integers(1, 40))
def test_first_members_are_each_groups_least_rank(seed: int, n: int, groups: int) -> None:
    from ruledsl.execute.compiled import first_members

    rng = np.random.default_rng(seed)
    code = np.unique(rng.integers(0, groups, n), return_inverse=True)[1].reshape(-1)
    rank = rng.permutation(n)
    want = [int(np.flatnonzero(code == g)[np.argmin(rank[code == g])])
            for g in range(int(code.max()) + 1)]
    assert first_members(code, int(code.max()) + 1, rank).tolist() == want


@given(st.lists(st.tuples(st.one_of(st.sampled_from([0.0, -0.0, 1, 1.0, True, False, None]),
                                    st.floats(allow_nan=False), st.integers(-5, 5), st.text(max_size=3)),
                          st.integers(0, 4)), max_size=30))
def test_constant_columns_are_their_value_whatever_was_asked_before(
        asks: list[tuple[Any, int]]) -> None:
    """Constants are kept by value: 0.0 and -0.0, 1 and 1.0 and True are equal keys in a
    dict, never the same column."""
    from ruledsl.types import BOOL, FLOAT, INT, STR

    for value, n in asks:
        dtype = STR if isinstance(value, str) else BOOL if isinstance(value, bool) else \
            INT if isinstance(value, int) else FLOAT
        got = vec.Vec.constant(value, dtype, n)
        assert len(got.values) == n and not got.values.flags.writeable
        if value is None:
            assert not got.valid_mask().any()
        elif dtype == STR:
            assert got.strings().to_pylist() == [value] * n
        else:
            want = np.full(n, value)
            assert got.values.dtype == want.dtype
            assert got.values.tolist() == want.tolist()
            assert np.signbit(got.values).tolist() == np.signbit(want).tolist()
