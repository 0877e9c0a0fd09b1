"""Unit tests of dgpg_theory.measurement.policies and .samples on small warmed-up simulator states."""

import numpy as np
import pytest
import scipy.stats

from dgpg_theory.measurement import samples as gs
from dgpg_theory.measurement.policies import FlatLinearPolicy, ScoringPolicy, make_policy, softmax
from sim import analytical
from sim.env import BatchedEnv
from sim.observations import observations
from sim.scales import resolve_scale
from sim.scenario import make_scenario

SMALL = gs.SamplingConfig(copies=32, horizon=12, warmup_steps=60, nested_outer=4, nested_inner=3)


@pytest.fixture(scope="module", params=[10, 50], ids=["servers", "clusters"])
def warmed(request):
    """A two-copy batch after 80 Best-Fit steps, at N = 10 (action = server) and N = 50 (action = cluster)."""
    scale = resolve_scale(request.param)
    env = BatchedEnv([make_scenario(scale, "test", i) for i in range(2)])
    env.reset()
    for _ in range(80):
        env.step_heuristic("best-fit")
    assert env.decision.n_agents > 0
    return scale, env


def _log_prob(policy: ScoringPolicy, theta: np.ndarray, state, actions: np.ndarray) -> np.ndarray:
    moved = ScoringPolicy(theta, policy.scale)
    return np.log(moved.probabilities(state)[np.arange(len(actions)), actions])


def test_scoring_score_function_matches_finite_differences(warmed):
    scale, env = warmed
    policy = make_policy("scoring", scale, seed=3)
    actions = np.arange(env.decision.n_agents) % scale.n_clusters
    score = policy.score(env.state, actions)
    step = 1e-6
    for k in range(policy.n_parameters):
        delta = np.zeros(policy.n_parameters)
        delta[k] = step
        numeric = (
            _log_prob(policy, policy.theta + delta, env.state, actions)
            - _log_prob(policy, policy.theta - delta, env.state, actions)
        ) / (2 * step)
        np.testing.assert_allclose(score[:, k], numeric, atol=1e-6)


def test_negative_control_finite_differences_detect_a_wrong_score(warmed):
    scale, env = warmed
    policy = make_policy("scoring", scale, seed=3)
    actions = np.arange(env.decision.n_agents) % scale.n_clusters
    wrong = policy.features(env.state)[np.arange(len(actions)), actions]  # φ(a) without the − E_π φ term
    delta = np.zeros(policy.n_parameters)
    delta[0] = 1e-6
    numeric = (
        _log_prob(policy, policy.theta + delta, env.state, actions)
        - _log_prob(policy, policy.theta - delta, env.state, actions)
    ) / 2e-6
    assert np.abs(wrong[:, 0] - numeric).max() > 1e-3


def test_uniform_policy_is_uniform_and_its_score_is_centred(warmed):
    scale, env = warmed
    policy = make_policy("uniform", scale, seed=0)
    np.testing.assert_allclose(policy.probabilities(env.state), 1.0 / scale.n_clusters)
    all_scores = np.stack([policy.score(env.state, np.full(env.decision.n_agents, a)) for a in range(scale.n_clusters)])
    np.testing.assert_allclose(all_scores.mean(axis=0), 0.0, atol=1e-12)  # E_π[∇ log π] = 0


def test_flat_policy_matches_the_h2_observation_and_its_score_is_an_isometry(warmed):
    scale, env = warmed
    policy = make_policy("flat", scale, seed=5)
    assert isinstance(policy, FlatLinearPolicy)
    obs = observations(env.state, scale)
    expected = softmax(obs @ policy.weights.T + policy.bias)
    np.testing.assert_allclose(policy.probabilities(env.state), expected, atol=1e-12)
    # Per agent, across the actions a copy may take, the compact score has the Gram matrix of (e_a − π) ⊗ (o, 1):
    # the only inner products the statistics use (agents sit in separate coordinate blocks).
    extended = np.hstack([obs, np.ones((len(obs), 1))])
    every_action = [policy.score(env.state, np.full(len(obs), a)) for a in range(scale.n_clusters)]
    for agent in range(min(len(obs), 5)):
        compact = np.stack([s[agent] for s in every_action])  # [K, K]
        full = np.stack(
            [np.kron(np.eye(scale.n_clusters)[a] - expected[agent], extended[agent]) for a in range(scale.n_clusters)]
        )
        np.testing.assert_allclose(compact @ compact.T, full @ full.T, rtol=1e-9, atol=1e-9)
    assert policy.n_parameters == scale.n_clusters * (obs.shape[1] + 1)


