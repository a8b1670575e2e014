"""The thread setting, the pool, and the dispatch of blocks to threads.

The number of threads of a pass is decided here, when its blocks are dispatched:
from the setting and the size of the work (:func:`thread_count`). The blocks
themselves do not depend on it (:class:`~.rows.Rows`), so neither do the results.
Imports :mod:`.rows` and :mod:`.scratch`.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .._typing import FloatArray
from .rows import MIN_ELEMENTS_PER_THREAD, Rows
from .scratch import release_scratch, scratch

#: What a kernel does with one block: ``body(start, stop, scratch)`` for rows
#: ``start:stop``, with this thread's block-sized scratch array.
Body = Callable[[int, int, FloatArray], None]

_threads = max(1, min(2, os.cpu_count() or 1))
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def set_threads(count: int) -> int:
    """Set how many threads the kernels may use; return the previous setting.

    The pool only grows: a smaller setting leaves workers idle rather than
    restarting them (and their kept scratch buffers) when it is raised again."""
    global _threads
    previous, _threads = _threads, count
    return previous


def get_threads() -> int:
    """The thread setting."""
    return _threads


def thread_count(rows: Rows, work: int | None = None) -> int:
    """How many threads a pass over ``rows`` uses now: the setting, but no more than
    one per :data:`~.rows.MIN_ELEMENTS_PER_THREAD` elements of work. The work is the
    number of elements, unless the kernel counts it (``work``, in elements): a kernel
    whose rows cost more than their entries (per-row steps, a second input) says so."""
    elements = rows.elements if work is None else work
    return max(1, min(_threads, elements // MIN_ELEMENTS_PER_THREAD))


def _workers(count: int) -> ThreadPoolExecutor:
    """The pool, with at least ``count`` workers."""
    global _pool, _pool_size
    with _pool_lock:  # callers on several threads may ask at once
        if _pool is None or _pool_size < count:
            if _pool is not None:
                _pool.shutdown(wait=True)
                release_scratch()  # the old workers' buffers
            _pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="crossentropy")
            _pool_size = count
        return _pool


def _take_blocks(
    rows: Rows, dtype: np.dtype[Any] | None, body: Body, tickets: Iterator[int]
) -> None:
    """Run ``body`` on blocks, one ticket at a time, until none is left (on this thread)."""
    shape = (rows.step, rows.k) if dtype is not None else (0, 0)
    count = rows.blocks
    # Floating-point warnings are off in kernels: every inf/NaN they can produce is
    # either the documented answer or detected and reported by the public function.
    # (np.errstate is per thread, so it is set here, in the worker.)
    with (
        scratch(shape, dtype) as buffer,
        np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"),
    ):
        for ticket in tickets:
            if ticket >= count:
                return
            start = ticket * rows.step
            body(start, min(start + rows.step, rows.n), buffer)


def for_each_block(
    rows: Rows, dtype: np.dtype[Any] | None, body: Body, *, work: int | None = None
) -> None:
    """Call ``body(start, stop, scratch)`` once for every block of rows.

    Blocks are handed out one at a time from a shared counter to the calling thread
    and up to ``thread_count(rows, work) - 1`` pool workers (NumPy's ufuncs release the GIL),
    so a thread slowed down by another process simply takes fewer blocks. Each thread
    has its own block-sized scratch buffer (empty when ``dtype`` is None). Every block
    starts at a multiple of ``rows.step``, and bodies write only to their own rows of
    the outputs, so no locking is needed and the results do not depend on which
    thread ran which block.
    """
    threads = min(thread_count(rows, work), rows.blocks)
    tickets = itertools.count()  # next() on it is atomic under the GIL
    if threads <= 1:
        _take_blocks(rows, dtype, body, tickets)
        return
    pool = _workers(threads - 1)
    futures = [pool.submit(_take_blocks, rows, dtype, body, tickets) for _ in range(threads - 1)]
    try:
        _take_blocks(rows, dtype, body, tickets)
    finally:
        for future in futures:
            exception = future.exception()  # waits; a worker's error is raised below
            if exception is not None:
                raise exception
