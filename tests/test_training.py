"""Training the ReLU neuron: the NumPy reference loop and the jitted loops are one computation.

Tolerances:

- Trajectories (reference vs jit, one device vs eight, vmap vs single runs) are compared with
  ``verification.train.trajectory_tolerance``: per step, two correct gradients differ by at
  most (N+4)·eps times the magnitude of the summed terms, plus 2·eps·|θ| for the update; the
  learning rate is at most 1/λ_max of the loss's curvature, so differences add up over the
  steps instead of growing.  The bound holds while no sample comes within the parameter
  tolerance of the ReLU's kink; each drawn problem checks that margin on the reference
  trajectory (``assume``), because there the two runs may legitimately put a sample on
  different sides.
- The step-wise gradient check uses ``GradientCheck.tolerance`` = (2N + 2)·eps in units of the
  summed terms' magnitude (Higham's bound for two N-term sums).
Each is shown to reject a planted wrong gradient by many orders of magnitude.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

import reference
import verification
from reference.loss import gradient_descent_step, loss_and_grads, mse_loss, mse_loss_grad_b, mse_loss_grad_w
from reference.training import TrainingDiverged
from verification.neuron import hand_signal
from verification.strategies import regression_batches
from verification.train import (
    DeadNeuronWarning,
    Session,
    Trainer,
    agreement_summary,
    compile_count,
    initial_parameters,
    stable_learning_rate,
    stepwise_gradient_check,
    train_sweep,
    trajectory_tolerance,
)
from verification.train.checkpoint import save_parameters
from verification.train.data import planted_teacher, standardize
from verification.train.devices import last_level_cache_bytes

F64 = np.float64
STEPS = 25
BLOCK_ROWS = (None, 3)
"""None: one block (the plain two-product step); 3: the blocked kernel, with padding rows for
both batch sizes of ``verification.strategies`` (N = 1 and 5)."""


@st.composite
def problems(draw):
    """(X, y, w0, b0, learning_rate): a batch of ``verification.strategies.regression_batches``
    (N, n from small pools, |z_i| >= 0.1 at the start, active and inactive samples mixed) as
    the data and start point, and 1/4, 1/2 or 1 times 1/λ_max as the learning rate."""
    w0, b0, X, y = draw(regression_batches(dtype=F64))
    return X, y, w0, b0, stable_learning_rate(X, draw(st.sampled_from((0.25, 0.5, 1.0))))


def _replay(X, y, w0, b0, rate, steps):
    """The reference trajectory rebuilt from the public rules: parameters at each step."""
    w, b = w0, b0
    path = [(w, b)]
    for _ in range(steps):
        w, b = gradient_descent_step(w, b, mse_loss_grad_w(w, b, X, y), mse_loss_grad_b(w, b, X, y), rate)
        path.append((w, b))
    return path


def _kink_margin(X, path) -> float:
    """min over steps and samples of |z_i| / ||x̂_i||_1: how far θ may move before a sample changes side."""
    scale = np.abs(X).sum(axis=1) + 1
    return min(float(np.min(np.abs(X @ w + b) / scale)) for w, b in path)


def _assert_same_trajectory(label, run, ref, parameter_tol, loss_tol):
    __tracebackhide__ = True
    param_diff = max(float(np.max(np.abs(run.w - ref.w))), abs(float(run.b - ref.b)))
    loss_diff = float(np.max(np.abs(np.append(run.losses - ref.losses, run.final_loss - ref.final_loss))))
    assert param_diff <= parameter_tol, f"{label}: parameters differ by {param_diff:.3g} > {parameter_tol:.3g}"
    assert loss_diff <= loss_tol, f"{label}: losses differ by {loss_diff:.3g} > {loss_tol:.3g}"


# ---------------------------------------------------------------------------------------------
# The reference loop


def test_reference_step_is_the_public_rules_bit_for_bit():
    teacher = planted_teacher(40, 3, seed=3, noise=0.3)
    w, b = initial_parameters(teacher.X, seed=1)
    loss, grad_w, grad_b = loss_and_grads(w, b, teacher.X, teacher.y)
    assert loss == mse_loss(w, b, teacher.X, teacher.y)
    assert np.array_equal(grad_w, mse_loss_grad_w(w, b, teacher.X, teacher.y))
    assert grad_b == mse_loss_grad_b(w, b, teacher.X, teacher.y)
    result = reference.train(teacher.X, teacher.y, steps=7, learning_rate=0.1, w0=w, b0=b)
    w_end, b_end = _replay(teacher.X, teacher.y, w, b, 0.1, 7)[-1]
    assert np.array_equal(result.w, w_end) and result.b == b_end
    assert result.losses.shape == (7,) and result.final_loss == mse_loss(w_end, b_end, teacher.X, teacher.y)


def test_reference_keeps_float32():
    teacher = planted_teacher(30, 2, dtype=np.float32)
    w, b = (v.astype(np.float32) for v in initial_parameters(teacher.X))
    result = reference.train(teacher.X, teacher.y, steps=3, learning_rate=0.1, w0=w, b0=b)
    assert {result.w.dtype, result.b.dtype, result.losses.dtype, result.final_loss.dtype} == {np.dtype(np.float32)}


# ---------------------------------------------------------------------------------------------
# Agreement: reference, jit with the hand gradient, jit with jax.grad


@given(problem=problems(), block_rows=st.sampled_from(BLOCK_ROWS))
def test_float64_trajectories_agree(problem, block_rows):
    X, y, w0, b0, rate = problem
    ref = reference.train(X, y, steps=STEPS, learning_rate=rate, w0=w0, b0=b0)
    runs = {g: verification.train(X, y, steps=STEPS, learning_rate=rate, gradient=g, w0=w0, b0=b0, dtype=F64, block_rows=block_rows)
            for g in ("hand", "autodiff")}
    losses = np.concatenate([ref.losses] + [r.losses for r in runs.values()])
    parameter_tol, loss_tol = trajectory_tolerance(X, steps=STEPS, learning_rate=rate, w0=w0, b0=b0, losses=losses, dtype=F64)
    margin = _kink_margin(X, _replay(X, y, w0, b0, rate, STEPS))
    note(f"rate={rate:.3g} parameter_tol={parameter_tol:.3g} loss_tol={loss_tol:.3g} kink margin={margin:.3g}")
    assume(margin > parameter_tol)
    for gradient, run in runs.items():
        assert run.w.dtype == F64 and run.losses.shape == (STEPS,)
        _assert_same_trajectory(f"jit {gradient} vs reference", run, ref, parameter_tol, loss_tol)


@given(problem=problems(), block_rows=st.sampled_from(BLOCK_ROWS))
def test_hand_gradient_equals_jax_grad_at_every_step(problem, block_rows):
    X, y, w0, b0, rate = problem
    check = stepwise_gradient_check(X, y, steps=STEPS, learning_rate=rate, w0=w0, b0=b0, block_rows=block_rows)
    note(f"gaps={check.gaps}")
    assert check.gaps.shape == (STEPS,)
    assert check.ok, f"max gap {check.gaps.max():.3g} > tolerance {check.tolerance:.3g}"


def _sign_flip(z, y, n):
    return -hand_signal(z, y, n)


def _divide_by_active_count(z, y, n):  # decision D3 says N; |A| is the classic bug
    active = z > 0
    return jnp.where(active, z - y, 0) * (2 / jnp.maximum(jnp.sum(active), 1))


def _derivative_one_everywhere(z, y, n):  # ReLU'(z) taken as 1: the mask forgotten
    return (z - y) * (2 / n)


@pytest.mark.parametrize("wrong", [_sign_flip, _divide_by_active_count, _derivative_one_everywhere], ids=lambda f: f.__name__.strip("_"))
def test_stepwise_check_rejects_a_planted_wrong_gradient(wrong):
    teacher = planted_teacher(16, 3, seed=2, noise=0.2)
    w0, b0 = initial_parameters(teacher.X, seed=0)
    active = teacher.X @ w0 + b0 > 0
    assert 0 < active.sum() < len(active)  # mixed, or |A| = N would hide the second bug
    rate = stable_learning_rate(teacher.X)
    check = stepwise_gradient_check(teacher.X, teacher.y, steps=5, learning_rate=rate, w0=w0, b0=b0, signal=wrong)
    assert not check.ok
    assert check.gaps[0] > 1e6 * check.tolerance  # rejected at the first step, by orders of magnitude


def test_trajectory_comparison_rejects_a_planted_wrong_gradient():
    """The trajectory tolerance is tight: a run that followed the |A| gradient is far outside it."""
    teacher = planted_teacher(16, 3, seed=2, noise=0.2)
    w0, b0 = initial_parameters(teacher.X, seed=0)
    rate = stable_learning_rate(teacher.X)
    ref = reference.train(teacher.X, teacher.y, steps=STEPS, learning_rate=rate, w0=w0, b0=b0)
    wrong = stepwise_gradient_check(teacher.X, teacher.y, steps=STEPS, learning_rate=rate, w0=w0, b0=b0,
                                    signal=_divide_by_active_count).result
    parameter_tol, loss_tol = trajectory_tolerance(teacher.X, steps=STEPS, learning_rate=rate, w0=w0, b0=b0,
                                                   losses=np.append(ref.losses, wrong.losses), dtype=F64)
    with pytest.raises(AssertionError, match="parameters differ"):
        _assert_same_trajectory("planted", wrong, ref, parameter_tol, loss_tol)


def test_agreement_summary_for_the_main_job():
    summary = agreement_summary(steps=60, seed=0)
    assert summary["agree"] is True
    assert summary["max_param_diff"] <= summary["tolerance"] and summary["max_loss_diff"] <= summary["loss_tolerance"]
    assert summary["steps"] == 60 and np.isfinite(summary["final_loss"])


# ---------------------------------------------------------------------------------------------
# Convergence


def test_planted_teacher_is_recovered_to_1e_9():
    """Noise-free teacher, float64: after 800 steps at 1/λ_max, w and b are w*, b* to 1e-9.

    The rate: near the optimum the loss is quadratic with curvature between λ_min and λ_max of
    (2/N) X̂_Aᵀ X̂_A, so the error shrinks at least by (1 - λ_min/λ_max) a step; for this seed
    that is below 0.9, and 0.9^800 · |θ_0 - θ*| < 1e-30, far under the 1e-9 claimed."""
    teacher = planted_teacher(256, 4, seed=5)
    rate = stable_learning_rate(teacher.X, 1.0)
    run = verification.train(teacher.X, teacher.y, steps=800, learning_rate=rate, dtype=F64)
    assert np.max(np.abs(run.w - teacher.w)) < 1e-9
    assert abs(run.b - teacher.b) < 1e-9
    assert run.final_loss < 1e-18


def test_float32_reaches_the_float64_loss():
    """Noisy teacher (the minimum loss is about noise² = 0.01), 600 steps in each dtype.

    Both runs end at the same minimum; float32 evaluates the loss with a relative error of at
    most (N + 4)·eps32 (N squared residuals summed), and its parameters sit within rounding of
    the minimum, where the loss is flat to first order, so |C32 - C64| <= (N + 4)·eps32·C64."""
    teacher = planted_teacher(128, 3, seed=4, noise=0.1)
    rate = stable_learning_rate(teacher.X, 1.0)
    w0, b0 = initial_parameters(teacher.X, seed=0)
    run64 = verification.train(teacher.X, teacher.y, steps=600, learning_rate=rate, w0=w0, b0=b0, dtype=F64)
    run32 = verification.train(teacher.X, teacher.y, steps=600, learning_rate=rate, w0=w0, b0=b0, dtype=np.float32)
    assert run32.w.dtype == np.float32 and run32.losses.dtype == np.float32
    converged = abs(run64.losses[-1] - run64.final_loss) / run64.final_loss
    assert converged < 1e-12  # float64 has stopped moving
    tolerance = (len(teacher.y) + 4) * np.finfo(np.float32).eps * float(run64.final_loss)
    assert abs(float(run32.final_loss) - float(run64.final_loss)) <= tolerance


# ---------------------------------------------------------------------------------------------
# The start point: never dead by default; dead at w = 0, b = 0


def test_default_start_is_not_dead():
    for X in (planted_teacher(50, 4, seed=1).X, planted_teacher(50, 4, seed=1).X - 10.0):  # also far off-centre data
        w0, b0 = initial_parameters(X, seed=3)
        assert np.mean(X @ w0 + b0 > 0) >= 0.5
        assert np.any(mse_loss_grad_w(w0, b0, X, np.zeros(len(X))) != 0)


def test_dead_start_never_moves():
    """w = 0, b = 0: every z_i = 0 is on the kink, where ReLU' is 0 (D2), so the gradient is
    exactly 0 and both loops stay put."""
    teacher = planted_teacher(20, 3, seed=0)
    zero_w, zero_b = np.zeros(3), np.float64(0)
    ref = reference.train(teacher.X, teacher.y, steps=10, learning_rate=0.1, w0=zero_w, b0=zero_b)
    run = verification.train(teacher.X, teacher.y, steps=10, learning_rate=0.1, gradient="autodiff", w0=zero_w, b0=zero_b, dtype=F64)
    for result in (ref, run):
        assert np.all(result.w == 0) and result.b == 0
        assert np.all(result.losses == result.losses[0])


# ---------------------------------------------------------------------------------------------
# Compilation


def test_compiled_once_per_shape_and_dtype():
    teacher = planted_teacher(24, 2, seed=0)
    other = planted_teacher(24, 2, seed=9, noise=0.5)
    first = verification.train(teacher.X, teacher.y, steps=6, learning_rate=0.1)
    before = compile_count()
    # new data, learning rate, start point and seed, same shapes: the same program
    verification.train(other.X, other.y, steps=6, learning_rate=0.03, w0=np.ones(2), b0=0.5)
    verification.train(other.X, other.y, steps=6, learning_rate=0.2, seed=4)
    assert compile_count() == before
    # float64 is another program, compiled once too; so is another number of steps
    verification.train(teacher.X, teacher.y, steps=6, learning_rate=0.1, dtype=F64)
    verification.train(other.X, other.y, steps=6, learning_rate=0.2, dtype=F64)
    assert compile_count() == before + 1
    verification.train(other.X, other.y, steps=7, learning_rate=0.2, dtype=F64)
    assert compile_count() == before + 2
    assert first.losses.shape == (6,)


def test_train_leaves_the_global_jax_configuration_alone():
    before = (jax.config.jax_enable_x64, jax.config.jax_default_matmul_precision)
    teacher = planted_teacher(10, 2)
    verification.train(teacher.X, teacher.y, steps=2, learning_rate=0.1, dtype=F64)
    assert (jax.config.jax_enable_x64, jax.config.jax_default_matmul_precision) == before


# ---------------------------------------------------------------------------------------------
# Layout: blocks, the rest rows and their padding, X read in place


def _rows_in(batch) -> int:
    """Samples the batch holds: the body's rows plus the unmasked rest rows."""
    rest = 0 if batch.rest_mask is None else int(np.asarray(batch.rest_mask).sum())
    return batch.X.shape[0] * batch.X.shape[2 if batch.features_first else 1] + rest


