"""The VETO model suite: one test per pair (and priming variant).

Run it with a model: ``pytest veto_tests --model=reference/misfire:0.1 --mar-max=15``.
A pair fails when it misfires (stereotyped half wrong, contrast half right); bias and
both-wrong pairs pass but are recorded. Whether the run passes is decided by the gates.
"""

from __future__ import annotations

import pytest

from pytest_veto.verdict import PairResult, describe


def test_pair(veto_result: PairResult) -> None:
    """The model answers the stereotyped half as it answers the contrast half."""
    if veto_result.misfired:
        pytest.fail(describe(veto_result), pytrace=False)
