"""Every rule against JAX: every rule × every applicable oracle × both lanes on hypothesis-drawn
points of its domain, through the same public checker a user calls (``verify_derivative``); a
third witness that shares no code with JAX (central differences of the NumPy primal); and
fixed points of the rules beyond the paper against ``jax.jacfwd`` / ``jax.hessian`` directly.

The number of drawn points per rule and lane is the active hypothesis profile's ``max_examples``.
"""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
from verification import RULES
from verification.precision import DTYPES
from verification.rules import get_rule
from verification.verify import verify_rules

LANES = [pytest.param(dtype, id=name) for name, dtype in DTYPES.items()]
TEST = "test_rule_matches_every_oracle"


@pytest.fixture(scope="session")
def verified(request) -> dict:
    """Every rule selected in the test below, verified once in each selected lane, in one worker
    process per core (each rule is independent), with the active profile's number of examples."""
    selected: dict[np.dtype, list] = {}
    for item in request.session.items:
        if getattr(item, "originalname", None) == TEST:
            params = item.callspec.params
            selected.setdefault(np.dtype(params["dtype"]), []).append(params["rule"])
    rules = list({rule.name: rule for chosen in selected.values() for rule in chosen}.values())
    results = verify_rules(rules, dtype=list(selected), examples=settings.default.max_examples, jobs=os.cpu_count() or 1)
    return {(result.rule.name, result.dtype): result for result in results}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@pytest.mark.parametrize("dtype", LANES)
def test_rule_matches_every_oracle(rule, dtype, verified):
    result = verified[rule.name, np.dtype(dtype).name]
    assert result.passed, result.report
    assert result.examples >= settings.default.max_examples
    # every oracle of the row's form was compared, and agreed
    assert set(rule.oracles) <= set(result.oracles), sorted(result.oracles)


@pytest.mark.parametrize("rule", [r for r in RULES if r.form == "jacobian"], ids=lambda r: r.name)
@given(data=st.data())
def test_finite_differences_agree(rule, data):
    """A third witness that shares no code with JAX: central differences of the NumPy primal.

    Tolerance: the central-difference error is about ε^(2/3) ≈ 4e-11 times the magnitude of the
    function and its derivatives here (values up to ~1e5 for y⁸ at |y| <= 4), so 1e-6 relative
    to that magnitude is loose for the method yet 1e5 times tighter than any planted mistake;
    plus four times the truncation error, estimated from the same differences at half the step.
    """
    args = data.draw(rule.inputs(np.dtype(np.float64)), label="args")
    hand = rule.derivative(*args)
    hand = hand if isinstance(hand, tuple) else (hand,)
    for k, argnum in enumerate(rule.wrt_indices):
        def along(a, argnum=argnum):
            return rule.primal(*args[:argnum], a, *args[argnum + 1:])

        fd = reference.finite_difference_jacobian(along, args[argnum])
        # where f curves sharply (layer norm of a nearly constant row, third derivative ~ eps^-1.5)
        # the truncation error exceeds the bound above; the same differences at half the step measure it
        half = reference.finite_difference_jacobian(along, args[argnum], step=np.cbrt(np.finfo(np.float64).eps) / 2)
        truncation = 4 / 3 * np.abs(half - fd)
        magnitude = max(1.0, float(np.max(np.abs(along(args[argnum])), initial=0.0)), float(np.max(np.abs(hand[k]), initial=0.0)))
        assert fd.shape == np.shape(hand[k])
        np.testing.assert_array_less(np.abs(hand[k] - fd), 1e-6 * magnitude + 1e-6 * np.abs(fd) + 4 * truncation,
                                     err_msg=f"{rule.name} w.r.t. {rule.args[argnum]}")


# --- fixed points of the rules beyond the paper, against JAX directly ------------------------

