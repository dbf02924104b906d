"""Fairs and their programme: create and edit a fair, move it along its status machine, keep the call's
settings, plan its sessions; the public list, a fair's public page (programme by day, exhibitors, floor plan)
and its iCalendar file.

The first half of this module is pure (no database): cleaning form input into typed fields, slugs, local
times in the fair's time zone, month ranges. `FairService` does the use cases: it asks `FairAccess` who may
act on a fair, writes, and records an audit entry for every change (`fairs.fair.created`, …).
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.accounts.models import Organization
from app.accounts.rules import CurrentUser
from app.catalog import admin_units
from app.catalog import rules as catalog_rules
from app.catalog.models import OcopGroup, Producer, Product
from app.catalog.services import GroupService, today_vn
from app.cleaning import text_field, whole_number
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.fairs import ical, rules
from app.fairs.access import FairAccess
from app.fairs.models import (
    ApplicationProduct,
    Assignment,
    AssignmentStatus,
    Booth,
    Fair,
    FairSession,
    FairStatus,
    SessionKind,
)
from app.fairs.rules import as_utc
from app.i18n import gettext as _
from app.i18n import lazy_gettext, localized, ngettext
from app.paging import Page, paginate
from app.slugs import save_with_free_slug

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
# The fair's venue must be on Vietnam's mainland or its near islands (Phú Quốc, Côn Đảo).
FAIR_LAT = (8.0, 23.5)
FAIR_LON = (102.0, 110.0)
MAX_TEXT = 5000
MAX_BOOTHS_PER_PRODUCER = 20
MAX_HOLD_DAYS = 60
SLUG_MAX = 100
UPCOMING_STATUSES = (FairStatus.OPEN, FairStatus.PUBLISHED, FairStatus.RUNNING)
PAST_STATUSES = (FairStatus.OPEN, FairStatus.PUBLISHED, FairStatus.RUNNING, FairStatus.CLOSED)
STATUS_ORDER = (
    FairStatus.DRAFT,
    FairStatus.OPEN,
    FairStatus.PUBLISHED,
    FairStatus.RUNNING,
    FairStatus.CLOSED,
)
LISTED_ASSIGNMENTS = (AssignmentStatus.HELD, AssignmentStatus.CONFIRMED)
MAP_LIMIT = 2000  # fairs on the map at once; past it the map loads the visible area only

STATUS_LABELS: dict[str, Any] = {
    FairStatus.DRAFT: lazy_gettext("Draft"),
    FairStatus.OPEN: lazy_gettext("Open for applications"),
    FairStatus.PUBLISHED: lazy_gettext("Published"),
    FairStatus.RUNNING: lazy_gettext("Running"),
    FairStatus.CLOSED: lazy_gettext("Closed"),
}
KIND_LABELS: dict[str, Any] = {
    SessionKind.OPENING: lazy_gettext("Opening ceremony"),
    SessionKind.TASTING: lazy_gettext("Tasting"),
    SessionKind.LIVESTREAM: lazy_gettext("Livestream selling"),
    SessionKind.MATCHMAKING: lazy_gettext("Matchmaking with distributors"),
    SessionKind.TALK: lazy_gettext("Talk"),
    SessionKind.OTHER: lazy_gettext("Other"),
}


def status_label(value: str) -> str:
    return str(STATUS_LABELS.get(value, value))


def kind_label(value: str) -> str:
    return str(KIND_LABELS.get(value, KIND_LABELS[SessionKind.OTHER]))


# --- pure helpers: slugs, time zones, input cleaning ---


def slugify(name: str) -> str:
    """`Hội chợ OCOP Đồng Tháp 2026` → `hoi-cho-ocop-dong-thap-2026`: folded, lower case, hyphens.

    Never empty and never all digits (a key of digits is read as an id)."""
    words = re.findall(r"[a-z0-9]+", admin_units.fold(name))
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > SLUG_MAX:
            break
        slug = candidate
    if not slug:
        slug = (words[0][:SLUG_MAX] if words else "") or "hoi-cho"
    if slug.replace("-", "").isdigit():
        slug = f"hoi-cho-{slug}"[:SLUG_MAX]
    return slug


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local(value: dt.datetime, timezone: str | None) -> dt.datetime:
    """A stored (UTC) time as wall-clock time in the fair's time zone."""
    return as_utc(value).astimezone(zone(timezone))


def local_input(value: dt.datetime | None, timezone: str | None) -> str:
    """What a datetime-local input shows: `2026-11-22T08:00` in the fair's time zone."""
    return "" if value is None else local(value, timezone).strftime("%Y-%m-%dT%H:%M")


