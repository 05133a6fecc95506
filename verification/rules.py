"""The single table of rules: ``RULES``.

Every row pairs a hand-written NumPy rule from ``reference`` with the function JAX
differentiates, the argument(s) the derivative is taken with respect to, and the input domain
as a hypothesis strategy.  Tests, the report and the command line all iterate this table;
nothing else lists rules.  Names are the ids of ``rules-catalog.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

import reference as R
from verification import instances as I
from verification import neuron as N
from verification import strategies as S


@dataclass(frozen=True)
class Rule:
    """One row of the table.

    Attributes:
        name: the catalog id, also the pytest id and the CLI's ``--rule`` value.
        formula: the rule in one line (numerator layout).
        section: where the paper states it.
        args: the argument names, in order; error messages and reports use them.
        reference: the hand-written derivative (NumPy); a tuple of derivatives when ``wrt``
            names several arguments.
        function: the function JAX differentiates (``jax.numpy``).
        primal: the same function in NumPy; its value must equal ``function``'s before any
            derivative is compared.
        wrt: indices of the arguments the derivative is taken with respect to.
        inputs: ``inputs(dtype)`` is a strategy of argument tuples inside the rule's domain.
        scalar_output: the function returns a scalar, so ``jax.grad`` applies.
        scale: the magnitude of the largest terms summed anywhere in the rule (primal or
            derivative), as a function of the arguments.  Rounding error is relative to it,
            not to the (possibly cancelled) result; None means the values themselves.
        static: indices of arguments that are not arrays (e.g. the integer power n).
        note: the convention or domain restriction a reader should know.
    """

    name: str
    formula: str
    section: str
    args: tuple[str, ...]
    reference: Callable
    function: Callable
    primal: Callable
    wrt: tuple[int, ...]
    inputs: Callable[[type], st.SearchStrategy[tuple]]
    scalar_output: bool = False
    scale: Callable[..., float] | None = None
    static: tuple[int, ...] = ()
    note: str = ""

    @property
    def oracles(self) -> tuple[str, ...]:
        """The JAX oracles that apply: jacfwd and jacrev always, grad for a scalar output."""
        return ("jacfwd", "jacrev", "grad") if self.scalar_output else ("jacfwd", "jacrev")

    def derivatives(self, *args) -> tuple[np.ndarray, ...]:
        """The hand-written derivative(s), always as a tuple, one per ``wrt`` argument."""
        out = self.reference(*args)
        return tuple(out) if isinstance(out, tuple) else (out,)


def _rule(name, formula, section, args, reference, xp_function=None, *, function=None, primal=None, wrt=0, inputs, **kw) -> Rule:
    if xp_function is not None:
        function, primal = partial(xp_function, xp=jnp), partial(xp_function, xp=np)
    wrt = (wrt,) if isinstance(wrt, int) else tuple(wrt)
    return Rule(name, formula, section, tuple(args), reference, function, primal, wrt, inputs, **kw)


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

def _batch_scale(w, b, X, y) -> float:
    """Terms of z_i = w·x_i + b, of the loss (1/N)Σv_i² and of the gradient (2/N)Σe_i x_i."""
    z_terms = np.abs(X) @ np.abs(w) + np.abs(b)
    e_terms = z_terms + np.abs(y)
    size = X.shape[0]
    grad_terms = (2 / size) * np.concatenate([e_terms @ np.abs(X), [e_terms.sum()]])
    return float(max(z_terms.max(), (e_terms**2).sum() / size, grad_terms.max()))


def _dot_scale(w, x) -> float:
    return float(np.abs(w) @ np.abs(x))


def _neuron_scale(w, b, x) -> float:
    return _dot_scale(w, x) + float(abs(b))


def _three_outputs_jacobian(x):
    first_last = np.zeros_like(x)
    first_last[0] += x[-1]
    first_last[-1] += x[0]
    return R.jacobian_from_gradients([lambda x: 2 * x, np.cos, lambda x: first_last], x)


def _outer_of_three_jacobian(g):
    return np.array([[g[1], g[0], 0], [1, 0, np.cos(g[2])]], dtype=g.dtype)


def _composed_scale(x) -> float:
    g = I.three_outputs(x, xp=np)
    terms = np.abs(_outer_of_three_jacobian(g)) @ np.abs(_three_outputs_jacobian(x))
    return float(max(terms.max(), abs(g[0]) * x.shape[0], x @ x))


def _total_derivative_pieces(x):
    u1, u2 = x**2, x**3
    return u1, np.stack([x, np.cos(u2)]), np.stack([2 * x, 3 * x**2])


_RELU_NOTE = "d/dz max(0, z) is taken as 0 at z = 0 (D2); inputs keep |z| >= 0.1, the tie is tested separately"
_LOSS_NOTE = "sums over all N samples, inactive ones contribute 0 (D3); batches mix active and inactive samples"

RULES: tuple[Rule, ...] = (
    # §2 scalar rules ------------------------------------------------------------------------
    _rule("scalar_constant", "d/dx c = 0", "§2", ("x", "c"),
          lambda x, c: R.constant_rule(x), lambda x, c, *, xp: 0 * x + c,
          inputs=_two_scalars, scalar_output=True),
    _rule("scalar_const_multiple", "d/dx (c·f) = c·df/dx   [f = sin]", "§2", ("x", "c"),
          lambda x, c: R.const_multiple_rule(c, np.cos(x)), lambda x, c, *, xp: c * xp.sin(x),
          inputs=_two_scalars, scalar_output=True, scale=lambda x, c: float(max(abs(c), 1))),
    _rule("scalar_power", "d/dx xⁿ = n·xⁿ⁻¹", "§2", ("x", "n"),
          R.power_rule, lambda x, n, *, xp: x**n,
          inputs=lambda dtype: st.tuples(S.scalars(dtype=dtype), st.sampled_from((0, 1, 2, 3, 5))),
          scalar_output=True, static=(1,), note="n is an integer >= 0"),
    _rule("scalar_sum", "d/dx (f + g) = df/dx + dg/dx   [f = sin, g = x²]", "§2", ("x",),
          lambda x: R.sum_rule(np.cos(x), 2 * x), lambda x, *, xp: xp.sin(x) + x**2,
          inputs=_scalar, scalar_output=True),
    _rule("scalar_difference", "d/dx (f − g) = df/dx − dg/dx   [f = sin, g = x²]", "§2", ("x",),
          lambda x: R.difference_rule(np.cos(x), 2 * x), lambda x, *, xp: xp.sin(x) - x**2,
          inputs=_scalar, scalar_output=True),
    _rule("scalar_product", "d/dx (f·g) = f·dg/dx + df/dx·g   [f = sin, g = x²]", "§2", ("x",),
          lambda x: R.product_rule(np.sin(x), np.cos(x), x**2, 2 * x), lambda x, *, xp: xp.sin(x) * x**2,
          inputs=_scalar, scalar_output=True),
    _rule("scalar_chain", "d/dx f(g(x)) = df/du·du/dx   [sin(x²)]", "§2", ("x",),
          lambda x: R.single_variable_chain(np.cos(x**2), 2 * x), lambda x, *, xp: xp.sin(x**2),
          inputs=_scalar, scalar_output=True, scale=lambda x: float(max(2 * abs(x), 1))),
    # §3 partial derivatives and the gradient ------------------------------------------------
    _rule("partial_derivative", "∂(3x²y)/∂x = 6yx, ∂(3x²y)/∂y = 3x²", "§3", ("x", "y"),
          lambda x, y: (R.const_multiple_rule(3 * y, R.power_rule(x, 2)), R.const_multiple_rule(3 * x**2, 1.0)),
          lambda x, y, *, xp: 3 * x**2 * y, wrt=(0, 1), inputs=_two_scalars, scalar_output=True,
          note="the other variable is held constant, so each partial is a constant-multiple rule"),
    _rule("gradient_row", "∇f = [∂f/∂x₁ … ∂f/∂xₙ]   [f = 3x²y]", "§3", ("p",),
          lambda p: R.gradient([lambda p: 6 * p[1] * p[0], lambda p: 3 * p[0] ** 2], p),
          lambda p, *, xp: 3 * p[0] ** 2 * p[1],
          inputs=lambda dtype: _vector(dtype, 2), scalar_output=True),
    # §4.1 Jacobians --------------------------------------------------------------------------
    _rule("jacobian_numerator_layout", "∂y/∂x = [∇f₁; …; ∇fₘ], J[i,j] = ∂fᵢ/∂xⱼ   [f = (x·x, Σsin xᵢ, x₁xₙ)]",
          "§4.1", ("x",), _three_outputs_jacobian, I.three_outputs, inputs=_vector,
          scale=lambda x: float(max(x @ x, x.shape[0]))),
    _rule("jacobian_example_2x2", "∂(3x²y, 2x+y⁸)/∂(x,y) = [[6yx, 3x²], [2, 8y⁷]]", "§4", ("p",),
          lambda p: R.jacobian_from_gradients(
              [lambda p: np.stack([6 * p[1] * p[0], 3 * p[0] ** 2]), lambda p: np.stack([2 + 0 * p[0], 8 * p[1] ** 7])], p),
          I.paper_example_2x2, inputs=lambda dtype: _vector(dtype, 2),
          scale=lambda p: float(max(2 * abs(p[0]) + p[1] ** 8, 1))),
    _rule("jacobian_identity", "∂x/∂x = I", "§4.1", ("x",),
          R.identity_jacobian, lambda x, *, xp: x, inputs=_vector),
    # §4.2 element-wise binary operators ------------------------------------------------------
    _rule("ew_binary_general_jacobian", "∂(f(w)○g(x))/∂w = diag(∂○/∂f)·∂f/∂w   [f = w·sum(w), ○ = ⊗, g = sin]",
          "§4.2", ("w", "x"),
          lambda w, x: R.binary_general_jacobian(np.sin(x), np.sum(w) * np.eye(w.shape[0], dtype=w.dtype) + w[:, None]),
          I.scaled_by_sum_times_sin, inputs=lambda dtype: S.vector_pairs(dtype=dtype),
          scale=lambda w, x: float(max(np.abs(w).sum() * 2, 1))),
    _rule("ew_diagonal_condition", "∂(f(w)○g(x))/∂w = diag(∂(fᵢ(wᵢ)○gᵢ(xᵢ))/∂wᵢ)   [sin(w)⊗exp(x)]",
          "§4.2", ("w", "x"), lambda w, x: R.diagonal_jacobian(np.cos(w) * np.exp(x)), I.sin_times_exp,
          inputs=lambda dtype: S.vector_pairs(dtype=dtype), scale=lambda w, x: float(np.exp(x).max())),
    _rule("ew_add_dw", "∂(w+x)/∂w = I", "§4.2", ("w", "x"), R.add_jacobian_w,
          function=jnp.add, primal=np.add, inputs=lambda dtype: S.vector_pairs(dtype=dtype)),
    _rule("ew_add_dx", "∂(w+x)/∂x = I", "§4.2", ("w", "x"), R.add_jacobian_x,
          function=jnp.add, primal=np.add, wrt=1, inputs=lambda dtype: S.vector_pairs(dtype=dtype)),
    _rule("ew_sub_dw", "∂(w−x)/∂w = I", "§4.2", ("w", "x"), R.sub_jacobian_w,
          function=jnp.subtract, primal=np.subtract, inputs=lambda dtype: S.vector_pairs(dtype=dtype)),
    _rule("ew_sub_dx", "∂(w−x)/∂x = −I", "§4.2", ("w", "x"), R.sub_jacobian_x,
          function=jnp.subtract, primal=np.subtract, wrt=1, inputs=lambda dtype: S.vector_pairs(dtype=dtype)),
    _rule("ew_mul_dw", "∂(w⊗x)/∂w = diag(x)", "§4.2", ("w", "x"), R.mul_jacobian_w,
          function=jnp.multiply, primal=np.multiply, inputs=lambda dtype: S.vector_pairs(dtype=dtype)),
    _rule("ew_mul_dx", "∂(w⊗x)/∂x = diag(w)", "§4.2", ("w", "x"), R.mul_jacobian_x,
          function=jnp.multiply, primal=np.multiply, wrt=1, inputs=lambda dtype: S.vector_pairs(dtype=dtype)),
    _rule("ew_div_dw", "∂(w⊘x)/∂w = diag(1/xᵢ)", "§4.2", ("w", "x"), R.div_jacobian_w,
          function=jnp.divide, primal=np.divide, inputs=lambda dtype: S.vector_pairs(dtype=dtype, second_nonzero=True),
          note="domain xᵢ ≠ 0 (D6); inputs keep |xᵢ| >= 0.1"),
    _rule("ew_div_dx", "∂(w⊘x)/∂x = diag(−wᵢ/xᵢ²)", "§4.2", ("w", "x"), R.div_jacobian_x,
          function=jnp.divide, primal=np.divide, wrt=1, inputs=lambda dtype: S.vector_pairs(dtype=dtype, second_nonzero=True),
          note="domain xᵢ ≠ 0 (D6); inputs keep |xᵢ| >= 0.1"),
    # §4.3 scalar expansion -------------------------------------------------------------------
    _rule("sexp_add_dx", "∂(x+z)/∂x = I", "§4.3", ("x", "z"), R.scalar_add_jacobian_x,
          function=jnp.add, primal=np.add, inputs=lambda dtype: S.vector_and_scalar(dtype=dtype)),
    _rule("sexp_add_dz", "∂(x+z)/∂z = 1⃗", "§4.3", ("x", "z"), R.scalar_add_jacobian_z,
          function=jnp.add, primal=np.add, wrt=1, inputs=lambda dtype: S.vector_and_scalar(dtype=dtype)),
    _rule("sexp_mul_dx", "∂(x·z)/∂x = I·z", "§4.3", ("x", "z"), R.scalar_mul_jacobian_x,
          function=jnp.multiply, primal=np.multiply, inputs=lambda dtype: S.vector_and_scalar(dtype=dtype)),
    _rule("sexp_mul_dz", "∂(x·z)/∂z = x", "§4.3", ("x", "z"), R.scalar_mul_jacobian_z,
          function=jnp.multiply, primal=np.multiply, wrt=1, inputs=lambda dtype: S.vector_and_scalar(dtype=dtype)),
    # §4.4 reductions -------------------------------------------------------------------------
    _rule("sum_general", "∂sum(f(x))/∂x = 1⃗ᵀ·∂f/∂x   [f = (x·x, Σsin xᵢ, x₁xₙ)]", "§4.4", ("x",),
          lambda x: R.sum_grad(_three_outputs_jacobian(x)), lambda x, *, xp: xp.sum(I.three_outputs(x, xp=xp)),
          inputs=_vector, scalar_output=True,
          scale=lambda x: float(max(x @ x + x.shape[0] + abs(x[0] * x[-1]), np.abs(_three_outputs_jacobian(x)).sum(0).max()))),
    _rule("sum_dx", "∂sum(x)/∂x = 1⃗ᵀ", "§4.4", ("x",), R.sum_grad_x, function=jnp.sum, primal=np.sum,
          inputs=_vector, scalar_output=True, scale=lambda x: float(np.abs(x).sum())),
    _rule("sum_xz_dx", "∂sum(x·z)/∂x = z·1⃗ᵀ", "§4.4", ("x", "z"), R.sum_scaled_grad_x,
          lambda x, z, *, xp: xp.sum(x * z), inputs=lambda dtype: S.vector_and_scalar(dtype=dtype), scalar_output=True,
          scale=lambda x, z: float(np.abs(x).sum() * abs(z))),
    _rule("sum_xz_dz", "∂sum(x·z)/∂z = sum(x)", "§4.4", ("x", "z"), R.sum_scaled_grad_z,
          lambda x, z, *, xp: xp.sum(x * z), wrt=1, inputs=lambda dtype: S.vector_and_scalar(dtype=dtype), scalar_output=True,
          scale=lambda x, z: float(np.abs(x).sum() * max(abs(z), 1))),
    _rule("dot_dw", "∂(w·x)/∂w = 1⃗ᵀdiag(x) = xᵀ", "§4.4, §5", ("w", "x"), R.dot_grad_w,
          function=jnp.dot, primal=R.dot, inputs=lambda dtype: S.vector_pairs(dtype=dtype), scalar_output=True, scale=_dot_scale),
    _rule("dot_dx", "∂(w·x)/∂x = 1⃗ᵀdiag(w) = wᵀ", "§4.4", ("w", "x"), R.dot_grad_x,
          function=jnp.dot, primal=R.dot, wrt=1, inputs=lambda dtype: S.vector_pairs(dtype=dtype), scalar_output=True, scale=_dot_scale),
    # §4.5 chain rules ------------------------------------------------------------------------
    _rule("chain_single_variable", "dy/dx = dy/du·du/dx   [y = e^u, u = sin x]", "§4.5/SV", ("x",),
          lambda x: R.single_variable_chain(np.exp(np.sin(x)), np.cos(x)), I.exp_of_sin,
          inputs=_scalar, scalar_output=True, scale=lambda x: float(np.exp(np.sin(x)))),
    _rule("chain_total_derivative", "∂f(x,u₁…uₙ)/∂x = ∂f/∂x + Σ ∂f/∂uᵢ·∂uᵢ/∂x   [f = x·u₁ + sin u₂, u₁ = x², u₂ = x·u₁]",
          "§4.5/TD", ("x",), lambda x: R.total_derivative(*_total_derivative_pieces(x)), I.direct_and_indirect,
          inputs=partial(_scalar, max_magnitude=2.0), scalar_output=True,
          scale=lambda x: float(6 * x**2 + abs(x) ** 3), note="x in [-2, 2]: keeps sin(x³) well conditioned"),
    _rule("chain_total_derivative_aliased", "∂f(u₁…uₙ₊₁)/∂x = (∂f/∂u)(∂u/∂x) with uₙ₊₁ = x   [as above]",
          "§4.5/TD, §8.5", ("x",),
          lambda x: R.total_derivative_aliased(
              np.append(_total_derivative_pieces(x)[1], x**2), np.append(_total_derivative_pieces(x)[2], 1 + 0 * x)),
          I.direct_and_indirect, inputs=partial(_scalar, max_magnitude=2.0), scalar_output=True,
          scale=lambda x: float(6 * x**2 + abs(x) ** 3), note="the alias uₙ₊₁ = x carries the direct path"),
    _rule("chain_vector_scalar_x", "∂f(g(x))/∂x = (∂f/∂g)(∂g/∂x)   [f = (ln g₁, sin g₂), g = (x², 3x)]",
          "§4.5/V", ("x",),
          lambda x: R.vector_chain(np.diag(np.stack([1 / x**2, np.cos(3 * x)])), np.stack([2 * x, 3 + 0 * x])),
          I.log_square_and_sine, inputs=partial(_scalar, min_magnitude=0.1, allow_zero=False),
          scale=lambda x: float(max(abs(np.log(x**2)), 3)), note="domain x ≠ 0 (ln x²); inputs keep |x| >= 0.1"),
    _rule("chain_vector", "∂f(g(x))/∂x = (∂f/∂g)(∂g/∂x), (m×k)(k×n)   [f: R³→R², g: Rⁿ→R³]", "§4.5/V", ("x",),
          lambda x: R.vector_chain(_outer_of_three_jacobian(I.three_outputs(x, xp=np)), _three_outputs_jacobian(x)),
          I.composed, inputs=_vector, scale=_composed_scale),
    _rule("chain_vector_diagonal", "∂f(g(x))/∂x = diag(∂fᵢ/∂gᵢ·∂gᵢ/∂xᵢ)   [fᵢ = sin gᵢ, gᵢ = xᵢ²]", "§4.5/V", ("x",),
          lambda x: R.vector_chain_diagonal(np.cos(x**2), 2 * x), I.sin_of_square,
          inputs=partial(_vector, max_magnitude=2.0), scale=lambda x: float(max(2 * np.abs(x).max(), 1)),
          note="x in [-2, 2]: keeps sin(x²) well conditioned"),
    _rule("ew_unary_diag", "∂f(x)/∂x = diag(f′(xᵢ))   [f = tanh]", "§4.5/V, §5", ("x",),
          lambda x: R.unary_jacobian(1 - np.tanh(x) ** 2), lambda x, *, xp: xp.tanh(x), inputs=_vector),
    # §5 the neuron ---------------------------------------------------------------------------
    _rule("affine_dw", "∂(w·x + b)/∂w = xᵀ", "§5", ("w", "b", "x"), R.affine_grad_w,
          function=N.affine, primal=R.affine, inputs=lambda dtype: S.neuron_inputs(dtype=dtype), scalar_output=True, scale=_neuron_scale),
    _rule("affine_db", "∂(w·x + b)/∂b = 1", "§5", ("w", "b", "x"), R.affine_grad_b,
          function=N.affine, primal=R.affine, wrt=1, inputs=lambda dtype: S.neuron_inputs(dtype=dtype), scalar_output=True, scale=_neuron_scale),
    _rule("relu_scalar", "d max(0,z)/dz = 1[z > 0]", "§5", ("z",), R.relu_derivative,
          function=N.relu, primal=R.relu, scalar_output=True,
          inputs=partial(_scalar, min_magnitude=S.KINK_MARGIN, allow_zero=False), note=_RELU_NOTE),
    _rule("relu_broadcast", "∂max(0,x)/∂x = diag(1[xᵢ > 0])", "§5", ("x",), R.relu_jacobian,
          function=N.relu, primal=R.relu, inputs=lambda dtype: S.relu_points(dtype=dtype), note=_RELU_NOTE + "; an n×n Jacobian (D5)"),
    _rule("neuron_activation_dw", "∂max(0, w·x+b)/∂w = 1[z > 0]·xᵀ", "§5", ("w", "b", "x"), R.neuron_activation_grad_w,
          function=N.neuron_activation, primal=R.neuron_activation, inputs=lambda dtype: S.neuron_inputs(dtype=dtype),
          scalar_output=True, scale=_neuron_scale, note=_RELU_NOTE),
    _rule("neuron_activation_db", "∂max(0, w·x+b)/∂b = 1[z > 0]", "§5", ("w", "b", "x"), R.neuron_activation_grad_b,
          function=N.neuron_activation, primal=R.neuron_activation, wrt=1, inputs=lambda dtype: S.neuron_inputs(dtype=dtype),
          scalar_output=True, scale=_neuron_scale, note=_RELU_NOTE),
    # §6 the loss ----------------------------------------------------------------------------
    _rule("mse_loss", "C = (1/N)Σ(yᵢ − max(0, w·xᵢ+b))², ∇C = (∂C/∂w, ∂C/∂b)", "§6", ("w", "b", "X", "y"),
          lambda w, b, X, y: (R.mse_loss_grad_w(w, b, X, y), R.mse_loss_grad_b(w, b, X, y)),
          function=N.mse_loss, primal=R.mse_loss, wrt=(0, 1), inputs=lambda dtype: S.regression_batches(dtype=dtype),
          scalar_output=True, scale=_batch_scale, note=_LOSS_NOTE),
    _rule("loss_intermediates", "v = y − max(0, Xw+b): ∂vᵢ/∂w = −1[zᵢ > 0]xᵢᵀ, ∂vᵢ/∂b = −1[zᵢ > 0]", "§6",
          ("w", "b", "X", "y"), lambda w, b, X, y: (R.residual_jacobian_w(w, b, X, y), R.residual_jacobian_b(w, b, X, y)),
          function=lambda w, b, X, y: y - N.relu(X @ w + b), primal=lambda w, b, X, y: y - R.relu(X @ w + b),
          wrt=(0, 1), inputs=lambda dtype: S.regression_batches(dtype=dtype), scale=_batch_scale, note=_LOSS_NOTE),
    _rule("mse_grad_w", "∂C/∂w = (2/N)Σ_{i∈A} eᵢxᵢᵀ, eᵢ = w·xᵢ + b − yᵢ", "§6.1", ("w", "b", "X", "y"),
          R.mse_loss_grad_w, function=N.mse_loss, primal=R.mse_loss, inputs=lambda dtype: S.regression_batches(dtype=dtype),
          scalar_output=True, scale=_batch_scale, note=_LOSS_NOTE),
    _rule("mse_grad_b", "∂C/∂b = (2/N)Σ_{i∈A} eᵢ", "§6.2", ("w", "b", "X", "y"),
          R.mse_loss_grad_b, function=N.mse_loss, primal=R.mse_loss, wrt=1, inputs=lambda dtype: S.regression_batches(dtype=dtype),
          scalar_output=True, scale=_batch_scale, note=_LOSS_NOTE),
    _rule("bias_folding", "ŵ = [w; b], x̂ = [x; 1]: ∂C/∂ŵ = (2/N)Σ_{i∈A} eᵢx̂ᵢᵀ", "§6.2", ("w_hat", "X_hat", "y"),
          R.mse_loss_grad_folded, function=lambda w, X, y: N.mse_loss(w, 0.0, X, y),
          primal=lambda w, X, y: R.mse_loss(w, 0.0, X, y), inputs=_folded_batch, scalar_output=True,
          scale=lambda w, X, y: _batch_scale(w, 0.0, X, y), note=_LOSS_NOTE),
)

RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def get_rule(name: str) -> Rule:
    """The rule called ``name``; a ``KeyError`` lists the valid names."""
    try:
        return RULES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"no rule named {name!r}; known rules: {', '.join(RULES_BY_NAME)}") from None


@dataclass(frozen=True)
class SpecialPoint:
    """A point where a rule's convention decides the answer, checked exactly rather than drawn."""

    rule: str
    args: tuple
    why: str


