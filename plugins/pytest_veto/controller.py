"""The controller-side pytest plugin: feeds reports to the collector, summarises the run
once, then sets the exit status and renders JUnit gate cases, the JSON report and the
terminal summary from that one summary.

Registered only when a model is named and only in the controlling process (never in an
xdist worker). It sets ``session.exitstatus`` in ``pytest_sessionfinish`` (before junitxml
writes its file, so the gate cases land in it) and prints in ``pytest_terminal_summary``.
"""

from __future__ import annotations

import sys
from typing import Any, Literal

import pytest

from pytest_veto import state
from pytest_veto.gate.collector import Collector
from pytest_veto.gate.control_gates import ControlLimits
from pytest_veto.gate.misalign_gates import MisalignLimits
from pytest_veto.gate.summary import RunContext, RunSummary, now_iso, summarize
from pytest_veto.gate.veto_gates import VetoLimits
from pytest_veto.misalign.suite import ItemResult
from pytest_veto.run.controls import ControlResult
from pytest_veto.run.verdict import PairResult
from pytest_veto.run.wire import CONTROL, ITEM, LENS, PAIR, WireError
from pytest_veto.settings import RunSettings


def veto_limits(s: RunSettings) -> VetoLimits:
    """The VETO gates the settings ask for (every requested priming variant gets its
    primed gates)."""
    g = s.gates
    return VetoLimits(
        min_pairs=g.min_pairs,
        max_error_rate=g.max_error_rate,
        mar_max=g.mar_max,
        br_max=g.br_max,
        gate_on=g.gate_on,
        strict=g.strict,
        priming=s.data.priming,
        amplification_max=g.amplification_max,
        primed_mar_max=dict(g.primed_mar_max),
        max_regression=g.max_regression,
        allow_subset=g.allow_subset,
    )


def control_limits(s: RunSettings) -> ControlLimits | None:
    """The control gates, when ``--veto-controls`` asked for the controls."""
    g = s.gates
    if not g.controls:
        return None
    return ControlLimits(g.yes_bias_max, g.max_error_rate, g.allow_subset)


def misalign_limits(s: RunSettings) -> MisalignLimits:
    """The Mis-Align gates the settings ask for (the error-rate limit is the VETO one)."""
    m = s.misalign
    return MisalignLimits(m.min_score, m.max_ffr, m.min_coverage, s.gates.max_error_rate)


class Controller:
    """Collects one session's results and decides it."""

    def __init__(self, config: pytest.Config, settings: RunSettings) -> None:
        self.config = config
        self.settings = settings
        self.collector = Collector()
        self.started = now_iso()
        self.baseline = _load_baseline(settings)
        self.summary: RunSummary | None = None
        self.report_error: str | None = None
        #: the lens section as written to the report (with its plot paths)
        self.lens_report: dict[str, Any] | None = None

    # --- collection ---------------------------------------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collector.collected([item.nodeid for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.collector.collected(list(ids))

    # --- results ------------------------------------------------------------
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # with --continue-on-collection-errors a module that failed to import must still
        # fail the run: it never produces a test report the collector would see
        if report.failed:
            self.collector.collection_failed(report.nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        pair = item = control = None
        bad: str | None = None
        try:
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
        )

    # --- the verdict ----------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        summary = self.summary = summarize(self.collector, self._context())
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

    def _context(self) -> RunContext:
        s = self.settings
        assert s.model.name is not None
        sha, cases, controls = "", None, None
        # the data set is needed to compare with a baseline and to tell a subset of its
        # cases from all of them (not when no pair ran: a BBQ folder may need a build)
        if self.collector.ran_pairs or self.baseline is not None or s.gates.controls:
            sha, cases, controls = _dataset_facts(self.config)
        return RunContext(
            model=s.model.name,
            condition=s.model.condition,
            seed=s.model.seed,
            veto=veto_limits(s),
            misalign=misalign_limits(s),
            forms=_forms(self.config),
            baseline=self.baseline,
            dataset_sha256=sha,
            dataset_cases=cases if self.collector.ran_pairs or self.baseline else None,
            controls=control_limits(s),
            dataset_controls=controls,
        )

    def _junit_gate_cases(self, summary: RunSummary) -> None:
        from _pytest.junitxml import xml_key

        xml = self.config.stash.get(xml_key, None)
        if xml is None:
            return
        for gate in summary.gates:
            nodeid = f"pytest_veto::veto_gate[{gate.name}]"
            props = [
                ("gate", gate.name),
                ("metric", gate.metric),
                ("threshold", gate.threshold),
                ("value", gate.value),
            ]
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
        )
        self.lens_report = self._lens_with_plots(summary)
        data = report_of(summary, manifest, lens=self.lens_report)
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
        verdict = "PASSED" if passed else "FAILED"
        tr.write_line(f"VETO gate {verdict}", green=passed, red=not passed, bold=True)


def _load_baseline(settings: RunSettings) -> dict[str, Any] | None:
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


def _dataset_facts(config: pytest.Config) -> tuple[str, int | None, int | None]:
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


def _forms(config: pytest.Config) -> dict[str, str]:
    """Priming variant -> form; bad variants are reported at collection, not here."""
    from pytest_veto.run.priming import PrimingError

    try:
        return {v.name: v.form for v in state.variants(config)}
    except (PrimingError, OSError):
        return {}
