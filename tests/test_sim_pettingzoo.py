"""The PettingZoo ParallelEnv (sim/pettingzoo.py): PettingZoo's own API and seed tests, and the adapter's choices
(fresh job ids, shared spaces, skipped steps' rewards, seeding, errors that leave the state unchanged)."""

import copy
import itertools
from dataclasses import fields

import numba
import numpy as np
import pytest
from gymnasium.utils.env_checker import data_equivalence
from pettingzoo.test import parallel_api_test, parallel_seed_test

from sim.env import BatchedEnv
from sim.observations import observation_size, observations
from sim.pettingzoo import CloudSchedulingEnv, parallel_env
from sim.workload import EPISODE_STEPS

SMALL, CLUSTERED = "small", "medium"  # N = 5 (K = N: a server per action), N = 50 (K = 25 clusters)


@pytest.fixture(autouse=True)
def one_numba_thread():
    """The reference BatchedEnv runs below with one copy, like the adapter: keep numba's pool out of it."""
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(previous)


def random_actions(env: CloudSchedulingEnv, rng: np.random.Generator) -> dict[str, int]:
    return {agent: int(rng.integers(env.n_actions)) for agent in env.agents}


# --- PettingZoo's own tests ------------------------------------------------------------------------------------
# UserWarning is an error: parallel_api_test only *warns* when dict keys and live agents disagree, or when the
# episode ends with possible_agents not all finished.
@pytest.mark.filterwarnings("error::UserWarning")
@pytest.mark.parametrize(
    ("scale", "cycles", "queue_model"),
    [(SMALL, 2500, "bounded-redispatch"), (CLUSTERED, 150, "bounded-redispatch"), (SMALL, 2500, "binding")],
)
def test_parallel_api_test(scale, cycles, queue_model):
    env = parallel_env(scale, queue_model=queue_model)
    parallel_api_test(env, num_cycles=cycles)  # 2500 cycles at N = 5 reach the end of the episode twice
    assert env.simulator.queue_model == queue_model
    if scale == SMALL:
        assert env.simulator.state.t == EPISODE_STEPS and env.agents == []


@pytest.mark.filterwarnings("error::UserWarning")
def test_parallel_api_test_catches_a_wrong_possible_agents(monkeypatch):
    """Negative control: one job too many in possible_agents makes the API test fail at the episode's end."""
    true_count = CloudSchedulingEnv._episode_job_count
    monkeypatch.setattr(CloudSchedulingEnv, "_episode_job_count", lambda self: true_count(self) + 1)
    with pytest.raises(UserWarning, match="not all possible_agents are terminated"):
        parallel_api_test(parallel_env(SMALL), num_cycles=2500)


@pytest.mark.parametrize("scale", [SMALL, CLUSTERED])
def test_parallel_seed_test(scale):
    parallel_seed_test(lambda: parallel_env(scale))


# --- one full episode against the BatchedEnv -----------------------------------------------------------------
@pytest.fixture(scope="module")
def small_episode():
    """One N = 5 episode under random actions, and the BatchedEnv replayed with the same seed and actions."""
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    env, seed, rng = parallel_env(SMALL), 11, np.random.default_rng(3)
    obs, infos = env.reset(seed=seed)
    steps = [{"agents": list(env.agents), "obs": obs, "possible": env.possible_agents}]
    while env.agents:
        actions = random_actions(env, rng)
        obs, rewards, terminations, truncations, infos = env.step(actions)
        steps[-1].update(
            actions=actions, rewards=rewards, infos=infos, terminations=terminations, truncations=truncations
        )
        steps.append({"agents": list(env.agents), "obs": obs})
    reference = BatchedEnv([env.scenario], workload_seed=seed)
    decision, by_t, results = reference.reset(), {}, {}
    actions_at = {s["infos"][s["agents"][0]]["t"]: [s["actions"][a] for a in s["agents"]] for s in steps[:-1]}
    while reference.state.t < EPISODE_STEPS:
        t = decision.t
        by_t[t] = (decision, observations(reference.state, env.scale) if decision.n_agents else None)
        results[t] = reference.step(np.array(actions_at.get(t, []), dtype=np.int64))
        decision = results[t].decision
    numba.set_num_threads(previous)
    return env, steps, by_t, results


