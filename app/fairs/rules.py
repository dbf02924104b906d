"""Pure rules of the fairs domain: which status moves are allowed, for a fair and for an application."""

from __future__ import annotations

import datetime as dt

from app.accounts.rules import CurrentUser
from app.fairs.models import ApplicationStatus, FairStatus

FAIR_MOVES: dict[FairStatus, frozenset[FairStatus]] = {
    FairStatus.DRAFT: frozenset({FairStatus.OPEN, FairStatus.PUBLISHED}),
    FairStatus.OPEN: frozenset({FairStatus.PUBLISHED, FairStatus.DRAFT}),
    FairStatus.PUBLISHED: frozenset({FairStatus.RUNNING, FairStatus.OPEN}),
    FairStatus.RUNNING: frozenset({FairStatus.CLOSED}),
    FairStatus.CLOSED: frozenset(),
}
"""draft → open for applications → published → running → closed. A call may be reopened from published
(late exhibitors) and a fair taken back to draft before it is published; a running or closed fair never goes
back."""


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored time in UTC (SQLite gives it back without its zone)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


CLOSE_AFTER = dt.timedelta(days=1)
"""A running fair is closed this long after its end: the last offline sales sync and fees are confirmed."""


def calendar_moves(
    status: FairStatus, starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime
) -> list[FairStatus]:
    """The moves the calendar makes on its own, in order: a published fair is running from its start and
    closed `CLOSE_AFTER` its end. A draft, or a fair still open for applications, waits for its organizers
    (they decide who exhibits)."""
    moves: list[FairStatus] = []
    if status == FairStatus.PUBLISHED and now >= starts_at:
        moves.append(status := FairStatus.RUNNING)
    if status == FairStatus.RUNNING and now >= ends_at + CLOSE_AFTER:
        moves.append(FairStatus.CLOSED)
    return moves


APPLICATION_MOVES: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    ApplicationStatus.DRAFT: frozenset({ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN}),
    ApplicationStatus.SUBMITTED: frozenset(
        {
            ApplicationStatus.ACCEPTED,
            ApplicationStatus.REJECTED,
            ApplicationStatus.WAITLISTED,
            ApplicationStatus.WITHDRAWN,
        }
    ),
    ApplicationStatus.WAITLISTED: frozenset(
        {ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN}
    ),
    ApplicationStatus.ACCEPTED: frozenset({ApplicationStatus.WITHDRAWN, ApplicationStatus.REJECTED}),
    ApplicationStatus.REJECTED: frozenset({ApplicationStatus.ACCEPTED, ApplicationStatus.WAITLISTED}),
    ApplicationStatus.WITHDRAWN: frozenset(),
}
"""An organizer may change its mind between accepted, rejected and waitlisted; a withdrawal is final."""


class IllegalMove(ValueError):
    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"{current} → {wanted}")
        self.current = current
        self.wanted = wanted


def check_fair_move(current: FairStatus, wanted: FairStatus) -> None:
    if wanted not in FAIR_MOVES[current]:
        raise IllegalMove(current.value, wanted.value)


def check_application_move(current: ApplicationStatus, wanted: ApplicationStatus) -> None:
    if wanted not in APPLICATION_MOVES[current]:
        raise IllegalMove(current.value, wanted.value)


def can_manage_fair(user: CurrentUser | None, organization_id: int) -> bool:
    """Only a fair's organizers (the organizing organization's organizers) and admins manage it."""
    return user is not None and (user.is_admin or organization_id in user.organizer_of)
