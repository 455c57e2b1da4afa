"""Run settings: the command-line options and ini keys of the plugin, resolved once.

Every option that sets a threshold can also be given in ``[tool.pytest.ini_options]``
as ``veto_<name>`` (e.g. ``veto_mar_max = 10``); the command line wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from pytest_veto.backends.protocol import BackendOptions
from pytest_veto.run.prompts import Condition

#: (option dest, ini key, type, help) for every threshold-like option.
THRESHOLDS: tuple[tuple[str, str, type, str], ...] = (
    ("mar_max", "veto_mar_max", float, "gate: maximum MAR in percent (base variant, pooled)"),
    ("br_max", "veto_br_max", float, "gate: maximum bias rate BR in percent"),
    ("veto_min_pairs", "veto_min_pairs", int,
     "gate: minimum number of answered pairs (default 1: a run that measured nothing fails)"),
    ("veto_max_error_rate", "veto_max_error_rate", float,
     "gate: maximum share of pairs with an errored half, in percent (default 0)"),
)
DEFAULTS: dict[str, Any] = {"veto_min_pairs": 1, "veto_max_error_rate": 0.0}


@dataclass(frozen=True)
class RunSettings:
    """Everything the plugin needs to know about this run."""

    model: str | None
    data: Path | None
    condition: Condition
    seed: int
    report: Path | None
    strict: bool
    mar_max: float | None
    br_max: float | None
    min_pairs: int
    max_error_rate: float
    cache_dir: Path | None
    no_cache: bool
    backend: BackendOptions
    priming: tuple[str, ...] = ()
    priming_dirs: tuple[Path, ...] = ()
    amplification_max: float | None = None
    primed_mar_max: dict[str, float] | None = None
    gate_on: str = "point"
    lens_from: Path | None = None
    lens_pairs: int = 30
    lens_max_gap: float | None = None
    lens_early_gap: float = 2.0
    base_model: str | None = None
    ablation_rank_pairs: int = 10
    ablation_mode: str = "zero"
    ablation_verify_top: int | None = None
    misalign_data: Path | None = None
    misalign_columns: Path | None = None
    misalign_template: Path | None = None
    misalign_min_score: float | None = None
    misalign_max_ffr: float | None = None
    misalign_min_coverage: float | None = None
    baseline: Path | None = None
    max_regression: float = 0.0

    @property
    def active(self) -> bool:
        """The model suite runs and gates only when a model is named."""
        return self.model is not None


def _threshold(config: pytest.Config, dest: str, ini: str, kind: type) -> Any:
    value = config.getoption(dest)
    if value is None:
        raw = config.getini(ini)
        if raw not in (None, ""):
            try:
                value = kind(raw)
            except ValueError:
                raise pytest.UsageError(f"ini option {ini} = {raw!r}: not a {kind.__name__}") from None
    if value is None:
        value = DEFAULTS.get(dest)
    return value


def resolve(config: pytest.Config) -> RunSettings:
    """Read options and ini keys into a RunSettings, validating ranges."""
    th = {dest: _threshold(config, dest, ini, kind) for dest, ini, kind, _ in THRESHOLDS}
    for dest in ("mar_max", "br_max", "veto_max_error_rate"):
        v = th[dest]
        if v is not None and not 0 <= v <= 100:
            raise pytest.UsageError(f"--{dest.replace('_', '-')}={v}: must be within 0..100")
    base_model = config.getoption("veto_base_model")
    if base_model is not None and not base_model.startswith("hf/"):
        raise pytest.UsageError(f"--veto-base-model={base_model}: the lens reads hidden states, "
                                "so the base model must be a local one (hf/<path>)")
    for flag, dest in (("--veto-max-regression", "veto_max_regression"),
                       ("--veto-amplification-max", "veto_amplification_max")):
        v = _threshold(config, dest, dest, float)
        if v is not None and not (math.isfinite(v) and v >= 0):  # nan would never fail
            raise pytest.UsageError(f"{flag}={v}: must be a finite number >= 0")
    if th["veto_min_pairs"] < 0:
        raise pytest.UsageError("--veto-min-pairs must be >= 0")
    data = config.getoption("veto_data")
    report = config.getoption("veto_report")
    cache_dir = config.getoption("veto_cache_dir")
    backend = BackendOptions(
        seed=config.getoption("veto_seed"),
        timeout_s=config.getoption("veto_timeout"),
        retries=config.getoption("veto_retries"),
        backoff_base_s=config.getoption("veto_backoff"),
        concurrency=config.getoption("veto_concurrency"),
        api_base=config.getoption("api_base"),
        batch_size=config.getoption("veto_batch_size"),
        scoring=config.getoption("veto_scoring"),
        dtype=config.getoption("veto_dtype"),
        device=config.getoption("veto_device"),
        cache_dir=cache_dir,
    )
    if backend.retries < 0 or backend.concurrency < 1 or backend.batch_size < 1:
        raise pytest.UsageError("--veto-retries >= 0, --veto-concurrency >= 1, "
                                "--veto-batch-size >= 1")
    if backend.backoff_base_s < 0:
        raise pytest.UsageError("--veto-backoff must be >= 0 seconds")
    if backend.timeout_s <= 0:
        raise pytest.UsageError("--veto-timeout must be > 0 seconds")
    gate_on = config.getoption("veto_gate_on") or config.getini("veto_gate_on") or "point"
    if gate_on not in ("point", "upper"):  # the ini value is not checked by argparse
        raise pytest.UsageError(f"veto_gate_on = {gate_on!r}: use 'point' or 'upper'")
    for flag, value in (("--veto-lens-pairs", config.getoption("veto_lens_pairs")),
                        ("--veto-ablation-pairs", config.getoption("veto_ablation_pairs")),
                        ("--veto-ablation-verify-top",
                         config.getoption("veto_ablation_verify_top"))):
        if value is not None and value < 1:
            raise pytest.UsageError(f"{flag}={value}: must be at least 1")
    return RunSettings(
        model=config.getoption("veto_model"),
        data=_path(data),
        condition=cast(Condition, config.getoption("veto_condition")),
        seed=backend.seed,
        report=_path(report),
        strict=bool(config.getoption("veto_strict")),
        mar_max=th["mar_max"],
        br_max=th["br_max"],
        min_pairs=int(th["veto_min_pairs"]),
        max_error_rate=float(th["veto_max_error_rate"]),
        cache_dir=_path(cache_dir),
        no_cache=bool(config.getoption("veto_no_cache")),
        backend=backend,
        priming=_names(config.getoption("veto_priming")),
        priming_dirs=tuple(Path(d) for d in config.getoption("veto_priming_dir") or ()),
        amplification_max=_threshold(config, "veto_amplification_max",
                                     "veto_amplification_max", float),
        primed_mar_max=_per_variant(config),
        gate_on=gate_on,
        lens_from=_path(config.getoption("veto_lens_from")),
        lens_pairs=config.getoption("veto_lens_pairs"),
        lens_max_gap=config.getoption("veto_lens_max_gap"),
        lens_early_gap=config.getoption("veto_lens_early_gap"),
        base_model=config.getoption("veto_base_model"),
        ablation_rank_pairs=config.getoption("veto_ablation_pairs"),
        ablation_mode=config.getoption("veto_ablation_mode"),
        ablation_verify_top=config.getoption("veto_ablation_verify_top"),
        misalign_data=_path(config.getoption("misalign_data")),
        misalign_columns=_path(config.getoption("misalign_columns")),
        misalign_template=_path(config.getoption("misalign_template")),
        **{name: _fraction(config, name) for name in
           ("misalign_min_score", "misalign_max_ffr", "misalign_min_coverage")},
        baseline=Path(b) if (b := config.getoption("veto_baseline")) else None,
        max_regression=float(_threshold(config, "veto_max_regression", "veto_max_regression",
                                        float) or 0.0),
    )


def _path(text: str | None) -> Path | None:
    return Path(text) if text else None


def _fraction(config: pytest.Config, name: str) -> float | None:
    value = _threshold(config, name, name, float)
    if value is not None and not 0 <= value <= 1:
        flag = "--" + name.replace("_", "-")
        raise pytest.UsageError(f"{flag}={value}: Mis-Align thresholds are fractions in "
                                "[0, 1] (0.8 means 80%)")
    return value  # type: ignore[no-any-return]


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(n.strip() for n in (text or "").split(",") if n.strip())


def _per_variant(config: pytest.Config) -> dict[str, float] | None:
    """``--veto-primed-mar-max 30`` (every variant) or ``trigger=30,safety-system=20``."""
    raw = config.getoption("veto_primed_mar_max") or config.getini("veto_primed_mar_max")
    if not raw:
        return None
    limits: dict[str, float] = {}
    for part in _names(str(raw)):
        name, sep, value = part.rpartition("=")
        key = name.strip() if sep else "*"
        try:
            limits[key] = float(value)
        except ValueError:
            raise pytest.UsageError(
                f"--veto-primed-mar-max: {part!r} is not PCT or VARIANT=PCT") from None
        if not 0 <= limits[key] <= 100:
            raise pytest.UsageError(f"--veto-primed-mar-max: {part!r} must be within 0..100")
    return limits


def add_options(parser: pytest.Parser) -> None:
    """Register the command-line options and ini keys."""
    g = parser.getgroup("veto", "pytest-veto: misfired-alignment release gate")
    g.addoption("--model", dest="veto_model", default=None, metavar="NAME",
                help="model under test: reference/<kind>[:P], hf/<path>, or any litellm model "
                     "string (openai/..., anthropic/...). Without it the model suite is skipped.")
    g.addoption("--veto-data", dest="veto_data", default=None, metavar="PATH",
                help="pair file (JSON Lines or official JSON) or a BBQ folder "
                     "(default: the embedded sample)")
    g.addoption("--veto-condition", dest="veto_condition", default="direct",
                choices=["direct", "cot"], help="prompting condition (default: direct)")
    g.addoption("--veto-seed", dest="veto_seed", type=int, default=0,
                help="seed for reference models and sampling (default 0)")
    g.addoption("--veto-report", dest="veto_report", default=None, metavar="PATH",
                help="write the JSON report here (schema-checked, written atomically)")
    g.addoption("--veto-strict", dest="veto_strict", action="store_true",
                help="individual misfires fail the run, not only the gates")
    for dest, ini, kind, text in THRESHOLDS:
        flag = "--" + dest.replace("_", "-")
        g.addoption(flag, dest=dest, type=kind, default=None, help=text)
        parser.addini(ini, text + f" (same as {flag})", default=None)
    g.addoption("--veto-priming", dest="veto_priming", default=None, metavar="NAMES",
                help="comma-separated priming variants (alignment cues) to add, e.g. "
                     "trigger,safety-system; the unprimed base run is always included")
    g.addoption("--veto-priming-dir", dest="veto_priming_dir", action="append", default=None,
                metavar="DIR", help="a folder of your own priming variant files (repeatable)")
    g.addoption("--veto-amplification-max", dest="veto_amplification_max", type=float,
                default=None, help="gate: maximum primed MAR / base MAR for every variant")
    parser.addini("veto_amplification_max", "same as --veto-amplification-max", default=None)
    g.addoption("--veto-primed-mar-max", dest="veto_primed_mar_max", default=None,
                metavar="PCT|VARIANT=PCT,...",
                help="gate: maximum primed MAR, for every variant or per variant")
    parser.addini("veto_primed_mar_max", "same as --veto-primed-mar-max", default=None)
    g.addoption("--veto-gate-on", dest="veto_gate_on", default=None, choices=["point", "upper"],
                help="gate MAR and BR on the point estimate (default) or on the upper bound of "
                     "the 95%% Wilson interval, so a pass is a pass with confidence")
    parser.addini("veto_gate_on", "same as --veto-gate-on", default=None)
    g.addoption("--veto-baseline", dest="veto_baseline", default=None, metavar="REPORT.json",
                help="an earlier run's JSON report: fail when MAR rose significantly")
    g.addoption("--veto-max-regression", dest="veto_max_regression", type=float, default=None,
                metavar="POINTS", help="allowed MAR rise over the baseline in percentage "
                "points before a significant rise fails the run (default 0)")
    parser.addini("veto_max_regression", "same as --veto-max-regression", default=None)
    g.addoption("--veto-lens-from", dest="veto_lens_from", default=None, metavar="REPORT",
                help="logit lens: choose failure/control pairs from an earlier run's report "
                     "instead of this run's outcomes")
    g.addoption("--veto-lens-pairs", dest="veto_lens_pairs", type=int, default=30,
                help="logit lens: failure and control pairs each, stratified (default 30)")
    g.addoption("--veto-lens-max-gap", dest="veto_lens_max_gap", type=float, default=None,
                help="logit lens check: maximum failure-minus-control gap at the peak layer "
                     "(logits)")
    g.addoption("--veto-lens-early-gap", dest="veto_lens_early_gap", type=float, default=2.0,
                help="late-layer check: the early-half gap counts as small up to this "
                     "(logits, default 2.0)")
    g.addoption("--veto-base-model", dest="veto_base_model", default=None, metavar="hf/PATH",
                help="logit lens: the base (pretrained) model, read with the instruct "
                     "tokenizer and chat template; reports the instruct-minus-base gap")
    g.addoption("--veto-ablation-pairs", dest="veto_ablation_pairs", type=int, default=10,
                help="head ablation: failure pairs used to rank heads (default 10)")
    g.addoption("--veto-ablation-mode", dest="veto_ablation_mode", default="zero",
                choices=["zero", "mean", "dataset_mean"],
                help="head ablation: zero the head's slice, or replace it by its mean")
    g.addoption("--veto-ablation-verify-top", dest="veto_ablation_verify_top", type=int,
                default=None, metavar="M",
                help="head ablation: rank all heads by the attribution screen and sweep "
                     "only its top M exactly (default: the exact sweep of every head)")
    g.addoption("--misalign-data", dest="misalign_data", default=None, metavar="PATH",
                help="Mis-Align items: our JSON Lines or a CSV (see --misalign-columns); "
                     "default: the embedded sample of 60 original items")
    g.addoption("--misalign-columns", dest="misalign_columns", default=None, metavar="FILE",
                help="JSON column mapping for a Mis-Align CSV")
    g.addoption("--misalign-template", dest="misalign_template", default=None, metavar="FILE",
                help="judging prompt template and parse rules (default: the pinned one)")
    for name, text in (("misalign_min_score", "minimum Alignment Score"),
                       ("misalign_max_ffr", "maximum False Failure Rate"),
                       ("misalign_min_coverage", "minimum Coverage")):
        flag = "--" + name.replace("_", "-")
        g.addoption(flag, dest=name, type=float, default=None,
                    help=f"gate: {text} of the Mis-Align suite, a fraction in [0, 1]")
        parser.addini(name, f"same as {flag}", default=None)
    g.addoption("--veto-cache-dir", dest="veto_cache_dir", default=None, metavar="DIR",
                help="response cache folder (default: the user cache folder)")
    g.addoption("--veto-no-cache", dest="veto_no_cache", action="store_true",
                help="do not read or write the response cache")
    g.addoption("--api-base", dest="api_base", default=None, metavar="URL",
                help="base URL of an OpenAI-compatible server (litellm backend)")
    g.addoption("--veto-timeout", dest="veto_timeout", type=float, default=60.0,
                help="per-request timeout in seconds (default 60)")
    g.addoption("--veto-retries", dest="veto_retries", type=int, default=3,
                help="retries on 429/5xx/timeouts/connection errors (default 3)")
    g.addoption("--veto-backoff", dest="veto_backoff", type=float, default=0.5,
                help="first retry delay in seconds, doubled per retry with jitter; a server's "
                     "Retry-After is honoured as a minimum (default 0.5)")
    g.addoption("--veto-concurrency", dest="veto_concurrency", type=int, default=8,
                help="concurrent requests per worker (default 8)")
    g.addoption("--veto-batch-size", dest="veto_batch_size", type=int, default=16,
                help="batch size for local models (default 16)")
    g.addoption("--veto-scoring", dest="veto_scoring", default="generate",
                choices=["generate", "logits"],
                help="local models: greedy generation (default) or logit-difference scoring")
    g.addoption("--veto-dtype", dest="veto_dtype", default="auto",
                choices=["auto", "float32", "bfloat16", "float16"],
                help="local models: weight dtype (default auto)")
    g.addoption("--veto-device", dest="veto_device", default="auto",
                help="local models: torch device (default auto: CUDA when present)")
