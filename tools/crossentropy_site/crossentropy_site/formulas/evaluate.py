r"""Evaluate an expression tree (:mod:`.tex`) in a world (:mod:`.world`).

Values are floats, vectors (1-D arrays, read as columns) and matrices. A transposed
vector is a row; juxtaposing a column and a row is their outer product
(``\hat y \hat y^{\mathsf T}``), a matrix and a vector their product; two plain
vectors side by side are ambiguous and rejected. ``\cdot`` between vectors is
their dot product. Derivatives are central differences in the world
(:meth:`World.perturbed`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .tex import (
    Bracket,
    Call,
    Cases,
    Chain,
    Derivative,
    Expectation,
    Index,
    Iverson,
    Neg,
    Node,
    Num,
    Op,
    Reduce,
    Sym,
    Transpose,
    Tuple,
    Underbraced,
    Unit,
)
from .world import (
    FUNCTIONS,
    INDEX_TYPES,
    RANDOM_VARIABLES,
    SYMBOLS,
    THETA,
    UNITS,
    WHOLE,
    Args,
    EvaluationError,
    Gaussian,
    World,
    empirical_entropy,
)

__all__ = ["ClaimError", "Evaluator", "Row", "free_indices", "holds"]

Value = Any


@dataclass(frozen=True)
class Row:
    """A transposed vector: a row."""

    values: np.ndarray[Any, Any]


class ClaimError(EvaluationError):
    """An ``\\underbrace{...}_{= v}`` claims a value the expression does not have."""


def _index_type(node: Node) -> str | None:
    """What an index expression ranges over, from its letter."""
    if isinstance(node, Sym):
        if node.name == "t":
            return "class"
        return INDEX_TYPES.get(node.name)
    if isinstance(node, Op):
        return _index_type(node.left) or _index_type(node.right)
    return None


def free_indices(node: Node, bound: frozenset[str] = frozenset()) -> list[str]:
    """The index letters (``c``, ``k``, ``i``, ``j``) that ``node`` uses unbound, in
    order of appearance."""
    found: list[str] = []

    def add(name: str) -> None:
        if name not in found:
            found.append(name)

    def visit(n: Node, bound: frozenset[str]) -> None:
        if isinstance(n, Sym):
            if n.name in INDEX_TYPES and not n.subscripts and n.name not in bound:
                add(n.name)
            for s in n.subscripts:
                visit(s, bound)
        elif isinstance(n, Reduce):
            inner = bound | {n.var}
            for part in (n.lower, n.upper):
                if part is not None:
                    visit(part, bound)
            if n.condition is not None:
                visit(n.condition, inner)
            visit(n.body, inner)
        elif isinstance(n, Expectation):
            visit(n.distribution, bound)
            visit(n.body, bound | set(n.vars))
        else:
            for child in _children(n):
                visit(child, bound)

    visit(node, bound)
    return found


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, Op):
        yield node.left
        yield node.right
    elif isinstance(node, (Neg, Transpose, Bracket)):
        yield node.operand
    elif isinstance(node, Call):
        yield from node.args
        if node.base is not None:
            yield node.base
    elif isinstance(node, Index):
        yield node.operand
        yield from node.subscripts
    elif isinstance(node, Tuple):
        yield from node.items
    elif isinstance(node, Derivative):
        yield node.of
        yield node.wrt
    elif isinstance(node, (Iverson,)):
        yield node.condition
    elif isinstance(node, Chain):
        yield from node.operands
    elif isinstance(node, Cases):
        for value, condition in node.rows:
            yield value
            if condition is not None:
                yield condition
    elif isinstance(node, Underbraced):
        yield node.operand
        yield node.claim


def symbols_used(node: Node) -> set[str]:
    """Every symbol and function name in ``node``."""
    names: set[str] = set()

    def visit(n: Node) -> None:
        if isinstance(n, (Sym, Call)):
            names.add(n.name)
        elif isinstance(n, Expectation):
            visit(n.distribution)
            visit(n.body)
            return
        elif isinstance(n, Reduce):
            for part in (n.lower, n.upper, n.condition, n.body):
                if part is not None:
                    visit(part)
            return
        for child in _children(n):
            visit(child)
        if isinstance(n, Sym):
            for s in n.subscripts:
                visit(s)

    visit(node)
    return names


def _close(a: Value, b: Value, rtol: float, atol: float) -> bool:
    a, b = _plain(a), _plain(b)
    if np.shape(a) != np.shape(b):
        raise EvaluationError(f"the sides have different shapes: {np.shape(a)} and {np.shape(b)}")
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=False))


def _plain(value: Value) -> Value:
    """A value as a float (a 0-d, 1-element or 1x1 array too) or an array."""
    if isinstance(value, Row):
        return value.values
    array = np.asarray(value, dtype=np.float64)
    return float(array.reshape(())) if array.shape in {(), (1,), (1, 1)} else array


def holds(relation: str, a: Value, b: Value, rtol: float, atol: float) -> bool:
    """Whether ``a relation b`` holds (``=`` and ``~`` within tolerance, inequalities
    with ``atol`` of slack for the non-strict ones)."""
    if relation in ("=", "~"):
        return _close(a, b, rtol, atol)
    x, y = np.asarray(_plain(a)), np.asarray(_plain(b))
    slack = atol + rtol * np.maximum(np.abs(x), np.abs(y))
    if relation == "<=":
        return bool(np.all(x <= y + slack))
    if relation == ">=":
        return bool(np.all(x >= y - slack))
    if relation == "<":
        return bool(np.all(x < y))
    if relation == ">":
        return bool(np.all(x > y))
    if relation == "!=":
        return not _close(a, b, rtol, atol)
    raise EvaluationError(f"the relation {relation} cannot be checked by value")


class Evaluator:
    """Evaluates nodes in one world, with index letters bound by ``scope``."""

    def __init__(self, world: World, scope: dict[str, Value] | None = None) -> None:
        self.world = world
        self.scope = dict(scope or {})

    def with_scope(self, **bindings: Value) -> Evaluator:
        return Evaluator(self.world, {**self.scope, **bindings})

    def in_world(self, world: World) -> Evaluator:
        return Evaluator(world, self.scope)

    # -- the dispatcher --

    def __call__(self, node: Node) -> Value:
        method = getattr(self, "_" + type(node).__name__.lstrip("_").lower())
        return method(node)

    def _num(self, node: Num) -> Value:
        return node.value

    def _unit(self, node: Unit) -> Value:
        if node.name not in UNITS:
            raise EvaluationError(f"unknown unit or text {node.name!r}")
        return UNITS[node.name]

    def _neg(self, node: Neg) -> Value:
        value = self(node.operand)
        return Row(-value.values) if isinstance(value, Row) else -value

    def _bracket(self, node: Bracket) -> Value:
        return self(node.operand)

    def _underbraced(self, node: Underbraced) -> Value:
        value = self(node.operand)
        claim = self(node.claim)
        if not _close(value, claim, 1e-9, 1e-12):
            raise ClaimError(f"an \\underbrace claims {claim!r} for a value of {_plain(value)!r}")
        return value

    def _transpose(self, node: Transpose) -> Value:
        value = self(node.operand)
        if isinstance(value, Row):
            return value.values
        array = np.asarray(value)
        if array.ndim == 1:
            return Row(array)
        if array.ndim == 2:
            return array.T
        raise EvaluationError("only vectors and matrices can be transposed")

    def _tuple(self, node: Tuple) -> Value:
        return np.array([float(self(item)) for item in node.items])

    def _op(self, node: Op) -> Value:
        left, right = self(node.left), self(node.right)
        if node.op == "+":
            return _add(left, right, 1.0)
        if node.op == "-":
            return _add(left, right, -1.0)
        if node.op == "/":
            if isinstance(right, Row) or np.ndim(right) > 0:
                raise EvaluationError("division by a vector or matrix")
            with np.errstate(divide="ignore"):
                return Row(left.values / right) if isinstance(left, Row) else np.divide(left, right)
        if node.op == "^":
            if isinstance(left, Row):
                raise EvaluationError("a power of a row vector")
            return np.power(left, right)
        if node.op == "odot":  # elementwise
            return np.multiply(_plain(left), _plain(right))
        if node.op == "dot":
            if np.ndim(_plain(left)) == 1 and np.ndim(_plain(right)) == 1:
                return float(np.dot(_plain(left), _plain(right)))
            return _product(left, right)
        return _product(left, right)

    def _call(self, node: Call) -> Value:
        groups = _random_variables(node) if node.name in ("H", "I") else None
        if groups is not None and node.name == "I":  # I(x; t): mutual information
            if len(groups) != 2 or node.separator != ";":
                raise EvaluationError("write the mutual information as I(x; t)")
            first, second = groups
            return (
                empirical_entropy(self.world, (first,), ",")
                + empirical_entropy(self.world, (second,), ",")
                - empirical_entropy(self.world, (first + second,), ",")
            )
        if groups is not None:
            return empirical_entropy(self.world, groups, node.separator)
        args = [self(arg) for arg in node.args]
        if node.name in ("log", "ln"):
            (x,) = args
            with np.errstate(divide="ignore"):
                value = np.log(x)
            if node.base is not None:
                value = value / math.log(float(self(node.base)))
            return value
        if node.name == "exp":
            return np.exp(args[0])
        if node.name == "sqrt":
            return np.sqrt(args[0])
        if node.name == "norm":
            return float(np.linalg.norm(_plain(args[0])))
        if node.name in ("max", "min"):
            reduce = np.max if node.name == "max" else np.min
            if len(args) == 1:
                return float(reduce(args[0]))
            return float(reduce(np.array(args, dtype=np.float64)))
        kept = tuple(a for a in args if a is not THETA)
        if not kept and args and node.name in SYMBOLS:  # J(\\theta), \\hat y(\\theta)
            return self.world.value(node.name)
        function = FUNCTIONS.get(node.name)
        if function is None:
            raise EvaluationError(f"{node.name} is not a function of the notation")
        plain = tuple(a if isinstance(a, (str, Gaussian)) else _plain(a) for a in kept)
        return function(self.world, Args(plain, node.separator))

    def _index(self, node: Index) -> Value:
        value = np.asarray(_plain(self(node.operand)))
        positions = [self._position_value(s) for s in node.subscripts]
        if len(positions) != value.ndim:
            raise EvaluationError(
                f"{len(positions)} subscript(s) on a value with {value.ndim} axes"
            )
        try:
            return float(value[tuple(p - 1 for p in positions)])
        except IndexError:
            raise EvaluationError(
                f"subscript {positions} out of range for shape {value.shape}"
            ) from None

    def _position_value(self, node: Node) -> int:
        value = _plain(self(node))
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, (int, np.integer)):
            return int(value)
        raise EvaluationError(f"a subscript evaluates to {value!r}, not a whole number")

    def _iverson(self, node: Iverson) -> Value:
        return 1.0 if self.chain_holds(node.condition) else 0.0

    def chain_holds(self, chain: Chain, rtol: float = 1e-12, atol: float = 1e-12) -> bool:
        values = [self(o) for o in chain.operands]
        return all(
            holds(r, a, b, rtol, atol)
            for r, a, b in zip(chain.relations, values, values[1:], strict=False)
        )

    def _chain(self, node: Chain) -> Value:
        raise EvaluationError("a relation where a value was expected")

    def _cases(self, node: Cases) -> Value:
        for value, condition in node.rows:
            if condition is None or self.chain_holds(condition):
                return self(value)
        raise EvaluationError("no case of the cases applies")

    # -- reductions --

    def _range(self, var: str, lower: Node | None, upper: Node | None) -> range:
        kind = INDEX_TYPES.get(var)
        if lower is None and upper is None:
            if kind is None:
                raise EvaluationError(f"{var} is not an index letter; give its range")
            return range(1, self._size(kind) + 1)
        start = 1 if lower is None else self._position_value(lower)
        if upper is None:
            if kind is None:
                raise EvaluationError(f"the range of {var} has no upper bound")
            stop = self._size(kind)
        else:
            stop = self._position_value(upper)
        if kind is not None and (start != 1 or stop != self._size(kind)):
            raise EvaluationError(
                f"the sum over {var} runs from {start} to {stop}, not over all "
                f"{self._size(kind)} values of the {kind} index"
            )
        return range(start, stop + 1)

    def _size(self, kind: str) -> int:
        return {"class": self.world.K, "sample": self.world.n, "feature": self.world.d}[kind]

    def _reduce(self, node: Reduce) -> Value:
        values = []
        for value in self._range(node.var, node.lower, node.upper):
            inner = self.with_scope(**{node.var: value})
            if node.condition is not None and not inner.chain_holds(node.condition):
                continue
            values.append(_plain(inner(node.body)))
        if node.kind == "sum":
            return _sum(values)
        if node.kind == "prod":
            return float(np.prod(values))
        return float(np.max(values) if node.kind == "max" else np.min(values))

    def _expectation(self, node: Expectation) -> Value:
        if isinstance(node.distribution, Sym) and node.distribution.name == "tilde p":
            values = []
            for i in range(self.world.n):
                bindings = {var: self._row_of(var, i) for var in node.vars}
                values.append(_plain(self.with_scope(**bindings)(node.body)))
            return _sum(values) / self.world.n
        if len(node.vars) != 1:
            raise EvaluationError("an expectation over a distribution on classes draws one class")
        distribution = self(node.distribution)
        if isinstance(distribution, Gaussian):
            return self._normal_expectation(node, distribution)
        weights = np.asarray(_plain(distribution))
        if weights.ndim != 1 or weights.size != self.world.K:
            raise EvaluationError(
                "an expectation's distribution must be a distribution over the classes"
            )
        total = []
        for c in range(1, self.world.K + 1):
            if weights[c - 1] == 0:
                continue  # an outcome that never occurs contributes nothing
            total.append(weights[c - 1] * _plain(self.with_scope(**{node.vars[0]: c})(node.body)))
        return _sum(total)

    def _normal_expectation(self, node: Expectation, normal: Gaussian) -> Value:
        """The expectation over a normal distribution, by Gauss-Hermite quadrature
        (exact for polynomials of degree up to 79, and accurate for smooth bodies)."""
        nodes, weights = np.polynomial.hermite_e.hermegauss(40)
        sd = math.sqrt(normal.variance)
        values = [
            _plain(self.with_scope(**{node.vars[0]: normal.mean + sd * x})(node.body))
            for x in nodes
        ]
        return _sum([w * v for w, v in zip(weights, values, strict=True)]) / math.sqrt(2 * math.pi)

    def _row_of(self, name: str, i: int) -> Value:
        value = self.world.value(name)
        return value[i]

    # -- symbols --

    def _sym(self, node: Sym) -> Value:
        if node.name == "theta" and not node.subscripts:
            return THETA
        if node.name == "cdot":
            return WHOLE
        if node.name == "e" and not node.subscripts and node.name not in self.scope:
            return math.e  # Euler's number (e_c, with its class, is a one-hot vector)
        if node.name in self.scope:
            bound = self.scope[node.name]
            if not node.subscripts:
                return bound
            positions = [self._position_value(s) for s in node.subscripts]
            return float(np.asarray(bound)[tuple(p - 1 for p in positions)])
        if node.name == "e" and len(node.subscripts) == 1:  # e_c: a basis vector
            basis = np.zeros(self.world.K)
            basis[self._position_value(node.subscripts[0]) - 1] = 1.0
            return basis
        if node.name == "delta" and len(node.subscripts) == 2:  # Kronecker's delta
            a, b = (self._position_value(s) for s in node.subscripts)
            return 1.0 if a == b else 0.0
        if node.name in INDEX_TYPES and not node.subscripts:
            raise EvaluationError(f"the index {node.name} is not bound here")
        name, position = self.locate(node)
        value = self.world.value(name)
        if position is None:
            return value
        try:
            return value[position]
        except IndexError:
            raise EvaluationError(f"{node.name} has no entry {position}") from None

    def locate(self, node: Sym) -> tuple[str, Any]:
        """The world's name for a symbol, and the position in its value that the
        subscripts (or their absence) pick: ``y`` is ``y[0]`` (the first sample),
        ``y_c`` is ``y[0, c-1]``, ``y_{ic}`` is ``y[i-1, c-1]``."""
        symbol = SYMBOLS.get(node.name)
        if symbol is None:
            raise EvaluationError(f"{node.name!r} is not in the notation")
        axes = symbol.axes
        if self.world.settings.family != "categorical" and axes and axes[-1] == "class":
            axes = axes[:-1]  # binary and real-valued targets: one number per sample
        given = list(node.subscripts)
        if not given:
            if symbol.matrix or not axes or axes[0] != "sample":
                return node.name, None
            return node.name, (0,)
        positions = [self._position_value(s) - 1 for s in given]
        if len(given) == len(axes):
            return node.name, tuple(positions)
        if len(given) == 1 and axes and axes[0] == "sample" and len(axes) == 2:
            kind = _index_type(given[0]) or "class"
            if kind == "sample":
                return node.name, (positions[0],)
            return node.name, (0, positions[0])
        raise EvaluationError(f"{node.name} takes {len(axes)} subscripts, got {len(given)}")

    # -- derivatives --

    def _derivative(self, node: Derivative) -> Value:
        """Central differences: the gradient of a number has the shape of what it is
        taken with respect to; the derivative of a vector ``f`` with respect to a
        vector ``v`` is the Jacobian, entry ``(a, b)`` being ``df_a / dv_b``."""
        if node.order != 1:
            raise EvaluationError("write a second derivative as a derivative of a derivative")
        name, position = self.locate(node.wrt)
        base = np.asarray(self.world.value(name), dtype=np.float64)
        if position is None:
            positions = list(np.ndindex(base.shape))
            shape: tuple[int, ...] = base.shape
        else:
            view = base[position]
            if np.ndim(view) == 0:
                return self._partial(node.of, name, tuple(position), float(view))
            positions = [tuple(position) + p for p in np.ndindex(np.shape(view))]
            shape = np.shape(view)
        columns = [self._partial(node.of, name, p, float(base[p])) for p in positions]
        stacked = np.stack([np.asarray(c, dtype=np.float64) for c in columns], axis=-1)
        return stacked.reshape(np.shape(columns[0]) + shape)

    def _partial(self, of: Node, name: str, position: tuple[int, ...], at: float) -> Value:
        # The step is relative to the value (a probability of 1e-3 needs a step far
        # below 1e-3). Both derivatives of a second derivative take a larger one: the
        # rounding error of nested differences grows as eps / step^2.
        nested = bool(self.world._shifts) or _contains_derivative(of)
        step = (1e-3 if nested else 1e-5) * max(abs(at), 1e-2)
        up = self.in_world(self.world.perturbed(name, position, step))(of)
        down = self.in_world(self.world.perturbed(name, position, -step))(of)
        difference = (np.asarray(_plain(up)) - np.asarray(_plain(down))) / (2 * step)
        return float(difference) if np.ndim(difference) == 0 else difference


def _random_variables(node: Call) -> tuple[tuple[str, ...], ...] | None:
    """``H(x)``, ``H((x, t))``, ``H(t \\mid x)``: entropies of the data's random
    variables (the inputs ``x`` and the labels ``t``), or None for entropies of
    distributions."""
    groups = []
    for arg in node.args:
        names = arg.items if isinstance(arg, Tuple) else (arg,)
        if not all(
            isinstance(n, Sym) and not n.subscripts and n.name in RANDOM_VARIABLES for n in names
        ):
            return None
        groups.append(tuple(n.name for n in names if isinstance(n, Sym)))
    if node.separator in ("|", ";") or (len(groups) == 1 and isinstance(node.args[0], Tuple)):
        return tuple(groups)
    if len(groups) == 1 and groups[0] in (("x",), ("t",)):
        return tuple(groups)
    return None


def _contains_derivative(node: Node) -> bool:
    return isinstance(node, Derivative) or any(_contains_derivative(c) for c in _children(node))


def _sum(values: list[Value]) -> Value:
    if not values:
        return 0.0
    total = values[0]
    for value in values[1:]:
        total = _add(total, value, 1.0)
    return total


def _add(a: Value, b: Value, sign: float) -> Value:
    if isinstance(a, Row) or isinstance(b, Row):
        if not (isinstance(a, Row) and isinstance(b, Row)):
            raise EvaluationError("adding a row vector to something else")
        return Row(a.values + sign * b.values)
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape and a.ndim and b.ndim:
        raise EvaluationError(f"adding values of shapes {a.shape} and {b.shape}")
    result = a + sign * b
    return float(result) if result.ndim == 0 else result


def _product(a: Value, b: Value) -> Value:
    if np.ndim(_plain(a)) == 0 or np.ndim(_plain(b)) == 0:
        if isinstance(a, Row):
            return Row(a.values * float(_plain(b)))
        if isinstance(b, Row):
            return Row(float(_plain(a)) * b.values)
        return np.multiply(a, b)
    left = a.values.reshape(1, -1) if isinstance(a, Row) else np.asarray(a)
    if isinstance(b, Row):
        if left.ndim == 1:
            return np.outer(left, b.values)
        right = b.values.reshape(1, -1)
    else:
        right = np.asarray(b)
    if left.ndim == 1 and right.ndim == 1:
        raise EvaluationError("two column vectors side by side: write a transpose or \\cdot")
    if left.ndim == 1:
        raise EvaluationError("a column vector times a matrix")
    result = left @ right
    return float(result.reshape(())) if result.size == 1 and isinstance(a, Row) else result
