"""Statements run straight through the driver (app.db_direct) behave as through the session: the same rows,
the same transaction and savepoints, SQLAlchemy's errors, column defaults and conversions. On SQLite they go
through the session; on PostgreSQL through asyncpg, so the PostgreSQL run of this file is the one that
tells."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, NoResultFound
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_session
from sqlalchemy.orm.attributes import instance_state

from app.catalog.models import Product
from app.db import loaded, table
from app.db_direct import Direct
from app.inventory.models import Location, MovementKind, StockMovement
from app.pos.models import Register, Sale, SaleLine
from tests.factories import pos_shop

_products, _registers, _movements = table(Product), table(Register), table(StockMovement)
PRODUCTS = Direct(
    select(_products.c.id, _products.c.name_vi, _products.c.price_vnd)
    .where(_products.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_products.c.id)
)
NEW_REGISTER = Direct(insert(_registers).returning(_registers.c.id, _registers.c.created_at))
NEXT_NUMBER = Direct(
    update(_registers)
    .where(_registers.c.id == bindparam("register"))
    .values(next_receipt_no=_registers.c.next_receipt_no + 1)
    .returning(_registers.c.next_receipt_no, _registers.c.updated_at)
)
RECORD = Direct(insert(_movements))


async def test_rows_are_those_the_session_returns_whatever_the_length_of_a_list(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    ids = [shop["candy"].id, shop["oil"].id]
    for wanted in ([ids[0]], ids, [ids[1]], [-1]):
        direct = (await PRODUCTS.run(db, {"ids": wanted})).all()
        through_session = (await db.execute(PRODUCTS.statement, {"ids": wanted})).all()
        assert [row._asdict() for row in direct] == [row._asdict() for row in through_session]
    first = (await PRODUCTS.run(db, {"ids": ids})).first()
    assert first is not None
    assert (first.id, first.name_vi, first.price_vnd) == (shop["candy"].id, "Kẹo dừa sáp", 45000)
    assert (await PRODUCTS.run(db, {"ids": [-1]})).scalar_one_or_none() is None
    with pytest.raises(NoResultFound):
        (await PRODUCTS.run(db, {"ids": [-1]})).scalar_one()


async def test_float_columns_read_as_the_session_reads_them(db: AsyncSession) -> None:
    """asyncpg's numeric result types are chosen by the result's type code, which Direct does not know."""
    shop = await pos_shop(db)
    location = shop["location"]
    location.latitude, location.longitude = 10.2415, 106.3759
    await db.flush()
    places = table(Location)
    statement = select(places.c.id, places.c.latitude, places.c.longitude).where(places.c.id == location.id)
    direct = (await Direct(statement).run(db)).one_or_none()
    assert direct is not None and direct._asdict() == (await db.execute(statement)).one()._asdict()
    assert (direct.latitude, direct.longitude) == (10.2415, 106.3759)


async def test_column_defaults_constants_and_enums_are_applied(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    before = dt.datetime.now(dt.UTC)
    made = (
        await NEW_REGISTER.run(
            db,
            {"location_id": shop["location"].id, "name": "Quầy phụ", "next_receipt_no": 1, "is_active": True},
        )
    ).first()
    assert made is not None
    assert made.created_at >= before - dt.timedelta(seconds=1)  # a Python-side default, filled in
    numbers = [(await NEXT_NUMBER.run(db, {"register": made.id})).first() for _ in range(2)]
    assert [n.next_receipt_no for n in numbers if n] == [2, 3]  # the statement's own `+ 1`
    assert all(n is not None and n.updated_at >= before - dt.timedelta(seconds=1) for n in numbers)
    await RECORD.run(
        db,
        {
            "product_id": shop["candy"].id,
            "location_id": shop["location"].id,
            "kind": MovementKind.ADJUSTMENT,
            "quantity": 1,
            "on_hand_after": 10,
            "reason": "kiểm kê",
            "reference": "test:direct",
            "actor_id": None,
            "flagged": False,
        },
    )
    await db.commit()
    stored = await db.scalar(select(StockMovement).where(StockMovement.reference == "test:direct"))
    assert stored is not None and stored.kind is MovementKind.ADJUSTMENT and stored.created_at is not None


async def test_writes_belong_to_the_sessions_transaction_and_savepoints(
    db: AsyncSession, engine: Any
) -> None:
    shop = await pos_shop(db)
    register = shop["register"].id
    await db.close()
    # A session as the app's (the tests' own begin lazily on SQLite, where a rollback would undo nothing).
    db = AsyncSession(engine, expire_on_commit=False)
    start = await db.scalar(select(Register.next_receipt_no).where(Register.id == register))
    await NEXT_NUMBER.run(db, {"register": register})
    await db.rollback()  # undone with the session's transaction
    async with db.begin_nested():
        await NEXT_NUMBER.run(db, {"register": register})  # kept
    with pytest.raises(RuntimeError):
        async with db.begin_nested():
            await NEXT_NUMBER.run(db, {"register": register})
            raise RuntimeError("undo this savepoint only")
    await db.commit()
    db.expire_all()
    assert await db.scalar(select(Register.next_receipt_no).where(Register.id == register)) == start + 1
    await db.close()


async def test_a_unique_violation_is_an_integrity_error_and_the_savepoint_recovers(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    row = {"location_id": shop["location"].id, "name": "Quầy đôi", "next_receipt_no": 1, "is_active": True}
    await NEW_REGISTER.run(db, row)
    with pytest.raises(IntegrityError):
        async with db.begin_nested():
            await NEW_REGISTER.run(db, row)  # (location, name) is unique
    # The transaction goes on: the first register is there, the second is not.
    await NEW_REGISTER.run(db, {**row, "name": "Quầy ba"})
    await db.commit()
    names = await db.scalars(
        select(Register.name).where(Register.location_id == shop["location"].id).order_by(Register.id)
    )
    assert list(names) == ["Quầy chính", "Quầy đôi", "Quầy ba"]


async def test_loaded_objects_read_like_detached_rows_with_no_pending_change(db: AsyncSession) -> None:
    now = dt.datetime.now(dt.UTC)
    line = loaded(
        SaleLine,
        {
            "id": 7,
            "sale_id": 3,
            "line_no": 1,
            "product_id": 1,
            "name": "Kẹo",
            "quantity": 2,
            "created_at": now,
        },
        components=[],
    )
    sale = loaded(Sale, {"id": 3, "uuid": uuid.uuid4(), "total_vnd": 90000}, lines=[line])
    assert sale.lines == [line] and sale.total_vnd == 90000 and line.components == []
    state = instance_state(sale)
    assert state.detached and object_session(sale) is None
    assert not state.modified and not instance_state(line).modified


async def test_pending_changes_are_flushed_first_as_the_session_would(db: AsyncSession) -> None:
    shop = await pos_shop(db)
    db.add(Register(location_id=shop["location"].id, name="Quầy mới", next_receipt_no=1, is_active=True))
    count = Direct(
        select(_registers.c.name)
        .where(_registers.c.location_id == bindparam("location"))
        .order_by(_registers.c.id)
    )
    names = (await count.run(db, {"location": shop["location"].id})).scalars()
    assert names == ["Quầy chính", "Quầy mới"]


async def test_on_postgresql_the_statements_take_the_driver_road(db: AsyncSession) -> None:
    """Should a SQLAlchemy release change its asyncpg adapter, Direct falls back to the session (still
    right, only slower): this says so, rather than the benchmark quietly losing its speed."""
    shop = await pos_shop(db)
    await PRODUCTS.run(db, {"ids": [shop["candy"].id]})
    _transaction, dialect, driver = db.info["db_direct.driver"]
    if dialect.name == "postgresql":
        assert isinstance(driver, asyncpg.Connection)
    else:
        assert driver is None
