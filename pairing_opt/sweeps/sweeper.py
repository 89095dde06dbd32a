"""Sweeps: many what-ifs of one scenario as one command, with what is stable across them.

`sweep()` solves the scenario once unvaried (the base), then every combination of the
varied keys (each with N perturbed samples when sampling), in worker processes or on a
Dask cluster, and streams one tidy row per run to a CSV (see `store`). The same call
after an interruption runs only the missing runs. docs/sweeps.md is the manual.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..api import Result, pairing_rows, solve
from ..checks.metrics import METRIC_NAMES
from ..engine.backends import cores as _cores
from ..errors import Collector, InputError, Problem, SolverError
from ..io.atomic import input_clashes, output_problems, write_text
from ..io.loader import ScenarioSource
from ..scenario.perturb import check_resources, parse_perturbations
from ..scenario.spec import objective_terms
from .plan import VARY_EXAMPLE, Run, Vary, parse_vary, plan_runs, vary_column
from .runner import dask_client, run_dask, run_here, run_local
from .store import RunStore, is_parquet
from .summary import Summary, stability_csv, summarise
from .worker import Job, evaluated_columns

Progress = Callable[[int, int], None]
"""Called as `progress(done, total)` after each run (runs found done on resume count)."""


@dataclass
class SweepResult:
    """A finished (or resumed and finished) sweep: where its rows are, and what they say."""

    out: Path
    runs: int  # in the sweep
    ran: int  # by this call (the others were in the file already)
    base: Result
    summary: Summary
    pairs_out: Path | None = None
    columns: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary people read (what `pairopt sweep` prints on stderr)."""
        head = [f"Runs:      {self.ran} run now, {self.runs - self.ran} found in {self.out}"]
        return head + self.summary.lines(self.base.status)

    def to_frame(self) -> Any:
        """The rows as a DataFrame (pandas reads the CSV or Parquet file)."""
        import pandas as pd

        return pd.read_parquet(self.out) if is_parquet(self.out) else pd.read_csv(self.out)


