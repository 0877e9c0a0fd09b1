"""The measurement layer: Theorem 4.2's quantities on the simulator, by fork-and-rollout.

- ``policies``: fixed softmax policies with closed-form score functions; ``checkpoints``: trained actors of
  ``dgpg_theory.ppo`` as such policies;
- ``samples``: one cell (N, replicate): warm-up, snapshot, S forked rollouts, the nested own/cross batches;
- ``counterfactuals``: the counterfactual groups (Q(a_−i, a') for every a', R_−i, common random numbers) and
  the estimator family of Table 2 (plain, loo, COMA, optimal baseline, difference rewards, DG);
- ``moments``: per-agent moments per cell, per-N statistics with bootstrap intervals, slopes and verdicts;
- ``sweep``: the cells on an executor (in-process, a process pool or Dask); ``scan``: a whole scan from a
  ``ScanConfig`` to its results dict and files; ``plots``: its figures.
"""
