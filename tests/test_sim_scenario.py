"""Scenario generation against Table 4, Table 5 and H.1–H.2: server mix, target utilization, cluster order, and
the lighter-load option (``target_utilization=``). Statistical checks use false alarm 1e-4 and have negative
controls."""

import dataclasses

import numpy as np
import pytest
from scipy import stats

from sim.arguments import ArgumentError
from sim.catalog import TYPE_WEIGHTS
from sim.pettingzoo import parallel_env
from sim.scenario import TARGET_UTILIZATION_RANGE, calibrated_arrival_rate, load_scenarios, make_scenario

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


# --- the lighter-load option ---------------------------------------------------------------------------------
# (scale, split, index) → (λ̄, workload_seed, first server types), from the generator before the option existed.
DEFAULT_SCENARIOS = {
    (5, "test", 0): (4.132410907746226, 3331231739125095624, (4, 0, 0, 0, 3)),
    (5, "test", 1): (4.088647359902563, 2045848323622940755, (5, 5, 2, 3, 9)),
    (20, "train", 7): (23.57805498218449, 2458214758907407147, (3, 8, 3, 5, 7, 4)),
    ("heavy", "test", 3): (120.18629751316828, 8082472559541628737, (3, 2, 7, 6, 4, 4)),
}


@pytest.mark.parametrize("key", sorted(DEFAULT_SCENARIOS, key=str))
def test_default_load_is_unchanged(key):
    rate, workload_seed, first_types = DEFAULT_SCENARIOS[key]
    default, explicit_none = make_scenario(*key), make_scenario(*key, target_utilization=None)
    assert default == explicit_none
    assert (default.arrival_rate, default.workload_seed, default.server_types[:6]) == (rate, workload_seed, first_types)
    low, high = TARGET_UTILIZATION_RANGE
    assert low <= default.target_utilization <= high


@pytest.mark.parametrize("key", sorted(DEFAULT_SCENARIOS, key=str))
def test_lighter_load_changes_only_the_arrival_rate(key):
    default, light = make_scenario(*key), make_scenario(*key, target_utilization=0.6)
    assert light.target_utilization == 0.6
    assert dataclasses.replace(light, target_utilization=default.target_utilization, arrival_rate=0.0) == (
        dataclasses.replace(default, arrival_rate=0.0)
    )  # same servers, workload_seed, scale, split, index
    # calibrated_arrival_rate is u · min_k(...): linear in u, so λ̄ scales by 0.6 / the drawn target.
    np.testing.assert_allclose(light.arrival_rate, default.arrival_rate * 0.6 / default.target_utilization, rtol=1e-14)
    assert light.arrival_rate == calibrated_arrival_rate(np.array(light.server_types), 0.6)


@pytest.mark.parametrize("bad", [0, 0.0, -0.5, 1.0000001, 2, float("nan"), float("inf"), True, "0.6"])
def test_bad_target_utilization_is_rejected(bad):
    for build in (
        lambda: make_scenario(5, "test", 0, target_utilization=bad),
        lambda: load_scenarios(5, "test", count=1, target_utilization=bad),
        lambda: parallel_env(5, target_utilization=bad),
    ):
        with pytest.raises(ArgumentError, match=r"^target_utilization=.*allowed: a number in \(0, 1\]") as caught:
            build()
        assert caught.value.name == "target_utilization"


def test_full_load_is_allowed():
    assert make_scenario(5, "test", 0, target_utilization=1).target_utilization == 1.0
    assert make_scenario(5, "test", 0, target_utilization=np.float32(0.5)).target_utilization == 0.5


def test_each_load_has_its_own_cache_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DGPG_CACHE_DIR", str(tmp_path))
    loads = (None, 0.6, 0.7)
    sets = {u: load_scenarios(5, "test", count=2, target_utilization=u) for u in loads}
    names = sorted(p.name for p in (tmp_path / "scenarios").iterdir())
    assert names == ["v2_n5_k5_test_seed0.json", "v2_n5_k5_test_seed0_u0.6.json", "v2_n5_k5_test_seed0_u0.7.json"]
    for u in loads:  # read back from the cache, each set is still its own
        again = load_scenarios(5, "test", count=2, target_utilization=u)
        assert again == sets[u] == [make_scenario(5, "test", i, 0, u) for i in range(2)]
    assert sets[0.6][0].arrival_rate < sets[0.7][0].arrival_rate < sets[None][0].arrival_rate


def test_parallel_env_takes_the_lighter_load():
    env = parallel_env(5, scenario=1, target_utilization=0.6)
    assert env.scenario == make_scenario(5, "test", 1, target_utilization=0.6)
