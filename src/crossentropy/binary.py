r"""Binary cross-entropy and its gradient: one probability (or logit) per sample and
label. The public functions.

Both validate their arguments into a :class:`_Binary` problem, run the element-wise
kernel (:mod:`crossentropy._kernels.binary`) and scale by the reduction rule
(:mod:`crossentropy._reduce`). Imports the validation, the kernel and the reduction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _validate as v
from ._kernels.binary import binary_gradient, binary_losses, smoothed_labels
from ._kernels.primitives import mul0, positive_zeros
from ._reduce import as_result, gradient_scale, reduce_losses
from ._typing import FloatArray

__all__ = ["binary_cross_entropy", "binary_cross_entropy_gradient"]


@dataclass(frozen=True)
class _Binary:
    """A validated binary problem."""

    predicted: FloatArray  # in the compute dtype
    labels: FloatArray  # smoothed, in the compute dtype
    sample_weight: FloatArray | None  # flat
    pos_weight: FloatArray | None  # broadcast to predicted's shape
    from_logits: bool
    reduction: str
    log_base: float
    out_dtype: np.dtype[Any]


def _prepare(
    predicted: ArrayLike,
    target: ArrayLike,
    *,
    from_logits: Any,
    reduction: Any,
    sample_weight: ArrayLike | None,
    pos_weight: ArrayLike | None,
    label_smoothing: Any,
    base: Any,
) -> _Binary:
    pred, out_dtype = v.as_float_array(predicted, "predicted")
    from_logits = v.check_flag(from_logits, "from_logits")
    reduction = v.check_reduction(reduction)
    smoothing = v.check_label_smoothing(label_smoothing)
    log_base = v.check_base(base)
    dtype, shape = pred.dtype, pred.shape
    labels = v.as_real_array(target, "target")
    v.check_same_shape(pred, labels, "binary_cross_entropy needs one label per prediction")
    labels = labels.astype(dtype, copy=False)
    v.check_unit_interval(labels, "target")
    if from_logits:
        v.check_not_nan(pred, "predicted")
    else:
        v.check_unit_interval(pred, "predicted", hint=v.LOGITS_HINT)
    weights = (
        None
        if sample_weight is None
        else v.check_weight(sample_weight, "sample_weight", shape, dtype, "element").reshape(-1)
    )
    positive = (
        None
        if pos_weight is None
        else v.check_weight(pos_weight, "pos_weight", shape, dtype, "element")
    )
    y = smoothed_labels(labels, smoothing)
    return _Binary(pred, y, weights, positive, from_logits, reduction, log_base, out_dtype)


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
) -> np.floating[Any] | NDArray[np.floating[Any]]:
    r"""Binary cross-entropy of predicted probabilities against 0/1 (or soft) labels.

    For a predicted probability $\hat p$ of the positive class and a label $y$:

    $$
    L(\hat p, y) = -\bigl(\omega\, y' \log \hat p + (1 - y') \log(1 - \hat p)\bigr),
    \qquad y' = (1 - \varepsilon)\, y + \frac{\varepsilon}{2},
    $$

    with positive-class weight $\omega$ (``pos_weight``, 1 by default). With
    $\omega = 1$ this is :func:`cross_entropy` with two classes,
    $\hat y = (1 - \hat p, \hat p)$ against the target $(1 - y, y)$. A weight
    $\omega \ne 1$ matches ``class_weight=[1, ω]`` there only per element and for
    ``reduction="sum"``: the mean here does not divide by the class weights. From a
    logit $z$, with $\hat p = \sigma(z)$, it is computed as
    $\omega\, y' \operatorname{softplus}(-z) + (1 - y') \operatorname{softplus}(z)$,
    which never overflows. The mean is $\sum_i s_i L_i / \sum_i s_i$ over the
    elements $i$ (every entry is one binary prediction), with sample weights $s_i$.

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
        Base of the logarithm, finite and greater than 1: ``None`` for nats, ``2``
        for bits.

    Returns
    -------
    numpy.floating or numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; ``predicted``'s shape for ``"none"``.
        In ``predicted``'s floating dtype (float64 for integers), native byte order;
        float16 is computed in float32, and a float16 result beyond float16's range
        is ``inf``, without a warning.

    Raises
    ------
    TypeError
        If an input is not a real numeric array, or ``from_logits`` is not a bool;
        if an input is a masked array (``numpy.ma``: pass the data, and
        ``sample_weight=~mask`` for the mask) or a tensor that requires grad (pass
        ``tensor.detach()``).
    ValueError
        If the shapes differ; probabilities or labels are outside [0, 1] or NaN;
        logits are NaN; weights are negative, not finite, subnormal (or further
        below the largest weight than the dtype's range), or do not broadcast;
        ``label_smoothing`` is outside [0, 1]; ``reduction`` is unknown; ``base`` is
        not finite and greater than 1.

    See Also
    --------
    binary_cross_entropy_gradient : Its gradient with respect to ``predicted``.
    cross_entropy : The $K$-class loss.
    entropy : The binary entropy is ``entropy([1 - p, p])``.

    Notes
    -----
    Nothing is clipped: $\hat p = 0$ for a positive label gives ``inf``, where
    ``torch.nn.functional.binary_cross_entropy`` clamps the log at -100. Terms with a
    zero coefficient vanish ($0 \log 0 = 0$). Logits of $\pm\infty$ are
    probabilities 1 and 0, where ``binary_cross_entropy_with_logits`` gives NaN (at
    $-\infty$ for every label, at $+\infty$ for a label of exactly 1).

    The ``"mean"`` with sample weights divides by their total, $\sum_i s_i$, as
    :func:`cross_entropy` and scikit-learn do; PyTorch's ``weight`` (in
    ``binary_cross_entropy`` and ``binary_cross_entropy_with_logits``) multiplies each
    loss but its mean still divides by the number of elements. For PyTorch's
    number, take ``reduction="sum"`` and divide by ``predicted.size``.

    References
    ----------
    1. C. M. Bishop, "Pattern Recognition and Machine Learning", Springer, 2006,
       section 4.3.2.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import binary_cross_entropy
    >>> p_hat = np.array([0.9, 0.2, 0.6])
    >>> y = np.array([1, 0, 1])
    >>> print(binary_cross_entropy(p_hat, y, reduction="none"))
    [0.10536052 0.22314355 0.51082562]
    >>> z = np.log(p_hat / (1 - p_hat))  # the logits of the same probabilities
    >>> print(f"{binary_cross_entropy(z, y, from_logits=True):.6f}")
    0.279777
    """
    problem = _prepare(
        predicted,
        target,
        from_logits=from_logits,
        reduction=reduction,
        sample_weight=sample_weight,
        pos_weight=pos_weight,
        label_smoothing=label_smoothing,
        base=base,
    )
    losses = binary_losses(
        problem.predicted, problem.labels, problem.pos_weight, from_logits=problem.from_logits
    )
    return reduce_losses(
        losses.reshape(-1),
        multiplier=problem.sample_weight,
        normaliser=problem.sample_weight,
        reduction=problem.reduction,
        log_base=problem.log_base,
        batch_shape=problem.predicted.shape,
        out_dtype=problem.out_dtype,
    )


def binary_cross_entropy_gradient(
    predicted: ArrayLike,
    target: ArrayLike,
    *,
    from_logits: bool = False,
    reduction: str = "mean",
    sample_weight: ArrayLike | None = None,
    pos_weight: ArrayLike | None = None,
    label_smoothing: float = 0.0,
    base: float | None = None,
) -> NDArray[np.floating[Any]]:
    r"""Derivative of :func:`binary_cross_entropy` with respect to each predicted element.

    From a logit $z$, with the smoothed label $y'$ and the positive weight $\omega$, the
    loss $\omega\, y' \operatorname{softplus}(-z) + (1 - y') \operatorname{softplus}(z)$
    has the derivative

    $$
    \frac{\partial L}{\partial z} = (1 - y')\, \sigma(z) - \omega\, y' \bigl(1 - \sigma(z)\bigr),
    $$

    which is the familiar $\sigma(z) - y'$ when $\omega = 1$. From a probability
    $\hat p$ it is

    $$
    \frac{\partial L}{\partial \hat p} = -\frac{\omega\, y'}{\hat p} + \frac{1 - y'}{1 - \hat p}.
    $$

    Each element $i$ is then scaled as the reduction scales its loss: multiplied by
    its sample weight $s_i$, for ``"mean"`` divided by $\sum_i s_i$ (or by the number
    of elements), and for ``base`` $\beta$ divided by $\ln \beta$.

    Parameters
    ----------
    predicted : array_like
        Probabilities in [0, 1], or logits (finite or $\pm\infty$) with
        ``from_logits=True``, as in :func:`binary_cross_entropy`.
    target : array_like
        Labels in [0, 1] of the same shape, as in :func:`binary_cross_entropy`.
    from_logits, sample_weight, pos_weight, label_smoothing, base
        As in :func:`binary_cross_entropy`.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` and ``"sum"``: the gradient of the reduced loss. ``"none"``: each
        element holds the derivative of its own loss $s_i L_i$, which is also the
        gradient of ``"sum"`` (each loss depends on its own element only).

    Returns
    -------
    numpy.ndarray
        An array of ``predicted``'s shape. float32 input gives float32, float64 gives
        float64, float16 is computed in float32 and returned as float16, integers and
        booleans give float64, in native byte order whatever the input's. A float16
        result beyond float16's range (65504) is ``inf``, without a warning: the
        honest float16 answer. Every element is 0 when the mean's denominator is 0.

    Raises
    ------
    TypeError, ValueError
        As :func:`binary_cross_entropy`, with the same messages.

    See Also
    --------
    binary_cross_entropy : The loss itself.
    cross_entropy_gradient : The $K$-class gradient; for the two-class logits
        $(0, z)$ its second component is this gradient.

    Notes
    -----
    From logits the gradient is finite everywhere, ``predicted = ±inf`` included:
    $\sigma(z)$ and $1 - \sigma(z)$ are both computed from $e^{-|z|}$, so neither
    overflows and neither loses its relative accuracy to cancellation.

    From probabilities a term whose coefficient is zero is 0, even at $\hat p = 0$ or
    1 (as $0 \log 0 = 0$ in the loss; $0 / 0$ gives 0). A term with a non-zero
    coefficient is infinite where the loss is infinite in its direction:
    $-\infty$ at $\hat p = 0$ when $\omega\, y' > 0$, and $+\infty$ at $\hat p = 1$
    when $y' < 1$. Nothing is clipped. A sample weight of 0 gives 0, even there.

    References
    ----------
    1. C. M. Bishop, "Pattern Recognition and Machine Learning", Springer, 2006,
       section 4.3.2 (the gradient of the cross-entropy error).

    Examples
    --------
    From logits the gradient is $\sigma(z) - y$:

    >>> import numpy as np
    >>> from crossentropy import binary_cross_entropy_gradient
    >>> z = np.array([2.0, -1.0, 0.5])
    >>> y = np.array([1, 0, 1])
    >>> print(binary_cross_entropy_gradient(z, y, from_logits=True, reduction="none"))
    [-0.11920292  0.26894142 -0.37754067]
    >>> print(1 / (1 + np.exp(-z)) - y)
    [-0.11920292  0.26894142 -0.37754067]

    From probabilities, the mean divides by the number of elements, and a zero
    coefficient gives 0 even at $\hat p = 0$:

    >>> p_hat = np.array([0.0, 0.5, 0.8])
    >>> print(binary_cross_entropy_gradient(p_hat, np.array([0, 1, 1])))
    [ 0.33333333 -0.66666667 -0.41666667]
    """
    problem = _prepare(
        predicted,
        target,
        from_logits=from_logits,
        reduction=reduction,
        sample_weight=sample_weight,
        pos_weight=pos_weight,
        label_smoothing=label_smoothing,
        base=base,
    )
    gradient = binary_gradient(
        problem.predicted, problem.labels, problem.pos_weight, from_logits=problem.from_logits
    )
    scale = gradient_scale(
        problem.sample_weight,
        problem.sample_weight,
        size=gradient.size,
        reduction=problem.reduction,
        log_base=problem.log_base,
        dtype=gradient.dtype,
    )
    # A zero scale (weight 0, or a mean over nothing) gives 0, even against an infinity.
    scaled = positive_zeros(mul0(scale.reshape(gradient.shape), gradient))
    return as_result(scaled, problem.out_dtype)
