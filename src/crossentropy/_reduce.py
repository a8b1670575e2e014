"""The one reduction rule shared by every loss in the package, and by the gradients.

Given per-sample losses ``l_i``, per-sample multipliers ``m_i`` (sample weight,
times 0 for an ignored sample; :func:`sample_multiplier`) and per-sample normalising
weights ``w_i``:

* ``"none"``: ``m_i * l_i``, in the batch shape;
* ``"sum"``:  ``sum_i m_i * l_i``;
* ``"mean"``: ``sum_i m_i * l_i / sum_i w_i``, and 0 when ``sum_i w_i`` is 0
  (an empty batch, or one whose samples are all ignored or weighted 0;
  :func:`mean_denominator`);

each divided by ``log(base)`` (:func:`in_base`). Sums are accumulated in float64 and
the result is cast to the input's dtype (:func:`as_result`: a value beyond float16's
range is ``inf`` there, silently); a zero is +0.0, never -0.0. A kernel that can sum
the losses itself, without an array of them, passes that sum instead. A gradient
scales each sample's row as its loss is scaled here (:func:`gradient_scale`).

Imports :mod:`crossentropy._typing` and :mod:`crossentropy._kernels.primitives`.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from ._kernels.primitives import mul0, positive_zeros
from ._typing import FloatArray, Loss

_Value = TypeVar("_Value", FloatArray, float)


def sample_multiplier(
    sample_weight: FloatArray | None, keep: NDArray[np.bool_] | None, dtype: np.dtype[Any]
) -> FloatArray | None:
    """Per-sample factor on the loss, flat: the sample weight, 0 for ignored samples
    (None when every factor is 1)."""
    if keep is None:
        return sample_weight
    kept = keep.reshape(-1).astype(dtype)
    return kept if sample_weight is None else sample_weight * kept


def mean_denominator(normaliser: FloatArray | None, size: int) -> float:
    """``sum_i w_i`` in float64, or the number of samples when every ``w_i`` is 1."""
    return float(size) if normaliser is None else float(np.sum(normaliser, dtype=np.float64))


def in_base(value: _Value, log_base: float) -> _Value:
    """A value in nats converted to units of the base whose log is ``log_base``; one
    beyond the dtype's range there (base 2 multiplies by 1.44) is inf, silently."""
    if log_base == 1.0:
        return value
    with np.errstate(over="ignore"):
        return value / log_base


def as_result(values: FloatArray, dtype: np.dtype[Any]) -> FloatArray:
    """``values`` in the result dtype ``dtype``; as they are when they are in it
    already (computed in it, with +0.0 for every zero: :func:`positive_zeros`).

    float16 results are computed in float32; one beyond float16's range (65504)
    becomes ``inf`` in the cast, silently: that is the honest float16 answer, which
    the docstrings state, not an accident for NumPy to warn about. A tiny negative
    value that the cast rounds to -0.0 is made +0.0."""
    if values.dtype == dtype:
        return values
    with np.errstate(over="ignore"):
        result = values.astype(dtype)
    return positive_zeros(result)


def reduce_losses(
    losses: FloatArray | float,
    *,
    multiplier: FloatArray | None,
    normaliser: FloatArray | None,
    reduction: str,
    log_base: float,
    batch_shape: tuple[int, ...],
    out_dtype: np.dtype[Any],
) -> Loss:
    """Reduce per-sample losses (flat), or their sum when a kernel took it (then
    there is no multiplier and the reduction is not "none")."""
    if isinstance(losses, float):
        total = losses
        size = math.prod(batch_shape)
    else:
        weighted = losses if multiplier is None else mul0(multiplier, losses)
        if reduction == "none":
            per_sample = positive_zeros(in_base(weighted, log_base))  # -log 1 is -0.0
            return as_result(per_sample.reshape(batch_shape), out_dtype)
        total = float(np.sum(weighted, dtype=np.float64))
        size = weighted.size
    if reduction == "mean":
        count = mean_denominator(normaliser, size)
        total = total / count if count > 0 else 0.0
    return as_result(np.asarray(in_base(total, log_base) + 0.0), out_dtype)[()]  # +0.0


def gradient_scale(
    multiplier: FloatArray | None,
    normaliser: FloatArray | None,
    *,
    size: int,
    reduction: str,
    log_base: float,
    dtype: np.dtype[Any],
) -> FloatArray:
    """The factor on each sample's gradient, flat: its loss's factor under the
    reduction (``m_i``, over the mean's denominator for "mean", over ``log(base)``)."""
    scale = np.ones(size, dtype=dtype) if multiplier is None else multiplier.copy()
    if reduction == "mean":
        denominator = mean_denominator(normaliser, size)
        scale *= 1.0 / denominator if denominator > 0 else 0.0
    return in_base(scale, log_base)
