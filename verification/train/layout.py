r"""X and y laid out on the devices for the training kernel, read in place where possible.

A large X stays row-major, as NumPy holds it (``layout="rows"``): the kernel computes
$z = X\mathbf{w} + b$ and $X^T\mathbf{s}$ on row blocks, so X needs no transposed copy.  A small X
(at most ``FEATURES_FIRST_MAX_BYTES``) is copied transposed, feature-major (``layout="features"``):
there the step is bound by the products' arithmetic, not by reading X, and XLA's CPU products
are several times faster with the samples along the last axis.  The rows are split into

- the *body*: whole blocks of ``rows`` samples, shape (blocks, rows, n), an even number of
  blocks per device.  When X already has the dtype, is C-contiguous and a block boundary falls
  on a 64-byte address (XLA's CPU alignment), the body is a view of X that the CPU devices read
  in place: setting up the data costs no copy of X at all.
- the *rest*: the few rows left over (a ragged end, and rows skipped to reach an aligned start),
  copied into shape (devices, r, n) with a 0/1 ``mask`` for the padding, which therefore adds
  nothing to the loss or the gradient while every mean still divides by the true N.

Both are sharded over a 1-D device mesh along their first axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from reference.checks import check_data
from verification.precision import check_dtype, own_program_scope
from verification.train.devices import BLOCKED_MIN_BYTES, default_devices, select_devices
from verification.train.distributed import gather
from verification.train.errors import ArgumentError

AXIS = "data"
ALIGNMENT = 64
"""Bytes: XLA's CPU client reads a host array in place only at this alignment."""
FEATURES_FIRST_MAX_BYTES = 16 * 2**20
"""The largest X (in the training dtype) that the default layout copies feature-major."""
LAYOUTS = ("rows", "features")
SUB_ROWS = 1024
r"""The kernel views a row-major block longer than this as sub-blocks of this many rows: the
gradient's product $X^T\mathbf{s}$ is then a batch of short products, which XLA's CPU runs several
times faster than one long one.  Such blocks are cut to a multiple of it."""
BLOCK_BYTES = 400 * 1024
"""Target size of one block of X: it stays in a core's L2 cache between the forward product and
the backward one, so a blocked step reads X from memory once."""


@dataclass(frozen=True)
class Batch:
    """X and y on the devices, as the kernel reads them.

    Attributes:
        X: the body, shape (blocks, rows, n): block k holds samples ``start + k·rows`` onwards;
            (blocks, n, rows) when ``features_first``.
        y: the body's targets, shape (blocks, rows).
        rest_X, rest_y, rest_mask: the other samples, shapes (devices, r, n) (or (devices, n, r)), (devices, r),
            (devices, r), padding masked by 0; all None when every sample is in the body.
        n_samples: N, the true number of samples (the divisor of every mean).
        mesh: the 1-D device mesh (axis ``"data"``).
        in_place: True when the body is a view of the caller's X (no copy was made).
    """

    X: jax.Array
    y: jax.Array
    rest_X: jax.Array | None
    rest_y: jax.Array | None
    rest_mask: jax.Array | None
    n_samples: int
    mesh: Mesh
    in_place: bool
    features_first: bool = False

    @property
    def n_features(self) -> int:
        return self.X.shape[1 if self.features_first else 2]

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.X.dtype)

    @property
    def blocked(self) -> bool:
        """True when each device walks more than one block per step."""
        return self.X.shape[0] > self.mesh.size


