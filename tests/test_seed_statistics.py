"""rliable's aggregates over seeds: IQM, the stratified bootstrap, the probability of improvement."""

import numpy as np
import pytest
from scipy import stats

from dgpg_theory.seed_statistics import interquartile_mean, iqm_estimate, probability_of_improvement


def test_iqm_is_the_mean_of_the_middle_half_of_all_scores():
    scores = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 100.0], [6.0, 7.0]])  # 8 scores: drop 1, 2 and 7, 100
    assert interquartile_mean(scores) == pytest.approx(np.mean([3.0, 4.0, 5.0, 6.0]))
    assert interquartile_mean(scores.ravel()) == interquartile_mean(scores)


def test_the_bootstrap_is_stratified_by_task():
    """Runs are resampled within each task: a matrix whose columns are constant has a zero-width interval.
    Negative control: the same scores resampled as one pool (unstratified) give a wide one."""
    scores = np.tile(np.arange(10.0), (5, 1))  # 5 runs, 10 tasks, task t scores t in every run
    estimate = iqm_estimate(scores)
    assert estimate.low == estimate.high == estimate.value == pytest.approx(4.5)
    pooled = stats.bootstrap((scores.ravel(),), lambda x, axis: stats.trim_mean(x, 0.25, axis=axis),
                             rng=np.random.default_rng(0), method="percentile")  # fmt: skip
    assert pooled.confidence_interval.high - pooled.confidence_interval.low > 1.0


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
    assert probability_of_improvement(low, low).value == 0.5  # every pair of a run with itself is a tie
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
