"""Mis-Align Bench (SaVaCu, veto-spec section 7): items, judging, metrics, Stage I tools.

The gate's data flow, each step a plain function:
``load_items`` -> ``requests_for(item, template)`` -> backend -> ``template.verdict`` ->
``evaluate`` (Coverage, FFR, Alignment Score; overall, per dimension, per domain).
Stage I data tools: ``fingerprints`` + ``dedup`` (SimHash), ``label_prompts``,
``pair_prompts``; on the command line ``pytest-veto misalign {dedup,label,pair}``.

Importing this package is cheap: numpy and jsonschema load only when used.
"""

from __future__ import annotations

from pytest_veto.misalign.columns import ColumnMap, load_column_map
from pytest_veto.misalign.domains import DIMENSIONS, Dimension, load_vocabulary
from pytest_veto.misalign.items import (
    MisalignItem,
    PromptRecord,
    load_items,
    load_prompts,
    sample_items_path,
)
from pytest_veto.misalign.metrics import Counts, Evaluation, Scores, evaluate, score
from pytest_veto.misalign.neardup import DedupResult, dedup
from pytest_veto.misalign.prompting import Template, Verdict, load_template, requests_for
from pytest_veto.misalign.schema import MisalignDataError
from pytest_veto.misalign.simhash import fingerprint, fingerprints

__all__ = [
    "DIMENSIONS",
    "ColumnMap",
    "Counts",
    "DedupResult",
    "Dimension",
    "Evaluation",
    "MisalignDataError",
    "MisalignItem",
    "PromptRecord",
    "Scores",
    "Template",
    "Verdict",
    "dedup",
    "evaluate",
    "fingerprint",
    "fingerprints",
    "load_column_map",
    "load_items",
    "load_prompts",
    "load_template",
    "load_vocabulary",
    "requests_for",
    "sample_items_path",
    "score",
]
