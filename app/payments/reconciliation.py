"""Card payments reconciled: every Stripe payment in the viewer's scope against what it pays for (the sale it
wrote, the card checkout that waited for it, or the booth fee), with what does not add up.

- Scope: administrators see every card payment; an organizer sees the booth fees of its organizations'
  fairs, and the card sales at those fairs' booths and at its organizations' own places (showrooms).
  Anybody else may not open these pages; a payment out of an organizer's scope is reported as missing.
- Mismatches: `mismatches(facts, now)` is the rule (pure, unit-tested); `mismatch_clause(now)` is the same
  rule in SQL, so "only mismatches" filters and pages in the database. The integration tests check that
  both agree on every situation they build.
- "Check with Stripe" reads the PaymentIntent from Stripe and compares it with our record. It is read-only:
  only Stripe's signed webhooks fulfil a payment.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.accounts.rules import CurrentUser
from app.catalog.models import Producer
from app.errors import Conflict, NotFound, PermissionDenied
from app.exports import Column, Table, to_csv
from app.fairs.exports import assignment_status_label
from app.fairs.models import Assignment, AssignmentStatus, Booth, Fair
from app.i18n import VN_TZ, localized, money, to_local
from app.i18n import gettext as _
from app.inventory.models import Location
from app.paging import PAGE_SIZE, Page, paginate
from app.payments.models import Payment, PaymentEvent, PaymentMethod, PaymentStatus
from app.payments.stripe_gateway import CURRENCY, GatewayError, Intent, StripeGateway
from app.pos.models import CardCheckout, CheckoutStatus, Sale

STUCK_AFTER = dt.timedelta(minutes=30)
"""A charged card whose confirmation (Stripe's webhook) has not come after this long is stuck."""

TAKEN = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTLY_REFUNDED, PaymentStatus.REFUNDED)
"""Statuses of a payment that took the money (some of it may have been given back since)."""

KINDS = ("sale", "booth")
STATUSES = tuple(status.value for status in PaymentStatus)
MAX_ID = 2**63 - 1
CHUNK = 500  # ids per IN (…) when loading what a list of payments pays for

M = TypeVar("M", Sale, CardCheckout, Assignment, Booth, Fair, Producer, Location)
S = TypeVar("S", bound=Select[Any])


# --- the rules (pure) ---


@dataclass(frozen=True)
class Facts:
    """What the mismatch rules need of one card payment and what it pays for."""

    status: PaymentStatus
    amount_vnd: int
    refunded_vnd: int
    has_intent: bool  # a PaymentIntent was made (the card was charged)
    updated_at: dt.datetime  # the payment's last change
    kind: str  # "sale" (a checkout or a sale), "booth" or "" (pays for nothing we know)
    sale_total_vnd: int | None = None  # None: no sale was written
    sale_refunded_vnd: int | None = None
    checkout_status: CheckoutStatus | None = None
    assignment_status: AssignmentStatus | None = None
    fee_vnd: int | None = None
    paid_for_booth: int = 0  # payments of the same booth that took money and keep some of it (any method)


@dataclass(frozen=True)
class Mismatch:
    code: str
    message: str  # translated


def kept(status: PaymentStatus, amount_vnd: int, refunded_vnd: int) -> bool:
    """The payment took money and keeps some of it (not all refunded)."""
    return status in TAKEN and refunded_vnd < amount_vnd


def status_label(status: str) -> str:
    return {
        PaymentStatus.PENDING.value: _("Pending"),
        PaymentStatus.SUCCEEDED.value: _("Succeeded"),
        PaymentStatus.FAILED.value: _("Failed"),
        PaymentStatus.REFUNDED.value: _("Refunded"),
        PaymentStatus.PARTLY_REFUNDED.value: _("Partly refunded"),
    }.get(status, status)


def checkout_status_label(status: CheckoutStatus) -> str:
    return {
        CheckoutStatus.OPEN: _("Waiting for the card"),
        CheckoutStatus.PAID: _("Paid"),
        CheckoutStatus.CANCELLED: _("Cancelled"),
    }[status]


