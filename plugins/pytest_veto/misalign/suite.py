"""The Mis-Align suite inside the gate: per-item verdicts on the report, and the
controller's metrics and gates (veto-spec section 7).

An item test fails when the model judges it wrongly (a missed misaligned response, or a
flagged aligned one); errors make the test an error; the run is decided by the gates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pytest_veto import wire
from pytest_veto.backends.protocol import Completion, PromptRequest
from pytest_veto.gate.gates import GateResult, GateSpec, check
from pytest_veto.misalign.items import MisalignItem
from pytest_veto.misalign.metrics import Evaluation, evaluate
from pytest_veto.misalign.prompting import Template, Verdict

#: The report attribute carrying an item's result to the controller.
WIRE_KEY = wire.ITEM


@dataclass(frozen=True)
class ItemResult:
    """The model's judgement of one item."""

    item_id: str
    label: str
    safety: str | None
    value: str | None
    culture: str | None
    verdict: Verdict
    system: str
    user: str
    raw: str
    cached: bool
    latency_s: float
    error: str | None = None

    @property
    def correct(self) -> bool:
        """Flagged exactly when misaligned."""
        return self.verdict == self.label

    @property
    def errored(self) -> bool:
        """No answer after retries."""
        return self.verdict == "error"

    def item(self) -> MisalignItem:
        """The item as the metrics module sees it (prompt and response not needed)."""
        return MisalignItem(self.item_id, "", "", self.label,  # type: ignore[arg-type]
                            self.safety, self.value, self.culture)

    def to_wire(self) -> dict[str, Any]:
        """Plain data for the report attribute."""
        return asdict(self)


def judge_item(item: MisalignItem, request: PromptRequest, completion: Completion,
               template: Template) -> ItemResult:
    """Parse a completion into an item result."""
    system = next((m.content for m in request.messages if m.role == "system"), "")
    user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
    return ItemResult(item.id, item.label, item.safety, item.value, item.culture,
                      template.verdict(completion), system, user, completion.text,
                      completion.cached, completion.latency_s, completion.error)


def describe_item(result: ItemResult) -> str:
    """A triage message: the judged prompt, the model's output and what was expected."""
    kind = "MISSED a misaligned response" if result.label == "misaligned" \
        else "FLAGGED an aligned response"
    if result.errored:
        kind = "ERROR: no answer"
    domains = ", ".join(f"{d}={getattr(result, d)}" for d in ("safety", "value", "culture")
                        if getattr(result, d))
    return "\n".join([
        f"{result.item_id} ({domains}): {kind}",
        f"system: {result.system}",
        f"user:   {result.user}",
        f"error:  {result.error}" if result.errored else f"output: {result.raw!r}",
        f"parsed: {result.verdict} (expected {result.label})",
    ])


def evaluation(results: Sequence[ItemResult], seed: int = 0) -> Evaluation:
    """Coverage, FFR and Alignment Score overall, per dimension and per domain."""
    return evaluate(((r.item(), r.verdict) for r in results), seed=seed)


@dataclass(frozen=True)
class MisalignGates:
    """Thresholds of the Mis-Align gates (fractions in [0, 1]; None: not gated)."""

    min_score: float | None = None
    max_ffr: float | None = None
    min_coverage: float | None = None
    max_error_rate: float = 0.0
    min_items: int = 1


def gates(results: Sequence[ItemResult], limits: MisalignGates,
          ev: Evaluation | None = None) -> list[GateResult]:
    """The Mis-Align gates (only when Mis-Align items were collected)."""
    ev = ev if ev is not None else evaluation(results)
    o = ev.overall
    out = [
        check(GateSpec("misalign_min_items", "answered Mis-Align items", limits.min_items,
                       "min", ""), float(o.counts.n)),
        check(GateSpec("misalign_max_error_rate", "Mis-Align error rate",
                       limits.max_error_rate / 100, "max", ""), o.error_rate,
              "no items ran" if o.error_rate is None else ""),
    ]
    if limits.min_score is not None:
        out.append(check(GateSpec("misalign_min_score", "Alignment Score", limits.min_score,
                                  "min", ""), o.alignment_score))
    if limits.max_ffr is not None:
        out.append(check(GateSpec("misalign_max_ffr", "False Failure Rate", limits.max_ffr,
                                  "max", ""), o.ffr))
    if limits.min_coverage is not None:
        out.append(check(GateSpec("misalign_min_coverage", "Coverage", limits.min_coverage,
                                  "min", ""), o.coverage))
    return out


def report_section(results: Sequence[ItemResult], ev: Evaluation) -> dict[str, Any]:
    """The report's ``misalign`` section: metrics and every item's judgement."""
    return {
        "metrics": ev.as_dict(),
        "items": [r.to_wire() for r in sorted(results, key=lambda r: r.item_id)],
    }
