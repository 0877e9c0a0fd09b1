"""``python -m dgpg_theory.variance_scan``: σ_J², σ_G², ρ, α* and the scaling laws of Theorem 4.2 on the simulator.

    python -m dgpg_theory.variance_scan --n 5 10 20 50 100 200 [--samples S] [--replicates R] [--policy P]
        [--reward-scale paper|sum|normalized] [--seed SEED] [--out DIR] [--executor local|dask]
        [--scheduler ADDRESS] [--workers W] [--quick] [--estimators plain,loo,coma,ob,difference,dg|all]

Prints a table, writes results.json, results.csv and five PNG figures to --out (each file atomically: an
interrupted run leaves no half-written file). The default scan (N = 5…200, S = 48, R = 32, binding) took 9 min
25 s on a 2-core machine with 2 workers (13 min 17 s on a slower day, 2026-12-03); its size comes from
``python -m dgpg_theory.scan_plan`` on a pilot.
The scan itself is ``measurement.scan.run_scan``; what a sample is, ``measurement.samples``; the statistics and
verdicts, ``measurement.moments``. Bad input exits with code 2.

``--estimators`` (default plain,loo,dg: no extra rollouts, every number of the default scan as before) measures
the estimator family of Table 2 side by side (measurement.counterfactuals): coma, ob and difference need the
counterfactual groups, which add about half a cell's rollouts (``--estimators all`` on N = 5…200: 18 min 56 s on
2026-12-03); a second table and estimators.png report them.

``--policy checkpoint:PATH`` measures a trained actor of ``python -m dgpg_theory.train`` (a run's best.pt or
last.pt; linear or scoring model, measurement.checkpoints): it is loaded once here and checked against every
--n before any cell runs (a linear actor fits only its own N); each cell then reads it again from PATH.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dgpg_theory._io import check_writable_directory
from dgpg_theory.measurement.checkpoints import CHECKPOINT_PREFIX, checkpoint_path
from dgpg_theory.measurement.counterfactuals import COUNTERFACTUAL_ESTIMATORS, ESTIMATORS
from dgpg_theory.measurement.moments import REWARD_SCALES
from dgpg_theory.measurement.policies import POLICY_NAMES
from dgpg_theory.measurement.scan import (
    QUICK,
    Execution,
    ScanConfig,
    checked_checkpoint,
    plain_results,
    run_scan,
    table,
    write_results,
)
from dgpg_theory.measurement.sweep import EXECUTORS, SweepError
from sim.arguments import ArgumentError, explicit_flags
from sim.kernels import QUEUE_MODEL_HELP, QUEUE_MODELS
from sim.scales import MIN_SERVERS

FLAGS = {"warmup_steps": "--warmup", "copies": "--samples"}  # fields whose flag is not --field-name
DEFAULTS, EXECUTION_DEFAULTS = ScanConfig(), Execution()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dgpg_theory.variance_scan",
        allow_abbrev=False,  # --quick keeps explicitly given flags; an abbreviation would not be seen as given
        description="Measure the per-agent gradient variances of Theorem 4.2 (σ_J², σ_G², ρ, α*, Eq 13) on the "
        "simulator at each N, and fit their scaling in N. Each (N, replicate) cell warms a test scenario up with "
        "Best-Fit, snapshots it, forks S copies and rolls a fixed policy out for H steps.",
    )
    add = p.add_argument
    # fmt: off
    add("--n", type=int, nargs="+", default=list(DEFAULTS.n), help=f"numbers of servers N (distinct, each >= "
        f"{MIN_SERVERS}); N <= 20: the action is a server, above: a cluster. Default: %(default)s")
    add("--samples", type=int, default=DEFAULTS.samples, help="S, forked copies per snapshot = samples of each "
        "agent's estimate (>= 2). Default: %(default)s")
    add("--replicates", type=int, default=DEFAULTS.replicates, help="R, snapshots per N (scenario and time of day "
        "differ; >= 2): intervals come from them. Default: %(default)s")
    add("--policy", default=DEFAULTS.policy, help=f"the fixed policy: {', '.join(POLICY_NAMES)} (see "
        "dgpg_theory.measurement.policies; 'flat' has a parameter count that grows with N), or checkpoint:PATH, a "
        "trained actor (best.pt or last.pt of python -m dgpg_theory.train) of the linear model (fits only the N "
        "it was trained at) or the scoring model (fits every N); its path, model, method and episode go into "
        "results.json. Default: %(default)s")
    add("--reward-scale", choices=REWARD_SCALES, default=DEFAULTS.reward_scale, help="the reward scaling of the "
        "table, figures and headline slopes: paper (H.3, divided by N), sum (×N) or normalized (return / its std "
        "over the fork batch, as the trainer standardizes); all three are in results.json. Default: %(default)s")
    add("--seed", type=int, default=DEFAULTS.seed, help="seed of the policy and of every cell (cell (N, r) uses "
        "SeedSequence([seed, N, r])). Default: %(default)s")
    add("--out", type=Path, default=Path("variance_scan_out"), help="output directory (created if missing; must "
        "be writable). Default: %(default)s")
    add("--executor", choices=EXECUTORS, default=EXECUTION_DEFAULTS.executor, help="local: this machine (a process "
        "pool when --workers > 1); dask: a Dask distributed client (pip install '.[dask]'). Default: %(default)s")
    add("--scheduler", default=None, help="with --executor dask: the scheduler address (tcp://host:8786); "
        "without it a LocalCluster of --workers workers is started")
    add("--workers", type=int, default=min(2, os.cpu_count() or 1), help="local processes, or LocalCluster "
        "workers for dask without --scheduler (>= 1). Default: %(default)s")
    add("--horizon", type=int, default=DEFAULTS.horizon, help=f"H, rollout steps after the fork (γ = "
        f"{DEFAULTS.gamma}; the default makes γ^H <= 0.05). Default: %(default)s")
    add("--warmup", type=int, default=DEFAULTS.warmup_steps, help="snapshots fall in [WARMUP, WARMUP + 1000), "
        "one tidal period, replicate r in phase r mod 4 (rising, peak, falling, trough) at a step seeded by (--seed, "
        "r); Best-Fit runs until then. Default: %(default)s")
    add("--nested-outer", type=int, default=DEFAULTS.nested_outer, help="own/cross split: fixed actions of one "
        "agent per cell (>= 2). Default: %(default)s")
    add("--nested-inner", type=int, default=DEFAULTS.nested_inner, help="own/cross split: copies per fixed "
        "action (>= 2). Default: %(default)s")
    add("--max-copies-per-batch", type=int, default=None, help="simulate at most this many copies at once "
        "(memory); default: chosen from N")
    add("--false-alarm", type=float, default=DEFAULTS.false_alarm, help="two-sided false-alarm rate of every "
        "interval and verdict. Default: %(default)s")
    add("--connect-timeout", type=float, default=EXECUTION_DEFAULTS.connect_timeout, help="seconds to wait for a Dask "
        "scheduler. Default: %(default)s")
    add("--quick", action="store_true", help=f"a small scan for notebooks and CI (≲ 1 min): N = {QUICK['n']}, "
        f"S = {QUICK['samples']}, R = {QUICK['replicates']}, H = {QUICK['horizon']}; explicit "
        "--n/--samples/--replicates/--horizon win")
    add("--target-utilization", type=float, default=None, help="the scenarios' load: the bottleneck utilization "
        "their arrival rate is calibrated to, in (0, 1] (e.g. 0.6, a lighter load). Default: H.1's draw in "
        "[0.80, 0.85] per scenario")
    add("--queue-model", choices=sorted(QUEUE_MODELS), default=DEFAULTS.queue_model,
        help=QUEUE_MODEL_HELP + " Default: %(default)s")
    add("--estimators", default=",".join(DEFAULTS.estimators), help=f"the estimator family of Table 2 to measure "
        f"side by side: a comma list of {', '.join(ESTIMATORS)}, or all (dgpg_theory.measurement.counterfactuals). "
        f"{', '.join(COUNTERFACTUAL_ESTIMATORS)} need counterfactual rollouts (every action of a tested agent and "
        "its job removed, with common random numbers; all on N = 5…200 took 18 min 56 s against 13 min 17 s for "
        "the default), and then every estimator "
        "is evaluated on those copies; without them plain, loo, dg use the fork copies. Default: %(default)s")
    add("--counterfactual-agents", type=int, default=DEFAULTS.counterfactual_agents, help="tested fork-step agents "
        "per snapshot in the counterfactual groups (>= 1). Default: %(default)s")
    add("--counterfactual-copies", type=int, default=None, help="copies with independent futures in the "
        "counterfactual groups (>= 2); default: C with C·agents·(K + 1) ≈ half the fork's and nested batches' rollouts")
    add("--no-plots", action="store_true", help="skip the figures")
    add("--no-progress", action="store_true", help="no progress bar")
    # fmt: on
    return p


def config_from(args: argparse.Namespace, explicit: set[str]) -> tuple[ScanConfig, Execution]:
    """The ScanConfig and Execution of the parsed flags; with --quick, ``args`` first takes QUICK's values for
    every flag not given explicitly."""
    if args.quick:
        for key, value in QUICK.items():
            if key not in explicit:
                setattr(args, key, list(value) if key == "n" else value)
    policy, path = args.policy, checkpoint_path(args.policy)
    if path is not None:  # absolute: workers in other directories must find the file
        policy = f"{CHECKPOINT_PREFIX}{Path(path).expanduser().absolute()}"
    return ScanConfig(
        n=tuple(args.n), samples=args.samples, replicates=args.replicates, policy=policy,
        reward_scale=args.reward_scale, seed=args.seed, horizon=args.horizon, warmup_steps=args.warmup,
        nested_outer=args.nested_outer, nested_inner=args.nested_inner,
        max_copies_per_batch=args.max_copies_per_batch, false_alarm=args.false_alarm, queue_model=args.queue_model,
        target_utilization=args.target_utilization, estimators=args.estimators,
        counterfactual_agents=args.counterfactual_agents, counterfactual_copies=args.counterfactual_copies,
    ), Execution(
        executor=args.executor, workers=args.workers, scheduler=args.scheduler, connect_timeout=args.connect_timeout
    )  # fmt: skip


def _flag(field: str) -> str:
    return FLAGS.get(field, "--" + field.replace("_", "-"))


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = p.parse_args(argv)
    explicit = explicit_flags(argv)
    try:
        config, execution = config_from(args, explicit)
    except ArgumentError as error:
        p.error(f"{_flag(error.name)}: {error}")
    try:
        checkpoint = checked_checkpoint(config)
    except ValueError as error:
        p.error(f"--policy {args.policy}: {error}")
    try:
        check_writable_directory(args.out)
    except ValueError as error:
        p.error(str(error))
    try:
        results = run_scan(config, execution, progress=not args.no_progress, checkpoint=checkpoint)
    except SweepError as error:
        print(f"variance_scan: error: {error}", file=sys.stderr)
        return 2
    paths = write_results(results, args.out, plots=not args.no_plots)
    print(table(plain_results(results)))
    print(f"\nwall time {results['wall_seconds']:.1f} s ({results['cell_seconds']:.1f} s in cells); wrote:")
    for path in paths:
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
