"""From raw gradient samples to the quantities of Theorem 4.2: per cell, per N, and across N.

Per cell (one snapshot; measurement.samples): the per-agent moments — every trace divided by the
number A of fork-step agents, so that a value is the mean over agents of tr Cov(ĝ^i) (the paper's per-agent
Var) — of
  ĝ_J^i = score·R (``plain``) and score·(R − b_loo) (the default; b_loo = mean return of the other S − 1 copies),
  ĝ_G^i = score·c  (Eq 9),   ĝ_DG = (1 − α)ĝ_J − αĝ_G  (Eq 10),
for three reward scalings of the same rollouts: ``paper`` (H.3, ÷N), ``sum`` (×N, the summed reward) and
``normalized`` (the trainer's standardization: R / std of R over the fork batch). The closed form of Eq 13 is
compared out of sample: σ_J², σ_G², ρ and α* from the first half of the copies predict the variance of the
mixed samples of the second half, on an α grid and at α*. The nested batches give the own-action / cross-agent
split of one agent's variance (measurement.samples docstring). ``estimator_moments`` adds the estimator family
of Table 2 (measurement.counterfactuals) per cell: on the fork copies (plain, loo, dg) or, when the cell has
counterfactual groups, every estimator on those copies; ``summarize_estimator`` and ``estimator_slope`` are its
per-N and across-N counterparts, judged against Table 2's claim.

Per N: statistics are functions of the replicate means (ρ = mean cov / √(mean σ_J² · mean σ_G²), relative
variance = mean tr Cov / mean ‖Eĝ‖², ‖Eĝ‖² estimated without bias); intervals come from a bootstrap over
replicates (snapshots are independent; the copies within one are not a replicate). Across N: OLS of log value
on log N over every (N, replicate) point with one intercept per tidal phase (statistics.fit_log_log_slope;
measurement.phases) and a three-way verdict per claim —
consistent / inconsistent / undetermined — with the theory layer's margin δ = 0.25: Θ(N) by equivalence
|b − 1| < δ, O(1) (bounded) by b < δ (see judge_scaling); all at false alarm 1e-4 by default. Per-N intervals are
bootstrap intervals on the log scale for variances, Fisher z for ρ, normal otherwise.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from dgpg_theory import statistics as st
from dgpg_theory.measurement import counterfactuals as cf
from dgpg_theory.measurement.relevance import action_relevance
from dgpg_theory.measurement.samples import CellSamples
from dgpg_theory.trainer_units import TrainerScales

REWARD_SCALES = ("paper", "sum", "normalized")
ALPHA_GRID = np.linspace(0.0, 1.0, 21)


# ----------------------------------------------------------------------------------------------------------
# Per cell
# ----------------------------------------------------------------------------------------------------------


@dataclass
class ScaleMoments:
    """Per-agent moments of one cell under one reward scaling (J: baselined unless named ``plain``)."""

    var_j: float
    var_j_plain: float
    var_g: float
    cov_jg: float
    signal_j: float  # unbiased ‖E ĝ_J‖² per agent
    signal_j_plain: float
    signal_g: float
    alpha_star_half: float  # α* from half A
    min_var_predicted: float  # Eq 13 from half A
    min_var_empirical: float  # tr Cov of half B's mixed samples at half A's α*
    curve_predicted: list[float]  # closed form on ALPHA_GRID, half A
    curve_empirical: list[float]  # mixed samples on ALPHA_GRID, half B
    own_j: float  # nested split of one agent's tr Cov(ĝ_J) (baselined)
    cross_j: float
    own_g: float
    cross_g: float
    cross_agents_j: float  # within-group part of tr Cov(ĝ_J) with future arrivals held fixed: other agents only


@dataclass
class CellMoments:
    n: int
    replicate: int
    n_agents: int
    n_parameters: int
    warmup_steps: int
    scenario_index: int
    phase: str  # tidal phase of the snapshot (measurement.phases)
    own_action_p_value: float  # measurement.relevance: does the nested agent's own action change the return
    others_spread: float  # measurement.relevance: > 0 when another agent's action changes the return
    tail_shape_j: float  # generalized-Pareto ξ of ‖ĝ_J − ḡ_J‖² (statistics.variance_tail_diagnostic)
    tail_shape_g: float
    scales: dict[str, ScaleMoments] = field(default_factory=dict)
    seconds: float = 0.0
    fork_seconds: float = 0.0  # the S-copy fork alone: the part of ``seconds`` that grows with S
    # (a1, a2): Var(log estimate) ≈ a1/S + a2/S² for sigma2_J, sigma2_G, signal_J, signal_G (measurement.allocation)
    log_noise: dict[str, tuple[float, float]] = field(default_factory=dict)
    # The estimator family of Table 2 (estimator_moments): scale -> variant -> {"var", "signal"}, per agent
    estimators: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    estimator_source: str = ""  # "fork" (plain, loo, dg on the S copies) or "counterfactual" (every estimator)
    estimator_copies: int = 0  # copies the estimators are evaluated on
    counterfactual_seconds: float = 0.0


def _per_agent(value: float, n_agents: int) -> float:
    return float(value) / n_agents


def _halves(g_j: np.ndarray, g_g: np.ndarray, n_agents: int) -> dict:
    """Eq 13 predicted from half A, checked on half B (module docstring)."""
    half = g_j.shape[0] // 2
    a_j, a_g, b_j, b_g = g_j[:half], g_g[:half], g_j[half:], g_g[half:]
    var_j, var_g = st.trace_variance(a_j), st.trace_variance(a_g)
    rho = st.trace_correlation(a_j, a_g)
    mixing = st.optimal_mixing(var_j, var_g, rho)
    return {
        "alpha_star_half": mixing.alpha_star,
        "min_var_predicted": mixing.min_variance / n_agents,
        "min_var_empirical": float(st.dg_variance_empirical(b_j, b_g, [mixing.alpha_star])[0]) / n_agents,
        "curve_predicted": (st.dg_variance_closed_form(ALPHA_GRID, var_j, var_g, rho) / n_agents).tolist(),
        "curve_empirical": (st.dg_variance_empirical(b_j, b_g, ALPHA_GRID) / n_agents).tolist(),
    }


def _nested_split(samples: CellSamples, factor: float, baseline: float) -> dict:
    """Own-action and cross-agent parts of one agent's tr Cov (two-stage ANOVA, unbiased)."""
    nested = samples.nested
    inner = nested.returns.shape[1]
    score_norm2 = (nested.score**2).sum(axis=1)

    def split(coefficients: np.ndarray) -> tuple[float, float]:
        cross = float((score_norm2 * coefficients.var(axis=1, ddof=1)).mean())
        group_means = nested.score * coefficients.mean(axis=1, keepdims=True)
        own = st.trace_variance(group_means) - cross / inner
        return own, cross

    own_j, cross_j = split(factor * (nested.returns - baseline))
    own_g, cross_g = split(nested.coefficient)
    _, cross_agents_j = split(factor * (nested.returns_shared_future - baseline))
    return {"own_j": own_j, "cross_j": cross_j, "own_g": own_g, "cross_g": cross_g, "cross_agents_j": cross_agents_j}


