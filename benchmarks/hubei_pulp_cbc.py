"""A hand-written PuLP + CBC script for the Hubei 2020 scenario: the baseline that
`pairopt solve` is timed against (benchmarks/cli_latency.py).

    python benchmarks/hubei_pulp_cbc.py [scenarios/hubei-2020/scenario.yaml]

It reads the same CSVs (and the rules from the same YAML) and builds the same model as
pairopt, the way one would by hand: minimise the need-weighted great-circle distance; every
city's need covered in full by 1 or 2 provinces, each covering at least min_share of it;
at most 3 cities per province; no province above its capacity; the fixed pairs used.
No validation, no verification, no tie-break. Prints the pairing and the objective.
"""

import math
import sys
import warnings
from pathlib import Path

import pandas as pd
import pulp
import yaml

path = Path(sys.argv[1] if len(sys.argv) > 1 else "scenarios/hubei-2020/scenario.yaml")
spec = yaml.safe_load(path.read_text(encoding="utf-8"))
donors = pd.read_csv(path.parent / spec["donors"]["file"])
cities = pd.read_csv(path.parent / spec["recipients"]["file"])
rules = spec["rules"]
d_id, r_id = spec["donors"]["id"], spec["recipients"]["id"]
capacity = dict(zip(donors[d_id], donors[spec["donors"]["capacity"]], strict=True))
need = dict(zip(cities[r_id], cities[spec["recipients"]["need"]], strict=True))


def km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


dist = {
    (d.province, c.city): km(d.lat, d.lon, c.lat, c.lon)
    for d in donors.itertuples()
    for c in cities.itertuples()
}
D, R = list(capacity), list(need)
pairs = [(d, r) for d in D for r in R]

prob = pulp.LpProblem("hubei", pulp.LpMinimize)
x = pulp.LpVariable.dicts("x", pairs, cat="Binary")  # province d helps city r
f = pulp.LpVariable.dicts("f", pairs, lowBound=0, upBound=1)  # fraction of r's need d covers
prob += pulp.lpSum(need[r] * dist[d, r] * f[d, r] for d, r in pairs)
dpr, rpd = rules["donors_per_recipient"], rules["recipients_per_donor"]
for r in R:
    prob += pulp.lpSum(f[d, r] for d in D) == 1
    prob += pulp.lpSum(x[d, r] for d in D) >= dpr["min"]
    prob += pulp.lpSum(x[d, r] for d in D) <= dpr["max"]
for d in D:
    prob += pulp.lpSum(x[d, r] for r in R) <= rpd["max"]
    prob += pulp.lpSum(need[r] * f[d, r] for r in R) <= capacity[d] * (1 - rules.get("reserve", 0))
for d, r in pairs:
    prob += f[d, r] <= x[d, r]
    prob += f[d, r] >= rules["min_share"] * x[d, r]
for p in rules.get("fixed", []):
    prob += x[p["donor"], p["recipient"]] == 1

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # PULP_CBC_CMD is deprecated in PuLP 4
    solver = pulp.PULP_CBC_CMD(msg=False, gapRel=0, timeLimit=spec["solver"].get("time_limit"))
prob.solve(solver)
proven = prob.status == pulp.LpStatusOptimal and prob.sol_status == pulp.LpSolutionOptimal
for d, r in pairs:
    if x[d, r].value() > 0.5:
        print(f"{d},{r},{need[r] * f[d, r].value():.6g},{dist[d, r]:.3f}")
print(f"status: {'optimal' if proven else 'NOT proven optimal'}")
print(f"weighted_distance: {pulp.value(prob.objective):.4f}")
sys.exit(0 if proven else 4)
