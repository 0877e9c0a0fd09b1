"""GAE, the running normalizer and Eq 11, against direct definitions."""

import numpy as np
import pytest

from dgpg_theory.ppo.advantages import (
    RunningNormalizer,
    dg_advantage,
    discounted_returns,
    gae,
    normalized_guidance,
)
from dgpg_theory.ppo.evaluation import convergence_episode


def test_gae_matches_the_definition():
    rng = np.random.default_rng(0)
    rewards, values = rng.normal(size=(3, 40)), rng.normal(size=(3, 40))
    gamma, lam = 0.9, 0.8
    next_values = np.concatenate([values[:, 1:], np.zeros((3, 1))], axis=1)
    deltas = rewards + gamma * next_values - values
    expected = np.array([[sum((gamma * lam) ** (l - t) * deltas[b, l] for l in range(t, 40)) for t in range(40)]
                         for b in range(3)])  # fmt: skip
    np.testing.assert_allclose(gae(rewards, values, gamma, lam), expected, rtol=1e-12, atol=1e-12)


def test_discounted_returns():
    rewards = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(discounted_returns(rewards, 0.5), [[1 + 1 + 0.75, 2 + 1.5, 3.0]])


def test_running_normalizer_momentum():
    normalizer = RunningNormalizer(momentum=0.9)
    normalizer.update(np.array([1.0, 3.0]))  # first batch sets mean 2, var 1
    assert (normalizer.mean, normalizer.var) == (2.0, 1.0)
    normalizer.update(np.array([10.0, 10.0]))
    assert normalizer.mean == pytest.approx(0.9 * 2 + 0.1 * 10) and normalizer.var == pytest.approx(0.9)
    assert normalizer.normalize(np.array([1e6, -1e6]), clip=3.0).tolist() == [3.0, -3.0]


def test_normalized_guidance_is_causal_per_step():
    # agents at steps 0 and 1 of two copies; rows = copy * 3000 + t
    rows = np.array([0, 3000, 1, 3001, 1])
    c = np.array([1.0, 3.0, 5.0, 7.0, 9.0])
    out = normalized_guidance(c, rows, RunningNormalizer(momentum=0.5), clip=100.0)
    np.testing.assert_allclose(out[:2], [-1.0, 1.0], atol=1e-6)  # step 0 alone: mean 2, var 1
    mean, var = 0.5 * 2 + 0.5 * 7, 0.5 * 1 + 0.5 * np.var([5.0, 7.0, 9.0])
    np.testing.assert_allclose(out[2:], (c[2:] - mean) / np.sqrt(var + 1e-8))


def test_eq_11():
    assert dg_advantage(np.array([2.0]), np.array([1.0]), 0.25).tolist() == [0.75 * 2 - 0.25]
    np.testing.assert_array_equal(dg_advantage(np.array([2.0, -1.0]), np.array([5.0, 5.0]), 0.0), [2.0, -1.0])


def test_convergence_episode_of_table_9():
    assert convergence_episode([-100.0, -60.0, -52.0, -50.0, -70.0]) == 3  # within 10 % of −50: ≥ −55
    assert convergence_episode([-10.0]) == 1
    with pytest.raises(ValueError, match="empty"):
        convergence_episode([])
