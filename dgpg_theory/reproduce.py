"""``python -m dgpg_theory.reproduce fig2|fig3|fig4|fig5|table9|compare [--quick]``: train what a figure or
table of §6 needs and regenerate it.

    python -m dgpg_theory.reproduce fig3 --quick            # a small version (about a minute)
    python -m dgpg_theory.reproduce fig4 --out results/reproduce --n 5 10 20 --episodes 50 --json

The targets (paper §6.2–6.4, App. I–K):

- ``fig2`` (§6.2): DG-PG, NN preset (App. I.3, Table 7), N = 50, constant α ∈ {0.2, 0.4, 0.6, 0.8}, 200
  episodes: training reward against episode, one curve per α.
- ``fig3`` (§6.3): the controlled comparison, linear preset (Table 6), N ∈ {2, 5, 10}: DG-PG (200 episodes,
  the α schedule of §6.2), MAPPO and IPPO (500 episodes), training reward against episode. The dashed Best-Fit
  line is Best-Fit's mean episode reward on the 200 *training* scenarios of that N (each scenario's own job
  trace), i.e. on the scenario distribution the training curves sample from. It is not the same draws: a
  training episode samples scenarios uniformly with fresh job traces.
- ``fig4`` (§6.4, Table 1): DG-PG, NN preset, N ∈ {5, 10, 20, 50, 100, 200}, 200 episodes each: the best
  checkpoint's test reward (mean ± std over the 40 test scenarios) against N, beside Best-Fit and Random (and
  guidance-greedy, our extra reference) on the same scenarios; Table 1 is written as table1.csv.
- ``fig5`` (§6.4): the same runs as fig4: training reward against episode, one curve per N.
- ``table9`` (App. K): the same runs: per N the convergence episode (the first episode within 10 % of the best
  training reward, dgpg_theory.ppo.evaluation.convergence_episode), the time to converge (convergence episode ×
  mean seconds per episode), seconds per episode with its rollout/update split, and the total training time.
  Times are wall-clock on this machine, training only (not scenario generation or the final evaluation).
- ``compare`` (ours; §6.3's comparison with statistics): DG-PG, MAPPO and IPPO with the NN preset at N ∈ {5, 10},
  seeds 0–4, each the first 10 episodes (Table 9's bound) of the 200-episode schedule: per N and method the IQM
  of the best checkpoint's test reward and of its gap to Best-Fit with 95 % stratified-bootstrap intervals over
  (seed, test scenario), the probability of improvement between methods, Table 9's convergence episode per seed,
  and training curves with intervals across seeds (dgpg_theory.reproduction.comparison).

``--quick`` is a small version for notebooks and CI, not evidence: the ``quick`` preset (Table 6's linear model,
4 rollouts per episode), few episodes and small N (fig2 at N = 5; fig3 at N ∈ {2, 5} with the same number of
episodes for all three methods; fig4/fig5/table9 at N ∈ {5, 10}). Each quick target takes about 30–90 s here.

Runs are cached in ``--out`` (default results/reproduce), one directory per run under ``runs/``, reused when
finished and resumed when interrupted (dgpg_theory.reproduction.runs); ``--force`` retrains. The files each
target writes are listed in dgpg_theory.reproduction.targets. Expected full-mode times on this 2-core machine
are in ``--help``, computed from measured seconds per episode (how: dgpg_theory.reproduction.runs); the CLI
prints its estimate for the runs still to train before it starts.

Exit code 2 on bad input (unknown target, N < 2, episodes < 1, an unwritable --out, a cached run with another
config), with a message and nothing written.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from dgpg_theory import _io
from dgpg_theory.reproduction.runs import (
    TARGETS,
    check_cache,
    duration_text,
    expected_seconds,
    is_finished,
    measured_text,
    plan,
)
from dgpg_theory.reproduction.tables import report
from dgpg_theory.reproduction.targets import DEFAULT_OUT, reproduce

TARGET_HELP = {
    "fig2": "DG-PG, NN preset, N=50, constant alpha in {0.2,0.4,0.6,0.8}, 200 episodes (Sec 6.2)",
    "fig3": "linear preset (Table 6), N in {2,5,10}: DG-PG 200 episodes, MAPPO and IPPO 500; dashed line = "
    "Best-Fit's mean reward on the 200 training scenarios (Sec 6.3)",
    "fig4": "DG-PG, NN preset, N in {5,10,20,50,100,200}, 200 episodes: best checkpoint's test reward vs N beside "
    "Best-Fit, Random, guidance-greedy; also table1.csv (Sec 6.4)",
    "fig5": "the fig4 runs: training reward vs episode per N (Sec 6.4)",
    "table9": "the fig4 runs: convergence episode, time to converge, s/episode (rollout/update), total (App. K)",
    "compare": "DG-PG, MAPPO, IPPO, NN preset, N in {5,10}, seeds 0-4, the first 10 of 200 episodes: IQM [95% "
    "stratified bootstrap CI] of the test reward and of the gap to Best-Fit, probability of improvement, "
    "convergence episode per seed, curves with intervals (ours, Sec 6.3)",
}


def epilog() -> str:
    """The targets, and each one's expected full-mode time computed from the measured seconds per episode."""
    lines = ["targets:"]
    for target, text in TARGET_HELP.items():
        lines += textwrap.wrap(text, 100, initial_indent=f"  {target:7s} ", subsequent_indent=" " * 10)
    lines += ["", "expected full-mode time on a 2-core machine, from the measured seconds per episode"]
    lines += textwrap.wrap(f"({measured_text()}; NN above N = 50 extrapolated, could be off by 2x):", 100)
    for target in ("fig2", "fig3", "fig4", "compare"):
        lines.append(f"  {target}: ~{duration_text(expected_seconds(plan(target).runs))}")
    partial = duration_text(expected_seconds(plan("fig4", n_values=(5, 10, 20, 50)).runs))
    lines.append(f"  (fig4, fig5 and table9 share their runs; with --n 5 10 20 50: ~{partial})")
    lines += textwrap.wrap("--quick: the quick preset, 6-8 episodes, N=5 (fig2), N in {2,5} (fig3), N in {5,10} "
                           "(fig4/5, table9): about 30-90 s per target. Quick numbers illustrate; they are not "
                           "evidence.", 100)  # fmt: skip
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dgpg_theory.reproduce",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
        description="Train what a figure or table of the paper's §6 needs (DG-PG, MAPPO, IPPO with the paper's "
        "presets) and regenerate it into --out. Runs are cached per config in --out/runs and reused; an "
        "interrupted run resumes from its last.pt.",
        epilog=epilog(),
    )
    add = parser.add_argument
    # fmt: off
    add("target", choices=TARGETS, help="what to regenerate (see below)")
    add("--quick", action="store_true", help="a small version for notebooks and CI (see below)")
    add("--out", type=Path, default=DEFAULT_OUT, help="directory of the figures, numbers and run cache "
        "(default: %(default)s)")
    add("--seeds", "--seed", type=int, nargs="+", default=None, metavar="SEED", help="the runs' seeds (each >= 0; "
        "default 0, for compare 0 1 2 3 4 (quick: 0 1)); several only for compare; part of the cache key")
    add("--episodes", type=int, default=None, help="training episodes of every run of the target (default: the "
        "paper's, or the quick setting's; note that the alpha schedule and decays stretch over the episodes; for "
        "compare: how many episodes of the fixed 200-episode schedule are trained, default 10)")
    add("--n", type=int, nargs="+", default=None, metavar="N", help="server counts N to run (each >= 2; default: "
        "the target's, see below)")
    add("--json", action="store_true", help="print the numbers as one JSON object (no progress bars)")
    add("--force", action="store_true", help="retrain the target's runs even if cached (deletes their run "
        "directories)")
    # fmt: on
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _io.check_writable_directory(args.out)
        the_plan = plan(args.target, args.quick, args.n, args.episodes, args.seeds)
        check_cache(args.out, the_plan.runs, args.force)
    except ValueError as error:
        parser.error(str(error))
    todo = [spec for spec in the_plan.runs if args.force or not is_finished(args.out, spec)]
    if not args.json:
        print(
            f"{args.target}: {len(the_plan.runs)} runs, {len(todo)} to train; expected ≈ "
            f"{duration_text(expected_seconds(todo))} of training on a 2-core machine",
            file=sys.stderr,
        )
    numbers = reproduce(args.target, args.out, args.quick, args.n, args.episodes, args.seeds, args.force,
                        progress=not args.json)  # fmt: skip
    print(_io.json_text(numbers, indent=None) if args.json else report(numbers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
