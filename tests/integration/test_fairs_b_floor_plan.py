"""The floor plan on a real database (FloorPlanService): halls, booth types, rows of booths that are stock
locations, moving, renumbering, blocking and deleting, the plan view's states, the audit trail, and every
refusal leaving the database as it was."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from app.accounts.models import AuditEntry, Organization, Role
from app.accounts.rules import CurrentUser
from app.catalog.models import Producer
from app.errors import Conflict, NotFound, ValidationFailed
from app.fairs import plan_rules
from app.fairs.floor_plan import BoothState, FloorPlanService
from app.fairs.models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Booth,
    BoothType,
    Fair,
    FairStatus,
    Hall,
)
from app.i18n import reset_locale, set_locale
from app.inventory.models import Location, LocationKind, MovementKind
from app.inventory.services import StockService
from tests.factories import make_organization, make_producer, make_product
from tests.integration.test_inventory_services import quick_actor

_seq = itertools.count(1)
T0 = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    token = set_locale("en")
    yield
    reset_locale(token)


# --- shared by the floor-plan tests (the web tests import these) ---


async def make_fair(
    db: AsyncSession, organization: Organization, *, status: FairStatus = FairStatus.PUBLISHED, **fields: Any
) -> Fair:
    n = next(_seq)
    values: dict[str, Any] = {
        "slug": f"hoi-cho-ocop-ben-tre-{n}-{organization.id}",
        "name_vi": f"Hội chợ OCOP Bến Tre {n}",
        "name_en": "Ben Tre OCOP fair",
        "organization_id": organization.id,
        "status": status,
        "venue_name": "Nhà văn hóa tỉnh",
        "address": "Đường Đồng Khởi, phường An Hội",
        "province_code": 86,
        "latitude": 10.2415,
        "longitude": 106.3759,
        "starts_at": T0,
        "ends_at": T0 + dt.timedelta(days=4),
    }
    values.update(fields)
    fair = Fair(**values)
    db.add(fair)
    await db.commit()
    return fair


@dataclass
class PlanScene:
    org: Organization
    organizer: CurrentUser
    fair: Fair
    fair_id: int
    fair_name: str
    hall_id: int
    type_id: int


async def plan_scene(db: AsyncSession, *, status: FairStatus = FairStatus.PUBLISHED) -> PlanScene:
    """An organization, its organizer, a fair with one hall of 12 × 8 cells (entrance at 0, 0) and one
    booth type; no booths yet."""
    org = await make_organization(db)
    organizer = await quick_actor(db, (Role.ORGANIZER, None, org))
    fair = await make_fair(db, org, status=status)
    service = FloorPlanService(db)
    hall = await service.create_hall(organizer, fair.id, {"name": "Nhà A", "columns": "12", "rows": "8"})
    kind = await service.create_booth_type(
        organizer,
        fair.id,
        {"name": "Tiêu chuẩn 3 × 2 m", "size_m2": "6", "price_vnd": "1.500.000", "features": ["power"]},
    )
    await db.commit()
    return PlanScene(org, organizer, fair, fair.id, fair.name_vi, hall.id, kind.id)


def row(scene: PlanScene, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "hall_id": str(scene.hall_id),
        "booth_type_id": str(scene.type_id),
        "prefix": "A",
        "start_number": "1",
        "count": "3",
        "x": "0",
        "y": "0",
        "width": "3",
        "height": "2",
        "direction": "right",
        "gap": "0",
    }
    values.update({key: str(value) for key, value in fields.items()})
    return values


async def add_assignment(
    db: AsyncSession,
    fair_id: int,
    booth_type_id: int,
    booth_id: int,
    status: AssignmentStatus,
    producer: Producer | None = None,
) -> Assignment:
    """An accepted application of `producer` (a new one by default) and its assignment to the booth."""
    producer = producer or await make_producer(db, name=f"HTX Dừa Giồng Trôm {next(_seq)}")
    application = Application(
        fair_id=fair_id,
        producer_id=producer.id,
        booth_type_id=booth_type_id,
        status=ApplicationStatus.ACCEPTED,
    )
    db.add(application)
    await db.flush()
    assignment = Assignment(
        fair_id=fair_id,
        booth_id=booth_id,
        application_id=application.id,
        producer_id=producer.id,
        status=status,
    )
    db.add(assignment)
    await db.commit()
    return assignment


async def snapshot(db: AsyncSession) -> dict[str, Any]:
    """Everything a plan change could touch."""
    booths = (
        await db.execute(select(Booth.code, Booth.x, Booth.y, Booth.width, Booth.height, Booth.blocked))
    ).all()
    halls = (await db.execute(select(Hall.name, Hall.columns, Hall.rows))).all()
    types = (await db.execute(select(BoothType.name, BoothType.price_vnd))).all()
    locations = (await db.execute(select(Location.id, Location.name))).all()
    audits = await db.scalar(select(func.count(AuditEntry.id)))
    return {
        "booths": sorted(map(tuple, booths)),
        "halls": sorted(map(tuple, halls)),
        "types": sorted(map(tuple, types)),
        "locations": sorted(map(tuple, locations)),
        "audits": audits,
    }


async def booths_by_code(db: AsyncSession, fair_id: int) -> dict[str, Booth]:
    stmt = select(Booth).where(Booth.fair_id == fair_id).execution_options(populate_existing=True)
    found = (await db.scalars(stmt)).all()
    return {b.code: b for b in found}


async def actions(db: AsyncSession) -> list[str]:
    """The floor plan's audit trail, in order."""
    stmt = select(AuditEntry.action).where(AuditEntry.action.like("fairs.%")).order_by(AuditEntry.id)
    return list((await db.scalars(stmt)).all())


