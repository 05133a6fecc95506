r"""Gradient descent on one ReLU neuron, compiled once with ``jax.jit``: the twin of ``reference.train``.

The loss and its hand-derived gradient (Parr & Howard §6, rule ``bias_folding``) with the bias
folded into the weights, $\hat{\mathbf{w}} = [\mathbf{w}^T, b]^T$ and $\hat{\mathbf{x}}_i = [\mathbf{x}_i^T, 1]^T$:

$$ C(\hat{\mathbf{w}}) = \frac{1}{N}\sum_{i=1}^{N}\bigl(y_i - \max(0, \hat{\mathbf{w}}\cdot\hat{\mathbf{x}}_i)\bigr)^2, \qquad
   \frac{\partial C}{\partial \hat{\mathbf{w}}} = \frac{2}{N}\sum_{i \in A} e_i\,\hat{\mathbf{x}}_i^T, $$

$e_i = \hat{\mathbf{w}}\cdot\hat{\mathbf{x}}_i - y_i$, $A = \{i : \hat{\mathbf{w}}\cdot\hat{\mathbf{x}}_i > 0\}$, and each step
is $\hat{\mathbf{w}} \leftarrow \hat{\mathbf{w}} - \eta\,\partial C/\partial\hat{\mathbf{w}}$ (rule ``gd_update``).  With
``gradient="autodiff"`` the gradient is ``jax.value_and_grad`` of $C$ instead of the formula.

How the loop is laid out:

- All steps run in one ``lax.scan`` inside one ``jax.jit`` program: one dispatch, the loss
  before each step recorded inside the loop.  It compiles once per (shapes, dtype, steps,
  gradient, devices) and is cached: new data, learning rate or start point of the same
  shapes reuse the program.
- X is stored once, feature-major and folded: blocks of shape (n+1, rows) whose columns are
  the $\hat{\mathbf{x}}_i$.  Rows that pad N up to whole blocks are all zero, *including* the
  folded 1, with $y_i = 0$: their $z_i$ is exactly 0, so they are inactive (the ReLU's
  derivative at 0 is 0, decision D2) and add 0 to the loss and the gradient, and every sum
  still divides by the true N.
- Data parallel: the blocks are sharded over the devices (``jax.sharding``, batch axis), the
  parameters replicated, and each device's partial sums are added with ``psum``.
- On CPU with several devices and a large X (or for a sweep of many models), each device
  walks its blocks with ``lax.fori_loop``: ``z`` for a block, then $\hat X_{blk}^T\mathbf{s}$ while
  the block is still in cache, so X is read from memory once per step instead of twice.  ``C`` is a sum over blocks,
  so the autodiff gradient is ``jax.value_and_grad`` of each block's term, summed.
- Matrix products run at ``jax.default_matmul_precision("highest")``, so TF32 on a GPU cannot
  pass for a wrong gradient.  ``dtype=np.float64`` runs inside ``jax.enable_x64(True)``; no
  global JAX setting is changed.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from reference.checks import as_vector
from reference.training import (
    TrainingDiverged,
    TrainResult,
    check_data,
    check_initial,
    check_learning_rate,
    check_steps,
)
from verification.neuron import relu

GRADIENTS = ("hand", "autodiff")
DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
BLOCK_BYTES = 400 * 1024
"""Target size of one block of X (n+1 features × rows): it must stay in a core's L2 cache
(1 MiB here) between the forward and backward products.  On the 2-core EPYC at (N, n) =
(1e6, 100) float32 with two CPU devices, blocks of 256 to 2000 rows ran within the machine's
noise of each other (17.5 to 19 ms/step, interleaved A/B); ~1000 rows (404 KB) sits in the middle."""
BLOCKED_MIN_BYTES = 8 * 2**20
"""Below this many bytes of X per device, the plain two-product step is used: X then sits in
the last-level cache and the block loop's overhead is not repaid (measured at (1e5, 100) on
one device: 1.45 ms/step plain, 2.3 ms blocked)."""
SHARD_MIN_CACHES = 2
"""On CPU, :func:`default_devices` shards only when X is at least this many last-level caches:
smaller, X mostly stays in the cache the cores share, and one device reading it twice wins
(measured with a 32 MiB L3, (N, n) float32: (1e5, 100), 40 MB: 1.16 ms/step on one device, 1.49 on
two; (2e5, 100), 80 MB: 3.67 against 3.06; (4e5, 100): 8.2 against 6.1)."""
BLOCK_UNROLL = 4
"""``fori_loop`` unroll factor for the block loop (1, 2, 4 and 8 measured within noise of each other)."""
AXIS = "data"


# ---------------------------------------------------------------------------------------------
# Arguments


def initial_parameters(X, *, seed: int = 0, w0=None, b0=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Default start point: $\mathbf{w}_0 \sim \mathcal{N}(0, I/n)$ and $b_0 = 0.1 - \operatorname{median}_i(\mathbf{w}_0\cdot\mathbf{x}_i)$.

    Never dead: $\mathbf{w} = 0, b = 0$ puts every $z_i$ on the kink, where the gradient is
    exactly 0 and training never moves.  This $b_0$ puts the median $z_i$ at 0.1, so at least
    half the samples start active, whatever the scale or offset of X.  A given ``w0`` or ``b0``
    is kept as is (checked).  Returns float64 arrays of shapes (n,) and ().
    """
    X = np.asarray(X)
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    n = X.shape[1]
    w0 = as_vector("w0", np.random.default_rng(seed).standard_normal(n) / math.sqrt(n) if w0 is None else w0)
    if b0 is None:  # X @ w0 in X's precision: no float64 copy of a float32 X
        b0 = 0.1 - float(np.median(X @ w0.astype(X.dtype))) if w0.shape == (n,) else 0.0
    return check_initial(w0, b0, n)


