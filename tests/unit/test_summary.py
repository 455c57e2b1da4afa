"""The terminal summary's lens lines, from a report ``lens`` section."""

from __future__ import annotations

import copy
from typing import Any

from pytest_veto.report.terminal import lens_lines

LENS: dict[str, Any] = {
    "outcomes": {"source": "this run", "variant": "trigger"},
    "summary": {
        "n": {"failure": 2, "control": 4},
        "n_layers": 3,
        "peak": {"layer": 1, "value": 2.5},
        "gap_by_layer": {"failure": [0.1, 2.5, 1.0], "control": [0.0, -0.25, 0.1]},
        "handoff_rate": 0.5,
        "late_layer": {"verdict": "late", "message": "gap peaks at layer 1"},
    },
    "ablation": {
        "ranked_by": "exact",
        "ranking_pairs": ["a", "b"],
        "sweep": {
            "effects": [
                {"layer": 2, "head": 1, "specificity": 0.75},
                {"layer": 0, "head": 3, "specificity": -0.5},
            ]
        },
        "screen": None,
        "recovery": {
            "points": [
                {"k": 1, "recovered": 1, "n_pairs": 2},
                {"k": 3, "recovered": 2, "n_pairs": 2},
            ]
        },
    },
    "plots": ["r-plots/lens_gap_by_layer.png"],
}


def test_lens_lines_state_the_findings() -> None:
    assert lens_lines(LENS) == [
        "logit lens: 2 failure + 4 control pairs, 3 layers (outcomes: this run, variant trigger)",
        (
            "  gap on failure pairs (LD contrast - stereotyped) peaks at layer 1: +2.50 logits "
            "(control pairs there: -0.25)"
        ),
        "  hand-off rate: 50.0%; late-layer check: late (gap peaks at layer 1)",
        "  head ablation (exact, 2 ranking pairs): most specific L2H1 +0.75, L0H3 -0.50",
        "  recovered by top-K: K=1 1/2, K=3 2/2",
        "  plot: r-plots/lens_gap_by_layer.png",
    ]


def test_lens_lines_without_failures_ablation_or_plots() -> None:
    lens = copy.deepcopy(LENS)
    lens["summary"].update(
        peak=None, handoff_rate=None, gap_by_layer={"failure": [], "control": [0.0, 0.0, 0.0]}
    )
    lens["summary"]["n"]["failure"] = 0
    lens.update(ablation=None, plots=[])
    assert lens_lines(lens) == [
        "logit lens: 0 failure + 4 control pairs, 3 layers (outcomes: this run, variant trigger)",
        "  hand-off rate: -; late-layer check: late (gap peaks at layer 1)",
    ]


def test_base_model_and_screen_agreement_lines() -> None:
    lens = copy.deepcopy(LENS)
    lens["summary"]["base"] = {
        "gap_by_layer": {"failure": [0.0, 0.5, None], "control": [0.0, 0.0, 0.0]},
        "instruct_minus_base": {"failure": [0.1, 2.0, None], "control": None},
    }
    lens["ablation"]["agreement"] = {"spearman_specificity": 0.8243, "top": 10, "top_overlap": 5}
    lines = lens_lines(lens)
    assert "  base model at that layer: gap +0.50 (instruct minus base +2.00)" in lines
    assert "  screen vs exact sweep: Spearman 0.82, 5 of the top 10 shared" in lines


def test_real_shape_of_a_run_without_failure_pairs() -> None:
    """What LensAnalysis.summary() gives with control pairs only: a peak of nulls."""
    lens = copy.deepcopy(LENS)
    lens["summary"].update(
        peak={"layer": None, "value": None},
        handoff_rate=None,
        gap_by_layer={"failure": None, "control": [0.0, 0.1, 0.0]},
    )
    lens.update(ablation=None)
    assert not any(line.startswith("  gap on failure") for line in lens_lines(lens))


def test_the_screen_ranks_when_no_exact_sweep_ran() -> None:
    lens = copy.deepcopy(LENS)
    lens["ablation"].update(
        ranked_by="screen",
        sweep=None,
        screen={"effects": [{"layer": 1, "head": 0, "specificity": 1.0}]},
    )
    assert "  head ablation (screen, 2 ranking pairs): most specific L1H0 +1.00" in lens_lines(lens)


def test_a_per_pair_ranking_says_each_pair_ablates_its_own_heads() -> None:
    lens = copy.deepcopy(LENS)
    lens["ablation"]["ranking"] = "per-pair"
    assert (
        "  head ablation (exact, per pair: each of 2 failure pairs ablates its own top K): "
        "most specific on average L2H1 +0.75, L0H3 -0.50"
    ) in lens_lines(lens)
