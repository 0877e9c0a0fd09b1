"""Workload statistics against the specification of Appendix H.1. Each check has a tolerance from a confidence
interval with false alarm 1e-4 and a negative control (the same check on a deliberately wrong sample fails)."""

import dataclasses

import numpy as np
import pytest
from scipy import stats
from sim_helpers import Z_TWO_SIDED

from sim import workload
from sim.scenario import load_scenarios, make_scenario
from sim.workload import CPU_INTENSIVE, MEMORY_INTENSIVE, sample_jobs_continuous

SAMPLES = 400_000


@pytest.fixture(scope="module")
def jobs():
    return sample_jobs_continuous(np.random.default_rng(123), SAMPLES)


def share_within_ci(is_cpu: np.ndarray, share: float) -> bool:
    p_hat = is_cpu.mean()
    return abs(p_hat - share) <= Z_TWO_SIDED * np.sqrt(share * (1 - share) / len(is_cpu))


def test_mixture_share(jobs):
    assert share_within_ci(jobs["cpu_intensive"], CPU_INTENSIVE.share)
    assert not share_within_ci(jobs["cpu_intensive"], 0.59), "negative control: a 59% share must be rejected"


def censored_pareto_index(x: np.ndarray, x_m: float, cap: float) -> tuple[float, float]:
    """Hill/maximum-likelihood tail index with threshold x_m and right-censoring at the clip ``cap``:
    log(X/x_m) is exponential with rate α, censored at log(cap/x_m). Returns (α̂, standard error)."""
    log_excess = np.log(np.minimum(x, cap) / x_m)
    uncensored = int((x < cap).sum())
    alpha_hat = uncensored / log_excess.sum()
    return alpha_hat, alpha_hat / np.sqrt(uncensored)


@pytest.mark.parametrize("job_class", [CPU_INTENSIVE, MEMORY_INTENSIVE], ids=["cpu", "memory"])
def test_pareto_tail_index(jobs, job_class):
    rows = jobs["cpu_intensive"] == (job_class is CPU_INTENSIVE)
    alpha_hat, se = censored_pareto_index(jobs["cores"][rows], job_class.pareto_xm, job_class.cpu_clip[1])
    assert abs(alpha_hat - job_class.pareto_alpha) <= Z_TWO_SIDED * se
    # Negative control: the same estimator on a tail of index α + 0.1 is told apart.
    wrong = dataclasses.replace(job_class, pareto_alpha=job_class.pareto_alpha + 0.1)
    u = np.random.default_rng(9).random(rows.sum())
    other = np.minimum(wrong.pareto_xm * (1 - u) ** (-1 / wrong.pareto_alpha), wrong.cpu_clip[1])
    alpha_other, se_other = censored_pareto_index(other, job_class.pareto_xm, job_class.cpu_clip[1])
    assert abs(alpha_other - job_class.pareto_alpha) > Z_TWO_SIDED * se_other


def median_ci_contains(sample: np.ndarray, value: float) -> bool:
    """Distribution-free CI for the median from binomial order statistics, false alarm 1e-4."""
    ordered = np.sort(sample)
    n = len(ordered)
    low = int(stats.binom.ppf(0.5e-4, n, 0.5))
    high = int(stats.binom.isf(0.5e-4, n, 0.5))
    return ordered[low] <= value <= ordered[min(high, n - 1)]


def test_memory_per_core_ratio_and_clips(jobs):
    for job_class, rows in ((CPU_INTENSIVE, jobs["cpu_intensive"]), (MEMORY_INTENSIVE, ~jobs["cpu_intensive"])):
        cores, memory = jobs["cores"][rows], jobs["memory_gb"][rows]
        assert cores.min() >= job_class.cpu_clip[0] and cores.max() <= job_class.cpu_clip[1]
        assert memory.min() >= job_class.mem_clip[0] and memory.max() <= job_class.mem_clip[1]
        inside = (memory > job_class.mem_clip[0]) & (memory < job_class.mem_clip[1])
        ratio = memory[inside] / cores[inside]
        assert ratio.min() >= job_class.mem_per_core[0] - 1e-12 and ratio.max() <= job_class.mem_per_core[1] + 1e-12


