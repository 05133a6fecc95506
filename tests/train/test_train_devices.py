"""Where the data lives (``verification.train.devices``): the device choice, the cache size,
one CPU device per core, and eight simulated devices training as one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest
from trajectory import F64, STEPS, assert_same_trajectory, gram_tolerance

import reference
import verification
from verification.train import ArgumentError, select_devices, stable_learning_rate, trajectory_tolerance
from verification.train.data import planted_teacher
from verification.train.devices import last_level_cache_bytes

EIGHT_DEVICES = textwrap.dedent(
    """
    import json
    import numpy as np
    import jax
    from verification.train import Trainer, default_devices, initial_parameters, stable_learning_rate, train_sweep
    from verification.train.data import planted_teacher

    assert len(jax.devices()) == 8, jax.devices()
    teacher = planted_teacher(53, 3, seed=11, noise=0.2)
    rate = stable_learning_rate(teacher.X)
    w0, b0 = initial_parameters(teacher.X, seed=0)
    out = {"rate": rate, "w0": w0.tolist(), "b0": float(b0), "runs": {}}
    for layout in ("rows", "features"):
      for block_rows in (None, 4):
        for devices in (1, 8):
            trainer = Trainer.from_data(teacher.X, teacher.y, dtype=np.float64, devices=devices, block_rows=block_rows, layout=layout)
            run = trainer.run(w0, b0, %(steps)d, learning_rate=rate)
            batch = trainer.batch
            rest = 0 if batch.rest_mask is None else int(np.asarray(batch.rest_mask).sum())
            blocks, rows = batch.X.shape[0], batch.X.shape[2 if batch.features_first else 1]
            out["runs"][f"{layout}/{block_rows}/{devices}"] = {
                "shards": len(batch.X.sharding.device_set), "blocks": blocks, "rows": rows, "rest": rest,
                "padding": 0 if batch.rest_mask is None else batch.rest_mask.size - rest, "stable": trainer.stable_learning_rate(),
                "w": run.w.tolist(), "b": float(run.b), "losses": run.losses.tolist(), "final_loss": float(run.final_loss)}
    out["default devices, small X"] = len(default_devices(53, 3, np.float64))
    out["default devices, large X"] = len(default_devices(53, 3, np.float64, min_bytes=64, cache_bytes=64))
    sweep = train_sweep(teacher.X, teacher.y, steps=%(steps)d, learning_rates=rate, seeds=[0, 0], dtype=np.float64, devices=8)
    out["sweep"] = {"w": sweep.w.tolist(), "b": sweep.b.tolist(), "losses": sweep.losses.tolist()}
    print(json.dumps(out))
    """
)


def test_last_level_cache_is_read_from_sysfs(tmp_path):
    for index, size in (("index0", "48K"), ("index2", "1024K"), ("index3", "32768K\n")):
        (tmp_path / index).mkdir()
        (tmp_path / index / "size").write_text(size)
    assert last_level_cache_bytes(str(tmp_path)) == 32 * 2**20
    assert last_level_cache_bytes(str(tmp_path / "missing"), default=7) == 7


def test_too_many_devices_is_named():
    with pytest.raises(ArgumentError, match=r"^devices: asked for 99, but JAX sees \d+ \(cpu\)") as caught:
        select_devices(99)
    assert caught.value.argument == "devices"
    with pytest.raises(TypeError, match=r"^devices: expected None, a count, or a sequence of jax devices"):
        select_devices("all")


def test_eight_simulated_devices_match_one():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8", JAX_PLATFORMS="cpu")
    completed = subprocess.run([sys.executable, "-c", EIGHT_DEVICES % {"steps": STEPS}], capture_output=True, text=True, env=env, timeout=300)
    assert completed.returncode == 0, completed.stderr
    out = json.loads(completed.stdout.strip().splitlines()[-1])
    teacher = planted_teacher(53, 3, seed=11, noise=0.2)
    runs = {key: reference.TrainResult(w=np.array(r["w"]), b=np.array(r["b"]), losses=np.array(r["losses"]),
                                       final_loss=np.array(r["final_loss"])) for key, r in out["runs"].items()}
    for layout in ("rows", "features"):
        assert out["runs"][f"{layout}/None/8"]["shards"] == 8 and out["runs"][f"{layout}/4/8"]["shards"] == 8
        blocked = out["runs"][f"{layout}/4/8"]
        assert blocked["rows"] == 4 and blocked["blocks"] % 8 == 0 and blocked["blocks"] > 0  # whole blocks on every device
    for run in out["runs"].values():  # the rest rows hold every sample the blocks do not
        assert run["blocks"] * run["rows"] + run["rest"] == 53
        # the stable rate of the batch, summed over 8 devices with padding rows masked, is the data's
        assert run["stable"] == pytest.approx(stable_learning_rate(teacher.X), rel=gram_tolerance(teacher.X, F64))
    assert any(run["padding"] > 0 for run in out["runs"].values())
    assert out["default devices, small X"] == 1 and out["default devices, large X"] == 8
    losses = np.concatenate([r.losses for r in runs.values()])
    parameter_tol, loss_tol = trajectory_tolerance(teacher.X, steps=STEPS, learning_rate=out["rate"], w0=np.array(out["w0"]),
                                                   b0=out["b0"], losses=losses, dtype=F64)
    single = runs["rows/None/1"]
    for key in runs:
        assert_same_trajectory(f"{key} vs rows/None/1", runs[key], single, parameter_tol, loss_tol)
    for k in range(2):
        model = reference.TrainResult(w=np.array(out["sweep"]["w"][k]), b=np.array(out["sweep"]["b"][k]),
                                      losses=np.array(out["sweep"]["losses"][k]), final_loss=single.final_loss)
        assert_same_trajectory(f"8-device sweep model {k}", model, single, parameter_tol, loss_tol)


def test_use_all_cores_changes_nothing_once_jax_runs():
    """The opt-in must come before JAX starts; afterwards it says so (False) and the devices stay."""
    before = jax.devices()
    assert verification.use_all_cores() is False
    assert jax.devices() == before


def test_use_all_cores_before_jax_starts_gives_one_device_per_core():
    code = "import os, verification, jax; assert verification.use_all_cores(); print(len(jax.devices()), os.cpu_count())"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                               env=dict(os.environ, JAX_PLATFORMS="cpu"))
    assert completed.returncode == 0, completed.stderr
    devices, cores = completed.stdout.split()
    assert devices == cores
