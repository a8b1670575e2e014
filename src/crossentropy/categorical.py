r"""Categorical cross-entropy, its gradient, and perplexity: the public functions.

Each validates its arguments into a problem (:func:`crossentropy._plan.prepare`), has
the plan run the one kernel that fits it, and reduces the result
(:mod:`crossentropy._reduce`). Imports the plan, the validation and the reduction.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _validate as v
from ._plan import plan_gradient, plan_losses, prepare
from ._reduce import as_result, gradient_scale, reduce_losses

__all__ = ["cross_entropy", "cross_entropy_gradient", "perplexity"]


def cross_entropy(
    predicted: ArrayLike,
    target: ArrayLike,
    *,
    from_logits: bool = False,
    axis: int = -1,
    reduction: str = "mean",
    class_weight: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    base: float | None = None,
) -> np.floating[Any] | NDArray[np.floating[Any]]:
    r"""Cross-entropy between target distributions and predicted distributions.

    For one sample with target distribution $y$ (one-hot or soft) and predicted
    distribution $\hat y$ over $K$ classes (``predicted`` itself, or
    $\operatorname{softmax}(z)$ of logits $z$ with ``from_logits=True``), the loss is

    $$
    L(\hat y, y) = -\sum_{c=1}^{K} y_c \log \hat y_c ,
    $$

    which is $-\log \hat y_t$ for a class index $t$ as target. Class weights $w_c$
    (all 1 by default) and label smoothing $\varepsilon$ replace $y_c$ by the target's
    weighted mass $a_c = w_c\, y'_c$ on class $c$, where
    $y' = (1 - \varepsilon)\, y + \frac{\varepsilon}{K} \mathbf{1}$ is the smoothed
    target ($\mathbf{1}$ the vector of $K$ ones): the sample's loss is then
    $-\sum_c a_c \log \hat y_c$, which is $-w_t \log \hat y_t$ for a class index
    without smoothing. With sample weights $s_i$ (0 for ignored samples), the
    ``"mean"`` reduction over a batch of $n$ samples is

    $$
    J_w = \frac{\sum_{i=1}^{n} s_i \sum_{c=1}^{K} a_{ic} \bigl(-\log \hat y_{ic}\bigr)}
               {\sum_{i=1}^{n} s_i \sum_{c=1}^{K} a_{ic}} .
    $$

    The denominator is the total weight of the targets, so class-index targets and
    their one-hot encoding give the same answer; without weights it is $n$.

    Parameters
    ----------
    predicted : array_like
        Predicted probabilities, or unnormalised logits with ``from_logits=True``.
        Any shape; the classes lie along ``axis``. Probabilities must lie in [0, 1]
        and sum to 1 along ``axis``, within ``sqrt(eps)`` of the dtype they are given
        in (float16: 0.031, float32: 3.5e-4, float64 and integers: 1.5e-8).
    target : array_like
        Either class indices, an integer array of the shape of ``predicted`` without
        the class axis; or probabilities (one-hot or soft), an array of the same shape
        as ``predicted`` whose entries lie in [0, 1] and sum to 1 along ``axis``
        (within ``sqrt(eps)`` of their own dtype). The form is told apart by shape,
        not dtype, so an integer one-hot array works.
    from_logits : bool, default False
        Treat ``predicted`` as logits $z$ and use the stable
        $\log \hat y_c = z_c - \operatorname{logsumexp}(z)$. Logits may be ``-inf``
        (a masked class), never ``+inf`` or NaN; a whole row of ``-inf`` only where
        the sample counts for nothing (a padded position: see Notes).
    axis : int, default -1
        The class axis of ``predicted`` (and of ``target`` when it holds probabilities).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-sample losses $s_i L_i$ in the batch shape;
        ``"sum"`` their sum; ``"mean"`` the weighted mean $J_w$.
    class_weight : array_like, optional
        One non-negative weight per class, $w_c$.
    sample_weight : array_like, optional
        One non-negative weight per sample, $s_i$, of the batch shape (or broadcastable
        to it).
    ignore_index : int, optional
        With class-index targets, samples whose target equals this value contribute
        nothing to the loss or to the mean's denominator. It may lie outside
        ``[0, K)``, as PyTorch's -100 does.
    label_smoothing : float, default 0.0
        $\varepsilon$ in $[0, 1]$: the target is mixed with the uniform distribution,
        on every target form.
    base : float, optional
        Base of the logarithm, finite and greater than 1: ``None`` for nats (natural
        log), ``2`` for bits.

    Returns
    -------
    numpy.floating or numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``, an array of the batch shape for
        ``"none"``. float32 input gives float32, float64 gives float64, float16 is
        computed in float32 and returned as float16, integers give float64. The
        dtype is told by kind and size: input in the other byte order (``'>f4'``)
        gives the same numbers, in native byte order (float32). A float16 result
        beyond float16's range (65504) is ``inf``, without a warning: the honest
        float16 answer (compute in float32 for the number).

    Raises
    ------
    TypeError
        If an argument has the wrong type: non-numeric arrays, non-integer class
        indices, a non-integer ``axis``, a non-boolean ``from_logits``. Also for a
        masked array (``numpy.ma``), for any array argument: its mask would be
        ignored, so pass the data and leave the masked samples out with
        ``sample_weight=~mask`` (or ``ignore_index`` for class indices); and for a
        tensor that requires grad: pass ``tensor.detach()`` (``.cpu()`` on a GPU).
    ValueError
        If ``target``'s shape fits neither form; a class index is out of range (and is
        not ``ignore_index``); probabilities are negative, above 1, NaN, infinite or do
        not sum to 1; logits are NaN or ``+inf``, or a row that counts is all
        ``-inf``; weights have the wrong shape, are negative or not finite, or are
        non-zero but subnormal (or further below the largest weight than the dtype's
        range);
        ``label_smoothing`` is outside [0, 1]; ``reduction`` is unknown; ``axis`` is
        out of range; the class axis is empty; ``base`` is not finite and greater
        than 1.

    See Also
    --------
    cross_entropy_gradient : Its gradient with respect to ``predicted``.
    binary_cross_entropy : The two-class case with one probability per sample.
    kl_divergence : Cross-entropy minus the target's entropy.
    perplexity : ``exp`` of the mean cross-entropy.

    Notes
    -----
    A zero probability on a class the target puts mass on gives an infinite loss:
    nothing is clipped. Terms with zero target mass are zero, even where the
    predicted probability is zero ($0 \log 0 = 0$). A zero result is always
    ``+0.0``, never ``-0.0`` (as from $-\log 1$), in every function of the package.

    Padding: in a batch of sequences of different lengths, the positions past a
    sequence's end are often fully masked, every logit ``-inf``. Such a row has no
    softmax, and is an error where it counts; give it ``ignore_index`` as its label
    (or ``sample_weight`` 0), and it counts for nothing: it is not checked for a
    row of ``-inf``, and its loss and its gradient row are 0. NaN and ``+inf`` stay
    errors in every row. (PyTorch skips such an ignored row in the loss, but its
    gradient row is NaN.)

    Where this differs from ``torch.nn.functional.cross_entropy``: PyTorch puts the
    class axis at 1, not -1; with probability targets and class weights it divides
    the mean by $n$ instead of by the targets' weight (so index and one-hot targets
    disagree there; here they agree); with label smoothing and class weights its
    denominator ignores the smoothing; a batch whose targets are all ignored gives
    NaN in PyTorch and 0 here; a masked class (logit ``-inf``) whose coefficient
    $a_c = w_c y'_c$ is 0 gives NaN in PyTorch ($0 \cdot (-\infty)$) and a zero term
    here, where PyTorch forms that product: for probability targets with no mass on
    the class, and for label smoothing with a class weight of 0 on it (class indices
    without smoothing are fine there). Unlike scikit-learn's ``log_loss``,
    probabilities are never clipped and never silently renormalised.

    References
    ----------
    1. C. E. Shannon, "A Mathematical Theory of Communication", Bell System
       Technical Journal 27, 1948.
    2. I. Goodfellow, Y. Bengio, A. Courville, "Deep Learning", MIT Press, 2016,
       sections 3.13 and 6.2.2.
    3. C. Szegedy et al., "Rethinking the Inception Architecture for Computer
       Vision", CVPR 2016 (label smoothing).

    Examples
    --------
    One predicted distribution scored against each possible one-hot target:

    >>> import numpy as np
    >>> from crossentropy import cross_entropy
    >>> predicted = np.array([0.1, 0.2, 0.7])
    >>> for target in ([1, 0, 0], [0, 1, 0], [0, 0, 1]):
    ...     print(f"{cross_entropy(predicted, np.array(target)):.4f}")
    2.3026
    1.6094
    0.3567

    The same targets as class indices, over a batch, from logits:

    >>> logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    >>> print(cross_entropy(logits, np.array([0, 1]), from_logits=True, reduction="none"))
    [0.41703002 0.22004952]

    A padded position, every logit masked, costs nothing once its label is ignored:

    >>> padded = np.vstack([logits, np.full(3, -np.inf)])
    >>> labels = np.array([0, 1, -100])
    >>> print(cross_entropy(padded, labels, from_logits=True, ignore_index=-100, reduction="none"))
    [0.41703002 0.22004952 0.        ]
    """
    problem = prepare(
        predicted,
        target,
        from_logits=from_logits,
        axis=axis,
        reduction=reduction,
        class_weight=class_weight,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        base=base,
        guess_one_hot=True,  # one-hot targets are tested on the way (see _plan.OneHotGuess)
    )
    losses = plan_losses(problem)
    batch_shape = problem.predicted.batch_shape
    multiplier = problem.multiplier()
    v.check_defined(losses.undefined, batch_shape, multiplier)
    reduction = problem.options.reduction
    return reduce_losses(
        losses.values,
        multiplier=multiplier,
        normaliser=problem.normaliser() if reduction == "mean" else None,
        reduction=reduction,
        log_base=problem.options.log_base,
        batch_shape=batch_shape,
        out_dtype=problem.out_dtype,
    )


def cross_entropy_gradient(
    predicted: ArrayLike,
    target: ArrayLike,
    *,
    from_logits: bool = False,
    axis: int = -1,
    reduction: str = "mean",
    class_weight: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    base: float | None = None,
) -> NDArray[np.floating[Any]]:
    r"""Gradient of :func:`cross_entropy` with respect to ``predicted``.

    With logits $z$, $\hat y = \operatorname{softmax}(z)$ and the target's weighted
    mass $a_c = w_c\, y'_c$ on class $c$ (class weight times the smoothed target; see
    :func:`cross_entropy`), a sample's loss has the gradient

    $$
    \frac{\partial}{\partial z_c} \Bigl(-\sum_{k=1}^{K} a_k \log \hat y_k\Bigr)
      = \Bigl(\sum_{k=1}^{K} a_k\Bigr) \hat y_c - a_c ,
    $$

    which is the familiar $\hat y - y$ without weights or smoothing. With
    probabilities $\hat y$ as input, each entry is treated as a free variable and
    $\partial L / \partial \hat y_c = -a_c / \hat y_c$ (0 where $a_c = 0$). Each
    sample's row is then scaled as the reduction scales its loss: multiplied by its
    sample weight $s_i$, for ``"mean"`` divided by the same denominator as
    :func:`cross_entropy`, and for ``base`` $\beta$ divided by $\ln \beta$.

    Parameters
    ----------
    predicted : array_like
        Probabilities, or logits with ``from_logits=True``, as in :func:`cross_entropy`.
    target : array_like
        Class indices or probabilities, as in :func:`cross_entropy`.
    from_logits, axis, class_weight, sample_weight, ignore_index, label_smoothing, base
        As in :func:`cross_entropy`.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` and ``"sum"``: the gradient of the reduced loss. ``"none"``: row
        $i$ holds the gradient of sample $i$'s own loss $s_i L_i$ (the Jacobian of the
        per-sample losses is block-diagonal, so this is also the gradient of
        ``"sum"``).

    Returns
    -------
    numpy.ndarray
        An array of ``predicted``'s shape and dtype rules (float16 entries beyond
        its range are ``inf``, as in :func:`cross_entropy`). A sample that counts for
        nothing (ignored, or of sample weight 0) has a row of zeros, even where the
        gradient of its loss would be infinite ($0 \cdot \infty = 0$, as in the
        binary gradient) or its logits are all ``-inf`` (padding: see
        :func:`cross_entropy`); so does every row when the mean's denominator is 0.

    Raises
    ------
    TypeError, ValueError
        As :func:`cross_entropy`.

    See Also
    --------
    cross_entropy : The loss itself.
    softmax : The $\operatorname{softmax}(z)$ in the gradient.

    References
    ----------
    1. I. Goodfellow, Y. Bengio, A. Courville, "Deep Learning", MIT Press, 2016,
       section 6.2.2.3.

    Examples
    --------
    Without weights or smoothing, the gradient from logits is $\operatorname{softmax}(z) - y$:

    >>> import numpy as np
    >>> from crossentropy import cross_entropy_gradient, softmax
    >>> z = np.array([2.0, 1.0, 0.1])
    >>> print(cross_entropy_gradient(z, 0, from_logits=True))
    [-0.34099886  0.24243297  0.09856589]
    >>> print(softmax(z) - np.array([1.0, 0.0, 0.0]))
    [-0.34099886  0.24243297  0.09856589]
    """
    problem = prepare(
        predicted,
        target,
        from_logits=from_logits,
        axis=axis,
        reduction=reduction,
        class_weight=class_weight,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        base=base,
    )
    rows, reduction = problem.predicted, problem.options.reduction
    row_scale = gradient_scale(
        problem.multiplier(),
        problem.normaliser() if reduction == "mean" else None,
        size=rows.n,
        reduction=reduction,
        log_base=problem.options.log_base,
        dtype=problem.dtype,
    )
    out = np.empty((*rows.batch_shape, rows.k), dtype=problem.dtype)
    plan_gradient(problem, row_scale, out.reshape(rows.n, rows.k))
    return as_result(np.moveaxis(out, -1, problem.options.axis), problem.out_dtype)


def perplexity(
    predicted: ArrayLike,
    target: ArrayLike,
    *,
    from_logits: bool = False,
    axis: int = -1,
    class_weight: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
) -> np.floating[Any]:
    r"""Perplexity: the exponential of the mean cross-entropy in nats.

    $$
    \operatorname{PPL} = \exp(J) = \Bigl(\prod_{i=1}^{n} \hat y_{i, t_i}\Bigr)^{-1/n}
    $$

    for class-index targets $t_i$ without weights: the inverse geometric mean of the
    probability given to the true class. A uniform guess over $K$ classes has
    perplexity $K$; a perfect model has perplexity 1. The value does not depend on
    the logarithm's base ($e^{J} = 2^{J / \ln 2}$, where $J / \ln 2$ is the same mean
    in bits), so there is no ``base`` argument.

    Parameters
    ----------
    predicted, target, from_logits, axis, class_weight, sample_weight, ignore_index, label_smoothing
        As in :func:`cross_entropy`.

    Returns
    -------
    numpy.floating
        A scalar, at least 1 (every term of the loss is at least 0).

    Raises
    ------
    TypeError, ValueError
        As :func:`cross_entropy`, for the arguments the two share.

    See Also
    --------
    cross_entropy : The mean cross-entropy $J$ whose exponential this is.

    References
    ----------
    1. D. Jurafsky, J. H. Martin, "Speech and Language Processing", 3rd ed.
       draft, chapter 3 (perplexity).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import perplexity
    >>> uniform = np.full((4, 10), 0.1)
    >>> print(f"{perplexity(uniform, np.array([0, 3, 5, 9])):.4f}")
    10.0000
    """
    mean = cross_entropy(
        predicted,
        target,
        from_logits=from_logits,
        axis=axis,
        reduction="mean",
        class_weight=class_weight,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
    )
    with np.errstate(over="ignore"):
        return cast(np.floating[Any], np.exp(mean))