@pytest.mark.parametrize("layout", ["rows", "features"])
def test_every_sample_counts_once_and_padding_counts_for_nothing(layout):
    """N = 13 in blocks of 4: the rows outside whole blocks go to the masked rest.  The loss
    and every step still divide by 13 and follow the reference."""
    teacher = planted_teacher(13, 2, seed=7, noise=0.3)
    w0, b0 = initial_parameters(teacher.X, seed=0)
    rate = stable_learning_rate(teacher.X)
    blocked = Trainer(teacher.X, teacher.y, dtype=F64, block_rows=4, layout=layout)
    assert blocked.batch.X.shape[1:] == ((2, 4) if layout == "features" else (4, 2)) and blocked.batch.blocked
    assert _rows_in(blocked.batch) == 13
    run = blocked.run(w0, b0, STEPS, learning_rate=rate)
    ref = reference.train(teacher.X, teacher.y, steps=STEPS, learning_rate=rate, w0=w0, b0=b0)
    assert run.losses[0] == pytest.approx(float(mse_loss(w0, b0, teacher.X, teacher.y)), rel=(13 + 4) * np.finfo(F64).eps)
    parameter_tol, loss_tol = trajectory_tolerance(teacher.X, steps=STEPS, learning_rate=rate, w0=w0, b0=b0,
                                                   losses=np.append(run.losses, ref.losses), dtype=F64)
    _assert_same_trajectory("blocked with rest rows", run, ref, parameter_tol, loss_tol)


