"""Root pytest configuration: set OpenMP's passive waiting before any test module imports torch (see
``dgpg_theory/__init__.py``: spinning torch and numba threads slowed rollouts 75× on a 2-core machine)."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

pytest_plugins = ["dgpg_theory.findings.plugin", "pytester"]
