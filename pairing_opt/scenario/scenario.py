"""A validated scenario in memory, built from tables of strings.

`build` checks the tables against the spec and collects every problem before it
raises, so a user fixes a file in one pass. It does no I/O: the loader reads the
files into Tables, and tests can pass pandas DataFrames directly (see table.as_table).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..errors import Collector
from .geo import great_circle_km
from .spec import (
    ColumnObjective,
    DonorTable,
    Objective,
    PairRef,
    RecipientTable,
    Rules,
    ScenarioSpec,
    SolverSpec,
)
from .table import Table, as_table, no_cycle_collection, parse_numbers

DISTANCE_OBJECTIVES = ("distance", "weighted_distance", "max_distance")
PAIR_ID_COLUMNS = ("donor", "recipient")
MAX_LISTED = 10  # longest list of names in one message before "and N more"
# Round-off in sums of loads, shares and costs: amounts closer than this (absolute, or
# relative to magnitudes above 1) are the same amount.
ROUNDING = 1e-9

FloatArray = np.ndarray


@dataclass(frozen=True)
class PairData:
    """The optional pair table: one row per candidate pair, indices into donors/recipients."""

    donor: np.ndarray  # int index into Scenario.donors
    recipient: np.ndarray  # int index into Scenario.recipients
    columns: dict[str, FloatArray]  # numeric columns, NaN where empty or not a number
    file_rows: np.ndarray  # row number in the file (header is row 1)
    name: str = "pairs"  # the file, for messages

    def lookup(self) -> dict[tuple[int, int], int]:
        return {
            (int(d), int(r)): i
            for i, (d, r) in enumerate(zip(self.donor, self.recipient, strict=False))
        }


@dataclass(frozen=True)
class Candidates:
    """The pairs the rules allow, with what the model needs of each."""

    donor: np.ndarray
    recipient: np.ndarray
    km: FloatArray  # NaN where unknown (allowed only when no distance is needed)
    load: FloatArray  # capacity spent if the donor covers the recipient's whole need
    fixed: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.donor)


@dataclass(frozen=True)
class Scenario:
    name: str
    donors: tuple[str, ...]
    donor_labels: tuple[str, ...]
    capacity: FloatArray
    donor_lat: FloatArray
    donor_lon: FloatArray
    recipients: tuple[str, ...]
    recipient_labels: tuple[str, ...]
    need: FloatArray
    recipient_lat: FloatArray
    recipient_lon: FloatArray
    pairs: PairData | None
    rules: Rules
    objective: Objective
    solver: SolverSpec
    source: str = "<memory>"

    @classmethod
    def from_frames(
        cls,
        donors: Any,
        recipients: Any,
        pairs: Any = None,
        *,
        rules: Rules | Mapping[str, Any] | None = None,
        objective: Objective | Mapping[str, str] | str = "weighted_distance",
        solver: SolverSpec | Mapping[str, Any] | None = None,
        name: str = "scenario",
        donor_columns: Mapping[str, str] | None = None,
        recipient_columns: Mapping[str, str] | None = None,
    ) -> Scenario:
        """A scenario from tables in memory (pandas DataFrames or mappings of column name to
        values), checked as a scenario file is; raises InputError listing every problem.

        Columns are read by spec key (donors: id, capacity, lat, lon, label; recipients:
        id, need, lat, lon, label), renamed with `donor_columns={"capacity": "staff"}`.
        `rules`, `objective` and `solver` take what the scenario file's keys take.
        """
        from .frames import scenario_from_frames  # frames builds on this module

        return scenario_from_frames(
            donors,
            recipients,
            pairs,
            rules=rules,
            objective=objective,
            solver=solver,
            name=name,
            donor_columns=donor_columns,
            recipient_columns=recipient_columns,
        )

    @cached_property
    def donor_index(self) -> dict[str, int]:
        return {d: i for i, d in enumerate(self.donors)}

    @cached_property
    def recipient_index(self) -> dict[str, int]:
        return {r: i for i, r in enumerate(self.recipients)}

    @cached_property
    def pair_lookup(self) -> dict[tuple[int, int], int]:
        return self.pairs.lookup() if self.pairs is not None else {}

    def pair_index(self, donor: str, recipient: str) -> tuple[int, int]:
        """The (donor, recipient) indices of a pair named by its ids."""
        return self.donor_index[donor], self.recipient_index[recipient]

    def pair_rows(self, cand: Candidates) -> np.ndarray:
        """Each candidate pair's row in the pair table (every candidate has one when there
        is a table): where its pair-table values are."""
        lookup = self.pair_lookup
        return np.array(
            [lookup[(int(d), int(r))] for d, r in zip(cand.donor, cand.recipient, strict=False)],
            dtype=np.int64,
        )

    def _pair_codes(self, refs: Sequence[PairRef]) -> np.ndarray:
        """Pairs named by ids as codes donor * recipients + recipient, so that candidate
        pairs can be matched against them as one array."""
        n_r = len(self.recipients)
        indices = (self.pair_index(p.donor, p.recipient) for p in refs)
        return np.array([d * n_r + r for d, r in indices], dtype=np.int64)

    @cached_property
    def effective_capacity(self) -> FloatArray:
        """Capacity less the reserve kept at home."""
        return np.asarray(self.capacity * (1.0 - self.rules.reserve), dtype=float)

    @cached_property
    def excluded(self) -> np.ndarray:
        mask = np.zeros(len(self.donors), dtype=bool)
        for name in self.rules.exclude_donors:
            mask[self.donor_index[name]] = True
        return mask

    def needs_distance(self, objective: Objective | None = None) -> bool:
        objective = self.objective if objective is None else objective
        return objective in DISTANCE_OBJECTIVES or self.rules.max_distance_km is not None

    def pair_value(self, d: int, r: int, column: str) -> float:
        """A pair-table value, NaN when there is no table, row, column or value."""
        if self.pairs is None or column not in self.pairs.columns:
            return float("nan")
        row = self.pair_lookup.get((d, r))
        return float("nan") if row is None else float(self.pairs.columns[column][row])

    def distance_km(self, d: int, r: int) -> float:
        """The pair table's km when given, else great-circle km; NaN when neither is known."""
        km = self.pair_value(d, r, "km")
        if not np.isnan(km):
            return km
        return float(
            great_circle_km(
                self.donor_lat[d], self.donor_lon[d], self.recipient_lat[r], self.recipient_lon[r]
            )
        )

    def load(self, d: int, r: int) -> float:
        """Capacity the donor spends to cover the recipient's whole need (default: the need)."""
        if self.need[r] <= 0:
            return 0.0  # load is spent per fraction of the need covered; there is none
        value = self.pair_value(d, r, "load")
        return float(self.need[r]) if np.isnan(value) else value

    @cached_property
    def reach(self) -> FloatArray:
        """Per candidate pair, the largest share of the recipient's need the donor's available
        capacity covers (at most 1; 1 for a pair that spends no capacity)."""
        cand = self.candidates
        load = cand.load
        cap = self.effective_capacity[cand.donor]
        return np.asarray(
            np.where(load > 0, np.minimum(1.0, cap / np.where(load > 0, load, 1.0)), 1.0)
        )

    @cached_property
    def candidates(self) -> Candidates:
        """All pairs the rules allow: in the pair table (if any), not forbidden, not
        excluded, and within max_distance_km. Fixed pairs that fail these stay out; the
        diagnostics name them."""
        n_d, n_r = len(self.donors), len(self.recipients)
        if self.pairs is not None:
            d = self.pairs.donor.astype(np.int64)
            r = self.pairs.recipient.astype(np.int64)
            km = self.pairs.columns.get("km", np.full(len(d), np.nan)).copy()
            load = self.pairs.columns.get("load", np.full(len(d), np.nan)).copy()
        else:
            d = np.repeat(np.arange(n_d, dtype=np.int64), n_r)
            r = np.tile(np.arange(n_r, dtype=np.int64), n_d)
            km = np.full(len(d), np.nan)
            load = np.full(len(d), np.nan)
        missing = np.isnan(km)
        if missing.any():
            km[missing] = great_circle_km(
                self.donor_lat[d[missing]],
                self.donor_lon[d[missing]],
                self.recipient_lat[r[missing]],
                self.recipient_lon[r[missing]],
            )
        no_load = np.isnan(load)
        load[no_load] = self.need[r[no_load]]
        load[self.need[r] <= 0] = 0.0  # a donor spends load x fraction of a need: none here

        keep = ~self.excluded[d]
        code = d * n_r + r
        if self.rules.forbidden:
            keep &= ~np.isin(code, self._pair_codes(self.rules.forbidden))
        limit = self.rules.max_distance_km
        if limit is not None:
            keep &= ~(km > limit)  # unknown distances are caught by validation
        fixed_codes = self._pair_codes(self.rules.fixed)
        d, r, km, load, code = d[keep], r[keep], km[keep], load[keep], code[keep]
        # Canonical order (recipient, donor) makes the model, and so the result, independent
        # of the pair table's row order.
        order = np.lexsort((d, r))
        return Candidates(
            donor=d[order],
            recipient=r[order],
            km=km[order],
            load=load[order],
            fixed=np.isin(code[order], fixed_codes),
        )


