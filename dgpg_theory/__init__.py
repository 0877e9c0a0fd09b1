"""dgpg_theory: symbolic and empirical checks of the theory of Descent-Guided Policy Gradient (DG-PG).

The paper: "Descent-Guided Policy Gradient for Scalable Cooperative Multi-Agent Learning"
(full text in ``../shared/paper/dgpg-paper.txt`` relative to the project root).
"""

import os

# Before anything here imports torch: an OpenMP runtime reads OMP_WAIT_POLICY once, when it starts. Spinning
# threads (the default) of torch and numba steal each other's cores on a small machine; we measured one
# simulator rollout 75× slower (55 s instead of 0.7 s) when torch was imported before ``sim`` set this.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# torch picks its CPU kernels (AVX2 or AVX-512) at its first operation, and the two round differently: the same
# seed trained at N = 10 for 10 episodes scored −65.6 with AVX2 kernels and −62.4 with AVX-512 ones. Pinning
# AVX2 (which every x86-64 machine we run on has; torch uses the best it has below the pin) makes torch's own
# kernels the same on every such machine, so the committed records hold on CI's machines. BLAS calls go to MKL,
# which picks its code path by itself; with MKL_CBWR=AVX2 the Theorem 4.3 checks gave the same records.
os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")

__version__ = "0.1.0"