def test_float32_x_is_read_in_place_and_other_layouts_are_copied():
    """Row-major layout (the default for a large X): a C-contiguous X of the training dtype is
    not copied; a Fortran-order one, or float64 X trained in float32, is; and the feature-major
    layout (the default for a small X) always copies.  All of them train to the same point."""
    teacher = planted_teacher(4000, 10, seed=3, noise=0.1, dtype=np.float32)  # rows of 40 bytes: one of 8 starts aligned
    w0, b0 = initial_parameters(teacher.X, seed=0)
    rate = stable_learning_rate(teacher.X)
    runs = {}
    for name, X, layout, in_place in (("C order", teacher.X, "rows", True),
                                      ("Fortran order", np.asfortranarray(teacher.X), "rows", False),
                                      ("float64", teacher.X.astype(F64), "rows", False),
                                      ("feature-major", teacher.X, "features", False)):
        trainer = Trainer(X, teacher.y, dtype=np.float32, layout=layout)
        assert trainer.batch.in_place is in_place and trainer.batch.features_first is (layout == "features"), name
        assert _rows_in(trainer.batch) == 4000
        runs[name] = trainer.run(w0, b0, STEPS, learning_rate=rate)
    losses = np.concatenate([r.losses for r in runs.values()])
    parameter_tol, loss_tol = trajectory_tolerance(teacher.X, steps=STEPS, learning_rate=rate, w0=w0, b0=b0,
                                                   losses=losses, dtype=np.float32)
    for name in ("Fortran order", "float64", "feature-major"):
        _assert_same_trajectory(name, runs[name], runs["C order"], parameter_tol, loss_tol)


