"""The mixed-integer model of a pairing, as solver-neutral sparse arrays.

Variables, per allowed pair p = (donor d, recipient r) and resource k:
  x_p in {0, 1}     the pair is used (one decision for every resource);
  f_pk in [0, 1]    the fraction of r's need of k that d covers (only when a recipient may
                    have several donors or need may go uncovered; with one donor per
                    recipient and full coverage f_pk = x_p and the model is exactly the
                    (multi-resource) Generalized Assignment Problem);
  s_rk in [0, 1]    the fraction of r's need of k left uncovered, priced per unit of need
                    (only under rules.coverage: {shortfall_penalty: P}).
Constraints: each recipient's need of each resource is covered (sum_d f + s = 1, s = 0
under full coverage), f <= x, f >= min_share x, donor counts per recipient and recipient
counts per donor within their ranges (per row where a table column gives them), and each
donor's load of each resource sum_r load_pk f_pk within its capacity less its reserve and
at least its minimum commitment. Fixed pairs have x = 1; forbidden, excluded and
too-distant pairs have no variables at all.

The model never reads files and never calls a solver: `solve` does that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ..scenario import measures
from ..scenario.scenario import ROUNDING, Candidates, Scenario
from ..scenario.spec import (
    AUX_TERMS,
    ColumnObjective,
    Objective,
    OrderedObjective,
    WeightedObjective,
    maximised,
    objective_terms,
    term_key,
    term_objective,
)

INF = float("inf")
# Scaling (see "Numbers" in docs/how-it-works.md). Solvers work to absolute tolerances
# (feasibility ~1e-7, HiGHS drops coefficients below 1e-9 and rejects huge ones), so
# each capacity row is divided by a power of ten of its donor's own magnitude, and the
# objective by a power of ten of its largest cost, whenever these fall outside the bands
# below; inside them (every shipped scenario and benchmark) the model is left as it is.
# The objective's scale is recorded in the model (`PairingModel.scale`) and undone
# wherever a value leaves the engine; capacity rows need no undoing (a row divided by a
# positive number is the same constraint), and the variables stay fractions and 0/1.
AMOUNT_BAND = (1e-1, 1e5)  # a donor's capacity or largest load within this: row as is
AMOUNT_TARGET = 2  # otherwise scaled to [1e2, 1e3)
COST_BAND = (1e-2, 1e8)  # the largest objective cost within this: objective as is
COST_TARGET = 3  # otherwise scaled to [1e3, 1e4)


def power_of_ten(magnitude: float, band: tuple[float, float], target: int) -> float:
    """1 when `magnitude` lies within `band` (or is 0 or not finite), else the power of ten
    that brings it to [10**target, 10**(target + 1))."""
    if not math.isfinite(magnitude) or magnitude <= 0 or band[0] <= magnitude <= band[1]:
        return 1.0
    return float(10.0 ** (math.floor(math.log10(magnitude)) - target))


@dataclass
class Milp:
    """min c.v subject to row_lb <= A v <= row_ub, lb <= v <= ub, v integer where flagged."""

    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    a_row: np.ndarray
    a_col: np.ndarray
    a_val: np.ndarray
    row_lb: np.ndarray
    row_ub: np.ndarray
    # sense x objective scale: turns c.v into the user's objective (for progress)
    display_sense: float = 1.0

    @property
    def num_cols(self) -> int:
        return len(self.c)

    @property
    def num_rows(self) -> int:
        return len(self.row_lb)

    def with_row(self, coefficients: np.ndarray, lb: float, ub: float) -> Milp:
        """A copy with one more row lb <= coefficients.v <= ub (dense coefficient vector)."""
        cols = np.flatnonzero(coefficients)
        return replace(
            self,
            a_row=np.concatenate([self.a_row, np.full(len(cols), self.num_rows)]),
            a_col=np.concatenate([self.a_col, cols]),
            a_val=np.concatenate([self.a_val, coefficients[cols]]),
            row_lb=np.append(self.row_lb, lb),
            row_ub=np.append(self.row_ub, ub),
        )

    def with_objective_cap(self, cost: np.ndarray, cap: float, new_c: np.ndarray) -> Milp:
        """A copy that keeps cost.v <= cap and minimises new_c.v (lexicographic tie-break)."""
        return replace(self.with_row(cost, -INF, cap), c=new_c)

    def fixing(self, free: np.ndarray, values: np.ndarray) -> Milp:
        """The model over the `free` columns alone, every other column held at `values`:
        their part of each row moves into the row's bounds, and rows left with no free
        column are dropped (they hold as they do in `values`). Column j of the result is
        the j-th free column. A small piece of a large model solves in a fraction of the
        time, which is what a neighbourhood search needs."""
        held = ~free[self.a_col]
        activity = np.bincount(
            self.a_row[held],
            weights=self.a_val[held] * values[self.a_col[held]],
            minlength=self.num_rows,
        )
        moving = ~held
        rows = np.unique(self.a_row[moving])
        row_index = np.full(self.num_rows, -1, dtype=np.int64)
        row_index[rows] = np.arange(len(rows))
        cols = np.flatnonzero(free)
        col_index = np.full(self.num_cols, -1, dtype=np.int64)
        col_index[cols] = np.arange(len(cols))
        return Milp(
            c=self.c[cols],
            lb=self.lb[cols],
            ub=self.ub[cols],
            integer=self.integer[cols],
            a_row=row_index[self.a_row[moving]],
            a_col=col_index[self.a_col[moving]],
            a_val=self.a_val[moving],
            row_lb=self.row_lb[rows] - activity[rows],
            row_ub=self.row_ub[rows] - activity[rows],
            display_sense=self.display_sense,
        )


FLAG_ROUNDING = 1e-6  # an LP's flag value within this above a whole number is that number


def raised_flags(values: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Flags (fairness's w) an LP left fractional, rounded up within their bounds: a flag
    only bounds its term's lowest value from above and is bounded by whole counts of
    pairs, so rounding it up keeps every row."""
    return np.clip(np.ceil(values - FLAG_ROUNDING), lb, ub)


