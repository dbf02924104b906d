"""Card payments over HTTP: the shopper's pay page, Stripe's webhook, the register's card checkouts and the
vendor's "pay the booth fee by card".

The pay page needs no account: its address carries an unguessable token. It loads Stripe.js from the
configured address (localstripe's stand-in in tests), so its Content-Security-Policy admits that origin.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.channels import ChannelsPlugin
from litestar.exceptions import ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import ServerSentEvent, Template
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from app import live
from app.accounts.auth import requires_login
from app.accounts.rules import CurrentUser
from app.catalog import qr
from app.errors import ValidationFailed
from app.i18n import gettext as _
from app.middleware import CSP
from app.payments.cards import CardPayments, Payable, status_message
from app.payments.stripe_gateway import BadSignature, StripeGateway, gateway
from app.pos.card import CardCheckoutService, CheckoutView
from app.pos.controllers import ERRORS, bad_body
from app.pos.schemas import ErrorOut, SaleIn
from app.web import app_settings, page, redirect


def _gateway(request: Request[Any, Any, Any]) -> StripeGateway | None:
    return gateway(app_settings(request))


def _user(request: Request[Any, Any, Any]) -> CurrentUser:
    user = request.user
    assert isinstance(user, CurrentUser)
    return user


def pay_url(request: Request[Any, Any, Any], token: str) -> str:
    return f"{app_settings(request).public_url}/pay/{token}"


def pay_page_csp(js_url: str) -> str:
    """The site's policy, opened to Stripe.js's origin (scripts, its frames, its API calls)."""
    parts = urlsplit(js_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    stripe = f"{origin} https://*.stripe.com" if origin != "https://js.stripe.com" else "https://*.stripe.com"
    return (
        CSP.replace("script-src 'self' 'unsafe-inline'", f"script-src 'self' 'unsafe-inline' {stripe}")
        .replace("connect-src 'self'", f"connect-src 'self' {stripe}")
        .replace("default-src 'self';", f"default-src 'self'; frame-src {stripe};")
    )


# --- the pay page ---


class ChargeIn(msgspec.Struct):
    setup_intent: str


class PayController(Controller):
    path = "/pay/{token:str}"
    include_in_schema = False

    @get("/", name="pay:page")
    async def pay_page(self, request: Request[Any, Any, Any], tx: AsyncSession, token: str) -> Template:
        stripe = _gateway(request)
        payable = await CardPayments(tx, stripe).by_token(token)
        headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        if stripe is not None:
            headers["Content-Security-Policy"] = pay_page_csp(stripe.js_url)
        return page(
            request,
            "payments/pay.html.jinja",
            {"payable": payable, "token": token, "stripe": stripe},
            headers=headers,
        )

    @post("/setup", name="pay:setup", status_code=HTTP_200_OK)
    async def setup(self, request: Request[Any, Any, Any], tx: AsyncSession, token: str) -> dict[str, str]:
        secret = await CardPayments(tx, _gateway(request)).setup(token)
        return {"client_secret": secret}

    @post("/charge", name="pay:charge", status_code=HTTP_200_OK)
    async def charge(
        self, request: Request[Any, Any, Any], tx: AsyncSession, token: str, data: ChargeIn
    ) -> dict[str, str]:
        result = await CardPayments(tx, _gateway(request)).charge(token, data.setup_intent.strip())
        return {"status": result.status, "message": result.message, "client_secret": result.client_secret}

    @get("/status", name="pay:status")
    async def status(self, request: Request[Any, Any, Any], tx: AsyncSession, token: str) -> Response[Any]:
        payable = await CardPayments(tx, _gateway(request)).by_token(token)
        return Response(_status(payable), headers={"Cache-Control": "no-store"})

    @get("/events", name="pay:events")
    async def events(
        self, request: Request[Any, Any, Any], tx: AsyncSession, channels: ChannelsPlugin, token: str
    ) -> ServerSentEvent:
        await CardPayments(tx, _gateway(request)).by_token(token)  # 404 for a token that is not a payment
        return ServerSentEvent(
            live.stream(channels, live.payment_channel(token), "payment"),
            headers={"Cache-Control": "no-store"},
        )


def _status(payable: Payable) -> dict[str, Any]:
    return {
        **status_message(payable.payment),
        "open": payable.open,
        "closed_reason": payable.closed_reason,
        "receipt_no": payable.receipt_no,
    }


# --- Stripe's webhook ---


class StripeWebhookController(Controller):
    path = "/webhooks/stripe"
    include_in_schema = False

    @post("/", name="webhooks:stripe", status_code=HTTP_200_OK, opt={"exclude_from_csrf": True})
    async def receive(self, request: Request[Any, Any, Any], tx: AsyncSession) -> Response[dict[str, str]]:
        stripe = _gateway(request)
        if stripe is None:
            return Response({"error": "stripe_not_configured"}, status_code=404)
        body = await request.body()
        try:
            event = stripe.parse_event(body, request.headers.get("stripe-signature"))
        except BadSignature:
            return Response({"error": "bad_signature"}, status_code=400)
        outcome = await CardPayments(tx, stripe).apply_event(event)
        return Response({"received": event.id, "outcome": outcome})


# --- the register's card checkouts ---


class CheckoutOut(msgspec.Struct):
    id: uuid.UUID
    status: str  # open | paid | cancelled
    amount_vnd: int
    payment_status: str  # pending | succeeded | failed | refunded | partly_refunded
    failure_message: str
    pay_url: str
    pay_token: str
    qr_svg: str
    expires_at: str
    sale_id: uuid.UUID | None = None
    receipt_no: int | None = None


def checkout_out(request: Request[Any, Any, Any], view: CheckoutView) -> CheckoutOut:
    token = view.payment.pay_token or ""
    url = pay_url(request, token)
    return CheckoutOut(
        id=view.checkout.uuid,
        status=view.checkout.status.value,
        amount_vnd=view.checkout.amount_vnd,
        payment_status=view.payment.status.value,
        failure_message=view.payment.failure_message,
        pay_url=url,
        pay_token=token,
        qr_svg=qr.svg_inline(url) if view.checkout.status.value == "open" else "",
        expires_at=view.checkout.expires_at.isoformat(),
        sale_id=view.sale.uuid if view.sale else None,
        receipt_no=view.sale.receipt_no if view.sale else None,
    )


class CardCheckoutApiController(Controller):
    path = "/api/v1/card-checkouts"
    tags = ["pos"]
    guards = [requires_login]
    exception_handlers = {ValidationException: bad_body}

    def _service(self, request: Request[Any, Any, Any], tx: AsyncSession) -> CardCheckoutService:
        return CardCheckoutService(tx, _gateway(request), app_settings(request).card_checkout_minutes)

    @post(
        "/",
        name="api:card_checkout_create",
        summary="Start a card sale: hold the cart's stock and make its pay page (idempotent by its id)",
        description=(
            "The body is a sale as for `POST /api/v1/sales`, without payments: `id` is the sale's UUID. The "
            "cart's stock is held at the place and a pending card payment is made; the shopper pays on the "
            "page at `pay_url` (show `qr_svg`). The sale is written with this `id` only when Stripe confirms "
            "the payment (follow `/pay/{pay_token}/events`, or GET this checkout). The same `id` again → "
            "**200** with the checkout. Not enough stock → **409** `insufficient_stock`. Cards not set up → "
            "**422**."
        ),
        status_code=HTTP_201_CREATED,
        responses={
            200: ResponseSpec(CheckoutOut, description="Sent before: the stored checkout"),
            409: ResponseSpec(ErrorOut, description="insufficient_stock, or the sale exists already"),
            **ERRORS,
        },
    )
    async def create(
        self, request: Request[Any, Any, Any], tx: AsyncSession, data: SaleIn
    ) -> Response[CheckoutOut]:
        if data.payments:
            message = _("A card sale is paid on its pay page: send no payments.")
            raise ValidationFailed(message, fields={"payments": message})
        view = await self._service(request, tx).open(_user(request), data)
        return Response(
            checkout_out(request, view), status_code=HTTP_201_CREATED if view.created else HTTP_200_OK
        )

    @get("/{checkout_id:uuid}", name="api:card_checkout", summary="A card checkout", responses=ERRORS)
    async def get_checkout(
        self, request: Request[Any, Any, Any], tx: AsyncSession, checkout_id: uuid.UUID
    ) -> CheckoutOut:
        return checkout_out(
            request, await self._service(request, tx).get_for_seller(_user(request), checkout_id)
        )

    @post(
        "/{checkout_id:uuid}/cancel",
        name="api:card_checkout_cancel",
        summary="Cancel a card checkout: the intent is cancelled at Stripe and the stock goes back",
        status_code=HTTP_200_OK,
        responses={409: ResponseSpec(ErrorOut, description="The payment already went through"), **ERRORS},
    )
    async def cancel(
        self, request: Request[Any, Any, Any], tx: AsyncSession, checkout_id: uuid.UUID
    ) -> CheckoutOut:
        return checkout_out(request, await self._service(request, tx).cancel(_user(request), checkout_id))


# --- a booth fee by card ---


class BoothCardController(Controller):
    path = "/fairs/{fair_id:int}/my-booth/assignments/{assignment_id:int}"
    guards = [requires_login]
    include_in_schema = False

    @post("/pay-by-card", name="fairs:my_booth_pay_card")
    async def pay_by_card(
        self, request: Request[Any, Any, Any], tx: AsyncSession, fair_id: int, assignment_id: int
    ) -> Response[Any]:
        payment = await CardPayments(tx, _gateway(request)).for_assignment(
            _user(request), assignment_id, fair_id=fair_id
        )
        return redirect(request, f"/pay/{payment.pay_token}")
