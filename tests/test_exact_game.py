"""Unit tests of dgpg_theory.exact_game: closed forms against enumeration, sampling, estimators."""

import numpy as np
import pytest

from dgpg_theory import exact_game as eg
from dgpg_theory import statistics as st

THETA = eg.DEFAULT_THETA


@pytest.mark.parametrize(("n_agents", "reward_scaling"), [(1, "sum"), (2, "per_agent"), (3, "sum"), (4, "per_agent")])
def test_closed_forms_match_enumeration(n_agents, reward_scaling):
    game = eg.make_game(n_agents, seed=n_agents, reward_scaling=reward_scaling)
    exact = eg.enumerate_game(game, THETA)
    grad_j, grad_g = eg.exact_gradients(game, THETA)
    assert eg.expected_reward(game, THETA) == pytest.approx(exact.expected_reward, rel=1e-12)
    assert eg.expected_guidance(game, THETA) == pytest.approx(exact.expected_guidance, rel=1e-12)
    np.testing.assert_allclose(exact.mean_g_j, grad_j, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(exact.mean_g_g, grad_g, rtol=1e-9, atol=1e-14)
    assert exact.probabilities.sum() == pytest.approx(1.0)


def test_exact_gradient_matches_finite_differences_of_the_shared_objective():
    game = eg.make_game(7, seed=3)
    grad_j, _ = eg.exact_gradients(game, THETA)
    step = 1e-6
    numeric = [
        (eg.expected_reward(game, THETA + step * e) - eg.expected_reward(game, THETA - step * e)) / (2 * step)
        for e in np.eye(4)
    ]
    np.testing.assert_allclose(grad_j.sum(axis=0), numeric, rtol=1e-6)


def test_loads_conserve_total_demand_and_reward_is_eq15():
    game = eg.make_game(9, seed=5)
    actions = eg.sample_actions(game, THETA, 100, np.random.default_rng(0))
    loads = eg.server_loads(game, actions)
    np.testing.assert_allclose(loads.sum(axis=1), np.broadcast_to(game.demands.sum(axis=0), (100, 2)))
    samples = eg.sample_estimators(game, THETA, 100, np.random.default_rng(0))
    np.testing.assert_allclose(samples.reward, -(loads**2 / game.capacities).sum(axis=(1, 2)))


def test_per_agent_reward_estimators_are_the_summed_ones_over_n():
    game = eg.make_game(6, seed=2)
    summed = eg.sample_estimators(game, THETA, 200, np.random.default_rng(9))
    per_agent = eg.sample_estimators(game.with_reward_scaling("per_agent"), THETA, 200, np.random.default_rng(9))
    np.testing.assert_allclose(per_agent.g_j_baseline, summed.g_j_baseline / 6, rtol=1e-12)
    np.testing.assert_allclose(per_agent.g_g, summed.g_g)  # the guidance does not depend on the reward


def test_action_frequencies_match_the_policy():
    game = eg.make_game(3, seed=1)
    actions = eg.sample_actions(game, THETA, 40000, np.random.default_rng(4))
    probs = eg.policy_probabilities(game, THETA)
    frequencies = np.stack([np.bincount(actions[:, i], minlength=game.n_servers) for i in range(3)]) / 40000
    standard_error = np.sqrt(probs * (1 - probs) / 40000)
    z = np.abs(frequencies - probs) / standard_error
    limit = st.z_for_false_alarm(1e-4, probs.size)  # Bonferroni over every (agent, server) cell
    assert z.max() < limit
    # Negative control: the same check against the policy with its servers swapped must fail.
    assert (np.abs(frequencies - probs[:, ::-1]) / standard_error).max() > limit


def test_reference_is_eq16():
    game = eg.make_game(10, seed=0)
    expected = game.capacities / game.capacities.sum(axis=0) * game.demands.sum(axis=0)
    np.testing.assert_allclose(game.reference_state(), expected)


def test_measure_scaling_shapes_and_scale_relations():
    table = eg.measure_scaling([4, 8], replicates=2, n_samples=60, seed=1)
    assert table.n_agents.tolist() == [4, 4, 8, 8]
    np.testing.assert_allclose(table.var_j_baseline_per_agent, table.var_j_baseline_sum / table.n_agents**2)
    assert np.all(np.abs(table.rho_baseline) <= 1)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: eg.make_game(0, seed=1), "n_agents must be >= 1; got 0"),
        (lambda: eg.make_game(4, seed=1, workload="x"), "workload must be"),
        (lambda: eg.make_game(4, seed=1, n_servers=0), "n_servers must be >= 1.*; got 0"),
        (lambda: eg.measure_scaling([4], 1, 10, seed=0, n_servers=0), "n_servers must be >= 1.*; got 0"),
        (lambda: eg.LoadBalancingGame(np.ones((2, 2)), np.ones((2, 3))), "same number of resources"),
        (lambda: eg.LoadBalancingGame(np.ones((2, 2)), -np.ones((2, 2))), "capacities must all be > 0"),
        (lambda: eg.LoadBalancingGame(np.ones((2, 2)), np.ones((2, 2)), "mean"), "reward_scaling must be"),
        (
            lambda: eg.sample_estimators(eg.make_game(3, 1), THETA, 1, np.random.default_rng(0)),
            r"n_samples must be >= 2 .*; got 1",
        ),
        (lambda: eg.exact_gradients(eg.make_game(3, 1), np.ones(3)), r"theta must have shape \(4,\)"),
        (lambda: eg.enumerate_game(eg.make_game(40, 1), THETA), "exceeds max_joint_actions"),
    ],
)
def test_bad_input_raises_value_error(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_h1_pareto_workload_is_available():
    game = eg.make_game(50, seed=0, workload="h1_pareto")
    assert game.demands.shape == (50, 2) and np.all(game.demands > 0)


def test_measure_scaling_with_a_fixed_number_of_servers():
    # N = 9 with M = 4 used to give M = 3 (⌈9 / ⌈9/4⌉⌉): n_servers must fix M exactly.
    table = eg.measure_scaling([8, 9, 16], replicates=1, n_samples=40, seed=2, n_servers=4)
    assert table.n_agents.tolist() == [8, 9, 16]
    assert table.n_servers.tolist() == [4, 4, 4]
    assert eg.make_game(9, seed=0, n_servers=4).n_servers == 4
    assert eg.measure_scaling([9], replicates=1, n_samples=40, seed=2).n_servers.tolist() == [5]  # M = ⌈N/2⌉


def test_make_game_default_is_unchanged_by_the_n_servers_option():
    default, explicit = eg.make_game(10, seed=3), eg.make_game(10, seed=3, n_servers=5)
    np.testing.assert_array_equal(default.capacities, explicit.capacities)
    np.testing.assert_array_equal(default.demands, explicit.demands)


def test_estimator_helpers_agree_with_the_definitions():
    game = eg.make_game(5, seed=4)
    samples = eg.sample_estimators(game, THETA, 50, np.random.default_rng(2))
    loads = eg.server_loads(game, samples.actions)
    np.testing.assert_allclose(eg.rewards(game, loads), samples.reward)
    deviation = loads[np.arange(50)[:, None], samples.actions] - game.reference_state()[samples.actions]
    np.testing.assert_allclose(samples.guidance_coefficient, (deviation * game.demands).sum(axis=-1))
    score = eg.score_functions(game, THETA, samples.actions)
    np.testing.assert_allclose(samples.g_g, score * samples.guidance_coefficient[:, :, None])


def test_guidance_coefficient_depends_on_other_agents_through_the_shared_server():
    # §3.2 says c_i = ⟨x − x̃, z_i⟩ does not depend on other agents' actions; it does, through x_{a_i}.
    game = eg.LoadBalancingGame(np.array([[1.0, 1.0], [2.0, 2.0]]), np.ones((2, 2)))
    apart = eg.server_loads(game, np.array([[0, 1]]))
    together = eg.server_loads(game, np.array([[0, 0]]))
    c_apart = (game.demands[0] * (apart[0, 0] - game.reference_state()[0])).sum()
    c_together = (game.demands[0] * (together[0, 0] - game.reference_state()[0])).sum()
    assert c_together - c_apart == pytest.approx((game.demands[0] * game.demands[1]).sum())
