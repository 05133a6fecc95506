r"""The rows of ``reference.softmax``: softmax, log-softmax, log-sum-exp (its gradient, Hessian and
Hessian-vector product) and the softmax cross-entropy, with ``jax.nn``'s functions as the JAX side."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from hypothesis import strategies as st

import reference
from verification import strategies
from verification.rules import domains
from verification.rules.rule import RowFields, Rule

HUGE_LOGITS = "logits up to |z| = 1e3 (no overflow: shifted by the maximum)"


def softmax_cross_entropy(z, y):
    r"""$L = -\sum_i y_i \log\operatorname{softmax}(\mathbf{z})_i$ over the last axis, summed over any leading (batch) axes."""
    return -jnp.sum(y * jax.nn.log_softmax(z, axis=-1))


def logits(dtype):
    """``(z,)``: logits up to |z| = 1e3."""
    return strategies.logits(dtype=dtype).map(lambda z: (z,))


def long_logits(dtype):
    """``(z,)``: :data:`~verification.rules.domains.LARGE` logits up to |z| = 30."""
    # |z| <= 30: every sᵢ ≥ e^{-60} stays a normal float32, where XLA on CPU flushes subnormal
    # results to 0 and NumPy keeps them (a difference of 1e-38 the per-entry tolerance rejects);
    # the log-sum-exp Hessian row checks logits up to 1e3.
    return domains.seeded(dtype, [(domains.LARGE,)], 30.0)


def logits_and(labels):
    """The domain ``(z, y)``: logits and labels of the same length, labels drawn by ``labels(dtype=, n=)``."""
    def domain(dtype):
        return strategies.sizes().flatmap(lambda n: st.tuples(strategies.logits(dtype=dtype, n=n), labels(dtype=dtype, n=n)))
    return domain


_LOGITS: RowFields = dict(section="Wikipedia: Softmax function", source="extension", args=("z",), inputs=logits, note=HUGE_LOGITS)
_LOGSUMEXP: RowFields = dict(_LOGITS, section="Boyd & Vandenberghe §3.1.5", function=jax.nn.logsumexp, primal=reference.logsumexp)
_CROSS_ENTROPY: RowFields = dict(_LOGITS, args=("z", "y"), function=softmax_cross_entropy, primal=reference.softmax_cross_entropy,
                      derivative=reference.softmax_cross_entropy_grad)

RULES: tuple[Rule, ...] = (
    Rule(name="ext_softmax_jacobian", formula="∂softmax(z)/∂z = diag(s) − s·sᵀ", function=jax.nn.softmax, primal=reference.softmax,
         derivative=reference.softmax_jacobian, **_LOGITS),
    Rule(name="ext_log_softmax_jacobian", formula="∂(z − lse(z))/∂z = I − 1⃗·sᵀ", function=jax.nn.log_softmax,
         primal=reference.log_softmax, derivative=reference.log_softmax_jacobian, **_LOGITS),
    Rule(name="ext_logsumexp_grad", formula="∂lse(z)/∂z = softmax(z)ᵀ", derivative=reference.logsumexp_grad, **_LOGSUMEXP),
    Rule(name="ext_logsumexp_hessian", formula="∂²lse(z)/∂z² = diag(s) − s·sᵀ", derivative=reference.logsumexp_hessian,
         form="hessian", **_LOGSUMEXP),
    Rule(name="ext_logsumexp_hvp", formula="∇²lse(z)·v = s⊗(v − s·v)", derivative=reference.logsumexp_hvp, form="hvp",
         **dict(_LOGSUMEXP, inputs=long_logits, note=f"n = {domains.LARGE}, no Hessian formed; logits up to |z| = 30")),
    Rule(name="ext_softmax_xent", formula="∂(−yᵀlog softmax(z))/∂z = s − y   [y one-hot]",
         **dict(_CROSS_ENTROPY, inputs=logits_and(strategies.one_hot))),
    Rule(name="ext_softmax_xent_soft", formula="∂(−yᵀlog softmax(z))/∂z = s − y   [y on the simplex]",
         **dict(_CROSS_ENTROPY, inputs=logits_and(strategies.probability_vectors))),
    Rule(name="ext_softmax_xent_any_y", formula="∂(−yᵀlog softmax(z))/∂z = s·Σyᵢ − y   [any real y]",
         **dict(_CROSS_ENTROPY, inputs=logits_and(strategies.vectors))),
)
