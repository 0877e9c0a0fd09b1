"""The two queue models (sim/SPEC.md, "Queue models"): binding placements are final and nobody else places a
job; bounded-redispatch is today's model, bit for bit."""

import numpy as np
import pytest
from sim_helpers import assert_invariants

from sim.env import BatchedEnv
from sim.heuristics import run_episodes
from sim.kernels import OUTCOME_BUFFERED, PARALLEL_MIN_COPIES, QUEUE_SLOTS
from sim.scenario import load_scenarios, make_scenario


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


def test_bounded_redispatch_is_the_default_and_reproduces_the_published_numbers():
    scenarios = load_scenarios(5, "test")
    assert BatchedEnv(scenarios).queue_model == "bounded-redispatch"
    # README's reference table before the queue models existed (python -m sim.evaluate --n 5 --json)
    assert run_episodes(scenarios, "best-fit").mean() == -44.9242041420732
    assert run_episodes(scenarios, "random").mean() == -54.43470019818352
    assert run_episodes(scenarios, "random", queue_model="bounded-redispatch").mean() == -54.43470019818352


def test_the_models_differ_where_the_manager_would_move_jobs():
    """Negative control for the test above: binding changes Random's reward (the manager no longer repairs it)."""
    scenarios = load_scenarios(5, "test", count=8)
    bounded = run_episodes(scenarios, "random")
    binding = run_episodes(scenarios, "random", queue_model="binding")
    assert (binding < bounded).mean() >= 0.75


def test_a_snapshot_and_its_forks_keep_the_queue_model():
    env = BatchedEnv([make_scenario("small", "test", 0)], queue_model="binding")
    for _ in _biased_random_steps(env, 200):
        pass
    snapshot = env.snapshot(0)
    forked = BatchedEnv.fork(snapshot, env.scenarios[0], copies=3, seed=5)
    assert forked.queue_model == forked.state.queue_model == "binding"
    assert forked.state.q_cpu.shape == (3, *snapshot.q_cpu.shape[1:])


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
    with pytest.raises(ValueError, match=r"queue_model='fifo'; allowed: bounded-redispatch, binding"):
        BatchedEnv([make_scenario("small", "test", 0)], queue_model="fifo")


def test_binding_queues_that_would_not_fit_memory_are_refused_and_change_nothing(monkeypatch):
    import sim.state

    env = BatchedEnv([make_scenario("small", "train", i) for i in range(2)], queue_model="binding")
    env.reset()
    state = env.state
    before = {name: getattr(state, name).copy() for name in ("q_cpu", "q_mem", "q_dur", "q_head", "q_len")}
    monkeypatch.setattr(sim.state, "MAX_QUEUE_BYTES", 1000)
    with pytest.raises(MemoryError, match=r"binding local queues would need .*\(copies=2 × N=5 × 100 slots"):
        state.ensure_queue_room(100)
    for name, array in before.items():
        np.testing.assert_array_equal(getattr(state, name), array, err_msg=name)


def test_growing_a_wrapped_ring_keeps_every_queue_in_fifo_order():
    env = BatchedEnv([make_scenario("small", "train", 0)], queue_model="binding")
    env.reset()
    state = env.state
    slots = state.q_cpu.shape[2]
    state.q_head[0, 1], state.q_len[0, 1] = slots - 3, slots  # a full ring that wraps around
    order = (slots - 3 + np.arange(slots)) % slots
    state.q_cpu[0, 1, order] = np.arange(slots) + 100
    state.q_dur[0, 1, order] = np.arange(slots) + 0.5
    state.ensure_queue_room(slots + 7)
    assert state.q_cpu.shape[2] == 2 * slots and state.q_head[0, 1] == 0
    np.testing.assert_array_equal(state.q_cpu[0, 1, :slots], np.arange(slots) + 100)
    np.testing.assert_array_equal(state.q_dur[0, 1, :slots], np.arange(slots) + 0.5)


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
