"""One PPO for DG-PG, MAPPO and IPPO (§3.3, App. I), read top to bottom: collect → advantages → update → log.

An *episode* of training (the paper's unit, Table 9) is ``rollouts`` full 3000-step rollouts on training
scenarios drawn uniformly from the 200, each with a fresh job trace, followed by one PPO update on everything
collected. The methods differ only in the critic (central or local) and the advantage (Eq 11 for DG-PG).

Randomness: one seed. ``SeedSequence(seed)`` spawns the parameter initialisation, a numpy generator (scenario
draws, workload seeds) and a torch generator (actions, mini-batch order); all three are saved in checkpoints,
so a resumed run continues bit-identically.

Devices: rollouts always run on the CPU (the simulator is numpy/numba); with ``device="cuda"`` the networks,
their optimizers and the update live on the GPU and a CPU copy of the actor acts. Parameters are initialised
and mini-batch orders drawn on the CPU either way, so a CUDA run starts from the same networks and sees the
same mini-batches as a CPU run; only the update's floating-point rounding differs. Checkpoints hold CPU
tensors.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from dgpg_theory._io import write_json
from dgpg_theory.ppo import advantages as adv
from dgpg_theory.ppo.checkpoint import CHECKPOINT_FORMAT, load_training_state
from dgpg_theory.ppo.config import TrainConfig, alpha_at, entropy_coef_at, learning_rate_at, validated
from dgpg_theory.ppo.evaluation import convergence_episode, evaluate_actor, reference_rewards
from dgpg_theory.ppo.models import build_actor, build_critic
from dgpg_theory.ppo.rollout import RolloutBatch, collect, encoder_for
from dgpg_theory.ppo.update import (
    ActorData,
    CriticData,
    actor_pass,
    critic_pass,
    explained_variance,
    minibatches,
    side_by_side,
)
from sim.atomic import atomic_file
from sim.env import BatchedEnv
from sim.observations import task_slots
from sim.scales import resolve_scale
from sim.scenario import load_scenarios
from sim.workload import EPISODE_STEPS

VALUE_CHUNK = 16_384  # rows per critic forward pass when valuing a whole batch
DEVICES = ("auto", "cpu", "cuda")  # where the update runs (cuda:INDEX names one GPU)


def resolve_device(name: str) -> torch.device:
    """The torch device of ``--device``: ``auto`` is CUDA when a GPU is available, else the CPU; ``cuda`` (or
    ``cuda:INDEX``) requires one. ValueError naming the value otherwise."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or (name.startswith("cuda:") and name[5:].isdigit()):
        if not torch.cuda.is_available():
            raise ValueError(f"device={name!r} needs a CUDA GPU, and torch sees none; allowed here: auto, cpu")
        if name != "cuda" and int(name[5:]) >= torch.cuda.device_count():
            raise ValueError(f"device={name!r}: torch sees {torch.cuda.device_count()} GPU(s)")
        return torch.device(name)
    raise ValueError(f"device={name!r} is unknown; allowed: auto, cpu, cuda, cuda:INDEX")


def on_cpu(state: dict) -> dict:
    """A copy of a state dict (nested dicts and lists of tensors) with every tensor on the CPU."""
    if isinstance(state, dict):
        return {key: on_cpu(value) for key, value in state.items()}
    if isinstance(state, list | tuple):
        return type(state)(on_cpu(value) for value in state)
    return state.detach().to("cpu", copy=True) if isinstance(state, torch.Tensor) else state


@dataclass
class TrainResult:
    """The summary printed by ``python -m dgpg_theory.train --json`` (and more)."""

    method: str
    n: int
    episodes: int
    best_train_reward: float
    best_episode: int
    convergence_episode: int
    seconds_per_episode: float
    rollout_seconds_per_episode: float
    update_seconds_per_episode: float
    test_mean_reward: float | None = None
    test_std_reward: float | None = None
    test_rewards: list[float] = field(default_factory=list)
    references: dict = field(default_factory=dict)
    device: str = "cpu"  # where the updates ran

    def summary(self) -> dict:
        keys = ("method", "n", "episodes", "best_train_reward", "test_mean_reward", "test_std_reward",
                "convergence_episode", "seconds_per_episode")  # fmt: skip
        return {key: getattr(self, key) for key in keys}


