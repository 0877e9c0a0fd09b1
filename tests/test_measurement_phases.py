"""The snapshot rule of measurement.phases: balanced phases, inside one period, seeded, matching the tide."""

import math

import numpy as np
import pytest

from dgpg_theory.measurement import phases
from sim.workload import TIDE_PERIOD


@pytest.mark.parametrize("warmup", [0, 40, 900])
def test_replicates_cycle_through_the_phases_inside_one_period(warmup):
    times = [phases.snapshot_time(r, warmup, seed=3) for r in range(40)]
    assert [t.phase for t in times] == [phases.PHASES[r % 4] for r in range(40)]
    assert all(warmup <= t.step < warmup + TIDE_PERIOD for t in times)
    assert all(phases.phase_of(t.step) == t.phase for t in times)


def test_the_rule_is_seeded_and_depends_only_on_seed_and_replicate():
    assert phases.snapshot_time(5, 900, seed=0) == phases.snapshot_time(5, 900, seed=0)
    steps = {phases.snapshot_time(5, 900, seed=s).step for s in range(20)}
    assert len(steps) > 10  # the seed moves the step within the phase


def test_phase_windows_are_quarter_periods_of_the_arrival_rate():
    tide = {p: [] for p in phases.PHASES}
    for step in range(int(TIDE_PERIOD)):
        tide[phases.phase_of(step)].append(math.sin(2 * math.pi * step / TIDE_PERIOD))
    assert all(len(values) == TIDE_PERIOD // 4 for values in tide.values())
    assert np.mean(tide["peak"]) > 0.85 and np.mean(tide["trough"]) < -0.85
    slope = {p: np.mean([math.cos(2 * math.pi * s / TIDE_PERIOD) for s in range(1000) if phases.phase_of(s) == p])
             for p in phases.PHASES}  # fmt: skip
    assert slope["rising"] > 0.85 and slope["falling"] < -0.85


def test_steps_cover_each_phase_window_uniformly():
    steps = np.array([phases.snapshot_time(4 * k + 1, 900, seed=k).step for k in range(4000)])  # peak replicates
    first = 900 + (phases.PHASE_STARTS["peak"] - 900) % 1000
    counts = np.bincount(steps - first, minlength=phases.PHASE_STEPS)
    assert counts.size == phases.PHASE_STEPS
    expected = len(steps) / phases.PHASE_STEPS
    chi2 = ((counts - expected) ** 2 / expected).sum()
    from scipy.stats import chi2 as chi2_distribution

    assert chi2 < chi2_distribution.ppf(1 - 1e-4, phases.PHASE_STEPS - 1)
