"""``python -m dgpg_theory.reproduce fig2|fig3|fig4|fig5|table9 [--quick]``: train what a figure or table of §6
needs and regenerate it.

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

``--quick`` is a small version for notebooks and CI, not evidence: the ``quick`` preset (Table 6's linear model,
4 rollouts per episode), few episodes and small N (fig2 at N = 5; fig3 at N ∈ {2, 5} with the same number of
episodes for all three methods; fig4/fig5/table9 at N ∈ {5, 10}). Each quick target takes about 30–90 s here.

Runs are cached in ``--out`` (default results/reproduce), one directory per run under ``runs/``, named from its
config (method, N, preset, α or "schedule", episodes, seed), holding what ``python -m dgpg_theory.train`` writes
(config.json, episodes.csv, last.pt, best.pt, result.json). A finished run (result.json beside a config.json
equal to the requested config) is reused, so fig4, fig5 and table9 share their runs; an interrupted run
resumes from its last.pt (bit-identically, see dgpg_theory.ppo.trainer). A directory whose config.json differs
from the requested config (e.g. after a change of a default) is an error unless ``--force``, which retrains.

Outputs, each written atomically into --out: fig2.png/.csv/.json, fig3.png/.csv/.json, fig4.png/.json and
table1.csv, fig5.png/.csv/.json, table9.csv/.json (table9 is a table, not a figure). Curves are the raw
per-episode training rewards (no smoothing).

Expected full-mode times on this 2-core machine (sequential runs; the CLI prints its estimate,
``expected_seconds``, before it starts). Estimated from measured seconds per training episode (DG-PG; MAPPO and
IPPO collect and update as much): NN preset N = 5: 8 s, N = 10: 10 s, N = 20: 18 s, N = 50: 68 s (two episodes
measured, 61 s of each the update); linear preset N = 2: 8 s, N = 5: 5 s, N = 10: 8 s (N = 2 and 10: one
episode each, measured while the machine was shared, so noisy). For N = 100 and 200 the NN time is an
*extrapolation* from N = 50 — rollout time ∝ decisions per episode (rollouts × N, Table 7), update time ∝
decisions × hidden width (Table 7) — giving ≈ 3.2 min per episode at N = 100 and ≈ 8.4 min at N = 200; it can be
off by a factor of two either way.

- fig2: 4 runs × 200 episodes × 68 s ≈ 15 h.
- fig3: per N, 200 + 500 + 500 episodes: ≈ 2.7 h (N = 2) + 1.7 h (N = 5) + 2.7 h (N = 10) ≈ 7 h.
- fig4 = fig5 = table9 (shared runs): ≈ 0.45 h (N = 5) + 0.55 h (N = 10) + 1 h (N = 20) + 3.8 h (N = 50)
  + 11 h (N = 100, extrapolated) + 28 h (N = 200, extrapolated) ≈ 44 h; with ``--n 5 10 20 50`` ≈ 6 h.
  For comparison, the paper's Table 9 reports ≈ 0.5, 0.7, 1.1, 8 and 12 h per 200-episode run at
  N = 5, 10, 20, 100, 200 on an Apple M1.

Exit code 2 on bad input (unknown target, N < 2, episodes < 1, an unwritable --out, a cached run with another
config), with a message and nothing written.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from dgpg_theory.ppo.config import TrainConfig, preset_config
from dgpg_theory.ppo.evaluation import convergence_episode
from sim.scales import resolve_scale

TARGETS = ("fig2", "fig3", "fig4", "fig5", "table9")
SCALING_TARGETS = ("fig4", "fig5", "table9")  # one set of runs (§6.4)
ALPHAS = (0.2, 0.4, 0.6, 0.8)  # Figure 2's grid
REFERENCE_POLICIES = ("best-fit", "random", "guidance-greedy")
DEFAULT_OUT = Path("results/reproduce")


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

    @property
    def guidance(self) -> str:
        """The guidance weight of Eq 11 in words: "none" (MAPPO, IPPO), "schedule" (§6.2) or "alpha0.4"."""
        if self.method != "dgpg":
            return "none"
        return "schedule" if self.alpha is None else f"alpha{self.alpha:g}"

    @property
    def name(self) -> str:
        return f"{self.method}-n{self.n}-{self.preset}-{self.guidance}-ep{self.episodes}-seed{self.seed}"

    def config(self) -> TrainConfig:
        return preset_config(self.method, self.n, self.preset, episodes=self.episodes, alpha=self.alpha, seed=self.seed)


@dataclass(frozen=True)
class Plan:
    target: str
    quick: bool
    n_values: tuple[int, ...]
    runs: tuple[RunSpec, ...]
    evaluate: bool  # whether the target needs the best checkpoint's test reward


FULL_N = {"fig2": (50,), "fig3": (2, 5, 10), "scaling": (5, 10, 20, 50, 100, 200)}
QUICK_N = {"fig2": (5,), "fig3": (2, 5), "scaling": (5, 10)}
QUICK_EPISODES = {"fig2": 6, "fig3": 6, "scaling": 8}
FULL_EPISODES = {"dgpg": 200, "mappo": 500, "ippo": 500}  # §6.3: baselines get 2.5× more training


def plan(
    target: str, quick: bool = False, n_values: Sequence[int] | None = None, episodes: int | None = None, seed: int = 0
) -> Plan:
    """The runs of ``target``; ``n_values`` and ``episodes`` override the defaults (episodes: for every run)."""
    if target not in TARGETS:
        raise ValueError(f"target={target!r} is unknown; allowed: {', '.join(TARGETS)}")
    group = "scaling" if target in SCALING_TARGETS else target
    ns = tuple(n_values) if n_values else (QUICK_N if quick else FULL_N)[group]
    for n in ns:
        if not isinstance(n, int) or n < 2:
            raise ValueError(f"N={n!r} is out of range; allowed: an int ≥ 2")
    if episodes is not None and (not isinstance(episodes, int) or episodes < 1):
        raise ValueError(f"episodes={episodes!r} is out of range; allowed: an int ≥ 1")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed={seed!r} is out of range; allowed: a non-negative int")

    def count(method: str) -> int:
        if episodes is not None:
            return episodes
        return QUICK_EPISODES[group] if quick else FULL_EPISODES[method]

    if group == "fig2":
        preset = "quick" if quick else "nn"
        runs = [RunSpec("dgpg", n, preset, count("dgpg"), alpha, seed) for n in ns for alpha in ALPHAS]
    elif group == "fig3":
        preset = "quick" if quick else "linear"
        runs = [RunSpec(m, n, preset, count(m), None, seed) for n in ns for m in ("dgpg", "mappo", "ippo")]
    else:
        preset = "quick" if quick else "nn"
        runs = [RunSpec("dgpg", n, preset, count("dgpg"), None, seed) for n in ns]
    for run in runs:
        resolve_scale(run.n)  # validates N (and the config below everything else) before anything runs
        run.config()
    return Plan(target, quick, ns, tuple(runs), evaluate=target == "fig4")


# ----------------------------------------------------------------------------------------------------------
# Expected time (the estimate printed before a reproduction starts)
# ----------------------------------------------------------------------------------------------------------

# Measured seconds per training episode on this 2-core machine (DG-PG; MAPPO/IPPO collect and update the same
# amount). (preset, N) → seconds. The quick preset: 1–2 s per episode at N = 2…10.
MEASURED_SECONDS = {
    ("nn", 5): 8.0, ("nn", 10): 10.0, ("nn", 20): 18.0, ("nn", 50): 68.0,
    ("linear", 2): 8.0, ("linear", 5): 5.0, ("linear", 10): 8.0,
    ("quick", 2): 0.9, ("quick", 5): 1.0, ("quick", 10): 1.9,
}  # fmt: skip
NN_50_ROLLOUT_SECONDS, NN_50_UPDATE_SECONDS = 7.0, 61.0  # the one measured N = 50 episode, split


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
    return sum(run.episodes * seconds_per_episode(run.preset, run.n) for run in runs)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# ----------------------------------------------------------------------------------------------------------
# The run cache
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
    return json.loads(path.read_text()) == json.loads(json.dumps(spec.config().to_dict()))


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


def ensure_run(out: Path, spec: RunSpec, evaluate: bool, force: bool = False, progress: bool = True) -> RunRecord:
    """The finished run of ``spec``: reused from the cache, resumed from its last.pt, or trained."""
    from dgpg_theory.ppo.trainer import Trainer  # torch loads only when something trains

    directory = run_directory(out, spec)
    if force and directory.exists():
        shutil.rmtree(directory)
    if is_finished(out, spec):
        if evaluate and json.loads((directory / "result.json").read_text()).get("test_mean_reward") is None:
            Trainer.from_checkpoint(directory / "last.pt", out_dir=directory).result(evaluate=True, references=True)
    elif _same_config(directory, spec) and (directory / "last.pt").exists():
        trainer = Trainer.from_checkpoint(directory / "last.pt", out_dir=directory, progress=progress)
        _rewrite_episodes_csv(directory / "episodes.csv", trainer.history)  # drop rows logged after last.pt
        trainer.train(evaluate=evaluate, references=evaluate)
    else:
        Trainer(spec.config(), out_dir=directory, progress=progress).train(evaluate=evaluate, references=evaluate)
    return load_run(out, spec)


def _rewrite_episodes_csv(path: Path, history: list[dict]) -> None:
    if history:
        _write_text(path, _csv_text(history, list(history[0])))


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


def best_fit_on_training_scenarios(out: Path, n: int, scenario_seed: int = 0) -> dict:
    """Best-Fit's mean ± std episode reward over the 200 training scenarios of N (cached in references/)."""
    path = out / "references" / f"best-fit-train-n{n}-scenarios{scenario_seed}.json"
    if path.exists():
        return json.loads(path.read_text())
    from sim.heuristics import run_episodes
    from sim.scenario import load_scenarios

    rewards = run_episodes(load_scenarios(n, "train", scenario_seed), "best-fit", seed=0)
    summary = {"mean": float(rewards.mean()), "std": float(rewards.std(ddof=1)), "scenarios": len(rewards)}
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_text(path, json.dumps(summary, indent=2))
    return summary