def test_agents_are_the_deciding_jobs_with_fresh_ids(small_episode):
    _, steps, by_t, _ = small_episode
    seen = [agent for step in steps for agent in step["agents"]]
    assert len(seen) == len(set(seen)), "an agent id was reused within the episode"
    assert seen == steps[0]["possible"], "possible_agents must list exactly the episode's jobs, in order"
    decision_steps = [t for t, (d, _) in sorted(by_t.items()) if d.n_agents]
    assert len(decision_steps) == len(steps) - 1  # steps without arrivals were skipped, none was presented
    for step, t in zip(steps, decision_steps, strict=False):
        decision, reference_obs = by_t[t]
        assert step["agents"] == [f"job_{j}" for j in decision.job_id]
        np.testing.assert_array_equal(np.stack([step["obs"][a] for a in step["agents"]]), reference_obs)
    for step, after in itertools.pairwise(steps):
        # step() returns the agents that acted (terminated, their decision observation) and the newcomers.
        assert set(after["obs"]) == set(step["agents"]) | set(after["agents"])
        for agent in step["agents"]:
            np.testing.assert_array_equal(after["obs"][agent], step["obs"][agent])
        for agent in after["agents"]:
            assert step["rewards"][agent] == 0.0 and not step["terminations"][agent] and not step["truncations"][agent]


def test_rewards_are_the_batched_envs_shared_rewards(small_episode):
    """Each acting agent gets r_t plus the rewards of the skipped steps after t; the sum is the episode return."""
    _, steps, by_t, results = small_episode
    decision_steps = [t for t, (d, _) in sorted(by_t.items()) if d.n_agents] + [EPISODE_STEPS]
    team_return = skipped_total = 0.0
    for step, t, t_next in zip(steps, decision_steps, decision_steps[1:], strict=False):
        skipped = [float(results[s].reward[0]) for s in range(t + 1, t_next)]
        expected = float(results[t].reward[0]) + sum(skipped)
        for agent in step["agents"]:
            assert step["rewards"][agent] == pytest.approx(expected, rel=1e-12, abs=1e-12)
            assert step["terminations"][agent] and not step["truncations"][agent]
            info = step["infos"][agent]
            assert info["skipped_steps"] == len(skipped) and info["step_reward"] == float(results[t].reward[0])
        team_return += step["rewards"][step["agents"][0]]
        skipped_total += sum(skipped)
    episode_return = sum(float(results[t].reward[0]) for t in range(EPISODE_STEPS))
    assert team_return == pytest.approx(episode_return, rel=1e-9)
    # Not vacuous: the skipped steps (the drain phase above all) carry reward that r_t alone would miss.
    assert abs(skipped_total) > 1e-3 * abs(episode_return)
    assert all(float(results[t].reward[0]) == 0.0 for t in range(decision_steps[0]))  # empty cluster


def test_infos_carry_the_analytical_model(small_episode):
    _, steps, by_t, results = small_episode
    for step in steps[:-1]:
        t = step["infos"][step["agents"][0]]["t"]
        decision, result = by_t[t][0], results[t]
        for i, agent in enumerate(step["agents"]):
            info = step["infos"][agent]
            assert info["server"] == result.server[i] and info["coefficient"] == result.coefficient[i]
            assert info["outcome"] == ("started", "queued", "buffered")[result.outcome[i]]
            assert info["action"] == step["actions"][agent]
            np.testing.assert_array_equal(info["influence"], decision.influence[i])
            parts = (info["queue_penalty"], info["energy_penalty"])
            assert info["step_reward"] == pytest.approx(-(parts[0] + 20.0 * parts[1]), rel=1e-12)


def test_step_after_the_episode_raises(small_episode):
    env = small_episode[0]
    with pytest.raises(RuntimeError, match="episode is over"):
        env.step({})


# --- spaces --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("scale", "n_actions"), [(SMALL, 5), (CLUSTERED, 25), ("xlarge", 40)])
def test_spaces_are_shared_and_hold_every_observation(scale, n_actions):
    env = parallel_env(scale)
    obs, _ = env.reset(seed=1)
    rng = np.random.default_rng(0)
    first = env.agents[0]
    for _ in range(20):
        for agent in env.agents:
            assert env.observation_space(agent) is env.observation_space(first)
            assert env.action_space(agent) is env.action_space(first)
            assert env.observation_space(agent).contains(obs[agent])
        obs = env.step(random_actions(env, rng))[0]
    assert env.action_space(first).n == n_actions
    assert env.observation_space(first).shape == (observation_size(env.scale),)
    with pytest.raises(ValueError, match="agent=3"):
        env.observation_space(3)


# --- seeding -------------------------------------------------------------------------------------------------
def test_same_seed_same_run_and_another_seed_differs():
    envs = [parallel_env(CLUSTERED) for _ in range(2)]
    outputs = [[env.reset(seed=7)] for env in envs]
    for env, out in zip(envs, outputs, strict=True):
        rng = np.random.default_rng(4)
        for _ in range(40):
            out.append(env.step(random_actions(env, rng)))
    assert data_equivalence(outputs[0], outputs[1])
    other = parallel_env(CLUSTERED).reset(seed=8)  # negative control
    assert not data_equivalence(outputs[0][0], other)


