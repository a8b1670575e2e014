"""One-hot detection, and the statistics of probability rows that validation reads.

:func:`row_statistics` walks the rows once and learns what the distribution check
needs (extremes, row sums) and what the kernels can reuse (whether every row is
exactly one-hot, and each row's class). It judges nothing: the messages are
:mod:`crossentropy._validate`'s. Imports the engine and :mod:`.primitives`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .._engine import Rows, for_each_block
from .._typing import FloatArray, IndexArray
from .primitives import row_sums, take_flat

#: Below this many classes the class of a one-hot row is found as ``sum_j y_j j``
#: (one ``einsum``) rather than with ``argmax``, which pays a per-row cost that
#: dominates on short rows.
SMALL_K = 128


def one_hot_classes(block: NDArray[Any], out: IndexArray, offsets: IndexArray) -> bool:
    """Whether every row of the 2-D ``block`` is exactly one-hot; if so, each row's
    class is in ``out``. ``offsets`` holds each row's start, ``arange(0, m k, k)``.

    A row is one-hot when its only non-zero entry is exactly 1. (A float sum of 1
    does not say so: 1 + 1e-10 rounds to 1 in float32.) A block with as many
    non-zero entries as rows (:func:`nonzero_count`) is one-hot if the entry at each
    row's candidate class (:func:`candidate_classes`) is exactly 1 (:func:`ones_at`):
    that row then has a non-zero entry, so, with no more non-zero entries than rows,
    every row has exactly one. Two passes, and the second only over a block that may
    be one-hot.
    """
    m = block.shape[0]
    if nonzero_count(block) != m or not candidate_classes(block, out):
        return False
    return ones_at(block, offsets[:m] + out)


def nonzero_count(block: NDArray[Any]) -> int:
    """How many entries of ``block`` are not zero. Floats are counted on their bits
    (:func:`integer_view`), several times faster, so a -0.0 entry counts as non-zero;
    it merely sends its block down the general path, with the same result."""
    return int(np.count_nonzero(integer_view(block)))


def candidate_classes(block: NDArray[Any], out: IndexArray) -> bool:
    """Each row's class if the row is one-hot, in ``out``; any class for another row.
    False if a candidate lies outside ``[0, k)`` (then the block is not one-hot).

    The candidate is the row's argmax, on the integer view too (the bits of 1.0 are a
    one-hot row's largest integer, and integers need no NaN check), or for few
    classes ``sum_j y_j j`` (exact for a one-hot row; for any other row, whatever the
    sum comes to, the entry it points at is not a lone 1)."""
    k = block.shape[1]
    if k >= SMALL_K:
        np.argmax(integer_view(block), axis=1, out=out)
        return True
    classes = np.arange(k, dtype=block.dtype if block.dtype.kind == "f" else np.int64)
    # The cast only has to land in [0, k) (what NaN and inf become depends on the
    # platform); ones_at then decides.
    np.copyto(out, np.einsum("ij,j->i", block, classes), casting="unsafe")
    return bool(np.all(out.view(np.uintp) < k))  # a negative class wraps around: fails


def ones_at(block: NDArray[Any], flat: IndexArray) -> bool:
    """Whether every entry of ``block`` at the flat offsets ``flat`` is exactly 1."""
    return bool(np.all(take_flat(block, flat) == 1))


def integer_view(block: NDArray[Any]) -> NDArray[Any]:
    """Floats as the signed integers of the same size (their bits); other dtypes as
    they are. An entry is non-zero there exactly when its bits are, so ``-0.0`` is."""
    if block.dtype.kind != "f":
        return block
    return block.view(np.dtype(f"i{block.dtype.itemsize}"))


def block_offsets(rows: Rows) -> IndexArray:
    """Each row's flat start within a block of ``rows``: ``arange(0, step k, k)``."""
    return np.arange(0, min(rows.step, rows.n) * rows.k, rows.k)


class RowStats(NamedTuple):
    """What one pass over probability rows learns, for validation and the kernels."""

    low: float  # the smallest entry (NaN if any entry is NaN; 0 for no rows)
    high: float  # the largest entry (likewise)
    sums: NDArray[np.float64]  # each row's sum, flat (undefined when one_hot)
    top: IndexArray  # each row's class, flat (defined only when one_hot)
    one_hot: bool  # every row is exactly one-hot


class _StatisticsPass:
    """The per-block part of :func:`row_statistics`: one block's extremes, sums and
    one-hot test, each into its own slot."""

    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self.top = np.empty(rows.n, dtype=np.intp)
        # Written only for blocks that are not one-hot (np.empty does not touch memory).
        self.sums = np.empty(rows.n, dtype=np.float64)
        self.lows, self.highs = np.zeros(rows.blocks), np.zeros(rows.blocks)  # per block
        self.one_hot = np.zeros(rows.blocks, dtype=bool)
        self.offsets = block_offsets(rows)

    def __call__(self, start: int, stop: int, scratch: FloatArray) -> None:
        block = self.rows.block(start, stop)
        b = start // self.rows.step
        self.one_hot[b] = one_hot_classes(block, self.top[start:stop], self.offsets)
        if self.one_hot[b]:  # a one-hot block needs neither its extremes nor its sums
            self.highs[b] = 1.0
            return
        self.highs[b] = block.max()  # NaN propagates
        self.lows[b] = block.min()
        if block.dtype.kind == "f" and block.dtype.itemsize >= 4:
            self.sums[start:stop] = row_sums(block)  # float64 totals of float segments: fast
        else:  # integers: exact; float16: its own sums would round to 3 digits
            self.sums[start:stop] = block.sum(axis=1, dtype=np.float64)


def row_statistics(rows: Rows) -> RowStats:
    """The extremes, row sums and one-hot classes of ``rows``, block by block while
    each block is in cache, with reductions only (no full-size temporaries). When not
    every row is one-hot, the one-hot blocks' sums are set to 1."""
    state = _StatisticsPass(rows)
    for_each_block(rows, None, state)
    low = float(np.min(state.lows)) if rows.n else 0.0
    high = float(np.max(state.highs)) if rows.n else 0.0
    all_one_hot = bool(state.one_hot.all())
    if not all_one_hot:
        for b in np.flatnonzero(state.one_hot).tolist():
            state.sums[b * rows.step : (b + 1) * rows.step] = 1.0
    return RowStats(low, high, state.sums, state.top, all_one_hot)
