"""Who may act is checked on the object: vendor A cannot read or change vendor B's stock through any
inventory entry point, whatever ids it sends, and a refused call changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from app.inventory.models import Location, MovementKind, StockMovement
from app.inventory.services import InventoryService, LocationService, StockService
from tests.factories import make_location, stock
from tests.integration.test_inventory_services import Shop, make_shop, quick_actor, snapshot


@dataclass
class Theirs:
    shop: Shop
    booth: Location  # a second place of producer `theirs`
    transfer_id: int  # in transit between their two places
    line_id: int
    shortfall_id: int  # a flagged shortfall at their warehouse


async def setup(db: AsyncSession) -> Theirs:
    s = await make_shop(db)
    booth = await make_location(db, s.theirs, kind="booth", name="Gian B-7")
    await stock(db, s.mam, s.their_warehouse, 10)
    await stock(db, s.candy, s.warehouse, 10)
    service = InventoryService(db)
    transfer = await service.create_transfer(s.other_vendor, s.their_warehouse.id, booth.id, [(s.mam.id, 3)])
    await service.set_threshold(s.other_vendor, s.their_warehouse.id, s.mam.id, "50")
    await StockService(db).take(
        s.mam.id, s.their_warehouse.id, 9, MovementKind.SALE, allow_shortfall=True, reference="sale:x"
    )
    await db.commit()
    shortfall = await db.scalar(select(StockMovement.id).where(StockMovement.flagged.is_(True)))
    assert shortfall is not None
    return Theirs(s, booth, transfer.id, transfer.lines[0].id, int(shortfall))


Call = Callable[[AsyncSession, Theirs], Awaitable[Any]]


def _inv(db: AsyncSession) -> InventoryService:
    return InventoryService(db)


ENTRY_POINTS: dict[str, tuple[Call, type[DomainError]]] = {
    "read stock": (lambda db, t: _inv(db).stock(t.shop.vendor, t.shop.their_warehouse.id), NotFound),
    "search stock": (
        lambda db, t: _inv(db).stock(t.shop.vendor, t.shop.their_warehouse.id, q="mam", low_only=True),
        NotFound,
    ),
    "receive": (
        lambda db, t: _inv(db).receive(t.shop.vendor, t.shop.their_warehouse.id, [(t.shop.mam.id, "5")]),
        NotFound,
    ),
    "receive my product there": (
        lambda db, t: _inv(db).receive(t.shop.vendor, t.shop.their_warehouse.id, [(t.shop.candy.id, "5")]),
        NotFound,
    ),
    "set a threshold": (
        lambda db, t: _inv(db).set_threshold(t.shop.vendor, t.shop.their_warehouse.id, t.shop.mam.id, "1"),
        NotFound,
    ),
    "transfer from theirs": (
        lambda db, t: _inv(db).create_transfer(
            t.shop.vendor, t.shop.their_warehouse.id, t.shop.warehouse.id, [(t.shop.mam.id, "1")]
        ),
        NotFound,
    ),
    "transfer to theirs": (
        lambda db, t: _inv(db).create_transfer(
            t.shop.vendor, t.shop.warehouse.id, t.shop.their_warehouse.id, [(t.shop.candy.id, "1")]
        ),
        NotFound,
    ),
    "transfer between theirs": (
        lambda db, t: _inv(db).create_transfer(
            t.shop.vendor, t.shop.their_warehouse.id, t.booth.id, [(t.shop.mam.id, "1")]
        ),
        NotFound,
    ),
    "see their transfer": (lambda db, t: _inv(db).get_transfer(t.shop.vendor, t.transfer_id), NotFound),
    "receive their transfer": (
        lambda db, t: _inv(db).receive_transfer(t.shop.vendor, t.transfer_id, [(t.line_id, "3")]),
        NotFound,
    ),
    "cancel their transfer": (lambda db, t: _inv(db).cancel_transfer(t.shop.vendor, t.transfer_id), NotFound),
    "count": (
        lambda db, t: _inv(db).count(t.shop.vendor, t.shop.their_warehouse.id, [(t.shop.mam.id, "0")]),
        NotFound,
    ),
    "ledger": (
        lambda db, t: _inv(db).ledger(t.shop.vendor, t.shop.their_warehouse.id, t.shop.mam.id),
        NotFound,
    ),
    "export": (lambda db, t: _inv(db).export_csv(t.shop.vendor, t.shop.their_warehouse.id), NotFound),
    "review their shortfall": (
        lambda db, t: _inv(db).review_shortfall(t.shop.vendor, t.shortfall_id),
        NotFound,
    ),
    "their producer's stock": (
        lambda db, t: _inv(db).producer_stock(t.shop.vendor, t.shop.theirs.id),
        NotFound,
    ),
    "sell-side stock": (
        lambda db, t: _inv(db).sellable_stock(t.shop.vendor, t.shop.their_warehouse.id),
        PermissionDenied,
    ),
    "edit their place": (
        lambda db, t: LocationService(db).update(
            t.shop.vendor, t.shop.their_warehouse.id, {"name": "Của tôi", "kind": "warehouse"}
        ),
        NotFound,
    ),
    "add a place for them": (
        lambda db, t: LocationService(db).create(
            t.shop.vendor, {"owner": f"producer:{t.shop.theirs.id}", "name": "Kho", "kind": "warehouse"}
        ),
        ValidationFailed,
    ),
    "a place that does not exist": (lambda db, t: _inv(db).stock(t.shop.vendor, 987654), NotFound),
}


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
async def test_vendor_a_cannot_touch_vendor_bs_stock(db: AsyncSession, name: str) -> None:
    theirs = await setup(db)
    call, refusal = ENTRY_POINTS[name]
    before = await snapshot(db)
    with pytest.raises(refusal):
        await call(db, theirs)
    assert await snapshot(db) == before


async def test_a_cashier_sells_but_does_not_manage_stock(db: AsyncSession) -> None:
    t = await setup(db)
    cashier = await quick_actor(db, (Role.CASHIER, t.shop.theirs, None))
    assert [loc.id for loc in await LocationService(db).manageable(cashier)] == []
    assert {loc.id for loc in await LocationService(db).sellable(cashier)} == {
        t.shop.their_warehouse.id,
        t.booth.id,
    }
    before = await snapshot(db)
    with pytest.raises(NotFound):
        await InventoryService(db).receive(cashier, t.shop.their_warehouse.id, [(t.shop.mam.id, "5")])
    with pytest.raises(NotFound):
        await InventoryService(db).stock(cashier, t.shop.their_warehouse.id)
    assert await snapshot(db) == before
    assert await InventoryService(db).sellable_stock(cashier, t.shop.their_warehouse.id)


async def test_lists_show_only_the_actors_own_places(db: AsyncSession) -> None:
    t = await setup(db)
    s = t.shop
    service = InventoryService(db)
    await service.set_threshold(s.vendor, s.warehouse.id, s.candy.id, "20")
    await db.commit()
    mine = {s.warehouse.id, s.booth.id}
    assert {summary.location.id for summary in await LocationService(db).summaries(s.vendor)} == mine
    assert {loc.id for loc in await LocationService(db).sellable(s.vendor)} == mine
    assert {row.location.id for row in await service.low_stock(s.vendor) if row.location} == {s.warehouse.id}
    assert (await service.shortfalls(s.vendor)).total == 0
    assert (await service.list_transfers(s.vendor)).total == 0
    assert await service.waiting(s.vendor) == (0, 0)
    # …and they see theirs.
    assert (await service.shortfalls(s.other_vendor)).total == 1
    assert (await service.list_transfers(s.other_vendor)).total == 1
    assert await service.waiting(s.other_vendor) == (1, 1)


async def test_each_end_of_a_transfer_does_only_its_part(db: AsyncSession) -> None:
    t = await setup(db)
    s = t.shop
    service = InventoryService(db)
    await stock(db, s.mam, s.their_warehouse, 5)
    # Sent by someone who manages both ends (an admin) from their warehouse to the showroom.
    transfer = await service.create_transfer(s.admin, s.their_warehouse.id, s.showroom.id, [(s.mam.id, 1)])
    await db.commit()
    line_id = transfer.lines[0].id
    receiver = await service.get_transfer(s.operator, transfer.id)
    sender = await service.get_transfer(s.other_vendor, transfer.id)
    assert (receiver.can_receive, receiver.can_cancel) == (True, False)
    assert (sender.can_receive, sender.can_cancel) == (False, True)
    listed = await service.list_transfers(s.operator)
    assert [(v.transfer.id, v.can_receive, v.can_cancel) for v in listed.items] == [
        (transfer.id, True, False)
    ]
    before = await snapshot(db)
    with pytest.raises(PermissionDenied):
        await service.cancel_transfer(s.operator, transfer.id)
    with pytest.raises(PermissionDenied):
        await service.receive_transfer(s.other_vendor, transfer.id, [(line_id, "1")])
    with pytest.raises(NotFound):
        await service.get_transfer(s.vendor, transfer.id)
    assert await snapshot(db) == before
    await service.receive_transfer(s.operator, transfer.id, [(line_id, "1")])
    await db.commit()
    assert await StockService(db).on_hand(s.mam.id, s.showroom.id) == 1
