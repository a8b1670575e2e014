"""The differential test: every option at once, loss and gradient, against PyTorch.

Hypothesis draws the whole option grid of the categorical loss -- logits or
probabilities; class-index, one-hot and soft targets; class and sample weights (zeros
included); ``ignore_index``; label smoothing; every reduction; ``base``; the class axis
anywhere in a batch of any number of dimensions (empty batches and a single class
included); float16, float32 and float64, in either byte order; logits that are
extreme, ``-inf`` (a masked class) or, in rows that count for nothing, all ``-inf``
(padding) -- and compares the loss and its gradient with a reference in float64
PyTorch: the package's documented formula written with torch ops
(``log_softmax``, ``log``, ``where``) and differentiated by autograd. The reference
follows the documented rules where they differ from ``F.cross_entropy`` (the mean's
denominator, an all-ignored batch, rows that count for nothing), and a second test
pins those differences: ``F.cross_entropy`` itself differs from this package only as
the docstrings and the frameworks page say. The binary loss has its counterpart.

Besides the numbers, every result must have the documented dtype (the input's float
dtype, native byte order), hold no NaN and no -0.0, and come without a warning (the
suite turns RuntimeWarning into an error).

The default profile keeps this to a few seconds. For a long run::

    HYPOTHESIS_PROFILE=differential-long .venv/bin/python -m pytest tests/test_differential.py
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import crossentropy as ce

torch.set_num_threads(1)

FLOATS = (np.float16, np.float32, np.float64)

#: (rtol, atol) of a result in each dtype against the float64 reference rounded to
#: that dtype. float16 is computed in float32 and rounded once, as is the reference:
#: the two may land an ulp apart. The atol is scaled by the problem's size
#: (:func:`loss_scale`, :func:`gradient_scale`).
TOLERANCES = {
    np.dtype(np.float16): (2e-3, 2e-3),
    np.dtype(np.float32): (3e-5, 1e-5),
    np.dtype(np.float64): (1e-10, 1e-12),
}

pytestmark = pytest.mark.filterwarnings("error")  # any warning at all, not only NumPy's

#: At least 100 examples a test (under a second a test here), whatever the profile
#: asks less: the rarest corners of the grid (a float16 loss beyond its range, a
#: dropped row certain of another class) come up in a few percent of them. The
#: differential-long profile (tests/conftest.py) asks 5000.
differential = settings(
    max_examples=max(100, settings.default.max_examples),
    suppress_health_check=[HealthCheck.too_slow],
)


# --- drawing the problems -----------------------------------------------------------


def native(dtype: Any) -> np.dtype[Any]:
    """The dtype a result must come back in: the input's float dtype, native order."""
    return np.dtype(f"f{np.dtype(dtype).itemsize}")


@st.composite
def float_dtypes(draw: Any) -> np.dtype[Any]:
    """float16, float32 or float64, in native or (a quarter of the time) swapped byte order."""
    dtype = np.dtype(draw(st.sampled_from(FLOATS)))
    return dtype.newbyteorder("S") if draw(st.integers(0, 3)) == 0 else dtype


