"""Inventory use cases. `StockService` is the only writer of stock: every change is a ledger row and the
level's update, in the caller's transaction.

Taking stock never checks and then writes: it is one conditional `UPDATE … SET on_hand = on_hand - q
WHERE … AND on_hand >= q RETURNING on_hand` per product, in product-id order. Two registers racing for the
last jar: one update matches, the other matches no row and gets InsufficientStock with what is left.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, case, false, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.accounts.models import Organization
from app.accounts.rules import CurrentUser, can_manage_producer
from app.catalog import admin_units
from app.catalog import rules as catalog_rules
from app.catalog.models import Producer, Product
from app.db import loaded, on_postgresql, table
from app.db_direct import Direct
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.exports import safe_text
from app.i18n import gettext as _
from app.i18n import number as format_number
from app.inventory import rules
from app.inventory.models import (
    Location,
    LocationKind,
    MovementKind,
    StockCount,
    StockCountLine,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
    TransferStatus,
)
from app.inventory.rules import Removal
from app.live import note_stock_change
from app.paging import PAGE_SIZE, Page

OUTGOING = {MovementKind.SALE, MovementKind.TRANSFER_OUT, MovementKind.ADJUSTMENT, MovementKind.HOLD}
INCOMING = {
    MovementKind.RECEIPT,
    MovementKind.TRANSFER_IN,
    MovementKind.REFUND,
    MovementKind.ADJUSTMENT,
    MovementKind.RELEASE,
}


class InsufficientStock(Conflict):
    """Not enough on hand. JSON: {"error": "insufficient_stock", "detail", "product_id", "available"}."""

    code = "insufficient_stock"

    def __init__(self, product_id: int, available: int, name: str = "") -> None:
        label = name or f"#{product_id}"
        super().__init__(
            _("Not enough stock of %(name)s: only %(available)d left.", name=label, available=available),
            product_id=product_id,
            available=available,
        )


_levels, _movements = table(StockLevel), table(StockMovement)
_at = (_levels.c.product_id == bindparam("at_product")) & (_levels.c.location_id == bindparam("at_location"))
# Built once (Core, bound by name): stock changes run on every sale, so they compile once and skip the ORM.
_TAKE_IF_ENOUGH = Direct(
    update(_levels)
    .where(_at, _levels.c.on_hand >= bindparam("by"))
    .values(on_hand=_levels.c.on_hand - bindparam("by"))
    .returning(_levels.c.on_hand)
)
_ADD = Direct(
    update(_levels)
    .where(_at)
    .values(on_hand=_levels.c.on_hand + bindparam("by"))
    .returning(_levels.c.on_hand)
)
# A no-op update locks the row, so the level read cannot change under the caller.
_LOCK = Direct(update(_levels).where(_at).values(on_hand=_levels.c.on_hand).returning(_levels.c.on_hand))
_SET = Direct(update(_levels).where(_at).values(on_hand=bindparam("to")).returning(_levels.c.on_hand))
_RECORD = Direct(insert(_movements))
# PostgreSQL: the take and its ledger row in one round trip, so the row stays locked for less time while
# other registers wait for it. No row back: not enough (or no level row); `take` then goes the long way.
_taken = (
    update(_levels)
    .where(_at, _levels.c.on_hand >= bindparam("by"))
    .values(on_hand=_levels.c.on_hand - bindparam("by"), updated_at=bindparam("now"))
    .returning(_levels.c.on_hand)
    .cte("taken")
)
_TAKE_AND_RECORD = Direct(
    insert(_movements)
    .from_select(
        [
            "product_id", "location_id", "kind", "quantity", "on_hand_after", "reason", "reference",
            "actor_id", "flagged", "created_at", "updated_at",
        ],
        select(
            bindparam("at_product", type_=_movements.c.product_id.type),
            bindparam("at_location", type_=_movements.c.location_id.type),
            bindparam("kind", type_=_movements.c.kind.type),
            -bindparam("by", type_=_movements.c.quantity.type),
            _taken.c.on_hand,
            bindparam("reason", type_=_movements.c.reason.type),
            bindparam("reference", type_=_movements.c.reference.type),
            bindparam("actor_id", type_=_movements.c.actor_id.type),
            false(),
            bindparam("now", type_=_movements.c.created_at.type),
            bindparam("now", type_=_movements.c.updated_at.type),
        ).select_from(_taken),
        include_defaults=False,
    )
    .returning(_movements.c.on_hand_after)
)  # fmt: skip
_producers = table(Producer)
_PRODUCER_ORG = select(_producers.c.organization_id).where(_producers.c.id == bindparam("producer"))
_LOCATION_AND_ORG = (
    select(Location, _producers.c.organization_id)
    .outerjoin(_producers, _producers.c.id == Location.producer_id)
    .where(Location.id == bindparam("location"))
)
_locations = table(Location)
_PLACE_TO_SELL = Direct(
    select(*_locations.c, _producers.c.organization_id.label("producer_organization_id"))
    .outerjoin(_producers, _producers.c.id == _locations.c.producer_id)
    .where(_locations.c.id == bindparam("location"))
)


def _told(reason: str, reference: str, actor: CurrentUser | None) -> dict[str, Any]:
    """A ledger row's why, what for and who, cut to their columns' sizes."""
    return {"reason": reason[:300], "reference": reference[:100], "actor_id": actor.id if actor else None}


class StockService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _ensure_level(self, product_id: int, location_id: int) -> None:
        """Create the (product, location) level at zero if it does not exist, safely under concurrency."""
        insert = pg_insert if on_postgresql(self.session) else sqlite_insert
        stmt = (
            insert(StockLevel)
            .values(product_id=product_id, location_id=location_id, on_hand=0)
            .on_conflict_do_nothing(index_elements=["product_id", "location_id"])
        )
        await self.session.execute(stmt)

    async def on_hand(self, product_id: int, location_id: int) -> int:
        stmt = select(StockLevel.on_hand).where(
            StockLevel.product_id == product_id, StockLevel.location_id == location_id
        )
        return int(await self.session.scalar(stmt) or 0)

    async def _record(
        self,
        product_id: int,
        location_id: int,
        kind: MovementKind,
        quantity: int,
        on_hand_after: int,
        *,
        reason: str,
        reference: str,
        actor: CurrentUser | None,
        flagged: bool = False,
    ) -> None:
        note_stock_change(self.session, location_id, product_id, on_hand_after)
        await _RECORD.run(
            self.session,
            {
                "product_id": product_id,
                "location_id": location_id,
                "kind": kind,
                "quantity": quantity,
                "on_hand_after": on_hand_after,
                "flagged": flagged,
                **_told(reason, reference, actor),
            },
        )

    async def _level(self, stmt: Direct, product_id: int, location_id: int, **values: int) -> int | None:
        found = await stmt.run(self.session, {"at_product": product_id, "at_location": location_id, **values})
        after = found.scalar_one_or_none()
        return None if after is None else int(after)

    async def put(
        self,
        product_id: int,
        location_id: int,
        quantity: int,
        kind: MovementKind,
        *,
        reason: str = "",
        reference: str = "",
        actor: CurrentUser | None = None,
    ) -> int:
        """Add `quantity` units; returns the new level."""
        if quantity <= 0 or kind not in INCOMING:
            raise ValueError("put takes a positive quantity and an incoming kind")
        await self._ensure_level(product_id, location_id)
        after = await self._level(_ADD, product_id, location_id, by=quantity)
        assert after is not None  # the level row exists now
        await self._record(
            product_id, location_id, kind, quantity, after, reason=reason, reference=reference, actor=actor
        )
        return after

    async def take(
        self,
        product_id: int,
        location_id: int,
        quantity: int,
        kind: MovementKind,
        *,
        reason: str = "",
        reference: str = "",
        actor: CurrentUser | None = None,
        allow_shortfall: bool = False,
        name: str = "",
    ) -> Removal:
        """Remove `quantity` units, or raise InsufficientStock.

        With `allow_shortfall` (a sale made offline: the goods already left) a missing quantity is not
        refused: it is written as a flagged SHORTFALL movement that brings the record up to what was
        taken, then the removal brings it to zero. The level never goes below zero."""
        if quantity <= 0 or kind not in OUTGOING:
            raise ValueError("take takes a positive quantity and an outgoing kind")
        # The common case is one statement; a missing level row is made only when it did not match.
        # SQLite has no UPDATE inside a WITH: there the take and its ledger row are two statements.
        if on_postgresql(self.session):
            taken = await _TAKE_AND_RECORD.run(
                self.session,
                {
                    "at_product": product_id,
                    "at_location": location_id,
                    "by": quantity,
                    "kind": kind,
                    "now": _now(),
                    **_told(reason, reference, actor),
                },
            )
            after = taken.scalar_one_or_none()
            if after is not None:
                note_stock_change(self.session, location_id, product_id, after)
                return Removal(product_id, quantity, 0, after)
        else:
            after = await self._level(_TAKE_IF_ENOUGH, product_id, location_id, by=quantity)
        if after is not None:
            await self._record(
                product_id,
                location_id,
                kind,
                -quantity,
                after,
                reason=reason,
                reference=reference,
                actor=actor,
            )
            return Removal(product_id, quantity, 0, after)

        await self._ensure_level(product_id, location_id)
        available = await self._level(_LOCK, product_id, location_id)
        assert available is not None  # the level row exists now
        if available >= quantity:  # stock arrived between the two statements
            return await self.take(
                product_id,
                location_id,
                quantity,
                kind,
                reason=reason,
                reference=reference,
                actor=actor,
                allow_shortfall=allow_shortfall,
                name=name,
            )
        if not allow_shortfall:
            raise InsufficientStock(product_id, available, name)
        missing = rules.shortfall(quantity, available)
        await self._record(
            product_id,
            location_id,
            MovementKind.SHORTFALL,
            missing,
            available + missing,
            reason=_("Sold offline while the record showed only %(available)d.", available=available),
            reference=reference,
            actor=actor,
            flagged=True,
        )
        await self._level(_SET, product_id, location_id, to=0)
        await self._record(
            product_id, location_id, kind, -quantity, 0, reason=reason, reference=reference, actor=actor
        )
        return Removal(product_id, quantity, missing, 0)

    async def take_many(
        self,
        location_id: int,
        items: Iterable[tuple[int, int]],
        kind: MovementKind,
        *,
        reason: str = "",
        reference: str = "",
        actor: CurrentUser | None = None,
        allow_shortfall: bool = False,
        names: dict[int, str] | None = None,
    ) -> list[Removal]:
        """Take several products at once, in product-id order; all or nothing (the caller's transaction)."""
        return [
            await self.take(
                product_id,
                location_id,
                quantity,
                kind,
                reason=reason,
                reference=reference,
                actor=actor,
                allow_shortfall=allow_shortfall,
                name=(names or {}).get(product_id, ""),
            )
            for product_id, quantity in rules.combine(items)
        ]

    async def set_counted(
        self,
        product_id: int,
        location_id: int,
        counted: int,
        *,
        reference: str,
        actor: CurrentUser | None,
        reason: str = "",
    ) -> int:
        """Bring the level to what was counted, with an ADJUSTMENT for the difference; returns the
        difference (0 when the count matched)."""
        if counted < 0:
            raise ValidationFailed(_("A counted quantity cannot be negative."))
        await self._ensure_level(product_id, location_id)
        recorded = await self._level(_LOCK, product_id, location_id)
        assert recorded is not None  # the level row exists now
        difference = counted - recorded
        if difference == 0:
            return 0
        await self._level(_SET, product_id, location_id, to=counted)
        await self._record(
            product_id,
            location_id,
            MovementKind.ADJUSTMENT,
            difference,
            counted,
            reason=reason or _("Stock count"),
            reference=reference,
            actor=actor,
        )
        return difference

    async def levels_at(self, location_id: int, product_ids: Sequence[int] | None = None) -> dict[int, int]:
        stmt = select(StockLevel.product_id, StockLevel.on_hand).where(StockLevel.location_id == location_id)
        if product_ids is not None:
            stmt = stmt.where(StockLevel.product_id.in_(product_ids))
        return {int(p): int(q) for p, q in (await self.session.execute(stmt)).all()}


class LocationAccess:
    """Loads a location and checks who may act on it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._orgs: dict[int, int | None] = {}  # location id → its producer's organization, read with it

    async def get(self, location_id: int) -> Location:
        """The place, and (for the permission check that follows) its producer's organization, in one
        query."""
        row = (await self.session.execute(_LOCATION_AND_ORG, {"location": location_id})).one_or_none()
        if row is None:
            raise NotFound(_("This place does not exist."))
        location: Location = row[0]
        self._orgs[location_id] = row[1]
        return location

    async def producer_org(self, location: Location) -> int | None:
        """The organization that registered the place's producer (its organizers manage the place)."""
        if location.id in self._orgs:
            return self._orgs[location.id]
        if location.producer_id is None:
            return None
        found = await self.session.execute(_PRODUCER_ORG, {"producer": location.producer_id})
        return found.scalar_one_or_none()

    async def for_managing(self, user: CurrentUser, location_id: int) -> Location:
        location = await self.get(location_id)
        org = await self.producer_org(location)
        if not rules.can_manage_location(user, location.producer_id, location.organization_id, org):
            # Another owner's place is reported as missing: ids reveal nothing.
            raise NotFound(_("This place does not exist."))
        return location

    async def for_selling(self, user: CurrentUser, location_id: int) -> Location:
        """The place, if `user` may sell there and it is open. Every sale reads its place and none changes
        it, so it is read with one prepared statement into a detached copy (no ORM loading)."""
        row = (await _PLACE_TO_SELL.run(self.session, {"location": location_id})).first()
        if row is None:
            raise NotFound(_("This place does not exist."))
        values = row._asdict()
        org = self._orgs[location_id] = values.pop("producer_organization_id")
        location = loaded(Location, values)
        if not rules.can_sell_at(user, location.producer_id, location.organization_id, org):
            raise PermissionDenied(_("You may not sell at this place."))
        if not location.is_active:
            raise ValidationFailed(_("This place is closed."))
        return location


# =====================================================================================================
# Inventory pages and API: locations, stock lists, receipts, transfers, counts, alerts, ledger, export.
#
# Every entry point checks the actor on the object (LocationAccess), reads and checks all its input before
# the first write (so a refused request writes nothing, even where a controller answers 422 and the request's
# transaction commits), and changes stock only through StockService.
# =====================================================================================================

MAX_QUANTITY = 1_000_000
MAX_ROWS = 500
ALERT_LIMIT = 200
CSV_COLUMNS = ("product", "sku", "on_hand", "threshold")


def _invalid(fields: dict[str, str]) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields=fields)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _ids(values: Iterable[int]) -> list[int]:
    """Ids for an IN clause; never empty (an empty IN is refused by some engines and says nothing)."""
    return sorted(values) or [-1]


