"""Inventory use cases. `StockService` is the only writer of stock: every change is a ledger row and the
level's update, in the caller's transaction.

Taking stock never checks and then writes: it is one conditional `UPDATE … SET on_hand = on_hand - q
WHERE … AND on_hand >= q RETURNING on_hand` per product, in product-id order. Two registers racing for the
last jar: one update matches, the other matches no row and gets InsufficientStock with what is left.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.rules import CurrentUser
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.i18n import gettext as _
from app.inventory import rules
from app.inventory.models import Location, MovementKind, StockLevel, StockMovement
from app.inventory.rules import Removal
from app.live import note_stock_change

OUTGOING = {MovementKind.SALE, MovementKind.TRANSFER_OUT, MovementKind.ADJUSTMENT}
INCOMING = {MovementKind.RECEIPT, MovementKind.TRANSFER_IN, MovementKind.REFUND, MovementKind.ADJUSTMENT}


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


class StockService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _ensure_level(self, product_id: int, location_id: int) -> None:
        """Create the (product, location) level at zero if it does not exist, safely under concurrency."""
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
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

    def _record(
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
        self.session.add(
            StockMovement(
                product_id=product_id,
                location_id=location_id,
                kind=kind,
                quantity=quantity,
                on_hand_after=on_hand_after,
                reason=reason[:300],
                reference=reference[:100],
                actor_id=actor.id if actor else None,
                flagged=flagged,
            )
        )

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
        stmt = (
            update(StockLevel)
            .where(StockLevel.product_id == product_id, StockLevel.location_id == location_id)
            .values(on_hand=StockLevel.on_hand + quantity)
            .returning(StockLevel.on_hand)
        )
        after = int((await self.session.execute(stmt)).scalar_one())
        self._record(
            product_id, location_id, kind, quantity, after, reason=reason, reference=reference, actor=actor
        )
        await self.session.flush()
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
        await self._ensure_level(product_id, location_id)
        conditional = (
            update(StockLevel)
            .where(
                StockLevel.product_id == product_id,
                StockLevel.location_id == location_id,
                StockLevel.on_hand >= quantity,
            )
            .values(on_hand=StockLevel.on_hand - quantity)
            .returning(StockLevel.on_hand)
        )
        after = (await self.session.execute(conditional)).scalar_one_or_none()
        if after is not None:
            self._record(
                product_id,
                location_id,
                kind,
                -quantity,
                int(after),
                reason=reason,
                reference=reference,
                actor=actor,
            )
            await self.session.flush()
            return Removal(product_id, quantity, 0, int(after))

        # Lock the row (a no-op update) to read a level no other transaction can change under us.
        lock = (
            update(StockLevel)
            .where(StockLevel.product_id == product_id, StockLevel.location_id == location_id)
            .values(on_hand=StockLevel.on_hand)
            .returning(StockLevel.on_hand)
        )
        available = int((await self.session.execute(lock)).scalar_one())
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
        self._record(
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
        zero = (
            update(StockLevel)
            .where(StockLevel.product_id == product_id, StockLevel.location_id == location_id)
            .values(on_hand=0)
        )
        await self.session.execute(zero)
        self._record(
            product_id, location_id, kind, -quantity, 0, reason=reason, reference=reference, actor=actor
        )
        await self.session.flush()
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
        lock = (
            update(StockLevel)
            .where(StockLevel.product_id == product_id, StockLevel.location_id == location_id)
            .values(on_hand=StockLevel.on_hand)
            .returning(StockLevel.on_hand)
        )
        recorded = int((await self.session.execute(lock)).scalar_one())
        difference = counted - recorded
        if difference == 0:
            return 0
        set_level = (
            update(StockLevel)
            .where(StockLevel.product_id == product_id, StockLevel.location_id == location_id)
            .values(on_hand=counted)
        )
        await self.session.execute(set_level)
        self._record(
            product_id,
            location_id,
            MovementKind.ADJUSTMENT,
            difference,
            counted,
            reason=reason or _("Stock count"),
            reference=reference,
            actor=actor,
        )
        await self.session.flush()
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

    async def get(self, location_id: int) -> Location:
        location = await self.session.get(Location, location_id)
        if location is None:
            raise NotFound(_("This place does not exist."))
        return location

    async def _producer_org(self, location: Location) -> int | None:
        if location.producer_id is None:
            return None
        from app.catalog.models import Producer

        producer = await self.session.get(Producer, location.producer_id)
        return producer.organization_id if producer else None

    async def for_managing(self, user: CurrentUser, location_id: int) -> Location:
        location = await self.get(location_id)
        org = await self._producer_org(location)
        if not rules.can_manage_location(user, location.producer_id, location.organization_id, org):
            # Another owner's place is reported as missing: ids reveal nothing.
            raise NotFound(_("This place does not exist."))
        return location

    async def for_selling(self, user: CurrentUser, location_id: int) -> Location:
        location = await self.get(location_id)
        org = await self._producer_org(location)
        if not rules.can_sell_at(user, location.producer_id, location.organization_id, org):
            raise PermissionDenied(_("You may not sell at this place."))
        if not location.is_active:
            raise ValidationFailed(_("This place is closed."))
        return location
