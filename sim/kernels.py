"""The sequential parts of one batched step, compiled with numba: completions, local-queue admission (strict
FIFO or backfilling), the global-buffer retry, and job placement. One environment copy per ``prange``
iteration; copies never interact (each has its own queue pool, see ``EnvState``), so results do not depend on
thread scheduling.

``sim/reference.py`` implements the same rules in plain Python, one copy at a time; the tests check that both
give identical trajectories. The rules themselves are written down in ``sim/SPEC.md``.
"""

from __future__ import annotations

import types
from typing import NamedTuple

import numba as nb
import numpy as np

WHEEL_SLOTS = 256  # > the longest service time, 150 / 0.70 = 214 steps
QUEUE_SLOTS = 50  # bounded-redispatch: local queue capacity per server (the observation clips queue length at 50)
UNBOUNDED_QUEUE = np.iinfo(np.int32).max  # binding: a local queue has no capacity limit


class QueueRules(NamedTuple):
    """The rules a queue model fixes (SPEC.md, "Queue models")."""

    limit: int  # the most jobs a local queue may hold
    redispatch: bool  # the cluster manager re-dispatches the global buffer at the start of each step
    backfill: bool  # a queued job may start before the jobs ahead of it, and a new job that fits starts at once


QUEUE_MODELS = {
    "binding": QueueRules(UNBOUNDED_QUEUE, redispatch=False, backfill=False),
    "binding-backfill": QueueRules(UNBOUNDED_QUEUE, redispatch=False, backfill=True),
    "bounded-redispatch": QueueRules(QUEUE_SLOTS, redispatch=True, backfill=False),
    "bounded-redispatch-backfill": QueueRules(QUEUE_SLOTS, redispatch=True, backfill=True),
}
DEFAULT_QUEUE_MODEL = "binding"  # H.2: the agent decides; bounded-redispatch is the earlier reading
QUEUE_MODEL_HELP = (
    "who places a job, and how local queues serve: binding (the agent's placement is final; local queues "
    "unlimited), bounded-redispatch (local queues of 50; the overflow goes to a buffer that the cluster manager "
    "re-dispatches over all servers); both strict FIFO, and with a -backfill suffix a queued job may start before "
    "a head that does not fit and a new job that fits starts at once (sim/SPEC.md, Queue models)."
)

RULE_AGENT = 0  # the agent's action picks a cluster; Best-Fit inside it (H.2)
RULE_BEST_FIT = 1  # the Best-Fit heuristic over all servers
RULE_GUIDANCE_GREEDY = 2  # each job to the admissible server with the smallest guidance coefficient

OUTCOME_STARTED, OUTCOME_QUEUED, OUTCOME_BUFFERED = 0, 1, 2


def _longest_service_steps() -> int:
    from sim.catalog import TYPE_EFFICIENCY
    from sim.workload import DURATION_CLIP, service_steps

    return int(service_steps(DURATION_CLIP[1], TYPE_EFFICIENCY[:, 0].min()))


# A release slot must not wrap onto the current step: the wheel must be longer than any service time.
assert WHEEL_SLOTS > _longest_service_steps(), "WHEEL_SLOTS must exceed the longest service time"

_jit = nb.njit(cache=True, nogil=True)
_pjit = nb.njit(cache=True, nogil=True, parallel=True)
# Inlined by numba: passing many arrays to a call costs more than these small bodies (measured: dequeueing 40 %
# slower as a call).
_inline_jit = nb.njit(cache=True, nogil=True, inline="always")


@_jit
def _service_steps(b, j, duration, eta):
    """Steps a job of base ``duration`` occupies server j: duration / η_CPU rounded half-up, at least one."""
    return max(1, int(np.floor(duration / eta[b, j, 0] + 0.5)))


@_jit
def _start_job(b, j, cpu, mem, steps, t, used, wheel_res, wheel_cnt, running):
    slot = (t + steps) % WHEEL_SLOTS
    wheel_res[b, slot, j, 0] += cpu
    wheel_res[b, slot, j, 1] += mem
    wheel_cnt[b, slot, j] += 1
    used[b, j, 0] += cpu
    used[b, j, 1] += mem
    running[b, j] += 1


@_jit
def _fits_now(b, j, cpu, mem, cap, used, q_len, backfill):
    """Whether a new job starts on server j now: it fits, and (strict FIFO) no queued job is ahead of it."""
    room = used[b, j, 0] + cpu <= cap[b, j, 0] and used[b, j, 1] + mem <= cap[b, j, 1]
    return room and (backfill or q_len[b, j] == 0)


