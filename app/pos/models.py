"""The register: devices at a location, shifts with a cash count, sales, their lines, and refunds.

A sale's id is the UUID the client made: the idempotency key. Sending the same sale again changes nothing.
Receipt numbers count up per register without gaps (taken from `Register.next_receipt_no` in the sale's
transaction).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_values


class ShiftStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SaleStatus(enum.StrEnum):
    COMPLETED = "completed"
    PARTLY_REFUNDED = "partly_refunded"
    REFUNDED = "refunded"


class CheckoutStatus(enum.StrEnum):
    OPEN = "open"  # the cart's stock is held; the shopper is paying by card
    PAID = "paid"  # Stripe said the PaymentIntent succeeded: the sale is written
    CANCELLED = "cancelled"  # the cashier cancelled (or it expired): the hold is released


class Register(Base):
    __tablename__ = "register"
    __table_args__ = (UniqueConstraint("location_id", "name", name="uq_register_location_name"),)

    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    next_receipt_no: Mapped[int] = mapped_column(default=1)
    is_active: Mapped[bool] = mapped_column(default=True)


class Shift(Base):
    __tablename__ = "shift"
    __table_args__ = (
        CheckConstraint("opening_float_vnd >= 0", name="shift_float"),
        # At most one open shift per register.
        Index(
            "uq_shift_open_register",
            "register_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    register_id: Mapped[int] = mapped_column(ForeignKey("register.id", ondelete="CASCADE"), index=True)
    status: Mapped[ShiftStatus] = mapped_column(
        Enum(ShiftStatus, native_enum=False, length=10, validate_strings=True, values_callable=enum_values),
        default=ShiftStatus.OPEN,
    )
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    opening_float_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    counted_cash_vnd: Mapped[int | None] = mapped_column(BigInteger)
    expected_cash_vnd: Mapped[int | None] = mapped_column(BigInteger)
    # The Z report as computed at closing: kept as issued, printable later.
    z_report: Mapped[dict[str, object] | None] = mapped_column(JSON)


class Sale(Base):
    __tablename__ = "sale"
    __table_args__ = (
        UniqueConstraint("register_id", "receipt_no", name="uq_sale_register_receipt"),
        CheckConstraint("total_vnd >= 0", name="sale_total"),
        Index("ix_sale_location_created", "location_id", "created_at"),
    )

    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="RESTRICT"))
    register_id: Mapped[int] = mapped_column(ForeignKey("register.id", ondelete="RESTRICT"), index=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id", ondelete="SET NULL"), index=True)
    cashier_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # Who delivered it, when not its cashier: a sale waiting in an offline register's outbox is sent by
    # whoever is logged in on the phone when the network returns; its cashier pass names who rang it up.
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    receipt_no: Mapped[int]
    status: Mapped[SaleStatus] = mapped_column(
        Enum(SaleStatus, native_enum=False, length=20, validate_strings=True, values_callable=enum_values),
        default=SaleStatus.COMPLETED,
    )
    subtotal_vnd: Mapped[int] = mapped_column(BigInteger)
    discount_vnd: Mapped[int] = mapped_column(BigInteger, default=0)  # order discount, besides line discounts
    total_vnd: Mapped[int] = mapped_column(BigInteger)
    paid_vnd: Mapped[int] = mapped_column(BigInteger)
    change_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    client_created_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    offline: Mapped[bool] = mapped_column(default=False)
    # Synced after the shift it was rung up in had closed (an offline register): it belongs to that shift,
    # but not to its Z report as issued; the shift shows it in an addendum ("sales synced after closing").
    late: Mapped[bool] = mapped_column(default=False, server_default=false())
    had_shortfall: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str] = mapped_column(String(5), default="vi")  # the shopper's language for the receipt

    lines: Mapped[list[SaleLine]] = relationship(
        back_populates="sale", cascade="all, delete-orphan", lazy="selectin", order_by="SaleLine.line_no"
    )


class SaleLine(Base):
    __tablename__ = "sale_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="sale_line_quantity"),
        CheckConstraint("(product_id IS NULL) <> (combo_id IS NULL)", name="sale_line_item"),
        CheckConstraint("discount_vnd >= 0 AND total_vnd >= 0", name="sale_line_money"),
        UniqueConstraint("sale_id", "line_no", name="uq_sale_line_no"),
    )

    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int]
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"), index=True)
    combo_id: Mapped[int | None] = mapped_column(ForeignKey("combo.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))  # as sold, so later renames do not rewrite receipts
    quantity: Mapped[int]
    unit_price_vnd: Mapped[int] = mapped_column(BigInteger)
    discount_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    total_vnd: Mapped[int] = mapped_column(BigInteger)
    refunded_quantity: Mapped[int] = mapped_column(default=0)

    sale: Mapped[Sale] = relationship(back_populates="lines")
    # A combo line's products as sold (the combo may be edited later): written with the line, read by
    # refunds only, so loading a sale does not fetch them.
    components: Mapped[list[SaleLineComponent]] = relationship(
        back_populates="sale_line",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise_on_sql",
        order_by="SaleLineComponent.product_id",
    )


class SaleLineComponent(Base):
    """One product of a combo line, as the combo was when it was sold: `quantity` per combo unit."""

    __tablename__ = "sale_line_component"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="sale_line_component_quantity"),
        UniqueConstraint("sale_line_id", "product_id", name="uq_sale_line_component"),
    )

    sale_line_id: Mapped[int] = mapped_column(ForeignKey("sale_line.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int]

    sale_line: Mapped[SaleLine] = relationship(back_populates="components")


class CardCheckout(Base):
    """A sale waiting for its card payment: the cart as the register sent it, its stock held at the place
    (HOLD movements), until Stripe's webhook says the PaymentIntent succeeded — then the sale is written,
    with the UUID the register made — or the cashier cancels and the hold goes back. A sale (and a receipt
    number) is never written for a card payment that did not succeed."""

    __tablename__ = "card_checkout"
    __table_args__ = (CheckConstraint("amount_vnd > 0", name="card_checkout_amount"),)

    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)  # the sale's id, made by the register
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="RESTRICT"), index=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("register.id", ondelete="RESTRICT"), index=True)
    cashier_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[CheckoutStatus] = mapped_column(
        Enum(
            CheckoutStatus, native_enum=False, length=20, validate_strings=True, values_callable=enum_values
        ),
        default=CheckoutStatus.OPEN,
    )
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    request: Mapped[dict[str, object]] = mapped_column(JSON)  # the sale as the register sent it
    held: Mapped[list[list[int]]] = mapped_column(JSON)  # [[product_id, quantity], …] set aside
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sale.id", ondelete="SET NULL"))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class Refund(Base):
    __tablename__ = "refund"
    __table_args__ = (CheckConstraint("amount_vnd > 0", name="refund_amount"),)

    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id", ondelete="RESTRICT"), index=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id", ondelete="SET NULL"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(20))  # how the money went back: cash, vietqr, stripe

    lines: Mapped[list[RefundLine]] = relationship(
        back_populates="refund", cascade="all, delete-orphan", lazy="selectin", order_by="RefundLine.id"
    )


class RefundLine(Base):
    __tablename__ = "refund_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="refund_line_quantity"),)

    refund_id: Mapped[int] = mapped_column(ForeignKey("refund.id", ondelete="CASCADE"), index=True)
    sale_line_id: Mapped[int] = mapped_column(ForeignKey("sale_line.id", ondelete="RESTRICT"))
    quantity: Mapped[int]
    amount_vnd: Mapped[int] = mapped_column(BigInteger)

    refund: Mapped[Refund] = relationship(back_populates="lines")
