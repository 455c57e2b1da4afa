"""Stage I of Mis-Align Bench as tools (veto-spec section 7), through any backend.

- :func:`label_prompts`: taxonomy labelling -- one request per prompt and dimension,
  asking for a domain from the vocabulary; the answer is parsed to a known domain, None
  ("not in this dimension") or ``Unknown``.
- :func:`pair_prompts`: an aligned and a misaligned response per prompt by rejection
  sampling. Each response is generated, then a filter pass judges it with the judging
  template (the same prompt the gate uses); a response judged other than intended is
  regenerated with feedback, for up to ``max_rounds`` (2) rounds. The rounds used are
  recorded on each item; a prompt whose either side never passes is dropped.

The prompts are data (``fixtures/misalign/stage_one.json``). Requests carry the
identity that makes the reference models deterministic: a labelling request's
``expected`` is the prompt's known domain (or ``None``), which ``reference/evidence-reader``
echoes; a judging request's ``pair_id`` names the round, so ``reference/bias:P`` judges
each round independently.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from pytest_veto.backends.protocol import Backend, Completion, Message, PromptRequest
from pytest_veto.data.resources import fixtures_dir
from pytest_veto.misalign.columns import LABELS, Label
from pytest_veto.misalign.domains import DIMENSIONS, UNKNOWN, Dimension, Vocabulary
from pytest_veto.misalign.items import MisalignItem, PromptRecord
from pytest_veto.misalign.prompting import Template, Verdict
from pytest_veto.misalign.schema import load_json
from pytest_veto.run.completions import CacheLike, CacheThrough

#: Feedback-guided resampling rounds after the first attempt (the spec's "up to 2").
MAX_ROUNDS = 2
LABEL_HALF = "label"
#: A labelling answer (and ``expected``) meaning "not in this dimension".
NOT_IN = "None"
_FIELD = re.compile(r"\{(\w+)\}")
_DOMAIN_JSON = re.compile(r'"(?:domain|answer)"\s*:\s*(?:"([^"]*)"|(null))', re.IGNORECASE)
_NONE_WORDS = frozenset({"none", "null", "n/a", ""})


def default_stage_path() -> Path:
    """The shipped Stage I prompts, ``fixtures/misalign/stage_one.json``."""
    return fixtures_dir() / "misalign" / "stage_one.json"


def fill(text: str, **values: str) -> str:
    """Replace ``{name}`` placeholders in one pass; other braces (JSON examples) stay."""
    return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), text)


@dataclass(frozen=True)
class StageTemplate:
    """The Stage I prompts (schema ``misalign_stage_one``)."""

    version: str
    label_system: str
    label_user: str
    label_dimensions: Mapping[str, str]
    label_max_new_tokens: int
    generate_system: str
    generate: Mapping[str, str]  # aligned, misaligned, feedback
    guidance: Mapping[str, str]  # per dimension, and "default"
    generate_max_new_tokens: int


def load_stage_template(path: str | Path | None = None) -> StageTemplate:
    """Load and validate the Stage I prompts (default: the shipped ones)."""
    p = Path(path) if path is not None else default_stage_path()
    record = load_json(p, "misalign_stage_one")
    label, gen = record["label"], record["generate"]
    return StageTemplate(
        version=record["version"],
        label_system=label["system"],
        label_user=label["user"],
        label_dimensions=dict(label["dimensions"]),
        label_max_new_tokens=label["max_new_tokens"],
        generate_system=gen["system"],
        generate={k: gen[k] for k in ("aligned", "misaligned", "feedback")},
        guidance=dict(gen["guidance"]),
        generate_max_new_tokens=gen["max_new_tokens"],
    )


# -- labelling -------------------------------------------------------------------------


def label_request(
    prompt: PromptRecord, dimension: Dimension, stage: StageTemplate, vocabulary: Vocabulary
) -> PromptRequest:
    """The request asking for ``prompt``'s domain in ``dimension``."""
    names = ", ".join(f'"{n}"' for n in vocabulary.names(dimension) if n != UNKNOWN)
    user = fill(
        stage.label_user,
        prompt=prompt.prompt,
        domains=names,
        dimension=stage.label_dimensions[dimension],
    )
    return PromptRequest(
        pair_id=prompt.id,
        half=LABEL_HALF,
        variant=dimension,
        messages=(Message("system", stage.label_system), Message("user", user)),
        expected=prompt.domain(dimension) or NOT_IN,
        max_new_tokens=stage.label_max_new_tokens,
    )


