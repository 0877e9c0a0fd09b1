"""One source for every measured number a reader is shown.

- ``records``: a measured number with its interval and display format; templates that quote records.
- ``plugin``: the pytest plugin (the ``record`` fixture; the end-of-run check against paper_checks/records.json;
  ``--update-records``, ``--records-out``).
- ``reasons``: ``quote``, strict-xfail reasons rendered from the committed records.
- ``claims``: the paper's claims the toolkit checks, each finding with its regime, verdict, text and checks.
- ``render``: the README's Findings block, REPORT.md and verdicts.json; ``figures``: the report's figures.

``python -m dgpg_theory.report`` puts them together.
"""
