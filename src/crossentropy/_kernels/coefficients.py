"""The per-class coefficients of ``-log p``: ``a = w * y'``, class weight times the
smoothed target ``y' = (1 - eps) y + eps / k``, for a block of targets in either form,
and each sample's total target weight ``sum_c w_c y'_c`` (the mean's denominator).

Imports the engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._engine import Rows, for_each_block
from .._typing import FloatArray, IndexArray


def effective_target(
    block_target: NDArray[Any],
    class_weight: FloatArray | None,
    smoothing: float,
    dtype: np.dtype[Any],
) -> FloatArray:
    """``w * ((1 - eps) * y + eps / k)`` for a block of probability targets ``y``."""
    a = block_target.astype(dtype, copy=True)
    k = a.shape[1]
    if smoothing:
        a *= 1.0 - smoothing
        a += smoothing / k
    if class_weight is not None:
        a *= class_weight
    return a


def dense_index_target(
    labels: IndexArray,
    k: int,
    class_weight: FloatArray | None,
    smoothing: float,
    dtype: np.dtype[Any],
) -> FloatArray:
    """:func:`effective_target` of the one-hot rows of class indices ``labels``."""
    a = np.zeros((labels.shape[0], k), dtype=dtype)
    a[np.arange(labels.shape[0]), labels] = 1.0
    return effective_target(a, class_weight, smoothing, dtype)


class IndexCoefficients:
    """The coefficients of blocks of class-index targets."""

    def __init__(
        self, labels: IndexArray, k: int, class_weight: FloatArray | None, smoothing: float
    ) -> None:
        self.labels, self.k, self.class_weight, self.smoothing = labels, k, class_weight, smoothing

    def block(self, start: int, stop: int, dtype: np.dtype[Any]) -> FloatArray:
        return dense_index_target(
            self.labels[start:stop], self.k, self.class_weight, self.smoothing, dtype
        )


class ProbCoefficients:
    """The coefficients of blocks of probability targets."""

    def __init__(self, rows: Rows, class_weight: FloatArray | None, smoothing: float) -> None:
        self.rows, self.class_weight, self.smoothing = rows, class_weight, smoothing

    def block(self, start: int, stop: int, dtype: np.dtype[Any]) -> FloatArray:
        return effective_target(
            self.rows.block(start, stop), self.class_weight, self.smoothing, dtype
        )


Coefficients = IndexCoefficients | ProbCoefficients


def _smoothed_weight(weight: FloatArray, class_weight: FloatArray, smoothing: float) -> FloatArray:
    result: FloatArray = (1.0 - smoothing) * weight + smoothing * class_weight.mean()
    return result


def index_target_weight(
    labels: IndexArray, class_weight: FloatArray, smoothing: float
) -> FloatArray:
    """Per-sample ``sum_c w_c y'_c`` for class-index targets."""
    return _smoothed_weight(class_weight[labels], class_weight, smoothing)


class _TargetWeightPass:
    def __init__(self, rows: Rows, class_weight: FloatArray, out: FloatArray) -> None:
        self.rows, self.class_weight, self.out = rows, class_weight, out

    def __call__(self, start: int, stop: int, scratch: FloatArray) -> None:
        block = self.rows.block(start, stop).astype(self.out.dtype, copy=False)
        self.out[start:stop] = block @ self.class_weight


def prob_target_weight(
    rows: Rows, class_weight: FloatArray, smoothing: float, dtype: np.dtype[Any]
) -> FloatArray:
    """Per-sample ``sum_c w_c y'_c`` for probability targets, in ``dtype``."""
    out = np.empty(rows.n, dtype=dtype)
    for_each_block(rows, dtype, _TargetWeightPass(rows, class_weight, out))
    return _smoothed_weight(out, class_weight, smoothing)
