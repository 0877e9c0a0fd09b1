"""Figures 2–5 of the paper (and the compare target's figure), redrawn from our runs
(``python -m dgpg_theory.reproduce``). Each function returns a matplotlib Figure. Curves are the raw per-episode
training rewards (the compare figure: their IQM over seeds): nothing is smoothed. Titles name the preset and the
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
    seeds = ", ".join(map(str, the_plan.seeds))
    return f"preset {presets}, {_episodes_note(records)}, seed {seeds}{quick}"


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


def comparison(numbers: dict, the_plan: Plan) -> Figure:
    """The compare target: per N, the training curves (IQM over seeds, shaded 95 % stratified-bootstrap band) and
    the best checkpoints' gap to Best-Fit on the test scenarios (IQM with its interval; dots: each seed's IQM
    over the scenarios)."""
    rows = len(numbers)
    figure, axes = plt.subplots(rows, 2, figsize=(10.5, 3.6 * rows), squeeze=False, layout="constrained")
    for (curve_axis, gap_axis), (n, at_n) in zip(axes, numbers.items(), strict=True):
        for position, (method, values) in enumerate(at_n["methods"].items()):
            label, color = METHOD_STYLE[method]
            curve = values["curve_iqm"]
            episodes = np.arange(1, len(curve) + 1)
            curve_axis.plot(episodes, [c["value"] for c in curve], color=color, marker="o", ms=3, label=label)
            curve_axis.fill_between(episodes, [c["low"] for c in curve], [c["high"] for c in curve], color=color,
                                    alpha=0.2, lw=0)  # fmt: skip
            gap = values["gap_to_best_fit_iqm"]
            error = [[gap["value"] - gap["low"]], [gap["high"] - gap["value"]]]
            gap_axis.errorbar([position], [gap["value"]], yerr=error, color=color, marker="o", capsize=4, ms=7)
            per_seed = values["gap_iqm_per_seed"]
            jitter = np.linspace(-0.12, 0.12, len(per_seed)) + position + 0.25
            gap_axis.scatter(jitter, per_seed, color=color, s=12, alpha=0.7)
        curve_axis.xaxis.get_major_locator().set_params(integer=True)
        curve_axis.set(title=f"N = {n}: training reward, IQM over seeds [95 % CI]", xlabel=EPISODE_LABEL,
                       ylabel=TRAINING_LABEL)  # fmt: skip
        curve_axis.legend(fontsize=8)
        curve_axis.grid(alpha=0.3)
        names = [METHOD_STYLE[m][0] for m in at_n["methods"]]
        gap_axis.axhline(0.0, color="black", ls="--", lw=1.0, label=f"Best-Fit ({at_n['best_fit_mean']:.1f})")
        gap_axis.set_xticks(range(len(names)), names)
        gap_axis.set(title=f"N = {n}: best checkpoint − Best-Fit, per test scenario",
                     ylabel="reward gap: IQM [95 % CI]\n(dots: each seed's IQM)")  # fmt: skip
        gap_axis.legend(fontsize=8)
        gap_axis.grid(alpha=0.3, axis="y")
    seeds = ", ".join(map(str, the_plan.seeds))
    quick = " — QUICK (illustration, not evidence)" if the_plan.quick else ""
    spec = the_plan.runs[0]
    figure.suptitle(f"DG-PG, MAPPO and IPPO over seeds {seeds}: the first {spec.trained} episodes of the {spec.preset} "
                    f"preset's {spec.episodes}-episode schedule{quick}", fontsize=10)  # fmt: skip
    return figure