def test_unseeded_resets_replay_the_scenario_or_continue_the_seeded_sequence():
    env = parallel_env(SMALL)
    trace = env.reset()[0]
    assert data_equivalence(env.reset()[0], trace), "a never-seeded env replays the scenario's own trace"
    reference = BatchedEnv([env.scenario])
    reference.reset()
    np.testing.assert_array_equal(np.stack(list(trace.values())), observations(reference.state, env.scale))
    seeded = env.reset(seed=3)[0]
    continued = [env.reset()[0] for _ in range(2)]
    env.reset(seed=3)
    assert data_equivalence([env.reset()[0] for _ in range(2)], continued)
    for a, b in [(seeded, continued[0]), (continued[0], continued[1]), (continued[0], trace)]:
        assert not data_equivalence(a, b)


# --- errors --------------------------------------------------------------------------------------------------
def _state_copy(env: CloudSchedulingEnv) -> dict:
    state = env.simulator.state
    copied = {f.name: copy.deepcopy(getattr(state, f.name)) for f in fields(state) if f.name != "rngs"}
    copied["rngs"] = [rng.bit_generator.state for rng in state.rngs]
    return {"state": copied, "agents": list(env.agents), "t": env.simulator.decision.t}


def _bad_actions(env: CloudSchedulingEnv, kind: str):
    good = dict.fromkeys(env.agents, 0)
    first = env.agents[0]
    return {
        "out of range": {**good, first: env.n_actions},
        "negative": {**good, first: -1},
        "float": {**good, first: 1.0},
        "bool": {**good, first: True},
        "unknown agent": {**good, "job_999999": 0},
        "missing agent": {a: 0 for a in env.agents[1:]},
        "not a dict": list(good.values()),
    }[kind]


@pytest.mark.parametrize(
    "kind", ["out of range", "negative", "float", "bool", "unknown agent", "missing agent", "not a dict"]
)
def test_a_bad_action_raises_and_leaves_the_state_unchanged(kind):
    env, twin = parallel_env(SMALL), parallel_env(SMALL)
    env.reset(seed=2)
    twin.reset(seed=2)
    assert len(env.agents) >= 2
    before = _state_copy(env)
    with pytest.raises(ValueError, match="actions"):
        env.step(_bad_actions(env, kind))
    assert data_equivalence(_state_copy(env), before)
    # The env goes on exactly as a twin that never saw the bad action.
    actions = dict.fromkeys(env.agents, 1)
    assert data_equivalence(env.step(actions), twin.step(actions))
    assert not data_equivalence(_state_copy(env), before)  # negative control: the comparison sees a real step


def test_an_agent_of_a_past_step_is_unknown():
    env = parallel_env(SMALL)
    env.reset(seed=2)
    past = dict.fromkeys(env.agents, 0)
    env.step(past)
    with pytest.raises(ValueError, match="unknown agent ids"):
        env.step({**dict.fromkeys(env.agents, 0), **past})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scale": "huge"}, "scale='huge'"),
        ({"scale": 50, "n_clusters": 7}, "n_clusters=7"),
        ({"split": "dev"}, "split='dev'"),
        ({"scenario": 40}, r"scenario=40; allowed: an int in \[0, 40\) for split='test'"),
        ({"split": "train", "scenario": -1}, r"scenario=-1; allowed: an int in \[0, 200\) for split='train'"),
        ({"scenario_seed": -2}, "scenario_seed=-2"),
        ({"render_mode": "human"}, "render_mode='human'"),
        (
            {"queue_model": "fifo"},
            "queue_model='fifo'; allowed: binding, binding-backfill, bounded-redispatch, bounded-redispatch-backfill",
        ),
    ],
)
def test_invalid_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        parallel_env(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seed": -1}, "seed=-1"),
        ({"seed": 1.5}, "seed=1.5"),
        ({"seed": True}, "seed=True"),
        ({"options": 3}, "options=3"),
    ],
)
def test_invalid_reset_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        parallel_env(SMALL).reset(**kwargs)


def test_step_before_reset_raises():
    with pytest.raises(RuntimeError, match="reset"):
        parallel_env(SMALL).step({})


# --- render, close, threads ----------------------------------------------------------------------------------
def test_render_close_and_numba_threads_untouched():
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    env = parallel_env(SMALL, render_mode="ansi")
    env.reset(seed=0)
    env.step(dict.fromkeys(env.agents, 0))
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS  # the adapter leaves numba's threads alone
    text = env.render()
    assert text.startswith(f"t={env.simulator.state.t}") and len(text.splitlines()) == 1 + 5
    clustered = parallel_env(CLUSTERED, render_mode="ansi")
    clustered.reset(seed=0)
    assert len(clustered.render().splitlines()) == 2
    with pytest.warns(UserWarning, match="render_mode"):
        assert parallel_env(SMALL).render() is None
    env.close()
    assert env.agents == [] and env.simulator is None
