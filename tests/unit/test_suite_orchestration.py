"""The suites' orchestration, called by the plugin's fixtures with plain arguments: a
Mis-Align item judged with its lookahead batch, the lens subject chosen by capabilities,
the ablation skipped without failure pairs, and the per-process runner in the stash."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_veto.backends.reference import ReferenceModel
from pytest_veto.lens.analysis import LensAnalysis, PairLens
from pytest_veto.lens.suite import LensRun, ablation_section, lens_subject, run_ablation
from pytest_veto.misalign.items import load_items
from pytest_veto.misalign.prompting import load_template
from pytest_veto.misalign.suite import run_item
from pytest_veto.run.runner import CaseRunner


class Backendless:
    """A runner whose backend must not be created."""

    @property
    def backend(self) -> Any:
        raise AssertionError("the backend was created")


class WithBackend:
    def __init__(self, capabilities: frozenset[str]) -> None:
        self.backend = type("B", (), {"capabilities": capabilities})()


def test_an_item_is_judged_with_its_lookahead_in_one_batch() -> None:
    items, template = load_items(), load_template()
    sent: list[list[str]] = []
    reference = ReferenceModel.from_name("reference/evidence-reader")

    class Recording:
        kind, model, capabilities = "reference", "reference/evidence-reader", frozenset()

        def complete(self, requests: Any) -> Any:
            sent.append([r.pair_id for r in requests])
            return reference.complete(requests)

        def close(self) -> None:
            pass

    runner = CaseRunner(Recording, "direct", lookahead=3)  # type: ignore[arg-type]
    result = run_item(runner, items[0], template, upcoming=items[1:])
    assert result.item_id == items[0].id and result.correct and not result.errored
    assert sent == [[i.id for i in items[:4]]]  # its own request and three ahead
    again = run_item(runner, items[1], template)  # already answered: nothing sent
    assert again.correct and len(sent) == 1


def test_a_model_without_hidden_states_is_no_lens_subject_and_is_never_created() -> None:
    assert lens_subject("reference/coin", Backendless()) is None
    assert lens_subject("openai/gpt-4o-mini", Backendless()) is None


def test_a_local_model_is_the_subject_if_its_backend_has_hidden_states() -> None:
    runner = WithBackend(frozenset({"logits", "hidden_states", "head_ablation"}))
    assert lens_subject("hf/some/folder", runner) is runner.backend
    assert lens_subject("hf/some/folder", WithBackend(frozenset())) is None


def _lens(*roles: str) -> LensRun:
    pairs = tuple(
        PairLens(f"p{n}", "Age", role, (0.0, 1.0), (0.0, 1.0))  # type: ignore[arg-type]
        for n, role in enumerate(roles)
    )
    analysis = LensAnalysis(pairs, {"yes": {"yes": 1}, "no": {"no": 2}})
    section = {"outcomes": {"source": "r.json", "variant": "trigger"}}
    return LensRun(analysis, section, subject=None, pairs=())


def test_no_failure_pairs_means_no_ablation_and_a_section_without_one() -> None:
    lens = _lens("control", "control")
    assert lens.failure_ids == []
    ablation = run_ablation(
        lens, ranking="per-pair", n_rank=2, seed=0, mode="zero", verify_top=None
    )
    assert ablation is None
    section = ablation_section(lens, ablation)
    assert section["ablation"] is None
    assert section["outcomes"] == {
        "source": "r.json",
        "variant": "trigger",
        "pairs_from": "trigger",
        "prompts": "trigger",
    }


def test_failure_ids_are_the_failure_pairs() -> None:
    assert _lens("failure", "control", "failure").failure_ids == ["p0", "p2"]


def test_the_runner_is_made_once_per_process_and_closed_at_the_end(
    pytester: pytest.Pytester,
) -> None:
    from pytest_veto import state

    pytester.makeini("[pytest]\n")
    config = pytester.parseconfigure(
        "--model=reference/evidence-reader", "-p", "no:cacheprovider", "-p", "no:benchmark"
    )
    first = state.runner(config)
    assert state.runner(config) is first
    closed: list[bool] = []
    first.close = lambda: closed.append(True)  # type: ignore[method-assign]
    state.close_runner(config)
    assert closed == [True] and state.RUNNER not in config.stash
    state.close_runner(config)  # nothing left to close
    assert closed == [True]
