"""What `pairopt check` prints: the scenario's sizes and totals, and any conflict found
without solving (the dict from checks.diagnose.summary)."""

from __future__ import annotations

FIELD = 20  # width of the `field:` column


def check_text(info: dict[str, object]) -> str:
    """One `field:   value` line each, then every conflict on a line of its own. With
    named resources the totals are one line per resource."""
    share = info["need_share_of_available"]
    conflicts = info["conflicts"]
    assert isinstance(conflicts, list)  # summary() always lists them; this narrows the type
    resources = info.get("resources")
    totals = resources if isinstance(resources, list) else []
    lines = [
        f"scenario:           {info['scenario']}",
        f"donors:             {info['donors']} ({info['excluded_donors']} excluded)",
        f"recipients:         {info['recipients']}",
        f"pairs allowed:      {info['allowed_pairs']} of {info['candidate_pairs']}",
    ]
    if any(r["name"] for r in totals):
        lines.append("resources:".ljust(FIELD) + ", ".join(str(r["name"]) for r in totals))
        lines += [(f"  {r['name']}:".ljust(FIELD - 1) + " " + _resource_text(r)) for r in totals]
    else:
        lines += [
            f"total capacity:     {info['total_capacity']:g} "
            f"(available after reserve: {info['available_capacity']:g})",
            f"total need:         {info['total_need']:g}"
            + (f" ({share:.1%} of available)" if isinstance(share, float) else ""),
        ]
        price = totals[0]["coverage"] if totals else "full"
        if isinstance(price, float):
            lines.append(
                f"coverage:           need may go uncovered at {price:g} per unit "
                "(rules.coverage shortfall price)"
            )
    if conflicts:
        lines.append(f"conflicts:          {len(conflicts)} (no pairing can satisfy the rules)")
        lines += [f"  - {line}" for line in conflicts]
    else:
        lines.append("conflicts:          none found (the solver decides the rest)")
    return "".join(line + "\n" for line in lines)


def _resource_text(r: dict[str, object]) -> str:
    """'capacity 1200 (available 1080); need 950 (88.0% of available); covered in full':
    available is capacity less each donor's reserve."""
    share, price = r["need_share_of_available"], r["coverage"]
    return (
        f"capacity {r['total_capacity']:g} (available {r['available_capacity']:g}); "
        f"need {r['total_need']:g}"
        + (f" ({share:.1%} of available)" if isinstance(share, float) else "")
        + "; "
        + (
            f"shortfall priced at {price:g} per unit"
            if isinstance(price, float)
            else "covered in full"
        )
    )
