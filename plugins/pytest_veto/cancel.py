"""Cancellation: SIGTERM (how CI cancels a job) stops a run like Ctrl-C, and a second
interrupt while the partial report is written is announced and ignored.

pytest turns Ctrl-C into an interrupted session that still runs ``pytest_sessionfinish``,
so the controller writes a partial JSON report and JUnit file (with a failed
``interrupted`` gate). This module only handles the signals; it imports nothing of the
package.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import Any


class SignalGuard:
    """The run's signal handlers, and whether an interrupt stopped it."""

    def __init__(self) -> None:
        #: Ctrl-C or SIGTERM stopped the run
        self.interrupted = False
        self._handlers: dict[int, Any] = {}
        self._ignored = 0

    def on_sigterm(self) -> None:
        """From now on SIGTERM stops the run as Ctrl-C does."""
        if _main_thread():
            self._handlers[signal.SIGTERM] = signal.signal(signal.SIGTERM, _interrupt)

    def interrupt_seen(self) -> None:
        """The run was interrupted: until the partial report is written, a second Ctrl-C
        or SIGTERM is announced and ignored (a third one stops at once)."""
        self.interrupted = True
        if _main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous = signal.signal(sig, self._while_writing)
                self._handlers.setdefault(sig, previous)

    def restore(self) -> None:
        """Put back the handlers this guard replaced."""
        if _main_thread():
            for sig, handler in self._handlers.items():
                signal.signal(sig, handler)
        self._handlers.clear()

    def _while_writing(self, signum: int, frame: FrameType | None) -> None:
        self._ignored += 1
        if self._ignored > 1:
            self.restore()
            raise KeyboardInterrupt
        sys.stderr.write(
            "\npytest-veto: writing the partial report and JUnit file; interrupt once more "
            "to stop without them\n"
        )


def _main_thread() -> bool:
    """Signal handlers can be set only from the main thread (not in an embedded run)."""
    return threading.current_thread() is threading.main_thread()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM as Ctrl-C: pytest stops the run and finishes the session."""
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")
