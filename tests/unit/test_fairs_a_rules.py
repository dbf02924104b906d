"""Pure parts of the fairs slice A: the status machine and its buttons, slugs, local times in the fair's
time zone, the checks on a fair, its call and its sessions, the open call, months and directions."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from app.fairs import rules, services
from app.fairs.models import Fair, FairStatus

UTC = dt.UTC
ORDER = [FairStatus.DRAFT, FairStatus.OPEN, FairStatus.PUBLISHED, FairStatus.RUNNING, FairStatus.CLOSED]
LEGAL = {
    (FairStatus.DRAFT, FairStatus.OPEN),
    (FairStatus.DRAFT, FairStatus.PUBLISHED),
    (FairStatus.OPEN, FairStatus.PUBLISHED),
    (FairStatus.OPEN, FairStatus.DRAFT),
    (FairStatus.PUBLISHED, FairStatus.RUNNING),
    (FairStatus.PUBLISHED, FairStatus.OPEN),
    (FairStatus.RUNNING, FairStatus.CLOSED),
}


def good_fair(**changes: Any) -> dict[str, Any]:
    raw = {
        "name_vi": "Hội chợ OCOP Đồng Tháp 2026",
        "name_en": "Dong Thap OCOP Fair 2026",
        "province_code": "82",
        "ward_code": "",
        "latitude": "10.46",
        "longitude": "105.64",
        "starts_at": "2026-11-22T08:00",
        "ends_at": "2026-11-26T21:00",
    }
    raw.update(changes)
    return raw


def a_fair(**changes: Any) -> Fair:
    values: dict[str, Any] = {
        "status": FairStatus.OPEN,
        "timezone": "Asia/Ho_Chi_Minh",
        "starts_at": dt.datetime(2026, 11, 22, 1, 0, tzinfo=UTC),
        "ends_at": dt.datetime(2026, 11, 26, 14, 0, tzinfo=UTC),
        "call_deadline": None,
    }
    values.update(changes)
    return Fair(**values)


# --- the status machine ---


@pytest.mark.parametrize(("current", "wanted"), list(itertools.product(ORDER, ORDER)))
def test_only_the_planned_moves_are_allowed(current: FairStatus, wanted: FairStatus) -> None:
    if (current, wanted) in LEGAL:
        rules.check_fair_move(current, wanted)
    else:
        with pytest.raises(rules.IllegalMove):
            rules.check_fair_move(current, wanted)


def test_a_closed_or_running_fair_never_goes_back() -> None:
    assert services.allowed_moves(FairStatus.CLOSED) == []
    assert services.allowed_moves(FairStatus.RUNNING) == [(FairStatus.CLOSED, True)]


def test_buttons_follow_the_fairs_life_and_mark_steps_back() -> None:
    assert services.allowed_moves(FairStatus.DRAFT) == [(FairStatus.OPEN, True), (FairStatus.PUBLISHED, True)]
    assert services.allowed_moves(FairStatus.PUBLISHED) == [
        (FairStatus.OPEN, False),
        (FairStatus.RUNNING, True),
    ]
    assert services.allowed_moves(FairStatus.OPEN) == [
        (FairStatus.DRAFT, False),
        (FairStatus.PUBLISHED, True),
    ]


# --- slugs ---


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Hội chợ OCOP Đồng Tháp 2026", "hoi-cho-ocop-dong-thap-2026"),
        ("  Phiên chợ   Tết — Bến Tre!! ", "phien-cho-tet-ben-tre"),
        ("ĐẶC SẢN Ơ Ư", "dac-san-o-u"),
        ("2026", "hoi-cho-2026"),
        ("!!!", "hoi-cho"),
    ],
)
def test_slug_from_the_vietnamese_name(name: str, slug: str) -> None:
    assert services.slugify(name) == slug


def test_a_long_name_makes_a_slug_cut_at_a_word() -> None:
    slug = services.slugify("Hội chợ " * 40)
    assert len(slug) <= services.SLUG_MAX
    assert not slug.endswith("-")
    assert all(word in {"hoi", "cho"} for word in slug.split("-"))  # whole words only


# --- local times ---


def test_local_times_are_read_in_the_fairs_zone_and_stored_in_utc() -> None:
    assert services.parse_local("2026-11-22T08:00", "Asia/Ho_Chi_Minh") == (
        dt.datetime(2026, 11, 22, 1, 0, tzinfo=UTC),
        True,
    )
    assert services.parse_local("22/11/2026 08:00", "Asia/Ho_Chi_Minh")[0] == dt.datetime(
        2026, 11, 22, 1, 0, tzinfo=UTC
    )
    assert services.parse_local("", "Asia/Ho_Chi_Minh") == (None, True)
    for bad in ("22/11/2026", "tomorrow", "2026-13-01T08:00", "1899-01-01T08:00", "2026-11-22T25:00"):
        assert services.parse_local(bad, "Asia/Ho_Chi_Minh") == (None, False), bad


def test_stored_times_show_on_the_fairs_clock() -> None:
    stored = dt.datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    assert services.local_input(stored, "Asia/Ho_Chi_Minh") == "2026-11-22T08:00"
    assert services.local_input(stored.replace(tzinfo=None), None) == "2026-11-22T08:00"
    assert services.local_input(None, "Asia/Ho_Chi_Minh") == ""


# --- a fair's details ---


def test_a_good_fair_is_cleaned() -> None:
    fields, errors = services.clean_fair(good_fair())
    assert errors == {}
    assert fields is not None
    assert fields.starts_at == dt.datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    assert fields.ends_at == dt.datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    assert (fields.latitude, fields.longitude) == (10.46, 105.64)
    assert fields.province_code == 82


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name_vi": "  "}, "name_vi"),
        ({"name_vi": "x" * 201}, "name_vi"),
        ({"province_code": ""}, "province_code"),
        ({"province_code": "999"}, "province_code"),
        ({"ward_code": "abc"}, "ward_code"),
        ({"ward_code": "1"}, "ward_code"),  # a ward of Hà Nội, not of Đồng Tháp
        ({"latitude": "mười"}, "latitude"),
        ({"latitude": "7.9"}, "latitude"),
        ({"latitude": "23.6"}, "latitude"),
        ({"longitude": "101.9"}, "longitude"),
        ({"longitude": "110.1"}, "longitude"),
        ({"longitude": "nan"}, "longitude"),
        ({"latitude": ""}, "latitude"),  # both or neither
        ({"starts_at": ""}, "starts_at"),
        ({"starts_at": "hôm nay"}, "starts_at"),
        ({"ends_at": "2026-11-22T08:00"}, "ends_at"),  # not after the start
        ({"ends_at": "2026-11-21T08:00"}, "ends_at"),
    ],
)
def test_bad_fair_input_is_refused_next_to_its_field(changes: dict[str, Any], field: str) -> None:
    fields, errors = services.clean_fair(good_fair(**changes))
    assert fields is None
    assert field in errors


def test_bounds_are_inclusive_and_commas_are_decimal_points() -> None:
    for lat, lon in (("8.0", "102.0"), ("23.5", "110.0"), ("10,46", "105,64")):
        fields, errors = services.clean_fair(good_fair(latitude=lat, longitude=lon))
        assert errors == {}, (lat, lon)
    fields, errors = services.clean_fair(good_fair(latitude="", longitude=""))
    assert errors == {} and fields is not None and fields.latitude is None


# --- the call and the programme ---


def test_call_settings_are_checked() -> None:
    fair = a_fair()
    fields, errors = services.clean_call(
        {
            "call_deadline": "2026-11-10T17:00",
            "booths_per_producer": "2",
            "hold_days": "5",
            "self_select": "1",
        },
        fair,
    )
    assert errors == {} and fields is not None
    assert fields.call_deadline == dt.datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
    assert fields.self_select is True
    _fields, errors = services.clean_call(
        {"call_deadline": "2026-12-01T08:00", "booths_per_producer": "0", "hold_days": "x"}, fair
    )
    assert set(errors) == {"call_deadline", "booths_per_producer", "hold_days"}


def test_a_session_must_fall_within_the_fair() -> None:
    fair = a_fair()
    good = {
        "kind": "tasting",
        "title_vi": "Thử mắm",
        "starts_at": "2026-11-22T09:00",
        "ends_at": "2026-11-22T10:00",
    }
    fields, errors = services.clean_session(good, fair)
    assert errors == {} and fields is not None
    assert fields.starts_at == dt.datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    for changes, field in (
        ({"starts_at": "2026-11-22T07:00"}, "starts_at"),  # before the fair opens
        ({"ends_at": "2026-11-27T10:00"}, "starts_at"),  # after it ends
        ({"ends_at": "2026-11-22T09:00"}, "ends_at"),
        ({"kind": "party"}, "kind"),
        ({"title_vi": ""}, "title_vi"),
        ({"starts_at": "9h"}, "starts_at"),
    ):
        _fields, errors = services.clean_session({**good, **changes}, fair)
        assert field in errors, changes


def test_the_call_is_open_while_open_and_before_the_deadline() -> None:
    before = dt.datetime(2026, 11, 1, tzinfo=UTC)
    deadline = dt.datetime(2026, 11, 10, tzinfo=UTC)
    assert services.call_is_open(a_fair(), before)
    assert services.call_is_open(a_fair(call_deadline=deadline), before)
    assert not services.call_is_open(a_fair(call_deadline=deadline), deadline)
    assert not services.call_is_open(a_fair(status=FairStatus.PUBLISHED), before)
    assert not services.call_is_open(a_fair(status=FairStatus.DRAFT), before)
    assert not services.call_is_open(a_fair(), dt.datetime(2026, 11, 27, tzinfo=UTC))


# --- months and directions ---


def test_a_month_starts_at_midnight_vietnam_time() -> None:
    start, end = services.month_range(2026, 12)
    assert start == dt.datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert end == dt.datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    assert services.parse_month("2026-12") == (2026, 12)
    assert services.parse_month("2026-13") is None
    assert services.parse_month("12/2026") is None


def test_month_choices_look_ahead_or_back() -> None:
    today = dt.date(2026, 11, 26)
    ahead = services.month_choices(today, past=False, count=3)
    assert ahead == [("2026-11", "11/2026"), ("2026-12", "12/2026"), ("2027-01", "01/2027")]
    back = services.month_choices(today, past=True, count=2)
    assert back == [("2026-11", "11/2026"), ("2026-10", "10/2026")]


def test_directions_open_google_maps_and_openstreetmap() -> None:
    links = services.directions(a_fair(latitude=10.46, longitude=105.64))
    assert links["google"] == "https://www.google.com/maps/dir/?api=1&destination=10.460000%2C105.640000"
    assert "mlat=10.460000" in links["osm"] and "mlon=105.640000" in links["osm"]
    by_name = services.directions(a_fair(venue_name="Nhà Văn hóa", address="", province_code=82))
    assert "destination=Nh%C3%A0+V%C4%83n+h%C3%B3a" in by_name["google"]
    assert services.directions(a_fair(venue_name="", address="", province_code=None)) == {}
