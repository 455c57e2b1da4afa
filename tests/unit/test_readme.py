"""The README's two set-up commands and CI stay in step."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = text.split("## Set up and run", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", setup, re.DOTALL)]


def test_readme_starts_with_exactly_two_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    run_suite, run_tests = commands
    assert "pytest --model=" in run_suite
    assert run_tests.endswith("python -m pytest -n 2")  # both cores: CI in about 13 min
    # the static checks run before the tests, so CI fails on them too
    for check in ("ruff check .", "ruff format --check .", "mypy"):
        assert f"&& {check} &&" in run_tests
    # torch's CPU build must be installed before the extras pull in a torch requirement
    for c in commands:
        assert c.index("pip install torch==2.13.0") < c.index("pip install -e")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_commands()[1] in ci.splitlines()
    assert '"$rc" -eq 5' in ci  # "no tests ran" is handled, not passed
