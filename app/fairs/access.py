"""Loading a fair and checking who may act on it: the one place every fairs service asks."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.rules import CurrentUser
from app.errors import NotFound
from app.fairs import rules
from app.fairs.models import Fair, FairStatus
from app.i18n import gettext as _

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
        return fair

    async def by_key(self, key: str) -> Fair:
        """A fair by its id (digits) or its slug."""
        numeric = key.isdigit() and 0 < int(key) <= MAX_ID
        condition = or_(Fair.slug == key, Fair.id == int(key)) if numeric else Fair.slug == key
        fair = await self.session.scalar(select(Fair).where(condition))
        if fair is None:
            raise NotFound(_("This fair does not exist."))
        return fair

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
