"""Evaluation on held-out scenarios, the reference policies beside it, and Table 9's convergence episode."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from dgpg_theory.ppo.rollout import Encoder, collect
from sim.env import BatchedEnv
from sim.heuristics import POLICIES, run_episodes
from sim.scales import Scale
from sim.scenario import Scenario


def evaluate_actor(
    actor: torch.nn.Module,
    encoder: Encoder,
    scale: Scale,
    scenarios: Sequence[Scenario],
    seed: int,
    greedy: bool = False,
    copies_per_batch: int = 40,
) -> np.ndarray:
    """Mean per-step reward of each scenario's episode [len(scenarios)] under the actor. The job traces are the
    scenarios' own (as for the reference policies, so the comparison is paired); ``seed`` drives the sampling."""
    generator = torch.Generator().manual_seed(seed)
    rewards = []
    for start in range(0, len(scenarios), copies_per_batch):
        env = BatchedEnv(list(scenarios[start : start + copies_per_batch]))
        rewards.append(collect(env, actor, encoder, scale, generator, greedy=greedy, record=False).mean(axis=1))
    return np.concatenate(rewards)


def reference_rewards(scenarios: Sequence[Scenario], seed: int = 0) -> dict[str, dict[str, float]]:
    """Best-Fit, Random and guidance-greedy on the same scenarios: mean and std of the episode rewards."""
    summary = {}
    for policy in POLICIES:
        rewards = run_episodes(scenarios, policy, seed=seed)
        summary[policy] = {
            "mean": float(rewards.mean()),
            "std": float(rewards.std(ddof=1)) if len(rewards) > 1 else 0.0,
        }
    return summary


def convergence_episode(rewards: Sequence[float], tolerance: float = 0.1) -> int:
    """Table 9: the first episode (1-based) whose reward is within ``tolerance`` (10 %) of the best observed.

    Rewards are negative costs, so "within 10 %" means reward ≥ best − 0.1 · |best|.
    """
    rewards = np.asarray(rewards, dtype=np.float64)
    if rewards.size == 0:
        raise ValueError("rewards is empty; allowed: at least one episode")
    best = rewards.max()
    return int(np.flatnonzero(rewards >= best - tolerance * abs(best))[0]) + 1
