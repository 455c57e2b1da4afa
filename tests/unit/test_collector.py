"""The controller's collector: which reports are a case's own verdict, which break the
case, which are foreign failures, and what the run accounts for (no pytest run here)."""

from __future__ import annotations

import pytest

from pytest_veto.gate.collector import Collector, case_kind, is_own_verdict
from pytest_veto.misalign.columns import Label
from pytest_veto.misalign.suite import ItemResult
from pytest_veto.run.verdict import PairResult
from pytest_veto.score.metrics import Outcome
from tests.support import results

PAIRS_FILE = "plugins/pytest_veto/suite/test_pairs.py"
ITEMS_FILE = "plugins/pytest_veto/suite/test_misalign.py"


def pair_result(
    outcome: Outcome,
    variant: str = "base",
    base_outcome: Outcome | None = None,
    pair_id: str = "age_s1_p0",
) -> PairResult:
    return results.pair_result(pair_id, outcome, variant, base_outcome)


def item_result(label: Label, answer: str, item_id: str = "safety-01") -> ItemResult:
    return results.item_result(item_id, label, answer)


def pair_id_of(case: str) -> str:
    return f"{PAIRS_FILE}::test_pair[{case}]"


def item_id_of(case: str) -> str:
    return f"{ITEMS_FILE}::test_misalign_item[{case}]"


def run_case(
    c: Collector,
    nodeid: str,
    *,
    setup: bool = False,
    call: bool | None = False,
    teardown: bool = False,
    pair: PairResult | None = None,
    item: ItemResult | None = None,
) -> None:
    """The reports of one test as the controller sees them: the result rides on the call
    report, or on the setup report when setup failed (then there is no call report);
    ``setup``/``call``/``teardown`` say which phase failed."""
    if setup:
        c.report(nodeid, "setup", True, pair=pair, item=item)
    else:
        c.report(nodeid, "setup", False)
        if call is not None:
            c.report(nodeid, "call", call, pair=pair, item=item)
    c.report(nodeid, "teardown", teardown)


# --- case_kind ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nodeid", "kind"),
    [
        ("plugins/pytest_veto/suite/test_pairs.py::test_pair[age_s1_p0]", "pair"),
        ("plugins/pytest_veto/suite/test_pairs.py::test_pair[age_s1_p0+trigger]", "pair"),
        (
            "plugins/pytest_veto/suite/test_misalign.py::test_misalign_item[safety-01-aligned]",
            "item",
        ),
        ("suite/test_x.py::TestModel::test_pair[age_s1_p0]", "pair"),
        # brackets inside the parameter id
        ("t.py::test_pair[a[1]-b]", "pair"),
        ("t.py::test_misalign_item[x[0]]", "item"),
        # an id that names another test function is still this function's parameter
        ("t.py::test_pair[test_misalign_item[x]]", "pair"),
        ("t.py::test_other[test_pair[x]]", None),
        # not the reserved functions, or not parametrized
        ("plugins/pytest_veto/suite/test_pairs.py::test_pairs[age_s1_p0]", None),
        ("t.py::test_pair_extra[age_s1_p0]", None),
        ("t.py::my_test_pair[age_s1_p0]", None),
        ("t.py::test_pair", None),
        ("t.py::test_misalign_item", None),
        ("t.py::test_pair[]x", None),
        ("t.py", None),
        ("test_pair[age_s1_p0]", None),  # no module: not a collected test
        ("", None),
    ],
)
def test_case_kind(nodeid: str, kind: str | None) -> None:
    assert case_kind(nodeid) == kind


@pytest.mark.parametrize(
    ("nodeid", "kind"),
    [
        ("plugins/pytest_veto/suite/test_misalign.py::test_misalign_item[safety::01]", "item"),
        ("plugins/pytest_veto/suite/test_pairs.py::test_pair[age::s1]", "pair"),
        ("t.py::test_pair[a::b[c]]", "pair"),
    ],
)
def test_case_kind_with_double_colons_in_the_parameter_id(nodeid: str, kind: str) -> None:
    assert case_kind(nodeid) == kind