def parse_id(value: Any) -> int | None:
    """An object id from a form or JSON: a positive int, or a string of digits; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**53 else None
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 15 and int(text) > 0:
            return int(text)
    return None


def parse_quantity(value: Any, *, allow_zero: bool = False) -> tuple[int | None, str | None]:
    """A whole number of units, 1 to MAX_QUANTITY (0 too where `allow_zero`): (quantity, None) or
    (None, a message for the field). "1.5", "abc", "-1", 2.0 and True are refused."""
    if _blank(value):
        return None, _("Enter a quantity.")
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        sign, body = (text[0], text[1:]) if text[0] in "+-" else ("", text)
        if body.isascii() and body.isdigit():
            if len(body) > 12:
                return None, _("At most %(max)s units.", max=format_number(MAX_QUANTITY))
            number = -int(body) if sign == "-" else int(body)
    if number is None:
        return None, _("Enter a whole number of units, such as 12.")
    if number < 0:
        return None, _("A quantity cannot be negative.")
    if number == 0 and not allow_zero:
        return None, _("The quantity must be at least 1.")
    if number > MAX_QUANTITY:
        return None, _("At most %(max)s units.", max=format_number(MAX_QUANTITY))
    return number, None


def _read_text(value: Any, limit: int) -> tuple[str, str | None]:
    if value is None:
        return "", None
    if not isinstance(value, str):
        return "", _("Enter text.")
    text = value.strip()
    if len(text) > limit:
        return text, _("At most %(limit)d characters.", limit=limit)
    return text, None


@dataclass(frozen=True)
class LineInput:
    """One line of a receipt, transfer or count; `row` is its form row (1-based), for the error beside it."""

    row: int
    product_id: int
    quantity: int


def read_lines(
    rows: Sequence[tuple[Any, Any]],
    *,
    quantity_field: str = "quantity",
    allow_zero: bool = False,
    merge: bool = True,
    skip_blank_quantity: bool = False,
) -> tuple[list[LineInput], dict[str, str]]:
    """(product, quantity) rows → lines and field errors keyed `product_id-<row>` / `<quantity_field>-<row>`.

    Empty rows are skipped (with `skip_blank_quantity`, so is any row without a quantity: an uncounted
    product). The same product on two rows is summed (`merge`) or refused."""
    lines: list[LineInput] = []
    errors: dict[str, str] = {}
    if len(rows) > MAX_ROWS:
        return [], {"lines": _("At most %(max)d lines at a time.", max=MAX_ROWS)}
    where: dict[int, int] = {}  # product id → index in `lines`
    for row, (raw_product, raw_quantity) in enumerate(rows, start=1):
        if _blank(raw_quantity) and (skip_blank_quantity or _blank(raw_product)):
            continue
        product_id = parse_id(raw_product)
        if product_id is None:
            errors[f"product_id-{row}"] = _("Choose a product.")
        quantity, problem = parse_quantity(raw_quantity, allow_zero=allow_zero)
        if problem:
            errors[f"{quantity_field}-{row}"] = problem
        if product_id is None or quantity is None:
            continue
        if product_id in where:
            earlier = lines[where[product_id]]
            if not merge:
                errors[f"product_id-{row}"] = _("This product is already on line %(row)d.", row=earlier.row)
                continue
            if earlier.quantity + quantity > MAX_QUANTITY:
                errors[f"{quantity_field}-{row}"] = _(
                    "At most %(max)s units.", max=format_number(MAX_QUANTITY)
                )
                continue
            lines[where[product_id]] = LineInput(earlier.row, product_id, earlier.quantity + quantity)
            continue
        where[product_id] = len(lines)
        lines.append(LineInput(row, product_id, quantity))
    if not lines and not errors:
        errors["lines"] = _("Enter at least one product and its quantity.")
    return lines, errors


def parse_owner(owner: Any) -> tuple[int | None, int | None]:
    """`producer:12` → (12, None); `organization:3` → (None, 3); anything else → (None, None)."""
    if not isinstance(owner, str):
        return None, None
    kind, _sep, raw_id = owner.strip().partition(":")
    owner_id = parse_id(raw_id)
    if kind == "producer":
        return owner_id, None
    if kind == "organization":
        return None, owner_id
    return None, None


@dataclass(frozen=True)
class LocationFields:
    name: str
    kind: LocationKind
    address: str
    province_code: int | None
    latitude: float | None
    longitude: float | None


def clean_location(raw: Mapping[str, Any]) -> tuple[LocationFields | None, dict[str, str]]:
    """A place's own fields (its owner is checked by the service, against the user)."""
    errors: dict[str, str] = {}
    name, problem = _read_text(raw.get("name"), 200)
    if problem or not name:
        errors["name"] = problem or _("Give the place a name, such as: Gian hàng A-12.")
    kind_raw = raw.get("kind")
    kind = LocationKind(kind_raw) if kind_raw in {k.value for k in LocationKind} else None
    if kind is None:
        errors["kind"] = _("Choose the kind of place.")
    address, problem = _read_text(raw.get("address"), 300)
    if problem:
        errors["address"] = problem
    province_code: int | None = None
    if not _blank(raw.get("province_code")):
        province_code = parse_id(raw.get("province_code"))
        if province_code is None or admin_units.province(province_code) is None:
            errors["province_code"] = _("Choose a province from the list.")
    lat, lat_ok = catalog_rules.parse_coordinate(raw.get("latitude"))
    lon, lon_ok = catalog_rules.parse_coordinate(raw.get("longitude"))
    if not lat_ok:
        errors["latitude"] = _("The latitude must be a number, such as 10.24.")
    if not lon_ok:
        errors["longitude"] = _("The longitude must be a number, such as 106.38.")
    if lat_ok and lon_ok:
        if (lat is None) != (lon is None):
            errors["latitude" if lat is None else "longitude"] = _(
                "Give both latitude and longitude, or neither."
            )
        elif lat is not None and lon is not None and not catalog_rules.in_vietnam(lat, lon):
            errors["latitude"] = _("These coordinates are outside Vietnam.")
    if errors or kind is None:
        return None, errors
    return LocationFields(name, kind, address, province_code, lat, lon), {}


