"""Route geometry, pure (no database): lengths, the corridor search, stop ordering and GPX files.

Points are WGS84 `(lon, lat)` pairs, as in GeoJSON. Distances are measured after projecting to a metric CRS:
a transverse Mercator centred on the route's mean longitude (`+proj=tmerc +lon_0=<mean>`, WGS84 ellipsoid).
Vietnam is long and thin (≈ 102°–110° E), so a route rarely strays more than 3° from its own central
meridian, where the transverse Mercator's scale error stays under 0.2 % — far better than Web Mercator
(≈ 1.5 % at 10° N and growing) and, unlike a fixed UTM zone (48 or 49), it never breaks at a zone edge. The
projection is built per route with pyproj from a PROJ string, so it needs no EPSG database lookup.
"""

from __future__ import annotations

import io
import itertools
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import gpxpy
import gpxpy.gpx
import numpy as np
import shapely
from pyproj import Transformer
from shapely import LineString, STRtree

from app.errors import ValidationFailed
from app.i18n import gettext as _

Coord = tuple[float, float]  # (lon, lat)

# Vietnam's mainland and near islands (the same bounds as a fair's venue).
LAT_BOUNDS = (8.0, 23.5)
LON_BOUNDS = (102.0, 110.0)
# Average driving speed on Mekong delta roads (national highway 1A, 60, 80 and provincial roads through
# towns, ferries gone but bridges and traffic): ≈ 40 km/h door to door is what tour operators plan with.
AVERAGE_SPEED_KMH = 40.0
MAX_GPX_POINTS = 20_000  # more than this is refused
KEEP_TRACK_POINTS = 2_000  # a stored track is simplified down to about this many points
MAX_GPX_BYTES = 5 * 1024 * 1024
MAX_CORRIDOR_KM = 50.0


@dataclass(frozen=True)
class Along:
    """A place near a route: how far off it is and at which km along the route."""

    place_id: int
    off_km: float
    at_km: float


# --- projection ---


@lru_cache(maxsize=64)
def _transformer(lon_0: float) -> Transformer:
    proj = f"+proj=tmerc +lat_0=0 +lon_0={lon_0:.3f} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
    return Transformer.from_crs("+proj=longlat +datum=WGS84 +no_defs", proj, always_xy=True)


def central_meridian(points: Sequence[Coord]) -> float:
    """The mean longitude, rounded (so nearby routes share a cached transformer)."""
    if not points:
        return 106.0
    return round(sum(p[0] for p in points) / len(points), 1)


def project(points: Sequence[Coord], lon_0: float) -> list[Coord]:
    if not points:
        return []
    xs, ys = _transformer(lon_0).transform([p[0] for p in points], [p[1] for p in points])
    return list(zip(xs, ys, strict=True))


def route_line(points: Sequence[Coord], lon_0: float | None = None) -> LineString:
    """The route as a projected (metric) line. A single point makes a zero-length line."""
    if not points:
        raise ValueError("a route line needs at least one point")
    lon_0 = central_meridian(points) if lon_0 is None else lon_0
    projected = project(points, lon_0)
    if len(projected) == 1:
        projected = projected * 2
    return LineString(projected)


def length_km(points: Sequence[Coord]) -> float:
    if len(points) < 2:
        return 0.0
    return float(route_line(points).length) / 1000.0


def duration_min(length: float, stop_minutes: Sequence[int] | int = 0) -> int:
    """Driving time at AVERAGE_SPEED_KMH plus the minutes spent at the stops, rounded to a minute."""
    spent = stop_minutes if isinstance(stop_minutes, int) else sum(stop_minutes)
    return round(length / AVERAGE_SPEED_KMH * 60) + int(spent)


