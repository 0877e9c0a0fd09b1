"""dgpg_theory: symbolic and empirical checks of the theory of Descent-Guided Policy Gradient (DG-PG).

The paper: "Descent-Guided Policy Gradient for Scalable Cooperative Multi-Agent Learning"
(full text in ``../shared/paper/dgpg-paper.txt`` relative to the project root).
"""

import os

# Before anything here imports torch: an OpenMP runtime reads OMP_WAIT_POLICY once, when it starts. Spinning
# threads (the default) of torch and numba steal each other's cores on a small machine; we measured one
# simulator rollout 75× slower (55 s instead of 0.7 s) when torch was imported before ``sim`` set this.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
