"""``reference.finite_difference_jacobian``: the independent witness the rule tests compare with,
pinned by values worked by hand and by its documented error bound at every magnitude of x."""

import numpy as np
import pytest

import reference

EPS = np.finfo(np.float64).eps


def test_finite_difference_jacobian_on_the_paper_example():
    # truncation error ≈ h²/6·|f'''| with h ≈ 6e-6·2 and f''' = 336y⁵ ≈ 1.1e4 → ≈ 3e-7 absolute
    # on an entry of 1024; 1e-9 relative to the largest entry leaves room for rounding
    fd = reference.finite_difference_jacobian(lambda p: np.array([3 * p[0] ** 2 * p[1], 2 * p[0] + p[1] ** 8]), np.array([1.0, 2.0]))
    np.testing.assert_allclose(fd, [[12.0, 3.0], [2.0, 1024.0]], rtol=0, atol=1e-9 * 1024)


@pytest.mark.parametrize(
    "f, x, shape",
    [
        (lambda x: x**2, np.array(3.0), ()),                       # scalar by scalar: 1×1 → ()
        (lambda x: x @ x, np.ones(4), (4,)),                        # scalar by vector: 1×n → (n,)
        (lambda x: np.stack([x, 2 * x, 3 * x]), np.array(1.0), (3,)),  # vector by scalar: m×1 → (m,)
        (lambda x: np.stack([x.sum(), x[0]]), np.ones(4), (2, 4)),  # vector by vector: m×n
    ],
    ids=["scalar-scalar", "scalar-vector", "vector-scalar", "vector-vector"],
)
def test_jacobian_shapes(f, x, shape):
    assert reference.finite_difference_jacobian(f, x).shape == shape


def test_step_grows_with_x_so_the_error_bound_holds_at_every_magnitude():
    r"""The documented step $h_j = \epsilon^{1/3}\max(1, |x_j|)$ keeps the error of $f = x^3$ within
    its bound for x from 1e-3 to 1e6; a step that did not grow with |x| would drown the
    difference in rounding once |x| > 1 (the bound is tight enough to tell: at x = 1e3 a fixed
    step errs by about 1e-5 relative, the bound allows 1e-10).

    Bound per entry: truncation $h^2|f'''|/6 = h^2$, plus the rounding of the two cubes (two
    roundings each, at most $2\epsilon|f|$ apiece) divided by $2h$, plus a few roundings of the
    quotient itself.
    """
    x = np.array([1e-3, 0.5, 3.0, 1e3, 1e6])
    fd = reference.finite_difference_jacobian(lambda v: v**3, x)
    h = np.cbrt(EPS) * np.maximum(1.0, np.abs(x))
    bound = h**2 + 2 * EPS * np.abs(x) ** 3 / h + 4 * EPS * 3 * x**2
    np.testing.assert_array_less(np.abs(np.diag(fd) - 3 * x**2), bound)
    assert np.all(fd[~np.eye(5, dtype=bool)] == 0)  # each column moves one entry only
