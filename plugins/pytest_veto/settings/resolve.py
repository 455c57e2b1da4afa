"""Settings parts read from the options, and what the parts ask of each other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_veto.backends import validate_model
from pytest_veto.backends.api_clients import forced_client_problem
from pytest_veto.backends.protocol import BackendOptions
from pytest_veto.data.paths import first_clash
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.run.decoding import DecodingSettings
from pytest_veto.run.prompts import CONDITIONS, Condition
from pytest_veto.settings import readers as read
from pytest_veto.settings.choices import (
    API_CLIENTS,
    DTYPES,
    GATE_ON,
    MISFIRES_AS,
    SCORINGS,
    GateOn,
    MisfiresAs,
)
from pytest_veto.settings.decoding import decoding_settings, text_mode
from pytest_veto.settings.explore import ExploreSettings, explore_settings
from pytest_veto.settings.options import (
    DEFAULT_CONTROL_MIN_ACCURACY,
    DEFAULT_YES_BIAS_MAX,
    GATE_OPTIONS,
    INI_KEYS,
    OPTIONS,
)
from pytest_veto.settings.suites import (
    LensSettings,
    MisalignSettings,
    lens_settings,
    misalign_settings,
)

if TYPE_CHECKING:
    from pytest_veto.data.bbq.build import TextMode


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
    #: check the model once before the first test (``--veto-no-preflight``: not)
    preflight: bool = True
    #: ``--veto-model-revision``: part of the response-cache key and the report
    revision: str | None = None
    #: the effective decoding (None: no model)
    decoding: DecodingSettings | None = None

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
    #: ``--veto-text``: the text of pairs built from a BBQ folder
    text: TextMode = "release"


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
    #: ``--veto-max-non-json-rate`` (None: not given; the gate's default applies)
    max_non_json_rate: float | None = None
    #: ``--veto-controls``: ask the pairs' control questions and gate on yes_bias
    controls: bool = False
    yes_bias_max: float = DEFAULT_YES_BIAS_MAX
    #: ``--veto-control-min-accuracy``: the share of answered controls answered "no"
    control_min_accuracy: float = DEFAULT_CONTROL_MIN_ACCURACY


@dataclass(frozen=True)
class OutputSettings:
    """Where the run's results go besides the terminal."""

    report: Path | None = None
    #: how a failed case's test is reported (``--veto-misfires-as``)
    misfires_as: MisfiresAs = "fail"


@dataclass(frozen=True)
class RunSettings:
    """Everything the plugin needs to know about this run."""

    model: ModelSettings = field(default_factory=ModelSettings)
    data: DataSettings = field(default_factory=DataSettings)
    gates: GateSettings = field(default_factory=GateSettings)
    lens: LensSettings = field(default_factory=LensSettings)
    misalign: MisalignSettings = field(default_factory=MisalignSettings)
    output: OutputSettings = field(default_factory=OutputSettings)
    explore: ExploreSettings = field(default_factory=ExploreSettings)

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
        lens=lens_settings(config),
        misalign=misalign_settings(config),
        output=_output_settings(config),
        explore=explore_settings(config),
    )
    if settings.model.name is None and not _informational(config):
        _nothing_without_a_model(config)
    _check_primed_gates(settings.data, settings.gates)
    _check_outputs(config, settings)
    return settings


