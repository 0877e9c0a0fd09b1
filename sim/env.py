"""BatchedEnv: B copies of the cloud-scheduling environment (Appendix H), advanced together.

One step t: the jobs that arrived at t decide (one agent per job, H.2); ``step(actions)`` places them, the shared
reward r_t (H.3) is computed on the resulting state, then step t+1 begins: finished jobs leave, local queues
and the global buffer admit what fits, and the next jobs arrive. Every step returns, for every agent, the
analytical model of App. C–D: x_t, x̃_t (Eq 16), the influence z and the guidance coefficient c (Eq 9).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim import analytical, kernels
from sim.arguments import require, require_int
from sim.kernels import DEFAULT_QUEUE_MODEL
from sim.reward import RewardParts, shared_reward
from sim.scenario import Scenario
from sim.state import EnvState, initial_state
from sim.workload import EPISODE_STEPS, sample_arrivals

HEURISTIC_RULES = {"best-fit": kernels.RULE_BEST_FIT, "guidance-greedy": kernels.RULE_GUIDANCE_GREEDY}


@dataclass
class Decision:
    """What the agents of step t see: their jobs (flat over copies, ``offsets`` per copy) and x_t, x̃_t."""

    t: int
    job_copy: np.ndarray  # [A] which copy each agent belongs to
    job_id: np.ndarray  # [A] serial number of the job within its copy
    offsets: np.ndarray  # [B + 1]
    influence: np.ndarray  # [A, 2] the job's demand w in the units of x (the non-zero block of z)
    x: np.ndarray  # [B, N, 2] system state x_t
    x_ref: np.ndarray  # [B, N, 2] reference x̃_t of Eq 16

    @property
    def n_agents(self) -> int:
        return len(self.job_copy)


@dataclass
class StepResult:
    """The outcome of one step for every agent that acted, and the next decision."""

    reward: np.ndarray  # [B] shared reward r_t (H.3)
    reward_parts: RewardParts
    server: np.ndarray  # [A] where each job started or queued (for a buffered job: the server it was meant for)
    outcome: np.ndarray  # [A] 0 started, 1 queued locally, 2 global buffer
    coefficient: np.ndarray  # [A] guidance coefficient c = ⟨x_t − x̃_t, z⟩ (Eq 9, App. D)
    decision: Decision  # the agents of step t + 1 (none once the episode is over)
    done: bool


class BatchedEnv:
    """B environment copies in lockstep.

    ``workload_seed=None`` draws each copy's jobs from its scenario's own seed (the same scenario gives the same
    job trace under any policy); an int gives every copy an independent stream spawned from that seed.
    ``queue_model`` (SPEC.md, "Queue models"): ``binding`` (the default) — the agent's placement is final: local
    queues have no limit, and the buffer holds only jobs that no server of the chosen server or cluster can ever
    host — or ``bounded-redispatch`` — local queues of at most 50 jobs, overflow to the global buffer, which the
    cluster manager re-dispatches over all servers. Both queue strict FIFO; their ``-backfill`` variants let a
    queued job start before the jobs ahead of it when they do not fit, and a new job that fits start at once.
    """

    def __init__(
        self,
        scenarios: Sequence[Scenario],
        workload_seed: int | None = None,
        queue_model: str = DEFAULT_QUEUE_MODEL,
    ):
        scenarios = list(scenarios)
        if not scenarios:
            raise ValueError("scenarios=[] is empty; allowed: at least one Scenario (B ≥ 1)")
        shapes = {(s.n_servers, s.n_clusters) for s in scenarios}
        if len(shapes) != 1:
            raise ValueError(f"scenarios mix scales (N, K) = {sorted(shapes)}; allowed: one (N, K) per batch")
        if workload_seed is not None:
            require_int("workload_seed", workload_seed, low=0, context="or None")
        require(queue_model in kernels.QUEUE_MODELS, "queue_model", queue_model, ", ".join(kernels.QUEUE_MODELS))
        self.queue_model = queue_model
        self.scenarios = scenarios
        self.workload_seed = workload_seed
        self.n_servers, self.n_clusters = shapes.pop()
        self.state: EnvState | None = None
        self.decision: Decision | None = None

    @property
    def n_copies(self) -> int:
        return len(self.scenarios)

    def _fresh_generators(self) -> list[np.random.Generator]:
        if self.workload_seed is None:
            return [np.random.default_rng(s.workload_seed) for s in self.scenarios]
        children = np.random.SeedSequence(int(self.workload_seed)).spawn(self.n_copies)
        return [np.random.default_rng(c) for c in children]

    def reset(self) -> Decision:
        """Empty clusters at t = 0, and the first arrivals."""
        self.state = initial_state(self.scenarios, self._fresh_generators(), self.queue_model)
        self._begin_step()
        return self.decision

    def step(self, actions: np.ndarray) -> StepResult:
        """Apply one action per deciding agent: a cluster index in [0, K) (a server when K = N)."""
        self._require_running()
        actions = self._validated_actions(actions)
        return self._advance(kernels.RULE_AGENT, actions)

    def step_heuristic(self, heuristic: str) -> StepResult:
        """Place this step's jobs with a centralized heuristic: 'best-fit' or 'guidance-greedy'."""
        self._require_running()
        if heuristic not in HEURISTIC_RULES:
            raise ValueError(f"heuristic={heuristic!r} is unknown; allowed: {', '.join(HEURISTIC_RULES)}")
        no_actions = np.zeros(self.decision.n_agents, dtype=np.int64)
        return self._advance(HEURISTIC_RULES[heuristic], no_actions)

    def remove_jobs(self, agents: np.ndarray) -> Decision:
        """Delete deciding agents' jobs (flat indices into the current decision) as if they had never arrived.

        For the difference reward R_{−i} (SPEC.md, "Removing a deciding job"): the removed job is no longer
        counted as arrived; its serial number is not reused, so later arrivals keep the serial numbers they
        have without the removal; the workload generators are untouched (this step's arrivals were drawn
        already), so the future arrivals are the same as without the removal. Returns the new decision."""
        self._require_running()
        agents = np.asarray(agents)
        n_agents = self.decision.n_agents
        if agents.ndim != 1 or agents.dtype.kind not in "iu":
            raise ValueError(f"agents has shape {agents.shape}, dtype {agents.dtype}; allowed: a 1-D integer array")
        if agents.size and (agents.min() < 0 or agents.max() >= n_agents):
            bad = agents[(agents < 0) | (agents >= n_agents)][0]
            raise ValueError(f"agents contains {bad}; allowed: indices in [0, {n_agents}) of the current decision")
        if len(np.unique(agents)) != len(agents):
            raise ValueError(f"agents={agents.tolist()} repeats an index; allowed: distinct indices")
        s = self.state
        removed = np.bincount(s.job_copy[agents], minlength=s.n_copies).astype(np.int64)
        keep = np.ones(n_agents, dtype=bool)
        keep[agents] = False
        for name in ("job_cpu", "job_mem", "job_dur", "job_copy", "job_id"):
            setattr(s, name, getattr(s, name)[keep])
        s.offsets = np.concatenate([[0], np.cumsum(np.diff(s.offsets) - removed)]).astype(np.int64)
        s.arrived -= removed
        self._set_decision()
        return self.decision

    # --- snapshots -------------------------------------------------------------------------------------
    def snapshot(self, copy: int = 0) -> EnvState:
        """A deep copy of one copy's full state (generator included), to fork from later."""
        self._require_running()
        require_int("copy", copy, low=0, high=self.n_copies)
        return self.state.select(np.array([copy]))

    @classmethod
    def fork(cls, snapshot: EnvState, scenario: Scenario, copies: int, seed: int | None = None) -> BatchedEnv:
        """``copies`` copies of a one-copy ``snapshot``, all at the same decision point.

        ``seed=None`` keeps the snapshot's generator in every copy (identical future arrivals: the copies then
        differ only through the actions); an int gives each copy an independent future workload stream.
        """
        require_int("copies", copies, low=1)
        if snapshot.n_copies != 1:
            raise ValueError(f"snapshot holds {snapshot.n_copies} copies; allowed: exactly 1")
        if seed is not None:
            require_int("seed", seed, low=0, context="or None")
        same_cluster = (
            snapshot.n_servers == scenario.n_servers
            and snapshot.servers_per_cluster == scenario.n_servers // scenario.n_clusters
            and np.array_equal(snapshot.capacity[0], scenario.capacity)
            and np.array_equal(snapshot.efficiency[0], scenario.efficiency)
        )
        if not same_cluster:
            raise ValueError(
                f"scenario {scenario.scale}/{scenario.split}/{scenario.index} does not match the snapshot's cluster; "
                "allowed: the scenario the snapshot was taken from"
            )
        env = cls([scenario] * int(copies), queue_model=snapshot.queue_model)
        env.state = snapshot.select(np.zeros(int(copies), dtype=np.int64))
        if seed is not None:
            children = np.random.SeedSequence(int(seed)).spawn(int(copies))
            env.state.rngs = [np.random.default_rng(c) for c in children]
        env._set_decision()
        return env

    # --- internals ---------------------------------------------------------------------------------------
    def _require_running(self) -> None:
        if self.state is None:
            raise RuntimeError("the environment has not been reset; call reset() first")
        if self.state.t >= EPISODE_STEPS:
            raise RuntimeError(f"the episode is over (t = {self.state.t}); call reset()")

    def _validated_actions(self, actions: np.ndarray) -> np.ndarray:
        actions = np.asarray(actions)
        expected = (self.decision.n_agents,)
        if actions.shape != expected:
            raise ValueError(f"actions has shape {actions.shape}; allowed: {expected}, one per deciding agent")
        if actions.dtype.kind == "f" and np.isnan(actions).any():
            raise ValueError("actions contains NaN; allowed: integer cluster indices")
        if actions.dtype.kind not in "iu":
            raise ValueError(f"actions has dtype {actions.dtype}; allowed: an integer dtype")
        if actions.size and (actions.min() < 0 or actions.max() >= self.n_clusters):
            bad = actions[(actions < 0) | (actions >= self.n_clusters)][0]
            raise ValueError(f"actions contains {bad}; allowed: integers in [0, {self.n_clusters})")
        return actions.astype(np.int64)

    def _advance(self, rule: int, actions: np.ndarray) -> StepResult:
        s, d = self.state, self.decision
        arriving = np.diff(s.offsets)
        s.ensure_buffer_room(int(arriving.max(initial=0)))  # every job of a copy may be buffered
        s.ensure_queue_room(arriving)  # or queued
        n_agents = d.n_agents
        server = np.empty(n_agents, dtype=np.int64)
        outcome = np.empty(n_agents, dtype=np.int8)
        coefficient = np.empty(n_agents)
        kernels.place_jobs(
            s.t, rule, s.queue_limit, s.backfill, s.job_cpu, s.job_mem, s.job_dur, s.offsets, actions,
            s.servers_per_cluster, s.order, s.capacity, s.efficiency, s.used, s.wheel_res, s.wheel_cnt, s.running,
            *s.queue_pool, s.queued, s.g_cpu, s.g_mem, s.g_dur, s.g_len, d.x, d.x_ref, s.capacity_share,
            s.resource_scale, server, outcome, coefficient,
        )  # fmt: skip
        parts = shared_reward(s)
        s.t += 1
        done = s.t >= EPISODE_STEPS
        self._begin_step()
        return StepResult(parts.reward, parts, server, outcome, coefficient, self.decision, done)

    def _begin_step(self) -> None:
        """Housekeeping of step t, then the arrivals of step t (none once the episode is over)."""
        s = self.state
        if s.t >= EPISODE_STEPS:
            self._set_jobs([])
            return
        if s.redispatch:  # the cluster manager may queue every buffered job
            s.ensure_queue_room(s.g_len)
        kernels.housekeeping(
            s.t, s.queue_limit, s.redispatch, s.backfill, s.capacity, s.efficiency, s.used, s.wheel_res, s.wheel_cnt,
            s.running, *s.queue_pool, s.queued, s.g_cpu, s.g_mem, s.g_dur, s.g_len, s.completed,
        )  # fmt: skip
        self._set_jobs([sample_arrivals(rng, s.t, rate) for rng, rate in zip(s.rngs, s.arrival_rate, strict=True)])

    def _set_jobs(self, per_copy: list) -> None:
        s = self.state
        counts = np.array([len(j.cpu) for j in per_copy] or [0] * s.n_copies, dtype=np.int64)
        if per_copy:
            s.job_cpu = np.concatenate([j.cpu for j in per_copy])
            s.job_mem = np.concatenate([j.mem for j in per_copy])
            s.job_dur = np.concatenate([j.duration for j in per_copy])
        else:
            s.job_cpu, s.job_mem, s.job_dur = (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        s.job_copy = np.repeat(np.arange(s.n_copies, dtype=np.int32), counts)
        s.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        s.job_id = s.next_job_id[s.job_copy] + (np.arange(len(s.job_copy)) - s.offsets[s.job_copy])
        s.next_job_id += counts
        s.arrived += counts
        self._set_decision()

    def _set_decision(self) -> None:
        s = self.state
        x = analytical.system_state(s)
        self.decision = Decision(
            t=s.t,
            job_copy=s.job_copy,
            job_id=s.job_id,
            offsets=s.offsets,
            influence=analytical.job_influence(s),
            x=x,
            x_ref=analytical.reference_state(s, x),
        )
