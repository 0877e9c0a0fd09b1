"""The result object every symbolic proof step returns: what is claimed, under which conditions, whether the
computer algebra confirmed it, the key expressions, and a short derivation a human can follow."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ProofStepResult:
    """One checked proof step. ``expressions`` maps names to printed SymPy expressions (``sympy.sstr``)."""

    claim: str
    conditions: tuple[str, ...]
    verified: bool
    expressions: dict[str, str] = field(default_factory=dict)
    derivation: tuple[str, ...] = ()
    source: str = ""  # where in the paper, e.g. "Theorem 4.2, Appendix F"

    def report(self) -> str:
        """A readable, multi-line account, for notebooks and test output."""
        lines = [f"[{'VERIFIED' if self.verified else 'NOT VERIFIED'}] {self.claim}  ({self.source})"]
        lines += [f"  if: {condition}" for condition in self.conditions]
        lines += [f"  {step}" for step in self.derivation]
        lines += [f"  {name} = {value}" for name, value in self.expressions.items()]
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    def __str__(self) -> str:
        return self.report()
