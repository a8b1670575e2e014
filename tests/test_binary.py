"""binary_cross_entropy against the two-class cross_entropy and direct formulas."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose
from scipy import special

import crossentropy as ce

# Weights as the contract accepts them: 0, or within a representable range of the
# largest (tiny and subnormal weights are rejected; see test_errors.py).
WEIGHTS = st.just(0.0) | st.floats(1e-3, 4)


@st.composite
def binary_problems(draw: Any) -> dict[str, Any]:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=6))
    x = draw(hnp.arrays(np.float64, shape, elements=st.floats(-40, 40)))
    y = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0, 0.3])))
    options: dict[str, Any] = {"reduction": draw(st.sampled_from(["none", "mean", "sum"]))}
    if draw(st.booleans()):
        options["sample_weight"] = draw(hnp.arrays(np.float64, shape, elements=WEIGHTS))
    if draw(st.booleans()):
        options["label_smoothing"] = 0.1
    return {"x": x, "y": y, **options}


def _reference(
    x: Any,
    y: Any,
    reduction: str,
    sample_weight: Any = None,
    label_smoothing: float = 0.0,
    pos_weight: Any = 1.0,
) -> Any:
    y = (1 - label_smoothing) * y + label_smoothing / 2
    log_p, log_q = special.log_expit(x), special.log_expit(-x)
    losses = -(pos_weight * y * log_p + (1 - y) * log_q)
    s = np.ones_like(x) if sample_weight is None else sample_weight
    if reduction == "none":
        return s * losses
    if reduction == "sum":
        return np.sum(s * losses)
    return np.sum(s * losses) / np.sum(s) if np.sum(s) > 0 else 0.0


@given(binary_problems())
def test_from_logits_matches_log_expit_formula(problem: dict[str, Any]) -> None:
    x, y = problem.pop("x"), problem.pop("y")
    assert_allclose(
        ce.binary_cross_entropy(x, y, from_logits=True, **problem),
        _reference(x, y, **problem),
        rtol=1e-10,
        atol=1e-12,
    )


@given(binary_problems())
def test_probabilities_match_logits(problem: dict[str, Any]) -> None:
    x, y = problem.pop("x"), problem.pop("y")
    # Beyond |x| ~ 15, 1 - expit(x) is itself rounded in float64 (relative error
    # eps / (1 - p)), so the probability input would no longer carry the logit's value.
    x = np.clip(x, -15, 15)
    assert_allclose(
        ce.binary_cross_entropy(special.expit(x), y, **problem),
        ce.binary_cross_entropy(x, y, from_logits=True, **problem),
        rtol=1e-6,
        atol=1e-9,
    )


@given(
    hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(0.01, 0.99)),
    hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(0, 1)),
)
def test_is_the_two_class_cross_entropy(p: Any, y: Any) -> None:
    n = min(p.size, y.size)
    p, y = p[:n], y[:n]
    two_class_p = np.stack([1 - p, p], axis=-1)
    two_class_y = np.stack([1 - y, y], axis=-1)
    assert_allclose(
        ce.binary_cross_entropy(p, y, reduction="none"),
        ce.cross_entropy(two_class_p, two_class_y, reduction="none"),
        rtol=1e-9,
    )


def test_pos_weight_scales_positive_term_only_and_not_the_denominator() -> None:
    x = np.array([[0.5, -1.0], [2.0, 0.0]])
    y = np.array([[1.0, 0.0], [1.0, 1.0]])
    w = np.array([3.0, 0.5])
    got = ce.binary_cross_entropy(x, y, from_logits=True, pos_weight=w)
    assert_allclose(got, _reference(x, y, "mean", pos_weight=w))


def test_extremes_are_exact_not_clipped() -> None:
    assert ce.binary_cross_entropy([1.0, 0.0], [1, 0]) == 0.0
    assert ce.binary_cross_entropy([0.0], [1]) == np.inf
    assert ce.binary_cross_entropy([1e4, -1e4], [0, 1], from_logits=True, reduction="sum") == 2e4
    assert ce.binary_cross_entropy([np.inf, -np.inf], [1, 0], from_logits=True) == 0.0
    assert ce.binary_cross_entropy(np.float32([0.5]), [1]).dtype == np.float32
