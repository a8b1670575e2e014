"""Argument checks shared by the public functions, and their messages: one place.

Every public function calls these on its first lines, so that a kernel never sees an
argument it has to doubt (the one exception: probability targets for logits are
tested for being one-hot inside the loss pass, and checked here in full only if they
are not; see :func:`crossentropy._plan.plan_losses`). A message always names the
argument and says what was wrong with it, with the offending value or position where
there is one. Checks of a whole distribution read the row statistics a kernel has
gathered (:class:`RowStatistics`) and never compute them; none of these checks
allocates an array of the full input's size except on the way to an error.

Imports :mod:`crossentropy._typing` only; kernels never import this module.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal, NoReturn, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._typing import FloatArray, IndexArray, Undefined

REDUCTIONS = ("none", "mean", "sum")

#: Added to a message about probabilities that may well be logits.
LOGITS_HINT = " (if these are logits, pass from_logits=True)"


# --- positions, numbers -------------------------------------------------------------


def format_position(index: tuple[Any, ...]) -> str:
    """``(3,)``, ``(1, 2)`` or ``()``: a position as Python prints a tuple of ints."""
    return "(" + ", ".join(str(int(i)) for i in index) + ("," if len(index) == 1 else "") + ")"


def first_position(mask: NDArray[np.bool_]) -> str:
    """The position of the first true entry of ``mask``, formatted."""
    return format_position(tuple(np.argwhere(mask)[0]))


def _require(value: Any, kind: type, name: str, what: str) -> None:
    """Raise TypeError unless ``value`` is a ``kind`` number (a bool is not a number)."""
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {what}, got {value!r}")


def require_integer(value: Any, name: str, what: str = "an integer") -> int:
    _require(value, numbers.Integral, name, what)
    return int(value)


def check_count(value: Any, name: str) -> int:
    """An integer of at least 1 (a thread count, a number of classes)."""
    count = require_integer(value, name)
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return count


# --- arrays and dtypes --------------------------------------------------------------


def compute_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The floating dtype a computation runs in, told by kind and size (byte order
    aside): float16 and float32 are computed in float32, float64 in float64, integers
    and booleans in float64. Always native byte order."""
    if dtype.kind == "f" and dtype.itemsize <= 4:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def result_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype a result is returned in: the input's floating dtype (float16, float32
    or float64), float64 otherwise; always in native byte order (``'>f4'`` gives
    float32)."""
    if dtype.kind == "f" and dtype.itemsize <= 8:
        return np.dtype(f"f{dtype.itemsize}")
    return np.dtype(np.float64)


def check_not_masked_or_tracked(value: Any, name: str) -> None:
    """Refuse what ``np.asarray`` would read wrongly or not at all: a masked array
    (its mask would be dropped, and the masked entries counted) and a tensor that
    requires grad (torch refuses to hand it over, from deep inside). Duck-typed: no
    framework is imported."""
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{name} is a masked array (numpy.ma), whose mask would be ignored; pass "
            f"its data ({name}.data) and leave the masked samples out with "
            "sample_weight=~mask, or with ignore_index for class-index targets "
            "(a -inf logit masks a class)"
        )
    if getattr(value, "requires_grad", False) and callable(getattr(value, "detach", None)):
        raise TypeError(
            f"{name} is a tensor that requires grad; NumPy cannot read it without "
            f"leaving the autograd graph: pass {name}.detach() (.detach().cpu() for a "
            "tensor on a GPU, or .detach().cpu().numpy())"
        )


def as_real_array(value: ArrayLike, name: str) -> NDArray[Any]:
    """Convert ``value`` to an array of a real numeric dtype in native byte order (an
    array in the other byte order is copied), or raise TypeError (also for a masked
    array or a tensor that requires grad: :func:`check_not_masked_or_tracked`)."""
    check_not_masked_or_tracked(value, name)
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be array-like of real numbers: {exc}") from None
    kind = array.dtype.kind
    if kind not in "biuf" or (kind == "f" and array.dtype.itemsize > 8):
        raise TypeError(
            f"{name} must hold real numbers (bool, integer or float), "
            f"got an array of dtype {array.dtype}"
        )
    if not array.dtype.isnative:  # '>f4' on a little-endian machine: every kernel
        array = array.astype(array.dtype.newbyteorder("="))  # reads native numbers
    return array


def as_float_array(value: ArrayLike, name: str) -> tuple[FloatArray, np.dtype[Any]]:
    """Return ``value`` as a floating array in its compute dtype, and its result dtype."""
    array = as_real_array(value, name)
    out_dtype = result_dtype(array.dtype)
    return array.astype(compute_dtype(array.dtype), copy=False), out_dtype


def check_integer_dtype(array: NDArray[Any], name: str) -> None:
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers, got dtype {array.dtype}")


def check_same_shape(predicted: NDArray[Any], target: NDArray[Any], needs: str) -> None:
    """Raise unless ``target`` has ``predicted``'s shape; ``needs`` says why it must."""
    if target.shape != predicted.shape:
        raise ValueError(
            f"target has shape {target.shape} but predicted has shape {predicted.shape}; {needs}"
        )


