"""Shared, session-scoped measurements on the exact game (dgpg_theory.exact_game), all from fixed seeds.

The scaling range N = 256…2048 (M = N/2 servers) is the asymptotic regime of the game: below M ≈ 128 the
per-agent σ_G² still rises while the servers' capacity mix fills in (see the README's Findings)."""

from __future__ import annotations

import numpy as np
import pytest

from dgpg_theory import exact_game

SEED = 20261124
SCALING_N = [256, 512, 1024, 2048]
SCALING_REPLICATES = 16
SCALING_SAMPLES = 400


@pytest.fixture(scope="session")
def scaling_table() -> exact_game.ScalingTable:
    return exact_game.measure_scaling(SCALING_N, SCALING_REPLICATES, SCALING_SAMPLES, SEED)


@pytest.fixture(scope="session")
def mid_game() -> exact_game.LoadBalancingGame:
    return exact_game.make_game(16, SEED)


@pytest.fixture(scope="session")
def mid_game_batches(mid_game) -> tuple[exact_game.EstimatorSamples, exact_game.EstimatorSamples]:
    """Two independent batches of 4000 draws each on a 16-agent, 8-server game."""
    stream_a, stream_b = np.random.SeedSequence(SEED + 1).spawn(2)
    return (
        exact_game.sample_estimators(mid_game, exact_game.DEFAULT_THETA, 4000, np.random.default_rng(stream_a)),
        exact_game.sample_estimators(mid_game, exact_game.DEFAULT_THETA, 4000, np.random.default_rng(stream_b)),
    )


def flat(samples: np.ndarray) -> np.ndarray:
    """[S, N, d] per-agent estimates → [S, N·d]: tr Cov of the stack is Σ_i tr Cov(ĝ^i)."""
    return samples.reshape(samples.shape[0], -1)
