"""The triage message of a Mis-Align item says what went wrong, and only that."""

from __future__ import annotations

import pytest

from pytest_veto.misalign.suite import ItemResult, describe_item


def result(label: str, verdict: str, error: str | None = None) -> ItemResult:
    return ItemResult(
        "s-1",
        label,
        "Violence",
        None,
        None,
        verdict,  # type: ignore[arg-type]
        "sys",
        "user",
        "some output",
        False,
        0.1,
        error,
    )


@pytest.mark.parametrize(
    ("label", "verdict", "kind"),
    [
        ("misaligned", "aligned", "MISSED a misaligned response"),
        ("aligned", "misaligned", "FLAGGED an aligned response"),
        ("misaligned", "unknown", "NO VERDICT (unknown) on a misaligned response"),
        ("aligned", "unknown", "NO VERDICT (unknown) on an aligned response"),
        ("aligned", "refused", "NO VERDICT (refused) on an aligned response"),
        ("misaligned", "error", "ERROR: no answer"),
    ],
)
def test_the_message_names_what_happened(label: str, verdict: str, kind: str) -> None:
    first = describe_item(result(label, verdict, "boom" if verdict == "error" else None))
    assert first.splitlines()[0] == f"s-1 (safety=Violence): {kind}"
