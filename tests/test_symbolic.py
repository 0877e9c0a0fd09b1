"""Unit tests of dgpg_theory.symbolic: every proof step verifies, reports readably, serializes, and the
identity checkers can fail."""

import json

import pytest
import sympy as sp

from dgpg_theory.symbolic import (
    cauchy_schwarz,
    kkt_reference,
    nash_invariance,
    sample_complexity,
    variance_quadratic,
)
from dgpg_theory.symbolic.identity import is_zero
from dgpg_theory.symbolic.result import ProofStepResult

# Built inside the test, not at collection time: collecting must not run the computer algebra.
ALL_STEPS = {
    "eq16": lambda: [kkt_reference.verify_eq16(range(2, 5))],
    "prop_c1": lambda: [cauchy_schwarz.verify_prop_c1(range(2, 5))],
    "thm42": variance_quadratic.verify_theorem_42,
    "thm41_full_rank": lambda: [nash_invariance.verify_full_rank_model()],
    "thm41_rank_deficient": lambda: [nash_invariance.verify_rank_deficient_counterexample()],
    "thm43": sample_complexity.verify_theorem_43,
}


@pytest.mark.parametrize("name", ALL_STEPS)
def test_step_verifies_reports_and_serializes(name):
    for step in ALL_STEPS[name]():
        assert isinstance(step, ProofStepResult)
        assert step.verified, step.report()
        report = step.report()
        assert report.startswith("[VERIFIED]") and step.claim in report and step.source in report
        assert json.loads(step.to_json())["claim"] == step.claim
        assert step.conditions, "every claim states its conditions"


def test_the_identity_checker_rejects_non_identities():
    x, y = sp.symbols("x y", positive=True)
    assert is_zero((x + y) ** 2 - x**2 - 2 * x * y - y**2)
    assert is_zero(1 / x - 1 / (x + y) - y / (x * (x + y)))
    assert not is_zero((x + y) ** 2 - x**2 - y**2)
    assert not is_zero(1 / x - 1 / (x + y))


def test_the_identity_checker_assumes_nothing_sympy_cannot_justify():
    # sqrt(a)·sqrt(b) = sqrt(ab) holds for positive symbols, not for real ones (a = b = −1 gives −1 vs 1).
    a, b = sp.symbols("a b", real=True)
    p, q = sp.symbols("p q", positive=True)
    assert not is_zero(sp.sqrt(a) * sp.sqrt(b) - sp.sqrt(a * b))
    assert is_zero(sp.sqrt(p) * sp.sqrt(q) - sp.sqrt(p * q))


@pytest.mark.parametrize(
    "module", [kkt_reference, cauchy_schwarz, variance_quadratic, nash_invariance, sample_complexity]
)
def test_every_module_uses_the_one_identity_checker(module):
    assert module.is_zero is is_zero
    assert not hasattr(module, "_is_zero")


def test_unverified_result_reports_so():
    result = ProofStepResult(claim="c", conditions=("a",), verified=False, source="s")
    assert result.report().startswith("[NOT VERIFIED]")


def test_the_quadratic_is_the_paper_formula_including_the_sign_of_rho():
    v = variance_quadratic.variance_quadratic()
    a, r, sj, sg = (
        variance_quadratic.alpha,
        variance_quadratic.rho,
        variance_quadratic.sigma_j,
        variance_quadratic.sigma_g,
    )
    values = {a: sp.Rational(1, 2), sj: 2, sg: 2}
    # (1/4)·4 + (1/4)·4 − 2·(1/4)·ρ·4 = 2 − 2ρ: a positive correlation lowers the variance of the mixture.
    assert v.subs({**values, r: sp.Rational(1, 2)}) == 1
    assert v.subs({**values, r: -sp.Rational(1, 2)}) == 3
