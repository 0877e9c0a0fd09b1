"""Counterfactual rollouts on the simulator and the multi-agent policy-gradient estimator family of Table 2.

Per fork-step agent i with score s_i = ∇_θ log π(a_i | o_i) and shared return R (App. A, Table 2):
  plain       s_i·R                                        (Eq 2)
  loo         s_i·(R − b), a state baseline: b = the mean R of the other fork copies (b_loo) on the fork; on
              the counterfactual copies, the mean R of the cell's S fork copies, an independent batch from the
              same snapshot (a leave-one-out mean over C copies would add noise that changes with C, and C
              falls with N)
  coma        s_i·(Q(a) − Σ_a' π(a'|o_i) Q(a_−i, a'))         (Foerster et al. 2018's counterfactual baseline)
  ob          s_i·(Q(a) − b*(a_−i)),  b* = Σ_a' π(a')‖s_i(a')‖² Q(a_−i, a') / Σ_a' π(a')‖s_i(a')‖²
              (Kuba et al. 2021's optimal baseline; ‖s_i(a')‖² the squared norm of our policy's score at o_i)
  difference  s_i·(R − R_−i), R_−i the return with agent i's job removed (it never arrived)
  dg          (1 − α)·s_i(R − b) − α·s_i c_i           (Eq 10), raw units, at the cell's plug-in α* and at
              the paper's α ∈ {0.9, 0.2}; and ``dg_eq11_*``: the trainer's units (Eq 11 as in
              dgpg_theory.ppo.advantages, through dgpg_theory.trainer_units): Â = R − b standardized and ĉ = c
              normalized with the fork batch's statistics (over its S copies and every fork-step agent), no
              clip. The fork stands in for the trainer's running normalizer (momentum 0.99), whose first batch
              sets the statistics directly; the clip at ±3 is left out so that the estimator stays linear.
              ``dg_eq11_alpha_0`` (EQ11_CONTROL) is a control: the state baseline in Eq 11's units.
The baselines of coma, ob and difference do not depend on a_i, so each estimator is unbiased. Without
counterfactual groups (the default plain, loo, dg) every estimator is evaluated on the fork copies themselves,
so α* and Eq 11's scales are fitted in-sample there (as a trainer standardizing its own batch does); with them,
the fork is an independent batch and nothing measured on the counterfactual copies was fitted on them.

Q(a_−i, a') on the simulator is the discounted return of a forked rollout in which agent i's fork-step action
is a' and the other fork-step agents' actions are held fixed. Every member of one copy's groups — one per a'
for each tested agent, plus the member with agent i's job removed — shares the copy's future arrivals (the
same arrival generator state) and the policy's later draws (the same inverse-CDF uniforms; the members see the
same arrivals, so their agent counts agree at every step): common random numbers, so R = Q(a_−i, a_i) and
every Q and R_−i share the noise. The factual return R is the member a' = a_i.

Cost: C copies × G tested agents × (K + 1) rollouts, all in one batched env (chunked by copy for memory).
C defaults to ``default_copies``: half as many rollouts as the cell's fork and its two nested batches together
(``SamplingConfig.counterfactual_budget``), so that ``--estimators all`` adds about 40–55 % to a cell's time (measured).
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dgpg_theory.measurement.policies import Policy, sample_categorical
from dgpg_theory.trainer_units import TrainerScales
from sim.arguments import ArgumentError
from sim.env import BatchedEnv
from sim.scenario import Scenario
from sim.state import EnvState

ESTIMATORS = ("plain", "loo", "coma", "ob", "difference", "dg")
COUNTERFACTUAL_ESTIMATORS = ("coma", "ob", "difference")  # need the counterfactual rollouts
DEFAULT_ESTIMATORS = ("plain", "loo", "dg")  # evaluated on the main fork: no extra rollouts
PAPER_ALPHAS = (0.9, 0.2)
# Table 2's variance claim per estimator family; None: Table 2 makes none (ob is judged against Θ(N) for
# information only).
TABLE2_CLAIMS: dict[str, str | None] = {
    "plain": "Theta(N)", "loo": "Theta(N)", "coma": "Theta(N)", "ob": None, "difference": "O(1)", "dg": "O(1)",
}  # fmt: skip
DG_VARIANTS = ("alpha_star", *(f"alpha_{a:g}" for a in PAPER_ALPHAS))
# A control, not a method: Eq 11 at α = 0 is the state baseline's estimator in the trainer's units. Its relative
# variance is the state baseline's within each snapshot (pooled over snapshots with different scales it is
# weighted differently); its per-agent variance is ≈ E‖∇log π‖²·Var Â, bounded by the standardization whatever
# the estimator's noise, which shows why a flat per-agent variance in Eq 11 units is no evidence.
EQ11_CONTROL = "dg_eq11_alpha_0"


def parse_estimators(value: str | Sequence[str]) -> tuple[str, ...]:
    """A comma list (or sequence) of ESTIMATORS names, or "all", as a tuple in ESTIMATORS order; ArgumentError
    naming ``estimators`` otherwise."""
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [name.strip() for name in names]
    if names == ["all"]:
        return ESTIMATORS
    allowed = f"a comma list of {', '.join(ESTIMATORS)}, or all"
    if not names or any(name not in ESTIMATORS for name in names) or len(set(names)) != len(names):
        raise ArgumentError("estimators", value if isinstance(value, str) else ",".join(names), allowed)
    return tuple(name for name in ESTIMATORS if name in names)


def needs_counterfactuals(estimators: Sequence[str]) -> bool:
    return any(name in COUNTERFACTUAL_ESTIMATORS for name in estimators)


def variant_names(estimators: Sequence[str]) -> list[str]:
    """The reported estimators: one per family; for dg six (raw and Eq 11 units, at α*, 0.9 and 0.2) and the
    Eq 11 control at α = 0."""
    names = []
    for name in estimators:
        if name == "dg":
            names += [f"dg_{v}" for v in DG_VARIANTS] + [f"dg_eq11_{v}" for v in DG_VARIANTS] + [EQ11_CONTROL]
        else:
            names.append(name)
    return names


def family_of(variant: str) -> str:
    return "dg" if variant.startswith("dg_") else variant


def claim_of(variant: str) -> str | None:
    """Table 2's claim for the variant's family; None for ob (not a row) and for the Eq 11 control."""
    return None if variant == EQ11_CONTROL else TABLE2_CLAIMS[family_of(variant)]


def default_copies(n_clusters: int, tested_agents: int, budget: int) -> int:
    """C with C·G·(K + 1) ≈ ``budget`` rollouts (at least 2 copies: b_loo needs another copy)."""
    return max(2, budget // (tested_agents * (n_clusters + 1)))


@dataclass
class CounterfactualSamples:
    """C copies with independent futures; in each, G tested fork-step agents × (K + 1) common-noise members."""

    n_servers: int
    agents: np.ndarray  # [G] the tested fork-step agents
    actions: np.ndarray  # [C, A] factual fork-step actions of every agent
    score: np.ndarray  # [C, G, P] s_i = ∇θ log π(a_i | o_i) of the factual action
    returns: np.ndarray  # [C] factual discounted return R
    q: np.ndarray  # [C, G, K] Q(a_−i, a') for every a'; q[c, g, a_i] is R[c]
    removed: np.ndarray  # [C, G] R_−i: agent i's job removed at the fork step
    coefficient: np.ndarray  # [C, A] factual guidance coefficients c of every fork-step agent
    probabilities: np.ndarray  # [G, K] π(· | o_i)
    score_norm2: np.ndarray  # [G, K] ‖∇θ log π(a' | o_i)‖²


# ----------------------------------------------------------------------------------------------------------
# Sampling
# ----------------------------------------------------------------------------------------------------------


def shared_uniforms(state: EnvState, source: np.ndarray, generators: list[np.random.Generator]) -> np.ndarray:
    """Inverse-CDF uniforms [A] for every deciding agent: env copy b takes those of its source copy
    ``source[b]`` (sorted: each source copy's members contiguous), drawn once per source copy from its own
    generator (common random numbers)."""
    counts = np.diff(state.offsets)
    per_source = counts[np.searchsorted(source, np.arange(len(generators)))]  # the first member's count
    if not np.array_equal(counts, per_source[source]):
        raise RuntimeError("members of one counterfactual copy see different arrivals; their streams diverged")
    draws = np.concatenate([g.random(n) for g, n in zip(generators, per_source, strict=True)])
    start = np.concatenate([[0], np.cumsum(per_source)])
    local = np.arange(len(state.job_copy)) - state.offsets[state.job_copy]
    return draws[start[source[state.job_copy]] + local]


def _member_layout(n_copies: int, agents: np.ndarray, n_actions: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per env copy: its source copy, its tested agent, and its fork-step action a' of that agent (K: removed)."""
    group = len(agents) * (n_actions + 1)
    source = np.repeat(np.arange(n_copies), group)
    agent = np.tile(np.repeat(agents, n_actions + 1), n_copies)
    action = np.tile(np.arange(n_actions + 1), n_copies * len(agents))
    return source, agent, action


def rollout_groups(
    policy: Policy,
    snapshot: EnvState,
    scenario: Scenario,
    factual: np.ndarray,
    agents: np.ndarray,
    arrivals: list[np.random.Generator],
    draws: list[np.random.Generator],
    gamma: float,
    horizon: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Every member of copies ``factual`` [C, A] in one batch: returns [C·G·(K + 1)] (members ordered copy,
    agent, a' = 0…K − 1, removed) and the factual fork-step coefficients [C, A]. Copy c's members all start from
    ``arrivals[c]`` (deep-copied) and take their later draws from ``draws[c]`` (consumed)."""
    n_copies, n_agents = factual.shape
    n_actions = scenario.n_clusters
    source, agent, action = _member_layout(n_copies, agents, n_actions)
    env = BatchedEnv.fork(snapshot, scenario, len(source))
    env.state.rngs = [_copy.deepcopy(arrivals[c]) for c in source]
    actions = factual[source].copy()
    swapped = action < n_actions
    actions[np.flatnonzero(swapped), agent[swapped]] = action[swapped]
    flat_removed = np.flatnonzero(~swapped) * n_agents + agent[~swapped]
    keep = np.ones(actions.size, dtype=bool)
    keep[flat_removed] = False
    env.remove_jobs(flat_removed)
    offsets = env.state.offsets.copy()
    result = env.step(actions.reshape(-1)[keep])
    factual_member = np.arange(n_copies) * len(source) // n_copies + factual[:, agents[0]]
    coefficient = np.stack([result.coefficient[offsets[b] : offsets[b] + n_agents] for b in factual_member])
    returns, discount = result.reward.copy(), 1.0
    for _ in range(horizon - 1):
        discount *= gamma
        result = env.step(policy.sample_from_uniforms(env.state, shared_uniforms(env.state, source, draws)))
        returns += discount * result.reward
    return returns, coefficient


def sample_counterfactuals(
    policy: Policy,
    snapshot: EnvState,
    scenario: Scenario,
    copies: int,
    tested_agents: int,
    gamma: float,
    horizon: int,
    rng: np.random.Generator,
    copies_per_batch: int | None = None,
) -> CounterfactualSamples:
    """C = ``copies`` copies with independent futures and factual actions a ~ π; in each, Q(a_−i, a') for every
    a' and R_−i for ``tested_agents`` fork-step agents drawn once per snapshot (module docstring).
    ``copies_per_batch`` caps the copies simulated at once (memory); chunks never change a number."""
    one = BatchedEnv.fork(snapshot, scenario, 1)
    n_agents, n_actions = int(snapshot.offsets[1]), scenario.n_clusters
    probabilities = policy.probabilities(one.state)  # [A, K]: the same o_i in every copy
    agents = np.sort(rng.choice(n_agents, size=min(tested_agents, n_agents), replace=False))
    factual = sample_categorical(np.tile(probabilities, (copies, 1)), rng).reshape(copies, n_agents)
    arrivals = [np.random.default_rng(s) for s in np.random.SeedSequence(int(rng.integers(2**62))).spawn(copies)]
    draws = [np.random.default_rng(s) for s in np.random.SeedSequence(int(rng.integers(2**62))).spawn(copies)]
    size = copies if copies_per_batch is None else max(1, min(copies, copies_per_batch))
    parts = [
        rollout_groups(policy, snapshot, scenario, factual[lo : lo + size], agents, arrivals[lo : lo + size],
                       draws[lo : lo + size], gamma, horizon)
        for lo in range(0, copies, size)
    ]  # fmt: skip
    members = np.concatenate([p[0] for p in parts]).reshape(copies, len(agents), n_actions + 1)
    score_all = np.stack([policy.score(one.state, np.full(n_agents, k)) for k in range(n_actions)])  # [K, A, P]
    return CounterfactualSamples(
        n_servers=scenario.n_servers,
        agents=agents,
        actions=factual,
        score=score_all[factual[:, agents], agents[None, :]],
        returns=members[np.arange(copies), 0, factual[:, agents[0]]],
        q=members[..., :n_actions],
        removed=members[..., n_actions],
        coefficient=np.concatenate([p[1] for p in parts]),
        probabilities=probabilities[agents],
        score_norm2=(score_all[:, agents] ** 2).sum(axis=-1).T,
    )


# ----------------------------------------------------------------------------------------------------------
# The estimators: ĝ_i = s_i · w_i, one weight per (copy, agent)
# ----------------------------------------------------------------------------------------------------------


def optimal_baseline_weights(probabilities: np.ndarray, score_norm2: np.ndarray) -> np.ndarray:
    """Kuba et al.'s weights ω(a') = π(a')‖s(a')‖² / Σ_a'' π(a'')‖s(a'')‖² over the last axis; 0 where every
    ‖s(a')‖² is 0 (the score then vanishes, every estimator is 0 and any baseline does)."""
    unnormalized = probabilities * score_norm2
    total = unnormalized.sum(axis=-1, keepdims=True)
    return unnormalized / np.where(total > 0, total, 1.0)


def baseline_weights(samples: CounterfactualSamples, factor: float, state_value: float) -> dict[str, np.ndarray]:
    """w = R − b per (copy, tested agent) for plain, loo, coma, ob and difference, returns scaled by ``factor``.
    loo's state baseline is ``state_value``, the mean return of an independent batch from the same snapshot
    (the fork's S copies): its noise is then the same at every N, however few counterfactual copies there are."""
    r = factor * samples.returns[:, None]
    q = factor * samples.q
    ob_baseline = (q * optimal_baseline_weights(samples.probabilities, samples.score_norm2)).sum(axis=-1)
    return {
        "plain": np.broadcast_to(r, samples.removed.shape),
        "loo": np.broadcast_to(r - factor * state_value, samples.removed.shape),
        "coma": r - (q * samples.probabilities).sum(axis=-1),
        "ob": r - ob_baseline,
        "difference": r - factor * samples.removed,
    }


def dg_weights(
    advantage: np.ndarray,
    coefficient: np.ndarray,
    agents: np.ndarray,
    factor: float,
    alphas: dict[str, float],
    scales: TrainerScales,
) -> dict[str, np.ndarray]:
    """w for Eq 10 (raw: (1 − α)·factor·A − αc) and Eq 11 (trainer units: (1 − α)Â − αĉ, ``scales`` fitted on
    the fork, no clip) at each α of ``alphas`` (keys ``alpha_star``, ``alpha_0.9``, …; ``eq11_alpha_star`` for
    Eq 11's own plug-in α*), and the Eq 11 control at α = 0. ``advantage`` A = R − b [C], ``coefficient`` [C, A]."""
    standardized, normalized = scales.apply(advantage, coefficient)
    weights = {}
    for variant in DG_VARIANTS:
        raw, eq11 = alphas[variant], alphas[f"eq11_{variant}"]
        weights[f"dg_{variant}"] = (1 - raw) * factor * advantage[:, None] - raw * coefficient[:, agents]
        weights[f"dg_eq11_{variant}"] = (1 - eq11) * standardized[:, None] - eq11 * normalized[:, agents]
    weights[EQ11_CONTROL] = np.repeat(standardized[:, None], len(agents), axis=1)
    return weights
