"""Register use cases: registers, shifts, sales, refunds, and the reads behind receipts, history and reports.

A sale is one transaction: the receipt number (a conditional `UPDATE register … RETURNING`, so numbers have
no gaps: a refused sale rolls its number back with everything else), the sale row, its lines, the stock
(`StockService.take_many`, one conditional update per product — never check-then-write) and its payments.
Refused → nothing written.

Idempotency: the sale's UUID is made by the register. The same UUID again returns the stored sale
(`created=False`), whatever the body says. Two requests with the same new UUID at once: the sale row is
inserted first, inside a savepoint, so the second insert waits on the unique index for the first to commit,
fails, rolls back to the savepoint and returns the stored sale. Refunds lock their sale's row first, so
refunds of one sale are applied one at a time and a replay finds the stored refund.

Who may act is checked on the object: sellers of a location (its vendors, organizers, cashiers; admins)
sell there, open and close its shifts and read its sales; only its managers (not cashiers) discount and
refund. Another owner's sale or register is reported as not found.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.accounts.models import Organization, User
from app.accounts.rules import CurrentUser
from app.catalog.models import Combo, Producer, Product
from app.db import as_read, loaded, on_postgresql, table
from app.db_direct import Direct
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.i18n import gettext as _
from app.i18n import money
from app.inventory import rules as stock_rules
from app.inventory.models import Location, MovementKind
from app.inventory.services import LocationAccess, StockService, sellable_clause
from app.paging import Page, paginate
from app.payments import history
from app.payments.models import Payment, PaymentMethod, PaymentStatus
from app.payments.providers import PaymentRefused, provider
from app.payments.stripe_gateway import GatewayError, StripeGateway
from app.pos import rules
from app.pos.models import (
    Refund,
    RefundLine,
    Register,
    Sale,
    SaleLine,
    SaleLineComponent,
    SaleStatus,
    Shift,
    ShiftStatus,
)
from app.pos.schemas import RefundIn, SaleIn, SaleLineIn

DEFAULT_REGISTER_NAME = "Quầy 1"
HISTORY_PAGE_SIZE = 30

_sales, _registers, _shifts = table(Sale), table(Register), table(Shift)
# Built once (Core, bound by name): every sale runs these, so they compile once and skip the ORM.
_SALE_ID = Direct(select(_sales.c.id).where(_sales.c.uuid == bindparam("sale_uuid")))
# PostgreSQL: a lock on the sale's id for the rest of the transaction (see SaleService._claim).
_CLAIM = Direct(select(func.pg_advisory_xact_lock(bindparam("key", type_=BigInteger))))
_NUMBER_AT = Direct(
    update(_registers)
    .where(
        _registers.c.id == bindparam("register"),
        _registers.c.location_id == bindparam("location"),
        _registers.c.is_active.is_(True) | bindparam("closed_ok", type_=Boolean),
    )
    .values(next_receipt_no=_registers.c.next_receipt_no + 1)
    .returning(*_registers.c)
)
_sale_lines, _components, _payments = table(SaleLine), table(SaleLineComponent), table(Payment)
_INSERT_SALE = Direct(insert(_sales).returning(_sales.c.id))
# One row at a time (Direct.each): ids come back in the rows' order.
_INSERT_LINE = Direct(insert(_sale_lines).returning(_sale_lines.c.id))
_INSERT_COMPONENT = Direct(insert(_components).returning(_components.c.id))
_INSERT_PAYMENT = Direct(insert(_payments).returning(_payments.c.id))
_MARK_SHORTFALL = Direct(update(_sales).where(_sales.c.id == bindparam("sale")).values(had_shortfall=True))
_products = table(Product)
# What a sale line needs of a product (the ORM would also load its producer, group and long texts).
_PRODUCTS_SOLD = Direct(
    select(
        _products.c.id,
        _products.c.producer_id,
        _products.c.name_vi,
        _products.c.name_en,
        _products.c.price_vnd,
        _products.c.is_active,
    ).where(_products.c.id.in_(bindparam("ids", expanding=True)))
)
# FOR SHARE: a closing at this moment waits for the sale, or the sale finds the shift closed.
_OPEN_SHIFT_ID = Direct(
    select(_shifts.c.id)
    .where(_shifts.c.register_id == bindparam("register"), _shifts.c.status == ShiftStatus.OPEN)
    .with_for_update(read=True)
)


# --- who may act ---


@dataclass(frozen=True)
class Rights:
    sell: bool  # ring up, open and close shifts, read sales
    manage: bool  # and discount, refund, add registers


async def rights_at(session: AsyncSession, user: CurrentUser | None, location: Location) -> Rights:
    org = await LocationAccess(session).producer_org(location)
    owner = (location.producer_id, location.organization_id, org)
    return Rights(
        sell=stock_rules.can_sell_at(user, *owner),
        manage=stock_rules.can_manage_location(user, *owner),
    )


async def user_names(session: AsyncSession, user_ids: Sequence[int | None]) -> dict[int, str]:
    """id → the name people know them by (their e-mail address if they gave no name)."""
    ids = sorted({i for i in user_ids if i})
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {int(i): (n or e) for i, n, e in rows.all()}


def sellable(user: CurrentUser) -> ColumnElement[bool]:
    """SQL for the locations `user` may sell at: inventory's clause, with `true` for admins."""
    clause = sellable_clause(user)
    return true() if clause is None else clause


def _fields_error(error: rules.SaleRuleError) -> ValidationFailed:
    return ValidationFailed(error.message, fields={error.field: error.message})


def _insert_for(session: AsyncSession) -> Any:
    return pg_insert if on_postgresql(session) else sqlite_insert


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sold_at() -> ColumnElement[dt.datetime]:
    """When a sale happened: the register's clock for a sale rung up offline, else the server's."""
    return case(
        (and_(Sale.offline.is_(True), Sale.client_created_at.is_not(None)), Sale.client_created_at),
        else_=Sale.created_at,
    )


_Filtered = TypeVar("_Filtered", bound="Select[*tuple[Any, ...]]")


def history_filtered(stmt: _Filtered, actor: CurrentUser, filters: SaleFilters) -> _Filtered:
    """`stmt` (over `Sale`) narrowed to the sales history's filters, at places `actor` may sell at."""
    stmt = stmt.join(Location, Location.id == Sale.location_id).where(sellable(actor))
    if filters.location_id is not None:
        stmt = stmt.where(Sale.location_id == filters.location_id)
    if filters.register_id is not None:
        stmt = stmt.where(Sale.register_id == filters.register_id)
    if filters.day is not None:
        start, end = rules.vn_day_bounds(filters.day)
        stmt = stmt.where(sold_at() >= start, sold_at() < end)
    if (search := filters.search) is not None:
        if search.receipt_no is not None:
            stmt = stmt.where(Sale.receipt_no == search.receipt_no)
        elif (uuids := search.uuid_range()) is not None:
            stmt = stmt.where(Sale.uuid.between(*uuids))
        else:  # words of no known shape find nothing (the page says what to type)
            stmt = stmt.where(false())
    return stmt


# --- registers ---