# ---------------------------------------------------------------------------------------------
# Many models: jax.vmap


@pytest.mark.parametrize("block_rows", BLOCK_ROWS, ids=["one block", "blocked"])
def test_sweep_equals_each_single_run(block_rows):
    teacher = planted_teacher(10, 3, seed=6, noise=0.2)
    base = stable_learning_rate(teacher.X)
    rates, seeds = np.array([base, base / 2, base / 4]), np.array([0, 1, 2])
    sweep = train_sweep(teacher.X, teacher.y, steps=STEPS, learning_rates=rates, seeds=seeds, dtype=F64, block_rows=block_rows)
    assert sweep.w.shape == (3, 3) and sweep.b.shape == (3,) and sweep.losses.shape == (3, STEPS)
    for k in range(3):
        single = verification.train(teacher.X, teacher.y, steps=STEPS, learning_rate=rates[k], seed=int(seeds[k]), dtype=F64)
        w0, b0 = initial_parameters(teacher.X, seed=int(seeds[k]))
        parameter_tol, loss_tol = trajectory_tolerance(teacher.X, steps=STEPS, learning_rate=rates[k], w0=w0, b0=b0,
                                                       losses=np.append(single.losses, sweep.losses[k]), dtype=F64)
        model = reference.TrainResult(w=sweep.w[k], b=sweep.b[k], losses=sweep.losses[k], final_loss=sweep.final_loss[k])
        _assert_same_trajectory(f"model {k}", model, single, parameter_tol, loss_tol)


