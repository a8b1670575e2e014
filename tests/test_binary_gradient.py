"""binary_cross_entropy_gradient against finite differences, PyTorch's autograd and the
two-class cross_entropy_gradient; its dtypes, its stability and its errors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from scipy import special

import crossentropy as ce

torch.set_num_threads(1)

# Weights as the contract accepts them: 0, or within a representable range of the
# largest (tiny and subnormal weights are rejected; see test_errors.py).
WEIGHTS = st.just(0.0) | st.floats(1e-3, 4)
REDUCTIONS = ["none", "mean", "sum"]


@st.composite
def problems(draw: Any, *, from_logits: bool) -> dict[str, Any]:
    """A small binary problem: predictions, labels (hard or soft) and options."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))
    # Probabilities stay away from 0 and 1, where the loss and its derivative blow up
    # and a central difference would step outside [0, 1].
    values = st.floats(-30, 30) if from_logits else st.floats(0.02, 0.98)
    predicted = draw(hnp.arrays(np.float64, shape, elements=values))
    labels = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0, 0.3])))
    options: dict[str, Any] = {
        "from_logits": from_logits,
        "reduction": draw(st.sampled_from(REDUCTIONS)),
    }
    if draw(st.booleans()):
        options["sample_weight"] = draw(hnp.arrays(np.float64, shape, elements=WEIGHTS))
    if draw(st.booleans()):
        options["pos_weight"] = draw(hnp.arrays(np.float64, shape[-1:], elements=WEIGHTS))
    if draw(st.booleans()):
        options["label_smoothing"] = draw(st.sampled_from([0.1, 0.5]))
    if draw(st.booleans()):
        options["base"] = 2.0
    return {"predicted": predicted, "target": labels, **options}


def _reduced_loss(problem: dict[str, Any], predicted: Any) -> float:
    """The scalar whose gradient the function returns: the reduced loss, or for
    "none" the sum of the per-element losses."""
    options = {k: v for k, v in problem.items() if k not in ("predicted", "target")}
    loss = ce.binary_cross_entropy(predicted, problem["target"], **options)
    return float(np.sum(loss))


@pytest.mark.parametrize("from_logits", [True, False])
@given(data=st.data())
def test_matches_central_finite_differences(from_logits: bool, data: Any) -> None:
    problem = data.draw(problems(from_logits=from_logits))
    predicted = problem["predicted"]
    options = {k: v for k, v in problem.items() if k not in ("predicted", "target")}
    got = ce.binary_cross_entropy_gradient(predicted, problem["target"], **options)
    expected = np.empty_like(predicted)
    h = 1e-6 if not from_logits else 1e-5
    for index in np.ndindex(predicted.shape):
        up, down = predicted.copy(), predicted.copy()
        up[index] += h
        down[index] -= h
        expected[index] = (_reduced_loss(problem, up) - _reduced_loss(problem, down)) / (2 * h)
    assert got.shape == predicted.shape
    assert got.dtype == np.float64
    assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def _torch_gradient(problem: dict[str, Any]) -> Any:
    """The gradient PyTorch's autograd takes of the same reduced loss."""
    x = torch.tensor(problem["predicted"], requires_grad=True)
    smoothing = problem.get("label_smoothing", 0.0)
    y = torch.tensor((1 - smoothing) * problem["target"] + smoothing / 2)
    weight = problem.get("sample_weight")
    w = None if weight is None else torch.tensor(weight)
    if problem["from_logits"]:
        pos = problem.get("pos_weight")
        pos_weight = None if pos is None else torch.tensor(pos)
        losses = F.binary_cross_entropy_with_logits(
            x, y, weight=w, pos_weight=pos_weight, reduction="none"
        )
    else:
        losses = F.binary_cross_entropy(x, y, weight=w, reduction="none")
    total = losses.sum()
    if problem["reduction"] == "mean":
        # PyTorch's own mean divides by the number of elements even with weights;
        # this package divides by the sum of the sample weights (0 when it is 0).
        count = float(x.numel()) if weight is None else float(np.sum(weight))
        total = total / count if count > 0 else total * 0.0
    total = total / math.log(problem.get("base") or math.e)
    total.backward()
    assert x.grad is not None
    return x.grad.numpy()


