"""The ``compare`` target's numbers: DG-PG, MAPPO and IPPO over several seeds, with rliable's statistics.

Per N and method the scores are a [seeds, 40] matrix: each seed's best checkpoint (selected by training reward,
as the paper does) scored on each test scenario. Reported, with 95 % stratified-bootstrap intervals
(``dgpg_theory.seed_statistics``; runs resampled within each test scenario):

- the IQM of the test reward, and of the gap to Best-Fit on the same scenario and job trace (positive: better
  than Best-Fit; the paper's "match or exceed Best-Fit" is a gap ≥ 0);
- the probability of improvement between each pair of methods on the test scenarios;
- Table 9's convergence episode (the first within 10 % of the run's best training reward) of every seed, with
  its median and range;
- the training curve: the IQM over seeds of the training reward at each episode, with its interval (a
  sample-efficiency curve; with one task per episode the bootstrap resamples the seeds).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

import numpy as np

from dgpg_theory import _io
from dgpg_theory.ppo.config import METHODS
from dgpg_theory.ppo.evaluation import convergence_episode
from dgpg_theory.reproduction.runs import RunRecord
from dgpg_theory.seed_statistics import interquartile_mean, iqm_estimate, probability_of_improvement


def best_fit_test_rewards(out: Path, n: int, scenario_seed: int, queue_model: str) -> np.ndarray:
    """Best-Fit's episode reward on each of the test scenarios of N (their own job traces), cached in
    references/ per queue model."""
    path = out / "references" / f"best-fit-test-n{n}-scenarios{scenario_seed}-{queue_model}.json"
    if path.exists():
        return np.array(json.loads(path.read_text())["rewards"])
    from sim.heuristics import run_episodes
    from sim.scenario import load_scenarios

    rewards = run_episodes(load_scenarios(n, "test", scenario_seed), "best-fit", seed=0, queue_model=queue_model)
    path.parent.mkdir(parents=True, exist_ok=True)
    _io.write_json(path, {"rewards": [float(r) for r in rewards], "queue_model": queue_model})
    return rewards


def _method_numbers(runs: Sequence[RunRecord], best_fit: np.ndarray) -> dict:
    test = np.array([run.result["test_rewards"] for run in runs])  # [seeds, scenarios]
    curves = np.array([run.rewards for run in runs])  # [seeds, episodes]
    convergence = [convergence_episode(run.rewards) for run in runs]
    return {
        "seeds": [run.spec.seed for run in runs],
        "test_reward_iqm": iqm_estimate(test).to_dict(),
        "gap_to_best_fit_iqm": iqm_estimate(test - best_fit[None, :]).to_dict(),
        "test_reward_per_seed": [float(row.mean()) for row in test],
        "gap_iqm_per_seed": [interquartile_mean(row - best_fit) for row in test],
        "convergence_episode_per_seed": convergence,
        "convergence_episode_median": float(np.median(convergence)),
        "convergence_episode_range": [min(convergence), max(convergence)],
        "best_episode_per_seed": [int(np.argmax(run.rewards)) + 1 for run in runs],
        "curve_iqm": [iqm_estimate(curves[:, episode]).to_dict() for episode in range(curves.shape[1])],
    }


def comparison_numbers(records: Sequence[RunRecord], out: Path) -> dict:
    """Per N: every method's numbers (module docstring), Best-Fit's, and the pairwise probabilities of
    improvement. Runs of one (N, method) must share their episode count."""
    numbers = {}
    for n in sorted({record.spec.n for record in records}):
        at_n = [record for record in records if record.spec.n == n]
        config = at_n[0].spec.config()
        best_fit = best_fit_test_rewards(out, n, config.scenario_seed, config.queue_model)
        methods = {m: [r for r in at_n if r.spec.method == m] for m in METHODS if any(r.spec.method == m for r in at_n)}
        tests = {m: np.array([r.result["test_rewards"] for r in runs]) for m, runs in methods.items()}
        numbers[str(n)] = {
            "best_fit_mean": float(best_fit.mean()),
            "best_fit_iqm": interquartile_mean(best_fit),  # the same statistic as the methods' (over scenarios)
            "methods": {m: _method_numbers(runs, best_fit) for m, runs in methods.items()},
            "probability_of_improvement": {
                f"{a}>{b}": probability_of_improvement(tests[a], tests[b]).to_dict()
                for a, b in combinations(methods, 2)
            },
        }
    return numbers


def comparison_rows(numbers: dict) -> list[dict]:
    """One row per (N, method): the CSV and the printed table."""
    rows = []
    for n, at_n in numbers.items():
        for method, values in at_n["methods"].items():
            reward, gap = values["test_reward_iqm"], values["gap_to_best_fit_iqm"]
            rows.append({
                "n": int(n), "method": method, "seeds": len(values["seeds"]),
                "test_reward_iqm": reward["value"], "test_reward_low": reward["low"],
                "test_reward_high": reward["high"],
                "best_fit_iqm": at_n["best_fit_iqm"],
                "gap_iqm": gap["value"], "gap_low": gap["low"], "gap_high": gap["high"],
                "convergence_median": values["convergence_episode_median"],
                "convergence_per_seed": " ".join(map(str, values["convergence_episode_per_seed"])),
            })  # fmt: skip
    return rows
