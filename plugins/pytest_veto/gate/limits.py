"""The gates a run's settings ask for: ``RunSettings`` read into each suite's limits."""

from __future__ import annotations

from pytest_veto.gate.control_gates import ControlLimits
from pytest_veto.gate.explore_gates import ExploreLimits
from pytest_veto.gate.misalign_gates import MisalignLimits
from pytest_veto.gate.veto_gates import VetoLimits
from pytest_veto.settings import RunSettings


def veto_limits(s: RunSettings) -> VetoLimits:
    """The VETO gates the settings ask for (every requested priming variant gets its
    primed gates)."""
    g = s.gates
    return VetoLimits(
        min_pairs=g.min_pairs,
        max_error_rate=g.max_error_rate,
        mar_max=g.mar_max,
        br_max=g.br_max,
        gate_on=g.gate_on,
        strict=g.strict,
        priming=s.data.priming,
        amplification_max=g.amplification_max,
        primed_mar_max=dict(g.primed_mar_max),
        max_regression=g.max_regression,
        allow_subset=g.allow_subset,
        max_non_json_rate=g.max_non_json_rate,
    )


def control_limits(s: RunSettings) -> ControlLimits | None:
    """The control gates, when ``--veto-controls`` asked for the controls."""
    g = s.gates
    if not g.controls:
        return None
    return ControlLimits(g.yes_bias_max, g.max_error_rate, g.allow_subset, g.control_min_accuracy)


def misalign_limits(s: RunSettings) -> MisalignLimits:
    """The Mis-Align gates the settings ask for (the error-rate limit is the VETO one)."""
    m = s.misalign
    return MisalignLimits(
        m.min_score,
        m.max_ffr,
        m.min_coverage,
        s.gates.max_error_rate,
        min_parse_rate=m.min_parse_rate,
        allow_subset=s.gates.allow_subset,
    )


def explore_limits(s: RunSettings) -> ExploreLimits:
    """The exploration gates (the error limit is the VETO one)."""
    return ExploreLimits(
        s.explore.max_misfires,
        s.gates.max_error_rate,
        s.gates.allow_subset,
        requested=s.explore.requested,
    )
