"""What a finished sweep says, read back from its rows one at a time: how many distinct
pairings, how often the unvaried optimum stays optimal, and how often each pair is used."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

# A row's objective within this relative distance of the base pairing's counts as a tie.
TIE = 1e-6
SOLVED = ("optimal", "time_limit")


@dataclass
class Summary:
    runs: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    pairings: set[str] = field(default_factory=set)
    solved: int = 0  # runs with a verified pairing
    base_optimal: int = 0  # runs whose optimum the base pairing ties (rules kept)
    base_broken: int = 0  # runs in which the base pairing breaks a rule
    pair_runs: Counter[tuple[str, str]] = field(default_factory=Counter)
    objectives: list[float] = field(default_factory=list)

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
        if base_status in SOLVED and self.solved:
            lines.append(
                f"Base:      the unvaried optimum ({base_status}) is optimal in "
                f"{self.base_optimal} of {self.solved} solved runs "
                f"({100 * self.base_optimal / self.solved:.0f}%) and breaks a rule in "
                f"{self.base_broken}"
            )
        elif base_status not in SOLVED:
            lines.append(f"Base:      the unvaried scenario has no pairing ({base_status})")
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
        if row.get("base_broken") not in (None, "", "0"):
            summary.base_broken += 1
        elif row.get("base_gap") not in (None, "") and float(row["base_gap"]) <= TIE:
            summary.base_optimal += 1
    return summary


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
