"""The scenario file's structure: one definition for validation and the JSON schema.

These models describe the YAML only (keys, types, ranges). Whether ids exist or
columns hold numbers is checked later against the tables (`scenario.build`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

NamedObjective = Literal[
    "distance",
    "weighted_distance",
    "max_distance",
    "balance",
    "shortfall",
    "max_shortfall",
    "changes",
    "fairness",
    "assortative",
]
NAMED_OBJECTIVES: tuple[str, ...] = get_args(NamedObjective)
# Set by one pair (max_distance) or one donor (balance): the model carries the value in an
# extra column, and equally good pairings are the rule.
MINIMAX_OBJECTIVES = ("max_distance", "balance")
# Terms whose value is a largest value or a spread: each needs columns of its own.
AUX_TERMS = ("max_distance", "balance", "max_shortfall", "fairness")
MAXIMISED_TERMS = ("assortative",)  # better when larger
# Terms that measure uncovered need: naming one lets need go uncovered, priced by the term.
SHORTFALL_TERMS = ("shortfall", "max_shortfall")
SolverName = Literal["highs", "cbc"]
SOLVER_NAMES: tuple[str, ...] = get_args(SolverName)  # the one list of solvers pairopt runs


def _not_a_flag(value: object) -> object:
    """A number given as true or false is a mistake, not 1 or 0: YAML reads yes, no, on,
    off, true and false as booleans (`reserve: no` would be a reserve of 0)."""
    if isinstance(value, bool):
        raise ValueError(f"is {str(value).lower()}, not a number")
    return value


NOT_A_FLAG = BeforeValidator(_not_a_flag)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TableSpec(_Strict):
    """Where a table is and which encoding/sheet to read it with."""

    file: str = Field(description="Path of a .csv or .xlsx file, relative to the scenario file.")
    encoding: str | None = Field(
        default=None,
        description="CSV text encoding (default: UTF-8 with or without BOM, then GB18030).",
    )
    sheet: str | None = Field(default=None, description="Sheet name for .xlsx (default: first).")


# A column name, or with several resources one column per resource ({staff: staff_cap}).
Columns = str | dict[str, str]


class DonorTable(TableSpec):
    id: str = Field(description="Column of unique donor ids.")
    capacity: Columns = Field(
        description="Column with how much need the donor can take on (>= 0); with several "
        "resources, a mapping of each resource to its column."
    )
    lat: str | None = Field(default=None, description="Column of latitudes in degrees.")
    lon: str | None = Field(default=None, description="Column of longitudes in degrees.")
    label: str | None = Field(default=None, description="Column shown as the display name.")
    # Per-donor rules: optional columns; a blank cell means the scenario-wide rule.
    max_recipients: str | None = Field(
        default=None, description="Column: most recipients this donor takes."
    )
    min_recipients: str | None = Field(
        default=None, description="Column: fewest recipients this donor takes."
    )
    max_distance_km: str | None = Field(
        default=None, description="Column: this donor's own distance limit in km."
    )
    min_load: Columns | None = Field(
        default=None,
        description="Column: the least load this donor must carry (a minimum commitment); "
        "with several resources, a mapping of resource to column.",
    )
    reserve: str | None = Field(
        default=None, description="Column: share of this donor's capacity kept at home."
    )


class RecipientTable(TableSpec):
    id: str = Field(description="Column of unique recipient ids.")
    need: Columns = Field(
        description="Column with the recipient's need (>= 0), unit of capacity; with several "
        "resources, a mapping of each resource to its column."
    )
    need_scale: Annotated[float, Field(gt=0, allow_inf_nan=False), NOT_A_FLAG] = Field(
        default=1.0,
        description="Factor applied to every need column: a need level to sweep or set as "
        "a what-if (e.g. recipients.need_scale=1.2) without rewriting the table.",
    )
    lat: str | None = None
    lon: str | None = None
    label: str | None = None
    min_donors: str | None = Field(
        default=None, description="Column: fewest donors this recipient gets."
    )
    max_donors: str | None = Field(
        default=None, description="Column: most donors this recipient gets."
    )


DONOR_RULE_COLUMNS = ("max_recipients", "min_recipients", "max_distance_km", "min_load", "reserve")
RECIPIENT_RULE_COLUMNS = ("min_donors", "max_donors")


class Resource(_Strict):
    """One kind of assistance (staff, supplies, funds): its own capacity, need and shares."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_]+$")]
    weight: Annotated[float, Field(gt=0, allow_inf_nan=False), NOT_A_FLAG] = Field(
        default=1.0,
        description="Weight of this resource in objectives that weight by need "
        "(weighted_distance); the shortfall price is set per resource on its own.",
    )


