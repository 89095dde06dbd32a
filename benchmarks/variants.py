"""Scenario variants: the whole `engine.solve` on the shipped and synthetic scenarios, each
as given and with the rule changes users try, timed in-process, so that a change to the
solve strategy is measured on many scenarios at once and not tuned to one.

    python -m benchmarks.variants [--time-limit 60] [--csv OUT] [--compare OLD.csv]
                                  [--only hubei-2020,prefecture-80] [--random 12] [--small 12]
                                  [--small-kinds 1,3] [--no-kinds] [--fresh 6] [--no-peer]
    python -m benchmarks.variants --objectives   # combined objectives and Pareto fronts

The set: the example, Hubei and sourced19 scenarios with six variants each; the shipped
multi-resource scenario with four; a synthetic prefecture scenario of 80 cities (seed 7)
with five; `--random` synthetic prefecture scenarios of 25 cities (seeds 1..N) and
`--small` ones of 16 cities, Hubei's size (seeds 1..N), each as generated, with
objective=distance and with min_share=0.25.

The rule kinds of several resources, a shortfall price and per-donor rule columns (KINDS)
run on the example, Hubei, sourced19 and prefecture-80 scenarios and on the 16-city ones
of the seeds `--small-kinds` (default 1,3): each kind derives a scenario folder from the
base one by a fixed rule (see `derive`), or is an override. `--no-kinds` leaves them out (the set of
the runs before they existed).

`--fresh N` adds 16-city scenarios of seeds 101.. that no solve strategy was tuned on,
with every objective, reported as a group of their own.

After each solve, the plain peer (plain.py: the textbook model in highspy, one solve to
gap 0, no tie-break) solves the same scenario; the summary gives both totals and the ratio
per group, and names any run where the two prove different optima.

Synthetic and derived scenarios are written to a temporary folder. Each row records the
seconds, status, tie-break state, objective, the need left uncovered (shortfall, summed
over resources), a digest of the pairing (pairs and shares to 6 decimals), the seconds of
each stage of the solve (`stages`), and the peer's seconds, status and objective.
`--compare` reads an earlier run's CSV (another commit, say) and prints both side by
side: totals over the runs that both finished, the median ratio, and every pairing that
differs.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pairing_opt.engine import pipeline as engine
from pairing_opt.engine.backends import Status, recording_stages
from pairing_opt.errors import InfeasibleError
from pairing_opt.io import loader
from pairing_opt.scenario.geo import great_circle_km

from . import machine, synthetic
from .plain import solve_plain

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
SHIPPED = ("example", "hubei-2020", "hubei-2020-sourced19")
SHIPPED_VARIANTS: tuple[tuple[str, ...], ...] = (
    (),
    ("objective=distance",),
    ("objective=max_distance",),
    ("rules.min_share=0.2",),
    ("rules.max_distance_km=1500",),
    ("objective=balance",),
)
PREFECTURE_VARIANTS: tuple[tuple[str, ...], ...] = (
    (),
    ("objective=distance",),
    ("objective=max_distance",),
    ("rules.min_share=0.2",),
    ("objective=balance",),
)
RANDOM_VARIANTS: tuple[tuple[str, ...], ...] = (
    (),
    ("objective=distance",),
    ("rules.min_share=0.25",),
)
# The shipped scenario with three resources, a shortfall price and per-donor columns.
MULTI = "multi-resource"
MULTI_VARIANTS: tuple[tuple[str, ...], ...] = (
    (),
    ("objective=distance",),
    ("rules.coverage=full",),
    ("rules.min_share=0.2",),
)
# The rule kinds of several resources, a shortfall price and per-donor rule columns:
# (kind, overrides). A kind derives a scenario folder from the base one (see `derive`);
# "" is the base scenario itself, with the overrides only.
PRICE = 1000  # shortfall price per unit of need: uncovered need costs as much as 1,000 km
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("2 resources", ()),
    ("3 resources", ()),
    ("", (f"rules.coverage={{shortfall_penalty: {PRICE}}}",)),
    (
        "3 resources",
        (f"rules.coverage={{shortfall_penalty: {{supplies: {PRICE}, funds: {PRICE}}}}}",),
    ),
    ("max_recipients column", ()),
    ("max_distance_km column", ()),
    ("min_load column", ()),
)
KIND_BASES = ("example", "hubei-2020", "hubei-2020-sourced19")  # then prefecture-80, small-N
# The 16-city scenarios (seeds) that also run the kinds by default: small-2 and small-4
# have no solution as generated.
SMALL_KINDS = (1, 3)
# 16-city scenarios of seeds the strategy was never tuned on (reported on their own), with
# every objective.
FRESH_FIRST = 101
FRESH_VARIANTS: tuple[tuple[str, ...], ...] = (
    (),
    ("objective=distance",),
    ("objective=max_distance",),
    ("objective=balance",),
    ("rules.min_share=0.25",),
)
FIELDS = [
    "scenario",
    "variant",
    "seconds",
    "status",
    "tie_break",
    "objective",
    "shortfall",
    "pairing",
    "stages",
    "peer_seconds",
    "peer_status",
    "peer_objective",
]


@dataclass(frozen=True)
class Case:
    scenario: str
    path: Path
    overrides: tuple[str, ...]
    kind: str = ""  # a derived scenario (KINDS); "" for the scenario as its folder has it

    @property
    def variant(self) -> str:
        return " ".join([f"[{self.kind}]"] * bool(self.kind) + list(self.overrides)) or "as given"


def cases(
    folder: Path,
    random_count: int,
    small_count: int = 0,
    kind_small: Sequence[int] = (),
    kinds: bool = True,
    fresh: int = 0,
) -> list[Case]:
    """Every (scenario, variant) of the set; synthetic and derived scenarios are written
    under `folder`. The runs of the rule kinds come after all the others, so that the
    others run in the order of the runs before the kinds existed."""
    found = [
        Case(name, ROOT / "scenarios" / name / "scenario.yaml", v)
        for name in SHIPPED
        for v in SHIPPED_VARIANTS
    ]
    bases = {name: ROOT / "scenarios" / name / "scenario.yaml" for name in KIND_BASES}
    made = synthetic.generate(folder / "prefecture-80", "prefecture", seed=7, recipients=80)
    bases["prefecture-80"] = made.folder / "scenario.yaml"
    found += [Case("prefecture-80", made.folder / "scenario.yaml", v) for v in PREFECTURE_VARIANTS]
    for seed in range(1, random_count + 1):
        made = synthetic.generate(folder / f"random-{seed}", "prefecture", seed=seed, recipients=25)
        found += [Case(f"random-{seed}", made.folder / "scenario.yaml", v) for v in RANDOM_VARIANTS]
    kind_small = kind_small if kinds else ()
    for seed in sorted(set(range(1, small_count + 1)) | set(kind_small)):
        made = synthetic.generate(folder / f"small-{seed}", "prefecture", seed=seed, recipients=16)
        if seed <= small_count:
            found += [
                Case(f"small-{seed}", made.folder / "scenario.yaml", v) for v in RANDOM_VARIANTS
            ]
        if seed in kind_small:
            bases[f"small-{seed}"] = made.folder / "scenario.yaml"
    for seed in range(FRESH_FIRST, FRESH_FIRST + fresh):
        made = synthetic.generate(folder / f"fresh-{seed}", "prefecture", seed=seed, recipients=16)
        found += [Case(f"fresh-{seed}", made.folder / "scenario.yaml", v) for v in FRESH_VARIANTS]
    if not kinds:
        return found
    multi = ROOT / "scenarios" / MULTI / "scenario.yaml"
    found += [Case(MULTI, multi, v) for v in MULTI_VARIANTS]
    for name, path in bases.items():
        for kind, overrides in KINDS:
            target = path
            if kind:
                target = derive(path, folder / "kinds" / name / kind.replace(" ", "-"), kind)
            found.append(Case(name, target, overrides, kind))
    return found


# ---------------------------------------------------------------------------- derived kinds
#
# Each kind is a fixed rule on the base scenario's own tables (i: recipient row, j: donor
# row, both from 0), so that every run derives the same numbers:
#
# - "2 resources": resources [staff, supplies]. staff is the base amount. supplies need_i =
#   round(need_i x (0.6 + 0.1 x (i mod 9))); supplies capacity_j = capacity_j x (0.85 + 0.1
#   x (j mod 4)), scaled so that total supplies capacity / need is the base's capacity /
#   need, rounded up; raised where needed so that a donor in fixed pairs has at least the sum,
#   over them, of the recipient's need / its number of fixed donors (a recipient whose
#   fixed donors fill its donor count stays feasible). A pair table's `load` becomes
#   load_staff, and load_supplies is the supplies need times the same factor load / need.
# - "3 resources": also {name: funds, weight: 0.01}, in hundredths of the base unit: funds
#   need_i = round(need_i x (0.5 + 0.25 x (i mod 5)) / 100, 2), capacity_j = capacity_j x
#   (0.7 + 0.2 x (j mod 4)) / 100, scaled to the base's capacity / need and raised for
#   fixed pairs as above, 2 decimals.
# - "max_recipients column": donors with capacity below the median take at most
#   max(1, recipients // donors) recipients (at least their fixed pairs); blank otherwise.
# - "max_distance_km column": every third donor (j mod 3 = 1) has its own distance limit,
#   the median distance of the scenario's candidate pairs (at most the scenario-wide limit,
#   at least its longest fixed pair); blank otherwise.
# - "min_load column": every third donor (j mod 3 = 2) that is not excluded must carry at
#   least a fifth of its capacity (after the reserve); blank otherwise.

SUPPLIES = "supplies"
FUNDS = "funds"
FUNDS_WEIGHT = 0.01


def derive(base: Path, out: Path, kind: str) -> Path:
    """Write the scenario folder `out` of `kind` made from the scenario file `base`, and
    return its scenario file."""
    spec = yaml.safe_load(base.read_text(encoding="utf-8"))
    here = base.parent
    donors = _read(here / spec["donors"]["file"])
    recipients = _read(here / spec["recipients"]["file"])
    pairs = _read(here / spec["pairs"]["file"]) if spec.get("pairs") else None
    cap_col, need_col = spec["donors"]["capacity"], spec["recipients"]["need"]
    cap = [_number(r[cap_col]) for r in donors]
    need = [_number(r[need_col]) for r in recipients]
    ratio = sum(cap) / max(sum(need), 1e-9)
    rules = spec.setdefault("rules", {})
    if kind in ("2 resources", "3 resources"):
        extra = [(SUPPLIES, 0)] + ([(FUNDS, 2)] if kind == "3 resources" else [])
        spec["resources"] = [
            "staff",
            SUPPLIES,
            *([{"name": FUNDS, "weight": FUNDS_WEIGHT}] if kind == "3 resources" else []),
        ]
        spec["donors"]["capacity"] = {"staff": cap_col}
        spec["recipients"]["need"] = {"staff": need_col}
        d_ids = [r[spec["donors"]["id"]].strip() for r in donors]
        r_ids = [r[spec["recipients"]["id"]].strip() for r in recipients]
        pinned = [
            (d_ids.index(p["donor"]), r_ids.index(p["recipient"])) for p in rules.get("fixed", [])
        ]
        for name, places in extra:
            amounts = _resource(name, need, cap, ratio, places, pinned)
            for row, value in zip(recipients, amounts[0], strict=True):
                row[name] = _text(value, places)
            for row, value in zip(donors, amounts[1], strict=True):
                row[name] = _text(value, places)
            spec["donors"]["capacity"][name] = name
            spec["recipients"]["need"][name] = name
            if pairs is not None and pairs and "load" in pairs[0]:
                index = {r[spec["recipients"]["id"]].strip(): i for i, r in enumerate(recipients)}
                for row in pairs:
                    i = index[row["recipient"].strip()]
                    load = _number(row["load"]) if row["load"].strip() else need[i]
                    factor = load / need[i] if need[i] > 0 else 0.0
                    row[f"load_{name}"] = _text(amounts[0][i] * factor, places)
        if pairs is not None and pairs and "load" in pairs[0]:
            for row in pairs:
                row["load_staff"] = row.pop("load")
    elif kind == "max_recipients column":
        fixed = _fixed_counts(rules)
        most = max(1, len(recipients) // len(donors))
        median = statistics.median(cap)
        for row, c in zip(donors, cap, strict=True):
            own = fixed.get(row[spec["donors"]["id"]].strip(), 0)
            row["max_recipients"] = str(max(most, own)) if c < median else ""
        spec["donors"]["max_recipients"] = "max_recipients"
    elif kind == "max_distance_km column":
        km = _distances(spec, donors, recipients, pairs)
        limit: float = float(statistics.median([d for ds in km.values() for d in ds.values()]))
        if rules.get("max_distance_km") is not None:
            limit = min(limit, float(rules["max_distance_km"]))
        for j, row in enumerate(donors):
            donor = row[spec["donors"]["id"]].strip()
            longest = max(
                (km[donor][p["recipient"]] for p in rules.get("fixed", []) if p["donor"] == donor),
                default=0.0,
            )
            reach = max(round(limit, -1), math.ceil(longest) + 1)
            row["max_distance_km"] = f"{reach:g}" if j % 3 == 1 else ""
        spec["donors"]["max_distance_km"] = "max_distance_km"
    elif kind == "min_load column":
        excluded = set(rules.get("exclude_donors", []))
        keep = 1.0 - float(rules.get("reserve", 0.0))
        for j, (row, c) in enumerate(zip(donors, cap, strict=True)):
            bound = j % 3 == 2 and row[spec["donors"]["id"]].strip() not in excluded
            row["min_load"] = _text(c * keep / 5, 2) if bound else ""
        spec["donors"]["min_load"] = "min_load"
    else:
        raise ValueError(f"unknown kind '{kind}'")
    out.mkdir(parents=True, exist_ok=True)
    for key, rows in (("donors", donors), ("recipients", recipients), ("pairs", pairs)):
        if rows is not None:
            spec[key]["file"] = f"{key}.csv"
            _write(out / f"{key}.csv", rows)
    (out / "scenario.yaml").write_text(
        yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return out / "scenario.yaml"


def _resource(
    name: str,
    need: list[float],
    cap: list[float],
    ratio: float,
    places: int,
    fixed: Sequence[tuple[int, int]] = (),
) -> tuple[list[float], list[float]]:
    """Needs and capacities of a derived resource (the rules above `derive`); `fixed` holds
    the (donor row, recipient row) of each fixed pair."""
    unit = 100.0 if name == FUNDS else 1.0
    if name == FUNDS:
        needs = [n * (0.5 + 0.25 * (i % 5)) / unit for i, n in enumerate(need)]
        raw = [c * (0.7 + 0.2 * (j % 4)) / unit for j, c in enumerate(cap)]
    else:
        needs = [n * (0.6 + 0.1 * (i % 9)) for i, n in enumerate(need)]
        raw = [c * (0.85 + 0.1 * (j % 4)) for j, c in enumerate(cap)]
    needs = [round(n, places) for n in needs]
    scale = ratio * sum(needs) / max(sum(raw), 1e-9)
    caps = [c * scale for c in raw]
    donors_of = [sum(1 for _, r in fixed if r == i) for i in range(len(need))]
    for j in range(len(cap)):
        least = sum(needs[i] / donors_of[i] for d, i in fixed if d == j)
        caps[j] = max(caps[j], least)
    step = 10.0**-places  # capacities are rounded up to the last decimal kept
    return needs, [round(math.ceil(round(c / step, 6)) * step, places) for c in caps]


def _distances(
    spec: dict[str, Any],
    donors: list[dict[str, str]],
    recipients: list[dict[str, str]],
    pairs: list[dict[str, str]] | None,
) -> dict[str, dict[str, float]]:
    """km of every candidate pair, by donor and recipient id: the pair table's km where it
    gives one, else the great-circle distance (as pairopt computes it)."""
    d_spec, r_spec = spec["donors"], spec["recipients"]
    d_at = {
        r[d_spec["id"]].strip(): (_number(r[d_spec["lat"]]), _number(r[d_spec["lon"]]))
        for r in donors
    }
    r_at = {
        r[r_spec["id"]].strip(): (_number(r[r_spec["lat"]]), _number(r[r_spec["lon"]]))
        for r in recipients
    }
    given: dict[tuple[str, str], float | None] = {}
    if pairs is not None:
        for p in pairs:
            text = p.get("km", "").strip()
            given[(p["donor"].strip(), p["recipient"].strip())] = _number(text) if text else None
    else:
        given = {(d, r): None for d in d_at for r in r_at}
    out: dict[str, dict[str, float]] = {d: {} for d in d_at}
    for (d, r), km in given.items():
        if km is None:
            km = float(great_circle_km(d_at[d][0], d_at[d][1], r_at[r][0], r_at[r][1]))
        out[d][r] = km
    return out


def _fixed_counts(rules: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in rules.get("fixed", []):
        counts[p["donor"]] = counts.get(p["donor"], 0) + 1
    return counts


def _number(text: str) -> float:
    return float(str(text).replace(",", "").strip())


def _text(value: float, places: int) -> str:
    return f"{value:.{places}f}"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def run_case(case: Case, time_limit: float, peer: bool = True) -> dict[str, object]:
    """One whole solve, as `pairopt solve --time-limit` would run it, with the seconds of
    each of its stages; then (`peer`) the plain model of the same scenario (plain.py)."""
    scenario = loader.load(case.path, [*case.overrides, f"solver.time_limit={time_limit}"])
    start = time.perf_counter()
    with recording_stages() as stages:
        try:
            result = engine.solve(scenario)
        except InfeasibleError:
            result = None
    seconds = time.perf_counter() - start
    if result is None:
        row = _row(case, seconds, "infeasible", "", "", "", "")
    else:
        digest = pairing_digest(result.pairing)
        status = "optimal" if result.status == Status.OPTIMAL else str(result.status)
        short = f"{result.evaluation.total_shortfall:.6f}"
        objective = f"{result.objective_value:.6f}"
        row = _row(case, seconds, status, result.tie_break, objective, short, digest)
    row["stages"] = " ".join(f"{name}={t:.3f}" for name, t in stages)
    if peer:
        plain = solve_plain(scenario, time_limit)
        row["peer_seconds"] = round(plain.seconds, 3)
        row["peer_status"] = plain.status
        row["peer_objective"] = "" if plain.objective is None else f"{plain.objective:.6f}"
    return row


def mismatch(row: dict[str, object]) -> bool:
    """Both models proven optimal with different objectives: one of them is wrong."""
    if row.get("status") != "optimal" or row.get("peer_status") != "optimal":
        return False
    ours, theirs = float(str(row["objective"])), float(str(row["peer_objective"]))
    return abs(ours - theirs) > 1e-6 * max(1.0, abs(ours), abs(theirs))


def peer_finished(row: dict[str, object]) -> bool:
    return row.get("peer_status") in ("optimal", "infeasible")


def pairing_digest(pairing: Sequence[Any]) -> str:
    """12 hex digits of the pairs and their shares to 6 decimals; with several resources
    every resource's share (one resource: the digest of the runs before resources)."""
    text = "\n".join(
        "\t".join([a.donor, a.recipient, *(f"{v:.6f}" for v in (a.shares or (a.share,)))])
        for a in pairing
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _row(
    case: Case,
    seconds: float,
    status: str,
    tie: str,
    objective: str,
    shortfall: str,
    digest: str,
) -> dict[str, object]:
    return {
        "scenario": case.scenario,
        "variant": case.variant,
        "seconds": round(seconds, 3),
        "status": status,
        "tie_break": tie,
        "objective": objective,
        "shortfall": shortfall,
        "pairing": digest,
    }


def finished(row: dict[str, object]) -> bool:
    """Solved within the limit: proven optimal with a finished tie-break, or infeasible."""
    return row["status"] == "infeasible" or (
        row["status"] == "optimal" and row["tie_break"] in ("done", "skipped")
    )


def compare(old: list[dict[str, object]], new: list[dict[str, object]]) -> str:
    """Side by side against an earlier run: totals over the runs both finished, the
    median ratio new/old, and every run whose pairing differs."""
    before = {(str(r["scenario"]), str(r["variant"])): r for r in old}
    lines = [f"{'scenario':<22} {'variant':<28} {'old s':>8} {'new s':>8}  pairing"]
    ratios, totals, differ = [], [0.0, 0.0], []
    for row in new:
        key = (str(row["scenario"]), str(row["variant"]))
        if key not in before:
            continue
        was = before[key]
        same = was["pairing"] == row["pairing"] and was["status"] == row["status"]
        lines.append(
            f"{key[0]:<22} {key[1]:<28} {float(str(was['seconds'])):8.2f} "
            f"{float(str(row['seconds'])):8.2f}  {'same' if same else 'DIFFERENT'}"
        )
        if not same:
            differ.append(f"{key[0]} {key[1]}: {_state(was)} -> {_state(row)}")
        if finished(was) and finished(row) and row["status"] != "infeasible":
            a, b = float(str(was["seconds"])), float(str(row["seconds"]))
            totals[0] += a
            totals[1] += b
            ratios.append(b / max(a, 1e-3))
    lines.append("")
    if ratios:
        faster = sum(r < 1 for r in ratios)
        lines.append(
            f"{len(ratios)} runs finished in both: {totals[0]:.2f} s old, {totals[1]:.2f} s "
            f"new ({totals[1] / max(totals[0], 1e-9):.2f}x); median ratio new/old "
            f"{statistics.median(ratios):.2f} ({min(ratios):.2f} to {max(ratios):.2f}); "
            f"{faster} faster, {len(ratios) - faster} not"
        )
    lines.append(f"pairings that differ: {len(differ)}")
    lines.extend(f"  {d}" for d in differ)
    return "\n".join(lines)


def _state(row: dict[str, object]) -> str:
    return f"{row['status']}/{row['tie_break'] or '-'} {row['objective'] or '-'} {row['pairing']}"


def read_csv(path: Path) -> list[dict[str, object]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def group(row: dict[str, object]) -> str:
    """The part of the set a row belongs to: the runs that existed before the rule kinds
    ('before'), the shipped multi-resource scenario, or its rule kind."""
    scenario, variant = str(row["scenario"]), str(row["variant"])
    if scenario == MULTI:
        return MULTI
    if scenario.startswith("fresh-"):
        return "fresh seeds"
    if variant.startswith("["):
        kind = variant[1 : variant.index("]")]
        return f"{kind} + shortfall" if "rules.coverage" in variant else kind
    if variant.startswith("rules.coverage"):
        return "shortfall"
    return "before"


def summary(rows: list[dict[str, object]]) -> str:
    """Per group: runs, proven with the tie-break done, their total and longest seconds;
    and against the plain peer, over the runs both finished, the two totals and the
    largest ratio pairopt / peer."""
    groups: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        groups.setdefault(group(row), []).append(row)
    lines = [
        f"{'group':<30} {'runs':>5} {'proven':>7} {'total s':>9} {'max s':>8}"
        f" {'both':>5} {'ours s':>8} {'peer s':>8} {'ratio':>6} {'worst':>6}  other"
    ]
    for name, members in groups.items():
        lines.append(_summary_line(name, members))
    lines.append(_summary_line("all", rows))
    return "\n".join(lines)


def _summary_line(name: str, members: list[dict[str, object]]) -> str:
    done = [r for r in members if finished(r) and r["status"] != "infeasible"]
    seconds = [float(str(r["seconds"])) for r in done]
    both = [r for r in members if finished(r) and peer_finished(r)]
    ours = sum(float(str(r["seconds"])) for r in both)
    peer = sum(float(str(r["peer_seconds"])) for r in both)
    worst = max((_ratio(r) for r in both), default=math.nan)
    other = [
        f"{r['scenario']} {r['status']}/{r['tie_break'] or '-'}" for r in members if r not in done
    ]
    if name == "all":
        other = []
    return (
        f"{name:<30} {len(members):>5} {len(done):>7} {sum(seconds):>9.2f} "
        f"{max(seconds, default=0.0):>8.2f} {len(both):>5} {ours:>8.2f} {peer:>8.2f} "
        f"{ours / max(peer, 1e-9):>6.2f} {worst:>6.2f}  {', '.join(other)}"
    )


def _ratio(row: dict[str, object]) -> float:
    return float(str(row["seconds"])) / max(float(str(row["peer_seconds"])), 1e-3)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.variants",
        description="Whole engine.solve time on shipped and synthetic scenario variants.",
    )
    parser.add_argument("--time-limit", type=float, default=60.0, help="per solve (60 s)")
    parser.add_argument("--random", type=int, default=12, help="random 25-city scenarios (12)")
    parser.add_argument("--small", type=int, default=12, help="random 16-city scenarios (12)")
    parser.add_argument(
        "--small-kinds",
        default=",".join(str(s) for s in SMALL_KINDS),
        help="seeds of the 16-city scenarios that also run the rule kinds "
        f"({','.join(str(s) for s in SMALL_KINDS)}; '' for none)",
    )
    parser.add_argument(
        "--no-kinds",
        action="store_true",
        help="leave out the multi-resource scenario and the rule kinds",
    )
    parser.add_argument(
        "--fresh",
        type=int,
        default=6,
        help=f"16-city scenarios of seeds never tuned on ({FRESH_FIRST}..), all objectives (6)",
    )
    parser.add_argument(
        "--no-peer", action="store_true", help="leave out the plain model (plain.py)"
    )
    parser.add_argument("--only", help="comma-separated scenario names to run")
    parser.add_argument("--csv", type=Path, help="default: benchmarks/results/variants.csv")
    parser.add_argument("--compare", type=Path, help="an earlier run's CSV to compare with")
    parser.add_argument(
        "--objectives",
        action="store_true",
        help="run only the combined objectives and Pareto fronts (benchmarks/objectives.py)",
    )
    args = parser.parse_args(argv)
    if args.objectives:
        from . import objectives

        return objectives.main(["--time-limit", str(args.time_limit)])
    old = read_csv(args.compare) if args.compare else None

    print(f"machine: {machine.describe()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="pairopt-variants-") as tmp:
        seeds = [int(s) for s in args.small_kinds.split(",") if s.strip()]
        todo = cases(Path(tmp), args.random, args.small, seeds, not args.no_kinds, args.fresh)
        if args.only:
            wanted = {s.strip() for s in args.only.split(",")}
            todo = [c for c in todo if c.scenario in wanted]
        for case in todo:
            row = run_case(case, args.time_limit, not args.no_peer)
            rows.append(row)
            peer = "" if args.no_peer else f"  peer {row['peer_seconds']} s {row['peer_status']}"
            print(
                f"{case.scenario:<22} {case.variant:<44} {row['seconds']:>8} s  "
                f"{row['status']}/{row['tie_break'] or '-'}  {row['pairing']}{peer}"
                f"{'  MODELS DISAGREE' * mismatch(row)}",
                flush=True,
            )
    done = [r for r in rows if finished(r) and r["status"] != "infeasible"]
    total = sum(float(str(r["seconds"])) for r in done)
    print(f"\n{len(done)} of {len(rows)} runs proven with the tie-break done: {total:.2f} s")
    disagree = [f"{r['scenario']} {r['variant']}" for r in rows if mismatch(r)]
    print(f"runs where pairopt and the plain model prove different optima: {disagree or 'none'}")
    print(summary(rows))
    print(f"load average after the run: {machine.load_average()}")
    out = args.csv or RESULTS / "variants.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"rows written to {out}")
    if old is not None:
        print()
        print(compare(old, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
