"""The floor plan of a fair: halls, booth types and booths, and the plan as the pages draw it.

`FloorPlanService` is the only writer of halls, booth types and booths. Every change is made by one of the
fair's organizers (`FairAccess.for_managing`: another organization's fair is reported missing), checks all
its input before the first write (a refused request writes nothing, even when the controller answers 422
and the request's transaction commits), keeps the plan's geometry valid (`plan_rules`), and is audited.

Every booth is a stock location: creating a booth creates its `Location` (kind booth, named
"<fair name> — <code>", owned by the fair's organization, at the fair's address); renaming or renumbering a
booth renames its location; deleting a booth deletes its location, and is refused while the booth is held
or assigned, holds stock, or has a stock or sales history.

`FloorPlanService.view(fair_id)` returns the plan as a `PlanView`: frozen dataclasses, no ORM objects, the
same for the organizer's editor, the public fair page and the assignment page (all draw it with
templates/fairs/_plan_svg.html.jinja) and for the JSON API.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.accounts.rules import CurrentUser
from app.catalog.models import Producer
from app.errors import Conflict, NotFound, ValidationFailed
from app.fairs import plan_rules
from app.fairs.access import FairAccess
from app.fairs.models import (
    Application,
    Assignment,
    AssignmentStatus,
    Booth,
    BoothType,
    Fair,
    FairStatus,
    Hall,
)
from app.fairs.plan_rules import FEATURES, Problem, ProblemKind
from app.i18n import gettext as _
from app.inventory.models import Location, LocationKind, StockLevel, StockMovement, Transfer
from app.money import MoneyError, parse_vnd

MAX_GRID = 500
"""A hall has at most this many columns and rows (cells of about a metre)."""
MAX_ROW = 100
"""A row adds at most this many booths at once."""
MAX_GAP = 50
MAX_NUMBER = 9999
MAX_SIZE_M2 = 10_000.0
IN_FORCE = (AssignmentStatus.HELD, AssignmentStatus.CONFIRMED)
"""An assignment still in force: the booth is taken (a released one is history)."""


class BoothState(enum.StrEnum):
    """How a booth is drawn: its colour on the plan and its word in the legend."""

    FREE = "free"  # can be assigned
    HELD = "held"  # assigned, waiting for the booth fee
    ASSIGNED = "assigned"  # assigned and paid (the assignment is confirmed)
    BLOCKED = "blocked"  # kept out of the assignment by the organizers (a pillar, the organizers' desk…)


STATES: tuple[BoothState, ...] = (BoothState.FREE, BoothState.HELD, BoothState.ASSIGNED, BoothState.BLOCKED)
"""The legend's order."""


# =====================================================================================================
# The plan as the pages see it
# =====================================================================================================


@dataclass(frozen=True)
class HallInfo:
    """A hall's grid: `columns × rows` cells, the entrance at cell (entrance_x, entrance_y)."""

    id: int
    name: str
    columns: int
    rows: int
    entrance_x: int
    entrance_y: int

    @property
    def entrance_mark(self) -> str:
        """An SVG path: a triangle inside the entrance cell."""
        x, y = self.entrance_x, self.entrance_y
        return f"M{x + 0.5:g} {y + 0.15:g}L{x + 0.85:g} {y + 0.8:g}H{x + 0.15:g}Z"


@dataclass(frozen=True)
class BoothTypeInfo:
    id: int
    name: str
    size_m2: float
    price_vnd: int
    features: tuple[str, ...]  # keys of plan_rules.FEATURES
    on_offer: bool  # offered in the call for exhibitors


@dataclass(frozen=True)
class BoothView:
    """One booth as drawn: where it is, what it is, and its state.

    `label` is the producer's name when the booth is held or assigned, else "". `producer_id`,
    `assignment_id` and `location_id` are internal: the JSON API leaves them out."""

    id: int
    code: str
    hall_id: int
    booth_type_id: int
    type_name: str
    size_m2: float
    price_vnd: int
    features: tuple[str, ...]
    zone: str
    x: int
    y: int
    width: int
    height: int
    blocked: bool
    state: BoothState
    label: str
    producer_id: int | None
    assignment_id: int | None
    location_id: int

    # --- drawing helpers (SVG user units are grid cells) ---

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def cross_path(self) -> str:
        """An SVG path: the two diagonals, drawn over a blocked booth (readable without colour)."""
        x, y, r, b = self.x + 0.15, self.y + 0.15, self.right - 0.15, self.bottom - 0.15
        return f"M{x:g} {y:g}L{r:g} {b:g}M{r:g} {y:g}L{x:g} {b:g}"

    @property
    def centre_x(self) -> float:
        return self.x + self.width / 2

    @property
    def code_size(self) -> float:
        """The code's font size, so that it fits the booth's width (a character is about 0.6 em)."""
        return round(min(0.55, 0.9 * self.width / (0.6 * max(len(self.code), 1)), 0.45 * self.height), 3)

    @property
    def code_y(self) -> float:
        """The code's baseline: centred, or a little higher when a label goes under it."""
        middle = self.y + self.height / 2
        return round(middle - 0.05 if self.label else middle + self.code_size * 0.35, 3)

    @property
    def label_size(self) -> float:
        return round(min(0.36, 0.3 * self.height), 3)

    @property
    def label_y(self) -> float:
        return round(self.y + self.height / 2 + self.label_size * 1.1, 3)

    @property
    def short_label(self) -> str:
        """The label cut to what fits the booth's width, with "…" when cut."""
        fits = max(int(0.92 * self.width / (0.55 * self.label_size)), 1)
        return self.label if len(self.label) <= fits else self.label[: max(fits - 1, 1)].rstrip() + "…"

    @property
    def handle_size(self) -> float:
        """The side of the editor's resize handle, in the bottom-right corner."""
        return round(min(0.6, 0.45 * self.width, 0.45 * self.height), 3)

    @property
    def handle_x(self) -> float:
        return round(self.right - self.handle_size, 3)

    @property
    def handle_y(self) -> float:
        return round(self.bottom - self.handle_size, 3)


