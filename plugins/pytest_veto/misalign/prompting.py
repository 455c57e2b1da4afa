"""Asking a model whether a response is misaligned, and reading its answer.

The prompt and the parse rules are data (``fixtures/misalign/template.json``, schema
``misalign_template``): a pinned system prompt, a user template with ``{prompt}`` and
``{response}``, a generation budget, and the rules that turn raw text into a verdict.

Parsing, all case-insensitive: the last match of any ``json`` pattern (so a chain of
thought that quotes the format before concluding is read by its conclusion), its group
mapped through ``values``; else the first ``words`` rule found anywhere; else
``unknown``. The shipped rules accept ``{"misaligned": "yes"}`` and the reference
models' ``{"answer": "yes"}``. ``refused`` and ``error`` come from the backend.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from pytest_veto.backends.protocol import Completion, Message, PromptRequest
from pytest_veto.data.resources import fixtures_dir
from pytest_veto.misalign.columns import Label
from pytest_veto.misalign.items import MisalignItem
from pytest_veto.misalign.schema import DataIssue, MisalignDataError, load_json

#: What one judged item can come to. ``refused`` and ``error`` come from the backend.
Verdict = Literal["misaligned", "aligned", "unknown", "refused", "error"]
VERDICTS: tuple[Verdict, ...] = ("misaligned", "aligned", "unknown", "refused", "error")
#: The variant name of Mis-Align requests (PromptRequest.variant).
VARIANT = "misalign"
#: The half name of Mis-Align requests (PromptRequest.half).
HALF = "item"
_PLACEHOLDER = re.compile(r"\{(prompt|response)\}")


def default_template_path() -> Path:
    """The shipped template, ``fixtures/misalign/template.json``."""
    return fixtures_dir() / "misalign" / "template.json"


@dataclass(frozen=True)
class Template:
    """A validated judging template with its parse rules compiled."""

    version: str
    system: str
    user: str
    max_new_tokens: int
    json_patterns: tuple[re.Pattern[str], ...]
    values: Mapping[str, Label]
    words: tuple[tuple[re.Pattern[str], Label], ...]

    def messages(self, prompt: str, response: str) -> tuple[Message, Message]:
        """System and user messages for one item (placeholders filled in one pass, so a
        prompt that contains ``{response}`` stays as written)."""
        fill = {"prompt": prompt, "response": response}
        user = _PLACEHOLDER.sub(lambda m: fill[m.group(1)], self.user)
        return (Message("system", self.system), Message("user", user))

    def parse(self, text: str) -> Literal["misaligned", "aligned", "unknown"]:
        """The verdict in raw model text (see the module docstring)."""
        last: tuple[int, str] | None = None
        for pattern in self.json_patterns:
            for match in pattern.finditer(text):
                if last is None or match.start() >= last[0]:
                    last = (match.start(), match.group(1).lower())
        if last is not None and last[1] in self.values:
            return self.values[last[1]]
        for pattern, verdict in self.words:
            if pattern.search(text):
                return verdict
        return "unknown"

    def verdict(self, completion: Completion) -> Verdict:
        """The verdict of a backend's completion: ``refused``/``error`` from its status."""
        if completion.status != "ok":
            return completion.status
        return self.parse(completion.text)


def load_template(path: str | Path | None = None) -> Template:
    """Load and validate a template (default: the shipped one); regexes are compiled and
    each ``json`` pattern must have exactly one group."""
    p = Path(path) if path is not None else default_template_path()
    record = load_json(p, "misalign_template")
    name = str(p)
    issues: list[DataIssue] = []
    json_patterns = [
        _compile(name, f"parse.json.{i}", text, issues, groups=1)
        for i, text in enumerate(record["parse"]["json"])
    ]
    words = [
        (
            _compile(name, f"parse.words.{i}.pattern", rule["pattern"], issues),
            cast(Label, rule["verdict"]),
        )
        for i, rule in enumerate(record["parse"]["words"])
    ]
    values = {k.lower(): cast(Label, v) for k, v in record["parse"]["values"].items()}
    if issues:
        raise MisalignDataError(issues)
    return Template(
        version=record["version"],
        system=record["system"],
        user=record["user"],
        max_new_tokens=record["max_new_tokens"],
        json_patterns=tuple(p for p in json_patterns if p is not None),
        values=values,
        words=tuple((p, v) for p, v in words if p is not None),
    )


def _compile(
    path: str, field: str, text: str, issues: list[DataIssue], groups: int | None = None
) -> re.Pattern[str] | None:
    try:
        pattern = re.compile(text, re.IGNORECASE)
    except re.error as exc:
        issues.append(DataIssue(path, "", field, f"invalid regular expression: {exc}"))
        return None
    if groups is not None and pattern.groups != groups:
        issues.append(
            DataIssue(path, "", field, f"must have exactly {groups} group(s), has {pattern.groups}")
        )
        return None
    return pattern


def requests_for(item: MisalignItem, template: Template) -> PromptRequest:
    """The request judging one item. ``expected`` is what a perfect judge answers: "yes"
    (misaligned) or "no"; only the reference models read it."""
    return PromptRequest(
        pair_id=item.id,
        half=HALF,
        variant=VARIANT,
        messages=template.messages(item.prompt, item.response),
        expected="yes" if item.misaligned else "no",
        max_new_tokens=template.max_new_tokens,
    )
