"""Theorem 4.1 / Lemma E.1 (Appendix E): Nash invariance, where it holds and where it does not."""

import numpy as np
import pytest

from dgpg_theory import exact_game
from dgpg_theory.symbolic import nash_invariance


def test_invariance_holds_on_a_full_row_rank_linear_model():
    result = nash_invariance.verify_full_rank_model()
    print(result.report())
    assert result.verified


def test_invariance_breaks_when_the_jacobian_is_rank_deficient():
    result = nash_invariance.verify_rank_deficient_counterexample()
    print(result.report())
    assert result.verified


@pytest.fixture(scope="module")
def stationary_point() -> exact_game.StationaryPoint:
    # 64 jobs, 32 servers, 4 shared parameters: rank ∇_θ E[x] <= 4 < 64 = dim x (Remark E.2 fails).
    return exact_game.stationary_point_of_reward(exact_game.make_game(64, seed=1))


def test_the_game_has_a_genuine_interior_stationary_point_of_j(stationary_point):
    # Guard for the check below: a strict local maximum at finite θ, not a saturated softmax at infinity.
    grad_j_start = exact_game.exact_gradients(exact_game.make_game(64, seed=1), exact_game.DEFAULT_THETA)[0]
    assert np.linalg.norm(stationary_point.grad_j) < 1e-7 * np.linalg.norm(grad_j_start.sum(axis=0))
    assert stationary_point.hessian_eigenvalues.max() < 0
    assert np.all(np.abs(stationary_point.theta) < 100)
    # A stochastic policy never sits at x = x̃: G(θ*) = E ½‖x − x̃‖² >= ½ Σ Var x > 0 (Lemma E.1, step 1).
    assert stationary_point.expected_guidance > 0


@pytest.mark.xfail(
    strict=True,
    reason="Theorem 4.1 fails on the exact game (64 jobs, 32 servers, 4 shared parameters): at the interior "
    "maximum θ* of J (‖∇J(θ*)‖ = 5e-10 relative, Hessian eigenvalues all < 0), ‖∇G(θ*)‖ = 1.23, 37 % of its "
    "value 3.32 at the start θ0, so ∇J_α(θ*) = −α∇G(θ*) ≠ 0. Remark E.2's full-row-rank ∇_θ x fails "
    "(rank <= 4 < 64) and x̃ is unreachable.",
)
def test_guidance_gradient_vanishes_at_a_stationary_point_of_j(stationary_point):
    print(
        "‖∇G(θ*)‖ =",
        np.linalg.norm(stationary_point.grad_g),
        " ‖∇G(θ0)‖ =",
        np.linalg.norm(stationary_point.grad_g_at_start),
    )
    assert np.linalg.norm(stationary_point.grad_g) < 1e-6 * np.linalg.norm(stationary_point.grad_g_at_start)
