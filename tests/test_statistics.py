"""Unit tests of dgpg_theory.statistics: point estimates, the DG mixture, bootstrap intervals, slope tests."""

import json
import math

import numpy as np
import pytest

from dgpg_theory import statistics as st


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def test_trace_variance_and_covariance_match_numpy(rng):
    g = rng.normal(size=(500, 7)) * np.arange(1, 8)
    assert st.trace_variance(g) == pytest.approx(g.var(axis=0, ddof=1).sum(), rel=1e-12)
    assert st.trace_covariance(g, g) == pytest.approx(st.trace_variance(g), rel=1e-12)
    assert st.trace_variance(g[:, 0]) == pytest.approx(g[:, 0].var(ddof=1), rel=1e-12)  # 1-D input is [S]


def test_leave_one_out_mean_by_hand():
    # [1, 2, 6] sums to 9: b = ((9 − 1)/2, (9 − 2)/2, (9 − 6)/2).
    np.testing.assert_array_equal(st.leave_one_out_mean(np.array([1.0, 2.0, 6.0])), [4.0, 3.5, 1.5])
    np.testing.assert_array_equal(st.leave_one_out_mean([3.0, 5.0]), [5.0, 3.0])  # S = 2: the other value
    # b_s does not depend on value s: changing values[0] leaves b_0 alone.
    assert st.leave_one_out_mean(np.array([100.0, 2.0, 6.0]))[0] == 4.0
    for bad in (np.array([1.0]), np.ones((3, 2)), np.float64(1.0)):
        with pytest.raises(ValueError, match=r"values must be a 1-D array.*S >= 2.*got shape"):
            st.leave_one_out_mean(bad)


def test_trace_correlation_bounds_and_signs(rng):
    g = rng.normal(size=(300, 4))
    assert st.trace_correlation(g, 2 * g) == pytest.approx(1.0)
    assert st.trace_correlation(g, -g) == pytest.approx(-1.0)
    assert -1 <= st.trace_correlation(g, rng.normal(size=(300, 4))) <= 1


def test_closed_form_with_plug_in_moments_equals_the_empirical_mixture_variance(rng):
    # tr Cov is bilinear, so with plug-in σ_J², σ_G², ρ the quadratic of Appendix F is an exact identity.
    g_j = rng.normal(size=(400, 5))
    g_g = 0.3 * g_j + rng.normal(size=(400, 5))
    alphas = np.linspace(0, 1, 7)
    closed = st.dg_variance_closed_form(
        alphas, st.trace_variance(g_j), st.trace_variance(g_g), st.trace_correlation(g_j, g_g)
    )
    empirical = st.dg_variance_empirical(g_j, g_g, alphas)
    np.testing.assert_allclose(closed, empirical, rtol=1e-10)
    # Negative control: with the sign of ρ flipped the identity must fail (everywhere but at α = 0 and α = 1).
    flipped = st.dg_variance_closed_form(
        alphas, st.trace_variance(g_j), st.trace_variance(g_g), -st.trace_correlation(g_j, g_g)
    )
    assert np.all(np.abs(flipped - empirical)[1:-1] > 1e-3 * empirical[1:-1])


def test_optimal_mixing_minimizes_the_quadratic():
    result = st.optimal_mixing(4.0, 1.0, 0.3)
    grid = np.linspace(-1, 2, 30001)
    values = st.dg_variance_closed_form(grid, 4.0, 1.0, 0.3)
    assert result.alpha_star == pytest.approx(grid[np.argmin(values)], abs=1e-3)
    assert result.min_variance == pytest.approx(values.min(), rel=1e-6)
    assert result.alpha_star_in_unit_interval


def test_optimal_mixing_with_negative_rho_can_leave_the_unit_interval():
    # ρ < −σ_G/σ_J puts α* above 1; the minimum over [0, 1] is then V(1) = σ_G².
    result = st.optimal_mixing(100.0, 1.0, -0.5)
    assert result.alpha_star > 1 and not result.alpha_star_in_unit_interval
    assert result.constrained_alpha == 1.0
    assert result.constrained_min_variance == pytest.approx(1.0)
    assert result.constrained_min_variance > result.min_variance


