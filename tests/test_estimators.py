"""The estimator family on the exact game: counterfactuals, unbiasedness (exact and Monte Carlo) with negative
controls, the optimal-baseline identity, the scaling table and its CLI."""

import json

import numpy as np
import pytest

from dgpg_theory import estimator_table
from dgpg_theory import exact_game as eg
from dgpg_theory import statistics as st
from dgpg_theory.estimators import counterfactual, excess_variance, family, scaling
from dgpg_theory.trainer_units import TrainerScales
from sim.arguments import ArgumentError

THETA = eg.DEFAULT_THETA
ENUMERABLE = [(4, 2), (5, 3), (6, 3)]  # (N, M): at most 3^6 = 729 joint actions


def _buggy_coma(game, samples):
    """COMA's baseline with agent i's job left on its own server: depends on a_i (negative control)."""
    loads = eg.server_loads(game, samples.actions)
    weights = counterfactual.coma_weights(game, THETA)
    return -game.reward_factor * counterfactual.expected_counterfactual_penalty(
        game, samples.actions, loads, weights, True
    )


def _own_server_baseline(game, samples):
    """−f·Σ_k x²/μ of the server agent i chose: a crude baseline that depends on a_i (negative control)."""
    loads = eg.server_loads(game, samples.actions)
    rows = np.arange(samples.actions.shape[0])[:, None]
    own = loads[rows, samples.actions] ** 2 / game.capacities[samples.actions]
    return -game.reward_factor * own.sum(axis=-1)


def test_counterfactual_penalty_equals_recomputing_the_moved_joint_action():
    game = eg.make_game(7, 2, n_servers=4)
    actions = eg.sample_actions(game, THETA, 5, np.random.default_rng(0))
    loads = eg.server_loads(game, actions)
    for agent, server in [(0, 3), (4, 1), (6, int(actions[2, 6]))]:
        one_hot = np.zeros((game.n_agents, game.n_servers))
        one_hot[:, server] = 1.0
        moved = actions.copy()
        moved[:, agent] = server
        direct = counterfactual.penalties(game, eg.server_loads(game, moved))
        closed = counterfactual.expected_counterfactual_penalty(game, actions, loads, one_hot)[:, agent]
        np.testing.assert_allclose(closed, direct, rtol=1e-12)
    removed = eg.LoadBalancingGame(np.delete(game.demands, 2, axis=0), game.capacities)
    direct = counterfactual.penalties(removed, eg.server_loads(removed, np.delete(actions, 2, axis=1)))
    np.testing.assert_allclose(counterfactual.penalty_without_agent(game, actions, loads)[:, 2], direct, rtol=1e-12)


@pytest.mark.parametrize("n_agents, n_servers", ENUMERABLE)
@pytest.mark.parametrize("reward_scaling", ["sum", "per_agent"])
def test_every_member_is_exactly_unbiased_and_the_negative_controls_are_not(n_agents, n_servers, reward_scaling):
    game = eg.make_game(n_agents, 11, n_servers=n_servers, reward_scaling=reward_scaling)
    enumeration = excess_variance.enumerate_joint_actions(game, THETA)
    samples, p = enumeration.samples, enumeration.probabilities
    score = eg.score_functions(game, THETA, samples.actions)
    grad_j, _ = eg.exact_gradients(game, THETA)
    scale = np.abs(grad_j).max()
    for name, baseline in family.baselines(game, THETA, samples).items():
        if name == "loo":  # a batch quantity: checked by Monte Carlo below
            continue
        mean = np.tensordot(p, score * (samples.reward[:, None] - baseline)[..., None], axes=1)
        assert np.abs(mean - grad_j).max() < 1e-10 * max(scale, 1.0), name
    for control in (_buggy_coma, _own_server_baseline):
        mean = np.tensordot(p, score * (samples.reward[:, None] - control(game, samples))[..., None], axes=1)
        assert np.abs(mean - grad_j).max() > 1e-3 * scale, control.__name__


