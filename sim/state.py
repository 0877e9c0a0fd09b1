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
# The binding model's local queues are rings of one common length per batch, B × N × Q slots of 16 bytes: a
# single long queue sizes them all. Past this size growing them is refused with a clear error rather than left to
# the out-of-memory killer (measured: a random policy at N = 1500, B = 256 needed > 24 GB).
MAX_QUEUE_BYTES = 8 * 2**30


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
    q_cpu: np.ndarray  # [B, N, Q] int32, ring buffers (Q grows as needed under the binding model)
    q_mem: np.ndarray
    q_dur: np.ndarray  # [B, N, Q] float64, base duration
    q_head: np.ndarray  # [B, N] int32
    q_len: np.ndarray  # [B, N] int32
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
    def queue_limit(self) -> int:
        """The most jobs a local queue may hold under this state's queue model."""
        return QUEUE_MODELS[self.queue_model][0]

    @property
    def redispatch(self) -> bool:
        """Whether the cluster manager re-dispatches the global buffer (bounded-redispatch)."""
        return QUEUE_MODELS[self.queue_model][1]

    def ensure_queue_room(self, need: int) -> None:
        """Grow the local queues' ring buffers to at least ``need`` slots (binding model: queues have no limit; the
        caller bounds how long a queue can get this step). The rings are unrolled so that every queue starts at
        slot 0; nothing changes if the growth is refused (MemoryError) or fails."""
        slots = self.q_cpu.shape[2]
        need = min(need, self.queue_limit)
        if need <= slots:
            return
        size = max(need, 2 * slots)
        cells = self.n_copies * self.n_servers
        peak = 16 * cells * (size + slots) + 4 * cells * slots  # new and old rings (16 bytes a slot), the index
        if peak > MAX_QUEUE_BYTES:
            raise MemoryError(
                f"binding local queues would need {peak / 2**30:.1f} GB while growing (copies={self.n_copies} × "
                f"N={self.n_servers} × {size} slots, the longest queue holding {int(self.q_len.max())} jobs); "
                f"allowed: ≤ {MAX_QUEUE_BYTES / 2**30:.0f} GB — simulate fewer copies at once"
            )
        unrolled = ((self.q_head[..., None] + np.arange(slots, dtype=np.int32)) % slots).astype(np.int32)
        grown = {}
        for name in ("q_cpu", "q_mem", "q_dur"):
            old = getattr(self, name)
            grown[name] = np.zeros((*old.shape[:2], size), dtype=old.dtype)
            grown[name][..., :slots] = np.take_along_axis(old, unrolled, axis=2)
        for name, array in grown.items():  # all three built: only now does the state change
            setattr(self, name, array)
        self.q_head[:] = 0

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
        q_cpu=zeros_i32(n_copies, n_servers, QUEUE_SLOTS),
        q_mem=zeros_i32(n_copies, n_servers, QUEUE_SLOTS),
        q_dur=np.zeros((n_copies, n_servers, QUEUE_SLOTS)),
        q_head=zeros_i32(n_copies, n_servers),
        q_len=zeros_i32(n_copies, n_servers),
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
