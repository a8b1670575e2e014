r"""The site's notation as values: one random "world" in which every symbol of the
notation page has a value, computed by the package where the package computes it.

A world draws its sizes (``K`` classes, ``n`` samples, ``d`` input features) and its
free quantities (inputs ``X``, weights ``W`` and ``b``, targets ``y``, teacher logits
``v``, the temperature ``T`` ...) at random; everything else follows from them as the
notation page defines it: ``z = X W + b``, ``\hat y = \operatorname{softmax}(z)``
(:func:`crossentropy.softmax`), ``L_i`` the cross-entropy of sample ``i``
(:func:`crossentropy.cross_entropy`), ``J`` their mean, and so on. A formula is
checked by evaluating both of its sides in several such worlds.

Symbols without a sample index mean the first sample: ``y`` is ``y_1``, ``L`` is
``L_1``. Letters that index have types: ``c`` and ``k`` run over classes, ``i`` over
samples, ``j`` over input features; the true class ``t`` (``t_i``) is a class.

Two families of worlds: the categorical one (the default) and the binary one, for
formulas about one positive-class probability ``\hat p = \sigma(z)`` with a scalar
logit ``z`` and a label ``y \in [0, 1]`` (chosen when a formula mentions ``\hat p``,
``\sigma`` or ``\omega``, or with ``% check: binary``).

A derivative perturbs one entry of a quantity and recomputes what depends on it
(:meth:`World.perturbed`): ``\partial J / \partial W_{jc}`` moves ``W_{jc}``, and
``z``, ``\hat y``, ``L`` and ``J`` follow.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "FUNCTIONS",
    "INDEX_TYPES",
    "SYMBOLS",
    "THETA",
    "WHOLE",
    "Args",
    "Settings",
    "Symbol",
    "World",
    "vocabulary",
]

#: What ``\\theta`` evaluates to: a marker that a quantity is the model's.
THETA = "the parameters"

Array = NDArray[np.float64]
Value = Any  # float or ndarray


class EvaluationError(ValueError):
    """A formula asks for something the world cannot give (a wrong index, a symbol
    outside the notation)."""


#: What each index letter runs over.
INDEX_TYPES = {"c": "class", "k": "class", "i": "sample", "j": "feature"}


@dataclass(frozen=True)
class Settings:
    """What a formula's ``% check:`` line asks of its worlds."""

    family: str = "categorical"  # or "binary", "gaussian"
    one_hot: bool = False  # targets are one-hot (binary: labels are 0 or 1)
    repeated_inputs: bool = False  # the inputs take two values (the labels vary)
    pinned: dict[str, float] = field(default_factory=dict)  # T = 100, K = 2, ...


@dataclass(frozen=True)
class Symbol:
    """A symbol of the notation: its axes (``sample``, ``class``, ``feature``; empty
    for a scalar), and how a world gets its value (from the world)."""

    meaning: str
    axes: tuple[str, ...]
    compute: Callable[[World], Value]
    code: str = ""  # the package call behind it, for readers
    families: tuple[str, ...] = ("categorical", "binary", "gaussian")
    matrix: bool = False  # written without a sample index, it is the whole batch


def _ce() -> Any:
    import crossentropy

    return crossentropy


def _dirichlet(world: World, shape: tuple[int, ...]) -> Value:
    draws = world.rng.gamma(1.0, size=shape) + 0.05
    return draws / draws.sum(axis=-1, keepdims=True)


def _inputs(world: World) -> Value:
    if world.settings.repeated_inputs:  # two distinct inputs, each seen several times
        pool = world.rng.normal(0.0, 1.0, size=(2, world.d))
        return pool[np.arange(world.n) % 2]
    return world.rng.normal(0.0, 1.0, size=(world.n, world.d))


@dataclass(frozen=True)
class Gaussian:
    """A normal distribution, as ``\\mathcal N(\\mu, \\sigma^2)`` names one."""

    mean: float
    variance: float


