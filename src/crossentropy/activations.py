r"""Softmax, log-softmax, log-sum-exp and one-hot encoding: the public functions.

Each validates its input, runs a row kernel (:mod:`crossentropy._kernels.softmax`) and
rejects the slices whose result is undefined. Imports the validation, the engine's
rows, the kernel and the reduction's cast to the result dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from . import _validate as v
from ._engine import Rows
from ._kernels.softmax import logsumexp_rows, softmax_rows
from ._reduce import as_result
from ._typing import FloatArray

__all__ = ["log_softmax", "logsumexp", "one_hot", "softmax"]


def _rows_of(z: ArrayLike, axis: Any, name: str) -> tuple[Rows, int, np.dtype[Any]]:
    """``z`` as rows along ``axis`` (checked), the axis, and the result dtype."""
    array, out_dtype = v.as_float_array(z, name)
    axis = v.normalize_axis(axis, array.ndim, of=name)
    v.check_axis_not_empty(array, axis, name, classes=False)
    return Rows(np.moveaxis(array, axis, -1)), axis, out_dtype


def _softmax(z: ArrayLike, axis: int, *, log: bool) -> FloatArray:
    rows, axis, out_dtype = _rows_of(z, axis, "z")
    out = np.empty((*rows.batch_shape, rows.k), dtype=rows.dtype)
    lse = softmax_rows(rows, out.reshape(rows.n, rows.k), log=log)
    v.check_defined_slices(lse, rows.batch_shape, "z", allow_inf=False)
    return as_result(np.moveaxis(out, -1, axis), out_dtype)


def softmax(z: ArrayLike, *, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Softmax: logits to probabilities along ``axis``.

    $$
    \operatorname{softmax}(z)_c = \frac{e^{z_c}}{\sum_{k} e^{z_k}}
    = e^{\,z_c - \operatorname{logsumexp}(z)}
    $$

    computed with the max subtracted first, so no finite input overflows.

    Parameters
    ----------
    z : array_like
        Logits, finite or ``-inf`` (a class with probability 0).
    axis : int, default -1
        The axis that holds the classes.

    Returns
    -------
    numpy.ndarray
        Probabilities of ``z``'s shape, summing to 1 along ``axis``; float32 stays
        float32, float16 is computed in float32 and returned as float16.

    Raises
    ------
    TypeError
        If ``z`` is not a real numeric array, or ``axis`` is not an integer; if it is
        a masked array (``numpy.ma``: mask a class with a ``-inf`` logit instead) or
        a tensor that requires grad (pass ``tensor.detach()``).
    ValueError
        If ``z`` holds NaN or ``+inf``, a slice along ``axis`` is all ``-inf``,
        ``axis`` is out of range, or the axis is empty.

    See Also
    --------
    log_softmax : Its logarithm, computed without forming ``log(softmax(z))``.
    logsumexp : The normaliser.

    References
    ----------
    1. J. S. Bridle, "Probabilistic Interpretation of Feedforward Classification
       Network Outputs, with Relationships to Statistical Pattern Recognition", in
       F. Fogelman Soulié and J. Hérault (eds.), "Neurocomputing: Algorithms,
       Architectures and Applications", NATO ASI Series F68, Springer, 1990,
       pp. 227-236.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import softmax
    >>> print(softmax(np.array([2.0, 1.0, 0.1])))
    [0.65900114 0.24243297 0.09856589]
    >>> print(softmax(np.array([1000.0, 0.0])))
    [1. 0.]
    """
    return _softmax(z, axis, log=False)


