"""Logits against class indices: ``logsumexp(z) - z_t`` per row, the fast path.

The loss needs only that difference, so no row is shifted at all:

    lse - z_t = log1p(sum_{j != t} exp(z_j) * exp(-z_t)),

with ``exp(z_j)`` computed in the input's dtype (:func:`.primitives.exp_in_place`),
the target's own term set to 0, and the rest summed and scaled. ``log1p`` keeps full
relative accuracy for a confident prediction, where the sum is tiny. For float32 the
error is below ~5e-6 relative (the rounding of ``z * log2(e)`` for ``|z| < 88``) plus
1e-7 absolute (subnormal terms; :func:`.primitives.underflow_floor`). Rows outside
that range -- a logit above ~88 (float32) or ~709 (float64), a target logit where
``exp(-t)`` is subnormal (:func:`.primitives.exp_ceiling`), a loss above ~88 where rows
are finished in float32, a target logit below the floor, NaN or infinite logits --
are recomputed exactly, max-shifted, in float64 (:func:`exact_index_nll`,
vectorised over those rows).

Each block costs three passes (multiply, exp2, row sums) and one scatter; its steps
are the functions named in :meth:`IndexNllPass.block_steps`. The per-row work runs
per block, in the block's dtype, when blocks have many rows (small ``k``), and once
over the batch, in float64, otherwise (:data:`PER_BLOCK_ROWS`). A mean or sum needs
only the total: then, for small ``k``, nothing batch-sized is allocated at all (fresh
memory costs a page fault per 4 KiB, which at 10 classes is as much as the arithmetic).

Probability targets that are probably one-hot can be passed instead of class indices
(:func:`one_hot_losses`): each block of targets is tested
(:func:`.rowstats.one_hot_classes`) just before its block of logits is used, in the
same pass, so that the two reads overlap. On the first block that is not one-hot the
pass stops and says so (:class:`NotOneHot`); it never raises.

Imports the engine and the kernels :mod:`.primitives`, :mod:`.rowstats` and
:mod:`.softmax`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .._engine import BLOCK_BYTES, Rows, for_each_block, per_row
from .._typing import FloatArray, IndexArray, Losses, Undefined
from .coefficients import IndexCoefficients
from .primitives import (
    exp_ceiling,
    exp_in_place,
    matvec0,
    mul0,
    row_sums,
    take_flat,
    underflow_floor,
)
from .rowstats import block_offsets, one_hot_classes
from .softmax import merged

#: Blocks of at least this many rows finish their per-row work (a dozen NumPy calls)
#: themselves, in arrays each thread keeps (:func:`~crossentropy._engine.per_row`);
#: for blocks of fewer rows the calls would cost more than the rows, and the per-row
#: work runs once per batch.
PER_BLOCK_ROWS = 1024

#: Rows of one block of this kernel, at most. More than the engine's default: its
#: per-row arrays are kept between calls, so large blocks cost no page faults, and
#: with few classes a block of many rows makes fewer, longer NumPy calls.
INDEX_BLOCK_ROWS = 1 << 15

#: What the per-row steps of a block (each row's target offset, gather and scatter,
#: the row sums' loop over rows, the finish) cost, in elements of the per-element
#: steps. With few classes they are most of a row's work, so a row counts as
#: ``k + ROW_WORK`` elements when a pass decides how many threads to use
#: (:func:`~crossentropy._engine.thread_count`); a pass that tests one-hot targets
#: reads and tests a row of targets for each row of logits, and counts each row twice.
ROW_WORK = 24

#: ``hook(start, stop, block)``: runs on each block of logits while it is in cache.
BlockHook = Callable[[int, int, FloatArray], None]


@dataclass(frozen=True)
class NotOneHot:
    """The answer of :func:`one_hot_losses` when a block of targets was not one-hot."""


class IndexNll(NamedTuple):
    """What :class:`IndexNllPass` learns besides the arrays it fills."""

    total: float  # sum of the per-row losses, in float64
    undefined: Undefined | None  # the rows whose log-sum-exp is not finite
    complete: bool = True  # False: a block of guessed one-hot targets was not one-hot


# --- the steps of one block ---------------------------------------------------------


def target_offsets(
    offsets: IndexArray, labels: IndexArray, out: IndexArray | None = None
) -> IndexArray:
    """Each row's target as a flat offset into its block: one gather and one scatter
    then do what (row, column) pairs would, at half the cost."""
    result: IndexArray = np.add(offsets, labels, out=out)
    return result


def zero_at(work: FloatArray, flat: IndexArray) -> None:
    """Set the entries at flat offsets ``flat`` of ``work`` to 0: the target's own
    term, which is the 1 in ``log1p``."""
    work.reshape(-1)[flat] = 0


def log1p_losses(t: FloatArray, row_sum: FloatArray, nll: FloatArray) -> float:
    """``nll = log1p(exp(-t) * row_sum)``, in ``nll``'s dtype; return their float64 sum."""
    np.negative(t, out=nll)
    np.exp(nll, out=nll)
    nll *= row_sum
    np.log1p(nll, out=nll)
    return float(nll.sum(dtype=np.float64))


