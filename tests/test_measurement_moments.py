"""Unit tests of dgpg_theory.measurement.moments on synthetic samples with known moments."""

import math

import numpy as np
import pytest

from dgpg_theory import statistics as st
from dgpg_theory.measurement import moments as ms
from dgpg_theory.measurement.phases import PHASES
from dgpg_theory.measurement.samples import CellSamples, ForkSamples, NestedSamples

N_ACTIONS_PROBS = np.array([0.5, 0.3, 0.2])
ACTION_SCORES = np.array([[1.0, 0.5], [-0.6, 1.2], [0.3, -1.5]])
ACTION_MEANS = np.array([2.0, -1.0, 0.5])  # E[R | a_i = a]
NOISE_STD = 1.5  # everyone else's contribution to R
BASELINE = 0.3


def _nested_draw(rng, outer=12, inner=4) -> CellSamples:
    actions = rng.choice(3, size=outer, p=N_ACTIONS_PROBS)
    returns = ACTION_MEANS[actions, None] + NOISE_STD * rng.normal(size=(outer, inner))
    shared = ACTION_MEANS[actions, None] + 0.5 * NOISE_STD * rng.normal(size=(outer, inner))  # less outside noise
    nested = NestedSamples(
        agent=0,
        actions=actions,
        score=ACTION_SCORES[actions],
        returns=returns,
        coefficient=returns.copy(),
        returns_shared_future=shared,
    )
    fork = ForkSamples(5, np.zeros((2, 1, 2)), np.zeros(2), np.zeros((2, 1)), np.zeros((2, 1), dtype=int))
    return CellSamples(fork, nested, 0, 0, "peak")


def _true_split() -> tuple[float, float]:
    norm2 = (ACTION_SCORES**2).sum(axis=1)
    cross = float((N_ACTIONS_PROBS * norm2).sum() * NOISE_STD**2)
    conditional = ACTION_SCORES * (ACTION_MEANS - BASELINE)[:, None]
    mean = (N_ACTIONS_PROBS[:, None] * conditional).sum(axis=0)
    own = float((N_ACTIONS_PROBS * (conditional**2).sum(axis=1)).sum() - (mean**2).sum())
    return own, cross


def _nested_estimates(correct_for_inner_noise: bool) -> np.ndarray:
    rng = np.random.default_rng(2024)
    rows = []
    for _ in range(600):
        split = ms._nested_split(_nested_draw(rng), factor=1.0, baseline=BASELINE)
        own = split["own_j"] if correct_for_inner_noise else split["own_j"] + split["cross_j"] / 4
        rows.append([own, split["cross_j"]])
    return np.array(rows)


def _max_standardized_error(estimates: np.ndarray) -> float:
    return st.max_standardized_deviation(estimates, np.array(_true_split()))


def test_nested_split_is_unbiased_for_own_and_cross_agent_parts():
    assert _max_standardized_error(_nested_estimates(True)) < st.z_for_false_alarm(1e-4, 2)


def test_negative_control_between_group_variance_alone_overstates_the_own_part():
    assert _max_standardized_error(_nested_estimates(False)) > st.z_for_false_alarm(1e-4, 2)


def _fork(rng, copies=64, agents=3, n_servers=10) -> ForkSamples:
    score = rng.normal(size=(copies, agents, 4))
    returns = -50 + 5 * rng.normal(size=copies) + score[:, 0, 0]
    coefficient = 0.1 * rng.normal(size=(copies, agents)) - 0.05 * score[..., 1]
    return ForkSamples(n_servers, score, returns, coefficient, np.zeros((copies, agents), dtype=int))


def test_cell_moments_are_per_agent_traces_under_each_reward_scaling():
    rng = np.random.default_rng(7)
    fork = _fork(rng)
    samples = CellSamples(fork, _nested_draw(rng).nested, 300, 0, "peak")
    cell = ms.cell_moments(samples, replicate=0, n_parameters=4)
    copies, agents, _ = fork.score.shape
    baselined = fork.returns - st.leave_one_out_mean(fork.returns)
    g_j = (fork.score * baselined[:, None, None]).reshape(copies, -1)
    g_g = (fork.score * fork.coefficient[..., None]).reshape(copies, -1)
    paper = cell.scales["paper"]
    assert paper.var_j == pytest.approx(st.trace_variance(g_j) / agents)
    assert paper.var_g == pytest.approx(st.trace_variance(g_g) / agents)
    assert paper.cov_jg == pytest.approx(st.trace_covariance(g_j, g_g) / agents)
    assert cell.scales["sum"].var_j == pytest.approx(fork.n_servers**2 * paper.var_j)  # ×N reward
    assert cell.scales["sum"].var_g == pytest.approx(paper.var_g)
    std = fork.returns.std(ddof=1)
    assert cell.scales["normalized"].var_j == pytest.approx(paper.var_j / std**2)
    assert len(paper.curve_predicted) == len(ms.ALPHA_GRID) == len(paper.curve_empirical)


