"""The pytest plugin behind "one source of numbers": a ``record`` fixture, and a check at the end of the run.

A check calls ``record(key, value, fmt, low=None, high=None)`` for every number a reader is shown (a strict
xfail's reason, the README's Findings block, the report). At the end of the session the plugin compares what
was measured with the committed ``paper_checks/records.json`` and fails the run (exit status 1, the differences
listed) when

- a record's text differs from the committed one, or the committed file lacks it;
- a test that, per the committed file, records a key ran and did not record it (a stale record);
- a strict xfail's reason (``reasons.quote``) quotes a key that this run should have measured and did not.

``--update-records`` writes the run's records into the committed file instead (only keys of tests that ran are
replaced); ``--records-out PATH`` also writes them, with every test's outcome, to PATH (the report reads it).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from _pytest.terminal import TerminalReporter

from dgpg_theory.findings import reasons
from dgpg_theory.findings.records import Record, RecordSet, committed_path, load, save

UPDATE_COMMAND = "pytest paper_checks -p no:nbmake -o addopts= --update-records"


class RecordMismatch(Exception):
    """A measured record differs from the committed one. Not an AssertionError, so that a strict xfail with
    ``raises=AssertionError`` does not absorb it."""


@dataclass
class RunRecords:
    """What this pytest run measured, next to the committed records it is checked against."""

    committed: RecordSet
    path: Path
    update: bool
    fresh: dict[str, Record] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)  # node id → passed, failed, xfailed, xpassed, skipped
    called: dict[str, str] = field(default_factory=dict)  # node id → outcome, for tests whose body ran
    pending: dict[str, list[str]] = field(default_factory=dict)  # node id → its mismatches, raised after its body
    deselected: set[str] = field(default_factory=set)  # collected, then left out (-k, -m, --deselect)
    problems: list[str] = field(default_factory=list)

    def add(self, record: Record) -> None:
        """Keep ``record``; a difference from the committed one is noted and raised when the test body ends, so
        that one mismatch does not stop the test's other records (they would then look stale)."""
        earlier = self.fresh.get(record.key)
        if earlier is not None and earlier.text != record.text:
            self._note(record, f"{record.key}: recorded twice, {earlier.text} ({earlier.test}) and {record.text}")
        self.fresh[record.key] = record
        if self.update:
            return
        committed = self.committed.records.get(record.key)
        if committed is None:
            self._note(record, f"{record.key}: measured {record.text}, not in {self.path.name}")
        elif committed.text != record.text:
            self._note(record, f"{record.key}: measured {record.text}, {self.path.name} has {committed.text}")

    def _note(self, record: Record, problem: str) -> None:
        self.problems.append(problem)
        self.pending.setdefault(record.test, []).append(problem)


SESSION = pytest.StashKey[RunRecords]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("records", "measured records (dgpg_theory.findings)")
    group.addoption(
        "--update-records",
        action="store_true",
        help="write this run's records into paper_checks/records.json instead of checking them against it",
    )
    group.addoption("--records-out", metavar="PATH", help="also write this run's records and outcomes to PATH")


def pytest_configure(config: pytest.Config) -> None:
    path = committed_path()
    config.stash[SESSION] = RunRecords(load(path), path, bool(config.getoption("--update-records")))


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``record(key, value, fmt, low=None, high=None)``: one measured number, formatted with ``fmt``."""
    session = request.config.stash[SESSION]

    def record_value(key: str, value: float, fmt: str, low: float | None = None, high: float | None = None) -> None:
        session.add(Record(key, _number(value), fmt, _number(low), _number(high), request.node.nodeid))

    return record_value


def _number(value: float | int | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    return float(value)


def pytest_deselected(items: list[pytest.Item]) -> None:
    for item in items:
        item.config.stash[SESSION].deselected.add(item.nodeid)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Raise the test's record mismatches once its body has run (they replace any exception of the body)."""
    try:
        return (yield)
    finally:
        mismatches = item.config.stash[SESSION].pending.pop(item.nodeid, [])
        if mismatches:
            raise RecordMismatch("; ".join(mismatches) + f" (if the change is intended: {UPDATE_COMMAND})")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Generator[None, object, object]:
    report = yield
    if report.when == "call" or report.outcome != "passed":
        state = item.config.stash[SESSION]
        state.outcomes[item.nodeid] = _outcome(report, call)
        if report.when == "call":
            state.called[item.nodeid] = state.outcomes[item.nodeid]
    return report


