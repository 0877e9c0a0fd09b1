"""The estimator family of the paper's Table 2 (App. A) measured side by side on the exact game.

``counterfactual``: closed-form counterfactual returns Q(a_{−i}, a') and R_{−i}; ``family``: the members
(plain, leave-one-out, COMA, Kuba et al.'s optimal baseline, difference rewards, DG-PG in raw and trainer
units); ``excess_variance``: the optimal-baseline identity checked by enumeration; ``scaling``: per-agent
variances over N and their Table 2 verdicts. The simulator's counterpart is ``variance_scan --estimators``.
"""
