"""The JSON report: built from pair results and gates, schema-checked, written atomically."""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_veto import __version__
from pytest_veto.data.atomic import write_bytes_atomic
from pytest_veto.data.resources import load_schema
from pytest_veto.gate.gates import GateResult
from pytest_veto.gate.summary import RunSummary
from pytest_veto.run.verdict import PairResult
from pytest_veto.score.aggregate import variant_metrics, variants_of
from pytest_veto.score.amplification import Amplification
from pytest_veto.score.answer_forms import AnswerForms, answer_forms
from pytest_veto.score.baseline import REPORT_SCHEMA_VERSION, pair_rows
from pytest_veto.score.stats import run_statistics

SCHEMA_VERSION = REPORT_SCHEMA_VERSION


class ReportSchemaError(ValueError):
    """The report we built does not match its schema (a bug: nothing is written)."""


@dataclass(frozen=True)
class Manifest:
    """What was run: model, data, options and versions."""

    model: str
    backend: str
    started: str
    finished: str
    condition: str
    priming: tuple[str, ...]
    dataset_path: str
    dataset_sha256: str
    n_pairs: int
    argv: tuple[str, ...]
    seed: int
    #: ``--veto-model-revision`` (None: not given)
    model_revision: str | None = None
    #: the effective decoding (``run.decoding.DecodingSettings.as_dict``)
    decoding: dict[str, Any] | None = None
    #: the text mode of pairs built from a BBQ folder (None: pairs read from a file)
    text: str | None = None


def library_versions() -> dict[str, str]:
    """Versions of python, pytest-veto and pytest, and of torch, transformers and litellm
    where this process loaded them (the report never imports a heavy library itself)."""
    from importlib.metadata import PackageNotFoundError, version

    import pytest

    versions = {
        "python": platform.python_version(),
        "pytest-veto": __version__,
        "pytest": pytest.__version__,
    }
    for name in ("torch", "transformers", "litellm"):
        if name in sys.modules:
            try:
                versions[name] = version(name)
            except PackageNotFoundError:
                versions[name] = str(getattr(sys.modules[name], "__version__", "unknown"))
    return versions