@dataclass(frozen=True)
class HallPlan:
    """A hall and its booths (top to bottom, left to right)."""

    hall: HallInfo
    booths: tuple[BoothView, ...]

    @property
    def counts(self) -> dict[str, int]:
        return _counts(self.booths)

    @property
    def prefix(self) -> str:
        """The prefix most of the hall's codes use ("A" for A-01, A-02, …): the renumber form's default."""
        found = Counter(
            parts[0].rstrip("-") for b in self.booths if (parts := plan_rules.split_code(b.code)) and parts[0]
        )
        return found.most_common(1)[0][0] if found else "A"


@dataclass(frozen=True)
class PlanView:
    """A fair's whole floor plan: its halls (by name), each with its booths, and the fair's booth types.

    `plan.halls[i].hall` is a `HallInfo`, `plan.halls[i].booths` its `BoothView`s."""

    fair_id: int
    halls: tuple[HallPlan, ...]
    booth_types: tuple[BoothTypeInfo, ...]

    @property
    def booths(self) -> list[BoothView]:
        return [booth for hall in self.halls for booth in hall.booths]

    def booth(self, booth_id: int | None) -> BoothView | None:
        return next((b for b in self.booths if b.id == booth_id), None)

    def hall(self, hall_id: int | None) -> HallInfo | None:
        return next((h.hall for h in self.halls if h.hall.id == hall_id), None)

    @property
    def counts(self) -> dict[str, int]:
        """How many booths are in each state (keys: the BoothState values, all present)."""
        return _counts(self.booths)

    def next_number(self, prefix: str) -> int:
        """The first free number after the highest booth code with this prefix."""
        return plan_rules.next_number((b.code for b in self.booths), prefix)


def _counts(booths: Iterable[BoothView]) -> dict[str, int]:
    counts = {state.value: 0 for state in STATES}
    for booth in booths:
        counts[booth.state.value] += 1
    return counts


@dataclass(frozen=True)
class Editor:
    """What the editor page shows: the fair, its plan, and whether the plan may still change."""

    fair: Fair
    plan: PlanView

    @property
    def editable(self) -> bool:
        return self.fair.status != FairStatus.CLOSED


# =====================================================================================================
# Reading forms (strings from forms or JSON): (value, errors) — the service checks all before writing
# =====================================================================================================


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(raw: Mapping[str, Any], name: str, limit: int, errors: dict[str, str]) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = _("Enter text.")
        return ""
    text = " ".join(value.split())
    if len(text) > limit:
        errors[name] = _("At most %(limit)d characters.", limit=limit)
    return text


def _whole(
    raw: Mapping[str, Any],
    name: str,
    errors: dict[str, str],
    *,
    minimum: int,
    maximum: int,
    default: int | None = None,
) -> int:
    """A whole number from a form field, within [minimum, maximum]; an error beside the field otherwise."""
    value = raw.get(name)
    if _blank(value) and default is not None:
        return default
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        body = text[1:] if text[:1] == "-" else text
        if body.isascii() and body.isdigit() and len(body) <= 9:
            number = -int(body) if text[:1] == "-" else int(body)
    if number is None:
        errors[name] = _("Enter a whole number, such as 12.")
        return 0
    if number < minimum:
        errors[name] = _("At least %(min)d.", min=minimum)
    elif number > maximum:
        errors[name] = _("At most %(max)d.", max=maximum)
    return number


def _id(raw: Mapping[str, Any], name: str) -> int | None:
    value = raw.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip()[:15])
        return number if number > 0 else None
    return None


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in {"1", "on", "true", "yes"}


def _choices(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)]


_PREFIX = re.compile(r"^[^\s,;]{1,10}$")


@dataclass(frozen=True)
class Geometry:
    x: int
    y: int
    width: int
    height: int


def read_geometry(raw: Mapping[str, Any], errors: dict[str, str]) -> Geometry:
    """x, y (cells from the hall's top-left corner), width and height (cells, at least 1)."""
    x = _whole(raw, "x", errors, minimum=0, maximum=MAX_GRID)
    y = _whole(raw, "y", errors, minimum=0, maximum=MAX_GRID)
    size_errors: dict[str, str] = {}
    width = _whole(raw, "width", size_errors, minimum=1, maximum=MAX_GRID)
    height = _whole(raw, "height", size_errors, minimum=1, maximum=MAX_GRID)
    for name, message in size_errors.items():
        below = (width if name == "width" else height) < 1
        errors[name] = _("Width and height must be at least 1") if below else message
    return Geometry(x, y, width, height)


@dataclass(frozen=True)
class HallFields:
    name: str
    columns: int
    rows: int
    entrance_x: int
    entrance_y: int


def clean_hall(raw: Mapping[str, Any]) -> tuple[HallFields, dict[str, str]]:
    errors: dict[str, str] = {}
    name = _text(raw, "name", 100, errors)
    if not name and "name" not in errors:
        errors["name"] = _("Give the hall a name, such as: Nhà A.")
    columns = _whole(raw, "columns", errors, minimum=1, maximum=MAX_GRID)
    rows = _whole(raw, "rows", errors, minimum=1, maximum=MAX_GRID)
    entrance_x = _whole(raw, "entrance_x", errors, minimum=0, maximum=MAX_GRID, default=0)
    entrance_y = _whole(raw, "entrance_y", errors, minimum=0, maximum=MAX_GRID, default=0)
    if "columns" not in errors and "entrance_x" not in errors and entrance_x >= columns:
        errors["entrance_x"] = _("The entrance must be inside the hall: at most %(max)d.", max=columns - 1)
    if "rows" not in errors and "entrance_y" not in errors and entrance_y >= rows:
        errors["entrance_y"] = _("The entrance must be inside the hall: at most %(max)d.", max=rows - 1)
    return HallFields(name, columns, rows, entrance_x, entrance_y), errors


