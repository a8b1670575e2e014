"""Where the time goes with 10 classes: each step of the fast path on one block.

Run it with ``python benchmarks/small_vocab.py`` (after ``make test`` has set up
``.venv``). It times, on one block of 32768 rows of float32 logits with 10 classes
(half of the 65536 x 10 benchmark shape), each step that the index kernel takes on a
block, by calling the package's own functions (``crossentropy._kernels``), the whole
block step (:class:`~crossentropy._kernels.index_nll.IndexNllPass` on one block), the
steps of the test that one-hot targets take instead of class indices
(:func:`~crossentropy._kernels.rowstats.one_hot_classes`), the other ways NumPy has to
sum short rows (alternatives the package does not use, for comparison), and the whole
loss, from class indices and from one-hot targets, from this package and, if
installed, from ``jax.jit`` of optax. It prints a Markdown table of median
microseconds per block (with the fastest and the slowest call) and nanoseconds per
row, and writes the same to ``benchmarks/small_vocab.json`` (``--out DIR``), with the
machine's description, which the Performance page reads. The exponential is one step
here, as the package takes it (``exp_in_place``: a scale by log2(e), then ``exp2``).

Everything runs on the calling thread, except the BLAS matrix-vector product, which
OpenBLAS may spread over its own threads (the package does not use it for that
reason: its threads compete with the package's own).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from run import machine, time_calls  # benchmarks/run.py

import crossentropy as ce
from crossentropy._engine import Rows
from crossentropy._kernels.index_nll import (
    INDEX_BLOCK_ROWS,
    IndexNllPass,
    log1p_losses,
    target_offsets,
    zero_at,
)
from crossentropy._kernels.primitives import exp_in_place, row_sums, take_flat
from crossentropy._kernels.rowstats import (
    block_offsets,
    candidate_classes,
    nonzero_count,
    one_hot_classes,
    ones_at,
)

ROWS, CLASSES = 32768, 10

Calls = dict[str, Callable[[], object]]


def fast_path_steps(z: np.ndarray, labels: np.ndarray) -> Calls:
    """The index kernel's steps on one block, each a call of the package's function."""
    offsets = block_offsets(Rows(z, max_rows=INDEX_BLOCK_ROWS))  # as the kernel cuts them
    work = np.empty_like(z)
    exp_in_place(work, source=z)
    local = target_offsets(offsets, labels)
    t = take_flat(z, local)
    sums = np.empty(ROWS, dtype=np.float32)
    row_sums(work, out=sums)
    nll = np.empty(ROWS, dtype=np.float32)
    whole_block = IndexNllPass(Rows(z), labels)  # one block: the kernel's per-block path
    scratch = np.empty_like(z)
    return {
        "exp (scale by log2(e), exp2)": lambda: exp_in_place(work, source=z),
        "target offsets": lambda: target_offsets(offsets, labels, out=local),
        "gather target logits": lambda: take_flat(z, local, out=t),
        "zero the target terms": lambda: zero_at(work, local),
        "row sums (einsum)": lambda: row_sums(work, out=sums),
        "finish (exp, multiply, log1p, sum)": lambda: log1p_losses(t, sums, nll),
        "the whole block step (IndexNllPass)": lambda: whole_block(0, ROWS, scratch),
    }


def one_hot_steps(labels: np.ndarray) -> Calls:
    """The one-hot test of one block of targets (one_hot_classes), each of its steps a
    call of the package's function: what one-hot targets cost beyond class indices."""
    targets = np.zeros((ROWS, CLASSES), dtype=np.float32)
    targets[np.arange(ROWS), labels] = 1
    offsets = block_offsets(Rows(targets, max_rows=INDEX_BLOCK_ROWS))  # as the kernel cuts them
    classes = np.empty(ROWS, dtype=np.intp)
    one_hot_classes(targets, classes, offsets)
    flat = offsets + classes
    return {
        "count the non-zero entries (nonzero_count)": lambda: nonzero_count(targets),
        "each row's candidate class (candidate_classes)": lambda: candidate_classes(
            targets, classes
        ),
        "candidate offsets and their entries (ones_at)": lambda: ones_at(
            targets, np.add(offsets, classes, out=flat)
        ),
        "the whole test (one_hot_classes)": lambda: one_hot_classes(targets, classes, offsets),
    }


