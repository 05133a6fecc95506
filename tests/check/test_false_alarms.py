"""The false-alarm corpus in CI: a few draws of every case, in both lanes.  Each correct
hand-written derivative (NumPy, from the math) passes, and each planted mistake (×1.001, a
flipped sign, one entry off by the promised resolution, a dropped term, a window offset by one,
a time step dropped) fails.  The full benchmark (100 draws per case and lane) is
``verification.corpus.run_corpus``."""

import pytest

from verification.corpus import CASES, LANES, run_case

DRAWS = 2


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("lane", LANES)
def test_correct_derivatives_pass_and_planted_mistakes_fail(case, lane):
    result = run_case(case, lane, DRAWS)
    assert result.false_alarms == 0, result.first_false_alarm
    missed = {name: n for name, n in result.misses.items() if n}
    assert not missed, "\n\n".join(result.first_miss[name] for name in missed)
