"""Where the plugin keeps state between pytest hooks: one stash entry per thing, each
loaded at most once per process (the controller and every xdist worker).

``config.stash`` holds the run's settings, what they load (pairs, priming variants,
Mis-Align items and template, exploration's templates and cues) and the process's case
runner; ``item.stash`` holds a test's result until its report is made
(``plugin.pytest_runtest_makereport`` moves it onto the report, ``run.wire``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_veto.run.wire import CONTROL, EXPLORE, ITEM, LENS, PAIR, Channel
from pytest_veto.settings import RunSettings

if TYPE_CHECKING:  # loaded only when a model suite runs
    from pytest_veto.data.dataset import Dataset
    from pytest_veto.run.priming import PrimingVariant
    from pytest_veto.run.runner import CaseRunner

SETTINGS = pytest.StashKey[RunSettings]()
DATASET = pytest.StashKey["Dataset"]()
VARIANTS = pytest.StashKey["list[PrimingVariant]"]()
MISALIGN = pytest.StashKey[tuple[Any, Any]]()
RUNNER = pytest.StashKey["CaseRunner"]()
EXPLORATION = pytest.StashKey[tuple[Any, "list[PrimingVariant]"]]()

#: item stash entry -> the channel its envelope crosses to the controller on
RESULTS: dict[Channel, pytest.StashKey[dict[str, Any]]] = {
    PAIR: pytest.StashKey[dict[str, Any]](),
    ITEM: pytest.StashKey[dict[str, Any]](),
    LENS: pytest.StashKey[dict[str, Any]](),
    CONTROL: pytest.StashKey[dict[str, Any]](),
    EXPLORE: pytest.StashKey[dict[str, Any]](),
}


def junit_properties(config: pytest.Config) -> bool:
    """Whether JUnit test cases may carry ``<properties>``: only in the legacy xunit1
    family; pytest's default xunit2 schema has no properties inside a test case (the
    values are in the test's name and in the JSON report)."""
    return bool(config.getini("junit_family") == "xunit1")


def settings(config: pytest.Config) -> RunSettings:
    """The run's settings (resolved in ``pytest_configure``)."""
    return config.stash[SETTINGS]


def dataset(config: pytest.Config) -> Dataset:
    """The VETO pairs of this run (``--veto-data``), loaded once per process."""
    if DATASET not in config.stash:
        from pytest_veto.data.dataset import load_dataset

        s = settings(config)
        config.stash[DATASET] = load_dataset(s.data.pairs, s.model.cache_dir, s.data.text)
    return config.stash[DATASET]


def variants(config: pytest.Config) -> list[PrimingVariant]:
    """The requested priming variants (``--veto-priming``), read once per process."""
    if VARIANTS not in config.stash:
        from pytest_veto.run.priming import select_variants

        data = settings(config).data
        config.stash[VARIANTS] = select_variants(data.priming, data.priming_dirs)
    return config.stash[VARIANTS]


def misalign(config: pytest.Config) -> tuple[Any, Any]:
    """(items, template) of the Mis-Align suite, loaded once per process."""
    if MISALIGN not in config.stash:
        from pytest_veto.misalign.columns import load_column_map
        from pytest_veto.misalign.items import load_items
        from pytest_veto.misalign.prompting import load_template

        m = settings(config).misalign
        columns = load_column_map(m.columns) if m.columns else None
        config.stash[MISALIGN] = (load_items(m.data, columns), load_template(m.template))
    return config.stash[MISALIGN]


def exploration(config: pytest.Config) -> tuple[Any, list[PrimingVariant]]:
    """(the template set, every priming cue) exploring draws from, loaded once per
    process: ``--veto-explore-templates`` or the shipped templates, and the shipped
    cues plus ``--veto-priming-dir``'s."""
    if EXPLORATION not in config.stash:
        from pytest_veto.data.bbq.templates import load_templates
        from pytest_veto.data.resources import fixtures_dir
        from pytest_veto.run.priming import available_variants

        s = settings(config)
        folder = s.explore.templates or fixtures_dir() / "explore"
        cues = list(available_variants(s.data.priming_dirs).values())
        config.stash[EXPLORATION] = (load_templates(folder), cues)
    return config.stash[EXPLORATION]


def runner(config: pytest.Config) -> CaseRunner:
    """This process's case runner, created on first use (its backend on its first
    request, so collection never loads a model) and closed by :func:`close_runner`.
    A stash entry rather than a session fixture: every pair test reads it, and a
    fixture costs pytest a resolution per test."""
    found = config.stash.get(RUNNER, None)
    if found is None:
        from pytest_veto.run.runner import make_runner

        model = settings(config).model
        assert model.name is not None and model.decoding is not None, (
            "the model suite runs only with --model"
        )
        found = config.stash[RUNNER] = make_runner(
            model.name,
            model.backend,
            model.decoding,
            cache_dir=model.cache_dir,
            no_cache=model.no_cache,
            revision=model.revision,
        )
    return found


def close_runner(config: pytest.Config) -> None:
    """Release the runner's backend and response cache (at session end), if one was made."""
    found = config.stash.get(RUNNER, None)
    if found is not None:
        del config.stash[RUNNER]
        found.close()
