"""Cross-entropy, KL divergence and friends in NumPy: validated, stable, memory-lean.

Every function takes NumPy arrays (or anything ``numpy.asarray`` accepts), checks its
arguments with messages that name the argument, and never returns a silent NaN.
"""

from .activations import log_softmax, logsumexp, one_hot, softmax
from .binary import binary_cross_entropy, binary_cross_entropy_gradient
from .categorical import cross_entropy, cross_entropy_gradient, perplexity
from .information import entropy, kl_divergence
from .parallel import get_num_threads, set_num_threads

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_gradient",
    "cross_entropy",
    "cross_entropy_gradient",
    "entropy",
    "get_num_threads",
    "kl_divergence",
    "log_softmax",
    "logsumexp",
    "one_hot",
    "perplexity",
    "set_num_threads",
    "softmax",
]

__version__ = "0.1.0"
