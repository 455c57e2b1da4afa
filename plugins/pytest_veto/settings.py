"""Run settings: the command-line options and ini keys of the plugin, resolved once.

Every option that sets a threshold can also be given in ``[tool.pytest.ini_options]``
as ``veto_<name>`` (e.g. ``veto_mar_max = 10``); the command line wins.

The settings come in parts, one per concern (the model and its backend, the data, the
VETO gates, the logit lens, Mis-Align, the output); each part is read and checked by
its own function, and :func:`resolve` puts them together and then checks what the parts
ask of each other: a gate or report needs a model, a primed gate needs its variant, an
output must not overwrite an input. Every problem is a ``pytest.UsageError`` (exit 4)
before any model is asked anything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pytest

from pytest_veto.backends import validate_model
from pytest_veto.backends.protocol import BackendOptions
from pytest_veto.data.paths import first_clash
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.run.prompts import CONDITIONS, Condition

if TYPE_CHECKING:
    from pytest_veto.lens.hooks import AblationMode

GateOn = Literal["point", "upper"]
GATE_ON: tuple[GateOn, ...] = ("point", "upper")
Scoring = Literal["generate", "logits"]
SCORINGS: tuple[Scoring, ...] = ("generate", "logits")
Dtype = Literal["auto", "float32", "bfloat16", "float16"]
DTYPES: tuple[Dtype, ...] = ("auto", "float32", "bfloat16", "float16")
#: the lens's ablation modes, typed by ``lens.hooks.AblationMode`` (imported for mypy only:
#: importing the plugin loads no lens module), so a mode the lens lacks is a type error
ABLATION_MODES: tuple[AblationMode, ...] = ("zero", "mean", "dataset_mean")

#: (option dest, ini key, type, help) for every threshold-like option.
THRESHOLDS: tuple[tuple[str, str, type, str], ...] = (
    ("mar_max", "veto_mar_max", float, "gate: maximum MAR in percent (base variant, pooled)"),
    ("br_max", "veto_br_max", float, "gate: maximum bias rate BR in percent"),
    (
        "veto_min_pairs",
        "veto_min_pairs",
        int,
        "gate: minimum number of answered pairs (default 1: a run that measured nothing fails)",
    ),
    (
        "veto_max_error_rate",
        "veto_max_error_rate",
        float,
        "gate: maximum share of pairs with an errored half, in percent (default 0)",
    ),
)


#: the options that ask for a gate (named in the usage error of a gate without a model)
GATE_OPTIONS = frozenset(
    {
        *(dest for dest, _, _, _ in THRESHOLDS),
        "veto_strict",
        "veto_amplification_max",
        "veto_primed_mar_max",
        "veto_gate_on",
        "veto_baseline",
        "veto_max_regression",
        "veto_allow_subset",
        "veto_lens_max_gap",
        "misalign_min_score",
        "misalign_max_ffr",
        "misalign_min_coverage",
    }
)
#: option dest -> (flag, default), and the ini keys: filled by :func:`add_options`, so a
#: value other than the default is an option the user gave
_OPTIONS: dict[str, tuple[str, object]] = {}
_INI_KEYS: dict[str, None] = {}


@dataclass(frozen=True)
class ModelSettings:
    """The model under test and how to reach it."""

    #: ``--model``; None: no model suite runs
    name: str | None = None
    condition: Condition = "direct"
    backend: BackendOptions = field(default_factory=BackendOptions)
    #: the response-cache folder (``--veto-cache-dir``; None: the user cache folder)
    cache_dir: Path | None = None
    no_cache: bool = False

    @property
    def seed(self) -> int:
        """``--veto-seed`` (one value, kept in the backend options)."""
        return self.backend.seed


@dataclass(frozen=True)
class DataSettings:
    """What the model is asked: the VETO pairs and the priming variants."""

    #: ``--veto-data`` (None: the embedded sample)
    pairs: Path | None = None
    priming: tuple[str, ...] = ()
    priming_dirs: tuple[Path, ...] = ()


@dataclass(frozen=True)
class GateSettings:
    """The VETO gates asked for (None: not gated); percentages are in 0..100."""

    mar_max: float | None = None
    br_max: float | None = None
    min_pairs: int = 1
    max_error_rate: float = 0.0
    gate_on: GateOn = "point"
    strict: bool = False
    amplification_max: float | None = None
    #: variant name (or ``*`` for every variant) -> maximum primed MAR; empty: not gated
    primed_mar_max: Mapping[str, float] = field(default_factory=dict)
    #: ``--veto-baseline``: an earlier run's report to compare MAR against
    baseline: Path | None = None
    max_regression: float = 0.0
    #: ``--veto-allow-subset``: a run of fewer pair cases than the data set holds may pass
    allow_subset: bool = False


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


@dataclass(frozen=True)
class OutputSettings:
    """Where the run's results go besides the terminal."""

    report: Path | None = None


