"""`pairopt init`: a small, working scenario for a user to copy and edit.

The template is written into the package (not read from the repository's scenarios/),
so it works from any installation. It never overwrites a file the user already has.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError, Problem
from .atomic import output_problems, write_text

SCENARIO = """\
# A pairopt scenario: edit the tables and rules, then run
#   pairopt check scenario.yaml     # validate, without solving
#   pairopt solve scenario.yaml     # the optimal pairing, with its proof
# Every key is described in docs/scenario-format.md; `pairopt schema` prints the
# JSON Schema for editors. The names and numbers below are made up.
name: My scenario
description: Three donor provinces and four cities (a starting point; replace the data).

donors:
  file: donors.csv        # relative to this file; .csv (UTF-8 or GB18030) or .xlsx
  id: province            # a unique id per row
  capacity: staff         # how much need the donor can take on, in the unit of need
  lat: lat                # coordinates in degrees, for great-circle distances
  lon: lon
  label: name_zh          # optional display name

recipients:
  file: cities.csv
  id: city
  need: staff_needed
  lat: lat
  lon: lon
  label: name_zh

rules:
  donors_per_recipient: {min: 1, max: 2}   # a city may be shared by two donors
  recipients_per_donor: {max: 2}           # no donor takes more than two cities
  max_distance_km: 1500                    # no pair farther apart than this
  fixed: [{donor: North, recipient: City A}]   # keep a team already in place
  forbidden: []                            # e.g. [{donor: South, recipient: City D}]
  exclude_donors: []                       # e.g. [East]
  reserve: 0.1                             # each donor keeps 10% of its capacity at home
  min_share: 0.2                           # no donor covers less than 20% of a city's need

objective: weighted_distance    # distance | weighted_distance | max_distance | balance
solver: {name: highs, time_limit: 60, mip_gap: 0}
"""

DONORS = """\
province,name_zh,staff,lat,lon
North,北省,300,36.7,117.0
South,南省,250,28.2,112.9
West,西省,200,29.6,106.5
"""

CITIES = """\
city,name_zh,staff_needed,lat,lon
City A,甲市,220,30.4,114.9
City B,乙市,120,30.9,113.9
City C,丙市,90,30.3,112.2
City D,丁市,60,32.6,110.8
"""

FILES = {"scenario.yaml": SCENARIO, "donors.csv": DONORS, "cities.csv": CITIES}


def init(folder: str | Path) -> list[Path]:
    """Write the example scenario into `folder` (created if needed) and return the paths."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(
            [Problem(str(folder), "is a file, not a folder.", "name a new or empty folder.")]
        )
    existing = [folder / name for name in FILES if (folder / name).exists()]
    if existing:
        raise InputError(
            [
                Problem(
                    str(p),
                    "already exists; pairopt init never overwrites.",
                    "choose another folder or move the file away.",
                )
                for p in existing
            ]
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a read-only place, a file where a folder should be
        raise InputError(
            [
                Problem(
                    str(folder),
                    f"cannot be created: {exc.strerror}.",
                    "choose a folder you can write to.",
                )
            ]
        ) from exc
    problems = [p for name in FILES for p in output_problems(str(folder / name), option="")]
    if problems:  # say so before writing anything, so no half scenario is left behind
        raise InputError(problems[:1])
    written = []
    for name, text in FILES.items():
        write_text(text, str(folder / name), option="")
        written.append(folder / name)
    return written