def weights(shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    """Weights as the contract accepts them, zeros often (a third): 0, 1, or in [1e-3, 4]."""
    elements = st.sampled_from([0.0, 0.0, 1.0]) | st.floats(1e-3, 4.0)
    return hnp.arrays(np.float64, shape, elements=elements)


def nudged(p: Any, dtype: np.dtype[Any], ulps: Any) -> Any:
    """``p`` rounded to ``dtype``, each row's largest entry moved by ``ulps`` ulps (in
    [0, 1]): rows off 1 by a few ulps (float16: up to 1.5e-3), well within sqrt(eps)
    of the dtype -- a float16 row of the package's own softmax may be off by 1e-3."""
    rounded = p.astype(dtype)
    if rounded.size == 0:
        return rounded
    rows = rounded.reshape(-1, rounded.shape[-1])
    top = rows.argmax(axis=1)
    for row, column, steps in zip(range(rows.shape[0]), top, ulps, strict=False):
        for _ in range(abs(int(steps))):
            moved = np.nextafter(rows[row, column], np.inf if steps > 0 else -np.inf)
            if 0 <= moved <= 1:
                rows[row, column] = moved
    return rows.reshape(rounded.shape)


def extreme(dtype: np.dtype[Any]) -> float:
    """A logit magnitude near the end of ``dtype``'s range: float16 (computed in
    float32) gets losses of 1.3e5 from two of them, beyond its 65504; float32 and
    float64 get losses that fit, with their weights, in the dtype the loss is computed
    in (where a per-sample loss beyond it would be inf, its weighted value or not), and
    whose sums over a batch fit in float64 (where totals are taken)."""
    top = float(np.finfo(dtype).max)
    return {2: 0.99 * top, 4: top / 64}.get(dtype.itemsize, top / 2**20)


def tiny_log_probability(dtype: np.dtype[Any]) -> float:
    """The log of a probability near the bottom of ``dtype``'s range, as :func:`extreme`
    for logits: for float16 a subnormal, whose gradient -a / p is beyond float16's
    range; for float32 and float64 one whose gradient fits, with its weights, in the
    dtype it is computed in."""
    scale = 0.9 if dtype.itemsize == 2 else 0.45
    return scale * float(np.log(np.finfo(dtype).smallest_subnormal))


def softmax64(z: Any) -> Any:
    """Softmax of float64 rows that may hold -inf, none all -inf (exact zeros there)."""
    with np.errstate(over="ignore"):  # extreme logits: exp(-inf) = 0
        shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class Case:
    """One categorical problem, as passed to the package, and what the reference needs."""

    predicted: Any
    target: Any
    form: str
    options: dict[str, Any]
    axis_position: int  # the class axis, normalised
    counts: Any  # per sample (flat): does it count (multiplier != 0)?
    notes: list[str] = field(default_factory=list)

    @property
    def kwargs(self) -> dict[str, Any]:
        return {"axis": self.axis_position - self.predicted.ndim, **self.options}

    @property
    def shape(self) -> tuple[int, ...]:
        """The predicted's shape with the class axis last: the batch shape, then k."""
        shape = list(np.shape(self.predicted))
        return (
            *shape[: self.axis_position],
            *shape[self.axis_position + 1 :],
            shape[self.axis_position],
        )


@st.composite
def categorical_cases(draw: Any, *, from_logits: bool, torch_comparable: bool = False) -> Case:
    """A problem of the whole option grid; ``torch_comparable``: one that
    ``F.cross_entropy`` can take too (float64, no sample weights)."""
    dtype = np.dtype(np.float64) if torch_comparable else draw(float_dtypes())
    k = draw(st.integers(1, 5))
    batch_shape = tuple(draw(st.lists(st.integers(0, 4), max_size=2)))
    n = math.prod(batch_shape)
    axis_position = draw(st.integers(0, len(batch_shape)))
    z = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-20, 20)))
    form = draw(st.sampled_from(["index", "one-hot", "soft"]))
    labels = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1)))
    options: dict[str, Any] = {
        "from_logits": from_logits,
        "reduction": draw(st.sampled_from(["none", "mean", "sum"])),
        "label_smoothing": draw(st.sampled_from([0.0, 0.0, 0.15, 1.0])),
    }
    if draw(st.booleans()):
        options["class_weight"] = draw(weights((k,)))
    # Samples to drop, by ignore_index or a zero sample weight, if either is drawn.
    dropped = draw(hnp.arrays(bool, (n,)))
    keep = np.ones(n, dtype=bool)
    if form == "index" and draw(st.booleans()):
        ignore_index = draw(st.sampled_from([-100, *range(k)]))  # PyTorch's, or a class
        if ignore_index < 0:
            labels = np.where(dropped, ignore_index, labels)
        options["ignore_index"] = ignore_index
        keep = labels != ignore_index
    multiplier = keep.astype(np.float64)
    if not torch_comparable and draw(st.integers(0, 2)) > 0:  # two thirds of the time
        # One weight per sample, or broadcast along an axis of the batch.
        shape = tuple(1 if draw(st.integers(0, 3)) == 0 else size for size in batch_shape)
        sample_weight = draw(weights(shape))
        if shape == batch_shape:
            sample_weight[dropped.reshape(shape)] = 0.0
        options["sample_weight"] = sample_weight
        multiplier = multiplier * np.broadcast_to(sample_weight, batch_shape).reshape(-1)
    if draw(st.booleans()):
        options["base"] = 2
    counts = multiplier != 0
    notes = []
    # -inf logits: masked classes (exact zeros once turned into probabilities).
    if draw(st.booleans()):
        z[draw(hnp.arrays(bool, (n, k)))] = -np.inf
    # Extremes, the target on the low end of every row: logits across the dtype's
    # range (:func:`extreme`), or probabilities at the bottom of it.
    if n and k > 1 and draw(st.booleans()):
        low = -extreme(dtype) if from_logits else tiny_log_probability(dtype)
        z[:, :2] = [extreme(dtype) if from_logits else 0.0, low]
        if options.get("ignore_index") != 1:
            labels[keep] = 1
        notes.append("extreme")
    all_masked = np.isneginf(z).all(axis=1)
    if draw(st.integers(0, 2)) > 0:  # padding: what rows that count for nothing hold
        # Logits all -inf; probabilities certain of the last class (0 elsewhere,
        # where an ignored label's stand-in, class 0, or the target may be).
        z[~counts] = -np.inf
        if not from_logits:
            z[~counts, -1] = 0.0
        all_masked = np.isneginf(z).all(axis=1)
        notes.append("padding")
    unmask = all_masked & (counts if from_logits else True)
    z[unmask, 0] = 0.0  # no row that counts is all -inf (nor any row of probabilities)
    if from_logits:
        rows = z.astype(dtype)
    else:
        ulps = draw(hnp.arrays(np.int64, (n,), elements=st.sampled_from([-3, -2, 0, 2, 3])))
        rows = nudged(softmax64(z), dtype, ulps) if n else np.zeros((0, k), dtype)
    predicted = np.moveaxis(rows.reshape(*batch_shape, k), -1, axis_position)
    if form == "index":
        target: Any = labels.reshape(batch_shape)
    else:
        if form == "one-hot":
            rows_t: Any = np.eye(k)[labels].astype(draw(st.sampled_from([dtype, np.int64])))
        else:
            soft = softmax64(draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-3, 3))))
            rows_t = soft.astype(draw(st.sampled_from([np.float64, dtype])))
        target = np.moveaxis(rows_t.reshape(*batch_shape, k), -1, axis_position)
    return Case(predicted, target, form, options, axis_position, counts, notes)