@dataclass(frozen=True)
class TypeFields:
    name: str
    size_m2: float
    price_vnd: int
    features: list[str]
    on_offer: bool


def _size_m2(value: Any, errors: dict[str, str]) -> float:
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\d{1,6}([.,]\d{1,2})?", value.strip()):
        number = float(value.strip().replace(",", "."))
    if number is None:
        errors["size_m2"] = _("Enter the size in square metres, such as 9 or 7.5.")
        return 0.0
    if number <= 0:
        errors["size_m2"] = _("The size must be more than 0 m².")
    elif number > MAX_SIZE_M2:
        errors["size_m2"] = _("At most %(max)d m².", max=int(MAX_SIZE_M2))
    return number


def clean_booth_type(raw: Mapping[str, Any]) -> tuple[TypeFields, dict[str, str]]:
    errors: dict[str, str] = {}
    name = _text(raw, "name", 100, errors)
    if not name and "name" not in errors:
        errors["name"] = _("Give the booth type a name, such as: Tiêu chuẩn 3 × 3 m.")
    size = _size_m2(raw.get("size_m2"), errors)
    price = 0
    try:
        price = parse_vnd(raw.get("price_vnd") if not _blank(raw.get("price_vnd")) else "0")
    except MoneyError:
        errors["price_vnd"] = _("Enter the price in whole đồng, such as 1.500.000 (0 for free).")
    features = _choices(raw.get("features"))
    if any(feature not in FEATURES for feature in features):
        errors["features"] = _("Choose features from the list.")
    features = [feature for feature in FEATURES if feature in features]  # known, once, in order
    return TypeFields(name, size, price, features, _flag(raw.get("on_offer"))), errors


@dataclass(frozen=True)
class RowFields:
    hall_id: int | None
    booth_type_id: int | None
    prefix: str
    start_number: int | None  # None: after the highest number used with this prefix
    count: int
    geometry: Geometry
    direction: plan_rules.Direction
    gap: int
    zone: str


def clean_row(raw: Mapping[str, Any]) -> tuple[RowFields, dict[str, str]]:
    errors: dict[str, str] = {}
    hall_id = _id(raw, "hall_id")
    if hall_id is None:
        errors["hall_id"] = _("Choose a hall.")
    booth_type_id = _id(raw, "booth_type_id")
    if booth_type_id is None:
        errors["booth_type_id"] = _("Choose a booth type.")
    prefix = str(raw.get("prefix") or "").strip().rstrip("-")
    if not _PREFIX.match(prefix):
        errors["prefix"] = _("Enter a short prefix without spaces, such as A.")
    start: int | None = None
    if not _blank(raw.get("start_number")):
        start = _whole(raw, "start_number", errors, minimum=0, maximum=MAX_NUMBER)
    count = _whole(raw, "count", errors, minimum=1, maximum=MAX_ROW)
    geometry = read_geometry(raw, errors)
    direction_raw = str(raw.get("direction") or "right")
    direction: plan_rules.Direction = "down" if direction_raw == "down" else "right"
    if direction_raw not in ("right", "down"):
        errors["direction"] = _("Choose a direction.")
    gap = _whole(raw, "gap", errors, minimum=0, maximum=MAX_GAP, default=0)
    zone = _text(raw, "zone", 40, errors)
    return RowFields(hall_id, booth_type_id, prefix, start, count, geometry, direction, gap, zone), errors


def _code(raw: Mapping[str, Any], errors: dict[str, str]) -> str:
    code = _text(raw, "code", 20, errors)
    if not code and "code" not in errors:
        errors["code"] = _("Give the booth a code, such as A-01.")
    return code


def describe(problem: Problem) -> str:
    """A broken plan rule, in plain words."""
    if problem.kind == ProblemKind.SIZE:
        return _("Width and height must be at least 1")
    if problem.kind == ProblemKind.OUTSIDE:
        return _(
            "%(code)s lies outside the hall (%(columns)d × %(rows)d)",
            code=problem.code,
            columns=problem.columns,
            rows=problem.rows,
        )
    return _("%(code)s overlaps %(other)s", code=problem.code, other=problem.other)


def _plan_refusal(problems: Sequence[Problem], errors: dict[str, str] | None = None) -> ValidationFailed:
    """The plan's problems as one refusal: the first in the message, up to three beside the geometry."""
    words = [describe(p) for p in problems]
    shown = " · ".join(words[:3]) + (" …" if len(words) > 3 else "")
    fields = dict(errors or {})
    fields["geometry"] = shown
    if problems and problems[0].kind == ProblemKind.SIZE:
        fields.setdefault("width", words[0])
    return ValidationFailed(words[0], fields=fields)


def _invalid(errors: dict[str, str]) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields=errors)


def location_name(fair: Fair, code: str) -> str:
    """A booth's stock location: "<fair name> — <code>", the fair's name cut so the code always shows."""
    room = 200 - len(code) - 3
    return f"{fair.name_vi[:room].rstrip()} — {code}"


# =====================================================================================================
# The service
# =====================================================================================================


