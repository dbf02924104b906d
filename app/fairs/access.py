"""Loading a fair and checking who may act on it: the one place every fairs service asks.

A fair loaded here has followed the calendar first (`rules.calendar_moves`: published → running at its
start, running → closed a day after its end), so every page shows the status the dates say, even between
two runs of the periodic job (`chophien fairs follow-calendar`)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app import audit
from app.accounts.rules import CurrentUser
from app.errors import NotFound
from app.fairs import rules
from app.fairs.models import Fair, FairStatus
from app.i18n import gettext as _

log = logging.getLogger("app.fairs.access")

MAX_ID = 2**63 - 1

PUBLIC_STATUSES = (FairStatus.OPEN, FairStatus.PUBLISHED, FairStatus.RUNNING, FairStatus.CLOSED)
"""A draft is seen only by its organizers; from the call for exhibitors on, a fair is public."""


class FairAccess:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, fair_id: int) -> Fair:
        # An id no database column can hold names no fair (and must not reach the driver).
        fair = await self.session.get(Fair, fair_id) if 0 < fair_id <= MAX_ID else None
        if fair is None:
            raise NotFound(_("This fair does not exist."))
        await self._follow_calendar(fair)
        return fair

    async def by_key(self, key: str) -> Fair:
        """A fair by its id (digits) or its slug."""
        numeric = key.isdigit() and 0 < int(key) <= MAX_ID
        condition = or_(Fair.slug == key, Fair.id == int(key)) if numeric else Fair.slug == key
        fair = await self.session.scalar(select(Fair).where(condition))
        if fair is None:
            raise NotFound(_("This fair does not exist."))
        await self._follow_calendar(fair)
        return fair

    async def _follow_calendar(self, fair: Fair) -> None:
        """Make the calendar's moves of this fair, if any are due. A page must open even when the database
        is busy: then the status stays as it is until the next page or run of the job."""
        if not _due_moves(fair, _now()):
            return
        try:
            async with self.session.begin_nested():
                await follow_calendar(self.session, fair_id=fair.id)
        except DBAPIError:
            log.warning("fair %s: the calendar move failed; the next visit makes it", fair.id, exc_info=True)

    async def for_managing(self, user: CurrentUser | None, fair_id: int) -> Fair:
        """The fair, if `user` organizes it; another organization's fair is reported as missing."""
        fair = await self.get(fair_id)
        if not rules.can_manage_fair(user, fair.organization_id):
            raise NotFound(_("This fair does not exist."))
        return fair

    async def for_public(self, user: CurrentUser | None, key: str) -> Fair:
        """The fair as visitors see it: drafts only for their organizers."""
        fair = await self.by_key(key)
        if fair.status not in PUBLIC_STATUSES and not rules.can_manage_fair(user, fair.organization_id):
            raise NotFound(_("This fair does not exist."))
        return fair


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _due_moves(fair: Fair, now: dt.datetime) -> list[FairStatus]:
    return rules.calendar_moves(fair.status, rules.as_utc(fair.starts_at), rules.as_utc(fair.ends_at), now)


async def follow_calendar(
    session: AsyncSession, now: dt.datetime | None = None, *, fair_id: int | None = None
) -> list[tuple[int, FairStatus]]:
    """Make every move the calendar has due (`rules.calendar_moves`), each audited with no actor: the
    periodic job, and a fair's own load. Each move is a conditional update that only one of two runs at
    the same moment wins. Returns (fair id, new status) for each move made."""
    now = now or _now()
    due = or_(
        and_(Fair.status == FairStatus.PUBLISHED, Fair.starts_at <= now),
        and_(Fair.status == FairStatus.RUNNING, Fair.ends_at <= now - rules.CLOSE_AFTER),
    )
    stmt = select(Fair).where(due).order_by(Fair.id)
    if fair_id is not None:
        stmt = stmt.where(Fair.id == fair_id)
    made: list[tuple[int, FairStatus]] = []
    for fair in (await session.scalars(stmt)).all():
        for target in _due_moves(fair, now):
            before = FairStatus(fair.status)
            won = await session.execute(
                update(Fair)
                .where(Fair.id == fair.id, Fair.status == before)
                .values(status=target)
                .returning(Fair.id)
                .execution_options(synchronize_session=False)
            )
            if won.scalar_one_or_none() is None:
                break  # another run moved it first
            set_committed_value(fair, "status", target)
            await audit.record(
                session,
                None,
                "fairs.fair.status_changed",
                "fair",
                fair.id,
                before=before.value,
                after=target.value,
                by="calendar",
            )
            made.append((fair.id, target))
    return made
