"""The shared plumbing: atomic writes (sim.atomic), strict JSON and CSV (dgpg_theory._io), and the import cost
of the measurement layer (torch only when a checkpoint is read)."""

import json
import math
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

import sim.atomic
from dgpg_theory import _io


def test_an_atomic_write_replaces_the_file_whole_with_the_usual_mode(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    sim.atomic.write_text(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == sim.atomic.FILE_MODE  # not the temporary file's 0600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_an_interrupted_atomic_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), sim.atomic.atomic_file(target, "wb") as handle:
        handle.write(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]
    with pytest.raises(ValueError, match="mode='a'"):
        sim.atomic.atomic_file(target, "a").__enter__()


def test_json_is_strict_and_plain():
    value = {"nan": math.nan, "inf": [np.float64(-np.inf), 1.5], "n": np.int64(3), "array": np.arange(2)}
    text = _io.json_text(value)
    assert text.endswith("\n")
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard constant {c}")) == {
        "nan": None, "inf": [None, 1.5], "n": 3, "array": [0, 1]
    }  # fmt: skip


def test_csv_text_writes_none_as_empty_and_uses_bare_newlines():
    text = _io.csv_text([{"a": 1, "b": None}, {"a": 2.5, "b": "x"}])
    assert text == "a,b\n1,\n2.5,x\n"


def test_writable_directory_check_creates_nothing(tmp_path):
    _io.check_writable_directory(tmp_path / "new" / "deeper")
    assert list(tmp_path.iterdir()) == []
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ValueError, match=r"--out .* is not a directory"):
        _io.check_writable_directory(blocker / "sub")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(ValueError, match="not writable"):
            _io.check_writable_directory(locked / "sub")


def test_a_scan_of_a_closed_form_policy_does_not_import_torch():
    probe = "import sys, dgpg_theory.variance_scan, dgpg_theory.measurement.sweep; print('torch' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "False"
    control = "import sys, dgpg_theory.measurement.checkpoints as c, dgpg_theory.ppo; print('torch' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", control], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "True"  # negative control: the check would see torch if it were loaded
