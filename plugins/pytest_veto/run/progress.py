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


def rate_line(label: str, done: int, total: int, elapsed_s: float) -> str:
    """``label: done/total, R/s (elapsed, about N left)``: :func:`count_line` with the
    rate of finished cases per second."""
    line = count_line(label, done, total, elapsed_s)
    if elapsed_s <= 0 or not done:
        return line
    head = f"{label}: {done}/{total}"
    return f"{head}, {done / elapsed_s:.1f}/s{line[len(head) :]}"


#: no progress line in a phase's first seconds: pytest's own output is enough there
QUIET_S = 10.0


class Counter:
    """Finished cases of one phase (VETO pairs, primed pairs, Mis-Align items), counted
    by the controller from test reports, so it works the same under xdist (workers print
    nothing). :meth:`finish` returns a line when one is due: each time another tenth of
    the phase is done, or ``every_s`` seconds after the last line, and at the end; whole
    lines only, no carriage returns, so a CI log gets a few readable lines. Nothing in
    the first ``quiet_s`` seconds (a run that short needs no progress)."""

    def __init__(
        self,
        label: str,
        total: int,
        started: float,
        every_s: float = 30.0,
        quiet_s: float | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self._every_s = every_s
        self._quiet_s = QUIET_S if quiet_s is None else quiet_s
        self._start = started  # when the tests started: the rate includes model loading
        self._last_line: float | None = None
        self._last_tenth = 0

    def finish(self, now: float) -> str | None:
        """Count one finished case at ``now`` (a monotonic clock); the line, if due."""
        self.done += 1
        tenth = 10 * self.done // self.total if self.total else 10
        if now - self._start < self._quiet_s:  # a short run needs no progress lines
            return None
        due = (
            self.done >= self.total
            or tenth > self._last_tenth
            or now - (self._start if self._last_line is None else self._last_line) >= self._every_s
        )
        if not due:
            return None
        self._last_tenth, self._last_line = tenth, now
        return rate_line(self.label, self.done, self.total, now - self._start)


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
        if self._config.get_verbosity() < 0:  # -q: no progress lines
            return
        reporter = self._config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        capture = self._config.pluginmanager.get_plugin("capturemanager")
        if capture is None:
            _end_line(reporter)
            reporter.write_line(line)
            return
        with capture.global_and_fixture_disabled():
            _end_line(reporter)
            reporter.write_line(line)


def _end_line(reporter: Any) -> None:
    """End a line of progress dots first (xdist's dots do not count for
    ``ensure_newline``), so a progress line starts a line of its own."""
    reporter.ensure_newline()
    writer = getattr(reporter, "_tw", None)
    if writer is not None and writer.width_of_current_line:
        reporter.write("\n")
