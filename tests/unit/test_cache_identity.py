"""The model's identity in the cache key and the report: ``--veto-model-revision``, the
model the API says served an answer, and the answers per suite from cache and fresh."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from pytest_veto.backends.litellm_backend import served_model
from pytest_veto.run.completions import CacheThrough
from pytest_veto.run.response_cache import ResponseCache
from tests.unit.test_completions import Backend, Counter, req


def test_a_revision_is_part_of_every_cache_key(tmp_path: Path) -> None:
    backend = Backend()
    with ResponseCache.open(tmp_path) as cache:
        CacheThrough(cache, "r1").complete(backend, [req("p")], Counter())
        again = CacheThrough(cache, "r1")
        again.complete(backend, [req("p")], Counter())
        assert (again.counts.from_cache, again.counts.sent) == (1, 0)
        for other in ("r2", None):  # another release, or none named: asked afresh
            path = CacheThrough(cache, other)
            path.complete(backend, [req("p")], Counter())
            assert (path.counts.from_cache, path.counts.sent) == (0, 1)


@pytest.mark.parametrize(
    ("model", "fingerprint", "expected"),
    [
        ("gpt-4o-2024-08-06", "fp_abc", "gpt-4o-2024-08-06 (fp_abc)"),
        ("llama-3", None, "llama-3"),
        (None, "fp_abc", "? (fp_abc)"),
        ("  ", "", None),
        (None, None, None),
        (3, None, None),  # not a string: nothing said
    ],
)
def test_the_served_model_is_read_from_the_response(
    model: object, fingerprint: object, expected: str | None
) -> None:
    response = SimpleNamespace(model=model, system_fingerprint=fingerprint)
    assert served_model(response) == expected
    assert served_model(object()) is None
