"""The multi-agent policy-gradient estimator family of the paper's Table 2 (App. A), on the exact game.

Every member is agent i's score times a centred return, ĝ^i = ∇_{θ^i} log π(a_i)·(R − b_i), and the members
differ only in the baseline b_i — none of which depends on a_i, so every member is unbiased for ∇_{θ^i} J:
  plain       b = 0                                    Eq 2 (MAPPO/IPPO row of Table 2: Θ(N))
  loo         b = mean R of the other S − 1 samples     a state-value baseline (the critic of MAPPO/IPPO)
  coma        b = Σ_{a'} π_i(a') Q(a_{−i}, a')          Foerster et al. 2018 (Table 2: Θ(N))
  ob          b = Kuba et al. 2021's optimal baseline   (not a row of Table 2; §2.2 cites the paper for Eq 3)
  difference  b = R_{−i}, job i never arrived           Wolpert & Tumer 2001 (Table 2: O(1), "exact simulator")
and DG-PG (Table 2: O(1)) mixes the baselined ĝ_J with the guidance estimator ĝ_G^i = ∇log π(a_i)·c_i (Eq 9):
  ĝ_DG = (1 − α)·ĝ_J − α·ĝ_G  (Eq 10), at α ∈ {α*, 0.9, 0.2}
in raw units and in the units the trainer combines them (Eq 11 as dgpg_theory.ppo implements it): the
advantage R − b_loo standardized, the guidance coefficient normalized, (c − m_c)/s_c, and clipped to ±3.

Choices (the paper leaves them open):
  - α* (the Eq 13 minimizer, taken in [0, 1]: the DG estimator mixes with α ∈ [0, 1]) and the trainer's scales
    (std of the advantage; mean and std of c) are fitted on an independent pilot batch, as a trainer fits them
    on earlier data: the measured estimator is then a fixed linear combination of unbiased ones, and its mean
    is known exactly — except for the clip, which ``TRAINER_CLIP = inf`` removes in the unbiasedness tests.
  - The trainer standardizes by the batch's own statistics; the pilot's differ from them by O(1/√S). The scales
    and their formulas are dgpg_theory.trainer_units', shared with the simulator's variance scan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dgpg_theory import exact_game
from dgpg_theory import statistics as st
from dgpg_theory.estimators import counterfactual
from dgpg_theory.measurement import counterfactuals as sim_estimators
from dgpg_theory.ppo.config import TrainConfig
from dgpg_theory.trainer_units import TrainerScales

TRAINER_CLIP = TrainConfig().guidance_clip
# What Table 2's rows say and which row each family stands for; the names, the claims and the paper's α are
# the simulator's (measurement.counterfactuals), so the two tables share one catalogue.
TABLE2_ROWS = {
    "plain": "MAPPO / IPPO: Θ(N)", "loo": "MAPPO / IPPO: Θ(N)", "coma": "COMA: Θ(N)", "ob": "not in Table 2",
    "difference": "Diff. Rewards: O(1)", "dg": "DG-PG: O(1)",
}  # fmt: skip
CONTROL_ROW = "control: loo, Eq 11"
# Short names for tables and figures (the README's, REPORT.md's and the Table 2 figure's)
LABELS = {
    "plain": "Eq 2, no baseline",
    "loo": "state (leave-one-out) baseline",
    "coma": "COMA, exact Q",
    "ob": "Kuba et al.'s optimal baseline",
    "difference": "difference rewards, exact R_{−i}",
}
DESCRIPTIONS = {
    "plain": "∇log π·R (Eq 2, no baseline)",
    "loo": "∇log π·(R − b_loo), leave-one-out state baseline",
    "coma": "∇log π·(R − E_{a'~π_i} Q(a_{−i}, a'))",
    "ob": "∇log π·(R − b*), Kuba et al.'s optimal baseline",
    "difference": "∇log π·(R − R_{−i}), difference rewards",
}


@dataclass(frozen=True)
class Member:
    """One estimator of the family: its name (measurement.counterfactuals.variant_names), what it is, and
    Table 2's claim for its per-agent variance."""

    name: str

    @property
    def family(self) -> str:
        return sim_estimators.family_of(self.name)

    @property
    def is_dg(self) -> bool:
        return self.family == "dg"

    @property
    def units(self) -> str:
        """'trainer' for DG in Eq 11's units (``dg_eq11_*``), else 'raw'."""
        return "trainer" if self.name.startswith("dg_eq11_") else "raw"

    @property
    def claim(self) -> str | None:
        """'Theta(N)', 'O(1)', or None (Table 2 makes no claim)."""
        return sim_estimators.claim_of(self.name)

    @property
    def table2_row(self) -> str:
        return CONTROL_ROW if self.name == sim_estimators.EQ11_CONTROL else TABLE2_ROWS[self.family]

    @property
    def label(self) -> str:
        if not self.is_dg:
            return LABELS[self.name]
        if self.name == sim_estimators.EQ11_CONTROL:
            return "control: state baseline, trainer units (α = 0)"
        variant = self.name.removeprefix("dg_eq11_" if self.units == "trainer" else "dg_")
        at = " at α*" if variant == "alpha_star" else f", α = {variant.removeprefix('alpha_')}"
        return f"DG-PG{at}" + (", trainer units (Eq 11)" if self.units == "trainer" else " (Eq 10)")

    @property
    def description(self) -> str:
        if not self.is_dg:
            return DESCRIPTIONS[self.name]
        variant = self.name.removeprefix("dg_eq11_" if self.units == "trainer" else "dg_")
        label = "α*" if variant == "alpha_star" else f"α = {variant.removeprefix('alpha_')}"
        return f"(1 − α)ĝ_J − αĝ_G at {label}" + (", Eq 11 units" if self.units == "trainer" else ", Eq 10")


