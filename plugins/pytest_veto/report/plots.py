"""Figures for the HTML report, as PNG bytes (matplotlib's Agg renderer, imported lazily).

matplotlib is the optional extra ``report``; ``available()`` says whether it is there, and
the HTML renderer leaves the figures out with a note when it is not. Figures are built
on ``matplotlib.figure.Figure`` directly, never pyplot, so nothing global (the backend,
open figures) is touched and rendering is safe inside any process.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Colours: unprimed, primed, misfire bars, control curve.
BASE_COLOUR = "#4c72b0"
PRIMED_COLOUR = "#c44e52"
CONTROL_COLOUR = "#8c8c8c"


def available() -> bool:
    """Is matplotlib importable?"""
    from importlib.util import find_spec

    return find_spec("matplotlib") is not None


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    # no Software/date metadata: the same report gives the same bytes
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def _errors(
    values: Sequence[float | None], intervals: Sequence[Sequence[float] | None]
) -> tuple[list[float], list[float]]:
    """Error bar lengths below and above each value (0 where undefined)."""
    low, high = [], []
    for v, ci in zip(values, intervals, strict=True):
        if v is None or ci is None:
            low.append(0.0)
            high.append(0.0)
        else:  # a percentile interval need not contain the estimate: never negative
            low.append(max(0.0, v - ci[0]))
            high.append(max(0.0, ci[1] - v))
    return low, high


def mar_bars(
    labels: Sequence[str],
    values: Sequence[float | None],
    intervals: Sequence[Sequence[float] | None],
    title: str,
    limit: float | None = None,
) -> bytes:
    """Horizontal bars of MAR with interval error bars (undefined values marked n/a) and,
    given a ``limit`` (the ``--mar-max`` gate's threshold), a dashed line there."""
    return _bars(labels, values, intervals, title, Axis("MAR (%)", 25.0, 105.0, 1), limit)


def score_bars(
    labels: Sequence[str],
    values: Sequence[float | None],
    intervals: Sequence[Sequence[float] | None],
    title: str,
    limit: float | None = None,
) -> bytes:
    """Mis-Align's Alignment Score per scope (fractions) with interval error bars and,
    given a ``limit`` (``--misalign-min-score``), a dashed line there."""
    return _bars(labels, values, intervals, title, Axis("Alignment Score", 1.0, 1.05, 3), limit)


@dataclass(frozen=True)
class Axis:
    label: str
    reach: float  # the axis shows at least 0..reach
    most: float  # and at most 0..most
    digits: int  # of the value written beside each bar


def _bars(
    labels: Sequence[str],
    values: Sequence[float | None],
    intervals: Sequence[Sequence[float] | None],
    title: str,
    axis: Axis,
    limit: float | None,
) -> bytes:
    fig = _figure(7.0, 0.45 * len(labels) + 1.3)
    ax = fig.add_subplot()
    positions = list(range(len(labels)))[::-1]
    heights = [0.0 if v is None else v for v in values]
    low, high = _errors(values, intervals)
    ax.barh(
        positions,
        heights,
        xerr=[low, high],
        color=BASE_COLOUR,
        alpha=0.85,
        error_kw={"ecolor": "#222222", "capsize": 3, "lw": 1},
    )
    for pos, v in zip(positions, values, strict=True):
        text = "n/a" if v is None else f"{v:.{axis.digits}f}"
        ax.annotate(
            text,
            (0 if v is None else v, pos),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=8,
            va="bottom",
        )
    ax.set_yticks(positions, labels=list(labels))
    ax.set_xlabel(axis.label)
    if limit is not None:
        ax.axvline(limit, color="#c62828", linestyle="--", lw=1.2, label=f"gate {limit:g}")
        ax.legend(loc="lower right", fontsize=8)
    reach = max([axis.reach, limit or 0.0, *(v + h for v, h in zip(heights, high, strict=True))])
    ax.set_xlim(0, min(axis.most, reach * 1.1))
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def dumbbell(
    labels: Sequence[str],
    before: Sequence[float | None],
    after: Sequence[float | None],
    title: str,
    names: tuple[str, str] = ("unprimed", "primed"),
) -> bytes:
    """One row per label: a line from the ``before`` value to the ``after`` value."""
    fig = _figure(7.0, 0.5 * len(labels) + 1.4)
    ax = fig.add_subplot()
    positions = list(range(len(labels)))[::-1]
    for pos, b, a in zip(positions, before, after, strict=True):
        if b is not None and a is not None:
            ax.plot([b, a], [pos, pos], color="#999999", lw=2, zorder=1)
    for values, colour, name in ((before, BASE_COLOUR, names[0]), (after, PRIMED_COLOUR, names[1])):
        xs = [v for v in values if v is not None]
        ys = [p for p, v in zip(positions, values, strict=True) if v is not None]
        ax.scatter(xs, ys, color=colour, s=60, zorder=2, label=name)
    ax.set_yticks(positions, labels=list(labels))
    ax.set_xlabel("MAR (%)")
    top = max([10.0, *(v for v in [*before, *after] if v is not None)])
    ax.set_xlim(0, min(105.0, top * 1.15))
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def gap_curves(series: Mapping[str, Sequence[float | None]], title: str) -> bytes:
    """Logit-lens gap G_l by layer, one line per curve (missing layers left as gaps).

    ``failure`` is red, ``control`` grey; a base model's curves are dashed.
    """
    fig = _figure(7.0, 3.4)
    ax = fig.add_subplot()
    for name, values in series.items():
        role = name.removeprefix("base model ")
        colour = (
            PRIMED_COLOUR if role == "failure" else CONTROL_COLOUR if role == "control" else None
        )
        ys = [float("nan") if v is None else v for v in values]
        ax.plot(
            range(len(ys)),
            ys,
            marker="o",
            ms=3,
            label=name,
            color=colour,
            linestyle="--" if name != role else "-",
        )
    ax.axhline(0.0, color="#444444", lw=0.8)
    ax.set_xlabel("layer (0-based block)")
    ax.set_ylabel("gap G")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)
