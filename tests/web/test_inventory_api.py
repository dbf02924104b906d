"""The stock API the register reads: where the caller may sell, and what is on hand there; by session or
Bearer token; another vendor's place answers 403, a missing one 404, an anonymous caller 401."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.asgi import create_app
from app.inventory.models import Location
from tests.factories import (
    api_token,
    login,
    make_location,
    make_organization,
    make_producer,
    make_product,
    make_user,
    stock,
)
from tests.web.test_inventory_pages import with_inventory


@pytest.fixture
def app(database: str) -> Litestar:
    return with_inventory(create_app())


async def shop(db: AsyncSession) -> dict[str, Any]:
    org = await make_organization(db)
    mine = await make_producer(db, name="HTX Dừa Giồng Trôm")
    theirs = await make_producer(db, name="HTX Mắm Gò Công")
    candy = await make_product(db, mine, name_vi="Kẹo dừa sáp", name_en="Coconut candy", price_vnd=45000)
    oil = await make_product(db, mine, name_vi="Dầu dừa", name_en="", price_vnd=120000)
    hidden = await make_product(db, mine, name_vi="Kẹo cũ", price_vnd=1000)
    unstocked = await make_product(db, mine, name_vi="Bánh phồng", price_vnd=30000)
    mam = await make_product(db, theirs, name_vi="Mắm tép", price_vnd=65000)
    booth = await make_location(db, mine, kind="booth", name="Gian A-12")
    warehouse = await make_location(db, mine, kind="warehouse", name="Kho Giồng Trôm")
    closed = await make_location(db, mine, kind="booth", name="Gian cũ")
    their_booth = await make_location(db, theirs, kind="booth", name="Gian B-7")
    showroom = await make_location(db, organization=org, kind="showroom", name="Điểm OCOP")
    await stock(db, candy, booth, 12)
    await stock(db, oil, booth, 1)
    await stock(db, hidden, booth, 5)
    await stock(db, mam, their_booth, 9)
    hidden.is_active = False
    found = await db.get(Location, closed.id)
    assert found is not None
    found.is_active = False
    await db.commit()
    assert unstocked.id
    return {
        "org": org,
        "mine": mine,
        "theirs": theirs,
        "candy": candy,
        "oil": oil,
        "booth": booth,
        "warehouse": warehouse,
        "closed": closed,
        "their_booth": their_booth,
        "showroom": showroom,
    }


async def test_locations_are_the_open_places_where_the_caller_may_sell(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await shop(db)
    vendor = await make_user(db, role=Role.VENDOR, producer=s["mine"])
    await login(client, vendor.email)
    response = await client.get("/api/v1/locations")
    assert response.status_code == 200
    assert response.json() == [
        {"id": s["booth"].id, "name": "Gian A-12", "kind": "booth"},
        {"id": s["warehouse"].id, "name": "Kho Giồng Trôm", "kind": "warehouse"},
    ]


async def test_a_cashier_and_an_admin_by_bearer_token(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await shop(db)
    cashier = await make_user(db, role=Role.CASHIER, producer=s["theirs"])
    admin = await make_user(db, role=Role.ADMIN)
    as_cashier = await client.get("/api/v1/locations", headers=await api_token(db, cashier))
    assert [loc["id"] for loc in as_cashier.json()] == [s["their_booth"].id]
    as_admin = await client.get("/api/v1/locations", headers=await api_token(db, admin))
    assert {loc["id"] for loc in as_admin.json()} == {
        s["booth"].id,
        s["warehouse"].id,
        s["their_booth"].id,
        s["showroom"].id,
    }
    assert {loc["kind"] for loc in as_admin.json()} == {"booth", "warehouse", "showroom"}


async def test_stock_of_a_place_lists_active_products_with_a_level(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await shop(db)
    cashier = await make_user(db, role=Role.CASHIER, producer=s["mine"])
    headers = await api_token(db, cashier)
    response = await client.get(f"/api/v1/locations/{s['booth'].id}/stock", headers=headers)
    assert response.status_code == 200
    assert response.json() == [
        {"product_id": s["oil"].id, "name": "Dầu dừa", "price_vnd": 120000, "on_hand": 1},
        {"product_id": s["candy"].id, "name": "Kẹo dừa sáp", "price_vnd": 45000, "on_hand": 12},
    ]
    empty = await client.get(f"/api/v1/locations/{s['warehouse'].id}/stock", headers=headers)
    assert empty.status_code == 200 and empty.json() == []


async def test_names_follow_the_callers_language(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await shop(db)
    vendor = await make_user(db, role=Role.VENDOR, producer=s["mine"], locale="en")
    await login(client, vendor.email)
    response = await client.get(f"/api/v1/locations/{s['booth'].id}/stock")
    # English where the product has an English name; Vietnamese otherwise.
    assert [item["name"] for item in response.json()] == ["Dầu dừa", "Coconut candy"]


async def test_a_place_one_may_not_sell_at_is_refused(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await shop(db)
    vendor = await make_user(db, role=Role.VENDOR, producer=s["mine"])
    headers = await api_token(db, vendor)
    theirs = await client.get(f"/api/v1/locations/{s['their_booth'].id}/stock", headers=headers)
    assert theirs.status_code == 403 and theirs.json()["error"] == "forbidden"
    assert "Mắm" not in theirs.text
    showroom = await client.get(f"/api/v1/locations/{s['showroom'].id}/stock", headers=headers)
    assert showroom.status_code == 403
    missing = await client.get("/api/v1/locations/987654/stock", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    closed = await client.get(f"/api/v1/locations/{s['closed'].id}/stock", headers=headers)
    assert closed.status_code == 422 and closed.json()["error"] == "invalid"


async def test_anonymous_callers_get_401(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await shop(db)
    for path in ("/api/v1/locations", f"/api/v1/locations/{s['booth'].id}/stock"):
        response = await client.get(path)
        assert response.status_code == 401 and response.json()["error"] == "not_authenticated"
    bad = await client.get("/api/v1/locations", headers={"Authorization": "Bearer cp_not-a-token"})
    assert bad.status_code == 401


async def test_the_stock_api_is_in_the_openapi_schema(client: AsyncTestClient[Any]) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/locations" in schema["paths"]
    assert "/api/v1/locations/{location_id}/stock" in schema["paths"]
    assert "/stock/transfers" not in schema["paths"]  # pages are not API
