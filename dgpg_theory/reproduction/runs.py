"""The runs of a reproduction target (paper §6): what each target trains, how long that takes, and the run cache.

A target's ``Plan`` is a tuple of ``RunSpec`` (method, N, preset, episodes, α, seed, and optionally how many of
the episodes to train), each the preset config of ``dgpg_theory.ppo.config`` with those fields set; a target runs
every spec once per seed. Runs are cached under ``OUT/runs/NAME`` (the name is built from
the spec), holding what ``python -m dgpg_theory.train`` writes (config.json, episodes.csv, last.pt, best.pt,
result.json). A finished run (result.json beside a config.json equal to the requested config) is reused, so
fig4, fig5 and table9 share their runs; an interrupted run resumes from its last.pt (bit-identically, see
dgpg_theory.ppo.trainer). A directory whose config.json differs from the requested config (e.g. after a change
of a default) is an error unless ``force``, which retrains.

Expected times (``expected_seconds``, printed by the CLI before it starts and, for each full target, in its
``--help``) come from measured seconds per training episode on this project's 2-core machine (DG-PG; MAPPO and
IPPO collect and update as much): NN preset N = 5, 10, 20, 50 and linear preset N = 2, 5, 10 (``MEASURED_SECONDS``;
linear N = 2 and 10: one episode each, measured while the machine was shared, so noisy); between measured points
they are interpolated in N. For the NN preset above N = 50 they are an *extrapolation* from N = 50 — rollout time
∝ decisions per episode (rollouts × N, Table 7), update time ∝ decisions × hidden width (Table 7) — that can be
off by a factor of two either way. For comparison, the paper's Table 9 reports ≈ 0.5, 0.7, 1.1, 8 and 12 h per
200-episode run at N = 5, 10, 20, 100, 200 on an Apple M1.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dgpg_theory import _io
from dgpg_theory.ppo.config import METHODS, TrainConfig, preset_config
from sim.arguments import require_int
from sim.scales import resolve_scale

TARGETS = ("fig2", "fig3", "fig4", "fig5", "table9", "compare")
SCALING_TARGETS = ("fig4", "fig5", "table9")  # one set of runs (§6.4)
ALPHAS = (0.2, 0.4, 0.6, 0.8)  # Figure 2's grid


# ----------------------------------------------------------------------------------------------------------
# What each target trains
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSpec:
    """One training run: the preset config of (method, N, preset) with episodes, α and seed set."""

    method: str
    n: int
    preset: str
    episodes: int
    alpha: float | None  # None: the §6.2 schedule (DG-PG) or no guidance (MAPPO, IPPO)
    seed: int
    trained: int | None = None  # train only the first this many of the schedule's episodes (None: all)

    @property
    def guidance(self) -> str:
        """The guidance weight of Eq 11 in words: "none" (MAPPO, IPPO), "schedule" (§6.2) or "alpha0.4"."""
        if self.method != "dgpg":
            return "none"
        return "schedule" if self.alpha is None else f"alpha{self.alpha:g}"

    @property
    def name(self) -> str:
        first = "" if self.trained is None else f"-first{self.trained}"
        return f"{self.method}-n{self.n}-{self.preset}-{self.guidance}-ep{self.episodes}{first}-seed{self.seed}"

    def config(self) -> TrainConfig:
        return preset_config(self.method, self.n, self.preset, episodes=self.episodes, alpha=self.alpha, seed=self.seed)


@dataclass(frozen=True)
class Plan:
    target: str
    quick: bool
    n_values: tuple[int, ...]
    runs: tuple[RunSpec, ...]
    evaluate: bool  # whether the target needs the best checkpoint's test reward
    references: bool = False  # whether it needs each run's reference policies (compare scores Best-Fit once per N)
    seeds: tuple[int, ...] = (0,)


FULL_N = {"fig2": (50,), "fig3": (2, 5, 10), "scaling": (5, 10, 20, 50, 100, 200), "compare": (5, 10)}
QUICK_N = {"fig2": (5,), "fig3": (2, 5), "scaling": (5, 10), "compare": (5,)}
QUICK_EPISODES = {"fig2": 6, "fig3": 6, "scaling": 8, "compare": 3}
FULL_EPISODES = {"dgpg": 200, "mappo": 500, "ippo": 500}  # §6.3: baselines get 2.5× more training
# compare: the first 10 episodes (Table 9's bound) of the nn preset's 200-episode schedule, as the paper checks
COMPARE_TRAINED, COMPARE_SCHEDULE, QUICK_COMPARE_SCHEDULE = 10, 200, 10
DEFAULT_SEEDS = {"compare": (0, 1, 2, 3, 4)}  # ≥ 5 seeds for the statistics; other targets: seed 0
QUICK_SEEDS = {"compare": (0, 1)}


def plan(
    target: str,
    quick: bool = False,
    n_values: Sequence[int] | None = None,
    episodes: int | None = None,
    seeds: Sequence[int] | None = None,
) -> Plan:
    """The runs of ``target``; ``n_values``, ``episodes`` (for every run; for compare: the episodes trained of
    the schedule) and ``seeds`` (every run once per seed) override the defaults."""
    if target not in TARGETS:
        raise ValueError(f"target={target!r} is unknown; allowed: {', '.join(TARGETS)}")
    group = "scaling" if target in SCALING_TARGETS else target
    ns = tuple(n_values) if n_values else (QUICK_N if quick else FULL_N)[group]
    for n in ns:
        require_int("N", n, low=2)
    ns = tuple(int(n) for n in ns)  # numpy ints would not survive the run cache's JSON
    if episodes is not None:
        require_int("episodes", episodes, low=1)
    if seeds is None:
        seeds = (QUICK_SEEDS if quick else DEFAULT_SEEDS).get(target, (0,))
    for seed in seeds:
        require_int("seed", seed, low=0)
    seeds = tuple(dict.fromkeys(int(seed) for seed in seeds))
    if not seeds:
        raise ValueError("seeds is empty; allowed: one or more seeds ≥ 0")
    if len(seeds) > 1 and target != "compare":  # their figures and tables draw one run per curve or row
        raise ValueError(f"seeds={list(seeds)} for {target}: allowed one seed (several: the compare target)")
    runs = [dataclasses.replace(spec, seed=seed) for seed in seeds for spec in _specs(group, quick, ns, episodes)]
    for run in runs:
        resolve_scale(run.n)  # validates N (and the config below everything else) before anything runs
        run.config()
    evaluate = target in ("fig4", "compare")
    return Plan(target, quick, ns, tuple(runs), evaluate, references=target == "fig4", seeds=seeds)


def _specs(group: str, quick: bool, ns: tuple[int, ...], episodes: int | None) -> list[RunSpec]:
    """The runs of one seed (seed 0; ``plan`` sets each seed)."""
    seed = 0

    def count(method: str) -> int:
        if episodes is not None:
            return episodes
        return QUICK_EPISODES[group] if quick else FULL_EPISODES[method]

    methods = METHODS
    if group == "fig2":
        preset = "quick" if quick else "nn"
        return [RunSpec("dgpg", n, preset, count("dgpg"), alpha, seed) for n in ns for alpha in ALPHAS]
    if group == "fig3":
        preset = "quick" if quick else "linear"
        return [RunSpec(m, n, preset, count(m), None, seed) for n in ns for m in methods]
    if group == "compare":
        preset, schedule = ("quick", QUICK_COMPARE_SCHEDULE) if quick else ("nn", COMPARE_SCHEDULE)
        trained = episodes if episodes is not None else (QUICK_EPISODES["compare"] if quick else COMPARE_TRAINED)
        if trained > schedule:
            raise ValueError(f"episodes={trained} exceeds compare's {schedule}-episode schedule; allowed 1…{schedule}")
        return [RunSpec(m, n, preset, schedule, None, seed, trained) for n in ns for m in methods]
    preset = "quick" if quick else "nn"
    return [RunSpec("dgpg", n, preset, count("dgpg"), None, seed) for n in ns]


# ----------------------------------------------------------------------------------------------------------
# Expected time (module docstring)
# ----------------------------------------------------------------------------------------------------------

# Measured seconds per training episode on this 2-core machine (DG-PG; MAPPO/IPPO collect and update the same
# amount). (preset, N) → seconds. The quick preset: 1–2 s per episode at N = 2…10. NN: train_bench on
# 2026-12-06 (binding, the side-by-side update; 3 episodes per N, N = 50 one).
MEASURED_SECONDS = {
    ("nn", 5): 11.9, ("nn", 10): 15.9, ("nn", 20): 30.4, ("nn", 50): 78.3,
    ("linear", 2): 8.0, ("linear", 5): 5.0, ("linear", 10): 8.0,
    ("quick", 2): 0.9, ("quick", 5): 1.0, ("quick", 10): 1.9,
}  # fmt: skip
NN_50_ROLLOUT_SECONDS, NN_50_UPDATE_SECONDS = 6.7, 71.5  # the one measured N = 50 episode, split


def seconds_per_episode(preset: str, n: int) -> float:
    """Measured where measured; otherwise linear interpolation in N between measured points of the preset, and
    above the largest (NN: above N = 50) the extrapolation of the module docstring."""
    if (preset, n) in MEASURED_SECONDS:
        return MEASURED_SECONDS[(preset, n)]
    points = sorted((m, s) for (p, m), s in MEASURED_SECONDS.items() if p == preset)
    largest = points[-1][0]
    if n > largest and preset == "nn":
        at50, at_n = preset_config("dgpg", 50, "nn"), preset_config("dgpg", n, "nn")
        decisions = (at_n.rollouts * n) / (at50.rollouts * 50)
        return NN_50_ROLLOUT_SECONDS * decisions + NN_50_UPDATE_SECONDS * decisions * at_n.hidden / at50.hidden
    return float(np.interp(n, [m for m, _ in points], [s for _, s in points], right=None)) * max(1.0, n / largest)


def expected_seconds(runs: Sequence[RunSpec]) -> float:
    return sum((run.trained or run.episodes) * seconds_per_episode(run.preset, run.n) for run in runs)


def measured_text() -> str:
    """MEASURED_SECONDS in words, per preset: "nn N=5/10/20/50: 8/10/18/68 s"."""
    parts = []
    for preset in dict.fromkeys(p for p, _ in MEASURED_SECONDS):
        points = sorted((n, s) for (p, n), s in MEASURED_SECONDS.items() if p == preset)
        ns, seconds = "/".join(str(n) for n, _ in points), "/".join(f"{s:g}" for _, s in points)
        parts.append(f"{preset} N={ns}: {seconds} s")
    return "; ".join(parts)


def duration_text(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# ----------------------------------------------------------------------------------------------------------
# The run cache (module docstring)
# ----------------------------------------------------------------------------------------------------------


@dataclass
class RunRecord:
    """A finished run as read back from its directory."""

    spec: RunSpec
    directory: Path
    history: list[dict]  # the rows of episodes.csv, numbers as floats (episode as int)
    result: dict  # result.json

    @property
    def rewards(self) -> np.ndarray:
        return np.array([row["reward"] for row in self.history])


def run_directory(out: Path, spec: RunSpec) -> Path:
    return out / "runs" / spec.name


def _same_config(directory: Path, spec: RunSpec) -> bool | None:
    """None if the directory holds no config.json; else whether it equals the spec's config."""
    path = directory / "config.json"
    if not path.exists():
        return None
    return json.loads(path.read_text()) == json.loads(_io.json_text(spec.config().to_dict()))


