"""Scale configurations of Table 5 and the validation of custom (N, K).

N servers, K action clusters of S = N/K servers. N ≤ 20: the action is a server (K = N). N ≥ 50: the action is a
cluster of servers sorted by capacity, and a deterministic Best-Fit places the job inside it (Appendix H.2).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.arguments import is_int

MIN_SERVERS = 2
FULL_OBSERVATION_MAX_N = 100  # H.2: full observation for N ≤ 100, compressed cluster statistics above
DEFAULT_SERVERS_PER_CLUSTER = 5


@dataclass(frozen=True)
class Scale:
    """One row of Table 5 (or a custom N, K)."""

    name: str
    n_servers: int
    n_clusters: int

    @property
    def servers_per_cluster(self) -> int:
        return self.n_servers // self.n_clusters

    @property
    def compressed_observation(self) -> bool:
        return self.n_servers > FULL_OBSERVATION_MAX_N


SCALES: dict[str, Scale] = {
    s.name: s
    for s in (
        Scale("tiny", 2, 2),
        Scale("small", 5, 5),
        Scale("compact", 10, 10),
        Scale("standard", 20, 20),
        Scale("medium", 50, 25),
        Scale("heavy", 100, 25),
        Scale("xlarge", 200, 40),
    )
}


def default_clusters(n_servers: int) -> int:
    """K for a custom N: the Table 5 value if N is listed, K = N for N ≤ 20, else the divisor K ≥ 2 of N nearest
    N/5 (K = N for a prime N: one action would leave no policy to learn)."""
    for scale in SCALES.values():
        if scale.n_servers == n_servers:
            return scale.n_clusters
    if n_servers <= 20:
        return n_servers
    divisors = [k for k in range(2, n_servers + 1) if n_servers % k == 0]  # K = 1 would leave one action
    return min(divisors, key=lambda k: (abs(k - n_servers / DEFAULT_SERVERS_PER_CLUSTER), -k))


def resolve_scale(scale: str | int | Scale, n_clusters: int | None = None) -> Scale:
    """A Scale from a Table 5 name, a server count N (with optional K), or a Scale; validates N and K."""
    if isinstance(scale, Scale):
        scale, n_clusters = scale.n_servers, scale.n_clusters if n_clusters is None else n_clusters
    if isinstance(scale, str):
        if scale not in SCALES:
            raise ValueError(f"scale={scale!r} is not a Table 5 scale; allowed: {', '.join(SCALES)}")
        named = SCALES[scale]
        if n_clusters is None or n_clusters == named.n_clusters:
            return named
        scale = named.n_servers
    if not is_int(scale):
        raise ValueError(f"n_servers={scale!r}; allowed: an int ≥ {MIN_SERVERS} or a Table 5 scale name")
    if scale < MIN_SERVERS:
        raise ValueError(f"n_servers={scale} is too small; allowed: N ≥ {MIN_SERVERS}")
    scale = int(scale)  # a numpy integer is allowed; the Scale (and scenario caches, JSON) hold a Python int
    k = default_clusters(scale) if n_clusters is None else n_clusters
    if not is_int(k) or not 1 <= k <= scale or scale % k != 0:
        raise ValueError(
            f"n_clusters={k!r} does not fit n_servers={scale}; allowed: an int K with 1 ≤ K ≤ N and N % K == 0"
        )
    k = int(k)
    name = next((s.name for s in SCALES.values() if (s.n_servers, s.n_clusters) == (scale, k)), f"n{scale}_k{k}")
    return Scale(name, scale, k)