@_jit
def _utilization(b, j, cap, used):
    return 0.5 * (used[b, j, 0] / cap[b, j, 0] + used[b, j, 1] / cap[b, j, 1])


@_jit
def _committed_share(b, j, cap, used, queued):
    cpu = (used[b, j, 0] + queued[b, j, 0]) / cap[b, j, 0]
    mem = (used[b, j, 1] + queued[b, j, 1]) / cap[b, j, 1]
    return max(cpu, mem)


@_inline_jit
def _enqueue(
    b, j, cpu, mem, steps, q_cpu, q_mem, q_steps, q_next, q_head, q_tail, q_len, q_free, q_top, q_used, queued
):
    """Append a job at the tail of server j's local queue, in a slot of copy b's pool (``EnvState`` documents the
    pool; ``EnvState.ensure_queue_room`` made room). A released slot is reused before a never-used one."""
    slot = q_free[b]
    if slot >= 0:
        q_free[b] = q_next[b, slot]
    else:
        slot = q_top[b]
        q_top[b] += 1
    q_cpu[b, slot], q_mem[b, slot], q_steps[b, slot], q_next[b, slot] = cpu, mem, steps, -1
    if q_len[b, j] == 0:
        q_head[b, j] = slot
    else:
        q_next[b, q_tail[b, j]] = slot
    q_tail[b, j] = slot
    q_len[b, j] += 1
    q_used[b] += 1
    queued[b, j, 0] += cpu
    queued[b, j, 1] += mem


@_inline_jit
def _unlink(b, j, previous, slot, q_cpu, q_mem, q_next, q_head, q_tail, q_len, q_free, q_used, queued):
    """Remove ``slot`` (following ``previous``; -1: the head) from server j's local queue and return it to copy
    b's free list."""
    following = q_next[b, slot]
    if previous < 0:
        q_head[b, j] = following  # -1 once the queue is empty
    else:
        q_next[b, previous] = following
    if following < 0:
        q_tail[b, j] = previous
    q_next[b, slot] = q_free[b]
    q_free[b] = slot
    q_len[b, j] -= 1
    q_used[b] -= 1
    queued[b, j, 0] -= q_cpu[b, slot]
    queued[b, j, 1] -= q_mem[b, slot]


@_jit
def _best_fit_server(b, cpu, mem, candidates, cap, used, q_len, backfill):
    """Highest current utilization among candidates where the job starts now; -1 if none."""
    best, best_util = -1, -1.0
    for j in candidates:
        if _fits_now(b, j, cpu, mem, cap, used, q_len, backfill):
            util = _utilization(b, j, cap, used)
            if util > best_util:
                best, best_util = j, util
    return best


@_jit
def _least_loaded_server(b, cpu, mem, candidates, cap, share, q_len, admissible_only, limit):
    """Smallest committed dominant share (``share``, kept current by the caller); with ``admissible_only``,
    among servers that can ever host the job and whose queue has room (fewer than ``limit`` jobs). -1 if none."""
    best, best_share = -1, np.inf
    for j in candidates:
        if admissible_only and (cpu > cap[b, j, 0] or mem > cap[b, j, 1] or q_len[b, j] >= limit):
            continue
        if share[j] < best_share:
            best, best_share = j, share[j]
    return best


@_jit
def _committed_shares(b, cap, used, queued):
    """[N] committed dominant share of every server of copy b (the least-loaded criterion)."""
    n_servers = used.shape[1]
    share = np.empty(n_servers)
    for j in range(n_servers):
        share[j] = _committed_share(b, j, cap, used, queued)
    return share


@_jit
def _open_servers(b, q_len, backfill):
    """Servers where a new job may start at once: all under backfill, those with an empty queue under FIFO."""
    if backfill:
        return np.arange(q_len.shape[1]).astype(np.int32)
    return np.nonzero(q_len[b] == 0)[0].astype(np.int32)


@_jit
def _servers_with_room(b, q_len, limit):
    """Servers whose local queue has room, in index order (the order of least-loaded ties)."""
    return np.nonzero(q_len[b] < limit)[0].astype(np.int32)


@_jit
def _largest_free(b, cap, used, q_len, backfill):
    """Largest free CPU and largest free memory over the servers where a new job may start at once."""
    free_cpu, free_mem = -1, -1
    for j in range(used.shape[1]):
        if backfill or q_len[b, j] == 0:
            free_cpu = max(free_cpu, cap[b, j, 0] - used[b, j, 0])
            free_mem = max(free_mem, cap[b, j, 1] - used[b, j, 1])
    return free_cpu, free_mem