# --- axes ---------------------------------------------------------------------------


def normalize_axis(axis: Any, ndim: int, name: str = "axis", of: str = "predicted") -> int:
    """Return ``axis`` as a non-negative int for an array of ``ndim`` dimensions."""
    axis_value = require_integer(axis, name)
    if ndim == 0:
        raise ValueError(f"{of} must have at least one dimension (the class axis), got a scalar")
    if not -ndim <= axis_value < ndim:
        raise ValueError(
            f"{name}={axis_value} is out of range for {of} with {ndim} dimension"
            f"{'s' if ndim != 1 else ''} (valid: {-ndim} to {ndim - 1})"
        )
    return axis_value % ndim


def check_axis_not_empty(array: NDArray[Any], axis: int, name: str, *, classes: bool) -> None:
    """Raise if ``axis`` of ``array`` has length 0 (``classes``: call it the class axis)."""
    if array.shape[axis] == 0:
        if classes:
            raise ValueError(f"{name} has an empty class axis (axis {axis} of shape {array.shape})")
        raise ValueError(f"{name} has an empty axis {axis} (shape {array.shape})")


# --- options ------------------------------------------------------------------------


def check_reduction(reduction: Any, allowed: tuple[str, ...] = REDUCTIONS) -> str:
    if not isinstance(reduction, str) or reduction not in allowed:
        options = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"reduction must be one of {options}; got {reduction!r}")
    return reduction


def check_base(base: Any) -> float:
    """Return ``log(base)``, the divisor that turns nats into units of ``base``.

    The base must be finite and greater than 1: below 1 the logarithm is negative, and
    so would be every entropy and divergence (which are never negative)."""
    if base is None:
        return 1.0
    _require(base, numbers.Real, "base", "a real number greater than 1, or None")
    value = float(base)
    if not (math.isfinite(value) and value > 1.0):  # also rejects NaN
        raise ValueError(
            f"base must be a finite number greater than 1, got {value!r} (a base of "
            "at most 1 makes entropies negative or undefined); use base=2 for bits "
            "or None for nats"
        )
    return math.log(value)


def check_label_smoothing(label_smoothing: Any) -> float:
    _require(label_smoothing, numbers.Real, "label_smoothing", "a real number in [0, 1]")
    value = float(label_smoothing)
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise ValueError(f"label_smoothing must be in [0, 1], got {value!r}")
    return value


def check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_ignore_index(ignore_index: Any) -> int | None:
    if ignore_index is None:
        return None
    return require_integer(ignore_index, "ignore_index", "an integer or None")


# --- values -------------------------------------------------------------------------


def check_not_nan(values: NDArray[Any], name: str) -> None:
    nan = np.isnan(values)
    if nan.any():
        raise ValueError(f"{name} contains NaN (first at position {first_position(nan)})")


def check_unit_interval(values: FloatArray, name: str, *, hint: str = "") -> None:
    """Check that ``values`` are probabilities: not NaN, within [0, 1]."""
    if values.size == 0:
        return
    low = values.min()
    high = values.max()
    if np.isnan(low) or np.isnan(high):
        check_not_nan(values, name)
    for outside, is_bad in ((low < 0.0, np.less), (high > 1.0, np.greater)):
        if outside:  # only now build a full-size mask, on the error path
            bad = is_bad(values, 0.0 if is_bad is np.less else 1.0)
            where = tuple(np.argwhere(bad)[0])
            raise ValueError(
                f"{name} must hold probabilities in [0, 1]; found {values[where].item()!r} "
                f"at position {format_position(where)}{hint}"
            )


def sum_tolerance(dtype: np.dtype[Any]) -> float:
    """How far a row sum may stray from 1: sqrt(eps) of the dtype the values were
    given in, as scikit-learn's ``log_loss`` uses (0.031 for float16, 3.5e-4 for
    float32, 1.5e-8 for float64 and for integers). float16 is computed in float32,
    but its values carry float16's rounding: a correctly rounded row of 3 float16
    probabilities may sum to 1 +- 1e-3."""
    return float(np.sqrt(np.finfo(result_dtype(dtype)).eps))


