import re
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from tests.factories import login, make_producer, make_user


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


async def test_home_page_leads_to_products_tours_fairs_and_producers(client: AsyncTestClient[Any]) -> None:
    """On a phone the header's menu is folded: the home page itself shows where to go."""
    response = await client.get("/")
    cards = re.findall(r'<a class="card" href="([^"]+)">', response.text)
    assert cards == ["/catalog", "/tours", "/fairs", "/producers", "/login"]


async def test_a_seller_finds_the_register_and_stock_first_on_the_home_page(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    producer = await make_producer(db)
    await make_user(db, "thungan@htx.vn", role=Role.CASHIER, producer=producer)
    await login(client, "thungan@htx.vn")
    response = await client.get("/")
    cards = re.findall(r'<a class="card" href="([^"]+)">', response.text)
    assert cards == ["/pos", "/stock", "/catalog", "/tours", "/fairs", "/producers"]
