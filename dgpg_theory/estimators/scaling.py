"""Per-agent variance of every estimator of the family over N on the exact game, and Table 2's verdicts.

One point per (N, replicate): a fresh game and fresh samples (all streams spawned from one seed), and for each
member (estimators.family) and reward scaling (summed, or ÷N as in H.3) the per-agent variance
Σ_i tr Cov(ĝ^i) / N and the relative variance Σ_i tr Cov(ĝ^i) / Σ_i ‖E ĝ^i‖² with the exact mean (scale-free;
for the trainer-unit members the mean without the clip, whose effect is reported as ``clipped_fraction``).
Across N: OLS of log value on log N over every point (statistics.fit_log_log_slope) and the three-way verdict
of the measurement layer (consistent / inconsistent / undetermined, margin 0.25, false alarm 1e-4) against
Table 2's claim; members without a claim get the slope alone.

Servers: M = N/2 (O(1) jobs per server, the exact game's default) or a fixed M (jobs per server grow with N).
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field

import numpy as np
from tqdm.auto import tqdm

from dgpg_theory import exact_game
from dgpg_theory import statistics as st
from dgpg_theory.estimators import family
from dgpg_theory.measurement.moments import judge_scaling
from sim.arguments import require, require_int

DEFAULT_N = (4, 8, 16, 32, 64, 128, 256, 512, 1024)
REWARD_SCALINGS = ("sum", "per_agent")


@dataclass(frozen=True)
class FamilyScan:
    """What one table measures. ``n_servers`` None: M = N/2; an int: that M for every N."""

    n: tuple[int, ...] = DEFAULT_N
    replicates: int = 8
    samples: int = 400
    seed: int = 0
    n_servers: int | None = None
    false_alarm: float = st.DEFAULT_FALSE_ALARM

    def __post_init__(self) -> None:
        require(len(self.n) >= 2 and len(set(self.n)) == len(self.n), "n", self.n, "two or more distinct N")
        for n in self.n:
            require_int("n", n, low=2)
        require_int("replicates", self.replicates, low=2)
        require_int("samples", self.samples, low=10)
        require_int("seed", self.seed, low=0)
        if self.n_servers is not None:
            require_int("n_servers", self.n_servers, low=2, context="or None (M = N/2)")
        require(0 < self.false_alarm < 1, "false_alarm", self.false_alarm, "in (0, 1)")

    @property
    def servers_label(self) -> str:
        return "M = N/2" if self.n_servers is None else f"M = {self.n_servers}"


@dataclass
class FamilyTable:
    """One point per (N, replicate); ``variance`` and ``relative`` are keyed by (member, reward scaling)."""

    scan: FamilyScan
    n_agents: np.ndarray
    variance: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    relative: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    clipped_fraction: np.ndarray | None = None  # fraction of |(c − m_c)/s_c| > clip, per point


def _point(game: exact_game.LoadBalancingGame, rngs: tuple[np.random.Generator, np.random.Generator], samples: int):
    """Per-agent variance and relative variance of every member, for both reward scalings, on one game."""
    theta = exact_game.DEFAULT_THETA
    pilot_rng, batch_rng = rngs
    pilot = exact_game.sample_estimators(game, theta, samples, pilot_rng)
    batch = exact_game.sample_estimators(game, theta, samples, batch_rng)
    out: dict[tuple[str, str, str], float] = {}
    for scaling in REWARD_SCALINGS:
        # The same draws under either scaling: the ÷N reward is the summed one times 1/N.
        scaled = game.with_reward_scaling(scaling)
        pilot_s, batch_s = (_rescaled(b, scaled.reward_factor) for b in (pilot, batch))
        calibration = family.calibrate(scaled, theta, pilot_s)
        for name, g in family.member_samples(scaled, theta, batch_s, calibration).items():
            variance = st.trace_variance(g.reshape(samples, -1))
            mean = family.expected_gradient(scaled, theta, family.MEMBERS[name], calibration)
            out[(name, scaling, "variance")] = variance / game.n_agents
            out[(name, scaling, "relative")] = variance / float((mean**2).sum())
    calibration = family.calibrate(game, theta, pilot)
    normalized = calibration.scales.normalized_coefficient(batch.guidance_coefficient)
    return out, float((np.abs(normalized) > family.TRAINER_CLIP).mean())


def _rescaled(samples: exact_game.EstimatorSamples, factor: float) -> exact_game.EstimatorSamples:
    """The batch with its J parts times ``factor`` (the reward scaling; the guidance parts are unchanged)."""
    return exact_game.EstimatorSamples(
        samples.g_j_plain * factor, samples.g_j_baseline * factor, samples.g_g, samples.reward * factor,
        samples.guidance_coefficient, samples.actions,
    )  # fmt: skip


def measure(scan: FamilyScan, progress: bool = False) -> FamilyTable:
    """Every (N, replicate) point of ``scan`` (summed-reward games; the ÷N reward on the same draws)."""
    streams = np.random.SeedSequence(scan.seed).spawn(len(scan.n) * scan.replicates)
    points = list(itertools.product(scan.n, range(scan.replicates)))
    rows, clipped = [], []
    for stream, (n, _) in tqdm(
        list(zip(streams, points, strict=True)), desc=f"exact game, {scan.servers_label}", disable=not progress
    ):
        game_stream, pilot_stream, batch_stream = stream.spawn(3)
        game = exact_game.make_game(n, int(game_stream.generate_state(1)[0]), n_servers=scan.n_servers)
        values, fraction = _point(
            game, (np.random.default_rng(pilot_stream), np.random.default_rng(batch_stream)), scan.samples
        )
        rows.append(values)
        clipped.append(fraction)
    table = FamilyTable(scan, np.array([n for n, _ in points]), clipped_fraction=np.array(clipped))
    for name, scaling in itertools.product(family.MEMBERS, REWARD_SCALINGS):
        table.variance[(name, scaling)] = np.array([r[(name, scaling, "variance")] for r in rows])
        table.relative[(name, scaling)] = np.array([r[(name, scaling, "relative")] for r in rows])
    return table


@dataclass(frozen=True)
class MemberVerdict:
    """The slope of one quantity of one member over N, with the verdict on Table 2's claim."""

    member: str
    reward_scaling: str
    quantity: str  # "variance" or "relative"
    fit: st.SlopeFit
    holds: bool | None  # None: undetermined, or no claim to judge
    outcome: str