@_jit
def _holds_free_max(b, j, cap, used, free_cpu, free_mem):
    """Whether server j attains one of the largest-free bounds (only then can a placement on j tighten them)."""
    return cap[b, j, 0] - used[b, j, 0] == free_cpu or cap[b, j, 1] - used[b, j, 1] == free_mem


@_jit
def _filled_room_max(b, j, cap, q_len, room_cpu, room_mem, limit):
    """Whether an enqueue just filled server j's queue while j attained a largest-capacity-with-room bound."""
    return q_len[b, j] == limit and (cap[b, j, 0] == room_cpu or cap[b, j, 1] == room_mem)


@_jit
def _largest_with_room(b, cap, q_len, limit):
    """Largest CPU and largest memory capacity over servers whose local queue has room."""
    room_cpu, room_mem = -1, -1
    for j in range(q_len.shape[1]):
        if q_len[b, j] < limit:
            room_cpu = max(room_cpu, cap[b, j, 0])
            room_mem = max(room_mem, cap[b, j, 1])
    return room_cpu, room_mem


@_inline_jit
def _admit_queued(
    b, j, t, backfill, cap, used, wheel_res, wheel_cnt, running,
    q_cpu, q_mem, q_steps, q_next, q_head, q_tail, q_len, q_free, q_used, queued,
):  # fmt: skip
    """Start server j's queued jobs that fit, in queue order: under strict FIFO up to the first that does not fit
    (the head blocks the queue), under backfill every one that fits."""
    previous, slot = -1, q_head[b, j]
    while slot >= 0:
        if used[b, j, 0] >= cap[b, j, 0] or used[b, j, 1] >= cap[b, j, 1]:
            break  # a full server fits no job (every demand is positive)
        following = q_next[b, slot]  # read first: unlinking hands the slot to the free list
        cpu, mem, steps = q_cpu[b, slot], q_mem[b, slot], q_steps[b, slot]
        if used[b, j, 0] + cpu <= cap[b, j, 0] and used[b, j, 1] + mem <= cap[b, j, 1]:
            _unlink(b, j, previous, slot, q_cpu, q_mem, q_next, q_head, q_tail, q_len, q_free, q_used, queued)
            _start_job(b, j, cpu, mem, steps, t, used, wheel_res, wheel_cnt, running)
        elif backfill:
            previous = slot
        else:
            break
        slot = following


def _housekeeping(
    t, queue_limit, redispatch, backfill, cap, eta, used, wheel_res, wheel_cnt, running,
    q_cpu, q_mem, q_steps, q_next, q_head, q_tail, q_len, q_free, q_top, q_used, queued,
    g_cpu, g_mem, g_dur, g_len, completed,
):  # fmt: skip
    """Start of step t: release finished jobs, start the queued jobs that now fit (``_admit_queued``), and, if
    ``redispatch`` (bounded-redispatch), re-dispatch the buffer."""
    n_copies, n_servers = used.shape[0], used.shape[1]
    slot = t % WHEEL_SLOTS
    for b in nb.prange(n_copies):
        for j in range(n_servers):
            count = wheel_cnt[b, slot, j]
            if count == 0:
                continue  # a queue head can start only after a release on its own server
            used[b, j, 0] -= wheel_res[b, slot, j, 0]
            used[b, j, 1] -= wheel_res[b, slot, j, 1]
            running[b, j] -= count
            completed[b] += count
            wheel_res[b, slot, j, 0] = 0
            wheel_res[b, slot, j, 1] = 0
            wheel_cnt[b, slot, j] = 0
            _admit_queued(
                b, j, t, backfill, cap, used, wheel_res, wheel_cnt, running,
                q_cpu, q_mem, q_steps, q_next, q_head, q_tail, q_len, q_free, q_used, queued,
            )  # fmt: skip
        if redispatch:
            _redispatch_buffer(
                b, t, queue_limit, backfill, cap, eta, used, wheel_res, wheel_cnt, running,
                q_cpu, q_mem, q_steps, q_next, q_head, q_tail, q_len, q_free, q_top, q_used, queued,
                g_cpu, g_mem, g_dur, g_len,
            )  # fmt: skip