# --- the reference ------------------------------------------------------------------


def classes_last(case: Case, values: Any) -> Any:
    """``values`` (the predicted's shape) as float64 rows (n, k)."""
    moved = np.moveaxis(np.asarray(values, dtype=np.float64), case.axis_position, -1)
    return moved.reshape(-1, moved.shape[-1])


def coefficients(case: Case) -> tuple[Any, Any, Any]:
    """``a = w y'`` per row (n, k), the multiplier ``m`` per sample (n,), and each
    sample's target weight ``sum_c w_c y'_c`` as the mean's denominator takes it."""
    rows = classes_last(case, case.predicted)
    n, k = rows.shape
    options = case.options
    if case.form == "index":
        labels = np.asarray(case.target).reshape(-1)
        ignore_index = options.get("ignore_index")
        ignored = labels == ignore_index if ignore_index is not None else np.zeros(n, bool)
        y = np.eye(k)[np.where(ignored, 0, labels)] if n else np.zeros((0, k))
    else:
        y = classes_last(case, case.target)
        ignored = np.zeros(n, dtype=bool)
    eps = options["label_smoothing"]
    smoothed = (1 - eps) * y + eps / k
    w = options.get("class_weight")
    a = smoothed * (1.0 if w is None else w)
    s = options.get("sample_weight")
    m = np.ones(n) if s is None else np.broadcast_to(s, case.shape[:-1]).reshape(-1).astype(float)
    m = m * ~ignored
    # Documented: the mean divides by sum_i m_i sum_c w_c y'_ic; without class weights
    # by sum_i m_i (the number of samples that count).
    target_weight = a.sum(axis=1) if w is not None else np.ones(n)
    return a, m, target_weight


