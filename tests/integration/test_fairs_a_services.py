"""Fairs slice A on a real database: creating and editing fairs (slugs, bounds, dates), the status machine
with its audit rows, the call settings, the programme, who may act, the public list and a fair's exhibitor
directory and calendar."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.accounts.models import AuditEntry, Membership, Organization, Role, User
from app.accounts.rules import CurrentUser
from app.accounts.services import current_user_from
from app.catalog.models import Producer, Product
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.fairs import ical, services
from app.fairs.models import (
    Application,
    ApplicationProduct,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Booth,
    BoothType,
    Fair,
    FairSession,
    FairStatus,
    Hall,
)
from app.fairs.services import FairFilters, FairService
from app.i18n import reset_locale, set_locale
from app.inventory.models import Location, LocationKind
from tests.factories import make_organization, make_producer, make_product

# Refusals are checked in the source language (English); the app speaks Vietnamese by default.
pytestmark = pytest.mark.usefixtures("english")

_people = itertools.count(1)
VN = dt.timezone(dt.timedelta(hours=7))


# --- helpers shared with the web tests ---


def when(days: int, hour: int = 8) -> str:
    """A local date-time `days` from today in Vietnam, as a datetime-local input sends it."""
    day = dt.datetime.now(VN).date() + dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00"


def fair_input(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name_vi": "Hội chợ OCOP Đồng Tháp",
        "name_en": "Dong Thap OCOP Fair",
        "description": "Hơn 200 gian hàng OCOP.",
        "venue_name": "Trung tâm Văn hóa tỉnh",
        "address": "12 Lê Lợi",
        "province_code": "82",
        "ward_code": "",
        "latitude": "10.46",
        "longitude": "105.64",
        "starts_at": when(30, 8),
        "ends_at": when(34, 21),
    }
    raw.update(changes)
    return raw


def session_input(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "kind": "opening",
        "title_vi": "Khai mạc",
        "title_en": "Opening",
        "starts_at": when(30, 9),
        "ends_at": when(30, 10),
        "place": "Sân khấu chính",
        "description": "Lễ khai mạc; cắt băng, trống hội",
    }
    raw.update(changes)
    return raw


async def person(db: AsyncSession, *roles: tuple[Role, Producer | None, Organization | None]) -> CurrentUser:
    """A user with these roles, written directly (no password: these tests never log in)."""
    user = User(email=f"fairs-a{next(_people)}@example.com", name="Người tổ chức", password_hash="-")
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
    stmt = (
        select(User)
        .where(User.id == user.id)
        .options(selectinload(User.memberships))
        .execution_options(populate_existing=True)
    )
    return current_user_from((await db.scalars(stmt)).one())


async def organizer(db: AsyncSession, organization: Organization) -> CurrentUser:
    return await person(db, (Role.ORGANIZER, None, organization))


async def new_fair(
    db: AsyncSession, actor: CurrentUser, status: FairStatus = FairStatus.DRAFT, **changes: Any
) -> Fair:
    """A fair made through the service, then put straight into `status` (the machine has its own tests)."""
    fair = await FairService(db).create(actor, fair_input(**changes))
    fair.status = status
    await db.commit()
    return fair


async def exhibit(
    db: AsyncSession,
    fair: Fair,
    producer: Producer,
    codes: list[str],
    products: list[Product],
    *,
    status: AssignmentStatus = AssignmentStatus.CONFIRMED,
    hold_expires_at: dt.datetime | None = None,
) -> Application:
    """`producer` at `fair` with booths `codes` (made on the spot) and an accepted application."""
    hall = await db.scalar(select(Hall).where(Hall.fair_id == fair.id))
    if hall is None:
        hall = Hall(fair_id=fair.id, name="Nhà A", columns=40, rows=20)
        db.add(hall)
        kind = BoothType(fair_id=fair.id, name="Tiêu chuẩn", size_m2=9.0, price_vnd=2_000_000)
        db.add(kind)
        await db.flush()
    kind_id = await db.scalar(select(BoothType.id).where(BoothType.fair_id == fair.id))
    assert kind_id is not None
    application = Application(
        fair_id=fair.id,
        producer_id=producer.id,
        booth_type_id=kind_id,
        booth_count=len(codes),
        status=ApplicationStatus.ACCEPTED,
    )
    application.products = [ApplicationProduct(product_id=p.id) for p in products]
    db.add(application)
    await db.flush()
    taken = await db.scalar(select(func.count(Booth.id)).where(Booth.fair_id == fair.id)) or 0
    for index, code in enumerate(codes):
        location = Location(
            name=f"Gian {code}", kind=LocationKind.BOOTH, organization_id=fair.organization_id
        )
        db.add(location)
        await db.flush()
        booth = Booth(
            fair_id=fair.id,
            hall_id=hall.id,
            booth_type_id=kind_id,
            code=code,
            x=(taken + index) * 3,
            y=0,
            width=3,
            height=3,
            location_id=location.id,
        )
        db.add(booth)
        await db.flush()
        db.add(
            Assignment(
                fair_id=fair.id,
                booth_id=booth.id,
                application_id=application.id,
                producer_id=producer.id,
                status=status,
                hold_expires_at=hold_expires_at,
            )
        )
    await db.commit()
    return application


async def audit_rows(db: AsyncSession, fair_id: int, action: str | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.object_type == "fair", AuditEntry.object_id == fair_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list((await db.scalars(stmt.order_by(AuditEntry.id))).all())


async def fair_count(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count(Fair.id))) or 0)


# --- creating and editing ---


async def test_a_new_fair_is_a_draft_of_its_organization_with_a_slug_and_an_audit_row(
    db: AsyncSession,
) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    fair = await FairService(db).create(actor, fair_input())
    await db.commit()
    assert fair.status == FairStatus.DRAFT
    assert fair.organization_id == org.id
    assert fair.slug == "hoi-cho-ocop-dong-thap"
    assert fair.timezone == "Asia/Ho_Chi_Minh"
    assert services.local_input(fair.starts_at, fair.timezone) == when(30, 8)
    rows = await audit_rows(db, fair.id, "fairs.fair.created")
    assert len(rows) == 1 and rows[0].actor_id == actor.id


async def test_slugs_stay_unique_across_fairs_of_the_same_name(db: AsyncSession) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    service = FairService(db)
    slugs = []
    for _ in range(3):
        slugs.append((await service.create(actor, fair_input(name_vi="Phiên chợ Tết"))).slug)
        await db.commit()
    assert slugs == ["phien-cho-tet", "phien-cho-tet-2", "phien-cho-tet-3"]


async def test_renaming_a_draft_moves_its_slug_but_a_public_fair_keeps_its_address(db: AsyncSession) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    service = FairService(db)
    await new_fair(db, actor, name_vi="Phiên chợ Xuân")
    draft = await new_fair(db, actor, name_vi="Hội chợ Hè")
    fair = await service.update(actor, draft.id, fair_input(name_vi="Phiên chợ Xuân"))
    await db.commit()
    assert fair.slug == "phien-cho-xuan-2"
    published = await new_fair(db, actor, FairStatus.PUBLISHED, name_vi="Hội chợ Thu")
    fair = await service.update(actor, published.id, fair_input(name_vi="Hội chợ Thu Đông"))
    await db.commit()
    assert fair.slug == "hoi-cho-thu" and fair.name_vi == "Hội chợ Thu Đông"
    rows = await audit_rows(db, published.id, "fairs.fair.updated")
    assert rows and "name_vi" in rows[-1].data["changed"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"latitude": "24.1"}, "latitude"),
        ({"longitude": "117.0"}, "longitude"),
        ({"latitude": "abc"}, "latitude"),
        ({"ends_at": when(29, 8)}, "ends_at"),
        ({"starts_at": "32/13/2026 08:00"}, "starts_at"),
        ({"province_code": "0"}, "province_code"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_saved(
    db: AsyncSession, changes: dict[str, Any], field: str
) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    with pytest.raises(ValidationFailed) as refused:
        await FairService(db).create(actor, fair_input(**changes))
    await db.rollback()
    assert field in refused.value.fields
    assert await fair_count(db) == 0


async def test_a_bad_edit_changes_nothing(db: AsyncSession) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    fair = await new_fair(db, actor)
    with pytest.raises(ValidationFailed):
        await FairService(db).update(actor, fair.id, fair_input(name_vi="Tên mới", latitude="99"))
    await db.rollback()
    again = await db.get(Fair, fair.id, populate_existing=True)
    assert again is not None and again.name_vi == "Hội chợ OCOP Đồng Tháp"
    assert await audit_rows(db, fair.id, "fairs.fair.updated") == []


async def test_who_may_create_a_fair_and_for_which_organization(db: AsyncSession) -> None:
    mine, theirs = await make_organization(db), await make_organization(db)
    mine_id, theirs_id = mine.id, theirs.id
    both = await person(db, (Role.ORGANIZER, None, mine), (Role.ORGANIZER, None, theirs))
    only_mine = await organizer(db, mine)
    producer = await make_producer(db)
    vendor = await person(db, (Role.VENDOR, producer, None))
    admin = await person(db, (Role.ADMIN, None, None))
    service = FairService(db)
    with pytest.raises(ValidationFailed) as refused:
        await service.create(both, fair_input())  # two offices: it must say which
    assert "organization_id" in refused.value.fields
    with pytest.raises(ValidationFailed):
        await service.create(only_mine, fair_input(organization_id=str(theirs.id)))
    with pytest.raises(PermissionDenied):
        await service.create(vendor, fair_input())
    await db.rollback()
    assert await fair_count(db) == 0
    fair = await service.create(both, fair_input(organization_id=str(theirs_id)))
    assert fair.organization_id == theirs_id
    assert (await service.create(admin, fair_input(organization_id=str(mine_id)))).organization_id == mine_id


async def test_another_organizations_fair_is_not_found_for_every_action(db: AsyncSession) -> None:
    mine, theirs = await make_organization(db), await make_organization(db)
    owner, stranger = await organizer(db, mine), await organizer(db, theirs)
    fair = await new_fair(db, owner, FairStatus.OPEN)
    item = await FairService(db).add_session(owner, fair.id, session_input())
    await db.commit()
    service = FairService(db)
    attempts = [
        service.get_for_manage(stranger, fair.id),
        service.update(stranger, fair.id, fair_input(name_vi="Của tôi")),
        service.move(stranger, fair.id, "published"),
        service.update_call(stranger, fair.id, {"booths_per_producer": "2", "hold_days": "3"}),
        service.add_session(stranger, fair.id, session_input()),
        service.update_session(stranger, fair.id, item.id, session_input(title_vi="Đổi")),
        service.delete_session(stranger, fair.id, item.id),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            await attempt
    await db.rollback()
    again = await db.get(Fair, fair.id, populate_existing=True)
    assert again is not None and again.status == FairStatus.OPEN and again.name_vi == "Hội chợ OCOP Đồng Tháp"
    assert await db.get(FairSession, item.id) is not None
    admin = await person(db, (Role.ADMIN, None, None))
    assert (await service.get_for_manage(admin, fair.id)).id == fair.id


# --- the status machine ---


async def test_each_move_is_audited_with_before_and_after(db: AsyncSession) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    fair = await new_fair(db, actor)
    service = FairService(db)
    for status in ("open", "published", "running", "closed"):
        await service.move(actor, fair.id, status)
    await db.commit()
    rows = await audit_rows(db, fair.id, "fairs.fair.status_changed")
    assert [(r.data["before"], r.data["after"]) for r in rows] == [
        ("draft", "open"),
        ("open", "published"),
        ("published", "running"),
        ("running", "closed"),
    ]
    assert all(r.actor_id == actor.id for r in rows)


@pytest.mark.parametrize(
    ("start", "wanted"),
    [
        (FairStatus.DRAFT, "running"),
        (FairStatus.DRAFT, "closed"),
        (FairStatus.OPEN, "running"),
        (FairStatus.RUNNING, "published"),
        (FairStatus.CLOSED, "running"),
        (FairStatus.CLOSED, "draft"),
    ],
)
async def test_illegal_moves_are_refused_with_a_clear_message(
    db: AsyncSession, start: FairStatus, wanted: str
) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    fair = await new_fair(db, actor, start)
    with pytest.raises(Conflict) as refused:
        await FairService(db).move(actor, fair.id, wanted)
    assert "cannot become" in refused.value.message
    assert refused.value.extra == {"current": start.value, "wanted": wanted}
    await db.rollback()
    again = await db.get(Fair, fair.id, populate_existing=True)
    assert again is not None and again.status == start
    assert await audit_rows(db, fair.id, "fairs.fair.status_changed") == []


async def test_moving_to_the_status_it_has_writes_nothing(db: AsyncSession) -> None:
    """A second click on the same button, or the calendar started the fair a moment before."""
    org = await make_organization(db)
    actor = await organizer(db, org)
    fair = await new_fair(db, actor, FairStatus.OPEN)

    moved = await FairService(db).move(actor, fair.id, "open")
    await db.commit()

    assert moved.status == FairStatus.OPEN
    assert await audit_rows(db, fair.id, "fairs.fair.status_changed") == []


async def test_an_unknown_status_is_refused(db: AsyncSession) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    fair = await new_fair(db, actor)
    with pytest.raises(ValidationFailed):
        await FairService(db).move(actor, fair.id, "cancelled")


# --- the call ---


async def test_the_call_settings_are_saved_and_audited(db: AsyncSession) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    fair = await new_fair(db, actor, FairStatus.OPEN)
    saved = await FairService(db).update_call(
        actor,
        fair.id,
        {
            "call_deadline": when(20, 17),
            "call_text": "Mời các chủ thể OCOP",
            "booths_per_producer": "2",
            "self_select": "1",
            "hold_days": "5",
        },
    )
    await db.commit()
    assert services.local_input(saved.call_deadline, saved.timezone) == when(20, 17)
    assert (saved.booths_per_producer, saved.self_select, saved.hold_days) == (2, True, 5)
    rows = await audit_rows(db, fair.id, "fairs.call.updated")
    assert rows and set(rows[0].data["changed"]) >= {"call_deadline", "booths_per_producer", "self_select"}
    assert services.call_is_open(saved, dt.datetime.now(dt.UTC))


async def test_a_bad_call_changes_nothing(db: AsyncSession) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    fair = await new_fair(db, actor, FairStatus.OPEN)
    with pytest.raises(ValidationFailed) as refused:
        await FairService(db).update_call(
            actor, fair.id, {"call_deadline": when(40), "booths_per_producer": "1", "hold_days": "100"}
        )
    assert set(refused.value.fields) == {"call_deadline", "hold_days"}
    await db.rollback()
    again = await db.get(Fair, fair.id, populate_existing=True)
    assert again is not None and again.call_deadline is None and again.hold_days == 7


# --- the programme ---


async def test_sessions_are_added_edited_and_removed_with_audit_rows(db: AsyncSession) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    fair = await new_fair(db, actor)
    service = FairService(db)
    first = await service.add_session(actor, fair.id, session_input())
    second = await service.add_session(
        actor,
        fair.id,
        session_input(kind="tasting", title_vi="Thử đặc sản", starts_at=when(31, 14), ends_at=when(31, 16)),
    )
    await service.update_session(actor, fair.id, first.id, session_input(title_vi="Lễ khai mạc"))
    await db.commit()
    days = service.programme(fair, await service.sessions(fair))
    assert [len(day.sessions) for day in days] == [1, 1]
    assert days[0].sessions[0].session.title_vi == "Lễ khai mạc"
    assert days[0].sessions[0].starts.strftime("%H:%M") == "09:00"
    await service.delete_session(actor, fair.id, second.id)
    await db.commit()
    assert [s.id for s in await service.sessions(fair)] == [first.id]
    actions = [row.action for row in await audit_rows(db, fair.id)]
    assert actions.count("fairs.session.created") == 2
    assert "fairs.session.updated" in actions and "fairs.session.deleted" in actions


async def test_a_session_outside_the_fair_or_of_another_fair_is_refused(db: AsyncSession) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    fair, other = await new_fair(db, actor), await new_fair(db, actor, name_vi="Hội chợ khác")
    service = FairService(db)
    with pytest.raises(ValidationFailed) as refused:
        await service.add_session(actor, fair.id, session_input(starts_at=when(29, 9), ends_at=when(29, 10)))
    assert "starts_at" in refused.value.fields
    item = await service.add_session(actor, other.id, session_input())
    await db.commit()
    with pytest.raises(NotFound):
        await service.update_session(actor, fair.id, item.id, session_input(title_vi="Lạc"))
    with pytest.raises(NotFound):
        await service.delete_session(actor, fair.id, item.id)
    await db.rollback()
    assert await db.scalar(select(func.count(FairSession.id)).where(FairSession.fair_id == fair.id)) == 0


async def test_the_fairs_dates_cannot_shrink_past_its_sessions(db: AsyncSession) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    fair = await new_fair(db, actor)
    await FairService(db).add_session(
        actor, fair.id, session_input(starts_at=when(33, 9), ends_at=when(33, 10))
    )
    await db.commit()
    with pytest.raises(ValidationFailed) as refused:
        await FairService(db).update(actor, fair.id, fair_input(ends_at=when(31, 21)))
    assert "starts_at" in refused.value.fields


async def test_a_closed_fair_can_no_longer_change(db: AsyncSession) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    fair = await new_fair(db, actor, FairStatus.CLOSED)
    service = FairService(db)
    for attempt in (
        service.update(actor, fair.id, fair_input()),
        service.update_call(actor, fair.id, {"booths_per_producer": "1", "hold_days": "7"}),
        service.add_session(actor, fair.id, session_input()),
    ):
        with pytest.raises(Conflict):
            await attempt


# --- the public side ---


async def test_the_public_list_hides_drafts_and_filters_by_province_month_and_past(db: AsyncSession) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    soon = await new_fair(db, actor, FairStatus.OPEN, name_vi="Sắp tới")
    later = await new_fair(
        db,
        actor,
        FairStatus.PUBLISHED,
        name_vi="Cần Thơ",
        province_code="92",
        starts_at=when(70),
        ends_at=when(72),
    )
    running = await new_fair(
        db, actor, FairStatus.RUNNING, name_vi="Đang diễn ra", starts_at=when(-1), ends_at=when(2)
    )
    await new_fair(db, actor, FairStatus.DRAFT, name_vi="Nháp")
    over = await new_fair(
        db, actor, FairStatus.CLOSED, name_vi="Đã qua", starts_at=when(-20), ends_at=when(-18)
    )
    service = FairService(db)

    upcoming = await service.list_public(FairFilters())
    assert [f.id for f in upcoming.items] == [running.id, soon.id, later.id]
    by_province = await service.list_public(FairFilters(province=92))
    assert [f.id for f in by_province.items] == [later.id]
    later_month = services.local(later.starts_at, later.timezone)
    by_month = await service.list_public(FairFilters(month=(later_month.year, later_month.month)))
    assert later.id in [f.id for f in by_month.items] and soon.id not in [f.id for f in by_month.items]
    past = await service.list_public(FairFilters(past=True))
    assert [f.id for f in past.items] == [over.id]


async def test_drafts_are_seen_only_by_their_organizers(db: AsyncSession) -> None:
    mine, theirs = await make_organization(db), await make_organization(db)
    owner, stranger = await organizer(db, mine), await organizer(db, theirs)
    fair = await new_fair(db, owner)
    service = FairService(db)
    assert (await service.public_view(owner, fair.slug)).fair.id == fair.id
    for visitor in (None, stranger):
        with pytest.raises(NotFound):
            await service.public_view(visitor, fair.slug)
        with pytest.raises(NotFound):
            await service.calendar(visitor, str(fair.id), "https://chophien.vn")


async def test_the_directory_lists_producers_at_their_booths_with_products_and_groups(
    db: AsyncSession,
) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    fair = await new_fair(db, actor, FairStatus.PUBLISHED)
    coconut = await make_producer(db, name="HTX Dừa Giồng Trôm", province_code=86)
    candy = await make_product(db, coconut, name_vi="Kẹo dừa", stars=5, certificate_level="central")
    fish = await make_producer(db, name="HTX Mắm Gò Công", province_code=80)
    sauce = await make_product(db, fish, name_vi="Mắm tép", stars=3)
    sauce.group_id = None
    lapsed = await make_producer(db, name="HTX Hết hạn giữ chỗ")
    gone = await make_producer(db, name="HTX Đã rút")
    await db.commit()
    await exhibit(db, fair, coconut, ["A-10", "A-2"], [candy])
    await exhibit(db, fair, fish, ["B-1"], [sauce], status=AssignmentStatus.HELD)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    await exhibit(db, fair, lapsed, ["C-1"], [], status=AssignmentStatus.HELD, hold_expires_at=past)
    await exhibit(db, fair, gone, ["C-2"], [], status=AssignmentStatus.RELEASED)

    directory = await FairService(db).directory(fair)
    assert [e.producer.name for e in directory.exhibitors] == ["HTX Dừa Giồng Trôm", "HTX Mắm Gò Công"]
    assert directory.exhibitors[0].booths == ["A-2", "A-10"]
    assert directory.exhibitors[0].province and directory.exhibitors[0].products[0].product.id == candy.id
    assert directory.exhibitors[0].products[0].certificate == "active"
    assert [g.code for g in directory.groups] == ["1"]
    only_food = await FairService(db).directory(fair, group="1")
    assert [e.producer.name for e in only_food.exhibitors] == ["HTX Dừa Giồng Trôm"]
    assert only_food.total == 2


async def test_the_calendar_has_the_fair_and_each_session(db: AsyncSession) -> None:
    org = await make_organization(db)
    actor = await organizer(db, org)
    fair = await new_fair(db, actor, FairStatus.PUBLISHED)
    item = await FairService(db).add_session(actor, fair.id, session_input())
    await db.commit()
    token = set_locale("vi")  # the calendar of a Vietnamese visitor
    try:
        found, text = await FairService(db).calendar(None, fair.slug, "https://chophien.vn/")
    finally:
        reset_locale(token)
    assert found.id == fair.id
    lines = ical.unfold(text)
    assert lines.count("BEGIN:VEVENT") == 2
    assert f"UID:fair-{fair.id}@chophien" in lines and f"UID:session-{item.id}@chophien" in lines
    assert f"DTSTART:{ical.utc_stamp(item.starts_at)}" in lines
    assert "SUMMARY:Khai mạc — Hội chợ OCOP Đồng Tháp" in lines
    assert any(line.startswith("LOCATION:Sân khấu chính\\, Trung tâm Văn hóa tỉnh") for line in lines)
    assert f"URL:https://chophien.vn/fairs/{fair.slug}" in lines
