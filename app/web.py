"""page(): the one place that decides whether a response is a whole page or one block of it.

A plain request, or an htmx history restore, gets the whole page. An htmx request whose target is one
of the handler's allowed blocks gets that block only (the block's name equals the id of the element it
fills). Anything else gets the whole page, so an unknown target can never become an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import MediaType, Request
from litestar.response import Redirect, Response, Template

from app.settings import Settings, get_settings

VARY = {"Vary": "HX-Request"}


def wanted_block(request: Request[Any, Any, Any], blocks: Iterable[str]) -> str | None:
    headers = request.headers
    if headers.get("hx-request") != "true" or headers.get("hx-history-restore-request") == "true":
        return None
    target = headers.get("hx-target")
    return target if target and target in set(blocks) else None


def page(
    request: Request[Any, Any, Any],
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    blocks: Iterable[str] = (),
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Template:
    all_headers = {**VARY, **(headers or {})}
    ctx = dict(context or {})
    block = wanted_block(request, blocks)
    if block is not None:
        return HTMXBlockTemplate(
            template_name=template,
            block_name=block,
            context=ctx,
            status_code=status,
            headers=all_headers,
            media_type=MediaType.HTML,
        )
    return Template(
        template_name=template,
        context=ctx,
        status_code=status,
        headers=all_headers,
        media_type=MediaType.HTML,
    )


def redirect(request: Request[Any, Any, Any], url: str) -> Response[Any]:
    """After a change: 303 for a plain form post; for htmx, HX-Redirect, so the browser loads the next page
    whole (its title, navigation and flash messages included)."""
    if request.headers.get("hx-request") == "true":
        return Response(content=b"", status_code=204, headers={"HX-Redirect": url, **VARY})
    return Redirect(path=url, status_code=303, headers=VARY)


# --- query-string readers for list pages: odd values are ignored, not refused ---


def query_int(raw: str | None) -> int | None:
    """A filter value from a query string: digits, or nothing."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def page_number(raw: str | None) -> int:
    return max(1, query_int(raw) or 1)


def query_flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in {"1", "on", "true", "yes"}


def query_string(params: Mapping[str, Any]) -> str:
    """The current filters as a query string (without the page), for pagination links."""
    return urlencode({key: value for key, value in params.items() if value not in (None, "", False)})


def app_settings(request: Request[Any, Any, Any]) -> Settings:
    """The settings the app was made with (tests make apps with their own), else the environment's."""
    found = request.app.state.get("settings")
    return found if isinstance(found, Settings) else get_settings()
