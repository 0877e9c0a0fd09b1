"""``python -m dgpg_theory.variance_scan``: σ_J², σ_G², ρ, α* and the scaling laws of Theorem 4.2 on the simulator.

    python -m dgpg_theory.variance_scan --n 5 10 20 50 100 200 [--samples S] [--replicates R] [--policy P]
        [--reward-scale paper|sum|normalized] [--seed SEED] [--out DIR] [--executor local|dask]
        [--scheduler ADDRESS] [--workers W] [--quick]

Prints a table, writes results.json, results.csv and four PNG figures to --out (each file atomically: an
interrupted run leaves no half-written file). Method: dgpg_theory.gradient_samples (what a sample is) and
dgpg_theory.measurement (statistics and verdicts); executors: dgpg_theory.sweep. Bad input exits with code 2.

``--policy checkpoint:PATH`` measures a trained actor of ``python -m dgpg_theory.train`` (a run's best.pt or
last.pt; linear or scoring model, dgpg_theory.policies): it is loaded once here and checked against every --n
before any cell runs (a linear actor fits only its own N); each cell then reads it again from PATH.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dgpg_theory import measurement
from dgpg_theory.gradient_samples import DEFAULT_HORIZON, GAMMA, SamplingConfig
from dgpg_theory.policies import CHECKPOINT_PREFIX, POLICY_NAMES, Checkpoint, checkpoint_policy, read_checkpoint
from dgpg_theory.statistics import DEFAULT_FALSE_ALARM
from dgpg_theory.sweep import EXECUTORS, SweepError, cell_specs, open_executor, run_cells
from sim.scales import MIN_SERVERS, resolve_scale

DEFAULT_N = (5, 10, 20, 50, 100, 200)
QUICK = {"n": (5, 10, 20), "samples": 48, "replicates": 3, "horizon": 60, "nested_outer": 6, "nested_inner": 2}
SLOPE_KEYS = ("sigma2_J", "sigma2_J_plain", "sigma2_G", "rel_var_J", "rel_var_G", "min_var")


# ----------------------------------------------------------------------------------------------------------
# The scan as a function (used by the CLI, the notebook and the tests)
# ----------------------------------------------------------------------------------------------------------


def run_scan(
    n_values: Sequence[int],
    replicates: int,
    config: SamplingConfig,
    policy: str = "scoring",
    reward_scale: str = "paper",
    seed: int = 0,
    executor: str = "local",
    workers: int = 1,
    scheduler: str | None = None,
    false_alarm: float = DEFAULT_FALSE_ALARM,
    progress: bool = False,
    connect_timeout: float = 10.0,
    checkpoint: Checkpoint | None = None,
) -> dict:
    """Run every cell (N, replicate) and return the results dict written to results.json.

    For ``policy = "checkpoint:PATH"``, ``checkpoint`` is that file already read (``read_checkpoint``; read here
    if None); a ValueError is raised before any cell runs if it does not fit every N."""
    start = time.perf_counter()
    if policy.startswith(CHECKPOINT_PREFIX):
        checkpoint = checkpoint or read_checkpoint(policy[len(CHECKPOINT_PREFIX) :])
        for n in n_values:
            checkpoint_policy(checkpoint, resolve_scale(n))
    specs = cell_specs(n_values, replicates, policy, seed, config)
    with open_executor(executor, workers, scheduler, connect_timeout) as pool:
        cells = run_cells(specs, pool, progress=progress)
    results = summarize(cells, n_values, replicates, config, policy, reward_scale, seed, false_alarm, start)
    if checkpoint is not None:
        results["config"]["checkpoint"] = checkpoint.describe()
    return results


def summarize(cells, n_values, replicates, config, policy, reward_scale, seed, false_alarm, start) -> dict:
    """Per-N statistics and across-N slopes, for the primary reward scaling and the others."""
    by_n = {n: [c for c in cells if c.n == n] for n in sorted(n_values)}
    by_scale = {}
    for scale in measurement.REWARD_SCALES:
        summaries = [
            measurement.summarize_n(group, resolve_scale(n).n_clusters, scale, seed + n, false_alarm)
            for n, group in by_n.items()
        ]
        slopes = {key: vars(measurement.slope_verdict(key, cells, scale, false_alarm)) for key in SLOPE_KEYS}
        by_scale[scale] = {"summaries": summaries, "slopes": slopes}
    primary = by_scale[reward_scale]
    per_n = [
        s.row() | {"curve_predicted": s.curve_predicted, "curve_empirical": s.curve_empirical}
        for s in primary["summaries"]
    ]
    others = {
        scale: {"per_n": [s.row() for s in block["summaries"]], "slopes": block["slopes"]}
        for scale, block in by_scale.items()
    }
    return {
        "config": {
            "n": sorted(n_values),
            "samples": config.copies,
            "replicates": replicates,
            "policy": policy,
            "reward_scale": reward_scale,
            "seed": seed,
            "gamma": config.gamma,
            "horizon": config.horizon,
            "warmup_steps": config.warmup_steps,
            "nested_outer": config.nested_outer,
            "nested_inner": config.nested_inner,
            "false_alarm": false_alarm,
        },
        "alpha_grid": measurement.ALPHA_GRID.tolist(),
        "per_n": per_n,
        "slopes": primary["slopes"],
        "by_reward_scale": others,
        "cells": [vars(c) | {"scales": {k: vars(m) for k, m in c.scales.items()}} for c in cells],
        "wall_seconds": time.perf_counter() - start,
        "cell_seconds": float(sum(c.seconds for c in cells)),
    }


# ----------------------------------------------------------------------------------------------------------
# Output: table, JSON, CSV, figures — each file written atomically
# ----------------------------------------------------------------------------------------------------------


def _plain(value):
    """JSON-safe: non-finite floats become null (strict JSON has no NaN / Infinity)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def atomic_write(path: Path, text: str) -> None:
    """Write to a temporary file next to ``path``, then rename: readers see the old file or the new one."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        try:
            handle.write(text)
        except BaseException:
            os.unlink(handle.name)
            raise
    os.replace(handle.name, path)


def csv_text(rows: list[dict]) -> str:
    columns = [k for k in rows[0] if not k.startswith("curve_")]
    header = []
    for key in columns:
        header += [f"{key}_low", f"{key}_high"] if key.endswith("_ci") else [key]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        line = []
        for key in columns:
            line += list(row[key]) if key.endswith("_ci") else [row[key]]
        writer.writerow(["" if v is None else v for v in line])
    return buffer.getvalue()


def write_results(results: dict, out: Path, plots: bool = True) -> list[Path]:
    from dgpg_theory import plots as figures

    safe = _plain(results)
    written = figures.save_all(safe, out) if plots else []
    atomic_write(out / "results.csv", csv_text(safe["per_n"]))
    atomic_write(out / "results.json", json.dumps(safe, indent=1, allow_nan=False))
    return [*written, out / "results.csv", out / "results.json"]


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return f"{value:.{digits}g}"


def k_ci(key: str) -> str:
    return f"{key}_ci"


def table(results: dict) -> str:
    """The per-N table and the verdicts, as printed to stdout."""
    head = f"{'N':>5} {'K':>4} {'agents':>6} {'sigma2_J [CI]':>26} {'sigma2_G [CI]':>26} {'rho [CI]':>22} {'alpha*':>7}"
    head += f" {'minVar pred':>11} {'minVar emp':>11} {'relVar_J':>9} {'relVar_G':>9} {'own_J':>9} {'cross_J':>9}"
    lines = [head]
    for r in results["per_n"]:

        def ci(k: str, r: dict = r) -> str:
            return f"{_fmt(r[k])} [{_fmt(r[k + '_ci'][0], 2)}, {_fmt(r[k + '_ci'][1], 2)}]"

        def rel(k: str, r: dict = r) -> str:  # an open interval: only a lower bound is known
            return _fmt(r[k]) if r[k_ci(k)][1] is not None else f">{_fmt(r[k_ci(k)][0], 2)}"

        lines.append(
            f"{r['n']:>5} {r['n_clusters']:>4} {r['mean_agents']:>6.0f} {ci('sigma2_J'):>26} {ci('sigma2_G'):>26} "
            f"{ci('rho'):>22} {_fmt(r['alpha_star']):>7} {_fmt(r['min_var_predicted']):>11} "
            f"{_fmt(r['min_var_empirical']):>11} {rel('rel_var_J'):>9} {rel('rel_var_G'):>9} {_fmt(r['own_J']):>9} "
            f"{_fmt(r['cross_J']):>9}"
        )
    lines.append("")
    for slope in results["slopes"].values():
        lines.append(f"  {slope['verdict']}")
    for scale, block in results["by_reward_scale"].items():
        if scale != results["config"]["reward_scale"]:
            lines.append(f"  [{scale} reward] {block['slopes']['sigma2_J']['verdict']}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dgpg_theory.variance_scan",
        allow_abbrev=False,  # --quick keeps explicitly given flags; an abbreviation would not be seen as given
        description="Measure the per-agent gradient variances of Theorem 4.2 (σ_J², σ_G², ρ, α*, Eq 13) on the "
        "simulator at each N, and fit their scaling in N. Each (N, replicate) cell warms a test scenario up with "
        "Best-Fit, snapshots it, forks S copies and rolls a fixed policy out for H steps.",
    )
    p.add_argument(
        "--n",
        type=int,
        nargs="+",
        default=list(DEFAULT_N),
        help=f"numbers of servers N (distinct, each >= {MIN_SERVERS}); N <= 20: the action is a server, above: a "
        "cluster. Default: %(default)s",
    )
    p.add_argument(
        "--samples",
        type=int,
        default=SamplingConfig.copies,
        help="S, forked copies per snapshot = samples of each agent's estimate (>= 2). Default: %(default)s",
    )
    p.add_argument(
        "--replicates",
        type=int,
        default=8,
        help="R, snapshots per N (scenario and time of day differ; >= 2): intervals come from them. "
        "Default: %(default)s",
    )
    p.add_argument(
        "--policy",
        default="scoring",
        help=f"the fixed policy: {', '.join(POLICY_NAMES)} (see dgpg_theory.policies; 'flat' has a parameter count "
        "that grows with N), or checkpoint:PATH, a trained actor (best.pt or last.pt of python -m dgpg_theory.train) "
        "of the linear model (fits only the N it was trained at) or the scoring model (fits every N); its path, "
        "model, method and episode go into results.json. Default: %(default)s",
    )
    p.add_argument(
        "--reward-scale",
        choices=measurement.REWARD_SCALES,
        default="paper",
        help="the reward scaling of the table, figures and headline slopes: paper (H.3, divided by N), sum (×N) or "
        "normalized (return / its std over the fork batch, as the trainer standardizes); all three are in "
        "results.json. Default: %(default)s",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the policy and of every cell (cell (N, r) uses SeedSequence([seed, N, r])). Default: %(default)s",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("variance_scan_out"),
        help="output directory (created if missing; must be writable). Default: %(default)s",
    )
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="local: this machine (a process pool when --workers > 1); dask: a Dask distributed client "
        "(pip install '.[dask]'). Default: %(default)s",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        help="with --executor dask: the scheduler address (tcp://host:8786); without it a LocalCluster of --workers "
        "workers is started",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="local processes, or LocalCluster workers for dask without --scheduler (>= 1). Default: %(default)s",
    )
    p.add_argument(
        "--horizon",
        type=int,
        default=DEFAULT_HORIZON,
        help=f"H, rollout steps after the fork (γ = {GAMMA}; the default makes γ^H <= 0.05). Default: %(default)s",
    )
    p.add_argument(
        "--warmup",
        type=int,
        default=SamplingConfig.warmup_steps,
        help="Best-Fit warm-up steps before the snapshot (+ a replicate-dependent offset < 200). Default: %(default)s",
    )
    p.add_argument(
        "--nested-outer",
        type=int,
        default=SamplingConfig.nested_outer,
        help="own/cross split: fixed actions of one agent per cell (>= 2). Default: %(default)s",
    )
    p.add_argument(
        "--nested-inner",
        type=int,
        default=SamplingConfig.nested_inner,
        help="own/cross split: copies per fixed action (>= 2). Default: %(default)s",
    )
    p.add_argument(
        "--max-copies-per-batch",
        type=int,
        default=None,
        help="simulate at most this many copies at once (memory); default: chosen from N",
    )
    p.add_argument(
        "--false-alarm",
        type=float,
        default=DEFAULT_FALSE_ALARM,
        help="two-sided false-alarm rate of every interval and verdict. Default: %(default)s",
    )
    p.add_argument(
        "--connect-timeout", type=float, default=10.0, help="seconds to wait for a Dask scheduler. Default: %(default)s"
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"a small scan for notebooks and CI (≲ 1 min): N = {QUICK['n']}, S = {QUICK['samples']}, "
        f"R = {QUICK['replicates']}, H = {QUICK['horizon']}; explicit --n/--samples/--replicates/--horizon win",
    )
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _validated(args: argparse.Namespace, p: argparse.ArgumentParser, explicit: set[str]) -> SamplingConfig:
    """The sampling config of valid arguments (sets ``args.checkpoint``); p.error (exit 2) on the first bad one."""
    if args.quick:
        for key, value in QUICK.items():
            if key not in explicit:
                setattr(args, key, list(value) if key == "n" else value)
    if not args.n:
        p.error("--n is empty; allowed: one or more distinct server counts N >= 2")
    if len(set(args.n)) != len(args.n):
        p.error(f"--n {' '.join(map(str, args.n))} has duplicates; allowed: distinct server counts")
    for n in args.n:
        try:
            resolve_scale(n)
        except ValueError as error:
            p.error(f"--n {n}: {error}")
    if args.samples < 2:
        p.error(f"--samples {args.samples} is too small; allowed: S >= 2")
    if args.replicates < 2:
        p.error(f"--replicates {args.replicates} is too small; allowed: R >= 2 (intervals come from replicates)")
    if args.workers < 1:
        p.error(f"--workers {args.workers}; allowed: >= 1")
    if not args.connect_timeout > 0:
        p.error(f"--connect-timeout {args.connect_timeout}; allowed: > 0 seconds")
    if not 0 < args.false_alarm < 1:
        p.error(f"--false-alarm {args.false_alarm}; allowed: in (0, 1)")
    args.checkpoint = _validated_checkpoint(args, p)
    if args.policy not in POLICY_NAMES and args.checkpoint is None:
        p.error(f"--policy {args.policy} is unknown; allowed: {', '.join(POLICY_NAMES)} or {CHECKPOINT_PREFIX}PATH")
    if args.scheduler is not None and args.executor != "dask":
        p.error("--scheduler needs --executor dask")
    try:
        config = SamplingConfig(
            copies=args.samples,
            horizon=args.horizon,
            warmup_steps=args.warmup,
            nested_outer=args.nested_outer,
            nested_inner=args.nested_inner,
            max_copies_per_batch=args.max_copies_per_batch,
        )
    except ValueError as error:
        p.error(str(error))
    _check_writable(args.out, p)
    return config


def _validated_checkpoint(args: argparse.Namespace, p: argparse.ArgumentParser) -> Checkpoint | None:
    """The checkpoint of ``--policy checkpoint:PATH`` (None for another policy), read once and fitted to every
    --n. The policy is rewritten with the absolute path, so that workers in other directories find the file."""
    if not args.policy.startswith(CHECKPOINT_PREFIX):
        return None
    path = Path(args.policy[len(CHECKPOINT_PREFIX) :]).expanduser().absolute()
    try:
        checkpoint = read_checkpoint(str(path))
        for n in args.n:
            checkpoint_policy(checkpoint, resolve_scale(n))
    except ValueError as error:
        p.error(f"--policy {args.policy}: {error}")
    args.policy = f"{CHECKPOINT_PREFIX}{path}"
    return checkpoint


def _check_writable(out: Path, p: argparse.ArgumentParser) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".probe."):
            pass
    except OSError as error:
        p.error(f"--out {out} is not a writable directory: {error.strerror or error}")


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = p.parse_args(argv)
    explicit = {a.lstrip("-").split("=")[0].replace("-", "_") for a in argv if a.startswith("--")}
    config = _validated(args, p, explicit)
    try:
        results = run_scan(
            args.n, args.replicates, config, args.policy, args.reward_scale, args.seed, args.executor,
            args.workers, args.scheduler, args.false_alarm, progress=not args.no_progress,
            connect_timeout=args.connect_timeout, checkpoint=args.checkpoint,
        )  # fmt: skip
    except SweepError as error:
        print(f"variance_scan: error: {error}", file=sys.stderr)
        return 2
    paths = write_results(results, args.out, plots=not args.no_plots)
    print(table(_plain(results)))
    print(f"\nwall time {results['wall_seconds']:.1f} s ({results['cell_seconds']:.1f} s in cells); wrote:")
    for path in paths:
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
