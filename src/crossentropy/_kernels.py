"""Row-blocked numerical kernels.

Every kernel sees arrays whose class axis is last, wrapped in :class:`Rows`, and
walks them in blocks of rows sized to stay in cache (``BLOCK_BYTES``). Temporaries
are one block in size, so extra memory is bounded by a few blocks plus O(N) per-row
results, however large N x K is. Kernels never validate: the public functions have
done that before they call in. The one exception is deliberate: the index kernel can
take probability targets that are probably one-hot before they are checked, tests
each block of them as it goes, and reports that it stopped (never raises) when one
is not (:func:`index_nll_rows`).

Conventions, applied at one visible line each:

* ``0 * log 0 = 0`` and, more generally, a zero coefficient kills its term even
  when the other factor is infinite (:func:`_mul0`, :func:`_dot0`).
* A row of logits that are all ``-inf`` has log-sum-exp ``-inf``; a row with a
  ``+inf`` logit has ``+inf``; a NaN gives NaN. The public functions turn the
  last two (and the first, where it makes a result undefined) into errors.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._validate import one_hot_classes

FloatArray = NDArray[np.floating[Any]]

#: Bytes of one block of rows. 1-4 MiB keeps a block and its scratch in L2/L3
#: while amortising the per-block Python overhead (measured; see the docs'
#: Performance page).
BLOCK_BYTES = 2 * 1024 * 1024

#: Rows of one block, at most, unless a kernel keeps its per-row arrays (the index
#: kernel: :data:`INDEX_BLOCK_ROWS`): the per-row temporaries of a block then stay
#: small (64 KiB of float64), and memory the allocator recycles is not page-faulted.
MAX_BLOCK_ROWS = 8192


class Rows:
    """An ``(n, k)`` view of an array whose last axis is the class axis.

    Arrays that can be viewed as 2-D without a copy are sliced directly; others
    (for instance a class axis moved from the middle of a 3-D array) are gathered
    one block at a time, so that no full-size copy is ever made.
    """

    def __init__(self, array: NDArray[Any], *, max_rows: int = MAX_BLOCK_ROWS) -> None:
        self.batch_shape: tuple[int, ...] = array.shape[:-1]
        self.k: int = array.shape[-1]
        self.n: int = int(np.prod(self.batch_shape, dtype=np.int64))
        self.dtype = array.dtype
        self._array = array
        self._2d: NDArray[Any] | None
        try:
            self._2d = np.reshape(array, (self.n, self.k), copy=False)
        except ValueError:
            self._2d = None
        # Fixed here, so that every pass over these rows cuts the same blocks. The
        # blocks depend on the shape and dtype only, never on the thread setting, so
        # that sums over blocks do not either.
        elements = self.n * self.k
        step = min(max_rows, BLOCK_BYTES // max(1, self.k * self.dtype.itemsize))
        if elements >= 2 * MIN_ELEMENTS_PER_THREAD:  # big enough to share: cut it finely
            step = min(step, -(-self.n // MIN_BLOCKS))
        self.step: int = max(1, min(self.n, step))
        self.threads: int = max(1, min(_threads, elements // MIN_ELEMENTS_PER_THREAD))

    @property
    def array(self) -> NDArray[Any]:
        """The array these rows view (class axis last)."""
        return self._array

    def with_max_rows(self, max_rows: int) -> Rows:
        """The same rows, cut into blocks of at most ``max_rows`` rows."""
        return Rows(self._array, max_rows=max_rows)

    def block(self, start: int, stop: int) -> NDArray[Any]:
        if self._2d is not None:
            return self._2d[start:stop]
        return self.take(np.arange(start, stop))

    def take(self, which: NDArray[np.intp]) -> NDArray[Any]:
        """A copy of rows ``which``, as a 2-D array."""
        if self._2d is not None:
            return self._2d[which]
        return self._array[np.unravel_index(which, self.batch_shape)]


# --- threads ----------------------------------------------------------------------

#: Work below this many elements per thread runs on the calling thread. Below it a
#: second thread gains nothing: a pool hand-off costs tens of microseconds, and with
#: short blocks the threads mostly wait for each other's GIL between NumPy calls
#: (measured at 65536 x 10: 1.10 ms on one thread, 1.35 ms on two).
MIN_ELEMENTS_PER_THREAD = 1 << 20

#: Inputs large enough for two threads are cut into at least this many blocks, so
#: that the threads finish together (blocks are handed out one at a time).
MIN_BLOCKS = 8

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


def _workers(count: int) -> ThreadPoolExecutor:
    """The pool, with at least ``count`` workers."""
    global _pool, _pool_size
    with _pool_lock:  # callers on several threads may ask at once
        if _pool is None or _pool_size < count:
            if _pool is not None:
                _pool.shutdown(wait=True)
                _kept.clear()  # the old workers' buffers
            _pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="crossentropy")
            _pool_size = count
        return _pool


def get_threads() -> int:
    return _threads


Body = Callable[[int, int, FloatArray], None]


class _Kept:
    """A thread's scratch buffer, kept between calls."""

    def __init__(self, nbytes: int) -> None:
        raw = np.empty(nbytes + 64, dtype=np.uint8)
        skip = -raw.ctypes.data % 64  # start on a cache line, as SIMD loops prefer
        self.buffer = raw[skip : skip + nbytes]
        self.busy = False


