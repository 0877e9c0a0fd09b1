"""Fixed softmax policies on the simulator and their closed-form score functions ∇_θ log π(a | o).

Every policy here is a linear softmax over the K actions (a server for N ≤ 20, a cluster above, H.2):
π(a | o_i) ∝ exp(⟨θ, φ(i, a)⟩), whose score function is ∇_θ log π(a) = φ(i, a) − Σ_b π(b) φ(i, b); no autograd.

- ``scoring`` (the default): a per-action scoring policy. φ(i, a) ∈ R⁹ is the 7 server features of H.2 of the
  action's server — for a cluster, their mean over the cluster's servers in ``state.order`` — and two job-server
  interactions (job CPU demand × CPU utilization, job memory demand × memory utilization). The parameter count
  (9) does not depend on N, so gradients at different N live in the same space and are comparable.
- ``uniform``: the same parameterization at θ = 0 (π uniform over the K actions). Its score is φ(a) − mean_b φ(b):
  a uniform policy has no parameters of its own, so we differentiate the scoring family at its centre.
- ``flat``: the paper's linear policy softmax(W o + b) on the flat H.2 observation (App. I: "π(a|s) =
  softmax(Ws + b)"). Its parameter count K·(D + 1) grows with N (D = 7N + 2M + 4, or 28K + 10 above N = 100),
  so its per-agent variances at different N are variances in different spaces: report them with that caveat.
  The score is (e_a − π) ⊗ (o, 1); every fork copy shares o, so ⟨u ⊗ õ, v ⊗ õ⟩ = ⟨u, v⟩‖õ‖² and we return the
  isometric image (e_a − π)·‖õ‖ ∈ R^K: every trace variance and correlation is unchanged, memory is K per agent.
  The logits are computed per block (global, task, own job, time, agent id), never as an [A, D] matrix.
A trained actor of ``dgpg_theory.ppo`` becomes one of these policies in ``measurement.checkpoints``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba as nb
import numpy as np

from sim.observations import (
    SCORING_FEATURES,
    action_server_features,
    job_features,
    observation_blocks,
    observation_size,
    scoring_features,
)
from sim.scales import Scale
from sim.state import EnvState

POLICY_NAMES = ("scoring", "uniform", "flat")


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


@nb.njit(cache=True)
def _sample_linear_softmax(base, job_copy, inputs, mixing, uniforms, out):  # pragma: no cover - numba
    """Inverse-CDF draw from softmax_k(base[b, k] + Σ_j inputs[a, j] · mixing[b', k, j]) per agent a of copy b,
    with b' = b if mixing has one slice per copy, else 0; no [A, K] array is formed."""
    n_actions, n_inputs, shared = base.shape[1], inputs.shape[1], mixing.shape[0] == 1
    weights = np.empty(n_actions)
    for a in range(job_copy.shape[0]):
        b = job_copy[a]
        m = 0 if shared else b
        largest = -np.inf
        for k in range(n_actions):
            value = base[b, k]
            for j in range(n_inputs):
                value += inputs[a, j] * mixing[m, k, j]
            weights[k] = value
            largest = max(largest, value)
        total = 0.0
        for k in range(n_actions):
            weights[k] = np.exp(weights[k] - largest)
            total += weights[k]
        target, cumulative, choice = uniforms[a] * total, 0.0, n_actions - 1
        for k in range(n_actions):
            cumulative += weights[k]
            if cumulative > target:
                choice = k
                break
        out[a] = choice


def sample_linear_softmax(
    base: np.ndarray, job_copy: np.ndarray, inputs: np.ndarray, mixing: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Actions [A] drawn from a linear softmax whose logits split into a per-copy part and an agent part."""
    return linear_softmax_from_uniforms(base, job_copy, inputs, mixing, rng.random(len(job_copy)))


def linear_softmax_from_uniforms(
    base: np.ndarray, job_copy: np.ndarray, inputs: np.ndarray, mixing: np.ndarray, uniforms: np.ndarray
) -> np.ndarray:
    """``sample_linear_softmax`` with the inverse-CDF uniforms [A] given: copies fed the same uniforms draw with
    common random numbers (measurement.counterfactuals)."""
    if uniforms.shape != job_copy.shape:
        raise ValueError(f"uniforms has shape {uniforms.shape}; allowed: {job_copy.shape}, one per deciding agent")
    out = np.empty(len(job_copy), dtype=np.int64)
    _sample_linear_softmax(
        np.ascontiguousarray(base, dtype=np.float64),
        np.ascontiguousarray(job_copy, dtype=np.int64),
        np.ascontiguousarray(inputs, dtype=np.float64),
        np.ascontiguousarray(mixing, dtype=np.float64),
        np.ascontiguousarray(uniforms, dtype=np.float64),
        out,
    )
    return out


def sample_categorical(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of [A, K] probabilities (inverse CDF, vectorized)."""
    cumulative = np.cumsum(probabilities, axis=1)
    draws = rng.random(len(probabilities))[:, None] * cumulative[:, -1:]
    return np.minimum((cumulative <= draws).sum(axis=1), probabilities.shape[1] - 1).astype(np.int64)


@dataclass(frozen=True)
class ScoringPolicy:
    """Linear per-action scoring policy; θ = 0 is the uniform policy (see the module docstring)."""

    theta: np.ndarray  # [9]
    scale: Scale
    name: str = "scoring"

    @property
    def n_parameters(self) -> int:
        return SCORING_FEATURES

    def features(self, state: EnvState) -> np.ndarray:
        """φ(i, a) for every deciding agent i and action a: [A, K, 9] (sim.observations.scoring_features)."""
        return scoring_features(state, self.scale)

    def probabilities(self, state: EnvState) -> np.ndarray:
        """π(· | o_i) for every deciding agent: [A, K]."""
        per_action = action_server_features(state, self.scale)  # [B, K, 7]
        base = per_action @ self.theta[:7]  # [B, K]
        jobs = job_features(state)
        logits = base[state.job_copy] + np.einsum(
            "akf,af->ak", per_action[state.job_copy][..., :2], jobs * self.theta[7:]
        )
        return softmax(logits)

    def sample(self, state: EnvState, rng: np.random.Generator) -> np.ndarray:
        """One action per deciding agent, drawn from ``probabilities`` without forming it (numba)."""
        return self.sample_from_uniforms(state, rng.random(len(state.job_copy)))

    def sample_from_uniforms(self, state: EnvState, uniforms: np.ndarray) -> np.ndarray:
        """``sample`` with the inverse-CDF uniforms [A] given (common random numbers across copies)."""
        per_action = action_server_features(state, self.scale)
        return linear_softmax_from_uniforms(
            per_action @ self.theta[:7], state.job_copy, job_features(state) * self.theta[7:], per_action[..., :2],
            uniforms,
        )  # fmt: skip

    def score(self, state: EnvState, actions: np.ndarray) -> np.ndarray:
        """∇_θ log π(a_i | o_i) = φ(i, a_i) − Σ_b π(b) φ(i, b): [A, 9]."""
        phi = self.features(state)
        probabilities = softmax(np.einsum("akf,f->ak", phi, self.theta))
        chosen = phi[np.arange(len(actions)), actions]
        return chosen - np.einsum("ak,akf->af", probabilities, phi)


@dataclass(frozen=True)
class FlatLinearPolicy:
    """softmax(W o + b) on the flat H.2 observation; W [K, D], b [K] (App. I's linear model)."""

    weights: np.ndarray  # [K, D]
    bias: np.ndarray  # [K]
    scale: Scale
    name: str = "flat"

    @property
    def n_parameters(self) -> int:
        return int(self.weights.size + self.bias.size)

    def _blocks(self, state: EnvState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-copy (global + task) block, per-agent (job, time, id) block of o (sim.observations), job features."""
        shared, own = observation_blocks(state, self.scale)
        return shared, own, job_features(state)

    def probabilities(self, state: EnvState) -> np.ndarray:
        shared, own, _ = self._blocks(state)
        d_shared = shared.shape[1]
        logits = (shared @ self.weights[:, :d_shared].T)[state.job_copy] + own @ self.weights[:, d_shared:].T
        return softmax(logits + self.bias)

    def sample(self, state: EnvState, rng: np.random.Generator) -> np.ndarray:
        return self.sample_from_uniforms(state, rng.random(len(state.job_copy)))

    def sample_from_uniforms(self, state: EnvState, uniforms: np.ndarray) -> np.ndarray:
        """``sample`` with the inverse-CDF uniforms [A] given (common random numbers across copies)."""
        shared, own, _ = self._blocks(state)
        d_shared = shared.shape[1]
        base = shared @ self.weights[:, :d_shared].T + self.bias
        return linear_softmax_from_uniforms(base, state.job_copy, own, self.weights[None, :, d_shared:], uniforms)

    def observation_norms(self, state: EnvState) -> np.ndarray:
        """‖(o_i, 1)‖ per deciding agent: [A]."""
        shared, own, _ = self._blocks(state)
        return np.sqrt((shared**2).sum(axis=1)[state.job_copy] + (own**2).sum(axis=1) + 1.0)

    def score(self, state: EnvState, actions: np.ndarray) -> np.ndarray:
        """The isometric image (e_a − π)·‖(o, 1)‖ ∈ R^K of the score (e_a − π) ⊗ (o, 1) (module docstring)."""
        probabilities = self.probabilities(state)
        one_hot = np.zeros_like(probabilities)
        one_hot[np.arange(len(actions)), actions] = 1.0
        return (one_hot - probabilities) * self.observation_norms(state)[:, None]


Policy = ScoringPolicy | FlatLinearPolicy


def make_policy(name: str, scale: Scale, seed: int) -> Policy:
    """A fixed policy: θ ~ N(0, 1) per coordinate for ``scoring``; W ~ N(0, 1/D), b = 0 for ``flat`` (so each
    logit has O(1) spread whatever D is); θ = 0 for ``uniform``. ``seed`` fixes the draw. A trained actor
    (``checkpoint:PATH``) is made by ``measurement.checkpoints.policy_from_name``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7919]))
    if name == "scoring":
        return ScoringPolicy(rng.normal(size=SCORING_FEATURES), scale)
    if name == "uniform":
        return ScoringPolicy(np.zeros(SCORING_FEATURES), scale, name="uniform")
    if name == "flat":
        d = observation_size(scale)
        return FlatLinearPolicy(
            rng.normal(scale=1 / math.sqrt(d), size=(scale.n_clusters, d)), np.zeros(scale.n_clusters), scale
        )
    raise ValueError(f"policy={name!r} is unknown; allowed: {', '.join(POLICY_NAMES)}")
