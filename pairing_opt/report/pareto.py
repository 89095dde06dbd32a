"""A Pareto front as a table, CSV or JSON: one row per point, both terms' values, whether
it is proven, and which pairing it is (a hash of its pair set, and the pairs)."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from typing import Any

from ..engine.backends import Status
from ..engine.pareto import FrontPoint
from .common import (
    amount,
    amount_text,
    console,
    dumps,
    number,
    pairs_dict,
    proof_text,
    term_number,
    term_text,
    text,
)


def pairing_hash(point: FrontPoint) -> str:
    """12 hex digits of a SHA-256 of the sorted pair set: equal for equal pair sets, so a
    point can be matched with the same pairing elsewhere (another front, a sweep)."""
    return pair_set_hash((a.donor, a.recipient) for a in point.result.pairing)


def pair_set_hash(pairs: Iterable[tuple[str, str]]) -> str:
    """12 hex digits of a SHA-256 of the sorted, distinct (donor, recipient) pairs."""
    text = "\n".join(f"{d}\t{r}" for d, r in sorted(set(pairs)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def front_dict(points: list[FrontPoint], x: str, y: str, scenario: str) -> dict[str, Any]:
    """{"scenario", "x", "y", "points": [{x: value, y: value, "shortfall", "status",
    "gap", "pairing_hash", "pairs": [...]}]}, best x first; shortfall is the need the
    point's pairing leaves uncovered (0 unless need may go uncovered)."""
    return {
        "scenario": scenario,
        "x": x,
        "y": y,
        "points": [
            {
                x: term_number(x, p.x),
                y: term_number(y, p.y),
                "shortfall": amount(p.result.evaluation.total_shortfall),
                "status": p.status.value,
                "proven_optimal": p.proven_optimal,
                "gap": number(p.gap, 10),
                "pairing_hash": pairing_hash(p),
                "pairs": pairs_dict(p.result.scenario, p.result.pairing),
            }
            for p in points
        ],
    }


def front_json(points: list[FrontPoint], x: str, y: str, scenario: str) -> str:
    return dumps(front_dict(points, x, y, scenario))


def front_csv(points: list[FrontPoint], x: str, y: str) -> str:
    """point,<x>,<y>,status,gap,pairing_hash,pairs,shortfall (pairs as
    'donor>recipient;...'; shortfall, the need the pairing leaves uncovered, last so that
    the columns before it stay where they were)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["point", x, y, "status", "gap", "pairing_hash", "pairs", "shortfall"])
    for i, p in enumerate(points, start=1):
        pairs = ";".join(f"{a.donor}>{a.recipient}" for a in p.result.pairing)
        gap = number(p.gap, 10)
        writer.writerow(
            [
                i,
                term_number(x, p.x),
                term_number(y, p.y),
                p.status.value,
                "" if gap is None else gap,
                pairing_hash(p),
                pairs,
                amount(p.result.evaluation.total_shortfall),
            ]
        )
    return buffer.getvalue()


def front_table(
    points: list[FrontPoint], x: str, y: str, scenario: str, *, color: bool = False
) -> str:
    from rich.table import Table

    table = Table(title=f"{scenario}: Pareto front of {x} and {y}")
    # The need left uncovered, where any point leaves some: such a point can look beaten
    # on the two terms by one that covers less.
    short = any(p.result.evaluation.total_shortfall > 0 for p in points)
    columns = [("#", "right"), (x, "right"), (y, "right")]
    columns += [("shortfall", "right")] if short else []
    columns += [("status", "left"), ("pairs", "right"), ("pairing", "left")]
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for i, p in enumerate(points, start=1):
        # Short: the full status text of every point would crowd the table.
        status = "optimal" if p.proven_optimal else f"NOT proven, gap {text(p.gap, 6) or '?'}"
        values = [str(i), term_text(x, p.x), term_text(y, p.y)]
        values += [amount_text(p.result.evaluation.total_shortfall, 4, 4)] if short else []
        table.add_row(*values, status, str(len(p.result.pairing)), pairing_hash(p))
    buffer = io.StringIO()
    console(buffer, color, 100).print(table)
    return buffer.getvalue()


def front_summary(points: list[FrontPoint], x: str, y: str, seconds: float) -> str:
    """One line for stderr: how many points, how many proven, and the wall time."""
    unproven = sum(not p.proven_optimal for p in points)
    if not points:
        proof = "no points"
    elif unproven == 0:
        proven = proof_text(Status.OPTIMAL, points[0].result.scenario.solver.mip_gap)
        proof = f"{len(points)} point(s), all {proven}"
    else:
        proof = f"{len(points)} point(s), {unproven} NOT proven optimal"
    return f"Pareto front of {x} and {y}: {proof}, in {seconds:.1f} s"
