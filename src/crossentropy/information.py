r"""Entropy and Kullback-Leibler divergence of discrete distributions: the public
functions.

Both check their distributions (:func:`crossentropy._plan.checked_distribution`), run
the ``xlogy`` kernel and reduce (:mod:`crossentropy._reduce`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _validate as v
from ._engine import Rows
from ._kernels.xlogy import xlogy_rows
from ._plan import checked_distribution
from ._reduce import reduce_losses
from ._typing import Loss

__all__ = ["entropy", "kl_divergence"]


def _distribution_rows(value: ArrayLike, name: str, axis: Any) -> tuple[Rows, np.dtype[Any]]:
    """``value`` checked as distributions along ``axis``, as rows; and its result dtype."""
    array, out_dtype = v.as_float_array(value, name)
    axis = v.normalize_axis(axis, array.ndim, of=name)
    v.check_axis_not_empty(array, axis, name, classes=True)
    moved = np.moveaxis(array, axis, -1)
    checked_distribution(moved, name, given=out_dtype)
    return Rows(moved), out_dtype


def _reduced(
    values: NDArray[Any], rows: Rows, reduction: str, log_base: float, out_dtype: np.dtype[Any]
) -> Loss:
    return reduce_losses(
        values,
        multiplier=None,
        normaliser=None,
        reduction=reduction,
        log_base=log_base,
        batch_shape=rows.batch_shape,
        out_dtype=out_dtype,
    )


def entropy(
    p: ArrayLike, *, axis: int = -1, base: float | None = None
) -> np.floating[Any] | NDArray[np.floating[Any]]:
    r"""Shannon entropy of discrete distributions along ``axis``.

    $$
    H(p) = -\sum_{c=1}^{K} p_c \log p_c ,
    $$

    with $0 \log 0 = 0$ (the limit of $x \log x$ as $x \to 0$). The average
    surprisal $-\log p_c$ of an outcome drawn from $p$: in bits with ``base=2``, in
    nats by default. It lies between 0 (a certain outcome) and $\log K$ (the uniform
    distribution).

    Parameters
    ----------
    p : array_like
        Probabilities in [0, 1] summing to 1 along ``axis`` (within ``sqrt(eps)`` of
        their dtype, as in :func:`cross_entropy`). Unlike ``scipy.stats.entropy``,
        ``p`` is validated, never silently normalised.
    axis : int, default -1
        The axis that holds the outcomes.
    base : float, optional
        Base of the logarithm, finite and greater than 1: ``None`` for nats, ``2``
        for bits.

    Returns
    -------
    numpy.floating or numpy.ndarray
        One entropy per distribution: ``p``'s shape without ``axis``, a scalar for
        1-D input.

    Raises
    ------
    TypeError
        If ``p`` is not a real numeric array or ``axis`` is not an integer; if it is
        a masked array (``numpy.ma``, whose mask would be ignored) or a tensor that
        requires grad (pass ``tensor.detach()``).
    ValueError
        If ``p`` holds values outside [0, 1], NaN, rows not summing to 1; if ``axis``
        is out of range or empty; if ``base`` is not finite and greater than 1.

    See Also
    --------
    cross_entropy : $H(p, q)$, which equals $H(p)$ when $q = p$.
    kl_divergence : $H(p, q) - H(p)$.

    References
    ----------
    1. C. E. Shannon, "A Mathematical Theory of Communication", Bell System
       Technical Journal 27, 1948.
    2. T. M. Cover, J. A. Thomas, "Elements of Information Theory", 2nd ed.,
       Wiley, 2006, chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import entropy
    >>> print(entropy(np.array([0.5, 0.5]), base=2))
    1.0
    >>> print(entropy(np.array([[1.0, 0.0], [0.9, 0.1]]), base=2))
    [0.         0.46899559]
    """
    log_base = v.check_base(base)
    rows, out_dtype = _distribution_rows(p, "p", axis)
    values = -xlogy_rows(rows, None, rows.dtype)  # -0.0 of a certain outcome: made +0.0
    result = np.asarray(_reduced(values, rows, "none", log_base, out_dtype))
    return result if result.ndim else result[()]


def kl_divergence(
    predicted: ArrayLike,
    target: ArrayLike,
    *,
    axis: int = -1,
    reduction: str = "mean",
    base: float | None = None,
) -> np.floating[Any] | NDArray[np.floating[Any]]:
    r"""Kullback-Leibler divergence of the target from the prediction.

    $$
    D_{\mathrm{KL}}(y \parallel \hat y) = \sum_{c=1}^{K} y_c \log \frac{y_c}{\hat y_c}
    = H(y, \hat y) - H(y),
    $$

    with $y$ the target, $\hat y$ the prediction, $0 \log(0 / \hat y_c) = 0$, and
    $+\infty$ where $y_c > 0 = \hat y_c$: the surprisal that $\hat y$ costs on
    outcomes drawn from $y$ beyond $H(y)$. It is never negative, is 0 only when
    the two agree, and differs from the cross-entropy by $H(y)$, which does not
    depend on the prediction: both have the same gradient and the same minimiser.

    Parameters
    ----------
    predicted : array_like
        Predicted probabilities $\hat y$ along ``axis``.
    target : array_like
        Target probabilities $y$, the same shape as ``predicted``.
    axis : int, default -1
        The class axis.
    reduction : {"mean", "sum", "none"}, default "mean"
        Per-sample divergences, their sum, or their mean over the batch.
    base : float, optional
        Base of the logarithm, finite and greater than 1: ``None`` for nats, ``2``
        for bits.

    Returns
    -------
    numpy.floating or numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; the batch shape for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not a real numeric array or ``axis`` is not an integer; if it
        is a masked array (``numpy.ma``, whose mask would be ignored) or a tensor
        that requires grad (pass ``tensor.detach()``).
    ValueError
        If the shapes differ; either input is not a distribution along ``axis``;
        ``reduction`` is unknown; ``axis`` is out of range; ``base`` is not finite
        and greater than 1.

    See Also
    --------
    cross_entropy : $H(y, \hat y) = H(y) + D_{\mathrm{KL}}(y \parallel \hat y)$.
    entropy : $H(y)$.
    scipy.special.rel_entr : The element-wise terms $y_c \log(y_c / \hat y_c)$.

    Notes
    -----
    The argument order follows the loss functions (prediction first):
    ``kl_divergence(predicted, target)`` is $D_{\mathrm{KL}}(y \parallel \hat y)$, and in
    the letters of information theory, $p$ for the target and $q$ for the prediction,
    ``kl_divergence(q, p)`` is $D_{\mathrm{KL}}(p \parallel q)$. ``torch.nn.functional.kl_div``
    also takes the prediction first, but as log-probabilities.

    References
    ----------
    1. S. Kullback, R. A. Leibler, "On Information and Sufficiency", Annals of
       Mathematical Statistics 22, 1951.
    2. T. M. Cover, J. A. Thomas, "Elements of Information Theory", 2nd ed.,
       Wiley, 2006, section 2.3.

    Examples
    --------
    The divergence is the cross-entropy less the target's entropy:

    >>> import numpy as np
    >>> from crossentropy import cross_entropy, entropy, kl_divergence
    >>> target = np.array([0.7, 0.2, 0.1])
    >>> predicted = np.array([0.5, 0.3, 0.2])
    >>> print(f"{kl_divergence(predicted, target):.6f}")
    0.085123
    >>> print(f"{cross_entropy(predicted, target) - entropy(target):.6f}")
    0.085123
    """
    log_base = v.check_base(base)
    reduction = v.check_reduction(reduction)
    pred_array = v.as_real_array(predicted, "predicted")
    target_array = v.as_real_array(target, "target")
    v.check_same_shape(
        pred_array, target_array, "kl_divergence needs two distributions of the same shape"
    )
    rows, out_dtype = _distribution_rows(pred_array, "predicted", axis)
    target_rows, _ = _distribution_rows(target_array, "target", axis)
    values = xlogy_rows(target_rows, rows, rows.dtype)
    # Rounding can leave a divergence of identical distributions a hair below 0 (the
    # reduction makes a -0.0 +0.0).
    np.maximum(values, 0, out=values)
    return _reduced(values, rows, reduction, log_base, out_dtype)
