"""Tour routes and the OCOP map: places (showrooms, craft villages, attractions, fair venues) with opening
hours and photos, and routes with ordered, scheduled stops and departures.

A showroom is a stock location (`Place.location_id`), so it sells through the stall register and the map shows
what it has in stock. A route's line is its stops' polyline, or an uploaded GPX track when it has one.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_values


def _enum(kind: type[enum.Enum], length: int = 30) -> Enum:
    return Enum(kind, native_enum=False, length=length, validate_strings=True, values_callable=enum_values)


class PlaceKind(enum.StrEnum):
    SHOWROOM = "showroom"  # an OCOP point of sale (điểm giới thiệu và bán sản phẩm OCOP)
    CRAFT_VILLAGE = "craft_village"
    ATTRACTION = "attraction"
    FAIR_VENUE = "fair_venue"


class ShowroomCategory(enum.StrEnum):
    """Where an OCOP showroom stands (950/QĐ-BCT of 2023)."""

    BUS_STATION = "bus_station"
    AIRPORT_PORT = "airport_port"
    HIGHWAY_REST_STOP = "highway_rest_stop"
    MARKET_SUPERMARKET = "market_supermarket"
    TOURIST_AREA = "tourist_area"
    HOTEL_RESTAURANT = "hotel_restaurant"
    CRAFT_VILLAGE = "craft_village"
    FAIR_CENTRE = "fair_centre"
    POST_OFFICE = "post_office"


class RouteStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Place(Base):
    __tablename__ = "place"
    __table_args__ = (
        CheckConstraint("(producer_id IS NULL) <> (organization_id IS NULL)", name="place_owner"),
        CheckConstraint(
            "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name="place_coords"
        ),
        Index("ix_place_kind_published", "kind", "is_published"),
    )

    kind: Mapped[PlaceKind] = mapped_column(_enum(PlaceKind), index=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Owned by a producer (its own shop) or an organization (a showroom operator, a tour operator).
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(String(300), default="")
    province_code: Mapped[int | None] = mapped_column(index=True)
    ward_code: Mapped[int | None]
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    # The weekly schedule: {"mon": [["08:00", "12:00"], ["13:30", "17:30"]], …, "sun": []}, in Vietnam's time.
    opening_hours: Mapped[dict[str, list[list[str]]]] = mapped_column(JSON, default=dict)
    category: Mapped[ShowroomCategory | None] = mapped_column(_enum(ShowroomCategory))  # showrooms only
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("location.id", ondelete="RESTRICT"), unique=True
    )  # a showroom's stock
    fair_id: Mapped[int | None] = mapped_column(ForeignKey("fair.id", ondelete="SET NULL"), index=True)
    is_published: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    exceptions: Mapped[list[PlaceHoursException]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PlaceHoursException.day"
    )
    photos: Mapped[list[PlacePhoto]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PlacePhoto.position"
    )


class PlaceHoursException(Base):
    """A day that differs from the weekly schedule: closed (Tết), or other hours."""

    __tablename__ = "place_hours_exception"
    __table_args__ = (UniqueConstraint("place_id", "day", name="uq_place_hours_exception_day"),)

    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(default=True)
    hours: Mapped[list[list[str]]] = mapped_column(JSON, default=list)  # when not closed
    note: Mapped[str] = mapped_column(String(200), default="")


class PlacePhoto(Base):
    __tablename__ = "place_photo"

    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media_file.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    caption: Mapped[str] = mapped_column(String(200), default="")


class Route(Base):
    __tablename__ = "route"
    __table_args__ = (
        CheckConstraint("length_m >= 0 AND duration_min >= 0", name="route_totals"),
        CheckConstraint("corridor_km > 0", name="route_corridor"),
    )

    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[RouteStatus] = mapped_column(_enum(RouteStatus), default=RouteStatus.DRAFT, index=True)
    # An uploaded GPX track as [[lon, lat], …]; empty: the line through the stops.
    track: Mapped[list[list[float]]] = mapped_column(JSON, default=list)
    length_m: Mapped[int] = mapped_column(default=0)  # kept up to date when stops or the track change
    duration_min: Mapped[int] = mapped_column(default=0)  # driving (≈) plus time spent at the stops
    corridor_km: Mapped[float] = mapped_column(Float, default=5.0)  # the default "within X km" of the map
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    stops: Mapped[list[RouteStop]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RouteStop.position"
    )
    departures: Mapped[list[RouteDeparture]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RouteDeparture.departs_on"
    )


class RouteStop(Base):
    __tablename__ = "route_stop"
    __table_args__ = (
        CheckConstraint("day >= 1", name="route_stop_day"),
        CheckConstraint("minutes >= 0", name="route_stop_minutes"),
    )

    route_id: Mapped[int] = mapped_column(ForeignKey("route.id", ondelete="CASCADE"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    day: Mapped[int] = mapped_column(default=1)  # day of the tour, from 1
    time: Mapped[str] = mapped_column(String(5), default="")  # planned arrival "HH:MM", local time
    minutes: Mapped[int] = mapped_column(default=30)  # time spent there
    note: Mapped[str] = mapped_column(String(300), default="")


class RouteDeparture(Base):
    """A scheduled date the route runs."""

    __tablename__ = "route_departure"
    __table_args__ = (UniqueConstraint("route_id", "departs_on", "time", name="uq_route_departure"),)

    route_id: Mapped[int] = mapped_column(ForeignKey("route.id", ondelete="CASCADE"), index=True)
    departs_on: Mapped[dt.date] = mapped_column(Date)
    time: Mapped[str] = mapped_column(String(5), default="")
    seats: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(200), default="")
