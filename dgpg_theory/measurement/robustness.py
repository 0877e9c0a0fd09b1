"""Which verdicts depend on how the simulator reads the paper? The headline verdicts under every reading.

The paper leaves open who may move a placed job, what a local queue does when its head does not fit, and —
through H.1's calibration — how loaded the cluster is. The readings (sim/SPEC.md, "Queue models"):
  queue model   binding / bounded-redispatch, each with strict FIFO or backfilling local queues
  load          the paper's (H.1: target utilization drawn in [0.80, 0.85]) / a lighter one (0.6)
For each reading: a reduced variance scan (``SCAN``: its size is in every output) and the reference policies
on a few test scenarios. A verdict that differs between readings is reported as reading-dependent.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np

from dgpg_theory.measurement.scan import Execution, ScanConfig, plain_results, run_scan
from sim.heuristics import POLICIES, episode_statistics
from sim.kernels import QUEUE_MODELS
from sim.scenario import load_scenarios

LOADS = {"paper": None, "light": 0.6}
# The reduced scan of each reading and the reference-policy evaluation. Few copies and many snapshots, as the
# default scan's plan says (the slopes' error is between snapshots); N ≤ 50 and H = 150 keep eight readings
# inside 30 minutes on the 2-core machine (measured: 11 min; README, "Robustness").
SCAN = ScanConfig(n=(5, 10, 20, 50), samples=48, replicates=32, horizon=150, nested_outer=8, nested_inner=4)
QUICK_SCAN = ScanConfig(n=(5, 10), samples=24, replicates=4, horizon=20, nested_outer=4, nested_inner=2)
REFERENCE_N, REFERENCE_SCENARIOS = 20, 10


@dataclass(frozen=True)
class Reading:
    queue_model: str  # a key of sim.kernels.QUEUE_MODELS
    load: str  # a key of LOADS

    @property
    def name(self) -> str:
        return f"{self.queue_model} / {self.load} load"


def readings() -> list[Reading]:
    return [Reading(model, load) for model, load in itertools.product(QUEUE_MODELS, LOADS)]


def _slope(results: dict, key: str, scale: str | None = None) -> dict:
    slope = results["slopes"][key] if scale is None else results["by_reward_scale"][scale]["slopes"][key]
    return {"estimate": slope["estimate"], "ci": slope["ci"], "holds": slope["holds"]}


def _rho_sign(results: dict) -> str:
    """'negative' / 'positive' when every N's ρ interval lies below / above 0, else 'undetermined'."""
    intervals = [row["rho_ci"] for row in results["per_n"]]
    if all(high is not None and high < 0 for _, high in intervals):
        return "negative"
    if all(low is not None and low > 0 for low, _ in intervals):
        return "positive"
    return "undetermined"


def _others_share(row: dict) -> float:
    """The other agents' share of one agent's tr Cov(ĝ_J) (Eq 3's cross-agent term, arrivals held fixed)."""
    total = row["own_J"] + row["cross_J"]
    return row["cross_agents_J"] / total if total and row["cross_agents_J"] is not None else math.nan


def scan_verdicts(results: dict) -> dict:
    """The headline verdicts of one reading's scan (results.json as written)."""
    largest = results["per_n"][-1]
    return {
        "sigma2_J_paper": _slope(results, "sigma2_J"),
        "sigma2_J_sum": _slope(results, "sigma2_J", "sum"),
        "sigma2_G": _slope(results, "sigma2_G"),
        "rel_var_J": _slope(results, "rel_var_J"),
        "rel_var_G": _slope(results, "rel_var_G"),
        "rho_sign": _rho_sign(results),
        "others_share_largest_n": _others_share(largest),
        "no_action_fraction_max": max(row["no_action_fraction"] for row in results["per_n"]),
    }


def reference_rewards(reading: Reading, n: int, count: int) -> dict:
    """Mean episode reward of each reference policy on the first ``count`` test scenarios."""
    scenarios = load_scenarios(n, "test", count=count, target_utilization=LOADS[reading.load])
    rewards = {}
    for policy in POLICIES:
        stats = episode_statistics(scenarios, policy, queue_model=reading.queue_model)
        rewards[policy] = {
            "reward": float(stats.reward.mean()),
            "queue_penalty": float(stats.queue_penalty.mean()),
            "energy_term": float(stats.energy_term.mean()),
            "frac_steps_queue_above_20": float(stats.frac_steps_queue_above_20.mean()),
        }
    return rewards


