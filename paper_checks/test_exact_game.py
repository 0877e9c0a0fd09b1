"""The exact game as a testbed: closed forms, unbiasedness (Eq 2, Eq 9), and the scaling in N of the
estimators' variances (Section 2.2, Theorem 4.2), each with the verdict the theory predicts for it."""

import itertools

import numpy as np
import pytest

from dgpg_theory import exact_game
from dgpg_theory import statistics as st
from dgpg_theory.findings.reasons import quote

from .conftest import SEED, flat, per_n_means, record_slope

# ----------------------------------------------------------------------------------------------------------
# Closed forms and unbiasedness
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reward_scaling", ["sum", "per_agent"])
def test_closed_forms_match_exhaustive_enumeration(reward_scaling):
    game = exact_game.make_game(5, seed=2, reward_scaling=reward_scaling)  # 3 servers, 243 joint actions
    exact = exact_game.enumerate_game(game, exact_game.DEFAULT_THETA)
    grad_j, grad_g = exact_game.exact_gradients(game, exact_game.DEFAULT_THETA)
    assert exact_game.expected_reward(game, exact_game.DEFAULT_THETA) == pytest.approx(exact.expected_reward, rel=1e-12)
    assert exact_game.expected_guidance(game, exact_game.DEFAULT_THETA) == pytest.approx(
        exact.expected_guidance, rel=1e-12
    )
    np.testing.assert_allclose(exact.mean_g_j, grad_j, rtol=1e-9, atol=1e-14)
    # The linearized coefficient c_i = ⟨x − x̃, z_i⟩ of Eq 9 is exactly unbiased for ∇_{θ^i} G here, because
    # ½‖x − x̃‖² − c_i = ½‖x_{−i} − x̃‖² − ½‖w_i‖² does not depend on a_i (x is linear in a one-hot action).
    np.testing.assert_allclose(exact.mean_g_g, grad_g, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(exact.mean_g_g_exact_distance, grad_g, rtol=1e-9, atol=1e-14)


def test_linearization_is_biased_for_a_capacity_weighted_distance():
    # Control for the check above: with d_μ = ½ Σ (x − x̃)²/μ, the same linearization c_i^μ = Σ_k w_ik
    # (x − x̃)_{a_i,k}/μ_{a_i,k} leaves a term ½ Σ_k w_ik²/μ_{a_i,k} that depends on a_i: a bias, exactly.
    game = exact_game.make_game(4, seed=3)
    actions = np.array(list(itertools.product(range(game.n_servers), repeat=game.n_agents)))
    probs = exact_game.policy_probabilities(game, exact_game.DEFAULT_THETA)
    joint = np.prod(probs[np.arange(game.n_agents)[None], actions], axis=1)
    loads = exact_game.server_loads(game, actions)
    weighted_distance = 0.5 * ((loads - game.reference_state()) ** 2 / game.capacities).sum(axis=(1, 2))
    coefficient = exact_game.guidance_coefficients(game, actions, loads, capacity_weighted=True)
    score = exact_game.score_functions(game, exact_game.DEFAULT_THETA, actions)
    exact = np.tensordot(joint, score * weighted_distance[:, None, None], axes=1)
    linearized = np.tensordot(joint, score * coefficient[:, :, None], axes=1)
    print("max |bias| / max |exact| =", np.abs(linearized - exact).max() / np.abs(exact).max())
    assert np.abs(linearized - exact).max() > 0.1 * np.abs(exact).max()


@pytest.fixture(scope="module")
def unbiasedness_samples():
    game = exact_game.make_game(6, SEED)
    rng = np.random.default_rng(np.random.SeedSequence(SEED + 2))
    return game, exact_game.sample_estimators(game, exact_game.DEFAULT_THETA, 20000, rng)


def _worst_z(samples, target) -> float:
    return st.max_standardized_deviation(flat(samples), target.ravel())


@pytest.mark.parametrize("estimator", ["g_j_plain", "g_j_baseline", "g_g"])
def test_estimators_are_unbiased(unbiasedness_samples, estimator):
    game, samples = unbiasedness_samples
    grad_j, grad_g = exact_game.exact_gradients(game, exact_game.DEFAULT_THETA)
    target = grad_g if estimator == "g_g" else grad_j
    n_coordinates = target.size * 3  # Bonferroni over every coordinate of all three estimators
    assert _worst_z(getattr(samples, estimator), target) < st.z_for_false_alarm(1e-4, n_coordinates)


def test_negative_control_a_score_without_its_mean_is_detected_as_biased(unbiasedness_samples):
    # A common bug: ∇log π(a) = φ(a) instead of φ(a) − E_π φ. Adding back E_π φ·R must break unbiasedness.
    game, samples = unbiasedness_samples
    probs = exact_game.policy_probabilities(game, exact_game.DEFAULT_THETA)
    mean_feature = np.einsum("im,imf->if", probs, game.features())
    broken = samples.g_j_plain + mean_feature[None] * samples.reward[:, None, None]
    grad_j, _ = exact_game.exact_gradients(game, exact_game.DEFAULT_THETA)
    assert _worst_z(broken, grad_j) > st.z_for_false_alarm(1e-4, grad_j.size * 3)


# ----------------------------------------------------------------------------------------------------------
# §3.2: "the guidance coefficient does not depend on other agents' actions"
# ----------------------------------------------------------------------------------------------------------


def _share_of_variance_from_other_agents(coefficient: np.ndarray, actions: np.ndarray) -> float:
    """E[Var(c_i | a_i)] / Var(c_i), pooled over agents: 0 iff each c_i is a function of a_i alone."""
    within, total = 0.0, 0.0
    for agent in range(coefficient.shape[1]):
        c, a = coefficient[:, agent], actions[:, agent]
        total += ((c - c.mean()) ** 2).sum()
        within += sum(((c[a == j] - c[a == j].mean()) ** 2).sum() for j in np.unique(a))
    return within / total


def _own_action_part(coefficient: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """E[c_i | a_i] estimated per (agent, server): the part of c_i that depends on a_i alone."""
    own = np.empty_like(coefficient)
    for agent in range(coefficient.shape[1]):
        for j in np.unique(actions[:, agent]):
            chosen = actions[:, agent] == j
            own[chosen, agent] = coefficient[chosen, agent].mean()
    return own


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "§3.2 says c_i = ⟨x − x̃, z_i⟩ does not depend on other agents' actions. With x the post-action load it "
        "does, through the load of the server agent i picked: on the 16-job, 8-server game (4000 draws) "
        "E[Var(c_i | a_i)]/Var(c_i) = {exact.c_share_from_other_agents}, the share of the variance of c_i that "
        "comes from the other agents' actions."
    ),
)
def test_guidance_coefficient_is_a_function_of_the_own_action_alone(mid_game_batches, record):
    batch = mid_game_batches[0]
    share = _share_of_variance_from_other_agents(batch.guidance_coefficient, batch.actions)
    record("exact.c_share_from_other_agents", share, ".2f")
    assert share < 1e-9


