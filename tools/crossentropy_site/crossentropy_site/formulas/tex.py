r"""Read the TeX of the site's display formulas into a small expression tree.

The reader knows the site's own vocabulary of TeX, not all of TeX: what the pages
write, and what a reader of a machine-learning textbook would expect to be able to
write. It is strict: anything it does not know is a :class:`TexError` naming the
token, so a formula is either read exactly or not at all.

The conventions it follows are the textbook ones:

* A letter is a variable; ``\hat y``, ``\tilde p``, ``y'`` are variables of their own.
* Juxtaposition is multiplication: ``2 (\hat p - y)\, \hat p``.
* ``\sum_{c=1}^{K}``, ``\prod`` and ``\mathbb{E}_{c \sim p}`` take the product that
  follows them as their body, up to the next ``+``, ``-`` or relation:
  ``\sum_c p_c \log q_c - 1`` is ``(\sum_c p_c \log q_c) - 1``.
* ``\log`` (``\ln``, ``\log_2``, ``\exp``) takes a parenthesised argument, or the
  factor that follows it (a big operator with its body included):
  ``\log \hat y_c``, ``\log \frac{1}{p_c}``, ``\log \sum_k e^{z_k}``.
* A name the vocabulary calls a function (``H``, ``\sigma``, ``\operatorname{LSE}``)
  followed by ``(`` is applied to the arguments; ``(\theta)`` or ``(x; \theta)``
  after any other symbol marks what it depends on and is dropped.
* Subscripts index (``y_c``, ``\hat y_{ic}``, ``\hat y_{i,t_i}``) unless the
  vocabulary makes them part of a name (``H_2``, ``L_{\text{sq}}``,
  ``D_{\mathrm{KL}}``).

Statements are split at top-level commas, ``\quad``/``\qquad`` (with any
``\text{...}`` between them), and the rows of ``aligned``; a row that starts with a
relation continues the chain of the row before it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "RELATIONS",
    "Bracket",
    "Call",
    "Cases",
    "Chain",
    "Derivative",
    "Expectation",
    "Index",
    "Iverson",
    "Neg",
    "Node",
    "Num",
    "Op",
    "Reduce",
    "Sym",
    "TexError",
    "Transpose",
    "Tuple",
    "Unit",
    "Vocabulary",
    "parse_formula",
    "tokenize",
]


class TexError(ValueError):
    """The TeX is outside what the reader knows; the message says where."""


# --- tokens -------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # "cmd", "letter", "number", "char", "text"
    value: str
    position: int
    command: str = ""  # for "text": the command that made it (text, mathrm, mathsf, ...)


_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<comment>%[^\n]*)"
    r"|\\(?P<cmd>[A-Za-z]+)\*?"
    r"|\\(?P<symbolcmd>[^A-Za-z])"
    r"|(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<letter>[A-Za-z])"
    r"|(?P<char>[\^_{}()\[\],=+\-/<>&'|;:!.*])"
)

#: Sized delimiters and spacing that mean nothing for the value.
_SIZES = {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", "biggl", "biggr"}
_BIGM = {"bigm", "Bigm", "middle"}
_SPACES = {",", ";", "!", ":", " ", "quad", "qquad"}  # quad/qquad also separate
_TEXT_COMMANDS = {"text", "mathrm", "textrm", "mathit", "operatorname", "mathsf", "mathbf"}


def tokenize(tex: str) -> list[Token]:
    """The tokens of ``tex``; ``\\text{...}`` and the like become one ``text`` token
    (``\\operatorname`` keeps its name: ``cmd`` ``operatorname`` then ``text``)."""
    tokens: list[Token] = []
    position = 0
    while position < len(tex):
        match = _TOKEN.match(tex, position)
        if match is None:
            raise TexError(f"unexpected character {tex[position]!r} at offset {position}")
        position = match.end()
        kind = match.lastgroup
        assert kind is not None
        if kind in ("space", "comment"):
            continue
        value = match.group(kind)
        if kind == "cmd" and value in _TEXT_COMMANDS:
            text, position = _argument(tex, position)
            if value == "operatorname":
                tokens.append(Token("cmd", "operatorname", match.start()))
            tokens.append(Token("text", text, match.start(), value))
            continue
        if kind == "symbolcmd":
            if value in "{}|":  # \{ \} \| are characters
                tokens.append(Token("char", {"|": "\\|"}.get(value, "\\" + value), match.start()))
                continue
            kind = "cmd"
        tokens.append(Token(kind, value, match.start()))
    return tokens


def _argument(tex: str, position: int) -> tuple[str, int]:
    """The argument of a command at ``position``: a ``{...}`` group's content, or a
    single letter (``\\mathsf T``); and the offset after it."""
    while position < len(tex) and tex[position].isspace():
        position += 1
    if position < len(tex) and tex[position].isalnum():
        return tex[position], position + 1
    if position >= len(tex) or tex[position] != "{":
        raise TexError(f"expected {{ at offset {position}")
    depth, start = 0, position
    while position < len(tex):
        if tex[position] == "{":
            depth += 1
        elif tex[position] == "}":
            depth -= 1
            if depth == 0:
                return tex[start + 1 : position], position + 1
        position += 1
    raise TexError(f"unclosed {{ at offset {start}")


# --- the tree -----------------------------------------------------------------------


class Node:
    """An expression."""


@dataclass(frozen=True)
class Num(Node):
    value: float


@dataclass(frozen=True)
class Sym(Node):
    """A variable: ``name`` with its accent (``hat y``) or prime (``y'``), and the
    subscripts that index it."""

    name: str
    subscripts: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Unit(Node):
    """A unit written as text (``\\text{ bits}``)."""

    name: str


@dataclass(frozen=True)
class Op(Node):
    op: str  # "+", "-", "*", "/", "^", "dot" (explicit \cdot)
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class Transpose(Node):
    operand: Node


@dataclass(frozen=True)
class Call(Node):
    """A named function applied to its arguments. ``separator`` is how they were
    separated (``","``, ``"\\|"`` for a divergence, ``"|"`` for a condition)."""

    name: str
    args: tuple[Node, ...]
    separator: str = ","
    base: Node | None = None  # log base


@dataclass(frozen=True)
class Index(Node):
    """A subscript on something that is not a plain symbol:
    ``\\operatorname{softmax}(z)_c``."""

    operand: Node
    subscripts: tuple[Node, ...]


@dataclass(frozen=True)
class Tuple(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Reduce(Node):
    """``\\sum`` or ``\\prod`` over ``var`` from ``lower`` to ``upper`` (None: the
    variable's whole range), keeping the values where ``condition`` holds."""

    kind: str  # "sum", "prod", "max", "min"
    var: str
    lower: Node | None
    upper: Node | None
    condition: Chain | None
    body: Node


@dataclass(frozen=True)
class Expectation(Node):
    """``\\mathbb{E}_{c \\sim p}[body]``: ``vars`` drawn from ``distribution``."""

    vars: tuple[str, ...]
    distribution: Node
    body: Node


@dataclass(frozen=True)
class Derivative(Node):
    """``\\partial f / \\partial v``; ``of`` is None for the operator form
    ``\\frac{\\partial}{\\partial z_c} f`` until the operand is attached."""

    of: Node
    wrt: Sym
    order: int = 1


@dataclass(frozen=True)
class Iverson(Node):
    condition: Chain


@dataclass(frozen=True)
class Bracket(Node):
    """A ``[...]`` group that is a value (not an Iverson bracket)."""

    operand: Node


@dataclass(frozen=True)
class Cases(Node):
    rows: tuple[tuple[Node, Chain | None], ...]  # value, condition (None: otherwise)


@dataclass(frozen=True)
class Chain(Node):
    """``a = b \\le c``: the operands and the relations between them."""

    operands: tuple[Node, ...]
    relations: tuple[str, ...]
    offset: int = 0  # where it starts in the TeX
    underbraces: tuple[tuple[Node, Chain], ...] = field(default=(), compare=False)


RELATIONS = {
    "=": "=",
    "ne": "!=",
    "neq": "!=",
    "<": "<",
    ">": ">",
    "le": "<=",
    "leq": "<=",
    "ge": ">=",
    "geq": ">=",
    "approx": "~",
    "propto": "propto",
    "coloneqq": "=",
    "equiv": "=",
    "in": "in",
    "to": "to",
}


class Vocabulary(Protocol):
    """What the reader needs to know of the symbols' meanings."""

    def is_function(self, name: str) -> bool: ...  # H, \sigma, L(...), ...
    def named_subscript(self, name: str, subscript: str) -> str | None: ...  # H_2 -> "H_2"
    def is_unit(self, text: str) -> bool: ...  # \\text{ bits}: a unit, not a connecting word


# --- the parser ---------------------------------------------------------------------

_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau",
    "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta",
    "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega", "ell",
}  # fmt: skip
_ACCENTS = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde", "bar": "bar"}
_FONTS = {"boldsymbol", "bm", "mathcal", "mathbb"}
_FUNCTIONS = {"log", "ln", "exp", "max", "min", "sqrt"}
_BIG = {"sum": "sum", "prod": "prod", "max": "max", "min": "min"}
_IGNORED_COMMANDS = {"displaystyle", "limits", "nolimits"}
#: Commands that end a product: operators, separators, the parts of an argument list.
_NOT_FACTORS = {
    "odot",
    "rVert",
    "cdot",
    "times",
    "quad",
    "qquad",
    "mid",
    "parallel",
    "sim",
    "dots",
    "ldots",
    "cdots",
    "\\",
    "end",  # a cases row's condition ends at \end{cases}, with or without a full stop
}


class _Parser:
    def __init__(self, tokens: list[Token], vocabulary: Vocabulary, tex: str) -> None:
        self.tokens = tokens
        self.i = 0
        self.vocabulary = vocabulary
        self.tex = tex

    # -- token helpers --

    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i
        skipped = 0
        while j < len(self.tokens):
            token = self.tokens[j]
            if self._invisible(token):
                j += 1
                continue
            if skipped == ahead:
                return token
            skipped += 1
            j += 1
        return None

    def _invisible(self, token: Token) -> bool:
        """Spacing and sizing that never matter (``\\quad`` does: it separates)."""
        return token.kind == "cmd" and (
            token.value in _SIZES
            or token.value in _IGNORED_COMMANDS
            or (token.value in {",", ";", "!", " ", ":"} and token.value not in {"quad", "qquad"})
        )

    def next(self) -> Token:
        while self.i < len(self.tokens) and self._invisible(self.tokens[self.i]):
            self.i += 1
        if self.i >= len(self.tokens):
            raise TexError("unexpected end of formula")
        token = self.tokens[self.i]
        self.i += 1
        return token

    def at(self, kind: str, value: str | None = None) -> bool:
        token = self.peek()
        return token is not None and token.kind == kind and (value is None or token.value == value)

    def at_char(self, *values: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "char" and token.value in values

    def at_cmd(self, *values: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "cmd" and token.value in values

    def expect_char(self, value: str) -> Token:
        token = self.next()
        if token.kind != "char" or token.value != value:
            raise self.error(f"expected {value!r}", token)
        return token

    def error(self, message: str, token: Token | None = None) -> TexError:
        token = token or self.peek()
        if token is None:
            return TexError(message + " at the end")
        near = self.tex[token.position : token.position + 20]
        return TexError(f"{message} at offset {token.position} ({near!r})")

    # -- relations --

    def relation(self) -> str | None:
        token = self.peek()
        if token is None:
            return None
        if token.kind == "char" and token.value in "=<>":
            return RELATIONS[token.value]
        if token.kind == "char" and token.value == ":" and self._colon_equals():
            return "="
        if token.kind == "cmd" and token.value in RELATIONS:
            return RELATIONS[token.value]
        return None

    def _colon_equals(self) -> bool:
        nxt = self.peek(1)
        return nxt is not None and nxt.kind == "char" and nxt.value == "="

    def take_relation(self) -> str:
        token = self.next()
        if token.kind == "char" and token.value == ":":
            self.next()  # the = of :=
            return "="
        if token.kind == "char":
            return RELATIONS[token.value]
        return RELATIONS[token.value]

    def chain(self, first: Node | None = None) -> Chain:
        start = self.peek()
        offset = start.position if start else len(self.tex)
        operands = [first if first is not None else self.expression()]
        relations = []
        while (relation := self.relation()) is not None:
            self.take_relation()
            relations.append(relation)
            operands.append(self.expression())
        return Chain(tuple(operands), tuple(relations), offset)

    # -- expressions --

    def expression(self) -> Node:
        if self.at_char("-"):
            self.next()
            node: Node = Neg(self.term())
        elif self.at_char("+"):
            self.next()
            node = self.term()
        else:
            node = self.term()
        while self.at_char("+", "-"):
            op = self.next().value
            node = Op(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.factor()
        while True:
            if self.at_cmd("cdot", "times"):
                self.next()
                node = Op("dot", node, self.factor())
            elif self.at_cmd("odot"):
                self.next()
                node = Op("odot", node, self.factor())
            elif self.at_char("/"):
                self.next()
                node = Op("/", node, self.factor())
            elif self.starts_factor():
                node = Op("*", node, self.factor())
            else:
                return node

    def starts_factor(self) -> bool:
        token = self.peek()
        if token is None:
            return False
        if token.kind in ("letter", "number"):
            return True
        if token.kind == "text":
            return True  # a unit
        if token.kind == "char":
            return token.value in "([{"
        if token.kind == "cmd":
            return token.value not in RELATIONS and token.value not in _NOT_FACTORS
        return False

    def factor(self) -> Node:
        node = self.postfix(self.atom())
        return node

    def postfix(self, node: Node) -> Node:
        while True:
            if self.at_char("_"):
                self.next()
                subscripts = self.subscript_group()
                node = self.subscripted(node, subscripts)
            elif self.at_char("^"):
                self.next()
                node = self.superscripted(node)
            elif self.at_char("'"):
                self.next()
                if not isinstance(node, Sym) or node.subscripts:
                    raise self.error("a prime only marks a symbol: y'")
                node = Sym(node.name + "'")
            elif self.at_char("(") and (self.callable(node) or self.dependence_follows()):
                node = self.apply(node)
            else:
                return node

    def callable(self, node: Node) -> bool:
        return isinstance(node, Sym) and self.vocabulary.is_function(node.name)

    def dependence_follows(self) -> bool:
        """``(\\theta)`` or ``(x; \\theta)`` after a symbol: a quantity of the model
        as a function of what it depends on (applied like a function)."""
        depth, j = 0, self.i
        while j < len(self.tokens):
            token = self.tokens[j]
            if token.kind == "char" and token.value == "(":
                depth += 1
            elif token.kind == "char" and token.value == ")":
                depth -= 1
                if depth == 0:
                    return False
            elif depth == 1 and token.kind == "cmd" and token.value == "theta":
                return True
            j += 1
        return False

    def subscript_group(self) -> list[Token]:
        """A subscript: a single token, or a braced group (returned as its tokens,
        read by :meth:`subscripted` once it knows what it subscripts)."""
        if self.at_char("{"):
            self.next()
            depth, tokens = 1, list[Token]()
            while True:
                token = self.tokens[self.i]
                self.i += 1
                if token.kind == "char" and token.value == "{":
                    depth += 1
                elif token.kind == "char" and token.value == "}":
                    depth -= 1
                    if depth == 0:
                        return tokens
                tokens.append(token)
        token = self.next()
        if token.kind == "cmd" and token.value in _GREEK:
            return [token]
        if token.kind in ("letter", "number", "text"):
            return [token]
        raise self.error("a subscript must be a letter, a number or a {group}", token)

    def sub_parser(self, tokens: list[Token]) -> _Parser:
        return _Parser(tokens, self.vocabulary, self.tex)

    def subscripted(self, node: Node, group: list[Token]) -> Node:
        text = "".join(t.value for t in group if t.kind != "cmd" or t.value not in _SIZES)
        if isinstance(node, Sym) and not node.subscripts:
            named = self.vocabulary.named_subscript(node.name, text)
            if named is not None:
                return Sym(named)
        indices = self.indices(group)
        if isinstance(node, Sym) and not node.subscripts:
            return Sym(node.name, tuple(indices))
        if isinstance(node, Call) and node.name == "log" and node.base is None and not node.args:
            return Call("log", (), base=indices[0])
        return Index(node, tuple(indices))

    def indices(self, group: list[Token]) -> list[Node]:
        """``ic`` is two indices, ``i,t_i`` too; ``c \\ne t`` is read by the caller."""
        if any(t.kind == "char" and t.value == "," for t in group):
            parts: list[list[Token]] = [[]]
            for token in group:
                if token.kind == "char" and token.value == ",":
                    parts.append([])
                else:
                    parts[-1].append(token)
            return [self.sub_parser(part).whole_expression() for part in parts]
        if len(group) > 1 and all(t.kind == "letter" for t in group):
            return [Sym(t.value) for t in group]
        return [self.sub_parser(group).whole_expression()]

    def whole_expression(self) -> Node:
        node = self.expression()
        if self.peek() is not None:
            raise self.error("unexpected token")
        return node

    def superscripted(self, node: Node) -> Node:
        if self.transpose_follows():
            return Transpose(node)
        if (
            isinstance(node, Sym)
            and not node.subscripts
            and (self.at_cmd("star") or self.at_char("*"))
        ):
            self.next()  # q^\\star: the optimal q, a symbol of its own
            return Sym(node.name + "*")
        exponent = self.braced() if self.at_char("{") else self.atom()
        if isinstance(node, Sym) and node.name == "e" and not node.subscripts:
            return Call("exp", (exponent,))
        return Op("^", node, exponent)

    def transpose_follows(self) -> bool:
        """``^{\\mathsf T}`` or ``^\\mathsf{T}``: a transpose (consumed); the letter
        ``T`` alone is the temperature."""
        first = self.peek()
        if first is not None and first.kind == "text" and first.value.strip() == "T":
            self.next()
            return True
        second, third = self.peek(1), self.peek(2)
        if (
            self.at_char("{")
            and second is not None
            and second.kind == "text"
            and second.value.strip() == "T"
            and third is not None
            and third.kind == "char"
            and third.value == "}"
        ):
            self.next(), self.next(), self.next()
            return True
        return False

    def braced(self) -> Node:
        self.expect_char("{")
        node = self.chain_or_expression("}")
        self.expect_char("}")
        return node

    def chain_or_expression(self, close: str) -> Node:
        node = self.expression()
        if self.relation() is not None:
            chain = self.chain(node)
            return chain
        return node

    def apply(self, function: Node) -> Node:
        """``f(a, b)``; ``\\hat y_c(x; \\theta)`` is entry ``c`` of ``\\hat y(x; \\theta)``."""
        if not isinstance(function, Sym):
            raise self.error("only a symbol can be applied to arguments")
        args, separator = self.arguments()
        call = Call(function.name, tuple(args), separator)
        return Index(call, function.subscripts) if function.subscripts else call

    def arguments(self) -> tuple[list[Node], str]:
        self.expect_char("(")
        args: list[Node] = []
        separator = ","
        while True:
            args.append(self.argument())
            if self.at_char(","):
                self.next()
                continue
            if self.at_cmd("parallel", "|", "mid") or self.at_char("\\|", "|", ";"):
                token = self.next()
                separator = {"parallel": "\\|", "mid": "|", "|": "|", ";": ";"}.get(
                    token.value, token.value
                )
                continue
            break
        self.expect_char(")")
        return args, separator

    def argument(self) -> Node:
        if self.at_cmd("cdot"):  # p(\\cdot \\mid x): the whole distribution
            self.next()
            return Sym("cdot")
        node = self.expression()
        if self.relation() is not None:  # p(t = c \mid x): an event
            return self.chain(node)
        return node

    # -- atoms --

    def atom(self) -> Node:
        token = self.next()
        if token.kind == "number":
            return Num(float(token.value))
        if token.kind == "letter":
            return Sym(token.value)
        if token.kind == "text":
            if token.command in {"mathbf", "mathsf", "mathit", "mathrm"}:
                return Sym(token.value.strip())  # a variable in another font
            return Unit(token.value.strip())
        if token.kind == "char":
            return self.char_atom(token)
        return self.command_atom(token)

    def char_atom(self, token: Token) -> Node:
        if token.value == "(":
            items = [self.expression()]
            while self.at_char(","):
                self.next()
                items.append(self.expression())
            self.expect_char(")")
            return items[0] if len(items) == 1 else Tuple(tuple(items))
        if token.value == "[":
            inner = self.expression()
            if self.relation() is not None:
                chain = self.chain(inner)
                self.expect_char("]")
                return Iverson(chain)
            self.expect_char("]")
            return Bracket(inner)
        if token.value == "{":
            node = self.expression()
            self.expect_char("}")
            return node
        raise self.error(f"unexpected {token.value!r}", token)

    def command_atom(self, token: Token) -> Node:
        name = token.value
        if name in _GREEK:
            return Sym(name)
        if name in _ACCENTS:
            inner = self.accent_operand()
            return Sym(f"{_ACCENTS[name]} {inner}")
        if name in _FONTS:
            group = self.subscript_group()
            text = "".join(t.value for t in group)
            if name == "mathbb" and text == "E":
                return self.expectation()
            if name == "mathbb":
                raise self.error(f"\\mathbb{{{text}}} is a set, not a value", token)
            if name == "mathcal":  # \\mathcal N: a name of its own, not N
                return Sym(f"cal {text}")
            return Sym(text)
        if name == "frac" or name in {"dfrac", "tfrac"}:
            return self.fraction()
        if name in {"sum", "prod"}:
            return self.big_operator(name)
        if name in {"max", "min"}:
            if self.at_char("_"):
                return self.big_operator(name)
            return self.function(name)
        if name in {"log", "ln", "exp", "sqrt"}:
            return self.function(name)
        if name == "operatorname":
            return self.named_function(self.next().value.strip())
        if name == "arg":
            raise self.error(
                "\\arg\\max and \\arg\\min are not values (mark the formula unchecked)", token
            )
        if name == "partial":
            raise self.error("\\partial outside \\frac{\\partial ...}{\\partial ...}", token)
        if name == "underbrace":
            return self.underbrace()
        if name in ("lVert", "Vert"):  # \lVert W \rVert: the Euclidean (Frobenius) norm
            operand = self.expression()
            closing = self.next()
            if closing.kind != "cmd" or closing.value not in ("rVert", "Vert"):
                raise self.error("\\lVert needs its \\rVert", closing)
            return Call("norm", (operand,))
        if name == "begin":
            return self.environment()
        if name == "infty":
            return Num(float("inf"))
        if name == "pi":
            return Num(math.pi)
        if name in {"dots", "ldots", "cdots"}:
            raise self.error("an ellipsis is not a value (mark the formula unchecked)", token)
        raise self.error(f"unknown command \\{name}", token)

    def accent_operand(self) -> str:
        if self.at_char("{"):
            group = self.subscript_group()
            if len(group) != 1:
                raise self.error("an accent takes one letter")
            return group[0].value
        token = self.next()
        if token.kind == "letter" or (token.kind == "cmd" and token.value in _GREEK):
            return token.value
        raise self.error("an accent takes one letter", token)

    def named_function(self, name: str) -> Node:
        node: Node = Sym(name)
        if self.vocabulary.is_function(name):
            if self.at_char("("):
                return self.apply(node)
            if self.at_char("_"):  # \operatorname{softmax}_c(z)? not used
                raise self.error(f"write \\operatorname{{{name}}}(...)_c, not _c(...)")
            # applied like \log: \operatorname{softplus} x
            return Call(name, (self.factor(),))
        return node

    def function(self, name: str) -> Node:
        base: Node | None = None
        if name == "log" and self.at_char("_"):
            self.next()
            group = self.subscript_group()
            base = self.sub_parser(group).whole_expression()
        if name == "sqrt":
            return Call("sqrt", (self.braced(),))
        if self.at_char("("):
            args, _ = self.arguments()
            if len(args) != 1 and name not in {"max", "min"}:
                raise self.error(f"\\{name} takes one argument")
            return Call(name, tuple(args), base=base)
        # The factor that follows, a big operator with its body included.
        return Call(name, (self.factor(),), base=base)

    def fraction(self) -> Node:
        numerator_tokens = self.subscript_group()
        denominator_tokens = self.subscript_group()
        if (
            numerator_tokens
            and numerator_tokens[0].kind == "cmd"
            and numerator_tokens[0].value == "partial"
        ):
            return self.derivative(numerator_tokens, denominator_tokens)
        numerator = self.sub_parser(numerator_tokens).whole_expression()
        denominator = self.sub_parser(denominator_tokens).whole_expression()
        return Op("/", numerator, denominator)

    def derivative(self, numerator: list[Token], denominator: list[Token]) -> Node:
        order = 1
        rest = numerator[1:]
        if rest and rest[0].kind == "char" and rest[0].value == "^":
            order = int(rest[1].value)
            rest = rest[2:]
        if not denominator or denominator[0].kind != "cmd" or denominator[0].value != "partial":
            raise self.error("the denominator of a derivative is \\partial v")
        wrt = self.sub_parser(denominator[1:]).whole_expression()
        if isinstance(wrt, Op) and wrt.op == "^":  # \partial z^2
            wrt = wrt.left
        if not isinstance(wrt, Sym):
            raise self.error("a derivative is taken with respect to a symbol")
        # \frac{\partial f}{\partial v}, or the operator form \frac{\partial}{\partial v} f
        of = self.sub_parser(rest).whole_expression() if rest else self.term()
        return Derivative(of, wrt, order)

    def big_operator(self, name: str) -> Node:
        var, lower, upper, condition = "", None, None, None
        if self.at_char("_"):
            self.next()
            group = self.subscript_group()
            var, lower, condition = self.range_of(group)
        if self.at_char("^"):
            self.next()
            upper = self.braced() if self.at_char("{") else self.atom()
        if not var:
            raise self.error(f"\\{name} needs its index: \\{name}_{{c=1}}^{{K}} or \\{name}_c")
        # The body is the product that follows; \sum_i -\log a_i sums negatives.
        if self.at_char("-"):
            self.next()
            body: Node = Neg(self.term())
        else:
            body = self.term()
        return Reduce(_BIG[name], var, lower, upper, condition, body)

    def range_of(self, group: list[Token]) -> tuple[str, Node | None, Chain | None]:
        """``c=1``, ``c``, ``c \\ne t``, ``k``: the index, its lower bound, a condition."""
        parser = self.sub_parser(group)
        first = parser.next()
        if first.kind == "letter" or (first.kind == "cmd" and first.value in _GREEK):
            var = first.value
        else:
            raise self.error("the index of a sum is a letter", first)
        if parser.peek() is None:
            return var, None, None
        if parser.at_char("="):
            parser.next()
            return var, parser.whole_expression(), None
        if parser.at_char(":"):  # \sum_{c:\, p_c > 0}: a condition on the index
            parser.next()
            chain = parser.chain()
            if parser.peek() is not None:
                raise self.error("unexpected token in the range of a sum")
            return var, None, chain
        chain = parser.chain(Sym(var))
        if parser.peek() is not None:
            raise self.error("unexpected token in the range of a sum")
        return var, None, chain

    def expectation(self) -> Node:
        if not self.at_char("_"):
            raise self.error("\\mathbb{E} needs what it averages over: \\mathbb{E}_{c \\sim p}")
        self.next()
        group = self.subscript_group()
        parser = self.sub_parser(group)
        names: list[str] = []
        if parser.at_char("("):
            parser.next()
            while not parser.at_char(")"):
                token = parser.next()
                if token.kind == "letter":
                    names.append(token.value)
            parser.next()
        else:
            token = parser.next()
            names.append(token.value)
        if not parser.at_cmd("sim"):
            raise self.error("write \\mathbb{E}_{c \\sim p}")
        parser.next()
        distribution = parser.whole_expression()
        if self.at_char("["):
            self.next()
            body = self.expression()
            self.expect_char("]")
        else:
            body = self.term()
        return Expectation(tuple(names), distribution, body)

    def underbrace(self) -> Node:
        inner = self.braced()
        if self.at_char("_"):
            self.next()
            group = self.subscript_group()
            if group and group[0].kind == "char" and group[0].value == "=":
                claim = self.sub_parser(group[1:]).whole_expression()
                return _Underbraced(inner, claim)
        return inner

    def environment(self) -> Node:
        name = self.next_braced_text()
        if name != "cases":
            raise self.error(f"the environment {name} is not supported inside an expression")
        rows: list[tuple[Node, Chain | None]] = []
        while True:
            value = self.expression()
            condition: Chain | None = None
            if self.at_char("&"):
                self.next()
                if self.at("text") and self.peek() and self.peek().value.strip() == "otherwise":  # type: ignore[union-attr]
                    self.next()
                else:
                    first = self.expression()
                    condition = self.chain(first)
            if self.at_char(",", "."):
                self.next()
            rows.append((value, condition))
            if self.at_cmd("\\"):
                self.next()
                continue
            if self.at_cmd("end"):
                self.next()
                self.next_braced_text()
                return Cases(tuple(rows))
            raise self.error("unexpected token in cases")

    def next_braced_text(self) -> str:
        self.expect_char("{")
        parts = []
        while not self.at_char("}"):
            parts.append(self.next().value)
        self.next()
        return "".join(parts)


@dataclass(frozen=True)
class _Underbraced(Node):
    """``\\underbrace{y_t}_{=1}``: the value, and the claim made of it."""

    operand: Node
    claim: Node


Underbraced = _Underbraced


# --- statements ---------------------------------------------------------------------

_ENVIRONMENT = re.compile(r"\\(?:begin|end)\{(?:aligned|align\*?|gathered|split)\}")
_LABEL = re.compile(r"\\label\{[^}]*\}")


@dataclass(frozen=True)
class Statement:
    """One relation chain of a formula, and where it starts in the TeX."""

    chain: Chain
    text: str  # the TeX of the statement, for messages


def _split_top_level(
    tokens: list[Token], is_separator: Callable[[Token], bool]
) -> Iterator[list[Token]]:
    depth, part = 0, list[Token]()
    for token in tokens:
        if token.kind == "char" and token.value in "([{":
            depth += 1
        elif token.kind == "char" and token.value in ")]}":
            depth -= 1
        elif token.kind == "cmd" and token.value == "begin":
            depth += 1
        elif token.kind == "cmd" and token.value == "end":
            depth -= 1
        if depth == 0 and is_separator(token):
            yield part
            part = []
            continue
        part.append(token)
    yield part


def _is_row_break(token: Token) -> bool:
    return token.kind == "cmd" and token.value == "\\"


def _separates(vocabulary: Vocabulary) -> Callable[[Token], bool]:
    """Top-level commas, semicolons, quads and connecting words (``\\text{ for }``,
    but not a unit such as ``\\text{ bits}``) separate statements."""

    def is_separator(token: Token) -> bool:
        if token.kind == "char":
            return token.value in ",;"
        if token.kind == "cmd":
            return token.value in {"quad", "qquad"}
        return (
            token.kind == "text"
            and token.command == "text"
            and not vocabulary.is_unit(token.value.strip())
        )

    return is_separator


def _strip(part: list[Token]) -> list[Token]:
    """A statement's tokens without the alignment marks of ``aligned`` (those of a
    ``cases`` inside it stay), connecting words and closing punctuation."""
    kept, depth = [], 0
    for token in part:
        if token.kind == "cmd" and token.value in ("begin", "end"):
            depth += 1 if token.value == "begin" else -1
        if depth == 0 and token.kind == "char" and token.value == "&":
            continue
        kept.append(token)
    while kept and kept[-1].kind == "char" and kept[-1].value in ".,:;":
        kept.pop()
    if len(kept) == 1 and kept[0].kind == "text" and kept[0].command == "text":
        return []
    return kept


def parse_formula(tex: str, vocabulary: Vocabulary) -> list[Statement]:
    """The statements of a display formula, in order."""
    source = _LABEL.sub("", _ENVIRONMENT.sub("", tex))
    tokens = tokenize(source)
    statements: list[Statement] = []
    for row in _split_top_level(tokens, _is_row_break):
        for part in _split_top_level(row, _separates(vocabulary)):
            kept = _strip(part)
            if not kept:
                continue
            # a connecting phrase before the statement: "\text{that is}"
            while kept and kept[0].kind == "text" and kept[0].command == "text":
                kept = kept[1:]
            if not kept:
                continue
            parser = _Parser(kept, vocabulary, source)
            text = source[kept[0].position : _end_of(kept[-1], source)]
            if parser.relation() is not None and statements:
                previous = statements[-1]
                chain = parser.chain(previous.chain.operands[-1])
                merged = Chain(
                    previous.chain.operands + chain.operands[1:],
                    previous.chain.relations + chain.relations,
                    previous.chain.offset,
                )
                statements[-1] = Statement(merged, previous.text + " " + text)
            else:
                chain = parser.chain()
                statements.append(Statement(chain, text))
            if parser.peek() is not None:
                raise parser.error("unexpected token")
    return statements


def _end_of(token: Token, source: str) -> int:
    if token.kind == "text":
        end = source.find("}", token.position)
        return end + 1 if end != -1 else len(source)
    return token.position + len(token.value) + (1 if token.kind == "cmd" else 0)
