"""Strict-xfail reasons built from the committed records, so that a reason never quotes a number by hand.

``quote("... ρ = {thm42_sim.rho.n5} ...")`` renders the template from ``paper_checks/records.json`` when the
test module is imported (reasons are fixed at collection) and remembers which keys it quotes; the pytest plugin
then checks that the run measured every quoted key and got the same text (``plugin``). A key the committed
records do not have yet renders as ``⟨key: not measured⟩`` and fails the run until ``--update-records`` writes it.
"""

from __future__ import annotations

from functools import cache

from dgpg_theory.findings import records

QUOTED: dict[str, set[str]] = {}  # rendered reason → the record keys it quotes


@cache
def _committed() -> dict[str, records.Record]:
    return records.load().records


def quote(template: str) -> str:
    """``template`` rendered from the committed records (see the module docstring)."""
    committed = _committed()
    keys = records.keys_of(template)
    shown = dict(committed)
    for key in keys - committed.keys():
        shown[key] = _Missing(key)
    rendered = records.render(template, shown)
    QUOTED[rendered] = keys
    return rendered


class _Missing:
    """Stands in for a record the committed file lacks: visible in the reason, and caught by the plugin."""

    def __init__(self, key: str) -> None:
        self.text = f"⟨{key}: not measured⟩"

    def part(self, name: str) -> str:
        return self.text
