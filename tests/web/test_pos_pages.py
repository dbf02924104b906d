"""The register's pages: registers list, shift open/close and the Z report, sales history, a sale with its
refund form, the day report, and the public receipt (the shopper's language, 80 mm print, QR)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.asgi import create_app
from app.pos import rules
from app.pos.models import Refund
from app.settings import get_settings
from tests.factories import api_token, csrf_headers, login, pos_shop
from tests.web.test_pos_api import with_pos


@pytest.fixture
def app(database: str) -> Litestar:
    return with_pos(create_app())


async def setup(db: AsyncSession) -> dict[str, Any]:
    shop = await pos_shop(db, stock=5)
    ids: dict[str, Any] = {k: v.id for k, v in shop.items()}
    ids["vendor_h"] = await api_token(db, shop["vendor"])
    return ids


async def sell(client: AsyncTestClient[Litestar], ids: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "location_id": ids["location"],
        "register_id": ids["register"],
        "lines": [{"product_id": ids["candy"], "quantity": 2}, {"combo_id": ids["combo"], "quantity": 1}],
        "payments": [{"method": "cash", "amount_vnd": 270_000, "tendered_vnd": 300_000}],
    }
    data.update(changes)
    response = await client.post("/api/v1/sales", json=data, headers=ids["vendor_h"])
    assert response.status_code == 201, response.text
    client.cookies.clear()
    return dict(response.json())


def no_raw_enums(html: str) -> None:
    """No stored value shown as it is (`partly_refunded`, a lone `cash`): every enum goes through a label."""
    visible = re.sub(r"<[^>]+>", "|", html)
    for raw in ("partly_refunded", "completed", "refunded", "vietqr", "cash", "booth", "open", "closed"):
        assert not re.search(r"\|\s*" + raw + r"\s*[|:]", visible), raw
    assert "partly_refunded" not in visible


async def test_pos_home_lists_where_i_may_sell_with_links_to_the_register(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    await login(client, "cashier@htx.vn")
    page = await client.get("/pos")
    assert page.status_code == 200
    assert "Gian A12 — Hội chợ OCOP" in page.text and "Gian B3" not in page.text
    assert f'href="/pos/registers/{ids["register"]}"' in page.text
    assert f'href="/pos/registers/{ids["register"]}/shift"' in page.text
    assert "/pos/locations/" not in page.text  # a cashier adds no registers
    no_raw_enums(page.text)


async def test_a_vendor_adds_a_register(client: AsyncTestClient[Litestar], db: AsyncSession) -> None:
    ids = await setup(db)
    await login(client, "vendor@htx.vn")
    await client.get("/pos")
    response = await client.post(
        f"/pos/locations/{ids['location']}/registers",
        data={"name": "Quầy 2"},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "Quầy 2" in (await client.get("/pos")).text
    await login(client, "other@htx.vn")
    await client.get("/pos")
    refused = await client.post(
        f"/pos/locations/{ids['location']}/registers",
        data={"name": "Quầy 3"},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert refused.status_code == 404


async def test_open_sell_close_and_print_the_z_report(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    await login(client, "cashier@htx.vn")
    url = f"/pos/registers/{ids['register']}/shift"
    page = await client.get(url)
    assert page.status_code == 200 and 'action="' + url + '/open"' in page.text
    bad = await client.post(
        url + "/open", data={"opening_float_vnd": "năm trăm"}, headers=csrf_headers(client)
    )
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    opened = await client.post(
        url + "/open",
        data={"opening_float_vnd": "500.000"},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert opened.status_code == 303
    page = await client.get(url)
    assert 'action="' + url + '/close"' in page.text and "500.000" in page.text
    cookies = dict(client.cookies)
    await sell(client, ids)
    for name, value in cookies.items():
        client.cookies.set(name, value)
    page = await client.get(url)
    assert "770.000" in page.text  # expected: 500.000 + 300.000 − 30.000
    closed = await client.post(
        url + "/close",
        data={"counted_cash_vnd": "768.000"},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert closed.status_code == 303
    z_url = closed.headers["location"]
    assert re.fullmatch(r"/pos/shifts/\d+/z", z_url)
    z = await client.get(z_url)
    assert z.status_code == 200
    for figure in ("500.000", "300.000", "30.000", "770.000", "768.000", "−2.000", "270.000"):
        assert figure in z.text, figure
    assert "@page" in z.text and "80mm" in z.text
    no_raw_enums(z.text)
    await login(client, "other@htx.vn")
    assert (await client.get(z_url)).status_code == 404
    assert (await client.get(url)).status_code == 404


async def test_history_filters_and_fragments(client: AsyncTestClient[Litestar], db: AsyncSession) -> None:
    ids = await setup(db)
    sale = await sell(client, ids)
    await login(client, "vendor@htx.vn")
    page = await client.get(f"/pos/sales?location={ids['location']}")
    assert page.status_code == 200 and f"/pos/sales/{sale['id']}" in page.text
    assert "Quầy chính #1" in page.text and "270.000" in page.text
    fragment = await client.get(
        f"/pos/sales?location={ids['location']}", headers={"HX-Request": "true", "HX-Target": "sale_rows"}
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text and sale["id"] in fragment.text
    empty = await client.get("/pos/sales?date=2001-01-01")
    assert sale["id"] not in empty.text
    no_raw_enums(page.text)
    await login(client, "other@htx.vn")
    theirs = await client.get(f"/pos/sales?location={ids['location']}")
    assert theirs.status_code == 200 and sale["id"] not in theirs.text
    assert (await client.get(f"/pos/sales/{sale['id']}")).status_code == 404


async def test_refund_from_the_sale_page(client: AsyncTestClient[Litestar], db: AsyncSession) -> None:
    ids = await setup(db)
    sale = await sell(client, ids)
    await login(client, "cashier@htx.vn")
    cashier_view = await client.get(f"/pos/sales/{sale['id']}")
    assert cashier_view.status_code == 200 and "refund_form" not in cashier_view.text
    await login(client, "vendor@htx.vn")
    page = await client.get(f"/pos/sales/{sale['id']}")
    assert 'id="refund_form"' in page.text
    refund_id = re.search(r'name="refund_id" value="([^"]+)"', page.text)
    assert refund_id
    form = {
        "refund_id": refund_id.group(1),
        "reason": "",
        "method": "cash",
        "line_no": ["1", "2"],
        "quantity": ["1", "0"],
    }
    missing_reason = await client.post(
        f"/pos/sales/{sale['id']}/refund",
        data=form,
        headers={**csrf_headers(client), "HX-Request": "true", "HX-Target": "refund_form"},
    )
    assert missing_reason.status_code == 422 and "<html" not in missing_reason.text
    assert 'aria-invalid="true"' in missing_reason.text
    form["reason"] = "Hộp móp"
    for _ in range(2):  # a double click refunds once
        done = await client.post(
            f"/pos/sales/{sale['id']}/refund", data=form, headers=csrf_headers(client), follow_redirects=False
        )
        assert done.status_code == 303
    await db.rollback()
    refunds = (await db.scalars(select(Refund))).all()
    assert len(refunds) == 1 and refunds[0].amount_vnd == 45_000
    page = await client.get(f"/pos/sales/{sale['id']}")
    assert "Hộp móp" in page.text
    assert "Đã hoàn một phần" in page.text or "Partly refunded" in page.text
    no_raw_enums(page.text)
    assert await db.scalar(select(func.count()).select_from(Refund)) == 1


async def test_the_day_report(client: AsyncTestClient[Litestar], db: AsyncSession) -> None:
    ids = await setup(db)
    await sell(client, ids)
    await sell(
        client,
        ids,
        lines=[{"product_id": ids["oil"], "quantity": 1}],
        payments=[{"method": "vietqr", "amount_vnd": 120_000}],
    )
    await login(client, "vendor@htx.vn")
    page = await client.get(f"/pos/reports/day?location={ids['location']}")
    assert page.status_code == 200
    for text in ("390.000", "Hộp quà dừa", "Kẹo dừa sáp", "Dầu dừa", "270.000", "120.000", ":00"):
        assert text in page.text, text
    no_raw_enums(page.text)
    fragment = await client.get(
        f"/pos/reports/day?location={ids['location']}&date=2001-01-01",
        headers={"HX-Request": "true", "HX-Target": "day_report"},
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text and "390.000" not in fragment.text
    await login(client, "other@htx.vn")
    assert (await client.get(f"/pos/reports/day?location={ids['location']}")).status_code == 404


async def test_the_day_report_shows_each_cashiers_sales(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    """Who rang up what: the cashier's sale (sent later by the vendor from the phone's outbox) counts for
    the cashier, the vendor's own for the vendor."""
    ids = await setup(db)
    await db.execute(update(User).where(User.id == ids["cashier"]).values(name="Chị Lan"))
    await db.execute(update(User).where(User.id == ids["vendor"]).values(name="Anh Tâm"))
    await db.commit()
    key = client.app.state.get("settings") or get_settings()
    cashier_pass = rules.cashier_pass(
        ids["cashier"], ids["register"], False, dt.datetime.now(dt.UTC), key.secret_key
    )
    await sell(client, ids, cashier_pass=cashier_pass)  # 270.000 ₫, sent with the vendor's token
    await sell(
        client,
        ids,
        lines=[{"product_id": ids["oil"], "quantity": 1}],
        payments=[{"method": "cash", "amount_vnd": 120_000}],
    )
    await login(client, "vendor@htx.vn")
    page = await client.get(f"/pos/reports/day?location={ids['location']}")
    assert page.status_code == 200
    section = page.text.split("Theo thu ngân", 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td><td class=\"num\">([^<]+)</td></tr>", section
    )
    assert rows == [("Chị Lan", "1", "270.000 ₫"), ("Anh Tâm", "1", "120.000 ₫")]


