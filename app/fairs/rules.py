"""Pure rules of the fairs domain: which status moves are allowed, for a fair and for an application."""

from __future__ import annotations

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
