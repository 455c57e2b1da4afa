"""Exploring one template in a run: replay what the model is known to misfire on,
search, and remember what misfired for the next run (``explore.replay``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pytest_veto.data.bbq.templates import BbqTemplate, FillerItem
from pytest_veto.explore.replay import load_known, save_known, store_path
from pytest_veto.explore.search import Exploration, Runner, explore
from pytest_veto.run.priming import PrimingVariant


def explore_template(
    template: BbqTemplate,
    runner: Runner,
    *,
    cache_dir: Path,
    model_identity: Mapping[str, object],
    examples: int,
    seed: int | None,
    fillers: Sequence[FillerItem] = (),
    cues: Sequence[PrimingVariant] = (),
) -> Exploration:
    """Explore ``template`` for the model ``model_identity`` names; the store keeps every
    known misfire (stale ones too: a template may get its word back) and adds the new
    minimal one."""
    path = store_path(cache_dir, model_identity, template.id)
    known = load_known(path)
    found = explore(
        template,
        runner,
        fillers=fillers,
        cues=cues,
        max_examples=examples,
        seed=seed,
        known=known,
        target=True,
    )
    new = [m.draw.values() for m in found.misfires]
    if any(v not in known for v in new):
        save_known(path, [*known, *new])
    return found
