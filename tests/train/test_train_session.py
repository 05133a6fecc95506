"""The entry points (``verification.train.session``): ``train`` and the resumable ``Session``;
bad input named, divergence, a dead neuron, and JAX's configuration left as it was."""

from __future__ import annotations

import warnings

import jax
import numpy as np
import pytest
from trajectory import gram_tolerance

import reference
import verification.precision
from reference.training import TrainingDiverged
from verification.train import DeadNeuronWarning, Session, initial_parameters, stable_learning_rate, train
from verification.train.data import planted_teacher

F64 = np.float64


def reference_train(X, y, **kw):
    kw.setdefault("w0", np.ones(np.shape(X)[-1]) if np.ndim(X) == 2 else np.ones(2))
    kw.setdefault("b0", 0.1)
    return reference.train(X, y, **kw)


TRAINERS = {"reference": reference_train, "jit": train}
GOOD_X, GOOD_Y = planted_teacher(6, 2, seed=0).X, planted_teacher(6, 2, seed=0).y


def changed(array, index, value):
    array = array.copy()
    array[index] = value
    return array


BAD_INPUT = [
    ("lengths differ", dict(X=GOOD_X, y=GOOD_Y[:5]), ValueError, r"X and y must have the same length"),
    ("X not 2-D", dict(X=GOOD_X[:, 0], y=GOOD_Y), ValueError, r"^X: expected a 2-D matrix"),
    ("NaN in X", dict(X=changed(GOOD_X, (2, 1), np.nan), y=GOOD_Y), ValueError, r"^X: contains NaN or inf at index \(2, 1\)"),
    ("inf in y", dict(X=GOOD_X, y=changed(GOOD_Y, 4, np.inf)), ValueError, r"^y: contains NaN or inf at index \(4,\)"),
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
        (dict(gradient="both"), ValueError, r"^gradient: expected one of \('hand', 'autodiff'\), got 'both'"),
        (dict(dtype=np.float16), ValueError, r"^dtype: expected 'float64' or 'float32', got float16"),
        (dict(dtype="complex"), ValueError, r"^dtype: expected 'float64' or 'float32'"),
        (dict(devices=99), ValueError, r"^devices: asked for 99, but JAX sees \d+ \(cpu\)"),
        (dict(block_rows=0), ValueError, r"^block_rows: expected a positive integer"),
    ],
    ids=["gradient", "both without a session", "float16", "complex", "devices", "block_rows"],
)
def test_bad_options_of_the_jitted_loop(arguments, error, message):
    with pytest.raises(error, match=message):
        train(GOOD_X, GOOD_Y, steps=2, learning_rate=0.1, **arguments)


@pytest.mark.parametrize("trainer", TRAINERS, ids=str)
def test_divergence_names_the_step_and_suggests_a_stable_rate(trainer):
    """The jitted loop sums X̂ᵀX̂ in float32 on the devices (see ``gram_tolerance``)."""
    teacher = planted_teacher(30, 3, seed=1)
    w0, b0 = initial_parameters(teacher.X)
    pattern = r"at step \d+; learning_rate 1e\+06 is too large for this data: learning_rate \S+ is stable for it"
    with pytest.raises(TrainingDiverged, match=pattern) as caught:
        TRAINERS[trainer](teacher.X, teacher.y, steps=500, learning_rate=1e6, w0=w0, b0=b0)
    assert 0 < caught.value.step < 500
    assert isinstance(caught.value, FloatingPointError) and caught.value.argument == "learning_rate"
    suggested = caught.value.suggested_learning_rate
    assert suggested == pytest.approx(stable_learning_rate(teacher.X), rel=gram_tolerance(teacher.X, np.float32))
    assert f"learning_rate {suggested:.3g} is stable" in str(caught.value)
    # the suggestion trains: many steps, never diverging, and the loss goes down
    run = TRAINERS[trainer](teacher.X, teacher.y, steps=500, learning_rate=suggested, w0=w0, b0=b0)
    assert run.final_loss < run.losses[0] / 100


