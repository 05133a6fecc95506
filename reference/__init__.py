r"""Hand-written NumPy implementations of every rule in Parr & Howard's
"The Matrix Calculus You Need For Deep Learning".  Pure NumPy: importing this package never
imports JAX.

Notation, used in every docstring:

- Bold lower case ($\mathbf{x}$) is a vector, shape (n,); $X$ is a matrix; $z$, $b$ are scalars.
- $\otimes$ and $\oslash$ are element-wise multiplication and division; $\vec{1}$ is a vector of ones.
- $\operatorname{diag}(\mathbf{v})$ is the square matrix with $\mathbf{v}$ on its diagonal.
- Layout (decision D1): every derivative of an output of shape S by an input of shape T has
  shape S + T: numerator layout, generalised, exactly what ``jax.jacfwd`` returns.  The
  paper's row gradient $\mathbf{x}^T$ (1×n) is stored with shape (n,); $\partial\mathbf{y}/\partial z$
  for a scalar z has shape (n,); a scalar-by-scalar derivative has shape ().
- ReLU: $\frac{d}{dz}\max(0,z)$ at $z = 0$ is 0 (decision D2).
- The loss gradient divides by N, all samples (decision D3).

Inputs: integer arrays are accepted and computed in float64; floating arrays keep their
dtype.  Strings, objects, booleans and complex numbers raise ``TypeError``; NaN or inf, a shape
mismatch, or a point outside a rule's domain (a zero divisor, decision D6) raise ``ValueError``.
Every message names the argument.
"""

from reference.chain import (
    single_variable_chain,
    total_derivative,
    total_derivative_aliased,
    vector_chain,
    vector_chain_diagonal,
)
from reference.elementwise import (
    add_jacobian_w,
    add_jacobian_x,
    binary_general_jacobian,
    diagonal_jacobian,
    div_jacobian_w,
    div_jacobian_x,
    mul_jacobian_w,
    mul_jacobian_x,
    sub_jacobian_w,
    sub_jacobian_x,
    unary_jacobian,
)
from reference.expansion import (
    scalar_add_jacobian_x,
    scalar_add_jacobian_z,
    scalar_mul_jacobian_x,
    scalar_mul_jacobian_z,
)
from reference.jacobian import finite_difference_jacobian, identity_jacobian, jacobian_from_gradients
from reference.loss import (
    append_ones,
    fold_bias,
    gradient_descent_step,
    mse_loss,
    mse_loss_grad_b,
    mse_loss_grad_folded,
    mse_loss_grad_w,
    residual_jacobian_b,
    residual_jacobian_w,
)
from reference.neuron import (
    affine,
    affine_grad_b,
    affine_grad_w,
    neuron_activation,
    neuron_activation_grad_b,
    neuron_activation_grad_w,
    relu,
    relu_derivative,
    relu_jacobian,
)
from reference.reduction import dot, dot_grad_w, dot_grad_x, sum_grad, sum_grad_x, sum_scaled_grad_x, sum_scaled_grad_z
from reference.scalar import (
    const_multiple_rule,
    constant_rule,
    difference_rule,
    gradient,
    power_rule,
    product_rule,
    sum_rule,
)
from reference.training import TrainingDiverged, TrainResult, train

__all__ = [
    "add_jacobian_w",
    "add_jacobian_x",
    "affine",
    "affine_grad_b",
    "affine_grad_w",
    "append_ones",
    "binary_general_jacobian",
    "const_multiple_rule",
    "constant_rule",
    "diagonal_jacobian",
    "difference_rule",
    "div_jacobian_w",
    "div_jacobian_x",
    "dot",
    "dot_grad_w",
    "dot_grad_x",
    "finite_difference_jacobian",
    "fold_bias",
    "gradient",
    "gradient_descent_step",
    "identity_jacobian",
    "jacobian_from_gradients",
    "mse_loss",
    "mse_loss_grad_b",
    "mse_loss_grad_folded",
    "mse_loss_grad_w",
    "mul_jacobian_w",
    "mul_jacobian_x",
    "neuron_activation",
    "neuron_activation_grad_b",
    "neuron_activation_grad_w",
    "power_rule",
    "product_rule",
    "relu",
    "relu_derivative",
    "relu_jacobian",
    "residual_jacobian_b",
    "residual_jacobian_w",
    "scalar_add_jacobian_x",
    "scalar_add_jacobian_z",
    "scalar_mul_jacobian_x",
    "scalar_mul_jacobian_z",
    "single_variable_chain",
    "sub_jacobian_w",
    "sub_jacobian_x",
    "sum_grad",
    "sum_grad_x",
    "sum_rule",
    "sum_scaled_grad_x",
    "sum_scaled_grad_z",
    "total_derivative",
    "total_derivative_aliased",
    "train",
    "TrainingDiverged",
    "TrainResult",
    "unary_jacobian",
    "vector_chain",
    "vector_chain_diagonal",
]
