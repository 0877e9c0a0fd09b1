"""The batched simulator state: every array carries the copy axis first, so one step advances all copies.

Static arrays describe each copy's scenario; dynamic arrays hold running jobs (a time wheel of releases), the
per-server FIFO queues, the global buffer, and the jobs deciding at the current step (flat, with offsets per
copy). Each copy draws its workload from its own ``np.random.Generator``.
"""

from __future__ import annotations

import copy as _copy
from dataclasses import dataclass, fields

import numpy as np

from sim.kernels import DEFAULT_QUEUE_MODEL, QUEUE_MODELS, QUEUE_SLOTS, WHEEL_SLOTS
from sim.scenario import Scenario

INITIAL_BUFFER_SLOTS = 64
# Local queues live in one pool of P slots per copy (P common to the batch). Growing the pools past this size
# (old and new together) is refused with a clear error rather than left to the out-of-memory killer (measured
# with the former per-server rings: a random policy at N = 1500, B = 256 needed > 24 GB).
MAX_QUEUE_BYTES = 8 * 2**30
# The [B, P] arrays of a pool. A job's service steps are < WHEEL_SLOTS, so one byte holds them: 13 bytes a slot.
POOL_SLOT_DTYPES = {"q_cpu": np.int32, "q_mem": np.int32, "q_steps": np.uint8, "q_next": np.int32}
POOL_SLOT_BYTES = sum(np.dtype(dtype).itemsize for dtype in POOL_SLOT_DTYPES.values())
assert WHEEL_SLOTS - 1 <= np.iinfo(POOL_SLOT_DTYPES["q_steps"]).max, "q_steps cannot hold every service time"
# P grows by half, not doubling: the growth copies the pool, so its peak is (1 + factor) × the old pool, and after
# it up to factor × the live jobs stay allocated (doubling measured 5.0 GB at N = 1500, B = 256; the goal is 4 GB).
POOL_GROWTH = 1.5


