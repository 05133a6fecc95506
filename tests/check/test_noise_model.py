"""The tolerance and the rounding-noise model, pinned from both sides: the documented formula,
an error just below the allowed amount passes and just above fails, and the noise estimate
bounds the true rounding error without exceeding the model's own bound."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from verification import check_derivative, perturbations
from verification.compare import NOISE_FACTOR, RELATIVE_ULPS, SCALE_ULPS, entries_agree, tolerance
from verification.noise import perturbed, rounding_noise
from verification.precision import own_program_scope as lane

LANES = ["float64", "float32"]

def test_tolerance_formula_is_pinned():
    """The documented rule, max(C·noise + R·ε·|oracle| + tiny/ε, S·ε·max|oracle|), with C = 8,
    R = 4 and S = 4; entry-wise, the first term alone."""
    assert (NOISE_FACTOR, RELATIVE_ULPS, SCALE_ULPS) == (8.0, 4.0, 4.0)
    eps, tiny = np.finfo(np.float64).eps, np.finfo(np.float64).tiny / np.finfo(np.float64).eps
    oracle, noise = np.array([2.0, 0.0]), np.array([1e-10, 0.0])
    np.testing.assert_array_equal(tolerance(oracle, noise, dtype=np.float64, entrywise=True),
                                  [8e-10 + 8 * eps + tiny, tiny])
    np.testing.assert_array_equal(tolerance(oracle, noise, dtype=np.float64), [8e-10 + 8 * eps + tiny, 4 * eps * 2.0])
    # batched: each point (axis 0) has its own scale
    eps32 = float(np.finfo(np.float32).eps)
    np.testing.assert_array_equal(tolerance(np.array([[1.0, 0.0], [1e-3, 0.0]]), dtype=np.float32, batched=True)[:, 1],
                                  [4 * eps32, 4 * eps32 * np.float64(1e-3)])
    assert tolerance(np.array([3.0]), dtype=np.float64, rtol=0.1, atol=1.0)[0] == pytest.approx(1.3)

@pytest.mark.parametrize("dtype", LANES)
def test_tolerance_holds_from_both_sides(dtype):
    """An error just below the allowed amount passes, just above fails, entry by entry."""
    f = lambda x: jnp.sum(jnp.sin(x) * jnp.exp(x))  # noqa: E731
    x = np.array([0.3, 2.0, -1.5])
    with lane(dtype):
        truth = np.asarray(jax.jacfwd(f)(x.astype(dtype)), np.float64)
    first = check_derivative(f, lambda x: truth, x, dtype=dtype)
    assert first.passed
    allowed = [c.allowed for c in first.comparisons if c.oracle in ("jacfwd", "jacrev", "grad")]
    assert len(allowed) == 3 and all(np.all(a > 0) for a in allowed)
    low, high = np.minimum.reduce(allowed), np.maximum.reduce(allowed)
    assert check_derivative(f, lambda x: truth + 0.9 * low, x, dtype=dtype).passed
    over = check_derivative(f, lambda x: truth + np.where(np.arange(3) == 1, 1.1, 0.0) * high, x, dtype=dtype)
    assert not over.passed and all(c.worst_index == (1,) for c in over.failures)

def test_noise_estimate_covers_the_real_rounding_error():
    """1 − tanh²(18.25) is all rounding in float64: the true value is 4e^{-36.5}/(1 + e^{-36.5})²."""
    truth = 4 * np.exp(-36.5) / (1 + np.exp(-36.5)) ** 2
    with lane(np.float64):
        value, noise = rounding_noise(jax.grad(jnp.tanh))(0, 18.25)
    assert NOISE_FACTOR * float(noise) >= abs(float(value) - truth) > 0
    # one multiplication of exact inputs: one perturbation of ε|x|, plus the rounding of the result
    with lane(np.float64):
        value, noise = rounding_noise(lambda a, b: a * b)(0, 1.1, 3.3)
    assert 0 < float(noise) <= 2 * np.finfo(np.float64).eps * abs(float(value))

def test_noise_model_is_pinned_from_both_sides():
    """The noise is the largest deviation of 8 perturbed evaluations under the documented model,
    not a wider or narrower one (sums: :func:`test_sum_model_is_the_documented_formula`).  Upper bounds, per entry: the model's perturbation, plus half an
    ulp (at most ε|v|/2) for rounding the perturbed result, plus, for exp, XLA's own error of up
    to 2 ulps on the perturbed argument.  Lower bounds: the largest of 8 deviations |r| (r uniform
    in [-1, 1]) averages 8/9 of the bound, their mean only 1/2."""
    eps = np.finfo(np.float64).eps
    rng = np.random.default_rng(0)
    with lane(np.float64):
        # one multiplication: r·ε|v|
        x, y = rng.uniform(1, 1.4, 1000), rng.uniform(1, 1.4, 1000)
        value, noise = (np.asarray(a) for a in rounding_noise(lambda a, b: a * b)(0, x, y))
        ratio = noise / (eps * np.abs(value))
        assert ratio.max() <= 1 + 0.5 and ratio.mean() >= 0.7
        # a library function: its argument perturbed by r·ε|z| (so exp moves by ε|z|·v), its result by r·8ε·v
        z = np.linspace(-3, 3, 200)
        value, noise = (np.asarray(a) for a in rounding_noise(jnp.exp)(0, z))
        assert np.all(noise <= (np.abs(z) + 8 + 2 + 0.5) * eps * value)
        assert np.mean(noise / ((np.abs(z) + 8) * eps * value)) >= 0.6
        # a sum of K terms: test_sum_model_is_the_documented_formula


# ---------------------------------------------------------------------------------------------
# The accumulation models (verification.accumulation), each against the true error of XLA's
# float32 result (the truth: the same program in float64 on the same inputs).

def _rnn_unrolled(w, xs, h0):
    """The RNN of :func:`_rnn_scan` as a Python loop over ``xs``, a sequence of the steps' inputs,
    returning the sequence of hidden states.  A sequence, not an array: indexing an array at each
    step would be a different operation per step, each compiled anew when run op by op."""
    h, out = h0, []
    for x in xs:
        h = jnp.tanh(w @ h + x)
        out.append(h)
    return out


def _rnn_scan(w, xs, h0):
    def step(h, x):
        h = jnp.tanh(w @ h + x)
        return h, h
    return lax.scan(step, h0, xs)[1]


def _conv(x, w):
    return lax.conv_general_dilated(x, w, (2, 2), [(1, 1), (1, 1)], rhs_dilation=(2, 2), feature_group_count=2)


def _sum_pool(x):
    return lax.reduce_window(x, 0.0, lax.add, (1, 1, 3, 3), (1, 1, 2, 2), ((0, 0), (0, 0), (1, 1), (1, 1)))


def _max_pool(x):
    return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 1, 1), "VALID")


def _fft_convolution(x, w):
    return jnp.fft.irfft(jnp.fft.rfft(x) * jnp.fft.rfft(w)[None, :], n=x.shape[-1])


_SEGMENTS = np.random.default_rng(3).integers(0, 8, 2000)
_RNG = np.random.default_rng(0)
_W = 0.9 * _RNG.standard_normal((6, 6)) / np.sqrt(6)
MODELS = {
    # name: (function, arguments, the largest rms(noise) / rms(true error) allowed)
    "dot_general": (lambda a, b: a @ b, (_RNG.standard_normal((64, 1024)), _RNG.standard_normal((1024, 64))), 12),
    "conv_general_dilated": (_conv, (_RNG.standard_normal((4, 4, 12, 12)), _RNG.standard_normal((6, 2, 3, 3))), 8),
    "conv backward (batch groups)": (lambda x, w, g: jax.vjp(_conv, x, w)[1](g), (
        _RNG.standard_normal((4, 4, 12, 12)), _RNG.standard_normal((6, 2, 3, 3)), _RNG.standard_normal((4, 6, 5, 5))), 8),
    "reduce_window_sum": (_sum_pool, (_RNG.standard_normal((4, 3, 17, 17)),), 8),
    "select_and_scatter_add": (lambda x, g: jax.vjp(_max_pool, x)[1](g)[0],
                               (_RNG.standard_normal((4, 3, 17, 17)), _RNG.standard_normal((4, 3, 16, 16))), 8),
    "scatter-add": (lambda d: jax.ops.segment_sum(d, _SEGMENTS, 8), (_RNG.standard_normal((2000, 4)),), 12),
    "cumsum": (lambda a: jnp.cumsum(a, axis=-1), (_RNG.standard_normal((8, 2000)),), 6),
    "cumprod": (lambda a: jnp.cumprod(a, axis=-1), (_RNG.uniform(0.98, 1.02, (8, 2000)),), 10),
    "reduce_prod": (lambda a: jnp.prod(a, axis=-1), (_RNG.uniform(0.98, 1.02, (256, 2000)),), 10),
    "cumlogsumexp": (lambda a: lax.cumlogsumexp(a, axis=1), (3 * _RNG.standard_normal((8, 500)),), 16),
    "fft": (lambda a: jnp.abs(jnp.fft.rfft(a)), (_RNG.standard_normal((16, 512)),), 8),
    "fft convolution backward": (lambda x, w, g: jax.vjp(_fft_convolution, x, w)[1](g), (
        _RNG.standard_normal((4, 32)), _RNG.standard_normal(32), _RNG.standard_normal((4, 32))), 12),
    "complex arithmetic": (lambda a, b: jnp.real(jnp.sum((a + 1j * b) * (b - 1j * a) * (a + 0.5j), axis=-1)),
                           (_RNG.standard_normal((64, 256)), _RNG.standard_normal((64, 256))), 24),
    "scan (RNN backward)": (lambda w, xs, h0, g: jax.vjp(_rnn_scan, w, xs, h0)[1](g)[0], (
        _W, _RNG.standard_normal((100, 6)), _RNG.standard_normal(6), _RNG.standard_normal((100, 6))), 24),
    "while_loop": (lambda w, xs, h0: lax.while_loop(lambda s: s[0] < 100, lambda s: (s[0] + 1, jnp.tanh(w @ s[1] + jnp.asarray(xs)[s[0]])),
                                                    (0, h0))[1], (_W, _RNG.standard_normal((100, 6, 64)), _RNG.standard_normal((6, 64))), 24),
}


def _flat(tree) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(v, np.float64)) for v in jax.tree.leaves(tree)])


def _float32_noise(fun, args, *, compiled: bool = True):
    """``(value, noise)``: the float32 value of ``fun`` at ``args`` (a pytree) and its noise estimate.
    ``compiled=False`` runs the estimate op by op (faster than compiling a long unrolled loop)."""
    args32 = jax.tree.map(lambda a: np.asarray(a, np.float32), args)
    with lane("float32"):
        return (jax.jit(rounding_noise(fun)) if compiled else rounding_noise(fun))(0, *args32)


def _noise_and_error(fun, args) -> tuple[np.ndarray, np.ndarray]:
    """The float32 noise estimate of ``fun`` at ``args`` and the true error of its float32 value."""
    args32 = tuple(np.asarray(a, np.float32) for a in args)
    value, noise = _float32_noise(fun, args32)
    with lane("float64"):
        truth = jax.jit(fun)(*(a.astype(np.float64) for a in args32))
    return _flat(noise), np.abs(_flat(value) - _flat(truth))


@pytest.mark.parametrize("name", list(MODELS))
def test_accumulation_noise_bounds_the_true_error_and_not_by_much_more(name):
    """Every entry's true rounding error is within NOISE_FACTOR/2 of its noise estimate (each side
    of a comparison gets half the tolerance), and the estimate exceeds the error, in root mean
    square over the entries, by no more than the pinned factor: an estimate that is too large
    lets a wrong derivative through (ε√K·Σ|terms| was about 50 times a cancelling dot
    product's real rounding)."""
    fun, args, loose = MODELS[name]
    noise, error = _noise_and_error(fun, args)
    assert np.all(error <= NOISE_FACTOR / 2 * noise), f"{name}: error/noise up to {np.max(error / noise):.3g}"
    assert np.sqrt(np.mean(noise ** 2)) <= loose * np.sqrt(np.mean(error ** 2))


def test_a_scan_has_the_noise_of_its_steps_written_out():
    """An RNN through lax.scan gets the noise estimate of the same RNN as a Python loop: the
    scan's body is perturbed afresh at each step, not the loop as one operation."""
    w, xs, h0, g = _W, _RNG.standard_normal((100, 6)), _RNG.standard_normal(6), _RNG.standard_normal((100, 6))
    _, scanned = _float32_noise(lambda w, xs, h0, g: jax.vjp(_rnn_scan, w, xs, h0)[1](g)[0], (w, xs, h0, g))
    _, unrolled = _float32_noise(lambda w, xs, h0, g: jax.vjp(_rnn_unrolled, w, xs, h0)[1](g)[0],
                                 (w, list(xs), h0, list(g)), compiled=False)
    scanned, unrolled = _flat(scanned), _flat(unrolled)
    ratio = np.sqrt(np.mean(scanned ** 2) / np.mean(unrolled ** 2))
    assert 1 / 1.5 <= ratio <= 1.5


def test_sum_model_is_the_documented_formula():
    """A sum of N terms is perturbed by r·u·sqrt(A(N)·S² + B(N)·v) (S the sum, v the terms'
    variance, A = (N(N+1)(2N+1)/6 − 1)/N², B = (N+3)(N−2)/6): the noise, the largest of 8 such
    deviations, is between half of it and it (plus half an ulp of the perturbed result)."""
    eps, N = np.finfo(np.float64).eps, 10_000
    A, B = (N * (N + 1) * (2 * N + 1) / 6 - 1) / N ** 2, (N + 3) * (N - 2) / 6
    with lane(np.float64):
        _, same_sign = rounding_noise(jnp.sum)(0, np.ones(N))  # S = N, v = 0
        _, cancelling = rounding_noise(jnp.sum)(0, np.resize([1.0, -1.0], N))  # S = 0, v = 1
    for noise, size in ((same_sign, eps * np.sqrt(A) * N), (cancelling, eps * np.sqrt(B))):
        assert 0.5 * size <= float(noise) <= size + np.spacing(float(N)) / 2


def test_a_small_cancelled_dot_product_off_by_a_thousandth_fails():
    """A dot product of 1024 terms whose sum is a tenth of their root sum of squares or more:
    a result off by ×1.001 fails in float32.  The former estimate, ε√K·Σ|terms|, let nearly half
    of them pass."""
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((256, 1024)).astype(np.float32), rng.standard_normal(1024).astype(np.float32)
    with lane("float32"):
        value, noise = (np.asarray(v, np.float64) for v in rounding_noise(lambda a, b: a @ b)(0, a, b))
    terms = a.astype(np.float64) * b
    judged = np.abs(value) >= 0.1 * np.sqrt(np.sum(terms ** 2, axis=1))
    assert judged.sum() > 200
    agree, _ = entries_agree(value[judged] * 1.001, value[judged], noise[judged], dtype=np.float32, entrywise=True)
    assert not agree.any()
    former = np.sqrt(1024) * np.finfo(np.float32).eps * np.sum(np.abs(terms), axis=1)[judged]
    assert np.mean(np.abs(value[judged]) * 1e-3 <= NOISE_FACTOR * former) > 0.4


def _planned_evaluation(x, c):
    """Every kind of draw: transcendentals (operand and result), a complex intermediate, sums and
    a dot, a jitted call, a scan and a cond (whose bodies draw on their own), several shapes."""
    y = jax.jit(lambda v: jnp.tanh(v) * jnp.exp(-v))(x)
    z = jnp.fft.fft(y * c).real
    h = lax.scan(lambda carry, v: (jnp.sin(carry * v), carry), x[0], y)[0]
    w = lax.cond(x[1] > 0, lambda v: v * 2.0, lambda v: jnp.log1p(v * v), z)
    return jnp.outer(w, y) @ y + jnp.sum(z) * h


@pytest.mark.parametrize("dtype", LANES)
def test_planned_draws_are_the_draws_made_one_by_one(dtype, monkeypatch):
    """The perturbations drawn at once from the jaxpr's plan are, bit for bit, those each
    operation draws on its own (no plan: PLANNED_ENTRIES = 0); and the plan is used, which leaves
    fewer hash operations to trace."""
    x = np.linspace(-1.5, 2.0, 6).astype(dtype)
    c = np.linspace(0.5, 1.5, 6).astype(dtype)

    def evaluate():
        with lane(dtype):
            values = [np.asarray(perturbed(_planned_evaluation)(key, x, c)) for key in (1, 2, 3)]
            shifts = str(jax.make_jaxpr(lambda k: perturbed(_planned_evaluation)(k, x, c))(1)).count("shift_right_logical")
        return values, shifts

    planned, planned_shifts = evaluate()
    monkeypatch.setattr(perturbations, "PLANNED_ENTRIES", 0)
    alone, alone_shifts = evaluate()
    assert all(np.array_equal(p, a) for p, a in zip(planned, alone, strict=True))
    assert not np.array_equal(planned[0], planned[1])
    assert planned_shifts < alone_shifts / 2