def test_control_the_dependence_check_passes_for_a_coefficient_of_the_own_action(mid_game_batches):
    # The check above can pass: on E[c_i | a_i], a function of a_i alone, it finds no other-agent variance.
    batch = mid_game_batches[0]
    own = _own_action_part(batch.guidance_coefficient, batch.actions)
    assert _share_of_variance_from_other_agents(own, batch.actions) < 1e-9


# ----------------------------------------------------------------------------------------------------------
# Scaling in N, 16 independent games per N: slopes of log σ² on log N, tested by equivalence (TOST) with the
# margin statistics.EQUIVALENCE_MARGIN = 0.25. Condition of every verdict here: O(1) jobs per server (M = N/2);
# with M fixed the verdicts change (fixed_servers_table, below). The window N = 256…2048 was chosen after
# N = 16…512 failed (see conftest.py); the window-free boundedness check is growth_ratio over N = 16…2048.
# ----------------------------------------------------------------------------------------------------------

DELTA = st.EQUIVALENCE_MARGIN


def _fit(table, column: str) -> st.SlopeFit:
    fit = st.fit_log_log_slope(table.n_agents, getattr(table, column))
    print(column, "per-N means:", {n: f"{v:.4g}" for n, v in per_n_means(table, column).items()})
    print(f"  slope {fit.slope:.3f} ± {fit.slope_se:.3f} (CI at 1e-4 [{fit.ci_low:.3f}, {fit.ci_high:.3f}])")
    return fit


@pytest.mark.parametrize(
    ("column", "power"),
    [
        ("var_j_baseline_sum", 1),  # Section 2.2 / Kuba et al.: Θ(N) with a baseline, summed reward
        ("var_j_plain_sum", 2),  # no baseline: E[R]² = Θ(N²) dominates
        ("var_j_baseline_per_agent", -1),  # reward ÷ N multiplies variances by 1/N²
        ("relvar_j_baseline", 1),  # scale-free: Θ(N) whichever reward scaling
        ("relvar_j_plain", 2),
    ],
)
def test_variance_grows_like_the_predicted_power_of_n(scaling_table, column, power, record):
    """Θ(N^power) by TOST |slope − power| < 0.25, N = 256…2048, M = N/2 (O(1) jobs per server)."""
    verdict = st.check_slope_theta(_fit(scaling_table, column), power, DELTA)
    record_slope(record, f"exact.scaling.{column}.slope", verdict.fit)
    print(verdict.message)
    assert verdict.holds


