"""Shared helpers for the simulator tests: state invariants and a statistical tolerance."""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.state import EnvState

FALSE_ALARM = 1e-4
Z_TWO_SIDED = float(stats.norm.isf(FALSE_ALARM / 2))  # ≈ 3.89


def job_counts(state: EnvState) -> dict[str, np.ndarray]:
    """Where every job of each copy is: [B] counts."""
    return {
        "arrived": state.arrived,
        "completed": state.completed,
        "running": state.running.sum(axis=1),
        "queued": state.q_len.sum(axis=1),
        "buffered": state.g_len.astype(np.int64),
        "deciding": np.diff(state.offsets),
    }


def assert_invariants(state: EnvState) -> None:
    """No job lost, capacity never exceeded nor negative, queue bookkeeping consistent with queue contents."""
    c = job_counts(state)
    accounted = c["completed"] + c["running"] + c["queued"] + c["buffered"] + c["deciding"]
    np.testing.assert_array_equal(c["arrived"], accounted, err_msg="a job was lost or duplicated")
    free = state.capacity - state.used
    assert (free >= 0).all(), "free capacity went negative"
    assert (state.used >= 0).all()
    assert ((state.q_len >= 0) & (state.q_len <= state.queue_limit)).all()
    np.testing.assert_array_equal(state.running, state.wheel_cnt.sum(axis=1))
    np.testing.assert_array_equal(state.used, state.wheel_res.sum(axis=1))
    assert_liveness(state)
    slots, cpu, mem = queued_jobs(state)
    np.testing.assert_array_equal(state.queued[..., 0], cpu.sum(axis=2))
    np.testing.assert_array_equal(state.queued[..., 1], mem.sum(axis=2))
    np.testing.assert_array_equal(state.q_used, state.q_len.sum(axis=1))
    assert (state.q_used <= state.q_top).all() and (state.q_top <= state.pool_slots).all()
    for b in range(state.n_copies):  # no slot is in two queues, nor twice in one
        held = slots[b][slots[b] >= 0]
        assert len(np.unique(held)) == len(held) and (held < state.q_top[b]).all(), "a pool slot is shared"


def queued_jobs(state: EnvState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The local queues, head first: [B, N, L] pool slots (-1 past a queue's end; L the longest queue) and the
    jobs' CPU and memory demands (0 there). Walks all the linked lists in step, checking them against q_len."""
    longest = int(state.q_len.max(initial=0))
    slots = np.full((*state.q_len.shape, longest), -1, dtype=np.int64)
    slot = state.q_head.astype(np.int64)
    rows = np.arange(state.n_copies)[:, None]
    for k in range(longest):
        live = k < state.q_len
        assert (slot[live] >= 0).all(), "a local queue's list ends before its length"
        slots[..., k] = np.where(live, slot, -1)
        slot = np.where(live, state.q_next[rows, np.maximum(slot, 0)], -1)
    assert (slot == -1).all(), "a local queue's list runs past its length"
    empty = state.q_len == 0
    assert ((state.q_head == -1) == empty).all() and ((state.q_tail == -1) == empty).all()
    padded = np.concatenate([np.full((*empty.shape, 1), -1), slots], axis=2)  # column 0: an empty queue's tail
    np.testing.assert_array_equal(np.take_along_axis(padded, state.q_len[..., None], axis=2)[..., 0], state.q_tail)
    live, safe = slots >= 0, np.maximum(slots, 0)
    return (
        slots,
        np.where(live, state.q_cpu[rows[..., None], safe], 0),
        np.where(live, state.q_mem[rows[..., None], safe], 0),
    )


def assert_pool_partition(state: EnvState) -> None:
    """Every slot a copy has used ([0, q_top)) is in exactly one local queue or in its free list. Slow: walks the
    free lists in Python."""
    slots, _, _ = queued_jobs(state)
    for b in range(state.n_copies):
        free, slot = [], int(state.q_free[b])
        while slot >= 0 and len(free) <= state.q_top[b]:  # a cycle stops at q_top + 1 entries and fails below
            free.append(slot)
            slot = int(state.q_next[b, slot])
        held = np.concatenate([slots[b][slots[b] >= 0], free])
        np.testing.assert_array_equal(np.sort(held), np.arange(state.q_top[b]), err_msg=f"copy {b}'s pool")


def assert_liveness(state: EnvState) -> None:
    """At a decision point (after housekeeping): nothing waits that could run. No queue head fits its server's
    free capacity, every queued job fits its server's total capacity, and (bounded-redispatch, where the cluster
    manager re-dispatches the buffer) no buffered job fits an open server or could join a queue with room; under
    the binding model the buffer holds jobs whose chosen servers can never host them, which wait."""
    free = state.capacity - state.used
    slots, cpu, mem = queued_jobs(state)
    if slots.shape[2]:
        head_fits = (cpu[..., 0] <= free[..., 0]) & (mem[..., 0] <= free[..., 1]) & (state.q_len > 0)
        assert not head_fits.any(), "a queue head fits"
    assert (cpu <= state.capacity[..., 0, None]).all() and (mem <= state.capacity[..., 1, None]).all()
    if not state.redispatch:
        return
    for b in range(state.n_copies):
        open_servers = state.q_len[b] == 0
        room = state.q_len[b] < state.queue_limit
        for g in range(state.g_len[b]):
            demand = np.array([state.g_cpu[b, g], state.g_mem[b, g]])
            fits_now = (free[b] >= demand).all(axis=1) & open_servers
            can_queue = (state.capacity[b] >= demand).all(axis=1) & room
            assert not fits_now.any() and not can_queue.any(), "a buffered job could start or queue"


def state_after_random_steps(n_servers: int, split: str, steps: int, copies: int = 3):
    """(EnvState, Scale) of ``copies`` scenarios of ``split`` at N after ``steps`` uniformly random actions."""
    from sim.env import BatchedEnv
    from sim.scales import resolve_scale
    from sim.scenario import load_scenarios

    scale = resolve_scale(n_servers)
    env = BatchedEnv(load_scenarios(scale, split, 0, copies), workload_seed=4)
    decision = env.reset()
    rng = np.random.default_rng(0)
    for _ in range(steps):
        decision = env.step(rng.integers(0, env.n_clusters, decision.n_agents)).decision
    return env.state, scale
