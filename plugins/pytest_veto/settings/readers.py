"""Reading one option or ini key into a checked value (each problem a usage error)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest

if TYPE_CHECKING:
    pass

_N = TypeVar("_N", int, float)
_C = TypeVar("_C", bound=str)


def flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def number(config: pytest.Config, dest: str, kind: type[_N], ini: str | None = None) -> _N | None:
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


def percent(config: pytest.Config, dest: str, ini: str | None = None) -> float | None:
    value = number(config, dest, float, ini)
    if value is not None and not 0 <= value <= 100:  # nan is not within either
        raise pytest.UsageError(f"{flag(dest)}={value}: must be within 0..100")
    return value


def non_negative(config: pytest.Config, dest: str) -> float | None:
    value = number(config, dest, float)
    if value is not None and not (math.isfinite(value) and value >= 0):  # nan never fails
        raise pytest.UsageError(f"{flag(dest)}={value}: must be a finite number >= 0")
    return value


def finite(config: pytest.Config, dest: str) -> float | None:
    """A command-line-only float that must be finite (a nan limit would never fail)."""
    value = config.getoption(dest)
    if value is not None and not math.isfinite(value):
        raise pytest.UsageError(f"{flag(dest)}={value}: must be a finite number")
    return None if value is None else float(value)


def fraction(config: pytest.Config, name: str) -> float | None:
    value = number(config, name, float)
    if value is not None and not 0 <= value <= 1:
        raise pytest.UsageError(
            f"{flag(name)}={value}: Mis-Align thresholds are fractions in [0, 1] (0.8 means 80%)"
        )
    return value


def one_of(value: object, allowed: tuple[_C, ...], what: str) -> _C:
    """``value`` as one of a closed set (argparse checks command-line choices; ini keys
    and programmatic options come here unchecked)."""
    for choice in allowed:
        if value == choice:
            return choice
    shown = [repr(c) for c in allowed]
    raise pytest.UsageError(f"{what} = {value!r}: use {', '.join(shown[:-1])} or {shown[-1]}")


def text(config: pytest.Config, dest: str) -> str | None:
    """A non-blank string from the command line, else the ini key ``dest``; None when
    neither is given; a blank one is a usage error (it would name nothing)."""
    value = config.getoption(dest)
    where = flag(dest)
    if value is None:
        value, where = config.getini(dest), f"ini option {dest}"
        if value in (None, ""):
            return None
    if not str(value).strip():
        raise pytest.UsageError(f"{where} = {value!r}: must not be blank")
    return str(value).strip()


def path(text: str | None) -> Path | None:
    return Path(text) if text else None


def names(text: str | None) -> tuple[str, ...]:
    return tuple(n.strip() for n in (text or "").split(",") if n.strip())


def per_variant(config: pytest.Config) -> dict[str, float]:
    """``--veto-primed-mar-max 30`` (every variant) or ``trigger=30,safety-system=20``."""
    raw = config.getoption("veto_primed_mar_max") or config.getini("veto_primed_mar_max")
    limits: dict[str, float] = {}
    for part in names(str(raw or "")):
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
