"""Request-wide middleware: the locale of this request, the cookie session and CSRF (both with the Bearer
exemption), security headers."""

from __future__ import annotations

from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.enums import ScopeType
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.base import SessionMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.auth import is_bearer_request
from app.i18n import choose_locale, reset_locale, set_locale

LOCALE_COOKIE = "lang"

CSP = (
    "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; connect-src 'self'; font-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class LocaleMiddleware:
    """Sets the request's locale: the user's choice, the `lang` cookie, Accept-Language, Vietnamese."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        cookie = None
        accept = None
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _sep, val = part.strip().partition("=")
                    if key == LOCALE_COOKIE:
                        cookie = val
            elif name == b"accept-language":
                accept = value.decode("latin-1")
        user = scope.get("user")
        locale = choose_locale(getattr(user, "locale", None), cookie, accept)
        scope.setdefault("state", {})["locale"] = locale
        token = set_locale(locale)
        try:
            await self.app(scope, receive, send)
        finally:
            reset_locale(token)


class TokenAwareCSRFMiddleware(CSRFMiddleware):
    """Litestar's CSRF check, skipped where no ambient credential could be abused: Bearer-token requests
    (no browser sends that header cross-site, and the cookie session is ignored on them, see
    app.accounts.auth) and API calls that carry no session cookie at all (they are anonymous, so they get
    the API's 401 rather than a CSRF refusal)."""

    def __init__(self, app: ASGIApp, config: CSRFConfig, session_cookie: str) -> None:
        super().__init__(app, config)
        self.session_cookie = session_cookie.encode()

    def _has_session_cookie(self, scope: Scope) -> bool:
        return any(
            name == b"cookie" and self.session_cookie + b"=" in value
            for name, value in scope.get("headers", [])
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and (
            is_bearer_request(scope)
            or (scope["path"].startswith("/api/") and not self._has_session_cookie(scope))
        ):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class TokenAwareSessionMiddleware(SessionMiddleware[Any]):
    """Litestar's cookie session, left out of Bearer-token requests: they are judged by the token alone
    (app.accounts.auth), so reading and re-signing a cookie would be wasted work on every API call. Their
    session is an empty one that is never stored."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and is_bearer_request(scope):
            scope["session"] = {}
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _security_headers(https: bool) -> list[tuple[bytes, bytes]]:
    headers = {
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "strict-origin-when-cross-origin",
        "content-security-policy": CSP,
        "permissions-policy": "camera=(self), geolocation=(self), microphone=()",
    }
    if https:
        headers["strict-transport-security"] = "max-age=31536000"
    return [(name.encode(), value.encode()) for name, value in headers.items()]


# Made once: every response carries them.
_SECURITY_HEADERS = {https: _security_headers(https) for https in (False, True)}


class SecurityHeadersMiddleware:
    """The security headers on every response, unless the handler set its own (a page may loosen its CSP)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        ours = _SECURITY_HEADERS[scope.get("scheme") == "https"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _value in headers}
                headers.extend(header for header in ours if header[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
