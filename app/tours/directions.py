"""Directions hand-off, pure: links that open a route or a place in Google Maps, OpenStreetMap or the phone's
own maps app (`geo:`). Points are `(lat, lon)` here, the order these URLs use.

Google Maps URLs accept at most 9 waypoints between origin and destination (on a phone, fewer are honoured
reliably, but 9 is the documented limit), so a longer route is split into legs: each leg starts at the stop
where the last one ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote, urlencode

LatLon = tuple[float, float]
GOOGLE_MAX_WAYPOINTS = 9
GOOGLE_DIR = "https://www.google.com/maps/dir/"
OSM_DIR = "https://www.openstreetmap.org/directions"


def _coord(point: LatLon) -> str:
    return ",".join(f"{value:.6f}".rstrip("0").rstrip(".") for value in point)


def legs(points: Sequence[LatLon], max_waypoints: int = GOOGLE_MAX_WAYPOINTS) -> list[list[LatLon]]:
    """The points cut into legs of at most `max_waypoints` + 2 points, each starting where the last ended."""
    if len(points) < 2:
        return [list(points)] if points else []
    size = max_waypoints + 2
    out: list[list[LatLon]] = []
    start = 0
    while start < len(points) - 1:
        out.append(list(points[start : start + size]))
        start += size - 1
    return out


def google_leg_url(points: Sequence[LatLon]) -> str:
    """One Google Maps directions URL (origin, destination and ≤ 9 waypoints between), driving."""
    if len(points) < 2:
        raise ValueError("directions need at least two points")
    params = {
        "api": "1",
        "origin": _coord(points[0]),
        "destination": _coord(points[-1]),
    }
    if len(points) > 2:
        params["waypoints"] = "|".join(_coord(p) for p in points[1:-1])
    params["travelmode"] = "driving"
    return GOOGLE_DIR + "?" + urlencode(params, quote_via=quote, safe=",")


def google_urls(points: Sequence[LatLon]) -> list[str]:
    """Google Maps directions through every point, split into legs past the waypoint limit."""
    return [google_leg_url(leg) for leg in legs(points) if len(leg) >= 2]


def google_place_url(point: LatLon) -> str:
    """Directions from wherever the phone is to one place."""
    return (
        GOOGLE_DIR
        + "?"
        + urlencode(
            {"api": "1", "destination": _coord(point), "travelmode": "driving"}, quote_via=quote, safe=","
        )
    )


def osm_url(points: Sequence[LatLon]) -> str:
    """OpenStreetMap's directions (OSRM, by car) through the points."""
    route = ";".join(_coord(p) for p in points)
    return (
        OSM_DIR + "?" + urlencode({"engine": "fossgis_osrm_car", "route": route}, quote_via=quote, safe=",;")
    )


def geo_url(point: LatLon, label: str = "") -> str:
    """A `geo:` link (RFC 5870) that opens the phone's maps app, with an optional label."""
    coord = _coord(point)
    if not label:
        return f"geo:{coord}"
    return f"geo:{coord}?q={coord}({quote(label, safe='')})"
