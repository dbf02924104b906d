"""Shifts and the Z report; sales history and the day report."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, NotFound, ValidationFailed
from app.pos import rules
from app.pos.models import Shift, ShiftStatus
from app.pos.schemas import PaymentIn, RefundIn, RefundLineIn, SaleIn, SaleLineIn
from app.pos.services import (
    RefundService,
    RegisterService,
    SaleFilters,
    SaleQueries,
    SaleService,
    ShiftService,
)
from tests.factories import pos_actor, pos_shop


def sale(ids: dict[str, int], lines: list[SaleLineIn], payments: list[PaymentIn], **extra: Any) -> SaleIn:
    return SaleIn(
        id=uuid.uuid4(),
        location_id=ids["location"],
        register_id=extra.pop("register_id", ids["register"]),
        lines=lines,
        payments=payments,
        **extra,
    )


async def test_a_shift_from_float_to_z_report(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    ids = {k: v.id for k, v in shop.items()}
    vendor = await pos_actor(db, shop["vendor"])
    cashier = await pos_actor(db, shop["cashier"])
    opened = await ShiftService(db).open(cashier, ids["register"], 500_000)
    await db.commit()
    shift_id = opened.shift.id
    assert opened.report["expected_cash_vnd"] == 500_000 and opened.report["status"] == "open"
    with pytest.raises(Conflict):
        await ShiftService(db).open(vendor, ids["register"], 0)
    await db.rollback()

    sales = SaleService(db)
    first = await sales.ring_up(
        cashier,
        sale(
            ids,
            [SaleLineIn(quantity=3, product_id=ids["candy"])],
            [PaymentIn(method="cash", amount_vnd=135_000, tendered_vnd=200_000)],
        ),
    )
    await sales.ring_up(
        vendor,
        sale(
            ids,
            [SaleLineIn(quantity=2, product_id=ids["candy"])],
            [PaymentIn(method="cash", amount_vnd=80_000, tendered_vnd=100_000)],
            discount_vnd=10_000,
        ),
    )
    await sales.ring_up(
        cashier,
        sale(
            ids,
            [SaleLineIn(quantity=1, product_id=ids["oil"]), SaleLineIn(quantity=3, product_id=ids["candy"])],
            [PaymentIn(method="vietqr", amount_vnd=200_000), PaymentIn(method="cash", amount_vnd=55_000)],
        ),
    )
    await db.commit()
    assert first.sale.shift_id == shift_id
    await RefundService(db).refund(
        vendor,
        first.sale.uuid,
        RefundIn(id=uuid.uuid4(), reason="Khách trả 1 hộp", lines=[RefundLineIn(quantity=1, line_no=1)]),
    )
    await db.commit()

    live = await ShiftService(db).view(cashier, shift_id)
    assert live.report["expected_cash_vnd"] == 500_000 + 355_000 - 85_000 - 45_000

    closed = await ShiftService(db).close(cashier, shift_id, 733_000)
    await db.commit()
    z = closed.report
    assert z["status"] == "closed"
    assert z["opening_float_vnd"] == 500_000
    assert z["cash_in_vnd"] == 200_000 + 100_000 + 55_000
    assert z["change_out_vnd"] == 65_000 + 20_000 + 0
    assert z["cash_sales_vnd"] == 135_000 + 80_000 + 55_000
    assert z["cash_refunds_vnd"] == 45_000
    assert z["expected_cash_vnd"] == 500_000 + 355_000 - 85_000 - 45_000 == 725_000
    assert z["counted_cash_vnd"] == 733_000 and z["difference_vnd"] == 8_000
    assert (z["sales_count"], z["refunds_count"]) == (3, 1)
    assert z["sales_total_vnd"] == 135_000 + 80_000 + 255_000
    assert z["discounts_vnd"] == 10_000
    assert z["net_total_vnd"] == 470_000 - 45_000
    assert z["by_method"] == {
        "cash": {
            "sales_vnd": 270_000,
            "payments": 3,
            "refunds_vnd": 45_000,
            "refunds": 1,
            "net_vnd": 225_000,
        },
        "vietqr": {"sales_vnd": 200_000, "payments": 1, "refunds_vnd": 0, "refunds": 0, "net_vnd": 200_000},
    }
    assert z["register_name"] == "Quầy chính" and z["closed_at"]
    row = await db.get(Shift, shift_id, populate_existing=True)
    assert row is not None and row.status == ShiftStatus.CLOSED
    assert (row.expected_cash_vnd, row.counted_cash_vnd) == (725_000, 733_000)

    # Kept as issued: a later sale (no shift open) does not change it.
    later = await sales.ring_up(
        cashier,
        sale(
            ids,
            [SaleLineIn(quantity=1, product_id=ids["oil"])],
            [PaymentIn(method="cash", amount_vnd=120_000)],
        ),
    )
    await db.commit()
    assert later.sale.shift_id is None
    assert (await ShiftService(db).view(vendor, shift_id)).report == z
    with pytest.raises(Conflict):
        await ShiftService(db).close(cashier, shift_id, 0)
    await db.rollback()
    # A new shift can open now.
    assert (await ShiftService(db).open(cashier, ids["register"], 0)).shift.id != shift_id
    await db.commit()


async def test_shift_permissions_and_bad_amounts(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    ids = {k: v.id for k, v in shop.items()}
    other = await pos_actor(db, shop["other_vendor"])
    cashier = await pos_actor(db, shop["cashier"])
    with pytest.raises(NotFound):
        await ShiftService(db).open(other, ids["register"], 0)
    await db.rollback()
    with pytest.raises(ValidationFailed) as negative:
        await ShiftService(db).open(cashier, ids["register"], -1)
    await db.rollback()
    assert "opening_float_vnd" in negative.value.fields
    opened = await ShiftService(db).open(cashier, ids["register"], 100_000)
    await db.commit()
    shift_id = opened.shift.id
    with pytest.raises(NotFound):
        await ShiftService(db).close(other, shift_id, 100_000)
    await db.rollback()
    with pytest.raises(NotFound):
        await ShiftService(db).view(other, shift_id)
    await db.rollback()
    with pytest.raises(ValidationFailed):
        await ShiftService(db).close(cashier, shift_id, -5)
    await db.rollback()
    row = await db.get(Shift, shift_id, populate_existing=True)
    assert row is not None and row.status == ShiftStatus.OPEN


async def test_registers_are_listed_and_added_by_managers_only(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    ids = {k: v.id for k, v in shop.items()}
    vendor = await pos_actor(db, shop["vendor"])
    cashier = await pos_actor(db, shop["cashier"])
    other = await pos_actor(db, shop["other_vendor"])
    added = await RegisterService(db).create(vendor, ids["location"], "  Quầy   2 ")
    await db.commit()
    assert added.name == "Quầy 2"
    with pytest.raises(ValidationFailed):
        await RegisterService(db).create(vendor, ids["location"], "Quầy 2")
    await db.rollback()
    with pytest.raises(NotFound):
        await RegisterService(db).create(cashier, ids["location"], "Quầy 3")
    await db.rollback()
    with pytest.raises(NotFound):
        await RegisterService(db).create(other, ids["location"], "Quầy 3")
    await db.rollback()
    names = [r.name for r in await RegisterService(db).list_for_location(ids["location"])]
    assert names == ["Quầy chính", "Quầy 2"]
    locations = await SaleQueries(db).sellable_locations(cashier)
    assert [loc.id for loc in locations] == [ids["location"]]


async def test_history_and_day_report(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    ids = {k: v.id for k, v in shop.items()}
    vendor = await pos_actor(db, shop["vendor"])
    other = await pos_actor(db, shop["other_vendor"])
    sales = SaleService(db)
    today = rules.vn_today()
    a = await sales.ring_up(
        vendor,
        sale(
            ids,
            [SaleLineIn(quantity=2, product_id=ids["candy"]), SaleLineIn(quantity=1, combo_id=ids["combo"])],
            [PaymentIn(method="cash", amount_vnd=270_000)],
        ),
    )
    await sales.ring_up(
        vendor,
        sale(
            ids,
            [SaleLineIn(quantity=1, product_id=ids["oil"], discount_vnd=20_000)],
            [PaymentIn(method="vietqr", amount_vnd=100_000)],
        ),
    )
    # rung up offline two days ago, synced now: it belongs to that day
    past = dt.datetime.combine(today - dt.timedelta(days=2), dt.time(9, 30), tzinfo=rules.VN_TZ)
    await sales.ring_up(
        vendor,
        sale(
            ids,
            [SaleLineIn(quantity=1, product_id=ids["candy"])],
            [PaymentIn(method="cash", amount_vnd=45_000)],
            offline=True,
            created_at=past,
        ),
    )
    await RefundService(db).refund(
        vendor,
        a.sale.uuid,
        RefundIn(id=uuid.uuid4(), reason="Vỡ", lines=[RefundLineIn(quantity=1, line_no=1)]),
    )
    await db.commit()

    queries = SaleQueries(db)
    assert (await queries.history(vendor, SaleFilters())).total == 3
    assert (await queries.history(vendor, SaleFilters(day=today))).total == 2
    assert (await queries.history(vendor, SaleFilters(day=past.date()))).total == 1
    assert (await queries.history(vendor, SaleFilters(location_id=ids["other_location"]))).total == 0
    assert (await queries.history(other, SaleFilters(location_id=ids["location"]))).total == 0

    report = await queries.day_report(vendor, ids["location"], today)
    assert report.sales_count == 2
    assert report.sales_total_vnd == 270_000 + 100_000
    assert report.discounts_vnd == 20_000
    assert (report.refunds_count, report.refunds_vnd) == (1, 45_000)
    assert report.net_vnd == 325_000
    rows = {(r.product_id, r.combo_id): r for r in report.by_product}
    assert rows[(ids["candy"], None)].quantity == 2 and rows[(ids["candy"], None)].refunded_quantity == 1
    assert rows[(None, ids["combo"])].total_vnd == 180_000
    assert rows[(ids["oil"], None)].total_vnd == 100_000
    methods = {m.method: m for m in report.by_method}
    assert (methods["cash"].sales_vnd, methods["cash"].refunds_vnd, methods["cash"].net_vnd) == (
        270_000,
        45_000,
        225_000,
    )
    assert methods["vietqr"].sales_vnd == 100_000
    assert sum(h.sales for h in report.by_hour) == 2
    assert sum(h.total_vnd for h in report.by_hour) == 370_000
    earlier = await queries.day_report(vendor, ids["location"], past.date())
    assert earlier.sales_count == 1 and [h.hour for h in earlier.by_hour] == [9]
    with pytest.raises(NotFound):
        await queries.day_report(other, ids["location"], today)


async def test_a_cash_refund_leaves_the_drawer_it_is_paid_from(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    ids = {k: v.id for k, v in shop.items()}
    vendor = await pos_actor(db, shop["vendor"])
    sold = await SaleService(db).ring_up(
        vendor,
        sale(
            ids,
            [SaleLineIn(quantity=1, product_id=ids["oil"])],
            [PaymentIn(method="cash", amount_vnd=120_000)],
        ),
    )
    other_register = await RegisterService(db).create(vendor, ids["location"], "Quầy 2")
    opened = await ShiftService(db).open(vendor, other_register.id, 300_000)
    await db.commit()
    shift_id = opened.shift.id
    refund = await RefundService(db).refund(
        vendor, sold.sale.uuid, RefundIn(id=uuid.uuid4(), reason="Đổi ý", register_id=other_register.id)
    )
    await db.commit()
    assert refund.refund.shift_id == shift_id
    report = (await ShiftService(db).view(vendor, shift_id)).report
    assert report["cash_refunds_vnd"] == 120_000
    assert report["expected_cash_vnd"] == 300_000 - 120_000
    with pytest.raises(ValidationFailed):
        await RefundService(db).refund(
            vendor, sold.sale.uuid, RefundIn(id=uuid.uuid4(), reason="x", register_id=999_999)
        )
    await db.rollback()
