"""Unit tests of dgpg_theory.measurement.counterfactuals (the estimator family of Table 2 on the simulator),
BatchedEnv.remove_jobs, and the scan's --estimators: common random numbers, the removed job, baselines that
do not depend on the agent's own action (with negative controls), and the default scan left unchanged."""

import copy
from dataclasses import replace

import numpy as np
import pytest

from dgpg_theory import variance_scan
from dgpg_theory.measurement import counterfactuals as cf
from dgpg_theory.measurement import samples as gs
from dgpg_theory.measurement.moments import estimator_moments
from dgpg_theory.measurement.policies import make_policy
from dgpg_theory.measurement.scan import ScanConfig, run_scan
from dgpg_theory.trainer_units import TrainerScales
from sim.arguments import ArgumentError
from sim.env import BatchedEnv
from sim.scales import resolve_scale
from sim.scenario import make_scenario
from tests.sim_helpers import assert_invariants

HORIZON, GAMMA = 15, 0.99


@pytest.fixture(scope="module")
def setting():
    """N = 5 (K = 5): a scenario warmed up for 60 Best-Fit steps and a scoring policy."""
    scale = resolve_scale(5)
    scenario = make_scenario(scale, "test", 0)
    snapshot = gs.warm_snapshot(scenario, 60)
    assert snapshot.offsets[1] >= 2, "the tests need two fork-step agents"
    return scale, scenario, snapshot, make_policy("scoring", scale, seed=0)


@pytest.fixture(scope="module")
def groups(setting):
    _, scenario, snapshot, policy = setting
    return cf.sample_counterfactuals(policy, snapshot, scenario, 4, 2, GAMMA, HORIZON, np.random.default_rng(1))


def _streams(copies: int, seed: int) -> tuple[list, list]:
    arrivals = [np.random.default_rng([seed, 0, c]) for c in range(copies)]
    draws = [np.random.default_rng([seed, 1, c]) for c in range(copies)]
    return arrivals, draws


def _replay(policy, snapshot, scenario, actions, arrival, draw) -> float:
    """An independent one-copy rollout with the given fork-step actions, arrival stream and uniform stream."""
    env = BatchedEnv.fork(snapshot, scenario, 1)
    env.state.rngs = [copy.deepcopy(arrival)]
    total, discount = env.step(actions).reward[0], 1.0
    for _ in range(HORIZON - 1):
        discount *= GAMMA
        uniforms = draw.random(env.decision.n_agents)
        total += discount * env.step(policy.sample_from_uniforms(env.state, uniforms)).reward[0]
    return total


# ----------------------------------------------------------------------------------------------------------
# Common random numbers
# ----------------------------------------------------------------------------------------------------------


def test_every_member_equals_an_independent_replay_with_the_same_noise(setting):
    _, scenario, snapshot, policy = setting
    n_agents, k = int(snapshot.offsets[1]), scenario.n_clusters
    factual = np.random.default_rng(5).integers(k, size=(3, n_agents))
    agents = np.array([1])
    arrivals, draws = _streams(3, 7)
    returns, _ = cf.rollout_groups(policy, snapshot, scenario, factual, agents, arrivals, draws, GAMMA, HORIZON)
    members = returns.reshape(3, k + 1)
    for c in (0, 2):
        for a in (int(factual[c, 1]), (int(factual[c, 1]) + 1) % k):  # the factual member and a counterfactual
            actions = factual[c].copy()
            actions[1] = a
            replay = _replay(policy, snapshot, scenario, actions, arrivals[c], _streams(3, 7)[1][c])
            assert members[c, a] == pytest.approx(replay, rel=1e-12)
    # negative control: another copy's uniforms give another return
    other = _replay(policy, snapshot, scenario, factual[0], arrivals[0], _streams(3, 8)[1][0])
    assert other != pytest.approx(members[0, factual[0, 1]], rel=1e-9)


def test_q_at_the_own_action_is_the_factual_return_for_every_tested_agent(groups):
    copies = np.arange(len(groups.returns))
    for g, agent in enumerate(groups.agents):
        np.testing.assert_array_equal(groups.q[copies, g, groups.actions[:, agent]], groups.returns)
    assert len(set(np.round(groups.returns, 6))) > 1  # copies have independent futures


