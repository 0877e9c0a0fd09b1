"""``python -m dgpg_theory.report``: one page, claim by claim, of what holds and what does not, with numbers.

    python -m dgpg_theory.report [--quick] [--out DIR] [--notebooks | --no-notebooks] [--force]
    python -m dgpg_theory.report --readme          # regenerate README.md's Findings block, measure nothing

Runs the paper checks (``pytest paper_checks``, which record every number they measure: dgpg_theory.findings)
and a variance scan, then writes into DIR:

- ``REPORT.md`` — a verdict table, then one section per claim with its numbers, its command and its figure;
- ``verdicts.json`` — one row per (claim, regime): the paper's words, verdict, measured numbers with intervals,
  the checks behind it and their outcomes, the command that reproduces it;
- ``records.json`` — every record the report rendered; ``figures/``; ``scan/`` (the variance scan's
  results and figures); ``notebooks/`` (the executed walkthroughs as HTML, with --notebooks);
- ``logs/paper_checks.txt`` — pytest's output.

``--quick`` skips the three slow paper-check modules (the simulator fixture, ≈ 2 min, the training runs,
≈ 10 min, and Theorem 4.3's iteration counts, ≈ 90 s) and runs the quick scan; the findings of the skipped
checks are rendered from the committed ``paper_checks/records.json``, which CI re-measures at every landing,
and say so. Measurements are cached in
DIR, keyed by the mode and a hash of the measuring code (records.measurement_code_version): a second run
re-renders without re-measuring unless --force. Exit status 1 when a check failed or a verdict is not backed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from dgpg_theory._io import check_writable_directory, write_json
from dgpg_theory.findings import records as findings_records
from dgpg_theory.findings.figures import save_figures
from dgpg_theory.findings.records import PROJECT_ROOT, RecordSet
from dgpg_theory.findings.render import (
    Provenance,
    claim_tables,
    readme_block,
    replace_readme_block,
    report_markdown,
    verdict_rows,
)
from sim.atomic import write_text

SLOW_MODULES = (
    "paper_checks/test_training_convergence.py",
    "paper_checks/test_thm42_simulator.py",
    "paper_checks/test_thm43_iterations.py",
)
README = PROJECT_ROOT / "README.md"
NOTEBOOKS = PROJECT_ROOT / "notebooks"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dgpg_theory.report",
        description="Measure every claim the toolkit checks and write REPORT.md and verdicts.json. Measured on "
        "the 2-core machine (2026-12-03): the full report (all paper checks ≈ 15 min, the default variance scan "
        "≈ 11 min, the notebooks as HTML ≈ 3 min) took 29 min 10 s; --quick took 1 min 31 s–2 min 6 s on its first run "
        "after a fresh install (numba compiling the simulator; 3 min 34 s with Table 2's checks on a slower day) "
        "and 62 s after. Needs the source checkout "
        "(pip install -e .): it runs paper_checks/ and reads paper_checks/records.json.",
    )
    add = p.add_argument
    add("--quick", action="store_true", help="skip the slow paper checks (their findings come from the committed "
        "records) and run the quick variance scan instead of the default one")  # fmt: skip
    add("--out", type=Path, default=Path("report_out"), help="output folder (created). Default: %(default)s")
    add("--notebooks", action=argparse.BooleanOptionalAction, default=None, help="execute the notebooks and "
        "render them as HTML into DIR/notebooks (needs nbconvert: pip install '.[notebooks]'). Default: on for "
        "the full report, off with --quick")  # fmt: skip
    add("--force", action="store_true", help="re-measure even when DIR holds results of the same code and mode")
    add("--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes for the variance scan "
        "(>= 1). Default: %(default)s")  # fmt: skip
    add("--readme", action="store_true", help="only regenerate README.md's Findings block from "
        "paper_checks/records.json, and exit")  # fmt: skip
    return p


def _cached(folder: Path, key: dict, force: bool) -> bool:
    meta = folder / "cache_key.json"
    return not force and meta.exists() and json.loads(meta.read_text()) == key


def _paper_checks_key(quick: bool) -> dict:
    """What decides the paper checks' outcomes: the mode, the measuring code, the committed records they are
    compared with, and the plugin that compares."""

    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else ""

    plugin = Path(findings_records.__file__).with_name("plugin.py")
    return {
        "quick": quick,
        "code": findings_records.measurement_code_version(),
        "records": digest(findings_records.committed_path()),
        "plugin": digest(plugin),
    }


def run_paper_checks(out: Path, quick: bool, force: bool) -> tuple[RecordSet, int]:
    """``pytest paper_checks`` in a subprocess, recording into ``out/records/paper_checks.json``."""
    folder = out / "records"
    key = _paper_checks_key(quick)
    path = folder / "paper_checks.json"
    if _cached(folder, key, force):
        meta = json.loads((folder / "exit_status.json").read_text())
        print(f"paper checks: reusing {path} (same code and mode; --force re-measures)")
        return findings_records.load(path), meta["exit_status"]
    folder.mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a run that dies before writing must not leave an older run's records behind
    command = [sys.executable, "-m", "pytest", "paper_checks", "-p", "no:nbmake", "-o", "addopts=", "-q", "-rfE"]
    command += ["--records-out", str(path.resolve())]
    if quick:
        command += [f"--ignore={module}" for module in SLOW_MODULES]
    print("paper checks:", " ".join(command[2:]))
    with open(out / "logs" / "paper_checks.txt", "w") as log:
        environment = os.environ | {"PYTHONUNBUFFERED": "1"}  # pytest's progress as it happens, not at the end
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for line in process.stdout:  # pytest's own progress, shown as it runs and kept in the log
            print(line, end="")
            log.write(line)
        status = process.wait()
    write_json(folder / "exit_status.json", {"exit_status": status})
    write_json(folder / "cache_key.json", key)
    return findings_records.load(path), status


def run_variance_scan(out: Path, quick: bool, force: bool, workers: int) -> dict:
    """The quick or the default variance scan into ``out/scan`` (its results.json and figures)."""
    from dgpg_theory import variance_scan

    folder = out / "scan"
    key = {"quick": quick, "code": findings_records.measurement_code_version()}
    if _cached(folder, key, force):
        print(f"variance scan: reusing {folder / 'results.json'}")
    else:
        argv = ["--out", str(folder), "--workers", str(workers)] + (["--quick"] if quick else [])
        print("variance scan: python -m dgpg_theory.variance_scan", " ".join(argv))
        if variance_scan.main(argv) != 0:
            raise RuntimeError("the variance scan failed")
        write_json(folder / "cache_key.json", key)
    return json.loads((folder / "results.json").read_text())


def render_notebooks(out: Path) -> list[str]:
    """Each notebook executed and rendered to ``out/notebooks/NAME.html``; the lines the report shows."""
    try:
        import nbconvert  # noqa: F401
    except ImportError:
        return ["Notebooks: not rendered (nbconvert is missing: pip install '.[notebooks]')."]
    folder = out / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["## The walkthroughs, executed", ""]
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        print(f"notebooks: executing {notebook.name}")
        command = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--execute"]
        command += ["--output-dir", str(folder.resolve()), str(notebook)]
        done = subprocess.run(command, cwd=NOTEBOOKS, capture_output=True, text=True)
        state = "" if done.returncode == 0 else f" — **failed** (exit {done.returncode})"
        lines.append(f"- [{notebook.stem}](notebooks/{notebook.stem}.html){state}")
    return lines


def scan_section(results: dict, quick: bool) -> list[str]:
    """The variance scan's own verdicts at its budget (measurement.moments), with its figures."""
    config = results["config"]
    size = (
        f"N = {', '.join(str(n) for n in config['n'])}; {config['replicates']} snapshots per N, S = {config['samples']}"
    )
    lines = ["", "## The variance scan at this budget", ""]
    lines.append(
        f"`python -m dgpg_theory.variance_scan{' --quick' if quick else ''}` ({size}, {config['queue_model']}):"
    )
    lines.append("")
    lines += [f"- {slope['verdict']}" for slope in results["slopes"].values()]
    lines += ["", "![variances](scan/variance_scaling.png)", "", "![own vs cross](scan/own_cross.png)"]
    return lines


