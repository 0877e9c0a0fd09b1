"""measurement.relevance: the exact other-agents part, the permutation test of the own action, and controls."""

import numpy as np

from dgpg_theory.measurement import relevance as rel

FALSE_ALARM = 1e-4


def _groups(rng, effect: float, outside_noise: float, outer: int = 16, inner: int = 4):
    actions = rng.integers(0, 4, size=outer)
    returns = -40.0 + effect * actions[:, None] + outside_noise * rng.normal(size=(outer, inner))
    return returns, actions


def test_negative_control_no_own_effect_is_not_detected():
    rng = np.random.default_rng(11)
    returns, actions = _groups(rng, effect=0.0, outside_noise=1.0)
    result = rel.action_relevance(returns, actions, np.random.default_rng(0))
    assert result.own_action_p_value >= FALSE_ALARM  # a single check at its own false alarm
    assert result.others_spread > rel.SPREAD_TOLERANCE and not rel.no_action_matters(result, FALSE_ALARM)


def test_positive_control_a_strong_own_effect_is_detected():
    rng = np.random.default_rng(12)
    returns, actions = _groups(rng, effect=3.0, outside_noise=0.5)
    result = rel.action_relevance(returns, actions, np.random.default_rng(0))
    assert result.own_action_p_value < FALSE_ALARM


def test_identical_returns_mean_no_action_matters():
    actions = np.array([0, 1, 2, 1, 0, 3])
    result = rel.action_relevance(np.full((6, 4), -51.5), actions, np.random.default_rng(0))
    assert result == rel.ActionRelevance(1.0, 0.0) and rel.no_action_matters(result, FALSE_ALARM)


def test_without_other_agents_an_own_effect_is_exact():
    actions = np.array([0, 1, 0, 1])
    returns = np.repeat(np.array([-50.0, -50.5, -50.0, -50.5])[:, None], 3, axis=1)
    result = rel.action_relevance(returns, actions, np.random.default_rng(0))
    assert result.own_action_p_value == 0.0 and result.others_spread == 0.0
    assert not rel.no_action_matters(result, FALSE_ALARM)


def test_round_off_is_not_an_effect_and_one_action_cannot_be_tested():
    returns = np.full((4, 3), -50.0) + 1e-13 * np.arange(12).reshape(4, 3)
    result = rel.action_relevance(returns, np.array([0, 1, 0, 1]), np.random.default_rng(0))
    assert rel.no_action_matters(result, FALSE_ALARM)
    single = rel.action_relevance(returns + np.arange(3), np.zeros(4, dtype=int), np.random.default_rng(0))
    assert single.own_action_p_value == 1.0


def test_false_alarm_rate_of_the_permutation_test_is_at_most_nominal():
    rng = np.random.default_rng(5)
    p_values = [
        rel.action_relevance(*_groups(rng, 0.0, 1.0), np.random.default_rng(k)).own_action_p_value for k in range(100)
    ]
    # Under no effect the p-value is (super-)uniform: P(p ≤ 0.05) ≤ 0.05; binomial bound at false alarm 1e-4.
    from scipy.stats import binom

    assert np.sum(np.array(p_values) <= 0.05) <= binom.ppf(1 - 1e-4, 100, 0.05)
