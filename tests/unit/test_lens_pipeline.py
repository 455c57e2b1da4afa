"""The plugin's entry points end to end on the tiny random Llama behind the hf backend:
lens analysis (with a base model), head ablation (exact, screen, screen-then-verify,
dataset means), JSON-able report sections and figures; and that importing the lens
package loads nothing heavy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_veto.data.pairs import Pair, load_pairs

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "veto_sample.jsonl"


def test_importing_the_lens_package_loads_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "import pytest_veto.lens, pytest_veto.lens.plots, pytest_veto.lens.pipeline\n"
        "import pytest_veto.lens.attribution, pytest_veto.lens.hooks\n"
        "heavy = [m for m in ('torch', 'transformers', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from pytest_veto.backends.hf import HFBackend
from pytest_veto.lens.ablation import final_lds, plan_of
from pytest_veto.lens.analysis import LateLayerCriteria
from pytest_veto.lens.architecture import LensError
from pytest_veto.lens.inputs import lens_answer_tokens, lens_prompts
from pytest_veto.lens.pipeline import run_head_ablation, run_lens_analysis
from pytest_veto.lens.plots import available, write_plots
from pytest_veto.lens.ranking import pair_rankings
from tests.support.tiny_llama import build_tiny_llama


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    return load_pairs(SAMPLE)[:9]


@pytest.fixture(scope="module")
def outcomes(pairs: list[Pair]) -> list[tuple[str, str, str]]:
    cells = ["c", "c", "a", "c", "a", "b", "c", "a", "error"]
    return [(p.id, p.category, cell) for p, cell in zip(pairs, cells, strict=True)]


def _backend(path: Path) -> HFBackend:
    return HFBackend(f"hf/{path}")


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Any:
    backend = _backend(build_tiny_llama(tmp_path_factory.mktemp("lens-pipe")))
    yield backend
    backend.close()


def test_lens_analysis_report_section(
    backend: HFBackend,
    pairs: list[Pair],
    outcomes: list[tuple[str, str, str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base = _backend(build_tiny_llama(tmp_path_factory.mktemp("lens-base"), seed=7))
    try:
        analysis = run_lens_analysis(
            backend,
            pairs,
            outcomes,
            n=3,
            seed=1,
            batch_size=4,
            base=base,
            criteria=LateLayerCriteria(min_peak=0.0),
        )
    finally:
        base.close()
    data = json.loads(json.dumps(analysis.as_dict(), allow_nan=False))
    assert {p["role"] for p in data["pairs"]} == {"failure", "control"}
    assert len(data["pairs"]) == 6
    for row in data["pairs"]:
        assert set(row) == {"pair_id", "category", "role", "ld_by_layer"}
        assert len(row["ld_by_layer"]["stereotyped"]) == 2  # the tiny Llama's 2 blocks
        assert len(row["ld_by_layer"]["contrast"]) == 2
    summary = data["summary"]
    assert summary["n"] == {"failure": 3, "control": 3}
    assert summary["n_layers"] == 2
    assert set(summary["gap_by_layer"]) == {"failure", "control"}
    assert summary["peak"]["layer"] in (0, 1)
    assert 0.0 <= summary["handoff_rate"] <= 1.0
    assert summary["late_layer"]["verdict"] in {"late", "early", "no_gap"}
    assert set(summary["answer_tokens"]["yes"]) == {"yes", "Yes", "YES", " yes", " Yes"}
    assert len(summary["base"]["instruct_minus_base"]["failure"]) == 2
    assert summary["base"]["answer_tokens"] == summary["answer_tokens"]  # same tokenizer
    failures = {p["pair_id"] for p in data["pairs"] if p["role"] == "failure"}
    assert failures <= {o[0] for o in outcomes if o[2] == "c"}


def test_lens_analysis_rejects_outcomes_for_unknown_pairs(
    backend: HFBackend, pairs: list[Pair]
) -> None:
    with pytest.raises(LensError, match="not in the data"):
        run_lens_analysis(backend, pairs, [("nope_q1_p0", "Age", "c")])


def test_head_ablation_exact_and_screen(
    backend: HFBackend, pairs: list[Pair], outcomes: list[tuple[str, str, str]]
) -> None:
    failures = [pid for pid, _, cell in outcomes if cell == "c"]
    report = run_head_ablation(
        backend, pairs, failures, ranking="pooled", n_rank=2, ks=(1, 3), max_rows=16
    )
    data = json.loads(json.dumps(report.as_dict(), allow_nan=False))
    assert data["ranking"] == "pooled" and data["recovery"]["ranking"] == "pooled"
    assert data["ranked_by"] == "exact"
    assert data["architecture"]["num_layers"] == 2 and data["architecture"]["num_heads"] == 4
    assert len(data["ranking_pairs"]) == 2
    assert len(data["sweep"]["effects"]) == 8 and len(data["screen"]["effects"]) == 8
    assert data["agreement"]["n_heads"] == 8
    assert [p["k"] for p in data["recovery"]["points"]] == [1, 3]
    assert data["recovery"]["n_pairs"] == 4
    assert len(data["recovery_heldout"]) == 2  # K = 1 and 3 on the 2 pairs not ranked on
    assert all(p["n_pairs"] == 2 for p in data["recovery_heldout"])
    top = data["sweep"]["effects"][0]
    assert data["recovery"]["points"][0]["heads"] == [[top["layer"], top["head"]]]


def test_head_ablation_screen_then_verify_and_dataset_means(
    backend: HFBackend, pairs: list[Pair], outcomes: list[tuple[str, str, str]]
) -> None:
    failures = [pid for pid, _, cell in outcomes if cell == "c"]
    verified = run_head_ablation(
        backend, pairs, failures, ranking="pooled", n_rank=2, ks=(2,), verify_top=3
    )
    assert verified.ranked_by == "screen+exact"
    assert verified.sweep is not None and len(verified.sweep.effects()) == 3
    screen_top = {(e.layer, e.head) for e in verified.screen.effects()[:3]}  # type: ignore[union-attr]
    assert {(e.layer, e.head) for e in verified.sweep.effects()} == screen_top
    controls = [p for p in pairs if p.id in {o[0] for o in outcomes if o[2] == "a"}]
    means = run_head_ablation(
        backend,
        pairs,
        failures,
        ranking="pooled",
        n_rank=1,
        ks=(1,),
        exact=False,
        mode="dataset_mean",
        mean_pairs=controls,
    )
    assert means.ranked_by == "screen" and means.sweep is None
    assert means.as_dict()["agreement"] is None
    with pytest.raises(LensError, match="needs the exact sweep, the screen"):
        run_head_ablation(backend, pairs, failures, exact=False, screen=False)
    with pytest.raises(LensError, match="no failure pairs"):
        run_head_ablation(backend, pairs, [])


@pytest.mark.skipif(not available(), reason="matplotlib is not installed")
def test_plots_from_the_report_sections(
    backend: HFBackend, pairs: list[Pair], outcomes: list[tuple[str, str, str]], tmp_path: Path
) -> None:
    analysis = run_lens_analysis(backend, pairs, outcomes, n=2)
    failures = [pid for pid, _, cell in outcomes if cell == "c"]
    report = run_head_ablation(backend, pairs, failures, n_rank=1, ks=(1, 3), exact=False)
    written = write_plots(analysis.as_dict(), report.recovery.as_dict(), tmp_path / "figs")
    assert [p.name for p in written] == ["lens_gap_by_layer.png", "lens_recovery_by_k.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written)


def test_lens_reads_the_prompts_of_the_run_its_pairs_come_from(
    backend: HFBackend, pairs: list[Pair], outcomes: list[tuple[str, str, str]]
) -> None:
    """Under the trigger variant the stereotyped half is read with the trigger sentence in
    front (the published lens prompts); the contrast half is the same prompt either way."""
    from pytest_veto.lens.suite import lens_variant

    trigger = lens_variant("trigger")
    assert trigger is not None and trigger.name == "trigger" and lens_variant("unprimed") is None
    plain = run_lens_analysis(backend, pairs, outcomes, n=2, seed=1)
    primed = run_lens_analysis(backend, pairs, outcomes, n=2, seed=1, variant=trigger)
    assert [p.pair_id for p in plain.pairs] == [p.pair_id for p in primed.pairs]
    for a, b in zip(plain.pairs, primed.pairs, strict=True):
        assert a.contrast == pytest.approx(b.contrast, abs=1e-5)
        assert a.stereotyped != pytest.approx(b.stereotyped, abs=1e-3)
    prompts = lens_prompts(pairs[:1], backend.chat_prompt, trigger)
    assert f"{pairs[0].trigger_sentence} {pairs[0].stereotyped.text}" in prompts[0].text
    assert pairs[0].trigger_sentence not in prompts[1].text


def test_per_pair_ranking_is_each_pairs_own_in_sample(
    backend: HFBackend, pairs: list[Pair], outcomes: list[tuple[str, str, str]]
) -> None:
    """The published method: every failure pair is swept, ranks heads by its own
    specificity and ablates its own top K; batched, each row ablates its own heads."""
    failures = [pid for pid, _, cell in outcomes if cell == "c"]
    report = run_head_ablation(backend, pairs, failures, ks=(1, 3), screen=False)
    assert report.ranking == "per-pair" and report.ranked_by == "exact"
    assert set(report.ranking_pairs) == set(failures)  # in-sample: every failure pair
    assert report.sweep is not None
    own = pair_rankings(report.sweep.deltas())
    recovery = report.recovery
    assert {p: list(o) for p, o in recovery.orders.items()} == {p: own[p][:3] for p in failures}
    chosen = [p for p in pairs if p.id in failures]
    prompts = lens_prompts(chosen, backend.chat_prompt)
    tokens = lens_answer_tokens(backend.tokenizer)
    for prompt in prompts:  # the batched per-row ablation equals each pair's heads alone
        heads = own[prompt.pair_id][:3]
        alone = final_lds(
            backend.hf_model, backend.tokenizer, [prompt], tokens, plan=plan_of(heads)
        )
        assert recovery.ablated[3][prompt.key] == pytest.approx(alone[0], abs=1e-4)
    data = json.loads(json.dumps(report.as_dict(), allow_nan=False))
    assert data["ranking"] == "per-pair" and data["recovery_heldout"] is None
    rows = {r["pair_id"]: r for r in data["recovery"]["pairs"]}
    assert set(rows) == set(failures)
    for point in data["recovery"]["points"]:
        assert point["heads"] == []  # each pair has its own: see recovery.pairs
        assert point["recovered"] == sum(point["k"] in r["recovered_at"] for r in rows.values())


def test_per_pair_and_pooled_agree_on_one_pair_and_differ_on_many(
    backend: HFBackend, pairs: list[Pair]
) -> None:
    """One failure pair: its own ranking is the pooled one, so the two methods are the same
    computation. Twelve pairs of the tiny random Llama: the pairs' own top heads differ,
    and so do the shares recovered."""
    every = load_pairs(SAMPLE)
    one = [every[0].id]
    a = run_head_ablation(backend, every, one, ks=(1, 3), screen=False)
    b = run_head_ablation(backend, every, one, ranking="pooled", n_rank=1, ks=(1, 3), screen=False)
    assert a.recovery.orders == b.recovery.orders
    assert dict(a.recovery.ablated) == dict(b.recovery.ablated)
    many = [p.id for p in every[:12]]
    per_pair = run_head_ablation(backend, every, many, ks=(1, 3, 5), screen=False)
    pooled = run_head_ablation(
        backend, every, many, ranking="pooled", n_rank=12, ks=(1, 3, 5), screen=False
    )
    assert len({o[:1] for o in per_pair.recovery.orders.values()}) > 1  # own top heads differ
    assert len(set(pooled.recovery.orders.values())) == 1  # one ranking for all
    recovered = [[p.recovered for p in r.recovery.points] for r in (per_pair, pooled)]
    assert recovered[0] != recovered[1], recovered
