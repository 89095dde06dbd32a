"""Pairs the rules or data leave out: recipients with fewer allowed donors than they must
have, and why their pairs are missing (too far, forbidden, excluded donors, not in the
pair table); fixed pairs that are not allowed."""

from __future__ import annotations

import math

import numpy as np

from ..scenario.geo import great_circle_km
from ..scenario.scenario import Scenario
from .reach import View, run_starts
from .wording import count_rule_name, distance_rule, pick_names, relax

# Donor-recipient pairs examined at once when explaining missing pairs (bounds memory).
_CHUNK = 2_000_000

_Why = tuple[str, list[str], str]  # the reason, what could be relaxed, what could be added


def too_few_donors(view: View) -> list[str]:
    """Recipients with fewer allowed donors than they must have, with why pairs are
    missing."""
    s, cand = view.s, view.cand
    short = np.flatnonzero(view.deg_r < view.least_r)
    lack = (view.least_r[short] - view.deg_r[short]).astype(np.int64)
    whys = _why_no_pairs(s, short, lack)
    out = []
    for r, (why, options, add) in zip(short.tolist(), whys, strict=True):
        count, required = int(view.deg_r[r]), int(view.least_r[r])
        start = int(view.starts[r])
        allowed = f" ({pick_names(s.donors, cand.donor[start : start + count])})" if count else ""
        low = s.donor_count_range[0][r]
        if low > count and low > 1:
            options = [*options, count_rule_name(s, "recipient", "min", r)]
        out.append(
            f"recipient {s.recipients[r]} can be served by {count} donor(s){allowed} but "
            f"needs {required}: {why}.{relax(options, add)}"
        )
    return out


