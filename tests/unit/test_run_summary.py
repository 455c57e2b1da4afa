"""``gate.summary.summarize``: which gates a run gets from what the collector saw, the
accounting numbers and the verdict, from collectors filled by hand (no pytest run)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import pytest

from pytest_veto.gate.collector import Collector
from pytest_veto.gate.misalign_gates import MisalignLimits
from pytest_veto.gate.summary import RunContext, RunSummary, summarize
from pytest_veto.gate.veto_gates import VetoLimits
from pytest_veto.misalign.suite import ItemResult
from pytest_veto.run.verdict import PairResult
from tests.support.results import (
    item_result,
    pair_result,
)

VETO_DEFAULTS = ["min_pairs", "max_error_rate"]
#: on whenever pairs ran, after the VETO gates (score.answer_forms)
FORM_GATES = ["non_json_max", "degenerate_run"]
MISALIGN_DEFAULTS = ["misalign_min_items", "misalign_min_parse_rate", "misalign_max_error_rate"]


def pair_node(case: str) -> str:
    return f"plugins/pytest_veto/suite/test_pairs.py::test_pair[{case}]"


def item_node(case: str) -> str:
    return f"plugins/pytest_veto/suite/test_misalign.py::test_misalign_item[{case}]"


def feed(c: Collector, pairs: Iterable[PairResult] = (), items: Iterable[ItemResult] = ()) -> None:
    """Collect and report each result as the controller would (a call report each)."""
    pairs, items = list(pairs), list(items)
    nodes = [
        pair_node(p.pair_id if p.variant == "base" else f"{p.pair_id}+{p.variant}") for p in pairs
    ] + [item_node(i.item_id) for i in items]
    c.collected(nodes)
    for node, p in zip(nodes[: len(pairs)], pairs, strict=True):
        c.report(node, "call", p.failed, pair=p)
    for node, i in zip(nodes[len(pairs) :], items, strict=True):
        c.report(node, "call", i.failed, item=i)


def context(**changes: Any) -> RunContext:
    ctx = RunContext(
        model="reference/misfire:0.1",
        condition="direct",
        seed=0,
        veto=VetoLimits(),
        misalign=MisalignLimits(),
    )
    return replace(ctx, **changes)


def names(summary: RunSummary) -> list[str]:
    return [g.name for g in summary.gates]


def gate(summary: RunSummary, name: str) -> Any:
    return {g.name: g for g in summary.gates}[name]


def test_a_run_of_pairs_gets_the_veto_gates_only() -> None:
    c = Collector()
    feed(c, [pair_result("p0", "a"), pair_result("p1", "c")])
    s = summarize(c, context(veto=VetoLimits(mar_max=50)))
    assert names(s) == ["all_pairs_accounted", *VETO_DEFAULTS, "mar_max", *FORM_GATES]
    assert gate(s, "mar_max").value == 50.0
    assert s.ran_pairs and not s.ran_items and s.misalign is None and s.items == ()
    assert s.passed


def test_a_run_where_nothing_ran_gets_the_veto_gates_and_fails() -> None:
    c = Collector()
    c.collected([])
    s = summarize(c, context())
    assert names(s) == ["all_pairs_accounted", *VETO_DEFAULTS]
    assert gate(s, "all_pairs_accounted").passed
    assert (gate(s, "min_pairs").value, gate(s, "min_pairs").passed) == (0.0, False)
    assert "no VETO pair ran" in gate(s, "max_error_rate").message
    assert not s.passed


def test_a_run_that_never_reported_collection_fails() -> None:
    s = summarize(Collector(), context())
    assert names(s) == ["all_pairs_accounted", *VETO_DEFAULTS]
    assert not gate(s, "all_pairs_accounted").passed and not s.passed


def test_a_run_of_items_only_gets_the_misalign_gates_only() -> None:
    c = Collector()
    feed(
        c,
        items=[
            item_result("i1", "misaligned", "misaligned"),
            item_result("i0", "aligned", "aligned"),
        ],
    )
    s = summarize(c, context(misalign=MisalignLimits(min_score=1.0)))
    assert names(s) == ["all_pairs_accounted", *MISALIGN_DEFAULTS, "misalign_min_score"]
    assert s.misalign is not None and s.misalign.overall.alignment_score == 1.0
    assert [i.item_id for i in s.items] == ["i0", "i1"]
    assert s.ran_items and not s.ran_pairs and s.passed


def test_a_run_of_lens_checks_only_gets_no_veto_gates() -> None:
    c = Collector()
    c.collected(["plugins/pytest_veto/suite/test_logit_lens.py::test_logit_lens"])
    c.report("plugins/pytest_veto/suite/test_logit_lens.py::test_logit_lens", "call", False)
    c.lens_section({"summary": {}, "ablation": None})
    s = summarize(c, context())
    assert names(s) == ["all_pairs_accounted"]
    assert s.lens == {"summary": {}, "ablation": None}
    assert s.passed


def test_a_failed_lens_check_fails_the_run() -> None:
    c = Collector()
    c.collected(["plugins/pytest_veto/suite/test_logit_lens.py::test_logit_lens"])
    c.report("plugins/pytest_veto/suite/test_logit_lens.py::test_logit_lens", "call", True)
    c.lens_section({"summary": {}})
    s = summarize(c, context())
    assert all(g.passed for g in s.gates) and not s.passed
    assert s.foreign_failures == ("plugins/pytest_veto/suite/test_logit_lens.py::test_logit_lens",)


def test_both_suites_get_both_sets_of_gates() -> None:
    c = Collector()
    feed(c, [pair_result("p0", "a")], [item_result("i0", "aligned", "aligned")])
    c.lens_section({"summary": {}})
    s = summarize(c, context())
    assert names(s) == ["all_pairs_accounted", *VETO_DEFAULTS, *FORM_GATES, *MISALIGN_DEFAULTS]
    assert s.passed


def test_collected_items_that_all_broke_still_get_failing_misalign_gates() -> None:
    c = Collector()
    c.collected([item_node("i0")])
    c.report(item_node("i0"), "call", True)  # crashed: no result
    s = summarize(c, context())
    assert names(s) == ["all_pairs_accounted", *MISALIGN_DEFAULTS]
    assert s.misalign is not None and s.items == ()
    assert not any(g.passed for g in s.gates)
    assert s.accounting.missing == (item_node("i0"),)


def test_items_whose_ids_contain_double_colons_get_the_misalign_gates() -> None:
    c = Collector()
    feed(
        c,
        items=[
            item_result("safety::01", "misaligned", "misaligned"),
            item_result("safety::02", "aligned", "misaligned"),
        ],
    )
    s = summarize(c, context())
    assert names(s) == ["all_pairs_accounted", *MISALIGN_DEFAULTS]
    assert s.misalign is not None and s.misalign.overall.counts.n == 2
    assert s.foreign_failures == () and s.passed
    assert (s.accounting.collected, s.accounting.reported) == (2, 2)


def test_a_foreign_failure_fails_a_run_whose_gates_pass() -> None:
    c = Collector()
    feed(c, [pair_result("p0", "a")])
    c.report("tests/test_smoke.py::test_smoke", "call", True)
    c.collection_failed("tests/test_broken.py")
    s = summarize(c, context())
    assert all(g.passed for g in s.gates)
    assert s.foreign_failures == ("tests/test_broken.py", "tests/test_smoke.py::test_smoke")
    assert not s.passed


def test_accounting_numbers() -> None:
    c = Collector()
    feed(
        c,
        [pair_result("p0", "a"), pair_result("p1", "c")],
        [item_result("i0", "aligned", "misaligned")],
    )
    c.collected([pair_node("p2"), "tests/test_smoke.py::test_smoke"])  # p2 never reports
    c.report(pair_node("p1"), "teardown", True)  # p1 breaks after its result
    s = summarize(c, context())
    assert (s.accounting.collected, s.accounting.reported) == (4, 2)
    assert s.accounting.missing == (pair_node("p1"), pair_node("p2"))
    assert s.accounting.as_dict() == {
        "collected": 4,
        "reported": 2,
        "missing": [pair_node("p1"), pair_node("p2")],
        "duplicated": [],
        "dataset_cases": None,
        "selected_cases": 3,
        "dataset_items": None,
        "selected_items": 1,
    }
    g = gate(s, "all_pairs_accounted")
    assert (g.value, g.passed) == (2.0, False) and pair_node("p2") in g.message
    assert [p.pair_id for p in s.pairs] == ["p0"] and not s.passed


def test_pairs_are_ordered_and_amplification_is_per_primed_variant() -> None:
    c = Collector()
    base = {"p0": "a", "p1": "a", "p2": "a", "p3": "c"}
    results = [pair_result(p, o) for p, o in base.items()]
    results += [
        pair_result(p, o, "trigger", base[p])  # type: ignore[arg-type]
        for p, o in zip(base, "acca", strict=True)
    ]
    results += [
        pair_result(p, o, "safety-system", base[p])  # type: ignore[arg-type]
        for p, o in zip(base, "aaac", strict=True)
    ]
    feed(c, reversed(results))
    s = summarize(
        c,
        context(
            forms={"safety-system": "both_halves"},
            veto=VetoLimits(priming=("trigger", "safety-system"), amplification_max=2),
        ),
    )
    assert [(p.variant, p.pair_id) for p in s.pairs] == sorted(
        (p.variant, p.pair_id) for p in results
    )
    amps = {a.variant: a for a in s.amplifications}
    assert [a.variant for a in s.amplifications] == ["safety-system", "trigger"]
    assert (amps["trigger"].form, amps["trigger"].amplification) == ("stereotyped_only", 2.0)
    assert (amps["safety-system"].form, amps["safety-system"].amplification) == ("both_halves", 1.0)
    assert s.base.overall.mar == 25.0
    assert gate(s, "amplification_max:trigger").passed


def test_a_baseline_comparison_gets_its_gate() -> None:
    c = Collector()
    feed(c, [pair_result(f"p{i}", "c" if i < 6 else "a") for i in range(10)])
    old = {
        "schema_version": 1,
        "run": {"model": "old", "condition": "direct", "dataset": {"sha256": "ab" * 32}},
        "pairs": [
            {
                "pair_id": f"p{i}",
                "category": "Age",
                "variant": "base",
                "evidence_match": "swap",
                "outcome": "a",
                "base_outcome": None,
            }
            for i in range(10)
        ],
    }
    s = summarize(c, context(baseline=old, veto=VetoLimits(mar_max=100, max_regression=5)))
    assert names(s) == [
        "all_pairs_accounted",
        *VETO_DEFAULTS,
        "mar_max",
        "baseline_regression",
        *FORM_GATES,
    ]
    assert s.comparison is not None and s.comparison.regressed
    g = gate(s, "baseline_regression")
    assert (g.threshold, g.value, g.passed) == (5, pytest.approx(60.0), False)
    assert not s.passed


def test_a_baseline_that_cannot_be_compared_fails_its_gate() -> None:
    c = Collector()
    feed(c, [pair_result("p0", "a")])
    other = {
        "schema_version": 1,
        "run": {"model": "old", "condition": "direct", "dataset": {"sha256": "ab" * 32}},
        "pairs": [
            {
                "pair_id": "zz",
                "category": "Age",
                "variant": "base",
                "evidence_match": "swap",
                "outcome": "a",
                "base_outcome": None,
            }
        ],
    }
    s = summarize(c, context(baseline=other))
    g = gate(s, "baseline_regression")
    assert s.comparison is None and g.value is None and not g.passed
    assert "no pair (pair_id, variant) in common" in g.message


def test_no_baseline_no_baseline_gate() -> None:
    c = Collector()
    feed(c, [pair_result("p0", "a")])
    s = summarize(c, context())
    assert s.comparison is None and "baseline_regression" not in names(s)


def test_answers_count_fresh_and_cached_answers() -> None:
    c = Collector()
    feed(
        c,
        [pair_result("p0", "a", cached=True), pair_result("p1", "c")],
        [item_result("i0", "aligned", "aligned")],
    )
    assert summarize(c, context()).answers == (3, 2)


# --- a subset of the data set -------------------------------------------------------------


def test_a_subset_of_the_data_set_fails_the_run() -> None:
    c = Collector()
    feed(c, [pair_result("p0", "a"), pair_result("p1", "a")])
    s = summarize(c, context(dataset_cases=5))
    assert names(s) == ["all_pairs_accounted", "all_pairs_selected", *VETO_DEFAULTS, *FORM_GATES]
    g = gate(s, "all_pairs_selected")
    assert (g.value, g.threshold, g.passed) == (3.0, 0, False)
    assert "2 of the data set's 5 pair cases selected" in g.message
    assert (s.accounting.dataset_cases, s.accounting.selected_cases) == (5, 2)
    assert not s.passed


def test_an_allowed_subset_passes() -> None:
    c = Collector()
    feed(c, [pair_result("p0", "a"), pair_result("p1", "a")])
    s = summarize(c, context(dataset_cases=5, veto=VetoLimits(allow_subset=True)))
    assert gate(s, "all_pairs_selected").passed
    assert s.passed


def test_the_whole_data_set_gets_no_subset_gate() -> None:
    c = Collector()
    feed(c, [pair_result("p0", "a"), pair_result("p0", "a", variant="trigger")])
    s = summarize(c, context(dataset_cases=2))
    assert "all_pairs_selected" not in names(s)
    assert s.accounting.as_dict()["selected_cases"] == 2
    assert s.passed


def test_items_only_is_no_subset_of_the_pairs() -> None:
    """-m misalign selects the VETO suite away: not a subset of it, and its gates are not
    built unless asked for."""
    c = Collector()
    feed(c, items=[item_result("i0", "aligned", "aligned")])
    s = summarize(c, context(dataset_cases=64))
    assert "all_pairs_selected" not in names(s)
    assert "min_pairs" not in names(s)
    assert s.accounting.selected_cases == 0
    assert s.passed


def test_items_selected_by_category_are_counted_as_pairs_only() -> None:
    """Mis-Align items count towards the collected cases, not the selected pair cases."""
    c = Collector()
    feed(c, [pair_result("p0", "a")], [item_result("i0", "aligned", "aligned")])
    s = summarize(c, context(dataset_cases=1))
    assert (s.accounting.collected, s.accounting.selected_cases) == (2, 1)
    assert "all_pairs_selected" not in names(s)


def test_an_explicit_non_json_limit_is_evaluated_when_no_pair_ran() -> None:
    # -m misalign --veto-max-non-json-rate=20: a gate the user set is never dropped
    c = Collector()
    feed(c, items=[item_result("i0", "aligned", "aligned")])
    s = summarize(c, context(veto=VetoLimits(max_non_json_rate=20.0)))
    assert names(s) == ["all_pairs_accounted", *VETO_DEFAULTS, *FORM_GATES, *MISALIGN_DEFAULTS]
    g = gate(s, "non_json_max")
    assert (g.threshold, g.value, g.passed) == (20.0, None, False)
    assert "no VETO half was answered" in g.message and not s.passed


def test_the_summary_counts_the_forms_of_every_variant() -> None:
    c = Collector()
    feed(c, [pair_result("p0", "a"), pair_result("p0", "c", variant="trigger", base_outcome="a")])
    forms = summarize(c, context()).answer_forms
    assert (forms.answered, forms.counts["json"], forms.non_json_rate) == (4, 4, 0.0)


def _explored(template: str) -> dict[str, Any]:
    return {
        "template": template,
        "category": "Age",
        "examples": 5,
        "errors": 0,
        "informative": 5,
        "calls": 10,
        "misfires": [],
        "replayed": [],
    }


def test_a_repeated_subset_of_templates_is_not_all_templates() -> None:
    """Two templates of four, each run twice (pytest-repeat): as many tests as the folder
    has templates, but a template counts once and the copies break the accounting."""
    c = Collector()
    node = "plugins/pytest_veto/suite/test_explore.py::test_explore[{}]"
    ids = [node.format(f"{t}-{r}") for t in ("age_t1a", "age_t1b") for r in (1, 2)]
    c.collected(ids)
    for nodeid in ids:
        template = nodeid.split("[")[1].rsplit("-", 1)[0]
        c.report(nodeid, "call", False, explore=_explored(template))
    summary = summarize(c, context(dataset_templates=4))
    assert summary.explore_stats is not None and summary.explore_stats.templates == 2
    assert gate(summary, "all_pairs_accounted").passed is False
    assert len(summary.accounting.duplicated) == 2
