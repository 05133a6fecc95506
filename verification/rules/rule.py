"""``Rule``: one row of the rule table, declared the way a user declares a check of their own;
``twins`` and ``per_argument``, the two shorthands rows are written with; ``SpecialPoint``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import Phase, find, settings
from hypothesis import strategies as st

from verification.oracles import FORMS, oracle_names
from verification.precision import x64_enabled

SOURCES = ("paper", "extension")

RowFields = dict[str, Any]
"""Some of a ``Rule``'s fields by name, spread into rows that share them: ``Rule(**fields, ...)``."""


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One rule: a hand-written NumPy derivative and what it is checked against.

    Every row is checked by the same code as :func:`verification.check_derivative`, with the
    row's fields as its arguments.

    Attributes:
        name: the rule's id, also the pytest id and the CLI's ``--rule`` value.
        formula: the rule in one line (numerator layout).
        section: where it is stated: a section of the paper (``§4.2``) or a source.
        args: the argument names, in order; reports and error messages use them.
        function: the function JAX differentiates, written with ``jax.numpy``.
        derivative: the hand-written derivative (NumPy), in the shape ``form`` asks for.
        inputs: ``inputs(dtype)`` is a hypothesis strategy of argument tuples in the domain.
        primal: the same function in NumPy; its value must equal ``function``'s first.
        wrt: the index, or a tuple of indices, of the argument(s) differentiated.
        form: ``"jacobian"``, ``"jvp"``, ``"vjp"``, ``"hessian"`` or ``"hvp"``.
        static: indices of arguments that are not arrays (an integer power n).
        references: the public ``reference`` functions the row demonstrates (the table lists
            them); by default ``(derivative,)``, for a row whose derivative is one of them.
        source: ``"paper"`` or ``"extension"`` (beyond the paper); groups the table.
        kinks: the policy at a point where ``function`` is not differentiable (see
            :func:`verification.check_derivative`).
        note: the convention or domain restriction a reader should know.
    """

    name: str
    formula: str
    section: str
    args: tuple[str, ...]
    function: Callable
    derivative: Callable
    inputs: Callable[[np.dtype], st.SearchStrategy[tuple]]
    primal: Callable | None = None
    wrt: int | tuple[int, ...] = 0
    form: str = "jacobian"
    static: tuple[int, ...] = ()
    references: tuple[Callable, ...] = ()
    source: str = "paper"
    kinks: str = "jax"
    note: str = ""

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ValueError(f"name: expected a non-empty string, got {self.name!r}")
        if self.form not in FORMS:
            raise ValueError(f"{self.name}: form: expected one of {FORMS}, got {self.form!r}")
        if self.source not in SOURCES:
            raise ValueError(f"{self.name}: source: expected one of {SOURCES}, got {self.source!r}")
        for field_name in ("function", "derivative", "inputs"):
            if not callable(getattr(self, field_name)):
                raise TypeError(f"{self.name}: {field_name}: expected a callable")
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "references", tuple(self.references) or (self.derivative,))
        wrt = self.wrt if isinstance(self.wrt, int) else tuple(self.wrt)
        for i in (wrt,) if isinstance(wrt, int) else wrt:
            if not 0 <= i < len(self.args):
                raise ValueError(f"{self.name}: wrt: index {i} is not one of the {len(self.args)} arguments {self.args}")
        object.__setattr__(self, "wrt", wrt)

    @property
    def wrt_indices(self) -> tuple[int, ...]:
        return (self.wrt,) if isinstance(self.wrt, int) else self.wrt

    @property
    def oracles(self) -> tuple[str, ...]:
        """The JAX oracles that apply (``grad`` only for a scalar function: decided per point)."""
        return oracle_names(self.form, scalar_output=self.scalar_output)

    @cached_property
    def scalar_output(self) -> bool:
        """Whether ``function`` returns a scalar, judged at the simplest point of its domain, traced
        in this process's own precision (a shape does not depend on it, and a scoped 64-bit mode
        would leave the row's closed-over constants behind in the other width)."""
        dtype = np.dtype(np.float64 if x64_enabled() else np.float32)
        point = find(self.inputs(dtype), lambda _: True,
                     settings=settings(database=None, phases=(Phase.generate, Phase.shrink)))
        return jax.eval_shape(self.function, *point).shape == ()

    def check_arguments(self) -> dict:
        """The keyword arguments of :func:`verification.check_derivative` this row stands for."""
        return dict(wrt=self.wrt, form=self.form, primal=self.primal, kinks=self.kinks, static=self.static,
                    names=self.args, name=self.name, note=self.note)


def twins(f: Callable) -> RowFields:
    """A row's ``function`` and ``primal`` from one function written over an array module:
    ``f(*args, xp=...)`` with ``xp = jax.numpy`` is what JAX differentiates, with ``xp = numpy``
    the NumPy primal whose value must equal it.  Spread into a row: ``Rule(**twins(f), ...)``."""
    return {"function": partial(f, xp=jnp), "primal": partial(f, xp=np)}


def per_argument(*rows: RowFields, **shared: Any) -> tuple[Rule, ...]:
    """One row per argument of the same function: ``rows[i]`` (the fields that differ: name,
    formula, derivative, ...) is differentiated with respect to argument i; ``shared`` holds the
    fields they have in common (function, args, inputs, ...)."""
    return tuple(Rule(wrt=i, **shared, **row) for i, row in enumerate(rows))


@dataclass(frozen=True)
class SpecialPoint:
    """A point where a rule's convention decides the answer, checked exactly rather than drawn."""

    rule: str
    args: tuple
    why: str
