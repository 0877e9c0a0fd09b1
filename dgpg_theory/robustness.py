"""``python -m dgpg_theory.robustness``: the headline verdicts under every reading of the simulator.

    python -m dgpg_theory.robustness [--out DIR] [--workers W] [--quick]

For each queue model (sim/SPEC.md, "Queue models") × load (the paper's, a lighter 0.6) it runs a reduced variance
scan and the reference policies (measurement.robustness), then writes DIR/robustness.json, robustness.csv,
ROBUSTNESS.md (the table the README shows, and which verdicts are reading-dependent) and robustness.png. Eight
readings (four queue models × two loads); the default size (N = 5…50, S = 48, R = 32, H = 150 per reading) took
11 min 4 s on the 2-core machine with 2 workers (≈ 80 s per reading); --quick (a tiny scan, for tests) took 54 s.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm.auto import tqdm

from dgpg_theory import _io
from dgpg_theory.measurement import robustness
from dgpg_theory.measurement.scan import Execution


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dgpg_theory.robustness", description=__doc__.splitlines()[0])
    add = p.add_argument
    # fmt: off
    add("--out", type=Path, default=Path("robustness"), help="folder for the outputs. Default: %(default)s")
    add("--workers", type=int, default=min(2, os.cpu_count() or 1), help="local processes for the scans' cells "
        "(>= 1). Default: %(default)s")
    add("--quick", action="store_true", help="a tiny scan per reading and 2 scenarios at N = 5 (tests, "
        "notebooks): the numbers are not meant to be read")
    # fmt: on
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    try:
        _io.check_writable_directory(args.out)
        execution = Execution(workers=args.workers)
    except ValueError as error:
        p.error(str(error).replace("workers=", "--workers: workers=", 1))
    scan = robustness.QUICK_SCAN if args.quick else robustness.SCAN
    reference_n, count = (5, 2) if args.quick else (robustness.REFERENCE_N, robustness.REFERENCE_SCENARIOS)
    measurements = []
    for reading in tqdm(robustness.readings(), desc="readings", leave=False):
        measurements.append(robustness.measure(reading, scan, execution, reference_n, count))
    write(args.out, measurements, scan, reference_n, count)
    print(robustness.markdown(measurements, scan, reference_n, count))
    return 0


def write(out: Path, measurements: list[dict], scan, reference_n: int, count: int) -> None:
    from dgpg_theory.measurement.plots import robustness_figure  # matplotlib only when writing

    out.mkdir(parents=True, exist_ok=True)
    size = {"scan": scan, "reference_n": reference_n, "reference_scenarios": count}
    _io.write_json(out / "robustness.json", {"size": size, "readings": measurements,
                                             "dependence": robustness.dependence(measurements)})  # fmt: skip
    _io.write_csv(out / "robustness.csv", robustness.table_rows(measurements))
    _io.write_text(out / "ROBUSTNESS.md", robustness.markdown(measurements, scan, reference_n, count))
    _io.write_figure(robustness_figure(measurements), out / "robustness.png")


if __name__ == "__main__":
    sys.exit(main())
