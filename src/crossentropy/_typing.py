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

#: The first row whose log-sum-exp is not finite (its flat index), and that value.
Undefined = tuple[int, float]


class Losses(NamedTuple):
    """What a loss kernel returns."""

    #: The per-sample losses; or, when the caller asked only for their sum (a mean
    #: or sum without sample weights), that sum, accumulated in float64.
    values: FloatArray | float
    #: The first row whose log-sum-exp is not finite (for logits), or None if none is.
    undefined: Undefined | None
