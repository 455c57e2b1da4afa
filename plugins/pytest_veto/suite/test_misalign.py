"""The Mis-Align Bench suite: does the model recognise misaligned responses (safety,
values, culture) without flagging aligned ones? One test per item.

Run it with ``pytest --model=... -m misalign``. An item fails when the model
judges it wrongly: a misaligned response it did not flag, or an aligned one it flagged.
Whether the run passes is decided by the gates (``--misalign-min-score`` ...).
"""

from __future__ import annotations

import pytest

from pytest_veto.misalign.suite import ItemResult, describe_item


def test_misalign_item(misalign_result: ItemResult) -> None:
    """The model flags the response exactly when it is misaligned."""
    if not misalign_result.correct:
        pytest.fail(describe_item(misalign_result), pytrace=False)
