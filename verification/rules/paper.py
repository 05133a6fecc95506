"""The rules of the paper, one row each, in the paper's order.

Each row pairs a hand-written NumPy rule from ``reference`` with the function JAX
differentiates (``jax.numpy``), its NumPy twin, the argument(s) the derivative is taken with
respect to, and the input domain.  Rows marked with an instance in brackets check a general
rule on that concrete function.
"""

from __future__ import annotations

from functools import partial

import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

import reference as R
from verification import instances as I
from verification import neuron as N
from verification import strategies as S
from verification.rules.rule import Rule

# --- domains -----------------------------------------------------------------------------


def _scalar(dtype, **kw):
    return S.scalars(dtype=dtype, **kw).map(lambda a: (a,))


def _two_scalars(dtype, **kw):
    return st.tuples(S.scalars(dtype=dtype, **kw), S.scalars(dtype=dtype, **kw))


def _vector(dtype, n=None, **kw):
    return S.vectors(dtype=dtype, n=n, **kw).map(lambda a: (a,))


def _folded_batch(dtype):
    return S.regression_batches(dtype=dtype).map(lambda a: (R.fold_bias(a[0], a[1]), R.append_ones(a[2]), a[3]))


# --- magnitudes of summed terms (for the tolerance) ---------------------------------------


def _three_outputs_jacobian(x):
    first_last = np.zeros_like(x)
    first_last[0] += x[-1]
    first_last[-1] += x[0]
    return R.jacobian_from_gradients([lambda x: 2 * x, np.cos, lambda x: first_last], x)


def _outer_of_three_jacobian(g):
    return np.array([[g[1], g[0], 0], [1, 0, np.cos(g[2])]], dtype=g.dtype)


def _total_derivative_pieces(x):
    u1, u2 = x**2, x**3
    return u1, np.stack([x, np.cos(u2)]), np.stack([2 * x, 3 * x**2])


_RELU_NOTE = "d/dz max(0, z) is taken as 0 at z = 0 (D2); inputs keep |z| >= 0.1, the tie is tested separately"
_LOSS_NOTE = "sums over all N samples, inactive ones contribute 0 (D3); batches mix active and inactive samples"