def _normal(world: World, args: Args) -> Value:
    r"""``\mathcal N(\mu, \sigma^2)``, a distribution, or ``\mathcal N(y; \mu, \sigma^2)``,
    its density at ``y``."""
    values = args.values
    if len(values) == 2 and args.separator == ",":
        return Gaussian(float(values[0]), float(values[1]))
    if len(values) == 3:
        from scipy.stats import norm

        y, mean, variance = (float(v) for v in values)
        return float(norm.pdf(y, loc=mean, scale=math.sqrt(variance)))
    raise EvaluationError("write a normal distribution as N(mu, sigma^2) or N(y; mu, sigma^2)")


def _gaussian_loss(world: World) -> Value:
    """The negative log-density of the observations under the normal noise model,
    by scipy (an independent implementation)."""
    from scipy.stats import norm

    y, mean, sd = world.value("y"), world.value("mu"), world.value("sigma")
    return -norm.logpdf(y, loc=mean, scale=sd)


def _target(world: World) -> Value:
    if world.settings.family == "gaussian":
        return world.rng.normal(0.0, 2.0, size=world.n)
    if world.settings.family == "binary":
        if world.settings.one_hot:
            return world.rng.integers(0, 2, size=world.n).astype(np.float64)
        return world.rng.uniform(0.02, 0.98, size=world.n)
    if world.settings.one_hot:
        return np.eye(world.K)[world.value("t") - 1]
    return _dirichlet(world, (world.n, world.K))


def _classes(world: World) -> Any:
    if not world.settings.one_hot:
        raise EvaluationError(
            "t, the true class, exists only for one-hot targets: add '% check: y one-hot'"
        )
    # Every class occurs once the batch is large enough (a count N_c of 0 would put
    # a maximum-likelihood estimate on the boundary).
    classes = world.rng.integers(1, world.K + 1, size=world.n)
    if world.n >= world.K:
        classes[: world.K] = np.arange(1, world.K + 1)
        world.rng.shuffle(classes)
    return classes


def _logits(world: World) -> Value:
    if world.settings.family == "binary":
        return world.rng.normal(0.0, 2.5, size=world.n)
    return world.value("X") @ world.value("W") + world.value("b")


def _loss(world: World) -> Value:
    if world.settings.family == "gaussian":
        return _gaussian_loss(world)
    return _categorical_or_binary_loss(world)


def _categorical_or_binary_loss(world: World) -> Value:
    """The per-sample cross-entropy, by the package. A derivative with respect to the
    predicted probabilities treats each of them as a free variable (as
    ``cross_entropy_gradient`` does for probabilities): the loss is then
    ``-sum_c y_c log yhat_c`` of the moved probabilities, which no longer sum to 1."""
    ce = _ce()
    if world.is_shifted("hat y"):
        y, yhat = world.value("y"), world.value("hat y")
        return np.asarray(-np.sum(y * np.log(yhat), axis=-1), dtype=np.float64)
    if world.is_shifted("hat p"):
        y, p = world.value("y"), world.value("hat p")
        return np.asarray(-(y * np.log(p) + (1 - y) * np.log1p(-p)), dtype=np.float64)
    if world.settings.family == "binary":
        return np.asarray(
            ce.binary_cross_entropy(
                world.value("z"), world.value("y"), from_logits=True, reduction="none"
            ),
            dtype=np.float64,
        )
    return np.asarray(
        ce.cross_entropy(world.value("z"), world.value("y"), from_logits=True, reduction="none"),
        dtype=np.float64,
    )


def _hinge(world: World) -> Value:
    """The multiclass hinge loss per sample: every other class's margin violation."""
    z, rows = world.value("z"), np.arange(world.n)
    true = world.value("t") - 1
    margins = np.maximum(0.0, z - z[rows, true][:, None] + 1.0)
    margins[rows, true] = 0.0
    return np.asarray(margins.sum(axis=1), dtype=np.float64)


def _scalar(low: float, high: float) -> Callable[[World], float]:
    return lambda w: float(w.rng.uniform(low, high))