def test_chunking_and_the_uniform_path_change_no_number(setting, groups):
    _, scenario, snapshot, policy = setting
    chunked = cf.sample_counterfactuals(policy, snapshot, scenario, 4, 2, GAMMA, HORIZON, np.random.default_rng(1), 3)
    np.testing.assert_array_equal(chunked.q, groups.q)
    np.testing.assert_array_equal(chunked.removed, groups.removed)
    env = BatchedEnv.fork(snapshot, scenario, 3, seed=0)
    np.testing.assert_array_equal(
        policy.sample(env.state, np.random.default_rng(4)),
        policy.sample_from_uniforms(env.state, np.random.default_rng(4).random(env.decision.n_agents)),
    )


# ----------------------------------------------------------------------------------------------------------
# The removed job (R_−i)
# ----------------------------------------------------------------------------------------------------------


def test_the_removed_job_copy_has_one_fewer_job_and_the_same_arrivals(setting):
    _, scenario, snapshot, _ = setting
    env = BatchedEnv.fork(snapshot, scenario, 2)  # identical futures
    n_agents = int(snapshot.offsets[1])
    decision = env.remove_jobs(np.array([n_agents + 1]))  # copy 1's second job
    assert np.diff(decision.offsets).tolist() == [n_agents, n_agents - 1]
    np.testing.assert_array_equal(env.state.job_cpu[n_agents:], np.delete(env.state.job_cpu[:n_agents], 1))
    np.testing.assert_array_equal(env.state.job_id[n_agents:], np.delete(env.state.job_id[:n_agents], 1))
    assert env.state.arrived[1] == env.state.arrived[0] - 1
    assert_invariants(env.state)
    actions = np.zeros(n_agents, dtype=np.int64)
    env.step(np.concatenate([actions, np.delete(actions, 1)]))
    assert_invariants(env.state)
    first, second = (slice(*env.state.offsets[c : c + 2]) for c in (0, 1))
    np.testing.assert_array_equal(env.state.job_cpu[first], env.state.job_cpu[second])
    np.testing.assert_array_equal(env.state.job_id[first], env.state.job_id[second])


@pytest.mark.parametrize(("agents", "message"), [([99], "allowed: indices in"), ([0, 0], "distinct"), ([0.5], "1-D")])
def test_remove_jobs_rejects_bad_indices(setting, agents, message):
    _, scenario, snapshot, _ = setting
    env = BatchedEnv.fork(snapshot, scenario, 1)
    with pytest.raises(ValueError, match=message):
        env.remove_jobs(np.array(agents))
    assert env.decision.n_agents == snapshot.offsets[1]  # unchanged


def test_the_removed_member_is_the_replay_without_the_job(setting):
    _, scenario, snapshot, policy = setting
    n_agents, k = int(snapshot.offsets[1]), scenario.n_clusters
    factual = np.zeros((1, n_agents), dtype=np.int64)
    arrivals, draws = _streams(1, 3)
    returns, _ = cf.rollout_groups(policy, snapshot, scenario, factual, np.array([0]), arrivals, draws, GAMMA, HORIZON)
    env = BatchedEnv.fork(snapshot, scenario, 1)
    env.state.rngs = [copy.deepcopy(arrivals[0])]
    env.remove_jobs(np.array([0]))
    draw = _streams(1, 3)[1][0]
    total, discount = env.step(factual[0, 1:]).reward[0], 1.0
    for _ in range(HORIZON - 1):
        discount *= GAMMA
        uniforms = draw.random(env.decision.n_agents)
        total += discount * env.step(policy.sample_from_uniforms(env.state, uniforms)).reward[0]
    assert returns[k] == pytest.approx(total, rel=1e-12)


# ----------------------------------------------------------------------------------------------------------
# Baselines: independent of the own action, hence unbiased
# ----------------------------------------------------------------------------------------------------------


