"""Theorem 4.2 on the simulator: the signatures that hold are asserted, the ones that do not are strict xfails
whose reasons quote the numbers measured by this module's fixtures (fixed seeds; run with ``-s`` to print them).

Fixture: N ∈ {5, 10, 20, 50}, 6 snapshots per N (stratified over the tidal cycle, measurement.phases),
S = 96 forked copies, H = 150 steps, the per-server scoring policy, the default (binding) queue model, the
paper's ÷N reward unless stated (dgpg_theory.measurement.samples / moments for the method).
"""

from dataclasses import replace

import numpy as np
import pytest
import scipy.stats

from dgpg_theory import statistics as st
from dgpg_theory.measurement.policies import make_policy
from dgpg_theory.measurement.samples import SamplingConfig, sample_cell
from dgpg_theory.measurement.scan import ScanConfig, run_scan
from sim.scales import resolve_scale

SEED = 20261124
SCAN_N = [5, 10, 20, 50]
SCAN_CONFIG = ScanConfig(
    n=tuple(SCAN_N), samples=96, replicates=6, seed=SEED, horizon=150, warmup_steps=300, nested_outer=8, nested_inner=4
)
ALPHAS = np.linspace(0.0, 1.0, 11)


@pytest.fixture(scope="module")
def scan() -> dict:
    return run_scan(SCAN_CONFIG)


@pytest.fixture(scope="module")
def raw_cell() -> tuple[np.ndarray, np.ndarray]:
    """ĝ_J (baselined, ÷N reward) and ĝ_G of one N = 20 snapshot with S = 400 copies, stacked over agents."""
    scale = resolve_scale(20)
    config = SamplingConfig(copies=400, horizon=100, warmup_steps=300, nested_outer=2, nested_inner=2)
    samples = sample_cell(make_policy("scoring", scale, SEED), scale, 0, config, np.random.SeedSequence(SEED))
    fork = samples.fork
    copies = fork.score.shape[0]
    baselined = fork.returns - st.leave_one_out_mean(fork.returns)
    g_j = (fork.score * baselined[:, None, None]).reshape(copies, -1)
    g_g = (fork.score * fork.coefficient[..., None]).reshape(copies, -1)
    return g_j, g_g


def _closed_form_gap(g_j: np.ndarray, g_g: np.ndarray, mis_scale: float = 1.0) -> float:
    """Largest standardized gap over α between Eq 13's quadratic with moments of half A and the variance of half
    B's mixed samples. ĝ_G is first rescaled by κ = σ_J/σ_G of half A: the quadratic is the same identity for any
    scaling of ĝ_G, and in raw units (σ_G/σ_J ≈ 1e-4) the α grid would only probe the (1 − α)²σ_J² term."""
    half = g_j.shape[0] // 2
    kappa = np.sqrt(st.trace_variance(g_j[:half]) / st.trace_variance(g_g[:half]))
    a_j, a_g, b_j, b_g = g_j[:half], kappa * g_g[:half], g_j[half:], mis_scale * kappa * g_g[half:]

    def closed_form(x_j, x_g):
        rho = st.trace_correlation(x_j, x_g)
        return st.dg_variance_closed_form(ALPHAS, st.trace_variance(x_j), st.trace_variance(x_g), rho)

    a = st.bootstrap_statistics([a_j, a_g], closed_form, seed=11, n_resamples=300)
    b = st.bootstrap_statistics([b_j, b_g], lambda x, y: st.dg_variance_empirical(x, y, ALPHAS), 12, n_resamples=300)
    gaps = [
        abs(x.estimate - y.estimate) / np.hypot(x.standard_error, y.standard_error) for x, y in zip(a, b, strict=True)
    ]
    print("closed form (A):", np.round([x.estimate for x in a], 1))
    print("empirical   (B):", np.round([y.estimate for y in b], 1))
    return max(gaps)


def test_closed_form_variance_matches_an_independent_half_over_alpha(raw_cell):
    assert _closed_form_gap(*raw_cell) < st.z_for_false_alarm(1e-4, len(ALPHAS))