_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M")


def parse_local(value: Any, timezone: str | None) -> tuple[dt.datetime | None, bool]:
    """(UTC time, ok) from a local date-time in the fair's time zone; empty means None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    if not isinstance(value, str):
        return None, False
    text = value.strip()
    for fmt in _LOCAL_FORMATS:
        try:
            naive = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if not 2000 <= naive.year <= 2100:
            return None, False
        return naive.replace(tzinfo=zone(timezone)).astimezone(dt.UTC), True
    return None, False


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "on", "true", "yes"}


@dataclass(frozen=True)
class FairFields:
    name_vi: str
    name_en: str
    description: str
    venue_name: str
    address: str
    province_code: int
    ward_code: int | None
    latitude: float | None
    longitude: float | None
    starts_at: dt.datetime
    ends_at: dt.datetime


def _date_time_error() -> str:
    return _("Enter a date and time, such as 22/11/2026 08:00.")


def clean_fair(
    raw: Mapping[str, Any], timezone: str = DEFAULT_TIMEZONE
) -> tuple[FairFields | None, dict[str, str]]:
    """The fair's details from a form or JSON; times are local to `timezone`."""
    errors: dict[str, str] = {}
    name_vi = text_field(raw, "name_vi", 200, errors, required=True)
    name_en = text_field(raw, "name_en", 200, errors)
    description = text_field(raw, "description", MAX_TEXT, errors)
    venue_name = text_field(raw, "venue_name", 200, errors)
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

    lat, lat_ok = catalog_rules.parse_coordinate(raw.get("latitude"))
    lon, lon_ok = catalog_rules.parse_coordinate(raw.get("longitude"))
    if not lat_ok:
        errors["latitude"] = _("The latitude must be a number, such as 10.24.")
    elif lat is not None and not FAIR_LAT[0] <= lat <= FAIR_LAT[1]:
        errors["latitude"] = _("The latitude must be between 8.0 and 23.5 (inside Vietnam).")
    if not lon_ok:
        errors["longitude"] = _("The longitude must be a number, such as 106.38.")
    elif lon is not None and not FAIR_LON[0] <= lon <= FAIR_LON[1]:
        errors["longitude"] = _("The longitude must be between 102.0 and 110.0 (inside Vietnam).")
    if "latitude" not in errors and "longitude" not in errors and (lat is None) != (lon is None):
        errors["latitude" if lat is None else "longitude"] = _(
            "Give both latitude and longitude, or neither."
        )

    starts_at, ok = parse_local(raw.get("starts_at"), timezone)
    if not ok:
        errors["starts_at"] = _date_time_error()
    elif starts_at is None:
        errors["starts_at"] = _("Enter when the fair starts.")
    ends_at, ok = parse_local(raw.get("ends_at"), timezone)
    if not ok:
        errors["ends_at"] = _date_time_error()
    elif ends_at is None:
        errors["ends_at"] = _("Enter when the fair ends.")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = _("The fair must end after it starts.")

    if errors:
        return None, errors
    assert province_code is not None and starts_at is not None and ends_at is not None
    return (
        FairFields(
            name_vi=name_vi,
            name_en=name_en,
            description=description,
            venue_name=venue_name,
            address=address,
            province_code=province_code,
            ward_code=ward_code,
            latitude=lat,
            longitude=lon,
            starts_at=starts_at,
            ends_at=ends_at,
        ),
        {},
    )


@dataclass(frozen=True)
class CallFields:
    call_deadline: dt.datetime | None
    call_text: str
    booths_per_producer: int
    self_select: bool
    hold_days: int


def clean_call(raw: Mapping[str, Any], fair: Fair) -> tuple[CallFields | None, dict[str, str]]:
    errors: dict[str, str] = {}
    deadline, ok = parse_local(raw.get("call_deadline"), fair.timezone)
    if not ok:
        errors["call_deadline"] = _date_time_error()
    elif deadline is not None and deadline >= as_utc(fair.ends_at):
        errors["call_deadline"] = _("The deadline must come before the fair ends.")
    call_text = text_field(raw, "call_text", MAX_TEXT, errors)
    booths = whole_number(raw.get("booths_per_producer"))
    if booths is None or not 1 <= booths <= MAX_BOOTHS_PER_PRODUCER:
        errors["booths_per_producer"] = _(
            "Enter a whole number from 1 to %(max)d.", max=MAX_BOOTHS_PER_PRODUCER
        )
    hold_days = whole_number(raw.get("hold_days"))
    if hold_days is None or not 1 <= hold_days <= MAX_HOLD_DAYS:
        errors["hold_days"] = _("Enter a whole number from 1 to %(max)d.", max=MAX_HOLD_DAYS)
    if errors:
        return None, errors
    assert booths is not None and hold_days is not None
    return CallFields(deadline, call_text, booths, _flag(raw.get("self_select")), hold_days), {}


