"""Stock: locations, levels, the append-only ledger, transfers and counts.

The ledger (`StockMovement`) is the truth; `StockLevel.on_hand` is its projection, changed in the same
transaction as the movement that explains it. For every product and location the ledger sums to the level.
"""

from __future__ import annotations

import datetime as dt
import enum

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, Enum, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_values


class LocationKind(enum.StrEnum):
    WAREHOUSE = "warehouse"
    BOOTH = "booth"
    SHOWROOM = "showroom"


class MovementKind(enum.StrEnum):
    RECEIPT = "receipt"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    SALE = "sale"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"  # a stock count found more or fewer than recorded
    SHORTFALL = "shortfall"  # an offline sale took more than recorded: the record was wrong; flagged
    HOLD = "hold"  # set aside for a card payment in progress at the register (app/pos/card.py)
    RELEASE = "release"  # a hold given back: the payment went through (then sold) or was cancelled


class TransferStatus(enum.StrEnum):
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class Location(Base):
    """A place that holds stock: a producer's warehouse, a fair booth, a showroom.

    Owned by a producer or by an organization (a showroom operator, a fair organizer)."""

    __tablename__ = "location"
    __table_args__ = (
        CheckConstraint("(producer_id IS NULL) <> (organization_id IS NULL)", name="location_owner"),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[LocationKind] = mapped_column(
        Enum(LocationKind, native_enum=False, length=20, validate_strings=True, values_callable=enum_values)
    )
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(String(300), default="")
    province_code: Mapped[int | None]
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    is_active: Mapped[bool] = mapped_column(default=True)


class StockLevel(Base):
    __tablename__ = "stock_level"
    __table_args__ = (
        UniqueConstraint("product_id", "location_id", name="uq_stock_level_product_location"),
        CheckConstraint("on_hand >= 0", name="stock_level_not_negative"),
        CheckConstraint("low_threshold IS NULL OR low_threshold >= 0", name="stock_level_threshold"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    low_threshold: Mapped[int | None]


class StockMovement(Base):
    """One change of one product's stock at one location. Never updated except to mark a review."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        CheckConstraint("quantity <> 0", name="stock_movement_nonzero"),
        Index("ix_stock_movement_product_location", "product_id", "location_id", "id"),
        Index("ix_stock_movement_reference", "reference"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"))
    kind: Mapped[MovementKind] = mapped_column(
        Enum(MovementKind, native_enum=False, length=20, validate_strings=True, values_callable=enum_values)
    )
    quantity: Mapped[int]  # signed: + into the location, - out of it
    on_hand_after: Mapped[int]
    reason: Mapped[str] = mapped_column(String(300), default="")
    reference: Mapped[str] = mapped_column(String(100), default="")  # "sale:<uuid>", "transfer:12", …
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    flagged: Mapped[bool] = mapped_column(default=False)  # a shortfall waiting for the vendor's review
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class Transfer(Base):
    __tablename__ = "transfer"
    __table_args__ = (CheckConstraint("from_location_id <> to_location_id", name="transfer_distinct"),)

    from_location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="RESTRICT"), index=True)
    to_location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="RESTRICT"), index=True)
    status: Mapped[TransferStatus] = mapped_column(
        Enum(
            TransferStatus, native_enum=False, length=20, validate_strings=True, values_callable=enum_values
        ),
        default=TransferStatus.IN_TRANSIT,
    )
    note: Mapped[str] = mapped_column(Text, default="")
    sent_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    received_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    received_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    lines: Mapped[list[TransferLine]] = relationship(
        back_populates="transfer", cascade="all, delete-orphan", lazy="selectin", order_by="TransferLine.id"
    )


class TransferLine(Base):
    __tablename__ = "transfer_line"
    __table_args__ = (
        CheckConstraint("quantity_sent > 0", name="transfer_line_sent"),
        CheckConstraint(
            "quantity_received IS NULL OR (quantity_received >= 0 AND quantity_received <= quantity_sent)",
            name="transfer_line_received",
        ),
        UniqueConstraint("transfer_id", "product_id", name="uq_transfer_line_product"),
    )

    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfer.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    quantity_sent: Mapped[int]
    quantity_received: Mapped[int | None]

    transfer: Mapped[Transfer] = relationship(back_populates="lines")


class StockCount(Base):
    """A stock count at a location: the counted quantities, and the adjustments they caused."""

    __tablename__ = "stock_count"

    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    counted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")

    lines: Mapped[list[StockCountLine]] = relationship(
        back_populates="count", cascade="all, delete-orphan", lazy="selectin", order_by="StockCountLine.id"
    )


class StockCountLine(Base):
    __tablename__ = "stock_count_line"
    __table_args__ = (CheckConstraint("counted >= 0", name="stock_count_line_counted"),)

    count_id: Mapped[int] = mapped_column(ForeignKey("stock_count.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    expected: Mapped[int]
    counted: Mapped[int]

    count: Mapped[StockCount] = relationship(back_populates="lines")
