"""An exactly solvable one-shot cooperative load-balancing game: the controlled testbed of the theory layer.

N agents each hold one job with a demand vector w_i ∈ R^K and pick one of M servers (M grows with N), whose
capacities are μ_j ∈ R^K. The state is the per-server load x_jk = Σ_i w_ik·1[a_i = j] (Appendix D), the reward
is the load-imbalance penalty R = −Σ_j Σ_k x_jk² / μ_jk (Eq 15, negated so that J is maximized), optionally
divided by N as the paper's H.3 reward is. The guidance functional is d = ½‖x − x̃‖² (Eq 6) with the fluid
reference x̃ of Eq 16, which does not depend on the actions (Assumption 3.1) because Σ_j x_jk = Σ_i w_ik.

Every agent uses the same softmax policy over servers: logit_ij = ⟨θ, φ(i, j)⟩ with four job-server features,
so the parameter count does not depend on N. Choices are independent given θ, so the first two moments of the
loads — hence E[J] and E[G] — have closed forms; torch autograd differentiates them, per agent, by giving each
agent its own copy θ^i of the shared parameter (the per-agent gradient ∇_{θ^i}, as in Eq 2 and Eq 9).

Monte Carlo per-agent estimators, vectorized over S samples:
  ĝ_J^i = ∇log π(a_i)·R               (no baseline)
  ĝ_J^i = ∇log π(a_i)·(R − b_loo)      (b_loo: mean of R over the other S−1 samples)
  ĝ_G^i = ∇log π(a_i)·c_i,  c_i = ⟨x − x̃, z_i⟩ = Σ_k w_ik (x_{a_i,k} − x̃_{a_i,k})   (Eq 9, Appendix D)

Choices (the paper leaves them open):
  - c_i uses the post-action load x (job i included), the state the joint action produces; with it the
    linearization of Eq 9 is exactly unbiased for ∇_{θ^i} G here (paper_checks/test_exact_game.py).
  - c_i therefore depends on the other agents' actions through the load of the server agent i picked, contrary
    to §3.2 ("this coefficient does not depend on other agents' actions"); paper_checks/test_exact_game.py
    measures how much of Var(c_i) that is.
  - The number of servers M grows with N (M = N/2 by default): O(1) jobs per server. Every O(1)/Θ(N) verdict on
    this game is conditional on that; ``n_servers`` fixes M instead.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.optimize
import torch

from dgpg_theory import statistics as st  # the statistics layer takes plain [S, d] arrays
from sim.catalog import CPU_UNITS_PER_CORE, MEM_UNITS_PER_GB, TYPE_CAPACITY, TYPE_WEIGHTS
from sim.workload import CPU_INTENSIVE, MEMORY_INTENSIVE

RewardScaling = Literal["sum", "per_agent"]
Workload = Literal["uniform", "h1_pareto"]
N_FEATURES = 4
# A fixed, non-stationary policy at which gradients are measured (not an optimum, so E ĝ ≠ 0).
DEFAULT_THETA = np.array([0.8, 0.4, -0.5, -0.3])
# (vCPU, memory GB) of the instance types in Table 4 of the paper, with their sampling weights: the simulator's
# catalog, converted from its integer units (milli-cores, MB). Equal, bit for bit, to the literals this module
# used to copy (the weight 0.10 read from the catalog is the same double as 10 / 100.0), so games are unchanged.
_INSTANCE_CAPACITIES = TYPE_CAPACITY / np.array([CPU_UNITS_PER_CORE, MEM_UNITS_PER_GB], dtype=float)
_INSTANCE_WEIGHTS = TYPE_WEIGHTS.copy()  # a private copy: the catalog array is shared
# The unit of demands and capacities: a nominal instance of 32 vCPU and 150 GB (a fixed choice, not the catalog's
# weighted mean, which is 39.9 vCPU and 157.4 GB; changing it would change every game).
_UNIT = np.array([32.0, 150.0])


@dataclass(frozen=True)
class LoadBalancingGame:
    """One game instance: demands w [N, K], capacities μ [M, K], and the reward scaling."""

    demands: np.ndarray
    capacities: np.ndarray
    reward_scaling: RewardScaling = "sum"

    def __post_init__(self) -> None:
        if self.demands.ndim != 2 or self.capacities.ndim != 2:
            raise ValueError(
                f"demands and capacities must be 2-D [N, K] and [M, K]; got shapes "
                f"{self.demands.shape} and {self.capacities.shape}"
            )
        if self.demands.shape[1] != self.capacities.shape[1]:
            raise ValueError(
                f"demands and capacities must have the same number of resources K; got "
                f"{self.demands.shape[1]} and {self.capacities.shape[1]}"
            )
        if self.demands.shape[1] != 2:
            raise ValueError(
                f"the policy features assume K = 2 resources (CPU, memory); got K = {self.demands.shape[1]}"
            )
        if self.demands.shape[0] < 1:
            raise ValueError(f"n_agents must be >= 1; got {self.demands.shape[0]}")
        if np.any(self.capacities <= 0):
            raise ValueError("capacities must all be > 0 (they divide the load in Eq 15)")
        if self.reward_scaling not in ("sum", "per_agent"):
            raise ValueError(f"reward_scaling must be 'sum' or 'per_agent'; got {self.reward_scaling!r}")

    @property
    def n_agents(self) -> int:
        return self.demands.shape[0]

    @property
    def n_servers(self) -> int:
        return self.capacities.shape[0]

    @property
    def reward_factor(self) -> float:
        """1 for the summed reward, 1/N for the per-agent reward of H.3."""
        return 1.0 if self.reward_scaling == "sum" else 1.0 / self.n_agents

    def reference_state(self) -> np.ndarray:
        """x̃_jk = μ_jk / Σ_l μ_lk · C_k with C_k = Σ_i w_ik (Eq 16), shape [M, K]."""
        total_demand = self.demands.sum(axis=0)
        return self.capacities / self.capacities.sum(axis=0) * total_demand

    def features(self) -> np.ndarray:
        """φ(i, j) = (log μ_j1, log μ_j2, w_i1/μ_j1, w_i2/μ_j2) for K = 2; shape [N, M, 4]."""
        log_cap = np.broadcast_to(np.log(self.capacities)[None], (self.n_agents, self.n_servers, 2))
        relative_demand = self.demands[:, None, :] / self.capacities[None, :, :]
        return np.concatenate([log_cap, relative_demand], axis=-1)

    def with_reward_scaling(self, reward_scaling: RewardScaling) -> LoadBalancingGame:
        return LoadBalancingGame(self.demands, self.capacities, reward_scaling)


def make_game(
    n_agents: int,
    seed: int,
    agents_per_server: int = 2,
    reward_scaling: RewardScaling = "sum",
    workload: Workload = "uniform",
    n_servers: int | None = None,
) -> LoadBalancingGame:
    """Draw a game: servers from Table 4's instance mix (±10 % jitter, so no two servers are identical and
    the softmax score never vanishes), jobs from a light-tailed uniform workload or from the bimodal
    clipped-Pareto workload of H.1 (demands drawn once per game, then fixed).

    M = max(2, ⌈N / agents_per_server⌉) servers, or exactly ``n_servers`` if given (then agents_per_server is
    ignored). Demands and capacities are in units of a nominal instance (32 vCPU, 150 GB: ``_UNIT``) so both
    resources are O(1). Instance types and weights come from ``sim.catalog``, the H.1 job classes from
    ``sim.workload`` (the simulator's own tables; this game draws from them with numpy's samplers).
    """
    if n_agents < 1:
        raise ValueError(f"n_agents must be >= 1; got {n_agents}")
    if agents_per_server < 1:
        raise ValueError(f"agents_per_server must be >= 1; got {agents_per_server}")
    if n_servers is not None and n_servers < 1:
        raise ValueError(f"n_servers must be >= 1 (or None for max(2, ⌈N/agents_per_server⌉)); got {n_servers}")
    if workload not in ("uniform", "h1_pareto"):
        raise ValueError(f"workload must be 'uniform' or 'h1_pareto'; got {workload!r}")
    rng = np.random.default_rng(seed)
    if n_servers is None:
        n_servers = max(2, -(-n_agents // agents_per_server))
    kinds = rng.choice(len(_INSTANCE_WEIGHTS), size=n_servers, p=_INSTANCE_WEIGHTS)
    capacities = _INSTANCE_CAPACITIES[kinds] * rng.uniform(0.9, 1.1, (n_servers, 2))
    if workload == "uniform":
        demands = rng.uniform(0.1, 0.5, (n_agents, 2))
        return LoadBalancingGame(demands, capacities / _UNIT, reward_scaling)
    cpu_class, mem_class = CPU_INTENSIVE, MEMORY_INTENSIVE  # the two job classes of H.1, as the simulator has them
    cpu_heavy = rng.random(n_agents) < cpu_class.share
    # numpy's pareto is Lomax; (1 + Lomax)·x_m is the classical Pareto(shape, x_m) of H.1.
    cpu = np.where(
        cpu_heavy,
        cpu_class.pareto_xm * (1 + rng.pareto(cpu_class.pareto_alpha, n_agents)),
        mem_class.pareto_xm * (1 + rng.pareto(mem_class.pareto_alpha, n_agents)),
    )
    cpu = np.where(cpu_heavy, np.clip(cpu, *cpu_class.cpu_clip), np.clip(cpu, *mem_class.cpu_clip))
    memory = np.where(
        cpu_heavy,
        np.clip(cpu * rng.uniform(*cpu_class.mem_per_core, n_agents), *cpu_class.mem_clip),
        np.clip(cpu * rng.uniform(*mem_class.mem_per_core, n_agents), *mem_class.mem_clip),
    )
    demands = np.stack([cpu, memory], axis=1) / _UNIT * 8.0  # jobs are 1/8 of the unit instance's scale
    return LoadBalancingGame(demands, capacities / _UNIT, reward_scaling)


# ----------------------------------------------------------------------------------------------------------
# Closed forms (torch, float64): independent categorical choices give E[x] and Var[x] per server.
# ----------------------------------------------------------------------------------------------------------


def _policy_probabilities(game: LoadBalancingGame, theta_per_agent: torch.Tensor) -> torch.Tensor:
    phi = torch.as_tensor(game.features(), dtype=torch.float64)
    return torch.softmax(torch.einsum("imf,if->im", phi, theta_per_agent), dim=-1)


def _load_moments(game: LoadBalancingGame, probs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.as_tensor(game.demands, dtype=torch.float64)
    mean = probs.T @ w  # E x_jk = Σ_i p_ij w_ik
    var = (probs * (1 - probs)).T @ (w**2)  # Var x_jk = Σ_i p_ij (1 − p_ij) w_ik²
    return mean, var


def _expected_reward(game: LoadBalancingGame, theta_per_agent: torch.Tensor) -> torch.Tensor:
    mean, var = _load_moments(game, _policy_probabilities(game, theta_per_agent))
    mu = torch.as_tensor(game.capacities, dtype=torch.float64)
    return -((mean**2 + var) / mu).sum() * game.reward_factor


def _expected_guidance(game: LoadBalancingGame, theta_per_agent: torch.Tensor) -> torch.Tensor:
    mean, var = _load_moments(game, _policy_probabilities(game, theta_per_agent))
    reference = torch.as_tensor(game.reference_state(), dtype=torch.float64)
    return 0.5 * ((mean - reference) ** 2 + var).sum()


def _per_agent_theta(game: LoadBalancingGame, theta: np.ndarray) -> torch.Tensor:
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (N_FEATURES,):
        raise ValueError(f"theta must have shape ({N_FEATURES},); got {theta.shape}")
    return torch.tensor(np.tile(theta, (game.n_agents, 1)), dtype=torch.float64, requires_grad=True)


def expected_reward(game: LoadBalancingGame, theta: np.ndarray) -> float:
    """J(θ) = E[R] in closed form: E x² = (E x)² + Var x."""
    with torch.no_grad():
        return float(_expected_reward(game, _per_agent_theta(game, theta)))


def expected_guidance(game: LoadBalancingGame, theta: np.ndarray) -> float:
    """G(θ) = E[½‖x − x̃‖²] (Eq 6, one step) in closed form; > 0 for any stochastic policy (Var x > 0)."""
    with torch.no_grad():
        return float(_expected_guidance(game, _per_agent_theta(game, theta)))


def exact_gradients(game: LoadBalancingGame, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-agent exact gradients (∇_{θ^i} J, ∇_{θ^i} G) at tied parameters, each [N, 4].

    Summing over agents gives the shared-parameter gradient.
    """
    theta_agents = _per_agent_theta(game, theta)
    grad_j = torch.autograd.grad(_expected_reward(game, theta_agents), theta_agents)[0]
    theta_agents = _per_agent_theta(game, theta)
    grad_g = torch.autograd.grad(_expected_guidance(game, theta_agents), theta_agents)[0]
    return grad_j.numpy(), grad_g.numpy()