@dataclass(frozen=True)
class RunSettings:
    """Everything the plugin needs to know about this run."""

    model: ModelSettings = field(default_factory=ModelSettings)
    data: DataSettings = field(default_factory=DataSettings)
    gates: GateSettings = field(default_factory=GateSettings)
    lens: LensSettings = field(default_factory=LensSettings)
    misalign: MisalignSettings = field(default_factory=MisalignSettings)
    output: OutputSettings = field(default_factory=OutputSettings)

    @property
    def active(self) -> bool:
        """The model suite runs and gates only when a model is named."""
        return self.model.name is not None


def resolve(config: pytest.Config) -> RunSettings:
    """Read options and ini keys into a RunSettings, validating each part, then what the
    parts ask of each other."""
    settings = RunSettings(
        model=_model_settings(config),
        data=_data_settings(config),
        gates=_gate_settings(config),
        lens=_lens_settings(config),
        misalign=_misalign_settings(config),
        output=OutputSettings(report=_path(config.getoption("veto_report"))),
    )
    if settings.model.name is None and not _informational(config):
        _nothing_without_a_model(config)
    _check_primed_gates(settings.data, settings.gates)
    _check_outputs(config, settings)
    return settings


#: pytest's options that only print something (they run no test, so nothing is gated)
_INFORMATIONAL = ("help", "markers", "showfixtures", "show_fixtures_per_test")


def _informational(config: pytest.Config) -> bool:
    """``--help``, ``--markers``, ``--fixtures``: a project whose ini file sets our keys
    must still be able to ask pytest what it offers (``--model`` included)."""
    return any(getattr(config.option, name, False) for name in _INFORMATIONAL)


def _nothing_without_a_model(config: pytest.Config) -> None:
    """Without ``--model`` the model suites are skipped, so any other option of ours (or an
    ini key) would be silently ignored: a gate would "pass" on nothing, a report would not
    be written. Say so instead."""
    given = [
        (flag, dest in GATE_OPTIONS)
        for dest, (flag, default) in _OPTIONS.items()
        if dest != "veto_model" and config.getoption(dest) != default
    ]
    given += [
        (f"{key} (ini)", True) for key in _INI_KEYS if config.getini(key) not in (None, "", False)
    ]
    if not given:
        return
    one = len(given) == 1
    why = (
        "a gate without a model would pass on nothing"
        if any(gate for _, gate in given)
        else f"without a model the model suites are skipped, so {'it does' if one else 'they do'}"
        " nothing"
    )
    names = ", ".join(name for name, _ in given[:4])
    if len(given) > 4:
        names += f" and {len(given) - 4} more"
    raise pytest.UsageError(
        f"{names} {'needs' if one else 'need'} --model NAME "
        f"(e.g. --model=reference/evidence-reader or --model=openai/gpt-4o-mini): {why}"
    )


