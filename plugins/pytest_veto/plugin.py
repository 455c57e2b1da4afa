"""pytest wiring for pytest-veto: options, markers, parametrization, fixtures, hooks.

Every decision lives in a plain module (settings, state, runner, the lens and Mis-Align
suites, the controller's gates and report); this file only connects them to pytest.
Importing it is cheap: no backend library is imported until a model is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_veto import collection, state
from pytest_veto.backends import local_copies_cost
from pytest_veto.data.pairs import CATEGORIES, category_marker
from pytest_veto.lifetime import freeze_session_objects, thaw_previous_session
from pytest_veto.run.prefetch import upcoming_params
from pytest_veto.run.progress import TerminalProgress
from pytest_veto.run.verdict import PairResult
from pytest_veto.run.wire import CONTROL, EXPLORE, ITEM, LENS, PAIR, Channel
from pytest_veto.settings import RunSettings, add_options, resolve
from pytest_veto.state import RESULTS, SETTINGS

MARKERS = (
    "veto_case: a VETO pair case (added by pytest-veto)",
    "veto_control: a control question of a VETO pair (--veto-controls)",
    "explore: search templates for misfires with hypothesis and shrink each (off by "
    "default; run with -m explore or --veto-explore)",
    "misalign: a Mis-Align Bench item case",
    "logit_lens: logit-lens checks on a local model, head ablation included (run with "
    "-m logit_lens --model=hf/<path>; -m 'logit_lens and not head_ablation' for the lens alone)",
    "head_ablation: head-ablation checks on a local model (heavy: an exact sweep of every "
    "head; run with -m head_ablation --model=hf/<path>)",
    *(f"{category_marker(c)}: VETO pairs of the {c} category" for c in CATEGORIES),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


#: the model suites shipped in the package (``pytest --pyargs pytest_veto.suite``)
SUITE_DIR = Path(__file__).resolve().parent / "suite"


def _collect_suite(config: pytest.Config) -> None:
    """With ``--model`` and no test path on the command line, collect the shipped suite
    instead of ``testpaths`` or the current folder: ``pytest --model=X`` gates the model
    from any repository (docs/reference.md, "What is collected"). Every process decides
    alike (xdist workers parse the same command line)."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = [str(SUITE_DIR)]


def pytest_configure(config: pytest.Config) -> None:
    thaw_previous_session()
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    settings = resolve(config)
    config.stash[SETTINGS] = settings
    if settings.active:
        _collect_suite(config)
    if settings.active and not hasattr(config, "workerinput"):  # not in an xdist worker
        _warn_local_model_per_worker(config, settings)
        if not config.option.collectonly:
            from pytest_veto.controller import Controller

            config.pluginmanager.register(Controller(config, settings), "veto-controller")


class PytestVetoWarning(UserWarning):
    """A configuration pytest-veto can run but that the user should reconsider."""


def _warn_local_model_per_worker(config: pytest.Config, settings: RunSettings) -> None:
    """Under ``-n N`` every worker loads its own copy of a local model: say what it costs."""
    workers, model = getattr(config.option, "numprocesses", None), settings.model.name
    if model is None or not isinstance(workers, int) or workers < 2:
        return
    cost = local_copies_cost(model, workers, settings.model.backend.cache_dir)
    if cost is not None:  # None: not loaded in the worker (an API or reference model)
        config.issue_config_time_warning(
            PytestVetoWarning(
                f"--model={model} with -n {workers}: each xdist worker loads its own copy of the "
                f"model ({cost} of memory) and they share the CPU cores. Run local models with "
                "-n 0, or serve the model behind an OpenAI-compatible server and use "
                "--model=openai/<name> --api-base=URL with -n."
            ),
            stacklevel=2,
        )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    collection.parametrize(metafunc)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    collection.select(config, items)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # The full result rides on the report as a plain attribute (xdist serialises a report's
    # __dict__), not in user_properties, which junitxml would copy into every test case;
    # only on the report of the phase that produced the verdict (the call, or the setup
    # when it failed or skipped, e.g. a lens section with nothing to ablate): once per
    # item over xdist's channel, not three times
    report = yield
    if call.when == "call" or (call.when == "setup" and not report.passed):
        for channel, key in RESULTS.items():
            envelope = item.stash.get(key, None)
            if envelope is not None:
                setattr(report, channel.attribute, envelope)
        if call.when == "call" and _failed_verdict(item, call):
            # --veto-misfires-as=xfail: the case's own verdict as an xfail, same message
            # (pytest's own xfail report: outcome skipped, the reason in ``wasxfail``)
            report.outcome = "skipped"
            report.wasxfail = str(call.excinfo.value) if call.excinfo else "failed case"
    return report