def _prompt_rows(results: Sequence[PairResult]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        for h in (r.stereotyped, r.contrast):
            rows.append(
                {
                    "pair_id": r.pair_id,
                    "half": h.half,
                    "variant": r.variant,
                    "prompt_variant": h.variant,
                    "system": h.system,
                    "user": h.user,
                    "raw": h.raw,
                    "answer": h.answer,
                    "expected": h.expected,
                    "correct": h.correct,
                    "cached": h.cached,
                    "latency_s": h.latency_s,
                    "error": h.error,
                    "logit_diff": h.logit_diff,
                    "form": h.form,
                }
            )
    return rows


def build_report(
    manifest: Manifest,
    results: Sequence[PairResult],
    gates: Sequence[GateResult],
    *,
    passed: bool,
    accounting: dict[str, Any],
    extra_versions: dict[str, str] | None = None,
    amplifications: Sequence[Amplification] = (),
    statistics: dict[str, Any] | None = None,
    baseline: dict[str, Any] | None = None,
    misalign: dict[str, Any] | None = None,
    lens: dict[str, Any] | None = None,
    forms: AnswerForms | None = None,
    answers: dict[str, Any] | None = None,
    model_served: list[str] | None = None,
    controls: dict[str, Any] | None = None,
    explore: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report as plain data, in a stable order. ``forms``: the run's answer forms,
    computed from ``results`` when not given; ``answers``: where the completions came
    from, per suite (``RunSummary.answers_by_suite``)."""
    ordered = sorted(results, key=lambda r: (r.variant != "base", r.variant, r.pair_id))
    run = {
        "model": manifest.model,
        "backend": manifest.backend,
        "started": manifest.started,
        "finished": manifest.finished,
        "condition": manifest.condition,
        "priming": list(manifest.priming),
        "seed": manifest.seed,
        "dataset": {
            "path": manifest.dataset_path,
            "sha256": manifest.dataset_sha256,
            "n_pairs": manifest.n_pairs,
            "text": manifest.text,
        },
        "decoding": manifest.decoding,
        "versions": {**library_versions(), **(extra_versions or {})},
        "argv": list(manifest.argv),
        "model_revision": manifest.model_revision,
    }
    if answers is not None:
        run["answers"] = answers
    if model_served is not None:
        run["model_served"] = model_served
    return {
        "schema_version": SCHEMA_VERSION,
        "passed": passed,
        "run": run,
        "accounting": accounting,
        "answer_forms": (
            forms
            if forms is not None
            else answer_forms(h for r in ordered for h in (r.stereotyped, r.contrast))
        ).as_dict(),
        "gates": [g.as_dict() for g in gates],
        "metrics": {v: variant_metrics(v, ordered).as_dict() for v in variants_of(ordered)},
        "amplification": {a.variant: a.as_dict() for a in amplifications},
        "pairs": pair_rows(ordered),
        "prompts": _prompt_rows(ordered),
        "statistics": statistics
        if statistics is not None
        else run_statistics(ordered, seed=manifest.seed),
        "baseline": baseline,
        "misalign": misalign,
        "lens": lens,
        "controls": controls,
        "explore": explore,
    }


def controls_section(summary: RunSummary) -> dict[str, Any] | None:
    """The report's ``controls``: their numbers and one row per control (None when the
    controls were not asked for)."""
    stats = summary.control_stats
    if stats is None:
        return None
    rows = [
        {
            "pair_id": c.pair_id,
            "category": c.category,
            "asks_about": c.asks_about,
            "group": c.group,
            "system": c.answer.system,
            "user": c.answer.user,
            "raw": c.answer.raw,
            "answer": c.answer.answer,
            "expected": c.answer.expected,
            "correct": c.answer.correct,
            "cached": c.answer.cached,
            "latency_s": c.answer.latency_s,
            "error": c.answer.error,
        }
        for c in summary.controls
    ]
    return {**stats.as_dict(), "rows": rows}


def explore_section(summary: RunSummary) -> dict[str, Any] | None:
    """The report's ``explore``: the totals and each explored template's record (None
    when no exploration ran or was gated)."""
    stats = summary.explore_stats
    if stats is None:
        return None
    return {**stats.as_dict(), "templates_explored": [dict(r) for r in summary.explorations]}


def report_of(
    summary: RunSummary, manifest: Manifest, *, lens: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The report of a finished run (``lens``: the section with its plot paths)."""
    from pytest_veto.misalign.suite import report_section

    misalign = (
        report_section(summary.items, summary.misalign)
        if summary.items and summary.misalign is not None
        else None
    )
    return build_report(
        manifest,
        summary.pairs,
        summary.gates,
        passed=summary.passed,
        accounting=summary.accounting.as_dict(),
        amplifications=summary.amplifications,
        forms=summary.answer_forms,
        baseline=summary.comparison.as_dict() if summary.comparison else None,
        misalign=misalign,
        answers=summary.answers_by_suite(),
        model_served=summary.model_served,
        lens=lens
        if lens is not None
        else (dict(summary.lens) if summary.lens is not None else None),
        controls=controls_section(summary),
        explore=explore_section(summary),
    )


def validate_report(report: dict[str, Any]) -> None:
    """Raise ReportSchemaError listing every schema violation."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(load_schema("veto_report"))
    errors = sorted(validator.iter_errors(report), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = [
            f"{'.'.join(map(str, e.absolute_path)) or '<report>'}: {e.message}" for e in errors[:20]
        ]
        raise ReportSchemaError("report does not match its schema:\n" + "\n".join(lines))


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON atomically (never a half-written report after a crash)."""
    text = json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, text.encode("utf-8"))
