"""The categorical gradients, each row scaled as the reduction scales its loss.

For logits, ``d(-sum_c a_c log softmax(z)_c)/dz = sum(a) * softmax(z) - a``; for
probabilities, ``-a / p`` (0 where ``a`` is 0). The scale of each row comes from
:mod:`crossentropy._reduce`, which the caller asks; a row whose scale is 0 (an ignored
sample, a sample weight of 0) is 0, even where ``-a / p`` is infinite (an ignored
label is class 0 inside, whose probability may be 0). Imports the engine and the
kernels :mod:`.coefficients`, :mod:`.primitives` and :mod:`.softmax`.
"""

from __future__ import annotations

import numpy as np

from .._engine import Rows, for_each_block
from .._typing import FloatArray
from .coefficients import Coefficients
from .primitives import scale_rows0
from .softmax import block_softmax_parts


class _LogitsGradientPass:
    def __init__(
        self,
        predicted: Rows,
        coefficients: Coefficients,
        row_scale: FloatArray,
        out: FloatArray,
        lse: FloatArray,
    ) -> None:
        self.predicted, self.coefficients, self.row_scale = predicted, coefficients, row_scale
        self.out, self.lse = out, lse

    def __call__(self, start: int, stop: int, scratch: FloatArray) -> None:
        dtype = self.out.dtype
        block = self.predicted.block(start, stop)
        a = self.coefficients.block(start, stop, dtype)
        grad = self.out[start:stop]
        exp_shifted, _, log_rest, self.lse[start:stop] = block_softmax_parts(block, scratch)
        total = a.sum(axis=1) / np.exp(log_rest)  # sum(a) / sum(exp(z - m))
        np.multiply(exp_shifted, total[:, None].astype(dtype), out=grad)
        grad -= a
        scale_rows0(grad, self.row_scale[start:stop])


def logits_gradient(
    predicted: Rows, coefficients: Coefficients, row_scale: FloatArray, out: FloatArray
) -> FloatArray:
    """Write ``row_scale_i * (sum(a) softmax(z) - a)`` into ``out`` (shape (n, k));
    return the per-row log-sum-exp, so the caller can reject undefined rows."""
    lse = np.empty(predicted.n, dtype=out.dtype)
    body = _LogitsGradientPass(predicted, coefficients, row_scale, out, lse)
    for_each_block(predicted, out.dtype, body)
    return lse


class _ProbsGradientPass:
    def __init__(
        self, predicted: Rows, coefficients: Coefficients, row_scale: FloatArray, out: FloatArray
    ) -> None:
        self.predicted, self.coefficients, self.row_scale = predicted, coefficients, row_scale
        self.out = out

    def __call__(self, start: int, stop: int, scratch: FloatArray) -> None:
        block = self.predicted.block(start, stop)
        a = self.coefficients.block(start, stop, self.out.dtype)
        grad = self.out[start:stop]
        grad.fill(0)
        np.divide(a, block, out=grad, where=a != 0)  # a = 0 -> 0, even at p = 0
        np.negative(grad, out=grad)
        scale_rows0(grad, self.row_scale[start:stop])


def probs_gradient(
    predicted: Rows, coefficients: Coefficients, row_scale: FloatArray, out: FloatArray
) -> None:
    """Write ``row_scale_i * (-a / p)`` (0 where ``a`` is 0) into ``out`` (shape (n, k))."""
    body = _ProbsGradientPass(predicted, coefficients, row_scale, out)
    for_each_block(predicted, out.dtype, body)
