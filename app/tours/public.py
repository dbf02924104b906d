"""The tourist's map, read-only: published places as map features (with what a showroom has in stock),
published routes with their stops and the showrooms along them, and the filters the public pages share.

Nothing here changes the database. Drafts and unpublished places are never returned, whoever asks.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import admin_units
from app.catalog.models import OcopGroup, Product
from app.errors import NotFound, ValidationFailed
from app.i18n import gettext as _
from app.i18n import localized
from app.inventory.models import StockLevel
from app.tours import directions, geometry, hours
from app.tours.geojson import BBox
from app.tours.models import Place, PlaceKind, Route, RouteStatus

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_FEATURES = 2000
MAX_LISTED = 100
PRODUCTS_PER_SHOP = 5
MAX_KM = geometry.MAX_CORRIDOR_KM
STARS = (3, 4, 5)


# --- filters ---


@dataclass(frozen=True)
class PlaceFilters:
    """What the map and its list are narrowed to. Empty values mean "any"."""

    kind: str = ""
    group: str = ""  # an OCOP group code: the group and its subgroups
    stars: int | None = None  # at least this many stars, on a product in stock
    open_now: bool = False
    q: str = ""  # a product in stock whose name matches (diacritics ignored)
    province: int | None = None
    route: int | None = None  # only places within `km` of this route
    km: float | None = None
    near: tuple[float, float] | None = None  # (lat, lon): nearest first

    @property
    def needs_stock(self) -> bool:
        return bool(self.group or self.stars or self.q)

    def params(self) -> dict[str, Any]:
        """The filters as query-string values (for share links and the map layer)."""
        return {
            "kind": self.kind,
            "group": self.group,
            "stars": self.stars or "",
            "open": "1" if self.open_now else "",
            "q": self.q,
            "province": self.province or "",
            "route": self.route or "",
            "km": _km_text(self.km) if self.km is not None else "",
            "near": f"{self.near[0]:.5f},{self.near[1]:.5f}" if self.near else "",
        }


def _km_text(km: float) -> str:
    return f"{km:g}"


def _invalid(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={name: message})


def _number(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_filters(
    *,
    kind: str = "",
    group: str = "",
    stars: str = "",
    open_now: str = "",
    q: str = "",
    province: str = "",
    route: str = "",
    km: str = "",
    near: str = "",
) -> PlaceFilters:
    """Query-string values → PlaceFilters. A value that cannot mean anything is refused (422) with a field
    message, so a broken share link says what is wrong instead of showing everything."""
    kind = kind.strip()
    if kind and kind not in {k.value for k in PlaceKind}:
        raise _invalid("kind", _("Unknown kind of place."))
    group = group.strip()
    if group and (len(group) > 10 or not all(ch.isdigit() or ch == "." for ch in group)):
        raise _invalid("group", _("Unknown product group."))
    min_stars: int | None = None
    if stars.strip():
        if stars.strip() not in {str(s) for s in STARS}:
            raise _invalid("stars", _("Stars must be 3, 4 or 5."))
        min_stars = int(stars.strip())
    province_code: int | None = None
    if province.strip():
        if not (province.strip().isascii() and province.strip().isdigit() and len(province.strip()) <= 6):
            raise _invalid("province", _("Unknown province."))
        province_code = int(province.strip())
    route_id: int | None = None
    if route.strip():
        if not (route.strip().isascii() and route.strip().isdigit() and len(route.strip()) <= 9):
            raise _invalid("route", _("Unknown route."))
        route_id = int(route.strip())
    km_value: float | None = None
    if km.strip():
        km_value = _number(km.strip()) if len(km.strip()) <= 12 else None
        if km_value is None or not 0 < km_value <= MAX_KM:
            message = _("The distance from the route must be a number of km above 0 and at most %(max)d.")
            raise _invalid("km", message % {"max": int(MAX_KM)})
    near_point: tuple[float, float] | None = None
    if near.strip():
        parts = near.strip().split(",")
        numbers = [_number(p.strip()) for p in parts] if len(parts) == 2 and len(near) <= 60 else []
        if len(numbers) != 2 or any(n is None for n in numbers):
            raise _invalid("near", _("Your position must be latitude,longitude."))
        lat, lon = float(numbers[0] or 0), float(numbers[1] or 0)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise _invalid("near", _("Your position must be latitude,longitude."))
        near_point = (lat, lon)
    return PlaceFilters(
        kind=kind,
        group=group,
        stars=min_stars,
        open_now=open_now.strip().lower() in {"1", "on", "true", "yes"},
        q=q.strip()[:100],
        province=province_code,
        route=route_id,
        km=km_value,
        near=near_point,
    )


# --- opening hours ---


def is_open(place: Place, at: dt.datetime) -> bool | None:
    """Whether the place is open at `at`; None when it keeps no hours at all."""
    if not hours.has_hours(place.opening_hours or {}) and not place.exceptions:
        return None
    return hours.is_open(place.opening_hours or {}, place.exceptions, at)


# --- what the pages show ---


@dataclass(frozen=True)
class StockLine:
    name: str
    stars: int | None
    on_hand: int


@dataclass
class PlaceItem:
    """A place on the map and in the list."""

    place: Place
    name: str
    open_now: bool | None
    stars: int | None = None
    group: str = ""
    group_name: str = ""
    products: list[StockLine] = field(default_factory=list)
    off_km: float | None = None
    at_km: float | None = None
    distance_km: float | None = None

    @property
    def url(self) -> str:
        return f"/places/{self.place.slug}"


@dataclass(frozen=True)
class StopItem:
    number: int
    place: Place
    name: str
    day: int
    time: str
    minutes: int
    note: str
    geo_url: str


@dataclass(frozen=True)
class RouteSummary:
    route: Route
    name: str
    length_km: float
    duration_min: int
    stops: int
    next_departure: dt.date | None


@dataclass(frozen=True)
class RouteView:
    summary: RouteSummary
    stops: list[StopItem]
    line: list[list[float]]  # [lon, lat]
    google_urls: list[str]
    osm_url: str


def kind_label(kind: PlaceKind | str) -> str:
    labels = {
        PlaceKind.SHOWROOM.value: _("OCOP showroom"),
        PlaceKind.CRAFT_VILLAGE.value: _("Craft village"),
        PlaceKind.ATTRACTION.value: _("Tourist attraction"),
        PlaceKind.FAIR_VENUE.value: _("Fair venue"),
    }
    return labels.get(str(getattr(kind, "value", kind)), "")


def province_name(code: int | None) -> str:
    found = admin_units.province(code) if code else None
    return found.name if found else ""


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def route_points(route: Route, places: dict[int, Place]) -> list[tuple[float, float]]:
    """The route's line as (lon, lat): its GPX track, else the line through its stops."""
    if route.track:
        return [(float(p[0]), float(p[1])) for p in route.track if len(p) >= 2]
    stops = [places[s.place_id] for s in route.stops if s.place_id in places]
    return [(place.longitude, place.latitude) for place in stops]


