"""python -m dgpg_theory.robustness: outputs, and the reading-dependence rule with its control."""

import json

import pytest

from dgpg_theory import robustness as cli
from dgpg_theory.measurement import robustness


def _measured(sigma_holds, greedy_reward):
    slope = {"estimate": 0.9, "ci": [0.5, 1.3], "holds": sigma_holds}
    scan = {key: slope for key in ("sigma2_J_paper", "sigma2_J_sum", "sigma2_G", "rel_var_J", "rel_var_G")}
    scan.update(rho_sign="negative", others_share_largest_n=0.4, no_action_fraction_max=0.0)
    reference = {
        p: {"reward": r} for p, r in (("best-fit", -45.0), ("random", -60.0), ("guidance-greedy", greedy_reward))
    }
    return {"reading": {"queue_model": "binding", "load": "paper"}, "scan": scan, "reference": reference}


def test_a_verdict_that_differs_between_readings_is_reading_dependent():
    same = robustness.dependence([_measured(True, -20.0), _measured(True, -30.0)])
    assert (
        same["σ_J² Θ(N), paper reward"] == "robust: holds" and same["guidance-greedy beats Best-Fit"] == "robust: yes"
    )
    flipped = robustness.dependence([_measured(True, -20.0), _measured(None, -50.0)])  # control: both flip
    assert flipped["σ_J² Θ(N), paper reward"] == "reading-dependent"
    assert flipped["guidance-greedy beats Best-Fit"] == "reading-dependent"


def test_every_queue_model_meets_every_load():
    names = {(r.queue_model, r.load) for r in robustness.readings()}
    assert ("binding", "light") in names and ("bounded-redispatch", "paper") in names
    assert len(names) == len(robustness.readings())


def test_quick_run_writes_its_four_files(tmp_path, monkeypatch, capsys):
    every_reading = robustness.readings
    monkeypatch.setattr(robustness, "readings", lambda: every_reading()[:2])
    assert cli.main(["--quick", "--out", str(tmp_path), "--workers", "1"]) == 0
    written = json.loads((tmp_path / "robustness.json").read_text())
    assert len(written["readings"]) == 2 and set(written["dependence"]) == set(robustness.LABELS)
    assert (tmp_path / "robustness.png").stat().st_size > 0
    assert "| reading |" in (tmp_path / "ROBUSTNESS.md").read_text() and "| reading |" in capsys.readouterr().out
    assert (tmp_path / "robustness.csv").read_text().count("\n") == 3


def test_bad_workers_exit_2_and_write_nothing(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--quick", "--out", str(tmp_path / "out"), "--workers", "0"])
    assert exit_info.value.code == 2 and "--workers: workers=0" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
