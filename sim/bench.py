"""Simulator benchmark: agent decisions per second under a random policy, Best-Fit wall time on the 40 test
scenarios, and peak memory, for N in {5, 20, 50, 200, 1500}. Each N runs in a fresh process so that its peak
memory is its own.

    python -m sim.bench [--json] [--quick] [--n 5 20 ...] [--batch 256] [--steps 200]
        [--queue-model bounded-redispatch binding]

Goals on a 2-core machine (issue #2): ≥ 2,000,000 decisions/s at N = 200, B = 256; Best-Fit on the 40 test
scenarios at N = 200 in ≤ 10 s; N = 1500 within 4 GB. Each queue model is measured separately (binding grows
its local queues as needed, so its memory depends on how long the random policy's queues get).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import time
from queue import Empty

import numpy as np

from sim.kernels import DEFAULT_QUEUE_MODEL, QUEUE_MODEL_HELP, QUEUE_MODELS

DEFAULT_SIZES = (5, 20, 50, 200, 1500)
QUICK_SIZES = (5, 20)
WARMUP_STEPS = 300  # a random policy fills queues within a few hundred steps: time a loaded system


def measure(n_servers: int, batch: int, steps: int, bestfit_scenarios: int, queue_model: str) -> dict:
    """One N: decisions/s at batch ``batch`` after a warm-up, then Best-Fit over full test episodes."""
    from sim.env import BatchedEnv
    from sim.heuristics import run_episodes
    from sim.scenario import load_scenarios

    train = load_scenarios(n_servers, "train")
    env = BatchedEnv([train[i % len(train)] for i in range(batch)], workload_seed=1, queue_model=queue_model)
    decision = env.reset()
    rng = np.random.default_rng(0)
    for _ in range(WARMUP_STEPS):
        decision = env.step(rng.integers(0, env.n_clusters, decision.n_agents)).decision
    decisions, start = 0, time.perf_counter()
    for _ in range(steps):
        actions = rng.integers(0, env.n_clusters, decision.n_agents)
        decisions += len(actions)
        decision = env.step(actions).decision
    decisions_per_s = decisions / (time.perf_counter() - start)
    del env
    bestfit_s = None
    if bestfit_scenarios:
        start = time.perf_counter()
        run_episodes(load_scenarios(n_servers, "test", count=bestfit_scenarios), "best-fit", queue_model=queue_model)
        bestfit_s = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB
    return {
        "n": n_servers,
        "queue_model": queue_model,
        "batch": batch,
        "decisions_per_s": decisions_per_s,
        "bestfit_40_s": bestfit_s,
        "peak_mb": peak_mb,
    }


def _measure_in_child(queue, *args) -> None:
    try:
        queue.put(measure(*args))
    except Exception as error:  # reported as the row's "error" (e.g. binding queues refused for memory)
        queue.put({"error": f"{type(error).__name__}: {error}"})


def measure_isolated(n_servers: int, batch: int, steps: int, bestfit_scenarios: int, queue_model: str) -> dict:
    """``measure`` in a fresh process (spawned, so no memory is inherited); a failed or killed child gives a row
    with an "error" instead of its figures."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    args = (n_servers, batch, steps, bestfit_scenarios, queue_model)
    child = context.Process(target=_measure_in_child, args=(queue, *args))
    child.start()
    while True:
        try:
            row = queue.get(timeout=5)
            break
        except Empty:
            if not child.is_alive():  # killed before it could report (e.g. by the out-of-memory killer)
                row = {"error": f"the measuring process exited with code {child.exitcode}"}
                break
    child.join()
    if "error" in row:
        row = {"n": n_servers, "queue_model": queue_model, "batch": batch, **row}
    return row


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sim.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=None, help=f"server counts (default {DEFAULT_SIZES})")
    parser.add_argument("--batch", type=int, default=256, help="environment copies stepped together (default 256)")
    parser.add_argument("--batch-1500", type=int, default=256, help="copies at N ≥ 1000 (default 256)")
    parser.add_argument("--steps", type=int, default=200, help="timed steps after a 300-step warm-up (default 200)")
    parser.add_argument(
        "--bestfit-scenarios", type=int, default=40, help="test scenarios for the Best-Fit timing; 0 skips it"
    )
    parser.add_argument(
        "--bestfit-max-n",
        type=int,
        default=200,
        help="time Best-Fit only up to this N (default 200; its O(N) search per job makes N = 1500 take long); "
        "larger N report null",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"N in {QUICK_SIZES}, batch 32, 50 timed steps (overrides --batch and --steps)",
    )
    parser.add_argument("--queue-model", nargs="+", default=[DEFAULT_QUEUE_MODEL], choices=sorted(QUEUE_MODELS),
                        help="queue models to measure, each separately (binding's queue pools grow with the jobs "
                        "queued: sim/SPEC.md). Default: %(default)s, the default model. "
                        + QUEUE_MODEL_HELP)  # fmt: skip
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    sizes = args.n or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    batch, steps = (32, 50) if args.quick else (args.batch, args.steps)
    for name, value, low in (
        ("--batch", batch, 1),
        ("--steps", steps, 1),
        ("--batch-1500", args.batch_1500, 1),
        ("--bestfit-scenarios", args.bestfit_scenarios, 0),
        ("--bestfit-max-n", args.bestfit_max_n, 2),
    ):
        if value < low:
            parser.error(f"{name}={value} is too small; allowed: ≥ {low}")
    if args.bestfit_scenarios > 40:
        parser.error(f"--bestfit-scenarios={args.bestfit_scenarios}; allowed: 0 … 40 (the test split)")
    if any(n < 2 for n in sizes):
        parser.error(f"--n {sizes}: every N must be ≥ 2")
    if not args.json:
        print(f"{'model':>18} {'N':>6} {'batch':>6} {'decisions/s':>14} {'best-fit 40 (s)':>16} {'peak MB':>9}")
    for queue_model in args.queue_model:
        for n in sizes:
            copies = args.batch_1500 if n >= 1000 and not args.quick else batch
            bestfit = args.bestfit_scenarios if n <= args.bestfit_max_n else 0
            row = measure_isolated(n, copies, steps, bestfit, queue_model)
            print(json.dumps(row) if args.json else _table_row(row), flush=True)
    return 0


def _table_row(row: dict) -> str:
    if "error" in row:
        return f"{row['queue_model']:>18} {row['n']:>6} {row['batch']:>6}  {row['error']}"
    bestfit = "-" if row["bestfit_40_s"] is None else f"{row['bestfit_40_s']:.1f}"
    return (
        f"{row['queue_model']:>18} {row['n']:>6} {row['batch']:>6} {row['decisions_per_s']:>14,.0f} {bestfit:>16} "
        f"{row['peak_mb']:>9.0f}"
    )


if __name__ == "__main__":
    sys.exit(main())
