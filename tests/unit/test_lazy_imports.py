"""Importing the plugin (every pytest run) or the lens / Mis-Align packages stays cheap.

Each check runs in a fresh interpreter: this test process has imported most modules
already, so its ``sys.modules`` says nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

#: Heavy third-party packages that only a run that needs them may import.
HEAVY = ("numpy", "torch", "transformers", "litellm")


def _modules_after(module: str) -> list[str]:
    """The ``sys.modules`` keys of a fresh interpreter after ``import <module>``."""
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    modules: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return modules


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY]


def _submodules(modules: list[str], package: str) -> list[str]:
    return [m for m in modules if m.startswith(package + ".")]


def test_plugin_import_loads_no_lens_misalign_or_heavy_library() -> None:
    modules = _modules_after("pytest_veto.plugin")
    assert _submodules(modules, "pytest_veto.lens") == []
    assert _submodules(modules, "pytest_veto.misalign") == []
    assert _heavy(modules) == []


@pytest.mark.parametrize("package", ["pytest_veto.lens", "pytest_veto.misalign"])
def test_package_import_loads_no_submodule(package: str) -> None:
    modules = _modules_after(package)
    assert _submodules(modules, package) == []
    assert _heavy(modules) == []
