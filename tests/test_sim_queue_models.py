"""The queue models (sim/SPEC.md, "Queue models"): binding placements are final and nobody else places a job;
bounded-redispatch is today's model, bit for bit; the backfill variants never keep a job waiting that fits."""

import numpy as np
import pytest
from sim_helpers import assert_invariants, assert_pool_partition

from sim.env import BatchedEnv
from sim.heuristics import run_episodes
from sim.kernels import OUTCOME_BUFFERED, OUTCOME_STARTED, PARALLEL_MIN_COPIES, QUEUE_SLOTS
from sim.scenario import load_scenarios, make_scenario
from sim.state import POOL_GROWTH


def _biased_random_steps(env: BatchedEnv, steps: int, seed: int = 0):
    """Random actions with 60 % of the jobs sent to action 0: queues there grow long. Yields (decision, demands
    [A, 2] of the deciding jobs, actions, result)."""
    rng = np.random.default_rng(seed)
    decision = env.reset()
    for _ in range(steps):
        demands = np.stack([env.state.job_cpu, env.state.job_mem], axis=1)
        actions = np.where(rng.random(decision.n_agents) < 0.6, 0, rng.integers(0, env.n_clusters, decision.n_agents))
        result = env.step(actions)
        yield decision, demands, actions, result
        decision = result.decision


def test_binding_jobs_land_on_the_chosen_server_or_wait_in_the_buffer():
    scenarios = [make_scenario("small", "train", i) for i in range(3)]
    env = BatchedEnv(scenarios, queue_model="binding")
    assert env.n_clusters == env.n_servers  # K = N: the action is the server
    for decision, demands, actions, result in _biased_random_steps(env, 400):
        placed = result.outcome != OUTCOME_BUFFERED
        np.testing.assert_array_equal(result.server[placed], actions[placed])
        cap = env.state.capacity[decision.job_copy[~placed], actions[~placed]]
        assert (demands[~placed] > cap).any(axis=1).all(), "a job was buffered on a server that could host it"
    assert env.state.q_len.max() > QUEUE_SLOTS, "queues must grow past the bounded model's limit"
    assert_invariants(env.state)


