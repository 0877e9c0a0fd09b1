"""Evaluation on held-out scenarios, the reference policies beside it, and Table 9's convergence episode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats

from dgpg_theory.ppo.rollout import Encoder, collect
from dgpg_theory.statistics import DEFAULT_FALSE_ALARM
from sim.env import DEFAULT_QUEUE_MODEL, BatchedEnv
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
    queue_model: str = DEFAULT_QUEUE_MODEL,
) -> np.ndarray:
    """Mean per-step reward of each scenario's episode [len(scenarios)] under the actor. The job traces are the
    scenarios' own (as for the reference policies, so the comparison is paired); ``seed`` drives the sampling."""
    generator = torch.Generator().manual_seed(seed)
    rewards = []
    for start in range(0, len(scenarios), copies_per_batch):
        env = BatchedEnv(list(scenarios[start : start + copies_per_batch]), queue_model=queue_model)
        rewards.append(collect(env, actor, encoder, scale, generator, greedy=greedy, record=False).mean(axis=1))
    return np.concatenate(rewards)


def reference_rewards(
    scenarios: Sequence[Scenario], seed: int = 0, queue_model: str = DEFAULT_QUEUE_MODEL
) -> dict[str, dict[str, float]]:
    """Best-Fit, Random and guidance-greedy on the same scenarios: mean and std of the episode rewards."""
    summary = {}
    for policy in POLICIES:
        rewards = run_episodes(scenarios, policy, seed=seed, queue_model=queue_model)
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


@dataclass(frozen=True)
class ShortfallTest:
    """Paired comparison of a policy with ``reference − tolerance·|reference|`` over the same test scenarios.

    ``mean`` is the mean per-scenario margin (positive: the policy is within the band or better); ``lower`` and
    ``upper`` are one-sided Student-t bounds at the false-alarm rate. ``below`` (upper < 0): significantly worse than
    the band; ``within`` (lower ≥ 0): significantly within it or better.
    """

    mean: float
    lower: float
    upper: float
    scenarios: int

    @property
    def below(self) -> bool:
        return self.upper < 0.0

    @property
    def within(self) -> bool:
        return self.lower >= 0.0

    def report(self) -> str:
        bounds = f"[{self.lower:+.2f}, {self.upper:+.2f}]"
        return f"margin {self.mean:+.2f} (one-sided bounds {bounds}, {self.scenarios} scenarios)"


def shortfall_test(
    policy: np.ndarray, reference: np.ndarray, tolerance: float = 0.1, false_alarm: float = DEFAULT_FALSE_ALARM
) -> ShortfallTest:
    """Is the policy within ``tolerance`` (10 %) of the reference, scenario by scenario (§6.3: "converges to the
    Best-Fit reference"; Table 9's 10 % band)? Paired Student-t bounds on the mean margin."""
    policy, reference = np.asarray(policy, dtype=float), np.asarray(reference, dtype=float)
    if policy.shape != reference.shape or policy.ndim != 1 or len(policy) < 2:
        raise ValueError(f"policy {policy.shape} and reference {reference.shape}: allowed two equal 1-D arrays, ≥ 2")
    margin = policy - (reference - tolerance * np.abs(reference))
    half_width = stats.t.ppf(1.0 - false_alarm, len(margin) - 1) * margin.std(ddof=1) / np.sqrt(len(margin))
    return ShortfallTest(float(margin.mean()), float(margin.mean() - half_width), float(margin.mean() + half_width),
                         len(margin))  # fmt: skip
