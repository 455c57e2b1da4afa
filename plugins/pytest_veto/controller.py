"""The controller-side pytest plugin: feeds reports to the Controller, then gates the run.

Registered only when a model is named and only in the controlling process (never in an
xdist worker). It sets ``session.exitstatus`` in ``pytest_sessionfinish`` (before junitxml
writes its file, so the gate cases land in it) and prints in ``pytest_terminal_summary``.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from pytest_veto.gate.collector import Controller, now_iso
from pytest_veto.gate.gates import GateResult
from pytest_veto.settings import RunSettings
from pytest_veto.wire import ITEM as ITEM_WIRE_KEY
from pytest_veto.wire import LENS as LENS_WIRE_KEY
from pytest_veto.wire import PAIR as WIRE_KEY


class Gatekeeper:
    """Holds the Controller for one session."""

    def __init__(self, config: pytest.Config, settings: RunSettings) -> None:
        self.config = config
        self.settings = settings
        from pytest_veto.misalign.suite import MisalignGates

        limits = MisalignGates(settings.misalign_min_score, settings.misalign_max_ffr,
                               settings.misalign_min_coverage, settings.max_error_rate)
        self.controller = Controller(settings, forms=_forms(settings),
                                     baseline=_load_baseline(settings), misalign_limits=limits)
        self.gate_results: list[GateResult] = []
        self.passed: bool | None = None
        self.report_error: str | None = None
        #: the lens section as written to the report (with its plot paths)
        self.lens_report: dict[str, Any] | None = None

    # --- collection ---------------------------------------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.controller.collected([item.nodeid for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.controller.collected(list(ids))

    # --- results ------------------------------------------------------------
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # with --continue-on-collection-errors a module that failed to import must still
        # fail the run: it never produces a test report the controller would see
        if report.failed:
            self.controller.foreign_failures.add(report.nodeid or "<collection>")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        lens = getattr(report, LENS_WIRE_KEY, None)
        if isinstance(lens, dict) and (self.controller.lens is None or lens.get("ablation")):
            self.controller.lens = lens
        wire = getattr(report, WIRE_KEY, None) or getattr(report, ITEM_WIRE_KEY, None)
        self.controller.report(report.nodeid, report.failed,
                               wire if isinstance(wire, dict) else None, report.when)

    # --- the verdict ----------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        controller = self.controller
        if controller.baseline is not None:
            from pytest_veto.plugin import _dataset

            try:
                controller.dataset_sha256 = _dataset(self.config).sha256
            except (ValueError, OSError):
                pass  # bad data is a collection error already
        self.gate_results = controller.gates()
        self.passed = controller.passed(self.gate_results)
        self._junit_gate_cases()
        if self.settings.report is not None:
            self._write_report()
        if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED,
                          pytest.ExitCode.NO_TESTS_COLLECTED):
            ok = self.passed and self.report_error is None
            session.exitstatus = pytest.ExitCode.OK if ok else pytest.ExitCode.TESTS_FAILED

    def _junit_gate_cases(self) -> None:
        from _pytest.junitxml import xml_key

        xml = self.config.stash.get(xml_key, None)
        if xml is None:
            return
        for gate in self.gate_results:
            nodeid = f"pytest_veto::veto_gate[{gate.name}]"
            props = [("gate", gate.name), ("metric", gate.metric),
                     ("threshold", gate.threshold), ("value", gate.value)]
            for when in ("setup", "call", "teardown"):
                outcome = "failed" if (when == "call" and not gate.passed) else "passed"
                rep = pytest.TestReport(
                    nodeid=nodeid,
                    location=("pytest_veto", None, f"veto_gate[{gate.name}]"),
                    keywords={},
                    outcome=outcome,  # type: ignore[arg-type]
                    longrepr=gate.message if outcome == "failed" else None,
                    when=when,  # type: ignore[arg-type]
                    user_properties=props,  # junitxml writes them at teardown
                )
                xml.pytest_runtest_logreport(rep)

    def _write_report(self) -> None:
        from pytest_veto.plugin import _dataset
        from pytest_veto.report.json_report import (
            Manifest,
            build_report,
            validate_report,
            write_json_atomic,
        )

        assert self.settings.report is not None and self.settings.model is not None
        try:
            dataset = _dataset(self.config)
        except (ValueError, OSError) as exc:  # bad data: already a collection error
            self.report_error = f"JSON report not written to {self.settings.report}: {exc}"
            return
        c = self.controller
        manifest = Manifest(
            model=self.settings.model,
            backend=_backend_kind(self.settings.model),
            started=c.started,
            finished=now_iso(),
            condition=self.settings.condition,
            priming=self.settings.priming,
            dataset_path=str(dataset.path),
            dataset_sha256=dataset.sha256,
            n_pairs=len(dataset.pairs),
            argv=tuple(sys.argv[:1]) + tuple(self.config.invocation_params.args),
            seed=self.settings.seed,
        )
        comparison = None
        try:
            comparison = c.comparison()
        except ValueError:
            pass  # the baseline gate already says why
        data = build_report(manifest, c.pair_results(), self.gate_results,
                            passed=bool(self.passed), accounting=c.accounting(),
                            amplifications=c.amplifications(),
                            baseline=comparison.as_dict() if comparison else None,
                            misalign=self._misalign_section(),
                            lens=self._lens_section())
        try:
            validate_report(data)
            write_json_atomic(self.settings.report, data)
        except (ValueError, OSError) as exc:
            self.report_error = f"JSON report not written to {self.settings.report}: {exc}"

    def _lens_section(self) -> dict[str, Any] | None:
        """The lens section, with its plots written beside the report (PNG)."""
        lens = self.controller.lens
        if lens is None or self.settings.report is None:
            return lens
        from pytest_veto.lens import plots

        lens = dict(lens)
        if plots.available():
            folder = self.settings.report.parent / f"{self.settings.report.stem}-plots"
            ablation = lens.get("ablation") or {}
            written = plots.write_plots(lens, ablation.get("recovery"), folder)
            lens["plots"] = [str(p) for p in written]
        self.lens_report = lens
        return lens

    def _misalign_section(self) -> dict[str, Any] | None:
        from pytest_veto.misalign.suite import report_section

        c = self.controller
        if not c.item_results:
            return None
        return report_section(c.misalign_results(), c.misalign_evaluation())

    # --- the terminal ---------------------------------------------------------
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from pytest_veto.report.terminal import (
            gate_lines,
            lens_lines,
            metrics_table,
            misalign_table,
            priming_table,
        )
        from pytest_veto.score.aggregate import variant_metrics

        tr = terminalreporter
        c = self.controller
        tr.section(f"VETO gate: {self.settings.model}", sep="=", bold=True)
        vm = variant_metrics("base", c.pair_results())
        if c.results or not (c.item_results or c.lens):
            for line in metrics_table(vm):
                tr.write_line(line)
        if c.lens:
            for line in lens_lines(self.lens_report or c.lens):
                tr.write_line(line)
        if c.item_results:
            tr.write_line("")
            for line in misalign_table(c.misalign_evaluation()):
                tr.write_line(line)
        amps = c.amplifications()
        if amps:
            tr.write_line("")
            for line in priming_table(amps):
                tr.write_line(line)
        tr.write_line("")
        for gate, line in zip(self.gate_results, gate_lines(self.gate_results)):
            tr.write_line(line, green=gate.passed, red=not gate.passed)
        if c.foreign_failures:
            tr.write_line(f"FAIL  {len(c.foreign_failures)} other test(s) failed", red=True)
        if self.report_error:
            tr.write_line(f"FAIL  {self.report_error}", red=True)
        elif self.settings.report is not None:
            tr.write_line(f"report: {self.settings.report}")
        verdict = "PASSED" if self.passed and not self.report_error else "FAILED"
        tr.write_line(f"VETO gate {verdict}", green=verdict == "PASSED", red=verdict != "PASSED",
                      bold=True)


def _load_baseline(settings: RunSettings) -> dict[str, Any] | None:
    """Read and schema-check ``--veto-baseline`` at start: a bad file is a usage error
    before any model is asked anything."""
    if settings.baseline is None:
        return None
    from pytest_veto.report.command import ReportInputError, load_report

    try:
        return load_report(settings.baseline)
    except ReportInputError as exc:
        raise pytest.UsageError(f"--veto-baseline {exc}") from None


def _forms(settings: RunSettings) -> dict[str, str]:
    """Priming variant -> form; bad variants are reported at collection, not here."""
    from pytest_veto.run.priming import PrimingError, select_variants

    try:
        return {v.name: v.form for v in select_variants(settings.priming, settings.priming_dirs)}
    except (PrimingError, OSError):
        return {}


def _backend_kind(model: str) -> str:
    from pytest_veto.backends import backend_kind

    return backend_kind(model)
