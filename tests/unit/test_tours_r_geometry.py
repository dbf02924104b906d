"""Route geometry on real Mekong delta coordinates: length, the corridor search (distance off and km along, in
route order), stop ordering (nearest neighbour + 2-opt), duration, GPX parsing and export."""

from __future__ import annotations

import itertools
import math
import random

import gpxpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import ValidationFailed
from app.tours import geometry

# (lon, lat): HCMC → Tân An → Mỹ Tho → Bến Tre → Vĩnh Long → Cần Thơ
HCMC = (106.700, 10.776)
TAN_AN = (106.41, 10.54)
MY_THO = (106.36, 10.36)
BEN_TRE = (106.38, 10.24)
VINH_LONG = (105.97, 10.25)
CAN_THO = (105.78, 10.03)
ROUTE = [HCMC, TAN_AN, MY_THO, BEN_TRE, VINH_LONG, CAN_THO]
KM_PER_DEG_LAT = 110.6


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_length_matches_great_circle_distances() -> None:
    expected = sum(haversine_km(a, b) for a, b in itertools.pairwise(ROUTE))
    assert geometry.length_km(ROUTE) == pytest.approx(expected, rel=0.003)
    assert 140 < geometry.length_km(ROUTE) < 170
    assert geometry.length_km([HCMC]) == 0.0
    assert geometry.length_km([]) == 0.0


def test_a_place_two_km_off_is_found_with_its_km_along() -> None:
    # Due east of Bến Tre: the Mỹ Tho → Bến Tre → Vĩnh Long legs run roughly north–south/east–west here,
    # so a point 2 km north of the Bến Tre–Vĩnh Long leg's midpoint is ≈ 2 km off.
    mid = ((BEN_TRE[0] + VINH_LONG[0]) / 2, (BEN_TRE[1] + VINH_LONG[1]) / 2)
    two_km_north = (mid[0], mid[1] + 2 / KM_PER_DEG_LAT)
    found = geometry.corridor(ROUTE, [(7, *two_km_north)], within_km=5)
    assert len(found) == 1
    assert found[0].place_id == 7
    assert found[0].off_km == pytest.approx(2.0, abs=0.1)
    before = geometry.length_km(ROUTE[:4])
    half_leg = geometry.length_km([BEN_TRE, VINH_LONG]) / 2
    assert found[0].at_km == pytest.approx(before + half_leg, abs=1.0)


def test_a_place_eight_km_off_is_not_found_at_five_but_is_at_ten() -> None:
    mid = ((BEN_TRE[0] + VINH_LONG[0]) / 2, (BEN_TRE[1] + VINH_LONG[1]) / 2)
    eight_km_north = (mid[0], mid[1] + 8 / KM_PER_DEG_LAT)
    assert geometry.corridor(ROUTE, [(1, *eight_km_north)], within_km=5) == []
    found = geometry.corridor(ROUTE, [(1, *eight_km_north)], within_km=10)
    assert [a.place_id for a in found] == [1]
    assert found[0].off_km == pytest.approx(8.0, abs=0.3)


def test_corridor_is_in_route_order() -> None:
    # Shops near Cần Thơ, Mỹ Tho, HCMC and Vĩnh Long, given out of order; one far away in Hà Nội.
    places = [
        (1, CAN_THO[0] + 0.01, CAN_THO[1]),
        (2, MY_THO[0], MY_THO[1] + 0.01),
        (3, 105.85, 21.03),
        (4, HCMC[0] + 0.005, HCMC[1]),
        (5, VINH_LONG[0], VINH_LONG[1] - 0.01),
    ]
    found = geometry.corridor(ROUTE, places, within_km=5)
    assert [a.place_id for a in found] == [4, 2, 5, 1]
    kms = [a.at_km for a in found]
    assert kms == sorted(kms)
    assert found[0].at_km < 2
    assert found[-1].at_km == pytest.approx(geometry.length_km(ROUTE), abs=1.5)


def test_corridor_of_nothing_is_empty() -> None:
    assert geometry.corridor([], [(1, *HCMC)]) == []
    assert geometry.corridor(ROUTE, []) == []
    # a one-stop route: distance to the point itself
    found = geometry.corridor([HCMC], [(1, HCMC[0], HCMC[1] + 1 / KM_PER_DEG_LAT)])
    assert found[0].off_km == pytest.approx(1.0, abs=0.05)
    assert found[0].at_km == 0


def test_optimise_beats_a_shuffled_order_and_keeps_the_first() -> None:
    shuffled = [HCMC, CAN_THO, TAN_AN, VINH_LONG, MY_THO, BEN_TRE]
    order, km = geometry.optimise_order(shuffled)
    assert order[0] == 0
    assert sorted(order) == list(range(len(shuffled)))
    assert km <= geometry.length_km(shuffled)
    assert km == pytest.approx(geometry.length_km([shuffled[i] for i in order]), rel=1e-6)
    # The sensible trip: HCMC, Tân An, Mỹ Tho, Bến Tre, Vĩnh Long, Cần Thơ.
    assert [shuffled[i] for i in order] == ROUTE


def test_optimise_never_lengthens_a_good_order() -> None:
    _order, km = geometry.optimise_order(ROUTE)
    assert km <= geometry.length_km(ROUTE) + 1e-9
    assert geometry.optimise_order([HCMC, CAN_THO]) == ([0, 1], geometry.length_km([HCMC, CAN_THO]))
    assert geometry.optimise_order([]) == ([], 0.0)


