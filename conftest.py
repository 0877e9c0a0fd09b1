"""Root pytest configuration: set OpenMP's passive waiting and torch's AVX2 kernels before any test module
imports torch (see ``dgpg_theory/__init__.py``: spinning torch and numba threads slowed rollouts 75× on a
2-core machine; AVX-512 kernels round differently, so records would depend on the machine)."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")

pytest_plugins = ["dgpg_theory.findings.plugin", "pytester"]
