"""GeoJSON helpers of the map layers (app/tours/geojson.py): the bounding box a layer asks for, features,
and the content ETag."""

from __future__ import annotations

import json

import pytest

from app.errors import ValidationFailed
from app.tours import geojson


def test_a_bbox_is_four_numbers_west_south_east_north() -> None:
    assert geojson.parse_bbox("105.5,9.75,106.9,10.6") == geojson.BBox(105.5, 9.75, 106.9, 10.6)
    assert geojson.parse_bbox(" -180, -90 , 180, 90 ") == geojson.BBox(-180, -90, 180, 90)
    assert geojson.parse_bbox("106,10,106,10") == geojson.BBox(106, 10, 106, 10)  # a point is an area
    assert geojson.parse_bbox("") is None and geojson.parse_bbox(None) is None


@pytest.mark.parametrize(
    "raw",
    [
        "1,2,3",
        "1,2,3,4,5",
        "a,b,c,d",
        "nan,0,1,1",
        "inf,0,1,1",
        "1e2,0,1,1",
        "1_0,0,20,1",
        "0x1,0,1,1",
        "106,10,105,11",  # west past east
        "105,11,106,10",  # south past north
        "-181,0,0,1",
        "0,-91,1,0",
        "0,0,181,1",
        "0,0,1,91",
        ",,,",
        "1," * 200 + "1",
    ],
)
def test_a_bad_bbox_is_refused_with_a_clear_message(raw: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        geojson.parse_bbox(raw)
    assert err.value.status_code == 422
    assert "bbox" in err.value.fields


def test_a_point_is_longitude_first_to_six_decimals() -> None:
    feature = geojson.point(7, 106.12345678, 10.98765432, {"name": "<b>x</b>"})
    assert feature == {
        "type": "Feature",
        "id": 7,
        "geometry": {"type": "Point", "coordinates": [106.123457, 10.987654]},
        "properties": {"name": "<b>x</b>"},
    }
    body = geojson.encode(geojson.feature_collection([feature], truncated=True))
    assert json.loads(body) == {"type": "FeatureCollection", "features": [feature], "truncated": True}


def test_the_etag_follows_the_content_and_matches_like_rfc_9110() -> None:
    tag = geojson.etag_of(b"{}")
    assert tag.startswith('"') and tag.endswith('"') and tag == geojson.etag_of(b"{}")
    assert tag != geojson.etag_of(b"{ }")
    assert geojson.etag_matches(tag, tag)
    assert geojson.etag_matches(f'"other", W/{tag}', tag)
    assert geojson.etag_matches("*", tag)
    assert not geojson.etag_matches('"other"', tag)
    assert not geojson.etag_matches(None, tag) and not geojson.etag_matches("", tag)
