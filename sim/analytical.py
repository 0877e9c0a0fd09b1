"""The analytical model of Appendices C–D on the simulator's state.

x^{j,k}: the load committed to server j on resource k (running + waiting in its local queue), in units of the
scenario's mean server capacity of resource k (so CPU and memory weigh alike and x does not grow with N).
C^k = Σ_j x^{j,k}; the reference of Eq 16 is x̃^{j,k} = μ^{j,k} / Σ_i μ^{i,k} · C^k with μ the capacity.
The influence of a job with demand w landing on server j is z = w (same units) at server j, zero elsewhere
(App. D), so the guidance coefficient is c = ⟨x − x̃, z⟩ = Σ_k w_k (x^{j,k} − x̃^{j,k})  (Eq 9, App. D).
"""

from __future__ import annotations

import numpy as np

from sim.state import EnvState


def system_state(state: EnvState) -> np.ndarray:
    """x_t: [B, N, 2] committed load per server and resource (App. C.1)."""
    committed = state.used.astype(np.float64) + state.queued
    return committed / state.resource_scale[:, None, :]


def reference_state(state: EnvState, x: np.ndarray) -> np.ndarray:
    """x̃_t of Eq 16: the capacity-proportional share of the total load C^k = Σ_j x^{j,k}."""
    return state.capacity_share * x.sum(axis=1, keepdims=True)


def job_influence(state: EnvState) -> np.ndarray:
    """Per deciding job, its demand w in the units of x: [A, 2] (the non-zero block of z, App. D)."""
    demand = np.stack([state.job_cpu, state.job_mem], axis=1).astype(np.float64)
    return demand / state.resource_scale[state.job_copy]


def coefficients_for_all_servers(state: EnvState, x: np.ndarray, x_ref: np.ndarray) -> np.ndarray:
    """c for every deciding job and every server it could land on: [A, N] (the guidance-greedy score)."""
    deviation = (x - x_ref)[state.job_copy]  # [A, N, 2]
    return np.einsum("ank,ak->an", deviation, job_influence(state))


def coefficients_at(state: EnvState, x: np.ndarray, x_ref: np.ndarray, server: np.ndarray) -> np.ndarray:
    """c for every deciding job landing on ``server`` [A]: a direct evaluation of Eq 9 / App. D."""
    deviation = (x - x_ref)[state.job_copy, server]  # [A, 2]
    return (deviation * job_influence(state)).sum(axis=1)