# ---------------------------------------------------------------------------------------------
# Data parallel: 8 simulated CPU devices, in a subprocess


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
            trainer = Trainer(teacher.X, teacher.y, dtype=np.float64, devices=devices, block_rows=block_rows, layout=layout)
            run = trainer.run(w0, b0, %(steps)d, learning_rate=rate)
            batch = trainer.batch
            rest = 0 if batch.rest_mask is None else int(np.asarray(batch.rest_mask).sum())
            blocks, rows = batch.X.shape[0], batch.X.shape[2 if batch.features_first else 1]
            out["runs"][f"{layout}/{block_rows}/{devices}"] = {
                "shards": len(batch.X.sharding.device_set), "blocks": blocks, "rows": rows, "rest": rest,
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
    assert out["default devices, small X"] == 1 and out["default devices, large X"] == 8
    losses = np.concatenate([r.losses for r in runs.values()])
    parameter_tol, loss_tol = trajectory_tolerance(teacher.X, steps=STEPS, learning_rate=out["rate"], w0=np.array(out["w0"]),
                                                   b0=out["b0"], losses=losses, dtype=F64)
    single = runs["rows/None/1"]
    for key in runs:
        _assert_same_trajectory(f"{key} vs rows/None/1", runs[key], single, parameter_tol, loss_tol)
    for k in range(2):
        model = reference.TrainResult(w=np.array(out["sweep"]["w"][k]), b=np.array(out["sweep"]["b"][k]),
                                      losses=np.array(out["sweep"]["losses"][k]), final_loss=single.final_loss)
        _assert_same_trajectory(f"8-device sweep model {k}", model, single, parameter_tol, loss_tol)


# ---------------------------------------------------------------------------------------------
# Bad input: each a clear error naming the argument, from both loops


def _reference_train(X, y, **kw):
    kw.setdefault("w0", np.ones(np.shape(X)[-1]) if np.ndim(X) == 2 else np.ones(2))
    kw.setdefault("b0", 0.1)
    return reference.train(X, y, **kw)


TRAINERS = {"reference": _reference_train, "jit": verification.train}
GOOD_X, GOOD_Y = planted_teacher(6, 2, seed=0).X, planted_teacher(6, 2, seed=0).y


def _with(array, index, value):
    array = array.copy()
    array[index] = value
    return array


BAD_INPUT = [
    ("lengths differ", dict(X=GOOD_X, y=GOOD_Y[:5]), ValueError, r"X and y must have the same length"),
    ("X not 2-D", dict(X=GOOD_X[:, 0], y=GOOD_Y), ValueError, r"^X: expected a 2-D matrix"),
    ("NaN in X", dict(X=_with(GOOD_X, (2, 1), np.nan), y=GOOD_Y), ValueError, r"^X: contains NaN or inf at index \(2, 1\)"),
    ("inf in y", dict(X=GOOD_X, y=_with(GOOD_Y, 4, np.inf)), ValueError, r"^y: contains NaN or inf at index \(4,\)"),
    ("text in X", dict(X=np.array([["1", "a"]] * 6), y=GOOD_Y), TypeError, r"^X: expected a real numeric array"),
    ("steps 0", dict(X=GOOD_X, y=GOOD_Y, steps=0), ValueError, r"^steps: must be at least 1, got 0"),
    ("steps 2.5", dict(X=GOOD_X, y=GOOD_Y, steps=2.5), TypeError, r"^steps: expected an integer"),
    ("learning rate 0", dict(X=GOOD_X, y=GOOD_Y, learning_rate=0.0), ValueError, r"^learning_rate: must be a finite number > 0, got 0"),
    ("learning rate -1", dict(X=GOOD_X, y=GOOD_Y, learning_rate=-1.0), ValueError, r"^learning_rate: must be a finite number > 0"),
    ("learning rate nan", dict(X=GOOD_X, y=GOOD_Y, learning_rate=float("nan")), ValueError, r"^learning_rate: "),
    ("w0 too long", dict(X=GOOD_X, y=GOOD_Y, w0=np.ones(3)), ValueError, r"^w0: needs one entry per column of X \(2\), got 3"),
    ("b0 a vector", dict(X=GOOD_X, y=GOOD_Y, b0=np.ones(2)), ValueError, r"^b0: expected a scalar"),
]


@pytest.mark.parametrize("trainer", TRAINERS, ids=str)
@pytest.mark.parametrize("case", BAD_INPUT, ids=lambda c: c[0])
def test_bad_input_names_the_argument(trainer, case):
    _, arguments, error, message = case
    arguments = {"steps": 3, "learning_rate": 0.1, **arguments}
    with pytest.raises(error, match=message):
        TRAINERS[trainer](**arguments)


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        (dict(gradient="numeric"), ValueError, r"^gradient: expected one of \('hand', 'autodiff'\), got 'numeric'"),
        (dict(dtype=np.float16), ValueError, r"^dtype: expected float32 or float64, got float16"),
        (dict(dtype="complex"), ValueError, r"^dtype: expected float32 or float64"),
        (dict(devices=99), ValueError, r"^devices: asked for 99, but JAX sees \d+ \(cpu\)"),
        (dict(block_rows=0), ValueError, r"^block_rows: expected a positive integer"),
    ],
    ids=["gradient", "float16", "complex", "devices", "block_rows"],
)
def test_bad_options_of_the_jitted_loop(arguments, error, message):
    with pytest.raises(error, match=message):
        verification.train(GOOD_X, GOOD_Y, steps=2, learning_rate=0.1, **arguments)


