"""softmax, log_softmax, logsumexp and one_hot against SciPy and the definitions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from scipy import special

import crossentropy as ce

logit_arrays = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
    elements=st.floats(-1e4, 1e4),
)


@given(logit_arrays, st.integers(-3, 2))
def test_softmax_family_matches_scipy(z: Any, axis: int) -> None:
    axis = axis % z.ndim
    assert_allclose(ce.logsumexp(z, axis=axis), special.logsumexp(z, axis=axis), rtol=1e-12)
    assert_allclose(ce.softmax(z, axis=axis), special.softmax(z, axis=axis), rtol=1e-9, atol=1e-300)
    assert_allclose(
        ce.log_softmax(z, axis=axis), special.log_softmax(z, axis=axis), rtol=1e-9, atol=1e-9
    )


@given(logit_arrays)
def test_softmax_rows_sum_to_one_and_float32_matches(z: Any) -> None:
    assert_allclose(ce.softmax(z).sum(axis=-1), 1.0, rtol=1e-12)
    z32 = z.astype(np.float32)
    got = ce.log_softmax(z32)
    assert got.dtype == np.float32
    assert_allclose(got, special.log_softmax(z32.astype(np.float64), axis=-1), rtol=1e-5, atol=1e-3)


def test_infinities_follow_scipy() -> None:
    z = np.array([[-np.inf, -np.inf], [0.0, np.inf], [-np.inf, 1.0]])
    assert_array_equal(ce.logsumexp(z), special.logsumexp(z, axis=-1))
    assert_array_equal(ce.softmax(z[2]), [0.0, 1.0])
    assert_array_equal(ce.log_softmax(z[2]), [-np.inf, 0.0])


def test_huge_logits_do_not_overflow() -> None:
    z = np.array([1e4, -1e4, 0.0], dtype=np.float32)
    assert_array_equal(ce.softmax(z), np.float32([1.0, 0.0, 0.0]))
    assert ce.logsumexp(z) == np.float32(1e4)
    assert_allclose(ce.log_softmax(z), [0.0, -2e4, -1e4])


def test_logsumexp_returns_scalar_for_1d() -> None:
    got = ce.logsumexp(np.array([0.0, 0.0]))
    assert isinstance(got, np.float64)
    assert_allclose(got, np.log(2))


@given(
    hnp.arrays(
        np.int64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5), elements=st.integers(0, 4)
    ),
    st.integers(-1, 0),
)
def test_one_hot_matches_eye(labels: Any, axis: int) -> None:
    got = ce.one_hot(labels, 5, axis=axis)
    expected = np.eye(5)[labels]
    assert_array_equal(got, np.moveaxis(expected, -1, axis))
    assert got.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.int8, np.bool_, np.float32])
def test_one_hot_dtype(dtype: Any) -> None:
    assert ce.one_hot(np.array([1]), 2, dtype=dtype).dtype == dtype
