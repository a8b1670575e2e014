"""From checked arguments to a kernel: the categorical problem, and the one place
that picks the kernel for it.

:func:`prepare` validates the arguments (with :mod:`crossentropy._validate`) into a
:class:`Problem` whose target is typed: :class:`IndexTarget` (class indices, also
exactly one-hot probabilities), :class:`ProbTarget` (checked probabilities with their
row sums) or :class:`OneHotGuess` (probabilities for logits, left unchecked because
they are probably one-hot). :func:`plan_losses` then picks one straight-line kernel
for the problem; :func:`plan_gradient` does the same for the gradient.

The data flows one way: public function -> :func:`prepare` (validation) ->
:func:`plan_losses` (plan) -> a kernel -> :mod:`crossentropy._reduce`. Imports
:mod:`crossentropy._validate`, :mod:`crossentropy._reduce`, the kernels and the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _validate as v
from ._engine import Rows
from ._kernels.coefficients import (
    Coefficients,
    IndexCoefficients,
    ProbCoefficients,
    index_target_weight,
    prob_target_weight,
)
from ._kernels.gradient import logits_gradient, probs_gradient
from ._kernels.index_nll import NotOneHot, index_losses, one_hot_losses, weighted_index_losses
from ._kernels.prob_nll import prob_index_losses, prob_soft_losses
from ._kernels.rowstats import RowStats, row_statistics
from ._kernels.soft_nll import soft_losses
from ._kernels.softmax import undefined_rows
from ._reduce import sample_multiplier
from ._typing import FloatArray, IndexArray, Losses


@dataclass(frozen=True)
class IndexTarget:
    """Class indices, flat, with ignored entries replaced by 0 and the mask of the
    kept ones (None when nothing is ignored)."""

    labels: IndexArray
    keep: NDArray[np.bool_] | None = None


@dataclass(frozen=True)
class ProbTarget:
    """Checked probability targets that are not all one-hot, with their row sums."""

    rows: Rows
    sums: NDArray[np.float64]


@dataclass(frozen=True)
class OneHotGuess:
    """Probability targets for logits without class weights, sample weights or
    smoothing, not checked yet: probably one-hot. The loss pass tests them block by
    block. Every other argument has been checked by then, so a bad target is still
    the first error reported."""

    rows: Rows


Target = IndexTarget | ProbTarget | OneHotGuess


@dataclass(frozen=True)
class Options:
    """The checked scalar arguments of a categorical function."""

    from_logits: bool
    axis: int
    reduction: str
    smoothing: float
    log_base: float
    ignore_index: int | None


@dataclass(frozen=True)
class Problem:
    """A validated categorical problem, class axis moved last."""

    predicted: Rows
    target: Target
    options: Options
    class_weight: FloatArray | None
    sample_weight: FloatArray | None
    out_dtype: np.dtype[Any]

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.predicted.dtype

    def multiplier(self) -> FloatArray | None:
        """Per-sample factor on the loss: the sample weight, 0 for ignored samples."""
        keep = self.target.keep if isinstance(self.target, IndexTarget) else None
        return sample_multiplier(self.sample_weight, keep, self.dtype)

    def normaliser(self) -> FloatArray | None:
        """Per-sample weight in the mean's denominator: sample weight x target weight."""
        m = self.multiplier()
        if self.class_weight is None:
            return m
        smoothing = self.options.smoothing
        if isinstance(self.target, IndexTarget):
            tw = index_target_weight(self.target.labels, self.class_weight, smoothing)
        else:
            tw = prob_target_weight(self.target.rows, self.class_weight, smoothing, self.dtype)
        return tw if m is None else m * tw


# --- validation ---------------------------------------------------------------------


def checked_distribution(
    rows: NDArray[Any], name: str, *, given: np.dtype[Any] | None = None, hint: str = ""
) -> RowStats:
    """Check that every row (class axis last) of ``rows`` is a distribution, from the
    statistics one pass over them gathers; return those statistics. ``given``: the
    dtype the values were given in, when ``rows`` has been converted (float16 to float32)."""
    stats = row_statistics(Rows(rows))
    v.check_distribution(rows, stats, name, given=given, hint=hint)
    return stats


def checked_target(rows: NDArray[Any]) -> IndexTarget | ProbTarget:
    """Check probability targets (class axis last); return them as class indices if
    every row is exactly one-hot, else as rows with their sums."""
    stats = checked_distribution(rows, "target")
    if stats.one_hot:
        # Exactly one-hot rows are class indices: the same loss by definition (the
        # mean rule is the same for both forms), on the faster index path.
        return IndexTarget(stats.top)
    return ProbTarget(Rows(rows), stats.sums)


def classes_last(array: NDArray[Any], axis: int) -> NDArray[Any]:
    """``array`` with its class axis (``axis``, normalised) moved last: the array
    itself when it is last already, as it usually is (a call cheaper than moveaxis)."""
    return array if axis == array.ndim - 1 else np.moveaxis(array, axis, -1)


def _check_options(
    pred: FloatArray,
    from_logits: Any,
    axis: Any,
    reduction: Any,
    smoothing: Any,
    base: Any,
    ignore_index: Any,
) -> Options:
    options = Options(
        from_logits=v.check_flag(from_logits, "from_logits"),
        axis=v.normalize_axis(axis, pred.ndim),
        reduction=v.check_reduction(reduction),
        smoothing=v.check_label_smoothing(smoothing),
        log_base=v.check_base(base),
        ignore_index=v.check_ignore_index(ignore_index),
    )
    v.check_axis_not_empty(pred, options.axis, "predicted", classes=True)
    return options


