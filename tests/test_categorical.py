"""cross_entropy, cross_entropy_gradient and perplexity against independent formulas."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import reference as ref
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose
from scipy import special

import crossentropy as ce
from crossentropy import _plan

# Weights as the contract accepts them: 0, or within a representable range of the
# largest (tiny and subnormal weights are rejected; see test_errors.py).
WEIGHTS = st.just(0.0) | st.floats(1e-3, 4)

REDUCTIONS = ("none", "mean", "sum")


@st.composite
def problems(draw: Any, *, logits: bool) -> dict[str, Any]:
    """A random batch: predicted, a target in either form, and random options."""
    n = draw(st.integers(0, 6))
    k = draw(st.integers(1, 6))
    z = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-30, 30)))
    predicted = z if logits else special.softmax(z, axis=-1)
    if draw(st.booleans()):
        target: Any = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1)))
    else:
        target = special.softmax(
            draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-5, 5))), axis=-1
        )
        if draw(st.booleans()):
            target = np.eye(k, dtype=np.int64)[target.argmax(axis=-1)]  # integer one-hot
    options: dict[str, Any] = {
        "reduction": draw(st.sampled_from(REDUCTIONS)),
        "label_smoothing": draw(st.sampled_from([0.0, 0.1, 1.0])),
    }
    if draw(st.booleans()):
        options["class_weight"] = draw(hnp.arrays(np.float64, (k,), elements=WEIGHTS))
    if draw(st.booleans()):
        options["sample_weight"] = draw(hnp.arrays(np.float64, (n,), elements=WEIGHTS))
    if target.shape == (n,) and draw(st.booleans()):
        options["ignore_index"] = draw(st.integers(-1, k - 1))
    if draw(st.booleans()):
        options["base"] = 2
    return {"predicted": predicted, "target": target, "from_logits": logits, **options}


@given(problems(logits=True))
def test_from_logits_matches_the_textbook_formula(problem: dict[str, Any]) -> None:
    assert_allclose(
        ce.cross_entropy(**problem), ref.cross_entropy(**problem), rtol=1e-10, atol=1e-12
    )


@given(problems(logits=False))
def test_from_probabilities_matches_the_textbook_formula(problem: dict[str, Any]) -> None:
    assert_allclose(
        ce.cross_entropy(**problem), ref.cross_entropy(**problem), rtol=1e-9, atol=1e-12
    )


@given(problems(logits=True), st.booleans())
def test_index_targets_and_their_one_hot_encoding_agree(
    problem: dict[str, Any], as_probs: bool
) -> None:
    """The weighted-mean rule gives one answer for both target forms (PyTorch's does not)."""
    predicted, target = problem.pop("predicted"), problem.pop("target")
    if target.ndim != 1:
        return
    problem.pop("ignore_index", None)
    if as_probs:
        predicted = special.softmax(predicted, axis=-1)
        problem["from_logits"] = False
    by_index = ce.cross_entropy(predicted, target, **problem)
    by_one_hot = ce.cross_entropy(predicted, ce.one_hot(target, predicted.shape[-1]), **problem)
    assert_allclose(by_index, by_one_hot, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_a_nearly_one_hot_float_target_is_not_taken_for_one_hot(dtype: Any) -> None:
    """1 + 1e-10 rounds to 1, so a sum of 1 and a max of 1 do not make a row one-hot:
    the tiny mass on a masked class (logit -inf) still makes the loss infinite."""
    tiny = np.finfo(dtype).smallest_subnormal
    target = np.array([[1.0, tiny, 0.0], [0.0, 1.0, 0.0]], dtype=dtype)
    z = np.array([[0.0, -np.inf, 0.0], [0.0, 0.0, 0.0]], dtype=dtype)
    losses = ce.cross_entropy(z, target, from_logits=True, reduction="none")
    assert losses[0] == np.inf
    assert_allclose(losses[1], np.log(3), rtol=1e-3)
    # An exactly one-hot batch, -0.0 entries included, still gets the same answer.
    exact = np.array([[1.0, 0.0, -0.0]], dtype=dtype)
    got = ce.cross_entropy(np.array([[0.0, -np.inf, 0.0]], dtype=dtype), exact, from_logits=True)
    assert_allclose(got, np.log(2), rtol=1e-3)


@pytest.mark.parametrize(
    "rows",
    [
        [[1, 0, 1], [0, 0, 0]],  # as many non-zero entries as rows, two in one row
        [[0.5, 0, 0.5], [0, 1, 0]],  # sum_j y_j j = 1, a whole number, but y_1 = 0
        [[0, 0, 0], [1, 1, 0]],
        [[0, 2, -1], [0, 1, 0]],  # sum_j y_j j = 0, y_0 = 0
        [[1, 0, 0], [0, 0, np.nan]],
        [[-0.0, 1, 0], [0, 1, 0]],  # one-hot in value, but -0.0 counts as non-zero
        [[0, 0, 2], [0, 1, 0]],  # sum_j y_j j = 4 is past the row: must not reach the next
    ],
)
@pytest.mark.parametrize("k", [3, 200])  # the class found by sum_j y_j j, and by argmax
def test_only_exactly_one_hot_rows_are_taken_for_class_indices(
    rows: list[list[float]], k: int
) -> None:
    """Rows that are not exactly one-hot never take the class-index path, whatever
    their non-zero count or their candidate class; they get the general path, which
    either rejects them or gives the same loss. (Padded with zeros to k classes.)"""
    target = np.zeros((2, k))
    target[:, :3] = rows
    try:
        stats = _plan.checked_distribution(target, "target")
    except ValueError:
        pass  # rejected outright
    else:
        assert not stats.one_hot
    z = np.random.default_rng(8).normal(size=(2, k))
    with np.errstate(invalid="ignore"):
        valid = bool(np.all((target >= 0) & (target <= 1)) and np.all(target.sum(axis=1) == 1))
    if not valid:
        with pytest.raises(ValueError, match="target"):
            ce.cross_entropy(z, target, from_logits=True, reduction="none")
        return
    expected = ref.cross_entropy(z, target, from_logits=True, reduction="none")
    got = ce.cross_entropy(z, target, from_logits=True, reduction="none")
    assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize(("n", "k"), [(3000, 1000), (300_000, 10)])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_one_hot_targets_give_exactly_the_loss_of_their_classes(
    n: int, k: int, reduction: str
) -> None:
    """One-hot targets are tested block by block during the same pass that computes
    the loss; the classes found on the way give bit for bit the loss of the class
    indices themselves (both batches are split over two threads)."""
    rng = np.random.default_rng(9)
    z = rng.normal(0, 3, (n, k)).astype(np.float32)
    labels = rng.integers(0, k, n)
    target = np.zeros((n, k), dtype=np.float32)
    target[np.arange(n), labels] = 1
    by_index = ce.cross_entropy(z, labels, from_logits=True, reduction=reduction)
    by_one_hot = ce.cross_entropy(z, target, from_logits=True, reduction=reduction)
    np.testing.assert_array_equal(by_one_hot, by_index)


@pytest.mark.parametrize("k", [10, 200])  # the class found by sum_j y_j j, and by argmax
@pytest.mark.parametrize(
    "form", ["float16", "float64", "int64", "uint8", "bool", "fortran", "strided", "axis-0"]
)
def test_one_hot_targets_of_every_dtype_and_layout(form: str, k: int) -> None:
    """Floats are tested on their integer view (count and argmax), other dtypes as they
    are; every dtype and memory layout of an exactly one-hot batch gives bit for bit
    the loss of its class indices."""
    rng = np.random.default_rng(12)
    n = 3000
    z = rng.normal(0, 3, (n, k)).astype(np.float32)
    labels = rng.integers(0, k, n)
    eye = np.eye(k)[labels]
    targets = {
        "float16": eye.astype(np.float16),
        "float64": eye,
        "int64": eye.astype(np.int64),
        "uint8": eye.astype(np.uint8),
        "bool": eye.astype(bool),
        "fortran": np.asfortranarray(eye.astype(np.float32)),
        "strided": np.repeat(eye.astype(np.float32), 2, axis=1)[:, ::2],
        "axis-0": eye.astype(np.float32).T,
    }
    axis = 0 if form == "axis-0" else -1
    logits = z.T if form == "axis-0" else z
    by_index = ce.cross_entropy(z, labels, from_logits=True, reduction="none")
    got = ce.cross_entropy(logits, targets[form], from_logits=True, axis=axis, reduction="none")
    np.testing.assert_array_equal(got, by_index)


def test_bad_targets_are_reported_before_bad_logits() -> None:
    """The one-hot pass stops at the first block of targets that is not one-hot, so
    a bad target row far down the batch is reported as such, even when a logit row
    before it is NaN (its loss would be computed before the bad target is seen)."""
    z = np.zeros((3000, 1000))
    z[0, 0] = np.nan
    target = np.zeros((3000, 1000))
    target[:, 0] = 1
    target[-1, 1] = 0.5
    with pytest.raises(ValueError, match=r"target must sum to 1.*\(2999,\) sums to 1\.5"):
        ce.cross_entropy(z, target, from_logits=True)
    target[-1, 1] = 0
    with pytest.raises(
        ValueError, match=r"predicted: the row at batch position \(0,\) contains NaN"
    ):
        ce.cross_entropy(z, target, from_logits=True)


def test_float16_targets_are_summed_beyond_float16_precision() -> None:
    """A float16 target row is summed in float64: its exact sum, 0.999677, not the
    0.999512 that float16 arithmetic would give."""
    y = np.random.default_rng(3).dirichlet(np.ones(50) * 0.1, 4000).astype(np.float16)[96:97]
    assert abs(float(y.astype(np.float64).sum()) - 0.999677) < 1e-6
    z = np.zeros((1, 50), dtype=np.float32)
    got = ce.cross_entropy(z, y, from_logits=True)
    assert_allclose(got, y.astype(np.float64).sum() * np.log(50), rtol=1e-6)


def test_float16_probabilities_are_checked_with_float16s_tolerance() -> None:
    """Rows of float16 probabilities carry float16's rounding (a sum off by up to
    ~1e-3 at K = 3), although they are computed in float32: their sums are held to
    sqrt(eps) of float16, 0.031, not of float32. The package's own float16 softmax
    was rejected for 11 rows of 5000 with float32's 3.5e-4."""
    z = np.random.default_rng(21).normal(0, 1, (5000, 3)).astype(np.float16)
    p = ce.softmax(z)
    assert p.dtype == np.float16
    assert np.all((p >= 0) & (p <= 1))  # rounding never takes a softmax out of [0, 1]
    assert np.abs(p.astype(np.float64).sum(axis=1) - 1).max() > 3.5e-4  # the hard rows
    labels = np.zeros(5000, dtype=int)
    for check in (
        lambda: ce.cross_entropy(p, labels),
        lambda: ce.cross_entropy(z, p, from_logits=True),
        lambda: ce.entropy(p),
        lambda: ce.kl_divergence(p, p),
        lambda: ce.cross_entropy_gradient(p, labels),
    ):
        assert np.all(np.isfinite(check()))
    one = ce.softmax(np.array([-1.228, -0.8657, -0.06104], np.float16))
    assert_allclose(ce.cross_entropy(one, 2), -np.log(one[2].astype(np.float64)), rtol=1e-3)
    with pytest.raises(ValueError, match=r"sums to 1\.0[45]\d* \(tolerance 3\.1e-02\)"):
        ce.cross_entropy(np.array([0.5, 0.55], np.float16), 0)


@pytest.mark.parametrize("sample_weight", [[1.0, -1.0], [1.0, 1.0, 1.0]])
def test_a_bad_target_is_reported_before_a_bad_sample_weight(sample_weight: list[float]) -> None:
    """Probability targets for logits are checked late (on the way, if one-hot), but
    the errors come in the same order as for every other form: target first."""
    target = [[0.5, 0.6, 0.0], [1.0, 0.0, 0.0]]
    with pytest.raises(ValueError, match=r"target must sum to 1.*\(0,\) sums to 1\.1"):
        ce.cross_entropy(np.zeros((2, 3)), target, from_logits=True, sample_weight=sample_weight)


@pytest.mark.parametrize(("n", "k"), [(3000, 1000), (30_000, 10)])
@pytest.mark.parametrize("target_dtype", [np.float32, np.int64])
def test_one_hot_and_soft_blocks_in_one_batch(target_dtype: Any, n: int, k: int) -> None:
    """Targets are checked block by block, and a one-hot block skips its sums: a batch
    of several blocks, one-hot at first and soft at the end, must still get every
    row's sum right, and a bad row after the one-hot blocks must still be found.
    (3000 x 1000 float64: about 12 blocks of 262 rows; 30000 x 10: 4 of 8192.)"""
    rng = np.random.default_rng(7)
    z = rng.normal(0, 3, (n, k))
    labels = rng.integers(0, k, n)
    target = np.zeros((n, k), dtype=target_dtype)
    target[np.arange(n), labels] = 1
    if target_dtype == np.float32:  # the last 100 rows are soft
        target[-100:] = rng.dirichlet(np.ones(k), 100).astype(np.float32)
    else:  # integer counts cannot be soft; the last row sums to 2 instead
        target[-1, 0] += 1
        with pytest.raises(ValueError, match=rf"batch position \({n - 1},\) sums to 2"):
            ce.cross_entropy(z, target, from_logits=True)
        return
    expected = ref.cross_entropy(z, target, from_logits=True, reduction="none")
    got = ce.cross_entropy(z, target, from_logits=True, reduction="none")
    assert_allclose(got, expected, rtol=1e-7)
    target[-1, :2] += 0.05  # now that row sums to 1.1
    with pytest.raises(ValueError, match=rf"batch position \({n - 1},\) sums to 1\.1"):
        ce.cross_entropy(z, target, from_logits=True)


@given(problems(logits=True))
def test_logits_and_their_softmax_give_the_same_loss(problem: dict[str, Any]) -> None:
    from_probs = {**problem, "predicted": ce.softmax(problem["predicted"]), "from_logits": False}
    assert_allclose(
        ce.cross_entropy(**problem), ce.cross_entropy(**from_probs), rtol=1e-9, atol=1e-12
    )


def test_the_articles_numbers() -> None:
    predicted = np.array([0.1, 0.2, 0.7])
    losses = [ce.cross_entropy(predicted, np.array(t)) for t in ([1, 0, 0], [0, 1, 0], [0, 0, 1])]
    assert_allclose(losses, -np.log(predicted))
    batch = np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1], [0.3, 0.3, 0.4]])
    targets = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert_allclose(ce.cross_entropy(batch, targets, reduction="none"), -np.log([0.7, 0.8, 0.3]))
    assert_allclose(ce.cross_entropy(batch, targets), -np.log([0.7, 0.8, 0.3]).mean())


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
@pytest.mark.parametrize("form", ["index", "probs"])
def test_class_axis_anywhere(axis: int, form: str) -> None:
    rng = np.random.default_rng(axis + 10)
    z = rng.normal(size=(3, 4, 5)) * 3
    moved = np.moveaxis(z, axis, -1)
    k = moved.shape[-1]
    labels = rng.integers(0, k, size=moved.shape[:-1])
    target: Any = labels if form == "index" else np.moveaxis(np.eye(k)[labels], -1, axis)
    expected = (
        special.logsumexp(moved, axis=-1) - np.take_along_axis(moved, labels[..., None], -1)[..., 0]
    )
    got = ce.cross_entropy(z, target, from_logits=True, axis=axis, reduction="none")
    assert got.shape == moved.shape[:-1]
    assert_allclose(got, expected, rtol=1e-12)
    grad = ce.cross_entropy_gradient(z, target, from_logits=True, axis=axis, reduction="none")
    expected_grad = np.moveaxis(special.softmax(moved, axis=-1) - np.eye(k)[labels], -1, axis)
    assert_allclose(grad, expected_grad, atol=1e-12)