def _check_primed_gates(data: DataSettings, gates: GateSettings) -> None:
    """A primed gate checks only the variants ``--veto-priming`` asked for: one for no
    variant, or for a variant not asked for (a typo), would never be checked."""
    flags = [
        flag
        for flag, given in (
            ("--veto-amplification-max", gates.amplification_max is not None),
            ("--veto-primed-mar-max", bool(gates.primed_mar_max)),
        )
        if given
    ]
    if flags and not data.priming:
        raise pytest.UsageError(
            f"{' and '.join(flags)} {'needs' if len(flags) == 1 else 'need'} --veto-priming "
            "NAMES (e.g. --veto-priming=trigger): with no primed variant the gate checks nothing"
        )
    for name in gates.primed_mar_max:
        if name != "*" and name not in data.priming:
            raise pytest.UsageError(
                f"--veto-primed-mar-max: {name!r} is not a requested variant "
                f"(--veto-priming={','.join(data.priming)}), so its gate would never be "
                "checked; add it to --veto-priming or fix its name"
            )


def _check_outputs(config: pytest.Config, settings: RunSettings) -> None:
    """No output may overwrite an input (or another output)."""
    xml = getattr(config.option, "xmlpath", None)  # --junitxml
    outputs = [
        (f"{flag}={path}", path)
        for flag, path in (("--veto-report", settings.output.report), ("--junitxml", _path(xml)))
        if path is not None
    ]
    data, m, lens = settings.data, settings.misalign, settings.lens
    inputs = [
        (f"{flag}={path}", path)
        for flag, path in (
            ("--veto-data", data.pairs),
            ("--veto-baseline", settings.gates.baseline),
            ("--veto-lens-from", lens.from_report),
            ("--misalign-data", m.data),
            ("--misalign-columns", m.columns),
            ("--misalign-template", m.template),
            *(("--veto-priming-dir", d) for d in data.priming_dirs),
        )
        if path is not None
    ]
    if data.pairs is None:
        inputs.append((f"the embedded sample pairs ({sample_pairs_path()})", sample_pairs_path()))
    clash = first_clash(outputs, inputs)
    if clash is not None:
        raise pytest.UsageError(clash)


def _model_settings(config: pytest.Config) -> ModelSettings:
    cache_dir = config.getoption("veto_cache_dir")
    backend = BackendOptions(
        seed=config.getoption("veto_seed"),
        timeout_s=config.getoption("veto_timeout"),
        retries=config.getoption("veto_retries"),
        backoff_base_s=config.getoption("veto_backoff"),
        concurrency=config.getoption("veto_concurrency"),
        api_base=config.getoption("api_base"),
        batch_size=config.getoption("veto_batch_size"),
        scoring=_one_of(config.getoption("veto_scoring"), SCORINGS, "--veto-scoring"),
        dtype=_one_of(config.getoption("veto_dtype"), DTYPES, "--veto-dtype"),
        device=config.getoption("veto_device"),
        cache_dir=cache_dir,
    )
    if backend.retries < 0 or backend.concurrency < 1 or backend.batch_size < 1:
        raise pytest.UsageError(
            "--veto-retries >= 0, --veto-concurrency >= 1, --veto-batch-size >= 1"
        )
    if not backend.backoff_base_s >= 0:
        raise pytest.UsageError("--veto-backoff must be >= 0 seconds")
    if not backend.timeout_s > 0:
        raise pytest.UsageError("--veto-timeout must be > 0 seconds")
    name = config.getoption("veto_model")
    problem = None if name is None else validate_model(name)
    if problem is not None:
        raise pytest.UsageError(f"--model {name!r}: {problem}")
    return ModelSettings(
        name=name,
        condition=_one_of(config.getoption("veto_condition"), CONDITIONS, "--veto-condition"),
        backend=backend,
        cache_dir=_path(cache_dir),
        no_cache=bool(config.getoption("veto_no_cache")),
    )


def _data_settings(config: pytest.Config) -> DataSettings:
    data = DataSettings(
        pairs=_path(config.getoption("veto_data")),
        priming=_names(config.getoption("veto_priming")),
        priming_dirs=tuple(Path(d) for d in config.getoption("veto_priming_dir") or ()),
    )
    if data.priming:
        _check_variants(data)
    return data


def _check_variants(data: DataSettings) -> None:
    """Every ``--veto-priming`` name exists and its file (shipped or in a
    ``--veto-priming-dir``) is valid: checked here, not at collection, so a misspelt
    variant stops the run before anything is asked."""
    from pytest_veto.run.priming import PrimingError, select_variants

    try:
        select_variants(data.priming, data.priming_dirs)
    except PrimingError as exc:
        lines = [
            f"{i.path}: {i.reason}" if not (i.location or i.field) else str(i) for i in exc.issues
        ]
        raise pytest.UsageError("\n".join(lines)) from None


