"""Agreement with PyTorch, scikit-learn and optax, and the documented differences.

The libraries compute log-sum-exp as ``m + log(sum)``, with an absolute error of a few
eps; this package uses ``log1p`` and is exact to relative eps for tiny losses (pinned
against mpmath in test_stability.py). Comparisons therefore allow
``atol = 4 eps max|z|`` (:func:`lib_atol`).

Where a rule of this package differs from a library's, the test pins both values,
so the difference stated in the docstrings stays true.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import jax
import numpy as np
import optax
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose
from scipy import special
from sklearn.metrics import log_loss

import crossentropy as ce

jax.config.update("jax_enable_x64", True)
torch.set_num_threads(1)


def lib_atol(z: Any) -> float:
    """The libraries' absolute error: a few eps times the largest logit's size."""
    return 4 * float(np.finfo(np.float64).eps) * max(1.0, float(np.max(np.abs(z), initial=0)))


def t(array: Any) -> torch.Tensor:
    return torch.from_numpy(np.asarray(array))


@st.composite
def batches(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(1, 6))
    k = draw(st.integers(2, 6))
    z = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-20, 20)))
    labels = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1)))
    soft = special.softmax(draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-3, 3))), axis=-1)
    weight = draw(st.none() | hnp.arrays(np.float64, (k,), elements=st.floats(0.1, 3)))
    smoothing = draw(st.sampled_from([0.0, 0.2]))
    return {"z": z, "labels": labels, "soft": soft, "weight": weight, "smoothing": smoothing}


@given(batches(), st.sampled_from(["none", "sum"]))
def test_torch_agrees_on_per_sample_losses_and_sums(b: dict[str, Any], reduction: str) -> None:
    w = None if b["weight"] is None else t(b["weight"])
    for target in (b["labels"], b["soft"]):
        expected = F.cross_entropy(
            t(b["z"]), t(target), weight=w, reduction=reduction, label_smoothing=b["smoothing"]
        ).numpy()
        got = ce.cross_entropy(
            b["z"],
            target,
            from_logits=True,
            reduction=reduction,
            class_weight=b["weight"],
            label_smoothing=b["smoothing"],
        )
        assert_allclose(got, expected, rtol=1e-10, atol=lib_atol(b["z"]))


@given(batches())
def test_torch_agrees_on_the_mean_where_the_rules_coincide(b: dict[str, Any]) -> None:
    # Index targets with class weights and no smoothing: both divide by sum w[y_i].
    expected = F.cross_entropy(
        t(b["z"]), t(b["labels"]), weight=None if b["weight"] is None else t(b["weight"])
    )
    got = ce.cross_entropy(b["z"], b["labels"], from_logits=True, class_weight=b["weight"])
    assert_allclose(got, expected.numpy(), rtol=1e-10, atol=lib_atol(b["z"]))
    # No class weights: the mean over samples, for both target forms and any smoothing.
    for target in (b["labels"], b["soft"]):
        expected = F.cross_entropy(t(b["z"]), t(target), label_smoothing=b["smoothing"])
        got = ce.cross_entropy(b["z"], target, from_logits=True, label_smoothing=b["smoothing"])
        assert_allclose(got, expected.numpy(), rtol=1e-10, atol=lib_atol(b["z"]))


def test_documented_differences_from_torch() -> None:
    z = np.array([[2.0, 0.0, -1.0], [0.5, 1.5, 0.0]])
    labels = np.array([0, 2])
    one_hot = np.eye(3)[labels]
    w = np.array([3.0, 1.0, 0.5])
    per_sample = special.logsumexp(z, axis=-1) - z[[0, 1], labels]
    weighted = w[labels] * per_sample
    # Probability targets with class weights: PyTorch divides by n, so its two forms disagree.
    torch_index = F.cross_entropy(t(z), t(labels), weight=t(w)).item()
    torch_one_hot = F.cross_entropy(t(z), t(one_hot), weight=t(w)).item()
    assert_allclose(torch_index, weighted.sum() / w[labels].sum())
    assert_allclose(torch_one_hot, weighted.sum() / 2)
    for target in (labels, one_hot):
        got = ce.cross_entropy(z, target, from_logits=True, class_weight=w)
        assert_allclose(got, weighted.sum() / w[labels].sum())
    # A batch whose targets are all ignored: NaN in PyTorch, 0 here.
    ignored = np.array([-100, -100])
    assert np.isnan(F.cross_entropy(t(z), t(ignored), ignore_index=-100).item())
    assert ce.cross_entropy(z, ignored, from_logits=True, ignore_index=-100) == 0.0
    # The class axis: PyTorch's is 1, ours defaults to -1 and takes axis=1.
    z3 = np.random.default_rng(0).normal(size=(2, 3, 4))
    labels3 = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])
    assert_allclose(
        ce.cross_entropy(z3, labels3, from_logits=True, axis=1, reduction="none"),
        F.cross_entropy(t(z3), t(labels3), reduction="none").numpy(),
        rtol=1e-12,
    )
    # Binary: PyTorch's mean with per-element weights divides by the element count.
    x, y, s = np.array([0.3, -2.0, 1.0]), np.array([1.0, 0.0, 0.0]), np.array([1.0, 2.0, 0.0])
    torch_bce = F.binary_cross_entropy_with_logits(t(x), t(y), weight=t(s)).item()
    ours = ce.binary_cross_entropy(x, y, from_logits=True, sample_weight=s)
    total = ce.binary_cross_entropy(x, y, from_logits=True, sample_weight=s, reduction="sum")
    assert_allclose(torch_bce, total / 3)
    assert_allclose(ours, total / 3.0)  # sum of weights is 3 here too ...
    s2 = np.array([1.0, 1.0, 2.0])
    torch_bce2 = F.binary_cross_entropy_with_logits(t(x), t(y), weight=t(s2)).item()
    ours2 = ce.binary_cross_entropy(x, y, from_logits=True, sample_weight=s2)
    total2 = ce.binary_cross_entropy(x, y, from_logits=True, sample_weight=s2, reduction="sum")
    assert_allclose(torch_bce2, total2 / 3)  # ... but not here: PyTorch divides by 3,
    assert_allclose(ours2, total2 / 4)  # this package by the weights' sum, 4.


def test_a_tensor_that_requires_grad_is_refused_with_the_way_out() -> None:
    """torch would raise its own RuntimeError from inside np.asarray; the package says
    which argument it is and what to call. A detached tensor is read as it is."""
    logits = torch.tensor([[2.0, 0.5, -1.0]], dtype=torch.float64, requires_grad=True)
    with pytest.raises(TypeError, match=r"predicted is a tensor that requires grad.*\.detach\(\)"):
        ce.cross_entropy(logits, np.array([0]), from_logits=True)
    weight = torch.ones(1, requires_grad=True)
    with pytest.raises(TypeError, match=r"sample_weight is a tensor that requires grad"):
        ce.cross_entropy(logits.detach(), np.array([0]), from_logits=True, sample_weight=weight)
    expected = F.cross_entropy(logits, torch.tensor([0])).item()
    got = ce.cross_entropy(logits.detach(), np.array([0]), from_logits=True)
    assert_allclose(got, expected, rtol=1e-12)


@given(
    hnp.arrays(np.float64, (4, 3), elements=st.floats(-30, 30)),
    hnp.arrays(np.float64, (4, 3), elements=st.sampled_from([0.0, 1.0, 0.25])),
    hnp.arrays(np.float64, (3,), elements=st.just(0.0) | st.floats(1e-3, 3)),
)
def test_torch_binary_cross_entropy_with_logits(x: Any, y: Any, pos_weight: Any) -> None:
    for reduction in ("none", "sum", "mean"):
        expected = F.binary_cross_entropy_with_logits(
            t(x), t(y), pos_weight=t(pos_weight), reduction=reduction
        ).numpy()
        got = ce.binary_cross_entropy(
            x, y, from_logits=True, pos_weight=pos_weight, reduction=reduction
        )
        assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@given(hnp.arrays(np.float64, (3, 5), elements=st.floats(-50, 50)))
def test_torch_softmax_family_and_kl(z: Any) -> None:
    assert_allclose(ce.softmax(z), F.softmax(t(z), dim=-1).numpy(), rtol=1e-12, atol=1e-300)
    assert_allclose(ce.log_softmax(z), F.log_softmax(t(z), dim=-1).numpy(), rtol=1e-12, atol=1e-12)
    assert_allclose(
        ce.logsumexp(z), torch.logsumexp(t(z), dim=-1).numpy(), rtol=1e-12, atol=lib_atol(z)
    )
    q = ce.softmax(z)
    p = ce.softmax(z[::-1].copy() / 7)
    expected = F.kl_div(t(np.log(q)), t(p), reduction="none").numpy().sum(axis=-1)
    assert_allclose(ce.kl_divergence(q, p, reduction="none"), expected, rtol=1e-9, atol=1e-12)


@given(batches(), st.booleans())
def test_sklearn_log_loss(b: dict[str, Any], weighted: bool) -> None:
    probs = 0.98 * special.softmax(b["z"], axis=-1) + 0.02 / b["z"].shape[1]  # no clipping
    k = probs.shape[1]
    weights = np.linspace(0.5, 2.0, len(b["labels"])) if weighted else None
    expected = log_loss(b["labels"], probs, labels=np.arange(k), sample_weight=weights)
    assert_allclose(
        ce.cross_entropy(probs, b["labels"], sample_weight=weights), expected, rtol=1e-12
    )


#: optax's losses compiled whole, as a training step under jax.jit runs them: one
#: compilation per shape, where calling them eagerly compiles each of their operations
#: for each new shape (three times slower here, for the same numbers).
OPTAX = SimpleNamespace(
    **{
        name: jax.jit(getattr(optax.losses, name))
        for name in (
            "softmax_cross_entropy_with_integer_labels",
            "softmax_cross_entropy",
            "smooth_labels",
            "sigmoid_binary_cross_entropy",
            "kl_divergence",
        )
    }
)


@settings(max_examples=15)  # every new shape is a new jit compilation
@given(batches())
def test_optax(b: dict[str, Any]) -> None:
    z, labels, soft = b["z"], b["labels"], b["soft"]
    by_index = OPTAX.softmax_cross_entropy_with_integer_labels(z, labels)
    assert_allclose(
        ce.cross_entropy(z, labels, from_logits=True, reduction="none"),
        by_index,
        rtol=1e-12,
        atol=lib_atol(z),
    )
    by_soft = OPTAX.softmax_cross_entropy(z, soft)
    assert_allclose(
        ce.cross_entropy(z, soft, from_logits=True, reduction="none"),
        by_soft,
        rtol=1e-10,
        atol=lib_atol(z),
    )
    smoothed = OPTAX.smooth_labels(np.eye(z.shape[1])[labels], b["smoothing"])
    assert_allclose(
        ce.cross_entropy(
            z, labels, from_logits=True, label_smoothing=b["smoothing"], reduction="none"
        ),
        OPTAX.softmax_cross_entropy(z, smoothed),
        rtol=1e-10,
        atol=lib_atol(z),
    )
    y = (soft[:, 0] > 0.3).astype(np.float64)
    assert_allclose(
        ce.binary_cross_entropy(z[:, 0], y, from_logits=True, reduction="none"),
        OPTAX.sigmoid_binary_cross_entropy(z[:, 0], y),
        rtol=1e-10,
        atol=1e-12,
    )
    q = special.softmax(z, axis=-1)
    assert_allclose(
        ce.kl_divergence(q, soft, reduction="none"),
        OPTAX.kl_divergence(np.log(q), soft),
        rtol=1e-9,
        atol=1e-12,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_optax_gradient(dtype: Any) -> None:
    rng = np.random.default_rng(7)
    z = (rng.normal(size=(5, 4)) * 4).astype(dtype)
    labels = rng.integers(0, 4, size=5)
    grad = jax.grad(
        lambda x: optax.losses.softmax_cross_entropy_with_integer_labels(x, labels).mean()
    )(z)
    got = ce.cross_entropy_gradient(z, labels, from_logits=True)
    assert got.dtype == dtype
    assert_allclose(got, np.asarray(grad), rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-7)
