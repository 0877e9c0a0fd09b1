"""The report's own figures, drawn from records only (so a figure shows exactly the numbers the text quotes).

``exponents``: every measured exponent b of σ² ∝ N^b with its 1e-4 interval, against the paper's 1 (Θ(N)) and
0 (O(1)). ``training``: the 10-episode training checks, DG-PG and MAPPO against Best-Fit and its 10 % band.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dgpg_theory._io import write_figure
from dgpg_theory.estimators import family
from dgpg_theory.findings.records import Record
from dgpg_theory.measurement.counterfactuals import EQ11_CONTROL

THETA_N = (
    ("exact game: σ_J², baselined, summed reward", "exact.scaling.var_j_baseline_sum.slope"),
    ("exact game: σ_J², baselined, ÷N reward", "exact.scaling.var_j_baseline_per_agent.slope"),
    ("exact game: relative σ_J²", "exact.scaling.relvar_j_baseline.slope"),
    ("exact game: relative σ_J², M = 8 fixed", "exact.fixed_servers.relvar_j_baseline.slope"),
    ("simulator fixture: σ_J², ÷N reward", "sim_fixture.sigma2_j.paper"),
    ("simulator fixture: σ_J², summed reward", "sim_fixture.sigma2_j.sum"),
)
O_ONE = (
    ("exact game: σ_G², N = 256…2048", "exact.scaling.var_g.slope"),
    ("exact game: σ_G², N = 16…512", "exact.small_n.var_g.slope"),
    ("exact game: σ_G², M = 8 fixed", "exact.fixed_servers.var_g.slope"),
    ("exact game: relative σ_G²", "exact.scaling.relvar_g.slope"),
    ("exact game: min over α of Var ĝ_DG", "exact.dg_minimum.slope"),
    ("simulator fixture: σ_G²", "sim_fixture.sigma2_g.paper"),
)


def exponents(records: dict[str, Record]) -> Figure:
    """Two forest panels: the Θ(N) claims (paper: b = 1) and the O(1) claims (paper: b ≤ 0)."""
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharex=True)
    for axis, rows, claimed, title in (
        (axes[0], THETA_N, 1.0, "σ_J² = Θ(N)? (paper: b = 1)"),
        (axes[1], O_ONE, 0.0, "σ_G² = O(1)? (paper: b ≤ 0)"),
    ):
        shown = [(label, records[key]) for label, key in rows if key in records]
        positions = np.arange(len(shown))
        values = np.array([r.value for _, r in shown])
        errors = np.array([[r.value - r.low for _, r in shown], [r.high - r.value for _, r in shown]])
        axis.errorbar(values, positions, xerr=errors, fmt="o", capsize=3)
        axis.axvline(claimed, color="grey", ls="--", lw=1)
        axis.axvspan(claimed - 0.25, claimed + 0.25, color="grey", alpha=0.12)
        axis.set_yticks(positions, [label for label, _ in shown], fontsize=8)
        axis.invert_yaxis()
        axis.set(xlabel="exponent b of σ² ∝ N^b (interval at 1e-4)", title=title)
    figure.suptitle("Theorem 4.2's exponents, measured (shaded: the equivalence margin ±0.25 around the paper's value)")
    figure.tight_layout()
    return figure


def training(records: dict[str, Record]) -> Figure:
    """Test-scenario reward after 10 episodes (best checkpoint) at N = 5 and 10, with Best-Fit and its band."""
    figure, axis = plt.subplots(figsize=(7, 4.2))
    for x, n in enumerate((5, 10)):
        best_fit = records.get(f"training.best_fit.n{n}.score")
        if best_fit is None:
            continue
        band = best_fit.value - 0.1 * abs(best_fit.value)
        axis.hlines([best_fit.value, band], x - 0.35, x + 0.35, colors=["k", "grey"], linestyles=["-", ":"])
        for offset, method, color in ((-0.15, "dgpg", "C3"), (0.15, "mappo", "C0")):
            score, margin = (
                records.get(f"training.{method}.n{n}.score"),
                records.get(f"training.{method}.n{n}.band_margin"),
            )
            if score is None or margin is None:
                continue
            error = [[margin.value - margin.low], [margin.high - margin.value]]
            axis.errorbar(x + offset, score.value, yerr=error, fmt="o", color=color, capsize=4)
        untrained = records.get(f"training.untrained.n{n}.score")
        if untrained is not None:
            axis.scatter(x, untrained.value, marker="x", color="grey")
    axis.plot([], [], "o", color="C3", label="DG-PG (best checkpoint; paired 1e-4 bounds)")
    axis.plot([], [], "o", color="C0", label="MAPPO")
    axis.plot([], [], "x", color="grey", label="untrained")
    axis.plot([], [], "k-", label="Best-Fit")
    axis.plot([], [], ":", color="grey", label="Best-Fit's 10 % band")
    axis.set_xticks([0, 1], ["N = 5", "N = 10"])
    axis.set(ylabel="mean reward, 40 test scenarios", title="§6.4: within Best-Fit's band after 10 episodes?")
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


# (label, member, Table 2's exponent) of the Table 2 figure; None: Table 2 makes no claim
TABLE2_EXPONENTS = {"Theta(N)": 1.0, "O(1)": 0.0, None: None}
TABLE2_MEMBERS = tuple(
    (member.label, name, TABLE2_EXPONENTS[member.claim])
    for name, member in family.MEMBERS.items()
    if name != EQ11_CONTROL  # a control, not a row of Table 2 (paper_checks/test_table2_exact.py checks it)
)


def table2(records: dict[str, Record]) -> Figure:
    """One forest panel: each estimator's exponent of the relative variance on the exact game, with Table 2's."""
    shown = [(label, records[f"table2.exact.{m}.relative"], claim) for label, m, claim in TABLE2_MEMBERS
             if f"table2.exact.{m}.relative" in records]  # fmt: skip
    figure, axis = plt.subplots(figsize=(8, 5))
    positions = np.arange(len(shown))
    for position, (_, record, claim) in zip(positions, shown, strict=True):
        color = "grey" if claim is None else ("C0" if claim == 1.0 else "C3")
        error = [[record.value - record.low], [record.high - record.value]]
        axis.errorbar(record.value, position, xerr=error, fmt="o", capsize=3, color=color)
        if claim is not None:
            axis.plot(claim, position, marker="|", ms=14, color=color)
    for claimed in (0.0, 1.0):
        axis.axvspan(claimed - 0.25, claimed + 0.25, color="grey", alpha=0.1)
    axis.set_yticks(positions, [label for label, _, _ in shown], fontsize=8)
    axis.invert_yaxis()
    axis.set(xlabel="exponent b of σ²/‖Eĝ‖² ∝ N^b (interval at 1e-4); bar: Table 2 (blue Θ(N), red O(1))",
             title="Table 2's variance column on the exact game (M = N/2, N = 4…1024)")  # fmt: skip
    figure.tight_layout()
    return figure


FIGURES = {"exponents": exponents, "training": training, "table2": table2}


def save_figures(records: dict[str, Record], folder: Path) -> dict[str, str]:
    """Every figure as ``folder/<name>.png``; returns name → path relative to the folder's parent."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, draw in FIGURES.items():
        path = folder / f"{name}.png"
        write_figure(draw(records), path)
        paths[name] = f"{folder.name}/{name}.png"
    return paths
