"""Straightforward float64 formulas the package is checked against.

These are written for clarity, not speed: whole-array NumPy/SciPy, the textbook
definitions, no shared code with ``crossentropy``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

Array = NDArray[Any]


def target_distribution(target: Array, predicted_shape: tuple[int, ...], axis: int) -> Array:
    """One-hot encode class indices (or pass probabilities through), class axis last."""
    k = predicted_shape[axis]
    if target.shape == predicted_shape:
        return np.moveaxis(target.astype(np.float64), axis, -1)
    return np.eye(k)[np.clip(target, 0, k - 1)]


def cross_entropy(
    predicted: Array,
    target: Array,
    *,
    from_logits: bool = False,
    axis: int = -1,
    reduction: str = "mean",
    class_weight: Array | None = None,
    sample_weight: Array | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    base: float | None = None,
) -> Any:
    pred = np.moveaxis(np.asarray(predicted, dtype=np.float64), axis, -1)
    k = pred.shape[-1]
    log_p = special.log_softmax(pred, axis=-1) if from_logits else np.log(pred)
    y = target_distribution(np.asarray(target), np.shape(predicted), axis)
    y = (1 - label_smoothing) * y + label_smoothing / k
    w = np.ones(k) if class_weight is None else np.asarray(class_weight, dtype=np.float64)
    coef = w * y
    per_sample = -np.sum(np.where(coef == 0, 0.0, coef * log_p), axis=-1)
    mult = (
        np.ones(pred.shape[:-1])
        if sample_weight is None
        else np.broadcast_to(sample_weight, pred.shape[:-1])
    )
    if ignore_index is not None and np.shape(target) != np.shape(predicted):
        mult = mult * (np.asarray(target) != ignore_index)
    scale = np.log(base) if base is not None else 1.0
    losses = np.where(mult == 0, 0.0, mult * per_sample) / scale
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    total = np.sum(mult * coef.sum(axis=-1))
    return losses.sum() / total if total > 0 else 0.0


def gradient_from_logits(z: Array, y: Array) -> Array:
    """The textbook softmax(z) - y for one-hot or soft y, class axis last, per sample."""
    return special.softmax(z, axis=-1) - y
