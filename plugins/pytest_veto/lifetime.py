"""How long a session's objects are watched by the garbage collector.

What collection builds (items, pairs, parameters) and what the controller gathers
(results) live until the session ends. Every full collection walks them again, and
pytest runs five at exit (``_pytest.unraisableexception``): 0.6 s of a 2,032-pair run
(docs/performance.md). :func:`freeze_session_objects` moves everything alive into the
collector's permanent generation (``gc.freeze``), so those walks skip it.

They stay frozen until the process ends, since pytest's collections at exit come after
every hook and cleanup a plugin can add. A process that runs pytest again (an in-process
pytester run) gives the previous session's objects back at the next configure
(:func:`thaw_previous_session`), so sessions do not pile up.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_session_objects() -> None:
    """Freeze every object alive now (see the module docstring)."""
    global _frozen
    gc.freeze()
    _frozen = True


def thaw_previous_session() -> None:
    """Give a previous session's frozen objects back to the collector, if any."""
    global _frozen
    if _frozen:
        gc.unfreeze()
        _frozen = False
