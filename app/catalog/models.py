"""OCOP producers, product groups (as data, with their scheme), products, gift combos and media files."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_values


class ProducerKind(enum.StrEnum):
    COOPERATIVE = "cooperative"
    ENTERPRISE = "enterprise"
    HOUSEHOLD = "household"
    COOPERATIVE_GROUP = "cooperative_group"
    OTHER = "other"


class CertificateLevel(enum.StrEnum):
    PROVINCE = "province"
    CENTRAL = "central"


class MediaFile(Base):
    """An uploaded image, re-encoded and kept in the database so every worker can serve it."""

    __tablename__ = "media_file"

    content_type: Mapped[str] = mapped_column(String(50))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int]
    height: Mapped[int]


class Producer(Base):
    """An OCOP subject (chủ thể OCOP): cooperative, enterprise, household business…"""

    __tablename__ = "producer"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="producer_lat"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="producer_lon"),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ProducerKind] = mapped_column(
        Enum(ProducerKind, native_enum=False, length=30, validate_strings=True, values_callable=enum_values)
    )
    registration_no: Mapped[str | None] = mapped_column(String(50), unique=True)
    province_code: Mapped[int] = mapped_column(index=True)
    ward_code: Mapped[int | None]
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    logo_id: Mapped[int | None] = mapped_column(ForeignKey("media_file.id", ondelete="SET NULL"))
    # The provincial office (organization) that registered and supports this producer.
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    # Folded (no diacritics, lower case) name for search that finds "Kẹo dừa" from "keo dua".
    search_text: Mapped[str] = mapped_column(Text, default="")

    products: Mapped[list[Product]] = relationship(back_populates="producer", lazy="raise")


class OcopGroup(Base):
    """A product group or subgroup of one OCOP classification scheme (2019 or 2022)."""

    __tablename__ = "ocop_group"
    __table_args__ = (UniqueConstraint("scheme", "code", name="uq_ocop_group_scheme_code"),)

    scheme: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(10))
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("ocop_group.id", ondelete="CASCADE"))


class Product(Base):
    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("stars IS NULL OR stars BETWEEN 3 AND 5", name="product_stars"),
        CheckConstraint("price_vnd >= 0", name="product_price"),
        UniqueConstraint("producer_id", "sku", name="uq_product_producer_sku"),
        Index("ix_product_group_stars", "group_id", "stars"),
    )

    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"), index=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("ocop_group.id", ondelete="SET NULL"))
    stars: Mapped[int | None]
    certificate_no: Mapped[str] = mapped_column(String(100), default="")
    certificate_level: Mapped[CertificateLevel | None] = mapped_column(
        Enum(
            CertificateLevel, native_enum=False, length=20, validate_strings=True, values_callable=enum_values
        )
    )
    certified_on: Mapped[dt.date | None] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    price_vnd: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(50), default="")
    sku: Mapped[str | None] = mapped_column(String(64))
    barcode: Mapped[str | None] = mapped_column(String(64), index=True)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("media_file.id", ondelete="SET NULL"))
    origin_vi: Mapped[str] = mapped_column(Text, default="")
    origin_en: Mapped[str] = mapped_column(Text, default="")
    ingredients_vi: Mapped[str] = mapped_column(Text, default="")
    ingredients_en: Mapped[str] = mapped_column(Text, default="")
    story_vi: Mapped[str] = mapped_column(Text, default="")
    story_en: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Folded names, SKU and producer name, maintained by the service for diacritic-insensitive search.
    search_text: Mapped[str] = mapped_column(Text, default="")

    producer: Mapped[Producer] = relationship(back_populates="products", lazy="joined")
    group: Mapped[OcopGroup | None] = relationship(lazy="joined")


class Combo(Base):
    """A gift set of products with quantities, sold at its own price.

    Owned by a producer (its own products) or by an organization (a showroom's mixed set)."""

    __tablename__ = "combo"
    __table_args__ = (
        CheckConstraint("price_vnd >= 0", name="combo_price"),
        CheckConstraint("(producer_id IS NULL) <> (organization_id IS NULL)", name="combo_owner"),
    )

    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    price_vnd: Mapped[int] = mapped_column(BigInteger)
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)

    items: Mapped[list[ComboItem]] = relationship(
        back_populates="combo", cascade="all, delete-orphan", lazy="selectin", order_by="ComboItem.id"
    )


class ComboItem(Base):
    __tablename__ = "combo_item"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="combo_item_quantity"),
        UniqueConstraint("combo_id", "product_id", name="uq_combo_item"),
    )

    combo_id: Mapped[int] = mapped_column(ForeignKey("combo.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    quantity: Mapped[int]

    combo: Mapped[Combo] = relationship(back_populates="items")
    product: Mapped[Product] = relationship(lazy="joined")
