"""A map of a pairing: donors and recipients at their coordinates, a line per pair.

matplotlib is an optional extra (`pip install 'pairopt[plot]'`); it is imported only here,
so the rest of pairopt starts without it.
"""

from __future__ import annotations

import io
import math
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


def draw(
    scenario: Scenario, pairing: list[Assignment], fmt: str, *, title: str, names: str = "id"
) -> tuple[bytes, list[str]]:
    """The map as PNG or SVG bytes, and warnings for the user (e.g. a missing font)."""
    if fmt not in ("png", "svg"):
        raise InputError(
            [Problem("-o", f"unsupported image type '.{fmt}'.", "name a .png or .svg file.")]
        )
    d_index, r_index = scenario.donor_index, scenario.recipient_index
    missing = [
        s
        for s, lat in (
            (scenario.donors[i], scenario.donor_lat[i]) for i in range(len(scenario.donors))
        )
        if math.isnan(lat)
    ]
    missing += [
        s
        for s, lat in (
            (scenario.recipients[i], scenario.recipient_lat[i])
            for i in range(len(scenario.recipients))
        )
        if math.isnan(lat)
    ]
    if len(missing) == len(scenario.donors) + len(scenario.recipients):
        raise InputError(
            [
                Problem(
                    "scenario",
                    "no donor or recipient has coordinates, so there is nothing to place on a map.",
                    "name lat/lon columns for donors and recipients.",
                )
            ]
        )
    plt = _pyplot()
    warnings: list[str] = []
    if missing:
        warnings.append(f"{len(missing)} place(s) without coordinates are left off the map.")
    font = None
    if names == "label":
        font = cjk_font()
        if font is None:
            warnings.append(
                "no CJK font found, so Chinese labels may show as boxes. Fix: "
                "install one (Debian: apt-get install fonts-noto-cjk) or use "
                "names='id'."
            )

    def label(ident: str, labels: tuple[str, ...], index: dict[str, int]) -> str:
        return labels[index[ident]] if names == "label" else ident

    with plt.rc_context(
        {
            "font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"],
            "svg.hashsalt": "pairopt",
            "path.simplify": True,
        }
    ):
        fig, ax = plt.subplots(figsize=(10, 8), dpi=100)
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
        used = {a.donor for a in pairing}
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
                    label(ident, scenario.donor_labels, d_index),
                    (scenario.donor_lon[i], scenario.donor_lat[i]),
                    fontsize=8,
                    xytext=(4, 4),
                    textcoords="offset points",
                )
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
                label(ident, scenario.recipient_labels, r_index),
                (scenario.recipient_lon[i], scenario.recipient_lat[i]),
                fontsize=7,
                xytext=(4, -9),
                textcoords="offset points",
            )
        mean_lat = float(
            sum(scenario.recipient_lat[~_nan(scenario.recipient_lat)])
            / max(1, int((~_nan(scenario.recipient_lat)).sum()))
        )
        ax.set_aspect(1 / max(math.cos(math.radians(mean_lat)), 0.2))
        ax.set_xlabel("longitude (°E)")
        ax.set_ylabel("latitude (°N)")
        ax.grid(True, linewidth=0.3, alpha=0.6)
        ax.set_title(title, fontsize=11)
        from matplotlib.lines import Line2D

        handles = [
            Line2D(
                [],
                [],
                marker="s",
                linestyle="",
                color="tab:red",
                markeredgecolor="black",
                label="donor (paired)",
            ),
            Line2D(
                [],
                [],
                marker="s",
                linestyle="",
                color="lightgray",
                markeredgecolor="black",
                label="donor (not paired)",
            ),
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                color="tab:orange",
                markeredgecolor="black",
                label="recipient (size: need)",
            ),
            Line2D([], [], color="tab:blue", linewidth=3, alpha=0.55, label="pair (width: share)"),
        ]
        ax.legend(handles=handles, loc="best", fontsize=8, framealpha=0.85)
        fig.tight_layout()
        buffer = io.BytesIO()
        metadata = {"Software": None} if fmt == "png" else {"Date": None}
        fig.savefig(buffer, format=fmt, metadata=metadata)
        plt.close(fig)
    return buffer.getvalue(), warnings


def _nan(values: Any) -> Any:
    import numpy as np

    return np.isnan(values)