def test_leave_one_out_mean_excludes_the_sample():
    values = np.array([1.0, 2.0, 6.0])
    np.testing.assert_allclose(st.leave_one_out_mean(values), [4.0, 3.5, 1.5])


def test_statistics_from_means_follow_eq_13():
    means = dict.fromkeys(ms.COLUMNS, 1.0)
    means.update(var_j=9.0, var_g=1.0, cov_jg=-0.6, signal_j=0.5, signal_g=0.25)
    stats = ms.statistics_from_means(np.array([means[c] for c in ms.COLUMNS]))
    assert stats["rho"] == pytest.approx(-0.2)
    mixing = st.optimal_mixing(9.0, 1.0, -0.2)
    assert stats["alpha_star"] == pytest.approx(mixing.alpha_star)
    assert stats["min_var_plugin"] == pytest.approx(mixing.min_variance)
    assert stats["rel_var_J"] == pytest.approx(18.0) and stats["rel_var_G"] == pytest.approx(4.0)


def _synthetic_cells(exponent_j: float, exponent_g: float, seed: int = 0, signal_j: float = 1.0) -> list:
    rng = np.random.default_rng(seed)
    cells = []
    for n in (5, 10, 20, 50, 100, 200):
        for r in range(6):
            noise = np.exp(0.2 * rng.normal(size=3))
            base = dict.fromkeys(f.name for f in ms.ScaleMoments.__dataclass_fields__.values())
            base.update(dict.fromkeys(base, 0.0))
            base.update(curve_predicted=[0.0], curve_empirical=[0.0])
            base.update(
                var_j=100 * n**exponent_j * noise[0],
                var_j_plain=1000 * n**exponent_j * noise[0],
                var_g=1e-3 * n**exponent_g * noise[1],
                cov_jg=0.0,
                signal_j=signal_j * noise[2],
                signal_j_plain=signal_j,
                signal_g=1e-4,
            )
            moments = ms.ScaleMoments(**base)
            phase = PHASES[r % len(PHASES)]
            scales = {s: moments for s in ms.REWARD_SCALES}
            cells.append(ms.CellMoments(n, r, 3, 9, 300, r, phase, 1.0, 0.0, math.nan, math.nan, scales))
    return cells


def test_slope_verdicts_recognize_theta_n_and_o1():
    cells = _synthetic_cells(exponent_j=1.0, exponent_g=0.0)
    theta = ms.slope_verdict("sigma2_J", cells, "paper")
    assert theta.holds and abs(theta.estimate - 1.0) < 0.2
    assert ms.slope_verdict("sigma2_G", cells, "paper").holds
    assert "consistent with Θ(N)" in theta.verdict
    falling = ms.slope_verdict("sigma2_G", _synthetic_cells(exponent_j=1.0, exponent_g=-0.7), "paper")
    assert falling.holds  # a falling variance is bounded: O(1)


def test_negative_control_slope_verdicts_reject_the_wrong_exponents():
    cells = _synthetic_cells(exponent_j=-0.5, exponent_g=0.6)
    assert not ms.slope_verdict("sigma2_J", cells, "paper").holds
    assert not ms.slope_verdict("sigma2_G", cells, "paper").holds


def test_relative_variance_without_detectable_signal_is_undetermined_and_open_ended():
    cells = _synthetic_cells(exponent_j=1.0, exponent_g=0.0, signal_j=-1.0)
    verdict = ms.slope_verdict("rel_var_J", cells, "paper")
    assert verdict.holds is None and verdict.n_dropped == len(cells)
    summary = ms.summarize_n([c for c in cells if c.n == 20], 20, "paper", seed=0)
    assert summary.intervals["rel_var_J"][1] == math.inf
    assert summary.values["rel_var_J"] == math.inf


def test_summarize_n_needs_two_replicates():
    with pytest.raises(ValueError, match="2 replicates"):
        ms.summarize_n(_synthetic_cells(1.0, 0.0)[:1], 5, "paper", seed=0)


def test_holding_future_arrivals_fixed_isolates_a_smaller_within_group_part():
    """The second nested batch (same fixed actions, shared futures) is split like the first. In the synthetic draw
    its outside noise has half the standard deviation, so its within-group part must be a quarter of the known
    cross-agent part (unbiased: mean over draws within z·SE at false alarm 1e-4)."""
    rng = np.random.default_rng(17)
    draws = np.array([ms._nested_split(_nested_draw(rng), 1.0, BASELINE)["cross_agents_j"] for _ in range(400)])
    _, cross_true = _true_split()
    tolerance = st.z_for_false_alarm(1e-4) * draws.std(ddof=1) / np.sqrt(len(draws))
    assert abs(draws.mean() - 0.25 * cross_true) <= tolerance
    assert abs(draws.mean() - cross_true) > tolerance, "negative control: the full cross-agent part is rejected"