def _smoothed(world: World) -> Value:
    """``(1 - eps) y + eps / K``: for a binary label, the second entry of the smoothed
    two-class target, ``(1 - eps) y + eps / 2``."""
    eps, y = world.value("varepsilon"), world.value("y")
    classes = 2 if world.settings.family == "binary" else world.K
    return (1 - eps) * y + eps / classes


def _distillation_soft(world: World) -> Value:
    ce, t = _ce(), world.value("T")
    teacher = ce.softmax(world.value("v") / t)
    soft = ce.cross_entropy(world.value("z") / t, teacher, from_logits=True, reduction="none")
    return t**2 * np.asarray(soft, dtype=np.float64)


def _distillation(world: World) -> Value:
    alpha = world.value("alpha")
    return alpha * world.value("L") + (1 - alpha) * world.value("L_soft")


SYMBOLS: dict[str, Symbol] = {
    "K": Symbol("number of classes", (), lambda w: float(w.K)),
    "n": Symbol("number of samples", (), lambda w: float(w.n)),
    "d": Symbol("number of input features", (), lambda w: float(w.d), families=("categorical",)),
    "X": Symbol(
        "inputs, one row per sample",
        ("sample", "feature"),
        lambda w: _inputs(w),
        matrix=True,
        families=("categorical",),
    ),
    "x": Symbol(
        "input of one sample",
        ("sample", "feature"),
        lambda w: w.value("X"),
        families=("categorical",),
    ),
    "W": Symbol(
        "weights of a linear model",
        ("feature", "class"),
        lambda w: w.rng.normal(0.0, 1.0, size=(w.d, w.K)),
        matrix=True,
        families=("categorical",),
    ),
    "b": Symbol(
        "biases of a linear model",
        ("class",),
        lambda w: w.rng.normal(0.0, 0.5, size=w.K),
        families=("categorical",),
    ),
    "z": Symbol("logits", ("sample", "class"), _logits, "X @ W + b"),
    "v": Symbol(
        "a teacher's logits",
        ("sample", "class"),
        lambda w: w.rng.normal(0.0, 2.0, size=(w.n, w.K)),
        families=("categorical",),
    ),
    "hat y": Symbol(
        "predicted distribution",
        ("sample", "class"),
        lambda w: np.asarray(_ce().softmax(w.value("z")), dtype=np.float64),
        "crossentropy.softmax(z)",
        families=("categorical",),
    ),
    "hat Y": Symbol(
        "predicted distributions, one row per sample",
        ("sample", "class"),
        lambda w: w.value("hat y"),
        matrix=True,
        families=("categorical",),
    ),
    "y": Symbol("target distribution (binary: the label)", ("sample", "class"), _target),
    "Y": Symbol(
        "targets, one row per sample",
        ("sample", "class"),
        lambda w: w.value("y"),
        matrix=True,
        families=("categorical",),
    ),
    "t": Symbol("true class", ("sample",), _classes, families=("categorical",)),
    "y'": Symbol("smoothed target", ("sample", "class"), _smoothed),
    "varepsilon": Symbol("label smoothing", (), _scalar(0.05, 0.95)),
    "T": Symbol("temperature", (), _scalar(0.5, 5.0), families=("categorical",)),
    "alpha": Symbol(
        "weight of the hard-label loss in distillation",
        (),
        _scalar(0.05, 0.95),
        families=("categorical",),
    ),
    "w": Symbol(
        "class weights",
        ("class",),
        lambda w: w.rng.uniform(0.2, 3.0, size=w.K),
        families=("categorical",),
    ),
    "s": Symbol("sample weights", ("sample",), lambda w: w.rng.uniform(0.2, 3.0, size=w.n)),
    "omega": Symbol("positive-class weight", (), _scalar(0.2, 3.0), families=("binary",)),
    "L": Symbol(
        "loss of one sample",
        ("sample",),
        _loss,
        "crossentropy.cross_entropy(z, y, from_logits=True, reduction='none')",
    ),
    "J": Symbol(
        "cost: mean loss",
        (),
        lambda w: float(np.mean(w.value("L"))),
        "crossentropy.cross_entropy(z, y, from_logits=True)",
    ),
    "J_w": Symbol(
        "the weighted cost: the package's mean with class and sample weights",
        (),
        lambda w: float(
            _ce().cross_entropy(
                w.value("z"),
                w.value("y"),
                from_logits=True,
                class_weight=w.value("w"),
                sample_weight=w.value("s"),
            )
        ),
        "crossentropy.cross_entropy(z, y, from_logits=True, class_weight=w, sample_weight=s)",
        families=("categorical",),
    ),
    "L_multi": Symbol(
        "the multi-label loss: a binary cross-entropy per class, summed",
        ("sample",),
        lambda w: np.sum(
            np.asarray(
                _ce().binary_cross_entropy(
                    w.value("z"), w.value("y"), from_logits=True, reduction="none"
                ),
                dtype=np.float64,
            ),
            axis=-1,
        ),
        "crossentropy.binary_cross_entropy(z, y, from_logits=True, reduction='none').sum(-1)",
        families=("categorical",),
    ),
    "L_soft": Symbol(
        "distillation's soft-target loss",
        ("sample",),
        _distillation_soft,
        families=("categorical",),
    ),
    "L_KD": Symbol("distillation loss", ("sample",), _distillation, families=("categorical",)),
    "p": Symbol(
        "true distribution", ("class",), lambda w: _dirichlet(w, (w.K,)), families=("categorical",)
    ),
    "q": Symbol(
        "predicted (model) distribution",
        ("class",),
        lambda w: _dirichlet(w, (w.K,)),
        families=("categorical",),
    ),
    "u": Symbol(
        "uniform distribution",
        ("class",),
        lambda w: np.full(w.K, 1.0 / w.K),
        families=("categorical",),
    ),
    "S": Symbol(
        "sum of exponentials",
        (),
        lambda w: float(np.sum(np.exp(w.value("z")[0]))),
        families=("categorical",),
    ),
    "m": Symbol(
        "a shift of the logits",
        (),
        lambda w: float(np.max(w.value("z")[0])),
        families=("categorical",),
    ),
    "h": Symbol("finite-difference step", (), lambda w: 1e-4),
    "hat p": Symbol(
        "predicted probability of the positive class",
        ("sample",),
        lambda w: 1.0 / (1.0 + np.exp(-w.value("z"))),
        families=("binary",),
    ),
    "L_sq": Symbol(
        "squared error",
        ("sample",),
        lambda w: (w.value("hat p") - w.value("y")) ** 2,
        families=("binary",),
    ),
    "L_ce": Symbol(
        "binary cross-entropy", ("sample",), lambda w: w.value("L"), families=("binary",)
    ),
    "1": Symbol("vector of ones", ("class",), lambda w: np.ones(w.K)),
    "Z": Symbol(
        "logits of a batch",
        ("sample", "class"),
        lambda w: w.value("z"),
        matrix=True,
        families=("categorical",),
    ),
    "N": Symbol(
        "number of samples of each class",
        ("class",),
        lambda w: np.bincount(w.value("t") - 1, minlength=w.K).astype(np.float64),
        families=("categorical",),
    ),
    "q*": Symbol(
        "the distribution that maximises the likelihood of the labels",
        ("class",),
        lambda w: _maximum_likelihood(w),
        "scipy.optimize.minimize of crossentropy.cross_entropy",
        families=("categorical",),
    ),
    "r": Symbol(
        "any vector",
        ("class",),
        lambda w: w.rng.normal(0.0, 1.0, size=w.K),
        families=("categorical",),
    ),
    "lambda": Symbol("the strength of an L2 penalty", (), _scalar(0.01, 2.0)),
    "nu": Symbol("a Lagrange multiplier", (), _scalar(0.5, 3.0)),
    "mu": Symbol(
        "the predicted mean of a real-valued target",
        ("sample",),
        lambda w: w.rng.normal(0.0, 2.0, size=w.n),
        families=("gaussian",),
    ),
    "mu*": Symbol(
        "the true mean of a real-valued target", (), _scalar(-2.0, 2.0), families=("gaussian",)
    ),
    "sigma": Symbol(
        "the standard deviation of the noise", (), _scalar(0.1, 3.0), families=("gaussian",)
    ),
    "rho": Symbol("a factor that scales the logits", (), _scalar(0.5, 3.0)),
    "eta": Symbol("a learning rate", (), _scalar(0.01, 1.0)),
    "gamma": Symbol("the focusing parameter of the focal loss", (), _scalar(0.0, 5.0)),
    "L_focal": Symbol(
        "the focal loss of one sample",
        ("sample",),
        lambda w: (1 - np.exp(-w.value("L"))) ** w.value("gamma") * w.value("L"),
        "(1 - exp(-L)) ** gamma * L, L from crossentropy.cross_entropy",
        families=("categorical",),
    ),
    "L_hinge": Symbol(
        "the multiclass hinge loss of one sample (Weston and Watkins)",
        ("sample",),
        _hinge,
        "sum over c != t of max(0, z_c - z_t + 1), in NumPy",
        families=("categorical",),
    ),
    "J_lambda": Symbol(
        "the cost with an L2 penalty on the weights",
        (),
        lambda w: w.value("J") + w.value("lambda") / 2 * float(np.sum(w.value("W") ** 2)),
        families=("categorical",),
    ),
    "ell": Symbol(
        "the code lengths of a Shannon code built for q, ceil(-log2 q_c)",
        ("class",),
        lambda w: np.ceil(-np.log2(w.value("q"))),
        families=("categorical",),
    ),
    "a": Symbol(
        "weighted smoothed target, w_c y'_c",
        ("sample", "class"),
        lambda w: w.value("w") * w.value("y'"),
        families=("categorical",),
    ),
    "bar z": Symbol(
        "mean logit", (), lambda w: float(np.mean(w.value("z")[0])), families=("categorical",)
    ),
    "bar v": Symbol(
        "mean teacher logit",
        (),
        lambda w: float(np.mean(w.value("v")[0])),
        families=("categorical",),
    ),
    "PPL": Symbol(
        "perplexity",
        (),
        lambda w: float(_ce().perplexity(w.value("z"), w.value("y"), from_logits=True)),
        "crossentropy.perplexity(z, y, from_logits=True)",
        families=("categorical",),
    ),
    "Lik": Symbol(
        "likelihood",
        (),
        lambda w: float(np.prod(_true_class_probabilities(w))),
        families=("categorical",),
    ),
}


