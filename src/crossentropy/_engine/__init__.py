"""The engine: how rows are laid out in blocks, how blocks are handed to threads, and
the scratch memory each thread keeps between calls.

Kernels describe what to do with one block; the engine decides which thread does it
and when. Nothing here knows about losses. Imports only :mod:`crossentropy._typing`
and NumPy; its modules import one another in one direction
(``rows`` <- ``scratch`` <- ``threads``).
"""

from .rows import BLOCK_BYTES, MAX_BLOCK_ROWS, MIN_BLOCKS, MIN_ELEMENTS_PER_THREAD, Rows
from .scratch import PER_ROW_BYTES, per_row, release_scratch, scratch
from .threads import Body, for_each_block, get_threads, set_threads, thread_count

__all__ = [
    "BLOCK_BYTES",
    "MAX_BLOCK_ROWS",
    "MIN_BLOCKS",
    "MIN_ELEMENTS_PER_THREAD",
    "PER_ROW_BYTES",
    "Body",
    "Rows",
    "for_each_block",
    "get_threads",
    "per_row",
    "release_scratch",
    "scratch",
    "set_threads",
    "thread_count",
]