# --- booths are stock locations ---


async def test_a_row_of_booths_makes_stock_locations_owned_by_the_organization(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    booths = await FloorPlanService(db).add_row(scene.organizer, scene.fair_id, row(scene, zone="Lối chính"))
    await db.commit()
    assert [b.code for b in booths] == ["A-01", "A-02", "A-03"]
    assert [(b.x, b.y, b.width, b.height) for b in booths] == [(0, 0, 3, 2), (3, 0, 3, 2), (6, 0, 3, 2)]
    assert {b.zone for b in booths} == {"Lối chính"}
    for booth in booths:
        location = await db.get(Location, booth.location_id)
        assert location is not None
        assert location.kind == LocationKind.BOOTH
        assert location.organization_id == scene.org.id
        assert location.producer_id is None
        assert location.name == f"{scene.fair_name} — {booth.code}"
        assert location.address == "Nhà văn hóa tỉnh, Đường Đồng Khởi, phường An Hội"
        assert location.province_code == 86
        assert (location.latitude, location.longitude) == (10.2415, 106.3759)
        assert location.is_active


async def test_the_next_row_numbers_on_when_no_start_is_given(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    await service.add_row(scene.organizer, scene.fair_id, row(scene))
    more = await service.add_row(scene.organizer, scene.fair_id, row(scene, start_number="", y=3, count=2))
    assert [b.code for b in more] == ["A-04", "A-05"]


async def test_renaming_a_booth_renames_its_location(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    [first, *_rest] = await service.add_row(scene.organizer, scene.fair_id, row(scene))
    await service.update_booth(
        scene.organizer,
        scene.fair_id,
        first.id,
        {
            "code": "VIP-1",
            "booth_type_id": str(scene.type_id),
            "x": "0",
            "y": "0",
            "width": "3",
            "height": "2",
        },
    )
    await db.commit()
    location = await db.get(Location, first.location_id)
    assert location is not None and location.name.endswith(" — VIP-1")


# --- the rules: overlap, outside, zero size; refused with nothing saved ---


async def test_an_overlapping_row_is_refused_and_nothing_is_saved(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    await service.add_row(scene.organizer, scene.fair_id, row(scene, count=2))
    await db.commit()
    before = await snapshot(db)
    with pytest.raises(ValidationFailed) as refused:
        await service.add_row(scene.organizer, scene.fair_id, row(scene, prefix="B", x=5, count=2))
    assert refused.value.message == "B-01 overlaps A-02"
    assert "B-01 overlaps A-02" in refused.value.fields["geometry"]
    await db.rollback()
    assert await snapshot(db) == before


async def test_a_row_running_out_of_the_hall_is_refused(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    before = await snapshot(db)
    with pytest.raises(ValidationFailed) as refused:
        await FloorPlanService(db).add_row(scene.organizer, scene.fair_id, row(scene, count=5))
    assert refused.value.message == "A-05 lies outside the hall (12 × 8)"
    await db.rollback()
    assert await snapshot(db) == before


@pytest.mark.parametrize("field", ["width", "height"])
async def test_a_row_of_zero_size_is_refused(db: AsyncSession, field: str) -> None:
    scene = await plan_scene(db)
    before = await snapshot(db)
    with pytest.raises(ValidationFailed) as refused:
        await FloorPlanService(db).add_row(scene.organizer, scene.fair_id, row(scene, **{field: 0}))
    assert refused.value.fields[field] == "Width and height must be at least 1"
    await db.rollback()
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"hall_id": ""}, "hall_id", "Choose a hall."),
        ({"booth_type_id": "999999"}, "booth_type_id", "Choose a booth type."),
        ({"prefix": "A B"}, "prefix", "Enter a short prefix without spaces, such as A."),
        ({"count": "0"}, "count", "At least 1."),
        ({"count": "abc"}, "count", "Enter a whole number, such as 12."),
        ({"x": "-1"}, "x", "At least 0."),
        ({"direction": "left"}, "direction", "Choose a direction."),
    ],
)
async def test_a_bad_row_form_is_refused_beside_the_field(
    db: AsyncSession, changes: dict[str, str], field: str, message: str
) -> None:
    scene = await plan_scene(db)
    before = await snapshot(db)
    with pytest.raises(ValidationFailed) as refused:
        await FloorPlanService(db).add_row(scene.organizer, scene.fair_id, row(scene, **changes))
    assert refused.value.fields[field] == message
    await db.rollback()
    assert await snapshot(db) == before


async def test_a_code_already_used_is_refused(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    await service.add_row(scene.organizer, scene.fair_id, row(scene, count=2))
    await db.commit()
    before = await snapshot(db)
    with pytest.raises(ValidationFailed) as refused:
        await service.add_row(scene.organizer, scene.fair_id, row(scene, y=4, start_number=2))
    assert "A-02 is already used (in Nhà A)" in refused.value.fields["start_number"]
    await db.rollback()
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"x": "2"}, "A-01 overlaps A-02"),
        ({"x": "10"}, "A-01 lies outside the hall (12 × 8)"),
        ({"width": "0"}, "Width and height must be at least 1"),
        ({"height": "0"}, "Width and height must be at least 1"),
    ],
)
async def test_moving_onto_a_neighbour_or_out_of_the_hall_is_refused(
    db: AsyncSession, geometry: dict[str, str], message: str
) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    first, *_rest = await service.add_row(scene.organizer, scene.fair_id, row(scene))
    await db.commit()
    before = await snapshot(db)
    values = {"x": "0", "y": "0", "width": "3", "height": "2", **geometry}
    with pytest.raises(ValidationFailed) as refused:
        await service.move_booth(scene.organizer, scene.fair_id, first.id, values)
    assert refused.value.message == message
    await db.rollback()
    assert await snapshot(db) == before


