"""Where the time goes with 10 classes: each NumPy step of the fast path on one block.

Run it with ``python benchmarks/small_vocab.py`` (after ``make test`` has set up
``.venv``). It times, on one block of 32768 rows of float32 logits with 10 classes
(half of the 65536 x 10 benchmark shape), every NumPy call that the index kernel makes,
the other ways NumPy has to sum short rows, and the whole loss from this package and,
if installed, from ``jax.jit`` of optax. It prints a Markdown table of median
microseconds per block and nanoseconds per row; the Performance page quotes it.

Everything runs on the calling thread, except the BLAS matrix-vector product, which
OpenBLAS may spread over its own threads (the package does not use it for that
reason: its threads compete with the package's own).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from run import median_seconds  # benchmarks/run.py

import crossentropy as ce

ROWS, CLASSES = 32768, 10


def steps() -> dict[str, dict[str, Callable[[], object]]]:
    """Group -> step name -> a call that does that step once over the block."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((ROWS, CLASSES), dtype=np.float32) * 3
    labels = rng.integers(0, CLASSES, size=ROWS)
    log2e = np.float32(np.log2(np.e))
    work = np.exp(z)
    transposed = np.ascontiguousarray(work.T)
    offsets = np.arange(0, ROWS * CLASSES, CLASSES)
    local = offsets + labels
    t = z.reshape(-1)[local]
    sums = np.empty(ROWS, dtype=np.float32)
    nll = np.empty(ROWS, dtype=np.float32)
    scaled = z * log2e
    powers = np.empty_like(z)
    ones = np.ones(CLASSES, dtype=np.float32)
    # The whole loss runs on the benchmark's shape, 65536 x 10: two blocks.
    z2 = rng.standard_normal((2 * ROWS, CLASSES), dtype=np.float32) * 3
    labels2 = rng.integers(0, CLASSES, size=2 * ROWS)

    def finish() -> float:
        np.negative(t, out=nll)
        np.exp(nll, out=nll)
        np.multiply(nll, sums, out=nll)
        np.log1p(nll, out=nll)
        return float(nll.sum(dtype=np.float64))

    def columns() -> None:
        np.add(work[:, 0], work[:, 1], out=sums)
        for j in range(2, CLASSES):
            sums.__iadd__(work[:, j])

    def scatter() -> None:
        powers.reshape(-1)[local] = 0

    groups: dict[str, dict[str, Callable[[], object]]] = {
        "fast path, one call each": {
            "scale by log2(e)": lambda: np.multiply(z, log2e, out=powers),
            "exp2": lambda: np.exp2(scaled, out=powers),
            "target offsets": lambda: np.add(offsets, labels, out=local),
            "gather target logits": lambda: np.take(z.reshape(-1), local, out=t),
            "zero the target terms": scatter,
            "row sums (einsum)": lambda: np.einsum("ij->i", work, out=sums),
            "finish (exp, multiply, log1p, sum)": finish,
        },
        "other ways to sum rows of 10": {
            "column by column": columns,
            "add.reduce(axis=1)": lambda: np.add.reduce(work, axis=1, out=sums),
            "add.reduceat": lambda: np.add.reduceat(work.reshape(-1), offsets, out=sums),
            "vecdot with ones": lambda: np.vecdot(work, ones, out=sums),
            "transpose (copy)": lambda: np.copyto(transposed, work.T),
            "then add.reduce(axis=0)": lambda: np.add.reduce(transposed, axis=0, out=sums),
            "matmul with ones (BLAS, own threads)": lambda: np.matmul(work, ones, out=sums),
        },
        "whole mean loss (65536 x 10)": {
            "crossentropy": lambda: ce.cross_entropy(z2, labels2, from_logits=True),
        },
    }
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError:
        return groups
    loss = jax.jit(lambda a, b: optax.losses.softmax_cross_entropy_with_integer_labels(a, b).mean())
    jz, jlabels = jnp.asarray(z2), jnp.asarray(labels2)
    groups["whole mean loss (65536 x 10)"]["JAX jit (optax)"] = lambda: loss(
        jz, jlabels
    ).block_until_ready()
    return groups


def main() -> int:
    previous = ce.set_num_threads(1)
    print(f"one block of {ROWS} x {CLASSES} float32; median of 3 rounds\n")
    print(f"| step | us per {ROWS} rows | ns per row |")
    print("|---|---|---|")
    for group, calls in steps().items():
        print(f"| **{group}** | | |")
        rows = 2 * ROWS if group.startswith("whole") else ROWS
        for name, seconds in median_seconds(calls, repeats=50).items():
            per_row = seconds / rows
            print(f"| {name} | {per_row * ROWS * 1e6:.0f} | {per_row * 1e9:.1f} |")
    ce.set_num_threads(previous)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
