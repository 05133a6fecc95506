"""The rules beyond the paper, one row each: layers, softmax, activations, norms, normalisation,
matrix identities and the scalar-expansion cases the paper omits.

Each row pairs a hand-written NumPy rule from ``reference`` with the function JAX differentiates
(``jax.numpy``, or ``jax.nn`` where it has the function), its NumPy twin, the argument(s)
differentiated and the input domain, composed here from ``verification.strategies``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

import reference as R
from verification import layers as L
from verification import neuron as N
from verification import strategies as S
from verification.rules.rule import Rule

# --- domains -----------------------------------------------------------------------------
# Each strategy draws its sizes once and every array of the tuple with sizes that fit together.
# Every new shape compiles the oracles again, so each row draws from two shapes: the first (the
# one hypothesis shrinks to) small, the second non-square, so a transposed or reshaped derivative
# cannot pass by symmetry.

_MN = ((1, 3), (3, 2))
"""(rows, columns) of a matrix."""
_NNM = ((1, 3, 2), (5, 2, 3))
"""(samples N, inputs n, outputs m) of an affine layer."""


def _matrix_and_vector(dtype):
    """(W, x): W is m×n, x has n entries."""
    return st.sampled_from(_MN).flatmap(
        lambda mn: st.tuples(S.matrices(dtype=dtype, shape=mn), S.vectors(dtype=dtype, n=mn[1])))


def _affine_layer(dtype):
    """(X, W, b): N samples of n features, W is n×m, b has m entries."""
    return st.sampled_from(_NNM).flatmap(
        lambda Nnm: st.tuples(S.matrices(dtype=dtype, shape=Nnm[:2]), S.matrices(dtype=dtype, shape=Nnm[1:]),
                              S.vectors(dtype=dtype, n=Nnm[2])))


def _affine_layer_with_labels(dtype):
    """(X, W, b, T): the layer as above and per sample a label vector of m nonnegative weights
    summing to 1 (m >= 2: with one class the softmax is constant)."""
    def layer(Nnm):
        rows, n, classes = Nnm
        weights = S.matrices(dtype=dtype, shape=(rows, classes), min_magnitude=0.1, allow_zero=False)
        return st.tuples(S.matrices(dtype=dtype, shape=(rows, n)), S.matrices(dtype=dtype, shape=(n, classes)),
                         S.vectors(dtype=dtype, n=classes), weights.map(lambda T: np.abs(T) / np.abs(T).sum(1, keepdims=True)))
    return st.sampled_from(_NNM).flatmap(layer)


def _vector_and_square(dtype, matrix=S.matrices):
    """(x, A): x has n entries, A is n×n."""
    def pair(n):
        A = S.matrices(dtype=dtype, shape=(n, n)) if matrix is S.matrices else matrix(dtype=dtype, n=n)
        return st.tuples(S.vectors(dtype=dtype, n=n), A)
    return S.sizes().flatmap(pair)


def _logits(dtype):
    return S.logits(dtype=dtype).map(lambda z: (z,))


def _logits_and(labels):
    """(z, y): logits and labels of the same length, labels drawn by ``labels(dtype=, n=)``."""
    def strategy(dtype):
        return S.sizes().flatmap(lambda n: st.tuples(S.logits(dtype=dtype, n=n), labels(dtype=dtype, n=n)))
    return strategy


def _activation_points(dtype):
    # |z| up to 50: the flat tails (|z| >= 40, where 1 − σ(z) rounds to 0) and the middle
    return S.vectors(dtype=dtype, max_magnitude=50.0).map(lambda z: (z,))


def _vector(dtype, **kwargs):
    return S.vectors(dtype=dtype, **kwargs).map(lambda x: (x,))


def _nonzero_vector(dtype):
    return S.nonzero(dtype=dtype, shape=[(k,) for k in S.VECTOR_SIZES]).map(lambda x: (x,))


def _matrix(dtype):
    return st.sampled_from(_MN).flatmap(lambda mn: S.matrices(dtype=dtype, shape=mn)).map(lambda W: (W,))


def _least_squares(dtype):
    """(w, X, y): X is N×n, w has n entries, y has N."""
    return st.sampled_from(_MN).flatmap(
        lambda Nn: st.tuples(S.vectors(dtype=dtype, n=Nn[1]), S.matrices(dtype=dtype, shape=Nn),
                             S.vectors(dtype=dtype, n=Nn[0])))


def _folded_batch(dtype):
    """(ŵ, X, y) with ŵ = [w; b]: a regression batch with every sample away from the ReLU kink."""
    return S.regression_batches(dtype=dtype).map(lambda a: (R.fold_bias(a[0], a[1]), a[2], a[3]))


def _layer_norm_inputs(dtype):
    """(x, γ, β) of one length."""
    return S.sizes().flatmap(lambda n: st.tuples(*(S.vectors(dtype=dtype, n=n) for _ in range(3))))


def _invertible(dtype):
    return S.well_conditioned_matrices(dtype=dtype).map(lambda A: (A,))


def _product_pair(dtype):
    """(A, B): A is m×n and B is n×m, so AB is square."""
    return st.sampled_from(_MN).flatmap(
        lambda mn: st.tuples(S.matrices(dtype=dtype, shape=mn), S.matrices(dtype=dtype, shape=mn[::-1])))


def _vector_and_divisor(dtype):
    return st.tuples(S.vectors(dtype=dtype), S.nonzero(dtype=dtype, shape=()))


LARGE = 64
"""Length of the inputs of the Hessian-vector-product rows (A is LARGE × LARGE)."""


def _seeded(dtype, shapes, magnitude):
    """Arrays of the given shapes, uniform in ±scale with scale drawn up to ``magnitude``, from a
    drawn seed: a large input costs hypothesis two draws instead of one per entry (thousands per
    batch would exceed what it generates per example).  Shrinks towards seed 0 and scale 1."""
    def build(seed_scale):
        rng = np.random.default_rng(seed_scale[0])
        return tuple((rng.uniform(-1, 1, shape) * seed_scale[1]).astype(dtype) for shape in shapes)
    scale = S.floats(dtype=dtype, min_magnitude=1.0, max_magnitude=magnitude, allow_zero=False).map(abs)
    return st.tuples(st.integers(0, 2**32 - 1), scale).map(build)


def _long_logits(dtype):
    # |z| <= 30: every sᵢ ≥ e^{-60} stays a normal float32, where XLA on CPU flushes subnormal
    # results to 0 and NumPy keeps them (a difference of 1e-38 the per-entry tolerance rejects);
    # the log-sum-exp Hessian row checks logits up to 1e3.
    return _seeded(dtype, [(LARGE,)], 30.0)


def _long_vector_and_square(dtype):
    return _seeded(dtype, [(LARGE,), (LARGE, LARGE)], S.MAGNITUDE)


# --- NumPy twins and composed derivatives -----------------------------------------------------


def _affine_xent(X, W, b, T):
    """L = Σ_rows −Σ_j T_rj log softmax(XW + b)_rj: a classifier's loss on one affine layer."""
    return L.softmax_cross_entropy(L.affine_layer(X, W, b), T)


