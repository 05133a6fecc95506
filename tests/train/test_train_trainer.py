"""The jitted loop (``verification.train.trainer``) against the NumPy reference: one computation.

Trajectories are compared within ``trajectory_tolerance`` (see ``trajectory.py``).  The
step-wise gradient check uses ``GradientCheck.tolerance`` = (2N + 2)·eps in units of the summed
terms' magnitude (Higham's bound for two N-term sums).  Each is shown to reject a planted wrong
gradient by many orders of magnitude.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st
from trajectory import (
    BLOCK_ROWS,
    F64,
    STEPS,
    assert_same_trajectory,
    derivative_one_everywhere,
    divide_by_active_count,
    gram_tolerance,
    kink_margin,
    problems,
    replay,
    sign_flip,
)

import reference
from reference.training import TrainingDiverged
from verification.train import (
    Trainer,
    initial_parameters,
    stable_learning_rate,
    stepwise_gradient_check,
    train,
    train_sweep,
    trajectory_tolerance,
)
from verification.train.data import planted_teacher


@pytest.mark.filterwarnings("ignore::verification.train.DeadNeuronWarning")  # a drawn start may end dead: still one computation
@given(problem=problems(), block_rows=st.sampled_from(BLOCK_ROWS))
def test_float64_trajectories_agree(problem, block_rows):
    X, y, w0, b0, rate = problem
    ref = reference.train(X, y, steps=STEPS, learning_rate=rate, w0=w0, b0=b0)
    runs = {g: train(X, y, steps=STEPS, learning_rate=rate, gradient=g, w0=w0, b0=b0, dtype=F64, block_rows=block_rows)
            for g in ("hand", "autodiff")}
    losses = np.concatenate([ref.losses] + [r.losses for r in runs.values()])
    parameter_tol, loss_tol = trajectory_tolerance(X, steps=STEPS, learning_rate=rate, w0=w0, b0=b0, losses=losses, dtype=F64)
    margin = kink_margin(X, replay(X, y, w0, b0, rate, STEPS))
    note(f"rate={rate:.3g} parameter_tol={parameter_tol:.3g} loss_tol={loss_tol:.3g} kink margin={margin:.3g}")
    assume(margin > parameter_tol)
    for gradient, run in runs.items():
        assert run.w.dtype == F64 and run.losses.shape == (STEPS,)
        assert_same_trajectory(f"jit {gradient} vs reference", run, ref, parameter_tol, loss_tol)


@given(problem=problems(), block_rows=st.sampled_from(BLOCK_ROWS))
def test_hand_gradient_equals_jax_grad_at_every_step(problem, block_rows):
    X, y, w0, b0, rate = problem
    check = stepwise_gradient_check(X, y, steps=STEPS, learning_rate=rate, w0=w0, b0=b0, block_rows=block_rows)
    note(f"gaps={check.gaps}")
    assert check.gaps.shape == (STEPS,)
    assert check.ok, f"max gap {check.gaps.max():.3g} > tolerance {check.tolerance:.3g}"


@pytest.mark.parametrize("wrong", [sign_flip, divide_by_active_count, derivative_one_everywhere], ids=lambda f: f.__name__)
def test_stepwise_check_rejects_a_planted_wrong_gradient(wrong):
    teacher = planted_teacher(16, 3, seed=2, noise=0.2)
    w0, b0 = initial_parameters(teacher.X, seed=0)
    active = teacher.X @ w0 + b0 > 0
    assert 0 < active.sum() < len(active)  # mixed, or |A| = N would hide the second bug
    rate = stable_learning_rate(teacher.X)
    check = stepwise_gradient_check(teacher.X, teacher.y, steps=5, learning_rate=rate, w0=w0, b0=b0, signal=wrong)
    assert not check.ok
    assert check.gaps[0] > 1e6 * check.tolerance  # rejected at the first step, by orders of magnitude


def test_planted_teacher_is_recovered_to_1e_9():
    """Noise-free teacher, float64: after 800 steps at 1/λ_max, w and b are w*, b* to 1e-9.

    The rate: near the optimum the loss is quadratic with curvature between λ_min and λ_max of
    (2/N) X̂_Aᵀ X̂_A, so the error shrinks at least by (1 - λ_min/λ_max) a step; for this seed
    that is below 0.9, and 0.9^800 · |θ_0 - θ*| < 1e-30, far under the 1e-9 claimed."""
    teacher = planted_teacher(256, 4, seed=5)
    rate = stable_learning_rate(teacher.X, 1.0)
    run = train(teacher.X, teacher.y, steps=800, learning_rate=rate, dtype=F64)
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
    run64 = train(teacher.X, teacher.y, steps=600, learning_rate=rate, w0=w0, b0=b0, dtype=F64)
    run32 = train(teacher.X, teacher.y, steps=600, learning_rate=rate, w0=w0, b0=b0, dtype=np.float32)
    assert run32.w.dtype == np.float32 and run32.losses.dtype == np.float32
    converged = abs(run64.losses[-1] - run64.final_loss) / run64.final_loss
    assert converged < 1e-12  # float64 has stopped moving
    tolerance = (len(teacher.y) + 4) * np.finfo(np.float32).eps * float(run64.final_loss)
    assert abs(float(run32.final_loss) - float(run64.final_loss)) <= tolerance


@pytest.mark.parametrize("block_rows", BLOCK_ROWS, ids=["one block", "blocked"])
def test_sweep_equals_each_single_run(block_rows):
    teacher = planted_teacher(10, 3, seed=6, noise=0.2)
    base = stable_learning_rate(teacher.X)
    rates, seeds = np.array([base, base / 2, base / 4]), np.array([0, 1, 2])
    sweep = train_sweep(teacher.X, teacher.y, steps=STEPS, learning_rates=rates, seeds=seeds, dtype=F64, block_rows=block_rows)
    assert sweep.w.shape == (3, 3) and sweep.b.shape == (3,) and sweep.losses.shape == (3, STEPS)
    for k in range(3):
        single = train(teacher.X, teacher.y, steps=STEPS, learning_rate=rates[k], seed=int(seeds[k]), dtype=F64)
        w0, b0 = initial_parameters(teacher.X, seed=int(seeds[k]))
        parameter_tol, loss_tol = trajectory_tolerance(teacher.X, steps=STEPS, learning_rate=rates[k], w0=w0, b0=b0,
                                                       losses=np.append(single.losses, sweep.losses[k]), dtype=F64)
        model = reference.TrainResult(w=sweep.w[k], b=sweep.b[k], losses=sweep.losses[k], final_loss=sweep.final_loss[k])
        assert_same_trajectory(f"model {k}", model, single, parameter_tol, loss_tol)


@pytest.mark.parametrize("dtype", [np.float32, F64])
@pytest.mark.parametrize("layout, block_rows", [("rows", None), ("rows", 4), ("features", 4)])
def test_the_batch_gives_the_stable_learning_rate_of_its_data(dtype, layout, block_rows):
    """X̂ᵀX̂ summed over the batch on the devices (body blocks and rest rows), not from the caller's
    X: the same rate, up to the rounding of the dtype.  (Masked padding needs several devices:
    test_train_devices.py.)"""
    teacher = planted_teacher(45, 3, seed=8, noise=0.1)
    X = teacher.X * np.array([1.0, 3.0, 0.5]) + 2.0  # off-centre and unequal columns: every entry of the Gram matters
    trainer = Trainer.from_data(X, teacher.y, dtype=dtype, layout=layout, block_rows=block_rows)
    assert trainer.stable_learning_rate() == pytest.approx(stable_learning_rate(X), rel=gram_tolerance(X, dtype))
    assert trainer.stable_learning_rate(0.25) == pytest.approx(stable_learning_rate(X, 0.25), rel=gram_tolerance(X, dtype))


def test_divergence_suggests_the_stable_rate_of_the_whole_data():
    teacher = planted_teacher(30, 3, seed=1)
    w0, b0 = initial_parameters(teacher.X)
    with pytest.raises(TrainingDiverged) as caught:
        Trainer.from_data(teacher.X, teacher.y, block_rows=4).run(w0, b0, 500, learning_rate=1e6)
    assert caught.value.suggested_learning_rate == pytest.approx(stable_learning_rate(teacher.X),
                                                                 rel=gram_tolerance(teacher.X, np.float32))
