"""Theorem 4.3's empirical signature at CI scale (Figure 5, Table 9, §6.3), with the paper's DG-PG settings.

The paper: DG-PG "converges to within 10 % of its best observed reward in ≤ 10 episodes at every scale" and
"converges rapidly to the Best-Fit reference" (Figure 3), with an episode count that does not grow with N
(Theorem 4.3); NN MAPPO with the same settings fails (Appendix J, Run 0).

Here: the first 10 episodes of a 200-episode run with the `nn` preset (Table 7, the §6.2 α schedule, so α is still
≈ 0.9 as in the paper's first 10 episodes) at N = 5 and N = 10, seed 0. The best checkpoint (the paper's selection:
best training reward) is evaluated on the 40 test scenarios, paired with Best-Fit on the same job traces. The
check: the mean per-scenario margin over Best-Fit − 10 % is not significantly negative (one-sided paired t bound,
false alarm 1e-4). Negative control: the untrained policy must fail the same check. N-independence at this
resolution: the same 10-episode budget must pass at both N (under the default binding queue model it does not at
N = 10: strict xfail). NN MAPPO with the same settings (App. J, Run 0) is
checked to stay significantly below the band at N = 5. The full range (200 episodes, N = 5 … 200) is
`python -m dgpg_theory.reproduce fig5` / `table9`.
"""

from functools import cache

import numpy as np
import pytest

from dgpg_theory.findings.reasons import quote
from dgpg_theory.ppo import Trainer, preset_config
from dgpg_theory.ppo.evaluation import convergence_episode, evaluate_actor, shortfall_test
from sim.heuristics import run_episodes
from sim.scenario import load_scenarios

EPISODES = 10  # the paper's bound on the convergence episode (Table 9)


@cache
def trained(method: str, n_servers: int) -> dict:
    trainer = Trainer(preset_config(method, n_servers, "nn", episodes=200, seed=0))
    test = load_scenarios(trainer.scale, "test", 0)
    untrained = evaluate_actor(trainer.actor, trainer.encoder, trainer.scale, test, seed=0)
    for _ in range(EPISODES):
        trainer.train_episode()
    result = trainer.result(evaluate=True, references=False)
    rewards = [row["reward"] for row in trainer.history]
    return {
        "test": np.array(result.test_rewards),
        "untrained": untrained,
        "best_fit": run_episodes(test, "best-fit"),
        "convergence_episode": convergence_episode(rewards),
        "best_episode": result.best_episode,
    }


def _record_margin(record, key: str, verdict) -> None:
    record(key, verdict.mean, "+.1f", verdict.lower, verdict.upper)


IN_BAND_N10 = pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "§6.4 / Table 9: DG-PG 'converges within 10 episodes at every scale', with an episode count that does not "
        "grow with N (Theorem 4.3). Under binding placements (the default) the same 10-episode budget that "
        "suffices at N=5 ({training.dgpg.n5.score} vs Best-Fit {training.best_fit.n5.score}: margin over the 10 % "
        "band {training.dgpg.n5.band_margin}, one-sided 1e-4 bounds) does not at N=10: the best checkpoint "
        "(episode {training.dgpg.n10.best_episode} of 10) scores {training.dgpg.n10.score} vs Best-Fit "
        "{training.best_fit.n10.score}, margin {training.dgpg.n10.band_margin}, significantly below the band."
    ),
)


@pytest.mark.parametrize("n_servers", [5, pytest.param(10, marks=IN_BAND_N10)])
def test_dgpg_reaches_best_fit_band_within_10_episodes(n_servers, record):
    run = trained("dgpg", n_servers)
    verdict = shortfall_test(run["test"], run["best_fit"])
    record(f"training.dgpg.n{n_servers}.score", run["test"].mean(), ".1f")
    record(f"training.best_fit.n{n_servers}.score", run["best_fit"].mean(), ".1f")
    record(f"training.dgpg.n{n_servers}.best_episode", run["best_episode"], "d")
    _record_margin(record, f"training.dgpg.n{n_servers}.band_margin", verdict)
    print(
        f"N={n_servers}: DG-PG best checkpoint (episode {run['best_episode']}) {run['test'].mean():.2f}, Best-Fit "
        f"{run['best_fit'].mean():.2f}; {verdict.report()}; convergence episode {run['convergence_episode']}"
    )
    assert not verdict.below


@pytest.mark.parametrize("n_servers", [5, 10])
def test_negative_control_untrained_policy_fails(n_servers, record):
    run = trained("dgpg", n_servers)
    verdict = shortfall_test(run["untrained"], run["best_fit"])
    record(f"training.untrained.n{n_servers}.score", run["untrained"].mean(), ".1f")
    print(f"N={n_servers}: untrained {run['untrained'].mean():.2f}; {verdict.report()}")
    assert verdict.below


def test_nn_mappo_with_the_same_settings_stays_below_the_band(record):
    """App. J, Run 0: NN MAPPO with DG-PG's defaults fails. Same settings, same seed, α = 0 (one PPO)."""
    run = trained("mappo", 5)
    verdict = shortfall_test(run["test"], run["best_fit"])
    record("training.mappo.n5.score", run["test"].mean(), ".1f")
    record("training.mappo.n5.best_episode", run["best_episode"], "d")
    _record_margin(record, "training.mappo.n5.band_margin", verdict)
    print(f"N=5: MAPPO best checkpoint (episode {run['best_episode']}) {run['test'].mean():.2f}; {verdict.report()}")
    assert verdict.below


AT_BEST_FIT = pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=quote(
        "§6.3 / Figure 3: 'DG-PG converges rapidly to the Best-Fit reference'. After 10 episodes with the paper's "
        "NN settings under binding placements (the default), DG-PG's best checkpoint is significantly below "
        "Best-Fit itself at both N: paired difference {training.dgpg.n5.vs_best_fit} (one-sided 1e-4 bounds) at "
        "N=5 and {training.dgpg.n10.vs_best_fit} at N=10 over the 40 test scenarios."
    ),
)


@pytest.mark.parametrize("n_servers", [pytest.param(5, marks=AT_BEST_FIT), pytest.param(10, marks=AT_BEST_FIT)])
def test_dgpg_matches_best_fit_within_10_episodes(n_servers, record):
    run = trained("dgpg", n_servers)
    verdict = shortfall_test(run["test"], run["best_fit"], tolerance=0.0)
    _record_margin(record, f"training.dgpg.n{n_servers}.vs_best_fit", verdict)
    print(f"N={n_servers}: DG-PG − Best-Fit {verdict.report()}")
    assert not verdict.below


def test_control_the_best_fit_check_can_pass(record):
    """The same check on guidance-greedy (the analytical model as a policy) against Best-Fit passes."""
    test = load_scenarios(5, "test", 0)
    guidance_greedy = run_episodes(test, "guidance-greedy")
    verdict = shortfall_test(guidance_greedy, run_episodes(test, "best-fit"), tolerance=0.0)
    record("training.guidance_greedy.n5.score", guidance_greedy.mean(), ".1f")
    print(f"N=5: guidance-greedy − Best-Fit {verdict.report()}")
    assert not verdict.below