def _augmented_objective(game: LoadBalancingGame, theta_per_agent: torch.Tensor, alpha: float) -> torch.Tensor:
    return (1 - alpha) * _expected_reward(game, theta_per_agent) - alpha * _expected_guidance(game, theta_per_agent)


def augmented_objective(game: LoadBalancingGame, theta: np.ndarray, alpha: float) -> tuple[float, np.ndarray]:
    """J_α(θ) = (1 − α)J(θ) − αG(θ) (§4.1) in closed form, and its gradient with respect to the shared θ
    (the sum of the per-agent gradients); α = 0 is J itself, bit for bit."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1]; got {alpha}")
    shared = torch.tensor(np.asarray(theta, dtype=float), dtype=torch.float64, requires_grad=True)
    if shared.shape != (N_FEATURES,):
        raise ValueError(f"theta must have shape ({N_FEATURES},); got {tuple(shared.shape)}")
    value = _augmented_objective(game, shared.expand(game.n_agents, N_FEATURES), alpha)
    (gradient,) = torch.autograd.grad(value, shared)
    return float(value.detach()), gradient.numpy()


def augmented_hessian(game: LoadBalancingGame, theta: np.ndarray, alpha: float) -> np.ndarray:
    """∇²J_α at the shared θ, [4, 4], by autograd through the closed form."""
    return torch.autograd.functional.hessian(
        lambda shared: _augmented_objective(game, shared.expand(game.n_agents, N_FEATURES), alpha),
        torch.tensor(np.asarray(theta, dtype=float), dtype=torch.float64),
    ).numpy()


def maximize_augmented(
    game: LoadBalancingGame, alpha: float, theta_start: np.ndarray = DEFAULT_THETA
) -> scipy.optimize.OptimizeResult:
    """BFGS on −J_α with its exact gradient from ``theta_start``. For small N the supremum is often at infinity
    (a deterministic assignment): ``-result.fun`` is then the supremum's value to BFGS's tolerance."""
    return scipy.optimize.minimize(
        lambda theta: tuple(-part for part in augmented_objective(game, theta, alpha)),
        np.asarray(theta_start, float),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-11, "maxiter": 5000},
    )


def policy_probabilities(game: LoadBalancingGame, theta: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return _policy_probabilities(game, _per_agent_theta(game, theta)).numpy()


# ----------------------------------------------------------------------------------------------------------
# Monte Carlo per-agent estimators
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EstimatorSamples:
    """Per-sample, per-agent gradient estimates, each of shape [S, N, 4], plus the scalars that built them."""

    g_j_plain: np.ndarray
    g_j_baseline: np.ndarray
    g_g: np.ndarray
    reward: np.ndarray  # [S]
    guidance_coefficient: np.ndarray  # [S, N], c_i
    actions: np.ndarray  # [S, N], the server each agent picked


def sample_actions(game: LoadBalancingGame, theta: np.ndarray, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Independent categorical choices, [S, N] server indices (inverse-CDF sampling, one agent at a time)."""
    if n_samples < 2:
        raise ValueError(f"n_samples must be >= 2 (a variance needs two samples); got {n_samples}")
    cdf = np.cumsum(policy_probabilities(game, theta), axis=1)
    uniforms = rng.random((n_samples, game.n_agents))
    actions = np.empty((n_samples, game.n_agents), dtype=np.int64)
    for agent in range(game.n_agents):
        actions[:, agent] = np.searchsorted(cdf[agent], uniforms[:, agent] * cdf[agent, -1], side="right")
    return np.minimum(actions, game.n_servers - 1)


