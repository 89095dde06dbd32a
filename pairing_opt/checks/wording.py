"""How the conflict checks word their messages: lists of names that stay short however
long the list, the rules named with their values, and the closing "Relax ..." sentence."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import overload

import numpy as np

from ..scenario.scenario import Scenario, listing

RULE_ROWS = 10  # rule names gathered from at most this many rows for one message


class _Lazy(Sequence[str]):
    """n names made on demand: listing() reads only the first few, so a list of
    thousands costs nothing."""

    def __init__(self, name: Callable[[int], str], n: int) -> None:
        self._name, self._n = name, n

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...

    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        if isinstance(i, slice):
            return [self._name(k) for k in range(*i.indices(self._n))]
        if not -self._n <= i < self._n:
            raise IndexError(i)
        return self._name(i % self._n)


def name_list(name: Callable[[int], str], n: int) -> str:
    """listing() of name(0), ..., name(n - 1)."""
    return listing(_Lazy(name, n))


def pick_names(names: Sequence[str], idx: np.ndarray, amounts: np.ndarray | None = None) -> str:
    """listing() of names[idx[i]], each followed by amounts[i] where given."""

    def item(i: int) -> str:
        name = names[int(idx[i])]
        return name if amounts is None else f"{name} {amounts[i]:g}"

    return listing(_Lazy(item, len(idx)))


def listed_first(first: Sequence[str], total: int) -> str:
    """listing() of `total` items of which `first` holds at least the ones shown."""
    return listing(_Lazy(lambda i: first[i] if i < len(first) else "", total))


def either(options: Sequence[str]) -> str:
    """'a', 'a or b', 'a, b or c' (each option once)."""
    items = list(dict.fromkeys(o for o in options if o))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def relax(options: Sequence[str], add: str = "") -> str:
    """The closing sentence: what could be relaxed (and what could be added)."""
    text = either(options)
    if text and add:
        return f" Relax {text}, or {add}."
    if text:
        return f" Relax {text}."
    return f" {add[0].upper()}{add[1:]}." if add else ""


def pct(x: float) -> str:
    """A share as a percentage to 0.1%, with more digits where that would round a share
    short of all of it up to 100.0%."""
    text = f"{x:.1%}"
    if text == "100.0%" and x < 1:
        return f"{math.floor(x * 1e6) / 1e4:.4f}%"
    return text


def round_down(x: float) -> str:
    """An amount rounded down to 3 decimals (what can be done is never overstated)."""
    return f"{math.floor(x * 1000 + 1e-9) / 1000:g}"


def of_resource(scenario: Scenario, k: int) -> str:
    """' of staff' with several resources, '' with one."""
    return f" of {scenario.resources[k]}" if scenario.multi_resource else ""


# The per-row column and the scenario-wide rule behind each count bound.
_COUNT_RULES = {
    ("recipient", "min"): ("min_donors", "donors_per_recipient min"),
    ("recipient", "max"): ("max_donors", "donors_per_recipient max"),
    ("donor", "min"): ("min_recipients", "recipients_per_donor min"),
    ("donor", "max"): ("max_recipients", "recipients_per_donor max"),
}


def _given(column: np.ndarray, i: int) -> bool:
    """A per-row rule column gives a value on row i."""
    return len(column) > i and not math.isnan(float(column[i]))


def count_rule_name(scenario: Scenario, side: str, bound: str, i: int) -> str:
    """The rule that sets row i's count bound: its table column or the scenario rule."""
    column, rule = _COUNT_RULES[side, bound]
    return column if _given(getattr(scenario.limits, column), i) else rule


def count_rule(scenario: Scenario, side: str, bound: str, i: int) -> str:
    """That rule with its value: 'recipients_per_donor max 2', 'max_donors 1'."""
    low, high = (
        scenario.donor_count_range if side == "recipient" else scenario.recipient_count_range
    )
    value = (low if bound == "min" else high)[i]
    return f"{count_rule_name(scenario, side, bound, i)} {value:g}"


def reserve_rule(scenario: Scenario, d: int) -> str:
    """'reserve 0.2': donor d's reserve."""
    return f"reserve {scenario.reserves[d]:g}"


def distance_rule(scenario: Scenario, d: int) -> str:
    """'max_distance_km 300', or the donor's own limit from its table column."""
    limit = float(scenario.distance_limits[d])
    if _given(scenario.limits.max_distance_km, d):
        return f"{scenario.donors[d]}'s max_distance_km {limit:g}"
    return f"max_distance_km {limit:g}"


def least_donors_text(s: Scenario) -> str:
    """The rules behind the least number of donors each recipient must have."""
    low = s.rules.donors_per_recipient.min
    if len(s.limits.min_donors):
        return "min_donors and donors_per_recipient min, and a donor for each need"
    if low >= 1:
        return f"donors_per_recipient min {low}"
    return "a donor for each need to cover"


def least_recipients_text(s: Scenario) -> str:
    """The rules behind the least number of recipients each donor must take."""
    if len(s.limits.min_recipients):
        return "min_recipients and recipients_per_donor min"
    return f"recipients_per_donor min {s.rules.recipients_per_donor.min}"