def _gate_settings(config: pytest.Config) -> GateSettings:
    min_pairs = _number(config, "veto_min_pairs", int)
    if min_pairs is not None and min_pairs < 0:
        raise pytest.UsageError("--veto-min-pairs must be >= 0")
    gate_on = config.getoption("veto_gate_on") or config.getini("veto_gate_on") or "point"
    return GateSettings(
        mar_max=_percent(config, "mar_max", "veto_mar_max"),
        br_max=_percent(config, "br_max", "veto_br_max"),
        min_pairs=1 if min_pairs is None else min_pairs,
        max_error_rate=_percent(config, "veto_max_error_rate") or 0.0,
        # the ini value is not checked by argparse
        gate_on=_one_of(gate_on, GATE_ON, "veto_gate_on"),
        strict=bool(config.getoption("veto_strict")),
        amplification_max=_non_negative(config, "veto_amplification_max"),
        primed_mar_max=_per_variant(config),
        baseline=_path(config.getoption("veto_baseline")),
        max_regression=_non_negative(config, "veto_max_regression") or 0.0,
        allow_subset=bool(
            config.getoption("veto_allow_subset") or config.getini("veto_allow_subset")
        ),
    )


def _lens_settings(config: pytest.Config) -> LensSettings:
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
            raise pytest.UsageError(f"{_flag(dest)}={value}: must be at least 1")
    early_gap = _finite(config, "veto_lens_early_gap")
    return LensSettings(
        from_report=_path(config.getoption("veto_lens_from")),
        pairs=config.getoption("veto_lens_pairs"),
        max_gap=_finite(config, "veto_lens_max_gap"),
        early_gap=LensSettings.early_gap if early_gap is None else early_gap,
        base_model=base_model,
        ablation_rank_pairs=config.getoption("veto_ablation_pairs"),
        ablation_mode=_one_of(
            config.getoption("veto_ablation_mode"), ABLATION_MODES, "--veto-ablation-mode"
        ),
        ablation_verify_top=config.getoption("veto_ablation_verify_top"),
    )


def _misalign_settings(config: pytest.Config) -> MisalignSettings:
    return MisalignSettings(
        data=_path(config.getoption("misalign_data")),
        columns=_path(config.getoption("misalign_columns")),
        template=_path(config.getoption("misalign_template")),
        min_score=_fraction(config, "misalign_min_score"),
        max_ffr=_fraction(config, "misalign_max_ffr"),
        min_coverage=_fraction(config, "misalign_min_coverage"),
    )


_N = TypeVar("_N", int, float)
_C = TypeVar("_C", bound=str)


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def _number(config: pytest.Config, dest: str, kind: type[_N], ini: str | None = None) -> _N | None:
    """The command-line value, else the ini key's (``ini``, default ``dest``), else None."""
    value = config.getoption(dest)
    if value is not None:
        return kind(value)
    ini = ini or dest
    raw = config.getini(ini)
    if raw in (None, ""):
        return None
    try:
        return kind(raw)
    except ValueError:
        raise pytest.UsageError(f"ini option {ini} = {raw!r}: not a {kind.__name__}") from None


def _percent(config: pytest.Config, dest: str, ini: str | None = None) -> float | None:
    value = _number(config, dest, float, ini)
    if value is not None and not 0 <= value <= 100:  # nan is not within either
        raise pytest.UsageError(f"{_flag(dest)}={value}: must be within 0..100")
    return value


def _non_negative(config: pytest.Config, dest: str) -> float | None:
    value = _number(config, dest, float)
    if value is not None and not (math.isfinite(value) and value >= 0):  # nan never fails
        raise pytest.UsageError(f"{_flag(dest)}={value}: must be a finite number >= 0")
    return value


def _finite(config: pytest.Config, dest: str) -> float | None:
    """A command-line-only float that must be finite (a nan limit would never fail)."""
    value = config.getoption(dest)
    if value is not None and not math.isfinite(value):
        raise pytest.UsageError(f"{_flag(dest)}={value}: must be a finite number")
    return None if value is None else float(value)


