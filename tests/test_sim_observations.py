"""Observations of H.2: dimensions, ranges, the task block, and the per-server feature arrays."""

import numpy as np
import pytest

from sim.env import BatchedEnv
from sim.observations import job_features, observation_size, observations, server_features, task_slots
from sim.scales import resolve_scale
from sim.scenario import make_scenario


@pytest.mark.parametrize("scale_name", ["tiny", "standard", "heavy", "xlarge"])
def test_observation_dimensions_and_ranges(scale_name):
    scale = resolve_scale(scale_name)
    env = BatchedEnv([make_scenario(scale, "train", i) for i in range(2)])
    env.reset()
    rng = np.random.default_rng(0)
    for _ in range(120):
        env.step(rng.integers(0, env.n_clusters, env.decision.n_agents))
    obs = observations(env.state, scale)
    expected = (
        28 * scale.n_clusters + 10
        if scale.n_servers > 100
        else 7 * scale.n_servers + 2 * task_slots(scale.n_servers) + 4
    )
    assert obs.shape == (env.decision.n_agents, expected) == (env.decision.n_agents, observation_size(scale))
    assert np.isfinite(obs).all() and obs.min() >= -1.0 and obs.max() <= 1.5
    np.testing.assert_allclose(obs[:, -2], env.state.t / 3000)  # the time feature
    np.testing.assert_allclose(obs[:, -4:-2], job_features(env.state))  # the agent's own job


def test_full_observation_lists_the_concurrent_jobs():
    scale = resolve_scale("small")
    env = BatchedEnv([make_scenario(scale, "test", i) for i in range(2)])
    env.reset()
    for _ in range(40):
        env.step_heuristic("best-fit")
    obs, jobs, d = observations(env.state, scale), job_features(env.state), env.decision
    start = 7 * scale.n_servers
    for b in range(2):
        rows = slice(d.offsets[b], d.offsets[b + 1])
        block = obs[rows, start : start + 2 * task_slots(scale.n_servers)].reshape(-1, task_slots(scale.n_servers), 2)
        n = d.offsets[b + 1] - d.offsets[b]
        assert (block == block[:1]).all(), "every agent of a copy sees the same task block"
        if n:
            np.testing.assert_allclose(block[0, :n], jobs[rows])
            assert (block[0, n:] == 0).all()


def test_server_features_follow_the_state():
    env = BatchedEnv([make_scenario("compact", "test", 0)])
    env.reset()
    for _ in range(100):
        env.step_heuristic("best-fit")
    features = server_features(env.state)
    s = env.state
    assert features.shape == (1, 10, 7)
    np.testing.assert_allclose(features[..., 0], s.used[..., 0] / s.capacity[..., 0])
    np.testing.assert_allclose(features[..., 2], np.minimum(s.q_len, 50) / 50)
    np.testing.assert_allclose(features[..., 3:5], s.efficiency)
