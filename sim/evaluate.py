"""Evaluate a reference policy on a scenario split: mean ± std of the episode reward (mean per-step reward, H.3),
and what it is made of: the queue penalty, the energy term, how often the queue leaves the paper's range.

python -m sim.evaluate --policy best-fit --n 20 [--split test] [--queue-model bounded-redispatch|binding]
    [--target-utilization U] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from sim.arguments import require_int
from sim.heuristics import POLICIES, EpisodeStatistics, episode_statistics
from sim.kernels import DEFAULT_QUEUE_MODEL, QUEUE_MODEL_HELP, QUEUE_MODELS
from sim.scales import resolve_scale
from sim.scenario import SPLIT_SIZES, TARGET_UTILIZATION_RANGE, load_scenarios

LOW, HIGH = TARGET_UTILIZATION_RANGE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sim.evaluate",
        description="Mean ± std of the episode reward of a reference policy over a split's scenarios, with its "
        "queue penalty and energy term (reward = −(queue penalty + energy term)).",
    )
    parser.add_argument("--policy", required=True, choices=POLICIES, help="the policy to evaluate")
    parser.add_argument("--n", required=True, type=int, help="number of servers N (a Table 5 size or any N ≥ 2)")
    parser.add_argument("--k", type=int, default=None, help="number of action clusters K (default: Table 5 / N/5)")
    parser.add_argument("--split", default="test", choices=sorted(SPLIT_SIZES), help="scenario split (default test)")
    parser.add_argument("--count", type=int, default=None, help="evaluate only the first COUNT scenarios")
    parser.add_argument("--scenario-seed", type=int, default=0, help="seed of the scenario set (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random policy's choices (default 0)")
    parser.add_argument("--queue-model", default=DEFAULT_QUEUE_MODEL, choices=sorted(QUEUE_MODELS),
                        help=QUEUE_MODEL_HELP + " Default: %(default)s")  # fmt: skip
    parser.add_argument("--target-utilization", type=float, default=None, metavar="U",
                        help="load every scenario to bottleneck utilization U in (0, 1]: λ̄ recalibrated, same "
                        "servers and workload seeds. Default: each scenario's own draw, uniform in "
                        f"[{LOW}, {HIGH}] (H.1)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a sentence")
    return parser


def _mean_std(name: str, values: np.ndarray) -> dict[str, float]:
    """mean_<name> and std_<name> over the scenarios (std with ddof = 1; 0 for a single scenario)."""
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return {f"mean_{name}": float(values.mean()), f"std_{name}": std}


def summary_row(args: argparse.Namespace, n_servers: int, stats: EpisodeStatistics, seconds: float) -> dict:
    """The --json object: the run's settings, then means (and std where the spread matters) over scenarios."""
    return {
        "policy": args.policy,
        "n": n_servers,
        "split": args.split,
        "queue_model": args.queue_model,
        "target_utilization": args.target_utilization,  # null: the H.1 draw
        **_mean_std("reward", stats.reward),
        **_mean_std("queue_penalty", stats.queue_penalty),  # weight 1: the queue term itself
        **_mean_std("energy_term", stats.energy_term),  # 20 · energy penalty: reward = −(queue + energy term)
        "mean_frac_steps_queue_above_20": float(stats.frac_steps_queue_above_20.mean()),
        "mean_frac_jobs_waiting_at_end": float(stats.frac_jobs_waiting_at_end.mean()),
        "n_scenarios": len(stats.reward),
        "seconds": seconds,
    }


def sentence(row: dict, n_clusters: int) -> str:
    """The row in words, for a terminal."""
    load = "H.1 load" if row["target_utilization"] is None else f"utilization {row['target_utilization']}"
    return (
        f"{row['policy']} at N={row['n']} (K={n_clusters}), {row['split']} split, {row['queue_model']}, {load}: "
        f"{row['mean_reward']:.3f} ± {row['std_reward']:.3f} over {row['n_scenarios']} scenarios "
        f"({row['seconds']:.1f} s); queue penalty {row['mean_queue_penalty']:.3f}, energy term "
        f"{row['mean_energy_term']:.3f}; queue penalty > 20 in {row['mean_frac_steps_queue_above_20']:.1%} of "
        f"steps, {row['mean_frac_jobs_waiting_at_end']:.1%} of jobs still waiting at the end"
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        scale = resolve_scale(args.n, args.k)
        scenarios = load_scenarios(scale, args.split, args.scenario_seed, args.count, args.target_utilization)
        require_int("seed", args.seed, low=0)
    except ValueError as error:
        parser.error(str(error))
    start = time.perf_counter()
    stats = episode_statistics(
        scenarios, args.policy, seed=args.seed, progress=not args.json, queue_model=args.queue_model
    )
    row = summary_row(args, scale.n_servers, stats, time.perf_counter() - start)
    print(json.dumps(row) if args.json else sentence(row, scale.n_clusters))
    return 0


if __name__ == "__main__":
    sys.exit(main())
