"""The paired 10 %-band test used by the convergence paper check."""

import numpy as np
import pytest

from dgpg_theory.ppo.evaluation import shortfall_test


def test_shortfall_test_flags_a_policy_below_the_band_and_accepts_one_inside():
    rng = np.random.default_rng(0)
    reference = -rng.uniform(30, 90, 40)
    inside = reference + rng.normal(0, 1, 40)  # about equal to the reference: inside the 10 % band
    below = reference * 1.3 + rng.normal(0, 1, 40)  # 30 % worse
    assert shortfall_test(inside, reference).within and not shortfall_test(inside, reference).below
    assert shortfall_test(below, reference).below


def test_shortfall_test_bounds_match_a_t_interval():
    margin = np.array([1.0, 2.0, 3.0, 4.0])
    verdict = shortfall_test(margin, np.zeros(4), tolerance=0.1, false_alarm=0.05)
    half = 2.353363435 * margin.std(ddof=1) / 2  # t_{0.95, 3}
    assert (
        verdict.mean == 2.5
        and verdict.lower == pytest.approx(2.5 - half)
        and verdict.upper == pytest.approx(2.5 + half)
    )


def test_shortfall_test_rejects_unpaired_input():
    with pytest.raises(ValueError, match="allowed"):
        shortfall_test(np.zeros(3), np.zeros(4))