# Terms whose optimum other pair sets share as a rule: a count of pairs, and the need left
# uncovered (0 for every pairing that covers it all; where capacity runs short, the same
# total however the capacity is shared out).
TIED_TERMS = ("changes", "shortfall")


@dataclass
class PairingModel:
    """The MILP plus what is needed to read a pairing back out of a solution."""

    milp: Milp
    candidates: Candidates
    x_col: np.ndarray
    share_cols: np.ndarray  # (resources, pairs); each row is x_col when f = x
    sense: int  # +1 minimise, -1 maximise: reported objective = sense * (c . v)
    objective: Objective
    secondary: np.ndarray | None = field(default=None)  # tie-break costs (minimised)
    min_fraction: np.ndarray | None = field(default=None)  # (resources, pairs) least f
    # The objective's unit: reported objective = sense * scale * (c . v) (see power_of_ten).
    scale: float = 1.0
    short_cols: np.ndarray | None = field(default=None)  # (resources, recipients), -1: none
    # Need each shortfall column leaves uncovered per unit (resource weight x need, the
    # shortfall term's own costs), over its largest: in short_cols[short_cols >= 0] order.
    short_need: np.ndarray | None = field(default=None)
    # A constant part of the objective (the changes term counts the incumbent's pairs):
    # reported objective = sense * scale * (c . v) + offset.
    offset: float = 0.0

    def unscaled(self, value: float) -> float:
        """A value of c.v (minimisation form, scaled) in the objective's own sense and unit."""
        return float(self.sense * self.scale * value + self.offset)

    @property
    def minimax(self) -> bool:
        """A term of the objective is set by one pair, donor or recipient (max_distance,
        balance, max_shortfall, fairness): equally good pairings are the rule."""
        return any(t in AUX_TERMS for t in objective_terms(self.objective))

    @property
    def ties_as_rule(self) -> bool:
        """Other pair sets share the optimum as a rule: a minimax term, or only terms of
        TIED_TERMS. A check for another pair set as good would only find one."""
        terms = objective_terms(self.objective)
        return self.minimax or all(t in TIED_TERMS for t in terms)

    @property
    def f_col(self) -> np.ndarray:
        """The share columns of the first (or only) resource."""
        return np.asarray(self.share_cols[0])

    @property
    def single_donor(self) -> bool:
        return bool(np.array_equal(self.x_col, self.f_col))

    def fractions(self, values: np.ndarray, k: int = 0) -> np.ndarray:
        """Fractions of resource k's need per candidate, cleaned of solver noise."""
        used = self.used(values)
        frac = np.clip(values[self.share_cols[k]], 0.0, 1.0)
        frac[~used] = 0.0
        frac[np.abs(frac) < ROUNDING] = 0.0
        frac[np.abs(frac - 1.0) < ROUNDING] = 1.0
        return np.asarray(frac)

    def without(self, used: np.ndarray) -> PairingModel:
        """The model with one pairing cut off (a no-good cut on its pair set): every later
        solution differs from it in at least one pair."""
        coefficients = np.zeros(self.milp.num_cols)
        coefficients[self.x_col] = np.where(used, 1.0, -1.0)
        return replace(self, milp=self.milp.with_row(coefficients, -INF, float(used.sum()) - 1))

    def used(self, values: np.ndarray) -> np.ndarray:
        """Binary decisions rounded with a tolerance (0.9999991 happens)."""
        return np.asarray(values[self.x_col] > 0.5)

    def term_cols(self) -> np.ndarray:
        """A mask of the terms' own continuous columns (minimax values, fairness's highest,
        lowest and spread): set by the pairs and shares, through rows, not chosen."""
        mask = ~self.milp.integer.copy()
        mask[self.share_cols.ravel()] = False
        if self.short_cols is not None:
            mask[self.short_cols[self.short_cols >= 0]] = False
        return mask

    def flag_cols(self) -> np.ndarray:
        """A mask of the integer columns that are not pair decisions (fairness's w)."""
        mask = self.milp.integer.copy()
        mask[self.x_col] = False
        return mask

    def other_cols(self) -> np.ndarray:
        """A mask of the columns that are not pair decisions x (shares, the minimax value):
        what is still free once a pair set is chosen."""
        mask = np.ones(self.milp.num_cols, dtype=bool)
        mask[self.x_col] = False
        return mask