def cell_moments(samples: CellSamples, replicate: int, n_parameters: int) -> CellMoments:
    """Every per-agent moment of one cell, for the three reward scalings."""
    fork = samples.fork
    n_copies, n_agents, _ = fork.score.shape
    score = fork.score
    g_g = (score * fork.coefficient[..., None]).reshape(n_copies, -1)
    returns_std = float(fork.returns.std(ddof=1))
    factors = {"paper": 1.0, "sum": float(fork.n_servers), "normalized": 1.0 / returns_std if returns_std > 0 else 0.0}
    var_g, signal_g = st.trace_variance(g_g), st.squared_mean_norm(g_g)
    nested = samples.nested
    relevance = action_relevance(
        nested.returns_shared_future, nested.actions, np.random.default_rng([fork.n_servers, replicate])
    )
    cell = CellMoments(
        n=fork.n_servers,
        replicate=replicate,
        n_agents=n_agents,
        n_parameters=n_parameters,
        warmup_steps=samples.warmup_steps,
        scenario_index=samples.scenario_index,
        phase=samples.phase,
        own_action_p_value=relevance.own_action_p_value,
        others_spread=relevance.others_spread,
        tail_shape_j=math.nan,
        tail_shape_g=_tail_shape(g_g),
    )
    for name, factor in factors.items():
        returns = factor * fork.returns
        g_plain = (score * returns[:, None, None]).reshape(n_copies, -1)
        g_j = (score * (returns - st.leave_one_out_mean(returns))[:, None, None]).reshape(n_copies, -1)
        cell.scales[name] = ScaleMoments(
            var_j=_per_agent(st.trace_variance(g_j), n_agents),
            var_j_plain=_per_agent(st.trace_variance(g_plain), n_agents),
            var_g=_per_agent(var_g, n_agents),
            cov_jg=_per_agent(st.trace_covariance(g_j, g_g), n_agents),
            signal_j=_per_agent(st.squared_mean_norm(g_j), n_agents),
            signal_j_plain=_per_agent(st.squared_mean_norm(g_plain), n_agents),
            signal_g=_per_agent(signal_g, n_agents),
            **_halves(g_j, g_g, n_agents),
            **_nested_split(samples, factor, float(fork.returns.mean())),
        )
        if name == "paper":
            cell.tail_shape_j = _tail_shape(g_j)
            cell.log_noise = {
                "sigma2_J": st.log_variance_noise(g_j),
                "sigma2_G": st.log_variance_noise(g_g),
                "signal_J": st.log_signal_noise(g_j),
                "signal_G": st.log_signal_noise(g_g),
            }
    cell.fork_seconds = samples.fork_seconds
    cell.estimators = {name: estimator_moments(samples, factor) for name, factor in factors.items()}
    cell.estimator_source = "fork" if samples.counterfactual is None else "counterfactual"
    cell.estimator_copies = len(fork.returns if samples.counterfactual is None else samples.counterfactual.returns)
    cell.counterfactual_seconds = samples.counterfactual_seconds
    return cell


