"""crossentropy_site.formulas: display formulas read and evaluated at random points.

The reader and the evaluator are held to textbook identities that must pass, and to
the slips of the pen that must fail: a flipped sign, a dropped factor or square, a
swapped argument, a wrong index.
"""

from __future__ import annotations

import pytest
from crossentropy_site.formulas import check_formula, directives_of
from crossentropy_site.formulas.tex import Call, Index, Op, Reduce, Sym, TexError, parse_formula
from crossentropy_site.formulas.world import vocabulary

TRUE = {
    "cross-entropy as an expectation": (
        r"H(p, q) = \mathbb{E}_{c \sim p}\bigl[-\log q_c\bigr]"
        r" = -\sum_{c=1}^{K} p_c \log q_c"
    ),
    "entropy, cross-entropy and KL": (
        r"H(p, q) = H(p) + D_{\mathrm{KL}}(p \parallel q),"
        r" \qquad D_{\mathrm{KL}}(p \parallel q) \ge 0"
    ),
    "bits": r"H_2(p, q) = \frac{H(p, q)}{\ln 2}",
    "log-softmax": (
        r"\log \hat y_c = z_c - \log \sum_{k=1}^{K} e^{z_k} = z_c - \operatorname{logsumexp}(z)"
    ),
    "the shift of log-sum-exp": (
        r"\operatorname{logsumexp}(z) = m + \log \sum_{k=1}^{K} e^{z_k - m}"
    ),
    "gradient": r"\frac{\partial L}{\partial z_c} = \hat y_c - y_c",
    "gradient, vector form": r"\frac{\partial L}{\partial z} = \operatorname{softmax}(z) - y",
    "Jacobian entries": (
        r"\frac{\partial \hat y_c}{\partial z_k} = \hat y_c \,(\delta_{ck} - \hat y_k)"
    ),
    "Jacobian matrix": (
        r"\frac{\partial \hat y}{\partial z}"
        r" = \operatorname{diag}(\hat y) - \hat y \hat y^{\mathsf T}"
    ),
    "weights": (
        r"\frac{\partial J}{\partial W} = \frac{1}{n} X^{\mathsf T} (\hat Y - Y), \qquad"
        r"\frac{\partial J}{\partial b} = \frac{1}{n} \sum_{i=1}^{n} (\hat y_i - y_i)"
    ),
    "the loss through the probabilities": (
        r"\frac{\partial L}{\partial \hat y_c} = -\frac{y_c}{\hat y_c}"
    ),
    "binary gradient": r"\frac{\partial L}{\partial z} = \sigma(z) - y = \hat p - y",
    "binary softmax": r"\operatorname{softmax}\bigl((0, z)\bigr)_2 = \sigma(z)",
    "aligned, with a continued row": (
        "\\begin{aligned}\nL &= -\\sum_{c=1}^{K} y_c \\log \\hat y_c \\\\\n"
        "  &= \\operatorname{logsumexp}(z) - \\sum_{c=1}^{K} y_c z_c .\n\\end{aligned}"
    ),
    "units": r"1 \text{ nat} = \frac{1}{\ln 2} \text{ bits}",
    "the likelihood": (
        r"\log \operatorname{Lik}(\theta) = \sum_{i=1}^{n} \log \hat y_{i,t_i}(\theta)"
        "\n% check: y one-hot"
    ),
    "the cost as an expectation over the data": (
        r"J(\theta) = \mathbb{E}_{(x, t) \sim \tilde p}\bigl[-\log \hat y_t(x; \theta)\bigr]"
        "\n% check: y one-hot"
    ),
    "conditional entropy plus the expected divergence": (
        r"J(\theta) = H(t \mid x) + \mathbb{E}_{x \sim \tilde p}\bigl["
        r"D_{\mathrm{KL}}\bigl(\tilde p(\cdot \mid x) \parallel \hat y(x; \theta)\bigr)\bigr]"
        "\n% check: y one-hot, inputs repeat, n = 8"
    ),
    "the maximum-likelihood estimate": (
        r"q^\star_c = \frac{N_c}{n}" "\n% check: y one-hot, n = 12, rtol = 1e-5"
    ),
    "the second derivative": (
        r"\frac{\partial}{\partial z_k} \frac{\partial L}{\partial z_c}"
        r" = \hat y_c (\delta_{ck} - \hat y_k)"
        "\n% check: rtol = 1e-5"
    ),
}

FALSE = {
    "a flipped sign": r"\frac{\partial L}{\partial z_c} = \hat y_c + y_c",
    "a flipped sign in a sum": r"H(p, q) = \sum_{c=1}^{K} p_c \log q_c",
    "swapped arguments": r"H(p, q) = H(q) + D_{\mathrm{KL}}(q \parallel p)",
    "a dropped square": (
        r"\frac{\partial \hat y}{\partial z} = \operatorname{diag}(\hat y) - \hat y"
    ),
    "a dropped factor": r"\frac{\partial J}{\partial W} = X^{\mathsf T} (\hat Y - Y)",
    "a wrong index": (
        r"\frac{\partial \hat y_c}{\partial z_k} = \hat y_k \,(\delta_{ck} - \hat y_k)"
    ),
    "a wrong inequality": r"D_{\mathrm{KL}}(p \parallel q) \le 0",
    "a wrong base": r"H_2(p, q) = H(p, q) \ln 2",
    "a wrong underbrace": ("L = -\\underbrace{y_t}_{=0} \\log \\hat y_t\n% check: y one-hot"),
}


