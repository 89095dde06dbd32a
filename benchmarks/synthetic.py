"""Synthetic national-scale scenarios with a fixed seed, written as ordinary scenario folders.

    python -m benchmarks.synthetic [OUT] [--levels prefecture,county] [--seed 2020]
                                   [--capacity-ratio 1.3] [--skew 1.0]

Writes OUT/<level>/scenario.yaml, donors.csv, recipients.csv and pairs.csv (default OUT: a
new temporary folder; never inside the repository). Two levels:

- prefecture: 333 recipients (prefecture-level divisions), 31 donors (the provinces);
- county: 2,850 recipients (county-level divisions), 31 donors.

Recipients are spread over the 31 provinces in proportion to the real number of divisions of
each, at random points around each province's middle (normal, spread by province size),
kept inside a coarse outline of China. Needs are skewed (lognormal, `--skew` is sigma).
Each donor's capacity is its share of 2019 GDP times `--capacity-ratio` times total need.
Donors sit at the provincial capitals. A province never helps its own divisions: the pair
table lists every cross-province (donor, recipient) pair. Rules follow the Hubei scenario:
1-2 donors per recipient, min_share 0.1, objective weighted_distance.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent

LEVELS = {"prefecture": 333, "county": 2850}
NEED_MEDIAN = {"prefecture": 300.0, "county": 30.0}  # staff


@dataclass(frozen=True)
class Province:
    name: str
    name_zh: str
    capital_lat: float
    capital_lon: float
    mid_lat: float  # middle of the province, where its divisions are spread
    mid_lon: float
    spread: float  # standard deviation of the divisions' offsets, degrees
    prefectures: int  # prefecture-level divisions (approximate, 2019)
    counties: int  # county-level divisions (approximate, 2019)
    gdp: float  # 2019 GDP, 100 million yuan


# Capitals, GDP (2019) as in scenarios/hubei-2020/provinces.csv (Hubei added); division
# counts approximate the 2019 national figures (333 prefecture-level, ~2,850 county-level).
# fmt: off
PROVINCES = (
    Province("Beijing", "北京市", 39.90, 116.40, 40.20, 116.40, 0.3, 1, 16, 35371.28),
    Province("Tianjin", "天津市", 39.12, 117.20, 39.30, 117.30, 0.3, 1, 16, 14104.28),
    Province("Hebei", "河北省", 38.05, 114.52, 39.00, 115.50, 1.2, 11, 168, 35104.52),
    Province("Shanxi", "山西省", 37.87, 112.55, 37.50, 112.30, 1.0, 11, 117, 17026.68),
    Province("Inner Mongolia", "内蒙古自治区", 40.83, 111.73, 43.50, 114.00, 3.5, 12, 103,
             17212.53),
    Province("Liaoning", "辽宁省", 41.80, 123.43, 41.30, 122.60, 1.0, 14, 100, 24909.45),
    Province("Jilin", "吉林省", 43.90, 125.32, 43.50, 126.20, 1.0, 9, 60, 11726.82),
    Province("Heilongjiang", "黑龙江省", 45.80, 126.53, 47.50, 128.00, 1.8, 13, 121, 13612.68),
    Province("Shanghai", "上海市", 31.23, 121.47, 31.20, 121.40, 0.2, 1, 16, 38155.32),
    Province("Jiangsu", "江苏省", 32.07, 118.78, 33.00, 119.50, 1.0, 13, 95, 99631.52),
    Province("Zhejiang", "浙江省", 30.28, 120.15, 29.20, 120.10, 0.9, 11, 90, 62351.74),
    Province("Anhui", "安徽省", 31.83, 117.25, 31.80, 117.20, 1.0, 16, 104, 37113.98),
    Province("Fujian", "福建省", 26.08, 119.30, 26.00, 118.00, 0.9, 9, 84, 42395.00),
    Province("Jiangxi", "江西省", 28.68, 115.85, 27.60, 115.70, 1.0, 11, 100, 24757.50),
    Province("Shandong", "山东省", 36.67, 116.98, 36.30, 118.20, 1.0, 16, 136, 71067.53),
    Province("Henan", "河南省", 34.75, 113.62, 33.90, 113.60, 1.0, 17, 158, 54259.20),
    Province("Hubei", "湖北省", 30.59, 114.31, 30.90, 112.30, 1.1, 17, 103, 45828.31),
    Province("Hunan", "湖南省", 28.23, 112.93, 27.60, 111.70, 1.1, 14, 122, 39752.12),
    Province("Guangdong", "广东省", 23.13, 113.27, 23.30, 113.50, 1.2, 21, 122, 107671.07),
    Province("Guangxi", "广西壮族自治区", 22.82, 108.37, 23.80, 108.80, 1.2, 14, 111, 21237.14),
    Province("Hainan", "海南省", 20.03, 110.32, 19.20, 109.80, 0.4, 4, 25, 5308.93),
    Province("Chongqing", "重庆市", 29.57, 106.55, 30.00, 107.80, 0.8, 1, 38, 23605.77),
    Province("Sichuan", "四川省", 30.67, 104.07, 30.50, 103.00, 1.8, 21, 183, 46615.82),
    Province("Guizhou", "贵州省", 26.65, 106.63, 26.80, 106.80, 1.0, 9, 88, 16769.34),
    Province("Yunnan", "云南省", 25.05, 102.72, 25.00, 101.50, 1.6, 16, 129, 23223.75),
    Province("Tibet", "西藏自治区", 29.65, 91.13, 31.50, 88.50, 3.0, 7, 74, 1697.82),
    Province("Shaanxi", "陕西省", 34.27, 108.93, 35.20, 108.90, 1.2, 10, 107, 25793.17),
    Province("Gansu", "甘肃省", 36.07, 103.82, 36.50, 102.50, 2.0, 14, 86, 8718.30),
    Province("Qinghai", "青海省", 36.62, 101.78, 35.50, 96.00, 2.0, 8, 44, 2965.95),
    Province("Ningxia", "宁夏回族自治区", 38.47, 106.28, 37.30, 106.20, 0.6, 5, 22, 3748.48),
    Province("Xinjiang", "新疆维吾尔自治区", 43.82, 87.62, 41.50, 85.00, 4.0, 14, 106, 13597.11),
)

# A coarse outline of mainland China and of Hainan, (lon, lat) degrees, good to ~100 km.
MAINLAND = (
    (123.3, 53.5), (126.0, 52.8), (127.5, 50.2), (130.7, 48.9), (132.5, 47.7), (134.8, 48.4),
    (134.2, 47.2), (133.1, 45.1), (131.0, 44.9), (131.3, 43.4), (130.6, 42.4), (129.7, 42.4),
    (128.1, 41.9), (126.6, 41.6), (125.0, 40.4), (124.3, 39.9), (121.2, 38.8), (121.8, 40.3),
    (120.5, 40.3), (119.5, 39.8), (118.3, 39.1), (117.7, 38.9), (117.9, 38.0), (118.9, 37.5),
    (120.7, 37.8), (122.6, 37.4), (120.3, 36.0), (119.3, 35.0), (120.3, 34.0), (120.9, 32.6),
    (121.9, 30.9), (121.9, 29.9), (121.5, 28.6), (120.7, 27.9), (119.7, 25.5), (118.1, 24.4),
    (116.7, 23.3), (115.4, 22.7), (114.2, 22.2), (113.5, 22.0), (112.0, 21.7), (110.6, 21.2),
    (110.2, 20.3), (109.7, 21.0), (109.1, 21.5), (108.0, 21.5), (106.7, 22.1), (105.8, 22.9),
    (105.3, 23.3), (103.9, 22.5), (102.1, 22.4), (101.1, 21.2), (100.1, 21.5), (99.2, 22.1),
    (98.7, 23.8), (97.6, 23.9), (97.8, 24.9), (98.6, 25.8), (98.7, 27.5), (97.3, 28.3),
    (95.4, 29.0), (94.0, 29.3), (92.0, 27.9), (90.5, 28.0), (88.9, 27.3), (88.0, 27.9),
    (86.0, 27.9), (85.0, 28.3), (83.0, 29.3), (81.3, 30.1), (79.0, 31.3), (78.7, 32.5),
    (79.3, 33.0), (78.0, 34.5), (78.0, 35.5), (76.5, 35.8), (75.0, 36.9), (74.5, 38.0),
    (73.6, 39.4), (75.6, 40.5), (76.8, 41.0), (78.4, 41.4), (80.2, 42.1), (80.8, 43.2),
    (80.4, 44.2), (81.8, 45.3), (82.3, 46.1), (83.0, 47.2), (85.5, 47.1), (85.7, 48.4),
    (86.8, 48.6), (87.3, 49.1), (88.5, 48.3), (90.0, 47.9), (91.0, 46.7), (90.7, 45.5),
    (93.5, 44.9), (95.4, 44.3), (96.4, 42.8), (100.8, 42.6), (105.0, 41.6), (107.0, 42.1),
    (109.5, 42.5), (111.8, 43.7), (113.6, 44.8), (116.6, 46.3), (117.9, 46.6), (119.9, 46.7),
    (115.6, 47.9), (117.8, 49.6), (120.1, 51.7), (122.3, 53.3),
)
HAINAN = (
    (108.6, 19.2), (108.7, 18.5), (109.6, 18.2), (110.5, 18.7), (111.0, 19.7), (110.6, 20.1),
    (109.7, 20.0), (108.7, 19.6),
)
# fmt: on


def _in_polygon(
    lon: np.ndarray, lat: np.ndarray, polygon: Sequence[tuple[float, float]]
) -> np.ndarray:
    """Even-odd ray casting, vectorised over points."""
    inside = np.zeros(lon.shape, dtype=bool)
    xs = np.array([p[0] for p in polygon])
    ys = np.array([p[1] for p in polygon])
    for k in range(len(polygon)):
        x1, y1, x2, y2 = xs[k - 1], ys[k - 1], xs[k], ys[k]
        crosses = (y1 > lat) != (y2 > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (lon < x_at)
    return inside


def inside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return _in_polygon(lon, lat, MAINLAND) | _in_polygon(lon, lat, HAINAN)


def _allocate(weights: np.ndarray, total: int) -> np.ndarray:
    """Integer counts proportional to weights that sum to total (largest remainder), each
    province getting at least one when total allows."""
    share = weights / weights.sum() * total
    counts = np.floor(share).astype(int)
    if total >= len(weights):
        counts = np.maximum(counts, 1)
    while counts.sum() > total:
        counts[np.argmax(counts - share)] -= 1
    remainder = share - counts
    for k in np.argsort(-remainder, kind="stable")[: total - counts.sum()]:
        counts[k] += 1
    return counts


@dataclass(frozen=True)
class Generated:
    folder: Path
    donors: int
    recipients: int
    pairs: int
    total_need: float
    total_capacity: float


def generate(
    out: Path,
    level: str = "county",
    *,
    seed: int = 2020,
    recipients: int | None = None,
    capacity_ratio: float = 1.3,
    skew: float = 1.0,
    max_donors: int = 2,
    min_share: float = 0.1,
    pair_table: bool = True,
    time_limit: float = 60.0,
) -> Generated:
    """Write one scenario folder `out` and return what it holds."""
    if level not in LEVELS:
        raise ValueError(f"unknown level '{level}'; use one of {', '.join(LEVELS)}")
    n_rec = LEVELS[level] if recipients is None else recipients
    rng = np.random.default_rng(seed)
    provinces = PROVINCES
    weights = np.array(
        [float(p.prefectures if level == "prefecture" else p.counties) for p in provinces]
    )
    counts = _allocate(weights, n_rec)

    ids, prov_of, lats, lons = [], [], [], []
    for k, (p, count) in enumerate(zip(provinces, counts, strict=True)):
        got = 0
        tries = 0
        while got < count:
            tries += 1
            batch = max(8, 4 * (count - got))
            lat = p.mid_lat + rng.normal(0.0, p.spread, batch)
            lon = p.mid_lon + rng.normal(0.0, p.spread, batch) / np.cos(np.radians(p.mid_lat))
            ok = inside_china(lon, lat)
            if tries > 50:  # a pathological spread: fall back to the capital
                lat, lon, ok = (
                    np.array([p.capital_lat]),
                    np.array([p.capital_lon]),
                    np.array([True]),
                )
            for la, lo in zip(lat[ok], lon[ok], strict=True):
                if got == count:
                    break
                got += 1
                ids.append(f"{p.name.replace(' ', '')}-{got:03d}")
                prov_of.append(k)
                lats.append(round(float(la), 4))
                lons.append(round(float(lo), 4))
    need = np.maximum(1, np.round(NEED_MEDIAN[level] * rng.lognormal(0.0, skew, n_rec)))
    gdp = np.array([p.gdp for p in provinces])
    capacity = np.ceil(capacity_ratio * need.sum() * gdp / gdp.sum())

    out.mkdir(parents=True, exist_ok=True)
    donors_df = pd.DataFrame(
        {
            "province": [p.name for p in provinces],
            "province_zh": [p.name_zh for p in provinces],
            "capacity": capacity.astype(int),
            "lat": [p.capital_lat for p in provinces],
            "lon": [p.capital_lon for p in provinces],
            "gdp_2019_100m_yuan": gdp,
        }
    )
    recipients_df = pd.DataFrame(
        {
            "id": ids,
            "province": [provinces[k].name for k in prov_of],
            "need": need.astype(int),
            "lat": lats,
            "lon": lons,
        }
    )
    donors_df.to_csv(out / "donors.csv", index=False)
    recipients_df.to_csv(out / "recipients.csv", index=False)
    n_d = len(provinces)
    spec: dict[str, object] = {
        "name": f"Synthetic national pairing, {level} level ({n_rec} x {n_d}, seed {seed})",
        "description": (
            f"Generated by benchmarks/synthetic.py: seed {seed}, capacity {capacity_ratio:g} x "
            f"total need, lognormal needs (sigma {skew:g}). Not real data."
        ),
        "donors": {
            "file": "donors.csv",
            "id": "province",
            "capacity": "capacity",
            "lat": "lat",
            "lon": "lon",
            "label": "province_zh",
        },
        "recipients": {
            "file": "recipients.csv",
            "id": "id",
            "need": "need",
            "lat": "lat",
            "lon": "lon",
        },
    }
    prov_arr = np.array(prov_of)
    if pair_table:
        d_idx = np.repeat(np.arange(n_d), n_rec)
        r_idx = np.tile(np.arange(n_rec), n_d)
        keep = prov_arr[r_idx] != d_idx  # a province does not help its own divisions
        pairs_df = pd.DataFrame(
            {
                "donor": np.array([p.name for p in provinces], dtype=object)[d_idx[keep]],
                "recipient": np.array(ids, dtype=object)[r_idx[keep]],
            }
        )
        pairs_df.to_csv(out / "pairs.csv", index=False)
        spec["pairs"] = {"file": "pairs.csv"}
        n_pairs = int(keep.sum())
    else:
        n_pairs = n_d * n_rec
    spec["rules"] = {
        "donors_per_recipient": {"min": 1, "max": max_donors},
        "min_share": min_share,
    }
    spec["objective"] = "weighted_distance"
    spec["solver"] = {"name": "highs", "time_limit": time_limit, "mip_gap": 0}
    text = yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)
    (out / "scenario.yaml").write_text(text, encoding="utf-8")
    return Generated(out, n_d, n_rec, n_pairs, float(need.sum()), float(capacity.sum()))


def _inside_repo(path: Path) -> bool:
    return path.resolve().is_relative_to(ROOT)


def generate_all(out: Path, levels: Sequence[str], **options: object) -> list[Generated]:
    if _inside_repo(out):
        raise ValueError(f"{out} is inside the repository; write generated scenarios elsewhere")
    return [generate(out / level, level, **options) for level in levels]  # type: ignore[arg-type]


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--levels", default="prefecture,county", help="comma-separated: prefecture, county"
    )
    parser.add_argument("--seed", type=int, default=2020, help="random seed (2020)")
    parser.add_argument(
        "--capacity-ratio", type=float, default=1.3, help="total capacity / total need (1.3)"
    )
    parser.add_argument(
        "--skew", type=float, default=1.0, help="sigma of the lognormal needs (1.0)"
    )
    parser.add_argument(
        "--recipients", type=int, help="number of recipients (default: 333 / 2850 by level)"
    )
    parser.add_argument(
        "--max-donors", type=int, default=2, help="donors_per_recipient max (2; min is 1)"
    )
    parser.add_argument("--min-share", type=float, default=0.1, help="rules.min_share (0.1)")
    parser.add_argument(
        "--no-pair-table",
        action="store_true",
        help="no pairs.csv: every donor is a candidate for every recipient (own province too)",
    )


def options_from(args: argparse.Namespace) -> dict[str, object]:
    return {
        "seed": args.seed,
        "recipients": args.recipients,
        "capacity_ratio": args.capacity_ratio,
        "skew": args.skew,
        "max_donors": args.max_donors,
        "min_share": args.min_share,
        "pair_table": not args.no_pair_table,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.synthetic",
        description="Write synthetic national-scale pairopt scenarios (fixed seed).",
    )
    parser.add_argument(
        "out", nargs="?", type=Path, help="output folder (default: a new temporary folder)"
    )
    add_options(parser)
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="pairopt-national-"))
    levels = [x.strip() for x in args.levels.split(",") if x.strip()]
    try:
        made = generate_all(out, levels, **options_from(args))
    except ValueError as exc:
        parser.error(str(exc))
    for g in made:
        print(
            f"{g.folder / 'scenario.yaml'}: {g.recipients} recipients x {g.donors} donors, "
            f"{g.pairs} candidate pairs, need {g.total_need:g}, capacity {g.total_capacity:g}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
