"""Training configuration: one dataclass for DG-PG, MAPPO and IPPO, and the paper's settings as presets.

The three methods are one PPO (App. I). They differ only where the paper says they differ:
- the critic: centralized on the global state (MAPPO, and DG-PG, which the paper integrates into MAPPO, §3.3)
  or local on the agent's own observation (IPPO);
- the advantage: DG-PG augments the GAE advantage with the guidance coefficient, Eq 11,
  Â_DG = (1 − α) Â_GAE − α · c, with the α schedule of §6.2;
- the entropy coefficient and the number of episodes (Table 6, below its midline).

Presets: ``linear`` is Table 6 (the controlled comparison of §6.3, all three methods), ``nn`` is §I.3 with the
scale-specific rows of Table 7 (DG-PG in §6.2 and §6.4; MAPPO/IPPO may use it too, as in Appendix J), ``quick``
is a small setting for tests, notebooks and smoke runs (not a paper setting).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from sim.arguments import is_int
from sim.kernels import DEFAULT_QUEUE_MODEL, QUEUE_MODELS

METHODS = ("dgpg", "mappo", "ippo")
MODELS = ("linear", "mlp", "scoring")
PRESETS = ("linear", "nn", "quick")
CRITIC_OF_METHOD = {"dgpg": "central", "mappo": "central", "ippo": "local"}

# Table 7: N → (hidden dim, mini-batch, rollouts per episode, parallel envs, PPO clip ε).
TABLE7 = {
    5: (128, 256, 12, 4, 0.2),
    10: (128, 512, 12, 4, 0.2),
    20: (128, 512, 12, 4, 0.2),
    50: (256, 1024, 8, 4, 0.4),
    100: (512, 2048, 6, 2, 0.4),
    200: (1024, 2048, 4, 1, 0.4),
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run depends on; saved as JSON beside the run and inside every checkpoint."""

    method: str = "dgpg"  # dgpg | mappo | ippo
    n_servers: int = 5  # N of Table 5 (or any N with scenarios)
    n_clusters: int | None = None  # K (default: Table 5, or the divisor of N nearest N/5)
    preset: str = "linear"  # the preset the remaining fields came from (for the record)
    model: str = "linear"  # linear: softmax(Ws + b) | mlp: 2-layer Tanh MLP + agent-id embedding | scoring
    hidden: int = 128  # hidden width of the MLP (Table 7)
    agent_embedding: int = 16  # dimension of the learnable agent-id embedding (App. H.2, I.3)
    episodes: int = 200  # training episodes (one episode = `rollouts` full 3000-step rollouts, then an update)
    rollouts: int = 24  # rollouts per episode (Table 6: 24; Table 7: 12 … 4)
    parallel_envs: int = 4  # environment copies simulated together (rollouts run in batches of this size)
    gamma: float = 0.99  # discount factor γ
    gae_lambda: float = 0.95  # GAE λ
    clip_epsilon: float = 0.2  # PPO clipping ratio ε (0.4 for NN at N ≥ 50)
    learning_rate: float = 1e-3  # initial learning rate of both Adam optimizers
    lr_decay: str = "linear"  # linear: to lr_final_fraction over lr_decay_span of training | exponential | none
    lr_final_fraction: float = 0.01  # the learning rate's final value as a fraction of the initial one
    lr_decay_span: float = 0.95  # fraction of training over which the learning rate decays (App. I.1: 90–95 %)
    critic_epochs: int = 20  # passes over the batch for the critic (split-epoch, Table 6)
    actor_epochs: int = 3  # passes over the batch for the actor
    minibatch: int = 10_000  # mini-batch size (transitions)
    actor_grad_clip: float = 10.0  # max gradient norm of the actor (independent clipping)
    critic_grad_clip: float = 10.0  # max gradient norm of the critic
    huber_delta: float = 10.0  # Huber value loss δ
    return_normalization: bool = True  # critic regresses standardized returns (App. I.1; off for NN DG-PG, I.3)
    advantage_normalization: bool = True  # Â_GAE standardized per batch before Eq 11 (MAPPO's practice)
    entropy_coef: float = 0.01  # initial entropy coefficient
    entropy_final: float | None = 1e-4  # exponential decay to this value at the last episode; None: fixed
    alpha: float | None = None  # constant guidance weight α; None: the §6.2 schedule (DG-PG only)
    alpha_start: float = 0.9  # schedule: α for the first alpha_hold of training
    alpha_end: float = 0.2  # schedule: α from alpha_decay_end on
    alpha_hold: float = 0.1  # schedule: fraction of training at alpha_start
    alpha_decay_end: float = 0.5  # schedule: fraction of training at which α reaches alpha_end
    guidance_momentum: float = 0.99  # running mean/variance momentum of the guidance signal c (App. I.3)
    guidance_clip: float = 3.0  # the normalized guidance signal is clipped to [−clip, clip]
    scenario_seed: int = 0  # seed of the scenario set (200 train / 40 test)
    seed: int = 0  # the one seed of the run: parameters, scenario draws, workloads, actions, mini-batches
    eval_mode: str = "sample"  # test evaluation: sample from π, or greedy (argmax)
    queue_model: str = DEFAULT_QUEUE_MODEL  # who places a job (sim/SPEC.md, "Queue models")
    torch_threads: int = 1  # torch intra-op threads while training / evaluating (restored afterwards; see SPEC)

    @property
    def critic(self) -> str:
        return CRITIC_OF_METHOD[self.method]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown config keys {sorted(unknown)}; allowed: the fields of TrainConfig")
        return validated(cls(**values))


