"""The analytical model returned with every step (App. C–D): x, the Eq 16 reference x̃, z and c."""

import numpy as np

from sim.analytical import coefficients_for_all_servers
from sim.env import BatchedEnv
from sim.scenario import make_scenario


def _loaded_env(scale: str, steps: int = 300) -> BatchedEnv:
    env = BatchedEnv([make_scenario(scale, "train", i) for i in range(3)])
    env.reset()
    rng = np.random.default_rng(5)
    for _ in range(steps):
        env.step(rng.integers(0, env.n_clusters, env.decision.n_agents))
    return env


def test_reference_conserves_load_and_equalizes_utilization():
    env = _loaded_env("standard")
    d, s = env.decision, env.state
    np.testing.assert_allclose(d.x_ref.sum(axis=1), d.x.sum(axis=1), rtol=1e-12)  # Σ_j x̃ = C^k
    capacity_units = s.capacity / s.resource_scale[:, None, :]
    ratio = d.x_ref / capacity_units  # x̃/μ: one value per copy and resource (Eq 16)
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[:, :1, :], ratio.shape), rtol=1e-12)
    assert (d.x.std(axis=1) > 0).all(), "a loaded cluster is not exactly at the reference"


def test_guidance_coefficient_equals_brute_force():
    for scale in ("standard", "medium"):  # a server per action, and a cluster per action
        env = _loaded_env(scale)
        s, d = env.state, env.decision
        cpu, mem, copy_of = s.job_cpu.copy(), s.job_mem.copy(), s.job_copy.copy()
        committed = s.used.astype(float) + s.queued  # before this step's placements
        actions = np.random.default_rng(1).integers(0, env.n_clusters, d.n_agents)
        result = env.step(actions)
        for a in range(d.n_agents):
            b, j = copy_of[a], result.server[a]
            c_expected = 0.0
            for k, demand in enumerate((cpu[a], mem[a])):
                unit = s.capacity[b, :, k].mean()
                share = s.capacity[b, j, k] / s.capacity[b, :, k].sum()
                reference = share * committed[b, :, k].sum()
                c_expected += (demand / unit) * (committed[b, j, k] - reference) / unit
            assert np.isclose(result.coefficient[a], c_expected, rtol=1e-9, atol=1e-12)


def test_all_server_coefficients_match_the_landing_coefficient():
    env = _loaded_env("small")
    d = env.decision
    table = coefficients_for_all_servers(env.state, d.x, d.x_ref)
    result = env.step(np.random.default_rng(2).integers(0, env.n_clusters, d.n_agents))
    np.testing.assert_allclose(table[np.arange(d.n_agents), result.server], result.coefficient, rtol=1e-12)


def test_guidance_greedy_picks_the_smallest_coefficient_when_it_starts_or_queues():
    env = _loaded_env("small", steps=50)
    d, s = env.decision, env.state
    first_of_copy = d.offsets[:-1][np.diff(d.offsets) > 0]  # the first job of a copy sees the pre-step state
    table = coefficients_for_all_servers(s, d.x, d.x_ref)
    demand = np.stack([s.job_cpu, s.job_mem], axis=1)
    admissible = (s.capacity[d.job_copy] >= demand[:, None, :]).all(axis=2) & (s.q_len[d.job_copy] < 50)
    result = env.step_heuristic("guidance-greedy")
    assert len(first_of_copy) > 0
    for a in first_of_copy:
        if result.outcome[a] != 2:
            assert table[a, result.server[a]] == table[a, admissible[a]].min()
