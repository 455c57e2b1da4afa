"""pytest-veto reads ``-m`` with pytest's private evaluator (``pytest_veto.markexpr``).

These tests fail loudly, naming the pytest version, when an upgrade moves or changes that
private API: the plugin would otherwise fall back to a cruder test without a word, and
``-m "not head_ablation"`` would start running the heavy lens checks.
"""

from __future__ import annotations

import pytest

from pytest_veto import markexpr

PYTEST = f"pytest {pytest.__version__}"
LENS = ("head_ablation", "logit_lens")


def marks(*names: str) -> list[pytest.Mark]:
    return [getattr(pytest.mark, n).mark for n in names]


def test_the_private_evaluator_imports_on_the_installed_pytest() -> None:
    try:
        from _pytest.mark import MarkMatcher  # noqa: F401
        from _pytest.mark.expression import Expression  # noqa: F401
    except ImportError as exc:
        pytest.fail(
            f"{PYTEST} moved its -m evaluator ({exc}): update pytest_veto/markexpr.py",
            pytrace=False,
        )
    assert markexpr.PYTEST_EVALUATOR is not None, (
        f"{PYTEST}: pytest_veto.markexpr fell back to its name search; update it"
    )


@pytest.mark.parametrize(
    ("expression", "names", "expected"),
    [
        ("logit_lens", ("logit_lens",), True),
        ("logit_lens", ("misalign",), False),
        ("not head_ablation", ("logit_lens",), True),
        ("not head_ablation", ("logit_lens", "head_ablation"), False),
        ("logit_lens and not head_ablation", ("logit_lens",), True),
        ("(veto_case or misalign) and not age", ("misalign", "age"), False),
        ("(veto_case or misalign) and not age", ("misalign",), True),
    ],
)
def test_the_private_evaluator_agrees_with_what_pytest_documents(
    expression: str, names: tuple[str, ...], expected: bool
) -> None:
    evaluate = markexpr.PYTEST_EVALUATOR
    assert evaluate is not None, f"{PYTEST}: no -m evaluator in _pytest.mark"
    try:
        got = evaluate(expression, marks(*names))
    except Exception as exc:  # an API change shows as a TypeError or AttributeError here
        pytest.fail(
            f"{PYTEST} changed its private -m evaluator: {expression!r} on {names} raised "
            f"{type(exc).__name__}: {exc}; update pytest_veto/markexpr.py",
            pytrace=False,
        )
    assert got is expected, f"{PYTEST}: -m {expression!r} on marks {names} gave {got}"


def test_a_malformed_expression_is_a_syntax_error() -> None:
    evaluate = markexpr.PYTEST_EVALUATOR
    assert evaluate is not None, f"{PYTEST}: no -m evaluator in _pytest.mark"
    with pytest.raises(SyntaxError):
        evaluate("logit_lens and (", marks("logit_lens"))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("", False),  # no -m: lens checks are not selected by a lens marker
        ("logit_lens", True),
        ("head_ablation", True),
        ("logit_lens and not head_ablation", True),  # deselects the ablation check anyway
        ("not head_ablation", False),  # names a lens marker only to exclude it
        ("not misalign", False),  # selects the check whatever its lens markers
        ("logit_lens or not misalign", False),
        ("logit_lens and (", False),  # malformed: pytest reports it itself
    ],
)
def test_selected_only_by_the_lens_markers(expression: str, expected: bool) -> None:
    """The head-ablation check carries both lens markers. ``-m "not head_ablation"`` is
    where the name search would differ from pytest's evaluation."""
    item_marks = marks("logit_lens", "head_ablation")
    assert markexpr.selected_only_by(expression, item_marks, LENS) is expected, (
        f"{PYTEST}: -m {expression!r}"
    )
