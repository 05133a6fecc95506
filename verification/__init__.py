"""The JAX side: every reference rule checked against ``jax.jacfwd``, ``jax.jacrev`` and ``jax.grad``.

Importing this package changes no global JAX configuration: float64 checks run inside a
scoped ``jax.enable_x64`` context.
"""

from verification.training import train

__all__ = ["train"]
