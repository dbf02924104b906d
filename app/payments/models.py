"""Payments of sales (and, later, booth fees), and the bank accounts VietQR codes pay into."""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, CheckConstraint, Enum, ForeignKey, Index, String
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