def test_one_dimensional_input_and_scalar_target() -> None:
    z = np.array([1.0, 2.0, 3.0])
    assert_allclose(ce.cross_entropy(z, 2, from_logits=True), special.logsumexp(z) - 3.0)
    assert ce.cross_entropy(z, 2, from_logits=True, reduction="none").shape == ()


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.float16, np.float16),
        (np.int64, np.float64),
    ],
)
def test_dtype_is_preserved(dtype: Any, expected: Any) -> None:
    z = np.array([[3, 1, 0], [0, 2, 1]], dtype=dtype)
    for reduction in REDUCTIONS:
        assert ce.cross_entropy(z, [0, 1], from_logits=True, reduction=reduction).dtype == expected
    assert ce.cross_entropy_gradient(z, [0, 1], from_logits=True).dtype == expected
    assert ce.softmax(z).dtype == expected
    assert ce.log_softmax(z).dtype == expected
    assert ce.logsumexp(z).dtype == expected


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_non_native_byte_order_is_read_by_kind_and_size(dtype: Any) -> None:
    """An array in the other byte order (``'>f4'`` on a little-endian machine) is the
    same numbers: the same tolerance, the same results, returned in native order."""
    native = np.dtype(dtype)
    swapped = native.newbyteorder("S")
    rng = np.random.default_rng(5)
    z = (rng.normal(size=(4, 3)) * 2).astype(native)
    p = ce.softmax(z)
    labels = np.array([0, 2, 1, 2])
    soft = ce.softmax(z[::-1])
    weights = np.array([1.0, 0.5, 2.0, 1.0])

    def both(call: Any, *arrays: Any, **options: Any) -> None:
        expected = call(*arrays, **options)
        got = call(*(a.astype(a.dtype.newbyteorder("S")) for a in arrays), **options)
        assert np.asarray(got).dtype == np.asarray(expected).dtype == native
        assert np.asarray(got).dtype.isnative
        np.testing.assert_array_equal(got, expected)

    for reduction in REDUCTIONS:
        for target in (labels, soft):
            both(ce.cross_entropy, p, target, reduction=reduction)
            both(ce.cross_entropy, z, target, from_logits=True, reduction=reduction)
            both(ce.cross_entropy_gradient, p, target, reduction=reduction)
            both(ce.cross_entropy_gradient, z, target, from_logits=True, reduction=reduction)
        both(ce.kl_divergence, p, soft, reduction=reduction)
        both(ce.binary_cross_entropy, p[:, 0], soft[:, 0], reduction=reduction)
        both(ce.binary_cross_entropy_gradient, z[:, 0], soft[:, 0], from_logits=True)
    both(ce.entropy, p)
    both(ce.softmax, z)
    both(ce.log_softmax, z)
    both(ce.logsumexp, z)
    swapped_weights = weights.astype(np.dtype(np.float64).newbyteorder("S"))
    assert_allclose(
        ce.cross_entropy(p.astype(swapped), labels, sample_weight=swapped_weights),
        ce.cross_entropy(p, labels, sample_weight=weights),
        rtol=0,
    )
    swapped_labels = labels.astype(np.dtype(np.int64).newbyteorder("S"))
    np.testing.assert_array_equal(ce.one_hot(swapped_labels, 3), ce.one_hot(labels, 3))
    # The reproducer of the review: rejected as float64 (tolerance 1.5e-8) before.
    big_endian = np.array([[0.6, 0.4]], dtype=">f4")
    assert_allclose(ce.cross_entropy(big_endian, np.array([0])), -np.log(0.6), rtol=1e-6)
    gradient = ce.cross_entropy_gradient(big_endian, np.array([0]), from_logits=True)
    assert gradient.dtype == np.float32


