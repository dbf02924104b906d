"""GeoJSON for the map layers the browser loads (`static/js/map-layer.js`): the bounding box a layer asks for,
points and feature collections, and a response cached by its content (ETag, 304 on If-None-Match).

Every map endpoint uses these (`/api/v1/fairs.geojson` now, `/api/v1/places.geojson` with the tours), so a
layer reads the same shape everywhere: a FeatureCollection of Points whose properties hold plain text (the
browser puts it on screen with `textContent`, never as HTML), plus `truncated` when a cap cut the list.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request, Response

from app.errors import ValidationFailed
from app.i18n import gettext as _

MEDIA_TYPE = "application/geo+json"
# Kept by the browser (and shared caches) but checked again each time: a 304 costs a few bytes, and a fair
# that has just opened shows at once. Names come in the visitor's language, so the body varies with it.
CACHE_CONTROL = "public, no-cache"
VARY = "Accept-Language, Cookie"

_NUMBER = re.compile(r"-?\d{1,3}(\.\d{1,12})?")


@dataclass(frozen=True)
class BBox:
    """west, south, east, north in degrees (WGS 84), as `bbox=` in a query string and in GeoJSON."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


def bbox_error() -> ValidationFailed:
    message = _(
        "The map area (bbox) must be four numbers west,south,east,north: longitudes from -180 to 180, "
        "latitudes from -90 to 90, west not past east and south not past north."
    )
    return ValidationFailed(message, fields={"bbox": message})


def parse_bbox(raw: str | None) -> BBox | None:
    """`106.1,9.8,106.9,10.6` → BBox; empty → None (the whole map). Anything else is refused (422)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    parts = [part.strip() for part in raw.split(",")]
    if len(raw) > 120 or len(parts) != 4 or not all(_NUMBER.fullmatch(part) for part in parts):
        raise bbox_error()
    west, south, east, north = (float(part) for part in parts)
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise bbox_error()
    return BBox(west, south, east, north)


def point(feature_id: int | str, lon: float, lat: float, properties: Mapping[str, Any]) -> dict[str, Any]:
    """A Point feature; coordinates to 6 decimals (≈ 10 cm), longitude first as GeoJSON wants."""
    return {
        "type": "Feature",
        "id": feature_id,
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": dict(properties),
    }


def feature_collection(features: Iterable[Mapping[str, Any]], *, truncated: bool = False) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features), "truncated": truncated}


def encode(collection: Mapping[str, Any]) -> bytes:
    return msgspec.json.encode(collection)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110's weak comparison: `*`, or any listed tag equal to ours once a `W/` prefix is dropped."""
    if not if_none_match:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)


def cached_response(request: Request[Any, Any, Any], body: bytes) -> Response[bytes]:
    """200 with the body, or 304 without it when the client already holds this version."""
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": VARY}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(content=b"", status_code=304, headers=headers, media_type=MEDIA_TYPE)
    return Response(content=body, status_code=200, headers=headers, media_type=MEDIA_TYPE)
