"""The JAX side: hand-written derivatives checked against ``jax.jacfwd``, ``jax.jacrev``,
``jax.grad``, ``jax.jvp``, ``jax.vjp`` and ``jax.hessian``.

Check your own derivative with :func:`check_derivative` (one point), :func:`assert_derivative`
(the same, raising) or :func:`verify_derivative` (many hypothesis-drawn points), and a
``jax.custom_vjp``/``jax.custom_jvp`` rule with :func:`check_custom_rule` and its twins; the
built-in rules (``RULES``) go through the same code.  A check changes no global JAX state: the
precision lane that differs from the process's ``jax_enable_x64`` runs in a helper process.

The public names are listed once, in ``verification/__init__.pyi``: type checkers and editors
read them there, and this module imports each on first use (``lazy_loader.attach_stub``), so that
importing the package (as the pytest plugin does when pytest starts) does not import JAX.
``train`` is the subpackage :mod:`verification.train`; its function
:func:`verification.train.train` trains.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