def _outcome(report: pytest.TestReport, call: pytest.CallInfo) -> str:
    if call.excinfo is not None and call.excinfo.errisinstance(RecordMismatch):
        return "failed"  # even where an xfail without raises= would count it as expected
    if not hasattr(report, "wasxfail"):
        return report.outcome
    if report.outcome == "skipped":
        return "xfailed"
    if report.outcome == "passed":
        return "xpassed"
    return "failed"


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash[SESSION]
    ran = set(state.called)
    collected = {item.nodeid for item in session.items} | state.deselected
    modules = {nodeid.split("::")[0] for nodeid in collected}
    for key, committed in state.committed.records.items():
        if committed.test in ran and key not in state.fresh and not state.update:
            state.problems.append(f"{key}: {committed.test} ran and no longer records it (stale)")
        gone = committed.test.split("::")[0] in modules and committed.test not in collected
        if gone and not state.update:
            state.problems.append(f"{key}: recorded by {committed.test}, which no longer exists (stale)")
    for item in session.items:
        if item.nodeid in ran:
            state.problems += _unmeasured_quotes(item, state, ran)
    out = session.config.getoption("--records-out")
    if out:
        save(RecordSet(state.fresh, state.outcomes), out)
    if state.update:
        _update_committed(state, collected, modules)
    elif state.problems and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _unmeasured_quotes(item: pytest.Item, state: RunRecords, ran: set[str]) -> list[str]:
    marker = item.get_closest_marker("xfail")
    reason = marker.kwargs.get("reason", "") if marker else ""
    problems = []
    for key in sorted(reasons.QUOTED.get(reason, set())):
        committed = state.committed.records.get(key)
        if committed is None and not state.update:
            problems.append(f"{key}: quoted by the reason of {item.nodeid}, not in {state.path.name}")
        elif key not in state.fresh and (committed is None or committed.test in ran):
            problems.append(f"{key}: quoted by the reason of {item.nodeid}, not measured in this run")
    return problems


def _update_committed(state: RunRecords, collected: set[str], modules: set[str]) -> None:
    """Replace the records of tests whose body ran and ended as expected (passed or xfailed); keep the rest,
    except those of tests that no longer exist in a collected module."""
    replaced = {nodeid for nodeid, outcome in state.called.items() if outcome in ("passed", "xfailed")}

    def kept(test: str) -> bool:
        return test not in replaced and (test in collected or test.split("::")[0] not in modules)

    fresh = {key: r for key, r in state.fresh.items() if r.test in replaced}
    old = {key: r for key, r in state.committed.records.items() if kept(r.test) and key not in fresh}
    outcomes = {nodeid: o for nodeid, o in state.committed.outcomes.items() if kept(nodeid)}
    outcomes |= {nodeid: state.outcomes[nodeid] for nodeid in replaced}
    save(RecordSet(old | fresh, outcomes), state.path)


def pytest_terminal_summary(terminalreporter: TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash[SESSION]
    if state.update:
        terminalreporter.write_line(f"records: {len(state.fresh)} measured, written to {state.path}")
    elif state.problems:
        terminalreporter.section("records differ from what this run measured", red=True)
        for problem in state.problems:
            terminalreporter.write_line(problem)
        terminalreporter.write_line(f"if the change is intended: {UPDATE_COMMAND}")
