"""python -m dgpg_theory.train: the --json summary, and bad input → exit 2 with nothing written."""

import json

import pytest

from dgpg_theory import train

TINY = ["--preset", "quick", "--episodes", "1", "--rollouts", "1", "--parallel-envs", "1"]
KEYS = {"method", "n", "episodes", "best_train_reward", "test_mean_reward", "test_std_reward", "convergence_episode",
        "seconds_per_episode"}  # fmt: skip


def test_json_summary_and_run_directory(tmp_path, capsys):
    out = tmp_path / "run"
    assert train.main(["--method", "mappo", "--n", "2", *TINY, "--out", str(out), "--json", "--no-references"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary) == KEYS and summary["method"] == "mappo" and summary["n"] == 2 and summary["episodes"] == 1
    assert summary["convergence_episode"] == 1 and summary["test_mean_reward"] < 0
    assert json.loads((out / "config.json").read_text())["rollouts"] == 1


def test_resume_continues_to_more_episodes(tmp_path, capsys):
    out = tmp_path / "run"
    assert train.main(["--method", "dgpg", "--n", "2", *TINY, "--out", str(out), "--json", "--no-eval"]) == 0
    args = ["--resume", str(out / "last.pt"), "--episodes", "2", "--json", "--no-eval"]  # --out: the checkpoint's
    assert train.main(args) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["episodes"] == 2
    assert len((out / "episodes.csv").read_text().strip().splitlines()) == 3


def _fails(args, capsys, match):
    with pytest.raises(SystemExit) as error:
        train.main(args)
    assert error.value.code == 2
    assert match in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, match",
    [(["--method", "coma", "--n", "5"], "invalid choice"), (["--method", "dgpg", "--n", "1"], "n_servers"),
     (["--method", "dgpg", "--n", "5", "--episodes", "0"], "episodes"),
     (["--method", "dgpg", "--n", "5", "--preset", "huge"], "invalid choice"),
     (["--method", "dgpg", "--n", "50", "--k", "7"], "n_clusters"), (["--n", "5"], "--method"),
     (["--method", "dgpg", "--n", "5", "--device", "gpu"], "device='gpu' is unknown")],
)  # fmt: skip
def test_bad_input_exits_2(args, match, capsys, tmp_path):
    _fails([*args, "--out", str(tmp_path / "run")], capsys, match)
    assert not (tmp_path / "run").exists()


def test_unwritable_out_and_existing_run(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    _fails(["--method", "dgpg", "--n", "2", *TINY, "--out", str(blocker / "run")], capsys, "--out")
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "config.json").write_text("{}")
    _fails(["--method", "dgpg", "--n", "2", *TINY, "--out", str(existing)], capsys, "already holds a run")
    assert (existing / "config.json").read_text() == "{}"


def test_checkpoint_of_another_method_or_n(tmp_path, capsys):
    out = tmp_path / "run"
    assert train.main(["--method", "dgpg", "--n", "2", *TINY, "--out", str(out), "--json", "--no-eval"]) == 0
    capsys.readouterr()
    before = (out / "last.pt").read_bytes()
    _fails(["--resume", str(out / "last.pt"), "--method", "mappo", "--out", str(out)], capsys, "method")
    _fails(["--resume", str(out / "last.pt"), "--n", "5", "--out", str(out)], capsys, "n_servers")
    _fails(["--resume", str(out / "config.json"), "--out", str(out)], capsys, "--resume")
    _fails(["--resume", str(out / "best.pt"), "--out", str(out)], capsys, "is not a resumable training checkpoint")
    _fails(["--resume", str(out / "last.pt"), "--seed", "3"], capsys, "cannot be changed")
    assert (out / "last.pt").read_bytes() == before