# --------------------------------------------------------------------------- building


Locate = Callable[[tuple[str | int, ...]], str]


def _yaml_where(path: tuple[str | int, ...]) -> str:
    return "scenario, " + ".".join(str(p) for p in path)


def suggest(name: str, known: Sequence[str]) -> str:
    """A fix that names the closest known id, if any."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else "use an id from that table."


def listing(items: Sequence[str]) -> str:
    """Names joined for a message, at most MAX_LISTED of them, then 'and N more'."""
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


class _TableReader:
    """Column checks for one table, reporting file, row and column."""

    def __init__(self, frame: Table, name: str, problems: Collector):
        self.frame = frame
        self.name = name
        self.problems = problems

    def has(self, column: str, key: str) -> bool:
        if column in self.frame.columns:
            return True
        columns = ", ".join(repr(str(c)) for c in self.frame.columns) or "none"
        self.problems.add(
            f"{self.name}, column '{column}'",
            f"no such column (named by '{key}' in the scenario); the columns are {columns}.",
            "rename the column in the table or change the scenario to name an existing one.",
        )
        return False

    def where(self, row: int, column: str) -> str:
        return f"{self.name}, row {row + 2}, column '{column}'"

    def ids(self, column: str) -> list[str]:
        values = [v.strip() for v in self.frame[column]]
        first: dict[str, int] = {}
        for i, value in enumerate(values):
            if not value:
                self.problems.add(
                    self.where(i, column), "the id is empty.", "give every row a unique id."
                )
            elif value in first:
                self.problems.add(
                    self.where(i, column),
                    f"duplicate id '{value}' (also in row {first[value] + 2}).",
                    "make ids unique or remove the repeated row.",
                )
            else:
                first[value] = i
        return values

    def numbers(
        self,
        column: str,
        *,
        low: float | None = 0.0,
        high: float | None = None,
        required: bool = True,
        what: str = "a number",
    ) -> FloatArray:
        """Parse a numeric column; empty cells are NaN (an error when required)."""
        raw = [v.strip() for v in self.frame[column]]
        array = parse_numbers(v.replace(",", "") for v in raw)
        empty = np.array([v == "" for v in raw], dtype=bool)
        bad_text = np.isnan(array) & ~empty
        for i in np.flatnonzero(bad_text):
            text = raw[i]
            if text.lower() in {"nan", "na", "n/a", "null", "none", "-"}:
                self.problems.add(
                    self.where(int(i), column),
                    f"'{text}' is a missing value marker, not {what}.",
                    f"enter {what}" + (" or leave the cell empty." if not required else "."),
                )
            else:
                self.problems.add(
                    self.where(int(i), column),
                    f"'{text}' is not {what}.",
                    f"enter {what} (plain digits, '.' for decimals).",
                )
        if required:
            for i in np.flatnonzero(empty):
                self.problems.add(
                    self.where(int(i), column), "the cell is empty.", f"enter {what}."
                )
        self.finite(array, column, what)
        if low is not None:
            for i in np.flatnonzero(array < low):
                self.problems.add(
                    self.where(int(i), column),
                    f"{array[i]:g} is below the minimum {low:g}.",
                    f"enter {what} >= {low:g}.",
                )
        if high is not None:
            for i in np.flatnonzero(array > high):
                self.problems.add(
                    self.where(int(i), column),
                    f"{array[i]:g} is above the maximum {high:g}.",
                    f"enter {what} <= {high:g}.",
                )
        return array

    def finite(self, array: FloatArray, column: str, what: str) -> None:
        """Report each infinite cell and blank it (NaN): no rule or objective can use one."""
        infinite = np.isinf(array)
        for i in np.flatnonzero(infinite):
            self.problems.add(
                self.where(int(i), column), "infinite values are not allowed.", f"enter {what}."
            )
        array[infinite] = np.nan

    def labels(self, column: str | None, key: str, ids: list[str]) -> tuple[str, ...]:
        if column is None or not self.has(column, key):
            return tuple(ids)
        return tuple(v.strip() or ids[i] for i, v in enumerate(self.frame[column]))

    def coordinates(
        self, lat: str | None, lon: str | None, key: str, locate: Locate
    ) -> tuple[FloatArray, FloatArray]:
        n = len(self.frame)
        nan = np.full(n, np.nan)
        if (lat is None) != (lon is None):
            self.problems.add(
                locate((key, "lat" if lat is not None else "lon")),
                "only one of 'lat' and 'lon' is given.",
                "name both coordinate columns or neither.",
            )
            return nan, nan.copy()
        if lat is None or lon is None:
            return nan, nan.copy()
        if not (self.has(lat, f"{key}.lat") & self.has(lon, f"{key}.lon")):
            return nan, nan.copy()
        lats = self.numbers(lat, low=-90, high=90, required=False, what="a latitude in degrees")
        lons = self.numbers(lon, low=-180, high=180, required=False, what="a longitude in degrees")
        # A cell that is text, not empty, was reported by numbers() already.
        blank_lat = np.array([not v.strip() for v in self.frame[lat]], dtype=bool)
        blank_lon = np.array([not v.strip() for v in self.frame[lon]], dtype=bool)
        half = (np.isnan(lats) != np.isnan(lons)) & (
            (np.isnan(lats) & blank_lat) | (np.isnan(lons) & blank_lon)
        )
        for i in np.flatnonzero(half):
            column = lat if np.isnan(lats[i]) else lon
            self.problems.add(
                self.where(int(i), column),
                "only one coordinate of the pair is given.",
                "fill in both latitude and longitude, or leave both empty.",
            )
        return lats, lons


@dataclass(frozen=True)
class _Side:
    """One side of the pairing as its table gives it (donors or recipients)."""

    ids: list[str]
    amounts: FloatArray  # capacity or need
    lat: FloatArray
    lon: FloatArray
    labels: tuple[str, ...]

    @cached_property
    def index(self) -> dict[str, int]:
        """Id to row, for the ids that rules and the pair table name."""
        return {name: i for i, name in enumerate(self.ids)}


def _side(
    reader: _TableReader,
    table: DonorTable | RecipientTable,
    amount: str,
    key: str,
    amount_key: str,
    what: str,
    locate: Locate,
) -> _Side:
    """Ids, amounts (capacity or need), coordinates and labels of one side of the pairing."""
    ids: list[str] = []
    amounts = np.zeros(0)
    if reader.has(table.id, f"{key}.id"):
        ids = reader.ids(table.id)
    if reader.has(amount, f"{key}.{amount_key}"):
        amounts = reader.numbers(amount, what=what)
    lat, lon = reader.coordinates(table.lat, table.lon, key, locate)
    labels = reader.labels(table.label, f"{key}.label", ids)
    return _Side(ids, amounts, lat, lon, labels)


def build(
    spec: ScenarioSpec,
    donors: Table | Any,
    recipients: Table | Any,
    pairs: Table | Any | None = None,
    *,
    names: dict[str, str] | None = None,
    locate: Locate = _yaml_where,
    source: str = "<memory>",
) -> Scenario:
    """Validate the tables against the spec and return a Scenario, or raise InputError
    listing every problem found."""
    names = names or {}
    problems = Collector()
    donors, recipients = as_table(donors), as_table(recipients)
    pairs = None if pairs is None else as_table(pairs)
    dt = _TableReader(donors, names.get("donors", spec.donors.file), problems)
    rt = _TableReader(recipients, names.get("recipients", spec.recipients.file), problems)
    _check_rows(dt, rt)
    d_side = _side(
        dt, spec.donors, spec.donors.capacity, "donors", "capacity", "a capacity", locate
    )
    r_side = _side(
        rt, spec.recipients, spec.recipients.need, "recipients", "need", "a need", locate
    )
    _check_rule_ids(spec.rules, d_side, r_side, locate, problems)
    pair_data = None
    if pairs is not None and spec.pairs is not None:
        with no_cycle_collection():  # a tuple per pair, and pair tables can be large
            pair_data = _build_pairs(
                pairs, names.get("pairs", spec.pairs.file), d_side.index, r_side.index, problems
            )
    _check_objective_column(spec.objective, pair_data, locate, problems)
    problems.raise_if_any()
    scenario = Scenario(
        name=spec.name,
        donors=tuple(d_side.ids),
        donor_labels=d_side.labels,
        capacity=d_side.amounts,
        donor_lat=d_side.lat,
        donor_lon=d_side.lon,
        recipients=tuple(r_side.ids),
        recipient_labels=r_side.labels,
        need=r_side.amounts,
        recipient_lat=r_side.lat,
        recipient_lon=r_side.lon,
        pairs=pair_data,
        rules=spec.rules,
        objective=spec.objective,
        solver=spec.solver,
        source=source,
    )
    check_objective_data(scenario, spec.objective, locate)
    return scenario


def _check_rows(*readers: _TableReader) -> None:
    """Each side needs a row: a pairing of nobody is no answer to any question."""
    for reader, label in zip(readers, ("donors", "recipients"), strict=True):
        if len(reader.frame) == 0:
            reader.problems.add(
                reader.name, "the table has no rows.", f"add at least one {label[:-1]}."
            )


def _check_rule_ids(
    rules: Rules, donors: _Side, recipients: _Side, locate: Locate, problems: Collector
) -> None:
    """Ids the rules name must be in the tables: a typo would silently drop a rule. (When a
    table has no ids at all, its own problem says so.)"""
    donor_ids, donor_index = donors.ids, donors.index
    recipient_ids, recipient_index = recipients.ids, recipients.index
    for key in ("fixed", "forbidden"):
        for k, ref in enumerate(getattr(rules, key)):
            if donor_ids and ref.donor not in donor_index:
                problems.add(
                    locate(("rules", key, k, "donor")),
                    f"unknown donor '{ref.donor}'.",
                    suggest(ref.donor, donor_ids),
                )
            if recipient_ids and ref.recipient not in recipient_index:
                problems.add(
                    locate(("rules", key, k, "recipient")),
                    f"unknown recipient '{ref.recipient}'.",
                    suggest(ref.recipient, recipient_ids),
                )
    for k, name in enumerate(rules.exclude_donors):
        if donor_ids and name not in donor_index:
            problems.add(
                locate(("rules", "exclude_donors", k)),
                f"unknown donor '{name}'.",
                suggest(name, donor_ids),
            )


def _check_objective_column(
    objective: Objective, pair_data: PairData | None, locate: Locate, problems: Collector
) -> None:
    """A column objective needs that numeric column in a pair table: say so before solving."""
    if not isinstance(objective, ColumnObjective):
        return
    column = objective.column
    if pair_data is None:
        problems.add(
            locate(("objective",)),
            f"objective column '{column}' needs a pair table, and the scenario has none.",
            "add a 'pairs:' table with that column, or use a named objective.",
        )
    elif column not in pair_data.columns:
        problems.add(
            locate(("objective",)),
            f"the pair table has no numeric column '{column}'.",
            "add the column to the pair table or choose another objective.",
        )


def check_objective_data(
    scenario: Scenario, objective: Objective, locate: Locate = _yaml_where
) -> None:
    """Every allowed pair must have what the objective and rules need (a distance, the
    objective column). Called again when an objective is overridden on the command line."""
    problems = Collector()
    cand = scenario.candidates
    if scenario.needs_distance(objective):
        unknown = np.flatnonzero(np.isnan(cand.km))
        if len(unknown):
            pairs = [
                f"{scenario.donors[cand.donor[i]]} -> {scenario.recipients[cand.recipient[i]]}"
                for i in unknown
            ]
            reason = (
                f"objective '{objective}'"
                if objective in DISTANCE_OBJECTIVES
                else "rules.max_distance_km"
            )
            problems.add(
                locate(("objective",) if objective in DISTANCE_OBJECTIVES else ("rules",)),
                f"{reason} needs a distance for every candidate pair, and {len(unknown)} "
                f"have none: {listing(pairs)}.",
                "give lat/lon for donors and recipients, or a 'km' value in the pair table.",
            )
    if isinstance(objective, ColumnObjective) and scenario.pairs is not None:
        values = scenario.pairs.columns.get(objective.column)
        if values is not None:
            rows = scenario.pair_rows(cand)
            empty = [int(scenario.pairs.file_rows[i]) for i in rows if np.isnan(values[i])]
            if empty:
                problems.add(
                    f"{scenario.pairs.name}, row {listing([str(x) for x in sorted(empty)])}, "
                    f"column '{objective.column}'",
                    "the objective needs a value on every candidate pair, and these cells "
                    "are empty.",
                    "fill in those cells, or forbid those pairs.",
                )
    problems.raise_if_any()


def _build_pairs(
    frame: Table,
    name: str,
    donor_index: dict[str, int],
    recipient_index: dict[str, int],
    problems: Collector,
) -> PairData | None:
    """The pair table as indices and numeric columns, or None without its id columns."""
    reader = _TableReader(frame, name, problems)
    if not all([reader.has(c, f"pairs ({c})") for c in PAIR_ID_COLUMNS]):
        return None
    d_idx, r_idx = _pair_ids(reader, donor_index, recipient_index)
    return PairData(
        donor=d_idx,
        recipient=r_idx,
        columns=_pair_columns(reader),
        file_rows=np.arange(len(frame)) + 2,
        name=name,
    )


def _pair_ids(
    reader: _TableReader, donor_index: dict[str, int], recipient_index: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's donor and recipient index (-1 where unknown), with every empty, unknown
    or repeated pair reported: a pair's data must belong to exactly one known pair."""
    frame, problems = reader.frame, reader.problems
    donors = [v.strip() for v in frame["donor"]]
    recipients = [v.strip() for v in frame["recipient"]]
    d_idx = np.full(len(frame), -1, dtype=np.int64)
    r_idx = np.full(len(frame), -1, dtype=np.int64)
    seen: dict[tuple[str, str], int] = {}
    known_d, known_r = list(donor_index), list(recipient_index)
    for i, (d, r) in enumerate(zip(donors, recipients, strict=False)):
        if not d or not r:
            column = "donor" if not d else "recipient"
            problems.add(
                reader.where(i, column), "the cell is empty.", "fill in the id or delete the row."
            )
            continue
        if d in donor_index:
            d_idx[i] = donor_index[d]
        elif known_d:
            problems.add(reader.where(i, "donor"), f"unknown donor '{d}'.", suggest(d, known_d))
        if r in recipient_index:
            r_idx[i] = recipient_index[r]
        elif known_r:
            problems.add(
                reader.where(i, "recipient"), f"unknown recipient '{r}'.", suggest(r, known_r)
            )
        if (d, r) in seen:
            problems.add(
                reader.where(i, "donor"),
                f"the pair {d} -> {r} is listed twice (also row {seen[(d, r)] + 2}).",
                "keep one row per pair.",
            )
        else:
            seen[(d, r)] = i
    return d_idx, r_idx


def _pair_columns(reader: _TableReader) -> dict[str, FloatArray]:
    """The pair table's numeric columns: km and load must be numbers; any other column is
    data only if every cell parses, so that text columns (notes) are simply ignored."""
    frame = reader.frame
    columns: dict[str, FloatArray] = {}
    for column in frame.columns:
        column = str(column)
        if column in PAIR_ID_COLUMNS:
            continue
        if column in ("km", "load"):
            what = "a distance in km" if column == "km" else "a load (a number >= 0)"
            columns[column] = reader.numbers(column, required=False, what=what)
            continue
        raw = [v.strip() for v in frame[column]]
        parsed = parse_numbers(raw)
        if not np.any(np.isnan(parsed) & np.array([v != "" for v in raw], dtype=bool)):
            reader.finite(parsed, column, "a finite number")
            columns[column] = parsed
    return columns
