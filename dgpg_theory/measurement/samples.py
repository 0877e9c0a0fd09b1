"""Per-agent gradient samples on the simulator: warm up, snapshot, fork into S copies, roll out H steps.

One cell = one (N, replicate): a test scenario (index = replicate mod 40) is warmed up with Best-Fit up to the
replicate's snapshot step — stratified over the tidal cycle: phase replicate mod 4, a seeded step of that phase
within [warmup_steps, warmup_steps + 1000) (measurement.phases) — and snapshotted at the first step from there
with at least one deciding agent. The snapshot is forked into S copies with independent future arrivals; in
every copy the fixed policy acts at the fork step and for the H − 1 steps after it. For each agent i deciding at
the fork step — same observation o_i in every copy — and each copy s we record
  the score ∇_θ log π(a_i^s | o_i)      (closed form, measurement.policies),
  the discounted return R^s = Σ_{k<H} γ^k r_{t+k}   (H.3 reward, ÷N as in the paper; γ = 0.99, H = 299, γ^H ≤ 0.05),
  the guidance coefficient c_i^s = ⟨x_t − x̃_t, z_i⟩   (Eq 9 / App. D, returned by the simulator).
From these, ĝ_J^i = score·(R − b) and ĝ_G^i = score·c (Eq 10; the DG estimator is (1−α)ĝ_J − αĝ_G) are formed
in measurement.moments. An agent acts once (one job), so the sum over t in Eq 10 has one term.

Nested resampling (Tucker et al. 2018, "The Mirage of Action-Dependent Baselines"): for one agent i per cell,
M outer actions a_i ~ π(·|o_i) are drawn and each is held fixed in L copies in which everyone else (the other
fork-step agents, all later agents, future arrivals) is resampled. The within-group variance of the
coefficient is the cross-agent part E_{a_i}[Var(ĝ^i | a_i)], the between-group variance (less its within
share / L) the own-action part Var_{a_i}(E[ĝ^i | a_i]). "Cross-agent" here includes the future arrivals; a
second nested batch with the same fixed actions and the snapshot's own future arrivals in every copy isolates
the other agents' part ("cross_agents") and is what measurement.relevance tests: does any action matter here.

With ``counterfactuals`` on, a third stream samples the counterfactual groups of measurement.counterfactuals
(Q(a_−i, a') for every a' and R_−i, with common random numbers) for the estimator family of Table 2; the
fork and nested batches draw exactly what they draw without it.

Copies are rolled out in chunks of at most ``max_copies_per_batch`` (chosen from N when not given) so that
N = 1500 fits in memory.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from dgpg_theory.measurement.counterfactuals import CounterfactualSamples, default_copies, sample_counterfactuals
from dgpg_theory.measurement.phases import PERIOD, snapshot_time
from dgpg_theory.measurement.policies import Policy, sample_categorical
from sim.arguments import require, require_int
from sim.env import DEFAULT_QUEUE_MODEL, BatchedEnv
from sim.kernels import QUEUE_MODELS
from sim.scales import Scale
from sim.scenario import Scenario, make_scenario, require_target_utilization
from sim.state import EnvState
from sim.workload import ARRIVAL_STEPS, EPISODE_STEPS

GAMMA = 0.99
TEST_SCENARIOS = 40
# Budget of agent-action entries ([agents per step] × K) per chunk: the fork step forms [A, K, 9] features
# (≈ 1 GB at this budget); N ≤ 200 runs S = 192 (SamplingConfig's default) in one chunk, N = 1500 in chunks
# of 17 copies.
CHUNK_ENTRIES = 15_000_000


def horizon_for(gamma: float, tail: float) -> int:
    """The smallest H with γ^H ≤ tail."""
    return math.ceil(math.log(tail) / math.log(gamma))


# γ^H ≤ 0.05 (H = 299): the truncated tail carries ≤ 5 % of the discount weight. γ^H ≤ 0.01 (H = 459) costs
# 1.5× the simulation and would not fit the 10-minute default scan on 2 cores.
DEFAULT_HORIZON = horizon_for(GAMMA, 0.05)
# The snapshot window must leave steps in which a job can still arrive (the fork needs a deciding agent).
LAST_WINDOW_START = ARRIVAL_STEPS - PERIOD - 100


@dataclass(frozen=True)
class SamplingConfig:
    """How one cell is sampled. ``copies`` is S, the number of samples of each fork-step agent's estimate."""

    copies: int = 192
    gamma: float = GAMMA
    horizon: int = DEFAULT_HORIZON
    warmup_steps: int = 900  # snapshots fall in [warmup_steps, warmup_steps + 1000): one tidal period
    nested_outer: int = 16
    nested_inner: int = 4
    max_copies_per_batch: int | None = None
    queue_model: str = DEFAULT_QUEUE_MODEL  # sim/SPEC.md, "Queue models"
    snapshot_seed: int = 0  # seeds the snapshot steps (measurement.phases), with the replicate
    target_utilization: float | None = None  # the scenarios' load (None: H.1's draw; sim.scenario.make_scenario)
    counterfactuals: bool = False  # sample measurement.counterfactuals' groups (coma, ob, difference estimators)
    counterfactual_agents: int = 1  # G: tested fork-step agents per snapshot
    counterfactual_copies: int | None = None  # C: copies with independent futures (None: counterfactual_budget)

    @property
    def counterfactual_budget(self) -> int:
        """C·G·(K + 1) ≈ this many rollouts by default: half of the fork's and the two nested batches' together,
        so that ``--estimators all`` adds about 40–55 % to a cell (measured on 2026-12-03; the whole budget added 80 %
        and took the N = 5…200 scan to 25.5 min against a 20-minute goal)."""
        return (self.copies + 2 * self.nested_outer * self.nested_inner) // 2

    def __post_init__(self) -> None:
        require_int("copies", self.copies, low=2, context="(samples per agent)")
        require(0 < self.gamma < 1, "gamma", self.gamma, "in (0, 1)")
        horizon_context = "(a fork step comes before the arrivals end; its rollout must end with the episode)"
        require_int("horizon", self.horizon, low=1, high=EPISODE_STEPS - ARRIVAL_STEPS + 1, context=horizon_context)
        window_context = (
            f"(snapshots fall in [warmup_steps, warmup_steps + {PERIOD}), which must end "
            f"{ARRIVAL_STEPS - PERIOD - LAST_WINDOW_START} steps before the arrivals do at step {ARRIVAL_STEPS})"
        )
        require_int("warmup_steps", self.warmup_steps, low=0, high=LAST_WINDOW_START + 1, context=window_context)
        require_int("snapshot_seed", self.snapshot_seed, low=0)
        require_target_utilization(self.target_utilization)
        if self.max_copies_per_batch is not None:
            require_int("max_copies_per_batch", self.max_copies_per_batch, low=1, context="or None (automatic)")
        require_int("nested_outer", self.nested_outer, low=2)
        require_int("nested_inner", self.nested_inner, low=2)
        require(self.queue_model in QUEUE_MODELS, "queue_model", self.queue_model, ", ".join(QUEUE_MODELS))
        require_int("counterfactual_agents", self.counterfactual_agents, low=1)
        if self.counterfactual_copies is not None:
            require_int("counterfactual_copies", self.counterfactual_copies, low=2, context="or None (automatic)")


