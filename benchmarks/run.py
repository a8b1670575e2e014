"""Benchmark: mean cross-entropy from logits, against PyTorch, JAX/optax, scikit-learn.

Run it with ``make bench`` (or ``python benchmarks/run.py``). For every shape and case
it first checks that all contenders agree with a float64 reference, then times them
in three rounds (every contender a few calls per round, in a new order each round;
the median over all calls, with the fastest and slowest call and each round's median,
so that the run-to-run spread of a shared machine shows) and measures each one's peak
extra memory. It prints a table and writes ``benchmarks/results.json`` (with the
machine's description: the CPU as ``/proc/cpuinfo`` names it, and the SIMD extensions
NumPy dispatches to) and ``benchmarks/chart.json`` (the chart on the docs' Performance
page).

Contenders that are not installed are left out. Only the CPU is used.

Options: ``--quick`` (fewer repeats, for a smoke test), ``--out DIR``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

import crossentropy as ce

SHAPES: list[tuple[int, int, str]] = [
    (4096, 32000, "float32"),
    (1024, 131072, "float32"),
    (8192, 1000, "float32"),
    (65536, 10, "float32"),
    (4096, 32000, "float64"),
]
CASES = ("labels-mean", "labels-none", "one-hot-mean")


@dataclass
class Row:
    shape: str
    dtype: str
    case: str
    contender: str
    median_ms: float
    min_ms: float
    max_ms: float
    round_median_ms: list[float]
    elements_per_ns: float
    x_read_once: float
    peak_extra_mib: float
    memory_method: str
    max_rel_error: float


def _peak_rss_reset() -> bool:
    """Reset the kernel's peak-RSS counter (Linux): then VmHWM is this call's peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def peak_extra_memory(call: Callable[[], Any], numpy_only: bool) -> tuple[float, str]:
    """Peak extra memory of one call, in MiB.

    NumPy reports its allocations to tracemalloc, which is exact for NumPy code.
    PyTorch and JAX allocate outside it, so for them the peak resident set size
    (reset through /proc/self/clear_refs) above the resident size before the call
    is used.
    """
    gc.collect()
    if numpy_only:
        # The package keeps one block buffer per thread between calls; drop them so
        # that this call allocates them again and they count in its peak.
        ce._engine.release_scratch()
        tracemalloc.start()
        tracemalloc.reset_peak()
        call()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / 2**20, "tracemalloc"
    if not _peak_rss_reset():
        return float("nan"), "unavailable"
    before = _rss_kib("VmRSS")
    call()
    return max(0, _rss_kib("VmHWM") - before) / 1024, "peak RSS"


@dataclass
class Timing:
    """Seconds per call of one contender: the median of all its timed calls, the
    fastest and the slowest of them, and the median of each round."""

    median: float
    fastest: float
    slowest: float
    round_medians: list[float]


def time_calls(
    calls: dict[str, Callable[[], Any]], repeats: int, rounds: int = 3, budget: float = 0.3
) -> dict[str, Timing]:
    """Time each call over ``rounds`` rounds.

    In each round every contender, in a new random order, makes one untimed warm-up
    call and then ``repeats`` timed calls (more for fast calls: until ``budget``
    seconds, at most 300), so each is timed in its steady state, as in a training
    loop, while a slow spell of a shared machine is spread over all of them instead
    of falling on one. The median is taken over all the timed calls; the extremes and
    the per-round medians say how much the machine moved meanwhile.
    """
    names = list(calls)
    order = random.Random(0)
    rounds_of: dict[str, list[list[float]]] = {name: [] for name in names}
    for _ in range(rounds):
        order.shuffle(names)
        for name in names:
            calls[name]()  # warm-up (and, the first time, jit compilation)
            spent: list[float] = []
            while len(spent) < repeats or (sum(spent) < budget and len(spent) < 300):
                start = time.perf_counter()
                calls[name]()
                spent.append(time.perf_counter() - start)
            rounds_of[name].append(spent)
    timings = {}
    for name, per_round in rounds_of.items():
        every = [t for spent in per_round for t in spent]
        timings[name] = Timing(
            median=statistics.median(every),
            fastest=min(every),
            slowest=max(every),
            round_medians=[statistics.median(spent) for spent in per_round],
        )
    return timings


