"""Places on the tourist's map: showrooms (OCOP points of sale, each its own stock location), craft villages,
attractions and fair venues. Their owners create, edit, publish and delete them, keep their opening hours,
exception days and photos; visitors read a published place's page.

Who may act (checked on the object, `can_manage_place`): admins; a producer's vendors for the producer's
places; an organization's organizers and vendors (showroom operators) for the organization's places.
Another owner's place is reported as missing (404). Every change is audited (`tours.place.*`).

Decisions: a place's kind is chosen when it is made and stays (a showroom owns a stock location whose
ledger must stay attributable); the slug follows the Vietnamese name while the place is a draft and stays
once it is published (links may have been shared); deleting a showroom closes its stock location for sales
(its stock and ledger are kept), and a place that is a stop on a route cannot be deleted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.accounts.models import Organization
from app.accounts.rules import CurrentUser, is_valid_email
from app.catalog import admin_units
from app.catalog import rules as catalog_rules
from app.catalog.models import Producer, Product
from app.catalog.services import MediaService
from app.cleaning import text_field, whole_number
from app.errors import Conflict, NotFound, ValidationFailed
from app.fairs import rules as fair_rules
from app.fairs.models import Fair, FairStatus
from app.fairs.services import slugify
from app.i18n import gettext as _
from app.i18n import lazy_gettext, ngettext
from app.inventory.models import Location, LocationKind, StockLevel
from app.paging import Page, paginate
from app.slugs import save_with_free_slug
from app.tours import hours
from app.tours.models import Place, PlaceHoursException, PlaceKind, PlacePhoto, RouteStop, ShowroomCategory

PLACE_LAT = (8.0, 23.5)
PLACE_LON = (102.0, 110.0)
MAX_TEXT = 5000
MAX_PHOTOS = 12
MAX_EXCEPTIONS = 120
MAX_ID = 2**63 - 1

KIND_LABELS: dict[str, Any] = {
    PlaceKind.SHOWROOM: lazy_gettext("OCOP showroom"),
    PlaceKind.CRAFT_VILLAGE: lazy_gettext("Craft village"),
    PlaceKind.ATTRACTION: lazy_gettext("Tourist attraction"),
    PlaceKind.FAIR_VENUE: lazy_gettext("Fair venue"),
}
CATEGORY_LABELS: dict[str, Any] = {
    ShowroomCategory.BUS_STATION: lazy_gettext("Bus station"),
    ShowroomCategory.AIRPORT_PORT: lazy_gettext("Airport or port"),
    ShowroomCategory.HIGHWAY_REST_STOP: lazy_gettext("Highway rest stop"),
    ShowroomCategory.MARKET_SUPERMARKET: lazy_gettext("Market or supermarket"),
    ShowroomCategory.TOURIST_AREA: lazy_gettext("Tourist area"),
    ShowroomCategory.HOTEL_RESTAURANT: lazy_gettext("Hotel or restaurant"),
    ShowroomCategory.CRAFT_VILLAGE: lazy_gettext("Craft village"),
    ShowroomCategory.FAIR_CENTRE: lazy_gettext("Fair centre"),
    ShowroomCategory.POST_OFFICE: lazy_gettext("Post office"),
}
DAY_LABELS: dict[str, Any] = {
    "mon": lazy_gettext("Monday"),
    "tue": lazy_gettext("Tuesday"),
    "wed": lazy_gettext("Wednesday"),
    "thu": lazy_gettext("Thursday"),
    "fri": lazy_gettext("Friday"),
    "sat": lazy_gettext("Saturday"),
    "sun": lazy_gettext("Sunday"),
}


def kind_label(value: str) -> str:
    return str(KIND_LABELS.get(value, value))


def category_label(value: str | None) -> str:
    return str(CATEGORY_LABELS.get(value, "")) if value else ""


def day_label(key: str) -> str:
    return str(DAY_LABELS.get(key, key))


def can_manage_place(user: CurrentUser | None, producer_id: int | None, organization_id: int | None) -> bool:
    """Admins; vendors of the owning producer; organizers and vendors (showroom operators) of the owning
    organization. An organizer does not manage the places of producers its office registered."""
    if user is None:
        return False
    if user.is_admin:
        return True
    if producer_id is not None:
        return producer_id in user.vendor_of_producers
    if organization_id is not None:
        return organization_id in user.organizer_of or organization_id in user.vendor_of_orgs
    return False


def can_own_places(user: CurrentUser) -> bool:
    return user.is_admin or bool(user.organizer_of or user.vendor_of_orgs or user.vendor_of_producers)


# --- cleaning input (pure) ---


def parse_owner(owner: Any) -> tuple[int | None, int | None]:
    """`producer:12` → (12, None); `organization:3` → (None, 3); anything else → (None, None)."""
    if not isinstance(owner, str):
        return None, None
    kind, _sep, raw_id = owner.strip().partition(":")
    owner_id = whole_number(raw_id)
    if kind == "producer":
        return owner_id, None
    if kind == "organization":
        return None, owner_id
    return None, None


_PHONE = re.compile(r"[0-9+() .\-]{6,40}")


@dataclass(frozen=True)
class PlaceFields:
    name_vi: str
    name_en: str
    description: str
    address: str
    province_code: int
    ward_code: int | None
    latitude: float
    longitude: float
    phone: str
    email: str
    website: str
    category: ShowroomCategory | None
    fair_id: int | None


def clean_coordinates(raw: Mapping[str, Any], errors: dict[str, str]) -> tuple[float | None, float | None]:
    """Latitude and longitude: numbers, both given, inside Vietnam's bounds."""
    lat, lat_ok = catalog_rules.parse_coordinate(raw.get("latitude"))
    lon, lon_ok = catalog_rules.parse_coordinate(raw.get("longitude"))
    if not lat_ok:
        errors["latitude"] = _("The latitude must be a number, such as 10.24.")
    elif lat is None:
        errors["latitude"] = _("Enter the latitude, such as 10.24.")
    elif not PLACE_LAT[0] <= lat <= PLACE_LAT[1]:
        errors["latitude"] = _("The latitude must be between 8.0 and 23.5 (inside Vietnam).")
    if not lon_ok:
        errors["longitude"] = _("The longitude must be a number, such as 106.38.")
    elif lon is None:
        errors["longitude"] = _("Enter the longitude, such as 106.38.")
    elif not PLACE_LON[0] <= lon <= PLACE_LON[1]:
        errors["longitude"] = _("The longitude must be between 102.0 and 110.0 (inside Vietnam).")
    return lat, lon


