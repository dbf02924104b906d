"""Inventory use cases on a real database: places, receipts, transfers (with shortfalls and cancellation),
counts, thresholds and alerts, shortfall review, a product's ledger, a producer's stock everywhere, export."""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.accounts.models import AuditEntry, Membership, Organization, Role, User
from app.accounts.rules import CurrentUser
from app.accounts.services import current_user_from
from app.catalog.models import Producer, Product
from app.errors import Conflict, NotFound, ValidationFailed
from app.inventory import rules
from app.inventory.models import (
    Location,
    LocationKind,
    MovementKind,
    StockCount,
    StockLevel,
    StockMovement,
    Transfer,
    TransferStatus,
)
from app.inventory.services import InventoryService, LocationService, StockService
from tests.factories import (
    make_location,
    make_organization,
    make_producer,
    make_product,
    stock,
)

# --- shared by the inventory integration tests ---


_people = itertools.count(1)


async def actor_of(db: AsyncSession, user: User) -> CurrentUser:
    """The CurrentUser a request of `user` would see, with its roles."""
    stmt = (
        select(User)
        .where(User.id == user.id)
        .options(selectinload(User.memberships))
        .execution_options(populate_existing=True)
    )
    return current_user_from((await db.scalars(stmt)).one())


async def quick_actor(
    db: AsyncSession, *roles: tuple[Role, Producer | None, Organization | None]
) -> CurrentUser:
    """A user with these roles, written directly (no password hashing: these tests never log in)."""
    user = User(email=f"inventory{next(_people)}@example.com", name="Người kiểm kho", password_hash="-")
    user.memberships = [
        Membership(
            role=role,
            producer_id=producer.id if producer else None,
            organization_id=organization.id if organization else None,
        )
        for role, producer, organization in roles
    ]
    db.add(user)
    await db.commit()
    return await actor_of(db, user)


@dataclass
class Shop:
    """Producer `mine` (a warehouse and a booth, two products) with its vendor; producer `theirs` (a
    warehouse, one product) with its vendor; organization `org` with a showroom and its operator (a vendor
    of the organization); an admin."""

    org: Organization
    mine: Producer
    theirs: Producer
    candy: Product
    oil: Product
    mam: Product
    warehouse: Location
    booth: Location
    their_warehouse: Location
    showroom: Location
    vendor: CurrentUser
    other_vendor: CurrentUser
    operator: CurrentUser
    admin: CurrentUser


async def make_shop(db: AsyncSession) -> Shop:
    org = await make_organization(db, "Trung tâm OCOP Bến Tre")
    mine = await make_producer(db, name="HTX Dừa Giồng Trôm")
    theirs = await make_producer(db, name="HTX Mắm Gò Công")
    candy = await make_product(db, mine, name_vi="Kẹo dừa sáp", name_en="Coconut candy", sku="KD-01")
    oil = await make_product(db, mine, name_vi="Dầu dừa tinh khiết", name_en="Coconut oil", sku="DD-02")
    mam = await make_product(db, theirs, name_vi="Mắm tép", name_en="Shrimp paste", sku="MT-01")
    warehouse = await make_location(db, mine, name="Kho Giồng Trôm")
    booth = await make_location(db, mine, kind="booth", name="Gian A-12")
    their_warehouse = await make_location(db, theirs, name="Kho Gò Công")
    showroom = await make_location(db, organization=org, kind="showroom", name="Điểm OCOP Bến Tre")
    vendor = await quick_actor(db, (Role.VENDOR, mine, None))
    other_vendor = await quick_actor(db, (Role.VENDOR, theirs, None))
    operator = await quick_actor(db, (Role.VENDOR, None, org))
    admin = await quick_actor(db, (Role.ADMIN, None, None))
    return Shop(
        org,
        mine,
        theirs,
        candy,
        oil,
        mam,
        warehouse,
        booth,
        their_warehouse,
        showroom,
        vendor,
        other_vendor,
        operator,
        admin,
    )


async def level_of(db: AsyncSession, product: Product | int, location: Location | int) -> int:
    product_id = product if isinstance(product, int) else product.id
    location_id = location if isinstance(location, int) else location.id
    return await StockService(db).on_hand(product_id, location_id)


async def ledger_sum(db: AsyncSession, product_id: int, location_id: int) -> int:
    stmt = select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
        StockMovement.product_id == product_id, StockMovement.location_id == location_id
    )
    return int(await db.scalar(stmt) or 0)