def parse_domain(text: str, dimension: Dimension, vocabulary: Vocabulary) -> str | None:
    """A labeller's answer as a domain name, None (not in the dimension) or ``Unknown``.

    In order: the last ``"domain": "..."`` (or ``"answer"``) in the text; else the whole
    text as a name; else the earliest domain name mentioned (the longest at a position);
    else ``Unknown``. Names match ignoring case.
    """
    found = list(_DOMAIN_JSON.finditer(text))
    if found:
        last = found[-1]
        value = last.group(1) if last.group(2) is None else ""
        if value.strip().casefold() in _NONE_WORDS:
            return None
        return vocabulary.canonical(dimension, value) or UNKNOWN
    bare = text.strip().strip("\"'.` ")
    if bare.casefold() in _NONE_WORDS - {""}:
        return None
    name = vocabulary.canonical(dimension, bare)
    if name is not None:
        return name
    folded = text.casefold()
    best: tuple[int, int, str] | None = None
    for candidate in vocabulary.names(dimension):
        match = re.search(rf"(?<!\w){re.escape(candidate.casefold())}(?!\w)", folded)
        if match and (best is None or (match.start(), -len(candidate)) < best[:2]):
            best = (match.start(), -len(candidate), candidate)
    return best[2] if best is not None else UNKNOWN


@dataclass(frozen=True)
class LabelResult:
    """Labelled prompts and how many answers were not a domain."""

    records: list[PromptRecord]
    answers: Counter[str] = field(default_factory=Counter)  # domain / none / unknown / ...

    @property
    def errors(self) -> int:
        """Requests that failed after retries (labelled Unknown; a rerun retries them)."""
        return self.answers["error"]


def label_prompts(
    prompts: Sequence[PromptRecord],
    backend: Backend,
    vocabulary: Vocabulary,
    *,
    stage: StageTemplate | None = None,
    cache: CacheLike | None = None,
) -> LabelResult:
    """Label every prompt in every dimension (existing labels are replaced)."""
    stage = stage or load_stage_template()
    requests = [label_request(p, d, stage, vocabulary) for p in prompts for d in DIMENSIONS]

    def answer(request: PromptRequest, c: Completion) -> str:
        """A domain name, ``Unknown`` (also for no answer) or ``NOT_IN``."""
        if c.status != "ok":
            return UNKNOWN
        return parse_domain(c.text, cast(Dimension, request.variant), vocabulary) or NOT_IN

    answered = CacheThrough(cache).complete(backend, requests, answer)
    tally: Counter[str] = Counter()
    records: list[PromptRecord] = []
    for i, prompt in enumerate(prompts):
        labels: dict[str, str | None] = {}
        for j, dimension in enumerate(DIMENSIONS):
            a = answered[i * len(DIMENSIONS) + j]
            c = a.completion
            labels[dimension] = None if a.answer == NOT_IN else a.answer
            kind = (
                c.status
                if c.status != "ok"
                else "none"
                if labels[dimension] is None
                else "unknown"
                if labels[dimension] == UNKNOWN
                else "domain"
            )
            tally[kind] += 1
        records.append(
            PromptRecord(
                prompt.id,
                prompt.prompt,
                labels["safety"],
                labels["value"],
                labels["culture"],
                prompt.line,
            )
        )
    return LabelResult(records, tally)


# -- pairing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dropped:
    """A prompt dropped because one side never passed the filter."""

    id: str
    side: Label
    verdict: str  # the last judge verdict, or the generation's refused/error


@dataclass(frozen=True)
class PairResult:
    """Generated items (two per kept prompt) and what was dropped."""

    items: list[MisalignItem]
    dropped: list[Dropped]
    rounds: Counter[int] = field(default_factory=Counter)  # accepted responses per round


@dataclass
class _Task:
    prompt: PromptRecord
    side: Label
    previous: str = ""
    verdict: str = ""
    accepted: str | None = None
    rounds: int = 0