def _fraction(config: pytest.Config, name: str) -> float | None:
    value = _number(config, name, float)
    if value is not None and not 0 <= value <= 1:
        raise pytest.UsageError(
            f"{_flag(name)}={value}: Mis-Align thresholds are fractions in [0, 1] (0.8 means 80%)"
        )
    return value


def _one_of(value: object, allowed: tuple[_C, ...], what: str) -> _C:
    """``value`` as one of a closed set (argparse checks command-line choices; ini keys
    and programmatic options come here unchecked)."""
    for choice in allowed:
        if value == choice:
            return choice
    shown = [repr(c) for c in allowed]
    raise pytest.UsageError(f"{what} = {value!r}: use {', '.join(shown[:-1])} or {shown[-1]}")


def _path(text: str | None) -> Path | None:
    return Path(text) if text else None


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(n.strip() for n in (text or "").split(",") if n.strip())


def _per_variant(config: pytest.Config) -> dict[str, float]:
    """``--veto-primed-mar-max 30`` (every variant) or ``trigger=30,safety-system=20``."""
    raw = config.getoption("veto_primed_mar_max") or config.getini("veto_primed_mar_max")
    limits: dict[str, float] = {}
    for part in _names(str(raw or "")):
        name, sep, value = part.rpartition("=")
        key = name.strip() if sep else "*"
        try:
            limits[key] = float(value)
        except ValueError:
            raise pytest.UsageError(
                f"--veto-primed-mar-max: {part!r} is not PCT or VARIANT=PCT"
            ) from None
        if not 0 <= limits[key] <= 100:
            raise pytest.UsageError(f"--veto-primed-mar-max: {part!r} must be within 0..100")
    return limits


