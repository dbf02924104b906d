"""Who is calling: a Bearer token or the session cookie, resolved once per request into `request.user`.

A request with an `Authorization: Bearer` header is judged by the token alone (the cookie is ignored), so
cookie-less API clients need no CSRF token and a browser's ambient cookie never authorizes an API call
made with a bad token.
"""

from __future__ import annotations

from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import User
from app.accounts.rules import CurrentUser
from app.accounts.services import TokenService, current_user_from
from app.db import begin_request
from app.errors import PermissionDenied
from app.i18n import gettext as _

SESSION_USER_KEY = "uid"
SESSION_VERSION_KEY = "ver"
STATIC_PREFIX = "/static/"


class AuthMiddleware:
    """Resolves the caller on the request's own session (the one its handler gets): one connection and
    one transaction for the whole request, where a session of its own cost every API call a second
    session, a second pool checkout and a second connection."""

    def __init__(
        self,
        app: ASGIApp,
        alchemy: SQLAlchemyAsyncConfig,
        reader_sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        self.app = app
        self.alchemy = alchemy
        self.reader_sessions = reader_sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # Static files need nobody: no session, no transaction for a logged-in browser's every asset.
        credential = None if scope["path"].startswith(STATIC_PREFIX) else _credential(scope)
        session = None
        caller: Caller = None, None, None
        try:
            if credential is not None:
                session = self.alchemy.provide_session(scope["app"].state, scope)
                await begin_request(session, str(scope.get("method", "GET")))
                caller = await _resolve(session, *credential)
            scope["user"], scope["auth"], stale_token_id = caller
            await self.app(scope, receive, send)
        finally:
            # Closed when the response starts (advanced-alchemy's before-send handler), but not if no
            # response started; closing twice is harmless.
            if session is not None:
                await session.close()
        if stale_token_id is not None:
            # After the answer, in a short transaction of its own: inside the request's it would hold the
            # token's row until the request ends (other requests with the token would queue), and on
            # SQLite a reading request cannot start writing once another has written.
            async with self.reader_sessions() as own, own.begin():
                await TokenService(own).mark_used(stale_token_id)


Caller = tuple[CurrentUser | None, str | None, int | None]  # the user, how they came, a token to stamp


def _credential(scope: Scope) -> tuple[str, Any] | None:
    """What the request presents: ("token", the token) for an `Authorization` header (a Bearer request
    is judged by its token alone), ("session", its data) for a signed-in cookie session, else nothing."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return "token", value.decode("latin-1")
    raw_session = scope.get("session")
    session_data: dict[str, Any] = raw_session if isinstance(raw_session, dict) else {}
    return ("session", session_data) if isinstance(session_data.get(SESSION_USER_KEY), int) else None


async def _resolve(session: AsyncSession, kind: str, presented: Any) -> Caller:
    if kind == "token":
        scheme, _sep, token = presented.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None, None, None
        caller = await TokenService(session).caller(token.strip())
        return (caller.user, "token", caller.stale_token_id) if caller else (None, None, None)
    found = await session.get(User, presented[SESSION_USER_KEY])
    if found is None or not found.is_active:
        return None, None, None
    # A password change bumps the version, which ends every older session.
    if presented.get(SESSION_VERSION_KEY) != found.session_version:
        return None, None, None
    return current_user_from(found), "session", None


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