def _cell_alphas(fork, factor: float, scales: TrainerScales) -> dict[str, float]:
    """The α of each dg variant: the paper's, and the plug-in α* of Theorem 4.2 from this cell's S fork copies
    (every fork-step agent), raw (Eq 10, returns × ``factor``) and in Eq 11's units (``scales``)."""
    advantage = fork.returns - st.leave_one_out_mean(fork.returns)
    standardized, normalized = scales.apply(advantage, fork.coefficient)
    alphas = {
        "alpha_star": st.plug_in_alpha(
            _products(fork.score, factor * advantage), _products(fork.score, fork.coefficient)
        ),
        "eq11_alpha_star": st.plug_in_alpha(_products(fork.score, standardized), _products(fork.score, normalized)),
    }
    for alpha in cf.PAPER_ALPHAS:
        alphas[f"alpha_{alpha:g}"] = alphas[f"eq11_alpha_{alpha:g}"] = alpha
    return alphas


def _products(score: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Samples of s_i·w_i flattened over agents, [S, A·P], from a weight per copy [S] or per agent [S, A]."""
    weight = weight[:, None] if weight.ndim == 1 else weight
    return (score * weight[..., None]).reshape(len(score), -1)


def estimator_moments(samples: CellSamples, factor: float) -> dict[str, dict[str, float]]:
    """Per-agent tr Cov and unbiased ‖Eĝ‖² of every estimator of Table 2 the cell's samples allow
    (measurement.counterfactuals): plain, loo and dg on the fork copies when there are no counterfactual
    groups; all of them on the counterfactual copies otherwise (comparable sample for sample), with the
    state baseline and Eq 11's scales taken from the fork. Returns are scaled by ``factor``; ĝ_i = s_i · w_i,
    and each agent's moments are over copies, then averaged."""
    fork, groups = samples.fork, samples.counterfactual
    fork_advantage = fork.returns - st.leave_one_out_mean(fork.returns)
    scales = TrainerScales.fit(fork_advantage, fork.coefficient)
    alphas = _cell_alphas(fork, factor, scales)
    if groups is None:
        score, agents = fork.score, np.arange(fork.score.shape[1])
        coefficient, advantage = fork.coefficient, fork_advantage
        r = factor * fork.returns[:, None]
        weights = {
            "plain": np.repeat(r, len(agents), 1),
            "loo": np.repeat(r - st.leave_one_out_mean(r[:, 0])[:, None], len(agents), 1),
        }
    else:
        score, agents, coefficient = groups.score, groups.agents, groups.coefficient
        state_value = float(fork.returns.mean())
        weights = cf.baseline_weights(groups, factor, state_value)
        advantage = groups.returns - state_value
    weights |= cf.dg_weights(advantage, coefficient, agents, factor, alphas, scales)
    moments = {}
    for name, w in weights.items():
        g = _products(score, w)
        moments[name] = {
            "var": _per_agent(st.trace_variance(g), len(agents)),
            "signal": _per_agent(st.squared_mean_norm(g), len(agents)),
        }
    return moments


def _tail_shape(samples: np.ndarray) -> float:
    try:
        return st.variance_tail_diagnostic(samples).shape
    except ValueError:  # fewer than 20 tail samples (S < 200): no diagnostic
        return math.nan


# ----------------------------------------------------------------------------------------------------------
# Per N: replicate means, bootstrap over replicates
# ----------------------------------------------------------------------------------------------------------

# Per-replicate columns the per-N statistics are built from (one row per replicate).
COLUMNS = (
    "var_j", "var_j_plain", "var_g", "cov_jg", "signal_j", "signal_j_plain", "signal_g",
    "min_var_predicted", "min_var_empirical", "own_j", "cross_j", "own_g", "cross_g", "cross_agents_j",
)  # fmt: skip


@dataclass(frozen=True)
class Statistic:
    """One per-N statistic: its value from the column means (a dict keyed by COLUMNS), the scale of its
    bootstrap interval (statistics.EstimateWithCI: variances are right-skewed, ρ is bounded), and, for a
    relative variance tr Cov / ‖Eĝ‖², the two statistics it divides (its interval is bounded by theirs)."""

    from_means: Callable[[dict], float]
    interval: str = "identity"
    ratio_of: tuple[str, str] | None = None


def _rho(m: dict) -> float:
    return m["cov_jg"] / math.sqrt(m["var_j"] * m["var_g"]) if m["var_j"] > 0 and m["var_g"] > 0 else math.nan


def _mixing(m: dict) -> st.OptimalMixing:
    rho = _rho(m)
    rho_clipped = min(max(rho, -1.0), 1.0) if math.isfinite(rho) else 0.0
    return st.optimal_mixing(max(m["var_j"], 0.0), max(m["var_g"], 0.0), rho_clipped)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else math.inf


def _column(name: str) -> Callable[[dict], float]:
    return lambda m: m[name]


# Every statistic reported per N, in report order.
STATISTICS: dict[str, Statistic] = {
    "sigma2_J": Statistic(_column("var_j"), "log"),
    "sigma2_J_plain": Statistic(_column("var_j_plain"), "log"),
    "sigma2_G": Statistic(_column("var_g"), "log"),
    "rho": Statistic(_rho, "fisher"),
    "alpha_star": Statistic(lambda m: _mixing(m).alpha_star),
    "min_var_plugin": Statistic(lambda m: _mixing(m).min_variance, "log"),
    "min_var_predicted": Statistic(_column("min_var_predicted"), "log"),
    "min_var_empirical": Statistic(_column("min_var_empirical"), "log"),
    "rel_var_J": Statistic(lambda m: _ratio(m["var_j"], m["signal_j"]), ratio_of=("sigma2_J", "signal_J")),
    "rel_var_J_plain": Statistic(
        lambda m: _ratio(m["var_j_plain"], m["signal_j_plain"]), ratio_of=("sigma2_J_plain", "signal_J_plain")
    ),
    "rel_var_G": Statistic(lambda m: _ratio(m["var_g"], m["signal_g"]), ratio_of=("sigma2_G", "signal_G")),
    "signal_J": Statistic(_column("signal_j")),
    "signal_J_plain": Statistic(_column("signal_j_plain")),
    "signal_G": Statistic(_column("signal_g")),
    "own_J": Statistic(_column("own_j")),
    "cross_J": Statistic(_column("cross_j")),
    "own_G": Statistic(_column("own_g")),
    "cross_G": Statistic(_column("cross_g")),
    "cross_agents_J": Statistic(_column("cross_agents_j")),
}


def statistics_from_means(means: np.ndarray) -> dict[str, float]:
    """Every statistic of STATISTICS, by name, from a vector of column means (COLUMNS order)."""
    by_column = dict(zip(COLUMNS, means, strict=True))
    return {name: statistic.from_means(by_column) for name, statistic in STATISTICS.items()}


def replicate_table(cells: Sequence[CellMoments], scale: str) -> np.ndarray:
    """[R, len(COLUMNS)] per-replicate moments of one N under one reward scaling."""
    return np.array([[getattr(c.scales[scale], name) for name in COLUMNS] for c in cells], dtype=float)


@dataclass
class NSummary:
    """Everything reported for one N under one reward scaling; ``*_ci`` are [low, high]."""

    n: int
    n_clusters: int
    replicates: int
    mean_agents: float
    n_parameters: int
    values: dict[str, float]
    intervals: dict[str, list[float]]
    curve_predicted: list[float]
    curve_empirical: list[float]
    tail_shape_j: float
    tail_shape_g: float

    def row(self) -> dict:
        """The flat JSON/CSV record: n, every statistic and its ``_ci``."""
        record: dict = {"n": self.n, "n_clusters": self.n_clusters, "replicates": self.replicates}
        record.update({"mean_agents": self.mean_agents, "n_parameters": self.n_parameters})
        for name in STATISTICS:
            record[name] = self.values[name]
            record[f"{name}_ci"] = self.intervals[name]
        record.update({"tail_shape_J": self.tail_shape_j, "tail_shape_G": self.tail_shape_g})
        return record


def summarize_n(
    cells: Sequence[CellMoments], n_clusters: int, scale: str, seed: int, false_alarm: float = st.DEFAULT_FALSE_ALARM
) -> NSummary:
    """Per-N statistics with bootstrap-over-replicates intervals (z·SE at ``false_alarm``)."""
    if len(cells) < 2:
        raise ValueError(f"need >= 2 replicates per N for an interval; got {len(cells)}")
    table = replicate_table(cells, scale)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # resamples whose ‖Eĝ‖² ≤ 0 give inf ratios
        estimates = st.bootstrap_statistics(
            [table],
            lambda t: np.array(list(statistics_from_means(t.mean(axis=0)).values())),
            seed,
            false_alarm,
            n_resamples=400,
            transform=[statistic.interval for statistic in STATISTICS.values()],
        )
    values = {name: e.estimate for name, e in zip(STATISTICS, estimates, strict=True)}
    intervals = {name: [e.ci_low, e.ci_high] for name, e in zip(STATISTICS, estimates, strict=True)}
    for ratio, statistic in STATISTICS.items():
        if statistic.ratio_of is None:
            continue
        variance, signal = statistic.ratio_of
        intervals[ratio] = _ratio_interval(intervals[variance], intervals[signal])
        if not values[ratio] > 0:
            values[ratio] = math.inf
    curves = [
        np.mean([getattr(c.scales[scale], k) for c in cells], axis=0).tolist()
        for k in ("curve_predicted", "curve_empirical")
    ]
    return NSummary(
        n=cells[0].n,
        n_clusters=n_clusters,
        replicates=len(cells),
        mean_agents=float(np.mean([c.n_agents for c in cells])),
        n_parameters=cells[0].n_parameters,
        values=values,
        intervals=intervals,
        curve_predicted=curves[0],
        curve_empirical=curves[1],
        tail_shape_j=float(np.nanmedian([c.tail_shape_j for c in cells])) if _any_finite(cells, "j") else math.nan,
        tail_shape_g=float(np.nanmedian([c.tail_shape_g for c in cells])) if _any_finite(cells, "g") else math.nan,
    )


def _ratio_interval(variance: list[float], signal: list[float]) -> list[float]:
    """A ratio whose denominator may be ~0 has no useful bootstrap SE: bound it by the two intervals instead
    (conservative), open-ended when ‖Eĝ‖² cannot be told from 0."""
    (v_low, v_high), (s_low, s_high) = variance, signal
    return [max(v_low, 0.0) / s_high if s_high > 0 else math.inf, v_high / s_low if s_low > 0 else math.inf]


def summarize_estimator(
    cells: Sequence[CellMoments], variant: str, scale: str, seed: int, false_alarm: float = st.DEFAULT_FALSE_ALARM
) -> dict:
    """One estimator of Table 2 at one N: mean per-agent tr Cov ("var"), ‖Eĝ‖² ("signal") and their ratio
    ("rel_var"), with bootstrap-over-replicates intervals as in ``summarize_n``."""
    table = np.array([[c.estimators[scale][variant][k] for k in ("var", "signal")] for c in cells], dtype=float)

    def statistic(t: np.ndarray) -> np.ndarray:
        var, signal = t.mean(axis=0)
        return np.array([var, signal, _ratio(var, signal)])

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # resamples whose ‖Eĝ‖² ≤ 0 give inf ratios
        estimates = st.bootstrap_statistics(
            [table], statistic, seed, false_alarm, n_resamples=400, transform=["log", "identity", "identity"]
        )
    row = {"n": cells[0].n, "replicates": len(cells)}
    for key, e in zip(("var", "signal", "rel_var"), estimates, strict=True):
        row[key], row[f"{key}_ci"] = e.estimate, [e.ci_low, e.ci_high]
    row["rel_var_ci"] = _ratio_interval(row["var_ci"], row["signal_ci"])
    row["rel_var"] = row["rel_var"] if row["rel_var"] > 0 else math.inf
    return row


def _any_finite(cells: Sequence[CellMoments], which: str) -> bool:
    return any(math.isfinite(getattr(c, f"tail_shape_{which}")) for c in cells)


# ----------------------------------------------------------------------------------------------------------
# Across N: slopes and verdicts
# ----------------------------------------------------------------------------------------------------------

# quantity -> (claim, per-replicate value from a ScaleMoments)
CLAIMS = {
    "sigma2_J": ("Theta(N)", lambda m: m.var_j),
    "sigma2_J_plain": ("Theta(N)", lambda m: m.var_j_plain),
    "sigma2_G": ("O(1)", lambda m: m.var_g),
    "rel_var_J": ("Theta(N)", lambda m: m.var_j / m.signal_j if m.signal_j > 0 else math.nan),
    "rel_var_G": ("O(1)", lambda m: m.var_g / m.signal_g if m.signal_g > 0 else math.nan),
    "min_var": ("O(1)", lambda m: _replicate_min_var(m)),
}


def _replicate_min_var(m: ScaleMoments) -> float:
    if m.var_j <= 0 or m.var_g <= 0:
        return math.nan
    rho = min(max(m.cov_jg / math.sqrt(m.var_j * m.var_g), -1.0), 1.0)
    return st.optimal_mixing(m.var_j, m.var_g, rho).min_variance


@dataclass
class SlopeVerdict:
    quantity: str
    claim: str
    estimate: float
    ci: list[float]
    holds: bool | None  # None: undetermined (too few valid points)
    verdict: str
    message: str
    n_points: int
    n_dropped: int


def slope_verdict(
    quantity: str, cells: Sequence[CellMoments], scale: str, false_alarm: float = st.DEFAULT_FALSE_ALARM
) -> SlopeVerdict:
    """log-log slope over every (N, replicate) point, one intercept per tidal phase (statistics.fit_log_log_slope:
    the scan puts equally many snapshots of each phase at every N, so the slope is the pooled one and the phases'
    different load levels are not counted as noise), and the verdict on the paper's claim for ``quantity``."""
    claim, value_of = CLAIMS[quantity]
    points = [(c.n, value_of(c.scales[scale]), c.phase) for c in cells]
    return _slope_of_points(quantity, claim, points, false_alarm)


ESTIMATOR_QUANTITIES = ("var", "rel_var")  # per-agent tr Cov; relative variance tr Cov / ‖Eĝ‖²


def estimator_slope(
    variant: str,
    cells: Sequence[CellMoments],
    scale: str,
    quantity: str = "var",
    false_alarm: float = st.DEFAULT_FALSE_ALARM,
) -> SlopeVerdict:
    """log-log slope in N of an estimator's per-agent tr Cov (``quantity`` "var") or relative variance
    ("rel_var": mean tr Cov / mean ‖Eĝ‖²), judged against Table 2's claim for its family (ob and the Eq 11
    control have none and are judged against Θ(N) for information).

    The snapshots are pooled first: one point per (N, tidal phase), the mean over that cell's snapshots, and one
    intercept per phase. A per-snapshot point would be the log of a variance from the snapshot's own copies, which
    is biased low by an amount that grows as the copies get fewer — and the counterfactual copies per snapshot
    fall with N. The mean of unbiased per-snapshot estimates is unbiased for the mean (its log is still biased
    low, by much less), and a snapshot where no
    action changes the return (variance exactly 0) counts as the 0 it is instead of being dropped."""
    if quantity not in ESTIMATOR_QUANTITIES:
        raise ValueError(f"quantity must be one of {ESTIMATOR_QUANTITIES}; got {quantity!r}")
    claim = cf.claim_of(variant) or "Theta(N)"
    pooled: dict[tuple[int, str], list[dict[str, float]]] = {}
    for c in cells:
        pooled.setdefault((c.n, c.phase), []).append(c.estimators[scale][variant])
    points = []
    for (n, phase), values in pooled.items():
        var = float(np.mean([v["var"] for v in values]))
        signal = float(np.mean([v["signal"] for v in values]))
        value = var if quantity == "var" else (var / signal if signal > 0 else math.nan)
        points.append((n, value, phase))
    label = variant if quantity == "var" else f"{variant} relative variance"
    dropped_as = "with zero variance" if quantity == "var" else "without detectable signal"
    return _slope_of_points(label, claim, points, false_alarm, dropped_as, unit="(N, phase) pool(s)")


def _slope_of_points(
    quantity: str,
    claim: str,
    points: list[tuple[int, float, str]],
    false_alarm: float,
    dropped_as: str = "without detectable signal",
    unit: str = "replicate(s)",
) -> SlopeVerdict:
    """The slope and verdict from (N, value, phase) points; non-positive or non-finite values are dropped (and
    counted in the verdict as ``unit`` ``dropped_as``)."""
    valid = [(n, v, phase) for n, v, phase in points if math.isfinite(v) and v > 0]
    dropped = len(points) - len(valid)
    n_values, values, phases = zip(*valid, strict=True) if valid else ((), (), ())
    try:
        fit = st.fit_log_log_slope(n_values, values, false_alarm, groups=phases)
    except ValueError:  # too few valid points for a slope and one intercept per phase
        return SlopeVerdict(
            quantity, claim, math.nan, [math.nan, math.nan], None, "undetermined", "too few valid points",
            len(valid), dropped,
        )  # fmt: skip
    holds, outcome, message = judge_scaling(fit, claim, false_alarm)
    verdict = f"{quantity} ∝ N^b, b = {fit.slope:.2f} [{fit.ci_low:.2f}, {fit.ci_high:.2f}]: {outcome}"
    if dropped:
        verdict += f"; {dropped} {unit} {dropped_as} dropped"
        holds = None if dropped > len(points) // 4 else holds
    return SlopeVerdict(
        quantity, claim, fit.slope, [fit.ci_low, fit.ci_high], holds, verdict, message, fit.n_points, dropped
    )


def judge_scaling(fit: st.SlopeFit, claim: str, false_alarm: float) -> tuple[bool | None, str, str]:
    """Three-way verdict (True / False / None = undetermined) on Θ(N) or O(1), with margin δ = 0.25.

    Θ(N): consistent if the TOST equivalence |b − 1| < δ is shown (statistics.check_slope_theta); inconsistent if
    the t-test rejects b = 1; else undetermined. O(1) means bounded, and a falling variance is bounded too:
    consistent if the upper end of the slope interval is below δ; inconsistent if its lower end is above δ
    (significant growth faster than N^δ); else undetermined."""
    margin = st.EQUIVALENCE_MARGIN
    if claim == "Theta(N)":
        equivalence = st.check_slope_theta(fit, 1.0, margin, false_alarm)
        if equivalence.holds:
            return True, f"consistent with Θ(N) (|b − 1| < {margin} shown)", equivalence.message
        rejection = st.check_slope_equals(fit, 1.0, false_alarm)
        if rejection.p_value < false_alarm:
            return False, "inconsistent with Θ(N) (b = 1 rejected)", rejection.message
        return None, "undetermined for Θ(N) (interval too wide)", equivalence.message
    interval = f"[{fit.ci_low:.3f}, {fit.ci_high:.3f}]"
    message = f"slope {fit.slope:.3f} ± {fit.slope_se:.3f}, interval at {false_alarm:g}: {interval}"
    if fit.ci_high < margin:
        return True, f"consistent with O(1) (b < {margin} shown)", message
    if fit.ci_low > margin:
        return False, f"inconsistent with O(1) (b > {margin} shown)", message
    if fit.ci_low > 0:
        return None, f"undetermined for O(1): growth is significant (b > 0) but b > {margin} is not shown", message
    return None, "undetermined for O(1) (interval too wide)", message