MEMBERS: dict[str, Member] = {name: Member(name) for name in sim_estimators.variant_names(sim_estimators.ESTIMATORS)}
DG_MEMBERS = tuple(member for member in MEMBERS.values() if member.is_dg)


@dataclass(frozen=True)
class DGCalibration:
    """What a trainer would have fitted before this batch: α* (raw and trainer units) and the trainer's scales."""

    alpha_star: float
    alpha_star_trainer: float
    scales: TrainerScales


def baselines(
    game: exact_game.LoadBalancingGame, theta: np.ndarray, samples: exact_game.EstimatorSamples
) -> dict[str, np.ndarray]:
    """b_i per sample and agent, [S, N], for every baseline member (see the module docstring)."""
    loads = exact_game.server_loads(game, samples.actions)
    f = game.reward_factor
    n_samples = samples.actions.shape[0]

    def expected_counterfactual(weights: np.ndarray) -> np.ndarray:
        return -f * counterfactual.expected_counterfactual_penalty(game, samples.actions, loads, weights)

    return {
        "plain": np.zeros((n_samples, game.n_agents)),
        "loo": np.broadcast_to(st.leave_one_out_mean(samples.reward)[:, None], (n_samples, game.n_agents)),
        "coma": expected_counterfactual(counterfactual.coma_weights(game, theta)),
        "ob": expected_counterfactual(counterfactual.optimal_baseline_weights(game, theta)),
        "difference": -f * counterfactual.penalty_without_agent(game, samples.actions, loads),
    }


def calibrate(
    game: exact_game.LoadBalancingGame, theta: np.ndarray, pilot: exact_game.EstimatorSamples
) -> DGCalibration:
    """α* and the trainer's scales from an independent pilot batch (Eq 13; ppo.advantages)."""
    advantage = pilot.reward - st.leave_one_out_mean(pilot.reward)
    scales = TrainerScales.fit(advantage, pilot.guidance_coefficient)
    score = exact_game.score_functions(game, theta, pilot.actions)
    trainer_j, trainer_g = trainer_pair(score, advantage, pilot.guidance_coefficient, scales, clip=TRAINER_CLIP)
    return DGCalibration(
        st.plug_in_alpha(_flat(pilot.g_j_baseline), _flat(pilot.g_g)),
        st.plug_in_alpha(_flat(trainer_j), _flat(trainer_g)),
        scales,
    )


def _flat(samples: np.ndarray) -> np.ndarray:
    return samples.reshape(samples.shape[0], -1)


def trainer_pair(
    score: np.ndarray, advantage: np.ndarray, coefficient: np.ndarray, scales: TrainerScales, clip: float
) -> tuple[np.ndarray, np.ndarray]:
    """(∇log π·Â, ∇log π·ĉ) in the trainer's units (trainer_units.TrainerScales), ĉ clipped to ±``clip``."""
    standardized, normalized = scales.apply(advantage, coefficient, clip)
    return score * standardized[:, None, None], score * normalized[..., None]


def member_samples(
    game: exact_game.LoadBalancingGame,
    theta: np.ndarray,
    samples: exact_game.EstimatorSamples,
    calibration: DGCalibration,
    clip: float = TRAINER_CLIP,
) -> dict[str, np.ndarray]:
    """Every member's per-agent estimates on one batch, [S, N, 4] each (keys: MEMBERS)."""
    score = exact_game.score_functions(game, theta, samples.actions)
    out = {
        name: score * (samples.reward[:, None] - b)[..., None] for name, b in baselines(game, theta, samples).items()
    }
    advantage = samples.reward - st.leave_one_out_mean(samples.reward)
    trainer_j, trainer_g = trainer_pair(score, advantage, samples.guidance_coefficient, calibration.scales, clip)
    for member in DG_MEMBERS:
        raw = member.units == "raw"
        alpha = member_alpha(member, calibration)
        g_j, g_g = (samples.g_j_baseline, samples.g_g) if raw else (trainer_j, trainer_g)
        out[member.name] = (1 - alpha) * g_j - alpha * g_g
    return out


def member_alpha(member: Member, calibration: DGCalibration) -> float:
    """The α a DG member mixes with: a paper value, or the pilot's α* in the member's units."""
    if member.name.endswith("alpha_star"):
        return calibration.alpha_star if member.units == "raw" else calibration.alpha_star_trainer
    return float(member.name.rsplit("_", 1)[1])


def expected_gradient(
    game: exact_game.LoadBalancingGame, theta: np.ndarray, member: Member, calibration: DGCalibration
) -> np.ndarray:
    """E ĝ^i exactly, [N, 4]: ∇_{θ^i} J for a baseline member; the same linear combination of ∇J and ∇G a DG
    member forms (without the trainer's clip, which breaks the linearity: see TRAINER_CLIP in the docstring)."""
    grad_j, grad_g = exact_game.exact_gradients(game, theta)
    if not member.is_dg:
        return grad_j
    alpha = member_alpha(member, calibration)
    if member.units == "raw":
        return (1 - alpha) * grad_j - alpha * grad_g
    # E[∇log π] = 0: the scales' means drop out of the mean, their divisors stay
    scales = calibration.scales
    return (1 - alpha) * grad_j / scales.advantage_divisor - alpha * grad_g / scales.coefficient_divisor
