"""Claims and records → text: the README's Findings block, ``REPORT.md`` and ``verdicts.json``.

Everything here is a pure function of a ``RecordSet`` (and, for the report, of where each record came from), so
the README block can be regenerated and compared byte for byte (``tests/test_findings.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dgpg_theory.findings.claims import CLAIMS, Claim, Finding
from dgpg_theory.findings.records import RecordSet, keys_of, render

README_BEGIN = (
    "<!-- findings:begin — generated from paper_checks/records.json by `python -m dgpg_theory.report --readme`; "
    "edit dgpg_theory/findings/claims.py, not this block -->"
)
README_END = "<!-- findings:end -->"
EXPECTED_OUTCOMES = ("passed", "xfailed")


def matching_outcomes(finding: Finding, outcomes: dict[str, str]) -> dict[str, str]:
    """The outcomes of the tests a finding names (its ``checks`` are node ids or prefixes of them)."""
    return {node: outcome for node, outcome in outcomes.items() if node.startswith(finding.checks)}


def backing_problem(finding: Finding, outcomes: dict[str, str]) -> str:
    """Why the finding's verdict is not backed by its checks ('' when it is)."""
    matched = matching_outcomes(finding, outcomes)
    if not matched:
        return "none of its checks has an outcome on record"
    wrong = {node: outcome for node, outcome in matched.items() if outcome not in EXPECTED_OUTCOMES}
    return "; ".join(f"{node} {outcome}" for node, outcome in sorted(wrong.items()))


def finding_line(finding: Finding, record_set: RecordSet) -> str:
    verdict = f"**{finding.verdict}**" + (f" ({finding.qualifier})" if finding.qualifier else "")
    return f"- {verdict} — *{finding.regime}*: {render(finding.text, record_set.records)}"


def readme_block(record_set: RecordSet) -> str:
    """The README's Findings block: every claim, every finding, numbers from ``record_set``."""
    lines = [README_BEGIN, ""]
    for claim in CLAIMS:
        lines.append(f"**{claim.section}** — {claim.paper}")
        lines += [finding_line(finding, record_set) for finding in claim.findings]
        if claim.table:
            lines += ["", render(claim.table, record_set.records)]
        lines.append("")
    lines.append(README_END)
    return "\n".join(lines)


def replace_readme_block(readme: str, block: str) -> str:
    """``readme`` with the text between the markers (inclusive) replaced; ValueError without both markers."""
    pattern = re.compile(re.escape(README_BEGIN) + ".*?" + re.escape(README_END), re.S)
    if len(pattern.findall(readme)) != 1:
        raise ValueError("README.md must contain exactly one findings block between the markers")
    return pattern.sub(lambda _: block, readme)


def current_readme_block(readme: str) -> str:
    start, end = readme.find(README_BEGIN), readme.find(README_END)
    if start < 0 or end < start:
        raise ValueError("README.md has no findings block")
    return readme[start : end + len(README_END)]


@dataclass(frozen=True)
class Provenance:
    """Where a report's records came from: ``measured`` (this report ran the checks) or ``committed``."""

    measured_checks: frozenset[str]  # node ids this report ran
    code_version: str
    committed_note: str = "from paper_checks/records.json (CI re-measures it at every landing)"

    def source(self, finding: Finding, outcomes: dict[str, str]) -> str:
        ran = [node for node in matching_outcomes(finding, outcomes) if node in self.measured_checks]
        return f"measured by this report (code {self.code_version})" if ran else self.committed_note


def verdict_rows(record_set: RecordSet, provenance: Provenance) -> list[dict]:
    """One row per (claim, finding): verdicts.json."""
    rows = []
    for claim in CLAIMS:
        for finding in claim.findings:
            problem = backing_problem(finding, record_set.outcomes)
            rows.append(
                {
                    "claim": claim.id,
                    "paper": claim.paper,
                    "section": claim.section,
                    "regime": finding.regime,
                    "verdict": finding.verdict if not problem else "not backed",
                    "qualifier": finding.qualifier,
                    "measured": render(finding.text, record_set.records),
                    "numbers": _numbers(finding, record_set),
                    "checks": matching_outcomes(finding, record_set.outcomes),
                    "backing_problem": problem,
                    "source": provenance.source(finding, record_set.outcomes),
                    "command": finding.command,
                }
            )
    return rows


def claim_tables(record_set: RecordSet) -> dict[str, str]:
    """Each claim's Markdown table, rendered from the records (claim id → text)."""
    return {claim.id: render(claim.table, record_set.records) for claim in CLAIMS if claim.table}


def _numbers(finding: Finding, record_set: RecordSet) -> dict:
    numbers = {}
    for key in sorted(keys_of(finding.text)):
        record = record_set.records[key]
        numbers[key] = {"value": record.value, "low": record.low, "high": record.high, "text": record.text}
    return numbers


def report_markdown(
    rows: list[dict],
    header: list[str],
    figures: dict[str, str],
    extra: list[str],
    tables: dict[str, str] | None = None,
) -> str:
    """REPORT.md: the header lines, a verdict table, one section per claim (with its table, from
    ``claim_tables``, and its figure), ``extra``."""
    tables = tables or {}
    lines = ["# DG-PG: what holds and what does not", "", *header, "", "## Verdicts", ""]
    lines += ["| claim | regime | verdict |", "|---|---|---|"]
    for row in rows:
        verdict = row["verdict"] + (f" — {row['qualifier']}" if row["qualifier"] else "")
        lines.append(f"| [{row['section']}](#{row['claim']}) | {row['regime']} | {verdict} |")
    for claim in CLAIMS:
        lines += _claim_section(claim, [row for row in rows if row["claim"] == claim.id], figures)
        if claim.id in tables:
            lines += ["", tables[claim.id]]
    return "\n".join([*lines, "", *extra, ""])


def _claim_section(claim: Claim, rows: list[dict], figures: dict[str, str]) -> list[str]:
    lines = ["", f'<a id="{claim.id}"></a>', f"## {claim.section}", "", f"*The paper:* {claim.paper}", ""]
    for row in rows:
        verdict = row["verdict"] + (f" ({row['qualifier']})" if row["qualifier"] else "")
        lines.append(f"- **{verdict}** — *{row['regime']}*: {row['measured']}")
        lines.append(f"  - reproduce: `{row['command']}`; {row['source']}")
        if row["backing_problem"]:
            lines.append(f"  - **not backed**: {row['backing_problem']}")
    if claim.figure in figures:
        lines += ["", f"![{claim.section}]({figures[claim.figure]})"]
    return lines
