"""Route use cases on a real database: only the owning organization's organizers (and admins) touch a route,
stops keep the length and duration up to date, optimise reorders, publishing needs a stop, a broken GPX file
changes nothing, departures are in the future, and published routes answer the along-the-route search."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import gpxpy
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuditEntry, Organization, Role
from app.accounts.rules import CurrentUser
from app.catalog.services import today_vn
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.tours import geometry
from app.tours.models import Place, PlaceKind, Route, RouteDeparture, RouteStatus, RouteStop
from app.tours.routes import RouteService
from tests.factories import make_organization, make_producer, make_user
from tests.integration.test_inventory_services import actor_of

_seq = itertools.count(1)

# (lon, lat)
TOWNS = {
    "HCMC": (106.700, 10.776),
    "Tân An": (106.41, 10.54),
    "Mỹ Tho": (106.36, 10.36),
    "Bến Tre": (106.38, 10.24),
    "Vĩnh Long": (105.97, 10.25),
    "Cần Thơ": (105.78, 10.03),
}


async def make_place(
    db: AsyncSession,
    organization: Organization,
    name: str,
    lon: float,
    lat: float,
    *,
    kind: PlaceKind = PlaceKind.ATTRACTION,
    published: bool = True,
) -> Place:
    place = Place(
        kind=kind,
        slug=f"place-{next(_seq)}",
        name_vi=name,
        name_en="",
        organization_id=organization.id,
        latitude=lat,
        longitude=lon,
        opening_hours={},
        is_published=published,
    )
    db.add(place)
    await db.commit()
    return place


@dataclass
class Scene:
    org: Organization
    other_org: Organization
    organizer: CurrentUser
    other_organizer: CurrentUser
    vendor: CurrentUser
    admin: CurrentUser
    places: dict[str, Place]


async def scene(db: AsyncSession) -> Scene:
    org = await make_organization(db, "Công ty Du lịch Mekong")
    other_org = await make_organization(db, "Công ty Lữ hành Sông Hậu")
    producer = await make_producer(db)
    organizer = await actor_of(db, await make_user(db, role=Role.ORGANIZER, organization=org))
    other = await actor_of(db, await make_user(db, role=Role.ORGANIZER, organization=other_org))
    vendor = await actor_of(db, await make_user(db, role=Role.VENDOR, producer=producer))
    admin = await actor_of(db, await make_user(db, role=Role.ADMIN))
    # The places belong to the other organization: any published place may be a stop.
    places = {name: await make_place(db, other_org, name, *coords) for name, coords in TOWNS.items()}
    return Scene(org, other_org, organizer, other, vendor, admin, places)


async def route_with_stops(db: AsyncSession, s: Scene, *names: str) -> Route:
    service = RouteService(db)
    route = await service.create(s.organizer, {"name_vi": "Sài Gòn – Cần Thơ", "corridor_km": "5"})
    for name in names:
        await service.add_stop(s.organizer, route.id, {"place_id": str(s.places[name].id), "minutes": "30"})
    await db.commit()
    return route


async def snapshot(db: AsyncSession, route_id: int) -> dict[str, Any]:
    db.expunge_all()
    route = await db.get(Route, route_id)
    assert route is not None
    return {
        "name": route.name_vi,
        "status": route.status,
        "track": route.track,
        "length_m": route.length_m,
        "duration_min": route.duration_min,
        "stops": [(st.place_id, st.position, st.day, st.time, st.minutes, st.note) for st in route.stops],
        "departures": [(d.departs_on, d.time) for d in route.departures],
        "audit": await db.scalar(select(func.count()).select_from(AuditEntry)),
    }


async def test_create_edit_and_delete_with_audit_and_unique_slugs(db: AsyncSession) -> None:
    s = await scene(db)
    service = RouteService(db)
    first = await service.create(s.organizer, {"name_vi": "Miền Tây 2 ngày", "name_en": "Mekong in 2 days"})
    second = await service.create(s.organizer, {"name_vi": "Miền Tây 2 ngày"})
    await db.commit()
    assert first.slug == "mien-tay-2-ngay" and second.slug == "mien-tay-2-ngay-2"
    assert first.organization_id == s.org.id and first.status == RouteStatus.DRAFT
    assert first.corridor_km == 5.0
    await service.update(s.organizer, first.id, {"name_vi": "Miền Tây", "corridor_km": "7,5"})
    await service.delete(s.organizer, second.id)
    await db.commit()
    assert (await db.get(Route, first.id)).corridor_km == 7.5  # type: ignore[union-attr]
    assert await db.get(Route, second.id) is None
    actions = set(await db.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "route")))
    assert {"tours.route.created", "tours.route.updated", "tours.route.deleted"} <= actions


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"name_vi": ""}, "name_vi"),
        ({"name_vi": "x" * 201}, "name_vi"),
        ({"name_vi": "Tuyến", "corridor_km": "0"}, "corridor_km"),
        ({"name_vi": "Tuyến", "corridor_km": "51"}, "corridor_km"),
        ({"name_vi": "Tuyến", "corridor_km": "nan"}, "corridor_km"),
        ({"name_vi": "Tuyến", "corridor_km": "năm"}, "corridor_km"),
    ],
)
async def test_bad_route_fields_are_refused_and_nothing_is_saved(
    db: AsyncSession, raw: dict[str, str], field: str
) -> None:
    s = await scene(db)
    with pytest.raises(ValidationFailed) as err:
        await RouteService(db).create(s.organizer, raw)
    assert field in err.value.fields
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(Route)) == 0


async def test_only_the_owning_organizers_and_admins_touch_a_route(db: AsyncSession) -> None:
    s = await scene(db)
    route = await route_with_stops(db, s, "HCMC", "Mỹ Tho")
    service = RouteService(db)
    before = await snapshot(db, route.id)
    stop_id = before["stops"] and (await db.get(Route, route.id)).stops[0].id  # type: ignore[union-attr]
    for outsider in (s.other_organizer, s.vendor):
        for attempt in (
            service.get_for_manage(outsider, route.id),
            service.update(outsider, route.id, {"name_vi": "Chiếm"}),
            service.delete(outsider, route.id),
            service.publish(outsider, route.id),
            service.add_stop(outsider, route.id, {"place_id": str(s.places["Cần Thơ"].id)}),
            service.remove_stop(outsider, route.id, stop_id),
            service.optimise(outsider, route.id),
            service.upload_gpx(outsider, route.id, b"<gpx/>"),
            service.add_departure(outsider, route.id, {"departs_on": "2099-01-01"}),
        ):
            with pytest.raises(NotFound):
                await attempt
    with pytest.raises(PermissionDenied):
        await service.create(s.vendor, {"name_vi": "Của tôi"})
    # the other organizer cannot create a route for our organization
    with pytest.raises(ValidationFailed):
        await service.create(s.other_organizer, {"name_vi": "X", "organization_id": str(s.org.id)})
    await db.rollback()
    assert await snapshot(db, route.id) == before
    assert [r.id for r in await service.list_for(s.other_organizer)] == []
    assert [r.id for r in await service.list_for(s.organizer)] == [route.id]
    # an admin may
    await service.update(s.admin, route.id, {"name_vi": "Đổi bởi quản trị"})
    admin_route = await service.create(s.admin, {"name_vi": "Của quản trị", "organization_id": str(s.org.id)})
    assert admin_route.organization_id == s.org.id


async def test_stops_keep_length_and_duration_up_to_date(db: AsyncSession) -> None:
    s = await scene(db)
    route = await route_with_stops(db, s, "HCMC")
    assert (route.length_m, route.duration_min) == (0, 30)
    service = RouteService(db)
    await service.add_stop(s.organizer, route.id, {"place_id": str(s.places["Mỹ Tho"].id), "minutes": "60"})
    km = geometry.length_km([TOWNS["HCMC"], TOWNS["Mỹ Tho"]])
    assert route.length_m == round(km * 1000)
    assert route.duration_min == geometry.duration_min(km, [30, 60])
    stop = route.stops[1]
    await service.update_stop(s.organizer, route.id, stop.id, {"day": "2", "time": "14:30", "minutes": "90"})
    assert route.duration_min == geometry.duration_min(km, [30, 90])
    assert (stop.day, stop.time) == (2, "14:30")
    await service.remove_stop(s.organizer, route.id, stop.id)
    await db.commit()
    saved = await snapshot(db, route.id)
    assert (saved["length_m"], saved["duration_min"]) == (0, 30)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"day": "0"}, "day"),
        ({"day": "31"}, "day"),
        ({"minutes": "-5"}, "minutes"),
        ({"minutes": "2000"}, "minutes"),
        ({"time": "25:00"}, "time"),
        ({"time": "8h"}, "time"),
        ({"note": "x" * 301}, "note"),
        ({"place_id": "abc"}, "place_id"),
        ({"place_id": "999999"}, "place_id"),
        ({"place_id": "draft"}, "place_id"),
    ],
)
async def test_bad_stops_are_refused_and_nothing_changes(
    db: AsyncSession, raw: dict[str, str], field: str
) -> None:
    s = await scene(db)
    route = await route_with_stops(db, s, "HCMC")
    draft = await make_place(db, s.org, "Chưa công bố", 106.5, 10.5, published=False)
    before = await snapshot(db, route.id)
    data = {"place_id": str(s.places["Mỹ Tho"].id), **raw}
    if data["place_id"] == "draft":
        data["place_id"] = str(draft.id)
    with pytest.raises(ValidationFailed) as err:
        await RouteService(db).add_stop(s.organizer, route.id, data)
    assert field in err.value.fields
    await db.rollback()
    assert await snapshot(db, route.id) == before


async def test_move_reorder_and_optimise(db: AsyncSession) -> None:
    s = await scene(db)
    route = await route_with_stops(db, s, "HCMC", "Cần Thơ", "Tân An", "Vĩnh Long", "Mỹ Tho", "Bến Tre")
    service = RouteService(db)
    names = {p.id: name for name, p in s.places.items()}

    def order() -> list[str]:
        return [names[stop.place_id] for stop in route.stops]

    shuffled_length = route.length_m
    _route, before, after = await service.optimise(s.organizer, route.id)
    assert order() == ["HCMC", "Tân An", "Mỹ Tho", "Bến Tre", "Vĩnh Long", "Cần Thơ"]
    assert after < before
    assert route.length_m < shuffled_length
    assert route.length_m == round(after * 1000)
    assert [stop.position for stop in route.stops] == list(range(6))
    await service.move_stop(s.organizer, route.id, route.stops[1].id, "down")
    assert order()[1:3] == ["Mỹ Tho", "Tân An"]
    await service.move_stop(s.organizer, route.id, route.stops[0].id, "up")  # first stays first: no change
    assert order()[0] == "HCMC"
    ids = [stop.id for stop in reversed(route.stops)]
    await service.reorder(s.organizer, route.id, ids)
    assert order()[0] == "Cần Thơ"
    await db.commit()
    saved = await snapshot(db, route.id)
    assert [p for p, *_ in saved["stops"]] == [
        s.places[n].id for n in reversed(["HCMC", "Mỹ Tho", "Tân An", "Bến Tre", "Vĩnh Long", "Cần Thơ"])
    ]
    assert [pos for _p, pos, *_ in saved["stops"]] == list(range(6))
    # a stale or tampered order is refused
    rid = route.id
    before = await snapshot(db, rid)
    for bad in (ids[:-1], [*ids, 999], [ids[0], *ids[:-1]]):
        with pytest.raises(ValidationFailed):
            await service.reorder(s.organizer, rid, bad)
    await db.rollback()
    assert await snapshot(db, rid) == before


async def test_publishing_needs_a_stop_and_can_be_undone(db: AsyncSession, english: None) -> None:
    s = await scene(db)
    service = RouteService(db)
    route = await service.create(s.organizer, {"name_vi": "Trống"})
    await db.commit()
    before = await snapshot(db, route.id)
    with pytest.raises(ValidationFailed, match="A route needs at least one stop"):
        await service.publish(s.organizer, route.id)
    await db.rollback()
    assert await snapshot(db, route.id) == before
    await service.add_stop(s.organizer, route.id, {"place_id": str(s.places["Bến Tre"].id)})
    await service.publish(s.organizer, route.id)
    await db.commit()
    assert (await service.published(route.slug)).route.id == route.id
    assert (await service.published(str(route.id))).route.id == route.id
    route = await db.get(Route, route.id)  # type: ignore[assignment]
    with pytest.raises(ValidationFailed):  # the last stop of a published route stays
        await service.remove_stop(s.organizer, route.id, route.stops[0].id)
    await service.unpublish(s.organizer, route.id)
    await db.commit()
    with pytest.raises(NotFound):
        await service.published(route.slug)
    actions = list(await db.scalars(select(AuditEntry.action).where(AuditEntry.object_id == route.id)))
    assert "tours.route.published" in actions and "tours.route.unpublished" in actions


def gpx_bytes(points: list[tuple[float, float]]) -> bytes:
    doc = gpxpy.gpx.GPX()
    track = gpxpy.gpx.GPXTrack()
    seg = gpxpy.gpx.GPXTrackSegment()
    seg.points = [gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon) for lon, lat in points]
    track.segments.append(seg)
    doc.tracks.append(track)
    return doc.to_xml().encode()


async def test_a_gpx_track_sets_the_length_and_a_broken_one_changes_nothing(db: AsyncSession) -> None:
    s = await scene(db)
    route = await route_with_stops(db, s, "HCMC", "Cần Thơ")
    service = RouteService(db)
    straight = route.length_m
    track = list(TOWNS.values())
    await service.upload_gpx(s.organizer, route.id, gpx_bytes(track))
    await db.commit()
    assert route.track == [[lon, lat] for lon, lat in track]
    assert route.length_m == round(geometry.length_km(track) * 1000) > straight
    before = await snapshot(db, route.id)
    for broken in (b"<gpx><trk>", b"", gpx_bytes([]), gpx_bytes([(106.7, 10.7), (100.5, 13.7)]), b"\xff\xfe"):
        with pytest.raises(ValidationFailed):
            await service.upload_gpx(s.organizer, route.id, broken)
        await db.rollback()
        assert await snapshot(db, route.id) == before
    await service.remove_track(s.organizer, route.id)
    await db.commit()
    saved = await snapshot(db, route.id)
    assert saved["track"] == [] and saved["length_m"] == straight


async def test_departures_are_today_or_later_and_unique(db: AsyncSession) -> None:
    s = await scene(db)
    route = await route_with_stops(db, s, "HCMC")
    service = RouteService(db)
    soon = (today_vn() + dt.timedelta(days=7)).isoformat()
    departure = await service.add_departure(
        s.organizer, route.id, {"departs_on": soon, "time": "07:00", "seats": "30"}
    )
    await db.commit()
    before = await snapshot(db, route.id)
    yesterday = (today_vn() - dt.timedelta(days=1)).isoformat()
    for raw in (
        {"departs_on": yesterday},
        {"departs_on": "24/12/2026"},
        {"departs_on": ""},
        {"departs_on": soon, "time": "07:00"},
        {"departs_on": soon, "seats": "0"},
        {"departs_on": soon, "time": "7 giờ"},
        {"departs_on": "2999-01-01"},
    ):
        with pytest.raises(ValidationFailed):
            await service.add_departure(s.organizer, route.id, raw)
        await db.rollback()
    assert await snapshot(db, route.id) == before
    route = await db.get(Route, route.id)  # type: ignore[assignment]
    await service.remove_departure(s.organizer, route.id, departure.id)
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(RouteDeparture)) == 0
    with pytest.raises(NotFound):
        await service.remove_departure(s.organizer, route.id, departure.id)


async def test_along_finds_published_showrooms_in_route_order(db: AsyncSession) -> None:
    s = await scene(db)
    route = await route_with_stops(db, s, "HCMC", "Tân An", "Mỹ Tho", "Bến Tre", "Vĩnh Long", "Cần Thơ")
    service = RouteService(db)
    await service.publish(s.organizer, route.id)
    await db.commit()
    ben_tre, vinh_long = TOWNS["Bến Tre"], TOWNS["Vĩnh Long"]
    mid = ((ben_tre[0] + vinh_long[0]) / 2, (ben_tre[1] + vinh_long[1]) / 2)
    near = await make_place(db, s.org, "Shop gần", mid[0], mid[1] + 2 / 110.6, kind=PlaceKind.SHOWROOM)
    far = await make_place(db, s.org, "Shop xa", mid[0], mid[1] + 8 / 110.6, kind=PlaceKind.SHOWROOM)
    first = await make_place(db, s.org, "Shop Sài Gòn", 106.701, 10.775, kind=PlaceKind.SHOWROOM)
    await make_place(db, s.org, "Shop nháp", 106.36, 10.361, kind=PlaceKind.SHOWROOM, published=False)
    await make_place(db, s.org, "Chùa", 106.36, 10.362)  # not a showroom
    view = await service.published(route.id)
    found = await service.along(view, 5)
    assert [a.place.id for a in found] == [first.id, near.id]
    assert found[1].off_km == pytest.approx(2.0, abs=0.1)
    assert 90 < found[1].at_km < 130
    assert [a.place.id for a in await service.along(view, 10)] == [first.id, near.id, far.id]


async def test_place_search_lists_published_places_of_anyone(db: AsyncSession) -> None:
    s = await scene(db)
    await make_place(db, s.org, "Lò kẹo dừa Thanh Long", 106.37, 10.24, published=False)
    found = await RouteService(db).search_places("Mỹ")
    assert [p.name_vi for p in found] == ["Mỹ Tho"]
    assert len(await RouteService(db).search_places("")) == len(TOWNS)
    assert await RouteService(db).search_places("Thanh Long") == []


async def test_a_removed_stop_row_is_gone(db: AsyncSession) -> None:
    s = await scene(db)
    route = await route_with_stops(db, s, "HCMC", "Mỹ Tho")
    await RouteService(db).remove_stop(s.organizer, route.id, route.stops[0].id)
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(RouteStop)) == 1