def _fold_words(q: str) -> list[str]:
    return [word for word in admin_units.fold(q[:100]).split() if word][:6]


# --- what the pages show ---


@dataclass(frozen=True)
class LocationSummary:
    location: Location
    owner_name: str
    products: int  # products with something on hand
    units: int


@dataclass(frozen=True)
class StockRow:
    product: Product
    level: StockLevel
    location: Location | None = None

    @property
    def is_low(self) -> bool:
        threshold = self.level.low_threshold
        return threshold is not None and self.level.on_hand <= threshold


@dataclass(frozen=True)
class ReceiptResult:
    location: Location
    reference: str
    lines: list[LineInput]

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True)
class TransferView:
    transfer: Transfer
    source: Location
    target: Location
    products: dict[int, Product]
    can_receive: bool  # the user manages the receiving place and the goods are on their way
    can_cancel: bool  # the user manages the sending place and the goods are on their way

    @property
    def units_sent(self) -> int:
        return sum(line.quantity_sent for line in self.transfer.lines)

    @property
    def units_received(self) -> int | None:
        if self.transfer.status != TransferStatus.RECEIVED:
            return None
        return sum(line.quantity_received or 0 for line in self.transfer.lines)

    @property
    def shortfall(self) -> int:
        received = self.units_received
        return 0 if received is None else self.units_sent - received


