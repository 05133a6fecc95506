r"""A corpus case: a JAX function, its correct hand derivative, and planted mistakes.

A :class:`Case` pairs a function written with ``jax.numpy``/``jax.lax`` with a derivative
written independently in NumPy from the mathematics (never by differentiating the JAX twin),
a way to draw random points, and :class:`Mistake` variants of the derivative that a checker
must reject.  The generic mistakes below are the ones every case carries:

- ``×1.001``: the whole derivative scaled by $1 + 10^{-3}$;
- ``sign``: the whole derivative negated;
- ``entry +1e-3`` / ``entry +1e-9``: the checker's promised resolution
  (:data:`verification.compare.RESOLUTION`): one entry scaled by $1 + \delta$, the entry of
  smallest magnitude among those of at least $10^{-3}$ of the derivative's largest entry (the
  hardest entry the scale rule still leaves to the entry's own rounding).  $\delta = 10^{-9}$ is
  below float32's resolution, so it is planted in the float64 lane only.  Where float32's
  rounding at that entry is as large as the planted error (``1 - tanh²`` near 1e-3, a variance of
  values near 1000), the float32 lane sees it by checking the float32 point in float64 too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from verification.compare import JUDGED_FRACTION, RESOLUTION

LANES: tuple[str, ...] = ("float64", "float32")

@dataclass(frozen=True)
class Mistake:
    """A wrong derivative (same signature as the case's) and the lanes it is planted in."""

    name: str
    derivative: Callable
    lanes: tuple[str, ...] = LANES


@dataclass(frozen=True)
class Case:
    """One correct derivative and its planted mistakes.

    ``draw(rng)`` returns the point (a tuple of float64 arrays; the checker casts them to each
    lane); ``derivative`` has the signature :func:`verification.check_derivative` expects for
    ``form`` (for ``"vjp"``: ``derivative(*args, cotangent)``).
    """

    name: str
    family: str
    f: Callable
    derivative: Callable
    draw: Callable[[np.random.Generator], tuple]
    mistakes: tuple[Mistake, ...] = ()
    wrt: int = 0
    form: str = "vjp"
    description: str = ""
    names: tuple[str, ...] | None = field(default=None)


def scaled(derivative: Callable, factor: float) -> Callable:
    """``derivative`` times ``factor``, in the dtype it returns."""
    def wrong(*args):
        d = np.asarray(derivative(*args))
        return (d * d.dtype.type(factor)).astype(d.dtype)
    return wrong


def one_entry(derivative: Callable, delta: float) -> Callable:
    """``derivative`` with one entry scaled by ``1 + delta``: of the entries of at least
    ``JUDGED_FRACTION`` of the largest, the smallest in magnitude."""
    def wrong(*args):
        d = np.array(derivative(*args))
        magnitude = np.abs(d.astype(np.float64)).ravel()
        judged = magnitude >= JUDGED_FRACTION * magnitude.max(initial=0.0)
        if not judged.any():
            return d
        k = int(np.flatnonzero(judged)[np.argmin(magnitude[judged])])
        flat = d.reshape(-1)
        flat[k] = np.float64(flat[k]) * (1.0 + delta)
        return d
    return wrong


def generic_mistakes(derivative: Callable) -> tuple[Mistake, ...]:
    """The mistakes every case carries (see the module docstring)."""
    return (
        Mistake("×1.001", scaled(derivative, 1.001)),
        Mistake("sign", scaled(derivative, -1.0)),
        Mistake("entry +1e-3", one_entry(derivative, RESOLUTION["float32"])),
        Mistake("entry +1e-9", one_entry(derivative, RESOLUTION["float64"]), lanes=("float64",)),
    )


def case(name: str, family: str, f: Callable, derivative: Callable, draw: Callable, *,
         mistakes: tuple[Mistake, ...] = (), wrt: int = 0, form: str = "vjp", description: str = "") -> Case:
    """A :class:`Case` carrying the generic mistakes and then ``mistakes`` (the case's own)."""
    return Case(name=name, family=family, f=f, derivative=derivative, draw=draw,
                mistakes=generic_mistakes(derivative) + tuple(mistakes), wrt=wrt, form=form,
                description=description)


__all__ = ["LANES", "Case", "Mistake", "case", "generic_mistakes", "one_entry", "scaled"]
