"""The district drawn from the portal's own data, for maps without a tile server.

Streets, communities and grids have outlines where someone drew them (`boundary`); where nobody
did, their territory is derived from their buildings: the land within `REACH_M` of a building goes
to the unit of the nearest building, on a raster of `CELL_M` cells, and the raster's edges are
traced into polygons and simplified. Neighbours therefore share borders instead of overlapping,
as convex hulls of scattered estates would, and a unit with outlying villages gets islands.
Pure functions on plain data: the queries are in `grids.selectors.basemap_data`.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

# Cells of 50 m: fine enough for estates, coarse enough to compute a district in well under a
# second. A building claims the land within 300 m, so a neighbourhood reads as one area.
CELL_M = 50.0
REACH_M = 300.0
# Douglas-Peucker tolerance, in cells: removes the raster's stair steps.
SIMPLIFY_CELLS = 0.9
# Coordinates are rounded to 5 decimals (about a metre): enough for a map, small on the wire.
DECIMALS = 5
_M_PER_DEG = 111_320.0
# Larger districts get coarser cells rather than a raster of millions of cells.
_MAX_CELLS = 600_000
PARTY_SUFFIX = re.compile(r"(党工委|党总支|党委|党支部|党小组)$")


@dataclass(frozen=True)
class UnitPlace:
    """A street, community or grid to outline: its id, name, parent id and drawn boundary."""

    kind: str
    id: int
    name: str
    parent_id: int | None
    boundary: dict | None


@dataclass(frozen=True)
class BuildingPlace:
    lat: float
    lng: float
    street_id: int | None
    community_id: int | None
    grid_id: int


class _Frame:
    """A local plane in metres around the data (equirectangular: exact enough over 30 km)."""

    def __init__(self, lats: np.ndarray, lngs: np.ndarray):
        self.lat0 = float(lats.mean())
        self.lng0 = float(lngs.mean())
        self.kx = _M_PER_DEG * math.cos(math.radians(self.lat0))
        x, y = self.xy(lats, lngs)
        margin = REACH_M + 2 * CELL_M
        self.x0, self.y0 = float(x.min()) - margin, float(y.min()) - margin
        width, height = float(x.max()) - self.x0 + margin, float(y.max()) - self.y0 + margin
        self.cell = max(CELL_M, math.sqrt(width * height / _MAX_CELLS))
        self.cols = int(math.ceil(width / self.cell)) + 1
        self.rows = int(math.ceil(height / self.cell)) + 1

    def xy(self, lats, lngs):
        return (np.asarray(lngs) - self.lng0) * self.kx, (np.asarray(lats) - self.lat0) * _M_PER_DEG

    def lnglat(self, col: float, row: float) -> tuple[float, float]:
        """A raster corner (col, row) as [lng, lat], rounded."""
        x, y = self.x0 + col * self.cell, self.y0 + row * self.cell
        return (
            round(self.lng0 + x / self.kx, DECIMALS),
            round(self.lat0 + y / _M_PER_DEG, DECIMALS),
        )


def _nearest_building_raster(frame: _Frame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """For every cell, the index of the nearest building within REACH_M (-1: none).

    Each building stamps a disc; a cell keeps the stamp of the nearest building. Sorting the
    stamps by distance, farthest first, lets the nearest write last.
    """
    reach = int(math.ceil(REACH_M / frame.cell))
    offsets = np.array(
        [(dr, dc) for dr in range(-reach, reach + 1) for dc in range(-reach, reach + 1)]
    )
    col_f = (x - frame.x0) / frame.cell
    row_f = (y - frame.y0) / frame.cell
    rows = np.floor(row_f).astype(int)[:, None] + offsets[None, :, 0]
    cols = np.floor(col_f).astype(int)[:, None] + offsets[None, :, 1]
    dist = np.hypot((cols + 0.5 - col_f[:, None]), (rows + 0.5 - row_f[:, None])) * frame.cell
    index = np.broadcast_to(np.arange(len(x))[:, None], dist.shape)
    keep = (dist <= REACH_M) & (rows >= 0) & (rows < frame.rows) & (cols >= 0) & (cols < frame.cols)
    rows, cols, dist, index = rows[keep], cols[keep], dist[keep], index[keep]
    order = np.argsort(-dist, kind="stable")
    raster = np.full((frame.rows, frame.cols), -1, dtype=np.int64)
    raster[rows[order], cols[order]] = index[order]
    return raster


def _trace_rings(mask: np.ndarray) -> list[list[tuple[int, int]]]:
    """The closed outlines of a boolean raster, as rings of (col, row) corners.

    Every edge between a cell inside and one outside is directed with the inside on its left,
    so outer rings run anticlockwise and holes clockwise (rows grow northwards).
    """
    padded = np.pad(mask, 1)
    edges: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    # Southern edges of inside cells with nothing below: run east. Northern: run west.
    r, c = np.nonzero(padded[1:-1, 1:-1] & ~padded[:-2, 1:-1])
    for row, col in zip(r.tolist(), c.tolist(), strict=True):
        edges[(col, row)].append((col + 1, row))
    r, c = np.nonzero(padded[1:-1, 1:-1] & ~padded[2:, 1:-1])
    for row, col in zip(r.tolist(), c.tolist(), strict=True):
        edges[(col + 1, row + 1)].append((col, row + 1))
    # Western edges (nothing to the west): run south. Eastern: run north.
    r, c = np.nonzero(padded[1:-1, 1:-1] & ~padded[1:-1, :-2])
    for row, col in zip(r.tolist(), c.tolist(), strict=True):
        edges[(col, row + 1)].append((col, row))
    r, c = np.nonzero(padded[1:-1, 1:-1] & ~padded[1:-1, 2:])
    for row, col in zip(r.tolist(), c.tolist(), strict=True):
        edges[(col + 1, row)].append((col + 1, row + 1))
    rings = []
    while edges:
        start, targets = next(iter(edges.items()))
        ring = [start]
        current = targets.pop()
        if not targets:
            del edges[start]
        while current != start:
            ring.append(current)
            targets = edges[current]
            current = targets.pop()
            if not targets:
                del edges[ring[-1]]
        ring.append(start)
        rings.append(ring)
    return rings


def _simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker on an open polyline (iterative: long rings do not recurse deeply)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy)
        worst, worst_at = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            if length == 0:
                d = math.hypot(px - x1, py - y1)
            else:
                d = abs(dx * (y1 - py) - dy * (x1 - px)) / length
            if d > worst:
                worst, worst_at = d, i
        if worst > tolerance:
            keep[worst_at] = True
            stack += [(first, worst_at), (worst_at, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _signed_area(ring) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False)) / 2


def _inside(ring, x: float, y: float) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _mask_polygons(mask: np.ndarray, frame: _Frame) -> list[list[list[tuple[float, float]]]]:
    """A raster mask as GeoJSON MultiPolygon coordinates (outer ring, then its holes)."""
    outers, holes = [], []
    for ring in _trace_rings(mask):
        # Split the closed ring at its start to simplify it as a polyline, then close it again.
        simple = _simplify(ring, SIMPLIFY_CELLS)
        if len(simple) < 4:
            continue
        area = _signed_area(simple)
        (outers if area > 0 else holes).append(simple)
    polygons = [[outer] for outer in outers]
    for hole in holes:
        x, y = (hole[0][0] + hole[1][0]) / 2, (hole[0][1] + hole[1][1]) / 2
        for polygon in polygons:
            if _inside(polygon[0], x, y):
                polygon.append(hole)
                break
    return [
        [[list(frame.lnglat(col, row)) for col, row in ring] for ring in polygon]
        for polygon in polygons
    ]


def _label_point(mask: np.ndarray, frame: _Frame) -> tuple[float, float]:
    """The cell deepest inside the mask (so a name sits inside even a crescent-shaped area),
    nearest the mask's centre among equals."""
    deepest = mask
    while True:
        inner = deepest.copy()
        inner[1:, :] &= deepest[:-1, :]
        inner[:-1, :] &= deepest[1:, :]
        inner[:, 1:] &= deepest[:, :-1]
        inner[:, :-1] &= deepest[:, 1:]
        if not inner.any():
            break
        deepest = inner
    rows, cols = np.nonzero(deepest)
    all_rows, all_cols = np.nonzero(mask)
    centre_r, centre_c = all_rows.mean(), all_cols.mean()
    best = int(np.argmin((rows - centre_r) ** 2 + (cols - centre_c) ** 2))
    return frame.lnglat(cols[best] + 0.5, rows[best] + 0.5)


