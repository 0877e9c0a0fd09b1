"""Prop C.1 (Appendix C.3): the Cauchy–Schwarz certificate and the sign of I_k."""

import numpy as np
import pytest

from dgpg_theory import exact_game
from dgpg_theory.symbolic import cauchy_schwarz
from dgpg_theory.symbolic.identity import is_zero, server_symbols


@pytest.mark.parametrize("n", range(2, 9))
def test_sum_of_squares_certificate_is_an_identity(n):
    assert cauchy_schwarz.certificate_holds(n)
    assert cauchy_schwarz.ik_identity_holds(n)


def test_general_n_argument_and_the_full_result():
    assert cauchy_schwarz.pairwise_argument_holds()
    result = cauchy_schwarz.verify_prop_c1(range(2, 9))
    print(result.report())
    assert result.verified


def test_identity_checker_rejects_a_wrong_certificate():
    # Negative control: the identity check must be able to fail (here a certificate missing a factor 1/2).
    x, mu = server_symbols(3)
    gap = sum(mu) * sum(xi**2 / mi for xi, mi in zip(x, mu, strict=True)) - sum(x) ** 2
    assert is_zero(gap - cauchy_schwarz.sos_certificate(x, mu))
    assert not is_zero(gap - cauchy_schwarz.sos_certificate(x, mu) / 2)


def _ik(loads: np.ndarray, game: exact_game.LoadBalancingGame) -> np.ndarray:
    """I_k = Σ_j (2x_jk/μ_jk)(x̃_jk − x_jk) per sample and resource."""
    return (2 * loads / game.capacities * (game.reference_state() - loads)).sum(axis=1)


def test_ik_is_negative_on_every_sampled_feasible_state():
    game = exact_game.make_game(10, seed=4)
    actions = exact_game.sample_actions(game, exact_game.DEFAULT_THETA, 5000, np.random.default_rng(1))
    ik = _ik(exact_game.server_loads(game, actions), game)
    assert ik.max() < 0


def test_ik_can_be_positive_off_the_feasible_set():
    # Negative control: halving the loads breaks Σ x = C, and Prop C.1's conclusion with it.
    game = exact_game.make_game(10, seed=4)
    actions = exact_game.sample_actions(game, exact_game.DEFAULT_THETA, 5000, np.random.default_rng(1))
    ik = _ik(0.5 * exact_game.server_loads(game, actions), game)
    assert ik.max() > 0
