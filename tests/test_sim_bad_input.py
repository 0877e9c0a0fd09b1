"""Bad input: a clear exception naming the argument, the value and what is allowed; state exactly as before."""

import copy
import subprocess
import sys

import numpy as np
import pytest

from sim.env import BatchedEnv
from sim.scales import resolve_scale
from sim.scenario import load_scenarios, make_scenario


@pytest.fixture
def env():
    environment = BatchedEnv([make_scenario("small", "test", i) for i in range(2)])
    environment.reset()
    for _ in range(30):
        environment.step_heuristic("best-fit")
    return environment


def _state_fingerprint(environment: BatchedEnv) -> list:
    s = environment.state
    arrays = [getattr(s, name).tobytes() for name in vars(s) if isinstance(getattr(s, name), np.ndarray)]
    return [s.t, *arrays, [copy.deepcopy(r.bit_generator.state) for r in s.rngs]]


@pytest.mark.parametrize(
    ("make_actions", "message"),
    [
        (lambda n: np.full(n, 5), r"actions contains 5; allowed: integers in \[0, 5\)"),
        (lambda n: np.full(n, -1), r"actions contains -1"),
        (lambda n: np.zeros(n + 1, dtype=int), r"actions has shape"),
        (lambda n: np.zeros((n, 1), dtype=int), r"actions has shape"),
        (lambda n: np.zeros(n), r"actions has dtype float64; allowed: an integer dtype"),
        (lambda n: np.full(n, np.nan), r"actions contains NaN"),
    ],
)
def test_bad_actions_are_rejected_and_leave_the_state_unchanged(env, make_actions, message):
    before = _state_fingerprint(env)
    with pytest.raises(ValueError, match=message):
        env.step(make_actions(env.decision.n_agents))
    assert _state_fingerprint(env) == before
    env.step(np.zeros(env.decision.n_agents, dtype=np.int64))  # and the environment still works


def test_unknown_heuristic(env):
    before = _state_fingerprint(env)
    with pytest.raises(ValueError, match="heuristic='worst-fit' is unknown; allowed: best-fit, guidance-greedy"):
        env.step_heuristic("worst-fit")
    assert _state_fingerprint(env) == before


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: resolve_scale("huge"), "scale='huge' is not a Table 5 scale"),
        (lambda: resolve_scale(1), r"n_servers=1 is too small; allowed: N ≥ 2"),
        (lambda: resolve_scale(10, 3), "n_clusters=3 does not fit n_servers=10"),
        (lambda: resolve_scale(10, 20), "n_clusters=20 does not fit n_servers=10"),
        (lambda: resolve_scale(10, 3.0), "n_clusters=3.0 does not fit n_servers=10"),
        (lambda: BatchedEnv([]), r"scenarios=\[\] is empty; allowed: at least one Scenario \(B ≥ 1\)"),
        (lambda: make_scenario("small", "test", 0, seed=-1), "seed=-1; allowed: an int ≥ 0"),
        (lambda: make_scenario("small", "validation", 0), "split='validation' is not allowed"),
        (lambda: BatchedEnv([make_scenario("small", "test", 0)], workload_seed=-3), "workload_seed=-3"),
        (lambda: load_scenarios("small", "test", count=41), r"count=41; allowed: an int in \[1, 41\) for split='test'"),
        (
            lambda: BatchedEnv([make_scenario("small", "test", 0), make_scenario("tiny", "test", 0)]),
            "scenarios mix scales",
        ),
    ],
)
def test_bad_construction_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_default_clusters_never_leave_a_single_action():
    for n in (2, 3, 23, 37, 97, 101, 1500):
        assert resolve_scale(n).n_clusters >= 2


def test_bad_fork_arguments(env):
    snapshot = env.snapshot(0)
    scenario = env.scenarios[0]
    with pytest.raises(ValueError, match="copies=0; allowed: an int ≥ 1"):
        BatchedEnv.fork(snapshot, scenario, copies=0)
    with pytest.raises(ValueError, match="seed=-2; allowed: an int ≥ 0 or None"):
        BatchedEnv.fork(snapshot, scenario, copies=2, seed=-2)
    with pytest.raises(ValueError, match=r"copy=7; allowed: an int in \[0, 2\)"):
        env.snapshot(7)
    with pytest.raises(ValueError, match="does not match the snapshot's cluster"):
        BatchedEnv.fork(snapshot, make_scenario("compact", "test", 0), copies=1)
    with pytest.raises(ValueError, match="does not match the snapshot's cluster"):
        BatchedEnv.fork(snapshot, env.scenarios[1], copies=1)  # same N, other servers


def test_step_before_reset_and_after_the_end():
    fresh = BatchedEnv([make_scenario("tiny", "test", 0)])
    with pytest.raises(RuntimeError, match="reset"):
        fresh.step(np.zeros(0, dtype=int))
    fresh.reset()
    while not fresh.step_heuristic("best-fit").done:
        pass
    with pytest.raises(RuntimeError, match="episode is over"):
        fresh.step_heuristic("best-fit")


@pytest.mark.parametrize(
    "arguments",
    [
        ["--policy", "best-fit", "--n", "1"],
        ["--policy", "best-fit", "--n", "10", "--k", "3"],
        ["--policy", "nope", "--n", "5"],
    ],
)
def test_evaluate_cli_rejects_bad_input_with_exit_code_2(arguments):
    completed = subprocess.run([sys.executable, "-m", "sim.evaluate", *arguments], capture_output=True, text=True)
    assert completed.returncode == 2
    assert "error:" in completed.stderr and completed.stdout == ""
