"""The shared reward of Appendix H.3:

    r_t = −( w1 · (Q_global + Σ_k Q_k) / N  +  w2 · Σ_k (L_k / η_k) / C_total ),   w1 = 1, w2 = 20.

Q are job counts. The energy term mixes CPU and memory; to add cores and GB in a unit-free way we take each
resource as a share of the cluster's total capacity of that resource and average the two:
    energy = ½ (Σ_k used_cpu_k / η_CPU,k / Σ cap_cpu + Σ_k used_mem_k / η_Mem,k / Σ cap_mem).
L_k counts running jobs only: queued work draws no power. (SPEC.md: paper says / we do / why.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.state import EnvState

QUEUE_WEIGHT = 1.0
ENERGY_WEIGHT = 20.0


@dataclass
class RewardParts:
    """The reward and its two penalties, each [B]."""

    reward: np.ndarray
    queue_penalty: np.ndarray
    energy_penalty: np.ndarray


def shared_reward(state: EnvState) -> RewardParts:
    """r_t of H.3 on the state after this step's placements."""
    n_servers = state.n_servers
    queue = (state.g_len + state.q_len.sum(axis=1)) / n_servers
    weighted_use = (state.used / state.efficiency).sum(axis=1)  # [B, 2]
    energy = 0.5 * (weighted_use / state.capacity.sum(axis=1)).sum(axis=1)
    reward = -(QUEUE_WEIGHT * queue + ENERGY_WEIGHT * energy)
    return RewardParts(reward=reward, queue_penalty=queue, energy_penalty=energy)
