r"""The row of ``reference.normalization``: layer normalisation's Jacobian."""

from __future__ import annotations

import jax.numpy as jnp
from hypothesis import strategies as st

import reference
from reference.normalization import EPS
from verification import strategies
from verification.rules.rule import Rule


def layer_norm(x, gamma, beta, eps=EPS):
    r"""$\mathbf{y} = \boldsymbol{\gamma} \otimes (\mathbf{x} - \mu)/\sqrt{\sigma^2 + \varepsilon} + \boldsymbol{\beta}$, with the biased variance, in ``jax.numpy``."""
    centred = x - jnp.mean(x)
    return gamma * centred / jnp.sqrt(jnp.mean(centred**2) + eps) + beta


def layer_norm_inputs(dtype):
    """``(x, γ, β)`` of one length."""
    return strategies.sizes().flatmap(lambda n: st.tuples(*(strategies.vectors(dtype=dtype, n=n) for _ in range(3))))


RULES: tuple[Rule, ...] = (
    Rule(name="ext_layer_norm_jacobian", formula="∂(γ⊗(x − μ)/√(σ² + ε) + β)/∂x = r·diag(γ)(I − 1⃗1⃗ᵀ/n − x̂x̂ᵀ/n)",
         section="Ba, Kiros & Hinton 2016", source="extension", args=("x", "gamma", "beta"), function=layer_norm,
         primal=reference.layer_norm, derivative=lambda x, gamma, beta: reference.layer_norm_jacobian(x, gamma),
         inputs=layer_norm_inputs, references=(reference.layer_norm_jacobian,), note="ε = 1e-5, the default"),
)
