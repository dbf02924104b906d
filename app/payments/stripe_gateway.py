"""Stripe, the card provider: the only module that imports the Stripe SDK.

The card flow works the same against real Stripe and against localstripe (which the tests run): the pay page
collects the card with a SetupIntent and Stripe.js `confirmCardSetup`; the server then creates the
PaymentIntent with that payment method and confirms it; when the bank asks for 3-D Secure the page finishes
with `confirmCardPayment`. Whether money moved is learnt only from Stripe's signed webhooks.

VND is a zero-decimal currency: amounts go to Stripe as whole đồng, never × 100.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import stripe

from app.settings import Settings

CURRENCY = "vnd"
# The API version this module was written against. In it, `payment_method_types=["card"]` keeps an intent to
# cards (no redirect-based methods, so confirming needs no return URL), which localstripe also understands.
API_VERSION = "2024-06-20"


class CardDeclined(Exception):
    """Stripe refused the card (declined, failed authentication). `intent_id` is the failed intent, if any."""

    def __init__(self, message: str, intent_id: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.intent_id = intent_id


class GatewayError(Exception):
    """Stripe could not be reached or refused the request for another reason."""


class BadSignature(Exception):
    """A webhook whose signature does not match its body and the endpoint secret."""


@dataclass(frozen=True)
class Intent:
    """What the pay page and the services need of a PaymentIntent."""

    id: str
    status: str  # requires_payment_method, requires_action, processing, succeeded, canceled, …
    amount: int
    currency: str
    client_secret: str
    metadata: dict[str, str]
    amount_refunded: int = 0
    failure_message: str = ""


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    object: dict[str, Any]


def _intent(obj: Any) -> Intent:
    data = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    error = data.get("last_payment_error") or {}
    charge = data.get("latest_charge")
    refunded = int(charge.get("amount_refunded") or 0) if isinstance(charge, dict) else 0
    return Intent(
        id=str(data["id"]),
        status=str(data.get("status") or ""),
        amount=int(data.get("amount") or 0),
        currency=str(data.get("currency") or ""),
        client_secret=str(data.get("client_secret") or ""),
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        amount_refunded=refunded,
        failure_message=str(error.get("message") or "") if isinstance(error, dict) else "",
    )


class StripeGateway:
    def __init__(self, settings: Settings) -> None:
        self.publishable_key = settings.stripe_publishable_key
        self.js_url = settings.stripe_js_url
        self.webhook_secret = settings.stripe_webhook_secret
        self._client = stripe.StripeClient(
            settings.stripe_secret_key,
            base_addresses={"api": settings.stripe_api_base},
            stripe_version=API_VERSION,
            max_network_retries=2,
        )

    def create_setup_intent(self, metadata: dict[str, str]) -> tuple[str, str]:
        """A SetupIntent for one card on this page: (id, client_secret)."""
        try:
            params: Any = {"usage": "on_session", "payment_method_types": ["card"], "metadata": metadata}
            intent = self._client.v1.setup_intents.create(params=params)
        except stripe.StripeError as exc:
            raise GatewayError(str(exc)) from exc
        return str(intent.id), str(intent.client_secret)

    def setup_payment_method(self, setup_intent_id: str, payment_id: str | None = None) -> str:
        """The card a succeeded SetupIntent collected (asked of Stripe: the browser's word is not taken).
        With `payment_id`, the SetupIntent must have been made for that payment (`create_setup_intent`'s
        metadata): a card set up on another pay page is not charged here. CardDeclined for a SetupIntent
        that Stripe does not know, that has no card, or that is another payment's."""
        try:
            intent = self._client.v1.setup_intents.retrieve(setup_intent_id)
        except stripe.InvalidRequestError as exc:  # no such SetupIntent: the page sent a wrong id
            raise CardDeclined("The card was not set up.") from exc
        except stripe.StripeError as exc:
            raise GatewayError(str(exc)) from exc
        method = intent.payment_method
        if intent.status != "succeeded" or not method:
            raise CardDeclined("The card was not set up.")
        made_for = (intent.to_dict().get("metadata") or {}).get("payment_id")
        if payment_id is not None and str(made_for) != payment_id:
            raise CardDeclined("The card was set up for another payment.")
        return str(method if isinstance(method, str) else method.id)

    def charge(self, payment_method: str, amount_vnd: int, metadata: dict[str, str], key: str) -> Intent:
        """Create and confirm a PaymentIntent of `amount_vnd` đồng with the card. Created first, then
        confirmed, so a declined card still leaves the intent's id behind. `key` makes a retry of this very
        attempt reuse the same intent instead of charging twice."""
        try:
            created = self._client.v1.payment_intents.create(
                params={
                    "amount": amount_vnd,
                    "currency": CURRENCY,
                    "payment_method": payment_method,
                    "payment_method_types": ["card"],
                    "metadata": metadata,
                },  # type: ignore[typeddict-unknown-key]  # see API_VERSION
                options={"idempotency_key": f"{key}:create"},
            )
        except stripe.CardError as exc:
            raise CardDeclined(exc.user_message or str(exc)) from exc
        except stripe.StripeError as exc:
            raise GatewayError(str(exc)) from exc
        if created.status != "requires_confirmation":
            return _intent(created)
        try:
            confirmed = self._client.v1.payment_intents.confirm(
                created.id, options={"idempotency_key": f"{key}:confirm"}
            )
        except stripe.CardError as exc:
            raise CardDeclined(exc.user_message or str(exc), created.id) from exc
        except stripe.StripeError as exc:
            raise GatewayError(str(exc)) from exc
        return _intent(confirmed)

    def retrieve(self, intent_id: str) -> Intent:
        try:
            found = self._client.v1.payment_intents.retrieve(intent_id, params={"expand": ["latest_charge"]})
        except stripe.StripeError as exc:
            raise GatewayError(str(exc)) from exc
        return _intent(found)

    def cancel(self, intent_id: str) -> Intent:
        """Cancel an intent that has not taken money; GatewayError if it cannot be (it succeeded)."""
        try:
            return _intent(self._client.v1.payment_intents.cancel(intent_id))
        except stripe.StripeError as exc:
            raise GatewayError(str(exc)) from exc

    def refund(self, intent_id: str, amount_vnd: int, key: str) -> str:
        """Give `amount_vnd` đồng of a succeeded intent back to the card; the refund's id. `key` (the app's
        refund id) makes a retry return the same Stripe refund instead of paying back twice."""
        try:
            refund = self._client.v1.refunds.create(
                params={"payment_intent": intent_id, "amount": amount_vnd},
                options={"idempotency_key": f"refund:{key}"},
            )
        except stripe.StripeError as exc:
            raise GatewayError(str(exc)) from exc
        if refund.status not in ("succeeded", "pending"):
            raise GatewayError(f"refund {refund.id} is {refund.status}")
        return str(refund.id)

    def parse_event(self, payload: bytes, signature: str | None) -> Event:
        """Check the signature on the raw body with the endpoint secret, then read the event. A signature
        older than Stripe's tolerance (5 minutes, as `stripe.Webhook.construct_event` checks) is refused:
        Stripe signs every delivery afresh, so only a replayed body carries an old one."""
        if not signature or not self.webhook_secret:
            raise BadSignature("no signature")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, self.webhook_secret, stripe.Webhook.DEFAULT_TOLERANCE
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
            raise BadSignature(str(exc)) from exc

        try:
            data = json.loads(payload)
            return Event(id=str(data["id"]), type=str(data["type"]), object=dict(data["data"]["object"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise BadSignature("not an event") from exc


_gateways: dict[tuple[str, str, str, str, str], StripeGateway] = {}


def gateway(settings: Settings) -> StripeGateway | None:
    """The Stripe gateway of these settings, or None when Stripe is not configured (cards are off)."""
    if not settings.stripe_enabled:
        return None
    key = (
        settings.stripe_secret_key,
        settings.stripe_publishable_key,
        settings.stripe_webhook_secret,
        settings.stripe_api_base,
        settings.stripe_js_url,
    )
    if key not in _gateways:
        _gateways[key] = StripeGateway(settings)
    return _gateways[key]