def _as_resource(value: object) -> object:
    """A bare name is shorthand for {name: NAME}."""
    return {"name": value} if isinstance(value, str) else value


Penalty = Annotated[float, Field(ge=0, allow_inf_nan=False), NOT_A_FLAG]


class Shortfall(_Strict):
    """Need may be left uncovered at a price per unit (per resource where several)."""

    shortfall_penalty: Penalty | dict[str, Penalty] = Field(
        description="Price per unit of need left uncovered, added to the objective; with "
        "several resources a number for all or a mapping {resource: price} (resources "
        "not named must be covered in full)."
    )


class PairTable(TableSpec):
    """Candidate pairs: columns donor, recipient and any of km, cost, load, score, ..."""


class Range(_Strict):
    """An inclusive count range; `max` absent means no upper limit."""

    min: Annotated[int, Field(ge=0), NOT_A_FLAG] = 0
    max: Annotated[int, Field(ge=0), NOT_A_FLAG] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


def _as_range(value: object) -> object:
    """Accept an exact number as shorthand for {min: n, max: n}."""
    if isinstance(value, int) and not isinstance(value, bool):
        return {"min": value, "max": value}
    return value


class PairRef(_Strict):
    donor: str
    recipient: str


class Rules(_Strict):
    donors_per_recipient: Range = Field(
        default=Range(min=1, max=1),
        description="How many donors each recipient gets: a number or {min, max}. Default 1.",
    )
    recipients_per_donor: Range = Field(
        default=Range(),
        description="How many recipients each donor takes: a number or {min, max}. "
        "Default: any number.",
    )
    max_distance_km: Annotated[float, Field(gt=0, allow_inf_nan=False), NOT_A_FLAG] | None = Field(
        default=None, description="Pairs farther apart than this are not allowed."
    )
    fixed: list[PairRef] = Field(default_factory=list, description="Pairs that must be used.")
    forbidden: list[PairRef] = Field(default_factory=list, description="Pairs never used.")
    exclude_donors: list[str] = Field(default_factory=list, description="Donors left out.")
    reserve: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False), NOT_A_FLAG] = Field(
        default=0.0, description="Share of each donor's capacity kept at home (0 <= r < 1)."
    )
    min_share: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False), NOT_A_FLAG] = Field(
        default=0.0,
        description="Each donor of a recipient covers at least this fraction of its need.",
    )
    coverage: Literal["full"] | Shortfall = Field(
        default="full",
        description="'full' (every need covered in full) or {shortfall_penalty: P}: "
        "uncovered need allowed at price P per unit.",
    )

    max_changes: Annotated[int, Field(ge=0), NOT_A_FLAG] | None = Field(
        default=None,
        description="At most this many pairs dropped from plus added to the incumbent "
        "pairing (needs `incumbent:`).",
    )

    _ranges = field_validator("donors_per_recipient", "recipients_per_donor", mode="before")(
        _as_range
    )

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        fixed = {(p.donor, p.recipient) for p in self.fixed}
        clash = sorted(fixed & {(p.donor, p.recipient) for p in self.forbidden})
        if clash:
            names = ", ".join(f"{d} -> {r}" for d, r in clash)
            raise ValueError(f"pairs both fixed and forbidden: {names}")
        excluded = sorted({d for d, _ in fixed} & set(self.exclude_donors))
        if excluded:
            raise ValueError(f"donors both excluded and in a fixed pair: {', '.join(excluded)}")
        dpr = self.donors_per_recipient
        if dpr.max == 0:
            raise ValueError("donors_per_recipient max is 0: no recipient could be served")
        if self.min_share > 0 and dpr.min > 0 and self.min_share * dpr.min > 1 + 1e-12:
            raise ValueError(
                f"min_share {self.min_share} x donors_per_recipient min {dpr.min} exceeds 1"
            )
        return self


