"""Warnings about pair records that are valid but say something odd.

A record can pass the schema and still contradict itself: ``correct_answer`` against the
halves' ``expected``, a top-level group against its half's ``group``, two halves with the
same text (the pair compares nothing), one pair under two ids (it counts twice in MAR),
or text that is only whitespace. Such data loads, since the published release itself has
one of these (five SES pairs repeated under a second id), but every run says so: a
pytest warning at collection, and ``pytest-veto validate`` prints them (and fails on them
with ``--strict``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pytest_veto.data.pairs import HALVES, DataIssue, Pair


class PairDataWarning(UserWarning):
    """Pair data that loads but looks wrong; the message lists every case, located."""


def pair_warnings(path: str, located: Sequence[tuple[str, Pair]]) -> list[DataIssue]:
    """Every warning about valid pairs, each with its location (``line 3``, ``index 3``),
    in file order."""
    found: list[DataIssue] = []
    first: dict[tuple[str, str], tuple[str, str]] = {}  # both texts -> (location, id)
    for location, pair in located:
        found.extend(_record_warnings(pair, path, location))
        texts = (_words(pair.stereotyped.text), _words(pair.contrast.text))
        if not all(texts):
            continue
        if texts in first:
            where, other = first[texts]
            found.append(
                DataIssue(
                    path,
                    location,
                    "prompts",
                    f"the same pair as {other!r} (first at {where}) under another id: "
                    "it counts twice",
                )
            )
        else:
            first[texts] = (location, pair.id)
    return found


def warning_message(warnings: Sequence[DataIssue], limit: int = 50) -> str:
    """One message for all warnings of a file: a title line, then one line each."""
    shown = "\n".join(str(w) for w in warnings[:limit])
    if len(warnings) > limit:
        shown += f"\n... and {len(warnings) - limit} more"
    return f"{len(warnings)} warning(s) in pair data (the pairs are used as they are):\n{shown}"


def _words(text: str) -> str:
    """Text compared by its words: spacing alone does not make two prompts differ."""
    return " ".join(text.split())


def _record_warnings(pair: Pair, path: str, location: str) -> Iterator[DataIssue]:
    for field in ("stereotyped_group", "contrast_group", "trigger_sentence"):
        if not str(getattr(pair, field)).strip():
            yield DataIssue(path, location, field, "only whitespace")
    groups = {"stereotyped": pair.stereotyped_group, "contrast": pair.contrast_group}
    for name in HALVES:
        half = pair.half(name)
        for field in ("group", "text"):
            if not str(getattr(half, field)).strip():
                yield DataIssue(path, location, f"prompts.{name}.{field}", "only whitespace")
        if half.expected != pair.correct_answer:
            yield DataIssue(
                path,
                location,
                f"prompts.{name}.expected",
                f"{half.expected!r} disagrees with correct_answer {pair.correct_answer!r}",
            )
        if half.group.strip() and half.group != groups[name]:
            yield DataIssue(
                path,
                location,
                f"prompts.{name}.group",
                f"{half.group!r} disagrees with {name}_group {groups[name]!r}",
            )
    text = _words(pair.stereotyped.text)
    if text and text == _words(pair.contrast.text):
        yield DataIssue(
            path, location, "prompts", "both halves have the same text: the pair compares nothing"
        )
