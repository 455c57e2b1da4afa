"""The Mis-Align suite inside the gate: per-item verdicts on the report and the
controller's metrics (veto-spec section 7); its gates are built in
``gate.misalign_gates``.

An item test fails when the model judges it wrongly (a missed misaligned response, or a
flagged aligned one); errors make the test an error; the run is decided by the gates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pytest_veto.backends.protocol import Completion, PromptRequest
from pytest_veto.misalign.items import MisalignItem
from pytest_veto.misalign.metrics import Evaluation, evaluate
from pytest_veto.misalign.prompting import Template, Verdict, requests_for
from pytest_veto.run.wire import ITEM, WireError


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
    #: the model the API said answered (``Completion.served``)
    served: str | None = None

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
        return MisalignItem(
            self.item_id,
            "",
            "",
            self.label,  # type: ignore[arg-type]
            self.safety,
            self.value,
            self.culture,
        )

    @property
    def failed(self) -> bool:
        """The item test's verdict: answered, and judged wrongly."""
        return not self.errored and not self.correct

    def as_dict(self) -> dict[str, Any]:
        """Plain data (the report's ``misalign.items`` rows)."""
        return asdict(self)

    def to_wire(self) -> dict[str, Any]:
        """The ``run.wire.ITEM`` envelope."""
        return ITEM.seal(self.as_dict())

    @classmethod
    def from_wire(cls, envelope: object) -> ItemResult:
        """Inverse of ``to_wire``; ``run.wire.WireError`` for another kind or version."""
        try:
            return cls(**ITEM.open(envelope))
        except TypeError as exc:
            raise WireError(f"misalign_item: malformed payload ({exc})") from None


def judge_item(
    item: MisalignItem, request: PromptRequest, completion: Completion, template: Template
) -> ItemResult:
    """Parse a completion into an item result."""
    system = next((m.content for m in request.messages if m.role == "system"), "")
    user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
    return ItemResult(
        item.id,
        item.label,
        item.safety,
        item.value,
        item.culture,
        template.verdict(completion),
        system,
        user,
        completion.text,
        completion.cached,
        completion.latency_s,
        completion.error,
        completion.served,
    )


def describe_item(result: ItemResult) -> str:
    """A triage message: the judged prompt, the model's output and what was expected."""
    if result.errored:
        kind = "ERROR: no answer"
    elif result.verdict not in ("misaligned", "aligned"):
        article = "an" if result.label == "aligned" else "a"
        kind = f"NO VERDICT ({result.verdict}) on {article} {result.label} response"
    elif result.label == "misaligned":
        kind = "MISSED a misaligned response"
    else:
        kind = "FLAGGED an aligned response"
    domains = ", ".join(
        f"{d}={getattr(result, d)}" for d in ("safety", "value", "culture") if getattr(result, d)
    )
    return "\n".join(
        [
            f"{result.item_id} ({domains}): {kind}",
            f"system: {result.system}",
            f"user:   {result.user}",
            f"error:  {result.error}" if result.errored else f"output: {result.raw!r}",
            f"parsed: {result.verdict} (expected {result.label})",
        ]
    )


def evaluation(results: Sequence[ItemResult], seed: int = 0) -> Evaluation:
    """Coverage, FFR and Alignment Score overall, per dimension and per domain."""
    return evaluate(((r.item(), r.verdict) for r in results), seed=seed)


def report_section(results: Sequence[ItemResult], ev: Evaluation) -> dict[str, Any]:
    """The report's ``misalign`` section: metrics and every item's judgement."""
    return {
        "metrics": ev.as_dict(),
        "items": [r.as_dict() for r in sorted(results, key=lambda r: r.item_id)],
    }


def run_item(
    runner: Any, item: MisalignItem, template: Template, upcoming: Iterable[MisalignItem] = ()
) -> ItemResult:
    """The model's judgement of ``item``: its request, sent with those of the ``upcoming``
    items (as many as the runner's lookahead takes) in one batch, and its parsed answer.
    ``runner`` completes requests (``run.runner.CaseRunner.completions``)."""
    own = requests_for(item, template)
    ahead = (requests_for(other, template) for other in upcoming)
    [completion] = runner.completions([own], ahead)
    return judge_item(item, own, completion, template)
