"""Who is calling: a Bearer token or the session cookie, resolved once per request into `request.user`.

A request with an `Authorization: Bearer` header is judged by the token alone (the cookie is ignored), so
cookie-less API clients need no CSRF token and a browser's ambient cookie never authorizes an API call
made with a bad token.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import User
from app.accounts.rules import CurrentUser
from app.accounts.services import TokenService, current_user_from
from app.errors import PermissionDenied
from app.i18n import gettext as _

SESSION_USER_KEY = "uid"
SESSION_VERSION_KEY = "ver"


class AuthMiddleware:
    def __init__(self, app: ASGIApp, session_maker: async_sessionmaker[AsyncSession]) -> None:
        self.app = app
        self.session_maker = session_maker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            user, method = await self._resolve(scope)
            scope["user"] = user
            scope["auth"] = method
        await self.app(scope, receive, send)

    async def _resolve(self, scope: Scope) -> tuple[CurrentUser | None, str | None]:
        authorization = ""
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                authorization = value.decode("latin-1")
                break
        if authorization:
            scheme, _sep, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token:
                return None, None
            async with self.session_maker() as session, session.begin():
                current = await TokenService(session).current_user_for(token.strip())
                return (current, "token") if current else (None, None)
        raw_session = scope.get("session")
        session_data: dict[str, Any] = raw_session if isinstance(raw_session, dict) else {}
        user_id = session_data.get(SESSION_USER_KEY)
        if not isinstance(user_id, int):
            return None, None
        async with self.session_maker() as session:
            found = await session.get(User, user_id)
            if found is None or not found.is_active:
                return None, None
            # A password change bumps the version, which ends every older session.
            if session_data.get(SESSION_VERSION_KEY) != found.session_version:
                return None, None
            return current_user_from(found), "session"


def is_bearer_request(scope: Scope) -> bool:
    return any(
        name == b"authorization" and value[:7].lower() == b"bearer "
        for name, value in scope.get("headers", [])
    )


# Guards are coroutines: Litestar runs a plain function guard in a worker thread, so a plain one cost every
# guarded request a thread hop (a handoff, a wake-up and a context switch each way).


def logged_in_user(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser:
    """The caller, or 401 when nobody is logged in."""
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    return user  # type: ignore[no-any-return]


async def requires_login(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    logged_in_user(connection)


async def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    if not logged_in_user(connection).is_admin:
        raise PermissionDenied(_("Only an administrator can do this."))


async def requires_catalog_manager(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    if not logged_in_user(connection).manages_catalog:
        raise PermissionDenied(_("You are not allowed to manage the catalog."))
