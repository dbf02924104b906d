"""The sale API over HTTP: 201 then 200 on replay, the exact error shapes, bad bodies that change nothing,
who may act on every endpoint, shifts and the Z report, refunds, Bearer and session auth, OpenAPI."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.asgi import create_app
from app.inventory.models import StockMovement
from app.inventory.services import StockService
from app.payments.models import Payment
from app.pos.controllers import PosApiController, PosController, ReceiptController
from app.pos.models import Refund, Sale, Shift
from tests.factories import api_token, csrf_headers, login, make_user, pos_shop


def with_pos(app: Litestar) -> Litestar:
    """Register the POS controllers (and the inventory API the register reads) unless app/asgi.py already
    lists them."""
    controllers: list[tuple[str, Any]] = [
        ("api:sale_create", PosApiController),
        ("pos:home", PosController),
        ("pos:receipt", ReceiptController),
    ]
    try:
        from app.inventory.controllers import InventoryApiController

        controllers.append(("api:location_stock", InventoryApiController))
    except ImportError:  # the inventory pages are built alongside
        pass
    registered = {handler.name for route in app.routes for handler in route.route_handlers}
    for name, controller in controllers:
        if name not in registered:
            app.register(controller)
    return app


@pytest.fixture
def app(database: str) -> Litestar:
    return with_pos(create_app())


async def setup(db: AsyncSession) -> dict[str, Any]:
    shop = await pos_shop(db, stock=5)
    ids = {k: v.id for k, v in shop.items()}
    ids["vendor_h"] = await api_token(db, shop["vendor"])
    ids["cashier_h"] = await api_token(db, shop["cashier"])
    ids["other_h"] = await api_token(db, shop["other_vendor"])
    return ids


def body(ids: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "location_id": ids["location"],
        "register_id": ids["register"],
        "lines": [{"product_id": ids["candy"], "quantity": 2}],
        "payments": [{"method": "cash", "amount_vnd": 90_000, "tendered_vnd": 100_000}],
    }
    data.update(changes)
    return data


async def snapshot(db: AsyncSession) -> tuple[int, ...]:
    await db.rollback()
    return tuple(
        [
            int(await db.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Sale, Payment, StockMovement, Refund, Shift)
        ]
    )


async def on_hand(db: AsyncSession, product_id: int, location_id: int) -> int:
    await db.rollback()
    return await StockService(db).on_hand(product_id, location_id)


# --- ringing up ---


async def test_a_sale_answers_201_then_200_with_the_same_body(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    data = body(ids, locale="en", created_at="2026-11-22T09:15:00+07:00")
    first = await client.post("/api/v1/sales", json=data, headers=ids["cashier_h"])
    assert first.status_code == 201, first.text
    sale = first.json()
    assert sale["id"] == data["id"]
    assert (sale["receipt_no"], sale["register_id"], sale["total_vnd"]) == (1, ids["register"], 90_000)
    assert (sale["paid_vnd"], sale["change_vnd"], sale["status"], sale["had_shortfall"]) == (
        100_000,
        10_000,
        "completed",
        False,
    )
    assert sale["lines"] == [
        {
            "line_no": 1,
            "product_id": ids["candy"],
            "combo_id": None,
            "name": "Coconut candy",
            "quantity": 2,
            "unit_price_vnd": 45_000,
            "discount_vnd": 0,
            "total_vnd": 90_000,
            "refunded_quantity": 0,
        }
    ]
    assert sale["payments"][0] == {
        "method": "cash",
        "amount_vnd": 90_000,
        "tendered_vnd": 100_000,
        "change_vnd": 10_000,
        "status": "succeeded",
        "reference": "",
    }
    assert sale["receipt_url"].endswith(f"/receipts/{data['id']}")
    before = await snapshot(db)
    again = await client.post("/api/v1/sales", json=data, headers=ids["cashier_h"])
    assert again.status_code == 200
    assert again.json() == sale
    changed = await client.post(
        "/api/v1/sales",
        json={**data, "lines": [{"product_id": ids["oil"], "quantity": 5}]},
        headers=ids["cashier_h"],
    )
    assert changed.status_code == 200 and changed.json() == sale
    assert await snapshot(db) == before
    read = await client.get(f"/api/v1/sales/{data['id']}", headers=ids["vendor_h"])
    assert read.status_code == 200 and read.json() == sale


async def test_the_same_sale_posted_twice_at_once(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    data = body(ids)
    before = await snapshot(db)
    first, second = await asyncio.gather(
        client.post("/api/v1/sales", json=data, headers=ids["cashier_h"]),
        client.post("/api/v1/sales", json=data, headers=ids["cashier_h"]),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 201], (first.text, second.text)
    assert first.json() == second.json()
    after = await snapshot(db)
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1, 0, 0]
    assert await on_hand(db, ids["candy"], ids["location"]) == 3


async def test_combo_split_payment_and_default_register(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    data = body(
        ids,
        register_id=None,
        lines=[{"combo_id": ids["combo"], "quantity": 1}, {"product_id": ids["oil"], "quantity": 1}],
        payments=[{"method": "vietqr", "amount_vnd": 200_000}, {"method": "cash", "amount_vnd": 100_000}],
    )
    response = await client.post("/api/v1/sales", json=data, headers=ids["vendor_h"])
    assert response.status_code == 201, response.text
    sale = response.json()
    assert sale["total_vnd"] == 300_000 and sale["change_vnd"] == 0
    assert sale["register_id"] == ids["register"]  # the place's first register
    assert [p["method"] for p in sale["payments"]] == ["vietqr", "cash"]
    assert sale["payments"][0]["reference"] == sale["reference"]
    assert await on_hand(db, ids["candy"], ids["location"]) == 3
    assert await on_hand(db, ids["oil"], ids["location"]) == 3


async def test_not_enough_stock_is_a_409_and_writes_nothing(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    before = await snapshot(db)
    data = body(
        ids,
        lines=[{"product_id": ids["candy"], "quantity": 6}],
        payments=[{"method": "cash", "amount_vnd": 270_000}],
    )
    response = await client.post("/api/v1/sales", json=data, headers=ids["cashier_h"])
    assert response.status_code == 409
    error = response.json()
    assert error["error"] == "insufficient_stock"
    assert (error["product_id"], error["available"]) == (ids["candy"], 5)
    assert "Kẹo dừa sáp" in error["detail"]
    assert await snapshot(db) == before
    assert await on_hand(db, ids["candy"], ids["location"]) == 5
    # offline, the same sale is accepted and flagged
    offline = await client.post("/api/v1/sales", json={**data, "offline": True}, headers=ids["cashier_h"])
    assert offline.status_code == 201
    assert offline.json()["had_shortfall"] is True
    assert await on_hand(db, ids["candy"], ids["location"]) == 0


async def test_payments_short_of_the_total_are_a_422_with_fields(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    before = await snapshot(db)
    response = await client.post(
        "/api/v1/sales",
        json=body(ids, payments=[{"method": "cash", "amount_vnd": 80_000}]),
        headers={**ids["cashier_h"], "Accept-Language": "vi"},
    )
    assert response.status_code == 422
    error = response.json()
    assert error["error"] == "invalid" and "payments" in error["fields"]
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lines": [{"product_id": 999_999, "quantity": 1}]}, "lines[0].product_id"),
        ({"lines": [{"combo_id": 999_999, "quantity": 1}]}, "lines[0].combo_id"),
        ({"lines": [{"quantity": 1}]}, "lines[0]"),
        ({"register_id": 999_999}, "register_id"),
        ({"payments": [{"method": "vietqr", "amount_vnd": 100_000}]}, "payments"),
        ({"lines": [{"product_id": 0, "quantity": 1}]}, None),
    ],
)
async def test_sales_that_break_a_rule_are_refused_and_write_nothing(
    client: AsyncTestClient[Litestar], db: AsyncSession, changes: dict[str, Any], field: str | None
) -> None:
    ids = await setup(db)
    before = await snapshot(db)
    response = await client.post("/api/v1/sales", json=body(ids, **changes), headers=ids["vendor_h"])
    assert response.status_code in (400, 422), response.text
    if field is not None:
        assert response.status_code == 422 and field in response.json()["fields"]
    assert await snapshot(db) == before


BAD_BODIES: list[tuple[str, Any]] = [
    ("not json", b"{not json"),
    ("empty", b""),
    ("array", [1, 2]),
    ("empty object", {}),
    ("no lines", "DROP:lines"),
    ("no lines at all", {"lines": []}),
    ("quantity 0", {"lines": [{"product_id": "CANDY", "quantity": 0}]}),
    ("quantity 1.5", {"lines": [{"product_id": "CANDY", "quantity": 1.5}]}),
    ("quantity negative", {"lines": [{"product_id": "CANDY", "quantity": -2}]}),
    ("quantity text", {"lines": [{"product_id": "CANDY", "quantity": "two"}]}),
    ("amount abc", {"payments": [{"method": "cash", "amount_vnd": "abc"}]}),
    ("amount 0", {"payments": [{"method": "cash", "amount_vnd": 0}]}),
    ("amount float", {"payments": [{"method": "cash", "amount_vnd": 90000.5}]}),
    ("unknown method", {"payments": [{"method": "bitcoin", "amount_vnd": 90000}]}),
    ("id not a uuid", {"id": "sale-1"}),
    ("location text", {"location_id": "A12"}),
    ("location bool", {"location_id": True}),
    ("offline text", {"offline": "yes"}),
    ("discount negative", {"discount_vnd": -1}),
    ("lines not a list", {"lines": {"product_id": 1}}),
    ("created_at garbage", {"created_at": "yesterday"}),
    ("locale other", {"locale": "fr"}),
]


async def test_malformed_bodies_get_a_clear_4xx_and_change_nothing(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    before = await snapshot(db)
    headers = {**ids["vendor_h"], "Accept-Language": "en"}
    for name, change in BAD_BODIES:
        if isinstance(change, bytes):
            response = await client.post(
                "/api/v1/sales", content=change, headers={**headers, "Content-Type": "application/json"}
            )
        elif isinstance(change, list):
            response = await client.post("/api/v1/sales", json=change, headers=headers)
        else:
            data = body(ids)
            if change == "DROP:lines":
                data.pop("lines")
            elif change == {}:
                data = {}
            else:
                data.update(change)
                for line in data["lines"] if isinstance(data.get("lines"), list) else []:
                    if line.get("product_id") == "CANDY":
                        line["product_id"] = ids["candy"]
            response = await client.post("/api/v1/sales", json=data, headers=headers)
        assert 400 <= response.status_code < 500, (name, response.status_code, response.text)
        error = response.json()
        assert error["error"] in {"bad_request", "invalid"} and error["detail"], name
    assert await snapshot(db) == before


async def test_a_bad_body_names_the_member_that_is_wrong(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    data = body(ids, lines=[{"product_id": ids["candy"], "quantity": 1.5}])
    response = await client.post(
        "/api/v1/sales", json=data, headers={**ids["vendor_h"], "Accept-Language": "en"}
    )
    assert response.status_code == 400
    error = response.json()
    assert error["fields"] == {"lines[0].quantity": "a whole number is expected"}
    assert "lines[0].quantity" in error["detail"]
    missing = {k: v for k, v in body(ids).items() if k != "lines"}
    response = await client.post(
        "/api/v1/sales", json=missing, headers={**ids["vendor_h"], "Accept-Language": "en"}
    )
    assert response.status_code == 400 and "lines" in response.json()["fields"]


# --- who may act ---


async def test_a_vendor_cannot_sell_read_or_refund_at_another_producers_place(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    made = await client.post("/api/v1/sales", json=body(ids), headers=ids["vendor_h"])
    assert made.status_code == 201
    sale_id = made.json()["id"]
    before = await snapshot(db)
    other = ids["other_h"]
    sell = await client.post("/api/v1/sales", json=body(ids), headers=other)
    assert sell.status_code == 403 and sell.json()["error"] == "forbidden"
    replay = await client.post("/api/v1/sales", json=body(ids, id=sale_id), headers=other)
    assert replay.status_code == 403
    assert (await client.get(f"/api/v1/sales/{sale_id}", headers=other)).status_code == 404
    refund = await client.post(
        f"/api/v1/sales/{sale_id}/refunds", json={"id": str(uuid.uuid4()), "reason": "x"}, headers=other
    )
    assert refund.status_code == 404
    assert (
        await client.get(f"/api/v1/locations/{ids['location']}/registers", headers=other)
    ).status_code == 404
    created = await client.post(
        f"/api/v1/locations/{ids['location']}/registers", json={"name": "Quầy lạ"}, headers=other
    )
    assert created.status_code == 404
    opened = await client.post(
        f"/api/v1/registers/{ids['register']}/shifts", json={"opening_float_vnd": 0}, headers=other
    )
    assert opened.status_code == 404
    stock = await client.get(f"/api/v1/locations/{ids['location']}/stock", headers=other)
    assert stock.status_code in (403, 404)
    assert "on_hand" not in stock.text
    mine = await client.get(f"/api/v1/locations/{ids['location']}/stock", headers=ids["vendor_h"])
    assert mine.status_code == 200
    assert await snapshot(db) == before
    # and the same calls without any credentials
    assert (await client.post("/api/v1/sales", json=body(ids))).status_code == 401
    assert (await client.get(f"/api/v1/sales/{sale_id}")).status_code == 401


async def test_a_cashier_cannot_discount_or_refund(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    before = await snapshot(db)
    discounted = body(ids, discount_vnd=10_000, payments=[{"method": "cash", "amount_vnd": 80_000}])
    response = await client.post(
        "/api/v1/sales", json=discounted, headers={**ids["cashier_h"], "Accept-Language": "vi"}
    )
    assert response.status_code == 403
    assert "giảm giá" in response.json()["detail"].lower() or response.json()["detail"]
    line_discount = body(
        ids,
        lines=[{"product_id": ids["candy"], "quantity": 2, "discount_vnd": 5_000}],
        payments=[{"method": "cash", "amount_vnd": 85_000}],
    )
    assert (
        await client.post("/api/v1/sales", json=line_discount, headers=ids["cashier_h"])
    ).status_code == 403
    assert await snapshot(db) == before
    made = await client.post("/api/v1/sales", json=discounted, headers=ids["vendor_h"])
    assert made.status_code == 201 and made.json()["total_vnd"] == 80_000
    refund = await client.post(
        f"/api/v1/sales/{made.json()['id']}/refunds",
        json={"id": str(uuid.uuid4()), "reason": "x"},
        headers=ids["cashier_h"],
    )
    assert refund.status_code == 403
    assert (await snapshot(db))[3] == 0


async def test_an_admin_token_may_sell_anywhere(client: AsyncTestClient[Litestar], db: AsyncSession) -> None:
    ids = await setup(db)
    admin = await make_user(db, "admin@chophien.vn", role=Role.ADMIN)
    headers = await api_token(db, admin)
    data = body(
        ids,
        location_id=ids["other_location"],
        register_id=None,
        lines=[{"product_id": ids["other_product"], "quantity": 1}],
        payments=[{"method": "cash", "amount_vnd": 65_000}],
        discount_vnd=5_000,
    )
    data["payments"] = [{"method": "cash", "amount_vnd": 60_000}]
    response = await client.post("/api/v1/sales", json=data, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["register_name"] == "Quầy 1"


async def test_session_writes_need_the_csrf_token(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    await login(client, "vendor@htx.vn")
    before = await snapshot(db)
    refused = await client.post("/api/v1/sales", json=body(ids))
    assert refused.status_code == 403
    assert await snapshot(db) == before
    accepted = await client.post("/api/v1/sales", json=body(ids), headers=csrf_headers(client))
    assert accepted.status_code == 201


# --- refunds ---


async def test_refunds_over_http(client: AsyncTestClient[Litestar], db: AsyncSession) -> None:
    ids = await setup(db)
    data = body(
        ids,
        lines=[{"product_id": ids["candy"], "quantity": 3}, {"product_id": ids["oil"], "quantity": 1}],
        payments=[{"method": "cash", "amount_vnd": 255_000}],
        discount_vnd=10_000,
    )
    data["payments"] = [{"method": "cash", "amount_vnd": 245_000}]
    sale = (await client.post("/api/v1/sales", json=data, headers=ids["vendor_h"])).json()
    url = f"/api/v1/sales/{sale['id']}/refunds"
    refund = {"id": str(uuid.uuid4()), "reason": "Hộp móp", "lines": [{"line_no": 1, "quantity": 1}]}
    first = await client.post(url, json=refund, headers=ids["vendor_h"])
    assert first.status_code == 201, first.text
    out = first.json()
    # line 1: 135.000 of 255.000 bears 5.294 of the 10.000 discount → net 129.706, one of three = 43.235
    assert out["amount_vnd"] == 43_235
    assert out["lines"] == [{"line_no": 1, "name": "Kẹo dừa sáp", "quantity": 1, "amount_vnd": 43_235}]
    assert (out["sale_status"], out["method"], out["reason"]) == ("partly_refunded", "cash", "Hộp móp")
    before = await snapshot(db)
    again = await client.post(url, json=refund, headers=ids["vendor_h"])
    assert again.status_code == 200 and again.json() == out
    assert await snapshot(db) == before
    assert await on_hand(db, ids["candy"], ids["location"]) == 3
    for bad, status in [
        ({"id": str(uuid.uuid4())}, 422),  # no reason
        ({"id": str(uuid.uuid4()), "reason": "x", "lines": [{"line_no": 1, "quantity": 3}]}, 422),
        ({"id": str(uuid.uuid4()), "reason": "x", "lines": [{"line_no": 1, "quantity": 1.5}]}, 400),
        ({"id": "nope", "reason": "x"}, 400),
        ({"id": str(uuid.uuid4()), "reason": "x", "method": "gold"}, 400),
    ]:
        response = await client.post(url, json=bad, headers=ids["vendor_h"])
        assert response.status_code == status, (bad, response.text)
    assert await snapshot(db) == before
    rest = await client.post(
        url, json={"id": str(uuid.uuid4()), "reason": "Trả hết"}, headers=ids["vendor_h"]
    )
    assert rest.status_code == 201
    assert rest.json()["sale_status"] == "refunded"
    assert out["amount_vnd"] + rest.json()["amount_vnd"] == 245_000
    done = await client.post(url, json={"id": str(uuid.uuid4()), "reason": "x"}, headers=ids["vendor_h"])
    assert done.status_code == 409
    missing = await client.post(
        f"/api/v1/sales/{uuid.uuid4()}/refunds",
        json={"id": str(uuid.uuid4()), "reason": "x"},
        headers=ids["vendor_h"],
    )
    assert missing.status_code == 404


# --- registers and shifts ---


async def test_shifts_and_the_z_report_over_http(client: AsyncTestClient[Litestar], db: AsyncSession) -> None:
    ids = await setup(db)
    headers = ids["cashier_h"]
    opened = await client.post(
        f"/api/v1/registers/{ids['register']}/shifts", json={"opening_float_vnd": 200_000}, headers=headers
    )
    assert opened.status_code == 201, opened.text
    z = opened.json()
    assert (z["status"], z["expected_cash_vnd"], z["sales_count"]) == ("open", 200_000, 0)
    shift_id = z["shift_id"]
    again = await client.post(
        f"/api/v1/registers/{ids['register']}/shifts", json={"opening_float_vnd": 0}, headers=headers
    )
    assert again.status_code == 409
    registers = await client.get(f"/api/v1/locations/{ids['location']}/registers", headers=headers)
    assert registers.json()[0]["open_shift_id"] == shift_id
    await client.post("/api/v1/sales", json=body(ids), headers=headers)  # cash 90.000, handed 100.000
    await client.post(
        "/api/v1/sales",
        json=body(
            ids,
            lines=[{"product_id": ids["oil"], "quantity": 1}],
            payments=[{"method": "vietqr", "amount_vnd": 120_000}],
        ),
        headers=headers,
    )
    bad = await client.post(
        f"/api/v1/shifts/{shift_id}/close", json={"counted_cash_vnd": -1}, headers=headers
    )
    assert bad.status_code == 400
    closed = await client.post(
        f"/api/v1/shifts/{shift_id}/close", json={"counted_cash_vnd": 290_000}, headers=headers
    )
    assert closed.status_code == 200, closed.text
    z = closed.json()
    assert z["status"] == "closed"
    assert z["expected_cash_vnd"] == 200_000 + 100_000 - 10_000 == 290_000
    assert z["difference_vnd"] == 0
    assert z["by_method"]["vietqr"]["sales_vnd"] == 120_000
    assert z["sales_total_vnd"] == 210_000
    assert (await client.get(f"/api/v1/shifts/{shift_id}", headers=ids["vendor_h"])).json() == z
    assert (await client.get(f"/api/v1/shifts/{shift_id}", headers=ids["other_h"])).status_code == 404
    twice = await client.post(
        f"/api/v1/shifts/{shift_id}/close", json={"counted_cash_vnd": 1}, headers=headers
    )
    assert twice.status_code == 409
    added = await client.post(
        f"/api/v1/locations/{ids['location']}/registers", json={"name": "Quầy 2"}, headers=ids["vendor_h"]
    )
    assert added.status_code == 201 and added.json()["name"] == "Quầy 2"
    by_cashier = await client.post(
        f"/api/v1/locations/{ids['location']}/registers", json={"name": "Quầy 3"}, headers=headers
    )
    assert by_cashier.status_code == 404


async def test_the_api_is_in_the_openapi_schema(client: AsyncTestClient[Litestar]) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    for path in (
        "/api/v1/sales",
        "/api/v1/sales/{sale_id}",
        "/api/v1/sales/{sale_id}/refunds",
        "/api/v1/registers/{register_id}/shifts",
        "/api/v1/shifts/{shift_id}/close",
    ):
        assert path in paths, path
    post = paths["/api/v1/sales"]["post"]
    assert post["summary"] and {"201", "200", "409", "422"} <= set(post["responses"])
    components = schema["components"]["schemas"]
    assert any(name.endswith("SaleIn") for name in components)
    assert any(name.endswith("SaleOut") for name in components)
