"""A sale rung up offline during a shift but synced after the shift closed joins that shift as late: outside
its Z report as issued, in the addendum of sales synced after closing."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.pos.models import Sale, Shift
from app.pos.schemas import PaymentIn, RefundIn, SaleIn, SaleLineIn
from app.pos.services import RefundService, SaleService, ShiftService
from tests.factories import pos_actor, pos_shop

HOUR = dt.timedelta(hours=1)


def _sale(ids: dict[str, int], lines: list[SaleLineIn], payments: list[PaymentIn], **extra: Any) -> SaleIn:
    return SaleIn(
        id=uuid.uuid4(),
        location_id=ids["location"],
        register_id=ids["register"],
        lines=lines,
        payments=payments,
        **extra,
    )


async def open_earlier(db: AsyncSession, actor: Any, register_id: int, float_vnd: int, hours: int) -> int:
    """Open a shift and move its opening `hours` back, so a register's clock can fall inside it."""
    opened = await ShiftService(db).open(actor, register_id, float_vnd)
    await db.flush()
    shift_id = opened.shift.id
    await db.execute(
        update(Shift)
        .where(Shift.id == shift_id)
        .values(created_at=dt.datetime.now(dt.UTC) - hours * HOUR)
        .execution_options(synchronize_session=False)
    )
    await db.commit()
    return shift_id


