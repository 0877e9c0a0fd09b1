"""The variance_scan CLI: outputs, bad input (exit code 2, nothing written), atomic writes, and the same numbers
on the in-process executor, a local process pool and a Dask LocalCluster."""

import json
import math
import os
import stat
from dataclasses import replace

import numpy as np
import pytest

import sim.atomic
from dgpg_theory import variance_scan
from dgpg_theory.measurement.scan import Execution, ScanConfig, run_scan, write_results
from sim.scenario import make_scenario

TINY = ["--samples", "8", "--replicates", "2", "--horizon", "5", "--warmup", "40", "--nested-outer", "2"]
TINY += ["--nested-inner", "2", "--no-progress", "--workers", "1"]
TINY_CONFIG = ScanConfig(
    n=(5, 10), samples=8, replicates=2, seed=3, horizon=5, warmup_steps=40, nested_outer=2, nested_inner=2
)
REQUIRED_PER_N = ["n", "sigma2_J", "sigma2_G", "rho", "alpha_star", "min_var_predicted", "min_var_empirical"]
REQUIRED_PER_N += ["rel_var_J", "rel_var_G"]


def _strict_json(path):
    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(path.read_text(), parse_constant=refuse)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("scan")
    assert variance_scan.main(["--n", "5", "10", "--out", str(out), *TINY]) == 0
    return out


def test_cli_writes_results_json_csv_and_figures(tiny_run, capsys):
    results = _strict_json(tiny_run / "results.json")
    for row in results["per_n"]:
        for key in REQUIRED_PER_N:
            assert key in row
            if key != "n":
                assert len(row[f"{key}_ci"]) == 2
    for key in ("sigma2_J", "sigma2_G", "rel_var_J", "rel_var_G"):
        assert {"estimate", "ci", "verdict"} <= set(results["slopes"][key])
    assert set(results["by_reward_scale"]) == {"paper", "sum", "normalized"}
    assert results["config"]["queue_model"] == "binding"
    header = (tiny_run / "results.csv").read_text().splitlines()[0].split(",")
    assert {"n", "sigma2_J", "sigma2_J_ci_low", "sigma2_J_ci_high", "rho"} <= set(header)
    assert results["estimators"]["source"] == "fork" and set(results["estimators"]["slopes"]) >= {"plain", "loo"}
    for name in ("variance_scaling.png", "alpha_star.png", "mixing_curves.png", "own_cross.png", "estimators.png"):
        assert (tiny_run / name).stat().st_size > 1000
    assert not [p for p in os.listdir(tiny_run) if p.startswith(".")]  # no temporary files left