class RowStatistics(Protocol):
    """What a pass over probability rows has learnt (:mod:`crossentropy._kernels.rowstats`)."""

    @property
    def low(self) -> float: ...  # the smallest entry, NaN if any is NaN
    @property
    def high(self) -> float: ...  # the largest entry, likewise
    @property
    def sums(self) -> NDArray[np.float64]: ...  # each row's sum (when not one_hot)
    @property
    def one_hot(self) -> bool: ...  # every row is exactly one-hot


def check_distribution(
    rows: NDArray[Any],
    stats: RowStatistics,
    name: str,
    *,
    given: np.dtype[Any] | None = None,
    hint: str = "",
) -> None:
    """Check that every row (last axis) of ``rows`` is a probability distribution:
    not NaN, in [0, 1], and summing to 1 within the :func:`sum_tolerance` of the dtype
    the values were ``given`` in (``rows``' own by default; float16 input is computed
    in float32), from the row statistics ``stats``. Only on the way to an error is
    ``rows`` itself read, to find the first bad value. (A float16 value is exactly a
    float32 value, so the range [0, 1] needs no tolerance.)"""
    if np.isnan(stats.low) or np.isnan(stats.high) or stats.low < 0 or stats.high > 1:
        check_unit_interval(rows, name, hint=hint)  # finds and reports the first bad value
    if stats.one_hot:
        return
    shaped = stats.sums.reshape(rows.shape[:-1])
    tol = sum_tolerance(rows.dtype if given is None else given)
    bad = np.abs(shaped - 1.0) > tol
    if bad.any():
        first = tuple(np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must sum to 1 over the class axis; the row at batch "
            f"position {format_position(first)} sums to {shaped[first]:.6g} "
            f"(tolerance {tol:.1e}){hint}"
        )


# --- weights ------------------------------------------------------------------------


def check_class_weight(
    class_weight: ArrayLike, num_classes: int, dtype: np.dtype[Any]
) -> FloatArray:
    weights = as_real_array(class_weight, "class_weight")
    if weights.shape != (num_classes,):
        raise ValueError(
            f"class_weight must have one weight per class, shape ({num_classes},); "
            f"got shape {weights.shape}"
        )
    weights = weights.astype(dtype, copy=False)
    _check_nonnegative_finite(weights, "class_weight")
    return weights


def check_weight(
    weight: ArrayLike, name: str, shape: tuple[int, ...], dtype: np.dtype[Any], what: str
) -> FloatArray:
    """Check a non-negative, finite weight array broadcastable to ``shape``."""
    weights = as_real_array(weight, name)
    try:
        weights = np.broadcast_to(weights, shape)
    except ValueError:
        raise ValueError(
            f"{name} must have one weight per {what}, shape {shape} "
            f"(or broadcast to it); got shape {weights.shape}"
        ) from None
    weights = weights.astype(dtype, copy=False)
    _check_nonnegative_finite(weights, name)
    return weights


def scaled_to_max_one(weights: FloatArray) -> FloatArray:
    """``weights / max(weights)`` (unchanged when all are 0): for scale-free means."""
    top = weights.max() if weights.size else 0
    return weights / top if top > 0 else weights


def _check_nonnegative_finite(weights: FloatArray, name: str) -> None:
    """Weights: finite, non-negative, and 0 or normal numbers of a representable range."""
    if weights.size == 0:
        return
    for bad, problem in ((~np.isfinite(weights), "finite"), (weights < 0, "non-negative")):
        if bad.any():
            where = tuple(np.argwhere(bad)[0])
            raise ValueError(
                f"{name} must be {problem}; found {weights[where].item()!r} "
                f"at position {format_position(where)}"
            )
    # A weight below the dtype's normal range keeps only a few significant bits, and
    # the weighted mean divides by a sum of weights: neither could be computed
    # accurately. The mean also rescales the weights by their largest, so their range
    # must fit the dtype too.
    tiny = float(np.finfo(weights.dtype).tiny)
    positive = weights[weights > 0]
    if positive.size and (positive.min() < tiny or positive.min() < tiny * positive.max()):
        where = tuple(np.argwhere(weights == positive.min())[0])
        raise ValueError(
            f"{name} must be 0 or within {1 / tiny:.1e} of its largest value and at least "
            f"{tiny:.1e} ({weights.dtype}); found {weights[where].item()!r} at position "
            f"{format_position(where)} (use 0 to drop it)"
        )


# --- targets ------------------------------------------------------------------------