@pytest.mark.parametrize("trainer", TRAINERS, ids=str)
def test_divergence_names_the_step_and_suggests_a_stable_rate(trainer):
    teacher = planted_teacher(30, 3, seed=1)
    w0, b0 = initial_parameters(teacher.X)
    pattern = r"at step \d+; learning_rate=1e\+06 is too large for this data: learning_rate=\S+ is stable"
    with pytest.raises(TrainingDiverged, match=pattern) as caught:
        TRAINERS[trainer](teacher.X, teacher.y, steps=500, learning_rate=1e6, w0=w0, b0=b0)
    assert 0 < caught.value.step < 500
    assert isinstance(caught.value, FloatingPointError)
    suggested = caught.value.suggested_learning_rate
    assert suggested == stable_learning_rate(teacher.X)
    # the suggestion trains: many steps, never diverging, and the loss goes down
    run = TRAINERS[trainer](teacher.X, teacher.y, steps=500, learning_rate=suggested, w0=w0, b0=b0)
    assert run.final_loss < run.losses[0] / 100


def test_both_loops_diverge_at_the_same_step():
    teacher = planted_teacher(30, 3, seed=1)
    w0, b0 = initial_parameters(teacher.X)
    steps = []
    for trainer in TRAINERS.values():
        with pytest.raises(TrainingDiverged) as caught:
            trainer(teacher.X, teacher.y, steps=500, learning_rate=1e6, w0=w0, b0=b0, **({"dtype": F64} if trainer is verification.train else {}))
        steps.append(caught.value.step)
    assert steps[0] == steps[1]