def _with_own_action(samples: cf.CounterfactualSamples, score_all: np.ndarray, g: int, action: int):
    """The same groups had tested agent g chosen ``action`` in every copy (its Q, and so R, then follow)."""
    agent = samples.agents[g]
    actions = samples.actions.copy()
    actions[:, agent] = action
    score = samples.score.copy()
    score[:, g] = score_all[action, agent]
    return replace(samples, actions=actions, score=score, returns=samples.q[:, g, action].copy())


def _score_all(setting, samples):
    _, scenario, snapshot, policy = setting
    one = BatchedEnv.fork(snapshot, scenario, 1)
    n_agents = int(snapshot.offsets[1])
    return np.stack([policy.score(one.state, np.full(n_agents, k)) for k in range(scenario.n_clusters)])


def _expected_gradient(setting, samples, baseline_of) -> np.ndarray:
    """E_{a_i ~ π}[s(a_i)(Q(a_i) − b)] for tested agent 0, exactly (a sum over the K actions), per copy."""
    score_all = _score_all(setting, samples)
    total = 0.0
    for k, p in enumerate(samples.probabilities[0]):
        swapped = _with_own_action(samples, score_all, 0, k)
        total = total + p * swapped.score[:, 0] * (swapped.returns - baseline_of(swapped))[:, None]
    return total


@pytest.mark.parametrize("name", ["coma", "ob", "difference"])
def test_baselines_do_not_depend_on_the_own_action_so_the_estimators_are_unbiased(setting, groups, name):
    def baseline(samples):
        return samples.returns - cf.baseline_weights(samples, 1.0, state_value=0.0)[name][:, 0]

    score_all = _score_all(setting, groups)
    swapped = [baseline(_with_own_action(groups, score_all, 0, k)) for k in range(groups.q.shape[2])]
    for other in swapped[1:]:
        np.testing.assert_allclose(other, swapped[0], rtol=1e-12)
    true = _expected_gradient(setting, groups, lambda s: 0.0)  # E[s·Q], the plain estimator's mean
    np.testing.assert_allclose(_expected_gradient(setting, groups, baseline), true, rtol=1e-9, atol=1e-9)


def test_negative_control_an_own_action_baseline_is_detected(setting, groups):
    def own_action_baseline(samples):
        # Difference rewards through the production weights, but with agent i's job kept where it went:
        # "R_−i" := Q(a_−i, a_i) depends on a_i, so the estimator is biased (the exact game's keep_own_job)
        kept = replace(samples, removed=samples.returns[:, None].repeat(samples.removed.shape[1], axis=1))
        return samples.returns - cf.baseline_weights(kept, 1.0, state_value=0.0)["difference"][:, 0]

    score_all = _score_all(setting, groups)
    first, second = (own_action_baseline(_with_own_action(groups, score_all, 0, k)) for k in (0, 1))
    assert not np.allclose(first, second)
    true = _expected_gradient(setting, groups, lambda s: 0.0)
    assert not np.allclose(_expected_gradient(setting, groups, own_action_baseline), true, rtol=1e-6)


def test_the_optimal_baseline_is_comas_when_every_score_has_the_same_norm(groups):
    flat = replace(groups, score_norm2=np.ones_like(groups.score_norm2))
    weights = cf.baseline_weights(flat, 2.0, state_value=0.0)
    np.testing.assert_allclose(weights["ob"], weights["coma"], rtol=1e-12)
    assert not np.allclose(cf.baseline_weights(groups, 2.0, state_value=0.0)["ob"], weights["coma"])


def test_trainer_units_are_the_trainers_formulas():
    from dgpg_theory.ppo.advantages import RunningNormalizer, standardize

    rng = np.random.default_rng(0)
    returns, coefficient = rng.normal(size=6), rng.normal(size=(6, 3))
    advantage = returns - (returns.sum() - returns) / 5
    scales = TrainerScales.fit(advantage, coefficient)
    standardized, normalized = scales.apply(advantage, coefficient, clip=1.5)
    np.testing.assert_allclose(standardized, standardize(advantage))
    normalizer = RunningNormalizer()
    normalizer.update(coefficient.reshape(-1))
    np.testing.assert_allclose(normalized, normalizer.normalize(coefficient, 1.5))
    assert np.abs(normalized).max() == 1.5


