"""Building the worker's case runner from the run settings (backend, cache, lookahead)."""

from __future__ import annotations

from pytest_veto.backends import backend_kind, create_backend
from pytest_veto.run.runner import CacheLike, CaseRunner
from pytest_veto.settings import RunSettings


def make_runner(settings: RunSettings) -> CaseRunner:
    """A runner for this process; the backend itself is created on first use."""
    assert settings.model is not None, "the model suite runs only with --model"
    model = settings.model
    kind = backend_kind(model)
    cache: CacheLike | None = None
    # reference answers depend on fields outside the cache key and cost nothing: never cached
    if kind != "reference" and not settings.no_cache:
        cache = _open_cache(settings)
    if kind == "litellm":
        lookahead = 2 * settings.backend.concurrency
    elif kind == "hf":
        lookahead = 2 * settings.backend.batch_size
    else:
        lookahead = 0  # reference models answer instantly
    return CaseRunner(
        lambda: create_backend(model, settings.backend),
        settings.condition,
        cache=cache,
        lookahead=lookahead,
    )


def _open_cache(settings: RunSettings) -> CacheLike:
    from pytest_veto.run.response_cache import ResponseCache

    # never raises: a corrupt or locked cache degrades to no cache with one warning
    return ResponseCache.open(settings.cache_dir)
