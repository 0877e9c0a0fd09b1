"""Theorem 4.3 on the exact game: stochastic policy-gradient ascent, and the iterations it takes to reach ε.

Appendix G bounds the iterations that θ_{k+1} = θ_k + η·ĝ(θ_k) needs to bring the gap J_α* − J_α(θ_k) below
ε: T = log(2Δ0/ε)/(μη) with η = min(1/L, με/(Lσ²)). Theorem 4.3 reads it as: T does not grow with N for DG-PG
(σ² = O(1) by Theorem 4.2) and grows like N for standard multi-agent policy gradients. On the exact game
(``dgpg_theory.exact_game``) J_α = (1 − α)J − αG (§4.1) has a closed form, so the gap of every iterate is known
and T can be counted instead of bounded.

Estimators of the gradient with respect to the shared θ (the sum over agents of ĝ^i: the paper's parameter
sharing, App. I), each the mean over a batch of S joint actions per iteration:
  plain           Σ_i ∇log π(a_i)·R                       ascends J (α = 0), Eq 2
  loo             Σ_i ∇log π(a_i)·(R − b_loo)             ascends J; b_loo: mean R of the batch's other S − 1 draws
  dg_<α>          (1 − α)·loo − α·Σ_i ∇log π(a_i)·c_i     ascends J_α (Eq 10) at a fixed α, e.g. ``dg_0.9``
  dg_alpha_star   the same at the α* of Eq 13 measured on a pilot batch at θ0 (statistics.plug_in_alpha)

Choices (the paper leaves them open):
  - ε is relative: ``epsilon_fraction``·Δ0 with Δ0 = J_α* − J_α(θ0) (the scan's default 0.1 is the 10 % of
    §6.4's convergence criterion). Rescaling the objective by c scales L, μ, Δ0 and ε by c and σ² by c², and a
    step c_step/L absorbs it, so plain and loo take the same counts under the summed and the ÷N reward; the
    reward scaling enters only through the balance of J and G inside J_α.
  - The step is constant, c_step/L with c_step = 1, 1/4, 1/16, ... (c_step ≤ 1: Appendix G's own cap η ≤ 1/L).
    It is tuned per (game, estimator) on one set of noise streams (the smallest median count; the search stops
    when the median doubles past the best, or when even exact ascent at that step would need more than the
    iteration limit) and the count is then measured on fresh streams. Appendix G's schedule at the measured
    constants is computed beside it (``AscentProblem.appendix_g_iterations``), not run: on this game its step
    is usually orders of magnitude below 1/L and its T orders of magnitude above the counts at tuned steps.
  - L is the largest |eigenvalue| of ∇²J_α at θ0, the midpoint, θ_α* and at iterates of the exact-gradient
    path from θ0 to ε; μ is the smallest PL ratio ½‖∇J_α‖²/(J_α* − J_α) on that path (Assumption G.1 is needed
    only where the iterates go); σ² is tr Cov of the S-sample estimate, the larger of θ0's and the path end's.
  - A game whose J_α has no interior maximum (the supremum is a deterministic assignment at |θ| → ∞, common
    for N ≤ 16) is not measurable: the PL condition fails, ascent converges sublinearly (``NotMeasurable``).
  - A replicate's count is the first k with J_α* − J_α(θ_k) ≤ ε; one that has not reached ε within its budget
    is censored (inf).

The batched ascent below re-implements the exact game's sampler, loads, reward, guidance coefficient and score
in torch over R replicates for speed; ``tests/test_ascent.py`` checks it against ``exact_game``'s functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from dgpg_theory import exact_game
from dgpg_theory import statistics as st
from sim.arguments import ArgumentError, require, require_int

STEP_GRID = tuple(4.0**-k for k in range(10))  # c_step: the step is c_step / L
BUDGET_FACTOR = 8  # a step c_step/L gets BUDGET_FACTOR × (the exact path's count) / c_step iterations,
MIN_BUDGET = 100  # and at least this many (the exact path may reach ε in one step; a noisy ascent need not)
PATH_ITERATION_LIMIT = 100_000
PATH_CURVATURE_POINTS = 16  # iterates of the exact path at which the Hessian is evaluated
PILOT_SAMPLES = 256  # joint actions at θ0 for α* (Eq 13) and for σ²
ESTIMATOR_NAMES = "plain, loo, dg_alpha_star or dg_<α> with α in [0, 1]"
INTERIOR_TOLERANCE = 1e-9  # ∇²J_α at the BFGS end counts as negative definite if every eigenvalue < −tol·L


class NotMeasurable(Exception):
    """Why a (game, estimator) has no count: no interior maximum (the supremum of J_α is at infinity, so the
    PL condition fails and gradient ascent converges sublinearly), or an exact path longer than the limit."""


def alpha_of(estimator: str) -> float | None:
    """α of the objective an estimator ascends: 0 for plain and loo, the number in ``dg_<α>``, None for
    ``dg_alpha_star`` (measured per game)."""
    if estimator in ("plain", "loo"):
        return 0.0
    if estimator == "dg_alpha_star":
        return None
    if not estimator.startswith("dg_"):
        raise ArgumentError("estimator", estimator, ESTIMATOR_NAMES)
    try:
        alpha = float(estimator.removeprefix("dg_"))
    except ValueError:
        alpha = math.nan
    require(0.0 <= alpha <= 1.0, "estimator", estimator, ESTIMATOR_NAMES)
    return alpha


def claim_of(estimator: str) -> str:
    """Theorem 4.3's claim: O(1) iterations for DG-PG, Θ(N) for the standard estimators."""
    return "Theta(N)" if estimator in ("plain", "loo") else "O(1)"