# ---------------------------------------------------------------------------------------------
# Resumable runs in the library: Session, train(checkpoint=..., callback=...)


def test_session_interrupted_and_resumed_is_bit_identical(tmp_path):
    teacher = planted_teacher(300, 4, seed=2, noise=0.1)
    arguments = dict(learning_rate=0.1, checkpoint_every=40)
    straight = verification.train(teacher.X, teacher.y, steps=170, checkpoint=tmp_path / "straight.ckpt", **arguments)
    seen = []

    def stop_at_80(progress):
        seen.append((progress.step, progress.steps))
        if progress.step == 80:
            raise KeyboardInterrupt

    interrupted = Session(teacher.X, teacher.y, checkpoint=tmp_path / "resumed.ckpt", **arguments)
    with pytest.raises(KeyboardInterrupt):
        interrupted.run(170, callback=stop_at_80)
    assert seen == [(40, 170), (80, 170)] and interrupted.saved_step == 80
    resumed = Session(teacher.X, teacher.y, checkpoint=tmp_path / "resumed.ckpt", **arguments)
    assert resumed.step == 80
    result = resumed.run(170)
    assert result.resumed_from == 80
    assert np.array_equal(result.w, straight.w) and result.b == straight.b
    assert np.array_equal(result.losses, straight.losses) and result.final_loss == straight.final_loss


