"""The rows of ``reference.expansion``: a vector against a scalar expanded to its length (§4.3),
and the two operators the paper leaves out (subtraction and division)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

import reference
from verification import strategies
from verification.rules import domains
from verification.rules.rule import RowFields, Rule, per_argument


def vector_and_divisor(dtype):
    """``(x, z)``: a vector and a scalar with |z| >= 0.1."""
    return st.tuples(strategies.vectors(dtype=dtype), strategies.nonzero(dtype=dtype, shape=()))


_PAPER: RowFields = dict(section="§4.3", args=("x", "z"), inputs=domains.vector_and_scalar)
_EXTENDED: RowFields = dict(_PAPER, section="Parr & Howard §4.3, extended", source="extension")

RULES: tuple[Rule, ...] = (
    *per_argument(dict(name="sexp_add_dx", formula="∂(x+z)/∂x = I", derivative=reference.scalar_add_jacobian_x),
                  dict(name="sexp_add_dz", formula="∂(x+z)/∂z = 1⃗", derivative=reference.scalar_add_jacobian_z),
                  function=jnp.add, primal=np.add, **_PAPER),
    *per_argument(dict(name="sexp_mul_dx", formula="∂(x·z)/∂x = I·z", derivative=reference.scalar_mul_jacobian_x),
                  dict(name="sexp_mul_dz", formula="∂(x·z)/∂z = x", derivative=reference.scalar_mul_jacobian_z),
                  function=jnp.multiply, primal=np.multiply, **_PAPER),
    *per_argument(dict(name="ext_sexp_sub_dx", formula="∂(x − z)/∂x = I", derivative=reference.scalar_sub_jacobian_x),
                  dict(name="ext_sexp_sub_dz", formula="∂(x − z)/∂z = −1⃗", derivative=reference.scalar_sub_jacobian_z),
                  function=jnp.subtract, primal=np.subtract, **_EXTENDED),
    *per_argument(dict(name="ext_sexp_div_dx", formula="∂(x/z)/∂x = I/z", derivative=reference.scalar_div_jacobian_x),
                  dict(name="ext_sexp_div_dz", formula="∂(x/z)/∂z = −x/z²", derivative=reference.scalar_div_jacobian_z),
                  function=jnp.divide, primal=np.divide,
                  **dict(_EXTENDED, inputs=vector_and_divisor, note="domain z ≠ 0 (D6); inputs keep |z| >= 0.1")),
)
