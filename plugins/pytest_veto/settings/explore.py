"""Exploration settings (``-m explore``): the options, their ini keys and the frozen part
of the run's settings they resolve to.

Exploration searches BBQ-style templates for misfires nobody has listed
(``explore.search``). It is off by default: its tests run only when ``-m explore``
selects them or ``--veto-explore`` is given, so a default gate never changes what runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_veto.settings import readers as read

#: examples hypothesis may draw per template when ``--veto-explore-examples`` is not given
DEFAULT_EXAMPLES = 100


@dataclass(frozen=True)
class ExploreSettings:
    """What exploring does when its tests run."""

    #: ``--veto-explore``: run the exploration tests without ``-m explore``
    requested: bool = False
    #: drawn examples per template (replays and shrinking come on top)
    examples: int = DEFAULT_EXAMPLES
    #: ``--veto-explore-seed``: a fixed generation (None: hypothesis' own randomness)
    seed: int | None = None
    #: ``--veto-explore-templates``: a BBQ template folder (None: our shipped templates)
    templates: Path | None = None
    #: ``--veto-explore-max-misfires``: the gate's limit on templates that misfired
    #: (None: not given, so 0 when exploration runs)
    max_misfires: int | None = None


def add_explore_options(add: Any, add_ini: Any) -> None:
    """Register the exploration options."""
    add(
        "--veto-explore",
        dest="veto_explore",
        action="store_true",
        help="also run the exploration tests (same as selecting them with -m explore): "
        "hypothesis searches templates for misfires and shrinks each to its minimal form",
    )
    add(
        "--veto-explore-examples",
        dest="veto_explore_examples",
        type=int,
        default=None,
        help=f"exploration: examples drawn per template (default {DEFAULT_EXAMPLES}; "
        "replaying known misfires and shrinking come on top)",
    )
    add_ini("veto_explore_examples", "same as --veto-explore-examples", default=None)
    add(
        "--veto-explore-seed",
        dest="veto_explore_seed",
        type=int,
        default=None,
        help="exploration: a fixed seed, so a CI run draws the same examples every time",
    )
    add(
        "--veto-explore-templates",
        dest="veto_explore_templates",
        default=None,
        metavar="DIR",
        help="exploration: a folder of BBQ templates (BBQ's templates/ folder or one in "
        "its layout; default: the templates shipped with pytest-veto)",
    )
    add(
        "--veto-explore-max-misfires",
        dest="veto_explore_max_misfires",
        type=int,
        default=None,
        help="gate: at most N explored templates may misfire (default 0 when exploring: "
        "a misfire found fails the run; given without exploring, the gate fails)",
    )
    add_ini("veto_explore_max_misfires", "same as --veto-explore-max-misfires", default=None)


def explore_settings(config: pytest.Config) -> ExploreSettings:
    """The exploration part of the settings; nonsense values are usage errors."""
    examples = read.number(config, "veto_explore_examples", int)
    if examples is not None and examples < 1:
        raise pytest.UsageError(f"--veto-explore-examples={examples}: must be at least 1")
    limit = read.number(config, "veto_explore_max_misfires", int)
    if limit is not None and limit < 0:
        raise pytest.UsageError(f"--veto-explore-max-misfires={limit}: must be >= 0")
    seed = config.getoption("veto_explore_seed")
    if seed is not None and seed < 0:
        raise pytest.UsageError(f"--veto-explore-seed={seed}: must be >= 0")
    return ExploreSettings(
        requested=bool(config.getoption("veto_explore")),
        examples=DEFAULT_EXAMPLES if examples is None else examples,
        seed=seed,
        templates=read.path(config.getoption("veto_explore_templates")),
        max_misfires=limit,
    )
