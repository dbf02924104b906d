"""A payment's history rows and its status after refunds (app/payments/history.py)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.rules import CurrentUser
from app.payments import history
from app.payments.models import Payment, PaymentEvent, PaymentMethod, PaymentStatus


@pytest.mark.parametrize(
    ("amount", "refunded", "status"),
    [
        (210_000, 0, PaymentStatus.SUCCEEDED),
        (210_000, -5, PaymentStatus.SUCCEEDED),
        (210_000, 1, PaymentStatus.PARTLY_REFUNDED),
        (210_000, 209_999, PaymentStatus.PARTLY_REFUNDED),
        (210_000, 210_000, PaymentStatus.REFUNDED),
        (210_000, 210_001, PaymentStatus.REFUNDED),
        (1, 1, PaymentStatus.REFUNDED),
    ],
)
def test_refund_status(amount: int, refunded: int, status: PaymentStatus) -> None:
    assert history.refund_status(amount, refunded) == status


class Recorder:
    """Stands in for the session: history.note only adds a row."""

    def __init__(self) -> None:
        self.added: list[Any] = []

    def add(self, row: Any) -> None:
        self.added.append(row)


def payment(status: PaymentStatus = PaymentStatus.PENDING) -> Payment:
    return Payment(id=41, method=PaymentMethod.STRIPE, status=status, amount_vnd=45_000)


def test_a_note_records_the_status_as_it_is_now_with_why_and_what_caused_it() -> None:
    session = Recorder()
    actor = CurrentUser(id=5, email="vendor@htx.vn", name="Chủ hàng")

    history.note(
        cast(AsyncSession, session),
        payment(PaymentStatus.FAILED),
        "Card declined.",
        source="pi_1",
        actor=actor,
    )

    [row] = session.added
    assert isinstance(row, PaymentEvent)
    assert (row.payment_id, row.status, row.note, row.source, row.actor_id) == (
        41,
        "failed",
        "Card declined.",
        "pi_1",
        5,
    )


def test_a_note_without_actor_or_source_and_long_text_is_cut_to_the_columns() -> None:
    session = Recorder()

    history.note(cast(AsyncSession, session), payment(), "x" * 5000, source="evt_" + "y" * 500)

    [row] = session.added
    assert (row.status, row.actor_id) == ("pending", None)
    assert len(row.note) == 1000 and len(row.source) == 100 and row.source.startswith("evt_")
