r"""The rows of ``reference.neuron``: the affine map, the ReLU and the neuron's activation (§5).

The functions JAX differentiates are ``verification.neuron``'s, the ones the training loop runs.
"""

from __future__ import annotations

from functools import partial

import numpy as np

import reference
from verification import strategies
from verification.neuron import affine, neuron_activation, relu
from verification.rules import domains
from verification.rules.rule import RowFields, Rule, SpecialPoint, per_argument

RELU_NOTE = "d/dz max(0, z) is taken as 0 at z = 0 (D2); inputs keep |z| >= 0.1, the tie is tested separately"


def neuron_inputs(dtype):
    """``(w, b, x)``: one neuron's weights, bias and input, |w·x + b| >= 0.1."""
    return strategies.neuron_inputs(dtype=dtype)


def relu_points(dtype):
    """``(x,)``: a vector with every |xᵢ| >= 0.1."""
    return strategies.relu_points(dtype=dtype)


_NEURON: RowFields = dict(args=("w", "b", "x"), inputs=neuron_inputs)

RULES: tuple[Rule, ...] = (
    *per_argument(dict(name="affine_dw", formula="∂(w·x + b)/∂w = xᵀ", derivative=reference.affine_grad_w),
                  dict(name="affine_db", formula="∂(w·x + b)/∂b = 1", derivative=reference.affine_grad_b),
                  section="§5", function=affine, primal=reference.affine, **_NEURON),
    Rule(name="relu_scalar", formula="d max(0,z)/dz = 1[z > 0]", section="§5", args=("z",), function=relu,
         primal=reference.relu, derivative=reference.relu_derivative,
         inputs=partial(domains.scalar, min_magnitude=strategies.KINK_MARGIN, allow_zero=False), note=RELU_NOTE),
    Rule(name="relu_broadcast", formula="∂max(0,x)/∂x = diag(1[xᵢ > 0])", section="§5", args=("x",), function=relu,
         primal=reference.relu, derivative=reference.relu_jacobian, inputs=relu_points,
         note=RELU_NOTE + "; an n×n Jacobian (D5)"),
    *per_argument(dict(name="neuron_activation_dw", formula="∂max(0, w·x+b)/∂w = 1[z > 0]·xᵀ",
                       derivative=reference.neuron_activation_grad_w),
                  dict(name="neuron_activation_db", formula="∂max(0, w·x+b)/∂b = 1[z > 0]",
                       derivative=reference.neuron_activation_grad_b),
                  section="§5", function=neuron_activation, primal=reference.neuron_activation, note=RELU_NOTE, **_NEURON),
    Rule(name="ext_neuron_dx", formula="∂max(0, w·x + b)/∂x = 1[z > 0]·wᵀ", section="Parr & Howard §5 (dot_dx ∘ relu_scalar)",
         source="extension", function=neuron_activation, primal=reference.neuron_activation,
         derivative=reference.neuron_activation_grad_x, wrt=2, note=RELU_NOTE, **_NEURON),
)

_ON_THE_KINK = (np.array([1.0, -2.0]), 0.0, np.array([2.0, 1.0]))
"""(w, b, x) with w·x + b = 0 exactly."""

SPECIAL_POINTS: tuple[SpecialPoint, ...] = (
    SpecialPoint("relu_scalar", (0.0,), "the kink: d/dz max(0, z) = 0 at z = 0 (D2)"),
    SpecialPoint("relu_scalar", (-0.0,), "negative zero is on the kink too"),
    SpecialPoint("relu_broadcast", (np.array([-1.0, 0.0, 2.0]),), "one entry on the kink: diag(0, 0, 1)"),
    SpecialPoint("neuron_activation_dw", _ON_THE_KINK, "w·x + b = 0 exactly"),
    SpecialPoint("neuron_activation_db", _ON_THE_KINK, "w·x + b = 0 exactly"),
)
"""Checked against every oracle in both lanes by the tests; JAX agrees at the kink because
``jax.nn.relu`` takes 0 there (``jnp.maximum`` would give 0.5)."""
