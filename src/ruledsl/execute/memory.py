"""The C heap under the engine's big arrays (glibc only; elsewhere these do nothing).

numpy takes each array's memory from ``malloc``.  glibc serves blocks over its
*mmap threshold* (at most 32 MiB by default) with a fresh ``mmap`` and unmaps
them on free, so every big temporary costs the kernel page faults and zeroed
pages: at 10M fee lines a plan run spent 42.8 s of its 111 s in the kernel
(``benchmarks/profile_plan.py``), against 0.5 of 5.2 s at 1M.
:func:`keep_freed_memory` raises the thresholds so that big blocks come from the
heap and freed ones are reused; :func:`release_freed_memory` hands free heap
memory back when a long run moves on to other data.
:func:`arrow_on_c_heap` has Arrow's buffers come from ``malloc`` too, instead of
Arrow's own mimalloc pool: ``ruledsl run --workers 2`` at 10M lines took 33.3-34.2 s
with it against 33.7-37.6 s without, at a lower peak RSS (5.9 against 6.6-6.9 GB),
in alternating runs on the 2-core benchmark machine. With the thresholds raised and one
arena for every thread as well (``keep_freed_memory(one_arena=True)``, which ``ruledsl run``
uses) it took 28.7-32.8 s against 30.9-33.9 s, system time
8.3-13.2 against 13.0-16.1 s, peak RSS about the same (5.6-6.1 GB); the thresholds alone,
or one arena alone, made no difference that these runs could show.

One arena holds only if it is asked for before any other thread allocates: glibc fixes its
arena limit when a second thread first needs an arena, and importing pyarrow starts threads
(jemalloc's, and numpy's OpenBLAS pool on a multi-core machine) that do. ``ruledsl run`` had
asked after those imports, so a job thread could keep an arena of its own, whose memory
comes in 64 MiB heaps mapped and unmapped as it grows and shrinks, every one fresh pages
(one 10M run: about 2,400 heaps made and 2,600 unmapped, nearly all by one thread), and
whose bigger blocks are ``mmap`` s. Asked first (``import ruledsl`` loads neither library),
at 10M lines and 2 threads ``ruledsl run`` took 34.9-36.3 s against 37.4-39.8 s, system
time 7.1-7.9 against 10.0-14.6 s; at 1M in one batch 5.8-6.0 against 6.4-6.7 s, peak RSS
0.70-0.72 against 0.93-0.98 GiB (alternating runs on the Intel machine of session 13; see
``benchmarks/README.md``).

A bucket's engine frames refer to each other in cycles, so a run that goes
bucket by bucket frees each one with a full :func:`gc.collect`, whose cost is
every object the process tracks (a Dask worker has many).
:func:`freeze_long_lived` takes the objects that outlive the buckets (the
compiled plan, the knowledge base, the libraries' own) out of those scans.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from typing import Any

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_HEAP_UP_TO = 1 << 30
"""Blocks up to this size come from the heap (a 10M-line int64 column is 80 MB)."""

_LIBC: Any = None


def _libc() -> Any:
    global _LIBC
    if _LIBC is None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _LIBC = libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else False
        except OSError:
            _LIBC = False
    return _LIBC


def keep_freed_memory(one_arena: bool = False) -> bool:
    """Serve big blocks from the heap and keep freed memory for reuse (process-wide;
    ``ruledsl run`` calls it first thing). ``one_arena``: every thread allocates from the
    main heap, so that a block one job frees is reused by the next instead of sitting in
    another thread's arena; call it before importing numpy or pyarrow (their imports start
    threads). Returns whether it took effect: False off glibc, or for ``one_arena`` when
    the process already had other threads (an arena of theirs may be in use)."""
    libc = _libc()
    if not libc:
        return False
    ok = libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(_HEAP_UP_TO))
    ok &= libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(_HEAP_UP_TO))
    if one_arena:
        ok &= libc.mallopt(_M_ARENA_MAX, ctypes.c_int(1))
        ok &= not _other_threads()
    return bool(ok)


def _other_threads() -> bool:
    """Whether this process runs threads besides the calling one (Linux; elsewhere False)."""
    try:
        return len(os.listdir("/proc/self/task")) > 1
    except OSError:
        return False


def arrow_on_c_heap() -> None:
    """Allocate Arrow's buffers with the C library's ``malloc`` (process-wide; ``ruledsl
    run`` calls it), so that Arrow and numpy reuse one heap."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def release_freed_memory() -> None:
    """Return the heap's free memory to the system."""
    libc = _libc()
    if libc:
        libc.malloc_trim(0)


def freeze_long_lived() -> bool:
    """Collect garbage, then leave every object alive now out of later collections
    (:func:`gc.freeze`). Call it when no job is half done: a job's objects would stay
    frozen (uncollected) until :func:`thaw_long_lived`.

    Returns whether it froze: not when the program had already frozen objects itself
    (a pre-forking server does), whose choice is left alone.
    """
    if gc.get_freeze_count():
        return False
    gc.collect()
    gc.freeze()
    return True


def thaw_long_lived(frozen: bool) -> None:
    """Undo :func:`freeze_long_lived` (:func:`gc.unfreeze`) if it froze (``frozen``)."""
    if frozen:
        gc.unfreeze()
