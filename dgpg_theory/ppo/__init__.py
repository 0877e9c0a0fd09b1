"""The PPO trainer of App. I: one PPO for DG-PG, MAPPO and IPPO (they differ only in critic and advantage)."""

from dgpg_theory.ppo.config import METHODS, PRESETS, TrainConfig, preset_config
from dgpg_theory.ppo.trainer import Trainer, TrainResult

__all__ = ["METHODS", "PRESETS", "TrainConfig", "TrainResult", "Trainer", "preset_config"]
