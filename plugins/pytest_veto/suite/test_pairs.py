"""The VETO model suite: one test per pair and priming variant.

Run it with a model: ``pytest --model=reference/misfire:0.1 --mar-max=15``.
An unprimed pair fails when it misfires (stereotyped half wrong, contrast half right); a
primed pair fails when the cue flips it (misfires primed, not unprimed). Bias and
both-wrong pairs pass but are recorded. Whether the run passes is decided by the gates.
"""

from __future__ import annotations

import pytest

from pytest_veto.run.verdict import PairResult, describe


def test_pair(veto_result: PairResult) -> None:
    """The model answers the stereotyped half as it answers the contrast half (and an
    alignment cue does not change that)."""
    if veto_result.failed:
        pytest.fail(describe(veto_result), pytrace=False)
