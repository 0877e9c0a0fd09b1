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
from dgpg_theory.findings.reasons import quote
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
    reason=quote(
        "Theorem 4.2 assumes ρ = Corr(ĝ_J, ĝ_G) ∈ (0, 1); on the simulator ρ cannot be told from 0: fixture ρ = "
        "{sim_fixture.rho.n5} (N=5), {sim_fixture.rho.n10} (10), {sim_fixture.rho.n20} (20), {sim_fixture.rho.n50} "
        "(50) (intervals at false alarm 1e-4)."
    ),
)
def test_theorem_42_hypothesis_rho_positive_at_every_n(scan, record):
    for row in scan["per_n"]:
        print(row["n"], row["rho"], row["rho_ci"])
        record(f"sim_fixture.rho.n{row['n']}", row["rho"], "+.3f", *row["rho_ci"])
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


def test_cross_agent_noise_dominates_the_variance_of_ghat_j(scan, record):
    own, cross = _own_and_cross(scan, "j", SCAN_N)
    print("own/cross per snapshot:", np.round(own / cross, 2))
    record("sim_fixture.cross_exceeds_own", int((cross > own).sum()), "d")
    assert _cross_dominates(own, cross)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "Eq 3's cross-agent term does not dominate here. With the same fixed actions and future arrivals held "
        "fixed, the other agents' actions change the return in {sim_fixture.others_change_return} of the "
        "fixture's {sim_fixture.snapshots} snapshots (binding), but their part exceeds the tested agent's "
        "own-action part in only {sim_fixture.others_exceed_own} (sign test p = {sim_fixture.others_sign_test_p}, "
        "not below 1e-4); the 'cross-agent' noise measured with independent futures exceeds the own part in "
        "{sim_fixture.cross_exceeds_own} (test_cross_agent_noise_dominates_the_variance_of_ghat_j), so most of it "
        "is future job arrivals, not other agents."
    ),
)
def test_other_agents_alone_dominate_the_variance_of_ghat_j(scan, record):
    """Eq 3's cross-agent term, isolated: the same fixed actions with the snapshot's own future arrivals in every
    copy, so the within-group spread comes from the other agents only (not from future job arrivals)."""
    cells = scan["cells"]
    own = np.array([c["scales"]["paper"]["own_j"] for c in cells])
    others = np.array([c["scales"]["paper"]["cross_agents_j"] for c in cells])
    print("own / others per snapshot:", np.round(own, 3), np.round(others, 3))
    wins = int((others > own).sum())
    record("sim_fixture.snapshots", own.size, "d")
    record("sim_fixture.others_exceed_own", wins, "d")
    record(
        "sim_fixture.others_sign_test_p",
        scipy.stats.binomtest(wins, own.size, 0.5, alternative="greater").pvalue,
        ".2f",
    )
    record("sim_fixture.others_change_return", _snapshots_where(scan, "others_action_fraction"), "d")
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
    reason=quote(
        "At cluster scales (N >= 50) Best-Fit inside the chosen cluster picks the landing server from a state that "
        "includes earlier agents' placements in the same step, so c depends on other agents: in the fixture "
        "{sim_fixture.c_cross.n50_nonzero} of {sim_fixture.c_cross.n50_snapshots} snapshots at N = 50 have a "
        "non-zero cross-agent part of Var(ĝ_G) (largest {sim_fixture.c_cross.n50_largest} vs own part "
        "{sim_fixture.c_cross.n50_own_at_largest})."
    ),
)
def test_guidance_coefficient_ignores_other_agents_at_cluster_scale(scan, record):
    own, cross = _own_and_cross(scan, "g", [50])
    largest = int(np.argmax(cross))
    record("sim_fixture.c_cross.n50_nonzero", int((cross != 0.0).sum()), "d")
    record("sim_fixture.c_cross.n50_snapshots", cross.size, "d")
    record("sim_fixture.c_cross.n50_largest", cross[largest], ".1e")
    record("sim_fixture.c_cross.n50_own_at_largest", own[largest], ".1e")
    assert np.all(cross == 0.0)


def _snapshots_where(scan: dict, fraction: str) -> int:
    """How many snapshots a per-N relevance fraction of the scan (measurement.scan.relevance_row) counts."""
    return sum(round(row[fraction] * row["relevance_snapshots"]) for row in scan["per_n"])