def server_loads(game: LoadBalancingGame, actions: np.ndarray) -> np.ndarray:
    """x_jk = Σ_i w_ik 1[a_i = j] for each sample, shape [S, M, K] (Appendix D)."""
    n_samples = actions.shape[0]
    flat = (np.arange(n_samples)[:, None] * game.n_servers + actions).ravel()
    loads = [
        np.bincount(flat, weights=np.tile(game.demands[:, k], n_samples), minlength=n_samples * game.n_servers)
        for k in range(game.demands.shape[1])
    ]
    return np.stack(loads, axis=-1).reshape(n_samples, game.n_servers, -1)


def rewards(game: LoadBalancingGame, loads: np.ndarray) -> np.ndarray:
    """R = −Σ_j Σ_k x_jk²/μ_jk (Eq 15, negated), times 1/N for the per-agent reward of H.3; shape [S]."""
    return -(loads**2 / game.capacities).sum(axis=(1, 2)) * game.reward_factor


def guidance_coefficients(
    game: LoadBalancingGame, actions: np.ndarray, loads: np.ndarray, capacity_weighted: bool = False
) -> np.ndarray:
    """c_i = ⟨x − x̃, z_i⟩ = Σ_k w_ik (x − x̃)_{a_i,k} on the post-action load (Eq 9, Appendix D), [S, N].

    ``capacity_weighted`` divides the deviation by μ_{a_i,k}: the linearization of d_μ = ½ Σ (x − x̃)²/μ,
    used only as a control (that linearization is biased)."""
    deviation = loads[np.arange(actions.shape[0])[:, None], actions] - game.reference_state()[actions]
    if capacity_weighted:
        deviation = deviation / game.capacities[actions]
    return (deviation * game.demands[None]).sum(axis=-1)


