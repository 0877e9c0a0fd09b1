"""The PPO update (App. I): clipped surrogate for the actor, Huber loss for the critic, separate Adam optimizers
with independent gradient clipping, and split epochs (critic and actor passes counted separately).

Separate networks, optimizers and clipping make the critic's epochs and the actor's independent computations, so
``side_by_side`` runs them at the same time, one in a second thread: the mini-batch orders are drawn first, in
the order a one-after-the-other update draws them, and each network's arithmetic is unchanged, so the result is
bit-identical to running them in turn (tested).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

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

    def to(self, device: torch.device) -> ActorData:
        return ActorData(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})


@dataclass
class CriticData:
    """Critic samples: (row, own part, index) → target. Central critics: one sample per (copy, step) with own =
    [t / 3000]; local critics: one per agent plus one per (copy, step) for the step value used by GAE."""

    shared: torch.Tensor
    rows: torch.Tensor
    own: torch.Tensor
    index: torch.Tensor
    target: torch.Tensor

    def to(self, device: torch.device) -> CriticData:
        return CriticData(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})


def minibatches(size: int, minibatch: int, generator: torch.Generator, device: torch.device) -> list[torch.Tensor]:
    """One epoch's mini-batches: a random order of the ``size`` samples (drawn on the CPU generator, so the order
    does not depend on the device) cut into consecutive pieces of ``minibatch``."""
    return list(torch.randperm(size, generator=generator).to(device).split(minibatch))


def actor_pass(
    actor: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: ActorData,
    batches: Sequence[torch.Tensor],
    clip_epsilon: float,
    entropy_coef: float,
    grad_clip: float,
    stop: threading.Event | None = None,
) -> dict[str, float]:
    """One epoch of clipped-surrogate updates over ``batches`` (index tensors); returns the epoch's mean
    diagnostics. Raises Cancelled at a mini-batch once ``stop`` is set."""
    totals = torch.zeros(4, dtype=torch.float64, device=data.action.device)  # summed on the device: no sync
    for batch in batches:
        _check(stop)
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
        nn.utils.clip_grad_norm_(actor.parameters(), grad_clip, foreach=True)
        optimizer.step()
        with torch.no_grad():
            approx_kl = ((ratio - 1) - log_ratio).mean()
            clip_fraction = ((ratio - 1).abs() > clip_epsilon).float().mean()
            totals += torch.stack([loss, entropy, approx_kl, clip_fraction]).double()
    means = (totals / max(1, len(batches))).tolist()
    return dict(zip(("actor_loss", "entropy", "approx_kl", "clip_fraction"), means, strict=True))


def critic_pass(
    critic: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: CriticData,
    batches: Sequence[torch.Tensor],
    huber_delta: float,
    grad_clip: float,
    stop: threading.Event | None = None,
) -> float:
    """One epoch of Huber-loss regression on the targets over ``batches`` (index tensors); returns the mean
    loss. Raises Cancelled at a mini-batch once ``stop`` is set."""
    total = torch.zeros((), dtype=torch.float64, device=data.target.device)
    huber = nn.HuberLoss(delta=huber_delta)
    for batch in batches:
        _check(stop)
        prediction = critic(data.shared, data.rows[batch], data.own[batch], data.index[batch]).squeeze(-1)
        loss = huber(prediction, data.target[batch])
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(critic.parameters(), grad_clip, foreach=True)
        optimizer.step()
        total += loss.detach().double()
    return float(total) / max(1, len(batches))


class Cancelled(Exception):
    """Raised in a pass when the other side of ``side_by_side`` has failed."""


def _check(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise Cancelled


def side_by_side(first: Callable[[threading.Event], object], second: Callable[[threading.Event], object]) -> tuple:
    """(first(stop), second(stop)), with ``first`` in a second thread. torch releases the GIL inside its
    operations, so the two overlap on two cores. Each side gets the caller's intra-op thread count (so with k
    torch threads the update uses 2k). If either side raises, ``stop`` is set and the other stops at its next
    mini-batch (the passes check it); the failing side's exception is raised here."""
    threads, stop, outcome = torch.get_num_threads(), threading.Event(), {}

    def work() -> None:
        torch.set_num_threads(threads)
        try:
            outcome["value"] = first(stop)
        except BaseException as error:  # re-raised in the caller's thread
            stop.set()
            outcome["error"] = error

    worker = threading.Thread(target=work, name="critic-update", daemon=True)
    worker.start()
    try:
        second_value = second(stop)
    except BaseException as error:
        stop.set()
        worker.join()
        other = outcome.get("error")
        if isinstance(error, Cancelled) and other is not None:
            raise other from None
        if other is not None and not isinstance(other, Cancelled):
            error.add_note(f"the other side of the update failed too: {other!r}")
        raise
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"], second_value


def explained_variance(prediction: np.ndarray, target: np.ndarray) -> float:
    """1 − Var(target − prediction) / Var(target) (NaN when the target is constant)."""
    variance = float(np.var(target))
    return float("nan") if variance == 0 else 1.0 - float(np.var(target - prediction)) / variance