PAPER_RULES: tuple[Rule, ...] = (
    # §2 scalar rules ------------------------------------------------------------------------
    Rule(
        name="scalar_constant",
        formula="d/dx c = 0",
        section="§2",
        args=("x", "c"),
        function=partial(lambda x, c, *, xp: 0 * x + c, xp=jnp),
        primal=partial(lambda x, c, *, xp: 0 * x + c, xp=np),
        derivative=lambda x, c: R.constant_rule(x),
        inputs=_two_scalars,
        references=(R.constant_rule,),
    ),
    Rule(
        name="scalar_const_multiple",
        formula="d/dx (c·f) = c·df/dx   [f = sin]",
        section="§2",
        args=("x", "c"),
        function=partial(lambda x, c, *, xp: c * xp.sin(x), xp=jnp),
        primal=partial(lambda x, c, *, xp: c * xp.sin(x), xp=np),
        derivative=lambda x, c: R.const_multiple_rule(c, np.cos(x)),
        inputs=_two_scalars,
        references=(R.const_multiple_rule,),
    ),
    Rule(
        name="scalar_power",
        formula="d/dx xⁿ = n·xⁿ⁻¹",
        section="§2",
        args=("x", "n"),
        function=partial(lambda x, n, *, xp: x**n, xp=jnp),
        primal=partial(lambda x, n, *, xp: x**n, xp=np),
        derivative=R.power_rule,
        static=(1,),
        inputs=lambda dtype: st.tuples(S.scalars(dtype=dtype), st.sampled_from((0, 1, 2, 3, 5))),
        references=(R.power_rule,),
        note="n is an integer >= 0",
    ),
    Rule(
        name="scalar_sum",
        formula="d/dx (f + g) = df/dx + dg/dx   [f = sin, g = x²]",
        section="§2",
        args=("x",),
        function=partial(lambda x, *, xp: xp.sin(x) + x**2, xp=jnp),
        primal=partial(lambda x, *, xp: xp.sin(x) + x**2, xp=np),
        derivative=lambda x: R.sum_rule(np.cos(x), 2 * x),
        inputs=_scalar,
        references=(R.sum_rule,),
    ),
    Rule(
        name="scalar_difference",
        formula="d/dx (f − g) = df/dx − dg/dx   [f = sin, g = x²]",
        section="§2",
        args=("x",),
        function=partial(lambda x, *, xp: xp.sin(x) - x**2, xp=jnp),
        primal=partial(lambda x, *, xp: xp.sin(x) - x**2, xp=np),
        derivative=lambda x: R.difference_rule(np.cos(x), 2 * x),
        inputs=_scalar,
        references=(R.difference_rule,),
    ),
    Rule(
        name="scalar_product",
        formula="d/dx (f·g) = f·dg/dx + df/dx·g   [f = sin, g = x²]",
        section="§2",
        args=("x",),
        function=partial(lambda x, *, xp: xp.sin(x) * x**2, xp=jnp),
        primal=partial(lambda x, *, xp: xp.sin(x) * x**2, xp=np),
        derivative=lambda x: R.product_rule(np.sin(x), np.cos(x), x**2, 2 * x),
        inputs=_scalar,
        references=(R.product_rule,),
    ),
    Rule(
        name="scalar_chain",
        formula="d/dx f(g(x)) = df/du·du/dx   [sin(x²)]",
        section="§2",
        args=("x",),
        function=partial(lambda x, *, xp: xp.sin(x**2), xp=jnp),
        primal=partial(lambda x, *, xp: xp.sin(x**2), xp=np),
        derivative=lambda x: R.single_variable_chain(np.cos(x**2), 2 * x),
        inputs=_scalar,
        references=(R.single_variable_chain,),
    ),
    # §3 partial derivatives and the gradient ------------------------------------------------
    Rule(
        name="partial_derivative",
        formula="∂(3x²y)/∂x = 6yx, ∂(3x²y)/∂y = 3x²",
        section="§3",
        args=("x", "y"),
        function=partial(lambda x, y, *, xp: 3 * x**2 * y, xp=jnp),
        primal=partial(lambda x, y, *, xp: 3 * x**2 * y, xp=np),
        derivative=lambda x, y: (
            R.const_multiple_rule(3 * y, R.power_rule(x, 2)),
            R.const_multiple_rule(3 * x**2, 1.0),
        ),
        wrt=(0, 1),
        inputs=_two_scalars,
        references=(R.const_multiple_rule, R.power_rule),
        note="the other variable is held constant, so each partial is a constant-multiple rule",
    ),
    Rule(
        name="gradient_row",
        formula="∇f = [∂f/∂x₁ … ∂f/∂xₙ]   [f = 3x²y]",
        section="§3",
        args=("p",),
        function=partial(lambda p, *, xp: 3 * p[0] ** 2 * p[1], xp=jnp),
        primal=partial(lambda p, *, xp: 3 * p[0] ** 2 * p[1], xp=np),
        derivative=lambda p: R.gradient([lambda p: 6 * p[1] * p[0], lambda p: 3 * p[0] ** 2], p),
        inputs=lambda dtype: _vector(dtype, 2),
        references=(R.gradient,),
    ),
    # §4.1 Jacobians --------------------------------------------------------------------------
    Rule(
        name="jacobian_numerator_layout",
        formula="∂y/∂x = [∇f₁; …; ∇fₘ], J[i,j] = ∂fᵢ/∂xⱼ   [f = (x·x, Σsin xᵢ, x₁xₙ)]",
        section="§4.1",
        args=("x",),
        function=partial(I.three_outputs, xp=jnp),
        primal=partial(I.three_outputs, xp=np),
        derivative=_three_outputs_jacobian,
        inputs=_vector,
        references=(R.jacobian_from_gradients,),
    ),
    Rule(
        name="jacobian_example_2x2",
        formula="∂(3x²y, 2x+y⁸)/∂(x,y) = [[6yx, 3x²], [2, 8y⁷]]",
        section="§4",
        args=("p",),
        function=partial(I.paper_example_2x2, xp=jnp),
        primal=partial(I.paper_example_2x2, xp=np),
        derivative=lambda p: R.jacobian_from_gradients(
            [lambda p: np.stack([6 * p[1] * p[0], 3 * p[0] ** 2]), lambda p: np.stack([2 + 0 * p[0], 8 * p[1] ** 7])], p
        ),
        inputs=lambda dtype: _vector(dtype, 2),
        references=(R.jacobian_from_gradients,),
    ),
    Rule(
        name="jacobian_identity",
        formula="∂x/∂x = I",
        section="§4.1",
        args=("x",),
        function=partial(lambda x, *, xp: x, xp=jnp),
        primal=partial(lambda x, *, xp: x, xp=np),
        derivative=R.identity_jacobian,
        inputs=_vector,
        references=(R.identity_jacobian,),
    ),
    # §4.2 element-wise binary operators ------------------------------------------------------
    Rule(
        name="ew_binary_general_jacobian",
        formula="∂(f(w)○g(x))/∂w = diag(∂○/∂f)·∂f/∂w   [f = w·sum(w), ○ = ⊗, g = sin]",
        section="§4.2",
        args=("w", "x"),
        function=partial(I.scaled_by_sum_times_sin, xp=jnp),
        primal=partial(I.scaled_by_sum_times_sin, xp=np),
        derivative=lambda w, x: R.binary_general_jacobian(
            np.sin(x), np.sum(w) * np.eye(w.shape[0], dtype=w.dtype) + w[:, None]
        ),
        inputs=lambda dtype: S.vector_pairs(dtype=dtype),
        references=(R.binary_general_jacobian,),
    ),
    Rule(
        name="ew_diagonal_condition",
        formula="∂(f(w)○g(x))/∂w = diag(∂(fᵢ(wᵢ)○gᵢ(xᵢ))/∂wᵢ)   [sin(w)⊗exp(x)]",
        section="§4.2",
        args=("w", "x"),
        function=partial(I.sin_times_exp, xp=jnp),
        primal=partial(I.sin_times_exp, xp=np),
        derivative=lambda w, x: R.diagonal_jacobian(np.cos(w) * np.exp(x)),
        inputs=lambda dtype: S.vector_pairs(dtype=dtype),
        references=(R.diagonal_jacobian,),
    ),
    Rule(
        name="ew_add_dw",
        formula="∂(w+x)/∂w = I",
        section="§4.2",
        args=("w", "x"),
        function=jnp.add,
        primal=np.add,
        derivative=R.add_jacobian_w,
        inputs=lambda dtype: S.vector_pairs(dtype=dtype),
        references=(R.add_jacobian_w,),
    ),
    Rule(
        name="ew_add_dx",
        formula="∂(w+x)/∂x = I",
        section="§4.2",
        args=("w", "x"),
        function=jnp.add,
        primal=np.add,
        derivative=R.add_jacobian_x,
        wrt=1,
        inputs=lambda dtype: S.vector_pairs(dtype=dtype),
        references=(R.add_jacobian_x,),
    ),
    Rule(
        name="ew_sub_dw",
        formula="∂(w−x)/∂w = I",
        section="§4.2",
        args=("w", "x"),
        function=jnp.subtract,
        primal=np.subtract,
        derivative=R.sub_jacobian_w,
        inputs=lambda dtype: S.vector_pairs(dtype=dtype),
        references=(R.sub_jacobian_w,),
    ),
    Rule(
        name="ew_sub_dx",
        formula="∂(w−x)/∂x = −I",
        section="§4.2",
        args=("w", "x"),
        function=jnp.subtract,
        primal=np.subtract,
        derivative=R.sub_jacobian_x,
        wrt=1,
        inputs=lambda dtype: S.vector_pairs(dtype=dtype),
        references=(R.sub_jacobian_x,),
    ),
    Rule(
        name="ew_mul_dw",
        formula="∂(w⊗x)/∂w = diag(x)",
        section="§4.2",
        args=("w", "x"),
        function=jnp.multiply,
        primal=np.multiply,
        derivative=R.mul_jacobian_w,
        inputs=lambda dtype: S.vector_pairs(dtype=dtype),
        references=(R.mul_jacobian_w,),
    ),
    Rule(
        name="ew_mul_dx",
        formula="∂(w⊗x)/∂x = diag(w)",
        section="§4.2",
        args=("w", "x"),
        function=jnp.multiply,
        primal=np.multiply,
        derivative=R.mul_jacobian_x,
        wrt=1,
        inputs=lambda dtype: S.vector_pairs(dtype=dtype),
        references=(R.mul_jacobian_x,),
    ),
    Rule(
        name="ew_div_dw",
        formula="∂(w⊘x)/∂w = diag(1/xᵢ)",
        section="§4.2",
        args=("w", "x"),
        function=jnp.divide,
        primal=np.divide,
        derivative=R.div_jacobian_w,
        inputs=lambda dtype: S.vector_pairs(dtype=dtype, second_nonzero=True),
        references=(R.div_jacobian_w,),
        note="domain xᵢ ≠ 0 (D6); inputs keep |xᵢ| >= 0.1",
    ),
    Rule(
        name="ew_div_dx",
        formula="∂(w⊘x)/∂x = diag(−wᵢ/xᵢ²)",
        section="§4.2",
        args=("w", "x"),
        function=jnp.divide,
        primal=np.divide,
        derivative=R.div_jacobian_x,
        wrt=1,
        inputs=lambda dtype: S.vector_pairs(dtype=dtype, second_nonzero=True),
        references=(R.div_jacobian_x,),
        note="domain xᵢ ≠ 0 (D6); inputs keep |xᵢ| >= 0.1",
    ),
    # §4.3 scalar expansion -------------------------------------------------------------------
    Rule(
        name="sexp_add_dx",
        formula="∂(x+z)/∂x = I",
        section="§4.3",
        args=("x", "z"),
        function=jnp.add,
        primal=np.add,
        derivative=R.scalar_add_jacobian_x,
        inputs=lambda dtype: S.vector_and_scalar(dtype=dtype),
        references=(R.scalar_add_jacobian_x,),
    ),
    Rule(
        name="sexp_add_dz",
        formula="∂(x+z)/∂z = 1⃗",
        section="§4.3",
        args=("x", "z"),
        function=jnp.add,
        primal=np.add,
        derivative=R.scalar_add_jacobian_z,
        wrt=1,
        inputs=lambda dtype: S.vector_and_scalar(dtype=dtype),
        references=(R.scalar_add_jacobian_z,),
    ),
    Rule(
        name="sexp_mul_dx",
        formula="∂(x·z)/∂x = I·z",
        section="§4.3",
        args=("x", "z"),
        function=jnp.multiply,
        primal=np.multiply,
        derivative=R.scalar_mul_jacobian_x,
        inputs=lambda dtype: S.vector_and_scalar(dtype=dtype),
        references=(R.scalar_mul_jacobian_x,),
    ),
    Rule(
        name="sexp_mul_dz",
        formula="∂(x·z)/∂z = x",
        section="§4.3",
        args=("x", "z"),
        function=jnp.multiply,
        primal=np.multiply,
        derivative=R.scalar_mul_jacobian_z,
        wrt=1,
        inputs=lambda dtype: S.vector_and_scalar(dtype=dtype),
        references=(R.scalar_mul_jacobian_z,),
    ),
    # §4.4 reductions -------------------------------------------------------------------------
    Rule(
        name="sum_general",
        formula="∂sum(f(x))/∂x = 1⃗ᵀ·∂f/∂x   [f = (x·x, Σsin xᵢ, x₁xₙ)]",
        section="§4.4",
        args=("x",),
        function=partial(lambda x, *, xp: xp.sum(I.three_outputs(x, xp=xp)), xp=jnp),
        primal=partial(lambda x, *, xp: xp.sum(I.three_outputs(x, xp=xp)), xp=np),
        derivative=lambda x: R.sum_grad(_three_outputs_jacobian(x)),
        inputs=_vector,
        references=(R.sum_grad, R.jacobian_from_gradients),
    ),
    Rule(
        name="sum_dx",
        formula="∂sum(x)/∂x = 1⃗ᵀ",
        section="§4.4",
        args=("x",),
        function=jnp.sum,
        primal=np.sum,
        derivative=R.sum_grad_x,
        inputs=_vector,
        references=(R.sum_grad_x,),
    ),
    Rule(
        name="sum_xz_dx",
        formula="∂sum(x·z)/∂x = z·1⃗ᵀ",
        section="§4.4",
        args=("x", "z"),
        function=partial(lambda x, z, *, xp: xp.sum(x * z), xp=jnp),
        primal=partial(lambda x, z, *, xp: xp.sum(x * z), xp=np),
        derivative=R.sum_scaled_grad_x,
        inputs=lambda dtype: S.vector_and_scalar(dtype=dtype),
        references=(R.sum_scaled_grad_x,),
    ),
    Rule(
        name="sum_xz_dz",
        formula="∂sum(x·z)/∂z = sum(x)",
        section="§4.4",
        args=("x", "z"),
        function=partial(lambda x, z, *, xp: xp.sum(x * z), xp=jnp),
        primal=partial(lambda x, z, *, xp: xp.sum(x * z), xp=np),
        derivative=R.sum_scaled_grad_z,
        wrt=1,
        inputs=lambda dtype: S.vector_and_scalar(dtype=dtype),
        references=(R.sum_scaled_grad_z,),
    ),
    Rule(
        name="dot_dw",
        formula="∂(w·x)/∂w = 1⃗ᵀdiag(x) = xᵀ",
        section="§4.4, §5",
        args=("w", "x"),
        function=jnp.dot,
        primal=R.dot,
        derivative=R.dot_grad_w,
        inputs=lambda dtype: S.vector_pairs(dtype=dtype),
        references=(R.dot_grad_w,),
    ),
    Rule(
        name="dot_dx",
        formula="∂(w·x)/∂x = 1⃗ᵀdiag(w) = wᵀ",
        section="§4.4",
        args=("w", "x"),
        function=jnp.dot,
        primal=R.dot,
        derivative=R.dot_grad_x,
        wrt=1,
        inputs=lambda dtype: S.vector_pairs(dtype=dtype),
        references=(R.dot_grad_x,),
    ),
    # §4.5 chain rules ------------------------------------------------------------------------
    Rule(
        name="chain_single_variable",
        formula="dy/dx = dy/du·du/dx   [y = e^u, u = sin x]",
        section="§4.5/SV",
        args=("x",),
        function=partial(I.exp_of_sin, xp=jnp),
        primal=partial(I.exp_of_sin, xp=np),
        derivative=lambda x: R.single_variable_chain(np.exp(np.sin(x)), np.cos(x)),
        inputs=_scalar,
        references=(R.single_variable_chain,),
    ),
    Rule(
        name="chain_total_derivative",
        formula="∂f(x,u₁…uₙ)/∂x = ∂f/∂x + Σ ∂f/∂uᵢ·∂uᵢ/∂x   [f = x·u₁ + sin u₂, u₁ = x², u₂ = x·u₁]",
        section="§4.5/TD",
        args=("x",),
        function=partial(I.direct_and_indirect, xp=jnp),
        primal=partial(I.direct_and_indirect, xp=np),
        derivative=lambda x: R.total_derivative(*_total_derivative_pieces(x)),
        inputs=partial(_scalar, max_magnitude=2.0),
        references=(R.total_derivative,),
        note="x in [-2, 2]: keeps sin(x³) well conditioned",
    ),
    Rule(
        name="chain_total_derivative_aliased",
        formula="∂f(u₁…uₙ₊₁)/∂x = (∂f/∂u)(∂u/∂x) with uₙ₊₁ = x   [as above]",
        section="§4.5/TD, §8.5",
        args=("x",),
        function=partial(I.direct_and_indirect, xp=jnp),
        primal=partial(I.direct_and_indirect, xp=np),
        derivative=lambda x: R.total_derivative_aliased(
            np.append(_total_derivative_pieces(x)[1], x**2), np.append(_total_derivative_pieces(x)[2], 1 + 0 * x)
        ),
        inputs=partial(_scalar, max_magnitude=2.0),
        references=(R.total_derivative_aliased,),
        note="the alias uₙ₊₁ = x carries the direct path",
    ),
    Rule(
        name="chain_vector_scalar_x",
        formula="∂f(g(x))/∂x = (∂f/∂g)(∂g/∂x)   [f = (ln g₁, sin g₂), g = (x², 3x)]",
        section="§4.5/V",
        args=("x",),
        function=partial(I.log_square_and_sine, xp=jnp),
        primal=partial(I.log_square_and_sine, xp=np),
        derivative=lambda x: R.vector_chain(np.diag(np.stack([1 / x**2, np.cos(3 * x)])), np.stack([2 * x, 3 + 0 * x])),
        inputs=partial(_scalar, min_magnitude=0.1, allow_zero=False),
        references=(R.vector_chain,),
        note="domain x ≠ 0 (ln x²); inputs keep |x| >= 0.1",
    ),
    Rule(
        name="chain_vector",
        formula="∂f(g(x))/∂x = (∂f/∂g)(∂g/∂x), (m×k)(k×n)   [f: R³→R², g: Rⁿ→R³]",
        section="§4.5/V",
        args=("x",),
        function=partial(I.composed, xp=jnp),
        primal=partial(I.composed, xp=np),
        derivative=lambda x: R.vector_chain(
            _outer_of_three_jacobian(I.three_outputs(x, xp=np)), _three_outputs_jacobian(x)
        ),
        inputs=_vector,
        references=(R.vector_chain, R.jacobian_from_gradients),
    ),
    Rule(
        name="chain_vector_diagonal",
        formula="∂f(g(x))/∂x = diag(∂fᵢ/∂gᵢ·∂gᵢ/∂xᵢ)   [fᵢ = sin gᵢ, gᵢ = xᵢ²]",
        section="§4.5/V",
        args=("x",),
        function=partial(I.sin_of_square, xp=jnp),
        primal=partial(I.sin_of_square, xp=np),
        derivative=lambda x: R.vector_chain_diagonal(np.cos(x**2), 2 * x),
        inputs=partial(_vector, max_magnitude=2.0),
        references=(R.vector_chain_diagonal,),
        note="x in [-2, 2]: keeps sin(x²) well conditioned",
    ),
    Rule(
        name="ew_unary_diag",
        formula="∂f(x)/∂x = diag(f′(xᵢ))   [f = tanh]",
        section="§4.5/V, §5",
        args=("x",),
        function=partial(lambda x, *, xp: xp.tanh(x), xp=jnp),
        primal=partial(lambda x, *, xp: xp.tanh(x), xp=np),
        derivative=lambda x: R.unary_jacobian(1 - np.tanh(x) ** 2),
        inputs=_vector,
        references=(R.unary_jacobian,),
    ),
    # §5 the neuron ---------------------------------------------------------------------------
    Rule(
        name="affine_dw",
        formula="∂(w·x + b)/∂w = xᵀ",
        section="§5",
        args=("w", "b", "x"),
        function=N.affine,
        primal=R.affine,
        derivative=R.affine_grad_w,
        inputs=lambda dtype: S.neuron_inputs(dtype=dtype),
        references=(R.affine_grad_w,),
    ),
    Rule(
        name="affine_db",
        formula="∂(w·x + b)/∂b = 1",
        section="§5",
        args=("w", "b", "x"),
        function=N.affine,
        primal=R.affine,
        derivative=R.affine_grad_b,
        wrt=1,
        inputs=lambda dtype: S.neuron_inputs(dtype=dtype),
        references=(R.affine_grad_b,),
    ),
    Rule(
        name="relu_scalar",
        formula="d max(0,z)/dz = 1[z > 0]",
        section="§5",
        args=("z",),
        function=N.relu,
        primal=R.relu,
        derivative=R.relu_derivative,
        inputs=partial(_scalar, min_magnitude=S.KINK_MARGIN, allow_zero=False),
        references=(R.relu_derivative,),
        note=_RELU_NOTE,
    ),
    Rule(
        name="relu_broadcast",
        formula="∂max(0,x)/∂x = diag(1[xᵢ > 0])",
        section="§5",
        args=("x",),
        function=N.relu,
        primal=R.relu,
        derivative=R.relu_jacobian,
        inputs=lambda dtype: S.relu_points(dtype=dtype),
        references=(R.relu_jacobian,),
        note=_RELU_NOTE + "; an n×n Jacobian (D5)",
    ),
    Rule(
        name="neuron_activation_dw",
        formula="∂max(0, w·x+b)/∂w = 1[z > 0]·xᵀ",
        section="§5",
        args=("w", "b", "x"),
        function=N.neuron_activation,
        primal=R.neuron_activation,
        derivative=R.neuron_activation_grad_w,
        inputs=lambda dtype: S.neuron_inputs(dtype=dtype),
        references=(R.neuron_activation_grad_w,),
        note=_RELU_NOTE,
    ),
    Rule(
        name="neuron_activation_db",
        formula="∂max(0, w·x+b)/∂b = 1[z > 0]",
        section="§5",
        args=("w", "b", "x"),
        function=N.neuron_activation,
        primal=R.neuron_activation,
        derivative=R.neuron_activation_grad_b,
        wrt=1,
        inputs=lambda dtype: S.neuron_inputs(dtype=dtype),
        references=(R.neuron_activation_grad_b,),
        note=_RELU_NOTE,
    ),
    # §6 the loss ----------------------------------------------------------------------------
    Rule(
        name="mse_loss",
        formula="C = (1/N)Σ(yᵢ − max(0, w·xᵢ+b))², ∇C = (∂C/∂w, ∂C/∂b)",
        section="§6",
        args=("w", "b", "X", "y"),
        function=N.mse_loss,
        primal=R.mse_loss,
        derivative=lambda w, b, X, y: (R.mse_loss_grad_w(w, b, X, y), R.mse_loss_grad_b(w, b, X, y)),
        wrt=(0, 1),
        inputs=lambda dtype: S.regression_batches(dtype=dtype),
        references=(R.mse_loss_grad_w, R.mse_loss_grad_b),
        note=_LOSS_NOTE,
    ),
    Rule(
        name="loss_intermediates",
        formula="v = y − max(0, Xw+b): ∂vᵢ/∂w = −1[zᵢ > 0]xᵢᵀ, ∂vᵢ/∂b = −1[zᵢ > 0]",
        section="§6",
        args=("w", "b", "X", "y"),
        function=lambda w, b, X, y: y - N.relu(X @ w + b),
        primal=lambda w, b, X, y: y - R.relu(X @ w + b),
        derivative=lambda w, b, X, y: (R.residual_jacobian_w(w, b, X, y), R.residual_jacobian_b(w, b, X, y)),
        wrt=(0, 1),
        inputs=lambda dtype: S.regression_batches(dtype=dtype),
        references=(R.residual_jacobian_w, R.residual_jacobian_b),
        note=_LOSS_NOTE,
    ),
    Rule(
        name="mse_grad_w",
        formula="∂C/∂w = (2/N)Σ_{i∈A} eᵢxᵢᵀ, eᵢ = w·xᵢ + b − yᵢ",
        section="§6.1",
        args=("w", "b", "X", "y"),
        function=N.mse_loss,
        primal=R.mse_loss,
        derivative=R.mse_loss_grad_w,
        inputs=lambda dtype: S.regression_batches(dtype=dtype),
        references=(R.mse_loss_grad_w,),
        note=_LOSS_NOTE,
    ),
    Rule(
        name="mse_grad_b",
        formula="∂C/∂b = (2/N)Σ_{i∈A} eᵢ",
        section="§6.2",
        args=("w", "b", "X", "y"),
        function=N.mse_loss,
        primal=R.mse_loss,
        derivative=R.mse_loss_grad_b,
        wrt=1,
        inputs=lambda dtype: S.regression_batches(dtype=dtype),
        references=(R.mse_loss_grad_b,),
        note=_LOSS_NOTE,
    ),
    Rule(
        name="bias_folding",
        formula="ŵ = [w; b], x̂ = [x; 1]: ∂C/∂ŵ = (2/N)Σ_{i∈A} eᵢx̂ᵢᵀ",
        section="§6.2",
        args=("w_hat", "X_hat", "y"),
        function=lambda w, X, y: N.mse_loss(w, 0.0, X, y),
        primal=lambda w, X, y: R.mse_loss(w, 0.0, X, y),
        derivative=R.mse_loss_grad_folded,
        inputs=_folded_batch,
        references=(R.mse_loss_grad_folded,),
        note=_LOSS_NOTE,
    ),
)