def log_softmax(z: ArrayLike, *, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Log-softmax: log-probabilities along ``axis``.

    $$
    \log \operatorname{softmax}(z)_c = z_c - \operatorname{logsumexp}(z)
    $$

    Accurate to rounding for very negative log-probabilities, where
    ``np.log(softmax(z))`` would underflow to ``-inf``.

    Parameters
    ----------
    z : array_like
        Logits, finite or ``-inf``.
    axis : int, default -1
        The axis that holds the classes.

    Returns
    -------
    numpy.ndarray
        Log-probabilities of ``z``'s shape and dtype rules; in float16, one below
        float16's range (-65504) is ``-inf``, without a warning.

    Raises
    ------
    TypeError
        If ``z`` is not a real numeric array, or ``axis`` is not an integer; if it is
        a masked array (``numpy.ma``: mask a class with a ``-inf`` logit instead) or
        a tensor that requires grad (pass ``tensor.detach()``).
    ValueError
        As for :func:`softmax`: NaN or ``+inf`` in ``z``, a slice that is all ``-inf``,
        an ``axis`` out of range or empty.

    See Also
    --------
    softmax : Its exponential.
    cross_entropy : Uses it with ``from_logits=True``.

    References
    ----------
    1. P. Blanchard, D. J. Higham, N. J. Higham, "Accurately computing the
       log-sum-exp and softmax functions", IMA Journal of Numerical Analysis 41, 2021.
    2. I. Goodfellow, Y. Bengio, A. Courville, "Deep Learning", MIT Press, 2016,
       section 4.1.

    Examples
    --------
    The log of a probability far below the smallest float ($e^{-800}$) is still
    accurate:

    >>> import numpy as np
    >>> from crossentropy import log_softmax
    >>> print(log_softmax(np.array([0.0, -800.0])))
    [   0. -800.]
    """
    return _softmax(z, axis, log=True)


def logsumexp(z: ArrayLike, *, axis: int = -1) -> np.floating[Any] | NDArray[np.floating[Any]]:
    r"""Log of the sum of exponentials along ``axis``, without overflow.

    $$
    \operatorname{logsumexp}(z) = \log \sum_k e^{z_k} = m + \log \sum_k e^{z_k - m},
    \qquad m = \max_k z_k .
    $$

    Parameters
    ----------
    z : array_like
        Real values; ``-inf`` and ``+inf`` are allowed.
    axis : int, default -1
        The axis to reduce.

    Returns
    -------
    numpy.floating or numpy.ndarray
        ``z``'s shape without ``axis``; a scalar for 1-D input. A slice that is all
        ``-inf`` gives ``-inf`` (the log of 0) and one holding ``+inf`` gives ``+inf``,
        as in ``scipy.special.logsumexp``.

    Raises
    ------
    TypeError
        If ``z`` is not a real numeric array, or ``axis`` is not an integer; if it is
        a masked array (``numpy.ma``: mask a class with a ``-inf`` logit instead) or
        a tensor that requires grad (pass ``tensor.detach()``).
    ValueError
        If ``z`` holds NaN, ``axis`` is out of range, or the axis is empty.

    See Also
    --------
    softmax : ``exp(z - logsumexp(z))``.
    scipy.special.logsumexp : SciPy's version, with weights and signs.

    References
    ----------
    1. P. Blanchard, D. J. Higham, N. J. Higham, "Accurately computing the
       log-sum-exp and softmax functions", IMA Journal of Numerical Analysis 41, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import logsumexp
    >>> print(logsumexp(np.array([1000.0, 1000.0])))
    1000.6931471805599
    >>> with np.errstate(over="ignore"):  # the naive formula overflows
    ...     print(np.log(np.sum(np.exp(np.array([1000.0, 1000.0])))))
    inf
    """
    rows, _, out_dtype = _rows_of(z, axis, "z")
    lse = logsumexp_rows(rows, rows.dtype)
    v.check_defined_slices(lse, rows.batch_shape, "z", allow_inf=True)
    result = as_result(lse.reshape(rows.batch_shape), out_dtype)
    return result if result.ndim else result[()]


def one_hot(
    labels: ArrayLike, num_classes: int, *, axis: int = -1, dtype: DTypeLike = np.float64
) -> NDArray[Any]:
    r"""One-hot encoding of integer class labels.

    The one-hot vector $y$ of the class $t$ has the entries

    $$
    y_c = [\,c = t\,] = \begin{cases} 1 & c = t, \\ 0 & c \ne t. \end{cases}
    $$

    Parameters
    ----------
    labels : array_like of int
        Class indices in ``[0, num_classes)``, any shape.
    num_classes : int
        $K$, the number of classes (at least 1).
    axis : int, default -1
        Where the new class axis goes in the result.
    dtype : data-type, default numpy.float64
        The result's dtype.

    Returns
    -------
    numpy.ndarray
        ``labels.shape`` with an axis of length ``num_classes`` inserted at ``axis``.

    Raises
    ------
    TypeError
        If ``labels`` is not integer, or ``num_classes`` or ``axis`` is not an integer;
        if it is a masked array or a tensor that requires grad.
    ValueError
        If a label is outside ``[0, num_classes)``, ``num_classes`` is less than 1, or
        ``axis`` is out of range.

    See Also
    --------
    cross_entropy : Accepts class indices directly; no need to one-hot first.

    References
    ----------
    1. D. Harris, S. Harris, "Digital Design and Computer Architecture", 2nd ed.,
       2012 (one-hot encoding).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import one_hot
    >>> print(one_hot(np.array([2, 0]), 3, dtype=int))
    [[0 0 1]
     [1 0 0]]
    """
    array = v.as_real_array(labels, "labels")
    classes = v.check_count(num_classes, "num_classes")
    v.check_integer_dtype(array, "labels")
    position = v.normalize_axis(axis, array.ndim + 1, of="the result")
    indices, _ = v.check_class_indices(array, classes, None, name="labels")
    out = np.zeros((*array.shape, classes), dtype=dtype)
    np.put_along_axis(out, indices[..., None], 1, axis=-1)
    return np.moveaxis(out, -1, position)
