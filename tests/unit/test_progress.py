"""Progress lines for long fixture steps: the wording, the estimate and the throttle."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_veto.run.progress import TerminalProgress, count_line


def test_count_line_estimates_the_time_left_at_a_steady_rate() -> None:
    assert count_line("pairs", 3, 10, 90.0) == "pairs: 3/10 (1 min 30 s, about 3 min 30 s left)"
    assert count_line("pairs", 0, 10, 5.0) == "pairs: 0/10 (5 s)"  # no rate yet: no estimate
    # before 1% the first batch's set-up would inflate the estimate: none is given
    assert count_line("pairs", 1, 2032, 8.0) == "pairs: 1/2032 (8 s)"
    assert count_line("pairs", 21, 2032, 8.0).endswith("left)")
    assert count_line("pairs", 10, 10, 3725.0) == "pairs: 10/10 (62 min 05 s)"


@given(st.integers(1, 10_000), st.integers(0, 10_000), st.floats(0.0, 1e6))
def test_count_line_names_the_counts_and_never_a_negative_time(
    total: int, done: int, elapsed: float
) -> None:
    done = min(done, total)
    line = count_line("x", done, total, elapsed)
    assert line.startswith(f"x: {done}/{total} (")
    assert "-" not in line
    assert ("left" in line) == (0 < done < total and 100 * done >= total)


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
    def __init__(self, plugins: dict[str, Any], worker: bool = False, verbosity: int = 0) -> None:
        self.pluginmanager = FakePluginManager(plugins)
        self.verbosity = verbosity
        if worker:
            self.workerinput = {"workerid": "gw0"}

    def get_verbosity(self) -> int:
        return self.verbosity


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


@pytest.mark.parametrize(
    "config",
    [
        FakeConfig({"terminalreporter": FakeReporter()}, worker=True),
        FakeConfig({}),
        FakeConfig({"terminalreporter": FakeReporter()}, verbosity=-1),
    ],
    ids=["xdist-worker", "no-terminal", "quiet"],
)
def test_nothing_is_written_where_no_terminal_shows_it(config: FakeConfig) -> None:
    TerminalProgress(config)("hello")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    assert reporter is None or reporter.lines == []


class FakeRunner:
    """Judges every pair at once; records the lookahead it was offered."""

    def __init__(self) -> None:
        self.upcoming: list[int] = []

    def result(self, case: Any, upcoming: Any) -> Any:
        from types import SimpleNamespace

        self.upcoming.append(len(list(upcoming)))
        return SimpleNamespace(pair_id=case.pair.id, category=case.pair.category, outcome="c")


def test_outcomes_from_run_report_progress_and_end_with_a_forced_line() -> None:
    from pytest_veto.data.pairs import load_pairs
    from pytest_veto.data.resources import fixtures_dir
    from pytest_veto.lens.suite import outcomes_from_run

    pairs = load_pairs(fixtures_dir() / "veto_sample.jsonl")[:5]
    lines: list[tuple[str, bool]] = []
    runner = FakeRunner()
    found = outcomes_from_run(
        runner, pairs, None, lambda line, *, force=False: lines.append((line, force))
    )
    assert found == [(p.id, p.category, "c") for p in pairs]
    assert runner.upcoming == [4, 3, 2, 1, 0]  # each case offers the rest as lookahead
    assert len(lines) == 5 and [f for _, f in lines] == [False] * 4 + [True]
    assert lines[-1][0].startswith("lens: behavioural outcomes (base), pairs: 5/5 (")
