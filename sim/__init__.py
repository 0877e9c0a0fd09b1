"""sim: the heterogeneous cloud-scheduling simulator of Appendix H of the DG-PG paper, batched over copies."""

import os

# numba's OpenMP threads spin between parallel regions by default; on a small or shared machine the spinning
# thread steals the core the other one needs (we measured 5–15× slower steps on a loaded 2-core machine).
# Passive waiting costs microseconds per step. Set before any kernel runs; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
