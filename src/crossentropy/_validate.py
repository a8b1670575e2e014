"""Argument checks shared by the public functions, and their messages.

Every public function calls these on its first lines, so that a kernel never
sees an argument it has to doubt (the one exception: probability targets for
logits are tested for being one-hot inside the loss pass, and checked here in full
only if they are not; see ``categorical._prepare``). A message always names the argument and says
what was wrong with it, with the offending value or position where there is one.
None of these checks allocates an array of the full input's size: they use
reductions (min, max, row sums), so they stay within the package's memory bound.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.floating[Any]]

REDUCTIONS = ("none", "mean", "sum")


def _describe_position(index: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(int(i)) for i in index) + ("," if len(index) == 1 else "") + ")"


def compute_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The floating dtype a computation runs in: float32 and float64 are kept,
    float16 is computed in float32, integers and booleans in float64."""
    if dtype == np.float32 or dtype == np.float16:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def result_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype a result is returned in: the input's floating dtype, float64 otherwise."""
    if dtype.kind == "f" and dtype.itemsize <= 8:
        return dtype
    return np.dtype(np.float64)


def as_real_array(value: ArrayLike, name: str) -> NDArray[Any]:
    """Convert ``value`` to an array of a real numeric dtype, or raise TypeError."""
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
    return array


def as_float_array(value: ArrayLike, name: str) -> tuple[FloatArray, np.dtype[Any]]:
    """Return ``value`` as a floating array in its compute dtype, and its result dtype."""
    array = as_real_array(value, name)
    out_dtype = result_dtype(array.dtype)
    return array.astype(compute_dtype(array.dtype), copy=False), out_dtype


