"""The binary loss and its gradient, element by element.

With the smoothed label ``y' = (1 - eps) y + eps / 2`` and the positive weight ``w``,
the loss is ``w y' (-log p) + (1 - y') (-log(1 - p))``; from a logit ``x`` the two
logs are ``softplus(-x)`` and ``softplus(x)``, which never overflow. A zero coefficient
kills its term even against an infinite log (``0 log 0 = 0``). Imports
:mod:`.primitives`.
"""

from __future__ import annotations

import numpy as np

from .._typing import FloatArray
from .primitives import mul0


def smoothed_labels(labels: FloatArray, smoothing: float) -> FloatArray:
    """``y' = (1 - eps) y + eps / 2``."""
    return labels if not smoothing else (1.0 - smoothing) * labels + smoothing / 2


def softplus(x: FloatArray) -> FloatArray:
    """``log(1 + exp(x))`` without overflow: ``max(x, 0) + log1p(exp(-|x|))``."""
    with np.errstate(invalid="ignore"):
        result: FloatArray = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
    return result


def sigmoid_pair(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``sigma(x)`` and ``1 - sigma(x)``, each to full relative accuracy and without
    overflow: both come from ``e = exp(-|x|)``, which lies in [0, 1], as ``1 / (1 + e)``
    and ``e / (1 + e)``, the larger one for the sign of ``x``. Infinite ``x`` gives
    exactly 0 and 1."""
    e = np.exp(-np.abs(x))
    big = 1.0 / (1.0 + e)
    small = e * big
    positive = x >= 0
    return np.where(positive, big, small), np.where(positive, small, big)


def binary_losses(
    predicted: FloatArray, y: FloatArray, pos_weight: FloatArray | None, *, from_logits: bool
) -> FloatArray:
    """Each element's ``w y' (-log p) + (1 - y') (-log(1 - p))``."""
    if from_logits:
        neg_log_p, neg_log_q = softplus(-predicted), softplus(predicted)
    else:
        with np.errstate(divide="ignore"):
            neg_log_p, neg_log_q = -np.log(predicted), -np.log1p(-predicted)
    pos_coef = y if pos_weight is None else pos_weight * y
    return mul0(pos_coef, neg_log_p) + mul0(1.0 - y, neg_log_q)


def binary_gradient(
    predicted: FloatArray, y: FloatArray, pos_weight: FloatArray | None, *, from_logits: bool
) -> FloatArray:
    """Each element's derivative of :func:`binary_losses` with respect to ``predicted``.

    From logits ``(1 - y') sigma(x) - w y' (1 - sigma(x))``, with both sigmoids from
    :func:`sigmoid_pair` (so ``y' = 1`` gives ``-w (1 - sigma(x))`` to full relative
    accuracy, where ``sigma(x) - 1`` would cancel). From probabilities
    ``-w y' / p + (1 - y') / (1 - p)``, each term 0 where its coefficient is 0 (even
    at ``p = 0`` or 1), and infinite where the loss is: ``-inf`` at ``p = 0`` with
    ``w y' > 0``, ``+inf`` at ``p = 1`` with ``y' < 1``.
    """
    pos_coef = y if pos_weight is None else pos_weight * y
    neg_coef = 1.0 - y
    if from_logits:
        sigma, one_minus_sigma = sigmoid_pair(predicted)
        result: FloatArray = neg_coef * sigma - pos_coef * one_minus_sigma
        return result
    pos = np.zeros_like(predicted)
    neg = np.zeros_like(predicted)
    with np.errstate(divide="ignore", over="ignore"):  # p = 0, or subnormal: -inf
        np.divide(pos_coef, predicted, out=pos, where=pos_coef != 0)
        np.divide(neg_coef, 1.0 - predicted, out=neg, where=neg_coef != 0)
    return neg - pos
