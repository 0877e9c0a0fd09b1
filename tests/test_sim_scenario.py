"""Scenario generation against Table 4, Table 5 and H.1–H.2: server mix, target utilization, cluster order.
Statistical checks use false alarm 1e-4 and have negative controls."""

import numpy as np
import pytest
from scipy import stats

from sim.catalog import TYPE_WEIGHTS
from sim.scenario import TARGET_UTILIZATION_RANGE, load_scenarios

FALSE_ALARM = 1e-4


@pytest.fixture(scope="module")
def heavy_train():
    return load_scenarios("heavy", "train")  # 200 scenarios × 100 servers


def test_server_types_follow_the_table_4_weights(heavy_train):
    counts = np.bincount(np.concatenate([s.server_types for s in heavy_train]), minlength=len(TYPE_WEIGHTS))
    assert stats.chisquare(counts, counts.sum() * TYPE_WEIGHTS).pvalue > FALSE_ALARM
    # Negative control: the same counts against weights with two types swapped (m5.8xlarge 20% ↔ t3.2xlarge 3%).
    swapped = TYPE_WEIGHTS.copy()
    swapped[[1, 3]] = swapped[[3, 1]]
    assert stats.chisquare(counts, counts.sum() * swapped).pvalue < FALSE_ALARM


def test_target_utilization_is_uniform_on_the_band(heavy_train):
    targets = np.array([s.target_utilization for s in heavy_train])
    low, high = TARGET_UTILIZATION_RANGE
    assert stats.kstest(targets, stats.uniform(low, high - low).cdf).pvalue > FALSE_ALARM
    assert stats.kstest(targets, stats.uniform(low, 0.5 * (high - low)).cdf).pvalue < FALSE_ALARM  # control


@pytest.mark.parametrize("scale", ["medium", "heavy", "xlarge"])
def test_clusters_hold_servers_sorted_by_capacity(scale):
    for scenario in load_scenarios(scale, "test", count=5):
        capacity = scenario.capacity[scenario.cluster_order()]
        keys = capacity[:, 0].astype(np.int64) * 10**7 + capacity[:, 1]  # lexicographic (CPU, memory)
        assert (np.diff(keys) >= 0).all()
        assert sorted(scenario.cluster_order().tolist()) == list(range(scenario.n_servers))


def test_small_scales_act_on_servers_directly():
    for scenario in load_scenarios("standard", "test", count=3):
        assert scenario.cluster_order().tolist() == list(range(20))
