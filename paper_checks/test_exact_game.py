"""The exact game as a testbed: closed forms, unbiasedness (Eq 2, Eq 9), and the scaling in N of the
estimators' variances (Section 2.2, Theorem 4.2), each with the verdict the theory predicts for it."""

import itertools

import numpy as np
import pytest

from dgpg_theory import exact_game
from dgpg_theory import statistics as st

from .conftest import SEED, flat

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
    n, m = game.n_agents, game.n_servers
    actions = np.array(list(itertools.product(range(m), repeat=n)))
    probs = exact_game.policy_probabilities(game, exact_game.DEFAULT_THETA)
    joint = np.prod(probs[np.arange(n)[None], actions], axis=1)
    loads, reference = exact_game.server_loads(game, actions), game.reference_state()
    weighted_distance = 0.5 * ((loads - reference) ** 2 / game.capacities).sum(axis=(1, 2))
    deviation = (loads[np.arange(len(actions))[:, None], actions] - reference[actions]) / game.capacities[actions]
    coefficient = (deviation * game.demands[None]).sum(axis=-1)
    features = game.features()
    score = features[np.arange(n)[None], actions] - np.einsum("im,imf->if", probs, features)[None]
    exact = np.tensordot(joint, score * weighted_distance[:, None, None], axes=1)
    linearized = np.tensordot(joint, score * coefficient[:, :, None], axes=1)
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
# Scaling in N (N = 256…2048, 16 independent games per N): slope of log σ² on log N
# ----------------------------------------------------------------------------------------------------------


def _fit(table, column: str) -> st.SlopeFit:
    fit = st.fit_log_log_slope(table.n_agents, getattr(table, column))
    print(column, st.check_slope_equals(fit, 1).message)
    return fit


@pytest.mark.parametrize(
    ("column", "slope"),
    [
        ("var_j_baseline_sum", 1),  # Section 2.2 / Kuba et al.: Θ(N) with a baseline, summed reward
        ("var_j_plain_sum", 2),  # no baseline: E[R]² = Θ(N²) dominates
        ("var_j_baseline_per_agent", -1),  # reward ÷ N multiplies variances by 1/N²
        ("relvar_j_baseline", 1),  # scale-free: Θ(N) whichever reward scaling
        ("relvar_j_plain", 2),
    ],
)
def test_variance_grows_like_the_predicted_power_of_n(scaling_table, column, slope):
    assert st.check_slope_equals(_fit(scaling_table, column), slope).holds


@pytest.mark.parametrize("column", ["var_g", "relvar_g", "var_j_plain_per_agent"])
def test_variance_is_o1_by_equivalence_test(scaling_table, column):
    verdict = st.check_slope_equivalent(_fit(scaling_table, column), center=0.0, delta=0.25)
    print(verdict.message)
    assert verdict.holds


@pytest.mark.xfail(
    strict=True,
    reason="Var(ĝ_J) = Θ(N) (Section 4.2) fails with the paper's own reward scaling (H.3 divides by N): the "
    "baselined per-agent σ_J² falls like 1/N on the exact game, slope −0.975 ± 0.015 (CI at 1e-4: −1.04 to "
    "−0.91; N = 256…2048, 16 games per N). The scale-free relative variance tr Cov/‖E ĝ‖² does grow like N "
    "(slope 1.04 ± 0.03).",
)
def test_paper_theta_n_claim_with_the_per_agent_reward(scaling_table):
    assert st.check_slope_equals(_fit(scaling_table, "var_j_baseline_per_agent"), 1).holds


def test_negative_control_theta_n_check_rejects_a_variance_that_does_not_grow(scaling_table):
    assert not st.check_slope_equals(_fit(scaling_table, "var_g"), 1).holds


def test_negative_control_o1_check_rejects_a_variance_that_grows(scaling_table):
    assert not st.check_slope_equivalent(_fit(scaling_table, "var_j_baseline_sum"), 0.0, 0.25).holds
