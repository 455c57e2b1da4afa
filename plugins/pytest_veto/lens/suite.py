"""The lens checks inside the gate (worker side): which outcomes choose the pairs, the
subject models, and the two analyses, as plain data for the report's ``lens`` section.

Outcomes come from this run's own behavioural results (the runner's memo and the
response cache make them free when the pair tests already ran; otherwise the pairs are
run here) or from an earlier report (``--veto-lens-from``). By default they are those of
the trigger (primed) run, whether or not ``--veto-priming trigger`` was given, and the
lens reads that run's prompts: that is where the published gaps were measured (the
published pair selection defaults to the trigger run, and its lens prompts carry the
trigger sentence). ``--veto-lens-pairs-from=unprimed`` takes the unprimed run instead.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_veto.backends import capabilities_of
from pytest_veto.backends.protocol import BackendOptions
from pytest_veto.data.pairs import Pair
from pytest_veto.run.cases import Case
from pytest_veto.run.priming import PrimingVariant, select_variants
from pytest_veto.run.progress import ProgressSink, count_line

if TYPE_CHECKING:  # torch loads only when an analysis runs
    from pytest_veto.lens.analysis import LensAnalysis
    from pytest_veto.lens.hooks import AblationMode
    from pytest_veto.lens.pipeline import AblationReport
    from pytest_veto.lens.ranking import Ranking


@dataclass(frozen=True)
class InstructTemplated:
    """A base (pretrained) model read with the instruct model's tokenizer and chat
    template, as published."""

    hf_model: Any
    tokenizer: Any
    instruct: Any

    def chat_prompt(self, messages: Any) -> str:
        """The instruct model's templated prompt."""
        return str(self.instruct.chat_prompt(messages))


def lens_variant(pairs_from: str, priming_dirs: Sequence[Path] = ()) -> PrimingVariant | None:
    """The variant whose outcomes choose the pairs and whose prompts the lens reads:
    ``trigger`` (from the shipped variants or a ``--veto-priming-dir``, requested or not)
    or None for ``unprimed``."""
    if pairs_from == "unprimed":
        return None
    if pairs_from != "trigger":
        raise ValueError(f"lens pairs come from 'trigger' or 'unprimed', not {pairs_from!r}")
    return select_variants(["trigger"], priming_dirs)[0]


def outcomes_from_run(
    runner: Any,
    pairs: Sequence[Pair],
    variant: PrimingVariant | None,
    progress: ProgressSink | None = None,
) -> list[tuple[str, str, str]]:
    """``(pair_id, category, outcome)`` of every pair under ``variant`` in this run.

    Pairs the run already judged (or the response cache holds) cost nothing; the rest
    are sent to the model here, with a ``progress`` line now and then."""
    start = time.monotonic()
    cases = [Case(p, variant) for p in pairs]
    label = f"lens: behavioural outcomes ({variant.name if variant else 'base'}), pairs"
    found: list[tuple[str, str, str]] = []
    for i, case in enumerate(cases):
        result = runner.result(case, cases[i + 1 :])
        found.append((result.pair_id, result.category, result.outcome))
        if progress is not None:
            progress(
                count_line(label, i + 1, len(cases), time.monotonic() - start),
                force=i + 1 == len(cases),
            )
    return found


def outcomes_from_report(path: Path, variant: str) -> list[tuple[str, str, str]]:
    """``(pair_id, category, outcome)`` of ``variant`` (``base``: unprimed) from an earlier
    report. A missing or unusable file, or one without that variant's outcomes, is a
    ValueError naming it."""
    from pytest_veto.data import jsonfile

    try:
        data = jsonfile.read(path)  # depth and number limits, a BOM, located errors
    except jsonfile.UserJsonError as exc:
        where = f"{exc.location}: " if exc.location else ""
        raise ValueError(
            f"--veto-lens-from {path}: not a pytest-veto report ({where}{exc.detail})"
        ) from None
    except OSError as exc:
        raise ValueError(f"--veto-lens-from {path}: cannot read it ({exc.strerror})") from None
    try:
        rows = [
            (str(r["pair_id"]), str(r["category"]), str(r["outcome"]), r.get("variant"))
            for r in data["pairs"]
        ]
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(
            f"--veto-lens-from {path}: not a pytest-veto report ({type(exc).__name__}: {exc})"
        ) from None
    found = [(p, c, o) for p, c, o, v in rows if v == variant]
    if not found:
        had = sorted({str(v) for *_, v in rows})
        hint = (
            "run it with --veto-priming trigger, or pass --veto-lens-pairs-from=unprimed"
            if variant == "trigger"
            else "pass a report of a run that has them"
        )
        raise ValueError(
            f"--veto-lens-from {path}: the report has no {variant!r} outcomes "
            f"(variants: {', '.join(had) or 'none'}); {hint}"
        )
    return found