async def test_the_public_receipt(client: AsyncTestClient[Litestar], db: AsyncSession) -> None:
    ids = await setup(db)
    sale = await sell(client, ids, locale="en")
    url = f"/receipts/{sale['id']}"
    page = await client.get(url)  # anonymous, no language chosen: the sale's language
    assert page.status_code == 200
    assert 'lang="en"' in page.text and "Receipt #1" in page.text and "Change" in page.text
    assert "Coconut candy" in page.text and "HTX Dừa Giồng Trôm" in page.text
    assert "300.000" in page.text or "300,000" in page.text
    assert "<svg" in page.text and "80mm" in page.text
    assert "Quầy chính" in page.text
    assert page.headers["cache-control"] == "private, no-store"
    no_raw_enums(page.text)
    client.cookies.set("lang", "vi")  # the viewer switched language
    vietnamese = await client.get(url)
    assert 'lang="vi"' in vietnamese.text
    client.cookies.clear()
    assert (await client.get(f"/receipts/{uuid.uuid4()}")).status_code == 404
    assert (await client.get("/receipts/not-a-uuid")).status_code in (400, 404)


async def test_the_shortfall_note_is_hidden_from_shoppers(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    sale = await sell(
        client,
        ids,
        offline=True,
        lines=[{"product_id": ids["candy"], "quantity": 9}],
        payments=[{"method": "cash", "amount_vnd": 405_000}],
    )
    assert sale["had_shortfall"]
    shopper = await client.get(f"/receipts/{sale['id']}")
    assert shopper.status_code == 200 and "alert-info" not in shopper.text
    await login(client, "vendor@htx.vn")
    staff = await client.get(f"/receipts/{sale['id']}")
    assert "alert-info" in staff.text
