"""Named reasons why no pairing can satisfy the rules.

Solvers say "infeasible" without saying why (neither HiGHS nor CBC returns an
irreducible infeasible set), so these checks test necessary conditions one by one and
name the recipients, donors and rules involved, and what could be relaxed. They are
sound (every reason is a real conflict: each follows from the model's own rules, with
amounts compared up to ROUNDING) but not complete: when none fires and the solver still
finds no pairing, the conflict lies in the rules' combination.

The checks, in the order reported:
- recipients with fewer allowed donors than they must have, and why pairs are missing;
- fixed pairs the rules or data rule out;
- counts forced on one row: a donor that must take more recipients than it may (its
  fixed pairs, and recipients whose every allowed donor is needed), and the same for a
  recipient's donors;
- recipients whose best allowed donors cannot cover their need even together;
- donors forced over capacity: fixed pairs and recipients that have no other way to be
  covered, at the least share each must then carry (the whole need with one donor per
  recipient, min_share, or what the other donors cannot cover);
- minimum commitments (min_load) a donor cannot reach;
- total need against total available capacity;
- a counting test by thresholds: the recipients that each need at least t of a donor's
  capacity against what the donors with room for them can take;
- count rules whose pair slots cannot meet, in all and within groups of recipients
  that share their few allowed donors (a Hall-type count).

Every check is a pass over arrays of the candidate pairs (the work grows with the number
of pairs), and the group counts look only at rows with few allowed partners.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import overload

import numpy as np

from ..scenario.geo import great_circle_km
from ..scenario.scenario import MAX_LISTED, ROUNDING, Scenario, listing

INF = math.inf
_RULE_ROWS = 10  # rule names gathered from at most this many rows for one message
# Thresholds x donors examined by the threshold counting test (bounds time and memory).
_CELLS = 1_000_000
# Rows with at most this many allowed partners are grouped by the Hall-type count, and
# every subset of such a row's partners is looked up (2**6 = 64 per row).
_SMALL = 6
# Look-ups of the Hall-type count over all groups (bounds time on large scenarios).
_LOOKUPS = 200_000
# Recipients that may have up to this many donors less one are summed level by level.
_LEVELS = 6
# At most this many group conflicts are reported on each side.
_GROUPS_SHOWN = 5


# --------------------------------------------------------------------------- wording


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


def _names(name: Callable[[int], str], n: int) -> str:
    """listing() of name(0), ..., name(n - 1)."""
    return listing(_Lazy(name, n))


def _pick(names: Sequence[str], idx: np.ndarray, amounts: np.ndarray | None = None) -> str:
    """listing() of names[idx[i]], each followed by amounts[i] where given."""

    def item(i: int) -> str:
        name = names[int(idx[i])]
        return name if amounts is None else f"{name} {amounts[i]:g}"

    return listing(_Lazy(item, len(idx)))


def _listed(first: Sequence[str], total: int) -> str:
    """listing() of `total` items of which `first` holds at least the ones shown."""
    return listing(_Lazy(lambda i: first[i] if i < len(first) else "", total))


def _either(options: Sequence[str]) -> str:
    """'a', 'a or b', 'a, b or c' (each option once)."""
    items = list(dict.fromkeys(o for o in options if o))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _relax(options: Sequence[str], add: str = "") -> str:
    """The closing sentence: what could be relaxed (and what could be added)."""
    text = _either(options)
    if text and add:
        return f" Relax {text}, or {add}."
    if text:
        return f" Relax {text}."
    return f" {add[0].upper()}{add[1:]}." if add else ""


def _pct(x: float) -> str:
    """A share as a percentage to 0.1%, with more digits where that would round a share
    short of all of it up to 100.0%."""
    text = f"{x:.1%}"
    if text == "100.0%" and x < 1:
        return f"{math.floor(x * 1e6) / 1e4:.4f}%"
    return text


def _down(x: float) -> str:
    """An amount rounded down to 3 decimals (what can be done is never overstated)."""
    return f"{math.floor(x * 1000 + 1e-9) / 1000:g}"


def _of(scenario: Scenario, k: int) -> str:
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


def _rule_name(scenario: Scenario, side: str, bound: str, i: int) -> str:
    """The rule that sets row i's count bound: its table column or the scenario rule."""
    column, rule = _COUNT_RULES[side, bound]
    return column if _given(getattr(scenario.limits, column), i) else rule


def _rule(scenario: Scenario, side: str, bound: str, i: int) -> str:
    """That rule with its value: 'recipients_per_donor max 2', 'max_donors 1'."""
    low, high = (
        scenario.donor_count_range if side == "recipient" else scenario.recipient_count_range
    )
    value = (low if bound == "min" else high)[i]
    return f"{_rule_name(scenario, side, bound, i)} {value:g}"


def _reserve(scenario: Scenario, d: int) -> str:
    return f"reserve {scenario.reserves[d]:g}"


# --------------------------------------------------------------------------- shared data


def _groups(keys: np.ndarray, n: int) -> np.ndarray:
    """Start of each key's run in an array sorted by key (n + 1 offsets)."""
    return np.searchsorted(keys, np.arange(n + 1))


def _top_sums(
    rec: np.ndarray, rank: np.ndarray, value: np.ndarray, k: np.ndarray, n: int
) -> np.ndarray:
    """Per recipient, the sum of its k[r] first values (rank < k), summed per recipient in
    order (no differences of long running sums, which would lose precision)."""
    mask = rank < k[rec]
    return np.bincount(rec[mask], weights=value[mask], minlength=n)