def clean_place(raw: Mapping[str, Any], kind: PlaceKind) -> tuple[PlaceFields | None, dict[str, str]]:
    """A place's own fields (its owner and kind are checked by the service)."""
    errors: dict[str, str] = {}
    name_vi = text_field(raw, "name_vi", 200, errors, required=True)
    name_en = text_field(raw, "name_en", 200, errors)
    description = text_field(raw, "description", MAX_TEXT, errors)
    address = text_field(raw, "address", 300, errors)

    province_code = whole_number(raw.get("province_code"))
    if province_code is None:
        errors["province_code"] = _("Choose a province.")
    elif admin_units.province(province_code) is None:
        errors["province_code"] = _("This province does not exist.")
    ward_raw = raw.get("ward_code")
    ward_code = None if ward_raw in (None, "") else whole_number(ward_raw)
    if ward_raw not in (None, "") and ward_code is None:
        errors["ward_code"] = _("Choose a ward or commune from the list.")
    elif ward_code is not None and province_code is not None and "province_code" not in errors:
        if not admin_units.ward_in_province(ward_code, province_code):
            errors["ward_code"] = _("This ward or commune is not in the chosen province.")

    lat, lon = clean_coordinates(raw, errors)

    phone = text_field(raw, "phone", 40, errors)
    if phone and "phone" not in errors and not _PHONE.fullmatch(phone):
        errors["phone"] = _("Enter a phone number, such as 0275 3822 123.")
    email = text_field(raw, "email", 254, errors).lower()
    if email and "email" not in errors and not is_valid_email(email):
        errors["email"] = _("Enter an email address, such as showroom@example.vn.")
    website = text_field(raw, "website", 300, errors)
    if website and "website" not in errors:
        if not re.fullmatch(r"https?://[^\s<>\"']+\.[^\s<>\"']+", website, flags=re.IGNORECASE):
            errors["website"] = _("Enter a web address starting with https://")

    category: ShowroomCategory | None = None
    if kind == PlaceKind.SHOWROOM:
        category_raw = raw.get("category") or ""
        if category_raw not in {c.value for c in ShowroomCategory}:
            errors["category"] = _("Choose where the showroom stands.")
        else:
            category = ShowroomCategory(category_raw)

    fair_id: int | None = None
    if kind == PlaceKind.FAIR_VENUE and raw.get("fair_id") not in (None, ""):
        fair_id = whole_number(raw.get("fair_id"))
        if fair_id is None:
            errors["fair_id"] = _("Choose one of your fairs.")

    if errors:
        return None, errors
    assert province_code is not None and lat is not None and lon is not None
    return (
        PlaceFields(
            name_vi=name_vi,
            name_en=name_en,
            description=description,
            address=address,
            province_code=province_code,
            ward_code=ward_code,
            latitude=lat,
            longitude=lon,
            phone=phone,
            email=email,
            website=website,
            category=category,
            fair_id=fair_id,
        ),
        {},
    )