class RegisterService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list_for_location(self, location_id: int, *, active_only: bool = False) -> list[Register]:
        stmt = select(Register).where(Register.location_id == location_id).order_by(Register.id)
        if active_only:
            stmt = stmt.where(Register.is_active.is_(True))
        return list((await self.session.scalars(stmt)).all())

    async def get_for_seller(self, actor: CurrentUser, register_id: int) -> tuple[Register, Location]:
        register = await self.session.get(Register, register_id)
        location = await self.session.get(Location, register.location_id) if register else None
        if register is None or location is None or not (await rights_at(self.session, actor, location)).sell:
            raise NotFound(_("This register does not exist."))
        return register, location

    async def create(self, actor: CurrentUser, location_id: int, name: str) -> Register:
        location = await LocationAccess(self.session).for_managing(actor, location_id)
        name = " ".join((name or "").split())
        if not name:
            message = _("Give the register a name, such as “Quầy 2”.")
            raise ValidationFailed(message, fields={"name": message})
        if len(name) > 100:
            message = _("At most %(limit)d characters.", limit=100)
            raise ValidationFailed(message, fields={"name": message})
        register = Register(location_id=location.id, name=name)
        try:
            async with self.session.begin_nested():
                self.session.add(register)
                await self.session.flush()
        except IntegrityError as exc:
            message = _("There is already a register with this name here.")
            raise ValidationFailed(message, fields={"name": message}) from exc
        await audit.record(self.session, actor, "pos.register.created", "register", register.id, name=name)
        return register

    async def default_for(self, location: Location) -> Register:
        """The location's first active register; "Quầy 1" is made for a place that has none (safely when
        two sales arrive at once)."""
        stmt = (
            select(Register)
            .where(Register.location_id == location.id, Register.is_active.is_(True))
            .order_by(Register.id)
            .limit(1)
        )
        found = await self.session.scalar(stmt)
        if found is not None:
            return found
        insert = _insert_for(self.session)
        await self.session.execute(
            insert(Register)
            .values(location_id=location.id, name=DEFAULT_REGISTER_NAME, next_receipt_no=1, is_active=True)
            .on_conflict_do_nothing(index_elements=["location_id", "name"])
        )
        register = await self.session.scalar(
            select(Register).where(
                Register.location_id == location.id, Register.name == DEFAULT_REGISTER_NAME
            )
        )
        if register is None or not register.is_active:
            raise ValidationFailed(_("No register is open at this place."))
        return register

    async def for_sale(
        self, location: Location, register_id: int | None, *, closed_ok: bool = False
    ) -> Register:
        """The register a sale is rung up at. `closed_ok`: a paid card checkout's, even if closed since."""
        if register_id is None:
            return await self.default_for(location)
        register = await self.session.get(Register, register_id)
        if register is None or register.location_id != location.id:
            message = _("This register is not at this place.")
            raise ValidationFailed(message, fields={"register_id": message})
        if not register.is_active and not closed_ok:
            message = _("This register is closed.")
            raise ValidationFailed(message, fields={"register_id": message})
        return register

    async def numbered_for_sale(
        self, location: Location, register_id: int | None, *, closed_ok: bool = False
    ) -> tuple[Register, int]:
        """The register a sale is rung up at (the place's default one when none is named) and the sale's
        receipt number, in the caller's transaction, checked and numbered in one statement: gap-free,
        because a sale that fails rolls the number back with it, and the row stays locked until the sale
        commits. Only when it matches nothing is the register read again, to say why. `closed_ok`: a paid
        card checkout's sale takes its number even if the register closed since."""
        if register_id is None:
            register_id = (await self.default_for(location)).id
        found = await _NUMBER_AT.run(
            self.session, {"register": register_id, "location": location.id, "closed_ok": closed_ok}
        )
        row = found.one_or_none()
        if row is None:
            await self.for_sale(location, register_id, closed_ok=closed_ok)  # raises what is wrong
            raise ValidationFailed(_("This register is closed."))
        register = loaded(Register, row._asdict())  # as read: no more SQL for it
        return register, register.next_receipt_no - 1

    async def open_shifts(self, register_ids: Sequence[int]) -> dict[int, Shift]:
        if not register_ids:
            return {}
        stmt = select(Shift).where(Shift.register_id.in_(register_ids), Shift.status == ShiftStatus.OPEN)
        return {s.register_id: s for s in (await self.session.scalars(stmt)).all()}


# --- shifts and the Z report ---


@dataclass(frozen=True)
class ShiftView:
    shift: Shift
    register: Register
    location: Location
    report: dict[str, object]  # the Z report: as issued when closed, the figures so far when open
    late_sales: rules.LateSales | None = None  # a closed shift's addendum: sales synced after closing


