"""What a finished sweep says, read back from its rows one at a time: how many distinct
pairings, how often the unvaried optimum and each named pairing stay optimal or how far
from it they fall, and how often each pair is used."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

# A fixed pairing within this relative distance of a run's optimum ties with it.
TIE = 1e-6
SOLVED = ("optimal", "time_limit")


@dataclass
class Scored:
    """A fixed pairing (the base optimum, or a --pairing NAME) across the solved runs."""

    runs: int = 0  # solved runs in which it was scored against the optimum
    optimal: int = 0  # of those, runs whose optimum it ties with every rule kept
    broken: int = 0  # of those, runs in which it breaks a rule
    gaps: list[float] = field(default_factory=list)  # its gap in each, >= 0 means worse

    def add(self, row: dict[str, str], name: str) -> None:
        gap = row.get(f"{name}_gap")
        if gap in (None, ""):
            scored = row.get(f"{name}_objective") and row.get("objective")
            if scored:  # against an optimum of 0 that it misses: no relative gap
                self.runs += 1
                self.broken += row.get(f"{name}_broken") not in (None, "", "0")
            return
        self.runs += 1
        self.gaps.append(float(gap))
        if row.get(f"{name}_broken") not in (None, "", "0"):
            self.broken += 1
        elif float(gap) <= TIE:
            self.optimal += 1

    def line(self) -> str:
        """How often it is optimal or breaks a rule, and the range and median of its gap:
        the spread a conclusion about it has over the sweep."""
        share = f"{100 * self.optimal / self.runs:.0f}%"
        line = (
            f"optimal in {self.optimal} of {self.runs} solved runs ({share}), breaks a rule "
            f"in {self.broken}"
        )
        gaps = sorted(self.gaps)
        if gaps:
            median = statistics.median(gaps)
            line += (
                f"; gap to each run's optimum {_percent(gaps[0])} to "
                f"{_percent(gaps[-1])} (median {_percent(median)})"
            )
        if len(gaps) < self.runs:
            line += f"; {self.runs - len(gaps)} run(s) with an optimum of 0 it misses (no gap)"
        return line


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.3g}%"


@dataclass
class Summary:
    runs: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    pairings: set[str] = field(default_factory=set)
    solved: int = 0  # runs with a verified pairing
    pair_runs: Counter[tuple[str, str]] = field(default_factory=Counter)
    objectives: list[float] = field(default_factory=list)
    scored: dict[str, Scored] = field(default_factory=dict)  # base, then each --pairing

    def lines(self, base_status: str) -> list[str]:
        """The summary printed on stderr."""
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items()))
        lines = [f"Sweep:     {self.runs} runs ({statuses})" if self.runs else "Sweep:     no runs"]
        if self.solved:
            low, high = min(self.objectives), max(self.objectives)
            lines.append(
                f"Pairings:  {len(self.pairings)} distinct in {self.solved} solved runs; "
                f"objective {low:.6g} to {high:.6g}"
            )
        if base_status not in SOLVED:
            lines.append(f"Base:      the unvaried scenario has no pairing ({base_status})")
        for name, scored in self.scored.items():
            if not scored.runs:
                continue
            if name == "base":
                lines.append(f"Base:      the unvaried optimum ({base_status}): {scored.line()}")
            else:
                lines.append(f"{name + ':':<10} {scored.line()}")
        return lines

    def stability_rows(self, base: Iterable[tuple[str, str]]) -> list[dict[str, object]]:
        """One row per pair used in any run: how many runs use it, their fraction, and
        whether the base optimum has it; most used first."""
        in_base = set(base)
        rows = [
            {
                "donor": d,
                "recipient": r,
                "runs": n,
                "fraction": n / self.solved,
                "in_base": (d, r) in in_base,
            }
            for (d, r), n in self.pair_runs.items()
        ]
        return sorted(rows, key=lambda x: (-int(str(x["runs"])), x["donor"], x["recipient"]))


def summarise(rows: Iterable[dict[str, str]]) -> Summary:
    """Fold the rows of a sweep file (as text) into its summary."""
    summary = Summary()
    for row in rows:
        summary.runs += 1
        summary.statuses[row["status"]] += 1
        if row["status"] not in SOLVED or not row.get("pairs"):
            continue
        summary.solved += 1
        summary.pairings.add(row["pairing_hash"])
        summary.objectives.append(float(row["objective"]))
        summary.pair_runs.update(tuple(p) for p in json.loads(row["pairs"]))
        for name in _scored_names(row):
            summary.scored.setdefault(name, Scored()).add(row, name)
    return summary


def _scored_names(row: dict[str, str]) -> list[str]:
    """base and each --pairing NAME, in the file's column order: the NAME_gap columns
    that come with a NAME_broken column."""
    return [
        key[: -len("_gap")]
        for key in row
        if key.endswith("_gap") and f"{key[: -len('_gap')]}_broken" in row
    ]


def stability_csv(rows: list[dict[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["donor", "recipient", "runs", "fraction", "in_base"])
    for row in rows:
        writer.writerow(
            [
                row["donor"],
                row["recipient"],
                row["runs"],
                format(float(str(row["fraction"])), ".6g"),
                "true" if row["in_base"] else "false",
            ]
        )
    return buffer.getvalue()
