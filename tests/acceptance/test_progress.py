"""Progress lines through the real plugin: what will run, then done/total with rate and
time left per phase, each on a line of its own (no carriage returns), printed by the
controller only, at -n 0 and -n 2; nothing under -q. The quiet start (no line in a
phase's first seconds) is set to 0 by a plugin, so the fast reference model shows its
lines without any timing in the test (a plugin module given with ``-p``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

VETO_TESTS = Path(__file__).resolve().parents[2] / "plugins" / "pytest_veto" / "suite"
NO_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")
QUIET_START = "import pytest_veto.run.progress as progress\nprogress.QUIET_S = 0.0\n"
LINE = re.compile(r"^pytest-veto (VETO pairs|primed pairs|Mis-Align items): (\d+)/(\d+)")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(veto_no_quiet_start=QUIET_START)
    return pytester.runpytest_subprocess(
        str(VETO_TESTS),
        *NO_PLUGINS,
        "-p",
        "veto_no_quiet_start",
        "--model=reference/misfire:0.1",
        "--veto-priming=trigger",
        *args,
    )


@pytest.mark.parametrize("n", ["0", "2"])
def test_progress_lines_per_phase(pytester: pytest.Pytester, n: str) -> None:
    result = run(pytester, "-n", n)
    out = result.stdout.str()
    assert "\r" not in out
    result.stdout.fnmatch_lines(
        [
            "pytest-veto running 64 VETO pairs, 64 primed pairs, 60 Mis-Align items "
            "with reference/misfire:0.1"
        ]
    )
    seen: dict[str, list[int]] = {}
    for line in result.stdout.lines:
        if (m := LINE.match(line)) is not None:
            seen.setdefault(m[1], []).append(int(m[2]))
            assert int(m[3]) == {"Mis-Align items": 60}.get(m[1], 64)
            assert re.search(r", [\d.]+/s \(", line), line
    assert set(seen) == {"VETO pairs", "primed pairs", "Mis-Align items"}
    for phase, done in seen.items():
        assert done == sorted(done) and done[-1] == (60 if "Mis" in phase else 64)
        assert 10 <= len(done) <= 11, (phase, done)  # a tenth at a time, not per case
    # a line not ended by pytest's dots: every progress line starts its own line
    assert not any("pytest-veto" in line[1:] for line in result.stdout.lines)


def test_quiet_runs_print_no_progress(pytester: pytest.Pytester) -> None:
    result = run(pytester, "-n", "2", "-q")
    assert "pytest-veto" not in result.stdout.str()
