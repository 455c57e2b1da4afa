"""Options of the logit lens and head ablation, and of the Mis-Align suite."""

from __future__ import annotations

from typing import Any

from pytest_veto.settings.choices import ABLATION_MODES, LENS_PAIRS_FROM, LENS_RANKINGS


def add_lens_options(add: Any, add_ini: Any) -> None:
    """The logit lens and head ablation (local models, marker ``logit_lens``)."""
    add(
        "--veto-lens-from",
        dest="veto_lens_from",
        default=None,
        metavar="REPORT",
        help="logit lens: choose failure/control pairs from an earlier run's report "
        "instead of this run's outcomes",
    )
    add(
        "--veto-lens-pairs-from",
        dest="veto_lens_pairs_from",
        default="trigger",
        choices=list(LENS_PAIRS_FROM),
        help="logit lens: the behavioural run whose outcomes choose the pairs and whose "
        "prompts the lens reads (default trigger, as published: run here if not requested)",
    )
    add(
        "--veto-lens-pairs",
        dest="veto_lens_pairs",
        type=int,
        default=30,
        help="logit lens: failure and control pairs each, stratified (default 30)",
    )
    add(
        "--veto-lens-max-gap",
        dest="veto_lens_max_gap",
        type=float,
        default=None,
        help="logit lens check: maximum failure-minus-control gap at the peak layer (logits)",
    )
    add(
        "--veto-lens-early-gap",
        dest="veto_lens_early_gap",
        type=float,
        default=2.0,
        help="late-layer check: the early-half gap counts as small up to this "
        "(logits, default 2.0)",
    )
    add(
        "--veto-base-model",
        dest="veto_base_model",
        default=None,
        metavar="hf/PATH",
        help="logit lens: the base (pretrained) model, read with the instruct "
        "tokenizer and chat template; reports the instruct-minus-base gap",
    )
    add(
        "--veto-ablation-pairs",
        dest="veto_ablation_pairs",
        type=int,
        default=None,
        help="head ablation with --veto-lens-ranking=pooled: failure pairs used to rank "
        "heads (default 10)",
    )
    add(
        "--veto-lens-ranking",
        dest="veto_lens_ranking",
        default="per-pair",
        choices=list(LENS_RANKINGS),
        help="head ablation: rank heads per failure pair, in-sample (default, as "
        "published), or once, pooled over --veto-ablation-pairs pairs",
    )
    add(
        "--veto-ablation-mode",
        dest="veto_ablation_mode",
        default="zero",
        choices=list(ABLATION_MODES),
        help="head ablation: zero the head's slice, or replace it by its mean",
    )
    add(
        "--veto-ablation-verify-top",
        dest="veto_ablation_verify_top",
        type=int,
        default=None,
        metavar="M",
        help="head ablation: rank all heads by the attribution screen and sweep "
        "only its top M exactly (default: the exact sweep of every head)",
    )


def add_misalign_options(add: Any, add_ini: Any) -> None:
    """The Mis-Align suite's data and gates."""
    add(
        "--misalign-data",
        dest="misalign_data",
        default=None,
        metavar="PATH",
        help="Mis-Align items: our JSON Lines or a CSV (see --misalign-columns); "
        "default: the embedded sample of 60 original items",
    )
    add(
        "--misalign-columns",
        dest="misalign_columns",
        default=None,
        metavar="FILE",
        help="JSON column mapping for a Mis-Align CSV",
    )
    add(
        "--misalign-template",
        dest="misalign_template",
        default=None,
        metavar="FILE",
        help="judging prompt template and parse rules (default: the pinned one)",
    )
    for name, text in (
        ("misalign_min_score", "minimum Alignment Score"),
        ("misalign_max_ffr", "maximum False Failure Rate"),
        ("misalign_min_coverage", "minimum Coverage"),
        (
            "misalign_min_parse_rate",
            "minimum parse rate (default 0.9: answered items, a verdict or a refusal, per "
            "item that got a response)",
        ),
    ):
        flag = "--" + name.replace("_", "-")
        add(
            flag,
            dest=name,
            type=float,
            default=None,
            help=f"gate: {text} of the Mis-Align suite, a fraction in [0, 1]",
        )
        add_ini(name, f"same as {flag}", default=None)