def test_float16_is_computed_in_float32() -> None:
    z = np.array([[10.0, -5.0, 0.0, 3.0]], dtype=np.float16)
    got = ce.cross_entropy(z, [3], from_logits=True)
    exact = special.logsumexp(z.astype(np.float64)) - 3.0
    assert got.dtype == np.float16
    assert_allclose(float(got), exact, rtol=1e-3)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_empty_batch(reduction: str) -> None:
    z = np.zeros((0, 4), dtype=np.float32)
    got = ce.cross_entropy(z, np.zeros(0, dtype=int), from_logits=True, reduction=reduction)
    if reduction == "none":
        assert got.shape == (0,)
        assert got.dtype == np.float32
    else:
        assert got == 0.0  # the stated value: an empty batch costs nothing
        assert got.dtype == np.float32
    grad = ce.cross_entropy_gradient(
        z, np.zeros(0, dtype=int), from_logits=True, reduction=reduction
    )
    assert grad.shape == (0, 4)


def test_all_ignored_batch_gives_zero_loss_and_zero_gradient() -> None:
    z = np.array([[1.0, 2.0], [3.0, 0.0]])
    target = np.array([-100, -100])
    assert ce.cross_entropy(z, target, from_logits=True, ignore_index=-100) == 0.0
    assert ce.cross_entropy(z, target, from_logits=True, ignore_index=-100, reduction="sum") == 0.0
    assert_allclose(
        ce.cross_entropy(z, target, from_logits=True, ignore_index=-100, reduction="none"),
        [0.0, 0.0],
    )
    assert not ce.cross_entropy_gradient(z, target, from_logits=True, ignore_index=-100).any()


