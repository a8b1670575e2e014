"""Log-sum-exp, softmax and log-softmax of rows.

Imports the engine and :mod:`.primitives`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._engine import Rows, for_each_block
from .._typing import FloatArray, Undefined
from .primitives import row_sums


def block_softmax_parts(
    block: FloatArray, scratch: FloatArray
) -> tuple[FloatArray, FloatArray, NDArray[np.float64], FloatArray]:
    """Per row: ``exp(z - m)`` (in ``scratch``), the shift ``m``, ``log1p`` of the sum of
    the other terms, and the log-sum-exp ``lse = m + log1p(...)``.

    ``m`` is the row's max, so finite logits never overflow, and the max's own term
    (exactly 1) is taken out of the sum: ``log1p`` keeps full relative accuracy when the
    other terms are tiny, where ``m + log(1 + tiny)`` would round them away (SciPy's
    logsumexp does the same). Softmax is then ``exp(z - m) / (1 + rest)`` and
    log-softmax ``(z - m) - log1p(rest)``: neither goes through ``lse``, which for
    logits of size 1e4 in float32 carries an absolute rounding error of 1e-3.
    """
    m = block.shape[0]
    rows = np.arange(m)
    top = np.argmax(block, axis=1)  # NaN rows: argmax points at the first NaN
    peak = block[rows, top]
    finite = np.isfinite(peak)
    # Rows whose max is +-inf or NaN have that max as their log-sum-exp (+inf, -inf,
    # NaN: the conventions of the package's kernels); they are shifted by 0 to stay quiet.
    shift = np.where(finite, peak, 0).astype(block.dtype, copy=False)
    work = scratch[:m]
    with np.errstate(invalid="ignore", over="ignore"):
        np.subtract(block, shift[:, None], out=work)
        np.exp(work, out=work)
        work[rows, top] = 0
        log_rest = np.log1p(row_sums(work))
        work[rows, top] = 1
        lse = np.where(finite, shift + log_rest, peak).astype(block.dtype, copy=False)
    return work, shift, log_rest, lse


def block_logsumexp(block: FloatArray, scratch: FloatArray) -> FloatArray:
    """Log-sum-exp of each row of ``block``; ``scratch`` is at least as large."""
    return block_softmax_parts(block, scratch)[3]


def exact_logsumexp(values: FloatArray) -> float:
    """Max-shifted log-sum-exp of one row in float64, following the same conventions."""
    row = values.astype(np.float64)
    peak = row.max()
    shift = peak if np.isfinite(peak) else 0.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return float(shift + np.log(np.exp(row - shift).sum()))


def undefined_rows(lse: FloatArray) -> Undefined | None:
    """The rows whose log-sum-exp is +inf, -inf or NaN, and those values (None if
    there is none)."""
    finite = np.isfinite(lse)
    if finite.all():
        return None
    rows = np.flatnonzero(~finite)
    return Undefined(rows, lse[rows].astype(np.float64))


def merged(parts: list[Undefined]) -> Undefined | None:
    """Undefined rows found piece by piece (by blocks, in any order), as one record."""
    if not parts:
        return None
    rows = np.concatenate([part.rows for part in parts])
    order = np.argsort(rows, kind="stable")
    values = np.concatenate([part.values for part in parts])
    return Undefined(rows[order], values[order])


class _LogsumexpPass:
    def __init__(self, rows: Rows, out: FloatArray) -> None:
        self.rows, self.out = rows, out

    def __call__(self, start: int, stop: int, scratch: FloatArray) -> None:
        self.out[start:stop] = block_logsumexp(self.rows.block(start, stop), scratch)


def logsumexp_rows(rows: Rows, dtype: np.dtype[Any]) -> FloatArray:
    """The log-sum-exp of each row, in ``dtype``."""
    out = np.empty(rows.n, dtype=dtype)
    for_each_block(rows, dtype, _LogsumexpPass(rows, out))
    return out


class _SoftmaxPass:
    def __init__(self, rows: Rows, out: FloatArray, lse: FloatArray, *, log: bool) -> None:
        self.rows, self.out, self.lse, self.log = rows, out, lse, log

    def __call__(self, start: int, stop: int, scratch: FloatArray) -> None:
        block = self.rows.block(start, stop)
        exp_shifted, shift, log_rest, self.lse[start:stop] = block_softmax_parts(block, scratch)
        target = self.out[start:stop]
        if self.log:
            np.subtract(block, shift[:, None], out=target)
            target -= log_rest[:, None].astype(self.out.dtype)
        else:
            np.divide(exp_shifted, np.exp(log_rest)[:, None].astype(self.out.dtype), out=target)


def softmax_rows(rows: Rows, out: FloatArray, *, log: bool) -> FloatArray:
    """Write softmax (or log-softmax) of ``rows`` into ``out`` (shape (n, k)).
    Return the per-row log-sum-exp, so the caller can reject undefined rows."""
    lse = np.empty(rows.n, dtype=out.dtype)
    for_each_block(rows, out.dtype, _SoftmaxPass(rows, out, lse, log=log))
    return lse
