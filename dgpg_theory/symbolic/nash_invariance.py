"""Theorem 4.1 / Lemma E.1 (Appendix E): Nash invariance on a concrete linear model, and where it breaks.

Model: the state is linear in the parameters, x(θ) = Aθ + b (A ∈ R^{d×p}); the objective is
J(x) = −½(x − x̃)ᵀQ(x − x̃) with Q ≻ 0, so ⟨∇_x J, x̃ − x⟩ = (x − x̃)ᵀQ(x − x̃) > 0 for x ≠ x̃ (Assumption 3.2);
G(θ) = ½‖x(θ) − x̃‖² (Eq 6, one step, deterministic state) and J_α = (1−α)J − αG (Eq 7).

1. A of full row rank (Remark E.2): ∇_θ J = −AᵀQ(x − x̃) = 0 forces x = x̃, so ∇_θ G = Aᵀ(x − x̃) = 0 and
   ∇_θ J_α = 0 for every α: the theorem holds. Note what this needs: x̃ must be *reachable* (x(θ*) = x̃).
2. A of rank < d (here x = (θ, θ), x̃ = (1, 0), Q = diag(1, 3)): Assumption 3.2 still holds, but the
   stationary point θ* = 1/4 of J has x(θ*) ≠ x̃ and ∇_θ G(θ*) = −1/2, so ∇_θ J_α(θ*) = α/2 ≠ 0: the
   augmented objective moves the stationary point. The rank condition, not Assumption 3.2, carries Lemma E.1.
"""

from __future__ import annotations

import sympy as sp

from dgpg_theory.symbolic.identity import is_zero
from dgpg_theory.symbolic.result import ProofStepResult

alpha = sp.Symbol("alpha", real=True)


def _gradients(jacobian: sp.Matrix, offset: sp.Matrix, reference: sp.Matrix, weight: sp.Matrix, theta):
    x = jacobian * sp.Matrix(theta) + offset
    deviation = x - reference
    objective = -(deviation.T * weight * deviation)[0] / 2
    guidance = (deviation.T * deviation)[0] / 2
    grad_j = sp.Matrix([sp.diff(objective, t) for t in theta])
    grad_g = sp.Matrix([sp.diff(guidance, t) for t in theta])
    return grad_j, grad_g, (1 - alpha) * grad_j - alpha * grad_g, x


def _assumption_32_certificate(weight: sp.Matrix, dim: int) -> bool:
    """⟨∇_x J, x̃ − x⟩ = vᵀQv with v = x − x̃; Q ≻ 0 is certified by a Cholesky factor with positive pivots."""
    v = sp.Matrix(sp.symbols(f"v1:{dim + 1}", real=True))
    inner = ((-weight * v).T * (-v))[0]
    factor = weight.cholesky(hermitian=False)
    pivots_positive = all(factor[i, i] > 0 for i in range(dim))  # concrete rational numbers: exact
    return pivots_positive and is_zero(inner - ((factor.T * v).T * (factor.T * v))[0])


