"""The one reduction rule shared by every loss in the package.

Given per-sample losses ``l_i``, per-sample multipliers ``m_i`` (sample weight,
times 0 for an ignored sample) and per-sample normalising weights ``w_i``:

* ``"none"``: ``m_i * l_i``, in the batch shape;
* ``"sum"``:  ``sum_i m_i * l_i``;
* ``"mean"``: ``sum_i m_i * l_i / sum_i w_i``, and 0 when ``sum_i w_i`` is 0
  (an empty batch, or one whose samples are all ignored or weighted 0).

Sums are accumulated in float64 and the result is cast to the input's dtype. A
kernel that can sum the losses itself, without an array of them, passes ``total``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._kernels import _mul0

FloatArray = NDArray[np.floating[Any]]
Loss = FloatArray | np.floating[Any]


def reduce_losses(
    losses: FloatArray | None,
    *,
    total: float | None = None,
    multiplier: FloatArray | None,
    normaliser: FloatArray | None,
    reduction: str,
    log_base: float,
    batch_shape: tuple[int, ...],
    out_dtype: np.dtype[Any],
) -> Loss:
    if losses is None:  # the kernel summed them: no multiplier, not "none"
        assert total is not None
        assert multiplier is None
        assert reduction != "none"
        size = int(np.prod(batch_shape, dtype=np.int64))
    else:
        weighted = losses if multiplier is None else _mul0(multiplier, losses)
        if reduction == "none":
            result = weighted / log_base if log_base != 1.0 else weighted
            return np.asarray(result.reshape(batch_shape), dtype=out_dtype)
        total = float(np.sum(weighted, dtype=np.float64))
        size = weighted.size
    if reduction == "mean":
        count = float(size) if normaliser is None else float(np.sum(normaliser, dtype=np.float64))
        total = total / count if count > 0 else 0.0
    return out_dtype.type(total / log_base)  # type: ignore[no-any-return]