class _Rows:
    """Accumulates sparse rows as COO triplets. Rows tied to one pair (`each` with a `key`:
    resource, then pair) come first in the model in key order: the order a hand-written
    model has them in, on which HiGHS proved the share models faster than with each kind
    of row in a block of its own (benchmarks/README.md); the rest keep their order."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.key_of: list[np.ndarray] = []  # per row: its key (see the class), -1 for none
        self.count = 0

    def grouped(
        self,
        group: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray,
        groups: np.ndarray,
        lb: float | np.ndarray,
        ub: float | np.ndarray,
    ) -> None:
        """One row per entry of `groups`: sum of vals*v[cols] over entries whose group matches."""
        if len(groups) == 0:
            return
        position = np.full(int(max(group.max(initial=-1), groups.max()) + 1), -1, dtype=np.int64)
        position[groups] = np.arange(len(groups))
        row_of = position[group]
        keep = row_of >= 0
        self.rows.append(self.count + row_of[keep])
        self.cols.append(cols[keep])
        self.vals.append(vals[keep])
        self.lb.append(np.broadcast_to(np.asarray(lb, dtype=float), len(groups)).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=float), len(groups)).copy())
        self.key_of.append(np.full(len(groups), -1, dtype=np.int64))
        self.count += len(groups)

    def each(
        self,
        cols_a: np.ndarray,
        vals_a: np.ndarray,
        cols_b: np.ndarray,
        vals_b: np.ndarray,
        ub: float,
        key: np.ndarray | None = None,
    ) -> None:
        """One row per entry: vals_a*v[cols_a] + vals_b*v[cols_b] <= ub; `key` gives each
        row its place (see the class)."""
        n = len(cols_a)
        if n == 0:
            return
        idx = self.count + np.arange(n)
        self.rows += [idx, idx]
        self.cols += [cols_a, cols_b]
        self.vals += [vals_a, vals_b]
        self.lb.append(np.full(n, -INF))
        self.ub.append(np.full(n, ub))
        self.key_of.append(np.full(n, -1, dtype=np.int64) if key is None else key)
        self.count += n

    def dense(self, coefficients: np.ndarray, lb: float, ub: float) -> None:
        """One row lb <= coefficients.v <= ub (a dense coefficient vector)."""
        used = np.flatnonzero(coefficients)
        self.rows.append(np.full(len(used), self.count))
        self.cols.append(used)
        self.vals.append(coefficients[used])
        self.lb.append(np.array([lb]))
        self.ub.append(np.array([ub]))
        self.key_of.append(np.full(1, -1, dtype=np.int64))
        self.count += 1

    def add_entries(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> None:
        """One more entry in each of the given (existing) rows: vals * v[cols]."""
        if len(rows):
            self.rows.append(rows)
            self.cols.append(cols)
            self.vals.append(vals)

    def add_column(self, first: int, col: int, vals: np.ndarray) -> None:
        """One more entry in each of the len(vals) rows from row `first`: vals * v[col]."""
        self.rows.append(first + np.arange(len(vals)))
        self.cols.append(np.full(len(vals), col))
        self.vals.append(vals)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """a_row, a_col, a_val, row_lb, row_ub, as Milp takes them."""

        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        key_of = cat(self.key_of, np.int64)
        alone = key_of < 0
        # Keyed rows by key (then as added), then every other row as added.
        order = np.lexsort((np.arange(self.count), np.where(alone, 0, key_of), alone))
        position = np.empty(self.count, dtype=np.int64)
        position[order] = np.arange(self.count)
        return (
            position[cat(self.rows, np.int64)],
            cat(self.cols, np.int64),
            cat(self.vals, float),
            cat(self.lb, float)[order],
            cat(self.ub, float)[order],
        )


def objective_costs(
    scenario: Scenario,
    cand: Candidates,
    objective: Objective,
    n_cols: int,
    x_col: np.ndarray,
    share_cols: np.ndarray,
) -> np.ndarray:
    """Costs of a linear objective over the model's columns (minimisation form); a
    need-weighted objective sums over resources, each with its weight."""
    c = np.zeros(n_cols)
    if objective == "distance":
        np.add.at(c, x_col, cand.km)
    elif objective == "weighted_distance":
        need = scenario.need_matrix[cand.recipient]
        for k, weight in enumerate(scenario.weights):
            np.add.at(c, share_cols[k], cand.km * need[:, k] * weight)
    elif isinstance(objective, ColumnObjective):
        assert scenario.pairs is not None
        rows = scenario.pair_rows(cand)
        values = scenario.pairs.columns[objective.column][rows] if len(rows) else np.zeros(0)
        np.add.at(c, x_col, values if objective.sense == "min" else -values)
    else:
        raise ValueError(f"objective {objective!r} is not linear in the pair variables")
    return c


@dataclass(frozen=True)
class _Columns:
    """Where each variable sits: x_p, then f_pk per resource (unless f = x), then the
    shortfalls s_rk, then the terms' own columns (AUX_SIZES, in AUX_TERMS order)."""

    x: np.ndarray
    f: np.ndarray  # (resources, pairs)
    short: np.ndarray  # (resources, recipients), -1 where need must be covered in full
    n: int
    extra: dict[str, np.ndarray]  # a term's own columns (max_distance: [z], fairness: ...)

    @property
    def aux(self) -> int | None:
        """The one extra column of a max_distance or balance objective, if any."""
        for term in ("max_distance", "balance"):
            if term in self.extra:
                return int(self.extra[term][0])
        return None

    @property
    def fairness(self) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
        """fairness's own columns, per resource k: hi_k, lo_k, then the spread g, then the
        participation flags w_k (the layout `of` gives them)."""
        columns = self.extra["fairness"]
        n_resources = self.f.shape[0]
        spread = 2 * n_resources
        return columns[0:spread:2], columns[1:spread:2], int(columns[spread]), columns[spread + 1 :]

    @classmethod
    def of(
        cls, n: int, n_resources: int, single: bool, terms: set[str], priced: np.ndarray
    ) -> _Columns:
        """The layout for n pairs: f is x itself with one donor per recipient (f = x);
        `priced` (resources, recipients) marks the needs that may go uncovered."""
        x = np.arange(n, dtype=np.int64)
        if single:
            f = np.tile(x, (n_resources, 1))
            n_cols = n
        else:
            f = n + np.arange(n * n_resources, dtype=np.int64).reshape(n_resources, n)
            n_cols = n * (1 + n_resources)
        short = np.full(priced.shape, -1, dtype=np.int64)
        short[priced] = n_cols + np.arange(int(priced.sum()), dtype=np.int64)
        n_cols += int(priced.sum())
        extra = {}
        for term in AUX_TERMS:
            if term in terms:
                # fairness: hi_k and lo_k per resource, the spread g, then w_k per resource
                size = 3 * n_resources + 1 if term == "fairness" else 1
                extra[term] = n_cols + np.arange(size, dtype=np.int64)
                n_cols += size
        return cls(x, f, short, n_cols, extra)

    def bounds(self, fixed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lower and upper bounds and integrality: x binary (1 for fixed pairs), f and s
        in [0, 1], the minimax values unbounded above, the fractions of max_shortfall and
        fairness in [0, 1] (a utilisation cannot pass 1 under the capacity rows), fairness's
        participation flags w_k binary."""
        lb = np.zeros(self.n)
        ub = np.ones(self.n)
        integer = np.zeros(self.n, dtype=bool)
        integer[self.x] = True
        lb[self.x[fixed]] = 1.0
        if "fairness" in self.extra:
            integer[self.fairness[3]] = True
        for term in ("max_distance", "balance"):
            if term in self.extra:
                ub[self.extra[term]] = INF
        return lb, ub, integer


def _short_need(scenario: Scenario, priced: np.ndarray) -> np.ndarray:
    """The need a unit of each shortfall column leaves uncovered, weighted as the
    shortfall term weighs it, scaled to a largest of 1 (so the same in any unit)."""
    amounts = (scenario.weights[:, None] * scenario.need_matrix.T)[priced]
    top = float(np.abs(amounts).max(initial=0.0))
    return np.asarray(amounts / top if top > 0 else amounts)


def build_model(
    scenario: Scenario,
    objective: Objective | None = None,
    caps: tuple[tuple[str, float], ...] = (),
    tie_break: bool = True,
    priced_caps: bool = False,
    secondary_term: str | None = None,
) -> PairingModel:
    """Build the MILP for the scenario's allowed pairs under `objective` (default: the
    scenario's own; a lexicographic order is solved level by level, see pipeline.py).
    `caps` keeps terms within bounds: (term, b) holds sign x value <= b, the sign -1 for a
    term that is maximised (a level already optimised, or a point of a Pareto front); with
    `priced_caps` the value includes the shortfall price, as a level's score does."""
    objective = scenario.objective if objective is None else objective
    if isinstance(objective, OrderedObjective):
        objective = term_objective(objective.order[0].term)
    cand = scenario.candidates
    single = scenario.single_donor
    need = scenario.need_matrix.T  # (resources, recipients)
    priced = ~np.isnan(scenario.penalties)[:, None] & (need > 0)
    terms = set(objective_terms(objective)) | {term for term, _ in caps}
    cols = _Columns.of(len(cand), len(scenario.resources), single, terms, priced)
    rows = _Rows()
    _recipient_rows(rows, scenario, cols, single)
    _donor_rows(rows, scenario, cols, "balance" in terms)
    _changes_budget(rows, scenario, cols)
    expressions = _Terms(rows, scenario, cols)
    c, sense, scale, offset = _objective(expressions, scenario, cols, objective)
    for term, bound in caps:
        expressions.cap(term, bound, priced_caps)
    own_secondary = None  # a front's point: among its ties, the least of that term
    if secondary_term is not None:  # asked before the rows are read
        e, _ = expressions(secondary_term)
        sign = -1.0 if maximised(secondary_term) else 1.0
        own_secondary = sign * e / measures.term_normaliser(scenario, secondary_term)
    lb, ub, integer = cols.bounds(cand.fixed)
    milp = Milp(c, lb, ub, integer, *rows.arrays(), display_sense=float(sense) * scale)
    model = PairingModel(
        milp=milp,
        candidates=cand,
        x_col=cols.x,
        share_cols=cols.f,
        sense=sense,
        objective=objective,
        scale=scale,
        short_cols=cols.short if priced.any() else None,
        short_need=_short_need(scenario, priced) if priced.any() else None,
        offset=offset,
    )
    secondary = None
    if tie_break:
        secondary = _secondary(scenario, model, cols.n) if own_secondary is None else own_secondary
    if secondary is not None:  # never reported: its scale need not be kept
        secondary = secondary / power_of_ten(
            float(np.abs(secondary).max(initial=0.0)), COST_BAND, COST_TARGET
        )
    model.secondary = secondary
    if not single:
        model.min_fraction = np.where(need[:, cand.recipient] > 0, scenario.rules.min_share, 0.0)
    return model


def _recipient_rows(rows: _Rows, scenario: Scenario, cols: _Columns, single: bool) -> None:
    """Coverage, share bounds and donor counts: what each recipient must receive."""
    rules = scenario.rules
    cand = scenario.candidates
    ones = np.ones(len(cand))
    recipients = np.arange(len(scenario.recipients))
    low, high = scenario.donor_count_range
    counted = (low > 0) | (high < INF)
    if single:
        # Coverage: each recipient with a need has exactly one donor (f = x).
        positive = scenario.has_need
        rows.grouped(cand.recipient, cols.x, ones, recipients[positive], 1.0, 1.0)
        rest = recipients[~positive & counted]
        rows.grouped(cand.recipient, cols.x, ones, rest, low[rest], high[rest])
        return
    need = scenario.need_matrix
    reach = scenario.reach_matrix
    for k in range(len(scenario.resources)):
        targets = recipients[need[:, k] > 0]
        # Coverage of resource k: sum_d f + s = 1 (s only where a shortfall is priced).
        first = rows.count
        rows.grouped(cand.recipient, cols.f[k], ones, targets, 1.0, 1.0)
        short = cols.short[k, targets]
        has = short >= 0
        rows.add_entries(first + np.flatnonzero(has), short[has], np.ones(int(has.sum())))
        # f <= u x with u = min(1, capacity / load): a donor can cover at most the part of
        # a need its capacity allows. Tighter than f <= x, so the LP bound respects the
        # donor counts much better (a weak bound here left real scenarios unproven).
        first_pair = k * len(cand)  # resource by resource, then pair by pair
        rows.each(cols.f[k], ones, cols.x, -reach[:, k], 0.0, key=first_pair + np.arange(len(cand)))
        if rules.min_share > 0:
            share_pairs = np.flatnonzero(need[cand.recipient, k] > 0)
            rows.each(
                cols.x[share_pairs],
                np.full(len(share_pairs), rules.min_share),
                cols.f[k][share_pairs],
                -np.ones(len(share_pairs)),
                0.0,
                key=first_pair + share_pairs,
            )
    counted_rows = recipients[counted]
    rows.grouped(cand.recipient, cols.x, ones, counted_rows, low[counted_rows], high[counted_rows])


def _donor_rows(rows: _Rows, scenario: Scenario, cols: _Columns, balance: bool) -> None:
    """Recipient counts, capacity and minimum commitments: what each donor may take on."""
    cand = scenario.candidates
    low, high = scenario.recipient_count_range
    # Excluded donors are exempt from the count rule and from any minimum commitment.
    counted = np.flatnonzero(~scenario.excluded & ((low > 0) | (high < INF)))
    rows.grouped(cand.donor, cols.x, np.ones(len(cand)), counted, low[counted], high[counted])
    # Capacity (skipped for donors who could take every allowed pair at once). Each row
    # is in its donor's own unit (donor_scale), so that the solver's absolute tolerances
    # are relative to that donor's capacity and loads.
    n_donors = len(scenario.donors)
    unit = donor_scale(scenario)
    committed = scenario.min_load_matrix
    for k in range(len(scenario.resources)):
        cap = scenario.available_matrix[:, k] / unit[:, k]
        load = cand.loads[:, k] / unit[cand.donor, k]
        total_load = np.bincount(cand.donor, weights=load, minlength=n_donors)
        if balance:
            assert cols.aux is not None
            donors = np.flatnonzero(total_load > 0)
            rows.grouped(cand.donor, cols.f[k], load, donors, -INF, cap[donors])
            # load_d - cap_d * t <= 0 for every donor with capacity, t = largest utilisation.
            with_cap = donors[cap[donors] > 0]
            rows_before = rows.count
            rows.grouped(cand.donor, cols.f[k], load, with_cap, -INF, 0.0)
            rows.add_column(rows_before, int(cols.extra["balance"][0]), -cap[with_cap])
        else:
            binding = np.flatnonzero(total_load > cap * (1.0 + ROUNDING))
            rows.grouped(cand.donor, cols.f[k], load, binding, -INF, cap[binding])
        least = committed[:, k] / unit[:, k]
        bound = np.flatnonzero((least > 0) & ~scenario.excluded)
        rows.grouped(cand.donor, cols.f[k], load, bound, least[bound], INF)


def donor_scale(scenario: Scenario) -> np.ndarray:
    """(donors, resources): the unit each capacity row is written in, a power of ten of the
    larger of the donor's available capacity and its largest candidate load (1 inside
    AMOUNT_BAND)."""
    cand = scenario.candidates
    largest = np.zeros(scenario.available_matrix.shape)
    np.maximum.at(largest, cand.donor, cand.loads)
    magnitude = np.maximum(largest, scenario.available_matrix)
    return np.array(
        [power_of_ten(float(m), AMOUNT_BAND, AMOUNT_TARGET) for m in magnitude.ravel()]
    ).reshape(magnitude.shape)


def _changes_budget(rows: _Rows, scenario: Scenario, cols: _Columns) -> None:
    """rules.max_changes: the pairs dropped from plus added to the incumbent, at most K."""
    budget = scenario.rules.max_changes
    if budget is None or scenario.incumbent is None:
        return
    coefficients, constant = changes_expression(scenario, cols.n, cols.x)
    rows.dense(coefficients, -INF, budget - constant)


def changes_expression(
    scenario: Scenario, n_cols: int, x_col: np.ndarray
) -> tuple[np.ndarray, float]:
    """changes = e.v + constant: each incumbent pair not used counts 1 (those that are not
    allowed any more always count), each other pair used counts 1."""
    assert scenario.incumbent is not None
    cand = scenario.candidates
    incumbent = {scenario.pair_index(d, r) for d, r in set(scenario.incumbent)}
    width = len(scenario.recipients)
    codes = np.array([d * width + r for d, r in incumbent], dtype=np.int64)
    held = np.isin(cand.donor.astype(np.int64) * width + cand.recipient, codes)
    e = np.zeros(n_cols)
    e[x_col] = np.where(held, -1.0, 1.0)
    return e, float(len(incumbent))


class _Terms:
    """Each objective term as an expression e.v + constant over the model's columns, in
    the term's own unit (distance in km, shortfall in need, ...); the rows that hold a
    largest value or a spread in its own column are added once, when first asked for."""

    def __init__(self, rows: _Rows, scenario: Scenario, cols: _Columns) -> None:
        self.rows = rows
        self.scenario = scenario
        self.cols = cols
        self.done: dict[str, tuple[np.ndarray, float]] = {}
        # max_distance's column holds the longest km in this unit (see _objective)
        km = scenario.candidates.km
        self.km_unit = power_of_ten(float(np.abs(km).max(initial=0.0)), COST_BAND, COST_TARGET)

    def __call__(self, term: str) -> tuple[np.ndarray, float]:
        if term not in self.done:
            self.done[term] = self._build(term)
        return self.done[term]

    def _build(self, term: str) -> tuple[np.ndarray, float]:
        scenario, cols, rows = self.scenario, self.cols, self.rows
        cand = scenario.candidates
        n = len(cand)
        e = np.zeros(cols.n)
        if term in ("distance", "weighted_distance") or term.partition(":")[1]:
            one = term_objective(term)
            e = objective_costs(scenario, cand, one, cols.n, cols.x, cols.f)
            if isinstance(one, ColumnObjective) and one.sense == "max":
                e = -e  # objective_costs is in minimisation form
            return e, 0.0
        if term == "max_distance":
            z = int(cols.extra[term][0])
            # km_p * x_p - z <= 0 for every pair: z is at least the longest pair used.
            rows.each(cols.x, cand.km / self.km_unit, np.full(n, z), -np.ones(n), 0.0)
            e[z] = self.km_unit
            return e, 0.0
        if term == "balance":
            e[int(cols.extra[term][0])] = 1.0  # its rows are the capacity rows (_donor_rows)
            return e, 0.0
        if term in ("shortfall", "max_shortfall"):
            priced = cols.short >= 0
            need = scenario.need_matrix.T
            if term == "shortfall":
                e[cols.short[priced]] = (scenario.weights[:, None] * need)[priced]
                return e, 0.0
            m = int(cols.extra[term][0])
            short = cols.short[priced]
            rows.each(short, np.ones(len(short)), np.full(len(short), m), -np.ones(len(short)), 0.0)
            e[m] = 1.0
            return e, 0.0
        if term == "changes":
            return changes_expression(scenario, cols.n, cols.x)
        if term == "fairness":
            self._fairness_rows()
            hi, lo, g, _ = cols.fairness
            if len(scenario.resources) == 1:
                # hi - lo itself: the spread column g would only repeat it (and HiGHS 1.16
                # declared a solve error on a model with both)
                e[hi[0]], e[lo[0]] = 1.0, -1.0
            else:
                e[g] = 1.0
            return e, 0.0
        if term == "assortative":
            pair_weight = measures.assortative_weights(scenario)[cand.donor, cand.recipient]
            fraction_weight = measures.need_fractions_weights(scenario)[cand.recipient]
            for k in range(len(scenario.resources)):
                np.add.at(e, cols.f[k], pair_weight * fraction_weight[:, k])
            return e, 0.0
        raise ValueError(f"unknown objective term {term!r}")

    def _fairness_rows(self) -> None:
        """hi_k >= u_dk >= lo_k for each donor taking part, g >= hi_k - lo_k per resource;
        and lo_k <= w_k, each donor taking part in at least w_k pairs, with w_k binary. A
        donor taking part that serves nobody has utilisation 0, so lo_k > 0 needs every
        one of them to serve: w_k states that, which the relaxation alone does not see
        (it spreads thin fractions of pairs over all donors), and HiGHS can branch on it."""
        scenario, cols, rows = self.scenario, self.cols, self.rows
        cand = scenario.candidates
        highest, lowest, g, flags = cols.fairness
        n_resources = len(scenario.resources)
        unit = donor_scale(scenario)
        taking_part = measures.fairness_donors(scenario)
        for k in range(n_resources):
            donors = np.flatnonzero(taking_part[:, k])
            cap = scenario.available_matrix[donors, k] / unit[donors, k]
            load = cand.loads[:, k] / unit[cand.donor, k]
            hi, lo, w = int(highest[k]), int(lowest[k]), int(flags[k])
            if not len(donors):  # nobody's burden to compare: lo <= hi keeps the spread at 0
                rows.each(np.array([lo]), np.ones(1), np.array([hi]), -np.ones(1), 0.0)
                continue
            first = rows.count
            rows.grouped(cand.donor, cols.f[k], load, donors, -INF, 0.0)
            rows.add_column(first, hi, -cap)
            first = rows.count
            rows.grouped(cand.donor, cols.f[k], load, donors, 0.0, INF)
            rows.add_column(first, lo, -cap)
            rows.each(np.array([lo]), np.ones(1), np.array([w]), -np.ones(1), 0.0)
            first = rows.count
            rows.grouped(cand.donor, cols.x, np.ones(len(cand)), donors, 0.0, INF)
            rows.add_column(first, w, -np.ones(len(donors)))
            if n_resources > 1:  # g >= hi_k - lo_k: the largest spread over resources
                rows.each(np.array([hi]), np.ones(1), np.array([lo]), -np.ones(1), 0.0)
                rows.add_entries(np.array([rows.count - 1]), np.array([g]), -np.ones(1))

    def cap(self, term: str, bound: float, priced: bool = False) -> None:
        """sign x value <= bound as a row, divided by the term's normaliser (order one);
        `priced` adds the shortfall price (rules.coverage) to the value, as solve scores it."""
        e, constant = self(term)
        sign = -1.0 if maximised(term) else 1.0
        unit = measures.term_normaliser(self.scenario, term)
        coefficients = sign * e / unit
        if priced:
            coefficients = coefficients + shortfall_prices(self.scenario, self.cols) / unit
        self.rows.dense(coefficients, -INF, (bound - sign * constant) / unit)


def shortfall_prices(scenario: Scenario, cols: _Columns) -> np.ndarray:
    """The price of need left uncovered (rules.coverage) on each shortfall column, in the
    objective's own unit: price x need per uncovered fraction."""
    priced = cols.short >= 0
    out = np.zeros(cols.n)
    if priced.any():
        price = np.nan_to_num(scenario.penalties)[:, None] * scenario.need_matrix.T
        out[cols.short[priced]] = price[priced]
    return out


def _objective(
    terms: _Terms, scenario: Scenario, cols: _Columns, objective: Objective
) -> tuple[np.ndarray, int, float, float]:
    """The costs to minimise, the objective's sense (+1 minimise, -1 maximise), its scale
    (the unit of c.v) and its constant part. One term is optimised in its own unit; a
    weighted sum adds w_t / N_t x value_t (N_t: the term's normaliser, or its `scale:`),
    less for a term that is better larger."""
    shortfall = shortfall_prices(scenario, cols)
    if isinstance(objective, WeightedObjective):
        c = shortfall.copy()
        offset = 0.0
        for term, weighting in objective.terms.items():
            e, constant = terms(term)
            unit = weighting.scale or measures.term_normaliser(scenario, term)
            factor = weighting.weight / unit * (-1.0 if maximised(term) else 1.0)
            c += factor * e
            offset += factor * constant
        scale = power_of_ten(float(np.abs(c).max(initial=0.0)), COST_BAND, COST_TARGET)
        return c / scale, 1, scale, offset
    key = term_key(objective)
    assert key is not None
    e, constant = terms(key)
    sense = -1 if maximised(key) else 1
    if key == "max_distance":
        scale = terms.km_unit  # z is already in this unit
    elif key == "balance":
        scale = 1.0
    else:
        scale = power_of_ten(
            float(np.abs(sense * e + shortfall).max(initial=0.0)), COST_BAND, COST_TARGET
        )
    return (sense * e + shortfall) / scale, sense, scale, constant


def _secondary(scenario: Scenario, model: PairingModel, n_cols: int) -> np.ndarray | None:
    """Tie-break costs: among pairings equally good on the objective, prefer short pairs
    and short-travelled need (both, each over its normaliser, for objectives other than
    the two); without distances, fewer pairs."""
    cand, objective = model.candidates, model.objective
    if not scenario.solver.tie_break or len(cand) == 0:
        return None
    if np.isnan(cand.km).any():
        if model.single_donor:
            return None  # every pairing has one pair per recipient: nothing to prefer
        c = np.zeros(n_cols)
        c[model.x_col] = 1.0
        return c
    x_col, share_cols = model.x_col, model.share_cols
    distance = objective_costs(scenario, cand, "distance", n_cols, x_col, share_cols)
    weighted = objective_costs(scenario, cand, "weighted_distance", n_cols, x_col, share_cols)
    if objective == "weighted_distance":
        return distance
    if objective == "distance":
        return weighted
    # Each in the unit of a weighted sum, so that the unit of need or of distance the
    # scenario is written in does not change which of the two decides the pick.
    w_unit = measures.term_normaliser(scenario, "weighted_distance")
    d_unit = measures.term_normaliser(scenario, "distance")
    return np.asarray(weighted / w_unit + distance / d_unit)
