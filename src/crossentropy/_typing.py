"""The array aliases and the small records that pass between the layers, once.

Imports nothing from the package: every other module may import it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

#: An array of any floating dtype.
FloatArray = NDArray[np.floating[Any]]

#: What a loss returns: a scalar for "mean" and "sum", an array for "none".
Loss = FloatArray | np.floating[Any]

#: Flat class indices (or flat offsets into a block).
IndexArray = NDArray[np.intp]


class Undefined(NamedTuple):
    """The rows of logits whose log-sum-exp is not finite: their flat indices, in
    ascending order, and those values (NaN: a NaN logit; +inf: a +inf logit; -inf:
    every logit -inf)."""

    rows: IndexArray
    values: NDArray[np.float64]


class Losses(NamedTuple):
    """What a loss kernel returns."""

    #: The per-sample losses; or, when the caller asked only for their sum (a mean
    #: or sum without sample weights), that sum, accumulated in float64.
    values: FloatArray | float
    #: The rows whose log-sum-exp is not finite (for logits), or None if none is.
    undefined: Undefined | None
