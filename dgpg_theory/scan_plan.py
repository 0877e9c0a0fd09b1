"""``python -m dgpg_theory.scan_plan PILOT_DIR``: how many snapshots and copies a variance scan should use.

Reads a pilot scan's results.json (``python -m dgpg_theory.variance_scan --out PILOT_DIR``), splits each slope's
error into its between-snapshot and within-snapshot parts and prints the (S, R) whose predicted slope
half-widths are smallest within the time budget (measurement.allocation), with the error model behind it.
``--json`` prints the plan as one JSON object. Bad input exits with code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from dgpg_theory import _io
from dgpg_theory.measurement import allocation


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dgpg_theory.scan_plan", description=__doc__.splitlines()[0])
    add = p.add_argument
    # fmt: off
    add("pilot", type=Path, help="a variance scan's --out folder (or its results.json)")
    add("--budget-minutes", type=float, default=10.0, help="wall time the planned scan may take. Default: %(default)s")
    add("--workers", type=int, default=2, help="processes the planned scan runs cells on (--workers of the scan; "
        "the pilot's cell times are per process). Default: %(default)s")
    add("--quantities", nargs="+", default=list(allocation.QUANTITIES), choices=allocation.QUANTITIES,
        help="the slopes whose largest half-width the plan minimizes (all are printed). Default: all four")
    add("--json", action="store_true", help="print the plan as one JSON object")
    # fmt: on
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    path = args.pilot / "results.json" if args.pilot.is_dir() else args.pilot
    if not path.is_file():
        p.error(f"pilot={str(args.pilot)!r}: no results.json there; allowed: a variance scan's --out folder")
    if not args.budget_minutes > 0 or args.workers < 1:
        p.error(f"--budget-minutes={args.budget_minutes}, --workers={args.workers}; allowed: > 0 and ≥ 1")
    try:
        pilot = json.loads(path.read_text())
        result = allocation.plan(pilot, 60 * args.budget_minutes, args.workers, quantities=tuple(args.quantities))
    except (ValueError, KeyError) as error:
        p.error(f"pilot={str(path)!r} cannot be planned from: {error}")
    if args.json:
        print(_io.json_text(result))
        return 0
    print(f"S = {result['samples']} copies, R = {result['replicates']} snapshots per N: predicted "
          f"{result['predicted_seconds'] / 60:.1f} min on {args.workers} workers, planned for "
          f"{', '.join(result['planned_for'])}")  # fmt: skip
    for quantity, width in result["predicted_half_widths"].items():
        between, within = result["between"][quantity], result["within_at_pilot"][quantity]
        print(f"  {quantity:>10}: slope half-width {width:.3f} (pilot: between-snapshot variance {between:.3g}, "
              f"within at S = {result['pilot']['samples']}: {within:.3g})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
