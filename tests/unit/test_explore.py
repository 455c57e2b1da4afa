"""Exploring templates: the strategy's pairs and the search's minimal misfires."""

from __future__ import annotations

import re
from pathlib import Path

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_veto.backends.protocol import BackendOptions
from pytest_veto.data.bbq.templates import BbqTemplate, TemplateSet, load_templates
from pytest_veto.data.resources import fixtures_dir
from pytest_veto.explore.replay import draw_of, load_known, save_known, store_path
from pytest_veto.explore.search import Exploration, describe, explore
from pytest_veto.explore.strategy import Draw, draws
from pytest_veto.run.priming import PrimingVariant, available_variants
from pytest_veto.run.runner import CaseRunner, make_runner

TEMPLATES: TemplateSet = load_templates(fixtures_dir() / "explore")
CUES: list[PrimingVariant] = list(available_variants().values())


def _template(tid: str) -> BbqTemplate:
    return next(t for t in TEMPLATES.templates if t.id == tid)


def _draws() -> st.SearchStrategy[Draw]:
    return st.sampled_from(TEMPLATES.templates).flatmap(lambda t: draws(t, TEMPLATES.fillers, CUES))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_draws())
def test_both_halves_share_everything_but_the_group(draw: Draw) -> None:
    pair = draw.pair()
    s, c = draw.stereotyped_word, draw.contrast_word
    assert pair.stereotyped.expected == pair.contrast.expected == "yes"
    assert pair.stereotyped.is_stereotyped_group and not pair.contrast.is_stereotyped_group
    # exchanging the two group words (whole words) turns one half into the other
    longer, shorter = sorted((s, c), key=len, reverse=True)
    words = re.compile(rf"\b({re.escape(longer)}|{re.escape(shorter)})\b")
    swapped = words.sub(lambda m: c if m.group(0) == s else s, pair.stereotyped.text)
    assert swapped == pair.contrast.text
    # the question asks about the person the evidence names: the group of the half
    question = pair.stereotyped.text.rsplit(". ", 1)[-1]
    assert [m.group(0) for m in words.finditer(question)] == [s]
    assert draw.case().priming is draw.cue


@pytest.mark.parametrize("template", TEMPLATES.templates, ids=lambda t: t.id)
def test_the_simplest_draw_is_the_plainest_pair(template: BbqTemplate) -> None:
    simplest = hypothesis.find(draws(template, TEMPLATES.fillers, CUES), lambda d: True)
    assert simplest.extras() == ()
    assert simplest.cue is None and simplest.filler is None and not simplest.swapped
    assert simplest.stereotyped_word == template.stereotyped_words[0]
    assert simplest.contrast_word == template.contrast_words[0]
    assert simplest.wordings == tuple((slot, opts[0]) for slot, opts in template.wordings)


def test_distinct_draws_get_distinct_pair_ids() -> None:
    t = _template("age_t1a")
    a = Draw(t, "retiree", "teenager")
    b = Draw(t, "retiree", "teenager", swapped=True)
    assert a.pair().id != b.pair().id
    assert a.pair().id == Draw(t, "retiree", "teenager").pair().id


def _runner(model: str) -> CaseRunner:
    return make_runner(model, BackendOptions(), "direct")


def _explore(model: str, tid: str = "age_t1a", **kw: object) -> Exploration:
    return explore(
        _template(tid),
        _runner(model),
        fillers=TEMPLATES.fillers,
        cues=CUES,
        **kw,  # type: ignore[arg-type]
    )


def test_a_planted_word_is_found_and_shrunk_to_it_alone() -> None:
    found = _explore("reference/planted:grandmother", max_examples=200, seed=1)
    assert found.minimal is not None
    assert found.minimal.draw.extras() == ("stereotyped word 'grandmother'",)
    assert found.minimal.result.misfired
    assert "MISFIRE" in describe(found) and "grandmother" in describe(found)


def test_a_planted_word_and_cue_shrink_to_exactly_both() -> None:
    found = _explore("reference/planted:grandmother,cue=trigger", max_examples=200, seed=2)
    assert found.minimal is not None
    assert found.minimal.draw.extras() == ("cue trigger", "stereotyped word 'grandmother'")
    assert set(found.removed()) == set(found.first.draw.extras()) - set(  # type: ignore[union-attr]
        found.minimal.draw.extras()
    )


