"""The batched ascent of Theorem 4.3 (dgpg_theory.ascent) against the exact game's own functions, its sampler and
estimators (with negative controls), the problem's constants, the counting and the iteration scan's CLI."""

import json
import math

import numpy as np
import pytest
import torch

from dgpg_theory import ascent, iteration_scan
from dgpg_theory import exact_game as eg
from dgpg_theory import statistics as st
from sim.arguments import ArgumentError

THETA = eg.DEFAULT_THETA
Z = st.z_for_false_alarm(1e-4)


def _probs(game, theta=THETA):
    return ascent.probabilities(ascent.GameTensors.of(game), torch.as_tensor(np.asarray(theta, float)[None]))


@pytest.mark.parametrize("reward_scaling", ["sum", "per_agent"])
def test_estimates_for_given_actions_equal_the_exact_games_estimators_summed_over_agents(reward_scaling):
    game = eg.make_game(12, 3, reward_scaling=reward_scaling)
    actions = eg.sample_actions(game, THETA, 6, np.random.default_rng(0))
    loads = eg.server_loads(game, actions)
    reward = eg.rewards(game, loads)
    score = eg.score_functions(game, THETA, actions)
    coefficient = eg.guidance_coefficients(game, actions, loads)
    batch = ascent.estimates_for_actions(ascent.GameTensors.of(game), _probs(game), torch.as_tensor(actions)[None])
    np.testing.assert_allclose(batch.plain[0].numpy(), (score * reward[:, None, None]).sum(1), rtol=1e-12)
    baselined = reward - st.leave_one_out_mean(reward)
    np.testing.assert_allclose(batch.loo[0].numpy(), (score * baselined[:, None, None]).sum(1), rtol=1e-10)
    guidance = (score * coefficient[:, :, None]).sum(1)
    np.testing.assert_allclose(batch.guidance[0].numpy(), guidance, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_batched_augmented_objective_equals_the_closed_form(alpha):
    game = eg.make_game(10, 1)
    thetas = np.array([THETA, THETA * 0.5, [0.0, 0.0, 0.0, 0.0]])
    tensors = ascent.GameTensors.of(game)
    values = ascent.augmented_values(tensors, ascent.probabilities(tensors, torch.as_tensor(thetas)), alpha)
    expected = [(1 - alpha) * eg.expected_reward(game, t) - alpha * eg.expected_guidance(game, t) for t in thetas]
    np.testing.assert_allclose(values.numpy(), expected, rtol=1e-12)
    for theta, closed_form in zip(thetas, expected, strict=True):
        value, gradient = eg.augmented_objective(game, theta, alpha)
        grad_j, grad_g = eg.exact_gradients(game, theta)
        assert value == pytest.approx(closed_form, rel=1e-12)
        np.testing.assert_allclose(gradient, (1 - alpha) * grad_j.sum(0) - alpha * grad_g.sum(0), rtol=1e-10)
        np.testing.assert_allclose(ascent.shared_gradient(tensors, theta, alpha)[1], gradient, rtol=1e-10)


def test_augmented_objective_rejects_alpha_outside_the_unit_interval():
    with pytest.raises(ValueError, match="alpha must be in"):
        eg.augmented_objective(eg.make_game(4, 0), THETA, 1.5)


def test_sampled_action_frequencies_match_the_policy_and_a_wrong_policy_is_caught():
    game = eg.make_game(6, 2)
    probs = _probs(game)
    actions = ascent.sample_actions(probs, 20_000, torch.Generator().manual_seed(5))[0].numpy()
    frequencies = np.stack([(actions == j).mean(axis=0) for j in range(game.n_servers)], axis=1)  # [N, M]
    target = probs[:, 0].numpy()
    standard_error = np.sqrt(target * (1 - target) / actions.shape[0])
    assert np.abs(frequencies - target).max() < Z * standard_error.max()
    wrong = np.roll(target, 1, axis=1)  # negative control: the same probabilities on the wrong servers
    assert np.abs(frequencies - wrong).max() > Z * standard_error.max()


@pytest.mark.parametrize("estimator", ["plain", "loo", "dg_0.5", "dg_0.9"])
def test_batch_estimates_are_unbiased_for_the_exact_gradient_and_a_sign_error_is_caught(estimator):
    game = eg.make_game(8, 4)
    tensors = ascent.GameTensors.of(game)
    alpha = ascent.alpha_of(estimator)
    point = torch.as_tensor(np.tile(THETA, (2000, 1)))  # 2000 batches: the guidance-sign control has power at α = 0.5
    probs = ascent.probabilities(tensors, point)
    draws = ascent.sample_estimates(tensors, probs, 8, torch.Generator().manual_seed(9))
    batch_means = ascent.combine(draws, estimator, alpha).mean(dim=1).numpy()  # independent across replicates
    exact = ascent.shared_gradient(tensors, THETA, alpha)[1]
    assert st.max_standardized_deviation(batch_means, exact) < Z
    assert st.max_standardized_deviation(batch_means, -exact) > Z  # negative control: the sign of the whole
    if alpha > 0:  # negative control: the sign of the guidance term alone, (1 − α)∇J + α∇G
        grad_j, minus_grad_g = (ascent.shared_gradient(tensors, THETA, a)[1] for a in (0.0, 1.0))
        assert st.max_standardized_deviation(batch_means, (1 - alpha) * grad_j - alpha * minus_grad_g) > Z


@pytest.mark.parametrize("bad", ["dg_1.5", "dg_x", "coma", "dg_"])
def test_unknown_or_out_of_range_estimators_are_rejected_by_name(bad):
    with pytest.raises(ArgumentError, match="estimator"):
        ascent.alpha_of(bad)


def test_estimator_alphas_and_claims():
    assert ascent.alpha_of("plain") == 0.0 and ascent.alpha_of("loo") == 0.0
    assert ascent.alpha_of("dg_0.9") == 0.9 and ascent.alpha_of("dg_alpha_star") is None
    assert ascent.claim_of("loo") == "Theta(N)" and ascent.claim_of("dg_0.9") == "O(1)"


def test_a_supremum_at_infinity_is_reported_as_not_measurable():
    # N = 8, game 0: BFGS runs to |θ| ~ 1e5 and the Hessian there is numerically zero.
    with pytest.raises(ascent.NotMeasurable, match="no interior maximum"):
        ascent.make_problem(eg.make_game(8, 0), "loo", torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def problem_and_game():
    game = eg.make_game(64, 0)
    return ascent.make_problem(game, "dg_alpha_star", torch.Generator().manual_seed(0), epsilon_fraction=0.5), game


def test_the_problem_is_consistent_with_the_closed_form(problem_and_game):
    problem, game = problem_and_game
    value, gradient = eg.augmented_objective(game, problem.optimum_theta, problem.alpha)
    assert value == pytest.approx(problem.optimum_value, rel=1e-12)
    assert np.linalg.norm(gradient) < 1e-6 * problem.smoothness
    start = eg.augmented_objective(game, THETA, problem.alpha)[0]
    assert problem.gap_start == pytest.approx(problem.optimum_value - start)
    assert problem.epsilon == pytest.approx(0.5 * problem.gap_start)
    assert 0 < problem.pl_constant <= problem.smoothness
    assert 0 < problem.alpha <= 1 and problem.batch_variance > 0
    assert problem.appendix_g_step <= 1 / problem.smoothness
    assert problem.appendix_g_iterations >= math.log(2 * problem.gap_start / problem.epsilon) * (
        problem.smoothness / problem.pl_constant
    ) * (1 - 1e-12)


def test_counts_reproduce_from_a_seed_and_respect_the_budget(problem_and_game):
    problem, game = problem_and_game

    def counts(seed, budget):
        return ascent.iterations_to_epsilon(game, problem, 1.0, 4, budget, torch.Generator().manual_seed(seed))

    first = counts(1, 10 * problem.exact_iterations + 10)
    np.testing.assert_array_equal(first, counts(1, 10 * problem.exact_iterations + 10))
    assert np.all(np.isfinite(first)) and np.all(first >= 1)
    assert np.all(np.isinf(counts(1, 0)))  # ε < Δ0: nothing is reached without an iteration


def test_step_search_stops_by_its_rule_and_picks_the_smallest_median(problem_and_game):
    problem, game = problem_and_game
    limit = 10_000
    trials = ascent.tune_step(game, problem, 4, limit, torch.Generator().manual_seed(2))
    assert trials[0].step_factor == 1.0
    assert [t.step_factor for t in trials] == list(ascent.STEP_GRID[: len(trials)])
    best_before_last = min(t.median_count for t in trials[:-1]) if len(trials) > 1 else math.inf
    doubled = math.isfinite(best_before_last) and trials[-1].median_count >= 2 * best_before_last
    next_step = ascent.STEP_GRID[len(trials)] if len(trials) < len(ascent.STEP_GRID) else None
    out_of_limit = next_step is None or problem.exact_iterations / next_step > limit
    assert doubled or out_of_limit  # the search ends only by one of its two rules
    assert all(t.budget <= limit for t in trials)
    best = ascent.best_trial(trials)
    assert best.median_count == min(t.median_count for t in trials)
    assert ascent.best_trial([ascent.StepTrial(1.0, 5, math.inf)]) is None


def test_iteration_scan_rejects_bad_arguments_by_name():
    with pytest.raises(ArgumentError, match="games"):
        iteration_scan.IterationScan(games=1)
    with pytest.raises(ArgumentError, match="estimator"):
        iteration_scan.IterationScan(estimators=("dg_2",))
    with pytest.raises(ArgumentError, match="n="):
        iteration_scan.IterationScan(n=(64, 64))
    with pytest.raises(ArgumentError, match="distinct estimators"):
        iteration_scan.IterationScan(estimators=("loo", "loo"))


def test_cli_writes_results_and_exits_2_on_bad_input(tmp_path, capsys):
    args = ["--n", "8", "64", "128", "--estimators", "dg_alpha_star", "--games", "2", "--replicates", "2",
            "--epsilon-fraction", "0.5", "--no-progress", "--out", str(tmp_path)]  # fmt: skip
    assert iteration_scan.main(args) == 0
    result = json.loads((tmp_path / "results.json").read_text())
    assert (tmp_path / "iterations.png").stat().st_size > 0 and (tmp_path / "results.csv").exists()
    (summary,) = result["summaries"]
    assert [row["n"] for row in summary["per_n"]] == [8, 64, 128]
    assert {cell["n_agents"] for cell in result["cells"]} == {8, 64, 128} and len(result["cells"]) == 6
    assert "dg_alpha_star (Theorem 4.3: O(1))" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        iteration_scan.main(["--games", "1", "--out", str(tmp_path / "x")])
    assert exit_info.value.code == 2 and "--games" in capsys.readouterr().err