def kind_label(kind: str) -> str:
    return {"sale": _("Sale"), "booth": _("Booth fee")}.get(kind, _("Other payment"))


def mismatches(facts: Facts, now: dt.datetime) -> list[Mismatch]:
    """What does not add up between a card payment and what it pays for, each with what to do about it."""
    found: list[Mismatch] = []
    keeps = kept(facts.status, facts.amount_vnd, facts.refunded_vnd)
    no_sale = facts.sale_total_vnd is None

    if facts.kind == "sale" and no_sale and keeps:
        if facts.checkout_status == CheckoutStatus.CANCELLED:
            message = _(
                "The card was charged after the checkout was cancelled, so no sale was written: refund the "
                "shopper or ring the sale up again."
            )
        else:
            message = _("The card was charged but no sale was written.")
        found.append(Mismatch("no_sale", message))
    if facts.kind == "booth" and keeps and facts.assignment_status != AssignmentStatus.CONFIRMED:
        if facts.assignment_status == AssignmentStatus.RELEASED:
            message = _(
                "The booth fee was paid by card but the booth was released: refund the producer or assign "
                "the booth again."
            )
        else:
            message = _("The booth fee was paid by card but the booth is not confirmed.")
        found.append(Mismatch("booth_not_confirmed", message))

    if facts.kind == "sale" and not no_sale and facts.status not in TAKEN:
        found.append(
            Mismatch(
                "not_succeeded",
                _(
                    "A sale was written for this card payment, but the payment is %(status)s.",
                    status=status_label(facts.status.value).lower(),
                ),
            )
        )

    if facts.status != PaymentStatus.FAILED:
        if (
            facts.kind == "sale"
            and facts.sale_total_vnd is not None
            and facts.amount_vnd != facts.sale_total_vnd
        ):
            found.append(
                Mismatch(
                    "amount",
                    _(
                        "The card payment (%(paid)s) differs from the sale's total (%(total)s).",
                        paid=money(facts.amount_vnd),
                        total=money(facts.sale_total_vnd),
                    ),
                )
            )
        if facts.kind == "booth" and facts.fee_vnd is not None and facts.amount_vnd != facts.fee_vnd:
            found.append(
                Mismatch(
                    "amount",
                    _(
                        "The card payment (%(paid)s) differs from the booth fee (%(fee)s).",
                        paid=money(facts.amount_vnd),
                        fee=money(facts.fee_vnd),
                    ),
                )
            )

    if facts.kind == "sale" and facts.sale_refunded_vnd is not None:
        if facts.refunded_vnd != facts.sale_refunded_vnd:
            found.append(
                Mismatch(
                    "refund",
                    _(
                        "Stripe has refunded %(card)s to the card, but the sale records %(sale)s refunded.",
                        card=money(facts.refunded_vnd),
                        sale=money(facts.sale_refunded_vnd),
                    ),
                )
            )

    if facts.kind == "booth" and keeps and facts.paid_for_booth > 1:
        found.append(
            Mismatch(
                "paid_twice",
                _("This booth fee was paid more than once: refund the extra payment."),
            )
        )

    if facts.status == PaymentStatus.PENDING and facts.has_intent and now - facts.updated_at > STUCK_AFTER:
        found.append(
            Mismatch(
                "stuck",
                _(
                    "Pending for more than 30 minutes: Stripe's confirmation never arrived. Check with "
                    "Stripe."
                ),
            )
        )
    return found


def compare_with_stripe(
    status: PaymentStatus, amount_vnd: int, refunded_vnd: int, intent: Intent
) -> list[str]:
    """What Stripe says that our record does not."""
    found = []
    stripe_took = intent.status == "succeeded"
    if stripe_took and status not in TAKEN:
        found.append(
            _(
                "Stripe has taken the money, but our payment is %(status)s: its confirmation did not arrive.",
                status=status_label(status.value).lower(),
            )
        )
    elif not stripe_took and status in TAKEN:
        found.append(_("Stripe has not taken this money, but our payment says it did."))
    if intent.currency and intent.currency.lower() != CURRENCY:
        found.append(_("Stripe's currency is %(currency)s, not VND.", currency=intent.currency.upper()))
    if intent.amount != amount_vnd:
        found.append(
            _(
                "Stripe's amount (%(stripe)s) differs from ours (%(ours)s).",
                stripe=money(intent.amount),
                ours=money(amount_vnd),
            )
        )
    if intent.amount_refunded != refunded_vnd:
        found.append(
            _(
                "Stripe has refunded %(stripe)s; we record %(ours)s.",
                stripe=money(intent.amount_refunded),
                ours=money(refunded_vnd),
            )
        )
    return found