def _check_gradient(gradient: str) -> str:
    if gradient not in GRADIENTS:
        raise ValueError(f"gradient: expected one of {GRADIENTS}, got {gradient!r}")
    return gradient


def _check_dtype(dtype) -> np.dtype:
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype: expected float32 or float64, got {dtype!r}") from None
    if dtype not in DTYPES:
        raise ValueError(f"dtype: expected float32 or float64, got {dtype}")
    return dtype


def select_devices(devices=None) -> tuple[jax.Device, ...]:
    """``None``: every device JAX sees; an int k: the first k; or a sequence of devices."""
    visible = jax.devices()
    if devices is None:
        return tuple(visible)
    if isinstance(devices, int) and not isinstance(devices, bool):
        if not 1 <= devices <= len(visible):
            raise ValueError(
                f"devices: asked for {devices}, but JAX sees {len(visible)} ({visible[0].platform}); "
                "on a CPU-only machine, ask for more CPU devices before JAX starts "
                "(jax.config.update('jax_num_cpu_devices', k) or "
                "XLA_FLAGS=--xla_force_host_platform_device_count=k)"
            )
        return tuple(visible[:devices])
    if isinstance(devices, Sequence) and devices and all(isinstance(d, jax.Device) for d in devices):
        return tuple(devices)
    raise TypeError(f"devices: expected None, a count, or a sequence of jax devices, got {devices!r}")


@functools.cache  # read sysfs once, not at every Trainer
def last_level_cache_bytes(cache_dir: str = "/sys/devices/system/cpu/cpu0/cache", default: int = 32 * 2**20) -> int:
    """The largest CPU cache listed in ``cache_dir`` (Linux sysfs), or ``default`` where none is."""
    sizes = []
    for entry in glob.glob(os.path.join(cache_dir, "index*", "size")):
        try:
            with open(entry) as handle:
                text = handle.read().strip().upper()
        except OSError:
            continue
        unit = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
        digits = text.rstrip("KMG")
        if digits.isdigit():
            sizes.append(int(digits) * unit)
    return max(sizes, default=default)


