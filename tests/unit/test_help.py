"""``pytest --help`` shows what an option's value means, never argparse's placeholder made
from its dest (``--veto-seed=VETO_SEED``)."""

from __future__ import annotations

from _pytest.config.argparsing import Parser

from pytest_veto.settings import add_options


def test_every_value_has_a_meaningful_placeholder() -> None:
    parser = Parser(_ispytest=True)
    add_options(parser)
    group = parser.getgroup("veto")
    checked = 0
    for option in group.options:
        attrs = option.attrs()
        if attrs.get("action") == "store_true" or "choices" in attrs:
            continue
        metavar = attrs.get("metavar")
        assert metavar, f"{option.names()} has no placeholder"
        assert metavar != attrs["dest"].upper(), f"{option.names()} shows {metavar}"
        checked += 1
    assert checked > 20


def test_every_command_is_documented() -> None:
    """Each ``pytest-veto`` command and subcommand (``misalign dedup`` ...) has its row in
    docs/reference.md."""
    import argparse
    from pathlib import Path

    from pytest_veto.cli import build_parser

    reference = (Path(__file__).resolve().parents[2] / "docs" / "reference.md").read_text()

    def commands(parser: argparse.ArgumentParser, prefix: str) -> list[str]:
        found = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    below = commands(sub, f"{prefix} {name}")
                    found += below or [f"{prefix} {name}"]
        return found

    names = commands(build_parser(), "pytest-veto")
    assert "pytest-veto misalign dedup" in names
    assert [n for n in names if f"| `{n} " not in reference] == []