class PublicMapService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- routes --

    async def _route(self, key: str | int) -> Route:
        key = str(key).strip()
        stmt = select(Route).where(Route.status == RouteStatus.PUBLISHED)
        if key.isascii() and key.isdigit() and len(key) <= 9:
            stmt = stmt.where(or_(Route.id == int(key), Route.slug == key))
        else:
            stmt = stmt.where(Route.slug == key[:120])
        route = await self.session.scalar(stmt)
        if route is None:
            raise NotFound(_("This route does not exist or is not published."))
        return route

    async def _stop_places(self, routes: Sequence[Route]) -> dict[int, Place]:
        ids = {stop.place_id for route in routes for stop in route.stops}
        if not ids:
            return {}
        found = (await self.session.scalars(select(Place).where(Place.id.in_(ids)))).all()
        return {place.id: place for place in found}

    def _summary(self, route: Route, today: dt.date) -> RouteSummary:
        upcoming = [d.departs_on for d in route.departures if d.departs_on >= today]
        return RouteSummary(
            route=route,
            name=localized(route, "name"),
            length_km=round(route.length_m / 1000, 1),
            duration_min=route.duration_min,
            stops=len(route.stops),
            next_departure=min(upcoming) if upcoming else None,
        )

    async def published_routes(self, today: dt.date) -> list[RouteSummary]:
        routes = (
            await self.session.scalars(
                select(Route).where(Route.status == RouteStatus.PUBLISHED).order_by(Route.name_vi, Route.id)
            )
        ).all()
        return [self._summary(route, today) for route in routes]

    async def route_view(self, key: str, today: dt.date) -> RouteView:
        route = await self._route(key)
        places = await self._stop_places([route])
        stops: list[StopItem] = []
        for stop in route.stops:
            place = places.get(stop.place_id)
            if place is None:
                continue
            name = localized(place, "name")
            stops.append(
                StopItem(
                    number=len(stops) + 1,
                    place=place,
                    name=name,
                    day=stop.day,
                    time=stop.time,
                    minutes=stop.minutes,
                    note=stop.note,
                    geo_url=directions.geo_url((place.latitude, place.longitude), name),
                )
            )
        latlon = [(s.place.latitude, s.place.longitude) for s in stops]
        return RouteView(
            summary=self._summary(route, today),
            stops=stops,
            line=[[lon, lat] for lon, lat in route_points(route, places)],
            google_urls=directions.google_urls(latlon) if len(latlon) >= 2 else [],
            osm_url=directions.osm_url(latlon) if len(latlon) >= 2 else "",
        )

    # -- places --

    async def _group_ids(self, code: str) -> set[int]:
        parents = select(OcopGroup.id).where(OcopGroup.code == code)
        stmt = select(OcopGroup.id).where(or_(OcopGroup.code == code, OcopGroup.parent_id.in_(parents)))
        return set((await self.session.scalars(stmt)).all())

    async def places(
        self, filters: PlaceFilters, bbox: BBox | None, now: dt.datetime, *, limit: int = MAX_FEATURES
    ) -> tuple[list[PlaceItem], bool]:
        """Published places matching the filters, with their stock; in route order when a route is given,
        nearest first with `near`, else by name. Returns at most `limit` items and whether more were cut."""
        stmt = select(Place).where(Place.is_published.is_(True))
        if filters.kind:
            stmt = stmt.where(Place.kind == PlaceKind(filters.kind))
        if filters.province:
            stmt = stmt.where(Place.province_code == filters.province)
        if bbox is not None:
            stmt = stmt.where(
                Place.longitude.between(bbox.min_lon, bbox.max_lon),
                Place.latitude.between(bbox.min_lat, bbox.max_lat),
            )
        if filters.needs_stock:
            stocked = (
                select(StockLevel.location_id)
                .join(Product, Product.id == StockLevel.product_id)
                .where(StockLevel.on_hand > 0, Product.is_active.is_(True))
            )
            if filters.group:
                stocked = stocked.where(Product.group_id.in_(await self._group_ids(filters.group) or {-1}))
            if filters.stars:
                stocked = stocked.where(Product.stars >= filters.stars)
            for word in [w for w in admin_units.fold(filters.q).split() if w][:6]:
                stocked = stocked.where(Product.search_text.contains(word))
            stmt = stmt.where(Place.kind == PlaceKind.SHOWROOM, Place.location_id.in_(stocked))
        found = list((await self.session.scalars(stmt.order_by(Place.name_vi, Place.id))).all())

        along: dict[int, geometry.Along] = {}
        if filters.route is not None:
            route = await self._route(filters.route)
            line = route_points(route, await self._stop_places([route]))
            km = filters.km if filters.km is not None else route.corridor_km
            hits = geometry.corridor(line, [(p.id, p.longitude, p.latitude) for p in found], km)
            along = {hit.place_id: hit for hit in hits}
            order = {hit.place_id: index for index, hit in enumerate(hits)}
            found = sorted((p for p in found if p.id in along), key=lambda p: order[p.id])

        items = [PlaceItem(place=p, name=localized(p, "name"), open_now=is_open(p, now)) for p in found]
        if filters.open_now:
            items = [item for item in items if item.open_now]
        for item in items:
            hit = along.get(item.place.id)
            if hit is not None:
                item.off_km, item.at_km = hit.off_km, hit.at_km
            if filters.near is not None:
                item.distance_km = round(
                    haversine_km(filters.near, (item.place.latitude, item.place.longitude)), 1
                )
        if filters.near is not None and filters.route is None:
            items.sort(key=lambda item: (item.distance_km or 0.0, item.place.id))
        truncated = len(items) > limit
        items = items[:limit]
        await self._fill_stock(items)
        return items, truncated

    async def _fill_stock(self, items: list[PlaceItem]) -> None:
        """Best stars, main group and the products in stock of the showrooms among `items`."""
        by_location = {item.place.location_id: item for item in items if item.place.location_id is not None}
        if not by_location:
            return
        rows = (
            await self.session.execute(
                select(StockLevel.location_id, StockLevel.on_hand, Product)
                .join(Product, Product.id == StockLevel.product_id)
                .where(
                    StockLevel.location_id.in_(by_location),
                    StockLevel.on_hand > 0,
                    Product.is_active.is_(True),
                )
                .order_by(func.coalesce(Product.stars, 0).desc(), Product.name_vi, Product.id)
            )
        ).all()
        groups = {g.id: g for g in (await self.session.scalars(select(OcopGroup))).all()}
        counts: dict[int, Counter[int]] = {}
        for location_id, on_hand, product in rows:
            item = by_location[location_id]
            if product.stars and (item.stars is None or product.stars > item.stars):
                item.stars = product.stars
            if len(item.products) < PRODUCTS_PER_SHOP:
                item.products.append(StockLine(localized(product, "name"), product.stars, int(on_hand)))
            if product.group_id in groups:
                top = groups[product.group_id]
                while top.parent_id is not None and top.parent_id in groups:
                    top = groups[top.parent_id]
                counts.setdefault(location_id, Counter())[top.id] += 1
        for location_id, counter in counts.items():
            top_id = counter.most_common(1)[0][0]
            item = by_location[location_id]
            item.group = groups[top_id].code
            item.group_name = localized(groups[top_id], "name")

    async def top_groups(self) -> list[tuple[str, str]]:
        """The top-level OCOP groups (current scheme) as (code, name) for the filter."""
        from app.catalog.services import GroupService

        return [(g.code, localized(g, "name")) for g in await GroupService(self.session).top_level()]