def test_the_gradient_of_a_row_that_counts_for_nothing_is_zero_not_nan() -> None:
    """The reproducers of the review: an ignored label is class 0 inside, and p_0 = 0
    gave -1/0 * 0 = NaN; a sample weight of 0 did the same with label smoothing."""
    p = np.array([[0.0, 1.0], [0.5, 0.5]])
    got = ce.cross_entropy_gradient(p, np.array([-100, 1]), ignore_index=-100)
    np.testing.assert_array_equal(got, [[0.0, 0.0], [0.0, -2.0]])
    got = ce.cross_entropy_gradient(
        np.array([[0.0, 1.0]]), np.array([1]), sample_weight=[0.0], label_smoothing=0.1
    )
    np.testing.assert_array_equal(got, [[0.0, 0.0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("drop", ["ignore_index", "sample_weight"])
@pytest.mark.parametrize(
    "options", [{}, {"label_smoothing": 0.2}, {"class_weight": [2.0, 0.0, 1.0]}]
)
def test_a_row_that_counts_for_nothing_has_zero_loss_and_gradient(
    reduction: str, from_logits: bool, drop: str, options: dict[str, Any]
) -> None:
    """Rows dropped by ignore_index or a zero sample weight, whose predictions put 0
    (or -inf) on every class their stand-in target or the smoothing touches, add
    nothing to the loss and have exactly zero gradient rows; the other rows are as
    if the dropped ones were not there."""
    p = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5], [0.0, 0.0, 1.0], [0.6, 0.3, 0.1]])
    labels = np.array([1, 2, 0, 0])
    dropped = np.array([True, False, True, False])
    with np.errstate(divide="ignore"):
        predicted = np.log(p) if from_logits else p  # log 0 = -inf: a masked class
    if drop == "ignore_index":
        target, extra = np.where(dropped, -100, labels), {"ignore_index": -100}
    else:
        target, extra = labels, {"sample_weight": np.where(dropped, 0.0, 1.0)}
    kwargs = {"from_logits": from_logits, "reduction": reduction, **options}
    loss = ce.cross_entropy(predicted, target, **kwargs, **extra)
    grad = ce.cross_entropy_gradient(predicted, target, **kwargs, **extra)
    kept_loss = ce.cross_entropy(predicted[~dropped], labels[~dropped], **kwargs)
    kept_grad = ce.cross_entropy_gradient(predicted[~dropped], labels[~dropped], **kwargs)
    assert not np.isnan(grad).any()
    np.testing.assert_array_equal(grad[dropped], 0.0)
    assert_allclose(grad[~dropped], kept_grad, rtol=1e-12)
    if reduction == "none":
        np.testing.assert_array_equal(loss[dropped], 0.0)
        assert_allclose(loss[~dropped], kept_loss, rtol=1e-12)
    else:
        assert_allclose(loss, kept_loss, rtol=1e-12)