def table7_row(n_servers: int) -> tuple[int, int, int, int, float]:
    """The Table 7 row of N, or of the nearest listed N (ties to the smaller) for an N the table does not list."""
    nearest = min(TABLE7, key=lambda listed: (abs(math.log(listed / n_servers)), listed))
    return TABLE7[nearest]


def preset_config(method: str, n_servers: int, preset: str = "linear", **overrides) -> TrainConfig:
    """The paper's settings for ``method`` at N under ``preset``, with field overrides (validated)."""
    if method not in METHODS:
        raise ValueError(f"method={method!r} is unknown; allowed: {', '.join(METHODS)}")
    if preset not in PRESETS:
        raise ValueError(f"preset={preset!r} is unknown; allowed: {', '.join(PRESETS)}")
    baseline = method != "dgpg"
    if preset == "linear":  # Table 6
        fields = dict(
            model="linear", episodes=500 if baseline else 200, rollouts=24, parallel_envs=4, clip_epsilon=0.2,
            learning_rate=1e-3, lr_decay="linear", critic_epochs=20, actor_epochs=3, minibatch=10_000,
            actor_grad_clip=10.0, critic_grad_clip=10.0, return_normalization=True,
            entropy_coef=0.005 if baseline else 0.01, entropy_final=None if baseline else 1e-4,
        )  # fmt: skip
    elif preset == "nn":  # App. I.3 and Table 7
        hidden, minibatch, rollouts, parallel_envs, epsilon = table7_row(n_servers)
        fields = dict(
            model="mlp", hidden=hidden, episodes=200, rollouts=rollouts, parallel_envs=parallel_envs,
            clip_epsilon=epsilon, learning_rate=3e-4, lr_decay="exponential", critic_epochs=4, actor_epochs=4,
            minibatch=minibatch, actor_grad_clip=0.5, critic_grad_clip=0.5, return_normalization=False,
            entropy_coef=0.02, entropy_final=1e-4,
        )  # fmt: skip
    else:  # quick: Table 6's linear model on a small budget
        fields = dict(
            model="linear", episodes=10, rollouts=4, parallel_envs=4, clip_epsilon=0.2, learning_rate=1e-3,
            lr_decay="linear", critic_epochs=10, actor_epochs=3, minibatch=4096, actor_grad_clip=10.0,
            critic_grad_clip=10.0, return_normalization=True,
            entropy_coef=0.005 if baseline else 0.01, entropy_final=None if baseline else 1e-4,
        )  # fmt: skip
    fields.update(overrides)
    return validated(TrainConfig(method=method, n_servers=n_servers, preset=preset, **fields))


def _require(condition: bool, name: str, value, allowed: str) -> None:
    if not condition:
        raise ValueError(f"{name}={value!r} is out of range; allowed: {allowed}")