def feature(item: PlaceItem) -> dict[str, Any]:
    """A place on the map: plain text only (the browser shows it with textContent)."""
    props: dict[str, Any] = {
        "id": item.place.id,
        "kind": item.place.kind.value,
        "kind_label": kind_label(item.place.kind),
        "name": item.name,
        "url": item.url,
        "stars": item.stars,
        "group": item.group,
        "group_name": item.group_name,
        "open_now": item.open_now,
        "province": province_name(item.place.province_code),
        "address": item.place.address,
    }
    if item.place.kind == PlaceKind.SHOWROOM:
        props["products"] = [{"name": p.name, "stars": p.stars, "on_hand": p.on_hand} for p in item.products]
    if item.off_km is not None:
        props["off_km"] = item.off_km
        props["at_km"] = item.at_km
    if item.distance_km is not None:
        props["distance_km"] = item.distance_km
    return props


def km_text(value: float | None) -> str:
    """A distance in km to one decimal, in the visitor's number format (2,3 in Vietnamese)."""
    from app.i18n import number

    return "" if value is None else number(round(value, 1))


def page_filters(**raw: str) -> tuple[PlaceFilters, dict[str, str]]:
    """Filters for a page: a value that cannot be read is dropped (and reported) rather than failing."""
    errors: dict[str, str] = {}
    values = dict(raw)
    for _attempt in range(len(values) + 1):
        try:
            return parse_filters(**values), errors
        except ValidationFailed as err:
            if not err.fields:
                raise
            for name, message in err.fields.items():
                errors[name] = message
                values[name] = ""
    return PlaceFilters(), errors


def with_km(filters: PlaceFilters, km: float) -> PlaceFilters:
    return replace(filters, km=km)