P_CERTAIN = np.array([[1.0, 0.0], [0.5, 0.5]])
ZERO_RESULTS = {
    "loss none, -log 1": lambda: ce.cross_entropy(P_CERTAIN, np.array([0, 1]), reduction="none"),
    "loss mean, -log 1": lambda: ce.cross_entropy(P_CERTAIN[:1], np.array([0])),
    "loss sum, base 2": lambda: ce.cross_entropy(P_CERTAIN[:1], [0], reduction="sum", base=2),
    "smoothed, one class": lambda: ce.cross_entropy(
        np.ones((2, 1)), np.zeros(2, int), label_smoothing=0.3, reduction="none"
    ),
    "gradient, non-target classes": lambda: ce.cross_entropy_gradient(P_CERTAIN, np.array([0, 1])),
    "gradient, soft target with zeros": lambda: ce.cross_entropy_gradient(
        P_CERTAIN, np.array([[1.0, 0.0], [0.0, 1.0]]), reduction="none"
    ),
    "gradient of logits, ignored row": lambda: ce.cross_entropy_gradient(
        np.array([[2.0, 0.0], [0.0, 1.0]]), np.array([-1, 1]), from_logits=True, ignore_index=-1
    ),
    "gradient of logits, weight 0": lambda: ce.cross_entropy_gradient(
        np.array([[2.0, 0.0], [0.0, 1.0]]), [0, 1], from_logits=True, sample_weight=[0.0, 1.0]
    ),
    "float16 gradient rounded to 0": lambda: ce.cross_entropy_gradient(
        np.array([[5.0, 0.0], [0.0, 0.0]], np.float16),
        np.array([0, 0]),
        from_logits=True,
        sample_weight=[1.0, 1e6],
    ),
    "entropy of a certain outcome": lambda: ce.entropy(P_CERTAIN),
    "kl of equal distributions": lambda: ce.kl_divergence(P_CERTAIN, P_CERTAIN, reduction="none"),
    "binary loss": lambda: ce.binary_cross_entropy(
        np.array([1.0, 0.0]), np.array([1, 0]), reduction="none"
    ),
    "binary gradient, weight 0": lambda: ce.binary_cross_entropy_gradient(
        np.array([0.5, 0.2]), np.array([1, 0]), sample_weight=[0.0, 1.0], reduction="none"
    ),
}


