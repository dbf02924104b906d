"""page(): whole page or one block, as DESIGN.md says."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, get
from litestar.testing import AsyncTestClient

from app.asgi import make_jinja_environment
from app.web import page


@get("/demo-fragment")
async def demo(request: Request[Any, Any, Any]) -> Any:
    context = {"form": {"email": "", "next": ""}, "error": None}
    return page(request, "accounts/login.html.jinja", context, blocks=["login_form"])


def make_app() -> Litestar:
    from litestar.plugins.jinja import JinjaTemplateEngine
    from litestar.template.config import TemplateConfig

    from app.middleware import LocaleMiddleware

    def set_user(app: Any) -> Any:
        # The real app's AuthMiddleware sets the user; this bare app has none.
        async def middleware(scope: Any, receive: Any, send: Any) -> None:
            scope["user"] = None
            await app(scope, receive, send)

        return middleware

    return Litestar(
        route_handlers=[demo],
        middleware=[set_user, LocaleMiddleware],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(make_jinja_environment())),
    )


async def test_plain_request_gets_the_whole_page() -> None:
    async with AsyncTestClient(app=make_app()) as client:
        response = await client.get("/demo-fragment")
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<!doctype html>")
    assert "HX-Request" in response.headers["vary"]


async def test_htmx_request_for_an_allowed_block_gets_only_that_block() -> None:
    async with AsyncTestClient(app=make_app()) as client:
        response = await client.get(
            "/demo-fragment", headers={"HX-Request": "true", "HX-Target": "login_form"}
        )
    assert "<!doctype html>" not in response.text
    assert 'name="password"' in response.text
    assert "HX-Request" in response.headers["vary"]


async def test_htmx_request_for_an_unknown_target_gets_the_whole_page() -> None:
    async with AsyncTestClient(app=make_app()) as client:
        response = await client.get("/demo-fragment", headers={"HX-Request": "true", "HX-Target": "evil"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<!doctype html>")


async def test_history_restore_gets_the_whole_page() -> None:
    async with AsyncTestClient(app=make_app()) as client:
        response = await client.get(
            "/demo-fragment",
            headers={"HX-Request": "true", "HX-Target": "login_form", "HX-History-Restore-Request": "true"},
        )
    assert response.text.lstrip().startswith("<!doctype html>")