_rng = np.random.default_rng(20261202)
_x3, _y3 = _rng.normal(size=3), _rng.normal(size=3)
_A3 = _rng.normal(size=(3, 3)) + 3 * np.eye(3)  # diagonally dominant: well conditioned
_W23, _X42, _W23b = _rng.normal(size=(2, 3)), _rng.normal(size=(4, 2)), _rng.normal(size=(2, 3))
_dY43, _b3 = _rng.normal(size=(4, 3)), _rng.normal(size=3)
_Xb, _yb = np.array([[1.0, 2], [-1, 0.5], [0.3, -2], [2, 1]]), np.array([1.0, -1, 0.5, 2])
_wb = np.array([0.7, -0.4, 0.2])  # z = Xw + b = [0.1+0.2, …]: no tie
_soft = np.array([0.2, 0.5, 0.3])
HUGE = np.array([1e3, -1e3, 0.0, 999.0])


def function_of(name):
    """The function JAX differentiates in the row called ``name``."""
    return get_rule(name).function


# (id, JAX function, argnums, hand derivative, args, "jacobian" | "hessian" | "vjp")
AGAINST_JAX = [
    ("matvec_dx", function_of("ext_matvec_dx"), 1, reference.matvec_jacobian_x, (_W23, _x3), "jacobian"),
    ("matvec_dW", function_of("ext_matvec_dW_tensor"), 0, reference.matvec_jacobian_W, (_W23, _x3), "jacobian"),
    ("affine_vjp", function_of("ext_affine_layer_grads"), (0, 1, 2), reference.affine_layer_grads, (_X42, _W23b, _b3, _dY43), "vjp"),
    ("softmax_jacobian", jax.nn.softmax, 0, reference.softmax_jacobian, (_x3,), "jacobian"),
    ("softmax_jacobian_huge", jax.nn.softmax, 0, reference.softmax_jacobian, (HUGE,), "jacobian"),
    ("log_softmax_jacobian", jax.nn.log_softmax, 0, reference.log_softmax_jacobian, (1e3 * _x3,), "jacobian"),
    ("logsumexp_grad", jax.nn.logsumexp, 0, reference.logsumexp_grad, (HUGE,), "jacobian"),
    ("logsumexp_hessian", jax.nn.logsumexp, 0, reference.logsumexp_hessian, (_x3,), "hessian"),
    ("xent_soft", function_of("ext_softmax_xent_soft"), 0, reference.softmax_cross_entropy_grad, (_x3, _soft), "jacobian"),
    ("xent_any_y", function_of("ext_softmax_xent_any_y"), 0, reference.softmax_cross_entropy_grad,
     (HUGE, np.array([2.0, -1, 0.5, 0])), "jacobian"),
    ("sigmoid", jax.nn.sigmoid, 0, lambda z: np.diag(reference.sigmoid_derivative(z)), (np.array([-40.0, -3, 0.5, 40]),), "jacobian"),
    ("tanh", jnp.tanh, 0, lambda z: np.diag(reference.tanh_derivative(z)), (np.array([-40.0, -3, 0.5, 40]),), "jacobian"),
    ("softplus", jax.nn.softplus, 0, lambda z: np.diag(reference.softplus_derivative(z)), (np.array([-40.0, -3, 0.5, 40]),), "jacobian"),
    ("quadratic_form_grad", function_of("ext_quadratic_form"), 0, reference.quadratic_form_grad, (_x3, _A3), "jacobian"),
    ("quadratic_form_hessian", function_of("ext_quadratic_form_hessian"), 0, lambda x, A: reference.quadratic_form_hessian(A),
     (_x3, _A3), "hessian"),
    ("sq_norm_grad", function_of("ext_sq_norm"), 0, reference.sq_norm_grad, (_x3,), "jacobian"),
    ("l2_norm_grad", function_of("ext_l2_norm"), 0, reference.l2_norm_grad, (_x3,), "jacobian"),
    ("frobenius_sq_grad", function_of("ext_frobenius_sq"), 0, reference.frobenius_sq_grad, (_W23,), "jacobian"),
    ("least_squares_grad", function_of("ext_least_squares"), 0, reference.least_squares_grad, (_wb[:2], _Xb, _yb), "jacobian"),
    ("neuron_dx", function_of("ext_neuron_dx"), 2, reference.neuron_activation_grad_x, (_wb[:2], _wb[2], _Xb[0]), "jacobian"),
    ("mse_hessian", function_of("ext_neuron_mse_hessian"), 0, get_rule("ext_neuron_mse_hessian").derivative, (_wb, _Xb, _yb), "hessian"),
    ("mse_hessian_tie", function_of("ext_neuron_mse_hessian"), 0, get_rule("ext_neuron_mse_hessian").derivative,
     (np.array([1.0, 1, -1]), np.array([[0.5, 0.5], [2, 1], [0, 0]]), np.array([1.0, 3, 2])), "hessian"),
    ("layer_norm_jacobian", function_of("ext_layer_norm_jacobian"), 0, lambda x, g, b: reference.layer_norm_jacobian(x, g),
     (_x3, _y3, _b3), "jacobian"),
    ("logdet_grad", function_of("ext_logdet_grad"), 0, reference.logdet_grad, (_A3,), "jacobian"),
    ("logdet_grad_negative_det", function_of("ext_logdet_grad"), 0, reference.logdet_grad, (-_A3,), "jacobian"),
    ("inverse_jacobian", jnp.linalg.inv, 0, reference.inverse_jacobian, (_A3,), "jacobian"),
    ("trace_product_grad", function_of("ext_trace_product_grad"), 0, reference.trace_product_grad, (_W23, _W23b.T), "jacobian"),
    ("sexp_sub_dx", jnp.subtract, 0, reference.scalar_sub_jacobian_x, (_x3, np.float64(0.7)), "jacobian"),
    ("sexp_sub_dz", jnp.subtract, 1, reference.scalar_sub_jacobian_z, (_x3, np.float64(0.7)), "jacobian"),
    ("sexp_div_dx", jnp.divide, 0, reference.scalar_div_jacobian_x, (_x3, np.float64(0.7)), "jacobian"),
    ("sexp_div_dz", jnp.divide, 1, reference.scalar_div_jacobian_z, (_x3, np.float64(0.7)), "jacobian"),
]


