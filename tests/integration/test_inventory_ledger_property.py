"""The ledger's invariant under random sequences of receipts, transfers (sent, received in part or in full,
cancelled), online and offline sales, refunds and counts: after every step, for every product × place the
movements sum to the level, no level is below zero, and each level is what a plain model of the same
steps says it is.

Each example runs on its own event loop in a worker thread, with its own engine (so it never meets
pytest-asyncio's loop), and each step in its own transaction, as requests do (`BEGIN IMMEDIATE` on
SQLite). Each example removes the rows it made.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from app.accounts.models import AuditEntry, Membership, Organization, Role, User
from app.accounts.rules import CurrentUser
from app.catalog.models import Producer, Product
from app.catalog.services import ProducerService, ProductService
from app.errors import ValidationFailed
from app.inventory.models import (
    Location,
    LocationKind,
    MovementKind,
    StockCount,
    StockLevel,
    StockMovement,
    Transfer,
)
from app.inventory.services import InsufficientStock, InventoryService, StockService

PRODUCTS = 2
PLACES = 3  # two of the producer's places and an organization's showroom

product_ix = st.integers(0, PRODUCTS - 1)
place_ix = st.integers(0, PLACES - 1)
STEP = st.one_of(
    st.tuples(st.just("receive"), product_ix, place_ix, st.integers(1, 20)),
    st.tuples(st.just("send"), product_ix, place_ix, place_ix, st.integers(1, 15)),
    st.tuples(st.just("arrive"), st.integers(0, 20), st.integers(0, 100)),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
    st.tuples(st.just("sale"), product_ix, place_ix, st.integers(1, 15), st.booleans()),
    st.tuples(st.just("refund"), product_ix, place_ix, st.integers(1, 5)),
    st.tuples(st.just("count"), product_ix, place_ix, st.integers(0, 30)),
)


@dataclass
class World:
    admin: CurrentUser
    organization_id: int
    producer_id: int
    products: list[int]
    places: list[int]
    model: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    # transfer id, line id, product, from, to, quantity — still on their way
    moving: list[tuple[int, int, int, int, int, int]] = field(default_factory=list)


async def _setup(maker: async_sessionmaker[AsyncSession]) -> World:
    tag = uuid.uuid4().hex[:8]
    async with maker() as session, session.begin():
        user = User(
            email=f"ledger-{tag}@example.com", password_hash="-", memberships=[Membership(role=Role.ADMIN)]
        )
        org = Organization(name=f"Trung tâm OCOP {tag}")
        session.add_all([user, org])
        producer = await ProducerService(session).create(
            None, {"name": f"HTX Dừa {tag}", "kind": "cooperative", "province_code": 86}
        )
        products = [
            await ProductService(session).create(
                None, {"producer_id": producer.id, "name_vi": f"Kẹo dừa {tag} {n}", "price_vnd": 45000}
            )
            for n in range(PRODUCTS)
        ]
        await session.flush()
        places = [
            Location(name=f"Kho {tag}", kind=LocationKind.WAREHOUSE, producer_id=producer.id),
            Location(name=f"Gian {tag}", kind=LocationKind.BOOTH, producer_id=producer.id),
            Location(name=f"Điểm OCOP {tag}", kind=LocationKind.SHOWROOM, organization_id=org.id),
        ]
        session.add_all(places)
        await session.flush()
        admin = CurrentUser(id=user.id, email=user.email, name="", is_admin=True)
        return World(admin, org.id, producer.id, [p.id for p in products], [loc.id for loc in places])


async def _step(session: AsyncSession, world: World, step: tuple[Any, ...]) -> None:
    """Apply one step through the services and the model; a refusal must be one the model expects."""
    kind = step[0]
    model = world.model
    inventory, writer = InventoryService(session), StockService(session)
    if kind == "receive":
        _k, p, loc, q = step
        product, place = world.products[p], world.places[loc]
        await inventory.receive(world.admin, place, [(str(product), str(q))])
        model[product, place] += q
    elif kind == "send":
        _k, p, a, b, q = step
        product, source, target = world.products[p], world.places[a], world.places[b]
        refused = a == b or model[product, source] < q
        levels = await writer.levels_at(source, [product])
        refused = refused or product not in levels
        try:
            transfer = await inventory.create_transfer(world.admin, source, target, [(product, q)])
        except ValidationFailed:
            assert refused, step
            raise
        assert not refused, step
        model[product, source] -= q
        world.moving.append((transfer.id, transfer.lines[0].id, product, source, target, q))
    elif kind in ("arrive", "cancel"):
        if not world.moving:
            return
        transfer_id, line_id, product, source, target, q = world.moving.pop(step[1] % len(world.moving))
        if kind == "arrive":
            arrived = q * step[2] // 100
            await inventory.receive_transfer(world.admin, transfer_id, [(line_id, arrived)])
            model[product, target] += arrived
        else:
            await inventory.cancel_transfer(world.admin, transfer_id)
            model[product, source] += q
    elif kind == "sale":
        _k, p, loc, q, offline = step
        product, place = world.products[p], world.places[loc]
        enough = model[product, place] >= q
        try:
            await writer.take(
                product, place, q, MovementKind.SALE, allow_shortfall=offline, reference="sale:p"
            )
        except InsufficientStock:
            assert not enough and not offline, step
            raise
        assert enough or offline, step
        model[product, place] = max(0, model[product, place] - q)
    elif kind == "refund":
        _k, p, loc, q = step
        product, place = world.products[p], world.places[loc]
        await writer.put(product, place, q, MovementKind.REFUND, reference="refund:p")
        model[product, place] += q
    elif kind == "count":
        _k, p, loc, counted = step
        product, place = world.products[p], world.places[loc]
        await inventory.count(world.admin, place, [(product, counted)])
        model[product, place] = counted


async def _check(maker: async_sessionmaker[AsyncSession], world: World) -> None:
    async with maker() as session:
        levels = (
            await session.execute(
                select(StockLevel.product_id, StockLevel.location_id, StockLevel.on_hand).where(
                    StockLevel.location_id.in_(world.places)
                )
            )
        ).all()
        sums = (
            await session.execute(
                select(StockMovement.product_id, StockMovement.location_id, func.sum(StockMovement.quantity))
                .where(StockMovement.location_id.in_(world.places))
                .group_by(StockMovement.product_id, StockMovement.location_id)
            )
        ).all()
    level_of = {(int(p), int(loc)): int(q) for p, loc, q in levels}
    ledger_of = {(int(p), int(loc)): int(q) for p, loc, q in sums}
    assert all(q >= 0 for q in level_of.values()), level_of
    for key in set(level_of) | set(ledger_of):
        assert level_of.get(key, 0) == ledger_of.get(key, 0), key
    for product in world.products:
        for place in world.places:
            assert level_of.get((product, place), 0) == world.model[product, place], (product, place)


async def _cleanup(maker: async_sessionmaker[AsyncSession], world: World) -> None:
    places, products = world.places, world.products
    async with maker() as session, session.begin():
        await session.execute(delete(StockMovement).where(StockMovement.location_id.in_(places)))
        await session.execute(delete(StockLevel).where(StockLevel.location_id.in_(places)))
        await session.execute(
            delete(Transfer).where(
                or_(Transfer.from_location_id.in_(places), Transfer.to_location_id.in_(places))
            )
        )
        await session.execute(delete(StockCount).where(StockCount.location_id.in_(places)))
        await session.execute(delete(Location).where(Location.id.in_(places)))
        await session.execute(
            delete(AuditEntry).where(
                or_(
                    AuditEntry.actor_id == world.admin.id,
                    (AuditEntry.object_type == "product") & AuditEntry.object_id.in_(products),
                    (AuditEntry.object_type == "producer") & (AuditEntry.object_id == world.producer_id),
                )
            )
        )
        await session.execute(delete(Product).where(Product.id.in_(products)))
        await session.execute(delete(Producer).where(Producer.id == world.producer_id))
        await session.execute(delete(Organization).where(Organization.id == world.organization_id))
        await session.execute(delete(User).where(User.id == world.admin.id))


async def _run(steps: list[tuple[Any, ...]]) -> None:
    engine = create_async_engine(os.environ["DATABASE_URL"], poolclass=NullPool)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    world = await _setup(maker)
    try:
        for step in steps:
            async with maker() as session:
                try:
                    async with session.begin():
                        await session.connection(execution_options={"sqlite_begin_immediate": True})
                        await _step(session, world, step)
                except (ValidationFailed, InsufficientStock):
                    pass  # refused as the model expected; the transaction rolled back
            await _check(maker, world)
    finally:
        await _cleanup(maker, world)
        await engine.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=30))
def test_the_ledger_always_sums_to_the_level(database: str, steps: list[tuple[Any, ...]]) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _run(steps)).result()
