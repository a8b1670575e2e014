"""Numerical stability and accuracy at the extremes, and the memory bound."""

from __future__ import annotations

import tracemalloc
from typing import Any

import mpmath
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import crossentropy as ce
from crossentropy import _engine
from crossentropy._kernels import index_nll

mpmath.mp.dps = 50


def exact_nll(row: Any, label: int) -> float:
    """-log softmax(row)[label] in 50-digit arithmetic."""
    values = [mpmath.mpf(float(v)) for v in row]
    return float(mpmath.log(mpmath.fsum(mpmath.exp(v) for v in values)) - values[label])


ROWS = [
    ([60.0, 0.0, -3.0, 1.0], 0),  # confident and right: loss ~1e-26
    ([9.0, 0.0], 0),  # loss 1.2e-4, where m + log(1 + tiny) loses digits
    ([4.6, 0.0, 0.0], 0),  # loss about 0.02
    ([1e4, -1e4, 0.0], 0),
    ([1e4, -1e4, 0.0], 1),  # loss 2e4
    ([-1e4, -1e4 + 3.0, -1e4], 1),
    ([88.0, 88.0, 88.0], 2),
    ([-90.0, -90.0, -95.0], 2),
    ([0.0, 100.0, 0.0], 0),  # loss 100 > 88: the float32 fast path overflows
    ([0.0, 800.0, 0.0], 0),  # loss 800 > 709: the float64 fast path overflows
    ([-70.0, -95.0, -96.0], 0),  # other terms subnormal in float32, target above the floor
    ([80.0, 85.0, 0.0], 1),  # exp(z) close to float32's overflow
    ([87.0, 89.0, 0.0], 0),  # exp(89) overflows float32: the row falls back
    ([100.0, 88.0], 0),  # exp(-100) is subnormal in float32: loss 6e-6
    ([103.0, 88.5], 0),  # loss 5e-7
    ([105.0, 88.7], 0),  # exp(-105) rounds to 0 in float32: loss 8e-8
    ([740.0, 709.5], 0),  # exp(-740) is subnormal in float64
]