def normalize_axis(axis: Any, ndim: int, name: str = "axis", of: str = "predicted") -> int:
    """Return ``axis`` as a non-negative int for an array of ``ndim`` dimensions."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {axis!r}")
    axis_value = int(axis)
    if ndim == 0:
        raise ValueError(f"{of} must have at least one dimension (the class axis), got a scalar")
    if not -ndim <= axis_value < ndim:
        raise ValueError(
            f"{name}={axis_value} is out of range for {of} with {ndim} dimension"
            f"{'s' if ndim != 1 else ''} (valid: {-ndim} to {ndim - 1})"
        )
    return axis_value % ndim


def check_reduction(reduction: Any, allowed: tuple[str, ...] = REDUCTIONS) -> str:
    if not isinstance(reduction, str) or reduction not in allowed:
        options = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"reduction must be one of {options}; got {reduction!r}")
    return reduction


def check_base(base: Any) -> float:
    """Return ``log(base)``, the divisor that turns nats into units of ``base``."""
    if base is None:
        return 1.0
    if isinstance(base, bool) or not isinstance(base, numbers.Real):
        raise TypeError(f"base must be a positive real number or None, got {base!r}")
    value = float(base)
    if not math.isfinite(value) or value <= 0.0 or value == 1.0:
        raise ValueError(
            f"base must be positive, finite and different from 1 (log base {value!r} "
            "is zero or undefined); use base=2 for bits or None for nats"
        )
    return math.log(value)


def check_label_smoothing(label_smoothing: Any) -> float:
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
        raise TypeError(f"label_smoothing must be a real number in [0, 1], got {label_smoothing!r}")
    value = float(label_smoothing)
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise ValueError(f"label_smoothing must be in [0, 1], got {value!r}")
    return value


def check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def sum_tolerance(dtype: np.dtype[Any]) -> float:
    """How far a row sum may stray from 1: sqrt(eps) of the dtype, as scikit-learn's
    ``log_loss`` uses (3.5e-4 for float32, 1.5e-8 for float64)."""
    return float(np.sqrt(np.finfo(compute_dtype(dtype)).eps))


def check_unit_interval(values: FloatArray, name: str, *, hint: str = "") -> None:
    """Check that ``values`` are probabilities: not NaN, within [0, 1]."""
    if values.size == 0:
        return
    low = values.min()
    high = values.max()
    if np.isnan(low) or np.isnan(high):
        where = tuple(np.argwhere(np.isnan(values))[0])
        raise ValueError(f"{name} contains NaN (first at position {_describe_position(where)})")
    for outside, is_bad in ((low < 0.0, np.less), (high > 1.0, np.greater)):
        if outside:  # only now build a full-size mask, on the error path
            where = tuple(np.argwhere(is_bad(values, 0.0 if is_bad is np.less else 1.0))[0])
            raise ValueError(
                f"{name} must hold probabilities in [0, 1]; found {values[where].item()!r} "
                f"at position {_describe_position(where)}{hint}"
            )


class RowStats(NamedTuple):
    """What validating a distribution learns on the way, for the kernels to reuse."""

    sums: NDArray[np.float64]  # each row's sum, flat (undefined when one_hot)
    top: NDArray[np.intp]  # each row's class, flat (defined only when one_hot)
    one_hot: bool  # every row is exactly one-hot


#: Below this many classes the class of a one-hot row is found as ``sum_j y_j j``
#: (one ``einsum``, 0.3-0.9 ns per entry here) rather than with ``argmax``, which
#: pays a per-row cost on short rows (1.2-1.9 ns per entry at 10-32 classes).
SMALL_K = 128


def one_hot_classes(block: NDArray[Any], out: NDArray[np.intp], offsets: NDArray[np.intp]) -> bool:
    """Whether every row of the 2-D ``block`` is exactly one-hot; if so, each row's
    class is in ``out``. ``offsets`` holds each row's start, ``arange(0, m k, k)``.

    A row is one-hot when its only non-zero entry is exactly 1. (A float sum of 1
    does not say so: 1 + 1e-10 rounds to 1 in float32.) Non-zero entries are
    counted on an integer view of floats, 5x faster, so a -0.0 entry counts too; it
    merely sends the block down the general path, with the same result. A block
    with as many non-zero entries as rows is one-hot if the entry at each row's
    candidate class is exactly 1: that row then has a non-zero entry, so, with no
    more non-zero entries than rows, every row has exactly one. The candidate is
    the row's argmax, or for few classes ``sum_j y_j j`` (exact for a one-hot row;
    for any other row, whatever the sum comes to, the entry it points at is not a
    lone 1). Two passes, and the second only over a block that may be one-hot.
    """
    from ._kernels import _take_flat  # no cycle at import time

    m, k = block.shape
    bits = np.dtype(f"i{block.dtype.itemsize}") if block.dtype.kind == "f" else None
    if np.count_nonzero(block if bits is None else block.view(bits)) != m:
        return False
    if k >= SMALL_K:
        np.argmax(block, axis=1, out=out)
    else:
        classes = np.arange(k, dtype=block.dtype if bits is not None else np.int64)
        # Any class will do as a candidate: the test below decides. The cast only has
        # to land in [0, k) (what NaN and inf become depends on the platform).
        np.copyto(out, np.einsum("ij,j->i", block, classes), casting="unsafe")
        if not np.all(out.view(np.uintp) < k):  # a negative class wraps around: fails
            return False
    return bool(np.all(_take_flat(block, offsets[:m] + out) == 1))


def check_distribution(rows: FloatArray, name: str, *, hint: str = "") -> RowStats:
    """Check that every row (last axis) of ``rows`` is a probability distribution.

    ``rows`` has the class axis last. Not NaN, in [0, 1], and each row sums to 1
    within :func:`sum_tolerance`. Return the row sums, each row's class if every
    row is exactly one-hot (:func:`one_hot_classes`), and whether it is. The checks
    run block by block while each block is in cache, and use only reductions: no
    full-size temporaries. A one-hot block needs neither its extremes nor its sums.
    """
    from ._kernels import Rows, for_each_block, row_sums  # no cycle at import time

    view = Rows(rows)
    top = np.empty(view.n, dtype=np.intp)
    # Written only for blocks that are not one-hot (np.empty does not touch memory).
    sums = np.empty(view.n, dtype=np.float64)
    blocks = -(-view.n // view.step)
    lows, highs = np.zeros(blocks), np.zeros(blocks)  # per block
    one_hot = np.zeros(blocks, dtype=bool)
    offsets = np.arange(0, min(view.step, view.n) * view.k, view.k)

    def body(start: int, stop: int, scratch: FloatArray) -> None:
        block = view.block(start, stop)
        b = start // view.step
        one_hot[b] = one_hot_classes(block, top[start:stop], offsets)
        if one_hot[b]:
            highs[b] = 1.0
            return
        highs[b] = block.max()  # NaN propagates: caught below
        lows[b] = block.min()
        if block.dtype.kind == "f" and block.dtype.itemsize >= 4:
            sums[start:stop] = row_sums(block)  # float64 totals of float segments: fast
        else:  # integers: exact; float16: its own sums would round to 3 digits
            sums[start:stop] = block.sum(axis=1, dtype=np.float64)

    for_each_block(view, None, body)
    if view.n:
        low, high = np.min(lows), np.max(highs)
        if np.isnan(low) or np.isnan(high) or low < 0 or high > 1:
            check_unit_interval(rows, name, hint=hint)  # finds and reports the first bad value
    all_one_hot = bool(one_hot.all())
    if not all_one_hot:
        for b in np.flatnonzero(one_hot).tolist():
            sums[b * view.step : (b + 1) * view.step] = 1.0
        shaped = sums.reshape(view.batch_shape)
        tol = sum_tolerance(rows.dtype)
        bad = np.abs(shaped - 1.0) > tol
        if bad.any():
            first = tuple(np.argwhere(bad)[0])
            raise ValueError(
                f"{name} must sum to 1 over the class axis; the row at batch "
                f"position {_describe_position(first)} sums to {shaped[first]:.6g} "
                f"(tolerance {tol:.1e}){hint}"
            )
    return RowStats(sums, top, all_one_hot)


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
    finite = np.isfinite(weights)
    if not finite.all():
        where = tuple(np.argwhere(~finite)[0])
        raise ValueError(
            f"{name} must be finite; found {weights[where].item()!r} "
            f"at position {_describe_position(where)}"
        )
    if weights.min() < 0:
        where = tuple(np.argwhere(weights < 0)[0])
        raise ValueError(
            f"{name} must be non-negative; found {weights[where].item()!r} "
            f"at position {_describe_position(where)}"
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
            f"{_describe_position(where)} (use 0 to drop it)"
        )


def check_ignore_index(ignore_index: Any) -> int | None:
    if ignore_index is None:
        return None
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"ignore_index must be an integer or None, got {ignore_index!r}")
    return int(ignore_index)


def check_class_indices(
    target: NDArray[Any], num_classes: int, ignore_index: int | None, name: str = "target"
) -> tuple[NDArray[np.intp], NDArray[np.bool_] | None]:
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
            where = tuple(np.argwhere(target == bad_value)[0])
            extra = "" if ignore_index is None else f" and is not ignore_index={ignore_index}"
            raise ValueError(
                f"{name} holds class index {int(bad_value)} at position "
                f"{_describe_position(where)}, out of range for {num_classes} classes "
                f"(valid: 0 to {num_classes - 1}){extra}"
            )
    indices = target.astype(np.intp, copy=False)
    if keep is not None:
        indices = np.where(keep, indices, 0)
    return indices, keep