def hours_message(problem: hours.Problem) -> str:
    day = day_label(problem.day) if problem.day in hours.DAYS else ""
    if problem.code == "time":
        return _("“%(value)s” is not a time: write it as 08:00 or 17:30.", value=problem.value)
    if problem.code == "empty":
        return _("A period must open and close at different times (%(value)s).", value=problem.value)
    if problem.code == "overlap":
        return (
            _("%(day)s: two periods overlap.", day=day)
            if day
            else _("Two periods overlap: correct them so they follow each other.")
        )
    if problem.code == "too_many":
        return _("At most %(n)d periods a day.", n=hours.MAX_INTERVALS)
    return _("The opening hours cannot be read.")


def hours_errors(problems: Sequence[hours.Problem], prefix: str = "") -> dict[str, str]:
    """Field errors keyed by day (`mon`, …) or by `prefix` for an exception day."""
    errors: dict[str, str] = {}
    for problem in problems:
        key = problem.day if problem.day in hours.DAYS and not prefix else (prefix or "hours")
        errors.setdefault(key, hours_message(problem))
    return errors


def schedule_from_rows(rows: Mapping[str, Sequence[tuple[str, str]]]) -> dict[str, list[list[str]]]:
    """The hours editor's rows (per day, (opens, closes) text pairs; blank rows skipped) as a raw schedule."""
    return {
        day: [[o.strip(), c.strip()] for o, c in rows.get(day, ()) if o.strip() or c.strip()]
        for day in hours.DAYS
    }


def directions(place: Place) -> dict[str, str]:
    """Links that open the phone's map app at the place: Google Maps directions, OpenStreetMap, `geo:`."""
    lat, lon = f"{place.latitude:.6f}", f"{place.longitude:.6f}"
    name = place.name_vi
    return {
        "google": "https://www.google.com/maps/dir/?api=1&" + urlencode({"destination": f"{lat},{lon}"}),
        "osm_directions": f"https://www.openstreetmap.org/directions?to={lat}%2C{lon}",
        "osm": f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=16/{lat}/{lon}",
        "geo": f"geo:{lat},{lon}?q={lat},{lon}(" + quote(name, safe="") + ")",
    }


def province_name(code: int | None) -> str:
    found = admin_units.province(code) if code else None
    return found.name if found else ""


def ward_name(code: int | None) -> str:
    found = admin_units.ward(code) if code else None
    return found.name if found else ""


# --- what the pages show ---


@dataclass(frozen=True)
class StockItem:
    product: Product
    on_hand: int


@dataclass
class PlaceView:
    place: Place
    owner_name: str
    province: str
    ward: str
    status: hours.Status
    today: hours.DayHours
    week: list[hours.WeekRow]
    coming_exceptions: list[PlaceHoursException]
    links: dict[str, str]
    stock: list[StockItem] = field(default_factory=list)
    fair: Fair | None = None
    can_manage: bool = False


@dataclass(frozen=True)
class PlaceFilters:
    kind: str = ""
    q: str = ""
    page: int = 1


# --- use cases ---


