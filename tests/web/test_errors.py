"""Every error has the right shape: JSON for the API, an alert for htmx, a page in the user's language."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from app.asgi import make_jinja_environment
from app.errors import Conflict, exception_handlers
from app.middleware import LocaleMiddleware


@get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internals")


@get("/api/v1/boom")
async def api_boom() -> None:
    raise RuntimeError("secret internals")


@get("/api/v1/conflict")
async def api_conflict() -> None:
    raise Conflict("Only 2 left.", available=2)


def make_app() -> Litestar:
    from litestar.plugins.jinja import JinjaTemplateEngine
    from litestar.template.config import TemplateConfig

    def set_user(app: Any) -> Any:
        async def middleware(scope: Any, receive: Any, send: Any) -> None:
            scope["user"] = None
            await app(scope, receive, send)

        return middleware

    return Litestar(
        route_handlers=[boom, api_boom, api_conflict],
        middleware=[set_user, LocaleMiddleware],
        exception_handlers=exception_handlers,
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(make_jinja_environment())),
    )


async def test_a_crash_shows_a_500_page_without_internals_in_both_languages() -> None:
    async with AsyncTestClient(app=make_app()) as client:
        vi = await client.get("/boom")
        en = await client.get("/boom", headers={"Accept-Language": "en"})
    assert vi.status_code == 500 and en.status_code == 500
    assert "secret internals" not in vi.text
    assert "Đã xảy ra lỗi" in vi.text
    assert "Something went wrong" in en.text


async def test_a_crash_in_the_api_is_json_without_internals() -> None:
    async with AsyncTestClient(app=make_app()) as client:
        response = await client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"
    assert "secret internals" not in response.text


async def test_domain_errors_carry_their_extra_members_in_json() -> None:
    async with AsyncTestClient(app=make_app()) as client:
        response = await client.get("/api/v1/conflict")
    assert response.status_code == 409
    assert response.json() == {"error": "conflict", "detail": "Only 2 left.", "available": 2}


async def test_htmx_errors_are_swapped_into_the_flash_area() -> None:
    async with AsyncTestClient(app=make_app()) as client:
        response = await client.get("/boom", headers={"HX-Request": "true"})
    assert response.status_code == 500
    assert response.headers["hx-retarget"] == "#flash"
    assert 'class="alert alert-error"' in response.text


async def test_openapi_schema_lists_the_api(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/me" in response.json()["paths"]