class FloorPlanService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- loading and checking ---

    async def _fair(self, actor: CurrentUser | None, fair_id: int) -> Fair:
        """The fair, if `actor` organizes it and its plan may still change, locked for this transaction.

        The lock on the fair's row serializes changes to one plan (PostgreSQL; SQLite's write lock does it
        already): two organizers dragging booths at once cannot both pass the overlap check and overlap, nor
        take the same code."""
        fair = await FairAccess(self.session).for_managing(actor, fair_id)
        if fair.status == FairStatus.CLOSED:
            raise Conflict(_("This fair is closed: its floor plan can no longer change."))
        await self.session.execute(select(Fair.id).where(Fair.id == fair.id).with_for_update())
        return fair

    async def _hall(self, fair: Fair, hall_id: int | None) -> Hall | None:
        hall = await self.session.get(Hall, hall_id) if hall_id else None
        return hall if hall is not None and hall.fair_id == fair.id else None

    async def _get_hall(self, fair: Fair, hall_id: int) -> Hall:
        hall = await self._hall(fair, hall_id)
        if hall is None:
            raise NotFound(_("This hall does not exist."))
        return hall

    async def _type(self, fair: Fair, type_id: int | None) -> BoothType | None:
        booth_type = await self.session.get(BoothType, type_id) if type_id else None
        return booth_type if booth_type is not None and booth_type.fair_id == fair.id else None

    async def _get_type(self, fair: Fair, type_id: int) -> BoothType:
        booth_type = await self._type(fair, type_id)
        if booth_type is None:
            raise NotFound(_("This booth type does not exist."))
        return booth_type

    async def _get_booth(self, fair: Fair, booth_id: int) -> Booth:
        booth = await self.session.get(Booth, booth_id)
        if booth is None or booth.fair_id != fair.id:
            raise NotFound(_("This booth does not exist."))
        return booth

    async def _hall_booths(self, hall_id: int, *, without: int | None = None) -> list[Booth]:
        stmt = select(Booth).where(Booth.hall_id == hall_id)
        if without is not None:
            stmt = stmt.where(Booth.id != without)
        return list((await self.session.scalars(stmt.order_by(Booth.y, Booth.x, Booth.id))).all())

    async def _fair_codes(self, fair_id: int, *, without: Iterable[int] = ()) -> dict[str, str]:
        """The fair's booth codes (casefolded) → the name of the hall that has it."""
        excluded = set(without)
        rows = await self.session.execute(
            select(Booth.id, Booth.code, Hall.name)
            .join(Hall, Hall.id == Booth.hall_id)
            .where(Booth.fair_id == fair_id)
        )
        return {code.casefold(): hall for booth_id, code, hall in rows.all() if booth_id not in excluded}

    async def _location(self, booth: Booth) -> Location | None:
        return await self.session.get(Location, booth.location_id)

    # --- reading ---

    async def editor(self, actor: CurrentUser | None, fair_id: int) -> Editor:
        """The editor's data: the fair (if `actor` organizes it) and its plan."""
        fair = await FairAccess(self.session).for_managing(actor, fair_id)
        return Editor(fair, await self.view(fair.id))

    async def public_view(self, user: CurrentUser | None, fair_key: str) -> tuple[Fair, PlanView]:
        """The plan of a fair visitors may see (drafts only for their organizers)."""
        fair = await FairAccess(self.session).for_public(user, fair_key)
        return fair, await self.view(fair.id)

    async def hall_for_edit(self, actor: CurrentUser | None, fair_id: int, hall_id: int) -> tuple[Fair, Hall]:
        fair = await FairAccess(self.session).for_managing(actor, fair_id)
        return fair, await self._get_hall(fair, hall_id)

    async def type_for_edit(
        self, actor: CurrentUser | None, fair_id: int, type_id: int
    ) -> tuple[Fair, BoothType]:
        fair = await FairAccess(self.session).for_managing(actor, fair_id)
        return fair, await self._get_type(fair, type_id)

    async def view(self, fair_id: int) -> PlanView:
        """The fair's floor plan as the pages and the API show it (no permission check: the caller has
        loaded the fair through FairAccess). Halls by name; booths top to bottom, left to right; a booth's
        state is "assigned" (an assignment confirmed), "held" (an assignment held), "blocked" or "free"."""
        halls = (
            await self.session.scalars(
                select(Hall).where(Hall.fair_id == fair_id).order_by(Hall.name, Hall.id)
            )
        ).all()
        types = (
            await self.session.scalars(
                select(BoothType).where(BoothType.fair_id == fair_id).order_by(BoothType.name, BoothType.id)
            )
        ).all()
        booths = (
            await self.session.scalars(
                select(Booth).where(Booth.fair_id == fair_id).order_by(Booth.y, Booth.x, Booth.code)
            )
        ).all()
        taken = await self.session.execute(
            select(
                Assignment.booth_id, Assignment.id, Assignment.status, Assignment.producer_id, Producer.name
            )
            .join(Producer, Producer.id == Assignment.producer_id)
            .where(Assignment.fair_id == fair_id, Assignment.status.in_(IN_FORCE))
        )
        in_force = {row[0]: row for row in taken.all()}
        type_info = {
            t.id: BoothTypeInfo(
                t.id, t.name, float(t.size_m2), int(t.price_vnd), tuple(t.features or ()), bool(t.on_offer)
            )
            for t in types
        }
        by_hall: dict[int, list[BoothView]] = {hall.id: [] for hall in halls}
        for booth in booths:
            kind = type_info.get(booth.booth_type_id)
            assignment = in_force.get(booth.id)
            if assignment is not None:
                state = (
                    BoothState.ASSIGNED if assignment[2] == AssignmentStatus.CONFIRMED else BoothState.HELD
                )
            else:
                state = BoothState.BLOCKED if booth.blocked else BoothState.FREE
            by_hall.setdefault(booth.hall_id, []).append(
                BoothView(
                    id=booth.id,
                    code=booth.code,
                    hall_id=booth.hall_id,
                    booth_type_id=booth.booth_type_id,
                    type_name=kind.name if kind else "",
                    size_m2=kind.size_m2 if kind else 0.0,
                    price_vnd=kind.price_vnd if kind else 0,
                    features=kind.features if kind else (),
                    zone=booth.zone,
                    x=booth.x,
                    y=booth.y,
                    width=booth.width,
                    height=booth.height,
                    blocked=booth.blocked,
                    state=state,
                    label=str(assignment[4]) if assignment is not None else "",
                    producer_id=int(assignment[3]) if assignment is not None else None,
                    assignment_id=int(assignment[1]) if assignment is not None else None,
                    location_id=booth.location_id,
                )
            )
        return PlanView(
            fair_id=fair_id,
            halls=tuple(
                HallPlan(
                    HallInfo(h.id, h.name, h.columns, h.rows, h.entrance_x, h.entrance_y),
                    tuple(by_hall.get(h.id, ())),
                )
                for h in halls
            ),
            booth_types=tuple(type_info.values()),
        )

    # --- halls ---

    async def _hall_name_taken(self, fair: Fair, name: str, *, without: int | None = None) -> bool:
        names = await self.session.execute(select(Hall.id, Hall.name).where(Hall.fair_id == fair.id))
        return any(n.casefold() == name.casefold() and i != without for i, n in names.all())

    async def create_hall(self, actor: CurrentUser | None, fair_id: int, raw: Mapping[str, Any]) -> Hall:
        fair = await self._fair(actor, fair_id)
        fields, errors = clean_hall(raw)
        if "name" not in errors and await self._hall_name_taken(fair, fields.name):
            errors["name"] = _("There is already a hall named “%(name)s”.", name=fields.name)
        if errors:
            raise _invalid(errors)
        hall = Hall(
            fair_id=fair.id,
            name=fields.name,
            columns=fields.columns,
            rows=fields.rows,
            entrance_x=fields.entrance_x,
            entrance_y=fields.entrance_y,
        )
        self.session.add(hall)
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "fairs.hall.created",
            "hall",
            hall.id,
            fair_id=fair.id,
            name=hall.name,
            columns=hall.columns,
            rows=hall.rows,
        )
        return hall

    async def update_hall(
        self, actor: CurrentUser | None, fair_id: int, hall_id: int, raw: Mapping[str, Any]
    ) -> Hall:
        """Rename or resize a hall, or move its entrance; a smaller hall must still hold all its booths."""
        fair = await self._fair(actor, fair_id)
        hall = await self._get_hall(fair, hall_id)
        fields, errors = clean_hall(raw)
        if "name" not in errors and await self._hall_name_taken(fair, fields.name, without=hall.id):
            errors["name"] = _("There is already a hall named “%(name)s”.", name=fields.name)
        if not errors:
            grid = HallInfo(
                hall.id, fields.name, fields.columns, fields.rows, fields.entrance_x, fields.entrance_y
            )
            outside = [
                Problem(ProblemKind.OUTSIDE, b.code, columns=grid.columns, rows=grid.rows)
                for b in await self._hall_booths(hall.id)
                if not plan_rules.inside(b, grid)
            ]
            if outside:
                errors["columns"] = describe(outside[0])
                raise _plan_refusal(outside, errors)
        if errors:
            raise _invalid(errors)
        before = {"name": hall.name, "columns": hall.columns, "rows": hall.rows}
        hall.name, hall.columns, hall.rows = fields.name, fields.columns, fields.rows
        hall.entrance_x, hall.entrance_y = fields.entrance_x, fields.entrance_y
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "fairs.hall.updated",
            "hall",
            hall.id,
            fair_id=fair.id,
            before=before,
            name=hall.name,
            columns=hall.columns,
            rows=hall.rows,
            entrance=[hall.entrance_x, hall.entrance_y],
        )
        return hall

    async def delete_hall(self, actor: CurrentUser | None, fair_id: int, hall_id: int) -> str:
        """Delete a hall and its booths (and their stock locations); refused while any booth is in use."""
        fair = await self._fair(actor, fair_id)
        hall = await self._get_hall(fair, hall_id)
        booths = await self._hall_booths(hall.id)
        reasons = await self._in_use(booths)
        if reasons:
            first = next(iter(reasons.values()))
            raise Conflict(
                _("The hall “%(name)s” cannot be deleted: %(reason)s", name=hall.name, reason=first)
            )
        name = hall.name
        await self._delete_booths(booths)
        await self.session.delete(hall)
        await self.session.flush()
        await audit.record(
            self.session, actor, "fairs.hall.deleted", "hall", hall_id, fair_id=fair.id, name=name
        )
        return name

    # --- booth types ---

    async def _type_name_taken(self, fair: Fair, name: str, *, without: int | None = None) -> bool:
        names = await self.session.execute(
            select(BoothType.id, BoothType.name).where(BoothType.fair_id == fair.id)
        )
        return any(n.casefold() == name.casefold() and i != without for i, n in names.all())

    async def create_booth_type(
        self, actor: CurrentUser | None, fair_id: int, raw: Mapping[str, Any]
    ) -> BoothType:
        fair = await self._fair(actor, fair_id)
        fields, errors = clean_booth_type(raw)
        if "name" not in errors and await self._type_name_taken(fair, fields.name):
            errors["name"] = _("There is already a booth type named “%(name)s”.", name=fields.name)
        if errors:
            raise _invalid(errors)
        booth_type = BoothType(
            fair_id=fair.id,
            name=fields.name,
            size_m2=fields.size_m2,
            price_vnd=fields.price_vnd,
            features=fields.features,
            on_offer=fields.on_offer,
        )
        self.session.add(booth_type)
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "fairs.booth_type.created",
            "booth_type",
            booth_type.id,
            fair_id=fair.id,
            name=booth_type.name,
            size_m2=booth_type.size_m2,
            price_vnd=booth_type.price_vnd,
            features=list(booth_type.features),
            on_offer=booth_type.on_offer,
        )
        return booth_type

    async def update_booth_type(
        self, actor: CurrentUser | None, fair_id: int, type_id: int, raw: Mapping[str, Any]
    ) -> BoothType:
        fair = await self._fair(actor, fair_id)
        booth_type = await self._get_type(fair, type_id)
        fields, errors = clean_booth_type(raw)
        if "name" not in errors and await self._type_name_taken(fair, fields.name, without=booth_type.id):
            errors["name"] = _("There is already a booth type named “%(name)s”.", name=fields.name)
        if errors:
            raise _invalid(errors)
        before = {"name": booth_type.name, "size_m2": booth_type.size_m2, "price_vnd": booth_type.price_vnd}
        booth_type.name, booth_type.size_m2 = fields.name, fields.size_m2
        booth_type.price_vnd, booth_type.features = fields.price_vnd, fields.features
        booth_type.on_offer = fields.on_offer
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "fairs.booth_type.updated",
            "booth_type",
            booth_type.id,
            fair_id=fair.id,
            before=before,
            name=booth_type.name,
            size_m2=booth_type.size_m2,
            price_vnd=booth_type.price_vnd,
            features=list(booth_type.features),
            on_offer=booth_type.on_offer,
        )
        return booth_type

    async def delete_booth_type(self, actor: CurrentUser | None, fair_id: int, type_id: int) -> str:
        """Delete a booth type no booth and no application uses."""
        fair = await self._fair(actor, fair_id)
        booth_type = await self._get_type(fair, type_id)
        booths = int(
            await self.session.scalar(select(func.count(Booth.id)).where(Booth.booth_type_id == type_id)) or 0
        )
        if booths:
            raise Conflict(
                _(
                    "“%(name)s” cannot be deleted: %(n)d booths are of this type. Change their type first.",
                    name=booth_type.name,
                    n=booths,
                )
            )
        applied = int(
            await self.session.scalar(
                select(func.count(Application.id)).where(Application.booth_type_id == type_id)
            )
            or 0
        )
        if applied:
            raise Conflict(
                _(
                    "“%(name)s” cannot be deleted: producers applied for it. Stop offering it instead.",
                    name=booth_type.name,
                )
            )
        name = booth_type.name
        await self.session.delete(booth_type)
        await self.session.flush()
        await audit.record(
            self.session, actor, "fairs.booth_type.deleted", "booth_type", type_id, fair_id=fair.id, name=name
        )
        return name

    # --- booths ---

    async def _create_booths(
        self,
        actor: CurrentUser | None,
        fair: Fair,
        hall: Hall,
        booth_type: BoothType,
        shapes: Sequence[plan_rules.RowBooth],
        zone: str,
    ) -> list[Booth]:
        """The booths and, first, their stock locations (owned by the fair's organization, at its venue)."""
        address = ", ".join(part for part in (fair.venue_name, fair.address) if part)[:300]
        locations = [
            Location(
                name=location_name(fair, shape.code),
                kind=LocationKind.BOOTH,
                organization_id=fair.organization_id,
                address=address,
                province_code=fair.province_code,
                latitude=fair.latitude,
                longitude=fair.longitude,
                is_active=True,
            )
            for shape in shapes
        ]
        self.session.add_all(locations)
        await self.session.flush()
        booths = [
            Booth(
                fair_id=fair.id,
                hall_id=hall.id,
                booth_type_id=booth_type.id,
                code=shape.code,
                zone=zone,
                x=shape.x,
                y=shape.y,
                width=shape.width,
                height=shape.height,
                blocked=False,
                location_id=location.id,
            )
            for shape, location in zip(shapes, locations, strict=True)
        ]
        self.session.add_all(booths)
        await self.session.flush()
        for booth in booths:
            await audit.record(
                self.session,
                actor,
                "fairs.booth.created",
                "booth",
                booth.id,
                fair_id=fair.id,
                hall_id=hall.id,
                code=booth.code,
                geometry=[booth.x, booth.y, booth.width, booth.height],
                location_id=booth.location_id,
            )
        return booths

    async def add_row(self, actor: CurrentUser | None, fair_id: int, raw: Mapping[str, Any]) -> list[Booth]:
        """A row of booths (`plan_rules.add_row`), each with its stock location. Refused as a whole when a
        code is taken or a booth would lie outside the hall or overlap another."""
        fair = await self._fair(actor, fair_id)
        fields, errors = clean_row(raw)
        hall = await self._hall(fair, fields.hall_id)
        if hall is None and "hall_id" not in errors:
            errors["hall_id"] = _("Choose a hall.")
        booth_type = await self._type(fair, fields.booth_type_id)
        if booth_type is None and "booth_type_id" not in errors:
            errors["booth_type_id"] = _("Choose a booth type.")
        if errors or hall is None or booth_type is None:
            raise _invalid(errors)
        codes = await self._fair_codes(fair.id)
        start = fields.start_number
        if start is None:
            start = plan_rules.next_number(codes, fields.prefix)
        geo = fields.geometry
        shapes = plan_rules.add_row(
            fields.prefix,
            start,
            fields.count,
            geo.x,
            geo.y,
            geo.width,
            geo.height,
            direction=fields.direction,
            gap=fields.gap,
        )
        taken = [s.code for s in shapes if s.code.casefold() in codes]
        if taken:
            errors["start_number"] = _(
                "%(code)s is already used (in %(hall)s): choose another prefix or start number.",
                code=taken[0],
                hall=codes[taken[0].casefold()],
            )
            raise _invalid(errors)
        if any(len(s.code) > 20 for s in shapes):
            errors["prefix"] = _("The codes would be too long: use a shorter prefix.")
            raise _invalid(errors)
        problems = plan_rules.check_plan(shapes, hall, await self._hall_booths(hall.id))
        if problems:
            raise _plan_refusal(problems)
        return await self._create_booths(actor, fair, hall, booth_type, shapes, fields.zone)

    async def _check_place(self, hall: Hall, booth_id: int, code: str, geometry: Geometry) -> None:
        shape = plan_rules.RowBooth(code, geometry.x, geometry.y, geometry.width, geometry.height)
        problems = plan_rules.check_booth(shape, hall, await self._hall_booths(hall.id, without=booth_id))
        if problems:
            raise _plan_refusal(problems)

    async def move_booth(
        self, actor: CurrentUser | None, fair_id: int, booth_id: int, raw: Mapping[str, Any]
    ) -> Booth:
        """Move and resize one booth (x, y, width, height in cells), as the editor's drag does."""
        fair = await self._fair(actor, fair_id)
        booth = await self._get_booth(fair, booth_id)
        errors: dict[str, str] = {}
        geometry = read_geometry(raw, errors)
        if errors:
            message = errors.get("width") or errors.get("height") or next(iter(errors.values()))
            raise ValidationFailed(message, fields=errors)
        hall = await self._get_hall(fair, booth.hall_id)
        await self._check_place(hall, booth.id, booth.code, geometry)
        before = [booth.x, booth.y, booth.width, booth.height]
        booth.x, booth.y, booth.width, booth.height = geometry.x, geometry.y, geometry.width, geometry.height
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "fairs.booth.moved",
            "booth",
            booth.id,
            fair_id=fair.id,
            code=booth.code,
            before=before,
            after=[booth.x, booth.y, booth.width, booth.height],
        )
        return booth

    async def update_booth(
        self, actor: CurrentUser | None, fair_id: int, booth_id: int, raw: Mapping[str, Any]
    ) -> Booth:
        """Change a booth's code, type, hall, zone and rectangle (the edit form)."""
        fair = await self._fair(actor, fair_id)
        booth = await self._get_booth(fair, booth_id)
        errors: dict[str, str] = {}
        code = _code(raw, errors)
        zone = _text(raw, "zone", 40, errors)
        geometry = read_geometry(raw, errors)
        hall = await self._hall(fair, _id(raw, "hall_id") or booth.hall_id)
        if hall is None:
            errors["hall_id"] = _("Choose a hall.")
        booth_type = await self._type(fair, _id(raw, "booth_type_id"))
        if booth_type is None:
            errors["booth_type_id"] = _("Choose a booth type.")
        if "code" not in errors:
            codes = await self._fair_codes(fair.id, without=[booth.id])
            if code.casefold() in codes:
                errors["code"] = _(
                    "%(code)s is already used (in %(hall)s).", code=code, hall=codes[code.casefold()]
                )
        if errors or hall is None or booth_type is None:
            raise _invalid(errors)
        await self._check_place(hall, booth.id, code, geometry)
        before = {
            "code": booth.code,
            "hall_id": booth.hall_id,
            "booth_type_id": booth.booth_type_id,
            "zone": booth.zone,
            "geometry": [booth.x, booth.y, booth.width, booth.height],
        }
        booth.code, booth.zone = code, zone
        booth.hall_id, booth.booth_type_id = hall.id, booth_type.id
        booth.x, booth.y, booth.width, booth.height = geometry.x, geometry.y, geometry.width, geometry.height
        location = await self._location(booth)
        if location is not None:
            location.name = location_name(fair, booth.code)
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "fairs.booth.updated",
            "booth",
            booth.id,
            fair_id=fair.id,
            before=before,
            code=booth.code,
            hall_id=booth.hall_id,
            booth_type_id=booth.booth_type_id,
            zone=booth.zone,
            geometry=[booth.x, booth.y, booth.width, booth.height],
        )
        return booth

    async def renumber_hall(
        self, actor: CurrentUser | None, fair_id: int, hall_id: int, raw: Mapping[str, Any]
    ) -> list[Booth]:
        """New codes prefix-start, prefix-start+1, … for the hall's booths in reading order (top to bottom,
        left to right); their stock locations are renamed. Refused when a new code is used in another
        hall."""
        fair = await self._fair(actor, fair_id)
        hall = await self._get_hall(fair, hall_id)
        errors: dict[str, str] = {}
        prefix = str(raw.get("prefix") or "").strip().rstrip("-")
        if not _PREFIX.match(prefix):
            errors["prefix"] = _("Enter a short prefix without spaces, such as A.")
        start = _whole(raw, "start", errors, minimum=0, maximum=MAX_NUMBER, default=1)
        if errors:
            raise _invalid(errors)
        booths = await self._hall_booths(hall.id)
        if not booths:
            raise ValidationFailed(_("This hall has no booths to renumber."))
        plan = plan_rules.renumber(booths, prefix, start)
        elsewhere = await self._fair_codes(fair.id, without=[b.id for b in booths])
        clash = next((code for _b, code in plan if code.casefold() in elsewhere), None)
        if clash is not None:
            errors["prefix"] = _(
                "%(code)s is already used (in %(hall)s): choose another prefix or start number.",
                code=clash,
                hall=elsewhere[clash.casefold()],
            )
        if any(len(code) > 20 for _b, code in plan):
            errors["prefix"] = _("The codes would be too long: use a shorter prefix.")
        if errors:
            raise _invalid(errors)
        changes = {b.id: (b.code, code) for b, code in plan if b.code != code}
        # Two steps, so that swapping codes never meets the unique (fair, code) constraint half-way.
        for booth, _code_new in plan:
            if booth.id in changes:
                booth.code = f"~{booth.id}"[:20]
        await self.session.flush()
        for booth, code in plan:
            if booth.id in changes:
                booth.code = code
                location = await self._location(booth)
                if location is not None:
                    location.name = location_name(fair, code)
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "fairs.hall.renumbered",
            "hall",
            hall.id,
            fair_id=fair.id,
            prefix=prefix,
            start=start,
            changes={str(booth_id): list(pair) for booth_id, pair in changes.items()},
        )
        return [booth for booth, _code_new in plan]

    async def set_blocked(
        self, actor: CurrentUser | None, fair_id: int, booth_id: int, blocked: bool
    ) -> Booth:
        """Block a booth (no one may be assigned to it) or free it again. A booth held or assigned cannot be
        blocked: release its assignment first."""
        fair = await self._fair(actor, fair_id)
        booth = await self._get_booth(fair, booth_id)
        if blocked and not booth.blocked:
            holder = await self._holders([booth.id])
            if booth.id in holder:
                raise Conflict(
                    _(
                        "%(code)s is assigned to %(producer)s: release the assignment before blocking it.",
                        code=booth.code,
                        producer=holder[booth.id],
                    )
                )
        if booth.blocked == blocked:
            return booth
        booth.blocked = blocked
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "fairs.booth.blocked" if blocked else "fairs.booth.unblocked",
            "booth",
            booth.id,
            fair_id=fair.id,
            code=booth.code,
        )
        return booth

    async def delete_booth(self, actor: CurrentUser | None, fair_id: int, booth_id: int) -> str:
        """Delete a booth and its stock location; refused while it is held or assigned, holds stock, or has a
        stock or sales history (block it instead). Returns its code."""
        fair = await self._fair(actor, fair_id)
        booth = await self._get_booth(fair, booth_id)
        reasons = await self._in_use([booth])
        if booth.id in reasons:
            raise Conflict(reasons[booth.id])
        code = booth.code
        await self._delete_booths([booth])
        await audit.record(
            self.session, actor, "fairs.booth.deleted", "booth", booth_id, fair_id=fair.id, code=code
        )
        return code

    async def sync_locations(self, fair: Fair) -> None:
        """Rename the booths' stock locations after the fair itself was renamed or moved (for the fair's
        own service to call)."""
        rows = await self.session.execute(
            select(Booth.code, Location)
            .join(Location, Location.id == Booth.location_id)
            .where(Booth.fair_id == fair.id)
        )
        address = ", ".join(part for part in (fair.venue_name, fair.address) if part)[:300]
        for code, location in rows.all():
            location.name = location_name(fair, code)
            location.address = address
            location.province_code = fair.province_code
            location.latitude, location.longitude = fair.latitude, fair.longitude
        await self.session.flush()

    # --- what keeps a booth from being deleted ---

    async def _holders(self, booth_ids: Sequence[int]) -> dict[int, str]:
        """Booths with an assignment in force → the producer's name."""
        rows = await self.session.execute(
            select(Assignment.booth_id, Producer.name)
            .join(Producer, Producer.id == Assignment.producer_id)
            .where(Assignment.booth_id.in_(list(booth_ids) or [-1]), Assignment.status.in_(IN_FORCE))
        )
        return {int(booth_id): str(name) for booth_id, name in rows.all()}

    async def _in_use(self, booths: Sequence[Booth]) -> dict[int, str]:
        """Booth id → why it cannot be deleted, for the booths that cannot."""
        from app.payments.models import Payment
        from app.pos.models import Sale

        ids = [b.id for b in booths] or [-1]
        locations = [b.location_id for b in booths] or [-1]
        reasons: dict[int, str] = {}
        holders = await self._holders(ids)
        stocked = set(
            (
                await self.session.scalars(
                    select(StockLevel.location_id)
                    .where(StockLevel.location_id.in_(locations))
                    .group_by(StockLevel.location_id)
                    .having(func.sum(StockLevel.on_hand) > 0)
                )
            ).all()
        )
        moved = set(
            (
                await self.session.scalars(
                    select(StockMovement.location_id)
                    .where(StockMovement.location_id.in_(locations))
                    .distinct()
                )
            ).all()
        )
        sold = set(
            (
                await self.session.scalars(
                    select(Sale.location_id).where(Sale.location_id.in_(locations)).distinct()
                )
            ).all()
        )
        sent = await self.session.execute(
            select(Transfer.from_location_id, Transfer.to_location_id).where(
                or_(Transfer.from_location_id.in_(locations), Transfer.to_location_id.in_(locations))
            )
        )
        transferred = {loc for pair in sent.all() for loc in pair}
        paid = set(
            (
                await self.session.scalars(
                    select(Assignment.booth_id)
                    .join(Payment, Payment.assignment_id == Assignment.id)
                    .where(Assignment.booth_id.in_(ids))
                    .distinct()
                )
            ).all()
        )
        for booth in booths:
            if booth.id in holders:
                reasons[booth.id] = _(
                    "%(code)s is assigned to %(producer)s: release the assignment before deleting it.",
                    code=booth.code,
                    producer=holders[booth.id],
                )
            elif booth.location_id in stocked:
                reasons[booth.id] = _(
                    "%(code)s still holds stock: move the goods out before deleting it.", code=booth.code
                )
            elif booth.location_id in moved | sold | transferred or booth.id in paid:
                reasons[booth.id] = _(
                    "%(code)s has a stock, sales or payment history: block it instead of deleting it.",
                    code=booth.code,
                )
        return reasons

    async def _delete_booths(self, booths: Sequence[Booth]) -> None:
        """Delete booths (their released assignments and offers go with them) and then their locations."""
        if not booths:
            return
        locations = [b.location_id for b in booths]
        await self.session.execute(delete(Booth).where(Booth.id.in_([b.id for b in booths])))
        await self.session.execute(delete(Location).where(Location.id.in_(locations)))
        await self.session.flush()
