"""The calendar's own moves of a fair: published → running at its start, running → closed a day after its
end; a draft or a fair still open for applications waits for its organizers."""

from __future__ import annotations

import datetime as dt

import pytest

from app.fairs.models import FairStatus
from app.fairs.rules import CLOSE_AFTER, calendar_moves

STARTS = dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.UTC)
ENDS = dt.datetime(2026, 12, 8, 14, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("status", "now", "moves"),
    [
        (FairStatus.PUBLISHED, STARTS - SECOND, []),
        (FairStatus.PUBLISHED, STARTS, [FairStatus.RUNNING]),
        (FairStatus.PUBLISHED, ENDS + CLOSE_AFTER - SECOND, [FairStatus.RUNNING]),
        (FairStatus.PUBLISHED, ENDS + CLOSE_AFTER, [FairStatus.RUNNING, FairStatus.CLOSED]),
        (FairStatus.RUNNING, ENDS, []),
        (FairStatus.RUNNING, ENDS + CLOSE_AFTER - SECOND, []),
        (FairStatus.RUNNING, ENDS + CLOSE_AFTER, [FairStatus.CLOSED]),
        (FairStatus.CLOSED, ENDS + 10 * CLOSE_AFTER, []),
        (FairStatus.DRAFT, ENDS + 10 * CLOSE_AFTER, []),
        (FairStatus.OPEN, ENDS + 10 * CLOSE_AFTER, []),
    ],
)
def test_the_calendar_moves(status: FairStatus, now: dt.datetime, moves: list[FairStatus]) -> None:
    assert calendar_moves(status, STARTS, ENDS, now) == moves


def test_a_closing_waits_a_day_after_the_end() -> None:
    assert dt.timedelta(days=1) == CLOSE_AFTER
