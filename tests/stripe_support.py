"""localstripe for the tests: a stateful stand-in for Stripe's API (PyPI `localstripe`, run as a separate
process on a free loopback port — it is GPL-3.0 test tooling and never imported), plus what a test needs to
play the browser's part (a card set up through a SetupIntent, as Stripe.js's `confirmCardSetup` does) and
Stripe's part (webhook payloads signed with the Stripe library's own scheme)."""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import stripe

from app.settings import Settings

SECRET_KEY = "sk_test_chophien"
PUBLISHABLE_KEY = "pk_test_chophien"
WEBHOOK_SECRET = "whsec_chophien_test"

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000341"
CARD_3DS = "4000002760003184"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalStripe:
    base: str  # http://127.0.0.1:<port>

    @property
    def js_url(self) -> str:
        return f"{self.base}/js.stripe.com/v3/"

    def settings(self, settings: Settings) -> Settings:
        """These settings with Stripe on, pointed at this localstripe."""
        return dataclasses.replace(
            settings,
            stripe_secret_key=SECRET_KEY,
            stripe_publishable_key=PUBLISHABLE_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_api_base=self.base,
            stripe_js_url=self.js_url,
        )

    def env(self) -> dict[str, str]:
        return {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": self.base,
            "STRIPE_JS_URL": self.js_url,
        }

    def _post(self, path: str, data: dict[str, Any], *, form: bool = False) -> dict[str, Any]:
        body = urllib.parse.urlencode(data).encode() if form else json.dumps(data).encode()
        request = urllib.request.Request(  # noqa: S310 - a loopback test server
            self.base + path,
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            text = response.read().decode() or "{}"
        return dict(json.loads(text)) if text.strip().startswith("{") else {}

    def send_webhooks_to(self, url: str) -> None:
        """Have localstripe deliver its events (signed with the test secret) to `url`."""
        self._post("/_config/webhooks/chophien", {"url": url, "secret": WEBHOOK_SECRET}, form=True)

    def card_setup(self, client_secret: str, number: str) -> dict[str, Any]:
        """What Stripe.js's confirmCardSetup does with a typed card: the SetupIntent after confirming."""
        seti = client_secret.split("_secret_")[0]
        try:
            return self._post(
                f"/v1/setup_intents/{seti}/confirm",
                {
                    "key": PUBLISHABLE_KEY,
                    "use_stripe_sdk": True,
                    "client_secret": client_secret,
                    "payment_method_data": {
                        "type": "card",
                        "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
                        "billing_details": {"address": {"postal_code": "70000"}},
                    },
                },
            )
        except urllib.error.HTTPError as exc:
            return dict(json.loads(exc.read().decode()))

    def finish_setup_3ds(self, client_secret: str) -> dict[str, Any]:
        """The shopper completes 3-D Secure for a card being set up."""
        seti = client_secret.split("_secret_")[0]
        return self._post(
            f"/v1/setup_intents/{seti}/confirm",
            {"key": PUBLISHABLE_KEY, "use_stripe_sdk": True, "client_secret": client_secret},
        )

    def authenticate_payment(self, client_secret: str, success: bool = True) -> dict[str, Any]:
        """What confirmCardPayment does when the shopper completes (or fails) 3-D Secure."""
        pi = client_secret.split("_secret_")[0]
        flag = "true" if success else "false"
        return self._post(
            f"/v1/payment_intents/{pi}/_authenticate?success={flag}",
            {"key": PUBLISHABLE_KEY, "client_secret": client_secret},
        )

    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(SECRET_KEY, base_addresses={"api": self.base}, max_network_retries=0)

    def intent(self, intent_id: str) -> dict[str, Any]:
        found = self.client().v1.payment_intents.retrieve(intent_id)
        return dict(found.to_dict())


def start_localstripe() -> Iterator[LocalStripe]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1):  # noqa: S310
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("localstripe did not start")
            time.sleep(0.1)
        yield LocalStripe(base)
    finally:
        process.terminate()
        process.wait(timeout=10)


def signed_event(event_type: str, obj: dict[str, Any], *, event_id: str | None = None) -> tuple[bytes, str]:
    """A webhook body for `obj` and its Stripe-Signature header, signed as Stripe signs them."""
    body = json.dumps(
        {
            "id": event_id or f"evt_{time.time_ns()}",
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    return body.encode(), header
