"""Per-episode wall time of DG-PG training with Table 7's settings (the `nn` preset), split into rollout and
update, against the paper's Apple-M1 (8-core) times of Table 9.

    python -m dgpg_theory.train_bench --n 5 10 20 [--episodes 2] [--device auto|cpu|cuda] [--json]

Speed is a benchmark, not a test: this prints figures and asserts nothing. Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from dgpg_theory._io import json_text
from dgpg_theory.ppo import Trainer, preset_config
from dgpg_theory.ppo.trainer import DEVICES, resolve_device

PAPER_SECONDS_PER_EPISODE = {5: 9.0, 10: 12.0, 20: 20.0, 100: 150.0, 200: 210.0}  # Table 9 (Apple M1, 8 cores)


def warm_up(device: str = "cpu") -> None:
    """One tiny episode first, so that loading numba's compiled kernels and torch's first calls are not timed."""
    tiny = preset_config("dgpg", 2, "quick", rollouts=1, parallel_envs=1, minibatch=256, critic_epochs=1,
                         actor_epochs=1)  # fmt: skip
    Trainer(tiny, device=device).train_episode()


def measure(n_servers: int, episodes: int, seed: int = 0, device: str = "cpu") -> dict:
    """Train ``episodes`` episodes of the nn preset at N and return the mean rollout / update seconds."""
    trainer = Trainer(preset_config("dgpg", n_servers, "nn", seed=seed), device=device)
    rows = [trainer.train_episode() for _ in range(episodes)]
    rollout = float(np.mean([r["rollout_seconds"] for r in rows]))
    update = float(np.mean([r["update_seconds"] for r in rows]))
    return {
        "n": n_servers,
        "device": str(trainer.device),
        "episodes_timed": episodes,
        "rollouts": trainer.config.rollouts,
        "decisions_per_episode": float(np.mean([r["decisions"] for r in rows])),
        "rollout_seconds": rollout,
        "update_seconds": update,
        "seconds_per_episode": rollout + update,
        "update_share": update / (rollout + update),
        "paper_seconds_per_episode": PAPER_SECONDS_PER_EPISODE.get(n_servers),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dgpg_theory.train_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[5, 10, 20], help="server counts N (default 5 10 20)")
    parser.add_argument("--episodes", type=int, default=2, help="episodes timed per N (default 2)")
    parser.add_argument(
        "--device", default="auto", metavar="|".join(DEVICES),
        help="where the update runs: auto (CUDA when available; default), cpu, cuda or cuda:INDEX",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    args = parser.parse_args(argv)
    if args.episodes < 1 or any(n < 2 for n in args.n):
        parser.error(f"--episodes {args.episodes} and --n {args.n}: allowed episodes ≥ 1 and every N ≥ 2")
    try:
        device = str(resolve_device(args.device))
    except ValueError as error:
        parser.error(str(error))
    if not args.json:
        print(f"update on {device}")
        print(f"{'N':>5} {'rollout s':>10} {'update s':>9} {'s/episode':>10} {'update %':>9} {'paper s':>8}")
    warm_up(device)
    for n in args.n:
        row = measure(n, args.episodes, device=device)
        if args.json:
            print(json_text(row, indent=None), flush=True)
        else:
            paper = row["paper_seconds_per_episode"]
            print(
                f"{n:>5} {row['rollout_seconds']:>10.1f} {row['update_seconds']:>9.1f} "
                f"{row['seconds_per_episode']:>10.1f} "
                f"{100 * row['update_share']:>8.0f}% {paper if paper else '—':>8}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
