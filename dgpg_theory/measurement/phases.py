"""Snapshot times stratified over the tidal cycle of Appendix H.1, λ(t) = λ̄ (1 + 0.3 sin(2πt / 1000) + ε_t).

A variance measured at one snapshot describes that snapshot's load, and the load follows the tide: a scan
whose snapshots all fall in one part of the cycle measures that part only. The cycle is cut into four
quarter-periods by the phase of the arrival rate (not of the backlog, which lags it and depends on the policy):

  rising   λ crosses λ̄ upwards     time of day τ = t mod 1000 in [875, 1000) ∪ [0, 125)
  peak     λ near 1.3 λ̄             τ in [125, 375)
  falling  λ crosses λ̄ downwards   τ in [375, 625)
  trough   λ near 0.7 λ̄             τ in [625, 875)

Replicate r goes to phase r mod 4, at a step drawn uniformly among that phase's 250 steps of the window
[warmup_steps, warmup_steps + 1000) — one full period inside the arrival window — from a generator seeded by
(scan seed, r) alone: the rule depends neither on the policy nor on N, so replicate r is observed at the same
time of day at every N (a paired design across N).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.workload import TIDE_PERIOD

PHASES = ("rising", "peak", "falling", "trough")
PERIOD = int(TIDE_PERIOD)
PHASE_STEPS = PERIOD // len(PHASES)
# Time of day at which each phase's window starts: rising is centred on the upward crossing τ = 0.
PHASE_STARTS = {phase: (k * PHASE_STEPS - PHASE_STEPS // 2) % PERIOD for k, phase in enumerate(PHASES)}
# Separates this stream from the cell's own SeedSequence([seed, N, r]).
SNAPSHOT_STREAM = 0x54494445  # "TIDE"


class SnapshotTime(NamedTuple):
    phase: str
    step: int  # the snapshot is the first step at or after this one with a deciding agent


def phase_of(step: int) -> str:
    """The tidal phase of ``step`` (module docstring)."""
    time_of_day = step % PERIOD
    return PHASES[((time_of_day + PHASE_STEPS // 2) % PERIOD) // PHASE_STEPS]


def snapshot_time(replicate: int, warmup_steps: int, seed: int) -> SnapshotTime:
    """Replicate ``replicate``'s phase and snapshot step (module docstring)."""
    phase = PHASES[replicate % len(PHASES)]
    rng = np.random.default_rng([SNAPSHOT_STREAM, seed, replicate])
    offset = int(rng.integers(PHASE_STEPS))
    first = warmup_steps + (PHASE_STARTS[phase] - warmup_steps) % PERIOD  # the phase's first step in the window
    step = first + offset
    if step >= warmup_steps + PERIOD:  # rising wraps around the window's end: fold it back by one period
        step -= PERIOD
    return SnapshotTime(phase, step)