def _maximum_likelihood(world: World) -> Value:
    """The constant prediction that maximises the likelihood of the labels ``t``,
    found numerically: the logits that minimise the package's mean cross-entropy,
    with its gradient, by BFGS."""
    from scipy.optimize import minimize

    ce, t = _ce(), world.value("t") - 1

    def cost(theta: Array) -> tuple[float, Array]:
        logits = np.broadcast_to(theta, (world.n, world.K))
        gradient = ce.cross_entropy_gradient(logits, t, from_logits=True)
        return float(ce.cross_entropy(logits, t, from_logits=True)), gradient.sum(axis=0)

    found = minimize(cost, np.zeros(world.K), jac=True, method="BFGS", options={"gtol": 1e-12})
    return np.asarray(ce.softmax(found.x), dtype=np.float64)


def _true_class_probabilities(world: World) -> Value:
    t = world.value("t")
    return np.asarray(world.value("hat y")[np.arange(world.n), t - 1])


#: What ``\\cdot`` stands for as an argument: ``\\tilde p(\\cdot \\mid x)`` is a whole
#: distribution over the classes.
WHOLE = "whole distribution"


@dataclass(frozen=True)
class Args:
    """A function's evaluated arguments, and how they were separated (``","``,
    ``"|"`` for a condition, ``"\\|"`` for a divergence)."""

    values: tuple[Value, ...]
    separator: str = ","


