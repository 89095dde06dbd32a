"""HiGHS threads while a uniqueness check races the whole model (`engine/strategy.py`
`_solve_whole_checked`): HiGHS's own choice for both runs (as shipped), one thread for
both, one thread for the checks only; and the checks at a lower scheduling priority than
the solve (as shipped since) against the same priority. Each the whole library solve,
back to back.

    python -m research.race_threads [--cases random-3,fresh-104:objective=distance,...]
                                    [--settings "own choice,checks not niced"]
                                    [--repeat 2] [--time-limit 60] [--csv OUT]

Why: on 2 cores each HiGHS run left to its own choice makes a pool of 2 threads, so a
solve and the check racing it run 4 solver threads on 2 cores, and the whole model runs
slower inside the race than alone (figures in research/README.md). Giving the racing runs
fewer threads removes the competition but also changes HiGHS's search, so the study
compares the settings on every case where the whole model races (one resource,
synthetic), not on one.

A case is NAME[:OVERRIDE]: random-S is the 25-city synthetic scenario of seed S, small-S
and fresh-S the 16-city one (benchmarks/variants.py names them so); OVERRIDE is one
`--set` (e.g. objective=distance). Scenarios are generated into a temporary folder,
removed afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pairing_opt as po
from benchmarks import machine
from benchmarks.synthetic import generate
from pairing_opt.engine import backends, race, strategy
from research.records import echo, finish, scratch, stages_text

FIELDS = ["case", "setting", "repeat", "seconds", "status", "objective", "stages"]
# "own choice" is as shipped: HiGHS's thread count, the checks at a lower priority than the
# solve (engine/race.py); "checks not niced" at the solve's priority, as before that.
SETTINGS = ("own choice", "one thread each", "checks one thread", "checks not niced")
# The synthetic one-resource variants whose whole model races a check (stages "whole" and
# "tie-check" in benchmarks/results/variants.csv).
CASES = (
    "random-3",
    "random-3:rules.min_share=0.25",
    "random-4",
    "random-4:objective=distance",
    "random-5",
    "random-10",
    "small-11:objective=distance",
    "small-12:objective=distance",
    "fresh-104",
    "fresh-104:objective=distance",
    "fresh-104:rules.min_share=0.25",
)


def _one_thread(call: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        token = backends.THREADS_HERE.set(1)
        try:
            return call(*args, **kwargs)
        finally:
            backends.THREADS_HERE.reset(token)

    return wrapped


def _off_main(call: Callable[..., Any]) -> Callable[..., Any]:
    """One thread for the calls made on a check's thread; the main thread's unchanged."""
    single = _one_thread(call)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            return call(*args, **kwargs)
        return single(*args, **kwargs)

    return wrapped


@contextlib.contextmanager
def setting(name: str) -> Iterator[None]:
    """Patch the racing solve for one setting (a private name of engine.strategy each, or
    engine.race's nice step)."""
    if name not in SETTINGS:
        raise ValueError(f"setting must be one of {', '.join(SETTINGS)}, not {name!r}")
    names = {
        "own choice": {},
        "one thread each": {"_solve_whole_checked": _one_thread},
        "checks one thread": {"_pair_set_lp": _off_main, "_alone_under_cap": _off_main},
        "checks not niced": {},
    }[name]
    saved = {n: getattr(strategy, n) for n in names}
    nice = race.CHECK_NICE
    for n, wrap in names.items():
        setattr(strategy, n, wrap(saved[n]))
    if name == "checks not niced":
        race.CHECK_NICE = 0
    try:
        yield
    finally:
        for n, original in saved.items():
            setattr(strategy, n, original)
        race.CHECK_NICE = nice


def scenario_path(folder: Path, name: str) -> Path:
    kind, _, seed = name.partition("-")
    recipients = {"random": 25, "small": 16, "fresh": 16}.get(kind)
    if recipients is None or not seed.isdigit():
        raise ValueError(f"a case is random-S, small-S or fresh-S, not {name!r}")
    target = folder / name
    if not target.exists():
        generate(target, "prefecture", seed=int(seed), recipients=recipients)
    return target / "scenario.yaml"


def solve(path: Path, overrides: Sequence[str], name: str, time_limit: float) -> dict[str, Any]:
    scenario = po.load(path, list(overrides))
    with setting(name):
        start = time.perf_counter()
        result = po.solve(scenario, time_limit=time_limit)
        seconds = time.perf_counter() - start
    data = result.to_dict(timings=False)
    return {
        "setting": name,
        "seconds": round(seconds, 2),
        "status": result.status,
        "objective": data["objective"]["value"],
        "stages": stages_text(result.stages),
    }


def run(
    cases: Sequence[str],
    repeat: int,
    time_limit: float,
    settings: Sequence[str] = SETTINGS,
) -> list[dict[str, Any]]:
    rows = []
    with scratch("pairopt-race-threads-") as folder:
        for i, case in enumerate(cases):
            name, _, override = case.partition(":")
            path = scenario_path(folder, name)
            for r in range(repeat):
                turn = (i + r) % len(settings)  # each setting goes first in turn
                for s in [*settings[turn:], *settings[:turn]]:
                    solved = solve(path, [override] if override else [], s, time_limit)
                    row = {"case": case, "repeat": r + 1, **solved}
                    rows.append(row)
                    echo(row, FIELDS)
    return rows


def summary(rows: list[dict[str, Any]]) -> str:
    """Each setting's total over the cases every setting proved in every repeat, the
    ratio to the first setting run (HiGHS's own choice by default), and on how many cases
    it was more than 10% faster or slower (by the case's mean)."""
    settings = list(dict.fromkeys(r["setting"] for r in rows))
    settings.sort(key=SETTINGS.index)
    by_case: dict[str, dict[str, list[float]]] = {}
    failed = set()
    for r in rows:
        by_case.setdefault(r["case"], {}).setdefault(r["setting"], []).append(r["seconds"])
        if r["status"] != "optimal":
            failed.add(r["case"])
    both = [c for c, s in by_case.items() if c not in failed and len(s) == len(settings)]
    mean = {c: {s: sum(t) / len(t) for s, t in by_case[c].items()} for c in both}
    first = settings[0] if settings else SETTINGS[0]
    base = sum(mean[c][first] for c in both)
    lines = [f"{len(both)} cases proven in every run of every setting"]
    for s in settings:
        total = sum(mean[c][s] for c in both)
        faster = sum(mean[c][s] < mean[c][first] / 1.1 for c in both)
        slower = sum(mean[c][s] > mean[c][first] * 1.1 for c in both)
        ratio = total / base if base else float("nan")
        lines.append(
            f"{s}: {total:.2f} s ({ratio:.2f}x {first}); more than 10% faster on "
            f"{faster}, slower on {slower}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m research.race_threads", description=__doc__)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument(
        "--settings", default=",".join(SETTINGS), help="comma-separated, the first the base"
    )
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--csv", type=Path, help="write the rows here as well")
    args = parser.parse_args(argv)
    cases = [x.strip() for x in args.cases.split(",") if x.strip()]
    print(f"machine: {machine.describe()}", flush=True)
    settings = [x.strip() for x in args.settings.split(",") if x.strip()]
    unknown = [x for x in settings if x not in SETTINGS]
    if unknown:
        parser.error(f"--settings: {', '.join(unknown)} not among {', '.join(SETTINGS)}")
    rows = run(cases, args.repeat, args.time_limit, settings)
    return finish(rows, FIELDS, summary(rows), args.csv)


if __name__ == "__main__":
    sys.exit(main())
