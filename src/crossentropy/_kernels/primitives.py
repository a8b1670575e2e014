"""Primitives the kernels share: arithmetic with ``0 * inf = 0``, +0.0 for every zero,
row sums, ``exp``, flat gathers, and the limits of the fast path's range.

Imports NumPy and :mod:`crossentropy._typing` only.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from .._typing import FloatArray, IndexArray

# --- arithmetic with the 0 * inf = 0 convention -------------------------------------


def mul0(coef: Any, values: FloatArray) -> FloatArray:
    """``coef * values`` where a zero coefficient gives 0 even against +-inf. A product
    beyond the dtype's range is inf, silently (the honest answer in that dtype)."""
    with np.errstate(invalid="ignore", over="ignore"):
        product = np.multiply(coef, values)
    result: FloatArray = np.where(np.equal(coef, 0), 0, product).astype(values.dtype, copy=False)
    return result


def scale_rows0(block: FloatArray, scale: FloatArray) -> None:
    """``block *= scale[:, None]`` in place, with ``0 * inf = 0``: a row whose scale is
    0 (a sample that counts for nothing) becomes 0, even where it held an infinity.
    Every zero comes out +0.0 (:func:`positive_zeros`)."""
    block *= scale[:, None]
    zero = scale == 0
    if zero.any():
        block[zero] = 0
    positive_zeros(block)


def positive_zeros(values: FloatArray) -> FloatArray:
    """Turn every -0.0 of ``values`` into +0.0, in place; return ``values``.

    The package's one rule for the sign of zero: a zero result is +0.0, however it was
    reached (``-log 1``, ``-(0 / p)``, a negative number times a zero weight, a tiny
    negative number rounded). ``x + 0.0`` is ``x`` for every other ``x``, infinities
    included."""
    values += 0.0
    return values


def dot0(a: FloatArray, b: FloatArray) -> FloatArray:
    """Row-wise ``sum(a * b)`` with ``0 * inf = 0`` (the 0 log 0 = 0 convention)."""
    with np.errstate(invalid="ignore", over="ignore"):
        out: FloatArray = np.einsum("ij,ij->i", a, b)
    bad = np.isnan(out)
    if bad.any():  # only rows holding a 0 * inf product pay for the masked sum
        rows_a, rows_b = a[bad], b[bad]
        out[bad] = np.einsum("ij,ij->i", rows_a, np.where(rows_a == 0, 0, rows_b))
    return out


def matvec0(block: FloatArray, weights: FloatArray) -> FloatArray:
    """``block @ weights`` with ``0 * inf = 0``."""
    with np.errstate(invalid="ignore", over="ignore"):
        out = block @ weights
    bad = np.isnan(out)
    if bad.any():
        out[bad] = np.where(weights == 0, 0, block[bad]) @ weights
    return out


# --- row sums, exp, gathers ---------------------------------------------------------


def row_sums(work: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """Row sums of a block: in float64, or written into ``out``.

    Each row is cut into segments of 256-2048 entries, summed with ``einsum`` (SIMD,
    several times faster than ``np.sum`` on rows) and the segment sums added in
    float64, so a float32 row of 100k entries loses no accuracy. Not a BLAS
    matrix-vector product: OpenBLAS's threads spin, and slow down by orders of
    magnitude when another process holds a core.
    """
    m, k = work.shape
    work = np.ascontiguousarray(work)  # a strided block is copied (block-sized)
    pieces = _row_pieces(k)
    if pieces == 1 and out is not None and out.dtype == work.dtype:
        result: FloatArray = np.einsum("ij->i", work, out=out)
        return result
    partial = np.einsum("ij->i", work.reshape(m * pieces, k // pieces))
    if pieces == 1:
        whole: FloatArray = partial.astype(np.float64)
    else:
        whole = partial.reshape(m, pieces).sum(axis=1, dtype=np.float64)
    if out is None:
        return whole
    out[...] = whole
    return out


@cache
def _row_pieces(k: int) -> int:
    """The most segments (up to 64, each of at least 256 entries) a row of ``k`` splits into."""
    return next((d for d in range(64, 0, -1) if k % d == 0 and k // d >= 256), 1)


_LOG2E = {np.dtype(np.float32): np.float32(np.log2(np.e))}


def exp_in_place(work: FloatArray, source: FloatArray | None = None) -> None:
    """``work = exp(source)`` (``source`` defaults to ``work``); for float32 as
    ``exp2(source * log2(e))``, which NumPy runs faster (see the Performance page).
    Its relative error, ~|x| * 6e-8 from rounding ``x * log2(e)``, is below 6e-6
    wherever the result is finite."""
    source = work if source is None else source
    log2e = _LOG2E.get(work.dtype)
    if log2e is None:
        np.exp(source, out=work)
        return
    np.multiply(source, log2e, out=work)
    np.exp2(work, out=work)


def take_flat(block: FloatArray, flat: IndexArray, out: FloatArray | None = None) -> FloatArray:
    """``block.reshape(-1)[flat]`` without copying a strided block first."""
    if block.flags.c_contiguous:
        picked: FloatArray = np.take(block.reshape(-1), flat, out=out)
        return picked
    k = block.shape[1]
    picked = block[flat // k, flat % k]
    if out is None:
        return picked
    out[...] = picked
    return out


# --- the range of the fast path -----------------------------------------------------


@cache
def exp_ceiling(dtype: np.dtype[Any]) -> float:
    """The largest ``t`` for which ``exp(-t)`` is a normal number of ``dtype``
    (87.3 for float32, 708.4 for float64)."""
    return -float(np.log(np.finfo(dtype).tiny))


@cache
def underflow_floor(dtype: np.dtype[Any], k: int) -> float:
    """The smallest target logit for which the unshifted fast path is accurate.

    Terms ``exp(z_j)`` below the dtype's normal range are rounded to multiples of its
    smallest subnormal ``2^-149`` (float32) or ``2^-1074`` (float64). Scaled by
    ``exp(-z_t)``, the ``k`` terms of a row then carry an absolute error of at most
    ``k 2^-149 exp(-z_t)``; requiring that to stay below 1e-7 gives this floor.
    """
    tiny_exponent = 149 if dtype == np.float32 else 1074
    return -float(np.log(1e-7) + tiny_exponent * np.log(2.0) - np.log(k))