def test_a_misjudged_item_with_double_colons_in_its_id_is_its_own_verdict() -> None:
    c = Collector()
    nodeid = item_id_of("safety::01")
    c.collected([nodeid])
    run_case(c, nodeid, call=True, item=item_result("misaligned", "aligned"))
    assert (c.foreign_failures, c.broken, list(c.items)) == (set(), {}, [nodeid])


# --- is_own_verdict -------------------------------------------------------------------


def test_own_verdict_of_pairs() -> None:
    misfire, error = pair_result("c"), pair_result("error")
    assert is_own_verdict("call", misfire, None)
    assert not is_own_verdict("setup", misfire, None)
    assert not is_own_verdict("teardown", misfire, None)
    assert is_own_verdict("setup", error, None)
    assert not is_own_verdict("call", error, None)
    assert not is_own_verdict("call", pair_result("a"), None)
    assert not is_own_verdict("call", pair_result("b"), None)
    assert not is_own_verdict("call", pair_result("d"), None)
    # primed: only a flip is a failure
    assert is_own_verdict("call", pair_result("c", "trigger", base_outcome="a"), None)
    assert not is_own_verdict("call", pair_result("c", "trigger", base_outcome="c"), None)
    assert not is_own_verdict("call", None, None)
    assert not is_own_verdict("setup", None, None)


def test_own_verdict_of_items() -> None:
    missed, flagged = item_result("misaligned", "aligned"), item_result("aligned", "misaligned")
    right, errored = item_result("aligned", "aligned"), item_result("aligned", "error")
    assert is_own_verdict("call", None, missed) and is_own_verdict("call", None, flagged)
    assert not is_own_verdict("setup", None, missed)
    assert not is_own_verdict("call", None, right)
    assert is_own_verdict("setup", None, errored)
    assert not is_own_verdict("call", None, errored)
    assert not is_own_verdict("teardown", None, errored)


# --- pair reports ---------------------------------------------------------------------


def test_a_misfire_failing_at_call_is_its_own_verdict_and_kept() -> None:
    c, nodeid, misfire = Collector(), pair_id_of("age_s1_p0"), pair_result("c")
    c.collected([nodeid])
    run_case(c, nodeid, call=True, pair=misfire)
    assert c.pairs == {nodeid: misfire}
    assert (c.broken, c.foreign_failures, c.missing) == ({}, set(), [])


def test_a_passing_pair_is_kept() -> None:
    c, nodeid, right = Collector(), pair_id_of("age_s1_p0"), pair_result("a")
    c.collected([nodeid])
    run_case(c, nodeid, call=False, pair=right)
    assert c.pairs == {nodeid: right} and c.broken == {} and c.missing == []


def test_an_errored_pair_failing_at_setup_is_its_own_verdict_and_kept() -> None:
    c, nodeid, errored = Collector(), pair_id_of("age_s1_p0"), pair_result("error")
    c.collected([nodeid])
    run_case(c, nodeid, setup=True, pair=errored)
    assert c.pairs == {nodeid: errored}
    assert (c.broken, c.foreign_failures, c.missing) == ({}, set(), [])


def test_an_errored_pair_failing_at_call_is_broken() -> None:
    c, nodeid = Collector(), pair_id_of("age_s1_p0")
    c.collected([nodeid])
    run_case(c, nodeid, call=True, pair=pair_result("error"))
    assert c.pairs == {} and c.broken == {nodeid: "call failed outside the case's verdict"}


def test_a_primed_flip_failing_at_call_is_kept() -> None:
    c, nodeid = Collector(), pair_id_of("age_s1_p0+trigger")
    flip = pair_result("c", "trigger", base_outcome="a")
    c.collected([nodeid])
    run_case(c, nodeid, call=True, pair=flip)
    assert c.pairs == {nodeid: flip} and c.broken == {}


