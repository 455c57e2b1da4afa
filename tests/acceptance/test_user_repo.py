"""pytest-veto from a user's own repository: ``pytest --model=X`` runs the shipped suites.

The runs start in empty temporary folders outside the checkout. Most use this
environment's install of the package (the checkout's ``plugins``); one builds the wheel,
lists what it ships and runs the gate from it alone (installed with ``pip --target``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

import pytest_veto
from pytest_veto.plugin import SUITE_DIR

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_PARENT = Path(pytest_veto.__file__).resolve().parents[1]
TIMEOUT = 300
UNRELATED_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:anyio")
GATE = ("--model=reference/misfire:0.1", "-n", "2", "--junitxml=j.xml")


def pytest_in(
    folder: Path, *args: str, pythonpath: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m pytest ARGS`` started in ``folder``, the package found on ``pythonpath``
    (default: where this process imported it from)."""
    env = dict(os.environ, PYTHONPATH=pythonpath or str(PACKAGE_PARENT))
    return subprocess.run(
        [sys.executable, "-m", "pytest", *UNRELATED_PLUGINS, *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def junit_cases(path: Path) -> list[str]:
    return [case.get("name", "") for case in ET.parse(path).getroot().iter("testcase")]


def assert_both_suites_ran(folder: Path) -> None:
    names = junit_cases(folder / "j.xml")
    assert sum(n.startswith("test_pair[") for n in names) == 64, names[:5]
    assert sum(n.startswith("test_misalign_item[") for n in names) == 60, names[:5]
    assert "veto_gate[mar_max]" in names


@pytest.mark.parametrize(("mar_max", "code"), [("15", 0), ("5", 1)])
def test_the_gate_runs_from_an_empty_folder(tmp_path: Path, mar_max: str, code: int) -> None:
    """MAR 9.38 on the sample: under 15 the run passes, over 5 it fails."""
    run = pytest_in(tmp_path, *GATE, f"--mar-max={mar_max}")
    out = run.stdout + run.stderr
    assert run.returncode == code, out
    assert_both_suites_ran(tmp_path)
    verdict = "PASS" if code == 0 else "FAIL"
    assert f"{verdict}  veto_gate[mar_max]: MAR = 9.38%" in out


def test_in_this_checkout_a_model_runs_the_suite_not_the_projects_tests() -> None:
    """``testpaths = ["tests"]`` in pyproject.toml does not count as a path given: with
    ``--model`` the shipped suite is collected, not the project's own tests."""
    run = pytest_in(ROOT, "--model=reference/evidence-reader", "--collect-only", "-q")
    assert run.returncode == 0, run.stdout + run.stderr
    ids = [line for line in run.stdout.splitlines() if "::" in line]
    assert len(ids) == 64 + 60 + 3, ids[:5]  # pairs, Mis-Align items, lens checks
    suite = SUITE_DIR.relative_to(ROOT).as_posix()
    assert all(i.startswith(suite + "/") for i in ids), [i for i in ids if suite not in i][:5]


def test_a_path_given_collects_that_path_only(tmp_path: Path) -> None:
    """A user's own tests run beside the suite only when both are named."""
    (tmp_path / "test_mine.py").write_text("def test_mine():\n    pass\n", encoding="utf-8")
    run = pytest_in(tmp_path, "--model=reference/evidence-reader", "--collect-only", "-q", ".")
    assert [x for x in run.stdout.splitlines() if "::" in x] == ["test_mine.py::test_mine"]
    both = pytest_in(
        tmp_path,
        "--model=reference/evidence-reader",
        "--collect-only",
        "-q",
        "test_mine.py",
        "--pyargs",
        "pytest_veto.suite",
    )
    ids = [x for x in both.stdout.splitlines() if "::" in x]
    assert "test_mine.py::test_mine" in ids and len(ids) == 1 + 64 + 60 + 3, ids[:5]


def test_the_wheel_ships_the_suite_and_its_data(tmp_path: Path) -> None:
    """Build the wheel from a copy of the checkout, check it holds the suite and every
    fixture, install it alone (``pip --target``) and gate from an empty folder with it."""
    src = tmp_path / "src"
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name if src.exists() else _mkdir(src) / name)
    for name in ("plugins", "fixtures"):
        shutil.copytree(
            ROOT / name, src / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
        )
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(src)]
    subprocess.run(build, check=True, capture_output=True, timeout=TIMEOUT)
    (wheel,) = wheels.glob("pytest_veto-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    fixtures = {
        "pytest_veto/fixtures/" + p.relative_to(ROOT / "fixtures").as_posix()
        for p in (ROOT / "fixtures").rglob("*")
        if p.is_file()
    }
    suite = {f"pytest_veto/suite/{p.name}" for p in SUITE_DIR.glob("*.py")}
    assert fixtures and fixtures <= names, sorted(fixtures - names)
    assert suite <= names, sorted(suite - names)

    target = tmp_path / "site"
    install = [*pip, "install", "--no-deps", "--target", str(target), str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=TIMEOUT)
    user = _mkdir(tmp_path / "user")
    where = subprocess.run(
        [sys.executable, "-c", "import pytest_veto; print(pytest_veto.__file__)"],
        cwd=user,
        env=dict(os.environ, PYTHONPATH=str(target)),
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(target)), where.stdout
    run = pytest_in(user, *GATE, "--mar-max=15", pythonpath=str(target))
    assert run.returncode == 0, run.stdout + run.stderr
    assert_both_suites_ran(user)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