def test_a_model_that_reads_the_evidence_has_no_counterexample() -> None:
    found = _explore("reference/evidence-reader", max_examples=30, seed=1)
    assert found.minimal is None and found.examples == 30 and found.errors == 0
    assert "no misfire" in describe(found)


def test_an_errored_call_is_never_a_counterexample() -> None:
    # reference/error fails the stereotyped half of every pair: every example is rejected
    every = _explore("reference/error:1.0", max_examples=20, seed=1)
    assert every.examples == every.errors > 0 and not every.misfired
    found = _explore("reference/error:0.5", max_examples=40, seed=1)
    assert found.minimal is None and found.errors > 0


def test_a_seed_makes_the_search_reproducible() -> None:
    one = _explore("reference/planted:college student", max_examples=200, seed=5)
    two = _explore("reference/planted:college student", max_examples=200, seed=5)
    assert one.minimal is not None and two.minimal is not None
    assert one.first.draw == two.first.draw  # type: ignore[union-attr]
    assert (one.examples, one.calls) == (two.examples, two.calls)


def test_known_misfires_are_replayed_first(tmp_path: Path) -> None:
    model = "reference/planted:grandmother,cue=bias-warning"
    first = _explore(model, max_examples=200, seed=1)
    assert first.minimal is not None and first.calls_to_first is not None
    store = store_path(tmp_path, {"model": model}, "age_t1a")
    save_known(store, [first.minimal.draw.values()])
    again = _explore(model, max_examples=200, seed=1, known=load_known(store))
    (replay,) = again.replayed
    assert replay.status == "misfires" and replay.example is not None
    assert replay.example.draw == first.minimal.draw
    # a primed case asks three halves: primed stereotyped, unprimed stereotyped, contrast
    assert again.calls_to_first == replay.calls <= 3 < first.calls_to_first
    assert again.misfires[0].draw == first.minimal.draw
    assert "known misfire, replayed first" in describe(again)


def test_replay_ignores_the_users_hypothesis_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    """``pytest --hypothesis-seed=N`` sets hypothesis' global seed, which switches its own
    example database off: the replay store does not depend on it."""
    import hypothesis.core

    model = "reference/planted:grandmother,cue=bias-warning"
    first = _explore(model, max_examples=200, seed=1)
    assert first.minimal is not None
    monkeypatch.setattr(hypothesis.core, "global_force_seed", 12345)
    again = _explore(model, max_examples=200, known=[first.minimal.draw.values()])
    assert again.replayed[0].status == "misfires" and again.calls_to_first == 3


def test_a_stored_draw_the_template_no_longer_allows_is_stale() -> None:
    t = _template("age_t1a")
    good = Draw(
        t, t.stereotyped_words[0], t.contrast_words[0], tuple((s, o[0]) for s, o in t.wordings)
    )
    assert draw_of(good.values(), t, TEMPLATES.fillers, CUES) == good
    assert "group words" in str(draw_of({**good.values(), "stereotyped_word": "martian"}, t))
    assert "cue 'shouting'" in str(draw_of({**good.values(), "cue": "shouting"}, t, cues=CUES))
    assert "stored for template" in str(draw_of({**good.values(), "template": "x"}, t))
    found = _explore(
        "reference/evidence-reader",
        max_examples=5,
        seed=1,
        known=[{**good.values(), "stereotyped_word": "martian"}, good.values()],
    )
    assert [r.status for r in found.replayed] == ["stale", "passes"]


def test_the_store_survives_garbage_and_keeps_each_draw_once(tmp_path: Path) -> None:
    path = store_path(tmp_path, {"model": "m"}, "age_t1a")
    assert load_known(path) == []  # missing
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    assert load_known(path) == []  # unreadable: only the replay is lost
    save_known(path, [{"a": 1}, {"a": 1}, {"a": 2}])
    assert load_known(path) == [{"a": 1}, {"a": 2}]
    assert store_path(tmp_path, {"model": "m"}, "t") != store_path(tmp_path, {"model": "n"}, "t")


def test_the_planted_reference_model_parses_and_refuses_bad_names() -> None:
    from pytest_veto.backends.reference import ReferenceModel, ReferenceNameError

    model = ReferenceModel.from_name("reference/planted:grandmother,cue=trigger")
    assert (model.kind_name, model.word, model.cue) == ("planted", "grandmother", "trigger")
    for bad in ("reference/planted:", "reference/planted:x,foo=1", "reference/planted:x,seed=a"):
        with pytest.raises(ReferenceNameError):
            ReferenceModel.from_name(bad)
