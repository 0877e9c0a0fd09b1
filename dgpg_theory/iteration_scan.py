"""``python -m dgpg_theory.iteration_scan``: Theorem 4.3 on the exact game, the iterations to ε against N.

    python -m dgpg_theory.iteration_scan [--n N ...] [--estimators E ...] [--games G] [--replicates R]
        [--batch-size S] [--epsilon-fraction F] [--max-iterations T] [--seed SEED] [--out DIR] [--quick]
        [--no-plots] [--no-progress]

For every N, game and estimator (``dgpg_theory.ascent``): the target J_α*, Appendix G's constants L, μ, σ² and
its predicted T, a step tuned on one set of noise streams and the iterations to ε counted on fresh streams.
Per estimator: the geometric mean count per N with a t interval over games, the log–log slope over
(N, game) and the verdict on Theorem 4.3's claim (DG-PG O(1), standard MAPG Θ(N); three-way, margin 0.25).
Writes results.json, results.csv and iterations.png to --out, each atomically. Bad input exits with code 2.
The default took 32 min on the 2-core machine (shared with a test run; most of it the N = 1024 games), --quick
20 s; the README's "Theorem 4.3 counted on the exact game" has the default's table.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy.stats
import torch
from tqdm.auto import tqdm

from dgpg_theory import _io, ascent, exact_game
from dgpg_theory import statistics as st
from dgpg_theory.measurement.moments import judge_scaling
from dgpg_theory.ppo.trainer import torch_threads
from sim.arguments import ArgumentError, explicit_flags, require, require_int

DISPLAY_CONFIDENCE = 0.95  # per-N intervals (for reading); slopes and verdicts use the scan's false_alarm
QUICK = {
    "n": [32, 64, 128],
    "estimators": ["loo", "dg_alpha_star"],
    "games": 2,
    "replicates": 4,
    "epsilon_fraction": 0.5,
    "max_iterations": 5000,
}


@dataclass(frozen=True)
class IterationScan:
    """What to measure. Defaults: the full scan the README reports."""

    n: tuple[int, ...] = (8, 16, 32, 64, 128, 256, 512, 1024)  # games seeded seed·1000 + game
    estimators: tuple[str, ...] = ("loo", "dg_0.9", "dg_alpha_star")
    games: int = 3
    replicates: int = 4
    batch_size: int = 8
    epsilon_fraction: float = 0.1
    max_iterations: int = 20_000
    seed: int = 0
    false_alarm: float = st.DEFAULT_FALSE_ALARM

    def __post_init__(self) -> None:
        require(len(self.n) >= 2 and len(set(self.n)) == len(self.n), "n", self.n, "two or more distinct N")
        for n_agents in self.n:
            require_int("n", n_agents, 2)
        for estimator in self.estimators:
            ascent.alpha_of(estimator)
        require(
            len(self.estimators) >= 1 and len(set(self.estimators)) == len(self.estimators),
            "estimators",
            self.estimators,
            "one or more distinct estimators (a repeated one would count every game twice)",
        )
        require_int("games", self.games, 2, 1000, "(games are seeded seed·1000 + game)")
        require_int("replicates", self.replicates, 2)
        require_int("batch_size", self.batch_size, 2)
        require(0.0 < self.epsilon_fraction < 1.0, "epsilon_fraction", self.epsilon_fraction, "a float in (0, 1)")
        require_int("max_iterations", self.max_iterations, 1)
        require_int("seed", self.seed, 0)
        require(0.0 < self.false_alarm < 0.5, "false_alarm", self.false_alarm, "a float in (0, 0.5)")


@dataclass(frozen=True)
class Cell:
    """One (N, game, estimator): Appendix G's constants, the step search and the counts (None: censored)."""

    n_agents: int
    game: int
    estimator: str
    not_measurable: str | None  # why there is no count (no interior maximum, ...), else None
    problem: dict | None  # ascent.AscentProblem's fields, with appendix_g_step and appendix_g_iterations
    reward_loss: float | None  # (J* − J(θ_α*)) / (J* − J(θ0)): what ascending J_α instead of J costs (Thm 4.1)
    trials: list[dict] = field(default_factory=list)
    step_factor: float | None = None
    counts: list[float | None] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def median_count(self) -> float | None:
        """The median over replicates; None if not measurable or if half or more are censored."""
        if not self.counts:
            return None
        median = float(np.median([math.inf if c is None else c for c in self.counts]))
        return median if math.isfinite(median) else None


