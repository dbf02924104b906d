"""Places on a real database: who may create and edit them (a vendor only its producer's, an organizer only
its organization's), bad coordinates and hours refused with nothing saved, a showroom's stock location, slugs,
exception days, photos, publishing, deleting, and what a showroom's page lists in stock."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.accounts.models import AuditEntry, Membership, Organization, Role, User
from app.accounts.rules import CurrentUser
from app.accounts.services import current_user_from
from app.catalog.models import MediaFile, Producer
from app.errors import Conflict, NotFound, ValidationFailed
from app.fairs.models import Fair, FairStatus
from app.inventory.models import Location, LocationKind, StockLevel
from app.tours.hours import VN_TZ
from app.tours.models import Place, PlaceHoursException, PlacePhoto, Route, RouteStop
from app.tours.places import PlaceService
from tests.factories import make_organization, make_producer, make_product, stock

_people = itertools.count(1)


async def person(db: AsyncSession, *roles: tuple[Role, Producer | None, Organization | None]) -> CurrentUser:
    """A user with these roles, written directly (these tests never log in)."""
    user = User(email=f"tours-p{next(_people)}@example.com", name="Chủ điểm", password_hash="-")
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


def place_input(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "kind": "showroom",
        "name_vi": "Điểm bán OCOP Bến Tre",
        "name_en": "Ben Tre OCOP showroom",
        "description": "Kẹo dừa, bánh tráng, mật hoa dừa.",
        "address": "12 Hùng Vương",
        "province_code": "86",
        "ward_code": "28789",
        "latitude": "10.2415",
        "longitude": "106.3759",
        "phone": "0275 3822 123",
        "email": "showroom@example.vn",
        "website": "https://ocop.example.vn",
        "category": "tourist_area",
    }
    raw.update(changes)
    return raw


def png_bytes(color: str = "green") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, format="PNG")
    return out.getvalue()


async def count(db: AsyncSession, model: type[Any]) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def fresh(db: AsyncSession, place_id: int) -> Place:
    place = await db.get(Place, place_id, populate_existing=True)
    assert place is not None
    return place


async def scene(db: AsyncSession) -> dict[str, Any]:
    """Two producers with a vendor each; two organizations, each with an organizer; a showroom operator."""
    org = await make_organization(db, "Sở Công Thương Vĩnh Long")
    other_org = await make_organization(db, "Sở Công Thương Cần Thơ")
    mine = await make_producer(db, org, name="HTX Dừa Giồng Trôm")
    theirs = await make_producer(db, org, name="HTX Bưởi Da Xanh")
    return {
        "org": org,
        "other_org": other_org,
        "mine": mine,
        "theirs": theirs,
        "vendor": await person(db, (Role.VENDOR, mine, None)),
        "their_vendor": await person(db, (Role.VENDOR, theirs, None)),
        "organizer": await person(db, (Role.ORGANIZER, None, org)),
        "other_organizer": await person(db, (Role.ORGANIZER, None, other_org)),
        "operator": await person(db, (Role.VENDOR, None, org)),
        "admin": await person(db, (Role.ADMIN, None, None)),
    }


async def test_a_vendors_showroom_gets_its_own_stock_location_a_slug_and_an_audit_row(
    db: AsyncSession,
) -> None:
    s = await scene(db)
    place = await PlaceService(db).create(s["vendor"], place_input())
    await db.commit()
    assert place.producer_id == s["mine"].id and place.organization_id is None
    assert place.slug == "diem-ban-ocop-ben-tre" and not place.is_published
    location = await db.get(Location, place.location_id)
    assert location is not None and location.kind == LocationKind.SHOWROOM
    assert (location.producer_id, location.organization_id) == (s["mine"].id, None)
    assert location.name == place.name_vi and location.address == "12 Hùng Vương"
    assert (location.latitude, location.longitude, location.province_code) == (10.2415, 106.3759, 86)
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "tours.place.created"))
    assert entry is not None and entry.object_id == place.id


async def test_an_operators_showroom_belongs_to_its_organization_and_other_kinds_get_no_location(
    db: AsyncSession,
) -> None:
    s = await scene(db)
    service = PlaceService(db)
    showroom = await service.create(s["operator"], place_input(owner=f"organization:{s['org'].id}"))
    village = await service.create(
        s["organizer"], place_input(kind="craft_village", name_vi="Làng nghề kẹo dừa", category="")
    )
    await db.commit()
    location = await db.get(Location, showroom.location_id)
    assert location is not None and location.organization_id == s["org"].id
    assert village.location_id is None and village.category is None
    assert village.organization_id == s["org"].id


async def test_slugs_stay_unique_and_come_from_the_name_without_diacritics(db: AsyncSession) -> None:
    s = await scene(db)
    service = PlaceService(db)
    first = await service.create(s["vendor"], place_input(kind="attraction", name_vi="Cồn Phụng"))
    second = await service.create(s["organizer"], place_input(kind="attraction", name_vi="Cồn Phụng"))
    digits = await service.create(s["organizer"], place_input(kind="attraction", name_vi="2026"))
    await db.commit()
    assert (first.slug, second.slug) == ("con-phung", "con-phung-2")
    assert not digits.slug.replace("-", "").isdigit()
    # A draft follows its new name; a published place keeps its address.
    await service.update(s["vendor"], first.id, place_input(name_vi="Cồn Quy", category=""))
    assert first.slug == "con-quy"
    await service.set_published(s["vendor"], first.id, True)
    await service.update(s["vendor"], first.id, place_input(name_vi="Cồn Thới Sơn", category=""))
    await db.commit()
    assert first.slug == "con-quy" and first.name_vi == "Cồn Thới Sơn"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"latitude": "abc"}, "latitude"),
        ({"latitude": ""}, "latitude"),
        ({"latitude": "nan"}, "latitude"),
        ({"latitude": "48.85"}, "latitude"),  # Paris
        ({"latitude": "7.9"}, "latitude"),
        ({"longitude": "2.35"}, "longitude"),
        ({"longitude": "110.5"}, "longitude"),
        ({"longitude": "1e400"}, "longitude"),
        ({"name_vi": "  "}, "name_vi"),
        ({"province_code": "999"}, "province_code"),
        ({"ward_code": "1"}, "ward_code"),
        ({"category": "castle"}, "category"),
        ({"kind": "spaceport"}, "kind"),
        ({"email": "not-an-email"}, "email"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"phone": "<b>call</b>"}, "phone"),
    ],
)
async def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(
    db: AsyncSession, changes: dict[str, str], field: str
) -> None:
    s = await scene(db)
    with pytest.raises(ValidationFailed) as caught:
        await PlaceService(db).create(s["vendor"], place_input(**changes))
    await db.commit()
    assert field in caught.value.fields
    assert await count(db, Place) == 0 and await count(db, Location) == 0


async def test_bad_coordinates_on_edit_change_nothing(db: AsyncSession) -> None:
    s = await scene(db)
    service = PlaceService(db)
    place = await service.create(s["vendor"], place_input())
    await db.commit()
    with pytest.raises(ValidationFailed) as caught:
        await service.update(s["vendor"], place.id, place_input(name_vi="Tên mới", latitude="91"))
    await db.commit()
    assert "latitude" in caught.value.fields
    again = await fresh(db, place.id)
    assert again.name_vi == "Điểm bán OCOP Bến Tre" and again.latitude == 10.2415
    location = await db.get(Location, again.location_id, populate_existing=True)
    assert location is not None and location.name == "Điểm bán OCOP Bến Tre"


async def test_editing_a_showroom_keeps_its_stock_location_in_step(db: AsyncSession) -> None:
    s = await scene(db)
    service = PlaceService(db)
    place = await service.create(s["vendor"], place_input())
    await service.update(
        s["vendor"], place.id, place_input(name_vi="Điểm bán OCOP Mỏ Cày", latitude="10.1", longitude="106.3")
    )
    await db.commit()
    location = await db.get(Location, place.location_id, populate_existing=True)
    assert location is not None
    assert (location.name, location.latitude, location.longitude) == ("Điểm bán OCOP Mỏ Cày", 10.1, 106.3)


async def test_a_vendor_cannot_reach_another_producers_place(db: AsyncSession) -> None:
    s = await scene(db)
    service = PlaceService(db)
    theirs = await service.create(s["their_vendor"], place_input())
    await db.commit()
    vendor = s["vendor"]
    calls = [
        service.get_for_manage(vendor, theirs.id),
        service.update(vendor, theirs.id, place_input(name_vi="Bị chiếm")),
        service.set_published(vendor, theirs.id, True),
        service.delete(vendor, theirs.id),
        service.set_hours(vendor, theirs.id, {"mon": [["08:00", "17:00"]]}),
        service.add_exception(vendor, theirs.id, {"day": "2026-02-17", "closed": "1"}),
        service.add_photo(vendor, theirs.id, png_bytes()),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            await call
    # An organizer of the office that registered the producer does not manage the producer's places either.
    with pytest.raises(NotFound):
        await service.get_for_manage(s["organizer"], theirs.id)
    # Nor may a vendor create a place for another producer.
    with pytest.raises(ValidationFailed) as caught:
        await service.create(vendor, place_input(owner=f"producer:{s['theirs'].id}"))
    assert "owner" in caught.value.fields
    await db.commit()
    again = await fresh(db, theirs.id)
    assert again.name_vi == "Điểm bán OCOP Bến Tre" and not again.is_published
    assert again.opening_hours.get("mon") == [] and not again.exceptions and not again.photos
    assert await count(db, Place) == 1 and await count(db, MediaFile) == 0


async def test_an_organizer_cannot_reach_another_organizations_place(db: AsyncSession) -> None:
    s = await scene(db)
    service = PlaceService(db)
    theirs = await service.create(s["other_organizer"], place_input(kind="attraction", category=""))
    await db.commit()
    for actor in (s["organizer"], s["operator"], s["vendor"]):
        with pytest.raises(NotFound):
            await service.update(actor, theirs.id, place_input(kind="attraction", name_vi="Không được"))
    with pytest.raises(ValidationFailed):
        await service.create(s["organizer"], place_input(owner=f"organization:{s['other_org'].id}"))
    # Admins manage everything; the showroom operator manages its organization's places.
    await service.update(s["admin"], theirs.id, place_input(kind="attraction", name_vi="Sửa bởi admin"))
    mine = await service.create(s["organizer"], place_input(kind="attraction", category=""))
    await service.update(
        s["operator"], mine.id, place_input(kind="attraction", name_vi="Sửa bởi nhà vận hành")
    )
    await db.commit()
    assert (await fresh(db, theirs.id)).name_vi == "Sửa bởi admin"
    assert (await fresh(db, mine.id)).name_vi == "Sửa bởi nhà vận hành"


async def test_the_managed_list_holds_only_the_users_places_and_filters_by_kind(db: AsyncSession) -> None:
    from app.tours.places import PlaceFilters

    s = await scene(db)
    service = PlaceService(db)
    await service.create(s["vendor"], place_input(name_vi="Của tôi"))
    await service.create(
        s["vendor"], place_input(kind="attraction", name_vi="Thắng cảnh của tôi", category="")
    )
    await service.create(s["their_vendor"], place_input(name_vi="Của họ"))
    await db.commit()
    names = [p.name_vi for p in (await service.list_managed(s["vendor"], PlaceFilters())).items]
    assert names == ["Của tôi", "Thắng cảnh của tôi"]
    showrooms = await service.list_managed(s["vendor"], PlaceFilters(kind="showroom"))
    assert [p.name_vi for p in showrooms.items] == ["Của tôi"]
    assert (await service.list_managed(s["admin"], PlaceFilters())).total == 3


async def test_bad_opening_hours_are_refused_and_the_old_ones_stay(db: AsyncSession) -> None:
    s = await scene(db)
    service = PlaceService(db)
    place = await service.create(s["vendor"], place_input())
    await service.set_hours(s["vendor"], place.id, {"mon": [["08:00", "17:30"]]})
    await db.commit()
    for bad in (
        {"mon": [["08:00", "25:00"]]},
        {"tue": [["08:00", "12:00"], ["11:00", "13:00"]]},
        {"wed": [["09:00", "09:00"]]},
    ):
        with pytest.raises(ValidationFailed) as caught:
            await service.set_hours(s["vendor"], place.id, bad)
        assert set(caught.value.fields) & {"mon", "tue", "wed"}
    await db.commit()
    assert (await fresh(db, place.id)).opening_hours["mon"] == [["08:00", "17:30"]]


async def test_exception_days_are_set_replaced_and_removed(db: AsyncSession) -> None:
    s = await scene(db)
    service = PlaceService(db)
    place = await service.create(s["vendor"], place_input())
    await service.add_exception(s["vendor"], place.id, {"day": "2026-02-17", "closed": "1", "note": "Tết"})
    await service.add_exception(
        s["vendor"],
        place.id,
        {"day": "17/02/2026", "closed": "", "hours": [["09:00", "11:00"]], "note": "Mùng 1"},
    )
    await db.commit()
    rows = (await db.scalars(select(PlaceHoursException))).all()
    assert len(rows) == 1 and not rows[0].closed and rows[0].hours == [["09:00", "11:00"]]
    for bad, field in (
        ({"day": "30/02/2026", "closed": "1"}, "day"),
        ({"day": "2026-03-01", "closed": "", "hours": []}, "hours"),
        ({"day": "2026-03-01", "closed": "", "hours": [["10:00", "xx"]]}, "hours"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            await service.add_exception(s["vendor"], place.id, bad)
        assert field in caught.value.fields
    await db.commit()
    assert await count(db, PlaceHoursException) == 1
    await service.remove_exception(s["vendor"], place.id, rows[0].id)
    await db.commit()
    assert await count(db, PlaceHoursException) == 0


async def test_photos_are_uploaded_reordered_and_removed(db: AsyncSession) -> None:
    s = await scene(db)
    service = PlaceService(db)
    place = await service.create(s["vendor"], place_input())
    first = await service.add_photo(s["vendor"], place.id, png_bytes("red"), "Mặt tiền")
    second = await service.add_photo(s["vendor"], place.id, png_bytes("blue"))
    await db.commit()
    media = await db.get(MediaFile, first.media_id)
    assert media is not None and media.content_type == "image/webp"
    await service.move_photo(s["vendor"], place.id, second.id, "up")
    await db.commit()
    again = await fresh(db, place.id)
    assert [p.id for p in again.photos] == [second.id, first.id]
    with pytest.raises(ValidationFailed):
        await service.add_photo(s["vendor"], place.id, b"not an image at all" * 10)
    await service.remove_photo(s["vendor"], place.id, second.id)
    await db.commit()
    again = await fresh(db, place.id)
    assert [(p.id, p.position) for p in again.photos] == [(first.id, 0)]
    assert await count(db, PlacePhoto) == 1


async def test_a_fair_venue_links_only_a_fair_its_owner_organizes(db: AsyncSession) -> None:
    s = await scene(db)
    now = dt.datetime.now(dt.UTC)

    def fair(org: Organization, slug: str) -> Fair:
        return Fair(
            organization_id=org.id,
            slug=slug,
            name_vi="Hội chợ OCOP",
            province_code=86,
            starts_at=now + dt.timedelta(days=10),
            ends_at=now + dt.timedelta(days=12),
            status=FairStatus.PUBLISHED,
            timezone="Asia/Ho_Chi_Minh",
        )

    ours, theirs = fair(s["org"], "hoi-cho-a"), fair(s["other_org"], "hoi-cho-b")
    db.add_all([ours, theirs])
    await db.commit()
    service = PlaceService(db)
    venue = await service.create(
        s["organizer"], place_input(kind="fair_venue", category="", fair_id=str(ours.id))
    )
    assert venue.fair_id == ours.id
    with pytest.raises(ValidationFailed) as caught:
        await service.create(s["organizer"], place_input(kind="fair_venue", fair_id=str(theirs.id)))
    assert "fair_id" in caught.value.fields


async def test_a_place_on_a_route_cannot_be_deleted_and_a_deleted_showroom_stops_selling(
    db: AsyncSession,
) -> None:
    s = await scene(db)
    service = PlaceService(db)
    stop = await service.create(s["organizer"], place_input(kind="attraction", category=""))
    showroom = await service.create(s["vendor"], place_input(name_vi="Điểm bán sẽ đóng"))
    route = Route(slug="tuyen-1", name_vi="Tuyến 1", organization_id=s["org"].id)
    route.stops = [RouteStop(place_id=stop.id, position=0)]
    db.add(route)
    await db.commit()
    with pytest.raises(Conflict):
        await service.delete(s["organizer"], stop.id)
    location_id = showroom.location_id
    await service.delete(s["vendor"], showroom.id)
    await db.commit()
    assert await db.get(Place, showroom.id, populate_existing=True) is None
    location = await db.get(Location, location_id, populate_existing=True)
    assert location is not None and not location.is_active


async def test_a_showrooms_view_lists_products_in_stock_now_best_stars_first(db: AsyncSession) -> None:
    s = await scene(db)
    service = PlaceService(db)
    place = await service.create(s["vendor"], place_input())
    await service.set_hours(s["vendor"], place.id, {d: [["08:00", "17:30"]] for d in ("mon", "tue")})
    await db.commit()
    location = await db.get(Location, place.location_id)
    four = await make_product(db, s["mine"], name_vi="Kẹo dừa 4 sao", stars=4, price_vnd=45000)
    five = await make_product(db, s["mine"], name_vi="Mật hoa dừa", stars=5, price_vnd=120000)
    gone = await make_product(db, s["mine"], name_vi="Bánh phồng hết hàng", stars=3)
    await stock(db, four, location, 5)
    await stock(db, five, location, 2)
    db.add(StockLevel(product_id=gone.id, location_id=location.id, on_hand=0))  # sold out
    await db.commit()
    monday_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=VN_TZ)
    view = await service.view(None, await fresh(db, place.id), monday_10)
    assert [(i.product.name_vi, i.on_hand) for i in view.stock] == [("Mật hoa dừa", 2), ("Kẹo dừa 4 sao", 5)]
    assert view.status.open_now and view.status.changes_at == dt.datetime(2026, 11, 23, 17, 30, tzinfo=VN_TZ)
    assert view.links["google"].endswith("destination=10.241500%2C106.375900")
    assert view.links["geo"].startswith("geo:10.241500,106.375900?q=10.241500,106.375900(")


async def test_drafts_are_public_only_to_their_owners(db: AsyncSession) -> None:
    s = await scene(db)
    service = PlaceService(db)
    place = await service.create(s["vendor"], place_input())
    await db.commit()
    for visitor in (None, s["their_vendor"], s["organizer"]):
        with pytest.raises(NotFound):
            await service.for_public(visitor, place.slug)
    with pytest.raises(NotFound):
        await service.get_published(place.id)
    assert (await service.for_public(s["vendor"], str(place.id))).id == place.id
    await service.set_published(s["vendor"], place.id, True)
    await db.commit()
    assert (await service.for_public(None, place.slug)).id == place.id
    assert (await service.get_published(place.id)).id == place.id
