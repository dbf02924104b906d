"""A sale stays its cashier's when someone else's request delivers it: the register page signs a pass for
whoever opened it, every sale rung up there carries it, and the server honours it only when it signed it
for that register lately. Anything else (tampered, another register's, too old, the sender's own) leaves the
sale the sender's, and a pass never grants a discount its holder could not give."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.pos import rules
from app.pos.models import Register, Sale
from app.settings import get_settings
from tests.factories import login, pos_stock
from tests.web.test_pos_api import body, setup, snapshot


def secret(client: AsyncTestClient[Litestar]) -> str:
    """The key the app signs with (as `app.web.app_settings` finds it)."""
    found = client.app.state.get("settings")
    return str((found or get_settings()).secret_key)


async def page_pass(client: AsyncTestClient[Litestar], email: str, register_id: int) -> str:
    """The pass in the register page that `email` opens (logged in with a cookie session)."""
    await login(client, email)
    page = await client.get(f"/pos/registers/{register_id}")
    assert page.status_code == 200, page.text
    found = re.search(r'<script type="application/json" id="register-data">(.*?)</script>', page.text, re.S)
    assert found is not None
    return str(json.loads(found.group(1))["cashier_pass"])


async def stored(db: AsyncSession, sale_id: str) -> Sale:
    await db.rollback()
    sale = await db.scalar(select(Sale).where(Sale.uuid == uuid.UUID(sale_id)))
    assert sale is not None
    return sale


async def test_the_register_page_signs_a_pass_for_whoever_opened_it(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    token = await page_pass(client, "cashier@htx.vn", ids["register"])
    now = dt.datetime.now(dt.UTC)
    found = rules.read_cashier_pass(token, secret(client), ids["register"], now)
    assert found is not None
    assert (found.user_id, found.register_id, found.may_discount) == (ids["cashier"], ids["register"], False)
    vendor_pass = await page_pass(client, "vendor@htx.vn", ids["register"])
    vendor = rules.read_cashier_pass(vendor_pass, secret(client), ids["register"], now)
    assert vendor is not None and (vendor.user_id, vendor.may_discount) == (ids["vendor"], True)


async def test_a_sale_sent_by_someone_else_stays_its_cashiers(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    """The cashier rang it up; the vendor, logged in on the phone later, sent it from the outbox."""
    ids = await setup(db)
    await db.execute(update(User).where(User.id == ids["cashier"]).values(name="Chị Lan Thu Ngân"))
    await db.execute(update(User).where(User.id == ids["vendor"]).values(name="Anh Tâm Chủ Gian"))
    await db.commit()
    token = await page_pass(client, "cashier@htx.vn", ids["register"])
    sent = await client.post(
        "/api/v1/sales", json=body(ids, cashier_pass=token, offline=True), headers=ids["vendor_h"]
    )
    assert sent.status_code == 201, sent.text
    sale = await stored(db, sent.json()["id"])
    assert (sale.cashier_id, sale.sent_by_id) == (ids["cashier"], ids["vendor"])

    shown = await client.get(f"/pos/sales/{sale.uuid}", headers={"Accept-Language": "en"})
    assert shown.status_code == 200
    assert "Cashier: Chị Lan Thu Ngân · sent from the register's outbox by Anh Tâm Chủ Gian" in shown.text
    history = await client.get(f"/pos/sales?location={ids['location']}")
    assert "Chị Lan Thu Ngân" in history.text

    # Sent again (the answer was lost): the same sale, nothing changed.
    again = await client.post(
        "/api/v1/sales",
        json=body(ids, id=str(sale.uuid), cashier_pass=token, offline=True),
        headers=ids["vendor_h"],
    )
    assert again.status_code == 200 and again.json()["receipt_no"] == sent.json()["receipt_no"]


async def test_a_pass_the_server_does_not_honour_leaves_the_sale_the_senders(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    key = secret(client)
    now = dt.datetime.now(dt.UTC)
    other_register = Register(location_id=ids["location"], name="Quầy phụ")
    db.add(other_register)
    await db.commit()
    await pos_stock(db, ids["candy"], ids["location"], 20)
    good = rules.cashier_pass(ids["cashier"], ids["register"], False, now, key)
    refused = {
        "tampered": good.replace(f"{ids['cashier']}.", f"{ids['other_vendor']}.", 1),
        "signed by another key": rules.cashier_pass(ids["cashier"], ids["register"], False, now, "other"),
        "another register's": rules.cashier_pass(ids["cashier"], other_register.id, False, now, key),
        "too old": rules.cashier_pass(
            ids["cashier"],
            ids["register"],
            False,
            now - dt.timedelta(days=rules.CASHIER_PASS_DAYS, hours=1),
            key,
        ),
        "garbage": "not a pass",
        "the sender's own": rules.cashier_pass(ids["vendor"], ids["register"], False, now, key),
    }
    for what, token in refused.items():
        sent = await client.post("/api/v1/sales", json=body(ids, cashier_pass=token), headers=ids["vendor_h"])
        assert sent.status_code == 201, (what, sent.text)
        sale = await stored(db, sent.json()["id"])
        assert (sale.cashier_id, sale.sent_by_id) == (ids["vendor"], None), what


async def test_a_pass_grants_no_discount_its_holder_could_not_give(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    key = secret(client)
    now = dt.datetime.now(dt.UTC)
    discounted = {"discount_vnd": 10_000, "payments": [{"method": "cash", "amount_vnd": 80_000}]}
    cashier_pass = rules.cashier_pass(ids["cashier"], ids["register"], False, now, key)
    before = await snapshot(db)
    # A cashier's discounted sale is refused even when a vendor's request carries it.
    refused = await client.post(
        "/api/v1/sales", json=body(ids, cashier_pass=cashier_pass, **discounted), headers=ids["vendor_h"]
    )
    assert refused.status_code == 403
    assert await snapshot(db) == before
    # The vendor's discounted sale, sent later by the cashier, is accepted as the vendor's.
    vendor_pass = rules.cashier_pass(ids["vendor"], ids["register"], True, now, key)
    sent = await client.post(
        "/api/v1/sales", json=body(ids, cashier_pass=vendor_pass, **discounted), headers=ids["cashier_h"]
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["total_vnd"] == 80_000
    sale = await stored(db, sent.json()["id"])
    assert (sale.cashier_id, sale.sent_by_id) == (ids["vendor"], ids["cashier"])


async def test_a_pass_gives_no_right_to_sell_at_another_place(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    """The sender must be allowed to sell at the place: a pass of its cashier does not let anyone else in."""
    ids = await setup(db)
    token = rules.cashier_pass(ids["cashier"], ids["register"], True, dt.datetime.now(dt.UTC), secret(client))
    before = await snapshot(db)
    sent = await client.post("/api/v1/sales", json=body(ids, cashier_pass=token), headers=ids["other_h"])
    assert sent.status_code == 403
    assert await snapshot(db) == before


async def test_an_oversized_pass_is_a_400_and_writes_nothing(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    before = await snapshot(db)
    for bad in ("x" * 201, 12345, ["a"]):
        sent: Any = await client.post(
            "/api/v1/sales", json=body(ids, cashier_pass=bad), headers=ids["vendor_h"]
        )
        assert sent.status_code == 400, sent.text
        assert "cashier_pass" in sent.text
    assert await snapshot(db) == before
