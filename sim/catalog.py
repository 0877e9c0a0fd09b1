"""The server catalog of Table 4 (Appendix H.1): 12 AWS-like instance types in three hardware generations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ServerType:
    """One row of Table 4."""

    generation: int
    name: str
    vcpus: int
    memory_gb: int
    eta_cpu: float
    eta_mem: float
    weight: float


SERVER_CATALOG: tuple[ServerType, ...] = (
    ServerType(1, "m4.8xlarge", 32, 128, 0.70, 0.68, 0.10),
    ServerType(1, "t3.2xlarge", 16, 64, 0.72, 0.70, 0.03),
    ServerType(1, "t3a.2xlarge", 16, 64, 0.75, 0.72, 0.02),
    ServerType(2, "m5.8xlarge", 32, 128, 0.95, 0.93, 0.20),
    ServerType(2, "c5.18xlarge", 64, 128, 0.98, 0.93, 0.10),
    ServerType(2, "c5.12xlarge", 48, 96, 0.97, 0.93, 0.08),
    ServerType(2, "r5.8xlarge", 32, 256, 0.87, 0.92, 0.09),
    ServerType(2, "r5.6xlarge", 24, 192, 0.84, 0.93, 0.07),
    ServerType(2, "m5n.12xlarge", 48, 192, 0.96, 0.92, 0.06),
    ServerType(3, "m6i.8xlarge", 32, 128, 1.06, 0.95, 0.15),
    ServerType(3, "c5n.18xlarge", 64, 256, 1.08, 0.95, 0.08),
    ServerType(3, "c6i.32xlarge", 96, 384, 1.08, 0.96, 0.02),
)

# Resources are kept as integers so that load bookkeeping is exact (no drift, never negative):
# CPU in milli-cores, memory in MB (1 GB = 1000 MB).
CPU_UNITS_PER_CORE = 1000
MEM_UNITS_PER_GB = 1000
RESOURCES = ("cpu", "mem")

TYPE_WEIGHTS = np.array([t.weight for t in SERVER_CATALOG])
TYPE_CAPACITY = np.array(
    [[t.vcpus * CPU_UNITS_PER_CORE, t.memory_gb * MEM_UNITS_PER_GB] for t in SERVER_CATALOG], dtype=np.int32
)
TYPE_EFFICIENCY = np.array([[t.eta_cpu, t.eta_mem] for t in SERVER_CATALOG])
MAX_VCPUS = max(t.vcpus for t in SERVER_CATALOG)
MAX_MEMORY_GB = max(t.memory_gb for t in SERVER_CATALOG)

assert abs(TYPE_WEIGHTS.sum() - 1.0) < 1e-12, "Table 4 weights must sum to 100%"
