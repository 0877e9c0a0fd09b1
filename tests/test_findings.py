"""One source of numbers (dgpg_theory.findings): records, templates, the README block and the pytest plugin.

The plugin's tests run small pytest sessions in a subprocess (pytester) against a records file of their own
(DGPG_RECORDS), so they show what CI does when a committed number, and with it a strict xfail's reason or the
README, differs from what the code measures.
"""

import ast
import json
import re
from pathlib import Path

import pytest

from dgpg_theory.findings import records
from dgpg_theory.findings.claims import CLAIMS, VERDICTS, Finding
from dgpg_theory.findings.records import Record, RecordSet, keys_of, render
from dgpg_theory.findings.render import (
    backing_problem,
    current_readme_block,
    matching_outcomes,
    readme_block,
    replace_readme_block,
)

ROOT = Path(__file__).resolve().parents[1]


def test_a_record_formats_its_value_and_interval_with_the_typographic_minus():
    record = Record("demo.slope", -0.8412, ".2f", -1.59, -0.09)
    assert record.text == "−0.84 [−1.59, −0.09]"
    assert (
        render("b = {demo.slope}, upper {demo.slope.high}", {"demo.slope": record})
        == "b = −0.84 [−1.59, −0.09], upper −0.09"
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"key": "Bad Key", "value": 1.0, "fmt": ".1f"}, "key='Bad Key'"),
        ({"key": "demo.low", "value": 1.0, "fmt": ".1f"}, "key='demo.low'"),
        ({"key": "demo.x", "value": 1.0, "fmt": ".1f", "low": 0.5}, "low=0.5, high=None"),
    ],
)
def test_bad_records_are_refused_with_the_argument_named(fields, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Record(**fields)


def test_a_template_quoting_an_unknown_key_fails_naming_it():
    with pytest.raises(KeyError, match=re.escape("demo.missing")):
        render("{demo.missing}", {})
    assert keys_of("{a.b} and {a.c.low}") == {"a.b", "a.c"}


def test_the_readme_findings_block_is_the_generated_one():
    """CI's check of the README: the block between the markers is exactly what the committed records render."""
    readme = (ROOT / "README.md").read_text()
    assert current_readme_block(readme) == readme_block(records.load(records.COMMITTED_RECORDS)), (
        "README.md's Findings block is stale or edited by hand: run python -m dgpg_theory.report --readme"
    )


def test_negative_control_an_edited_number_in_the_readme_block_is_detected():
    committed = records.load(records.COMMITTED_RECORDS)
    block = readme_block(committed)
    edited = re.sub(r"\d\.\d", lambda m: m.group(0)[0] + "." + str((int(m.group(0)[2]) + 1) % 10), block, count=1)
    assert edited != block
    readme = replace_readme_block(f"intro\n{block}\nrest", edited)
    assert current_readme_block(readme) != block


def test_every_finding_renders_from_the_committed_records_and_names_checks_that_exist():
    committed = records.load(records.COMMITTED_RECORDS)
    for claim in CLAIMS:
        for finding in claim.findings:
            render(finding.text, committed.records)
            assert matching_outcomes(finding, committed.outcomes), f"{claim.id}: {finding.checks} match no check"
            assert not backing_problem(finding, committed.outcomes), (claim.id, finding.regime)


def test_a_finding_is_not_backed_when_one_of_its_checks_misbehaved():
    finding = Finding("demo", VERDICTS[0], "text", ("tests/demo.py::test_a",))
    assert backing_problem(finding, {"tests/demo.py::test_a": "passed"}) == ""
    assert "xpassed" in backing_problem(finding, {"tests/demo.py::test_a[1]": "xpassed"})
    assert backing_problem(finding, {}) != ""


def _xfail_reasons(path: Path) -> list[ast.expr]:
    """The reason= arguments of every pytest.mark.xfail(...) call in a file; each call must also say
    raises=AssertionError, so that no other error (a record mismatch, a bug) passes as the expected failure."""
    reasons = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("mark.xfail"):
            keywords = {keyword.arg: ast.unparse(keyword.value) for keyword in node.keywords}
            assert keywords.get("raises") == "AssertionError", (path.name, node.lineno)
            reasons += [keyword.value for keyword in node.keywords if keyword.arg == "reason"]
    return reasons


SECTION_NUMBER = re.compile(r"(§|Section |Theorem |Assumption |Lemma |Remark |Prop )[A-Z]?\d+(\.\d+)+")


def test_every_strict_xfail_of_the_paper_checks_quotes_its_numbers_from_records():
    """A reason is quote(template): its numbers come from records. The template's own text holds no decimal
    number but the equivalence margin 0.25 and the paper's section numbers (counts and N values are
    configuration, not measurements)."""
    for path in sorted((ROOT / "paper_checks").glob("test_*.py")):
        for reason in _xfail_reasons(path):
            assert isinstance(reason, ast.Call) and ast.unparse(reason.func) == "quote", (
                path.name,
                ast.unparse(reason),
            )
            template = ast.literal_eval(reason.args[0])
            literal = SECTION_NUMBER.sub("", records.PLACEHOLDER.sub("", template))
            assert set(re.findall(r"\d+\.\d+", literal)) <= {"0.25"}, (path.name, literal)


# ----------------------------------------------------------------------------------------------------------
# The plugin, end to end
# ----------------------------------------------------------------------------------------------------------

DEMO_TESTS = """
import pytest
from dgpg_theory.findings.reasons import quote

def test_measures(record):
    record("demo.share", 0.9712, ".2f")

@pytest.mark.xfail(strict=True, raises=AssertionError, reason=quote("share = {demo.share}"))
def test_claim(record):
    record("demo.share", 0.9712, ".2f")
    assert False
"""


def _committed(pytester, path: Path, share_text: str) -> None:
    value = float(share_text)
    record = {
        "key": "demo.share",
        "value": value,
        "fmt": ".2f",
        "low": None,
        "high": None,
        "test": "test_demo.py::test_measures",
    }
    path.write_text(json.dumps({"records": {"demo.share": record}, "outcomes": {}}))


@pytest.fixture
def demo(pytester, monkeypatch, tmp_path):
    pytester.makepyfile(test_demo=DEMO_TESTS)
    committed = tmp_path / "records.json"
    monkeypatch.setenv(records.RECORDS_VARIABLE, str(committed))
    return pytester, committed


def _run(pytester, *args):
    return pytester.runpytest_subprocess("-p", "dgpg_theory.findings.plugin", "-p", "no:cacheprovider", *args)


def test_plugin_passes_when_the_committed_numbers_are_what_the_code_measures(demo):
    pytester, committed = demo
    _committed(pytester, committed, "0.97")
    result = _run(pytester, "-rx")
    result.assert_outcomes(passed=1, xfailed=1)
    result.stdout.fnmatch_lines(["*share = 0.97*"])  # the xfail's reason, rendered from the records


def test_plugin_fails_the_run_when_a_committed_number_is_edited(demo):
    """What 'editing a number in an xfail reason' is here: the reason's numbers live in records.json."""
    pytester, committed = demo
    _committed(pytester, committed, "0.98")
    result = _run(pytester)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*demo.share: measured 0.97, records.json has 0.98*"])


def test_plugin_update_records_writes_what_was_measured(demo):
    pytester, committed = demo
    _committed(pytester, committed, "0.98")
    assert _run(pytester, "--update-records").ret == pytest.ExitCode.OK
    written = RecordSet.from_json(json.loads(committed.read_text()))
    assert written.records["demo.share"].text == "0.97"
    assert written.outcomes["test_demo.py::test_claim"] == "xfailed"
    assert _run(pytester).ret == pytest.ExitCode.OK


def test_plugin_fails_on_a_stale_record(demo):
    pytester, committed = demo
    _committed(pytester, committed, "0.97")
    data = json.loads(committed.read_text())
    data["records"]["demo.gone"] = dict(data["records"]["demo.share"], key="demo.gone")
    committed.write_text(json.dumps(data))
    result = _run(pytester)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*demo.gone*no longer records it*"])


# ----------------------------------------------------------------------------------------------------------
# The report, rendered from the committed records (no measurement)
# ----------------------------------------------------------------------------------------------------------


def test_the_report_renders_a_backed_verdict_row_per_finding_with_its_figures(tmp_path):
    from dgpg_theory.findings.figures import save_figures
    from dgpg_theory.findings.render import Provenance, report_markdown, verdict_rows

    committed = records.load(records.COMMITTED_RECORDS)
    rows = verdict_rows(committed, Provenance(frozenset(), "test"))
    assert len(rows) == sum(len(claim.findings) for claim in CLAIMS)
    assert {row["verdict"] for row in rows} <= set(VERDICTS)
    assert all(row["source"].startswith("from paper_checks/records.json") for row in rows)
    figures = save_figures(committed.records, tmp_path / "figures")
    assert all((tmp_path / path).stat().st_size > 0 for path in figures.values())
    text = report_markdown(rows, ["header"], figures, [])
    assert text.count("\n| [") == len(rows)
    assert "(figures/exponents.png)" in text and "(figures/training.png)" in text
    assert {claim.figure for claim in CLAIMS} - {""} <= set(figures)


def test_report_refuses_bad_input_naming_the_flag(capsys):
    from dgpg_theory import report

    with pytest.raises(SystemExit) as exit_info:
        report.main(["--workers", "0", "--out", "unused"])
    assert exit_info.value.code == 2
    assert "--workers=0; allowed: >= 1" in capsys.readouterr().err
    assert not Path("unused").exists()


TWO_RECORDS = """
import pytest

def test_measures(record):
    record("demo.share", 0.9712, ".2f")
    record("demo.other", 1.5, ".1f")

@pytest.mark.xfail(strict=True, reason="no raises= given")
def test_absorbing(record):
    record("demo.third", 3.0, ".1f")
    assert False
"""


def _write(path: Path, texts: dict[str, tuple[float, str]]) -> None:
    tests = {"demo.share": "test_measures", "demo.other": "test_measures", "demo.third": "test_absorbing"}
    data = {
        key: {"key": key, "value": v, "fmt": f, "low": None, "high": None, "test": f"test_demo.py::{tests[key]}"}
        for key, (v, f) in texts.items()
    }
    path.write_text(json.dumps({"records": data, "outcomes": {}}))


def test_plugin_reports_every_mismatch_of_a_test_and_no_false_stale_one(demo):
    """A mismatch in the first record does not stop the second, and an xfail without raises= cannot absorb it."""
    pytester, committed = demo
    pytester.makepyfile(test_demo=TWO_RECORDS)
    _write(committed, {"demo.share": (0.98, ".2f"), "demo.other": (1.5, ".1f"), "demo.third": (3.1, ".1f")})
    out = pytester.path / "out.json"
    result = _run(pytester, f"--records-out={out}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*demo.share: measured 0.97, records.json has 0.98*", "*demo.third: measured 3.0*"])
    result.stdout.no_fnmatch_line("*demo.other*stale*")
    assert RecordSet.from_json(json.loads(out.read_text())).outcomes["test_demo.py::test_absorbing"] == "failed"


def test_plugin_update_keeps_the_records_of_a_test_that_did_not_run_to_its_end(demo):
    pytester, committed = demo
    broken = TWO_RECORDS.replace('    record("demo.other", 1.5, ".1f")', "    raise RuntimeError")
    pytester.makepyfile(test_demo=broken)
    _write(committed, {"demo.share": (0.98, ".2f"), "demo.other": (1.5, ".1f"), "demo.third": (3.0, ".1f")})
    _run(pytester, "--update-records")
    written = RecordSet.from_json(json.loads(committed.read_text())).records
    assert written["demo.share"].text == "0.98" and "demo.other" in written  # the failed test's records stay
