"""A validated scenario in memory, built from tables of strings.

`build` checks the tables against the spec and collects every problem before it
raises, so a user fixes a file in one pass. It does no I/O: the loader reads the
files into Tables, and tests can pass pandas DataFrames directly (see table.as_table).
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from ..errors import Collector
from .geo import great_circle_km
from .spec import (
    SHORTFALL_TERMS,
    ColumnObjective,
    DonorTable,
    Objective,
    PairRef,
    Range,
    RecipientTable,
    Rules,
    ScenarioSpec,
    Shortfall,
    SolverSpec,
    Uncertainty,
    objective_name,
    objective_terms,
    term_objective,
)
from .table import (
    Table,
    as_table,
    no_cycle_collection,
    number_problem,
    parse_numbers,
    without_thousands,
)

DISTANCE_OBJECTIVES = ("distance", "weighted_distance", "max_distance")
PAIR_ID_COLUMNS = ("donor", "recipient")
MAX_LISTED = 10  # longest list of names in one message before "and N more"
# Round-off in sums of loads, shares and costs: amounts closer than this (absolute, or
# relative to magnitudes above 1) are the same amount.
ROUNDING = 1e-9

FloatArray = np.ndarray


class NamedPair(Protocol):
    """A pair named by its ids: a rule's pair (PairRef) or a pairing's (Assignment)."""

    @property
    def donor(self) -> str: ...

    @property
    def recipient(self) -> str: ...


@dataclass(frozen=True)
class PairData:
    """The optional pair table: one row per candidate pair, indices into donors/recipients."""

    donor: np.ndarray  # int index into Scenario.donors
    recipient: np.ndarray  # int index into Scenario.recipients
    columns: dict[str, FloatArray]  # numeric columns, NaN where empty or not a number
    file_rows: np.ndarray  # row number in the file (header is row 1)
    name: str = "pairs"  # the file, for messages
    # A column with a cell that is not a number is not numeric: its first such cell (file
    # row, text), to name when an objective reads the column.
    text_cells: dict[str, tuple[int, str]] = field(default_factory=dict)

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
    loads: FloatArray  # (pairs, resources): capacity spent to cover the whole need
    fixed: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.donor)

    @property
    def load(self) -> FloatArray:
        """The first (with one resource, the only) resource's loads."""
        return np.asarray(self.loads[:, 0])


@dataclass(frozen=True)
class Limits:
    """Per-donor and per-recipient rules from table columns; NaN where a cell is blank
    (the scenario-wide rule applies). Empty arrays: the column is not given."""

    max_recipients: FloatArray = field(default_factory=lambda: np.zeros(0))
    min_recipients: FloatArray = field(default_factory=lambda: np.zeros(0))
    max_distance_km: FloatArray = field(default_factory=lambda: np.zeros(0))
    reserve: FloatArray = field(default_factory=lambda: np.zeros(0))
    min_load: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))  # (donors, res.)
    min_donors: FloatArray = field(default_factory=lambda: np.zeros(0))
    max_donors: FloatArray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class NeedData:
    """One need scenario read from a table: (recipients, resources) needs in the
    recipients' order, need_scale applied."""

    name: str
    needs: FloatArray


def _count_range(
    low: FloatArray, high: FloatArray, rule: Range, n: int
) -> tuple[FloatArray, FloatArray]:
    """Per row, the least and most of a count: the column's value, else the rule's."""
    top = math.inf if rule.max is None else rule.max
    return _per_row(low, rule.min, n), _per_row(high, top, n)


