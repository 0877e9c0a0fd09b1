"""The optimal baseline's excess-variance identity, checked by full enumeration of small exact games.

For agent i's estimator ĝ^i(b) = s_i·(R − b) with s_i = ∇_{θ^i} log π(a_i) and any baseline b(a_{−i}) that does
not depend on a_i, Kuba et al. 2021's optimal baseline b* = E_{a_i}[‖s_i‖² Q] / E_{a_i}‖s_i‖² (computed as in
their released code, with the norm of our parameterization: estimators.counterfactual) is the minimizer of
tr Cov ĝ^i, and the excess of any other baseline is exactly

    tr Cov ĝ^i(b) − tr Cov ĝ^i(b*) = E_{a_{−i}}[(b − b*)² · E_{a_i}‖s_i‖²].

Proof: E‖s(R − b)‖² − E‖s(R − b*)‖² = E[‖s‖²(b − b*)²] − 2E_{a_{−i}}[(b − b*)·E_{a_i}[‖s‖²(R − b*)]], and the last
inner expectation is 0 by the definition of b*; the means E ĝ^i(b) = E ĝ^i(b*) = ∇_{θ^i} J cancel; and
E_{a_i}‖s_i‖² does not depend on a_{−i} because the agents choose independently.

What this does not check: the theorem statements of Kuba et al. (their bounds on the excess variance of vanilla
MAPG and of COMA over the optimal baseline, and of MAPG over COMA). Their text could not be read here (the
stored copies of arXiv 2108.08612 stop after the introduction), so their constants are not compared with our
numbers; the identity above is a consequence of b* being the minimizer, and it specializes the excess of COMA
to E_{a_{−i}}[Cov_{a_i}(‖s_i‖², Q)² / E_{a_i}‖s_i‖²].
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from dgpg_theory import exact_game
from dgpg_theory.estimators import counterfactual, family

# The baselines compared with b*: a constant (here J itself, a state-value baseline), COMA and difference
# rewards — each a function of a_{−i} alone, as the identity requires.
COMPARED = ("plain", "state_value", "coma", "difference")


@dataclass(frozen=True)
class Enumeration:
    """Every joint action of a small game with its probability, as an EstimatorSamples batch."""

    samples: exact_game.EstimatorSamples
    probabilities: np.ndarray  # [M^N]


def enumerate_joint_actions(
    game: exact_game.LoadBalancingGame, theta: np.ndarray, max_joint_actions: int = 50_000
) -> Enumeration:
    """All M^N joint actions (tiny games only) with the quantities the estimators are built from."""
    n_joint = game.n_servers**game.n_agents
    if n_joint > max_joint_actions:
        raise ValueError(f"M^N = {n_joint} joint actions exceeds max_joint_actions = {max_joint_actions}")
    actions = np.array(list(itertools.product(range(game.n_servers), repeat=game.n_agents)))
    probabilities = np.prod(exact_game.policy_probabilities(game, theta)[np.arange(game.n_agents), actions], axis=1)
    loads = exact_game.server_loads(game, actions)
    reward = exact_game.rewards(game, loads)
    coefficient = exact_game.guidance_coefficients(game, actions, loads)
    score = exact_game.score_functions(game, theta, actions)
    plain = score * reward[:, None, None]
    # No leave-one-out baseline over an enumeration (it is a batch quantity): g_j_baseline holds Eq 2's.
    samples = exact_game.EstimatorSamples(plain, plain, score * coefficient[..., None], reward, coefficient, actions)
    return Enumeration(samples, probabilities)


@dataclass(frozen=True)
class ExcessVarianceCheck:
    """Per compared baseline: measured excess tr Cov(b) − tr Cov(b*) and the identity's prediction, each [N]."""

    measured: dict[str, np.ndarray]
    predicted: dict[str, np.ndarray]
    optimal_variance: np.ndarray  # tr Cov ĝ^i(b*), [N]
    max_abs_error: float  # over baselines and agents

    def holds(self, tolerance: float = 1e-10) -> bool:
        return self.max_abs_error <= tolerance


def check_excess_variance(game: exact_game.LoadBalancingGame, theta: np.ndarray) -> ExcessVarianceCheck:
    """Exact tr Cov of ĝ^i for b* and each COMPARED baseline, and the identity's right-hand side."""
    enumeration = enumerate_joint_actions(game, theta)
    samples, p = enumeration.samples, enumeration.probabilities
    score = exact_game.score_functions(game, theta, samples.actions)
    given = family.baselines(game, theta, samples)
    expected_reward = float(p @ samples.reward)
    candidates = {name: given[name] for name in ("plain", "coma", "difference")}
    candidates["state_value"] = np.full_like(given["plain"], expected_reward)
    policy = exact_game.policy_probabilities(game, theta)
    expected_score_norm = (policy * counterfactual.score_norms(game, theta)).sum(axis=1)

    def trace_covariance(baseline: np.ndarray) -> np.ndarray:
        g = score * (samples.reward[:, None] - baseline)[..., None]  # [J, N, 4]
        mean = np.tensordot(p, g, axes=1)
        return np.tensordot(p, (g**2).sum(axis=-1), axes=1) - (mean**2).sum(axis=-1)

    optimal = trace_covariance(given["ob"])
    measured = {name: trace_covariance(b) - optimal for name, b in candidates.items()}
    predicted = {name: (p @ (b - given["ob"]) ** 2) * expected_score_norm for name, b in candidates.items()}
    error = max(float(np.abs(measured[k] - predicted[k]).max()) for k in COMPARED)
    return ExcessVarianceCheck(measured, predicted, optimal, error)
