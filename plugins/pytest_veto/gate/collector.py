"""The result collector: what the controller learns from test reports, and nothing more.

It accounts for every collected case (a VETO pair or a Mis-Align item), keeps the typed
results that crossed from the workers (``run.wire``), and tells a case's own verdict
(a misfire, a misjudged item, an errored call) from a crash or a lost result, which
makes the case unaccounted. It reads only reports, so it works the same in one process
and as the pytest-xdist controller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_veto.misalign.suite import ItemResult
from pytest_veto.run.controls import ControlResult
from pytest_veto.run.verdict import PairResult

CaseKind = Literal["pair", "item", "control", "explore"]

#: The test functions whose parameters are model cases (reserved names in model suites):
#: the controller knows a collected case only by its node id, since under xdist the
#: workers collect and only ids come back.
CASE_FUNCTIONS: dict[str, CaseKind] = {
    "test_pair": "pair",
    "test_misalign_item": "item",
    "test_control": "control",
    "test_explore": "explore",
}


def case_kind(nodeid: str) -> CaseKind | None:
    """``pair`` for ``...::test_pair[<case id>]``, ``item`` for
    ``...::test_misalign_item[<item id>]``, else None (not a model case). The case id
    may itself hold ``::`` or ``[`` (Mis-Align ids may contain ``:``)."""
    path, bracket, params = nodeid.partition("[")
    if not bracket or not params.endswith("]"):
        return None
    _, sep, function = path.rpartition("::")
    return CASE_FUNCTIONS.get(function) if sep else None


def is_own_verdict(
    when: str,
    pair: PairResult | None,
    item: ItemResult | None,
    control: ControlResult | None = None,
    explore: Mapping[str, Any] | None = None,
) -> bool:
    """Is a failed report the case's own verdict? The failed pair, misjudged item, wrong
    control or misfiring template at call, or the errored one at setup (their fixtures
    fail on no answer; a template fails there when every example errored)."""
    if explore is not None:
        errored = explore["examples"] > 0 and explore["errors"] == explore["examples"]
        return (when == "call" and bool(explore["misfires"])) or (when == "setup" and errored)
    if control is not None:
        return (when == "call" and control.failed) or (when == "setup" and control.errored)
    if pair is not None:
        errored = pair.outcome == "error"
        return (when == "call" and pair.failed) or (when == "setup" and errored)
    if item is not None:
        return (when == "call" and item.failed) or (when == "setup" and item.errored)
    return False


@dataclass
class Collector:
    """Everything the controller knows about a run, fed by collection and test reports."""

    expected: dict[str, CaseKind] = field(default_factory=dict)
    pairs: dict[str, PairResult] = field(default_factory=dict)
    items: dict[str, ItemResult] = field(default_factory=dict)
    controls: dict[str, ControlResult] = field(default_factory=dict)
    #: each explored template's record (``explore.search.Exploration.to_json``)
    explorations: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the report's ``lens`` section (the ablation's, when it ran, wins)
    lens: dict[str, object] | None = None
    #: cases whose result cannot be trusted: a crash, a lost verdict, a bad payload
    broken: dict[str, str] = field(default_factory=dict)
    #: tests outside the model suites that failed (they fail the run)
    foreign_failures: set[str] = field(default_factory=set)
    collection_seen: bool = False

    def collected(self, nodeids: list[str]) -> None:
        """Node ids collected (after deselection) by this process or by an xdist worker."""
        self.collection_seen = True
        for nodeid in nodeids:
            kind = case_kind(nodeid)
            if kind is not None:
                self.expected[nodeid] = kind

    def collection_failed(self, nodeid: str) -> None:
        """A module that could not be collected (``--continue-on-collection-errors``)."""
        self.foreign_failures.add(nodeid or "<collection>")

    def report(
        self,
        nodeid: str,
        when: str,
        failed: bool,
        *,
        pair: PairResult | None = None,
        item: ItemResult | None = None,
        bad_payload: str | None = None,
        control: ControlResult | None = None,
        explore: Mapping[str, Any] | None = None,
    ) -> None:
        """One test report (any phase) with the typed result it carried, if any."""
        case = case_kind(nodeid) is not None
        if bad_payload is not None and case:
            self._break(nodeid, bad_payload)
            return
        if failed and case and not is_own_verdict(when, pair, item, control, explore):
            # a crash, a lost verdict, an error outside the verdict
            self._break(nodeid, f"{when} failed outside the case's verdict")
            return
        if failed and not case:
            self.foreign_failures.add(nodeid)
        if nodeid in self.broken:
            return
        if pair is not None:
            self.pairs[nodeid] = pair
        if item is not None:
            self.items[nodeid] = item
        if control is not None:
            self.controls[nodeid] = control
        if explore is not None:
            self.explorations[nodeid] = explore

    def lens_section(self, section: dict[str, object]) -> None:
        """A lens section from a lens check (the ablation's carries more: it wins)."""
        if self.lens is None or section.get("ablation"):
            self.lens = section

    def _break(self, nodeid: str, why: str) -> None:
        self.broken.setdefault(nodeid, why)
        self.pairs.pop(nodeid, None)
        self.items.pop(nodeid, None)
        self.controls.pop(nodeid, None)
        self.explorations.pop(nodeid, None)

    @property
    def missing(self) -> list[str]:
        """Collected cases that produced no result (crashed worker, lost report, bug)."""
        done = {*self.pairs, *self.items, *self.controls, *self.explorations}
        return sorted(set(self.expected) - done)

    @property
    def ran_pairs(self) -> bool:
        """VETO pair cases were collected."""
        return "pair" in self.expected.values()

    @property
    def ran_controls(self) -> bool:
        """Control cases were collected."""
        return "control" in self.expected.values()

    @property
    def ran_explore(self) -> bool:
        """Exploration tests were collected."""
        return "explore" in self.expected.values()

    @property
    def ran_items(self) -> bool:
        """Mis-Align item cases were collected."""
        return "item" in self.expected.values()
