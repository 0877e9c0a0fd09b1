"""Argument checks in the project's one error format: ``name=value; allowed: ...`` (an ``ArgumentError``).

A bool is not an int here (``True`` is an ``int`` to Python, never a count to a user); numpy integers are. The
checks raise before anything changes, so a caller's state is untouched by a rejected argument. They live in
``sim``, the lowest layer, so that ``sim`` and ``dgpg_theory`` share them.
"""

from __future__ import annotations

import numpy as np


def is_int(value: object) -> bool:
    """True for a Python or numpy integer that is not a bool."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def int_range(low: int | None, high: int | None) -> str:
    """The allowed range in words: "an int ≥ 1", "an int < 10", "an int in [0, 40)" (high exclusive)."""
    if low is not None and high is not None:
        return f"an int in [{low}, {high})"
    if low is not None:
        return f"an int ≥ {low}"
    if high is not None:
        return f"an int < {high}"
    return "an int"


class ArgumentError(ValueError):
    """A rejected argument: the message is ``name=value; allowed: ...``, and ``name`` says which argument (a
    command line turns it into its flag)."""

    def __init__(self, name: str, value: object, allowed: str):
        super().__init__(f"{name}={value!r}; allowed: {allowed}")
        self.name = name


def require(condition: bool, name: str, value: object, allowed: str) -> None:
    """ArgumentError ``name=value; allowed: ...`` unless ``condition``."""
    if not condition:
        raise ArgumentError(name, value, allowed)


def require_int(name: str, value: object, low: int | None = None, high: int | None = None, context: str = "") -> None:
    """ArgumentError ``name=value; allowed: an int in [low, high)`` unless ``value`` is an int with
    low ≤ value < high (either bound may be None: open). ``context`` is appended to the message (e.g.
    "for split='test'")."""
    fits = is_int(value) and (low is None or value >= low) and (high is None or value < high)
    require(fits, name, value, int_range(low, high) + (f" {context}" if context else ""))


def explicit_flags(argv: list[str]) -> set[str]:
    """The destinations of the ``--long`` flags given on a command line (``--n-servers=3`` → ``n_servers``): what a
    ``--quick`` preset must not override."""
    return {a.lstrip("-").split("=")[0].replace("-", "_") for a in argv if a.startswith("--")}
