"""Measured values as records: one key, one number (optionally with an interval), one display format.

A record is what a check measured, formatted once where it is measured (``Record.text``). Everything that shows
a measured number to a reader — the reasons of the strict xfails in ``paper_checks/``, the README's Findings
block, ``REPORT.md`` — substitutes records into a template (``render``), so a number exists in exactly one
place: the records written by the run that measured it. ``paper_checks/records.json`` is the committed copy;
``pytest paper_checks`` fails when what the current code measures differs from it (see ``plugin``).

Texts use the typographic minus (−), as the README does; two records are the same measurement when their texts
are equal, i.e. at the precision shown to the reader.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from dgpg_theory._io import write_json

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMMITTED_RECORDS = PROJECT_ROOT / "paper_checks" / "records.json"
RECORDS_VARIABLE = "DGPG_RECORDS"  # another committed file, for the plugin's own tests
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_.]*)\}")
PARTS = ("value", "low", "high")


def format_number(value: float | int, fmt: str) -> str:
    """``format(value, fmt)`` with the typographic minus."""
    return format(value, fmt).replace("-", "−")


@dataclass(frozen=True)
class Record:
    """One measured number. ``low``/``high`` bound it (an interval) when given; ``test`` names what measured it."""

    key: str
    value: float | int
    fmt: str
    low: float | None = None
    high: float | None = None
    test: str = ""

    def __post_init__(self) -> None:
        if not KEY_PATTERN.fullmatch(self.key) or self.key.rsplit(".", 1)[-1] in PARTS:
            raise ValueError(
                f"key={self.key!r}; allowed: lower-case words joined by dots, not ending in one of {PARTS}"
            )
        if (self.low is None) != (self.high is None):
            raise ValueError(f"low={self.low}, high={self.high}; allowed: both or neither")
        format_number(self.value, self.fmt)  # a bad format fails here, where it is written

    def part(self, name: str) -> str:
        """One part's text: ``value``, ``low`` or ``high``."""
        number = getattr(self, name)
        if number is None:
            raise KeyError(f"record {self.key} has no interval, so no {name!r}")
        return format_number(number, self.fmt)

    @property
    def text(self) -> str:
        """``value`` or ``value [low, high]``, each in ``fmt``."""
        if self.low is None:
            return self.part("value")
        return f"{self.part('value')} [{self.part('low')}, {self.part('high')}]"


def render(template: str, records: dict[str, Record]) -> str:
    """``template`` with every ``{key}`` replaced by that record's text and ``{key.value}``, ``{key.low}``,
    ``{key.high}`` by one part. KeyError (naming the key) for a key no record has."""

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        key, _, part = name.rpartition(".")
        if part in PARTS and key in records:
            return records[key].part(part)
        if name not in records:
            raise KeyError(f"no record {name!r}: measure it (pytest paper_checks --update-records) or fix the template")
        return records[name].text

    return PLACEHOLDER.sub(substitute, template)


def keys_of(template: str) -> set[str]:
    """The record keys a template quotes (parts stripped)."""
    keys = set()
    for name in PLACEHOLDER.findall(template):
        key, _, part = name.rpartition(".")
        keys.add(key if part in PARTS else name)
    return keys


@dataclass(frozen=True)
class RecordSet:
    """Records plus the outcome of every check that ran (pytest node id → passed, failed, xfailed, xpassed,
    skipped): the verdict layer needs both, what was measured and what the check concluded."""

    records: dict[str, Record]
    outcomes: dict[str, str]

    def to_json(self) -> dict:
        return {
            "records": {key: asdict(record) for key, record in sorted(self.records.items())},
            "outcomes": dict(sorted(self.outcomes.items())),
        }

    @classmethod
    def from_json(cls, data: dict) -> RecordSet:
        records = {key: Record(**fields) for key, fields in data.get("records", {}).items()}
        return cls(records, dict(data.get("outcomes", {})))


def committed_path() -> Path:
    """``paper_checks/records.json``, or the file named by the environment variable DGPG_RECORDS."""
    return Path(os.environ.get(RECORDS_VARIABLE, COMMITTED_RECORDS))


def load(path: str | Path | None = None) -> RecordSet:
    """The records at ``path`` (default: ``committed_path()``); an empty set when there is no such file."""
    path = committed_path() if path is None else Path(path)
    if not path.exists():
        return RecordSet({}, {})
    return RecordSet.from_json(json.loads(path.read_text()))


def save(record_set: RecordSet, path: str | Path | None = None) -> None:
    write_json(committed_path() if path is None else path, record_set.to_json())


def measurement_code_version() -> str:
    """A hash of the code that produces measurements (``sim/`` and ``dgpg_theory/`` without the rendering layer,
    ``findings/`` and ``report.py``, and ``paper_checks/``): results cached under one version are reused only
    by code that would measure the same. The rendering layer is left out so that rewording a report does not
    invalidate measurements."""
    digest = hashlib.sha256()
    rendering = PROJECT_ROOT / "dgpg_theory" / "findings"
    for folder in ("sim", "dgpg_theory", "paper_checks"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            if rendering in path.parents or (path.name == "report.py" and path.parent.name == "dgpg_theory"):
                continue
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