coords = st.tuples(st.floats(min_value=104.0, max_value=108.0), st.floats(min_value=9.0, max_value=12.0))


@settings(max_examples=60, deadline=None)
@given(st.lists(coords, min_size=3, max_size=12))
def test_two_opt_is_never_longer_than_nearest_neighbour(points: list[tuple[float, float]]) -> None:
    dist = geometry._distance_matrix(points)
    nn = geometry.nearest_neighbour(points, dist)
    improved = geometry.two_opt(nn, dist)
    assert sorted(improved) == list(range(len(points)))
    assert improved[0] == 0
    assert geometry._path_length(improved, dist) <= geometry._path_length(nn, dist) + 1e-6
    _order, km = geometry.optimise_order(points)
    assert km * 1000 <= geometry._path_length(list(range(len(points))), dist) + 1e-6


def test_duration_uses_forty_km_an_hour_plus_the_stops() -> None:
    assert geometry.AVERAGE_SPEED_KMH == 40
    assert geometry.duration_min(80, [30, 45]) == 120 + 75
    assert geometry.duration_min(0, 0) == 0
    assert geometry.duration_min(10.0) == 15


# --- GPX ---


def gpx_text(points: list[tuple[float, float]], *, as_route: bool = False) -> str:
    doc = gpxpy.gpx.GPX()
    if as_route:
        route = gpxpy.gpx.GPXRoute()
        route.points = [gpxpy.gpx.GPXRoutePoint(latitude=lat, longitude=lon) for lon, lat in points]
        doc.routes.append(route)
    else:
        track = gpxpy.gpx.GPXTrack()
        seg = gpxpy.gpx.GPXTrackSegment()
        seg.points = [gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon) for lon, lat in points]
        track.segments.append(seg)
        doc.tracks.append(track)
    return str(doc.to_xml())


def test_parse_gpx_reads_a_track_and_a_route() -> None:
    track = geometry.parse_gpx(gpx_text(ROUTE).encode())
    assert track == [[lon, lat] for lon, lat in ROUTE]
    route = geometry.parse_gpx(gpx_text(ROUTE, as_route=True))
    assert route == track


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not xml at all",
        b"<gpx><trk><trkseg><trkpt lat='10.7' lon='106.7'>",
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaa">]><gpx>&a;</gpx>',
        b"\x89PNG\r\n\x1a\n binary",
    ],
)
def test_parse_gpx_refuses_a_broken_file(content: bytes) -> None:
    with pytest.raises(ValidationFailed) as err:
        geometry.parse_gpx(content)
    assert "gpx" in err.value.fields


def test_parse_gpx_refuses_an_empty_track_and_points_outside_vietnam(english: None) -> None:
    with pytest.raises(ValidationFailed, match="no track"):
        geometry.parse_gpx(gpx_text([]))
    with pytest.raises(ValidationFailed, match="no track"):
        geometry.parse_gpx(gpx_text([HCMC]))
    with pytest.raises(ValidationFailed, match="leaves Vietnam"):
        geometry.parse_gpx(gpx_text([HCMC, (100.5, 13.75)]))  # Bangkok


def test_parse_gpx_refuses_too_many_points_and_simplifies_a_long_track(english: None) -> None:
    rng = random.Random(5)
    too_many = [(106.0 + i * 1e-5, 10.5 + rng.random() * 1e-4) for i in range(geometry.MAX_GPX_POINTS + 1)]
    with pytest.raises(ValidationFailed, match="too many points"):
        geometry.parse_gpx(gpx_text(too_many))
    # 5,000 points along a gently winding road: kept small, ends kept, shape within a few metres.
    winding = [(106.0 + i * 1e-4, 10.5 + 0.01 * math.sin(i / 200)) for i in range(5000)]
    track = geometry.parse_gpx(gpx_text(winding))
    assert 2 <= len(track) <= geometry.KEEP_TRACK_POINTS
    assert track[0] == [106.0, 10.5]
    assert track[-1] == pytest.approx([winding[-1][0], winding[-1][1]], abs=1e-6)
    assert geometry.length_km(track) == pytest.approx(geometry.length_km(winding), rel=0.01)


def test_export_gpx_round_trips_stops_and_track() -> None:
    text = geometry.export_gpx(
        "Sài Gòn – Cần Thơ",
        "Qua <Mỹ Tho> & Bến Tre",
        [[lon, lat] for lon, lat in ROUTE],
        [("Chợ <1>", *HCMC)],
    )
    parsed = gpxpy.parse(text)
    assert parsed.name == "Sài Gòn – Cần Thơ"
    assert parsed.waypoints[0].name == "Chợ <1>"
    assert (parsed.routes[0].points[0].longitude, parsed.routes[0].points[0].latitude) == HCMC
    assert len(parsed.tracks[0].segments[0].points) == len(ROUTE)
    assert "<Mỹ Tho>" not in text  # escaped
    no_track = gpxpy.parse(geometry.export_gpx("x", "", [], [("a", *HCMC), ("b", *CAN_THO)]))
    assert no_track.tracks == [] and len(no_track.routes[0].points) == 2
