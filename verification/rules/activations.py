"""The rows of ``reference.activations``: the sigmoid, tanh and softplus derivatives, with
``jax.nn``'s functions as the JAX side."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import reference
from verification.rules import domains
from verification.rules.rule import RowFields, Rule


def sigmoid_and_tanh(z):
    r"""$[\sigma(\mathbf{z}), \tanh(\mathbf{z})]$, shape (2, n), with ``jax.nn.sigmoid``."""
    return jnp.stack([jax.nn.sigmoid(z), jnp.tanh(z)])


def sigmoid_and_tanh_numpy(z):
    """:func:`sigmoid_and_tanh` with ``reference.sigmoid``."""
    return np.stack([reference.sigmoid(z), np.tanh(z)])


def sigmoid_and_tanh_jacobian(z):
    """Both derivatives as diagonal Jacobians, shape (2, n, n)."""
    return np.stack([np.diag(reference.sigmoid_derivative(z)), np.diag(reference.tanh_derivative(z))])


def activation_points(dtype):
    """``(z,)``: |z| up to 50, the flat tails (|z| >= 40, where 1 − σ(z) rounds to 0) and the middle."""
    return domains.vector(dtype, max_magnitude=50.0)


_ACTIVATION: RowFields = dict(source="extension", args=("z",), inputs=activation_points,
                              note="|z| up to 50, the saturated tails included")

RULES: tuple[Rule, ...] = (
    Rule(name="ext_sigmoid_tanh", formula="σ′ = σ(1 − σ), tanh′ = 1 − tanh²: ∂(σ(z), tanh(z))/∂z = (diag σ′, diag tanh′)",
         section="Wikipedia: Logistic function, Hyperbolic functions", function=sigmoid_and_tanh, primal=sigmoid_and_tanh_numpy,
         derivative=sigmoid_and_tanh_jacobian,
         references=(reference.sigmoid_derivative, reference.tanh_derivative, reference.sigmoid), **_ACTIVATION),
    Rule(name="ext_softplus_derivative", formula="d log(1 + eᶻ)/dz = σ(z)", section="Wikipedia: Softplus",
         function=jax.nn.softplus, primal=reference.softplus,
         derivative=lambda z: reference.unary_jacobian(reference.softplus_derivative(z)),
         references=(reference.softplus_derivative,), **_ACTIVATION),
)