def test_help_explains_every_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        variance_scan.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--n", "--samples", "--replicates", "--policy", "--reward-scale", "--seed", "--out", "--executor"):
        assert flag in text
    for flag in ("--scheduler", "--workers", "--quick", "--horizon", "--false-alarm"):
        assert flag in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--n", "1", "5"], "--n: n=1; allowed"),
        (["--n", "5", "5"], "--n: n=(5, 5); allowed: distinct"),
        (["--n"], "--n"),
        (["--n", "5", "10", "--samples", "1"], "--samples: samples=1"),
        (["--n", "5", "10", "--replicates", "1"], "--replicates: replicates=1; allowed: an int ≥ 2"),
        (["--n", "5", "10", "--policy", "checkpoint:model.pt"], "checkpoint"),
        (["--n", "5", "10", "--policy", "mlp"], "--policy: policy='mlp'"),
        (
            ["--n", "5", "10", "--scheduler", "tcp://127.0.0.1:1"],
            "--scheduler: scheduler='tcp://127.0.0.1:1'; allowed: only with executor='dask'",
        ),
        (
            ["--n", "5", "--warmup", "2300", "--horizon", "100"],
            "--warmup: warmup_steps=2300; allowed: an int in [0, 901)",
        ),
        (["--n", "5", "--warmup", "901"], "--warmup: warmup_steps=901; allowed"),
        (["--n", "5", "--horizon", "1001"], "--horizon: horizon=1001; allowed: an int in [1, 1001)"),
        (["--n", "5", "--warmup", "-1"], "--warmup: warmup_steps=-1; allowed"),
        (["--n", "5", "10", "--connect-timeout", "-1"], "--connect-timeout: connect_timeout=-1"),
        (["--n", "5", "10", "--max-copies-per-batch", "0"], "--max-copies-per-batch: max_copies_per_batch=0"),
        (["--n", "5", "10", "--hor", "10"], "unrecognized arguments"),
        (["--n", "5", "10", "--queue-model", "fifo"], "--queue-model: invalid choice: 'fifo'"),
        (["--n", "5", "10", "--target-utilization", "0"], "--target-utilization: target_utilization=0.0; allowed"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_writes_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        variance_scan.main([*argv, "--out", str(out), "--no-progress"])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not out.exists() or not list(out.iterdir())


def test_unwritable_out_exits_2(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    with pytest.raises(SystemExit) as exit_info:
        variance_scan.main(["--n", "5", "10", "--out", str(blocker / "sub"), *TINY])
    assert exit_info.value.code == 2
    assert "--out" in capsys.readouterr().err
    if os.geteuid() != 0:  # root ignores directory permissions
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
        with pytest.raises(SystemExit):
            variance_scan.main(["--n", "5", "10", "--out", str(locked), *TINY])


def test_unreachable_scheduler_exits_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["--n", "5", "10", "--out", str(out), *TINY, "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"]
    assert variance_scan.main([*argv, "--connect-timeout", "2"]) == 2
    assert "unreachable" in capsys.readouterr().err
    assert not out.exists()  # checked, never created: nothing is written before the cells ran


def test_an_interrupted_write_leaves_the_previous_results_intact(tiny_run, monkeypatch):
    before = (tiny_run / "results.json").read_text()
    results = _strict_json(tiny_run / "results.json")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_results(results, tiny_run, plots=False)
    assert (tiny_run / "results.json").read_text() == before


def _cell_values(results: dict) -> np.ndarray:
    return np.array(
        [[c["scales"]["paper"][k] for k in ("var_j", "var_g", "cov_jg", "own_j")] for c in results["cells"]]
    )


def test_same_seeds_give_the_same_numbers_on_a_pool_and_a_dask_local_cluster():
    from dask.distributed import LocalCluster

    inline = run_scan(TINY_CONFIG, Execution("local", workers=1))
    pool = run_scan(TINY_CONFIG, Execution("local", workers=2))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        dask = run_scan(TINY_CONFIG, Execution("dask", scheduler=cluster.scheduler_address))
    np.testing.assert_array_equal(_cell_values(inline), _cell_values(pool))
    np.testing.assert_array_equal(_cell_values(inline), _cell_values(dask))
    other_seed = run_scan(replace(TINY_CONFIG, seed=4))
    assert not np.array_equal(_cell_values(inline), _cell_values(other_seed))
    assert all(math.isfinite(v) for v in _cell_values(inline).ravel())


def test_a_binding_scan_runs_every_cell_under_binding(monkeypatch):
    import dgpg_theory.measurement.samples as samples

    seen = []

    class Recording(samples.BatchedEnv):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self.queue_model)

    monkeypatch.setattr(samples, "BatchedEnv", Recording)
    results = run_scan(replace(TINY_CONFIG, queue_model="binding"))
    assert results["config"]["queue_model"] == "binding" and seen and set(seen) == {"binding"}
    with pytest.raises(ValueError, match="queue_model='fifo'; allowed"):
        replace(TINY_CONFIG, queue_model="fifo")


def test_a_lighter_load_scan_samples_the_lighter_scenarios(monkeypatch):
    import dgpg_theory.measurement.samples as samples

    seen = []

    def recording(scale, split, index, seed=0, target_utilization=None):
        scenario = make_scenario(scale, split, index, seed, target_utilization)
        seen.append((scenario, make_scenario(scale, split, index, seed)))
        return scenario

    monkeypatch.setattr(samples, "make_scenario", recording)
    results = run_scan(replace(TINY_CONFIG, target_utilization=0.6))
    assert results["config"]["target_utilization"] == 0.6 and seen
    assert all(lighter.target_utilization == 0.6 for lighter, _ in seen)
    assert all(lighter.arrival_rate < default.arrival_rate for lighter, default in seen)  # H.1: u in [0.80, 0.85]