def test_duration_median(jobs):
    assert median_ci_contains(jobs["duration"], np.exp(workload.DURATION_MU))
    assert not median_ci_contains(jobs["duration"], np.exp(3.02)), "negative control: e^3.02 must be rejected"
    assert jobs["duration"].min() >= 5 and jobs["duration"].max() <= 150


def log_duration_sd_within_ci(duration: np.ndarray, sigma: float) -> bool:
    """σ of log-duration on the unclipped middle: log d is normal with σ = 0.5 between the clips 5 and 150, so its
    interquartile range is 2·0.6745·σ (both quartiles lie inside the clips). CI from the asymptotic variance of
    the sample quartiles of a normal, Bonferroni-free (one statistic)."""
    q25, q75 = np.quantile(np.log(duration), [0.25, 0.75])
    estimate = (q75 - q25) / (2 * stats.norm.ppf(0.75))
    density = stats.norm.pdf(stats.norm.ppf(0.75))
    se_iqr = np.sqrt(2 * 0.25 * 0.75 / density**2 - 2 * 0.25 * 0.25 / density**2) / np.sqrt(len(duration))
    se = sigma * se_iqr / (2 * stats.norm.ppf(0.75))
    return abs(estimate - sigma) <= Z_TWO_SIDED * se


def test_duration_spread(jobs):
    assert log_duration_sd_within_ci(jobs["duration"], workload.DURATION_SIGMA)
    assert not log_duration_sd_within_ci(jobs["duration"], 0.51), "negative control: σ = 0.51 must be rejected"


def expected_arrivals(mean_rate: float) -> tuple[float, float]:
    """E and Var of the number of arrivals in one episode: Σ_t over the arrival window of a Poisson count whose
    rate λ(t) = λ̄·max(0.1, 1 + 0.3 sin(2πt/1000) + ε_t) is itself random (ε_t ~ N(0, 0.1))."""
    t = np.arange(workload.ARRIVAL_STEPS)
    m = 1 + workload.TIDE_AMPLITUDE * np.sin(2 * np.pi * t / workload.TIDE_PERIOD)
    s, floor = workload.TIDE_NOISE_STD, workload.TIDE_FLOOR
    # E[max(a, m + sZ)] and E[max(a, m + sZ)^2] in closed form for a normal variable.
    z = (floor - m) / s
    below = stats.norm.cdf(z)
    first = floor * below + m * (1 - below) + s * stats.norm.pdf(z)
    second = floor**2 * below + (m**2 + s**2) * (1 - below) + (m + floor) * s * stats.norm.pdf(z)
    mean = mean_rate * first
    return float(mean.sum()), float((mean + mean_rate**2 * (second - first**2)).sum())


def episode_arrivals(mean_rate: float, seed: int) -> int:
    rng = np.random.default_rng(seed)
    return sum(len(workload.sample_arrivals(rng, t, mean_rate).cpu) for t in range(workload.ARRIVAL_STEPS))


def test_arrival_counts_match_the_integrated_rate():
    scenario = make_scenario("standard", "test", 0)
    counts = np.array([episode_arrivals(scenario.arrival_rate, seed) for seed in range(12)])
    mean, variance = expected_arrivals(scenario.arrival_rate)
    tolerance = Z_TWO_SIDED * np.sqrt(variance / len(counts))
    assert abs(counts.mean() - mean) <= tolerance
    wrong_mean, _ = expected_arrivals(scenario.arrival_rate * 1.03)
    assert abs(counts.mean() - wrong_mean) > tolerance, "negative control: a 3% higher rate must be rejected"
    assert episode_arrivals(scenario.arrival_rate, 0) == counts[0]  # and nothing arrives after t = 2000


