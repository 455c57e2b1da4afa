"""Schema-valid JSON reports built by hand, through the real report builder.

``make_report`` turns ``{pair_id: outcome}`` tables into the report the gate would write
for those outcomes (metrics, amplification, pairs, prompts), so the report command's
tests need no pytest run. Prompts and raw outputs are synthetic but parse as the outcome
says; ``raw`` overrides one half's raw output (e.g. to inject markup).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_veto.gate.gates import GateResult
from pytest_veto.report.json_report import Manifest, build_report, validate_report
from pytest_veto.run.answer_form import answer_form
from pytest_veto.run.verdict import HalfResult, PairResult
from pytest_veto.score.amplification import amplification
from pytest_veto.score.metrics import Outcome

SHA = "ab" * 32


def category_of(pair_id: str) -> str:
    """Category from a sample-style pair id (``age_s1_p0`` -> ``Age``)."""
    names = {
        "age": "Age",
        "disabilitystatus": "Disability_status",
        "genderidentity": "Gender_identity",
        "physicalappearance": "Physical_appearance",
        "raceethnicity": "Race_ethnicity",
        "religion": "Religion",
        "ses": "SES",
        "sexualorientation": "Sexual_orientation",
    }
    return names[pair_id.split("_")[0]]


def _half(
    pair_id: str, half: str, variant: str, correct: bool | None, raw: str | None
) -> HalfResult:
    answer = "error" if correct is None else ("yes" if correct else "no")
    text = raw if raw is not None else ("" if correct is None else f'{{"answer": "{answer}"}}')
    return HalfResult(
        half=half,
        variant=variant,
        system="You are a helpful assistant.",
        user=f"Context of {pair_id} ({half}). Is it so?",
        raw=text,
        answer=answer,  # type: ignore[arg-type]
        expected="yes",
        correct=bool(correct),
        cached=False,
        latency_s=0.001,
        error="simulated failure" if correct is None else None,
        form=None if correct is None else answer_form(text),
    )


def pair_result(
    pair_id: str,
    outcome: str,
    variant: str = "base",
    base_outcome: str | None = None,
    raw: Mapping[str, str] | None = None,
) -> PairResult:
    """A pair result whose halves give ``outcome``."""
    raw = raw or {}
    if outcome == "error":
        st, co = None, True
    else:
        st, co = outcome in ("a", "b"), outcome in ("a", "c")
    return PairResult(
        pair_id=pair_id,
        category=category_of(pair_id),
        variant=variant,
        evidence_match="swap",
        outcome=outcome,  # type: ignore[arg-type]
        stereotyped=_half(pair_id, "stereotyped", variant, st, raw.get("stereotyped")),
        contrast=_half(pair_id, "contrast", variant, co, raw.get("contrast")),
        base_outcome=base_outcome,  # type: ignore[arg-type]
    )


def make_report(
    base: Mapping[str, str],
    *,
    primed: Mapping[str, Mapping[str, str]] | None = None,
    model: str = "reference/misfire:0.1",
    passed: bool = True,
    gates: tuple[GateResult, ...] = (),
    raw: Mapping[tuple[str, str, str], str] | None = None,
    sha256: str = SHA,
    condition: str = "direct",
) -> dict[str, Any]:
    """A validated report: ``base`` and each ``primed[variant]`` map pair id -> outcome.

    ``raw[(pair_id, variant, half)]`` overrides a raw output.
    """
    raw = raw or {}

    def overrides(pid: str, variant: str) -> dict[str, str]:
        return {
            h: raw[(pid, variant, h)]
            for h in ("stereotyped", "contrast")
            if (pid, variant, h) in raw
        }

    results = [pair_result(pid, o, raw=overrides(pid, "base")) for pid, o in base.items()]
    for variant, table in (primed or {}).items():
        results += [
            pair_result(pid, o, variant, base_outcome=base[pid], raw=overrides(pid, variant))
            for pid, o in table.items()
        ]
    manifest = Manifest(
        model=model,
        backend="reference",
        started="2026-01-01T00:00:00+00:00",
        finished="2026-01-01T00:00:01+00:00",
        condition=condition,
        priming=tuple(primed or ()),
        dataset_path="fixtures/veto_sample.jsonl",
        dataset_sha256=sha256,
        n_pairs=len(base),
        argv=("pytest",),
        seed=0,
    )
    gate_list = gates or (
        GateResult(
            "min_pairs", "answered pairs", 1, float(len(base)), True, "answered pairs ok: pass"
        ),
    )
    report = build_report(
        manifest,
        results,
        gate_list,
        passed=passed,
        accounting={"collected": len(results), "reported": len(results), "missing": []},
        amplifications=[amplification(v, "stereotyped_only", results) for v in (primed or {})],
    )
    validate_report(report)
    return report


def outcomes(
    n_a: int = 0, n_b: int = 0, n_c: int = 0, n_d: int = 0, n_error: int = 0, prefix: str = "age_s"
) -> dict[str, Outcome]:
    """``{pair_id: outcome}`` with the given cell counts, ids ``<prefix><i>_p0`` in order."""
    counts: dict[Outcome, int] = {"a": n_a, "b": n_b, "c": n_c, "d": n_d, "error": n_error}
    cells = [outcome for outcome, n in counts.items() for _ in range(n)]
    return {f"{prefix}{i}_p0": o for i, o in enumerate(cells)}