def choose_block_rows(n_samples: int, n_features: int, dtype, devices: Sequence[jax.Device], models: int = 1) -> int:
    """Rows per block: the whole shard (one block per device), or blocks of about ``BLOCK_BYTES``.

    Blocks pay on a CPU when cores can overlap one block's products with another's reads: for
    one model, with several devices and at least ``BLOCKED_MIN_BYTES`` of X each; for a sweep of
    several models (``jax.vmap``, whose (models × rows) intermediates must stay in cache too),
    once X per device exceeds two blocks.
    """
    per_device = max(1, n_samples // len(devices))
    row_bytes = n_features * np.dtype(dtype).itemsize
    rows = max(16, BLOCK_BYTES // row_bytes // 16 * 16)
    if devices[0].platform != "cpu":
        return per_device
    if models > 1:
        blocked = per_device > 2 * rows
    else:
        blocked = len(devices) > 1 and per_device * row_bytes >= BLOCKED_MIN_BYTES
    return min(per_device, rows) if blocked else per_device


def _aligned_start(X: np.ndarray, limit: int) -> int | None:
    """The first row r <= ``limit`` at which X's rows start on an aligned address; None if none does."""
    for start in range(min(limit + 1, X.shape[0])):
        if (X.ctypes.data + start * X.strides[0]) % ALIGNMENT == 0:
            return start
    return None


def _aligned_copy(X: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """X in ``dtype``, C-contiguous, in a buffer that starts on an aligned address."""
    pad = ALIGNMENT // dtype.itemsize
    buffer = np.empty(X.size + pad, dtype=dtype)
    start = (-buffer.ctypes.data % ALIGNMENT) // dtype.itemsize
    out = buffer[start : start + X.size].reshape(X.shape)
    np.copyto(out, X, casting="unsafe")
    return out


@dataclass(frozen=True)
class Shares:
    """How many rows the batch holds: ``total`` N, and the ``fewest`` and ``most`` any one process holds."""

    total: int
    fewest: int
    most: int

    @classmethod
    def of_processes(cls, rows: int, n_features: int, n_devices: int) -> Shares:
        """Every process's ``rows``, gathered (a collective); they must agree on the features and devices."""
        every = gather(np.array([rows, n_features, n_devices], dtype=np.int32))
        if len(set(every[:, 1])) > 1 or len(set(every[:, 2])) > 1:
            held = "; ".join(f"process {p}: {m} rows × {n} features, {d} devices" for p, (m, n, d) in enumerate(every))
            raise ArgumentError("X", f"every process needs the same features and as many devices ({held})")
        return cls(total=int(every[:, 0].sum()), fewest=int(every[:, 0].min()), most=int(every[:, 0].max()))


def prepare_batch(
    X, y, *, dtype=np.float32, devices=None, block_rows: int | None = None, models: int = 1, layout: str | None = None,
    across_processes: bool = False,
) -> Batch:
    """Check X and y, cut X into blocks and place them on the devices (in place where possible).

    ``block_rows`` None chooses with :func:`choose_block_rows` (for ``models`` trained
    together); an explicit value forces it.  ``layout`` None chooses ``"features"`` for an X of
    at most ``FEATURES_FIRST_MAX_BYTES``, else ``"rows"``.  X must not be modified while the batch
    is in use when it is read in place (``Batch.in_place``).

    ``across_processes``: X and y are this process's rows of a run joined with
    :func:`verification.train.distributed.join`; every process calls this (a collective), each
    with its own rows, which may number differently, the same features and as many devices.
    The batch is sharded over every device of every process and its ``n_samples`` is the
    global N; the layout is chosen from the global N, the blocks from the fewest rows any
    process holds, and every process's rest is padded to the same shape.

    Raises:
        ValueError, TypeError: a bad argument, named; across processes, processes that disagree
            (each one's rows, features and devices named).
    """
    X, y = check_data(X, y)
    if X.shape[1] == 0:  # the blocks are sized in bytes per row
        raise ArgumentError("X", f"needs at least one feature (column), got shape {X.shape}")
    dtype = check_dtype(dtype)
    if block_rows is not None and (isinstance(block_rows, bool) or not isinstance(block_rows, int) or block_rows < 1):
        raise ArgumentError("block_rows", f"expected a positive integer, got {block_rows!r}")
    if layout is not None and layout not in LAYOUTS:
        raise ArgumentError("layout", f"expected one of {LAYOUTS}, got {layout!r}")
    n_features = X.shape[1]
    if across_processes:
        if devices is not None:
            raise ArgumentError("devices", "across processes the batch is on every device of every process")
        shares = Shares.of_processes(X.shape[0], n_features, len(jax.local_devices()))
        devices, mesh_devices = tuple(jax.local_devices()), tuple(jax.devices())
    else:
        shares = Shares(X.shape[0], X.shape[0], X.shape[0])
        devices = select_devices(default_devices(shares.total, n_features, dtype) if devices is None else devices)
        mesh_devices = devices
    if layout is None:
        layout = "features" if shares.total * n_features * dtype.itemsize <= FEATURES_FIRST_MAX_BYTES else "rows"
    features_first = layout == "features"
    count = len(devices)
    y = y.astype(dtype, copy=False)

    # Read in place (one process only): up to `spare` rows may come before the first aligned
    # one.  They are kept out of the body whatever X's address, so the shapes (and the compiled
    # program) depend on N and n only.
    in_place_possible = not (across_processes or features_first)
    spare = ALIGNMENT // math.gcd(n_features * dtype.itemsize, ALIGNMENT) - 1 if in_place_possible else 0
    aligned = _aligned_start(X, spare) if in_place_possible and X.dtype == dtype and X.flags.c_contiguous else None
    copied = aligned is None
    start = 0 if aligned is None else aligned
    if copied and in_place_possible:
        X = _aligned_copy(X, dtype)
    elif copied:
        X = X.astype(dtype, copy=False)
    usable = max(shares.fewest - spare, 0)
    if block_rows is None:
        block_rows = choose_block_rows(max(usable, 1), n_features, dtype, devices, models)
        if not features_first and block_rows > SUB_ROWS:  # whole sub-blocks (see SUB_ROWS)
            block_rows -= block_rows % SUB_ROWS
        elif count > 1 and block_rows > 16:  # 16 rows of 4-byte numbers are 64 bytes: every shard starts aligned
            block_rows -= block_rows % 16
    blocks = usable // (count * block_rows) * count  # the same number on every process
    if blocks == 0:  # fewer rows than a block a device: all of them go to the rest
        start = 0
    stop = start + blocks * block_rows
    body_X = X[start:stop].reshape(blocks, block_rows, n_features)
    if features_first:
        body_X = np.ascontiguousarray(body_X.transpose(0, 2, 1))
    body_y = np.ascontiguousarray(y[start:stop]).reshape(blocks, block_rows)
    if not blocks:
        body_X = np.zeros((count, n_features, 0) if features_first else (count, 0, n_features), dtype)
        body_y = np.zeros((count, 0), dtype)

    rest_rows = np.concatenate([np.arange(start), np.arange(stop, X.shape[0])])
    most_left = shares.most - blocks * block_rows  # the most rows left over in any process
    rest_arrays: list[np.ndarray] = []
    if most_left:
        r = -(-most_left // count)
        rest_X = np.zeros((count * r, n_features), dtype)
        rest_y = np.zeros(count * r, dtype)
        mask = np.zeros(count * r, dtype)
        left = rest_rows.size
        rest_X[:left], rest_y[:left], mask[:left] = X[rest_rows], y[rest_rows], 1
        rest_X = rest_X.reshape(count, r, n_features)
        if features_first:
            rest_X = np.ascontiguousarray(rest_X.transpose(0, 2, 1))
        rest_arrays = [rest_X, rest_y.reshape(count, r), mask.reshape(count, r)]

    mesh = Mesh(np.array(mesh_devices), (AXIS,))
    sharding = NamedSharding(mesh, P(AXIS))
    with own_program_scope(dtype):
        if across_processes:
            placed = [jax.make_array_from_process_local_data(sharding, a) for a in (body_X, body_y, *rest_arrays)]
        else:
            placed = [jax.device_put(a, sharding) for a in (body_X, body_y, *rest_arrays)]
    rest: list[jax.Array | None] = [*placed[2:]] if rest_arrays else [None, None, None]
    return Batch(X=placed[0], y=placed[1], rest_X=rest[0], rest_y=rest[1], rest_mask=rest[2], n_samples=shares.total, mesh=mesh,
                 in_place=not copied and _reads_in_place(placed[0], X), features_first=features_first)


def _reads_in_place(array: jax.Array, X: np.ndarray) -> bool:
    """True when every shard of ``array`` lies in X's own memory."""
    low, high = X.ctypes.data, X.ctypes.data + X.nbytes
    shards = array.addressable_shards
    return X.size > 0 and all(low <= s.data.unsafe_buffer_pointer() < high for s in shards if s.data.size)
