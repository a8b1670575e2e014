r"""Categorical cross-entropy, its gradient, and perplexity."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _validate as v
from ._kernels import (
    Rows,
    categorical_gradient,
    categorical_losses,
    first_undefined,
    plain_index_losses,
    target_weight,
)
from ._reduce import Loss, reduce_losses

__all__ = ["cross_entropy", "cross_entropy_gradient", "perplexity"]

FloatArray = NDArray[np.floating[Any]]

_LOGITS_HINT = " (if these are logits, pass from_logits=True)"


@dataclass
class _Problem:
    """A validated categorical problem, class axis moved last."""

    predicted: Rows
    target: NDArray[np.intp] | Rows
    target_sums: NDArray[np.float64] | None
    keep: NDArray[np.bool_] | None
    from_logits: bool
    axis: int
    class_weight: FloatArray | None
    sample_weight: FloatArray | None
    smoothing: float
    log_base: float
    reduction: str
    dtype: np.dtype[Any]
    out_dtype: np.dtype[Any]
    unchecked: bool = False  # target: probability rows, not checked yet (see _prepare)

    def checked(self) -> _Problem:
        """This problem with its probability targets checked."""
        assert isinstance(self.target, Rows)
        target, sums = _checked_probabilities(self.target.array)
        return replace(self, target=target, target_sums=sums, unchecked=False)

    def multiplier(self) -> FloatArray | None:
        """Per-sample factor on the loss: the sample weight, 0 for ignored samples."""
        m = self.sample_weight
        if self.keep is not None:
            keep = self.keep.reshape(-1).astype(self.dtype)
            m = keep if m is None else m * keep
        return m

    def normaliser(self) -> FloatArray | None:
        """Per-sample weight in the mean's denominator: sample weight x target weight."""
        m = self.multiplier()
        if self.class_weight is None:
            return m
        tw = target_weight(self.target, self.class_weight, self.smoothing, self.dtype)
        return tw if m is None else m * tw


def _prepare(
    predicted: ArrayLike,
    target: ArrayLike,
    *,
    from_logits: Any,
    axis: Any,
    reduction: Any,
    class_weight: ArrayLike | None,
    sample_weight: ArrayLike | None,
    ignore_index: Any,
    label_smoothing: Any,
    base: Any,
    defer_one_hot_check: bool = False,
) -> _Problem:
    """Validate a problem. With ``defer_one_hot_check``, probability targets for
    logits without class weights or smoothing are left unchecked (``unchecked``):
    the fast path checks them block by block as it goes, assuming they are one-hot,
    and on the first block that is not, the caller calls :meth:`_Problem.checked`."""
    pred, out_dtype = v.as_float_array(predicted, "predicted")
    from_logits = v.check_flag(from_logits, "from_logits")
    axis = v.normalize_axis(axis, pred.ndim)
    reduction = v.check_reduction(reduction)
    smoothing = v.check_label_smoothing(label_smoothing)
    log_base = v.check_base(base)
    ignore = v.check_ignore_index(ignore_index)
    k = pred.shape[axis]
    if k == 0:
        raise ValueError(f"predicted has an empty class axis (axis {axis} of shape {pred.shape})")
    moved = np.moveaxis(pred, axis, -1)
    batch_shape = moved.shape[:-1]
    dtype = pred.dtype

    tgt = v.as_real_array(target, "target")
    keep = None
    target_sums = None
    unchecked = False
    parsed_target: NDArray[np.intp] | Rows
    if tgt.shape == pred.shape:
        if ignore is not None:
            raise ValueError(
                "ignore_index applies to class-index targets only; target has the shape "
                "of predicted, so it holds probabilities (give those samples "
                "sample_weight=0 instead)"
            )
        moved_target = np.moveaxis(tgt, axis, -1)
        unchecked = defer_one_hot_check and from_logits and class_weight is None and not smoothing
        if unchecked:
            parsed_target = Rows(moved_target)
        else:
            parsed_target, target_sums = _checked_probabilities(moved_target)
    elif tgt.shape == batch_shape:
        indices, keep = v.check_class_indices(tgt, k, ignore)
        parsed_target = indices.reshape(-1)
    else:
        raise ValueError(
            f"target has shape {tgt.shape}, but predicted has shape {pred.shape} with "
            f"classes on axis {axis}: expected {batch_shape} for class indices or "
            f"{pred.shape} for probabilities"
        )

    if not from_logits:
        v.check_distribution(moved, "predicted", hint=_LOGITS_HINT)
    weights = None if class_weight is None else v.check_class_weight(class_weight, k, dtype)
    samples = None
    if sample_weight is not None:
        try:
            samples = v.check_weight(sample_weight, "sample_weight", batch_shape, dtype, "sample")
        except (TypeError, ValueError):
            if unchecked:  # report a bad target first, as when it is checked up front
                _checked_probabilities(moved_target)
            raise
        samples = samples.reshape(-1)
    if reduction == "mean":
        # The weighted mean does not change when either set of weights is scaled;
        # scaling both to a max of 1 keeps its sums from overflowing or underflowing.
        weights = None if weights is None else v.scaled_to_max_one(weights)
        samples = None if samples is None else v.scaled_to_max_one(samples)
    return _Problem(
        predicted=Rows(moved),
        target=parsed_target,
        target_sums=target_sums,
        keep=keep,
        from_logits=from_logits,
        axis=axis,
        class_weight=weights,
        sample_weight=samples,
        smoothing=smoothing,
        log_base=log_base,
        reduction=reduction,
        dtype=dtype,
        out_dtype=out_dtype,
        unchecked=unchecked,
    )