# ----------------------------------------------------------------------------------------------------------
# The batched sampler: R replicates of one game, each with its own θ and noise stream.
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GameTensors:
    """The exact game's arrays as float64 tensors: features φ [N, M, 4] and φᵀ [N, 4, M], demands w [N, K],
    capacities μ [M, K], the reference x̃ [M, K] (Eq 16) and the reward factor."""

    features: torch.Tensor
    features_transposed: torch.Tensor
    demands: torch.Tensor
    capacities: torch.Tensor
    reference: torch.Tensor
    reward_factor: float

    @classmethod
    def of(cls, game: exact_game.LoadBalancingGame) -> GameTensors:
        def tensor(array: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(np.ascontiguousarray(array), dtype=torch.float64)

        features = tensor(game.features())
        return cls(
            features,
            features.transpose(1, 2).contiguous(),
            tensor(game.demands),
            tensor(game.capacities),
            tensor(game.reference_state()),
            game.reward_factor,
        )


# Policies are held agent-major, [N, R, M] (agent, replicate, server): every matrix product below then reads
# its operands as views, with no copy of the largest tensor.


def probabilities(tensors: GameTensors, theta: torch.Tensor) -> torch.Tensor:
    """π(j | i) for R parameter vectors θ [R, 4]: [N, R, M]."""
    return torch.softmax(torch.matmul(theta, tensors.features_transposed), dim=-1)


def augmented_values(tensors: GameTensors, probs: torch.Tensor, alpha: float) -> torch.Tensor:
    """J_α = (1 − α)J − αG in closed form (as ``exact_game.augmented_objective``) for each replicate: [R]."""
    n_agents, replicates, n_servers = probs.shape
    flat = probs.reshape(n_agents, replicates * n_servers)
    mean = (tensors.demands.T @ flat).view(-1, replicates, n_servers).permute(1, 2, 0)  # E x, [R, M, K]
    var = ((tensors.demands**2).T @ (flat * (1 - flat))).view(-1, replicates, n_servers).permute(1, 2, 0)
    reward = -((mean**2 + var) / tensors.capacities).sum(dim=(1, 2)) * tensors.reward_factor
    guidance = 0.5 * ((mean - tensors.reference) ** 2 + var).sum(dim=(1, 2))
    return (1 - alpha) * reward - alpha * guidance


@dataclass(frozen=True)
class BatchEstimates:
    """Per-sample shared-parameter estimates for R replicates and S joint actions each, [R, S, 4]:
    Σ_i ∇log π(a_i)·R (plain), the same with R − b_loo (loo), and Σ_i ∇log π(a_i)·c_i (guidance, Eq 9)."""

    plain: torch.Tensor
    loo: torch.Tensor
    guidance: torch.Tensor


def sample_actions(probs: torch.Tensor, n_samples: int, generator: torch.Generator) -> torch.Tensor:
    """S joint actions per replicate by inverse CDF (as ``exact_game.sample_actions``) at the policies
    ``probs`` [N, R, M]: [R, S, N] server indices."""
    n_agents, replicates, n_servers = probs.shape
    cdf = torch.cumsum(probs, dim=-1)
    uniforms = torch.rand(n_agents, replicates, n_samples, generator=generator, dtype=torch.float64)
    actions = torch.searchsorted(cdf, uniforms * cdf[..., -1:], right=True)
    return actions.clamp_max(n_servers - 1).permute(1, 2, 0)


def estimates_for_actions(tensors: GameTensors, probs: torch.Tensor, actions: torch.Tensor) -> BatchEstimates:
    """The estimates of ``exact_game.sample_estimators`` for given joint actions [R, S, N] at the policies
    ``probs`` [N, R, M], summed over agents."""
    replicates, n_samples, n_agents = actions.shape
    n_servers = probs.shape[-1]
    n_resources = tensors.demands.shape[1]
    index = actions.unsqueeze(-1).expand(replicates, n_samples, n_agents, n_resources)
    demands = tensors.demands.expand(replicates, n_samples, n_agents, n_resources)
    loads = torch.zeros(replicates, n_samples, n_servers, n_resources, dtype=torch.float64)
    loads.scatter_add_(2, index, demands)
    reward = -(loads**2 / tensors.capacities).sum(dim=(2, 3)) * tensors.reward_factor  # [R, S]
    deviation = torch.gather(loads, 2, index) - tensors.reference[actions]  # [R, S, N, K]
    coefficient = (deviation * tensors.demands).sum(dim=-1)  # c_i, [R, S, N]
    # Σ_i ∇log π(a_i)·w_i = Σ_i φ(i, a_i)·w_i − Σ_i E_π φ(i, ·)·w_i as batched matrix products, for w_i = 1
    # (the reward is shared, so the plain and loo estimates are Σ_i ∇log π(a_i) times a scalar) and w_i = c_i.
    weights = torch.stack([torch.ones_like(coefficient), coefficient], dim=-1)  # [R, S, N, 2]
    flat_index = (torch.arange(n_agents) * n_servers + actions).reshape(-1)
    chosen = tensors.features.reshape(n_agents * n_servers, -1).index_select(0, flat_index)
    chosen = chosen.view(replicates * n_samples, n_agents, -1)
    mean_features = torch.bmm(probs, tensors.features)  # E_π φ(i, ·), [N, R, 4]
    flat_weights = weights.reshape(replicates * n_samples, n_agents, 2)
    weighted = torch.bmm(chosen.transpose(1, 2), flat_weights).view(replicates, n_samples, -1, 2)
    weighted = weighted - torch.einsum("irf,rsiw->rsfw", mean_features, weights)
    score_sum = weighted[..., 0]
    baseline = (reward.sum(dim=1, keepdim=True) - reward) / (n_samples - 1)
    return BatchEstimates(
        plain=score_sum * reward.unsqueeze(-1),
        loo=score_sum * (reward - baseline).unsqueeze(-1),
        guidance=weighted[..., 1],
    )


def sample_estimates(
    tensors: GameTensors, probs: torch.Tensor, n_samples: int, generator: torch.Generator
) -> BatchEstimates:
    """Draw S joint actions per replicate at the policies ``probs`` [N, R, M] and form their estimates."""
    return estimates_for_actions(tensors, probs, sample_actions(probs, n_samples, generator))


def combine(estimates: BatchEstimates, estimator: str, alpha: float) -> torch.Tensor:
    """The per-sample estimate an estimator ascends with, [R, S, 4]: plain, loo, or (1 − α)·loo − α·guidance."""
    if estimator == "plain":
        return estimates.plain
    if estimator == "loo":
        return estimates.loo
    return (1 - alpha) * estimates.loo - alpha * estimates.guidance


def shared_gradient(tensors: GameTensors, theta: np.ndarray, alpha: float) -> tuple[float, np.ndarray]:
    """J_α and its exact gradient at one shared θ, by autograd through ``augmented_values``: the exact path and
    the counted iterates then read their gaps off one implementation of J_α (``exact_game.augmented_objective``
    is the reference it is tested against)."""
    point = torch.tensor(np.asarray(theta, dtype=float), dtype=torch.float64, requires_grad=True)
    value = augmented_values(tensors, probabilities(tensors, point[None]), alpha)[0]
    (gradient,) = torch.autograd.grad(value, point)
    return float(value.detach()), gradient.numpy()


def largest_curvature(tensors: GameTensors, theta: np.ndarray, alpha: float) -> float:
    """max |eigenvalue| of ∇²J_α at θ: the local smoothness constant L of Assumption G.1."""
    hessian = torch.autograd.functional.hessian(
        lambda point: augmented_values(tensors, probabilities(tensors, point[None]), alpha)[0],
        torch.tensor(np.asarray(theta, dtype=float), dtype=torch.float64),
    )
    return float(np.abs(np.linalg.eigvalsh(hessian.numpy())).max())


# ----------------------------------------------------------------------------------------------------------
# The problem: J_α*, ε, and the constants of Appendix G measured on the exact game.
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AscentProblem:
    """One (game, estimator): the target and the measured constants of Appendix G's bound."""

    n_agents: int
    n_servers: int
    estimator: str
    alpha: float
    theta_start: np.ndarray
    optimum_value: float  # J_α* (BFGS on the closed form; for small N a supremum at infinity)
    optimum_theta: np.ndarray
    gap_start: float  # Δ0 = J_α* − J_α(θ0)
    epsilon: float
    smoothness: float  # L
    pl_constant: float  # μ, the smallest PL ratio on the exact path
    exact_iterations: int  # exact gradient ascent at step 1/L to ε
    batch_variance: float  # σ²: tr Cov of the S-sample estimate
    batch_size: int

    @property
    def appendix_g_step(self) -> float:
        """η = min(1/L, με/(Lσ²)) (Appendix G)."""
        return min(1 / self.smoothness, self.pl_constant * self.epsilon / (self.smoothness * self.batch_variance))

    @property
    def appendix_g_iterations(self) -> float:
        """T = log(2Δ0/ε)/(μη) (Appendix G) at the measured constants."""
        return math.log(2 * self.gap_start / self.epsilon) / (self.pl_constant * self.appendix_g_step)


def _exact_path(
    tensors: GameTensors, alpha: float, theta_start: np.ndarray, optimum: float, epsilon: float, step: float
) -> tuple[list[np.ndarray], list[float]]:
    """Iterates of exact gradient ascent θ ← θ + step·∇J_α until the gap is ≤ ε, and the PL ratios on the way."""
    theta, path, pl_ratios = np.asarray(theta_start, float), [], []
    for _ in range(PATH_ITERATION_LIMIT):
        value, gradient = shared_gradient(tensors, theta, alpha)
        path.append(theta)
        gap = optimum - value
        if gap <= epsilon:
            return path, pl_ratios
        pl_ratios.append(0.5 * float(gradient @ gradient) / gap)
        theta = theta + step * gradient
    raise NotMeasurable(f"exact gradient ascent did not reach ε = {epsilon:.3g} in {PATH_ITERATION_LIMIT} steps")


def _batch_variance(
    tensors: GameTensors, theta: np.ndarray, estimator: str, alpha: float, batch_size: int, generator: torch.Generator
) -> float:
    """tr Cov of the S-sample mean estimate at θ, from PILOT_SAMPLES / S independent batches."""
    n_batches = max(2, PILOT_SAMPLES // batch_size)
    point = torch.as_tensor(np.tile(theta, (n_batches, 1)), dtype=torch.float64)
    probs = probabilities(tensors, point)
    estimates = combine(sample_estimates(tensors, probs, batch_size, generator), estimator, alpha)
    return st.trace_variance(estimates.mean(dim=1).numpy())


def pilot_alpha(tensors: GameTensors, theta: np.ndarray, generator: torch.Generator) -> float:
    """α* of Eq 13 in [0, 1] from PILOT_SAMPLES joint actions at θ (``statistics.plug_in_alpha`` on the
    shared-parameter loo and guidance estimates). The pilot's loo baseline averages the other PILOT_SAMPLES − 1
    draws, the ascent's only S − 1: the ascent's ĝ_J is noisier than the pilot's, so this α* is Eq 13's for a
    better-baselined ĝ_J than the one the ascent uses (pilot batches of S draws would match it)."""
    point = torch.as_tensor(np.asarray(theta, float)[None], dtype=torch.float64)
    estimates = sample_estimates(tensors, probabilities(tensors, point), PILOT_SAMPLES, generator)
    return st.plug_in_alpha(estimates.loo[0].numpy(), estimates.guidance[0].numpy())


@dataclass(frozen=True)
class Objective:
    """J_α's side of a problem, shared by every estimator that ascends the same α on the same game."""

    alpha: float
    optimum_value: float
    optimum_theta: np.ndarray
    gap_start: float
    epsilon: float
    smoothness: float
    pl_constant: float
    exact_iterations: int
    path_end: np.ndarray


def measure_objective(
    game: exact_game.LoadBalancingGame, alpha: float, theta_start: np.ndarray, epsilon_fraction: float
) -> Objective:
    """J_α* (BFGS), ε, L (curvature at θ0, the midpoint, θ_α* and on the exact path) and μ (PL ratios on the
    exact path at step 1/L). Raises NotMeasurable without an interior maximum."""
    tensors = GameTensors.of(game)
    optimum = exact_game.maximize_augmented(game, alpha, theta_start)
    optimum_value = float(-optimum.fun)
    gap_start = optimum_value - shared_gradient(tensors, theta_start, alpha)[0]
    epsilon = epsilon_fraction * gap_start
    midpoint = 0.5 * (theta_start + optimum.x)
    smoothness = max(largest_curvature(tensors, point, alpha) for point in (theta_start, midpoint, optimum.x))
    curvature = np.linalg.eigvalsh(exact_game.augmented_hessian(game, optimum.x, alpha))
    if curvature.max() >= -INTERIOR_TOLERANCE * smoothness:
        raise NotMeasurable(
            f"no interior maximum of J_α (α = {alpha:.3g}): the Hessian at the BFGS end (|θ| = "
            f"{np.linalg.norm(optimum.x):.3g}) has largest eigenvalue {curvature.max():.3g}"
        )
    for _ in range(2):  # a path that finds more curvature than the endpoints is rerun once at the larger L
        path, pl_ratios = _exact_path(tensors, alpha, theta_start, optimum_value, epsilon, 1 / smoothness)
        probes = [*path[:: max(1, len(path) // PATH_CURVATURE_POINTS)], path[-1]]
        path_smoothness = max(largest_curvature(tensors, point, alpha) for point in probes)
        if path_smoothness <= 1.5 * smoothness:
            break
        smoothness = path_smoothness
    return Objective(
        alpha=alpha,
        optimum_value=optimum_value,
        optimum_theta=np.asarray(optimum.x),
        gap_start=gap_start,
        epsilon=epsilon,
        smoothness=max(smoothness, path_smoothness),
        pl_constant=min(pl_ratios) if pl_ratios else math.inf,
        exact_iterations=len(path) - 1,
        path_end=path[-1],
    )


def make_problem(
    game: exact_game.LoadBalancingGame,
    estimator: str,
    generator: torch.Generator,
    batch_size: int = 8,
    epsilon_fraction: float = 0.1,
    theta_start: np.ndarray = exact_game.DEFAULT_THETA,
    objectives: dict[tuple, Objective] | None = None,
) -> AscentProblem:
    """Measure J_α*, ε and Appendix G's L, μ, σ² for one estimator on one game (``generator``: the pilot's
    noise). ``objectives`` caches ``measure_objective`` by α across estimators of the same game."""
    require_int("batch_size", batch_size, 2)
    require(0.0 < epsilon_fraction < 1.0, "epsilon_fraction", epsilon_fraction, "a float in (0, 1)")
    tensors = GameTensors.of(game)
    theta_start = np.array(theta_start, float)  # a copy: the problem must not alias the caller's array
    alpha = alpha_of(estimator)
    if alpha is None:
        alpha = pilot_alpha(tensors, theta_start, generator)
    objectives = {} if objectives is None else objectives
    key = (alpha, epsilon_fraction, tuple(theta_start))  # all that J_α's side depends on, for one game
    if key not in objectives:
        objectives[key] = measure_objective(game, alpha, theta_start, epsilon_fraction)
    objective = objectives[key]
    variance = max(
        _batch_variance(tensors, point, estimator, alpha, batch_size, generator)
        for point in (theta_start, objective.path_end)
    )
    return AscentProblem(
        n_agents=game.n_agents,
        n_servers=game.n_servers,
        estimator=estimator,
        alpha=alpha,
        theta_start=theta_start,
        optimum_value=objective.optimum_value,
        optimum_theta=objective.optimum_theta,
        gap_start=objective.gap_start,
        epsilon=objective.epsilon,
        smoothness=objective.smoothness,
        pl_constant=objective.pl_constant,
        exact_iterations=objective.exact_iterations,
        batch_variance=variance,
        batch_size=batch_size,
    )


# ----------------------------------------------------------------------------------------------------------
# The ascent and its count
# ----------------------------------------------------------------------------------------------------------


def iterations_to_epsilon(
    game: exact_game.LoadBalancingGame,
    problem: AscentProblem,
    step_factor: float,
    replicates: int,
    budget: int,
    generator: torch.Generator,
) -> np.ndarray:
    """Run R independent ascents θ ← θ + (c/L)·ĝ from θ0 and return each one's first k with J_α* − J_α(θ_k) ≤ ε
    ([R] floats; inf where ε was not reached within ``budget`` iterations: censored)."""
    tensors = GameTensors.of(game)
    step = step_factor / problem.smoothness
    theta = torch.as_tensor(np.tile(problem.theta_start, (replicates, 1)), dtype=torch.float64)
    counts = torch.full((replicates,), math.inf, dtype=torch.float64)
    for iteration in range(budget + 1):
        probs = probabilities(tensors, theta)
        gap = problem.optimum_value - augmented_values(tensors, probs, problem.alpha)
        counts = torch.where(torch.isinf(counts) & (gap <= problem.epsilon), float(iteration), counts)
        if not torch.isinf(counts).any() or iteration == budget:
            break
        estimates = sample_estimates(tensors, probs, problem.batch_size, generator)
        theta = theta + step * combine(estimates, problem.estimator, problem.alpha).mean(dim=1)
    return counts.numpy()


@dataclass(frozen=True)
class StepTrial:
    step_factor: float
    budget: int
    median_count: float  # inf: censored


def tune_step(
    game: exact_game.LoadBalancingGame,
    problem: AscentProblem,
    replicates: int,
    max_iterations: int,
    generator: torch.Generator,
) -> list[StepTrial]:
    """Try c = 1, 1/4, 1/16, ... (c ≤ 1: Appendix G's η ≤ 1/L) until the median count doubles past the best
    (or a trial after a finite best is censored), or until even the exact path at step c/L would need more than
    ``max_iterations``. While every trial is censored the search goes on: a smaller step lowers the noise floor."""
    trials: list[StepTrial] = []
    best = math.inf
    for step_factor in STEP_GRID:
        if problem.exact_iterations / step_factor > max_iterations:
            break
        budget = max(MIN_BUDGET, math.ceil(BUDGET_FACTOR * problem.exact_iterations / step_factor))
        if math.isfinite(best):
            budget = min(budget, math.ceil(2 * best))  # a count past 2 × best would stop the search anyway
        budget = min(budget, max_iterations)
        counts = iterations_to_epsilon(game, problem, step_factor, replicates, budget, generator)
        trials.append(StepTrial(step_factor, budget, float(np.median(counts))))  # inf: half or more censored
        if math.isfinite(best) and trials[-1].median_count >= 2 * best:
            break
        best = min(best, trials[-1].median_count)
    return trials


def best_trial(trials: list[StepTrial]) -> StepTrial | None:
    """The trial with the smallest median count (the larger step on a tie); None if every one was censored."""
    finite = [trial for trial in trials if math.isfinite(trial.median_count)]
    return min(finite, key=lambda trial: (trial.median_count, -trial.step_factor)) if finite else None
