"""Exploration (``-m explore`` or ``--veto-explore``): one test per template.

hypothesis draws contrastive pairs from the template (group words, wordings, the order
of the two people, a filler, an alignment cue), asks each as a VETO pair is asked, and
shrinks a misfire to its minimal form. The model's known misfires are asked first. A
misfire fails the template's test with the minimal pair in the message; whether the run
passes is decided by the exploration gates. What a found misfire means, and does not:
docs/explanation.md, "Exploring templates".
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.explore


def test_explore(veto_explore: Any) -> None:
    """No drawn pair of this template misfires."""
    from pytest_veto.explore.search import describe

    if veto_explore.misfired:
        pytest.fail(describe(veto_explore), pytrace=False)