@dataclass
class ForkSamples:
    """Raw per-copy samples at one snapshot, for the A agents deciding at the fork step."""

    n_servers: int
    score: np.ndarray  # [S, A, P] ∇θ log π(a_i^s | o_i)
    returns: np.ndarray  # [S] discounted return from the fork step (paper's ÷N reward)
    coefficient: np.ndarray  # [S, A] guidance coefficient c_i^s
    actions: np.ndarray  # [S, A]


@dataclass
class NestedSamples:
    """One agent's action held fixed in each of M groups of L copies (everyone else resampled)."""

    agent: int
    actions: np.ndarray  # [M] the fixed action of each group
    score: np.ndarray  # [M, P] score of the fixed action of each group
    returns: np.ndarray  # [M, L]
    coefficient: np.ndarray  # [M, L] the agent's guidance coefficient
    returns_shared_future: np.ndarray  # [M, L], the same actions with identical future arrivals


class ForkRollout(NamedTuple):
    """What a rollout from the fork step records per copy, for the A agents deciding at the fork step."""

    score: np.ndarray  # [copies, A, P] ∇θ log π(a_i | o_i)
    actions: np.ndarray  # [copies, A]
    coefficient: np.ndarray  # [copies, A] guidance coefficient c_i
    returns: np.ndarray  # [copies] discounted return from the fork step

    @staticmethod
    def concatenate(parts: list[ForkRollout]) -> ForkRollout:
        return ForkRollout(*(np.concatenate(field) for field in zip(*parts, strict=True)))


