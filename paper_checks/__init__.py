"""Paper checks: each test asserts one step or prediction of the DG-PG paper (see the README)."""