@_jit
def _redispatch_buffer(
    b, t, limit, backfill, cap, eta, used, wheel_res, wheel_cnt, running,
    q_cpu, q_mem, q_steps, q_next, q_head, q_tail, q_len, q_free, q_top, q_used, queued,
    g_cpu, g_mem, g_dur, g_len,
):  # fmt: skip
    """The cluster manager re-dispatches copy b's buffer FIFO: start where the job fits now (Best-Fit), else join
    the least-loaded local queue with room, else wait (jobs that wait keep their order)."""
    # The buffer can hold thousands of jobs at a tidal peak, so a cheap bound (largest free amount, largest
    # capacity with queue room) rules most of them out; a bound is refreshed only when a placement hits the
    # server attaining it.
    kept = 0
    open_servers = _open_servers(b, q_len, backfill)  # placements only close servers: stays a valid superset
    room_servers = _servers_with_room(b, q_len, limit)  # likewise: queues only fill here
    free_cpu, free_mem = _largest_free(b, cap, used, q_len, backfill)
    room_cpu, room_mem = _largest_with_room(b, cap, q_len, limit)
    share = _committed_shares(b, cap, used, queued) if g_len[b] > 0 else np.empty(0)
    for g in range(g_len[b]):
        if free_cpu < 0 and room_cpu < 0:  # no open server, no queue with room: nothing else can move
            if kept == g:  # nothing left the buffer yet: the rest is already in place
                kept = g_len[b]
                break
            for rest in range(g, g_len[b]):
                g_cpu[b, kept], g_mem[b, kept], g_dur[b, kept] = g_cpu[b, rest], g_mem[b, rest], g_dur[b, rest]
                kept += 1
            break
        cpu, mem, duration = g_cpu[b, g], g_mem[b, g], g_dur[b, g]
        j = -1
        if cpu <= free_cpu and mem <= free_mem:
            j = _best_fit_server(b, cpu, mem, open_servers, cap, used, q_len, backfill)
        if j >= 0:
            held_free_max = _holds_free_max(b, j, cap, used, free_cpu, free_mem)
            _start_job(b, j, cpu, mem, _service_steps(b, j, duration, eta), t, used, wheel_res, wheel_cnt, running)
            share[j] = _committed_share(b, j, cap, used, queued)
            if held_free_max:
                free_cpu, free_mem = _largest_free(b, cap, used, q_len, backfill)
            continue
        if cpu <= room_cpu and mem <= room_mem:
            j = _least_loaded_server(b, cpu, mem, room_servers, cap, share, q_len, True, limit)
        if j >= 0:
            closes = not backfill and q_len[b, j] == 0 and _holds_free_max(b, j, cap, used, free_cpu, free_mem)
            _enqueue(
                b, j, cpu, mem, _service_steps(b, j, duration, eta),
                q_cpu, q_mem, q_steps, q_next, q_head, q_tail, q_len, q_free, q_top, q_used, queued,
            )  # fmt: skip
            share[j] = _committed_share(b, j, cap, used, queued)
            if closes:
                free_cpu, free_mem = _largest_free(b, cap, used, q_len, backfill)
            if _filled_room_max(b, j, cap, q_len, room_cpu, room_mem, limit):
                room_cpu, room_mem = _largest_with_room(b, cap, q_len, limit)
        else:
            g_cpu[b, kept], g_mem[b, kept], g_dur[b, kept] = cpu, mem, duration
            kept += 1
    g_len[b] = kept


@_jit
def _guidance_choice(
    b, cpu, mem, cap, used, queued, q_len, capacity_share, resource_scale, load, admissible_only, limit
):  # fmt: skip
    """Server minimizing the guidance coefficient ⟨x − x̃, z⟩ (Eq 9, App. D) on the current load."""
    best, best_score = -1, np.inf
    for j in range(used.shape[1]):
        if admissible_only and (cpu > cap[b, j, 0] or mem > cap[b, j, 1] or q_len[b, j] >= limit):
            continue
        dev_cpu = used[b, j, 0] + queued[b, j, 0] - capacity_share[b, j, 0] * load[0]
        dev_mem = used[b, j, 1] + queued[b, j, 1] - capacity_share[b, j, 1] * load[1]
        score = cpu * dev_cpu / resource_scale[b, 0] ** 2 + mem * dev_mem / resource_scale[b, 1] ** 2
        if score < best_score:
            best, best_score = j, score
    return best