def verify_full_rank_model() -> ProofStepResult:
    """A 2×3 Jacobian of rank 2: every stationary point of J is stationary for J_α, for all α."""
    theta = sp.symbols("theta1:4", real=True)
    jacobian = sp.Matrix([[1, 2, 0], [0, 1, -1]])
    offset, reference = sp.Matrix([1, -2]), sp.Matrix([3, 1])
    weight = sp.Matrix([[2, 1], [1, 3]])
    grad_j, _, grad_alpha, x = _gradients(jacobian, offset, reference, weight, theta)
    stationary = sp.solve(list(grad_j), theta, dict=True)
    ok = jacobian.rank() == 2 and len(stationary) == 1 and _assumption_32_certificate(weight, 2)
    solution = stationary[0] if stationary else {}
    ok = ok and all(is_zero(g.subs(solution)) for g in grad_alpha)
    ok = ok and all(is_zero(c) for c in (x - reference).subs(solution))
    return ProofStepResult(
        claim="Full-row-rank linear model: ∇J(θ*) = 0 ⇒ ∇J_α(θ*) = 0 for every α, and x(θ*) = x̃",
        conditions=("x(θ) = Aθ + b with rank A = dim x (Remark E.2)", "J = −½(x−x̃)ᵀQ(x−x̃), Q ≻ 0 (Assumption 3.2)"),
        verified=ok,
        expressions={
            "A": sp.sstr(jacobian),
            "Q": sp.sstr(weight),
            "stationary set of J": sp.sstr(solution),
            "grad J_alpha there": sp.sstr(sp.simplify(grad_alpha.subs(solution))),
        },
        derivation=(
            "∇_θ J = −AᵀQ(x − x̃); with AᵀQ injective (A full row rank, Q ≻ 0) it vanishes only at x = x̃.",
            "There ∇_θ G = Aᵀ(x − x̃) = 0, so ∇J_α = (1−α)·0 − α·0 = 0 for every α (sympy.solve, then substitution; "
            "the stationary set is a line, θ3 free).",
            "Assumption 3.2 for this Q is certified by a Cholesky factor: vᵀQv = ‖Lᵀv‖².",
        ),
        source="Theorem 4.1, Lemma E.1, Remark E.2",
    )


def verify_rank_deficient_counterexample() -> ProofStepResult:
    """x = (θ, θ), x̃ = (1, 0), Q = diag(1, 3): θ* = 1/4, ∇G(θ*) = −1/2, ∇J_α(θ*) = α/2 ≠ 0."""
    theta = (sp.Symbol("theta", real=True),)
    jacobian = sp.Matrix([[1], [1]])
    offset, reference = sp.Matrix([0, 0]), sp.Matrix([1, 0])
    weight = sp.diag(1, 3)
    grad_j, grad_g, grad_alpha, x = _gradients(jacobian, offset, reference, weight, theta)
    stationary = sp.solve(list(grad_j), theta, dict=True)
    solution = stationary[0]
    guidance_at_star = sp.simplify(grad_g.subs(solution)[0])
    alpha_gradient = sp.simplify(grad_alpha.subs(solution)[0])
    ok = (
        jacobian.rank() == 1
        and _assumption_32_certificate(weight, 2)
        and solution[theta[0]] == sp.Rational(1, 4)
        and is_zero(guidance_at_star + sp.Rational(1, 2))
        and is_zero(alpha_gradient - alpha / 2)
    )
    return ProofStepResult(
        claim="Rank-deficient Jacobian: Assumptions 3.1–3.2 hold, yet ∇J(θ*) = 0 while ∇J_α(θ*) = α/2 ≠ 0",
        conditions=("x(θ) = (θ, θ), so rank ∇_θ x = 1 < 2 = dim x", "x̃ = (1, 0) is unreachable", "Q = diag(1, 3) ≻ 0"),
        verified=ok,
        expressions={
            "theta*": sp.sstr(solution[theta[0]]),
            "x(theta*)": sp.sstr(x.subs(solution).T),
            "grad G(theta*)": sp.sstr(guidance_at_star),
            "grad J_alpha(theta*)": sp.sstr(alpha_gradient),
        },
        derivation=(
            "∇_θ J = −[(θ − 1) + 3θ] = 0 at θ* = 1/4, where x = (1/4, 1/4) ≠ x̃.",
            "∇_θ G = (θ − 1) + θ = −1/2 there, so ∇J_α(θ*) = −α(−1/2) = α/2: θ* is not stationary for J_α.",
            "Step 3 of Lemma E.1 fails: ∇_x J ≠ 0 but it is orthogonal to the range of ∇_θ x, so ∇_θ J = 0.",
            "With Q = I instead, ∇J = −∇G and invariance would hold; it is the mismatch of Q and the guidance metric "
            "on an unreachable reference that breaks it.",
        ),
        source="Theorem 4.1, Lemma E.1 step 3, Remark E.2",
    )
