"""What a sweep runs: the grid of `--vary` values crossed with perturbed samples.

Runs are numbered 1..N in a fixed order (grid point by grid point, samples within each),
so a run's number names the same what-if in every invocation of the same sweep: that is
what lets an interrupted sweep run only what is missing.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import Collector

VARY_EXAMPLE = "rules.max_distance_km=800,1000,1500"


# The runs file's own columns: a varied key of the same name (`--vary objective=...`) would
# be overwritten by the result's value, so its column is named varied_KEY instead.
RESULT_COLUMNS = frozenset(
    {"run", "sample", "status", "objective", "bound", "gap", "seconds", "shortfall"}
    | {"pairing_hash", "changes_vs_base", "message", "pairs"}
)


def vary_column(key: str) -> str:
    """The runs file's column for a varied key: the key, or varied_KEY for a result column."""
    return f"varied_{key}" if key in RESULT_COLUMNS else key


@dataclass(frozen=True)
class Vary:
    """One swept key and its values, each written as in `--set KEY=VALUE` (YAML)."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Run:
    """One what-if of a sweep: its number, the value of each varied key, its sample."""

    index: int
    settings: tuple[tuple[str, str], ...]
    sample: int | None

    @property
    def overrides(self) -> list[str]:
        return [f"{key}={value}" for key, value in self.settings]

    @property
    def columns(self) -> dict[str, str]:
        """The varied values under their column names in the runs file."""
        return {vary_column(key): value for key, value in self.settings}


def split_values(text: str) -> list[str]:
    """Split at commas outside brackets and quotes: '[a, b],c' -> ['[a, b]', 'c']."""
    parts: list[str] = []
    depth, quote, start = 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def parse_vary(texts: Sequence[str], where: str = "vary") -> list[Vary]:
    """Read 'KEY=V1,V2,...' texts; raises InputError naming every bad one."""
    problems = Collector()
    found: list[Vary] = []
    for text in texts:
        key, sep, raw = text.partition("=")
        key = key.strip()
        values = split_values(raw) if sep else []
        if not sep or not key or not raw.strip() or any(not v for v in values):
            problems.add(
                f"{where} {text}",
                "expected KEY=V1,V2,... with a value between every two commas.",
                f"e.g. {VARY_EXAMPLE}",
            )
        elif key in (v.key for v in found):
            problems.add(
                f"{where} {text}",
                f"'{key}' is varied twice.",
                "give all its values in one KEY=V1,V2,...",
            )
        elif overlap := next((v.key for v in found if _nested(v.key, key)), None):
            # the later override replaces or edits the earlier one's value: a run labelled
            # donors_per_recipient=2 ran with {max: 2}
            problems.add(
                f"{where} {text}",
                f"'{key}' and '{overlap}' set the same value, one inside the other.",
                "vary one of them only.",
            )
        elif len(set(values)) != len(values):
            problems.add(f"{where} {text}", "a value is repeated.", "give each value once.")
        else:
            found.append(Vary(key, tuple(values)))
    problems.raise_if_any()
    return found


def _nested(a: str, b: str) -> bool:
    """One key is the other or inside it (rules.donors_per_recipient and
    rules.donors_per_recipient.max)."""
    return a.startswith(b + ".") or b.startswith(a + ".")


def plan_runs(varies: Sequence[Vary], samples: int | None) -> list[Run]:
    """Every combination of the varied values, each with samples 0..N-1 when sampling."""
    keys = [v.key for v in varies]
    grid = itertools.product(*(v.values for v in varies))
    draws: list[int | None] = list(range(samples)) if samples else [None]
    runs: list[Run] = []
    for values in grid:
        settings = tuple(zip(keys, values, strict=True))
        runs.extend(Run(len(runs) + 1, settings, sample) for sample in draws)
    return runs
