"""Domain errors and the exception handlers that turn any error into the right shape.

API requests (`/api/…`) get JSON `{"error": code, "detail": message}`; htmx requests get a small alert
fragment swapped into `#flash`; everything else gets a whole error page in the user's language.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from app.i18n import choose_locale, set_locale
from app.i18n import gettext as _

log = logging.getLogger("app.errors")


class DomainError(Exception):
    """A refusal the user can understand. `message` is already translated."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra


class ValidationFailed(DomainError):
    """Input that breaks a rule; `fields` maps a form field to what is wrong with it."""

    status_code = 422
    code = "invalid"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status_code = 403
    code = "forbidden"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"


def _is_api(request: Request[Any, Any, Any]) -> bool:
    """The API, and page scripts that ask for JSON (the pay page's steps)."""
    return request.url.path.startswith("/api/") or request.headers.get("accept", "").startswith(
        "application/json"
    )


def _is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def _describe(exc: Exception) -> tuple[int, str, str, dict[str, str], dict[str, Any]]:
    """status, code, translated message, field errors, extra JSON members."""
    if isinstance(exc, DomainError):
        return exc.status_code, exc.code, exc.message, exc.fields, exc.extra
    if isinstance(exc, NotFoundException):
        return 404, "not_found", _("The page or object you asked for does not exist."), {}, {}
    if isinstance(exc, NotAuthorizedException):
        return 401, "not_authenticated", _("Please log in to continue."), {}, {}
    if isinstance(exc, PermissionDeniedException):
        if "CSRF" in str(exc.detail):
            return 403, "csrf", _("Your form expired. Reload the page and try again."), {}, {}
        return 403, "forbidden", _("You are not allowed to do this."), {}, {}
    if isinstance(exc, ValidationException):
        return 400, "bad_request", _("The request is malformed: %(detail)s", detail=exc.detail), {}, {}
    if isinstance(exc, HTTPException) and exc.status_code == 400:
        # Litestar's own refusals of a body it cannot read (malformed JSON, a broken multipart form).
        return 400, "bad_request", _("The request is malformed: %(detail)s", detail=exc.detail), {}, {}
    if isinstance(exc, HTTPException):
        code = "too_large" if exc.status_code == 413 else "http_error"
        detail = _("The upload is too large.") if exc.status_code == 413 else str(exc.detail)
        return exc.status_code, code, detail, {}, {}
    return HTTP_500_INTERNAL_SERVER_ERROR, "server_error", _("Something went wrong on our side."), {}, {}


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if "user" not in request.scope:
        # Routing errors (404, 405) happen before the middleware that picks the locale: pick it here.
        request.scope["user"] = None
        set_locale(choose_locale(None, request.cookies.get("lang"), request.headers.get("accept-language")))
    status, code, message, fields, extra = _describe(exc)
    if status >= 500:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _is_api(request):
        body: dict[str, Any] = {"error": code, "detail": message, **extra}
        if fields:
            body["fields"] = fields
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)
    if status == 401 and not _is_htmx(request):
        return Response(
            content="",
            status_code=303,
            headers={"Location": f"/login?next={request.url.path}"},
        )
    if _is_htmx(request):
        return Template(
            template_name="_partials/alert.html.jinja",
            context={"message": message, "level": "error", "fields": fields},
            status_code=status,
            headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML", "Vary": "HX-Request"},
            media_type=MediaType.HTML,
        )
    return Template(
        template_name="errors/error.html.jinja",
        context={"status": status, "message": message, "code": code},
        status_code=status,
        headers={"Vary": "HX-Request"},
        media_type=MediaType.HTML,
    )


exception_handlers: dict[type[Exception] | int, Any] = {
    DomainError: handle_exception,
    HTTPException: handle_exception,
    Exception: handle_exception,
}