async def assert_ledger_holds(db: AsyncSession) -> None:
    """For every product × place the ledger sums to the level, and no level is below zero."""
    levels = (
        await db.execute(select(StockLevel.product_id, StockLevel.location_id, StockLevel.on_hand))
    ).all()
    movements = (
        await db.execute(select(StockMovement.product_id, StockMovement.location_id, StockMovement.quantity))
    ).all()
    expected = rules.ledger_levels((int(p), int(loc), int(q)) for p, loc, q in movements)
    actual = {(int(p), int(loc)): int(q) for p, loc, q in levels}
    assert all(q >= 0 for q in actual.values())
    assert {key: q for key, q in actual.items() if q or key in expected} == expected


async def snapshot(db: AsyncSession) -> dict[str, Any]:
    """Everything a refused request must leave as it was (what the session holds is committed first, so a
    stray write would show)."""
    await db.commit()

    async def count(model: type[Any]) -> int:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)

    levels = (
        await db.execute(
            select(
                StockLevel.product_id, StockLevel.location_id, StockLevel.on_hand, StockLevel.low_threshold
            )
        )
    ).all()
    transfers = (await db.execute(select(Transfer.id, Transfer.status))).all()
    locations = (await db.execute(select(Location.id, Location.name, Location.is_active))).all()
    reviewed = (await db.execute(select(StockMovement.id, StockMovement.reviewed_at))).all()
    return {
        "movements": await count(StockMovement),
        "audit": await count(AuditEntry),
        "counts": await count(StockCount),
        "levels": sorted(tuple(row) for row in levels),
        "transfers": sorted(tuple(row) for row in transfers),
        "locations": sorted(tuple(row) for row in locations),
        "reviewed": sorted((row[0], row[1] is not None) for row in reviewed),
    }


async def movements_of(db: AsyncSession, reference: str) -> list[tuple[MovementKind, int, int, int]]:
    stmt = (
        select(
            StockMovement.kind, StockMovement.product_id, StockMovement.location_id, StockMovement.quantity
        )
        .where(StockMovement.reference == reference)
        .order_by(StockMovement.id)
    )
    return [(MovementKind(k), int(p), int(loc), int(q)) for k, p, loc, q in (await db.execute(stmt)).all()]


async def audit_actions(db: AsyncSession) -> list[str]:
    stmt = select(AuditEntry.action).where(AuditEntry.action.startswith("inventory.")).order_by(AuditEntry.id)
    return list((await db.scalars(stmt)).all())


# --- places ---


async def test_a_vendor_adds_a_place_for_its_producer_and_edits_it(db: AsyncSession) -> None:
    s = await make_shop(db)
    places = LocationService(db)
    created = await places.create(
        s.vendor,
        {
            "owner": f"producer:{s.mine.id}",
            "name": "Gian hàng Hội chợ Cần Thơ",
            "kind": "booth",
            "address": "Khu B",
            "province_code": "92",
            "latitude": "10,03",
            "longitude": "105.78",
        },
    )
    await db.commit()
    assert created.producer_id == s.mine.id and created.kind == LocationKind.BOOTH
    assert created.latitude == pytest.approx(10.03) and created.province_code == 92
    edited = await places.update(
        s.vendor,
        created.id,
        {"name": "Gian B-3", "kind": "booth", "latitude": "", "longitude": ""},
        active=False,
    )
    await db.commit()
    assert (edited.name, edited.is_active, edited.latitude) == ("Gian B-3", False, None)
    assert edited.producer_id == s.mine.id  # the owner never changes
    assert await audit_actions(db) == ["inventory.location.created", "inventory.location.updated"]
    assert [(v, label) for v, label in await places.owner_choices(s.vendor)] == [
        (f"producer:{s.mine.id}", s.mine.name)
    ]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"name": "", "kind": "booth"}, "name"),
        ({"name": "X" * 201, "kind": "booth"}, "name"),
        ({"name": "Kho", "kind": "garage"}, "kind"),
        ({"name": "Kho", "kind": "booth", "province_code": "999"}, "province_code"),
        ({"name": "Kho", "kind": "booth", "latitude": "10.1"}, "longitude"),
        ({"name": "Kho", "kind": "booth", "latitude": "48.85", "longitude": "2.35"}, "latitude"),
        ({"name": "Kho", "kind": "booth", "latitude": "abc", "longitude": "106"}, "latitude"),
    ],
)
async def test_a_place_with_bad_fields_is_refused(db: AsyncSession, raw: dict[str, str], field: str) -> None:
    s = await make_shop(db)
    before = await snapshot(db)
    with pytest.raises(ValidationFailed) as refused:
        await LocationService(db).create(s.vendor, {"owner": f"producer:{s.mine.id}", **raw})
    assert field in refused.value.fields
    assert await snapshot(db) == before


