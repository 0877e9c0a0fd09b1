"""rliable's aggregates over seeds: IQM, the stratified bootstrap, the probability of improvement."""

import numpy as np
import pytest
from scipy import stats

from dgpg_theory.seed_statistics import interquartile_mean, iqm_estimate, probability_of_improvement


def test_iqm_is_the_mean_of_the_middle_half_of_all_scores():
    scores = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 100.0], [6.0, 7.0]])  # 8 scores: drop 1, 2 and 7, 100
    assert interquartile_mean(scores) == pytest.approx(np.mean([3.0, 4.0, 5.0, 6.0]))
    assert interquartile_mean(scores.ravel()) == interquartile_mean(scores)


def _hand_bootstrap_width(scores: np.ndarray, whole_runs: bool, seed: int = 0, resamples: int = 2000) -> float:
    """The 95 % percentile interval's width of the IQM, written out: runs drawn per task (stratified) or whole
    runs drawn together (every task keeps the same runs)."""
    rng = np.random.default_rng(seed)
    runs, tasks = scores.shape
    values = []
    for _ in range(resamples):
        if whole_runs:
            matrix = scores[rng.integers(0, runs, runs)]
        else:
            matrix = np.take_along_axis(scores, rng.integers(0, runs, (runs, tasks)), axis=0)
        values.append(stats.trim_mean(matrix.ravel(), 0.25))
    low, high = np.percentile(values, [2.5, 97.5])
    return high - low


def test_the_bootstrap_is_stratified_by_task():
    """Runs are resampled within each task, independently per task. Scores with a strong run effect shared by
    every task: resampling whole runs keeps it (wide interval), per-task resampling averages it over the 40
    tasks (narrow). Our interval's width matches the hand-written stratified one (within 15 %, Monte Carlo
    error of 2,000 resamples ≈ 3 %) and is far from the whole-run one (the negative control)."""
    rng = np.random.default_rng(7)
    scores = rng.normal(size=(5, 1)) + rng.normal(size=(1, 40)) * 3.0 + rng.normal(size=(5, 40)) * 0.1
    estimate = iqm_estimate(scores)
    ours, stratified = estimate.high - estimate.low, _hand_bootstrap_width(scores, whole_runs=False)
    assert abs(ours - stratified) < 0.15 * stratified
    assert _hand_bootstrap_width(scores, whole_runs=True) > 3.0 * ours
    constant_columns = np.tile(np.arange(10.0), (5, 1))  # every run scores the same on each task
    constant = iqm_estimate(constant_columns)
    assert constant.low == constant.high == constant.value == pytest.approx(4.5)


def test_the_interval_covers_at_its_nominal_rate():
    """For normal scores the IQM estimates the mean; 300 intervals of 95 % cover it in 285 ± 15 (binomial bounds
    at false alarm 1e-4: at least 270). Negative control: a 50 % interval covers far less often."""
    rng = np.random.default_rng(1)
    samples = [rng.normal(0.0, 1.0, size=(8, 20)) for _ in range(300)]
    covered = sum(
        e.low <= 0.0 <= e.high for e in (iqm_estimate(s, seed=i, resamples=500) for i, s in enumerate(samples))
    )
    bound = stats.binom.ppf(1e-4, 300, 0.95)
    assert covered >= bound
    narrow = sum(
        e.low <= 0.0 <= e.high
        for e in (iqm_estimate(s, seed=i, confidence=0.5, resamples=500) for i, s in enumerate(samples))
    )
    assert narrow < bound


def test_intervals_reproduce_from_their_seed():
    scores = np.random.default_rng(2).normal(size=(5, 40))
    assert iqm_estimate(scores, seed=3) == iqm_estimate(scores, seed=3)
    assert iqm_estimate(scores, seed=3) != iqm_estimate(scores, seed=4)


def test_probability_of_improvement():
    rng = np.random.default_rng(5)
    low, high = rng.normal(size=(5, 40)), rng.normal(size=(5, 40)) + 10.0
    certain = probability_of_improvement(high, low)
    assert (certain.value, certain.low, certain.high) == (1.0, 1.0, 1.0)
    assert probability_of_improvement(low, high).value == 0.0
    assert probability_of_improvement(low, low).value == 0.5  # a method against itself: by symmetry
    even = probability_of_improvement(rng.normal(size=(6, 40)), rng.normal(size=(6, 40)))
    assert even.low < 0.5 < even.high and abs(even.value - 0.5) < 0.1


def test_bad_scores_are_rejected():
    with pytest.raises(ValueError, match=r"scores has shape \(0,\)"):
        interquartile_mean([])
    with pytest.raises(ValueError, match="allowed the same tasks"):
        probability_of_improvement(np.zeros((3, 4)), np.zeros((3, 5)))
    with pytest.raises(ValueError, match="finite"):
        iqm_estimate([[1.0, np.nan]])
    assert np.isnan(iqm_estimate([[1.0, 2.0]]).low)  # one run: no interval
