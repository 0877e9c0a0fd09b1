"""Advantages: GAE on the shared reward, and the DG-PG augmentation of Eq 11.

Â_DG^i(t) = (1 − α) Â_GAE^i(t) − α · ĉ^i(t)   (Eq 11)

where ĉ is the guidance coefficient c = ⟨x_t − x̃_t, z_t^i⟩ (Eq 9) normalized by a running mean and variance
(momentum 0.99) and clipped to [−3, 3] (App. I.3). MAPPO and IPPO use α = 0, i.e. Â_GAE alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.workload import EPISODE_STEPS


def gae(rewards: np.ndarray, values: np.ndarray, gamma: float, lam: float) -> np.ndarray:
    """Generalized advantage estimates [copies, T] for rewards and values [copies, T]; the episode ends after T
    (the value after the last step is 0)."""
    advantages = np.zeros_like(rewards, dtype=np.float64)
    running = np.zeros(rewards.shape[0])
    next_value = np.zeros(rewards.shape[0])
    for t in range(rewards.shape[1] - 1, -1, -1):
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = delta + gamma * lam * running
        advantages[:, t] = running
        next_value = values[:, t]
    return advantages


def discounted_returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """Monte Carlo returns Σ_l γ^l r_{t+l} [copies, T] (GAE with V = 0 and λ = 1)."""
    return gae(rewards, np.zeros_like(rewards, dtype=np.float64), gamma, 1.0)


@dataclass
class RunningNormalizer:
    """Exponential running mean and variance (momentum m): after a batch with mean μ_b, variance v_b,
    μ ← m μ + (1 − m) μ_b and v ← m v + (1 − m) v_b; the first batch with a non-zero variance sets them directly
    (until then values pass through as (v − 0) / 1)."""

    momentum: float = 0.99
    mean: float = 0.0
    var: float = 1.0
    initialized: bool = False

    def update(self, values: np.ndarray) -> None:
        if len(values) == 0:
            return
        batch_mean, batch_var = float(np.mean(values)), float(np.var(values))
        if not self.initialized and batch_var == 0.0:
            return  # e.g. t = 0, when every server is empty and every c is 0: no scale to learn from yet
        if not self.initialized:
            self.mean, self.var, self.initialized = batch_mean, batch_var, True
            return
        m = self.momentum
        self.mean = m * self.mean + (1.0 - m) * batch_mean
        self.var = m * self.var + (1.0 - m) * batch_var

    def normalize(self, values: np.ndarray, clip: float) -> np.ndarray:
        return np.clip((values - self.mean) / np.sqrt(self.var + 1e-8), -clip, clip)

    def state_dict(self) -> dict:
        return {"momentum": self.momentum, "mean": self.mean, "var": self.var, "initialized": self.initialized}


def normalized_guidance(
    coefficient: np.ndarray, rows: np.ndarray, normalizer: RunningNormalizer, clip: float
) -> np.ndarray:
    """ĉ per agent. The running statistics are updated once per step t with the c of every agent of the episode's
    rollouts at t, in time order (as if all rollouts ran in lockstep), and each step's c is normalized by the
    statistics that include it: what an online normalizer sees during rollouts."""
    steps = rows % EPISODE_STEPS
    order = np.lexsort((rows, steps))  # time-major, then copy: the order the copies produced them in lockstep
    normalized = np.empty_like(coefficient, dtype=np.float64)
    boundaries = np.flatnonzero(np.diff(steps[order])) + 1
    for group in np.split(order, boundaries):
        normalizer.update(coefficient[group])
        normalized[group] = normalizer.normalize(coefficient[group], clip)
    return normalized


def dg_advantage(gae_advantage: np.ndarray, guidance: np.ndarray, alpha: float) -> np.ndarray:
    """Eq 11: (1 − α) Â_GAE − α ĉ."""
    return (1.0 - alpha) * gae_advantage - alpha * guidance


def standardize(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() + 1e-8)
