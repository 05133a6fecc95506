"""The checker on JAX users' code as they write it: parameters in pytrees (dicts, lists of layers,
NamedTuples, registered dataclasses, equinox modules, nested dicts), pytree outputs, every form,
integer labels beside float data; correct derivatives pass in both lanes, at a point and over
drawn points, and the mistakes users really make fail with a report naming the leaf.

The hand derivatives are textbook backpropagation in NumPy, written from the chain rule."""

import dataclasses
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import strategies as st

from verification import check_derivative, verify_derivative
from verification import strategies as S

RNG = np.random.default_rng(7)
N, D = 5, 3
X = RNG.standard_normal((N, D))


def _params():
    return {"W1": RNG.standard_normal((D, D)), "b1": RNG.standard_normal(D),
            "W2": RNG.standard_normal((D, D)), "b2": RNG.standard_normal(D)}


PARAMS = _params()


def mlp(W1, b1, W2, b2, x):
    """mean((tanh(x W1 + b1) W2 + b2)²)."""
    return jnp.mean((jnp.tanh(x @ W1 + b1[None]) @ W2 + b2[None]) ** 2)


def mlp_backward(W1, b1, W2, b2, x):
    """Backpropagation by hand: the gradients of :func:`mlp` w.r.t. W1, b1, W2, b2 and x."""
    h = np.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    dout = 2 * out / out.size
    dz1 = (dout @ W2.T) * (1 - h ** 2)
    return x.T @ dz1, dz1.sum(0), h.T @ dout, dout.sum(0), dz1 @ W1.T


def dict_loss(p, x):
    return mlp(p["W1"], p["b1"], p["W2"], p["b2"], x)


def dict_grad(p, x):
    gW1, gb1, gW2, gb2, _ = mlp_backward(p["W1"], p["b1"], p["W2"], p["b2"], x)
    return {"W1": gW1, "b1": gb1, "W2": gW2, "b2": gb2}


def layers_loss(layers, x):
    (W1, b1), (W2, b2) = layers
    return mlp(W1, b1, W2, b2, x)


def layers_grad(layers, x):
    (W1, b1), (W2, b2) = layers
    gW1, gb1, gW2, gb2, _ = mlp_backward(W1, b1, W2, b2, x)
    return [(gW1, gb1), (gW2, gb2)]


class Params(NamedTuple):
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray


@jax.tree_util.register_dataclass
@dataclasses.dataclass
class DataParams:
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    activation: str = dataclasses.field(default="tanh", metadata={"static": True})


class Mlp(eqx.Module):
    W1: jax.Array
    b1: jax.Array
    W2: jax.Array
    b2: jax.Array
    name: str = eqx.field(static=True, default="mlp")


def fields_loss(p, x):
    return mlp(p.W1, p.b1, p.W2, p.b2, x)


def fields_grad(cls):
    def grad(p, x):
        gW1, gb1, gW2, gb2, _ = mlp_backward(p.W1, p.b1, p.W2, p.b2, x)
        return cls(W1=gW1, b1=gb1, W2=gW2, b2=gb2)
    return grad


def nested_loss(p, x):
    return mlp(p["enc"]["W"], p["enc"]["b"], p["dec"]["W"], p["dec"]["b"], x)


def nested_grad(p, x):
    gW1, gb1, gW2, gb2, _ = mlp_backward(p["enc"]["W"], p["enc"]["b"], p["dec"]["W"], p["dec"]["b"], x)
    return {"enc": {"W": gW1, "b": gb1}, "dec": {"W": gW2, "b": gb2}}


def both_loss(p, x):
    return dict_loss(p, x)


def both_grad(p, x):
    gW1, gb1, gW2, gb2, gx = mlp_backward(p["W1"], p["b1"], p["W2"], p["b2"], x)
    return {"W1": gW1, "b1": gb1, "W2": gW2, "b2": gb2}, gx


def two_outputs(x):
    return jnp.sin(x), x ** 2


def two_outputs_jacobian(x):
    return np.diag(np.cos(x)), np.diag(2 * x)