@dataclass(frozen=True)
class SessionFields:
    kind: SessionKind
    title_vi: str
    title_en: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    description: str


def clean_session(raw: Mapping[str, Any], fair: Fair) -> tuple[SessionFields | None, dict[str, str]]:
    """A programme session; it must take place within the fair's dates."""
    errors: dict[str, str] = {}
    kind_raw = raw.get("kind") or ""
    if kind_raw not in {k.value for k in SessionKind}:
        errors["kind"] = _("Choose the kind of session.")
    title_vi = text_field(raw, "title_vi", 200, errors, required=True)
    title_en = text_field(raw, "title_en", 200, errors)
    place = text_field(raw, "place", 200, errors)
    description = text_field(raw, "description", MAX_TEXT, errors)
    starts_at, ok = parse_local(raw.get("starts_at"), fair.timezone)
    if not ok:
        errors["starts_at"] = _date_time_error()
    elif starts_at is None:
        errors["starts_at"] = _("Enter when the session starts.")
    ends_at, ok = parse_local(raw.get("ends_at"), fair.timezone)
    if not ok:
        errors["ends_at"] = _date_time_error()
    elif ends_at is None:
        errors["ends_at"] = _("Enter when the session ends.")
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            errors["ends_at"] = _("The session must end after it starts.")
        elif starts_at < as_utc(fair.starts_at) or ends_at > as_utc(fair.ends_at):
            errors["starts_at"] = _(
                "The session must take place during the fair: from %(start)s to %(end)s.",
                start=local(fair.starts_at, fair.timezone).strftime("%d/%m/%Y %H:%M"),
                end=local(fair.ends_at, fair.timezone).strftime("%d/%m/%Y %H:%M"),
            )
    if errors:
        return None, errors
    assert starts_at is not None and ends_at is not None
    return SessionFields(
        SessionKind(kind_raw), title_vi, title_en, starts_at, ends_at, place, description
    ), {}


def allowed_moves(status: FairStatus) -> list[tuple[FairStatus, bool]]:
    """(target, forward) for each status a fair may move to from `status`, in the order of the fair's life;
    `forward` is False for a step back (reopening the call, back to draft)."""
    here = STATUS_ORDER.index(FairStatus(status))
    return [
        (target, STATUS_ORDER.index(target) > here)
        for target in STATUS_ORDER
        if target in rules.FAIR_MOVES[FairStatus(status)]
    ]


def call_is_open(fair: Fair, now: dt.datetime) -> bool:
    """Producers may apply while the fair is open for applications and before the deadline (if any), and
    never once the fair has ended."""
    if fair.status != FairStatus.OPEN or as_utc(now) >= as_utc(fair.ends_at):
        return False
    return fair.call_deadline is None or as_utc(now) < as_utc(fair.call_deadline)


def parse_month(raw: str | None) -> tuple[int, int] | None:
    """`2026-11` → (2026, 11); anything else → None (an odd filter value is ignored)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", (raw or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


def month_range(year: int, month: int, timezone: str = DEFAULT_TIMEZONE) -> tuple[dt.datetime, dt.datetime]:
    """The month as [start, end) in UTC, its edges at midnight in `timezone`."""
    tz = zone(timezone)
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def month_choices(today: dt.date | None = None, *, past: bool, count: int = 12) -> list[tuple[str, str]]:
    """(`2026-11`, `11/2026`) for the coming months, or the months gone by when looking at past fairs."""
    today = today or local(dt.datetime.now(dt.UTC), DEFAULT_TIMEZONE).date()
    result = []
    index = today.year * 12 + today.month - 1
    for step in range(count):
        year, month0 = divmod(index - step if past else index + step, 12)
        result.append((f"{year:04d}-{month0 + 1:02d}", f"{month0 + 1:02d}/{year:04d}"))
    return result


def directions(fair: Fair) -> dict[str, str]:
    """Links that open the phone's map app at the venue: Google Maps directions and OpenStreetMap."""
    if fair.latitude is not None and fair.longitude is not None:
        point = f"{fair.latitude:.6f},{fair.longitude:.6f}"
        return {
            "google": "https://www.google.com/maps/dir/?api=1&" + urlencode({"destination": point}),
            "osm": (
                f"https://www.openstreetmap.org/?mlat={fair.latitude:.6f}&mlon={fair.longitude:.6f}"
                f"#map=17/{fair.latitude:.6f}/{fair.longitude:.6f}"
            ),
        }
    place = ", ".join(
        part for part in (fair.venue_name, fair.address, _province_name(fair.province_code)) if part
    )
    if not place:
        return {}
    return {
        "google": "https://www.google.com/maps/dir/?api=1&" + urlencode({"destination": place}),
        "osm": "https://www.openstreetmap.org/search?query=" + quote(place),
    }


