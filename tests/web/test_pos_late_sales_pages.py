"""Sales synced after their shift closed: the shift API, the shift page and the Z report page show them in an
addendum, and the Z report as issued is unchanged."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.asgi import create_app
from app.pos.models import Shift
from tests.factories import api_token, login, pos_shop
from tests.web.test_pos_api import with_pos


@pytest.fixture
def app(database: str) -> Litestar:
    return with_pos(create_app())


async def test_the_shift_pages_and_api_show_sales_synced_after_closing(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    shop = await pos_shop(db, stock=5)
    ids: dict[str, Any] = {k: v.id for k, v in shop.items()}
    headers = await api_token(db, shop["cashier"])
    opened = await client.post(
        f"/api/v1/registers/{ids['register']}/shifts", json={"opening_float_vnd": 100_000}, headers=headers
    )
    assert opened.status_code == 201, opened.text
    shift_id = opened.json()["shift_id"]
    await db.execute(
        update(Shift)
        .where(Shift.id == shift_id)
        .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
        .execution_options(synchronize_session=False)
    )
    await db.commit()
    closed = await client.post(
        f"/api/v1/shifts/{shift_id}/close", json={"counted_cash_vnd": 145_000}, headers=headers
    )
    assert closed.status_code == 200, closed.text
    issued = closed.json()
    assert issued["difference_vnd"] == 45_000 and issued["late_sales"] is None

    rung_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    synced = await client.post(
        "/api/v1/sales",
        json={
            "id": str(uuid.uuid4()),
            "location_id": ids["location"],
            "register_id": ids["register"],
            "lines": [{"product_id": ids["candy"], "quantity": 1}],
            "payments": [{"method": "cash", "amount_vnd": 45_000, "tendered_vnd": 50_000}],
            "offline": True,
            "created_at": rung_at.isoformat(),
        },
        headers=headers,
    )
    assert synced.status_code == 201, synced.text

    report = (await client.get(f"/api/v1/shifts/{shift_id}", headers=headers)).json()
    late = report.pop("late_sales")
    assert report == {k: v for k, v in issued.items() if k != "late_sales"}  # as issued
    assert late == {
        "sales_count": 1,
        "sales_total_vnd": 45_000,
        "cash_vnd": 45_000,
        "difference_after_vnd": 0,
        "by_method": {
            "cash": {"sales_vnd": 45_000, "payments": 1, "refunds_vnd": 0, "refunds": 0, "net_vnd": 45_000}
        },
    }

    client.cookies.clear()
    await login(client, "cashier@htx.vn")
    page = await client.get(f"/pos/registers/{ids['register']}/shift")
    assert page.status_code == 200
    assert 'class="late-sales"' in page.text and "Đơn bán đồng bộ sau khi đóng ca" in page.text
    assert "45.000" in page.text
    z = await client.get(f"/pos/shifts/{shift_id}/z")
    assert z.status_code == 200
    addendum = z.text.split('id="late-sales"', 1)[1]
    assert "Đơn bán đồng bộ sau khi đóng ca" in addendum
    for figure in ("45.000", "0 ₫"):
        assert figure in addendum, figure
    before = z.text.split('id="late-sales"', 1)[0]
    assert "+45.000" in before  # the issued report still shows the surplus as counted
