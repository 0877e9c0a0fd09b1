"""The units in which the trainer combines ĝ_J and ĝ_G (Eq 11 as dgpg_theory.ppo implements it).

The trainer does not mix raw returns and raw guidance coefficients: it standardizes the advantage,
Â = (A − m_A)/(s_A + 1e-8) (ppo.advantages.standardize), and normalizes the guidance coefficient by a running
mean and variance, ĉ = clip((c − m_c)/√(v_c + 1e-8), ±clip) (ppo.advantages.RunningNormalizer, whose first batch
sets m_c and v_c directly). ``TrainerScales`` holds those four numbers fitted on one batch and applies them to
any other; the exact game's estimator family and the simulator's variance scan both measure Eq 11 through it.
It restates the two formulas so that the scan's workers need not import torch; a test checks that they agree.

Fitting the scales on a batch other than the measured one (a pilot batch, as a trainer fits them on earlier
data) makes the measured estimator a fixed linear combination of unbiased ones (the clip aside): its mean is
known, and its variance is not forced to ≈ E‖∇log π‖² by the measured batch's own standardization.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EPSILON = 1e-8  # ppo.advantages' guard against a zero spread


@dataclass(frozen=True)
class TrainerScales:
    """m_A and the divisor s_A + ε of the advantage; m_c and the divisor √(v_c + ε) of the coefficient."""

    advantage_mean: float
    advantage_divisor: float
    coefficient_mean: float
    coefficient_divisor: float

    @classmethod
    def fit(cls, advantage: np.ndarray, coefficient: np.ndarray) -> TrainerScales:
        """The scales the trainer would take from this batch (every element of each array counts once)."""
        return cls(
            float(np.mean(advantage)),
            float(np.std(advantage)) + EPSILON,
            float(np.mean(coefficient)),
            math.sqrt(float(np.var(coefficient)) + EPSILON),
        )

    def apply(
        self, advantage: np.ndarray, coefficient: np.ndarray, clip: float = math.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        """(Â, ĉ) of another batch in these units; ``clip`` bounds ĉ as the trainer's guidance clip does."""
        return self.standardized_advantage(advantage), self.normalized_coefficient(coefficient, clip)

    def standardized_advantage(self, advantage: np.ndarray) -> np.ndarray:
        return (advantage - self.advantage_mean) / self.advantage_divisor

    def normalized_coefficient(self, coefficient: np.ndarray, clip: float = math.inf) -> np.ndarray:
        return np.clip((coefficient - self.coefficient_mean) / self.coefficient_divisor, -clip, clip)