def test_both_loops_diverge_at_the_same_step():
    teacher = planted_teacher(30, 3, seed=1)
    w0, b0 = initial_parameters(teacher.X)
    steps = []
    for trainer in TRAINERS.values():
        with pytest.raises(TrainingDiverged) as caught:
            trainer(teacher.X, teacher.y, steps=500, learning_rate=1e6, w0=w0, b0=b0, **({"dtype": F64} if trainer is train else {}))
        steps.append(caught.value.step)
    assert steps[0] == steps[1]


def test_session_interrupted_and_resumed_is_bit_identical(tmp_path):
    teacher = planted_teacher(300, 4, seed=2, noise=0.1)
    arguments = dict(learning_rate=0.1, checkpoint_every=40)
    straight = train(teacher.X, teacher.y, steps=170, checkpoint=tmp_path / "straight.ckpt", **arguments)
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
    train(teacher.X, teacher.y, steps=30, learning_rate=0.1, checkpoint=tmp_path / "run.ckpt", checkpoint_every=10)
    with pytest.raises(ValueError, match=r"^steps: the checkpoint .* is already at step 30, past the 20 asked for") as caught:
        train(teacher.X, teacher.y, steps=20, learning_rate=0.1, checkpoint=tmp_path / "run.ckpt", checkpoint_every=10)
    assert caught.value.argument == "steps"


def test_a_dead_neuron_warns_and_a_live_one_does_not():
    teacher = planted_teacher(40, 3, seed=0)
    w0 = np.array([1.0, 0.0, 0.0])
    b0 = -100.0  # every z_i < 0: the gradient is 0 and nothing can move
    with pytest.warns(DeadNeuronWarning, match="the neuron is dead: no sample has w·x \\+ b > 0") as caught:
        run = train(teacher.X, teacher.y, steps=5, learning_rate=0.1, w0=w0, b0=b0)
    assert caught[0].message.active_fraction == 0 and run.active_fraction == 0
    assert np.all(run.losses == run.losses[0])  # stuck, at mean(y²) up to the rounding of a 40-term sum
    assert run.losses[0] == pytest.approx(np.mean(teacher.y**2), rel=(40 + 4) * float(np.finfo(np.float32).eps))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeadNeuronWarning)
        live = train(teacher.X, teacher.y, steps=5, learning_rate=0.1)
    assert live.active_fraction > 0.5


def test_train_leaves_the_global_jax_configuration_alone():
    before = (jax.config.jax_enable_x64, jax.config.jax_default_matmul_precision)
    teacher = planted_teacher(10, 2)
    for dtype in (F64, np.float32):
        train(teacher.X, teacher.y, steps=2, learning_rate=0.1, dtype=dtype)
        assert (jax.config.jax_enable_x64, jax.config.jax_default_matmul_precision) == before


@pytest.fixture
def x64_scopes(monkeypatch):
    """Every 64-bit scope a run enters, recorded: ``jax.enable_x64`` is the only way
    ``verification.precision`` turns 64-bit mode on."""
    entered = []
    original = jax.enable_x64

    def recording(new_val=True):
        entered.append(new_val)
        return original(new_val)

    monkeypatch.setattr(jax, "enable_x64", recording)
    return entered


@pytest.mark.parametrize("resumable", [False, True], ids=["one program", "session"])
def test_a_float32_run_never_enters_64_bit_mode(x64_scopes, resumable, tmp_path):
    teacher = planted_teacher(40, 3, seed=2, noise=0.1)
    before = jax.config.jax_enable_x64
    options = dict(checkpoint=tmp_path / "run.ckpt", checkpoint_every=3) if resumable else {}
    run = train(teacher.X, teacher.y, steps=7, learning_rate=0.1, dtype=np.float32, **options)
    assert x64_scopes == [] and jax.config.jax_enable_x64 == before
    assert run.w.dtype == run.losses.dtype == np.float32
    assert verification.precision.x64_enabled() == before
    # the recorder sees a float64 run's scope (so an empty record means none was entered)
    train(teacher.X, teacher.y, steps=7, learning_rate=0.1, dtype=F64)
    assert bool(x64_scopes) is not before and all(x64_scopes) and jax.config.jax_enable_x64 == before
