"""Figures of a variance scan (``python -m dgpg_theory.variance_scan``); each function takes the scan's
``results`` dict (the content of results.json) and returns a matplotlib Figure. ``save_all`` writes them
atomically."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dgpg_theory._io import write_figure


def _column(rows: list[dict], key: str) -> np.ndarray:
    return np.array([np.nan if r[key] is None else r[key] for r in rows], dtype=float)


def _errors(rows: list[dict], key: str) -> np.ndarray:
    """Asymmetric error bars [2, n] from ``key`` and ``key_ci`` (open or invalid ends drawn as 0)."""
    value = _column(rows, key)
    low = np.array([np.nan if r[f"{key}_ci"][0] is None else r[f"{key}_ci"][0] for r in rows], dtype=float)
    high = np.array([np.nan if r[f"{key}_ci"][1] is None else r[f"{key}_ci"][1] for r in rows], dtype=float)
    below = np.where(np.isfinite(low) & (low > 0), value - low, 0.0)
    above = np.where(np.isfinite(high), high - value, 0.0)
    return np.clip(np.vstack([below, above]), 0.0, None)


def n_axis(axis, n_values) -> None:
    """A log N axis whose ticks are the measured N (5, 10, 20, 50, …), not powers of ten."""
    ticks = sorted({int(v) for v in np.asarray(n_values, dtype=float) if math.isfinite(v)})
    axis.set_xscale("log")
    axis.set_xticks(ticks, [str(t) for t in ticks])
    axis.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    axis.set_xlabel("N (agents = servers)")


def _fit_band(axis, n: np.ndarray, rows: list[dict], key: str, slope: dict, color: str) -> None:
    """The OLS line through the per-N values and the band spanned by the slope's interval, pivoting at the
    mean of log N (the fit itself is over every replicate; this draws its slope on the per-N means)."""
    value = _column(rows, key)
    keep = np.isfinite(value) & (value > 0)
    if keep.sum() < 2 or slope.get("estimate") is None or not math.isfinite(slope["estimate"]):
        return
    x, y = np.log(n[keep]), np.log(value[keep])
    pivot_x, pivot_y = x.mean(), y.mean()
    grid = np.linspace(x.min(), x.max(), 50)
    line = np.exp(pivot_y + slope["estimate"] * (grid - pivot_x))
    with np.errstate(over="ignore"):
        low, high = (np.exp(pivot_y + b * (grid - pivot_x)) for b in slope["ci"])
    # A very wide interval (few replicates) would stretch the axis to overflow: clip the band near the data.
    floor, ceiling = value[keep].min() / 100, value[keep].max() * 100
    low, high = np.clip(low, floor, ceiling), np.clip(high, floor, ceiling)
    axis.plot(np.exp(grid), line, color=color, lw=1, ls="--")
    axis.fill_between(np.exp(grid), np.minimum(low, high), np.maximum(low, high), color=color, alpha=0.15)


def variance_scaling(results: dict) -> Figure:
    """log–log σ_J², σ_G² and the minimum variance against N, with fitted lines and slope-CI bands."""
    rows, slopes = results["per_n"], results["slopes"]
    n = _column(rows, "n")
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, slope_key, color, label in (
        ("sigma2_J", "sigma2_J", "C0", "σ_J² (baselined)"),
        ("sigma2_G", "sigma2_G", "C1", "σ_G²"),
        ("min_var_plugin", "min_var", "C2", "min_α Var(ĝ_DG) (Eq 13)"),
    ):
        marker = "s" if key == "min_var_plugin" else "o"  # min Var ≈ σ_G² when α* ≈ 1: keep both visible
        b = slopes.get(slope_key, {})
        text = f"{label}: b = {b.get('estimate', float('nan')):.2f}" if b.get("estimate") is not None else label
        axes[0].errorbar(
            n, _column(rows, key), yerr=_errors(rows, key), fmt=marker, mfc="none", color=color, label=text, capsize=3
        )
        _fit_band(axes[0], n, rows, key, b, color)
    axes[0].set(yscale="log", ylabel="per-agent tr Cov", title="Variances")
    for key, color, label in (("rel_var_J", "C0", "J (baselined)"), ("rel_var_G", "C1", "G")):
        value = _column(rows, key)
        lower = np.array([np.nan if r[f"{key}_ci"][0] is None else r[f"{key}_ci"][0] for r in rows], dtype=float)
        closed = np.array([r[f"{key}_ci"][1] is not None for r in rows]) & np.isfinite(value)
        errors = _errors(rows, key)[:, closed]
        axes[1].errorbar(n[closed], value[closed], yerr=errors, fmt="o", color=color, label=label, capsize=3)
        open_ended = ~closed & np.isfinite(lower) & (lower > 0)
        if open_ended.any():  # ‖Eĝ‖² not told from 0: only a lower bound on the ratio is known
            axes[1].scatter(n[open_ended], lower[open_ended], marker="^", color=color, label=f"{label}: lower bound")
        slope = slopes.get(key, {})
        if not slope.get("n_dropped"):
            _fit_band(axes[1], n, rows, key, slope, color)
    axes[1].set(yscale="log", ylabel="tr Cov / ‖E ĝ‖²", title="Relative variances")
    for axis in axes:
        n_axis(axis, n)
        axis.legend(fontsize=8)
    figure.suptitle(
        f"Theorem 4.2 on the simulator: σ_J² = Θ(N)? σ_G² = O(1)? ({results['config']['reward_scale']} reward)"
    )
    figure.tight_layout()
    return figure


def alpha_star(results: dict) -> Figure:
    rows = results["per_n"]
    n = _column(rows, "n")
    figure, axis = plt.subplots(figsize=(5.5, 4))
    value = _column(rows, "alpha_star")
    low = np.array([r["alpha_star_ci"][0] for r in rows], dtype=float)
    high = np.array([r["alpha_star_ci"][1] for r in rows], dtype=float)
    axis.errorbar(n, value, yerr=np.clip(np.vstack([value - low, high - value]), 0, None), fmt="o", capsize=3)
    axis.axhline(1.0, color="grey", lw=0.8, ls=":")
    axis.set(ylabel="α*", title="Theorem 4.2: does the optimal mixing α* → 1? (App. F)")
    n_axis(axis, n)
    figure.tight_layout()
    return figure


def mixing_curves(results: dict) -> Figure:
    """Per N: the closed form (moments of half A of the copies) against the empirical variance of half B's
    mixed samples over the α grid, each divided by the closed form at α = 0 (curves at different N share axes)."""
    rows = results["per_n"]
    alphas = np.array(results["alpha_grid"])
    figure, axis = plt.subplots(figsize=(6, 4.2))
    for k, row in enumerate(rows):
        predicted, empirical = np.array(row["curve_predicted"]), np.array(row["curve_empirical"])
        unit = predicted[0] if predicted[0] > 0 else 1.0
        axis.plot(alphas, predicted / unit, color=f"C{k % 10}", lw=1, label=f"N={row['n']}")
        axis.plot(alphas, empirical / unit, "o", color=f"C{k % 10}", ms=3)
    axis.set(
        yscale="log",
        xlabel="α",
        ylabel="Var(ĝ_DG(α)) / Var(ĝ_J)",
        title="Eq 13 quadratic: line predicted, dots empirical",
    )
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def own_cross(results: dict) -> Figure:
    rows = results["per_n"]
    n = _column(rows, "n")
    figure, axis = plt.subplots(figsize=(6, 4.2))
    for key, color, label in (
        ("own_J", "C0", "ĝ_J own action"),
        ("cross_J", "C0", "ĝ_J cross-agent"),
        ("cross_agents_J", "C2", "ĝ_J other agents only (arrivals fixed)"),
        ("own_G", "C1", "ĝ_G own action"),
        ("cross_G", "C1", "ĝ_G cross-agent"),
    ):
        value = _column(rows, key)
        marker = "o" if key.startswith("own") else "D" if key.startswith("cross_agents") else "s"
        shown = value > 0
        high = np.array([np.nan if r[f"{key}_ci"][1] is None else r[f"{key}_ci"][1] for r in rows], dtype=float)
        bounded = ~shown & (high > 0)
        if bounded.any():  # estimate <= 0 (noise around a small part): show the upper end of its interval
            axis.scatter(n[bounded], high[bounded], marker="v", color=color, label=f"{label}: upper bound")
        axis.errorbar(
            n[shown],
            value[shown],
            yerr=_errors(rows, key)[:, shown],
            fmt=marker,
            color=color,
            mfc="none" if marker == "s" else color,
            label=label,
            capsize=3,
        )
    axis.set(yscale="log", ylabel="one agent's tr Cov", title="Eq 3: does cross-agent noise dominate? (nested)")
    n_axis(axis, n)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def estimators(results: dict) -> Figure:
    """Each estimator of Table 2 against N (log–log, bootstrap intervals): the relative variance
    tr Cov / ‖Eĝ‖² the verdicts judge (left, every estimator; Eq 11 rows dashed) and the per-agent tr Cov in raw
    units (right; the Eq 11 rows' tr Cov is bounded by their standardization, so it is left out)."""
    block = results["estimators"]
    rows = block["per_n"]
    n = _column(rows, "n")
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    panels = ((axes[0], "rel_var", block["relative_slopes"]), (axes[1], "var", block["slopes"]))
    for axis, key, slopes in panels:
        for k, (variant, slope) in enumerate(slopes.items()):
            trainer = variant.startswith("dg_eq11")
            if trainer and key == "var":
                continue
            per_n = [row[variant] for row in rows]
            b = slope.get("estimate")
            label = f"{variant}: b = {b:.2f}" if b is not None and math.isfinite(b) else variant
            axis.errorbar(n, _column(per_n, key), yerr=_errors(per_n, key), fmt="o" + ("--" if trainer else "-"),
                          color=f"C{k % 10}", label=label, capsize=3, lw=1, mfc="none", ms=4)  # fmt: skip
    axes[0].set(yscale="log", ylabel="relative variance tr Cov / ‖Eĝ‖²", title="judged: relative variance")
    axes[1].set(yscale="log", ylabel="per-agent tr Cov", title="per-agent tr Cov, raw units (Eq 2, baselines, Eq 10)")
    for axis in axes:
        n_axis(axis, n)
        if axis.has_data():
            axis.legend(fontsize=7)
    reward = results["config"]["reward_scale"]
    figure.suptitle(f"Table 2 on the simulator: the estimator family on the {block['source']} copies ({reward} reward)")
    figure.tight_layout()
    return figure


FIGURES = {
    "variance_scaling.png": variance_scaling,
    "alpha_star.png": alpha_star,
    "mixing_curves.png": mixing_curves,
    "own_cross.png": own_cross,
    "estimators.png": estimators,
}
OPTIONAL_FIGURES = {"estimators.png": "estimators"}  # drawn only when results hold this key


def save_all(results: dict, out: Path) -> list[Path]:
    """Write every figure to ``out`` atomically; returns their paths."""
    paths = []
    for name, make in FIGURES.items():
        if name in OPTIONAL_FIGURES and not results.get(OPTIONAL_FIGURES[name]):
            continue
        write_figure(make(results), out / name)
        paths.append(out / name)
    return paths


# The slopes of the robustness table and where the paper puts them: Θ(N) at 1, O(1) at (or below) 0.
ROBUSTNESS_SLOPES = (
    ("sigma2_J_paper", "σ_J² (paper reward)", 1.0),
    ("sigma2_G", "σ_G²", 0.0),
    ("rel_var_J", "relative σ_J²", 1.0),
    ("rel_var_G", "relative σ_G²", 0.0),
)


def robustness_figure(measurements: list[dict]) -> Figure:
    """Each headline slope with its interval under every reading (``python -m dgpg_theory.robustness``)."""
    names = [f"{m['reading']['queue_model']} / {m['reading']['load']}" for m in measurements]
    figure, axes = plt.subplots(1, len(ROBUSTNESS_SLOPES), figsize=(14, 0.45 * len(names) + 1.6), sharey=True)
    positions = np.arange(len(names))
    for axis, (key, title, claimed) in zip(axes, ROBUSTNESS_SLOPES, strict=True):
        slopes = [m["scan"][key] for m in measurements]
        estimate = np.array([np.nan if s["estimate"] is None else s["estimate"] for s in slopes])
        low = np.array([np.nan if s["ci"][0] is None else s["ci"][0] for s in slopes])
        high = np.array([np.nan if s["ci"][1] is None else s["ci"][1] for s in slopes])
        axis.errorbar(estimate, positions, xerr=[estimate - low, high - estimate], fmt="o", capsize=3)
        axis.axvline(claimed, color="grey", ls="--", lw=1)
        axis.set_title(f"slope of {title}\n(paper: {claimed:g})", fontsize=9)
        axis.set_xlim(-1.5, 2.5)
    axes[0].set_yticks(positions, names, fontsize=8)
    axes[0].invert_yaxis()
    figure.tight_layout()
    return figure