#: Scratch buffers kept between calls, by thread id and slot, each at most
#: ``2 * BLOCK_BYTES`` (a block computed in float32 from float16 input is twice the
#: block's size).
_kept: dict[tuple[int, int], _Kept] = {}


def release_scratch() -> None:
    """Drop the kept scratch buffers (the memory tests and benchmarks do this so that
    the scratch counts in the peak they measure). Not for use during a call."""
    _kept.clear()


@contextmanager
def _scratch(
    shape: tuple[int, int], dtype: np.dtype[Any] | None, *, slot: int = 0
) -> Iterator[FloatArray]:
    """A ``shape`` array of ``dtype`` (uninitialised), carved from this thread's kept
    buffer number ``slot`` when it is free.

    Memory the process has not touched yet costs a page fault per 4 KiB on first
    write: about 1 ms per 2 MiB block on a virtual machine, as much as the arithmetic
    on that block. Keeping each thread's block-sized buffer avoids it on every call
    after the first. Larger requests, and nested use, get a fresh array. Slot 0 holds
    blocks; slot 1 the per-row arrays of :func:`_per_row`.
    """
    nbytes = shape[0] * shape[1] * (0 if dtype is None else dtype.itemsize)
    if dtype is None or nbytes > 2 * BLOCK_BYTES:
        yield np.empty(shape, dtype=dtype)
        return
    key = (threading.get_ident(), slot)
    kept = _kept.get(key)
    if kept is not None and kept.busy:
        yield np.empty(shape, dtype=dtype)
        return
    if kept is None or kept.buffer.nbytes < nbytes:
        size = PER_ROW_BYTES if slot else BLOCK_BYTES
        kept = _kept[key] = _Kept(size if nbytes <= size else 2 * BLOCK_BYTES)
    kept.busy = True
    try:
        yield kept.buffer[:nbytes].view(dtype).reshape(shape)
    finally:
        kept.busy = False


#: Bytes of a thread's kept per-row arrays: four of 8 bytes per row of a block.
PER_ROW_BYTES = 4 * 8 * (1 << 15)