def target_form(
    target: NDArray[Any], predicted: NDArray[Any], axis: int, ignore_index: int | None
) -> Literal["probabilities", "indices"]:
    """Which form ``target`` takes, told by its shape; raise if it fits neither, or
    if ``ignore_index`` is given for probabilities."""
    batch_shape = predicted.shape[:axis] + predicted.shape[axis + 1 :]
    if target.shape == predicted.shape:
        if ignore_index is not None:
            raise ValueError(
                "ignore_index applies to class-index targets only; target has the shape "
                "of predicted, so it holds probabilities (give those samples "
                "sample_weight=0 instead)"
            )
        return "probabilities"
    if target.shape == batch_shape:
        return "indices"
    raise ValueError(
        f"target has shape {target.shape}, but predicted has shape {predicted.shape} with "
        f"classes on axis {axis}: expected {batch_shape} for class indices or "
        f"{predicted.shape} for probabilities"
    )


def check_class_indices(
    target: NDArray[Any], num_classes: int, ignore_index: int | None, name: str = "target"
) -> tuple[IndexArray, NDArray[np.bool_] | None]:
    """Validate integer class indices. Return them as ``intp`` with ignored entries
    replaced by 0, and the mask of kept entries (None when nothing is ignored)."""
    if target.dtype.kind not in "iu":
        raise TypeError(
            "target has the shape of class indices, so it must hold integers; "
            f"got dtype {target.dtype} (use target.astype(int), or pass probabilities "
            "with the same shape as predicted)"
        )
    keep: NDArray[np.bool_] | None = None
    if ignore_index is not None:
        ignored = target == ignore_index
        if ignored.any():
            keep = ~ignored
    checked = target if keep is None else target[keep]
    if checked.size:
        low, high = checked.min(), checked.max()
        if low < 0 or high >= num_classes:
            bad_value = low if low < 0 else high
            extra = "" if ignore_index is None else f" and is not ignore_index={ignore_index}"
            raise ValueError(
                f"{name} holds class index {int(bad_value)} at position "
                f"{first_position(target == bad_value)}, out of range for {num_classes} "
                f"classes (valid: 0 to {num_classes - 1}){extra}"
            )
    indices = target.astype(np.intp, copy=False)
    if keep is not None:
        indices = np.where(keep, indices, 0)
    return indices, keep


# --- undefined rows (found by the kernels, reported here) --------------------------

#: Where an undefined row is, and what is wrong with it (NaN, +inf, all -inf), as the
#: loss functions say it (of rows of logits) and as the activations do (of slices).
_ROW_WORDING = (
    "the row at batch position {}",
    "contains NaN",
    "contains +inf (logits must be finite, or -inf to mask a class)",
    "has every logit equal to -inf, so its softmax is undefined",
)
_SLICE_WORDING = (
    "the slice at position {} along the other axes",
    "contains NaN",
    "contains +inf, for which softmax is undefined",
    "is all -inf, for which softmax is undefined (0 / 0)",
)


def _raise_undefined(
    name: str, row: int, value: Any, batch_shape: tuple[int, ...], wording: tuple[str, ...]
) -> NoReturn:
    where = np.unravel_index(row, batch_shape) if batch_shape else ()
    place, nan, positive, negative = wording
    problem = nan if np.isnan(value) else positive if value > 0 else negative
    raise ValueError(f"{name}: {place.format(format_position(where))} {problem}")


def check_defined(
    undefined: Undefined | None, batch_shape: tuple[int, ...], multiplier: FloatArray | None
) -> None:
    """Turn the first row of logits whose softmax is undefined into an error: a NaN or
    a +inf logit anywhere, and every logit -inf in a row that counts. A row that counts
    for nothing (``multiplier`` 0: an ignored label, a sample weight of 0) may be all
    -inf: a fully masked, padded position, whose loss and gradient are 0."""
    if undefined is None:
        return
    rows, values = undefined
    bad = ~np.isneginf(values)
    if multiplier is None:
        bad[:] = True
    else:
        bad |= multiplier[rows] != 0
    if bad.any():
        first = int(np.argmax(bad))
        _raise_undefined("predicted", int(rows[first]), values[first], batch_shape, _ROW_WORDING)


def check_defined_slices(
    lse: FloatArray, batch_shape: tuple[int, ...], name: str, *, allow_inf: bool
) -> None:
    """Reject the first slice whose log-sum-exp ``lse`` is NaN (or, unless
    ``allow_inf``, infinite)."""
    if np.isfinite(lse).all():
        return
    bad = np.isnan(lse) if allow_inf else ~np.isfinite(lse)
    if bad.any():
        row = int(np.argmax(bad))
        _raise_undefined(name, row, lse[row], batch_shape, _SLICE_WORDING)
