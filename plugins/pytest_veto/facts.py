"""What the controller reads about a run's inputs when it builds the run's context: the
data set's digest and sizes, the priming variants' forms, the Mis-Align items and the
exploration templates, and the ``--veto-baseline`` report. Each reads what the settings
loaded (``state``); a file that does not load is already a collection error, which fails
the run, so here it gives "unknown" rather than a second error.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_veto import state
from pytest_veto.settings import RunSettings


def load_baseline(settings: RunSettings) -> dict[str, Any] | None:
    """Read and schema-check ``--veto-baseline`` at start: a bad file is a usage error
    before any model is asked anything."""
    baseline = settings.gates.baseline
    if baseline is None:
        return None
    from pytest_veto.report.command import ReportInputError, load_report

    try:
        return load_report(baseline)
    except ReportInputError as exc:
        raise pytest.UsageError(f"--veto-baseline {exc}") from None


def dataset_facts(config: pytest.Config) -> tuple[str, int | None, int | None]:
    """The data set's SHA-256, the pair cases it holds (each pair under the base run and
    every requested variant) and its control questions; ("", None, None) when the pairs
    or the priming files do not load (already a collection error, which fails the run)."""
    try:
        dataset = state.dataset(config)
        variants = state.variants(config)
    except (ValueError, OSError):
        return "", None, None
    controls = sum(p.control is not None for p in dataset.pairs)
    return dataset.sha256, len(dataset.pairs) * (1 + len(variants)), controls


def item_count(config: pytest.Config) -> int | None:
    """The Mis-Align items the data set holds; None when they do not load (already a
    collection error, which fails the run)."""
    try:
        items, _ = state.misalign(config)
    except (ValueError, OSError):  # MisalignDataError is a ValueError
        return None
    return len(items)


def template_count(config: pytest.Config) -> int | None:
    """The templates exploring can draw from; None when they do not load (already a
    collection error, which fails the run)."""
    try:
        templates, _ = state.exploration(config)
    except (ValueError, OSError):  # a DataError is a ValueError
        return None
    return len(templates.templates)


def forms(config: pytest.Config) -> dict[str, str]:
    """Priming variant -> form; bad variants are reported at collection, not here."""
    from pytest_veto.run.priming import PrimingError

    try:
        return {v.name: v.form for v in state.variants(config)}
    except (PrimingError, OSError):
        return {}
