"""A payment's history: one row per change of status or refund, so a payment can be traced end to end."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.rules import CurrentUser
from app.payments.models import Payment, PaymentEvent, PaymentStatus


def refund_status(amount_vnd: int, refunded_vnd: int) -> PaymentStatus:
    """The status of a taken payment after refunds: nothing, part or all of it given back."""
    if refunded_vnd <= 0:
        return PaymentStatus.SUCCEEDED
    return PaymentStatus.REFUNDED if refunded_vnd >= amount_vnd else PaymentStatus.PARTLY_REFUNDED


def note(
    session: AsyncSession,
    payment: Payment,
    text: str,
    *,
    source: str = "",
    actor: CurrentUser | None = None,
) -> None:
    """Record the payment's status as it is now, with why (`text`) and what caused it (`source`)."""
    session.add(
        PaymentEvent(
            payment_id=payment.id,
            status=payment.status.value,
            note=text[:1000],
            source=source[:100],
            actor_id=actor.id if actor else None,
        )
    )
