"""The JUnit file for CI dashboards: valid under pytest's default xunit2 family (checked
against ``fixtures/schemas/junit-xunit2.xsd``) with both suites and their gates, at -n 0
and -n 2, and ``--veto-misfires-as=xfail`` for dashboards that must be green on a
passing gate."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

xmlschema = pytest.importorskip("xmlschema", reason="the dev extra installs xmlschema")

ROOT = Path(__file__).resolve().parents[2]
VETO_TESTS = ROOT / "plugins" / "pytest_veto" / "suite"
XSD = ROOT / "fixtures" / "schemas" / "junit-xunit2.xsd"
NO_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")
#: misfires at 10% of the 64 sample pairs (and misjudges 10% of the Mis-Align items)
MISFIRE = ("--model=reference/misfire:0.1", "--mar-max=15", "--misalign-min-score=0.5")
N = [pytest.param("0", id="n0"), pytest.param("2", id="n2")]


def junit_of(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, Path]:
    pytester.makeini("[pytest]\n")
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest_subprocess(
        str(VETO_TESTS), *NO_PLUGINS, f"--junitxml={junit}", *args
    )
    assert junit.exists(), result.stdout.str()
    return result, junit


def validate(junit: Path) -> None:
    """Raise with the first violation (element path and reason) when invalid."""
    xmlschema.XMLSchema(str(XSD)).validate(str(junit))


def cases(junit: Path) -> dict[str, ET.Element]:
    return {tc.get("name", ""): tc for tc in ET.parse(junit).getroot().iter("testcase")}


def test_the_schema_rejects_properties_inside_a_testcase(tmp_path: Path) -> None:
    """The check can fail: what pytest-veto wrote before (a ``<properties>`` per case)."""
    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<testsuites><testsuite name="pytest" tests="1" failures="0" errors="0">'
        '<testcase name="t"><properties><property name="gate" value="x"/></properties>'
        "</testcase></testsuite></testsuites>"
    )
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        validate(bad)


@pytest.mark.parametrize("n", N)
def test_junit_validates_with_both_suites_and_gates(pytester: pytest.Pytester, n: str) -> None:
    result, junit = junit_of(pytester, *MISFIRE, "-n", n)
    assert result.ret == 0, result.stdout.str()
    validate(junit)
    by_name = cases(junit)
    assert any(name.startswith("test_pair[") for name in by_name)
    assert any(name.startswith("test_misalign_item[") for name in by_name)
    assert by_name["veto_gate[mar_max]"].find("failure") is None
    # misfires stay failed cases by default: they are the per-pair assertions
    assert any(
        tc.find("failure") is not None for name, tc in by_name.items() if "test_pair[" in name
    )
    # the gates' numbers are suite properties (xunit2 has none per case)
    props = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
    assert float(props["veto_gate[mar_max].threshold"] or "nan") == 15.0


@pytest.mark.parametrize("n", N)
def test_misfires_as_xfail_leave_a_passing_gate_green(pytester: pytest.Pytester, n: str) -> None:
    result, junit = junit_of(pytester, *MISFIRE, "--veto-misfires-as=xfail", "-n", n, "-rx")
    assert result.ret == 0, result.stdout.str()
    validate(junit)
    by_name = cases(junit)
    assert all(tc.find("failure") is None for tc in by_name.values())
    skipped = [s for tc in by_name.values() if (s := tc.find("skipped")) is not None]
    xfailed = [s for s in skipped if s.get("type") == "pytest.xfail"]
    messages = [s.get("message", "") for s in xfailed]
    assert any("MISFIRE" in m for m in messages), messages
    assert any("misaligned" in m.lower() for m in messages), messages
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and outcomes["xfailed"] == len(xfailed)


def test_misfires_as_xfail_do_not_hide_a_failing_gate(pytester: pytest.Pytester) -> None:
    result, junit = junit_of(
        pytester, "--model=reference/misfire:0.1", "--mar-max=5", "--veto-misfires-as=xfail"
    )
    assert result.ret == 1
    validate(junit)
    assert cases(junit)["veto_gate[mar_max]"].find("failure") is not None
