"""What `pairopt check` prints: the scenario's sizes and totals, and any conflict found
without solving (the dict from checks.diagnose.summary)."""

from __future__ import annotations


def check_text(info: dict[str, object]) -> str:
    """One `field:   value` line each, then every conflict on a line of its own."""
    share = info["need_share_of_available"]
    conflicts = info["conflicts"]
    assert isinstance(conflicts, list)  # summary() always lists them; this narrows the type
    lines = [
        f"scenario:           {info['scenario']}",
        f"donors:             {info['donors']} ({info['excluded_donors']} excluded)",
        f"recipients:         {info['recipients']}",
        f"pairs allowed:      {info['allowed_pairs']} of {info['candidate_pairs']}",
        f"total capacity:     {info['total_capacity']:g} "
        f"(available after reserve: {info['available_capacity']:g})",
        f"total need:         {info['total_need']:g}"
        + (f" ({share:.1%} of available)" if isinstance(share, float) else ""),
    ]
    if conflicts:
        lines.append(f"conflicts:          {len(conflicts)} (no pairing can satisfy the rules)")
        lines += [f"  - {line}" for line in conflicts]
    else:
        lines.append("conflicts:          none found (the solver decides the rest)")
    return "".join(line + "\n" for line in lines)
