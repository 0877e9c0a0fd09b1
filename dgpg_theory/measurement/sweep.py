"""Run the cells (N, replicate) of a scan on a ``concurrent.futures`` executor: in-process, a local process
pool, or Dask distributed (``Client(address).get_executor(pure=False)``; dask-jobqueue reaches SLURM).

Every cell draws its randomness from ``SeedSequence([seed, N, replicate])`` and the policy from ``seed``
alone, so a cell's result does not depend on which worker runs it, in which order, or on what else the scan
holds: the same seeds give the same numbers on one machine or a cluster.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass

import numba
import numpy as np
from tqdm.auto import tqdm

from dgpg_theory.measurement.checkpoints import policy_from_name
from dgpg_theory.measurement.moments import CellMoments, cell_moments
from dgpg_theory.measurement.samples import SamplingConfig, sample_cell
from sim.arguments import require_int
from sim.scales import resolve_scale

EXECUTORS = ("local", "dask")


class SweepError(RuntimeError):
    """A scan cannot run as configured (e.g. an unreachable scheduler); the CLI maps it to exit code 2."""


@dataclass(frozen=True)
class CellSpec:
    n: int
    replicate: int
    policy: str
    seed: int
    config: SamplingConfig


def run_cell(spec: CellSpec) -> CellMoments:
    """Sample one cell and reduce it to per-agent moments (only these scalars travel back to the client)."""
    start = time.perf_counter()
    scale = resolve_scale(spec.n)
    policy = policy_from_name(spec.policy, scale, spec.seed)
    stream = np.random.SeedSequence([spec.seed, spec.n, spec.replicate])
    threads = numba.get_num_threads()
    # One numba thread per cell: cells are the unit of parallelism, and the simulator's prange kernels stall
    # on thread barriers when cores are shared (≈ 8× slower per step at N = 5, B = 256 on a loaded 2-core box).
    numba.set_num_threads(1)
    try:
        samples = sample_cell(policy, scale, spec.replicate, spec.config, stream)
    finally:
        numba.set_num_threads(threads)
    moments = cell_moments(samples, spec.replicate, policy.n_parameters)
    moments.seconds = time.perf_counter() - start
    return moments


def cell_specs(
    n_values: Sequence[int], replicates: int, policy: str, seed: int, config: SamplingConfig
) -> list[CellSpec]:
    """All cells, largest N first (the longest tasks start first, which balances the pool)."""
    order = sorted(n_values, reverse=True)
    return [CellSpec(n, r, policy, seed, config) for n in order for r in range(replicates)]


class _InlineExecutor(Executor):
    """Runs each task on submit, in this process (one worker: no pool start-up, easy to debug)."""

    def submit(self, fn, /, *args, **kwargs):
        from concurrent.futures import Future

        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to the caller through the future
            future.set_exception(error)
        return future


@contextmanager
def open_executor(kind: str = "local", workers: int = 1, scheduler: str | None = None, connect_timeout: float = 10.0):
    """An executor for the cells. ``local``: in-process when workers == 1, else a process pool; ``dask``: a
    client of the scheduler at ``scheduler`` (required), or of a fresh LocalCluster of ``workers`` workers."""
    if kind not in EXECUTORS:
        raise ValueError(f"executor={kind!r} is unknown; allowed: {', '.join(EXECUTORS)}")
    require_int("workers", workers, low=1)
    if kind == "local":
        if workers == 1:
            yield _InlineExecutor()
        else:
            # spawn, not fork: numba's OpenMP threading layer makes fork() unsafe once a kernel has run here
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                yield pool
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise SweepError('executor="dask" needs dask.distributed: pip install ".[dask]"') from error
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None, processes=True)
        scheduler = cluster.scheduler_address
    try:
        client = Client(scheduler, timeout=f"{connect_timeout}s")
    except (OSError, TimeoutError) as error:
        if cluster is not None:
            cluster.close()
        raise SweepError(f"scheduler={scheduler!r} is unreachable: {error}") from error
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_cells(
    specs: Iterable[CellSpec],
    executor: Executor,
    progress: bool = True,
    on_result: Callable[[CellMoments], None] | None = None,
) -> list[CellMoments]:
    """Submit every cell, collect results (with a progress bar), return them sorted by (N, replicate)."""
    specs = list(specs)
    futures = [executor.submit(run_cell, spec) for spec in specs]
    results = []
    with tqdm(total=len(futures), desc="cells (N, replicate)", disable=not progress, leave=False) as bar:
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            if on_result is not None:
                on_result(result)
            bar.set_postfix_str(f"N={result.n} r={result.replicate} {result.seconds:.1f}s")
            bar.update()
    return sorted(results, key=lambda c: (c.n, c.replicate))