def test_dg_members_have_the_exact_mean_of_their_linear_combination():
    game = eg.make_game(6, 4, n_servers=3)
    enumeration = excess_variance.enumerate_joint_actions(game, THETA)
    samples, p = enumeration.samples, enumeration.probabilities
    calibration = family.DGCalibration(0.4, 0.7, TrainerScales(0.05, 2.5, 0.1, 0.3))
    # The enumeration carries no leave-one-out baseline: a constant one (b = J) is as unbiased.
    constant = float(p @ samples.reward)
    score = eg.score_functions(game, THETA, samples.actions)
    centred = eg.EstimatorSamples(
        samples.g_j_plain, score * (samples.reward - constant)[:, None, None], samples.g_g, samples.reward,
        samples.guidance_coefficient, samples.actions,
    )  # fmt: skip
    grad_j, grad_g = eg.exact_gradients(game, THETA)
    for member in family.DG_MEMBERS:
        estimates = _dg_estimates(game, centred, calibration, member, constant)
        expected = family.expected_gradient(game, THETA, member, calibration)
        np.testing.assert_allclose(np.tensordot(p, estimates, axes=1), expected, atol=1e-12, err_msg=member.name)
    assert np.abs(family.expected_gradient(game, THETA, family.MEMBERS["dg_alpha_0.9"], calibration) - grad_j).max() > 0
    assert np.abs(grad_g).max() > 0


def _dg_estimates(game, samples, calibration, member, constant):
    """(1 − α)ĝ_J − αĝ_G of one DG member with the advantage R − constant (no clip)."""
    alpha = family.member_alpha(member, calibration)
    if member.units == "raw":
        return (1 - alpha) * samples.g_j_baseline - alpha * samples.g_g
    score = eg.score_functions(game, THETA, samples.actions)
    advantage = samples.reward - constant
    g_j, g_g = family.trainer_pair(score, advantage, samples.guidance_coefficient, calibration.scales, clip=np.inf)
    return (1 - alpha) * g_j - alpha * g_g


def test_every_member_is_unbiased_by_monte_carlo_and_an_own_action_baseline_is_detected():
    """The sample mean of each member (leave-one-out included) is within the 1e-4 band (Bonferroni over the
    N·4 coordinates) of its exact mean; the own-server baseline falls outside it."""
    game = eg.make_game(16, 5)
    pilot_rng, batch_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(2026).spawn(2))
    calibration = family.calibrate(game, THETA, eg.sample_estimators(game, THETA, 2000, pilot_rng))
    batch = eg.sample_estimators(game, THETA, 8000, batch_rng)
    z = st.z_for_false_alarm(st.DEFAULT_FALSE_ALARM, game.n_agents * eg.N_FEATURES)
    for name, estimates in family.member_samples(game, THETA, batch, calibration, clip=np.inf).items():
        expected = family.expected_gradient(game, THETA, family.MEMBERS[name], calibration)
        assert st.max_standardized_deviation(estimates.reshape(8000, -1), expected.ravel()) < z, name
    score = eg.score_functions(game, THETA, batch.actions)
    biased = score * (batch.reward[:, None] - _own_server_baseline(game, batch))[..., None]
    grad_j, _ = eg.exact_gradients(game, THETA)
    assert st.max_standardized_deviation(biased.reshape(8000, -1), grad_j.ravel()) > z


@pytest.mark.parametrize("n_agents, n_servers", ENUMERABLE)
def test_optimal_baseline_excess_variance_identity(n_agents, n_servers):
    check = excess_variance.check_excess_variance(eg.make_game(n_agents, 3, n_servers=n_servers), THETA)
    assert check.holds(1e-10), check.max_abs_error
    assert all(np.all(check.measured[name] >= -1e-12) for name in excess_variance.COMPARED)  # b* is the minimum
    assert np.all(check.optimal_variance > 0)


