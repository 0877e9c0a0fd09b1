"""Reproduction of the paper's §6: run plans and the run cache (``runs``), tables (``tables``), figures (``figures``)
and whole targets (``targets``), behind ``python -m dgpg_theory.reproduce``."""