def other_row_sums(work: np.ndarray) -> Calls:
    """Other ways NumPy has to sum rows of 10: alternatives the package does not use."""
    sums = np.empty(ROWS, dtype=np.float32)
    transposed = np.ascontiguousarray(work.T)
    offsets = np.arange(0, ROWS * CLASSES, CLASSES)
    ones = np.ones(CLASSES, dtype=np.float32)

    def columns() -> None:
        np.add(work[:, 0], work[:, 1], out=sums)
        for j in range(2, CLASSES):
            sums.__iadd__(work[:, j])

    return {
        "column by column": columns,
        "add.reduce(axis=1)": lambda: np.add.reduce(work, axis=1, out=sums),
        "add.reduceat": lambda: np.add.reduceat(work.reshape(-1), offsets, out=sums),
        "vecdot with ones": lambda: np.vecdot(work, ones, out=sums),
        "transpose (copy)": lambda: np.copyto(transposed, work.T),
        "then add.reduce(axis=0)": lambda: np.add.reduce(transposed, axis=0, out=sums),
        "matmul with ones (BLAS, own threads)": lambda: np.matmul(work, ones, out=sums),
    }


def whole_loss(rng: np.random.Generator) -> Calls:
    """The whole mean loss on the benchmark's shape, 65536 x 10 (two blocks), from
    class indices and from one-hot targets."""
    z = rng.standard_normal((2 * ROWS, CLASSES), dtype=np.float32) * 3
    labels = rng.integers(0, CLASSES, size=2 * ROWS)
    one_hot = np.eye(CLASSES, dtype=np.float32)[labels]
    calls: Calls = {
        "crossentropy": lambda: ce.cross_entropy(z, labels, from_logits=True),
        "crossentropy, one-hot targets": lambda: ce.cross_entropy(z, one_hot, from_logits=True),
    }
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError:
        return calls
    loss = jax.jit(lambda a, b: optax.losses.softmax_cross_entropy_with_integer_labels(a, b).mean())
    soft_loss = jax.jit(lambda a, b: optax.losses.softmax_cross_entropy(a, b).mean())
    jz, jlabels, jone_hot = jnp.asarray(z), jnp.asarray(labels), jnp.asarray(one_hot)
    calls["JAX jit (optax)"] = lambda: loss(jz, jlabels).block_until_ready()
    calls["JAX jit (optax), one-hot targets"] = lambda: soft_loss(jz, jone_hot).block_until_ready()
    return calls


def steps() -> dict[str, Calls]:
    """Group -> step name -> a call that does that step once over the block."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((ROWS, CLASSES), dtype=np.float32) * 3
    labels = rng.integers(0, CLASSES, size=ROWS)
    return {
        "fast path, one call each (the package's functions)": fast_path_steps(z, labels),
        "one-hot targets: the test of a block, one call each": one_hot_steps(labels),
        "other ways to sum rows of 10 (NumPy, not used)": other_row_sums(np.exp(z)),
        "whole mean loss (65536 x 10)": whole_loss(rng),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    previous = ce.set_num_threads(1)
    print(f"one block of {ROWS} x {CLASSES} float32; median of 3 rounds (and the range of calls)\n")
    print(f"| step | us per {ROWS} rows | fastest-slowest | ns per row |")
    print("|---|---|---|---|")
    rows = []
    for group, calls in steps().items():
        print(f"| **{group}** | | | |")
        scale = ROWS / (2 * ROWS if group.startswith("whole") else ROWS)  # per block of ROWS
        for name, timing in time_calls(calls, repeats=50).items():
            median, fastest, slowest = (
                seconds * scale * 1e6 for seconds in (timing.median, timing.fastest, timing.slowest)
            )
            spread = f"{fastest:.0f}-{slowest:.0f}"
            print(f"| {name} | {median:.0f} | {spread} | {median * 1e3 / ROWS:.1f} |")
            rows.append(
                {
                    "group": group,
                    "step": name,
                    "median_us": median,
                    "fastest_us": fastest,
                    "slowest_us": slowest,
                    "ns_per_row": median * 1e3 / ROWS,
                }
            )
    ce.set_num_threads(previous)
    description = {**machine(), "rows_per_block": ROWS, "classes": CLASSES}
    path = args.out / "small_vocab.json"
    path.write_text(json.dumps({"machine": description, "rows": rows}, indent=1) + "\n")
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
