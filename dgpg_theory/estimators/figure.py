"""One figure per exact-game table: per-agent variance against N, one line per estimator, intervals drawn."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dgpg_theory.measurement.counterfactuals import EQ11_CONTROL
from dgpg_theory.measurement.plots import n_axis

PANELS = (("variance", "per-agent variance Σ tr Cov(ĝⁱ)/N"), ("relative", "relative variance Σ tr Cov / Σ ‖Eĝⁱ‖²"))


def family_figure(result: dict, scaling: str = "sum") -> Figure:
    """Two panels (per-agent and relative variance) of one ``scaling.results`` dict, log–log, one line per
    member with its per-N interval (over games); the legend gives each member's fitted slope b."""
    figure, axes = plt.subplots(1, 2, figsize=(13, 5.2))
    entries = [e for e in result["entries"] if e["reward_scaling"] == scaling]
    colors = plt.get_cmap("tab10").colors
    for axis, (quantity, label) in zip(axes, PANELS, strict=True):
        shown = [e for e in entries if e["quantity"] == quantity]
        raw_names = [e["member"] for e in shown if e["units"] == "raw"]
        for entry in shown:
            index = raw_names.index(_raw_partner(entry["member"]))
            n = np.array([row["n"] for row in entry["per_n"]], dtype=float)
            mean = np.array([row["mean"] for row in entry["per_n"]], dtype=float)
            low, high = (np.array([row["ci"][k] for row in entry["per_n"]], dtype=float) for k in (0, 1))
            style = "--" if entry["units"] == "trainer" else "-"
            axis.errorbar(
                n, mean, yerr=np.clip([mean - low, high - mean], 0, None), fmt="o", ls=style, ms=3, capsize=2,
                color=colors[index % len(colors)], label=f"{entry['member']} (b = {entry['slope']:+.2f})",
            )  # fmt: skip
        axis.set_yscale("log")
        n_axis(axis, result["n_agents"])
        axis.set_xlabel("N (agents)")
        axis.set_ylabel(label)
        axis.legend(fontsize=7, ncol=2)
    scan = result["scan"]
    servers = "M = N/2" if scan["n_servers"] is None else f"M = {scan['n_servers']}"
    reward = "summed" if scaling == "sum" else "÷N"
    figure.suptitle(
        f"Table 2 on the exact game ({servers}, {reward} reward): does each estimator's variance grow with N? "
        "Dashed: DG-PG in the trainer's units"
    )
    figure.tight_layout()
    return figure


def _raw_partner(member: str) -> str:
    """The raw-unit line whose colour a trainer-unit line takes: DG at the same α; the α = 0 control, whose
    relative variance is the state baseline's, takes loo's."""
    return "loo" if member == EQ11_CONTROL else member.replace("dg_eq11_", "dg_")