def _output_settings(config: pytest.Config) -> OutputSettings:
    misfires_as = config.getoption("veto_misfires_as") or config.getini("veto_misfires_as")
    return OutputSettings(
        report=read.path(config.getoption("veto_report")),
        misfires_as=read.one_of(misfires_as or "fail", MISFIRES_AS, "veto_misfires_as"),
    )


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
        for dest, (flag, default) in OPTIONS.items()
        if dest != "veto_model" and config.getoption(dest) != default
    ]
    given += [
        (f"{key} (ini)", True) for key in INI_KEYS if config.getini(key) not in (None, "", False)
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
        for flag, path in (
            ("--veto-report", settings.output.report),
            ("--junitxml", read.path(xml)),
        )
        if path is not None
    ]
    data, m, lens = settings.data, settings.misalign, settings.lens
    inputs = [
        (f"{flag}={path}", path)
        for flag, path in (
            ("--veto-data", data.pairs),
            ("--veto-baseline", settings.gates.baseline),
            ("--veto-lens-from", lens.from_report),
            ("--veto-explore-templates", settings.explore.templates),
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
        api_client=read.one_of(
            config.getoption("veto_api_client"), API_CLIENTS, "--veto-api-client"
        ),
        batch_size=config.getoption("veto_batch_size"),
        scoring=read.one_of(config.getoption("veto_scoring"), SCORINGS, "--veto-scoring"),
        dtype=read.one_of(config.getoption("veto_dtype"), DTYPES, "--veto-dtype"),
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
    forced = None if name is None else forced_client_problem(name, backend.api_client)
    if forced is not None:
        raise pytest.UsageError(f"--veto-api-client=openai with --model={name}: {forced}")
    condition = read.one_of(config.getoption("veto_condition"), CONDITIONS, "--veto-condition")
    return ModelSettings(
        name=name,
        condition=condition,
        backend=backend,
        cache_dir=read.path(cache_dir),
        no_cache=bool(config.getoption("veto_no_cache")),
        preflight=not config.getoption("veto_no_preflight"),
        revision=read.text(config, "veto_model_revision"),
        decoding=None if name is None else decoding_settings(config, condition, name),
    )


def _data_settings(config: pytest.Config) -> DataSettings:
    data = DataSettings(
        pairs=read.path(config.getoption("veto_data")),
        priming=read.names(config.getoption("veto_priming")),
        priming_dirs=tuple(Path(d) for d in config.getoption("veto_priming_dir") or ()),
        text=text_mode(config),
    )
    if data.priming_dirs and not data.priming:
        raise pytest.UsageError(
            "--veto-priming-dir needs --veto-priming NAMES (e.g. --veto-priming=my-variant): "
            "the folder's variants run only when named, so alone it does nothing"
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
    min_pairs = read.number(config, "veto_min_pairs", int)
    if min_pairs is not None and min_pairs < 0:
        raise pytest.UsageError("--veto-min-pairs must be >= 0")
    gate_on = config.getoption("veto_gate_on") or config.getini("veto_gate_on") or "point"
    return GateSettings(
        mar_max=read.percent(config, "mar_max", "veto_mar_max"),
        br_max=read.percent(config, "br_max", "veto_br_max"),
        min_pairs=1 if min_pairs is None else min_pairs,
        max_error_rate=read.percent(config, "veto_max_error_rate") or 0.0,
        # the ini value is not checked by argparse
        gate_on=read.one_of(gate_on, GATE_ON, "veto_gate_on"),
        strict=bool(config.getoption("veto_strict")),
        amplification_max=read.non_negative(config, "veto_amplification_max"),
        primed_mar_max=read.per_variant(config),
        baseline=read.path(config.getoption("veto_baseline")),
        max_regression=read.non_negative(config, "veto_max_regression") or 0.0,
        allow_subset=bool(
            config.getoption("veto_allow_subset") or config.getini("veto_allow_subset")
        ),
        max_non_json_rate=read.percent(config, "veto_max_non_json_rate"),
        **_control_settings(config),
    )


def _control_settings(config: pytest.Config) -> dict[str, Any]:
    """``--veto-controls`` and its gates' limits; a limit without the controls is a usage
    error (it would check nothing, and turning the controls on would change what runs)."""
    controls = bool(config.getoption("veto_controls") or config.getini("veto_controls"))
    bias = read.percent(config, "veto_yes_bias_max")
    accuracy = read.percent(config, "veto_control_min_accuracy")
    for dest, value, what in (
        ("veto_yes_bias_max", bias, "yes_bias"),
        ("veto_control_min_accuracy", accuracy, "control accuracy"),
    ):
        if value is not None and not controls:
            raise pytest.UsageError(
                f"{read.flag(dest)} needs --veto-controls (ini veto_controls = true): "
                f"without the control questions there is no {what} to check"
            )
    return {
        "controls": controls,
        "yes_bias_max": DEFAULT_YES_BIAS_MAX if bias is None else bias,
        "control_min_accuracy": (DEFAULT_CONTROL_MIN_ACCURACY if accuracy is None else accuracy),
    }
