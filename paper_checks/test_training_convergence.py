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


IN_BAND_N10 = pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="§6.4 / Table 9: DG-PG 'converges within 10 episodes at every scale', with an episode count that does "
    "not grow with N (Theorem 4.3). Under binding placements (the default) the same 10-episode budget that "
    "suffices at N=5 (−48.9 vs Best-Fit −44.8: margin over the 10 % band +0.4, one-sided 1e-4 bounds [−3.4, +4.2]) "
    "does not at N=10: the best checkpoint (episode 10, the last) scores −62.4 vs Best-Fit −50.1, margin −7.3 "
    "[−12.2, −2.4], significantly below the band. This flips with the queue model: under bounded-redispatch it "
    "was inside (−56.3 vs −50.0, margin −1.3 [−3.4, +0.8]).",
)


@pytest.mark.parametrize("n_servers", [5, pytest.param(10, marks=IN_BAND_N10)])
def test_dgpg_reaches_best_fit_band_within_10_episodes(n_servers):
    run = trained("dgpg", n_servers)
    verdict = shortfall_test(run["test"], run["best_fit"])
    print(
        f"N={n_servers}: DG-PG best checkpoint (episode {run['best_episode']}) {run['test'].mean():.2f}, Best-Fit "
        f"{run['best_fit'].mean():.2f}; {verdict.report()}; convergence episode {run['convergence_episode']}"
    )
    assert not verdict.below


@pytest.mark.parametrize("n_servers", [5, 10])
def test_negative_control_untrained_policy_fails(n_servers):
    run = trained("dgpg", n_servers)
    verdict = shortfall_test(run["untrained"], run["best_fit"])
    print(f"N={n_servers}: untrained {run['untrained'].mean():.2f}; {verdict.report()}")
    assert verdict.below


def test_nn_mappo_with_the_same_settings_stays_below_the_band():
    """App. J, Run 0: NN MAPPO with DG-PG's defaults fails. Same settings, same seed, α = 0 (one PPO)."""
    run = trained("mappo", 5)
    verdict = shortfall_test(run["test"], run["best_fit"])
    print(f"N=5: MAPPO best checkpoint (episode {run['best_episode']}) {run['test'].mean():.2f}; {verdict.report()}")
    assert verdict.below


AT_BEST_FIT = pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="§6.3 / Figure 3: 'DG-PG converges rapidly to the Best-Fit reference'. After 10 episodes with the "
    "paper's NN settings under binding placements (the default), DG-PG's best checkpoint is significantly below "
    "Best-Fit itself at both N: paired difference −4.1, one-sided 1e-4 bounds [−7.6, −0.6] at N=5 and −12.3 "
    "[−18.3, −6.4] at N=10 over the 40 test scenarios. Under bounded-redispatch N=5's deficit (−2.8 [−6.0, +0.4]) "
    "was not significant and N=10's (−6.3 [−8.0, −4.6]) was.",
)


@pytest.mark.parametrize("n_servers", [pytest.param(5, marks=AT_BEST_FIT), pytest.param(10, marks=AT_BEST_FIT)])
def test_dgpg_matches_best_fit_within_10_episodes(n_servers):
    run = trained("dgpg", n_servers)
    verdict = shortfall_test(run["test"], run["best_fit"], tolerance=0.0)
    print(f"N={n_servers}: DG-PG − Best-Fit {verdict.report()}")
    assert not verdict.below


def test_control_the_best_fit_check_can_pass():
    """The same check on guidance-greedy (the analytical model as a policy) against Best-Fit passes."""
    test = load_scenarios(5, "test", 0)
    verdict = shortfall_test(run_episodes(test, "guidance-greedy"), run_episodes(test, "best-fit"), tolerance=0.0)
    print(f"N=5: guidance-greedy − Best-Fit {verdict.report()}")
    assert not verdict.below