@pytest.mark.parametrize("call", ZERO_RESULTS.values(), ids=list(ZERO_RESULTS))
def test_every_zero_result_is_positive_zero(call: Any) -> None:
    """One rule for the sign of zero, everywhere: +0.0. (-log 1, -(0 / p), a negative
    gradient times a zero weight, a tiny negative rounded to float16 were -0.0.)"""
    got = np.asarray(call())
    zeros = got[got == 0]
    assert zeros.size, "the case must hold a zero"
    assert not np.signbit(zeros).any(), got


def test_a_masked_array_is_refused_and_its_mask_passed_as_the_message_says() -> None:
    """A masked array's mask would be dropped by np.asarray (the masked sample
    counted); the message's way out, sample_weight=~mask or ignore_index, leaves the
    masked samples out."""
    p = np.array([[0.5, 0.5], [0.2, 0.8], [0.9, 0.1]])
    labels = np.ma.array([1, 0, 0], mask=[False, True, False])
    with pytest.raises(TypeError, match=r"target is a masked array.*sample_weight=~mask"):
        ce.cross_entropy(p, labels)
    kept = ce.cross_entropy(p[~labels.mask], labels.compressed())
    by_weight = ce.cross_entropy(p, labels.data, sample_weight=~labels.mask)
    by_ignore = ce.cross_entropy(p, labels.filled(-100), ignore_index=-100)
    assert_allclose([by_weight, by_ignore], [kept, kept], rtol=1e-15)