def _slope(scan: dict, quantity: str, scale: str) -> dict:
    return scan["by_reward_scale"][scale]["slopes"][quantity]


def _record_slope(record, key: str, slope: dict) -> None:
    record(key, slope["estimate"], ".2f", *slope["ci"])


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "With the paper's ÷N reward (H.3) the per-agent σ_J² falls with N: fixture b = {sim_fixture.sigma2_j.paper}: "
        "Θ(N) is rejected. Under the summed reward σ_J² = N²·(÷N value) and b = {sim_fixture.sigma2_j.sum} "
        "(test_sigma2_j_grows_with_n_under_the_summed_reward): the Θ(N) claim depends on the reward scaling."
    ),
)
def test_sigma2_j_is_theta_n_under_the_papers_reward(scan, record):
    print(_slope(scan, "sigma2_J", "paper"))
    _record_slope(record, "sim_fixture.sigma2_j.paper", _slope(scan, "sigma2_J", "paper"))
    assert _slope(scan, "sigma2_J", "paper")["holds"]


def test_sigma2_j_grows_with_n_under_the_summed_reward(scan, record):
    slope = _slope(scan, "sigma2_J", "sum")
    print(slope["verdict"])
    _record_slope(record, "sim_fixture.sigma2_j.sum", slope)
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
    reason=quote(
        "σ_G² = O(1) is not shown: fixture b = {sim_fixture.sigma2_g.paper} (one intercept per tidal phase). "
        "Per-snapshot σ_G² spreads over an order of magnitude (heavy-tailed job sizes enter c through z = w), so "
        "the slope interval is wide at this budget."
    ),
)
def test_sigma2_g_is_o1(scan, record):
    _record_slope(record, "sim_fixture.sigma2_g.paper", _slope(scan, "sigma2_G", "paper"))
    assert _slope(scan, "sigma2_G", "paper")["holds"]


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "The scale-free Θ(N) claim (tr Cov/‖E ĝ_J‖²) cannot be measured here: ‖E ĝ_J‖² per agent is not "
        "distinguishable from 0 in {sim_fixture.rel_var_j.undetectable} of the fixture's {sim_fixture.snapshots} "
        "snapshots, so only lower bounds on the relative variance exist (> {sim_fixture.rel_var_j.lower_n5}, "
        "> {sim_fixture.rel_var_j.lower_n10}, > {sim_fixture.rel_var_j.lower_n20}, > "
        "{sim_fixture.rel_var_j.lower_n50} at N = 5, 10, 20, 50)."
    ),
)
def test_relative_variance_of_ghat_j_is_theta_n(scan, record):
    record("sim_fixture.rel_var_j.undetectable", _slope(scan, "rel_var_J", "paper")["n_dropped"], "d")
    for row in scan["per_n"]:
        record(f"sim_fixture.rel_var_j.lower_n{row['n']}", row["rel_var_J_ci"][0], ".0f")
    assert _slope(scan, "rel_var_J", "paper")["holds"]


def test_some_action_matters_in_at_least_90_percent_of_snapshots(scan, record):
    """H.2 gives each job's agent the placement; under binding placements (the default queue model) some agent's
    action changes the return (measurement.relevance) in at least 90 % of the snapshots at every N."""
    fractions = [row["no_action_fraction"] for row in scan["per_n"]]
    print("no_action_fraction per N:", fractions)
    record("sim_fixture.no_action.largest_fraction", max(fractions), ".2f")
    record("sim_fixture.own_action.detected", _snapshots_where(scan, "own_action_fraction"), "d")
    record("sim_fixture.own_action.smallest_p", min(c["own_action_p_value"] for c in scan["cells"]), ".1g")
    assert max(fractions) <= 0.10


def test_negative_control_under_bounded_redispatch_no_action_matters_in_many_snapshots(record):
    """The same check under bounded-redispatch, where the cluster manager's re-dispatch decides once every local
    queue is full: at N = 50 no action matters in more than 10 % of the snapshots, so the check can fail."""
    bounded = run_scan(replace(SCAN_CONFIG, n=(50,), queue_model="bounded-redispatch"))
    fraction = bounded["per_n"][0]["no_action_fraction"]
    print("bounded-redispatch, N = 50: no_action_fraction", fraction)
    record("sim_fixture.no_action.bounded_redispatch_n50", fraction, ".2f")
    assert fraction > 0.10
