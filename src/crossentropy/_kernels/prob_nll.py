"""Probabilities as the prediction: ``-sum_c a_c log p_c`` per row, for class-index
or probability targets. Probabilities have no undefined rows: a zero probability
where the target has mass gives ``+inf``, as it should.

Imports the engine and the kernels :mod:`.primitives` and :mod:`.coefficients`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._engine import Body, Rows, for_each_block
from .._typing import FloatArray, Losses
from .coefficients import IndexCoefficients, ProbCoefficients
from .primitives import dot0, matvec0, mul0


class _ProbSoftPass:
    def __init__(self, predicted: Rows, coefficients: ProbCoefficients, loss: FloatArray) -> None:
        self.predicted, self.coefficients, self.loss = predicted, coefficients, loss

    def __call__(self, start: int, stop: int, scratch: FloatArray) -> None:
        log_p = np.log(self.predicted.block(start, stop), out=scratch[: stop - start])
        a = self.coefficients.block(start, stop, self.loss.dtype)
        self.loss[start:stop] = -dot0(a, log_p)


class _ProbIndexPass:
    def __init__(self, predicted: Rows, coefficients: IndexCoefficients, loss: FloatArray) -> None:
        self.predicted, self.loss = predicted, loss
        self.labels = coefficients.labels
        self.class_weight, self.smoothing = coefficients.class_weight, coefficients.smoothing

    def __call__(self, start: int, stop: int, scratch: FloatArray) -> None:
        block = self.predicted.block(start, stop)
        labels = self.labels[start:stop]
        nll = -np.log(block[np.arange(stop - start), labels])
        if self.class_weight is not None:
            nll = mul0(self.class_weight[labels], nll)
        if self.smoothing:  # the uniform part of y' = (1 - eps) y + eps / k
            log_p = np.log(block, out=scratch[: stop - start])
            if self.class_weight is None:
                uniform = -log_p.mean(axis=1)
            else:
                uniform = -matvec0(log_p, self.class_weight) / block.shape[1]
            nll = mul0(1.0 - self.smoothing, nll) + self.smoothing * uniform
        self.loss[start:stop] = nll


def _losses(predicted: Rows, dtype: np.dtype[Any], body: Callable[[FloatArray], Body]) -> Losses:
    """Run the pass ``body(loss)`` over ``predicted``, into a fresh ``loss`` array."""
    loss = np.empty(predicted.n, dtype=dtype)
    for_each_block(predicted, dtype, body(loss))
    return Losses(loss, None)


def prob_soft_losses(
    predicted: Rows, coefficients: ProbCoefficients, dtype: np.dtype[Any]
) -> Losses:
    """Per-sample ``-sum_c w_c y'_c log p_c`` for probability targets."""
    return _losses(predicted, dtype, lambda loss: _ProbSoftPass(predicted, coefficients, loss))


def prob_index_losses(
    predicted: Rows, coefficients: IndexCoefficients, dtype: np.dtype[Any]
) -> Losses:
    """Per-sample ``-sum_c w_c y'_c log p_c`` for class-index targets."""
    return _losses(predicted, dtype, lambda loss: _ProbIndexPass(predicted, coefficients, loss))
