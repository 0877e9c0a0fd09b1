"""``python -m dgpg_theory.reproduce`` on tiny overrides: bad input, the files of a target, the run cache (reuse,
resume, evaluation added later) and Table 9 recomputed from the runs' episodes.csv."""

import csv
import json

import numpy as np
import pytest

from dgpg_theory import reproduce
from dgpg_theory.ppo.trainer import Trainer
from dgpg_theory.reproduction import runs as reproduction_runs

FIG3_ARGS = ["fig3", "--quick", "--n", "2", "--episodes", "2", "--json"]
CURVE_COLUMNS = ["method", "n", "preset", "guidance", "episode", "reward"]


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def no_retraining(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("a cached run was trained again")

    monkeypatch.setattr(Trainer, "train", fail)


@pytest.fixture(scope="module")
def fig3_quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce") / "out"
    assert reproduce.main([*FIG3_ARGS, "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize(
    "argv",
    [
        ["fig9"],
        ["fig3", "--n", "1"],
        ["fig3", "--n", "2", "0"],
        ["fig3", "--episodes", "0"],
        ["table9", "--seed", "-1"],
        ["fig3", "--quik"],
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(argv, tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        reproduce.main([*argv, "--out", str(out)])
    assert exit_info.value.code == 2
    assert not out.exists()
    assert "error" in capsys.readouterr().err


def test_an_out_below_a_file_is_rejected(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as exit_info:
        reproduce.main(["fig3", "--quick", "--out", str(blocker / "out")])
    assert exit_info.value.code == 2 and "--out" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_cached_run_with_another_config_is_an_error_unless_forced(tmp_path, capsys):
    spec = reproduction_runs.plan("fig3", True, [2], 2).runs[0]
    out = tmp_path / "out"
    directory = reproduction_runs.run_directory(out, spec)
    directory.mkdir(parents=True)
    (directory / "config.json").write_text(json.dumps({**spec.config().to_dict(), "learning_rate": 0.5}))
    with pytest.raises(SystemExit) as exit_info:
        reproduce.main([*FIG3_ARGS, "--out", str(out)])
    assert exit_info.value.code == 2 and "--force" in capsys.readouterr().err
    assert sorted(p.name for p in directory.iterdir()) == ["config.json"]


def test_fig3_quick_writes_its_figure_and_numbers(fig3_quick):
    assert (fig3_quick / "fig3.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = read_csv(fig3_quick / "fig3.csv")
    assert list(rows[0]) == CURVE_COLUMNS
    assert sorted((r["method"], int(r["episode"])) for r in rows) == [
        (m, e) for m in ("dgpg", "ippo", "mappo") for e in (1, 2)
    ]
    numbers = json.loads((fig3_quick / "fig3.json").read_text())
    assert {run["method"] for run in numbers["runs"]} == {"dgpg", "mappo", "ippo"}
    best_fit = numbers["best_fit_train"]["2"]
    assert best_fit["scenarios"] == 200 and np.isfinite(best_fit["mean"]) and best_fit["mean"] < 0
    assert not [p.name for p in fig3_quick.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_a_finished_run_is_reused(fig3_quick, monkeypatch, capsys):
    logs = sorted(fig3_quick.glob("runs/*/episodes.csv"))
    assert len(logs) == 3
    before = {path: path.stat().st_mtime_ns for path in logs}
    first = json.loads((fig3_quick / "fig3.json").read_text())
    capsys.readouterr()
    no_retraining(monkeypatch)
    assert reproduce.main([*FIG3_ARGS, "--out", str(fig3_quick)]) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == first["runs"]
    assert {path: path.stat().st_mtime_ns for path in logs} == before


def test_fig4_fig5_and_table9_share_their_runs():
    runs = {target: reproduction_runs.plan(target, quick=True).runs for target in ("fig4", "fig5", "table9")}
    assert runs["fig4"] == runs["fig5"] == runs["table9"]
    assert reproduction_runs.plan("fig4").runs != runs["fig4"]  # the full and quick runs have different cache keys
    assert {run.name for run in reproduction_runs.plan("fig4").runs}.isdisjoint(run.name for run in runs["fig4"])


def convergence_from_csv(rows):
    """Table 9's definition written out independently: first episode with reward ≥ best − 0.1 · |best|."""
    rewards = [float(r["reward"]) for r in rows]
    best = max(rewards)
    return next(i + 1 for i, reward in enumerate(rewards) if reward >= best - 0.1 * abs(best))


def test_table9_matches_the_runs_and_fig4_evaluates_them_later(tmp_path, monkeypatch):
    out = tmp_path / "out"
    args = ["--quick", "--n", "2", "--episodes", "3", "--out", str(out), "--json"]
    assert reproduce.main(["table9", *args]) == 0
    (row,) = read_csv(out / "table9.csv")
    log = next(out.glob("runs/dgpg-n2-quick-schedule-ep3-seed0/episodes.csv"))
    episodes = read_csv(log)
    seconds = [float(r["rollout_seconds"]) + float(r["update_seconds"]) for r in episodes]
    assert int(row["convergence_episode"]) == convergence_from_csv(episodes)
    assert float(row["seconds_per_episode"]) == pytest.approx(np.mean(seconds))
    assert float(row["total_seconds"]) == pytest.approx(sum(seconds))
    assert float(row["converge_seconds"]) == pytest.approx(int(row["convergence_episode"]) * np.mean(seconds))

    # Negative control: table9 reads the log, so a log whose last episode is far the best converges there.
    rewards = [float(r["reward"]) for r in episodes]
    episodes[-1]["reward"] = str(max(rewards) + 0.5 * abs(max(rewards)))
    with open(log, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(episodes[0]))
        writer.writeheader()
        writer.writerows(episodes)
    no_retraining(monkeypatch)
    assert reproduce.main(["table9", *args]) == 0
    assert int(read_csv(out / "table9.csv")[0]["convergence_episode"]) == len(episodes) == 3

    # fig4 needs the best checkpoint's test reward: added to the cached run without retraining it.
    assert reproduce.main(["fig4", *args]) == 0
    (table1,) = read_csv(out / "table1.csv")
    assert int(table1["test_scenarios"]) == 40
    for policy in ("dgpg", "best_fit", "random", "guidance_greedy"):
        assert np.isfinite(float(table1[f"{policy}_mean"])) and float(table1[f"{policy}_std"]) > 0
    assert (out / "fig4.png").exists()


class Interrupted(Exception):
    pass


def test_an_interrupted_run_resumes_from_its_checkpoint(tmp_path):
    spec = reproduction_runs.RunSpec("mappo", 2, "quick", 3, None, seed=1)
    directory = reproduction_runs.run_directory(tmp_path, spec)

    def interrupt(trainer, row):
        if row["episode"] == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        Trainer(spec.config(), out_dir=directory, callbacks=[interrupt]).train(evaluate=False)
    interrupted = read_csv(directory / "episodes.csv")
    assert len(interrupted) == 2 and not (directory / "result.json").exists()
    record = reproduction_runs.ensure_run(tmp_path, spec, evaluate=False, progress=False)
    assert [row["episode"] for row in record.history] == [1, 2, 3]  # no episode logged twice, none lost
    assert [row["reward"] for row in record.history[:2]] == [float(r["reward"]) for r in interrupted]
    assert record.result["episodes"] == 3 and (directory / "result.json").exists()