def verdict(table: FamilyTable, member: str, scaling: str, quantity: str = "variance") -> MemberVerdict:
    values = (table.variance if quantity == "variance" else table.relative)[(member, scaling)]
    fit = st.fit_log_log_slope(table.n_agents, values, table.scan.false_alarm)
    claim = family.MEMBERS[member].claim
    if claim is None:
        return MemberVerdict(member, scaling, quantity, fit, None, "no claim in Table 2")
    holds, outcome, _ = judge_scaling(fit, claim, table.scan.false_alarm)
    return MemberVerdict(member, scaling, quantity, fit, holds, outcome)


def per_n_means(table: FamilyTable, member: str, scaling: str, quantity: str = "variance") -> dict[int, float]:
    values = (table.variance if quantity == "variance" else table.relative)[(member, scaling)]
    return {int(n): float(values[table.n_agents == n].mean()) for n in np.unique(table.n_agents)}


def short_verdict(judged: MemberVerdict) -> str:
    """consistent / inconsistent / undetermined (with the claim), or 'no claim'."""
    claim = family.MEMBERS[judged.member].claim
    if claim is None:
        return "no claim"
    label = {True: "consistent with", False: "inconsistent with", None: "undetermined for"}[judged.holds]
    return f"{label} {'Θ(N)' if claim == 'Theta(N)' else claim}"


def _fmt_fit(fit: st.SlopeFit) -> str:
    return f"{fit.slope:+.2f} [{fit.ci_low:+.2f}, {fit.ci_high:+.2f}]"


def text_table(table: FamilyTable, scaling: str) -> str:
    """The printed table for one reward scaling: member, Table 2's claim, slope of σ² and of the relative
    variance with intervals (at the scan's false alarm) and verdicts."""
    scan = table.scan
    head = f"exact game, {scan.servers_label}, {'summed' if scaling == 'sum' else '÷N'} reward, N = {scan.n[0]}…"
    head += f"{scan.n[-1]}, {scan.replicates} games per N, S = {scan.samples}; "
    head += f"b: log–log slope [CI at {scan.false_alarm:g}]"
    lines = [head, f"{'estimator':<20} {'Table 2':<22} {'b of σ²':<22} {'verdict':<28} {'b of σ²/‖Eĝ‖²':<22} verdict"]
    for name, member in family.MEMBERS.items():
        of_variance, of_relative = verdict(table, name, scaling), verdict(table, name, scaling, "relative")
        lines.append(
            f"{name:<20} {member.table2_row:<22} {_fmt_fit(of_variance.fit):<22} {short_verdict(of_variance):<28} "
            f"{_fmt_fit(of_relative.fit):<22} {short_verdict(of_relative)}"
        )
    if table.clipped_fraction is not None:
        lines.append(
            f"trainer units: |ĉ| > {family.TRAINER_CLIP:g} for {100 * table.clipped_fraction.max():.2f} % "
            "of the c at the worst point"
        )
    return "\n".join(lines)


def per_n_intervals(table: FamilyTable, member: str, scaling: str, quantity: str = "variance") -> list[dict]:
    """Per N: the mean over games with a log-scale bootstrap interval over games (at the scan's false alarm)."""
    values = (table.variance if quantity == "variance" else table.relative)[(member, scaling)]
    rows = []
    for n in np.unique(table.n_agents):
        chosen = values[table.n_agents == n]
        interval = st.bootstrap_statistic(
            [chosen], lambda v: float(v.mean()), table.scan.seed + int(n), table.scan.false_alarm, transform="log"
        )
        rows.append({"n": int(n), "mean": interval.estimate, "ci": [interval.ci_low, interval.ci_high]})
    return rows


def results(table: FamilyTable) -> dict:
    """Everything results.json holds: the scan, per-N means with intervals, slopes and verdicts, every point."""
    entries = []
    for name, scaling, quantity in itertools.product(family.MEMBERS, REWARD_SCALINGS, ("variance", "relative")):
        judged = verdict(table, name, scaling, quantity)
        member = family.MEMBERS[name]
        entries.append({
            "member": name, "description": member.description, "table2_row": member.table2_row,
            "claim": member.claim, "units": member.units, "reward_scaling": scaling, "quantity": quantity,
            "slope": judged.fit.slope, "slope_ci": [judged.fit.ci_low, judged.fit.ci_high],
            "holds": judged.holds, "verdict": judged.outcome,
            "per_n": per_n_intervals(table, name, scaling, quantity),
        })  # fmt: skip
    points = {f"{name}/{scaling}": values.tolist() for (name, scaling), values in table.variance.items()}
    return {
        "scan": asdict(table.scan),
        "n_agents": table.n_agents.tolist(),
        "entries": entries,
        "variance_points": points,
        "max_clipped_fraction": float(table.clipped_fraction.max()) if table.clipped_fraction is not None else None,
    }
