"""Figures for papers: a location x session heatmap per theme and a code frequency chart.

matplotlib is imported inside the functions (it is slow to import) and used through
its object interface on the Agg canvas, never pyplot: no global figure state, so
the app's threads cannot draw into each other's figures.
"""

from __future__ import annotations

import io
import re
import textwrap
from typing import Any

import numpy as np

from qualcode.coding.layers import Layer
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.themes.ordering import natural_key
from qualcode.themes.targets import Target
from qualcode.themes.tracking import Tracking, track

FIGURE_FORMATS = ("png", "svg")
_DPI = 200


def _check(fmt: str) -> str:
    if fmt not in FIGURE_FORMATS:
        raise QualcodeError(f"unknown figure format '{fmt}' (choose from png, svg)")
    return fmt


def _save(figure: Any, fmt: str) -> bytes:
    import matplotlib

    out = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": "qualcode", "svg.fonttype": "none"}):
        figure.savefig(out, format=fmt, dpi=_DPI, bbox_inches="tight", metadata=metadata)
    return out.getvalue()


def heatmap_grid(tracking: Tracking, target: Target) -> tuple[list, list, np.ndarray]:
    """(locations, sessions, coded segments per location x session); NaN where no
    document exists for that location and session."""
    locations = sorted({loc for loc, _ in tracking.cases}, key=natural_key)
    sessions = sorted({ses for _, ses in tracking.cases}, key=natural_key)
    held = set(tracking.cases)
    grid = np.full((len(locations), len(sessions)), np.nan)
    for i, location in enumerate(locations):
        for j, session in enumerate(sessions):
            if (location, session) in held:
                row = tracking.get(target.kind, target.id, "cell", location, session)
                grid[i, j] = row.segments
    return locations, sessions, grid


def theme_heatmap(tracking: Tracking, target: Target, fmt: str = "png") -> bytes:
    """Coded segments of one theme per location x session, counts written in the cells."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _check(fmt)
    locations, sessions, grid = heatmap_grid(tracking, target)
    figure = Figure(figsize=(1.2 + 1.1 * max(len(sessions), 1), 1.4 + 0.6 * len(locations)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_facecolor("#d9d9d9")  # grey shows through where no session was held
    masked = np.ma.masked_invalid(grid)
    top = max(float(np.nanmax(grid)) if np.isfinite(grid).any() else 0.0, 1.0)
    image = axes.imshow(masked, cmap="Blues", vmin=0, vmax=top, aspect="auto")
    axes.set_xticks(range(len(sessions)), [f"session {s or '-'}" for s in sessions])
    axes.set_yticks(range(len(locations)), [loc or "(no location)" for loc in locations])
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            if np.isfinite(grid[i, j]):
                value = int(grid[i, j])
                colour = "white" if value > top * 0.6 else "black"
                axes.text(j, i, str(value), ha="center", va="center", color=colour, fontsize=9)
    axes.set_title("\n".join(textwrap.wrap(target.label, 40)), fontsize=10)
    if np.isnan(grid).any():
        axes.set_xlabel("grey: no session held", fontsize=8, color="#555555")
    figure.colorbar(image, ax=axes, label=f"coded segments ({tracking.layer} layer)", shrink=0.8)
    return _save(figure, fmt)


def code_frequency_chart(tracking: Tracking, fmt: str = "png") -> bytes:
    """Coded segments per code, in codebook order, bars in the codes' colours."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _check(fmt)
    codes = [t for t in tracking.targets if t.kind == "code"]
    if not codes:
        raise QualcodeError("no codable codes to chart")
    counts = [tracking.get("code", t.id).segments for t in codes]
    figure = Figure(figsize=(7.5, 0.8 + 0.28 * len(codes)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = np.arange(len(codes))
    axes.barh(positions, counts, color=[t.color or "#6c757d" for t in codes])
    axes.set_yticks(positions, [textwrap.shorten(t.label, 48) for t in codes], fontsize=8)
    axes.invert_yaxis()
    for y, value in zip(positions, counts, strict=True):
        axes.text(value, y, f" {value}", va="center", fontsize=7)
    axes.set_xlabel(f"coded segments ({tracking.layer} layer)")
    axes.spines[["top", "right"]].set_visible(False)
    return _save(figure, fmt)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "theme"


def figures(
    project: Project, layer: str | Layer = "consensus", fmt: str = "png"
) -> dict[str, bytes]:
    """Every figure by file name: code-frequency.<fmt> and theme-<id>-<name>.<fmt>."""
    _check(fmt)
    tracking = track(project, layer)
    found = {f"code-frequency.{fmt}": code_frequency_chart(tracking, fmt)}
    for target in tracking.targets:
        if target.kind == "theme":
            name = f"theme-{int(target.id):02d}-{_slug(target.label)}.{fmt}"
            found[name] = theme_heatmap(tracking, target, fmt)
    return found