# ----------------------------------------------------------------------------------------------------------
# The numbers of each target
# ----------------------------------------------------------------------------------------------------------


def curve_rows(records: Sequence[RunRecord], keys: Sequence[str]) -> list[dict]:
    """Long-form training curves: one row per (run, episode) with the run's identifying fields."""
    rows = []
    for record in records:
        ident = {"method": record.spec.method, "n": record.spec.n, "preset": record.spec.preset,
                 "guidance": record.spec.guidance}  # fmt: skip
        for row in record.history:
            rows.append({**ident, **{key: row[key] for key in keys}})
    return rows


def run_summary(record: RunRecord) -> dict:
    """A run's training numbers; mean_train_reward_last10 averages the last 10 episodes (all, if fewer)."""
    rewards = record.rewards
    tail = rewards[-min(10, len(rewards)) :]
    return {
        "run": record.spec.name, "method": record.spec.method, "n": record.spec.n,
        "guidance": record.spec.guidance, "episodes": len(rewards),
        "best_train_reward": float(rewards.max()), "best_episode": int(np.argmax(rewards)) + 1,
        "mean_train_reward_last10": float(tail.mean()), "convergence_episode": convergence_episode(rewards),
    }  # fmt: skip


def table9_rows(records: Sequence[RunRecord]) -> list[dict]:
    """App. K's Table 9 from the runs' episodes.csv: convergence episode, its time, per-episode split, total."""
    rows = []
    for record in records:
        rollout = np.array([row["rollout_seconds"] for row in record.history])
        update = np.array([row["update_seconds"] for row in record.history])
        per_episode = float((rollout + update).mean())
        converge = convergence_episode(record.rewards)
        rows.append({
            "n": record.spec.n, "episodes": len(record.history), "convergence_episode": converge,
            "best_train_reward": float(record.rewards.max()),
            "converge_seconds": converge * per_episode, "seconds_per_episode": per_episode,
            "rollout_seconds_per_episode": float(rollout.mean()), "update_seconds_per_episode": float(update.mean()),
            "update_share": float(update.sum() / (rollout + update).sum()),
            "total_seconds": float((rollout + update).sum()),
        })  # fmt: skip
    return rows


