"""X and y on the devices (``verification.train.layout``): blocks, the rest rows and their
padding, X read in place; the trajectories compared within ``trajectory_tolerance``."""

from __future__ import annotations

import numpy as np
import pytest
from trajectory import F64, STEPS, assert_same_trajectory

import reference
from reference.loss import mse_loss
from verification.train import ArgumentError, Trainer, initial_parameters, prepare_batch, stable_learning_rate, trajectory_tolerance
from verification.train.data import planted_teacher


def rows_in(batch) -> int:
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
    blocked = Trainer.from_data(teacher.X, teacher.y, dtype=F64, block_rows=4, layout=layout)
    assert blocked.batch.X.shape[1:] == ((2, 4) if layout == "features" else (4, 2)) and blocked.batch.blocked
    assert rows_in(blocked.batch) == 13
    run = blocked.run(w0, b0, STEPS, learning_rate=rate)
    ref = reference.train(teacher.X, teacher.y, steps=STEPS, learning_rate=rate, w0=w0, b0=b0)
    assert run.losses[0] == pytest.approx(float(mse_loss(w0, b0, teacher.X, teacher.y)), rel=(13 + 4) * np.finfo(F64).eps)
    parameter_tol, loss_tol = trajectory_tolerance(teacher.X, steps=STEPS, learning_rate=rate, w0=w0, b0=b0,
                                                   losses=np.append(run.losses, ref.losses), dtype=F64)
    assert_same_trajectory("blocked with rest rows", run, ref, parameter_tol, loss_tol)


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
        trainer = Trainer(prepare_batch(X, teacher.y, dtype=np.float32, layout=layout))
        assert trainer.batch.in_place is in_place and trainer.batch.features_first is (layout == "features"), name
        assert rows_in(trainer.batch) == 4000
        runs[name] = trainer.run(w0, b0, STEPS, learning_rate=rate)
    losses = np.concatenate([r.losses for r in runs.values()])
    parameter_tol, loss_tol = trajectory_tolerance(teacher.X, steps=STEPS, learning_rate=rate, w0=w0, b0=b0,
                                                   losses=losses, dtype=np.float32)
    for name in ("Fortran order", "float64", "feature-major"):
        assert_same_trajectory(name, runs[name], runs["C order"], parameter_tol, loss_tol)


@pytest.mark.parametrize(
    "options, argument",
    [(dict(block_rows=0), "block_rows"), (dict(block_rows=True), "block_rows"), (dict(layout="columns"), "layout"),
     (dict(devices=1, across_processes=True), "devices")],
    ids=["block_rows 0", "block_rows bool", "layout", "devices across processes"],
)
def test_bad_layout_options_are_named_before_any_work(options, argument):
    """Across processes too: the devices are refused before any collective (none is joined here)."""
    teacher = planted_teacher(8, 2)
    with pytest.raises(ArgumentError) as caught:
        prepare_batch(teacher.X, teacher.y, **options)
    assert caught.value.argument == argument and str(caught.value).startswith(f"{argument}: ")


def test_data_without_a_feature_is_named():
    """Blocks are sized by the bytes of a row, which X with no column does not have."""
    teacher = planted_teacher(8, 2)
    with pytest.raises(ArgumentError, match=r"^X: needs at least one feature \(column\), got shape \(8, 0\)$"):
        prepare_batch(teacher.X[:, :0], teacher.y)
