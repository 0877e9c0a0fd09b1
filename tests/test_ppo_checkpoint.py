"""The one checkpoint loader: a run's best.pt and last.pt are read, anything else is refused with the file named."""

import pytest
import torch

from dgpg_theory.ppo import Trainer, preset_config
from dgpg_theory.ppo.checkpoint import CHECKPOINT_FORMAT, load_checkpoint, load_training_state

NOT_A_CHECKPOINT = "is not a dgpg-theory training checkpoint"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A real run directory of one tiny episode (best.pt and last.pt), and its trainer."""
    out = tmp_path_factory.mktemp("run")
    config = preset_config("dgpg", 2, "quick", episodes=1, rollouts=1, parallel_envs=1, minibatch=2048,
                           critic_epochs=1, actor_epochs=1)  # fmt: skip
    trainer = Trainer(config, out_dir=out)
    trainer.train_episode()
    return out, trainer


def test_unreadable_files_are_named(tmp_path):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a pickle at all")
    for path in (garbage, tmp_path / "missing.pt"):
        with pytest.raises(ValueError, match="cannot be read") as error:
            load_checkpoint(path, label="--resume")
        assert str(error.value).startswith(f"--resume {str(path)!r} cannot be read (")
        assert "allowed: a run's best.pt or last.pt of python -m dgpg_theory.train" in str(error.value)


@pytest.mark.parametrize(
    "content",
    [[1, 2, 3], "config", {"config": {"model": "linear"}}, {"config": {"n_servers": 5}, "actor": {}},
     {"config": "linear", "actor": {}}, {"config": {"model": "linear"}, "actor": [1.0]}],
)  # fmt: skip
def test_other_pickles_are_refused(tmp_path, content):
    path = tmp_path / "other.pt"
    torch.save(content, path)
    with pytest.raises(ValueError, match=NOT_A_CHECKPOINT) as error:
        load_checkpoint(str(path))
    assert str(error.value).startswith(f"checkpoint {str(path)!r} {NOT_A_CHECKPOINT}; allowed: ")
    assert "(a dict with 'config' and 'actor')" in str(error.value)
    with pytest.raises(ValueError, match=NOT_A_CHECKPOINT):
        load_training_state(path)


def test_best_pt_is_a_checkpoint_but_not_resumable(run):
    out, trainer = run
    best = load_checkpoint(out / "best.pt")
    assert set(best) == {"config", "episode", "actor"} and best["episode"] == 1
    assert best["config"] == trainer.config.to_dict()
    assert all(torch.equal(best["actor"][k], v) for k, v in trainer.best_actor.items())
    with pytest.raises(ValueError, match="is not a resumable training checkpoint") as error:
        load_training_state(out / "best.pt", label="--resume")
    assert str(error.value).startswith(f"--resume {str(out / 'best.pt')!r} is not a resumable")
    assert f"format {CHECKPOINT_FORMAT})" in str(error.value)
    with pytest.raises(ValueError, match="is not a resumable training checkpoint"):
        Trainer.from_checkpoint(out / "best.pt")


def test_last_pt_is_accepted_and_resumes(run):
    out, trainer = run
    state = load_training_state(out / "last.pt")
    assert state["format"] == CHECKPOINT_FORMAT and state["episode"] == 1
    assert load_checkpoint(str(out / "last.pt"))["config"] == trainer.config.to_dict()
    resumed = Trainer.from_checkpoint(out / "last.pt")
    assert resumed.episode == 1 and resumed.history == trainer.history
    assert all(torch.equal(a, b) for a, b in zip(resumed.actor.parameters(), trainer.actor.parameters(), strict=True))


def test_checkpoints_are_written_atomically(run):
    out, _ = run
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]  # no temporary file left behind
    assert {"best.pt", "last.pt", "episodes.csv"} <= {p.name for p in out.iterdir()}