def categorical_reference(case: Case) -> tuple[Any, Any]:
    """The documented loss and its gradient, in float64 torch ops and autograd.

    Rows that count for nothing (m = 0) are left out of the graph: their loss and
    gradient are 0 by the documented rule (in autograd, 0 * inf would be NaN)."""
    a_np, m_np, target_weight = coefficients(case)
    rows = classes_last(case, case.predicted)
    z = torch.tensor(rows, requires_grad=True)
    counted = torch.from_numpy(m_np != 0)
    a = torch.from_numpy(a_np)[counted]
    m = torch.from_numpy(m_np)[counted]
    picked = z[counted]
    if case.options["from_logits"]:
        log_p = F.log_softmax(picked, dim=-1)
    else:  # 0 log 0 = 0, and a zero gradient there: log of 1 where a = 0
        log_p = torch.log(torch.where(a == 0, 1.0, picked))
    losses = -torch.where(a == 0, 0.0, a * log_p).sum(dim=-1)
    weighted = m * losses
    reduction = case.options["reduction"]
    if reduction == "mean":
        denominator = float(np.sum(m_np * target_weight))
        objective = weighted.sum() / denominator if denominator > 0 else weighted.sum() * 0
    else:
        objective = weighted.sum()
    scale = math.log(case.options["base"]) if "base" in case.options else 1.0
    if weighted.numel():
        (objective / scale).backward()
    gradient = np.zeros_like(rows) if z.grad is None else z.grad.numpy()
    gradient = np.moveaxis(gradient.reshape(case.shape), -1, case.axis_position)
    if reduction == "none":
        per_sample = np.zeros(rows.shape[0])
        per_sample[m_np != 0] = weighted.detach().numpy()
        return per_sample.reshape(case.shape[:-1]) / scale, gradient
    if reduction == "mean" and not np.sum(m_np * target_weight) > 0:
        return np.float64(0.0), gradient
    return objective.detach().numpy() / scale, gradient


# --- the comparison -----------------------------------------------------------------


def check_result(got: Any, expected: Any, dtype: np.dtype[Any], atol: float, what: str) -> None:
    """``got`` has the result dtype, no NaN, no -0.0, and matches ``expected`` rounded
    to that dtype within the dtype's tolerance."""
    got = np.asarray(got)
    assert got.dtype == native(dtype), f"{what}: dtype {got.dtype}, expected {native(dtype)}"
    assert got.dtype.isnative
    assert got.shape == np.shape(expected), f"{what}: shape {got.shape} != {np.shape(expected)}"
    assert not np.isnan(got).any(), f"{what}: NaN in {got}"
    assert not np.signbit(got[got == 0]).any(), f"{what}: -0.0 in {got}"
    with np.errstate(over="ignore"):  # the reference, rounded as the result is
        rounded = np.asarray(expected).astype(native(dtype)).astype(np.float64)
    rtol, _ = TOLERANCES[native(dtype)]
    np.testing.assert_allclose(got.astype(np.float64), rounded, rtol=rtol, atol=atol, err_msg=what)


