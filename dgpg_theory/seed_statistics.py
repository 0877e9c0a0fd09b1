"""Statistics of training runs over seeds, with the definitions of rliable (Agarwal et al., "Deep Reinforcement
Learning at the Edge of the Statistical Precipice", NeurIPS 2021).

Scores form a matrix [runs, tasks]: one run per seed, one task per test scenario (a run's best checkpoint scored
on each of the 40 test scenarios, paired with Best-Fit on the same job trace), or a single task (a run's training
reward at one episode).

- Interquartile mean (IQM): the mean of the middle 50 % of all run × task scores (``scipy.stats.trim_mean``
  with 25 % cut from each end), rliable's aggregate: robust to an outlying run, less noisy than the median.
- Stratified bootstrap: resample the runs with replacement *within each task*, independently per task (the
  tasks are fixed, the seeds are the random part), and take the percentile interval of the statistic. Done by
  ``scipy.stats.bootstrap`` with one sample per task column, which resamples each sample on its own; its
  generator is seeded, so intervals reproduce (rliable itself draws from NumPy's global RNG).
- Probability of improvement P(X > Y): per task the Mann–Whitney probability that a run of X beats a run of Y
  (ties count one half), averaged over tasks; its interval resamples X's and Y's runs within each task.

rliable 1.2.0 does not import here (its dependency arch breaks on pandas 3), so this module uses scipy with the
same definitions rather than the library.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
RESAMPLES = 2000  # rliable's examples use 2,000 to 50,000; 2,000 puts the interval ends within ≈ 1 % of their width
TRIM = 0.25  # the IQM cuts a quarter from each end


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its stratified-bootstrap percentile interval (NaN ends: fewer than two runs)."""

    value: float
    low: float
    high: float

    def text(self, digits: int = 1) -> str:
        return f"{self.value:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"

    def to_dict(self) -> dict:
        return {"value": self.value, "low": self.low, "high": self.high}


def _score_matrix(scores, name: str) -> np.ndarray:
    matrix = np.asarray(scores, dtype=np.float64)
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if matrix.ndim != 2 or matrix.size == 0 or not np.all(np.isfinite(matrix)):
        raise ValueError(f"{name} has shape {np.shape(scores)}: allowed a finite [runs, tasks] matrix or [runs]")
    return matrix


def interquartile_mean(scores) -> float:
    """rliable's IQM of a [runs, tasks] matrix (or [runs]): the 25 %-trimmed mean of all its entries."""
    return float(stats.trim_mean(_score_matrix(scores, "scores").ravel(), TRIM))


def _iqm_of_columns(*columns: np.ndarray, axis: int = -1) -> np.ndarray:
    """The IQM of the matrix whose task columns are ``columns`` (each [..., runs]), vectorized over resamples."""
    stacked = np.concatenate([np.moveaxis(column, axis, -1) for column in columns], axis=-1)
    return stats.trim_mean(stacked, TRIM, axis=-1)


def iqm_estimate(scores, seed: int = 0, confidence: float = CONFIDENCE, resamples: int = RESAMPLES) -> Estimate:
    """The IQM with its stratified-bootstrap interval (runs resampled within each task)."""
    matrix = _score_matrix(scores, "scores")
    value = interquartile_mean(matrix)
    if matrix.shape[0] < 2:
        return Estimate(value, float("nan"), float("nan"))
    columns = tuple(matrix[:, task] for task in range(matrix.shape[1]))
    result = stats.bootstrap(
        columns, _iqm_of_columns, n_resamples=resamples, confidence_level=confidence, method="percentile",
        vectorized=True, rng=np.random.default_rng(seed),
    )  # fmt: skip
    return Estimate(value, float(result.confidence_interval.low), float(result.confidence_interval.high))


def _improvement_of_columns(*columns: np.ndarray, tasks: int, axis: int = -1) -> np.ndarray:
    """P(X > Y) from the task columns of X (the first ``tasks``) and of Y (the rest), vectorized."""
    total = 0.0
    for task in range(tasks):
        x = np.moveaxis(columns[task], axis, -1)[..., :, None]
        y = np.moveaxis(columns[tasks + task], axis, -1)[..., None, :]
        total = total + ((x > y) + 0.5 * (x == y)).mean(axis=(-2, -1))
    return total / tasks


def probability_of_improvement(
    first, second, seed: int = 0, confidence: float = CONFIDENCE, resamples: int = RESAMPLES
) -> Estimate:
    """rliable's P(first > second) over paired tasks ([runs_first, tasks] and [runs_second, tasks]), with its
    stratified-bootstrap interval."""
    x, y = _score_matrix(first, "first"), _score_matrix(second, "second")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"first has {x.shape[1]} tasks and second {y.shape[1]}: allowed the same tasks for both")
    tasks = x.shape[1]
    columns = tuple(x[:, task] for task in range(tasks)) + tuple(y[:, task] for task in range(tasks))
    value = float(_improvement_of_columns(*columns, tasks=tasks))
    if min(x.shape[0], y.shape[0]) < 2:
        return Estimate(value, float("nan"), float("nan"))

    def statistic(*resampled, axis=-1):
        return _improvement_of_columns(*resampled, tasks=tasks, axis=axis)

    result = stats.bootstrap(
        columns, statistic, n_resamples=resamples, confidence_level=confidence, method="percentile",
        vectorized=True, rng=np.random.default_rng(seed),
    )  # fmt: skip
    return Estimate(value, float(result.confidence_interval.low), float(result.confidence_interval.high))
