"""Trade fairs: the fair and its programme, halls with a grid floor plan, booth types and booths, the call for
exhibitors with its questions, producers' applications, booth assignments (held until the fee is paid) and
the waitlist's offers.

A booth is a stock location (`Booth.location_id`), so the producer's register sells from it during the fair.
A booth is never assigned to two producers: the partial unique index on `assignment.booth_id` over the
assignments still in force decides, whoever clicks first.
"""

from __future__ import annotations

import datetime as dt
import enum

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_values


def _enum(kind: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(kind, native_enum=False, length=length, validate_strings=True, values_callable=enum_values)


class FairStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"  # open for applications
    PUBLISHED = "published"
    RUNNING = "running"
    CLOSED = "closed"


class SessionKind(enum.StrEnum):
    OPENING = "opening"
    TASTING = "tasting"
    LIVESTREAM = "livestream"
    MATCHMAKING = "matchmaking"
    TALK = "talk"
    OTHER = "other"


class QuestionKind(enum.StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    YES_NO = "yes_no"


class ApplicationStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"


class AssignmentStatus(enum.StrEnum):
    HELD = "held"  # waiting for the booth fee, until hold_expires_at
    CONFIRMED = "confirmed"  # the fee is paid (or waived)
    RELEASED = "released"  # expired, withdrawn or moved: kept for the history, frees the booth


class AssignmentMethod(enum.StrEnum):
    MANUAL = "manual"
    SELF_SELECT = "self_select"
    AUTOMATIC = "automatic"
    WAITLIST = "waitlist"


class OfferStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


class Fair(Base):
    __tablename__ = "fair"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="fair_dates"),
        CheckConstraint("booths_per_producer >= 1", name="fair_booths_per_producer"),
        CheckConstraint("hold_days >= 1", name="fair_hold_days"),
    )

    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[FairStatus] = mapped_column(_enum(FairStatus), default=FairStatus.DRAFT, index=True)
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    province_code: Mapped[int | None] = mapped_column(index=True)
    ward_code: Mapped[int | None]
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    # The call for exhibitors (one per fair): open while status is OPEN and before the deadline.
    call_deadline: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    call_text: Mapped[str] = mapped_column(Text, default="")
    booths_per_producer: Mapped[int] = mapped_column(default=1)
    self_select: Mapped[bool] = mapped_column(default=False)  # accepted producers may pick their booth
    hold_days: Mapped[int] = mapped_column(default=7)  # how long a held booth waits for its fee

    sessions: Mapped[list[FairSession]] = relationship(
        back_populates="fair", order_by="FairSession.starts_at", cascade="all, delete-orphan", lazy="selectin"
    )


class FairSession(Base):
    """One item of the fair's programme."""

    __tablename__ = "fair_session"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="fair_session_times"),)

    fair_id: Mapped[int] = mapped_column(ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SessionKind] = mapped_column(_enum(SessionKind), default=SessionKind.OTHER)
    title_vi: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    place: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")

    fair: Mapped[Fair] = relationship(back_populates="sessions")


