"""Symbolic verification of the proof steps of DG-PG, one module per step.

- ``kkt_reference``: Eq 16 / Appendix C.1, the KKT solution of min Σ x²/μ s.t. Σ x = C.
- ``cauchy_schwarz``: Prop C.1, the sum-of-squares certificate and I_k ≤ 0.
- ``variance_quadratic``: Theorem 4.2 / Appendix F, the variance quadratic in α and the sign of ρ.
- ``nash_invariance``: Theorem 4.1 / Appendix E, a linear model where it holds and one where it breaks.
- ``sample_complexity``: Theorem 4.3 / Appendix G, the unrolled recurrence and the order of T.

Inequalities are never left to ``simplify()`` or ``is_positive``: each is reduced to an identity between an
expression and an explicit certificate (a sum of squares, a product of factors of known sign), and only the
identity is checked by expansion, by the single checker ``identity.is_zero`` (no module has its own).
"""

from dgpg_theory.symbolic.result import ProofStepResult

__all__ = ["ProofStepResult"]