@pytest.mark.parametrize("form", ["index", "one-hot", "soft"])
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.1}, {"class_weight": [1, 2, 0.5]}])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("n", [6, 5000])  # one block; blocks that finish their own rows
def test_padded_rows_of_minus_inf_that_count_for_nothing(
    form: str, options: dict[str, Any], reduction: str, n: int
) -> None:
    """A padded position of a sequence batch: its logits are all -inf (every class
    masked), and it is ignored (ignore_index) or weighted 0. Its loss and gradient
    are 0, and the other rows are as if it were not there."""
    rng = np.random.default_rng(n)
    z = rng.normal(0, 2, (n, 3))
    labels = rng.integers(0, 3, n)
    padded = np.zeros(n, dtype=bool)
    padded[1::3] = True
    z[padded] = -np.inf
    target: Any = {
        "index": labels,
        "one-hot": np.eye(3)[labels],
        "soft": ce.softmax(rng.normal(size=(n, 3))),
    }[form]
    kept: dict[str, Any] = {"from_logits": True, "reduction": reduction, **options}
    ways = [{"sample_weight": np.where(padded, 0.0, 1.0)}]
    if form == "index":
        ways.append({"ignore_index": -100})
    for way in ways:
        t = np.where(padded, -100, labels) if "ignore_index" in way else target
        loss = ce.cross_entropy(z, t, **kept, **way)
        grad = ce.cross_entropy_gradient(z, t, **kept, **way)
        np.testing.assert_array_equal(grad[padded], 0.0)
        expected_grad = ce.cross_entropy_gradient(z[~padded], target[~padded], **kept)
        assert_allclose(grad[~padded], expected_grad, rtol=1e-12, atol=1e-300)
        expected = ce.cross_entropy(z[~padded], target[~padded], **kept)
        if reduction == "none":
            np.testing.assert_array_equal(loss[padded], 0.0)
            assert_allclose(loss[~padded], expected, rtol=1e-12)
        else:
            assert_allclose(loss, expected, rtol=1e-12)


@pytest.mark.parametrize("call", [ce.cross_entropy, ce.cross_entropy_gradient])
def test_a_padded_row_excuses_only_minus_inf_and_only_itself(call: Any) -> None:
    """NaN and +inf stay errors in a row that counts for nothing; a row of -inf that
    counts is an error, also after a padded one."""
    z = np.array([[-np.inf, -np.inf], [0.0, 1.0], [-np.inf, -np.inf]])
    weight = np.array([0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"row at batch position \(2,\) has every logit"):
        call(z, np.array([0, 1, 0]), from_logits=True, sample_weight=weight)
    with pytest.raises(ValueError, match=r"row at batch position \(2,\) has every logit"):
        call(z, np.array([-1, 1, 0]), from_logits=True, ignore_index=-1)
    for bad, problem in ((np.nan, "contains NaN"), (np.inf, r"contains \+inf")):
        z[0, 1] = bad
        with pytest.raises(ValueError, match=rf"row at batch position \(0,\) {problem}"):
            call(z[:2], np.array([-1, 1]), from_logits=True, ignore_index=-1)
        with pytest.raises(ValueError, match=rf"row at batch position \(0,\) {problem}"):
            call(z[:2], np.array([0, 1]), from_logits=True, sample_weight=weight[:2])


def test_ignore_index_drops_samples_from_numerator_and_denominator() -> None:
    z = np.array([[1.0, 2.0, 0.5], [3.0, 0.0, 1.0], [0.0, 0.0, 5.0]])
    kept = ce.cross_entropy(z[[0, 2]], np.array([1, 2]), from_logits=True)
    with_ignored = ce.cross_entropy(z, np.array([1, -100, 2]), from_logits=True, ignore_index=-100)
    assert_allclose(with_ignored, kept)
    in_range = ce.cross_entropy(z, np.array([1, 0, 2]), from_logits=True, ignore_index=0)
    assert_allclose(in_range, kept)


def test_weighted_mean_rule_is_stated_one() -> None:
    z = np.array([[1.0, 2.0, 0.5], [3.0, 0.0, 1.0]])
    t = np.array([1, 0])
    w = np.array([0.5, 2.0, 1.0])
    s = np.array([1.0, 3.0])
    per = special.logsumexp(z, axis=-1) - z[[0, 1], t]
    expected = np.sum(s * w[t] * per) / np.sum(s * w[t])
    assert_allclose(
        ce.cross_entropy(z, t, from_logits=True, class_weight=w, sample_weight=s), expected
    )


def test_zero_probability_terms_and_infinite_loss() -> None:
    p = np.array([[0.0, 0.3, 0.7], [0.0, 0.0, 1.0]])
    assert_allclose(ce.cross_entropy(p, np.array([2, 2]), reduction="none"), [-np.log(0.7), 0.0])
    assert ce.cross_entropy(p, np.array([0, 2]), reduction="none")[0] == np.inf
    # A masked logit (-inf) is a zero probability: fine unless the target needs it.
    z = np.array([0.0, -np.inf, 1.0])
    assert_allclose(ce.cross_entropy(z, 2, from_logits=True), np.log1p(np.exp(-1.0)))
    assert ce.cross_entropy(z, 1, from_logits=True) == np.inf
    assert_allclose(
        ce.cross_entropy(z, np.array([0.5, 0.0, 0.5]), from_logits=True), special.logsumexp(z) - 0.5
    )
    grad = ce.cross_entropy_gradient(z, 2, from_logits=True)
    assert np.isfinite(grad).all()


def test_label_smoothing_on_index_targets_matches_smoothed_one_hot() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 4))
    t = rng.integers(0, 4, size=5)
    eps = 0.2
    smoothed = (1 - eps) * np.eye(4)[t] + eps / 4
    assert_allclose(
        ce.cross_entropy(z, t, from_logits=True, label_smoothing=eps),
        ce.cross_entropy(z, smoothed, from_logits=True),
        rtol=1e-12,
    )


