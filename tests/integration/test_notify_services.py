"""The outbox on a real database: one notification per recipient (a producer's vendors, an organization's
organizers, given users; each once; inactive users left out), written in each recipient's language; only a
path inside the app is kept as a link; a user reads and marks only its own messages."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.errors import NotFound
from app.i18n import get_locale
from app.notify.models import Notification
from app.notify.services import NotificationService, safe_link, unread_count
from tests.factories import make_organization, make_producer
from tests.integration.test_fairs_c_services import person


async def test_a_producers_vendors_and_an_organizations_organizers_each_get_one_message(
    db: AsyncSession,
) -> None:
    producer = await make_producer(db, name="HTX Dừa")
    org = await make_organization(db)
    vendor = await person(db, (Role.VENDOR, producer, None))
    both = await person(db, (Role.VENDOR, producer, None), (Role.ORGANIZER, None, org))
    organizer = await person(db, (Role.ORGANIZER, None, org))
    await person(db, (Role.CASHIER, producer, None))  # a cashier is not told
    gone = await person(db, (Role.VENDOR, producer, None))
    user = await db.get(User, gone.id)
    assert user is not None
    user.is_active = False
    await db.commit()

    written = await NotificationService(db).notify(
        [organizer.id],
        producer_id=producer.id,
        organization_id=org.id,
        subject="Chào",
        body="Nội dung",
        link="/applications/1",
        topic="test.hello",
    )
    await db.commit()
    assert sorted(n.user_id for n in written) == sorted([vendor.id, both.id, organizer.id])
    stored = (await db.scalars(select(Notification))).all()
    assert len(stored) == 3
    assert all(n.email.endswith("@example.com") and n.sent_at is None and n.read_at is None for n in stored)
    assert {n.topic for n in stored} == {"test.hello"}


async def test_nobody_to_tell_writes_nothing(db: AsyncSession) -> None:
    producer = await make_producer(db)
    assert await NotificationService(db).notify(producer_id=producer.id, subject="x") == []
    assert await NotificationService(db).notify(subject="x") == []


async def test_each_recipient_gets_the_text_in_its_own_language(db: AsyncSession) -> None:
    english = await person(db, locale="en")
    vietnamese = await person(db, locale="vi")
    unset = await person(db, locale=None)
    before = get_locale()
    await NotificationService(db).notify(
        [english.id, vietnamese.id, unset.id],
        subject=lambda: f"subject in {get_locale()}",
        body=lambda: f"body in {get_locale()}",
    )
    await db.commit()
    assert get_locale() == before
    by_user = {n.user_id: n for n in (await db.scalars(select(Notification))).all()}
    assert by_user[english.id].subject == "subject in en" and by_user[english.id].body == "body in en"
    assert by_user[vietnamese.id].subject == "subject in vi"
    assert by_user[unset.id].subject == "subject in vi"  # Vietnamese first


@pytest.mark.parametrize(
    ("link", "kept"),
    [
        ("/applications/3", "/applications/3"),
        ("https://evil.example/x", ""),
        ("//evil.example/x", ""),
        ("/\\evil.example", ""),
        ("javascript:alert(1)", ""),
        ("", ""),
    ],
)
def test_only_a_path_inside_the_app_is_kept_as_a_link(link: str, kept: str) -> None:
    assert safe_link(link) == kept


async def test_a_user_reads_and_marks_only_its_own_messages(db: AsyncSession) -> None:
    me = await person(db)
    other = await person(db)
    service = NotificationService(db)
    for n in range(3):
        await service.notify([me.id], subject=f"Tin {n}")
    [theirs] = await service.notify([other.id], subject="Của người khác")
    await db.commit()
    page = await service.list_for(me)
    assert [n.subject for n in page.items] == ["Tin 2", "Tin 1", "Tin 0"]  # newest first
    assert await unread_count(db, me.id) == 3

    with pytest.raises(NotFound):
        await service.mark_read(me, theirs.id)
    with pytest.raises(NotFound):
        await service.get_own(me, theirs.id)
    await service.mark_read(me, page.items[0].id)
    await db.commit()
    assert await unread_count(db, me.id) == 2
    assert [n.subject for n in (await service.list_for(me, unread_only=True)).items] == ["Tin 1", "Tin 0"]
    assert await service.mark_all_read(me) == 2
    await db.commit()
    assert await unread_count(db, me.id) == 0
    assert await unread_count(db, other.id) == 1  # untouched