async def test_a_place_for_someone_elses_producer_or_organization_is_refused(db: AsyncSession) -> None:
    s = await make_shop(db)
    before = await snapshot(db)
    for owner in (f"producer:{s.theirs.id}", f"organization:{s.org.id}", "producer:999999", "", "nobody:1"):
        with pytest.raises(ValidationFailed) as refused:
            await LocationService(db).create(s.vendor, {"owner": owner, "name": "Kho", "kind": "warehouse"})
        assert "owner" in refused.value.fields
    assert await snapshot(db) == before
    # The showroom's operator may add a place for its organization.
    showroom = await LocationService(db).create(
        s.operator, {"owner": f"organization:{s.org.id}", "name": "Điểm OCOP 2", "kind": "showroom"}
    )
    assert showroom.organization_id == s.org.id and showroom.producer_id is None


async def test_who_manages_and_sells_where_matches_the_rules(db: AsyncSession) -> None:
    s = await make_shop(db)
    organizer = await quick_actor(db, (Role.ORGANIZER, None, s.org))
    cashier = await quick_actor(db, (Role.CASHIER, s.mine, None))
    registered = await make_producer(db, organization=s.org, name="HTX Bưởi da xanh")
    registered_place = await make_location(db, registered, name="Kho bưởi")
    closed = await make_location(db, s.mine, name="Kho cũ")
    closed.is_active = False
    await db.commit()
    everything = (await db.scalars(select(Location))).all()
    producers = {p.id: p.organization_id for p in (await db.scalars(select(Producer))).all()}
    places = LocationService(db)
    for user in (s.vendor, s.other_vendor, s.operator, s.admin, organizer, cashier):
        managed = {loc.id for loc in await places.manageable(user)}
        sellable = {loc.id for loc in await places.sellable(user)}
        expected_managed = {
            loc.id
            for loc in everything
            if rules.can_manage_location(
                user, loc.producer_id, loc.organization_id, producers.get(loc.producer_id or 0)
            )
        }
        expected_sellable = {
            loc.id
            for loc in everything
            if loc.is_active
            and rules.can_sell_at(
                user, loc.producer_id, loc.organization_id, producers.get(loc.producer_id or 0)
            )
        }
        assert managed == expected_managed, user.email
        assert sellable == expected_sellable, user.email
    assert {loc.id for loc in await places.manageable(organizer)} == {s.showroom.id, registered_place.id}
    assert {loc.id for loc in await places.sellable(cashier)} == {s.warehouse.id, s.booth.id}
    assert closed.id in {loc.id for loc in await places.manageable(s.vendor)}


# --- receiving goods ---


async def test_receiving_adds_stock_with_one_receipt_movement_per_product(db: AsyncSession) -> None:
    s = await make_shop(db)
    result = await InventoryService(db).receive(
        s.vendor,
        s.warehouse.id,
        [(str(s.candy.id), "24"), ("", ""), (str(s.oil.id), "6"), (str(s.candy.id), "1")],
        reference="PN-0012",
        note="Lô Tết",
    )
    await db.commit()
    assert result.units == 31 and result.reference.startswith("receipt:")
    assert await level_of(db, s.candy, s.warehouse) == 25
    assert await level_of(db, s.oil, s.warehouse) == 6
    moved = await movements_of(db, result.reference)
    assert sorted(moved) == sorted(
        [
            (MovementKind.RECEIPT, s.candy.id, s.warehouse.id, 25),
            (MovementKind.RECEIPT, s.oil.id, s.warehouse.id, 6),
        ]
    )
    reasons = set((await db.scalars(select(StockMovement.reason))).all())
    assert reasons == {"PN-0012 · Lô Tết"}
    assert await audit_actions(db) == ["inventory.stock.received"]
    await assert_ledger_holds(db)


