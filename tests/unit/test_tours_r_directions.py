"""Directions hand-off URLs: Google Maps with waypoints split into legs, OpenStreetMap, geo: links."""

from __future__ import annotations

import itertools
from urllib.parse import parse_qs, urlsplit

import pytest

from app.tours import directions

POINTS = [
    (10.776, 106.7),
    (10.54, 106.41),
    (10.36, 106.36),
    (10.24, 106.38),
    (10.25, 105.97),
    (10.03, 105.78),
]


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_google_url_has_origin_destination_and_waypoints() -> None:
    [url] = directions.google_urls(POINTS)
    assert url.startswith(
        "https://www.google.com/maps/dir/?api=1&origin=10.776,106.7&destination=10.03,105.78"
    )
    assert "waypoints=10.54,106.41%7C10.36,106.36%7C10.24,106.38%7C10.25,105.97" in url
    q = query(url)
    assert q["travelmode"] == "driving"
    assert q["waypoints"].split("|") == ["10.54,106.41", "10.36,106.36", "10.24,106.38", "10.25,105.97"]


def test_two_points_have_no_waypoints() -> None:
    [url] = directions.google_urls(POINTS[:2])
    assert "waypoints" not in url
    assert directions.google_urls(POINTS[:1]) == []
    assert directions.google_urls([]) == []
    with pytest.raises(ValueError):
        directions.google_leg_url(POINTS[:1])


def test_more_than_nine_waypoints_split_into_legs_that_chain() -> None:
    points = [(10.0 + i / 100, 106.0 + i / 100) for i in range(25)]
    legs = directions.legs(points)
    assert [len(leg) for leg in legs] == [11, 11, 5]
    for before, after in itertools.pairwise(legs):
        assert after[0] == before[-1]
    urls = directions.google_urls(points)
    assert len(urls) == 3
    for url, leg in zip(urls, legs, strict=True):
        q = query(url)
        assert len(q.get("waypoints", "").split("|")) <= directions.GOOGLE_MAX_WAYPOINTS
        assert q["origin"] == f"{leg[0][0]:g},{leg[0][1]:g}"
        assert q["destination"] == f"{leg[-1][0]:g},{leg[-1][1]:g}"
    assert query(urls[1])["origin"] == query(urls[0])["destination"]
    # exactly 11 points: one leg with 9 waypoints
    assert len(directions.google_urls(points[:11])) == 1
    assert len(directions.google_urls(points[:12])) == 2


def test_osm_and_geo_links() -> None:
    url = directions.osm_url(POINTS[:3])
    assert url == (
        "https://www.openstreetmap.org/directions?engine=fossgis_osrm_car&route=10.776,106.7;10.54,106.41;10.36,106.36"
    )
    assert directions.geo_url((10.24, 106.38)) == "geo:10.24,106.38"
    labelled = directions.geo_url((10.24, 106.38), "Kẹo dừa & <Bến Tre>")
    assert labelled.startswith("geo:10.24,106.38?q=10.24,106.38(")
    assert "<" not in labelled and "&" not in labelled.split("?", 1)[1] and " " not in labelled
    assert directions.google_place_url((10.24, 106.38)).endswith(
        "destination=10.24,106.38&travelmode=driving"
    )