def _province_name(code: int | None) -> str:
    found = admin_units.province(code) if code else None
    return found.name if found else ""


def _ward_name(code: int | None) -> str:
    found = admin_units.ward(code) if code else None
    return found.name if found else ""


def _storable_id(value: int) -> bool:
    """Ids are positive 64-bit integers: anything else names no row (and must not reach the database)."""
    return 0 < value < 2**63


def _natural_key(code: str) -> tuple[Any, ...]:
    """A-2 before A-10: digits compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", code))


# --- views handed to templates and the API ---


@dataclass(frozen=True)
class FairFilters:
    province: int | None = None
    month: tuple[int, int] | None = None
    past: bool = False
    page: int = 1


@dataclass(frozen=True)
class SessionView:
    session: FairSession
    starts: dt.datetime  # local to the fair
    ends: dt.datetime


@dataclass(frozen=True)
class ProgrammeDay:
    day: dt.date
    sessions: list[SessionView]


@dataclass(frozen=True)
class ExhibitorProduct:
    product: Product
    certificate: str  # app.catalog.rules.CertificateStatus value
    group_code: str  # the top-level OCOP group, "" when none


@dataclass(frozen=True)
class Exhibitor:
    producer: Producer
    province: str
    booths: list[str]
    products: list[ExhibitorProduct]


@dataclass(frozen=True)
class Directory:
    exhibitors: list[Exhibitor]
    groups: list[OcopGroup]  # the top-level groups the exhibitors' products belong to
    total: int  # exhibitors before the group filter


@dataclass
class FairPublicView:
    fair: Fair
    starts: dt.datetime
    ends: dt.datetime
    province: str
    ward: str
    programme: list[ProgrammeDay]
    directory: Directory
    call_open: bool
    links: dict[str, str] = field(default_factory=dict)
    plan: Any = None


# --- use cases ---


class FairService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.access = FairAccess(session)

    # --- who may organize, and where ---

    async def organizations_for(self, actor: CurrentUser) -> Sequence[Organization]:
        """The offices `actor` may create a fair for; a vendor or cashier is refused."""
        if not (actor.is_admin or actor.is_organizer):
            raise PermissionDenied(_("Only the organizers of an organization can manage fairs."))
        stmt = select(Organization).order_by(Organization.name)
        if not actor.is_admin:
            stmt = stmt.where(Organization.id.in_(actor.organizer_of))
        return (await self.session.scalars(stmt)).all()

    async def list_managed(
        self, actor: CurrentUser, *, q: str = "", status: str = "", page: int = 1
    ) -> Page[Fair]:
        if not (actor.is_admin or actor.is_organizer):
            raise PermissionDenied(_("Only the organizers of an organization can manage fairs."))
        stmt: Select[Any] = select(Fair)
        if not actor.is_admin:
            stmt = stmt.where(Fair.organization_id.in_(actor.organizer_of))
        if q:
            folded = slugify(q) if re.search(r"\w", q) else ""
            conditions = [func.lower(Fair.name_vi).contains(q.lower(), autoescape=True)]
            conditions.append(func.lower(Fair.name_en).contains(q.lower(), autoescape=True))
            if folded:
                conditions.append(Fair.slug.contains(folded, autoescape=True))
            stmt = stmt.where(or_(*conditions))
        if status in {s.value for s in FairStatus}:
            stmt = stmt.where(Fair.status == FairStatus(status))
        stmt = stmt.order_by(Fair.starts_at.desc(), Fair.id.desc())
        return await paginate(self.session, stmt, page)

    async def _managed(self, actor: CurrentUser, fair_id: int) -> Fair:
        if not _storable_id(fair_id):  # a path like /manage/fairs/99999999999999999999: nothing there
            raise NotFound(_("This fair does not exist."))
        return await self.access.for_managing(actor, fair_id)

    async def _public(self, actor: CurrentUser | None, key: str) -> Fair:
        if key.isdigit() and not _storable_id(int(key)):
            raise NotFound(_("This fair does not exist."))
        return await self.access.for_public(actor, key)

    async def get_for_manage(self, actor: CurrentUser, fair_id: int) -> Fair:
        return await self._managed(actor, fair_id)

    async def organization_of(self, fair: Fair) -> Organization | None:
        return await self.session.get(Organization, fair.organization_id)

    # --- slugs ---

    async def _save_with_slug(self, fair: Fair, base: str) -> None:
        await save_with_free_slug(
            self.session, fair, base, _("Another fair is being saved with the same name. Try again.")
        )

    # --- the fair ---

    async def create(self, actor: CurrentUser, raw: Mapping[str, Any]) -> Fair:
        organizations = await self.organizations_for(actor)
        fields, errors = clean_fair(raw, DEFAULT_TIMEZONE)
        organization_id = whole_number(raw.get("organization_id"))
        allowed = {org.id for org in organizations}
        if organization_id is None and len(organizations) == 1:
            organization_id = organizations[0].id
        if organization_id is None or organization_id not in allowed:
            errors["organization_id"] = _("Choose the organization that runs the fair.")
        if errors or fields is None:
            raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
        fair = Fair(
            organization_id=organization_id,
            status=FairStatus.DRAFT,
            timezone=DEFAULT_TIMEZONE,
            **_fair_values(fields),
        )
        await self._save_with_slug(fair, slugify(fields.name_vi))
        await audit.record(
            self.session, actor, "fairs.fair.created", "fair", fair.id, slug=fair.slug, name=fair.name_vi
        )
        return fair

    async def update(self, actor: CurrentUser, fair_id: int, raw: Mapping[str, Any]) -> Fair:
        fair = await self._managed(actor, fair_id)
        _refuse_if_closed(fair)
        fields, errors = clean_fair(raw, fair.timezone)
        if fields is not None:
            outside = await self.session.scalar(
                select(func.count(FairSession.id)).where(
                    FairSession.fair_id == fair.id,
                    or_(FairSession.starts_at < fields.starts_at, FairSession.ends_at > fields.ends_at),
                )
            )
            if outside:
                errors["starts_at"] = ngettext(
                    "%(num)d programme session falls outside these dates: move it first.",
                    "%(num)d programme sessions fall outside these dates: move them first.",
                    int(outside),
                )
            if fair.call_deadline is not None and as_utc(fair.call_deadline) >= fields.ends_at:
                errors["ends_at"] = _(
                    "The call for exhibitors closes after this end: change its deadline first."
                )
        if errors or fields is None:
            raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
        values = _fair_values(fields)
        changed = sorted(name for name, value in values.items() if not _same(getattr(fair, name), value))
        for name, value in values.items():
            setattr(fair, name, value)
        await self.session.flush()
        if fair.status == FairStatus.DRAFT and "name_vi" in changed:
            # The public address follows the name only while nobody outside can have seen it.
            await self._save_with_slug(fair, slugify(fields.name_vi))
        if set(changed) & {"name_vi", "venue_name", "address", "province_code", "latitude", "longitude"}:
            from app.fairs.floor_plan import FloorPlanService  # the plan builds on fairs, not the reverse

            await FloorPlanService(self.session).sync_locations(fair)
        if changed:
            await audit.record(
                self.session, actor, "fairs.fair.updated", "fair", fair.id, changed=changed, slug=fair.slug
            )
        return fair

    async def move(self, actor: CurrentUser, fair_id: int, wanted: str) -> Fair:
        """Move the fair along draft → open → published → running → closed; other moves are refused. The
        status it already has is no move (nothing written)."""
        fair = await self._managed(actor, fair_id)
        if wanted not in {s.value for s in FairStatus}:
            raise ValidationFailed(
                _("Choose a status from the list."), fields={"status": _("Unknown status.")}
            )
        target = FairStatus(wanted)
        current = FairStatus(fair.status)
        if current == target:  # a second click, or the calendar made the move first
            return fair
        try:
            rules.check_fair_move(current, target)
        except rules.IllegalMove as err:
            raise Conflict(
                _(
                    "A fair that is “%(current)s” cannot become “%(wanted)s”.",
                    current=status_label(current),
                    wanted=status_label(target),
                ),
                current=current.value,
                wanted=target.value,
            ) from err
        fair.status = target
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "fairs.fair.status_changed",
            "fair",
            fair.id,
            before=current.value,
            after=target.value,
        )
        return fair

    async def update_call(self, actor: CurrentUser, fair_id: int, raw: Mapping[str, Any]) -> Fair:
        fair = await self._managed(actor, fair_id)
        _refuse_if_closed(fair)
        fields, errors = clean_call(raw, fair)
        if errors or fields is None:
            raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
        before = {
            "call_deadline": fair.call_deadline,
            "call_text": fair.call_text,
            "booths_per_producer": fair.booths_per_producer,
            "self_select": fair.self_select,
            "hold_days": fair.hold_days,
        }
        fair.call_deadline = fields.call_deadline
        fair.call_text = fields.call_text
        fair.booths_per_producer = fields.booths_per_producer
        fair.self_select = fields.self_select
        fair.hold_days = fields.hold_days
        await self.session.flush()
        changed = sorted(name for name, value in before.items() if not _same(value, getattr(fair, name)))
        if changed:
            await audit.record(
                self.session,
                actor,
                "fairs.call.updated",
                "fair",
                fair.id,
                changed=changed,
                call_deadline=fair.call_deadline.isoformat() if fair.call_deadline else None,
                booths_per_producer=fair.booths_per_producer,
                self_select=fair.self_select,
                hold_days=fair.hold_days,
            )
        return fair

    # --- the programme ---

    async def sessions(self, fair: Fair) -> Sequence[FairSession]:
        stmt = (
            select(FairSession)
            .where(FairSession.fair_id == fair.id)
            .order_by(FairSession.starts_at, FairSession.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def get_session(
        self, actor: CurrentUser, fair_id: int, session_id: int
    ) -> tuple[Fair, FairSession]:
        fair = await self._managed(actor, fair_id)
        item = await self.session.get(FairSession, session_id) if _storable_id(session_id) else None
        if item is None or item.fair_id != fair.id:
            raise NotFound(_("This session is not in the fair's programme."))
        return fair, item

    async def add_session(self, actor: CurrentUser, fair_id: int, raw: Mapping[str, Any]) -> FairSession:
        fair = await self._managed(actor, fair_id)
        _refuse_if_closed(fair)
        fields, errors = clean_session(raw, fair)
        if errors or fields is None:
            raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
        item = FairSession(fair_id=fair.id, **_session_values(fields))
        self.session.add(item)
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "fairs.session.created",
            "fair",
            fair.id,
            session_id=item.id,
            title=item.title_vi,
        )
        return item

    async def update_session(
        self, actor: CurrentUser, fair_id: int, session_id: int, raw: Mapping[str, Any]
    ) -> FairSession:
        fair, item = await self.get_session(actor, fair_id, session_id)
        _refuse_if_closed(fair)
        fields, errors = clean_session(raw, fair)
        if errors or fields is None:
            raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
        values = _session_values(fields)
        changed = sorted(name for name, value in values.items() if not _same(getattr(item, name), value))
        for name, value in values.items():
            setattr(item, name, value)
        await self.session.flush()
        if changed:
            await audit.record(
                self.session,
                actor,
                "fairs.session.updated",
                "fair",
                fair.id,
                session_id=item.id,
                changed=changed,
            )
        return item

    async def delete_session(self, actor: CurrentUser, fair_id: int, session_id: int) -> FairSession:
        fair, item = await self.get_session(actor, fair_id, session_id)
        _refuse_if_closed(fair)
        await self.session.delete(item)
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "fairs.session.deleted",
            "fair",
            fair.id,
            session_id=session_id,
            title=item.title_vi,
        )
        return item

    def programme(self, fair: Fair, sessions: Sequence[FairSession]) -> list[ProgrammeDay]:
        """The sessions by day, in the fair's time zone."""
        days: dict[dt.date, list[SessionView]] = {}
        for item in sessions:
            starts, ends = local(item.starts_at, fair.timezone), local(item.ends_at, fair.timezone)
            days.setdefault(starts.date(), []).append(SessionView(item, starts, ends))
        return [ProgrammeDay(day, views) for day, views in sorted(days.items())]

    # --- the public side ---

    def _public_filtered(self, filters: FairFilters, now: dt.datetime) -> Select[Any]:
        now = as_utc(now)
        if filters.past:
            stmt = select(Fair).where(Fair.status.in_(PAST_STATUSES), Fair.ends_at <= now)
        else:
            stmt = select(Fair).where(Fair.status.in_(UPCOMING_STATUSES), Fair.ends_at > now)
        if filters.province:
            # An unknown code finds nothing (and a huge one never reaches the database's integer column).
            known = admin_units.province(filters.province) is not None
            stmt = stmt.where(Fair.province_code == filters.province) if known else stmt.where(false())
        if filters.month:
            start, end = month_range(*filters.month)
            stmt = stmt.where(Fair.starts_at < end, Fair.ends_at > start)
        return stmt

    async def list_public(self, filters: FairFilters, now: dt.datetime | None = None) -> Page[Fair]:
        """Fairs visitors can see: coming and running ones (soonest first), or past ones (latest first)."""
        stmt = self._public_filtered(filters, now or dt.datetime.now(dt.UTC))
        if filters.past:
            stmt = stmt.order_by(Fair.starts_at.desc(), Fair.id.desc())
        else:
            stmt = stmt.order_by(Fair.starts_at, Fair.id)
        return await paginate(self.session, stmt, filters.page)

    async def map_fairs(
        self,
        filters: FairFilters,
        bbox: tuple[float, float, float, float] | None = None,
        now: dt.datetime | None = None,
        limit: int = MAP_LIMIT,
    ) -> tuple[Sequence[Fair], bool]:
        """The fairs of the public list (same filters, every page) that have a place on the map, inside
        `bbox` (west, south, east, north) when given; at most `limit`, and whether more were left out."""
        stmt = self._public_filtered(filters, now or dt.datetime.now(dt.UTC)).where(
            Fair.latitude.is_not(None), Fair.longitude.is_not(None)
        )
        if bbox is not None:
            west, south, east, north = bbox
            stmt = stmt.where(Fair.longitude.between(west, east), Fair.latitude.between(south, north))
        order = (Fair.starts_at.desc(), Fair.id.desc()) if filters.past else (Fair.starts_at, Fair.id)
        found = (await self.session.scalars(stmt.order_by(*order).limit(limit + 1))).all()
        return found[:limit], len(found) > limit

    async def get_public(self, actor: CurrentUser | None, key: str) -> Fair:
        return await self._public(actor, key)

    async def directory(self, fair: Fair, group: str = "", now: dt.datetime | None = None) -> Directory:
        """Producers with a booth held (and not lapsed) or confirmed: their booths and the OCOP products of
        their application. `group` keeps those showing a product of that top-level OCOP group."""
        now = as_utc(now or dt.datetime.now(dt.UTC))
        stmt = (
            select(Assignment.producer_id, Assignment.application_id, Booth.code)
            .join(Booth, Booth.id == Assignment.booth_id)
            .where(
                Assignment.fair_id == fair.id,
                or_(
                    Assignment.status == AssignmentStatus.CONFIRMED,
                    and_(
                        Assignment.status == AssignmentStatus.HELD,
                        or_(Assignment.hold_expires_at.is_(None), Assignment.hold_expires_at > now),
                    ),
                ),
            )
        )
        booths: dict[int, list[str]] = {}
        applications: dict[int, set[int]] = {}
        for producer_id, application_id, code in (await self.session.execute(stmt)).all():
            booths.setdefault(producer_id, []).append(code)
            applications.setdefault(producer_id, set()).add(application_id)
        if not booths:
            return Directory([], [], 0)
        producers = {
            p.id: p
            for p in (await self.session.scalars(select(Producer).where(Producer.id.in_(booths)))).all()
        }
        application_ids = {a for ids in applications.values() for a in ids}
        product_rows = (
            (
                await self.session.scalars(
                    select(Product)
                    .join(ApplicationProduct, ApplicationProduct.product_id == Product.id)
                    .where(
                        ApplicationProduct.application_id.in_(application_ids), Product.is_active.is_(True)
                    )
                    .order_by(Product.stars.desc().nulls_last(), Product.name_vi, Product.id)
                )
            )
            .unique()
            .all()
        )
        groups = {g.id: g for g in await GroupService(self.session).all()}
        all_groups = dict(groups)
        for product in product_rows:
            if product.group is not None:
                all_groups.setdefault(product.group.id, product.group)

        def top(group_id: int | None) -> OcopGroup | None:
            found = all_groups.get(group_id) if group_id else None
            while found is not None and found.parent_id is not None and found.parent_id in all_groups:
                found = all_groups[found.parent_id]
            return found

        today = today_vn()
        by_producer: dict[int, list[ExhibitorProduct]] = {}
        present: dict[str, OcopGroup] = {}
        for product in product_rows:
            head = top(product.group_id)
            if head is not None:
                present[head.code] = head
            by_producer.setdefault(product.producer_id, []).append(
                ExhibitorProduct(
                    product,
                    catalog_rules.certificate_status(product.stars, product.expires_on, today).value,
                    head.code if head else "",
                )
            )
        exhibitors = [
            Exhibitor(
                producer=producers[producer_id],
                province=_province_name(producers[producer_id].province_code),
                booths=sorted(codes, key=_natural_key),
                products=by_producer.get(producer_id, []),
            )
            for producer_id, codes in booths.items()
            if producer_id in producers
        ]
        exhibitors.sort(key=lambda e: (_natural_key(e.booths[0]), e.producer.name))
        total = len(exhibitors)
        if group:
            exhibitors = [e for e in exhibitors if any(p.group_code == group for p in e.products)]
        return Directory(exhibitors, sorted(present.values(), key=lambda g: _natural_key(g.code)), total)

    async def floor_plan(self, fair: Fair) -> Any:
        """The floor plan from slice B's FloorPlanService, or None while that module is not there."""
        if importlib.util.find_spec("app.fairs.floor_plan") is None:
            return None
        module = importlib.import_module("app.fairs.floor_plan")
        service = getattr(module, "FloorPlanService", None)
        if service is None:
            return None
        return await service(self.session).view(fair.id)

    async def public_view(
        self, actor: CurrentUser | None, key: str, *, group: str = "", now: dt.datetime | None = None
    ) -> FairPublicView:
        fair = await self._public(actor, key)
        now = now or dt.datetime.now(dt.UTC)
        return FairPublicView(
            fair=fair,
            starts=local(fair.starts_at, fair.timezone),
            ends=local(fair.ends_at, fair.timezone),
            province=_province_name(fair.province_code),
            ward=_ward_name(fair.ward_code),
            programme=self.programme(fair, await self.sessions(fair)),
            directory=await self.directory(fair, group, now),
            call_open=call_is_open(fair, now),
            links=directions(fair),
            plan=await self.floor_plan(fair),
        )

    async def calendar(self, actor: CurrentUser | None, key: str, base_url: str) -> tuple[Fair, str]:
        """The fair's programme as an iCalendar text: one event for the whole fair, one per session."""
        fair = await self._public(actor, key)
        sessions = await self.sessions(fair)
        name = localized(fair, "name")
        url = f"{base_url.rstrip('/')}/fairs/{fair.slug}"
        venue = ", ".join(
            part
            for part in (
                fair.venue_name,
                fair.address,
                _ward_name(fair.ward_code),
                _province_name(fair.province_code),
            )
            if part
        )
        events = [
            ical.Event(
                uid=ical.fair_uid(fair.id),
                starts_at=fair.starts_at,
                ends_at=fair.ends_at,
                summary=name,
                stamp=fair.updated_at,
                location=venue,
                description="\n\n".join(part for part in (fair.description, url) if part),
                url=url,
            )
        ]
        for item in sessions:
            title = localized(item, "title")
            kind = kind_label(item.kind)
            events.append(
                ical.Event(
                    uid=ical.session_uid(item.id),
                    starts_at=item.starts_at,
                    ends_at=item.ends_at,
                    summary=f"{title} — {name}",
                    stamp=item.updated_at,
                    location=", ".join(part for part in (item.place, venue) if part),
                    description="\n\n".join(part for part in (kind, item.description, url) if part),
                    url=url,
                )
            )
        return fair, ical.calendar(name, events)


def _fair_values(fields: FairFields) -> dict[str, Any]:
    return {
        "name_vi": fields.name_vi,
        "name_en": fields.name_en,
        "description": fields.description,
        "venue_name": fields.venue_name,
        "address": fields.address,
        "province_code": fields.province_code,
        "ward_code": fields.ward_code,
        "latitude": fields.latitude,
        "longitude": fields.longitude,
        "starts_at": fields.starts_at,
        "ends_at": fields.ends_at,
    }


def _session_values(fields: SessionFields) -> dict[str, Any]:
    return {
        "kind": fields.kind,
        "title_vi": fields.title_vi,
        "title_en": fields.title_en,
        "starts_at": fields.starts_at,
        "ends_at": fields.ends_at,
        "place": fields.place,
        "description": fields.description,
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return as_utc(a) == as_utc(b)
    return bool(a == b)


def _refuse_if_closed(fair: Fair) -> None:
    if fair.status == FairStatus.CLOSED:
        raise Conflict(_("This fair is closed: its details and programme can no longer change."))
