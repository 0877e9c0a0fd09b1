"""Observations of Appendix H.2, built on demand (a random policy needs none, so steps never pay for them).

- ``server_features`` [B, N, 7]: per server, normalized CPU and memory utilization, local queue length
  (clipped at 50, /50), η_CPU, η_Mem, CPU and memory capacity (/ the catalog maximum). A policy that scores each
  server from these has a parameter count independent of N.
- ``job_features`` [A, 2]: the agent's own job, CPU / 20 cores and memory / 128 GB (the clip maxima of H.1).
- ``observations`` [A, D]: the flat vector. N ≤ 100: 7N server features + 2M task slots (the jobs deciding this
  step in the same copy, zero-padded) + 2 job + 1 time (t / 3000) + 1 agent id (index / M), D = 7N + 2M + 4.
  N > 100: 28 statistics per cluster + 6 task statistics + 2 + 1 + 1, D = 28K + 10.
- ``action_server_features`` [B, K, 7] and ``scoring_features`` [A, K, 9]: per *action* (a server for K = N, a
  cluster above): the 7 server features of the action's server, averaged over a cluster's servers, and for
  each agent two job-server interactions (job CPU demand × CPU utilization, job memory demand × memory
  utilization). A policy that scores actions from these (``dgpg_theory.measurement.policies``, the trainer's
  ``scoring`` model) has 9 parameters at every N.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from sim.catalog import MAX_MEMORY_GB, MAX_VCPUS, TYPE_CAPACITY, TYPE_EFFICIENCY, TYPE_WEIGHTS
from sim.scales import Scale
from sim.state import EnvState
from sim.workload import CPU_INTENSIVE, EPISODE_STEPS, MEMORY_INTENSIVE, mean_service_steps, workload_moments

SERVER_FEATURES = ("cpu_util", "mem_util", "queue", "eta_cpu", "eta_mem", "cpu_capacity", "mem_capacity")
JOB_FEATURES = ("cpu_demand", "mem_demand")
CLUSTER_STATISTICS = 28
QUEUE_CLIP = 50  # H.2: "local queue length (clipped at 50)"
IMBALANCE_MARGIN = 0.1  # a server is CPU-heavy when its CPU utilization exceeds memory's by this much
SCORING_FEATURES = len(SERVER_FEATURES) + len(JOB_FEATURES)  # 7 per-action features + 2 interactions


@cache
def task_slots(n_servers: int) -> int:
    """M, the number of concurrent-job slots in the full observation (H.2's N_agents, fixed per N).

    The number of agents per step is Poisson, so we size the block for the tidal peak (λ̄ · 1.6 = 1.3 tide + 3σ
    noise) at the catalog's mean server mix and target 0.85, plus 4 Poisson standard deviations; jobs beyond M
    in one step still act but are not listed in the others' observations.
    """
    per_server = min(
        0.85
        * float((TYPE_WEIGHTS * TYPE_CAPACITY[:, k] / [mean_service_steps(e) for e in TYPE_EFFICIENCY[:, 0]]).sum())
        / workload_moments()[key]
        for k, key in enumerate(("cpu", "mem"))
    )
    peak = 1.6 * per_server * n_servers
    return math.ceil(peak + 4.0 * math.sqrt(peak)) + 1


def observation_size(scale: Scale) -> int:
    """D of H.2 for this scale."""
    if scale.compressed_observation:
        return CLUSTER_STATISTICS * scale.n_clusters + 10
    return 7 * scale.n_servers + 2 * task_slots(scale.n_servers) + 4


def server_features(state: EnvState) -> np.ndarray:
    """[B, N, 7] per-server features (H.2), in server index order."""
    util = state.used / state.capacity
    queue = np.minimum(state.q_len, QUEUE_CLIP)[..., None] / QUEUE_CLIP
    capacity = state.capacity / np.array([MAX_VCPUS * 1000.0, MAX_MEMORY_GB * 1000.0])
    return np.concatenate([util, queue, state.efficiency, capacity], axis=-1)


def job_features(state: EnvState) -> np.ndarray:
    """[A, 2] the deciding jobs' demands, normalized by the largest demand H.1 allows."""
    cpu_max = max(CPU_INTENSIVE.cpu_clip[1], MEMORY_INTENSIVE.cpu_clip[1]) * 1000.0
    mem_max = max(CPU_INTENSIVE.mem_clip[1], MEMORY_INTENSIVE.mem_clip[1]) * 1000.0
    return np.stack([state.job_cpu / cpu_max, state.job_mem / mem_max], axis=1)


def action_server_features(state: EnvState, scale: Scale) -> np.ndarray:
    """[B, K, 7]: the H.2 server features of each action — per server (K = N) or averaged over the cluster's
    servers, clusters being consecutive runs of ``state.order`` (the simulator's action order)."""
    features = server_features(state)
    ordered = np.take_along_axis(features, state.order[..., None].astype(np.int64), axis=1)
    return ordered.reshape(state.n_copies, scale.n_clusters, scale.servers_per_cluster, -1).mean(axis=2)


def scoring_features(state: EnvState, scale: Scale) -> np.ndarray:
    """φ(i, a) [A, K, 9] for every deciding agent i and action a: the action's 7 server features, then job CPU
    demand × CPU utilization and job memory demand × memory utilization."""
    per_action = action_server_features(state, scale)[state.job_copy]  # [A, K, 7]
    interactions = per_action[..., :2] * job_features(state)[:, None, :]
    return np.concatenate([per_action, interactions], axis=-1)


def agent_index(state: EnvState) -> np.ndarray:
    """[A] each agent's position among the agents of its copy at this step."""
    return np.arange(len(state.job_copy)) - state.offsets[state.job_copy]


def observation_blocks(state: EnvState, scale: Scale) -> tuple[np.ndarray, np.ndarray]:
    """The flat observation in two parts: [B, D_shared] what every agent of a copy sees (servers or cluster
    statistics, then the task block) and [A, 4] the agent's own part (job, time, agent id). A linear policy can
    apply its weights per copy to the shared part instead of per agent."""
    jobs = job_features(state)
    slots = task_slots(scale.n_servers)
    index = agent_index(state)
    if scale.compressed_observation:
        global_block = cluster_statistics(state, scale).reshape(state.n_copies, -1)
        task_block = _task_statistics(state, jobs)
    else:
        global_block = server_features(state).reshape(state.n_copies, -1)
        task_block = np.zeros((state.n_copies, slots, 2))
        listed = index < slots
        task_block[state.job_copy[listed], index[listed]] = jobs[listed]
        task_block = task_block.reshape(state.n_copies, -1)
    time = np.full((len(jobs), 1), state.t / EPISODE_STEPS)
    own = np.concatenate([jobs, time, (index / slots)[:, None]], axis=1)
    return np.concatenate([global_block, task_block], axis=1), own


def observations(state: EnvState, scale: Scale) -> np.ndarray:
    """[A, D] the flat observation of every deciding agent (H.2)."""
    shared, own = observation_blocks(state, scale)
    return np.concatenate([shared[state.job_copy], own], axis=1)


def _task_statistics(state: EnvState, jobs: np.ndarray) -> np.ndarray:
    """[B, 6] mean, std, max of the concurrent jobs' CPU and memory demands (zeros for a copy with none)."""
    stats = np.zeros((state.n_copies, 6))
    for b in range(state.n_copies):
        rows = jobs[state.offsets[b] : state.offsets[b + 1]]
        if len(rows):
            stats[b] = np.concatenate([rows.mean(0), rows.std(0), rows.max(0)])[[0, 2, 4, 1, 3, 5]]
    return stats


def cluster_statistics(state: EnvState, scale: Scale) -> np.ndarray:
    """[B, K, 28] the compressed cluster state of H.2 (N > 100), clusters in action order."""
    n_copies, n_clusters, per_cluster = state.n_copies, scale.n_clusters, scale.servers_per_cluster
    by_cluster = lambda a: np.take_along_axis(a, state.order, axis=1).reshape(n_copies, n_clusters, per_cluster)  # noqa: E731
    cpu_u, mem_u = (by_cluster(state.used[..., k] / state.capacity[..., k]) for k in (0, 1))
    committed = (state.used + state.queued) / state.capacity
    overloaded = by_cluster(committed.max(axis=-1)) > 1.0
    queue = by_cluster(np.minimum(state.q_len, QUEUE_CLIP).astype(np.float64)) / QUEUE_CLIP
    eta_cpu = by_cluster(state.efficiency[..., 0])
    # "total" queue congestion: the queued demand as a share of the cluster's capacity, dominant resource, clipped
    # at 1 like the queue length at 50 (the mean normalized queue length is already the "mean" column).
    queued_share = np.minimum(
        1.0,
        np.max(
            [by_cluster(state.queued[..., k]).sum(-1) / by_cluster(state.capacity[..., k]).sum(-1) for k in (0, 1)],
            axis=0,
        ),
    )
    free = [
        by_cluster(state.capacity[..., k] - state.used[..., k]).sum(-1) / by_cluster(state.capacity[..., k]).sum(-1)
        for k in (0, 1)
    ]

    def spread(u: np.ndarray) -> list[np.ndarray]:
        q = np.quantile(u, [0.0, 0.25, 0.5, 0.75, 1.0], axis=-1)
        return [*q, u.mean(-1), u.std(-1)]

    cpu_c, mem_c = cpu_u - cpu_u.mean(-1, keepdims=True), mem_u - mem_u.mean(-1, keepdims=True)
    denominator = np.sqrt((cpu_c**2).sum(-1) * (mem_c**2).sum(-1))
    correlation = np.divide((cpu_c * mem_c).sum(-1), denominator, out=np.zeros_like(denominator), where=denominator > 0)
    cpu_heavy = (cpu_u > mem_u + IMBALANCE_MARGIN).mean(-1)
    mem_heavy = (mem_u > cpu_u + IMBALANCE_MARGIN).mean(-1)
    columns = [
        *spread(cpu_u),
        *spread(mem_u),
        correlation,
        cpu_heavy,
        mem_heavy,
        1.0 - cpu_heavy - mem_heavy,
        queued_share,
        queue.max(-1),
        queue.mean(-1),
        queue.std(-1),
        (queue > 0).mean(-1),
        free[0],
        free[1],
        eta_cpu.mean(-1),
        np.full((n_copies, n_clusters), per_cluster / 10.0),
        overloaded.mean(-1),
    ]
    return np.stack(columns, axis=-1)
