"""Conservation and capacity invariants (issue #2 §4), under fuzzed policies and scales for 10⁴ steps."""

import numpy as np
import pytest
from sim_helpers import assert_invariants, assert_pool_partition

from sim.env import BatchedEnv
from sim.kernels import QUEUE_MODELS
from sim.scales import resolve_scale
from sim.scenario import make_scenario
from sim.workload import EPISODE_STEPS


def _fuzz_actions(rng: np.random.Generator, env: BatchedEnv, style: str) -> np.ndarray:
    n = env.decision.n_agents
    if style == "one-cluster":  # every job to action 0: overloads one server, fills its queue and the buffer
        return np.zeros(n, dtype=np.int64)
    return rng.integers(0, env.n_clusters, n)


def _due(state, step: int) -> bool:
    """Whether to check the invariants at this step: every step while queues are short; every 10th once a
    binding queue is long, since the check walks every queue (a lost or duplicated job stays detectable)."""
    return step % 10 == 0 or int(state.q_len.max(initial=0)) <= 200


def test_invariants_hold_for_ten_thousand_fuzzed_steps():
    rng = np.random.default_rng(2026)
    steps_done = 0
    styles = ["random", "one-cluster", "best-fit", "guidance-greedy"]
    while steps_done < 10_000:
        n = int(rng.integers(2, 13))
        divisors = [k for k in range(1, n + 1) if n % k == 0]
        scale = resolve_scale(n, int(rng.choice(divisors)))
        scenarios = [make_scenario(scale, "train", int(i), seed=int(rng.integers(0, 1000))) for i in range(3)]
        queue_model = sorted(QUEUE_MODELS)[int(rng.integers(0, len(QUEUE_MODELS)))]
        env = BatchedEnv(scenarios, workload_seed=int(rng.integers(0, 2**31)), queue_model=queue_model)
        env.reset()
        start = int(rng.integers(0, 3)) * 900  # also cover the drain at the end of the episode
        for _ in range(start):
            env.step(rng.integers(0, env.n_clusters, env.decision.n_agents))
        style = styles[int(rng.integers(0, len(styles)))]
        for step in range(min(600, EPISODE_STEPS - env.state.t)):
            if _due(env.state, step):
                assert_invariants(env.state)
            if style in ("best-fit", "guidance-greedy"):
                result = env.step_heuristic(style)
            else:
                result = env.step(_fuzz_actions(rng, env, style))
            steps_done += 1
            if result.done:
                break
        assert_invariants(env.state)
        assert_pool_partition(env.state)


def test_overload_exercises_queues_and_buffer():
    """The invariants above are only meaningful if full queues and the global buffer actually occur (the buffer
    as an overflow exists under bounded-redispatch)."""
    env = BatchedEnv([make_scenario("small", "test", 0)], queue_model="bounded-redispatch")
    env.reset()
    longest_queue, buffered = 0, 0
    for _ in range(400):
        result = env.step(np.zeros(env.decision.n_agents, dtype=np.int64))
        longest_queue = max(longest_queue, int(env.state.q_len.max()))
        buffered += int((result.outcome == 2).sum())  # the buffer is re-dispatched at the next step's start
        assert_invariants(env.state)
    assert longest_queue == 50 and buffered > 0


def test_invariant_check_catches_a_lost_job():
    """Negative control: dropping one queued job must be detected."""
    env = BatchedEnv([make_scenario("small", "test", 0)])
    env.reset()
    for _ in range(200):
        env.step(np.zeros(env.decision.n_agents, dtype=np.int64))
    env.state.g_len[0] -= 1
    with pytest.raises(AssertionError, match="lost"):
        assert_invariants(env.state)


def test_all_jobs_complete_by_the_end_of_a_best_fit_episode():
    env = BatchedEnv([make_scenario("compact", "test", i) for i in range(2)])
    env.reset()
    while not env.step_heuristic("best-fit").done:
        pass
    assert_invariants(env.state)
    np.testing.assert_array_equal(env.state.completed, env.state.arrived)


def test_invariants_at_cluster_scale_with_the_parallel_kernels():
    """B ≥ 8 copies run the parallel kernels; N = 50 runs the cluster action with Best-Fit inside clusters."""
    env = BatchedEnv([make_scenario("medium", "train", i) for i in range(9)], workload_seed=3)
    env.reset()
    rng = np.random.default_rng(8)
    for t in range(400):
        if _due(env.state, t):
            assert_invariants(env.state)
        if t % 5 == 4:
            env.step_heuristic("best-fit")
        else:
            env.step(np.where(rng.random(env.decision.n_agents) < 0.5, 0, rng.integers(0, 25, env.decision.n_agents)))
    assert_invariants(env.state)
    assert env.state.g_len.sum() + env.state.q_len.sum() > 0


def test_a_job_is_released_exactly_at_the_end_of_its_service_time():
    """The longest job (150 steps) on the slowest server (η = 0.70) runs 214 steps: the wheel must not wrap."""
    index = 0
    while True:  # a scenario whose first step has an arrival
        env = BatchedEnv([make_scenario("tiny", "test", index)])
        if env.reset().n_agents:
            break
        index += 1
    s = env.state
    slow = int(np.argmin(s.efficiency[0, :, 0]))
    s.job_cpu[:], s.job_mem[:], s.job_dur[:] = 1000, 1000, 150.0
    steps = int(np.floor(150.0 / s.efficiency[0, slow, 0] + 0.5))
    slot = steps % 256
    n_jobs = env.decision.n_agents
    env.step(np.full(n_jobs, slow, dtype=np.int64))  # started at t = 0 on an empty cluster
    rng = np.random.default_rng(0)
    while env.state.t < steps:
        assert env.state.wheel_res[0, slot, slow, 0] >= 1000 * n_jobs, "released too early"
        env.step(rng.integers(0, 2, env.decision.n_agents))
    assert env.state.wheel_res[0, slot, slow, 0] == 0 and env.state.wheel_cnt[0, slot, slow] == 0