@pytest.mark.parametrize("column", ["var_g", "relvar_g", "var_j_plain_per_agent"])
def test_variance_is_o1_by_equivalence_test(scaling_table, column, record):
    """O(1) by TOST |slope| < 0.25, N = 256…2048, M = N/2 (O(1) jobs per server). For var_g this passes with a
    small positive slope estimate (see conftest.py); the margin, not a flat curve, carries the verdict."""
    verdict = st.check_slope_equivalent(_fit(scaling_table, column), 0.0, DELTA)
    record_slope(record, f"exact.scaling.{column}.slope", verdict.fit)
    print(verdict.message)
    assert verdict.holds


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "O(1) σ_G² by the slope test fails on N = 16…512 (M = N/2, 16 games per N; the window first run, see "
        "conftest.py): slope {exact.small_n.var_g.slope}, TOST |slope| < 0.25 p = {exact.small_n.var_g.tost_p}. "
        "σ_G² rises from {exact.small_n.var_g.mean_n16} (N = 16) to {exact.small_n.var_g.mean_n64} (N = 64) and "
        "is flat from there ({exact.small_n.var_g.mean_n512} at N = 512): bounded, but not flat over this window."
    ),
)
def test_sigma_g_is_o1_by_equivalence_test_on_n_16_to_512(small_n_table, record):
    verdict = st.check_slope_equivalent(_fit(small_n_table, "var_g"), 0.0, DELTA)
    print(verdict.message)
    record_slope(record, "exact.small_n.var_g.slope", verdict.fit)
    record("exact.small_n.var_g.tost_p", verdict.p_value, ".2f")
    for n, mean in per_n_means(small_n_table, "var_g").items():
        if n in (16, 64, 512):
            record(f"exact.small_n.var_g.mean_n{n}", mean, ".3f")
    assert verdict.holds


def _growth(tables, column: str) -> tuple[st.EstimateWithCI, float]:
    """growth_ratio over every N of the tables, and the a-priori bound √(N_max/N_min): the geometric midpoint
    between no growth (ratio 1) and linear growth (ratio N_max/N_min)."""
    n = np.concatenate([t.n_agents for t in tables])
    values = np.concatenate([getattr(t, column) for t in tables])
    ratio = st.growth_ratio(n, values, seed=SEED)
    bound = float(np.sqrt(n.max() / n.min()))
    print(
        f"{column}: max_N mean / mean at N = {n.min()}: {ratio.estimate:.2f}, upper bound at 1e-4 "
        f"{ratio.ci_high:.2f}; a-priori limit √({n.max()}/{n.min()}) = {bound:.1f}"
    )
    return ratio, bound


def test_sigma_g_stays_bounded_over_all_n(small_n_table, scaling_table, record):
    """σ_G² = O(1) without a fitting window: over N = 16…2048 (M = N/2) the largest per-N mean σ_G² is at most
    a constant times σ_G²(16), with an upper bound (1e-4) below √(2048/16) ≈ 11."""
    ratio, bound = _growth([small_n_table, scaling_table], "var_g")
    means = per_n_means(small_n_table, "var_g") | per_n_means(scaling_table, "var_g")
    record("exact.var_g.growth_ratio", ratio.estimate, ".2f")
    record("exact.var_g.growth_ratio_upper", ratio.ci_high, ".2f")
    record("exact.var_g.growth_bound", bound, ".1f")
    record("exact.var_g.smallest_mean", min(means.values()), ".3f")
    record("exact.var_g.largest_mean", max(means.values()), ".3f")
    assert ratio.ci_high < bound


