"""Workload and arrivals of Appendix H.1: the bimodal heavy-tailed job mixture and the tidal Poisson process.

All sampling goes through a caller-supplied ``np.random.Generator`` in a fixed draw order, so that one copy's
job trace depends only on its generator, never on the policy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numba as nb
import numpy as np

from sim.catalog import CPU_UNITS_PER_CORE, MEM_UNITS_PER_GB


@dataclass(frozen=True)
class JobClass:
    """One mode of the bimodal mixture: Pareto CPU demand, memory = CPU · U(lo, hi)."""

    share: float
    pareto_alpha: float
    pareto_xm: float
    cpu_clip: tuple[float, float]
    mem_per_core: tuple[float, float]
    mem_clip: tuple[float, float]


CPU_INTENSIVE = JobClass(0.6, 1.7, 0.6, (0.5, 20.0), (1.5, 3.0), (0.5, 64.0))
MEMORY_INTENSIVE = JobClass(0.4, 2.2, 0.4, (0.2, 8.0), (6.0, 12.0), (1.0, 128.0))
DURATION_MU, DURATION_SIGMA, DURATION_CLIP = 3.0, 0.5, (5.0, 150.0)

ARRIVAL_STEPS = 2000  # jobs arrive during the first 2000 steps ...
EPISODE_STEPS = 3000  # ... then 1000 steps drain the system
TIDE_AMPLITUDE, TIDE_PERIOD, TIDE_NOISE_STD, TIDE_FLOOR = 0.3, 1000.0, 0.1, 0.1


@dataclass
class Jobs:
    """A batch of jobs: integer demands (milli-cores, MB), base durations in steps, class flags."""

    cpu: np.ndarray  # int32, milli-cores
    mem: np.ndarray  # int32, MB
    duration: np.ndarray  # float64, steps at eta_cpu = 1
    cpu_intensive: np.ndarray  # bool


def _class_row(c: JobClass) -> list[float]:
    return [c.pareto_alpha, c.pareto_xm, *c.cpu_clip, *c.mem_per_core, *c.mem_clip]


# Rows: CPU-intensive, memory-intensive; numba reads this table (it cannot read the dataclasses).
_CLASS_TABLE = np.array([_class_row(CPU_INTENSIVE), _class_row(MEMORY_INTENSIVE)])


@nb.njit(cache=True)
def _jobs_from_draws(uniforms: np.ndarray, normals: np.ndarray, share_cpu: float, table: np.ndarray):
    """Map raw draws to jobs: uniforms[0] picks the class, uniforms[1] the Pareto quantile, uniforms[2] the
    memory-per-core ratio; normals give the log-normal duration. Compiled: this runs for every copy and step."""
    count = normals.shape[0]
    cores = np.empty(count)
    memory = np.empty(count)
    is_cpu = uniforms[0] < share_cpu
    for i in range(count):
        alpha, xm, cpu_lo, cpu_hi, ratio_lo, ratio_hi, mem_lo, mem_hi = table[0 if is_cpu[i] else 1]
        # Inverse-CDF Pareto(alpha, x_m): x_m · U^(-1/alpha), with U in (0, 1].
        x = xm * (1.0 - uniforms[1, i]) ** (-1.0 / alpha)
        x = min(max(x, cpu_lo), cpu_hi)
        cores[i] = x
        memory[i] = min(max(x * (ratio_lo + (ratio_hi - ratio_lo) * uniforms[2, i]), mem_lo), mem_hi)
    duration = np.exp(DURATION_MU + DURATION_SIGMA * normals)
    duration = np.minimum(np.maximum(duration, DURATION_CLIP[0]), DURATION_CLIP[1])
    return cores, memory, duration, is_cpu


def sample_jobs_continuous(rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    """Job demands before quantization: cores, GB, duration; the mixture of Appendix H.1."""
    cores, memory, duration, is_cpu = _jobs_from_draws(
        rng.random((3, count)), rng.standard_normal(count), CPU_INTENSIVE.share, _CLASS_TABLE
    )
    return {"cores": cores, "memory_gb": memory, "duration": duration, "cpu_intensive": is_cpu}


def sample_jobs(rng: np.random.Generator, count: int) -> Jobs:
    """Sample ``count`` jobs of the H.1 mixture, demands quantized to milli-cores and MB."""
    raw = sample_jobs_continuous(rng, count)
    return Jobs(
        cpu=np.rint(raw["cores"] * CPU_UNITS_PER_CORE).astype(np.int32),
        mem=np.rint(raw["memory_gb"] * MEM_UNITS_PER_GB).astype(np.int32),
        duration=raw["duration"],
        cpu_intensive=raw["cpu_intensive"],
    )


def arrival_intensity(t: int, mean_rate: float, noise: float) -> float:
    """λ(t) = λ̄ · max(0.1, 1 + 0.3 sin(2πt/1000) + ε_t) of Appendix H.1 (ε_t supplied by the caller)."""
    tide = 1.0 + TIDE_AMPLITUDE * math.sin(2.0 * math.pi * t / TIDE_PERIOD) + noise
    return mean_rate * max(TIDE_FLOOR, tide)


def sample_arrivals(rng: np.random.Generator, t: int, mean_rate: float) -> Jobs:
    """The jobs arriving at step ``t``: none after the arrival window, else Poisson(λ(t)) jobs."""
    if t >= ARRIVAL_STEPS:
        return sample_jobs(rng, 0)
    noise = rng.normal(0.0, TIDE_NOISE_STD)
    count = int(rng.poisson(arrival_intensity(t, mean_rate, noise)))
    return sample_jobs(rng, count)


def service_steps(duration: np.ndarray | float, eta_cpu: np.ndarray | float) -> np.ndarray:
    """Steps a job occupies its server: duration / η_CPU rounded half-up, at least one step (H.1)."""
    return np.maximum(1, np.floor(np.asarray(duration) / np.asarray(eta_cpu) + 0.5)).astype(np.int64)


@lru_cache(maxsize=1)
def _calibration_sample() -> dict[str, np.ndarray]:
    # Fixed seed: calibration must be identical on every machine.
    return sample_jobs_continuous(np.random.default_rng(20260101), 1 << 21)


def workload_moments() -> dict[str, float]:
    """Mean demands in milli-cores and MB, by a fixed-seed Monte Carlo of 2^21 jobs (used to calibrate λ̄)."""
    raw = _calibration_sample()
    return {
        "cpu": float(np.rint(raw["cores"] * CPU_UNITS_PER_CORE).mean()),
        "mem": float(np.rint(raw["memory_gb"] * MEM_UNITS_PER_GB).mean()),
    }


@lru_cache(maxsize=64)
def mean_service_steps(eta_cpu: float) -> float:
    """E[service steps] of a job on a server of efficiency ``eta_cpu`` (same fixed-seed sample)."""
    return float(service_steps(_calibration_sample()["duration"], eta_cpu).mean())
