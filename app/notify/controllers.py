"""The in-app outbox: a user's own messages, newest first; marking them read; the unread badge.

Another user's message answers 404, whatever its id.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import requires_login
from app.accounts.rules import CurrentUser
from app.notify.services import NotificationService, safe_link, unread_count
from app.web import page, page_number, query_flag, query_string, redirect

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
PageParam = Parameter(query="page", required=False)


def _user(request: Request[CurrentUser, Any, Any]) -> CurrentUser:
    return request.user


def _one(form: dict[str, Any], key: str) -> str:
    value = form.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value.strip() if isinstance(value, str) else ""


class NotificationController(Controller):
    path = "/notifications"
    guards = [requires_login]
    include_in_schema = False

    @get("/", name="notify:outbox")
    async def outbox(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        unread: str = "",
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        unread_only = query_flag(unread)
        user = _user(request)
        found = await NotificationService(tx).list_for(user, page_number(page_no), unread_only=unread_only)
        return page(
            request,
            "notify/outbox.html.jinja",
            {
                "notifications": found,
                "unread_only": unread_only,
                "unread": await unread_count(tx, user.id),
                "params": query_string({"unread": "1" if unread_only else ""}),
            },
            blocks=["notification_rows"],
        )

    @get("/unread", name="notify:unread")
    async def unread_badge(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession) -> Template:
        """A small fragment for the navigation: the number of unread messages (nothing when none)."""
        return page(
            request,
            "notify/unread_badge.html.jinja",
            {"unread": await unread_count(tx, _user(request).id)},
            headers={"Cache-Control": "no-store"},
        )

    @post("/{notification_id:int}/read", name="notify:read")
    async def read(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        notification_id: int,
        data: Annotated[dict[str, Any], Form],
    ) -> Any:
        notification = await NotificationService(tx).mark_read(_user(request), notification_id)
        link = safe_link(notification.link)
        if query_flag(_one(data, "open")) and link:
            return redirect(request, link)
        return redirect(request, "/notifications")

    @post("/read-all", name="notify:read_all")
    async def read_all(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession) -> Any:
        await NotificationService(tx).mark_all_read(_user(request))
        return redirect(request, "/notifications")
