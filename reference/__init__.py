r"""Hand-written NumPy implementations of every rule in Parr & Howard's
"The Matrix Calculus You Need For Deep Learning", and of the layer rules beyond it (weight
matrices, softmax and cross-entropy, smooth activations, norms, layer normalisation, matrix
identities, second derivatives).  Pure NumPy: importing this package never imports JAX.

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

from reference import activations as _activations
from reference import chain as _chain
from reference import elementwise as _elementwise
from reference import expansion as _expansion
from reference import jacobian as _jacobian
from reference import layers as _layers
from reference import loss as _loss
from reference import matrices as _matrices
from reference import neuron as _neuron
from reference import normalization as _normalization
from reference import norms as _norms
from reference import reduction as _reduction
from reference import scalar as _scalar
from reference import softmax as _softmax
from reference import training as _training
from reference.activations import *  # noqa: F403
from reference.chain import *  # noqa: F403
from reference.elementwise import *  # noqa: F403
from reference.expansion import *  # noqa: F403
from reference.jacobian import *  # noqa: F403
from reference.layers import *  # noqa: F403
from reference.loss import *  # noqa: F403
from reference.matrices import *  # noqa: F403
from reference.neuron import *  # noqa: F403
from reference.normalization import *  # noqa: F403
from reference.norms import *  # noqa: F403
from reference.reduction import *  # noqa: F403
from reference.scalar import *  # noqa: F403
from reference.softmax import *  # noqa: F403
from reference.training import *  # noqa: F403

TOPICS = ("scalar", "jacobian", "elementwise", "expansion", "reduction", "chain", "neuron", "loss", "training",
          "layers", "softmax", "activations", "norms", "normalization", "matrices")
"""The topic modules: the paper's, in its order, then the rules beyond it.  Each lists its public functions in its
``__all__``, and this package re-exports them with a star import (a form type checkers and editors follow), so adding
a rule is adding a function to its topic module and its name to that module's ``__all__``."""

__all__: list[str] = []
__all__ += _jacobian.__all__
__all__ += _scalar.__all__
__all__ += _elementwise.__all__
__all__ += _expansion.__all__
__all__ += _reduction.__all__
__all__ += _chain.__all__
__all__ += _neuron.__all__
__all__ += _loss.__all__
__all__ += _training.__all__
__all__ += _layers.__all__
__all__ += _softmax.__all__
__all__ += _activations.__all__
__all__ += _norms.__all__
__all__ += _normalization.__all__
__all__ += _matrices.__all__
