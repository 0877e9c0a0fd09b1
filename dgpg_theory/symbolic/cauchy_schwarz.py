"""Prop C.1 (Appendix C.3): the Cauchy–Schwarz step and the sign of I_k.

The inequality (Σx)² ≤ (Σμ)(Σx²/μ) is proved by a sum-of-squares certificate, an *identity*:

    (Σ_i μ_i)(Σ_i x_i²/μ_i) − (Σ_i x_i)²  =  Σ_{i<j} (x_i μ_j − x_j μ_i)² / (μ_i μ_j).

For μ > 0 every term on the right is ≥ 0, and all vanish iff x_i/μ_i = x_j/μ_j for all pairs, i.e. x ∝ μ.
With I_k = Σ_i (2x_i/μ_i)(x̃_i − x_i) and x̃ from Eq 16 on the feasible set Σx = C, the second identity

    I_k = −2 · certificate / Σ_j μ_j

gives I_k ≤ 0, with equality iff x ∝ μ, which on Σx = C means x = x̃ (strict unless balanced).
Off the feasible set the sign can flip: x = t·x̃ with 0 < t < 1 gives I_k = 2t(1−t)C²/Σμ > 0.
"""

from __future__ import annotations

import itertools

import sympy as sp

from dgpg_theory.symbolic.identity import is_zero, server_symbols
from dgpg_theory.symbolic.result import ProofStepResult


def sos_certificate(x, mu) -> sp.Expr:
    """Σ_{i<j} (x_i μ_j − x_j μ_i)² / (μ_i μ_j)."""
    n = len(x)
    return sum((x[i] * mu[j] - x[j] * mu[i]) ** 2 / (mu[i] * mu[j]) for i, j in itertools.combinations(range(n), 2))


def certificate_holds(n: int) -> bool:
    """(Σμ)(Σx²/μ) − (Σx)² − certificate ≡ 0, by expansion, for n servers."""
    x, mu = server_symbols(n)
    gap = sum(mu) * sum(xi**2 / mi for xi, mi in zip(x, mu, strict=True)) - sum(x) ** 2
    return is_zero(gap - sos_certificate(x, mu))


def pairwise_argument_holds() -> bool:
    """The general-n argument: expanding (Σμ)(Σx²/μ) − (Σx)² over ordered pairs, the i = j terms cancel
    (μ_i x_i²/μ_i − x_i² = 0) and each unordered pair i < j contributes μ_j x_i²/μ_i + μ_i x_j²/μ_j − 2x_i x_j,
    which is the single two-variable identity checked here."""
    xi, xj = sp.symbols("x_i x_j", real=True)
    mi, mj = sp.symbols("mu_i mu_j", positive=True)
    pair_term = mj * xi**2 / mi + mi * xj**2 / mj - 2 * xi * xj
    diagonal_term = mi * xi**2 / mi - xi**2
    return is_zero(pair_term - (xi * mj - xj * mi) ** 2 / (mi * mj)) and is_zero(diagonal_term)


def ik_identity_holds(n: int) -> bool:
    """On Σx = C with x̃_i = μ_i C/Σμ (Eq 16): I_k + 2·certificate/Σμ ≡ 0."""
    x, mu = server_symbols(n)
    total = sum(x)  # feasibility: C is the total load
    reference = [mi * total / sum(mu) for mi in mu]
    ik = sum(2 * xi / mi * (r - xi) for xi, mi, r in zip(x, mu, reference, strict=True))
    return is_zero(ik + 2 * sos_certificate(x, mu) / sum(mu))


def infeasible_counterexample_holds() -> bool:
    """Off the constraint set, x = t·x̃ gives I_k = 2t(1−t)C²/Σμ, positive for 0 < t < 1."""
    n = 3
    _, mu = server_symbols(n)
    t, total = sp.symbols("t C", positive=True)
    reference = [mi * total / sum(mu) for mi in mu]
    x = [t * r for r in reference]
    ik = sum(2 * xi / mi * (r - xi) for xi, mi, r in zip(x, mu, reference, strict=True))
    return is_zero(ik - 2 * t * (1 - t) * total**2 / sum(mu))


def verify_prop_c1(n_values: range = range(2, 9)) -> ProofStepResult:
    """Prop C.1: ⟨∇J_load, X̃ − X⟩ = Σ_k I_k < 0 for feasible X ≠ X̃, via the certificate for each n."""
    certificate = {n: certificate_holds(n) for n in n_values}
    ik = {n: ik_identity_holds(n) for n in n_values}
    general = pairwise_argument_holds()
    counterexample = infeasible_counterexample_holds()
    x, mu = server_symbols(3)
    return ProofStepResult(
        claim="(Σμ)(Σx²/μ) − (Σx)² = Σ_{i<j}(x_iμ_j − x_jμ_i)²/(μ_iμ_j) ≥ 0, equality iff x ∝ μ; hence on "
        "Σx = C, I_k = −2·(that sum)/Σμ ≤ 0, strict unless x = x̃, and Σ_k I_k < 0 for feasible X ≠ X̃",
        conditions=(
            "μ_i > 0 for every server i",
            "feasibility Σ_i x_i = C_k in every dimension k (off it, I_k can be > 0)",
        ),
        verified=all(certificate.values()) and all(ik.values()) and general and counterexample,
        expressions={
            "certificate (n=3)": sp.sstr(sos_certificate(x, mu)),
            "I_k": "−2/Σμ · Σ_{i<j}(x_iμ_j − x_jμ_i)²/(μ_iμ_j)",
            "infeasible x = t·x̃": "I_k = 2t(1−t)C²/Σμ",
        },
        derivation=(
            f"Certificate identity verified by expansion for n in {list(n_values)}: {certificate}.",
            f"General n: the i = j terms cancel and each pair i < j is the two-variable identity "
            f"μ_j x_i²/μ_i + μ_i x_j²/μ_j − 2x_ix_j = (x_iμ_j − x_jμ_i)²/(μ_iμ_j): {general}.",
            "Each term is a square over a product of positives, so the sum is ≥ 0; it is 0 iff every "
            "x_i/μ_i is equal, i.e. x ∝ μ; with Σx = C that is exactly x = x̃ of Eq 16.",
            f"I_k identity on the feasible set verified for n in {list(n_values)}: {ik}.",
            "X ≠ X̃ feasible ⇒ some dimension k has x^k ≠ x̃^k ⇒ I_k < 0 there and I_k ≤ 0 elsewhere ⇒ Σ_k I_k < 0.",
            f"Feasibility is needed: x = t·x̃ gives I_k = 2t(1−t)C²/Σμ > 0 for 0 < t < 1: {counterexample}.",
        ),
        source="Prop C.1, Appendix C.3",
    )
