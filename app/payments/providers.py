"""The payment-provider seam: how a sale's payment is accepted, one class per method.

A provider answers `accept(amount_vnd, tendered_vnd, reference)` with a `PaymentOutcome`: cash succeeds at
once (the cash is in the drawer) and hands back the change; VietQR succeeds when the cashier confirms that
the transfer arrived, and the sale's reference is kept as the provider reference (it is the message of the
transfer, so a bank statement line can be matched to the sale). Stripe comes later through the same seam:
one class whose `accept` creates or confirms the PaymentIntent and answers PENDING or SUCCEEDED with the
intent's id, registered with `register(StripeProvider(...))`. Nothing else changes.

Amounts are whole đồng; providers never round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from app.payments.models import PaymentMethod, PaymentStatus


class PaymentRefused(ValueError):
    """The provider would not take this payment (a wrong amount, a declined card)."""


@dataclass(frozen=True)
class PaymentOutcome:
    method: PaymentMethod
    status: PaymentStatus
    amount_vnd: int  # the part of the sale this payment pays
    tendered_vnd: int | None = None  # cash handed over
    change_vnd: int = 0  # cash handed back
    provider_reference: str = ""


@runtime_checkable
class PaymentProvider(Protocol):
    @property
    def method(self) -> PaymentMethod: ...

    def accept(self, amount_vnd: int, tendered_vnd: int | None, reference: str) -> PaymentOutcome: ...


def _check_amount(amount_vnd: int) -> None:
    if not isinstance(amount_vnd, int) or isinstance(amount_vnd, bool) or amount_vnd <= 0:
        raise PaymentRefused("a payment is a whole, positive number of đồng")


class CashProvider:
    """Cash in the drawer: succeeded at once. The change is what was handed over beyond the amount."""

    method = PaymentMethod.CASH

    def accept(self, amount_vnd: int, tendered_vnd: int | None, reference: str) -> PaymentOutcome:
        _check_amount(amount_vnd)
        handed = amount_vnd if tendered_vnd is None else tendered_vnd
        if not isinstance(handed, int) or handed < amount_vnd:
            raise PaymentRefused("the cash handed over is less than the amount")
        return PaymentOutcome(
            method=self.method,
            status=PaymentStatus.SUCCEEDED,
            amount_vnd=amount_vnd,
            tendered_vnd=handed,
            change_vnd=handed - amount_vnd,
            provider_reference="",
        )


class VietQRProvider:
    """A bank transfer to the seller's account through a VietQR code. The register shows the code and the
    cashier taps "money received" once the banking app shows the transfer, so reaching the server means
    it succeeded. The transfer's message is the sale's reference."""

    method = PaymentMethod.VIETQR

    def accept(self, amount_vnd: int, tendered_vnd: int | None, reference: str) -> PaymentOutcome:
        _check_amount(amount_vnd)
        if tendered_vnd is not None and tendered_vnd != amount_vnd:
            raise PaymentRefused("a transfer pays exactly its amount")
        return PaymentOutcome(
            method=self.method,
            status=PaymentStatus.SUCCEEDED,
            amount_vnd=amount_vnd,
            tendered_vnd=None,
            change_vnd=0,
            provider_reference=reference[:100],
        )


_PROVIDERS: dict[PaymentMethod, PaymentProvider] = {}


def register(provider: PaymentProvider) -> None:
    """Make a provider available (Stripe, once configured, registers itself here)."""
    _PROVIDERS[provider.method] = provider


def provider(method: PaymentMethod | str) -> PaymentProvider:
    """The provider of a method; KeyError for a method that is not available (Stripe when not configured)."""
    try:
        return _PROVIDERS[PaymentMethod(method)]
    except ValueError as exc:
        raise KeyError(method) from exc


def available_methods() -> list[PaymentMethod]:
    return list(_PROVIDERS)


register(CashProvider())
register(VietQRProvider())