class ShiftService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def current(self, register_id: int, *, lock: bool = False) -> Shift | None:
        """The open shift of a register. With `lock` (a sale or refund joining it), a closing that runs at
        the same time waits for this transaction, and this one sees the shift closed if it came first."""
        stmt = select(Shift).where(Shift.register_id == register_id, Shift.status == ShiftStatus.OPEN)
        if lock:
            stmt = stmt.with_for_update(read=True)
        return await self.session.scalar(stmt)

    async def covering(self, register_id: int, moment: dt.datetime) -> Shift | None:
        """The closed shift of a register that was open at `moment` (shifts of a register never overlap)."""
        stmt = (
            select(Shift)
            .where(
                Shift.register_id == register_id,
                Shift.status == ShiftStatus.CLOSED,
                Shift.created_at <= moment,
                Shift.closed_at >= moment,
            )
            .order_by(Shift.created_at.desc())
            .limit(1)
        )
        return await self.session.scalar(stmt)

    async def recent(self, register_id: int, limit: int = 10) -> list[Shift]:
        stmt = select(Shift).where(Shift.register_id == register_id).order_by(Shift.id.desc()).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    async def open(self, actor: CurrentUser, register_id: int, opening_float_vnd: int) -> ShiftView:
        register, location = await RegisterService(self.session).get_for_seller(actor, register_id)
        if not isinstance(opening_float_vnd, int) or opening_float_vnd < 0:
            message = _("The float is a whole number of đồng, zero or more.")
            raise ValidationFailed(message, fields={"opening_float_vnd": message})
        if not register.is_active:
            raise ValidationFailed(_("This register is closed."))
        if await self.current(register.id) is not None:
            raise Conflict(_("A shift is already open on this register."))
        shift = Shift(
            register_id=register.id,
            status=ShiftStatus.OPEN,
            opened_by=actor.id,
            opening_float_vnd=opening_float_vnd,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(shift)
                await self.session.flush()
        except IntegrityError as exc:  # another device opened one at the same moment
            raise Conflict(_("A shift is already open on this register.")) from exc
        await audit.record(
            self.session, actor, "pos.shift.opened", "shift", shift.id, opening_float_vnd=opening_float_vnd
        )
        return ShiftView(shift, register, location, await self._report(shift, register, location))

    async def close(self, actor: CurrentUser, shift_id: int, counted_cash_vnd: int) -> ShiftView:
        shift, register, location = await self.get_for_seller(actor, shift_id)
        if not isinstance(counted_cash_vnd, int) or counted_cash_vnd < 0:
            message = _("The counted cash is a whole number of đồng, zero or more.")
            raise ValidationFailed(message, fields={"counted_cash_vnd": message})
        # Close first (the row stays locked until commit): a sale joining the shift meanwhile waits, then
        # finds no open shift; so the report below counts every sale the shift will ever have.
        closing = (
            update(Shift)
            .where(Shift.id == shift.id, Shift.status == ShiftStatus.OPEN)
            .values(status=ShiftStatus.CLOSED, closed_by=actor.id, closed_at=_now())
            .returning(Shift.id)
            .execution_options(synchronize_session=False)
        )
        if (await self.session.execute(closing)).scalar_one_or_none() is None:
            raise Conflict(_("This shift is already closed."))
        await self.session.refresh(shift)
        figures = await self.figures(shift, counted_cash_vnd)
        report = await self._report(shift, register, location, figures)
        shift.counted_cash_vnd = counted_cash_vnd
        shift.expected_cash_vnd = figures.expected_cash_vnd
        shift.z_report = report
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "pos.shift.closed",
            "shift",
            shift.id,
            expected_cash_vnd=report["expected_cash_vnd"],
            counted_cash_vnd=counted_cash_vnd,
            difference_vnd=report["difference_vnd"],
        )
        return ShiftView(shift, register, location, report)

    async def get_for_seller(self, actor: CurrentUser, shift_id: int) -> tuple[Shift, Register, Location]:
        shift = await self.session.get(Shift, shift_id)
        if shift is None:
            raise NotFound(_("This shift does not exist."))
        try:
            register, location = await RegisterService(self.session).get_for_seller(actor, shift.register_id)
        except NotFound as exc:
            raise NotFound(_("This shift does not exist.")) from exc
        return shift, register, location

    async def view(self, actor: CurrentUser, shift_id: int) -> ShiftView:
        shift, register, location = await self.get_for_seller(actor, shift_id)
        if shift.status == ShiftStatus.CLOSED and shift.z_report:
            late = (await self.late_sales([shift])).get(shift.id)
            return ShiftView(shift, register, location, dict(shift.z_report), late)  # kept as issued
        return ShiftView(shift, register, location, await self._report(shift, register, location))

    async def figures(self, shift: Shift, counted_cash_vnd: int | None = None) -> rules.ZReport:
        """The Z report's figures: the shift's sales (not those synced after it closed), their payments,
        and the refunds paid from its drawer."""
        sales, payments = (await self._takings([shift.id], late=False)).get(shift.id, ([], []))
        refunds = (
            await self.session.execute(
                select(Refund.method, Refund.amount_vnd).where(Refund.shift_id == shift.id)
            )
        ).all()
        return rules.z_report(
            shift.opening_float_vnd,
            sales,
            payments,
            [rules.ZRefund(str(m), int(a)) for m, a in refunds],
            counted_cash_vnd,
        )

    async def late_sales(self, shifts: Sequence[Shift]) -> dict[int, rules.LateSales]:
        """shift id → the addendum of each closed shift that has sales synced after it closed."""
        closed = [s for s in shifts if s.status == ShiftStatus.CLOSED]
        found = await self._takings([s.id for s in closed], late=True)
        return {
            s.id: rules.late_sales(*found[s.id], s.expected_cash_vnd, s.counted_cash_vnd)
            for s in closed
            if s.id in found
        }

    async def _takings(
        self, shift_ids: Sequence[int], *, late: bool
    ) -> dict[int, tuple[list[rules.ZSale], list[rules.ZPayment]]]:
        """shift id → the sales (late ones, or the others) of those shifts and their payments, as the Z
        report counts them. Shifts without such sales are left out."""
        if not shift_ids:
            return {}
        of_shifts = (Sale.shift_id.in_(shift_ids), Sale.late.is_(late))
        sales = (
            await self.session.execute(
                select(
                    Sale.shift_id,
                    Sale.total_vnd,
                    Sale.discount_vnd,
                    func.coalesce(func.sum(SaleLine.discount_vnd), 0),
                )
                .join(SaleLine, SaleLine.sale_id == Sale.id)
                .where(*of_shifts)
                .group_by(Sale.id, Sale.shift_id, Sale.total_vnd, Sale.discount_vnd)
            )
        ).all()
        payments = (
            await self.session.execute(
                select(
                    Sale.shift_id,
                    Payment.method,
                    Payment.amount_vnd,
                    Payment.tendered_vnd,
                    Payment.change_vnd,
                )
                .join(Sale, Payment.sale_id == Sale.id)
                .where(*of_shifts, Payment.status != PaymentStatus.FAILED)
                .order_by(Payment.id)
            )
        ).all()
        found: dict[int, tuple[list[rules.ZSale], list[rules.ZPayment]]] = {}
        for shift_id, total, discount, line_discounts in sales:
            found.setdefault(int(shift_id or 0), ([], []))[0].append(
                rules.ZSale(int(total), int(discount) + int(line_discounts))
            )
        for shift_id, method, amount, tendered, change in payments:
            found.setdefault(int(shift_id or 0), ([], []))[1].append(
                rules.ZPayment(
                    str(method.value if isinstance(method, PaymentMethod) else method),
                    int(amount),
                    tendered,
                    int(change),
                )
            )
        return found

    async def _report(
        self, shift: Shift, register: Register, location: Location, figures: rules.ZReport | None = None
    ) -> dict[str, object]:
        figures = figures or await self.figures(shift)
        names = await user_names(self.session, [shift.opened_by, shift.closed_by])
        return {
            "shift_id": shift.id,
            "register_id": register.id,
            "register_name": register.name,
            "location_id": location.id,
            "location_name": location.name,
            "status": shift.status.value,
            "opened_at": shift.created_at.isoformat(),
            "closed_at": shift.closed_at.isoformat() if shift.closed_at else None,
            "opened_by": names.get(shift.opened_by or 0, ""),
            "closed_by": names.get(shift.closed_by or 0, ""),
            **figures.as_dict(),
        }


# --- sales ---


@dataclass(frozen=True)
class SaleView:
    sale: Sale
    register: Register
    location: Location
    payments: Sequence[Payment]
    created: bool = True
    refunds: Sequence[Refund] = ()


@dataclass
class PricedLine:
    """A line of the sale being rung up, before it is written."""

    product_id: int | None
    combo_id: int | None
    name: str
    quantity: int
    unit_price_vnd: int
    discount_vnd: int
    components: list[tuple[int, int]] = field(default_factory=list)  # a combo's (product, per combo)