@dataclass(frozen=True)
class LedgerRow:
    movement: StockMovement
    actor_name: str


@dataclass(frozen=True)
class LedgerView:
    location: Location
    product: Product
    on_hand: int
    threshold: int | None
    movements: Page[LedgerRow]


@dataclass(frozen=True)
class ShortfallRow:
    movement: StockMovement
    product: Product
    location: Location


@dataclass(frozen=True)
class ProducerStock:
    producer: Producer
    rows: list[StockRow]  # each with its location

    @property
    def totals(self) -> dict[int, int]:
        """Units per product across all places."""
        totals: dict[int, int] = {}
        for row in self.rows:
            totals[row.product.id] = totals.get(row.product.id, 0) + row.level.on_hand
        return totals


def manageable_clause(actor: CurrentUser) -> ColumnElement[bool] | None:
    """SQL for rules.can_manage_location over Location rows (None: everything, for admins)."""
    if actor.is_admin:
        return None
    registered_by_office = select(Producer.id).where(Producer.organization_id.in_(_ids(actor.organizer_of)))
    return or_(
        Location.producer_id.in_(_ids(actor.vendor_of_producers)),
        Location.producer_id.in_(registered_by_office),
        Location.organization_id.in_(_ids(actor.organizer_of | actor.vendor_of_orgs)),
    )


def sellable_clause(actor: CurrentUser) -> ColumnElement[bool] | None:
    """SQL for rules.can_sell_at over Location rows (None: everything, for admins)."""
    manage = manageable_clause(actor)
    if manage is None:
        return None
    return or_(
        manage,
        Location.producer_id.in_(_ids(actor.cashier_of_producers)),
        Location.organization_id.in_(_ids(actor.cashier_of_orgs)),
    )


async def _paged(
    session: AsyncSession,
    stmt: Select[*tuple[Any, ...]],
    count: Select[*tuple[Any, ...]],
    page: int,
    size: int = PAGE_SIZE,
) -> tuple[Sequence[Any], int, int]:
    """Rows of one page of `stmt`, the total from `count`, and the page number."""
    page = max(1, page)
    total = int(await session.scalar(count) or 0)
    rows = (await session.execute(stmt.offset((page - 1) * size).limit(size))).all()
    return rows, total, page


class LocationService:
    """Places that hold stock: who may manage or sell at which, creating and editing them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def manageable(self, actor: CurrentUser) -> Sequence[Location]:
        stmt = select(Location)
        clause = manageable_clause(actor)
        if clause is not None:
            stmt = stmt.where(clause)
        return (await self.session.scalars(stmt.order_by(Location.name, Location.id))).all()

    async def sellable(self, actor: CurrentUser) -> Sequence[Location]:
        """Open places where the actor may ring up sales (for the register and the API)."""
        stmt = select(Location).where(Location.is_active.is_(True))
        clause = sellable_clause(actor)
        if clause is not None:
            stmt = stmt.where(clause)
        return (await self.session.scalars(stmt.order_by(Location.name, Location.id))).all()

    async def get_for_manage(self, actor: CurrentUser, location_id: int) -> Location:
        return await LocationAccess(self.session).for_managing(actor, location_id)

    async def owner_names(self, locations: Iterable[Location]) -> dict[int, str]:
        locations = list(locations)
        producer_ids = {loc.producer_id for loc in locations if loc.producer_id is not None}
        org_ids = {loc.organization_id for loc in locations if loc.organization_id is not None}
        producer_rows = await self.session.execute(
            select(Producer.id, Producer.name).where(Producer.id.in_(_ids(producer_ids)))
        )
        org_rows = await self.session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(_ids(org_ids)))
        )
        producers = {int(row_id): str(name) for row_id, name in producer_rows.all()}
        orgs = {int(row_id): str(name) for row_id, name in org_rows.all()}
        return {
            loc.id: producers.get(loc.producer_id, "")
            if loc.producer_id
            else orgs.get(loc.organization_id or 0, "")
            for loc in locations
        }

    async def summaries(self, actor: CurrentUser) -> list[LocationSummary]:
        """The places the actor manages, with their owner and how much they hold."""
        locations = await self.manageable(actor)
        owners = await self.owner_names(locations)
        stmt = (
            select(
                StockLevel.location_id,
                func.coalesce(func.sum(case((StockLevel.on_hand > 0, 1), else_=0)), 0),
                func.coalesce(func.sum(StockLevel.on_hand), 0),
            )
            .where(StockLevel.location_id.in_(_ids(loc.id for loc in locations)))
            .group_by(StockLevel.location_id)
        )
        totals = {
            int(loc): (int(n), int(units)) for loc, n, units in (await self.session.execute(stmt)).all()
        }
        return [
            LocationSummary(loc, owners.get(loc.id, ""), *totals.get(loc.id, (0, 0))) for loc in locations
        ]

    async def owner_choices(self, actor: CurrentUser) -> list[tuple[str, str]]:
        """The owners a new place may have: the actor's producers and organizations, as (value, label)."""
        from app.accounts.services import OrganizationService
        from app.catalog.services import ProducerService

        choices = [(f"producer:{p.id}", p.name) for p in await ProducerService(self.session).choices(actor)]
        choices += [
            (f"organization:{org.id}", org.name)
            for org in await OrganizationService(self.session).list()
            if rules.can_manage_location(actor, None, org.id, None)
        ]
        return choices

    async def _check_owner(
        self, actor: CurrentUser, producer_id: int | None, organization_id: int | None
    ) -> bool:
        if producer_id is not None:
            producer = await self.session.get(Producer, producer_id)
            return producer is not None and rules.can_manage_location(
                actor, producer.id, None, producer.organization_id
            )
        if organization_id is not None:
            org = await self.session.get(Organization, organization_id)
            return org is not None and rules.can_manage_location(actor, None, org.id, None)
        return False

    async def create(self, actor: CurrentUser, raw: Mapping[str, Any]) -> Location:
        """A new place owned by one of the actor's producers or organizations (`owner`: "producer:<id>" or
        "organization:<id>")."""
        producer_id, organization_id = parse_owner(raw.get("owner"))
        fields, errors = clean_location(raw)
        if not await self._check_owner(actor, producer_id, organization_id):
            errors["owner"] = _("Choose one of your producers or organizations.")
        if fields is None or errors:
            raise _invalid(errors)
        location = Location(
            name=fields.name,
            kind=fields.kind,
            producer_id=producer_id,
            organization_id=organization_id,
            address=fields.address,
            province_code=fields.province_code,
            latitude=fields.latitude,
            longitude=fields.longitude,
            is_active=True,
        )
        self.session.add(location)
        await self.session.flush()
        await audit.record(self.session, actor, "inventory.location.created", "location", location.id)
        return location

    async def update(
        self, actor: CurrentUser, location_id: int, raw: Mapping[str, Any], *, active: bool | None = None
    ) -> Location:
        """Change a place's fields (not its owner: its stock stays attributable); `active` opens or closes it
        for sales."""
        location = await self.get_for_manage(actor, location_id)
        fields, errors = clean_location(raw)
        if fields is None:
            raise _invalid(errors)
        location.name, location.kind, location.address = fields.name, fields.kind, fields.address
        location.province_code = fields.province_code
        location.latitude, location.longitude = fields.latitude, fields.longitude
        if active is not None:
            location.is_active = active
        await self.session.flush()
        await audit.record(self.session, actor, "inventory.location.updated", "location", location.id)
        return location