def _entropy(world: World, args: Args, base: float | None = None) -> Value:
    ce, values = _ce(), args.values
    if args.separator == "|":
        if base is not None or len(values) != 2:
            raise EvaluationError("write the conditional entropy as H(t \\mid x)")
        return _conditional_entropy(world)
    if len(values) == 1:
        return float(ce.entropy(values[0], base=base))
    if len(values) == 2:
        return float(ce.cross_entropy(values[1], values[0], base=base))
    raise EvaluationError("H takes one distribution (entropy) or two (cross-entropy)")


def _divergence(world: World, args: Args) -> Value:
    if len(args.values) != 2:
        raise EvaluationError("D_KL takes two distributions")
    p, q = args.values
    if isinstance(p, Gaussian) and isinstance(q, Gaussian):
        return _gaussian_divergence(p, q)
    return float(_ce().kl_divergence(q, p))


def _gaussian_divergence(p: Gaussian, q: Gaussian) -> float:
    """The KL divergence of two normal distributions, by numerical integration of
    p log(p / q) over twelve standard deviations of p on each side."""
    from scipy.integrate import quad
    from scipy.stats import norm

    first, second = norm(p.mean, math.sqrt(p.variance)), norm(q.mean, math.sqrt(q.variance))
    spread = 12 * math.sqrt(p.variance)

    def integrand(y: float) -> float:
        return float(first.pdf(y) * (first.logpdf(y) - second.logpdf(y)))

    value, _ = quad(integrand, p.mean - spread, p.mean + spread, limit=200)
    return float(value)


