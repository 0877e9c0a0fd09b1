"""Reference policies of §6.1: Best-Fit (centralized, full state), Random, and guidance-greedy (the analytical
model of App. C–D used directly as a policy: each job to the server with the smallest guidance coefficient)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tqdm.auto import tqdm

from sim.env import DEFAULT_QUEUE_MODEL, BatchedEnv
from sim.scenario import Scenario
from sim.workload import EPISODE_STEPS

POLICIES = ("best-fit", "random", "guidance-greedy")


def run_episodes(
    scenarios: Sequence[Scenario],
    policy: str,
    seed: int = 0,
    progress: bool = False,
    queue_model: str = DEFAULT_QUEUE_MODEL,
) -> np.ndarray:
    """One full episode per scenario, all batched; returns each episode's mean per-step reward [B].

    'random' picks uniformly among the K actions (a server for N ≤ 20; a cluster, then Best-Fit inside it,
    above); ``seed`` seeds only that choice: the job traces come from the scenarios. ``queue_model``: see
    ``BatchedEnv``.
    """
    if policy not in POLICIES:
        raise ValueError(f"policy={policy!r} is unknown; allowed: {', '.join(POLICIES)}")
    env = BatchedEnv(scenarios, queue_model=queue_model)
    decision = env.reset()
    rng = np.random.default_rng(seed)
    total = np.zeros(env.n_copies)
    for _ in tqdm(range(EPISODE_STEPS), desc=f"{policy} N={env.n_servers}", disable=not progress, leave=False):
        if policy == "random":
            result = env.step(rng.integers(0, env.n_clusters, decision.n_agents))
        else:
            result = env.step_heuristic(policy)
        total += result.reward
        decision = result.decision
    return total / EPISODE_STEPS
