"""A PettingZoo ``ParallelEnv`` over one copy of the cloud-scheduling simulator (Appendix H, one agent per job).

``parallel_env(scale, ...)`` wraps a ``BatchedEnv`` with B = 1. The design choices (SPEC.md):

- **Agents are jobs.** One ``step`` is one decision step t of the simulator; its agents are the jobs that
  arrived at t (H.2), named ``"job_<serial>"`` from the job's serial number in the episode (``Decision.job_id``),
  so an id is never reused within an episode. Observation: the flat H.2 vector of ``sim.observations``; action:
  a cluster index in [0, K) (a server when K = N).
- **A job-agent acts once.** ``step`` returns it with ``terminated=True``; ``truncated`` is always False (arrivals
  stop at t = 2000 < 3000, so the episode end never cuts an agent short). The dicts that ``step`` returns hold the
  agents that just acted and the newcomers of the next decision step (``terminated=False``, reward 0, their first
  observation), as PettingZoo's ``parallel_api_test`` expects of agents that come and go. The final observation
  of a terminated agent is the observation it acted on (no later observation of a placed job exists).
- **Steps without arrivals are skipped.** After the actions, the simulator advances with no actions until jobs
  arrive or the episode ends (t = 3000), so ``agents`` is empty only at the end. The shared rewards of the skipped
  steps go to the agents that acted last: an agent acting at t receives r_t + Σ r_s over the skipped steps
  s = t + 1, …, t' − 1 before the next decision step t'. Hence the acting agents' common reward, summed over the
  ``step`` calls, is the BatchedEnv's episode return Σ_t r_t (steps before the first arrival have r_t = 0: the
  cluster is empty). Crediting the skipped rewards to the *next* agents instead would lose the 1000-step drain
  phase, where no agent comes. Consequence: the agents of the last arrival step also receive the drain phase's
  reward; the infos split every reward into ``step_reward`` (r_t) and ``skipped_reward`` for learners that
  want r_t alone.
- **Infos** of an acting agent carry its part of the analytical model of App. C–D after its step: ``server``
  (where it landed), ``outcome`` ("started", "queued", "buffered"), ``coefficient`` (the guidance coefficient
  c = ⟨x_t − x̃_t, z⟩, Eq 9), ``influence`` (its demand w in units of x, the non-zero block of z), the action, and
  the reward split (``step_reward`` = −(``queue_penalty`` + 20 · ``energy_penalty``), H.3, plus ``skipped_steps``
  and ``skipped_reward``). A newcomer's infos: ``t``, ``job_id``, ``influence``. The system state x_t, x̃_t
  (Eq 16) of the current decision is ``env.simulator.decision``.
- **Seeding** (Gymnasium's convention): ``reset(seed=s)`` draws the episode's jobs from
  ``BatchedEnv([scenario], workload_seed=s)``; the following unseeded resets continue that seeded sequence
  (episode k after the seeding uses an independent stream derived from (s, k)); an environment never seeded
  replays the scenario's own job trace on every ``reset()``, as ``BatchedEnv(workload_seed=None)`` does. The
  scenario (servers, arrival rate) is fixed at construction; ``options`` is accepted and ignored (none exist).
- **possible_agents** lists exactly the jobs of the current episode (before the first reset: of the episode an
  unseeded ``reset()`` runs). The job trace does not depend on the actions, so it is counted once per episode,
  on first access, by replaying the arrivals on a copy of the episode's generator (≈ 1.2 N · 2000 ids).
- **Spaces** are built once and shared by every agent: ``Box(-inf, inf, (D,), float64)`` with D of H.2
  (``observation_size``): the features are normalized but not all bounded by 1 (η > 1; the agent index exceeds
  M when more than M jobs arrive at once), and ``Discrete(K)``.
- **Errors.** Bad constructor or ``reset`` arguments raise ValueError naming the argument, the value and what is
  allowed; a bad action dict (not a dict, unknown or missing agent, non-integer or out-of-range action) raises
  ValueError before the simulator is touched, so the state is unchanged.
- **Threads.** With one copy the simulator runs its serial kernels (``sim.kernels`` spreads only batches of
  eight or more copies over numba's threads), so a step never wakes the thread pool.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium
import numpy as np
from gymnasium import spaces
from pettingzoo.utils.env import ParallelEnv

from sim.arguments import require, require_int
from sim.env import DEFAULT_QUEUE_MODEL, BatchedEnv, Decision, StepResult
from sim.kernels import QUEUE_MODELS
from sim.observations import observation_size, observations
from sim.scales import Scale, resolve_scale
from sim.scenario import SPLIT_SIZES, Scenario, make_scenario
from sim.workload import ARRIVAL_STEPS, EPISODE_STEPS, sample_arrivals

ENV_NAME = "dgpg_cloud_scheduling_v0"
OUTCOMES = ("started", "queued", "buffered")  # StepResult.outcome codes 0, 1, 2
RENDER_MODES = ("ansi",)
_AGENT_ID = re.compile(r"job_(\d+)")

AgentID = str
Observations = dict[AgentID, np.ndarray]
Infos = dict[AgentID, dict[str, Any]]


def parallel_env(
    scale: str | int | Scale = "small",
    n_clusters: int | None = None,
    split: str = "test",
    scenario: int = 0,
    scenario_seed: int = 0,
    render_mode: str | None = None,
    queue_model: str = DEFAULT_QUEUE_MODEL,
    target_utilization: float | None = None,
) -> CloudSchedulingEnv:
    """The ParallelEnv of scenario ``scenario`` of ``split`` at ``scale`` (a Table 5 name or N; K optional).

    The scenario is the one ``load_scenarios(scale, split, scenario_seed, target_utilization=...)[scenario]``
    returns (``target_utilization``: see ``make_scenario``; None: the H.1 draw); ``queue_model`` is BatchedEnv's
    (sim/SPEC.md, "Queue models").
    """
    if split not in SPLIT_SIZES:
        raise ValueError(f"split={split!r} is not allowed; allowed: {', '.join(SPLIT_SIZES)}")
    size = SPLIT_SIZES[split]
    require_int("scenario", scenario, low=0, high=size, context=f"for split={split!r}")
    require_int("scenario_seed", scenario_seed, low=0)
    sc = resolve_scale(scale, n_clusters)
    picked = make_scenario(sc, split, int(scenario), int(scenario_seed), target_utilization)
    return CloudSchedulingEnv(picked, render_mode=render_mode, queue_model=queue_model)


def _derived_workload_seed(seed: int, episode: int) -> int:
    """The workload seed of the ``episode``-th unseeded reset after ``reset(seed=seed)``: a 63-bit hash."""
    return int(np.random.SeedSequence([seed, episode]).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


class CloudSchedulingEnv(ParallelEnv[AgentID, np.ndarray, int]):
    """One scenario of the cloud-scheduling task as a PettingZoo ParallelEnv (design: module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": ENV_NAME,
        "is_parallelizable": True,
        "render_modes": list(RENDER_MODES),
    }

    def __init__(self, scenario: Scenario, render_mode: str | None = None, queue_model: str = DEFAULT_QUEUE_MODEL):
        if not isinstance(scenario, Scenario):
            raise ValueError(f"scenario={scenario!r} must be a sim.scenario.Scenario")
        require(queue_model in QUEUE_MODELS, "queue_model", queue_model, ", ".join(QUEUE_MODELS))
        self.queue_model = queue_model
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ValueError(f"render_mode={render_mode!r} is not supported; allowed: None, {', '.join(RENDER_MODES)}")
        self.scenario = scenario
        self.scale = resolve_scale(scenario.n_servers, scenario.n_clusters)
        self.render_mode = render_mode
        self._observation_space = spaces.Box(-np.inf, np.inf, (observation_size(self.scale),), np.float64)
        self._action_space = spaces.Discrete(scenario.n_clusters)
        self.agents: list[AgentID] = []
        self.simulator: BatchedEnv | None = None  # the BatchedEnv (B = 1) of the current episode
        self._seeding: tuple[int, int] | None = None  # (seed of the last seeded reset, unseeded resets since)
        self._workload_seed: int | None = None  # of the current episode (before any reset: of the next one)
        self._possible_agents: list[AgentID] | None = None
        self._observations: Observations = {}

    @property
    def n_actions(self) -> int:
        """K: clusters (servers when K = N)."""
        return self.scenario.n_clusters

    # --- spaces ------------------------------------------------------------------------------------------
    def observation_space(self, agent: AgentID) -> spaces.Box:
        """The same Box for every agent: the flat H.2 observation of dimension D."""
        self._require_agent_id(agent)
        return self._observation_space

    def action_space(self, agent: AgentID) -> spaces.Discrete:
        """The same Discrete(K) for every agent: a cluster index (a server when K = N)."""
        self._require_agent_id(agent)
        return self._action_space

    @property
    def possible_agents(self) -> list[AgentID]:
        """The ids of every job of the current episode (before the first reset: of an unseeded reset's)."""
        if self._possible_agents is None:
            self._possible_agents = [f"job_{i}" for i in range(self._episode_job_count())]
        return list(self._possible_agents)

    # --- the ParallelEnv protocol ------------------------------------------------------------------------
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Observations, Infos]:
        """Start an episode: empty clusters at t = 0, then the first decision step with arrivals."""
        if seed is not None:
            require_int("seed", seed, low=0, context="or None")
        if options is not None and not isinstance(options, Mapping):
            raise ValueError(f"options={options!r} must be None or a dict (this environment defines no options)")
        self._workload_seed = self._next_workload_seed(seed)
        self._possible_agents = None
        self.simulator = BatchedEnv([self.scenario], workload_seed=self._workload_seed, queue_model=self.queue_model)
        self.simulator.reset()
        self._skip_steps_without_arrivals()  # r_t = 0 before the first arrival: nothing is lost
        return self._begin_decision(), self._arrival_infos()

    def step(
        self, actions: dict[AgentID, int]
    ) -> tuple[Observations, dict[AgentID, float], dict[AgentID, bool], dict[AgentID, bool], Infos]:
        """Place this step's jobs, skip the steps without arrivals, and present the next jobs."""
        if self.simulator is None:
            raise RuntimeError("the environment has not been reset; call reset() first")
        if not self.agents:
            raise RuntimeError(f"the episode is over (t = {self.simulator.state.t}); call reset()")
        chosen = self._validated_actions(actions)
        acted, acted_observations, decision = self.agents, self._observations, self.simulator.decision
        result = self.simulator.step(chosen)
        skipped_steps, skipped_reward = self._skip_steps_without_arrivals()
        reward = float(result.reward[0]) + skipped_reward
        acted_infos = self._acted_infos(decision, chosen, result, skipped_steps, skipped_reward)
        new_observations = self._begin_decision()
        observations_out = {**acted_observations, **new_observations}
        rewards = {**dict.fromkeys(acted, reward), **dict.fromkeys(self.agents, 0.0)}
        terminations = {**dict.fromkeys(acted, True), **dict.fromkeys(self.agents, False)}
        truncations = dict.fromkeys([*acted, *self.agents], False)
        return observations_out, rewards, terminations, truncations, {**acted_infos, **self._arrival_infos()}

    def render(self) -> str | None:
        """'ansi': a text picture of the servers (per server for N ≤ 20, else a summary) and the deciding jobs."""
        if self.render_mode is None:
            gymnasium.logger.warn("render() was called without a render_mode; pass render_mode='ansi'")
            return None
        if self.simulator is None:
            return "not reset"
        s = self.simulator.state
        util = s.used[0] / s.capacity[0]
        lines = [f"t={s.t}  deciding jobs={len(self.agents)}  buffer={int(s.g_len[0])}"]
        if self.scale.n_servers <= 20:
            lines += [
                f"server {j:2d}  cpu {util[j, 0]:4.0%}  mem {util[j, 1]:4.0%}  queue {int(s.q_len[0, j])}"
                for j in range(self.scale.n_servers)
            ]
        else:
            lines.append(
                f"{self.scale.n_servers} servers  cpu mean {util[:, 0].mean():.0%} max {util[:, 0].max():.0%}  "
                f"mem mean {util[:, 1].mean():.0%} max {util[:, 1].max():.0%}  queued {int(s.q_len[0].sum())}"
            )
        return "\n".join(lines)

    def close(self) -> None:
        """Drop the simulator (it holds no outside resources)."""
        self.simulator = None
        self.agents = []
        self._observations = {}

    # --- internals ---------------------------------------------------------------------------------------
    def _require_agent_id(self, agent: AgentID) -> None:
        if not isinstance(agent, str) or not _AGENT_ID.fullmatch(agent):
            raise ValueError(f"agent={agent!r} is not an agent id; allowed: 'job_<serial number>', e.g. 'job_0'")

    def _next_workload_seed(self, seed: int | None) -> int | None:
        """Gymnasium's convention: a seed restarts the sequence of episodes; no seed continues it."""
        if seed is not None:
            self._seeding = (int(seed), 0)
            return int(seed)
        if self._seeding is None:
            return None  # never seeded: the scenario's own job trace
        seed, episodes = self._seeding
        self._seeding = (seed, episodes + 1)
        return _derived_workload_seed(seed, episodes + 1)

    def _episode_job_count(self) -> int:
        """How many jobs the current episode brings: its arrivals replayed on a fresh copy of its generator."""
        replay = BatchedEnv([self.scenario], workload_seed=self._workload_seed, queue_model=self.queue_model)
        replay.reset()  # draws the arrivals of t = 0 exactly as the episode did
        state = replay.state
        later = (len(sample_arrivals(state.rngs[0], t, state.arrival_rate[0]).cpu) for t in range(1, ARRIVAL_STEPS))
        return int(state.next_job_id[0]) + sum(later)

    def _skip_steps_without_arrivals(self) -> tuple[int, float]:
        """Advance with no actions until jobs arrive or the episode ends; the steps skipped and their reward."""
        sim, steps, reward = self.simulator, 0, 0.0
        no_actions = np.zeros(0, dtype=np.int64)
        while sim.decision.n_agents == 0 and sim.state.t < EPISODE_STEPS:
            reward += float(sim.step(no_actions).reward[0])
            steps += 1
        return steps, reward

    def _begin_decision(self) -> Observations:
        """Name the deciding jobs and observe them (H.2)."""
        decision = self.simulator.decision
        self.agents = [f"job_{i}" for i in decision.job_id.tolist()]
        rows = observations(self.simulator.state, self.scale) if self.agents else []
        self._observations = dict(zip(self.agents, rows, strict=True))
        return dict(self._observations)

    def _arrival_infos(self) -> Infos:
        decision = self.simulator.decision
        return {
            agent: {"t": decision.t, "job_id": int(job), "influence": decision.influence[i].copy()}
            for i, (agent, job) in enumerate(zip(self.agents, decision.job_id.tolist(), strict=True))
        }

    def _acted_infos(
        self, decision: Decision, chosen: np.ndarray, result: StepResult, skipped_steps: int, skipped_reward: float
    ) -> Infos:
        """The analytical model of App. C–D for each agent that acted, and the split of its reward."""
        parts = result.reward_parts
        shared = {
            "step_reward": float(parts.reward[0]),
            "queue_penalty": float(parts.queue_penalty[0]),
            "energy_penalty": float(parts.energy_penalty[0]),
            "skipped_steps": skipped_steps,
            "skipped_reward": skipped_reward,
        }
        infos = {}
        for i, job in enumerate(decision.job_id.tolist()):
            infos[f"job_{job}"] = {
                "t": decision.t,
                "job_id": int(job),
                "action": int(chosen[i]),
                "server": int(result.server[i]),
                "outcome": OUTCOMES[int(result.outcome[i])],
                "coefficient": float(result.coefficient[i]),
                "influence": decision.influence[i].copy(),
                **shared,
            }
        return infos

    def _validated_actions(self, actions: dict[AgentID, int]) -> np.ndarray:
        """One action per deciding agent, in decision order; raises ValueError before any state changes."""
        if not isinstance(actions, Mapping):
            raise ValueError(f"actions={actions!r} must be a dict {{agent id: action}} over env.agents")
        unknown = [a for a in actions if a not in self._observations]
        if unknown:
            raise ValueError(
                f"actions has unknown agent ids {unknown[:5]}; allowed: the {len(self.agents)} agents deciding "
                f"now (env.agents, e.g. {self.agents[:3]})"
            )
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError(f"actions is missing agents {missing[:5]}; every agent in env.agents must act")
        chosen = np.empty(len(self.agents), dtype=np.int64)
        for i, agent in enumerate(self.agents):
            value = np.asarray(actions[agent])
            if value.shape != () or value.dtype.kind not in "iu":
                raise ValueError(f"actions[{agent!r}]={actions[agent]!r} must be an integer in [0, {self.n_actions})")
            if not 0 <= int(value) < self.n_actions:
                raise ValueError(f"actions[{agent!r}]={int(value)} is out of range; allowed: [0, {self.n_actions})")
            chosen[i] = int(value)
        return chosen
