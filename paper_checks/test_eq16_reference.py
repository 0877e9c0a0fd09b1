"""Eq 16 / Appendix C.1: the reference is the unique minimizer of the load-imbalance functional (Eq 15)."""

import numpy as np

from dgpg_theory import exact_game
from dgpg_theory.symbolic import kkt_reference


def test_eq16_is_the_unique_global_minimizer_symbolically():
    result = kkt_reference.verify_eq16(range(2, 7))
    print(result.report())
    assert result.verified


def test_eq16_reference_of_the_game_conserves_load_and_balances_utilization():
    game = exact_game.make_game(12, seed=3)
    reference = game.reference_state()
    np.testing.assert_allclose(reference.sum(axis=0), game.demands.sum(axis=0), rtol=1e-12)
    utilization = reference / game.capacities
    np.testing.assert_allclose(utilization, np.broadcast_to(utilization[0], utilization.shape), rtol=1e-12)


def test_no_feasible_assignment_beats_the_fluid_reference():
    # Every sampled (discrete) assignment is feasible, so its imbalance is at least the reference's (Eq 16);
    # the gap is the certificate Σ (x − x̃)²/μ and is strictly positive: x̃ is not reachable here.
    game = exact_game.make_game(12, seed=3)
    actions = exact_game.sample_actions(game, exact_game.DEFAULT_THETA, 2000, np.random.default_rng(0))
    loads = exact_game.server_loads(game, actions)
    imbalance = (loads**2 / game.capacities).sum(axis=1)  # per sample, per resource
    reference = (game.reference_state() ** 2 / game.capacities).sum(axis=0)
    certificate = ((loads - game.reference_state()) ** 2 / game.capacities).sum(axis=1)
    np.testing.assert_allclose(imbalance - reference, certificate, rtol=1e-9, atol=1e-12)
    assert certificate.min() > 0