# --- what the pages show ---


@dataclass(frozen=True)
class Filters:
    status: str = ""  # a PaymentStatus value, or "" for all
    kind: str = ""  # "sale", "booth" or ""
    only_mismatches: bool = False
    date_from: dt.date | None = None  # local days (Asia/Ho_Chi_Minh), both included
    date_to: dt.date | None = None
    page: int = 1


@dataclass(frozen=True)
class Row:
    payment: Payment
    kind: str
    sale: Sale | None
    checkout: CardCheckout | None
    assignment: Assignment | None
    booth: Booth | None
    fair: Fair | None
    location: Location | None  # where a sale was (or would have been) rung up
    producer: Producer | None  # whose booth fee it is
    mismatches: list[Mismatch]

    @property
    def title(self) -> str:
        """What the payment pays for, in a few words."""
        if self.kind == "booth":
            return _(
                "Booth %(code)s — %(fair)s",
                code=self.booth.code if self.booth else "?",
                fair=localized(self.fair, "name") if self.fair else "",
            )
        place = self.location.name if self.location else ""
        if self.sale is not None:
            return _("Receipt #%(no)s — %(place)s", no=self.sale.receipt_no, place=place)
        if self.checkout is not None:
            return _("Card checkout, no sale — %(place)s", place=place)
        return _("Other payment")

    @property
    def link(self) -> str:
        if self.sale is not None:
            return f"/receipts/{self.sale.uuid}"
        if self.kind == "booth" and self.fair is not None:
            return f"/manage/fairs/{self.fair.id}/assignments"
        return ""

    @property
    def counterpart(self) -> str:
        """Where the other side stands: the checkout's or the booth assignment's status."""
        if self.kind == "booth" and self.assignment is not None:
            return assignment_status_label(self.assignment.status)
        if self.sale is None and self.checkout is not None:
            return checkout_status_label(self.checkout.status)
        return ""


@dataclass(frozen=True)
class Totals:
    count: int
    succeeded_vnd: int  # taken by card (refunded later or not)
    refunded_vnd: int

    @property
    def net_vnd(self) -> int:
        return self.succeeded_vnd - self.refunded_vnd


@dataclass(frozen=True)
class Listing:
    rows: Page[Row]
    totals: Totals


@dataclass(frozen=True)
class HistoryLine:
    at: dt.datetime
    status: str
    note: str
    source: str
    actor: str


@dataclass(frozen=True)
class PaymentView:
    row: Row
    history: list[HistoryLine]
    created_by: str


@dataclass(frozen=True)
class StripeCheck:
    intent: Intent
    differences: list[str] = field(default_factory=list)


