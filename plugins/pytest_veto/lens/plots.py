"""PNG figures of the lens results, drawn with matplotlib's Agg renderer.

matplotlib is optional (the ``report`` extra) and imported only inside the functions;
:func:`available` says whether it is installed. Figures are built on
``matplotlib.figure.Figure`` directly, never pyplot, so no global state (backend, open
figures) is touched. Inputs are the plain dicts of ``LensAnalysis.as_dict()`` and
``RecoveryResult.as_dict()`` (as stored in the report), so a report can be re-plotted
without a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FAILURE_COLOUR = "#c44e52"
CONTROL_COLOUR = "#8c8c8c"
BASE_STYLE = "--"
GAP_FILE = "lens_gap_by_layer.png"
RECOVERY_FILE = "lens_recovery_by_k.png"


def available() -> bool:
    """Is matplotlib importable?"""
    from importlib.util import find_spec

    return find_spec("matplotlib") is not None


def _figure(width: float = 6.4, height: float = 3.6) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # no Software/date metadata: the same data gives the same bytes
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
    return path


def _line(ax: Any, values: Sequence[float | None] | None, **style: Any) -> None:
    if not values:
        return
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if points:
        ax.plot([p[0] for p in points], [p[1] for p in points], **style)


def plot_gap_by_layer(lens: Mapping[str, Any], out_dir: str | Path, *, title: str = "") -> Path:
    """Gap ``G_l`` by layer for failure and control pairs (and the base model, dashed,
    when the analysis has one), with the failure peak marked. Returns the PNG's path."""
    summary = lens["summary"]
    gaps = summary["gap_by_layer"]
    n = summary["n"]
    fig = _figure()
    ax = fig.add_subplot()
    ax.axhline(0.0, color="black", linewidth=0.6)
    _line(
        ax,
        gaps.get("failure"),
        color=FAILURE_COLOUR,
        marker="o",
        markersize=3,
        label=f"failure pairs (n={n.get('failure', 0)})",
    )
    _line(
        ax,
        gaps.get("control"),
        color=CONTROL_COLOUR,
        marker="o",
        markersize=3,
        label=f"control pairs (n={n.get('control', 0)})",
    )
    base = summary.get("base")
    if base:
        _line(
            ax,
            base["gap_by_layer"].get("failure"),
            color=FAILURE_COLOUR,
            linestyle=BASE_STYLE,
            label="failure pairs, base model",
        )
        _line(
            ax,
            base["gap_by_layer"].get("control"),
            color=CONTROL_COLOUR,
            linestyle=BASE_STYLE,
            label="control pairs, base model",
        )
    peak = summary.get("peak") or {}
    if peak.get("layer") is not None:
        ax.annotate(
            f"peak {peak['value']:+.3g} at layer {peak['layer']}",
            (peak["layer"], peak["value"]),
            textcoords="offset points",
            xytext=(-8, 0),
            ha="right",
            va="center",
            fontsize=8,
        )
    ax.margins(y=0.12)
    ax.set_xlabel("layer (output of block l, 0-based)")
    ax.set_ylabel("gap: LD(contrast) - LD(stereotyped)")
    ax.set_title(title or "Logit-lens gap by layer")
    ax.legend(fontsize=8, loc="upper left")
    return _save(fig, Path(out_dir) / GAP_FILE)


def plot_recovery_by_k(
    recovery: Mapping[str, Any], out_dir: str | Path, *, title: str = ""
) -> Path:
    """Share of failure pairs recovered when the top K heads are ablated together."""
    points = recovery["points"]
    ks = [p["k"] for p in points]
    rates = [100 * (p["recovery_rate"] or 0.0) for p in points]
    fig = _figure(5.2, 3.4)
    ax = fig.add_subplot()
    ax.plot(ks, rates, color=FAILURE_COLOUR, marker="o")
    for k, rate in zip(ks, rates, strict=True):
        ax.annotate(
            f"{rate:.0f}%",
            (k, rate),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
        )
    ax.set_xticks(ks)
    ax.set_ylim(0, max(100.0, max(rates, default=0) + 10))
    ax.set_xlabel("K (top heads by specificity, ablated together)")
    ax.set_ylabel("failure pairs recovered (%)")
    n = recovery.get("n_pairs")
    ranking = recovery.get("ranking", "pooled")
    ax.set_title(
        title or f"Recovery by K ({recovery.get('mode', 'zero')} ablation, {ranking}, n={n})"
    )
    return _save(fig, Path(out_dir) / RECOVERY_FILE)


def write_plots(
    lens: Mapping[str, Any] | None, recovery: Mapping[str, Any] | None, out_dir: str | Path
) -> list[Path]:
    """Every figure the given sections support, as written paths. Without matplotlib
    this raises ImportError: check :func:`available` first."""
    written = []
    if lens is not None and lens.get("pairs"):
        written.append(plot_gap_by_layer(lens, out_dir))
    if recovery is not None and recovery.get("points"):
        written.append(plot_recovery_by_k(recovery, out_dir))
    return written
