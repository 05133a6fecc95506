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

import importlib as _importlib

TOPICS = ("jacobian", "scalar", "elementwise", "expansion", "reduction", "chain", "neuron", "loss", "training",
          "layers", "softmax", "activations", "norms", "normalization", "matrices")
"""The topic modules: the paper's, in its order, then the rules beyond it.  Every public function or class a topic module
defines is exported here, so adding a rule is adding a function to its topic module."""


def _public_names(module) -> list[str]:
    return [name for name, value in vars(module).items()
            if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__ and callable(value)]


__all__: list[str] = []
for _topic in TOPICS:
    _module = _importlib.import_module(f"reference.{_topic}")
    for _name in _public_names(_module):
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)