@dataclass
class CellSamples:
    fork: ForkSamples
    nested: NestedSamples
    warmup_steps: int  # Best-Fit steps before the snapshot search (the replicate's snapshot step)
    scenario_index: int
    phase: str  # measurement.phases.PHASES
    fork_seconds: float = 0.0  # wall time of the S-copy fork (the rest of a cell's time does not grow with S)
    counterfactual: CounterfactualSamples | None = None  # only with SamplingConfig.counterfactuals
    counterfactual_seconds: float = 0.0


def warm_snapshot(scenario: Scenario, steps: int, queue_model: str = DEFAULT_QUEUE_MODEL) -> EnvState:
    """Best-Fit for ``steps`` steps from an empty cluster, then on to the first step with a deciding agent (the
    snapshot, and every fork of it, keeps ``queue_model``)."""
    env = BatchedEnv([scenario], queue_model=queue_model)
    decision = env.reset()
    for _ in range(steps):
        decision = env.step_heuristic("best-fit").decision
    while decision.n_agents == 0:
        if decision.t >= ARRIVAL_STEPS:
            raise ValueError(f"no job arrives after step {steps} of scenario {scenario.index}: nothing to fork at")
        decision = env.step_heuristic("best-fit").decision
    return env.snapshot(0)


def chunk_size(scale: Scale, copies: int, limit: int | None) -> int:
    if limit is not None:
        return max(1, min(copies, limit))
    agents_per_copy = 1.6 * 1.2 * scale.n_servers  # tidal peak of ≈ 1.2 jobs per server per step
    return max(1, min(copies, int(CHUNK_ENTRIES / (agents_per_copy * scale.n_clusters))))


def rollout(
    policy: Policy,
    snapshot: EnvState,
    scenario: Scenario,
    copies: int,
    config: SamplingConfig,
    rng: np.random.Generator,
    forced: tuple[int, np.ndarray] | None = None,
    shared_future: bool = False,
) -> ForkRollout:
    """Fork ``copies`` copies and roll the policy out for H steps.

    ``forced = (agent, actions[copies])`` overrides one fork-step agent's action per copy. ``shared_future`` gives
    every copy the snapshot's own future arrivals (copies then differ only through the agents' actions)."""
    seed = None if shared_future else int(rng.integers(2**62))
    env = BatchedEnv.fork(snapshot, scenario, copies, seed=seed)
    n_agents = int(snapshot.offsets[1])
    probabilities = policy.probabilities(env.state)
    actions = sample_categorical(probabilities, rng)
    if forced is not None:
        agent, forced_actions = forced
        actions.reshape(copies, n_agents)[:, agent] = forced_actions
    score = policy.score(env.state, actions)
    result = env.step(actions)
    coefficient = result.coefficient.reshape(copies, n_agents)
    returns = result.reward.copy()
    discount = 1.0
    for _ in range(config.horizon - 1):
        discount *= config.gamma
        result = env.step(policy.sample(env.state, rng))
        returns += discount * result.reward
    return ForkRollout(score.reshape(copies, n_agents, -1), actions.reshape(copies, n_agents), coefficient, returns)


def _chunked_rollouts(
    policy, snapshot, scenario, copies, config, rng, scale, forced=None, shared_future=False
) -> ForkRollout:
    size = chunk_size(scale, copies, config.max_copies_per_batch)
    parts = []
    for start in range(0, copies, size):
        stop = min(copies, start + size)
        chunk_forced = None if forced is None else (forced[0], forced[1][start:stop])
        parts.append(rollout(policy, snapshot, scenario, stop - start, config, rng, chunk_forced, shared_future))
    return ForkRollout.concatenate(parts)


