"""Trained actors of ``dgpg_theory.ppo`` as fixed policies with closed-form scores (``--policy checkpoint:PATH``).

A run's ``best.pt`` or ``last.pt`` is mapped exactly onto the closed forms of ``measurement.policies``. A
``linear`` actor computes softmax(W o + b) with W = [shared.weight | own.weight] and b = shared.bias on the flat
H.2 observation, so it becomes a ``FlatLinearPolicy`` — valid only at the checkpoint's own (N, K), since D grows
with N. A ``scoring`` actor computes θ · φ(i, a) over the same 9 features in the same order, so it becomes a
``ScoringPolicy`` valid at every N (its N-independence is the point of that model; K at another N is that N's
default). An ``mlp`` actor has no closed-form score and is refused. A checkpoint policy ignores ``seed``: its
parameters are the trained ones. Which parameters a closed form reads, and their shapes, is
``ppo.models.closed_form_parameters``, next to the modules that define them.

``dgpg_theory.ppo`` (and so torch) is imported only when a checkpoint is read: a scan of a closed-form policy,
and each of its workers, never pays torch's import time and memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dgpg_theory.measurement.policies import POLICY_NAMES, FlatLinearPolicy, Policy, ScoringPolicy, make_policy
from sim.observations import SCORING_FEATURES
from sim.scales import Scale, resolve_scale

CHECKPOINT_PREFIX = "checkpoint:"


@dataclass(frozen=True)
class Checkpoint:
    """What a trained actor contributes to a fixed policy: its model, where it was trained, its parameters."""

    path: str
    model: str
    method: str
    episode: int
    n_servers: int
    n_clusters: int
    actor: dict  # parameter name -> float64 array
    queue_model: str = "bounded-redispatch"  # the queue model it was trained under (older runs: the only one)

    def describe(self) -> dict:
        """The record of this checkpoint in a scan's results (no parameters)."""
        keys = ("path", "model", "method", "episode", "n_servers", "n_clusters", "queue_model")
        return {key: getattr(self, key) for key in keys}


def read_checkpoint(path: str) -> Checkpoint:
    """Load a trainer's ``best.pt`` or ``last.pt``; ValueError naming ``path`` if it is unreadable or not one.

    The model must be one of ``ppo.models.CLOSED_FORM_MODELS`` (an ``mlp`` actor has no closed-form score)."""
    from dgpg_theory.ppo.checkpoint import load_checkpoint  # torch only when a checkpoint is read
    from dgpg_theory.ppo.models import CLOSED_FORM_MODELS, closed_form_parameters

    state = load_checkpoint(path)
    config, actor = state["config"], state["actor"]
    if config["model"] not in CLOSED_FORM_MODELS:
        raise ValueError(
            f"checkpoint {path!r} holds a model={config['model']!r} actor, which has no closed-form score "
            f"function; allowed models: {', '.join(CLOSED_FORM_MODELS)}"
        )
    try:
        trained_at = resolve_scale(config["n_servers"], config.get("n_clusters"))
        expected_shapes = closed_form_parameters(config["model"], trained_at.n_clusters)
        parameters = {key: actor[key].detach().cpu().double().numpy() for key in expected_shapes}
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"checkpoint {path!r} has a malformed config or actor: {error!r}") from error
    _check_actor_shapes(path, parameters, expected_shapes)
    return Checkpoint(
        path=str(path),
        model=config["model"],
        method=str(config.get("method")),
        episode=int(state.get("episode", 0)),
        n_servers=trained_at.n_servers,
        n_clusters=trained_at.n_clusters,
        actor=parameters,
        queue_model=str(config.get("queue_model", "bounded-redispatch")),
    )


def _check_actor_shapes(path: str, parameters: dict, expected_shapes: dict) -> None:
    for key, expected in expected_shapes.items():
        shape = parameters[key].shape
        fits = len(shape) == len(expected) and all(w is None or s == w for s, w in zip(shape, expected, strict=True))
        if not fits:
            raise ValueError(f"checkpoint {path!r}: actor parameter {key} has shape {shape}, expected {expected}")


def checkpoint_policy(checkpoint: Checkpoint, scale: Scale) -> Policy:
    """The closed-form policy computing exactly the checkpoint's actor at ``scale`` (module docstring); a
    ``linear`` checkpoint fits only the (N, K) it was trained at: ValueError naming both otherwise."""
    if checkpoint.model == "scoring":
        theta = checkpoint.actor["theta.weight"].reshape(SCORING_FEATURES)
        return ScoringPolicy(theta, scale, name="checkpoint")
    trained = (checkpoint.n_servers, checkpoint.n_clusters)
    if (scale.n_servers, scale.n_clusters) != trained:
        raise ValueError(
            f"checkpoint {checkpoint.path!r} is a linear actor trained at (N, K) = {trained}, which does not fit "
            f"(N, K) = {(scale.n_servers, scale.n_clusters)} (its observation size grows with N); allowed: N = "
            f"{checkpoint.n_servers}, or a scoring checkpoint, which fits every N"
        )
    weights = np.concatenate([checkpoint.actor["shared.weight"], checkpoint.actor["own.weight"]], axis=1)
    return FlatLinearPolicy(weights, checkpoint.actor["shared.bias"], scale, name="checkpoint")


def checkpoint_path(policy: str) -> str | None:
    """PATH of a ``checkpoint:PATH`` policy name; None for any other name."""
    return policy[len(CHECKPOINT_PREFIX) :] if policy.startswith(CHECKPOINT_PREFIX) else None


def policy_from_name(name: str, scale: Scale, seed: int) -> Policy:
    """The policy a scan names: ``scoring``, ``uniform`` or ``flat`` (``policies.make_policy``, drawn from
    ``seed``) or ``checkpoint:PATH`` (the trained actor at PATH; ``seed`` is not used)."""
    path = checkpoint_path(name)
    if path is not None:
        return checkpoint_policy(read_checkpoint(path), scale)
    if name not in POLICY_NAMES:
        raise ValueError(f"policy={name!r} is unknown; allowed: {', '.join(POLICY_NAMES)} or {CHECKPOINT_PREFIX}PATH")
    return make_policy(name, scale, seed)