def test_negative_control_boundedness_check_rejects_a_growing_variance(small_n_table, scaling_table):
    ratio, bound = _growth([small_n_table, scaling_table], "var_j_baseline_sum")
    assert not ratio.ci_high < bound


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "σ_G² = O(1) (Theorem 4.2) needs O(1) jobs per server: with M = 8 servers fixed (N = 16…256, 16 games per "
        "N) σ_G² grows like N, slope {exact.fixed_servers.var_g.slope} (TOST |slope| < 0.25 p = "
        "{exact.fixed_servers.var_g.tost_p}), per-N mean {exact.fixed_servers.var_g.mean_n16} → "
        "{exact.fixed_servers.var_g.mean_n256}, growth ratio {exact.fixed_servers.var_g.growth_ratio} (upper bound "
        "{exact.fixed_servers.var_g.growth_ratio_upper} > √16 = 4)."
    ),
)
def test_sigma_g_is_o1_with_a_fixed_number_of_servers(fixed_servers_table, record):
    verdict = st.check_slope_equivalent(_fit(fixed_servers_table, "var_g"), 0.0, DELTA)
    print(verdict.message)
    ratio, _ = _growth([fixed_servers_table], "var_g")
    means = per_n_means(fixed_servers_table, "var_g")
    record_slope(record, "exact.fixed_servers.var_g.slope", verdict.fit)
    record("exact.fixed_servers.var_g.tost_p", verdict.p_value, ".2g")
    record("exact.fixed_servers.var_g.mean_n16", means[16], ".3f")
    record("exact.fixed_servers.var_g.mean_n256", means[256], ".2f")
    record("exact.fixed_servers.var_g.growth_ratio", ratio.estimate, ".0f")
    record("exact.fixed_servers.var_g.growth_ratio_upper", ratio.ci_high, ".0f")
    assert verdict.holds


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "The scale-free Θ(N) of σ_J² (relative variance, baselined) needs O(1) jobs per server: with M = 8 fixed "
        "(N = 16…256) its slope is {exact.fixed_servers.relvar_j_baseline.slope} (TOST |slope − 1| < 0.25 p = "
        "{exact.fixed_servers.relvar_j_baseline.tost_p})."
    ),
)
def test_relative_sigma_j_is_theta_n_with_a_fixed_number_of_servers(fixed_servers_table, record):
    verdict = st.check_slope_theta(_fit(fixed_servers_table, "relvar_j_baseline"), 1, DELTA)
    print(verdict.message)
    record_slope(record, "exact.fixed_servers.relvar_j_baseline.slope", verdict.fit)
    record("exact.fixed_servers.relvar_j_baseline.tost_p", verdict.p_value, ".2g")
    assert verdict.holds


def _alpha_stars(table, var_j: np.ndarray, rho: np.ndarray) -> np.ndarray:
    return np.array([st.optimal_mixing(j, g, r).alpha_star for j, g, r in zip(var_j, table.var_g, rho, strict=True)])


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "Var(ĝ_J) = Θ(N) (Section 4.2) fails with the paper's own reward scaling (H.3 divides by N): the baselined "
        "per-agent σ_J² falls like 1/N on the exact game, slope {exact.scaling.var_j_baseline_per_agent.slope} "
        "(N = 256…2048, 16 games per N; TOST |slope − 1| < 0.25 p = {exact.per_agent_reward.theta_n_tost_p}). The "
        "scale-free relative variance does grow like N (slope {exact.scaling.relvar_j_baseline.slope}, "
        "test_variance_grows_like_the_predicted_power_of_n). With R/N the mixing also reverses: α* = "
        "{exact.per_agent_reward.alpha_star_n256} (N = 256) … {exact.per_agent_reward.alpha_star_n2048} "
        "(N = 2048), so the best α in [0, 1] is 0, not 'α* → 1'. Theorem 4.2's comparison of absolute variances "
        "is not scale-free."
    ),
)
def test_paper_theta_n_claim_with_the_per_agent_reward(scaling_table, record):
    alpha_star = _alpha_stars(scaling_table, scaling_table.var_j_baseline_per_agent, scaling_table.rho_baseline)
    for n in np.unique(scaling_table.n_agents):
        chosen = alpha_star[scaling_table.n_agents == n]
        print(f"N = {n}: α* with R/N mean {chosen.mean():.2g}, range [{chosen.min():.2g}, {chosen.max():.2g}]")
        if n in (256, 2048):
            record(f"exact.per_agent_reward.alpha_star_n{n}", chosen.mean(), ".1e")
    verdict = st.check_slope_theta(_fit(scaling_table, "var_j_baseline_per_agent"), 1, DELTA)
    print(verdict.message)
    record("exact.per_agent_reward.theta_n_tost_p", verdict.p_value, ".2g")
    assert verdict.holds


def test_negative_control_theta_n_check_rejects_a_variance_that_does_not_grow(scaling_table):
    assert not st.check_slope_theta(_fit(scaling_table, "var_g"), 1, DELTA).holds


def test_negative_control_o1_check_rejects_a_variance_that_grows(scaling_table):
    assert not st.check_slope_equivalent(_fit(scaling_table, "var_j_baseline_sum"), 0.0, DELTA).holds