def _generators(scan: IterationScan, n_agents: int, game: int, estimator: str) -> list[torch.Generator]:
    """Pilot, tuning and measurement streams of one cell, from one seed (zlib.crc32: a stable name hash)."""
    sequence = np.random.SeedSequence([scan.seed, n_agents, game, zlib.crc32(estimator.encode())])
    return [torch.Generator().manual_seed(int(child.generate_state(1)[0])) for child in sequence.spawn(3)]


def _reward_loss(
    game: exact_game.LoadBalancingGame, problem: ascent.AscentProblem, epsilon_fraction: float, objectives: dict
) -> float:
    """(J* − J(θ_α*)) / (J* − J(θ0)); J* is the α = 0 objective's, reused when an estimator of J measured it
    (the same BFGS run, so the same number)."""
    reward = objectives.get((0.0, epsilon_fraction, tuple(problem.theta_start)))
    best = (
        reward.optimum_value
        if reward is not None
        else -exact_game.maximize_augmented(game, 0.0, problem.theta_start).fun
    )
    start = exact_game.expected_reward(game, problem.theta_start)
    return float((best - exact_game.expected_reward(game, problem.optimum_theta)) / (best - start))


def measure_cell(
    scan: IterationScan, n_agents: int, game_index: int, estimator: str, objectives: dict | None = None
) -> Cell:
    """Set up, tune and count one cell (``ascent``): games from ``exact_game.make_game(N, seed·1000 + game)``;
    ``objectives`` shares J_α's constants between the estimators of one game (``ascent.make_problem``)."""
    started = time.perf_counter()
    game = exact_game.make_game(n_agents, seed=scan.seed * 1000 + game_index)
    pilot, tuning, measurement = _generators(scan, n_agents, game_index, estimator)
    try:
        problem = ascent.make_problem(
            game, estimator, pilot, scan.batch_size, scan.epsilon_fraction, objectives=objectives
        )
    except ascent.NotMeasurable as reason:
        return Cell(n_agents, game_index, estimator, str(reason), None, None, seconds=time.perf_counter() - started)
    trials = ascent.tune_step(game, problem, scan.replicates, scan.max_iterations, tuning)
    chosen = ascent.best_trial(trials)
    counts: list[float | None] = [None] * scan.replicates
    skipped = None
    if not trials:  # never run, so not censored: exact ascent itself needs more than the limit
        skipped = (
            f"exact ascent at step 1/L needs {problem.exact_iterations} iterations, more than max_iterations = "
            f"{scan.max_iterations}"
        )
    if chosen is not None:
        found = ascent.iterations_to_epsilon(
            game, problem, chosen.step_factor, scan.replicates, chosen.budget, measurement
        )
        counts = [float(c) if math.isfinite(c) else None for c in found]
    summary = {
        **asdict(problem),
        "appendix_g_step": problem.appendix_g_step,
        "appendix_g_iterations": problem.appendix_g_iterations,
    }
    return Cell(
        n_agents,
        game_index,
        estimator,
        skipped,
        summary,
        _reward_loss(game, problem, scan.epsilon_fraction, objectives or {}),
        [asdict(trial) for trial in trials],
        None if chosen is None else chosen.step_factor,
        counts,
        time.perf_counter() - started,
    )


# ----------------------------------------------------------------------------------------------------------
# Per-estimator summary: counts per N, the slope and the verdict on Theorem 4.3
# ----------------------------------------------------------------------------------------------------------


def _geometric_interval(values: list[float]) -> tuple[float, list[float]]:
    """Geometric mean of positive values and its t interval on the log scale at DISPLAY_CONFIDENCE."""
    logs = np.log(values)
    center = float(np.exp(logs.mean()))
    if len(logs) < 2:
        return center, [math.nan, math.nan]
    half = scipy.stats.t.ppf(0.5 + DISPLAY_CONFIDENCE / 2, len(logs) - 1) * logs.std(ddof=1) / math.sqrt(len(logs))
    return center, [float(np.exp(logs.mean() - half)), float(np.exp(logs.mean() + half))]


def _slope(points: list[tuple[int, float]], claim: str, false_alarm: float) -> dict:
    """Log–log slope over (N, value) points and its three-way verdict; undetermined without two N."""
    try:
        fit = st.fit_log_log_slope([n for n, _ in points], [v for _, v in points], false_alarm)
    except ValueError as error:
        return {"slope": None, "ci": [None, None], "holds": None, "verdict": f"not fitted: {error}", "detail": ""}
    holds, verdict, detail = judge_scaling(fit, claim, false_alarm)
    return {"slope": fit.slope, "ci": [fit.ci_low, fit.ci_high], "holds": holds, "verdict": verdict, "detail": detail}