@dataclass
class EnvState:
    """All of one batch's simulator state (see SPEC.md for the meaning of each queue)."""

    # static, per copy
    capacity: np.ndarray  # [B, N, 2] int32: milli-cores, MB
    efficiency: np.ndarray  # [B, N, 2] float64: η_CPU, η_Mem
    order: np.ndarray  # [B, N] int32: servers in action order; cluster c = order[c*S:(c+1)*S]
    capacity_share: np.ndarray  # [B, N, 2] float64: μ_j / Σ μ  (Eq 16)
    resource_scale: np.ndarray  # [B, 2] float64: mean server capacity, the unit of x, x̃, z
    arrival_rate: np.ndarray  # [B] λ̄
    servers_per_cluster: int
    queue_model: str  # a key of kernels.QUEUE_MODELS (SPEC.md, "Queue models")
    # dynamic
    t: int
    used: np.ndarray  # [B, N, 2] int32, demand of running jobs
    running: np.ndarray  # [B, N] int32
    wheel_res: np.ndarray  # [B, W, N, 2] int32, demand released at step ≡ slot (mod W); a slot is contiguous
    wheel_cnt: np.ndarray  # [B, W, N] int32
    # Local queues: copy b's jobs waiting on any of its servers share a pool of P slots. Each server's queue is a
    # singly linked list through q_next (head first, -1 ends it); released slots form the copy's free list, also
    # through q_next. Slots ≥ q_top[b] were never used: taking one needs no free-list set-up, so P can grow by
    # appending slots. Which slot a job occupies changes nothing observable: only the list order matters.
    q_cpu: np.ndarray  # [B, P] int32, demand of the job in the slot
    q_mem: np.ndarray  # [B, P] int32
    q_steps: np.ndarray  # [B, P] uint8, its service steps on its server (a queued job never changes server)
    q_next: np.ndarray  # [B, P] int32, the next slot of its list, -1 at the end
    q_head: np.ndarray  # [B, N] int32, first slot of each server's queue, -1 if empty
    q_tail: np.ndarray  # [B, N] int32, last slot, -1 if empty
    q_len: np.ndarray  # [B, N] int32, jobs in each server's queue
    q_free: np.ndarray  # [B] int32, first released slot, -1 if none
    q_top: np.ndarray  # [B] int32, slots [0, q_top) have been used
    q_used: np.ndarray  # [B] int32, slots holding a job: q_len[b].sum()
    queued: np.ndarray  # [B, N, 2] int64, demand waiting in the local queue
    g_cpu: np.ndarray  # [B, G] int32, global buffer
    g_mem: np.ndarray
    g_dur: np.ndarray
    g_len: np.ndarray  # [B] int32
    arrived: np.ndarray  # [B] int64
    completed: np.ndarray  # [B] int64
    next_job_id: np.ndarray  # [B] int64
    # the jobs deciding at step t, flat over copies
    job_cpu: np.ndarray  # [A] int32
    job_mem: np.ndarray  # [A] int32
    job_dur: np.ndarray  # [A] float64
    job_copy: np.ndarray  # [A] int32
    job_id: np.ndarray  # [A] int64, serial number of the job within its copy
    offsets: np.ndarray  # [B + 1] int64
    rngs: list[np.random.Generator]

    @property
    def n_copies(self) -> int:
        return self.used.shape[0]

    @property
    def n_servers(self) -> int:
        return self.used.shape[1]

    def select(self, copies: np.ndarray) -> EnvState:
        """A new state holding copies ``copies`` (repeats allowed), deep-copied, generators cloned."""
        copies = np.asarray(copies, dtype=np.int64)
        picked = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("t", "servers_per_cluster", "queue_model"):
                picked[f.name] = value
            elif f.name == "rngs":
                picked[f.name] = [_copy.deepcopy(value[c]) for c in copies]
            elif not f.name.startswith("job_") and f.name != "offsets":
                picked[f.name] = value[copies].copy()
        job_index = [np.arange(self.offsets[c], self.offsets[c + 1]) for c in copies]
        flat = np.concatenate(job_index) if job_index else np.zeros(0, dtype=np.int64)
        counts = np.array([len(ix) for ix in job_index], dtype=np.int64)
        for name in ("job_cpu", "job_mem", "job_dur", "job_id"):
            picked[name] = getattr(self, name)[flat].copy()
        picked["job_copy"] = np.repeat(np.arange(len(copies), dtype=np.int32), counts)
        picked["offsets"] = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return EnvState(**picked)

    @property
    def pool_slots(self) -> int:
        """P, the slots of each copy's queue pool."""
        return self.q_cpu.shape[1]

    @property
    def queue_pool(self) -> tuple[np.ndarray, ...]:
        """The local queues' arrays in the order the kernels take them (``queued`` follows them)."""
        return (
            self.q_cpu, self.q_mem, self.q_steps, self.q_next, self.q_head, self.q_tail, self.q_len, self.q_free,
            self.q_top, self.q_used,
        )  # fmt: skip

    def queue_contents(self, copy: int, server: int) -> list[tuple[int, int, int]]:
        """(cpu, mem, service steps) of each job in one server's local queue, head first."""
        jobs, slot = [], int(self.q_head[copy, server])
        for _ in range(int(self.q_len[copy, server])):
            jobs.append((int(self.q_cpu[copy, slot]), int(self.q_mem[copy, slot]), int(self.q_steps[copy, slot])))
            slot = int(self.q_next[copy, slot])
        return jobs

    @property
    def queue_limit(self) -> int:
        """The most jobs a local queue may hold under this state's queue model."""
        return QUEUE_MODELS[self.queue_model].limit

    @property
    def redispatch(self) -> bool:
        """Whether the cluster manager re-dispatches the global buffer (bounded-redispatch)."""
        return QUEUE_MODELS[self.queue_model].redispatch

    @property
    def backfill(self) -> bool:
        """Whether local queues backfill (a queued job may start before the jobs ahead of it) or are strict FIFO."""
        return QUEUE_MODELS[self.queue_model].backfill

    def ensure_queue_room(self, incoming: np.ndarray) -> None:
        """Grow the queue pools so that every copy b can queue ``incoming[b]`` more jobs (the most that may join its
        local queues before the next call). P grows by ``POOL_GROWTH`` at least; slots keep their index, so no list
        changes. No copy queues more than N × the queue limit: bounded-redispatch's initial pool already holds that
        and never grows. The state is unchanged if the growth is refused (MemoryError) or fails."""
        slots = self.pool_slots
        ceiling = self.n_servers * self.queue_limit
        need = int(np.minimum(self.q_used.astype(np.int64) + incoming, ceiling).max(initial=0))
        if need <= slots:
            return
        size = min(max(need, int(POOL_GROWTH * slots)), ceiling)
        peak = POOL_SLOT_BYTES * self.n_copies * (size + slots)  # old and new pools while copying
        if peak > MAX_QUEUE_BYTES:
            raise MemoryError(
                f"local queues would need {peak / 2**30:.1f} GB while growing (copies={self.n_copies} × {size} "
                f"pool slots, the fullest copy queueing {int(self.q_used.max())} jobs, {need} with this step's); "
                f"allowed: ≤ {MAX_QUEUE_BYTES / 2**30:.0f} GB — simulate fewer copies at once"
            )
        grown = {}
        for name, dtype in POOL_SLOT_DTYPES.items():
            grown[name] = np.zeros((self.n_copies, size), dtype=dtype)
            grown[name][:, :slots] = getattr(self, name)
        for name, array in grown.items():  # all built: only now does the state change
            setattr(self, name, array)

    def ensure_buffer_room(self, extra: int) -> None:
        """Grow the global buffer so that ``extra`` more jobs per copy fit (jobs are never dropped)."""
        need = int(self.g_len.max(initial=0)) + extra
        if need <= self.g_cpu.shape[1]:
            return
        size = max(need, 2 * self.g_cpu.shape[1])
        for name in ("g_cpu", "g_mem", "g_dur"):
            old = getattr(self, name)
            grown = np.zeros((old.shape[0], size), dtype=old.dtype)
            grown[:, : old.shape[1]] = old
            setattr(self, name, grown)