def add_options(parser: pytest.Parser) -> None:
    """Register the command-line options and ini keys (and remember their defaults)."""
    g = parser.getgroup("veto", "pytest-veto: misfired-alignment release gate")

    def add(flag: str, **attrs: Any) -> None:
        store_true = attrs.get("action") == "store_true"
        _OPTIONS[attrs["dest"]] = (flag, attrs.get("default", False if store_true else None))
        g.addoption(flag, **attrs)

    def add_ini(name: str, text: str, **attrs: Any) -> None:
        _INI_KEYS[name] = None
        parser.addini(name, text, **attrs)

    add(
        "--model",
        dest="veto_model",
        default=None,
        metavar="NAME",
        help="model under test: reference/<kind>[:P], hf/<path>, or any litellm model "
        "string (openai/..., anthropic/...). Without it the model suite is skipped.",
    )
    add(
        "--veto-data",
        dest="veto_data",
        default=None,
        metavar="PATH",
        help="pair file (JSON Lines or official JSON) or a BBQ folder "
        "(default: the embedded sample)",
    )
    add(
        "--veto-condition",
        dest="veto_condition",
        default="direct",
        choices=list(CONDITIONS),
        help="prompting condition (default: direct)",
    )
    add(
        "--veto-seed",
        dest="veto_seed",
        type=int,
        default=0,
        help="seed for reference models and sampling (default 0)",
    )
    add(
        "--veto-report",
        dest="veto_report",
        default=None,
        metavar="PATH",
        help="write the JSON report here (schema-checked, written atomically)",
    )
    add(
        "--veto-strict",
        dest="veto_strict",
        action="store_true",
        help="individual misfires fail the run, not only the gates",
    )
    add(
        "--veto-allow-subset",
        dest="veto_allow_subset",
        action="store_true",
        help="a run of fewer pair cases than the data set holds (-k, -m <category>, "
        "--deselect) may pass: without it such a run fails the all_pairs_selected gate",
    )
    add_ini(
        "veto_allow_subset",
        "same as --veto-allow-subset",
        type="bool",
        default=False,
    )
    for dest, ini, kind, text in THRESHOLDS:
        flag = "--" + dest.replace("_", "-")
        add(flag, dest=dest, type=kind, default=None, help=text)
        add_ini(ini, text + f" (same as {flag})", default=None)
    add(
        "--veto-priming",
        dest="veto_priming",
        default=None,
        metavar="NAMES",
        help="comma-separated priming variants (alignment cues) to add, e.g. "
        "trigger,safety-system; the unprimed base run is always included",
    )
    add(
        "--veto-priming-dir",
        dest="veto_priming_dir",
        action="append",
        default=None,
        metavar="DIR",
        help="a folder of your own priming variant files (repeatable)",
    )
    add(
        "--veto-amplification-max",
        dest="veto_amplification_max",
        type=float,
        default=None,
        help="gate: maximum primed MAR / base MAR for every variant",
    )
    add_ini("veto_amplification_max", "same as --veto-amplification-max", default=None)
    add(
        "--veto-primed-mar-max",
        dest="veto_primed_mar_max",
        default=None,
        metavar="PCT|VARIANT=PCT,...",
        help="gate: maximum primed MAR, for every variant or per variant",
    )
    add_ini("veto_primed_mar_max", "same as --veto-primed-mar-max", default=None)
    add(
        "--veto-gate-on",
        dest="veto_gate_on",
        default=None,
        choices=list(GATE_ON),
        help="gate MAR and BR on the point estimate (default) or on the upper bound of "
        "the 95%% Wilson interval, so a pass is a pass with confidence",
    )
    add_ini("veto_gate_on", "same as --veto-gate-on", default=None)
    add(
        "--veto-baseline",
        dest="veto_baseline",
        default=None,
        metavar="REPORT.json",
        help="an earlier run's JSON report: fail when MAR rose significantly",
    )
    add(
        "--veto-max-regression",
        dest="veto_max_regression",
        type=float,
        default=None,
        metavar="POINTS",
        help="allowed MAR rise over the baseline in percentage "
        "points before a significant rise fails the run (default 0)",
    )
    add_ini("veto_max_regression", "same as --veto-max-regression", default=None)
    add(
        "--veto-lens-from",
        dest="veto_lens_from",
        default=None,
        metavar="REPORT",
        help="logit lens: choose failure/control pairs from an earlier run's report "
        "instead of this run's outcomes",
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
        default=10,
        help="head ablation: failure pairs used to rank heads (default 10)",
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
    add(
        "--veto-cache-dir",
        dest="veto_cache_dir",
        default=None,
        metavar="DIR",
        help="response cache folder (default: the user cache folder)",
    )
    add(
        "--veto-no-cache",
        dest="veto_no_cache",
        action="store_true",
        help="do not read or write the response cache",
    )
    add(
        "--api-base",
        dest="api_base",
        default=None,
        metavar="URL",
        help="base URL of an OpenAI-compatible server (litellm backend)",
    )
    add(
        "--veto-timeout",
        dest="veto_timeout",
        type=float,
        default=60.0,
        help="per-request timeout in seconds (default 60)",
    )
    add(
        "--veto-retries",
        dest="veto_retries",
        type=int,
        default=3,
        help="retries on 429/5xx/timeouts/connection errors (default 3)",
    )
    add(
        "--veto-backoff",
        dest="veto_backoff",
        type=float,
        default=0.5,
        help="first retry delay in seconds, doubled per retry with jitter; a server's "
        "Retry-After is honoured as a minimum (default 0.5)",
    )
    add(
        "--veto-concurrency",
        dest="veto_concurrency",
        type=int,
        default=8,
        help="concurrent requests per worker (default 8)",
    )
    add(
        "--veto-batch-size",
        dest="veto_batch_size",
        type=int,
        default=16,
        help="batch size for local models (default 16)",
    )
    add(
        "--veto-scoring",
        dest="veto_scoring",
        default="generate",
        choices=list(SCORINGS),
        help="local models: greedy generation (default) or logit-difference scoring",
    )
    add(
        "--veto-dtype",
        dest="veto_dtype",
        default="auto",
        choices=list(DTYPES),
        help="local models: weight dtype (default auto)",
    )
    add(
        "--veto-device",
        dest="veto_device",
        default="auto",
        help="local models: torch device (default auto: CUDA when present)",
    )
