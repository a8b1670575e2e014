r"""Binary cross-entropy: one probability (or logit) per sample and label."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _validate as v
from ._kernels import _mul0
from ._reduce import Loss, reduce_losses

__all__ = ["binary_cross_entropy"]

FloatArray = NDArray[np.floating[Any]]


def _softplus(x: FloatArray) -> FloatArray:
    """``log(1 + exp(x))`` without overflow: ``max(x, 0) + log1p(exp(-|x|))``."""
    with np.errstate(invalid="ignore"):
        result: FloatArray = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
    return result


def binary_cross_entropy(
    predicted: ArrayLike,
    target: ArrayLike,
    *,
    from_logits: bool = False,
    reduction: str = "mean",
    sample_weight: ArrayLike | None = None,
    pos_weight: ArrayLike | None = None,
    label_smoothing: float = 0.0,
    base: float | None = None,
) -> Loss:
    r"""Binary cross-entropy of predicted probabilities against 0/1 (or soft) labels.

    For a predicted probability $\hat p$ of the positive class and a label $y$:

    $$
    L(\hat p, y) = -\bigl(\omega\, y' \log \hat p + (1 - y') \log(1 - \hat p)\bigr),
    \qquad y' = (1 - \varepsilon)\, y + \frac{\varepsilon}{2},
    $$

    with positive-class weight $\omega$ (``pos_weight``, 1 by default). This is
    :func:`cross_entropy` with two classes, $\hat y = (1 - \hat p, \hat p)$. From a
    logit $x$, with $\hat p = \sigma(x)$, it is computed as
    $\omega\, y' \operatorname{softplus}(-x) + (1 - y') \operatorname{softplus}(x)$,
    which never overflows. The mean is $\sum_i s_i L_i / \sum_i s_i$ over every
    element, with sample weights $s_i$.

    Parameters
    ----------
    predicted : array_like
        Probabilities in [0, 1], or logits (finite or $\pm\infty$) with
        ``from_logits=True``. Any shape: every element is one binary prediction
        (multi-label problems put one label per column).
    target : array_like
        Labels in [0, 1] of the same shape: 0/1 (int, bool or float) or soft.
    from_logits : bool, default False
        Treat ``predicted`` as logits.
    reduction : {"mean", "sum", "none"}, default "mean"
        Per-element losses, their sum, or their weighted mean.
    sample_weight : array_like, optional
        Non-negative weights broadcastable to ``predicted``'s shape.
    pos_weight : array_like, optional
        Non-negative weight $\omega$ of the positive term, broadcastable to
        ``predicted``'s shape (one per label column in multi-label problems). As in
        PyTorch, it does not enter the mean's denominator.
    label_smoothing : float, default 0.0
        $\varepsilon$ in [0, 1]: labels move towards 1/2.
    base : float, optional
        Base of the logarithm: ``None`` for nats, ``2`` for bits.

    Returns
    -------
    numpy.floating or numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; ``predicted``'s shape for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not a real numeric array, or ``from_logits`` is not a bool.
    ValueError
        If the shapes differ; probabilities or labels are outside [0, 1] or NaN;
        logits are NaN; weights are negative, not finite, subnormal (or further
        below the largest weight than the dtype's range), or do not broadcast;
        ``label_smoothing`` is outside [0, 1]; ``reduction`` or ``base`` is invalid.

    See Also
    --------
    cross_entropy : The $K$-class loss.
    entropy : The binary entropy is ``entropy([1 - p, p])``.

    Notes
    -----
    Nothing is clipped: $\hat p = 0$ for a positive label gives ``inf``, where
    ``torch.nn.functional.binary_cross_entropy`` clamps the log at -100. Terms with a
    zero coefficient vanish ($0 \log 0 = 0$).

    References
    ----------
    1. C. M. Bishop, "Pattern Recognition and Machine Learning", Springer, 2006,
       section 4.3.2.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import binary_cross_entropy
    >>> p = np.array([0.9, 0.2, 0.6])
    >>> y = np.array([1, 0, 1])
    >>> print(binary_cross_entropy(p, y, reduction="none"))
    [0.10536052 0.22314355 0.51082562]
    >>> print(f"{binary_cross_entropy(np.log(p / (1 - p)), y, from_logits=True):.6f}")
    0.279777
    """
    pred, out_dtype = v.as_float_array(predicted, "predicted")
    from_logits = v.check_flag(from_logits, "from_logits")
    reduction = v.check_reduction(reduction)
    smoothing = v.check_label_smoothing(label_smoothing)
    log_base = v.check_base(base)
    dtype = pred.dtype
    labels = v.as_real_array(target, "target")
    if labels.shape != pred.shape:
        raise ValueError(
            f"target has shape {labels.shape} but predicted has shape {pred.shape}; "
            "binary_cross_entropy needs one label per prediction"
        )
    labels = labels.astype(dtype, copy=False)
    v.check_unit_interval(labels, "target")
    if from_logits:
        if np.isnan(pred).any():
            where = tuple(int(i) for i in np.argwhere(np.isnan(pred))[0])
            raise ValueError(f"predicted contains NaN (first at position {where})")
    else:
        v.check_unit_interval(
            pred, "predicted", hint=" (if these are logits, pass from_logits=True)"
        )
    shape = pred.shape
    weights = (
        None
        if sample_weight is None
        else v.check_weight(sample_weight, "sample_weight", shape, dtype, "element")
    )
    positive = (
        None
        if pos_weight is None
        else v.check_weight(pos_weight, "pos_weight", shape, dtype, "element")
    )

    y = labels if not smoothing else (1.0 - smoothing) * labels + smoothing / 2
    if from_logits:
        neg_log_p, neg_log_q = _softplus(-pred), _softplus(pred)
    else:
        with np.errstate(divide="ignore"):
            neg_log_p, neg_log_q = -np.log(pred), -np.log1p(-pred)
    pos_coef = y if positive is None else positive * y
    losses = _mul0(pos_coef, neg_log_p) + _mul0(1.0 - y, neg_log_q)
    flat_weights = None if weights is None else weights.reshape(-1)
    return reduce_losses(
        losses.reshape(-1),
        multiplier=flat_weights,
        normaliser=flat_weights,
        reduction=reduction,
        log_base=log_base,
        batch_shape=shape,
        out_dtype=out_dtype,
    )