async def test_a_late_offline_sale_lands_in_the_closed_shifts_addendum(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    ids = {k: v.id for k, v in shop.items()}
    cashier = await pos_actor(db, shop["cashier"])
    shift_id = await open_earlier(db, cashier, ids["register"], 200_000, hours=3)
    sales = SaleService(db)
    on_time = await sales.ring_up(
        cashier,
        _sale(
            ids,
            [SaleLineIn(quantity=1, product_id=ids["candy"])],
            [PaymentIn(method="cash", amount_vnd=45_000, tendered_vnd=50_000)],
        ),
    )
    await db.commit()
    assert on_time.sale.shift_id == shift_id and not on_time.sale.late

    # The drawer also holds the cash of two sales rung up offline an hour ago, not synced yet.
    counted = 200_000 + 45_000 + 120_000 + 10_000
    closed = await ShiftService(db).close(cashier, shift_id, counted)
    await db.commit()
    issued = closed.report
    assert issued["expected_cash_vnd"] == 245_000 and issued["difference_vnd"] == 130_000
    assert closed.late_sales is None

    rung_at = dt.datetime.now(dt.UTC) - HOUR
    late_cash = _sale(
        ids,
        [SaleLineIn(quantity=1, product_id=ids["oil"])],
        [PaymentIn(method="cash", amount_vnd=120_000, tendered_vnd=200_000)],
        offline=True,
        created_at=rung_at,
    )
    late_split = _sale(
        ids,
        [SaleLineIn(quantity=1, combo_id=ids["combo"])],
        [PaymentIn(method="vietqr", amount_vnd=170_000), PaymentIn(method="cash", amount_vnd=10_000)],
        offline=True,
        created_at=rung_at + dt.timedelta(minutes=5),
    )
    first = await sales.ring_up(cashier, late_cash)
    second = await sales.ring_up(cashier, late_split)
    await db.commit()
    for view in (first, second):
        assert view.created and view.sale.shift_id == shift_id and view.sale.late
    # sent again by the offline queue: the stored sale, still once
    again = await sales.ring_up(cashier, late_cash)
    await db.commit()
    assert not again.created and again.sale.id == first.sale.id
    assert await db.scalar(select(func.count()).select_from(Sale).where(Sale.late.is_(True))) == 2

    # The Z report stays as issued, in the database and in the view; the figures still count without them.
    row = await db.get(Shift, shift_id, populate_existing=True)
    assert row is not None and row.z_report == issued
    assert (row.expected_cash_vnd, row.counted_cash_vnd) == (245_000, counted)
    view = await ShiftService(db).view(cashier, shift_id)
    assert view.report == issued
    refigured = await ShiftService(db).figures(row, counted)
    assert (refigured.sales_count, refigured.sales_total_vnd) == (1, 45_000)
    assert refigured.expected_cash_vnd == 245_000

    late = view.late_sales
    assert late is not None
    assert (late.sales_count, late.sales_total_vnd) == (2, 120_000 + 180_000)
    assert late.cash_vnd == 120_000 + 10_000  # 200.000 handed over − 80.000 change, and 10.000
    assert late.difference_after_vnd == 0  # the surplus is explained
    assert late.as_dict()["by_method"] == {
        "cash": {"sales_vnd": 130_000, "payments": 2, "refunds_vnd": 0, "refunds": 0, "net_vnd": 130_000},
        "vietqr": {"sales_vnd": 170_000, "payments": 1, "refunds_vnd": 0, "refunds": 0, "net_vnd": 170_000},
    }
    assert (await ShiftService(db).late_sales([row])) == {shift_id: late}


async def test_which_shift_a_sale_synced_late_joins(db: AsyncSession) -> None:
    shop = await pos_shop(db, stock=50)
    ids = {k: v.id for k, v in shop.items()}
    vendor = await pos_actor(db, shop["vendor"])
    sales = SaleService(db)
    now = dt.datetime.now(dt.UTC)

    def candy(**extra: Any) -> SaleIn:
        return _sale(
            ids,
            [SaleLineIn(quantity=1, product_id=ids["candy"])],
            [PaymentIn(method="cash", amount_vnd=45_000)],
            **extra,
        )

    # Rung up offline before any shift was ever open: no shift, as before.
    before_any = await sales.ring_up(vendor, candy(offline=True, created_at=now - 10 * HOUR))
    first_id = await open_earlier(db, vendor, ids["register"], 0, hours=6)
    await ShiftService(db).close(vendor, first_id, 0)
    await db.execute(
        update(Shift)
        .where(Shift.id == first_id)
        .values(closed_at=now - 2 * HOUR)
        .execution_options(synchronize_session=False)
    )
    await db.commit()
    # Between the closed shift and now, no shift was open; an online sale is never late; an offline sale
    # without a time cannot be placed.
    gap = await sales.ring_up(vendor, candy(offline=True, created_at=now - HOUR))
    online = await sales.ring_up(vendor, candy(created_at=now - 3 * HOUR))
    timeless = await sales.ring_up(vendor, candy(offline=True))
    in_first = await sales.ring_up(vendor, candy(offline=True, created_at=now - 3 * HOUR))
    await db.commit()
    for view in (before_any, gap, online, timeless):
        assert view.sale.shift_id is None and not view.sale.late
    assert in_first.sale.shift_id == first_id and in_first.sale.late

    # While a shift is open, every sale joins it, whatever the register's clock says (it may run behind).
    second = await ShiftService(db).open(vendor, ids["register"], 100_000)
    await db.commit()
    while_open = await sales.ring_up(vendor, candy(offline=True, created_at=now - 3 * HOUR))
    await db.commit()
    assert while_open.sale.shift_id == second.shift.id and not while_open.sale.late
    live = await ShiftService(db).view(vendor, second.shift.id)
    assert live.late_sales is None and live.report["sales_count"] == 1

    # Refunding a late sale pays back from the drawer open now, as for any sale.
    refund = await RefundService(db).refund(
        vendor, in_first.sale.uuid, RefundIn(id=uuid.uuid4(), reason="Khách trả lại")
    )
    await db.commit()
    assert refund.refund.shift_id == second.shift.id
    first = await ShiftService(db).view(vendor, first_id)
    assert first.report["sales_count"] == 0 and first.report["refunds_count"] == 0
    assert first.late_sales is not None and first.late_sales.sales_count == 1
    assert first.late_sales.difference_after_vnd == 0 - 45_000  # counted 0, the sale's cash was not there
