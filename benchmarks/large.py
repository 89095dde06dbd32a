"""Large tables through loading, checks and diagnostics: `pairopt check` at 200k rows.

    python -m benchmarks.large [--rows 200000] [--side 20] [--bad-rows 2000] [--keep DIR]

Writes synthetic scenarios (fixed seed) to a temporary folder and runs `pairopt check` on
each in a fresh Python process, so that its peak memory (getrusage ru_maxrss of the child:
interpreter, libraries, tables, candidate pairs) is its own. The target (issue #24): a
200k-row donor or recipient table loads, checks and diagnoses in at most 10 s and 1 GB.

  donors         ROWS donors x SIDE recipients, every pair a candidate (no pair table);
  donors-pairs   the same with a pair table of 3 candidate recipients per donor (km, load);
  recipients     SIDE donors x ROWS recipients, every pair a candidate;
  did-you-mean   a pair table of BAD_ROWS rows, each naming a mistyped donor (500 distinct
                 names, each a typing slip, a case or a width variant of a real id) over
                 ROWS donors: the "did you mean" path, which ends with exit 2.

Some recipients are made unservable (max_distance_km) so that the diagnostics have
something to explain. Prints one line per scenario: seconds (wall), peak RSS in MB, exit
code, and the first line of stderr.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import machine

SEED = 24
TARGET_S = 10.0
TARGET_MB = 1024.0

SCENARIO = """\
name: {name}
donors: {{file: donors.csv, id: id, capacity: capacity, lat: lat, lon: lon, label: label}}
recipients: {{file: recipients.csv, id: id, need: need, lat: lat, lon: lon}}
{pairs}rules:
  donors_per_recipient: {{min: 1, max: 2}}
  max_distance_km: {limit}
objective: weighted_distance
"""


def _write_side(path: Path, prefix: str, n: int, amount: str, rng: random.Random) -> None:
    lines = [f"id,{amount},lat,lon" + (",label" if prefix == "D" else "")]
    for i in range(n):
        lat, lon = 22 + 18 * rng.random(), 100 + 20 * rng.random()
        value = rng.randint(10, 1000)
        label = f",名{i}" if prefix == "D" else ""
        lines.append(f"{prefix}{i:06d},{value},{lat:.3f},{lon:.3f}{label}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_pairs(path: Path, n_d: int, n_r: int, per_donor: int, rng: random.Random) -> None:
    lines = ["donor,recipient,km,load"]
    for d in range(n_d):
        for r in rng.sample(range(n_r), min(per_donor, n_r)):
            lines.append(f"D{d:06d},R{r:06d},{rng.randint(50, 3000)},{rng.randint(1, 100)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _mistyped(name: str, k: int) -> str:
    """A name a user might type for `name`: lower case, full-width digits, a doubled or a
    changed letter (the last has no suggestion)."""
    kind = k % 4
    if kind == 0:
        return name.lower()
    if kind == 1:
        return name[0] + "".join(chr(ord(c) + 0xFEE0) for c in name[1:])
    if kind == 2:
        return name[0] + name
    return "X" + name[1:]


def _write_bad_pairs(path: Path, n_d: int, n_r: int, rows: int, rng: random.Random) -> None:
    distinct = [_mistyped(f"D{rng.randrange(n_d):06d}", k) for k in range(500)]
    lines = ["donor,recipient,km"]
    for i in range(rows):
        name, block = distinct[i % len(distinct)], i // len(distinct)
        lines.append(f"{name},R{block % n_r:06d},{rng.randint(50, 3000)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def generate(root: Path, rows: int, side: int, bad_rows: int) -> dict[str, Path]:
    """The benchmark's scenarios under root, by name."""
    rng = random.Random(SEED)
    plans = {
        "donors": (rows, side, None),
        "donors-pairs": (rows, side, "pairs"),
        "recipients": (side, rows, None),
        "did-you-mean": (rows, side, "bad"),
    }
    out = {}
    for name, (n_d, n_r, pairs) in plans.items():
        folder = root / name
        folder.mkdir(parents=True)
        _write_side(folder / "donors.csv", "D", n_d, "capacity", rng)
        _write_side(folder / "recipients.csv", "R", n_r, "need", rng)
        if pairs == "pairs":
            _write_pairs(folder / "pairs.csv", n_d, n_r, 3, rng)
        elif pairs == "bad":
            _write_bad_pairs(folder / "pairs.csv", n_d, n_r, bad_rows, rng)
        text = SCENARIO.format(
            name=name,
            pairs="pairs: {file: pairs.csv}\n" if pairs else "",
            limit=2000 if n_r > n_d else 1500,
        )
        (folder / "scenario.yaml").write_text(text, encoding="utf-8")
        out[name] = folder / "scenario.yaml"
    return out


def run_check(scenario: Path) -> tuple[float, float, int, str]:
    """`pairopt check` in a child process: wall seconds, its peak RSS (MB), exit code and
    the first line of stderr."""
    code = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run([sys.executable, '-m', 'pairing_opt', 'check', sys.argv[1]],"
        " capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "first = (p.stderr.strip().splitlines() or [''])[0]\n"
        "print(f'{wall:.3f}\\t{rss:.1f}\\t{p.returncode}\\t{first}')\n"
    )
    # A wrapper process per run, so that RUSAGE_CHILDREN holds this check's peak alone.
    out = subprocess.run(
        [sys.executable, "-c", code, str(scenario)], capture_output=True, text=True, check=True
    ).stdout.rstrip("\n")
    wall, rss, rc, first = out.split("\t", 3)
    return float(wall), float(rss), int(rc), first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--side", type=int, default=20)
    parser.add_argument("--bad-rows", type=int, default=2_000)
    parser.add_argument("--keep", type=Path, help="write the scenarios here and keep them")
    args = parser.parse_args(argv)
    print(machine.describe(), flush=True)
    root = args.keep or Path(tempfile.mkdtemp(prefix="pairopt-large-"))
    try:
        started = time.perf_counter()
        scenarios = generate(root, args.rows, args.side, args.bad_rows)
        print(f"generated in {time.perf_counter() - started:.1f} s under {root}")
        print(f"{'scenario':<14} {'seconds':>8} {'peak MB':>8} {'exit':>4}  stderr (first line)")
        worst = 0.0, 0.0
        for name, path in scenarios.items():
            wall, rss, rc, first = run_check(path)
            worst = max(worst[0], wall), max(worst[1], rss)
            print(f"{name:<14} {wall:8.2f} {rss:8.0f} {rc:4d}  {first[:70]}", flush=True)
        ok = worst[0] <= TARGET_S and worst[1] <= TARGET_MB
        print(
            f"worst: {worst[0]:.2f} s, {worst[1]:.0f} MB; target {TARGET_S:g} s and "
            f"{TARGET_MB:g} MB: {'met' if ok else 'NOT met'}"
        )
        return 0 if ok else 1
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