@_jit
def _guidance_greedy_choice(
    b, cpu, mem, cap, used, queued, q_len, capacity_share, resource_scale, load, limit, backfill
):  # fmt: skip
    """(server, outcome) under guidance-greedy: the admissible server with the smallest guidance coefficient; the
    job starts there if it fits now, else joins its queue. With no admissible server the job is buffered and
    recorded on the server with the smallest coefficient over all servers (the one it was meant for)."""
    server = _guidance_choice(b, cpu, mem, cap, used, queued, q_len, capacity_share, resource_scale, load, True, limit)
    if server < 0:
        meant_for = _guidance_choice(
            b, cpu, mem, cap, used, queued, q_len, capacity_share, resource_scale, load, False, limit
        )
        return meant_for, OUTCOME_BUFFERED
    if _fits_now(b, server, cpu, mem, cap, used, q_len, backfill):
        return server, OUTCOME_STARTED
    return server, OUTCOME_QUEUED


@_jit
def _best_fit_choice(
    b, cpu, mem, start_candidates, queue_candidates, may_queue, meant_for, cap, used, q_len, share, limit, backfill
):  # fmt: skip
    """(server, outcome) under Best-Fit: start on the most utilized of ``start_candidates`` where the job fits now;
    else, if ``may_queue``, join the least-loaded queue with room among ``queue_candidates``; else buffer the job,
    recorded on ``meant_for`` when the caller knows it (≥ 0), else on the least-loaded of ``queue_candidates``."""
    server = _best_fit_server(b, cpu, mem, start_candidates, cap, used, q_len, backfill)
    if server >= 0:
        return server, OUTCOME_STARTED
    if may_queue:
        server = _least_loaded_server(b, cpu, mem, queue_candidates, cap, share, q_len, True, limit)
        if server >= 0:
            return server, OUTCOME_QUEUED
    if meant_for < 0:
        meant_for = _least_loaded_server(b, cpu, mem, queue_candidates, cap, share, q_len, False, limit)
    return meant_for, OUTCOME_BUFFERED


@_jit
def _committed_load(b, used, queued):
    """[2] CPU and memory committed on copy b's servers (running + locally queued): C of Eq 16, raw units."""
    load = np.zeros(2)
    for j in range(used.shape[1]):
        load[0] += used[b, j, 0] + queued[b, j, 0]
        load[1] += used[b, j, 1] + queued[b, j, 1]
    return load


@_jit
def _buffer_job(b, cpu, mem, duration, g_cpu, g_mem, g_dur, g_len):
    """Append a job to copy b's global buffer (``EnvState.ensure_buffer_room`` made room for this step's jobs)."""
    g = g_len[b]
    g_cpu[b, g], g_mem[b, g], g_dur[b, g] = cpu, mem, duration
    g_len[b] = g + 1


@_jit
def _guidance_coefficient(b, j, cpu, mem, x, x_ref, resource_scale):
    """c = ⟨x_t − x̃_t, z⟩, z being the job's demand (in the units of x) at server j (Eq 9, App. D)."""
    return (cpu / resource_scale[b, 0]) * (x[b, j, 0] - x_ref[b, j, 0]) + (mem / resource_scale[b, 1]) * (
        x[b, j, 1] - x_ref[b, j, 1]
    )