def check_cache(out: Path, runs: Sequence[RunSpec], force: bool) -> None:
    """Raise ValueError if a run directory holds another config (and --force was not given)."""
    for spec in runs:
        directory = run_directory(out, spec)
        if not force and _same_config(directory, spec) is False:
            raise ValueError(
                f"{directory} holds a run with another config than {spec.name} asks for; "
                "pass --force to retrain it, or choose another --out"
            )


def is_finished(out: Path, spec: RunSpec) -> bool:
    directory = run_directory(out, spec)
    return bool(_same_config(directory, spec)) and (directory / "result.json").exists()


def ensure_run(
    out: Path, spec: RunSpec, evaluate: bool, force: bool = False, progress: bool = True, references: bool | None = None
) -> RunRecord:
    """The finished run of ``spec``: reused from the cache, resumed from its last.pt, or trained; evaluated on the
    test scenarios if ``evaluate``, with the reference policies beside it if ``references`` (default: evaluate)."""
    references = evaluate if references is None else references
    from dgpg_theory.ppo.trainer import Trainer  # the trainer's own imports only when a run is touched

    directory = run_directory(out, spec)
    if force and directory.exists():
        shutil.rmtree(directory)
    if is_finished(out, spec):
        if evaluate and json.loads((directory / "result.json").read_text()).get("test_mean_reward") is None:
            trainer = Trainer.from_checkpoint(directory / "last.pt", out_dir=directory)
            trainer.result(evaluate=True, references=references)
    elif _same_config(directory, spec) and (directory / "last.pt").exists():
        trainer = Trainer.from_checkpoint(directory / "last.pt", out_dir=directory, progress=progress)
        _rewrite_episodes_csv(directory / "episodes.csv", trainer.history)  # drop rows logged after last.pt
        trainer.train(evaluate=evaluate, references=references, until=spec.trained)
    else:
        trainer = Trainer(spec.config(), out_dir=directory, progress=progress)
        trainer.train(evaluate=evaluate, references=references, until=spec.trained)
    return load_run(out, spec)