def _parse_target(target: ArrayLike, pred: FloatArray, options: Options, *, guess: bool) -> Target:
    """The target in its typed form; probabilities are checked unless ``guess``."""
    tgt = v.as_real_array(target, "target")
    if v.target_form(tgt, pred, options.axis, options.ignore_index) == "indices":
        k = pred.shape[options.axis]
        labels, keep = v.check_class_indices(tgt, k, options.ignore_index)
        return IndexTarget(labels.reshape(-1), keep)
    moved = classes_last(tgt, options.axis)
    return OneHotGuess(Rows(moved)) if guess else checked_target(moved)


def prepare(
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
    guess_one_hot: bool = False,
) -> Problem:
    """Validate a categorical problem. With ``guess_one_hot``, probability targets for
    logits are left unchecked (:class:`OneHotGuess`) when nothing else is left to check
    after them (no class weights, sample weights or smoothing), for
    :func:`plan_losses` to test on the way."""
    pred, out_dtype = v.as_float_array(predicted, "predicted")
    options = _check_options(
        pred, from_logits, axis, reduction, label_smoothing, base, ignore_index
    )
    guess = (
        guess_one_hot
        and options.from_logits
        and class_weight is None
        and sample_weight is None
        and not options.smoothing
    )
    parsed = _parse_target(target, pred, options, guess=guess)
    moved = classes_last(pred, options.axis)
    if not options.from_logits:
        checked_distribution(moved, "predicted", given=out_dtype, hint=v.LOGITS_HINT)
    k, dtype = pred.shape[options.axis], pred.dtype
    weights = None if class_weight is None else v.check_class_weight(class_weight, k, dtype)
    samples = None
    if sample_weight is not None:
        samples = v.check_weight(sample_weight, "sample_weight", moved.shape[:-1], dtype, "sample")
        samples = samples.reshape(-1)
    if options.reduction == "mean":
        # The weighted mean does not change when either set of weights is scaled;
        # scaling both to a max of 1 keeps its sums from overflowing or underflowing.
        weights = None if weights is None else v.scaled_to_max_one(weights)
        samples = None if samples is None else v.scaled_to_max_one(samples)
    return Problem(Rows(moved), parsed, options, weights, samples, out_dtype)


# --- the plan -----------------------------------------------------------------------


def _index_coefficients(problem: Problem, target: IndexTarget) -> IndexCoefficients:
    """Class indices as the coefficients ``a = w y'`` of ``-log p`` (made block by block)."""
    k, smoothing = problem.predicted.k, problem.options.smoothing
    return IndexCoefficients(target.labels, k, problem.class_weight, smoothing)


def _prob_coefficients(problem: Problem, target: ProbTarget) -> ProbCoefficients:
    """Probabilities as the coefficients ``a = w y'`` of ``-log p`` (made block by block)."""
    return ProbCoefficients(target.rows, problem.class_weight, problem.options.smoothing)


def plan_losses(problem: Problem) -> Losses:
    """The per-sample losses of a validated problem (or only their sum, when the
    reduction needs no more), from the one kernel that fits it.

    Probability targets guessed to be one-hot go down the index path, which tests
    them block by block; if a block is not one-hot, they are checked in full and
    take the general path.
    """
    predicted, target, dtype = problem.predicted, problem.target, problem.dtype
    from_logits = problem.options.from_logits
    per_row = problem.options.reduction == "none" or problem.multiplier() is not None
    if isinstance(target, OneHotGuess):
        losses = one_hot_losses(predicted, target.rows, dtype, per_row=per_row)
        if not isinstance(losses, NotOneHot):
            return losses
        target = checked_target(target.rows.array)
    if isinstance(target, IndexTarget):
        if from_logits and problem.class_weight is None and not problem.options.smoothing:
            return index_losses(predicted, target.labels, dtype, per_row=per_row)
        indices = _index_coefficients(problem, target)
        if from_logits:
            return weighted_index_losses(predicted, indices, dtype)
        return prob_index_losses(predicted, indices, dtype)
    probabilities = _prob_coefficients(problem, target)
    if from_logits:
        return soft_losses(predicted, probabilities, target.sums, dtype)
    return prob_soft_losses(predicted, probabilities, dtype)


def plan_gradient(problem: Problem, row_scale: FloatArray, out: FloatArray) -> None:
    """Write the gradient of a validated problem into ``out`` (shape (n, k)), each row
    scaled by ``row_scale``; reject a row of logits whose softmax is undefined (but
    for a row of -inf that counts for nothing: :func:`~._validate.check_defined`).
    Targets still guessed to be one-hot are checked first."""
    target = problem.target
    if isinstance(target, OneHotGuess):
        target = checked_target(target.rows.array)
    coefficients: Coefficients = (
        _index_coefficients(problem, target)
        if isinstance(target, IndexTarget)
        else _prob_coefficients(problem, target)
    )
    if not problem.options.from_logits:
        probs_gradient(problem.predicted, coefficients, row_scale, out)
        return
    lse = logits_gradient(problem.predicted, coefficients, row_scale, out)
    v.check_defined(undefined_rows(lse), problem.predicted.batch_shape, problem.multiplier())
