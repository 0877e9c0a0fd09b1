"""The trainer on a tiny budget: one PPO for three methods, Eq 11 in the advantage, bit-identical resume."""

import math
import sys
import time
import types
from typing import ClassVar

import numpy as np
import pytest
import torch

from dgpg_theory.ppo import Trainer, preset_config
from dgpg_theory.ppo.advantages import RunningNormalizer, normalized_guidance
from dgpg_theory.ppo.trainer import resolve_device
from dgpg_theory.ppo.update import _check, actor_pass, critic_pass, minibatches, side_by_side


def tiny(method: str, **overrides):
    settings = dict(episodes=3, rollouts=1, parallel_envs=1, minibatch=2048, critic_epochs=2, actor_epochs=2)
    settings.update(overrides)
    return preset_config(method, 2, "quick", **settings)


def parameters(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def assert_same(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("method", ["dgpg", "mappo", "ippo"])
def test_an_episode_logs_finite_diagnostics(method):
    row = Trainer(tiny(method)).train_episode()
    for key in ("reward", "entropy", "approx_kl", "clip_fraction", "value_loss", "explained_variance"):
        assert math.isfinite(row[key]), key
    assert row["decisions"] > 1000 and row["alpha"] == (0.9 if method == "dgpg" else 0.0)


def test_dgpg_with_alpha_zero_is_mappo():
    """The methods differ only in the advantage: DG-PG at α = 0 with MAPPO's entropy setting is MAPPO."""
    mappo = Trainer(tiny("mappo"))
    dgpg = Trainer(tiny("dgpg", alpha=0.0, entropy_coef=0.005, entropy_final=None))
    for trainer in (mappo, dgpg):
        trainer.train_episode()
    assert_same(parameters(mappo.actor), parameters(dgpg.actor))
    assert_same(parameters(mappo.critic), parameters(dgpg.critic))


def test_dgpg_advantage_at_alpha_one_is_minus_the_normalized_guidance():
    trainer = Trainer(tiny("dgpg", alpha=1.0))
    batch = trainer.collect_rollouts()
    expected = -normalized_guidance(batch.coefficient, batch.rows, RunningNormalizer(0.99), 3.0)
    actor_data, _, _ = trainer.prepare_update(batch, alpha=1.0)
    np.testing.assert_allclose(actor_data.advantage.numpy(), expected, rtol=1e-6, atol=1e-6)
    assert expected.std() > 0.1  # the negative control: the guidance is not a constant


def test_resume_is_bit_identical(tmp_path):
    straight = Trainer(tiny("dgpg"))
    for _ in range(3):
        straight.train_episode()
    first = Trainer(tiny("dgpg"), out_dir=tmp_path)
    first.train_episode()
    first.train_episode()
    resumed = Trainer.from_checkpoint(tmp_path / "last.pt")
    assert_same(parameters(first.actor), parameters(resumed.actor))  # save → load
    assert_same(parameters(first.critic), parameters(resumed.critic))
    resumed.train_episode()
    assert_same(parameters(straight.actor), parameters(resumed.actor))  # and training continues identically
    assert [r["reward"] for r in straight.history] == [r["reward"] for r in resumed.history]


def test_best_checkpoint_is_the_policy_that_earned_the_reward():
    trainer = Trainer(tiny("dgpg", episodes=1))
    initial = {k: v.clone() for k, v in trainer.actor.state_dict().items()}
    trainer.train_episode()
    assert trainer.best_episode == 1
    assert all(torch.equal(initial[k], v) for k, v in trainer.best_actor.items())  # not the updated actor
    assert not all(torch.equal(initial[k], v) for k, v in trainer.actor.state_dict().items())


def test_out_dir_holds_config_log_checkpoints_and_result(tmp_path):
    trainer = Trainer(tiny("ippo", episodes=2), out_dir=tmp_path)
    result = trainer.train(evaluate=False)
    assert {p.name for p in tmp_path.iterdir()} >= {"config.json", "episodes.csv", "last.pt", "best.pt", "result.json"}
    assert len((tmp_path / "episodes.csv").read_text().strip().splitlines()) == 3
    assert result.episodes == 2 and 1 <= result.convergence_episode <= 2


@pytest.mark.parametrize("model", ["mlp", "scoring"])
def test_other_models_train(model):
    row = Trainer(tiny("dgpg", model=model, hidden=16)).train_episode()
    assert math.isfinite(row["reward"]) and math.isfinite(row["value_loss"])


def test_evaluation_is_paired_and_reproducible():
    trainer = Trainer(tiny("mappo", episodes=1))
    trainer.train_episode()
    first, second = trainer.result(references=False), trainer.result(references=False)
    assert first.test_rewards == second.test_rewards and len(first.test_rewards) == 40


class FakeSummaryWriter:
    """Stands in for TensorBoard's SummaryWriter (tensorboard need not be installed): records what it is given."""

    opened: ClassVar[list["FakeSummaryWriter"]] = []

    def __init__(self, log_dir: str):
        self.log_dir, self.scalars, self.closed = log_dir, [], False
        FakeSummaryWriter.opened.append(self)

    def add_scalar(self, tag, value, step):
        assert not self.closed
        self.scalars.append((tag, value, step))

    def flush(self):
        assert not self.closed

    def close(self):
        self.closed = True


@pytest.fixture
def fake_tensorboard(monkeypatch):
    module = types.ModuleType("torch.utils.tensorboard")
    module.SummaryWriter = FakeSummaryWriter
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", module)
    FakeSummaryWriter.opened = []
    return FakeSummaryWriter.opened


def test_one_tensorboard_writer_per_run(tmp_path, fake_tensorboard):
    Trainer(tiny("mappo", episodes=1)).train_episode()
    assert fake_tensorboard == []  # no out_dir: no writer
    trainer = Trainer(tiny("mappo", episodes=2, critic_epochs=1, actor_epochs=1), out_dir=tmp_path)
    trainer.train(evaluate=False)
    [writer] = fake_tensorboard
    assert writer.closed and writer.log_dir == str(tmp_path / "tensorboard")
    assert sorted({step for _, _, step in writer.scalars}) == [1, 2]
    for row in trainer.history:
        logged = {tag: value for tag, value, step in writer.scalars if step == row["episode"]}
        assert logged == {k: v for k, v in row.items() if k != "episode" and math.isfinite(v)}
    with trainer:  # training on after close() opens a new writer, which leaving the block closes
        trainer.train_episode()
        assert len(fake_tensorboard) == 2 and not fake_tensorboard[1].closed
    assert fake_tensorboard[1].closed and {step for _, _, step in fake_tensorboard[1].scalars} == {3}


def test_the_queue_model_reaches_every_environment_the_trainer_builds(monkeypatch):
    import dgpg_theory.ppo.evaluation as evaluation
    import dgpg_theory.ppo.trainer as trainer_module
    import sim.heuristics as heuristics

    seen = []

    def recording(real):
        class Recording(real):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                seen.append(self.queue_model)

        return Recording

    for module in (trainer_module, evaluation, heuristics):
        monkeypatch.setattr(module, "BatchedEnv", recording(module.BatchedEnv))
    trainer = Trainer(tiny("dgpg", episodes=1, queue_model="binding"))
    trainer.train(evaluate=True, references=True)
    assert len(seen) >= 3 and set(seen) == {"binding"}  # rollouts, test evaluation, the reference policies
    with pytest.raises(ValueError, match="queue_model='fifo' is out of range"):
        tiny("dgpg", queue_model="fifo")


def _prepared(config):
    trainer = Trainer(config)
    actor_data, critic_data, _ = trainer.prepare_update(trainer.collect_rollouts(), alpha=0.9)
    return trainer, actor_data, critic_data


def _serial_update(trainer, actor_data, critic_data, critic_first: bool = True):
    """The update as a plain epoch loop, one network after the other (critic_first=False: orders drawn the
    other way round, the negative control)."""
    c = trainer.config
    critic, actor = (trainer.critic, trainer.critic_optimizer), (trainer.actor, trainer.actor_optimizer)
    for epoch in range(max(c.critic_epochs, c.actor_epochs)):
        draws = ["critic", "actor"] if critic_first else ["actor", "critic"]
        for network in draws:
            if network == "critic" and epoch < c.critic_epochs:
                batches = minibatches(len(critic_data.target), c.minibatch, trainer.generator, trainer.device)
                critic_pass(*critic, critic_data, batches, c.huber_delta, c.critic_grad_clip)
            if network == "actor" and epoch < c.actor_epochs:
                batches = minibatches(len(actor_data.action), c.minibatch, trainer.generator, trainer.device)
                actor_pass(*actor, actor_data, batches, c.clip_epsilon, 0.01, c.actor_grad_clip)


def test_side_by_side_update_is_bit_identical_to_the_serial_update():
    """The critic's and the actor's epochs run in two threads; the networks end exactly where a one-after-the-other
    epoch loop with per-tensor (not foreach) Adam puts them, and the generator where it leaves it. Negative
    control: the same loop drawing the actor's orders first ends elsewhere, so the comparison sees the order of
    the draws."""
    config = tiny("dgpg", critic_epochs=3, actor_epochs=2, minibatch=512)
    side, side_actor_data, side_critic_data = _prepared(config)
    side.update(side_actor_data, side_critic_data, entropy_coef=0.01)
    serial, actor_data, critic_data = _prepared(config)
    for optimizer in (serial.actor_optimizer, serial.critic_optimizer):
        optimizer.param_groups[0]["foreach"] = False
    _serial_update(serial, actor_data, critic_data)
    assert_same(parameters(side.actor), parameters(serial.actor))
    assert_same(parameters(side.critic), parameters(serial.critic))
    assert torch.equal(side.generator.get_state(), serial.generator.get_state())
    swapped, actor_data, critic_data = _prepared(config)
    _serial_update(swapped, actor_data, critic_data, critic_first=False)
    assert not torch.equal(parameters(side.actor)[0], parameters(swapped.actor)[0])


def test_side_by_side_raises_what_either_side_raises_and_stops_the_other():
    """A failing side sets the stop flag; the other side's passes stop at their next mini-batch (Cancelled)
    instead of running to the end, and the failing side's exception is the one raised."""
    finished = []

    def fails(stop):
        raise RuntimeError("boom")

    def long_pass(stop):
        for _ in range(2000):  # 20 s unless stopped
            _check(stop)
            time.sleep(0.01)
        finished.append(True)

    assert side_by_side(lambda stop: 1, lambda stop: 2) == (1, 2)
    for first, second in ((fails, long_pass), (long_pass, fails)):
        start = time.perf_counter()
        with pytest.raises(RuntimeError, match="boom"):
            side_by_side(first, second)
        assert time.perf_counter() - start < 5.0 and not finished


def test_device_names_are_checked():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device='gpu' is unknown; allowed: auto, cpu, cuda"):
        resolve_device("gpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda' needs a CUDA GPU"):
            Trainer(tiny("dgpg"), device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_cuda_update_starts_where_the_cpu_one_does_and_checkpoints_on_the_cpu(tmp_path):
    """Same initial networks, same rollouts (they run on the CPU), same mini-batches: after one episode the CUDA
    run's parameters agree with the CPU run's up to float32 rounding; its checkpoint holds CPU tensors."""
    cpu, cuda = Trainer(tiny("dgpg")), Trainer(tiny("dgpg"), out_dir=tmp_path, device="cuda")
    assert_same(parameters(cpu.actor), [p.cpu() for p in parameters(cuda.actor)])
    cpu_row, cuda_row = cpu.train_episode(), cuda.train_episode()
    assert cpu_row["reward"] == cuda_row["reward"]  # the same policy acted
    for a, b in zip(parameters(cpu.actor), parameters(cuda.actor), strict=True):
        torch.testing.assert_close(a, b.cpu(), rtol=1e-3, atol=1e-4)
    resumed = Trainer.from_checkpoint(tmp_path / "last.pt")  # on the CPU
    assert_same([p.cpu() for p in parameters(cuda.actor)], parameters(resumed.actor))
    assert all(v.device.type == "cpu" for v in torch.load(tmp_path / "last.pt", weights_only=False)["actor"].values())
