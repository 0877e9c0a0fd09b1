"""Reference policies of §6.1: Best-Fit (centralized, full state), Random, and guidance-greedy (the analytical
model of App. C–D used directly as a policy: each job to the server with the smallest guidance coefficient)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from sim.env import DEFAULT_QUEUE_MODEL, BatchedEnv
from sim.reward import ENERGY_WEIGHT, QUEUE_WEIGHT
from sim.scenario import Scenario
from sim.state import EnvState
from sim.workload import EPISODE_STEPS

POLICIES = ("best-fit", "random", "guidance-greedy")
# H.3: "the queue penalty typically ranges in [0, 20]"; a step above it is outside the paper's regime.
QUEUE_PENALTY_TYPICAL_MAX = 20.0


@dataclass(frozen=True)
class EpisodeStatistics:
    """Per-episode summaries of one batch of episodes, each [B] (one entry per scenario).

    The penalties are the unweighted parts of ``sim.reward.RewardParts``, so that per step
    r = −(QUEUE_WEIGHT · queue_penalty + ENERGY_WEIGHT · energy_penalty); ``queue_term`` and ``energy_term``
    are the weighted parts, which add up to −reward.
    """

    reward: np.ndarray  # mean per-step reward (the H.3 episode reward; what run_episodes returns)
    queue_penalty: np.ndarray  # mean per-step queue penalty: jobs waiting per server, (Q_global + Σ Q_k) / N
    energy_penalty: np.ndarray  # mean per-step energy penalty, unweighted (see sim/reward.py)
    frac_steps_queue_above_20: np.ndarray  # share of steps with queue penalty > QUEUE_PENALTY_TYPICAL_MAX
    frac_jobs_waiting_at_end: np.ndarray  # share of the arrived jobs still in a local queue or the buffer at the end
    jobs_arrived: np.ndarray  # int64, jobs that arrived during the episode (the denominator just above)

    @property
    def queue_term(self) -> np.ndarray:
        """QUEUE_WEIGHT · queue_penalty: the queue's share of −reward."""
        return QUEUE_WEIGHT * self.queue_penalty

    @property
    def energy_term(self) -> np.ndarray:
        """ENERGY_WEIGHT · energy_penalty: the energy's share of −reward."""
        return ENERGY_WEIGHT * self.energy_penalty


def episode_statistics(
    scenarios: Sequence[Scenario],
    policy: str,
    seed: int = 0,
    progress: bool = False,
    queue_model: str = DEFAULT_QUEUE_MODEL,
) -> EpisodeStatistics:
    """One full episode per scenario, all batched, summarized per episode (``EpisodeStatistics``).

    'random' picks uniformly among the K actions (a server for N ≤ 20; a cluster, then Best-Fit inside it,
    above); ``seed`` seeds only that choice: the job traces come from the scenarios. ``queue_model``: see
    ``BatchedEnv``.
    """
    if policy not in POLICIES:
        raise ValueError(f"policy={policy!r} is unknown; allowed: {', '.join(POLICIES)}")
    env = BatchedEnv(scenarios, queue_model=queue_model)
    decision = env.reset()
    rng = np.random.default_rng(seed)
    reward, queue, energy, above = (np.zeros(env.n_copies) for _ in range(4))
    for _ in tqdm(range(EPISODE_STEPS), desc=f"{policy} N={env.n_servers}", disable=not progress, leave=False):
        if policy == "random":
            result = env.step(rng.integers(0, env.n_clusters, decision.n_agents))
        else:
            result = env.step_heuristic(policy)
        reward += result.reward  # summed step by step, as before: run_episodes' numbers stay bit-identical
        queue += result.reward_parts.queue_penalty
        energy += result.reward_parts.energy_penalty
        above += result.reward_parts.queue_penalty > QUEUE_PENALTY_TYPICAL_MAX
        decision = result.decision
    return EpisodeStatistics(
        reward=reward / EPISODE_STEPS,
        queue_penalty=queue / EPISODE_STEPS,
        energy_penalty=energy / EPISODE_STEPS,
        frac_steps_queue_above_20=above / EPISODE_STEPS,
        frac_jobs_waiting_at_end=_waiting_fraction(env.state),
        jobs_arrived=env.state.arrived.copy(),
    )


def _waiting_fraction(state: EnvState) -> np.ndarray:
    """Jobs in the local queues and the global buffer over jobs arrived, per copy; 0 where none arrived (then
    none can wait)."""
    waiting = state.g_len.astype(np.float64) + state.q_len.sum(axis=1)
    arrived = state.arrived.astype(np.float64)
    return np.divide(waiting, arrived, out=np.zeros_like(waiting), where=arrived > 0)


def run_episodes(
    scenarios: Sequence[Scenario],
    policy: str,
    seed: int = 0,
    progress: bool = False,
    queue_model: str = DEFAULT_QUEUE_MODEL,
) -> np.ndarray:
    """Each episode's mean per-step reward [B]: ``episode_statistics(...).reward`` (arguments: see there)."""
    return episode_statistics(scenarios, policy, seed, progress, queue_model).reward
