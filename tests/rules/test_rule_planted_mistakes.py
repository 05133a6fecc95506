"""The harness must reject wrong rules: each planted mistake fails, and the report names the
rule, the worst entry, and (where one fits) the explanation.  Without these, a green run of
the property tests would prove nothing."""

import dataclasses

import numpy as np
import pytest

import reference
from verification import check_derivative
from verification.compare import compare, format_comparison
from verification.rules import SPECIAL_POINTS, get_rule
from verification.verify import check_example, verify_rule


def planted(name, wrong):
    """The rule called ``name`` with the derivative ``wrong``."""
    return dataclasses.replace(get_rule(name), derivative=wrong)


def mse_grad_w_over_active(w, b, X, y):
    """(2/|A|) Σ_{i∈A} e_i x_i: the average over active samples only, not over all N (D3)."""
    active = (X @ w + b > 0).sum()
    return reference.mse_loss_grad_w(w, b, X, y) * X.shape[0] / max(active, 1)


def mse_hessian_without_bias_coupling(w_hat, X, y):
    """The w–b blocks dropped: the wrong block of the Hessian."""
    H = reference.mse_loss_hessian(w_hat[:-1], w_hat[-1], X, y)
    H[:-1, -1] = H[-1, :-1] = 0
    return H


def total_derivative_without_direct_path(x):
    return reference.total_derivative(np.zeros(()), np.stack([x, np.cos(x**3)]), np.stack([2 * x, 3 * x**2]))


# (planted rule, a phrase the report must contain: the harness's explanation where it has one),
# each checked on drawn points of the rule's domain, as the rule itself is.
DRAWN = {
    "transposed Jacobian": (
        planted("ew_binary_general_jacobian", lambda w, x: get_rule("ew_binary_general_jacobian").derivative(w, x).T),
        "transposed"),
    "sign flip": (planted("ew_sub_dx", lambda w, x: -reference.sub_jacobian_x(w, x)), "sign is flipped"),
    "missing factor 2": (planted("mse_grad_w", lambda *a: reference.mse_loss_grad_w(*a) / 2), "0.5 × oracle"),
    "off by 1e-3 relative": (
        planted("ew_unary_diag", lambda x: reference.unary_jacobian((1 - np.tanh(x) ** 2) * 1.001)), "1.001 × oracle"),
    "dropped term (direct path of the total derivative)": (planted("chain_total_derivative", total_derivative_without_direct_path), ""),
    "divide by |A| instead of N": (planted("mse_grad_w", mse_grad_w_over_active), "constant factor"),
    "w⊘x w.r.t. x without the minus": (planted("ew_div_dx", lambda w, x: np.diag(w / x**2)), "sign is flipped"),
    "diagonal assumed where it does not hold": (
        planted("ew_binary_general_jacobian", lambda w, x: np.diag(np.sin(x) * (np.sum(w) + w))), "off-diagonal"),
    "chain rule factors in the wrong order": (planted("chain_total_derivative_aliased", total_derivative_without_direct_path), ""),
}

_rng = np.random.default_rng(20261202)
_x3 = _rng.normal(size=3)
_A3 = _rng.normal(size=(3, 3)) + 3 * np.eye(3)  # diagonally dominant: well conditioned
_X42, _W23, _b3 = _rng.normal(size=(4, 2)), _rng.normal(size=(2, 3)), _rng.normal(size=3)
_Xb, _yb = np.array([[1.0, 2], [-1, 0.5], [0.3, -2], [2, 1]]), np.array([1.0, -1, 0.5, 2])
_wb = np.array([0.7, -0.4, 0.2])  # ŵ = [w; b]: no sample on the kink

# (planted rule, a point of its domain, a phrase the report must contain).  Fixed points keep
# these cheap: no shrinking, one compile each.
AT_A_POINT = {
    "transposed 3-tensor (denominator layout)": (
        planted("ext_matvec_dW_tensor", lambda W, x: np.moveaxis(reference.matvec_jacobian_W(W, x), 0, -1)), (_A3, _x3), "transposed"),
    "softmax Jacobian without −ssᵀ": (planted("ext_softmax_jacobian", lambda z: np.diag(reference.softmax(z))), (_x3,), ""),
    "cross-entropy gradient with the wrong sign": (
        planted("ext_softmax_xent", lambda z, y: -reference.softmax_cross_entropy_grad(z, y)), (_x3, np.array([0.0, 1, 0])),
        "sign is flipped"),
    "log-sum-exp Hessian off by a factor 2": (
        planted("ext_logsumexp_hessian", lambda z: 2 * reference.logsumexp_hessian(z)), (_x3,), "2 × oracle"),
    "quadratic-form Hessian 2A (not symmetric)": (
        planted("ext_quadratic_form_hessian", lambda x, A: 2 * A), (_x3, _A3), "the Hessian is not symmetric"),
    "MSE Hessian without the w–b blocks": (planted("ext_neuron_mse_hessian", mse_hessian_without_bias_coupling), (_wb, _Xb, _yb), ""),
    "log-det gradient A⁻¹ instead of A⁻ᵀ": (planted("ext_logdet_grad", lambda A: np.linalg.inv(A)), (_A3,), "transposed"),
    "affine layer dW as dYᵀX reshaped to W's shape": (
        planted("ext_affine_layer_grads", lambda X, W, b, dY: (dY @ W.T, (dY.T @ X).reshape(W.shape), dY.sum(0))),
        (_X42, _W23, _b3), ""),
}


@pytest.mark.parametrize("rule, hint", DRAWN.values(), ids=DRAWN.keys())
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_planted_mistake_is_rejected_on_drawn_points(rule, hint, dtype):
    result = verify_rule(rule, dtype=dtype, examples=100)
    assert not result.passed, f"{rule.name}: the planted mistake went unnoticed"
    message = result.report
    assert f"{rule.name}: derivative" in message and "DISAGREES" in message
    assert f"worst entry: {result.failure.worst_index}" in message
    assert hint in message
    assert result.failure.oracle == rule.oracles[0]  # the first comparison that failed, as the report lists them


@pytest.mark.parametrize(("rule", "args", "hint"), AT_A_POINT.values(), ids=AT_A_POINT.keys())
def test_planted_mistake_is_rejected_at_a_point(rule, args, hint):
    result = check_derivative(rule.function, rule.derivative, *args, dtype="float64", **rule.check_arguments())
    assert not result.passed, f"{rule.name}: the planted mistake went unnoticed"
    report = str(result)
    assert f"{rule.name}: derivative" in report and "DISAGREES" in report
    assert hint in report


def test_relu_derivative_one_at_the_kink_is_rejected():
    """Random points never reach z = 0, so the tie is planted at the special point."""
    wrong = planted("relu_scalar", lambda z: (np.asarray(z) >= 0).astype(float))
    point = next(p for p in SPECIAL_POINTS if p.rule == "relu_scalar")
    result = check_derivative(wrong.function, wrong.derivative, *point.args, **wrong.check_arguments())
    assert {c.oracle for c in result.failures} == {"jacfwd", "jacrev", "grad"}
    message = str(result)
    assert "relu_scalar: derivative" in message and "worst entry: ()" in message and "D2" in message
    assert "not differentiable" in message


def test_neuron_tie_at_zero_is_rejected():
    wrong = planted("neuron_activation_db", lambda w, b, x: np.asarray(float(w @ x + b >= 0)))
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