@pytest.mark.parametrize(
    ("quantity", "field"),
    [
        ("0", "quantity-1"),
        ("-1", "quantity-1"),
        ("1.5", "quantity-1"),
        ("abc", "quantity-1"),
        ("1000001", "quantity-1"),
        ("", "quantity-1"),
        ("99999999999999999999", "quantity-1"),
    ],
)
async def test_receiving_a_bad_quantity_is_refused_and_writes_nothing(
    db: AsyncSession, quantity: str, field: str
) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.warehouse, 5)
    before = await snapshot(db)
    with pytest.raises(ValidationFailed) as refused:
        await InventoryService(db).receive(
            s.vendor, s.warehouse.id, [(str(s.candy.id), quantity), (str(s.oil.id), "3")]
        )
    assert list(refused.value.fields) == [field]
    assert await snapshot(db) == before


async def test_receiving_unknown_hidden_or_other_producers_products_is_refused(db: AsyncSession) -> None:
    s = await make_shop(db)
    hidden = await make_product(db, s.mine, name_vi="Kẹo cũ")
    hidden.is_active = False
    await db.commit()
    before = await snapshot(db)
    rows = [(str(s.candy.id), "1"), (str(s.mam.id), "2"), (str(hidden.id), "3"), ("999999", "4"), ("x", "5")]
    with pytest.raises(ValidationFailed) as refused:
        await InventoryService(db).receive(s.vendor, s.warehouse.id, rows)
    assert set(refused.value.fields) == {"product_id-2", "product_id-3", "product_id-4", "product_id-5"}
    with pytest.raises(ValidationFailed) as empty:
        await InventoryService(db).receive(s.vendor, s.warehouse.id, [("", ""), ("", "")])
    assert set(empty.value.fields) == {"lines"}
    assert await snapshot(db) == before


async def test_a_showroom_keeps_many_producers_products_each_attributable(db: AsyncSession) -> None:
    s = await make_shop(db)
    service = InventoryService(db)
    await service.receive(s.operator, s.showroom.id, [(s.candy.id, 10), (s.mam.id, 4)])
    await stock(db, s.candy, s.warehouse, 30)
    await db.commit()
    _loc, levels = await service.stock(s.operator, s.showroom.id)
    assert {(row.product.id, row.product.producer_id, row.level.on_hand) for row in levels.items} == {
        (s.candy.id, s.mine.id, 10),
        (s.mam.id, s.theirs.id, 4),
    }
    mine = await service.producer_stock(s.vendor, s.mine.id)
    assert {(row.product.id, row.location.id, row.level.on_hand) for row in mine.rows if row.location} == {
        (s.candy.id, s.showroom.id, 10),
        (s.candy.id, s.warehouse.id, 30),
    }
    assert mine.totals == {s.candy.id: 40}
    theirs = await service.producer_stock(s.other_vendor, s.theirs.id)
    assert [(row.product.id, row.level.on_hand) for row in theirs.rows] == [(s.mam.id, 4)]


# --- transfers ---


async def test_a_transfer_leaves_at_once_and_arrives_when_received(db: AsyncSession) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.warehouse, 20)
    await stock(db, s.oil, s.warehouse, 5)
    service = InventoryService(db)
    transfer = await service.create_transfer(
        s.vendor, str(s.warehouse.id), str(s.booth.id), [(s.candy.id, "12"), (s.oil.id, "5")], note="Xe 71C"
    )
    await db.commit()
    assert transfer.status == TransferStatus.IN_TRANSIT
    assert await level_of(db, s.candy, s.warehouse) == 8 and await level_of(db, s.oil, s.warehouse) == 0
    assert await level_of(db, s.candy, s.booth) == 0
    view = await service.get_transfer(s.vendor, transfer.id)
    assert view.can_receive and view.can_cancel and view.units_sent == 17
    lines = {line.product_id: line.id for line in transfer.lines}
    await service.receive_transfer(s.vendor, transfer.id, [(lines[s.candy.id], "12"), (lines[s.oil.id], "5")])
    await db.commit()
    assert await level_of(db, s.candy, s.booth) == 12 and await level_of(db, s.oil, s.booth) == 5
    assert sorted(await movements_of(db, f"transfer:{transfer.id}")) == sorted(
        [
            (MovementKind.TRANSFER_OUT, s.candy.id, s.warehouse.id, -12),
            (MovementKind.TRANSFER_OUT, s.oil.id, s.warehouse.id, -5),
            (MovementKind.TRANSFER_IN, s.candy.id, s.booth.id, 12),
            (MovementKind.TRANSFER_IN, s.oil.id, s.booth.id, 5),
        ]
    )
    view = await service.get_transfer(s.vendor, transfer.id)
    assert view.transfer.status == TransferStatus.RECEIVED and view.shortfall == 0
    assert not view.can_receive and not view.can_cancel
    assert view.transfer.received_by == s.vendor.id and view.transfer.received_at is not None
    actions = await audit_actions(db)
    assert "inventory.stock.transferred" in actions and "inventory.transfer.received" in actions
    await assert_ledger_holds(db)


