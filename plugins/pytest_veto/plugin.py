"""pytest wiring for pytest-veto: options, markers, parametrization, fixtures, hooks.

Every decision lives in a plain module (settings, dataset, cases, runner, verdict,
session, gates, report); this file only connects them to pytest. Importing it is cheap:
no backend library is imported until a model is used.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import pytest

from pytest_veto import state
from pytest_veto.backends import capabilities_of
from pytest_veto.backends.protocol import Capability
from pytest_veto.data.pairs import CATEGORIES, DataError, category_marker
from pytest_veto.markexpr import selected_only_by
from pytest_veto.run.cases import Case
from pytest_veto.run.progress import TerminalProgress
from pytest_veto.run.verdict import PairResult
from pytest_veto.run.wire import ITEM, LENS, PAIR
from pytest_veto.settings import RunSettings, add_options, resolve
from pytest_veto.state import RESULTS, SETTINGS

NO_MODEL_REASON = (
    "no model under test: pass --model NAME (e.g. --model=reference/evidence-reader, "
    "--model=hf/smollm2-135m-instruct or --model=openai/gpt-4o-mini) to run the VETO suite"
)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "veto_case: a VETO pair case (added by pytest-veto)")
    config.addinivalue_line("markers", "misalign: a Mis-Align Bench item case")
    config.addinivalue_line("markers", "logit_lens: logit-lens checks on a local model, "
                            "head ablation included (run with -m logit_lens --model=hf/<path>; "
                            "-m 'logit_lens and not head_ablation' for the lens alone)")
    config.addinivalue_line("markers", "head_ablation: head-ablation checks on a local model "
                            "(heavy: an exact sweep of every head; run with -m head_ablation "
                            "--model=hf/<path>)")
    for category in CATEGORIES:
        config.addinivalue_line(
            "markers", f"{category_marker(category)}: VETO pairs of the {category} category"
        )
    settings = resolve(config)
    config.stash[SETTINGS] = settings
    if settings.active and not _is_worker(config):
        _warn_local_model_per_worker(config, settings)
    if settings.active and not _is_worker(config) and not config.option.collectonly:
        from pytest_veto.controller import Controller

        config.pluginmanager.register(Controller(config, settings), "veto-controller")


class PytestVetoWarning(UserWarning):
    """A configuration pytest-veto can run but that the user should reconsider."""


def _warn_local_model_per_worker(config: pytest.Config, settings: RunSettings) -> None:
    """Under ``-n N`` every worker loads its own copy of a local model: say what it costs."""
    workers = getattr(config.option, "numprocesses", None)
    model = settings.model.name or ""
    if not model.startswith("hf/") or not isinstance(workers, int) or workers < 2:
        return
    from pathlib import Path

    from pytest_veto.backends.hf_models import weights_size

    cache = settings.model.backend.cache_dir
    size = weights_size(model.removeprefix("hf/"), Path(cache) / "models" if cache else None)
    each = f"{size / 2**30:.2f} GiB" if size else "its full size"
    total = f" = {size * workers / 2**30:.2f} GiB" if size else ""
    config.issue_config_time_warning(PytestVetoWarning(
        f"--model={model} with -n {workers}: each xdist worker loads its own copy of the "
        f"model ({each} x {workers}{total} of memory) and they share the CPU cores. "
        "Run local models with -n 0, or serve the model behind an OpenAI-compatible server "
        "and use --model=openai/<name> --api-base=URL with -n."), stacklevel=2)


def _parametrize_items(metafunc: pytest.Metafunc) -> None:
    try:
        items, _ = state.misalign(metafunc.config)
    except (ValueError, OSError) as exc:
        raise pytest.Collector.CollectError(f"pytest-veto: cannot load Mis-Align items:\n{exc}") \
            from None
    metafunc.parametrize("misalign_item", [
        pytest.param(item, id=item.id, marks=[pytest.mark.misalign]) for item in items])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "misalign_item" in metafunc.fixturenames:
        _parametrize_items(metafunc)
    if "veto_case" not in metafunc.fixturenames:
        return
    try:
        dataset = state.dataset(metafunc.config)
    except (DataError, OSError) as exc:  # pair files and BBQ folders alike, located
        raise pytest.Collector.CollectError(f"pytest-veto: cannot load pairs:\n{exc}") from None
    try:
        variants = state.variants(metafunc.config)
    except ValueError as exc:
        raise pytest.Collector.CollectError(f"pytest-veto: {exc}") from None
    # pair-major order keeps a pair's variants together, so one worker usually runs them
    # all and its base prompts are sent once
    cases = [Case(p, v) for p in dataset.pairs for v in (None, *variants)]
    params = [
        pytest.param(c, id=c.id, marks=[pytest.mark.veto_case, getattr(pytest.mark, c.pair.marker)])
        for c in cases
    ]
    metafunc.parametrize("veto_case", params)


#: lens marker -> the backend capability its checks need (the more specific marker first)
LENS_MARKERS: dict[str, Capability] = {"head_ablation": "head_ablation",
                                       "logit_lens": "hidden_states"}


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
            item.add_marker(pytest.mark.skip(reason=(
                f"{marker} checks need a local transformers model (--model=hf/<path>): "
                f"{model} gives no hidden states")))
        elif not selected_only_by(markexpr, item.iter_markers(), LENS_MARKERS):
            item.add_marker(pytest.mark.skip(reason=f"heavy: run with -m {marker}"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _skip_lens_checks(config, items)
    if config.stash[SETTINGS].active:
        return
    skip = pytest.mark.skip(reason=NO_MODEL_REASON)
    for item in items:
        if "veto_case" in item.keywords or "misalign_item" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # The full result rides on the report as a plain attribute (xdist serialises a report's
    # __dict__), not in user_properties, which junitxml would copy into every test case.
    report = yield
    # only the report of the phase that produced the verdict carries it (the call, or the
    # setup when it failed or skipped, e.g. a lens section with nothing to ablate): once
    # per item over xdist's channel, not three times
    if call.when == "call" or (call.when == "setup" and not report.passed):
        for channel, key in RESULTS.items():
            envelope = item.stash.get(key, None)
            if envelope is not None:
                setattr(report, channel.attribute, envelope)
    return report


def _upcoming_items(item: pytest.Item, limit: int) -> list[pytest.Item]:
    from pytest_veto.run.prefetch import upcoming_items

    return upcoming_items(item, limit)


def _upcoming(item: pytest.Item, limit: int) -> Iterator[Case]:
    for other in _upcoming_items(item, limit):
        callspec = getattr(other, "callspec", None)
        if callspec is not None and "veto_case" in callspec.params:
            yield callspec.params["veto_case"]


@pytest.fixture(scope="session")
def veto_runner(request: pytest.FixtureRequest) -> Generator[Any, None, None]:
    """The worker's case runner (backend created on first use, response cache attached)."""
    from pytest_veto.run.runner import make_runner

    model = request.config.stash[SETTINGS].model
    assert model.name is not None, "the model suite runs only with --model"
    runner = make_runner(model.name, model.backend, model.condition,
                         cache_dir=model.cache_dir, no_cache=model.no_cache)
    yield runner
    runner.close()