def loss_scale(case: Case) -> float:
    """How large a loss's absolute rounding error may be: the size of the finite
    logits (or of the logs of the probabilities), times the coefficients, times the
    number of samples a sum adds."""
    rows = classes_last(case, case.predicted)
    values = (
        rows
        if case.options["from_logits"]
        else np.log(rows, where=rows > 0, out=np.zeros_like(rows))
    )
    finite = np.abs(values[np.isfinite(values)])
    a, m, _ = coefficients(case)
    size = 1.0 + (float(finite.max()) if finite.size else 0.0)
    coefficient = max(1.0, float(a.sum(axis=1).max(initial=0)) * float(m.max(initial=0)))
    count = 1 if case.options["reduction"] != "sum" else max(1, rows.shape[0])
    return size * coefficient * count


def gradient_scale(case: Case) -> float:
    """The size of a gradient row: sum_c a_c times the sample's factor under the
    reduction. From logits an entry's absolute rounding error is a few eps of it."""
    a, m, target_weight = coefficients(case)
    size = float(np.max(a.sum(axis=1) * m, initial=0))
    if case.options["reduction"] == "mean":
        denominator = float(np.sum(m * target_weight))
        size = size / denominator if denominator > 0 else 0.0
    return max(size, 1e-300)


def check_case(case: Case) -> None:
    dtype = case.predicted.dtype
    _, atol = TOLERANCES[native(dtype)]
    expected_loss, expected_gradient = categorical_reference(case)
    loss = ce.cross_entropy(case.predicted, case.target, **case.kwargs)
    gradient = ce.cross_entropy_gradient(case.predicted, case.target, **case.kwargs)
    check_result(loss, expected_loss, dtype, atol * loss_scale(case), f"loss {case.notes}")
    gradient_atol = atol * gradient_scale(case)
    check_result(gradient, expected_gradient, dtype, gradient_atol, f"gradient {case.notes}")


@differential
@given(categorical_cases(from_logits=True))
def test_cross_entropy_from_logits_matches_the_torch_reference(case: Case) -> None:
    check_case(case)


@differential
@given(categorical_cases(from_logits=False))
def test_cross_entropy_from_probabilities_matches_the_torch_reference(case: Case) -> None:
    check_case(case)


# --- the documented differences from F.cross_entropy ----------------------------------


def torch_cross_entropy(case: Case, reduction: str) -> Any:
    """``F.cross_entropy`` on the same problem: float64, classes on axis 1."""
    logits = np.moveaxis(np.asarray(case.predicted, dtype=np.float64), case.axis_position, 0)
    logits = np.moveaxis(logits, 0, 1) if logits.ndim > 1 else logits
    if case.form == "index":
        target = torch.from_numpy(np.asarray(case.target, dtype=np.int64))
    else:
        moved = np.moveaxis(np.asarray(case.target, dtype=np.float64), case.axis_position, 0)
        target = torch.from_numpy(np.moveaxis(moved, 0, 1) if moved.ndim > 1 else moved)
    weight = case.options.get("class_weight")
    return F.cross_entropy(
        torch.from_numpy(np.ascontiguousarray(logits)),
        target,
        weight=None if weight is None else torch.from_numpy(weight),
        ignore_index=case.options.get("ignore_index", -100),
        reduction=reduction,
        label_smoothing=case.options["label_smoothing"],
    ).numpy()


def torch_nan_rows(case: Case) -> Any:
    """The rows where ``F.cross_entropy`` computes 0 * (-inf) = NaN: a class whose logit
    is -inf, multiplied by a zero factor all the same. For probability targets PyTorch
    multiplies every log-probability by ``w_c y'_c``; for class indices the target's
    by ``(1 - eps) w_t``, and with smoothing every class's by ``w_c``. This package's
    term is 0 there (0 log 0 = 0)."""
    a, m, _ = coefficients(case)
    masked = np.isneginf(classes_last(case, case.predicted))
    if case.form != "index":
        return (masked & (a == 0)).any(axis=1) & (m != 0)
    n, k = masked.shape
    eps = case.options["label_smoothing"]
    w = case.options.get("class_weight", np.ones(k))
    labels = np.clip(np.asarray(case.target).reshape(-1), 0, k - 1)
    target_part = masked[np.arange(n), labels] & ((1 - eps) * w[labels] == 0)
    smoothing_part = (masked & (w == 0)).any(axis=1) & (eps > 0)
    return (target_part | smoothing_part) & (m != 0)