async def test_receiving_fewer_than_sent_records_the_shortfall_on_the_line(db: AsyncSession) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.warehouse, 20)
    service = InventoryService(db)
    transfer = await service.create_transfer(s.vendor, s.warehouse.id, s.booth.id, [(s.candy.id, 10)])
    await db.commit()
    line = transfer.lines[0]
    await service.receive_transfer(s.vendor, transfer.id, [(line.id, "7")], note="3 hũ vỡ")
    await db.commit()
    view = await service.get_transfer(s.vendor, transfer.id)
    assert view.transfer.lines[0].quantity_received == 7 and view.shortfall == 3
    assert "3 hũ vỡ" in view.transfer.note
    assert await level_of(db, s.candy, s.warehouse) == 10 and await level_of(db, s.candy, s.booth) == 7
    listed = await service.list_transfers(s.vendor)
    assert [(v.transfer.id, v.shortfall) for v in listed.items] == [(transfer.id, 3)]
    await assert_ledger_holds(db)


@pytest.mark.parametrize("received", ["11", "-1", "1.5", "abc", ""])
async def test_receiving_a_bad_quantity_of_a_transfer_is_refused(db: AsyncSession, received: str) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.warehouse, 20)
    transfer = await InventoryService(db).create_transfer(
        s.vendor, s.warehouse.id, s.booth.id, [(s.candy.id, 10)]
    )
    await db.commit()
    line_id = transfer.lines[0].id
    before = await snapshot(db)
    with pytest.raises(ValidationFailed) as refused:
        await InventoryService(db).receive_transfer(s.vendor, transfer.id, [(line_id, received)])
    assert list(refused.value.fields) == [f"received-{line_id}"]
    assert await snapshot(db) == before


async def test_cancelling_a_transfer_brings_the_goods_back(db: AsyncSession) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.warehouse, 20)
    service = InventoryService(db)
    transfer = await service.create_transfer(s.vendor, s.warehouse.id, s.booth.id, [(s.candy.id, 10)])
    await db.commit()
    await service.cancel_transfer(s.vendor, transfer.id)
    await db.commit()
    assert await level_of(db, s.candy, s.warehouse) == 20 and await level_of(db, s.candy, s.booth) == 0
    moved = await movements_of(db, f"transfer:{transfer.id}")
    assert moved == [
        (MovementKind.TRANSFER_OUT, s.candy.id, s.warehouse.id, -10),
        (MovementKind.TRANSFER_IN, s.candy.id, s.warehouse.id, 10),
    ]
    assert (await db.get(Transfer, transfer.id)).status == TransferStatus.CANCELLED  # type: ignore[union-attr]
    # Once cancelled it can be neither received nor cancelled again.
    before = await snapshot(db)
    with pytest.raises(Conflict):
        await service.receive_transfer(s.vendor, transfer.id, [(transfer.lines[0].id, "10")])
    with pytest.raises(Conflict):
        await service.cancel_transfer(s.vendor, transfer.id)
    assert await snapshot(db) == before
    await assert_ledger_holds(db)


async def test_a_received_transfer_is_never_received_twice(db: AsyncSession) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.warehouse, 20)
    service = InventoryService(db)
    transfer = await service.create_transfer(s.vendor, s.warehouse.id, s.booth.id, [(s.candy.id, 10)])
    line_id = transfer.lines[0].id
    await service.receive_transfer(s.vendor, transfer.id, [(line_id, "10")])
    await db.commit()
    before = await snapshot(db)
    with pytest.raises(Conflict):
        await service.receive_transfer(s.vendor, transfer.id, [(line_id, "10")])
    with pytest.raises(Conflict):
        await service.cancel_transfer(s.vendor, transfer.id)
    assert await snapshot(db) == before
    assert await level_of(db, s.candy, s.booth) == 10