@pytest.mark.parametrize("tex", TRUE.values(), ids=TRUE.keys())
def test_true_formulas_pass(tex: str) -> None:
    assert check_formula(tex) == []


@pytest.mark.parametrize("tex", FALSE.values(), ids=FALSE.keys())
def test_slips_of_the_pen_fail(tex: str) -> None:
    problems = check_formula(tex)
    assert problems, tex
    assert all(
        any(word in p.message for word in ("fails at a random point", "claims", "shapes"))
        for p in problems
    ), problems


def test_a_failure_names_the_relation_the_point_and_both_sides() -> None:
    (problem,) = check_formula(r"\frac{\partial L}{\partial z_c} = \hat y_c + y_c")
    assert r"\hat y_c + y_c" in problem.message
    assert "relation 1 (=)" in problem.message
    assert "K=" in problem.message
    assert "c=" in problem.message
    assert "left " in problem.message
    assert "right " in problem.message


def test_sums_take_the_product_that_follows_them() -> None:
    (statement,) = parse_formula(r"a = \sum_c p_c \log q_c - 1", vocabulary)
    right = statement.chain.operands[1]
    assert isinstance(right, Op)
    assert right.op == "-"
    assert isinstance(right.left, Reduce)
    assert isinstance(right.left.body, Op)
    assert right.left.body.op == "*"


def test_log_takes_the_factor_or_the_big_operator_after_it() -> None:
    (statement,) = parse_formula(r"a = \log \hat y_c + \log \sum_k e^{z_k}", vocabulary)
    total = statement.chain.operands[1]
    assert isinstance(total, Op)
    assert isinstance(total.left, Call)
    assert total.left.args == (Sym("hat y", (Sym("c"),)),)
    assert isinstance(total.right, Call)
    assert isinstance(total.right.args[0], Reduce)


def test_functions_apply_and_model_quantities_take_their_parameters() -> None:
    (statement,) = parse_formula(r"J(\theta) = \sigma(z) \hat y_c(x; \theta)", vocabulary)
    assert statement.chain.operands[0] == Call("J", (Sym("theta"),))
    product = statement.chain.operands[1]
    assert isinstance(product, Op)
    assert isinstance(product.left, Call)
    assert product.right == Index(Call("hat y", (Sym("x"), Sym("theta")), ";"), (Sym("c"),))


def test_a_parenthesis_after_a_quantity_is_a_product_without_parameters() -> None:
    (statement,) = parse_formula(r"a = \hat y_c \,(\delta_{ck} - \hat y_k)", vocabulary)
    product = statement.chain.operands[1]
    assert isinstance(product, Op)
    assert product.op == "*"


def test_two_letter_subscripts_are_two_indices_and_names_stay_names() -> None:
    (statement,) = parse_formula(r"\hat y_{ic} = L_{\text{sq}} + H_2(p, q)", vocabulary)
    assert statement.chain.operands[0] == Sym("hat y", (Sym("i"), Sym("c")))
    right = statement.chain.operands[1]
    assert isinstance(right, Op)
    assert right.left == Sym("L_sq")
    assert isinstance(right.right, Call)
    assert right.right.name == "H_2"


def test_statements_split_at_commas_and_quads() -> None:
    statements = parse_formula(
        r"y' = (1 - \varepsilon)\, y + \frac{\varepsilon}{K}, \qquad 0 \le \varepsilon \le 1 .",
        vocabulary,
    )
    assert [len(s.chain.relations) for s in statements] == [1, 2]


def test_unknown_commands_are_errors_not_guesses() -> None:
    with pytest.raises(TexError, match="unknown command"):
        parse_formula(r"a = \frob{b}", vocabulary)
    (problem,) = check_formula(r"a = \frob{b}")
    assert "cannot read the formula" in problem.message


def test_a_symbol_outside_the_notation_fails() -> None:
    (problem,) = check_formula(r"\zeta = 1")
    assert "not in the notation" in problem.message


def test_the_true_class_needs_one_hot_targets() -> None:
    (problem,) = check_formula(r"L = -\log \hat y_t")
    assert "one-hot" in problem.message
    assert check_formula("L = -\\log \\hat y_t\n% check: y one-hot") == []


def test_an_approximation_needs_its_tolerance() -> None:
    tex = r"\frac{\partial L}{\partial z_c} \approx \frac{L(z + h e_c) - L(z - h e_c)}{2h}"
    (problem,) = check_formula(tex)
    assert "tolerance" in problem.message
    assert check_formula(tex + "\n% check: rtol = 1e-6") == []


def test_unchecked_needs_a_reason() -> None:
    assert check_formula("\\arg\\max_q f(q)\n% unchecked: a maximiser, not a value") == []
    with pytest.raises(TexError, match="reason"):
        directives_of("a = b\n% unchecked:")


def test_a_formula_without_a_relation_must_say_why() -> None:
    (problem,) = check_formula(r"\hat y_c")
    assert "no relation" in problem.message


def test_binary_formulas_are_told_by_their_symbols() -> None:
    assert directives_of(r"L = -\log \hat p").settings.family == "binary"
    assert directives_of(r"L = -\log \hat y_t").settings.family == "categorical"
    assert directives_of("L = y\n% check: binary").settings.family == "binary"


def test_pinned_values_hold_in_every_world() -> None:
    assert check_formula("K = 3\n% check: K = 3") == []
    assert check_formula("K = 4\n% check: K = 3")