def corridor(
    route_points: Sequence[Coord], places: Sequence[tuple[int, float, float]], within_km: float = 5.0
) -> list[Along]:
    """Every place within `within_km` of the route, with its distance off it and its km along it, in
    route order (then nearest first). `places` are `(id, lon, lat)`.

    The places are projected and indexed in one vectorised pass (an STRtree), the index answers which
    lie within the distance of the line, and only those are measured."""
    if not route_points or not places:
        return []
    lon_0 = central_meridian(route_points)
    line = route_line(route_points, lon_0)
    lons = np.fromiter((p[1] for p in places), dtype=float, count=len(places))
    lats = np.fromiter((p[2] for p in places), dtype=float, count=len(places))
    xs, ys = _transformer(lon_0).transform(lons, lats)
    points = shapely.points(xs, ys)
    tree = STRtree(points)
    hits = tree.query(line, predicate="dwithin", distance=within_km * 1000.0)
    if len(hits) == 0:
        return []
    near = points[hits]
    off = shapely.distance(line, near) / 1000.0
    at = shapely.line_locate_point(line, near) / 1000.0
    found = [
        Along(place_id=places[int(i)][0], off_km=round(float(o), 2), at_km=round(float(a), 2))
        for i, o, a in zip(hits, off, at, strict=True)
    ]
    found.sort(key=lambda a: (a.at_km, a.off_km, a.place_id))
    return found


def stops_line_geojson(points: Sequence[Coord]) -> dict[str, object]:
    return {"type": "LineString", "coordinates": [[round(x, 6), round(y, 6)] for x, y in points]}


# --- ordering ---


def _distance_matrix(points: Sequence[Coord]) -> list[list[float]]:
    xy = project(points, central_meridian(points))
    return [[math.dist(a, b) for b in xy] for a in xy]


def _path_length(order: Sequence[int], dist: list[list[float]]) -> float:
    return sum(dist[a][b] for a, b in itertools.pairwise(order))


def nearest_neighbour(points: Sequence[Coord], dist: list[list[float]] | None = None) -> list[int]:
    """An open path from the first point, always to the nearest point not yet visited."""
    if not points:
        return []
    dist = dist or _distance_matrix(points)
    left = set(range(1, len(points)))
    order = [0]
    while left:
        here = order[-1]
        nxt = min(left, key=lambda j: (dist[here][j], j))
        order.append(nxt)
        left.remove(nxt)
    return order


def two_opt(order: list[int], dist: list[list[float]]) -> list[int]:
    """Reverse segments while that shortens the open path; the first point stays first."""
    best = list(order)
    n = len(best)
    improved = True
    while improved:
        improved = False
        for i in range(1, n - 1):
            for k in range(i + 1, n):
                a, b = best[i - 1], best[i]
                c = best[k]
                d = best[k + 1] if k + 1 < n else None
                before = dist[a][b] + (dist[c][d] if d is not None else 0.0)
                after = dist[a][c] + (dist[b][d] if d is not None else 0.0)
                if after < before - 1e-6:
                    best[i : k + 1] = reversed(best[i : k + 1])
                    improved = True
    return best


def optimise_order(points: Sequence[Coord], keep_first: bool = True) -> tuple[list[int], float]:
    """A short visiting order (indexes into `points`) and its length in km: nearest neighbour, then 2-opt.
    The first stop stays first; the result is never longer than the given order."""
    n = len(points)
    if n < 3:
        order = list(range(n))
        return order, length_km(points)
    dist = _distance_matrix(points)
    given = list(range(n))
    candidates = [two_opt(nearest_neighbour(points, dist), dist), two_opt(given, dist), given]
    if not keep_first:
        for start in range(1, n):
            rotated = [start, *[i for i in range(n) if i != start]]
            sub = [points[i] for i in rotated]
            local = nearest_neighbour(
                sub, [[dist[rotated[a]][rotated[b]] for b in range(n)] for a in range(n)]
            )
            candidates.append(two_opt([rotated[i] for i in local], dist))
    best = min(candidates, key=lambda order: _path_length(order, dist))
    return best, _path_length(best, dist) / 1000.0


# --- GPX ---


def in_vietnam(lon: float, lat: float) -> bool:
    return LAT_BOUNDS[0] <= lat <= LAT_BOUNDS[1] and LON_BOUNDS[0] <= lon <= LON_BOUNDS[1]