def _place_jobs(
    t, rule, queue_limit, backfill, job_cpu, job_mem, job_dur, offsets, actions, servers_per_cluster, order, cap,
    eta, used, wheel_res, wheel_cnt, running,
    q_cpu, q_mem, q_steps, q_next, q_head, q_tail, q_len, q_free, q_top, q_used, queued,
    g_cpu, g_mem, g_dur, g_len, x, x_ref, capacity_share, resource_scale, out_server, out_outcome, out_coefficient,
):  # fmt: skip
    """Place this step's jobs, copy by copy, in agent order: the rule's chooser picks (server, outcome), then the
    job starts, queues (on a queue holding fewer than ``queue_limit`` jobs) or is buffered. Records each job's
    server (where it started or queued; for a buffered job, the server it was meant for), outcome, and guidance
    coefficient c = ⟨x_t − x̃_t, z⟩ on the decision-time state (Eq 9, App. D)."""
    n_copies, n_servers = used.shape[0], used.shape[1]
    all_servers = np.arange(n_servers).astype(np.int32)
    for b in nb.prange(n_copies):
        load = _committed_load(b, used, queued)
        open_servers = _open_servers(b, q_len, backfill)  # enqueues only close servers: stays a valid superset
        room_cpu, room_mem = _largest_with_room(b, cap, q_len, queue_limit)  # a bound, refreshed after enqueues
        share = _committed_shares(b, cap, used, queued) if rule != RULE_GUIDANCE_GREEDY else np.empty(0)
        least_loaded_anywhere = -1  # Best-Fit's server for buffered jobs, cached; invalid (-1) after any placement
        for a in range(offsets[b], offsets[b + 1]):
            cpu, mem, duration = job_cpu[a], job_mem[a], job_dur[a]
            if rule == RULE_GUIDANCE_GREEDY:
                server, outcome = _guidance_greedy_choice(
                    b, cpu, mem, cap, used, queued, q_len, capacity_share, resource_scale, load, queue_limit, backfill
                )
            elif rule == RULE_AGENT:
                first = actions[a] * servers_per_cluster
                cluster = order[b, first : first + servers_per_cluster]
                server, outcome = _best_fit_choice(
                    b, cpu, mem, cluster, cluster, True, -1, cap, used, q_len, share, queue_limit, backfill
                )
            else:
                # Over all servers, where only open ones can start the job; when no queue with room is large
                # enough (the bound), the least-loaded search is skipped and the job is buffered.
                may_queue = cpu <= room_cpu and mem <= room_mem
                server, outcome = _best_fit_choice(
                    b, cpu, mem, open_servers, all_servers, may_queue, least_loaded_anywhere, cap, used, q_len, share,
                    queue_limit, backfill,
                )  # fmt: skip
                least_loaded_anywhere = server if outcome == OUTCOME_BUFFERED else -1
            if outcome == OUTCOME_STARTED:
                steps = _service_steps(b, server, duration, eta)
                _start_job(b, server, cpu, mem, steps, t, used, wheel_res, wheel_cnt, running)
            elif outcome == OUTCOME_QUEUED:
                steps = _service_steps(b, server, duration, eta)
                _enqueue(
                    b, server, cpu, mem, steps,
                    q_cpu, q_mem, q_steps, q_next, q_head, q_tail, q_len, q_free, q_top, q_used, queued,
                )  # fmt: skip
                if _filled_room_max(b, server, cap, q_len, room_cpu, room_mem, queue_limit):
                    room_cpu, room_mem = _largest_with_room(b, cap, q_len, queue_limit)
            else:
                _buffer_job(b, cpu, mem, duration, g_cpu, g_mem, g_dur, g_len)
            if outcome != OUTCOME_BUFFERED:
                load[0] += cpu
                load[1] += mem
                if rule != RULE_GUIDANCE_GREEDY:
                    share[server] = _committed_share(b, server, cap, used, queued)
            out_server[a] = server
            out_outcome[a] = outcome
            out_coefficient[a] = _guidance_coefficient(b, server, cpu, mem, x, x_ref, resource_scale)


# Each batched kernel exists twice: spread over numba's threads, and serial. Waking the thread pool costs
# milliseconds on a busy machine, more than a small batch's whole step, so small batches run serially.
PARALLEL_MIN_COPIES = 8


def _parallel_and_serial(function):
    """Both builds of a batched kernel. numba's on-disk cache names an entry after the function's name and line,
    not its flags, so two builds of one function would load each other's cached code (the parallel build was then
    never compiled where the serial one had been cached first): the parallel build gets a function of its own."""
    twin = types.FunctionType(function.__code__, function.__globals__, f"{function.__name__}_parallel")
    twin.__qualname__ = f"{function.__qualname__}_parallel"
    return _pjit(twin), _jit(function)


housekeeping_parallel, housekeeping_serial = _parallel_and_serial(_housekeeping)
place_jobs_parallel, place_jobs_serial = _parallel_and_serial(_place_jobs)


def housekeeping(t, queue_limit, redispatch, backfill, cap, *rest) -> None:
    """Start of step t for every copy (see ``_housekeeping``)."""
    kernel = housekeeping_parallel if cap.shape[0] >= PARALLEL_MIN_COPIES else housekeeping_serial
    kernel(t, queue_limit, redispatch, backfill, cap, *rest)


def place_jobs(t, rule, queue_limit, backfill, job_cpu, job_mem, job_dur, offsets, *rest) -> None:
    """Place step t's jobs in every copy (see ``_place_jobs``)."""
    kernel = place_jobs_parallel if len(offsets) - 1 >= PARALLEL_MIN_COPIES else place_jobs_serial
    kernel(t, rule, queue_limit, backfill, job_cpu, job_mem, job_dur, offsets, *rest)