def summarize(cells: list[Cell], estimator: str, false_alarm: float) -> dict:
    """Per N: geometric means of the games' median counts and of Appendix G's T, the censored and
    not-measurable games; over (N, game): the slope of each and the verdict on the estimator's claim."""
    claim = ascent.claim_of(estimator)
    mine = [cell for cell in cells if cell.estimator == estimator]
    per_n, counted, predicted = [], [], []
    for n_agents in sorted({cell.n_agents for cell in mine}):
        at_n = [cell for cell in mine if cell.n_agents == n_agents]
        medians = [cell.median_count for cell in at_n if cell.median_count is not None]
        bounds = [cell.problem["appendix_g_iterations"] for cell in at_n if cell.problem is not None]
        mean, interval = _geometric_interval(medians) if medians else (None, [None, None])
        per_n.append({
            "n": n_agents, "games_counted": len(medians), "censored": sum(cell.not_measurable is None
            and cell.median_count is None for cell in at_n), "not_measurable": sum(cell.not_measurable is not None
            for cell in at_n), "count": mean, "ci": interval,
            "appendix_g": _geometric_interval(bounds)[0] if bounds else None,
            "alpha": [cell.problem["alpha"] for cell in at_n if cell.problem is not None],
            "reward_loss": [cell.reward_loss for cell in at_n if cell.reward_loss is not None],
        })  # fmt: skip
        counted += [(n_agents, m) for m in medians]
        predicted += [(n_agents, b) for b in bounds]
    return {
        "estimator": estimator,
        "claim": claim,
        "per_n": per_n,
        "count_slope": _slope(counted, claim, false_alarm),
        "appendix_g_slope": _slope(predicted, claim, false_alarm),
        "constant_slopes": _constant_slopes(mine, false_alarm),
    }


CONSTANTS = ("smoothness", "pl_constant", "batch_variance", "gap_start", "condition_number")


def _constant_slopes(cells: list[Cell], false_alarm: float) -> dict:
    """Log–log slopes of Appendix G's constants over (N, game): what N does to L, μ, σ², Δ0 and L/μ, the
    ingredients of T (Appendix G's T ∝ Lσ²/(μ²ε)·log(2Δ0/ε) with ε ∝ Δ0)."""
    slopes = {}
    for name in CONSTANTS:
        points = [
            (cell.n_agents, cell.problem["smoothness"] / cell.problem["pl_constant"])
            if name == "condition_number"
            else (cell.n_agents, cell.problem[name])
            for cell in cells
            if cell.problem is not None and cell.not_measurable is None
        ]
        fit = _slope(points, "O(1)", false_alarm)
        slopes[name] = {"slope": fit["slope"], "ci": fit["ci"]}
    return slopes


def run(scan: IterationScan, progress: bool = True) -> dict:
    """Every cell of the scan (a progress bar over cells), then one summary per estimator. torch runs with one
    intra-op thread (restored after): a reduction split over threads rounds differently, and a count must not
    depend on the machine's core count."""
    plan = [(n, g, e) for n in scan.n for g in range(scan.games) for e in scan.estimators]
    objectives: dict[tuple[int, int], dict] = {}  # per game: J_α's constants by α, shared by its estimators
    with torch_threads(1):
        cells = [
            measure_cell(scan, n, g, e, objectives.setdefault((n, g), {}))
            for n, g, e in tqdm(plan, desc="iteration scan", disable=not progress)
        ]
    return {
        "scan": asdict(scan),
        "summaries": [summarize(cells, e, scan.false_alarm) for e in scan.estimators],
        "cells": [{**asdict(cell), "median_count": cell.median_count} for cell in cells],
    }


# ----------------------------------------------------------------------------------------------------------
# Output: a text table, CSV rows, a figure
# ----------------------------------------------------------------------------------------------------------


def _number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


