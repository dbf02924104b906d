"""Payments of sales and booth fees with their history, the Stripe events already applied, and the bank
accounts VietQR codes pay into."""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, enum_values


class PaymentMethod(enum.StrEnum):
    CASH = "cash"
    VIETQR = "vietqr"
    STRIPE = "stripe"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTLY_REFUNDED = "partly_refunded"


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount_vnd > 0", name="payment_amount"),
        CheckConstraint("tendered_vnd IS NULL OR tendered_vnd >= amount_vnd", name="payment_tendered"),
        Index("ix_payment_provider_reference", "provider_reference"),
    )

    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sale.id", ondelete="RESTRICT"), index=True)
    # A booth fee: the assignment it pays for (a payment is for a sale or for a booth, never both).
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignment.id", ondelete="RESTRICT"), index=True
    )
    method: Mapped[PaymentMethod] = mapped_column(
        Enum(PaymentMethod, native_enum=False, length=20, validate_strings=True, values_callable=enum_values)
    )
    status: Mapped[PaymentStatus] = mapped_column(
        Enum(PaymentStatus, native_enum=False, length=20, validate_strings=True, values_callable=enum_values),
        default=PaymentStatus.SUCCEEDED,
    )
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    tendered_vnd: Mapped[int | None] = mapped_column(BigInteger)  # cash handed over
    change_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    provider_reference: Mapped[str] = mapped_column(String(100), default="")  # VietQR message, Stripe id
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # A card payment at the register: the checkout that holds the cart while the shopper pays. The sale is
    # written (and sale_id set) only once Stripe says the PaymentIntent succeeded.
    checkout_id: Mapped[int | None] = mapped_column(
        ForeignKey("card_checkout.id", ondelete="RESTRICT"), index=True
    )
    # The pay page's address (/pay/<token>): unguessable, so a shopper needs no account to pay.
    pay_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    failure_message: Mapped[str] = mapped_column(String(300), default="", server_default="")


class PaymentEvent(Base):
    """A payment's history: every change of status (and every refund), who or what caused it."""

    __tablename__ = "payment_event"

    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    # The Stripe object or event behind it ("evt_…", "pi_…", "re_…"); empty for a person's action.
    source: Mapped[str] = mapped_column(String(100), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class StripeEvent(Base):
    """A webhook event applied: its unique id is how a second delivery of it changes nothing."""

    __tablename__ = "stripe_event"

    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id", ondelete="SET NULL"), index=True)
    outcome: Mapped[str] = mapped_column(String(300), default="")


class BankAccount(Base):
    """Where VietQR transfers go: one account per producer, or per organization (a showroom operator)."""

    __tablename__ = "bank_account"
    __table_args__ = (
        CheckConstraint("(producer_id IS NULL) <> (organization_id IS NULL)", name="bank_account_owner"),
    )

    producer_id: Mapped[int | None] = mapped_column(
        ForeignKey("producer.id", ondelete="CASCADE"), unique=True
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), unique=True
    )
    bank_bin: Mapped[str] = mapped_column(String(6))
    account_no: Mapped[str] = mapped_column(String(19))
    account_name: Mapped[str] = mapped_column(String(50))  # ASCII, as the bank holds it