def parse_gpx(content: bytes | str) -> list[list[float]]:
    """An uploaded GPX file → its track as [[lon, lat], …] (tracks first, else routes), simplified to keep it
    small. A broken file, no points, a point outside Vietnam or too many points: ValidationFailed."""
    if isinstance(content, bytes):
        if len(content) > MAX_GPX_BYTES:
            raise ValidationFailed(
                _("The GPX file is too large (at most 5 MB)."), fields={"gpx": _("File too large.")}
            )
        text = content.decode("utf-8", errors="replace")
    else:
        text = content
    broken = _("This is not a GPX file we can read: export the track again as GPX 1.1.")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValidationFailed(broken, fields={"gpx": broken})
    try:
        gpx = gpxpy.parse(io.StringIO(text))
    except (gpxpy.gpx.GPXException, ET.ParseError, ValueError, TypeError, AttributeError) as err:
        raise ValidationFailed(broken, fields={"gpx": broken}) from err
    points: list[list[float]] = [
        [p.longitude, p.latitude] for track in gpx.tracks for seg in track.segments for p in seg.points
    ]
    if not points:
        points = [[p.longitude, p.latitude] for route in gpx.routes for p in route.points]
    if len(points) < 2:
        message = _("The GPX file has no track: it needs at least two track or route points.")
        raise ValidationFailed(message, fields={"gpx": message})
    if len(points) > MAX_GPX_POINTS:
        message = _("The GPX track has too many points (at most %(n)s).", n=f"{MAX_GPX_POINTS:,}")
        raise ValidationFailed(message, fields={"gpx": message})
    for lon, lat in points:
        if not (
            isinstance(lon, float | int)
            and isinstance(lat, float | int)
            and math.isfinite(lon)
            and math.isfinite(lat)
            and in_vietnam(lon, lat)
        ):
            message = _("The GPX track leaves Vietnam (latitude 8–23.5, longitude 102–110): check the file.")
            raise ValidationFailed(message, fields={"gpx": message})
    return simplify_track(points)


def simplify_track(points: list[list[float]], keep: int = KEEP_TRACK_POINTS) -> list[list[float]]:
    """Douglas–Peucker in metres, the tolerance doubling from 5 m until at most `keep` points remain."""
    if len(points) <= 2:
        return [[round(lon, 6), round(lat, 6)] for lon, lat in points]
    lon_0 = central_meridian([(p[0], p[1]) for p in points])
    line = LineString(project([(p[0], p[1]) for p in points], lon_0))
    tolerance = 5.0
    simple = line.simplify(tolerance, preserve_topology=False)
    while len(simple.coords) > keep:
        tolerance *= 2
        simple = line.simplify(tolerance, preserve_topology=False)
    xs, ys = _transformer(lon_0).transform(
        [c[0] for c in simple.coords], [c[1] for c in simple.coords], direction="INVERSE"
    )
    return [[round(x, 6), round(y, 6)] for x, y in zip(xs, ys, strict=True)]


def export_gpx(
    name: str,
    description: str,
    track: Sequence[Sequence[float]],
    stops: Sequence[tuple[str, float, float]],
) -> str:
    """A route as GPX 1.1: its stops as waypoints and a <rte>, and its track (when it has one) as a <trk>.
    `stops` are `(name, lon, lat)`."""
    gpx = gpxpy.gpx.GPX()
    gpx.name = name
    gpx.description = description or None
    gpx.creator = "Chợ Phiên"
    route = gpxpy.gpx.GPXRoute(name=name)
    for stop_name, lon, lat in stops:
        gpx.waypoints.append(gpxpy.gpx.GPXWaypoint(latitude=lat, longitude=lon, name=stop_name))
        route.points.append(gpxpy.gpx.GPXRoutePoint(latitude=lat, longitude=lon, name=stop_name))
    if route.points:
        gpx.routes.append(route)
    if track:
        trk = gpxpy.gpx.GPXTrack(name=name)
        segment = gpxpy.gpx.GPXTrackSegment()
        segment.points = [gpxpy.gpx.GPXTrackPoint(latitude=p[1], longitude=p[0]) for p in track]
        trk.segments.append(segment)
        gpx.tracks.append(trk)
    return str(gpx.to_xml(version="1.1"))
