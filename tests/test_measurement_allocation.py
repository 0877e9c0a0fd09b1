"""measurement.allocation and the scan_plan CLI on synthetic pilots with a known between/within split."""

import json
import math

import numpy as np
import pytest

from dgpg_theory import scan_plan
from dgpg_theory.measurement import allocation
from dgpg_theory.measurement import moments as ms
from dgpg_theory.measurement.phases import PHASES

N_VALUES = (5, 10, 20, 50, 100, 200)
PILOT_SAMPLES = 192
WITHIN_COEFFICIENT = 40.0  # Var(log estimate) = 40 / S


def _pilot(between_sd: float, replicates: int = 32, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    cells = []
    for n in N_VALUES:
        for r in range(replicates):
            phase = PHASES[r % len(PHASES)]
            noise = between_sd * rng.normal(size=2) + math.sqrt(WITHIN_COEFFICIENT / PILOT_SAMPLES) * rng.normal(size=2)
            scale = dict.fromkeys(ms.ScaleMoments.__dataclass_fields__, 0.0)
            scale.update(curve_predicted=[0.0], curve_empirical=[0.0])
            scale.update(var_j=n * math.exp(noise[0] + r % 4), var_g=math.exp(noise[1]), signal_j=1e9, signal_g=1e9)
            cells.append({
                "n": n, "phase": phase, "seconds": 2.0 + 0.01 * n, "fork_seconds": 0.01 * n,
                "scales": {"paper": scale},
                "log_noise": {"sigma2_J": [WITHIN_COEFFICIENT, 0.0], "sigma2_G": [WITHIN_COEFFICIENT, 0.0],
                              "signal_J": [0.0, 0.0], "signal_G": [0.0, 0.0]},
            })  # fmt: skip
    config = {"n": list(N_VALUES), "samples": PILOT_SAMPLES, "replicates": replicates, "false_alarm": 1e-4}
    return {"config": config, "cells": cells}


def test_the_between_snapshot_variance_is_recovered():
    parts = allocation.variance_parts(_pilot(between_sd=0.5), "sigma2_J")
    # The residual variance of 192 points estimates σ_b² + w within a χ² interval; w is known exactly here.
    points, true_total = len(N_VALUES) * 32, 0.25 + WITHIN_COEFFICIENT / PILOT_SAMPLES
    df = points - 1 - len(PHASES)
    from scipy.stats import chi2

    low, high = (true_total * chi2.ppf(q, df) / df for q in (0.5e-4, 1 - 0.5e-4))
    assert low - WITHIN_COEFFICIENT / PILOT_SAMPLES < parts.between < high - WITHIN_COEFFICIENT / PILOT_SAMPLES
    assert parts.within == (WITHIN_COEFFICIENT, 0.0)


def test_a_plan_fits_its_budget_and_buys_copies_only_when_they_help():
    budget = 600.0
    noisy_snapshots = allocation.plan(_pilot(between_sd=1.0), budget, workers=2)
    quiet_snapshots = allocation.plan(_pilot(between_sd=0.0), budget, workers=2)
    for chosen in (noisy_snapshots, quiet_snapshots):
        assert chosen["predicted_seconds"] <= budget
    # Control: with no between-snapshot spread the within part is all there is, so copies are worth more.
    assert quiet_snapshots["samples"] > noisy_snapshots["samples"]


def test_half_width_falls_as_one_over_root_r_without_within_noise():
    parts = allocation.VarianceParts(between=0.3, within=(0.0, 0.0), spread_per_replicate=5.0, n_points=48)
    wide, narrow = (parts.half_width(192, r, 6, 1e-4) for r in (8, 32))
    assert 1.9 < wide / narrow < 2.2  # √4 = 2, times the t quantile's shrinkage with df


def test_a_budget_too_small_is_refused():
    with pytest.raises(ValueError, match=r"budget_seconds=1\.0"):
        allocation.plan(_pilot(between_sd=0.5), 1.0, workers=1)


def test_cli_prints_a_plan_and_rejects_a_folder_without_results(tmp_path, capsys):
    (tmp_path / "results.json").write_text(json.dumps(_pilot(between_sd=0.5)))
    assert scan_plan.main([str(tmp_path), "--budget-minutes", "10", "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)["predicted_half_widths"]) == set(allocation.QUANTITIES)
    with pytest.raises(SystemExit) as exit_info:
        scan_plan.main([str(tmp_path / "missing")])
    assert exit_info.value.code == 2 and "no results.json" in capsys.readouterr().err


def test_a_plan_for_a_subset_ignores_the_other_quantities_and_refuses_unknown_names():
    pilot = _pilot(between_sd=0.5)
    for cell in pilot["cells"]:  # the relative σ_J²'s signal is all within-snapshot noise: only copies help it
        cell["log_noise"]["signal_J"] = [1e4, 0.0]
    everything = allocation.plan(pilot, 600.0, workers=2)
    variances = allocation.plan(pilot, 600.0, workers=2, quantities=("sigma2_J", "sigma2_G"))
    assert variances["planned_for"] == ["sigma2_J", "sigma2_G"]
    assert set(variances["predicted_half_widths"]) == set(allocation.QUANTITIES)
    # Control: planned for all four, rel_var_J pulls the plan towards copies; without it snapshots win.
    assert everything["samples"] > variances["samples"] and everything["replicates"] < variances["replicates"]
    widths = variances["predicted_half_widths"]
    assert variances["largest_half_width"] == max(widths["sigma2_J"], widths["sigma2_G"]) < widths["rel_var_J"]
    with pytest.raises(ValueError, match="quantities=\\['rho'\\]"):
        allocation.plan(pilot, 600.0, workers=2, quantities=("rho",))