def sample_fork(
    policy: Policy,
    snapshot: EnvState,
    scenario: Scenario,
    scale: Scale,
    config: SamplingConfig,
    rng: np.random.Generator,
) -> ForkSamples:
    """S independent copies: the raw material of ĝ_J^i and ĝ_G^i."""
    rollout = _chunked_rollouts(policy, snapshot, scenario, config.copies, config, rng, scale)
    return ForkSamples(scale.n_servers, rollout.score, rollout.returns, rollout.coefficient, rollout.actions)


def sample_nested(
    policy: Policy,
    snapshot: EnvState,
    scenario: Scenario,
    scale: Scale,
    config: SamplingConfig,
    rng: np.random.Generator,
) -> NestedSamples:
    """Fix one random fork-step agent's action in M groups of L copies; resample everyone else."""
    outer, inner = config.nested_outer, config.nested_inner
    one_copy = BatchedEnv.fork(snapshot, scenario, 1)
    n_agents = int(snapshot.offsets[1])
    agent = int(rng.integers(n_agents))
    outer_actions = sample_categorical(
        np.repeat(policy.probabilities(one_copy.state)[agent : agent + 1], outer, 0), rng
    )
    forced = np.repeat(outer_actions, inner)
    fixed = _chunked_rollouts(policy, snapshot, scenario, outer * inner, config, rng, scale, forced=(agent, forced))
    # The same fixed actions again, with the snapshot's own future arrivals in every copy: the within-group
    # spread is then due to the other agents alone (drawn last, so the batches above keep their streams).
    arrivals_fixed = _chunked_rollouts(
        policy, snapshot, scenario, outer * inner, config, rng, scale, forced=(agent, forced), shared_future=True
    )
    return NestedSamples(
        agent=agent,
        actions=outer_actions,
        score=fixed.score[::inner, agent],
        returns=fixed.returns.reshape(outer, inner),
        coefficient=fixed.coefficient[:, agent].reshape(outer, inner),
        returns_shared_future=arrivals_fixed.returns.reshape(outer, inner),
    )


def sample_cell(
    policy: Policy, scale: Scale, replicate: int, config: SamplingConfig, seed_sequence: np.random.SeedSequence
) -> CellSamples:
    """Warm-up, snapshot, the S-copy fork and the nested batch for one (N, replicate)."""
    index = replicate % TEST_SCENARIOS
    scenario = make_scenario(scale, "test", index, target_utilization=config.target_utilization)
    when = snapshot_time(replicate, config.warmup_steps, config.snapshot_seed)
    snapshot = warm_snapshot(scenario, when.step, config.queue_model)
    fork_stream, nested_stream = seed_sequence.spawn(2)
    start = time.perf_counter()
    fork = sample_fork(policy, snapshot, scenario, scale, config, np.random.default_rng(fork_stream))
    fork_seconds = time.perf_counter() - start
    nested = sample_nested(policy, snapshot, scenario, scale, config, np.random.default_rng(nested_stream))
    cell = CellSamples(fork, nested, when.step, index, when.phase, fork_seconds)
    if config.counterfactuals:  # a third child: the first two streams are unchanged
        start = time.perf_counter()
        rng = np.random.default_rng(seed_sequence.spawn(1)[0])
        cell.counterfactual = sample_counterfactual_groups(policy, snapshot, scenario, scale, config, rng)
        cell.counterfactual_seconds = time.perf_counter() - start
    return cell


def sample_counterfactual_groups(
    policy: Policy,
    snapshot: EnvState,
    scenario: Scenario,
    scale: Scale,
    config: SamplingConfig,
    rng: np.random.Generator,
) -> CounterfactualSamples:
    """measurement.counterfactuals' groups at this snapshot, C copies chosen from the budget when not given."""
    group = config.counterfactual_agents * (scale.n_clusters + 1)
    copies = config.counterfactual_copies or default_copies(
        scale.n_clusters, config.counterfactual_agents, config.counterfactual_budget
    )
    per_batch = max(1, chunk_size(scale, copies * group, config.max_copies_per_batch) // group)
    return sample_counterfactuals(
        policy, snapshot, scenario, copies, config.counterfactual_agents, config.gamma, config.horizon, rng, per_batch
    )
