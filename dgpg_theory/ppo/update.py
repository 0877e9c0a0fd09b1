"""The PPO update (App. I): clipped surrogate for the actor, Huber loss for the critic, separate Adam optimizers
with independent gradient clipping, and split epochs (critic and actor passes counted separately)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass
class ActorData:
    """Per-agent tensors of one episode: its observation parts, action, old log-probability and advantage."""

    shared: torch.Tensor  # [R, D_shared]
    rows: torch.Tensor  # [A]
    own: torch.Tensor  # [A, 4]
    index: torch.Tensor  # [A]
    action: torch.Tensor  # [A]
    old_log_prob: torch.Tensor  # [A]
    advantage: torch.Tensor  # [A]


@dataclass
class CriticData:
    """Critic samples: (row, own part, index) → target. Central critics: one sample per (copy, step) with own =
    [t / 3000]; local critics: one per agent plus one per (copy, step) for the step value used by GAE."""

    shared: torch.Tensor
    rows: torch.Tensor
    own: torch.Tensor
    index: torch.Tensor
    target: torch.Tensor


def minibatches(size: int, minibatch: int, generator: torch.Generator):
    order = torch.randperm(size, generator=generator)
    for start in range(0, size, minibatch):
        yield order[start : start + minibatch]


def actor_pass(
    actor: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: ActorData,
    minibatch: int,
    clip_epsilon: float,
    entropy_coef: float,
    grad_clip: float,
    generator: torch.Generator,
) -> dict[str, float]:
    """One epoch of clipped-surrogate updates; returns the epoch's mean diagnostics."""
    totals = {"actor_loss": 0.0, "entropy": 0.0, "approx_kl": 0.0, "clip_fraction": 0.0}
    batches = 0
    for batch in minibatches(len(data.action), minibatch, generator):
        logits = actor(data.shared, data.rows[batch], data.own[batch], data.index[batch])
        log_probs = torch.log_softmax(logits, dim=-1)
        new_log_prob = log_probs.gather(1, data.action[batch, None]).squeeze(1)
        log_ratio = new_log_prob - data.old_log_prob[batch]
        ratio = log_ratio.exp()
        advantage = data.advantage[batch]
        surrogate = torch.min(ratio * advantage, ratio.clamp(1 - clip_epsilon, 1 + clip_epsilon) * advantage)
        entropy = -(log_probs.exp() * log_probs).sum(-1).mean()
        loss = -surrogate.mean() - entropy_coef * entropy
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(actor.parameters(), grad_clip)
        optimizer.step()
        with torch.no_grad():
            totals["actor_loss"] += float(loss)
            totals["entropy"] += float(entropy)
            totals["approx_kl"] += float(((ratio - 1) - log_ratio).mean())
            totals["clip_fraction"] += float(((ratio - 1).abs() > clip_epsilon).float().mean())
        batches += 1
    return {key: value / max(1, batches) for key, value in totals.items()}


def critic_pass(
    critic: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: CriticData,
    minibatch: int,
    huber_delta: float,
    grad_clip: float,
    generator: torch.Generator,
) -> float:
    """One epoch of Huber-loss regression on the targets; returns the mean loss."""
    total, batches = 0.0, 0
    huber = nn.HuberLoss(delta=huber_delta)
    for batch in minibatches(len(data.target), minibatch, generator):
        prediction = critic(data.shared, data.rows[batch], data.own[batch], data.index[batch]).squeeze(-1)
        loss = huber(prediction, data.target[batch])
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(critic.parameters(), grad_clip)
        optimizer.step()
        total += loss.item()
        batches += 1
    return total / max(1, batches)


def explained_variance(prediction: np.ndarray, target: np.ndarray) -> float:
    """1 − Var(target − prediction) / Var(target) (NaN when the target is constant)."""
    variance = float(np.var(target))
    return float("nan") if variance == 0 else 1.0 - float(np.var(target - prediction)) / variance