def test_excess_variance_identity_fails_for_a_baseline_that_depends_on_the_own_action():
    game = eg.make_game(5, 3, n_servers=3)
    enumeration = excess_variance.enumerate_joint_actions(game, THETA)
    samples, p = enumeration.samples, enumeration.probabilities
    score = eg.score_functions(game, THETA, samples.actions)
    optimal = family.baselines(game, THETA, samples)["ob"]
    control = _buggy_coma(game, samples)

    def trace_covariance(baseline):
        g = score * (samples.reward[:, None] - baseline)[..., None]
        return np.tensordot(p, (g**2).sum(-1), 1) - (np.tensordot(p, g, 1) ** 2).sum(-1)

    norm = (eg.policy_probabilities(game, THETA) * counterfactual.score_norms(game, THETA)).sum(axis=1)
    predicted = (p @ (control - optimal) ** 2) * norm
    # The identity holds to 1e-15 for baselines of a_{−i} (the test above allows 1e-10); here it misses by ≈ 1e-6.
    assert np.abs(trace_covariance(control) - trace_covariance(optimal) - predicted).max() > 1e-8


def test_optimal_baseline_weights_match_kuba_et_al_for_one_free_logit_per_action():
    # With features e_a (one free logit per action), ‖∇log π(a)‖² = 1 + ‖π‖² − 2π(a), the weight of their code.
    probabilities = np.array([0.5, 0.3, 0.2])
    centred = np.eye(3) - probabilities
    assert np.allclose((centred**2).sum(axis=1), 1 + (probabilities**2).sum() - 2 * probabilities)


def test_weights_are_validated():
    game = eg.make_game(4, 0)
    actions = eg.sample_actions(game, THETA, 3, np.random.default_rng(0))
    loads = eg.server_loads(game, actions)
    with pytest.raises(ValueError, match="shape"):
        counterfactual.expected_counterfactual_penalty(game, actions, loads, np.ones((3, 2)))
    with pytest.raises(ValueError, match="sum"):
        counterfactual.expected_counterfactual_penalty(game, actions, loads, np.ones((4, 2)))


def test_scaling_table_shapes_and_scale_relations():
    table = scaling.measure(scaling.FamilyScan(n=(4, 8, 16), replicates=2, samples=60, seed=1))
    assert table.n_agents.tolist() == [4, 4, 8, 8, 16, 16]
    for name, member in family.MEMBERS.items():
        summed, divided = table.variance[(name, "sum")], table.variance[(name, "per_agent")]
        if not member.is_dg:  # the ÷N reward scales every baseline member's estimate by 1/N
            np.testing.assert_allclose(divided, summed / table.n_agents**2, rtol=1e-9)
            np.testing.assert_allclose(table.relative[(name, "per_agent")], table.relative[(name, "sum")], rtol=1e-9)
        elif member.units == "trainer":  # standardization removes the reward scale, up to the trainer's ε = 1e-8
            # added to the advantage's spread (≈ 1e-2 under the ÷N reward here): a relative error of order 1e-6
            np.testing.assert_allclose(divided, summed, rtol=1e-5)
    result = scaling.results(table)
    assert len(result["entries"]) == len(family.MEMBERS) * 2 * 2
    assert {e["verdict"] for e in result["entries"] if e["claim"] is None} == {"no claim in Table 2"}


@pytest.mark.parametrize(
    "kwargs, field", [({"n": (4,)}, "n"), ({"replicates": 1}, "replicates"), ({"n_servers": 1}, "n_servers")]
)
def test_family_scan_rejects_bad_input(kwargs, field):
    with pytest.raises(ArgumentError) as error:
        scaling.FamilyScan(**kwargs)
    assert error.value.name == field


def test_cli_writes_results_and_rejects_bad_servers(tmp_path, capsys):
    args = ["--n", "4", "8", "--replicates", "2", "--samples", "40", "--servers", "half", "--no-progress"]
    assert estimator_table.main([*args, "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "results.json").read_text())
    assert result[0]["scan"]["n_servers"] is None
    assert (tmp_path / "estimators_half.png").exists() and (tmp_path / "results.csv").exists()
    assert "coma" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        estimator_table.main(["--servers", "many", "--out", str(tmp_path / "x")])
    assert exit_info.value.code == 2
    assert "--servers" in capsys.readouterr().err
