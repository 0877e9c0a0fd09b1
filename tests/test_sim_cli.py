"""The simulator's command lines: evaluate and bench, with their --json outputs."""

import json
import subprocess
import sys

EVALUATE_FIELDS = {
    "policy", "n", "split", "queue_model", "target_utilization", "mean_reward", "std_reward", "mean_queue_penalty",
    "std_queue_penalty", "mean_energy_term", "std_energy_term", "mean_frac_steps_queue_above_20",
    "mean_frac_jobs_waiting_at_end", "n_scenarios", "seconds",
}  # fmt: skip


def _run(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *arguments], capture_output=True, text=True, timeout=600)


def test_evaluate_json():
    done = _run("-m", "sim.evaluate", "--policy", "guidance-greedy", "--n", "2", "--count", "3", "--json")
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)
    assert set(row) == EVALUATE_FIELDS
    assert row["policy"] == "guidance-greedy" and row["n"] == 2 and row["n_scenarios"] == 3
    assert row["mean_reward"] < 0 and row["queue_model"] == "binding" and row["target_utilization"] is None
    # reward = −(queue penalty + energy term), H.3; the means over scenarios recombine too
    assert abs(row["mean_reward"] + row["mean_queue_penalty"] + row["mean_energy_term"]) < 1e-9
    assert 0 <= row["mean_frac_steps_queue_above_20"] <= 1 and 0 <= row["mean_frac_jobs_waiting_at_end"] <= 1


def test_evaluate_lighter_load():
    argv = ("-m", "sim.evaluate", "--policy", "best-fit", "--n", "5", "--count", "3", "--json")
    default, light = (json.loads(_run(*argv, *extra).stdout) for extra in ((), ("--target-utilization", "0.6")))
    assert light["target_utilization"] == 0.6 and set(light) == EVALUATE_FIELDS
    assert light["mean_queue_penalty"] < default["mean_queue_penalty"]
    assert light["mean_energy_term"] < default["mean_energy_term"]
    refused = _run(*argv, "--target-utilization", "1.5")
    assert refused.returncode == 2 and "target_utilization=1.5" in refused.stderr and "(0, 1]" in refused.stderr
    sentence = _run(*argv[:-1], "--target-utilization", "0.6")
    assert sentence.returncode == 0 and "utilization 0.6" in sentence.stdout and "queue penalty" in sentence.stdout


def test_evaluate_binding_differs_from_bounded_redispatch_for_random():
    argv = ("-m", "sim.evaluate", "--policy", "random", "--n", "5", "--count", "4", "--json")
    bounded, binding = (json.loads(_run(*argv, "--queue-model", m).stdout) for m in ("bounded-redispatch", "binding"))
    assert binding["queue_model"] == "binding" and binding["mean_reward"] < bounded["mean_reward"]
    refused = _run(*argv, "--queue-model", "fifo")
    assert refused.returncode == 2 and "--queue-model" in refused.stderr


def test_bench_json_has_one_object_per_size_and_queue_model():
    argv = ("-m", "sim.bench", "--n", "5", "--batch", "4", "--steps", "5", "--bestfit-scenarios", "2", "--json")
    done = _run(*argv, "--queue-model", "bounded-redispatch", "binding")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["queue_model"], r["n"]) for r in rows] == [("bounded-redispatch", 5), ("binding", 5)]
    assert set(rows[0]) == {"n", "queue_model", "batch", "decisions_per_s", "bestfit_40_s", "peak_mb"}
    assert all(r["decisions_per_s"] > 0 and r["peak_mb"] > 0 for r in rows)


def test_bench_skips_best_fit_above_the_limit():
    argv = ("-m", "sim.bench", "--n", "5", "--batch", "2", "--steps", "2", "--bestfit-max-n", "4", "--json")
    done = _run(*argv, "--queue-model", "binding")
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
