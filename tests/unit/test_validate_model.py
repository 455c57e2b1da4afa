"""``validate_model``: a ``--model`` name checked at configure time, cheaply (no model is
loaded, no backend library imported, nothing sent)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from importlib.machinery import ModuleSpec

import pytest

from pytest_veto.backends import validate_model


@pytest.mark.parametrize(
    "name",
    [
        "reference/evidence-reader",
        "reference/misfire:0.1",
        "reference/misfire:0.25,seed=3,primed=0.5",
        "hf/smollm2-135m-instruct",
        "hf/some/folder",
        "openai/gpt-4o-mini",
        "gpt-4o-mini",
    ],
)
def test_good_names_pass(name: str) -> None:
    assert validate_model(name) is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "names no model; pass one, e.g. --model=reference/evidence-reader"),
        ("  ", "names no model; pass one, e.g. --model=reference/evidence-reader"),
        ("hf/", "names no model; pass one, e.g. --model=reference/evidence-reader"),
        (
            "reference/bogus",
            "unknown reference model 'bogus' in 'reference/bogus'; choose one of "
            "evidence-reader, misfire, bias, refuser, coin, error, planted, yes, dodger",
        ),
        ("reference/misfire:2", "rate 2.0 must be within [0, 1]"),
        ("reference/misfire", "reference/misfire needs a rate, e.g. misfire:0.1"),
        ("reference/coin:0.5", "reference/coin takes no rate"),
    ],
)
def test_bad_names_say_what_is_wrong(name: str, message: str) -> None:
    assert validate_model(name) == message


def _without(monkeypatch: pytest.MonkeyPatch, *absent: str) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        return None if name in absent else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


@pytest.mark.parametrize(
    ("absent", "needs"),
    [
        (("torch",), "torch"),
        (("transformers",), "transformers"),
        (("torch", "transformers"), "torch and transformers"),
    ],
)
def test_a_local_model_without_torch_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, absent: tuple[str, ...], needs: str
) -> None:
    _without(monkeypatch, *absent)
    assert validate_model("hf/smollm2-135m-instruct") == (
        f"a local model needs {needs}, not installed: pip install 'pytest-veto[local]' "
        "(pip install torch==2.13.0 first, for the CPU build)"
    )
    assert validate_model("reference/coin") is None  # other backends are not affected


def test_an_api_model_without_litellm_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without(monkeypatch, "litellm")
    assert validate_model("openai/gpt-4o-mini") == (
        "an API model goes through litellm, not installed: pip install 'pytest-veto[api]'"
    )


CHECK = """
import sys
from pytest_veto.backends import validate_model
for name in ("hf/some/folder", "openai/gpt-4o-mini", "reference/misfire:0.1"):
    assert validate_model(name) is None, name
print(sorted({"torch", "transformers", "litellm"} & set(sys.modules)))
"""


def test_nothing_heavy_is_imported() -> None:
    """In a fresh interpreter: torch or litellm imported here would cost seconds per run
    (and a worker cannot unload them)."""
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