class Hall(Base):
    """A hall of the fair, as a grid of cells (one cell ≈ one metre); booths are rectangles on it."""

    __tablename__ = "hall"
    __table_args__ = (
        UniqueConstraint("fair_id", "name", name="uq_hall_fair_name"),
        CheckConstraint("columns > 0 AND rows > 0", name="hall_size"),
    )

    fair_id: Mapped[int] = mapped_column(ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    columns: Mapped[int]
    rows: Mapped[int]
    # Where visitors come in: booths nearer it are worth more (higher OCOP stars go there).
    entrance_x: Mapped[int] = mapped_column(default=0)
    entrance_y: Mapped[int] = mapped_column(default=0)


class BoothType(Base):
    __tablename__ = "booth_type"
    __table_args__ = (
        UniqueConstraint("fair_id", "name", name="uq_booth_type_fair_name"),
        CheckConstraint("size_m2 > 0", name="booth_type_size"),
        CheckConstraint("price_vnd >= 0", name="booth_type_price"),
    )

    fair_id: Mapped[int] = mapped_column(ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    size_m2: Mapped[float] = mapped_column(Float)
    price_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    features: Mapped[list[str]] = mapped_column(JSON, default=list)  # "power", "corner", "water", …
    on_offer: Mapped[bool] = mapped_column(default=True)  # offered in the call for exhibitors


class Booth(Base):
    """A rectangle on its hall's grid, and a stock location."""

    __tablename__ = "booth"
    __table_args__ = (
        UniqueConstraint("fair_id", "code", name="uq_booth_fair_code"),
        CheckConstraint("width > 0 AND height > 0", name="booth_size"),
        CheckConstraint("x >= 0 AND y >= 0", name="booth_position"),
    )

    fair_id: Mapped[int] = mapped_column(ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"), index=True)
    booth_type_id: Mapped[int] = mapped_column(ForeignKey("booth_type.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    zone: Mapped[str] = mapped_column(String(40), default="")
    x: Mapped[int]
    y: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    blocked: Mapped[bool] = mapped_column(default=False)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="RESTRICT"), unique=True)


class CallQuestion(Base):
    __tablename__ = "call_question"

    fair_id: Mapped[int] = mapped_column(ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind), default=QuestionKind.TEXT)
    prompt_vi: Mapped[str] = mapped_column(String(300))
    prompt_en: Mapped[str] = mapped_column(String(300), default="")
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)  # for CHOICE
    required: Mapped[bool] = mapped_column(default=False)


class Application(Base):
    """A producer's application for booths at a fair (one per producer and fair)."""

    __tablename__ = "application"
    __table_args__ = (
        UniqueConstraint("fair_id", "producer_id", name="uq_application_fair_producer"),
        CheckConstraint("booth_count >= 1", name="application_booth_count"),
    )

    fair_id: Mapped[int] = mapped_column(ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"), index=True)
    booth_type_id: Mapped[int] = mapped_column(ForeignKey("booth_type.id", ondelete="RESTRICT"))
    booth_count: Mapped[int] = mapped_column(default=1)
    status: Mapped[ApplicationStatus] = mapped_column(
        _enum(ApplicationStatus), default=ApplicationStatus.DRAFT, index=True
    )
    preferred_zone: Mapped[str] = mapped_column(String(40), default="")
    preferred_neighbours: Mapped[str] = mapped_column(String(300), default="")
    same_province_together: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")  # from the applicant
    review_note: Mapped[str] = mapped_column(Text, default="")  # internal to the organizers
    message: Mapped[str] = mapped_column(Text, default="")  # to the applicant with the decision
    waitlist_rank: Mapped[int | None]  # the order in which freed booths are offered
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    products: Mapped[list[ApplicationProduct]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ApplicationProduct.id"
    )
    answers: Mapped[list[ApplicationAnswer]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ApplicationAnswer.id"
    )


class ApplicationProduct(Base):
    __tablename__ = "application_product"
    __table_args__ = (UniqueConstraint("application_id", "product_id", name="uq_application_product"),)

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))


class ApplicationAnswer(Base):
    __tablename__ = "application_answer"
    __table_args__ = (UniqueConstraint("application_id", "question_id", name="uq_application_answer"),)

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("call_question.id", ondelete="CASCADE"))
    answer: Mapped[str] = mapped_column(Text, default="")


class Assignment(Base):
    """A booth given to an accepted application: held until the fee is paid, then confirmed."""

    __tablename__ = "assignment"
    __table_args__ = (
        # The rule that a booth is never assigned twice, kept by the database.
        Index(
            "uq_assignment_booth_active",
            "booth_id",
            unique=True,
            sqlite_where=text("status <> 'released'"),
            postgresql_where=text("status <> 'released'"),
        ),
        CheckConstraint("fee_vnd >= 0", name="assignment_fee"),
    )

    fair_id: Mapped[int] = mapped_column(ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"), index=True)
    status: Mapped[AssignmentStatus] = mapped_column(_enum(AssignmentStatus), default=AssignmentStatus.HELD)
    method: Mapped[AssignmentMethod] = mapped_column(_enum(AssignmentMethod), default=AssignmentMethod.MANUAL)
    pinned: Mapped[bool] = mapped_column(default=False)  # kept as it is when the solver runs again
    fee_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    hold_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    released_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class WaitlistOffer(Base):
    """A freed booth offered to a waitlisted application, with its own deadline."""

    __tablename__ = "waitlist_offer"

    fair_id: Mapped[int] = mapped_column(ForeignKey("fair.id", ondelete="CASCADE"), index=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    status: Mapped[OfferStatus] = mapped_column(_enum(OfferStatus), default=OfferStatus.OPEN)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
