"""Shared helpers for the simulator tests: state invariants and a statistical tolerance."""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.kernels import QUEUE_SLOTS
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
    assert ((state.q_len >= 0) & (state.q_len <= QUEUE_SLOTS)).all()
    np.testing.assert_array_equal(state.running, state.wheel_cnt.sum(axis=2))
    np.testing.assert_array_equal(state.used, state.wheel_res.sum(axis=2))
    slots = (state.q_head[..., None] + np.arange(QUEUE_SLOTS)) % QUEUE_SLOTS
    live = np.arange(QUEUE_SLOTS) < state.q_len[..., None]
    for k, ring in enumerate((state.q_cpu, state.q_mem)):
        waiting = np.where(live, np.take_along_axis(ring, slots, axis=2), 0).sum(axis=2)
        np.testing.assert_array_equal(state.queued[..., k], waiting)
