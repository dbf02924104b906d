"""Card sales at the register: a checkout holds the cart while the shopper pays on their own phone.

The cashier picks "card": the register sends the cart (`POST /api/v1/card-checkouts`, the sale's own UUID),
the cart's stock is held at the place (HOLD movements: nobody else sells those units meanwhile) and a pending
card payment with a pay page is made; the register shows the page's QR code. When Stripe's signed webhook
says the PaymentIntent succeeded, `complete` gives the hold back and writes the sale in one transaction —
with the UUID the register made, at the prices it showed. Cancelling (or letting the checkout lapse) cancels
the intent at Stripe first — refused if the money was already taken — then gives the hold back. A sale and
its receipt number exist only for a card payment that succeeded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit, live
from app.accounts.models import User
from app.accounts.rules import CurrentUser
from app.accounts.services import current_user_from
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.i18n import gettext as _
from app.inventory import rules as stock_rules
from app.inventory.models import Location, MovementKind
from app.inventory.services import LocationAccess, StockService
from app.payments import history
from app.payments.models import Payment, PaymentMethod, PaymentStatus
from app.payments.stripe_gateway import GatewayError, StripeGateway
from app.pos import rules
from app.pos.models import CardCheckout, CheckoutStatus, Register, Sale
from app.pos.schemas import SaleIn
from app.pos.services import RegisterService, SaleService, rights_at

TAKEN = ("succeeded", "processing", "requires_capture")  # intents that have (or are taking) the money


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def pay_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class CheckoutView:
    checkout: CardCheckout
    payment: Payment
    register: Register
    location: Location
    sale: Sale | None = None
    created: bool = True


class CardCheckoutService:
    def __init__(self, session: AsyncSession, gateway: StripeGateway | None, minutes: int = 15) -> None:
        self.session = session
        self.gateway = gateway
        self.minutes = minutes

    # --- reads ---

    async def by_uuid(self, checkout_uuid: uuid.UUID) -> CardCheckout | None:
        return await self.session.scalar(
            select(CardCheckout)
            .where(CardCheckout.uuid == checkout_uuid)
            .execution_options(populate_existing=True)
        )

    async def payment_of(self, checkout: CardCheckout) -> Payment:
        payment = await self.session.scalar(
            select(Payment)
            .where(Payment.checkout_id == checkout.id)
            .order_by(Payment.id)
            .execution_options(populate_existing=True)
        )
        if payment is None:  # written with the checkout
            raise NotFound(_("This card payment does not exist."))
        return payment

    async def view(self, checkout: CardCheckout, *, created: bool = False) -> CheckoutView:
        register = await self.session.get(Register, checkout.register_id)
        location = await self.session.get(Location, checkout.location_id)
        if register is None or location is None:  # foreign keys forbid it
            raise NotFound(_("This card payment does not exist."))
        sale = await self.session.get(Sale, checkout.sale_id) if checkout.sale_id else None
        return CheckoutView(checkout, await self.payment_of(checkout), register, location, sale, created)

    async def get_for_seller(self, actor: CurrentUser, checkout_uuid: uuid.UUID) -> CheckoutView:
        checkout = await self.by_uuid(checkout_uuid)
        location = await self.session.get(Location, checkout.location_id) if checkout else None
        if checkout is None or location is None or not (await rights_at(self.session, actor, location)).sell:
            raise NotFound(_("This card payment does not exist."))
        return await self.view(checkout)

    # --- open ---

    async def open(self, actor: CurrentUser, payload: SaleIn) -> CheckoutView:
        """POST /api/v1/card-checkouts: hold the cart's stock and make the pending card payment. The same
        UUID again returns the same checkout; not enough stock → InsufficientStock (409), nothing held."""
        if self.gateway is None:
            raise ValidationFailed(_("Card payments are not set up here."))
        existing = await self.by_uuid(payload.id)
        if existing is not None:
            return await self.get_for_seller(actor, payload.id)
        if await SaleService(self.session).by_uuid(payload.id) is not None:
            raise Conflict(_("This sale is already rung up."))
        if payload.offline:
            message = _("A card payment needs the network.")
            raise ValidationFailed(message, fields={"offline": message})
        location = await LocationAccess(self.session).for_selling(actor, payload.location_id)
        if any(line.discount_vnd for line in payload.lines) or payload.discount_vnd:
            if not (await rights_at(self.session, actor, location)).manage:
                raise PermissionDenied(_("Only the vendor can give a discount; a cashier cannot."))
        lines, names = await SaleService(self.session).priced_lines(location, payload)
        try:
            totals = rules.sale_totals(
                [rules.LineIn(li.unit_price_vnd, li.quantity, li.discount_vnd) for li in lines],
                payload.discount_vnd,
            )
        except rules.SaleRuleError as error:
            raise ValidationFailed(error.message, fields={error.field: error.message}) from error
        if totals.total_vnd <= 0:
            message = _("There is nothing to pay by card.")
            raise ValidationFailed(message, fields={"lines": message})
        register = await RegisterService(self.session).for_sale(location, payload.register_id)
        await self.expire_lapsed(location_id=location.id)

        # The sale as it will be written: at these prices, whatever the catalog says by the time it is paid.
        fixed = msgspec.structs.replace(
            payload,
            register_id=register.id,
            payments=[],
            lines=[
                msgspec.structs.replace(item, unit_price_vnd=line.unit_price_vnd)
                for item, line in zip(payload.lines, lines, strict=True)
            ],
        )
        held = stock_rules.expand_combos(
            [(li.product_id, li.combo_id, li.quantity) for li in lines],
            {li.combo_id: li.components for li in lines if li.combo_id is not None},
        )
        checkout = CardCheckout(
            uuid=payload.id,
            location_id=location.id,
            register_id=register.id,
            cashier_id=actor.id,
            status=CheckoutStatus.OPEN,
            amount_vnd=totals.total_vnd,
            request=msgspec.to_builtins(fixed),
            held=[[product_id, quantity] for product_id, quantity in held],
            expires_at=_now() + dt.timedelta(minutes=self.minutes),
        )
        try:
            async with self.session.begin_nested():
                self.session.add(checkout)
                await self.session.flush()  # the unique UUID decides between two deliveries
                payment = Payment(
                    checkout_id=checkout.id,
                    method=PaymentMethod.STRIPE,
                    status=PaymentStatus.PENDING,
                    amount_vnd=totals.total_vnd,
                    change_vnd=0,
                    refunded_vnd=0,
                    provider_reference="",
                    pay_token=pay_token(),
                    created_by=actor.id,
                )
                self.session.add(payment)
                await self.session.flush()
                history.note(self.session, payment, _("Waiting for the card payment."), actor=actor)
                await StockService(self.session).take_many(
                    location.id,
                    held,
                    MovementKind.HOLD,
                    reason=_("Held for a card payment"),
                    reference=f"checkout:{payload.id}",
                    actor=actor,
                    names=names,
                )
        except IntegrityError:
            if await self.by_uuid(payload.id) is None:
                raise
            return await self.get_for_seller(actor, payload.id)
        await audit.record(
            self.session,
            actor,
            "pos.card_checkout.opened",
            "card_checkout",
            checkout.id,
            sale=str(payload.id),
            amount_vnd=totals.total_vnd,
        )
        return CheckoutView(checkout, payment, register, location, None, True)

    # --- the money arrived (called by the webhook) ---

    async def complete(self, payment: Payment, source: str) -> str:
        """Stripe said the payment succeeded: give the hold back and write the sale, once. Returns what was
        done, for the event's record."""
        checkout = await self.session.get(CardCheckout, payment.checkout_id, populate_existing=True)
        if checkout is None:
            return "no checkout"
        won = await self.session.execute(
            update(CardCheckout)
            .where(CardCheckout.id == checkout.id, CardCheckout.status == CheckoutStatus.OPEN)
            .values(status=CheckoutStatus.PAID, closed_at=_now())
            .returning(CardCheckout.id)
            .execution_options(synchronize_session=False)
        )
        if won.scalar_one_or_none() is None:
            await self.session.refresh(checkout)
            if checkout.status == CheckoutStatus.PAID:
                return "sale already written"
            # Cancelled while the shopper's bank was still answering: the money is taken, there is no sale.
            history.note(
                self.session,
                payment,
                _("Paid after the checkout was cancelled: refund the shopper or ring the sale up again."),
                source=source,
            )
            return "paid after cancel"
        await self.session.refresh(checkout)
        cashier = await self._cashier(checkout)
        await self._release(checkout, cashier, _("Card payment received: sold"))
        sale_in = msgspec.convert(checkout.request, SaleIn)
        view = await SaleService(self.session).ring_up(cashier, sale_in, paid_by=payment)
        checkout.sale_id = view.sale.id
        await self.session.flush()
        return "sale written"

    async def _cashier(self, checkout: CardCheckout) -> CurrentUser:
        """The cashier who opened the checkout, acting for the sale. Their right to sell and discount was
        checked when the checkout opened; the shopper has paid since, so the sale is written even if those
        rights changed in the meantime."""
        user = await self.session.get(User, checkout.cashier_id) if checkout.cashier_id else None
        if user is None:
            raise RuntimeError("the checkout's cashier no longer exists")
        return dataclasses.replace(current_user_from(user), is_admin=True)

    async def _release(self, checkout: CardCheckout, actor: CurrentUser | None, reason: str) -> None:
        stock = StockService(self.session)
        for product_id, quantity in sorted((int(p), int(q)) for p, q in checkout.held):
            await stock.put(
                product_id,
                checkout.location_id,
                quantity,
                MovementKind.RELEASE,
                reason=reason,
                reference=f"checkout:{checkout.uuid}",
                actor=actor,
            )

    # --- cancel ---

    async def cancel(self, actor: CurrentUser, checkout_uuid: uuid.UUID) -> CheckoutView:
        """The cashier gives up on the card: the intent is cancelled at Stripe, then the hold goes back.
        Refused if the shopper's payment already went through (the sale is on its way)."""
        view = await self.get_for_seller(actor, checkout_uuid)
        if view.checkout.status != CheckoutStatus.OPEN:
            return view
        await self._stop_intent(view.payment)
        await self._close(view.checkout, view.payment, actor, _("Cancelled at the register."))
        return await self.view(view.checkout)

    async def expire_lapsed(self, *, location_id: int | None = None, now: dt.datetime | None = None) -> int:
        """Close checkouts past their time (the cashier walked away); returns how many."""
        stmt = select(CardCheckout).where(
            CardCheckout.status == CheckoutStatus.OPEN, CardCheckout.expires_at < (now or _now())
        )
        if location_id is not None:
            stmt = stmt.where(CardCheckout.location_id == location_id)
        lapsed: Sequence[CardCheckout] = (await self.session.scalars(stmt.order_by(CardCheckout.id))).all()
        closed = 0
        for checkout in lapsed:
            payment = await self.payment_of(checkout)
            try:
                await self._stop_intent(payment)
            except Conflict:
                continue  # the money is on its way: the webhook will write the sale
            if await self._close(checkout, payment, None, _("The card payment lapsed.")):
                closed += 1
        return closed

    async def _stop_intent(self, payment: Payment) -> None:
        if not payment.provider_reference or self.gateway is None:
            return
        try:
            await asyncio.to_thread(self.gateway.cancel, payment.provider_reference)
            return
        except GatewayError:
            pass
        try:
            intent = await asyncio.to_thread(self.gateway.retrieve, payment.provider_reference)
        except GatewayError as exc:
            raise Conflict(_("Stripe cannot be reached; try again in a moment.")) from exc
        if intent.status in TAKEN:
            raise Conflict(_("The card payment has already gone through: the sale will appear in a moment."))

    async def _close(
        self, checkout: CardCheckout, payment: Payment, actor: CurrentUser | None, why: str
    ) -> bool:
        won = await self.session.execute(
            update(CardCheckout)
            .where(CardCheckout.id == checkout.id, CardCheckout.status == CheckoutStatus.OPEN)
            .values(status=CheckoutStatus.CANCELLED, closed_at=_now())
            .returning(CardCheckout.id)
            .execution_options(synchronize_session=False)
        )
        if won.scalar_one_or_none() is None:
            return False
        await self.session.refresh(checkout)
        await self._release(checkout, actor, _("Card payment cancelled"))
        if payment.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
            payment.status = PaymentStatus.FAILED
            payment.failure_message = why[:300]
        history.note(self.session, payment, why, actor=actor)
        await self.session.flush()
        if payment.pay_token:
            live.note_payment_change(self.session, payment.pay_token, {"status": "cancelled", "message": why})
        await audit.record(
            self.session, actor, "pos.card_checkout.cancelled", "card_checkout", checkout.id, why=why
        )
        return True
