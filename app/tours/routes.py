"""Tour routes: create and edit a route, its ordered stops, departures and GPX track; publish it; read a
published route (its line, the showrooms along it, its GPX file).

Only the organizers of the route's organization (and admins) touch a route; anyone else is told it does not
exist. Every change validates first and writes after, so a refusal changes nothing, then keeps the route's
length and duration up to date (from the track when there is one, else the line through the stops) and
records an audit entry (`tours.route.created`, …).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.accounts.models import Organization
from app.accounts.rules import CurrentUser
from app.catalog import admin_units
from app.catalog.services import today_vn
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.fairs.services import slugify
from app.i18n import gettext as _
from app.i18n import localized
from app.slugs import save_with_free_slug
from app.tours import directions, geometry
from app.tours.models import Place, PlaceKind, Route, RouteDeparture, RouteStatus, RouteStop

MAX_NAME = 200
MAX_TEXT = 5000
MAX_NOTE = 300
MAX_STOPS = 100
MAX_DAYS = 30
MAX_DEPARTURES = 200
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
PLACE_SEARCH_LIMIT = 20


def can_manage_route(user: CurrentUser | None, organization_id: int) -> bool:
    return user is not None and (user.is_admin or organization_id in user.organizer_of)


# --- pure cleaners ---


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return str(value).strip() if value is not None else ""


def clean_route(raw: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name_vi = _text(raw, "name_vi")
    name_en = _text(raw, "name_en")
    description = _text(raw, "description")
    if not name_vi:
        errors["name_vi"] = _("Give the route a Vietnamese name.")
    elif len(name_vi) > MAX_NAME:
        errors["name_vi"] = _("At most %(n)s characters.", n=MAX_NAME)
    if len(name_en) > MAX_NAME:
        errors["name_en"] = _("At most %(n)s characters.", n=MAX_NAME)
    if len(description) > MAX_TEXT:
        errors["description"] = _("At most %(n)s characters.", n=MAX_TEXT)
    corridor_raw = _text(raw, "corridor_km").replace(",", ".") or "5"
    try:
        corridor_km = float(corridor_raw)
    except ValueError:
        corridor_km = math.nan
    if not (math.isfinite(corridor_km) and 0 < corridor_km <= geometry.MAX_CORRIDOR_KM):
        errors["corridor_km"] = _("A distance in km, more than 0 and at most 50.")
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
    return {
        "name_vi": name_vi,
        "name_en": name_en,
        "description": description,
        "corridor_km": round(corridor_km, 1),
    }


def clean_stop(raw: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    day_raw = _text(raw, "day") or "1"
    minutes_raw = _text(raw, "minutes") or "30"
    time = _text(raw, "time")
    note = _text(raw, "note")
    day = int(day_raw) if day_raw.isascii() and day_raw.isdigit() and len(day_raw) < 4 else 0
    if not 1 <= day <= MAX_DAYS:
        errors["day"] = _("A day of the tour from 1 to %(n)s.", n=MAX_DAYS)
    minutes = (
        int(minutes_raw) if minutes_raw.isascii() and minutes_raw.isdigit() and len(minutes_raw) < 6 else -1
    )
    if not 0 <= minutes <= 24 * 60:
        errors["minutes"] = _("Minutes spent there, from 0 to 1440.")
    if time and not TIME_RE.match(time):
        errors["time"] = _("A time like 08:30, or leave it empty.")
    if len(note) > MAX_NOTE:
        errors["note"] = _("At most %(n)s characters.", n=MAX_NOTE)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
    return {"day": day, "minutes": minutes, "time": time, "note": note}


def clean_departure(raw: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    errors: dict[str, str] = {}
    day_raw = _text(raw, "departs_on")
    time = _text(raw, "time")
    seats_raw = _text(raw, "seats")
    note = _text(raw, "note")
    departs_on: dt.date | None = None
    try:
        departs_on = dt.date.fromisoformat(day_raw)
    except ValueError:
        errors["departs_on"] = _("A date like 2026-12-24.")
    if departs_on is not None and departs_on < today:
        errors["departs_on"] = _("The departure date must be today or later.")
    if departs_on is not None and departs_on > today + dt.timedelta(days=3 * 366):
        errors["departs_on"] = _("The departure date is too far ahead (at most three years).")
    if time and not TIME_RE.match(time):
        errors["time"] = _("A time like 08:30, or leave it empty.")
    seats: int | None = None
    if seats_raw:
        if seats_raw.isascii() and seats_raw.isdigit() and 1 <= int(seats_raw[:6]) <= 1000:
            seats = int(seats_raw)
        else:
            errors["seats"] = _("A number of seats from 1 to 1000, or leave it empty.")
    if len(note) > 200:
        errors["note"] = _("At most %(n)s characters.", n=200)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
    return {"departs_on": departs_on, "time": time, "seats": seats, "note": note}


def parse_order(raw: Sequence[str] | str) -> list[int]:
    """Stop ids from a reorder post ("3,1,2" or repeated fields)."""
    items = raw.split(",") if isinstance(raw, str) else [part for item in raw for part in item.split(",")]
    ids: list[int] = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        if not (item.isascii() and item.isdigit() and len(item) <= 9):
            raise ValidationFailed(_("The new order of the stops could not be read. Reload the page."))
        ids.append(int(item))
    return ids


# --- read models ---


@dataclass(frozen=True)
class StopView:
    stop: RouteStop
    place: Place
    number: int

    @property
    def name(self) -> str:
        return localized(self.place, "name")


@dataclass(frozen=True)
class AlongView:
    place: Place
    off_km: float
    at_km: float

    @property
    def name(self) -> str:
        return localized(self.place, "name")


@dataclass(frozen=True)
class RouteView:
    route: Route
    organization: Organization | None
    stops: list[StopView]

    @property
    def name(self) -> str:
        return localized(self.route, "name")

    @property
    def points(self) -> list[tuple[float, float]]:
        """The stops as (lon, lat)."""
        return [(s.place.longitude, s.place.latitude) for s in self.stops]

    @property
    def line(self) -> list[tuple[float, float]]:
        """The route's line: the track when there is one, else the stops' line."""
        if self.route.track:
            return [(p[0], p[1]) for p in self.route.track]
        return self.points

    @property
    def length_km(self) -> float:
        return round(self.route.length_m / 1000, 1)

    @property
    def google_urls(self) -> list[str]:
        return directions.google_urls([(lat, lon) for lon, lat in self.points])

    @property
    def osm_url(self) -> str:
        return directions.osm_url([(lat, lon) for lon, lat in self.points])

    def geojson_line(self) -> dict[str, object]:
        return geometry.stops_line_geojson(self.line)


class RouteService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- reading ---

    async def _route(self, route_id: int) -> Route:
        route = await self.session.get(Route, route_id)
        if route is None:
            raise NotFound(_("There is no such route."))
        return route

    async def get_for_manage(self, user: CurrentUser, route_id: int) -> Route:
        route = await self._route(route_id)
        if not can_manage_route(user, route.organization_id):
            raise NotFound(_("There is no such route."))
        return route

    async def view(self, route: Route) -> RouteView:
        ids = [stop.place_id for stop in route.stops]
        places = {p.id: p for p in (await self.session.scalars(select(Place).where(Place.id.in_(ids)))).all()}
        stops = [
            StopView(stop=stop, place=places[stop.place_id], number=number)
            for number, stop in enumerate(route.stops, start=1)
            if stop.place_id in places
        ]
        organization = await self.session.get(Organization, route.organization_id)
        return RouteView(route=route, organization=organization, stops=stops)

    async def manage_view(self, user: CurrentUser, route_id: int) -> RouteView:
        return await self.view(await self.get_for_manage(user, route_id))

    async def list_for(self, user: CurrentUser) -> list[Route]:
        stmt = select(Route).order_by(Route.name_vi, Route.id)
        if not user.is_admin:
            if not user.organizer_of:
                return []
            stmt = stmt.where(Route.organization_id.in_(user.organizer_of))
        return list((await self.session.scalars(stmt)).all())

    async def owner_choices(self, user: CurrentUser) -> list[Organization]:
        stmt = select(Organization).order_by(Organization.name)
        if not user.is_admin:
            if not user.organizer_of:
                return []
            stmt = stmt.where(Organization.id.in_(user.organizer_of))
        return list((await self.session.scalars(stmt)).all())

    async def search_places(self, query: str, limit: int = PLACE_SEARCH_LIMIT) -> list[Place]:
        """Published places (anyone's) whose name matches, for adding a stop."""
        stmt = (
            select(Place).where(Place.is_published.is_(True)).order_by(Place.name_vi, Place.id).limit(limit)
        )
        words = admin_units.fold(query).split()[:5] if query.strip() else []
        raw = query.strip()[:100]
        if raw:
            like = f"%{raw.replace('%', '').replace('_', '')}%"
            stmt = stmt.where(
                or_(
                    func.lower(Place.name_vi).like(like.lower()),
                    func.lower(Place.name_en).like(like.lower()),
                    *[Place.slug.like(f"%{word}%") for word in words if word.isalnum()],
                )
            )
        return list((await self.session.scalars(stmt)).all())

    # --- the route itself ---

    async def create(self, user: CurrentUser, raw: Mapping[str, Any]) -> Route:
        owners = await self.owner_choices(user)
        if not owners:
            raise PermissionDenied(_("Only a tour operator's organizers can plan routes."))
        fields = clean_route(raw)
        org_raw = _text(raw, "organization_id")
        owner_ids = {o.id for o in owners}
        if len(owners) == 1 and not org_raw:
            organization_id = owners[0].id
        elif org_raw.isdigit() and int(org_raw) in owner_ids:
            organization_id = int(org_raw)
        else:
            message = _("Choose one of your organizations.")
            raise ValidationFailed(message, fields={"organization_id": message})
        route = Route(
            **fields,
            organization_id=organization_id,
            created_by=user.id,
            track=[],
            stops=[],
            departures=[],
        )
        await save_with_free_slug(
            self.session,
            route,
            slugify(fields["name_vi"]),
            _("Another route is being saved with the same name. Try again."),
        )
        await audit.record(self.session, user, "tours.route.created", "route", route.id, name=route.name_vi)
        return route

    async def update(self, user: CurrentUser, route_id: int, raw: Mapping[str, Any]) -> Route:
        route = await self.get_for_manage(user, route_id)
        fields = clean_route(raw)
        for key, value in fields.items():
            setattr(route, key, value)
        await self.session.flush()
        await audit.record(self.session, user, "tours.route.updated", "route", route.id, **fields)
        return route

    async def delete(self, user: CurrentUser, route_id: int) -> None:
        route = await self.get_for_manage(user, route_id)
        await audit.record(self.session, user, "tours.route.deleted", "route", route.id, name=route.name_vi)
        await self.session.delete(route)
        await self.session.flush()

    async def publish(self, user: CurrentUser, route_id: int) -> Route:
        route = await self.get_for_manage(user, route_id)
        if not route.stops:
            raise ValidationFailed(_("A route needs at least one stop"))
        route.status = RouteStatus.PUBLISHED
        await self.session.flush()
        await audit.record(self.session, user, "tours.route.published", "route", route.id)
        return route

    async def unpublish(self, user: CurrentUser, route_id: int) -> Route:
        route = await self.get_for_manage(user, route_id)
        route.status = RouteStatus.DRAFT
        await self.session.flush()
        await audit.record(self.session, user, "tours.route.unpublished", "route", route.id)
        return route

    # --- totals ---

    async def recompute(self, route: Route) -> None:
        """length_m and duration_min from the track, or else the stops' line."""
        view = await self.view(route)
        km = geometry.length_km(view.line)
        route.length_m = round(km * 1000)
        route.duration_min = geometry.duration_min(km, [s.minutes for s in route.stops])
        await self.session.flush()

    # --- stops ---

    def _renumber(self, route: Route) -> None:
        for position, stop in enumerate(route.stops):
            stop.position = position

    async def add_stop(self, user: CurrentUser, route_id: int, raw: Mapping[str, Any]) -> RouteStop:
        route = await self.get_for_manage(user, route_id)
        place_raw = _text(raw, "place_id")
        place = (
            await self.session.get(Place, int(place_raw))
            if place_raw.isascii() and place_raw.isdigit() and len(place_raw) <= 9
            else None
        )
        if place is None or not place.is_published:
            message = _("Choose a published place from the list.")
            raise ValidationFailed(message, fields={"place_id": message})
        if len(route.stops) >= MAX_STOPS:
            raise ValidationFailed(_("A route has at most %(n)s stops.", n=MAX_STOPS))
        fields = clean_stop(raw)
        stop = RouteStop(place_id=place.id, position=len(route.stops), **fields)
        route.stops.append(stop)
        await self.session.flush()
        await self.recompute(route)
        await audit.record(
            self.session,
            user,
            "tours.route.stop_added",
            "route",
            route.id,
            stop_id=stop.id,
            place_id=place.id,
        )
        return stop

    def _stop(self, route: Route, stop_id: int) -> RouteStop:
        for stop in route.stops:
            if stop.id == stop_id:
                return stop
        raise NotFound(_("There is no such stop on this route."))

    async def update_stop(
        self, user: CurrentUser, route_id: int, stop_id: int, raw: Mapping[str, Any]
    ) -> RouteStop:
        route = await self.get_for_manage(user, route_id)
        stop = self._stop(route, stop_id)
        fields = clean_stop(raw)
        for key, value in fields.items():
            setattr(stop, key, value)
        await self.session.flush()
        await self.recompute(route)
        await audit.record(
            self.session, user, "tours.route.stop_updated", "route", route.id, stop_id=stop.id, **fields
        )
        return stop

    async def remove_stop(self, user: CurrentUser, route_id: int, stop_id: int) -> Route:
        route = await self.get_for_manage(user, route_id)
        stop = self._stop(route, stop_id)
        if route.status == RouteStatus.PUBLISHED and len(route.stops) == 1:
            raise ValidationFailed(
                _("A published route needs at least one stop: unpublish it first to remove the last one.")
            )
        route.stops.remove(stop)
        self._renumber(route)
        await self.session.flush()
        await self.recompute(route)
        await audit.record(self.session, user, "tours.route.stop_removed", "route", route.id, stop_id=stop_id)
        return route

    async def _set_order(
        self, user: CurrentUser, route: Route, ordered: list[RouteStop], action: str
    ) -> None:
        route.stops[:] = ordered
        self._renumber(route)
        await self.session.flush()
        await self.recompute(route)
        await audit.record(self.session, user, action, "route", route.id, order=[s.id for s in ordered])

    async def move_stop(self, user: CurrentUser, route_id: int, stop_id: int, direction: str) -> Route:
        route = await self.get_for_manage(user, route_id)
        stop = self._stop(route, stop_id)
        stops = list(route.stops)
        index = stops.index(stop)
        target = index - 1 if direction == "up" else index + 1
        if direction not in {"up", "down"}:
            raise ValidationFailed(_("Move a stop up or down."))
        if 0 <= target < len(stops):
            stops[index], stops[target] = stops[target], stops[index]
            await self._set_order(user, route, stops, "tours.route.reordered")
        return route

    async def reorder(self, user: CurrentUser, route_id: int, stop_ids: Sequence[int]) -> Route:
        route = await self.get_for_manage(user, route_id)
        by_id = {stop.id: stop for stop in route.stops}
        if sorted(stop_ids) != sorted(by_id) or len(set(stop_ids)) != len(stop_ids):
            raise ValidationFailed(_("The stops changed while you were moving them. Reload the page."))
        await self._set_order(user, route, [by_id[i] for i in stop_ids], "tours.route.reordered")
        return route

    async def optimise(self, user: CurrentUser, route_id: int) -> tuple[Route, float, float]:
        """Reorder the stops for the shortest drive (the first stays first). Returns the route and the stop
        line's length before and after, in km."""
        route = await self.get_for_manage(user, route_id)
        view = await self.view(route)
        points = view.points
        before = geometry.length_km(points)
        order, after = geometry.optimise_order(points, keep_first=True)
        stops = [view.stops[i].stop for i in order]
        await self._set_order(user, route, stops, "tours.route.optimised")
        return route, before, after

    # --- departures ---

    async def add_departure(self, user: CurrentUser, route_id: int, raw: Mapping[str, Any]) -> RouteDeparture:
        route = await self.get_for_manage(user, route_id)
        fields = clean_departure(raw, today_vn())
        if any(d.departs_on == fields["departs_on"] and d.time == fields["time"] for d in route.departures):
            message = _("This route already departs at that date and time.")
            raise ValidationFailed(message, fields={"departs_on": message})
        if len(route.departures) >= MAX_DEPARTURES:
            raise ValidationFailed(_("A route has at most %(n)s departures.", n=MAX_DEPARTURES))
        departure = RouteDeparture(**fields)
        route.departures.append(departure)
        route.departures.sort(key=lambda d: (d.departs_on, d.time))
        await self.session.flush()
        await audit.record(
            self.session,
            user,
            "tours.route.departure_added",
            "route",
            route.id,
            departs_on=fields["departs_on"].isoformat(),
            time=fields["time"],
        )
        return departure

    async def remove_departure(self, user: CurrentUser, route_id: int, departure_id: int) -> Route:
        route = await self.get_for_manage(user, route_id)
        found = next((d for d in route.departures if d.id == departure_id), None)
        if found is None:
            raise NotFound(_("There is no such departure."))
        route.departures.remove(found)
        await self.session.flush()
        await audit.record(
            self.session, user, "tours.route.departure_removed", "route", route.id, departure_id=departure_id
        )
        return route

    # --- the GPX track ---

    async def upload_gpx(self, user: CurrentUser, route_id: int, content: bytes) -> Route:
        route = await self.get_for_manage(user, route_id)
        track = geometry.parse_gpx(content)  # refuses before anything changes
        route.track = track
        await self.session.flush()
        await self.recompute(route)
        await audit.record(
            self.session, user, "tours.route.track_uploaded", "route", route.id, points=len(track)
        )
        return route

    async def remove_track(self, user: CurrentUser, route_id: int) -> Route:
        route = await self.get_for_manage(user, route_id)
        route.track = []
        await self.session.flush()
        await self.recompute(route)
        await audit.record(self.session, user, "tours.route.track_removed", "route", route.id)
        return route

    # --- public ---

    async def published(self, key: str | int) -> RouteView:
        """A published route by id or slug; a draft is not found."""
        text = str(key)
        if text.isascii() and text.isdigit() and len(text) <= 9:
            route = await self.session.get(Route, int(text))
        else:
            route = await self.session.scalar(select(Route).where(Route.slug == text[:120]))
        if route is None or route.status != RouteStatus.PUBLISHED:
            raise NotFound(_("There is no such route."))
        return await self.view(route)

    async def along(self, view: RouteView, within_km: float) -> list[AlongView]:
        """Published showrooms within `within_km` of the route, in route order."""
        line = view.line
        if not line:
            return []
        lons = [p[0] for p in line]
        lats = [p[1] for p in line]
        # A bounding box grown by the corridor (1° of latitude ≈ 111 km; longitude shrinks by cos(lat)).
        pad_lat = within_km / 110.0
        pad_lon = within_km / (111.32 * math.cos(math.radians(max(abs(min(lats)), abs(max(lats)))))) + 0.001
        rows = (
            await self.session.execute(
                select(Place.id, Place.longitude, Place.latitude).where(
                    Place.kind == PlaceKind.SHOWROOM,
                    Place.is_published.is_(True),
                    Place.latitude.between(min(lats) - pad_lat, max(lats) + pad_lat),
                    Place.longitude.between(min(lons) - pad_lon, max(lons) + pad_lon),
                )
            )
        ).all()
        found = geometry.corridor(line, [(r[0], r[1], r[2]) for r in rows], within_km)
        if not found:
            return []
        places = {
            p.id: p
            for p in (
                await self.session.scalars(select(Place).where(Place.id.in_([a.place_id for a in found])))
            ).all()
        }
        return [AlongView(places[a.place_id], a.off_km, a.at_km) for a in found]

    def gpx(self, view: RouteView) -> str:
        return geometry.export_gpx(
            view.name,
            view.route.description,
            view.route.track,
            [(s.name, s.place.longitude, s.place.latitude) for s in view.stops],
        )