def default_devices(n_samples: int, n_features: int, dtype) -> tuple[jax.Device, ...]:
    """Every visible device, unless X is too small for sharding to pay, then one.

    The devices synchronise at every step (measured ~0.1 ms a step for two CPU devices, against
    2 µs for a whole step at (1e3, 10) on one), so X must be at least ``BLOCKED_MIN_BYTES`` per
    device and, on CPU, ``SHARD_MIN_CACHES`` last-level caches.
    """
    visible = jax.devices()
    size = n_samples * (n_features + 1) * np.dtype(dtype).itemsize
    large = size >= BLOCKED_MIN_BYTES * len(visible)
    if visible[0].platform == "cpu":
        large = large and size >= SHARD_MIN_CACHES * last_level_cache_bytes()
    return tuple(visible) if large else (visible[0],)


def request_cpu_devices(count: int) -> bool:
    """Ask JAX for ``count`` CPU devices (one per core is sensible) before its backends start.

    For command-line entry points only: this changes a process-wide JAX setting.  Returns
    False, changing nothing, when the backends are already running.
    """
    try:
        jax.config.update("jax_num_cpu_devices", int(count))
    except RuntimeError:
        return False
    return True


@contextlib.contextmanager
def _numerics(dtype: np.dtype):
    """float64 inside ``jax.enable_x64``; products at the highest matmul precision (no TF32)."""
    with contextlib.ExitStack() as stack:
        if dtype == np.float64:
            stack.enter_context(jax.enable_x64(True))
        stack.enter_context(jax.default_matmul_precision("highest"))
        yield


# ---------------------------------------------------------------------------------------------
# Data layout


@dataclass(frozen=True)
class Batch:
    r"""X and y on the devices, laid out for the compiled loop.

    Attributes:
        A: shape (blocks, n+1, rows); column j of block k is $\hat{\mathbf{x}}_i$ for
            i = k·rows + j, zero for padding.  Sharded over ``mesh`` along the first axis.
        y: shape (blocks, rows), zero for padding, sharded the same way.
        n_samples: N, the true number of samples (the divisor of every mean).
        mesh: the 1-D device mesh (axis ``"data"``).
    """

    A: jax.Array
    y: jax.Array
    n_samples: int
    mesh: Mesh

    @property
    def n_features(self) -> int:
        return self.A.shape[1] - 1

    @property
    def blocked(self) -> bool:
        """True when each device walks more than one block per step."""
        return self.A.shape[0] > self.mesh.size


