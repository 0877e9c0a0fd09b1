"""The presets carry Tables 6 and 7; schedules follow §6.2 and App. I; bad values are named."""

import math

import pytest

from dgpg_theory.ppo.config import (
    TABLE7,
    TrainConfig,
    alpha_at,
    entropy_coef_at,
    learning_rate_at,
    preset_config,
    table7_row,
)


def test_linear_preset_is_table_6():
    dgpg, mappo = preset_config("dgpg", 5), preset_config("mappo", 5)
    for c in (dgpg, mappo):
        assert (c.model, c.learning_rate, c.gamma, c.gae_lambda, c.clip_epsilon) == ("linear", 1e-3, 0.99, 0.95, 0.2)
        assert (c.critic_epochs, c.actor_epochs, c.minibatch, c.rollouts, c.parallel_envs) == (20, 3, 10_000, 24, 4)
        assert (c.actor_grad_clip, c.critic_grad_clip, c.huber_delta, c.return_normalization) == (10, 10, 10, True)
    assert (dgpg.episodes, dgpg.entropy_coef, dgpg.entropy_final) == (200, 0.01, 1e-4)
    assert (mappo.episodes, mappo.entropy_coef, mappo.entropy_final) == (500, 0.005, None)
    assert preset_config("ippo", 5).critic == "local" and mappo.critic == dgpg.critic == "central"


@pytest.mark.parametrize("n", sorted(TABLE7))
def test_nn_preset_is_table_7(n):
    c = preset_config("dgpg", n, "nn")
    assert (c.hidden, c.minibatch, c.rollouts, c.parallel_envs, c.clip_epsilon) == TABLE7[n]
    assert (c.model, c.learning_rate, c.actor_epochs, c.critic_epochs, c.actor_grad_clip) == ("mlp", 3e-4, 4, 4, 0.5)
    assert (c.entropy_coef, c.entropy_final, c.return_normalization, c.agent_embedding) == (0.02, 1e-4, False, 16)


def test_table7_row_of_unlisted_n_is_the_nearest():
    assert table7_row(2) == TABLE7[5] and table7_row(30) == TABLE7[20] and table7_row(1500) == TABLE7[200]


def test_alpha_schedule_of_section_6_2():
    c = preset_config("dgpg", 5, episodes=101)  # progress = episode / 100
    assert [alpha_at(c, e) for e in (0, 10, 30, 50, 100)] == pytest.approx([0.9, 0.9, 0.55, 0.2, 0.2])
    assert alpha_at(preset_config("mappo", 5), 0) == 0.0
    assert alpha_at(preset_config("dgpg", 5, alpha=0.4), 7) == 0.4


def test_entropy_and_learning_rate_decay():
    c = preset_config("dgpg", 5, episodes=101)
    assert entropy_coef_at(c, 0) == pytest.approx(0.01) and entropy_coef_at(c, 100) == pytest.approx(1e-4)
    assert entropy_coef_at(preset_config("mappo", 5), 300) == 0.005
    assert learning_rate_at(c, 0) == pytest.approx(1e-3) and learning_rate_at(c, 95) == pytest.approx(1e-5)
    nn = preset_config("dgpg", 5, "nn", episodes=101)
    assert learning_rate_at(nn, 50) == pytest.approx(3e-4 * math.sqrt(0.01))


@pytest.mark.parametrize(
    "overrides, name",
    [({"episodes": 0}, "episodes"), ({"alpha": 1.5}, "alpha"), ({"gamma": 0.0}, "gamma"), ({"model": "cnn"}, "model"),
     ({"clip_epsilon": -0.1}, "clip_epsilon"), ({"seed": -1}, "seed")],
)  # fmt: skip
def test_bad_values_are_named(overrides, name):
    with pytest.raises(ValueError, match=name):
        preset_config("dgpg", 5, **overrides)


def test_unknown_method_preset_and_keys():
    with pytest.raises(ValueError, match="method"):
        preset_config("coma", 5)
    with pytest.raises(ValueError, match="preset"):
        preset_config("dgpg", 5, "huge")
    with pytest.raises(ValueError, match="unknown config keys"):
        TrainConfig.from_dict({"method": "dgpg", "lerning_rate": 1e-3})