def _why_no_pairs(scenario: Scenario, recipients: np.ndarray, lack: np.ndarray) -> list[_Why]:
    """For each recipient, why its pairs are missing: counted over every donor, in
    arrays, a chunk of recipients at a time. `lack`: how many more donors each needs."""
    n_d = len(scenario.donors)
    step = max(1, _CHUNK // max(n_d, 1))
    out: list[_Why] = []
    for start in range(0, len(recipients), step):
        out.extend(
            _why_no_pairs_chunk(
                scenario, recipients[start : start + step], lack[start : start + step]
            )
        )
    return out


def _why_no_pairs_chunk(scenario: Scenario, recipients: np.ndarray, lack: np.ndarray) -> list[_Why]:
    rules = scenario.rules
    n_d, n_r, n = len(scenario.donors), len(scenario.recipients), len(recipients)
    d = np.tile(np.arange(n_d, dtype=np.int64), n)
    r = np.repeat(recipients.astype(np.int64), n_d)
    group = np.repeat(np.arange(n, dtype=np.int64), n_d)
    rows = scenario.pair_table_rows(d, r)
    missing = rows < 0 if scenario.pairs is not None else np.zeros(len(d), dtype=bool)
    excluded = ~missing & scenario.excluded[d]
    forbidden = np.zeros(len(d), dtype=bool)
    if rules.forbidden:
        forbidden = (
            ~missing & ~excluded & np.isin(d * n_r + r, scenario.pair_codes(rules.forbidden))
        )
    far = np.zeros(len(d), dtype=bool)
    km = np.zeros(len(d))
    if scenario.has_distance_limit:
        km = _distances(scenario, d, r, rows)
        far = ~(missing | excluded | forbidden) & (km > scenario.distance_limits[d])
    lists = {}
    for name, mask in (
        ("far", far),
        ("forbidden", forbidden),
        ("excluded", excluded),
        ("missing", missing),
    ):
        pos = np.flatnonzero(mask)
        if name == "far":
            pos = pos[np.lexsort((km[pos], group[pos]))]  # nearest first
        lists[name] = (d[pos], km[pos], run_starts(group[pos], n))
    return [
        _why_text(scenario, scenario.recipients[int(recipients[i])], lists, i, int(lack[i]))
        for i in range(n)
    ]


def _distances(scenario: Scenario, d: np.ndarray, r: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Each pair's km: the pair table's where given, else great-circle (NaN if unknown)."""
    km = np.asarray(
        great_circle_km(
            scenario.donor_lat[d],
            scenario.donor_lon[d],
            scenario.recipient_lat[r],
            scenario.recipient_lon[r],
        ),
        dtype=float,
    )
    if scenario.pairs is not None and "km" in scenario.pairs.columns:
        given = rows >= 0
        table = np.full(len(d), np.nan)
        table[given] = scenario.pairs.columns["km"][rows[given]]
        km = np.where(np.isnan(table), km, table)
    return km


def _why_text(
    scenario: Scenario,
    recipient: str,
    lists: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    i: int,
    lack: int,
) -> _Why:
    donors = scenario.donors
    parts: list[str] = []
    options: list[str] = []
    add = ""

    def members(name: str) -> tuple[np.ndarray, np.ndarray]:
        d, km, starts = lists[name]
        return d[starts[i] : starts[i + 1]], km[starts[i] : starts[i + 1]]

    far, far_km = members("far")
    if len(far):
        per_donor = len(scenario.limits.max_distance_km) > 0
        beyond = (
            "beyond their max_distance_km"
            if per_donor
            else f"beyond max_distance_km {scenario.rules.max_distance_km:g}"
        )
        parts.append(
            f"{len(far)} donor(s) {beyond} (the nearest, {donors[far[0]]}, is "
            f"{far_km[0]:.0f} km away)"
        )
        k = min(lack, len(far)) - 1  # the lack-th nearest would make up the number
        target = f"to {math.ceil(far_km[k])} km or more"
        options.append(
            f"{donors[far[k]]}'s max_distance_km ({target})"
            if per_donor
            else f"max_distance_km ({target})"
        )
    for name, text, option in (
        ("forbidden", "forbidden", "the forbidden pairs"),
        ("excluded", "excluded", "exclude_donors"),
        ("missing", "not in the pair table", ""),
    ):
        ds, _ = members(name)
        if len(ds):
            parts.append(f"{len(ds)} {text} ({pick_names(donors, ds)})")
            if option:
                options.append(option)
            else:
                add = f"add pair-table rows for {recipient}"
    if not parts:
        parts.append(f"there are only {len(donors)} donor(s)")
        add = "add donors"
    return "; ".join(parts), options, add


def fixed_not_allowed(view: View) -> list[str]:
    """Fixed pairs that the rules or data rule out."""
    scenario = view.s
    rules = scenario.rules
    if not rules.fixed:
        return []
    fd, fr = view.fixed_pairs
    allowed = view.allowed(fd, fr).tolist()
    forbidden = {(p.donor, p.recipient) for p in rules.forbidden}
    reasons = []
    for p, ok in zip(rules.fixed, allowed, strict=True):
        if ok:
            continue
        d, r = scenario.pair_index(p.donor, p.recipient)
        if (
            scenario.pairs is not None
            and scenario.pair_table_rows(np.array([d]), np.array([r]))[0] < 0
        ):
            why = "it is not a candidate in the pair table"
            fix = relax(["the fixed pair"], "add it to the pair table")
        elif (p.donor, p.recipient) in forbidden:
            why = "it is also forbidden"
            fix = relax(["the fixed pair", "the forbidden pair"])
        elif scenario.excluded[d]:
            why = "its donor is excluded"
            fix = relax(["the fixed pair", f"exclude_donors ({p.donor})"])
        else:
            km = scenario.distance_km(d, r)
            rule = distance_rule(scenario, d)
            why = f"it is {km:.0f} km apart, over {rule}"
            name = rule.rsplit(" ", 1)[0]
            fix = relax(["the fixed pair", f"{name} (to {math.ceil(km)} km or more)"])
        reasons.append(f"fixed pair {p.donor} -> {p.recipient} cannot be honoured: {why}.{fix}")
    return reasons
