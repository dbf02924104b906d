"""The demo's places and routes (`chophien seed-demo` → app.tours.demo): published OCOP showrooms that are
stock locations with stock, hours and a contact; craft villages, attractions and the running fair's venue;
two published routes with ordered, scheduled stops and future departures; every place inside Vietnam; and
seeding again adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.catalog.services import today_vn
from app.demo import seed
from app.fairs.models import Fair, FairStatus
from app.inventory.models import Location, LocationKind, StockLevel, StockMovement
from app.pos.models import Register
from app.tours.demo import ALL_SLUGS, already_seeded, seed_tours
from app.tours.geometry import in_vietnam, length_km
from app.tours.hours import DAYS, validate_schedule
from app.tours.models import (
    Place,
    PlaceHoursException,
    PlaceKind,
    Route,
    RouteDeparture,
    RouteStatus,
    RouteStop,
    ShowroomCategory,
)


async def _seeded(db: AsyncSession) -> None:
    await seed(db)
    await db.commit()


async def test_the_demo_showrooms_are_published_stock_locations_with_stock_hours_and_contact(
    db: AsyncSession,
) -> None:
    await _seeded(db)
    showrooms = (
        await db.scalars(select(Place).where(Place.kind == PlaceKind.SHOWROOM, Place.is_published))
    ).all()
    assert len(showrooms) >= 6
    categories = {s.category for s in showrooms}
    assert {
        ShowroomCategory.HIGHWAY_REST_STOP,
        ShowroomCategory.BUS_STATION,
        ShowroomCategory.TOURIST_AREA,
        ShowroomCategory.MARKET_SUPERMARKET,
        ShowroomCategory.CRAFT_VILLAGE,
        ShowroomCategory.AIRPORT_PORT,
    } <= categories
    assert None not in categories
    several_producers = 0
    for showroom in showrooms:
        assert showroom.location_id is not None, showroom.slug
        location = await db.get(Location, showroom.location_id)
        assert location is not None and location.kind == LocationKind.SHOWROOM, showroom.slug
        # The stock location belongs to whoever owns the showroom.
        assert (location.producer_id, location.organization_id) == (
            showroom.producer_id,
            showroom.organization_id,
        ), showroom.slug
        assert await db.scalar(select(func.count(Register.id)).where(Register.location_id == location.id))
        rows = (
            await db.execute(
                select(Product.producer_id, StockLevel.on_hand)
                .join(Product, Product.id == StockLevel.product_id)
                .where(StockLevel.location_id == location.id, StockLevel.on_hand > 0)
            )
        ).all()
        assert rows, f"{showroom.slug} has stock"
        several_producers += len({producer for producer, _on_hand in rows}) >= 3
        # A weekly schedule in its stored shape, open on some day, and a way to get in touch.
        assert validate_schedule(showroom.opening_hours) == showroom.opening_hours
        assert set(showroom.opening_hours) == set(DAYS)
        assert any(showroom.opening_hours[day] for day in DAYS)
        assert showroom.phone or showroom.email, showroom.slug
        assert showroom.address and showroom.province_code
    assert several_producers >= 5

    # The demo's own showroom locations became places; none was duplicated.
    for name in ("Điểm bán sản phẩm OCOP Bến xe Bến Tre", "Cửa hàng Bánh tráng Tư Nhung"):
        locations = (await db.scalars(select(Location).where(Location.name == name))).all()
        assert len(locations) == 1
        assert await db.scalar(select(Place).where(Place.location_id == locations[0].id)) is not None

    # One showroom has days that differ from its week, in the future.
    exceptions = (await db.scalars(select(PlaceHoursException))).all()
    assert exceptions and all(e.day > today_vn() for e in exceptions)
    assert any(e.closed for e in exceptions) and any(not e.closed and e.hours for e in exceptions)

    # The stock is in the ledger.
    received = await db.scalar(
        select(func.count(StockMovement.id)).where(StockMovement.reference == "demo:showroom")
    )
    assert received and received >= 20


async def test_the_demo_has_villages_attractions_and_the_running_fairs_venue_all_inside_vietnam(
    db: AsyncSession,
) -> None:
    await _seeded(db)
    places = (await db.scalars(select(Place))).all()
    kinds = {p.kind for p in places}
    assert kinds == set(PlaceKind)
    assert all(p.is_published for p in places)
    assert len({p.slug for p in places}) == len(places)
    assert set(ALL_SLUGS) == {p.slug for p in places}
    for place in places:
        assert in_vietnam(place.longitude, place.latitude), place.slug
        assert 8.5 <= place.latitude <= 11.5 and 105.0 <= place.longitude <= 107.0, place.slug
        assert (place.producer_id is None) != (place.organization_id is None)
        assert place.name_vi and place.name_en and place.description
    names = " ".join(p.name_vi for p in places)
    for expected in ("Cồn Phụng", "Cái Bè", "Cái Răng", "kẹo dừa"):
        assert expected in names

    venues = [p for p in places if p.kind == PlaceKind.FAIR_VENUE]
    assert len(venues) == 1
    fair = await db.get(Fair, venues[0].fair_id)
    assert fair is not None and fair.status == FairStatus.RUNNING
    assert (venues[0].latitude, venues[0].longitude) == (fair.latitude, fair.longitude)
    assert venues[0].organization_id == fair.organization_id


async def test_two_published_routes_with_ordered_scheduled_stops_and_future_departures(
    db: AsyncSession,
) -> None:
    await _seeded(db)
    fair = await db.scalar(select(Fair).where(Fair.status == FairStatus.RUNNING))
    assert fair is not None
    routes = (await db.scalars(select(Route).order_by(Route.id))).all()
    assert len(routes) == 2
    assert all(r.status == RouteStatus.PUBLISHED for r in routes)
    assert {r.organization_id for r in routes} == {fair.organization_id}  # the demo organizer's
    assert routes[0].name_vi.startswith("Sài Gòn") and "Cần Thơ" in routes[0].name_vi
    assert "Bến Tre" in routes[1].name_vi
    assert len({r.slug for r in routes}) == 2
    today = today_vn()
    for route in routes:
        stops = (
            await db.scalars(
                select(RouteStop).where(RouteStop.route_id == route.id).order_by(RouteStop.position)
            )
        ).all()
        assert len(stops) >= 3
        assert [s.position for s in stops] == list(range(len(stops)))
        when = [(s.day, s.time) for s in stops]
        assert when == sorted(when) and all(len(s.time) == 5 for s in stops)
        assert all(s.minutes > 0 for s in stops)
        places = [await db.get(Place, s.place_id) for s in stops]
        assert all(p is not None and p.is_published for p in places)
        points = [(p.longitude, p.latitude) for p in places if p is not None]
        assert route.length_m == round(length_km(points) * 1000) > 0
        assert route.duration_min > sum(s.minutes for s in stops)
        assert route.corridor_km == 5.0
        assert sum(p.kind == PlaceKind.SHOWROOM for p in places if p is not None) >= 2
        departures = (
            await db.scalars(select(RouteDeparture).where(RouteDeparture.route_id == route.id))
        ).all()
        assert len(departures) >= 3
        assert all(d.departs_on > today and d.time and d.seats for d in departures)
    long_route, day_route = routes
    assert max(s.day for s in long_route.stops) == 2
    assert {s.day for s in day_route.stops} == {1}
    assert 150_000 < long_route.length_m < 400_000
    assert day_route.length_m < long_route.length_m
    # The long route passes the running fair.
    on_the_way = [await db.get(Place, s.place_id) for s in long_route.stops]
    assert any(p is not None and p.fair_id == fair.id for p in on_the_way)


async def test_seeding_the_tours_again_adds_nothing(db: AsyncSession) -> None:
    await _seeded(db)
    counted = (Place, PlaceHoursException, Route, RouteStop, RouteDeparture, Location, StockMovement)

    async def counts() -> dict[str, int]:
        return {model.__name__: int(await db.scalar(select(func.count(model.id))) or 0) for model in counted}

    before = await counts()
    assert await already_seeded(db)
    fair = await db.scalar(select(Fair).where(Fair.status == FairStatus.RUNNING))
    assert fair is not None
    assert await seed_tours(db, fair.organization_id) == {}
    await db.commit()
    assert await counts() == before