SPECIAL_POINTS: tuple[SpecialPoint, ...] = (
    SpecialPoint("relu_scalar", (0.0,), "the kink: d/dz max(0, z) = 0 at z = 0 (D2)"),
    SpecialPoint("relu_scalar", (-0.0,), "negative zero is on the kink too"),
    SpecialPoint("relu_broadcast", (np.array([-1.0, 0.0, 2.0]),), "one entry on the kink: diag(0, 0, 1)"),
    SpecialPoint("neuron_activation_dw", (np.array([1.0, -2.0]), 0.0, np.array([2.0, 1.0])), "w·x + b = 0 exactly"),
    SpecialPoint("neuron_activation_db", (np.array([1.0, -2.0]), 0.0, np.array([2.0, 1.0])), "w·x + b = 0 exactly"),
    SpecialPoint("mse_grad_w", (np.array([1.0, 1.0]), -1.0, np.array([[0.5, 0.5], [2.0, 1.0], [0.0, 0.0]]), np.array([1.0, 3.0, 2.0])),
                 "sample 0 on the kink (z = 0), sample 1 active, sample 2 inactive: divide by N = 3"),
    SpecialPoint("mse_grad_b", (np.array([1.0, 1.0]), -1.0, np.array([[0.5, 0.5], [2.0, 1.0], [0.0, 0.0]]), np.array([1.0, 3.0, 2.0])),
                 "sample 0 on the kink (z = 0), sample 1 active, sample 2 inactive: divide by N = 3"),
    SpecialPoint("ew_div_dx", (np.array([3.0, -1.0]), np.array([1e-3, -2.0])), "a divisor near 0 (the gradient is large)"),
)
"""Checked against every oracle in both lanes by ``tests/test_special_points.py``; JAX agrees at
the kink because ``jax.nn.relu`` takes 0 there (``jnp.maximum`` would give 0.5)."""