async def test_a_transfer_that_cannot_be_sent_is_refused_and_writes_nothing(db: AsyncSession) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.warehouse, 5)
    await stock(db, s.oil, s.warehouse, 5)
    service = InventoryService(db)
    before = await snapshot(db)
    cases: list[tuple[Any, Any, list[tuple[Any, Any]], set[str]]] = [
        (s.warehouse.id, s.booth.id, [(s.candy.id, "6"), (s.oil.id, "5")], {"quantity-1"}),
        (s.warehouse.id, s.warehouse.id, [(s.candy.id, "1")], {"to_location_id"}),
        ("", s.booth.id, [(s.candy.id, "1")], {"from_location_id"}),
        (s.warehouse.id, "", [(s.candy.id, "1")], {"to_location_id"}),
        (s.warehouse.id, s.booth.id, [(s.mam.id, "1")], {"product_id-1"}),  # not kept at the source
        (s.warehouse.id, s.booth.id, [(s.candy.id, "0")], {"quantity-1"}),
        (s.warehouse.id, s.booth.id, [], {"lines"}),
    ]
    for source, target, rows, fields in cases:
        with pytest.raises(ValidationFailed) as refused:
            await service.create_transfer(s.vendor, source, target, rows)
        assert set(refused.value.fields) == fields, (source, target, rows)
    assert await snapshot(db) == before


async def test_a_producers_goods_go_only_to_its_own_places_or_a_showroom(db: AsyncSession) -> None:
    s = await make_shop(db)
    await InventoryService(db).receive(s.operator, s.showroom.id, [(s.candy.id, 5), (s.mam.id, 5)])
    await db.commit()
    # Someone who manages both the showroom and producer `mine`'s places: the showroom's goods of another
    # producer cannot go to mine's warehouse; mine's own goods can.
    both = await quick_actor(db, (Role.VENDOR, s.mine, None), (Role.VENDOR, None, s.org))
    service = InventoryService(db)
    with pytest.raises(ValidationFailed) as refused:
        await service.create_transfer(both, s.showroom.id, s.warehouse.id, [(s.mam.id, 1)])
    assert set(refused.value.fields) == {"product_id-1"}
    sent = await service.create_transfer(both, s.showroom.id, s.warehouse.id, [(s.candy.id, 2)])
    await db.commit()
    assert sent.status == TransferStatus.IN_TRANSIT and await level_of(db, s.candy, s.showroom) == 3


# --- counts ---


async def test_a_count_sets_each_counted_level_and_writes_the_differences(db: AsyncSession) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.booth, 10)
    await stock(db, s.oil, s.booth, 4)
    stock_count = await InventoryService(db).count(
        s.vendor,
        s.booth.id,
        [(str(s.candy.id), "8"), (str(s.oil.id), ""), ("", ""), (str(s.oil.id), "4")],
        note="Kiểm kê cuối ngày",
    )
    await db.commit()
    assert {(line.product_id, line.expected, line.counted) for line in stock_count.lines} == {
        (s.candy.id, 10, 8),
        (s.oil.id, 4, 4),
    }
    assert await level_of(db, s.candy, s.booth) == 8 and await level_of(db, s.oil, s.booth) == 4
    assert await movements_of(db, f"count:{stock_count.id}") == [
        (MovementKind.ADJUSTMENT, s.candy.id, s.booth.id, -2)
    ]
    # A product found on the shelf although never recorded here can be counted in.
    found = await InventoryService(db).count(s.vendor, s.booth.id, [(s.candy.id, 8), (s.oil.id, 0)])
    assert {(line.product_id, line.counted - line.expected) for line in found.lines} == {
        (s.candy.id, 0),
        (s.oil.id, -4),
    }
    await db.commit()
    assert "inventory.stock.counted" in await audit_actions(db)
    await assert_ledger_holds(db)


@pytest.mark.parametrize(
    ("rows", "fields"),
    [
        ([("{candy}", "-1")], {"counted-1"}),
        ([("{candy}", "1.5")], {"counted-1"}),
        ([("{candy}", "abc")], {"counted-1"}),
        ([("{candy}", "1000001")], {"counted-1"}),
        ([("{candy}", "3"), ("{candy}", "4")], {"product_id-2"}),
        ([("{mam}", "3")], {"product_id-1"}),
        ([("{candy}", ""), ("", "")], {"lines"}),
    ],
)
async def test_a_bad_count_is_refused_and_writes_nothing(
    db: AsyncSession, rows: list[tuple[str, str]], fields: set[str]
) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.booth, 10)
    ids = {"candy": s.candy.id, "mam": s.mam.id}
    before = await snapshot(db)
    with pytest.raises(ValidationFailed) as refused:
        await InventoryService(db).count(s.vendor, s.booth.id, [(p.format(**ids), c) for p, c in rows])
    assert set(refused.value.fields) == fields
    assert await snapshot(db) == before


