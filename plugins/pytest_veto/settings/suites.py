"""The suite parts of the settings: the logit lens and head ablation, and Mis-Align
Bench (each part read from its options, every problem a usage error)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_veto.backends import validate_model
from pytest_veto.settings import readers as read
from pytest_veto.settings.choices import (
    ABLATION_MODES,
    LENS_PAIRS_FROM,
    LENS_RANKINGS,
    LensPairsFrom,
)

if TYPE_CHECKING:
    from pytest_veto.lens.hooks import AblationMode
    from pytest_veto.lens.ranking import Ranking


@dataclass(frozen=True)
class LensSettings:
    """The logit lens and head ablation (local models only)."""

    #: ``--veto-lens-from``: take failure/control pairs from this report
    from_report: Path | None = None
    pairs: int = 30
    #: ``--veto-lens-max-gap``: the lens gap check's limit (None: not checked)
    max_gap: float | None = None
    early_gap: float = 2.0
    base_model: str | None = None
    #: ``--veto-lens-pairs-from``: the run whose outcomes and prompts the lens uses
    pairs_from: LensPairsFrom = "trigger"
    #: ``--veto-lens-ranking``: per failure pair (published) or pooled
    ranking: Ranking = "per-pair"
    #: ``--veto-ablation-pairs``: the pooled ranking's pairs
    ablation_rank_pairs: int = 10
    ablation_mode: AblationMode = "zero"
    ablation_verify_top: int | None = None


@dataclass(frozen=True)
class MisalignSettings:
    """The Mis-Align suite: its items and its gates (fractions in [0, 1]; None: not gated)."""

    data: Path | None = None
    columns: Path | None = None
    template: Path | None = None
    min_score: float | None = None
    max_ffr: float | None = None
    min_coverage: float | None = None
    #: None: the default (``gate.misalign_gates.DEFAULT_MIN_PARSE_RATE``)
    min_parse_rate: float | None = None


def lens_settings(config: pytest.Config) -> LensSettings:
    base_model = config.getoption("veto_base_model")
    if base_model is not None and not base_model.startswith("hf/"):
        raise pytest.UsageError(
            f"--veto-base-model={base_model}: the lens reads hidden states, "
            "so the base model must be a local one (hf/<path>)"
        )
    problem = None if base_model is None else validate_model(base_model)
    if problem is not None:
        raise pytest.UsageError(f"--veto-base-model {base_model!r}: {problem}")
    for dest in ("veto_lens_pairs", "veto_ablation_pairs", "veto_ablation_verify_top"):
        value = config.getoption(dest)
        if value is not None and value < 1:
            raise pytest.UsageError(f"{read.flag(dest)}={value}: must be at least 1")
    early_gap = read.finite(config, "veto_lens_early_gap")
    ranking = read.one_of(
        config.getoption("veto_lens_ranking"), LENS_RANKINGS, "--veto-lens-ranking"
    )
    rank_pairs = config.getoption("veto_ablation_pairs")
    if rank_pairs is not None and ranking == "per-pair":
        raise pytest.UsageError(
            f"--veto-ablation-pairs={rank_pairs} sets the pooled ranking's pairs, but heads "
            "are ranked per failure pair (every failure pair, as published); pass "
            "--veto-lens-ranking=pooled to rank them once on that many pairs"
        )
    return LensSettings(
        from_report=read.path(config.getoption("veto_lens_from")),
        pairs=config.getoption("veto_lens_pairs"),
        max_gap=read.finite(config, "veto_lens_max_gap"),
        early_gap=LensSettings.early_gap if early_gap is None else early_gap,
        base_model=base_model,
        pairs_from=read.one_of(
            config.getoption("veto_lens_pairs_from"), LENS_PAIRS_FROM, "--veto-lens-pairs-from"
        ),
        ranking=ranking,
        ablation_rank_pairs=LensSettings.ablation_rank_pairs if rank_pairs is None else rank_pairs,
        ablation_mode=read.one_of(
            config.getoption("veto_ablation_mode"), ABLATION_MODES, "--veto-ablation-mode"
        ),
        ablation_verify_top=config.getoption("veto_ablation_verify_top"),
    )


def misalign_settings(config: pytest.Config) -> MisalignSettings:
    return MisalignSettings(
        data=read.path(config.getoption("misalign_data")),
        columns=read.path(config.getoption("misalign_columns")),
        template=read.path(config.getoption("misalign_template")),
        min_score=read.fraction(config, "misalign_min_score"),
        max_ffr=read.fraction(config, "misalign_max_ffr"),
        min_coverage=read.fraction(config, "misalign_min_coverage"),
        min_parse_rate=read.fraction(config, "misalign_min_parse_rate"),
    )