def _affine_xent_numpy(X, W, b, T):
    return np.sum([R.softmax_cross_entropy(y, t) for y, t in zip(X @ W + b, T, strict=True)])


def _affine_xent_grads(X, W, b, T):
    """The backward pass: dY row by row from the cross-entropy rule, then the layer's rule."""
    dY = np.stack([R.softmax_cross_entropy_grad(y, t) for y, t in zip(X @ W + b, T, strict=True)])
    return R.affine_layer_grads(X, W, b, dY)


def _sigmoid_and_tanh(z):
    return jnp.stack([jax.nn.sigmoid(z), jnp.tanh(z)])


def _sigmoid_and_tanh_jacobian(z):
    return np.stack([np.diag(R.sigmoid_derivative(z)), np.diag(R.tanh_derivative(z))])


def _folded_mse_loss(w_hat, X, y):
    return R.mse_loss(w_hat[:-1], w_hat[-1], X, y)


def _folded_mse_hessian(w_hat, X, y):
    return R.mse_loss_hessian(w_hat[:-1], w_hat[-1], X, y)


def _logabsdet(A, *, xp):
    return xp.linalg.slogdet(A)[1]


_HUGE_LOGITS = "logits up to |z| = 1e3 (no overflow: shifted by the maximum)"
_RELU_NOTE = "d/dz max(0, z) is taken as 0 at z = 0 (D2); inputs keep |z| >= 0.1, the tie is tested separately"

