"""Logits against probability targets: ``-sum_c a_c log softmax(z)_c`` per row.

Imports the engine and the kernels :mod:`.primitives`, :mod:`.coefficients` and
:mod:`.softmax`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._engine import Rows, for_each_block
from .._typing import FloatArray, Losses
from .coefficients import ProbCoefficients
from .primitives import dot0, exp_in_place, mul0, row_sums
from .softmax import block_logsumexp, exact_logsumexp, undefined_rows


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
        exp_in_place(work)
        np.subtract(work, y, out=work)
        log_s = np.log1p(row_sums(work) + (target_sums - 1.0))
        nll = target_sums * log_s - residual
        lse = shift.astype(np.float64) + log_s
    bad = ~(np.isfinite(nll) & np.isfinite(lse))
    for row in np.flatnonzero(bad):  # rare: huge losses and non-finite logits
        lse[row] = exact_logsumexp(block[row])
        weights = target[row].astype(np.float64)
        logits = block[row].astype(np.float64)
        with np.errstate(invalid="ignore"):
            picked = np.where(weights == 0, 0.0, weights * logits).sum()
            nll[row] = lse[row] * target_sums[row] - picked
    return nll, lse


class _SoftPass:
    """Logits against probability targets without class weights (:func:`block_soft_nll`),
    mixed with the uniform part for label smoothing."""

    def __init__(
        self,
        predicted: Rows,
        coefficients: ProbCoefficients,
        sums: NDArray[np.float64],
        loss: FloatArray,
        lse: NDArray[np.float64],
    ) -> None:
        self.predicted, self.target, self.sums = predicted, coefficients.rows, sums
        self.smoothing, self.loss, self.lse = coefficients.smoothing, loss, lse

    def __call__(self, start: int, stop: int, scratch: FloatArray) -> None:
        block = self.predicted.block(start, stop)
        targets = self.target.block(start, stop)
        nll, self.lse[start:stop] = block_soft_nll(block, targets, self.sums[start:stop], scratch)
        if self.smoothing:
            uniform = self.lse[start:stop] - block.mean(axis=1, dtype=np.float64)
            nll = mul0(1.0 - self.smoothing, nll) + self.smoothing * uniform
        self.loss[start:stop] = nll


class _WeightedSoftPass:
    """Logits against probability targets with class weights:
    ``-sum a (z - lse) = lse * sum(a) - sum(a z)``."""

    def __init__(
        self,
        predicted: Rows,
        coefficients: ProbCoefficients,
        loss: FloatArray,
        lse: NDArray[np.float64],
    ) -> None:
        self.predicted, self.coefficients, self.loss, self.lse = predicted, coefficients, loss, lse

    def __call__(self, start: int, stop: int, scratch: FloatArray) -> None:
        block = self.predicted.block(start, stop)
        lse = self.lse[start:stop] = block_logsumexp(block, scratch)
        a = self.coefficients.block(start, stop, self.loss.dtype)
        self.loss[start:stop] = mul0(a.sum(axis=1), lse) - dot0(a, block)


def soft_losses(
    predicted: Rows,
    coefficients: ProbCoefficients,
    sums: NDArray[np.float64],
    dtype: np.dtype[Any],
) -> Losses:
    """Per-sample ``-sum_c w_c y'_c log softmax(z)_c`` for probability targets with
    row sums ``sums``, and the rows whose softmax is undefined."""
    loss = np.empty(predicted.n, dtype=dtype)
    lse = np.empty(predicted.n, dtype=np.float64)
    body = (
        _SoftPass(predicted, coefficients, sums, loss, lse)
        if coefficients.class_weight is None
        else _WeightedSoftPass(predicted, coefficients, loss, lse)
    )
    for_each_block(predicted, dtype, body)
    return Losses(loss, undefined_rows(lse))