class SaleService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_uuid(self, sale_uuid: uuid.UUID) -> Sale | None:
        return await self.session.scalar(
            select(Sale).where(Sale.uuid == sale_uuid).execution_options(populate_existing=True)
        )

    async def view(self, sale: Sale, *, created: bool = True, with_refunds: bool = False) -> SaleView:
        register = await self.session.get(Register, sale.register_id)
        location = await self.session.get(Location, sale.location_id)
        if register is None or location is None:  # foreign keys forbid it
            raise NotFound(_("This sale does not exist."))
        payments = (
            await self.session.scalars(select(Payment).where(Payment.sale_id == sale.id).order_by(Payment.id))
        ).all()
        refunds: Sequence[Refund] = ()
        if with_refunds:
            refunds = (
                await self.session.scalars(
                    select(Refund).where(Refund.sale_id == sale.id).order_by(Refund.id)
                )
            ).all()
        return SaleView(sale, register, location, payments, created, refunds)

    async def _stored(self, actor: CurrentUser, sale: Sale) -> SaleView:
        location = await self.session.get(Location, sale.location_id)
        if location is None or not (await rights_at(self.session, actor, location)).sell:
            raise PermissionDenied(_("You may not sell at this place."))
        return await self.view(sale, created=False)

    async def ring_up(
        self,
        actor: CurrentUser,
        payload: SaleIn,
        *,
        paid_by: Payment | None = None,
        signing_key: str | None = None,
    ) -> SaleView:
        """POST /api/v1/sales. Returns the sale and whether it was created now (201) or before (200).

        `paid_by`: a card payment that Stripe said succeeded (app/pos/card.py completes a card checkout
        with it). It pays the whole sale at the prices the checkout showed, and the goods are gone with the
        shopper, so a stock shortfall is recorded rather than refused — and so is a place or register closed
        since the checkout opened (refusing would leave the money taken, no sale and the stock held).

        All or nothing with the caller's transaction: a refused sale has taken a receipt number, so the
        caller rolls back (a request does; a savepoint here cost the sale path two round trips).

        `signing_key`: read the sale's cashier pass with it (the register's sales carry one): a sale rung
        up by someone else on this phone, sent from its outbox by whoever is logged in now, stays theirs —
        and so does the right to the discounts in it, as their page had it."""
        await self._claim(payload.id)
        if (await _SALE_ID.run(self.session, {"sale_uuid": payload.id})).first() is not None:
            existing = await self.by_uuid(payload.id)
            assert existing is not None  # sales are never deleted
            return await self._stored(actor, existing)

        places = LocationAccess(self.session)
        if paid_by is None:
            location = await places.for_selling(actor, payload.location_id)
        else:
            location = await places.get(payload.location_id)
        rung_by = self._rung_by(actor, payload, signing_key)
        if any(line.discount_vnd for line in payload.lines) or payload.discount_vnd:
            if rung_by is not None:
                may_discount = rung_by.may_discount
            else:
                may_discount = (await rights_at(self.session, actor, location)).manage
            if not may_discount:
                raise PermissionDenied(_("Only the vendor can give a discount; a cashier cannot."))
        lines, names = await self._lines(location, payload, keep_prices=paid_by is not None)
        try:
            totals = rules.sale_totals(
                [rules.LineIn(li.unit_price_vnd, li.quantity, li.discount_vnd) for li in lines],
                payload.discount_vnd,
            )
            if paid_by is None:
                settlement = rules.settle(
                    totals.total_vnd,
                    [rules.TenderIn(p.method, p.amount_vnd, p.tendered_vnd) for p in payload.payments],
                )
            else:
                settlement = rules.settle(
                    totals.total_vnd, [rules.TenderIn(rules.STRIPE, paid_by.amount_vnd)]
                )
        except rules.SaleRuleError as error:
            raise _fields_error(error) from error
        if paid_by is not None and paid_by.amount_vnd != totals.total_vnd:
            raise Conflict(_("The card payment does not match the sale's total."))
        registers = RegisterService(self.session)
        now = _now()
        client_at = rules.client_time(payload.created_at, now)
        reference = rules.payment_reference(payload.id)
        register, receipt_no = await registers.numbered_for_sale(
            location, payload.register_id, closed_ok=paid_by is not None
        )
        shift_id, late = await self._shift_for(register, payload.offline, client_at)
        row: dict[str, Any] = {
            "uuid": payload.id,
            "location_id": location.id,
            "register_id": register.id,
            "shift_id": shift_id,
            "cashier_id": actor.id if rung_by is None else rung_by.user_id,
            "sent_by_id": None if rung_by is None else actor.id,
            "receipt_no": receipt_no,
            "status": SaleStatus.COMPLETED,
            "subtotal_vnd": totals.subtotal_vnd,
            "discount_vnd": totals.discount_vnd,
            "total_vnd": totals.total_vnd,
            "paid_vnd": settlement.paid_vnd,
            "change_vnd": settlement.change_vnd,
            "refunded_vnd": 0,
            "client_created_at": client_at,
            "offline": payload.offline,
            "late": late,
            "had_shortfall": False,
            "locale": payload.locale,
            "created_at": now,
            "updated_at": now,
        }
        sale_id = (await _INSERT_SALE.run(self.session, row)).scalar_one()
        sale = await self._write_lines(loaded(Sale, {"id": sale_id, **row}), lines, totals.lines, now)
        if paid_by is None:
            parts = [self._payment(sale_id, part, reference, actor, now) for part in settlement.parts]
            ids = [row.id for row in await _INSERT_PAYMENT.each(self.session, parts)]
            payments = [loaded(Payment, {"id": i, **part}) for i, part in zip(ids, parts, strict=True)]
        else:
            paid_by.sale_id = sale_id
            payments = [paid_by]
            await self.session.flush()
        # Stock last: its rows stay locked until commit, so the less that follows, the less other
        # registers selling the same products wait.
        removals = await StockService(self.session).take_many(
            location.id,
            stock_rules.expand_combos(
                [(li.product_id, li.combo_id, li.quantity) for li in lines],
                {li.combo_id: li.components for li in lines if li.combo_id is not None},
            ),
            MovementKind.SALE,
            reason=_("Sale %(no)s", no=f"{register.name} #{receipt_no}"),
            reference=f"sale:{payload.id}",
            actor=actor,
            allow_shortfall=payload.offline or paid_by is not None,
            names=names,
        )
        if any(r.shortfall for r in removals):
            await _MARK_SHORTFALL.run(self.session, {"sale": sale_id})
            sale.had_shortfall = True
        return SaleView(sale, register, location, payments, created=True)

    @staticmethod
    def _rung_by(actor: CurrentUser, payload: SaleIn, signing_key: str | None) -> rules.CashierPass | None:
        """The person the sale's cashier pass names, when that is not the sender and the pass is good for
        the sale's register; else None: the sale is the sender's."""
        if signing_key is None or not payload.cashier_pass or payload.register_id is None:
            return None
        found = rules.read_cashier_pass(payload.cashier_pass, signing_key, payload.register_id, _now())
        return found if found is not None and found.user_id != actor.id else None

    async def _claim(self, sale_uuid: uuid.UUID) -> None:
        """Make two deliveries of one sale at once take turns: the second waits here until the first
        commits, then finds it stored. On PostgreSQL a transaction-scoped advisory lock on the sale's id
        (collisions of the 64-bit key only make two sales take turns); on SQLite the request's write lock,
        taken at BEGIN, already does it."""
        if on_postgresql(self.session):
            await _CLAIM.run(self.session, {"key": int.from_bytes(sale_uuid.bytes[:8], "big", signed=True)})

    async def _shift_for(
        self, register: Register, offline: bool, client_at: dt.datetime | None
    ) -> tuple[int | None, bool]:
        """The shift a sale joins, and whether it is late. The open shift (locked `FOR SHARE`: a closing at
        this moment waits for the sale, or the sale finds the shift closed). With none open, a sale rung up
        offline joins the shift that was open when the register's clock says it was rung up — late: after
        that shift's Z report, in its addendum. The open shift wins over the register's clock, which may
        run behind. No shift then: no shift, as for any sale made with none open."""
        shift_id = (await _OPEN_SHIFT_ID.run(self.session, {"register": register.id})).scalar_one_or_none()
        if shift_id is not None or not offline or client_at is None:
            return shift_id, False
        closed = await ShiftService(self.session).covering(register.id, client_at)
        return (closed.id, True) if closed is not None else (None, False)

    @staticmethod
    def _payment(
        sale_id: int, part: rules.Settled, reference: str, actor: CurrentUser, now: dt.datetime
    ) -> dict[str, Any]:
        try:
            outcome = provider(part.method).accept(part.amount_vnd, part.tendered_vnd, reference)
        except (KeyError, PaymentRefused) as exc:
            message = _("This payment method is not available.")
            raise ValidationFailed(message, fields={"payments": message}) from exc
        return {
            "sale_id": sale_id,
            "assignment_id": None,
            "method": outcome.method,
            "status": outcome.status,
            "amount_vnd": outcome.amount_vnd,
            "tendered_vnd": outcome.tendered_vnd,
            "change_vnd": outcome.change_vnd,
            "refunded_vnd": 0,
            "provider_reference": outcome.provider_reference,
            "created_by": actor.id,
            "checkout_id": None,
            "pay_token": None,
            "failure_message": "",
            "created_at": now,
            "updated_at": now,
        }

    async def _write_lines(
        self, sale: Sale, lines: Sequence[PricedLine], amounts: Sequence[rules.LineAmount], now: dt.datetime
    ) -> Sale:
        """Insert the sale's lines (and a combo line's components, as the combo is now) and return the sale
        with them, as detached objects that need no more SQL (the inserts were Core: a sale is written on
        every tap of "Pay", and the ORM's unit of work cost more than the statements)."""
        rows = [
            {
                "sale_id": sale.id,
                "line_no": number,
                "product_id": line.product_id,
                "combo_id": line.combo_id,
                "name": line.name[:200],
                "quantity": line.quantity,
                "unit_price_vnd": line.unit_price_vnd,
                "discount_vnd": amount.discount_vnd,
                "total_vnd": amount.total_vnd,
                "refunded_quantity": 0,
                "created_at": now,
                "updated_at": now,
            }
            for number, (line, amount) in enumerate(zip(lines, amounts, strict=True), start=1)
        ]
        ids = [row.id for row in await _INSERT_LINE.each(self.session, rows)]
        components = [
            {
                "sale_line_id": line_id,
                "product_id": product_id,
                "quantity": per_combo,
                "created_at": now,
                "updated_at": now,
            }
            for line_id, line in zip(ids, lines, strict=True)
            for product_id, per_combo in line.components
        ]
        component_ids = [row.id for row in await _INSERT_COMPONENT.each(self.session, components)]
        made = iter(zip(component_ids, components, strict=True))
        as_read(
            sale,
            lines=[
                loaded(
                    SaleLine,
                    {"id": line_id, **row},
                    components=[
                        loaded(SaleLineComponent, {"id": i, **c})
                        for i, c in itertools.islice(made, len(line.components))
                    ],
                )
                for line_id, row, line in zip(ids, rows, lines, strict=True)
            ],
        )
        return sale

    @staticmethod
    def _price(fixed: bool, item: SaleLineIn, catalog_price: int) -> int:
        """An offline sale (or a card checkout's) keeps the price the register showed; an online one pays
        today's price."""
        if fixed and item.unit_price_vnd is not None:
            return item.unit_price_vnd
        return catalog_price

    async def priced_lines(
        self, location: Location, payload: SaleIn
    ) -> tuple[list[PricedLine], dict[int, str]]:
        """The sale's lines priced as they would be sold now (a card checkout fixes them before paying)."""
        return await self._lines(location, payload)

    async def _lines(
        self, location: Location, payload: SaleIn, *, keep_prices: bool = False
    ) -> tuple[list[PricedLine], dict[int, str]]:
        """The sale's lines with prices and names as sold (each product or combo must be on sale here), and
        the names of the products whose stock they take, for an "only N left" answer. `keep_prices`: the
        goods already left at the prices the register showed (an offline sale, a card checkout paid)."""
        fixed = payload.offline or keep_prices
        product_ids = {li.product_id for li in payload.lines if li.product_id is not None}
        combo_ids = {li.combo_id for li in payload.lines if li.combo_id is not None}
        products: dict[int, Any] = {}  # rows of _PRODUCTS_SOLD
        if product_ids:
            found = await _PRODUCTS_SOLD.run(self.session, {"ids": sorted(product_ids)})
            products = {p.id: p for p in found.all()}
        combos: dict[int, Combo] = {}
        if combo_ids:
            found_combos = await self.session.scalars(select(Combo).where(Combo.id.in_(combo_ids)))
            combos = {c.id: c for c in found_combos.all()}
        # Another producer's product is sold at a producer's place only if it is stocked there.
        foreign = {p.id for p in products.values() if p.producer_id != location.producer_id} | {
            ci.product_id
            for c in combos.values()
            for ci in c.items
            if ci.product.producer_id != location.producer_id
        }
        stocked: set[int] = set()
        if foreign and location.producer_id is not None:
            stocked = set(await StockService(self.session).levels_at(location.id, sorted(foreign)))

        def sold_here(product: Product | Any) -> bool:
            """A producer's place sells its own products and whatever is stocked there; a showroom (an
            organization's place) sells every producer's."""
            return (
                location.producer_id is None
                or product.producer_id == location.producer_id
                or product.id in stocked
            )

        english = payload.locale == "en"
        lines: list[PricedLine] = []
        for i, item in enumerate(payload.lines):
            where = f"lines[{i}]"
            if (item.product_id is None) == (item.combo_id is None):
                message = _("Each line is a product or a combo: give product_id or combo_id.")
                raise ValidationFailed(message, fields={where: message})
            if item.product_id is not None:
                product = products.get(item.product_id)
                if product is None or not sold_here(product):
                    message = _("Unknown product: %(id)s.", id=item.product_id)
                    raise ValidationFailed(message, fields={f"{where}.product_id": message})
                if not product.is_active and not fixed:  # the goods already left
                    message = _("%(name)s is not on sale.", name=product.name_vi)
                    raise ValidationFailed(message, fields={f"{where}.product_id": message})
                if product.price_vnd <= 0:
                    message = _("%(name)s has no price yet.", name=product.name_vi)
                    raise ValidationFailed(message, fields={f"{where}.product_id": message})
                name = (product.name_en if english and product.name_en else product.name_vi) or ""
                price = self._price(fixed, item, product.price_vnd)
                lines.append(PricedLine(product.id, None, name, item.quantity, price, item.discount_vnd))
            else:
                combo = combos.get(item.combo_id or 0)
                if combo is None or not all(sold_here(ci.product) for ci in combo.items):
                    message = _("Unknown combo: %(id)s.", id=item.combo_id)
                    raise ValidationFailed(message, fields={f"{where}.combo_id": message})
                if not combo.items or (not combo.is_active and not fixed):
                    message = _("%(name)s is not on sale.", name=combo.name_vi)
                    raise ValidationFailed(message, fields={f"{where}.combo_id": message})
                name = (combo.name_en if english and combo.name_en else combo.name_vi) or ""
                components = [(ci.product_id, ci.quantity) for ci in combo.items]
                price = self._price(fixed, item, combo.price_vnd)
                lines.append(
                    PricedLine(None, combo.id, name, item.quantity, price, item.discount_vnd, components)
                )
        names = {ci.product_id: ci.product.name_vi for c in combos.values() for ci in c.items}
        names.update({p.id: p.name_vi for p in products.values()})
        return lines, names