def jax_derivative(function, argnums, args, form):
    """JAX's derivative in float64: the Jacobian, the Hessian, or (``vjp``) the pullback of the
    last argument through ``function`` of the others."""
    with jax.enable_x64(True):
        args = tuple(jnp.asarray(a) for a in args)
        if form == "hessian":
            result = jax.hessian(function, argnums)(*args)
        elif form == "vjp":
            _, pullback = jax.vjp(function, *args[:-1])
            result = pullback(args[-1])
        else:
            result = jax.jacfwd(function, argnums)(*args)
        return jax.tree.map(np.asarray, result)


@pytest.mark.parametrize(("function", "argnums", "derivative", "args", "form"), [case[1:] for case in AGAINST_JAX],
                         ids=[case[0] for case in AGAINST_JAX])
def test_against_jax_at_fixed_points(function, argnums, derivative, args, form, close):
    expected = jax_derivative(function, argnums, args, form)
    hand = derivative(*args)
    if form != "vjp":
        hand, expected = (hand,), (expected,)
    for h, e in zip(hand, expected, strict=True):
        assert h.dtype == np.float64 and e.dtype == np.float64
        # a few dozen roundings of terms no larger than the largest entry or argument
        scale = max(1.0, float(np.abs(e).max()), max(float(np.abs(a).max()) for a in args if np.size(a)))
        close(h, e, scale=scale, ulps=64)


def test_mse_hessian_against_a_finite_difference_of_the_gradient(close):
    # Inside a fixed active set the gradient (2/N)Σ_{i∈A} eᵢx̂ᵢ is affine in ŵ, so a central
    # difference of it has no truncation error: only the rounding of the two gradients, each
    # ~eps·scale, divided by the step 2h.
    w, b, X, y = _wb[:2], _wb[2], _Xb, _yb
    h = 1e-3
    assert np.abs(X @ w + b).min() > 10 * h * (np.abs(X).sum(1).max() + 1)  # no sample changes side
    columns = []
    for k in range(3):
        step = np.zeros(3)
        step[k] = h
        plus = reference.mse_loss_grad_folded(_wb + step, reference.append_ones(X), y)
        minus = reference.mse_loss_grad_folded(_wb - step, reference.append_ones(X), y)
        columns.append((plus - minus) / (2 * h))
    scale = 2 * np.abs(np.hstack([X, np.ones((4, 1))])).sum(0).max() * (np.abs(X @ w + b) + np.abs(y)).max()
    close(reference.mse_loss_hessian(w, b, X, y), np.stack(columns, axis=1), scale=scale / h)