@pytest.mark.parametrize("from_logits", [True, False])
@given(data=st.data())
def test_matches_torch_autograd(from_logits: bool, data: Any) -> None:
    problem = data.draw(problems(from_logits=from_logits))
    if not from_logits:
        problem.pop("pos_weight", None)  # F.binary_cross_entropy has none
    options = {k: v for k, v in problem.items() if k not in ("predicted", "target")}
    got = ce.binary_cross_entropy_gradient(problem["predicted"], problem["target"], **options)
    assert_allclose(got, _torch_gradient(problem), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("from_logits", [True, False])
def test_matches_torch_autograd_with_weights(reduction: str, from_logits: bool) -> None:
    """One fixed problem per reduction, with every option that PyTorch shares."""
    rng = np.random.default_rng(3)
    shape = (5, 3)
    problem: dict[str, Any] = {
        "predicted": rng.normal(size=shape) * 4 if from_logits else rng.uniform(0.05, 0.95, shape),
        "target": rng.uniform(size=shape),
        "from_logits": from_logits,
        "reduction": reduction,
        "sample_weight": rng.uniform(0, 2, size=shape),
        "label_smoothing": 0.2,
        "base": 2.0,
    }
    if from_logits:
        problem["pos_weight"] = np.array([0.5, 1.0, 3.0])
    options = {k: v for k, v in problem.items() if k not in ("predicted", "target")}
    got = ce.binary_cross_entropy_gradient(problem["predicted"], problem["target"], **options)
    assert_allclose(got, _torch_gradient(problem), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (np.float16, np.float16),
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int64, np.float64),
        (np.int32, np.float64),
        (np.bool_, np.float64),
    ],
)
@pytest.mark.parametrize("from_logits", [True, False])
def test_dtype_and_shape(dtype: Any, expected: Any, from_logits: bool) -> None:
    values = (
        [[1, 0, 1], [0, 0, 1]] if dtype is np.bool_ or not from_logits else [[2, -3, 0], [1, 5, -1]]
    )
    predicted = np.array(values).astype(dtype)
    if not from_logits and np.dtype(dtype).kind == "f":
        predicted = np.array([[0.25, 0.5, 0.75], [0.125, 0.5, 0.875]], dtype=dtype)
    target = np.array([[1, 0, 1], [1, 1, 0]])
    got = ce.binary_cross_entropy_gradient(
        predicted, target, from_logits=from_logits, reduction="none"
    )
    assert got.dtype == expected
    assert got.shape == predicted.shape
    reference = ce.binary_cross_entropy_gradient(
        predicted.astype(np.float64), target, from_logits=from_logits, reduction="none"
    )
    assert_allclose(got, reference, rtol=1e-3 if dtype is np.float16 else 1e-6)


def test_scalar_and_empty_inputs() -> None:
    scalar = ce.binary_cross_entropy_gradient(0.25, 1)
    assert isinstance(scalar, np.ndarray)
    assert scalar.shape == ()
    assert_allclose(scalar, -4.0)
    empty = ce.binary_cross_entropy_gradient(np.zeros((0, 3)), np.zeros((0, 3)))
    assert empty.shape == (0, 3)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("pos_weight", [None, 2.5])
def test_stable_for_huge_logits(dtype: Any, pos_weight: Any) -> None:
    """|x| up to 1e4 (and +-inf): no overflow warning (pytest turns it into an error),
    and the exact answer, which is 0, +-1 or -w there."""
    x = np.array([1e4, -1e4, 1e4, -1e4, 100.0, -100.0, np.inf, -np.inf, 30.0, -30.0])
    if dtype is np.float16:
        x = np.clip(x, -6e4, 6e4)
    y = np.array([1, 0, 0, 1, 1, 0, 1, 0, 1, 0], dtype=float)
    got = ce.binary_cross_entropy_gradient(
        x.astype(dtype), y, from_logits=True, reduction="none", pos_weight=pos_weight
    )
    w = 1.0 if pos_weight is None else pos_weight
    xs = x.astype(dtype).astype(np.float64)
    expected = (1 - y) * special.expit(xs) - w * y * special.expit(-xs)
    assert np.all(np.isfinite(got))
    # Tiny gradients (exp(-100)) are subnormal or 0 in the result's dtype.
    atol = 8 * float(np.finfo(dtype).smallest_subnormal)
    rtol = 1e-3 if dtype is np.float16 else 1e-6
    assert_allclose(got, expected.astype(dtype), rtol=rtol, atol=atol)