def _generation_request(task: _Task, round_: int, stage: StageTemplate) -> PromptRequest:
    dimension = next((d for d in DIMENSIONS if task.prompt.domain(d) is not None), "default")
    request = fill(
        stage.generate[task.side], prompt=task.prompt.prompt, guidance=stage.guidance[dimension]
    )
    if round_ > 0:
        request = fill(
            stage.generate["feedback"],
            request=request,
            previous=task.previous or "(no usable response)",
            verdict=task.verdict,
            intended=task.side,
        )
    return PromptRequest(
        pair_id=task.prompt.id,
        half=f"generate-{task.side}",
        variant=f"round{round_}",
        messages=(Message("system", stage.generate_system), Message("user", request)),
        expected=task.side,
        max_new_tokens=stage.generate_max_new_tokens,
    )


def _judge_request(task: _Task, response: str, round_: int, judge: Template) -> PromptRequest:
    return PromptRequest(
        pair_id=f"{task.prompt.id}/{task.side}/r{round_}",
        half="item",
        variant="misalign",
        messages=judge.messages(task.prompt.prompt, response),
        expected="yes" if task.side == "misaligned" else "no",
        max_new_tokens=judge.max_new_tokens,
    )


def pair_prompts(
    prompts: Sequence[PromptRecord],
    backend: Backend,
    judge: Template,
    *,
    stage: StageTemplate | None = None,
    cache: CacheLike | None = None,
    max_rounds: int = MAX_ROUNDS,
) -> PairResult:
    """Generate and filter an aligned and a misaligned response per prompt."""
    if max_rounds < 0:
        raise ValueError(f"max_rounds must be >= 0, got {max_rounds}")
    stage = stage or load_stage_template()
    calls = CacheThrough(cache)

    def verdict(request: PromptRequest, c: Completion) -> Verdict:
        return judge.verdict(c)

    tasks = [_Task(p, side) for p in prompts for side in LABELS]
    pending = list(tasks)
    for round_ in range(max_rounds + 1):
        if not pending:
            break
        generated = calls.complete(
            backend, [_generation_request(t, round_, stage) for t in pending], _status
        )
        judged: list[tuple[_Task, str]] = []
        for task, g in zip(pending, generated, strict=True):
            c = g.completion
            if c.status == "ok" and c.text.strip():
                judged.append((task, c.text.strip()))
            else:
                task.previous, task.verdict = "", c.status if c.status != "ok" else "empty"
        verdicts = calls.complete(
            backend, [_judge_request(t, r, round_, judge) for t, r in judged], verdict
        )
        for (task, response), v in zip(judged, verdicts, strict=True):
            if v.answer == task.side:
                task.accepted, task.rounds = response, round_
            else:
                task.previous, task.verdict = response, v.answer
        pending = [t for t in pending if t.accepted is None]
    return _collect(tasks)


def _status(request: PromptRequest, c: Completion) -> str:
    """A generation's "answer" in the cache: its status (the text is the response)."""
    return c.status


def _collect(tasks: Sequence[_Task]) -> PairResult:
    items: list[MisalignItem] = []
    dropped: list[Dropped] = []
    rounds: Counter[int] = Counter()
    for aligned, misaligned in zip(tasks[::2], tasks[1::2], strict=True):
        failed = [t for t in (aligned, misaligned) if t.accepted is None]
        if failed:
            dropped.extend(Dropped(t.prompt.id, t.side, t.verdict) for t in failed)
            continue
        for task in (aligned, misaligned):
            p = task.prompt
            rounds[task.rounds] += 1
            items.append(
                MisalignItem(
                    id=f"{_safe_id(p.id)}-{task.side}",
                    prompt=p.prompt,
                    response=cast(str, task.accepted),
                    label=task.side,
                    safety=p.safety,
                    value=p.value,
                    culture=p.culture,
                    rounds=task.rounds,
                )
            )
    return PairResult(items, dropped, rounds)


def _safe_id(raw: str) -> str:
    """An id the item schema accepts (``[A-Za-z0-9_.:-]``)."""
    return re.sub(r"[^A-Za-z0-9_.:-]", "_", raw) or "item"
