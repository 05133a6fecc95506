r"""Concrete functions that instantiate the paper's general rules.

A rule such as the vector chain rule holds for any f and g; to check it we pick one f and one
g.  Each function here is written once against an array namespace ``xp`` (``numpy`` or
``jax.numpy``), so the NumPy primal and the function JAX differentiates are the same code.
The picks avoid the element-wise diagonal condition where a rule is about the general case.
"""

from __future__ import annotations


def three_outputs(x, *, xp):
    r"""$\mathbf{f}: \mathbb{R}^n \to \mathbb{R}^3$, $\mathbf{f}(\mathbf{x}) = [\mathbf{x}\cdot\mathbf{x},\ \sum_i \sin x_i,\ x_1 x_n]$."""
    return xp.stack([x @ x, xp.sum(xp.sin(x)), x[0] * x[-1]])


def paper_example_2x2(p, *, xp):
    r"""The paper's §4 example: $[f(x, y), g(x, y)] = [3x^2y,\ 2x + y^8]$ with $\mathbf{p} = [x, y]$."""
    x, y = p[0], p[1]
    return xp.stack([3 * x**2 * y, 2 * x + y**8])


def scaled_by_sum(w, *, xp):
    r"""$\mathbf{f}(\mathbf{w}) = \mathbf{w}\,\operatorname{sum}(\mathbf{w})$: every $f_i$ reads all of $\mathbf{w}$ (no diagonal condition)."""
    return w * xp.sum(w)


def scaled_by_sum_times_sin(w, x, *, xp):
    r"""$\mathbf{y} = \mathbf{f}(\mathbf{w}) \otimes \sin(\mathbf{x})$ with f from :func:`scaled_by_sum`."""
    return scaled_by_sum(w, xp=xp) * xp.sin(x)


def sin_times_exp(w, x, *, xp):
    r"""$\mathbf{y} = \sin(\mathbf{w}) \otimes \exp(\mathbf{x})$: $f_i$ reads only $w_i$, $g_i$ only $x_i$."""
    return xp.sin(w) * xp.exp(x)


def direct_and_indirect(x, *, xp):
    r"""The total-derivative instance: $f(x, u_1, u_2) = x u_1 + \sin u_2$ with $u_1 = x^2$, $u_2 = x u_1$.

    x reaches f directly and through both u's; $y = x^3 + \sin x^3$.
    """
    u1 = x**2
    u2 = x * u1
    return x * u1 + xp.sin(u2)


def log_square_and_sine(x, *, xp):
    r"""The paper's §4.5 vector example: $\mathbf{y} = [\ln(x^2), \sin(3x)]$ for a scalar x, with $\mathbf{g} = [x^2, 3x]$."""
    return xp.stack([xp.log(x**2), xp.sin(3 * x)])


def outer_of_three(g, *, xp):
    r"""$\mathbf{f}: \mathbb{R}^3 \to \mathbb{R}^2$, $\mathbf{f}(\mathbf{g}) = [g_1 g_2,\ \sin g_3 + g_1]$."""
    return xp.stack([g[0] * g[1], xp.sin(g[2]) + g[0]])


def composed(x, *, xp):
    r"""$\mathbf{f}(\mathbf{g}(\mathbf{x}))$ with f from :func:`outer_of_three` and g from :func:`three_outputs`."""
    return outer_of_three(three_outputs(x, xp=xp), xp=xp)


def sin_of_square(x, *, xp):
    r"""$f_i(g_i) = \sin g_i$ with $g_i = x_i^2$, element-wise."""
    return xp.sin(x**2)


def exp_of_sin(x, *, xp):
    r"""$y = e^{\sin x}$: u = sin x, y = e^u."""
    return xp.exp(xp.sin(x))
