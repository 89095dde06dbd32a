#!/usr/bin/env python3
"""Regenerate the data tables of the Hubei 2020 scenarios from the shared source tables.

    python3 build.py [SOURCE_DIR] [--check]

SOURCE_DIR holds the cited source tables (README.md, provinces.csv, cities.csv,
pairing_2020.csv); default: ../../../shared/data/hubei-2020 relative to this script.
Writes, next to this script (scenarios/hubei-2020/, all 30 provinces) and in
../hubei-2020-sourced19/ (the 19 with sourced team sizes):

    cities.csv        the 16 recipient cities with case counts and the modelled need
    provinces.csv     the candidate donors with capacity and where it comes from
    pairing_2020.csv  the official pairing of 10 Feb 2020 (share/distance_km left empty)

With --check nothing is written: the script compares the files on disk with what it
would write and exits with status 1 if any differs. Standard library only; pairopt
never runs this script, the CSVs it writes are the shipped data.

The rules (also in README.md):
  capacity (19 sourced provinces) = team_to_paired_city, in staff;
  capacity (11 other provinces, all30 scenario only) = round(r * GDP_2019), where
      r = median over the 19 sourced provinces of team_to_paired_city / GDP_2019;
  need_c = round(k * cases_c), cases_c = cumulative confirmed cases at 24:00 10 Feb 2020,
      k = 0.45 staff per confirmed case: the bed-to-nurse ratio 1:0.45 of the confirmed-case
      isolation wards of China's COVID-19 designated hospitals (Ren et al., BMC Nursing 21:23,
      2022, doi:10.1186/s12912-021-00795-w), one bed per confirmed case. k comes from outside
      the scenario: no team size enters the need.
  need_mar10_c = round(k * cases_mar10_c): the same k on the cumulative confirmed cases at
      24:00 10 Mar 2020, a second-stage need that grows with the cases.
  round() is round-half-up on exact rational arithmetic (no floating point).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import statistics
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE / ".." / ".." / ".." / "shared" / "data" / "hubei-2020"
ALL30_DIR = HERE
SOURCED19_DIR = HERE.parent / "hubei-2020-sourced19"

# Staff per confirmed case: nurses per bed in confirmed-case isolation wards (1:0.45, Ren et al.,
# BMC Nursing 2022), one bed per case. Independent of the team sizes (the capacities).
STAFF_PER_CASE = Fraction(45, 100)
CASES_COLUMN = "confirmed_2020-02-10"
CASES_MAR10_COLUMN = "confirmed_2020-03-10"
TEAM_COLUMN = "team_to_paired_city"
NOT_A_NUMBER = {"", "n/a", "unsourced"}

SOURCED = "sourced team size"
MODELLED = "modelled: GDP rule"

CITY_COLUMNS = [
    "city",
    "city_zh",
    "admin_type",
    "confirmed_2020_02_10",
    "need",
    "lat",
    "lon",
    "confirmed_2020_02_09",
    "confirmed_2020_03_10",
    "need_mar10",
]
PROVINCE_COLUMNS = [
    "province",
    "province_zh",
    "capacity",
    "capacity_basis",
    "lat",
    "lon",
    "capital",
    "capital_zh",
    "in_2020_pairing",
    "paired_cities_2020",
    "gdp_2019_100m_yuan",
    "total_hubei_aid_staff",
    "capacity_note",
    "capacity_source",
]
PAIRING_COLUMNS = ["donor", "recipient", "share", "distance_km"]


def round_half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def exact(text: str) -> Fraction:
    return Fraction(Decimal(text.strip()))


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def to_csv(columns: list[str], rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def fail(message: str) -> None:
    sys.exit(f"build.py: {message}")


def build(source: Path) -> tuple[dict[Path, str], list[str]]:
    provinces = read(source / "provinces.csv")
    cities = read(source / "cities.csv")
    pairing = read(source / "pairing_2020.csv")
    if len(provinces) != 30 or len(cities) != 16 or len(pairing) != 21:
        fail(
            f"expected 30 provinces, 16 cities, 21 pairs; got "
            f"{len(provinces)}, {len(cities)}, {len(pairing)}"
        )
    if any(p["province_en"] == "Hubei" for p in provinces):
        fail("Hubei must not be a donor")

    sourced = [p for p in provinces if p[TEAM_COLUMN].strip().lower() not in NOT_A_NUMBER]
    sourced_names = {p["province_en"] for p in sourced}
    listed = {p["province_en"] for p in provinces if p["in_2020_pairing_list"] == "yes"}
    if len(sourced) != 19 or sourced_names != listed:
        fail("the sourced team sizes should be exactly the 19 provinces of the 2020 list")

    team = {p["province_en"]: int(p[TEAM_COLUMN]) for p in sourced}
    total_sourced = sum(team.values())  # S
    ratios = [Fraction(team[p["province_en"]]) / exact(p["gdp_2019_100m_yuan"]) for p in sourced]
    ratio = statistics.median(ratios)  # 19 values: the middle one, an exact Fraction

    cases = {c["city_en"]: int(c[CASES_COLUMN]) for c in cities}
    total_cases = sum(cases.values())  # C
    need = {name: round_half_up(STAFF_PER_CASE * n) for name, n in cases.items()}
    # Second stage: the same staff per case, 10 Mar cases.
    cases_mar10 = {c["city_en"]: int(c[CASES_MAR10_COLUMN]) for c in cities}
    need_mar10 = {name: round_half_up(STAFF_PER_CASE * n) for name, n in cases_mar10.items()}

    city_rows = [
        {
            "city": c["city_en"],
            "city_zh": c["city_zh"],
            "admin_type": c["admin_type"],
            "confirmed_2020_02_10": c[CASES_COLUMN],
            "need": need[c["city_en"]],
            "lat": c["seat_lat"],
            "lon": c["seat_lon"],
            "confirmed_2020_02_09": c["confirmed_2020-02-09"],
            "confirmed_2020_03_10": c[CASES_MAR10_COLUMN],
            "need_mar10": need_mar10[c["city_en"]],
        }
        for c in cities
    ]

    def province_row(p: dict[str, str]) -> dict[str, object]:
        name = p["province_en"]
        row: dict[str, object] = {
            "province": name,
            "province_zh": p["province_zh"],
            "lat": p["capital_lat"],
            "lon": p["capital_lon"],
            "capital": p["capital_en"],
            "capital_zh": p["capital_zh"],
            "in_2020_pairing": p["in_2020_pairing_list"],
            "paired_cities_2020": p["paired_cities_en"],
            "gdp_2019_100m_yuan": p["gdp_2019_100m_yuan"],
            "total_hubei_aid_staff": p["total_hubei_aid_staff"],
        }
        if name in team:
            row.update(
                capacity=team[name],
                capacity_basis=SOURCED,
                capacity_note=p["team_definition"],
                capacity_source=p["team_source"],
            )
        else:
            value = round_half_up(ratio * exact(p["gdp_2019_100m_yuan"]))
            row.update(
                capacity=value,
                capacity_basis=MODELLED,
                capacity_note=(
                    f"modelled, not sourced: round({float(ratio):.7f} x GDP 2019 "
                    f"{p['gdp_2019_100m_yuan']}) = {value}; ratio = median of "
                    "team_to_paired_city / GDP 2019 over the 19 sourced provinces"
                ),
                capacity_source="rule (README.md); GDP 2019: shared provinces.csv gdp_source",
            )
        return row

    rows19 = [province_row(p) for p in provinces if p["province_en"] in team]
    rows30 = [province_row(p) for p in provinces]

    pairing_rows: list[dict[str, object]] = []
    for pr in pairing:
        if pr["province_en"] not in sourced_names or pr["city_en"] not in cases:
            fail(f"pairing row {pr['province_en']} -> {pr['city_en']} has an unknown id")
        pairing_rows.append(
            {"donor": pr["province_en"], "recipient": pr["city_en"], "share": "", "distance_km": ""}
        )

    cities_csv = to_csv(CITY_COLUMNS, city_rows)
    pairing_csv = to_csv(PAIRING_COLUMNS, pairing_rows)
    files = {
        SOURCED19_DIR / "cities.csv": cities_csv,
        SOURCED19_DIR / "provinces.csv": to_csv(PROVINCE_COLUMNS, rows19),
        SOURCED19_DIR / "pairing_2020.csv": pairing_csv,
        ALL30_DIR / "cities.csv": cities_csv,
        ALL30_DIR / "provinces.csv": to_csv(PROVINCE_COLUMNS, rows30),
        ALL30_DIR / "pairing_2020.csv": pairing_csv,
    }

    cap30 = sum(int(str(r["capacity"])) for r in rows30)
    total_need = sum(need.values())
    total_need_mar10 = sum(need_mar10.values())
    report = [
        f"S  total sourced capacity (19 provinces)     = {total_sourced}",
        f"C  confirmed cases 10 Feb, 16 cities         = {total_cases}",
        f"k  staff per confirmed case                  = {float(STAFF_PER_CASE):g}",
        f"   total need (after rounding)               = {total_need}"
        f"  (exact k*C = {float(STAFF_PER_CASE * total_cases):g})",
        f"r  median team/GDP (staff per 100m yuan)     = {float(ratio):.7f}",
        f"   modelled capacity of the other 11         = {cap30 - total_sourced}",
        f"   total capacity, all 30                    = {cap30}",
        f"   need / capacity: 19 provinces {total_need / total_sourced:.4f}, "
        f"all 30 {total_need / cap30:.4f}",
        f"   confirmed cases 10 Mar, 16 cities         = {sum(cases_mar10.values())}",
        f"   total need_mar10 (same staff per case)    = {total_need_mar10}",
        f"   need_mar10 / capacity: 19 provinces {total_need_mar10 / total_sourced:.4f}, "
        f"all 30 {total_need_mar10 / cap30:.4f}",
    ]
    return files, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source",
        nargs="?",
        type=Path,
        default=DEFAULT_SOURCE,
        help="directory of the shared source tables (default: %(default)s)",
    )
    parser.add_argument(
        "--check", action="store_true", help="compare with the files on disk instead of writing"
    )
    args = parser.parse_args()
    files, report = build(args.source.resolve())
    print("\n".join(report))
    stale = []
    for path, text in files.items():
        if args.check:
            on_disk = path.read_bytes().decode("utf-8") if path.exists() else None
            if on_disk != text:
                stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
            print(f"wrote {path}")
    if stale:
        for path in stale:
            print(f"differs: {path}", file=sys.stderr)
        return 1
    if args.check:
        print("all files up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