@pytest.fixture
def veto_result(request: pytest.FixtureRequest, veto_case: Case, veto_runner: Any) -> PairResult:
    """The verdict of this test's pair: run both halves, record the result on the report.

    A pair with an errored half fails here, in setup, so pytest reports an error rather
    than a pass or a failure.
    """
    from pytest_veto.run.verdict import describe

    item = request.node
    result: PairResult = veto_runner.result(veto_case, _upcoming(item, veto_runner.lookahead))
    item.stash[RESULTS[PAIR]] = result.to_wire()
    item.user_properties.extend(
        [("pair_id", result.pair_id), ("category", result.category),
         ("variant", result.variant), ("outcome", result.outcome)]
    )
    if result.outcome == "error":
        pytest.fail(describe(result), pytrace=False)
    return result


@pytest.fixture
def misalign_result(request: pytest.FixtureRequest, misalign_item: Any,
                    veto_runner: Any) -> Any:
    """The model's judgement of this test's Mis-Align item, recorded on the report; an
    item without an answer fails here, in setup (an error, not a pass or a failure)."""
    from pytest_veto.misalign.prompting import requests_for
    from pytest_veto.misalign.suite import describe_item, judge_item

    node = request.node
    _, template = state.misalign(request.config)
    own = requests_for(misalign_item, template)
    ahead = (requests_for(o.callspec.params["misalign_item"], template)
             for o in _upcoming_items(node, veto_runner.lookahead)
             if "misalign_item" in getattr(getattr(o, "callspec", None), "params", {}))
    [completion] = veto_runner.completions([own], ahead)
    result = judge_item(misalign_item, own, completion, template)
    node.stash[RESULTS[ITEM]] = result.to_wire()
    node.user_properties.extend([("item_id", result.item_id), ("label", result.label),
                                 ("verdict", result.verdict)])
    if result.errored:
        pytest.fail(describe_item(result), pytrace=False)
    return result