def text_table(result: dict) -> str:
    """One block per estimator: per N the count [interval], games counted / censored / not measurable,
    Appendix G's T and α; then the two slopes and the verdict."""
    lines = []
    for summary in result["summaries"]:
        lines.append(f"{summary['estimator']} (Theorem 4.3: {summary['claim']})")
        lines.append("       N  iterations to ε [95 % interval]   counted/censored/not measurable   Appendix G T   α")
        for row in summary["per_n"]:
            interval = f"[{_number(row['ci'][0])}, {_number(row['ci'][1])}]"
            games = f"{row['games_counted']}/{row['censored']}/{row['not_measurable']}"
            alphas = ", ".join(f"{a:.2f}" for a in row["alpha"]) or "—"
            lines.append(
                f"  {row['n']:>6}  {_number(row['count']):>8} {interval:<20}  {games:>12}"
                f"                      {_number(row['appendix_g'], 2):>9}   {alphas}"
            )
        for label, key in (("measured", "count_slope"), ("Appendix G's T", "appendix_g_slope")):
            fit = summary[key]
            ci = f"[{_number(fit['ci'][0])}, {_number(fit['ci'][1])}]"
            lines.append(f"  slope of {label}: {_number(fit['slope'])} {ci}: {fit['verdict']}")
        constants = ", ".join(
            f"{name} {_number(fit['slope'])} [{_number(fit['ci'][0])}, {_number(fit['ci'][1])}]"
            for name, fit in summary["constant_slopes"].items()
        )
        lines.append(f"  slopes of Appendix G's constants (L, μ, σ², Δ0, L/μ): {constants}")
        lines.append("")
    return "\n".join(lines)


def csv_rows(result: dict) -> list[dict]:
    """One row per cell."""
    rows = []
    for cell in result["cells"]:
        problem = cell["problem"] or {}
        rows.append({
            "n": cell["n_agents"], "game": cell["game"], "estimator": cell["estimator"],
            "alpha": problem.get("alpha"), "median_count": cell["median_count"],
            "censored": sum(c is None for c in cell["counts"]), "replicates": len(cell["counts"]),
            "step_factor": cell["step_factor"], "smoothness": problem.get("smoothness"),
            "pl_constant": problem.get("pl_constant"), "batch_variance": problem.get("batch_variance"),
            "exact_iterations": problem.get("exact_iterations"),
            "appendix_g_iterations": problem.get("appendix_g_iterations"), "reward_loss": cell["reward_loss"],
            "not_measurable": cell["not_measurable"], "seconds": cell["seconds"],
        })  # fmt: skip
    return rows


def iterations_figure(result: dict):
    """Left: measured iterations to ε against N (geometric mean over games, 95 % interval) per estimator,
    log–log, with Theorem 4.3's slopes 1 and 0 as guides. Middle: Appendix G's T at the measured constants.
    Right: the share of J's gap J* − J(θ0) that the maximum of J_α gives up (0 for α = 0; Theorem 4.1 says 0)."""
    import matplotlib.pyplot as plt

    figure, (measured, bound, loss) = plt.subplots(1, 3, figsize=(15, 4.4))
    anchor = None
    for summary in result["summaries"]:
        rows = [row for row in summary["per_n"] if row["count"] is not None]
        if rows:
            n = np.array([row["n"] for row in rows], float)
            count = np.array([row["count"] for row in rows])
            low = np.array([np.nan if row["ci"][0] is None else row["ci"][0] for row in rows])
            high = np.array([np.nan if row["ci"][1] is None else row["ci"][1] for row in rows])
            slope = _number(summary["count_slope"]["slope"], 2)
            line = measured.plot(n, count, "o-", label=f"{summary['estimator']} (b = {slope})")[0]
            measured.fill_between(n, np.maximum(low, 1.0), high, color=line.get_color(), alpha=0.15)
            anchor = anchor or (n[0], count[0])
        bounds = [(row["n"], row["appendix_g"]) for row in summary["per_n"] if row["appendix_g"] is not None]
        if bounds:
            bound.plot(*zip(*bounds, strict=True), "s--", label=summary["estimator"])
        losses = [(row["n"], float(np.median(row["reward_loss"]))) for row in summary["per_n"] if row["reward_loss"]]
        if losses:
            loss.plot(*zip(*losses, strict=True), "d-", label=summary["estimator"])
    if anchor is not None:
        all_n = np.array(sorted({row["n"] for s in result["summaries"] for row in s["per_n"]}), float)
        guide_n = all_n[all_n >= anchor[0]]
        measured.plot(guide_n, anchor[1] * guide_n / anchor[0], ":", color="grey", lw=1, label="N¹ (Θ(N))")
        measured.plot(guide_n, np.full_like(guide_n, anchor[1]), "--", color="grey", lw=1, label="N⁰ (O(1))")
    panels = (
        (measured, "measured iterations to ε", "iterations (geometric mean over games)", "log"),
        (bound, "Appendix G's T at the measured L, μ, σ²", "iterations", "log"),
        (loss, "share of J's gap given up at J_α's maximum", "(J* − J(θ_α*)) / (J* − J(θ0)), median", "linear"),
    )
    for axis, title, label, scale in panels:
        axis.set(xscale="log", yscale=scale, xlabel="N (agents)", ylabel=label, title=title)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=8)
        else:
            axis.text(0.5, 0.5, "nothing measured", ha="center", transform=axis.transAxes)
    figure.tight_layout()
    return figure


