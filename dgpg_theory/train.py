"""Train DG-PG, MAPPO or IPPO on the cloud-scheduling simulator and evaluate the best checkpoint on the 40 test
scenarios beside Best-Fit, Random and guidance-greedy.

    python -m dgpg_theory.train --method dgpg --n 5 --episodes 20 --preset nn --out runs/dgpg-n5 --json

Writes into --out: config.json (the resolved config), episodes.csv (one row per episode), last.pt (a resumable
checkpoint), best.pt (the best actor), result.json (summary, test rewards, references); TensorBoard logs too
when tensorboard is installed. Exit code 2 on bad input, with nothing written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dgpg_theory._io import check_writable_directory, json_text
from dgpg_theory.ppo.checkpoint import load_training_state
from dgpg_theory.ppo.config import METHODS, MODELS, PRESETS, preset_config
from dgpg_theory.ppo.trainer import DEVICES, Trainer
from sim.kernels import DEFAULT_QUEUE_MODEL, QUEUE_MODEL_HELP, QUEUE_MODELS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dgpg_theory.train",
        description="One PPO for DG-PG (Eq 11), MAPPO (central critic) and IPPO (local critic) with the paper's "
        "settings (App. I: Table 6 = --preset linear, Table 7 = --preset nn).",
    )
    parser.add_argument("--method", choices=METHODS, help="dgpg, mappo or ippo (required unless --resume)")
    parser.add_argument(
        "--n", type=int, help="number of servers N (Table 5 sizes or any N ≥ 2; required unless --resume)"
    )
    parser.add_argument("--k", type=int, default=None, help="number of action clusters K (default: Table 5 / N/5)")
    parser.add_argument(
        "--preset", choices=PRESETS, default="linear",
        help="linear: Table 6 (controlled comparison; default), nn: App. I.3 + Table 7, quick: a small smoke setting",
    )  # fmt: skip
    parser.add_argument(
        "--episodes", type=int, default=None,
        help="training episodes (default: the preset's; with --resume: continue up to this many, the schedules then "
        "span the new total)",
    )  # fmt: skip
    parser.add_argument("--rollouts", type=int, default=None, help="rollouts per episode (default: the preset's)")
    parser.add_argument("--parallel-envs", type=int, default=None, help="copies simulated together (default: preset)")
    parser.add_argument("--model", choices=MODELS, default=None, help="actor/critic model (default: the preset's)")
    parser.add_argument("--alpha", type=float, default=None, help="constant guidance weight α (default: §6.2 schedule)")
    parser.add_argument(
        "--torch-threads", type=int, default=None,
        help="torch intra-op threads (default 1; 2 is faster only with OMP_WAIT_POLICY=ACTIVE on an idle machine)",
    )  # fmt: skip
    parser.add_argument(
        "--device", default=None, metavar="|".join(DEVICES),
        help="where the PPO update runs: auto (CUDA when a GPU is available; the default of a new run), cpu, cuda "
        "or cuda:INDEX; with --resume the default is the device the checkpoint was trained on. Rollouts always "
        "run on the CPU simulator. A CUDA update rounds differently, so its numbers differ from a CPU run's of the "
        "same seed (the README's records are CPU runs)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=None, help="the run's seed (default 0)")
    parser.add_argument("--scenario-seed", type=int, default=None, help="seed of the scenario set (default 0)")
    parser.add_argument("--eval-mode", choices=("sample", "greedy"), default=None, help="test-time actions (sample)")
    parser.add_argument(
        "--queue-model", choices=sorted(QUEUE_MODELS), default=None,
        help=QUEUE_MODEL_HELP + f" Default: {DEFAULT_QUEUE_MODEL}",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=None, help="run directory (default: none, nothing is written)")
    parser.add_argument("--overwrite", action="store_true", help="allow --out to hold an earlier run")
    parser.add_argument(
        "--resume", type=Path, default=None,
        help="continue from a last.pt checkpoint (its config is kept; --out defaults to the checkpoint's directory)",
    )  # fmt: skip
    parser.add_argument("--no-eval", action="store_true", help="skip the test-scenario evaluation")
    parser.add_argument("--no-references", action="store_true", help="skip Best-Fit/Random/guidance-greedy")
    parser.add_argument("--json", action="store_true", help="print one JSON object (no progress bar)")
    return parser


def _overrides(args: argparse.Namespace) -> dict:
    names = {"episodes": "episodes", "rollouts": "rollouts", "parallel_envs": "parallel_envs", "model": "model",
             "alpha": "alpha", "k": "n_clusters", "seed": "seed", "scenario_seed": "scenario_seed",
             "eval_mode": "eval_mode", "torch_threads": "torch_threads", "queue_model": "queue_model"}  # fmt: skip
    return {field: getattr(args, flag) for flag, field in names.items() if getattr(args, flag) is not None}


def _check_out_dir(out: Path | None, overwrite: bool, resuming: bool) -> None:
    if out is None:
        return
    check_writable_directory(out)
    if (out / "config.json").exists() and not (overwrite or resuming):
        raise ValueError(f"--out {out} already holds a run; pass --overwrite or --resume, or choose another directory")


def _trainer(args: argparse.Namespace) -> Trainer:
    if args.resume is None:
        if args.method is None or args.n is None:
            raise ValueError("--method and --n are required (unless --resume)")
        config = preset_config(args.method, args.n, args.preset, **_overrides(args))
        return Trainer(config, out_dir=args.out, progress=not args.json, device=args.device or "auto")
    state = load_training_state(args.resume, label="--resume")
    saved = state["config"]
    fixed = ("--rollouts", "--parallel-envs", "--model", "--alpha", "--k", "--seed", "--scenario-seed", "--eval-mode",
             "--queue-model")  # fmt: skip
    given = [flag for flag in fixed if getattr(args, flag[2:].replace("-", "_")) is not None]
    if given:
        raise ValueError(f"{', '.join(given)} cannot be changed on --resume (the checkpoint's config is kept)")
    for flag, key, value in (("--method", "method", args.method), ("--n", "n_servers", args.n)):
        if value is not None and value != saved[key]:
            raise ValueError(
                f"--resume {args.resume} is a checkpoint of {key}={saved[key]!r}; {flag} {value!r} differs"
            )
    if args.episodes is not None and args.episodes < state["episode"]:
        raise ValueError(f"--episodes {args.episodes} is below the checkpoint's {state['episode']} completed episodes")
    if args.episodes is not None:
        saved = {**saved, "episodes": args.episodes}
    if args.torch_threads is not None:  # a machine setting, not part of what the run learns
        saved = {**saved, "torch_threads": args.torch_threads}
    out = args.resume.parent if args.out is None else args.out
    device = args.device or state.get("device", "cpu")  # a resumed run continues where it was trained
    return Trainer.from_checkpoint_state({**state, "config": saved}, out_dir=out, progress=not args.json, device=device)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        trainer = _trainer(args)
        _check_out_dir(args.out, args.overwrite, args.resume is not None)
    except ValueError as error:
        parser.error(str(error))
    result = trainer.train(evaluate=not args.no_eval, references=not args.no_references)
    if args.json:
        print(json_text(result.summary(), indent=None))
        return 0
    print(
        f"{result.method} at N={result.n}: best training reward {result.best_train_reward:.3f} (episode "
        f"{result.best_episode}), convergence episode {result.convergence_episode}, "
        f"{result.seconds_per_episode:.1f} s per episode"
    )
    if result.test_mean_reward is not None:
        print(f"best checkpoint on the test scenarios: {result.test_mean_reward:.3f} ± {result.test_std_reward:.3f}")
        for name, summary in result.references.items():
            print(f"  {name:16s} {summary['mean']:.3f} ± {summary['std']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
