"""Known misfires of a model, kept between runs and asked again first.

A misfire that exploring found is stored as the plain values of its draw (template,
group words, wordings, order, filler id, cue name) in
``<cache>/explore/<model hash>/<template>.json``. The next run against the same model
rebuilds each draw and asks it before any new example: a regression check that needs
two or three calls per stored misfire, whatever the seed or hypothesis' own settings.
A stored draw that the template no longer allows (a word or wording gone, a cue or
filler removed) is not asked; it is reported as stale with the reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_veto.data.atomic import write_bytes_atomic
from pytest_veto.data.bbq.templates import BbqTemplate, FillerItem
from pytest_veto.explore.strategy import Draw
from pytest_veto.run.priming import PrimingVariant

#: the version of the stored file's layout
STORE_VERSION = 1


def store_path(cache_dir: Path, model_identity: Mapping[str, object], template: str) -> Path:
    """``<cache>/explore/<16 hex of the model identity>/<template>.json``."""
    key = json.dumps(dict(model_identity), sort_keys=True, default=str)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return cache_dir / "explore" / digest / f"{template}.json"


def load_known(path: Path) -> list[dict[str, Any]]:
    """The stored draws' values (none when the file is missing or unreadable: a broken
    store only costs the replay, never the search)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("version") != STORE_VERSION:
        return []
    found = data.get("misfires")
    return [v for v in found if isinstance(v, dict)] if isinstance(found, list) else []


def save_known(path: Path, known: Sequence[Mapping[str, Any]]) -> None:
    """Store ``known`` (each value set once, in order)."""
    unique: list[Mapping[str, Any]] = []
    for values in known:
        if values not in unique:
            unique.append(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"version": STORE_VERSION, "misfires": [dict(v) for v in unique]}
    write_bytes_atomic(path, (json.dumps(body, indent=1, sort_keys=True) + "\n").encode())


def draw_of(
    values: Mapping[str, Any],
    template: BbqTemplate,
    fillers: Sequence[FillerItem] = (),
    cues: Sequence[PrimingVariant] = (),
) -> Draw | str:
    """The draw ``values`` describe (``Draw.values``), or why the template no longer
    allows it."""
    if values.get("template") != template.id:
        return f"stored for template {values.get('template')!r}"
    s, c = values.get("stereotyped_word"), values.get("contrast_word")
    if s not in template.stereotyped_words or c not in template.contrast_words:
        return f"the group words {s!r} / {c!r} are no longer the template's"
    options = dict(template.wordings)
    wordings = values.get("wordings")
    if not isinstance(wordings, dict) or set(wordings) != set(options):
        return "the template's wording slots changed"
    if any(wordings[slot] not in options[slot] for slot in options):
        return "a stored wording is no longer the template's"
    filler_id, cue_name = values.get("filler"), values.get("cue")
    filler = next((f for f in fillers if f.id == filler_id), None)
    if filler_id is not None and filler is None:
        return f"filler {filler_id!r} is gone"
    cue = next((v for v in cues if v.name == cue_name), None)
    if cue_name is not None and cue is None:
        return f"cue {cue_name!r} is gone"
    return Draw(
        template,
        str(s),
        str(c),
        tuple((slot, str(wordings[slot])) for slot, _ in template.wordings),
        bool(values.get("swapped_order")),
        filler,
        cue,
    )