def test_a_primed_misfire_that_did_not_flip_but_failed_is_broken() -> None:
    """Misfiring primed and unprimed is no flip: the test should have passed, so a
    failure is not the pair's verdict (a crash after the verdict, a changed test)."""
    c, nodeid = Collector(), pair_id_of("age_s1_p0+trigger")
    both = pair_result("c", "trigger", base_outcome="c")
    assert both.misfired and not both.failed
    c.collected([nodeid])
    run_case(c, nodeid, call=True, pair=both)
    assert c.pairs == {}
    assert c.broken == {nodeid: "call failed outside the case's verdict"}
    assert c.missing == [nodeid] and c.foreign_failures == set()


def test_a_passing_pair_failing_at_call_is_broken() -> None:
    c, nodeid = Collector(), pair_id_of("age_s1_p0")
    c.collected([nodeid])
    run_case(c, nodeid, call=True, pair=pair_result("a"))
    assert c.pairs == {} and nodeid in c.broken


def test_a_teardown_failure_after_the_result_breaks_the_case() -> None:
    c, nodeid = Collector(), pair_id_of("age_s1_p0")
    c.collected([nodeid])
    c.report(nodeid, "setup", False)
    c.report(nodeid, "call", True, pair=pair_result("c"))
    assert nodeid in c.pairs
    c.report(nodeid, "teardown", True)
    assert c.pairs == {}
    assert c.broken == {nodeid: "teardown failed outside the case's verdict"}
    assert c.missing == [nodeid] and c.foreign_failures == set()


def test_a_teardown_failure_after_an_errored_setup_breaks_the_case() -> None:
    c, nodeid = Collector(), pair_id_of("age_s1_p0")
    c.collected([nodeid])
    run_case(c, nodeid, setup=True, teardown=True, pair=pair_result("error"))
    assert c.pairs == {} and c.broken == {nodeid: "teardown failed outside the case's verdict"}


@pytest.mark.parametrize("phase", ["setup", "call"])
def test_a_failure_without_a_result_breaks_the_case(phase: str) -> None:
    c, nodeid = Collector(), pair_id_of("age_s1_p0")
    c.collected([nodeid])
    run_case(c, nodeid, setup=phase == "setup", call=True if phase == "call" else None)
    assert c.pairs == {} and c.broken == {nodeid: f"{phase} failed outside the case's verdict"}
    assert c.missing == [nodeid] and c.foreign_failures == set()


def test_a_bad_payload_breaks_the_case_even_when_the_test_passed() -> None:
    c, nodeid = Collector(), pair_id_of("age_s1_p0")
    c.collected([nodeid])
    c.report(nodeid, "setup", False)
    c.report(nodeid, "call", False, bad_payload="pair: envelope version 2")
    c.report(nodeid, "teardown", False)
    assert c.pairs == {} and c.broken == {nodeid: "pair: envelope version 2"}
    assert c.missing == [nodeid] and c.foreign_failures == set()


def test_a_bad_payload_removes_a_result_already_kept() -> None:
    c, nodeid = Collector(), pair_id_of("age_s1_p0")
    c.collected([nodeid])
    c.report(nodeid, "call", False, pair=pair_result("a"))
    c.report(nodeid, "teardown", False, bad_payload="lens: not a pytest-veto result envelope")
    assert c.pairs == {} and c.broken == {nodeid: "lens: not a pytest-veto result envelope"}


def test_a_failed_non_case_test_is_a_foreign_failure() -> None:
    c = Collector()
    c.collected(
        [
            "tests/test_extra.py::test_smoke",
            "tests/test_extra.py::test_fine",
            "tests/test_extra.py::test_pairs[age_s1_p0]",
        ]
    )
    assert c.expected == {}
    run_case(c, "tests/test_extra.py::test_smoke", call=True)
    run_case(c, "tests/test_extra.py::test_fine", call=False)
    run_case(c, "tests/test_extra.py::test_pairs[age_s1_p0]", setup=True)
    run_case(c, "tests/test_extra.py::test_teardown", teardown=True)
    assert c.foreign_failures == {
        "tests/test_extra.py::test_smoke",
        "tests/test_extra.py::test_pairs[age_s1_p0]",
        "tests/test_extra.py::test_teardown",
    }
    assert (c.broken, c.pairs, c.missing) == ({}, {}, [])


