r"""Hypothesis strategies for the inputs of a derivative check, public and documented.

In the style of ``hypothesis.extra.numpy``: every function takes keyword arguments only and
checks them when the strategy is built, so a bad argument raises
``hypothesis.errors.InvalidArgument`` naming it, before any example is drawn.

Domain guarantees, for ``dtype`` float64 or float32 (the two lanes of a check):

- every value is finite and exactly representable in ``dtype``: no NaN, no inf, no
  subnormals (XLA flushes float32 subnormals to zero while NumPy keeps them, so ``x > 0`` could
  disagree between the two sides of a check);
- every nonzero value has magnitude in ``[min_magnitude, max_magnitude]`` (defaults
  ``MIN_MAGNITUDE`` and ``MAGNITUDE``), so products of a few values stay normal; zero is a
  positive zero;
- ``away_from`` keeps values at least ``margin`` from the points where a function has a kink
  (ReLU at 0, |x| at 0), where a hand derivative and JAX may legitimately differ;
- shapes come from small pools (``VECTOR_SIZES``, ``BATCH_SIZES``, ``MATRIX_SIZES``): each new
  shape makes ``jax.jit`` compile again, so a run compiles a bounded number of times;
- structured domains (positive definite, well conditioned, probability vectors, batches with
  active and inactive neurons) are built constructively, never by filtering, so no example
  is rejected and hypothesis's health checks never fire.

Everything shrinks towards zero (or the nearest allowed value) and towards the start of a pool
and fewer elements (the pools list their smallest entry first).  Generation is kept lean (one
``st.floats`` per element, the sign and the gap around zero applied by a map), because drawing
examples is the main cost of a long check; the benchmark (``python -m verification bench``)
reports the cost per example.

Modules, one concept each, each importing only those before it: ``defaults`` (the pools of
sizes and the bounds), ``validation`` (argument checks), ``rounding`` (exact rounding into a
dtype), ``domain`` (the allowed set of one element, and arrays drawn in it), then the strategies
by domain: ``elements``, ``linalg`` (matrices), ``classification``, ``neuron`` (the neuron and the loss),
and ``trees`` (pytrees of strategies).

Example, in a user's test::

    from hypothesis import given
    from verification import strategies as S

    @given(S.arrays(dtype=np.float32, shape=[(3,), (2, 3)], away_from=(0.0,)))
    def test_relu_gradient(x): ...
"""

from __future__ import annotations

from verification.strategies.classification import logits, logits_and_labels, one_hot, probability_vectors
from verification.strategies.defaults import BATCH_SIZES, KINK_MARGIN, MAGNITUDE, MATRIX_SIZES, MIN_MAGNITUDE, VECTOR_SIZES
from verification.strategies.domain import DRAWN_ELEMENTS, PLACED_ELEMENTS
from verification.strategies.elements import arrays, floats, nonzero, scalars, sizes, vector_and_scalar, vector_pairs, vectors
from verification.strategies.linalg import matrices, positive_definite_matrices, symmetric_matrices, well_conditioned_matrices
from verification.strategies.neuron import mixed_activity, neuron_inputs, regression_batches, relu_points
from verification.strategies.trees import pytrees

__all__ = [
    "pytrees",
    "BATCH_SIZES",
    "DRAWN_ELEMENTS",
    "KINK_MARGIN",
    "MAGNITUDE",
    "MATRIX_SIZES",
    "MIN_MAGNITUDE",
    "PLACED_ELEMENTS",
    "VECTOR_SIZES",
    "arrays",
    "floats",
    "logits",
    "logits_and_labels",
    "matrices",
    "mixed_activity",
    "neuron_inputs",
    "nonzero",
    "one_hot",
    "positive_definite_matrices",
    "probability_vectors",
    "regression_batches",
    "relu_points",
    "scalars",
    "sizes",
    "symmetric_matrices",
    "vector_and_scalar",
    "vector_pairs",
    "vectors",
    "well_conditioned_matrices",
]
