#!/usr/bin/env python3
"""Regenerate the SYNTHETIC data tables of the multi-resource scenario.

    python3 build.py [--check]

Reads only files shipped in this repository: the names, labels, coordinates, 2019 GDP
and confirmed case counts of ../hubei-2020-sourced19/provinces.csv and cities.csv (19
provinces, 16 cities). Writes, next to this script:

    donors.csv      19 provinces: synthetic staff, supplies and funds capacities, the
                    synthetic revenue behind the funds commitment, and the per-donor
                    rule columns min_funds_100m_cny, max_recipients, max_distance_km
    recipients.csv  16 cities: synthetic staff, supplies and funds needs, and the
                    per-recipient rule column max_donors

With --check nothing is written: the script compares the files on disk with what it
would write and exits with status 1 if any differs. Standard library only; pairopt never
runs this script, the CSVs it writes are the shipped data. No randomness.

EVERY capacity and need is synthetic (made by the rules below, not sourced). GDP 2019
and the case counts are used only as size indices. The rules (also in README.md):

  cases_c  = confirmed cases in city c on 10 Feb 2020 (sum C = 13,274)
  GDP_p    = 2019 GDP of province p, 100 million yuan (sum G over the 19)

  staff need_c      = round(0.45 * cases_c)                                   people
  staff capacity_p  = 100 + round(k * GDP_p),  k = (2 * sum of need - 100 * 19) / G
                      (a base team of 100 plus a part proportional to GDP; 2 x need)
  supplies need_c   = round(t_c * cases_c)                                    tonnes
                      t_c = 1/2 in a prefecture-level city, 4/5 elsewhere (the county-
                      level cities, the autonomous prefecture, the forestry district)
  supplies cap._p   = round(m * b_p * GDP_p),  b_p = 3/2 for the provinces bordering
                      Hubei (Jiangxi, Hunan, Chongqing), 1 otherwise; m such that the
                      total is 2 x total supplies need
  revenue_p         = round(0.09 * GDP_p, 1)     synthetic previous-year budget revenue,
                                                 CNY 100 million
  funds capacity_p  = round(0.06 * revenue_p, 2)                      CNY 100 million
  funds need_c      = round(0.012 * R * cases_c / C, 2),  R = sum of revenue_p
  min funds_p       = round(0.002 * revenue_p, 2) where revenue_p >= 3,000 (CNY 300
                      billion: 7 provinces), blank otherwise: the minimum commitment
  max_recipients    = 3 for Jiangxi and Hunan, blank (the scenario-wide 2) otherwise
  max_distance_km   = 700 for Fujian and Guizhou, blank (no limit) otherwise
  max_donors        = 1 for Shennongjia, blank (the scenario-wide 2) otherwise

round() is round-half-up on exact rational arithmetic (no floating point).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "hubei-2020-sourced19"

STAFF_PER_CASE = Fraction(45, 100)
STAFF_BASE = 100
STAFF_RATIO = Fraction(2)  # total staff capacity / total staff need
TONNES_PER_CASE_CITY = Fraction(1, 2)
TONNES_PER_CASE_OTHER = Fraction(4, 5)
SUPPLIES_RATIO = Fraction(2)  # total supplies capacity / total supplies need
NEIGHBOURS = {"Jiangxi", "Hunan", "Chongqing"}  # of the 19, the provinces bordering Hubei
NEIGHBOUR_BONUS = Fraction(3, 2)
REVENUE_PER_GDP = Fraction(9, 100)
COMMITMENT = Fraction(2, 1000)  # the minimum commitment: 0.2 % of previous-year revenue
FUNDS_CAP = Fraction(6, 100)  # at most 6 % of revenue
FUNDS_NEED_SHARE = Fraction(12, 1000)  # total funds need / total revenue of the 19
PLEDGE_REVENUE = Fraction(3000)  # the commitment applies where revenue_p >= this
MAX_RECIPIENTS = {"Jiangxi": 3, "Hunan": 3}
MAX_DISTANCE_KM = {"Fujian": 700, "Guizhou": 700}
MAX_DONORS = {"Shennongjia": 1}

DONOR_COLUMNS = [
    "province",
    "province_zh",
    "lat",
    "lon",
    "gdp_2019_100m_yuan",
    "staff",
    "supplies_t",
    "funds_100m_cny",
    "revenue_100m_cny",
    "min_funds_100m_cny",
    "max_recipients",
    "max_distance_km",
]
RECIPIENT_COLUMNS = [
    "city",
    "city_zh",
    "admin_type",
    "confirmed_2020_02_10",
    "lat",
    "lon",
    "staff",
    "supplies_t",
    "funds_100m_cny",
    "max_donors",
]


def round_half_up(x: Fraction, places: int = 0) -> Fraction:
    unit = Fraction(1, 10**places)
    return math.floor(x / unit + Fraction(1, 2)) * unit


def show(x: Fraction, places: int = 0) -> str:
    """A rounded value as written in the CSV: an integer, or `places` decimals."""
    if places == 0:
        return str(int(x))
    return f"{Decimal(x.numerator) / Decimal(x.denominator):.{places}f}"


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


def build() -> tuple[dict[Path, str], list[str]]:
    provinces = read(SOURCE / "provinces.csv")
    cities = read(SOURCE / "cities.csv")
    if len(provinces) != 19 or len(cities) != 16:
        sys.exit(f"build.py: expected 19 provinces and 16 cities in {SOURCE}")

    cases = {c["city"]: int(c["confirmed_2020_02_10"]) for c in cities}
    total_cases = sum(cases.values())
    gdp = {p["province"]: exact(p["gdp_2019_100m_yuan"]) for p in provinces}
    total_gdp = sum(gdp.values(), Fraction(0))

    # Staff (people).
    staff_need = {c: round_half_up(STAFF_PER_CASE * n) for c, n in cases.items()}
    k = (STAFF_RATIO * sum(staff_need.values()) - STAFF_BASE * len(gdp)) / total_gdp
    staff_cap = {p: STAFF_BASE + round_half_up(k * g) for p, g in gdp.items()}

    # Supplies (tonnes).
    admin = {c["city"]: c["admin_type"] for c in cities}
    per_case = {
        c: TONNES_PER_CASE_CITY if admin[c] == "prefecture-level city" else TONNES_PER_CASE_OTHER
        for c in cases
    }
    supplies_need = {c: round_half_up(per_case[c] * n) for c, n in cases.items()}
    bonus = {p: NEIGHBOUR_BONUS if p in NEIGHBOURS else Fraction(1) for p in gdp}
    basis = {p: bonus[p] * g for p, g in gdp.items()}
    m = SUPPLIES_RATIO * sum(supplies_need.values()) / sum(basis.values())
    supplies_cap = {p: round_half_up(m * b) for p, b in basis.items()}

    # Funds (CNY 100 million).
    revenue = {p: round_half_up(REVENUE_PER_GDP * g, 1) for p, g in gdp.items()}
    min_funds = {p: round_half_up(COMMITMENT * r, 2) for p, r in revenue.items()}
    funds_cap = {p: round_half_up(FUNDS_CAP * r, 2) for p, r in revenue.items()}
    total_revenue = sum(revenue.values())
    funds_need = {
        c: round_half_up(FUNDS_NEED_SHARE * total_revenue * n / total_cases, 2)
        for c, n in cases.items()
    }

    donor_rows: list[dict[str, object]] = [
        {
            "province": p["province"],
            "province_zh": p["province_zh"],
            "lat": p["lat"],
            "lon": p["lon"],
            "gdp_2019_100m_yuan": p["gdp_2019_100m_yuan"],
            "staff": show(staff_cap[p["province"]]),
            "supplies_t": show(supplies_cap[p["province"]]),
            "funds_100m_cny": show(funds_cap[p["province"]], 2),
            "revenue_100m_cny": show(revenue[p["province"]], 1),
            "min_funds_100m_cny": (
                show(min_funds[p["province"]], 2)
                if revenue[p["province"]] >= PLEDGE_REVENUE
                else ""
            ),
            "max_recipients": MAX_RECIPIENTS.get(p["province"], ""),
            "max_distance_km": MAX_DISTANCE_KM.get(p["province"], ""),
        }
        for p in provinces
    ]
    recipient_rows: list[dict[str, object]] = [
        {
            "city": c["city"],
            "city_zh": c["city_zh"],
            "admin_type": c["admin_type"],
            "confirmed_2020_02_10": c["confirmed_2020_02_10"],
            "lat": c["lat"],
            "lon": c["lon"],
            "staff": show(staff_need[c["city"]]),
            "supplies_t": show(supplies_need[c["city"]]),
            "funds_100m_cny": show(funds_need[c["city"]], 2),
            "max_donors": MAX_DONORS.get(c["city"], ""),
        }
        for c in cities
    ]
    files = {
        HERE / "donors.csv": to_csv(DONOR_COLUMNS, donor_rows),
        HERE / "recipients.csv": to_csv(RECIPIENT_COLUMNS, recipient_rows),
    }

    pledged = {p: v for p, v in min_funds.items() if revenue[p] >= PLEDGE_REVENUE}

    def total(values: dict[str, Fraction], places: int = 0) -> str:
        return show(sum(values.values(), Fraction(0)), places)

    report = [
        f"cases, 16 cities                 C = {total_cases}",
        f"GDP 2019, 19 provinces           G = {show(total_gdp, 2)} (100m yuan)",
        f"staff need / capacity              = {total(staff_need)} / {total(staff_cap)}"
        f"  (k = {float(k):.6f} per 100m yuan)",
        f"supplies need / capacity (t)       = {total(supplies_need)} / {total(supplies_cap)}"
        f"  (m = {float(m):.6f})",
        f"funds need / capacity (100m CNY)   = {total(funds_need, 2)} / {total(funds_cap, 2)}",
        f"funds commitments (pledging donors) = {total(pledged, 2)}",
    ]
    return files, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare with the files on disk instead of writing"
    )
    args = parser.parse_args()
    files, report = build()
    print("\n".join(report))
    stale = []
    for path, text in files.items():
        if args.check:
            on_disk = path.read_bytes().decode("utf-8") if path.exists() else None
            if on_disk != text:
                stale.append(path)
        else:
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