def test_a_bad_payload_on_a_passing_non_case_test_is_not_a_failure() -> None:
    c = Collector()
    c.report("t.py::test_other", "call", False, bad_payload="lens: envelope version 9")
    assert (c.broken, c.foreign_failures) == ({}, set())


def test_a_module_that_failed_to_collect_is_a_foreign_failure() -> None:
    c = Collector()
    c.collection_failed("plugins/pytest_veto/suite/test_broken.py")
    c.collection_failed("")
    assert c.foreign_failures == {"plugins/pytest_veto/suite/test_broken.py", "<collection>"}


def test_a_case_reported_twice_is_counted_once_and_the_later_result_kept() -> None:
    c, nodeid = Collector(), pair_id_of("age_s1_p0")
    c.collected([nodeid, nodeid])  # e.g. collected by two xdist workers
    first, second = pair_result("a"), pair_result("c")
    run_case(c, nodeid, call=False, pair=first)
    run_case(c, nodeid, call=True, pair=second)
    assert c.expected == {nodeid: "pair"} and c.pairs == {nodeid: second}
    assert c.missing == [] and c.broken == {}


def test_a_broken_case_stays_broken_when_reported_again() -> None:
    c, nodeid = Collector(), pair_id_of("age_s1_p0")
    c.collected([nodeid])
    run_case(c, nodeid, call=True)  # crashed: no result
    run_case(c, nodeid, call=True, pair=pair_result("c"))  # a later, good-looking report
    run_case(c, nodeid, call=False, pair=pair_result("a"))
    assert c.pairs == {} and c.broken == {nodeid: "call failed outside the case's verdict"}
    assert c.missing == [nodeid]


def test_the_first_reason_a_case_broke_is_kept() -> None:
    c, nodeid = Collector(), pair_id_of("age_s1_p0")
    run_case(c, nodeid, call=True, teardown=True)
    assert c.broken == {nodeid: "call failed outside the case's verdict"}


# --- accounting -----------------------------------------------------------------------


def test_missing_lists_collected_cases_without_a_result_sorted() -> None:
    c = Collector()
    ids = [pair_id_of(x) for x in ("b_p0", "a_p0", "c_p0", "d_p0")] + [item_id_of("i1")]
    c.collected([*ids, "t.py::test_other"])
    assert c.collection_seen
    run_case(c, ids[0], call=False, pair=pair_result("a", pair_id="b_p0"))
    run_case(c, ids[2], call=True)  # broken
    run_case(c, ids[4], call=False, item=item_result("aligned", "aligned", "i1"))
    # ids[1] and ids[3] never reported; the non-case test is never missing
    assert c.missing == sorted([ids[1], ids[2], ids[3]])
    assert set(c.pairs) == {ids[0]} and set(c.items) == {ids[4]}


def test_collection_seen_even_when_nothing_was_collected() -> None:
    c = Collector()
    assert not c.collection_seen
    c.collected([])
    assert c.collection_seen and c.expected == {} and c.missing == []
    assert not c.ran_pairs and not c.ran_items


def test_collections_of_several_workers_add_up() -> None:
    c = Collector()
    c.collected([pair_id_of("a_p0"), "t.py::test_other"])
    c.collected([item_id_of("i1"), pair_id_of("a_p0")])
    assert c.expected == {pair_id_of("a_p0"): "pair", item_id_of("i1"): "item"}


@pytest.mark.parametrize(
    ("collected", "pairs", "items"),
    [
        ([], False, False),
        (["t.py::test_other", "t.py::test_pair"], False, False),
        ([pair_id_of("a_p0")], True, False),
        ([item_id_of("i1")], False, True),
        ([pair_id_of("a_p0+trigger"), item_id_of("i1")], True, True),
    ],
)
def test_ran_pairs_and_ran_items_follow_what_was_collected(
    collected: list[str], pairs: bool, items: bool
) -> None:
    c = Collector()
    c.collected(collected)
    assert (c.ran_pairs, c.ran_items) == (pairs, items)


