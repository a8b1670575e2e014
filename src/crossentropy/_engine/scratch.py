"""Scratch memory each thread keeps between calls.

Memory the process has not touched yet costs a page fault per 4 KiB on first write:
on a virtual machine that is as much as the arithmetic on a block. Keeping each
thread's block-sized buffer (and its per-row arrays) avoids it on every call after the
first. Imports :mod:`.rows` for the block size.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._typing import FloatArray
from .rows import BLOCK_BYTES

#: Bytes of a thread's kept per-row arrays: four of 8 bytes per row of a block of
#: 2^15 rows (the index kernel's longest).
PER_ROW_BYTES = 4 * 8 * (1 << 15)


class _Kept:
    """A thread's scratch buffer, kept between calls."""

    def __init__(self, nbytes: int) -> None:
        raw = np.empty(nbytes + 64, dtype=np.uint8)
        skip = -raw.ctypes.data % 64  # start on a cache line, as SIMD loops prefer
        self.buffer = raw[skip : skip + nbytes]
        self.busy = False


#: Scratch buffers kept between calls, by thread id and slot, each at most
#: ``2 * BLOCK_BYTES`` (a block computed in float32 from float16 input is twice the
#: block's size).
_kept: dict[tuple[int, int], _Kept] = {}


def release_scratch() -> None:
    """Drop the kept scratch buffers (the memory tests and benchmarks do this so that
    the scratch counts in the peak they measure; the pool does it when it replaces
    its workers). Not for use during a call."""
    _kept.clear()


@contextmanager
def scratch(
    shape: tuple[int, int], dtype: np.dtype[Any] | None, *, slot: int = 0
) -> Iterator[FloatArray]:
    """A ``shape`` array of ``dtype`` (uninitialised), carved from this thread's kept
    buffer number ``slot`` when it is free.

    Larger requests, and nested use, get a fresh array. Slot 0 holds blocks; slot 1
    the per-row arrays of :func:`per_row`.
    """
    nbytes = shape[0] * shape[1] * (0 if dtype is None else dtype.itemsize)
    if dtype is None or nbytes > 2 * BLOCK_BYTES:
        yield np.empty(shape, dtype=dtype)
        return
    key = (threading.get_ident(), slot)
    kept = _kept.get(key)
    if kept is not None and kept.busy:
        yield np.empty(shape, dtype=dtype)
        return
    if kept is None or kept.buffer.nbytes < nbytes:
        size = PER_ROW_BYTES if slot else BLOCK_BYTES
        kept = _kept[key] = _Kept(size if nbytes <= size else 2 * BLOCK_BYTES)
    kept.busy = True
    try:
        yield kept.buffer[:nbytes].view(dtype).reshape(shape)
    finally:
        kept.busy = False


@contextmanager
def per_row(rows: int, *dtypes: np.dtype[Any]) -> Iterator[list[NDArray[Any]]]:
    """One uninitialised array of ``rows`` entries per dtype, from this thread's kept
    per-row buffer (fresh arrays when it is in use or too small)."""
    sizes = [-(-rows * dtype.itemsize // 64) * 64 for dtype in dtypes]  # cache-line aligned
    with scratch((1, sum(sizes)), np.dtype(np.uint8), slot=1) as raw:
        flat = raw.reshape(-1)
        starts = itertools.accumulate(sizes[:-1], initial=0)
        yield [
            flat[start : start + rows * dtype.itemsize].view(dtype)
            for start, dtype in zip(starts, dtypes, strict=True)
        ]
