"""entropy and kl_divergence against SciPy."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose
from scipy import special, stats

import crossentropy as ce


@st.composite
def distributions(draw: Any, n: int | None = None, k: int | None = None) -> Any:
    n = draw(st.integers(1, 5)) if n is None else n
    k = draw(st.integers(1, 6)) if k is None else k
    raw = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(0, 10)))
    raw[:, 0] += 1e-3  # at least one positive entry per row
    zeros = draw(hnp.arrays(np.bool_, (n, k)))
    zeros[:, 0] = False
    raw[zeros] = 0.0  # exact zeros exercise 0 log 0 = 0
    return raw / raw.sum(axis=-1, keepdims=True)


@given(distributions(), st.sampled_from([None, 2, 10]))
def test_entropy_matches_scipy(p: Any, base: Any) -> None:
    assert_allclose(ce.entropy(p, base=base), stats.entropy(p, base=base, axis=-1), atol=1e-12)
    assert_allclose(
        ce.entropy(p.T, axis=0, base=base), stats.entropy(p, base=base, axis=-1), atol=1e-12
    )


@given(st.data())
def test_kl_matches_scipy_rel_entr_and_the_identity(data: Any) -> None:
    target = data.draw(distributions())
    predicted = data.draw(distributions(*target.shape))
    expected = special.rel_entr(target, predicted).sum(axis=-1)
    got = ce.kl_divergence(predicted, target, reduction="none")
    assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    finite = np.isfinite(expected)
    cross = ce.cross_entropy(predicted, target, reduction="none")
    assert_allclose(got[finite], (cross - ce.entropy(target))[finite], rtol=1e-9, atol=1e-9)
    assert_allclose(ce.kl_divergence(predicted, target), expected.mean(), rtol=1e-9, atol=1e-12)


def test_kl_of_a_distribution_with_itself_is_zero_and_never_negative() -> None:
    p = np.random.default_rng(3).dirichlet(np.ones(50), size=20)
    assert (ce.kl_divergence(p, p, reduction="none") == 0.0).all()


def test_entropy_in_bits_of_uniform_and_certain() -> None:
    assert ce.entropy(np.full(8, 1 / 8), base=2) == 3.0
    assert ce.entropy(np.array([0.0, 1.0, 0.0])) == 0.0
    assert ce.entropy(np.float32([0.5, 0.5])).dtype == np.float32


def test_kl_with_subnormal_prediction_is_finite() -> None:
    """Found by hypothesis: target / predicted overflowed for a subnormal prediction."""
    target = np.array([5e-4, 1 - 5e-4, 0.0])
    predicted = np.array([0.5, 5.56e-309, 0.5])
    expected = special.rel_entr(target, predicted).sum()
    assert np.isfinite(expected)
    assert_allclose(ce.kl_divergence(predicted, target), expected, rtol=1e-12)
