"""Theorem 4.2 / Appendix F on the exact game: the variance quadratic, the sign of ρ, and O(1) at α*.

Conditions of every measured verdict here: uniform demands, O(1) jobs per server (M = N/2), σ² and ρ pooled
over agents with one α for all agents (dgpg_theory.statistics). With M fixed, σ_G² grows like N (see
paper_checks/test_exact_game.py). That the closed form of Appendix F, with measured moments plugged in, equals
the variance of the mixed samples is an algebraic identity (tr Cov is bilinear), checked in
tests/test_statistics.py; it is not evidence for Theorem 4.2 and is not repeated here."""

import numpy as np
import pytest
import scipy.stats

from dgpg_theory import statistics as st
from dgpg_theory.findings.reasons import quote
from dgpg_theory.symbolic import variance_quadratic

from .conftest import flat, per_n_means, record_slope


@pytest.mark.parametrize("step", variance_quadratic.verify_theorem_42(), ids=lambda r: r.claim[:40])
def test_symbolic_steps_of_theorem_42(step):
    print(step.report())
    assert step.verified


# ----------------------------------------------------------------------------------------------------------
# The sign of ρ = Corr(ĝ_J, ĝ_G)
# ----------------------------------------------------------------------------------------------------------


def _rho_interval(g_j: np.ndarray, g_g: np.ndarray) -> st.EstimateWithCI:
    interval = st.correlation_ci(flat(g_j), flat(g_g), seed=13)
    print(f"ρ = {interval.estimate:.3f}, CI at 1e-4 [{interval.ci_low:.3f}, {interval.ci_high:.3f}]")
    return interval


def test_measured_rho_is_negative(mid_game_batches, scaling_table):
    batch = mid_game_batches[0]
    assert _rho_interval(batch.g_j_baseline, batch.g_g).ci_high < 0
    negatives = int((scaling_table.rho_baseline < 0).sum())
    n = scaling_table.rho_baseline.size
    print(f"{negatives} of {n} games at N = 256…2048 have ρ < 0")
    assert scipy.stats.binomtest(negatives, n, 0.5, alternative="greater").pvalue < 1e-4


def test_negative_control_rho_of_independent_batches_is_not_negative(mid_game_batches):
    # ĝ_J from batch A and ĝ_G from batch B are independent (true ρ = 0): the check must not call that negative.
    batch_a, batch_b = mid_game_batches
    assert not _rho_interval(batch_a.g_j_baseline, batch_b.g_g).ci_high < 0


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "Theorem 4.2 assumes ρ = Corr(ĝ_J, ĝ_G) ∈ (0, 1); on the exact game ρ < 0. Baselined ĝ_J: ρ = "
        "{exact.rho.baseline_n16} (CI at 1e-4) at N = 16, and {exact.rho.negative_games} of {exact.rho.games} "
        "games at N = 256…2048 give ρ < 0 (mean {exact.rho.baseline_n256} at N = 256 to "
        "{exact.rho.baseline_n2048} at N = 2048). The paper's Eq 2 estimator (no baseline): ρ_plain = "
        "{exact.rho.plain_n16} at N = 16 and {exact.rho.plain_n256} (N = 256) to {exact.rho.plain_n2048} "
        "(N = 2048). This is the sign 'both directions improve J' predicts (Corr(ĝ_J, −ĝ_G) > 0); Eq 13 holds "
        "for either sign, but see the Eq 2 check below."
    ),
)
def test_theorem_42_hypothesis_rho_in_unit_interval(mid_game_batches, scaling_table, record):
    baselined, plain = per_n_means(scaling_table, "rho_baseline"), per_n_means(scaling_table, "rho_plain")
    print("ρ (baseline) per N:", baselined)
    print("ρ (no baseline) per N:", plain)
    for n in (256, 2048):
        record(f"exact.rho.baseline_n{n}", baselined[n], ".3f")
        record(f"exact.rho.plain_n{n}", plain[n], ".2f")
    record("exact.rho.negative_games", int((scaling_table.rho_baseline < 0).sum()), "d")
    record("exact.rho.games", scaling_table.rho_baseline.size, "d")
    batch = mid_game_batches[0]
    plain_16 = _rho_interval(batch.g_j_plain, batch.g_g)
    record("exact.rho.plain_n16", plain_16.estimate, ".2f", plain_16.ci_low, plain_16.ci_high)
    interval = _rho_interval(batch.g_j_baseline, batch.g_g)
    record("exact.rho.baseline_n16", interval.estimate, ".2f", interval.ci_low, interval.ci_high)
    assert 0 < interval.ci_low and interval.ci_high < 1


# ----------------------------------------------------------------------------------------------------------
# The minimum over α ∈ [0, 1] (the DG estimator mixes with α ∈ (0, 1), Eq 10)
# ----------------------------------------------------------------------------------------------------------


def _mixings(table, var_j: np.ndarray, rho: np.ndarray) -> list[st.OptimalMixing]:
    return [st.optimal_mixing(j, g, r) for j, g, r in zip(var_j, table.var_g, rho, strict=True)]