# ----------------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    defaults = IterationScan()
    p = argparse.ArgumentParser(
        prog="python -m dgpg_theory.iteration_scan",
        allow_abbrev=False,
        description="Theorem 4.3 on the exactly solvable game: stochastic policy-gradient ascent on the shared θ, "
        "the iterations to reach J_α* − J_α ≤ ε against N for each estimator, the log–log slope and the verdict "
        "(DG-PG: O(1); standard MAPG: Θ(N)), beside Appendix G's T at the measured L, μ, σ².",
    )
    add = p.add_argument
    add("--n", type=int, nargs="+", default=list(defaults.n), help="numbers of agents N (distinct, each >= 2; "
        "M = N/2 servers); small N often have no interior maximum: reported, not counted. "
        "Default: %(default)s")  # fmt: skip
    add("--estimators", nargs="+", default=list(defaults.estimators), help="plain (no baseline), loo "
        "(leave-one-out baseline), dg_<α> (DG-PG at a fixed α in [0, 1]), dg_alpha_star (DG-PG at Eq 13's α* "
        "from a pilot batch at θ0). Default: %(default)s")  # fmt: skip
    add("--games", type=int, default=defaults.games, help="independent games per N (>= 2); the interval and "
        "the slope are over games. Default: %(default)s")  # fmt: skip
    add("--replicates", type=int, default=defaults.replicates, help="independent ascents per game (>= 2); a "
        "game's count is their median. Default: %(default)s")  # fmt: skip
    add("--batch-size", type=int, default=defaults.batch_size, help="S, joint actions per "
        "iteration (>= 2; the loo baseline uses the other S − 1). Default: %(default)s")  # fmt: skip
    add("--epsilon-fraction", type=float, default=defaults.epsilon_fraction, help="ε as a fraction of the "
        "starting gap J_α* − J_α(θ0), in (0, 1). Default: %(default)s")  # fmt: skip
    add("--max-iterations", type=int, default=defaults.max_iterations, help="the most iterations an ascent "
        "gets (a step trial after a finite best gets at most twice that best, and the count on fresh streams "
        "the chosen trial's budget); one that has not reached ε by then is censored. Default: %(default)s")  # fmt: skip
    add("--seed", type=int, default=defaults.seed, help="seed of every game and noise stream. Default: %(default)s")
    add("--false-alarm", type=float, default=defaults.false_alarm, help="two-sided false-alarm rate of the slope "
        "intervals and verdicts (the per-N intervals are 95 %%). Default: %(default)s")  # fmt: skip
    add("--out", type=Path, default=Path("iteration_scan_out"), help="output directory. Default: %(default)s")
    add("--quick", action="store_true", help=f"a small scan (under a minute): N = {QUICK['n']}, "
        f"{' '.join(QUICK['estimators'])}, {QUICK['games']} games, {QUICK['replicates']} replicates, ε = "
        f"{QUICK['epsilon_fraction']}·Δ0, at most {QUICK['max_iterations']} iterations; explicit flags "
        "win")  # fmt: skip
    add("--no-plots", action="store_true", help="skip the figure")
    add("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = p.parse_args(argv)
    if args.quick:
        explicit = explicit_flags(argv)
        for key, value in QUICK.items():
            if key not in explicit:
                setattr(args, key, value)
    try:
        scan = IterationScan(
            tuple(args.n), tuple(args.estimators), args.games, args.replicates, args.batch_size,
            args.epsilon_fraction, args.max_iterations, args.seed, args.false_alarm,
        )  # fmt: skip
        _io.check_writable_directory(args.out)
    except ArgumentError as error:
        p.error(f"--{error.name.replace('_', '-')}: {error}")
    result = run(scan, progress=not args.no_progress)
    print(text_table(result))
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    if not args.no_plots:
        _io.write_figure(iterations_figure(result), args.out / "iterations.png")
        written.append(args.out / "iterations.png")
    _io.write_json(args.out / "results.json", result)
    _io.write_csv(args.out / "results.csv", csv_rows(result))
    for path in [*written, args.out / "results.csv", args.out / "results.json"]:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
