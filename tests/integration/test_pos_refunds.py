"""Refunds: by line or whole, exact shares of an order discount, stock back to the place, applied once,
only by those allowed."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.inventory.models import MovementKind, StockMovement
from app.inventory.services import StockService
from app.payments.models import Payment, PaymentStatus
from app.pos.models import Refund, Sale, SaleStatus
from app.pos.schemas import PaymentIn, RefundIn, RefundLineIn, SaleIn, SaleLineIn
from app.pos.services import RefundService, SaleService
from tests.factories import pos_actor, pos_shop


async def rung_up(db: AsyncSession, shop: dict[str, Any], actor: Any, **extra: Any) -> Sale:
    """3 candies (45.000) with 15.000 off the line, 1 oil (120.000), 1 combo (180.000), and 10.001 off the
    order: 120.000 + 120.000 + 180.000 − 10.001 = 409.999 ₫, paid in cash."""
    payload = SaleIn(
        id=uuid.uuid4(),
        location_id=shop["location"].id,
        register_id=shop["register"].id,
        lines=[
            SaleLineIn(quantity=3, product_id=shop["candy"].id, discount_vnd=15_000),
            SaleLineIn(quantity=1, product_id=shop["oil"].id),
            SaleLineIn(quantity=1, combo_id=shop["combo"].id),
        ],
        payments=[PaymentIn(method="cash", amount_vnd=409_999, tendered_vnd=500_000)],
        discount_vnd=10_001,
        **extra,
    )
    view = await SaleService(db).ring_up(actor, payload)
    await db.commit()
    return view.sale


async def level(db: AsyncSession, product_id: int, location_id: int) -> int:
    await db.commit()
    return await StockService(db).on_hand(product_id, location_id)


async def test_refund_by_line_pays_back_the_lines_exact_share(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    ids = {k: v.id for k, v in shop.items()}
    vendor = await pos_actor(db, shop["vendor"])
    sale = await rung_up(db, shop, vendor)
    assert sale.total_vnd == 409_999
    # line totals 120.000 / 120.000 / 180.000 (420.000); 10.001 off the order is shared 2.858 / 2.857 / 4.286
    first = await RefundService(db).refund(
        vendor,
        sale.uuid,
        RefundIn(id=uuid.uuid4(), reason="Hộp bị móp", lines=[RefundLineIn(quantity=1, line_no=1)]),
    )
    await db.commit()
    assert first.created
    assert first.refund.amount_vnd == (120_000 - 2_858) // 3 == 39_047
    assert first.sale.status == SaleStatus.PARTLY_REFUNDED
    assert await level(db, ids["candy"], ids["location"]) == 10 - 3 - 2 + 1
    second = await RefundService(db).refund(
        vendor,
        sale.uuid,
        RefundIn(id=uuid.uuid4(), reason="Khách đổi ý", lines=[RefundLineIn(quantity=2, sale_line_no=1)]),
    )
    await db.commit()
    assert first.refund.amount_vnd + second.refund.amount_vnd == 120_000 - 2_858  # the whole line's net
    rest = await RefundService(db).refund(vendor, sale.uuid, RefundIn(id=uuid.uuid4(), reason="Trả hết"))
    await db.commit()
    assert rest.refund.amount_vnd == (120_000 - 2_857) + (180_000 - 4_286)
    total = await db.scalar(select(func.sum(Refund.amount_vnd)).where(Refund.sale_id == sale.id))
    assert total == sale.total_vnd == 409_999
    assert rest.sale.status == SaleStatus.REFUNDED and rest.sale.refunded_vnd == 409_999
    # every unit is back: the combo's components too
    assert await level(db, ids["candy"], ids["location"]) == 10
    assert await level(db, ids["oil"], ids["location"]) == 10
    kinds = (
        await db.scalars(select(StockMovement.kind).where(StockMovement.reference.like("refund:%")))
    ).all()
    assert set(kinds) == {MovementKind.REFUND}
    payment = await db.scalar(select(Payment).where(Payment.sale_id == sale.id))
    assert payment is not None and payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_vnd == 409_999
    with pytest.raises(Conflict):
        await RefundService(db).refund(vendor, sale.uuid, RefundIn(id=uuid.uuid4(), reason="Lần nữa"))
    await db.rollback()


async def test_a_refund_replayed_is_applied_once(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    ids = {k: v.id for k, v in shop.items()}
    vendor = await pos_actor(db, shop["vendor"])
    sale = await rung_up(db, shop, vendor)
    body = RefundIn(id=uuid.uuid4(), reason="Hàng lỗi", lines=[RefundLineIn(quantity=1, line_no=2)])
    first = await RefundService(db).refund(vendor, sale.uuid, body)
    await db.commit()
    again = await RefundService(db).refund(vendor, sale.uuid, body)
    await db.commit()
    # even with other content: the stored refund, unchanged
    other_body = RefundIn(id=body.id, reason="khác", lines=[RefundLineIn(quantity=3, line_no=1)])
    third = await RefundService(db).refund(vendor, sale.uuid, other_body)
    await db.commit()
    assert first.created and not again.created and not third.created
    assert again.refund.id == third.refund.id == first.refund.id
    assert third.refund.amount_vnd == first.refund.amount_vnd == 120_000 - 2_857
    assert await db.scalar(select(func.count()).select_from(Refund)) == 1
    assert await level(db, ids["oil"], ids["location"]) == 10 - 1 - 1 + 1


async def test_a_refund_sent_twice_at_once_is_applied_once(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    ids = {k: v.id for k, v in shop.items()}
    vendor = await pos_actor(db, shop["vendor"])
    sale = await rung_up(db, shop, vendor)
    body = RefundIn(id=uuid.uuid4(), reason="Hàng lỗi")
    engine = create_async_engine(os.environ["DATABASE_URL"])
    start = asyncio.Event()

    async def send() -> bool:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            await start.wait()
            await session.connection(execution_options={"sqlite_begin_immediate": True})
            view = await RefundService(session).refund(vendor, sale.uuid, body)
            await session.commit()
            return view.created

    try:
        tasks = [asyncio.create_task(send()) for _ in range(4)]
        await asyncio.sleep(0.05)
        start.set()
        created = await asyncio.wait_for(asyncio.gather(*tasks), 60)
    finally:
        await engine.dispose()
    assert sorted(created) == [False, False, False, True]
    assert await db.scalar(select(func.count()).select_from(Refund)) == 1
    assert await level(db, ids["candy"], ids["location"]) == 10
    assert await level(db, ids["oil"], ids["location"]) == 10


async def test_who_may_refund(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    vendor = await pos_actor(db, shop["vendor"])
    cashier = await pos_actor(db, shop["cashier"])
    other = await pos_actor(db, shop["other_vendor"])
    sale_uuid = (await rung_up(db, shop, vendor)).uuid  # a cashier may not discount: the vendor sells
    with pytest.raises(PermissionDenied):
        await RefundService(db).refund(cashier, sale_uuid, RefundIn(id=uuid.uuid4(), reason="Thử"))
    await db.rollback()
    with pytest.raises(NotFound):
        await RefundService(db).refund(other, sale_uuid, RefundIn(id=uuid.uuid4(), reason="Thử"))
    await db.rollback()
    with pytest.raises(NotFound):
        await RefundService(db).refund(vendor, uuid.uuid4(), RefundIn(id=uuid.uuid4(), reason="Thử"))
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(Refund)) == 0


async def test_bad_refunds_are_refused_and_change_nothing(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    vendor = await pos_actor(db, shop["vendor"])
    sale = await rung_up(db, shop, vendor)
    sale_uuid = sale.uuid
    for body, field in [
        (RefundIn(id=uuid.uuid4(), reason="  "), "reason"),
        (
            RefundIn(id=uuid.uuid4(), reason="x", lines=[RefundLineIn(quantity=4, line_no=1)]),
            "lines[0].quantity",
        ),
        (
            RefundIn(
                id=uuid.uuid4(),
                reason="x",
                lines=[RefundLineIn(quantity=2, line_no=1), RefundLineIn(quantity=2, line_no=1)],
            ),
            "lines[0].quantity",
        ),
        (
            RefundIn(id=uuid.uuid4(), reason="x", lines=[RefundLineIn(quantity=1, line_no=9)]),
            "lines[0].line_no",
        ),
        (RefundIn(id=uuid.uuid4(), reason="x", lines=[RefundLineIn(quantity=1)]), "lines[0]"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            await RefundService(db).refund(vendor, sale_uuid, body)
        await db.rollback()
        assert field in refused.value.fields, refused.value.fields
    assert await db.scalar(select(func.count()).select_from(Refund)) == 0
    assert (
        await db.scalar(select(func.count()).select_from(StockMovement).where(StockMovement.kind == "refund"))
        == 0
    )