def _failed_verdict(item: pytest.Item, call: pytest.CallInfo[None]) -> bool:
    """A case test that failed on its own verdict (a misfire, a flip, a misjudged
    item, a template that misfired) in a run that reports those as xfails."""
    s = item.config.stash[SETTINGS]
    return (
        s.output.misfires_as == "xfail"
        and call.excinfo is not None
        and call.excinfo.errisinstance(pytest.fail.Exception)
        and any(item.stash.get(RESULTS[c], None) is not None for c in (PAIR, ITEM, EXPLORE))
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    state.close_runner(session.config)  # in a worker: before xdist reports it finished


def _record(item: pytest.Item, channel: Channel, wire: dict[str, Any], **junit: Any) -> None:
    """A verdict for the controller (moved onto the report) and its JUnit properties."""
    item.stash[RESULTS[channel]] = wire
    if state.junit_properties(item.config):
        item.user_properties.extend(junit.items())


@pytest.fixture
def veto_result(request: pytest.FixtureRequest) -> PairResult:
    """The verdict of this test's pair (``request.param``, a ``Case``): run both halves,
    record the result on the report. A pair with an errored half fails here, in setup, so
    pytest reports an error rather than a pass or a failure."""
    from pytest_veto.run.verdict import describe

    item, runner = request.node, state.runner(request.config)
    upcoming = upcoming_params(item, "veto_result", runner.lookahead)
    result: PairResult = runner.result(request.param, upcoming)
    _record(
        item,
        PAIR,
        result.to_wire(),
        pair_id=result.pair_id,
        category=result.category,
        variant=result.variant,
        outcome=result.outcome,
    )
    if result.outcome == "error":
        pytest.fail(describe(result), pytrace=False)
    return result


@pytest.fixture
def veto_control(request: pytest.FixtureRequest) -> Any:
    """The model's answer to this test's control question (``request.param``, a
    ``ControlCase``), recorded on the report; no answer fails here, in setup."""
    from pytest_veto.run.controls import describe_control

    item, runner = request.node, state.runner(request.config)
    upcoming = upcoming_params(item, "veto_control", runner.lookahead)
    result = runner.control(request.param, upcoming)
    _record(
        item,
        CONTROL,
        result.to_wire(),
        pair_id=result.pair_id,
        category=result.category,
        answer=result.answer.answer,
    )
    if result.errored:
        pytest.fail(describe_control(result), pytrace=False)
    return result


@pytest.fixture
def veto_explore(request: pytest.FixtureRequest) -> Any:
    """Explore this test's template (``request.param``): replay the model's known
    misfires, search and shrink, store what misfires; the record goes on the report. A
    template whose every example errored fails here, in setup."""
    from pytest_veto.data.locations import default_cache_dir
    from pytest_veto.explore.session import explore_template

    config = request.config
    s, runner = state.settings(config), state.runner(config)
    templates, cues = state.exploration(config)
    # the model as the user names it: every stored draw is asked again, so a broad key
    # costs a few calls, while a key with library versions would drop every known
    # misfire at the next upgrade (the regression check it is for)
    identity = {"model": s.model.name, "revision": s.model.revision}
    found = explore_template(
        request.param,
        runner,
        cache_dir=Path(s.model.cache_dir) if s.model.cache_dir else default_cache_dir(),
        model_identity=identity,
        examples=s.explore.examples,
        seed=s.explore.seed,
        fillers=templates.fillers,
        cues=cues,
    )
    record = found.to_json()
    _record(
        request.node,
        EXPLORE,
        EXPLORE.seal(record),
        template=found.template,
        misfires=len(found.misfires),
    )
    if found.examples and found.errors == found.examples:
        pytest.fail(
            f"{found.template}: every one of {found.examples} drawn examples errored "
            "(no answer): nothing was explored",
            pytrace=False,
        )
    return found


@pytest.fixture
def misalign_result(request: pytest.FixtureRequest) -> Any:
    """The model's judgement of this test's Mis-Align item (``request.param``), recorded
    on the report; an item without an answer fails here, in setup (an error, not a pass
    or a failure)."""
    from pytest_veto.misalign.suite import describe_item, run_item

    node, runner = request.node, state.runner(request.config)
    _, template = state.misalign(request.config)
    upcoming = upcoming_params(node, "misalign_result", runner.lookahead)
    result = run_item(runner, request.param, template, upcoming)
    _record(
        node,
        ITEM,
        result.to_wire(),
        item_id=result.item_id,
        label=result.label,
        verdict=result.verdict,
    )
    if result.errored:
        pytest.fail(describe_item(result), pytrace=False)
    return result


@pytest.fixture(scope="session")
def veto_lens(request: pytest.FixtureRequest) -> Any:
    """The logit-lens analysis of this model, once per process (a ``lens.suite.LensRun``)."""
    from pytest_veto.lens.suite import lens_subject, lens_variant, run_lens

    config = request.config
    s = state.settings(config)
    subject = None if s.model.name is None else lens_subject(s.model.name, state.runner(config))
    if subject is None:
        pytest.skip("the logit lens needs a local transformers model (--model=hf/<path>)")
    return run_lens(
        state.runner(config),
        subject,
        state.dataset(config).pairs,
        lens_variant(s.lens.pairs_from, s.data.priming_dirs),
        n_pairs=s.lens.pairs,
        seed=s.model.seed,
        early_gap=s.lens.early_gap,
        from_report=s.lens.from_report,
        base_model=s.lens.base_model,
        backend_options=s.model.backend,
        progress=TerminalProgress(config),
    )


@pytest.fixture
def veto_lens_section(request: pytest.FixtureRequest, veto_lens: Any) -> Any:
    """The lens analysis, recorded on this test's report for the controller."""
    request.node.stash[RESULTS[LENS]] = LENS.seal(veto_lens.section)
    return veto_lens.analysis


@pytest.fixture(scope="session")
def veto_ablation(request: pytest.FixtureRequest, veto_lens: Any) -> Any:
    """Head ablation on the lens's failure pairs (ranking, top-K recovery), once; None
    without failure pairs (the section fixture records the lens section, then skips)."""
    from pytest_veto.lens.suite import run_ablation

    s = state.settings(request.config)
    return run_ablation(
        veto_lens,
        ranking=s.lens.ranking,
        n_rank=s.lens.ablation_rank_pairs,
        seed=s.model.seed,
        mode=s.lens.ablation_mode,
        verify_top=s.lens.ablation_verify_top,
        progress=TerminalProgress(request.config),
    )


@pytest.fixture
def veto_ablation_section(
    request: pytest.FixtureRequest, veto_lens: Any, veto_ablation: Any
) -> Any:
    """The ablation result, recorded (with the lens section) on this test's report."""
    from pytest_veto.lens.suite import ablation_section

    request.node.stash[RESULTS[LENS]] = LENS.seal(ablation_section(veto_lens, veto_ablation))
    if veto_ablation is None:
        pytest.skip("no failure pairs among this model's outcomes: nothing to ablate")
    return veto_ablation


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection built out of the garbage collector's sight
    (``lifetime.py``), in sessions that collected our tests only."""
    ours = ("veto_result", "veto_control", "misalign_result")
    if any(f in getattr(i, "fixturenames", ()) for i in session.items for f in ours):
        freeze_session_objects()
