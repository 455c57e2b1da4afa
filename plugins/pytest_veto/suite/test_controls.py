"""The control questions (``--veto-controls``): one test per pair that carries one.

A control asks the stereotyped half's question about the other person in the same
context, so the evidence says "no" (every pair half expects "yes": without controls a
model that always says "yes" would pass). A control fails when the model does not
answer "no"; whether the run passes is decided by the ``yes_bias_max`` gate.
"""

from __future__ import annotations

import pytest

from pytest_veto.run.controls import ControlResult, describe_control


def test_control(veto_control: ControlResult) -> None:
    """The model says "no" where the context says the person asked about did not do it."""
    if veto_control.failed:
        pytest.fail(describe_control(veto_control), pytrace=False)
