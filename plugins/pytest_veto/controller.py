"""The controller-side pytest plugin: feeds reports to the collector, summarises the run
once, then sets the exit status and renders JUnit gate cases, the JSON report and the
terminal summary from that one summary.

Registered only when a model is named and only in the controlling process (never in an
xdist worker). It sets ``session.exitstatus`` in ``pytest_sessionfinish`` (before junitxml
writes its file, so the gate cases land in it) and prints in ``pytest_terminal_summary``.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from typing import Any, Literal

import pytest

from pytest_veto import facts, state
from pytest_veto.cancel import SignalGuard
from pytest_veto.explore.records import checked_record
from pytest_veto.gate.collector import Collector, case_kind
from pytest_veto.gate.gates import GateResult
from pytest_veto.gate.limits import control_limits, explore_limits, misalign_limits, veto_limits
from pytest_veto.gate.summary import RunContext, RunSummary, now_iso, summarize
from pytest_veto.lifetime import freeze_session_objects
from pytest_veto.misalign.suite import ItemResult
from pytest_veto.report.requests import RequestStats
from pytest_veto.run.controls import ControlResult
from pytest_veto.run.progress import Counter, TerminalProgress
from pytest_veto.run.verdict import PairResult
from pytest_veto.run.wire import CONTROL, EXPLORE, ITEM, LENS, PAIR, WireError
from pytest_veto.settings import RunSettings


class Controller:
    """Collects one session's results and decides it."""

    def __init__(self, config: pytest.Config, settings: RunSettings) -> None:
        self.config = config
        self.settings = settings
        self.collector = Collector()
        self.started = now_iso()
        self._clock = time.monotonic()
        self.baseline = facts.load_baseline(settings)
        self.summary: RunSummary | None = None
        self.report_error: str | None = None
        #: the lens section as written to the report (with its plot paths)
        self.lens_report: dict[str, Any] | None = None
        #: why the preflight stopped the run (nothing else is reported then)
        self.preflight_error: str | None = None
        #: what the run asked of the model (set with the summary)
        self.requests: RequestStats | None = None
        #: SIGTERM as Ctrl-C, and whether an interrupt stopped the run
        self.signals = SignalGuard()
        #: phase -> finished cases, for the progress lines
        self.counters: dict[str, Counter] = {}
        self.progress = TerminalProgress(config)

    # --- before the first test ------------------------------------------------
    @pytest.hookimpl(tryfirst=True)  # before xdist starts its workers
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Check the model once (``backends.preflight``); on failure stop the run with
        one message before any test or worker starts: a usage error (exit 4), since the
        model named cannot be used as given."""
        self.signals.on_sigterm()
        model = self.settings.model
        if not model.preflight or model.name is None:
            return
        from pytest_veto.backends.preflight import PROBE, preflight, probe_request

        in_process = not getattr(self.config.option, "numprocesses", None)
        # in one process the run loads a local model here anyway: load it now, once
        load = (lambda: state.runner(self.config).backend) if in_process else None
        d = model.decoding  # the probe is asked as the run's prompts are
        probe = (
            PROBE
            if d is None
            else probe_request(d.max_new_tokens, d.chat_template_kwargs, d.extra_body)
        )
        failure = preflight(model.name, model.backend, load=load, probe=probe)
        if failure is not None:
            self.preflight_error = failure.message()
            raise pytest.UsageError(self.preflight_error)

    # --- cancellation -----------------------------------------------------------
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.signals.interrupt_seen()

    def pytest_unconfigure(self) -> None:
        self.signals.restore()

    # --- collection ---------------------------------------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collector.collected([item.nodeid for item in session.items])
        self._start_progress()

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.collector.collected(list(ids))
        self._start_progress()

    # --- progress -------------------------------------------------------------
    def _start_progress(self) -> None:
        """Once, when the cases are known: what will run, and a counter per phase (VETO
        pairs, primed pairs, control questions, Mis-Align items) for the progress lines."""
        if self.counters:
            return
        totals = {label: 0 for label in PHASES}
        for nodeid, kind in self.collector.expected.items():
            totals[_phase(nodeid, kind)] += 1
        now = time.monotonic()
        self.counters = {k: Counter(k, n, now) for k, n in totals.items() if n}
        if not self.counters:
            return
        planned = ", ".join(f"{n} {k}" for k, n in totals.items() if n)
        note = ""
        if (self.settings.model.name or "").startswith("hf/"):
            note = "; the local model loads first (a GGUF is converted once): minutes on a CPU"
        self.progress(f"running {planned} with {self.settings.model.name}{note}", force=True)

    def _count(self, report: pytest.TestReport) -> None:
        """A case finished (its call, or a setup that failed or skipped): count it."""
        if report.when != "call" and not (report.when == "setup" and not report.passed):
            return
        kind = case_kind(report.nodeid)
        counter = None if kind is None else self.counters.get(_phase(report.nodeid, kind))
        line = None if counter is None else counter.finish(time.monotonic())
        if line is not None:
            self.progress(line, force=True)

    # --- results ------------------------------------------------------------
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # with --continue-on-collection-errors a module that failed to import must still
        # fail the run: it never produces a test report the collector would see
        if report.failed:
            self.collector.collection_failed(report.nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        pair = item = control = explored = None
        bad: str | None = None
        try:
            if (envelope := getattr(report, EXPLORE.attribute, None)) is not None:
                explored = checked_record(EXPLORE.open(envelope))
            if (envelope := getattr(report, LENS.attribute, None)) is not None:
                self.collector.lens_section(LENS.open(envelope))
            if (envelope := getattr(report, PAIR.attribute, None)) is not None:
                pair = PairResult.from_wire(envelope)
            if (envelope := getattr(report, ITEM.attribute, None)) is not None:
                item = ItemResult.from_wire(envelope)
            if (envelope := getattr(report, CONTROL.attribute, None)) is not None:
                control = ControlResult.from_wire(envelope)
        except WireError as exc:
            bad = str(exc)
        self.collector.report(
            report.nodeid,
            report.when,
            report.failed,
            pair=pair,
            item=item,
            bad_payload=bad,
            control=control,
            explore=explored,
        )
        self._count(report)

    # --- the verdict ----------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.preflight_error is not None:
            return  # no test ran: no gate to decide, no report to write
        from pytest_veto.report.requests import request_stats

        # the results live until the session ends: out of the garbage collector's sight
        # (0.3 s of pytest's collections at exit on a 2,032-pair controller)
        freeze_session_objects()

        summary = summarize(self.collector, self._context())
        if self.signals.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED:
            summary = replace(summary, gates=(*summary.gates, self._interrupted_gate()))
        self.summary = summary
        self.requests = request_stats(summary, time.monotonic() - self._clock)
        self._junit_gate_cases(summary)
        if self.settings.output.report is not None:
            self._write_report(summary)
        if exitstatus in (
            pytest.ExitCode.OK,
            pytest.ExitCode.TESTS_FAILED,
            pytest.ExitCode.NO_TESTS_COLLECTED,
        ):
            ok = summary.passed and self.report_error is None
            session.exitstatus = pytest.ExitCode.OK if ok else pytest.ExitCode.TESTS_FAILED

    def _interrupted_gate(self) -> GateResult:
        """A failed gate saying how far an interrupted run got (``interrupted: N of M
        pairs``), so its partial report and JUnit file cannot pass for a whole run."""
        c = self.collector
        kinds = list(c.expected.values())
        parts = [f"{len(c.pairs)} of {kinds.count('pair')} pairs"]
        if kinds.count("control"):
            parts.append(f"{len(c.controls)} of {kinds.count('control')} control questions")
        if kinds.count("item"):
            parts.append(f"{len(c.items)} of {kinds.count('item')} Mis-Align items")
        if kinds.count("explore"):
            parts.append(f"{len(c.explorations)} of {kinds.count('explore')} explored templates")
        done = len(c.pairs) + len(c.controls) + len(c.items) + len(c.explorations)
        total = len(kinds)
        return GateResult(
            name="interrupted",
            metric="cases run before the interruption",
            threshold=float(total),
            value=float(done),
            passed=False,
            message=f"interrupted: {' and '.join(parts)} (a rerun resumes from the cache)",
        )

    def _context(self) -> RunContext:
        s = self.settings
        assert s.model.name is not None
        sha, cases, controls = "", None, None
        # the data set is needed to compare with a baseline and to tell a subset of its
        # cases from all of them (not when no pair ran: a BBQ folder may need a build)
        if self.collector.ran_pairs or self.baseline is not None or s.gates.controls:
            sha, cases, controls = facts.dataset_facts(self.config)
        return RunContext(
            model=s.model.name,
            condition=s.model.condition,
            seed=s.model.seed,
            veto=veto_limits(s),
            misalign=misalign_limits(s),
            forms=facts.forms(self.config),
            baseline=self.baseline,
            dataset_sha256=sha,
            dataset_cases=cases if self.collector.ran_pairs or self.baseline else None,
            dataset_items=facts.item_count(self.config) if self.collector.ran_items else None,
            controls=control_limits(s),
            dataset_controls=controls,
            explore=explore_limits(s),
            dataset_templates=facts.template_count(self.config)
            if self.collector.ran_explore
            else None,
        )

    def _junit_gate_cases(self, summary: RunSummary) -> None:
        from _pytest.junitxml import xml_key

        xml = self.config.stash.get(xml_key, None)
        if xml is None:
            return
        per_case = state.junit_properties(self.config)
        for gate in summary.gates:
            nodeid = f"pytest_veto::veto_gate[{gate.name}]"
            props = [
                ("gate", gate.name),
                ("metric", gate.metric),
                ("threshold", gate.threshold),
                ("value", gate.value),
            ]
            if not per_case:  # xunit2: properties only on the test suite
                for key, value in props[1:]:
                    xml.add_global_property(f"veto_gate[{gate.name}].{key}", value)
                props = []
            phases: tuple[Literal["setup", "call", "teardown"], ...] = ("setup", "call", "teardown")
            for when in phases:
                outcome: Literal["passed", "failed"] = (
                    "failed" if (when == "call" and not gate.passed) else "passed"
                )
                rep = pytest.TestReport(
                    nodeid=nodeid,
                    location=("pytest_veto", None, f"veto_gate[{gate.name}]"),
                    keywords={},
                    outcome=outcome,
                    longrepr=gate.message if outcome == "failed" else None,
                    when=when,
                    user_properties=props,  # junitxml writes them at teardown
                )
                xml.pytest_runtest_logreport(rep)

    def _write_report(self, summary: RunSummary) -> None:
        from pytest_veto.backends import backend_kind
        from pytest_veto.backends.secrets import scrub_argv
        from pytest_veto.report.json_report import (
            Manifest,
            report_of,
            validate_report,
            write_json_atomic,
        )

        report, model = self.settings.output.report, self.settings.model
        assert report is not None and model.name is not None
        try:
            dataset = state.dataset(self.config)
        except (ValueError, OSError) as exc:  # bad data: already a collection error
            self.report_error = f"JSON report not written to {report}: {exc}"
            return
        manifest = Manifest(
            model=model.name,
            backend=backend_kind(model.name),
            started=self.started,
            finished=now_iso(),
            condition=model.condition,
            priming=self.settings.data.priming,
            dataset_path=str(dataset.path),
            dataset_sha256=dataset.sha256,
            n_pairs=len(dataset.pairs),
            argv=scrub_argv(tuple(sys.argv[:1]) + tuple(self.config.invocation_params.args)),
            seed=model.seed,
            model_revision=model.revision,
            decoding=model.decoding.as_dict() if model.decoding is not None else None,
            text=self.settings.data.text if dataset.built_from is not None else None,
        )
        self.lens_report = self._lens_with_plots(summary)
        data = report_of(summary, manifest, lens=self.lens_report)
        if self.requests is not None:
            data["requests"] = self.requests.as_dict()
        try:
            validate_report(data)
            write_json_atomic(report, data)
        except (ValueError, OSError) as exc:
            self.report_error = f"JSON report not written to {report}: {exc}"

    def _lens_with_plots(self, summary: RunSummary) -> dict[str, Any] | None:
        """The lens section, with its plots written beside the report (PNG)."""
        report = self.settings.output.report
        if summary.lens is None or report is None:
            return None if summary.lens is None else dict(summary.lens)
        from pytest_veto.lens import plots

        lens = dict(summary.lens)
        if plots.available():
            folder = report.parent / f"{report.stem}-plots"
            ablation = lens.get("ablation") or {}
            written = plots.write_plots(lens, ablation.get("recovery"), folder)
            lens["plots"] = [str(p) for p in written]
        return lens

    # --- the terminal ---------------------------------------------------------
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from pytest_veto.report.terminal import summary_lines

        summary = self.summary
        if summary is None:  # the session ended before it finished (internal error)
            return
        tr = terminalreporter
        tr.section(f"VETO gate: {self.settings.model.name}", sep="=", bold=True)
        passed = summary.passed and not self.report_error
        for text, markup in summary_lines(
            summary,
            lens=self.lens_report,
            report=self.settings.output.report,
            report_error=self.report_error,
        ):
            tr.write_line(text, **markup)
        if self.requests is not None:
            tr.write_line(self.requests.line())
        verdict = "PASSED" if passed else "FAILED"
        tr.write_line(f"VETO gate {verdict}", green=passed, red=not passed, bold=True)


#: the phases counted in progress lines, in the order they are announced
PHASES = (
    "VETO pairs",
    "primed pairs",
    "control questions",
    "Mis-Align items",
    "explored templates",
)


def _phase(nodeid: str, kind: str) -> str:
    """The progress phase of a case: a pair case's id holds ``+<variant>`` when primed."""
    if kind == "item":
        return "Mis-Align items"
    if kind == "control":
        return "control questions"
    if kind == "explore":
        return "explored templates"
    return "primed pairs" if "+" in nodeid.rpartition("[")[2] else "VETO pairs"