def sweep(
    scenario: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    vary: Sequence[str] = (),
    samples: int | None = None,
    perturb: Sequence[str] = (),
    seed: int = 0,
    overrides: Sequence[str] = (),
    pairings: Mapping[str, Any] | None = None,
    workers: int | None = None,
    dask: str | None = None,
    time_limit: float | None = None,
    pairs_out: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Run every what-if of a scenario file and write one row per run to `out` (CSV).

    `vary` takes 'KEY=V1,V2,...' (KEY as in overrides; all combinations are run),
    `samples=N` with `perturb=['recipients.need=lognormal:0.2']` draws N need samples per
    combination from `seed`. `pairings={'official': 'pairing_2020.csv'}` scores fixed
    pairings in every run, as the base optimum always is. `workers` defaults to the
    cores; `dask='tcp://host:8786'` runs on a Dask cluster instead (its workers need the
    scenario's files at the same path). Raises InputError, before any run, listing every
    problem with the arguments.
    """
    if not isinstance(scenario, (str, os.PathLike)):
        raise InputError(
            [
                Problem(
                    "scenario (argument)",
                    f"is a {type(scenario).__name__}; a sweep reads the scenario file itself, "
                    "to apply each what-if to it.",
                    "pass the file's path, e.g. sweep('scenario.yaml', 'runs.csv', ...).",
                )
            ]
        )
    if pairings is not None and not isinstance(pairings, Mapping):
        raise InputError(
            [
                Problem(
                    "pairings (argument)",
                    f"is a {type(pairings).__name__}; give a mapping of name to pairing.",
                    "e.g. pairings={'official': 'pairing_2020.csv'}.",
                )
            ]
        )
    # a numpy integer (np.int64(2), from a notebook's arange) is a whole number too
    if isinstance(samples, numbers.Integral) and not isinstance(samples, bool):
        samples = int(samples)
    if isinstance(workers, numbers.Integral) and not isinstance(workers, bool):
        workers = int(workers)
    out = Path(out)
    source, varies, perturbations, varied_inputs = _checked(
        scenario, out, vary, samples, perturb, seed, overrides, workers, pairs_out
    )
    client = dask_client(dask) if dask else None  # an unreachable cluster fails first
    try:
        return _sweep(
            source,
            Path(scenario),
            out,
            varies,
            perturbations,
            samples,
            seed,
            overrides,
            pairings,
            workers,
            client,
            time_limit,
            pairs_out,
            progress,
            varied_inputs,
        )
    finally:
        if client is not None:
            client.close()


def _sweep(
    source: ScenarioSource,
    scenario: Path,
    out: Path,
    varies: list[Vary],
    perturbations: list[Any],
    samples: int | None,
    seed: int,
    overrides: Sequence[str],
    pairings: Mapping[str, Any] | None,
    workers: int | None,
    client: Any,
    time_limit: float | None,
    pairs_out: str | os.PathLike[str] | None,
    progress: Progress | None,
    varied_inputs: Sequence[str] = (),
) -> SweepResult:
    base_scenario = source.load(list(overrides))
    # a file named only by a what-if (vary recipients.file=b.csv) is read too
    inputs = list(dict.fromkeys([*base_scenario.inputs, *varied_inputs]))
    _check_outputs_spare_inputs(out, pairs_out, inputs, pairings or {})
    check_resources(perturbations, base_scenario)
    named = _pairings(pairings or {}, base_scenario)
    base = solve(base_scenario, time_limit=time_limit)
    base_pairs = tuple(sorted({(a.donor, a.recipient) for a in base.pairs}))
    scored = ([("base", base_pairs)] if base.pairs else []) + list(named.items())
    runs = plan_runs(varies, samples if perturbations else None)
    parts = _parts(source, list(overrides), varies)
    definition = {
        "scenario": str(Path(scenario).resolve()),
        "inputs": _fingerprints(inputs),
        "overrides": list(overrides),
        "vary": [[v.key, list(v.values)] for v in varies],
        "samples": samples if perturbations else None,
        "perturb": [str(p) for p in perturbations],
        "seed": seed,
        "time_limit": time_limit,
        "pairings": {name: [list(p) for p in pairs] for name, pairs in scored},
    }
    key = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:16]
    job = Job(
        key=key,
        scenario=str(Path(scenario).resolve()),
        overrides=tuple(overrides),
        perturbations=tuple(perturbations),
        seed=seed,
        time_limit=time_limit,
        pairings=tuple(scored),
        parts=tuple(parts),
    )
    columns = _columns(varies, perturbations, parts, [name for name, _ in scored])
    store = RunStore(out, columns, definition)
    done = store.open(len(runs))
    pending = [run for run in runs if run.index not in done]
    count = len(runs) - len(pending)

    def sink(row: dict[str, Any]) -> None:
        nonlocal count
        store.append(row)
        count += 1
        if progress is not None:
            progress(count, len(runs))

    if progress is not None:
        progress(count, len(runs))
    _execute(job, pending, workers, client, sink)
    store.finish()
    summary = summarise(store.rows())
    written = None
    if pairs_out is not None:
        written = Path(pairs_out)
        write_text(stability_csv(summary.stability_rows(base_pairs)), str(written))
    return SweepResult(out, len(runs), len(pending), base, summary, written, columns)


def _check_outputs_spare_inputs(
    out: Path,
    pairs_out: str | os.PathLike[str] | None,
    tables: Sequence[str],
    pairings: Mapping[str, Any],
) -> None:
    """Neither output may replace a file the sweep reads (a table of the scenario, a
    pairing file): written at the end, it would destroy the input and every later solve of
    the scenario would silently read the sweep's output instead."""
    inputs = [*tables, *(str(p) for p in pairings.values() if isinstance(p, (str, os.PathLike)))]
    problems = []
    for path, what in ((out, "out (argument)"), (pairs_out, "pairs_out (argument)")):
        if path is not None:
            problems += input_clashes(str(path), inputs, what)
    if problems:
        raise InputError(problems)


def _execute(
    job: Job,
    runs: list[Run],
    workers: int | None,
    client: Any,
    sink: Callable[[dict[str, Any]], None],
) -> None:
    if not runs:
        return
    if client is not None:  # the cluster runs one solve per Dask thread
        run_dask(replace(job, threads=1), runs, client, sink)
        return
    cores = _cores()
    count = min(workers or cores, len(runs))
    if count <= 1:
        run_here(job, runs, sink)
    else:  # runs share the cores: HiGHS threads competing for them slow every run
        run_local(replace(job, threads=max(1, cores // count)), runs, count, sink)


def _checked(
    scenario: str | os.PathLike[str],
    out: Path,
    vary: Sequence[str],
    samples: int | None,
    perturb: Sequence[str],
    seed: int,
    overrides: Sequence[str],
    workers: int | None,
    pairs_out: str | os.PathLike[str] | None,
) -> tuple[ScenarioSource, list[Vary], list[Any], list[str]]:
    """Every argument checked before any run, every problem reported at once. Also gives
    the files the what-ifs name that the scenario itself may not (vary recipients.file)."""
    problems = Collector()
    examples = {
        "vary": VARY_EXAMPLE,
        "perturb": "recipients.need=lognormal:0.2",
        "overrides": "rules.min_share=0.2",
    }
    lists = {"vary": vary, "perturb": perturb, "overrides": overrides}
    for name, given in lists.items():
        if isinstance(given, str) or not isinstance(given, Sequence | type(None)):
            problems.add(  # a str is a sequence too: its letters would be read one by one
                f"{name} (argument)",
                f"is a {type(given).__name__}; give a list of texts.",
                f"e.g. {name}=['{examples[name]}'].",
            )
        elif given is not None and not all(isinstance(t, str) for t in given):
            problems.add(
                f"{name} (argument)", "holds an item that is not text.", "give a list of texts."
            )
    for name, number in (("samples", samples), ("workers", workers)):
        if number is not None and not isinstance(number, numbers.Integral):  # 2.5, '2'
            problems.add(f"{name} (argument)", f"{number!r} is not a whole number >= 1.")
    problems.raise_if_any()
    vary, perturb, overrides = vary or (), perturb or (), overrides or ()
    found: dict[str, Any] = {"vary": [], "perturb": []}
    for name, parse, texts in (
        ("vary", parse_vary, vary),
        ("perturb", parse_perturbations, perturb),
    ):
        try:
            found[name] = parse(list(texts), f"{name} (argument)")
        except InputError as exc:
            problems.problems.extend(exc.problems)
    if samples is not None and (isinstance(samples, bool) or samples < 1):
        problems.add("samples (argument)", f"{samples!r} is not a whole number >= 1.")
    if bool(samples) != bool(perturb):
        problems.add(
            "samples (argument)",
            "samples and perturb go together: N samples of the perturbed need.",
            "give both, e.g. samples (argument) 50 and perturb (argument) "
            "recipients.need=lognormal:0.2.",
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        problems.add("seed (argument)", f"{seed!r} is not a whole number >= 0.")
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        problems.add("workers (argument)", f"{workers!r} is not a whole number >= 1.")
    if out.suffix.lower() not in (".csv", ".parquet"):
        problems.add(
            f"out (argument) {out}",
            "a sweep writes CSV or Parquet.",
            "name the file *.csv (or *.parquet).",
        )
    if pairs_out is not None and Path(pairs_out).suffix.lower() != ".csv":
        problems.add(  # it is CSV whatever the name says: a .json or .xlsx would mislead
            f"pairs_out (argument) {pairs_out}",
            "the pair-stability table is written as CSV.",
            "name the file *.csv.",
        )
    for path, what in ((out, "out (argument)"), (pairs_out, "pairs_out (argument)")):
        if path is not None:
            problems.problems.extend(output_problems(str(path), what))
    try:
        source = ScenarioSource(Path(scenario))
    except InputError as exc:
        raise InputError([*problems.problems, *exc.problems]) from exc
    inputs = [str(scenario)]
    for path, what in ((out, "out (argument)"), (pairs_out, "pairs_out (argument)")):
        if path is not None:
            problems.problems.extend(input_clashes(str(path), inputs, what))
            if path is pairs_out and Path(path).resolve() == out.resolve():
                problems.add(
                    f"pairs_out (argument) {path}", "is the sweep's own file.", "choose another."
                )
    try:  # the file and the sweep's overrides first, each problem where it is
        source.spec(list(overrides))
        base_ok = True
    except InputError as exc:
        problems.problems.extend(exc.problems)
        base_ok = False
    varied_inputs: list[str] = []
    for varied in found["vary"] if base_ok else []:  # else each value would repeat them
        for value in varied.values:
            try:
                spec, _ = source.spec([*overrides, f"{varied.key}={value}"])
                varied_inputs += source.inputs(spec)
            except InputError as exc:
                problems.problems.extend(
                    Problem(f"vary (argument) {varied.key}={value}", p.what, p.fix)
                    for p in exc.problems
                )
    for path, what in ((out, "out (argument)"), (pairs_out, "pairs_out (argument)")):
        if path is not None:  # the scenario's own files are checked once it is loaded
            problems.problems.extend(input_clashes(str(path), varied_inputs, what))
    problems.raise_if_any()
    if is_parquet(out):
        _need_pyarrow()
    return source, found["vary"], found["perturb"], list(dict.fromkeys(varied_inputs))


def _pairings(pairings: Mapping[str, Any], scenario: Any) -> dict[str, tuple[tuple[Any, ...], ...]]:
    """The user's pairings to score in every run, read once here: (donor, recipient) each,
    with the file's shares after them when it gives any (scored as given, as evaluate
    does; only empty shares are computed for each run's need)."""
    problems = Collector()
    named: dict[str, tuple[tuple[Any, ...], ...]] = {}
    for name, pairing in pairings.items():
        if name == "base" or not name.replace("_", "").isalnum():
            problems.add(
                f"pairings (argument) {name}",
                "a pairing's name becomes column names: letters, digits and _ only, not 'base'.",
                "e.g. official=pairing_2020.csv.",
            )
            continue
        try:
            rows, _ = pairing_rows(pairing, scenario)
        except InputError as exc:
            problems.problems.extend(exc.problems)
            continue
        given = any(a is not None for r in rows for a in r.amounts)
        named[name] = tuple(
            sorted((r.donor, r.recipient, *(r.amounts if given else ())) for r in rows)
        )
    problems.raise_if_any()
    return named


def _parts(source: ScenarioSource, overrides: list[str], varies: Sequence[Vary]) -> list[str]:
    """The objective parts that get a column: the terms of every objective the sweep uses,
    and the shortfall."""
    objectives = [source.spec(overrides)[0].objective]
    for varied in varies:
        if varied.key == "objective":
            objectives += [
                source.spec([*overrides, f"objective={v}"])[0].objective for v in varied.values
            ]
    names: list[str] = []
    for objective in objectives:
        names += [t for t in objective_terms(objective) if t not in names]
    return names + ([] if "shortfall" in names else ["shortfall"])


def _columns(
    varies: Sequence[Vary],
    perturbations: Sequence[Any],
    parts: Sequence[str],
    scored: Sequence[str],
) -> list[str]:
    head = ["run", *(vary_column(v.key) for v in varies), *(["sample"] if perturbations else [])]
    proof = ["status", "objective", "bound", "gap", "seconds", "shortfall", "pairing_hash"]
    metrics = [m for m in METRIC_NAMES if m != "shortfall"]
    return [
        *head,
        *proof,
        "changes_vs_base",
        *(f"part_{p}" for p in parts),
        *metrics,
        *evaluated_columns(scored),
        "message",
        "pairs",
    ]


def _fingerprints(paths: Sequence[str]) -> dict[str, str]:
    """SHA-256 of each input file: a sweep resumed on changed files is another sweep."""
    found = {}
    for path in paths:
        key = str(Path(path).resolve())
        try:
            with open(path, "rb") as handle:
                found[key] = hashlib.file_digest(handle, "sha256").hexdigest()[:16]
        except OSError:  # named by a what-if only: its runs report the problem as errors
            found[key] = "unreadable"
    return found


def _need_pyarrow() -> None:
    """Parquet output needs pyarrow (exit 3 with the install command when it is missing)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise SolverError(
            "writing Parquet needs pyarrow, an optional extra. Fix: pip install "
            "'pairopt[parquet]' (or pip install pyarrow), or write *.csv."
        ) from None