def test_degenerate_mixing_is_a_clear_error():
    with pytest.raises(ValueError, match="constant in alpha"):
        st.optimal_mixing(2.0, 2.0, -1.0)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: st.dg_variance_closed_form(0.5, -1.0, 1.0, 0.0), "sigma_j2 must be a variance.*-1.0"),
        (lambda: st.optimal_mixing(1.0, -0.1, 0.0), "sigma_g2 must be a variance.*-0.1"),
        (lambda: st.optimal_mixing(1.0, 1.0, 1.5), r"rho must be a correlation in \[-1, 1\]; got 1.5"),
        (lambda: st.trace_variance(np.ones((1, 3))), "at least 2 samples.*S = 1"),
        (lambda: st.trace_covariance(np.ones((5, 3)), np.ones((5, 2))), "same shape.*\\(5, 3\\) and \\(5, 2\\)"),
        (lambda: st.fit_log_log_slope([0, 2, 4], [1, 2, 3]), "n_values must all be >= 1.*0"),
        (lambda: st.fit_log_log_slope([1, 2], [1, 2, 3]), "same length"),
        (lambda: st.trace_variance(np.array([1.0, np.nan, 2.0])), "finite"),
        (lambda: st.z_for_false_alarm(1.5), "false_alarm must be in \\(0, 1\\); got 1.5"),
        (
            lambda: st.bootstrap_statistic([np.ones((5, 2))], st.trace_variance, seed=0, transform="sqrt"),
            "transform must be 'identity', 'log' or 'fisher'; got 'sqrt'",
        ),
    ],
)
def test_bad_input_raises_value_error_naming_argument_and_value(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_relative_variance_is_invariant_to_reward_scale(rng):
    g = rng.normal(loc=2.0, size=(1000, 3))
    assert st.relative_variance(g / 50.0) == pytest.approx(st.relative_variance(g), rel=1e-10)
    # Exactly zero sample mean: the unbiased ‖Eĝ‖² is −tr Cov/S < 0, so no signal is detectable.
    centered = np.concatenate([g, -g])
    assert st.squared_mean_norm(centered) < 0
    assert st.relative_variance(centered) == math.inf
    # A known case: mean (3, 4) and tr Cov from the samples themselves.
    known = np.array([[2.0, 4.0], [4.0, 4.0], [3.0, 3.0], [3.0, 5.0]])
    expected_signal = 25.0 - st.trace_variance(known) / 4
    assert st.relative_variance(known) == pytest.approx(st.trace_variance(known) / expected_signal)


def test_bootstrap_standard_error_of_a_variance_matches_theory(rng):
    # For iid N(0, 1) in d coordinates, SE of tr Cov is sqrt(2d/(n−1)).
    g = rng.normal(size=(2000, 4))
    result = st.variance_ci(g, seed=1)
    assert result.standard_error == pytest.approx(math.sqrt(2 * 4 / 1999), rel=0.2)
    assert result.ci_low < 4 < result.ci_high
    assert result.interval_method == "log"
    assert result.ci_high - result.estimate > result.estimate - result.ci_low > 0  # right-skewed, on log scale


def test_log_interval_of_a_skewed_variance_stays_positive(rng):
    # 40 log-normal samples: estimate ± z·SE reaches below 0; the log interval cannot.
    g = rng.lognormal(0.0, 1.5, size=(40, 1))
    result = st.variance_ci(g, seed=3)
    normal = st.bootstrap_statistic([g], st.trace_variance, seed=3)
    assert normal.interval_method == "normal" and normal.ci_low < 0
    assert result.ci_low > 0


def test_transform_falls_back_when_undefined():
    # A correlation of exactly 1 has no Fisher z: the interval is estimate ± z·SE and says so.
    g = np.arange(20.0)[:, None]
    result = st.bootstrap_statistic([g, 2 * g], st.trace_correlation, seed=0, transform="fisher")
    assert result.interval_method == "normal (fisher undefined)"


def test_correlation_interval_covers_the_truth_and_excludes_a_wrong_value(rng):
    true_rho = -0.4
    z = rng.normal(size=(3000, 2))
    a = z[:, :1]
    b = true_rho * a + math.sqrt(1 - true_rho**2) * z[:, 1:]
    interval = st.correlation_ci(a, b, seed=2)
    assert interval.interval_method == "fisher" and -1 < interval.ci_low < interval.ci_high < 1
    assert interval.ci_low < true_rho < interval.ci_high
    assert not interval.ci_low < -true_rho < interval.ci_high  # negative control: the flipped sign is excluded


def test_slope_checks_on_synthetic_scaling(rng):
    n = np.repeat([16, 32, 64, 128, 256], 6)
    linear = 3.0 * n * np.exp(0.1 * rng.normal(size=n.size))
    flat = 0.5 * np.exp(0.1 * rng.normal(size=n.size))
    linear_fit, flat_fit = st.fit_log_log_slope(n, linear), st.fit_log_log_slope(n, flat)
    assert st.check_slope_equals(linear_fit, 1).holds
    assert st.check_slope_theta(linear_fit, 1).holds
    assert not st.check_slope_theta(linear_fit, 2).holds
    assert not st.check_slope_equivalent(linear_fit, 0.0, 0.25).holds
    assert st.check_slope_equivalent(flat_fit, 0.0, 0.25).holds
    assert not st.check_slope_equals(flat_fit, 1).holds
    assert not st.check_slope_theta(flat_fit, 1).holds


def test_an_imprecise_flat_fit_is_not_evidence_of_o1(rng):
    # Failing to reject slope 0 is not O(1): with 3 very noisy points TOST must not declare equivalence.
    fit = st.fit_log_log_slope([10, 100, 1000], np.exp(rng.normal(size=3)))
    assert not st.check_slope_equivalent(fit, 0.0, 0.25).holds
    assert not st.check_slope_equals(fit, 1).holds  # and it cannot claim growth either
    assert not st.check_slope_theta(fit, 1).holds


def test_theta_by_equivalence_does_not_pass_a_noisy_fit_that_the_t_test_lets_through(rng):
    # The t-test of slope = 1 fails to reject on a noisy linear trend; equivalence demands precision.
    n = np.repeat([10, 100, 1000], 2)
    noisy = n * np.exp(1.5 * rng.normal(size=n.size))
    fit = st.fit_log_log_slope(n, noisy)
    print(st.check_slope_equals(fit, 1).message)
    assert not st.check_slope_theta(fit, 1).holds


def test_growth_ratio_separates_bounded_from_growing(rng):
    n = np.repeat([16, 32, 64, 128, 256], 8)
    bounded = (1 + 0.5 * (n >= 64)) * np.exp(0.2 * rng.normal(size=n.size))  # rises by 1.5 then flat
    growing = n * np.exp(0.2 * rng.normal(size=n.size))
    limit = math.sqrt(256 / 16)
    bounded_ratio = st.growth_ratio(n, bounded, seed=1)
    assert 1.5 < bounded_ratio.ci_high < limit  # covers the true ratio, and stays below the limit
    assert not st.growth_ratio(n, growing, seed=1).ci_high < limit
    with pytest.raises(ValueError, match="values must all be finite and > 0"):
        st.growth_ratio(n, -bounded, seed=1)


def test_tail_diagnostic_flags_pareto_but_not_gaussian(rng):
    assert st.variance_tail_diagnostic(rng.normal(size=(4000, 8))).variance_ci_reliable
    assert not st.variance_tail_diagnostic(rng.pareto(1.7, size=(4000, 8))).variance_ci_reliable
    assert not st.variance_tail_diagnostic(rng.pareto(2.2, size=(4000, 8))).variance_ci_reliable


def test_results_serialize_to_json(rng):
    fit = st.fit_log_log_slope([1, 2, 4, 8], [1.0, 2.1, 3.9, 8.2])
    for result in (
        fit,
        st.check_slope_equals(fit, 1),
        st.optimal_mixing(2.0, 1.0, 0.1),
        st.variance_ci(rng.normal(size=(50, 2)), seed=0),
    ):
        decoded = json.loads(st.to_json(result))
        assert isinstance(decoded, dict) and decoded
    # Strict JSON (dgpg_theory._io.json_text): non-finite floats, in arrays too, are null, never NaN.
    text = st.to_json({"nan": math.nan, "values": np.array([1.0, np.inf]), "n": np.int64(3)})
    assert text == '{"nan": null, "values": [1.0, null], "n": 3}'
    assert json.loads(text) == {"nan": None, "values": [1.0, None], "n": 3}


def test_z_for_false_alarm():
    assert st.z_for_false_alarm(1e-4) == pytest.approx(3.8906, abs=1e-3)
    assert st.z_for_false_alarm(1e-4, 10) > st.z_for_false_alarm(1e-4)


def test_summarize_pair_on_correlated_gaussians(rng):
    g_j = rng.normal(size=(2000, 3)) * 3.0
    g_g = -0.1 * g_j + rng.normal(size=(2000, 3))
    summary = st.summarize_pair(g_j, g_g, seed=5)
    true_rho = -0.3 / math.sqrt(0.09 + 1.0)
    assert summary.sigma_j2.ci_low < 27.0 < summary.sigma_j2.ci_high
    assert [summary.sigma_j2.interval_method, summary.rho.interval_method] == ["log", "fisher"]
    assert summary.rho.ci_low < true_rho < summary.rho.ci_high
    assert summary.mixing.alpha_star_in_unit_interval
    assert summary.tail_j.variance_ci_reliable
    assert json.loads(st.to_json(summary))["rho"]["estimate"] == pytest.approx(summary.rho.estimate)


def _log_estimates(rng, samples: int, replications: int, mean: np.ndarray, scales: np.ndarray):
    draws = mean + scales * rng.normal(size=(replications, samples, mean.size))
    log_variance = np.log([st.trace_variance(d) for d in draws])
    log_signal = np.log([st.squared_mean_norm(d) for d in draws])
    return draws, log_variance, log_signal


@pytest.mark.parametrize("scaled", [True, False])
def test_log_noise_coefficients_predict_the_spread_of_log_estimates(scaled):
    """Delta method vs Monte Carlo (Gaussian ĝ, S = 400): the predicted Var(log estimate) matches the empirical
    one within its sampling interval; the negative control drops the 1/S (``scaled=False``) and must fail."""
    rng = np.random.default_rng(31)
    samples, replications = 400, 3000
    mean, scales = np.array([0.6, -0.4, 0.3, 0.0]), np.array([1.0, 2.0, 0.5, 1.5])
    draws, log_variance, log_signal = _log_estimates(rng, samples, replications, mean, scales)
    divisor = samples if scaled else 1
    predicted_variance = np.mean([st.log_variance_noise(d)[0] for d in draws[:200]]) / divisor
    a1, a2 = np.mean([st.log_signal_noise(d) for d in draws[:200]], axis=0)
    predicted_signal = a1 / divisor + a2 / divisor**2
    z = st.z_for_false_alarm(1e-4, 2)
    # Relative SE of a sample variance of R ≈ normal values is √(2/R); the log-signal is skewed: allow its
    # kurtosis through the empirical fourth moment.
    for empirical_values, predicted in ((log_variance, predicted_variance), (log_signal, predicted_signal)):
        centred = empirical_values - empirical_values.mean()
        empirical = centred.var(ddof=1)
        relative_se = math.sqrt(((centred**4).mean() / empirical**2 - 1) / replications)
        close = abs(predicted / empirical - 1) < z * relative_se
        assert close == scaled
