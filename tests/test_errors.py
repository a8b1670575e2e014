"""Every bad input gets a ValueError/TypeError that names the argument and the problem."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import crossentropy as ce

P = np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1]])
Z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
T = np.array([2, 0])
MASKED = np.ma.array([1.0, 1.0], mask=[False, True])


class Tracked:
    """What a torch tensor that requires grad looks like here (duck-typed, as the
    package checks it; tests/test_libraries.py uses torch itself)."""

    requires_grad = True

    def __init__(self, values: Any) -> None:
        self.values = np.asarray(values)

    def detach(self) -> Any:
        return self.values

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise RuntimeError("Can't call numpy() on Tensor that requires grad.")


CASES: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    # shapes and forms
    (
        "shape mismatch",
        lambda: ce.cross_entropy(P, np.array([0, 1, 2])),
        ValueError,
        r"target has shape \(3,\), but predicted has shape \(2, 3\) with classes on axis 1: "
        r"expected \(2,\) for class indices or \(2, 3\) for probabilities",
    ),
    (
        "index out of range",
        lambda: ce.cross_entropy(P, np.array([0, 3])),
        ValueError,
        r"target holds class index 3 at position \(1,\), "
        r"out of range for 3 classes \(valid: 0 to 2\)",
    ),
    (
        "negative index",
        lambda: ce.cross_entropy(P, np.array([-1, 0])),
        ValueError,
        r"target holds class index -1 at position \(0,\), out of range",
    ),
    (
        "negative index that is not ignore_index",
        lambda: ce.cross_entropy(P, np.array([-1, 0]), ignore_index=-100),
        ValueError,
        r"class index -1 .* and is not ignore_index=-100",
    ),
    (
        "non-integer indices",
        lambda: ce.cross_entropy(P, np.array([0.0, 1.5])),
        TypeError,
        r"target has the shape of class indices, so it must hold integers; got dtype float64",
    ),
    (
        "ignore_index with probability targets",
        lambda: ce.cross_entropy(P, np.eye(3)[[2, 0]], ignore_index=0),
        ValueError,
        r"ignore_index applies to class-index targets only",
    ),
    # values of predicted
    (
        "NaN probability",
        lambda: ce.cross_entropy(np.array([np.nan, 0.5, 0.5]), 0),
        ValueError,
        r"predicted contains NaN \(first at position \(0,\)\)",
    ),
    (
        "inf probability",
        lambda: ce.cross_entropy(np.array([np.inf, 0.5, 0.5]), 0),
        ValueError,
        r"predicted must hold probabilities in \[0, 1\]; found inf",
    ),
    (
        "negative probability",
        lambda: ce.cross_entropy(np.array([-0.1, 0.4, 0.7]), 0),
        ValueError,
        r"predicted must hold probabilities in \[0, 1\]; found -0.1 at position \(0,\)",
    ),
    (
        "logits passed as probabilities",
        lambda: ce.cross_entropy(Z, T),
        ValueError,
        r"predicted must hold probabilities in \[0, 1\]; found 2.0.*pass from_logits=True",
    ),
    (
        "rows not summing to 1",
        lambda: ce.cross_entropy(np.array([0.2, 0.2, 0.2]), 0),
        ValueError,
        r"predicted must sum to 1 over the class axis; the row at batch position \(\) "
        r"sums to 0.6.*from_logits=True",
    ),
    (
        "float32 sum tolerance is sqrt(eps)",
        lambda: ce.cross_entropy(np.float32([0.3, 0.3, 0.401]), 0),
        ValueError,
        r"sums to 1.001 \(tolerance 3.5e-04\)",
    ),
    (
        "NaN logit",
        lambda: ce.cross_entropy(np.array([[0.0, np.nan], [1.0, 2.0]]), [0, 1], from_logits=True),
        ValueError,
        r"predicted: the row at batch position \(0,\) contains NaN",
    ),
    (
        "+inf logit",
        lambda: ce.cross_entropy(np.array([0.0, np.inf]), 0, from_logits=True),
        ValueError,
        r"contains \+inf \(logits must be finite, or -inf to mask a class\)",
    ),
    (
        "+inf logit at the target",  # the loss would be inf - inf: undefined, not 0
        lambda: ce.cross_entropy(np.float32([[np.inf, 0.0, 0.0]]), [0], from_logits=True),
        ValueError,
        r"contains \+inf \(logits must be finite, or -inf to mask a class\)",
    ),
    (
        "+inf logit with label smoothing",
        lambda: ce.cross_entropy(
            np.float32([[np.inf, 0.0, 0.0]]), [1], from_logits=True, label_smoothing=0.1
        ),
        ValueError,
        r"contains \+inf \(logits must be finite, or -inf to mask a class\)",
    ),
    (
        "all -inf logits",
        lambda: ce.cross_entropy(np.array([-np.inf, -np.inf]), 0, from_logits=True),
        ValueError,
        r"has every logit equal to -inf, so its softmax is undefined",
    ),
    # values of target
    (
        "soft target outside [0, 1]",
        lambda: ce.cross_entropy(P, np.array([[1.5, -0.5, 0.0], [1, 0, 0]])),
        ValueError,
        r"target must hold probabilities in \[0, 1\]; found -0.5",
    ),
    (
        "soft target not summing to 1",
        lambda: ce.cross_entropy(P, np.array([[0.5, 0.0, 0.0], [1, 0, 0]])),
        ValueError,
        r"target must sum to 1 over the class axis; the row at batch position \(0,\) sums to 0.5",
    ),
    # weights
    (
        "class_weight length",
        lambda: ce.cross_entropy(P, T, class_weight=[1.0, 2.0]),
        ValueError,
        r"class_weight must have one weight per class, shape \(3,\); got shape \(2,\)",
    ),
    (
        "negative class_weight",
        lambda: ce.cross_entropy(P, T, class_weight=[1.0, -2.0, 1.0]),
        ValueError,
        r"class_weight must be non-negative; found -2.0 at position \(1,\)",
    ),
    (
        "NaN class_weight",
        lambda: ce.cross_entropy(P, T, class_weight=[1.0, np.nan, 1.0]),
        ValueError,
        r"class_weight must be finite; found nan",
    ),
    (
        "sample_weight shape",
        lambda: ce.cross_entropy(P, T, sample_weight=[1.0, 2.0, 3.0]),
        ValueError,
        r"sample_weight must have one weight per sample, shape \(2,\)",
    ),
    (
        "negative sample_weight",
        lambda: ce.cross_entropy(P, T, sample_weight=[1.0, -1.0]),
        ValueError,
        r"sample_weight must be non-negative; found -1.0 at position \(1,\)",
    ),
    (
        "negative pos_weight",
        lambda: ce.binary_cross_entropy([0.5], [1], pos_weight=-1.0),
        ValueError,
        r"pos_weight must be non-negative",
    ),
    (
        "subnormal class_weight",
        lambda: ce.cross_entropy(P, T, class_weight=[1.0, 5e-324, 1.0]),
        ValueError,
        r"class_weight must be 0 or within 4\.5e\+307 of its largest value and at least "
        r"2\.2e-308 \(float64\); found 5e-324 at position \(1,\) \(use 0 to drop it\)",
    ),
    (
        "sample weights spanning more than float32's range",
        lambda: ce.cross_entropy(np.float32(P), T, sample_weight=[1e30, 1e-10]),
        ValueError,
        r"sample_weight must be 0 or within 8\.5e\+37 .* found 1\.0*\d*e-10 at position \(1,\)",
    ),
    # scalars
    (
        "label smoothing above 1",
        lambda: ce.cross_entropy(P, T, label_smoothing=1.5),
        ValueError,
        r"label_smoothing must be in \[0, 1\], got 1.5",
    ),
    (
        "label smoothing negative",
        lambda: ce.binary_cross_entropy([0.5], [1], label_smoothing=-0.1),
        ValueError,
        r"label_smoothing must be in \[0, 1\], got -0.1",
    ),
    (
        "label smoothing NaN",
        lambda: ce.cross_entropy(P, T, label_smoothing=float("nan")),
        ValueError,
        r"label_smoothing must be in \[0, 1\], got nan",
    ),
    (
        "label smoothing type",
        lambda: ce.cross_entropy(P, T, label_smoothing="0.1"),
        TypeError,
        r"label_smoothing must be a real number",
    ),
    (
        "unknown reduction",
        lambda: ce.cross_entropy(P, T, reduction="avg"),
        ValueError,
        r"reduction must be one of 'none', 'mean', 'sum'; got 'avg'",
    ),
    (
        "unknown reduction for kl",
        lambda: ce.kl_divergence(P, P, reduction="batchmean"),
        ValueError,
        r"reduction must be one of",
    ),
    (
        "axis out of range",
        lambda: ce.cross_entropy(P, T, axis=2),
        ValueError,
        r"axis=2 is out of range for predicted with 2 dimensions \(valid: -2 to 1\)",
    ),
    (
        "axis not an integer",
        lambda: ce.softmax(Z, axis=1.0),
        TypeError,
        r"axis must be an integer, got 1.0",
    ),
    (
        "from_logits not a bool",
        lambda: ce.cross_entropy(Z, T, from_logits="yes"),
        TypeError,
        r"from_logits must be True or False",
    ),
    (
        "scalar predicted",
        lambda: ce.cross_entropy(0.5, 0),
        ValueError,
        r"predicted must have at least one dimension",
    ),
    (
        "string dtype",
        lambda: ce.cross_entropy(np.array(["a", "b"]), 0),
        TypeError,
        r"predicted must hold real numbers \(bool, integer or float\), got an array of dtype <U1",
    ),
    (
        "complex dtype",
        lambda: ce.softmax(np.array([1j, 2.0])),
        TypeError,
        r"z must hold real numbers.*complex128",
    ),
    (
        "object target",
        lambda: ce.cross_entropy(P, np.array([None, None])),
        TypeError,
        r"target must hold real numbers.*object",
    ),
    (
        "ragged list",
        lambda: ce.cross_entropy([[0.5, 0.5], [1.0]], 0),
        TypeError,
        r"predicted must be array-like of real numbers",
    ),
    (
        "empty class axis",
        lambda: ce.cross_entropy(np.zeros((2, 0)), np.zeros(2, dtype=int)),
        ValueError,
        r"predicted has an empty class axis \(axis 1 of shape \(2, 0\)\)",
    ),
    (
        "empty axis for softmax",
        lambda: ce.softmax(np.zeros((2, 0))),
        ValueError,
        r"z has an empty axis 1",
    ),
    *(
        (
            f"base {base!r}",
            call,
            ValueError,
            rf"base must be a finite number greater than 1, got {message} \(a base of at most 1 "
            r"makes entropies negative or undefined\); use base=2 for bits or None for nats",
        )
        for base, message, call in [
            (0, r"0\.0", lambda: ce.cross_entropy(P, T, base=0)),
            (1, r"1\.0", lambda: ce.entropy(P, base=1)),
            (0.5, r"0\.5", lambda: ce.entropy(P, base=0.5)),  # H would be negative
            (-2, r"-2\.0", lambda: ce.kl_divergence(P, P, base=-2)),
            ("inf", "inf", lambda: ce.binary_cross_entropy([0.5], [1], base=np.inf)),
            ("nan", "nan", lambda: ce.cross_entropy_gradient(P, T, base=float("nan"))),
        ]
    ),
    (
        "base type",
        lambda: ce.entropy(P, base="2"),
        TypeError,
        r"base must be a real number greater than 1, or None",
    ),
    (
        "ignore_index type",
        lambda: ce.cross_entropy(P, T, ignore_index=1.0),
        TypeError,
        r"ignore_index must be an integer or None",
    ),
    # masked arrays and tensors that require grad: refused, whichever argument
    *(
        (
            f"masked {name}",
            call,
            TypeError,
            rf"{name} is a masked array \(numpy\.ma\), whose mask would be ignored; pass its "
            rf"data \({name}\.data\) and leave the masked samples out with "
            r"sample_weight=~mask, or with ignore_index for class-index targets "
            r"\(a -inf logit masks a class\)",
        )
        for name, call in [
            ("predicted", lambda: ce.cross_entropy(np.ma.array(P), T)),
            ("target", lambda: ce.cross_entropy(P, np.ma.array(T, mask=[0, 1]))),
            ("class_weight", lambda: ce.cross_entropy(P, T, class_weight=np.ma.ones(3))),
            ("sample_weight", lambda: ce.cross_entropy_gradient(P, T, sample_weight=MASKED)),
            ("pos_weight", lambda: ce.binary_cross_entropy([0.5], [1], pos_weight=MASKED[:1])),
            ("p", lambda: ce.entropy(np.ma.array(P))),
            ("z", lambda: ce.softmax(np.ma.array(Z, mask=np.isnan(Z)))),
            ("labels", lambda: ce.one_hot(np.ma.array(T), 3)),
        ]
    ),
    *(
        (
            f"{name} that requires grad",
            call,
            TypeError,
            rf"{name} is a tensor that requires grad; NumPy cannot read it without leaving "
            rf"the autograd graph: pass {name}\.detach\(\) \(\.detach\(\)\.cpu\(\) for a",
        )
        for name, call in [
            ("predicted", lambda: ce.cross_entropy(Tracked(Z), T, from_logits=True)),
            ("target", lambda: ce.binary_cross_entropy_gradient([0.5], Tracked([1.0]))),
            ("sample_weight", lambda: ce.cross_entropy(P, T, sample_weight=Tracked([1, 1]))),
            ("target", lambda: ce.kl_divergence(P, Tracked(P))),
            ("p", lambda: ce.entropy(Tracked(P))),
        ]
    ),
    # the other functions
    (
        "entropy of non-distribution",
        lambda: ce.entropy([0.5, 0.6]),
        ValueError,
        r"p must sum to 1 over the class axis",
    ),
    (
        "kl shape mismatch",
        lambda: ce.kl_divergence(P, P[0:1]),
        ValueError,
        r"target has shape \(1, 3\) but predicted has shape \(2, 3\)",
    ),
    (
        "kl of logits",
        lambda: ce.kl_divergence(Z, P),
        ValueError,
        r"predicted must hold probabilities in \[0, 1\]",
    ),
    (
        "bce shape mismatch",
        lambda: ce.binary_cross_entropy([0.5, 0.5], [1]),
        ValueError,
        r"target has shape \(1,\) but predicted has shape \(2,\)",
    ),
    (
        "bce logits as probabilities",
        lambda: ce.binary_cross_entropy([2.0], [1]),
        ValueError,
        r"predicted must hold probabilities in \[0, 1\]; found 2.0.*from_logits=True",
    ),
    (
        "bce label outside [0, 1]",
        lambda: ce.binary_cross_entropy([0.5], [2]),
        ValueError,
        r"target must hold probabilities in \[0, 1\]; found 2.0",
    ),
    (
        "bce NaN logit",
        lambda: ce.binary_cross_entropy([np.nan], [1], from_logits=True),
        ValueError,
        r"predicted contains NaN",
    ),
    (
        "softmax of +inf",
        lambda: ce.softmax(np.array([0.0, np.inf])),
        ValueError,
        r"z: the slice at position \(\) along the other axes contains \+inf",
    ),
    (
        "softmax of all -inf",
        lambda: ce.log_softmax(np.array([[-np.inf, -np.inf]])),
        ValueError,
        r"is all -inf, for which softmax is undefined",
    ),
    (
        "logsumexp of NaN",
        lambda: ce.logsumexp(np.array([0.0, np.nan])),
        ValueError,
        r"z: .* contains NaN",
    ),
    (
        "one_hot label out of range",
        lambda: ce.one_hot(np.array([0, 3]), 3),
        ValueError,
        r"labels holds class index 3 at position \(1,\), out of range for 3 classes",
    ),
    (
        "one_hot float labels",
        lambda: ce.one_hot(np.array([0.0, 1.0]), 3),
        TypeError,
        r"labels must be integers, got dtype float64",
    ),
    (
        "one_hot num_classes",
        lambda: ce.one_hot(np.array([0]), 0),
        ValueError,
        r"num_classes must be at least 1, got 0",
    ),
    (
        "one_hot axis",
        lambda: ce.one_hot(np.array([0]), 2, axis=3),
        ValueError,
        r"axis=3 is out of range for the result with 2 dimensions",
    ),
]


@pytest.mark.parametrize(("case", "call", "error", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_rejected_with_a_clear_message(
    case: str, call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


def test_errors_are_raised_before_any_numpy_warning() -> None:
    """Bad input fails cleanly: no RuntimeWarning from deep inside NumPy on the way."""
    with np.errstate(all="raise"):
        for _, call, error, _ in CASES:
            with pytest.raises(error):
                call()