class Trainer:
    """PPO on the batched simulator. ``callbacks`` are called as f(trainer, row) after each episode.

    With an ``out_dir``, one TensorBoard writer per run is opened at the first logged episode (when tensorboard is
    installed) and closed by ``close()``, at the end of ``train()``, or on leaving ``with Trainer(...) as t:``;
    training after ``close()`` reopens it. ``device`` is where the update runs (``resolve_device``); it is a
    property of the machine, not of the run, so it is not part of the config."""

    def __init__(
        self,
        config: TrainConfig,
        out_dir: str | Path | None = None,
        progress: bool = False,
        callbacks: Sequence[Callable[[Trainer, dict], None]] = (),
        device: str = "cpu",
    ):
        self.config = validated(config)
        self.device = resolve_device(device)
        self.scale = resolve_scale(config.n_servers, config.n_clusters)
        self.train_scenarios = load_scenarios(self.scale, "train", config.scenario_seed)
        self.encoder = encoder_for(config.model)
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.progress, self.callbacks = progress, list(callbacks)
        init_seed, numpy_seed, torch_seed = (
            int(s.generate_state(1)[0]) for s in np.random.SeedSequence(config.seed).spawn(3)
        )
        self.rng = np.random.default_rng(numpy_seed)
        self.generator = torch.Generator().manual_seed(torch_seed)
        shared_dim = self._shared_dim()
        sizes = dict(shared_dim=shared_dim, n_actions=self.scale.n_clusters, hidden=config.hidden,
                     slots=task_slots(self.scale.n_servers), embedding=config.agent_embedding)  # fmt: skip
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(init_seed)
            self.actor = build_actor(config.model, **sizes)
            self.critic = build_critic(config.model, config.critic, **sizes)
        # The acting copy: the actor itself on the CPU, a CPU mirror of the device's actor otherwise.
        self.acting_actor = self.actor if self.device.type == "cpu" else copy.deepcopy(self.actor)
        self.actor.to(self.device)
        self.critic.to(self.device)
        # foreach: one kernel per step for all tensors, the same arithmetic as the per-tensor loop (bit-identical)
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=config.learning_rate, foreach=True)
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=config.learning_rate, foreach=True)
        self.guidance = adv.RunningNormalizer(config.guidance_momentum)
        self.return_stats: tuple[float, float] | None = None  # (mean, std) the critic's outputs are scaled by
        self.episode = 0
        self.history: list[dict] = []
        self.best_reward, self.best_episode = -math.inf, 0
        self.best_actor = on_cpu(self.actor.state_dict())
        self._writer = None  # the run's TensorBoard SummaryWriter, opened by the first logged row

    def __enter__(self) -> Trainer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Close the TensorBoard writer, if one is open (a later logged episode opens a new one)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _shared_dim(self) -> int:
        probe = BatchedEnv(self.train_scenarios[:1], queue_model=self.config.queue_model)
        probe.reset()
        return self.encoder(probe.state, self.scale)[0].shape[1]

    # --- the loop -----------------------------------------------------------------------------------------
    def train(self, evaluate: bool = True, references: bool = True, until: int | None = None) -> TrainResult:
        """Train until ``config.episodes`` (continuing a resumed run), or only until episode ``until`` of that
        schedule, then evaluate the best checkpoint on the test scenarios (and the reference policies on the
        same scenarios)."""
        if until is not None and not 1 <= until <= self.config.episodes:
            raise ValueError(f"until={until!r} is out of range; allowed: None or 1 … episodes ({self.config.episodes})")
        self._prepare_out_dir()
        remaining = range(self.episode, self.config.episodes if until is None else until)
        bar = tqdm(remaining, desc=f"{self.config.method} N={self.scale.n_servers}", disable=not self.progress)
        try:
            for _ in bar:
                row = self.train_episode()
                bar.set_postfix(reward=f"{row['reward']:.2f}", alpha=f"{row['alpha']:.2f}")
        finally:
            self.close()
        return self.result(evaluate=evaluate, references=references)

    def train_episode(self) -> dict:
        """Collect, compute advantages, update, log; returns the episode's log row."""
        with torch_threads(self.config.torch_threads):
            return self._train_episode()

    def _train_episode(self) -> dict:
        c, e = self.config, self.episode
        alpha, entropy_coef, lr = alpha_at(c, e), entropy_coef_at(c, e), learning_rate_at(c, e)
        start = time.perf_counter()
        batch = self.collect_rollouts()
        rollout_seconds = time.perf_counter() - start
        actor_data, critic_data, diagnostics = self.prepare_update(batch, alpha)
        for optimizer in (self.actor_optimizer, self.critic_optimizer):
            for group in optimizer.param_groups:
                group["lr"] = lr
        acting_actor = on_cpu(self.actor.state_dict())  # the policy that earned this episode's reward
        losses = self.update(actor_data, critic_data, entropy_coef)
        self._sync_acting_actor()
        update_seconds = time.perf_counter() - start - rollout_seconds
        episode_rewards = batch.reward.mean(axis=1)
        row = {
            "episode": e + 1, "reward": float(episode_rewards.mean()), "reward_std": float(episode_rewards.std()),
            "alpha": alpha, "entropy_coef": entropy_coef, "learning_rate": lr, **losses, **diagnostics,
            "rollout_seconds": rollout_seconds, "update_seconds": update_seconds,
            "env_steps_per_second": batch.copies * EPISODE_STEPS / rollout_seconds,
            "decisions_per_second": len(batch.action) / rollout_seconds,
        }  # fmt: skip
        self.episode += 1
        self.history.append(row)
        if row["reward"] > self.best_reward:
            self.best_reward, self.best_episode = row["reward"], row["episode"]
            self.best_actor = acting_actor
        self._log(row)
        for callback in self.callbacks:
            callback(self, row)
        return row

    def collect_rollouts(self) -> RolloutBatch:
        c = self.config
        batches = []
        for start in range(0, c.rollouts, c.parallel_envs):
            copies = min(c.parallel_envs, c.rollouts - start)
            picks = self.rng.integers(0, len(self.train_scenarios), copies)
            workload_seed = int(self.rng.integers(0, 2**31 - 1))
            env = BatchedEnv(
                [self.train_scenarios[i] for i in picks], workload_seed=workload_seed, queue_model=c.queue_model
            )
            batches.append(collect(env, self.acting_actor, self.encoder, self.scale, self.generator))
        return RolloutBatch.concatenate(batches)

    def _sync_acting_actor(self) -> None:
        if self.acting_actor is not self.actor:
            self.acting_actor.load_state_dict(self.actor.state_dict())

    # --- advantages (Eq 11) and value targets ------------------------------------------------------------------
    def prepare_update(self, batch: RolloutBatch, alpha: float) -> tuple[ActorData, CriticData, dict]:
        c = self.config
        shared = torch.from_numpy(batch.shared)
        rows, index = torch.from_numpy(batch.rows), torch.from_numpy(batch.index)
        own = torch.from_numpy(batch.own)
        step_own, step_index = self._step_inputs(batch)
        if self.return_stats is None:  # the critic's output scale: set once, then per episode if normalizing returns
            returns = adv.discounted_returns(batch.reward, c.gamma)
            self.return_stats = (float(returns.mean()), float(returns.std() + 1e-8))
        step_values = self._values(shared, None, step_own, step_index).reshape(batch.reward.shape)
        step_advantage = adv.gae(batch.reward, step_values, c.gamma, c.gae_lambda)
        returns = (step_advantage + step_values).ravel()  # λ-return targets, one per (copy, step) row
        agent_returns = returns[batch.rows]
        if c.critic == "local":  # the agent's own value: Â = R^λ_t − V(o_i)
            agent_values = self._values(shared, rows, own, index)
            agent_advantage = agent_returns - agent_values
            variance_explained = explained_variance(agent_values, agent_returns)
        else:
            agent_advantage = step_advantage.ravel()[batch.rows]
            variance_explained = explained_variance(step_values.ravel(), returns)
        if c.advantage_normalization and len(agent_advantage) > 1:
            agent_advantage = adv.standardize(agent_advantage)
        guidance = adv.normalized_guidance(batch.coefficient, batch.rows, self.guidance, c.guidance_clip)
        advantage = adv.dg_advantage(agent_advantage, guidance, alpha) if c.method == "dgpg" else agent_advantage
        if c.return_normalization:
            self.return_stats = (float(returns.mean()), float(returns.std() + 1e-8))
        targets = self._scaled_targets(returns)
        # Both critics train on every agent (what it sees at its step) and every step row (what GAE bootstraps
        # from), so the two methods get the same number of critic updates.
        agent_own, agent_index = (own, index) if c.critic == "local" else (step_own[rows], step_index[rows])
        critic_data = CriticData(
            shared, torch.cat([rows, torch.arange(len(returns))]), torch.cat([agent_own, step_own]),
            torch.cat([agent_index, step_index]), torch.cat([targets[batch.rows], targets]),
        )  # fmt: skip
        actor_data = ActorData(
            shared, rows, own, index, torch.from_numpy(batch.action), torch.from_numpy(batch.log_prob),
            torch.from_numpy(advantage.astype(np.float32)),
        )  # fmt: skip
        actor_data, critic_data = actor_data.to(self.device), critic_data.to(self.device)
        diagnostics = {
            "explained_variance": variance_explained,
            "guidance_raw_mean": float(batch.coefficient.mean()) if len(batch.coefficient) else float("nan"),
            "guidance_running_mean": self.guidance.mean, "guidance_running_std": math.sqrt(self.guidance.var),
            "decisions": len(batch.action),
        }  # fmt: skip
        return actor_data, critic_data, diagnostics

    def _step_inputs(self, batch: RolloutBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """Critic inputs of each (copy, step) row: [t / 3000] for a central critic; for a local one, the own part
        of an agent with an empty job at index 0 (the observation an agent would have at that step)."""
        time_column = torch.from_numpy(batch.time.astype(np.float32))[:, None]
        if self.config.critic == "central":
            return time_column, torch.zeros(len(batch.time), dtype=torch.int64)
        zeros = torch.zeros(len(batch.time), 1)
        return torch.cat([zeros, zeros, time_column, zeros], dim=1), torch.zeros(len(batch.time), dtype=torch.int64)

    def _values(self, shared, rows, own, index) -> np.ndarray:
        """Critic values in reward units: the critic regresses (return − mean) / std (see ``_scaled_targets``)."""
        count = len(own)
        out = np.empty(count)
        device = self.device
        with torch.inference_mode():
            on_device = shared.to(device)
            for start in range(0, count, VALUE_CHUNK):
                part = slice(start, start + VALUE_CHUNK)
                if rows is None:
                    chunk_rows = torch.arange(start, min(count, start + VALUE_CHUNK))
                else:
                    chunk_rows = rows[part]
                inputs = (chunk_rows.to(device), own[part].to(device), index[part].to(device))
                out[part] = self.critic(on_device, *inputs).squeeze(-1).double().cpu().numpy()
        mean, std = self.return_stats
        return mean + std * out

    def _scaled_targets(self, returns: np.ndarray) -> torch.Tensor:
        """Targets on the critic's output scale. With return normalization (App. I.1) the scale is each episode's
        return mean and std; without it (App. I.3) it is fixed once, from the first episode's Monte Carlo returns,
        so the targets stay raw returns up to one fixed affine map and keep the differences between scenarios."""
        mean, std = self.return_stats
        return torch.from_numpy(((returns - mean) / std).astype(np.float32))

    # --- PPO update ---------------------------------------------------------------------------------------
    def update(self, actor_data: ActorData, critic_data: CriticData, entropy_coef: float) -> dict:
        """critic_epochs passes of the critic and actor_epochs of the actor, side by side (``side_by_side``)."""
        c = self.config
        critic_epochs, actor_epochs = self._minibatch_orders(len(critic_data.target), len(actor_data.action))

        def critic_work(stop) -> list[float]:
            critic = (self.critic, self.critic_optimizer)
            return [
                critic_pass(*critic, critic_data, batches, c.huber_delta, c.critic_grad_clip, stop)
                for batches in critic_epochs
            ]

        def actor_work(stop) -> list[dict]:
            actor = (self.actor, self.actor_optimizer)
            return [
                actor_pass(*actor, actor_data, batches, c.clip_epsilon, entropy_coef, c.actor_grad_clip, stop)
                for batches in actor_epochs
            ]

        critic_losses, actor_stats = side_by_side(critic_work, actor_work)
        last = (
            actor_stats[-1]
            if actor_stats
            else dict.fromkeys(("actor_loss", "entropy", "approx_kl", "clip_fraction"), float("nan"))
        )
        return {**last, "value_loss": critic_losses[-1]}

    def _minibatch_orders(self, critic_samples: int, actor_samples: int) -> tuple[list, list]:
        """Every epoch's mini-batches of both networks, drawn up front in the order of an epoch loop that runs the
        critic's pass and then the actor's (the order this trainer always drew them in)."""
        c = self.config
        critic_epochs, actor_epochs = [], []
        for epoch in range(max(c.actor_epochs, c.critic_epochs)):
            if epoch < c.critic_epochs:
                critic_epochs.append(minibatches(critic_samples, c.minibatch, self.generator, self.device))
            if epoch < c.actor_epochs and actor_samples:
                actor_epochs.append(minibatches(actor_samples, c.minibatch, self.generator, self.device))
        return critic_epochs, actor_epochs

    # --- results, logs, checkpoints -------------------------------------------------------------------------
    def result(self, evaluate: bool = True, references: bool = True) -> TrainResult:
        rewards = [row["reward"] for row in self.history]
        seconds = lambda key: float(np.mean([row[key] for row in self.history]))  # noqa: E731
        result = TrainResult(
            method=self.config.method, n=self.scale.n_servers, episodes=len(self.history),
            best_train_reward=self.best_reward, best_episode=self.best_episode,
            convergence_episode=convergence_episode(rewards),
            seconds_per_episode=seconds("rollout_seconds") + seconds("update_seconds"),
            rollout_seconds_per_episode=seconds("rollout_seconds"),
            update_seconds_per_episode=seconds("update_seconds"), device=str(self.device),
        )  # fmt: skip
        if evaluate:
            test = load_scenarios(self.scale, "test", self.config.scenario_seed)
            actor = copy.deepcopy(self.acting_actor)
            actor.load_state_dict(self.best_actor)
            with torch_threads(self.config.torch_threads):
                greedy = self.config.eval_mode == "greedy"
                test_rewards = evaluate_actor(
                    actor, self.encoder, self.scale, test, self.config.seed, greedy,
                    queue_model=self.config.queue_model,
                )  # fmt: skip
            result.test_rewards = [float(r) for r in test_rewards]
            result.test_mean_reward = float(test_rewards.mean())
            result.test_std_reward = float(test_rewards.std(ddof=1)) if len(test_rewards) > 1 else 0.0
            if references:
                result.references = reference_rewards(test, seed=self.config.seed, queue_model=self.config.queue_model)
        if self.out_dir is not None:
            write_json(self.out_dir / "result.json", {**result.__dict__})
        return result

    def _prepare_out_dir(self) -> None:
        if self.out_dir is None:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        write_json(self.out_dir / "config.json", self.config.to_dict())

    def _log(self, row: dict) -> None:
        if self.out_dir is None:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)  # train_episode() may be called without train()
        path = self.out_dir / "episodes.csv"
        new = not path.exists() or row["episode"] == 1
        self.save_checkpoint(self.out_dir / "last.pt")  # before the CSV row: a crash between them loses no row twice
        with open(path, "w" if new else "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)
        if row["episode"] == self.best_episode:
            best = {"config": self.config.to_dict(), "episode": self.best_episode, "actor": self.best_actor}
            _save(best, self.out_dir / "best.pt")
        self._tensorboard(row)

    def _tensorboard(self, row: dict) -> None:
        """Also log to TensorBoard when it is installed (optional): every finite number but the episode, at step
        ``episode``, through the run's one writer (flushed per episode, so an unclosed run loses nothing)."""
        if self._writer is None:
            writer_class = _summary_writer_class()
            if writer_class is None:
                return
            self._writer = writer_class(str(self.out_dir / "tensorboard"))
        for key, value in row.items():
            if key != "episode" and isinstance(value, int | float) and math.isfinite(value):
                self._writer.add_scalar(key, value, row["episode"])
        self._writer.flush()

    def state_dict(self) -> dict:
        """The trainer's state with every tensor on the CPU (a checkpoint loads on any machine)."""
        return on_cpu({
            "format": CHECKPOINT_FORMAT, "config": self.config.to_dict(), "episode": self.episode,
            "actor": self.actor.state_dict(), "critic": self.critic.state_dict(),
            "actor_optimizer": self.actor_optimizer.state_dict(),
            "critic_optimizer": self.critic_optimizer.state_dict(),
            "guidance": self.guidance.state_dict(), "return_stats": self.return_stats,
            "numpy_rng": self.rng.bit_generator.state, "torch_generator": self.generator.get_state(),
            "history": self.history, "best_reward": self.best_reward, "best_episode": self.best_episode,
            "best_actor": self.best_actor, "device": str(self.device),
        })  # fmt: skip

    def save_checkpoint(self, path: str | Path) -> None:
        """The trainer's state (a resumable ``last.pt``), written atomically."""
        _save(self.state_dict(), path)

    @classmethod
    def from_checkpoint(cls, path: str | Path, out_dir: str | Path | None = None, **kwargs) -> Trainer:
        """A trainer in exactly the state saved at ``path`` (a ``last.pt``; ValueError for anything else)."""
        return cls.from_checkpoint_state(load_training_state(path), out_dir=out_dir, **kwargs)

    @classmethod
    def from_checkpoint_state(cls, state: dict, out_dir: str | Path | None = None, **kwargs) -> Trainer:
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"not a dgpg-theory training checkpoint (format {CHECKPOINT_FORMAT})")
        trainer = cls(TrainConfig.from_dict(state["config"]), out_dir=out_dir, **kwargs)
        trainer.load_state_dict(state)
        return trainer

    def load_state_dict(self, state: dict) -> None:
        self.actor.load_state_dict(state["actor"])
        self.critic.load_state_dict(state["critic"])
        self._sync_acting_actor()
        self.actor_optimizer.load_state_dict(state["actor_optimizer"])
        self.critic_optimizer.load_state_dict(state["critic_optimizer"])
        self.guidance = adv.RunningNormalizer(**state["guidance"])
        self.return_stats = None if state["return_stats"] is None else tuple(state["return_stats"])
        self.rng.bit_generator.state = state["numpy_rng"]
        self.generator.set_state(state["torch_generator"])
        self.episode, self.history = state["episode"], list(state["history"])
        self.best_reward, self.best_episode = state["best_reward"], state["best_episode"]
        self.best_actor = state["best_actor"]


@contextlib.contextmanager
def torch_threads(count: int):
    """torch's intra-op thread count set to ``count`` inside, restored after. One thread is the default: with the
    passive OpenMP waiting we need against contention (dgpg_theory/__init__.py), a second torch thread made an
    N = 5 episode twice as slow on the 2-core machine (28.6 s vs 13.6 s; SPEC.md)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _save(value: dict, path: str | Path) -> None:
    """``torch.save`` to ``path`` atomically: a reader (or a crash) never sees half a checkpoint."""
    with atomic_file(path, "wb") as handle:
        torch.save(value, handle)


def _summary_writer_class():
    """TensorBoard's ``SummaryWriter``, or None when tensorboard is not installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter
