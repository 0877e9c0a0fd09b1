"""``python -m dgpg_theory.estimator_table``: the estimator family of Table 2 (App. A) on the exact game.

    python -m dgpg_theory.estimator_table [--n N ...] [--replicates R] [--samples S] [--servers half|M ...]
        [--seed SEED] [--out DIR] [--quick] [--no-plots] [--no-progress]

For every estimator (plain, leave-one-out, COMA, Kuba et al.'s optimal baseline, difference rewards, DG-PG at
α*, 0.9, 0.2 in raw and trainer units: dgpg_theory.estimators.family) it measures the per-agent variance and
the relative variance over N, fits their log–log slopes and judges Table 2's claim (three-way verdicts, margin
0.25, false alarm 1e-4). Prints one table per server layout and reward scaling; writes results.json,
results.csv and one figure per layout (summed reward) to --out, each atomically. The default (N = 4…1024,
8 games per N, S = 400, M = N/2 and M = 8) took 1 min 52 s on the 2-core machine (shared with another
job; the two tables alone, 81 s). Bad input exits with code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dgpg_theory import _io
from dgpg_theory.estimators import scaling
from sim.arguments import ArgumentError, explicit_flags

QUICK = {"n": [4, 8, 16, 32, 64], "replicates": 4, "samples": 200}
DEFAULT_SERVERS = ["half", "8"]


def parser() -> argparse.ArgumentParser:
    defaults = scaling.FamilyScan()
    p = argparse.ArgumentParser(
        prog="python -m dgpg_theory.estimator_table",
        allow_abbrev=False,
        description="Per-agent variance of every multi-agent policy-gradient estimator of Table 2 on the exactly "
        "solvable load-balancing game, its scaling in N and the verdict on Table 2's claim.",
    )
    add = p.add_argument
    add("--n", type=int, nargs="+", default=list(defaults.n), help="numbers of agents N (distinct, each >= 2). "
        "Default: %(default)s")  # fmt: skip
    add("--replicates", type=int, default=defaults.replicates, help="independent games per N (>= 2); slopes are "
        "fitted over every game. Default: %(default)s")  # fmt: skip
    add("--samples", type=int, default=defaults.samples, help="S, joint-action samples per game (>= 10), plus an "
        "independent pilot batch of S that fits α* and the trainer's scales. Default: %(default)s")  # fmt: skip
    add("--servers", nargs="+", default=DEFAULT_SERVERS, help="server layouts: 'half' (M = N/2, O(1) jobs per "
        "server) and/or a fixed M >= 2 (jobs per server grow with N). Default: %(default)s")  # fmt: skip
    add("--seed", type=int, default=defaults.seed, help="seed of every game and sample. Default: %(default)s")
    add("--false-alarm", type=float, default=defaults.false_alarm, help="two-sided false-alarm rate of every "
        "interval and verdict. Default: %(default)s")  # fmt: skip
    add("--out", type=Path, default=Path("estimator_table_out"), help="output directory. Default: %(default)s")
    add("--quick", action="store_true", help=f"a small table for notebooks and CI (a few seconds): N = "
        f"{QUICK['n']}, {QUICK['replicates']} games per N, S = {QUICK['samples']}; explicit flags win")  # fmt: skip
    add("--no-plots", action="store_true", help="skip the figures")
    add("--no-progress", action="store_true", help="no progress bar")
    return p


def _servers(value: str) -> int | None:
    if value == "half":
        return None
    try:
        return int(value)
    except ValueError:
        raise ArgumentError("servers", value, "'half' or an int M >= 2") from None


def scans(args: argparse.Namespace, explicit: set[str]) -> list[scaling.FamilyScan]:
    if args.quick:
        for key, value in QUICK.items():
            if key not in explicit:
                setattr(args, key, value)
    return [
        scaling.FamilyScan(
            tuple(sorted(args.n)), args.replicates, args.samples, args.seed, _servers(s), args.false_alarm
        )
        for s in args.servers
    ]


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = p.parse_args(argv)
    explicit = explicit_flags(argv)
    try:
        planned = scans(args, explicit)
        _io.check_writable_directory(args.out)
    except ArgumentError as error:
        p.error(f"--{error.name.replace('_', '-')}: {error}")
    except ValueError as error:
        p.error(str(error))
    results, written = [], []
    for scan in planned:
        table = scaling.measure(scan, progress=not args.no_progress)
        print("\n".join(scaling.text_table(table, s) for s in scaling.REWARD_SCALINGS) + "\n")
        results.append(scaling.results(table))
        if not args.no_plots:
            from dgpg_theory.estimators.figure import family_figure

            path = args.out / f"estimators_{'half' if scan.n_servers is None else f'm{scan.n_servers}'}.png"
            args.out.mkdir(parents=True, exist_ok=True)
            _io.write_figure(family_figure(_io.plain(results[-1])), path)
            written.append(path)
    _io.write_json(args.out / "results.json", results)
    _io.write_csv(args.out / "results.csv", csv_rows(results))
    for path in [*written, args.out / "results.csv", args.out / "results.json"]:
        print(f"wrote {path}")
    return 0


def csv_rows(results: list[dict]) -> list[dict]:
    """One row per (layout, member, reward scaling, quantity, N): the per-N mean and its interval."""
    rows = []
    for result in results:
        servers = "half" if result["scan"]["n_servers"] is None else result["scan"]["n_servers"]
        for entry in result["entries"]:
            for row in entry["per_n"]:
                rows.append({
                    "servers": servers, "member": entry["member"], "reward_scaling": entry["reward_scaling"],
                    "quantity": entry["quantity"], "n": row["n"], "mean": row["mean"], "ci_low": row["ci"][0],
                    "ci_high": row["ci"][1], "slope": entry["slope"], "verdict": entry["verdict"],
                })  # fmt: skip
    return rows


if __name__ == "__main__":
    sys.exit(main())