@pytest.mark.parametrize("form", ["index", "one-hot"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("row", "label"), ROWS)
def test_loss_matches_50_digit_reference(
    row: list[float], label: int, dtype: Any, form: str
) -> None:
    z = np.array([row], dtype=dtype)
    target: Any = [label] if form == "index" else np.eye(len(row), dtype=np.int64)[[label]]
    got = ce.cross_entropy(z, target, from_logits=True)
    exact = exact_nll(z[0], label)  # of the logits as stored in this dtype
    tol = {np.float32: (1e-5, 1e-6), np.float64: (1e-14, 1e-20)}[dtype]
    assert got.dtype == dtype
    assert np.isfinite(got)
    assert_allclose(float(got), exact, rtol=tol[0], atol=tol[1])


def exact_soft_loss(row: Any, target: Any) -> float:
    """-sum_j y_j log softmax(row)_j in 50-digit arithmetic."""
    values = [mpmath.mpf(float(v)) for v in row]
    lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in values))
    return float(
        mpmath.fsum(mpmath.mpf(float(y)) * (lse - v) for y, v in zip(target, values, strict=True))
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1.0, 60.0, 1e4])
def test_soft_targets_match_50_digit_reference(dtype: Any, scale: float) -> None:
    rng = np.random.default_rng(int(scale))
    z = (rng.standard_normal((6, 40)) * scale).astype(dtype)
    y = rng.dirichlet(np.full(40, 0.3), size=6).astype(dtype)
    y /= y.sum(axis=1, keepdims=True, dtype=np.float64).astype(dtype)
    got = ce.cross_entropy(z, y, from_logits=True, reduction="none")
    exact = [exact_soft_loss(z[i], y[i]) for i in range(6)]
    assert_allclose(got, exact, rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_path_fallback_rows_mixed_with_normal_rows(dtype: Any) -> None:
    """Rows that overflow the fast path are recomputed; their neighbours are not disturbed."""
    rng = np.random.default_rng(5)
    z = rng.normal(size=(64, 50)).astype(dtype)
    labels = rng.integers(0, 50, size=64)
    z[3, :] = 0
    z[3, 7] = 1e4  # overflows exp(z - z_t) unless 7 is the label
    z[10, labels[10]] = -1e4  # the target is hopeless: loss ~1e4
    z[20, :] = -np.inf
    z[20, labels[20]] = 0.0  # every other class masked: loss exactly 0
    got = ce.cross_entropy(z, labels, from_logits=True, reduction="none")
    expected = [exact_nll(z[i], labels[i]) if np.isfinite(z[i]).all() else 0.0 for i in range(64)]
    assert_allclose(got, expected, rtol=1e-5 if dtype == np.float32 else 1e-13)


def exact_lse(row: Any) -> float:
    """log-sum-exp of ``row`` in 50-digit arithmetic."""
    return float(mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in row)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_extreme_rows_inside_blocks_of_many_rows(dtype: Any, smoothing: float) -> None:
    """With few classes, blocks hold thousands of rows, which finish their per-row
    work in the input's dtype and recompute the rows that leave its range together.
    Every extreme row of ROWS, repeated through a 4096-row batch between ordinary
    rows, must still match the 50-digit reference, and so must its neighbours."""
    width = 4
    base = [(row + [-200.0] * (width - len(row)), label) for row, label in ROWS]
    rng = np.random.default_rng(6)
    z = rng.normal(size=(4096, width)).astype(dtype)
    labels = rng.integers(0, width, size=4096)
    for i in range(0, 4096, 3):  # every third row is extreme: many rows to recompute
        z[i], labels[i] = base[(i // 3) % len(base)]
    assert (
        _engine.Rows(z).with_max_rows(index_nll.INDEX_BLOCK_ROWS).step >= index_nll.PER_BLOCK_ROWS
    )
    got = ce.cross_entropy(z, labels, from_logits=True, reduction="none", label_smoothing=smoothing)
    exact_rows = {}
    expected = np.empty(4096)
    for i in range(4096):
        key = (tuple(z[i].tolist()), int(labels[i]))
        if key not in exact_rows:
            nll = exact_nll(z[i], labels[i])
            uniform = exact_lse(z[i]) - float(np.mean(z[i], dtype=np.float64))
            exact_rows[key] = (1 - smoothing) * nll + smoothing * uniform
        expected[i] = exact_rows[key]
    assert got.dtype == dtype
    # The documented accuracy of the fast path: 5e-6 relative plus 1e-7 absolute.
    rtol, atol = (1e-5, 1e-7) if dtype == np.float32 else (1e-12, 1e-20)
    assert_allclose(got, expected, rtol=rtol, atol=atol)
    mean = ce.cross_entropy(z, labels, from_logits=True, label_smoothing=smoothing)
    assert_allclose(mean, expected.mean(), rtol=1e-6 if dtype == np.float32 else 1e-13)


def test_a_loss_beyond_float32_still_gives_a_finite_float32_mean() -> None:
    """One row's loss, 6e38, does not fit in float32, but the mean over 2048 rows does:
    the total is kept in float64 however the rows are finished."""
    z = np.zeros((2048, 3), dtype=np.float32)
    z[0] = [-3e38, 3e38, 0.0]
    labels = np.zeros(2048, dtype=np.int64)
    expected = (6e38 + 2047 * np.log(3.0)) / 2048
    got = ce.cross_entropy(z, labels, from_logits=True)
    assert got.dtype == np.float32
    assert_allclose(got, expected, rtol=1e-6)
    assert ce.cross_entropy(z, labels, from_logits=True, reduction="none")[0] == np.inf


F16 = np.float16
OVERFLOWING_FLOAT16_RESULTS = {
    # loss 1.2e5 > 65504, float16's largest
    "cross_entropy none": lambda: ce.cross_entropy(
        np.array([[6e4, -6e4]], F16), np.array([1]), from_logits=True, reduction="none"
    ),
    "cross_entropy mean": lambda: ce.cross_entropy(
        np.array([[6e4, -6e4]], F16), np.array([1]), from_logits=True
    ),
    "cross_entropy sum": lambda: ce.cross_entropy(
        np.full((3, 2), [6e4, 0], F16), np.ones(3, int), from_logits=True, reduction="sum"
    ),
    # -1 / p with p = 1e-5, a float16 subnormal: -1e5
    "binary gradient sum": lambda: ce.binary_cross_entropy_gradient(
        np.array([1e-5], F16), np.array([1]), reduction="sum"
    ),
    "binary cross-entropy sum": lambda: ce.binary_cross_entropy(
        np.array([-6e4, -6e4], F16), np.array([1, 1]), from_logits=True, reduction="sum"
    ),
    "categorical gradient": lambda: ce.cross_entropy_gradient(
        np.array([[1e-5, 1.0]], F16), np.array([0]), reduction="none"
    ),
    "log_softmax": lambda: ce.log_softmax(np.array([6e4, -6e4], F16)),
}
F32 = np.float32
# float32 results computed in float32 that leave its range on the way (found by
# tests/test_differential.py): a weight, base 2, a pos_weight, 1 / p of a subnormal p.
OVERFLOWING_FLOAT32_RESULTS = {
    "sample weight 2": lambda: ce.cross_entropy(
        np.array([[2e38, -2e38]], F32),
        [[0.5, 0.5]],
        from_logits=True,
        sample_weight=[2.0],
        reduction="none",
    ),
    "smoothing": lambda: ce.cross_entropy(
        np.array([2.04e38, -2.04e38], F32), 1, from_logits=True, label_smoothing=0.15
    ),
    "base 2": lambda: ce.cross_entropy(
        np.array([3e38, -3e37], F32), 1, from_logits=True, base=2, reduction="none"
    ),
    "binary pos_weight": lambda: ce.binary_cross_entropy(
        np.array([-3e38], F32), [1], pos_weight=4.0, from_logits=True, reduction="none"
    ),
    "binary gradient of a subnormal p": lambda: ce.binary_cross_entropy_gradient(
        np.array([1e-45], F32), [1], reduction="none"
    ),
}


@pytest.mark.parametrize(
    "call", OVERFLOWING_FLOAT16_RESULTS.values(), ids=list(OVERFLOWING_FLOAT16_RESULTS)
)
def test_a_float16_result_beyond_its_range_is_inf_without_a_warning(call: Any) -> None:
    """float16 is computed in float32; a result beyond float16's range is inf, the
    honest float16 answer, and the cast says nothing (the suite turns every
    RuntimeWarning into an error)."""
    got = np.asarray(call())
    assert got.dtype == np.float16
    assert np.isinf(got).any()
    assert not np.isnan(got).any()


@pytest.mark.parametrize(
    "call", OVERFLOWING_FLOAT32_RESULTS.values(), ids=list(OVERFLOWING_FLOAT32_RESULTS)
)
def test_a_float32_result_beyond_its_range_is_inf_without_a_warning(call: Any) -> None:
    got = np.asarray(call())
    assert got.dtype == np.float32
    assert np.isinf(got).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_sums_over_a_large_vocabulary(dtype: Any) -> None:
    """Row sums over 131072 classes in float32 stay accurate (segmented sums)."""
    rng = np.random.default_rng(9)
    z = rng.normal(size=(2, 131072)).astype(dtype)
    z[1, 5] = 20.0  # confident row: loss ~0.1
    labels = np.array([17, 5])
    got = ce.cross_entropy(z, labels, from_logits=True, reduction="none")
    reference = z.astype(np.float64)
    peak = reference.max(axis=1, keepdims=True)
    lse = np.log(np.exp(reference - peak).sum(axis=1)) + peak[:, 0]
    assert_allclose(got, lse - reference[[0, 1], labels], rtol=1e-5, atol=1e-6)


def test_softmax_of_huge_logits_float32() -> None:
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=np.float32)
    assert_allclose(ce.softmax(z), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)
    assert_allclose(
        ce.cross_entropy_gradient(z, [0, 1], from_logits=True, reduction="none"),
        [[0, 0, 0], [1 / 3, -2 / 3, 1 / 3]],
        atol=1e-6,
    )


def _peak_extra_bytes(call: Any) -> int:
    """Peak memory NumPy allocates during ``call``, including the scratch buffers the
    kernels keep between calls (released first, so that they are counted)."""
    _engine.release_scratch()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def large_batch() -> tuple[Any, Any]:
    """(2048, 32000) float32 logits (250 MiB) and their labels, drawn once for the
    module (a second apiece) and read-only, so no test can change them for the next."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((2048, 32000), dtype=np.float32)
    labels = rng.integers(0, z.shape[1], size=z.shape[0])
    z.flags.writeable = labels.flags.writeable = False
    return z, labels


@pytest.mark.parametrize("target_form", ["index", "one-hot", "soft"])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_extra_memory_is_bounded(
    large_batch: tuple[Any, Any], target_form: str, reduction: str
) -> None:
    """Peak extra memory stays within 16 MiB + O(N), however large N x V is.

    (2048, 32000) float32 logits are 250 MiB; an N x V temporary would show up here.
    NumPy reports its allocations to tracemalloc, so the peak is the true extra memory.
    """
    z, labels = large_batch
    n, v = z.shape
    target: Any = labels
    if target_form == "one-hot":
        target = np.zeros((n, v), dtype=np.float32)
        target[np.arange(n), labels] = 1
    elif target_form == "soft":
        target = np.full((n, v), 1 / v, dtype=np.float32)
    peak = _peak_extra_bytes(
        lambda: ce.cross_entropy(z, target, from_logits=True, reduction=reduction)
    )
    bound = 16 * 2**20 + 64 * n  # 16 MiB + 64 bytes per row
    assert peak < bound, f"peak extra memory {peak / 2**20:.1f} MiB exceeds {bound / 2**20:.1f} MiB"
    assert peak > 0  # tracemalloc saw NumPy's allocations at all


def test_class_axis_in_the_middle_is_gathered_blockwise() -> None:
    """(B, V, T) with axis=1 cannot be viewed as 2-D without a copy: blocks are gathered."""
    z = np.random.default_rng(2).standard_normal((4, 4000, 300), dtype=np.float32)  # 18 MiB
    labels = np.zeros((4, 300), dtype=np.int64)
    rows = _engine.Rows(np.moveaxis(z, 1, -1))
    assert rows._2d is None
    peak = _peak_extra_bytes(lambda: ce.cross_entropy(z, labels, from_logits=True, axis=1))
    assert peak < 0.5 * z.nbytes


@pytest.mark.parametrize(
    "form", ["index", "mean", "mean-100", "mean-10", "probs", "gradient", "softmax"]
)
def test_threads_give_identical_results(form: str) -> None:
    """Each row is computed the same way whichever thread computes it, and the blocks
    (whose totals make up a mean) do not depend on the thread setting."""
    rng = np.random.default_rng(4)
    z = rng.standard_normal((600, 8000), dtype=np.float32)  # 4.8M elements: 2 threads
    labels = rng.integers(0, 8000, size=600)
    labels_100 = rng.integers(0, 100, size=30_000)
    labels_10 = rng.integers(0, 10, size=262_144)
    calls = {
        "index": lambda: ce.cross_entropy(z, labels, from_logits=True, reduction="none"),
        "mean": lambda: ce.cross_entropy(z, labels, from_logits=True),
        # 100 classes: blocks of thousands of rows, each adding its rows to the total
        # (in float64, where a change in the order of the sums shows)
        "mean-100": lambda: ce.cross_entropy(
            z.reshape(-1, 100)[:30_000].astype(np.float64), labels_100, from_logits=True
        ),
        # 10 classes: 8 blocks of 32768 rows, finished in float32
        "mean-10": lambda: ce.cross_entropy(
            z.reshape(-1, 10)[:262_144], labels_10, from_logits=True
        ),
        "probs": lambda: ce.cross_entropy(z, ce.softmax(z), from_logits=True, reduction="none"),
        "gradient": lambda: ce.cross_entropy_gradient(z, labels, from_logits=True),
        "softmax": lambda: ce.log_softmax(z),
    }
    previous = ce.set_num_threads(1)
    try:
        single = calls[form]()
        ce.set_num_threads(2)
        assert_array_equal(calls[form](), single)
    finally:
        ce.set_num_threads(previous)


@pytest.mark.parametrize("max_rows", [_engine.MAX_BLOCK_ROWS, index_nll.INDEX_BLOCK_ROWS])
@pytest.mark.parametrize(
    ("shape", "dtype"),
    [
        ((30_000, 100), np.float64),
        ((600, 8000), np.float64),
        ((65536, 10), np.float32),
        ((262_144, 10), np.float32),
        ((100, 10), np.float64),
    ],
)
def test_blocks_do_not_depend_on_the_thread_setting(
    shape: tuple[int, int], dtype: Any, max_rows: int
) -> None:
    """A mean adds up per-block totals, so the same blocks for any thread count keep
    it bit-identical (a float64 sum can change in its last bit with the blocks)."""
    z = np.zeros(shape, dtype=dtype)
    previous = ce.set_num_threads(1)
    try:
        one = _engine.Rows(z, max_rows=max_rows)
        one_threads = _engine.thread_count(one)  # decided where blocks are dispatched
        ce.set_num_threads(2)
        two = _engine.Rows(z, max_rows=max_rows)
        two_threads = _engine.thread_count(two)
    finally:
        ce.set_num_threads(previous)
    assert one.step == two.step
    shared = z.size >= 2 * _engine.MIN_ELEMENTS_PER_THREAD
    assert (one_threads, two_threads) == ((1, 2) if shared else (1, 1))


@pytest.mark.parametrize("shape", [(256, 4000), (65536, 10)])
def test_scratch_is_kept_between_calls(shape: tuple[int, int]) -> None:
    """The second call reuses the first one's block buffer (and, with few classes,
    its per-row arrays) instead of allocating (and page-faulting) new ones, and
    still gets the same answer. (256, 4000): 4 MiB, two blocks; (65536, 10): two
    blocks of 32768 rows. One thread."""
    rng = np.random.default_rng(5)
    n, k = shape
    z = rng.standard_normal(shape, dtype=np.float32)
    labels = rng.integers(0, k, size=n)
    previous = ce.set_num_threads(1)
    try:
        first_peak = _peak_extra_bytes(lambda: ce.cross_entropy(z, labels, from_logits=True))
        first = ce.cross_entropy(z, labels, from_logits=True, reduction="none")
        tracemalloc.start()
        try:
            again = ce.cross_entropy(z, labels, from_logits=True, reduction="none")
            second_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    finally:
        ce.set_num_threads(previous)
    assert first_peak > _engine.BLOCK_BYTES  # the first call allocated a block buffer
    # The second one allocated only its O(N) arrays (losses, row offsets): 12 bytes a row.
    assert second_peak < 64 * 2**10 + 12 * n
    assert_array_equal(again, first)


def test_nested_scratch_use_gets_its_own_buffer() -> None:
    """A kept buffer in use is never handed out twice."""
    shape = (4, 1000)
    with _engine.scratch(shape, np.dtype(np.float32)) as outer:
        outer.fill(1.0)
        with _engine.scratch(shape, np.dtype(np.float32)) as inner:
            inner.fill(2.0)
            assert not np.shares_memory(outer, inner)
        assert np.all(outer == 1.0)


def test_thread_setting_is_validated() -> None:
    with pytest.raises(ValueError, match="count must be at least 1, got 0"):
        ce.set_num_threads(0)
    with pytest.raises(TypeError, match=r"count must be an integer, got 2\.0"):
        ce.set_num_threads(2.0)  # type: ignore[arg-type]


def test_worker_errors_reach_the_caller() -> None:
    """A bad row found inside a worker thread is reported like any other."""
    z = np.zeros((600, 8000), dtype=np.float32)
    z[500, 3] = np.nan
    previous = ce.set_num_threads(2)
    try:
        with pytest.raises(ValueError, match=r"row at batch position \(500,\) contains NaN"):
            ce.cross_entropy(z, np.zeros(600, dtype=int), from_logits=True)
    finally:
        ce.set_num_threads(previous)
