"""The kernels: one module per algorithm, each on arrays that are already valid.

* :mod:`.primitives`: arithmetic with ``0 * inf = 0``, row sums, ``exp``, gathers,
  the floors and ceilings of the fast path's range;
* :mod:`.rowstats`: one-hot detection and the row statistics that the distribution
  check reads;
* :mod:`.coefficients`: the per-class coefficients ``a = w y'`` of ``-log p``;
* :mod:`.softmax`: log-sum-exp, softmax and log-softmax of rows;
* :mod:`.index_nll`: logits against class indices (the fast path);
* :mod:`.soft_nll`: logits against probability targets;
* :mod:`.prob_nll`: probabilities as the prediction;
* :mod:`.xlogy`: ``sum x log(x / y)`` of rows (entropy, KL divergence);
* :mod:`.gradient`: the categorical gradients;
* :mod:`.binary`: the element-wise binary loss and its gradient.

Kernels never validate and never import :mod:`crossentropy._validate`: a public
function has checked every argument before one is called. They import the engine
(:mod:`crossentropy._engine`), :mod:`crossentropy._typing` and one another, never a
public module, the plan or the reduction.

Conventions, applied at one visible line each:

* ``0 * log 0 = 0`` and, more generally, a zero coefficient kills its term even
  when the other factor is infinite (:func:`.primitives.mul0`, :func:`.primitives.dot0`).
* A row of logits that are all ``-inf`` has log-sum-exp ``-inf``; a row with a
  ``+inf`` logit has ``+inf``; a NaN gives NaN. The public functions turn the
  last two (and the first, where it makes a result undefined) into errors.
"""
