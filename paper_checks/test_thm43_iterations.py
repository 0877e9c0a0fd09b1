"""Theorem 4.3 on the exact game: the iterations to ε counted, not bounded (``dgpg_theory.ascent``).

Stochastic ascent on the shared θ with the leave-one-out estimator (standard MAPG, ascends J) and DG-PG at the α*
of a pilot batch (ascends J_α), on a small scan (≈ 60–90 s); the README reports the full default scan of
``python -m dgpg_theory.iteration_scan`` (N = 8…1024, ε = 10 % of Δ0). Slow for the quick report, which renders
these findings from the committed records (``report.SLOW_MODULES``).
"""

import numpy as np
import pytest

from dgpg_theory import iteration_scan
from dgpg_theory.findings.reasons import quote

# The check's scale (≈ 60–90 s): the README reports the full default scan (N = 8…1024, ε = 10 % of Δ0).
EXACT_SCAN = iteration_scan.IterationScan(
    n=(32, 64, 128), estimators=("loo", "dg_alpha_star"), games=3, replicates=4, epsilon_fraction=0.5,
    max_iterations=5000, seed=43,
)  # fmt: skip


@pytest.fixture(scope="module")
def iteration_result() -> dict:
    result = iteration_scan.run(EXACT_SCAN, progress=False)
    print(iteration_scan.text_table(result))
    return result


def _count_slope(result: dict, record, estimator: str) -> dict:
    (summary,) = [s for s in result["summaries"] if s["estimator"] == estimator]
    fit = summary["count_slope"]
    record(f"thm43.exact.{estimator}.count_slope", fit["slope"], ".2f", *fit["ci"])
    print(f"{estimator}: slope {fit['slope']:.3f} {fit['ci']}: {fit['verdict']}")
    return fit


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "Theorem 4.3: DG-PG's iterations to ε do not grow with N. On the exact game (α* from a pilot batch, "
        "N = 32…128, three games per N) the slope of the iterations to ε is {thm43.exact.dg_alpha_star.count_slope} "
        "(CI at 1e-4): O(1) is not shown. The count is set by how J_α is conditioned at its maximum, which differs "
        "between games of one N by orders of magnitude, so the interval spans both claims."
    ),
)
def test_dg_pg_iterations_to_epsilon_do_not_grow_with_n(iteration_result, record):
    assert _count_slope(iteration_result, record, "dg_alpha_star")["holds"] is True


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "Theorem 4.3: standard MAPG's iterations to ε grow like N. On the exact game (leave-one-out baseline, "
        "N = 32…128, three games per N) the slope is {thm43.exact.loo.count_slope} (CI at 1e-4): Θ(N) is not "
        "shown; the games' conditioning, not σ², sets the count."
    ),
)
def test_standard_mapg_iterations_to_epsilon_grow_like_n(iteration_result, record):
    assert _count_slope(iteration_result, record, "loo")["holds"] is True


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "Theorem 4.1 on the ascent: DG-PG should converge to a maximum of J. It converges to the maximum of "
        "J_α, which gives up a fraction {thm43.exact.dg_alpha_star.reward_loss_median} (median over games; "
        "largest {thm43.exact.dg_alpha_star.reward_loss_max}) of the reward gap J* − J(θ0) at α* (α* = "
        "{thm43.exact.dg_alpha_star.alpha_median}, median)."
    ),
)
def test_dg_pg_ascent_ends_at_a_maximum_of_the_reward(iteration_result, record):
    cells = [c for c in iteration_result["cells"] if c["estimator"] == "dg_alpha_star" and c["problem"]]
    losses = np.array([c["reward_loss"] for c in cells])
    record("thm43.exact.dg_alpha_star.reward_loss_median", float(np.median(losses)), ".2f")
    record("thm43.exact.dg_alpha_star.reward_loss_max", float(losses.max()), ".2f")
    record("thm43.exact.dg_alpha_star.alpha_median", float(np.median([c["problem"]["alpha"] for c in cells])), ".2f")
    # 1 % of J's starting gap: far above BFGS's tolerance, and a loss Theorem 4.1 says is 0. (J_α's maximizer is
    # where the ascent heads; it stops at ε on J_α's own gap, before getting there.)
    assert losses.max() < 0.01