def _rewrite_episodes_csv(path: Path, history: list[dict]) -> None:
    if history:
        _io.write_csv(path, history)


def load_run(out: Path, spec: RunSpec) -> RunRecord:
    directory = run_directory(out, spec)
    with open(directory / "episodes.csv", newline="") as handle:
        history = [{key: _number(value) for key, value in row.items()} for row in csv.DictReader(handle)]
    for row in history:
        row["episode"] = int(row["episode"])
    return RunRecord(spec, directory, history, json.loads((directory / "result.json").read_text()))


def _number(text: str) -> float:
    return float(text) if text not in ("", "None") else math.nan


# ----------------------------------------------------------------------------------------------------------
# Reference: Best-Fit on the training scenarios (fig3's dashed line)
# ----------------------------------------------------------------------------------------------------------


def best_fit_on_training_scenarios(out: Path, n: int, scenario_seed: int = 0, queue_model: str | None = None) -> dict:
    """Best-Fit's mean ± std episode reward over the 200 training scenarios of N under a queue model (default: the
    simulator's), cached in references/ per queue model."""
    from sim.heuristics import run_episodes
    from sim.kernels import DEFAULT_QUEUE_MODEL
    from sim.scenario import load_scenarios

    queue_model = queue_model or DEFAULT_QUEUE_MODEL
    path = out / "references" / f"best-fit-train-n{n}-scenarios{scenario_seed}-{queue_model}.json"
    if path.exists():
        return json.loads(path.read_text())
    scenarios = load_scenarios(n, "train", scenario_seed)
    rewards = run_episodes(scenarios, "best-fit", seed=0, queue_model=queue_model)
    summary = {"mean": float(rewards.mean()), "std": float(rewards.std(ddof=1)), "scenarios": len(rewards)}
    summary["queue_model"] = queue_model
    path.parent.mkdir(parents=True, exist_ok=True)
    _io.write_json(path, summary)
    return summary