def _jensen_shannon(*args: Value) -> Value:
    if len(args) != 2:
        raise EvaluationError("D_JS takes two distributions")
    p, q = args
    mixture = (np.asarray(p) + np.asarray(q)) / 2
    kl = _ce().kl_divergence
    return float(0.5 * kl(mixture, p) + 0.5 * kl(mixture, q))


def _sigmoid(x: Value) -> Value:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def _one(name: str, function: Callable[[Value], Value]) -> Callable[[World, Args], Value]:
    """A function of one argument."""

    def apply(world: World, args: Args) -> Value:
        if len(args.values) != 1:
            raise EvaluationError(f"{name} takes one argument")
        return function(args.values[0])

    return apply


def _binary_entropy(p: Value) -> Value:
    return float(_ce().entropy(np.array([1.0 - p, p])))


def _input_rows(world: World, x: Value) -> Any:
    """Which samples have the input ``x``."""
    return np.all(np.isclose(world.value("X"), np.asarray(x)), axis=1)


def _empirical(world: World, args: Args) -> Value:
    r"""The empirical distribution: ``\tilde p(x, t)``, ``\tilde p(t \mid x)``,
    ``\tilde p(\cdot \mid x)`` (the distribution of the label given the input), or a
    marginal, ``\tilde p(x)`` of an input (a row) or ``\tilde p(t)`` of a label."""
    t = world.value("t")
    if len(args.values) == 1 and not isinstance(args.values[0], str):
        (value,) = args.values
        if np.ndim(value) == 0:  # a label
            return float(np.mean(t == value))
        return float(np.sum(_input_rows(world, value)) / world.n)  # an input
    if args.separator == "|" and len(args.values) == 2:
        label, x = args.values
        rows = _input_rows(world, x)
        counts = np.bincount(t[rows] - 1, minlength=world.K) / rows.sum()
        return counts if isinstance(label, str) else float(counts[_class(world, label)])
    if args.separator == "," and len(args.values) == 2:
        x, label = args.values
        return float(np.sum(_input_rows(world, x) & (t == label)) / world.n)
    raise EvaluationError("write the empirical distribution as p~(x, t) or p~(t | x)")