def initial_state(
    scenarios: list[Scenario], rngs: list[np.random.Generator], queue_model: str = DEFAULT_QUEUE_MODEL
) -> EnvState:
    """Empty cluster at t = 0 for each scenario (all scenarios of one batch share N and K)."""
    n_copies, n_servers = len(scenarios), scenarios[0].n_servers
    capacity = np.stack([s.capacity for s in scenarios]).astype(np.int32)
    cap_f = capacity.astype(np.float64)
    zeros_i32 = lambda *shape: np.zeros(shape, dtype=np.int32)  # noqa: E731
    # Every queue full fits: all that bounded-redispatch can ever queue; binding starts there and grows as needed.
    pool_slots = n_servers * QUEUE_SLOTS
    return EnvState(
        capacity=capacity,
        efficiency=np.stack([s.efficiency for s in scenarios]),
        order=np.stack([s.cluster_order() for s in scenarios]).astype(np.int32),
        capacity_share=cap_f / cap_f.sum(axis=1, keepdims=True),
        resource_scale=cap_f.mean(axis=1),
        arrival_rate=np.array([s.arrival_rate for s in scenarios]),
        servers_per_cluster=scenarios[0].n_servers // scenarios[0].n_clusters,
        queue_model=queue_model,
        t=0,
        used=zeros_i32(n_copies, n_servers, 2),
        running=zeros_i32(n_copies, n_servers),
        wheel_res=zeros_i32(n_copies, WHEEL_SLOTS, n_servers, 2),
        wheel_cnt=zeros_i32(n_copies, WHEEL_SLOTS, n_servers),
        q_cpu=zeros_i32(n_copies, pool_slots),
        q_mem=zeros_i32(n_copies, pool_slots),
        q_steps=np.zeros((n_copies, pool_slots), dtype=np.uint8),
        q_next=zeros_i32(n_copies, pool_slots),
        q_head=np.full((n_copies, n_servers), -1, dtype=np.int32),
        q_tail=np.full((n_copies, n_servers), -1, dtype=np.int32),
        q_len=zeros_i32(n_copies, n_servers),
        q_free=np.full(n_copies, -1, dtype=np.int32),
        q_top=zeros_i32(n_copies),
        q_used=zeros_i32(n_copies),
        queued=np.zeros((n_copies, n_servers, 2), dtype=np.int64),
        g_cpu=zeros_i32(n_copies, INITIAL_BUFFER_SLOTS),
        g_mem=zeros_i32(n_copies, INITIAL_BUFFER_SLOTS),
        g_dur=np.zeros((n_copies, INITIAL_BUFFER_SLOTS)),
        g_len=zeros_i32(n_copies),
        arrived=np.zeros(n_copies, dtype=np.int64),
        completed=np.zeros(n_copies, dtype=np.int64),
        next_job_id=np.zeros(n_copies, dtype=np.int64),
        job_cpu=zeros_i32(0),
        job_mem=zeros_i32(0),
        job_dur=np.zeros(0),
        job_copy=zeros_i32(0),
        job_id=np.zeros(0, dtype=np.int64),
        offsets=np.zeros(n_copies + 1, dtype=np.int64),
        rngs=rngs,
    )
