"""Evaluate a reference policy on a scenario split: mean ± std of the episode reward (mean per-step reward, H.3).

python -m sim.evaluate --policy best-fit --n 20 [--split test] [--queue-model bounded-redispatch|binding] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from sim.arguments import require_int
from sim.env import DEFAULT_QUEUE_MODEL
from sim.heuristics import POLICIES, run_episodes
from sim.kernels import QUEUE_MODELS
from sim.scales import resolve_scale
from sim.scenario import SPLIT_SIZES, load_scenarios


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sim.evaluate",
        description="Mean ± std of the episode reward of a reference policy over a split's scenarios.",
    )
    parser.add_argument("--policy", required=True, choices=POLICIES, help="the policy to evaluate")
    parser.add_argument("--n", required=True, type=int, help="number of servers N (a Table 5 size or any N ≥ 2)")
    parser.add_argument("--k", type=int, default=None, help="number of action clusters K (default: Table 5 / N/5)")
    parser.add_argument("--split", default="test", choices=sorted(SPLIT_SIZES), help="scenario split (default test)")
    parser.add_argument("--count", type=int, default=None, help="evaluate only the first COUNT scenarios")
    parser.add_argument("--scenario-seed", type=int, default=0, help="seed of the scenario set (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random policy's choices (default 0)")
    parser.add_argument("--queue-model", default=DEFAULT_QUEUE_MODEL, choices=sorted(QUEUE_MODELS),
                        help="bounded-redispatch: local queues of at most 50 jobs, overflow re-dispatched by the "
                        "cluster manager; binding: the agent's placement is final, queues unbounded (sim/SPEC.md, "
                        "Queue models). Default: %(default)s")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a sentence")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        scale = resolve_scale(args.n, args.k)
        scenarios = load_scenarios(scale, args.split, args.scenario_seed, args.count)
        require_int("seed", args.seed, low=0)
    except ValueError as error:
        parser.error(str(error))
    start = time.perf_counter()
    rewards = run_episodes(scenarios, args.policy, seed=args.seed, progress=not args.json, queue_model=args.queue_model)
    seconds = time.perf_counter() - start
    row = {
        "policy": args.policy,
        "n": scale.n_servers,
        "split": args.split,
        "queue_model": args.queue_model,
        "mean_reward": float(rewards.mean()),
        "std_reward": float(rewards.std(ddof=1)) if len(rewards) > 1 else 0.0,
        "n_scenarios": len(scenarios),
        "seconds": seconds,
    }
    if args.json:
        print(json.dumps(row))
    else:
        print(
            f"{row['policy']} at N={row['n']} (K={scale.n_clusters}), {row['split']} split, {args.queue_model}: "
            f"{row['mean_reward']:.3f} ± {row['std_reward']:.3f} over {row['n_scenarios']} scenarios "
            f"({seconds:.1f} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
