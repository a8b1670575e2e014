r"""Check a display formula: read it, and evaluate every relation in it at random
points of the site's notation.

A formula's TeX may carry directives as TeX comments, which no reader sees:

``% check: y one-hot, T = 100, rtol = 1e-3``
    what the worlds must be for the formula to hold: one-hot targets (``t`` exists),
    ``binary`` or ``categorical`` (otherwise told by the symbols), a pinned value of
    a scalar (``K = 2``, ``T = 100``), and the tolerances of ``=`` (``rtol``,
    ``atol``; ``\approx`` needs its ``rtol``).
``% unchecked: reason``
    the formula states nothing the checker can evaluate (a maximiser, a set, an
    example with an ellipsis), and why.

Each relation of each statement is checked at :data:`POINTS` random worlds, for every
value of the free indices (``c``, ``k`` ...). The first failure is reported with the
world, the index values and both sides.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .evaluate import ClaimError, Evaluator, _plain, free_indices, holds, symbols_used
from .tex import Chain, Statement, TexError, parse_formula
from .world import INDEX_TYPES, EvaluationError, Settings, World, vocabulary

__all__ = ["POINTS", "Directives", "FormulaProblem", "check_formula", "directives_of"]

#: Random worlds per formula.
POINTS = 6

_DIRECTIVE = re.compile(r"^[ \t]*%[ \t]*(?P<kind>check|unchecked):(?P<body>.*)$", re.MULTILINE)
_BINARY_MARKS = ("\\hat p", "\\hat{p}", "\\sigma", "\\omega")


@dataclass(frozen=True)
class Directives:
    """What a formula's comments say about checking it."""

    unchecked: str | None = None  # the reason
    settings: Settings = field(default_factory=Settings)
    rtol: float | None = None
    atol: float | None = None
    #: Values a free index skips: ``c != t`` (the formula holds for the other classes).
    exclusions: tuple[tuple[str, str], ...] = ()


def directives_of(tex: str) -> Directives:
    """Read the ``% check:`` and ``% unchecked:`` lines of a formula."""
    unchecked: str | None = None
    family, one_hot, repeated = "", False, False
    exclusions: list[tuple[str, str]] = []
    pinned: dict[str, float] = {}
    rtol = atol = None
    for match in _DIRECTIVE.finditer(tex):
        body = match["body"].strip()
        if match["kind"] == "unchecked":
            if len(body.split()) < 2:
                raise TexError("'% unchecked:' needs a reason of a few words")
            unchecked = body
            continue
        for item in filter(None, (part.strip() for part in body.split(","))):
            if item in ("binary", "categorical", "gaussian"):
                family = item
            elif item in ("y one-hot", "y hard"):
                one_hot = True
            elif item == "inputs repeat":
                repeated = True
            elif "!=" in item:
                index, _, other = (part.strip() for part in item.partition("!="))
                exclusions.append((index, other))
            elif "=" in item:
                name, _, value = (part.strip() for part in item.partition("="))
                name = name.lstrip("\\")
                if name == "rtol":
                    rtol = float(value)
                elif name == "atol":
                    atol = float(value)
                else:
                    pinned[name] = float(value)
            else:
                raise TexError(f"unknown check setting {item!r}")
    if not family:
        family = "binary" if any(mark in tex for mark in _BINARY_MARKS) else "categorical"
    settings = Settings(family=family, one_hot=one_hot, repeated_inputs=repeated, pinned=pinned)
    return Directives(unchecked, settings, rtol, atol, tuple(exclusions))


@dataclass(frozen=True)
class FormulaProblem:
    """Why a formula fails its check."""

    message: str


