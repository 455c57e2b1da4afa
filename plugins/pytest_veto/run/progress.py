"""Progress lines for long steps that run inside a fixture, where pytest shows nothing.

The logit lens may first have to run every pair to learn the model's outcomes (on a CPU
that is most of an hour for the full VETO set), and the exact head sweep takes minutes;
without a line now and then a CI log looks hung. Lines go through the terminal
reporter with output capture suspended, at most one per ``every_s`` seconds unless
forced, and only in the process that owns the terminal (xdist workers stay quiet).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol


class ProgressSink(Protocol):
    """Where long steps report: a line, shown unless throttled; ``force`` always shows."""

    def __call__(self, line: str, *, force: bool = False) -> None: ...


def count_line(label: str, done: int, total: int, elapsed_s: float) -> str:
    """``label: done/total (elapsed, about N left)``. The estimate assumes a steady rate
    and is left out before 1% is done (the first batch also pays for set-up and
    lookahead, which would inflate it)."""
    line = f"{label}: {done}/{total} ({_duration(elapsed_s)}"
    if 0 < done < total and 100 * done >= total:
        line += f", about {_duration(elapsed_s * (total - done) / done)} left"
    return line + ")"


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


class TerminalProgress:
    """A callable that writes throttled progress lines to the pytest terminal."""

    def __init__(
        self, config: Any, every_s: float = 15.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._config = config
        self._every_s = every_s
        self._clock = clock
        self._last: float | None = None

    def __call__(self, line: str, *, force: bool = False) -> None:
        now = self._clock()
        if not force and self._last is not None and now - self._last < self._every_s:
            return
        self._last = now
        self._write(f"pytest-veto {line}")

    def _write(self, line: str) -> None:
        if hasattr(self._config, "workerinput"):  # an xdist worker: nobody sees its terminal
            return
        reporter = self._config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        capture = self._config.pluginmanager.get_plugin("capturemanager")
        if capture is None:
            reporter.write_line(line)
            return
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(line)
