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
from dgpg_theory.symbolic.result import ProofStepResult

ALL_STEPS = [
    kkt_reference.verify_eq16(range(2, 5)),
    cauchy_schwarz.verify_prop_c1(range(2, 5)),
    *variance_quadratic.verify_theorem_42(),
    nash_invariance.verify_full_rank_model(),
    nash_invariance.verify_rank_deficient_counterexample(),
    *sample_complexity.verify_theorem_43(),
]


@pytest.mark.parametrize("step", ALL_STEPS, ids=lambda r: r.source + ": " + r.claim[:30])
def test_step_verifies_reports_and_serializes(step):
    assert isinstance(step, ProofStepResult)
    assert step.verified
    report = step.report()
    assert report.startswith("[VERIFIED]") and step.claim in report and step.source in report
    assert json.loads(step.to_json())["claim"] == step.claim
    assert step.conditions, "every claim states its conditions"


@pytest.mark.parametrize("module", [kkt_reference, cauchy_schwarz, variance_quadratic, sample_complexity])
def test_identity_checkers_reject_non_identities(module):
    x, y = sp.symbols("x y", positive=True)
    assert module._is_zero((x + y) ** 2 - x**2 - 2 * x * y - y**2)
    assert not module._is_zero((x + y) ** 2 - x**2 - y**2)
    assert not module._is_zero(1 / x - 1 / (x + y))


def test_unverified_result_reports_so():
    result = ProofStepResult(claim="c", conditions=("a",), verified=False, source="s")
    assert result.report().startswith("[NOT VERIFIED]")


def test_the_quadratic_is_the_paper_formula():
    v = variance_quadratic.variance_quadratic()
    a, r, sj, sg = (
        variance_quadratic.alpha,
        variance_quadratic.rho,
        variance_quadratic.sigma_j,
        variance_quadratic.sigma_g,
    )
    assert v.subs({a: sp.Rational(1, 2), r: 0, sj: 2, sg: 2}) == 2