def reference(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-row float64 losses, computed blockwise (bounded memory)."""
    out = np.empty(z.shape[0])
    for start in range(0, z.shape[0], 256):
        block = z[start : start + 256].astype(np.float64)
        peak = block.max(axis=1, keepdims=True)
        lse = np.log(np.exp(block - peak).sum(axis=1)) + peak[:, 0]
        out[start : start + 256] = lse - block[np.arange(len(block)), labels[start : start + 256]]
    return out


def contenders(
    case: str, z: np.ndarray, labels: np.ndarray, one_hot: np.ndarray | None
) -> dict[str, tuple[Callable[[], Any], bool]]:
    """name -> (call returning per-row losses or the mean, numpy_only)."""
    reduction = "none" if case == "labels-none" else "mean"
    target = one_hot if case == "one-hot-mean" else labels
    found: dict[str, tuple[Callable[[], Any], bool]] = {}

    def ours(threads: int) -> Callable[[], Any]:
        def call() -> Any:
            previous = ce.set_num_threads(threads)
            try:
                return ce.cross_entropy(z, target, from_logits=True, reduction=reduction)
            finally:
                ce.set_num_threads(previous)

        return call

    found["crossentropy (2 threads)"] = (ours(2), True)
    found["crossentropy (1 thread)"] = (ours(1), True)

    def naive() -> Any:
        shifted = z - z.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        if case == "one-hot-mean":
            losses = -(target * log_p).sum(axis=1)
        else:
            losses = -log_p[np.arange(len(labels)), labels]
        return losses if reduction == "none" else losses.mean()

    found["naive NumPy"] = (naive, True)

    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        pass
    else:
        tz = torch.from_numpy(z)
        tt = torch.from_numpy(target)

        def torch_call(threads: int) -> Callable[[], Any]:
            def call() -> Any:
                torch.set_num_threads(threads)
                return F.cross_entropy(tz, tt, reduction=reduction).numpy()

            return call

        found["PyTorch (1 thread)"] = (torch_call(1), False)
        found["PyTorch (2 threads)"] = (torch_call(2), False)

    try:
        import jax
        import optax
    except ImportError:
        pass
    else:
        jax.config.update("jax_enable_x64", True)
        jz, jt = jax.device_put(z), jax.device_put(target)
        if case == "one-hot-mean":
            fn = jax.jit(lambda a, b: optax.losses.softmax_cross_entropy(a, b).mean())
        elif reduction == "none":
            fn = jax.jit(optax.losses.softmax_cross_entropy_with_integer_labels)
        else:
            fn = jax.jit(
                lambda a, b: optax.losses.softmax_cross_entropy_with_integer_labels(a, b).mean()
            )
        found["JAX jit (optax)"] = (lambda: np.asarray(fn(jz, jt).block_until_ready()), False)

    if z.size <= 10_000_000 and case == "labels-mean":
        try:
            from sklearn.metrics import log_loss
        except ImportError:
            pass
        else:
            classes = np.arange(z.shape[1])

            def sklearn_call() -> Any:
                # float64 probabilities: log_loss clips them to [eps, 1 - eps] of their
                # dtype, and float32's eps (1.2e-7) would change the answer.
                return log_loss(labels, ce.softmax(z.astype(np.float64)), labels=classes)

            found["scikit-learn log_loss (+ softmax)"] = (sklearn_call, True)
    return found


#: The /proc/cpuinfo flags that name SIMD instruction sets (AVX-512 and its parts,
#: AVX2, FMA, F16C, AMX, SSE4).
SIMD_PREFIXES = ("sse4", "avx", "fma", "f16c", "amx")

#: The ufunc loops of the fast path, and of one-hot detection, whose dispatch target
#: is recorded (float32 and float64 signatures).
FAST_PATH_LOOPS = "^(multiply|exp2|exp|log1p|add|negative|argmax)$"


def cpu() -> dict[str, Any]:
    """The CPU as the first processor of ``/proc/cpuinfo`` describes it. A virtual
    machine often shows only a generic model name (such as "AMD EPYC"); the family
    and model numbers and the SIMD flags then tell which generation it is, and the
    name is given with the numbers."""
    fields: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if not line.strip() and fields:
                break  # the end of the first processor
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    name = fields.get("model name", platform.processor() or "unknown")
    family, model = fields.get("cpu family", "?"), fields.get("model", "?")
    flags = [flag for flag in fields.get("flags", "").split() if flag.startswith(SIMD_PREFIXES)]
    generic = not any(character.isdigit() for character in name)
    return {
        "name": f"{name} (family {family}, model {model})" if generic else name,
        "model_name": name,
        "family": family,
        "model": model,
        "simd_flags": flags,
    }


def numpy_simd() -> dict[str, Any]:
    """What NumPy reports at run time (``np.show_runtime()``): the SIMD extensions it
    was built to assume (baseline), those it found on this CPU and those it did not,
    and the target each loop of the fast path dispatches to here."""
    simd = np.show_config(mode="dicts")["SIMD Extensions"]
    loops = np.lib.introspect.opt_func_info(
        func_name=FAST_PATH_LOOPS, signature="^(f|d|ff|dd|fff|ddd)$"
    )
    return {
        "baseline": simd["baseline"],
        "found": simd["found"],
        "not_found": simd["not found"],
        "dispatch": {
            f"{func} {signature}": target["current"]
            for func, signatures in loops.items()
            for signature, target in signatures.items()
        },
    }


def machine() -> dict[str, Any]:
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for name in ("torch", "jax", "optax", "sklearn"):
        with contextlib.suppress(ImportError):
            versions[name] = __import__(name).__version__
    processor = cpu()
    return {
        "cpu": processor.pop("name"),
        "cpu_details": processor,
        "numpy_simd": numpy_simd(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "versions": versions,
        "date": time.strftime("%Y-%m-%d"),
    }


def _times(timing: Timing, elements: int, read_once_s: float) -> dict[str, Any]:
    """A row's timing fields, in milliseconds."""
    return {
        "median_ms": timing.median * 1e3,
        "min_ms": timing.fastest * 1e3,
        "max_ms": timing.slowest * 1e3,
        "round_median_ms": [seconds * 1e3 for seconds in timing.round_medians],
        "elements_per_ns": elements / (timing.median * 1e9),
        "x_read_once": timing.median / read_once_s,
    }


def _spread(row: Row) -> str:
    """The median, the extremes and the per-round medians of a row, for printing."""
    rounds = "/".join(f"{ms:.2f}" for ms in row.round_median_ms)
    return f"{row.median_ms:9.2f} ms (min {row.min_ms:.2f}, max {row.max_ms:.2f}; rounds {rounds})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke test)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    description = machine()
    simd = description["numpy_simd"]
    print(
        f"{description['cpu']}, {description['cores']} cores; NumPy {np.__version__} SIMD:"
        f" baseline {simd['baseline']}, found {simd['found']}, not found {simd['not_found']}"
    )
    rng = np.random.default_rng(0)
    rows: list[Row] = []
    for n, v, dtype_name in SHAPES:
        dtype = np.dtype(dtype_name)
        z = (rng.standard_normal((n, v), dtype=np.float32) * 3).astype(dtype)
        labels = rng.integers(0, v, size=n)
        expected_rows = reference(z, labels)
        read_once = time_calls({"read": lambda z=z: np.maximum.reduce(z, axis=None)}, 5)["read"]
        read_once_s = read_once.median
        repeats = 1 if args.quick else (3 if z.nbytes > 100e6 else 7)
        for case in CASES:
            one_hot = None
            if case == "one-hot-mean":
                one_hot = np.zeros((n, v), dtype=dtype)
                one_hot[np.arange(n), labels] = 1
            expected = expected_rows if case == "labels-none" else expected_rows.mean()
            found = contenders(case, z, labels, one_hot)
            errors = {}
            for name, (call, _) in found.items():
                got = np.asarray(call(), dtype=np.float64)
                # Agreement, not accuracy (that is tested in tests/test_stability.py): a
                # float32 implementation may be off by ~1e-4 relative on small losses.
                error = float(np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1.0)))
                tolerance = 1e-3 if dtype == np.float32 else 1e-9
                if error > tolerance:
                    print(f"!! {name} disagrees on {n}x{v} {dtype_name} {case}: {error:.2e}")
                    return 1
                errors[name] = error
            timings = time_calls({name: call for name, (call, _) in found.items()}, repeats)
            for name, (call, numpy_only) in found.items():
                peak, method = peak_extra_memory(call, numpy_only)
                row = Row(
                    shape=f"{n}x{v}",
                    dtype=dtype_name,
                    case=case,
                    contender=name,
                    **_times(timings[name], z.size, read_once_s),
                    peak_extra_mib=peak,
                    memory_method=method,
                    max_rel_error=errors[name],
                )
                rows.append(row)
                print(
                    f"{row.shape:>11} {dtype_name:7} {case:12} {name:34} {_spread(row)}"
                    f" {row.elements_per_ns:6.2f} el/ns  x{row.x_read_once:5.1f} read-once"
                    f" {peak:8.1f} MiB ({method})",
                    flush=True,
                )
            del one_hot, found
            gc.collect()
        rows.append(
            Row(
                shape=f"{n}x{v}",
                dtype=dtype_name,
                case="read-once",
                contender="np.maximum.reduce",
                **_times(read_once, z.size, read_once_s),
                peak_extra_mib=0.0,
                memory_method="none",
                max_rel_error=0.0,
            )
        )
    args.out.mkdir(parents=True, exist_ok=True)
    results = {"machine": description, "rows": [asdict(r) for r in rows]}
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.out / "chart.json").write_text(json.dumps(chart(rows), indent=1) + "\n")
    print(f"wrote {args.out / 'results.json'} and {args.out / 'chart.json'}")
    return 0


def chart(rows: list[Row]) -> dict[str, Any]:
    """Bar chart: median time of the labels-mean case per shape and contender."""
    shapes = [f"{n}x{v} {d}" for n, v, d in SHAPES]
    names = ["crossentropy (2 threads)", "JAX jit (optax)", "PyTorch (2 threads)", "naive NumPy"]
    series = []
    for name in names:
        values: list[float | None] = []
        for n, v, d in SHAPES:
            match = [
                r
                for r in rows
                if r.contender == name
                and r.case == "labels-mean"
                and r.shape == f"{n}x{v}"
                and r.dtype == d
            ]
            values.append(round(match[0].median_ms, 2) if match else None)
        if any(value is not None for value in values):
            series.append({"label": name, "y": values})
    return {
        "title": "Mean loss from logits with integer labels (lower is better)",
        "kind": "bar",
        "scale": "log",  # the shapes' times differ by three orders of magnitude
        "x_label": "median time per call (ms)",
        "y_label": "shape and dtype",
        "x": shapes,
        "series": series,
    }


if __name__ == "__main__":
    sys.exit(main())
