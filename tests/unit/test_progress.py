"""Progress lines for long fixture steps: the wording, the estimate and the throttle."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_veto.progress import TerminalProgress, count_line


def test_count_line_estimates_the_time_left_at_a_steady_rate() -> None:
    assert count_line("pairs", 3, 10, 90.0) == "pairs: 3/10 (1 min 30 s, about 3 min 30 s left)"
    assert count_line("pairs", 0, 10, 5.0) == "pairs: 0/10 (5 s)"  # no rate yet: no estimate
    assert count_line("pairs", 10, 10, 3725.0) == "pairs: 10/10 (62 min 05 s)"


@given(st.integers(1, 10_000), st.integers(0, 10_000), st.floats(0.0, 1e6))
def test_count_line_names_the_counts_and_never_a_negative_time(
        total: int, done: int, elapsed: float) -> None:
    done = min(done, total)
    line = count_line("x", done, total, elapsed)
    assert line.startswith(f"x: {done}/{total} (")
    assert "-" not in line
    assert ("left" in line) == (0 < done < total)


class FakeReporter:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def ensure_newline(self) -> None:
        pass

    def write_line(self, line: str) -> None:
        self.lines.append(line)


class FakeCapture:
    def __init__(self) -> None:
        self.suspended = 0

    @contextmanager
    def global_and_fixture_disabled(self) -> Any:
        self.suspended += 1
        yield


class FakePluginManager:
    def __init__(self, plugins: dict[str, Any]) -> None:
        self.plugins = plugins

    def get_plugin(self, name: str) -> Any:
        return self.plugins.get(name)


class FakeConfig:
    def __init__(self, plugins: dict[str, Any], worker: bool = False) -> None:
        self.pluginmanager = FakePluginManager(plugins)
        if worker:
            self.workerinput = {"workerid": "gw0"}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lines_are_throttled_unless_forced_and_written_with_capture_suspended() -> None:
    reporter, capture, clock = FakeReporter(), FakeCapture(), Clock()
    config = FakeConfig({"terminalreporter": reporter, "capturemanager": capture})
    progress = TerminalProgress(config, every_s=10.0, clock=clock)
    progress("first")
    clock.now = 5.0
    progress("too soon")
    progress("the last one", force=True)
    clock.now = 16.0
    progress("later")
    assert reporter.lines == ["pytest-veto first", "pytest-veto the last one", "pytest-veto later"]
    assert capture.suspended == 3


@pytest.mark.parametrize("config", [
    FakeConfig({"terminalreporter": FakeReporter()}, worker=True),
    FakeConfig({}),
], ids=["xdist-worker", "no-terminal"])
def test_nothing_is_written_where_no_terminal_shows_it(config: FakeConfig) -> None:
    TerminalProgress(config)("hello")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    assert reporter is None or reporter.lines == []