def may_reconcile(actor: CurrentUser | None) -> bool:
    return actor is not None and (actor.is_admin or actor.is_organizer)


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A local day (Asia/Ho_Chi_Minh) as a half-open UTC range."""
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=VN_TZ)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _chunks(ids: Iterable[int]) -> list[list[int]]:
    unique = sorted(set(ids))
    return [unique[i : i + CHUNK] for i in range(0, len(unique), CHUNK)]


# --- the SQL side ---


def _kept(payment: Any) -> ColumnElement[bool]:
    """`kept(…)` in SQL, of Payment or of an alias of it."""
    return and_(payment.status.in_(TAKEN), payment.refunded_vnd < payment.amount_vnd)


def scope_clause(actor: CurrentUser) -> ColumnElement[bool]:
    """The card payments `actor` may see (over Payment outer-joined with Sale, CardCheckout, Assignment)."""
    if actor.is_admin:
        return true()
    orgs = sorted(actor.organizer_of)
    fairs = select(Fair.id).where(Fair.organization_id.in_(orgs))
    booth_places = select(Booth.location_id).where(Booth.fair_id.in_(fairs))
    own_places = select(Location.id).where(Location.organization_id.in_(orgs))
    place = func.coalesce(Sale.location_id, CardCheckout.location_id)
    return or_(Assignment.fair_id.in_(fairs), place.in_(booth_places), place.in_(own_places))


def mismatch_clause(now: dt.datetime) -> ColumnElement[bool]:
    """`mismatches(…)` is not empty, in SQL (same joins as `scope_clause`)."""
    is_sale = and_(
        Payment.assignment_id.is_(None), or_(Payment.sale_id.is_not(None), Payment.checkout_id.is_not(None))
    )
    is_booth = Payment.assignment_id.is_not(None)
    has_sale = Sale.id.is_not(None)
    other = aliased(Payment)
    paid_for_booth = (
        select(func.count(other.id))
        .where(other.assignment_id == Payment.assignment_id, _kept(other))
        .correlate(Payment)
        .scalar_subquery()
    )
    return or_(
        and_(is_sale, Sale.id.is_(None), _kept(Payment)),
        and_(is_booth, _kept(Payment), Assignment.status != AssignmentStatus.CONFIRMED),
        and_(is_sale, has_sale, Payment.status.not_in(TAKEN)),
        and_(
            Payment.status != PaymentStatus.FAILED,
            or_(
                and_(is_sale, has_sale, Payment.amount_vnd != Sale.total_vnd),
                and_(is_booth, Assignment.id.is_not(None), Payment.amount_vnd != Assignment.fee_vnd),
            ),
        ),
        and_(is_sale, has_sale, Payment.refunded_vnd != Sale.refunded_vnd),
        and_(is_booth, _kept(Payment), paid_for_booth > 1),
        and_(
            Payment.status == PaymentStatus.PENDING,
            Payment.provider_reference != "",
            Payment.updated_at < now - STUCK_AFTER,
        ),
    )


def _joined(stmt: S) -> S:
    return (
        stmt.outerjoin(Sale, Sale.id == Payment.sale_id)
        .outerjoin(CardCheckout, CardCheckout.id == Payment.checkout_id)
        .outerjoin(Assignment, Assignment.id == Payment.assignment_id)
    )


class ReconciliationService:
    def __init__(self, session: AsyncSession, now: dt.datetime | None = None) -> None:
        self.session = session
        self.now = now or _now()

    @staticmethod
    def _viewer(actor: CurrentUser | None) -> CurrentUser:
        if actor is None or not may_reconcile(actor):
            raise PermissionDenied(_("Only organizers and administrators can see card payments."))
        return actor

    def _conditions(self, actor: CurrentUser, filters: Filters) -> list[ColumnElement[bool]]:
        conditions = [Payment.method == PaymentMethod.STRIPE, scope_clause(actor)]
        if filters.status in STATUSES:
            conditions.append(Payment.status == PaymentStatus(filters.status))
        if filters.kind == "booth":
            conditions.append(Payment.assignment_id.is_not(None))
        elif filters.kind == "sale":
            conditions.append(
                and_(
                    Payment.assignment_id.is_(None),
                    or_(Payment.sale_id.is_not(None), Payment.checkout_id.is_not(None)),
                )
            )
        if filters.date_from is not None:
            conditions.append(Payment.created_at >= local_day_bounds(filters.date_from)[0])
        if filters.date_to is not None:
            conditions.append(Payment.created_at < local_day_bounds(filters.date_to)[1])
        if filters.only_mismatches:
            conditions.append(mismatch_clause(self.now))
        return conditions

    def _statement(self, actor: CurrentUser, filters: Filters) -> Select[Payment]:
        return (
            _joined(select(Payment))
            .where(*self._conditions(actor, filters))
            .order_by(Payment.created_at.desc(), Payment.id.desc())
        )

    async def listing(self, actor: CurrentUser | None, filters: Filters, size: int = PAGE_SIZE) -> Listing:
        """GET /payments/reconciliation: a page of rows and the totals of everything the filters match."""
        viewer = self._viewer(actor)
        found = await paginate(self.session, self._statement(viewer, filters), filters.page, size)
        rows = await self.rows(found.items)
        return Listing(
            Page(rows, found.total, found.page, found.page_size), await self.totals(viewer, filters)
        )

    async def totals(self, actor: CurrentUser, filters: Filters) -> Totals:
        taken = case((Payment.status.in_(TAKEN), Payment.amount_vnd), else_=0)
        stmt = _joined(
            select(
                func.count(Payment.id),
                func.coalesce(func.sum(taken), 0),
                func.coalesce(func.sum(Payment.refunded_vnd), 0),
            ).select_from(Payment)
        ).where(*self._conditions(actor, filters))
        count, succeeded, refunded = (await self.session.execute(stmt)).one()
        return Totals(int(count or 0), int(succeeded or 0), int(refunded or 0))

    async def every_row(self, actor: CurrentUser | None, filters: Filters) -> list[Row]:
        """Every row the filters match, newest first (the CSV export)."""
        viewer = self._viewer(actor)
        payments = (await self.session.scalars(self._statement(viewer, filters))).all()
        rows: list[Row] = []
        for start in range(0, len(payments), CHUNK):
            rows.extend(await self.rows(payments[start : start + CHUNK]))
        return rows

    async def export_csv(self, actor: CurrentUser | None, filters: Filters) -> bytes:
        return to_csv(csv_table(await self.every_row(actor, filters)))

    async def rows(self, payments: Sequence[Payment]) -> list[Row]:
        """Each payment with what it pays for and its mismatches: a few queries for the whole list."""
        sales = await self._by_id(Sale, [p.sale_id for p in payments if p.sale_id])
        checkouts = await self._by_id(CardCheckout, [p.checkout_id for p in payments if p.checkout_id])
        assignments = await self._by_id(Assignment, [p.assignment_id for p in payments if p.assignment_id])
        booths = await self._by_id(Booth, [a.booth_id for a in assignments.values()])
        fairs = await self._by_id(Fair, [a.fair_id for a in assignments.values()])
        producers = await self._by_id(Producer, [a.producer_id for a in assignments.values()])
        place_ids = [s.location_id for s in sales.values()] + [c.location_id for c in checkouts.values()]
        locations = await self._by_id(Location, place_ids)
        paid_for = await self._paid_for_booths(list(assignments))

        rows = []
        for payment in payments:
            sale = sales.get(payment.sale_id) if payment.sale_id else None
            checkout = checkouts.get(payment.checkout_id) if payment.checkout_id else None
            assignment = assignments.get(payment.assignment_id) if payment.assignment_id else None
            kind = "booth" if assignment is not None else ("sale" if sale or checkout else "")
            place_id = sale.location_id if sale else (checkout.location_id if checkout else None)
            facts = Facts(
                status=payment.status,
                amount_vnd=payment.amount_vnd,
                refunded_vnd=payment.refunded_vnd,
                has_intent=bool(payment.provider_reference),
                updated_at=payment.updated_at,
                kind=kind,
                sale_total_vnd=sale.total_vnd if sale else None,
                sale_refunded_vnd=sale.refunded_vnd if sale else None,
                checkout_status=checkout.status if checkout else None,
                assignment_status=assignment.status if assignment else None,
                fee_vnd=assignment.fee_vnd if assignment else None,
                paid_for_booth=paid_for.get(assignment.id, 0) if assignment else 0,
            )
            rows.append(
                Row(
                    payment=payment,
                    kind=kind,
                    sale=sale,
                    checkout=checkout,
                    assignment=assignment,
                    booth=booths.get(assignment.booth_id) if assignment else None,
                    fair=fairs.get(assignment.fair_id) if assignment else None,
                    location=locations.get(place_id) if place_id else None,
                    producer=producers.get(assignment.producer_id) if assignment else None,
                    mismatches=mismatches(facts, self.now),
                )
            )
        return rows

    async def _by_id(self, model: type[M], ids: Iterable[int]) -> dict[int, M]:
        found: dict[int, M] = {}
        for chunk in _chunks(ids):
            stmt = select(model).where(model.id.in_(chunk)).execution_options(populate_existing=True)
            for item in (await self.session.scalars(stmt)).all():
                found[item.id] = item
        return found

    async def _paid_for_booths(self, assignment_ids: list[int]) -> dict[int, int]:
        """For each booth assignment: its payments (any method) that took money and keep some of it."""
        counts: dict[int, int] = {}
        for chunk in _chunks(assignment_ids):
            stmt = (
                select(Payment.assignment_id, func.count(Payment.id))
                .where(Payment.assignment_id.in_(chunk), _kept(Payment))
                .group_by(Payment.assignment_id)
            )
            for assignment_id, count in (await self.session.execute(stmt)).all():
                if assignment_id is not None:
                    counts[assignment_id] = int(count)
        return counts

    # --- one payment ---

    async def get(self, actor: CurrentUser | None, payment_id: int) -> Row:
        """A card payment in the viewer's scope; any other id is reported as missing."""
        viewer = self._viewer(actor)
        payment = None
        if 0 < payment_id <= MAX_ID:
            payment = await self.session.scalar(
                _joined(select(Payment))
                .where(Payment.id == payment_id, Payment.method == PaymentMethod.STRIPE, scope_clause(viewer))
                .execution_options(populate_existing=True)
            )
        if payment is None:
            raise NotFound(_("This payment does not exist."))
        return (await self.rows([payment]))[0]

    async def view(self, actor: CurrentUser | None, payment_id: int) -> PaymentView:
        """GET /payments/{id}: the payment, what it pays for, and its history in order."""
        row = await self.get(actor, payment_id)
        events = (
            await self.session.execute(
                select(PaymentEvent, User.name, User.email)
                .outerjoin(User, User.id == PaymentEvent.actor_id)
                .where(PaymentEvent.payment_id == row.payment.id)
                .order_by(PaymentEvent.created_at, PaymentEvent.id)
            )
        ).all()
        history = [
            HistoryLine(event.created_at, event.status, event.note, event.source, name or email or "")
            for event, name, email in events
        ]
        creator = await self.session.get(User, row.payment.created_by) if row.payment.created_by else None
        return PaymentView(row, history, (creator.name or creator.email) if creator else "")

    async def check(
        self, actor: CurrentUser | None, payment_id: int, gateway: StripeGateway | None
    ) -> StripeCheck:
        """POST /payments/{id}/stripe-check: Stripe's PaymentIntent next to our record. Changes nothing."""
        row = await self.get(actor, payment_id)
        if gateway is None:
            raise Conflict(_("Card payments are off here: there is no Stripe account to ask."))
        reference = row.payment.provider_reference
        if not reference.startswith("pi_"):
            raise Conflict(_("No card was charged for this payment yet: Stripe has nothing to show."))
        try:
            intent = await asyncio.to_thread(gateway.retrieve, reference)
        except GatewayError as exc:
            raise Conflict(
                _("Stripe cannot be reached or does not know this payment; try again later.")
            ) from exc
        payment = row.payment
        return StripeCheck(
            intent, compare_with_stripe(payment.status, payment.amount_vnd, payment.refunded_vnd, intent)
        )


# --- the CSV export ---


def csv_table(rows: Sequence[Row]) -> Table:
    columns = [
        Column(_("Payment")),
        Column(_("Date (Vietnam time)")),
        Column(_("Kind")),
        Column(_("Pays for")),
        Column(_("Amount (₫)"), money=True),
        Column(_("Refunded (₫)"), money=True),
        Column(_("Status")),
        Column(_("Stripe reference")),
        Column(_("Mismatch")),
    ]
    lines: list[list[str | int | dt.datetime | bool | None]] = []
    for row in rows:
        payment = row.payment
        lines.append(
            [
                payment.id,
                to_local(payment.created_at),
                kind_label(row.kind),
                row.title,
                payment.amount_vnd,
                payment.refunded_vnd,
                status_label(payment.status.value),
                payment.provider_reference,
                "; ".join(m.message for m in row.mismatches),
            ]
        )
    return Table("card-payments", columns, lines)
