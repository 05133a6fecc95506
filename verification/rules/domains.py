"""The input domains several topics' rows share: each ``domain(dtype)`` is a hypothesis strategy of
argument tuples, composed from ``verification.strategies``.

A domain used by one topic only lives with that topic's rows.  Every new shape compiles the
oracles again, so a domain draws from few shapes: matrices from two, the first (the one
hypothesis shrinks to) small, the second non-square, so a transposed or reshaped derivative
cannot pass by symmetry.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from verification import strategies

MATRIX_SHAPES = ((1, 3), (3, 2))
"""(rows, columns) of a matrix."""

LARGE = 64
"""Length of the inputs of the Hessian-vector-product rows (A is LARGE × LARGE)."""


def scalar(dtype, **kwargs):
    """``(x,)``: one scalar; ``kwargs`` as :func:`verification.strategies.floats` takes them."""
    return strategies.scalars(dtype=dtype, **kwargs).map(lambda x: (x,))


def vector(dtype, **kwargs):
    """``(x,)``: one vector; ``kwargs`` as :func:`verification.strategies.vectors` takes them."""
    return strategies.vectors(dtype=dtype, **kwargs).map(lambda x: (x,))


def vector_pairs(dtype):
    """``(w, x)``: two vectors of one length."""
    return strategies.vector_pairs(dtype=dtype)


def vector_and_scalar(dtype):
    """``(x, z)``: a vector and the scalar it is expanded against."""
    return strategies.vector_and_scalar(dtype=dtype)


def matrix_shape():
    """One of :data:`MATRIX_SHAPES`."""
    return st.sampled_from(MATRIX_SHAPES)


def seeded(dtype, shapes, magnitude):
    """Arrays of the given shapes, uniform in ±scale with scale drawn up to ``magnitude``, from a
    drawn seed: a large input costs hypothesis two draws instead of one per entry (thousands per
    batch would exceed what it generates per example).  Shrinks towards seed 0 and scale 1."""
    def build(seed_scale):
        rng = np.random.default_rng(seed_scale[0])
        return tuple((rng.uniform(-1, 1, shape) * seed_scale[1]).astype(dtype) for shape in shapes)
    scale = strategies.floats(dtype=dtype, min_magnitude=1.0, max_magnitude=magnitude, allow_zero=False).map(abs)
    return st.tuples(st.integers(0, 2**32 - 1), scale).map(build)