# --- thresholds, alerts, search ---


async def test_thresholds_make_the_low_stock_alert_list(db: AsyncSession) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.booth, 3)
    await stock(db, s.oil, s.booth, 10)
    await stock(db, s.mam, s.their_warehouse, 1)
    service = InventoryService(db)
    level = await service.set_threshold(s.vendor, s.booth.id, s.candy.id, "5")
    assert level.low_threshold == 5
    await service.set_threshold(s.vendor, s.booth.id, s.oil.id, "10")  # at the threshold: low
    await service.set_threshold(s.other_vendor, s.their_warehouse.id, s.mam.id, "2")
    await db.commit()
    alerts = await service.low_stock(s.vendor)
    assert [(row.product.id, row.location.id if row.location else None) for row in alerts] == [
        (s.candy.id, s.booth.id),
        (s.oil.id, s.booth.id),
    ]
    _loc, low = await service.stock(s.vendor, s.booth.id, low_only=True)
    assert {row.product.id for row in low.items} == {s.candy.id, s.oil.id}
    cleared = await service.set_threshold(s.vendor, s.booth.id, s.oil.id, "")
    assert cleared.low_threshold is None
    await db.commit()
    assert [row.product.id for row in await service.low_stock(s.vendor)] == [s.candy.id]
    assert [row.product.id for row in await service.low_stock(s.admin)] == [s.mam.id, s.candy.id]
    assert (await audit_actions(db)).count("inventory.threshold.set") == 4


@pytest.mark.parametrize("threshold", ["-1", "1.5", "abc", "1000001"])
async def test_a_bad_threshold_is_refused(db: AsyncSession, threshold: str) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.booth, 3)
    before = await snapshot(db)
    with pytest.raises(ValidationFailed) as refused:
        await InventoryService(db).set_threshold(s.vendor, s.booth.id, s.candy.id, threshold)
    assert set(refused.value.fields) == {"threshold"}
    with pytest.raises(NotFound):  # no level of this product here
        await InventoryService(db).set_threshold(s.vendor, s.booth.id, s.oil.id, "3")
    assert await snapshot(db) == before


async def test_the_stock_list_searches_without_diacritics_and_pages(db: AsyncSession) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.warehouse, 3)
    await stock(db, s.oil, s.warehouse, 4)
    for n in range(30):
        product = await make_product(db, s.mine, name_vi=f"Bánh phồng sữa {n:02d}")
        await stock(db, product, s.warehouse, 1)
    service = InventoryService(db)
    _loc, found = await service.stock(s.vendor, s.warehouse.id, q="keo DUA")
    assert [row.product.id for row in found.items] == [s.candy.id]
    _loc, by_sku = await service.stock(s.vendor, s.warehouse.id, q="dd-02")
    assert [row.product.id for row in by_sku.items] == [s.oil.id]
    _loc, first = await service.stock(s.vendor, s.warehouse.id, q="banh phong")
    _loc, second = await service.stock(s.vendor, s.warehouse.id, q="banh phong", page=2)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (30, 2, 24, 6)
    assert not {row.product.id for row in first.items} & {row.product.id for row in second.items}


# --- shortfalls, ledger, export, API reads ---


async def test_shortfalls_are_listed_until_reviewed_once(db: AsyncSession) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.booth, 2)
    await stock(db, s.mam, s.their_warehouse, 0 + 1)
    writer = StockService(db)
    await writer.take(s.candy.id, s.booth.id, 5, MovementKind.SALE, allow_shortfall=True, reference="sale:a")
    await writer.take(
        s.mam.id, s.their_warehouse.id, 3, MovementKind.SALE, allow_shortfall=True, reference="sale:b"
    )
    await db.commit()
    service = InventoryService(db)
    waiting = await service.shortfalls(s.vendor)
    assert [(row.product.id, row.movement.quantity) for row in waiting.items] == [(s.candy.id, 3)]
    assert (await service.waiting(s.vendor))[0] == 1
    movement_id = waiting.items[0].movement.id
    reviewed = await service.review_shortfall(s.vendor, movement_id)
    await db.commit()
    assert reviewed.reviewed_at is not None and reviewed.reviewed_by == s.vendor.id
    again = await service.review_shortfall(s.vendor, movement_id)  # a second click changes nothing
    await db.commit()
    assert again.reviewed_at == reviewed.reviewed_at
    assert (await service.shortfalls(s.vendor)).total == 0
    assert [row.movement.id for row in (await service.shortfalls(s.vendor, reviewed=True)).items] == [
        movement_id
    ]
    assert (await audit_actions(db)).count("inventory.shortfall.reviewed") == 1
    normal = (await db.scalars(select(StockMovement.id).where(StockMovement.flagged.is_(False)))).first()
    with pytest.raises(NotFound):
        await service.review_shortfall(s.vendor, int(normal or 0))


