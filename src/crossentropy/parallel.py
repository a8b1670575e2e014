r"""How many threads the row-blocked kernels may use: the public functions.

Imports the validation and the engine, which holds the setting.
"""

from __future__ import annotations

from . import _engine
from . import _validate as v

__all__ = ["get_num_threads", "set_num_threads"]


def set_num_threads(count: int) -> int:
    r"""Set how many threads the kernels may split a large batch over.

    The rows of a batch are cut into blocks of about 2 MiB, which the calling thread
    and ``count - 1`` workers take one at a time until none is left; NumPy's ufuncs
    release the GIL, so the blocks run in parallel. Inputs under
    $2^{20}$ elements per thread (4 MiB of float32) always run on the calling thread,
    so small calls never pay for a thread hand-off. Results do not depend on the
    setting: each row is computed the same way whichever thread computes it.

    Parameters
    ----------
    count : int
        The number of threads, at least 1. The default is ``min(2, os.cpu_count())``.

    Returns
    -------
    int
        The previous setting, so that it can be restored.

    Raises
    ------
    TypeError
        If ``count`` is not an integer.
    ValueError
        If ``count`` is less than 1.

    See Also
    --------
    get_num_threads : The current setting.

    References
    ----------
    1. NumPy documentation, "Thread Safety": ufuncs release the GIL while they
       loop over arrays.

    Examples
    --------
    >>> import crossentropy as ce
    >>> previous = ce.set_num_threads(1)
    >>> ce.get_num_threads()
    1
    >>> _ = ce.set_num_threads(previous)
    """
    return _engine.set_threads(v.check_count(count, "count"))


def get_num_threads() -> int:
    r"""The number of threads the kernels may use (see :func:`set_num_threads`).

    Returns
    -------
    int
        At least 1.

    See Also
    --------
    set_num_threads : Change it.

    Examples
    --------
    >>> import crossentropy as ce
    >>> ce.get_num_threads() >= 1
    True
    """
    return _engine.get_threads()