def two_outputs_vjp(x, u):
    return np.cos(x) * u[0] + 2 * x * u[1]


def pair(p):
    return p["a"] * jnp.sin(p["b"])


def pair_jvp(p, t):
    return t["a"] * np.sin(p["b"]) + p["a"] * np.cos(p["b"]) * t["b"]


def quartic(p):
    return jnp.sum(p["a"] ** 2 * p["b"])


def quartic_hvp(p, v):
    a, b = p["a"], p["b"]
    return {"a": 2 * b * v["a"] + 2 * a * v["b"], "b": 2 * a * v["a"]}


LABELS = np.array([0, 2, 1, 2, 0])


def cross_entropy(p, batch):
    logits = batch["x"] @ p["W1"] + p["b1"][None]
    return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(N), batch["y"]])


def cross_entropy_grad(p, batch):
    assert batch["y"].dtype.kind == "i", "integer labels stay integers"
    z = batch["x"] @ p["W1"] + p["b1"]
    e = np.exp(z - z.max(1, keepdims=True))
    s = e / e.sum(1, keepdims=True)
    s[np.arange(N), batch["y"]] -= 1
    s /= N
    return {"W1": batch["x"].T @ s, "b1": s.sum(0)}


P = PARAMS
AB = {"a": RNG.standard_normal(4), "b": RNG.standard_normal(4)}
CORRECT = {
    "params dict": (dict_loss, dict_grad, (P, X), {}),
    "list of (W, b) layers": (layers_loss, layers_grad, ([(P["W1"], P["b1"]), (P["W2"], P["b2"])], X), {}),
    "NamedTuple": (fields_loss, fields_grad(Params), (Params(**P), X), {}),
    "registered dataclass": (fields_loss, fields_grad(DataParams), (DataParams(**P), X), {}),
    "equinox module": (fields_loss, fields_grad(Mlp), (Mlp(**{k: jnp.asarray(v) for k, v in P.items()}), X), {}),
    "nested dicts": (nested_loss, nested_grad,
                     ({"enc": {"W": P["W1"], "b": P["b1"]}, "dec": {"W": P["W2"], "b": P["b2"]}}, X), {}),
    "wrt=(0, 1) over (params, x)": (both_loss, both_grad, (P, X), {"wrt": (0, 1)}),
    "tuple output, jacobian": (two_outputs, two_outputs_jacobian, (RNG.standard_normal(3),), {}),
    "tuple output, vjp": (two_outputs, two_outputs_vjp, (RNG.standard_normal(3),), {"form": "vjp"}),
    "jvp over a dict": (pair, pair_jvp, (AB,), {"form": "jvp"}),
    "hvp over a dict": (quartic, quartic_hvp, (AB,), {"form": "hvp"}),
    "integer labels in a batch dict": (cross_entropy, cross_entropy_grad,
                                       ({"W1": P["W1"], "b1": P["b1"]}, {"x": X, "y": LABELS}), {}),
}


@pytest.mark.parametrize("case", CORRECT.values(), ids=CORRECT.keys())
def test_correct_pytree_derivatives_pass_in_both_lanes(case):
    f, derivative, args, kwargs = case
    result = check_derivative(f, derivative, *args, **kwargs)
    assert result.passed, str(result)
    assert result.dtypes == ("float64", "float32")


def _swap(g, a, b):
    g = dict(g)
    g[a], g[b] = g[b], g[a]
    return g


