"""Does any agent's action matter at a snapshot? The test behind ``no_action_fraction`` (issue 10, §3).

If no action changes the return at a snapshot, the true policy gradient there is 0 and every estimator's
variance is noise around 0: a variance scan built on such snapshots says nothing about Theorem 4.2. The test
uses the nested batch of measurement.samples with the snapshot's own future arrivals in every copy: one
fork-step agent's action is held fixed in each of M groups of L copies, everyone else acts from the policy,
so copies differ *only* through the agents' actions.

- Other agents: within one group the agent's action and the arrivals are fixed, so any spread of the returns
  is caused by other agents' actions. Exact, no false alarm: a spread above float round-off
  (``SPREAD_TOLERANCE`` relative to the return's size) means another agent's action changed the return.
- Own action: is E[R | a_i] (for these arrivals) non-constant over a_i? Groups with the same action are
  merged; a permutation test of the one-way ANOVA F statistic (no normality assumed) gives a p-value, and the
  action matters when p < the scan's false alarm. When no other agent matters (no spread within groups) the
  comparison is exact: the action matters iff group means differ beyond round-off.

A snapshot where neither part is detected counts towards ``no_action_fraction``. Only the one nested agent of
each cell is tested (the fork-step agents are exchangeable by construction of the snapshot rule).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import scipy.stats

# Returns are sums of ≤ 1000 rewards of size O(10): reassociated sums of the same terms differ by ≲ 1e-12.
SPREAD_TOLERANCE = 1e-9
# 20 000 permutations resolve p-values down to 5e-5, below the default false alarm 1e-4.
PERMUTATIONS = 20_000


class ActionRelevance(NamedTuple):
    own_action_p_value: float  # p of "E[R | a_i] constant over a_i"; 1.0 when only one action was drawn
    others_spread: float  # largest within-group range of the returns, relative to the returns' size


def _f_statistic(*groups: np.ndarray, axis: int = -1) -> np.ndarray:
    """One-way ANOVA F = (between mean square) / (within mean square), vectorized along ``axis``."""
    sizes = np.array([g.shape[axis] for g in groups])
    means = [g.mean(axis=axis) for g in groups]
    total = sum(m * n for m, n in zip(means, sizes, strict=True)) / sizes.sum()
    between = sum(n * (m - total) ** 2 for m, n in zip(means, sizes, strict=True)) / (len(groups) - 1)
    within = sum(((g - np.expand_dims(m, axis)) ** 2).sum(axis=axis) for g, m in zip(groups, means, strict=True))
    within = within / (sizes.sum() - len(groups))
    with np.errstate(divide="ignore", invalid="ignore"):
        return between / within


def action_relevance(returns: np.ndarray, actions: np.ndarray, rng: np.random.Generator) -> ActionRelevance:
    """The two parts of the test (module docstring) from ``returns`` [M, L] (group m holds action actions[m])."""
    returns = np.asarray(returns, dtype=float)
    scale = max(1.0, float(np.abs(returns).max(initial=0.0)))
    others_spread = float(np.ptp(returns, axis=1).max(initial=0.0)) / scale
    groups = [returns[actions == a].ravel() for a in np.unique(actions)]
    if len(groups) < 2:
        return ActionRelevance(1.0, others_spread)
    if others_spread <= SPREAD_TOLERANCE:
        means = np.array([g.mean() for g in groups])
        differ = float(np.ptp(means)) / scale > SPREAD_TOLERANCE
        return ActionRelevance(0.0 if differ else 1.0, others_spread)
    test = scipy.stats.permutation_test(
        groups, _f_statistic, permutation_type="independent", vectorized=True, n_resamples=PERMUTATIONS,
        alternative="greater", rng=rng,
    )  # fmt: skip
    return ActionRelevance(float(test.pvalue), others_spread)


def no_action_matters(relevance: ActionRelevance, false_alarm: float) -> bool:
    """Neither the tested agent's own action nor any other agent's action detectably changes the return."""
    own = relevance.own_action_p_value < false_alarm
    return not own and not relevance.others_spread > SPREAD_TOLERANCE


def fraction(flags: list[bool]) -> float:
    return float(np.mean(flags)) if flags else math.nan