EXTENSION_RULES: tuple[Rule, ...] = (
    # matrix-vector products and the affine layer ------------------------------------------
    Rule(
        name="ext_matvec_dx", formula="∂(Wx)/∂x = W", section="Matrix Cookbook (69)", source="extension",
        args=("W", "x"), function=jnp.matmul, primal=np.matmul, derivative=R.matvec_jacobian_x, wrt=1,
        inputs=_matrix_and_vector, references=(R.matvec_jacobian_x,),
    ),
    Rule(
        name="ext_matvec_dW_tensor", formula="∂(Wx)ᵢ/∂Wⱼₖ = δᵢⱼxₖ, shape (m, m, n)", section="Matrix Cookbook (74)",
        source="extension", args=("W", "x"), function=jnp.matmul, primal=np.matmul, derivative=R.matvec_jacobian_W,
        wrt=0, inputs=_matrix_and_vector, references=(R.matvec_jacobian_W,),
    ),
    Rule(
        name="ext_affine_layer_grads", formula="Y = XW + b: vjp(dY) = (dY·Wᵀ, Xᵀ·dY, 1ᵀdY)",
        section="Matrix Cookbook (70)", source="extension", args=("X", "W", "b"), function=L.affine_layer,
        primal=lambda X, W, b: X @ W + b, derivative=R.affine_layer_grads, wrt=(0, 1, 2), form="vjp",
        inputs=_affine_layer, references=(R.affine_layer_grads,),
        note="the backward pass: a vector-Jacobian product with the upstream gradient dY as cotangent",
    ),
    Rule(
        name="ext_affine_layer_scalar_loss",
        formula="L = Σᵣ xent(XW + b, T)ᵣ: ∂L/∂(X, W, b) = backward pass of dY = softmax(Y) − T",
        section="Matrix Cookbook (70)", source="extension", args=("X", "W", "b", "T"),
        function=_affine_xent, primal=_affine_xent_numpy, derivative=_affine_xent_grads, wrt=(0, 1, 2),
        inputs=_affine_layer_with_labels, references=(R.affine_layer_grads, R.softmax_cross_entropy_grad),
        note="labels T: one probability vector per sample",
    ),
    # softmax family ------------------------------------------------------------------------
    Rule(
        name="ext_softmax_jacobian", formula="∂softmax(z)/∂z = diag(s) − s·sᵀ", section="Wikipedia: Softmax function",
        source="extension", args=("z",), function=jax.nn.softmax, primal=R.softmax, derivative=R.softmax_jacobian,
        inputs=_logits, references=(R.softmax_jacobian,), note=_HUGE_LOGITS,
    ),
    Rule(
        name="ext_log_softmax_jacobian", formula="∂(z − lse(z))/∂z = I − 1⃗·sᵀ", section="Wikipedia: Softmax function",
        source="extension", args=("z",), function=jax.nn.log_softmax, primal=R.log_softmax,
        derivative=R.log_softmax_jacobian, inputs=_logits, references=(R.log_softmax_jacobian,), note=_HUGE_LOGITS,
    ),
    Rule(
        name="ext_logsumexp_grad", formula="∂lse(z)/∂z = softmax(z)ᵀ", section="Boyd & Vandenberghe §3.1.5",
        source="extension", args=("z",), function=jax.nn.logsumexp, primal=R.logsumexp, derivative=R.logsumexp_grad,
        inputs=_logits, references=(R.logsumexp_grad,), note=_HUGE_LOGITS,
    ),
    Rule(
        name="ext_logsumexp_hessian", formula="∂²lse(z)/∂z² = diag(s) − s·sᵀ", section="Boyd & Vandenberghe §3.1.5",
        source="extension", args=("z",), function=jax.nn.logsumexp, primal=R.logsumexp,
        derivative=R.logsumexp_hessian, form="hessian", inputs=_logits, references=(R.logsumexp_hessian,),
        note=_HUGE_LOGITS,
    ),
    Rule(
        name="ext_logsumexp_hvp", formula="∇²lse(z)·v = s⊗(v − s·v)", section="Boyd & Vandenberghe §3.1.5",
        source="extension", args=("z",), function=jax.nn.logsumexp, primal=R.logsumexp,
        derivative=R.logsumexp_hvp, form="hvp", inputs=_long_logits, references=(R.logsumexp_hvp,),
        note=f"n = {LARGE}, no Hessian formed; logits up to |z| = 30",
    ),
    Rule(
        name="ext_softmax_xent", formula="∂(−yᵀlog softmax(z))/∂z = s − y   [y one-hot]",
        section="Wikipedia: Softmax function", source="extension", args=("z", "y"), function=L.softmax_cross_entropy,
        primal=R.softmax_cross_entropy, derivative=R.softmax_cross_entropy_grad, inputs=_logits_and(S.one_hot),
        references=(R.softmax_cross_entropy_grad,), note=_HUGE_LOGITS,
    ),
    Rule(
        name="ext_softmax_xent_soft", formula="∂(−yᵀlog softmax(z))/∂z = s − y   [y on the simplex]",
        section="Wikipedia: Softmax function", source="extension", args=("z", "y"), function=L.softmax_cross_entropy,
        primal=R.softmax_cross_entropy, derivative=R.softmax_cross_entropy_grad,
        inputs=_logits_and(S.probability_vectors), references=(R.softmax_cross_entropy_grad,), note=_HUGE_LOGITS,
    ),
    Rule(
        name="ext_softmax_xent_any_y", formula="∂(−yᵀlog softmax(z))/∂z = s·Σyᵢ − y   [any real y]",
        section="Wikipedia: Softmax function", source="extension", args=("z", "y"), function=L.softmax_cross_entropy,
        primal=R.softmax_cross_entropy, derivative=R.softmax_cross_entropy_grad, inputs=_logits_and(S.vectors),
        references=(R.softmax_cross_entropy_grad,), note=_HUGE_LOGITS,
    ),
    # activations ---------------------------------------------------------------------------
    Rule(
        name="ext_sigmoid_tanh", formula="σ′ = σ(1 − σ), tanh′ = 1 − tanh²: ∂(σ(z), tanh(z))/∂z = (diag σ′, diag tanh′)",
        section="Wikipedia: Logistic function, Hyperbolic functions", source="extension", args=("z",),
        function=_sigmoid_and_tanh, primal=lambda z: np.stack([R.sigmoid(z), np.tanh(z)]),
        derivative=_sigmoid_and_tanh_jacobian, inputs=_activation_points,
        references=(R.sigmoid_derivative, R.tanh_derivative, R.sigmoid), note="|z| up to 50, the saturated tails included",
    ),
    Rule(
        name="ext_softplus_derivative", formula="d log(1 + eᶻ)/dz = σ(z)", section="Wikipedia: Softplus",
        source="extension", args=("z",), function=jax.nn.softplus, primal=R.softplus,
        derivative=lambda z: R.unary_jacobian(R.softplus_derivative(z)), inputs=_activation_points,
        references=(R.softplus_derivative,), note="|z| up to 50, the saturated tails included",
    ),
    # norms and forms -----------------------------------------------------------------------
    Rule(
        name="ext_quadratic_form", formula="∂(xᵀAx)/∂x = xᵀ(A + Aᵀ)", section="Matrix Cookbook (81)",
        source="extension", args=("x", "A"), function=lambda x, A: x @ A @ x, primal=lambda x, A: x @ A @ x,
        derivative=R.quadratic_form_grad, inputs=_vector_and_square, references=(R.quadratic_form_grad,),
    ),
    Rule(
        name="ext_quadratic_form_hessian", formula="∂²(xᵀAx)/∂x² = A + Aᵀ", section="Matrix Cookbook (81)",
        source="extension", args=("x", "A"), function=lambda x, A: x @ A @ x, primal=lambda x, A: x @ A @ x,
        derivative=lambda x, A: R.quadratic_form_hessian(A), form="hessian", inputs=_vector_and_square,
        references=(R.quadratic_form_hessian,),
    ),
    Rule(
        name="ext_quadratic_form_hvp", formula="∇²(xᵀAx)·v = Av + Aᵀv", section="Matrix Cookbook (81)",
        source="extension", args=("x", "A"), function=lambda x, A: x @ A @ x, primal=lambda x, A: x @ A @ x,
        derivative=lambda x, A, v: R.quadratic_form_hvp(A, v), form="hvp", inputs=_long_vector_and_square,
        references=(R.quadratic_form_hvp,), note=f"n = {LARGE}, no Hessian formed",
    ),
    Rule(
        name="ext_sq_norm", formula="∂‖x‖₂²/∂x = 2xᵀ", section="Matrix Cookbook (131)", source="extension",
        args=("x",), function=lambda x: x @ x, primal=lambda x: x @ x, derivative=R.sq_norm_grad,
        inputs=_vector, references=(R.sq_norm_grad,),
    ),
    Rule(
        name="ext_l2_norm", formula="∂‖x‖₂/∂x = xᵀ/‖x‖₂", section="Matrix Cookbook (129)", source="extension",
        args=("x",), function=jnp.linalg.norm, primal=np.linalg.norm, derivative=R.l2_norm_grad,
        inputs=_nonzero_vector, references=(R.l2_norm_grad,),
        note="undefined at x = 0 (D6): inputs keep every |xᵢ| >= 0.1",
    ),
    Rule(
        name="ext_frobenius_sq", formula="∂‖W‖_F²/∂W = 2W", section="Matrix Cookbook (132)", source="extension",
        args=("W",), function=lambda W: jnp.sum(W**2), primal=lambda W: np.sum(W**2), derivative=R.frobenius_sq_grad,
        inputs=_matrix, references=(R.frobenius_sq_grad,),
    ),
    Rule(
        name="ext_least_squares", formula="∂‖Xw − y‖²/∂w = 2(Xw − y)ᵀX", section="Matrix Cookbook (84)",
        source="extension", args=("w", "X", "y"), function=lambda w, X, y: jnp.sum((X @ w - y) ** 2),
        primal=lambda w, X, y: np.sum((X @ w - y) ** 2), derivative=R.least_squares_grad, inputs=_least_squares,
        references=(R.least_squares_grad,),
    ),
    # the neuron ----------------------------------------------------------------------------
    Rule(
        name="ext_neuron_dx", formula="∂max(0, w·x + b)/∂x = 1[z > 0]·wᵀ", section="Parr & Howard §5 (dot_dx ∘ relu_scalar)",
        source="extension", args=("w", "b", "x"), function=N.neuron_activation, primal=R.neuron_activation,
        derivative=R.neuron_activation_grad_x, wrt=2, inputs=lambda dtype: S.neuron_inputs(dtype=dtype),
        references=(R.neuron_activation_grad_x,), note=_RELU_NOTE,
    ),
    Rule(
        name="ext_neuron_mse_hessian", formula="∂²C/∂ŵ² = (2/N)Σ_{i∈A} x̂ᵢx̂ᵢᵀ, ŵ = [w; b], x̂ = [x; 1]",
        section="Parr & Howard §6, differentiated again", source="extension", args=("w_hat", "X", "y"),
        function=L.mse_loss_folded, primal=_folded_mse_loss, derivative=_folded_mse_hessian, form="hessian",
        inputs=_folded_batch, references=(R.mse_loss_hessian,),
        note="valid where no zᵢ = 0 (the active set is locally fixed); a tie counts as inactive (D2); "
             "inputs keep |zᵢ| >= 0.1 and mix active and inactive samples",
    ),
    Rule(
        name="ext_neuron_mse_hvp", formula="∇²C·v̂ = (2/N)X̂ᵀ(1[z > 0]⊗X̂v̂), ŵ = [w; b]",
        section="Parr & Howard §6, differentiated again", source="extension", args=("w_hat", "X", "y"),
        function=L.mse_loss_folded, primal=_folded_mse_loss,
        derivative=lambda w_hat, X, y, v: R.mse_loss_hvp(w_hat[:-1], w_hat[-1], X, y, v), form="hvp",
        inputs=_folded_batch, references=(R.mse_loss_hvp,),
        note="no Hessian formed; valid where no zᵢ = 0, a tie counts as inactive (D2); inputs keep |zᵢ| >= 0.1",
    ),
    # layer normalisation -------------------------------------------------------------------
    Rule(
        name="ext_layer_norm_jacobian",
        formula="∂(γ⊗(x − μ)/√(σ² + ε) + β)/∂x = r·diag(γ)(I − 1⃗1⃗ᵀ/n − x̂x̂ᵀ/n)",
        section="Ba, Kiros & Hinton 2016", source="extension", args=("x", "gamma", "beta"), function=L.layer_norm,
        primal=R.layer_norm, derivative=lambda x, gamma, beta: R.layer_norm_jacobian(x, gamma),
        inputs=_layer_norm_inputs, references=(R.layer_norm_jacobian,), note="ε = 1e-5, the default",
    ),
    # matrix identities ---------------------------------------------------------------------
    Rule(
        name="ext_logdet_grad", formula="∂log|det A|/∂A = A⁻ᵀ", section="Matrix Cookbook (57)", source="extension",
        args=("A",), function=lambda A: _logabsdet(A, xp=jnp), primal=lambda A: _logabsdet(A, xp=np),
        derivative=R.logdet_grad, inputs=_invertible, references=(R.logdet_grad,),
        note="A invertible: inputs have condition number <= 100",
    ),
    Rule(
        name="ext_inverse_jacobian", formula="∂(A⁻¹)ᵢⱼ/∂Aₖₗ = −(A⁻¹)ᵢₖ(A⁻¹)ₗⱼ", section="Matrix Cookbook (59)",
        source="extension", args=("A",), function=jnp.linalg.inv, primal=np.linalg.inv, derivative=R.inverse_jacobian,
        inputs=_invertible, references=(R.inverse_jacobian,), note="A invertible: inputs have condition number <= 100",
    ),
    Rule(
        name="ext_trace_product_grad", formula="∂tr(AB)/∂A = Bᵀ", section="Matrix Cookbook (100)", source="extension",
        args=("A", "B"), function=lambda A, B: jnp.trace(A @ B), primal=lambda A, B: np.trace(A @ B),
        derivative=R.trace_product_grad, inputs=_product_pair, references=(R.trace_product_grad,),
    ),
    # scalar expansion: the cases the paper omits -------------------------------------------
    Rule(
        name="ext_sexp_sub_dx", formula="∂(x − z)/∂x = I", section="Parr & Howard §4.3, extended", source="extension",
        args=("x", "z"), function=jnp.subtract, primal=np.subtract, derivative=R.scalar_sub_jacobian_x,
        inputs=lambda dtype: S.vector_and_scalar(dtype=dtype), references=(R.scalar_sub_jacobian_x,),
    ),
    Rule(
        name="ext_sexp_sub_dz", formula="∂(x − z)/∂z = −1⃗", section="Parr & Howard §4.3, extended", source="extension",
        args=("x", "z"), function=jnp.subtract, primal=np.subtract, derivative=R.scalar_sub_jacobian_z, wrt=1,
        inputs=lambda dtype: S.vector_and_scalar(dtype=dtype), references=(R.scalar_sub_jacobian_z,),
    ),
    Rule(
        name="ext_sexp_div_dx", formula="∂(x/z)/∂x = I/z", section="Parr & Howard §4.3, extended", source="extension",
        args=("x", "z"), function=jnp.divide, primal=np.divide, derivative=R.scalar_div_jacobian_x,
        inputs=_vector_and_divisor, references=(R.scalar_div_jacobian_x,), note="domain z ≠ 0 (D6); inputs keep |z| >= 0.1",
    ),
    Rule(
        name="ext_sexp_div_dz", formula="∂(x/z)/∂z = −x/z²", section="Parr & Howard §4.3, extended", source="extension",
        args=("x", "z"), function=jnp.divide, primal=np.divide, derivative=R.scalar_div_jacobian_z, wrt=1,
        inputs=_vector_and_divisor, references=(R.scalar_div_jacobian_z,), note="domain z ≠ 0 (D6); inputs keep |z| >= 0.1",
    ),
)