def _seed(tex: str, salt: str) -> int:
    digest = hashlib.sha256((salt + "\n" + tex).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _describe(value: Any) -> str:
    plain = _plain(value)
    if isinstance(plain, float):
        return f"{plain:.10g}"
    return np.array2string(np.asarray(plain), precision=6, suppress_small=True)


def _tolerances(chain: Chain, directives: Directives, relation: str) -> tuple[float, float]:
    derivative = "Derivative" in repr(chain)
    rtol = directives.rtol if directives.rtol is not None else (1e-6 if derivative else 1e-9)
    atol = directives.atol if directives.atol is not None else (1e-8 if derivative else 1e-12)
    if relation == "~" and directives.rtol is None:
        raise TexError("an \\approx needs its tolerance: '% check: rtol = ...'")
    return rtol, atol


def _assignments(
    indices: list[str], world: World, exclusions: tuple[tuple[str, str], ...]
) -> list[dict[str, int]]:
    """Every combination of values of the free indices, less the excluded ones
    (``c != t``: not the first sample's true class)."""
    sizes = {"class": world.K, "sample": world.n, "feature": world.d}
    result: list[dict[str, int]] = [{}]
    for name in indices:
        size = sizes[INDEX_TYPES[name]]
        result = [{**a, name: v} for a in result for v in range(1, size + 1)]
    for index, other in exclusions:
        value = np.ravel(world.value(other))[0]
        result = [a for a in result if a.get(index) != value]
    return result


def _check_statement(statement: Statement, directives: Directives, seed: int) -> str | None:
    chain = statement.chain
    if not chain.relations:
        return None
    if any(r in ("in", "to") for r in chain.relations):
        return None
    indices = free_indices(chain)
    rng = np.random.default_rng(seed)
    for point in range(POINTS):
        world = World(rng, directives.settings)
        proportional: list[tuple[Any, Any]] = []
        for assignment in _assignments(indices, world, directives.exclusions):
            evaluator = Evaluator(world, assignment)
            try:
                values = [evaluator(operand) for operand in chain.operands]
            except ClaimError as error:
                return f"{error} (at {world.describe()}{_where(assignment)})"
            for position, relation in enumerate(chain.relations):
                left, right = values[position], values[position + 1]
                if relation == "propto":
                    proportional.append((left, right))
                    continue
                rtol, atol = _tolerances(chain, directives, relation)
                if not holds(relation, left, right, rtol, atol):
                    return (
                        f"relation {position + 1} ({relation}) fails at a random point "
                        f"({world.describe()}{_where(assignment)}, point {point + 1}): "
                        f"left {_describe(left)}, right {_describe(right)}"
                    )
        if proportional:
            ratios = [float(_plain(a)) / float(_plain(b)) for a, b in proportional]
            if not np.allclose(ratios, ratios[0], rtol=1e-6):
                return f"the sides are not proportional across the index: ratios {ratios}"
    return None


def _where(assignment: dict[str, int]) -> str:
    return "".join(f", {k}={v}" for k, v in assignment.items())


def check_formula(tex: str, *, salt: str = "") -> list[FormulaProblem]:
    """The problems of one display formula: none when every relation in it holds at
    every random point (or it is declared unchecked with a reason)."""
    try:
        directives = directives_of(tex)
        if directives.unchecked is not None:
            return []
        statements = parse_formula(tex, vocabulary)
    except TexError as error:
        return [FormulaProblem(f"cannot read the formula: {error}")]
    if not any(s.chain.relations for s in statements):
        return [
            FormulaProblem(
                "the formula states no relation to check; if it is not meant to be "
                "checked, say why with '% unchecked: reason'"
            )
        ]
    problems = []
    for number, statement in enumerate(statements):
        try:
            problem = _check_statement(statement, directives, _seed(tex, f"{salt}:{number}"))
        except (EvaluationError, TexError) as error:
            problem = f"cannot evaluate: {error}"
        except (ValueError, TypeError, FloatingPointError) as error:
            problem = f"evaluating it raised {type(error).__name__}: {error}"
        if problem is not None:
            problems.append(FormulaProblem(f"`{statement.text}`: {problem}"))
    return problems


def code_behind(tex: str) -> list[str]:
    """The package calls behind the symbols a formula uses (for the readers' note)."""
    from .world import SYMBOLS

    try:
        statements = parse_formula(tex, vocabulary)
    except TexError:
        return []
    names: set[str] = set()
    for statement in statements:
        names |= symbols_used(statement.chain)
    return sorted({SYMBOLS[n].code for n in names if n in SYMBOLS and SYMBOLS[n].code})


_ = math
