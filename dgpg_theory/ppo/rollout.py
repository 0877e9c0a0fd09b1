"""Rollouts of a shared policy on the batched simulator, recorded for PPO.

One agent per arriving job (H.2). A rollout is a full 3000-step episode of one scenario; the copies of a batch
run in lockstep. Per (copy, step) row we keep the shared observation block, t / 3000 and the shared reward r_t;
per agent its row, own features, agent index, action, log-probability and guidance coefficient c (Eq 9).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from sim.env import BatchedEnv
from sim.observations import action_server_features, agent_index, job_features, observation_blocks, task_slots
from sim.scales import Scale
from sim.state import EnvState
from sim.workload import EPISODE_STEPS

Encoder = Callable[[EnvState, Scale], tuple[np.ndarray, np.ndarray, np.ndarray]]


def flat_encoder(state: EnvState, scale: Scale) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shared [B, D_shared], own [A, 4], agent index [A]) of the flat H.2 observation (linear and MLP models)."""
    shared, own = observation_blocks(state, scale)
    return shared, own, agent_index(state)


def scoring_encoder(state: EnvState, scale: Scale) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(per-action server features [B, K·7], own [A, 4], agent index [A]) for the scoring model."""
    index = agent_index(state)
    own = np.concatenate(
        [
            job_features(state),
            np.full((len(index), 1), state.t / EPISODE_STEPS),
            (index / task_slots(scale.n_servers))[:, None],
        ],
        axis=1,
    )
    return action_server_features(state, scale).reshape(state.n_copies, -1), own, index


def encoder_for(model: str) -> Encoder:
    return scoring_encoder if model == "scoring" else flat_encoder


@dataclass
class RolloutBatch:
    """What PPO needs from one episode's rollouts. Rows are (copy, step) with row = copy · 3000 + t."""

    shared: np.ndarray  # [R, D_shared] float32
    time: np.ndarray  # [R] t / 3000
    reward: np.ndarray  # [copies, 3000] shared reward r_t (H.3)
    rows: np.ndarray  # [A] the (copy, step) row of each agent
    own: np.ndarray  # [A, 4] float32
    index: np.ndarray  # [A] agent index within its step
    action: np.ndarray  # [A]
    log_prob: np.ndarray  # [A] log π_old(a | o)
    coefficient: np.ndarray  # [A] raw guidance coefficient c = ⟨x − x̃, z⟩

    @property
    def copies(self) -> int:
        return self.reward.shape[0]

    @staticmethod
    def concatenate(batches: list[RolloutBatch]) -> RolloutBatch:
        offsets = np.cumsum([0] + [b.shared.shape[0] for b in batches[:-1]])
        return RolloutBatch(
            shared=np.concatenate([b.shared for b in batches]),
            time=np.concatenate([b.time for b in batches]),
            reward=np.concatenate([b.reward for b in batches]),
            rows=np.concatenate([b.rows + o for b, o in zip(batches, offsets, strict=True)]),
            own=np.concatenate([b.own for b in batches]),
            index=np.concatenate([b.index for b in batches]),
            action=np.concatenate([b.action for b in batches]),
            log_prob=np.concatenate([b.log_prob for b in batches]),
            coefficient=np.concatenate([b.coefficient for b in batches]),
        )


def choose_actions(
    actor: torch.nn.Module,
    shared: np.ndarray,
    rows: np.ndarray,
    own: np.ndarray,
    index: np.ndarray,
    generator: torch.Generator,
    greedy: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Actions and their log-probabilities; sampling is Gumbel-max on the run's own torch generator."""
    with torch.inference_mode():
        logits = actor(
            torch.from_numpy(shared.astype(np.float32)),
            torch.from_numpy(rows),
            torch.from_numpy(own.astype(np.float32)),
            torch.from_numpy(index),
        )
        log_probs = torch.log_softmax(logits, dim=-1)
        if greedy:
            actions = log_probs.argmax(dim=-1)
        else:
            uniform = torch.rand(log_probs.shape, generator=generator).clamp_(1e-12, 1.0)
            actions = (log_probs - torch.log(-torch.log(uniform))).argmax(dim=-1)
        chosen = log_probs.gather(1, actions[:, None]).squeeze(1)
    return actions.numpy().astype(np.int64), chosen.numpy()


def collect(
    env: BatchedEnv,
    actor: torch.nn.Module,
    encoder: Encoder,
    scale: Scale,
    generator: torch.Generator,
    greedy: bool = False,
    record: bool = True,
    on_step: Callable[[int, int], None] | None = None,
) -> RolloutBatch | np.ndarray:
    """Run every copy of ``env`` from reset to the end of the episode under ``actor``.

    Returns the RolloutBatch (``record=True``) or just the per-step rewards [copies, 3000].
    """
    decision = env.reset()
    copies = env.n_copies
    rewards = np.zeros((copies, EPISODE_STEPS))
    shared_steps, agents = [], []
    for t in range(EPISODE_STEPS):
        state = env.state
        if decision.n_agents or record:
            shared, own, index = encoder(state, scale)
        if record:
            shared_steps.append(shared.astype(np.float32))
        if decision.n_agents:
            copy = state.job_copy.astype(np.int64)
            actions, log_prob = choose_actions(actor, shared, copy, own, index, generator, greedy)
        else:
            actions, log_prob = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        result = env.step(actions)
        rewards[:, t] = result.reward
        if record and decision.n_agents:
            agents.append((copy * EPISODE_STEPS + t, own.astype(np.float32), index, actions, log_prob,
                           result.coefficient.copy()))  # fmt: skip
        if on_step is not None:
            on_step(t, decision.n_agents)
        decision = result.decision
    if not record:
        return rewards
    # rows are copy-major: reorder the [T, B, D] stack to [B, T, D]
    shared = np.stack(shared_steps, axis=1).reshape(copies * EPISODE_STEPS, -1)
    columns = list(zip(*agents, strict=True)) if agents else [[np.zeros(0)]] * 6
    return RolloutBatch(
        shared=shared,
        time=np.tile(np.arange(EPISODE_STEPS) / EPISODE_STEPS, copies),
        reward=rewards,
        rows=np.concatenate(columns[0]).astype(np.int64),
        own=np.concatenate(columns[1]).reshape(-1, 4).astype(np.float32),
        index=np.concatenate(columns[2]).astype(np.int64),
        action=np.concatenate(columns[3]).astype(np.int64),
        log_prob=np.concatenate(columns[4]).astype(np.float32),
        coefficient=np.concatenate(columns[5]).astype(np.float64),
    )
