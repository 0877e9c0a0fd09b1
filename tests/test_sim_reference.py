"""The batched numba kernels against the plain-Python reference (sim/reference.py), step for step."""

import numpy as np
import pytest

from sim.env import BatchedEnv
from sim.kernels import QUEUE_SLOTS
from sim.reference import ReferenceCluster
from sim.scenario import make_scenario
from sim.workload import Jobs, service_steps


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
        ("small", "agent", 400, "binding-backfill"),
        (12, "agent", 300, "binding-backfill"),
        ("medium", "guidance-greedy", 200, "binding-backfill"),
        ("medium", "agent", 250, "bounded-redispatch-backfill"),
        ("standard", "best-fit", 300, "bounded-redispatch-backfill"),
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
    for b, ref in enumerate(references):  # every local queue holds the same jobs in the same order
        for j, server in enumerate(ref.servers):
            expected = [
                (cpu, mem, int(service_steps(duration, server.efficiency[0]))) for cpu, mem, duration in server.queue
            ]
            assert env.state.queue_contents(b, j) == expected
    if queue_model == "binding" and rule == "agent":  # the biased policy must grow the pool past its first size
        assert env.state.pool_slots > env.n_servers * QUEUE_SLOTS


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


def test_the_parallel_and_serial_builds_are_cached_apart():
    """numba names an on-disk cache entry after the function, not its flags: builds sharing a name would load each
    other's code, and the parallel-equals-serial tests would compare one build with itself."""
    from sim import kernels

    for parallel, serial in (
        (kernels.housekeeping_parallel, kernels.housekeeping_serial),
        (kernels.place_jobs_parallel, kernels.place_jobs_serial),
    ):
        assert parallel.targetoptions.get("parallel") and not serial.targetoptions.get("parallel")
        assert parallel.py_func.__qualname__ != serial.py_func.__qualname__


def _released_room() -> np.ndarray:
    """(cpu, mem) that the release of ``_one_queue_behind_a_release`` frees: a quarter of server 0."""
    return (make_scenario("small", "train", 0).capacity[0] // 4).astype(np.int32)


def _one_queue_behind_a_release(queue_model: str, jobs: list[tuple[int, int, int]]):
    """Server 0 of a small copy full, a release of ``_released_room()`` due at t = 2, and ``jobs``
    (cpu, mem, steps) in its local queue, head first."""
    from sim.state import initial_state

    state = initial_state([make_scenario("small", "train", 0)], [np.random.default_rng(0)], queue_model)
    cap, release = state.capacity[0, 0], _released_room()
    state.used[0, 0] = cap
    state.wheel_res[0, 2, 0], state.wheel_res[0, 3, 0] = release, cap - release
    state.wheel_cnt[0, 2:4, 0] = 1
    state.running[0, 0] = 2
    for k, (cpu, mem, steps) in enumerate(jobs):
        state.q_cpu[0, k], state.q_mem[0, k], state.q_steps[0, k], state.q_next[0, k] = cpu, mem, steps, k + 1
        state.queued[0, 0] += (cpu, mem)
    state.q_next[0, len(jobs) - 1] = -1
    state.q_head[0, 0], state.q_tail[0, 0], state.q_len[0, 0] = 0, len(jobs) - 1, len(jobs)
    state.q_top[0] = state.q_used[0] = len(jobs)
    return state


def _housekeeping(build: str, t: int, state) -> None:
    from sim import kernels

    getattr(kernels, build)(
        t, state.queue_limit, state.redispatch, state.backfill, state.capacity, state.efficiency, state.used,
        state.wheel_res, state.wheel_cnt, state.running, *state.queue_pool, state.queued, state.g_cpu, state.g_mem,
        state.g_dur, state.g_len, state.completed,
    )  # fmt: skip


@pytest.mark.parametrize("build", ["housekeeping_parallel", "housekeeping_serial"])
def test_one_release_can_start_several_queue_heads(build):
    """FIFO admission after one release starts heads while they fit (a parallel build once re-read a stale head
    and started only the first)."""
    release = _released_room()
    third = (int(release[0]) // 3, int(release[1]) // 3, 5)
    jobs = [third, third, (int(release[0]), int(release[1]), 5)]  # the first two fit together, the third not
    state = _one_queue_behind_a_release("binding", jobs)
    _housekeeping(build, 2, state)
    assert state.queue_contents(0, 0) == jobs[2:] and state.running[0, 0] == 3
    assert state.q_free[0] == 1 and state.q_next[0, 1] == 0  # released slots: the last first


@pytest.mark.parametrize("build", ["housekeeping_parallel", "housekeeping_serial"])
@pytest.mark.parametrize(("queue_model", "left"), [("binding", [0, 1, 2, 3]), ("binding-backfill", [0, 2])])
def test_backfill_starts_later_jobs_that_fit_and_fifo_does_not(build, queue_model, left):
    """A head too large for the released room: strict FIFO starts nothing, backfill starts the two small jobs
    behind it (in order) and keeps the one that does not fit either, relinking the list around the gaps."""
    release = _released_room()
    big, small = (int(release[0]) + 1, int(release[1]), 5), (int(release[0]) // 3, int(release[1]) // 3, 7)
    jobs = [big, small, big, small]
    state = _one_queue_behind_a_release(queue_model, jobs)
    _housekeeping(build, 2, state)
    assert state.queue_contents(0, 0) == [jobs[k] for k in left]
    assert state.q_len[0, 0] == len(left) and state.q_tail[0, 0] == left[-1] and state.q_next[0, left[-1]] == -1
    np.testing.assert_array_equal(state.queued[0, 0], np.sum([jobs[k][:2] for k in left], axis=0))