class InventoryService:
    """What the stock pages and the stock API do; stock itself changes only through StockService."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.access = LocationAccess(session)
        self.ledger_writer = StockService(session)

    # --- helpers ---

    async def _products(self, ids: Iterable[int]) -> dict[int, Product]:
        stmt = select(Product).where(Product.id.in_(_ids(set(ids))))
        return {p.id: p for p in (await self.session.scalars(stmt)).all()}

    @staticmethod
    def kept_at(location: Location, product: Product) -> bool:
        """A producer's place holds that producer's products; an organization's showroom holds anyone's (each
        unit stays attributable through its product's producer)."""
        return location.producer_id is None or product.producer_id == location.producer_id

    async def _product_errors(
        self, location: Location, lines: Sequence[LineInput], *, active_only: bool = True
    ) -> tuple[dict[int, Product], dict[str, str]]:
        products = await self._products(line.product_id for line in lines)
        errors: dict[str, str] = {}
        for line in lines:
            product = products.get(line.product_id)
            if (
                product is None
                or (active_only and not product.is_active)
                or not self.kept_at(location, product)
            ):
                # Unknown, hidden and other producers' products get the same answer: ids reveal nothing.
                errors[f"product_id-{line.row}"] = _("Choose a product from the list.")
        return products, errors

    async def _level(self, location_id: int, product_id: int) -> StockLevel | None:
        stmt = select(StockLevel).where(
            StockLevel.location_id == location_id, StockLevel.product_id == product_id
        )
        return await self.session.scalar(stmt)

    # --- reading stock ---

    async def stock(
        self, actor: CurrentUser, location_id: int, *, q: str = "", low_only: bool = False, page: int = 1
    ) -> tuple[Location, Page[StockRow]]:
        """A place's levels with their products: diacritic-insensitive search, low-stock filter, paged."""
        location = await self.access.for_managing(actor, location_id)
        conditions: list[ColumnElement[bool]] = [StockLevel.location_id == location.id]
        conditions += [Product.search_text.contains(word) for word in _fold_words(q)]
        if low_only:
            conditions += [
                StockLevel.low_threshold.is_not(None),
                StockLevel.on_hand <= StockLevel.low_threshold,
            ]
        stmt = (
            select(StockLevel, Product)
            .join(Product, Product.id == StockLevel.product_id)
            .where(*conditions)
            .order_by(Product.name_vi, Product.id)
        )
        count = (
            select(func.count(StockLevel.id))
            .join(Product, Product.id == StockLevel.product_id)
            .where(*conditions)
        )
        rows, total, page = await _paged(self.session, stmt, count, page)
        items = [StockRow(product, level) for level, product in rows]
        return location, Page(items=items, total=total, page=page, page_size=PAGE_SIZE)

    async def rows_at(self, location: Location, *, positive_only: bool = False) -> list[StockRow]:
        """Every level of a place the caller already checked (for the count and transfer forms)."""
        stmt = (
            select(StockLevel, Product)
            .join(Product, Product.id == StockLevel.product_id)
            .where(StockLevel.location_id == location.id)
            .order_by(Product.name_vi, Product.id)
            .limit(MAX_ROWS)
        )
        if positive_only:
            stmt = stmt.where(StockLevel.on_hand > 0)
        return [StockRow(product, level) for level, product in (await self.session.execute(stmt)).all()]

    async def receivable_products(self, location: Location) -> Sequence[Product]:
        """The products a place the caller already checked may receive: active, and its producer's own
        unless it is an organization's showroom."""
        stmt = select(Product).join(Product.producer).where(Product.is_active.is_(True))
        if location.producer_id is not None:
            stmt = stmt.where(Product.producer_id == location.producer_id)
        stmt = stmt.order_by(Producer.name, Product.name_vi, Product.id)
        return (await self.session.scalars(stmt)).unique().all()

    async def low_stock(self, actor: CurrentUser, limit: int = ALERT_LIMIT) -> list[StockRow]:
        """Levels at or below their threshold, across the places the actor manages; emptiest first."""
        stmt = (
            select(StockLevel, Product, Location)
            .join(Product, Product.id == StockLevel.product_id)
            .join(Location, Location.id == StockLevel.location_id)
            .where(StockLevel.low_threshold.is_not(None), StockLevel.on_hand <= StockLevel.low_threshold)
            .order_by(StockLevel.on_hand, Location.name, Product.name_vi, StockLevel.id)
            .limit(limit)
        )
        clause = manageable_clause(actor)
        if clause is not None:
            stmt = stmt.where(clause)
        return [StockRow(p, level, loc) for level, p, loc in (await self.session.execute(stmt)).all()]

    async def ledger(
        self, actor: CurrentUser, location_id: int, product_id: int, page: int = 1
    ) -> LedgerView:
        """A product's movements at a place, newest first, with who made them."""
        from app.accounts.models import User

        location = await self.access.for_managing(actor, location_id)
        product = await self.session.get(Product, product_id)
        level = await self._level(location.id, product_id) if product else None
        if product is None or (level is None and not self.kept_at(location, product)):
            raise NotFound(_("This product has no stock record at this place."))
        where = (StockMovement.location_id == location.id, StockMovement.product_id == product.id)
        stmt = (
            select(StockMovement, User.name, User.email)
            .outerjoin(User, User.id == StockMovement.actor_id)
            .where(*where)
            .order_by(StockMovement.id.desc())
        )
        count = select(func.count(StockMovement.id)).where(*where)
        rows, total, page = await _paged(self.session, stmt, count, page)
        items = [LedgerRow(movement, name or email or "") for movement, name, email in rows]
        return LedgerView(
            location,
            product,
            level.on_hand if level else 0,
            level.low_threshold if level else None,
            Page(items=items, total=total, page=page, page_size=PAGE_SIZE),
        )

    async def producer_stock(self, actor: CurrentUser, producer_id: int) -> ProducerStock:
        """A producer's products wherever they are kept: its own places and the showrooms that carry them."""
        producer = await self.session.get(Producer, producer_id)
        if producer is None or not can_manage_producer(actor, producer.id, producer.organization_id):
            raise NotFound(_("This producer does not exist."))
        stmt = (
            select(StockLevel, Product, Location)
            .join(Product, Product.id == StockLevel.product_id)
            .join(Location, Location.id == StockLevel.location_id)
            .where(Product.producer_id == producer.id)
            .order_by(Product.name_vi, Product.id, Location.name, Location.id)
        )
        rows = [StockRow(p, level, loc) for level, p, loc in (await self.session.execute(stmt)).all()]
        return ProducerStock(producer, rows)

    async def export_csv(self, actor: CurrentUser, location_id: int) -> tuple[Location, bytes]:
        """A place's stock as CSV in UTF-8 with a BOM (so Excel keeps the Vietnamese text intact)."""
        location = await self.access.for_managing(actor, location_id)
        stmt = (
            select(StockLevel, Product)
            .join(Product, Product.id == StockLevel.product_id)
            .where(StockLevel.location_id == location.id)
            .order_by(Product.name_vi, Product.id)
        )
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for level, product in (await self.session.execute(stmt)).all():
            threshold = "" if level.low_threshold is None else level.low_threshold
            writer.writerow(
                [safe_text(product.name_vi), safe_text(product.sku or ""), level.on_hand, threshold]
            )
        return location, buffer.getvalue().encode("utf-8-sig")

    async def sellable_stock(self, actor: CurrentUser, location_id: int) -> list[tuple[Product, int]]:
        """Active products with a level at a place the actor may sell at (403/404 otherwise)."""
        location = await self.access.for_selling(actor, location_id)
        stmt = (
            select(Product, StockLevel.on_hand)
            .join(StockLevel, StockLevel.product_id == Product.id)
            .where(StockLevel.location_id == location.id, Product.is_active.is_(True))
            .order_by(Product.name_vi, Product.id)
        )
        return [(product, int(on_hand)) for product, on_hand in (await self.session.execute(stmt)).all()]

    # --- receiving goods, thresholds ---

    async def receive(
        self,
        actor: CurrentUser,
        location_id: int,
        rows: Sequence[tuple[Any, Any]],
        *,
        reference: Any = "",
        note: Any = "",
    ) -> ReceiptResult:
        """Goods arrive at a place: one RECEIPT movement per product, under one `receipt:<token>` reference.
        `reference` is the supplier's delivery note number, if any."""
        location = await self.access.for_managing(actor, location_id)
        lines, errors = read_lines(rows)
        supplier_ref, problem = _read_text(reference, 60)
        if problem:
            errors["reference"] = problem
        note_text, problem = _read_text(note, 200)
        if problem:
            errors["note"] = problem
        if lines:
            errors.update((await self._product_errors(location, lines))[1])
        if errors:
            raise _invalid(errors)
        token = f"receipt:{secrets.token_hex(5)}"
        reason = " · ".join(text for text in (supplier_ref, note_text) if text)
        for line in sorted(lines, key=lambda line: line.product_id):
            await self.ledger_writer.put(
                line.product_id,
                location.id,
                line.quantity,
                MovementKind.RECEIPT,
                reason=reason,
                reference=token,
                actor=actor,
            )
        await audit.record(
            self.session,
            actor,
            "inventory.stock.received",
            "location",
            location.id,
            reference=token,
            supplier_reference=supplier_ref,
            lines=[[line.product_id, line.quantity] for line in lines],
        )
        return ReceiptResult(location, token, lines)

    async def set_threshold(
        self, actor: CurrentUser, location_id: int, product_id: int, raw: Any
    ) -> StockLevel:
        """The low-stock threshold of a product at a place; empty clears it. Field: `threshold`."""
        location = await self.access.for_managing(actor, location_id)
        level = await self._level(location.id, product_id)
        if level is None:
            raise NotFound(_("This product has no stock record at this place."))
        threshold: int | None = None
        if not _blank(raw):
            threshold, problem = parse_quantity(raw, allow_zero=True)
            if problem:
                raise _invalid({"threshold": problem})
        await self.session.execute(
            update(StockLevel).where(StockLevel.id == level.id).values(low_threshold=threshold)
        )
        await self.session.refresh(level)
        await audit.record(
            self.session,
            actor,
            "inventory.threshold.set",
            "location",
            location.id,
            product_id=product_id,
            threshold=threshold,
        )
        return level

    # --- transfers ---

    async def _transfer_access(self, actor: CurrentUser, transfer_id: int) -> tuple[Transfer, bool, bool]:
        """The transfer, and whether the actor manages its sending and its receiving place. One who manages
        neither is told it does not exist."""
        transfer = await self.session.get(Transfer, transfer_id)
        if transfer is None:
            raise NotFound(_("This transfer does not exist."))
        sends = receives = True
        try:
            await self.access.for_managing(actor, transfer.from_location_id)
        except NotFound:
            sends = False
        try:
            await self.access.for_managing(actor, transfer.to_location_id)
        except NotFound:
            receives = False
        if not (sends or receives):
            raise NotFound(_("This transfer does not exist."))
        return transfer, sends, receives

    async def _view(self, transfer: Transfer, sends: bool, receives: bool) -> TransferView:
        source = await self.access.get(transfer.from_location_id)
        target = await self.access.get(transfer.to_location_id)
        products = await self._products(line.product_id for line in transfer.lines)
        moving = transfer.status == TransferStatus.IN_TRANSIT
        return TransferView(transfer, source, target, products, moving and receives, moving and sends)

    async def get_transfer(self, actor: CurrentUser, transfer_id: int) -> TransferView:
        return await self._view(*await self._transfer_access(actor, transfer_id))

    async def list_transfers(
        self, actor: CurrentUser, *, status: str = "", page: int = 1
    ) -> Page[TransferView]:
        """Transfers from or to the places the actor manages, newest first."""
        conditions: list[ColumnElement[bool]] = []
        clause = manageable_clause(actor)
        if clause is not None:
            mine = select(Location.id).where(clause)
            conditions.append(or_(Transfer.from_location_id.in_(mine), Transfer.to_location_id.in_(mine)))
        if status in {s.value for s in TransferStatus}:
            conditions.append(Transfer.status == TransferStatus(status))
        stmt = select(Transfer).where(*conditions).order_by(Transfer.id.desc())
        count = select(func.count(Transfer.id)).where(*conditions)
        rows, total, page = await _paged(self.session, stmt, count, page)
        transfers: list[Transfer] = [row[0] for row in rows]
        location_ids = {t.from_location_id for t in transfers} | {t.to_location_id for t in transfers}
        locations = {
            loc.id: loc
            for loc in (
                await self.session.scalars(select(Location).where(Location.id.in_(_ids(location_ids))))
            )
        }
        managed = (
            {loc.id for loc in locations.values()}
            if clause is None
            else set(
                (
                    await self.session.scalars(
                        select(Location.id).where(Location.id.in_(_ids(location_ids)), clause)
                    )
                ).all()
            )
        )
        moving = TransferStatus.IN_TRANSIT
        items = [
            TransferView(
                t,
                locations[t.from_location_id],
                locations[t.to_location_id],
                {},
                t.status == moving and t.to_location_id in managed,
                t.status == moving and t.from_location_id in managed,
            )
            for t in transfers
        ]
        return Page(items=items, total=total, page=page, page_size=PAGE_SIZE)

    async def create_transfer(
        self,
        actor: CurrentUser,
        from_location_id: Any,
        to_location_id: Any,
        rows: Sequence[tuple[Any, Any]],
        *,
        note: Any = "",
    ) -> Transfer:
        """Send goods from one place to another: TRANSFER_OUT at the source now; in transit until the
        receiving place records what arrived. The actor must manage both places."""
        errors: dict[str, str] = {}
        source_id, target_id = parse_id(from_location_id), parse_id(to_location_id)
        source = target = None
        if source_id is None:
            errors["from_location_id"] = _("Choose the place the goods leave from.")
        else:
            source = await self.access.for_managing(actor, source_id)
        if target_id is None:
            errors["to_location_id"] = _("Choose the place the goods go to.")
        else:
            target = await self.access.for_managing(actor, target_id)
        if source is not None and target is not None and source.id == target.id:
            errors["to_location_id"] = _("Choose another place than the one the goods leave from.")
        note_text, problem = _read_text(note, 1000)
        if problem:
            errors["note"] = problem
        lines, line_errors = read_lines(rows)
        errors.update(line_errors)
        if source is not None and lines:
            products = await self._products(line.product_id for line in lines)
            levels = await self.ledger_writer.levels_at(source.id, [line.product_id for line in lines])
            for line in lines:
                product = products.get(line.product_id)
                if product is None or line.product_id not in levels:
                    errors[f"product_id-{line.row}"] = _("Choose a product from the list.")
                elif target is not None and not self.kept_at(target, product):
                    errors[f"product_id-{line.row}"] = _(
                        "The receiving place holds only its own producer's products."
                    )
                elif levels[line.product_id] < line.quantity:
                    errors[f"quantity-{line.row}"] = _(
                        "Only %(available)d left at this place.", available=levels[line.product_id]
                    )
        if errors or source is None or target is None:
            raise _invalid(errors)
        transfer = Transfer(
            from_location_id=source.id,
            to_location_id=target.id,
            status=TransferStatus.IN_TRANSIT,
            note=note_text,
            sent_by=actor.id,
            lines=[TransferLine(product_id=line.product_id, quantity_sent=line.quantity) for line in lines],
        )
        self.session.add(transfer)
        await self.session.flush()
        # Conditional takes: if another sale took the goods meanwhile, InsufficientStock (409) undoes it all.
        await self.ledger_writer.take_many(
            source.id,
            [(line.product_id, line.quantity) for line in lines],
            MovementKind.TRANSFER_OUT,
            reason=_("Sent to %(place)s", place=target.name),
            reference=f"transfer:{transfer.id}",
            actor=actor,
        )
        await audit.record(
            self.session,
            actor,
            "inventory.stock.transferred",
            "transfer",
            transfer.id,
            from_location_id=source.id,
            to_location_id=target.id,
            lines=[[line.product_id, line.quantity] for line in lines],
        )
        return transfer

    async def _claim(self, transfer: Transfer, status: TransferStatus, actor: CurrentUser) -> None:
        """Move an in-transit transfer on, once: of two people receiving or cancelling it at the same moment,
        one wins and the other is told it already happened."""
        values: dict[str, Any] = {"status": status}
        if status == TransferStatus.RECEIVED:
            values.update(received_by=actor.id, received_at=_now())
        claimed = await self.session.execute(
            update(Transfer)
            .where(Transfer.id == transfer.id, Transfer.status == TransferStatus.IN_TRANSIT)
            .values(**values)
            .returning(Transfer.id)
            .execution_options(synchronize_session=False)
        )
        if claimed.scalar_one_or_none() is None:
            raise Conflict(_("This transfer was already received or cancelled."))
        await self.session.refresh(transfer)

    async def receive_transfer(
        self,
        actor: CurrentUser,
        transfer_id: int,
        received: Sequence[tuple[Any, Any]],
        *,
        note: Any = "",
    ) -> Transfer:
        """The receiving place records what arrived per line (`received`: (line id, quantity) pairs, at most
        what was sent): TRANSFER_IN for it; the difference stays on the line as the shortfall."""
        transfer, _sends, receives = await self._transfer_access(actor, transfer_id)
        if not receives:
            raise PermissionDenied(_("Only the receiving place can record what arrived."))
        if transfer.status != TransferStatus.IN_TRANSIT:
            raise Conflict(_("This transfer was already received or cancelled."))
        by_id = {line.id: line for line in transfer.lines}
        amounts: dict[int, int] = {}
        errors: dict[str, str] = {}
        if len(received) > MAX_ROWS:
            raise _invalid({"lines": _("At most %(max)d lines at a time.", max=MAX_ROWS)})
        for raw_line, raw_quantity in received:
            line_id = parse_id(raw_line)
            line = by_id.get(line_id) if line_id is not None else None
            if line is None:
                errors["lines"] = _("The transfer's lines do not match. Reload the page.")
                continue
            quantity, problem = parse_quantity(raw_quantity, allow_zero=True)
            if problem or quantity is None:
                errors[f"received-{line.id}"] = problem or _("Enter a quantity.")
            elif quantity > line.quantity_sent:
                errors[f"received-{line.id}"] = _("At most %(sent)d were sent.", sent=line.quantity_sent)
            else:
                amounts[line.id] = quantity
        for line in transfer.lines:
            if line.id not in amounts and f"received-{line.id}" not in errors:
                errors[f"received-{line.id}"] = _("Enter how many arrived (0 if none).")
        note_text, problem = _read_text(note, 1000)
        if problem:
            errors["note"] = problem
        if errors:
            raise _invalid(errors)
        await self._claim(transfer, TransferStatus.RECEIVED, actor)
        source = await self.access.get(transfer.from_location_id)
        for line in sorted(transfer.lines, key=lambda line: line.product_id):
            line.quantity_received = amounts[line.id]
            if amounts[line.id] > 0:
                await self.ledger_writer.put(
                    line.product_id,
                    transfer.to_location_id,
                    amounts[line.id],
                    MovementKind.TRANSFER_IN,
                    reason=_("Received from %(place)s", place=source.name),
                    reference=f"transfer:{transfer.id}",
                    actor=actor,
                )
        if note_text:
            transfer.note = f"{transfer.note}\n{note_text}".strip()
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "inventory.transfer.received",
            "transfer",
            transfer.id,
            received=[[line.product_id, amounts[line.id]] for line in transfer.lines],
            shortfall=[
                [line.product_id, line.quantity_sent - amounts[line.id]]
                for line in transfer.lines
                if amounts[line.id] < line.quantity_sent
            ],
        )
        return transfer

    async def cancel_transfer(self, actor: CurrentUser, transfer_id: int) -> Transfer:
        """The sending place calls back goods still in transit: they return with TRANSFER_IN movements."""
        transfer, sends, _receives = await self._transfer_access(actor, transfer_id)
        if not sends:
            raise PermissionDenied(_("Only the sending place can cancel a transfer."))
        if transfer.status != TransferStatus.IN_TRANSIT:
            raise Conflict(_("This transfer was already received or cancelled."))
        await self._claim(transfer, TransferStatus.CANCELLED, actor)
        for line in sorted(transfer.lines, key=lambda line: line.product_id):
            await self.ledger_writer.put(
                line.product_id,
                transfer.from_location_id,
                line.quantity_sent,
                MovementKind.TRANSFER_IN,
                reason=_("Transfer cancelled: the goods came back"),
                reference=f"transfer:{transfer.id}",
                actor=actor,
            )
        await audit.record(self.session, actor, "inventory.transfer.cancelled", "transfer", transfer.id)
        return transfer

    # --- counts ---

    async def count(
        self, actor: CurrentUser, location_id: int, rows: Sequence[tuple[Any, Any]], *, note: Any = ""
    ) -> StockCount:
        """A stock count: each counted product's level becomes what was counted, with an ADJUSTMENT for the
        difference (reference `count:<id>`). Rows without a quantity were not counted (`counted-<row>`)."""
        location = await self.access.for_managing(actor, location_id)
        lines, errors = read_lines(
            rows, quantity_field="counted", allow_zero=True, merge=False, skip_blank_quantity=True
        )
        if errors.get("lines"):
            errors["lines"] = _("Enter at least one counted quantity.")
        note_text, problem = _read_text(note, 1000)
        if problem:
            errors["note"] = problem
        if lines:
            products = await self._products(line.product_id for line in lines)
            levels = await self.ledger_writer.levels_at(location.id, [line.product_id for line in lines])
            for line in lines:
                product = products.get(line.product_id)
                recorded = line.product_id in levels
                if product is None or not (
                    recorded or (product.is_active and self.kept_at(location, product))
                ):
                    errors[f"product_id-{line.row}"] = _("Choose a product from the list.")
        if errors:
            raise _invalid(errors)
        stock_count = StockCount(location_id=location.id, counted_by=actor.id, note=note_text, lines=[])
        self.session.add(stock_count)
        await self.session.flush()
        for line in sorted(lines, key=lambda line: line.product_id):
            difference = await self.ledger_writer.set_counted(
                line.product_id,
                location.id,
                line.quantity,
                reference=f"count:{stock_count.id}",
                actor=actor,
            )
            stock_count.lines.append(
                StockCountLine(
                    product_id=line.product_id, expected=line.quantity - difference, counted=line.quantity
                )
            )
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "inventory.stock.counted",
            "stock_count",
            stock_count.id,
            location_id=location.id,
            adjusted=[
                [cl.product_id, cl.counted - cl.expected]
                for cl in stock_count.lines
                if cl.counted != cl.expected
            ],
        )
        return stock_count

    # --- shortfalls ---

    async def shortfalls(
        self, actor: CurrentUser, *, reviewed: bool = False, page: int = 1
    ) -> Page[ShortfallRow]:
        """Flagged shortfalls (offline sales that took more than the record showed) at the actor's places:
        waiting for review, or (`reviewed`) already reviewed. Newest first."""
        conditions: list[ColumnElement[bool]] = [
            StockMovement.flagged.is_(True),
            StockMovement.reviewed_at.is_not(None) if reviewed else StockMovement.reviewed_at.is_(None),
        ]
        clause = manageable_clause(actor)
        if clause is not None:
            conditions.append(clause)
        stmt = (
            select(StockMovement, Product, Location)
            .join(Product, Product.id == StockMovement.product_id)
            .join(Location, Location.id == StockMovement.location_id)
            .where(*conditions)
            .order_by(StockMovement.id.desc())
        )
        count = (
            select(func.count(StockMovement.id))
            .join(Location, Location.id == StockMovement.location_id)
            .where(*conditions)
        )
        rows, total, page = await _paged(self.session, stmt, count, page)
        items = [ShortfallRow(movement, product, loc) for movement, product, loc in rows]
        return Page(items=items, total=total, page=page, page_size=PAGE_SIZE)

    async def review_shortfall(self, actor: CurrentUser, movement_id: int) -> StockMovement:
        """Mark a shortfall as seen by the vendor (once; again changes nothing)."""
        movement = await self.session.get(StockMovement, movement_id)
        if movement is None or not movement.flagged:
            raise NotFound(_("This shortfall does not exist."))
        try:
            await self.access.for_managing(actor, movement.location_id)
        except NotFound:
            raise NotFound(_("This shortfall does not exist.")) from None
        if movement.reviewed_at is not None:
            return movement
        marked = await self.session.execute(
            update(StockMovement)
            .where(StockMovement.id == movement.id, StockMovement.reviewed_at.is_(None))
            .values(reviewed_at=_now(), reviewed_by=actor.id)
            .returning(StockMovement.id)
            .execution_options(synchronize_session=False)
        )
        await self.session.refresh(movement)
        if marked.scalar_one_or_none() is not None:
            await audit.record(
                self.session,
                actor,
                "inventory.shortfall.reviewed",
                "stock_movement",
                movement.id,
                location_id=movement.location_id,
                product_id=movement.product_id,
            )
        return movement

    async def waiting(self, actor: CurrentUser) -> tuple[int, int]:
        """(shortfalls to review, transfers on their way to the actor's places), for the overview."""
        shortfall_where: list[ColumnElement[bool]] = [
            StockMovement.flagged.is_(True),
            StockMovement.reviewed_at.is_(None),
        ]
        transfer_where: list[ColumnElement[bool]] = [Transfer.status == TransferStatus.IN_TRANSIT]
        clause = manageable_clause(actor)
        if clause is not None:
            mine = select(Location.id).where(clause)
            shortfall_where.append(StockMovement.location_id.in_(mine))
            transfer_where.append(Transfer.to_location_id.in_(mine))
        shortfalls = await self.session.scalar(select(func.count(StockMovement.id)).where(*shortfall_where))
        incoming = await self.session.scalar(select(func.count(Transfer.id)).where(*transfer_where))
        return int(shortfalls or 0), int(incoming or 0)


@dataclass(frozen=True)
class Availability:
    location_id: int
    name: str
    kind: LocationKind
    province_code: int | None
    on_hand: int


async def public_availability(session: AsyncSession, product_id: int) -> list[Availability]:
    """Where a shopper can find a product now: the open booths and showrooms that carry it, with the
    count on hand (warehouses are not shops, so they are left out)."""
    stmt = (
        select(Location.id, Location.name, Location.kind, Location.province_code, StockLevel.on_hand)
        .join(StockLevel, StockLevel.location_id == Location.id)
        .where(
            StockLevel.product_id == product_id,
            Location.is_active.is_(True),
            Location.kind.in_([LocationKind.BOOTH, LocationKind.SHOWROOM]),
        )
        .order_by(StockLevel.on_hand.desc(), Location.name)
    )
    return [Availability(*row) for row in (await session.execute(stmt)).all()]
