"""pytest's ``-m`` expression evaluator, the one private pytest API pytest-veto uses.

``_pytest.mark.expression.Expression`` and ``_pytest.mark.MarkMatcher`` are pytest's own
``-m`` machinery (stable since pytest 8, not public). Only this module imports them; if
a pytest release moves them, :func:`selected_only_by` falls back to a cruder test (does
the expression name a marker at all) and ``tests/unit/test_markexpr.py`` fails, naming
the pytest version, so that the upgrade is noticed rather than silently degraded.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

import pytest

Evaluator = Callable[[str, Iterable[pytest.Mark]], bool]


def _pytest_evaluator() -> Evaluator | None:
    try:
        from _pytest.mark import MarkMatcher
        from _pytest.mark.expression import Expression
    except ImportError:  # pragma: no cover - a future pytest moved them (the test says so)
        return None

    def evaluate(markexpr: str, marks: Iterable[pytest.Mark]) -> bool:
        return bool(Expression.compile(markexpr).evaluate(MarkMatcher.from_markers(marks)))

    return evaluate


#: pytest's own ``-m`` evaluation, or None when this pytest no longer has it where expected
PYTEST_EVALUATOR: Evaluator | None = _pytest_evaluator()


def selected_only_by(markexpr: str, marks: Iterable[pytest.Mark], names: Collection[str]) -> bool:
    """Whether ``-m markexpr`` selects an item with ``marks`` only because of its markers
    named ``names``: it would not select the item without them. True for ``-m
    logit_lens`` on a lens check; false for ``-m "not head_ablation"``, a malformed
    expression (pytest reports it itself) or no expression at all."""
    if not markexpr:
        return False
    if PYTEST_EVALUATOR is None:  # pragma: no cover - see the module docstring
        return any(name in markexpr for name in names)
    try:
        return not PYTEST_EVALUATOR(markexpr, [m for m in marks if m.name not in names])
    except SyntaxError:
        return False
