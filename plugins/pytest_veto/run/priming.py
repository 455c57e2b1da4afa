"""Priming variants: alignment cues as data (``fixtures/priming/*.json``) and the one pure
transform that puts a cue into a half's messages (veto-spec section 5).

A variant names its template, where the cue goes (``position``) and which halves get it
(``halves``). Templates may use the placeholders in ``PLACEHOLDERS``; an unknown
placeholder is a located error when the file is loaded, not a crash mid-run.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pytest_veto.data import jsonfile
from pytest_veto.data.pairs import DataError, DataIssue, Pair
from pytest_veto.data.resources import fixtures_dir, load_schema

Position = Literal["before_text", "after_text", "system_prepend", "system_append", "system_replace"]
Halves = Literal["stereotyped", "both"]
PLACEHOLDERS = (
    "trigger_sentence",
    "stereotyped_group",
    "contrast_group",
    "stereotyped_group_plural",
    "contrast_group_plural",
    "category",
)


class PrimingError(DataError):
    """A priming file is invalid or a requested variant does not exist."""

    what = "priming variants"


@dataclass(frozen=True)
class PrimingVariant:
    """One alignment cue."""

    name: str
    description: str
    position: Position
    halves: Halves
    template: str
    path: str = ""

    @property
    def form(self) -> str:
        """``stereotyped_only`` (primed MAR reuses the base contrast) or ``both_halves``."""
        return "stereotyped_only" if self.halves == "stereotyped" else "both_halves"

    def applies_to(self, half: str) -> bool:
        """Does this cue go into the given half's prompt?"""
        return self.halves == "both" or half == "stereotyped"

    def cue(self, pair: Pair) -> str:
        """The template filled in for one pair."""
        from pytest_veto.data.bbq.release import group_plural

        return self.template.format(
            trigger_sentence=pair.trigger_sentence,
            stereotyped_group=pair.stereotyped_group,
            contrast_group=pair.contrast_group,
            stereotyped_group_plural=group_plural(pair.stereotyped_group),
            contrast_group_plural=group_plural(pair.contrast_group),
            category=pair.category,
        )


@dataclass(frozen=True)
class Placement:
    """Where a cue lands in the messages of one half (empty strings: nothing)."""

    system_override: str | None = None
    user_prefix: str = ""
    user_suffix: str = ""


def placement(variant: PrimingVariant | None, pair: Pair, half: str, system: str) -> Placement:
    """How to prime one half: ``system`` is the condition's system prompt."""
    if variant is None or not variant.applies_to(half):
        return Placement()
    cue = variant.cue(pair)
    pos = variant.position
    if pos == "before_text":
        return Placement(user_prefix=cue + " ")
    if pos == "after_text":
        return Placement(user_suffix=" " + cue)
    if pos == "system_prepend":
        return Placement(system_override=f"{cue} {system}")
    if pos == "system_append":
        return Placement(system_override=f"{system} {cue}")
    return Placement(system_override=cue)


def builtin_dir() -> Path:
    """The shipped variants: ``fixtures/priming``."""
    return fixtures_dir() / "priming"


def _template_issues(template: str, path: str) -> list[DataIssue]:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        return [DataIssue(path, "", "template", f"bad template: {exc}")]
    unknown = [f for f in fields if f not in PLACEHOLDERS]
    if unknown:
        return [
            DataIssue(
                path, "", "template", f"unknown placeholder(s) {unknown}; use {list(PLACEHOLDERS)}"
            )
        ]
    try:  # a format spec or conversion ({category:d}, {category!z}) fails only when filled
        template.format(**dict.fromkeys(PLACEHOLDERS, "text"))
    except (ValueError, KeyError, IndexError) as exc:
        return [DataIssue(path, "", "template", f"bad template: {exc}")]
    return []


def load_variant_file(path: Path) -> tuple[PrimingVariant | None, list[DataIssue]]:
    """Parse and validate one priming file."""
    from jsonschema import Draft202012Validator

    name = str(path)
    try:
        data: Any = jsonfile.read(path)
    except OSError as exc:
        return None, [DataIssue(name, "", "", f"cannot read file: {exc.strerror}")]
    except jsonfile.UserJsonError as exc:
        return None, [DataIssue(name, exc.location, "", exc.detail)]
    validator = Draft202012Validator(load_schema("priming"))
    issues = [
        DataIssue(name, "", ".".join(map(str, e.absolute_path)), e.message)
        for e in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    ]
    if issues:
        return None, issues
    issues = _template_issues(data["template"], name)
    if issues:
        return None, issues
    return PrimingVariant(
        data["name"], data["description"], data["position"], data["halves"], data["template"], name
    ), []


def available_variants(extra_dirs: Iterable[Path] = ()) -> dict[str, PrimingVariant]:
    """Every variant of the shipped folder and the user's folders (later folders win)."""
    found: dict[str, PrimingVariant] = {}
    issues: list[DataIssue] = []
    for folder in (builtin_dir(), *extra_dirs):
        if not folder.is_dir():
            issues.append(DataIssue(str(folder), "", "", "priming folder not found"))
            continue
        for path in sorted(folder.glob("*.json")):
            variant, problems = load_variant_file(path)
            issues.extend(problems)
            if variant is not None:
                if variant.name != path.stem:
                    issues.append(
                        DataIssue(
                            str(path),
                            "",
                            "name",
                            f"{variant.name!r} must equal the file name {path.stem!r}",
                        )
                    )
                found[variant.name] = variant
    if issues:
        raise PrimingError(issues)
    return found


def select_variants(names: Sequence[str], extra_dirs: Iterable[Path] = ()) -> list[PrimingVariant]:
    """The requested variants, in the order given; unknown names are an error."""
    if not names:
        return []
    available = available_variants(extra_dirs)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise PrimingError(
            [
                DataIssue(
                    "--veto-priming",
                    "",
                    "",
                    f"unknown variant {n!r}; available: {', '.join(sorted(available))}",
                )
                for n in unknown
            ]
        )
    return [available[n] for n in dict.fromkeys(names)]