# planted mistakes: (f, wrong derivative, args, kwargs, the leaf the report must name, what it must say)
PLANTED = {
    "two same-shaped leaves swapped": (
        dict_loss, lambda p, x: _swap(dict_grad(p, x), "W1", "W2"), (P, X), {},
        "args[0]['W1']", "the derivative of args[0]['W1'] is in args[0]['W2'] and vice versa"),
    "a leaf transposed": (
        dict_loss, lambda p, x: {**dict_grad(p, x), "W2": dict_grad(p, x)["W2"].T}, (P, X), {},
        "args[0]['W2']", "transposed"),
    "a factor missing on one leaf": (
        dict_loss, lambda p, x: {**dict_grad(p, x), "b2": dict_grad(p, x)["b2"] / 2}, (P, X), {},
        "args[0]['b2']", "constant factor"),
    "a bias gradient not summed over the batch": (
        dict_loss, lambda p, x: {**dict_grad(p, x), "b1": np.tile(dict_grad(p, x)["b1"] / N, (N, 1))}, (P, X), {},
        "args[0]['b1']", "a bias gradient not summed over the batch"),
    "layers in reverse order": (
        layers_loss, lambda layers, x: layers_grad(layers, x)[::-1],
        ([(P["W1"], P["b1"]), (P["W2"], P["b2"])], X), {},
        "args[0][0][0]", "the derivative of args[0][0][0] is in args[0][1][0] and vice versa"),
    "a missing key": (
        dict_loss, lambda p, x: {k: v for k, v in dict_grad(p, x).items() if k != "b2"}, (P, X), {},
        "", "missing: ['b2']"),
    "the cotangent of one output ignored": (
        two_outputs, lambda x, u: np.cos(x) * u[0], (RNG.standard_normal(3),), {"form": "vjp"},
        "args[0]", "DISAGREES with jax.vjp"),
    "a jvp over a dict missing one tangent": (
        pair, lambda p, t: t["a"] * np.sin(p["b"]), (AB,), {"form": "jvp"}, "args[0]", "DISAGREES with jax.jvp"),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", PLANTED.values(), ids=PLANTED.keys())
def test_planted_mistakes_fail_naming_the_leaf(case, dtype):
    f, derivative, args, kwargs, leaf, phrase = case
    result = check_derivative(f, derivative, *args, dtype=dtype, **kwargs)
    report = str(result)
    assert not result.passed
    assert phrase in report, report
    if leaf:
        assert f"w.r.t. {leaf} DISAGREES" in report or f"{leaf} (" in report, report


def test_a_structure_mismatch_is_a_failed_check_not_a_crash():
    """A list where a dict is expected, a leaf of the wrong shape, a NamedTuple of the wrong class."""
    for wrong in (lambda p, x: list(dict_grad(p, x).values()),
                  lambda p, x: {**dict_grad(p, x), "W1": dict_grad(p, x)["W1"][:2]}):
        result = check_derivative(dict_loss, wrong, P, X, dtype="float32")
        assert not result.passed and ("wrong structure" in str(result) or "shape" in str(result)), str(result)


def test_integer_leaves_of_other_arguments_keep_their_dtype():
    seen = []
    check_derivative(cross_entropy, lambda p, b: seen.append(b["y"].dtype) or cross_entropy_grad(p, b),
                     {"W1": P["W1"], "b1": P["b1"]}, {"x": X, "y": LABELS}, dtype="float32")
    assert seen and all(d.kind == "i" for d in seen)


def _param_strategy(dtype):
    leaf = {"max_magnitude": 2.0}
    return st.tuples(S.pytrees({"W1": S.arrays(dtype=dtype, shape=(D, D), **leaf), "b1": S.vectors(dtype=dtype, n=D, **leaf),
                                "W2": S.arrays(dtype=dtype, shape=(D, D), **leaf), "b2": S.vectors(dtype=dtype, n=D, **leaf)}),
                     S.arrays(dtype=dtype, shape=(N, D), **leaf))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_verify_draws_pytrees_and_shrinks_a_failure_to_a_pytree(dtype):
    assert verify_derivative(dict_loss, dict_grad, _param_strategy, points=32, dtype=dtype).passed
    wrong = verify_derivative(dict_loss, lambda p, x: {**dict_grad(p, x), "b2": dict_grad(p, x)["b2"] * 1.01},
                              _param_strategy, points=32, dtype=dtype)
    assert not wrong.passed and wrong.failing_args is not None
    params, _ = wrong.failing_args
    assert sorted(params) == ["W1", "W2", "b1", "b2"]
    assert "args[0]['b2']" in str(wrong.failure)
