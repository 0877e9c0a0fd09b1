"""Actors and critics of App. I, all fed from the simulator's observation in two parts.

Every agent's H.2 observation is [shared block of its copy | own part]: the shared block (server state or
cluster statistics, and the task slots) is the same for all agents of a copy at a step, the own part is
(job CPU, job memory, t / 3000, agent index / M). Networks take the shared block once per (copy, step) row and
gather it per agent, so an [A, D] matrix is never formed during rollouts; the result is the same function of
the flat observation.

- ``linear``: π(a|s) = softmax(W s + b), V(s) = wᵀ s + b (App. I, Table 6).
- ``mlp``: a 2-layer Tanh MLP (two hidden layers of Table 7's width) for actor and critic; the actor and the
  local critic concatenate a learnable agent-id embedding (dimension 16, App. H.2 / I.3) with the observation.
- ``scoring`` (ours): logits_a = θ · φ(i, a) over the 9 per-action features of ``sim.observations.scoring_features``
  (7 H.2 server features of the action's server or cluster, two job × utilization terms); its size does not
  depend on N. Its critic is linear in the mean and spread of the per-action features.

Critics: ``central`` sees the global state (the shared block and t / 3000), ``local`` sees the agent's own
observation (App. I: "MAPPO ... centralized value function; IPPO ... local value functions").
"""

from __future__ import annotations

import torch
from torch import nn

from sim.observations import SCORING_FEATURES, SERVER_FEATURES

OWN_FEATURES = 4  # job CPU, job memory, time, agent index (H.2)
SERVER_FEATURE_COUNT = len(SERVER_FEATURES)  # per action (H.2)


def _gathered(function, shared: torch.Tensor, rows: torch.Tensor | None) -> torch.Tensor:
    """function(shared)[rows], computed on the fewer of the shared rows and the gathered ones (rollouts have many
    agents per row, updates few rows per mini-batch)."""
    if rows is None:
        return function(shared)
    if len(rows) < shared.shape[0]:
        return function(shared[rows])
    return function(shared)[rows]


class SplitInputNetwork(nn.Module):
    """f([shared[row], own, embed(index)]) for a linear map or a 2-layer Tanh MLP."""

    def __init__(self, shared_dim: int, own_dim: int, out_dim: int, hidden: int | None, slots: int, embedding: int):
        super().__init__()
        first = out_dim if hidden is None else hidden
        self.shared = nn.Linear(shared_dim, first)
        self.own = nn.Linear(own_dim, first, bias=False) if own_dim else None
        self.embedding = nn.Embedding(slots, embedding) if embedding else None
        self.embedded = nn.Linear(embedding, first, bias=False) if embedding else None
        self.body = None if hidden is None else nn.Sequential(nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.head = None if hidden is None else nn.Linear(hidden, out_dim)
        self.slots = slots

    def forward(
        self,
        shared: torch.Tensor,
        rows: torch.Tensor | None = None,
        own: torch.Tensor | None = None,
        index: torch.Tensor | None = None,
    ) -> torch.Tensor:
        pre = _gathered(self.shared, shared, rows)
        if self.own is not None:
            pre = pre + self.own(own)
        if self.embedding is not None:
            pre = pre + self.embedded(self.embedding(index.clamp(max=self.slots - 1)))
        if self.body is None:
            return pre
        return self.head(self.body(pre))


class ScoringActor(nn.Module):
    """logits[i, a] = θ · φ(i, a), φ = 7 features of action a's servers + job demand × (CPU, memory) use."""

    def __init__(self, n_actions: int):
        super().__init__()
        self.n_actions = n_actions
        self.theta = nn.Linear(SCORING_FEATURES, 1, bias=False)
        nn.init.zeros_(self.theta.weight)  # θ = 0 is the uniform policy

    def forward(self, shared: torch.Tensor, rows: torch.Tensor, own: torch.Tensor, index=None) -> torch.Tensor:
        per_action = shared.view(shared.shape[0], self.n_actions, SERVER_FEATURE_COUNT)[rows]
        interactions = per_action[..., :2] * own[:, None, :2]
        return self.theta(torch.cat([per_action, interactions], dim=-1)).squeeze(-1)


class ScoringCritic(nn.Module):
    """V linear in the mean and standard deviation over actions of the 7 per-action features, and t / 3000
    (central), plus the agent's own part (local)."""

    def __init__(self, n_actions: int, local: bool):
        super().__init__()
        self.n_actions = n_actions
        self.value = nn.Linear(2 * SERVER_FEATURE_COUNT + (OWN_FEATURES if local else 1), 1)

    def forward(self, shared, rows=None, own=None, index=None) -> torch.Tensor:
        per_action = shared.view(shared.shape[0], self.n_actions, SERVER_FEATURE_COUNT)
        pool = lambda rows_of_actions: torch.cat(  # noqa: E731
            [rows_of_actions.mean(1), rows_of_actions.std(1, unbiased=False)], dim=-1
        )
        pooled = _gathered(pool, per_action, rows)
        return self.value(torch.cat([pooled, own], dim=-1))


CLOSED_FORM_MODELS = ("linear", "scoring")  # the actors whose score function has a closed form (measurement layer)


def closed_form_parameters(model: str, n_clusters: int) -> dict[str, tuple]:
    """The actor parameters the closed form of ``model``'s score reads, name → shape (None: any size), for K =
    ``n_clusters``: ``linear`` is softmax(W o + b) with W = [shared.weight | own.weight], b = shared.bias (the
    shared block's width grows with N); ``scoring`` is θ · φ(i, a) with θ = theta.weight. ValueError for ``mlp``."""
    if model == "linear":
        return {
            "shared.weight": (n_clusters, None),
            "shared.bias": (n_clusters,),
            "own.weight": (n_clusters, OWN_FEATURES),
        }
    if model == "scoring":
        return {"theta.weight": (1, SCORING_FEATURES)}
    raise ValueError(f"model={model!r} has no closed-form score function; allowed: {', '.join(CLOSED_FORM_MODELS)}")


def build_actor(model: str, shared_dim: int, n_actions: int, hidden: int, slots: int, embedding: int) -> nn.Module:
    if model == "scoring":
        return ScoringActor(n_actions)
    if model == "linear":
        return SplitInputNetwork(shared_dim, OWN_FEATURES, n_actions, None, slots, 0)
    return SplitInputNetwork(shared_dim, OWN_FEATURES, n_actions, hidden, slots, embedding)


def build_critic(model: str, critic: str, shared_dim: int, n_actions: int, hidden: int, slots: int, embedding: int):
    """The value network. Central critics take (shared row, [time]); local ones the actor's input."""
    local = critic == "local"
    if model == "scoring":
        return ScoringCritic(n_actions, local)
    own_dim = OWN_FEATURES if local else 1
    width = None if model == "linear" else hidden
    return SplitInputNetwork(shared_dim, own_dim, 1, width, slots, embedding if local and model == "mlp" else 0)
