"""Which items this process will run next, so their prompts can be sent ahead in a batch.

Without xdist: the items after the current one in ``session.items``. In an xdist worker:
the worker's pending queue (read under its lock, never modified). With the default
``--dist load`` nothing is taken back from a worker's queue, so what we prefetch is what
we run; under work stealing a stolen item's prefetched answer is simply not used.

The worker's state is private to xdist (the ``WorkerInteractor`` plugin, its
``nextitem_index`` and ``torun.lock()``) and read only here; ``tests/unit/test_prefetch.py``
fails, naming the xdist version, when a release changes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

_POSITIONS = pytest.StashKey[dict[str, int]]()


def _worker_interactor(config: pytest.Config) -> Any:
    for plugin in config.pluginmanager.get_plugins():
        if type(plugin).__name__ == "WorkerInteractor" and hasattr(plugin, "torun"):
            return plugin
    return None


def upcoming_items(item: pytest.Item, limit: int) -> list[pytest.Item]:
    """Up to ``limit`` items this process will run after ``item`` (best effort)."""
    if limit <= 0:
        return []
    session = item.session
    items = session.items
    interactor = _worker_interactor(item.config)
    if interactor is not None:
        indices: list[int] = []
        nxt = getattr(interactor, "nextitem_index", None)
        if isinstance(nxt, int):
            indices.append(nxt)
        try:
            with interactor.torun.lock() as queue:
                for i in queue:
                    if len(indices) >= limit:
                        break
                    if isinstance(i, int):
                        indices.append(i)
        except AttributeError:  # an xdist without the inspectable queue: no lookahead
            pass
        return [items[i] for i in indices if 0 <= i < len(items)]
    positions = item.config.stash.get(_POSITIONS, None)
    if positions is None or len(positions) != len(items):
        positions = {it.nodeid: n for n, it in enumerate(items)}
        item.config.stash[_POSITIONS] = positions
    start = positions.get(item.nodeid)
    if start is None:
        return []
    return items[start + 1 : start + 1 + limit]


def upcoming_params(item: pytest.Item, name: str, limit: int) -> Iterator[Any]:
    """The ``name`` parameters of the next (up to ``limit``) items this process runs that
    have one, e.g. the cases whose prompts can be sent with ``item``'s."""
    for other in upcoming_items(item, limit):
        params = getattr(getattr(other, "callspec", None), "params", {})
        if name in params:
            yield params[name]
