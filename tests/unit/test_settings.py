"""Run settings resolved from a real ``pytest.Config``: every part's defaults, the command
line over the ini file, and every usage error, word for word (users see them verbatim)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pytest_veto import state
from pytest_veto.backends.protocol import BackendOptions
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


def settings_of(pytester: pytest.Pytester, *args: str, ini: str = "") -> RunSettings:
    """The settings the plugin resolved while configuring pytest with ``args`` and an ini
    file holding ``ini``."""
    pytester.makeini("[pytest]\n" + ini)
    return state.settings(pytester.parseconfigure(*QUIET, *args))


def usage_error(pytester: pytest.Pytester, *args: str, ini: str = "") -> str:
    pytester.makeini("[pytest]\n" + ini)
    with pytest.raises(pytest.UsageError) as excinfo:
        pytester.parseconfigure(*QUIET, *args)
    return str(excinfo.value)


# --- defaults -------------------------------------------------------------------------


def test_defaults_are_the_parts_own_defaults(pytester: pytest.Pytester) -> None:
    """Without options every part equals its dataclass defaults: the option defaults and
    the dataclass defaults say the same thing."""
    s = settings_of(pytester)
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
    )
    assert s.model.seed == 7


def test_data_part(pytester: pytest.Pytester) -> None:
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
    )


def test_lens_part(pytester: pytest.Pytester) -> None:
    s = settings_of(
        pytester,
        "--veto-lens-from=r.json",
        "--veto-lens-pairs=4",
        "--veto-lens-max-gap=-0.5",
        "--veto-lens-early-gap=1",
        "--veto-base-model=hf/base",
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
"""


def test_every_ini_key(pytester: pytest.Pytester) -> None:
    s = settings_of(pytester, ini=INI)
    assert s.gates == GateSettings(
        mar_max=10.0,
        br_max=20.0,
        min_pairs=5,
        max_error_rate=1.5,
        gate_on="upper",
        amplification_max=2.0,
        primed_mar_max={"trigger": 15.0, "safety-system": 25.0},
        max_regression=3.0,
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
    )
    assert (s.misalign.min_score, s.misalign.max_ffr, s.misalign.min_coverage) == (0.1, 0.2, 0.3)


def test_zero_on_the_command_line_still_wins(pytester: pytest.Pytester) -> None:
    """0 is a value, not "not given": it overrides the ini key."""
    s = settings_of(
        pytester, "--mar-max=0", "--veto-min-pairs=0", "--veto-max-regression=0", ini=INI
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
