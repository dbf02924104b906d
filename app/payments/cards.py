"""Card payments: the pay page's steps, booth fees by card, and Stripe's webhooks — the only thing that
fulfils a card payment.

A payment by card is a `Payment` (method stripe, status pending) with a `pay_token`, for a register's card
checkout (`checkout_id`) or a held booth (`assignment_id`). The pay page sets the card up, the server
charges it (`charge`), and only a signed `payment_intent.succeeded` event marks it succeeded and writes the
sale or confirms the booth — once, whatever the order or number of deliveries: each event id is applied once
(the `stripe_event` unique index), succeeded is final, and refunds are recorded as absolute amounts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit, live
from app.accounts.rules import CurrentUser, can_manage_producer
from app.catalog.models import Producer
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.fairs.models import Assignment, AssignmentStatus, Booth, Fair
from app.i18n import gettext as _
from app.i18n import localized, money
from app.inventory.models import Location
from app.payments import history
from app.payments.models import Payment, PaymentMethod, PaymentStatus, StripeEvent
from app.payments.stripe_gateway import CURRENCY, CardDeclined, Event, GatewayError, StripeGateway
from app.pos.card import CardCheckoutService, pay_token
from app.pos.models import CardCheckout, CheckoutStatus, Sale

OPEN_STATUSES = (
    PaymentStatus.PENDING,
    PaymentStatus.FAILED,
)  # may still be paid (a new card after a decline)


@dataclass(frozen=True)
class Item:
    name: str
    quantity: int
    total_vnd: int


@dataclass
class Payable:
    """What a pay page shows: who is paid, for what, how much, and where the payment stands."""

    payment: Payment
    kind: str  # "sale" or "booth"
    title: str
    payee: str
    items: list[Item] = field(default_factory=list)
    open: bool = True  # may still be paid
    closed_reason: str = ""
    sale_uuid: uuid.UUID | None = None
    receipt_no: int | None = None
    fair_id: int | None = None

    @property
    def status(self) -> str:
        return self.payment.status.value


@dataclass(frozen=True)
class ChargeResult:
    status: str  # succeeded | processing | requires_action | declined
    message: str = ""
    client_secret: str = ""


def status_message(payment: Payment) -> dict[str, Any]:
    """What the live channel and the status endpoint say about a payment."""
    return {"status": payment.status.value, "message": payment.failure_message}


class CardPayments:
    def __init__(self, session: AsyncSession, gateway: StripeGateway | None) -> None:
        self.session = session
        self.gateway = gateway

    def _need_gateway(self) -> StripeGateway:
        if self.gateway is None:
            raise NotFound(_("Card payments are not set up here."))
        return self.gateway

    # --- the pay page ---

    async def by_token(self, token: str) -> Payable:
        payment = await self.session.scalar(
            select(Payment)
            .where(Payment.pay_token == token, Payment.method == PaymentMethod.STRIPE)
            .execution_options(populate_existing=True)
        )
        if payment is None or not token:
            raise NotFound(_("This payment does not exist."))
        if payment.checkout_id is not None:
            return await self._sale_payable(payment)
        if payment.assignment_id is not None:
            return await self._booth_payable(payment)
        raise NotFound(_("This payment does not exist."))

    async def _sale_payable(self, payment: Payment) -> Payable:
        checkout = await self.session.get(CardCheckout, payment.checkout_id, populate_existing=True)
        assert checkout is not None
        location = await self.session.get(Location, checkout.location_id)
        request: dict[str, Any] = checkout.request
        names = await self._line_names(request)
        items = []
        for line in request.get("lines", []):
            price = int(line.get("unit_price_vnd") or 0)
            quantity = int(line["quantity"])
            key = ("p", line["product_id"]) if line.get("product_id") else ("c", line.get("combo_id"))
            items.append(
                Item(names.get(key, "?"), quantity, price * quantity - int(line.get("discount_vnd", 0)))
            )
        sale = await self.session.get(Sale, checkout.sale_id) if checkout.sale_id else None
        closed = ""
        if checkout.status == CheckoutStatus.CANCELLED:
            closed = _("The seller cancelled this payment.")
        elif checkout.status == CheckoutStatus.OPEN and checkout.expires_at <= dt.datetime.now(dt.UTC):
            closed = _("This payment has lapsed: ask the seller for a new code.")
        return Payable(
            payment=payment,
            kind="sale",
            title=_("Purchase at %(place)s", place=location.name if location else ""),
            payee=location.name if location else "",
            items=items,
            open=checkout.status == CheckoutStatus.OPEN and not closed and payment.status in OPEN_STATUSES,
            closed_reason=closed,
            sale_uuid=checkout.uuid,
            receipt_no=sale.receipt_no if sale else None,
        )

    async def _line_names(self, request: dict[str, Any]) -> dict[tuple[str, Any], str]:
        from app.catalog.models import Combo, Product

        english = request.get("locale") == "en"
        product_ids = [li["product_id"] for li in request.get("lines", []) if li.get("product_id")]
        combo_ids = [li["combo_id"] for li in request.get("lines", []) if li.get("combo_id")]
        names: dict[tuple[str, Any], str] = {}
        if product_ids:
            for p in (await self.session.scalars(select(Product).where(Product.id.in_(product_ids)))).all():
                names[("p", p.id)] = (p.name_en if english and p.name_en else p.name_vi) or ""
        if combo_ids:
            for c in (await self.session.scalars(select(Combo).where(Combo.id.in_(combo_ids)))).all():
                names[("c", c.id)] = (c.name_en if english and c.name_en else c.name_vi) or ""
        return names

    async def _booth_payable(self, payment: Payment) -> Payable:
        assignment = await self.session.get(Assignment, payment.assignment_id, populate_existing=True)
        assert assignment is not None
        booth = await self.session.get(Booth, assignment.booth_id)
        fair = await self.session.get(Fair, assignment.fair_id)
        producer = await self.session.get(Producer, assignment.producer_id)
        code = booth.code if booth else ""
        closed = ""
        if assignment.status == AssignmentStatus.RELEASED:
            closed = _("This booth is no longer held for you.")
        elif assignment.status == AssignmentStatus.CONFIRMED and payment.status in OPEN_STATUSES:
            closed = _("This booth is already confirmed.")
        return Payable(
            payment=payment,
            kind="booth",
            title=_("Booth %(code)s at %(fair)s", code=code, fair=localized(fair, "name") if fair else ""),
            payee=localized(fair, "name") if fair else "",
            items=[
                Item(
                    _(
                        "Booth fee %(code)s — %(producer)s",
                        code=code,
                        producer=producer.name if producer else "",
                    ),
                    1,
                    payment.amount_vnd,
                )
            ],
            open=assignment.status == AssignmentStatus.HELD and payment.status in OPEN_STATUSES,
            closed_reason=closed,
            fair_id=assignment.fair_id,
        )

    async def setup(self, token: str) -> str:
        """A SetupIntent for the card about to be typed in: its client secret."""
        gateway = self._need_gateway()
        payable = await self.by_token(token)
        if not payable.open:
            raise Conflict(payable.closed_reason or _("This payment can no longer be made."))
        try:
            _id, secret = await asyncio.to_thread(
                gateway.create_setup_intent, {"payment_id": str(payable.payment.id)}
            )
        except GatewayError as exc:
            raise Conflict(_("Stripe cannot be reached; try again in a moment.")) from exc
        return secret

    async def charge(self, token: str, setup_intent_id: str) -> ChargeResult:
        """Charge the card that the SetupIntent collected. The answer tells the page what to do next; the
        payment itself is marked succeeded only by Stripe's webhook."""
        gateway = self._need_gateway()
        payable = await self.by_token(token)
        payment = payable.payment
        if not payable.open:
            raise Conflict(payable.closed_reason or _("This payment can no longer be made."))
        if not setup_intent_id.startswith("seti_") or len(setup_intent_id) > 100:
            message = _("The card was not set up.")
            raise ValidationFailed(message, fields={"setup_intent": message})
        try:
            method = await asyncio.to_thread(gateway.setup_payment_method, setup_intent_id, str(payment.id))
        except CardDeclined as exc:
            raise ValidationFailed(
                _("The card was not set up."), fields={"setup_intent": exc.message}
            ) from exc
        except GatewayError as exc:
            raise Conflict(_("Stripe cannot be reached; try again in a moment.")) from exc
        if payment.provider_reference:
            # A new card after a decline or an abandoned 3-D Secure: the earlier intent must not take money.
            try:
                await asyncio.to_thread(gateway.cancel, payment.provider_reference)
            except GatewayError:
                earlier = await asyncio.to_thread(gateway.retrieve, payment.provider_reference)
                if earlier.status in ("succeeded", "processing"):
                    return ChargeResult("processing", _("Your payment is being confirmed."))
        metadata = {"payment_id": str(payment.id), "kind": payable.kind}
        try:
            intent = await asyncio.to_thread(
                gateway.charge, method, payment.amount_vnd, metadata, f"pay:{payment.id}:{setup_intent_id}"
            )
        except CardDeclined as exc:
            if exc.intent_id:
                payment.provider_reference = exc.intent_id
            payment.status = PaymentStatus.FAILED
            payment.failure_message = exc.message[:300]
            history.note(
                self.session, payment, _("Card declined: %(why)s", why=exc.message), source=exc.intent_id
            )
            self._publish(payment)
            return ChargeResult("declined", exc.message)
        except GatewayError as exc:
            raise Conflict(_("Stripe cannot be reached; try again in a moment.")) from exc
        payment.provider_reference = intent.id
        payment.status = PaymentStatus.PENDING if payment.status == PaymentStatus.FAILED else payment.status
        payment.failure_message = ""
        history.note(
            self.session, payment, _("Card charged; waiting for Stripe's confirmation."), source=intent.id
        )
        self._publish(payment)
        if intent.status == "requires_action":
            return ChargeResult("requires_action", "", intent.client_secret)
        if intent.status in ("succeeded", "processing"):
            return ChargeResult("processing", _("Your payment is being confirmed."))
        return ChargeResult("declined", intent.failure_message or _("The card was declined."))

    def _publish(self, payment: Payment) -> None:
        if payment.pay_token:
            live.note_payment_change(self.session, payment.pay_token, status_message(payment))

    # --- booth fees ---

    async def for_assignment(
        self, actor: CurrentUser, assignment_id: int, *, fair_id: int | None = None
    ) -> Payment:
        """The card payment of a held booth's fee, for its producer's vendor: the pending one if there is one
        (a second click does not make a second payment), else a new one."""
        self._need_gateway()
        assignment = await self.session.get(Assignment, assignment_id)
        producer = await self.session.get(Producer, assignment.producer_id) if assignment else None
        if assignment is None or producer is None or (fair_id is not None and assignment.fair_id != fair_id):
            raise NotFound(_("This booth assignment does not exist."))
        if not can_manage_producer(actor, producer.id, producer.organization_id):
            raise PermissionDenied(_("You may not pay for this booth."))
        if assignment.status != AssignmentStatus.HELD:
            raise Conflict(_("Only a held booth has a fee to pay."))
        if assignment.fee_vnd <= 0:
            raise Conflict(_("This booth is free: there is nothing to pay."))
        found = await self.session.scalar(
            select(Payment)
            .where(
                Payment.assignment_id == assignment.id,
                Payment.method == PaymentMethod.STRIPE,
                Payment.status.in_(OPEN_STATUSES),
            )
            .order_by(Payment.id.desc())
        )
        if found is not None:
            return found
        payment = Payment(
            assignment_id=assignment.id,
            method=PaymentMethod.STRIPE,
            status=PaymentStatus.PENDING,
            amount_vnd=assignment.fee_vnd,
            change_vnd=0,
            refunded_vnd=0,
            provider_reference="",
            pay_token=pay_token(),
            created_by=actor.id,
        )
        self.session.add(payment)
        await self.session.flush()
        history.note(self.session, payment, _("Booth fee to pay by card."), actor=actor)
        await audit.record(
            self.session,
            actor,
            "fairs.booth.card_payment",
            "assignment",
            assignment.id,
            payment_id=payment.id,
        )
        return payment

    # --- webhooks ---

    async def apply_event(self, event: Event) -> str:
        """Apply a verified event once. Returns what was done (kept with the event id)."""
        record = StripeEvent(event_id=event.id[:100], type=event.type[:100], outcome="")
        try:
            async with self.session.begin_nested():
                self.session.add(record)
                await self.session.flush()
        except IntegrityError:
            return "already applied"
        handler = {
            "payment_intent.succeeded": self._succeeded,
            "payment_intent.payment_failed": self._failed,
            "charge.refunded": self._refunded,
        }.get(event.type)
        outcome = "ignored"
        if handler is not None:
            payment, outcome = await handler(event)
            record.payment_id = payment.id if payment else None
        record.outcome = outcome[:300]
        await self.session.flush()
        return outcome

    async def _payment_for(self, intent: dict[str, Any]) -> Payment | None:
        """The payment an intent belongs to: by the id in its metadata, checked against what we sent."""
        raw = (intent.get("metadata") or {}).get("payment_id")
        payment = None
        if raw is not None and str(raw).isdigit():
            payment = await self.session.get(Payment, int(raw), populate_existing=True, with_for_update=True)
        if payment is None and intent.get("id"):
            payment = await self.session.scalar(
                select(Payment).where(
                    Payment.provider_reference == str(intent["id"]), Payment.method == PaymentMethod.STRIPE
                )
            )
        if payment is None or payment.method != PaymentMethod.STRIPE:
            return None
        return payment

    async def _succeeded(self, event: Event) -> tuple[Payment | None, str]:
        intent = event.object
        payment = await self._payment_for(intent)
        if payment is None:
            return None, "no such payment"
        if (
            str(intent.get("currency", "")).lower() != CURRENCY
            or int(intent.get("amount") or 0) != payment.amount_vnd
        ):
            history.note(
                self.session,
                payment,
                _("Stripe reported a payment of another amount; nothing was fulfilled."),
                source=event.id,
            )
            return payment, "amount mismatch"
        if payment.status not in OPEN_STATUSES:
            if payment.provider_reference != str(intent.get("id", "")):
                # Another intent of this payment took money too: the shopper was charged twice.
                history.note(
                    self.session,
                    payment,
                    _(
                        "A second card charge succeeded for this payment (%(intent)s): refund it.",
                        intent=str(intent.get("id", "")),
                    ),
                    source=event.id,
                )
                return payment, "charged twice"
            return payment, "already succeeded"
        payment.status = history.refund_status(payment.amount_vnd, payment.refunded_vnd)
        payment.provider_reference = str(intent.get("id", ""))[:100]
        payment.failure_message = ""
        history.note(self.session, payment, _("Payment succeeded."), source=event.id)
        await self.session.flush()
        outcome = await self._fulfil(payment, event.id)
        self._publish(payment)
        return payment, outcome

    async def _fulfil(self, payment: Payment, source: str) -> str:
        if payment.checkout_id is not None:
            checkouts = CardCheckoutService(self.session, self.gateway)
            outcome = await checkouts.complete(payment, source)
            await self.session.refresh(payment)
            return outcome
        if payment.assignment_id is not None:
            from app.fairs.assignments import AssignmentService

            try:
                await AssignmentService(self.session).confirm_card_payment(payment)
            except Conflict as exc:
                history.note(self.session, payment, str(exc), source=source)
                return "booth not held"
            return "booth confirmed"
        return "nothing to fulfil"

    async def _failed(self, event: Event) -> tuple[Payment | None, str]:
        intent = event.object
        payment = await self._payment_for(intent)
        if payment is None:
            return None, "no such payment"
        current = payment.provider_reference == str(intent.get("id", ""))
        if current and payment.status == PaymentStatus.FAILED:
            return payment, "failure already recorded"  # the decline was seen when the card was charged
        if payment.status != PaymentStatus.PENDING or not current:
            # Succeeded is final, and an earlier intent's failure says nothing about the current one.
            history.note(self.session, payment, _("An earlier card attempt failed."), source=event.id)
            return payment, "stale failure"
        error = intent.get("last_payment_error") or {}
        why = str(error.get("message") or _("The card was declined."))
        payment.status = PaymentStatus.FAILED
        payment.failure_message = why[:300]
        history.note(self.session, payment, _("Card declined: %(why)s", why=why), source=event.id)
        self._publish(payment)
        return payment, "failed"

    async def _refunded(self, event: Event) -> tuple[Payment | None, str]:
        charge = event.object
        intent_id = charge.get("payment_intent")
        if not intent_id:
            return None, "no intent"
        payment = await self.session.scalar(
            select(Payment)
            .where(Payment.provider_reference == str(intent_id), Payment.method == PaymentMethod.STRIPE)
            .with_for_update()
        )
        if payment is None:
            payment = await self._payment_for({"metadata": charge.get("metadata") or {}, "id": intent_id})
        if payment is None:
            return None, "no such payment"
        refunded = int(charge.get("amount_refunded") or 0)
        if refunded <= payment.refunded_vnd:
            return payment, "refund already recorded"
        payment.refunded_vnd = min(refunded, payment.amount_vnd)
        if payment.status not in OPEN_STATUSES:
            payment.status = history.refund_status(payment.amount_vnd, payment.refunded_vnd)
        history.note(
            self.session,
            payment,
            _("Stripe reports %(amount)s refunded to the card.", amount=money(payment.refunded_vnd)),
            source=event.id,
        )
        return payment, "refund recorded"