def _rounded(geometry: dict) -> dict:
    def walk(value):
        if isinstance(value, list) and value and isinstance(value[0], int | float):
            return [round(float(v), DECIMALS) for v in value[:2]]
        return [walk(v) for v in value]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def _centroid(geometry: dict) -> tuple[float, float]:
    """Area centroid of a drawn Polygon / MultiPolygon's outer rings (largest weight wins)."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    total = sx = sy = 0.0
    for rings in polygons:
        ring = [(float(p[0]), float(p[1])) for p in rings[0]]
        for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
            cross = x1 * y2 - x2 * y1
            total += cross
            sx += (x1 + x2) * cross
            sy += (y1 + y2) * cross
    if total == 0:
        first = polygons[0][0][0]
        return round(first[0], DECIMALS), round(first[1], DECIMALS)
    return round(sx / (3 * total), DECIMALS), round(sy / (3 * total), DECIMALS)


def place_name(name: str) -> str:
    """The place a unit's name refers to: 正东路街道党工委 -> 正东路街道, 京口路社区党委 -> 京口路社区
    (a map names places; the party organization is the same words plus its form)."""
    short = PARTY_SUFFIX.sub("", name)
    return short or name


def outline_features(units: list[UnitPlace], buildings: list[BuildingPlace]) -> list[dict]:
    """One GeoJSON Feature per unit that has a drawn boundary or buildings: its outline, with
    the point for its name label in `properties.label` ([lng, lat])."""
    features = []
    derived = [u for u in units if not u.boundary]
    if derived and buildings:
        lats = np.array([b.lat for b in buildings])
        lngs = np.array([b.lng for b in buildings])
        frame = _Frame(lats, lngs)
        nearest = _nearest_building_raster(frame, *frame.xy(lats, lngs))
        owners = {
            kind: np.array([getattr(b, f"{kind}_id") or -1 for b in buildings] + [-1])
            for kind in ("street", "community", "grid")
        }
    derived_ids = {(u.kind, u.id) for u in derived}
    by_kind: dict[str, np.ndarray] = {}
    for unit in units:
        props = {
            "kind": str(unit.kind),
            "id": unit.id,
            "name": place_name(unit.name),
            "parent": unit.parent_id,
        }
        if unit.boundary:
            geometry = _rounded(unit.boundary)
            props["label"] = list(_centroid(geometry))
        elif (unit.kind, unit.id) in derived_ids and buildings:
            if unit.kind not in by_kind:
                # -1 (no building) indexes the trailing -1 owner: land of nobody.
                by_kind[unit.kind] = owners[unit.kind][nearest]
            mask = by_kind[unit.kind] == unit.id
            if not mask.any():
                continue
            geometry = {"type": "MultiPolygon", "coordinates": _mask_polygons(mask, frame)}
            props["label"] = list(_label_point(mask, frame))
        else:
            continue
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return features


def point_feature(lat: float, lng: float, properties: dict) -> dict:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Point", "coordinates": [round(lng, DECIMALS), round(lat, DECIMALS)]},
    }
