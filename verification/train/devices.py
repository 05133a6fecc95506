"""Where the training data lives: which devices.

JAX's default on a CPU-only machine is one CPU device, whose matrix products already use every
core.  :func:`use_all_cores` is the opt-in to one device per core, which lets the sharded kernel
keep each core on its own part of X (see ``verification.train.kernel``); it changes a
process-wide JAX setting, so the library never calls it itself.
"""

from __future__ import annotations

import functools
import glob
import os
from collections.abc import Sequence

import jax
import numpy as np

from verification.train.errors import ArgumentError

BLOCKED_MIN_BYTES = 8 * 2**20
"""Below this many bytes of X per device, each device takes its rows in one block: X then sits
in the last-level cache and walking it in blocks costs more than it saves."""
SHARD_MIN_CACHES = 2
"""On CPU, :func:`default_devices` shards only when X is at least this many last-level caches:
a smaller X mostly stays in the cache the cores share, where one device reading it twice wins."""


def use_all_cores() -> bool:
    """Ask JAX for one CPU device per core; call it before anything in JAX runs.

    The one line that opts a CPU-only program into data-parallel training over its cores::

        import verification; verification.use_all_cores()

    Returns True if JAX took it, False (changing nothing) when its backends had already started.
    """
    return request_cpu_devices(os.cpu_count() or 1)


def request_cpu_devices(count: int) -> bool:
    """Ask JAX for ``count`` CPU devices before its backends start (a process-wide setting).

    Returns False, changing nothing, when the backends are already running.
    """
    try:
        jax.config.update("jax_num_cpu_devices", int(count))
    except RuntimeError:
        return False
    return True


def select_devices(devices=None) -> tuple[jax.Device, ...]:
    """``None``: every device JAX sees; an int k: the first k; or a sequence of devices."""
    visible = jax.devices()
    if devices is None:
        return tuple(visible)
    if isinstance(devices, int) and not isinstance(devices, bool):
        if not 1 <= devices <= len(visible):
            raise ArgumentError(
                "devices",
                f"asked for {devices}, but JAX sees {len(visible)} ({visible[0].platform}); "
                "on a CPU-only machine, ask for more CPU devices before JAX starts "
                "(verification.use_all_cores(), jax.config.update('jax_num_cpu_devices', k) or "
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


def default_devices(
    n_samples: int, n_features: int, dtype, *, min_bytes: int = BLOCKED_MIN_BYTES, cache_bytes: int | None = None
) -> tuple[jax.Device, ...]:
    """Every visible device, unless X is too small for sharding to pay, then one.

    The devices synchronise at every step, so X must be at least ``min_bytes`` per device and,
    on CPU, ``SHARD_MIN_CACHES`` times ``cache_bytes`` (default: :func:`last_level_cache_bytes`).
    """
    visible = jax.devices()
    size = n_samples * n_features * np.dtype(dtype).itemsize
    large = size >= min_bytes * len(visible)
    if visible[0].platform == "cpu":
        large = large and size >= SHARD_MIN_CACHES * (last_level_cache_bytes() if cache_bytes is None else cache_bytes)
    return tuple(visible) if large else (visible[0],)

