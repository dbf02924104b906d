"""Users, organizations, memberships (roles), API tokens, login attempts and the audit log."""

from __future__ import annotations

import datetime as dt
import enum

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_values


class Role(enum.StrEnum):
    ADMIN = "admin"
    ORGANIZER = "organizer"
    VENDOR = "vendor"
    CASHIER = "cashier"


class Organization(Base):
    """A provincial office, fair operator, tour operator or showroom operator."""

    __tablename__ = "organization"

    name: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[int | None]
    contact: Mapped[str] = mapped_column(String(300), default="")


class User(Base):
    __tablename__ = "user_account"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(5), default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change and logout-everywhere; a session cookie carries the value it was made with.
    session_version: Mapped[int] = mapped_column(default=1)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class Membership(Base):
    """A role held by a user: admin (global), organizer of an organization, vendor or cashier of a
    producer or of an organization that operates showrooms."""

    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint(
            "(role = 'admin' AND organization_id IS NULL AND producer_id IS NULL)"
            " OR (role = 'organizer' AND organization_id IS NOT NULL AND producer_id IS NULL)"
            " OR (role IN ('vendor', 'cashier') AND"
            " ((organization_id IS NULL) <> (producer_id IS NULL)))",
            name="membership_scope",
        ),
        UniqueConstraint("user_id", "role", "organization_id", "producer_id", name="uq_membership"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, validate_strings=True, values_callable=enum_values)
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization | None] = relationship(lazy="selectin")


class ApiToken(Base):
    """A personal API token. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_token"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class LoginAttempt(Base):
    """Failed logins, kept in the database so every worker slows down the same guesser."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_email_created", "email", "created_at"),)

    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64), default="")


class AuditEntry(Base):
    """Who did what to which object, with a dotted action key (`catalog.product.created`)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),)

    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(100), index=True)
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[int | None]
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