@differential
@given(categorical_cases(from_logits=True, torch_comparable=True))
def test_torch_differs_only_where_documented(case: Case) -> None:
    """PyTorch's per-sample losses are this package's, but for a masked class with a
    zero coefficient (NaN in PyTorch, 0 here); its mean divides by another
    denominator where the docstrings and the frameworks page say: by n for
    probability targets, by the unsmoothed targets' weight sum_i w_{t_i} with label
    smoothing, and 0 / 0 = NaN for a batch with nothing to count (0 here). Padded
    rows (all -inf, ignored) are skipped by both."""
    rows = classes_last(case, case.predicted)
    scale = math.log(2) if "base" in case.options else 1.0
    ours = np.asarray(
        ce.cross_entropy(case.predicted, case.target, **case.kwargs | {"reduction": "none"})
    )
    theirs = torch_cross_entropy(case, "none")
    nan_rows = torch_nan_rows(case).reshape(theirs.shape)
    np.testing.assert_array_equal(np.isnan(theirs), nan_rows)
    assert not np.isnan(ours).any()
    # PyTorch's log-sum-exp, m + log(sum), is off by a few eps of the logits' size.
    atol = 1e-12 * loss_scale(case)
    np.testing.assert_allclose(ours[~nan_rows] * scale, theirs[~nan_rows], rtol=1e-10, atol=atol)
    _, m, target_weight = coefficients(case)
    weight = case.options.get("class_weight")
    if case.form != "index":
        torch_denominator = float(rows.shape[0])  # the number of samples
    elif weight is not None:
        labels = np.asarray(case.target).reshape(-1)
        torch_denominator = float(np.sum(weight[labels[m != 0]]))  # unsmoothed
    else:
        torch_denominator = float(np.sum(m))
    theirs_mean = float(torch_cross_entropy(case, "mean"))
    with np.errstate(over="ignore"):  # a sum beyond float64 is inf on both sides
        total = float(np.sum(ours)) * scale
    if torch_denominator == 0 or nan_rows.any():
        assert math.isnan(theirs_mean)
    else:
        np.testing.assert_allclose(theirs_mean, total / torch_denominator, rtol=1e-10, atol=atol)
    ours_denominator = float(np.sum(m * target_weight))
    ours_mean = ce.cross_entropy(case.predicted, case.target, **case.kwargs | {"reduction": "mean"})
    expected = total / ours_denominator / scale if ours_denominator > 0 else 0.0
    np.testing.assert_allclose(float(ours_mean), expected, rtol=1e-10, atol=atol)


# --- binary -------------------------------------------------------------------------


@dataclass
class BinaryCase:
    predicted: Any
    target: Any
    options: dict[str, Any]


