"""Opening hours: validating a weekly schedule, open now, the next change, today's hours, exception days
(closed for Tết, other hours) and the edges (the closing minute, midnight, overnight periods)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.tours import hours
from app.tours.hours import VN_TZ, DayException, HoursInvalid

UTC = dt.UTC
WEEKDAYS = {day: [["08:00", "12:00"], ["13:30", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")}
SCHEDULE = {**WEEKDAYS, "sat": [["08:00", "12:00"]], "sun": []}


def vn(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN_TZ)


# 2026-11-23 is a Monday.
MONDAY = dt.date(2026, 11, 23)


def codes(raw: object) -> list[tuple[str, str]]:
    with pytest.raises(HoursInvalid) as caught:
        hours.validate_schedule(raw)
    return [(p.code, p.day) for p in caught.value.problems]


def test_a_valid_schedule_is_stored_with_every_day_sorted_and_padded() -> None:
    clean = hours.validate_schedule({"mon": [["13:30", "17:30"], ["8:00", "12:00"]]})
    assert clean["mon"] == [["08:00", "12:00"], ["13:30", "17:30"]]
    assert clean["sun"] == [] and set(clean) == set(hours.DAYS)


@pytest.mark.parametrize("bad", ["25:00", "12:60", "noon", "", "24:30", 800, None])
def test_a_time_that_is_not_hh_mm_is_refused(bad: object) -> None:
    assert ("time", "mon") in codes({"mon": [[bad, "17:00"]]})


def test_an_interval_that_opens_and_closes_at_the_same_minute_is_refused() -> None:
    assert codes({"tue": [["09:00", "09:00"]]}) == [("empty", "tue")]


def test_overlapping_intervals_in_a_day_are_refused() -> None:
    assert codes({"wed": [["08:00", "12:00"], ["11:00", "14:00"]]}) == [("overlap", "wed")]


def test_an_overnight_interval_that_runs_into_the_next_days_hours_is_refused() -> None:
    assert ("overlap", "sat") in codes({"fri": [["18:00", "02:00"]], "sat": [["01:00", "09:00"]]})
    # Sunday night runs into Monday morning (the week wraps).
    assert ("overlap", "mon") in codes({"sun": [["20:00", "03:00"]], "mon": [["02:00", "09:00"]]})


def test_touching_intervals_are_fine_and_unknown_keys_or_shapes_are_refused() -> None:
    hours.validate_schedule({"mon": [["08:00", "12:00"], ["12:00", "17:00"]]})
    assert ("day", "funday") in codes({"funday": []})
    assert ("shape", "mon") in codes({"mon": [["08:00"]]})
    assert codes([1, 2]) == [("shape", "")]
    assert ("too_many", "mon") in codes({"mon": [[f"{h:02d}:00", f"{h:02d}:30"] for h in range(8)]})


def test_open_and_closed_at_the_edges_of_a_period() -> None:
    assert not hours.is_open(SCHEDULE, [], vn(2026, 11, 23, 7, 59))
    assert hours.is_open(SCHEDULE, [], vn(2026, 11, 23, 8, 0))  # opening minute: open
    assert hours.is_open(SCHEDULE, [], vn(2026, 11, 23, 11, 59))
    assert not hours.is_open(SCHEDULE, [], vn(2026, 11, 23, 12, 0))  # closing minute: closed
    assert not hours.is_open(SCHEDULE, [], vn(2026, 11, 29, 10, 0))  # Sunday


def test_the_moment_is_read_on_vietnams_clock_whatever_its_time_zone() -> None:
    # 01:30 UTC is 08:30 in Vietnam.
    assert hours.is_open(SCHEDULE, [], dt.datetime(2026, 11, 23, 1, 30, tzinfo=UTC))
    assert not hours.is_open(SCHEDULE, [], dt.datetime(2026, 11, 23, 0, 30, tzinfo=UTC))
    with pytest.raises(ValueError):
        hours.is_open(SCHEDULE, [], dt.datetime(2026, 11, 23, 8, 30))


def test_an_overnight_period_stays_open_past_midnight_and_closes_on_time() -> None:
    night = hours.validate_schedule({"fri": [["18:00", "02:00"]]})
    friday, saturday = dt.date(2026, 11, 27), dt.date(2026, 11, 28)
    assert hours.is_open(night, [], vn(2026, 11, 27, 23, 59))
    assert hours.is_open(night, [], vn(2026, 11, 28, 1, 59))
    assert not hours.is_open(night, [], vn(2026, 11, 28, 2, 0))
    status = hours.next_change(night, [], vn(2026, 11, 27, 23, 0))
    assert status.open_now and status.changes_at == vn(2026, 11, 28, 2, 0) and not status.today
    assert hours.today_hours(night, [], friday).intervals == [("18:00", "02:00")]
    assert hours.today_hours(night, [], saturday).closed


def test_midnight_written_as_24_00_or_00_00_closes_the_day() -> None:
    clean = hours.validate_schedule({"mon": [["16:00", "24:00"]], "tue": [["16:00", "00:00"]]})
    assert clean["mon"] == clean["tue"] == [["16:00", "24:00"]]
    assert hours.is_open(clean, [], vn(2026, 11, 23, 23, 59))
    assert not hours.is_open(clean, [], vn(2026, 11, 24, 0, 0))


def test_next_change_says_when_it_closes_or_opens() -> None:
    open_now = hours.next_change(SCHEDULE, [], vn(2026, 11, 23, 14, 0))
    assert open_now == hours.Status(True, vn(2026, 11, 23, 17, 30), True)
    lunch = hours.next_change(SCHEDULE, [], vn(2026, 11, 23, 12, 15))
    assert lunch == hours.Status(False, vn(2026, 11, 23, 13, 30), True)
    saturday_noon = hours.next_change(SCHEDULE, [], vn(2026, 11, 28, 12, 0))
    assert saturday_noon == hours.Status(False, vn(2026, 11, 30, 8, 0), False)  # Monday


def test_periods_that_touch_read_as_one() -> None:
    split = hours.validate_schedule({"mon": [["08:00", "12:00"], ["12:00", "17:00"]]})
    assert hours.next_change(split, [], vn(2026, 11, 23, 11, 0)).changes_at == vn(2026, 11, 23, 17, 0)


def test_closed_for_tet_overrides_the_weekly_hours() -> None:
    tet = [DayException(dt.date(2026, 2, 17), closed=True, note="Tết"), DayException(dt.date(2026, 2, 18))]
    # 17/02/2026 is a Tuesday.
    assert not hours.is_open(SCHEDULE, tet, vn(2026, 2, 17, 9, 0))
    status = hours.next_change(SCHEDULE, tet, vn(2026, 2, 17, 9, 0))
    assert status == hours.Status(False, vn(2026, 2, 19, 8, 0), False)
    today = hours.today_hours(SCHEDULE, tet, dt.date(2026, 2, 17))
    assert today.closed and today.exception and today.note == "Tết"


def test_an_exception_day_with_other_hours() -> None:
    short = [DayException(MONDAY, closed=False, hours=[["09:00", "11:00"]], note="Họp")]
    assert not hours.is_open(SCHEDULE, short, vn(2026, 11, 23, 8, 30))
    assert hours.is_open(SCHEDULE, short, vn(2026, 11, 23, 10, 0))
    assert not hours.is_open(SCHEDULE, short, vn(2026, 11, 23, 14, 0))
    assert hours.today_hours(SCHEDULE, short, MONDAY).intervals == [("09:00", "11:00")]
    assert hours.is_open(SCHEDULE, short, vn(2026, 11, 24, 14, 0))  # the next day is ordinary
    # A Sunday opened for a fair.
    sunday = [DayException(dt.date(2026, 11, 29), closed=False, hours=[["07:00", "20:00"]])]
    assert hours.is_open(SCHEDULE, sunday, vn(2026, 11, 29, 19, 59))


def test_a_place_with_no_hours_is_closed_with_no_opening_in_sight() -> None:
    assert hours.next_change({}, [], vn(2026, 11, 23, 10, 0)) == hours.Status(False, None)
    assert not hours.has_hours({}) and hours.has_hours(SCHEDULE)


def test_a_place_open_around_the_clock_never_closes() -> None:
    always = hours.validate_schedule({day: [["00:00", "24:00"]] for day in hours.DAYS})
    status = hours.next_change(always, [], vn(2026, 11, 23, 3, 0))
    assert status.open_now and status.changes_at is None


def test_an_exception_days_hours_are_validated() -> None:
    assert hours.validate_day([["17:00", "19:00"], ["09:00", "11:00"]]) == [
        ["09:00", "11:00"],
        ["17:00", "19:00"],
    ]
    with pytest.raises(HoursInvalid):
        hours.validate_day([["09:00", "12:00"], ["11:00", "13:00"]])
    with pytest.raises(HoursInvalid):
        hours.validate_day([["9h", "12:00"]])


def test_the_week_in_day_order() -> None:
    rows = hours.week(SCHEDULE)
    assert [r.key for r in rows] == list(hours.DAYS)
    assert rows[5].intervals == [("08:00", "12:00")] and rows[6].intervals == []