def test_binding_at_cluster_scale_keeps_jobs_in_the_chosen_cluster_and_never_redispatches():
    scenarios = [make_scenario("standard", "train", i) for i in range(2)]  # N = 50, K = 10
    env = BatchedEnv(scenarios, queue_model="binding")
    per_cluster = env.n_servers // env.n_clusters
    previous_buffer = np.zeros(2, dtype=np.int64)
    for decision, _, actions, result in _biased_random_steps(env, 300, seed=1):
        placed = result.outcome != OUTCOME_BUFFERED
        order = env.state.order[decision.job_copy]  # [A, N] servers in action order
        position = np.argmax(order == result.server[:, None], axis=1)
        np.testing.assert_array_equal(position[placed] // per_cluster, actions[placed])
        # the buffer only grows: no cluster manager takes a job out of it
        assert (env.state.g_len >= previous_buffer).all()
        previous_buffer = env.state.g_len.astype(np.int64).copy()
    assert_invariants(env.state)


def test_binding_is_the_default_and_bounded_redispatch_reproduces_the_published_numbers():
    scenarios = load_scenarios(5, "test")
    assert BatchedEnv(scenarios).queue_model == "binding"
    # README's reference table before the queue models existed (python -m sim.evaluate --n 5 --json)
    bounded = "bounded-redispatch"
    assert run_episodes(scenarios, "best-fit", queue_model=bounded).mean() == -44.9242041420732
    assert run_episodes(scenarios, "random", queue_model=bounded).mean() == -54.43470019818352


def test_the_models_differ_where_the_manager_would_move_jobs():
    """Negative control for the test above: binding changes Random's reward (the manager no longer repairs it)."""
    scenarios = load_scenarios(5, "test", count=8)
    bounded = run_episodes(scenarios, "random", queue_model="bounded-redispatch")
    binding = run_episodes(scenarios, "random")
    assert (binding < bounded).mean() >= 0.75


def test_a_snapshot_and_its_forks_keep_the_queue_model():
    env = BatchedEnv([make_scenario("small", "test", 0)], queue_model="binding")
    for _ in _biased_random_steps(env, 200):
        pass
    snapshot = env.snapshot(0)
    assert snapshot.pool_slots == env.state.pool_slots > env.n_servers * QUEUE_SLOTS  # the pool grew, and is kept
    forked = BatchedEnv.fork(snapshot, env.scenarios[0], copies=3, seed=5)
    assert forked.queue_model == forked.state.queue_model == "binding"
    assert forked.state.pool_slots == snapshot.pool_slots
    for copy in range(3):
        for server in range(env.n_servers):
            assert forked.state.queue_contents(copy, server) == env.state.queue_contents(0, server)
    assert_pool_partition(forked.state)


def test_parallel_kernels_equal_serial_kernels_under_binding():
    scenarios = [make_scenario("medium", "train", i) for i in range(PARALLEL_MIN_COPIES + 1)]
    batched = BatchedEnv(scenarios, queue_model="binding")
    singles = [BatchedEnv([s], queue_model="binding") for s in scenarios]
    decision = batched.reset()
    for env in singles:
        env.reset()
    rng = np.random.default_rng(3)
    for _ in range(200):
        actions = np.where(
            rng.random(decision.n_agents) < 0.5, 0, rng.integers(0, batched.n_clusters, decision.n_agents)
        )
        together = batched.step(actions)
        alone = [env.step(actions[decision.offsets[b] : decision.offsets[b + 1]]) for b, env in enumerate(singles)]
        np.testing.assert_array_equal(together.reward, [r.reward[0] for r in alone])
        np.testing.assert_array_equal(together.server, np.concatenate([r.server for r in alone]))
        decision = together.decision


def test_an_unknown_queue_model_is_refused():
    allowed = "binding, binding-backfill, bounded-redispatch, bounded-redispatch-backfill"
    with pytest.raises(ValueError, match=f"queue_model='fifo'; allowed: {allowed}"):
        BatchedEnv([make_scenario("small", "test", 0)], queue_model="fifo")


def _queued_jobs_that_fit_now(state) -> int:
    """How many locally queued jobs, anywhere, would fit on their server as it is now."""
    count = 0
    for copy in range(state.n_copies):
        for server in range(state.n_servers):
            free = state.capacity[copy, server] - state.used[copy, server]
            count += sum(cpu <= free[0] and mem <= free[1] for cpu, mem, _ in state.queue_contents(copy, server))
    return count


@pytest.mark.parametrize("queue_model", ["binding-backfill", "bounded-redispatch-backfill"])
def test_backfilling_queues_never_hold_a_job_that_fits(queue_model):
    """Backfill is work-conserving per server: after every step no queued job fits where it waits, and some job
    started on a server that had a queue (a new job that fits does not wait behind the queue)."""
    env = BatchedEnv([make_scenario("small", "train", i) for i in range(2)], queue_model=queue_model)
    started_past_a_queue, queue_before = 0, np.zeros((2, env.n_servers), dtype=np.int64)  # reset: all empty
    for decision, _, _, result in _biased_random_steps(env, 300):
        assert _queued_jobs_that_fit_now(env.state) == 0
        had_queue = queue_before[decision.job_copy, result.server] > 0  # at decision time, before any placement
        started_past_a_queue += int(((result.outcome == OUTCOME_STARTED) & had_queue).sum())
        queue_before = env.state.q_len.copy()  # the next step's decision-time queues (housekeeping has run)
    assert env.state.q_len.sum() > 0 and started_past_a_queue > 0


def test_strict_fifo_queues_hold_jobs_that_would_fit():
    """Negative control for the test above: under strict FIFO a job that fits waits behind a head that does not."""
    env = BatchedEnv([make_scenario("small", "train", i) for i in range(2)], queue_model="binding")
    waiting_that_fit = [_queued_jobs_that_fit_now(env.state) for _ in _biased_random_steps(env, 300)]
    assert max(waiting_that_fit) > 0


POOL_FIELDS = ("q_cpu", "q_mem", "q_steps", "q_next", "q_head", "q_tail", "q_len", "q_free", "q_top", "q_used")


def _binding_env_with_queues(copies: int = 2, steps: int = 60) -> BatchedEnv:
    env = BatchedEnv([make_scenario("small", "train", i) for i in range(copies)], queue_model="binding")
    for _ in _biased_random_steps(env, steps):
        pass
    assert env.state.q_len.max() > 1 and env.state.q_free.max() >= 0, "the test needs queues and released slots"
    return env


def test_binding_queues_that_would_not_fit_memory_are_refused_and_change_nothing(monkeypatch):
    import sim.state

    state = _binding_env_with_queues().state
    slots = state.pool_slots
    before = {name: getattr(state, name).copy() for name in POOL_FIELDS}
    monkeypatch.setattr(sim.state, "MAX_QUEUE_BYTES", 1000)
    with pytest.raises(
        MemoryError, match=rf"local queues would need .*\(copies=2 × {int(POOL_GROWTH * slots)} pool slots, .*allowed"
    ):
        state.ensure_queue_room(slots - state.q_used + 1)  # each copy needs one slot more than P
    for name, array in before.items():
        np.testing.assert_array_equal(getattr(state, name), array, err_msg=name)


def test_growing_the_pool_keeps_every_queue_in_fifo_order_and_changes_no_number():
    grown, control = _binding_env_with_queues(), _binding_env_with_queues()
    state = grown.state
    slots = state.pool_slots
    contents = [[state.queue_contents(b, j) for j in range(grown.n_servers)] for b in range(2)]
    state.ensure_queue_room(np.array([0, slots - state.q_used[1] + 1]))  # copy 1 needs one slot more than P
    assert state.pool_slots == int(POOL_GROWTH * slots)
    assert [[state.queue_contents(b, j) for j in range(grown.n_servers)] for b in range(2)] == contents
    assert_pool_partition(state)
    rng = np.random.default_rng(7)
    for _ in range(150):  # same actions from here: the grown pool gives the same numbers, bit for bit
        actions = rng.integers(0, grown.n_clusters, grown.decision.n_agents)
        a, b = grown.step(actions), control.step(actions)
        for field in ("reward", "server", "outcome", "coefficient"):
            assert getattr(a, field).tobytes() == getattr(b, field).tobytes(), field
    np.testing.assert_array_equal(grown.state.q_len, control.state.q_len)
    assert_invariants(grown.state)


def test_the_pool_grows_only_when_a_copy_would_overflow_it():
    state = _binding_env_with_queues().state
    slots = state.pool_slots
    state.ensure_queue_room(slots - state.q_used)  # every copy exactly full: no growth
    assert state.pool_slots == slots
    state.ensure_queue_room(np.array([0, 3 * slots]))  # beyond the growth factor: grows to what is needed
    assert state.pool_slots == state.q_used[1] + 3 * slots


def test_bounded_redispatch_never_grows_its_pool():
    env = BatchedEnv([make_scenario("small", "train", i) for i in range(2)], queue_model="bounded-redispatch")
    env.reset()
    slots = env.state.pool_slots
    assert slots == env.n_servers * QUEUE_SLOTS  # every queue full fits
    for _ in _biased_random_steps(env, 300):
        pass
    env.state.ensure_queue_room(np.full(2, 10**6))
    assert env.state.pool_slots == slots and env.state.q_len.max() == QUEUE_SLOTS
    assert_pool_partition(env.state)


def test_queue_contents_lists_a_queue_head_first():
    env = BatchedEnv([make_scenario("small", "train", 0)], queue_model="binding")
    env.reset()
    state = env.state
    state.q_cpu[0, :3], state.q_mem[0, :3], state.q_steps[0, :3] = [1, 2, 3], [10, 20, 30], [5, 9, 7]
    state.q_next[0, :3] = [1, -1, 0]  # the list 2 → 0 → 1
    state.q_head[0, 4], state.q_tail[0, 4], state.q_len[0, 4] = 2, 1, 3
    assert state.queue_contents(0, 4) == [(3, 30, 7), (1, 10, 5), (2, 20, 9)]
    assert state.queue_contents(0, 3) == []


def test_a_job_sent_where_it_can_never_run_waits_for_ever_under_binding_only():
    scenario = make_scenario("small", "test", 0)
    small = int(np.argmin(scenario.capacity[:, 0]))
    results = {}
    for queue_model in ("binding", "bounded-redispatch"):
        env = BatchedEnv([scenario], queue_model=queue_model)
        decision = env.reset()
        env.state.job_cpu[:] = scenario.capacity[small, 0] + 1000  # one core more than the server has
        first = env.step(np.full(decision.n_agents, small))
        waiting = []
        for _ in range(50):
            waiting.append(int(env.state.g_len[0]))
            env.step(np.zeros(env.decision.n_agents, dtype=np.int64))
        results[queue_model] = (first, waiting)
    first, waiting = results["binding"]
    assert len(first.outcome) > 0
    assert (first.outcome == OUTCOME_BUFFERED).all() and (first.server == small).all()
    assert waiting == [len(first.outcome)] * 50  # nobody takes them out, though larger servers could host them
    assert results["bounded-redispatch"][1][-1] < len(first.outcome)  # control: the manager re-dispatches them
