from typing import Any

from litestar.testing import AsyncTestClient


async def test_health_answers_when_the_database_answers(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_home_page_is_vietnamese_by_default_and_html(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="vi">' in response.text
    assert "HX-Request" in response.headers["vary"]
