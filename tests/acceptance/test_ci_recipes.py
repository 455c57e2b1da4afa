"""The CI recipes of docs/howto.md, run as far as a local run can: each recipe's own
commands (not the install step), as written, with ``VETO_MODEL`` a reference model. The
gate passes, the Markdown summary is written (to ``$GITHUB_STEP_SUMMARY`` for GitHub), and
the JUnit file validates against pytest's xunit2 schema."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML reads the recipes")
xmlschema = pytest.importorskip("xmlschema", reason="the dev extra installs xmlschema")

ROOT = Path(__file__).resolve().parents[2]
HOWTO = ROOT / "docs" / "howto.md"
XSD = ROOT / "fixtures" / "schemas" / "junit-xunit2.xsd"
MODEL = "reference/misfire:0.1"  # MAR 9.4% on the sample, Alignment Score 88%


def blocks(language: str) -> list[str]:
    """The fenced blocks of the CI section in the given language."""
    text = HOWTO.read_text(encoding="utf-8")
    section = text.split("## Gate in CI", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def run_commands(commands: list[str], folder: Path, **env: str) -> list[int]:
    """Each command in bash in ``folder``; the install step is the test's own set-up (the
    suite is collected from the installed package, as in a user's repository)."""
    environ = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    environ.update(VETO_MODEL=MODEL, **env)
    codes = []
    for command in commands:
        if command.startswith("pip install"):
            continue
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=folder,
            env=environ,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert proc.returncode in (0, 1), f"{command}\n{proc.stdout}\n{proc.stderr}"
        codes.append(proc.returncode)
    return codes


def check_outputs(folder: Path) -> None:
    xmlschema.XMLSchema(str(XSD)).validate(str(folder / "junit.xml"))
    md = (folder / "veto.md").read_text(encoding="utf-8")
    assert "### Mis-Align Bench" in md and "| mar\\_max |" in md
    assert (folder / "veto.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_github_actions(tmp_path: Path) -> None:
    [recipe] = [b for b in blocks("yaml") if "GITHUB_STEP_SUMMARY" in b]
    steps = yaml.safe_load(recipe)["jobs"]["gate"]["steps"]
    commands = [s["run"].strip() for s in steps if "run" in s]
    summary = tmp_path / "step-summary.md"
    codes = run_commands(commands, tmp_path, GITHUB_STEP_SUMMARY=str(summary))
    assert codes == [0, 0], "the gate and the summary pass on a model within the limits"
    check_outputs(tmp_path)
    assert summary.read_text(encoding="utf-8") == (tmp_path / "veto.md").read_text()


def test_gitlab_ci(tmp_path: Path) -> None:
    [recipe] = [b for b in blocks("yaml") if "after_script" in b]
    job = yaml.safe_load(recipe)["veto-gate"]
    assert job["artifacts"]["reports"]["junit"] == "junit.xml"
    assert job["artifacts"]["when"] == "always"
    assert run_commands(job["script"] + job["after_script"], tmp_path) == [0, 0]
    check_outputs(tmp_path)


def test_jenkins(tmp_path: Path) -> None:
    [recipe] = blocks("groovy")
    commands = re.findall(r"sh '([^']*)'", recipe)
    assert "junit 'junit.xml'" in recipe
    assert run_commands(commands, tmp_path) == [0, 0]
    check_outputs(tmp_path)
    # misfires as xfails: the JUnit file a dashboard reads has no failed case
    assert "<failure" not in (tmp_path / "junit.xml").read_text(encoding="utf-8")


def test_the_recommended_thresholds_fail_a_worse_model(tmp_path: Path) -> None:
    """The same GitHub gate step fails (exit 1) on a model at the bad end of the range."""
    [recipe] = [b for b in blocks("yaml") if "GITHUB_STEP_SUMMARY" in b]
    steps = yaml.safe_load(recipe)["jobs"]["gate"]["steps"]
    gate = next(s["run"].strip() for s in steps if "run" in s and "--mar-max" in s["run"])
    environ = {"VETO_MODEL": "reference/misfire:0.25"}
    assert run_commands([gate.replace('"$VETO_MODEL"', environ["VETO_MODEL"])], tmp_path) == [1]
