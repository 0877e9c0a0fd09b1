"""How a scan should spend its time: snapshots (R per N) against copies (S per snapshot), from a pilot scan.

Every slope of Theorem 4.2 is an OLS fit of log value on log N over the (N, replicate) points, one intercept per
tidal phase (measurement.moments.slope_verdict). A point's error has two independent parts:
  between snapshots  σ_b²   the true value differs from one snapshot (scenario, time of day) to the next;
  within a snapshot  w(S)   the value is estimated from S copies: w(S) = a1/S + a2/S², with (a1, a2) the
                            delta-method coefficients each cell records (CellMoments.log_noise; a relative
                            variance adds those of its variance and of its signal ‖Eĝ‖², their covariance
                            neglected).
The pilot's residual variance estimates σ_b² + w(S_pilot); σ_b² is what remains after subtracting the mean
within part (at least 0). At R replicates per N and S copies the slope's half-width is then
    t(df, false alarm) · sqrt((σ_b² + w(S)) / (R / R_pilot · spread_pilot)),
spread_pilot = Σ (log N − its phase mean)² of the pilot's points. A scan costs Σ_N R (c0_N + c1_N S) / workers
seconds: c1_N is the pilot's fork time per copy, c0_N the rest of a cell (warm-up, nested batches). The plan
is the (S, R) on a grid whose predicted largest half-width is smallest within the budget. Classical two-stage
sampling: more copies only help while w(S) is not small against σ_b²; past that, snapshots are what counts.
Cells whose signal ‖Eĝ‖² is not positive are left out of a relative variance's slope (and of this model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.stats

from dgpg_theory import statistics as st
from dgpg_theory.measurement.moments import CLAIMS, ScaleMoments
from dgpg_theory.measurement.phases import PHASES

QUANTITIES = ("sigma2_J", "sigma2_G", "rel_var_J", "rel_var_G")
# Which recorded noise coefficients make up each quantity's within-snapshot variance.
NOISE_PARTS = {
    "sigma2_J": ("sigma2_J",),
    "sigma2_G": ("sigma2_G",),
    "rel_var_J": ("sigma2_J", "signal_J"),
    "rel_var_G": ("sigma2_G", "signal_G"),
}
SAMPLES_GRID = (48, 96, 128, 192, 256, 384, 512, 768)
REPLICATES_GRID = tuple(range(len(PHASES), 65, len(PHASES)))  # whole tidal cycles


@dataclass(frozen=True)
class VarianceParts:
    """One quantity's error model from the pilot (module docstring)."""

    between: float  # σ_b²
    within: tuple[float, float]  # mean (a1, a2) over the pilot's cells
    spread_per_replicate: float  # the pilot's Σ (log N − phase mean)² divided by its replicates per N
    n_points: int

    def half_width(self, samples: int, replicates: int, n_values: int, false_alarm: float) -> float:
        variance = self.between + self.within[0] / samples + self.within[1] / samples**2
        df = replicates * n_values - 1 - len(PHASES)
        t = scipy.stats.t.ppf(1 - false_alarm / 2, df)
        return float(t * math.sqrt(variance / (replicates * self.spread_per_replicate)))


def variance_parts(results: dict, quantity: str) -> VarianceParts:
    """σ_b² and w(S) of ``quantity`` from a pilot's results (results.json as written)."""
    value_of = CLAIMS[quantity][1]
    points = []
    for cell in results["cells"]:
        recorded = {k: math.nan if v is None else v for k, v in cell["scales"]["paper"].items()}  # JSON null = NaN
        value = value_of(ScaleMoments(**recorded))
        noise = [cell["log_noise"][part] for part in NOISE_PARTS[quantity]]
        if math.isfinite(value) and value > 0 and all(None not in c for c in noise):
            points.append((cell["n"], value, cell["phase"], np.sum(noise, axis=0)))
    if len(points) < len(PHASES) + 2:
        raise ValueError(f"the pilot has {len(points)} valid points for {quantity}; need ≥ {len(PHASES) + 2}")
    n, values, phases, noise = zip(*points, strict=True)
    fit = st.fit_log_log_slope(n, values, groups=phases)
    samples = results["config"]["samples"]
    within = np.mean(noise, axis=0)
    between = max(fit.residual_variance - within[0] / samples - within[1] / samples**2, 0.0)
    replicates = results["config"]["replicates"] * len(points) / len(results["cells"])
    return VarianceParts(between, (float(within[0]), float(within[1])), fit.log_n_spread / replicates, len(points))


def cost_model(results: dict) -> dict[int, tuple[float, float]]:
    """N → (c0, c1): a cell's seconds without the fork, and the fork's seconds per copy (pilot means)."""
    samples = results["config"]["samples"]
    model = {}
    for n in results["config"]["n"]:
        cells = [c for c in results["cells"] if c["n"] == n]
        fork = float(np.mean([c["fork_seconds"] for c in cells]))
        model[n] = (float(np.mean([c["seconds"] for c in cells])) - fork, fork / samples)
    return model


def scan_seconds(costs: dict[int, tuple[float, float]], samples: int, replicates: int, workers: int) -> float:
    return replicates * sum(c0 + c1 * samples for c0, c1 in costs.values()) / workers


def plan(
    results: dict,
    budget_seconds: float,
    workers: int,
    false_alarm: float | None = None,
    quantities: tuple[str, ...] = QUANTITIES,
) -> dict:
    """The (S, R) of the grid with the smallest predicted largest half-width of ``quantities`` within
    ``budget_seconds``, and the error model behind it (JSON-ready; every quantity's half-width is reported).
    A subset matters when one quantity cannot be tightened at any affordable S (a relative variance whose
    ‖Eĝ‖² is barely detectable) and would otherwise pull the whole plan towards huge S."""
    false_alarm = results["config"]["false_alarm"] if false_alarm is None else false_alarm
    unknown = [q for q in quantities if q not in QUANTITIES]
    if unknown or not quantities:
        raise ValueError(f"quantities={list(quantities)}; allowed: a non-empty subset of {list(QUANTITIES)}")
    parts = {q: variance_parts(results, q) for q in QUANTITIES}
    costs = cost_model(results)
    n_values = len(results["config"]["n"])
    options = []
    for samples in SAMPLES_GRID:
        for replicates in REPLICATES_GRID:
            seconds = scan_seconds(costs, samples, replicates, workers)
            if seconds <= budget_seconds:
                widths = {q: p.half_width(samples, replicates, n_values, false_alarm) for q, p in parts.items()}
                options.append((max(widths[q] for q in quantities), samples, replicates, seconds, widths))
    if not options:
        raise ValueError(f"budget_seconds={budget_seconds}: no (S, R) of the grid fits; allowed: ≥ "
                         f"{scan_seconds(costs, SAMPLES_GRID[0], REPLICATES_GRID[0], workers):.0f} s")  # fmt: skip
    worst, samples, replicates, seconds, widths = min(options)
    pilot = results["config"]
    return {
        "samples": samples,
        "replicates": replicates,
        "predicted_seconds": seconds,
        "predicted_half_widths": widths,
        "largest_half_width": worst,
        "planned_for": list(quantities),
        "pilot": {"samples": pilot["samples"], "replicates": pilot["replicates"], "n": pilot["n"]},
        "between": {q: p.between for q, p in parts.items()},
        "within_at_pilot": {
            q: p.within[0] / pilot["samples"] + p.within[1] / pilot["samples"] ** 2 for q, p in parts.items()
        },
        "cost_seconds": {str(n): {"fixed": c0, "per_copy": c1} for n, (c0, c1) in costs.items()},
    }
