"""The harness must reject wrong rules: each planted mistake fails, and the report names the
rule, the worst entry, and (where one fits) the explanation.  Without these, a green run of
the property tests would prove nothing."""

import dataclasses

import numpy as np
import pytest

import reference as R
from verification import check_derivative
from verification.compare import compare, format_comparison
from verification.rules import SPECIAL_POINTS, get_rule
from verification.verify import check_example, verify_rule


def _planted(name, wrong):
    return dataclasses.replace(get_rule(name), derivative=wrong)


def _mse_grad_w_over_active(w, b, X, y):
    """(2/|A|) Σ_{i∈A} e_i x_i: the average over active samples only (the A5 bug)."""
    active = (X @ w + b > 0).sum()
    return R.mse_loss_grad_w(w, b, X, y) * X.shape[0] / max(active, 1)


PLANTED = {
    "transposed Jacobian": (
        _planted("ew_binary_general_jacobian", lambda w, x: get_rule("ew_binary_general_jacobian").derivative(w, x).T),
        "transposed"),
    "sign flip": (_planted("ew_sub_dx", lambda w, x: -R.sub_jacobian_x(w, x)), "sign is flipped"),
    "missing factor 2": (_planted("mse_grad_w", lambda *a: R.mse_loss_grad_w(*a) / 2), "0.5 × oracle"),
    "off by 1e-3 relative": (_planted("ew_unary_diag", lambda x: R.unary_jacobian((1 - np.tanh(x) ** 2) * 1.001)), "1.001 × oracle"),
    "dropped term (direct path of the total derivative)": (
        _planted("chain_total_derivative", lambda x: R.total_derivative(np.zeros(()), np.stack([x, np.cos(x**3)]), np.stack([2 * x, 3 * x**2]))), ""),
    "divide by |A| instead of N": (_planted("mse_grad_w", _mse_grad_w_over_active), "constant factor"),
    "w⊘x w.r.t. x without the minus": (
        _planted("ew_div_dx", lambda w, x: np.diag(w / x**2)), "sign is flipped"),
    "diagonal assumed where it does not hold": (
        _planted("ew_binary_general_jacobian", lambda w, x: np.diag(np.sin(x) * (np.sum(w) + w))), "off-diagonal"),
    "chain rule factors in the wrong order": (
        _planted("chain_total_derivative_aliased", lambda x: R.total_derivative(np.zeros(()), np.stack([x, np.cos(x**3)]), np.stack([2 * x, 3 * x**2]))),
        ""),
}


@pytest.mark.parametrize("rule, hint", PLANTED.values(), ids=PLANTED.keys())
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_planted_mistake_is_rejected(rule, hint, dtype):
    result = verify_rule(rule, dtype=dtype, examples=100)
    assert not result.passed, f"{rule.name}: the planted mistake went unnoticed"
    message = result.report
    assert f"{rule.name}: derivative" in message and "DISAGREES" in message
    assert f"worst entry: {result.failure.worst_index}" in message
    assert hint in message
    assert result.failure.oracle == rule.oracles[0]  # the first comparison that failed, as the report lists them


def test_relu_derivative_one_at_the_kink_is_rejected():
    """Random points never reach z = 0, so the tie is planted at the special point."""
    wrong = _planted("relu_scalar", lambda z: (np.asarray(z) >= 0).astype(float))
    point = next(p for p in SPECIAL_POINTS if p.rule == "relu_scalar")
    result = check_derivative(wrong.function, wrong.derivative, *point.args, **wrong.check_arguments())
    assert {c.oracle for c in result.failures} == {"jacfwd", "jacrev", "grad"}
    message = str(result)
    assert "relu_scalar: derivative" in message and "worst entry: ()" in message and "D2" in message
    assert "not differentiable" in message


def test_neuron_tie_at_zero_is_rejected():
    wrong = _planted("neuron_activation_db", lambda w, b, x: np.asarray(float(w @ x + b >= 0)))
    point = next(p for p in SPECIAL_POINTS if p.rule == "neuron_activation_db")
    assert not all(c.ok for c in check_example(wrong, *point.args))


def test_wrong_primal_is_reported_before_any_derivative():
    wrong = dataclasses.replace(get_rule("ew_mul_dw"), primal=np.add)
    comparisons = check_example(wrong, np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert len(comparisons) == 1 and comparisons[0].oracle == "value" and not comparisons[0].ok


def test_shape_mismatch_is_reported_never_broadcast():
    # a (1, n) row against JAX's (n,): the values agree after broadcasting, the layout does not
    c = compare(np.array([[1.0, 2.0]]), np.array([1.0, 2.0]), rule="dot_dw", oracle="grad")
    assert not c.ok and c.shape_mismatch
    assert "shape mismatch: derivative (1, 2), oracle (2,)" in format_comparison(c)


def test_comparison_lists_worst_entries_first():
    expected = np.array([[1.0, 0.0], [0.0, 1.0]])
    actual = np.array([[1.0, 0.0], [0.3, 5.0]])
    c = compare(actual, expected, rule="r", oracle="jacfwd")
    assert (c.n_mismatch, c.worst_index) == (2, (1, 1))
    assert [m[0] for m in c.mismatches] == [(1, 1), (1, 0)]
    assert "mismatched elements: 2 / 4 (50.0%)" in format_comparison(c)


def test_nan_in_the_reference_is_a_mismatch():
    c = compare(np.array([np.nan, 1.0]), np.array([1.0, 1.0]), rule="r", oracle="jacrev")
    assert not c.ok and c.worst_index == (0,) and "NaN" in c.hint


def test_correct_rule_passes_the_same_checks():
    """The should-pass twin of the planted mistakes: the real rules pass the same runner."""
    for name in ("ew_binary_general_jacobian", "ew_sub_dx", "mse_grad_w", "ew_div_dx", "chain_total_derivative_aliased"):
        result = verify_rule(get_rule(name), examples=32)
        assert result.passed, result.report