def test_ran_pairs_is_about_collection_not_results() -> None:
    c = Collector()
    c.collected([pair_id_of("a_p0")])
    run_case(c, pair_id_of("a_p0"), call=True)  # broken: no result at all
    assert c.ran_pairs and c.pairs == {}


# --- Mis-Align items ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "answer"), [("misaligned", "aligned"), ("aligned", "misaligned")]
)
def test_a_misjudged_item_failing_at_call_is_kept(label: str, answer: str) -> None:
    c, nodeid = Collector(), item_id_of("safety-01")
    misjudged = item_result(label, answer)
    c.collected([nodeid])
    run_case(c, nodeid, call=True, item=misjudged)
    assert c.items == {nodeid: misjudged}
    assert (c.broken, c.foreign_failures, c.missing) == ({}, set(), [])


def test_a_correct_item_passing_is_kept() -> None:
    c, nodeid = Collector(), item_id_of("safety-01")
    right = item_result("misaligned", "misaligned")
    run_case(c, nodeid, call=False, item=right)
    assert c.items == {nodeid: right}


def test_an_errored_item_failing_at_setup_is_kept() -> None:
    c, nodeid = Collector(), item_id_of("safety-01")
    errored = item_result("misaligned", "error")
    c.collected([nodeid])
    run_case(c, nodeid, setup=True, item=errored)
    assert c.items == {nodeid: errored} and c.broken == {} and c.missing == []


def test_a_correct_item_failing_at_call_is_broken() -> None:
    c, nodeid = Collector(), item_id_of("safety-01")
    c.collected([nodeid])
    run_case(c, nodeid, call=True, item=item_result("aligned", "aligned"))
    assert c.items == {} and c.broken == {nodeid: "call failed outside the case's verdict"}
    assert c.missing == [nodeid]


def test_a_misjudged_item_failing_at_setup_is_broken() -> None:
    c, nodeid = Collector(), item_id_of("safety-01")
    run_case(c, nodeid, setup=True, item=item_result("aligned", "misaligned"))
    assert c.items == {} and c.broken == {nodeid: "setup failed outside the case's verdict"}


def test_an_item_breaks_at_teardown_and_on_a_bad_payload() -> None:
    c = Collector()
    torn, bad = item_id_of("i1"), item_id_of("i2")
    c.collected([torn, bad])
    run_case(c, torn, call=True, teardown=True, item=item_result("aligned", "misaligned", "i1"))
    c.report(bad, "call", False, bad_payload="misalign_item: malformed payload (x)")
    assert c.items == {} and c.missing == [torn, bad]
    assert c.broken == {
        torn: "teardown failed outside the case's verdict",
        bad: "misalign_item: malformed payload (x)",
    }


# --- lens sections --------------------------------------------------------------------


def test_the_first_lens_section_is_kept_and_the_ablations_wins() -> None:
    c = Collector()
    assert c.lens is None
    lens: dict[str, object] = {"summary": {"n_layers": 3}, "ablation": None}
    c.lens_section(lens)
    assert c.lens is lens
    c.lens_section({"summary": {"n_layers": 4}, "ablation": None})
    assert c.lens is lens  # a second plain lens section does not replace the first
    ablation = {"summary": {"n_layers": 3}, "ablation": {"ranked_by": "exact"}}
    c.lens_section(ablation)
    assert c.lens is ablation
    c.lens_section({"summary": {"n_layers": 5}})
    assert c.lens is ablation  # a later plain section does not replace the ablation's


def test_a_lens_section_without_an_ablation_key_is_kept_when_it_is_the_first() -> None:
    c = Collector()
    section: dict[str, object] = {"summary": {}}
    c.lens_section(section)
    assert c.lens is section
    c.lens_section({"summary": {}, "ablation": {}})  # an empty ablation carries nothing
    assert c.lens is section
