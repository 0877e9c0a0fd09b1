"""A plain-Python reference of one environment copy: the rules of SPEC.md with lists and deques, no arrays, no
time wheel, no numba. Slow and obvious on purpose; the tests check that the batched kernels match it step for
step (same arrivals, same actions)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from sim.kernels import DEFAULT_QUEUE_MODEL, QUEUE_MODELS
from sim.reward import ENERGY_WEIGHT, QUEUE_WEIGHT
from sim.scenario import Scenario
from sim.workload import Jobs, service_steps


@dataclass
class Server:
    capacity: tuple[int, int]
    efficiency: tuple[float, float]
    used: list[int] = field(default_factory=lambda: [0, 0])
    queue: deque = field(default_factory=deque)  # (cpu, mem, duration), in arrival order
    running: list = field(default_factory=list)  # (finish step, cpu, mem)
    queue_limit: int = QUEUE_MODELS[DEFAULT_QUEUE_MODEL].limit
    backfill: bool = QUEUE_MODELS[DEFAULT_QUEUE_MODEL].backfill

    def has_room(self, cpu: int, mem: int) -> bool:
        return self.used[0] + cpu <= self.capacity[0] and self.used[1] + mem <= self.capacity[1]

    def fits_now(self, cpu: int, mem: int) -> bool:
        """A new job starts now if it fits and (strict FIFO) no queued job is ahead of it."""
        return (self.backfill or not self.queue) and self.has_room(cpu, mem)

    def admit_queued(self, t: int) -> None:
        """Start the queued jobs that fit, in queue order: strict FIFO stops at the first that does not."""
        kept = deque()
        while self.queue:
            job = self.queue.popleft()
            if self.has_room(job[0], job[1]):
                self.start(t, *job)
                continue
            kept.append(job)
            if not self.backfill:
                break  # the head blocks the queue until it fits
        kept.extend(self.queue)
        self.queue = kept

    def can_ever_host(self, cpu: int, mem: int) -> bool:
        """Large enough for the job, with room in the queue (binding: a queue always has room)."""
        return cpu <= self.capacity[0] and mem <= self.capacity[1] and len(self.queue) < self.queue_limit

    def utilization(self) -> float:
        return 0.5 * (self.used[0] / self.capacity[0] + self.used[1] / self.capacity[1])

    def committed(self, k: int) -> int:
        return self.used[k] + sum(job[k] for job in self.queue)

    def committed_share(self) -> float:
        return max(self.committed(0) / self.capacity[0], self.committed(1) / self.capacity[1])

    def start(self, t: int, cpu: int, mem: int, duration: float) -> None:
        steps = int(service_steps(duration, self.efficiency[0]))
        self.running.append((t + steps, cpu, mem))
        self.used[0] += cpu
        self.used[1] += mem


class ReferenceCluster:
    """One copy of the environment, stepped by hand: ``housekeeping(t)`` then ``place(...)``."""

    def __init__(self, scenario: Scenario, queue_model: str = DEFAULT_QUEUE_MODEL):
        cap, eff = scenario.capacity, scenario.efficiency
        rules = QUEUE_MODELS[queue_model]
        self.redispatch = rules.redispatch
        self.servers = [
            Server((int(c[0]), int(c[1])), (float(e[0]), float(e[1])), queue_limit=rules.limit, backfill=rules.backfill)
            for c, e in zip(cap, eff, strict=True)
        ]
        self.order = [int(j) for j in scenario.cluster_order()]
        self.per_cluster = scenario.n_servers // scenario.n_clusters
        self.buffer: list[tuple[int, int, float]] = []
        self.completed = 0
        self.scale = cap.astype(np.float64).mean(axis=0)
        self.share = cap / cap.sum(axis=0)

    def housekeeping(self, t: int) -> None:
        for s in self.servers:
            done = [job for job in s.running if job[0] == t]
            s.running = [job for job in s.running if job[0] != t]
            for _, cpu, mem in done:
                s.used[0] -= cpu
                s.used[1] -= mem
            self.completed += len(done)
            s.admit_queued(t)
        if not self.redispatch:  # binding: nobody moves a job an agent placed; the buffer only waits
            return
        waiting, self.buffer = self.buffer, []
        everywhere = range(len(self.servers))
        for cpu, mem, duration in waiting:
            j = self._best_fit(everywhere, cpu, mem)
            if j is not None:
                self.servers[j].start(t, cpu, mem, duration)
                continue
            j = self._least_loaded(everywhere, cpu, mem, admissible_only=True)
            if j is not None:
                self.servers[j].queue.append((cpu, mem, duration))
            else:
                self.buffer.append((cpu, mem, duration))

    def analytical_state(self) -> tuple[np.ndarray, np.ndarray]:
        """x_t and x̃_t (Eq 16) in units of the mean server capacity."""
        x = np.array([[s.committed(0), s.committed(1)] for s in self.servers], dtype=np.float64) / self.scale
        return x, self.share * x.sum(axis=0)

    # Ties go to the earliest candidate, candidates in action order (the cluster's capacity order).
    def _best_fit(self, candidates, cpu: int, mem: int) -> int | None:
        fitting = [j for j in candidates if self.servers[j].fits_now(cpu, mem)]
        best = max((self.servers[j].utilization() for j in fitting), default=None)
        return next((j for j in fitting if self.servers[j].utilization() == best), None)

    def _least_loaded(self, candidates, cpu: int, mem: int, admissible_only: bool) -> int | None:
        pool = [j for j in candidates if not admissible_only or self.servers[j].can_ever_host(cpu, mem)]
        best = min((self.servers[j].committed_share() for j in pool), default=None)
        return next((j for j in pool if self.servers[j].committed_share() == best), None)

    def _guidance_scores(self, cpu: int, mem: int) -> list[float]:
        load = [sum(s.committed(k) for s in self.servers) for k in (0, 1)]
        return [
            sum(
                w * (s.committed(k) - self.share[j, k] * load[k]) / self.scale[k] ** 2 for k, w in enumerate((cpu, mem))
            )
            for j, s in enumerate(self.servers)
        ]

    def place(self, t: int, jobs: Jobs, actions: np.ndarray, rule: str) -> list[tuple[int, int, float]]:
        """Place jobs in order; returns (server, outcome, coefficient) per job (outcome 0/1/2 as the kernels)."""
        x, x_ref = self.analytical_state()
        results = []
        for cpu, mem, duration, action in zip(
            jobs.cpu.tolist(), jobs.mem.tolist(), jobs.duration.tolist(), actions, strict=True
        ):
            if rule == "guidance-greedy":
                scores = self._guidance_scores(cpu, mem)
                admissible = [j for j, s in enumerate(self.servers) if s.can_ever_host(cpu, mem)]
                target = min(admissible, key=lambda j: (scores[j], j), default=None)
                queue_on = target
                started = target is not None and self.servers[target].fits_now(cpu, mem)
                if target is None:
                    target = min(range(len(self.servers)), key=lambda j: (scores[j], j))
            else:
                if rule == "agent":
                    first = int(action) * self.per_cluster
                    candidates = self.order[first : first + self.per_cluster]
                else:
                    candidates = list(range(len(self.servers)))
                target = self._best_fit(candidates, cpu, mem)
                started, queue_on = target is not None, target
                if not started:
                    queue_on = target = self._least_loaded(candidates, cpu, mem, True)
                    if target is None:
                        target = self._least_loaded(candidates, cpu, mem, False)
            if started:
                self.servers[target].start(t, cpu, mem, duration)
                outcome = 0
            elif queue_on is not None:
                self.servers[target].queue.append((cpu, mem, duration))
                outcome = 1
            else:
                self.buffer.append((cpu, mem, duration))
                outcome = 2
            w = np.array([cpu, mem]) / self.scale
            results.append((target, outcome, float(w @ (x[target] - x_ref[target]))))
        return results

    def reward(self) -> float:
        """r_t of H.3 (see sim/reward.py for the unit choice)."""
        n = len(self.servers)
        queue = (len(self.buffer) + sum(len(s.queue) for s in self.servers)) / n
        energy = 0.5 * sum(
            sum(s.used[k] / s.efficiency[k] for s in self.servers) / sum(s.capacity[k] for s in self.servers)
            for k in (0, 1)
        )
        return -(QUEUE_WEIGHT * queue + ENERGY_WEIGHT * energy)
