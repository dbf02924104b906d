"""The outbox over HTTP: a user sees only its own messages, newest first; marks one or all read; opening one
goes to its link; another user's message is not found; the unread badge; anonymous visitors log in."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.notify.models import Notification
from app.notify.services import NotificationService, unread_count
from tests.factories import csrf_headers, login, make_user


async def post(client: AsyncTestClient[Any], url: str, data: dict[str, str] | None = None) -> Any:
    return await client.post(url, data=data or {}, headers=csrf_headers(client))


async def test_the_outbox_shows_a_users_own_messages(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    me = await make_user(db, "me@htx.vn", locale="en")
    other = await make_user(db, "other@htx.vn", locale="en")
    service = NotificationService(db)
    await service.notify([me.id], subject="Đơn cũ", body="Dòng 1\nDòng 2")
    [newest] = await service.notify([me.id], subject="<b>Đơn mới</b>", link="/applications/5")
    [theirs] = await service.notify([other.id], subject="Thư của người khác")
    await db.commit()
    await login(client, me.email)
    client.follow_redirects = False

    page = await client.get("/notifications")
    assert page.status_code == 200
    assert page.text.index("&lt;b&gt;Đơn mới&lt;/b&gt;") < page.text.index("Đơn cũ")  # newest first, escaped
    assert "Thư của người khác" not in page.text and "2 unread messages." in page.text
    badge = await client.get("/notifications/unread", headers={"HX-Request": "true"})
    assert badge.status_code == 200 and ">2<" in badge.text

    opened = await post(client, f"/notifications/{newest.id}/read", {"open": "1"})
    assert opened.status_code == 303 and opened.headers["location"] == "/applications/5"
    assert await unread_count(db, me.id) == 1
    block = await client.get(
        "/notifications?unread=1", headers={"HX-Request": "true", "HX-Target": "notification_rows"}
    )
    assert "<html" not in block.text and "Đơn cũ" in block.text and "Đơn mới" not in block.text

    assert (await post(client, f"/notifications/{theirs.id}/read")).status_code == 404
    assert (await post(client, "/notifications/read-all")).status_code == 303
    assert await unread_count(db, me.id) == 0
    assert await unread_count(db, other.id) == 1
    assert (await client.get("/notifications/unread")).text.strip() == ""
    stored = await db.scalar(
        select(Notification).where(Notification.id == theirs.id).execution_options(populate_existing=True)
    )
    assert stored is not None and stored.read_at is None


async def test_anonymous_visitors_log_in_first(client: AsyncTestClient[Any]) -> None:
    client.follow_redirects = False
    page = await client.get("/notifications")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