def tide_ratio(mean_rate: float, seeds: range) -> tuple[float, float]:
    """Arrivals in the tidal peak window t ∈ [200, 300) over those in the trough [700, 800), pooled over seeds,
    with the delta-method standard error of the ratio of two Poisson totals."""
    peak = trough = 0
    for seed in seeds:
        rng = np.random.default_rng(seed)
        counts = [len(workload.sample_arrivals(rng, t, mean_rate).cpu) for t in range(800)]
        peak += sum(counts[200:300])
        trough += sum(counts[700:800])
    ratio = peak / trough
    return ratio, ratio * np.sqrt(1 / peak + 1 / trough)


def test_arrivals_follow_the_tide():
    """λ(t) ∝ 1 + 0.3 sin(2πt/1000): the window means of sin are ±0.97·0.3, so peak/trough = 1.29/0.71."""
    t = np.arange(800)
    shape = 1 + workload.TIDE_AMPLITUDE * np.sin(2 * np.pi * t / workload.TIDE_PERIOD)
    expected = shape[200:300].sum() / shape[700:800].sum()
    ratio, se = tide_ratio(make_scenario("standard", "test", 0).arrival_rate, range(6))
    assert abs(ratio - expected) <= Z_TWO_SIDED * se
    assert abs(ratio - 1.0) > Z_TWO_SIDED * se, "negative control: a flat rate (ratio 1) must be rejected"


def served_utilization(scenarios) -> np.ndarray:
    """Per scenario, the work (demand × service steps) brought by the episode's arrivals, on the bottleneck
    resource, as a fraction of capacity × the 2000-step arrival window: the queueing ρ, under Best-Fit
    placement (service times depend on where a job runs). Every job completes within the episode."""
    from sim.env import BatchedEnv

    env = BatchedEnv(scenarios)
    env.reset()
    busy = np.zeros((len(scenarios), 2))
    while True:
        result = env.step_heuristic("best-fit")
        busy += env.state.used.sum(axis=1)
        if result.done:
            break
    assert (env.state.completed == env.state.arrived).all()
    return (busy / (workload.ARRIVAL_STEPS * env.state.capacity.sum(axis=1))).max(axis=1)


def mean_in_band(values: np.ndarray, band: tuple[float, float]) -> bool:
    half_width = stats.t.isf(0.5e-4, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return band[0] <= values.mean() - half_width and values.mean() + half_width <= band[1]


@pytest.fixture(scope="module")
def compact_train_utilization():
    scenarios = load_scenarios("compact", "train")  # 200 scenarios: a CI narrow enough to decide
    return scenarios, served_utilization(scenarios)


def test_best_fit_utilization_lands_in_the_target_band(compact_train_utilization):
    scenarios, utilization = compact_train_utilization
    assert mean_in_band(utilization, (0.80, 0.85))
    # Negative control: arrivals 6% heavier than calibrated must leave the band.
    heavier = [dataclasses.replace(s, arrival_rate=1.06 * s.arrival_rate) for s in scenarios[:60]]
    assert not mean_in_band(served_utilization(heavier), (0.80, 0.85))


@pytest.mark.xfail(
    strict=True,
    reason="Per scenario, Best-Fit serves ≈ 1 percentage point less than the calibrated target ρ "
    "(compact, 200 train scenarios: mean served − target ≈ −0.010, CI at 1e-4 excludes 0; the reviewer measured "
    "−0.0098 ± 0.0053 and, at medium, −0.0115 ± 0.0036): the calibration assumes utilization balanced across "
    "servers (the Eq 16 state), which Best-Fit does not produce.",
)
def test_best_fit_serves_exactly_the_target_utilization(compact_train_utilization):
    scenarios, utilization = compact_train_utilization
    gap = utilization - np.array([s.target_utilization for s in scenarios])
    half_width = stats.t.isf(0.5e-4, len(gap) - 1) * gap.std(ddof=1) / np.sqrt(len(gap))
    print(f"served − target: {gap.mean():+.4f} ± {half_width:.4f} (CI at 1e-4)")
    assert abs(gap.mean()) <= half_width
