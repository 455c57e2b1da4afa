"""Collection: which model cases become tests, with which parameters and markers.

``plugin.py``'s collection hooks call :func:`parametrize` (``pytest_generate_tests``) and
:func:`select` (``pytest_collection_modifyitems``). Pairs, controls, Mis-Align items and
exploration templates are loaded once per process (``state``); a control or exploration
test with nothing to ask is dropped, lens checks are skipped unless an ``-m`` expression
selects them, and without a model every case is skipped with one reason.
"""

from __future__ import annotations

import pytest

from pytest_veto import state
from pytest_veto.backends import capabilities_of
from pytest_veto.backends.protocol import Capability
from pytest_veto.data.pairs import CATEGORIES, DataError, category_marker
from pytest_veto.markexpr import selected_only_by
from pytest_veto.run.cases import Case
from pytest_veto.run.controls import ControlCase
from pytest_veto.state import SETTINGS

NO_MODEL_REASON = (
    "no model under test: pass --model NAME (e.g. --model=reference/evidence-reader, "
    "--model=hf/smollm2-135m-instruct or --model=openai/gpt-4o-mini) to run the VETO suite"
)


def parametrize(metafunc: pytest.Metafunc) -> None:
    """``pytest_generate_tests``: the case parameters of the suite's tests."""
    # the verdict fixtures are parametrized themselves (indirectly): one fixture per test,
    # the cheapest pytest resolves (docs/performance.md)
    if "misalign_result" in metafunc.fixturenames:
        try:
            items, _ = state.misalign(metafunc.config)
        except (ValueError, OSError) as exc:
            raise pytest.Collector.CollectError(
                f"pytest-veto: cannot load Mis-Align items:\n{exc}"
            ) from None
        metafunc.parametrize(
            "misalign_result",
            [pytest.param(item, id=item.id, marks=[pytest.mark.misalign]) for item in items],
            indirect=True,
        )
    if "veto_explore" in metafunc.fixturenames and _exploring(metafunc.config):
        _parametrize_templates(metafunc)
        return
    controls = (
        "veto_control" in metafunc.fixturenames and state.settings(metafunc.config).gates.controls
    )
    if "veto_result" not in metafunc.fixturenames and not controls:
        return
    try:
        dataset = state.dataset(metafunc.config)
    except (DataError, OSError) as exc:  # pair files and BBQ folders alike, located
        raise pytest.Collector.CollectError(f"pytest-veto: cannot load pairs:\n{exc}") from None
    if controls:
        _parametrize_controls(metafunc, [ControlCase(p) for p in dataset.pairs if p.control])
        return
    try:
        variants = state.variants(metafunc.config)
    except ValueError as exc:
        raise pytest.Collector.CollectError(f"pytest-veto: {exc}") from None
    # pair-major order keeps a pair's variants together, so one worker usually runs them
    # all and its base prompts are sent once
    cases = (Case(p, v) for p in dataset.pairs for v in (None, *variants))
    metafunc.parametrize(
        "veto_result",
        [
            pytest.param(
                c, id=c.id, marks=[pytest.mark.veto_case, getattr(pytest.mark, c.pair.marker)]
            )
            for c in cases
        ],
        indirect=True,
    )


def _parametrize_controls(metafunc: pytest.Metafunc, cases: list[ControlCase]) -> None:
    """One control test per pair that carries a control question; none at all when the data
    has none (the item is then dropped, and the yes_bias gate fails for want of answers)."""
    if cases:
        metafunc.parametrize(
            "veto_control",
            [
                pytest.param(
                    c,
                    id=c.id,
                    marks=[pytest.mark.veto_control, getattr(pytest.mark, c.pair.marker)],
                )
                for c in cases
            ],
            indirect=True,
        )


def _exploring(config: pytest.Config) -> bool:
    """Exploration was asked for: ``--veto-explore``, or an ``-m`` expression that selects
    the exploration tests by their ``explore`` marker (``-m "not age"`` does not)."""
    if state.settings(config).explore.requested:
        return True
    return selected_only_by(config.option.markexpr or "", [pytest.mark.explore.mark], {"explore"})


def _parametrize_templates(metafunc: pytest.Metafunc) -> None:
    """One exploration test per template, marked with its category (``-k`` and ``-m``
    select templates)."""
    try:
        templates, _ = state.exploration(metafunc.config)
    except (DataError, OSError) as exc:
        raise pytest.Collector.CollectError(
            f"pytest-veto: cannot load exploration templates:\n{exc}"
        ) from None
    params = []
    for t in templates.templates:
        known = t.category in CATEGORIES  # only registered markers (--strict-markers)
        marks = [
            pytest.mark.explore,
            *([getattr(pytest.mark, category_marker(t.category))] if known else []),
        ]
        params.append(pytest.param(t, id=t.id, marks=marks))
    metafunc.parametrize("veto_explore", params, indirect=True)


#: fixtures whose tests are no test at all unless parametrized: the control questions
#: without ``--veto-controls``, exploration unless asked for
_OPTIONAL_CASES = ("veto_control", "veto_explore")


def _unparametrized_controls(item: pytest.Item) -> bool:
    """A control or exploration test with nothing to ask: ``--veto-controls`` is off (or
    the data has no control question), or exploration was not asked for."""
    names = getattr(item, "fixturenames", ())
    params = getattr(getattr(item, "callspec", None), "params", {})
    return any(f in names and f not in params for f in _OPTIONAL_CASES)


#: lens marker -> the backend capability its checks need (the more specific marker first)
LENS_MARKERS: dict[str, Capability] = {
    "head_ablation": "head_ablation",
    "logit_lens": "hidden_states",
}


def _skip_lens_checks(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Lens checks need a local model and are heavy: they run only when an -m expression
    selected them by a lens marker. The head-ablation check carries both markers, so
    ``-m logit_lens`` runs it too, ``-m "logit_lens and not head_ablation"`` leaves it
    out, and ``-m "not head_ablation"`` runs no lens check at all."""
    model = config.stash[SETTINGS].model.name
    markexpr = config.option.markexpr or ""
    for item in items:
        marker = next((m for m in LENS_MARKERS if item.get_closest_marker(m) is not None), None)
        if marker is None:
            continue
        if model is not None and LENS_MARKERS[marker] not in capabilities_of(model):
            item.add_marker(
                pytest.mark.skip(
                    reason=(
                        f"{marker} checks need a local transformers model (--model=hf/<path>): "
                        f"{model} gives no hidden states"
                    )
                )
            )
        elif not selected_only_by(markexpr, item.iter_markers(), LENS_MARKERS):
            item.add_marker(pytest.mark.skip(reason=f"heavy: run with -m {marker}"))


def select(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``pytest_collection_modifyitems``: drop the tests with nothing to ask, skip the
    heavy or model-less ones with the reason."""
    items[:] = [item for item in items if not _unparametrized_controls(item)]
    _skip_lens_checks(config, items)
    if config.stash[SETTINGS].active:
        return
    skip = pytest.mark.skip(reason=NO_MODEL_REASON)
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "veto_case" in item.keywords or {"misalign_result", "veto_explore"} & set(fixtures):
            item.add_marker(skip)