async def test_a_products_ledger_at_a_place_is_newest_first_and_paged(db: AsyncSession) -> None:
    s = await make_shop(db)
    for _n in range(26):
        await stock(db, s.candy, s.booth, 1)
    await StockService(db).take(
        s.candy.id, s.booth.id, 2, MovementKind.SALE, actor=s.vendor, reference="sale:x"
    )
    await db.commit()
    service = InventoryService(db)
    first = await service.ledger(s.vendor, s.booth.id, s.candy.id)
    second = await service.ledger(s.vendor, s.booth.id, s.candy.id, page=2)
    assert first.on_hand == 24 and first.movements.total == 27
    newest = first.movements.items[0]
    assert (newest.movement.kind, newest.movement.quantity, newest.movement.on_hand_after) == (
        MovementKind.SALE,
        -2,
        24,
    )
    assert newest.actor_name
    assert len(first.movements.items) == 24 and len(second.movements.items) == 3
    # A product the place could keep but never had: an empty history. Another producer's: not found.
    assert (await service.ledger(s.vendor, s.booth.id, s.oil.id)).movements.total == 0
    with pytest.raises(NotFound):
        await service.ledger(s.vendor, s.booth.id, s.mam.id)


async def test_the_csv_export_has_a_bom_and_one_row_per_product(db: AsyncSession) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.booth, 12)
    await stock(db, s.oil, s.booth, 3)
    tricky = await make_product(db, s.mine, name_vi='=HYPERLINK("x")')
    await stock(db, tricky, s.booth, 1)
    await InventoryService(db).set_threshold(s.vendor, s.booth.id, s.oil.id, "5")
    await db.commit()
    location, content = await InventoryService(db).export_csv(s.vendor, s.booth.id)
    assert location.id == s.booth.id
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["product", "sku", "on_hand", "threshold"]
    assert sorted(rows[1:]) == sorted(
        [
            ["Kẹo dừa sáp", "KD-01", "12", ""],
            ["Dầu dừa tinh khiết", "DD-02", "3", "5"],
            ['\'=HYPERLINK("x")', "", "1", ""],  # never run as a formula by a spreadsheet
        ]
    )


async def test_the_registers_reads_show_active_products_where_one_may_sell(db: AsyncSession) -> None:
    s = await make_shop(db)
    hidden = await make_product(db, s.mine, name_vi="Kẹo cũ")
    await stock(db, s.candy, s.booth, 12)
    await stock(db, hidden, s.booth, 2)
    hidden.is_active = False
    await db.commit()
    cashier = await quick_actor(db, (Role.CASHIER, s.mine, None))
    found = await InventoryService(db).sellable_stock(cashier, s.booth.id)
    assert [(p.id, on_hand) for p, on_hand in found] == [(s.candy.id, 12)]
    assert {loc.id for loc in await LocationService(db).sellable(cashier)} == {s.warehouse.id, s.booth.id}


async def test_the_overview_counts_what_waits(db: AsyncSession) -> None:
    s = await make_shop(db)
    await stock(db, s.candy, s.warehouse, 10)
    await InventoryService(db).create_transfer(s.vendor, s.warehouse.id, s.booth.id, [(s.candy.id, 4)])
    await db.commit()
    summaries = {summary.location.id: summary for summary in await LocationService(db).summaries(s.vendor)}
    assert set(summaries) == {s.warehouse.id, s.booth.id}
    assert (summaries[s.warehouse.id].products, summaries[s.warehouse.id].units) == (1, 6)
    assert summaries[s.warehouse.id].owner_name == s.mine.name
    assert await InventoryService(db).waiting(s.vendor) == (0, 1)
    assert await InventoryService(db).waiting(s.other_vendor) == (0, 0)
    counts = await db.scalar(select(func.count()).select_from(StockCount))
    assert counts == 0