class ColumnObjective(_Strict):
    """Optimise a numeric pair-table column summed over the pairs used."""

    minimize: str | None = None
    maximize: str | None = None

    @model_validator(mode="after")
    def _one(self) -> ColumnObjective:
        if (self.minimize is None) == (self.maximize is None):
            raise ValueError("give exactly one of minimize: COLUMN or maximize: COLUMN")
        return self

    @property
    def column(self) -> str:
        return self.minimize if self.minimize is not None else str(self.maximize)

    @property
    def sense(self) -> Literal["min", "max"]:
        return "min" if self.minimize is not None else "max"


class SolverSpec(_Strict):
    name: SolverName = "highs"
    time_limit: Annotated[float, Field(gt=0, allow_inf_nan=False), NOT_A_FLAG] | None = Field(
        default=None, description="Seconds for the whole solve (default: no limit)."
    )
    mip_gap: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False), NOT_A_FLAG] = Field(
        default=0.0, description="Relative gap at which a pairing counts as optimal (default 0)."
    )
    tie_break: bool = Field(
        default=True,
        description="Re-solve among optimal pairings with a secondary objective, so the "
        "same scenario always yields the same pairing.",
    )


def is_term(key: str) -> bool:
    """A term of a combined objective: a named objective or minimize:/maximize:COLUMN."""
    if key in NAMED_OBJECTIVES:
        return True
    sense, colon, column = key.partition(":")
    return bool(colon) and sense in ("minimize", "maximize") and bool(column.strip())


def _term_key(value: object) -> object:
    """'minimize: cost' (a space after the colon) names the same term as 'minimize:cost'."""
    if isinstance(value, str):
        sense, colon, column = value.partition(":")
        if colon:
            return f"{sense.strip()}:{column.strip()}"
        return value.strip()
    return value


def canonical_term(text: str) -> str:
    """A term as the objective forms write it: 'minimize: cost ' is 'minimize:cost'."""
    return str(_term_key(text))


def _check_term(key: str) -> str:
    if not is_term(key):
        raise ValueError(
            f"unknown term '{key}': use one of {', '.join(NAMED_OBJECTIVES)}, "
            "minimize:COLUMN or maximize:COLUMN"
        )
    return key


class TermWeight(_Strict):
    """One term of a weighted sum: its weight, and optionally its own unit (`scale`)."""

    weight: Annotated[float, Field(ge=0, allow_inf_nan=False), NOT_A_FLAG] = Field(
        description="How much one unit of the term (its value / scale) counts."
    )
    scale: Annotated[float, Field(gt=0, allow_inf_nan=False), NOT_A_FLAG] | None = Field(
        default=None,
        description="The term's unit: its value is divided by this before weighting "
        "(default: the term's normaliser, see docs/scenario-format.md).",
    )


class WeightedObjective(_Strict):
    """A weighted sum of terms, each divided by its normaliser: {term: weight, ...}."""

    terms: dict[str, TermWeight]

    @field_validator("terms", mode="before")
    @classmethod
    def _weights(cls, value: object) -> object:
        if isinstance(value, dict):
            return {
                _check_term(str(_term_key(k))): (
                    v if isinstance(v, dict | TermWeight) else {"weight": v}
                )
                for k, v in value.items()
            }
        return value

    @model_validator(mode="after")
    def _some(self) -> WeightedObjective:
        if not self.terms:
            raise ValueError("the weighted sum names no term")
        if not any(t.weight > 0 for t in self.terms.values()):
            raise ValueError("every weight of the weighted sum is 0: give one a positive weight")
        return self


