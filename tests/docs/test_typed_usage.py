"""A user's typed file that uses the public API type-checks clean: the names ``reference`` and
``verification`` export are visible to mypy, with their signatures."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

USER_FILE = '''
import jax.numpy as jnp
import numpy as np

import reference
import verification
from verification import assert_derivative, check_derivative, strategies, verify_derivative
from verification.train import Session, train_sweep

jacobian: np.ndarray = reference.div_jacobian_x(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
softmax_jacobian: np.ndarray = reference.softmax_jacobian(np.zeros(3))
reference_run: reference.TrainResult = reference.train(np.ones((4, 2)), np.ones(4), steps=2, learning_rate=0.1,
                                                   w0=np.full(2, 0.1), b0=0.1)

check: verification.DerivativeCheck = check_derivative(lambda x: jnp.sum(x ** 2), lambda x: 2 * x, np.ones(2))
passed: bool = check.passed and assert_derivative(lambda x: jnp.sum(x ** 2), lambda x: 2 * x, np.ones(2)).passed
many: verification.VerifyResult = verify_derivative(lambda x: jnp.sum(jnp.sin(x)), np.cos, strategies.vectors(), examples=4)
rule: verification.Rule = verification.get_rule("ew_div_dx")
run = verification.train.train(np.ones((4, 2)), np.ones(4), steps=2, learning_rate=0.1)
session = Session(np.ones((4, 2)), np.ones(4), learning_rate=0.1)
sweep = train_sweep(np.ones((4, 2)), np.ones(4), steps=2, learning_rates=[0.1], seeds=[0])
'''


def test_a_users_typed_file_resolves_the_public_api(tmp_path):
    (tmp_path / "user.py").write_text(USER_FILE, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", str(tmp_path / "cache"),
                          "--python-executable", sys.executable, str(tmp_path / "user.py")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