def test_counterfactual_estimators_take_the_state_baseline_and_eq11_scales_from_the_fork(setting):
    """On the counterfactual copies the state baseline is the fork's mean return and Eq 11's scales are the
    fork's, so the α = 0 control is the state baseline's estimator divided by the fork's advantage spread: the
    same relative variance, a per-agent variance that is not forced to ≈ E‖∇log π‖² by the copies' own spread."""
    scale, *_, policy = setting
    config = gs.SamplingConfig(copies=8, horizon=HORIZON, warmup_steps=40, nested_outer=2, nested_inner=2,
                               counterfactuals=True, counterfactual_copies=3)  # fmt: skip
    cell = gs.sample_cell(policy, scale, 0, config, np.random.SeedSequence(5))
    fork, groups = cell.fork, cell.counterfactual
    moments = estimator_moments(cell, factor=2.0)
    loo, control = moments["loo"], moments[cf.EQ11_CONTROL]
    advantage = fork.returns - (fork.returns.sum() - fork.returns) / (len(fork.returns) - 1)
    divisor = TrainerScales.fit(advantage, fork.coefficient).advantage_divisor
    assert control["var"] == pytest.approx(loo["var"] / (2.0 * divisor) ** 2, rel=1e-9)
    assert control["signal"] == pytest.approx(loo["signal"] / (2.0 * divisor) ** 2, rel=1e-9, abs=1e-300)
    expected_loo = 2.0 * (groups.returns - fork.returns.mean())
    weights = cf.baseline_weights(groups, 2.0, float(fork.returns.mean()))["loo"]
    np.testing.assert_allclose(weights[:, 0], expected_loo, rtol=1e-12)


# ----------------------------------------------------------------------------------------------------------
# --estimators and the scan
# ----------------------------------------------------------------------------------------------------------


def test_parse_estimators():
    assert cf.parse_estimators("all") == cf.ESTIMATORS
    assert cf.parse_estimators("dg, plain") == ("plain", "dg")
    for bad in ("plain,foo", "", "loo,loo", "all,plain"):
        with pytest.raises(ArgumentError, match="allowed: a comma list of plain, loo, coma, ob, difference, dg"):
            cf.parse_estimators(bad)


def test_bad_estimators_exit_2_naming_the_flag_the_value_and_the_names(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        variance_scan.main(["--n", "5", "--estimators", "coma,foo", "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--estimators: estimators='coma,foo'; allowed: a comma list of plain, loo, coma, ob, difference, dg" in err
    assert not (tmp_path / "out").exists()


TINY = ScanConfig(n=(5, 10), samples=8, replicates=2, seed=3, horizon=5, warmup_steps=40, nested_outer=2,
                  nested_inner=2)  # fmt: skip


@pytest.fixture(scope="module")
def scans():
    return run_scan(TINY), run_scan(replace(TINY, estimators="all", counterfactual_copies=3))


def test_the_default_scan_runs_no_counterfactual_and_counterfactuals_change_no_existing_number(scans):
    default, full = scans
    assert default["estimators"]["source"] == "fork" and full["estimators"]["source"] == "counterfactual"
    assert all(c["counterfactual_seconds"] == 0 for c in default["cells"])
    assert set(full["estimators"]["slopes"]) == set(cf.variant_names(cf.ESTIMATORS))
    assert set(default["estimators"]["slopes"]) == set(cf.variant_names(cf.DEFAULT_ESTIMATORS))
    for key in ("per_n", "slopes", "by_reward_scale", "by_phase"):
        assert default[key] == full[key]
    for a, b in zip(default["cells"], full["cells"], strict=True):
        assert a["scales"] == b["scales"]
    for row in full["estimators"]["per_n"]:
        assert row["copies"] == 3 and row["ob"]["var"] > 0 and len(row["difference"]["var_ci"]) == 2
    assert full["estimators"]["claims"]["ob"] is None and full["estimators"]["slopes"]["ob"]["claim"] == "Theta(N)"