class _View:
    """What the checks share: each row's count range, and the candidates ranked by reach."""

    def __init__(self, scenario: Scenario) -> None:
        s = self.s = scenario
        cand = self.cand = scenario.candidates
        self.n_d, self.n_r, self.n_k = len(s.donors), len(s.recipients), len(s.resources)
        self.deg_r = np.bincount(cand.recipient, minlength=self.n_r)
        self.deg_d = np.bincount(cand.donor, minlength=self.n_d)
        self.starts = _groups(cand.recipient, self.n_r)  # candidates are sorted by recipient
        self.full = np.isnan(s.penalties)  # per resource: need covered in full
        self.single = s.single_donor
        need = s.need_matrix
        # (recipients, resources): a need the pairing must cover in full
        self.must_cover = (need > 0) & self.full[None, :]
        low_r, high_r = s.donor_count_range
        # With one donor per recipient, a recipient with any need has exactly one donor;
        # otherwise a need covered in full needs at least one.
        needs_one = s.has_need if self.single else self.must_cover.any(axis=1)
        self.least_r = np.maximum(low_r, needs_one.astype(float))
        self.most_r = high_r
        low_d, high_d = s.recipient_count_range
        self.least_d = np.where(s.excluded, 0.0, low_d)  # excluded donors are exempt
        self.most_d = np.where(s.excluded, INF, high_d)
        # Available capacity with room for round-off: a load within it may fit.
        self.room = s.available_matrix * (1 + ROUNDING) + ROUNDING
        self.active = np.flatnonzero(~s.excluded)
        self._reach: dict[int, _Reach] = {}

    @cached_property
    def limit_r(self) -> np.ndarray:
        """Per recipient, how many donors it may use: its maximum, or all it has."""
        return np.asarray(
            np.where(np.isinf(self.most_r), self.deg_r, np.minimum(self.deg_r, self.most_r)),
            dtype=np.int64,
        )

    def reach(self, k: int) -> _Reach:
        """What resource k's donors can cover (computed once)."""
        if k not in self._reach:
            self._reach[k] = _Reach(self, k)
        return self._reach[k]

    @cached_property
    def usable(self) -> np.ndarray:
        """With one donor per recipient: candidates whose donor has room for the whole
        need of every resource (the only pairs a pairing can use)."""
        loads = self.cand.loads
        return np.asarray((loads <= self.room[self.cand.donor]).all(axis=1))

    def widen(self, side: str, rows: Sequence[int] | np.ndarray, whom: str) -> str:
        """The rules that keep pairs out, to relax for more partners of `rows` ('' when
        each has every possible partner already)."""
        s = self.s
        rows = np.asarray(rows, dtype=np.int64)
        deg, every = (
            (self.deg_r, len(self.active)) if side == "recipient" else (self.deg_d, self.n_r)
        )
        if not len(rows) or bool((deg[rows] >= every).all()):
            return ""
        causes = [
            cause
            for cause, present in (
                ("max_distance_km", s.has_distance_limit),
                ("the forbidden pairs", bool(s.rules.forbidden)),
                ("the pair table", s.pairs is not None),
                ("exclude_donors", bool(s.excluded.any())),
            )
            if present
        ]
        partners = "donors" if side == "recipient" else "recipients"
        return f"{'/'.join(causes)} (more {partners} for {whom})" if causes else ""

    @cached_property
    def _codes(self) -> np.ndarray:
        """Candidates as codes recipient x donors + donor: ascending, as they are sorted."""
        return np.asarray(self.cand.recipient * self.n_d + self.cand.donor)

    def allowed(self, d: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Whether each pair (d, r) is a candidate (binary search, no pass over them all)."""
        codes = self._codes
        if not len(codes) or not len(d):
            return np.zeros(len(d), dtype=bool)
        wanted = r * self.n_d + d
        pos = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
        return np.asarray(codes[pos] == wanted)

    @cached_property
    def fixed_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Donor and recipient indices of every fixed pair (allowed or not)."""
        pairs = [self.s.pair_index(p.donor, p.recipient) for p in self.s.rules.fixed]
        d = np.array([a for a, _ in pairs], dtype=np.int64)
        r = np.array([b for _, b in pairs], dtype=np.int64)
        return d, r


class _Reach:
    """Resource k: the share of each recipient's need its best allowed donors can cover (as
    many donors as it may have), and for chosen candidates what the others can cover."""

    def __init__(self, view: _View, k: int) -> None:
        cand, n_r = view.cand, view.n_r
        self.view, self.k = view, k
        self.reach = reach = np.asarray(view.s.reach_matrix[:, k])
        self.q = q = view.limit_r
        has = view.deg_r > 0
        firsts = view.starts[:-1][has]
        self.total = np.zeros(n_r)
        self.top = np.zeros(n_r)
        second = np.zeros(n_r)  # the second best donor's reach (the best's, if tied)
        if len(cand):
            self.total[has] = np.add.reduceat(reach, firsts)
            self.top[has] = np.maximum.reduceat(reach, firsts)
            at_top = reach == self.top[cand.recipient]
            tied = np.add.reduceat(at_top.astype(np.int64), firsts) > 1
            below = np.where(at_top, -INF, reach)
            second[has] = np.maximum(np.maximum.reduceat(below, firsts), 0.0)
            second[has] = np.where(tied, self.top[has], second[has])
        # Most recipients may use one donor, or all they have: no sorting needed then.
        all_of = q >= view.deg_r
        best = np.where(all_of, self.total, np.where(q == 1, self.top, 0.0))
        # What q + 1 best donors cover: what a donor's others cover is at least that, less
        # the best one (see _forced_loads).
        more = np.where(all_of, self.total, np.where(q == 1, self.top + second, 0.0))
        middle = (q > 1) & ~all_of
        if middle.any():
            most = int(q[middle].max()) + 1
            if most <= _LEVELS:
                sums = self._by_levels(middle, most)
                j = np.minimum(q, most - 1)[None, :]  # rows outside `middle`: any index
                best[middle] = np.take_along_axis(sums, j, axis=0)[0][middle]
                more[middle] = np.take_along_axis(sums, j + 1, axis=0)[0][middle]
            else:
                rec, rank, value, _ = self._sorted(middle)
                best[middle] = _top_sums(rec, rank, value, q, n_r)[middle]
                more[middle] = _top_sums(rec, rank, value, q + 1, n_r)[middle]
        self.best = best
        self.more = more

    def _by_levels(self, rows: np.ndarray, most: int) -> np.ndarray:
        """(most + 1, recipients): the sum of each recipient's j best reaches, j = 0 ..
        most, for the recipients in mask `rows` (0 elsewhere). Taken level by level
        (the largest value left and how often it occurs), without sorting: reaches are
        mostly 1, so one or two levels usually settle every recipient."""
        view, n_r = self.view, self.view.n_r
        rec, vals = view.cand.recipient, self.reach
        if not rows.all():
            at = np.flatnonzero(rows[rec])
            rec, vals = rec[at], vals[at]
        vals = vals.copy()
        starts = _groups(rec, n_r)
        has = np.diff(starts) > 0
        firsts = starts[:-1][has]
        deg = np.diff(starts)
        sums = np.zeros((most + 1, n_r))
        filled = np.zeros(n_r, dtype=np.int64)
        j = np.arange(most + 1)[:, None]
        while len(vals) and (filled < np.minimum(deg, most)).any():
            level = np.full(n_r, -INF)
            level[has] = np.maximum.reduceat(vals, firsts)
            live = level > -INF
            at_level = vals == level[rec]
            count = np.zeros(n_r, dtype=np.int64)
            count[has] = np.add.reduceat(at_level.astype(np.int64), firsts)
            # This level's value fills places filled + 1 .. filled + count.
            places = np.clip(np.minimum(j, filled + count) - filled, 0, None)
            sums += np.where(live, level, 0.0) * places
            filled += np.where(live, count, 0)
            vals = np.where(at_level, -INF, vals)
        return sums

    def _sorted(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The candidates of the recipients in mask `rows`, by recipient and best reach
        first: recipient, rank among its candidates, reach, candidate index."""
        view = self.view
        idx = np.flatnonzero(rows[view.cand.recipient])
        rec = view.cand.recipient[idx]
        order = np.lexsort((-self.reach[idx], rec))
        idx, rec = idx[order], rec[order]
        starts = _groups(rec, view.n_r)
        rank = np.arange(len(rec)) - starts[rec]
        return rec, rank, self.reach[idx], idx

    def best_donors(self, r: int, n: int) -> np.ndarray:
        """Recipient r's n best candidates (indices), best first."""
        view = self.view
        a, b = int(view.starts[r]), int(view.starts[r + 1])
        order = np.argsort(-self.reach[a:b], kind="stable")
        return a + order[:n]

    def others(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For the candidates of the recipients in mask `rows`: their indices, and what the
        recipient's other donors can cover with q donors and with q - 1 of them."""
        n_r, q = self.view.n_r, self.q
        rec, rank, value, idx = self._sorted(rows)
        top_less = _top_sums(rec, rank, value, np.maximum(q - 1, 0), n_r)
        top_q = _top_sums(rec, rank, value, q, n_r)
        top_more = _top_sums(rec, rank, value, q + 1, n_r)
        qq = q[rec]
        with_q = np.where(rank < qq, top_more[rec] - value, top_q[rec])
        with_less = np.where(rank < qq - 1, top_q[rec] - value, top_less[rec])
        return idx, with_q, with_less


# --------------------------------------------------------------------------- unservable


def unservable(scenario: Scenario) -> list[str]:
    """Recipients with fewer allowed donors than they must have, with why pairs are missing."""
    return _unservable(_View(scenario))


def _unservable(view: _View) -> list[str]:
    s, cand = view.s, view.cand
    short = np.flatnonzero(view.deg_r < view.least_r)
    lack = (view.least_r[short] - view.deg_r[short]).astype(np.int64)
    whys = _why_no_pairs(s, short, lack)
    out = []
    for r, (why, options, add) in zip(short.tolist(), whys, strict=True):
        count, required = int(view.deg_r[r]), int(view.least_r[r])
        start = int(view.starts[r])
        allowed = f" ({_pick(s.donors, cand.donor[start : start + count])})" if count else ""
        low = s.donor_count_range[0][r]
        if low > count and low > 1:
            options = [*options, _rule_name(s, "recipient", "min", r)]
        out.append(
            f"recipient {s.recipients[r]} can be served by {count} donor(s){allowed} but "
            f"needs {required}: {why}.{_relax(options, add)}"
        )
    return out


# Donor-recipient pairs examined at once when explaining missing pairs (bounds memory).
_CHUNK = 2_000_000

_Why = tuple[str, list[str], str]  # the reason, what could be relaxed, what could be added


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
        lists[name] = (d[pos], km[pos], _groups(group[pos], n))
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


def _distance_rule(scenario: Scenario, d: int) -> str:
    """'max_distance_km 300', or the donor's own limit from its table column."""
    limit = float(scenario.distance_limits[d])
    if _given(scenario.limits.max_distance_km, d):
        return f"{scenario.donors[d]}'s max_distance_km {limit:g}"
    return f"max_distance_km {limit:g}"


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
            parts.append(f"{len(ds)} {text} ({_pick(donors, ds)})")
            if option:
                options.append(option)
            else:
                add = f"add pair-table rows for {recipient}"
    if not parts:
        parts.append(f"there are only {len(donors)} donor(s)")
        add = "add donors"
    return "; ".join(parts), options, add


# --------------------------------------------------------------------------- conflicts


def conflicts(scenario: Scenario, short: list[str] | None = None) -> list[str]:
    """Every necessary condition that fails, as a sentence naming who and which rule, and
    what could be relaxed. `short` is unservable(scenario) when the caller has it already.

    Each check is a pass over arrays of the candidate pairs: the work grows with the
    number of pairs, not with donors x recipients."""
    view = _View(scenario)
    short = _unservable(view) if short is None else short
    forced, flagged_d, flagged_r = _forced_counts(view)
    reach, explained = _needs_out_of_reach(view)
    apart, whole = _pair_counts_apart(view, bool(short))
    groups = _crowded(view, flagged_d, flagged_r, whole)
    return [
        *short,
        *_fixed_not_allowed(view),
        *forced,
        *reach,
        *_forced_loads(view, explained),
        *_min_loads(view),
        *_total_capacity_short(view),
        *_threshold_counts(view, bool(short or forced or apart or groups)),
        *apart,
        *groups,
    ]


def _exceeds(amount: float, limit: float) -> bool:
    """amount > limit by more than rounding: a conflict must be real, not round-off."""
    return amount > limit * (1 + ROUNDING) + ROUNDING


def _fixed_not_allowed(view: _View) -> list[str]:
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
            fix = _relax(["the fixed pair"], "add it to the pair table")
        elif (p.donor, p.recipient) in forbidden:
            why = "it is also forbidden"
            fix = _relax(["the fixed pair", "the forbidden pair"])
        elif scenario.excluded[d]:
            why = "its donor is excluded"
            fix = _relax(["the fixed pair", f"exclude_donors ({p.donor})"])
        else:
            km = scenario.distance_km(d, r)
            rule = _distance_rule(scenario, d)
            why = f"it is {km:.0f} km apart, over {rule}"
            name = rule.rsplit(" ", 1)[0]
            fix = _relax(["the fixed pair", f"{name} (to {math.ceil(km)} km or more)"])
        reasons.append(f"fixed pair {p.donor} -> {p.recipient} cannot be honoured: {why}.{fix}")
    return reasons


# --------------------------------------------------------------------------- forced counts


def _forced_counts(view: _View) -> tuple[list[str], set[int], set[int]]:
    """Counts forced on one row: the recipients a donor must take (its fixed pairs, and
    recipients that need every one of their allowed donors) against its maximum, and the
    same for a recipient's donors; plus rows whose own rules cannot meet. Returns the
    messages and the donors and recipients they name as over their maximum."""
    s, cand = view.s, view.cand
    n_r = view.n_r
    fd, fr = view.fixed_pairs
    fixed_codes = set((fd * n_r + fr).tolist())
    out: list[str] = []
    flagged_d: set[int] = set()
    flagged_r: set[int] = set()

    # Donors: recipients whose every allowed donor is needed, and fixed pairs.
    if np.isfinite(view.most_d).any():
        every = (view.least_r > 0) & (view.deg_r == view.least_r)
        pick = every[cand.recipient]
        codes = np.unique(
            np.concatenate([cand.donor[pick] * n_r + cand.recipient[pick], fd * n_r + fr])
        )
        count = np.bincount(codes // n_r, minlength=view.n_d)
        for d in np.flatnonzero(count > view.most_d).tolist():
            mine = codes[np.searchsorted(codes, d * n_r) : np.searchsorted(codes, (d + 1) * n_r)]
            items, options = [], [_rule_name(s, "donor", "max", d)]
            for code in mine.tolist():
                r = code % n_r
                name = s.recipients[r]
                if code in fixed_codes:
                    items.append(f"{name} (fixed pair)")
                    options.append("the fixed pairs")
                elif view.deg_r[r] == 1:
                    items.append(f"{name} (its only allowed donor)")
                    options.append(view.widen("recipient", [r], "them"))
                else:
                    items.append(
                        f"{name} (needs all {view.deg_r[r]} of its allowed donors: "
                        f"{_rule(s, 'recipient', 'min', r)})"
                    )
                    options.append(_rule_name(s, "recipient", "min", r))
            flagged_d.add(d)
            out.append(
                f"donor {s.donors[d]} must take at least {len(mine)} recipients, more than "
                f"{_rule(s, 'donor', 'max', d)}: {listing(items)}.{_relax(options)}"
            )

    # Recipients: donors that need every one of their allowed recipients, and fixed pairs.
    if np.isfinite(view.most_r).any():
        every = (view.least_d > 0) & (view.deg_d == view.least_d)
        pick = every[cand.donor]
        codes = np.unique(
            np.concatenate([cand.donor[pick] * n_r + cand.recipient[pick], fd * n_r + fr])
        )
        count = np.bincount(codes % n_r, minlength=n_r)
        by_r = codes[np.argsort(codes % n_r, kind="stable")]
        r_starts = np.concatenate([[0], np.cumsum(count)])
        for r in np.flatnonzero(count > view.most_r).tolist():
            mine = by_r[r_starts[r] : r_starts[r + 1]]
            name = s.recipients[r]
            items, options = [], [_rule_name(s, "recipient", "max", r)]
            for code in mine.tolist():
                d = code // n_r
                if code in fixed_codes:
                    items.append(f"{s.donors[d]} (fixed pair)")
                    options.append("the fixed pairs")
                else:
                    whom = (
                        f"{name} is its only allowed recipient"
                        if view.deg_d[d] == 1
                        else f"needs all {view.deg_d[d]} of its allowed recipients"
                    )
                    items.append(f"{s.donors[d]} ({whom}: {_rule(s, 'donor', 'min', d)})")
                    options.append(_rule_name(s, "donor", "min", d))
            flagged_r.add(r)
            out.append(
                f"recipient {name} must take at least {len(mine)} donors, more than "
                f"{_rule(s, 'recipient', 'max', r)}: {listing(items)}.{_relax(options)}"
            )

    # A recipient with a need to cover in full, but no donor allowed by its own maximum.
    for r in np.flatnonzero(view.least_r > view.most_r).tolist():
        if r in flagged_r:
            continue
        out.append(
            f"recipient {s.recipients[r]} has a need to cover in full but "
            f"{_rule(s, 'recipient', 'max', r)}."
            + _relax([_rule_name(s, "recipient", "max", r), "rules.coverage"])
        )
    # min_share x a recipient's least number of donors above its whole need.
    share = s.rules.min_share
    if share > 0 and not view.single:
        crowded = s.has_need & (view.least_r * share > 1 + 1e-12)
        for r in np.flatnonzero(crowded).tolist():
            least = int(view.least_r[r])
            out.append(
                f"recipient {s.recipients[r]} must have at least {least} donors "
                f"({_rule(s, 'recipient', 'min', r)}), each covering at least min_share "
                f"{share:g} of its need: {least} x {share:g} is more than all of it."
                + _relax(["min_share", _rule_name(s, "recipient", "min", r)])
            )
    return out, flagged_d, flagged_r


# --------------------------------------------------------------------------- capacity


def _needs_out_of_reach(view: _View) -> tuple[list[str], np.ndarray]:
    """Each recipient alone: can its best allowed donors (as many as it may have) cover its
    whole need of each resource covered in full? Returns the messages and a mask of the
    recipients they name (and of those without enough donors)."""
    s, cand = view.s, view.cand
    # A recipient that may have no donor is named by the count checks; one without
    # enough donors is named already, and here too when even those cannot cover it.
    explained = view.least_r > view.most_r
    out: list[str] = []
    for k in range(view.n_k):
        if not view.full[k]:
            continue
        rk = view.reach(k)
        short = view.must_cover[:, k] & (view.deg_r > 0) & (rk.best < 1 - ROUNDING) & ~explained
        loads = cand.loads[:, k]
        avail = s.available_matrix[:, k]
        for r in np.flatnonzero(short).tolist():
            q = int(rk.q[r])
            top = rk.best_donors(r, min(q, MAX_LISTED))
            details = [
                f"{s.donors[d]} ({avail[d]:g} available for a load of {load:g})"
                for d, load in zip(cand.donor[top].tolist(), loads[top].tolist(), strict=True)
            ]
            limited = q < view.deg_r[r]
            rule = f" ({_rule(s, 'recipient', 'max', r)})" if limited else ""
            options = [_rule_name(s, "recipient", "max", r)] if limited else []
            options.append(view.widen("recipient", [r], "it"))
            if (s.reserves[cand.donor[top]] > 0).any():
                options.append("reserve")
            if view.single and not limited:
                options.insert(0, "donors_per_recipient max (to share the need)")
            out.append(
                f"recipient {s.recipients[r]} needs {s.need_matrix[r, k]:g}{_of(s, k)}, but "
                f"even its {q} best allowed donor(s), {_listed(details, q)}, can cover only "
                f"{_pct(float(rk.best[r]))} of it with their available capacity{rule}."
                + _relax(options, "add capacity")
            )
        explained |= short
    if view.single and view.n_k > 1:
        # One donor must cover every resource at once: a donor with room for each alone
        # may still have no room for all of them.
        fits = np.bincount(cand.recipient[view.usable], minlength=view.n_r) > 0
        short = s.has_need & (view.deg_r > 0) & ~fits & ~explained
        for r in np.flatnonzero(short).tolist():
            start, count = int(view.starts[r]), int(view.deg_r[r])
            out.append(
                f"recipient {s.recipients[r]} needs "
                + ", ".join(f"{s.need_matrix[r, k]:g} of {s.resources[k]}" for k in range(view.n_k))
                + f" from one donor, and none of its allowed donors "
                f"({_pick(s.donors, cand.donor[start : start + count])}) has room "
                "for all of it."
                + _relax(
                    ["donors_per_recipient max (to share the need)", "reserve"], "add capacity"
                )
            )
        explained |= short
    return out, explained | (view.deg_r < view.least_r)


def _forced_loads(view: _View, explained: np.ndarray) -> list[str]:
    """Donors forced over capacity. A donor must serve a recipient when the pair is fixed,
    when the recipient needs all its allowed donors, or when its other donors cannot
    cover a need that must be covered in full; it then carries at least: the whole need
    with one donor per recipient, else min_share of it, and what the recipient's other
    donors (as many as it may have besides) cannot cover with their capacity.

    Only the candidates of recipients where one of these can happen are looked at: the
    others of a donor cover at least what the recipient's q + 1 best donors cover less
    the single best one (`more - top`; q: how many donors it may have)."""
    s, cand = view.s, view.cand
    n_r = view.n_r
    share = s.rules.min_share
    every = (view.least_r > 0) & (view.deg_r <= view.least_r) & ~explained
    fragile = np.zeros(n_r, dtype=bool)
    for k in range(view.n_k):
        if view.full[k]:
            rk = view.reach(k)
            fragile |= view.must_cover[:, k] & (rk.more - rk.top < 1 - ROUNDING)
    fragile &= ~explained & (view.deg_r > 0)
    rows = fragile | every
    rows[cand.recipient[cand.fixed]] = True
    fd, fr = view.fixed_pairs
    outside = ~view.allowed(fd, fr)
    if not rows.any() and not outside.any():
        return []
    idx = np.flatnonzero(rows[cand.recipient])  # the candidates looked at
    rec = cand.recipient[idx]
    needed = every[rec]
    cornered = np.zeros(len(idx), dtype=bool)  # the other donors cannot cover a full need
    cover = np.full(len(idx), INF)  # for the message: the least the others can cover
    others_less: dict[int, np.ndarray] = {}
    for k in range(view.n_k):
        if not view.full[k]:
            continue
        found, with_q, with_less = view.reach(k).others(rows)
        order = np.argsort(found)  # back to candidate order, as idx is
        with_q, others_less[k] = with_q[order], with_less[order]
        short = view.must_cover[rec, k] & (with_q < 1 - ROUNDING) & fragile[rec]
        cornered |= short
        cover = np.where(short, np.minimum(cover, with_q), cover)
    must = cand.fixed[idx] | needed | cornered
    out: list[str] = []
    for k in range(view.n_k):
        need_k = s.need_matrix[rec, k] > 0
        if view.single:
            frac = np.where(must & need_k, 1.0, 0.0)
        else:
            frac = np.where(must & need_k, share, 0.0)
            if k in others_less:
                rest = np.where(explained[rec], 0.0, 1.0 - others_less[k])
                frac = np.where(must & need_k, np.maximum(frac, rest), frac)
        frac = np.where(frac < ROUNDING, 0.0, np.minimum(frac, 1.0))
        amount = frac * cand.loads[idx, k]
        total = np.bincount(cand.donor[idx], weights=amount, minlength=view.n_d)
        extra: dict[int, list[tuple[int, float]]] = {}
        least = 1.0 if view.single else share
        for d, r in zip(fd[outside].tolist(), fr[outside].tolist(), strict=True):
            value = least * s.load(d, r, k)
            if value > 0:
                total[d] += value
                extra.setdefault(d, []).append((r, value))
        avail = s.available_matrix[:, k]
        over = np.flatnonzero(total > avail * (1 + ROUNDING) + ROUNDING)
        forced = _Forced(idx, frac, amount, needed, cornered, cover, cand.donor[idx])
        for d in over.tolist():
            out.append(
                _forced_load_text(
                    view,
                    k,
                    d,
                    float(total[d]),
                    forced,
                    extra.get(d, []),
                )
            )
    return out


@dataclass
class _Forced:
    """What a donor is forced to carry, over the candidates looked at (`idx`)."""

    idx: np.ndarray  # candidate indices
    frac: np.ndarray  # least fraction of the need the donor covers
    amount: np.ndarray  # least load it carries
    needed: np.ndarray  # the recipient needs all its allowed donors
    cornered: np.ndarray  # the recipient's other donors cannot cover it
    cover: np.ndarray  # what those other donors can cover
    donor: np.ndarray  # the donor of each

    @cached_property
    def order(self) -> np.ndarray:
        """Positions by donor."""
        return np.argsort(self.donor, kind="stable")

    @cached_property
    def _sorted_donors(self) -> np.ndarray:
        return np.asarray(self.donor[self.order])

    def by_donor(self, d: int) -> tuple[int, int]:
        """The range of `order` that holds donor d's positions."""
        ds = self._sorted_donors
        return int(np.searchsorted(ds, d)), int(np.searchsorted(ds, d, side="right"))


def _forced_load_text(
    view: _View,
    k: int,
    d: int,
    total: float,
    forced: _Forced,
    extra: list[tuple[int, float]],
) -> str:
    s, cand = view.s, view.cand
    share = s.rules.min_share
    a, b = forced.by_donor(d)
    mine = forced.order[a:b]
    mine = mine[forced.amount[mine] > 0]
    mine = mine[np.argsort(-forced.amount[mine], kind="stable")]
    items: list[str] = []
    why: list[str] = []
    options: list[str] = []
    for i in mine.tolist():
        p = int(forced.idx[i])
        r = int(cand.recipient[p])
        if cand.fixed[p]:
            reason = "fixed pair"
            why.append("fixed pairs")
            options.append("the fixed pairs")
        elif forced.needed[i]:
            reason = (
                "its only allowed donor"
                if view.deg_r[r] == 1
                else f"needs all {view.deg_r[r]} of its allowed donors"
            )
            why.append("recipients without other donors")
            options.append(view.widen("recipient", [r], "them"))
        else:
            reason = (
                "no other allowed donor has room for it"
                if view.single
                else f"its other donors can cover only {_pct(float(forced.cover[i]))}"
            )
            why.append("recipients without other donors")
            options.append(view.widen("recipient", [r], "them"))
        load = float(cand.loads[p, k])
        frac = float(forced.frac[i])
        if view.single:
            part = "whole need"
            why.append("one donor per recipient")
            options.append("donors_per_recipient max (to share needs)")
        elif abs(frac - share) <= 1e-12:
            part = f"min_share {share:g} of {load:g}"
            why.append(f"min_share {share:g}")
            options.append("min_share")
        else:
            part = f"{_pct(frac)} of {load:g}"
        items.append(f"{s.recipients[r]} {forced.amount[i]:g} ({reason}, {part})")
    for r, value in extra:
        part = "whole need" if view.single else f"min_share {share:g}"
        items.append(f"{s.recipients[r]} {value:g} (fixed pair, {part})")
        why.append("fixed pairs")
        options.append("the fixed pairs")
        if not view.single:
            why.append(f"min_share {share:g}")
            options.append("min_share")
    if s.reserves[d] > 0:
        options.append("reserve")
    available = float(s.available_matrix[d, k])
    return (
        f"donor {s.donors[d]} must carry at least {total:g}{_of(s, k)} "
        f"({', '.join(dict.fromkeys(why))}) but has only {available:g} available "
        f"(capacity {s.capacity_matrix[d, k]:g}, {_reserve(s, d)}): {listing(items)}."
        + _relax(options, f"add capacity to {s.donors[d]}")
    )


def _min_loads(view: _View) -> list[str]:
    """Minimum commitments (min_load) a donor cannot reach: it carries at most its
    available capacity, and at most the whole loads of as many allowed recipients as it
    may take, the largest first."""
    s, cand = view.s, view.cand
    committed = s.min_load_matrix
    out: list[str] = []
    if not (committed > 0).any():
        return out
    for k in range(view.n_k):
        donors = np.flatnonzero((committed[:, k] > 0) & ~s.excluded)
        if not len(donors):
            continue
        bound = np.zeros(view.n_d, dtype=bool)
        bound[donors] = True
        mine = np.flatnonzero(bound[cand.donor])
        loads = cand.loads[mine, k]
        order = mine[np.lexsort((-loads, cand.donor[mine]))]
        d_sorted, l_sorted = cand.donor[order], cand.loads[order, k]
        starts = _groups(d_sorted, view.n_d)
        rank = np.arange(len(order)) - starts[d_sorted]
        most = np.where(np.isinf(view.most_d), view.deg_d, np.minimum(view.deg_d, view.most_d))
        take = rank < most[d_sorted]
        largest = np.bincount(d_sorted[take], weights=l_sorted[take], minlength=view.n_d)
        avail = s.available_matrix[:, k]
        for d in donors.tolist():
            reachable = min(float(largest[d]), float(avail[d]))
            if not _exceeds(float(committed[d, k]), reachable):
                continue
            options = ["min_load"]
            if avail[d] <= largest[d]:
                why = f"its available capacity is {avail[d]:g} ({_reserve(s, d)})"
                if s.reserves[d] > 0:
                    options.append("reserve")
            else:
                count = int(min(most[d], view.deg_d[d]))
                a = int(starts[d])
                why = (
                    f"the loads of its {count} largest allowed recipient(s) add up to "
                    f"{largest[d]:g} ("
                    + _pick(
                        s.recipients,
                        cand.recipient[order[a : a + count]],
                        l_sorted[a : a + count],
                    )
                    + ")"
                )
                if count < view.deg_d[d]:
                    why += f" at {_rule(s, 'donor', 'max', d)}"
                    options.append(_rule_name(s, "donor", "max", d))
                options.append(view.widen("donor", [d], "it"))
            out.append(
                f"donor {s.donors[d]} must carry at least {committed[d, k]:g}{_of(s, k)} "
                f"(its min_load) but can carry at most {reachable:g}: {why}." + _relax(options)
            )
    return out


def _total_capacity_short(view: _View) -> list[str]:
    """Totals: the cheapest way to cover each recipient against all available capacity,
    for each resource covered in full."""
    s, cand = view.s, view.cand
    n_r = view.n_r
    starts = view.starts
    has = view.deg_r > 0
    out: list[str] = []
    active = view.active
    for k in range(view.n_k):
        if not view.full[k]:
            continue
        least = np.zeros(n_r)
        if len(cand):
            least[has] = np.minimum.reduceat(cand.loads[:, k], starts[:-1][has])
        counted = np.flatnonzero(has & view.must_cover[:, k])
        cheapest = 0.0
        for value in least[counted].tolist():
            cheapest += value  # in recipient order, as a running sum
        avail = s.available_matrix[:, k]
        available = float(avail[active].sum()) if len(active) else 0.0
        if not _exceeds(cheapest, available):
            continue
        big = counted[np.argsort(-least[counted], kind="stable")]
        rich = active[np.argsort(-avail[active], kind="stable")]
        reserve = (
            f"reserve {s.rules.reserve:g}"
            if not len(s.limits.reserve)
            else "after each donor's reserve"
        )
        out.append(
            f"total need{_of(s, k)} (load {cheapest:g} at the least) exceeds the total "
            f"available capacity {available:g} of the {len(active)} donor(s) ({reserve}): "
            "the recipients' least loads "
            + _pick(s.recipients, big, least[big])
            + "; the donors' available capacity "
            + _pick(s.donors, rich, avail[rich])
            + "."
            + _relax(
                ["reserve"] if (s.reserves[active] > 0).any() else [], "add donors or capacity"
            )
        )
    return out


# --------------------------------------------------------------------------- counting


def _threshold_counts(view: _View, counted: bool) -> list[str]:
    """A counting test over thresholds, for each resource covered in full.

    For a threshold t, let R be the recipients whose every allowed pair costs its donor at
    least t (their cheapest load is >= t). Every recipient of R is covered in full: the
    fractions its donors cover sum to 1, so the fractions over R sum to |R|. A donor d
    covers a fraction f <= 1 of each of at most n_d(t) of them (its allowed pairs into R),
    of at most `max` recipients in all, and its capacity c bounds sum f x load <= c with
    every load >= t, so sum f <= c / t. Hence the sum over donors of
    min(n_d(t), max, c / t) must reach |R| (with one donor per recipient each f is 0 or
    1, so c / t rounds down). Where it does not, no pairing exists.

    A shortfall that the counts alone (min(n_d(t), max)) explain is left to the count
    checks when they report something (`counted`)."""
    cand = view.cand
    out: list[str] = []
    for k in range(view.n_k):
        if not view.full[k] or not len(cand):
            continue
        message = _threshold_count(view, k, counted)
        if message:
            out.append(message)
    return out


def _threshold_count(view: _View, k: int, counted: bool) -> str | None:
    cand = view.cand
    n_r = view.n_r
    covered = view.must_cover[:, k]
    pick = covered[cand.recipient]
    if view.single:
        pick &= view.usable  # a pair without room for the whole need is never used
    d_all, r_all, load_all = cand.donor, cand.recipient, cand.loads[:, k]
    if not pick.all():
        d_all, r_all, load_all = d_all[pick], r_all[pick], load_all[pick]
    if not len(d_all):
        return None
    # Each recipient's cheapest usable load (candidates are sorted by recipient).
    starts = _groups(r_all, n_r)
    has = np.diff(starts) > 0
    cheapest = np.full(n_r, INF)
    cheapest[has] = np.minimum.reduceat(load_all, starts[:-1][has])
    inside = (cheapest > 0) & np.isfinite(cheapest)
    if not inside.any():
        return None
    keep = inside[r_all]
    d_p, r_p = (d_all, r_all) if keep.all() else (d_all[keep], r_all[keep])
    values = np.unique(cheapest[inside])  # ascending; threshold j means "cheapest >= values[j]"
    size = len(values)
    # Recipients per threshold: those whose cheapest load is at least it.
    sorted_m = np.sort(cheapest[inside])
    counts = len(sorted_m) - np.searchsorted(sorted_m, values, side="left")
    # The donors that have pairs into R at the lowest threshold, renumbered.
    present = np.bincount(d_p, minlength=view.n_d) > 0
    donors = np.flatnonzero(present)
    number = np.cumsum(present) - 1
    n_dd = len(donors)
    # Thresholds to test: all, or (on large scenarios) the highest ones and a spread.
    most = max(16, _CELLS // max(n_dd, 1))
    if size > most:
        top = np.arange(size - most // 2, size)
        spread = np.linspace(0, size - most // 2 - 1, most - most // 2).astype(np.int64)
        tested = np.unique(np.concatenate([spread, top]))
    else:
        tested = np.arange(size)
    n_t = len(tested)
    # n[j, d]: the donor's allowed pairs into R at tested threshold j, i.e. pairs whose
    # recipient's cheapest load is at least values[tested[j]]: counted at the last tested
    # threshold they reach, then summed from the highest threshold down.
    entry = np.zeros(n_r, dtype=np.int64)
    entry[inside] = np.searchsorted(values, cheapest[inside])
    last = np.searchsorted(tested, entry, side="right") - 1  # per recipient
    wide = np.int64 if n_t * n_dd >= 2**31 else np.int32
    row = ((n_t - 1 - last) * n_dd).astype(wide)  # highest threshold first
    flipped = row[r_p] + number.astype(wide)[d_p]
    grid = np.bincount(flipped, minlength=n_t * n_dd).reshape(n_t, n_dd)
    n = np.cumsum(grid, axis=0)[::-1]
    t = values[tested]
    room = view.room[donors, k]
    by_capacity = room[None, :] / t[:, None]
    if view.single:
        by_capacity = np.floor(by_capacity)
    most_d = view.most_d[donors]
    by_count = np.minimum(n, most_d[None, :])
    take = np.minimum(by_count, by_capacity)
    total = take.sum(axis=1)
    need = counts[tested].astype(float)
    deficit = need - total
    bad = deficit >= 1 if view.single else deficit > 1e-9 * np.maximum(need, 1.0)
    if counted:  # leave shortfalls of the counts alone to the count checks
        bad &= need <= by_count.sum(axis=1)
    if not bad.any():
        return None
    # The largest shortfall; among equals the highest threshold (the fewest recipients).
    score = np.where(bad, deficit, -np.inf)
    j = int(np.flatnonzero(score == score.max())[-1])
    return _threshold_text(
        view, k, float(t[j]), cheapest, donors, take[j], n[j], by_capacity[j], float(total[j])
    )


def _threshold_text(
    view: _View,
    k: int,
    t: float,
    cheapest: np.ndarray,
    donors: np.ndarray,
    take: np.ndarray,
    pairs: np.ndarray,
    by_capacity: np.ndarray,
    total: float,
) -> str:
    s = view.s
    group = np.flatnonzero(np.isfinite(cheapest) & (cheapest >= t) & (cheapest > 0))
    group = group[np.argsort(-cheapest[group], kind="stable")]
    able = np.flatnonzero(take > 0)
    able = able[np.argsort(-take[able], kind="stable")]
    most_d = view.most_d[donors]
    options: list[str] = []
    if view.single:
        options.append("donors_per_recipient max (to share needs)")
    if ((take >= most_d) & (take < np.minimum(pairs, by_capacity))).any():
        options.append("recipients_per_donor max")
    if ((take >= pairs) & (take < np.minimum(by_capacity, most_d))).any():
        options.append(view.widen("recipient", group, "them"))
    if (s.reserves[donors] > 0).any():
        options.append("reserve")
    recipients = _names(lambda i: s.recipients[group[i]], len(group))
    n = len(group)
    if view.single:
        shown = _names(
            lambda i: f"{s.donors[donors[able[i]]]} (room for {take[able[i]]:g})", len(able)
        )
        return (
            f"{n} recipients each need at least {t:g}{_of(s, k)} of one donor's available "
            f"capacity (one donor covers a whole need): {recipients}; only {len(able)} "
            f"donor(s) allowed for them have that much, {shown or 'none'}, and can take at "
            f"most {total:g} of them." + _relax(options, "add capacity")
        )
    shown = _names(
        lambda i: f"{s.donors[donors[able[i]]]} (up to {_down(take[able[i]])})", len(able)
    )
    return (
        f"{n} recipients each need at least {t:g}{_of(s, k)} of a donor's available "
        f"capacity to be covered in full: {recipients}; the {len(able)} donor(s) allowed "
        f"for them with room, {shown or 'none'}, can cover at most {_down(total)} of these "
        f"{n} needs." + _relax(options, "add capacity")
    )


def _pair_counts_apart(view: _View, unservable_now: bool) -> tuple[list[str], tuple[bool, bool]]:
    """Counting: pair slots on each side must overlap. `unservable_now`: a recipient
    without enough donors already explains a shortfall of pairs. Returns the messages and
    whether the totals fail on the recipients' side and on the donors' side."""
    s = view.s
    active = view.active
    n_r = view.n_r
    deg_d, deg_r = view.deg_d, view.deg_r
    donor_take = np.minimum(deg_d, view.most_d)[active]
    recipient_take = np.minimum(deg_r, view.most_r)
    least_pairs = float(view.least_r.sum())
    donor_most = float(donor_take.sum())
    most_pairs = float(recipient_take.sum())
    donor_least = float(view.least_d[active].sum())
    reasons = []
    everyone = _names(lambda i: s.recipients[i], n_r)
    if least_pairs > donor_most and not unservable_now:
        capped = active[view.most_d[active] < deg_d[active]]
        ranged = active[view.most_d[active] >= deg_d[active]]
        parts = []
        if len(capped):
            parts.append(
                _names(lambda i: f"{s.donors[capped[i]]} {view.most_d[capped[i]]:g}", len(capped))
                + " ("
                + _either([_rule_name(s, "donor", "max", int(d)) for d in capped[:_RULE_ROWS]])
                + ")"
            )
        if len(ranged):
            parts.append(
                _names(lambda i: f"{s.donors[ranged[i]]} {deg_d[ranged[i]]}", len(ranged))
                + " (as many as they have allowed recipients)"
            )
        reasons.append(
            f"the {n_r} recipients ({everyone}) need at least {least_pairs:g} pairs "
            f"({_least_donors_text(view)}) but the {len(active)} donors can take at most "
            f"{donor_most:g}: {'; '.join(parts) or 'none'}."
            + _relax(
                [
                    "recipients_per_donor max",
                    "donors_per_recipient min",
                    view.widen("recipient", np.arange(n_r), "them"),
                ],
                "add donors",
            )
        )
    if donor_least > most_pairs and not unservable_now:
        capped = np.flatnonzero(view.most_r < deg_r)
        ranged = np.flatnonzero(view.most_r >= deg_r)
        parts = []
        if len(capped):
            parts.append(
                _names(
                    lambda i: f"{s.recipients[capped[i]]} {view.most_r[capped[i]]:g}", len(capped)
                )
                + " ("
                + _either([_rule_name(s, "recipient", "max", int(r)) for r in capped[:_RULE_ROWS]])
                + ")"
            )
        if len(ranged):
            parts.append(
                _names(lambda i: f"{s.recipients[ranged[i]]} {deg_r[ranged[i]]}", len(ranged))
                + " (as many as they have allowed donors)"
            )
        donors = _names(lambda i: s.donors[active[i]], len(active))
        reasons.append(
            f"the {len(active)} donors ({donors}) must take at least {donor_least:g} pairs "
            f"({_least_recipients_text(view)}) but the recipients allow at most "
            f"{most_pairs:g}: {'; '.join(parts) or 'none'}."
            + _relax(
                [
                    "recipients_per_donor min",
                    "donors_per_recipient max",
                    view.widen("donor", active, "them"),
                    "exclude_donors",
                ]
            )
        )
    whole = (least_pairs > donor_most, donor_least > most_pairs)
    lonely = active[deg_d[active] < view.least_d[active]]
    if len(lonely):
        cand = s.candidates
        alone = np.zeros(view.n_d, dtype=bool)
        alone[lonely] = True
        mine = np.flatnonzero(alone[cand.donor])
        by_donor = mine[np.argsort(cand.donor[mine], kind="stable")]
        d_starts = _groups(cand.donor[by_donor], view.n_d)

        def item(i: int) -> str:
            d = int(lonely[i])
            a, b = int(d_starts[d]), int(d_starts[d + 1])
            names = _names(lambda j: s.recipients[cand.recipient[by_donor[a + j]]], b - a)
            return f"{s.donors[d]} ({b - a} allowed: {names})" if b > a else f"{s.donors[d]} (none)"

        rules = _either([_rule(s, "donor", "min", int(d)) for d in lonely[:_RULE_ROWS]])
        reasons.append(
            f"{rules} cannot be met by donor(s) {_names(item, len(lonely))}: too few "
            "allowed recipients."
            + _relax(
                [
                    _rule_name(s, "donor", "min", int(lonely[0])),
                    view.widen("donor", lonely, "them"),
                    "exclude_donors",
                ]
            )
        )
    return reasons, whole


def _least_donors_text(view: _View) -> str:
    s = view.s
    low = s.rules.donors_per_recipient.min
    if len(s.limits.min_donors):
        return "min_donors and donors_per_recipient min, and a donor for each need"
    if low >= 1:
        return f"donors_per_recipient min {low}"
    return "a donor for each need to cover"


def _least_recipients_text(view: _View) -> str:
    s = view.s
    if len(s.limits.min_recipients):
        return "min_recipients and recipients_per_donor min"
    return f"recipients_per_donor min {s.rules.recipients_per_donor.min}"


# --------------------------------------------------------------------------- groups


def _crowded(
    view: _View, flagged_d: set[int], flagged_r: set[int], whole: tuple[bool, bool]
) -> list[str]:
    """Hall-type counts on the allowed-pair graph, both ways. For a set S of rows that must
    each have at least `least` partners, whose allowed partners all lie in a set N, each
    partner x in N takes at most min(most[x], its allowed pairs into S) of them, so the
    sum of `least` over S cannot exceed the sum of those over N. The sets S tried: rows
    with the very same allowed partners, and (for rows with few partners) every group of
    rows whose partners are a subset of another row's. A side whose totals fail already
    (`whole`) names no group of all its rows."""
    s, cand = view.s, view.cand
    out: list[str] = []
    if np.isfinite(view.most_d).any():
        found = _hall(
            cand.recipient,
            cand.donor,
            view.least_r,
            view.most_d,
            view.n_r,
            view.n_d,
        )
        every = int(((view.least_r > 0) & (view.deg_r >= view.least_r)).sum())
        for rows, partners, need, most in _report(found, flagged_d, every if whole[0] else 0):
            out.append(
                f"recipients {_pick(s.recipients, np.array(rows))} need at "
                f"least {need:g} donors between them ({_least_donors_text(view)}), but "
                f"their only allowed donors, "
                f"{_pick(s.donors, np.array(partners))}, can take at most "
                f"{most:g} of them "
                f"({_either([_rule(s, 'donor', 'max', d) for d in partners[:_RULE_ROWS]])})."
                + _relax(
                    [
                        "recipients_per_donor max",
                        "donors_per_recipient min",
                        view.widen("recipient", np.array(rows), "them"),
                    ]
                )
            )
    if np.isfinite(view.most_r).any() and (view.least_d > 0).any():
        found = _hall(
            cand.donor,
            cand.recipient,
            view.least_d,
            view.most_r,
            view.n_d,
            view.n_r,
        )
        every = int(((view.least_d > 0) & (view.deg_d >= view.least_d)).sum())
        for rows, partners, need, most in _report(found, flagged_r, every if whole[1] else 0):
            out.append(
                f"donors {_pick(s.donors, np.array(rows))} must take at "
                f"least {need:g} recipients between them ({_least_recipients_text(view)}), "
                f"but their only allowed recipients, "
                f"{_pick(s.recipients, np.array(partners))}, can take at "
                f"most {most:g} of them "
                f"({_either([_rule(s, 'recipient', 'max', r) for r in partners[:_RULE_ROWS]])})."
                + _relax(
                    [
                        "recipients_per_donor min",
                        "donors_per_recipient max",
                        view.widen("donor", np.array(rows), "them"),
                        "exclude_donors",
                    ]
                )
            )
    return out


_Found = tuple[tuple[int, ...], tuple[int, ...], float, float]  # rows, partners, need, most


def _report(found: list[_Found], flagged: set[int], everyone: int) -> list[_Found]:
    """The conflicts worth naming: smallest groups first, none that contains one already
    named, none whose partners were all named over their maximum already, none of all
    `everyone` rows (0: no such skip)."""
    shown: list[_Found] = []
    for item in sorted(found, key=lambda f: (len(f[0]), f[0])):
        rows, partners = set(item[0]), item[1]
        if all(p in flagged for p in partners) or len(rows) == everyone:
            continue
        if any(set(other[0]) <= rows for other in shown):
            continue
        shown.append(item)
        if len(shown) == _GROUPS_SHOWN:
            break
    return shown


def _hall(
    left: np.ndarray,
    right: np.ndarray,
    least: np.ndarray,
    most: np.ndarray,
    n_left: int,
    n_right: int,
) -> list[_Found]:
    """Sets of left rows that need more partners than their allowed partners can give.
    `left`, `right`: the allowed pairs, in an order where each left row's partners come
    in ascending order (the candidates' own order, on either side). `least`: partners
    each left row needs; `most`: left rows each right row may take."""
    deg = np.bincount(left, minlength=n_left)
    want = (least > 0) & (deg >= least) & (deg > 0)
    found: list[_Found] = []
    if not want.any() or not len(left):
        return found
    # Rows with the very same partners: a random weight per right row summed in one
    # fixed order is equal for equal sets (collisions are sorted out below).
    weight = np.random.default_rng(0).random(n_right) + 1.0
    key = np.bincount(left, weights=weight[right], minlength=n_left)
    rows = np.flatnonzero(want)
    order = rows[np.lexsort((key[rows], deg[rows]))]
    cuts = np.flatnonzero((np.diff(deg[order]) != 0) | (np.diff(key[order]) != 0)) + 1
    group = np.zeros(n_left, dtype=np.int64)  # each wanting row's group, 0 for the others
    starting = np.zeros(len(order), dtype=np.int64)
    starting[cuts] = 1
    group[order] = np.cumsum(starting) + 1
    n_groups = len(cuts) + 1
    size = np.bincount(group, minlength=n_groups + 1)
    need = np.bincount(group, weights=least, minlength=n_groups + 1)
    # What each group's partners can give: each takes at most min(most, group size), read
    # off the group's first row (all of a group have the same partners, up to collisions).
    is_first = np.zeros(n_left, dtype=bool)
    is_first[order[np.concatenate([[0], cuts])]] = True
    at = is_first[left]
    give = np.bincount(
        group[left[at]],
        weights=np.minimum(most[right[at]], size[group[left[at]]]),
        minlength=n_groups + 1,
    )
    short = np.flatnonzero((need > give) & (size >= 2))
    short = short[short > 0]
    in_short = np.zeros(n_groups + 1, dtype=bool)
    in_short[short] = True
    chosen = in_short[group] & want
    partners = _partner_lists(left, right, chosen)
    members_of: dict[int, list[int]] = {}
    for row in np.flatnonzero(chosen).tolist():
        members_of.setdefault(int(group[row]), []).append(row)
    for g in short.tolist():
        exact: dict[tuple[int, ...], list[int]] = {}
        for row in members_of[g]:
            exact.setdefault(partners[row], []).append(row)
        for ps, members in exact.items():
            wanted = float(least[members].sum())
            given = float(np.minimum(most[list(ps)], len(members)).sum())
            if wanted > given:
                found.append((tuple(members), ps, wanted, given))
    # Rows with few partners: for each such row's partner set N, every row whose partners
    # lie within N (found by looking up every subset of N).
    small = want & (deg <= _SMALL)
    if int(small.sum()) < 2:
        return found
    table: dict[tuple[int, ...], list[int]] = {}
    for row, ps in _partner_lists(left, right, small).items():
        table.setdefault(ps, []).append(row)
    # A set can only fail if some partner is allowed for more of its rows than it may take.
    heavy = np.zeros(n_right)
    for ps, members in table.items():
        for p in ps:
            heavy[p] += len(members)
    crowded = heavy > most
    budget = _LOOKUPS
    for anchor in sorted(table, key=lambda ps: (len(ps), ps)):
        if len(anchor) < 2 or not crowded[list(anchor)].any():
            continue
        cost = 2 ** len(anchor)
        if cost > budget:
            break
        budget -= cost
        inside: list[int] = []
        taken: dict[int, int] = dict.fromkeys(anchor, 0)
        for n in range(1, len(anchor) + 1):
            for sub in itertools.combinations(anchor, n):
                rows_in = table.get(sub)
                if rows_in:
                    inside.extend(rows_in)
                    for p in sub:
                        taken[p] += len(rows_in)
        if len(inside) == len(table[anchor]):
            continue  # the exact group alone, tested above
        wanted = float(least[inside].sum())
        given = float(sum(min(float(most[p]), c) for p, c in taken.items()))
        if wanted > given:
            found.append((tuple(sorted(inside)), anchor, wanted, given))
    return found


def _partner_lists(
    left: np.ndarray, right: np.ndarray, rows: np.ndarray
) -> dict[int, tuple[int, ...]]:
    """The partners of each left row in mask `rows`, ascending."""
    at = np.flatnonzero(rows[left])
    order = at[np.argsort(left[at], kind="stable")]  # stable: partners stay ascending
    ls, rs = left[order].tolist(), right[order].tolist()
    out: dict[int, list[int]] = {}
    for a, b in zip(ls, rs, strict=True):
        out.setdefault(a, []).append(b)
    return {a: tuple(b) for a, b in out.items()}


# --------------------------------------------------------------------------- summary


def summary(scenario: Scenario) -> dict[str, object]:
    """What `pairopt check` reports: sizes, totals and every conflict found without solving."""
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
        "unservable_recipients": short,
        "conflicts": conflicts(scenario, short),
    }