def test_full_relative_accuracy_of_small_gradients() -> None:
    """A confident right answer has a tiny gradient; sigma(x) - 1 would round it to 0."""
    x = np.array([30.0, 50.0, -40.0])
    y = np.array([1.0, 1.0, 0.0])
    got = ce.binary_cross_entropy_gradient(x, y, from_logits=True, reduction="none")
    assert_allclose(got, [-special.expit(-30.0), -special.expit(-50.0), special.expit(-40.0)])


def test_probabilities_at_zero_and_one() -> None:
    """A zero coefficient gives 0 even at p = 0 or 1; a non-zero one gives the
    infinity the loss has there; a zero sample weight gives 0 even then."""
    p = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.5, 1.0])
    got = ce.binary_cross_entropy_gradient(p, y, reduction="none")
    assert_array_equal(got, [1.0, -np.inf, -1.0, np.inf, -np.inf, -2.0])
    weighted = ce.binary_cross_entropy_gradient(
        p, y, reduction="none", sample_weight=[1, 0, 1, 0, 0, 2]
    )
    assert_array_equal(weighted, [1.0, 0.0, -1.0, 0.0, 0.0, -4.0])
    nothing = ce.binary_cross_entropy_gradient(p, y, sample_weight=np.zeros(6))
    assert_array_equal(nothing, np.zeros(6))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("soft", [False, True])
@given(
    x=hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-30, 30)),
    data=st.data(),
)
def test_consistent_with_two_class_cross_entropy(
    reduction: str, soft: bool, x: Any, data: Any
) -> None:
    """cross_entropy_gradient of the logits (0, x) has the binary gradient as its
    second component (softmax(0, x) = (1 - sigma(x), sigma(x)))."""
    n = x.shape[0]
    values = st.floats(0, 1) if soft else st.sampled_from([0.0, 1.0])
    y = data.draw(hnp.arrays(np.float64, n, elements=values))
    weights = data.draw(st.none() | hnp.arrays(np.float64, n, elements=WEIGHTS))
    smoothing = data.draw(st.sampled_from([0.0, 0.2]))
    logits = np.stack([np.zeros(n), x], axis=-1)
    target: Any = np.stack([1 - y, y], axis=-1) if soft else y.astype(int)
    options = {"reduction": reduction, "sample_weight": weights, "label_smoothing": smoothing}
    two_class = ce.cross_entropy_gradient(logits, target, from_logits=True, **options)
    binary = ce.binary_cross_entropy_gradient(x, y, from_logits=True, **options)
    assert_allclose(binary, two_class[:, 1], rtol=1e-9, atol=1e-14)


BAD_ARGUMENTS: list[tuple[Any, Any, dict[str, Any]]] = [
    ("abc", [1.0], {}),
    ([0.5], "abc", {}),
    ([[0.5, 0.5]], [1], {}),
    (np.ones(2, complex), [1, 0], {}),
    ([0.5, 1.5], [1, 0], {}),
    ([0.5, -0.5], [1, 0], {}),
    ([0.5, np.nan], [1, 0], {}),
    ([2.0], [1], {}),
    ([0.5], [2], {}),
    ([0.5], [np.nan], {}),
    ([0.0, np.nan], [1, 0], {"from_logits": True}),
    (np.nan, 1.0, {"from_logits": True}),
    ([0.5], [1], {"from_logits": "yes"}),
    ([0.5], [1], {"reduction": "avg"}),
    ([0.5], [1], {"label_smoothing": 1.5}),
    ([0.5], [1], {"label_smoothing": True}),
    ([0.5], [1], {"base": 1.0}),
    ([0.5], [1], {"base": "2"}),
    ([0.5], [1], {"sample_weight": [-1.0]}),
    ([0.5], [1], {"sample_weight": [1.0, 2.0]}),
    ([0.5], [1], {"sample_weight": [np.inf]}),
    ([0.5], [1], {"sample_weight": "x"}),
    ([0.5], [1], {"pos_weight": -1.0}),
    ([0.5], [1], {"pos_weight": [1e-320]}),
    ([0.5, 0.5], [1, 0], {"pos_weight": [1.0, 2.0, 3.0]}),
]


@pytest.mark.parametrize(("predicted", "target", "options"), BAD_ARGUMENTS)
def test_bad_input_raises_as_the_loss_does(predicted: Any, target: Any, options: Any) -> None:
    with pytest.raises((TypeError, ValueError)) as loss_error:
        ce.binary_cross_entropy(predicted, target, **options)
    with pytest.raises(loss_error.type) as gradient_error:
        ce.binary_cross_entropy_gradient(predicted, target, **options)
    assert str(gradient_error.value) == str(loss_error.value)
