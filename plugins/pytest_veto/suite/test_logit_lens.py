"""Localizing suppression inside a local model (veto-spec section 6).

Run with ``pytest -m logit_lens --model=hf/<path> --veto-report=r.json``
(the lens and the heavier head ablation; ``-m "logit_lens and not head_ablation"`` for
the lens alone, ``-m head_ablation`` for the ablation). Failure pairs (stereotyped
wrong, contrast right) and control pairs (both right) are chosen from the model's own
outcomes; the logit lens reads the yes/no logit difference after every block.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_veto import state

pytestmark = pytest.mark.logit_lens


def test_lens_gap_at_peak(veto_lens_section: Any, request: pytest.FixtureRequest) -> None:
    """The failure-minus-control gap at the failure pairs' peak layer stays within
    ``--veto-lens-max-gap`` (when given)."""
    summary = veto_lens_section.summary()
    failure, control = summary["gap_by_layer"]["failure"], summary["gap_by_layer"]["control"]
    if not failure:
        pytest.skip("no failure pairs among this model's outcomes: no gap to measure")
    if summary["late_layer"]["verdict"] == "non_finite":
        pytest.fail(summary["late_layer"]["message"], pytrace=False)
    layer = summary["peak"]["layer"]
    gap = failure[layer] - (control[layer] if control else 0.0)
    limit = state.settings(request.config).lens.max_gap
    if state.junit_properties(request.config):  # not under pytest's default xunit2 schema
        request.node.user_properties.extend([("peak_layer", layer), ("gap_at_peak", gap)])
    if limit is not None and gap > limit:
        pytest.fail(
            f"failure-minus-control gap {gap:+.2f} logits at layer {layer} of "
            f"{summary['n_layers']} exceeds --veto-lens-max-gap {limit}",
            pytrace=False,
        )


def test_no_late_layer_suppression(veto_lens_section: Any) -> None:
    """Fails, and says where, when the evidence-supported "yes" is present in the early
    layers and suppressed late (the published signature of misfired alignment)."""
    check = veto_lens_section.late_layer()
    if check.verdict == "late":
        pytest.fail(f"late-layer suppression: {check.message}", pytrace=False)
    if check.verdict == "non_finite":
        pytest.fail(check.message, pytrace=False)


@pytest.mark.head_ablation
def test_head_ablation_recovery(veto_ablation_section: Any) -> None:
    """Ablating the most specific heads together: the recovery curve is recorded in the
    report (a check that the analysis ran; findings are for people to read)."""
    recovery = veto_ablation_section.recovery.as_dict()
    assert recovery["points"], "no top-K points were computed"
