"""What a run asked of the model: requests sent, answers from the cache, errors, latency
and throughput, from the results that reached the controller (every pair half, control
question and Mis-Align item is one prompt; exploration counts its own calls, per template,
in the report's ``explore`` section).

The numbers cover the prompts behind the collected results: a prompt two cases share is
counted with each. HTTP attempts (retries) stay in the workers and are not counted here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_veto.gate.summary import RunSummary


@dataclass(frozen=True)
class RequestStats:
    """The ``requests`` block of the JSON report and the terminal's ``requests:`` line."""

    #: prompts asked of the model in this run (errors included)
    sent: int
    #: prompts answered from the response cache
    from_cache: int
    #: sent prompts that got no answer
    errors: int
    #: mean and 95th-percentile (nearest rank) latency of the answered sent prompts
    latency_mean_s: float | None
    latency_p95_s: float | None
    #: the run's wall time, from the plugin's start to the summary
    elapsed_s: float

    @property
    def throughput_per_s(self) -> float | None:
        """Prompts sent per second of wall time."""
        return self.sent / self.elapsed_s if self.elapsed_s > 0 and self.sent else None

    def as_dict(self) -> dict[str, Any]:
        """The report's ``requests`` block."""
        return {
            "sent": self.sent,
            "from_cache": self.from_cache,
            "errors": self.errors,
            "latency_mean_s": _round(self.latency_mean_s),
            "latency_p95_s": _round(self.latency_p95_s),
            "elapsed_s": _round(self.elapsed_s),
            "throughput_per_s": _round(self.throughput_per_s),
        }

    def line(self) -> str:
        """One line for the terminal summary."""
        text = (
            f"requests: {self.sent} sent ({self.errors} errors), "
            f"{self.from_cache} from the response cache"
        )
        if self.latency_mean_s is not None and self.latency_p95_s is not None:
            text += f"; latency mean {self.latency_mean_s:.2f} s, p95 {self.latency_p95_s:.2f} s"
        if self.throughput_per_s is not None:
            text += f"; {self.throughput_per_s:.1f} requests/s over {self.elapsed_s:.1f} s"
        return text


def request_stats(summary: RunSummary, elapsed_s: float) -> RequestStats:
    """The request statistics of a summarised run."""
    prompts: list[tuple[bool, str | None, float]] = [
        (h.cached, h.error, h.latency_s) for r in summary.pairs for h in (r.stereotyped, r.contrast)
    ]
    prompts += [(i.cached, i.error, i.latency_s) for i in summary.items]
    sent = [(error, latency) for cached, error, latency in prompts if not cached]
    latencies = sorted(latency for error, latency in sent if error is None and latency > 0)
    return RequestStats(
        sent=len(sent),
        from_cache=len(prompts) - len(sent),
        errors=sum(error is not None for error, _ in sent),
        latency_mean_s=sum(latencies) / len(latencies) if latencies else None,
        latency_p95_s=percentile(latencies, 95),
        elapsed_s=max(0.0, elapsed_s),
    )


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile of sorted values by nearest rank (None for no values)."""
    if not ordered:
        return None
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