class Level(_Strict):
    """One level of a lexicographic order: a term, optimised within the levels before it."""

    term: str
    tolerance: Annotated[float, Field(ge=0, allow_inf_nan=False), NOT_A_FLAG] = Field(
        default=0.0,
        description="How far (relative) the levels after this one may let it move from "
        "its optimum; 0 keeps it optimal.",
    )

    @field_validator("term", mode="before")
    @classmethod
    def _known(cls, value: object) -> object:
        return _check_term(str(_term_key(value))) if isinstance(value, str) else value


class OrderedObjective(_Strict):
    """A lexicographic order: [first, second, ...], each level optimal (within its
    tolerance) before the next is optimised."""

    order: list[Level]

    @field_validator("order", mode="before")
    @classmethod
    def _levels(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"term": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _some(self) -> OrderedObjective:
        if not self.order:
            raise ValueError("the order names no term")
        terms = [level.term for level in self.order]
        twice = sorted({t for t in terms if terms.count(t) > 1})
        if twice:
            raise ValueError(f"the order names {', '.join(twice)} twice")
        return self


Objective = NamedObjective | ColumnObjective | WeightedObjective | OrderedObjective


RobustMode = Literal["full", "worst", "mean"]
ROBUST_MODES: tuple[str, ...] = get_args(RobustMode)


class NeedTable(TableSpec):
    """One need scenario: a table of the recipients' needs under one possible future."""

    id: str | None = Field(
        default=None, description="Column of recipient ids (default: recipients.id)."
    )
    need: Columns | None = Field(
        default=None,
        description="Column of needs (default: recipients.need); with several resources, a "
        "mapping of each resource to its column.",
    )
    name: str | None = Field(
        default=None,
        description="The scenario's name in reports (default: the file, and the need "
        "column when it is not the recipients table's).",
    )


def _as_need_table(value: object) -> object:
    """A bare file name is shorthand for {file: NAME}."""
    return {"file": value} if isinstance(value, str) else value


class Uncertainty(_Strict):
    """Need scenarios a single pairing must hold up under (see docs/scenario-format.md)."""

    needs: list[NeedTable] = Field(
        default_factory=list,
        description="Need tables, one need scenario each: a file (id and need columns named "
        "as in the recipients table) or {file, id, need, name}; relative to the scenario file.",
    )
    samples: Annotated[int, Field(ge=0, le=10_000), NOT_A_FLAG] = Field(
        default=0,
        description="How many perturbed need scenarios to draw from the recipients table's "
        "need (with `perturb`).",
    )
    perturb: list[str] = Field(
        default_factory=list,
        description="How each sample is drawn, e.g. recipients.need=lognormal:0.2 or "
        "donors.capacity=uniform:0.9,1.1.",
    )
    seed: Annotated[int, Field(ge=0), NOT_A_FLAG] = Field(
        default=0, description="Seed of the samples: sample k depends on (seed, k) alone."
    )
    nominal: bool = Field(
        default=True,
        description="Whether the recipients table's own need is a need scenario too (the "
        "first, named 'nominal').",
    )
    robust: RobustMode = Field(
        default="full",
        description="full: cover every scenario's need, minimise the mean objective; worst "
        "(mean): minimise the worst (mean) objective plus priced shortfall over the scenarios.",
    )

    @field_validator("needs", mode="before")
    @classmethod
    def _tables(cls, value: object) -> object:
        return [_as_need_table(v) for v in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _drawn(self) -> Uncertainty:
        if self.samples and not self.perturb:
            raise ValueError(
                f"samples is {self.samples} and perturb is empty: every sample would be the "
                "nominal need; add e.g. perturb: [recipients.need=lognormal:0.2]"
            )
        if self.perturb and not self.samples:
            raise ValueError("perturb is given and samples is 0: set samples to how many to draw")
        if not (self.needs or self.samples or self.nominal):
            raise ValueError("no need scenario: give needs or samples, or leave nominal at true")
        return self


class ScenarioSpec(_Strict):
    """A pairopt scenario file."""

    name: str = "scenario"
    description: str | None = None
    resources: list[Resource] | None = Field(
        default=None,
        description="Several kinds of assistance (e.g. [staff, supplies, funds]); "
        "default: one unnamed resource.",
    )
    donors: DonorTable
    recipients: RecipientTable
    pairs: PairTable | None = None
    rules: Rules = Field(default_factory=Rules)
    objective: Objective = "weighted_distance"
    incumbent: str | None = Field(
        default=None,
        description="A pairing file (donor, recipient columns) of the pairing in place, "
        "relative to the scenario file: what the `changes` term and rules.max_changes count "
        "against.",
    )
    solver: SolverSpec = Field(default_factory=SolverSpec)
    uncertainty: Uncertainty | None = Field(
        default=None,
        description="Need scenarios: one pairing is chosen for all of them (robust pairing).",
    )

    @field_validator("resources", mode="before")
    @classmethod
    def _resource_names(cls, value: object) -> object:
        return [_as_resource(v) for v in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _resources_named(self) -> ScenarioSpec:
        """With resources, every amount column maps each resource, and nothing else."""
        names = [r.name for r in self.resources or []]
        if self.resources is not None:
            if not names:
                raise ValueError("resources is empty: name at least one, or leave it out")
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"resources named twice: {', '.join(twice)}")
        spots: list[tuple[str, object, bool]] = [
            ("donors.capacity", self.donors.capacity, True),
            ("recipients.need", self.recipients.need, True),
            ("donors.min_load", self.donors.min_load, False),
        ]
        coverage = self.rules.coverage
        if isinstance(coverage, Shortfall):
            spots.append(("rules.coverage.shortfall_penalty", coverage.shortfall_penalty, False))
        for i, table in enumerate(self.uncertainty.needs if self.uncertainty else []):
            if table.need is not None:
                spots.append((f"uncertainty.needs.{i}.need", table.need, True))
        for where, value, complete in spots:
            if not isinstance(value, dict):
                if self.resources is not None and complete:
                    raise ValueError(
                        f"{where} is one column, and the scenario has resources "
                        f"({', '.join(names)}): map each resource to its column, e.g. "
                        f"{{{names[0]}: COLUMN}}"
                    )
                continue
            if self.resources is None:
                one = "one number" if where.startswith("rules.") else "one column"
                raise ValueError(
                    f"{where} maps resources ({', '.join(value)}), and the scenario names "
                    f"none: add 'resources: [...]' or give {one}"
                )
            unknown = [k for k in value if k not in names]
            if unknown:
                raise ValueError(
                    f"{where} names unknown resource(s) {', '.join(unknown)}; the resources "
                    f"are {', '.join(names)}"
                )
            missing = [n for n in names if n not in value]
            if complete and missing:
                raise ValueError(f"{where} has no column for resource(s) {', '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _shortfall_allowed(self) -> ScenarioSpec:
        """An objective that minimises uncovered need lets need go uncovered: a scenario
        that also asks for full coverage in so many words contradicts itself."""
        names = objective_terms(self.objective)
        priced = [t for t in names if t in SHORTFALL_TERMS]
        if priced and "coverage" in self.rules.model_fields_set and self.rules.coverage == "full":
            raise ValueError(
                f"rules.coverage is 'full' and the objective minimises {priced[0]}, which "
                "lets need go uncovered: remove one of the two"
            )
        return self

    @field_validator("objective", mode="before")
    @classmethod
    def _short_form(cls, value: object) -> object:
        """'minimize:COLUMN' / 'maximize:COLUMN', the form a command line or a what-if
        override carries, means {minimize: COLUMN} / {maximize: COLUMN}."""
        return column_objective_text(value)


def column_objective_text(value: object) -> object:
    """The mapping an objective written as text stands for: 'minimize:COLUMN' or
    'maximize:COLUMN' is {sense: column}; 'a=1,b=50' a weighted sum {a: 1, b: 50}; 'a,b,c'
    (or 'a>b>c') a lexicographic order [a, b, c], a level's tolerance written 'b~0.05'.
    A mapping or list is turned into the form the objective's models read."""
    if isinstance(value, str):
        text = value.strip()
        if "=" in text:
            terms: dict[str, object] = {}
            for item in text.split(","):
                key, _, weight = item.partition("=")
                amount, slash, unit = weight.partition("/")  # 'b=50/10': weight 50, scale 10
                if key.strip() in terms:  # a dict would keep the last without a word
                    raise ValueError(f"the weighted sum names {key.strip()} twice")
                terms[key.strip()] = (
                    {"weight": amount.strip(), "scale": unit.strip()} if slash else amount.strip()
                )
            return {"terms": terms}
        if "," in text or ">" in text or "~" in text:
            levels: list[object] = []
            for item in text.replace(">", ",").split(","):
                term, tilde, tolerance = item.partition("~")
                levels.append(
                    {"term": term.strip(), "tolerance": tolerance.strip()}
                    if tilde
                    else term.strip()
                )
            return {"order": levels}
        sense, colon, column = text.partition(":")
        if colon and sense.strip() in ("minimize", "maximize") and column.strip():
            return {sense.strip(): column.strip()}
        return value
    if (
        isinstance(value, dict)
        and value
        and not set(value) & {"minimize", "maximize", "terms", "order"}
    ):
        return {"terms": value}
    if isinstance(value, list):
        return {"order": value}
    return value


def term_key(objective: Objective) -> str | None:
    """The term a one-term objective is ('minimize:cost' for a column); None for a sum or
    an order."""
    if isinstance(objective, ColumnObjective):
        return f"{'minimize' if objective.sense == 'min' else 'maximize'}:{objective.column}"
    if isinstance(objective, WeightedObjective | OrderedObjective):
        return None
    return str(objective)


def objective_terms(objective: Objective) -> list[str]:
    """Every term the objective names, in its order."""
    if isinstance(objective, WeightedObjective):
        return list(objective.terms)
    if isinstance(objective, OrderedObjective):
        return [level.term for level in objective.order]
    return [str(term_key(objective))]


# Terms whose value is an amount in the data's units (need x km, need, km, a column's):
# reports keep their significant digits in any unit. The others are ratios or counts,
# where a solver's round-off (fairness 1e-9) must still read 0.
UNIT_TERMS = ("distance", "weighted_distance", "max_distance", "shortfall")


def in_data_units(objective: object) -> bool:
    """Whether a one-term objective's value is an amount in the data's units."""
    return objective in UNIT_TERMS or isinstance(objective, ColumnObjective)


def term_objective(key: str) -> Objective:
    """The one-term objective a term key stands for."""
    sense, colon, column = key.partition(":")
    if colon:
        return ColumnObjective.model_validate({sense: column})
    return key  # type: ignore[return-value]


def maximised(objective: Objective | str) -> bool:
    """Better when larger: a maximize: column, the assortative term, an order whose first
    level is one of these (a weighted sum is always minimised)."""
    if isinstance(objective, OrderedObjective):
        return maximised(objective.order[0].term)
    if isinstance(objective, ColumnObjective):
        return objective.sense == "max"
    if isinstance(objective, str):
        return objective in MAXIMISED_TERMS or objective.startswith("maximize:")
    return False


def objective_name(objective: Objective) -> str:
    """A display name: 'distance', ..., 'minimize cost', 'maximize score'; a weighted sum
    'a=1,b=50' and an order 'a,b,c', the forms the command line takes."""
    if isinstance(objective, ColumnObjective):
        return f"{'minimize' if objective.sense == 'min' else 'maximize'} {objective.column}"
    if isinstance(objective, WeightedObjective):
        return ",".join(
            f"{k}={_number(t.weight)}" + ("" if t.scale is None else f"/{_number(t.scale)}")
            for k, t in objective.terms.items()
        )
    if isinstance(objective, OrderedObjective):
        return ",".join(
            level.term + (f"~{_number(level.tolerance)}" if level.tolerance else "")
            for level in objective.order
        )
    return objective


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _objective_forms(schema: dict[str, Any]) -> None:
    """Every form the loader reads an objective in (column_objective_text): a term's name,
    'minimize:COLUMN', the text forms 'a=1,b=50' and 'a,b~0.05,c', a mapping {term: weight},
    a list of terms, and the models' own {terms: ...} / {order: ...} with bare weights and
    bare level names. The models alone describe only their strict shapes, so the schema
    refused the README's own example. What a pattern cannot say is left to the loader: that
    some weight is positive, and that a text form names each term once."""
    names = "|".join(NAMED_OBJECTIVES)
    term = rf"(?:{names}|(?:minimize|maximize)\s*:[^,=>~/]*[^,=>~/\s][^,=>~/]*)"
    exponent = r"(?:[eE][-+]?[0-9]+)?"
    number = rf"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+){exponent}"  # >= 0
    positive = rf"(?:0*[1-9][0-9]*(?:\.[0-9]*)?|0*\.[0-9]*[1-9][0-9]*){exponent}"
    weighted = rf"\s*{term}\s*=\s*{number}(?:\s*/\s*{positive})?\s*"
    level = rf"\s*{term}\s*(?:~\s*{number}\s*)?"
    text = (
        rf"^(?:{term}|{weighted}(?:,{weighted})*|\s*{term}\s*~\s*{number}\s*"
        rf"|{level}(?:[,>]{level})+)$"
    )
    defs = schema["$defs"]
    weight = {"anyOf": [{"type": "number", "minimum": 0}, {"$ref": "#/$defs/TermWeight"}]}
    one_term = {"type": "string", "pattern": rf"^\s*{term}\s*$"}
    level_item = {"anyOf": [one_term, {"$ref": "#/$defs/Level"}]}
    defs["WeightedObjective"]["properties"]["terms"].update(
        additionalProperties=weight, minProperties=1
    )
    defs["OrderedObjective"]["properties"]["order"].update(
        items=level_item, minItems=1, uniqueItems=True
    )
    defs["ColumnObjective"].update(minProperties=1, maxProperties=1)  # exactly one sense
    entry = schema["properties"]["objective"]
    entry["anyOf"] = [
        *entry["anyOf"],
        {"type": "string", "pattern": text},
        {
            "type": "object",
            "propertyNames": {"pattern": rf"^{term}$"},
            "additionalProperties": weight,
            "minProperties": 1,
        },
        {"type": "array", "items": level_item, "minItems": 1, "uniqueItems": True},
    ]


def json_schema() -> dict[str, object]:
    """The JSON Schema of a scenario file, from the same models the loader validates with,
    for editors (e.g. the YAML language server) to complete and check scenario files."""
    schema = ScenarioSpec.model_json_schema()
    rules = schema["$defs"]["Rules"]["properties"]
    for key in ("donors_per_recipient", "recipients_per_donor"):
        # An exact number is accepted as shorthand for {min: n, max: n}.
        entry = rules[key]
        entry["anyOf"] = [{"type": "integer", "minimum": 0}, {"$ref": "#/$defs/Range"}]
        entry.pop("$ref", None)
    # A resource may be written as its bare name.
    resources = schema["properties"]["resources"]
    for option in resources.get("anyOf", []):
        if option.get("type") == "array":
            option["items"] = {"anyOf": [{"type": "string"}, option["items"]]}
    _objective_forms(schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "pairopt scenario",
        **schema,
    }