# --- refunds ---


@dataclass(frozen=True)
class RefundView:
    refund: Refund
    sale: Sale
    created: bool = True
    lines: Sequence[tuple[SaleLine, RefundLine]] = ()


class RefundService:
    def __init__(self, session: AsyncSession, gateway: StripeGateway | None = None) -> None:
        self.session = session
        self.gateway = gateway  # for refunds to the card: None when Stripe is not configured

    async def refund(self, actor: CurrentUser, sale_uuid: uuid.UUID, payload: RefundIn) -> RefundView:
        """POST /api/v1/sales/{id}/refunds: whole (no lines) or by line, with a reason; idempotent by the
        refund's own UUID. Stock goes back to the sale's place; cash refunds leave the open shift's drawer."""
        sales = SaleService(self.session)
        sale = await sales.by_uuid(sale_uuid)
        location = await self.session.get(Location, sale.location_id) if sale else None
        if sale is None or location is None:
            raise NotFound(_("This sale does not exist."))
        allowed = await rights_at(self.session, actor, location)
        if not allowed.sell:
            raise NotFound(_("This sale does not exist."))

        # Refunds of one sale take turns: lock the sale's row, then look for this refund.
        lock = (
            update(Sale)
            .where(Sale.id == sale.id)
            .values(refunded_vnd=Sale.refunded_vnd)
            .returning(Sale.id)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(lock)
        existing = await self._by_uuid(payload.id)
        if existing is not None:
            if existing.sale_id != sale.id:
                raise Conflict(_("This refund id was already used for another sale."))
            return await self.view(existing, created=False)
        if not allowed.manage:
            raise PermissionDenied(_("Only the vendor can refund a sale; a cashier cannot."))

        reason = " ".join(payload.reason.split())
        if not reason:
            message = _("Say why the sale is refunded.")
            raise ValidationFailed(message, fields={"reason": message})
        method = PaymentMethod(payload.method)
        card = await self._card_payment(sale) if method == PaymentMethod.STRIPE else None

        drawer = sale.register_id
        if payload.register_id is not None and payload.register_id != sale.register_id:
            register = await self.session.get(Register, payload.register_id)
            if register is None or register.location_id != sale.location_id:
                message = _("This register is not at this place.")
                raise ValidationFailed(message, fields={"register_id": message})
            drawer = register.id

        await self.session.refresh(sale)
        sale_lines = list(
            (
                await self.session.scalars(
                    select(SaleLine)
                    .where(SaleLine.sale_id == sale.id)
                    .order_by(SaleLine.line_no)
                    .execution_options(populate_existing=True)
                )
            ).all()
        )
        wanted = self._wanted(sale_lines, payload)
        nets = rules.line_nets([line.total_vnd for line in sale_lines], sale.discount_vnd)
        net_of = {line.id: net for line, net in zip(sale_lines, nets, strict=True)}
        amounts = {
            line.id: rules.refund_amount(net_of[line.id], line.quantity, line.refunded_quantity, quantity)
            for line, quantity in wanted
        }
        total = sum(amounts.values())
        if total <= 0:
            message = _("Nothing to pay back: these items cost nothing.")
            raise ValidationFailed(message, fields={"lines": message})
        if card is not None and total > card.amount_vnd - card.refunded_vnd:
            message = _(
                "The card payment has only %(left)s left to refund.",
                left=money(card.amount_vnd - card.refunded_vnd),
            )
            raise ValidationFailed(message, fields={"method": message})

        refund = Refund(
            uuid=payload.id,
            sale_id=sale.id,
            actor_id=actor.id,
            reason=reason,
            amount_vnd=total,
            method=method.value,
            lines=[],
        )
        pairs: list[tuple[SaleLine, RefundLine]] = []
        try:
            async with self.session.begin_nested():
                shift = await ShiftService(self.session).current(drawer, lock=True)
                refund.shift_id = shift.id if shift else None
                self.session.add(refund)
                await self.session.flush()
                for line, quantity in wanted:
                    refund_line = RefundLine(
                        sale_line_id=line.id, quantity=quantity, amount_vnd=amounts[line.id]
                    )
                    refund.lines.append(refund_line)
                    pairs.append((line, refund_line))
                    line.refunded_quantity += quantity
                sale.refunded_vnd += total
                sale.status = SaleStatus(
                    rules.sale_status({li.id: (li.quantity, li.refunded_quantity) for li in sale_lines})
                )
                await self._return_stock(actor, sale, wanted, payload.id)
                await self._mark_payments(sale, method, total)
                await self.session.flush()
                if card is not None:
                    await self._refund_card(actor, card, total, payload.id)
        except IntegrityError:
            stored = await self._by_uuid(payload.id)
            if stored is None or stored.sale_id != sale.id:
                raise
            return await self.view(stored, created=False)
        await audit.record(
            self.session,
            actor,
            "pos.refund.created",
            "refund",
            refund.id,
            sale=str(sale.uuid),
            amount_vnd=total,
            method=method.value,
            reason=reason,
        )
        return RefundView(refund, sale, True, pairs)

    async def _card_payment(self, sale: Sale) -> Payment:
        """The sale's card payment that a refund to the card pays back from."""
        card = await self.session.scalar(
            select(Payment).where(
                Payment.sale_id == sale.id,
                Payment.method == PaymentMethod.STRIPE,
                Payment.status.in_([PaymentStatus.SUCCEEDED, PaymentStatus.PARTLY_REFUNDED]),
            )
        )
        if card is None or self.gateway is None:
            message = _("This sale was not paid by card: refund it in cash or by transfer.")
            raise ValidationFailed(message, fields={"method": message})
        return card

    async def _refund_card(
        self, actor: CurrentUser, card: Payment, amount: int, refund_uuid: uuid.UUID
    ) -> None:
        """Ask Stripe for the refund last, once everything else is written: refused → all rolls back. The
        refund's UUID is Stripe's idempotency key, so a retry after a lost answer pays back only once."""
        assert self.gateway is not None
        try:
            stripe_refund = await asyncio.to_thread(
                self.gateway.refund, card.provider_reference, amount, str(refund_uuid)
            )
        except GatewayError as exc:
            raise Conflict(
                _("Stripe did not make the card refund; nothing was refunded. Try again in a moment.")
            ) from exc
        history.note(
            self.session,
            card,
            _("Refunded to the card: %(amount)s.", amount=money(amount)),
            source=stripe_refund,
            actor=actor,
        )

    async def _by_uuid(self, refund_uuid: uuid.UUID) -> Refund | None:
        return await self.session.scalar(select(Refund).where(Refund.uuid == refund_uuid))

    async def view(self, refund: Refund, *, created: bool = True) -> RefundView:
        sale = await self.session.get(Sale, refund.sale_id, populate_existing=True)
        if sale is None:
            raise NotFound(_("This sale does not exist."))
        by_id = {line.id: line for line in sale.lines}
        pairs = [(by_id[rl.sale_line_id], rl) for rl in refund.lines if rl.sale_line_id in by_id]
        return RefundView(refund, sale, created, pairs)

    @staticmethod
    def _wanted(sale_lines: Sequence[SaleLine], payload: RefundIn) -> list[tuple[SaleLine, int]]:
        """(line, quantity to refund) in line order; no lines asked = everything not yet refunded."""
        if not payload.lines:
            rest = [(li, li.quantity - li.refunded_quantity) for li in sale_lines]
            rest = [(li, q) for li, q in rest if q > 0]
            if not rest:
                raise Conflict(_("This sale is already fully refunded."))
            return rest
        by_no = {li.line_no: li for li in sale_lines}
        by_id = {li.id: li for li in sale_lines}
        asked: dict[int, int] = {}
        first_index: dict[int, int] = {}
        for i, item in enumerate(payload.lines):
            where = f"lines[{i}]"
            number = item.sale_line_no or item.line_no
            if number is not None:
                line = by_no.get(number)
            elif item.sale_line_id is not None:
                line = by_id.get(item.sale_line_id)
            else:
                message = _("Say which line: give its line_no.")
                raise ValidationFailed(message, fields={where: message})
            if line is None:
                message = _("This sale has no such line.")
                raise ValidationFailed(message, fields={f"{where}.line_no": message})
            asked[line.id] = asked.get(line.id, 0) + item.quantity
            first_index.setdefault(line.id, i)
        wanted = []
        for line in sale_lines:
            quantity = asked.get(line.id)
            if quantity is None:
                continue
            left = line.quantity - line.refunded_quantity
            if quantity > left:
                message = _("Only %(left)d of %(name)s can still be refunded.", left=left, name=line.name)
                raise ValidationFailed(message, fields={f"lines[{first_index[line.id]}].quantity": message})
            wanted.append((line, quantity))
        return wanted

    async def _return_stock(
        self, actor: CurrentUser, sale: Sale, wanted: Sequence[tuple[SaleLine, int]], refund_uuid: uuid.UUID
    ) -> None:
        components = await self._components([line for line, _q in wanted if line.combo_id is not None])
        # Keyed by sale line, not by combo: each combo line returns what it held when it was sold.
        back = stock_rules.expand_combos(
            [
                (line.product_id, line.id if line.combo_id is not None else None, quantity)
                for line, quantity in wanted
            ],
            components,
        )
        stock = StockService(self.session)
        for product_id, quantity in back:  # product-id order, like every writer of stock
            await stock.put(
                product_id,
                sale.location_id,
                quantity,
                MovementKind.REFUND,
                reason=_("Refund of receipt #%(no)d", no=sale.receipt_no),
                reference=f"refund:{refund_uuid}",
                actor=actor,
            )

    async def _components(self, combo_lines: Sequence[SaleLine]) -> dict[int, list[tuple[int, int]]]:
        """sale line id → the (product, quantity per combo) it sold: as recorded on the line when it was rung
        up, so a combo edited since returns what really left the stall."""
        if not combo_lines:
            return {}
        rows = await self.session.execute(
            select(SaleLineComponent.sale_line_id, SaleLineComponent.product_id, SaleLineComponent.quantity)
            .where(SaleLineComponent.sale_line_id.in_([line.id for line in combo_lines]))
            .order_by(SaleLineComponent.sale_line_id, SaleLineComponent.product_id)
        )
        found: dict[int, list[tuple[int, int]]] = {}
        for line_id, product_id, quantity in rows.all():
            found.setdefault(int(line_id), []).append((int(product_id), int(quantity)))
        unrecorded = {line.combo_id for line in combo_lines if line.id not in found and line.combo_id}
        if unrecorded:
            # Sales rung up before migration 0004 did not record what their combos held. The combo's
            # current items are the best record left (and what refunds of them used before); the migration
            # does not backfill them, so recorded components always mean "as sold", never a guess.
            combos = {
                c.id: [(ci.product_id, ci.quantity) for ci in c.items]
                for c in (await self.session.scalars(select(Combo).where(Combo.id.in_(unrecorded)))).all()
            }
            for line in combo_lines:
                if line.id not in found and line.combo_id is not None:
                    found[line.id] = combos.get(line.combo_id, [])
        return found

    async def _mark_payments(self, sale: Sale, method: PaymentMethod, amount: int) -> None:
        """Record the money back on the sale's payments of the same method (the card refund of Stripe will
        need it); a cash refund of a VietQR sale leaves the transfer as it was."""
        payments = (
            await self.session.scalars(
                select(Payment)
                .where(Payment.sale_id == sale.id, Payment.method == method)
                .order_by(Payment.id)
            )
        ).all()
        left = amount
        for payment in payments:
            room = payment.amount_vnd - payment.refunded_vnd
            take = min(room, left)
            if take <= 0:
                continue
            payment.refunded_vnd += take
            payment.status = history.refund_status(payment.amount_vnd, payment.refunded_vnd)
            left -= take


# --- reads: receipts, history, reports ---


@dataclass(frozen=True)
class SaleFilters:
    location_id: int | None = None
    register_id: int | None = None
    day: dt.date | None = None
    page: int = 1
    search: rules.SaleSearch | None = None  # a receipt number or payment reference (rules.sale_search)


@dataclass(frozen=True)
class ProductRow:
    product_id: int | None
    combo_id: int | None
    name: str
    quantity: int
    refunded_quantity: int
    total_vnd: int


@dataclass(frozen=True)
class MethodRow:
    method: str
    payments: int
    sales_vnd: int
    refunds: int
    refunds_vnd: int

    @property
    def net_vnd(self) -> int:
        return self.sales_vnd - self.refunds_vnd


@dataclass(frozen=True)
class HourRow:
    hour: int
    sales: int
    total_vnd: int


@dataclass(frozen=True)
class CashierRow:
    cashier_id: int | None
    name: str  # "" when the sale has no cashier left (the account was removed)
    sales: int
    total_vnd: int


@dataclass(frozen=True)
class DayReport:
    location: Location
    day: dt.date
    register: Register | None
    sales_count: int
    sales_total_vnd: int
    discounts_vnd: int
    refunds_count: int
    refunds_vnd: int
    shortfall_sales: int
    by_product: list[ProductRow]
    by_method: list[MethodRow]
    by_hour: list[HourRow]
    by_cashier: list[CashierRow]

    @property
    def net_vnd(self) -> int:
        return self.sales_total_vnd - self.refunds_vnd


class SaleQueries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def sellable_locations(self, actor: CurrentUser) -> list[Location]:
        stmt = (
            select(Location)
            .where(sellable(actor), Location.is_active.is_(True))
            .order_by(Location.name, Location.id)
        )
        return list((await self.session.scalars(stmt)).all())

    async def location_for_seller(self, actor: CurrentUser, location_id: int) -> Location:
        location = await self.session.get(Location, location_id)
        if location is None or not (await rights_at(self.session, actor, location)).sell:
            raise NotFound(_("This place does not exist."))
        return location

    async def get(self, actor: CurrentUser, sale_uuid: uuid.UUID) -> SaleView:
        """A sale for the people who sell at its place; anyone else: not found."""
        sale = await SaleService(self.session).by_uuid(sale_uuid)
        location = await self.session.get(Location, sale.location_id) if sale else None
        if sale is None or location is None or not (await rights_at(self.session, actor, location)).sell:
            raise NotFound(_("This sale does not exist."))
        return await SaleService(self.session).view(sale, with_refunds=True)

    async def public(self, sale_uuid: uuid.UUID) -> SaleView:
        """The receipt behind its unguessable UUID: no login needed."""
        sale = await SaleService(self.session).by_uuid(sale_uuid)
        if sale is None:
            raise NotFound(_("This receipt does not exist."))
        return await SaleService(self.session).view(sale, with_refunds=True)

    async def can_manage(self, actor: CurrentUser | None, location: Location) -> bool:
        return (await rights_at(self.session, actor, location)).manage

    async def can_sell(self, actor: CurrentUser | None, location: Location) -> bool:
        return (await rights_at(self.session, actor, location)).sell

    async def line_makers(self, sale: Sale) -> dict[int, str]:
        """line no → the producer (or showroom operator) behind it, for the receipt."""
        product_ids = [li.product_id for li in sale.lines if li.product_id is not None]
        combo_ids = [li.combo_id for li in sale.lines if li.combo_id is not None]
        product_makers: dict[int, str] = {}
        if product_ids:
            rows = await self.session.execute(
                select(Product.id, Producer.name)
                .join(Producer, Producer.id == Product.producer_id)
                .where(Product.id.in_(product_ids))
            )
            product_makers = {int(i): str(n) for i, n in rows.all()}
        combo_makers: dict[int, str] = {}
        if combo_ids:
            rows = await self.session.execute(
                select(Combo.id, func.coalesce(Producer.name, Organization.name))
                .outerjoin(Producer, Producer.id == Combo.producer_id)
                .outerjoin(Organization, Organization.id == Combo.organization_id)
                .where(Combo.id.in_(combo_ids))
            )
            combo_makers = {int(i): str(n or "") for i, n in rows.all()}
        makers = {}
        for line in sale.lines:
            if line.product_id is not None:
                makers[line.line_no] = product_makers.get(line.product_id, "")
            elif line.combo_id is not None:
                makers[line.line_no] = combo_makers.get(line.combo_id, "")
        return makers

    async def history(self, actor: CurrentUser, filters: SaleFilters) -> Page[Sale]:
        stmt = history_filtered(select(Sale), actor, filters).order_by(Sale.id.desc())
        return await paginate(self.session, stmt, filters.page, HISTORY_PAGE_SIZE)

    async def registers_of(self, location_ids: Sequence[int]) -> dict[int, list[Register]]:
        if not location_ids:
            return {}
        stmt = select(Register).where(Register.location_id.in_(location_ids)).order_by(Register.id)
        found: dict[int, list[Register]] = {i: [] for i in location_ids}
        for register in (await self.session.scalars(stmt)).all():
            found.setdefault(register.location_id, []).append(register)
        return found

    async def register_names(self, register_ids: Sequence[int]) -> dict[int, str]:
        if not register_ids:
            return {}
        rows = await self.session.execute(
            select(Register.id, Register.name).where(Register.id.in_(register_ids))
        )
        return {int(i): str(n) for i, n in rows.all()}

    async def day_report(
        self, actor: CurrentUser, location_id: int, day: dt.date, register_id: int | None = None
    ) -> DayReport:
        location = await self.location_for_seller(actor, location_id)
        register = None
        if register_id is not None:
            register = await self.session.get(Register, register_id)
            if register is None or register.location_id != location.id:
                raise NotFound(_("This register does not exist."))
        start, end = rules.vn_day_bounds(day)
        in_day = [Sale.location_id == location.id, sold_at() >= start, sold_at() < end]
        if register is not None:
            in_day.append(Sale.register_id == register.id)

        sales = (
            await self.session.execute(
                select(
                    sold_at(), Sale.total_vnd, Sale.discount_vnd, Sale.had_shortfall, Sale.cashier_id
                ).where(*in_day)
            )
        ).all()
        line_discounts = await self.session.scalar(
            select(func.coalesce(func.sum(SaleLine.discount_vnd), 0))
            .join(Sale, Sale.id == SaleLine.sale_id)
            .where(*in_day)
        )
        products = (
            await self.session.execute(
                select(
                    SaleLine.product_id,
                    SaleLine.combo_id,
                    func.max(SaleLine.name),
                    func.sum(SaleLine.quantity),
                    func.sum(SaleLine.refunded_quantity),
                    func.sum(SaleLine.total_vnd),
                )
                .join(Sale, Sale.id == SaleLine.sale_id)
                .where(*in_day)
                .group_by(SaleLine.product_id, SaleLine.combo_id)
                .order_by(func.sum(SaleLine.total_vnd).desc())
            )
        ).all()
        paid = (
            await self.session.execute(
                select(Payment.method, func.count(Payment.id), func.sum(Payment.amount_vnd))
                .join(Sale, Sale.id == Payment.sale_id)
                .where(*in_day, Payment.status != PaymentStatus.FAILED)
                .group_by(Payment.method)
            )
        ).all()
        refund_filter = [Sale.location_id == location.id, Refund.created_at >= start, Refund.created_at < end]
        if register is not None:
            refund_filter.append(Sale.register_id == register.id)
        refunded = (
            await self.session.execute(
                select(Refund.method, func.count(Refund.id), func.sum(Refund.amount_vnd))
                .join(Sale, Sale.id == Refund.sale_id)
                .where(*refund_filter)
                .group_by(Refund.method)
            )
        ).all()

        methods: dict[str, list[int]] = {}
        for paid_by, count, amount in paid:
            key = paid_by.value if isinstance(paid_by, PaymentMethod) else str(paid_by)
            methods.setdefault(key, [0, 0, 0, 0])[:2] = [int(count), int(amount or 0)]
        for refunded_by, count, amount in refunded:
            methods.setdefault(str(refunded_by), [0, 0, 0, 0])[2:] = [int(count), int(amount or 0)]
        order = {m: i for i, m in enumerate(rules.METHODS)}
        return DayReport(
            location=location,
            day=day,
            register=register,
            sales_count=len(sales),
            sales_total_vnd=sum(int(s[1]) for s in sales),
            discounts_vnd=sum(int(s[2]) for s in sales) + int(line_discounts or 0),
            refunds_count=sum(int(r[1]) for r in refunded),
            refunds_vnd=sum(int(r[2] or 0) for r in refunded),
            shortfall_sales=sum(1 for s in sales if s[3]),
            by_product=[
                ProductRow(pid, cid, str(name or ""), int(q or 0), int(rq or 0), int(t or 0))
                for pid, cid, name, q, rq, t in products
            ],
            by_method=[
                MethodRow(m, v[0], v[1], v[2], v[3])
                for m, v in sorted(methods.items(), key=lambda kv: order.get(kv[0], 99))
            ],
            by_hour=[HourRow(h, c, t) for h, c, t in rules.by_hour((s[0], int(s[1])) for s in sales)],
            by_cashier=await self._by_cashier([(s[4], int(s[1])) for s in sales]),
        )

    async def _by_cashier(self, sales: Sequence[tuple[int | None, int]]) -> list[CashierRow]:
        """Sales and takings per cashier (who rang them up), the busiest first."""
        counts: dict[int | None, list[int]] = {}
        for cashier_id, total in sales:
            row = counts.setdefault(cashier_id, [0, 0])
            row[0] += 1
            row[1] += total
        names = await user_names(self.session, list(counts))
        return sorted(
            (CashierRow(i, names.get(i, "") if i else "", n, t) for i, (n, t) in counts.items()),
            key=lambda row: (-row.total_vnd, row.name),
        )
