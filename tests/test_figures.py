"""Figures: a location x session heatmap per theme and a code frequency chart, PNG and
SVG, drawn on matplotlib's Agg canvas (imported only when drawing). The project is the
one described in test_tracking."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qualcode.errors import QualcodeError
from qualcode.exports.api import export_figures
from qualcode.exports.figures import code_frequency_chart, figures, heatmap_grid, theme_heatmap
from qualcode.store import Project
from qualcode.themes.tracking import track

from .conftest import rows
from .test_tracking import coded_project

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def coded(tmp_path: Path) -> Project:
    return coded_project(tmp_path)


def test_heatmap_grid_by_hand(coded: Project) -> None:
    tracking = track(coded, "all")
    art6 = next(t for t in tracking.targets if t.kind == "theme" and t.id == "3")
    locations, sessions, grid = heatmap_grid(tracking, art6)
    assert (locations, sessions) == (["Location 1", "Location 2"], ["1", "2"])
    # a0 and a1 | b1 ; c2 | no session 2 held at Location 2
    np.testing.assert_array_equal(grid, [[2, 1], [1, np.nan]])
    art12 = next(t for t in tracking.targets if t.kind == "theme" and t.id == "4")
    np.testing.assert_array_equal(heatmap_grid(tracking, art12)[2], [[1, 0], [0, np.nan]])


def test_png_and_svg(coded: Project) -> None:
    tracking = track(coded, "consensus")
    art3 = next(t for t in tracking.targets if t.id == "2")
    assert theme_heatmap(tracking, art3, "png").startswith(PNG)
    svg = theme_heatmap(tracking, art3, "svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Best interests of the child" in svg  # text kept as text (svg.fonttype none)
    assert "coded segments (consensus layer)" in svg
    chart = code_frequency_chart(tracking, "svg").decode()
    assert "Physical safety and safe accommodation" in chart
    assert theme_heatmap(tracking, art3, "svg") == theme_heatmap(tracking, art3, "svg")
    with pytest.raises(QualcodeError, match="unknown figure format 'gif'"):
        code_frequency_chart(tracking, "gif")


def test_figures_by_file_name(coded: Project) -> None:
    drawn = figures(coded, "all", "png")
    assert list(drawn) == [
        "code-frequency.png",
        "theme-01-non-discrimination-uncrc-article-2.png",
        "theme-02-best-interests-of-the-child-uncrc-articl.png",
        "theme-03-life-survival-and-development-uncrc-arti.png",
        "theme-04-participation-the-right-to-be-heard-uncr.png",
        "theme-05-structural-systemic-and-discriminatory-b.png",
    ]
    assert all(data.startswith(PNG) for data in drawn.values())


def test_export_figures_writes_every_file_and_logs(coded: Project, tmp_path: Path) -> None:
    written = export_figures(coded, tmp_path / "figs", "coder:bob", "svg", actor="alice")
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == sorted(p.name for p in written)
    assert len(written) == 6
    actor, detail = rows(
        coded, "SELECT actor, detail FROM action_log WHERE action = 'export.figures'"
    )[0]
    assert actor == "alice"
    assert json.loads(detail)["layer"] == "coder:bob" and json.loads(detail)["format"] == "svg"


def test_bad_figure_requests_write_nothing(coded: Project, tmp_path: Path) -> None:
    for layer, fmt, message in (
        ("all", "jpg", "unknown figure format 'jpg'"),
        ("coder:zed", "png", "unknown coder 'zed'"),
    ):
        with pytest.raises(QualcodeError, match=message):
            export_figures(coded, tmp_path / "figs", layer, fmt)
    assert not (tmp_path / "figs").exists()
    (tmp_path / "taken").write_text("x")
    with pytest.raises(QualcodeError, match="not a directory"):
        export_figures(coded, tmp_path / "taken", "all")


def test_matplotlib_is_imported_only_to_draw_and_never_pyplot() -> None:
    code = (
        "import sys, qualcode.cli, qualcode.exports, qualcode.themes\n"
        "print('matplotlib' in sys.modules)\n"
        "from qualcode.exports.figures import code_frequency_chart\n"
        "from qualcode.themes.tracking import Tracking\n"
        "from qualcode.themes.targets import Target\n"
        "t = Tracking('all', [], [Target('code', 'x', 'X', ('x',))], [], 0, 0)\n"
        "assert code_frequency_chart(t).startswith(b'\\x89PNG')\n"
        "import matplotlib\n"
        "print('matplotlib.pyplot' in sys.modules, matplotlib.get_backend())\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert found[:2] == ["False", "False"]
