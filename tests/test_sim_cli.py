"""The simulator's command lines: evaluate and bench, with their --json outputs."""

import json
import subprocess
import sys


def _run(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *arguments], capture_output=True, text=True, timeout=600)


def test_evaluate_json():
    done = _run("-m", "sim.evaluate", "--policy", "guidance-greedy", "--n", "2", "--count", "3", "--json")
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)
    assert set(row) == {"policy", "n", "split", "mean_reward", "std_reward", "n_scenarios", "seconds"}
    assert row["policy"] == "guidance-greedy" and row["n"] == 2 and row["n_scenarios"] == 3
    assert row["mean_reward"] < 0


def test_bench_json_has_one_object_per_size():
    done = _run("-m", "sim.bench", "--n", "5", "--batch", "4", "--steps", "5", "--bestfit-scenarios", "2", "--json")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["n"] for r in rows] == [5]
    assert set(rows[0]) == {"n", "batch", "decisions_per_s", "bestfit_40_s", "peak_mb"}
    assert rows[0]["decisions_per_s"] > 0 and rows[0]["peak_mb"] > 0


def test_bench_skips_best_fit_above_the_limit():
    done = _run("-m", "sim.bench", "--n", "5", "--batch", "2", "--steps", "2", "--bestfit-max-n", "4", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["bestfit_40_s"] is None
    bad = _run("-m", "sim.bench", "--batch-1500", "0")
    assert bad.returncode == 2 and "--batch-1500=0" in bad.stderr


def test_help_explains_every_flag():
    from sim import bench, evaluate

    for parser in (evaluate.build_parser(), bench.build_parser()):
        for action in parser._actions:
            assert action.help, f"{parser.prog}: {action.option_strings} has no help text"
    done = _run("-m", "sim.evaluate", "--help")
    assert done.returncode == 0 and "--policy" in done.stdout