def test_session_refuses_fewer_steps_than_its_checkpoint(tmp_path):
    teacher = planted_teacher(50, 2, seed=1)
    verification.train(teacher.X, teacher.y, steps=30, learning_rate=0.1, checkpoint=tmp_path / "run.ckpt", checkpoint_every=10)
    with pytest.raises(ValueError, match=r"^steps: the checkpoint .* is already at step 30, past the 20 asked for"):
        verification.train(teacher.X, teacher.y, steps=20, learning_rate=0.1, checkpoint=tmp_path / "run.ckpt", checkpoint_every=10)


def test_a_dead_neuron_warns_and_a_live_one_does_not():
    teacher = planted_teacher(40, 3, seed=0)
    w0 = np.array([1.0, 0.0, 0.0])
    b0 = -100.0  # every z_i < 0: the gradient is 0 and nothing can move
    with pytest.warns(DeadNeuronWarning, match="the neuron is dead: no sample has w·x \\+ b > 0") as caught:
        run = verification.train(teacher.X, teacher.y, steps=5, learning_rate=0.1, w0=w0, b0=b0)
    assert caught[0].message.active_fraction == 0 and run.active_fraction == 0
    assert np.all(run.losses == run.losses[0])  # stuck, at mean(y²) up to the rounding of a 40-term sum
    assert run.losses[0] == pytest.approx(np.mean(teacher.y**2), rel=(40 + 4) * float(np.finfo(np.float32).eps))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeadNeuronWarning)
        live = verification.train(teacher.X, teacher.y, steps=5, learning_rate=0.1)
    assert live.active_fraction > 0.5


def test_parameters_are_written_in_full(tmp_path):
    w, b, losses = np.arange(12.0), np.asarray(0.5), np.linspace(1, 0, 7)
    save_parameters(tmp_path / "p.npz", w=w, b=b, losses=losses, final_loss=0.01)
    save_parameters(tmp_path / "p.json", w=w, b=b, losses=losses, final_loss=0.01, features=[f"f{j}" for j in range(12)])
    with np.load(tmp_path / "p.npz") as saved:
        assert np.array_equal(saved["w"], w) and saved["b"] == 0.5 and np.array_equal(saved["losses"], losses)
    document = json.loads((tmp_path / "p.json").read_text())
    assert document["w"] == w.tolist() and document["features"][-1] == "f11" and document["final_loss"] == 0.01
    with pytest.raises(ValueError, match=r"^output: expected a file name ending in \.npz or \.json"):
        save_parameters(tmp_path / "p.csv", w=w, b=b, losses=losses, final_loss=0.01)


def test_standardized_weights_map_back_to_the_original_units():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 3)) * np.array([1.0, 300.0, 2e4]) + np.array([5.0, 0.0, 3e5])
    X[:, 0] = 7.0  # a constant column is only centred
    scaled = standardize(X)
    assert np.allclose(scaled.X.mean(axis=0), 0) and np.allclose(scaled.X[:, 1:].std(axis=0), 1)
    w, b = np.array([0.3, -1.2, 0.8]), 0.25
    w_original, b_original = scaled.original(w, b)
    np.testing.assert_allclose(X @ w_original + b_original, scaled.X @ w + b, rtol=1e-9, atol=1e-9)


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