def _constrained_minima(table, var_j: np.ndarray, rho: np.ndarray) -> np.ndarray:
    return np.array([m.constrained_min_variance for m in _mixings(table, var_j, rho)])


def test_minimum_variance_over_alpha_in_unit_interval_is_o1(scaling_table, record):
    """min_{α∈[0,1]} Var ĝ_DG(α) (baselined ĝ_J) is O(1): TOST |slope| < 0.25, N = 256…2048, M = N/2."""
    minima = _constrained_minima(scaling_table, scaling_table.var_j_baseline_sum, scaling_table.rho_baseline)
    fit = st.fit_log_log_slope(scaling_table.n_agents, minima)
    verdict = st.check_slope_equivalent(fit, 0.0, st.EQUIVALENCE_MARGIN)
    print(verdict.message)
    record_slope(record, "exact.dg_minimum.slope", fit)
    assert verdict.holds


def test_negative_control_o1_check_rejects_a_growing_minimum(scaling_table):
    # Without a low-variance guidance term (σ_G² := σ_J², ρ = measured) the minimum grows with N.
    table = scaling_table
    growing = np.array(
        [
            st.optimal_mixing(j, j, r).constrained_min_variance
            for j, r in zip(table.var_j_baseline_sum, table.rho_baseline, strict=True)
        ]
    )
    fit = st.fit_log_log_slope(table.n_agents, growing)
    assert not st.check_slope_equivalent(fit, 0.0, st.EQUIVALENCE_MARGIN).holds


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "Eq 13 is not attainable for the paper's Eq 2 estimator (no baseline): ρ_plain < 0 puts α* outside (0, 1) "
        "in {exact.eq13_plain.outside_games} of {exact.rho.games} games, α* ∈ [{exact.eq13_plain.alpha_min_n256}, "
        "{exact.eq13_plain.alpha_max_n256}] at N = 256 (mean {exact.eq13_plain.alpha_mean_n2048} at N = 2048), so "
        "the minimum over α ∈ [0, 1] is V(1) = σ_G²: mean {exact.eq13_plain.constrained_n256} at N = 256 against "
        "Eq 13's {exact.eq13_plain.eq13_n256} ({exact.eq13_plain.constrained_n2048} vs "
        "{exact.eq13_plain.eq13_n2048} at N = 2048)."
    ),
)
def test_eq13_is_attainable_for_the_eq2_estimator_without_baseline(scaling_table, record):
    """Eq 13 is the minimum over α ∈ [0, 1] only if α* ∈ (0, 1): here for ĝ_J of Eq 2 (no baseline)."""
    mixings = _mixings(scaling_table, scaling_table.var_j_plain_sum, scaling_table.rho_plain)
    alpha_star = np.array([m.alpha_star for m in mixings])
    n = scaling_table.n_agents
    for level in np.unique(n):
        chosen = [m for m, k in zip(mixings, n, strict=True) if k == level]
        print(
            f"N = {level}: ρ_plain = {scaling_table.rho_plain[n == level].mean():.3f}, α* in "
            f"[{alpha_star[n == level].min():.4f}, {alpha_star[n == level].max():.4f}], mean Eq 13 = "
            f"{np.mean([m.min_variance for m in chosen]):.4f}, mean min over [0, 1] = "
            f"{np.mean([m.constrained_min_variance for m in chosen]):.4f}"
        )
        if level in (256, 2048):
            record(f"exact.eq13_plain.eq13_n{level}", np.mean([m.min_variance for m in chosen]), ".3f")
            record(
                f"exact.eq13_plain.constrained_n{level}", np.mean([m.constrained_min_variance for m in chosen]), ".3f"
            )
    record("exact.eq13_plain.outside_games", sum(not m.alpha_star_in_unit_interval for m in mixings), "d")
    record("exact.eq13_plain.alpha_min_n256", alpha_star[n == 256].min(), ".4f")
    record("exact.eq13_plain.alpha_max_n256", alpha_star[n == 256].max(), ".4f")
    record("exact.eq13_plain.alpha_mean_n2048", alpha_star[n == 2048].mean(), ".4f")
    assert all(m.alpha_star_in_unit_interval for m in mixings)


def test_control_eq13_attainability_check_can_pass(scaling_table):
    # The check above is not hard-wired to fail: on the same σ_J², σ_G² with ρ := 0, α* = σ_J²/(σ_J² + σ_G²)
    # lies in (0, 1) in every game. (With the baselined ĝ_J, α* leaves (0, 1) in some games too; printed.)
    uncorrelated = _mixings(scaling_table, scaling_table.var_j_plain_sum, np.zeros(scaling_table.n_agents.size))
    baselined = _mixings(scaling_table, scaling_table.var_j_baseline_sum, scaling_table.rho_baseline)
    print(f"baselined ĝ_J: α* ∈ (0, 1) in {sum(m.alpha_star_in_unit_interval for m in baselined)} of {len(baselined)}")
    assert all(m.alpha_star_in_unit_interval for m in uncorrelated)