def choose_block_rows(n_samples: int, n_features: int, dtype, devices: Sequence[jax.Device], models: int = 1) -> int:
    """Rows per block: the whole shard (one block per device), or blocks of about ``BLOCK_BYTES``.

    Blocks pay on a CPU when two cores can overlap one's products with the other's reads:
    for one model, with several devices and more than ``BLOCKED_MIN_BYTES`` of X each; for a
    sweep of several models (``jax.vmap``: the products become matrix products and the
    (models × rows) intermediates must stay in cache too), once X per device exceeds two blocks.
    Measured at (1e6, 100) float32 with 64 models: 228 ms/step in blocks on one device, 506 ms
    without.
    """
    per_device = -(-n_samples // len(devices))
    column_bytes = (n_features + 1) * np.dtype(dtype).itemsize
    rows = max(16, BLOCK_BYTES // column_bytes // 16 * 16)
    if devices[0].platform != "cpu":
        return per_device
    if models > 1:
        blocked = per_device > 2 * rows
    else:
        blocked = len(devices) > 1 and per_device * column_bytes >= BLOCKED_MIN_BYTES
    return min(per_device, rows) if blocked else per_device


def prepare_batch(X, y, *, dtype=np.float32, devices=None, block_rows: int | None = None, models: int = 1) -> Batch:
    """Check X and y, fold in the ones column, cut into blocks and place them on the devices.

    ``block_rows`` None chooses with :func:`choose_block_rows` (for ``models`` trained together);
    an explicit value forces it
    (N need not be a multiple: the last block is zero-padded).
    """
    X, y = check_data(X, y)
    dtype = _check_dtype(dtype)
    n_samples, n_features = X.shape
    if devices is None:
        devices = default_devices(n_samples, n_features, dtype)
    devices = select_devices(devices)
    if block_rows is None:
        block_rows = choose_block_rows(n_samples, n_features, dtype, devices, models)
    elif isinstance(block_rows, bool) or not isinstance(block_rows, int) or block_rows < 1:
        raise ValueError(f"block_rows: expected a positive integer, got {block_rows!r}")
    per_device = -(-n_samples // (len(devices) * block_rows))
    blocks = per_device * len(devices)

    A = np.zeros((blocks, n_features + 1, block_rows), dtype=dtype)
    Y = np.zeros((blocks, block_rows), dtype=dtype)
    full, rest = divmod(n_samples, block_rows)
    A[:full, :n_features, :] = X[: full * block_rows].reshape(full, block_rows, n_features).transpose(0, 2, 1)
    A[:full, n_features, :] = 1
    if rest:
        A[full, :n_features, :rest] = X[full * block_rows :].T
        A[full, n_features, :rest] = 1
    Y.reshape(-1)[:n_samples] = y

    mesh = Mesh(np.array(devices), (AXIS,))
    with _numerics(dtype):
        sharding = NamedSharding(mesh, P(AXIS))
        return Batch(A=jax.device_put(A, sharding), y=jax.device_put(Y, sharding), n_samples=n_samples, mesh=mesh)


# ---------------------------------------------------------------------------------------------
# The compiled kernel


def hand_signal(z, y, n):
    r"""The hand-derived back-propagated signal $s_i = \frac{2}{N}\,\mathbb{1}[z_i > 0]\,(z_i - y_i)$.

    The gradient is then $\partial C/\partial\hat{\mathbf{w}} = \sum_i s_i\,\hat{\mathbf{x}}_i$, i.e. ``A @ s``.
    """
    return jnp.where(z > 0, z - y, 0) * (2 / n)


def _block_loss(w_hat, A, y, n):
    r"""One block's term of $C$: $\frac{1}{N}\sum_{i \in blk} (y_i - \max(0, \hat{\mathbf{w}}\cdot\hat{\mathbf{x}}_i))^2$."""
    residual = y - relu(w_hat @ A)
    return residual @ residual / n


def _block_sums(w_hat, A, y, *, n, mode, signal_fn):
    """One block's contribution: (loss,) or (loss, grad) or, in "both" mode,
    (loss, hand grad, autodiff grad, Σ_i |s_i| |x̂_i|): the magnitude of the summed terms."""
    if mode == "autodiff":
        return jax.value_and_grad(_block_loss)(w_hat, A, y, n)
    z = w_hat @ A
    residual = y - relu(z)
    loss = residual @ residual / n
    if mode == "loss":
        return (loss,)
    signal = signal_fn(z, y, n)
    # s·Âᵀ, contracted as jax.grad's transpose of w_hat @ A contracts it: both gradients then
    # run the same product (and A @ s measured no faster on XLA's CPU dot).
    grad = lax.dot_general(signal, A, (((0,), (1,)), ((), ())))
    if mode == "hand":
        return loss, grad
    return loss, grad, jax.grad(_block_loss)(w_hat, A, y, n), jnp.abs(A) @ jnp.abs(signal)


def _device_sums(w_hat, A, y, *, n, mode, signal_fn):
    """Sums over this device's blocks (a ``fori_loop`` when it holds several), then over devices."""
    terms = functools.partial(_block_sums, n=n, mode=mode, signal_fn=signal_fn)
    # Differentiate this device's own copy of the parameters: a gradient with respect to the
    # replicated w_hat would be summed over devices (a psum) inside every block.
    w_hat = lax.pcast(w_hat, (AXIS,), to="varying")
    if A.shape[0] == 1:
        sums = terms(w_hat, A[0], y[0])
    else:
        zero = lax.pcast(jnp.zeros((), A.dtype), (AXIS,), to="varying")
        vector = jnp.zeros_like(w_hat)
        init = {"loss": (zero,), "hand": (zero, vector), "autodiff": (zero, vector)}.get(mode, (zero, vector, vector, vector))

        def body(k, acc):
            return tuple(a + t for a, t in zip(acc, terms(w_hat, A[k], y[k]), strict=True))

        sums = lax.fori_loop(0, A.shape[0], body, init, unroll=BLOCK_UNROLL)
    return tuple(lax.psum(s, AXIS) for s in sums)


@functools.lru_cache(maxsize=64)
def _compiled_loop(mesh: Mesh, n: int, steps: int, mode: str, models: bool, signal_fn: Callable):
    """The jitted loop ``(w_hat, learning_rate, A, y) -> (w_hat, per-step outputs, final loss)``.

    ``models`` vmaps it over a leading axis of ``w_hat`` and ``learning_rate``.
    """

    def sums(w_hat, A, y, mode):
        local = functools.partial(_device_sums, n=n, mode=mode, signal_fn=signal_fn)
        return jax.shard_map(local, mesh=mesh, in_specs=(P(), P(AXIS), P(AXIS)), out_specs=P())(w_hat, A, y)

    def run(w_hat, learning_rate, A, y):
        def step(w_hat, _):
            if mode == "both":
                loss, grad, auto, scale = sums(w_hat, A, y, "both")
                difference = jnp.abs(grad - auto)
                gap = jnp.max(jnp.where(scale > 0, difference / jnp.where(scale > 0, scale, 1), jnp.where(difference > 0, jnp.inf, 0)))
                return w_hat - learning_rate * grad, (loss, gap)
            loss, grad = sums(w_hat, A, y, mode)
            return w_hat - learning_rate * grad, loss

        w_hat, history = lax.scan(step, w_hat, None, length=steps)
        (final_loss,) = sums(w_hat, A, y, "loss")
        return w_hat, history, final_loss

    if models:
        run = jax.vmap(run, in_axes=(0, 0, None, None))
    return jax.jit(run)


# ---------------------------------------------------------------------------------------------
# Public entry points


@dataclass(frozen=True)
class GradientCheck:
    r"""The hand gradient against ``jax.grad`` at every step of a run.

    Attributes:
        result: the run, which followed the hand gradient.
        gaps: shape (steps,): $\max_j |g^{hand}_j - g^{autodiff}_j| \,/\, \sum_i |s_i \hat{x}_{ij}|$, the
            largest difference in units of the magnitude of the summed terms.
        tolerance: $(2N + 2)\,\varepsilon$: each of the two gradients is a sum of N terms, whose
            rounding error in any order is below $(N-1)\,\varepsilon\sum_i|\text{terms}|$ (Higham,
            *Accuracy and Stability*, §4.2), plus a few roundings apart in each term.
    """

    result: TrainResult
    gaps: np.ndarray
    tolerance: float

    @property
    def ok(self) -> bool:
        return bool(np.all(self.gaps <= self.tolerance))


class Trainer:
    """X and y placed on the devices once; ``run`` continues gradient descent from any (w, b).

    The command line uses it to train in chunks (progress bar, checkpoints) without moving the
    data again.  See :func:`train` for the arguments.
    """

    def __init__(
        self, X, y, *, learning_rate: float, dtype=np.float32, devices=None, block_rows: int | None = None, models: int = 1
    ):
        self.learning_rate = check_learning_rate(learning_rate)
        self.dtype = _check_dtype(dtype)
        self.batch = prepare_batch(X, y, dtype=self.dtype, devices=devices, block_rows=block_rows, models=models)

    def _call(self, mode: str, steps: int, w_hat: np.ndarray, learning_rate, signal_fn=hand_signal):
        steps = check_steps(steps)
        models = w_hat.ndim == 2
        loop = _compiled_loop(self.batch.mesh, self.batch.n_samples, steps, mode, models, signal_fn)
        with _numerics(self.dtype):
            replicated = NamedSharding(self.batch.mesh, P())
            w_hat = jax.device_put(w_hat.astype(self.dtype), replicated)
            rate = jax.device_put(np.asarray(learning_rate, dtype=self.dtype), replicated)
            out = jax.device_get(loop(w_hat, rate, self.batch.A, self.batch.y))
        return out

    def _folded(self, w, b) -> np.ndarray:
        w, b = check_initial(w, b, self.batch.n_features)
        return np.append(w, b)

    def run(self, w, b, steps: int, *, gradient: str = "hand", first_step: int = 0) -> TrainResult:
        """``steps`` steps from (``w``, ``b``); raises :class:`TrainingDiverged` naming the step
        (counted from ``first_step``) where the loss stops being finite."""
        mode = _check_gradient(gradient)
        w_hat, losses, final_loss = self._call(mode, steps, self._folded(w, b), self.learning_rate)
        return self._result(w_hat, losses, final_loss, first_step)

    def check(self, w, b, steps: int, *, first_step: int = 0, signal_fn: Callable = hand_signal) -> GradientCheck:
        """Like ``run`` with the hand gradient, also comparing it with ``jax.grad`` at every step.

        ``signal_fn(z, y, n)`` replaces :func:`hand_signal` (to show that a wrong formula is caught).
        """
        w_hat, (losses, gaps), final_loss = self._call("both", steps, self._folded(w, b), self.learning_rate, signal_fn)
        result = self._result(w_hat, losses, final_loss, first_step)
        tolerance = (2 * self.batch.n_samples + 2) * float(np.finfo(self.dtype).eps)
        return GradientCheck(result=result, gaps=np.asarray(gaps), tolerance=tolerance)

    def sweep(self, w0, b0, learning_rates, steps: int, *, gradient: str = "hand") -> TrainResult:
        """K models in one compiled program (``jax.vmap``): ``w0`` (K, n), ``b0`` (K,),
        ``learning_rates`` (K,).  Non-finite losses are returned, not raised: a sweep is how
        one finds where the learning rate is too large."""
        mode = _check_gradient(gradient)
        w0 = np.asarray(w0, dtype=np.float64)
        b0 = np.asarray(b0, dtype=np.float64)
        rates = np.asarray(learning_rates, dtype=np.float64)
        if w0.ndim != 2 or w0.shape[1] != self.batch.n_features:
            raise ValueError(f"w0: expected shape (K, {self.batch.n_features}), got {w0.shape}")
        models = w0.shape[0]
        for name, value in (("b0", b0), ("learning_rates", rates)):
            if value.shape != (models,):
                raise ValueError(f"{name}: expected shape ({models},) to match w0, got {value.shape}")
        for rate in rates:
            check_learning_rate(float(rate))
        w_hat, losses, final_loss = self._call(mode, steps, np.column_stack([w0, b0]), rates)
        return TrainResult(w=w_hat[:, :-1], b=w_hat[:, -1], losses=losses, final_loss=final_loss)

    def _result(self, w_hat, losses, final_loss, first_step: int) -> TrainResult:
        bad = np.flatnonzero(~np.isfinite(losses))
        if bad.size:
            raise TrainingDiverged(first_step + int(bad[0]), float(losses[bad[0]]), self.learning_rate)
        if not (np.isfinite(final_loss) and np.all(np.isfinite(w_hat))):
            raise TrainingDiverged(first_step + len(losses), float(final_loss), self.learning_rate)
        return TrainResult(w=w_hat[:-1], b=np.asarray(w_hat[-1]), losses=losses, final_loss=np.asarray(final_loss))


def train(
    X,
    y,
    *,
    steps: int,
    learning_rate: float,
    gradient: str = "hand",
    w0=None,
    b0=None,
    seed: int = 0,
    dtype=np.float32,
    devices=None,
    block_rows: int | None = None,
) -> TrainResult:
    r"""Gradient descent on $C(\mathbf{w}, b, X, \mathbf{y})$, all ``steps`` in one compiled program.

    Args:
        X: samples as rows, shape (N, n).
        y: targets, shape (N,).
        steps: number of updates, at least 1.
        learning_rate: $\eta > 0$.
        gradient: ``"hand"`` (the formula above) or ``"autodiff"`` (``jax.value_and_grad``).
        w0, b0: start point, shapes (n,) and (); each defaults to :func:`initial_parameters`
            with ``seed``, which never starts the neuron dead.
        seed: seed of the default ``w0``.
        dtype: ``np.float32`` or ``np.float64`` (end to end, in a scoped ``jax.enable_x64``).
        devices: a count, a list of devices, or ``None``: every visible device when X is large
            enough for sharding to pay, else one (see :func:`default_devices`).
            The batch is sharded over them and the parameters replicated.
        block_rows: rows per block of X (default: :func:`choose_block_rows`).

    Returns:
        ``reference.TrainResult`` of NumPy arrays: ``w`` (n,), ``b`` (), ``losses`` (steps,),
        the loss before each step, and ``final_loss``.

    Raises:
        TypeError, ValueError: a bad argument, named in the message.
        TrainingDiverged: the loss became NaN or inf (names the step).
    """
    steps = check_steps(steps)
    _check_gradient(gradient)
    trainer = Trainer(X, y, learning_rate=learning_rate, dtype=dtype, devices=devices, block_rows=block_rows)  # checks X, y
    w0, b0 = initial_parameters(X, seed=seed, w0=w0, b0=b0)
    return trainer.run(w0, b0, steps, gradient=gradient)


def train_sweep(
    X,
    y,
    *,
    steps: int,
    learning_rates,
    seeds=None,
    gradient: str = "hand",
    dtype=np.float32,
    devices=None,
    block_rows: int | None = None,
) -> TrainResult:
    """K models, one per (learning rate, seed) pair, trained in one program with ``jax.vmap``.

    ``learning_rates`` and ``seeds`` broadcast against each other (a scalar and a list of K,
    or two lists of K); model k starts from ``initial_parameters(X, seed=seeds[k])``.  Returns
    a ``TrainResult`` whose arrays have a leading axis K.  Each model equals its own
    :func:`train` run up to rounding.
    """
    rates, seeds = np.broadcast_arrays(np.asarray(learning_rates, dtype=np.float64), np.asarray(0 if seeds is None else seeds))
    rates, seeds = np.atleast_1d(rates), np.atleast_1d(seeds)
    if rates.ndim != 1:
        raise ValueError(f"learning_rates: expected a scalar or a 1-D list, got shape {rates.shape}")
    trainer = Trainer(X, y, learning_rate=float(rates[0]), dtype=dtype, devices=devices, block_rows=block_rows, models=len(rates))
    starts = [initial_parameters(X, seed=int(s)) for s in seeds]
    return trainer.sweep([w for w, _ in starts], [b for _, b in starts], rates, steps, gradient=gradient)


def stepwise_gradient_check(
    X, y, *, steps: int, learning_rate: float, w0=None, b0=None, seed: int = 0, dtype=np.float64, devices=None,
    block_rows: int | None = None, signal_fn: Callable = hand_signal,
) -> GradientCheck:
    """Train with the hand gradient and compare it with ``jax.grad`` at every step (see :class:`GradientCheck`)."""
    trainer = Trainer(X, y, learning_rate=learning_rate, dtype=dtype, devices=devices, block_rows=block_rows)  # checks X, y
    w0, b0 = initial_parameters(X, seed=seed, w0=w0, b0=b0)
    return trainer.check(w0, b0, steps, signal_fn=signal_fn)


# ---------------------------------------------------------------------------------------------
# How far two runs of the same computation may drift apart


def stable_learning_rate(X, fraction: float = 0.5) -> float:
    r"""``fraction`` / $\lambda_{max}$ of $\frac{2}{N}\hat X^T\hat X$, which bounds the loss's curvature on every
    active set.  With $\eta \le 1/\lambda_{max}$ a step $\hat{\mathbf{w}} \mapsto \hat{\mathbf{w}} - \eta\nabla C$
    does not expand distances, so rounding differences add up over steps instead of growing."""
    X = np.asarray(X, dtype=np.float64)
    X_hat = np.column_stack([X, np.ones(X.shape[0])])
    return fraction / float(np.linalg.eigvalsh(2.0 / X.shape[0] * X_hat.T @ X_hat)[-1])


def trajectory_tolerance(X, *, steps: int, learning_rate: float, w0, b0, losses, dtype) -> tuple[float, float]:
    r"""How far two correct runs of the same ``steps`` may drift apart by rounding alone.

    For $\eta \le 1/\lambda_{max}$ (see :func:`stable_learning_rate`) differences add up over steps.
    In one step, two gradient implementations differ by at most $(N+4)\,\varepsilon\,G_j$, where
    $G_j = \frac{2}{N}\sum_{i\in A}|e_i||\hat x_{ij}| \le 2\sqrt{C}\,\mathrm{rms}_i(\hat x_{ij})$
    (Cauchy–Schwarz, with $C \le$ the largest loss in ``losses``); and the update rounds at
    $2\varepsilon|\hat{\mathbf{w}}|$, with $|\hat{\mathbf{w}}| \le |\hat{\mathbf{w}}_0| + T\eta\max_j G_j$. So

    parameters: $\delta_\theta = T\,(\eta\,(N+4)\,\varepsilon\,G + 2\varepsilon\,\theta_{max})$;
    losses: $(n+1)\,G\,\delta_\theta + (N+4)\,\varepsilon\,C$ ($C$ is continuous, with slope at most G).

    Valid while no sample's $z_i$ comes within $\|\hat{\mathbf{x}}_i\|_1\,\delta_\theta$ of the kink, where the
    two runs could put it on different sides.  Returns ``(parameter_tol, loss_tol)``.
    """
    X = np.asarray(X, dtype=np.float64)
    n_samples, n_features = X.shape
    eps = float(np.finfo(dtype).eps)
    rms = np.sqrt(np.mean(np.column_stack([X, np.ones(n_samples)]) ** 2, axis=0))
    loss = float(np.max(np.abs(losses)))
    G = float(2 * math.sqrt(loss) * rms.max())
    theta = float(np.max(np.abs(np.append(w0, b0)))) + steps * learning_rate * G
    parameter_tol = steps * (learning_rate * (n_samples + 4) * eps * G + 2 * eps * theta)
    loss_tol = (n_features + 1) * G * parameter_tol + (n_samples + 4) * eps * loss
    return parameter_tol, loss_tol


def agreement_summary(steps: int = 200, seed: int = 0) -> dict:
    """Train a planted teacher in float64 three ways (NumPy reference, jit with the hand
    gradient, jit with ``jax.grad``) and report whether the trajectories agree.

    Returns a dict: ``steps``, ``samples``, ``features``, ``max_loss_diff``, ``max_param_diff``
    (largest differences from the reference over the two jitted runs), ``tolerance`` and
    ``loss_tolerance`` (from :func:`trajectory_tolerance`), ``max_gradient_gap`` and
    ``gradient_tolerance`` (the step-wise check), ``agree`` and ``final_loss``.
    """
    import reference
    from verification.data import planted_teacher

    teacher = planted_teacher(256, 5, seed=seed, dtype=np.float64)
    rate = stable_learning_rate(teacher.X)
    w0, b0 = initial_parameters(teacher.X, seed=seed)
    ref = reference.train(teacher.X, teacher.y, steps=steps, learning_rate=rate, w0=w0, b0=b0)
    trainer = Trainer(teacher.X, teacher.y, learning_rate=rate, dtype=np.float64, devices=1)
    runs = [trainer.run(w0, b0, steps, gradient=g) for g in GRADIENTS]
    check = trainer.check(w0, b0, steps)
    losses = np.concatenate([ref.losses] + [r.losses for r in runs])
    parameter_tol, loss_tol = trajectory_tolerance(
        teacher.X, steps=steps, learning_rate=rate, w0=w0, b0=b0, losses=losses, dtype=np.float64
    )
    param_diff = max(float(np.max(np.abs(np.append(r.w - ref.w, r.b - ref.b)))) for r in runs)
    loss_diff = max(float(np.max(np.abs(np.append(r.losses - ref.losses, r.final_loss - ref.final_loss)))) for r in runs)
    return {
        "steps": steps,
        "samples": teacher.X.shape[0],
        "features": teacher.X.shape[1],
        "max_loss_diff": loss_diff,
        "max_param_diff": param_diff,
        "tolerance": parameter_tol,
        "loss_tolerance": loss_tol,
        "max_gradient_gap": float(np.max(check.gaps)),
        "gradient_tolerance": check.tolerance,
        "agree": bool(param_diff <= parameter_tol and loss_diff <= loss_tol and check.ok),
        "final_loss": float(ref.final_loss),
    }
