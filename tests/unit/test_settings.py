"""Run settings resolved from a real ``pytest.Config``: every part's defaults, the command
line over the ini file, and every usage error, word for word (users see them verbatim).

A model is named unless a test says otherwise: without one, every other option of ours is
itself a usage error (tested at the end)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_veto import settings, state
from pytest_veto.backends.protocol import BackendOptions
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.run.decoding import decoding_for
from pytest_veto.settings import (
    DataSettings,
    GateSettings,
    LensSettings,
    MisalignSettings,
    ModelSettings,
    OutputSettings,
    RunSettings,
    resolve,
)

#: the benchmark plugin warns in every inner config under xdist
QUIET = ("-p", "no:benchmark")
MODEL = "--model=reference/evidence-reader"


def settings_of(
    pytester: pytest.Pytester, *args: str, ini: str = "", model: str | None = MODEL
) -> RunSettings:
    """The settings the plugin resolved while configuring pytest with ``args`` (and
    ``model``) and an ini file holding ``ini``."""
    pytester.makeini("[pytest]\n" + ini)
    model_args = () if model is None else (model,)
    return state.settings(pytester.parseconfigure(*QUIET, *model_args, *args))


def usage_error(
    pytester: pytest.Pytester, *args: str, ini: str = "", model: str | None = MODEL
) -> str:
    pytester.makeini("[pytest]\n" + ini)
    model_args = () if model is None else (model,)
    with pytest.raises(pytest.UsageError) as excinfo:
        pytester.parseconfigure(*QUIET, *model_args, *args)
    return str(excinfo.value)


# --- defaults -------------------------------------------------------------------------


def test_defaults_are_the_parts_own_defaults(pytester: pytest.Pytester) -> None:
    """Without options every part equals its dataclass defaults: the option defaults and
    the dataclass defaults say the same thing."""
    s = settings_of(pytester, model=None)
    assert s == RunSettings()
    assert not s.active
    assert s.model == ModelSettings(
        name=None, condition="direct", backend=BackendOptions(), cache_dir=None, no_cache=False
    )
    assert s.data == DataSettings(pairs=None, priming=(), priming_dirs=())
    assert s.gates == GateSettings(
        mar_max=None,
        br_max=None,
        min_pairs=1,
        max_error_rate=0.0,
        gate_on="point",
        strict=False,
        amplification_max=None,
        primed_mar_max={},
        baseline=None,
        max_regression=0.0,
    )
    assert s.lens == LensSettings(
        from_report=None,
        pairs=30,
        max_gap=None,
        early_gap=2.0,
        base_model=None,
        pairs_from="trigger",
        ranking="per-pair",
        ablation_rank_pairs=10,
        ablation_mode="zero",
        ablation_verify_top=None,
    )
    assert s.misalign == MisalignSettings()
    assert s.output == OutputSettings(report=None)


def test_resolve_is_what_the_plugin_stashed(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    config = pytester.parseconfigure(*QUIET, "--model=reference/evidence-reader", "--mar-max=7")
    assert resolve(config) == state.settings(config)


# --- each part from the command line ---------------------------------------------------


def test_model_part(pytester: pytest.Pytester) -> None:
    s = settings_of(
        pytester,
        "--model=hf/some/model",
        "--veto-condition=cot",
        "--veto-seed=7",
        "--veto-cache-dir=cache",
        "--veto-no-cache",
        "--api-base=http://localhost:1",
        "--veto-timeout=5",
        "--veto-retries=0",
        "--veto-backoff=0",
        "--veto-concurrency=2",
        "--veto-batch-size=4",
        "--veto-scoring=logits",
        "--veto-dtype=bfloat16",
        "--veto-device=cpu",
    )
    assert s.active
    assert s.model == ModelSettings(
        name="hf/some/model",
        condition="cot",
        cache_dir=Path("cache"),
        no_cache=True,
        backend=BackendOptions(
            seed=7,
            timeout_s=5.0,
            retries=0,
            backoff_base_s=0.0,
            concurrency=2,
            api_base="http://localhost:1",
            batch_size=4,
            scoring="logits",
            dtype="bfloat16",
            device="cpu",
            cache_dir="cache",
        ),
        decoding=decoding_for("cot", "hf/some/model"),
    )
    assert s.model.seed == 7


def test_data_part(pytester: pytest.Pytester) -> None:
    pytester.mkdir("a")
    pytester.mkdir("b")
    s = settings_of(
        pytester,
        "--veto-data=pairs.jsonl",
        "--veto-priming= trigger, ,safety-system",
        "--veto-priming-dir=a",
        "--veto-priming-dir=b",
    )
    assert s.data == DataSettings(
        pairs=Path("pairs.jsonl"),
        priming=("trigger", "safety-system"),
        priming_dirs=(Path("a"), Path("b")),
    )


def test_gate_part(pytester: pytest.Pytester) -> None:
    s = settings_of(
        pytester,
        "--mar-max=10",
        "--br-max=0",
        "--veto-min-pairs=0",
        "--veto-max-error-rate=2.5",
        "--veto-gate-on=upper",
        "--veto-strict",
        "--veto-amplification-max=1.5",
        "--veto-primed-mar-max=30,trigger=15",
        "--veto-baseline=old.json",
        "--veto-max-regression=2",
        "--veto-allow-subset",
        "--veto-priming=trigger",
        "--collect-only",  # no controller, so the missing baseline file is not read
    )
    assert s.gates == GateSettings(
        mar_max=10.0,
        br_max=0.0,
        min_pairs=0,
        max_error_rate=2.5,
        gate_on="upper",
        strict=True,
        amplification_max=1.5,
        primed_mar_max={"*": 30.0, "trigger": 15.0},
        baseline=Path("old.json"),
        max_regression=2.0,
        allow_subset=True,
    )


def test_lens_part(pytester: pytest.Pytester) -> None:
    s = settings_of(
        pytester,
        "--veto-lens-from=r.json",
        "--veto-lens-pairs=4",
        "--veto-lens-max-gap=-0.5",
        "--veto-lens-early-gap=1",
        "--veto-base-model=hf/base",
        "--veto-lens-pairs-from=unprimed",
        "--veto-lens-ranking=pooled",
        "--veto-ablation-pairs=2",
        "--veto-ablation-mode=dataset_mean",
        "--veto-ablation-verify-top=3",
    )
    assert s.lens == LensSettings(
        from_report=Path("r.json"),
        pairs=4,
        max_gap=-0.5,
        early_gap=1.0,
        base_model="hf/base",
        pairs_from="unprimed",
        ranking="pooled",
        ablation_rank_pairs=2,
        ablation_mode="dataset_mean",
        ablation_verify_top=3,
    )


def test_misalign_part(pytester: pytest.Pytester) -> None:
    s = settings_of(
        pytester,
        "--misalign-data=items.csv",
        "--misalign-columns=cols.json",
        "--misalign-template=t.json",
        "--misalign-min-score=0.8",
        "--misalign-max-ffr=0",
        "--misalign-min-coverage=1",
    )
    assert s.misalign == MisalignSettings(
        data=Path("items.csv"),
        columns=Path("cols.json"),
        template=Path("t.json"),
        min_score=0.8,
        max_ffr=0.0,
        min_coverage=1.0,
    )


def test_output_part(pytester: pytest.Pytester) -> None:
    assert settings_of(pytester, "--veto-report=out/r.json").output == OutputSettings(
        report=Path("out/r.json")
    )


# --- ini keys, and the command line over them ------------------------------------------

INI = """\
veto_mar_max = 10
veto_br_max = 20
veto_min_pairs = 5
veto_max_error_rate = 1.5
veto_gate_on = upper
veto_amplification_max = 2
veto_primed_mar_max = trigger=15,safety-system=25
veto_max_regression = 3
misalign_min_score = 0.5
misalign_max_ffr = 0.25
misalign_min_coverage = 0.75
veto_allow_subset = true
"""
#: the variants INI's primed gates name (a primed gate needs its variant requested)
PRIMING = "--veto-priming=trigger,safety-system"


def test_every_ini_key(pytester: pytest.Pytester) -> None:
    s = settings_of(pytester, PRIMING, ini=INI)
    assert s.gates == GateSettings(
        mar_max=10.0,
        br_max=20.0,
        min_pairs=5,
        max_error_rate=1.5,
        gate_on="upper",
        amplification_max=2.0,
        primed_mar_max={"trigger": 15.0, "safety-system": 25.0},
        max_regression=3.0,
        allow_subset=True,
    )
    assert (s.misalign.min_score, s.misalign.max_ffr, s.misalign.min_coverage) == (0.5, 0.25, 0.75)


def test_the_command_line_wins_over_the_ini_file(pytester: pytest.Pytester) -> None:
    s = settings_of(
        pytester,
        "--mar-max=1",
        "--br-max=2",
        "--veto-min-pairs=3",
        "--veto-max-error-rate=4",
        "--veto-gate-on=point",
        "--veto-amplification-max=5",
        "--veto-primed-mar-max=6",
        "--veto-max-regression=7",
        "--misalign-min-score=0.1",
        "--misalign-max-ffr=0.2",
        "--misalign-min-coverage=0.3",
        PRIMING,
        ini=INI,
    )
    assert s.gates == GateSettings(
        mar_max=1.0,
        br_max=2.0,
        min_pairs=3,
        max_error_rate=4.0,
        gate_on="point",
        amplification_max=5.0,
        primed_mar_max={"*": 6.0},
        max_regression=7.0,
        allow_subset=True,  # a flag: the command line can only turn it on
    )
    assert (s.misalign.min_score, s.misalign.max_ffr, s.misalign.min_coverage) == (0.1, 0.2, 0.3)


def test_zero_on_the_command_line_still_wins(pytester: pytest.Pytester) -> None:
    """0 is a value, not "not given": it overrides the ini key."""
    s = settings_of(
        pytester, "--mar-max=0", "--veto-min-pairs=0", "--veto-max-regression=0", PRIMING, ini=INI
    )
    assert (s.gates.mar_max, s.gates.min_pairs, s.gates.max_regression) == (0.0, 0, 0.0)


# --- usage errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        # percentages
        (["--mar-max=150"], "", "--mar-max=150.0: must be within 0..100"),
        (["--br-max=nan"], "", "--br-max=nan: must be within 0..100"),
        (["--veto-max-error-rate=-1"], "", "--veto-max-error-rate=-1.0: must be within 0..100"),
        ([], "veto_mar_max = nan", "--mar-max=nan: must be within 0..100"),
        ([], "veto_br_max = 101", "--br-max=101.0: must be within 0..100"),
        ([], "veto_mar_max = ten", "ini option veto_mar_max = 'ten': not a float"),
        # counts
        (["--veto-min-pairs=-1"], "", "--veto-min-pairs must be >= 0"),
        ([], "veto_min_pairs = -2", "--veto-min-pairs must be >= 0"),
        ([], "veto_min_pairs = 1.5", "ini option veto_min_pairs = '1.5': not a int"),
        # non-negative finite limits
        (
            ["--veto-max-regression=nan"],
            "",
            "--veto-max-regression=nan: must be a finite number >= 0",
        ),
        (
            ["--veto-amplification-max=-1"],
            "",
            "--veto-amplification-max=-1.0: must be a finite number >= 0",
        ),
        (
            [],
            "veto_amplification_max = inf",
            "--veto-amplification-max=inf: must be a finite number >= 0",
        ),
        ([], "veto_max_regression = lots", "ini option veto_max_regression = 'lots': not a float"),
        # per-variant primed limits
        (
            ["--veto-primed-mar-max=trigger=x"],
            "",
            "--veto-primed-mar-max: 'trigger=x' is not PCT or VARIANT=PCT",
        ),
        (["--veto-primed-mar-max=101"], "", "--veto-primed-mar-max: '101' must be within 0..100"),
        (
            [],
            "veto_primed_mar_max = trigger=nan",
            "--veto-primed-mar-max: 'trigger=nan' must be within 0..100",
        ),
        # closed sets the ini file can break
        ([], "veto_gate_on = sideways", "veto_gate_on = 'sideways': use 'point' or 'upper'"),
        ([], "veto_gate_on = uper", "veto_gate_on = 'uper': use 'point' or 'upper'"),
        # the backend
        (
            ["--veto-retries=-1"],
            "",
            "--veto-retries >= 0, --veto-concurrency >= 1, --veto-batch-size >= 1",
        ),
        (
            ["--veto-concurrency=0"],
            "",
            "--veto-retries >= 0, --veto-concurrency >= 1, --veto-batch-size >= 1",
        ),
        (
            ["--veto-batch-size=0"],
            "",
            "--veto-retries >= 0, --veto-concurrency >= 1, --veto-batch-size >= 1",
        ),
        (["--veto-backoff=-0.5"], "", "--veto-backoff must be >= 0 seconds"),
        (["--veto-backoff=nan"], "", "--veto-backoff must be >= 0 seconds"),
        (["--veto-timeout=0"], "", "--veto-timeout must be > 0 seconds"),
        (["--veto-timeout=nan"], "", "--veto-timeout must be > 0 seconds"),
        # the lens
        (
            ["--veto-base-model=openai/gpt-4o-mini"],
            "",
            "--veto-base-model=openai/gpt-4o-mini: the lens reads hidden states, so the base model "
            "must be a local one (hf/<path>)",
        ),
        (["--veto-lens-pairs=0"], "", "--veto-lens-pairs=0: must be at least 1"),
        (["--veto-ablation-pairs=-3"], "", "--veto-ablation-pairs=-3: must be at least 1"),
        (
            ["--veto-ablation-pairs=5"],
            "",
            "--veto-ablation-pairs=5 sets the pooled ranking's pairs, but heads are ranked "
            "per failure pair (every failure pair, as published); pass "
            "--veto-lens-ranking=pooled to rank them once on that many pairs",
        ),
        (["--veto-ablation-verify-top=0"], "", "--veto-ablation-verify-top=0: must be at least 1"),
        (["--veto-lens-max-gap=nan"], "", "--veto-lens-max-gap=nan: must be a finite number"),
        (["--veto-lens-early-gap=inf"], "", "--veto-lens-early-gap=inf: must be a finite number"),
        # Mis-Align fractions
        (
            ["--misalign-min-score=1.5"],
            "",
            "--misalign-min-score=1.5: Mis-Align thresholds are fractions in [0, 1] "
            "(0.8 means 80%)",
        ),
        (
            ["--misalign-min-coverage=80"],
            "",
            "--misalign-min-coverage=80.0: Mis-Align thresholds are fractions in [0, 1] "
            "(0.8 means 80%)",
        ),
        (
            [],
            "misalign_max_ffr = nan",
            "--misalign-max-ffr=nan: Mis-Align thresholds are fractions in [0, 1] (0.8 means 80%)",
        ),
        ([], "misalign_min_score = most", "ini option misalign_min_score = 'most': not a float"),
    ],
)
def test_usage_errors(pytester: pytest.Pytester, args: list[str], ini: str, message: str) -> None:
    assert usage_error(pytester, *args, ini=ini + "\n") == message


@pytest.mark.parametrize(
    ("dest", "value", "message"),
    [
        ("veto_condition", "sideways", "--veto-condition = 'sideways': use 'direct' or 'cot'"),
        ("veto_scoring", "probs", "--veto-scoring = 'probs': use 'generate' or 'logits'"),
        (
            "veto_dtype",
            "float8",
            "--veto-dtype = 'float8': use 'auto', 'float32', 'bfloat16' or 'float16'",
        ),
        (
            "veto_ablation_mode",
            "one",
            "--veto-ablation-mode = 'one': use 'zero', 'mean' or 'dataset_mean'",
        ),
        (
            "veto_lens_ranking",
            "mean",
            "--veto-lens-ranking = 'mean': use 'per-pair' or 'pooled'",
        ),
        (
            "veto_lens_pairs_from",
            "primed",
            "--veto-lens-pairs-from = 'primed': use 'trigger' or 'unprimed'",
        ),
        ("veto_gate_on", "both", "veto_gate_on = 'both': use 'point' or 'upper'"),
    ],
)
def test_closed_sets_set_around_argparse(
    pytester: pytest.Pytester, dest: str, value: str, message: str
) -> None:
    """argparse checks command-line choices; a value set another way (a plugin writing
    ``config.option``) is checked by resolve all the same."""
    pytester.makeini("[pytest]\n")
    config = pytester.parseconfigure(*QUIET)
    setattr(config.option, dest, value)
    with pytest.raises(pytest.UsageError) as excinfo:
        resolve(config)
    assert str(excinfo.value) == message


def test_an_unknown_choice_on_the_command_line_is_argparse_s_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n")
    with pytest.raises(pytest.UsageError, match="invalid choice: 'sideways'"):
        pytester.parseconfigure(*QUIET, "--veto-gate-on=sideways")


def test_parts_are_frozen() -> None:
    s = RunSettings()
    with pytest.raises(AttributeError):
        s.gates.mar_max = 5.0  # type: ignore[misc]
    assert replace(s, gates=replace(s.gates, mar_max=5.0)).gates.mar_max == 5.0


# --- what the parts ask of each other ------------------------------------------------------

NEEDS_MODEL = "(e.g. --model=reference/evidence-reader or --model=openai/gpt-4o-mini)"
A_GATE = f"needs --model NAME {NEEDS_MODEL}: a gate without a model would pass on nothing"


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (["--mar-max=5"], "", f"--mar-max {A_GATE}"),
        ([], "veto_mar_max = 5", f"veto_mar_max (ini) {A_GATE}"),
        ([], "veto_allow_subset = true", f"veto_allow_subset (ini) {A_GATE}"),
        (["--veto-strict"], "", f"--veto-strict {A_GATE}"),
        (["--veto-allow-subset"], "", f"--veto-allow-subset {A_GATE}"),
        (["--misalign-min-score=0.5"], "", f"--misalign-min-score {A_GATE}"),
        (
            ["--mar-max=5", "--veto-report=r.json"],
            "",
            f"--veto-report, --mar-max need --model NAME {NEEDS_MODEL}: a gate without a "
            "model would pass on nothing",
        ),
        (
            ["--veto-report=r.json"],
            "",
            f"--veto-report needs --model NAME {NEEDS_MODEL}: without a model the model "
            "suites are skipped, so it does nothing",
        ),
        (
            ["--veto-data=p.jsonl", "--veto-seed=3"],
            "",
            f"--veto-data, --veto-seed need --model NAME {NEEDS_MODEL}: without a model the "
            "model suites are skipped, so they do nothing",
        ),
        (
            ["--mar-max=1", "--br-max=1", "--veto-strict", "--veto-lens-pairs=3"],
            "veto_gate_on = upper",
            f"--veto-strict, --mar-max, --br-max, --veto-lens-pairs and 1 more need --model "
            f"NAME {NEEDS_MODEL}: a gate without a model would pass on nothing",
        ),
    ],
)
def test_an_option_without_a_model_is_a_usage_error(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    """Without --model the model suites are skipped: a gate would pass on nothing, a
    report would silently not be written."""
    assert usage_error(pytester, *args, ini=ini + "\n", model=None) == message


@pytest.mark.parametrize("flag", ["--help", "--markers", "--fixtures", "--fixtures-per-test"])
def test_asking_pytest_what_it_offers_needs_no_model(pytester: pytest.Pytester, flag: str) -> None:
    """A project whose ini file sets a gate must still be able to run ``pytest --help``
    (which is how it finds --model): only printing, nothing is gated."""
    s = settings_of(pytester, flag, ini="veto_mar_max = 5\n", model=None)
    assert s.gates.mar_max == 5.0 and not s.active


def test_every_option_is_checked_without_a_model(pytester: pytest.Pytester) -> None:
    """Every option and ini key of the plugin is known to the no-model check, with the
    default argparse gives it (a new option registered around ``add`` would escape)."""
    pytester.makeini("[pytest]\n")
    config = pytester.parseconfigure(*QUIET)
    group = config._parser.getgroup("veto")
    registered = {opt.dest for opt in group.options}
    assert registered == settings.options.OPTIONS.keys()
    for dest in registered:  # nothing given: every value is the recorded default
        assert config.getoption(dest) == settings.options.OPTIONS[dest][1], dest
    ini_keys = {k for k in config._parser._inidict if k.startswith(("veto_", "misalign_"))}
    assert ini_keys == set(settings.options.INI_KEYS)
    assert registered >= settings.GATE_OPTIONS


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            "--model=",
            "--model '': names no model; pass one, e.g. --model=reference/evidence-reader",
        ),
        (
            "--model=reference/bogus",
            "--model 'reference/bogus': unknown reference model 'bogus' in 'reference/bogus'; "
            "choose one of evidence-reader, misfire, bias, refuser, coin, error, planted, "
            "yes, dodger",
        ),
        (
            "--model=reference/misfire:2",
            "--model 'reference/misfire:2': rate 2.0 must be within [0, 1]",
        ),
        (
            "--model=reference/misfire",
            "--model 'reference/misfire': reference/misfire needs a rate, e.g. misfire:0.1",
        ),
        (
            "--model=hf/",
            "--model 'hf/': names no model; pass one, e.g. --model=reference/evidence-reader",
        ),
    ],
)
def test_an_invalid_model_is_a_usage_error(
    pytester: pytest.Pytester, model: str, message: str
) -> None:
    assert usage_error(pytester, model=model) == message


def test_a_local_model_without_torch_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """torch is installed here: its absence is simulated where the check looks for it."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    for option in ("--model=hf/smollm2-135m-instruct", "--veto-base-model=hf/base"):
        flag, _, name = option.partition("=")
        assert usage_error(pytester, option) == (
            f"{flag} {name!r}: a local model needs torch, not installed: pip install "
            "'pytest-veto[local]' (pip install torch==2.13.0 first, for the CPU build)"
        )


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (
            ["--veto-priming=triger"],
            "",
            "--veto-priming: unknown variant 'triger'; available: bias-warning, "
            "safety-system, trigger",
        ),
        (
            ["--veto-priming=trigger", "--veto-primed-mar-max=triger=5"],
            "",
            "--veto-primed-mar-max: 'triger' is not a requested variant "
            "(--veto-priming=trigger), so its gate would never be checked; add it to "
            "--veto-priming or fix its name",
        ),
        (
            ["--veto-priming=trigger"],
            "veto_primed_mar_max = safety-system=5",
            "--veto-primed-mar-max: 'safety-system' is not a requested variant "
            "(--veto-priming=trigger), so its gate would never be checked; add it to "
            "--veto-priming or fix its name",
        ),
        (
            ["--veto-primed-mar-max=trigger=5"],
            "",
            "--veto-primed-mar-max needs --veto-priming NAMES (e.g. --veto-priming=trigger): "
            "with no primed variant the gate checks nothing",
        ),
        (
            ["--veto-primed-mar-max=5", "--veto-amplification-max=2"],
            "",
            "--veto-amplification-max and --veto-primed-mar-max need --veto-priming NAMES "
            "(e.g. --veto-priming=trigger): with no primed variant the gate checks nothing",
        ),
        (
            [],
            "veto_amplification_max = 2",
            "--veto-amplification-max needs --veto-priming NAMES (e.g. "
            "--veto-priming=trigger): with no primed variant the gate checks nothing",
        ),
        (
            ["--veto-priming=trigger", "--veto-priming-dir=nowhere"],
            "",
            "nowhere: priming folder not found",
        ),
    ],
)
def test_priming_usage_errors(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    assert usage_error(pytester, *args, ini=ini + "\n") == message


def test_primed_gates_for_requested_variants_pass(pytester: pytest.Pytester) -> None:
    s = settings_of(
        pytester,
        "--veto-priming=trigger,safety-system",
        "--veto-primed-mar-max=20,trigger=10",
        "--veto-amplification-max=2",
    )
    assert s.gates.primed_mar_max == {"*": 20.0, "trigger": 10.0}


OVERWRITES = "writing it would overwrite the input; write it to another file"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--veto-data=p.jsonl", "--veto-report=p.jsonl"],
            f"--veto-report=p.jsonl is also --veto-data=p.jsonl: {OVERWRITES}",
        ),
        (
            ["--veto-data=p.jsonl", "--veto-report=sub/../p.jsonl"],
            f"--veto-report=sub/../p.jsonl is also --veto-data=p.jsonl: {OVERWRITES}",
        ),
        (
            ["--veto-report=r.xml", "--junitxml=r.xml"],
            "--junitxml=r.xml is also --veto-report=r.xml: one would overwrite the other; "
            "give each its own file",
        ),
        (
            ["--veto-baseline=old.json", "--veto-report=old.json", "--collect-only"],
            f"--veto-report=old.json is also --veto-baseline=old.json: {OVERWRITES}",
        ),
        (
            ["--misalign-data=items.jsonl", "--junitxml=items.jsonl"],
            f"--junitxml=items.jsonl is also --misalign-data=items.jsonl: {OVERWRITES}",
        ),
    ],
)
def test_an_output_over_an_input_is_a_usage_error(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    assert usage_error(pytester, *args) == message


def test_an_output_over_the_embedded_sample_is_a_usage_error(pytester: pytest.Pytester) -> None:
    sample = sample_pairs_path()
    assert usage_error(pytester, f"--veto-report={sample}") == (
        f"--veto-report={sample} is also the embedded sample pairs ({sample}): {OVERWRITES}"
    )


def test_a_hard_link_to_an_input_is_the_input(pytester: pytest.Pytester) -> None:
    (pytester.path / "p.jsonl").write_text("{}\n", encoding="utf-8")
    os.link(pytester.path / "p.jsonl", pytester.path / "q.jsonl")
    assert usage_error(pytester, "--veto-data=p.jsonl", "--veto-report=q.jsonl") == (
        f"--veto-report=q.jsonl is also --veto-data=p.jsonl: {OVERWRITES}"
    )


def test_outputs_beside_the_inputs_are_fine(pytester: pytest.Pytester) -> None:
    s = settings_of(pytester, "--veto-data=p.jsonl", "--veto-report=r.json", "--junitxml=j.xml")
    assert s.output.report == Path("r.json")
