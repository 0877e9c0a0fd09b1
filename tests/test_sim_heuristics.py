"""The per-episode statistics of the reference policies (sim/heuristics.py): the reward's two penalties, the share
of steps outside the paper's queue range, the jobs left waiting. Each fraction has a negative control (a case
where it must be 0) and a positive control (one where it must be positive)."""

import dataclasses

import numpy as np
import pytest

from sim.catalog import SERVER_CATALOG
from sim.heuristics import POLICIES, episode_statistics, run_episodes
from sim.kernels import QUEUE_MODELS
from sim.scenario import load_scenarios

LARGEST = next(i for i, t in enumerate(SERVER_CATALOG) if t.name == "c6i.32xlarge")  # 96 cores, 384 GB


@pytest.fixture(scope="module")
def scenarios():
    return load_scenarios(5, "test", count=3)


@pytest.mark.parametrize("policy", POLICIES)
def test_penalties_recombine_into_the_reward(scenarios, policy):
    stats = episode_statistics(scenarios, policy, queue_model="bounded-redispatch")
    np.testing.assert_allclose(stats.reward, -(stats.queue_penalty + 20.0 * stats.energy_penalty), rtol=1e-12)
    np.testing.assert_allclose(stats.reward, -(stats.queue_term + stats.energy_term), rtol=1e-12)
    assert (stats.queue_penalty > 0).all() and (stats.energy_penalty > 0).all()
    for fraction in (stats.frac_steps_queue_above_20, stats.frac_jobs_waiting_at_end):
        assert fraction.shape == (3,) and ((fraction >= 0) & (fraction <= 1)).all()
    assert np.array_equal(run_episodes(scenarios, policy, queue_model="bounded-redispatch"), stats.reward)


@pytest.mark.parametrize("queue_model", sorted(QUEUE_MODELS))
@pytest.mark.parametrize("policy", POLICIES)
def test_nothing_waits_when_every_job_fits_on_arrival(scenarios, policy, queue_model):
    # Negative control. Three jobs of the largest possible demand (20 cores, 128 GB) fit together on a
    # c6i.32xlarge: with only such servers and at most three jobs in the whole episode, every job starts where
    # it is placed (by any policy), so no queue or buffer ever holds a job.
    idle = [dataclasses.replace(s, server_types=(LARGEST,) * 5, arrival_rate=0.0005) for s in scenarios]
    stats = episode_statistics(idle, policy, queue_model=queue_model)
    assert ((stats.jobs_arrived >= 1) & (stats.jobs_arrived <= 3)).all(), stats.jobs_arrived  # the premise
    assert (stats.queue_penalty == 0).all()
    assert (stats.frac_steps_queue_above_20 == 0).all() and (stats.frac_jobs_waiting_at_end == 0).all()


def test_no_arrivals_gives_zero_fractions_not_nan(scenarios):
    stats = episode_statistics([dataclasses.replace(scenarios[0], arrival_rate=0.0)], "best-fit")
    assert stats.jobs_arrived.tolist() == [0] and stats.frac_jobs_waiting_at_end.tolist() == [0.0]
    assert stats.reward.tolist() == [0.0] and stats.frac_steps_queue_above_20.tolist() == [0.0]


@pytest.mark.parametrize("queue_model", sorted(QUEUE_MODELS))
def test_an_overloaded_cluster_leaves_jobs_waiting(scenarios, queue_model):
    # Positive control. At 4× the full-capacity rate, the 2000 arrival steps bring about 8000 steps' worth of the
    # cluster's bottleneck capacity, of which the 3000 steps of the episode serve at most 3000 (and the jobs
    # running at the end hold at most one step's worth): thousands of jobs must be waiting at the end, and far
    # more than 20 per server during most of the episode.
    hot = [dataclasses.replace(s, arrival_rate=s.arrival_rate * 4.0 / s.target_utilization) for s in scenarios]
    stats = episode_statistics(hot, "best-fit", queue_model=queue_model)
    assert (stats.frac_steps_queue_above_20 > 0.5).all() and (stats.frac_steps_queue_above_20 <= 1).all()
    assert (stats.frac_jobs_waiting_at_end > 0.1).all() and (stats.frac_jobs_waiting_at_end <= 1).all()
    np.testing.assert_allclose(stats.reward, -(stats.queue_penalty + 20.0 * stats.energy_penalty), rtol=1e-12)