async def test_moving_and_resizing_a_booth(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    booths = await service.add_row(scene.organizer, scene.fair_id, row(scene))
    moved = await service.move_booth(
        scene.organizer, scene.fair_id, booths[2].id, {"x": "8", "y": "5", "width": "4", "height": "3"}
    )
    await db.commit()
    assert (moved.x, moved.y, moved.width, moved.height) == (8, 5, 4, 3)
    # edges touching the neighbour are fine
    touching = await service.move_booth(
        scene.organizer, scene.fair_id, booths[2].id, {"x": "6", "y": "0", "width": "3", "height": "2"}
    )
    assert touching.x == 6


async def test_a_hall_cannot_shrink_under_its_booths(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    await service.add_row(scene.organizer, scene.fair_id, row(scene))
    await db.commit()
    before = await snapshot(db)
    with pytest.raises(ValidationFailed) as refused:
        await service.update_hall(
            scene.organizer, scene.fair_id, scene.hall_id, {"name": "Nhà A", "columns": "8", "rows": "8"}
        )
    assert refused.value.message == "A-03 lies outside the hall (8 × 8)"
    await db.rollback()
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"name": "", "columns": "10", "rows": "10"}, "name"),
        ({"name": "Nhà B", "columns": "0", "rows": "10"}, "columns"),
        ({"name": "Nhà B", "columns": "10", "rows": "501"}, "rows"),
        ({"name": "Nhà B", "columns": "10", "rows": "10", "entrance_x": "10"}, "entrance_x"),
        ({"name": "nhà a", "columns": "10", "rows": "10"}, "name"),  # the same name as Nhà A
    ],
)
async def test_a_bad_hall_is_refused(db: AsyncSession, raw: dict[str, str], field: str) -> None:
    scene = await plan_scene(db)
    before = await snapshot(db)
    with pytest.raises(ValidationFailed) as refused:
        await FloorPlanService(db).create_hall(scene.organizer, scene.fair_id, raw)
    assert field in refused.value.fields
    await db.rollback()
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"name": "Góc", "size_m2": "0", "price_vnd": "0"}, "size_m2"),
        ({"name": "Góc", "size_m2": "-3", "price_vnd": "0"}, "size_m2"),
        ({"name": "Góc", "size_m2": "9", "price_vnd": "-1"}, "price_vnd"),
        ({"name": "Góc", "size_m2": "9", "price_vnd": "1500000.5"}, "price_vnd"),
        ({"name": "Góc", "size_m2": "9", "price_vnd": "0", "features": ["power", "helipad"]}, "features"),
        ({"name": "", "size_m2": "9", "price_vnd": "0"}, "name"),
    ],
)
async def test_a_bad_booth_type_is_refused(db: AsyncSession, raw: dict[str, Any], field: str) -> None:
    scene = await plan_scene(db)
    before = await snapshot(db)
    with pytest.raises(ValidationFailed) as refused:
        await FloorPlanService(db).create_booth_type(scene.organizer, scene.fair_id, raw)
    assert field in refused.value.fields
    await db.rollback()
    assert await snapshot(db) == before