def _checked_probabilities(
    moved_target: NDArray[Any],
) -> tuple[NDArray[np.intp] | Rows, NDArray[np.float64] | None]:
    """Check probability targets (class axis last); return them as class indices if
    every row is exactly one-hot, else as rows with their sums."""
    stats = v.check_distribution(moved_target, "target")
    if stats.one_hot:
        # Exactly one-hot rows are class indices: the same loss by definition (the
        # mean rule is the same for both forms), on the faster index path.
        return stats.top, None
    return Rows(moved_target), stats.sums


def _check_defined(undefined: tuple[int, float] | None, batch_shape: tuple[int, ...]) -> None:
    """Turn the first row whose log-sum-exp makes softmax undefined into an error."""
    if undefined is None:
        return
    row, value = undefined
    where = np.unravel_index(row, batch_shape) if batch_shape else ()
    position = "(" + ", ".join(str(int(i)) for i in where) + ("," if len(where) == 1 else "") + ")"
    if np.isnan(value):
        problem = "contains NaN"
    elif value > 0:
        problem = "contains +inf (logits must be finite, or -inf to mask a class)"
    else:
        problem = "has every logit equal to -inf, so its softmax is undefined"
    raise ValueError(f"predicted: the row at batch position {position} {problem}")


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
) -> Loss:
    r"""Cross-entropy between target distributions and predicted distributions.

    For one sample with target distribution $y$ (one-hot or soft) and predicted
    distribution $\hat y = \operatorname{softmax}(z)$ over $K$ classes, the loss is

    $$
    L(\hat y, y) = -\sum_{c=1}^{K} w_c \, y'_c \log \hat y_c,
    \qquad y' = (1 - \varepsilon)\, y + \frac{\varepsilon}{K},
    $$

    where $w$ are the class weights (all 1 by default) and $\varepsilon$ is the label
    smoothing. With a class index $t$ as target and no smoothing it is
    $-w_t \log \hat y_t$. The ``"mean"`` reduction over a batch is

    $$
    J = \frac{\sum_i s_i\, L_i}{\sum_i s_i \sum_c w_c\, y'_{ic}},
    $$

    with sample weights $s_i$ (0 for ignored samples). The denominator is the total
    weight of the targets, so class-index targets and their one-hot encoding give the
    same answer; without weights it is the number of samples $n$.

    Parameters
    ----------
    predicted : array_like
        Predicted probabilities, or unnormalised logits with ``from_logits=True``.
        Any shape; the classes lie along ``axis``. Probabilities must lie in [0, 1]
        and sum to 1 along ``axis`` (within ``sqrt(eps)`` of the dtype).
    target : array_like
        Either class indices, an integer array of the shape of ``predicted`` without
        the class axis; or probabilities (one-hot or soft), an array of the same shape
        as ``predicted`` whose entries lie in [0, 1] and sum to 1 along ``axis``. The
        form is told apart by shape, not dtype, so an integer one-hot array works.
    from_logits : bool, default False
        Treat ``predicted`` as logits $z$ and use the stable
        $\log \hat y_c = z_c - \operatorname{logsumexp}(z)$. Logits may be ``-inf``
        (a masked class), never ``+inf`` or NaN.
    axis : int, default -1
        The class axis of ``predicted`` (and of ``target`` when it holds probabilities).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-sample losses $s_i L_i$ in the batch shape;
        ``"sum"`` their sum; ``"mean"`` the weighted mean $J$ above.
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
        Base of the logarithm: ``None`` for nats (natural log), ``2`` for bits.

    Returns
    -------
    numpy.floating or numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``, an array of the batch shape for
        ``"none"``. float32 input gives float32, float64 gives float64, float16 is
        computed in float32 and returned as float16, integers give float64.

    Raises
    ------
    TypeError
        If an argument has the wrong type: non-numeric arrays, non-integer class
        indices, a non-integer ``axis``, a non-boolean ``from_logits``.
    ValueError
        If ``target``'s shape fits neither form; a class index is out of range (and is
        not ``ignore_index``); probabilities are negative, above 1, NaN, infinite or do
        not sum to 1; logits are NaN or ``+inf``, or a row is all ``-inf``; weights
        have the wrong shape, are negative or not finite, or are non-zero but below
        the dtype's normal range (subnormal) or its range below the largest weight;
        ``label_smoothing`` is outside [0, 1]; ``reduction`` is unknown; ``axis`` is
        out of range; the class axis is empty; ``base`` is not positive or equals 1.

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
    predicted probability is zero ($0 \log 0 = 0$).

    Where this differs from ``torch.nn.functional.cross_entropy``: PyTorch puts the
    class axis at 1, not -1; with probability targets and class weights it divides
    the mean by $n$ instead of by the targets' weight (so index and one-hot targets
    disagree there; here they agree); with label smoothing and class weights its
    denominator ignores the smoothing; a batch whose targets are all ignored gives
    NaN in PyTorch and 0 here. Unlike scikit-learn's ``log_loss``, probabilities are
    never clipped and never silently renormalised.

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
    """
    problem = _prepare(
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
        defer_one_hot_check=True,
    )
    multiplier = problem.multiplier()
    per_row = problem.reduction == "none" or multiplier is not None
    losses = None
    if problem.unchecked:  # probably one-hot: checked on the way
        losses = plain_index_losses(
            problem.predicted, problem.target, problem.dtype, per_row=per_row
        )
        if losses is None:
            problem = problem.checked()
    if losses is None:
        losses = categorical_losses(
            problem.predicted,
            problem.target,
            from_logits=problem.from_logits,
            class_weight=problem.class_weight,
            smoothing=problem.smoothing,
            dtype=problem.dtype,
            target_sums=problem.target_sums,
            per_row=per_row,
        )
    _check_defined(losses.undefined, problem.predicted.batch_shape)
    return reduce_losses(
        losses.per_row,
        total=losses.total,
        multiplier=multiplier,
        normaliser=problem.normaliser() if problem.reduction == "mean" else None,
        reduction=problem.reduction,
        log_base=problem.log_base,
        batch_shape=problem.predicted.batch_shape,
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
) -> FloatArray:
    r"""Gradient of :func:`cross_entropy` with respect to ``predicted``.

    With logits $z$ and coefficients $a_c = w_c\, y'_c$ (class weight times the
    smoothed target), the per-sample loss $L = -\sum_c a_c \log \operatorname{softmax}(z)_c$
    has the gradient

    $$
    \frac{\partial L}{\partial z_c} = \Bigl(\sum_{k} a_k\Bigr) \operatorname{softmax}(z)_c - a_c,
    $$

    which is the familiar $\operatorname{softmax}(z) - y$ without weights or
    smoothing. With probabilities $p$ as input, each entry is treated as a free
    variable and $\partial L / \partial p_c = -a_c / p_c$ (0 where $a_c = 0$). Each
    sample's row is then scaled as the reduction scales its loss: by $s_i$, and for
    ``"mean"`` divided by the same denominator as :func:`cross_entropy`, and by
    $\log b$ for ``base`` $b$.

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
        An array of ``predicted``'s shape and dtype rules. Ignored samples have zero
        rows; so does every row when the mean's denominator is 0.

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
    >>> import numpy as np
    >>> from crossentropy import cross_entropy_gradient, softmax
    >>> z = np.array([2.0, 1.0, 0.1])
    >>> print(cross_entropy_gradient(z, 0, from_logits=True))
    [-0.34099886  0.24243297  0.09856589]
    >>> print(softmax(z) - np.array([1.0, 0.0, 0.0]))
    [-0.34099886  0.24243297  0.09856589]
    """
    problem = _prepare(
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
    rows = problem.predicted
    scale = problem.multiplier()
    row_scale = np.ones(rows.n, dtype=problem.dtype) if scale is None else scale.copy()
    if problem.reduction == "mean":
        normaliser = problem.normaliser()
        total = float(rows.n) if normaliser is None else float(np.sum(normaliser, dtype=np.float64))
        row_scale *= 1.0 / total if total > 0 else 0.0
    row_scale /= problem.log_base
    out = np.empty((*rows.batch_shape, rows.k), dtype=problem.dtype)
    lse = categorical_gradient(
        rows,
        problem.target,
        from_logits=problem.from_logits,
        class_weight=problem.class_weight,
        smoothing=problem.smoothing,
        row_scale=row_scale,
        out=out.reshape(rows.n, rows.k),
    )
    _check_defined(None if lse is None else first_undefined(lse), rows.batch_shape)
    return np.moveaxis(out, -1, problem.axis).astype(problem.out_dtype, copy=False)


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
    the logarithm's base ($e^{H_\text{nats}} = 2^{H_\text{bits}}$), so there is no
    ``base`` argument.

    Parameters
    ----------
    predicted, target, from_logits, axis, class_weight, sample_weight, ignore_index, label_smoothing
        As in :func:`cross_entropy`.

    Returns
    -------
    numpy.floating
        A scalar, at least 1 for one-hot targets without weights.

    Raises
    ------
    TypeError, ValueError
        As :func:`cross_entropy`.

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
