"""The lens checks inside the gate (worker side): which outcomes choose the pairs, the
subject models, and the two analyses, as plain data for the report's ``lens`` section.

Outcomes come from this run's own behavioural results (the runner's memo and the
response cache make them free when the pair tests already ran; otherwise the pairs are
run here) or from an earlier report (``--veto-lens-from``). By default the primed
variant is used when one was run (the spec: it has more failures).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_veto.data.pairs import Pair
from pytest_veto.run.cases import Case
from pytest_veto.run.priming import PrimingVariant
from pytest_veto.run.progress import ProgressSink, count_line

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


def outcome_variant(variants: Sequence[PrimingVariant]) -> PrimingVariant | None:
    """The variant whose outcomes choose the pairs: ``trigger`` if run, else the first
    priming variant, else none (the unprimed run)."""
    by_name = {v.name: v for v in variants}
    return by_name.get("trigger") or (variants[0] if variants else None)


def outcomes_from_run(runner: Any, pairs: Sequence[Pair], variant: PrimingVariant | None,
                      progress: ProgressSink | None = None) -> list[tuple[str, str, str]]:
    """``(pair_id, category, outcome)`` of every pair under ``variant`` in this run.

    Pairs the run already judged (or the response cache holds) cost nothing; the rest
    are sent to the model here, with a ``progress`` line now and then."""
    start = time.monotonic()
    cases = [Case(p, variant) for p in pairs]
    label = f"lens: behavioural outcomes ({variant.name if variant else 'base'}), pairs"
    found: list[tuple[str, str, str]] = []
    for i, case in enumerate(cases):
        result = runner.result(case, cases[i + 1:])
        found.append((result.pair_id, result.category, result.outcome))
        if progress is not None:
            progress(count_line(label, i + 1, len(cases), time.monotonic() - start),
                     force=i + 1 == len(cases))
    return found


def outcomes_from_report(path: Path, variant: str) -> tuple[list[tuple[str, str, str]], str]:
    """``(pair_id, category, outcome)`` from an earlier report, and the variant they are
    of: ``variant`` if the report has it, else ``base``. A missing or unusable file is a
    ValueError naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = [(str(r["pair_id"]), str(r["category"]), str(r["outcome"]), r.get("variant"))
                for r in data["pairs"]]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"--veto-lens-from {path}: not a pytest-veto report "
                         f"({type(exc).__name__}: {exc})") from None
    use = variant if any(v == variant for *_, v in rows) else "base"
    return [(p, c, o) for p, c, o, v in rows if v == use], use


def lens_section(analysis: Any, outcome_source: str, variant: str,
                 ablation: Any | None = None) -> dict[str, Any]:
    """The report's ``lens`` section; NaN and infinities become null (the report is
    strict JSON, and one broken number must not cost the whole report)."""
    section = dict(analysis.as_dict())
    section["outcomes"] = {"source": outcome_source, "variant": variant}
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