async def test_a_booth_type_keeps_its_features_and_price(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    kind = await FloorPlanService(db).create_booth_type(
        scene.organizer,
        scene.fair_id,
        {
            "name": "Góc 3 × 6 m",
            "size_m2": "18,5",
            "price_vnd": "3.000.000",
            "features": ["water", "corner", "corner"],
            "on_offer": "",
        },
    )
    assert (kind.size_m2, kind.price_vnd, kind.features, kind.on_offer) == (
        18.5,
        3_000_000,
        ["corner", "water"],
        False,
    )


# --- renumbering ---


async def test_renumber_a_hall_in_reading_order_and_rename_locations(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    await service.add_row(scene.organizer, scene.fair_id, row(scene, prefix="Z", count=2, y=4))  # second row
    await service.add_row(scene.organizer, scene.fair_id, row(scene, prefix="A", count=2))  # first row
    await db.commit()
    await service.renumber_hall(scene.organizer, scene.fair_id, scene.hall_id, {"prefix": "A", "start": "1"})
    await db.commit()
    booths = await booths_by_code(db, scene.fair_id)
    assert {code: (b.x, b.y) for code, b in booths.items()} == {
        "A-01": (0, 0),
        "A-02": (3, 0),
        "A-03": (0, 4),
        "A-04": (3, 4),
    }
    for code, booth in booths.items():
        location = await db.get(Location, booth.location_id)
        assert location is not None and location.name.endswith(f" — {code}")


async def test_renumber_refuses_codes_used_in_another_hall(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    other = await service.create_hall(
        scene.organizer, scene.fair_id, {"name": "Nhà B", "columns": "10", "rows": "10"}
    )
    await service.add_row(scene.organizer, scene.fair_id, row(scene, prefix="B", count=2))
    await service.add_row(scene.organizer, scene.fair_id, {**row(scene, count=1), "hall_id": str(other.id)})
    await db.commit()
    before = await snapshot(db)
    with pytest.raises(ValidationFailed) as refused:
        await service.renumber_hall(
            scene.organizer, scene.fair_id, scene.hall_id, {"prefix": "A", "start": "1"}
        )
    assert "A-01 is already used (in Nhà B)" in refused.value.fields["prefix"]
    await db.rollback()
    assert await snapshot(db) == before


# --- blocking, deleting ---


async def test_block_and_unblock(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    first, *_rest = await service.add_row(scene.organizer, scene.fair_id, row(scene))
    assert (await service.set_blocked(scene.organizer, scene.fair_id, first.id, True)).blocked
    view = await service.view(scene.fair_id)
    assert view.booth(first.id) is not None and view.booth(first.id).state == BoothState.BLOCKED  # type: ignore[union-attr]
    assert not (await service.set_blocked(scene.organizer, scene.fair_id, first.id, False)).blocked


@pytest.mark.parametrize("status", [AssignmentStatus.HELD, AssignmentStatus.CONFIRMED])
async def test_a_booth_held_or_assigned_cannot_be_deleted_nor_blocked(
    db: AsyncSession, status: AssignmentStatus
) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    first, *_rest = await service.add_row(scene.organizer, scene.fair_id, row(scene))
    await db.commit()
    producer = await make_producer(db, name="HTX Kẹo dừa Thanh Long")
    await add_assignment(db, scene.fair_id, scene.type_id, first.id, status, producer)
    before = await snapshot(db)
    with pytest.raises(Conflict) as refused:
        await service.delete_booth(scene.organizer, scene.fair_id, first.id)
    assert refused.value.message == (
        "A-01 is assigned to HTX Kẹo dừa Thanh Long: release the assignment before deleting it."
    )
    with pytest.raises(Conflict):
        await service.set_blocked(scene.organizer, scene.fair_id, first.id, True)
    with pytest.raises(Conflict):
        await service.delete_hall(scene.organizer, scene.fair_id, scene.hall_id)
    await db.rollback()
    assert await snapshot(db) == before


async def test_a_released_assignment_does_not_keep_a_booth(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    first, *_rest = await service.add_row(scene.organizer, scene.fair_id, row(scene))
    await db.commit()
    await add_assignment(db, scene.fair_id, scene.type_id, first.id, AssignmentStatus.RELEASED)
    assert (await service.view(scene.fair_id)).booth(first.id).state == BoothState.FREE  # type: ignore[union-attr]
    assert await service.delete_booth(scene.organizer, scene.fair_id, first.id) == "A-01"


async def test_a_booth_holding_stock_or_with_a_history_cannot_be_deleted(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    first, second, _third = await service.add_row(scene.organizer, scene.fair_id, row(scene))
    await db.commit()
    producer = await make_producer(db)
    product = await make_product(db, producer)
    stock = StockService(db)
    await stock.put(product.id, first.location_id, 5, MovementKind.RECEIPT, reference="test")
    await stock.put(product.id, second.location_id, 2, MovementKind.RECEIPT, reference="test")
    await stock.take(product.id, second.location_id, 2, MovementKind.SALE, reference="sale:x")
    await db.commit()
    before = await snapshot(db)
    with pytest.raises(Conflict) as holding:
        await service.delete_booth(scene.organizer, scene.fair_id, first.id)
    assert holding.value.message == "A-01 still holds stock: move the goods out before deleting it."
    with pytest.raises(Conflict) as history:
        await service.delete_booth(scene.organizer, scene.fair_id, second.id)
    assert "block it instead" in history.value.message
    await db.rollback()
    assert await snapshot(db) == before


async def test_deleting_a_booth_deletes_its_location(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    first, *_rest = await service.add_row(scene.organizer, scene.fair_id, row(scene))
    await db.commit()
    location_id = first.location_id
    assert await service.delete_booth(scene.organizer, scene.fair_id, first.id) == "A-01"
    await db.commit()
    db.expunge_all()
    assert await db.get(Location, location_id) is None
    assert set(await booths_by_code(db, scene.fair_id)) == {"A-02", "A-03"}


async def test_deleting_a_hall_deletes_its_booths_and_their_locations(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    booths = await service.add_row(scene.organizer, scene.fair_id, row(scene))
    await db.commit()
    assert await service.delete_hall(scene.organizer, scene.fair_id, scene.hall_id) == "Nhà A"
    await db.commit()
    db.expunge_all()
    assert await booths_by_code(db, scene.fair_id) == {}
    for booth in booths:
        assert await db.get(Location, booth.location_id) is None


async def test_a_booth_type_in_use_cannot_be_deleted(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    await service.add_row(scene.organizer, scene.fair_id, row(scene))
    await db.commit()
    with pytest.raises(Conflict) as refused:
        await service.delete_booth_type(scene.organizer, scene.fair_id, scene.type_id)
    assert "3 booths are of this type" in refused.value.message


# --- the plan view ---


async def test_the_view_gives_each_booth_its_state_label_type_and_price(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    a1, a2, a3 = await service.add_row(scene.organizer, scene.fair_id, row(scene))
    a4, *_ = await service.add_row(scene.organizer, scene.fair_id, row(scene, y=3, count=1, start_number=4))
    await service.set_blocked(scene.organizer, scene.fair_id, a4.id, True)
    await db.commit()
    await add_assignment(
        db,
        scene.fair_id,
        scene.type_id,
        a1.id,
        AssignmentStatus.CONFIRMED,
        await make_producer(db, name="HTX Bưởi da xanh"),
    )
    await add_assignment(
        db,
        scene.fair_id,
        scene.type_id,
        a2.id,
        AssignmentStatus.HELD,
        await make_producer(db, name="HTX Mật ong"),
    )
    view = await service.view(scene.fair_id)
    assert [h.hall.name for h in view.halls] == ["Nhà A"]
    states = {b.code: (b.state, b.label) for b in view.halls[0].booths}
    assert states == {
        "A-01": (BoothState.ASSIGNED, "HTX Bưởi da xanh"),
        "A-02": (BoothState.HELD, "HTX Mật ong"),
        "A-03": (BoothState.FREE, ""),
        "A-04": (BoothState.BLOCKED, ""),
    }
    booth = view.booth(a3.id)
    assert booth is not None
    assert (booth.type_name, booth.price_vnd, booth.size_m2, booth.features) == (
        "Tiêu chuẩn 3 × 2 m",
        1_500_000,
        6.0,
        ("power",),
    )
    assert view.counts == {"free": 1, "held": 1, "assigned": 1, "blocked": 1}
    with pytest.raises(AttributeError):
        view.halls[0].booths[0].code = "X"  # type: ignore[misc]


# --- who may change the plan ---


async def test_only_the_fairs_organizers_change_its_plan(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    other_org = await make_organization(db)
    stranger = await quick_actor(db, (Role.ORGANIZER, None, other_org))
    producer = await make_producer(db)
    vendor = await quick_actor(db, (Role.VENDOR, producer, None))
    service = FloorPlanService(db)
    before = await snapshot(db)
    for actor in (stranger, vendor, None):
        with pytest.raises(NotFound):
            await service.add_row(actor, scene.fair_id, row(scene))
        with pytest.raises(NotFound):
            await service.create_hall(actor, scene.fair_id, {"name": "Nhà C", "columns": "5", "rows": "5"})
        with pytest.raises(NotFound):
            await service.editor(actor, scene.fair_id)
    await db.rollback()
    assert await snapshot(db) == before


async def test_the_plan_of_a_closed_fair_no_longer_changes(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    scene.fair.status = FairStatus.CLOSED
    await db.commit()
    with pytest.raises(Conflict):
        await FloorPlanService(db).add_row(scene.organizer, scene.fair_id, row(scene))


# --- the audit trail ---


async def test_every_change_is_audited(db: AsyncSession) -> None:
    scene = await plan_scene(db)
    service = FloorPlanService(db)
    fair_id = scene.fair_id
    booths = await service.add_row(scene.organizer, fair_id, row(scene, count=2))
    await service.move_booth(
        scene.organizer, fair_id, booths[1].id, {"x": "4", "y": "0", "width": "3", "height": "2"}
    )
    await service.update_booth(
        scene.organizer,
        fair_id,
        booths[0].id,
        {
            "code": "A-09",
            "booth_type_id": str(scene.type_id),
            "x": "0",
            "y": "0",
            "width": "3",
            "height": "2",
        },
    )
    await service.renumber_hall(scene.organizer, fair_id, scene.hall_id, {"prefix": "A", "start": "1"})
    await service.set_blocked(scene.organizer, fair_id, booths[0].id, True)
    await service.set_blocked(scene.organizer, fair_id, booths[0].id, False)
    await service.delete_booth(scene.organizer, fair_id, booths[1].id)
    await service.update_booth_type(
        scene.organizer, fair_id, scene.type_id, {"name": "Tiêu chuẩn", "size_m2": "9", "price_vnd": "0"}
    )
    await service.update_hall(
        scene.organizer, fair_id, scene.hall_id, {"name": "Nhà A1", "columns": "12", "rows": "8"}
    )
    await db.commit()
    assert await actions(db) == [
        "fairs.hall.created",
        "fairs.booth_type.created",
        "fairs.booth.created",
        "fairs.booth.created",
        "fairs.booth.moved",
        "fairs.booth.updated",
        "fairs.hall.renumbered",
        "fairs.booth.blocked",
        "fairs.booth.unblocked",
        "fairs.booth.deleted",
        "fairs.booth_type.updated",
        "fairs.hall.updated",
    ]
    entries = (
        await db.scalars(select(AuditEntry).where(AuditEntry.action.like("fairs.%")).order_by(AuditEntry.id))
    ).all()
    assert all(entry.actor_id == scene.organizer.id for entry in entries)
    moved = next(e for e in entries if e.action == "fairs.booth.moved")
    assert moved.object_id == booths[1].id
    assert moved.data["before"] == [3, 0, 3, 2] and moved.data["after"] == [4, 0, 3, 2]
    renumbered = next(e for e in entries if e.action == "fairs.hall.renumbered")
    assert renumbered.data["changes"] == {str(booths[0].id): ["A-09", "A-01"]}


# --- two organizers at once ---


@pytest.fixture
async def own_sessions() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on an engine of the test's own, without a pool: one new connection per session."""
    engine = create_async_engine(os.environ["DATABASE_URL"], poolclass=NullPool)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def test_two_moves_at_once_never_make_booths_overlap(
    db: AsyncSession, own_sessions: async_sessionmaker[AsyncSession]
) -> None:
    """X (0..3) and Y (6..9) move at the same moment to 3..6 and 4..7: each move alone is fine, together they
    would overlap. The lock on the fair lets one in; the other then sees it and is refused."""
    scene = await plan_scene(db)
    x, gap, y = await FloorPlanService(db).add_row(
        scene.organizer, scene.fair_id, row(scene, prefix="X", y=4)
    )
    await FloorPlanService(db).delete_booth(scene.organizer, scene.fair_id, gap.id)
    await db.commit()
    barrier = asyncio.Barrier(2)
    moves = [
        (x.id, {"x": "3", "y": "4", "width": "3", "height": "2"}),
        (y.id, {"x": "4", "y": "4", "width": "3", "height": "2"}),
    ]

    async def organizer(booth_id: int, geometry: dict[str, str]) -> str:
        async with own_sessions() as session:
            try:
                async with session.begin():
                    if session.bind.dialect.name == "postgresql":
                        await session.execute(text("SELECT 1"))
                        await barrier.wait()
                    else:
                        await barrier.wait()
                        await session.connection(execution_options={"sqlite_begin_immediate": True})
                    await FloorPlanService(session).move_booth(
                        scene.organizer, scene.fair_id, booth_id, geometry
                    )
                return "moved"
            except ValidationFailed as refused:
                return refused.message

    results = await asyncio.gather(*(organizer(booth_id, geometry) for booth_id, geometry in moves))
    assert sorted(results) in (["X-01 overlaps X-03", "moved"], ["X-03 overlaps X-01", "moved"])
    booths = list((await booths_by_code(db, scene.fair_id)).values())
    assert not any(plan_rules.overlaps(a, b) for i, a in enumerate(booths) for b in booths[i + 1 :])