def _per_row(column: FloatArray, default: float, n: int) -> FloatArray:
    """A per-row rule: the column's value, or `default` where blank or not given."""
    if len(column) != n:
        return np.full(n, float(default))
    return np.asarray(np.where(np.isnan(column), default, column), dtype=float)


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
    inputs: tuple[str, ...] = ()  # the files it was read from: output must never replace them
    # Several resources: names, weights and (rows, resources) amounts; with none given the
    # one unnamed resource is `capacity` and `need`, and these stay empty.
    resource_names: tuple[str, ...] = ()
    resource_weights: tuple[float, ...] = ()
    capacities: FloatArray | None = None
    needs: FloatArray | None = None
    limits: Limits = field(default_factory=Limits)
    # The pairing in place (scenario key `incumbent:`), as (donor, recipient) ids in its
    # file's order: what the `changes` objective term and metric count against.
    incumbent: tuple[tuple[str, str], ...] | None = None
    # Need scenarios (scenario key `uncertainty:`): the settings, and the need tables read
    # (the samples are drawn when solved, scenario/uncertainty.py). The recipients' spec
    # gives a need table its default columns and need_scale.
    uncertainty: Uncertainty | None = None
    need_tables: tuple[NeedData, ...] = ()
    recipient_spec: RecipientTable | None = None

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
        donor_columns: Mapping[str, Any] | None = None,
        recipient_columns: Mapping[str, Any] | None = None,
        resources: Sequence[str | Mapping[str, Any]] | None = None,
    ) -> Scenario:
        """A scenario from tables in memory (pandas DataFrames or mappings of column name to
        values), checked as a scenario file is; raises InputError listing every problem.

        Columns are read by spec key (donors: id, capacity, lat, lon, label; recipients:
        id, need, lat, lon, label), renamed with `donor_columns={"capacity": "staff"}`.
        `rules`, `objective` and `solver` take what the scenario file's keys take.
        Per-row rule columns are read when named: `donor_columns={"max_recipients":
        "max_cities"}`. With `resources=["staff", "funds"]`, capacity and need are read
        from columns named like each resource unless mapped (`{"capacity": {"staff": ...}}`).
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
            resources=resources,
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

    @cached_property
    def _pair_codes_sorted(self) -> tuple[np.ndarray, np.ndarray]:
        """The pair table's pairs as sorted codes donor * recipients + recipient, and the
        row of each: a look-up by binary search, with no dictionary of every pair."""
        if self.pairs is None:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        codes = self.pairs.donor.astype(np.int64) * len(self.recipients) + self.pairs.recipient
        order = np.argsort(codes, kind="stable")
        return codes[order], order

    def pair_table_rows(self, donor: np.ndarray, recipient: np.ndarray) -> np.ndarray:
        """Each pair's row in the pair table, -1 where the table has none."""
        codes, order = self._pair_codes_sorted
        wanted = np.asarray(donor, dtype=np.int64) * len(self.recipients) + np.asarray(
            recipient, dtype=np.int64
        )
        if len(codes) == 0:
            return np.full(len(wanted), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
        return np.where(codes[pos] == wanted, order[pos], -1).astype(np.int64)

    def pair_rows(self, cand: Candidates) -> np.ndarray:
        """Each candidate pair's row in the pair table (every candidate has one when there
        is a table): where its pair-table values are."""
        return self.pair_table_rows(cand.donor, cand.recipient)

    def pair_codes(self, refs: Sequence[NamedPair]) -> np.ndarray:
        """Pairs named by ids as codes donor * recipients + recipient, so that candidate
        pairs can be matched against them as one array."""
        n_r = len(self.recipients)
        indices = (self.pair_index(p.donor, p.recipient) for p in refs)
        return np.array([d * n_r + r for d, r in indices], dtype=np.int64)

    # ------------------------------------------------------------------ resources

    @property
    def multi_resource(self) -> bool:
        """Several named resources (outputs then carry one share per resource)."""
        return bool(self.resource_names)

    @property
    def resources(self) -> tuple[str, ...]:
        """Resource names; ('',) for the one unnamed resource."""
        return self.resource_names or ("",)

    @cached_property
    def capacity_matrix(self) -> FloatArray:
        """(donors, resources) capacities."""
        return self.capacities if self.capacities is not None else self.capacity[:, None]

    @cached_property
    def need_matrix(self) -> FloatArray:
        """(recipients, resources) needs."""
        return self.needs if self.needs is not None else self.need[:, None]

    @cached_property
    def weights(self) -> FloatArray:
        """Per resource, its weight in need-weighted objectives (1 by default)."""
        if self.resource_weights:
            return np.asarray(self.resource_weights, dtype=float)
        return np.ones(len(self.resources))

    @cached_property
    def shortfall_terms(self) -> tuple[str, ...]:
        """The objective's shortfall and max_shortfall terms, in the order it names them:
        any at all lets need go uncovered."""
        return tuple(t for t in objective_terms(self.objective) if t in SHORTFALL_TERMS)

    @cached_property
    def penalties(self) -> FloatArray:
        """Per resource, the price per unit of uncovered need; NaN: covered in full. An
        objective with a shortfall term lets every need go uncovered, at no price beyond
        the term's own unless rules.coverage names one."""
        coverage = self.rules.coverage
        out = np.full(len(self.resources), 0.0 if self.shortfall_terms else np.nan)
        if isinstance(coverage, Shortfall):
            price = coverage.shortfall_penalty
            for k, name in enumerate(self.resources):
                if isinstance(price, dict):
                    out[k] = price.get(name, out[k])
                else:
                    out[k] = price
        return out

    @property
    def full_coverage(self) -> bool:
        """Every need must be covered in full (no shortfall price on any resource)."""
        return bool(np.isnan(self.penalties).all())

    @cached_property
    def has_need(self) -> np.ndarray:
        """Per recipient, whether it needs anything at all."""
        return np.asarray((self.need_matrix > 0).any(axis=1))

    def resource_label(self, k: int) -> str:
        """'staff' for a named resource, '' for the one unnamed resource."""
        return self.resources[k]

    # ------------------------------------------------------------------ rules per row

    @cached_property
    def reserves(self) -> FloatArray:
        """Per donor, the share of capacity kept at home."""
        return _per_row(self.limits.reserve, self.rules.reserve, len(self.donors))

    @cached_property
    def available_matrix(self) -> FloatArray:
        """(donors, resources) capacity less each donor's reserve."""
        return np.asarray(self.capacity_matrix * (1.0 - self.reserves)[:, None], dtype=float)

    @cached_property
    def effective_capacity(self) -> FloatArray:
        """Capacity less the reserve kept at home (the first resource)."""
        return np.asarray(self.available_matrix[:, 0])

    @cached_property
    def min_load_matrix(self) -> FloatArray:
        """(donors, resources) least load each donor must carry (0: no minimum)."""
        given = self.limits.min_load
        if given.shape != self.capacity_matrix.shape:
            return np.zeros_like(self.capacity_matrix)
        return np.asarray(np.where(np.isnan(given), 0.0, given))

    @cached_property
    def recipient_count_range(self) -> tuple[FloatArray, FloatArray]:
        """Per donor, the least and most recipients (inf: no upper limit)."""
        limits = self.limits
        return _count_range(
            limits.min_recipients,
            limits.max_recipients,
            self.rules.recipients_per_donor,
            len(self.donors),
        )

    @cached_property
    def donor_count_range(self) -> tuple[FloatArray, FloatArray]:
        """Per recipient, the least and most donors (inf: no upper limit)."""
        limits = self.limits
        return _count_range(
            limits.min_donors,
            limits.max_donors,
            self.rules.donors_per_recipient,
            len(self.recipients),
        )

    @cached_property
    def distance_limits(self) -> FloatArray:
        """Per donor, the farthest pair allowed in km (inf: no limit)."""
        default = self.rules.max_distance_km
        return _per_row(
            self.limits.max_distance_km, math.inf if default is None else default, len(self.donors)
        )

    @property
    def has_distance_limit(self) -> bool:
        return bool(np.isfinite(self.distance_limits).any())

    @property
    def single_donor(self) -> bool:
        """At most one donor per recipient and every need covered in full: then each pair
        covers its recipient's whole need, and shares equal pair decisions."""
        return bool((self.donor_count_range[1] <= 1).all()) and self.full_coverage

    @cached_property
    def excluded(self) -> np.ndarray:
        mask = np.zeros(len(self.donors), dtype=bool)
        for name in self.rules.exclude_donors:
            mask[self.donor_index[name]] = True
        return mask

    def needs_distance(self, objective: Objective | None = None) -> bool:
        objective = self.objective if objective is None else objective
        terms = objective_terms(objective)
        return any(t in DISTANCE_OBJECTIVES for t in terms) or self.has_distance_limit

    def pair_value(self, d: int, r: int, column: str) -> float:
        """A pair-table value, NaN when there is no table, row, column or value."""
        if self.pairs is None or column not in self.pairs.columns:
            return float("nan")
        row = int(self.pair_table_rows(np.array([d]), np.array([r]))[0])
        return float("nan") if row < 0 else float(self.pairs.columns[column][row])

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

    def load_column(self, k: int) -> str:
        """The pair-table column of resource k's loads: load, or load_<resource>."""
        return f"load_{self.resources[k]}" if self.multi_resource else "load"

    def load(self, d: int, r: int, k: int = 0) -> float:
        """Capacity of resource k the donor spends to cover the recipient's whole need of
        it (default: the need)."""
        need = float(self.need_matrix[r, k])
        if need <= 0:
            return 0.0  # load is spent per fraction of the need covered; there is none
        value = self.pair_value(d, r, self.load_column(k))
        return need if np.isnan(value) else value

    @cached_property
    def reach_matrix(self) -> FloatArray:
        """(pairs, resources): the largest share of the recipient's need the donor's
        available capacity covers (at most 1; 1 for a pair that spends no capacity)."""
        cand = self.candidates
        loads = cand.loads
        cap = self.available_matrix[cand.donor]
        return np.asarray(
            np.where(loads > 0, np.minimum(1.0, cap / np.where(loads > 0, loads, 1.0)), 1.0)
        )

    @property
    def reach(self) -> FloatArray:
        """reach_matrix for the first resource."""
        return np.asarray(self.reach_matrix[:, 0])

    @cached_property
    def candidates(self) -> Candidates:
        """All pairs the rules allow: in the pair table (if any), not forbidden, not
        excluded, and within max_distance_km. Fixed pairs that fail these stay out; the
        diagnostics name them."""
        n_d, n_r = len(self.donors), len(self.recipients)
        n_k = len(self.resources)
        if self.pairs is not None:
            d = self.pairs.donor.astype(np.int64)
            r = self.pairs.recipient.astype(np.int64)
            km = self.pairs.columns.get("km", np.full(len(d), np.nan)).copy()
            load = np.stack(
                [
                    self.pairs.columns.get(self.load_column(k), np.full(len(d), np.nan))
                    for k in range(n_k)
                ],
                axis=1,
            )
        else:
            d = np.repeat(np.arange(n_d, dtype=np.int64), n_r)
            r = np.tile(np.arange(n_r, dtype=np.int64), n_d)
            km = np.full(len(d), np.nan)
            load = np.full((len(d), n_k), np.nan)
        missing = np.isnan(km)
        if missing.any():
            km[missing] = great_circle_km(
                self.donor_lat[d[missing]],
                self.donor_lon[d[missing]],
                self.recipient_lat[r[missing]],
                self.recipient_lon[r[missing]],
            )
        need = self.need_matrix[r]
        load = np.where(np.isnan(load), need, load)
        load[need <= 0] = 0.0  # a donor spends load x fraction of a need: none here

        keep = ~self.excluded[d]
        code = d * n_r + r
        if self.rules.forbidden:
            keep &= ~np.isin(code, self.pair_codes(self.rules.forbidden))
        if self.has_distance_limit:
            keep &= ~(km > self.distance_limits[d])  # unknown distances: caught by validation
        fixed_codes = self.pair_codes(self.rules.fixed)
        d, r, km, load, code = d[keep], r[keep], km[keep], load[keep], code[keep]
        # Canonical order (recipient, donor) makes the model, and so the result, independent
        # of the pair table's row order.
        order = np.lexsort((d, r))
        return Candidates(
            donor=d[order],
            recipient=r[order],
            km=km[order],
            loads=load[order],
            fixed=np.isin(code[order], fixed_codes),
        )


# --------------------------------------------------------------------------- building


Locate = Callable[[tuple[str | int, ...]], str]


def _yaml_where(path: tuple[str | int, ...]) -> str:
    return "scenario, " + ".".join(str(p) for p in path)


def listing(items: Sequence[str]) -> str:
    """Names joined for a message, at most MAX_LISTED of them, then 'and N more'."""
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


# --------------------------------------------------------------------------- names
# Ids are compared as Unicode NFC text: a name typed on one system (NFD, as macOS file
# names are) and the same name typed on another are the same id. Anything else that
# differs (case, width, spacing, punctuation, spelling) is a different id: pairopt may
# point it out, but never accepts it silently.

# C0 and C1 control characters and DEL: never part of a name (NUL, escape, tab ...).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# What name_key drops from ASCII text: punctuation, spaces and controls (not symbols: $+<=>).
_ASCII_DROP = str.maketrans(
    "", "", "".join(c for c in map(chr, range(128)) if unicodedata.category(c)[0] in "ZPC")
)


def nfc(text: str) -> str:
    """The text in Unicode NFC (ASCII text is returned as it is, cheaply)."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def control_characters(text: str) -> list[str]:
    """The control characters in the text, as U+XXXX, in order, each once."""
    return list(dict.fromkeys(f"U+{ord(c):04X}" for c in _CONTROL.findall(text)))


def shown(text: str) -> str:
    """The text quoted for a message, with control characters escaped ('A\\x00')."""
    return "'" + _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text) + "'"


def _form(text: str) -> str:
    """The Unicode normal form the text is written in: NFC, NFD or mixed."""
    for form in ("NFC", "NFD"):
        if unicodedata.is_normalized(form, text):
            return form
    return "mixed"


def name_key(text: str) -> str:
    """What is left of a name when case, width (full-width forms), Unicode normalisation,
    spaces, punctuation and hyphens are ignored: names with one key are plausibly the
    same name."""
    if text.isascii():
        return text.translate(_ASCII_DROP).casefold()
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if unicodedata.category(c)[0] not in "ZPC")


_DIFFERENCES: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("Unicode normalisation (NFC/NFD)", lambda s: unicodedata.normalize("NFC", s)),
    ("full-width or compatibility characters", lambda s: unicodedata.normalize("NFKC", s)),
    ("letter case", str.casefold),
    (
        "spaces or punctuation",
        lambda s: "".join(c for c in s if unicodedata.category(c)[0] not in "ZPC"),
    ),
)


def differences(a: str, b: str) -> str:
    """What differs between two names of one key, in words ('letter case and spaces or
    punctuation')."""
    for size in range(1, len(_DIFFERENCES) + 1):
        for combo in itertools.combinations(_DIFFERENCES, size):
            x, y = a, b
            for _, fold in combo:
                x, y = fold(x), fold(y)
            if x == y:
                return " and ".join(label for label, _ in combo)
    return "spelling"


# Chinese province-level divisions and the Hubei cities, each with the other spellings
# found in data (pinyin, postal and Wade-Giles romanisations, Chinese): a typed name that
# is one of these is a real place, and is suggested only as another spelling of itself.
_PLACES: tuple[tuple[str, ...], ...] = (
    ("Beijing", "Peking", "Peiping", "北京"),
    ("Tianjin", "Tientsin", "天津"),
    ("Hebei", "Hopeh", "Hopei", "河北"),
    ("Shanxi", "Shansi", "山西"),
    ("Inner Mongolia", "Nei Mongol", "Neimenggu", "Nei Menggu", "内蒙古", "内蒙古自治区"),
    ("Liaoning", "辽宁"),
    ("Jilin", "Kirin", "Chilin", "吉林"),
    ("Heilongjiang", "Heilungkiang", "黑龙江"),
    ("Shanghai", "上海"),
    ("Jiangsu", "Kiangsu", "江苏"),
    ("Zhejiang", "Chekiang", "浙江"),
    ("Anhui", "Anhwei", "安徽"),
    ("Fujian", "Fukien", "福建"),
    ("Jiangxi", "Kiangsi", "江西"),
    ("Shandong", "Shantung", "山东"),
    ("Henan", "Honan", "河南"),
    ("Hubei", "Hupeh", "Hupei", "湖北"),
    ("Hunan", "湖南"),
    ("Guangdong", "Kwangtung", "Canton", "广东"),
    ("Guangxi", "Kwangsi", "广西", "广西壮族自治区"),
    ("Hainan", "海南"),
    ("Chongqing", "Chungking", "重庆"),
    ("Sichuan", "Szechwan", "Szechuan", "四川"),
    ("Guizhou", "Kweichow", "贵州"),
    ("Yunnan", "云南"),
    ("Tibet", "Xizang", "西藏", "西藏自治区"),
    ("Shaanxi", "Shensi", "陕西"),
    ("Gansu", "Kansu", "甘肃"),
    ("Qinghai", "Tsinghai", "青海"),
    ("Ningxia", "Ningsia", "宁夏", "宁夏回族自治区"),
    ("Xinjiang", "Sinkiang", "新疆", "新疆维吾尔自治区"),
    ("Hong Kong", "Xianggang", "香港"),
    ("Macau", "Macao", "Aomen", "澳门"),
    ("Taiwan", "台湾"),
    ("Wuhan", "武汉"),
    ("Huangshi", "黄石"),
    ("Shiyan", "十堰"),
    ("Yichang", "Ichang", "宜昌"),
    ("Xiangyang", "Xiangfan", "襄阳"),
    ("Ezhou", "鄂州"),
    ("Jingmen", "荆门"),
    ("Xiaogan", "孝感"),
    ("Jingzhou", "荆州"),
    ("Huanggang", "黄冈"),
    ("Xianning", "咸宁"),
    ("Suizhou", "随州"),
    ("Enshi", "恩施"),
    ("Xiantao", "仙桃"),
    ("Qianjiang", "潜江"),
    ("Tianmen", "天门"),
    ("Shennongjia", "神农架"),
)
_ADMIN_SUFFIXES = ("", "省", "市", "shi", "sheng", "province", "city")


def _place_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for names in _PLACES:
        for spelling in names:
            for suffix in _ADMIN_SUFFIXES:
                table.setdefault(name_key(spelling + suffix), names[0])
    return table


_PLACE_OF = _place_table()  # name key -> the place's pinyin name


def _slips(key: str) -> set[str]:
    """Keys one typing slip away: a letter doubled or not, two adjacent letters swapped.
    Only letters: names that differ in a digit (City 1, City 11) are different names."""
    out = set()
    for i, c in enumerate(key):
        if not c.isalpha():
            continue
        out.add(key[:i] + c + key[i:])  # doubled
        if i + 1 < len(key) and key[i + 1] == c:
            out.add(key[:i] + key[i + 1 :])  # doubled letter typed once
        if i + 1 < len(key) and key[i + 1] != c and key[i + 1].isalpha():
            out.add(key[:i] + key[i + 1] + c + key[i + 2 :])  # swapped
    out.discard(key)
    return out


class Names:
    """One side's ids and labels ('donor' or 'recipient'), indexed by name key so that
    what a name that is not an id plausibly means is found in constant time."""

    def __init__(self, role: str, ids: Sequence[str], labels: Sequence[str] = ()) -> None:
        self.role = role
        self.ids = ids
        self.labels = labels

    @cached_property
    def exact(self) -> dict[str, int]:
        """Id to its first row (built when first needed: most tables have no bad id)."""
        return {name: i for i, name in reversed(list(enumerate(self.ids)))}

    def __contains__(self, name: object) -> bool:
        return name in self.exact

    @cached_property
    def _by_key(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name in self.exact:
            out.setdefault(name_key(name), []).append(name)
        return out

    @cached_property
    def _by_label(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, label in zip(self.ids, self.labels, strict=False):
            if label and label != name:
                out.setdefault(name_key(label), []).append(name)
        return out

    @cached_property
    def _by_place(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name in self.exact:
            place = _PLACE_OF.get(name_key(name))
            if place is not None:
                out.setdefault(place, []).append(name)
        return out

    def same_name(self, name: str) -> str | None:
        """The one id that differs from `name` only in case, width, Unicode form, spaces
        or punctuation; None when there is none or more than one."""
        found = self._by_key.get(name_key(name), [])
        return found[0] if len(found) == 1 and found[0] != name else None

    def label_of(self, name: str) -> str | None:
        """The one id whose label is `name` (up to case, width, spaces, punctuation)."""
        found = self._by_label.get(name_key(name), [])
        return found[0] if len(found) == 1 else None

    def other_spelling(self, name: str) -> str | None:
        """The one id that is another spelling of the same place (Anhwei: Anhui)."""
        place = _PLACE_OF.get(name_key(name))
        found = self._by_place.get(place, []) if place is not None else []
        return found[0] if len(found) == 1 else None

    def slip(self, name: str) -> str | None:
        """The one id a typing slip away (Hunnan: Hunan), unless `name` is itself the name
        of another real place (Shaanxi is not Shanxi, Henan is not Hunan)."""
        key = name_key(name)
        if not key or key in _PLACE_OF:
            return None
        found = {i for k in _slips(key) for i in self._by_key.get(k, [])}
        return found.pop() if len(found) == 1 else None


class Suggester:
    """What to tell a user about an id that is not in its table: the id it plausibly
    is, or where the name is known instead. One answer per distinct name, cached, so a
    table of many rows with one mistyped id costs one look-up."""

    def __init__(self, own: Names, other: Names | None = None) -> None:
        self.own = own
        self.other = other
        self._cache: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        fix = self._cache.get(name)
        if fix is None:
            fix = self._cache[name] = self._fix(name)
        return fix

    def _fix(self, name: str) -> str:
        own, other = self.own, self.other
        controls = control_characters(name)
        if controls:
            clean = _CONTROL.sub("", name)
            hint = f" ('{clean}' is a {own.role})" if clean in own else ""
            return f"remove the control character(s) {', '.join(controls)} from the id{hint}."
        same = own.same_name(name)
        if same is not None:
            return f"did you mean '{same}'? (it differs only in {differences(name, same)})"
        label = own.label_of(name)
        if label is not None:
            return f"{shown(name)} is the label of {own.role} {label}: use its id '{label}'."
        if other is not None:
            fix = self._elsewhere(name, other)
            if fix:
                return fix
        spelling = own.other_spelling(name)
        if spelling is not None:
            return f"did you mean '{spelling}'? ({shown(name)} is another spelling of it)"
        slip = own.slip(name)
        if slip is not None:
            return f"did you mean '{slip}'?"
        return "use an id from that table."

    def _elsewhere(self, name: str, other: Names) -> str:
        """Where the name is known on the other side, if anywhere."""
        role, not_role = other.role, self.own.role
        if name in other:
            return f"{shown(name)} is a {role}, not a {not_role}: name a {not_role} here."
        same = other.same_name(name)
        if same is not None:
            return f"{shown(name)} looks like the {role} '{same}', not a {not_role}."
        label = other.label_of(name)
        if label is not None:
            return f"{shown(name)} is the label of {role} {label}, not a {not_role}."
        return ""


def suggest(name: str, known: Sequence[str] | Names, other: Names | None = None) -> str:
    """A fix for an unknown id: the id it plausibly is, or where it is known instead."""
    own = known if isinstance(known, Names) else Names("id", known)
    return Suggester(own, other)(name)


class _TableReader:
    """Column checks for one table, reporting file, row and column."""

    def __init__(self, frame: Table, name: str, problems: Collector, role: str = "row"):
        self.frame = frame
        self.name = name
        self.problems = problems
        self.role = role  # what a row is, for messages: donor, recipient, pair
        # Each row's id once it is known and valid (unique, no control character), else "".
        self.row_ids: list[str] = []

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
        return f"{self.name}, row {self.frame.line(row)}, column '{column}'"

    def cell(self, row: int, column: str, what: str, fix: str) -> None:
        """A problem in one cell, naming the row's id when it is known and valid."""
        row_id = self.row_ids[row] if row < len(self.row_ids) else ""
        if row_id:
            body = what[:-1] if what.endswith(".") else what
            what = f"{body} ({self.role} {row_id})."
        self.problems.add(self.where(row, column), what, fix)

    def ids(self, column: str) -> list[str]:
        """The id column in Unicode NFC; empty, duplicate (also after normalisation) and
        control-character ids are reported."""
        raw = [v.strip() for v in self.frame[column]]
        values = [nfc(v) for v in raw]
        first: dict[str, int] = {}
        valid = [bool(v) for v in values]
        controls = _CONTROL.search("".join(values)) is not None  # one pass for the usual case
        for i, value in enumerate(values):
            if not value:
                self.problems.add(
                    self.where(i, column), "the id is empty.", "give every row a unique id."
                )
                continue
            if controls and _CONTROL.search(value):
                valid[i] = False
                self.problems.add(
                    self.where(i, column),
                    f"the id {shown(value)} contains the control character(s) "
                    f"{', '.join(control_characters(value))}.",
                    "remove the control characters (or retype the id).",
                )
            if value in first:
                j = first[value]
                valid[i] = valid[j] = False
                forms = (
                    f" (rows {self.frame.line(j)} and {self.frame.line(i)} write it in "
                    "different Unicode forms, "
                    f"{_form(raw[j])} and {_form(raw[i])}: the same text to a reader)"
                    if raw[i] != raw[j]
                    else ""
                )
                self.problems.add(
                    self.where(i, column),
                    f"duplicate id '{value}' (also in row {self.frame.line(j)}){forms}.",
                    "make ids unique or remove the repeated row.",
                )
            else:
                first[value] = i
        self.row_ids = [v if ok else "" for v, ok in zip(values, valid, strict=True)]
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
        array = parse_numbers(without_thousands(v) for v in raw)
        empty = np.array([v == "" for v in raw], dtype=bool)
        bad_text = np.isnan(array) & ~empty
        for i in np.flatnonzero(bad_text):
            text = raw[i]
            if text.lower() in {"nan", "na", "n/a", "null", "none", "-"}:
                self.cell(
                    int(i),
                    column,
                    f"'{text}' is a missing value marker, not {what}.",
                    f"enter {what}" + (" or leave the cell empty." if not required else "."),
                )
            else:
                self.cell(
                    int(i),
                    column,
                    number_problem(text, what) or f"'{text}' is not {what}.",
                    f"enter {what} (plain digits, '.' for decimals).",
                )
        if required:
            for i in np.flatnonzero(empty):
                self.cell(int(i), column, "the cell is empty.", f"enter {what}.")
        self.finite(array, column, what)
        if low is not None:
            for i in np.flatnonzero(array < low):
                self.cell(
                    int(i),
                    column,
                    f"{array[i]:g} is below the minimum {low:g}.",
                    f"enter {what} >= {low:g}.",
                )
        if high is not None:
            for i in np.flatnonzero(array > high):
                self.cell(
                    int(i),
                    column,
                    f"{array[i]:g} is above the maximum {high:g}.",
                    f"enter {what} <= {high:g}.",
                )
        return array

    def finite(self, array: FloatArray, column: str, what: str) -> None:
        """Report each infinite cell and blank it (NaN): no rule or objective can use one."""
        infinite = np.isinf(array)
        for i in np.flatnonzero(infinite):
            text = self.frame[column][int(i)].strip()
            self.cell(
                int(i), column, f"'{text}': infinite values are not allowed.", f"enter {what}."
            )
        array[infinite] = np.nan

    def labels(self, column: str | None, key: str, ids: list[str]) -> tuple[str, ...]:
        """Display labels in Unicode NFC (the id where empty); control characters are
        reported."""
        if column is None or not self.has(column, key):
            return tuple(ids)
        labels = [nfc(v.strip()) for v in self.frame[column]]
        clean = _CONTROL.search("".join(labels)) is None
        for i, label in enumerate([] if clean else labels):
            if _CONTROL.search(label):
                self.cell(
                    i,
                    column,
                    f"the label {shown(label)} contains the control character(s) "
                    f"{', '.join(control_characters(label))}.",
                    "remove the control characters (or retype the label).",
                )
        return tuple(v or ids[i] for i, v in enumerate(labels))

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
            column, given = (lat, lon) if np.isnan(lats[i]) else (lon, lat)
            self.cell(
                int(i),
                column,
                f"only one coordinate of the pair is given ('{given}' is "
                f"'{self.frame[given][int(i)].strip()}', '{column}' is empty).",
                "fill in both latitude and longitude, or leave both empty.",
            )
        return lats, lons


@dataclass(frozen=True)
class _Side:
    """One side of the pairing as its table gives it (donors or recipients)."""

    ids: list[str]
    amounts: FloatArray  # (rows, resources): capacity or need
    lat: FloatArray
    lon: FloatArray
    labels: tuple[str, ...]

    role: str = "id"

    @cached_property
    def index(self) -> dict[str, int]:
        """Id to row, for the ids that rules and the pair table name."""
        return {name: i for i, name in enumerate(self.ids)}

    @cached_property
    def names(self) -> Names:
        """The ids and labels, for messages about names that are not ids."""
        return Names(self.role, self.ids, self.labels)


def _amounts(
    reader: _TableReader,
    columns: str | dict[str, str],
    resources: tuple[str, ...],
    key: str,
    what: str,
    *,
    required: bool = True,
) -> FloatArray:
    """(rows, resources) numbers from one column per resource (one column, one resource);
    NaN where a column is missing or, when not required, a cell is blank."""
    n = len(reader.frame)
    if isinstance(columns, str):
        columns = (
            {resources[0]: columns} if len(resources) == 1 else dict.fromkeys(resources, columns)
        )
        names = {k: key for k in columns}
    else:
        names = {k: f"{key}.{k}" for k in columns}
    out = np.full((n, len(resources)), np.nan)
    for k, resource in enumerate(resources):
        column = columns.get(resource)
        if column is None or not reader.has(column, names[resource]):
            continue
        out[:, k] = reader.numbers(column, what=what, required=required)
    return out


def _side(
    reader: _TableReader,
    table: DonorTable | RecipientTable,
    amount: str | dict[str, str],
    key: str,
    amount_key: str,
    what: str,
    locate: Locate,
    resources: tuple[str, ...] = ("",),
) -> _Side:
    """Ids, amounts (capacity or need), coordinates and labels of one side of the pairing."""
    ids: list[str] = []
    if reader.has(table.id, f"{key}.id"):
        ids = reader.ids(table.id)
    amounts = _amounts(reader, amount, resources, f"{key}.{amount_key}", what)
    lat, lon = reader.coordinates(table.lat, table.lon, key, locate)
    labels = reader.labels(table.label, f"{key}.label", ids)
    return _Side(ids, amounts, lat, lon, labels, role=key[:-1])


def _rule_column(
    reader: _TableReader,
    column: str | None,
    key: str,
    what: str,
    *,
    high: float | None = None,
    whole: bool = False,
) -> FloatArray:
    """A per-row rule column (NaN where blank = the scenario-wide rule); empty if not given."""
    if column is None or not reader.has(column, key):
        return np.zeros(0)
    values = reader.numbers(column, required=False, high=high, what=what)
    if whole:
        for i in np.flatnonzero(~np.isnan(values) & (values != np.round(values))):
            reader.cell(int(i), column, f"{values[i]:g} is not a whole number.", f"enter {what}.")
    return values


def _limits(
    dt: _TableReader,
    rt: _TableReader,
    donors: DonorTable,
    recipients: RecipientTable,
    resources: tuple[str, ...],
) -> Limits:
    """The per-donor and per-recipient rule columns the spec names."""
    count = "a whole number"
    min_load = np.zeros((0, 0))
    if donors.min_load is not None:
        min_load = _amounts(
            dt, donors.min_load, resources, "donors.min_load", "a load", required=False
        )
    return Limits(
        max_recipients=_rule_column(
            dt, donors.max_recipients, "donors.max_recipients", count, whole=True
        ),
        min_recipients=_rule_column(
            dt, donors.min_recipients, "donors.min_recipients", count, whole=True
        ),
        max_distance_km=_rule_column(
            dt, donors.max_distance_km, "donors.max_distance_km", "a distance in km > 0"
        ),
        reserve=_rule_column(dt, donors.reserve, "donors.reserve", "a share from 0 to below 1"),
        min_load=min_load,
        min_donors=_rule_column(
            rt, recipients.min_donors, "recipients.min_donors", count, whole=True
        ),
        max_donors=_rule_column(
            rt, recipients.max_donors, "recipients.max_donors", count, whole=True
        ),
    )


def _check_limits(limits: Limits, dt: _TableReader, rt: _TableReader, spec: ScenarioSpec) -> None:
    """Per-row ranges must be ordered (min <= max), as the scenario-wide ones are."""
    rules = spec.rules
    pairs = (
        (
            dt,
            limits.min_recipients,
            limits.max_recipients,
            rules.recipients_per_donor,
            spec.donors.min_recipients,
            spec.donors.max_recipients,
            "recipients",
        ),
        (
            rt,
            limits.min_donors,
            limits.max_donors,
            rules.donors_per_recipient,
            spec.recipients.min_donors,
            spec.recipients.max_donors,
            "donors",
        ),
    )
    for reader, low, high, default, low_col, high_col, what in pairs:
        if not len(low) and not len(high):
            continue
        lo, hi = _count_range(low, high, default, len(reader.frame))
        # A negative or fractional cell is reported as such already: one fault, one problem.
        valid = (lo >= 0) & (hi >= 0) & (lo == np.round(lo)) & ((hi == np.round(hi)) | np.isinf(hi))
        for i in np.flatnonzero((lo > hi) & valid):
            column = high_col if len(high) and not np.isnan(high[i]) else low_col
            reader.cell(
                int(i),
                str(column),
                f"at least {lo[i]:g} and at most {hi[i]:g} {what}: the range is empty.",
                "make the minimum no larger than the maximum.",
            )
    if len(limits.reserve):
        for i in np.flatnonzero(limits.reserve >= 1):
            dt.cell(
                int(i),
                str(spec.donors.reserve),
                f"a reserve of {limits.reserve[i]:g} keeps all the capacity at home.",
                "enter a share from 0 to below 1, or leave the cell blank.",
            )
    if len(limits.max_distance_km):
        for i in np.flatnonzero(limits.max_distance_km <= 0):
            dt.cell(
                int(i),
                str(spec.donors.max_distance_km),
                "a distance limit must be > 0.",
                "enter a distance in km > 0, or leave the cell blank.",
            )


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
    dt = _TableReader(donors, names.get("donors", spec.donors.file), problems, "donor")
    rt = _TableReader(
        recipients, names.get("recipients", spec.recipients.file), problems, "recipient"
    )
    spec = spec.model_copy(update={"rules": _nfc_rules(spec.rules)})
    _check_rows(dt, rt)
    resources = tuple(r.name for r in spec.resources or []) or ("",)
    d_side = _side(
        dt,
        spec.donors,
        spec.donors.capacity,
        "donors",
        "capacity",
        "a capacity",
        locate,
        resources,
    )
    r_side = _side(
        rt,
        spec.recipients,
        spec.recipients.need,
        "recipients",
        "need",
        "a need",
        locate,
        resources,
    )
    multi = spec.resources is not None
    if spec.recipients.need_scale != 1.0:
        with np.errstate(over="ignore"):  # past the largest float: refused before solving
            r_side = replace(r_side, amounts=r_side.amounts * spec.recipients.need_scale)
    limits = _limits(dt, rt, spec.donors, spec.recipients, resources)
    _check_limits(limits, dt, rt, spec)
    _check_rule_ids(spec.rules, d_side, r_side, locate, problems)
    pair_data = None
    if pairs is not None and spec.pairs is not None:
        with no_cycle_collection():  # a tuple per pair, and pair tables can be large
            pair_data = _build_pairs(
                pairs,
                names.get("pairs", spec.pairs.file),
                d_side,
                r_side,
                problems,
                tuple(f"load_{k}" for k in resources) if multi else ("load",),
            )
    _check_objective_column(spec.objective, pair_data, locate, problems)
    problems.raise_if_any()
    scenario = Scenario(
        name=spec.name,
        donors=tuple(d_side.ids),
        donor_labels=d_side.labels,
        capacity=np.asarray(d_side.amounts[:, 0]),
        donor_lat=d_side.lat,
        donor_lon=d_side.lon,
        recipients=tuple(r_side.ids),
        recipient_labels=r_side.labels,
        need=np.asarray(r_side.amounts[:, 0]),
        recipient_lat=r_side.lat,
        recipient_lon=r_side.lon,
        pairs=pair_data,
        rules=spec.rules,
        objective=spec.objective,
        solver=spec.solver,
        source=source,
        resource_names=resources if multi else (),
        resource_weights=tuple(r.weight for r in spec.resources or []),
        capacities=d_side.amounts if multi else None,
        needs=r_side.amounts if multi else None,
        limits=limits,
        uncertainty=spec.uncertainty,
        recipient_spec=spec.recipients,
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


def _nfc_rules(rules: Rules) -> Rules:
    """The rules with every id in Unicode NFC, as the tables' ids are."""

    def refs(items: list[PairRef]) -> list[PairRef]:
        return [PairRef(donor=nfc(p.donor), recipient=nfc(p.recipient)) for p in items]

    return rules.model_copy(
        update={
            "fixed": refs(rules.fixed),
            "forbidden": refs(rules.forbidden),
            "exclude_donors": [nfc(name) for name in rules.exclude_donors],
        }
    )


def _check_rule_ids(
    rules: Rules, donors: _Side, recipients: _Side, locate: Locate, problems: Collector
) -> None:
    """Ids the rules name must be in the tables: a typo would silently drop a rule. (When a
    table has no ids at all, its own problem says so.)"""
    donor_ids, donor_index = donors.ids, donors.index
    recipient_ids, recipient_index = recipients.ids, recipients.index
    fix_donor = Suggester(donors.names, recipients.names)
    fix_recipient = Suggester(recipients.names, donors.names)
    for key in ("fixed", "forbidden"):
        for k, ref in enumerate(getattr(rules, key)):
            if donor_ids and ref.donor not in donor_index:
                problems.add(
                    locate(("rules", key, k, "donor")),
                    f"unknown donor {shown(ref.donor)}.",
                    fix_donor(ref.donor),
                )
            if recipient_ids and ref.recipient not in recipient_index:
                problems.add(
                    locate(("rules", key, k, "recipient")),
                    f"unknown recipient {shown(ref.recipient)}.",
                    fix_recipient(ref.recipient),
                )
    for k, name in enumerate(rules.exclude_donors):
        if donor_ids and name not in donor_index:
            problems.add(
                locate(("rules", "exclude_donors", k)),
                f"unknown donor {shown(name)}.",
                fix_donor(name),
            )


def _check_objective_column(
    objective: Objective, pair_data: PairData | None, locate: Locate, problems: Collector
) -> None:
    """A column objective (or term) needs that numeric column in a pair table: say so
    before solving."""
    for column in _objective_columns(objective):
        if pair_data is None:
            problems.add(
                locate(("objective",)),
                f"objective column '{column}' needs a pair table, and the scenario has none.",
                "add a 'pairs:' table with that column, or use a named objective.",
            )
        elif column in pair_data.text_cells:
            row, text = pair_data.text_cells[column]
            problems.add(
                f"{pair_data.name}, row {row}, column '{column}'",
                f"'{text}' is not a number, and the objective reads this column.",
                "enter a number (plain digits, '.' for decimals).",
            )
        elif column not in pair_data.columns:
            problems.add(
                locate(("objective",)),
                f"the pair table has no numeric column '{column}'.",
                "add the column to the pair table or choose another objective.",
            )


def _objective_columns(objective: Objective) -> list[str]:
    """The pair-table columns the objective's terms read."""
    columns = []
    for term in objective_terms(objective):
        one = term_objective(term)
        if isinstance(one, ColumnObjective) and one.column not in columns:
            columns.append(one.column)
    return columns


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
            by_objective = any(t in DISTANCE_OBJECTIVES for t in objective_terms(objective))
            reason = (
                f"objective '{objective_name(objective)}'"
                if by_objective
                else "a distance limit (max_distance_km)"
            )
            problems.add(
                locate(("objective",) if by_objective else ("rules",)),
                f"{reason} needs a distance for every candidate pair, and {len(unknown)} "
                f"have none: {listing(pairs)}.",
                "give lat/lon for donors and recipients, or a 'km' value in the pair table.",
            )
    for column in _objective_columns(objective):
        if scenario.pairs is None or column not in scenario.pairs.columns:
            table = (
                "the scenario has no pair table"
                if scenario.pairs is None
                else (f"{scenario.pairs.name} has no numeric column '{column}'")
            )
            problems.add(
                locate(("objective",)),
                f"the objective reads the pair-table column '{column}', and {table}.",
                "add the column to a 'pairs:' table, or choose another objective.",
            )
            continue
        values = scenario.pairs.columns.get(column)
        if values is not None:
            rows = scenario.pair_rows(cand)
            empty = scenario.pairs.file_rows[rows[np.isnan(values[rows])]].tolist()
            if empty:
                problems.add(
                    f"{scenario.pairs.name}, row {listing([str(x) for x in sorted(empty)])}, "
                    f"column '{column}'",
                    "the objective needs a value on every candidate pair, and these cells "
                    "are empty.",
                    "fill in those cells, or forbid those pairs.",
                )
    problems.raise_if_any()


def check_incumbent(scenario: Scenario, locate: Locate = _yaml_where) -> None:
    """The changes term and rules.max_changes count against a pairing in place: without
    one they mean nothing, so say so before solving."""
    if scenario.incumbent is not None:
        return
    problems = Collector()
    if "changes" in objective_terms(scenario.objective):
        problems.add(
            locate(("objective",)),
            "the objective counts changes from the pairing in place, and the scenario names none.",
            "add 'incumbent: FILE' (a pairing CSV with donor and recipient columns) to the "
            "scenario, or give one as the incumbent (argument).",
        )
    if scenario.rules.max_changes is not None:
        problems.add(
            locate(("rules", "max_changes")),
            "rules.max_changes limits changes from the pairing in place, and the scenario "
            "names none.",
            "add 'incumbent: FILE' to the scenario (or give one as the incumbent "
            "(argument)), or remove rules.max_changes.",
        )
    problems.raise_if_any()


def _build_pairs(
    frame: Table,
    name: str,
    donors: _Side,
    recipients: _Side,
    problems: Collector,
    load_columns: tuple[str, ...] = ("load",),
) -> PairData | None:
    """The pair table as indices and numeric columns, or None without its id columns."""
    reader = _TableReader(frame, name, problems, "pair")
    if not all([reader.has(c, f"pairs ({c})") for c in PAIR_ID_COLUMNS]):
        return None
    if load_columns != ("load",) and "load" in frame.columns:
        problems.add(
            f"{name}, column 'load'",
            "with several resources a pair's load is given per resource, and 'load' names "
            "none of them.",
            f"rename the column to one of {', '.join(load_columns)}.",
        )
    d_idx, r_idx = _pair_ids(reader, donors, recipients)
    text_cells: dict[str, tuple[int, str]] = {}
    return PairData(
        donor=d_idx,
        recipient=r_idx,
        columns=_pair_columns(reader, load_columns, text_cells),
        file_rows=np.array([frame.line(i) for i in range(len(frame))], dtype=np.int64),
        name=name,
        text_cells=text_cells,
    )


def _pair_ids(
    reader: _TableReader, donor_side: _Side, recipient_side: _Side
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's donor and recipient index (-1 where unknown), with every empty, unknown
    or repeated pair reported: a pair's data must belong to exactly one known pair. The
    fix for an unknown id is looked up once per distinct id."""
    frame, problems = reader.frame, reader.problems
    donor_index, recipient_index = donor_side.index, recipient_side.index
    donors = [nfc(v.strip()) for v in frame["donor"]]
    recipients = [nfc(v.strip()) for v in frame["recipient"]]
    d_idx = np.full(len(frame), -1, dtype=np.int64)
    r_idx = np.full(len(frame), -1, dtype=np.int64)
    seen: dict[tuple[str, str], int] = {}
    repeated: set[int] = set()
    known_d, known_r = bool(donor_index), bool(recipient_index)
    fix_donor = Suggester(donor_side.names, recipient_side.names)
    fix_recipient = Suggester(recipient_side.names, donor_side.names)
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
            problems.add(reader.where(i, "donor"), f"unknown donor {shown(d)}.", fix_donor(d))
        if r in recipient_index:
            r_idx[i] = recipient_index[r]
        elif known_r:
            problems.add(
                reader.where(i, "recipient"),
                f"unknown recipient {shown(r)}.",
                fix_recipient(r),
            )
        if (d, r) in seen:
            repeated.update((i, seen[(d, r)]))
            problems.add(
                reader.where(i, "donor"),
                f"the pair {d} -> {r} is listed twice "
                f"(also row {reader.frame.line(seen[(d, r)])}).",
                "keep one row per pair.",
            )
        else:
            seen[(d, r)] = i
    valid = (d_idx >= 0) & (r_idx >= 0)
    valid[list(repeated)] = False  # a pair listed twice names no one row
    reader.row_ids = [
        f"{d} -> {r}" if ok else "" for d, r, ok in zip(donors, recipients, valid, strict=True)
    ]
    return d_idx, r_idx


def _pair_columns(
    reader: _TableReader,
    load_columns: tuple[str, ...] = ("load",),
    text_cells: dict[str, tuple[int, str]] | None = None,
) -> dict[str, FloatArray]:
    """The pair table's numeric columns: km and load must be numbers; any other column is
    data only if every cell parses, so that text columns (notes) are simply ignored (the
    first cell that is not a number goes to `text_cells`)."""
    frame = reader.frame
    columns: dict[str, FloatArray] = {}
    for column in frame.columns:
        column = str(column)
        if column in PAIR_ID_COLUMNS:
            continue
        if column == "km" or column in load_columns:
            what = "a distance in km" if column == "km" else "a load"
            columns[column] = reader.numbers(column, required=False, what=what)
            continue
        raw = [v.strip() for v in frame[column]]
        parsed = parse_numbers(without_thousands(v) for v in raw)
        text = np.flatnonzero(np.isnan(parsed) & np.array([v != "" for v in raw], dtype=bool))
        if not len(text):
            reader.finite(parsed, column, "a finite number")
            columns[column] = parsed
        elif text_cells is not None:
            text_cells[column] = (frame.line(int(text[0])), raw[int(text[0])])
    return columns
