"""The Stripe gateway without the network: webhook signatures checked with the Stripe library's own scheme
(the endpoint secret, the raw body, a 5-minute tolerance, several signatures while a secret is rolled), the
event read from a verified body, a PaymentIntent read into what the services need, and cards off when Stripe
is not configured."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
import stripe

from app.payments.stripe_gateway import CURRENCY, BadSignature, Event, StripeGateway, _intent, gateway
from app.settings import Settings, get_settings

SECRET = "whsec_unit_test"


def settings(**changes: Any) -> Settings:
    base = dataclasses.replace(
        get_settings(),
        stripe_secret_key="sk_test_unit",
        stripe_publishable_key="pk_test_unit",
        stripe_webhook_secret=SECRET,
        stripe_api_base="http://127.0.0.1:9",  # nothing listens: these tests never call Stripe
        stripe_js_url="http://127.0.0.1:9/js.stripe.com/v3/",
    )
    return dataclasses.replace(base, **changes)


def body(event_id: str = "evt_1", event_type: str = "payment_intent.succeeded", **obj: Any) -> str:
    data = {"id": "pi_1", "object": "payment_intent", "amount": 45_000, "currency": "vnd", **obj}
    return json.dumps({"id": event_id, "object": "event", "type": event_type, "data": {"object": data}})


def sign(text: str, secret: str = SECRET, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(text, secret, timestamp=timestamp)


@pytest.fixture
def gw() -> StripeGateway:
    made = gateway(settings())
    assert made is not None
    return made


# --- configuration ---


def test_cards_are_off_without_keys_and_the_gateway_is_made_once_per_configuration() -> None:
    assert gateway(settings(stripe_secret_key="")) is None
    assert gateway(settings(stripe_publishable_key="")) is None
    first = gateway(settings())
    assert first is not None and first is gateway(settings())
    assert gateway(settings(stripe_webhook_secret="whsec_other")) is not first
    assert (first.publishable_key, first.js_url) == ("pk_test_unit", "http://127.0.0.1:9/js.stripe.com/v3/")
    assert CURRENCY == "vnd"


# --- signatures ---


def test_a_body_signed_as_stripe_signs_it_is_read(gw: StripeGateway) -> None:
    text = body("evt_ok", metadata={"payment_id": "7"})

    event = gw.parse_event(text.encode(), sign(text))

    assert event == Event(
        id="evt_ok",
        type="payment_intent.succeeded",
        object={
            "id": "pi_1",
            "object": "payment_intent",
            "amount": 45_000,
            "currency": "vnd",
            "metadata": {"payment_id": "7"},
        },
    )


def test_a_recent_signature_and_a_rolled_secret_are_accepted(gw: StripeGateway) -> None:
    text = body()
    four_minutes_ago = int(time.time()) - 240
    assert gw.parse_event(text.encode(), sign(text, timestamp=four_minutes_ago)).id == "evt_1"
    # While a secret is rolled Stripe sends one signature per secret: one matching is enough.
    old = sign(text, "whsec_old").split(",")[1]
    assert gw.parse_event(text.encode(), f"{sign(text)},{old}").id == "evt_1"


@pytest.mark.parametrize(
    "case",
    [
        "none",
        "empty",
        "garbage",
        "no_timestamp",
        "other_scheme",
        "other_secret",
        "altered",
        "old",
        "other_body",
    ],
)
def test_bad_signatures_are_refused(gw: StripeGateway, case: str) -> None:
    text = body()
    payload = text.encode()
    header: str | None = {
        "none": None,
        "empty": "",
        "garbage": "garbage",
        "no_timestamp": "v1=" + "0" * 64,
        "other_scheme": sign(text).replace("v1=", "v0="),
        "other_secret": sign(text, "whsec_not_ours"),
        "altered": sign(text),
        "old": sign(text, timestamp=int(time.time()) - 301),
        "other_body": sign(body("evt_2")),
    }[case]
    if case == "altered":
        payload = text.replace("45000", "4500000").encode()

    with pytest.raises(BadSignature):
        gw.parse_event(payload, header)


def test_without_an_endpoint_secret_nothing_is_trusted() -> None:
    made = gateway(settings(stripe_webhook_secret=""))
    assert made is not None
    text = body()
    with pytest.raises(BadSignature):
        made.parse_event(text.encode(), sign(text, ""))


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[]", b"{}", b'{"id": "evt_1", "type": "x"}', b'{"id": "evt_1", "type": "x", "data": {}}'],
)
def test_a_signed_body_that_is_not_an_event_is_refused(gw: StripeGateway, payload: bytes) -> None:
    timestamp = int(time.time())
    mac = hmac.new(SECRET.encode(), b"%d.%s" % (timestamp, payload), hashlib.sha256).hexdigest()

    with pytest.raises(BadSignature):
        gw.parse_event(payload, f"t={timestamp},v1={mac}")


def test_a_body_that_is_not_utf8_is_refused(gw: StripeGateway) -> None:
    with pytest.raises(BadSignature):
        gw.parse_event(b"\xff\xfe\xfd", f"t={int(time.time())},v1={'0' * 64}")


# --- reading an intent ---


def test_an_intent_is_read_with_its_refunds_and_its_last_error() -> None:
    read = _intent(
        {
            "id": "pi_9",
            "status": "requires_payment_method",
            "amount": 209_999,
            "currency": "vnd",
            "client_secret": "pi_9_secret_x",
            "metadata": {"payment_id": 12, "kind": "sale"},
            "latest_charge": {"id": "ch_1", "amount_refunded": 45_000},
            "last_payment_error": {"code": "card_declined", "message": "Your card was declined."},
        }
    )

    assert (read.id, read.status, read.amount, read.currency) == (
        "pi_9",
        "requires_payment_method",
        209_999,
        "vnd",
    )
    assert read.client_secret == "pi_9_secret_x"
    assert read.metadata == {"payment_id": "12", "kind": "sale"}
    assert (read.amount_refunded, read.failure_message) == (45_000, "Your card was declined.")


def test_an_intent_with_little_in_it_reads_as_defaults() -> None:
    read = _intent({"id": "pi_0", "latest_charge": "ch_not_expanded", "last_payment_error": None})

    assert (read.status, read.amount, read.currency, read.client_secret) == ("", 0, "", "")
    assert (read.metadata, read.amount_refunded, read.failure_message) == ({}, 0, "")


def test_an_intent_from_the_stripe_library_is_read_too() -> None:
    obj = stripe.PaymentIntent.construct_from(
        {"id": "pi_lib", "status": "succeeded", "amount": 45_000, "currency": "vnd", "metadata": {"a": "b"}},
        "sk_test_unit",
    )

    read = _intent(obj)

    assert (read.id, read.status, read.amount, read.metadata) == ("pi_lib", "succeeded", 45_000, {"a": "b"})
