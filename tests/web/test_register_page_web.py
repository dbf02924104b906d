"""The register page's knowledge of who may discount and refund, and its recent-sales list
(`GET /pos/registers/{id}/recent`): for those who sell at the place, JSON errors for everyone else."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.pos.models import Register
from tests.factories import api_token, login, pos_shop


async def setup(db: AsyncSession) -> dict[str, Any]:
    shop = await pos_shop(db, stock=20)
    ids: dict[str, Any] = {k: v.id for k, v in shop.items()}
    ids["vendor_h"] = await api_token(db, shop["vendor"])
    ids["cashier_h"] = await api_token(db, shop["cashier"])
    second = Register(location_id=shop["location"].id, name="Quầy phụ")
    db.add(second)
    await db.commit()
    ids["second_register"] = second.id
    return ids


async def sell(
    client: AsyncTestClient[Litestar], ids: dict[str, Any], headers: dict[str, str], **changes: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "location_id": ids["location"],
        "register_id": ids["register"],
        "lines": [{"product_id": ids["candy"], "quantity": 2}, {"combo_id": ids["combo"], "quantity": 1}],
        "payments": [{"method": "cash", "amount_vnd": 270_000}],
    }
    data.update(changes)
    response = await client.post("/api/v1/sales", json=data, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def page_data(html: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The register's boot JSON and its translated strings, as its script reads them."""
    boot = re.search(r'<script type="application/json" id="register-data">(.*?)</script>', html, re.S)
    strings = re.search(r'<script type="application/json" id="register-strings">(.*?)</script>', html, re.S)
    assert boot and strings
    return json.loads(boot.group(1)), json.loads(strings.group(1))


async def test_the_vendor_gets_discount_and_refund_controls(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    await login(client, "vendor@htx.vn")
    page = await client.get(f"/pos/registers/{ids['register']}", headers={"Accept-Language": "vi"})
    assert page.status_code == 200
    boot, strings = page_data(page.text)
    assert boot["can_discount"] is True and boot["can_refund"] is True
    assert boot["urls"]["recent"] == f"/pos/registers/{ids['register']}/recent"
    for element in ('id="reg-recent"', 'id="recent-sheet"', 'id="disc-sheet"', 'id="reg-order-btn"'):
        assert element in page.text, element
    assert strings["line_discount"] == "Giảm giá cho {name}"
    assert strings["refund_amount"] == "Hoàn tiền {amount}"


async def test_a_cashier_gets_neither(client: AsyncTestClient[Litestar], db: AsyncSession) -> None:
    ids = await setup(db)
    await login(client, "cashier@htx.vn")
    page = await client.get(f"/pos/registers/{ids['register']}")
    assert page.status_code == 200
    boot, strings = page_data(page.text)
    assert boot["can_discount"] is False and boot["can_refund"] is False
    for element in ("reg-recent", "recent-sheet", "disc-sheet", "reg-order", "refund-form"):
        assert f'id="{element}"' not in page.text, element
    assert "line_discount" not in strings and "refund_amount" not in strings


async def test_recent_sales_of_this_register_with_lines_and_what_each_line_cost(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    # 2 × 45.000 − 5.000 and a combo at 180.000, less 11.000 off the sale: 254.000.
    discounted = await sell(
        client,
        ids,
        ids["vendor_h"],
        lines=[
            {"product_id": ids["candy"], "quantity": 2, "discount_vnd": 5_000},
            {"combo_id": ids["combo"], "quantity": 1},
        ],
        discount_vnd=11_000,
        payments=[{"method": "cash", "amount_vnd": 254_000, "tendered_vnd": 300_000}],
    )
    assert discounted["total_vnd"] == 254_000
    later = await sell(client, ids, ids["cashier_h"])
    await sell(client, ids, ids["vendor_h"], register_id=ids["second_register"])  # another register's
    client.cookies.clear()

    await login(client, "vendor@htx.vn")
    response = await client.get(f"/pos/registers/{ids['register']}/recent")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["can_refund"] is True
    assert [s["id"] for s in body["sales"]] == [later["id"], discounted["id"]]  # newest first, this register
    sale = body["sales"][1]
    assert (sale["subtotal_vnd"], sale["discount_vnd"], sale["total_vnd"]) == (265_000, 11_000, 254_000)
    assert sale["status"] == "completed" and sale["refunded_vnd"] == 0
    lines = sale["lines"]
    assert [(li["line_no"], li["product_id"], li["combo_id"]) for li in lines] == [
        (1, ids["candy"], None),
        (2, None, ids["combo"]),
    ]
    assert [(li["quantity"], li["refunded_quantity"], li["discount_vnd"]) for li in lines] == [
        (2, 0, 5_000),
        (1, 0, 0),
    ]
    # The order discount shared as the server shares it: 11.000 × 85/265 and × 180/265, largest remainder.
    assert [li["net_vnd"] for li in lines] == [85_000 - 3_528, 180_000 - 7_472]
    assert sum(li["net_vnd"] for li in lines) == sale["total_vnd"]

    # A refund shows up in the list.
    refund = await client.post(
        f"/api/v1/sales/{discounted['id']}/refunds",
        json={"id": str(uuid.uuid4()), "reason": "Hộp móp", "lines": [{"line_no": 1, "quantity": 1}]},
        headers=ids["vendor_h"],
    )
    assert refund.status_code == 201, refund.text
    again = (await client.get(f"/pos/registers/{ids['register']}/recent")).json()["sales"][1]
    assert again["status"] == "partly_refunded"
    assert again["lines"][0]["refunded_quantity"] == 1
    assert again["refunded_vnd"] == refund.json()["amount_vnd"] == 40_736  # 81.472 // 2


async def test_a_cashier_sees_the_list_but_may_not_refund(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    sale = await sell(client, ids, ids["cashier_h"])
    client.cookies.clear()
    await login(client, "cashier@htx.vn")
    response = await client.get(f"/pos/registers/{ids['register']}/recent")
    assert response.status_code == 200
    body = response.json()
    assert body["can_refund"] is False
    assert [s["id"] for s in body["sales"]] == [sale["id"]]


async def test_another_vendor_or_nobody_gets_a_json_refusal(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    await sell(client, ids, ids["vendor_h"])
    client.cookies.clear()
    url = f"/pos/registers/{ids['register']}/recent"

    anonymous = await client.get(url, follow_redirects=False)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "not_authenticated"

    await login(client, "other@htx.vn")
    other = await client.get(url, headers={"Accept-Language": "vi"})
    assert other.status_code == 404
    assert other.json() == {"error": "not_found", "detail": "Quầy này không tồn tại."}
    assert "sales" not in other.text
    missing = await client.get("/pos/registers/999999/recent")
    assert missing.status_code == 404


async def test_the_offline_worker_precaches_the_refund_module(client: AsyncTestClient[Litestar]) -> None:
    worker = await client.get("/pos/sw.js")
    assert worker.status_code == 200
    assert "/static/js/register/refund.js?v=" in worker.text
