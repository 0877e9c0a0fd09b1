"""dgpg_theory: symbolic and empirical checks of the theory of Descent-Guided Policy Gradient (DG-PG).

The paper: "Descent-Guided Policy Gradient for Scalable Cooperative Multi-Agent Learning"
(full text in ``../shared/paper/dgpg-paper.txt`` relative to the project root).
"""

__version__ = "0.1.0"