def table1_rows(records: Sequence[RunRecord]) -> list[dict]:
    """Table 1: the best checkpoint's test reward and the reference policies on the same 40 test scenarios."""
    rows = []
    for record in records:
        result = record.result
        row = {"n": record.spec.n, "test_scenarios": len(result.get("test_rewards", [])),
               "dgpg_mean": result["test_mean_reward"], "dgpg_std": result["test_std_reward"]}  # fmt: skip
        for policy in REFERENCE_POLICIES:
            key = policy.replace("-", "_")
            row[f"{key}_mean"] = result["references"][policy]["mean"]
            row[f"{key}_std"] = result["references"][policy]["std"]
        rows.append(row)
    return rows


def format_table(rows: Sequence[dict]) -> str:
    if not rows:
        return "(no rows)"
    keys = list(rows[0])
    cells = [[_cell(row[key]) for key in keys] for row in rows]
    widths = [max(len(key), *(len(line[i]) for line in cells)) for i, key in enumerate(keys)]
    lines = ["  ".join(key.rjust(w) for key, w in zip(keys, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    return "\n".join(lines)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


# ----------------------------------------------------------------------------------------------------------
# Writing (atomically: a temporary file in --out, then os.replace)
# ----------------------------------------------------------------------------------------------------------


def _write_text(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        handle.write(text)
    os.replace(handle.name, path)


def _csv_text(rows: Sequence[dict], keys: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(keys), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv(path: Path, rows: Sequence[dict]) -> None:
    _write_text(path, _csv_text(rows, list(rows[0]) if rows else []))


def write_json(path: Path, payload: dict) -> None:
    _write_text(path, json.dumps(payload, indent=2, default=float) + "\n")


def save_figure(figure, path: Path) -> None:
    import matplotlib.pyplot as plt

    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".png", delete=False) as handle:
        figure.savefig(handle, dpi=110, format="png")
    plt.close(figure)
    os.replace(handle.name, path)


# ----------------------------------------------------------------------------------------------------------
# A target from start to end
# ----------------------------------------------------------------------------------------------------------


def reproduce(
    target: str,
    out: Path = DEFAULT_OUT,
    quick: bool = False,
    n_values: Sequence[int] | None = None,
    episodes: int | None = None,
    seed: int = 0,
    force: bool = False,
    progress: bool = True,
) -> dict:
    """Train (or reuse) the runs of ``target``, write its figure and numbers into ``out``; returns the numbers
    (what ``--json`` prints). Raises ValueError on bad input before anything is written."""
    the_plan = plan(target, quick, n_values, episodes, seed)
    check_cache(Path(out), the_plan.runs, force)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for spec in tqdm(the_plan.runs, desc=f"{target}: runs", disable=not progress):
        records.append(ensure_run(out, spec, evaluate=the_plan.evaluate, force=force, progress=progress))
    return WRITERS[target](the_plan, records, out)


def _numbers(the_plan: Plan, records: Sequence[RunRecord], **extra) -> dict:
    return {"target": the_plan.target, "quick": the_plan.quick, "n": list(the_plan.n_values),
            "runs": [run_summary(r) for r in records], **extra}  # fmt: skip


def write_fig2(the_plan: Plan, records: Sequence[RunRecord], out: Path) -> dict:
    from dgpg_theory import reproduction_plots as plots

    write_csv(out / "fig2.csv", curve_rows(records, ("episode", "reward", "alpha")))
    save_figure(plots.alpha_sensitivity(records, the_plan), out / "fig2.png")
    numbers = _numbers(the_plan, records, files=["fig2.png", "fig2.csv", "fig2.json"])
    write_json(out / "fig2.json", numbers)
    return numbers


def write_fig3(the_plan: Plan, records: Sequence[RunRecord], out: Path) -> dict:
    from dgpg_theory import reproduction_plots as plots

    scenario_seed = records[0].spec.config().scenario_seed
    best_fit = {n: best_fit_on_training_scenarios(out, n, scenario_seed) for n in the_plan.n_values}
    write_csv(out / "fig3.csv", curve_rows(records, ("episode", "reward")))
    save_figure(plots.controlled_comparison(records, best_fit, the_plan), out / "fig3.png")
    numbers = _numbers(the_plan, records, best_fit_train={str(n): v for n, v in best_fit.items()},
                       files=["fig3.png", "fig3.csv", "fig3.json"])  # fmt: skip
    write_json(out / "fig3.json", numbers)
    return numbers


def write_fig4(the_plan: Plan, records: Sequence[RunRecord], out: Path) -> dict:
    from dgpg_theory import reproduction_plots as plots

    table = table1_rows(records)
    write_csv(out / "table1.csv", table)
    save_figure(plots.scalability(table, the_plan), out / "fig4.png")
    numbers = _numbers(the_plan, records, table1=table, files=["fig4.png", "table1.csv", "fig4.json"])
    write_json(out / "fig4.json", numbers)
    return numbers


def write_fig5(the_plan: Plan, records: Sequence[RunRecord], out: Path) -> dict:
    from dgpg_theory import reproduction_plots as plots

    write_csv(out / "fig5.csv", curve_rows(records, ("episode", "reward")))
    save_figure(plots.scale_invariant_convergence(records, the_plan), out / "fig5.png")
    numbers = _numbers(the_plan, records, files=["fig5.png", "fig5.csv", "fig5.json"])
    write_json(out / "fig5.json", numbers)
    return numbers


def write_table9(the_plan: Plan, records: Sequence[RunRecord], out: Path) -> dict:
    table = table9_rows(records)
    write_csv(out / "table9.csv", table)
    numbers = _numbers(the_plan, records, table9=table, files=["table9.csv", "table9.json"])
    write_json(out / "table9.json", numbers)
    return numbers


WRITERS = {"fig2": write_fig2, "fig3": write_fig3, "fig4": write_fig4, "fig5": write_fig5, "table9": write_table9}


def report(numbers: dict) -> str:
    """The human-readable summary printed at the end."""
    if "table9" in numbers:
        body = format_table(numbers["table9"])
    elif "table1" in numbers:
        body = format_table(numbers["table1"])
    else:
        keys = ("method", "n", "guidance", "episodes", "best_train_reward", "mean_train_reward_last10",
                "convergence_episode")  # fmt: skip
        body = format_table([{key: run[key] for key in keys} for run in numbers["runs"]])
        if "best_fit_train" in numbers:
            refs = ", ".join(f"N={n}: {v['mean']:.3f}" for n, v in numbers["best_fit_train"].items())
            body += f"\nBest-Fit on the training scenarios (fig3's dashed line): {refs}"
    return f"{body}\nwrote: {', '.join(numbers['files'])}"


# ----------------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dgpg_theory.reproduce",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
        description="Train what a figure or table of the paper's §6 needs (DG-PG, MAPPO, IPPO with the paper's "
        "presets) and regenerate it into --out. Runs are cached per config in --out/runs and reused; an "
        "interrupted run resumes from its last.pt.",
        epilog="""targets:
  fig2    DG-PG, NN preset, N=50, constant alpha in {0.2,0.4,0.6,0.8}, 200 episodes (Sec 6.2)
  fig3    linear preset (Table 6), N in {2,5,10}: DG-PG 200 episodes, MAPPO and IPPO 500; dashed line =
          Best-Fit's mean reward on the 200 training scenarios (Sec 6.3)
  fig4    DG-PG, NN preset, N in {5,10,20,50,100,200}, 200 episodes: best checkpoint's test reward vs N beside
          Best-Fit, Random, guidance-greedy; also table1.csv (Sec 6.4)
  fig5    the fig4 runs: training reward vs episode per N (Sec 6.4)
  table9  the fig4 runs: convergence episode, time to converge, s/episode (rollout/update), total (App. K)

expected full-mode time on a 2-core machine (estimated from measured seconds per episode: NN N=5/10/20/50:
8/10/18/68 s; linear N=2/5/10: 8/5/8 s; N=100, 200 extrapolated from N=50, see the module docstring):
  fig2 ~15 h; fig3 ~7 h; fig4/fig5/table9 (shared runs) ~44 h, of which ~39 h are N=100 and N=200
  (about 3 and 8 min per episode, extrapolated; could be off by 2x); ~6 h with --n 5 10 20 50.
--quick: the quick preset, 6-8 episodes, N=5 (fig2), N in {2,5} (fig3), N in {5,10} (fig4/5, table9):
  about 30-90 s per target. Quick numbers illustrate; they are not evidence.""",
    )
    parser.add_argument("target", choices=TARGETS, help="what to regenerate (see below)")
    parser.add_argument("--quick", action="store_true", help="a small version for notebooks and CI (see below)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="directory of the figures, numbers and run cache (default: %(default)s)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of every run (default 0); part of the cache key")
    parser.add_argument("--episodes", type=int, default=None,
                        help="training episodes of every run of the target (default: the paper's, or the quick "
                        "setting's; note that the alpha schedule and decays stretch over the episodes)")  # fmt: skip
    parser.add_argument("--n", type=int, nargs="+", default=None, metavar="N",
                        help="server counts N to run (each >= 2; default: the target's, see below)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the numbers as one JSON object (no progress bars)")
    parser.add_argument("--force", action="store_true",
                        help="retrain the target's runs even if cached (deletes their run directories)")  # fmt: skip
    return parser


def check_writable(out: Path) -> None:
    """ValueError unless ``out`` is (or can be created as) a writable directory; creates nothing."""
    existing = out
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise ValueError(f"--out {out} is not a directory ({existing} is a file)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"--out {out} is not writable ({existing} does not allow writing)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_writable(args.out)
        the_plan = plan(args.target, args.quick, args.n, args.episodes, args.seed)
        check_cache(args.out, the_plan.runs, args.force)
    except ValueError as error:
        parser.error(str(error))
    todo = [spec for spec in the_plan.runs if args.force or not is_finished(args.out, spec)]
    if not args.json:
        print(
            f"{args.target}: {len(the_plan.runs)} runs, {len(todo)} to train; expected ≈ "
            f"{_duration(expected_seconds(todo))} of training on a 2-core machine",
            file=sys.stderr,
        )
    numbers = reproduce(args.target, args.out, args.quick, args.n, args.episodes, args.seed, args.force,
                        progress=not args.json)  # fmt: skip
    print(json.dumps(numbers, default=float) if args.json else report(numbers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
