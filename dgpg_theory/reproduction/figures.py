"""Figures 2–5 of the paper, redrawn from our runs (``python -m dgpg_theory.reproduce``). Each function returns a
matplotlib Figure. Curves are the raw per-episode training rewards: nothing is smoothed. Titles name the preset and the
episode counts, so a quick reproduction cannot be mistaken for the paper's setting."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from dgpg_theory.reproduction.runs import Plan, RunRecord

REWARD_LABEL = "mean per-step reward (H.3)"
TRAINING_LABEL = "training reward:\nmean per-step reward (H.3)"
EPISODE_LABEL = "training episode (rollouts + one PPO update)"
METHOD_STYLE = {"dgpg": ("DG-PG", "tab:red"), "mappo": ("MAPPO", "tab:blue"), "ippo": ("IPPO", "tab:green")}
REFERENCE_STYLE = {"best-fit": ("Best-Fit", "black", "s"), "random": ("Random", "tab:gray", "v"),
                   "guidance-greedy": ("guidance-greedy", "tab:purple", "D")}  # fmt: skip


def _episodes_note(records: Sequence[RunRecord]) -> str:
    counts = {}
    for record in records:
        counts.setdefault(record.spec.method, set()).add(len(record.history))
    return ", ".join(f"{METHOD_STYLE[m][0]} {'/'.join(map(str, sorted(c)))} ep." for m, c in counts.items())


def _preset_note(the_plan: Plan, records: Sequence[RunRecord]) -> str:
    presets = "/".join(sorted({r.spec.preset for r in records}))
    quick = " — QUICK (illustration, not evidence)" if the_plan.quick else ""
    return f"preset {presets}, {_episodes_note(records)}, seed {records[0].spec.seed}{quick}"


def _curve(axis, record: RunRecord, **style) -> None:
    """The raw per-episode training rewards; with markers when there are few episodes (a quick run)."""
    episodes = [row["episode"] for row in record.history]
    marker = "o" if len(episodes) <= 30 else None
    axis.plot(episodes, record.rewards, lw=1.2, marker=marker, ms=3, **style)
    if len(episodes) <= 30:
        axis.xaxis.get_major_locator().set_params(integer=True)


def _panels(count: int) -> tuple[Figure, np.ndarray]:
    figure, axes = plt.subplots(1, count, figsize=(4.6 * count + 0.6, 3.8), squeeze=False, layout="constrained")
    return figure, axes[0]


def alpha_sensitivity(records: Sequence[RunRecord], the_plan: Plan) -> Figure:
    """Figure 2: DG-PG training reward against episode, one curve per constant α, one panel per N."""
    figure, axes = _panels(len(the_plan.n_values))
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, 4))
    for axis, n in zip(axes, the_plan.n_values, strict=True):
        runs = [r for r in records if r.spec.n == n]
        for color, record in zip(colors, runs, strict=False):
            _curve(axis, record, color=color, label=f"α = {record.spec.alpha:g}")
        axis.set(title=f"N = {n}", xlabel=EPISODE_LABEL, ylabel=TRAINING_LABEL)
        axis.legend(fontsize=8)
        axis.grid(alpha=0.3)
    figure.suptitle(f"Fig. 2: DG-PG with constant α (Eq 11)\n{_preset_note(the_plan, records)}", fontsize=10)
    return figure


def controlled_comparison(records: Sequence[RunRecord], best_fit: dict, the_plan: Plan) -> Figure:
    """Figure 3: DG-PG, MAPPO, IPPO training reward against episode per N; dashed: Best-Fit's mean episode
    reward on the 200 training scenarios."""
    figure, axes = _panels(len(the_plan.n_values))
    for axis, n in zip(axes, the_plan.n_values, strict=True):
        for record in (r for r in records if r.spec.n == n):
            label, color = METHOD_STYLE[record.spec.method]
            _curve(axis, record, color=color, label=label)
        axis.axhline(best_fit[n]["mean"], color="black", ls="--", lw=1.0,
                     label=f"Best-Fit (train scenarios, mean of {best_fit[n]['scenarios']})")  # fmt: skip
        axis.set(title=f"N = {n}", xlabel=EPISODE_LABEL, ylabel=TRAINING_LABEL)
        axis.legend(fontsize=8)
        axis.grid(alpha=0.3)
    figure.suptitle(f"Fig. 3: controlled comparison\n{_preset_note(the_plan, records)}", fontsize=10)
    return figure


def scalability(table1: Sequence[dict], the_plan: Plan) -> Figure:
    """Figure 4: the best checkpoint's test reward (mean ± std over the test scenarios) against N, beside the
    reference policies on the same scenarios."""
    figure, axis = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    n = np.array([row["n"] for row in table1], dtype=float)
    offsets = dict(zip(("dgpg", *REFERENCE_STYLE), (1.0, 0.97, 1.03, 1.06), strict=True))  # no overlapping bars
    axis.errorbar(n * offsets["dgpg"], [r["dgpg_mean"] for r in table1], yerr=[r["dgpg_std"] for r in table1],
                  color="tab:red", marker="o", capsize=3, label="DG-PG (best checkpoint)")  # fmt: skip
    for policy, (label, color, marker) in REFERENCE_STYLE.items():
        key = policy.replace("-", "_")
        means, stds = [r[f"{key}_mean"] for r in table1], [r[f"{key}_std"] for r in table1]
        axis.errorbar(n * offsets[policy], means, yerr=stds, color=color, marker=marker, capsize=3, label=label,
                      ls="--" if policy == "best-fit" else ":")  # fmt: skip
    axis.set_xscale("log")
    axis.set_xticks(n, [str(int(v)) for v in n])
    axis.minorticks_off()
    scenarios = table1[0]["test_scenarios"] if table1 else 0
    axis.set(xlabel="number of servers N (log scale)",
             ylabel=f"test reward: {REWARD_LABEL}\nmean ± std over {scenarios} test scenarios")  # fmt: skip
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    quick = " — QUICK (illustration, not evidence)" if the_plan.quick else ""
    preset = the_plan.runs[0].preset
    axis.set_title(f"Fig. 4: scalability\npreset {preset}, {the_plan.runs[0].episodes} ep. per run{quick}",
                   fontsize=10)  # fmt: skip
    return figure


def scale_invariant_convergence(records: Sequence[RunRecord], the_plan: Plan) -> Figure:
    """Figure 5: DG-PG training reward against episode, one curve per N."""
    figure, axis = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    colors = plt.get_cmap("plasma")(np.linspace(0.0, 0.85, max(1, len(records))))
    for color, record in zip(colors, records, strict=True):
        _curve(axis, record, color=color, label=f"N = {record.spec.n}")
    axis.set(xlabel=EPISODE_LABEL, ylabel=TRAINING_LABEL)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    axis.set_title(f"Fig. 5: DG-PG across N\n{_preset_note(the_plan, records)}", fontsize=10)
    return figure
