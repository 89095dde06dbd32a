"""Named reasons why no pairing can satisfy the rules, and what `pairopt check` reports.

Solvers say "infeasible" without saying why (neither HiGHS nor CBC returns an
irreducible infeasible set), so these checks test necessary conditions one by one and
name the recipients, donors and rules involved, and what could be relaxed. They are
sound (every reason is a real conflict: each follows from the model's own rules, with
amounts compared up to ROUNDING) but not complete: when none fires and the solver still
finds no pairing, the conflict lies in the rules' combination.

The checks, in the order reported (and the module that holds each):
- recipients with fewer allowed donors than they must have, and why pairs are missing
  (missing.py);
- fixed pairs the rules or data rule out (missing.py);
- counts forced on one row: a donor that must take more recipients than it may (its
  fixed pairs, and recipients whose every allowed donor is needed), and the same for a
  recipient's donors (counts.py);
- recipients whose best allowed donors cannot cover their need even together
  (capacity.py);
- donors forced over capacity: fixed pairs and recipients that have no other way to be
  covered, at the least share each must then carry (the whole need with one donor per
  recipient, min_share, or what the other donors cannot cover) (capacity.py);
- minimum commitments (min_load) a donor cannot reach (capacity.py);
- total need against total available capacity (capacity.py);
- a counting test by thresholds: the recipients that each need at least t of a donor's
  capacity against what the donors with room for them can take (thresholds.py);
- count rules whose pair slots cannot meet, in all (counts.py) and within groups of
  recipients that share their few allowed donors (a Hall-type count, groups.py).

Every check is a pass over arrays of the candidate pairs (the work grows with the number
of pairs), and the group counts look only at rows with few allowed partners.
"""

from __future__ import annotations

import math

from ..scenario.scenario import Scenario
from .capacity import forced_loads, min_loads, needs_out_of_reach, total_capacity_short
from .counts import forced_counts, pair_counts_apart
from .groups import crowded_groups
from .missing import fixed_not_allowed, too_few_donors
from .reach import View
from .thresholds import threshold_counts


def unservable(scenario: Scenario) -> list[str]:
    """Recipients with fewer allowed donors than they must have, with why pairs are missing."""
    return too_few_donors(View(scenario))


def conflicts(scenario: Scenario, short: list[str] | None = None) -> list[str]:
    """Every necessary condition that fails, as a sentence naming who and which rule, and
    what could be relaxed. `short` is unservable(scenario) when the caller has it already.

    Each check is a pass over arrays of the candidate pairs: the work grows with the
    number of pairs, not with donors x recipients."""
    view = View(scenario)
    short = too_few_donors(view) if short is None else short
    forced, flagged_d, flagged_r = forced_counts(view)
    reach, explained = needs_out_of_reach(view)
    apart, whole = pair_counts_apart(view, bool(short))
    groups = crowded_groups(view, flagged_d, flagged_r, whole)
    return [
        *short,
        *fixed_not_allowed(view),
        *forced,
        *reach,
        *forced_loads(view, explained),
        *min_loads(view),
        *total_capacity_short(view),
        *threshold_counts(view, bool(short or forced or apart or groups)),
        *apart,
        *groups,
    ]


def resource_totals(scenario: Scenario) -> list[dict[str, object]]:
    """Per resource: its name (None for the one unnamed resource), the capacity and
    available capacity of the donors not excluded, the total need and its share of the
    available capacity, and `coverage`: "full" when the need must be covered in full, else
    the price per unit of need left uncovered (rules.coverage)."""
    active = ~scenario.excluded
    out: list[dict[str, object]] = []
    for k, name in enumerate(scenario.resources):
        available = float(scenario.available_matrix[active, k].sum())
        need = float(scenario.need_matrix[:, k].sum())
        price = float(scenario.penalties[k])
        out.append(
            {
                "name": name or None,
                "total_capacity": float(scenario.capacity_matrix[active, k].sum()),
                "available_capacity": available,
                "total_need": need,
                "need_share_of_available": need / available if available > 0 else None,
                "coverage": "full" if math.isnan(price) else price,
            }
        )
    return out


def summary(scenario: Scenario) -> dict[str, object]:
    """What `pairopt check` reports: sizes, totals and every conflict found without solving.
    The top-level totals are the first resource's; `resources` has every resource's."""
    cand = scenario.candidates
    active = ~scenario.excluded
    capacity = float(scenario.capacity[active].sum())
    available = float(scenario.effective_capacity[active].sum())
    need = float(scenario.need.sum())
    n_d, n_r = len(scenario.donors), len(scenario.recipients)
    possible = len(scenario.pairs.donor) if scenario.pairs is not None else n_d * n_r
    short = unservable(scenario)
    return {
        "scenario": scenario.name,
        "donors": n_d,
        "excluded_donors": int(scenario.excluded.sum()),
        "recipients": n_r,
        "candidate_pairs": possible,
        "allowed_pairs": len(cand),
        "total_capacity": capacity,
        "available_capacity": available,
        "total_need": need,
        "need_share_of_available": need / available if available > 0 else None,
        "resources": resource_totals(scenario),
        "unservable_recipients": short,
        "conflicts": conflicts(scenario, short),
    }