# --- one pass over a batch ----------------------------------------------------------


class IndexNllPass:
    """``logsumexp(z) - z_t`` for each row and its target ``t``: written to ``losses``
    (if given), with each row's ``logsumexp(z)`` in ``lse`` (if given), and summed.

    ``hook``, if given, runs on each block while it is in cache (label smoothing needs
    a second statistic of the logits). With ``guess`` (probability targets, not yet
    checked), ``labels`` is filled in from them block by block (see the module
    docstring). Call :meth:`run` once.
    """

    def __init__(
        self,
        rows: Rows,
        labels: IndexArray,
        *,
        losses: FloatArray | None = None,
        lse: NDArray[np.float64] | None = None,
        hook: BlockHook | None = None,
        guess: Rows | None = None,
    ) -> None:
        self.rows = rows = rows.with_max_rows(INDEX_BLOCK_ROWS)
        self.labels, self.losses, self.lse, self.hook, self.guess = labels, losses, lse, hook, guess
        self.floor = underflow_floor(rows.dtype, rows.k)
        self.offsets = block_offsets(rows)
        self.partial = np.zeros(max(1, rows.blocks))  # per-block totals
        self.undefined: list[Undefined] = []
        self.stopped = False  # a block of guessed targets was not one-hot
        self.per_block = rows.step >= PER_BLOCK_ROWS
        # For the per-batch finish only (empty otherwise: nothing batch-sized is made).
        batch = 0 if self.per_block else rows.n
        self.target_logits = np.empty(batch, dtype=rows.dtype)
        self.sums = np.empty(batch, dtype=np.float64)

    def run(self) -> IndexNll:
        rows = self.rows
        work = rows.n * (rows.k + ROW_WORK) * (1 if self.guess is None else 2)
        for_each_block(rows, rows.dtype, self, work=work)
        if self.stopped:
            return IndexNll(float("nan"), None, complete=False)
        if not self.per_block:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
                nll = np.empty(self.rows.n, dtype=np.float64)
                self.partial[0] = self.finish(0, self.target_logits, self.sums, nll)
        return IndexNll(float(self.partial.sum()), merged(self.undefined))

    def __call__(self, start: int, stop: int, scratch: FloatArray) -> None:
        if self.guess is not None:
            if self.stopped:
                return  # the pass is abandoned
            targets = self.guess.block(start, stop)
            if not one_hot_classes(targets, self.labels[start:stop], self.offsets):
                self.stopped = True
                return
        block = self.rows.block(start, stop)
        work = scratch[: stop - start]
        exp_in_place(work, source=block)
        if self.per_block:
            self.partial[start // self.rows.step] = self.block_steps(start, block, work)
            return
        local = target_offsets(self.offsets[: stop - start], self.labels[start:stop])
        self.target_logits[start:stop] = take_flat(block, local)
        zero_at(work, local)
        row_sums(work, out=self.sums[start:stop])
        if self.hook is not None:
            self.hook(start, stop, block)

    def block_steps(self, start: int, block: FloatArray, work: FloatArray) -> float:
        """A block's gather, scatter, row sums and finish, in kept per-row arrays;
        ``work`` holds ``exp(block)``. Return the block's total."""
        m = block.shape[0]
        dtype = work.dtype
        with per_row(m, np.dtype(np.intp), dtype, dtype, dtype) as (local, t, row_sum, nll):
            target_offsets(self.offsets[:m], self.labels[start : start + m], out=local)
            take_flat(block, local, out=t)
            zero_at(work, local)
            row_sums(work, out=row_sum)
            if self.hook is not None:
                self.hook(start, start + m, block)
            return self.finish(start, t, row_sum, nll)

    def finish(self, start: int, t: FloatArray, row_sum: FloatArray, nll: FloatArray) -> float:
        """The per-row part for rows ``start:start + len(t)``, in ``nll``'s dtype."""
        # Above this target logit exp(-t) is subnormal in nll's dtype: it has lost digits.
        ceiling = exp_ceiling(nll.dtype)
        total = log1p_losses(t, row_sum, nll)
        stop = start + t.shape[0]
        row_lse = None if self.lse is None else np.add(t, nll, out=self.lse[start:stop])
        if t.shape[0] and not (np.isfinite(total) and self.floor <= t.min() and t.max() <= ceiling):
            # Rare: huge or tiny logits, huge losses, non-finite logits. (NaN fails
            # every comparison; a +inf target logit would give 0 for inf - inf.)
            accurate = t >= self.floor
            accurate &= t <= ceiling
            accurate &= np.isfinite(nll)
            which = start + np.flatnonzero(~accurate)
            exact = self.recompute_exactly(which, start, nll, row_lse)
            # In float64: one exact loss may exceed what nll's dtype holds.
            total = float(np.where(accurate, nll, 0).sum(dtype=np.float64) + exact.sum())
        if self.losses is not None:
            self.losses[start:stop] = nll
        return total

    def recompute_exactly(
        self,
        which: IndexArray,
        start: int,
        nll: FloatArray,
        lse: NDArray[np.float64] | None,
    ) -> NDArray[np.float64]:
        """Overwrite the losses (and log-sum-exps) of rows ``which`` with
        :func:`exact_index_nll`; ``nll`` and ``lse`` hold rows from ``start`` on. Rows
        are taken a few at a time, so that their float64 copies stay block-sized.
        Note the rows whose log-sum-exp is not finite. Return the exact losses, in
        float64."""
        chunk = max(1, BLOCK_BYTES // (8 * self.rows.k))
        exact = np.empty(which.shape[0])
        for first in range(0, which.shape[0], chunk):
            picked = which[first : first + chunk]
            loss, exact_lse = exact_index_nll(self.rows.take(picked), self.labels[picked])
            exact[first : first + chunk] = loss
            nll[picked - start] = loss
            if lse is not None:
                lse[picked - start] = exact_lse
            bad = ~np.isfinite(exact_lse)
            if bad.any():
                self.undefined.append(Undefined(picked[bad], exact_lse[bad]))
        return exact


def exact_index_nll(
    values: FloatArray, labels: IndexArray
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``logsumexp(z) - z_t`` and ``logsumexp(z)`` of each row, max-shifted, in float64.

    Where the target is the row's max, its term is exactly 1 and the loss is
    ``log1p`` of the others (full relative accuracy for a confident prediction);
    elsewhere the loss is at least log 2 and the plain difference is accurate.
    Follows the kernels' conventions for rows that are not finite.
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


# --- the loss kernels ---------------------------------------------------------------


def index_losses(
    predicted: Rows, labels: IndexArray, dtype: np.dtype[Any], *, per_row: bool
) -> Losses:
    """Losses from logits and class indices, without weights or smoothing. With
    ``per_row=False`` only their sum is returned."""
    losses = np.empty(predicted.n, dtype=dtype) if per_row else None
    result = IndexNllPass(predicted, labels, losses=losses).run()
    return Losses(result.total if losses is None else losses, result.undefined)


def one_hot_losses(
    predicted: Rows, guess: Rows, dtype: np.dtype[Any], *, per_row: bool
) -> Losses | NotOneHot:
    """:func:`index_losses` for probability targets that are probably one-hot, their
    classes found on the way; :class:`NotOneHot` if a block of them is not."""
    losses = np.empty(predicted.n, dtype=dtype) if per_row else None
    labels = np.empty(predicted.n, dtype=np.intp)
    result = IndexNllPass(predicted, labels, losses=losses, guess=guess).run()
    if not result.complete:
        return NotOneHot()
    return Losses(result.total if losses is None else losses, result.undefined)


class _LogitMeans:
    """A hook that keeps each row's (class-weighted) mean logit: the uniform part of
    ``y' = (1 - eps) y + eps / k`` needs it."""

    def __init__(self, n: int, k: int, class_weight: FloatArray | None) -> None:
        self.means = np.empty(n, dtype=np.float64)
        self.k, self.class_weight = k, class_weight

    def __call__(self, start: int, stop: int, block: FloatArray) -> None:
        if self.class_weight is None:
            self.means[start:stop] = block.mean(axis=1)
        else:
            self.means[start:stop] = matvec0(block, self.class_weight) / self.k


def weighted_index_losses(
    predicted: Rows, coefficients: IndexCoefficients, dtype: np.dtype[Any]
) -> Losses:
    """Per-sample ``-sum_c w_c y'_c log softmax(z)_c`` for class indices, with class
    weights or label smoothing (or both): the fast path's losses, then weighted and
    mixed with the uniform part."""
    n, labels = predicted.n, coefficients.labels
    class_weight, smoothing = coefficients.class_weight, coefficients.smoothing
    means = _LogitMeans(n, predicted.k, class_weight) if smoothing else None
    nll: FloatArray = np.empty(n, dtype=np.float64)
    lse = np.empty(n, dtype=np.float64)
    undefined = IndexNllPass(predicted, labels, losses=nll, lse=lse, hook=means).run().undefined
    if class_weight is not None:
        nll = mul0(class_weight[labels], nll)
    if means is not None:
        # An undefined row (lse +inf or NaN) gives NaN here quietly; the caller
        # reports that row as an error.
        with np.errstate(invalid="ignore"):
            if class_weight is None:
                uniform = lse - means.means
            else:
                uniform = mul0(class_weight.mean(), lse) - means.means
            nll = mul0(1.0 - smoothing, nll) + smoothing * uniform
    with np.errstate(over="ignore"):  # a loss beyond float32's range is inf there
        return Losses(nll.astype(dtype, copy=False), undefined)
