r"""The rows of ``reference.loss``: the neuron's mean squared error, its gradient (§6), the bias
folded into the weights, and the Hessian beyond the paper.

The functions JAX differentiates are ``verification.neuron``'s, the ones the training loop runs;
where a row takes its arguments in another arrangement (the bias folded into
$\hat{\mathbf{w}} = [\mathbf{w}; b]$), one function rearranges them for either side, given the
loss (``verification.neuron.mse_loss`` or ``reference.mse_loss``) and the ReLU likewise.
"""

from __future__ import annotations

from functools import partial

import numpy as np

import reference
from verification import strategies
from verification.neuron import mse_loss, relu
from verification.rules.rule import RowFields, Rule, SpecialPoint, per_argument

LOSS_NOTE = "sums over all N samples, inactive ones contribute 0 (D3); batches mix active and inactive samples"


def residual(w, b, X, y, *, relu):
    r"""$\mathbf{v} = \mathbf{y} - \max(0, X\mathbf{w} + b)$, with the given ReLU."""
    return y - relu(X @ w + b)


def loss_of_folded(w_hat, X, y, *, loss):
    r"""$C$ as a function of $\hat{\mathbf{w}} = [\mathbf{w}; b]$, shape (n+1,), with the given loss."""
    return loss(w_hat[:-1], w_hat[-1], X, y)


def loss_without_bias(w_hat, X_hat, y, *, loss):
    r"""$C$ with the bias 0 and the batch $\hat X = [X, \vec{1}]$ carrying it: the folded form of §6.2."""
    return loss(w_hat, 0.0, X_hat, y)


def folded_mse_loss_hessian(w_hat, X, y):
    """``reference.mse_loss_hessian`` at ŵ = [w; b]."""
    return reference.mse_loss_hessian(w_hat[:-1], w_hat[-1], X, y)


def folded_mse_loss_hvp(w_hat, X, y, v):
    """``reference.mse_loss_hvp`` at ŵ = [w; b]."""
    return reference.mse_loss_hvp(w_hat[:-1], w_hat[-1], X, y, v)


def regression_batches(dtype):
    """``(w, b, X, y)``: every sample away from the ReLU kink, active and inactive ones mixed."""
    return strategies.regression_batches(dtype=dtype)


def folded_batches(dtype):
    """``(ŵ, X, y)`` with ŵ = [w; b]: a regression batch, the bias folded into the weights."""
    return regression_batches(dtype).map(lambda a: (reference.fold_bias(a[0], a[1]), a[2], a[3]))


def folded_batches_with_ones(dtype):
    """``(ŵ, X̂, y)`` with ŵ = [w; b] and X̂ = [X, 1⃗]: the batch carries the bias."""
    return regression_batches(dtype).map(lambda a: (reference.fold_bias(a[0], a[1]), reference.append_ones(a[2]), a[3]))


_BATCH: RowFields = dict(args=("w", "b", "X", "y"), inputs=regression_batches, note=LOSS_NOTE)
_FOLDED_LOSS: RowFields = dict(args=("w_hat", "X", "y"), function=partial(loss_of_folded, loss=mse_loss),
                    primal=partial(loss_of_folded, loss=reference.mse_loss), inputs=folded_batches,
                    section="Parr & Howard §6, differentiated again", source="extension")

RULES: tuple[Rule, ...] = (
    Rule(name="mse_loss", formula="C = (1/N)Σ(yᵢ − max(0, w·xᵢ+b))², ∇C = (∂C/∂w, ∂C/∂b)", section="§6",
         function=mse_loss, primal=reference.mse_loss,
         derivative=lambda w, b, X, y: (reference.mse_loss_grad_w(w, b, X, y), reference.mse_loss_grad_b(w, b, X, y)),
         wrt=(0, 1), references=(reference.mse_loss_grad_w, reference.mse_loss_grad_b), **_BATCH),
    Rule(name="loss_intermediates", formula="v = y − max(0, Xw+b): ∂vᵢ/∂w = −1[zᵢ > 0]xᵢᵀ, ∂vᵢ/∂b = −1[zᵢ > 0]", section="§6",
         function=partial(residual, relu=relu), primal=partial(residual, relu=reference.relu),
         derivative=lambda w, b, X, y: (reference.residual_jacobian_w(w, b, X, y), reference.residual_jacobian_b(w, b, X, y)),
         wrt=(0, 1), references=(reference.residual_jacobian_w, reference.residual_jacobian_b), **_BATCH),
    *per_argument(dict(name="mse_grad_w", formula="∂C/∂w = (2/N)Σ_{i∈A} eᵢxᵢᵀ, eᵢ = w·xᵢ + b − yᵢ", section="§6.1",
                       derivative=reference.mse_loss_grad_w),
                  dict(name="mse_grad_b", formula="∂C/∂b = (2/N)Σ_{i∈A} eᵢ", section="§6.2", derivative=reference.mse_loss_grad_b),
                  function=mse_loss, primal=reference.mse_loss, **_BATCH),
    Rule(name="bias_folding", formula="ŵ = [w; b], x̂ = [x; 1]: ∂C/∂ŵ = (2/N)Σ_{i∈A} eᵢx̂ᵢᵀ", section="§6.2",
         args=("w_hat", "X_hat", "y"), function=partial(loss_without_bias, loss=mse_loss),
         primal=partial(loss_without_bias, loss=reference.mse_loss), derivative=reference.mse_loss_grad_folded,
         inputs=folded_batches_with_ones, note=LOSS_NOTE),
    Rule(name="ext_neuron_mse_hessian", formula="∂²C/∂ŵ² = (2/N)Σ_{i∈A} x̂ᵢx̂ᵢᵀ, ŵ = [w; b], x̂ = [x; 1]",
         derivative=folded_mse_loss_hessian, form="hessian", references=(reference.mse_loss_hessian,),
         note="valid where no zᵢ = 0 (the active set is locally fixed); a tie counts as inactive (D2); "
              "inputs keep |zᵢ| >= 0.1 and mix active and inactive samples", **_FOLDED_LOSS),
    Rule(name="ext_neuron_mse_hvp", formula="∇²C·v̂ = (2/N)X̂ᵀ(1[z > 0]⊗X̂v̂), ŵ = [w; b]",
         derivative=folded_mse_loss_hvp, form="hvp", references=(reference.mse_loss_hvp,),
         note="no Hessian formed; valid where no zᵢ = 0, a tie counts as inactive (D2); inputs keep |zᵢ| >= 0.1",
         **_FOLDED_LOSS),
)

_ONE_OF_EACH = (np.array([1.0, 1.0]), -1.0, np.array([[0.5, 0.5], [2.0, 1.0], [0.0, 0.0]]), np.array([1.0, 3.0, 2.0]))
"""(w, b, X, y) with z = (0, 2, −1): one sample on the kink, one active, one inactive."""
_ONE_OF_EACH_WHY = "sample 0 on the kink (z = 0), sample 1 active, sample 2 inactive: divide by N = 3"

SPECIAL_POINTS: tuple[SpecialPoint, ...] = (
    SpecialPoint("mse_grad_w", _ONE_OF_EACH, _ONE_OF_EACH_WHY),
    SpecialPoint("mse_grad_b", _ONE_OF_EACH, _ONE_OF_EACH_WHY),
)