def lens_section(
    analysis: Any, outcome_source: str, variant: str, ablation: Any | None = None
) -> dict[str, Any]:
    """The report's ``lens`` section; NaN and infinities become null (the report is
    strict JSON, and one broken number must not cost the whole report). ``variant``
    (``base``: unprimed) chose the pairs and is the run whose prompts the lens read."""
    section = dict(analysis.as_dict())
    section["outcomes"] = {
        "source": outcome_source,
        "variant": variant,
        "pairs_from": "unprimed" if variant == "base" else variant,
        "prompts": variant,
    }
    section["ablation"] = ablation.as_dict() if ablation is not None else None
    return dict(_finite(section))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


# -- the checks' orchestration (the plugin's lens fixtures only delegate here) -------------


@dataclass(frozen=True)
class LensRun:
    """One process's lens analysis: what the checks read and the report records."""

    analysis: LensAnalysis
    #: the report's ``lens`` section, without an ablation
    section: dict[str, Any]
    #: the model the lens read (an ``HFBackend``)
    subject: Any
    pairs: tuple[Pair, ...]
    #: the priming variant whose outcomes and prompts the lens used (None: unprimed)
    variant: PrimingVariant | None = None

    @property
    def failure_ids(self) -> list[str]:
        """The chosen failure pairs (stereotyped wrong, contrast right)."""
        return [p.pair_id for p in self.analysis.pairs if p.role == "failure"]


def lens_subject(model: str, runner: Any) -> Any | None:
    """``runner``'s backend (of ``model``) if the lens can read it (it has hidden states),
    else None. Whether it can is first asked of ``model``'s kind, so a model that cannot
    is never created here; one that can is created (a local model: loaded)."""
    if "hidden_states" not in capabilities_of(model):
        return None
    backend = runner.backend
    return backend if "hidden_states" in backend.capabilities else None


def run_lens(
    runner: Any,
    subject: Any,
    pairs: Sequence[Pair],
    variant: PrimingVariant | None,
    *,
    n_pairs: int,
    seed: int,
    early_gap: float,
    from_report: Path | None = None,
    base_model: str | None = None,
    backend_options: BackendOptions | None = None,
    progress: ProgressSink | None = None,
) -> LensRun:
    """The logit lens of ``subject`` on ``n_pairs`` failure and control pairs chosen from
    its outcomes under ``variant`` (see :func:`lens_variant`; None: unprimed): those of an
    earlier report (``from_report``) or of this run (``runner`` gives them, running the
    cases not yet run), reading that variant's prompts. With a ``base_model`` (a local
    model's name), the base model is read too, through the subject's tokenizer and chat
    template."""
    from pytest_veto.backends import create_backend
    from pytest_veto.lens.analysis import LateLayerCriteria
    from pytest_veto.lens.pipeline import run_lens_analysis

    name = variant.name if variant is not None else "base"
    if from_report is not None:
        outcomes = outcomes_from_report(from_report, name)
        source = str(from_report)
    else:
        outcomes = outcomes_from_run(runner, pairs, variant, progress)
        source = "this run"
    base: Any = None  # InstructTemplated reads as a LensSubject
    if base_model is not None:
        base_backend: Any = create_backend(base_model, backend_options or BackendOptions())
        base = InstructTemplated(base_backend.hf_model, subject.tokenizer, subject)
    analysis = run_lens_analysis(
        subject,
        pairs,
        outcomes,
        n=n_pairs,
        seed=seed,
        base=base,
        criteria=LateLayerCriteria(early_gap_threshold=early_gap),
        variant=variant,
    )
    return LensRun(analysis, lens_section(analysis, source, name), subject, tuple(pairs), variant)


def run_ablation(
    lens: LensRun,
    *,
    ranking: Ranking,
    n_rank: int,
    seed: int,
    mode: AblationMode,
    verify_top: int | None,
    progress: ProgressSink | None = None,
) -> AblationReport | None:
    """Head ablation on the lens's failure pairs, on the prompts the lens read: heads
    ranked per failure pair (``per-pair``) or once on ``n_rank`` of them (``pooled``),
    top-K recovery on all; None when the lens chose no failure pair (nothing to ablate)."""
    from pytest_veto.lens.pipeline import run_head_ablation

    failures = lens.failure_ids
    if not failures:
        return None
    return run_head_ablation(
        lens.subject,
        lens.pairs,
        failures,
        ranking=ranking,
        n_rank=n_rank,
        seed=seed,
        mode=mode,
        verify_top=verify_top,
        variant=lens.variant,
        progress=progress,
    )


def ablation_section(lens: LensRun, ablation: AblationReport | None) -> dict[str, Any]:
    """The report's ``lens`` section with the ablation (None: none ran)."""
    outcomes = lens.section["outcomes"]
    return lens_section(lens.analysis, outcomes["source"], outcomes["variant"], ablation)