@given(problems(logits=True))
def test_gradient_from_logits_matches_central_differences(problem: dict[str, Any]) -> None:
    z = problem.pop("predicted")
    if z.size == 0:
        return
    reduction = "sum" if problem["reduction"] == "none" else problem["reduction"]
    problem["reduction"] = reduction
    grad = ce.cross_entropy_gradient(z, **problem)
    h = 1e-6
    numeric = np.empty_like(z)
    for index in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (ce.cross_entropy(up, **problem) - ce.cross_entropy(down, **problem)) / (
            2 * h
        )
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)


def test_gradient_from_probabilities_matches_central_differences() -> None:
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    y = np.array([[0.1, 0.1, 0.8], [1.0, 0.0, 0.0]])
    w = np.array([1.0, 2.0, 0.5])
    grad = ce.cross_entropy_gradient(p, y, class_weight=w)

    # The loss as a function of free p entries (no renormalisation): -sum w y log p / sum w y.
    def loss(q: Any) -> float:
        return float(-np.sum(w * y * np.log(q)) / np.sum(w * y))

    h = 1e-7
    numeric = np.zeros_like(p)
    for index in np.ndindex(p.shape):
        up, down = p.copy(), p.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (loss(up) - loss(down)) / (2 * h)
    assert_allclose(grad, numeric, rtol=1e-6)


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
        elements=st.floats(-50, 50),
    )
)
def test_gradient_is_softmax_minus_target(z: Any) -> None:
    k = z.shape[-1]
    labels = np.arange(z[..., 0].size).reshape(z.shape[:-1]) % k
    grad = ce.cross_entropy_gradient(z, labels, from_logits=True, reduction="none")
    assert_allclose(grad, ref.gradient_from_logits(z, np.eye(k)[labels]), atol=1e-12)


def test_perplexity() -> None:
    uniform = np.full((3, 7), 1 / 7)
    assert_allclose(ce.perplexity(uniform, np.array([0, 3, 6])), 7.0)
    p = np.array([[0.5, 0.5], [0.25, 0.75]])
    assert_allclose(ce.perplexity(p, np.array([0, 1])), (0.5 * 0.75) ** -0.5)
    assert ce.perplexity(p, np.array([0, 1])).dtype == np.float64


def test_non_contiguous_and_list_inputs() -> None:
    z = np.asfortranarray(np.random.default_rng(1).normal(size=(6, 5)))
    t = [0, 1, 2, 3, 4, 0]
    expected = ref.cross_entropy(z, np.array(t), from_logits=True)
    assert_allclose(ce.cross_entropy(z, t, from_logits=True), expected)
    assert_allclose(ce.cross_entropy(z.tolist(), t, from_logits=True), expected)
    assert_allclose(
        ce.cross_entropy(z[::2], t[::2], from_logits=True),
        ref.cross_entropy(z[::2], np.array(t[::2]), from_logits=True),
    )


@pytest.mark.parametrize("layout", ["fortran", "strided columns", "sliced columns"])
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_non_contiguous_blocks_of_many_rows(layout: str, reduction: str) -> None:
    """Blocks of 1024 rows or more finish their rows themselves, gathering each
    target logit from the block: also when the block is a strided view."""
    z = np.random.default_rng(3).normal(0, 3, size=(3000, 40))
    view = {
        "fortran": np.asfortranarray(z[:, :20]),
        "strided columns": z[:, ::2],
        "sliced columns": z[:, :20],
    }[layout]
    assert not view.flags.c_contiguous
    labels = np.random.default_rng(4).integers(0, 20, size=3000)
    expected = ref.cross_entropy(view, labels, from_logits=True, reduction=reduction)
    got = ce.cross_entropy(view, labels, from_logits=True, reduction=reduction)
    assert_allclose(got, expected, rtol=1e-12)
