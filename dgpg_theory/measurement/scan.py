"""A variance scan as a function: σ_J², σ_G², ρ, α* and the scaling laws of Theorem 4.2 over N.

``ScanConfig`` says what to measure, ``Execution`` where to run it (each rejects a bad value before anything
runs); ``run_scan(config, execution)`` runs every cell (N, replicate) on an executor (measurement.sweep) and
returns the results dict that results.json holds: per-N statistics and across-N slopes (measurement.moments)
for every reward scaling, every cell's moments, and ``asdict(config)``. ``write_results`` writes results.json,
results.csv and the figures (measurement.plots), each atomically; ``table`` is the text the CLI prints. What
one cell samples is measurement.samples. ``results["estimators"]`` holds the estimator family of Table 2
(``ScanConfig.estimators``; measurement.counterfactuals) per N and across N, with Table 2's claim per estimator.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from dgpg_theory import _io
from dgpg_theory.measurement import counterfactuals as cf
from dgpg_theory.measurement import moments
from dgpg_theory.measurement.checkpoints import (
    CHECKPOINT_PREFIX,
    Checkpoint,
    checkpoint_path,
    checkpoint_policy,
    read_checkpoint,
)
from dgpg_theory.measurement.phases import PHASES
from dgpg_theory.measurement.policies import POLICY_NAMES
from dgpg_theory.measurement.relevance import SPREAD_TOLERANCE, ActionRelevance, fraction, no_action_matters
from dgpg_theory.measurement.samples import DEFAULT_HORIZON, GAMMA, SamplingConfig
from dgpg_theory.measurement.sweep import EXECUTORS, cell_specs, open_executor, run_cells
from dgpg_theory.statistics import DEFAULT_FALSE_ALARM
from sim.arguments import ArgumentError, is_int, require, require_int
from sim.env import DEFAULT_QUEUE_MODEL
from sim.scales import resolve_scale

DEFAULT_N = (5, 10, 20, 50, 100, 200)
# A small scan for notebooks and CI (≲ 1 min): ScanConfig(**QUICK) (the CLI's --quick; explicit flags win there).
QUICK = {"n": (5, 10, 20), "samples": 48, "replicates": 4, "horizon": 60, "nested_outer": 6, "nested_inner": 2}
SLOPE_KEYS = ("sigma2_J", "sigma2_J_plain", "sigma2_G", "rel_var_J", "rel_var_G", "min_var")


@dataclass(frozen=True)
class ScanConfig:
    """What a scan measures: every field can change its numbers, and results.json stores ``asdict`` of it.
    A bad value raises ``sim.arguments.ArgumentError`` (naming the field) before anything runs; ``n`` is stored
    sorted."""

    n: tuple[int, ...] = DEFAULT_N  # server counts N (distinct, each a valid scale)
    # S and R from `python -m dgpg_theory.scan_plan` on a pilot (README, "The measurement layer"): the slopes' error
    # is mostly between snapshots, so the 10-minute default buys snapshots, not copies.
    samples: int = 48  # S: forked copies per snapshot (≥ 2)
    replicates: int = 32  # R: snapshots per N (≥ 2; replicate r in tidal phase r mod 4); intervals come from them
    policy: str = "scoring"  # measurement.policies.POLICY_NAMES or checkpoint:PATH
    reward_scale: str = "paper"  # the reward scaling of the headline table and slopes (moments.REWARD_SCALES)
    seed: int = 0  # the policy's seed; cell (N, r) draws from SeedSequence([seed, N, r])
    gamma: float = GAMMA
    horizon: int = DEFAULT_HORIZON  # H: rollout steps from the fork step
    warmup_steps: int = SamplingConfig.warmup_steps  # snapshots in [warmup_steps, +1000), by phase (measurement.phases)
    nested_outer: int = SamplingConfig.nested_outer  # own/cross split: fixed actions per cell
    nested_inner: int = SamplingConfig.nested_inner  # own/cross split: copies per fixed action
    max_copies_per_batch: int | None = None  # copies simulated at once (None: from N); each chunk draws its seed
    false_alarm: float = DEFAULT_FALSE_ALARM  # of every interval and verdict
    queue_model: str = DEFAULT_QUEUE_MODEL  # who places a job (sim/SPEC.md, "Queue models")
    target_utilization: float | None = None  # the scenarios' load (None: H.1's draw in [0.80, 0.85])
    # The estimator family of Table 2 (measurement.counterfactuals): a tuple of names, a comma list or "all".
    # Without coma, ob or difference no counterfactual rollout runs and plain, loo, dg use the fork copies.
    estimators: tuple[str, ...] = cf.DEFAULT_ESTIMATORS
    counterfactual_agents: int = 1  # G: tested fork-step agents per snapshot (counterfactual groups)
    counterfactual_copies: int | None = None  # C (None: C·G·(K + 1) ≈ half the fork's and nested batches' rollouts)

    def __post_init__(self) -> None:
        object.__setattr__(self, "estimators", cf.parse_estimators(self.estimators))
        require(isinstance(self.n, tuple | list) and all(is_int(n) for n in self.n), "n", self.n, "ints N ≥ 2")
        object.__setattr__(self, "n", tuple(sorted(int(n) for n in self.n)))
        require(len(self.n) > 0, "n", self.n, "one or more distinct server counts N ≥ 2")
        require(len(set(self.n)) == len(self.n), "n", self.n, "distinct server counts (no duplicates)")
        for n in self.n:
            try:
                resolve_scale(n)
            except ValueError as error:
                raise ArgumentError("n", n, str(error)) from error
        require_int("samples", self.samples, low=2)
        require_int("replicates", self.replicates, low=2, context="(intervals come from replicates)")
        is_checkpoint = isinstance(self.policy, str) and checkpoint_path(self.policy) is not None
        allowed_policies = f"{', '.join(POLICY_NAMES)} or {CHECKPOINT_PREFIX}PATH"
        require(self.policy in POLICY_NAMES or is_checkpoint, "policy", self.policy, allowed_policies)
        require(self.reward_scale in moments.REWARD_SCALES, "reward_scale", self.reward_scale,
                ", ".join(moments.REWARD_SCALES))  # fmt: skip
        require_int("seed", self.seed, low=0)
        require(0 < self.false_alarm < 1, "false_alarm", self.false_alarm, "in (0, 1)")
        self.sampling  # noqa: B018 - SamplingConfig checks gamma, horizon, warm-up and the nested sizes

    @property
    def sampling(self) -> SamplingConfig:
        """How one cell is sampled (measurement.samples)."""
        return SamplingConfig(
            copies=self.samples, gamma=self.gamma, horizon=self.horizon, warmup_steps=self.warmup_steps,
            nested_outer=self.nested_outer, nested_inner=self.nested_inner,
            max_copies_per_batch=self.max_copies_per_batch, queue_model=self.queue_model,
            snapshot_seed=self.seed, target_utilization=self.target_utilization,
            counterfactuals=cf.needs_counterfactuals(self.estimators), counterfactual_agents=self.counterfactual_agents,
            counterfactual_copies=self.counterfactual_copies,
        )  # fmt: skip


@dataclass(frozen=True)
class Execution:
    """Where a scan's cells run (measurement.sweep). It never changes a number: every cell draws from its own
    seed (tested on a process pool and a Dask cluster), so results.json does not record it."""

    executor: str = "local"  # measurement.sweep.EXECUTORS
    workers: int = 1  # local processes, or LocalCluster workers for dask without a scheduler
    scheduler: str | None = None  # a Dask scheduler address (executor "dask" only)
    connect_timeout: float = 10.0  # seconds to wait for the Dask scheduler

    def __post_init__(self) -> None:
        require(self.executor in EXECUTORS, "executor", self.executor, ", ".join(EXECUTORS))
        require_int("workers", self.workers, low=1)
        require(self.scheduler is None or self.executor == "dask", "scheduler", self.scheduler,
                "only with executor='dask'")  # fmt: skip
        require(self.connect_timeout > 0, "connect_timeout", self.connect_timeout, "> 0 seconds")


def checked_checkpoint(config: ScanConfig) -> Checkpoint | None:
    """The checkpoint of ``policy = checkpoint:PATH`` (None for another policy), read once and fitted to every
    N: ValueError before any cell runs if it is unreadable or does not fit one of them."""
    path = checkpoint_path(config.policy)
    if path is None:
        return None
    checkpoint = read_checkpoint(path)
    for n in config.n:
        checkpoint_policy(checkpoint, resolve_scale(n))
    return checkpoint


def run_scan(
    config: ScanConfig,
    execution: Execution = Execution(),  # frozen: one shared default is safe
    progress: bool = False,
    checkpoint: Checkpoint | None = None,
) -> dict:
    """Run every cell (N, replicate) and return the results dict written to results.json. ``checkpoint`` is
    ``checked_checkpoint(config)`` when the caller already has it (it is read here otherwise)."""
    start = time.perf_counter()
    checkpoint = checkpoint or checked_checkpoint(config)
    specs = cell_specs(config.n, config.replicates, config.policy, config.seed, config.sampling)
    pool_of = (execution.executor, execution.workers, execution.scheduler, execution.connect_timeout)
    with open_executor(*pool_of) as pool:
        cells = run_cells(specs, pool, progress=progress)
    results = summarize(cells, config)
    if checkpoint is not None:
        results["config"]["checkpoint"] = checkpoint.describe()
    results["wall_seconds"] = time.perf_counter() - start
    return results


def summarize(cells: list[moments.CellMoments], config: ScanConfig) -> dict:
    """Per-N statistics and across-N slopes, for the configured reward scaling and the others; the action
    relevance per N; the same per tidal phase for the configured scaling."""
    by_n = {n: [c for c in cells if c.n == n] for n in config.n}
    by_scale = {scale: _summaries(by_n, scale, config) for scale in moments.REWARD_SCALES}
    primary = by_scale[config.reward_scale]
    return {
        "config": asdict(config),
        "alpha_grid": moments.ALPHA_GRID.tolist(),
        "per_n": [s.row() | relevance_row(by_n[s.n], config.false_alarm) | _curves(s) for s in primary["summaries"]],
        "slopes": primary["slopes"],
        "by_reward_scale": {
            scale: {"per_n": [s.row() for s in block["summaries"]], "slopes": block["slopes"]}
            for scale, block in by_scale.items()
        },
        "by_phase": {phase: _phase_block(cells, phase, config) for phase in PHASES},
        "estimators": estimator_block(by_n, config),
        "cells": [vars(c) | {"scales": {k: vars(m) for k, m in c.scales.items()}} for c in cells],
        "cell_seconds": float(sum(c.seconds for c in cells)),
    }


def _curves(summary: moments.NSummary) -> dict:
    return {"curve_predicted": summary.curve_predicted, "curve_empirical": summary.curve_empirical}


def _summaries(by_n: dict[int, list[moments.CellMoments]], scale: str, config: ScanConfig) -> dict:
    summaries = [
        moments.summarize_n(group, resolve_scale(n).n_clusters, scale, config.seed + n, config.false_alarm)
        for n, group in by_n.items()
    ]
    cells = [c for group in by_n.values() for c in group]
    slopes = {key: vars(moments.slope_verdict(key, cells, scale, config.false_alarm)) for key in SLOPE_KEYS}
    return {"summaries": summaries, "slopes": slopes}


def estimator_block(by_n: dict[int, list[moments.CellMoments]], config: ScanConfig) -> dict:
    """The estimator family of Table 2: per N (bootstrap over replicates) and across N (slope, verdict against
    Table 2's claim), for the configured reward scaling and the others (measurement.counterfactuals)."""
    variants = cf.variant_names(config.estimators)
    cells = [c for group in by_n.values() for c in group]
    by_scale = {}
    for scale in moments.REWARD_SCALES:
        per_n = [
            {"n": n, "copies": float(sum(c.estimator_copies for c in group) / len(group))}
            | {v: moments.summarize_estimator(group, v, scale, config.seed + n, config.false_alarm) for v in variants}
            for n, group in by_n.items()
        ]
        slopes = {
            quantity: {
                v: vars(moments.estimator_slope(v, cells, scale, quantity, config.false_alarm)) for v in variants
            }
            for quantity in moments.ESTIMATOR_QUANTITIES
        }
        by_scale[scale] = {"per_n": per_n, "slopes": slopes["var"], "relative_slopes": slopes["rel_var"]}
    primary = by_scale[config.reward_scale]
    return {
        "source": "counterfactual" if config.sampling.counterfactuals else "fork",
        "requested": list(config.estimators),
        "claims": {v: cf.claim_of(v) for v in variants},
        "per_n": primary["per_n"],
        "slopes": primary["slopes"],
        "relative_slopes": primary["relative_slopes"],
        "by_reward_scale": by_scale,
        "counterfactual_seconds": float(sum(c.counterfactual_seconds for c in cells)),
    }


def relevance_row(cells: list[moments.CellMoments], false_alarm: float) -> dict:
    """Fractions of snapshots where no action / the tested agent's own action / another agent's action
    detectably changes the return (measurement.relevance)."""
    tested = [ActionRelevance(c.own_action_p_value, c.others_spread) for c in cells]
    return {
        "no_action_fraction": fraction([no_action_matters(t, false_alarm) for t in tested]),
        "own_action_fraction": fraction([t.own_action_p_value < false_alarm for t in tested]),
        "others_action_fraction": fraction([t.others_spread > SPREAD_TOLERANCE for t in tested]),
        "relevance_snapshots": len(tested),
    }


def _phase_block(cells: list[moments.CellMoments], phase: str, config: ScanConfig) -> dict:
    """One tidal phase's snapshots: relevance per N, and the statistics and slopes where each N has ≥ 2."""
    by_n = {n: [c for c in cells if c.n == n and c.phase == phase] for n in config.n}
    per_n = [{"n": n} | relevance_row(group, config.false_alarm) for n, group in by_n.items()]
    if min(len(group) for group in by_n.values()) < 2:
        return {"per_n": per_n, "slopes": None}
    block = _summaries(by_n, config.reward_scale, config)
    return {
        "per_n": [row | s.row() for row, s in zip(per_n, block["summaries"], strict=True)],
        "slopes": block["slopes"],
    }


# ----------------------------------------------------------------------------------------------------------
# Output: files and the printed table
# ----------------------------------------------------------------------------------------------------------


def csv_rows(per_n: list[dict]) -> list[dict]:
    """results.csv's rows: one per N, each ``*_ci`` interval split into ``*_ci_low`` and ``*_ci_high``."""
    rows = []
    for row in per_n:
        flat = {}
        for key, value in row.items():
            if key.startswith("curve_"):
                continue
            if key.endswith("_ci"):
                flat[f"{key}_low"], flat[f"{key}_high"] = value
            else:
                flat[key] = value
        rows.append(flat)
    return rows


def plain_results(results: dict) -> dict:
    """``results`` as results.json holds them (what ``table`` and the figures take): NaN and ±inf → None,
    numpy → Python."""
    return _io.plain(results)


def write_results(results: dict, out: Path, plots: bool = True) -> list[Path]:
    """results.json, results.csv and (``plots``) the figures, each written atomically into ``out``."""
    from dgpg_theory.measurement import plots as figures  # matplotlib only when figures are drawn

    safe = plain_results(results)
    out.mkdir(parents=True, exist_ok=True)
    written = figures.save_all(safe, out) if plots else []
    _io.write_csv(out / "results.csv", csv_rows(safe["per_n"]))
    _io.write_json(out / "results.json", safe)
    return [*written, out / "results.csv", out / "results.json"]


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return f"{value:.{digits}g}"


def _with_interval(row: dict, key: str) -> str:
    low, high = row[f"{key}_ci"]
    return f"{_fmt(row[key])} [{_fmt(low, 2)}, {_fmt(high, 2)}]"


def _relative(row: dict, key: str) -> str:
    """A relative variance, or ">lower" when its interval is open (‖Eĝ‖² not told from 0)."""
    low, high = row[f"{key}_ci"]
    return _fmt(row[key]) if high is not None else f">{_fmt(low, 2)}"


def table(results: dict) -> str:
    """The per-N table and the verdicts, as printed to stdout (``results`` as written: ``plain_results``)."""
    head = f"{'N':>5} {'K':>4} {'agents':>6} {'sigma2_J [CI]':>26} {'sigma2_G [CI]':>26} {'rho [CI]':>22} {'alpha*':>7}"
    head += f" {'minVar pred':>11} {'minVar emp':>11} {'relVar_J':>9} {'relVar_G':>9} {'own_J':>9} {'cross_J':>9}"
    head += f" {'no-action':>9}"
    lines = [head]
    for r in results["per_n"]:
        lines.append(
            f"{r['n']:>5} {r['n_clusters']:>4} {r['mean_agents']:>6.0f} {_with_interval(r, 'sigma2_J'):>26} "
            f"{_with_interval(r, 'sigma2_G'):>26} {_with_interval(r, 'rho'):>22} {_fmt(r['alpha_star']):>7} "
            f"{_fmt(r['min_var_predicted']):>11} {_fmt(r['min_var_empirical']):>11} {_relative(r, 'rel_var_J'):>9} "
            f"{_relative(r, 'rel_var_G'):>9} {_fmt(r['own_J']):>9} {_fmt(r['cross_J']):>9}"
            f" {_fmt(r['no_action_fraction'], 2):>9}"
        )
    lines.append("")
    lines += [f"  {slope['verdict']}" for slope in results["slopes"].values()]
    for scale, block in results["by_reward_scale"].items():
        if scale != results["config"]["reward_scale"]:
            lines.append(f"  [{scale} reward] {block['slopes']['sigma2_J']['verdict']}")
    if results.get("estimators"):
        lines += ["", *estimator_table(results["estimators"], results["config"]["reward_scale"])]
    return "\n".join(lines)


def estimator_table(block: dict, reward_scale: str) -> list[str]:
    """Per estimator: Table 2's claim, the slope b in N of its relative variance [interval] and the verdict on
    the claim, the slope of its per-agent tr Cov, and its per-N tr Cov (Eq 11 rows are in the trainer's
    standardized units, so their tr Cov is bounded by construction: the control dg_eq11_alpha_0 shows it)."""
    n_values = [row["n"] for row in block["per_n"]]
    copies = ", ".join(f"{row['copies']:.0f}" for row in block["per_n"])
    lines = [
        f"Estimator family (Table 2) on the {block['source']} copies ({copies} per snapshot at "
        f"N = {', '.join(map(str, n_values))}), {reward_scale} reward; slopes over (N, phase) pools; judged: the "
        "relative variance",
        f"{'estimator':<20} {'claim (Table 2)':<16} {'b relative [interval]':<26} {'b tr Cov [interval]':<22}"
        + "".join(f" {'N=' + str(n):>9}" for n in n_values)
        + "  verdict (relative variance)",
    ]
    for variant, slope in block["slopes"].items():
        relative = block["relative_slopes"][variant]
        claim = block["claims"][variant] or "none (vs Θ(N))"
        outcome = relative["verdict"].split(": ", 1)[-1] if relative["estimate"] is not None else relative["verdict"]
        values = "".join(f" {_fmt(row[variant]['var']):>9}" for row in block["per_n"])
        lines.append(f"{variant:<20} {claim:<16} {_interval(relative):<26} {_interval(slope):<22}{values}  {outcome}")
    return lines


def _interval(slope: dict) -> str:
    return f"{_fmt(slope['estimate'], 2)} [{_fmt(slope['ci'][0], 2)}, {_fmt(slope['ci'][1], 2)}]"
