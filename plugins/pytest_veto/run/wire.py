"""How results cross from a worker to the controller: typed, versioned envelopes.

Each kind of result has its own channel: a plain attribute of the pytest test report
(pytest-xdist serialises a report's ``__dict__``), set only on the report of the phase
that produced the result, so it crosses once per test. What rides on it is an envelope
``{"kind": ..., "version": ..., "data": ...}`` of plain JSON data; the receiving side
checks kind and version before it builds the frozen dataclass again, so a worker of
another pytest-veto version can never be misread (it is a broken case instead).

This module names the channels and checks envelopes; the payload classes
(``run.verdict.PairResult``, ``misalign.results.ItemResult``, ``lens.suite.LensPayload``,
``run.controls.ControlResult``) own their ``to_wire``/``from_wire``; an exploration
crosses as its report record, plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Bumped whenever a payload's fields change.
WIRE_VERSION = 2


class WireError(ValueError):
    """An envelope of the wrong kind or version, or not an envelope at all."""


@dataclass(frozen=True)
class Channel:
    """One kind of result and the report attribute that carries it."""

    kind: str
    attribute: str

    def seal(self, data: dict[str, Any]) -> dict[str, Any]:
        """The envelope for ``data`` (plain JSON-able data)."""
        return {"kind": self.kind, "version": WIRE_VERSION, "data": data}

    def open(self, envelope: object) -> dict[str, Any]:
        """The data of an envelope sent on this channel; WireError otherwise."""
        if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), dict):
            raise WireError(f"{self.kind}: not a pytest-veto result envelope")
        if envelope.get("kind") != self.kind:
            raise WireError(f"{self.kind}: an envelope of kind {envelope.get('kind')!r}")
        if envelope.get("version") != WIRE_VERSION:
            raise WireError(
                f"{self.kind}: envelope version {envelope.get('version')!r}, "
                f"this pytest-veto reads version {WIRE_VERSION} (mixed installs?)"
            )
        data: dict[str, Any] = envelope["data"]
        return data


#: a VETO pair's verdict
PAIR = Channel("pair", "veto_result")
#: a Mis-Align item's verdict
ITEM = Channel("misalign_item", "veto_misalign_result")
#: the report's ``lens`` section
LENS = Channel("lens", "veto_lens_result")
#: a control question's answer (``--veto-controls``)
CONTROL = Channel("control", "veto_control_result")
#: one template's exploration (``-m explore``): ``explore.search.Exploration.to_json``
EXPLORE = Channel("explore", "veto_explore_result")
CHANNELS: tuple[Channel, ...] = (PAIR, ITEM, LENS, CONTROL, EXPLORE)
