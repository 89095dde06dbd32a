"""A map of a pairing: donors and recipients at their coordinates, a line per pair.

matplotlib is an optional extra (`pip install 'pairopt[plot]'`); it is imported only here,
so the rest of pairopt starts without it.
"""

from __future__ import annotations

import io
import math
import textwrap
from typing import Any

from ..checks.verify import Assignment
from ..errors import InputError, Problem, SolverError
from ..scenario.scenario import Scenario

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Source Han Sans SC",
)


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


def cjk_font() -> str | None:
    """A font that can draw Chinese names, if one is installed."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in names), None)


IMAGE_FORMATS = ("png", "svg")


def image_problems(fmt: str) -> list[Problem]:
    """Why `fmt` (a file extension without the dot) is not an image `draw` can write."""
    if fmt in IMAGE_FORMATS:
        return []
    return [Problem("-o", f"unsupported image type '.{fmt}'.", "name a .png or .svg file.")]


def draw(
    scenario: Scenario, pairing: list[Assignment], fmt: str, *, title: str, names: str = "id"
) -> tuple[bytes, list[str]]:
    """The map as PNG or SVG bytes, and warnings for the user (e.g. a missing font)."""
    problems = image_problems(fmt)
    if problems:
        raise InputError(problems)
    unplaced = _unplaced(scenario)
    plt = _pyplot()  # only now: bad input is reported even without matplotlib
    warnings: list[str] = []
    if unplaced:
        warnings.append(f"{unplaced} place(s) without coordinates are left off the map.")
    font = cjk_font() if names == "label" else None
    if names == "label" and font is None:
        warnings.append(
            "no CJK font found, so Chinese labels may show as boxes. Fix: "
            "install one (Debian: apt-get install fonts-noto-cjk) or use "
            "names='id'."
        )
    with plt.rc_context(
        {
            "font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"],
            "svg.hashsalt": "pairopt",  # fixed SVG ids, so the same map gives the same bytes
            "path.simplify": True,
        }
    ):
        fig, ax = plt.subplots(figsize=(10, 8), dpi=100)
        _draw_pairs(ax, scenario, pairing)
        _draw_donors(ax, scenario, {a.donor for a in pairing}, names == "label")
        _draw_recipients(ax, scenario, names == "label")
        _frame(ax, scenario, title)
        image = _save(fig, fmt)
        plt.close(fig)
    return image, warnings


def _unplaced(scenario: Scenario) -> int:
    """How many donors and recipients lack coordinates; an error when all of them do, as
    the map would be empty."""
    count = int(_nan(scenario.donor_lat).sum()) + int(_nan(scenario.recipient_lat).sum())
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


def _draw_pairs(ax: Any, scenario: Scenario, pairing: list[Assignment]) -> None:
    """A line per pair, wider for a larger share; pairs with an end off the map are left out."""
    d_index, r_index = scenario.donor_index, scenario.recipient_index
    shares = [a.share for a in pairing] or [1.0]
    top = max(max(shares), 1e-12)
    for a in pairing:
        d, r = d_index[a.donor], r_index[a.recipient]
        xs = (scenario.donor_lon[d], scenario.recipient_lon[r])
        ys = (scenario.donor_lat[d], scenario.recipient_lat[r])
        if any(math.isnan(v) for v in (*xs, *ys)):
            continue
        ax.plot(
            xs,
            ys,
            color="tab:blue",
            alpha=0.55,
            solid_capstyle="round",
            linewidth=0.8 + 5.2 * a.share / top,
            zorder=1,
        )


def _draw_donors(ax: Any, scenario: Scenario, used: set[str], by_label: bool) -> None:
    """Red squares for paired donors, named; grey unnamed ones for the rest, so the map
    shows who was left out without crowding it."""
    for i, ident in enumerate(scenario.donors):
        if math.isnan(scenario.donor_lat[i]):
            continue
        active = ident in used
        ax.scatter(
            scenario.donor_lon[i],
            scenario.donor_lat[i],
            marker="s",
            s=60,
            color="tab:red" if active else "lightgray",
            edgecolor="black",
            linewidth=0.5,
            zorder=3,
        )
        if active:
            ax.annotate(
                scenario.donor_labels[i] if by_label else ident,
                (scenario.donor_lon[i], scenario.donor_lat[i]),
                fontsize=8,
                xytext=(4, 4),
                textcoords="offset points",
            )


def _draw_recipients(ax: Any, scenario: Scenario, by_label: bool) -> None:
    """Orange circles sized by need, each named below-right so donor names stay readable."""
    need_top = max(float(scenario.need.max(initial=0.0)), 1e-12)
    for i, ident in enumerate(scenario.recipients):
        if math.isnan(scenario.recipient_lat[i]):
            continue
        ax.scatter(
            scenario.recipient_lon[i],
            scenario.recipient_lat[i],
            marker="o",
            s=30 + 220 * float(scenario.need[i]) / need_top,
            color="tab:orange",
            edgecolor="black",
            linewidth=0.5,
            alpha=0.9,
            zorder=4,
        )
        ax.annotate(
            scenario.recipient_labels[i] if by_label else ident,
            (scenario.recipient_lon[i], scenario.recipient_lat[i]),
            fontsize=7,
            xytext=(4, -9),
            textcoords="offset points",
        )


def _frame(ax: Any, scenario: Scenario, title: str) -> None:
    """Axes, grid, title and legend. A degree of longitude is shorter than one of latitude
    away from the equator: the aspect ratio at the recipients' mean latitude keeps the
    map's shapes and distances close to true."""
    placed = ~_nan(scenario.recipient_lat)
    mean_lat = float(sum(scenario.recipient_lat[placed]) / max(1, int(placed.sum())))
    ax.set_aspect(1 / max(math.cos(math.radians(mean_lat)), 0.2))
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.grid(True, linewidth=0.3, alpha=0.6)
    ax.set_title(title, fontsize=11)
    ax.legend(handles=_legend(), loc="best", fontsize=8, framealpha=0.85)


def _legend() -> list[Any]:
    """Legend entries drawn to match the markers, as the map's own artists vary in size."""
    from matplotlib.lines import Line2D

    def marker(shape: str, color: str, label: str) -> Any:
        return Line2D(
            [], [], marker=shape, linestyle="", color=color, markeredgecolor="black", label=label
        )

    return [
        marker("s", "tab:red", "donor (paired)"),
        marker("s", "lightgray", "donor (not paired)"),
        marker("o", "tab:orange", "recipient (size: need)"),
        Line2D([], [], color="tab:blue", linewidth=3, alpha=0.55, label="pair (width: share)"),
    ]


def _save(fig: Any, fmt: str) -> bytes:
    """The figure's bytes, without the creation date or software version matplotlib would
    write, so the same map gives the same file."""
    fig.tight_layout()
    buffer = io.BytesIO()
    metadata = {"Software": None} if fmt == "png" else {"Date": None}
    fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def _nan(values: Any) -> Any:
    import numpy as np

    return np.isnan(values)


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
