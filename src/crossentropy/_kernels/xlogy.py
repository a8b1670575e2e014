"""``sum_c x_c log(x_c / y_c)`` of rows (KL divergence) and ``sum_c x_c log x_c``
(entropy), with ``0 log(0 / y) = 0`` and ``x log(x / 0) = inf`` for ``x > 0``.

Imports the engine and :mod:`.primitives`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._engine import Rows, for_each_block
from .._typing import FloatArray
from .primitives import dot0


class _XlogyPass:
    def __init__(self, x: Rows, y: Rows | None, out: FloatArray) -> None:
        self.x, self.y, self.out = x, y, out

    def __call__(self, start: int, stop: int, scratch: FloatArray) -> None:
        dtype = self.out.dtype
        xb = self.x.block(start, stop).astype(dtype, copy=False)
        if self.y is None:
            self.out[start:stop] = dot0(xb, np.log(xb))
            return
        yb = self.y.block(start, stop).astype(dtype, copy=False)
        log_ratio = np.log(xb / yb)
        # x / y overflows when y is tiny but positive (subnormal): the ratio is then
        # finite in exact arithmetic, and log x - log y gets it.
        overflowed = np.isinf(log_ratio) & (yb > 0) & (xb > 0)
        if overflowed.any():
            log_ratio[overflowed] = np.log(xb[overflowed]) - np.log(yb[overflowed])
        self.out[start:stop] = dot0(xb, log_ratio)


def xlogy_rows(x: Rows, y: Rows | None, dtype: np.dtype[Any]) -> FloatArray:
    """Per-row ``sum x log(x / y)`` (or ``sum x log x`` when ``y`` is None), in ``dtype``."""
    out = np.empty(x.n, dtype=dtype)
    for_each_block(x, dtype, _XlogyPass(x, y, out))
    return out