@contextmanager
def _per_row(rows: int, *dtypes: np.dtype[Any]) -> Iterator[list[NDArray[Any]]]:
    """One uninitialised array of ``rows`` entries per dtype, from this thread's kept
    per-row buffer (fresh arrays when it is in use or too small)."""
    sizes = [-(-rows * dtype.itemsize // 64) * 64 for dtype in dtypes]  # cache-line aligned
    with _scratch((1, sum(sizes)), np.dtype(np.uint8), slot=1) as raw:
        flat = raw.reshape(-1)
        starts = itertools.accumulate(sizes[:-1], initial=0)
        yield [
            flat[start : start + rows * dtype.itemsize].view(dtype)
            for start, dtype in zip(starts, dtypes, strict=True)
        ]


def for_each_block(rows: Rows, dtype: np.dtype[Any] | None, body: Body) -> None:
    """Call ``body(start, stop, scratch)`` once for every block of rows.

    Blocks are handed out one at a time from a shared counter to the calling thread
    and up to ``threads - 1`` pool workers (NumPy's ufuncs release the GIL), so a
    thread slowed down by another process simply takes fewer blocks. Each thread has
    its own block-sized scratch buffer (empty when ``dtype`` is None). Every block
    starts at a multiple of ``rows.step``, and bodies write only to their own
    rows of the outputs, so no locking is needed and the results do not depend on
    which thread ran which block.
    """
    step = rows.step
    count = -(-rows.n // step)
    threads = min(rows.threads, count)
    tickets = itertools.count()  # next() on it is atomic under the GIL

    def run() -> None:
        shape = (step, rows.k) if dtype is not None else (0, 0)
        # Floating-point warnings are off in kernels: every inf/NaN they can produce
        # is either the documented answer or detected and reported by the public
        # function. (np.errstate is per thread, so it is set here, in the worker.)
        with (
            _scratch(shape, dtype) as scratch,
            np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"),
        ):
            for ticket in tickets:
                if ticket >= count:
                    return
                start = ticket * step
                body(start, min(start + step, rows.n), scratch)

    if threads <= 1:
        run()
        return
    pool = _workers(threads - 1)
    futures = [pool.submit(run) for _ in range(threads - 1)]
    try:
        run()
    finally:
        for future in futures:
            exception = future.exception()  # waits; a worker's error is raised below
            if exception is not None:
                raise exception


# --- arithmetic with the 0 * inf = 0 convention ----------------------------------------


def _mul0(coef: Any, values: FloatArray) -> FloatArray:
    """``coef * values`` where a zero coefficient gives 0 even against +-inf."""
    with np.errstate(invalid="ignore"):
        product = np.multiply(coef, values)
    result: FloatArray = np.where(np.equal(coef, 0), 0, product).astype(values.dtype, copy=False)
    return result


def _dot0(a: FloatArray, b: FloatArray) -> FloatArray:
    """Row-wise ``sum(a * b)`` with ``0 * inf = 0`` (the 0 log 0 = 0 convention)."""
    with np.errstate(invalid="ignore", over="ignore"):
        out: FloatArray = np.einsum("ij,ij->i", a, b)
    bad = np.isnan(out)
    if bad.any():  # only rows holding a 0 * inf product pay for the masked sum
        rows_a, rows_b = a[bad], b[bad]
        out[bad] = np.einsum("ij,ij->i", rows_a, np.where(rows_a == 0, 0, rows_b))
    return out


def _matvec0(block: FloatArray, weights: FloatArray) -> FloatArray:
    """``block @ weights`` with ``0 * inf = 0``."""
    with np.errstate(invalid="ignore", over="ignore"):
        out = block @ weights
    bad = np.isnan(out)
    if bad.any():
        out[bad] = np.where(weights == 0, 0, block[bad]) @ weights
    return out


def block_softmax_parts(
    block: FloatArray, scratch: FloatArray
) -> tuple[FloatArray, FloatArray, NDArray[np.float64], FloatArray]:
    """Per row: ``exp(z - m)`` (in ``scratch``), the shift ``m``, ``log1p`` of the sum of
    the other terms, and the log-sum-exp ``lse = m + log1p(...)``.

    ``m`` is the row's max, so finite logits never overflow, and the max's own term
    (exactly 1) is taken out of the sum: ``log1p`` keeps full relative accuracy when the
    other terms are tiny, where ``m + log(1 + tiny)`` would round them away (SciPy's
    logsumexp does the same). Softmax is then ``exp(z - m) / (1 + rest)`` and
    log-softmax ``(z - m) - log1p(rest)``: neither goes through ``lse``, which for
    logits of size 1e4 in float32 carries an absolute rounding error of 1e-3.
    """
    m = block.shape[0]
    rows = np.arange(m)
    top = np.argmax(block, axis=1)  # NaN rows: argmax points at the first NaN
    peak = block[rows, top]
    finite = np.isfinite(peak)
    # Rows whose max is +-inf or NaN have that max as their log-sum-exp (+inf, -inf,
    # NaN: the conventions in the module docstring); they are shifted by 0 to stay quiet.
    shift = np.where(finite, peak, 0).astype(block.dtype, copy=False)
    work = scratch[:m]
    with np.errstate(invalid="ignore", over="ignore"):
        np.subtract(block, shift[:, None], out=work)
        np.exp(work, out=work)
        work[rows, top] = 0
        log_rest = np.log1p(row_sums(work))
        work[rows, top] = 1
        lse = np.where(finite, shift + log_rest, peak).astype(block.dtype, copy=False)
    return work, shift, log_rest, lse


def block_logsumexp(block: FloatArray, scratch: FloatArray) -> FloatArray:
    """Log-sum-exp of each row of ``block``; ``scratch`` is at least as large."""
    return block_softmax_parts(block, scratch)[3]


def row_sums(work: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """Row sums of a C-contiguous block: in float64, or written into ``out``.

    Each row is cut into segments of 256-2048 entries, summed with ``einsum`` (SIMD,
    about 3x faster than ``np.sum`` here) and the segment sums added in float64, so a
    float32 row of 100k entries loses no accuracy. Not a BLAS matrix-vector product:
    that is faster on an idle machine, but OpenBLAS's threads spin and slow down by
    two orders of magnitude when another process holds a core.
    """
    m, k = work.shape
    work = np.ascontiguousarray(work)  # a strided block is copied (block-sized)
    pieces = _row_pieces(k)
    if pieces == 1 and out is not None and out.dtype == work.dtype:
        result: FloatArray = np.einsum("ij->i", work, out=out)
        return result
    partial = np.einsum("ij->i", work.reshape(m * pieces, k // pieces))
    if pieces == 1:
        whole: FloatArray = partial.astype(np.float64)
    else:
        whole = partial.reshape(m, pieces).sum(axis=1, dtype=np.float64)
    if out is None:
        return whole
    out[...] = whole
    return out


@cache
def _row_pieces(k: int) -> int:
    """The most segments (up to 64, each of at least 256 entries) a row of ``k`` splits into."""
    return next((d for d in range(64, 0, -1) if k % d == 0 and k // d >= 256), 1)


_LOG2E = {np.dtype(np.float32): np.float32(np.log2(np.e))}


def _exp_in_place(work: FloatArray, source: FloatArray | None = None) -> None:
    """``work = exp(source)`` (``source`` defaults to ``work``); for float32 as
    ``exp2(source * log2(e))``, which NumPy runs about twice as fast. Its relative
    error, ~|x| * 6e-8 from rounding ``x * log2(e)``, is below 6e-6 wherever the
    result is finite."""
    source = work if source is None else source
    log2e = _LOG2E.get(work.dtype)
    if log2e is None:
        np.exp(source, out=work)
        return
    np.multiply(source, log2e, out=work)
    np.exp2(work, out=work)


@cache
def _exp_ceiling(dtype: np.dtype[Any]) -> float:
    """The largest ``t`` for which ``exp(-t)`` is a normal number of ``dtype``."""
    return -float(np.log(np.finfo(dtype).tiny))


@cache
def _underflow_floor(dtype: np.dtype[Any], k: int) -> float:
    """The smallest target logit for which the unshifted fast path is accurate.

    Terms ``exp(z_j)`` below the dtype's normal range are rounded to multiples of its
    smallest subnormal ``2^-149`` (float32) or ``2^-1074`` (float64). Scaled by
    ``exp(-z_t)``, the ``k`` terms of a row then carry an absolute error of at most
    ``k 2^-149 exp(-z_t)``; requiring that to stay below 1e-7 gives this floor.
    """
    tiny_exponent = 149 if dtype == np.float32 else 1074
    return -float(np.log(1e-7) + tiny_exponent * np.log(2.0) - np.log(k))


BlockHook = Callable[[int, int, FloatArray], None]

#: Blocks of at least this many rows finish their per-row work (a dozen NumPy calls)
#: themselves, in arrays each thread keeps (:func:`_per_row`); for blocks of fewer
#: rows the calls would cost more than the rows, and the per-row work runs once per
#: batch.
PER_BLOCK_ROWS = 1024

#: Rows of one block of the index kernel, at most. More than :data:`MAX_BLOCK_ROWS`:
#: its per-row arrays are kept between calls, so large blocks cost no page faults,
#: and with few classes a block of many rows makes fewer, longer NumPy calls.
INDEX_BLOCK_ROWS = 1 << 15


class IndexNll(NamedTuple):
    """What :func:`index_nll_rows` learns besides the arrays it fills."""

    total: float  # sum of the per-row losses, in float64
    undefined: tuple[int, float] | None  # first row whose log-sum-exp is not finite
    complete: bool = True  # False: a block of one_hot targets was not one-hot


def index_nll_rows(
    rows: Rows,
    labels: NDArray[np.intp],
    *,
    losses: FloatArray | None = None,
    lse: NDArray[np.float64] | None = None,
    hook: BlockHook | None = None,
    one_hot: Rows | None = None,
) -> IndexNll:
    """``logsumexp(z) - z_t`` for each row and its target ``t``: written to ``losses``
    (if given), with each row's ``logsumexp(z)`` in ``lse`` (if given), and summed.

    The loss needs only the difference, so no row is shifted at all:

        lse - z_t = log1p(sum_{j != t} exp(z_j) * exp(-z_t)),

    with ``exp(z_j)`` computed in the input's dtype (float32 as
    ``exp2(z * log2(e))``, about twice as fast as NumPy's ``exp``), the target's own
    term set to 0, and the rest summed and scaled. ``log1p`` keeps full relative
    accuracy for a confident prediction, where the sum is tiny. For float32 the error
    is below ~5e-6 relative (the rounding of ``z * log2(e)`` for ``|z| < 88``) plus
    1e-7 absolute (subnormal terms; :func:`_underflow_floor`).
    Rows outside that range -- a logit above ~88 (float32) or ~709 (float64), a
    target logit above ~87.3 (float32 finish) or ~708.4 (float64), where ``exp(-t)``
    is subnormal (:func:`_exp_ceiling`), a loss above ~88 where rows are finished in
    float32, a target logit below the floor, NaN or infinite logits -- are
    recomputed exactly, max-shifted, in float64 (:func:`_exact_index_nll`,
    vectorised over those rows).

    Each block costs three passes (multiply, exp2, row sums) and one scatter. The
    per-row work runs per block, in the block's dtype, when blocks have many rows
    (small ``k``), and once over the batch, in float64, otherwise
    (:data:`PER_BLOCK_ROWS`). A mean or sum needs only ``total``: then, for small
    ``k``, nothing batch-sized is allocated at all (fresh memory costs a page fault
    per 4 KiB, which at 10 classes is as much as the arithmetic).
    ``hook(start, stop, block)``, if given, runs on each block while it is in cache
    (label smoothing needs a second statistic of the logits).

    With ``one_hot`` (probability targets, not yet checked), ``labels`` is filled
    in: each block of targets is tested (:func:`~._validate.one_hot_classes`) just
    before its block of logits is used, in the same pass, so that the two reads
    overlap. On the first block that is not one-hot the pass stops, and the result
    says it is not ``complete``: the caller then checks the targets and takes the
    general path.
    """
    rows = rows.with_max_rows(INDEX_BLOCK_ROWS)
    n, k, step = rows.n, rows.k, rows.step
    floor = _underflow_floor(rows.dtype, k)
    offsets = np.arange(0, min(step, n) * k, k)  # each row's start in a block
    partial = np.zeros(max(1, -(-n // step)))  # per-block totals
    undefined: list[tuple[int, float]] = []
    not_one_hot: list[int] = []  # the first block of targets that was not
    per_block = step >= PER_BLOCK_ROWS
    if not per_block:
        target_logits = np.empty(n, dtype=rows.dtype)
        sums = np.empty(n, dtype=np.float64)

    def finish(start: int, t: FloatArray, row_sum: FloatArray, nll: FloatArray) -> float:
        """The per-row part for rows ``start:start + len(t)``, in ``nll``'s dtype."""
        # Above this target logit exp(-t) is subnormal in nll's dtype: it has lost
        # digits (87.3 for float32, 708.4 for float64).
        ceiling = _exp_ceiling(nll.dtype)
        np.negative(t, out=nll)
        np.exp(nll, out=nll)
        nll *= row_sum
        np.log1p(nll, out=nll)
        row_lse = None if lse is None else np.add(t, nll, out=lse[start : start + t.shape[0]])
        total = float(nll.sum(dtype=np.float64))
        if t.shape[0] and not (np.isfinite(total) and floor <= t.min() and t.max() <= ceiling):
            # Rare: huge or tiny logits, huge losses, non-finite logits. (NaN fails
            # every comparison; a +inf target logit would give 0 for inf - inf.)
            accurate = t >= floor
            accurate &= t <= ceiling
            accurate &= np.isfinite(nll)
            exact = _recompute_exactly(
                rows, labels, start + np.flatnonzero(~accurate), start, nll, row_lse, undefined
            )
            # In float64: one exact loss may exceed what nll's dtype holds.
            total = float(np.where(accurate, nll, 0).sum(dtype=np.float64) + exact.sum())
        if losses is not None:
            losses[start : start + t.shape[0]] = nll
        return total

    def body(start: int, stop: int, scratch: FloatArray) -> None:
        if one_hot is not None:
            if not_one_hot:
                return  # the pass is abandoned
            if not one_hot_classes(one_hot.block(start, stop), labels[start:stop], offsets):
                not_one_hot.append(start)
                return
        block = rows.block(start, stop)
        m = stop - start
        work = scratch[:m]
        _exp_in_place(work, source=block)
        if not per_block:
            # Each target as a flat offset into the block: one gather and one scatter,
            # 2x faster than (row, column) pairs.
            local = offsets[:m] + labels[start:stop]
            target_logits[start:stop] = _take_flat(block, local)
            work.reshape(-1)[local] = 0  # the target's own term is the 1 in log1p
            row_sums(work, out=sums[start:stop])
            if hook is not None:
                hook(start, stop, block)
            return
        dtype = work.dtype
        with _per_row(m, np.dtype(np.intp), dtype, dtype, dtype) as (local, t, row_sum, nll):
            np.add(offsets[:m], labels[start:stop], out=local)
            _take_flat(block, local, out=t)
            work.reshape(-1)[local] = 0
            row_sums(work, out=row_sum)
            if hook is not None:
                hook(start, stop, block)
            partial[start // step] = finish(start, t, row_sum, nll)

    for_each_block(rows, rows.dtype, body)
    if not_one_hot:
        return IndexNll(float("nan"), None, complete=False)
    if not per_block:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            partial[0] = finish(0, target_logits, sums, np.empty(n, dtype=np.float64))
    return IndexNll(float(partial.sum()), min(undefined, default=None))


def _take_flat(
    block: FloatArray, flat: NDArray[np.intp], out: FloatArray | None = None
) -> FloatArray:
    """``block.reshape(-1)[flat]`` without copying a strided block first."""
    if block.flags.c_contiguous:
        picked: FloatArray = np.take(block.reshape(-1), flat, out=out)
        return picked
    k = block.shape[1]
    picked = block[flat // k, flat % k]
    if out is None:
        return picked
    out[...] = picked
    return out


def _recompute_exactly(
    rows: Rows,
    labels: NDArray[np.intp],
    which: NDArray[np.intp],
    start: int,
    nll: FloatArray,
    lse: NDArray[np.float64] | None,
    undefined: list[tuple[int, float]],
) -> NDArray[np.float64]:
    """Overwrite the losses (and log-sum-exps) of rows ``which`` of ``rows`` with
    :func:`_exact_index_nll`; ``nll`` and ``lse`` hold rows from ``start`` on. Rows
    are taken a few at a time, so that their float64 copies stay block-sized. Note
    the first row whose log-sum-exp is not finite in ``undefined``. Return the
    exact losses, in float64."""
    chunk = max(1, BLOCK_BYTES // (8 * rows.k))
    exact = np.empty(which.shape[0])
    for first in range(0, which.shape[0], chunk):
        picked = which[first : first + chunk]
        loss, exact_lse = _exact_index_nll(rows.take(picked), labels[picked])
        exact[first : first + chunk] = loss
        nll[picked - start] = loss
        if lse is not None:
            lse[picked - start] = exact_lse
        bad = ~np.isfinite(exact_lse)
        if bad.any():
            i = int(np.argmax(bad))
            undefined.append((int(picked[i]), float(exact_lse[i])))
    return exact


def _exact_index_nll(
    values: FloatArray, labels: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``logsumexp(z) - z_t`` and ``logsumexp(z)`` of each row, max-shifted, in float64.

    Where the target is the row's max, its term is exactly 1 and the loss is
    ``log1p`` of the others (full relative accuracy for a confident prediction);
    elsewhere the loss is at least log 2 and the plain difference is accurate.
    Follows the conventions in the module docstring for rows that are not finite.
    """
    z = values.astype(np.float64)  # a copy, worked on in place
    index = np.arange(z.shape[0])
    target = z[index, labels]
    peak = z.max(axis=1)
    shift = np.where(np.isfinite(peak), peak, 0.0)
    z -= shift[:, None]
    np.exp(z, out=z)
    lse = shift + np.log(z.sum(axis=1))
    nll = lse - target
    confident = np.isfinite(lse) & np.isfinite(target) & (target >= peak)
    if confident.any():
        z[index, labels] = 0  # the target's term: exactly 1 in a confident row
        nll[confident] = np.log1p(z[confident].sum(axis=1))
    return nll, lse


def block_soft_nll(
    block: FloatArray, target: NDArray[Any], target_sums: NDArray[np.float64], scratch: FloatArray
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``-sum_j y_j log softmax(z)_j`` and ``logsumexp(z)`` for probability targets.

    The shift is ``c = y . z`` (the target's mean logit) rather than the max: then
    ``loss = sum(y) log(s) - y . (z - c)`` with ``s = sum_j exp(z_j - c)``, and
    ``log(s) = log1p(sum_j (exp(z_j - c) - y_j) + sum(y) - 1)``. For a one-hot row
    ``c`` is the target logit exactly, its term is ``1 - 1 = 0`` exactly, and the
    loss is ``log1p`` of the other terms: exact even for a confident prediction.
    The residual ``y . (z - c)`` corrects the rounding of ``c`` for soft targets.
    Since ``c <= max(z)``, ``s >= 1``; rows where it overflows (loss above ~88 in
    float32) or that hold non-finite logits are recomputed exactly in float64.
    """
    m = block.shape[0]
    y = target.astype(block.dtype, copy=False)
    if target.dtype.kind == "f" and target.dtype.itemsize < block.dtype.itemsize:
        # Sums taken in the targets' own precision (float32 targets, float64 logits)
        # would carry its rounding into the loss: take them again, as precisely.
        target_sums = row_sums(y).astype(np.float64, copy=False)
    work = scratch[:m]
    with np.errstate(invalid="ignore", over="ignore"):
        shift = np.vecdot(y, block)
        np.subtract(block, shift[:, None], out=work)
        residual = np.vecdot(y, work).astype(np.float64)
        _exp_in_place(work)
        np.subtract(work, y, out=work)
        log_s = np.log1p(row_sums(work) + (target_sums - 1.0))
        nll = target_sums * log_s - residual
        lse = shift.astype(np.float64) + log_s
    bad = ~(np.isfinite(nll) & np.isfinite(lse))
    for row in np.flatnonzero(bad):  # rare: huge losses and non-finite logits
        lse[row] = _exact_logsumexp(block[row])
        weights = target[row].astype(np.float64)
        logits = block[row].astype(np.float64)
        with np.errstate(invalid="ignore"):
            picked = np.where(weights == 0, 0.0, weights * logits).sum()
            nll[row] = lse[row] * target_sums[row] - picked
    return nll, lse


def _exact_logsumexp(values: FloatArray) -> float:
    """Max-shifted log-sum-exp of one row in float64, following the conventions above."""
    row = values.astype(np.float64)
    peak = row.max()
    shift = peak if np.isfinite(peak) else 0.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return float(shift + np.log(np.exp(row - shift).sum()))


def logsumexp_rows(rows: Rows, dtype: np.dtype[Any]) -> FloatArray:
    out = np.empty(rows.n, dtype=dtype)

    def body(start: int, stop: int, scratch: FloatArray) -> None:
        out[start:stop] = block_logsumexp(rows.block(start, stop), scratch)

    for_each_block(rows, dtype, body)
    return out


def softmax_rows(rows: Rows, out: FloatArray, *, log: bool) -> FloatArray:
    """Write softmax (or log-softmax) of ``rows`` into ``out`` (shape (n, k)).
    Return the per-row log-sum-exp, so the caller can reject undefined rows."""
    lse = np.empty(rows.n, dtype=out.dtype)

    def body(start: int, stop: int, scratch: FloatArray) -> None:
        block = rows.block(start, stop)
        exp_shifted, shift, log_rest, lse[start:stop] = block_softmax_parts(block, scratch)
        target = out[start:stop]
        if log:
            np.subtract(block, shift[:, None], out=target)
            target -= log_rest[:, None].astype(out.dtype)
        else:
            np.divide(exp_shifted, np.exp(log_rest)[:, None].astype(out.dtype), out=target)

    for_each_block(rows, out.dtype, body)
    return lse


def _effective_target(
    block_target: NDArray[Any],
    class_weight: FloatArray | None,
    smoothing: float,
    dtype: np.dtype[Any],
) -> FloatArray:
    """``w * ((1 - eps) * y + eps / k)``: the per-class coefficients of ``-log p``."""
    a = block_target.astype(dtype, copy=True)
    k = a.shape[1]
    if smoothing:
        a *= 1.0 - smoothing
        a += smoothing / k
    if class_weight is not None:
        a *= class_weight
    return a


def _dense_index_target(
    indices: NDArray[np.intp],
    k: int,
    class_weight: FloatArray | None,
    smoothing: float,
    dtype: np.dtype[Any],
) -> FloatArray:
    a = np.zeros((indices.shape[0], k), dtype=dtype)
    a[np.arange(indices.shape[0]), indices] = 1.0
    return _effective_target(a, class_weight, smoothing, dtype)


def target_weight(
    target: NDArray[np.intp] | Rows,
    class_weight: FloatArray,
    smoothing: float,
    dtype: np.dtype[Any],
) -> FloatArray:
    """Per-sample ``sum_c w_c y'_c``, the weight of each sample's target."""
    if isinstance(target, Rows):
        out = np.empty(target.n, dtype=dtype)

        def body(start: int, stop: int, scratch: FloatArray) -> None:
            out[start:stop] = target.block(start, stop).astype(dtype, copy=False) @ class_weight

        for_each_block(target, dtype, body)
    else:
        out = class_weight[target]
    result: FloatArray = (1.0 - smoothing) * out + smoothing * class_weight.mean()
    return result


def categorical_losses(
    predicted: Rows,
    target: NDArray[np.intp] | Rows,
    *,
    from_logits: bool,
    class_weight: FloatArray | None,
    smoothing: float,
    dtype: np.dtype[Any],
    target_sums: NDArray[np.float64] | None = None,
    per_row: bool = True,
) -> Losses:
    """Per-sample ``-sum_c w_c y'_c log p_c``, and for logits the first row whose
    log-sum-exp is not finite (its softmax is undefined).

    ``target`` is class indices (with ignored entries already replaced by a valid
    index) or a :class:`Rows` of probabilities with their row sums ``target_sums``.
    With ``per_row=False`` the caller needs only the sum of the losses, and the
    fast path (logits, class indices, no weights or smoothing) returns just that.
    """
    if from_logits and not isinstance(target, Rows):
        return _index_losses_from_logits(
            predicted, target, class_weight, smoothing, dtype, per_row=per_row
        )
    n, k = predicted.n, predicted.k
    loss = np.empty(n, dtype=dtype)
    lse_all = np.empty(n, dtype=np.float64) if from_logits else None

    def body(start: int, stop: int, scratch: FloatArray) -> None:
        block = predicted.block(start, stop)
        lse: FloatArray | None = None
        log_p: FloatArray | None = None
        nll: FloatArray
        if from_logits and isinstance(target, Rows) and class_weight is None:
            assert target_sums is not None
            assert lse_all is not None
            nll, lse_all[start:stop] = block_soft_nll(
                block, target.block(start, stop), target_sums[start:stop], scratch
            )
            if smoothing:
                uniform = lse_all[start:stop] - block.mean(axis=1, dtype=np.float64)
                nll = _mul0(1.0 - smoothing, nll) + smoothing * uniform
            loss[start:stop] = nll
            return
        if from_logits:
            assert lse_all is not None
            lse = lse_all[start:stop] = block_logsumexp(block, scratch)
        elif isinstance(target, Rows) or smoothing:
            log_p = np.log(block, out=scratch[: stop - start])
        if isinstance(target, Rows):
            a = _effective_target(target.block(start, stop), class_weight, smoothing, dtype)
            if lse is not None:
                # -sum a (z - lse) = lse * sum(a) - sum(a z)
                loss[start:stop] = _mul0(a.sum(axis=1), lse) - _dot0(a, block)
            else:
                assert log_p is not None
                loss[start:stop] = -_dot0(a, log_p)
            return
        indices = target[start:stop]
        nll = -np.log(block[np.arange(stop - start), indices])
        if class_weight is not None:
            nll = _mul0(class_weight[indices], nll)
        if smoothing:  # the uniform part of y' = (1 - eps) y + eps / k
            assert log_p is not None
            if class_weight is None:
                uniform = -log_p.mean(axis=1)
            else:
                uniform = -_matvec0(log_p, class_weight) / k
            nll = _mul0(1.0 - smoothing, nll) + smoothing * uniform
        loss[start:stop] = nll

    for_each_block(predicted, dtype, body)
    return Losses(loss, None, None if lse_all is None else first_undefined(lse_all))


class Losses(NamedTuple):
    """Per-sample losses (None when only their sum was asked for), or their sum."""

    per_row: FloatArray | None
    total: float | None  # the sum of the per-row losses, when per_row is None
    undefined: tuple[int, float] | None  # first row whose log-sum-exp is not finite


def first_undefined(lse: FloatArray) -> tuple[int, float] | None:
    """The first row whose log-sum-exp is +inf, -inf or NaN, and that value."""
    finite = np.isfinite(lse)
    if finite.all():
        return None
    row = int(np.argmin(finite))
    return row, float(lse[row])


def plain_index_losses(
    predicted: Rows,
    target: NDArray[np.intp] | Rows,
    dtype: np.dtype[Any],
    *,
    per_row: bool,
) -> Losses | None:
    """Losses from logits and class indices, without weights or smoothing: the fast
    path. ``target`` may also be probability targets not yet checked; their classes
    are then found on the way, and the result is None if they are not all one-hot."""
    losses = np.empty(predicted.n, dtype=dtype) if per_row else None
    if isinstance(target, Rows):
        labels = np.empty(predicted.n, dtype=np.intp)
        result = index_nll_rows(predicted, labels, losses=losses, one_hot=target)
        if not result.complete:
            return None
    else:
        result = index_nll_rows(predicted, target, losses=losses)
    return Losses(losses, None if per_row else result.total, result.undefined)


def _index_losses_from_logits(
    predicted: Rows,
    target: NDArray[np.intp],
    class_weight: FloatArray | None,
    smoothing: float,
    dtype: np.dtype[Any],
    *,
    per_row: bool,
) -> Losses:
    """:func:`categorical_losses` for logits and class indices: the fast path."""
    n, k = predicted.n, predicted.k
    if class_weight is None and not smoothing:
        losses = plain_index_losses(predicted, target, dtype, per_row=per_row)
        assert losses is not None
        return losses
    hook: BlockHook | None = None
    if smoothing:
        # The uniform part of y' = (1 - eps) y + eps / k needs the (weighted) mean
        # logit of each row, taken while the block is in cache.
        logit_means = np.empty(n, dtype=np.float64)

        def hook(start: int, stop: int, block: FloatArray) -> None:
            if class_weight is None:
                logit_means[start:stop] = block.mean(axis=1)
            else:
                logit_means[start:stop] = _matvec0(block, class_weight) / k

    nll: FloatArray = np.empty(n, dtype=np.float64)
    lse = np.empty(n, dtype=np.float64)
    undefined = index_nll_rows(predicted, target, losses=nll, lse=lse, hook=hook).undefined
    if class_weight is not None:
        nll = _mul0(class_weight[target], nll)
    if smoothing:
        # An undefined row (lse +inf or NaN) gives NaN here quietly; the caller
        # reports that row as an error.
        with np.errstate(invalid="ignore"):
            if class_weight is None:
                uniform = lse - logit_means
            else:
                uniform = _mul0(class_weight.mean(), lse) - logit_means
            nll = _mul0(1.0 - smoothing, nll) + smoothing * uniform
    return Losses(nll.astype(dtype, copy=False), None, undefined)


def categorical_gradient(
    predicted: Rows,
    target: NDArray[np.intp] | Rows,
    *,
    from_logits: bool,
    class_weight: FloatArray | None,
    smoothing: float,
    row_scale: FloatArray,
    out: FloatArray,
) -> FloatArray | None:
    """Write ``row_scale_i * d(-sum_c w_c y'_c log p_c)/d predicted`` into ``out``.

    For logits that is ``sum(a) * softmax(z) - a``; for probabilities ``-a / p``
    (0 where ``a`` is 0). Return the per-row log-sum-exp for logits.
    """
    dtype = out.dtype
    lse_all = np.empty(predicted.n, dtype=dtype) if from_logits else None

    def body(start: int, stop: int, scratch: FloatArray) -> None:
        block = predicted.block(start, stop)
        if isinstance(target, Rows):
            a = _effective_target(target.block(start, stop), class_weight, smoothing, dtype)
        else:
            a = _dense_index_target(target[start:stop], predicted.k, class_weight, smoothing, dtype)
        grad = out[start:stop]
        if lse_all is not None:
            exp_shifted, _, log_rest, lse_all[start:stop] = block_softmax_parts(block, scratch)
            total = a.sum(axis=1) / np.exp(log_rest)  # sum(a) / sum(exp(z - m))
            np.multiply(exp_shifted, total[:, None].astype(dtype), out=grad)
            grad -= a
        else:
            grad.fill(0)
            np.divide(a, block, out=grad, where=a != 0)  # a = 0 -> 0, even at p = 0
            np.negative(grad, out=grad)
        grad *= row_scale[start:stop, None]

    for_each_block(predicted, dtype, body)
    return lse_all


def xlogy_rows(x: Rows, y: Rows | None, dtype: np.dtype[Any]) -> FloatArray:
    """Per-row ``sum x log(x / y)`` (or ``sum x log x`` when ``y`` is None),
    with ``0 log(0 / y) = 0`` and ``x log(x / 0) = inf`` for ``x > 0``."""
    out = np.empty(x.n, dtype=dtype)

    def body(start: int, stop: int, scratch: FloatArray) -> None:
        xb = x.block(start, stop).astype(dtype, copy=False)
        if y is None:
            out[start:stop] = _dot0(xb, np.log(xb))
            return
        yb = y.block(start, stop).astype(dtype, copy=False)
        log_ratio = np.log(xb / yb)
        # x / y overflows when y is tiny but positive (subnormal): the ratio is then
        # finite in exact arithmetic, and log x - log y gets it.
        overflowed = np.isinf(log_ratio) & (yb > 0) & (xb > 0)
        if overflowed.any():
            log_ratio[overflowed] = np.log(xb[overflowed]) - np.log(yb[overflowed])
        out[start:stop] = _dot0(xb, log_ratio)

    for_each_block(x, dtype, body)
    return out
