"""The one identity checker of the symbolic layer, and the symbols every server-indexed step shares.

Every claim is reduced to "expression ≡ 0" (an inequality to an identity with an explicit certificate, see the
package docstring) and checked here, never with ``simplify()`` or ``is_positive``: bring the expression onto
one denominator, expand the numerator, combine powers, and compare the result with 0. The test is exact and
one-sided: ``True`` proves the identity; ``False`` means the expansion did not reach 0.
"""

from __future__ import annotations

import sympy as sp


def is_zero(expr: sp.Expr) -> bool:
    """expr ≡ 0, by expansion of the numerator over a common denominator (exact, no heuristics).

    Powers are combined with ``powsimp`` without ``force``, so (xy)^a is merged with x^a·y^a only where that is
    valid for the symbols' assumptions (e.g. positive symbols); nothing is assumed that sympy cannot justify."""
    numerator, _ = sp.fraction(sp.together(sp.expand(expr)))
    return sp.expand(sp.powsimp(sp.expand(numerator))) == 0


def server_symbols(n: int) -> tuple[tuple[sp.Symbol, ...], tuple[sp.Symbol, ...]]:
    """Loads x_1…x_n (real) and capacities μ_1…μ_n (positive) of n servers in one resource dimension."""
    return sp.symbols(f"x1:{n + 1}", real=True), sp.symbols(f"mu1:{n + 1}", positive=True)
