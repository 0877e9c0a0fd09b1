"""Scenarios: a seeded server configuration, target utilization and arrival rate (Appendix H.1, Table 5).

A scenario is deterministic from (seed, scale, split, index) and is small (the job trace is not stored: it is
drawn during the episode from the scenario's own ``workload_seed``). The 200 train / 40 test scenarios of a
scale are generated on demand and cached on disk as JSON.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from sim.arguments import require, require_int
from sim.atomic import write_text
from sim.catalog import TYPE_CAPACITY, TYPE_EFFICIENCY, TYPE_WEIGHTS
from sim.scales import Scale, resolve_scale
from sim.workload import mean_service_steps, workload_moments

SPLIT_SIZES = {"train": 200, "test": 40}
SPLIT_CODES = {"train": 1, "test": 2}
TARGET_UTILIZATION_RANGE = (0.80, 0.85)
SCENARIO_FORMAT = 2  # bump when generation changes, so stale caches are regenerated


@dataclass(frozen=True)
class Scenario:
    """One heterogeneous cluster and its workload intensity."""

    scale: str
    n_servers: int
    n_clusters: int
    split: str
    index: int
    seed: int
    server_types: tuple[int, ...]  # index into SERVER_CATALOG, per server
    target_utilization: float
    arrival_rate: float  # λ̄, jobs per step
    workload_seed: int

    @property
    def capacity(self) -> np.ndarray:
        """[N, 2] int32 capacities in milli-cores and MB."""
        return TYPE_CAPACITY[list(self.server_types)]

    @property
    def efficiency(self) -> np.ndarray:
        """[N, 2] (η_CPU, η_Mem)."""
        return TYPE_EFFICIENCY[list(self.server_types)]

    def cluster_order(self) -> np.ndarray:
        """Servers in action order: clusters are consecutive runs of S = N/K servers (H.2).

        With S = 1 the action is the server itself (identity order); otherwise servers are sorted by
        (CPU, memory) capacity, ties by index, so that a cluster holds servers of similar profile.
        """
        if self.n_clusters == self.n_servers:
            return np.arange(self.n_servers, dtype=np.int32)
        cap = self.capacity
        return np.lexsort((np.arange(self.n_servers), cap[:, 1], cap[:, 0])).astype(np.int32)


def calibrated_arrival_rate(server_types: np.ndarray, target_utilization: float) -> float:
    """λ̄ such that, with every server at utilization ρ = ``target_utilization`` on the bottleneck resource,
    arrivals equal throughput.

    A server j at utilization ρ of resource k completes ρ · μ_jk / (E[w_k] · E[steps_j]) jobs per step, where
    E[steps_j] is the mean service time on j (duration / η_CPU,j, H.1); summing over servers gives the rate.
    (Averaging service times by capacity instead would ignore that fast servers turn jobs over more often.)
    """
    capacity = TYPE_CAPACITY[server_types].astype(np.float64)
    steps = np.array([mean_service_steps(float(TYPE_EFFICIENCY[t, 0])) for t in server_types])
    demand = workload_moments()
    rates = [target_utilization * (capacity[:, k] / steps).sum() / demand[key] for k, key in enumerate(("cpu", "mem"))]
    return float(min(rates))


def require_target_utilization(target_utilization: object) -> None:
    """ArgumentError unless ``target_utilization`` is None or a real number in (0, 1].

    It is the bottleneck resource's utilization at which arrivals equal throughput (``calibrated_arrival_rate``):
    0 or less means no arrivals (or a negative rate), 1 a cluster loaded to its full capacity, and above 1 the
    arrivals outgrow what the servers can serve even fully packed, so the backlog grows without bound.
    """
    if target_utilization is None:
        return
    real = isinstance(target_utilization, int | float | np.integer | np.floating) and not isinstance(
        target_utilization, bool | np.bool_
    )
    fits = real and 0.0 < float(target_utilization) <= 1.0  # NaN fails both comparisons
    require(fits, "target_utilization", target_utilization, "a number in (0, 1]; None (the default) draws it as in H.1")


def make_scenario(
    scale: str | int | Scale, split: str, index: int, seed: int = 0, target_utilization: float | None = None
) -> Scenario:
    """Scenario ``index`` of ``split`` at ``scale``, deterministic from ``seed``.

    ``target_utilization`` overrides the H.1 draw from TARGET_UTILIZATION_RANGE (None: the draw). The draw is
    still made, so the servers and ``workload_seed`` are those of the default scenario: only λ̄ changes, in
    proportion to the utilization (``calibrated_arrival_rate`` is linear in it).
    """
    sc = resolve_scale(scale)
    if split not in SPLIT_CODES:
        raise ValueError(f"split={split!r} is not allowed; allowed: {', '.join(SPLIT_CODES)}")
    require_int("seed", seed, low=0)
    require_int("index", index, low=0)
    require_target_utilization(target_utilization)
    seq = np.random.SeedSequence([int(seed), SPLIT_CODES[split], sc.n_servers, sc.n_clusters, int(index)])
    rng = np.random.default_rng(seq)
    types = rng.choice(len(TYPE_WEIGHTS), size=sc.n_servers, p=TYPE_WEIGHTS)
    types = rng.permutation(types)
    drawn = float(rng.uniform(*TARGET_UTILIZATION_RANGE))  # drawn even when overridden: same stream as default
    target = drawn if target_utilization is None else float(target_utilization)
    workload_seed = int(seq.spawn(1)[0].generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    return Scenario(
        scale=sc.name,
        n_servers=sc.n_servers,
        n_clusters=sc.n_clusters,
        split=split,
        index=int(index),
        seed=int(seed),
        server_types=tuple(int(t) for t in types),
        target_utilization=target,
        arrival_rate=calibrated_arrival_rate(types, target),
        workload_seed=workload_seed,
    )


def cache_dir() -> Path:
    """Where scenario sets are cached: $DGPG_CACHE_DIR, else ~/.cache/dgpg-theory."""
    root = os.environ.get("DGPG_CACHE_DIR") or Path.home() / ".cache" / "dgpg-theory"
    return Path(root) / "scenarios"


def load_scenarios(
    scale: str | int | Scale,
    split: str = "test",
    seed: int = 0,
    count: int | None = None,
    target_utilization: float | None = None,
) -> list[Scenario]:
    """The first ``count`` scenarios (default: all 200 train / 40 test) of a split, cached on disk.

    ``target_utilization``: see ``make_scenario``; each value has its own cache file.
    """
    sc = resolve_scale(scale)
    if split not in SPLIT_SIZES:
        raise ValueError(f"split={split!r} is not allowed; allowed: {', '.join(SPLIT_SIZES)}")
    total = SPLIT_SIZES[split]
    count = total if count is None else count
    require_int("count", count, low=1, high=total + 1, context=f"for split={split!r}")
    require_target_utilization(target_utilization)
    path = cache_path(sc, split, seed, target_utilization)
    scenarios = _read_cache(path)
    if scenarios is None:
        scenarios = [make_scenario(sc, split, i, seed, target_utilization) for i in range(total)]
        _write_cache(path, scenarios)
    return scenarios[:count]


def cache_path(scale: Scale, split: str, seed: int, target_utilization: float | None = None) -> Path:
    """The cache file of one scenario set. The default load keeps its historical name (existing caches stay
    valid); an override adds ``_u`` and the float's repr, which round-trips, so two values never share a file."""
    load = "" if target_utilization is None else f"_u{float(target_utilization)!r}"
    return cache_dir() / f"v{SCENARIO_FORMAT}_n{scale.n_servers}_k{scale.n_clusters}_{split}_seed{seed}{load}.json"


def _read_cache(path: Path) -> list[Scenario] | None:
    try:
        rows = json.loads(path.read_text())
        return [Scenario(**{**row, "server_types": tuple(row["server_types"])}) for row in rows]
    except (OSError, ValueError, TypeError, KeyError):
        return None  # missing or unreadable: regenerate (generation is deterministic)


def _write_cache(path: Path, scenarios: list[Scenario]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, json.dumps([asdict(s) for s in scenarios]))  # atomic: a reader never sees half a file
    except OSError:
        pass  # a read-only home is not an error: scenarios are regenerated next time
