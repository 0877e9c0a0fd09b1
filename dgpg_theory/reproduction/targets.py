"""A reproduction target from start to end: train (or reuse) its runs, then write its figure and numbers.

Every target writes, atomically into ``out``: its figure (``TARGET.png``; not table9), its long-form training
curves (``TARGET.csv``; fig2, fig3, fig5), its table (``table1.csv`` for fig4, ``table9.csv`` for table9,
``compare.csv`` for compare) and its numbers (``TARGET.json``: the runs' summaries, plus Best-Fit on the
training scenarios for fig3, Table 1 for fig4, Table 9 for table9, the statistics over seeds for compare).
Curves are the raw per-episode training rewards: nothing is smoothed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tqdm.auto import tqdm

from dgpg_theory import _io
from dgpg_theory.reproduction.comparison import comparison_numbers, comparison_rows
from dgpg_theory.reproduction.runs import (
    Plan,
    RunRecord,
    best_fit_on_training_scenarios,
    check_cache,
    ensure_run,
    plan,
)
from dgpg_theory.reproduction.tables import curve_rows, run_summary, table1_rows, table9_rows

DEFAULT_OUT = Path("results/reproduce")
CURVE_KEYS = {"fig2": ("episode", "reward", "alpha"), "fig3": ("episode", "reward"), "fig5": ("episode", "reward")}


def reproduce(
    target: str,
    out: Path = DEFAULT_OUT,
    quick: bool = False,
    n_values: Sequence[int] | None = None,
    episodes: int | None = None,
    seeds: Sequence[int] | None = None,
    force: bool = False,
    progress: bool = True,
) -> dict:
    """Train (or reuse) the runs of ``target``, write its figure and numbers into ``out``; returns the numbers
    (what ``--json`` prints). Raises ValueError on bad input before anything is written."""
    the_plan = plan(target, quick, n_values, episodes, seeds)
    out = Path(out)
    check_cache(out, the_plan.runs, force)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for spec in tqdm(the_plan.runs, desc=f"{target}: runs", disable=not progress):
        record = ensure_run(out, spec, the_plan.evaluate, force, progress, references=the_plan.references)
        records.append(record)
    return write_target(the_plan, records, out)


def target_numbers(the_plan: Plan, records: Sequence[RunRecord], out: Path) -> dict:
    """What a target reports beside its runs' summaries."""
    if the_plan.target == "fig3":
        config = records[0].spec.config()
        best_fit = {
            str(n): best_fit_on_training_scenarios(out, n, config.scenario_seed, config.queue_model)
            for n in the_plan.n_values
        }
        return {"best_fit_train": best_fit}
    if the_plan.target == "fig4":
        return {"table1": table1_rows(records)}
    if the_plan.target == "table9":
        return {"table9": table9_rows(records)}
    if the_plan.target == "compare":
        comparison = comparison_numbers(records, out)
        return {"comparison": comparison, "compare": comparison_rows(comparison)}
    return {}


def draw(the_plan: Plan, records: Sequence[RunRecord], numbers: dict):
    """The target's figure (a matplotlib Figure), or None for table9."""
    from dgpg_theory.reproduction import figures  # matplotlib only when a figure is drawn

    if the_plan.target == "fig2":
        return figures.alpha_sensitivity(records, the_plan)
    if the_plan.target == "fig3":
        best_fit = {int(n): summary for n, summary in numbers["best_fit_train"].items()}
        return figures.controlled_comparison(records, best_fit, the_plan)
    if the_plan.target == "fig4":
        return figures.scalability(numbers["table1"], the_plan)
    if the_plan.target == "fig5":
        return figures.scale_invariant_convergence(records, the_plan)
    if the_plan.target == "compare":
        return figures.comparison(numbers["comparison"], the_plan)
    return None


def write_target(the_plan: Plan, records: Sequence[RunRecord], out: Path) -> dict:
    """Write the target's files (module docstring) and return its numbers."""
    target = the_plan.target
    extra = target_numbers(the_plan, records, out)
    files = []
    figure = draw(the_plan, records, extra)
    if figure is not None:
        _io.write_figure(figure, out / f"{target}.png")
        files.append(f"{target}.png")
    if target in CURVE_KEYS:
        _io.write_csv(out / f"{target}.csv", curve_rows(records, CURVE_KEYS[target]))
        files.append(f"{target}.csv")
    for table in ("table1", "table9", "compare"):
        if table in extra:
            _io.write_csv(out / f"{table}.csv", extra[table])
            files.append(f"{table}.csv")
    files.append(f"{target}.json")
    numbers = {"target": target, "quick": the_plan.quick, "n": list(the_plan.n_values), "seeds": list(the_plan.seeds),
               "runs": [run_summary(r) for r in records], **extra, "files": files}  # fmt: skip
    _io.write_json(out / f"{target}.json", numbers)
    return numbers