def merged(committed: RecordSet, fresh: RecordSet) -> RecordSet:
    """Fresh records and outcomes over the committed ones (the quick report does not re-measure everything)."""
    return RecordSet(committed.records | fresh.records, committed.outcomes | fresh.outcomes)


def write_readme() -> int:
    readme = README.read_text()
    updated = replace_readme_block(readme, readme_block(findings_records.load()))
    if updated != readme:
        write_text(README, updated)
    print(f"README.md: findings block {'rewritten' if updated != readme else 'already current'}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.readme:
        return write_readme()
    if args.workers < 1:
        p.error(f"--workers={args.workers}; allowed: >= 1")
    try:
        check_writable_directory(args.out)
    except ValueError as error:
        p.error(str(error))
    started = time.perf_counter()
    fresh, status = run_paper_checks(args.out, args.quick, args.force)
    scan = run_variance_scan(args.out, args.quick, args.force, args.workers)
    record_set = merged(findings_records.load(), fresh)
    provenance = Provenance(frozenset(fresh.outcomes), findings_records.measurement_code_version())
    rows = verdict_rows(record_set, provenance)
    figures = save_figures(record_set.records, args.out / "figures")
    with_notebooks = args.notebooks if args.notebooks is not None else not args.quick
    notebooks = render_notebooks(args.out) if with_notebooks else []
    header = _header(args.quick, status, rows, time.perf_counter() - started)
    extra = [*scan_section(scan, args.quick), "", *notebooks]
    write_text(args.out / "REPORT.md", report_markdown(rows, header, figures, extra, claim_tables(record_set)))
    write_json(args.out / "verdicts.json", rows)
    findings_records.save(record_set, args.out / "records.json")
    seconds = time.perf_counter() - started
    print(f"wrote {args.out / 'REPORT.md'}, verdicts.json, records.json, figures/ in {seconds:.0f} s")
    unbacked = [row for row in rows if row["backing_problem"]]
    return 1 if status != 0 or unbacked else 0


def _header(quick: bool, status: int, rows: list[dict], seconds: float) -> list[str]:
    mode = (
        "quick (the simulator fixture, training and Theorem 4.3 iteration checks not re-measured)" if quick else "full"
    )
    checks = "all paper checks behaved as recorded" if status == 0 else f"**pytest paper_checks exited {status}**"
    unbacked = sum(bool(row["backing_problem"]) for row in rows)
    return [
        f"Mode: {mode}; measuring code {findings_records.measurement_code_version()}; {checks}; "
        f"{len(rows) - unbacked} of {len(rows)} verdicts backed by their checks. Measured in {seconds:.0f} s.",
        "",
        "Each verdict is what the named checks conclude (intervals at false alarm 1e-4, fixed seeds); the numbers "
        "come from the records those checks wrote (dgpg_theory.findings). Verdicts: holds; holds with a "
        "qualifier; fails; cannot be measured at this budget.",
    ]


if __name__ == "__main__":
    sys.exit(main())