def validated(config: TrainConfig) -> TrainConfig:
    """The config itself if every field is in range; else a ValueError naming the field, value and range."""
    c = config
    _require(c.method in METHODS, "method", c.method, ", ".join(METHODS))
    _require(c.model in MODELS, "model", c.model, ", ".join(MODELS))
    _require(c.preset in PRESETS, "preset", c.preset, ", ".join(PRESETS))
    _require(c.lr_decay in ("linear", "exponential", "none"), "lr_decay", c.lr_decay, "linear, exponential, none")
    _require(c.eval_mode in ("sample", "greedy"), "eval_mode", c.eval_mode, "sample, greedy")
    _require(c.queue_model in QUEUE_MODELS, "queue_model", c.queue_model, ", ".join(QUEUE_MODELS))
    for name in ("episodes", "rollouts", "parallel_envs", "critic_epochs", "actor_epochs", "minibatch", "hidden",
                 "torch_threads"):  # fmt: skip
        value = getattr(c, name)
        _require(is_int(value) and value >= 1, name, value, "an int ≥ 1")
    _require(is_int(c.n_servers) and c.n_servers >= 2, "n_servers", c.n_servers, "an int ≥ 2")
    _require(c.agent_embedding >= 0, "agent_embedding", c.agent_embedding, "an int ≥ 0")
    for name in ("gamma", "gae_lambda", "guidance_momentum", "lr_final_fraction", "lr_decay_span"):
        _require(0.0 < getattr(c, name) <= 1.0, name, getattr(c, name), "(0, 1]")
    for name in ("clip_epsilon", "learning_rate", "actor_grad_clip", "critic_grad_clip", "huber_delta"):
        _require(getattr(c, name) > 0.0, name, getattr(c, name), "> 0")
    _require(c.guidance_clip > 0.0, "guidance_clip", c.guidance_clip, "> 0")
    _require(c.entropy_coef >= 0.0, "entropy_coef", c.entropy_coef, "≥ 0")
    _require(c.entropy_final is None or c.entropy_final > 0, "entropy_final", c.entropy_final, "None or > 0")
    _require(c.alpha is None or 0.0 <= c.alpha <= 1.0, "alpha", c.alpha, "None (the schedule) or [0, 1]")
    for name in ("alpha_start", "alpha_end"):
        _require(0.0 <= getattr(c, name) <= 1.0, name, getattr(c, name), "[0, 1]")
    _require(0.0 <= c.alpha_hold <= c.alpha_decay_end <= 1.0, "alpha_hold", c.alpha_hold, "0 ≤ hold ≤ decay_end ≤ 1")
    _require(c.seed >= 0, "seed", c.seed, "a non-negative int")
    _require(c.scenario_seed >= 0, "scenario_seed", c.scenario_seed, "a non-negative int")
    return config


def progress(config: TrainConfig, episode: int) -> float:
    """Training progress in [0, 1] at the start of ``episode`` (0-based)."""
    return episode / max(1, config.episodes - 1)


def alpha_at(config: TrainConfig, episode: int) -> float:
    """Guidance weight α of Eq 11 at an episode: 0 for MAPPO/IPPO; constant, or the three-phase schedule of §6.2
    (0.9 for the first 10 % of training, linear to 0.2 at 50 %, then 0.2)."""
    if config.method != "dgpg":
        return 0.0
    if config.alpha is not None:
        return config.alpha
    p = progress(config, episode)
    if p <= config.alpha_hold:
        return config.alpha_start
    if p >= config.alpha_decay_end:
        return config.alpha_end
    share = (p - config.alpha_hold) / (config.alpha_decay_end - config.alpha_hold)
    return config.alpha_start + share * (config.alpha_end - config.alpha_start)


def entropy_coef_at(config: TrainConfig, episode: int) -> float:
    """Entropy coefficient: fixed, or exponential decay from entropy_coef to entropy_final at the last episode."""
    if config.entropy_final is None:
        return config.entropy_coef
    if config.entropy_coef == 0.0:
        return 0.0
    return config.entropy_coef * (config.entropy_final / config.entropy_coef) ** progress(config, episode)


def learning_rate_at(config: TrainConfig, episode: int) -> float:
    """Learning rate: linear to lr_final_fraction over lr_decay_span of training (App. I.1), exponential to the same
    final fraction at the last episode (App. I.3 names only "exponential decay"), or constant."""
    p = progress(config, episode)
    if config.lr_decay == "none":
        return config.learning_rate
    if config.lr_decay == "exponential":
        return config.learning_rate * config.lr_final_fraction**p
    share = min(1.0, p / config.lr_decay_span)
    return config.learning_rate * (1.0 - share * (1.0 - config.lr_final_fraction))
