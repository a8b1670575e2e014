"""Rows and blocks: the layout every kernel sees.

An array whose class axis is last is viewed as ``(n, k)`` rows and cut into blocks of
rows sized to stay in cache. The cut depends on the shape and dtype only, never on the
thread setting, so that a total summed block by block is the same for any number of
threads. Imports NumPy only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._typing import IndexArray

#: Bytes of one block of rows. A block and its scratch stay in L2/L3 at this size,
#: while the per-block Python overhead is amortised (see the Performance page).
BLOCK_BYTES = 2 * 1024 * 1024

#: Rows of one block, at most, unless a kernel keeps its per-row arrays (the index
#: kernel keeps them, and asks for longer blocks): the per-row temporaries of a block
#: then stay small (64 KiB of float64), and memory the allocator recycles is not
#: page-faulted.
MAX_BLOCK_ROWS = 8192

#: Work below this many elements per thread runs on the calling thread (a kernel may
#: count a row as more than its entries: :func:`~.threads.thread_count`). Below it a
#: second thread gains nothing: a pool hand-off costs tens of microseconds, and with
#: short blocks the threads mostly wait for each other's GIL between NumPy calls
#: (see the Performance page's Threads section). An input of at least twice this many
#: elements is also cut more finely (:data:`MIN_BLOCKS`), whatever the thread setting
#: and however a kernel counts its work.
MIN_ELEMENTS_PER_THREAD = 1 << 20

#: Inputs large enough for two threads are cut into at least this many blocks, so
#: that the threads finish together (blocks are handed out one at a time).
MIN_BLOCKS = 8


class Rows:
    """An ``(n, k)`` view of an array whose last axis is the class axis, in blocks.

    Arrays that can be viewed as 2-D without a copy are sliced directly; others
    (for instance a class axis moved from the middle of a 3-D array) are gathered
    one block at a time, so that no full-size copy is ever made.
    """

    def __init__(self, array: NDArray[Any], *, max_rows: int = MAX_BLOCK_ROWS) -> None:
        self.batch_shape: tuple[int, ...] = array.shape[:-1]
        self.k: int = array.shape[-1]
        self.n: int = math.prod(self.batch_shape)
        self.dtype = array.dtype
        self._array = array
        self._2d: NDArray[Any] | None
        try:
            self._2d = np.reshape(array, (self.n, self.k), copy=False)
        except ValueError:
            self._2d = None
        # Fixed here, from the shape and dtype only, so that every pass over these
        # rows cuts the same blocks whatever the thread setting.
        step = min(max_rows, BLOCK_BYTES // max(1, self.k * self.dtype.itemsize))
        if self.elements >= 2 * MIN_ELEMENTS_PER_THREAD:  # big enough to share: cut it finely
            step = min(step, -(-self.n // MIN_BLOCKS))
        self.step: int = max(1, min(self.n, step))

    @property
    def elements(self) -> int:
        """``n * k``, the size of the work."""
        return self.n * self.k

    @property
    def blocks(self) -> int:
        """How many blocks the rows are cut into."""
        return -(-self.n // self.step)

    @property
    def array(self) -> NDArray[Any]:
        """The array these rows view (class axis last)."""
        return self._array

    def with_max_rows(self, max_rows: int) -> Rows:
        """The same rows, cut into blocks of at most ``max_rows`` rows."""
        return Rows(self._array, max_rows=max_rows)

    def block(self, start: int, stop: int) -> NDArray[Any]:
        """Rows ``start:stop``: a view when the array is 2-D already, else a copy."""
        if self._2d is not None:
            return self._2d[start:stop]
        return self.take(np.arange(start, stop))

    def take(self, which: IndexArray) -> NDArray[Any]:
        """A copy of rows ``which``, as a 2-D array."""
        if self._2d is not None:
            return self._2d[which]
        return self._array[np.unravel_index(which, self.batch_shape)]
