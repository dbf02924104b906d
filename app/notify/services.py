"""The outbox: writing notifications (one per recipient user, in the caller's transaction), and each user's
own messages in the app.

A notification's subject and body are written in the recipient's language: pass a callable (a lambda that
calls gettext) and it is evaluated once per recipient under that user's locale; a plain string is kept as
it is. The mailer (app.notify.mailer) sends the rows that have an e-mail address and no `sent_at` yet.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, Role, User
from app.accounts.rules import CurrentUser
from app.errors import NotFound
from app.i18n import DEFAULT_LOCALE, reset_locale, set_locale
from app.i18n import gettext as _
from app.notify.models import Notification
from app.paging import Page, paginate

Text = str | Callable[[], str]
"""A message text: fixed, or made (translated) for each recipient in the recipient's language."""

SUBJECT_MAX = 300
LINK_MAX = 500
TOPIC_MAX = 60


@contextlib.contextmanager
def in_locale(locale: str | None) -> Iterator[None]:
    """Translate in `locale` (the recipient's) for the duration of the block."""
    token = set_locale(locale or DEFAULT_LOCALE)
    try:
        yield
    finally:
        reset_locale(token)


def render(text: Text) -> str:
    return text() if callable(text) else text


def safe_link(link: str) -> str:
    """Only a path inside the app is kept as a link: never another site (an open redirect)."""
    link = (link or "").strip()
    if not link.startswith("/") or link.startswith("//") or "\\" in link or len(link) > LINK_MAX:
        return ""
    return link


class NotificationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def recipients(
        self,
        user_ids: Iterable[int] = (),
        *,
        producer_id: int | None = None,
        organization_id: int | None = None,
    ) -> Sequence[User]:
        """Active users: the given ids, the vendors of a producer, the organizers of an organization."""
        conditions = []
        wanted = {int(i) for i in user_ids}
        if wanted:
            conditions.append(User.id.in_(wanted))
        if producer_id is not None:
            conditions.append(
                User.id.in_(
                    select(Membership.user_id).where(
                        Membership.role == Role.VENDOR, Membership.producer_id == producer_id
                    )
                )
            )
        if organization_id is not None:
            conditions.append(
                User.id.in_(
                    select(Membership.user_id).where(
                        Membership.role == Role.ORGANIZER, Membership.organization_id == organization_id
                    )
                )
            )
        if not conditions:
            return []
        stmt = select(User).where(User.is_active.is_(True), or_(*conditions)).order_by(User.id)
        return (await self.session.scalars(stmt)).all()

    async def notify(
        self,
        user_ids: Iterable[int] = (),
        *,
        producer_id: int | None = None,
        organization_id: int | None = None,
        subject: Text,
        body: Text = "",
        link: str = "",
        topic: str = "",
    ) -> list[Notification]:
        """One notification per recipient user (each user once), in the caller's transaction.

        Recipients: `user_ids`, and/or every vendor of `producer_id`, and/or every organizer of
        `organization_id`. The mail address is the user's at the time of writing."""
        written: list[Notification] = []
        for user in await self.recipients(user_ids, producer_id=producer_id, organization_id=organization_id):
            with in_locale(user.locale):
                subject_text, body_text = render(subject), render(body)
            notification = Notification(
                user_id=user.id,
                email=user.email,
                subject=subject_text.strip()[:SUBJECT_MAX],
                body=body_text.strip(),
                link=safe_link(link),
                topic=topic[:TOPIC_MAX],
            )
            self.session.add(notification)
            written.append(notification)
        await self.session.flush()
        return written

    # --- a user's own messages ---

    async def list_for(
        self, user: CurrentUser, page: int = 1, *, unread_only: bool = False
    ) -> Page[Notification]:
        stmt = select(Notification).where(Notification.user_id == user.id)
        if unread_only:
            stmt = stmt.where(Notification.read_at.is_(None))
        return await paginate(
            self.session, stmt.order_by(Notification.created_at.desc(), Notification.id.desc()), page
        )

    async def get_own(self, user: CurrentUser, notification_id: int) -> Notification:
        storable = 0 < notification_id <= 2**63 - 1  # a larger number names nothing (nor reaches the driver)
        notification = await self.session.get(Notification, notification_id) if storable else None
        if notification is None or notification.user_id != user.id:
            # Another user's message is reported as missing.
            raise NotFound(_("This message does not exist."))
        return notification

    async def mark_read(self, user: CurrentUser, notification_id: int) -> Notification:
        notification = await self.get_own(user, notification_id)
        if notification.read_at is None:
            notification.read_at = dt.datetime.now(dt.UTC)
            await self.session.flush()
        return notification

    async def mark_all_read(self, user: CurrentUser) -> int:
        stmt = (
            update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=dt.datetime.now(dt.UTC))
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)


async def unread_count(session: AsyncSession, user_id: int) -> int:
    """How many of the user's messages are unread (for the badge in the navigation)."""
    stmt = select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return int(await session.scalar(stmt) or 0)