def _conditional_entropy(world: World) -> Value:
    """The conditional entropy of the label given the input, under the data set's
    empirical distribution: each group of equal inputs, its labels' entropy."""
    x, t, total = world.value("X"), world.value("t"), 0.0
    for row in np.unique(x, axis=0):
        rows = _input_rows(world, row)
        frequencies = np.bincount(t[rows] - 1, minlength=world.K) / rows.sum()
        total += rows.sum() / world.n * float(_ce().entropy(frequencies))
    return total


#: The data's random variables, each sample's value of which is a row of a symbol.
RANDOM_VARIABLES = {"x": "X", "t": "t"}


def empirical_entropy(world: World, groups: tuple[tuple[str, ...], ...], separator: str) -> Value:
    """The entropy of the data's random variables under the empirical distribution:
    ``H(x)``, ``H(t)``, ``H((x, t))`` (one group), or ``H(t | x)`` (two groups)."""

    def entropy_of(names: tuple[str, ...]) -> float:
        keys = [
            tuple(
                x
                for name in names
                for x in np.round(np.atleast_1d(world.value(RANDOM_VARIABLES[name])[i]), 12)
            )
            for i in range(world.n)
        ]
        _, counts = np.unique(np.array(keys, dtype=np.float64), axis=0, return_counts=True)
        return float(_ce().entropy(counts / world.n))

    if separator == "|" and len(groups) == 2:
        return entropy_of(groups[0] + groups[1]) - entropy_of(groups[1])
    if len(groups) == 1:
        return entropy_of(groups[0])
    raise EvaluationError("write the entropies of the data as H(x), H((x, t)) or H(t | x)")


def _prediction(world: World, args: Args) -> Value:
    r"""``\hat y(x; \theta)``: the model's prediction for the input ``x``."""
    (x,) = args.values
    logits = np.asarray(x) @ world.value("W") + world.value("b")
    return np.asarray(_ce().softmax(logits), dtype=np.float64)


