#!/usr/bin/env python3
"""Draw the verdict on the official 2020 pairing across need levels and donor sets.

    python3 sensitivity.py RUNS.csv OUT.png

RUNS.csv is the runs file of the sweep in docs/tutorial.md (section 3): `pairopt sweep
scenarios/hubei-2020/scenario.yaml` varying `recipients.need_scale` and
`rules.exclude_donors`, with `--pairing official=pairing_2020.csv`. The figure has two
panels against the need level, one line per donor set:

  top     the official pairing's weighted distance above the run's optimum, in percent
          (`official_gap`); no point where the run has no optimum (no pairing covers
          every city), and the need levels where no donor set has one are shaded;
  bottom  the number of cities the official pairing leaves short (`official_short`).

It also prints the numbers it plots. Needs matplotlib (`pip install 'pairopt[plot]'`).
The PNG is the same for the same runs file: the Agg backend, fixed sizes, and no
software version in the file.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

SCALE = "recipients.need_scale"
EXCLUDED = "rules.exclude_donors"
PAIRING = "official"
CITIES = 16
DONORS = 30
# The 11 provinces that were not in the 2020 list (capacities modelled from GDP).
NOT_IN_2020 = frozenset(
    {
        "Beijing",
        "Jilin",
        "Shanghai",
        "Anhui",
        "Henan",
        "Sichuan",
        "Tibet",
        "Shaanxi",
        "Gansu",
        "Qinghai",
        "Xinjiang",
    }
)
STYLES = [
    {"color": "#1f77b4", "marker": "o", "linestyle": "-"},
    {"color": "#d62728", "marker": "s", "linestyle": "--"},
    {"color": "#2ca02c", "marker": "^", "linestyle": ":"},
    {"color": "#9467bd", "marker": "D", "linestyle": "-."},
]


@dataclass(frozen=True)
class Point:
    scale: float
    text: str  # the need level as the runs file writes it
    status: str
    gap: float | None  # a fraction; None where the run has no optimum
    short: int


@dataclass(frozen=True)
class DonorSet:
    name: str  # for the table: "30 provinces"
    label: str  # for the legend


def donor_set(cell: str) -> DonorSet:
    """The donor set of a value of rules.exclude_donors, as the runs file writes it."""
    names = frozenset(n.strip() for n in cell.strip().strip("[]").split(",") if n.strip())
    name = f"{DONORS - len(names)} provinces"
    if not names:
        return DonorSet(name, f"all {name}")
    if names == NOT_IN_2020:
        return DonorSet(name, f"the {name} of the 2020 list")
    return DonorSet(name, f"{name} (without {', '.join(sorted(names))})")


def read_runs(path: Path) -> dict[DonorSet, list[Point]]:
    """The runs of the sweep, per donor set, in order of need level."""
    lines: dict[DonorSet, list[Point]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        sys.exit(f"{path}: no runs")
    missing = {SCALE, "status", f"{PAIRING}_gap", f"{PAIRING}_short"} - set(rows[0])
    if missing:
        sys.exit(f"{path}: not the runs file of the tutorial's sweep (no {sorted(missing)})")
    for row in rows:
        gap, short = row[f"{PAIRING}_gap"], row[f"{PAIRING}_short"]
        if short == "":
            sys.exit(f"{path}: run {row['run']} has no {PAIRING}_short ({row['status']})")
        point = Point(
            float(row[SCALE]), row[SCALE], row["status"], float(gap) if gap else None, int(short)
        )
        lines[donor_set(row.get(EXCLUDED, "[]"))].append(point)
    return {key: sorted(points, key=lambda p: p.scale) for key, points in lines.items()}


def no_optimum(lines: dict[DonorSet, list[Point]]) -> list[float]:
    """The need levels at which no donor set has an optimum (every run infeasible)."""
    by_scale: dict[float, set[str]] = defaultdict(set)
    for points in lines.values():
        for p in points:
            by_scale[p.scale].add(p.status)
    return sorted(s for s, statuses in by_scale.items() if statuses == {"infeasible"})


def draw(lines: dict[DonorSet, list[Point]], out: Path) -> None:
    plt.rcParams.update({"font.size": 10})
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7.2), sharex=True, dpi=120)
    scales = sorted({p.scale for points in lines.values() for p in points})
    step = min((b - a for a, b in itertools.pairwise(scales)), default=0.1)
    blank = no_optimum(lines)
    for ax in (top, bottom):
        if blank:
            ax.axvspan(blank[0] - step / 2, scales[-1] + step / 2, color="0.9", zorder=0)
        ax.axvline(1.0, color="0.5", linewidth=0.8, linestyle=":", zorder=1)
        ax.grid(True, color="0.85", linewidth=0.6)
        ax.set_axisbelow(True)
    for (key, points), style in zip(lines.items(), STYLES, strict=False):
        proven = [p for p in points if p.gap is not None and p.status == "optimal"]
        top.plot(
            [p.scale for p in proven],
            [100 * (p.gap or 0.0) for p in proven],
            label=key.label,
            **style,
        )
        unproven = [p for p in points if p.gap is not None and p.status != "optimal"]
        if unproven:  # a run stopped at a limit: its gap is to the best pairing found
            top.plot(
                [p.scale for p in unproven],
                [100 * (p.gap or 0.0) for p in unproven],
                linestyle="none",
                marker=style["marker"],
                markerfacecolor="white",
                color=style["color"],
                label=f"{key.label}: optimum not proven",
            )
        bottom.plot(
            [p.scale for p in points],
            [p.short for p in points],
            label=key.label,
            markersize=7 if style["marker"] == "o" else 4,
            **style,
        )
    top.set_ylabel("weighted distance above the optimum (%)")
    top.set_ylim(bottom=0)
    top.set_title("The official pairing of 10 Feb 2020 against the optimum, by need level")
    if blank:
        top.text(
            (blank[0] + scales[-1]) / 2,
            0.5 * top.get_ylim()[1],
            "no optimum:\nno pairing covers\nevery city",
            ha="center",
            va="center",
            color="0.3",
        )
    top.legend(loc="upper right", title="donors", frameon=True)
    bottom.set_ylabel(f"cities left short (of {CITIES})")
    bottom.set_ylim(-0.5, CITIES + 0.5)
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.set_xlabel(
        "need level (recipients.need_scale; 1.0 = 0.45 staff per confirmed case on 10 Feb)"
    )
    bottom.legend(loc="upper left", title="donors", frameon=True)
    counts = {tuple((p.scale, p.short) for p in points) for points in lines.values()}
    if len(lines) > 1 and len(counts) == 1:
        bottom.text(
            0.02,
            0.6,
            "The lines coincide: every donor of the\nofficial pairing is in each donor set.",
            transform=bottom.transAxes,
            va="top",
            color="0.3",
        )
    bottom.set_xticks(scales)
    bottom.set_xlim(scales[0] - step / 2, scales[-1] + step / 2)
    fig.tight_layout()
    fig.savefig(out, metadata={"Software": None})
    plt.close(fig)


def table(lines: dict[DonorSet, list[Point]]) -> str:
    """The numbers the figure plots, one line per need level ("-": no optimum)."""
    keys = list(lines)
    head = ["need_scale"]
    head += [f"gap % ({key.name})" for key in keys]
    head += [f"short ({key.name})" for key in keys]
    by_scale: dict[float, dict[DonorSet, Point]] = defaultdict(dict)
    for key, points in lines.items():
        for p in points:
            by_scale[p.scale][key] = p
    rows = [head]
    unproven = False
    for scale in sorted(by_scale):
        at = by_scale[scale]
        row = [next(iter(at.values())).text]
        for key in keys:
            run = at.get(key)
            if run is None or run.gap is None:
                row.append("-")
            else:
                unproven |= run.status != "optimal"
                row.append(f"{100 * run.gap:.1f}" + ("" if run.status == "optimal" else "*"))
        row += [str(at[key].short) if key in at else "" for key in keys]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    out = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    if unproven:
        out.append("* the run stopped at its time limit: the gap is to the best pairing found")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", type=Path, help="the sweep's runs CSV (pairopt sweep -o)")
    parser.add_argument("out", type=Path, help="the figure to write (.png or .svg)")
    args = parser.parse_args(argv)
    lines = read_runs(args.runs)
    draw(lines, args.out)
    print(table(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