class PlaceService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- loading and who may act ---

    async def _get(self, place_id: int) -> Place:
        place = await self.session.get(Place, place_id) if 0 < place_id <= MAX_ID else None
        if place is None:
            raise NotFound(_("This place does not exist."))
        return place

    async def get_for_manage(self, actor: CurrentUser, place_id: int) -> Place:
        """The place, if `actor` may manage it; another owner's place is reported as missing."""
        place = await self._get(place_id)
        if not can_manage_place(actor, place.producer_id, place.organization_id):
            raise NotFound(_("This place does not exist."))
        return place

    async def by_key(self, key: str) -> Place:
        key = key.strip()[:120]
        numeric = key.isascii() and key.isdigit() and 0 < int(key) <= MAX_ID
        condition = or_(Place.slug == key, Place.id == int(key)) if numeric else Place.slug == key
        place = await self.session.scalar(select(Place).where(condition))
        if place is None:
            raise NotFound(_("This place does not exist."))
        return place

    async def for_public(self, actor: CurrentUser | None, key: str) -> Place:
        """A published place; a draft only for those who manage it."""
        place = await self.by_key(key)
        if not place.is_published and not can_manage_place(actor, place.producer_id, place.organization_id):
            raise NotFound(_("This place does not exist."))
        return place

    async def get_published(self, place_id: int) -> Place:
        place = await self._get(place_id)
        if not place.is_published:
            raise NotFound(_("This place does not exist."))
        return place

    async def owner_choices(self, actor: CurrentUser) -> list[tuple[str, str]]:
        """The owners a new place may have, as (value, label): the actor's producers and organizations."""
        producers = select(Producer.id, Producer.name).order_by(Producer.name)
        orgs = select(Organization.id, Organization.name).order_by(Organization.name)
        if not actor.is_admin:
            producers = producers.where(Producer.id.in_(sorted(actor.vendor_of_producers)))
            orgs = orgs.where(Organization.id.in_(sorted(actor.organizer_of | actor.vendor_of_orgs)))
        choices = [
            (f"organization:{i}", str(n)) for i, n in (await self.session.execute(orgs.limit(500))).all()
        ]
        choices += [
            (f"producer:{i}", str(n)) for i, n in (await self.session.execute(producers.limit(500))).all()
        ]
        return choices

    async def fair_choices(self, actor: CurrentUser) -> list[tuple[str, str]]:
        """Fairs a fair venue may be linked to: those the actor organizes."""
        stmt = select(Fair.id, Fair.name_vi).order_by(Fair.starts_at.desc()).limit(200)
        if not actor.is_admin:
            stmt = stmt.where(Fair.organization_id.in_(sorted(actor.organizer_of)))
        return [(str(i), str(n)) for i, n in (await self.session.execute(stmt)).all()]

    async def owner_name(self, place: Place) -> str:
        if place.producer_id is not None:
            producer = await self.session.get(Producer, place.producer_id)
            return producer.name if producer else ""
        org = await self.session.get(Organization, place.organization_id) if place.organization_id else None
        return org.name if org else ""

    async def list_managed(self, actor: CurrentUser, filters: PlaceFilters) -> Page[Place]:
        stmt: Select[Any] = select(Place)
        if not actor.is_admin:
            stmt = stmt.where(
                or_(
                    Place.producer_id.in_(sorted(actor.vendor_of_producers)),
                    Place.organization_id.in_(sorted(actor.organizer_of | actor.vendor_of_orgs)),
                )
            )
        if filters.kind in {k.value for k in PlaceKind}:
            stmt = stmt.where(Place.kind == PlaceKind(filters.kind))
        q = filters.q.strip()[:100]
        if q:
            folded = slugify(q) if re.search(r"\w", q) else ""
            conditions = [
                func.lower(Place.name_vi).contains(q.lower(), autoescape=True),
                func.lower(Place.name_en).contains(q.lower(), autoescape=True),
            ]
            if folded:
                conditions.append(Place.slug.contains(folded, autoescape=True))
            stmt = stmt.where(or_(*conditions))
        return await paginate(self.session, stmt.order_by(Place.name_vi, Place.id), filters.page)

    # --- slugs ---

    async def _save_with_slug(self, place: Place, name: str) -> None:
        """Give `place` a free slug from its name and write it; a race for the same slug takes the next."""
        folded = admin_units.fold(name)
        plain = re.findall(r"[a-z0-9]+", folded)
        base = slugify(name) if any(not w.isdigit() for w in plain) else slugify("dia diem " + name)
        await save_with_free_slug(
            self.session, place, base, _("Another place is being saved with the same name. Try again.")
        )

    # --- the place ---

    async def _check_fair(self, actor: CurrentUser, fair_id: int | None, errors: dict[str, str]) -> None:
        if fair_id is None:
            return
        fair = await self.session.get(Fair, fair_id)
        if fair is None or not fair_rules.can_manage_fair(actor, fair.organization_id):
            errors["fair_id"] = _("Choose one of your fairs.")

    async def _check_owner(
        self, actor: CurrentUser, producer_id: int | None, organization_id: int | None
    ) -> bool:
        if producer_id is not None:
            exists = await self.session.get(Producer, producer_id) is not None
        elif organization_id is not None:
            exists = await self.session.get(Organization, organization_id) is not None
        else:
            return False
        return exists and can_manage_place(actor, producer_id, organization_id)

    async def create(self, actor: CurrentUser, raw: Mapping[str, Any]) -> Place:
        """A new draft place. A showroom gets its stock location (kind showroom, owned like the place)."""
        errors: dict[str, str] = {}
        kind_raw = raw.get("kind") or ""
        kind = PlaceKind(kind_raw) if kind_raw in {k.value for k in PlaceKind} else None
        if kind is None:
            errors["kind"] = _("Choose the kind of place.")
        fields, field_errors = clean_place(raw, kind or PlaceKind.ATTRACTION)
        errors.update(field_errors)
        producer_id, organization_id = parse_owner(raw.get("owner"))
        if producer_id is None and organization_id is None:
            choices = await self.owner_choices(actor)
            if len(choices) == 1:
                producer_id, organization_id = parse_owner(choices[0][0])
        if not await self._check_owner(actor, producer_id, organization_id):
            errors["owner"] = _("Choose one of your producers or organizations.")
        if fields is not None:
            await self._check_fair(actor, fields.fair_id, errors)
        if errors or fields is None or kind is None:
            raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
        place = Place(
            kind=kind,
            producer_id=producer_id,
            organization_id=organization_id,
            opening_hours={day: [] for day in hours.DAYS},
            is_published=False,
            created_by=actor.id,
            exceptions=[],
            photos=[],
            **_values(fields),
        )
        if kind == PlaceKind.SHOWROOM:
            location = Location(
                kind=LocationKind.SHOWROOM,
                producer_id=producer_id,
                organization_id=organization_id,
                is_active=True,
                **_location_values(fields),
            )
            self.session.add(location)
            await self.session.flush()
            place.location_id = location.id
        await self._save_with_slug(place, fields.name_vi)
        await audit.record(
            self.session,
            actor,
            "tours.place.created",
            "place",
            place.id,
            kind=kind.value,
            slug=place.slug,
            location_id=place.location_id,
        )
        return place

    async def update(self, actor: CurrentUser, place_id: int, raw: Mapping[str, Any]) -> Place:
        place = await self.get_for_manage(actor, place_id)
        fields, errors = clean_place(raw, place.kind)
        if fields is not None and fields.fair_id != place.fair_id:
            await self._check_fair(actor, fields.fair_id, errors)
        if errors or fields is None:
            raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
        values = _values(fields)
        changed = sorted(name for name, value in values.items() if getattr(place, name) != value)
        for name, value in values.items():
            setattr(place, name, value)
        if place.location_id is not None:
            location = await self.session.get(Location, place.location_id)
            if location is not None:
                for name, value in _location_values(fields).items():
                    setattr(location, name, value)
        await self.session.flush()
        if not place.is_published and "name_vi" in changed:
            await self._save_with_slug(place, fields.name_vi)
        if changed:
            await audit.record(
                self.session,
                actor,
                "tours.place.updated",
                "place",
                place.id,
                changed=changed,
                slug=place.slug,
            )
        return place

    async def set_published(self, actor: CurrentUser, place_id: int, published: bool) -> Place:
        place = await self.get_for_manage(actor, place_id)
        if place.is_published != published:
            place.is_published = published
            await self.session.flush()
            action = "tours.place.published" if published else "tours.place.unpublished"
            await audit.record(self.session, actor, action, "place", place.id, slug=place.slug)
        return place

    async def delete(self, actor: CurrentUser, place_id: int) -> Place:
        place = await self.get_for_manage(actor, place_id)
        stops = int(
            await self.session.scalar(select(func.count(RouteStop.id)).where(RouteStop.place_id == place.id))
            or 0
        )
        if stops:
            raise Conflict(
                ngettext(
                    "This place is a stop on %(num)d route: take it off the route first.",
                    "This place is a stop on %(num)d routes: take it off those routes first.",
                    stops,
                )
            )
        location_id = place.location_id
        if location_id is not None:
            location = await self.session.get(Location, location_id)
            if location is not None:
                location.is_active = False  # its stock and ledger stay; it no longer sells
        await self.session.delete(place)
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "tours.place.deleted",
            "place",
            place_id,
            slug=place.slug,
            name=place.name_vi,
            location_id=location_id,
        )
        return place

    # --- opening hours ---

    async def set_hours(self, actor: CurrentUser, place_id: int, schedule: Mapping[str, Any]) -> Place:
        place = await self.get_for_manage(actor, place_id)
        try:
            clean = hours.validate_schedule(schedule)
        except hours.HoursInvalid as err:
            raise ValidationFailed(
                _("Please correct the opening hours."), fields=hours_errors(err.problems)
            ) from err
        if clean != place.opening_hours:
            place.opening_hours = clean
            await self.session.flush()
            await audit.record(
                self.session, actor, "tours.place.hours_changed", "place", place.id, hours=clean
            )
        return place

    async def add_exception(
        self, actor: CurrentUser, place_id: int, raw: Mapping[str, Any]
    ) -> PlaceHoursException:
        """A day that differs from the week: closed (Tết) or other hours. A listed day is replaced."""
        place = await self.get_for_manage(actor, place_id)
        errors: dict[str, str] = {}
        day, ok = catalog_rules.parse_date(raw.get("day"))
        if not ok or day is None or not 2000 <= day.year <= 2100:
            errors["day"] = _("Enter a date, such as 17/02/2026.")
        closed = str(raw.get("closed") or "").strip().lower() in {"1", "on", "true", "yes"}
        note = text_field(raw, "note", 200, errors)
        periods: list[list[str]] = []
        if not closed:
            pairs = raw.get("hours") or []
            try:
                periods = hours.validate_day(pairs, "exception")
            except hours.HoursInvalid as err:
                errors.update(hours_errors(err.problems, prefix="hours"))
            if not periods and "hours" not in errors:
                errors["hours"] = _("Give the hours of that day, or tick “Closed all day”.")
        existing = {item.day: item for item in place.exceptions}
        if day is not None and day not in existing and len(existing) >= MAX_EXCEPTIONS:
            errors["day"] = _("At most %(n)d exception days: remove past ones first.", n=MAX_EXCEPTIONS)
        if errors or day is None:
            raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
        item = existing.get(day)
        if item is None:
            item = PlaceHoursException(place_id=place.id, day=day)
            place.exceptions.append(item)
        item.closed, item.hours, item.note = closed, periods, note
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "tours.place.exception_set",
            "place",
            place.id,
            day=day.isoformat(),
            closed=closed,
            hours=periods,
        )
        return item

    async def remove_exception(
        self, actor: CurrentUser, place_id: int, exception_id: int
    ) -> PlaceHoursException:
        place = await self.get_for_manage(actor, place_id)
        item = next((e for e in place.exceptions if e.id == exception_id), None)
        if item is None:
            raise NotFound(_("This day is not in the list."))
        place.exceptions.remove(item)
        await self.session.flush()
        await audit.record(
            self.session, actor, "tours.place.exception_removed", "place", place.id, day=item.day.isoformat()
        )
        return item

    # --- photos ---

    async def add_photo(self, actor: CurrentUser, place_id: int, raw: bytes, caption: str = "") -> PlacePhoto:
        place = await self.get_for_manage(actor, place_id)
        caption = (caption or "").strip()
        if len(caption) > 200:
            raise ValidationFailed(
                _("At most %(limit)d characters.", limit=200),
                fields={"caption": _("At most %(limit)d characters.", limit=200)},
            )
        if len(place.photos) >= MAX_PHOTOS:
            message = _("At most %(n)d photos: remove one first.", n=MAX_PHOTOS)
            raise ValidationFailed(message, fields={"photo": message})
        media = await MediaService(self.session).save_image(raw)
        position = max((p.position for p in place.photos), default=-1) + 1
        photo = PlacePhoto(place_id=place.id, media_id=media.id, position=position, caption=caption)
        place.photos.append(photo)
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "tours.place.photo_added",
            "place",
            place.id,
            photo_id=photo.id,
            media_id=media.id,
        )
        return photo

    def _photo(self, place: Place, photo_id: int) -> PlacePhoto:
        photo = next((p for p in place.photos if p.id == photo_id), None)
        if photo is None:
            raise NotFound(_("This photo does not exist."))
        return photo

    async def remove_photo(self, actor: CurrentUser, place_id: int, photo_id: int) -> PlacePhoto:
        place = await self.get_for_manage(actor, place_id)
        photo = self._photo(place, photo_id)
        place.photos.remove(photo)
        for index, item in enumerate(sorted(place.photos, key=lambda p: (p.position, p.id))):
            item.position = index
        await self.session.flush()
        await audit.record(
            self.session, actor, "tours.place.photo_removed", "place", place.id, photo_id=photo_id
        )
        return photo

    async def move_photo(self, actor: CurrentUser, place_id: int, photo_id: int, direction: str) -> Place:
        """Move a photo one step `up` (earlier) or `down`; the first photo is the place's cover."""
        place = await self.get_for_manage(actor, place_id)
        photo = self._photo(place, photo_id)
        if direction not in ("up", "down"):
            raise ValidationFailed(
                _("Move a photo up or down."), fields={"direction": _("Move a photo up or down.")}
            )
        ordered = sorted(place.photos, key=lambda p: (p.position, p.id))
        index = ordered.index(photo)
        target = index - 1 if direction == "up" else index + 1
        if 0 <= target < len(ordered):
            ordered[index], ordered[target] = ordered[target], ordered[index]
            for position, item in enumerate(ordered):
                item.position = position
            await self.session.flush()
            await audit.record(
                self.session,
                actor,
                "tours.place.photos_reordered",
                "place",
                place.id,
                order=[p.id for p in ordered],
            )
        place.photos.sort(key=lambda p: (p.position, p.id))
        return place

    # --- what visitors see ---

    async def stock(self, place: Place) -> list[StockItem]:
        """A showroom's products in stock now (on hand > 0, on sale), best stars first."""
        if place.location_id is None:
            return []
        stmt = (
            select(Product, StockLevel.on_hand)
            .join(StockLevel, StockLevel.product_id == Product.id)
            .join(Location, Location.id == StockLevel.location_id)
            .where(
                StockLevel.location_id == place.location_id,
                StockLevel.on_hand > 0,
                Product.is_active.is_(True),
                Location.is_active.is_(True),
            )
            .order_by(func.coalesce(Product.stars, 0).desc(), Product.name_vi, Product.id)
            .limit(300)
        )
        return [
            StockItem(product, int(on_hand)) for product, on_hand in (await self.session.execute(stmt)).all()
        ]

    async def view(self, actor: CurrentUser | None, place: Place, now: dt.datetime) -> PlaceView:
        local_now = hours.local(now)
        exceptions = list(place.exceptions)
        fair = await self.session.get(Fair, place.fair_id) if place.fair_id else None
        if fair is not None and not (
            fair.status != FairStatus.DRAFT or fair_rules.can_manage_fair(actor, fair.organization_id)
        ):
            fair = None
        return PlaceView(
            place=place,
            owner_name=await self.owner_name(place),
            province=province_name(place.province_code),
            ward=ward_name(place.ward_code),
            status=hours.next_change(place.opening_hours or {}, exceptions, now),
            today=hours.today_hours(place.opening_hours or {}, exceptions, local_now.date()),
            week=hours.week(place.opening_hours or {}),
            coming_exceptions=[
                e for e in exceptions if local_now.date() <= e.day <= local_now.date() + dt.timedelta(days=90)
            ],
            links=directions(place),
            stock=await self.stock(place) if place.kind == PlaceKind.SHOWROOM else [],
            fair=fair,
            can_manage=can_manage_place(actor, place.producer_id, place.organization_id),
        )

    async def public_view(self, actor: CurrentUser | None, key: str, now: dt.datetime) -> PlaceView:
        return await self.view(actor, await self.for_public(actor, key), now)


def _values(fields: PlaceFields) -> dict[str, Any]:
    return {
        "name_vi": fields.name_vi,
        "name_en": fields.name_en,
        "description": fields.description,
        "address": fields.address,
        "province_code": fields.province_code,
        "ward_code": fields.ward_code,
        "latitude": fields.latitude,
        "longitude": fields.longitude,
        "phone": fields.phone,
        "email": fields.email,
        "website": fields.website,
        "category": fields.category,
        "fair_id": fields.fair_id,
    }


def _location_values(fields: PlaceFields) -> dict[str, Any]:
    """A showroom's stock location carries the place's name, address and coordinates."""
    return {
        "name": fields.name_vi,
        "address": fields.address,
        "province_code": fields.province_code,
        "latitude": fields.latitude,
        "longitude": fields.longitude,
    }