@st.composite
def binary_cases(draw: Any) -> BinaryCase:
    dtype = draw(float_dtypes())
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4))
    from_logits = draw(st.booleans())
    x = draw(hnp.arrays(np.float64, shape, elements=st.floats(-20, 20)))
    if x.size and draw(st.booleans()):  # extreme logits; probabilities 0, 1 and tiny
        big = extreme(dtype) if from_logits else -tiny_log_probability(dtype)
        extremes = [big, -big, -np.inf, np.inf]
        x.reshape(-1)[: min(4, x.size)] = extremes[: min(4, x.size)]
    with np.errstate(over="ignore"):
        p = 1 / (1 + np.exp(-x))
    predicted = x.astype(dtype) if from_logits else p.astype(dtype)
    # Labels as the computation holds them: float32 numbers (in [0, 1]; float64's
    # subnormals would be 0 there).
    label_values = st.sampled_from([0.0, 1.0]) | st.floats(0, 1, width=32)
    labels = draw(hnp.arrays(np.float64, shape, elements=label_values))
    if draw(st.booleans()) and np.all((labels == 0) | (labels == 1)):
        labels = labels.astype(draw(st.sampled_from([np.int64, bool])))
    options: dict[str, Any] = {
        "from_logits": from_logits,
        "reduction": draw(st.sampled_from(["none", "mean", "sum"])),
        "label_smoothing": draw(st.sampled_from([0.0, 0.0, 0.2, 1.0])),
    }
    if draw(st.booleans()):
        options["sample_weight"] = draw(weights(shape))
    if draw(st.booleans()):
        options["pos_weight"] = draw(weights(shape[-1:]))
    if draw(st.booleans()):
        options["base"] = 2
    return BinaryCase(predicted, labels, options)


def binary_reference(case: BinaryCase) -> tuple[Any, Any]:
    """The documented binary loss and its gradient, in float64 torch and autograd;
    elements of weight 0 are left out of the graph (their loss and gradient are 0)."""
    options = case.options
    x64 = np.asarray(case.predicted, dtype=np.float64)
    shape = x64.shape
    eps = options["label_smoothing"]
    y = (1 - eps) * np.asarray(case.target, dtype=np.float64) + eps / 2
    omega = np.broadcast_to(options.get("pos_weight", 1.0), shape)
    s = np.broadcast_to(options.get("sample_weight", 1.0), shape).astype(np.float64)
    counted = torch.tensor((s != 0).reshape(-1))
    x = torch.tensor(x64.reshape(-1), requires_grad=True)
    picked = x[counted]
    yt = torch.from_numpy(y.reshape(-1))[counted]
    wt = torch.tensor(np.array(omega, dtype=np.float64).reshape(-1))[counted]
    st_ = torch.tensor(s.reshape(-1))[counted]
    positive, negative = wt * yt, 1 - yt
    if options["from_logits"]:  # -log p and -log(1 - p), also for logits of +-inf
        neg_log_p, neg_log_q = F.softplus(-picked), F.softplus(picked)
    else:  # not clamped at -100 as in F.binary_cross_entropy; a zero gradient where 0 log 0
        neg_log_p = -torch.log(torch.where(positive == 0, 1.0, picked))
        neg_log_q = -torch.log1p(-torch.where(negative == 0, 0.0, picked))
    losses = torch.where(positive == 0, 0.0, positive * neg_log_p) + torch.where(
        negative == 0, 0.0, negative * neg_log_q
    )
    weighted = st_ * losses
    total_weight = float(s.sum()) if "sample_weight" in options else float(s.size)
    reduction = options["reduction"]
    scale = math.log(options["base"]) if "base" in options else 1.0
    objective = weighted.sum()
    if reduction == "mean":
        objective = objective / total_weight if total_weight > 0 else objective * 0
    if weighted.numel():
        (objective / scale).backward()
    gradient = np.zeros(x64.size) if x.grad is None else x.grad.numpy()
    if reduction == "none":
        per_element = np.zeros(x64.size)
        per_element[counted.numpy()] = weighted.detach().numpy()
        return per_element.reshape(shape) / scale, gradient.reshape(shape)
    if reduction == "mean" and not total_weight > 0:
        return np.float64(0.0), gradient.reshape(shape)
    return objective.detach().numpy() / scale, gradient.reshape(shape)


