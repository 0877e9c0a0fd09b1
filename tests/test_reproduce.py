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


def test_compare_plans_every_method_at_every_seed_on_the_first_episodes_of_the_schedule():
    the_plan = reproduction_runs.plan("compare")
    assert the_plan.seeds == (0, 1, 2, 3, 4) and the_plan.n_values == (5, 10) and the_plan.evaluate
    assert len(the_plan.runs) == 3 * 2 * 5
    assert {(r.preset, r.episodes, r.trained) for r in the_plan.runs} == {("nn", 200, 10)}
    assert "dgpg-n5-nn-schedule-ep200-first10-seed3" in {r.name for r in the_plan.runs}
    assert reproduction_runs.plan("compare", seeds=[7, 7, 2]).seeds == (7, 2)
    with pytest.raises(ValueError, match=r"seeds=\[0, 1\] for fig4: allowed one seed"):
        reproduction_runs.plan("fig4", seeds=[0, 1])
    with pytest.raises(ValueError, match="episodes=300 exceeds compare's 200-episode schedule"):
        reproduction_runs.plan("compare", episodes=300)


def test_training_until_an_episode_keeps_the_full_schedule():
    """``until`` stops early without shortening the schedule: α at episode 2 is that of a 10-episode run."""
    config = reproduction_runs.RunSpec("dgpg", 2, "quick", 10, None, seed=0).config()
    trainer = Trainer(config)
    result = trainer.train(evaluate=False, until=2)
    alphas = [row["alpha"] for row in trainer.history]
    assert result.episodes == 2 and alphas == pytest.approx([0.9, 0.9 - 0.7 * (1 / 9 - 0.1) / 0.4])
    with pytest.raises(ValueError, match=r"until=11 is out of range; allowed: None or 1 … episodes \(10\)"):
        trainer.train(until=11)


def test_compare_reports_rliable_statistics_of_its_runs(tmp_path):
    """The compare numbers recomputed from the runs' own files: per-seed test rewards, their IQM, Best-Fit's
    gap and Table 9's convergence episode per seed."""
    from dgpg_theory.seed_statistics import interquartile_mean

    out = tmp_path / "out"
    argv = ["compare", "--quick", "--n", "2", "--episodes", "2", "--seeds", "0", "1", "--out", str(out), "--json"]
    assert reproduce.main(argv) == 0
    numbers = json.loads((out / "compare.json").read_text())
    assert numbers["seeds"] == [0, 1] and {"compare.png", "compare.csv"} <= set(numbers["files"])
    at_n = numbers["comparison"]["2"]
    best_fit = np.array(json.loads(next(out.glob("references/best-fit-test-n2-*.json")).read_text())["rewards"])
    for method, values in at_n["methods"].items():
        runs = [out / "runs" / f"{method}-n2-quick-{'schedule' if method == 'dgpg' else 'none'}-ep10-first2-seed{s}"
                for s in (0, 1)]  # fmt: skip
        test = np.array([json.loads((run / "result.json").read_text())["test_rewards"] for run in runs])
        assert values["test_reward_iqm"]["value"] == pytest.approx(interquartile_mean(test))
        assert values["gap_to_best_fit_iqm"]["value"] == pytest.approx(interquartile_mean(test - best_fit))
        low, high = values["test_reward_iqm"]["low"], values["test_reward_iqm"]["high"]
        assert low <= values["test_reward_iqm"]["value"] <= high and low < high
        assert values["convergence_episode_per_seed"] == [
            convergence_from_csv(read_csv(r / "episodes.csv")) for r in runs
        ]
        assert len(values["curve_iqm"]) == 2
    assert set(at_n["probability_of_improvement"]) == {"dgpg>mappo", "dgpg>ippo", "mappo>ippo"}
    assert len(read_csv(out / "compare.csv")) == 3


def test_an_interrupted_compare_run_resumes_and_stops_at_its_trained_episodes(tmp_path):
    spec = reproduction_runs.RunSpec("dgpg", 2, "quick", 10, None, seed=0, trained=3)
    directory = reproduction_runs.run_directory(tmp_path, spec)

    def interrupt(trainer, row):
        if row["episode"] == 1:
            raise Interrupted

    with pytest.raises(Interrupted):
        Trainer(spec.config(), out_dir=directory, callbacks=[interrupt]).train(evaluate=False, until=spec.trained)
    record = reproduction_runs.ensure_run(tmp_path, spec, evaluate=False, progress=False)
    assert [row["episode"] for row in record.history] == [1, 2, 3] and record.result["episodes"] == 3
    assert json.loads((directory / "config.json").read_text())["episodes"] == 10  # the schedule's length