@pytest.mark.parametrize("name", ["scoring", "flat"])
def test_sampler_draws_from_the_policy_and_a_wrong_reference_is_rejected(warmed, name):
    scale, env = warmed
    policy = make_policy(name, scale, seed=1)
    probabilities = policy.probabilities(env.state)
    rng = np.random.default_rng(0)
    draws = np.stack([policy.sample(env.state, rng) for _ in range(2000)])  # [2000, A]
    counts = np.stack([(draws == k).sum(axis=0) for k in range(scale.n_clusters)], axis=1)

    def p_value(reference: np.ndarray) -> float:
        expected = 2000 * reference
        keep = expected > 5
        statistic = ((counts - expected) ** 2 / np.maximum(expected, 1e-12))[keep].sum()
        return scipy.stats.chi2.sf(statistic, keep.sum() - len(reference))

    assert p_value(probabilities) > 1e-4
    assert p_value(np.full_like(probabilities, 1.0 / scale.n_clusters)) < 1e-4  # negative control


def test_fork_samples_share_the_decision_and_record_eq9_coefficients():
    scale = resolve_scale(10)
    scenario = make_scenario(scale, "test", 0)
    snapshot = gs.warm_snapshot(scenario, 60)
    policy = make_policy("scoring", scale, seed=0)
    config = gs.SamplingConfig(copies=16, horizon=1, warmup_steps=60, nested_outer=2, nested_inner=2)
    fork = gs.sample_fork(policy, snapshot, scenario, scale, config, np.random.default_rng(0))
    n_agents = int(snapshot.offsets[1])
    assert fork.score.shape == (16, n_agents, 9) and fork.coefficient.shape == (16, n_agents)
    # same observation in every copy: equal actions give equal scores, and with K = N, c = ⟨x − x̃, z⟩ at the action
    first = fork.actions[0]
    same = (fork.actions == first).all(axis=1)
    np.testing.assert_allclose(fork.score[same], np.broadcast_to(fork.score[0], fork.score[same].shape))
    one = BatchedEnv.fork(snapshot, scenario, 1)
    expected = analytical.coefficients_for_all_servers(one.state, one.decision.x, one.decision.x_ref)
    np.testing.assert_allclose(fork.coefficient, expected[np.arange(n_agents), fork.actions])
    # H = 1: the return is the fork step's reward
    env = BatchedEnv.fork(snapshot, scenario, 1)
    reward = env.step(fork.actions[0]).reward[0]
    assert fork.returns[0] == pytest.approx(reward)


def test_nested_batch_holds_the_agent_action_fixed_per_group():
    scale = resolve_scale(5)
    scenario = make_scenario(scale, "test", 1)
    snapshot = gs.warm_snapshot(scenario, 60)
    policy = make_policy("scoring", scale, seed=0)
    nested = gs.sample_nested(policy, snapshot, scenario, scale, SMALL, np.random.default_rng(2))
    assert nested.returns.shape == (SMALL.nested_outer, SMALL.nested_inner)
    # K = N: the landing server is the action, so c depends on the agent's own action only
    assert np.all(nested.coefficient == nested.coefficient[:, :1])


def test_sample_cell_is_deterministic_given_its_seed():
    scale = resolve_scale(5)
    policy = make_policy("scoring", scale, seed=0)
    a, b = (gs.sample_cell(policy, scale, 1, SMALL, np.random.SeedSequence([9, 5, 1])) for _ in range(2))
    np.testing.assert_array_equal(a.fork.returns, b.fork.returns)
    np.testing.assert_array_equal(a.nested.returns, b.nested.returns)
    c = gs.sample_cell(policy, scale, 1, SMALL, np.random.SeedSequence([10, 5, 1]))
    assert not np.array_equal(a.fork.returns, c.fork.returns)


def test_chunked_rollouts_keep_shapes():
    scale = resolve_scale(5)
    config = gs.SamplingConfig(
        copies=10, horizon=5, warmup_steps=40, nested_outer=2, nested_inner=2, max_copies_per_batch=3
    )
    policy = make_policy("scoring", scale, seed=0)
    scenario = make_scenario(scale, "test", 0)
    fork = gs.sample_fork(policy, gs.warm_snapshot(scenario, 40), scenario, scale, config, np.random.default_rng(0))
    assert fork.returns.shape == (10,) and np.all(np.isfinite(fork.returns))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"copies": 1}, "copies=1"),
        ({"gamma": 1.0}, "gamma"),
        ({"nested_inner": 1}, "nested_inner"),
        ({"horizon": 5000}, "episode"),
    ],
)
def test_sampling_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gs.SamplingConfig(**kwargs)


@pytest.mark.parametrize("name", ["checkpoint:model.pt", "mlp"])
def test_make_policy_rejects_unknown_policies(name):
    with pytest.raises(ValueError, match="allowed"):
        make_policy(name, resolve_scale(5), 0)


@pytest.mark.parametrize("name", ["uniform", "flat"])
def test_every_policy_runs_a_cell(name):
    from dgpg_theory.measurement.moments import cell_moments

    scale = resolve_scale(50)
    policy = make_policy(name, scale, seed=0)
    samples = gs.sample_cell(policy, scale, 0, SMALL, np.random.SeedSequence([0, 50, 0]))
    moments = cell_moments(samples, 0, policy.n_parameters)
    assert np.isfinite(moments.scales["paper"].var_j) and moments.scales["paper"].var_g > 0
    assert samples.fork.score.shape[2] == (scale.n_clusters if name == "flat" else 9)
