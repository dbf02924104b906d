"""No oversell under real concurrency: registers racing for the last units, each on its own connection.

On PostgreSQL every task holds its own server connection (checked by backend pid) before the race starts, so
the conditional updates really run in parallel and the row lock decides. On SQLite every task has its own
connection (and driver thread) and takes the write lock up front with `BEGIN IMMEDIATE`, as a request does,
so they queue instead of failing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from app.inventory.models import MovementKind, StockMovement
from app.inventory.services import InsufficientStock, StockService
from tests.factories import make_location, make_producer, make_product, stock

REGISTERS = 8


@pytest.fixture
async def own_sessions() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on an engine of the test's own, without a pool: one new connection per session."""
    engine = create_async_engine(os.environ["DATABASE_URL"], poolclass=NullPool)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def race(
    sessions: async_sessionmaker[AsyncSession], items: list[list[tuple[int, int]]], location_id: int
) -> tuple[list[Any], set[int]]:
    """Each register (one per entry of `items`) opens its own transaction and connection, waits for all the
    others, then takes its items. Returns "sold" or the InsufficientStock answer per register, and the
    PostgreSQL backend pids seen."""
    barrier = asyncio.Barrier(len(items))
    pids: set[int] = set()

    async def register(number: int, lines: list[tuple[int, int]]) -> Any:
        async with sessions() as session:
            try:
                async with session.begin():
                    if session.bind.dialect.name == "postgresql":
                        pids.add(int(await session.scalar(text("SELECT pg_backend_pid()")) or 0))
                        await barrier.wait()  # every connection is open and in its transaction
                    else:
                        await barrier.wait()
                        await session.connection(execution_options={"sqlite_begin_immediate": True})
                    await StockService(session).take_many(
                        location_id, lines, MovementKind.SALE, reference=f"sale:race-{number}"
                    )
                return "sold"
            except InsufficientStock as refused:
                return refused.extra

    results = await asyncio.gather(*(register(n, lines) for n, lines in enumerate(items)))
    return list(results), pids


async def ledger_sum(db: AsyncSession, product_id: int, location_id: int) -> int:
    stmt = select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
        StockMovement.product_id == product_id, StockMovement.location_id == location_id
    )
    return int(await db.scalar(stmt) or 0)


async def test_racing_registers_sell_exactly_the_last_three(
    db: AsyncSession, own_sessions: async_sessionmaker[AsyncSession]
) -> None:
    producer = await make_producer(db)
    product = await make_product(db, producer)
    booth = await make_location(db, producer, kind="booth", name="Gian A-12")
    await stock(db, product, booth, 3)
    product_id, booth_id = product.id, booth.id

    results, pids = await race(own_sessions, [[(product_id, 1)]] * REGISTERS, booth_id)

    assert results.count("sold") == 3
    assert [r for r in results if r != "sold"] == [{"product_id": product_id, "available": 0}] * (
        REGISTERS - 3
    )
    if own_sessions.kw["bind"].dialect.name == "postgresql":
        assert len(pids) == REGISTERS  # really separate connections, all in the race at once
    await db.rollback()
    assert await StockService(db).on_hand(product_id, booth_id) == 0
    assert await ledger_sum(db, product_id, booth_id) == 0
    sales = await db.scalar(
        select(func.count()).select_from(StockMovement).where(StockMovement.kind == MovementKind.SALE)
    )
    assert sales == 3


async def test_racing_baskets_in_opposite_orders_never_deadlock_nor_oversell(
    db: AsyncSession, own_sessions: async_sessionmaker[AsyncSession]
) -> None:
    producer = await make_producer(db)
    candy = await make_product(db, producer, name_vi="Kẹo dừa")
    oil = await make_product(db, producer, name_vi="Dầu dừa")
    booth = await make_location(db, producer, kind="booth")
    await stock(db, candy, booth, 3)
    await stock(db, oil, booth, 4)
    ids = (candy.id, oil.id, booth.id)
    baskets = [[(ids[0], 1), (ids[1], 1)] if n % 2 else [(ids[1], 1), (ids[0], 1)] for n in range(REGISTERS)]

    results, _pids = await race(own_sessions, baskets, ids[2])

    assert results.count("sold") == 3  # candy runs out first; a refused basket takes nothing
    await db.rollback()
    assert await StockService(db).on_hand(ids[0], ids[2]) == 0
    assert await StockService(db).on_hand(ids[1], ids[2]) == 1
    assert await ledger_sum(db, ids[0], ids[2]) == 0
    assert await ledger_sum(db, ids[1], ids[2]) == 1
