"""The numbers of each reproduction target, from finished runs: training curves, per-run summaries, Table 1
(test rewards beside the reference policies) and Table 9 (convergence episode and times, App. K)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dgpg_theory.ppo.evaluation import convergence_episode
from dgpg_theory.reproduction.runs import RunRecord
from sim.heuristics import POLICIES as REFERENCE_POLICIES


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


def report(numbers: dict) -> str:
    """The human-readable summary printed at the end."""
    if "compare" in numbers:
        body = format_table(numbers["compare"])
    elif "table9" in numbers:
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