def score_functions(game: LoadBalancingGame, theta: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """∇_{θ^i} log π(a_i) = φ(i, a_i) − E_π φ(i, ·) for every sample and agent, [S, N, 4]."""
    phi = game.features()
    mean_feature = np.einsum("im,imf->if", policy_probabilities(game, theta), phi)
    return phi[np.arange(game.n_agents)[None, :], actions] - mean_feature[None]


def sample_estimators(
    game: LoadBalancingGame, theta: np.ndarray, n_samples: int, rng: np.random.Generator
) -> EstimatorSamples:
    """Draw S joint actions and return ĝ_J^i (both variants) and ĝ_G^i for every agent (Eq 2, Eq 9)."""
    actions = sample_actions(game, theta, n_samples, rng)
    loads = server_loads(game, actions)
    reward = rewards(game, loads)
    coefficient = guidance_coefficients(game, actions, loads)
    score = score_functions(game, theta, actions)
    return EstimatorSamples(
        g_j_plain=score * reward[:, None, None],
        g_j_baseline=score * (reward - st.leave_one_out_mean(reward))[:, None, None],
        g_g=score * coefficient[:, :, None],
        reward=reward,
        guidance_coefficient=coefficient,
        actions=actions,
    )


# ----------------------------------------------------------------------------------------------------------
# Exhaustive enumeration for tiny N: the ground truth the closed forms are checked against.
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnumeratedMoments:
    """Exact expectations over all M^N joint actions."""

    expected_reward: float
    expected_guidance: float
    mean_g_j: np.ndarray  # [N, 4], E[∇log π(a_i)·R]
    mean_g_g: np.ndarray  # [N, 4], E[∇log π(a_i)·c_i]
    mean_g_g_exact_distance: np.ndarray  # [N, 4], E[∇log π(a_i)·½‖x − x̃‖²]
    probabilities: np.ndarray  # [M^N]
    g_j: np.ndarray  # [M^N, N, 4], ĝ_J per joint action (no baseline)
    g_g: np.ndarray  # [M^N, N, 4]


def enumerate_game(game: LoadBalancingGame, theta: np.ndarray, max_joint_actions: int = 50_000) -> EnumeratedMoments:
    """Exact E[R], E[d], E[ĝ_J], E[ĝ_G] by summing over every joint action (tiny N only)."""
    n_joint = game.n_servers**game.n_agents
    if n_joint > max_joint_actions:
        raise ValueError(f"M^N = {n_joint} joint actions exceeds max_joint_actions = {max_joint_actions}")
    actions = np.array(list(itertools.product(range(game.n_servers), repeat=game.n_agents)))
    probs = policy_probabilities(game, theta)
    joint_prob = np.prod(probs[np.arange(game.n_agents)[None, :], actions], axis=1)
    loads = server_loads(game, actions)
    reward = rewards(game, loads)
    distance = 0.5 * ((loads - game.reference_state()[None]) ** 2).sum(axis=(1, 2))
    coefficient = guidance_coefficients(game, actions, loads)
    score = score_functions(game, theta, actions)
    g_j = score * reward[:, None, None]
    g_g = score * coefficient[:, :, None]

    def expect(values: np.ndarray) -> np.ndarray:
        return np.tensordot(joint_prob, values, axes=1)

    return EnumeratedMoments(
        expected_reward=float(expect(reward)),
        expected_guidance=float(expect(distance)),
        mean_g_j=expect(g_j),
        mean_g_g=expect(g_g),
        mean_g_g_exact_distance=expect(score * distance[:, None, None]),
        probabilities=joint_prob,
        g_j=g_j,
        g_g=g_g,
    )


# ----------------------------------------------------------------------------------------------------------
# Scaling measurements: per-agent variances over N, with independent replicates (a fresh game and fresh
# samples per replicate, all streams spawned from one seed).
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScalingTable:
    """One row per (N, replicate). Variances are per agent: Σ_i tr Cov(ĝ^i) / N. The per-agent reward of H.3
    is R/N on the same draw, so its estimators are the summed ones divided by N. Relative variances divide by
    Σ_i ‖∇_{θ^i}‖² (exact), so they are the same for both reward scalings. ρ is pooled over agents (the
    trace correlation of the stacked [S, N·4] estimates, see dgpg_theory.statistics): the ρ of one α shared by
    all agents. ``n_servers`` is M of each game."""

    n_agents: np.ndarray
    var_j_plain_sum: np.ndarray
    var_j_baseline_sum: np.ndarray
    var_j_plain_per_agent: np.ndarray
    var_j_baseline_per_agent: np.ndarray
    var_g: np.ndarray
    rho_baseline: np.ndarray  # trace correlation of (ĝ_J with baseline, ĝ_G)
    rho_plain: np.ndarray
    relvar_j_plain: np.ndarray
    relvar_j_baseline: np.ndarray
    relvar_g: np.ndarray
    n_servers: np.ndarray | None = None


def _scaling_row(
    game: LoadBalancingGame, theta: np.ndarray, n_samples: int, rng: np.random.Generator
) -> dict[str, float]:
    n = game.n_agents
    samples = sample_estimators(game, theta, n_samples, rng)
    grad_j, grad_g = exact_gradients(game, theta)
    plain, baseline, guidance = (
        getattr(samples, k).reshape(n_samples, -1) for k in ("g_j_plain", "g_j_baseline", "g_g")
    )
    var_plain, var_baseline, var_g = (st.trace_variance(g) for g in (plain, baseline, guidance))
    return {
        "n_agents": n,
        "var_j_plain_sum": var_plain / n,
        "var_j_baseline_sum": var_baseline / n,
        "var_j_plain_per_agent": st.trace_variance(plain / n) / n,
        "var_j_baseline_per_agent": st.trace_variance(baseline / n) / n,
        "var_g": var_g / n,
        "rho_baseline": st.trace_correlation(baseline, guidance),
        "rho_plain": st.trace_correlation(plain, guidance),
        "relvar_j_plain": var_plain / (grad_j**2).sum(),
        "relvar_j_baseline": var_baseline / (grad_j**2).sum(),
        "relvar_g": var_g / (grad_g**2).sum(),
        "n_servers": game.n_servers,
    }


def measure_scaling(
    n_values: list[int],
    replicates: int,
    n_samples: int,
    seed: int,
    theta: np.ndarray = DEFAULT_THETA,
    n_servers: int | None = None,
) -> ScalingTable:
    """Per-agent σ_J² (both variants, both reward scalings), σ_G², ρ and relative variances for each N, on
    independent games (summed reward), all random streams spawned from one seed. By default M = max(2, ⌈N/2⌉)
    servers (O(1) jobs per server); ``n_servers`` fixes M instead, so that the jobs per server grow with N."""
    if replicates < 1:
        raise ValueError(f"replicates must be >= 1; got {replicates}")
    if any(n < 1 for n in n_values):
        raise ValueError(f"n_values must all be >= 1; got {n_values}")
    if n_servers is not None and n_servers < 1:
        raise ValueError(f"n_servers must be >= 1 (or None for M = N/2); got {n_servers}")
    streams = np.random.SeedSequence(seed).spawn(len(n_values) * replicates)
    rows = []
    for stream, (n, _) in zip(streams, itertools.product(n_values, range(replicates)), strict=True):
        game_seed, sample_seed = stream.generate_state(2)
        game = make_game(n, int(game_seed), agents_per_server=2, n_servers=n_servers)
        rows.append(_scaling_row(game, theta, n_samples, np.random.default_rng(sample_seed)))
    columns = {name: np.array([row[name] for row in rows]) for name in rows[0]}
    return ScalingTable(**columns)


# ----------------------------------------------------------------------------------------------------------
# Theorem 4.1 on the game: is the guidance gradient zero at a stationary point of J?
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StationaryPoint:
    """θ* with ∇J(θ*) ≈ 0 (shared parameter), and the guidance gradient there (Lemma E.1 says it is 0)."""

    theta: np.ndarray
    grad_j: np.ndarray  # Σ_i ∇_{θ^i} J at θ*
    grad_g: np.ndarray  # Σ_i ∇_{θ^i} G at θ*
    grad_g_at_start: np.ndarray
    expected_guidance: float  # G(θ*) > 0: a stochastic policy never sits at x = x̃
    hessian_eigenvalues: np.ndarray  # all < 0: θ* is a strict local maximum of J, not a saturated softmax
    optimizer_message: str


def stationary_point_of_reward(game: LoadBalancingGame, theta_start: np.ndarray = DEFAULT_THETA) -> StationaryPoint:
    """Maximize the closed-form J(θ) with BFGS on its exact gradient; report ∇G and the Hessian there.

    For small N the maximum is often at infinity (a deterministic assignment): check the Hessian."""
    result = maximize_augmented(game, 0.0, theta_start)
    grad_j, grad_g = exact_gradients(game, result.x)
    _, grad_g_start = exact_gradients(game, np.asarray(theta_start, float))
    hessian = augmented_hessian(game, result.x, 0.0)
    return StationaryPoint(
        theta=result.x,
        grad_j=grad_j.sum(axis=0),
        grad_g=grad_g.sum(axis=0),
        grad_g_at_start=grad_g_start.sum(axis=0),
        expected_guidance=expected_guidance(game, result.x),
        hessian_eigenvalues=np.linalg.eigvalsh(hessian),
        optimizer_message=str(result.message),
    )