def _lens_subject(runner: Any, model: str | None) -> Any:
    if model is None or not model.startswith("hf/"):
        pytest.skip("the logit lens needs a local transformers model (--model=hf/<path>)")
    return runner.backend


@pytest.fixture(scope="session")
def veto_lens(request: pytest.FixtureRequest, veto_runner: Any) -> dict[str, Any]:
    """The logit-lens analysis of this model, once per process: the analysis object and
    the report section (``analysis``, ``section``, ``subject``, ``pairs``)."""
    from pytest_veto.backends import create_backend
    from pytest_veto.lens.analysis import LateLayerCriteria
    from pytest_veto.lens.pipeline import run_lens_analysis
    from pytest_veto.lens.suite import (
        InstructTemplated,
        lens_section,
        outcome_variant,
        outcomes_from_report,
        outcomes_from_run,
    )

    config = request.config
    s = config.stash[SETTINGS]
    subject = _lens_subject(veto_runner, s.model.name)
    pairs = list(state.dataset(config).pairs)
    variant = outcome_variant(state.variants(config))
    name = variant.name if variant is not None else "base"
    if s.lens.from_report is not None:
        outcomes, name = outcomes_from_report(s.lens.from_report, name)  # the variant it had
        source = str(s.lens.from_report)
    else:
        outcomes = outcomes_from_run(veto_runner, pairs, variant, TerminalProgress(config))
        source = "this run"
    base = None
    if s.lens.base_model is not None:
        base_backend = create_backend(s.lens.base_model, s.model.backend)
        base = InstructTemplated(base_backend.hf_model, subject.tokenizer, subject)  # type: ignore[attr-defined]
    analysis = run_lens_analysis(
        subject, pairs, outcomes, n=s.lens.pairs, seed=s.model.seed, base=base,
        criteria=LateLayerCriteria(early_gap_threshold=s.lens.early_gap))
    return {"analysis": analysis, "section": lens_section(analysis, source, name),
            "subject": subject, "pairs": pairs}


@pytest.fixture
def veto_lens_section(request: pytest.FixtureRequest, veto_lens: dict[str, Any]) -> Any:
    """The lens analysis, recorded on this test's report for the controller."""
    request.node.stash[RESULTS[LENS]] = LENS.seal(veto_lens["section"])
    return veto_lens["analysis"]


@pytest.fixture(scope="session")
def veto_ablation(request: pytest.FixtureRequest, veto_lens: dict[str, Any]) -> Any:
    """Head ablation on the lens's failure pairs (ranking, top-K recovery), once."""
    from pytest_veto.lens.pipeline import run_head_ablation

    s = request.config.stash[SETTINGS]
    failures = [p.pair_id for p in veto_lens["analysis"].pairs if p.role == "failure"]
    if not failures:
        return None  # the section fixture records the lens section, then skips
    return run_head_ablation(veto_lens["subject"], veto_lens["pairs"], failures,
                             n_rank=s.lens.ablation_rank_pairs, seed=s.model.seed,
                             mode=s.lens.ablation_mode, verify_top=s.lens.ablation_verify_top,
                             progress=TerminalProgress(request.config))


@pytest.fixture
def veto_ablation_section(request: pytest.FixtureRequest, veto_lens: dict[str, Any],
                          veto_ablation: Any) -> Any:
    """The ablation result, recorded (with the lens section) on this test's report."""
    from pytest_veto.lens.suite import lens_section

    outcomes = veto_lens["section"]["outcomes"]
    section = lens_section(veto_lens["analysis"], outcomes["source"], outcomes["variant"],
                           ablation=veto_ablation)
    request.node.stash[RESULTS[LENS]] = LENS.seal(section)
    if veto_ablation is None:
        pytest.skip("no failure pairs among this model's outcomes: nothing to ablate")
    return veto_ablation
