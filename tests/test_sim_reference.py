"""The batched numba kernels against the plain-Python reference (sim/reference.py), step for step."""

import numpy as np
import pytest

from sim.env import BatchedEnv
from sim.reference import ReferenceCluster
from sim.scenario import make_scenario
from sim.workload import Jobs


def _jobs_of_copy(env: BatchedEnv, b: int) -> Jobs:
    s = env.state
    rows = slice(s.offsets[b], s.offsets[b + 1])
    return Jobs(s.job_cpu[rows].copy(), s.job_mem[rows].copy(), s.job_dur[rows].copy(), np.zeros(0, bool))


@pytest.mark.parametrize(
    ("scale", "rule", "steps", "queue_model"),
    [
        ("small", "agent", 400, "bounded-redispatch"),
        ("medium", "agent", 250, "bounded-redispatch"),
        (12, "agent", 300, "bounded-redispatch"),
        ("standard", "best-fit", 300, "bounded-redispatch"),
        ("medium", "guidance-greedy", 200, "bounded-redispatch"),
        ("small", "agent", 400, "binding"),
        ("medium", "agent", 250, "binding"),
        (12, "agent", 300, "binding"),
        ("standard", "best-fit", 300, "binding"),
        ("medium", "guidance-greedy", 200, "binding"),
    ],
)
def test_kernels_match_reference(scale, rule, steps, queue_model):
    scenarios = [make_scenario(scale, "train", i, seed=3) for i in range(2)]
    env = BatchedEnv(scenarios, queue_model=queue_model)
    env.reset()
    references = [ReferenceCluster(sc, queue_model) for sc in scenarios]
    policy = np.random.default_rng(11)
    # A random policy with a bias toward cluster 0 overloads it, so queues and the buffer are exercised.
    for t in range(steps):
        d = env.decision
        for b, ref in enumerate(references):
            ref.housekeeping(t)  # the env ran step t's housekeeping at the end of its previous step()
            assert env.state.g_len[b] == len(ref.buffer)
            assert env.state.q_len[b].tolist() == [len(s.queue) for s in ref.servers]
            assert env.state.used[b].tolist() == [s.used for s in ref.servers]
            x, x_ref = ref.analytical_state()
            np.testing.assert_allclose(d.x[b], x, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(d.x_ref[b], x_ref, rtol=1e-12, atol=1e-12)
        actions = np.where(policy.random(d.n_agents) < 0.3, 0, policy.integers(0, env.n_clusters, d.n_agents))
        jobs = [_jobs_of_copy(env, b) for b in range(len(references))]
        result = env.step(actions) if rule == "agent" else env.step_heuristic(rule)
        for b, ref in enumerate(references):
            rows = slice(d.offsets[b], d.offsets[b + 1])
            expected = ref.place(t, jobs[b], actions[rows], rule)
            assert result.server[rows].tolist() == [e[0] for e in expected]
            assert result.outcome[rows].tolist() == [e[1] for e in expected]
            np.testing.assert_allclose(result.coefficient[rows], [e[2] for e in expected], rtol=1e-10, atol=1e-12)
            assert result.reward[b] == pytest.approx(ref.reward(), rel=1e-12)
    for ref in references:
        ref.housekeeping(steps)
    assert [r.completed for r in references] == env.state.completed.tolist()
    assert env.state.g_len.sum() + env.state.q_len.sum() > 0, "the test must exercise queues or the buffer"
    if queue_model == "binding" and rule == "agent":  # the biased policy must grow a queue past the old bound
        assert env.state.q_cpu.shape[2] > 50


def test_parallel_kernels_equal_serial_kernels():
    """A batch of ≥ PARALLEL_MIN_COPIES copies runs the parallel kernels; one copy at a time runs the serial ones."""
    from sim.kernels import PARALLEL_MIN_COPIES

    scenarios = [make_scenario("medium", "train", i) for i in range(PARALLEL_MIN_COPIES + 1)]
    batched = BatchedEnv(scenarios)
    batched.reset()
    singles = [BatchedEnv([s]) for s in scenarios]
    for env in singles:
        env.reset()
    for t in range(150):
        rule = "best-fit" if t % 2 else "guidance-greedy"
        together = batched.step_heuristic(rule)
        alone = [env.step_heuristic(rule) for env in singles]
        np.testing.assert_array_equal(together.reward, [r.reward[0] for r in alone])
        np.testing.assert_array_equal(together.coefficient, np.concatenate([r.coefficient for r in alone]))