def test_negative_control_a_mis_scaled_guidance_estimator_is_detected(raw_cell):
    assert _closed_form_gap(*raw_cell, mis_scale=1.5) > st.z_for_false_alarm(1e-4, len(ALPHAS))


def test_rho_is_far_from_one_ghat_j_carries_noise_absent_from_ghat_g(raw_cell):
    g_j, g_g = raw_cell
    interval = st.correlation_ci(g_j, g_g, seed=13)
    print(interval)
    assert interval.ci_high < 0.5


def test_negative_control_rho_of_a_near_copy_of_ghat_j_is_not_far_from_one(raw_cell):
    g_j, g_g = raw_cell
    kappa = np.sqrt(st.trace_variance(g_j) / st.trace_variance(g_g))
    assert not st.correlation_ci(g_j, g_j + 0.3 * kappa * g_g, seed=13).ci_high < 0.5


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="Theorem 4.2 assumes ρ = Corr(ĝ_J, ĝ_G) ∈ (0, 1); on the simulator ρ cannot be told from 0: fixture "
    "ρ = +0.019 [−0.041, 0.079] (N=5), −0.008 [−0.062, 0.046] (10), −0.014 [−0.063, 0.036] (20), +0.003 "
    "[−0.010, 0.017] (50): every interval contains 0 (intervals at false alarm 1e-4).",
)
def test_theorem_42_hypothesis_rho_positive_at_every_n(scan):
    for row in scan["per_n"]:
        print(row["n"], row["rho"], row["rho_ci"])
    assert all(row["rho_ci"][0] > 0 for row in scan["per_n"])


def _own_and_cross(scan: dict, which: str, n_values) -> tuple[np.ndarray, np.ndarray]:
    cells = [c for c in scan["cells"] if c["n"] in n_values]
    own = np.array([c["scales"]["paper"][f"own_{which}"] for c in cells])
    cross = np.array([c["scales"]["paper"][f"cross_{which}"] for c in cells])
    return own, cross


def _cross_dominates(own: np.ndarray, cross: np.ndarray) -> bool:
    """Sign test over snapshots: cross-agent part > own-action part in more snapshots than chance allows."""
    wins = int((cross > own).sum())
    return scipy.stats.binomtest(wins, own.size, 0.5, alternative="greater").pvalue < 1e-4


def test_cross_agent_noise_dominates_the_variance_of_ghat_j(scan):
    own, cross = _own_and_cross(scan, "j", SCAN_N)
    print("own/cross per snapshot:", np.round(own / cross, 2))
    assert _cross_dominates(own, cross)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="Eq 3's cross-agent term does not dominate here. With the same fixed actions and future arrivals held "
    "fixed, the other agents' actions change the return in all 24 of the fixture's snapshots (binding), but their "
    "part exceeds the tested agent's own-action part in only 14 of 24 (sign test p = 0.27 ≥ 1e-4); the "
    "'cross-agent' noise measured with independent futures exceeds the own part in 24 of 24, so most of it is "
    "future job arrivals, not other agents.",
)
def test_other_agents_alone_dominate_the_variance_of_ghat_j(scan):
    """Eq 3's cross-agent term, isolated: the same fixed actions with the snapshot's own future arrivals in every
    copy, so the within-group spread comes from the other agents only (not from future job arrivals)."""
    cells = scan["cells"]
    own = np.array([c["scales"]["paper"]["own_j"] for c in cells])
    others = np.array([c["scales"]["paper"]["cross_agents_j"] for c in cells])
    print("own / others per snapshot:", np.round(own, 3), np.round(others, 3))
    assert _cross_dominates(own, others)


def test_negative_control_the_guidance_estimator_has_no_dominant_cross_agent_noise(scan):
    own, cross = _own_and_cross(scan, "g", [5, 10, 20])
    assert not _cross_dominates(own, cross)


