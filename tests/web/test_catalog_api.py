"""Catalog JSON API: public reads, token or session writes, clear 422s, 400 for non-objects, permissions."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.catalog.models import Producer, Product
from app.catalog.services import ComboService
from tests.factories import (
    api_token,
    csrf_headers,
    login,
    make_organization,
    make_producer,
    make_product,
    make_user,
)


async def count(db: AsyncSession, model: type[Any]) -> int:
    await db.rollback()
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def fetch_product(db: AsyncSession, product_id: int) -> Product:
    await db.rollback()
    db.expire_all()
    product = await db.get(Product, product_id)
    assert product is not None
    return product


async def vendor_token(db: AsyncSession) -> tuple[dict[str, str], dict[str, int]]:
    mine = await make_producer(db, name="HTX Của Tôi")
    theirs = await make_producer(db, name="HTX Người Khác")
    ids = {
        "mine": mine.id,
        "theirs": theirs.id,
        "my_product": (await make_product(db, mine, name_vi="Kẹo dừa của tôi", price_vnd=45000)).id,
        "their_product": (await make_product(db, theirs, name_vi="Kẹo dừa của họ", price_vnd=30000)).id,
    }
    user = await make_user(db, role=Role.VENDOR, producer=mine)
    return await api_token(db, user), ids


def new_product(owner: int, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "producer_id": owner,
        "name_vi": "Mắm tép Gò Công",
        "name_en": "Shrimp paste",
        "stars": 3,
        "certificate_no": "45/QĐ-UBND",
        "certified_on": "2025-05-10",
        "price_vnd": 65000,
        "unit": "hũ 500 g",
    }
    body.update(changes)
    return body


# --- public reads ---


async def test_wards_of_a_province_for_the_address_picker(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/api/v1/wards?province=86")
    assert response.status_code == 200
    wards = response.json()
    assert len(wards) > 50
    assert set(wards[0]) == {"code", "name"}
    assert all(isinstance(w["code"], int) for w in wards)


@pytest.mark.parametrize(
    "query", ["?province=abc", "?province=999", "?province=", "", "?province=-1", "?province=%C2%B2"]
)
async def test_wards_of_an_unknown_province_is_a_bad_request(
    client: AsyncTestClient[Any], query: str
) -> None:
    response = await client.get("/api/v1/wards" + query)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert response.json()["detail"]


async def test_groups_come_with_their_parent_codes(client: AsyncTestClient[Any]) -> None:
    groups = {g["code"]: g for g in (await client.get("/api/v1/groups")).json()}
    assert groups["1"]["parent_code"] is None
    assert groups["1.3"]["parent_code"] == "1"
    assert groups["1.3"]["scheme"] == "2022"
    assert groups["1.3"]["name_vi"] == "Thực phẩm chế biến"


async def test_products_are_searched_filtered_and_paged(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    producer = await make_producer(db)
    await make_product(db, producer, name_vi="Kẹo dừa sáp", stars=4)
    await make_product(db, producer, name_vi="Bánh phồng", stars=5, certified_on="2020-01-01")
    body = (await client.get("/api/v1/products?q=keo+dua")).json()
    assert (body["total"], body["page"], body["pages"]) == (1, 1, 1)
    assert [p["name_vi"] for p in body["items"]] == ["Kẹo dừa sáp"]
    certified = (await client.get("/api/v1/products?certified=true")).json()
    assert [p["name_vi"] for p in certified["items"]] == ["Kẹo dừa sáp"]
    five = (await client.get("/api/v1/products?stars=5&group=1")).json()
    assert [p["name_vi"] for p in five["items"]] == ["Bánh phồng"]
    assert (await client.get("/api/v1/products?stars=7")).status_code == 400
    assert (await client.get("/api/v1/products?page=0")).json()["error"] == "bad_request"


async def test_a_product_carries_its_certificate_status(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    producer = await make_producer(db)
    valid = await make_product(db, producer, stars=4, certified_on="2025-03-01", price_vnd=45000)
    expired = await make_product(db, producer, stars=5, certified_on="2020-01-01")
    body = (await client.get(f"/api/v1/products/{valid.id}")).json()
    assert (body["certificate_status"], body["certified"]) == ("active", True)
    assert (body["certified_on"], body["expires_on"]) == ("2025-03-01", "2028-03-01")
    assert (body["price_vnd"], body["certificate_level"], body["group_code"]) == (45000, "province", "1.3")
    assert body["url"] == f"http://127.0.0.1:8000/products/{valid.id}"
    assert body["qr_url"] == f"http://127.0.0.1:8000/products/{valid.id}/qr.svg"
    old = (await client.get(f"/api/v1/products/{expired.id}")).json()
    assert (old["certificate_status"], old["certified"]) == ("expired", False)
    missing = await client.get("/api/v1/products/999999")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


async def test_producers_and_combos_are_public(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    producer = await make_producer(db, name="HTX Dừa Giồng Trôm")
    producer_id = producer.id
    product_id = (await make_product(db, producer, price_vnd=45000)).id
    db.expire_all()
    await ComboService(db).create(
        None,
        {"name_vi": "Hộp quà", "price_vnd": "120000", "items": [{"product_id": product_id, "quantity": 3}]},
        producer_id=producer_id,
    )
    await db.commit()
    listing = (await client.get("/api/v1/producers?q=giong+trom")).json()
    assert [p["name"] for p in listing["items"]] == ["HTX Dừa Giồng Trôm"]
    one = (await client.get(f"/api/v1/producers/{producer_id}")).json()
    assert (one["kind"], one["province_code"], one["province_name"]) == ("cooperative", 86, "Tỉnh Vĩnh Long")
    combos = (await client.get(f"/api/v1/combos?producer={producer_id}")).json()
    assert len(combos) == 1
    assert (combos[0]["price_vnd"], combos[0]["component_value_vnd"], combos[0]["saving_vnd"]) == (
        120000,
        135000,
        15000,
    )
    assert combos[0]["items"][0]["quantity"] == 3


async def test_the_api_is_documented_in_openapi(client: AsyncTestClient[Any]) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    for path in ("/api/v1/products", "/api/v1/products/{product_id}", "/api/v1/wards", "/api/v1/groups"):
        assert path in paths
    assert paths["/api/v1/products"]["post"]["summary"]
    assert "leave out keep theirs" in paths["/api/v1/products/{product_id}"]["patch"]["description"]
    assert not any(path.startswith("/manage") for path in paths)


# --- writes ---


async def test_a_vendor_creates_a_product_with_a_token(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    token, ids = await vendor_token(db)
    response = await client.post("/api/v1/products", json=new_product(ids["mine"]), headers=token)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["producer_id"], body["price_vnd"], body["expires_on"]) == (ids["mine"], 65000, "2028-05-10")
    assert await count(db, Product) == 3


async def test_a_session_user_writes_with_the_csrf_header(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    mine = await make_producer(db)
    mine_id = mine.id
    user = await make_user(db, role=Role.VENDOR, producer=mine)
    await login(client, user.email)
    refused = await client.post("/api/v1/products", json=new_product(mine_id))
    assert refused.status_code == 403
    assert refused.json()["error"] == "csrf"
    response = await client.post("/api/v1/products", json=new_product(mine_id), headers=csrf_headers(client))
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price_vnd": "abc"}, "price_vnd"),
        ({"price_vnd": 1.5}, "price_vnd"),
        ({"price_vnd": -5}, "price_vnd"),
        ({"price_vnd": "12,5"}, "price_vnd"),
        ({"price_vnd": None}, "price_vnd"),
        ({"stars": 7}, "stars"),
        ({"stars": "many"}, "stars"),
        ({"name_vi": ""}, "name_vi"),
        ({"name_vi": 42}, "name_vi"),
        ({"certified_on": "yesterday"}, "certified_on"),
        ({"producer_id": "abc"}, "producer_id"),
        ({"producer_id": 999999}, "producer_id"),
    ],
)
async def test_wrong_values_get_a_clear_422_and_create_nothing(
    client: AsyncTestClient[Any], db: AsyncSession, changes: dict[str, Any], field: str
) -> None:
    token, ids = await vendor_token(db)
    response = await client.post("/api/v1/products", json=new_product(ids["mine"], **changes), headers=token)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid"
    assert field in body["fields"]
    assert body["fields"][field]
    assert await count(db, Product) == 2


@pytest.mark.parametrize("content", [b"[1, 2]", b'"a string"', b"42", b"null", b"not json", b"{broken", b""])
async def test_a_body_that_is_not_a_json_object_is_a_bad_request(
    client: AsyncTestClient[Any], db: AsyncSession, content: bytes
) -> None:
    token, _ids = await vendor_token(db)
    response = await client.post(
        "/api/v1/products", content=content, headers={**token, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert await count(db, Product) == 2


async def test_another_producers_id_is_refused_and_changes_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    token, ids = await vendor_token(db)
    created = await client.post("/api/v1/products", json=new_product(ids["theirs"]), headers=token)
    assert created.status_code == 403
    assert created.json()["error"] == "forbidden"
    patched = await client.patch(
        f"/api/v1/products/{ids['their_product']}", json={"price_vnd": 1, "name_vi": "Của tôi"}, headers=token
    )
    assert patched.status_code == 404
    assert patched.json()["error"] == "not_found"
    product = await fetch_product(db, ids["their_product"])
    assert (product.name_vi, product.price_vnd) == ("Kẹo dừa của họ", 30000)
    assert await count(db, Product) == 2


async def test_patch_changes_only_the_fields_sent(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    token, ids = await vendor_token(db)
    response = await client.patch(
        f"/api/v1/products/{ids['my_product']}", json={"price_vnd": 50000}, headers=token
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name_vi"], body["price_vnd"], body["stars"]) == ("Kẹo dừa của tôi", 50000, 4)
    product = await fetch_product(db, ids["my_product"])
    assert product.price_vnd == 50000
    drinks = next(g for g in (await client.get("/api/v1/groups")).json() if g["code"] == "2.2")
    regrouped = await client.patch(
        f"/api/v1/products/{ids['my_product']}", json={"group_id": drinks["id"]}, headers=token
    )
    assert regrouped.json()["group_code"] == "2.2"


async def test_a_bad_patch_changes_nothing(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    token, ids = await vendor_token(db)
    response = await client.patch(
        f"/api/v1/products/{ids['my_product']}", json={"price_vnd": 1.5, "name_vi": "Tên mới"}, headers=token
    )
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"price_vnd"}
    product = await fetch_product(db, ids["my_product"])
    assert (product.name_vi, product.price_vnd) == ("Kẹo dừa của tôi", 45000)
    not_object = await client.patch(f"/api/v1/products/{ids['my_product']}", json=[1], headers=token)
    assert not_object.status_code == 400


async def test_anonymous_writes_get_401_json(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    producer_id = (await make_producer(db)).id
    await client.get("/catalog")  # the CSRF cookie, as a browser would have it
    response = await client.post(
        "/api/v1/products", json=new_product(producer_id), headers=csrf_headers(client)
    )
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
    bad_token = await client.post(
        "/api/v1/products", json=new_product(producer_id), headers={"Authorization": "Bearer nope"}
    )
    assert bad_token.status_code == 401
    assert await count(db, Product) == 0


async def test_organizers_register_producers_through_the_api(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    org = await make_organization(db)
    org_id = org.id
    organizer = await make_user(db, role=Role.ORGANIZER, organization=org)
    token = await api_token(db, organizer)
    body = {
        "name": "HTX Bưởi",
        "kind": "cooperative",
        "province_code": "Bến Tre",
        "latitude": 10.1,
        "longitude": 106.3,
    }
    response = await client.post("/api/v1/producers", json=body, headers=token)
    assert response.status_code == 201, response.text
    assert response.json()["province_code"] == 86
    producer = await db.get(Producer, response.json()["id"])
    assert producer is not None and producer.organization_id == org_id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"latitude": "north"}, "latitude"),
        ({"latitude": 48.85, "longitude": 2.35}, "latitude"),
        ({"name": ""}, "name"),
        ({"kind": 3}, "kind"),
        ({"province_code": 999}, "province_code"),
    ],
)
async def test_bad_producers_get_a_422_through_the_api(
    client: AsyncTestClient[Any], db: AsyncSession, changes: dict[str, Any], field: str
) -> None:
    organizer = await make_user(db, role=Role.ORGANIZER, organization=await make_organization(db))
    token = await api_token(db, organizer)
    body = {
        "name": "HTX Bưởi",
        "kind": "cooperative",
        "province_code": 86,
        "latitude": 10.1,
        "longitude": 106.3,
    }
    response = await client.post("/api/v1/producers", json={**body, **changes}, headers=token)
    assert response.status_code == 422
    assert field in response.json()["fields"]
    assert await count(db, Producer) == 0


async def test_a_vendor_may_not_register_producers(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    token, _ids = await vendor_token(db)
    body = {"name": "HTX Mới", "kind": "cooperative", "province_code": 86}
    response = await client.post("/api/v1/producers", json=body, headers=token)
    assert response.status_code == 403
    assert await count(db, Producer) == 2