@differential
@given(binary_cases())
def test_binary_cross_entropy_matches_the_torch_reference(case: BinaryCase) -> None:
    dtype = case.predicted.dtype
    _, atol = TOLERANCES[native(dtype)]
    expected_loss, expected_gradient = binary_reference(case)
    loss = ce.binary_cross_entropy(case.predicted, case.target, **case.options)
    gradient = ce.binary_cross_entropy_gradient(case.predicted, case.target, **case.options)
    # Absolute errors: a few eps of the logits' size (or of -log p) for the loss, of
    # the coefficients w y' + (1 - y') for the gradient, times the weights.
    x = np.abs(np.asarray(case.predicted, dtype=np.float64))
    finite = x[np.isfinite(x)]
    size = 1.0 + (float(finite.max(initial=0)) if case.options["from_logits"] else 20.0)
    count = max(1, x.size) if case.options["reduction"] == "sum" else 1
    coefficient = 4.0 * 4.0  # pos_weight and sample_weight are at most 4
    check_result(loss, expected_loss, dtype, atol * size * count * coefficient, "binary loss")
    check_result(gradient, expected_gradient, dtype, atol * coefficient, "binary gradient")
    check_binary_differences_from_torch(case)


def check_binary_differences_from_torch(case: BinaryCase) -> None:
    """PyTorch's own binary losses differ only as documented: the mean with ``weight``
    divides by the number of elements, not by the weights' total; and
    ``F.binary_cross_entropy`` clamps each log at -100, where this package gives the
    exact (possibly infinite) loss."""
    options = {**case.options, "base": None}
    weight = options.pop("sample_weight", None)
    x = torch.tensor(np.asarray(case.predicted, dtype=np.float64))
    eps = options["label_smoothing"]
    y = torch.tensor((1 - eps) * np.asarray(case.target, dtype=np.float64) + eps / 2)
    losses = ce.binary_cross_entropy(case.predicted, case.target, **options | {"reduction": "none"})
    per_element = np.asarray(losses, dtype=np.float64)  # unweighted, in nats
    rtol, atol = TOLERANCES[native(case.predicted.dtype)]
    if not options["from_logits"]:
        if "pos_weight" in options:
            return  # F.binary_cross_entropy has no pos_weight
        theirs = F.binary_cross_entropy(x, y, reduction="none").numpy()
        p = x.numpy()
        inside = (p > math.exp(-100)) & (1 - p > math.exp(-100))  # no log clamped
        np.testing.assert_allclose(per_element[inside], theirs[inside], rtol=rtol, atol=atol)
        assert np.all(theirs <= per_element * (1 + rtol) + atol)  # clamped: never more
        return
    infinite = ~torch.isfinite(x)
    if infinite.any():  # sigma(+-inf) = 1, 0 here; NaN in PyTorch where documented
        theirs = F.binary_cross_entropy_with_logits(x, y, reduction="none").numpy()
        z, label = x.numpy(), y.numpy()
        # PyTorch computes 0 * inf or inf - inf: at -inf for every label, at +inf
        # for a label of exactly 1 (a label below 1 gives +inf there, correctly).
        nan_where = np.isneginf(z) | (np.isposinf(z) & (label == 1))
        np.testing.assert_array_equal(np.isnan(theirs), nan_where)
        assert not np.isnan(per_element).any()
        return
    if weight is None or not np.isfinite(per_element).all() or not x.numel():
        return
    s = np.broadcast_to(weight, x.shape)
    omega = torch.tensor(np.asarray(options.get("pos_weight", 1.0), dtype=np.float64))
    theirs_mean = F.binary_cross_entropy_with_logits(
        x, y, weight=torch.tensor(s.copy()), pos_weight=omega, reduction="mean"
    ).item()
    with np.errstate(over="ignore"):
        total = float(np.sum(s * per_element))
    np.testing.assert_allclose(theirs_mean, total / x.numel(), rtol=2 * rtol, atol=atol)
    ours_mean = ce.binary_cross_entropy(
        case.predicted, case.target, **options | {"sample_weight": weight, "reduction": "mean"}
    )
    expected = total / float(np.sum(s)) if np.sum(s) > 0 else 0.0
    np.testing.assert_allclose(float(ours_mean), expected, rtol=2 * rtol, atol=atol)