def test_guidance_coefficient_ignores_other_agents_when_the_action_is_a_server(scan):
    """Sec 3.2: c depends on observed and agent-local quantities only. With K = N (N <= 20) the landing server
    is the action, so holding the agent's action fixed leaves c exactly constant: zero cross-agent part."""
    own, cross = _own_and_cross(scan, "g", [5, 10, 20])
    assert np.all(cross == 0.0) and np.all(own > 0)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="At cluster scales (N >= 50) Best-Fit inside the chosen cluster picks the landing server from a state "
    "that includes earlier agents' placements in the same step, so c depends on other agents: in the fixture 5 of "
    "6 snapshots at N = 50 have a non-zero cross-agent part of Var(ĝ_G) (largest 8.8e-6 vs own part 2.0e-4, and "
    "6.6e-6 vs 2.1e-5).",
)
def test_guidance_coefficient_ignores_other_agents_at_cluster_scale(scan):
    _, cross = _own_and_cross(scan, "g", [50])
    assert np.all(cross == 0.0)


def _slope(scan: dict, quantity: str, scale: str) -> dict:
    return scan["by_reward_scale"][scale]["slopes"][quantity]


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="With the paper's ÷N reward (H.3) the per-agent σ_J² falls with N: fixture b = −0.84 [−1.59, −0.09]: "
    "Θ(N) is rejected. Under the summed reward σ_J² = N²·(÷N value) and b = 1.16 [0.41, 1.91] (fixture): the "
    "Θ(N) claim depends on the reward scaling.",
)
def test_sigma2_j_is_theta_n_under_the_papers_reward(scan):
    print(_slope(scan, "sigma2_J", "paper"))
    assert _slope(scan, "sigma2_J", "paper")["holds"]


def test_sigma2_j_grows_with_n_under_the_summed_reward(scan):
    slope = _slope(scan, "sigma2_J", "sum")
    print(slope["verdict"])
    assert slope["ci"][0] > 0


def test_negative_control_reversed_n_labels_show_no_growth(scan):
    cells = scan["cells"]
    mirror = dict(zip(SCAN_N, reversed(SCAN_N), strict=True))
    values = [c["scales"]["sum"]["var_j"] for c in cells]
    fit = st.fit_log_log_slope([mirror[c["n"]] for c in cells], values)
    assert not fit.ci_low > 0


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="σ_G² = O(1) is not shown: fixture b = 0.93 [−0.50, 2.35] (one intercept per tidal phase). Per-snapshot "
    "σ_G² spreads over an order of magnitude (heavy-tailed job sizes enter c through z = w), so the slope "
    "interval is wide at this budget.",
)
def test_sigma2_g_is_o1(scan):
    assert _slope(scan, "sigma2_G", "paper")["holds"]


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="The scale-free Θ(N) claim (tr Cov/‖E ĝ_J‖²) cannot be measured here: ‖E ĝ_J‖² per agent is not "
    "distinguishable from 0 in 12 of the fixture's 24 snapshots, so only lower bounds on the relative variance "
    "exist (> 29, > 79, > 38, > 775 at N = 5, 10, 20, 50).",
)
def test_relative_variance_of_ghat_j_is_theta_n(scan):
    assert _slope(scan, "rel_var_J", "paper")["holds"]


def test_some_action_matters_in_at_least_90_percent_of_snapshots(scan):
    """H.2 gives each job's agent the placement; under binding placements (the default queue model) some agent's
    action changes the return (measurement.relevance) in at least 90 % of the snapshots at every N."""
    fractions = [row["no_action_fraction"] for row in scan["per_n"]]
    print("no_action_fraction per N:", fractions)
    assert max(fractions) <= 0.10


def test_negative_control_under_bounded_redispatch_no_action_matters_in_many_snapshots():
    """The same check under bounded-redispatch, where the cluster manager's re-dispatch decides once every local
    queue is full: at N = 50 no action matters in more than 10 % of the snapshots, so the check can fail."""
    bounded = run_scan(replace(SCAN_CONFIG, n=(50,), queue_model="bounded-redispatch"))
    fraction = bounded["per_n"][0]["no_action_fraction"]
    print("bounded-redispatch, N = 50: no_action_fraction", fraction)
    assert fraction > 0.10
