"""Where to put a map's labels so that none covers another or a marker: a greedy repel.

Labels are placed one at a time, most important first. Each tries spots around its point,
nearest first (right, upper right, lower right, left, ... then the same further out); the
first spot inside the panel that overlaps no placed label and no marker wins. A label
moved away from its point gets a leader line. When no spot is free the one overlapping
least is taken, so every label is drawn. Coordinates are display pixels (y up).
"""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[float, float, float, float]  # x0, y0, x1, y1

# Unit steps around a point, in the order tried: beside it reads best, then diagonals.
DIRECTIONS = (
    (1.0, 0.0),
    (0.72, 0.72),
    (0.72, -0.72),
    (-1.0, 0.0),
    (-0.72, 0.72),
    (-0.72, -0.72),
    (0.0, 1.0),
    (0.0, -1.0),
)
RINGS = (0.0, 10.0, 22.0, 36.0, 54.0, 76.0)  # px beyond the marker; the first needs no leader


@dataclass(frozen=True)
class Spot:
    box: Box
    leader: bool  # far from the point: draw a line to it


def overlap(a: Box, b: Box) -> float:
    """The area two boxes share (0 when apart)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def candidates(x: float, y: float, width: float, height: float, gap: float) -> list[Spot]:
    """Boxes of a width x height label around the point (x, y), `gap` px clear of it."""
    spots = []
    for ring, distance in enumerate(RINGS):
        reach = gap + distance
        for dx, dy in DIRECTIONS:
            cx, cy = x + dx * reach, y + dy * reach
            # the box's near edge (or its middle, straight along an axis) sits at (cx, cy)
            x0 = cx if dx > 0 else cx - width if dx < 0 else cx - width / 2
            y0 = cy if dy > 0 else cy - height if dy < 0 else cy - height / 2
            spots.append(Spot((x0, y0, x0 + width, y0 + height), leader=ring > 0))
    return spots


def place(
    x: float,
    y: float,
    width: float,
    height: float,
    gap: float,
    taken: list[Box],
    bounds: Box,
) -> Spot:
    """The first free spot for a label (see the module's docstring), added to `taken`."""
    best: tuple[float, Spot] | None = None
    for spot in candidates(x, y, width, height, gap):
        b = spot.box
        if b[0] < bounds[0] or b[1] < bounds[1] or b[2] > bounds[2] or b[3] > bounds[3]:
            continue
        covered = sum(overlap(b, t) for t in taken)
        if covered == 0:
            taken.append(b)
            return spot
        if best is None or covered < best[0]:
            best = (covered, spot)
    if best is None:  # nothing fits inside the panel: beside the point, clipped
        best = (0.0, candidates(x, y, width, height, gap)[0])
    taken.append(best[1].box)
    return best[1]
