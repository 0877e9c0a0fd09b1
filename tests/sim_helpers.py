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
    ring = state.q_cpu.shape[2]
    assert ((state.q_len >= 0) & (state.q_len <= min(state.queue_limit, ring))).all()
    np.testing.assert_array_equal(state.running, state.wheel_cnt.sum(axis=1))
    np.testing.assert_array_equal(state.used, state.wheel_res.sum(axis=1))
    assert_liveness(state)
    slots = (state.q_head[..., None] + np.arange(ring)) % ring
    live = np.arange(ring) < state.q_len[..., None]
    for k, demands in enumerate((state.q_cpu, state.q_mem)):
        waiting = np.where(live, np.take_along_axis(demands, slots, axis=2), 0).sum(axis=2)
        np.testing.assert_array_equal(state.queued[..., k], waiting)


def assert_liveness(state: EnvState) -> None:
    """At a decision point (after housekeeping): nothing waits that could run. No queue head fits its server's
    free capacity, every queued job fits its server's total capacity, and (bounded-redispatch, where the cluster
    manager re-dispatches the buffer) no buffered job fits an open server or could join a queue with room; under
    the binding model the buffer holds jobs whose chosen servers can never host them, which wait."""
    free = state.capacity - state.used
    for b in range(state.n_copies):
        for j in np.nonzero(state.q_len[b])[0]:
            h = state.q_head[b, j]
            assert state.q_cpu[b, j, h] > free[b, j, 0] or state.q_mem[b, j, h] > free[b, j, 1], "a queue head fits"
            rows = (h + np.arange(state.q_len[b, j])) % state.q_cpu.shape[2]
            assert (state.q_cpu[b, j, rows] <= state.capacity[b, j, 0]).all()
            assert (state.q_mem[b, j, rows] <= state.capacity[b, j, 1]).all()
        if not state.redispatch:
            continue
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