#: Functions by name: each takes the world and its evaluated arguments.
FUNCTIONS: dict[str, Callable[[World, Args], Value]] = {
    "H": _entropy,
    "H_2": lambda world, args: _entropy(world, args, base=2),
    "H_bin": _one("H_bin", _binary_entropy),
    "D_KL": _divergence,
    "D_JS": lambda world, args: _jensen_shannon(*args.values),
    "softmax": _one("softmax", lambda z: np.asarray(_ce().softmax(z), dtype=np.float64)),
    "logsumexp": _one("logsumexp", lambda z: float(_ce().logsumexp(z))),
    "softplus": _one("softplus", lambda x: np.logaddexp(0.0, x)),
    "sigma": _one("sigma", _sigmoid),
    "sigma'": _one("sigma'", lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "log1p": _one("log1p", np.log1p),
    "diag": _one("diag", np.diag),
    "I": lambda world, args: -math.log(world.value("p")[_class(world, args.values[0])]),
    "L": lambda world, args: _loss_of(world, *args.values),
    "tilde p": _empirical,
    "cal N": _normal,
    "hat y": _prediction,
}


def _class(world: World, c: Value) -> int:
    index = int(c)
    if index != c or not 1 <= index <= world.K:
        raise EvaluationError(f"class {c!r} is not one of 1, ..., {world.K}")
    return index - 1


def _loss_of(world: World, *args: Value) -> Value:
    ce = _ce()
    if len(args) == 2 and world.settings.family == "binary":  # L(\hat p, y), per sample
        return np.asarray(ce.binary_cross_entropy(args[0], args[1], reduction="none"))
    if len(args) == 2:  # L(\hat y, y): the prediction first, as the package takes it
        return float(ce.cross_entropy(args[0], args[1]))
    if len(args) == 1:  # L(z'): the loss of other logits against the same target
        return float(ce.cross_entropy(args[0], world.value("y")[0], from_logits=True))
    raise EvaluationError("L takes (prediction, target) or logits")


#: Subscripts that are part of a name, not an index.
NAMED_SUBSCRIPTS = {
    ("H", "2"): "H_2",
    ("D", "KL"): "D_KL",
    ("D", "JS"): "D_JS",
    ("L", "sq"): "L_sq",
    ("L", "ce"): "L_ce",
    ("L", "soft"): "L_soft",
    ("L", "KD"): "L_KD",
    ("L", "multi"): "L_multi",
    ("L", "focal"): "L_focal",
    ("L", "hinge"): "L_hinge",
    ("H", "bin"): "H_bin",
    ("J", "w"): "J_w",
    ("J", "lambda"): "J_lambda",
}

UNITS = {"nat": 1.0, "nats": 1.0, "bit": math.log(2), "bits": math.log(2)}


#: Quantities that are applied to arguments only when these name the parameters, as
#: ``\\hat y(x; \\theta)``: otherwise ``\\hat y_c (\\delta_{ck} - \\hat y_k)`` is a product.
_APPLIED_WITH_THETA = {"hat y"}


class _Vocabulary:
    def is_function(self, name: str) -> bool:
        return name in FUNCTIONS and name not in _APPLIED_WITH_THETA

    def named_subscript(self, name: str, subscript: str) -> str | None:
        return NAMED_SUBSCRIPTS.get((name, subscript.strip()))

    def is_unit(self, text: str) -> bool:
        return text in UNITS


vocabulary = _Vocabulary()


class World:
    """One random draw of every quantity of the notation (see the module docstring)."""

    settings: Settings
    K: int
    n: int
    d: int
    rng: np.random.Generator

    def __init__(
        self,
        rng: np.random.Generator,
        settings: Settings,
        *,
        sizes: tuple[int, int, int] | None = None,
    ) -> None:
        self.settings = settings
        self._seed = int(rng.integers(2**63))
        pinned = settings.pinned
        k, n, d = sizes or (
            int(rng.integers(2, 7)),
            int(rng.integers(2, 5)),
            int(rng.integers(2, 4)),
        )
        self.K = int(pinned.get("K", k))
        self.n = int(pinned.get("n", n))
        self.d = int(pinned.get("d", d))
        self._values: dict[str, Value] = {}
        self._shifts: tuple[tuple[str, tuple[int, ...], float], ...] = ()
        self.rng = np.random.default_rng(self._seed)

    def describe(self) -> str:
        return f"K={self.K}, n={self.n}" + (
            f", d={self.d}" if self.settings.family != "binary" else ""
        )

    def value(self, name: str) -> Value:
        """The whole value of a symbol (every sample), drawn or computed once."""
        if name not in self._values:
            if name in self.settings.pinned:
                value: Value = float(self.settings.pinned[name])
            else:
                symbol = SYMBOLS.get(name)
                if symbol is None:
                    raise EvaluationError(f"{name} is not in the notation")
                if self.settings.family not in symbol.families:
                    raise EvaluationError(f"{name} is not part of {self.settings.family} formulas")
                # Each symbol draws from its own stream: the same world whatever
                # order the formula asks for its symbols in.
                saved = self.rng
                self.rng = np.random.default_rng([self._seed, _stable_hash(name)])
                try:
                    value = symbol.compute(self)
                finally:
                    self.rng = saved
            for shifted, position, step in self._shifts:
                if shifted == name:
                    value = np.array(value, dtype=np.float64, copy=True)
                    value[position] += step
            self._values[name] = value
        return self._values[name]

    def perturbed(self, name: str, position: tuple[int, ...], step: float) -> World:
        """This world with ``step`` added to entry ``position`` of ``name``, and
        everything computed from it recomputed."""
        other = World.__new__(World)
        other.settings, other._seed = self.settings, self._seed
        other.K, other.n, other.d = self.K, self.n, self.d
        other.rng = np.random.default_rng(self._seed)
        other._values = {}
        other._shifts = (*self._shifts, (name, position, step))
        return other

    def is_shifted(self, name: str) -> bool:
        """Whether a derivative has moved ``name`` itself in this world."""
        return any(shifted == name for shifted, _, _ in self._shifts)


def _stable_hash(name: str) -> int:
    return sum((i + 1) * ord(ch) for i, ch in enumerate(name))
