"""Counterfactual returns on the exact game: what the shared reward would have been had one agent acted otherwise.

The exact game (dgpg_theory.exact_game) is one-shot and its reward is a deterministic function of the joint
action, so Q(a) = R(a) and every counterfactual Q(a_{−i}, a') has a closed form: moving agent i's job changes
the load of two servers only. With the penalty P = Σ_j Σ_k x_jk² / μ_jk (R = −f·P, f = 1 or 1/N) and the load
x^{−i} without job i,

  P_{−i}           = P − Σ_k (2 x_{a_i k} w_ik − w_ik²) / μ_{a_i k}            (job i never arrived)
  P(a_{−i}, a')    = P_{−i} + Σ_k (2 x^{−i}_{a' k} w_ik + w_ik²) / μ_{a' k}     (job i placed on a')

and a weighted mean over a' with weights ω_i(a') (each row summing to 1) needs only Σ_{a'} ω_i(a') x_{a'k}/μ_{a'k},
one [S, M] × [M, N] product per resource: no [S, N, M] array is formed, so N = 1024 with M = 512 is cheap.

The weights of the two counterfactual baselines of the estimator family (dgpg_theory.estimators.family):
  COMA (Foerster et al. 2018):          ω_i(a') = π_i(a')
  optimal baseline (Kuba et al. 2021):   ω_i(a') ∝ π_i(a') ‖∇_{θ^i} log π_i(a')‖²
with the squared norm of the actual parameter gradient of the game's softmax policy (its four features), not
the logit-space norm 1 + ‖π‖² − 2π(a) of Kuba et al.'s code (that is the norm for one free logit per action).
"""

from __future__ import annotations

import numpy as np

from dgpg_theory.exact_game import LoadBalancingGame, policy_probabilities
from dgpg_theory.measurement import counterfactuals as sim_estimators


def penalties(game: LoadBalancingGame, loads: np.ndarray) -> np.ndarray:
    """P = Σ_j Σ_k x_jk² / μ_jk per sample, [S] (R = −f·P, Eq 15)."""
    return (loads**2 / game.capacities).sum(axis=(1, 2))


def _own_server(game: LoadBalancingGame, actions: np.ndarray, loads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x_{a_i}, μ_{a_i}) per sample and agent, each [S, N, K]."""
    return loads[np.arange(actions.shape[0])[:, None], actions], game.capacities[actions]


def penalty_without_agent(game: LoadBalancingGame, actions: np.ndarray, loads: np.ndarray) -> np.ndarray:
    """P_{−i}: the penalty had job i never arrived, [S, N]; it does not depend on a_i."""
    own_load, own_capacity = _own_server(game, actions, loads)
    w = game.demands[None]
    return penalties(game, loads)[:, None] - ((2 * own_load * w - w**2) / own_capacity).sum(axis=-1)


def expected_counterfactual_penalty(
    game: LoadBalancingGame,
    actions: np.ndarray,
    loads: np.ndarray,
    weights: np.ndarray,
    keep_own_job: bool = False,
) -> np.ndarray:
    """Σ_{a'} ω_i(a') P(a_{−i}, a') per sample and agent, [S, N], for weights ω [N, M] whose rows sum to 1.

    ``keep_own_job`` is a deliberate bug, kept as a negative control: it forgets to take job i off the server it
    chose before moving it (x instead of x^{−i}), so the result depends on a_i and the estimator built on it is
    biased. The unbiasedness checks must catch it."""
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (game.n_agents, game.n_servers):
        raise ValueError(f"weights must have shape [N, M] = {(game.n_agents, game.n_servers)}; got {weights.shape}")
    if not np.allclose(weights.sum(axis=1), 1.0) or np.any(weights < 0):
        raise ValueError("weights must be non-negative with every row summing to 1 (a distribution over a')")
    w, capacities = game.demands, game.capacities
    # Σ_a' ω_i(a') x_{a'k}/μ_{a'k}: [S, K, M] @ [M, N] → [S, N, K]
    weighted_load = np.einsum("skm,mn->snk", (loads / capacities).transpose(0, 2, 1), weights.T, optimize=True)
    if not keep_own_job:
        own_weight = weights[np.arange(game.n_agents)[None, :], actions]  # ω_i(a_i), [S, N]
        weighted_load = weighted_load - own_weight[..., None] * w[None] / capacities[actions]
    weighted_inverse_capacity = weights @ (1.0 / capacities)  # Σ_a' ω_i(a')/μ_{a'k}, [N, K]
    move_cost = (2 * w[None] * weighted_load + (w**2 * weighted_inverse_capacity)[None]).sum(axis=-1)
    return penalty_without_agent(game, actions, loads) + move_cost


def score_norms(game: LoadBalancingGame, theta: np.ndarray) -> np.ndarray:
    """‖∇_{θ^i} log π_i(a')‖² = ‖φ(i, a') − E_{π_i} φ(i, ·)‖² for every agent and server, [N, M]."""
    phi = game.features()
    probabilities = policy_probabilities(game, theta)
    centred = phi - np.einsum("im,imf->if", probabilities, phi)[:, None, :]
    return (centred**2).sum(axis=-1)


def coma_weights(game: LoadBalancingGame, theta: np.ndarray) -> np.ndarray:
    """ω_i(a') = π_i(a'): COMA's counterfactual baseline is E_{a'~π_i} Q(a_{−i}, a'), [N, M]."""
    return policy_probabilities(game, theta)


def optimal_baseline_weights(game: LoadBalancingGame, theta: np.ndarray) -> np.ndarray:
    """ω_i(a') ∝ π_i(a') ‖∇log π_i(a')‖²: Kuba et al.'s optimal baseline is the ω-mean of Q(a_{−i}, ·), [N, M]."""
    return sim_estimators.optimal_baseline_weights(policy_probabilities(game, theta), score_norms(game, theta))
