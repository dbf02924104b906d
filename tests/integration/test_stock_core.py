"""The ledger writer: every change is a movement, the level is its projection, nothing goes below zero."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.inventory.models import Location, LocationKind, MovementKind, StockLevel, StockMovement
from app.inventory.services import InsufficientStock, StockService
from tests.factories import make_producer, make_product


async def make_location(db: AsyncSession, producer_id: int, name: str = "Kho Giồng Trôm") -> Location:
    location = Location(name=name, kind=LocationKind.WAREHOUSE, producer_id=producer_id)
    db.add(location)
    await db.commit()
    return location


async def ledger_sum(db: AsyncSession, product_id: int, location_id: int) -> int:
    stmt = select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
        StockMovement.product_id == product_id, StockMovement.location_id == location_id
    )
    return int(await db.scalar(stmt) or 0)


async def test_put_then_take_writes_the_ledger_and_the_level(db: AsyncSession) -> None:
    producer = await make_producer(db)
    product = await make_product(db, producer)
    location = await make_location(db, producer.id)
    stock = StockService(db)
    assert await stock.put(product.id, location.id, 10, MovementKind.RECEIPT, reference="receipt:1") == 10
    removal = await stock.take(product.id, location.id, 3, MovementKind.SALE, reference="sale:x")
    await db.commit()
    assert removal.on_hand_after == 7 and removal.shortfall == 0
    assert await stock.on_hand(product.id, location.id) == 7
    assert await ledger_sum(db, product.id, location.id) == 7


async def test_taking_more_than_there_is_is_refused_and_changes_nothing(db: AsyncSession) -> None:
    producer = await make_producer(db)
    product = await make_product(db, producer)
    location = await make_location(db, producer.id)
    product_id, location_id = product.id, location.id
    await StockService(db).put(product_id, location_id, 2, MovementKind.RECEIPT)
    await db.commit()
    with pytest.raises(InsufficientStock) as refused:
        await StockService(db).take(product_id, location_id, 3, MovementKind.SALE)
    await db.rollback()
    assert refused.value.extra == {"product_id": product_id, "available": 2}
    assert await StockService(db).on_hand(product_id, location_id) == 2
    assert await ledger_sum(db, product_id, location_id) == 2


async def test_an_offline_shortfall_is_recorded_flagged_and_the_level_stays_at_zero(db: AsyncSession) -> None:
    producer = await make_producer(db)
    product = await make_product(db, producer)
    location = await make_location(db, producer.id)
    stock = StockService(db)
    await stock.put(product.id, location.id, 2, MovementKind.RECEIPT)
    removal = await stock.take(product.id, location.id, 5, MovementKind.SALE, allow_shortfall=True)
    await db.commit()
    assert removal.shortfall == 3 and removal.on_hand_after == 0
    level = await db.scalar(select(StockLevel).where(StockLevel.product_id == product.id))
    assert level is not None and level.on_hand == 0
    flagged = (await db.scalars(select(StockMovement).where(StockMovement.flagged.is_(True)))).all()
    assert [(m.kind, m.quantity) for m in flagged] == [(MovementKind.SHORTFALL, 3)]
    assert await ledger_sum(db, product.id, location.id) == 0


async def test_a_count_writes_the_difference_as_an_adjustment(db: AsyncSession) -> None:
    producer = await make_producer(db)
    product = await make_product(db, producer)
    location = await make_location(db, producer.id)
    stock = StockService(db)
    await stock.put(product.id, location.id, 10, MovementKind.RECEIPT)
    assert await stock.set_counted(product.id, location.id, 8, reference="count:1", actor=None) == -2
    assert await stock.set_counted(product.id, location.id, 8, reference="count:2", actor=None) == 0
    await db.commit()
    assert await stock.on_hand(product.id, location.id) == 8
    assert await ledger_sum(db, product.id, location.id) == 8