def measure(
    reading: Reading, scan: ScanConfig, execution: Execution, reference_n: int, count: int, progress: bool = False
) -> dict:
    config = replace(scan, queue_model=reading.queue_model, target_utilization=LOADS[reading.load])
    results = run_scan(config, execution, progress=progress)
    return {
        "reading": asdict(reading),
        "scan": scan_verdicts(plain_results(results)),
        "scan_seconds": results["wall_seconds"],
        "reference": reference_rewards(reading, reference_n, count),
    }


# A verdict's label per reading: the strings compared across readings for "reading-dependent".
LABELS: dict[str, Callable[[dict], str]] = {
    "σ_J² Θ(N), paper reward": lambda m: _holds_label(m["scan"]["sigma2_J_paper"]["holds"]),
    "σ_J² Θ(N), summed reward": lambda m: _holds_label(m["scan"]["sigma2_J_sum"]["holds"]),
    "σ_G² O(1)": lambda m: _holds_label(m["scan"]["sigma2_G"]["holds"]),
    "relative σ_J² Θ(N)": lambda m: _holds_label(m["scan"]["rel_var_J"]["holds"]),
    "relative σ_G² O(1)": lambda m: _holds_label(m["scan"]["rel_var_G"]["holds"]),
    "sign of ρ": lambda m: m["scan"]["rho_sign"],
    "guidance-greedy beats Best-Fit": lambda m: _better(m, "guidance-greedy", "best-fit"),
    "Best-Fit beats Random": lambda m: _better(m, "best-fit", "random"),
}


def _holds_label(holds: bool | None) -> str:
    return {True: "holds", False: "fails", None: "undetermined"}[holds]


def _better(measured: dict, first: str, second: str) -> str:
    rewards = measured["reference"]
    return "yes" if rewards[first]["reward"] > rewards[second]["reward"] else "no"


def dependence(measurements: list[dict]) -> dict[str, str]:
    """Per verdict: 'robust: LABEL' when every reading gives the same label, else 'reading-dependent'."""
    summary = {}
    for verdict, label_of in LABELS.items():
        labels = {label_of(m) for m in measurements}
        summary[verdict] = f"robust: {labels.pop()}" if len(labels) == 1 else "reading-dependent"
    return summary


def slope_text(slope: dict) -> str:
    low, high = slope["ci"]
    if slope["estimate"] is None or low is None or high is None:
        return "n/a"
    return f"{slope['estimate']:.2f} [{low:.2f}, {high:.2f}]"


def table_rows(measurements: list[dict]) -> list[dict]:
    """One flat row per reading (robustness.csv and the markdown table)."""
    rows = []
    for m in measurements:
        scan, reference = m["scan"], m["reference"]
        rows.append({
            "reading": Reading(**m["reading"]).name,
            "slope σ_J² (paper)": slope_text(scan["sigma2_J_paper"]),
            "slope σ_J² (summed)": slope_text(scan["sigma2_J_sum"]),
            "slope σ_G²": slope_text(scan["sigma2_G"]),
            "slope rel σ_J²": slope_text(scan["rel_var_J"]),
            "slope rel σ_G²": slope_text(scan["rel_var_G"]),
            "ρ": scan["rho_sign"],
            "others' share (largest N)": _number(scan["others_share_largest_n"]),
            "no-action (max over N)": _number(scan["no_action_fraction_max"]),
            **{f"{policy} reward": f"{reference[policy]['reward']:.1f}" for policy in POLICIES},
        })  # fmt: skip
    return rows


def _number(value: float | None) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.2f}"


def markdown(measurements: list[dict], scan: ScanConfig, reference_n: int, count: int) -> str:
    rows = table_rows(measurements)
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows]
    lines += ["", "| verdict | across readings |", "|---|---|"]
    lines += [f"| {verdict} | {label} |" for verdict, label in dependence(measurements).items()]
    size = (
        f"Scan per reading: N = {', '.join(map(str, scan.n))}, S = {scan.samples} copies, R = {scan.replicates} "
        f"snapshots per N, H = {scan.horizon}, scoring policy, seed {scan.seed}; slopes with their intervals at "
        f"false alarm {scan.false_alarm:g}. Rewards: the first {count} test scenarios at N = {reference_n}."
    )
    return "\n".join([size, "", *lines]) + "\n"
