"""Distances and walking times: the one place that says how far a station is on foot.

Walking distance is the straight-line (great-circle) distance times a detour factor, because
streets do not run straight; walking time is that distance at an elderly resident's pace.
"""

import math

import numpy as np

EARTH_RADIUS_M = 6_371_008.8
# Streets add about a third to the straight line in an old town centre like Jingkou's.
DETOUR_FACTOR = 1.3
WALKING_METRES_PER_MINUTE = 80.0
# 15分钟党群便民服务圈: a station within a 15-minute walk.
SERVICE_CIRCLE_MINUTES = 15.0

# Blocks of buildings compared with every station at once: bounds memory to ~16 MB at 500 stations.
_BLOCK = 4096


def straight_metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def walking_metres(straight_m):
    return straight_m * DETOUR_FACTOR


def walking_minutes(straight_m):
    """Minutes on foot for a straight-line distance (works on floats and numpy arrays)."""
    return straight_m * DETOUR_FACTOR / WALKING_METRES_PER_MINUTE


def straight_metres_array(lat1, lng1, lat2, lng2) -> np.ndarray:
    """Haversine on numpy arrays (broadcasting), in metres."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lng2) - np.asarray(lng1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _unit_vectors(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, shape (n, 3): the larger the dot product, the nearer."""
    la, ln = np.radians(lat), np.radians(lng)
    cos_la = np.cos(la)
    return np.column_stack([cos_la * np.cos(ln), cos_la * np.sin(ln), np.sin(la)])


def nearest_points(
    from_lat: np.ndarray, from_lng: np.ndarray, to_lat: np.ndarray, to_lng: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For every `from` point, the index of the nearest `to` point and the distance in metres.

    The nearest is found by one matrix product of unit vectors per block (great-circle order
    is the order of the dot products), then the distance of that pair alone by haversine: no
    Python loop over pairs.
    """
    from_lat = np.asarray(from_lat, dtype=float)
    from_lng = np.asarray(from_lng, dtype=float)
    n = from_lat.shape[0]
    if len(to_lat) == 0:
        return np.full(n, -1, dtype=np.int64), np.full(n, np.inf)
    targets = _unit_vectors(np.asarray(to_lat, dtype=float), np.asarray(to_lng, dtype=float)).T
    index = np.empty(n, dtype=np.int64)
    for start in range(0, n, _BLOCK):
        block = _unit_vectors(from_lat[start : start + _BLOCK], from_lng[start : start + _BLOCK])
        index[start : start + _BLOCK] = np.argmax(block @ targets, axis=1)
    to_lat, to_lng = np.asarray(to_lat, dtype=float), np.asarray(to_lng, dtype=float)
    metres = straight_metres_array(from_lat, from_lng, to_lat[index], to_lng[index])
    return index, metres


def polygon_problem(value) -> str | None:
    """Why `value` is not a GeoJSON Polygon or MultiPolygon in longitude/latitude (None if it is)."""
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        return "type"
    polygons = value.get("coordinates")
    if not isinstance(polygons, list) or not polygons:
        return "coordinates"
    if value["type"] == "Polygon":
        polygons = [polygons]
    for rings in polygons:
        if not isinstance(rings, list) or not rings:
            return "coordinates"
        for ring in rings:
            if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
                return "ring"
            for position in ring:
                if (
                    not isinstance(position, list | tuple)
                    or len(position) < 2
                    or not all(isinstance(c, int | float) for c in position[:2])
                    or not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90)
                ):
                    return "position"
    return None


def _ring_contains(ring, lng: float, lat: float) -> bool:
    """Ray casting on one closed ring of [lng, lat] positions (a point on an edge may go either
    way: boundaries are drawn by hand, a few metres do not matter)."""
    inside = False
    for (x1, y1, *_a), (x2, y2, *_b) in zip(ring, ring[1:], strict=False):
        if (y1 > lat) != (y2 > lat) and lng < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def polygon_contains(value, lat: float, lng: float) -> bool:
    """Whether a GeoJSON Polygon or MultiPolygon (as polygon_problem accepts) holds the point:
    inside an outer ring and outside that polygon's holes."""
    if polygon_problem(value):
        return False
    polygons = value["coordinates"]
    if value["type"] == "Polygon":
        polygons = [polygons]
    for outer, *holes in polygons:
        if _ring_contains(outer, lng, lat) and not any(_ring_contains(h, lng, lat) for h in holes):
            return True
    return False


def metres_box(lat: float, lng: float, metres: float) -> tuple[float, float, float, float]:
    """(south, west, north, east) of a square `metres` around the point: a bounding-box
    prefilter, to be followed by an exact distance."""
    d_lat = math.degrees(metres / EARTH_RADIUS_M)
    d_lng = d_lat / max(math.cos(math.radians(lat)), 0.01)
    return lat - d_lat, lng - d_lng, lat + d_lat, lng + d_lng
